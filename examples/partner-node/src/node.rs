//! What a node does with messages: receive (verify and sign a receipt, then check the
//! replay record, apply to the case and store message and receipt in one transaction),
//! send (build, sign, check, apply, queue) and record deliveries. Everything goes through the SDK; the store only keeps the results.

use crate::commit::{GroupCommit, Work};
use crate::config::{check_own_keys, check_sealing_keys, Config};
use crate::database::Db;
use crate::error::NodeError;
use crate::files::{self, records, FileStore};
use crate::metrics::{Metrics, Snapshot};
use crate::store::{self, CaseKey, Store, StoredMessage};
use crate::tls::{ClientKey, SharedRegistry};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use tokio::sync::Notify;
use tongban::client::{Client, ClientError, Delivery, SeededRandom};
use tongban::http::{status_for, ErrorBody};
use tongban::lifecycle::{self, Case, ItemState};
use tongban::registry::Registry;
use tongban::*;

/// How long messages this node signs stay valid: the protocol's maximum, 7 days, so
/// that the outbox can retry through a long outage.
pub const VALIDITY_SECONDS: i64 = 7 * 24 * 3600;

/// A refusal: the HTTP status and the error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// The error body with its code.
    pub body: ErrorBody,
}

impl From<Error> for Refusal {
    fn from(error: Error) -> Self {
        let body = ErrorBody::of(&error);
        Refusal {
            status: status_for(&body.code),
            body,
        }
    }
}

impl From<NodeError> for Refusal {
    fn from(error: NodeError) -> Self {
        tracing::error!(code = error.code(), "{error}");
        Refusal {
            status: 500,
            body: ErrorBody {
                code: "node.storage".into(),
                message:
                    "the message could not be stored; nothing was recorded, send it again later"
                        .into(),
            },
        }
    }
}

macro_rules! refusal_from {
    ($($error:ty),*) => {$(
        impl From<$error> for Refusal {
            fn from(error: $error) -> Self {
                Refusal::from(Error::from(error))
            }
        }
    )*};
}
refusal_from!(tongban::error::MessageError);

impl From<files::OpenError> for Refusal {
    fn from(error: files::OpenError) -> Self {
        match error {
            files::OpenError::Refused(e) => e.into(),
            files::OpenError::Storage(e) => e.into(),
        }
    }
}

/// A stored message as this node reads it ([`Node::readable`]).
#[derive(Debug)]
pub struct Readable {
    /// The message: its body opened when it arrived sealed to this node and opens
    /// here, else as stored.
    pub envelope: Envelope,
    /// (1.1) The sealing key its body was opened with (§24.5).
    pub opened_with: Option<KeyId>,
    /// (1.1) Why a body sealed to this node did not open (its key is no longer
    /// configured, say): the envelope stays sealed.
    pub unopened: Option<Error>,
}

/// A receipt given for a received message.
#[derive(Debug, Clone)]
pub struct Receipted {
    /// The signed receipt's canonical bytes.
    pub receipt: Vec<u8>,
    /// Whether the message had been received before (the first receipt is returned).
    pub replayed: bool,
}

/// A message the operator asks the node to send.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outgoing {
    /// The message type (`transfer`, `supplement_request`, …).
    #[serde(rename = "type")]
    pub message_type: String,
    /// The case.
    pub case: String,
    /// The receiving node.
    pub to: String,
    /// The agreement.
    pub agreement: String,
    /// The message answered, if any.
    #[serde(default)]
    pub in_reply_to: Option<String>,
    /// The body, as in the protocol (§6).
    pub body: Value,
}

/// A message queued for delivery.
#[derive(Debug, Clone, Serialize)]
pub struct Queued {
    /// Its id.
    pub id: String,
    /// SHA-256 of its canonical bytes.
    pub sha256: String,
    /// The state of the case's track it moved.
    pub state: String,
}

/// What a node runs on besides its configuration: a process has the system clock, an
/// HTTP client, random message ids and tokio's blocking threads for storage work; a
/// simulation supplies a simulated clock and network, seeds the ids and runs storage
/// work inline, so that a run repeats exactly.
#[derive(Debug, Clone)]
pub struct Environment {
    /// Where "now" comes from; the client reads it too.
    pub clock: Clock,
    /// The outbox's client.
    pub client: Client,
    /// Whether storage work runs on tokio's blocking threads (`true`) or inline on the
    /// task that asks for it (`false`).
    pub blocking_threads: bool,
    /// The seed of the random part of message ids; `None` for the system's randomness.
    pub id_seed: Option<u64>,
}

impl Environment {
    /// A process's environment: the system clock, an HTTP client with the configured
    /// retry policy, blocking threads. ([`Node::open`] gives the client the TLS settings
    /// and the registry's endpoint keys once the registry is open.)
    pub fn process(config: &Config) -> Result<Environment, NodeError> {
        let client = Client::new(config.retry.clone()).map_err(|e| NodeError::Config {
            reason: e.to_string(),
        })?;
        Ok(Environment {
            clock: Clock::system(),
            client,
            blocking_threads: true,
            id_seed: None,
        })
    }
}

/// A running node's state.
#[derive(Debug)]
pub struct Node {
    config: Config,
    /// The registry in force: the pinned one, replaced by [`Node::install_registry`].
    registry: SharedRegistry,
    store: Mutex<Store>,
    /// A second connection for lookups before a message has verified, which never
    /// wait for the writer (SQLite's WAL readers do not block it, nor it them).
    reader: Mutex<Store>,
    /// Messages verified and stored at once, at most `limits.max_requests_in_flight`.
    in_flight: Arc<tokio::sync::Semaphore>,
    /// Request bodies held at once, in KiB, at most `limits.max_body_bytes_in_flight`.
    body_budget: Arc<tokio::sync::Semaphore>,
    environment: Environment,
    ids: Option<Mutex<SeededRandom>>,
    wake: Notify,
    /// The files beside the database (§23).
    files: FileStore,
    /// Notified whenever a fetch is queued.
    fetch_wake: Notify,
    /// The counters and histograms of [`crate::metrics`].
    metrics: Metrics,
    /// Received messages waiting for the next group commit.
    accepting: GroupCommit<Accepting>,
    /// The last readiness found, and when (Unix milliseconds).
    last_readiness: Mutex<Option<(i64, Readiness)>>,
    /// Whether a request is finding the readiness anew.
    refreshing_readiness: std::sync::atomic::AtomicBool,
}

impl Node {
    /// Opens the node's store, in a process's environment.
    pub fn open(config: Config) -> Result<Node, NodeError> {
        let environment = Environment::process(&config)?;
        let mut node = Node::open_in(config, environment)?;
        // The outbox checks each endpoint's key against the registry in force (§21.5),
        // which is open now.
        let tls = crate::tls::client_tls(node.config.tls.as_ref(), &node.registry);
        node.environment.client = Client::with_tls(node.config.retry.clone(), &tls)
            .map_err(|e| NodeError::Config {
                reason: e.to_string(),
            })?
            .with_clock(node.environment.clock.clone());
        Ok(node)
    }

