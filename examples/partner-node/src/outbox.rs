//! The outbox worker: delivers queued messages until each has a verified receipt or a
//! final refusal. Its schedule lives in the database, so it survives restarts.

use crate::node::{now_millis, Node};
use crate::store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Entries taken per round.
const BATCH: u32 = 32;
/// Longest sleep between looks at the outbox.
const IDLE: Duration = Duration::from_secs(30);

/// Runs until `shutdown` turns true.
pub async fn run(node: Arc<Node>, mut shutdown: watch::Receiver<bool>) {
    loop {
        if *shutdown.borrow() {
            return;
        }
        let due = {
            let node = node.clone();
            tokio::task::spawn_blocking(move || {
                store::due_outbox(node.store().connection(), now_millis(), BATCH)
            })
            .await
        };
        let due = match due {
            Ok(Ok(due)) => due,
            Ok(Err(e)) => {
                tracing::error!(code = e.code(), "outbox: {e}");
                Vec::new()
            }
            Err(e) => {
                tracing::error!("outbox: {e}");
                Vec::new()
            }
        };
        for entry in &due {
            let outcome = tokio::select! {
                outcome = node.client().deliver(node.registry(), &entry.bytes) => outcome,
                _ = shutdown.changed() => return,
            };
            let node = node.clone();
            let entry = entry.clone();
            let recorded =
                tokio::task::spawn_blocking(move || node.record_delivery(&entry, outcome)).await;
            if let Ok(Err(e)) = recorded {
                tracing::error!(code = e.code(), "outbox: cannot record a delivery: {e}");
            }
        }
        if !due.is_empty() {
            continue;
        }
        let next = {
            let node = node.clone();
            tokio::task::spawn_blocking(move || store::next_due(node.store().connection())).await
        };
        let wait = match next {
            Ok(Ok(Some(at))) => {
                Duration::from_millis(u64::try_from(at - now_millis()).unwrap_or(0)).min(IDLE)
            }
            _ => IDLE,
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = node.outbox_wake().notified() => {}
            _ = shutdown.changed() => return,
        }
    }
}
