//! The node's configuration file (TOML). Relative paths are taken from the directory
//! of the configuration file.
//!
//! ```toml
//! node = "jiujiang.360400"            # this node's id in the trust registry
//! key_file = "jiujiang.key.json"      # its signing key, as written by `tongban keygen`
//! other_key_files = []                # optional: its keys of other suites, e.g. an SM2 key
//!                                     # (`tongban keygen --alg sm2-sm3`) for agreements on sm2-sm3
//! sealing_key_files = []              # optional (1.1, §24): its sealing keys, to open the bodies
//!                                     # and files sealed to it (`tongban keygen --alg
//!                                     # hpke-x25519-sha256-aes128gcm` or `sm2-sm4-gcm`); keep a
//!                                     # retired one as long as messages sealed to it are kept
//! registry_file = "registry.json"     # the alliance's signed trust registry
//! listen = "127.0.0.1:7400"           # where partners post messages
//! operator_listen = "127.0.0.1:7401"  # the operator API; keep it on a private address
//! operator_token_file = "operator.token"  # its bearer token (mode 600; `partner-node new-token`)
//! operator_hosts = []                 # optional: more names the operator API answers to
//! metrics_token_file = "metrics.token"  # optional: a second token that reads the metrics only
//!                                     # (for a Prometheus scraper; mode 600; `partner-node new-token`)
//! data_dir = "data"                   # the SQLite database and the files live here
//! database_url = "postgres://tongban@db.internal/jiujiang"
//!                                     # optional: keep the database in PostgreSQL instead, shared
//!                                     # by the replicas (with a password in the URL, the node
//!                                     # refuses this file unless only its owner may read it: mode 600)
//! database_ca_file = "tls/db-ca.pem"  # the authority of the database server's certificate: the node
//!                                     # then speaks TLS to it and verifies it; required unless the
//!                                     # URL's host is a loopback address or a Unix socket
//! replica = "jiujiang-1"              # optional: this process's name among replicas that share
//!                                     # the database (default: the node id, one process)
//! behind_tls_terminator = false       # true: plain HTTP on a non-loopback `listen`, because
//!                                     # a proxy in front speaks HTTPS to partners
//!
//! [tls]                               # optional: HTTPS on `listen`, see crate::tls
//! certificate_file = "tls/node.crt.pem"
//! key_file = "tls/node.key.pem"
//! ca_file = "tls/alliance-ca.pem"
//! require_client_certificates = true
//! registry_named_clients = true      # (§21.5) and keys the registry's tls_keys list
//!
//! [limits]                            # optional; these are the defaults
//! max_connections = 1024              # open connections to the protocol endpoint, in all
//! max_connections_per_peer = 16       # … from one IP address
//! max_connection_age_ms = 120000      # then a connection is closed, whatever it does
//! max_requests_in_flight = 64         # messages verified and stored at once (then 429 node.busy)
//! max_body_bytes_in_flight = 67108864 # request bodies held at once (then 429 node.busy)
//! header_timeout_ms = 10000           # to send a request's headers
//! body_timeout_ms = 30000             # to send a request's body
//!
//! [delivery]                          # optional; these are the defaults
//! attempts = 3                        # attempts per delivery round
//! first_backoff_ms = 200
//! max_backoff_ms = 10000
//! request_timeout_ms = 10000
//! retry_interval_ms = 1000            # pause before the next round; doubles …
//! max_retry_interval_ms = 300000      # … up to this (5 minutes)
//! ```

use crate::auth::OperatorToken;
use crate::error::NodeError;
use crate::store::{Location, PostgresServer};
use crate::tls::{Tls, TlsFile};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tongban::client::RetryPolicy;
use tongban::crypto::KeyFile;
use tongban::registry::Registry;
use tongban::seal::SealingKeyPair;
use tongban::{AgreementId, KeyPair, NodeId, Timestamp};

