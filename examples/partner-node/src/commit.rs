//! Group commit: the messages that arrive while a transaction is being written are
//! committed together, in one transaction and one fsync, and each is answered only
//! after that commit.
//!
//! A caller queues its work, then takes the store's lock. Whoever holds the lock is the
//! leader: it takes every work queued so far and runs them, each in a savepoint of one
//! transaction (a work that fails is rolled back alone), commits once, and hands each
//! caller its result before it lets the lock go. A caller that gets the lock after its
//! work was committed by another finds its result waiting. So a lone message is
//! committed at once, as before, and under load one fsync serves every message that
//! arrived while the previous one was written.

use crate::error::NodeError;
use crate::store::Store;
use std::sync::{Arc, Mutex, MutexGuard};

/// Where a work's result waits for its caller.
type Slot<R> = Arc<Mutex<Option<R>>>;

/// A work's result.
type Outcome<W> = Result<<W as Work>::Output, <W as Work>::Failure>;

/// The works queued for the next commit, each with its caller's slot.
pub struct GroupCommit<W: Work> {
    queued: Mutex<Vec<(W, Slot<Outcome<W>>)>>,
}

impl<W: Work> std::fmt::Debug for GroupCommit<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("queued", &lock(&self.queued).len())
            .finish()
    }
}

/// A piece of work committed with others: what it gives, and how it fails.
pub trait Work: Send {
    /// Its result once committed.
    type Output: Send;
    /// Its failure; a storage failure of the whole transaction becomes one.
    type Failure: From<NodeError> + Send;
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl<W: Work> Default for GroupCommit<W> {
    fn default() -> Self {
        GroupCommit {
            queued: Mutex::new(Vec::new()),
        }
    }
}

impl<W: Work> GroupCommit<W> {
    /// Queues `work`, and returns its result once it has been committed (or rolled
    /// back), by this caller or by whoever held the store first. `run` runs a group in
    /// one transaction: one result per work, in order.
    pub fn submit(
        &self,
        work: W,
        store: &Mutex<Store>,
        run: impl FnOnce(&mut Store, Vec<W>) -> Vec<Outcome<W>>,
    ) -> Outcome<W> {
        let slot: Slot<_> = Arc::default();
        lock(&self.queued).push((work, slot.clone()));
        let mut store = lock(store);
        if let Some(result) = lock(&slot).take() {
            return result;
        }
        let (works, slots): (Vec<W>, Vec<_>) = {
            let mut queued = lock(&self.queued);
            // A work is queued before its caller waits for the store, and a leader fills
            // every slot of the works it took before it lets the store go: so this
            // caller's work is still queued, unless a leader took it and then panicked.
            // Then this caller leaves the queue to the others: their works never ran.
            if !queued.iter().any(|(_, s)| Arc::ptr_eq(s, &slot)) {
                return Err(W::Failure::from(NodeError::Storage {
                    reason: "the transaction that held this message failed".into(),
                }));
            }
            std::mem::take(&mut *queued).into_iter().unzip()
        };
        let results = run(&mut store, works);
        for (taken, result) in slots.iter().zip(results) {
            *lock(taken) = Some(result);
        }
        drop(store);
        let result = lock(&slot).take();
        result.unwrap_or_else(|| {
            Err(W::Failure::from(NodeError::Storage {
                reason: "the transaction gave no result for this message".into(),
            }))
        })
    }

    /// How many works wait for the next commit.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        lock(&self.queued).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::database::{params, Db};
    use std::sync::Barrier;

    /// Inserts `value` into table `t` of the test database, or fails when it is negative.
    struct Insert(i64);

    impl Work for Insert {
        type Output = i64;
        type Failure = NodeError;
    }

    fn run(store: &mut Store, works: Vec<Insert>) -> Vec<Result<i64, NodeError>> {
        let works = works
            .into_iter()
            .map(|Insert(value)| {
                move |db: &Db<'_>| {
                    if value < 0 {
                        // Written, then refused: the savepoint rolls the row back.
                        db.execute("INSERT INTO t (v) VALUES (?1)", params![value])?;
                        return Err(NodeError::Storage {
                            reason: "negative".into(),
                        });
                    }
                    db.execute("INSERT INTO t (v) VALUES (?1)", params![value])?;
                    Ok(value)
                }
            })
            .collect();
        store.group_transaction(works)
    }