    /// Opens the node's store, in the given environment, and accepts the configuration's
    /// registry only as the registry pinned in the database or an update of it
    /// (see `accepted_registry`): a node never goes back to an older registry, nor takes
    /// one its pinned operators did not sign.
    pub fn open_in(config: Config, mut environment: Environment) -> Result<Node, NodeError> {
        let now = environment.clock.now();
        // On a thread of its own: PostgreSQL's synchronous client cannot run on a thread
        // that drives asynchronous tasks, as the caller's may.
        let opened = std::thread::scope(|scope| {
            scope
                .spawn(|| -> Result<_, NodeError> {
                    let mut store = Store::open_at(&config.database)?;
                    let registry = store.transaction(|db| accepted_registry(db, &config, &now))?;
                    let released =
                        store.transaction(|db| store::release_leases(db, &config.replica))?;
                    let reader = Store::open_reader(&config.database)?;
                    Ok((store, reader, registry, released))
                })
                .join()
        });
        let (store, reader, registry, released) = opened.map_err(|_| NodeError::Storage {
            reason: "opening the database panicked".into(),
        })??;
        if released > 0 {
            tracing::info!(
                replica = %config.replica,
                released,
                "took back the outbox leases of this replica's previous run"
            );
        }
        let registry: SharedRegistry = Arc::new(RwLock::new(Arc::new(registry)));
        environment.client = environment.client.with_clock(environment.clock.clone());
        let reader = Mutex::new(reader);
        let files = FileStore::open(&config.data_dir)?;
        let in_flight = Arc::new(tokio::sync::Semaphore::new(
            config.limits.max_requests_in_flight,
        ));
        let body_budget = Arc::new(tokio::sync::Semaphore::new(
            config.limits.max_body_bytes_in_flight.div_ceil(1024),
        ));
        Ok(Node {
            config,
            registry,
            store: Mutex::new(store),
            reader,
            in_flight,
            body_budget,
            ids: environment
                .id_seed
                .map(|seed| Mutex::new(SeededRandom::new(seed))),
            environment,
            wake: Notify::new(),
            files,
            fetch_wake: Notify::new(),
            metrics: Metrics::new(),
            accepting: GroupCommit::default(),
            last_readiness: Mutex::new(None),
            refreshing_readiness: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// A fresh message id for a message created at `created`: a UUIDv7 whose random
    /// part comes from the system, or from the seeded sequence.
    fn new_message_id(&self, created: &Timestamp) -> MessageId {
        match &self.ids {
            None => MessageId::new_v7(created),
            Some(ids) => {
                let mut ids = ids.lock().unwrap_or_else(|p| p.into_inner());
                let mut random = [0u8; 10];
                random[..8].copy_from_slice(&ids.next_u64().to_be_bytes());
                random[8..].copy_from_slice(&ids.next_u64().to_be_bytes()[..2]);
                MessageId::from_parts(created.unix_millis(), random)
            }
        }
    }

    /// A `lifecycle.receipt_pending` refusal is transient only while this node still
    /// delivers the transfer whose receipt would make the message legal (the one it
    /// answers, else any of the case's to the sender); once that transfer is no longer
    /// on its way, the message is illegal for good. Other errors pass unchanged.
    fn unless_stalled(
        &self,
        db: &Db<'_>,
        case: &Case,
        envelope: &Envelope,
        error: Error,
    ) -> Result<Error, NodeError> {
        if error.code() != "lifecycle.receipt_pending" {
            return Ok(error);
        }
        let own = self.config.node.as_str();
        let answered = case
            .tracks()
            .iter()
            .any(|t| envelope.in_reply_to.as_ref() == Some(&t.transfer));
        for track in case.tracks() {
            let waiting = track.state == ItemState::Transferred
                && track.authority == envelope.from
                && (!answered || envelope.in_reply_to.as_ref() == Some(&track.transfer));
            if waiting
                && store::outbox_status(db, own, track.transfer.as_str())?.as_deref()
                    == Some("pending")
            {
                return Ok(error);
            }
        }
        Ok(tongban::error::LifecycleError::IllegalTransition {
            state: ItemState::Transferred.as_str(),
            message_type: envelope.message_type().as_str().into(),
        }
        .into())
    }

    /// The budget of request bodies held at once, one permit per KiB.
    pub fn body_budget(&self) -> &Arc<tokio::sync::Semaphore> {
        &self.body_budget
    }

    /// A place among the messages verified and stored at once, if there is one free;
    /// it is held until dropped, also by the storage work it is moved into.
    pub fn try_admit(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.in_flight.clone().try_acquire_owned().ok()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// With `registry_named_clients` (§21.5), the member that the registry in force
    /// lists the connection's client key `client` for: `tls.key_not_listed` (transient:
    /// the client connects again with a listed key) where it lists it for none, as after
    /// an update that removed it. `None` without `registry_named_clients`.
    pub fn client_member(&self, client: Option<&ClientKey>) -> Result<Option<NodeId>, Refusal> {
        if !self
            .config
            .tls
            .as_ref()
            .is_some_and(|tls| tls.registry_named_clients)
        {
            return Ok(None);
        }
        // The handshake admits no connection without a listed key.
        let Some(ClientKey(pin)) = client else {
            return Err(crate::server::refusal(
                "tls.key_not_listed",
                "this connection presented no client certificate",
            ));
        };
        let registry = self.registry();
        match registry.member_of_tls_key(pin) {
            Some(listed) => Ok(Some(listed.node.clone())),
            None => {
                tracing::warn!(%pin, "a connection's TLS key is no longer listed for any member");
                Err(crate::server::refusal(
                    "tls.key_not_listed",
                    format!(
                        "this connection's TLS key {pin} is listed for no member in registry version {}: connect again with a listed key",
                        registry.version()
                    ),
                ))
            }
        }
    }

    /// With `registry_named_clients` (§21.5), whether the connection's client key
    /// `client` is listed in the registry in force for `member`, the `role` (sender or
    /// requester) of what was sent over it: `tls.wrong_member` if it is listed for
    /// another, `tls.key_not_listed` if for none.
    pub fn check_client(
        &self,
        client: Option<&ClientKey>,
        member: &NodeId,
        role: &str,
    ) -> Result<(), Refusal> {
        match self.client_member(client)? {
            Some(listed) if listed != *member => {
                tracing::warn!(listed_for = %listed, %member, "TLS key of another member");
                Err(crate::server::refusal(
                    "tls.wrong_member",
                    format!(
                        "this connection's TLS key is listed for {listed}, not for {role} {member}"
                    ),
                ))
            }
            _ => Ok(()),
        }
    }

    /// The trust registry in force.
    pub fn registry(&self) -> Arc<Registry> {
        crate::tls::in_force(&self.registry)
    }

    /// The trust registry in force, as the endpoint's TLS verifier shares it.
    pub fn shared_registry(&self) -> &SharedRegistry {
        &self.registry
    }

    /// Installs `bytes` as the new registry while the node runs: it must be an update
    /// of the registry in force (signed by a threshold of its operator keys and of its
    /// own, a greater version, not expired) that still lists this node with its key.
    /// It is pinned in the database, written over the registry file (if any) so that
    /// the next start finds it, and used from the next message on.
    pub fn install_registry(&self, bytes: &[u8]) -> Result<Arc<Registry>, Refusal> {
        let now = self.now();
        let unusable = |e: Error| {
            let mut refusal = Refusal::from(e);
            refusal.status = 422;
            refusal
        };
        let failed = |e: NodeError| {
            tracing::error!(code = e.code(), "registry not installed: {e}");
            Refusal {
                status: 500,
                body: ErrorBody {
                    code: e.code().into(),
                    message: format!("the registry was not installed: {e}"),
                },
            }
        };
        // Another replica may have installed a later registry: this one takes it up
        // first, so that what is offered is checked as an update of the latest.
        if let Err(e) = self.follow_registry() {
            tracing::warn!(
                code = e.code(),
                "cannot take up the registry another replica installed: {e}"
            );
        }
        // Installations run one at a time, each as an update of the registry in force
        // when it runs: two at once cannot leave the older one in force.
        let mut slot = self.registry.write().unwrap_or_else(|p| p.into_inner());
        let next = slot.update(bytes, &now).map_err(unusable)?;
        // Every form schema compiles before the node trusts the registry.
        next.compile_forms().map_err(unusable)?;
        if let Err((_, reason)) = check_own_keys(&next, &self.config.node, self.config.own_keys()) {
            return Err(crate::auth::refused(
                "operator.registry_without_node",
                reason,
            ));
        }
        // (1.1) Nor one that lists under this node's sealing key id another key: every
        // message sealed to it would fail to open here.
        let sealing_keys = &self.config.sealing_keys;
        if let Err(reason) = check_sealing_keys(&next, &self.config.node, sealing_keys) {
            return Err(crate::auth::refused(
                "operator.registry_without_node",
                reason,
            ));
        }
        // The new file is written and synced beside the old one first, the pin
        // committed, and only then the file renamed over the old one: a failure leaves
        // the pin and the file in agreement (a retry of the same bytes is accepted).
        let staged = match &self.config.registry_file {
            Some(file) => Some((stage_file(file, bytes).map_err(failed)?, file)),
            None => None,
        };
        let mut store = self.store();
        let pinned = store.transaction(|db| {
            // A replica sharing the database pinned a later one meanwhile: never pin
            // below it.
            let pinned = store::pinned_version(db).map_err(failed)?;
            if let Some(pinned) = pinned.filter(|&pinned| pinned > next.version()) {
                return Err(Refusal {
                    status: 409,
                    body: ErrorBody {
                        code: "registry.rollback".into(),
                        message: format!(
                            "registry version {pinned} was installed through another replica meanwhile; this one takes it up within seconds: install a version after it"
                        ),
                    },
                });
            }
            store::pin_registry(db, &next, bytes, &now).map_err(failed)
        });
        drop(store);
        // A refusal drops the staged file, which removes it.
        pinned?;
        if let Some((staged, file)) = staged {
            put_in_place(staged, file).map_err(failed)?;
        }
        let next = Arc::new(next);
        *slot = next.clone();
        tracing::info!(version = next.version(), sha256 = %next.digest(), "registry installed");
        Ok(next)
    }

    /// Takes up the registries that other replicas installed since this one's: pinned
    /// in the database they share, newer than the one in force here (an operator
    /// installs an update at one replica, the one the load balancer chose). Each must be
    /// an update of the one before it, from the one in force, as
    /// [`Node::install_registry`] checked where it was installed: signed by a threshold
    /// of its predecessor's operator keys and of its own, not expired when it was
    /// installed. The last one's form schemas compile and it lists this node's keys;
    /// the registry file (if any) is replaced unless it holds that version or a later
    /// one already, and the registry is in force from the next message on. Returns the
    /// version taken up, if any.
    pub fn follow_registry(&self) -> Result<Option<u64>, NodeError> {
        let in_force = self.registry();
        if self
            .read(store::pinned_version)?
            .is_none_or(|pinned| pinned <= in_force.version())
        {
            return Ok(None);
        }
        let newer = self.read(|db| store::registries_after(db, in_force.version()))?;
        let mut current = in_force;
        let mut newest = None;
        for (version, bytes, installed) in newer {
            let next = current.update(&bytes, &installed).map_err(|e| NodeError::Storage {
                reason: format!(
                    "registry version {version}, pinned by another replica, is not an update of version {}: [{}] {e}",
                    current.version(),
                    e.code()
                ),
            })?;
            current = Arc::new(next);
            newest = Some(bytes);
        }
        let Some(bytes) = newest else {
            return Ok(None);
        };
        let version = current.version();
        let unusable = |reason: String| NodeError::Storage {
            reason: format!("registry version {version}, pinned by another replica: {reason}"),
        };
        current
            .compile_forms()
            .map_err(|e| unusable(format!("[{}] {e}", e.code())))?;
        check_own_keys(&current, &self.config.node, self.config.own_keys())
            .map_err(|(_, reason)| unusable(reason))?;
        check_sealing_keys(&current, &self.config.node, &self.config.sealing_keys)
            .map_err(unusable)?;
        // Staged before the registry's lock is taken: messages go on being verified.
        let staged = match &self.config.registry_file {
            Some(file) if !holds_registry_from(file, version) => {
                Some((stage_file(file, &bytes)?, file))
            }
            _ => None,
        };
        let mut slot = self.registry.write().unwrap_or_else(|p| p.into_inner());
        if slot.version() >= version {
            return Ok(None); // installed here meanwhile (the staged file goes as it drops)
        }
        if let Some((staged, file)) = staged {
            put_in_place(staged, file)?;
        }
        let from = slot.version();
        *slot = current;
        tracing::info!(
            version,
            from,
            "took up the registry another replica installed"
        );
        Ok(Some(version))
    }

    /// What an operator watches: the registry in force and this node's keys (`key`, and
    /// `other_keys` of other suites), with the time left before each expires, and a
    /// warning for each that expires within
    /// [`EXPIRY_WARNING_DAYS`]; (1.1) the sealing keys the registry lists for this node,
    /// with a warning for each valid one the configuration does not give.
    pub fn health(&self) -> Value {
        let now = self.now();
        let registry = self.registry();
        let days_until =
            |at: &Timestamp| (at.unix_seconds() - now.unix_seconds()).div_euclid(86_400);
        let mut warnings = Vec::new();
        let registry_days = days_until(&registry.document().expires);
        if registry_days < EXPIRY_WARNING_DAYS {
            warnings.push(format!(
                "the registry (version {}) expires at {}, in {registry_days} days: install its successor",
                registry.version(),
                registry.document().expires
            ));
        }
        // A replica that cannot take up what another installed (Node::follow_registry).
        if let Ok(Some(pinned)) = self.read(store::pinned_version) {
            if pinned > registry.version() {
                warnings.push(format!(
                    "registry version {pinned} is pinned in the database, but version {} is in force here: this replica cannot take it up (its log says why)",
                    registry.version()
                ));
            }
        }
        // Each of the node's keys (its main key, and its keys of other suites): when it
        // stops being valid, or that it is missing from the registry.
        let mut keys = Vec::new();
        for (setting, key) in self.config.own_keys() {
            let listed = registry
                .member(&self.config.node)
                .and_then(|m| m.keys.iter().find(|k| &k.key_id == key.key_id()));
            let days = listed.map(|k| days_until(&k.valid_until));
            match (listed, days) {
                (Some(listed), Some(days)) if days < EXPIRY_WARNING_DAYS => warnings.push(format!(
                    "this node's key {} is valid until {}, in {days} days: publish its successor in the registry and switch {setting}",
                    listed.key_id, listed.valid_until
                )),
                (None, _) => warnings.push(format!(
                    "this node's key {} is not in the registry in force",
                    key.key_id()
                )),
                _ => {}
            }
            keys.push(json!({
                "id": key.key_id(),
                "suite": key.algorithm().as_str(),
                "valid_until": listed.map(|k| &k.valid_until),
                "days_left": days,
            }));
        }
        let other_keys = keys.split_off(1);
        // (1.1) The sealing keys the registry lists for this node (§24.2): partners
        // seal to one from its valid_from on, and until its grace ends after its
        // valid_until; each must be in the configuration by then.
        let mut sealing_keys = Vec::new();
        // The grace and the clock-skew allowance (§11) after its valid_until.
        let skew = tongban::MajorVersion::V1.rules().clock_skew_seconds;
        let grace = tongban::seal::SEAL_GRACE_SECONDS + skew;
        let listed_sealing = registry.sealing_keys_of(&self.config.node);
        for listed in listed_sealing.unwrap_or_default() {
            // From its listing on (it must be here before partners seal to it), of a
            // suite partners seal with, not revoked yet.
            let known = tongban::seal::SealingSuite::from_name(&listed.algorithm).is_ok();
            let revoked =
                (listed.revoked.as_ref()).is_some_and(|at| at.unix_seconds() <= now.unix_seconds());
            let in_use = known
                && !revoked
                && now.unix_seconds() <= listed.valid_until.unix_seconds() + grace;
            let held = (self.config.sealing_keys.iter()).any(|k| k.key_id() == &listed.key_id);
            if in_use && !held {
                warnings.push(format!(
                    "the registry lists this node's sealing key {} (valid {} to {}), which sealing_key_files does not give: messages sealed to it cannot be opened here, and are refused until it does",
                    listed.key_id, listed.valid_from, listed.valid_until
                ));
            }
            sealing_keys.push(json!({
                "id": listed.key_id,
                "suite": listed.algorithm,
                "valid_until": listed.valid_until,
                "days_left": days_until(&listed.valid_until),
                "held": held,
            }));
        }
        // The certificate the endpoint serves and the outbox presents, if the node
        // speaks HTTPS itself.
        let tls = self.config.tls.as_ref().map(|tls| {
            let expires = &tls.certificate_expires;
            let days = days_until(expires);
            if days < EXPIRY_WARNING_DAYS {
                warnings.push(format!(
                    "this node's TLS certificate expires at {expires}, in {days} days: install its successor (tls.certificate_file) and restart"
                ));
            }
            json!({ "expires": expires, "days_left": days })
        });
        json!({
            "status": if warnings.is_empty() { "ok" } else { "warning" },
            "node": self.config.node,
            "registry": {
                "version": registry.version(),
                "sha256": registry.digest(),
                "expires": registry.document().expires,
                "days_left": registry_days,
            },
            "key": keys.pop(),
            "other_keys": other_keys,
            "sealing_keys": sealing_keys,
            "tls": tls,
            "warnings": warnings,
        })
    }

    /// The node's metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The metrics' text for a scrape, with the outbox's and the fetches' states read
    /// through the reader connection.
    pub fn metrics_text(&self) -> Result<String, NodeError> {
        let registry = self.registry();
        let snapshot = self.read(|db| {
            Ok(Snapshot {
                outbox: store::status_counts(db, "outbox")?,
                fetches: store::status_counts(db, "fetches")?,
                registry_expiry_seconds: registry.document().expires.unix_seconds()
                    - self.now().unix_seconds(),
            })
        })?;
        Ok(self.metrics.encode(&snapshot))
    }

    /// Whether the node can take messages now: its database answers and the registry
    /// in force has not expired (a node cannot verify anything under an expired one).
    /// Each check that fails gives its reason, for the node's own log; the readiness
    /// endpoint shows only which checks failed.
    pub fn readiness(&self) -> Readiness {
        let pinned = self.read(store::pinned_version);
        let database = pinned
            .as_ref()
            .err()
            .map(|e| format!("the database does not answer: {e}"));
        // A replica behind the registry pinned by another takes it up now; one that
        // cannot would accept what the others refuse (a revoked key, say): not ready.
        let behind = match pinned {
            Ok(Some(pinned)) if pinned > self.registry().version() => {
                self.follow_registry().err().map(|e| {
                    format!("registry version {pinned}, pinned in the database, cannot be taken up here: {e}")
                })
            }
            _ => None,
        };
        let registry = self.registry();
        let expires = &registry.document().expires;
        let expired = (self.now().unix_seconds() >= expires.unix_seconds()).then(|| {
            format!(
                "the registry in force (version {}) expired at {expires}: install its successor",
                registry.version()
            )
        });
        let readiness = Readiness {
            database,
            registry: behind.or(expired),
        };
        let mut last = self
            .last_readiness
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let changed = last.as_ref().map(|(_, seen)| seen) != Some(&readiness);
        if changed && !readiness.is_ready() {
            for reason in [&readiness.database, &readiness.registry]
                .into_iter()
                .flatten()
            {
                tracing::warn!("not ready: {reason}");
            }
        } else if changed && last.is_some() {
            tracing::info!("ready again");
        }
        *last = Some((self.now_millis(), readiness.clone()));
        self.refreshing_readiness
            .store(false, std::sync::atomic::Ordering::SeqCst);
        readiness
    }

    /// The readiness found within the last second, or the last one found while another
    /// request finds it anew; `None` when the caller should call [`Node::readiness`].
    /// So a flood of probes costs one database query a second.
    pub fn recent_readiness(&self) -> Option<Readiness> {
        let last = self
            .last_readiness
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let (at, readiness) = last.as_ref()?;
        let fresh = self.now_millis().saturating_sub(*at) < 1_000;
        let refreshing = || {
            self.refreshing_readiness
                .swap(true, std::sync::atomic::Ordering::SeqCst)
        };
        (fresh || refreshing()).then(|| readiness.clone())
    }

    /// Removes the files no message references after [`files::RETENTION`], and partial
    /// files untouched as long (§23.7). They are found without a lock, then removed in a
    /// write transaction, each whole file checked again there: a send checks that its
    /// files are held in its own write transaction, so no message, on this replica or
    /// another sharing the database and the files, comes to reference a file as it goes.
    pub fn collect_file_garbage(&self) -> Result<files::Collected, NodeError> {
        // A file whose references cannot be read is kept.
        let garbage = self.read(|db| {
            self.files.find_garbage(
                |sha256| records::is_referenced(db, sha256).unwrap_or(true),
                files::RETENTION,
            )
        })?;
        // A hundred at a time: the writer lock of every replica is held no longer.
        let mut collected = files::Collected::default();
        for batch in garbage.chunks(100) {
            collected += self.store().transaction(|db| {
                self.files.remove_garbage(batch, |sha256| {
                    records::is_referenced(db, sha256).unwrap_or(true)
                })
            })?;
        }
        Ok(collected)
    }

    /// Logs the warnings of [`Node::health`], if any.
    pub fn warn_of_expiry(&self) {
        let health = self.health();
        for warning in health["warnings"].as_array().into_iter().flatten() {
            tracing::warn!("{}", warning.as_str().unwrap_or_default());
        }
    }

    /// The client of the outbox.
    pub fn client(&self) -> &Client {
        &self.environment.client
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        self.environment.clock.now()
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> i64 {
        self.environment.clock.unix_millis()
    }

    /// Runs storage work (blocking SQLite calls) off the async threads, or inline in a
    /// simulation. Work that panicked is a storage failure.
    pub async fn storage_work<T, E>(
        &self,
        work: impl FnOnce() -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<NodeError> + Send + 'static,
    {
        if !self.environment.blocking_threads {
            return work();
        }
        tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
            Err(E::from(NodeError::Storage {
                reason: format!("the storage task failed: {e}"),
            }))
        })
    }

    /// Notified whenever a message is queued.
    pub fn outbox_wake(&self) -> &Notify {
        &self.wake
    }

    /// Notified whenever a file fetch is queued.
    pub fn fetch_wake(&self) -> &Notify {
        &self.fetch_wake
    }

    /// The file store.
    pub fn files(&self) -> &FileStore {
        &self.files
    }

    /// Runs a lookup on the read-only connection, which never waits for the writer.
    pub fn read<T: Send>(
        &self,
        lookup: impl FnOnce(&Db<'_>) -> Result<T, NodeError> + Send,
    ) -> Result<T, NodeError> {
        let mut reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        reader.run(lookup)
    }

    /// The store, locked. A poisoned lock only means a thread panicked mid-request;
    /// its transaction was rolled back when it unwound, so the data is consistent.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Receives a message posted to this node. A message received before returns its
    /// first receipt and changes nothing. A new one is verified against the registry and
    /// its accepting receipt signed before the store is locked (on the blocking pool's
    /// threads, several at a time); then one transaction checks the replay record,
    /// applies the message to its case and stores both with the receipt, and only after
    /// the commit is the receipt returned.
    pub fn receive(&self, bytes: &[u8]) -> Result<Receipted, Refusal> {
        self.receive_over(bytes, None)
    }

    /// [`Node::receive`] of a message posted over a connection whose client presented
    /// the certificate key `client` (§21.5): with `registry_named_clients`, the
    /// message's sender must be the member the registry lists that key for
    /// (`tls.wrong_member` otherwise, before any signature is checked).
    pub fn receive_over(
        &self,
        bytes: &[u8],
        client: Option<&ClientKey>,
    ) -> Result<Receipted, Refusal> {
        let now = self.now();
        let unverified = Unverified::parse(bytes)?;
        let (sender, id) = {
            let e = unverified.envelope();
            (e.from.clone(), e.id.clone())
        };
        let message_type = unverified.envelope().message_type().as_str();
        // Every line logged about this message names it and its case.
        let span = tracing::info_span!(
            "message",
            message_id = %id,
            case_id = %unverified.envelope().case,
            from = %sender
        );
        let _entered = span.enter();
        self.check_client(client, &sender, "the message's sender")?;
        let digest = unverified.digest().clone();
        // The same message again: its first receipt, nothing changes. Another message
        // with a known id is refused in the transaction, after its signatures verified
        // (§8), so that unsigned probes learn nothing.
        // These lookups read through the reader connection: a request that has not
        // verified never takes the store's (the writer's) lock.
        let stored_copy = |node: &Node| -> Result<Option<Receipted>, NodeError> {
            let stored = node.read(|db| store::find_message(db, &sender, &id))?;
            Ok(stored.and_then(|stored| first_receipt(stored, &digest)))
        };
        if let Some(first) = stored_copy(self)? {
            return Ok(first);
        }
        // One registry for the whole message: verified and applied under the same one,
        // whatever is installed meanwhile.
        let registry = self.registry();
        let prepared = match self.verify_and_sign(&registry, unverified, &now) {
            Ok(prepared) => prepared,
            Err(refusal) => {
                // A copy stored while this one was being verified gets its first receipt,
                // whatever this verification said at its own `now` (§22).
                return match stored_copy(self)? {
                    Some(first) => Ok(first),
                    None => Err(refusal),
                };
            }
        };
        let Prepared {
            verified,
            receipt,
            own_receipt,
        } = prepared;
        let accepting = Accepting {
            sender,
            id,
            digest,
            verified,
            receipt,
            own_receipt,
            registry,
            now,
            span: tracing::Span::current(),
        };
        // Committed with the messages that arrive meanwhile, answered after the commit.
        let result = self
            .accepting
            .submit(accepting, &self.store, |store, group| {
                let works = group
                    .into_iter()
                    .map(|accepting| move |db: &Db<'_>| self.accept(db, accepting))
                    .collect();
                store.group_transaction(works)
            });
        match result {
            Err(refusal) => {
                tracing::warn!(code = %refusal.body.code, "refused: {}", refusal.body.message);
                Err(refusal)
            }
            Ok((receipted, fetches)) => {
                if !receipted.replayed {
                    tracing::info!(
                        r#type = message_type,
                        "received and stored with its receipt"
                    );
                }
                // The fetcher looks again only when a message gave it files to fetch.
                if fetches {
                    self.fetch_wake.notify_one();
                }
                Ok(receipted)
            }
        }
    }

    /// Stores a verified message with its effect and receipt, within the transaction
    /// `db` of a group commit: the replay record (the stored messages themselves), the
    /// case moved on, the message and its receipt, its files' references and fetches.
    /// Gives the receipt, and whether the message queued files to fetch.
    fn accept(&self, db: &Db<'_>, accepting: Accepting) -> Result<(Receipted, bool), Refusal> {
        let Accepting {
            sender,
            id,
            digest,
            verified,
            receipt,
            own_receipt,
            registry,
            now,
            span,
        } = accepting;
        let _entered = span.enter();
        let registry = &*registry;
        // The replay record is the stored messages themselves. The message is stored
        // only if none of its sender and id is (the insert is the check, one statement
        // under the lock); a copy stored first gets its first receipt, whatever applying
        // this one again would say.
        let replay = |db: &Db<'_>| -> Result<Option<Receipted>, Refusal> {
            let Some(stored) = store::find_message(db, &sender, &id)? else {
                return Ok(None);
            };
            let first = first_receipt(stored, &digest).ok_or_else(|| {
                Refusal::from(Error::from(tongban::error::ReplayError::Duplicate {
                    sender: sender.to_string(),
                    message_id: id.to_string(),
                }))
            })?;
            Ok(Some(first))
        };
        let envelope = verified.envelope();
        let applied = (|| -> Result<(Case, CaseKey), Refusal> {
            let mut case = case_of(db, envelope)?;
            if let Err(error) = case.apply(&verified, registry) {
                let error = self.unless_stalled(db, &case, envelope, error)?;
                return Err(Refusal::from(error));
            }
            if let Some(own) = &own_receipt {
                case.apply(own, registry)?;
            }
            let key = CaseKey::of(&case).ok_or_else(|| NodeError::Storage {
                reason: format!("case {} has no track after its message", case.id()),
            })?;
            Ok((case, key))
        })();
        let (case, key) = match applied {
            Ok(applied) => applied,
            // Whatever refused it here (its case, this node's own receipt of it), a
            // copy stored first gets its first receipt.
            Err(refusal) => {
                return match replay(db)? {
                    Some(first) => Ok((first, false)),
                    None => Err(refusal),
                }
            }
        };
        let stored = store::insert_message_once(
            db,
            &StoredMessage {
                direction: "in".into(),
                sender: envelope.from.to_string(),
                receiver: envelope.to.to_string(),
                id: envelope.id.to_string(),
                message_type: envelope.message_type().as_str().into(),
                sha256: digest.to_string(),
                // What the digest (and so the receipt) covers: the canonical bytes,
                // never the body as received (padding a sender added is not kept).
                bytes: verified.canonical_bytes(),
                receipt: Some(receipt.clone()),
                stored_at: now.to_string(),
            },
            &key,
        )?;
        if !stored {
            // Nothing of this one is written: the stored copy answers.
            return replay(db)?.map(|first| (first, false)).ok_or_else(|| {
                Refusal::from(NodeError::Storage {
                    reason: format!("message {id} of {sender} is stored and yet not found"),
                })
            });
        }
        store::save_case(db, &case, &now)?;
        let exchange = files::exchanges(envelope);
        records::record_references(db, envelope, "in")?;
        let references = tongban::file::references(&envelope.body);
        let fetches = exchange && !references.is_empty();
        if fetches {
            for reference in references {
                if !self.files.holds(reference) {
                    // A sealed file is fetched as its sealed bytes, at their address.
                    let travelling = tongban::file::fetched(reference);
                    records::enqueue_fetch(db, &travelling, &envelope.from, self.now_millis())?;
                }
            }
            records::await_acknowledgement(db, &envelope.from, &envelope.id)?;
        }
        tracing::debug!(
            case = %key, r#type = envelope.message_type().as_str(),
            "applied to its case; committing with its receipt"
        );
        let receipted = Receipted {
            receipt,
            replayed: false,
        };
        Ok((receipted, fetches))
    }

    /// Verifies a received message against the registry, with the replay check left to
    /// the transaction that stores it, and signs its accepting receipt and checks it as
    /// the sender will (for a transfer that receipt also starts the time limit on this
    /// side). Nothing here needs the store, so it runs before the store is locked. A
    /// receipt dated past the agreement's wind-down refuses the message for good
    /// (`agreement.inactive`); any other receipt this node cannot sign or verify is its
    /// own fault (e.g. its key retired), never the sender's: `node.storage` (500),
    /// retried later.
    fn verify_and_sign(
        &self,
        registry: &Registry,
        message: Unverified,
        now: &Timestamp,
    ) -> Result<Prepared, Refusal> {
        // (1.1) A sealed body is opened with this node's sealing key (§24.5) and checked
        // inside; what is stored is the message as it arrived, sealed.
        let sealed_to = message
            .envelope()
            .body
            .sealed()
            .map(|b| b.sealed.kid.clone());
        let verified = Verifier::with_replay_guard(registry, ReplayCheckedWhenStored)
            .for_receiver(self.config.node.clone())
            .verify_and_open(message, &self.config.sealing_keys, now)
            .map_err(|e| self.unless_own_key_missing(e, sealed_to.as_ref(), registry))?;
        let own_fault = |e: Error| {
            Refusal::from(NodeError::Config {
                reason: format!("this node cannot sign a receipt the registry accepts: {e}"),
            })
        };
        // A receipt follows the version of the message it answers, which both speak;
        // under an agreement on sm2-sm3 a receipt of 1.1 binds the SM3 digest too.
        let protocol = verified.envelope().protocol;
        let carries_sm3 = registry
            .agreement(&verified.envelope().agreement)
            .is_some_and(|agreement| Registry::carries_sm3(agreement, protocol));
        let body = Body::Receipt(Receipt {
            answers_sha256: verified.digest().clone(),
            answers_sm3: carries_sm3.then(|| verified.sm3_digest()),
            outcome: ReceiptOutcome::Accepted { reference: None },
        });
        let mut reply = verified
            .envelope()
            .reply(body, now.clone(), VALIDITY_SECONDS)
            .map_err(own_fault)?;
        reply.id = self.new_message_id(now);
        reply.protocol = protocol;
        let key = self.config.key_for(registry, &reply.agreement);
        // Every receipt is checked as its sender will check it before anything is
        // stored: a receipt the sender would refuse must not follow a committed effect.
        // The signature just made is not verified again: the registry must list this
        // very key under its id (`sign_and_check`). Past the agreement's wind-down the
        // message is refused for good; any other failure (this node's key retired, say)
        // is this node's own, retried later.
        let (receipt, own_receipt) = Verifier::new(registry)
            .any_receiver()
            .sign_and_check(&mut reply, key, now)
            .map_err(|e| match e.code() {
                "agreement.inactive" => Refusal::from(e),
                _ => own_fault(e),
            })?;
        // The transfer's accepting receipt moves the case on this side too.
        let own_receipt =
            matches!(verified.envelope().body, Body::Transfer(_)).then_some(own_receipt);
        Ok(Prepared {
            verified,
            receipt,
            own_receipt,
        })
    }

    /// The refusal of a message that did not verify; when it is sealed to a sealing
    /// key the registry lists for this node and the configuration does not give
    /// (`seal.unknown_key`), the fault is this node's: a 500 the sender retries, not
    /// the final refusal that would fail its delivery for good.
    fn unless_own_key_missing(
        &self,
        error: Error,
        sealed_to: Option<&KeyId>,
        registry: &Registry,
    ) -> Refusal {
        let listed = registry
            .sealing_keys_of(&self.config.node)
            .unwrap_or_default();
        match sealed_to {
            Some(kid)
                if error.code() == "seal.unknown_key"
                    && listed.iter().any(|key| &key.key_id == kid) =>
            {
                Refusal::from(NodeError::Config {
                    reason: format!(
                        "a message is sealed to this node's sealing key {kid}, which the registry lists and sealing_key_files does not give: add its file"
                    ),
                })
            }
            _ => Refusal::from(error),
        }
    }

    /// Builds, signs and queues a message from the operator. It is verified against
    /// the registry and applied to the case here first, so that a message the receiver
    /// would refuse is never sent.
    pub fn send(&self, outgoing: Outgoing) -> Result<Queued, Refusal> {
        let now = self.now();
        let message_type = MessageType::try_from(outgoing.message_type.as_str())?;
        let body = Body::from_json(message_type, &outgoing.body)?;
        let route = Route {
            from: self.config.node.clone(),
            to: NodeId::parse(outgoing.to.as_str()).map_err(Error::from)?,
            agreement: AgreementId::parse(outgoing.agreement.as_str()).map_err(Error::from)?,
            case: CaseId::parse(outgoing.case.as_str()).map_err(Error::from)?,
        };
        let registry = &*self.registry();
        // The version negotiated with the receiver (§10, §20); a type of a later version
        // than that is refused when the message is verified below, and so is a receiver
        // that speaks no version with this node (version.not_negotiated).
        let protocol = registry
            .negotiate(&route.from, &route.to)
            .unwrap_or(ProtocolVersion::V1_0);
        let mut body = body;
        // (1.1) Under an agreement on sm2-sm3 a reference carries the file's SM3 digest
        // too: this node gives it for each file it holds (one not held is refused below).
        if registry
            .agreement(&route.agreement)
            .is_some_and(|agreement| Registry::carries_sm3(agreement, protocol))
        {
            for reference in tongban::file::references_mut(&mut body) {
                if reference.sm3.is_none() && self.files.holds(reference) {
                    reference.sm3 = Some(self.files.sm3_of(reference).map_err(Refusal::from)?);
                }
            }
        }
        let mut envelope =
            Envelope::new(route, body, now.clone(), VALIDITY_SECONDS)?.with_protocol(protocol);
        envelope.id = self.new_message_id(&now);
        envelope.in_reply_to = outgoing
            .in_reply_to
            .map(|id| MessageId::parse(id.as_str()).map_err(Error::from))
            .transpose()?;
        // (1.1) To a receiver that lists a sealing key, each file is sealed first, then
        // the body (§24.5, §24.6). The sealed copies of a message refused are removed.
        let sealed = self.seal_files(registry, &mut envelope)?;
        let queued = self.sign_check_and_queue(registry, envelope, message_type, &now);
        if queued.is_err() {
            self.remove_sealed_copies(&sealed);
        }
        queued
    }

    /// Removes the sealed copies at `addresses` of a message that was not sent, unless
    /// a message references them (a commit whose answer was lost did record them).
    fn remove_sealed_copies(&self, addresses: &[Sha256Digest]) {
        for address in addresses {
            if let Ok(false) = self.read(|db| records::is_referenced(db, address)) {
                let _ = std::fs::remove_file(self.files.path(address));
            }
        }
    }

    /// [`Node::send`] once the files are sealed: seals the body if it is to be, signs
    /// it, checks it, applies it to its case, stores and queues it.
    fn sign_check_and_queue(
        &self,
        registry: &Registry,
        mut envelope: Envelope,
        message_type: MessageType,
        now: &Timestamp,
    ) -> Result<Queued, Refusal> {
        // Checked as the receiver will check it (but for the signature just made here);
        // the body kept is the one in clear, its files' `sealed` filled in.
        let key = self.config.key_for(registry, &envelope.agreement);
        let (bytes, verified) = Verifier::new(registry).any_receiver().sign_seal_and_check(
            &mut envelope,
            key,
            now,
            |m| registry.seal_body(m),
        )?;
        let envelope = verified.envelope();
        let mut store = self.store();
        let queued = store.transaction(|db| {
            // A partner that exchanges files fetches them from here: they must be here.
            // Looked at in the write transaction, in which the garbage collection of
            // every replica removes files too: none can go between the look and the
            // commit that makes it referenced.
            if files::exchanges(envelope) {
                self.check_held(envelope)?;
            }
            let mut case = case_of(db, envelope)?;
            let state = case.apply(&verified, registry)?;
            let key = store::save_case(db, &case, now)?;
            store::insert_message(
                db,
                &StoredMessage {
                    direction: "out".into(),
                    sender: envelope.from.to_string(),
                    receiver: envelope.to.to_string(),
                    id: envelope.id.to_string(),
                    message_type: message_type.as_str().into(),
                    sha256: verified.digest().to_string(),
                    bytes: bytes.clone(),
                    receipt: None,
                    stored_at: now.to_string(),
                },
                &key,
            )?;
            records::record_references(db, envelope, "out")?;
            store::enqueue(
                db,
                envelope.from.as_str(),
                envelope.id.as_str(),
                self.now_millis(),
            )?;
            Ok::<_, Refusal>(Queued {
                id: envelope.id.to_string(),
                sha256: verified.digest().to_string(),
                state: state.as_str().into(),
            })
        })?;
        tracing::info!(message_id = %queued.id, case_id = %envelope.case, to = %envelope.to, r#type = message_type.as_str(), "queued");
        self.wake.notify_one();
        Ok(queued)
    }

    /// Refuses a message some file of which this node does not hold as it travels
    /// (`operator.file_missing`): partners fetch them from here.
    fn check_held(&self, envelope: &Envelope) -> Result<(), Refusal> {
        let missing = tongban::file::references(&envelope.body)
            .into_iter()
            .find(|reference| !self.files.holds(reference));
        match missing {
            Some(missing) => Err(crate::auth::refused(
                "operator.file_missing",
                format!(
                    "{} ({}, {} bytes) is not held here: upload it first (POST /operator/v1/files)",
                    missing.name, missing.sha256, missing.size
                ),
            )),
            None => Ok(()),
        }
    }

    /// (1.1) When the body of `envelope` (not signed yet) is to be sealed (§24.5),
    /// seals each of its files first (§24.6), to the key [`Registry::body_sealing_key`]
    /// gives, which [`Registry::seal_body`] then seals the body to: each reference gets
    /// its `sealed` member, and the sealed bytes are stored at their address, served
    /// from there (their addresses are returned). A body that stays in clear is left as
    /// it is. A reference that comes with `sealed` is refused: keys are made here.
    fn seal_files(
        &self,
        registry: &Registry,
        envelope: &mut Envelope,
    ) -> Result<Vec<Sha256Digest>, Refusal> {
        let references = tongban::file::references(&envelope.body);
        if let Some(given) = references.iter().find(|r| r.sealed.is_some()) {
            return Err(crate::server::refusal(
                "message.invalid",
                format!(
                    "/body/…/sealed: {} comes with sealed, which this node fills in itself: give the reference its upload answered",
                    given.name
                ),
            ));
        }
        let Some((kid, key)) = registry.body_sealing_key(envelope)? else {
            return Ok(Vec::new());
        };
        self.check_held(envelope)?;
        let mut sealed: Vec<tongban::seal::SealedFile> = Vec::new();
        for reference in references {
            match self.files.seal(envelope, &kid, &key, reference) {
                Ok(file) => sealed.push(file),
                Err(e) => {
                    let addresses: Vec<_> = sealed.into_iter().map(|file| file.sha256).collect();
                    self.remove_sealed_copies(&addresses);
                    return Err(Refusal::from(e));
                }
            }
        }
        let addresses = sealed.iter().map(|file| file.sha256.clone()).collect();
        let references = tongban::file::references_mut(&mut envelope.body);
        for (reference, sealed) in references.into_iter().zip(sealed) {
            reference.sealed = Some(sealed);
        }
        Ok(addresses)
    }

    /// A stored message as this node reads it: its body opened with this node's
    /// sealing key when it arrived sealed (§24.5). A message this node sealed and sent
    /// stays sealed (its receiver's key opens it, not this node's), and so does one
    /// sealed to a key this node no longer has ([`Readable::unopened`] says why).
    /// Refused: bytes that are not a message.
    pub fn readable(&self, bytes: &[u8]) -> Result<Readable, Error> {
        let mut envelope = Unverified::parse(bytes)?.envelope().clone();
        let (mut opened_with, mut unopened) = (None, None);
        if envelope.body.sealed().is_some() && envelope.to == self.config.node {
            match envelope.reopen_body(&self.config.sealing_keys) {
                Ok(kid) => opened_with = kid,
                Err(e) => unopened = Some(e),
            }
        }
        Ok(Readable {
            envelope,
            opened_with,
            unopened,
        })
    }

    /// (1.1) Opens every sealed file of `message` (a message received, opened) held
    /// here against its reference in that very message, and checks it (§24.6): sealed
    /// bytes are bound to one message, and a sender could name the address of bytes
    /// sealed for another. `Ok` when each opens and is its reference's file.
    pub fn check_sealed_files(&self, message: &Readable) -> Result<(), files::OpenError> {
        let references = tongban::file::references(&message.envelope.body);
        for reference in references.into_iter().filter(|r| r.sealed.is_some()) {
            self.check_sealed_file(message, reference)?;
        }
        Ok(())
    }

    /// (1.1) Opens the held sealed bytes of `reference`, one of `message`'s (opened
    /// here), and checks them against it, whole.
    fn check_sealed_file(
        &self,
        message: &Readable,
        reference: &FileRef,
    ) -> Result<(), files::OpenError> {
        let opener = self.file_opener(message, reference)?;
        let path = self.files.path(reference.address());
        self.files.open_sealed(&path, opener, reference, |_| Ok(()))
    }

    /// (1.1) Removes each sealed file of `message` (received) held here whose bytes no
    /// longer hash to its address, and queues its fetch again; whether there was one.
    fn refetch_altered(&self, message: &Readable) -> Result<bool, NodeError> {
        let envelope = &message.envelope;
        let mut altered = false;
        for reference in tongban::file::references(&envelope.body) {
            let address = reference.address();
            if reference.sealed.is_none() || self.files.hashes_to(address)? {
                continue;
            }
            altered = true;
            let _ = std::fs::remove_file(self.files.path(address));
            let travelling = tongban::file::fetched(reference);
            let now = self.now_millis();
            self.store().transaction(|db| {
                records::enqueue_fetch(db, &travelling, &envelope.from, now)?;
                records::fetch_again(db, address, &envelope.from, now)
            })?;
        }
        Ok(altered)
    }

    /// (1.1) An opener of the sealed bytes of `reference`, one of `message`'s (opened
    /// here), with the sealing key its body was opened with.
    pub fn file_opener(
        &self,
        message: &Readable,
        reference: &FileRef,
    ) -> Result<tongban::seal::FileOpener, files::OpenError> {
        let kid = message.opened_with.as_ref();
        let key = (self.config.sealing_keys.iter()).find(|key| Some(key.key_id()) == kid);
        let Some(key) = key else {
            return Err(files::OpenError::Refused(Error::from(
                tongban::error::SealError::UnknownKey {
                    key_id: kid.map(|k| k.to_string()).unwrap_or_default(),
                },
            )));
        };
        (message.envelope)
            .file_opener(reference, key)
            .map_err(files::OpenError::Refused)
    }

    /// (1.1) The sealed file (§24.6) received at `address`, opened and checked whole
    /// for the operator: the message it came in and its reference there. Each message
    /// received that references a file at that address is tried (a partner can name
    /// the address of bytes sealed for another message, which do not open under its
    /// own); the first whose reference is sealed and opens and checks is the one.
    /// `None` when a message received has the file at that address in clear, or none
    /// has it sealed; the last refusal when none opens.
    pub fn sealed_received(
        &self,
        address: &Sha256Digest,
    ) -> Result<Option<(Readable, FileRef)>, files::OpenError> {
        let candidates = self.read(|db| records::received_at(db, address))?;
        let mut refused = None;
        for (sender, id) in candidates {
            let Some(stored) = self.read(|db| store::find_message(db, &sender, &id))? else {
                continue;
            };
            let Ok(message) = self.readable(&stored.bytes) else {
                continue;
            };
            let reference = tongban::file::references(&message.envelope.body)
                .into_iter()
                .find(|r| r.address() == address)
                .cloned();
            let Some(reference) = reference else {
                continue;
            };
            if reference.sealed.is_none() {
                // A file received in clear at that address: served as it is.
                return Ok(None);
            }
            match self.check_sealed_file(&message, &reference) {
                Ok(()) => return Ok(Some((message, reference))),
                Err(files::OpenError::Refused(e)) => refused = Some(e),
                Err(storage) => return Err(storage),
            }
        }
        match refused {
            Some(e) => Err(files::OpenError::Refused(e)),
            None => Ok(None),
        }
    }

    /// Answers with `files_received` (§23.5) every received message whose files are
    /// all held now, verified, and that was not answered so yet. A message answered
    /// before (a crash between sending and recording) is refused by its case's
    /// lifecycle and simply recorded as answered. Returns how many were sent.
    pub fn acknowledge_files(&self) -> Result<usize, NodeError> {
        let awaiting = self.store().run(records::awaiting_acknowledgement)?;
        let mut sent = 0;
        for (sender, id) in awaiting {
            let stored = {
                let sender_id = NodeId::parse(sender.as_str()).map_err(|e| NodeError::Storage {
                    reason: e.to_string(),
                })?;
                let id = MessageId::parse(id.as_str()).map_err(|e| NodeError::Storage {
                    reason: e.to_string(),
                })?;
                self.store()
                    .run(|db| store::find_message(db, &sender_id, &id))?
            };
            let Some(stored) = stored else {
                continue;
            };
            let message = match self.readable(&stored.bytes) {
                Ok(message) => message,
                Err(e) => {
                    tracing::warn!(message_id = %id, code = e.code(), "files_received not sent: the stored message cannot be read: {e}");
                    continue;
                }
            };
            if let Some(e) = &message.unopened {
                tracing::warn!(message_id = %id, code = e.code(), "files_received not sent: the message's body does not open here: {e}");
                continue;
            }
            let envelope = &message.envelope;
            let references = tongban::file::references(&envelope.body);
            if !references.iter().all(|r| self.files.holds(r)) {
                continue;
            }
            // (§24.6) Its sealed files, held, open under this message and are the files
            // its references name. Sealed bytes altered here since they were fetched
            // (checked against their address then) are fetched again; the sender's own
            // bytes that are not the file are not acknowledged, ever.
            match self.check_sealed_files(&message) {
                Ok(()) => {}
                Err(files::OpenError::Refused(e)) => {
                    if self.refetch_altered(&message)? {
                        tracing::error!(message_id = %id, code = e.code(), "a sealed file held here was altered since it was fetched: fetched again");
                        continue;
                    }
                    tracing::error!(message_id = %id, case_id = %envelope.case, code = e.code(), "files_received withheld for good: a sealed file of the message is not the file its reference names: {e}");
                    self.store()
                        .run(|db| records::acknowledged(db, &sender, &id))?;
                    continue;
                }
                Err(files::OpenError::Storage(e)) => return Err(e),
            }
            // Each file by its address: a sealed file by its sealed digest (§23.5).
            let mut files: Vec<&Sha256Digest> = Vec::new();
            for reference in &references {
                if !files.contains(&reference.address()) {
                    files.push(reference.address());
                }
            }
            let answer = Outgoing {
                message_type: MessageType::FilesReceived.as_str().into(),
                case: envelope.case.to_string(),
                to: envelope.from.to_string(),
                agreement: envelope.agreement.to_string(),
                in_reply_to: Some(envelope.id.to_string()),
                body: json!({ "files": files }),
            };
            match self.send(answer) {
                Ok(queued) => {
                    sent += 1;
                    tracing::info!(message_id = %id, case_id = %envelope.case, files = files.len(), files_received = %queued.id, "every file of the message is held and verified: files_received queued");
                }
                Err(refusal) if refusal.body.code == "lifecycle.illegal_transition" => {}
                Err(refusal) => {
                    tracing::warn!(message_id = %id, case_id = %envelope.case, code = %refusal.body.code, "files_received not sent: {}", refusal.body.message);
                    continue;
                }
            }
            self.store()
                .run(|db| records::acknowledged(db, &sender, &id))?;
        }
        Ok(sent)
    }

    /// Records the outcome of one delivery round of an outbox entry: the receipt and
    /// its effect on the case, a retry time, or a final failure.
    pub fn record_delivery(
        &self,
        entry: &store::OutboxEntry,
        outcome: Result<Delivery, ClientError>,
    ) -> Result<(), NodeError> {
        let span = tracing::info_span!("message", message_id = %entry.id, case_id = %entry.case_id);
        let _entered = span.enter();
        let registry = &*self.registry();
        let mut store = self.store();
        store.transaction(|db| match outcome {
            Ok(delivery) => {
                // The receipt's canonical bytes, never a receiver's padding.
                let receipt = delivery.receipt.canonical_bytes();
                store::mark_delivered(db, &entry.sender, &entry.id, &receipt)?;
                let mut case = case_of(db, delivery.receipt.envelope())?;
                if let Some(key) = CaseKey::of(&case) {
                    match case.apply(&delivery.receipt, registry) {
                        Ok(state) => tracing::info!(case = %key, state = state.as_str(), attempts = delivery.attempts, "delivered"),
                        Err(e) => tracing::warn!(code = e.code(), "delivered; the receipt does not move the case: {e}"),
                    }
                    store::save_case(db, &case, &self.now())?;
                }
                Ok(())
            }
            Err(error) => {
                let text = format!("[{}] {error}", error.code());
                if error.is_transient() {
                    let backoff = self
                        .retry_delay(entry.attempts + 1)
                        .max(error.retry_after().unwrap_or_default());
                    tracing::warn!("delivery round failed, next in {backoff:?}: {text}");
                    let next = self.now_millis() + i64::try_from(backoff.as_millis()).unwrap_or(i64::MAX / 2);
                    store::mark_attempt_failed(db, &entry.sender, &entry.id, &text, Some(next))
                } else {
                    tracing::error!("delivery failed for good: {text}");
                    store::mark_attempt_failed(db, &entry.sender, &entry.id, &text, None)
                }
            }
        })
    }

    /// How long an outbox entry stays leased to the replica that delivers it: longer
    /// than a whole delivery round can take (every attempt's timeout and the backoffs
    /// between them), so that no other replica takes it while it is on its way.
    pub fn delivery_lease(&self) -> std::time::Duration {
        let retry = &self.config.retry;
        let attempt = retry.connect_timeout + retry.request_timeout + retry.max_backoff;
        attempt.saturating_mul(retry.attempts.max(1)) + std::time::Duration::from_secs(5)
    }

    /// The pause after `rounds` failed delivery rounds: the configured interval,
    /// doubling, at most the configured maximum.
    pub(crate) fn retry_delay(&self, rounds: u32) -> std::time::Duration {
        let interval = self.config.retry_interval;
        interval
            .saturating_mul(1u32 << rounds.saturating_sub(1).min(16))
            .min(self.config.max_retry_interval)
    }

    /// A case as the operator API shows it: its window, status, tracks with deadlines
    /// and messages.
    pub fn case_view(&self, key: &CaseKey) -> Result<Option<Value>, Refusal> {
        let found = self.store().run(|db| {
            let Some(case) = store::load_case(db, key)? else {
                return Ok(None);
            };
            let messages = store::case_messages(db, key)?;
            let fetches = records::case_fetches(db, key)?;
            Ok(Some((case, messages, fetches)))
        })?;
        let Some((case, messages, fetches)) = found else {
            return Ok(None);
        };
        // Each message as this node reads it: opened if it arrived sealed (§24.5).
        let readable: Vec<Option<Readable>> = messages
            .iter()
            .map(|m| self.readable(&m.bytes).ok())
            .collect();
        let files = self.files_view(&case, &messages, &readable, &fetches);
        let registry = self.registry();
        let calendar = registry.calendar();
        let today = tongban::calendar::CalendarDate::in_china(&self.now());
        let tracks: Vec<Value> = case
            .tracks()
            .iter()
            .map(|track| {
                let mut view = serde_json::to_value(track).unwrap_or(Value::Null);
                let shown = |deadline: Result<_, tongban::Error>| match deadline {
                    Ok(d) => json!(d),
                    Err(e) => json!({"error": ErrorBody::of(&e)}),
                };
                let deadline = shown(track.deadline(today, calendar));
                let committed = shown(track.committed_deadline(today, calendar));
                let theme = shown(track.theme_deadline(today, calendar));
                let rectification = shown(track.rectification_deadline(today, calendar));
                if let Value::Object(map) = &mut view {
                    map.insert("deadline".into(), deadline);
                    map.insert("committed_deadline".into(), committed);
                    map.insert("theme_deadline".into(), theme);
                    map.insert("rectification_deadline".into(), rectification);
                }
                view
            })
            .collect();
        let messages: Vec<Value> = messages
            .iter()
            .zip(&readable)
            .map(|(m, readable)| {
                // (1.1) The body of a message that arrived sealed, as opened here, or
                // why it does not open.
                let opened = readable
                    .as_ref()
                    .and_then(|r| match (&r.opened_with, &r.unopened) {
                        (Some(kid), _) => {
                            // Its files' keys left out: `files` gives their addresses.
                            let body = serde_json::to_value(&r.envelope.body).map(|mut v| {
                                let mut body = v["body"].take();
                                tongban::mask::clear_file_keys(&mut body);
                                body
                            });
                            Some(json!({"body": body.unwrap_or(Value::Null), "opened_with": kid}))
                        }
                        (None, Some(e)) => Some(json!({"error": ErrorBody::of(e)})),
                        (None, None) => None,
                    });
                json!({
                    "direction": m.direction,
                    "id": m.id,
                    "type": m.message_type,
                    "from": m.sender,
                    "to": m.receiver,
                    "sha256": m.sha256,
                    "stored_at": m.stored_at,
                    "receipted": m.receipt.is_some(),
                    "message": json::parse(&m.bytes).unwrap_or(Value::Null),
                    "opened": opened,
                    "receipt": m.receipt.as_deref().and_then(|r| json::parse(r).ok()),
                })
            })
            .collect();
        Ok(Some(json!({
            "case": case.id(),
            "window": case.window(),
            "status": case.status(),
            "tracks": tracks,
            "messages": messages,
            "files": files,
        })))
    }

    /// The files a case's messages reference, each once per message: whether this
    /// node holds it (verified) as it travels and, for a file received, how its fetch
    /// stands. A sealed file (§24.6) shows its `address`, the digest of its sealed
    /// bytes, at which the operator API opens one received. Of a message whose body
    /// stays sealed here (one this node sealed and sent, or one whose key is gone), the
    /// references are those the case recorded, without their keys.
    fn files_view(
        &self,
        case: &Case,
        messages: &[StoredMessage],
        readable: &[Option<Readable>],
        fetches: &[records::Fetch],
    ) -> Vec<Value> {
        let mut files = Vec::new();
        for (message, readable) in messages.iter().zip(readable) {
            let Some(readable) = readable else {
                continue;
            };
            let envelope = &readable.envelope;
            let recorded = |id: &MessageId| {
                let tracks = case.tracks().iter();
                let files = tracks.flat_map(|track| &track.files);
                let message = files.filter(|f| &f.message == id);
                message.flat_map(|f| &f.references).collect::<Vec<_>>()
            };
            let references = match envelope.body.sealed() {
                Some(_) => recorded(&envelope.id),
                None => tongban::file::references(&envelope.body),
            };
            for reference in references {
                let address = reference.address();
                let fetch = fetches
                    .iter()
                    .find(|f| &f.reference.sha256 == address && f.holder == envelope.from)
                    .filter(|_| message.direction == "in")
                    .map(|f| json!({"status": f.status, "attempts": f.attempts, "last_error": f.last_error}));
                files.push(json!({
                    "message": message.id,
                    "direction": message.direction,
                    "name": reference.name,
                    "sha256": reference.sha256,
                    "media_type": reference.media_type,
                    "size": reference.size,
                    "address": address,
                    "sealed": reference.sealed.is_some(),
                    "held": self.files.holds(reference),
                    "fetch": fetch,
                }));
            }
        }
        files
    }
}

/// What [`Node::readiness`] found: `None` for each check that passed, else why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// Why the database is not usable, if it is not.
    pub database: Option<String>,
    /// Why the registry in force is not usable (expired, or older than the one another
    /// replica pinned, which this one cannot take up), if it is not.
    pub registry: Option<String>,
}

impl Readiness {
    /// Whether every check passed.
    pub fn is_ready(&self) -> bool {
        self.database.is_none() && self.registry.is_none()
    }
}

/// How many days ahead [`Node::health`] warns that the registry or the node's key
/// expires.
pub const EXPIRY_WARNING_DAYS: i64 = 14;

/// The registry a node starts with: the configuration's, accepted only as the registry
/// pinned in the database (the same bytes' digest) or an update of it, which is then
/// pinned; the first start pins the file as it is (the operator installed it). An older
/// file (a rollback, which could bring back a key revoked since) or one the pinned
/// operators did not sign is refused, naming `registry_file`.
fn accepted_registry(db: &Db<'_>, config: &Config, now: &Timestamp) -> Result<Registry, NodeError> {
    let file = &config.registry;
    let refuse = |reason: String| NodeError::Config {
        reason: format!("registry_file: {reason}"),
    };
    // The configuration accepted the file already; this is its own copy for the node.
    let file_copy = || {
        Registry::load_trusted(&config.registry_bytes)
            .map_err(|e| refuse(format!("[{}] {e}", e.code())))
    };
    let Some((pinned_version, pinned_bytes)) = store::pinned_registry(db)? else {
        store::pin_registry(db, file, &config.registry_bytes, now)?;
        return file_copy();
    };
    let pinned = Registry::load_trusted(&pinned_bytes).map_err(|e| NodeError::Storage {
        reason: format!(
            "the pinned registry cannot be read back: [{}] {e}",
            e.code()
        ),
    })?;
    if file.version() < pinned_version {
        return Err(refuse(format!(
            "[registry.rollback] the file has version {}, older than version {pinned_version} which this node accepted; an older registry could bring back keys revoked since. Install version {pinned_version} or later",
            file.version()
        )));
    }
    if file.version() == pinned_version {
        if file.digest() != pinned.digest() {
            return Err(refuse(format!(
                "the file differs from the registry of the same version {pinned_version} which this node accepted (sha256 {} pinned, {} in the file)",
                pinned.digest(),
                file.digest()
            )));
        }
        return file_copy();
    }
    let next = pinned.update(&config.registry_bytes, now).map_err(|e| {
        refuse(format!(
            "[{}] version {} is not an update of the pinned version {pinned_version}: {e}",
            e.code(),
            file.version()
        ))
    })?;
    store::pin_registry(db, &next, &config.registry_bytes, now)?;
    tracing::info!(
        from = pinned_version,
        to = next.version(),
        "the registry file updates the pinned registry"
    );
    Ok(next)
}

/// Writes `bytes` beside `path` and syncs them to disk; returns the staged file, to be
/// renamed over `path` by [`put_in_place`] (dropped, it is removed).
fn stage_file(path: &std::path::Path, bytes: &[u8]) -> Result<tempfile::TempPath, NodeError> {
    use std::io::Write;
    let fail = |e: std::io::Error| NodeError::Storage {
        reason: format!("cannot write beside {}: {e}", path.display()),
    };
    // A name of its own: replicas sharing the registry file may stage at once.
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let mut staged = tempfile::Builder::new()
        .prefix(".registry-installing-")
        .tempfile_in(dir)
        .map_err(fail)?;
    staged.write_all(bytes).map_err(fail)?;
    staged.as_file().sync_all().map_err(fail)?;
    Ok(staged.into_temp_path())
}

/// Renames the staged file over `path`.
fn put_in_place(staged: tempfile::TempPath, path: &std::path::Path) -> Result<(), NodeError> {
    staged.persist(path).map_err(|e| NodeError::Storage {
        reason: format!("cannot replace {}: {}", path.display(), e.error),
    })
}

/// Whether the registry file `path` holds a registry of `version` or a later one (a
/// replica sharing it wrote it already): it is not replaced then.
fn holds_registry_from(path: &std::path::Path, version: u64) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| Registry::load_trusted(&bytes).ok())
        .is_some_and(|held| held.version() >= version)
}

/// The stored case a message belongs to (§18: a case is its window and its id), or a
/// new case for a transfer that opens one (or a message that matches no case, which
/// the lifecycle then refuses with `lifecycle.no_track`). A transfer's case is its
/// sender's; any other message's is the case of its sender or receiver with its case
/// id that this node holds; if it holds both, the message type says which end is the
/// window, and a receipt or protocol error goes to the case that holds the message it
/// answers.
fn case_of(db: &Db<'_>, envelope: &Envelope) -> Result<Case, NodeError> {
    let key = |window: &NodeId| CaseKey {
        window: window.clone(),
        case: envelope.case.clone(),
    };
    let new_case = || Case::new(envelope.case.clone());
    if let Body::Transfer(_) = envelope.body {
        return Ok(store::load_case(db, &key(&envelope.from))?.unwrap_or_else(new_case));
    }
    let of_sender = store::load_case(db, &key(&envelope.from))?;
    let of_receiver = store::load_case(db, &key(&envelope.to))?;
    Ok(match (of_sender, of_receiver) {
        (Some(case), None) | (None, Some(case)) => case,
        (None, None) => new_case(),
        (Some(of_sender), Some(of_receiver)) => match lifecycle::sent_by_window(&envelope.body) {
            Some(true) => of_sender,
            Some(false) => of_receiver,
            None => {
                let holds = |case: &Case| {
                    envelope.in_reply_to.as_ref().is_some_and(|answered| {
                        case.tracks().iter().any(|t| t.messages.contains(answered))
                    })
                };
                [of_sender, of_receiver]
                    .into_iter()
                    .find(holds)
                    .unwrap_or_else(new_case)
            }
        },
    })
}

/// A received message, verified, with its signed accepting receipt (and, for a
/// transfer, that receipt verified), ready for the transaction that stores it.
struct Prepared {
    verified: Verified,
    receipt: Vec<u8>,
    own_receipt: Option<Verified>,
}

/// A verified message on its way into the store, in a group commit
/// ([`crate::commit`]).
struct Accepting {
    sender: NodeId,
    id: MessageId,
    digest: Sha256Digest,
    verified: Verified,
    receipt: Vec<u8>,
    own_receipt: Option<Verified>,
    /// The registry it was verified under, and is applied under.
    registry: Arc<Registry>,
    now: Timestamp,
    /// The message's log span, entered by whichever thread commits it.
    span: tracing::Span,
}

impl Work for Accepting {
    /// The receipt, and whether the message queued files to fetch.
    type Output = (Receipted, bool);
    type Failure = Refusal;
}

/// The first receipt of a stored message, if `stored` is the same message received
/// before: received here, with the same `digest` and a receipt.
fn first_receipt(stored: StoredMessage, digest: &Sha256Digest) -> Option<Receipted> {
    match stored.receipt {
        Some(receipt) if stored.direction == "in" && stored.sha256 == digest.as_str() => {
            tracing::info!(
                sender = %stored.sender, id = %stored.id,
                "duplicate delivery: the first receipt again"
            );
            Some(Receipted {
                receipt,
                replayed: true,
            })
        }
        _ => None,
    }
}

/// A replay guard that accepts every id. Only for a verifier whose caller checks the
/// stored ids itself, in the transaction that stores the message, after verification
/// (as [`Node::receive`] does).
struct ReplayCheckedWhenStored;

impl ReplayGuard for ReplayCheckedWhenStored {
    fn check_and_record(
        &self,
        _sender: &NodeId,
        _id: &MessageId,
        _keep_until: &Timestamp,
        _now: &Timestamp,
    ) -> Result<(), tongban::error::ReplayError> {
        Ok(())
    }
}