/// The configuration file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// This node's id.
    pub node: String,
    /// Path of the key file.
    pub key_file: PathBuf,
    /// Paths of the node's keys of other suites (one per suite): a message under an
    /// agreement whose suite (§15) is one of theirs is signed with that key.
    #[serde(default)]
    pub other_key_files: Vec<PathBuf>,
    /// (1.1) Paths of the node's sealing keys (§24): a body or file sealed to one of
    /// them is opened with it. Listed in the registry before partners seal to them.
    #[serde(default)]
    pub sealing_key_files: Vec<PathBuf>,
    /// Path of the signed trust registry.
    pub registry_file: PathBuf,
    /// Address of the protocol endpoint.
    pub listen: String,
    /// Address of the operator API.
    pub operator_listen: String,
    /// Path of the operator API's bearer token; required.
    pub operator_token_file: Option<PathBuf>,
    /// A token that may only read `GET /operator/v1/metrics`, for a scraper.
    #[serde(default)]
    pub metrics_token_file: Option<PathBuf>,
    /// More host names (`name:port`) the operator API answers to, beside its address.
    #[serde(default)]
    pub operator_hosts: Vec<String>,
    /// Directory of the database.
    pub data_dir: PathBuf,
    /// Limits on what peers can hold of the node.
    #[serde(default)]
    pub limits: LimitsFile,
    /// Delivery settings.
    #[serde(default)]
    pub delivery: DeliveryFile,
    /// HTTPS on the protocol endpoint.
    #[serde(default)]
    pub tls: Option<TlsFile>,
    /// Plain HTTP on a non-loopback address, behind a proxy that speaks HTTPS.
    #[serde(default)]
    pub behind_tls_terminator: bool,
    /// This process's name among the replicas sharing the database.
    #[serde(default)]
    pub replica: Option<String>,
    /// A PostgreSQL connection URL; without one, the database is SQLite's file in
    /// `data_dir`.
    #[serde(default)]
    pub database_url: Option<String>,
    /// The certificate authorities (PEM) of the PostgreSQL server's certificate: TLS
    /// to the database, the server verified.
    #[serde(default)]
    pub database_ca_file: Option<PathBuf>,
}

/// The `[limits]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsFile {
    /// Open connections to the protocol endpoint, in all.
    pub max_connections: usize,
    /// Open connections from one IP address.
    pub max_connections_per_peer: usize,
    /// The age at which a connection is closed, in milliseconds.
    pub max_connection_age_ms: u64,
    /// Messages verified and stored at once; more get `429 node.busy`.
    pub max_requests_in_flight: usize,
    /// Bytes of request bodies held at once; past them `429 node.busy`.
    pub max_body_bytes_in_flight: usize,
    /// Time allowed to send a request's headers, in milliseconds.
    pub header_timeout_ms: u64,
    /// Time allowed to send a request's body, in milliseconds.
    pub body_timeout_ms: u64,
}

impl Default for LimitsFile {
    fn default() -> Self {
        LimitsFile {
            max_connections: 1024,
            max_connections_per_peer: 16,
            max_connection_age_ms: 120_000,
            max_requests_in_flight: 64,
            max_body_bytes_in_flight: 64 * 1024 * 1024,
            header_timeout_ms: 10_000,
            body_timeout_ms: 30_000,
        }
    }
}

/// Limits on what peers can hold of the node (see [`LimitsFile`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Open connections to the protocol endpoint, in all.
    pub max_connections: usize,
    /// Open connections from one IP address.
    pub max_connections_per_peer: usize,
    /// The age at which a connection is closed.
    pub max_connection_age: Duration,
    /// Messages verified and stored at once.
    pub max_requests_in_flight: usize,
    /// Bytes of request bodies held at once.
    pub max_body_bytes_in_flight: usize,
    /// Time allowed to send a request's headers.
    pub header_timeout: Duration,
    /// Time allowed to send a request's body.
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from(&LimitsFile::default())
    }
}