    /// A store in a temporary directory, with the test's table.
    fn store_with_table() -> (tempfile::TempDir, Mutex<Store>) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = Store::open(dir.path()).expect("store");
        store
            .sqlite()
            .expect("SQLite")
            .execute_batch("CREATE TABLE t (v INTEGER PRIMARY KEY)")
            .expect("table");
        (dir, Mutex::new(store))
    }

    #[test]
    fn concurrent_works_are_each_committed_once_and_a_failed_one_alone_is_rolled_back() {
        let (_dir, store) = store_with_table();
        let group = GroupCommit::<Insert>::default();
        let threads = 8i64;
        let start = Barrier::new(threads as usize);
        let results: Vec<Result<i64, NodeError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|i| {
                    let (group, store, start) = (&group, &store, &start);
                    scope.spawn(move || {
                        start.wait();
                        (0..50)
                            .map(|n| {
                                // Every tenth work of each thread fails.
                                let value = i * 1000 + n;
                                let value = if n % 10 == 9 { -value - 1 } else { value };
                                group.submit(Insert(value), store, run)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("thread"))
                .collect()
        });
        let committed = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(committed, 8 * 45);
        assert_eq!(results.len() - committed, 8 * 5);
        let store = store.into_inner().expect("store");
        let rows: i64 = store
            .sqlite()
            .expect("SQLite")
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .expect("count");
        let negative: i64 = store
            .sqlite()
            .expect("SQLite")
            .query_row("SELECT COUNT(*) FROM t WHERE v < 0", [], |r| r.get(0))
            .expect("count");
        assert_eq!((rows, negative), (8 * 45, 0));
        for result in results.into_iter().flatten() {
            let found: i64 = store
                .sqlite()
                .expect("SQLite")
                .query_row("SELECT COUNT(*) FROM t WHERE v = ?1", [result], |r| {
                    r.get(0)
                })
                .expect("count");
            assert_eq!(found, 1, "{result}");
        }
    }

    #[test]
    fn a_leader_that_panics_fails_the_works_it_took_and_no_others() {
        let (_dir, store) = store_with_table();
        let group = GroupCommit::<Insert>::default();
        // 666 makes the transaction's runner panic, as a bug in a work would.
        let panicking = |store: &mut Store, works: Vec<Insert>| {
            assert!(
                !works.iter().any(|w| w.0 == 666),
                "a bug in a work (this panic is the test's own)"
            );
            run(store, works)
        };
        let taken: Vec<std::thread::Result<Result<i64, NodeError>>> = std::thread::scope(|scope| {
            let held = lock(&store);
            let handles: Vec<_> = [666, 1]
                .into_iter()
                .map(|value| {
                    let (group, store, panicking) = (&group, &store, &panicking);
                    scope.spawn(move || group.submit(Insert(value), store, panicking))
                })
                .collect();
            while group.waiting() < 2 {
                std::thread::yield_now();
            }
            drop(held);
            handles.into_iter().map(|h| h.join()).collect()
        });
        // One thread panicked as the leader; the other's work, taken with it, failed.
        assert_eq!(taken.iter().filter(|r| r.is_err()).count(), 1);
        let failed = taken
            .into_iter()
            .flatten()
            .next()
            .expect("the other caller");
        assert!(failed.is_err(), "{failed:?}");
        // The store (its lock poisoned) and the queue still serve the next caller.
        assert_eq!(group.submit(Insert(2), &store, run).expect("committed"), 2);
        assert_eq!(group.waiting(), 0);
    }

    #[test]
    fn the_works_queued_while_the_store_is_held_go_in_one_transaction() {
        let (_dir, store) = store_with_table();
        let group = GroupCommit::<Insert>::default();
        let transactions = std::sync::atomic::AtomicUsize::new(0);
        let counted = |store: &mut Store, works: Vec<Insert>| {
            transactions.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            run(store, works)
        };
        let results: Vec<Result<i64, NodeError>> = std::thread::scope(|scope| {
            // The store is busy (a transaction being written) while 6 messages arrive.
            let held = lock(&store);
            let handles: Vec<_> = (0..6)
                .map(|value| {
                    let (group, store, counted) = (&group, &store, &counted);
                    scope.spawn(move || group.submit(Insert(value), store, counted))
                })
                .collect();
            while group.waiting() < 6 {
                std::thread::yield_now();
            }
            drop(held);
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        assert_eq!(transactions.into_inner(), 1, "one transaction for all six");
        let mut values: Vec<i64> = results.into_iter().map(|r| r.expect("committed")).collect();
        values.sort();
        assert_eq!(values, (0..6).collect::<Vec<_>>());
    }
}
