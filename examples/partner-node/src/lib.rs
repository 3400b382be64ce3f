#![forbid(unsafe_code)]
#![deny(missing_docs)]
//! # partner-node — the reference partner node of tongban
//!
//! What a city runs to take part in cross-region case transfer: the HTTP binding's
//! endpoint (`POST <endpoint>/messages`), a durable SQLite inbox and outbox, and an
//! operator API to move cases on. Every message goes through the `tongban` SDK:
//! verified against the trust registry, applied to the case's lifecycle, and stored
//! with its signed receipt in one transaction before the receipt leaves.
//!
//! Run it with `partner-node --config node.toml` (see [`config`]), or start it
//! in-process with [`start`].

pub mod auth;
pub mod commit;
pub mod config;
pub mod database;
pub mod demo;
pub mod error;
pub mod files;
pub mod listener;
pub mod metrics;
pub mod node;
pub mod operator;
pub mod outbox;
pub mod server;
#[cfg(feature = "simulation")]
pub mod simulation;
pub mod store;
pub mod tls;

pub use config::Config;
pub use error::{NodeError, NODE_CODES};
pub use node::Node;

use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A node serving on its two addresses, until [`RunningNode::stop`].
#[derive(Debug)]
pub struct RunningNode {
    /// Where the protocol endpoint listens.
    pub address: SocketAddr,
    /// Where the operator API listens.
    pub operator_address: SocketAddr,
    node: Arc<Node>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

async fn bind(address: SocketAddr) -> Result<TcpListener, NodeError> {
    TcpListener::bind(address)
        .await
        .map_err(|e| NodeError::Listen {
            address: address.to_string(),
            reason: e.to_string(),
        })
}

/// Opens the store, binds both addresses and starts serving and delivering.
pub async fn start(config: Config) -> Result<RunningNode, NodeError> {
    let endpoint_listener = bind(config.listen).await?;
    let operator_listener = bind(config.operator_listen).await?;
    let base = config.endpoint_path();
    let node = Arc::new(Node::open(config)?);
    let address = endpoint_listener
        .local_addr()
        .map_err(|e| NodeError::Listen {
            address: "protocol endpoint".into(),
            reason: e.to_string(),
        })?;
    let operator_address = operator_listener
        .local_addr()
        .map_err(|e| NodeError::Listen {
            address: "operator API".into(),
            reason: e.to_string(),
        })?;
    let acceptor = match &node.config().tls {
        None => None,
        Some(tls) => {
            tracing::info!(
                pin = %tls.own_pin,
                registry_named_clients = tls.registry_named_clients,
                "HTTPS: this node's TLS key, as the registry's tls_keys lists it (PROTOCOL.md §21.5)"
            );
            // Where this node takes part (it admits only registry-named keys, or lists
            // its own), its key must be listed for it.
            let registry = node.registry();
            let own = registry.member(&node.config().node);
            let takes_part =
                tls.registry_named_clients || own.is_some_and(|m| m.tls_keys.is_some());
            let listed = registry.member_of_tls_key(&tls.own_pin).map(|m| &m.node);
            if takes_part && listed != Some(&node.config().node) {
                tracing::warn!(
                    pin = %tls.own_pin,
                    "the registry does not list this node's TLS key for it: partners that admit only registry-named keys refuse its connections, and those whose registry lists other keys for it refuse its endpoint (PROTOCOL.md §21.5)"
                );
            }
            Some(tls.acceptor(node.shared_registry())?)
        }
    };
    let (shutdown, watcher) = watch::channel(false);
    let limits = node.config().limits.clone();
    // The operator API serves the city's own staff and case system: a few connections.
    let operator_limits = config::Limits {
        max_connections: 64,
        max_connections_per_peer: 32,
        ..limits.clone()
    };
    let tasks = vec![
        tokio::spawn(listener::serve(
            endpoint_listener,
            server::router(node.clone(), &base),
            limits,
            watcher.clone(),
            "protocol endpoint",
            acceptor,
        )),
        tokio::spawn(listener::serve(
            operator_listener,
            operator::router(
                node.clone(),
                auth::OperatorGuard::new(
                    node.config().operator_token.clone(),
                    operator_address,
                    &node.config().operator_hosts,
                )
                .with_metrics_token(node.config().metrics_token.clone()),
            ),
            operator_limits,
            watcher.clone(),
            "operator API",
            None,
        )),
        tokio::spawn(outbox::run(node.clone(), watcher.clone())),
        tokio::spawn(files::fetcher::run(node.clone(), watcher.clone())),
        tokio::spawn(hourly(node.clone(), watcher.clone())),
        tokio::spawn(follow_registry(node.clone(), watcher.clone())),
    ];
    tracing::info!(
        node = %node.config().node,
        %address, %operator_address,
        endpoint = format!("{base}{}", tongban::http::MESSAGES_PATH),
        "serving"
    );
    Ok(RunningNode {
        address,
        operator_address,
        node,
        shutdown,
        tasks,
    })
}

/// How often a replica looks for a registry that another replica installed.
pub const REGISTRY_FOLLOW_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// Takes up, every [`REGISTRY_FOLLOW_INTERVAL`], a registry another replica installed
/// ([`Node::follow_registry`]).
async fn follow_registry(node: Arc<Node>, mut stop: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(REGISTRY_FOLLOW_INTERVAL) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        let following = node.clone();
        if let Err(error) = node.storage_work(move || following.follow_registry()).await {
            tracing::warn!(%error, "cannot take up the registry another replica installed");
        }
    }
}

/// At start and every hour until the node stops: logs a warning for the registry and the
/// node's key if either expires within [`node::EXPIRY_WARNING_DAYS`], and collects the
/// files no message references ([`Node::collect_file_garbage`]).
async fn hourly(node: Arc<Node>, mut stop: watch::Receiver<bool>) {
    loop {
        node.warn_of_expiry();
        let collecting = node.clone();
        match node
            .storage_work(move || collecting.collect_file_garbage())
            .await
        {
            Ok(collected) if collected == files::Collected::default() => {}
            Ok(collected) => tracing::info!(
                files = collected.files,
                partial = collected.partial,
                bytes = collected.bytes,
                "removed files no message references"
            ),
            Err(error) => tracing::warn!(%error, "file garbage collection failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
    }
}

impl RunningNode {
    /// The node.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// A client of this node's operator API, with its token.
    pub fn operator_client(&self) -> demo::OperatorClient {
        demo::OperatorClient::new(
            self.operator_address,
            self.node.config().operator_token.secret(),
        )
    }

    /// Stops gracefully: stops accepting, lets requests in flight finish, cancels
    /// deliveries in flight (safe: a resend gets the first receipt), and closes the
    /// database.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
        tracing::info!(node = %self.node.config().node, "stopped");
    }
}