impl From<&LimitsFile> for Limits {
    fn from(file: &LimitsFile) -> Self {
        Limits {
            max_connections: file.max_connections,
            max_connections_per_peer: file.max_connections_per_peer,
            max_connection_age: Duration::from_millis(file.max_connection_age_ms),
            max_requests_in_flight: file.max_requests_in_flight,
            max_body_bytes_in_flight: file.max_body_bytes_in_flight,
            header_timeout: Duration::from_millis(file.header_timeout_ms),
            body_timeout: Duration::from_millis(file.body_timeout_ms),
        }
    }
}

/// The `[delivery]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeliveryFile {
    /// Attempts per delivery round.
    pub attempts: u32,
    /// Backoff before the second attempt of a round, in milliseconds.
    pub first_backoff_ms: u64,
    /// Longest backoff, in milliseconds.
    pub max_backoff_ms: u64,
    /// Time allowed per request, in milliseconds.
    pub request_timeout_ms: u64,
    /// Pause before the outbox retries a message whose round failed, in milliseconds.
    pub retry_interval_ms: u64,
    /// Longest pause between rounds, in milliseconds.
    pub max_retry_interval_ms: u64,
}

impl Default for DeliveryFile {
    fn default() -> Self {
        DeliveryFile {
            attempts: 3,
            first_backoff_ms: 200,
            max_backoff_ms: 10_000,
            request_timeout_ms: 10_000,
            retry_interval_ms: 1_000,
            max_retry_interval_ms: 300_000,
        }
    }
}

/// A loaded, checked configuration: the key and the registry are read and verified.
#[derive(Debug)]
pub struct Config {
    /// This node.
    pub node: NodeId,
    /// Its signing key.
    pub key: KeyPair,
    /// Its keys of other suites, at most one per suite and none in the suite of `key`
    /// ([`Config::key_for`]).
    pub other_keys: Vec<KeyPair>,
    /// (1.1) Its sealing keys (§24), each of its own id: what is sealed to it opens.
    pub sealing_keys: Vec<SealingKeyPair>,
    /// The trust registry of the registry file, accepted on its own operator keys; the
    /// node accepts it only as the registry pinned in its database or an update of it
    /// ([`crate::node::Node::open`]).
    pub registry: Registry,
    /// The registry file's bytes.
    pub registry_bytes: Vec<u8>,
    /// The registry file, which a registry installed while the node runs replaces; `None`
    /// for a node configured in-process without one.
    pub registry_file: Option<PathBuf>,
    /// Address of the protocol endpoint.
    pub listen: SocketAddr,
    /// Address of the operator API.
    pub operator_listen: SocketAddr,
    /// The operator API's bearer token.
    pub operator_token: OperatorToken,
    /// The token that may read the metrics and nothing else, if one is configured.
    pub metrics_token: Option<OperatorToken>,
    /// More host names the operator API answers to (see [`crate::auth::OperatorGuard`]).
    pub operator_hosts: Vec<String>,
    /// Directory of the database.
    pub data_dir: PathBuf,
    /// Limits on what peers can hold of the node.
    pub limits: Limits,
    /// The client's retry policy for one delivery round.
    pub retry: RetryPolicy,
    /// Pause before the outbox retries a message whose round failed; it doubles with
    /// each failed round.
    pub retry_interval: Duration,
    /// Longest pause between rounds.
    pub max_retry_interval: Duration,
    /// HTTPS on the protocol endpoint, and what the outbox trusts and presents; `None`
    /// for plain HTTP.
    pub tls: Option<Tls>,
    /// This process's name among the replicas that share the database: the holder of
    /// its outbox leases, which it takes back when it starts (see [`crate::outbox`]).
    /// Each replica needs its own; the node id when there is one process.
    pub replica: String,
    /// Where the database is: SQLite's file in `data_dir`, or PostgreSQL.
    pub database: Location,
}

/// Refuses a file that others than its owner may read or write, as every file holding
/// a secret must be (mode 600 or stricter): the reason, for the error of the setting
/// that names it.
pub(crate) fn owner_only(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "{} can be read or written by others (mode {:o}); allow its owner only: chmod 600 {}",
                path.display(),
                mode & 0o777,
                path.display()
            ));
        }
    }
    Ok(())
}

