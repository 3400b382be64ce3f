//! The fetcher: fetches the files that received messages reference from the partner
//! that sent them (§23.4), a few at a time, each checked against its reference while it
//! streams and resumed from its partial file after a failure or a restart. Its queue
//! lives in the database (`fetches`), so it survives restarts.

use super::records::{self, Fetch};
use crate::node::Node;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Files fetched at once.
pub const FETCHES_AT_ONCE: usize = 4;
/// Longest sleep between looks at the queue.
const IDLE: Duration = Duration::from_secs(30);

type InFlight = Arc<Mutex<BTreeSet<String>>>;

fn lock(in_flight: &InFlight) -> std::sync::MutexGuard<'_, BTreeSet<String>> {
    in_flight.lock().unwrap_or_else(|p| p.into_inner())
}

fn key(fetch: &Fetch) -> String {
    format!("{}@{}", fetch.reference.sha256, fetch.holder)
}

/// Runs until `shutdown` turns true. Shutting down cancels fetches in flight; what
/// they received stays in their partial files, from which the next start resumes.
pub async fn run(node: Arc<Node>, mut shutdown: watch::Receiver<bool>) {
    let in_flight: InFlight = Arc::default();
    let mut fetching = JoinSet::new();
    loop {
        if *shutdown.borrow() {
            fetching.abort_all();
            return;
        }
        let looker = node.clone();
        let looked = node
            .storage_work(move || {
                // Messages whose files are all here now are answered first.
                looker.acknowledge_files()?;
                let mut db = looker.store();
                let due = db.run(|db| records::due_fetches(db, looker.now_millis(), 64))?;
                Ok::<_, crate::NodeError>((due, db.run(records::next_fetch_due)?))
            })
            .await;
        let (due, next) = match looked {
            Ok(looked) => looked,
            Err(e) => {
                tracing::error!(code = e.code(), "fetcher: {e}");
                (Vec::new(), None)
            }
        };
        for fetch in due {
            if fetching.len() >= FETCHES_AT_ONCE {
                break;
            }
            if !lock(&in_flight).insert(key(&fetch)) {
                continue;
            }
            let node = node.clone();
            let in_flight = in_flight.clone();
            fetching.spawn(async move {
                let key = key(&fetch);
                fetch_one(&node, fetch).await;
                lock(&in_flight).remove(&key);
            });
        }
        let now = node.now_millis();
        let wait = match next {
            Some(at) if at > now => Duration::from_millis(at.abs_diff(now)).min(IDLE),
            Some(_) if fetching.is_empty() => node.config().retry_interval,
            _ => IDLE,
        };
        tokio::select! {
            biased;
            _ = shutdown.changed() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = node.fetch_wake().notified() => {}
            Some(_) = fetching.join_next(), if !fetching.is_empty() => {}
        }
    }
}

/// One round of one fetch: the file is fetched into its partial file, moved into the
/// store and the fetch marked complete; or the failure is recorded and the fetch due
/// again after a backoff.
async fn fetch_one(node: &Arc<Node>, fetch: Fetch) {
    let sha256 = fetch.reference.sha256.clone();
    let part = node.files().partial(&sha256);
    let outcome = if node.files().holds(&fetch.reference) {
        Ok(None)
    } else {
        node.client()
            .download(
                &node.registry(),
                &node.config().key,
                &fetch.holder,
                &fetch.reference,
                &part,
            )
            .await
            .map(Some)
    };
    let recorder = node.clone();
    let recorded = node
        .storage_work(move || {
            let failure = match &outcome {
                Ok(Some(_)) => recorder.files().commit_fetched(&part, &fetch.reference).err().map(|e| {
                    format!("[{}] {e}", e.code())
                }),
                Ok(None) => None,
                Err(e) => Some(format!("[{}] {e}", e.code())),
            };
            let next = failure.as_ref().map(|_| {
                let backoff = recorder.retry_delay(fetch.attempts + 1);
                recorder.now_millis() + i64::try_from(backoff.as_millis()).unwrap_or(i64::MAX / 2)
            });
            recorder.store().run(|db| {
                records::record_fetch(db, &sha256, &fetch.holder, failure.as_deref().zip(next))
            })?;
            match (&outcome, &failure) {
                (Ok(download), None) => {
                    let resumed_from = download.as_ref().map_or(0, |d| d.resumed_from);
                    // Bytes that came over the network now: none for a file held already.
                    if download.is_some() {
                        recorder
                            .metrics()
                            .file_bytes("fetched")
                            .inc_by(fetch.reference.size.saturating_sub(resumed_from));
                    }
                    tracing::info!(
                        %sha256, holder = %fetch.holder, size = fetch.reference.size, resumed_from,
                        "file fetched; its digest and size match the reference"
                    )
                }
                (_, Some(failure)) => tracing::warn!(
                    %sha256, holder = %fetch.holder, "file not fetched, trying again later: {failure}"
                ),
                _ => {}
            }
            Ok::<_, crate::NodeError>(())
        })
        .await;
    if let Err(e) = recorded {
        tracing::error!(code = e.code(), "fetcher: cannot record a fetch: {e}");
    }
}
