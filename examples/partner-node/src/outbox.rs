//! The outbox worker: delivers queued messages until each has a verified receipt, a
//! final refusal, or has expired. Its schedule lives in the database, so it survives
//! restarts. Deliveries run concurrently, one task per message, so a slow or dead
//! receiver does not hold up the others; messages of one case go in queue order.
//!
//! Several replicas of a node may share one database: each entry it takes is leased to
//! it ([`crate::store::lease_due`]) for longer than a delivery round can last, so no
//! other replica delivers the same message at the same time; a replica that dies leaves
//! its entries to the others when their leases end, and takes them back itself when it
//! starts again under the same name (`replica` in the configuration).

use crate::metrics::Delivered;
use crate::node::Node;
use crate::store;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Entries taken per look at the outbox.
const BATCH: u32 = 32;
/// Longest sleep between looks at the outbox.
const IDLE: Duration = Duration::from_secs(30);

/// Ids of the messages being delivered now.
type InFlight = Arc<Mutex<BTreeSet<String>>>;

fn lock(in_flight: &InFlight) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
    in_flight.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs until `shutdown` turns true. Shutting down cancels deliveries in flight; that
/// is safe, because a resend gets the receiver's first receipt.
pub async fn run(node: Arc<Node>, mut shutdown: watch::Receiver<bool>) {
    let in_flight: InFlight = Arc::default();
    let mut deliveries = JoinSet::new();
    loop {
        if *shutdown.borrow() {
            deliveries.abort_all();
            return;
        }
        let looked = {
            let looker = node.clone();
            let looking = in_flight.clone();
            node.storage_work(move || {
                let mut db = looker.store();
                // Entries in flight are still pending; take enough to see past them.
                let limit =
                    BATCH.saturating_add(u32::try_from(lock(&looking).len()).unwrap_or(u32::MAX));
                let now = looker.now_millis();
                let until = now.saturating_add(
                    i64::try_from(looker.delivery_lease().as_millis()).unwrap_or(i64::MAX / 2),
                );
                let replica = &looker.config().replica;
                let due = db.transaction(|tx| store::lease_due(tx, replica, now, until, limit))?;
                Ok::<_, crate::NodeError>((due, db.run(store::next_due)?))
            })
            .await
        };
        let (due, next) = match looked {
            Ok(looked) => looked,
            Err(e) => {
                tracing::error!(code = e.code(), "outbox: {e}");
                (Vec::new(), Some(node.now_millis() + pause_millis(&node)))
            }
        };
        for entry in due {
            if !lock(&in_flight).insert(entry.id.clone()) {
                continue;
            }
            let node = node.clone();
            let in_flight = in_flight.clone();
            deliveries.spawn(async move {
                let started = std::time::Instant::now();
                let outcome = node.client().deliver(&node.registry(), &entry.bytes).await;
                let (counted, code) = match &outcome {
                    Ok(_) => (Delivered::Delivered, None),
                    Err(e) if e.is_transient() => (Delivered::Retry, Some(e.code())),
                    Err(e) => (Delivered::Failed, Some(e.code())),
                };
                node.metrics().delivered(counted, code, started.elapsed());
                let (id, case_id) = (entry.id.clone(), entry.case_id.clone());
                let recorder = node.clone();
                let recorded = node
                    .storage_work(move || recorder.record_delivery(&entry, outcome))
                    .await;
                if let Err(e) = recorded {
                    tracing::error!(code = e.code(), message_id = %id, %case_id, "outbox: cannot record a delivery: {e}");
                }
                lock(&in_flight).remove(&id);
            });
        }
        // Sleep until the next entry is due, a message is queued, a delivery ends (the
        // next message of its case may go), or shutdown. An entry that is due but in
        // flight is waited for through its task; a failed recording leaves the entry
        // due, and is retried after a pause rather than at once.
        let now = node.now_millis();
        let wait = match next {
            Some(at) if at > now => Duration::from_millis(at.abs_diff(now)).min(IDLE),
            // Due, yet nothing is being delivered: pause rather than spin.
            Some(_) if deliveries.is_empty() => node.config().retry_interval,
            // Nothing queued, or the due entries are in flight (their tasks wake us).
            _ => IDLE,
        };
        // Biased, so that a run in a simulation repeats exactly; every branch only
        // wakes the loop, so the order does not matter otherwise.
        tokio::select! {
            biased;
            _ = shutdown.changed() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = node.outbox_wake().notified() => {}
            Some(_) = deliveries.join_next(), if !deliveries.is_empty() => {}
        }
    }
}

/// The configured pause between delivery rounds, in milliseconds.
fn pause_millis(node: &Node) -> i64 {
    i64::try_from(node.config().retry_interval.as_millis()).unwrap_or(1_000)
}