fn bad(field: &str, reason: impl std::fmt::Display) -> NodeError {
    NodeError::Config {
        reason: format!("{field}: {reason}"),
    }
}

/// The PostgreSQL server of `database_url`, with the authorities of `database_ca_file`.
/// Citizens' data must not cross a network in clear: without authorities the URL's
/// hosts must be loopback addresses or Unix sockets, and `sslmode=require` needs them
/// too (the node verifies what it encrypts to).
fn postgres_server(
    url: &str,
    ca_file: &Option<PathBuf>,
    resolve: impl Fn(&Path) -> PathBuf,
) -> Result<PostgresServer, NodeError> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(bad(
            "database_url",
            "give a PostgreSQL URL (postgres://user@host/database), or leave it out for SQLite",
        ));
    }
    let config = url
        .parse::<postgres::Config>()
        .map_err(|e| bad("database_url", format!("not a PostgreSQL URL: {e}")))?;
    let ca_pem = match ca_file {
        None => None,
        Some(path) => {
            let path = resolve(path);
            let pem = std::fs::read(&path).map_err(|e| {
                bad(
                    "database_ca_file",
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            crate::tls::authorities(&pem).map_err(|reason| bad("database_ca_file", reason))?;
            Some(pem)
        }
    };
    if ca_pem.is_some() {
        let hosts = config.get_hosts();
        let names = hosts
            .iter()
            .filter(|host| matches!(host, postgres::config::Host::Tcp(_)))
            .count();
        if names < hosts.len() {
            return Err(bad(
                "database_ca_file",
                "a Unix socket carries no TLS: leave database_ca_file out for a server on this machine's socket",
            ));
        }
        if names == 0 {
            return Err(bad(
                "database_url",
                "with database_ca_file, give the server's name or address as the host: its certificate is checked against it",
            ));
        }
    }
    if ca_pem.is_none() {
        if let Some(host) = remote_host(&config) {
            return Err(bad(
                "database_url",
                format!(
                    "{host} is reached across a network, and the database holds citizens' data: give database_ca_file, the authority of the server's certificate, and the node speaks TLS to it and verifies it (in clear only to a loopback address or a Unix socket)"
                ),
            ));
        }
        if config.get_ssl_mode() == postgres::config::SslMode::Require {
            return Err(bad(
                "database_url",
                "sslmode=require needs database_ca_file: the node verifies the server's certificate against it",
            ));
        }
    }
    Ok(PostgresServer {
        url: url.to_string(),
        ca_pem,
    })
}

/// The first host or address of `config` that is neither a loopback address (or
/// `localhost`) nor a Unix socket.
fn remote_host(config: &postgres::Config) -> Option<String> {
    let loopback = |name: &str| {
        name.eq_ignore_ascii_case("localhost")
            || name
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    let hosts = config.get_hosts().iter().filter_map(|host| match host {
        postgres::config::Host::Tcp(name) => (!loopback(name)).then(|| name.clone()),
        #[cfg(unix)]
        postgres::config::Host::Unix(_) => None,
    });
    let addresses = config
        .get_hostaddrs()
        .iter()
        .filter(|ip| !ip.is_loopback())
        .map(|ip| ip.to_string());
    hosts.chain(addresses).next()
}

/// Whether `registry` lists `node` as a member with each of `keys` among its keys; if
/// not, the setting at fault (`node`, `key_file` or `other_key_files`) and why.
pub fn check_own_keys<'a>(
    registry: &Registry,
    node: &NodeId,
    keys: impl IntoIterator<Item = (&'static str, &'a KeyPair)>,
) -> Result<(), (&'static str, String)> {
    let member = registry
        .member(node)
        .ok_or_else(|| ("node", format!("{node} is not a member of the registry")))?;
    for (field, key) in keys {
        let published = member.keys.iter().any(|k| {
            &k.key_id == key.key_id()
                && k.public_key == tongban::crypto::base64url(key.public_key().as_bytes())
        });
        if !published {
            return Err((
                field,
                format!(
                    "key {} is not one of {node}'s keys in the registry",
                    key.key_id()
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses a sealing key of `node` whose id `registry` lists with another public key
/// (the wrong file, or the registry's entry is not this key's). A key the registry does
/// not list yet is accepted: it is installed before it is published.
pub fn check_sealing_keys(
    registry: &Registry,
    node: &NodeId,
    keys: &[SealingKeyPair],
) -> Result<(), String> {
    let listed = registry.sealing_keys_of(node).unwrap_or_default();
    for key in keys {
        let public = tongban::crypto::base64url(key.public_key().as_bytes());
        if let Some(entry) = listed.iter().find(|k| &k.key_id == key.key_id()) {
            if entry.public_key != public || entry.algorithm != key.suite().as_str() {
                return Err(format!(
                    "the registry lists {}'s sealing key {} with another public key or suite: this file is not that key",
                    node,
                    key.key_id()
                ));
            }
        }
    }
    Ok(())
}

/// Reads a sealing key file of `node` (setting `sealing_key_files`).
fn load_sealing_key(path: &Path, node: &NodeId) -> Result<SealingKeyPair, NodeError> {
    let field = "sealing_key_files";
    let text = std::fs::read(path)
        .map_err(|e| bad(field, format!("cannot read {}: {e}", path.display())))?;
    let key = KeyFile::from_json(&text)
        .and_then(|file| Ok(SealingKeyPair::from_file(&file)?))
        .map_err(|e| bad(field, format!("{}: [{}] {e}", path.display(), e.code())))?;
    if key.owner() != node {
        return Err(bad(
            field,
            format!("the key belongs to {}, not to {node}", key.owner()),
        ));
    }
    Ok(key)
}

/// Reads a key file of `node` named by the setting `field`.
fn load_key(field: &str, path: &Path, node: &NodeId) -> Result<KeyPair, NodeError> {
    let text = std::fs::read(path)
        .map_err(|e| bad(field, format!("cannot read {}: {e}", path.display())))?;
    let key = KeyPair::from_key_file_json(&text).map_err(|e| bad(field, e))?;
    if key.owner() != node {
        return Err(bad(
            field,
            format!("the key belongs to {}, not to {node}", key.owner()),
        ));
    }
    Ok(key)
}

impl Config {
    /// Reads and checks the configuration file at `path`.
    pub fn load(path: &Path) -> Result<Config, NodeError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| bad("config", format!("cannot read {}: {e}", path.display())))?;
        let file: ConfigFile =
            toml::from_str(&text).map_err(|e| bad("config", format!("{}: {e}", path.display())))?;
        // A password in the database's URL makes this file a secret.
        let password = file
            .database_url
            .as_deref()
            .and_then(|url| url.parse::<postgres::Config>().ok())
            .is_some_and(|url| url.get_password().is_some());
        if password {
            owner_only(path).map_err(|reason| {
                bad(
                    "database_url",
                    format!(
                        "its URL holds a password, so the configuration file is a secret: {reason}"
                    ),
                )
            })?;
        }
        let base = path.parent().unwrap_or(Path::new("."));
        Config::from_file(file, base)
    }

    /// Checks a parsed configuration; relative paths are taken from `base`.
    pub fn from_file(file: ConfigFile, base: &Path) -> Result<Config, NodeError> {
        let resolve = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };
        let node = NodeId::parse(file.node.as_str()).map_err(|e| bad("node", e))?;
        let key = load_key("key_file", &resolve(&file.key_file), &node)?;
        let mut other_keys: Vec<KeyPair> = Vec::new();
        for path in &file.other_key_files {
            let other = load_key("other_key_files", &resolve(path), &node)?;
            let suite = other.algorithm();
            if suite == key.algorithm() || other_keys.iter().any(|k| k.algorithm() == suite) {
                return Err(bad(
                    "other_key_files",
                    format!("two keys of suite {suite}: give one key per suite"),
                ));
            }
            other_keys.push(other);
        }
        let mut sealing_keys: Vec<SealingKeyPair> = Vec::new();
        for path in &file.sealing_key_files {
            let sealing = load_sealing_key(&resolve(path), &node)?;
            if sealing_keys.iter().any(|k| k.key_id() == sealing.key_id()) {
                return Err(bad(
                    "sealing_key_files",
                    format!("key {} is given twice", sealing.key_id()),
                ));
            }
            sealing_keys.push(sealing);
        }
        let registry_file = resolve(&file.registry_file);
        let registry_bytes = std::fs::read(&registry_file).map_err(|e| {
            bad(
                "registry_file",
                format!("cannot read {}: {e}", registry_file.display()),
            )
        })?;
        let registry = Registry::bootstrap(&registry_bytes, &Timestamp::now())
            .and_then(|registry| registry.compile_forms().map(|()| registry))
            .map_err(|e| bad("registry_file", format!("[{}] {e}", e.code())))?;
        let own_keys = std::iter::once(("key_file", &key))
            .chain(other_keys.iter().map(|k| ("other_key_files", k)));
        check_own_keys(&registry, &node, own_keys).map_err(|(field, reason)| bad(field, reason))?;
        check_sealing_keys(&registry, &node, &sealing_keys)
            .map_err(|reason| bad("sealing_key_files", reason))?;
        let address = |field: &str, text: &str| {
            text.parse::<SocketAddr>().map_err(|e| {
                bad(
                    field,
                    format!("{text:?} is not an address like 127.0.0.1:7400 ({e})"),
                )
            })
        };
        let operator_listen = address("operator_listen", &file.operator_listen)?;
        // The operator API signs in the node's name: never without a credential, on
        // loopback too (a web page on the operator's machine reaches loopback).
        let token_file = file.operator_token_file.as_deref().ok_or_else(|| {
            bad(
                "operator_token_file",
                format!(
                    "required: the operator API on {operator_listen} signs and sends in {node}'s name and shows personal data, so it is never served without a token (partner-node new-token --file operator.token writes one)"
                ),
            )
        })?;
        let operator_token = OperatorToken::load(&resolve(token_file))?;
        let metrics_token = file
            .metrics_token_file
            .as_deref()
            .map(|path| OperatorToken::load_setting(&resolve(path), "metrics_token_file"))
            .transpose()?;
        if metrics_token
            .as_ref()
            .is_some_and(|metrics| metrics.matches(operator_token.secret().as_bytes()))
        {
            return Err(bad(
                "metrics_token_file",
                "holds the operator token: a scraper's token must not be able to act (partner-node new-token writes another)",
            ));
        }
        let limits = file.limits;
        for (field, value) in [
            ("limits.max_connections", limits.max_connections as u64),
            (
                "limits.max_connections_per_peer",
                limits.max_connections_per_peer as u64,
            ),
            (
                "limits.max_requests_in_flight",
                limits.max_requests_in_flight as u64,
            ),
            ("limits.header_timeout_ms", limits.header_timeout_ms),
            ("limits.body_timeout_ms", limits.body_timeout_ms),
        ] {
            if value == 0 {
                return Err(bad(field, "must be at least 1"));
            }
        }
        // One message of the largest size, in a buffer that may have doubled as it grew.
        let one_message = 2 * tongban::json::Limits::PROTOCOL.max_bytes;
        if limits.max_body_bytes_in_flight < one_message {
            return Err(bad(
                "limits.max_body_bytes_in_flight",
                format!(
                    "must be at least {one_message}, the buffer of one message of the largest size"
                ),
            ));
        }
        let delivery = file.delivery;
        if delivery.attempts == 0 {
            return Err(bad("delivery.attempts", "must be at least 1"));
        }
        if delivery.max_retry_interval_ms < delivery.retry_interval_ms {
            return Err(bad(
                "delivery.max_retry_interval_ms",
                format!(
                    "{} is below retry_interval_ms ({})",
                    delivery.max_retry_interval_ms, delivery.retry_interval_ms
                ),
            ));
        }
        let listen = address("listen", &file.listen)?;
        let tls = file
            .tls
            .as_ref()
            .map(|tls| Tls::load(tls, resolve))
            .transpose()?;
        if tls.is_none() && !listen.ip().is_loopback() && !file.behind_tls_terminator {
            return Err(bad(
                "listen",
                format!(
                    "{listen} is not a loopback address, and partners' messages must not cross a network in plain HTTP: configure [tls], or set behind_tls_terminator = true if a proxy in front of the node speaks HTTPS"
                ),
            ));
        }
        let replica = file.replica.clone().unwrap_or_else(|| node.to_string());
        if replica.is_empty()
            || replica.len() > 64
            || !replica.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(bad(
                "replica",
                "give 1 to 64 visible ASCII characters, a name of its own for each replica",
            ));
        }
        let database =
            match (&file.database_url, &file.database_ca_file) {
                (None, None) => Location::Sqlite(resolve(&file.data_dir)),
                (None, Some(_)) => return Err(bad(
                    "database_ca_file",
                    "needs database_url: it is the authority of a PostgreSQL server's certificate",
                )),
                (Some(url), ca_file) => Location::Postgres(postgres_server(url, ca_file, resolve)?),
            };
        Ok(Config {
            replica,
            database,
            listen,
            tls,
            operator_listen,
            operator_token,
            metrics_token,
            operator_hosts: file.operator_hosts,
            data_dir: resolve(&file.data_dir),
            limits: Limits::from(&limits),
            retry: RetryPolicy {
                attempts: delivery.attempts,
                first_backoff: Duration::from_millis(delivery.first_backoff_ms),
                max_backoff: Duration::from_millis(delivery.max_backoff_ms.max(1)),
                connect_timeout: Duration::from_millis(delivery.request_timeout_ms.min(5_000)),
                request_timeout: Duration::from_millis(delivery.request_timeout_ms.max(1)),
            },
            retry_interval: Duration::from_millis(delivery.retry_interval_ms.max(1)),
            max_retry_interval: Duration::from_millis(delivery.max_retry_interval_ms.max(1)),
            node,
            key,
            other_keys,
            sealing_keys,
            registry,
            registry_bytes,
            registry_file: Some(registry_file),
        })
    }

    /// Every signing key of this node, each with the setting that names it.
    pub fn own_keys(&self) -> impl Iterator<Item = (&'static str, &KeyPair)> {
        std::iter::once(("key_file", &self.key))
            .chain(self.other_keys.iter().map(|k| ("other_key_files", k)))
    }

    /// The key this node signs with under `agreement`: its key in the agreement's
    /// suite (§15, §17 step 5), or its main key when it holds none in that suite (the
    /// receiver then refuses the message with `agreement.wrong_suite`, as it should).
    pub fn key_for(&self, registry: &Registry, agreement: &AgreementId) -> &KeyPair {
        let suite = registry.agreement(agreement).map(Registry::suite_of);
        self.own_keys()
            .map(|(_, key)| key)
            .find(|key| Some(key.algorithm().as_str()) == suite)
            .unwrap_or(&self.key)
    }

    /// The path of this node's endpoint, from its registry entry (`/tongban/v1` for
    /// `https://example/tongban/v1`); `""` when the endpoint has no path.
    pub fn endpoint_path(&self) -> String {
        let endpoint = self
            .registry
            .member(&self.node)
            .map(|m| m.endpoint.as_str())
            .unwrap_or("");
        let after_scheme = endpoint
            .split_once("://")
            .map_or(endpoint, |(_, rest)| rest);
        match after_scheme.find('/') {
            Some(slash) => after_scheme[slash..].trim_end_matches('/').to_string(),
            None => String::new(),
        }
    }
}
