//! Accepting connections within limits, so that no peer can hold the node by opening
//! connections and sending or reading slowly: at most `max_connections` open in all and
//! `max_connections_per_peer` from one IP address (a connection beyond is closed at
//! once), request headers within `header_timeout` and in at most 16 KiB of buffer
//! (else the connection is closed without an answer), and no connection older than
//! `max_connection_age`, whatever it does (a client that never reads its answers holds
//! it no longer). Bodies are read within `body_timeout` by the handler that reads them
//! ([`crate::server`]).

use crate::config::Limits;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use rustls_pki_types::CertificateDer;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// How long a stopping node waits for its connections' requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The most a connection buffers of what a peer sends (hyper's least is 8 KiB).
const MAX_BUFFER: usize = 16 * 1024;

/// Open connections, in all and per peer address.
#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_peer: BTreeMap<IpAddr, usize>,
}

/// One admitted connection; it leaves the count when dropped.
struct Admitted {
    open: Arc<Mutex<Open>>,
    peer: IpAddr,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(count) = open.by_peer.get_mut(&self.peer) {
            *count -= 1;
            if *count == 0 {
                open.by_peer.remove(&self.peer);
            }
        }
    }
}

/// Admits a connection from `peer` if the limits allow another.
fn admit(open: &Arc<Mutex<Open>>, peer: IpAddr, limits: &Limits) -> Option<Admitted> {
    let mut counts = open.lock().unwrap_or_else(|p| p.into_inner());
    let from_peer = counts.by_peer.get(&peer).copied().unwrap_or(0);
    if counts.total >= limits.max_connections || from_peer >= limits.max_connections_per_peer {
        return None;
    }
    counts.total += 1;
    *counts.by_peer.entry(peer).or_insert(0) += 1;
    Some(Admitted {
        open: open.clone(),
        peer,
    })
}

/// Serves `app` on `listener` within `limits` (HTTP/1.1, over TLS when `tls` is given)
/// until `stop` turns true, then lets requests in flight finish for at most 10 seconds
/// and closes what is left. A TLS handshake must end within the header timeout; one
/// that fails (a certificate the node does not trust, none when one is required) closes
/// the connection.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    name: &'static str,
    tls: Option<TlsAcceptor>,
) {
    let open = Arc::new(Mutex::new(Open::default()));
    let graceful = GracefulShutdown::new();
    let mut connections = tokio::task::JoinSet::new();
    let mut refused = 0u64;
    loop {
        while connections.try_join_next().is_some() {}
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, say: wait a little rather than spin.
                tracing::warn!("{name}: cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(admitted) = admit(&open, peer.ip(), &limits) else {
            refused += 1;
            if refused.is_power_of_two() {
                tracing::warn!(%peer, refused, "{name}: connection limit reached, closing connections");
            }
            drop(stream);
            continue;
        };
        let (app, limits, tls, watcher) =
            (app.clone(), limits.clone(), tls.clone(), graceful.watcher());
        connections.spawn(async move {
            let served = match tls {
                None => serve_connection(stream, app, &limits, watcher).await,
                Some(acceptor) => {
                    match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream)).await
                    {
                        Ok(Ok(stream)) => {
                            let app = with_client_key(app, stream.get_ref().1.peer_certificates());
                            serve_connection(stream, app, &limits, watcher).await
                        }
                        Ok(Err(e)) => Err(format!("TLS handshake failed: {e}")),
                        Err(_) => Err("TLS handshake took longer than the header timeout".into()),
                    }
                }
            };
            if let Err(e) = served {
                tracing::debug!(%peer, "{name}: connection ended: {e}");
            }
            drop(admitted);
        });
    }
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("{name}: requests still in flight after {SHUTDOWN_GRACE:?}; closing");
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

/// `app` with the pin of the client certificate's key (§21.5) on every request of the
/// connection, when the client presented one.
fn with_client_key(app: Router, presented: Option<&[CertificateDer<'static>]>) -> Router {
    let Some(leaf) = presented.and_then(<[_]>::first) else {
        return app;
    };
    match tongban::client::key_pin(leaf) {
        Ok(pin) => app.layer(axum::Extension(crate::tls::ClientKey(pin))),
        // The verifier parsed it already; a certificate it admitted always parses.
        Err(_) => app,
    }
}

/// Serves one connection's requests until it ends, its peer goes quiet past the header
/// timeout, or it reaches its maximum age.
async fn serve_connection<S>(
    stream: S,
    app: Router,
    limits: &Limits,
    watcher: Watcher,
) -> Result<(), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_BUFFER)
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    match tokio::time::timeout(limits.max_connection_age, watcher.watch(connection)).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err("closed at its maximum age".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_admitted_within_the_total_and_per_peer_limits() {
        let limits = Limits {
            max_connections: 3,
            max_connections_per_peer: 2,
            ..Limits::default()
        };
        let open = Arc::new(Mutex::new(Open::default()));
        let (a, b): (IpAddr, IpAddr) = ([127, 0, 0, 2].into(), [127, 0, 0, 3].into());
        let first = admit(&open, a, &limits).expect("first");
        let second = admit(&open, a, &limits).expect("second from a");
        assert!(admit(&open, a, &limits).is_none(), "a third from a");
        let third = admit(&open, b, &limits).expect("one from b");
        assert!(admit(&open, b, &limits).is_none(), "over the total");
        drop(first);
        assert!(admit(&open, b, &limits).is_some(), "a slot freed");
        drop((second, third));
        let counts = open.lock().expect("lock");
        assert_eq!(counts.total, 0);
        assert!(counts.by_peer.is_empty());
    }
}
