//! Several nodes on one machine, for the main job, tests and the endpoint conformance
//! run: each with the sample key of its city, a data directory of its own, and one
//! shared registry — the sample registry with loopback endpoints, signed by the sample
//! operator keys. The keys are published; **never use this setup for real cases**.

use crate::auth::OperatorToken;
use crate::error::NodeError;
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use tongban::{sample, FileRef, ProtocolVersion};

/// The files of one demo node.
#[derive(Debug, Clone)]
pub struct DemoNode {
    /// Its configuration file.
    pub config: PathBuf,
    /// Its protocol endpoint's address.
    pub listen: SocketAddr,
    /// Its operator API's address.
    pub operator_listen: SocketAddr,
    /// Its operator API's token file (mode 600).
    pub operator_token_file: PathBuf,
    /// Its endpoint URL, as in the registry.
    pub endpoint: String,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> NodeError {
    NodeError::Config {
        reason: format!("cannot {what} {}: {e}", path.display()),
    }
}

/// The ports [`free_address`] has handed out in this process, each only once: two nodes
/// or replicas that one test or job prepares never draw the same port (between the
/// draw and the binding, the first one's port looks free).
static HANDED_OUT: std::sync::Mutex<std::collections::BTreeSet<u16>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// A free loopback address, outside the ephemeral range (32768–60999 on Linux) from
/// which the system picks ports for outgoing connections, so that none of those takes
/// it between now and the node binding it: a random port from 20000–32767 that this
/// process has not handed out before and that binds, then is released.
pub fn free_address() -> Result<SocketAddr, NodeError> {
    let mut random = tongban::client::SeededRandom::new(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ u64::from(std::process::id()),
    );
    let mut last = String::new();
    for _ in 0..64 {
        let port = u16::try_from(random.in_range(20_000..32_768)).unwrap_or(20_000);
        let first_time = HANDED_OUT
            .lock()
            .map_or(true, |mut handed_out| handed_out.insert(port));
        if !first_time {
            continue;
        }
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        match TcpListener::bind(address) {
            Ok(_) => return Ok(address),
            Err(e) => last = e.to_string(),
        }
    }
    Err(NodeError::Listen {
        address: "127.0.0.1:20000-32767".into(),
        reason: format!("no free port found: {last}"),
    })
}

/// Why a node process started by a test or the main job does not serve.
#[derive(Debug)]
pub struct NotServing {
    /// How the process ended, if it did (`None`: it still runs but does not listen).
    pub exit: Option<std::process::ExitStatus>,
    /// The last lines of its log.
    pub log_tail: String,
}

impl NotServing {
    /// Whether it exited because another process took one of its ports between
    /// [`free_address`] and its binding (`node.listen`): the caller may try again on
    /// other ports.
    pub fn address_taken(&self) -> bool {
        self.exit.is_some() && self.log_tail.contains("[node.listen]")
    }
}

impl std::fmt::Display for NotServing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.exit {
            Some(status) => write!(f, "the node exited at start ({status})")?,
            None => write!(f, "the node does not listen")?,
        }
        write!(f, "; the end of its log:\n{}", self.log_tail)
    }
}

/// Waits until the node process `child` accepts connections on every one of
/// `addresses`, for at most `timeout`. Fails with the end of its `log` if it exits
/// first (it is then reaped) or the time runs out (it is left running).
pub fn wait_until_serving(
    child: &mut std::process::Child,
    addresses: &[SocketAddr],
    log: &Path,
    timeout: std::time::Duration,
) -> Result<(), NotServing> {
    let deadline = std::time::Instant::now() + timeout;
    let failure = |exit| NotServing {
        exit,
        log_tail: log_tail(log, 20),
    };
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(failure(Some(status)));
        }
        if addresses
            .iter()
            .all(|address| std::net::TcpStream::connect(address).is_ok())
        {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(failure(None));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The last `lines` lines of the file at `path` (empty if it cannot be read).
pub fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Writes, under `dir`, the registry (`registry.json`) and for each of `nodes` (sample
/// node ids) its key file, data directory and configuration file, on free loopback
/// ports. Returns the nodes by id. The nodes speak protocol 1.0 only, as members did
/// before 1.1 (no file exchange); [`prepare_speaking`] chooses.
pub fn prepare(dir: &Path, nodes: &[&str]) -> Result<BTreeMap<String, DemoNode>, NodeError> {
    prepare_speaking(dir, nodes, &[ProtocolVersion::V1_0])
}

/// [`prepare`] with the nodes speaking `protocols` in the registry: with 1.0 and 1.1,
/// they exchange the files their messages reference (§23).
pub fn prepare_speaking(
    dir: &Path,
    nodes: &[&str],
    protocols: &[ProtocolVersion],
) -> Result<BTreeMap<String, DemoNode>, NodeError> {
    prepare_with(dir, nodes, protocols, false)
}

/// (1.1) [`prepare_speaking`] with 1.0 and 1.1, every member listing its sample sealing
/// keys in both suites and each node given its own: the bodies and files of 1.1 between
/// them travel sealed to their receiver (§24.5, §24.6).
pub fn prepare_sealing(
    dir: &Path,
    nodes: &[&str],
) -> Result<BTreeMap<String, DemoNode>, NodeError> {
    let both = [ProtocolVersion::V1_0, ProtocolVersion::V1_1];
    prepare_with(dir, nodes, &both, true)
}

fn prepare_with(
    dir: &Path,
    nodes: &[&str],
    protocols: &[ProtocolVersion],
    sealing: bool,
) -> Result<BTreeMap<String, DemoNode>, NodeError> {
    let mut prepared = BTreeMap::new();
    for node in nodes {
        let listen = free_address()?;
        let operator_listen = free_address()?;
        let endpoint = format!("http://{listen}/tongban/v1");
        let node_dir = dir.join(node);
        std::fs::create_dir_all(&node_dir).map_err(|e| io("create", &node_dir, e))?;
        write_key(&node_dir.join("key.json"), sample::key(node))?;
        // A member of the Wuhan circle also signs with its SM2 key (the circle's suite).
        let mut other_key_files = "";
        if sample::circle_members().any(|member| member == *node) {
            write_key(&node_dir.join("sm2.key.json"), sample::sm2_key(node))?;
            other_key_files = "other_key_files = [\"sm2.key.json\"]\n";
        }
        let mut sealing_key_files = String::new();
        if sealing {
            let mut files = Vec::new();
            for suite in tongban::seal::SealingSuite::ALL {
                let key = sample::sealing_key(node, suite).map_err(|e| NodeError::Config {
                    reason: e.to_string(),
                })?;
                let name = format!("{}.key.json", suite.as_str());
                write_key_file(&node_dir.join(&name), &key.to_file())?;
                files.push(toml::Value::String(name).to_string());
            }
            sealing_key_files = format!("sealing_key_files = [{}]\n", files.join(", "));
        }
        let operator_token_file = node_dir.join("operator.token");
        OperatorToken::generate()?.write_new(&operator_token_file)?;
        // With TONGBAN_DEMO_POSTGRES (a PostgreSQL URL whose user may create databases),
        // each node keeps its database in one of its own there instead of SQLite's file;
        // with TONGBAN_DEMO_POSTGRES_CA too (the server's authority, PEM), over TLS.
        let database_url = match std::env::var("TONGBAN_DEMO_POSTGRES") {
            Ok(admin_url) => {
                let ca_file = std::env::var("TONGBAN_DEMO_POSTGRES_CA").ok();
                let ca_pem = match &ca_file {
                    Some(path) => {
                        Some(std::fs::read(path).map_err(|e| io("read", Path::new(path), e))?)
                    }
                    None => None,
                };
                let admin = crate::store::PostgresServer {
                    url: admin_url,
                    ca_pem,
                };
                let ca_file = ca_file
                    .map(|path| format!("database_ca_file = {}\n", toml::Value::String(path)))
                    .unwrap_or_default();
                format!(
                    "database_url = \"{}\"\n{ca_file}",
                    crate::database::create_database(&admin)?
                )
            }
            Err(_) => String::new(),
        };
        let config = node_dir.join("node.toml");
        let text = format!(
            "node = \"{node}\"\nkey_file = \"key.json\"\n{other_key_files}{sealing_key_files}{database_url}registry_file = \"../registry.json\"\n\
             listen = \"{listen}\"\noperator_listen = \"{operator_listen}\"\n\
             operator_token_file = \"operator.token\"\ndata_dir = \"data\"\n\n\
             [delivery]\nattempts = 2\nfirst_backoff_ms = 50\nmax_backoff_ms = 500\n\
             request_timeout_ms = 5000\nretry_interval_ms = 200\n"
        );
        std::fs::write(&config, text).map_err(|e| io("write", &config, e))?;
        prepared.insert(
            node.to_string(),
            DemoNode {
                config,
                listen,
                operator_listen,
                operator_token_file,
                endpoint,
            },
        );
    }
    let endpoints = prepared
        .iter()
        .map(|(node, files)| (node.clone(), files.endpoint.clone()))
        .collect();
    let registry = match sealing {
        true => sample::registry_with_endpoints_sealing(&endpoints, protocols),
        false => sample::registry_with_endpoints_speaking(&endpoints, protocols),
    }
    .map_err(|e| NodeError::Config {
        reason: e.to_string(),
    })?;
    let registry_file = dir.join("registry.json");
    std::fs::write(&registry_file, registry).map_err(|e| io("write", &registry_file, e))?;
    Ok(prepared)
}

/// A replica of a node: a configuration file of its own beside the node's, with the
/// same identity, key and database, a name of its own and addresses of its own.
#[derive(Debug, Clone)]
pub struct DemoReplica {
    /// Its configuration file.
    pub config: PathBuf,
    /// Its protocol endpoint's address.
    pub listen: SocketAddr,
    /// Its operator API's address.
    pub operator_listen: SocketAddr,
}

/// Writes, beside the node configuration `node_config`, that of replica `replica` (a
/// name of its own among the node's replicas), on free loopback ports.
pub fn prepare_replica(node_config: &Path, replica: &str) -> Result<DemoReplica, NodeError> {
    let node = crate::Config::load(node_config)?;
    let listen = free_address()?;
    let operator_listen = free_address()?;
    let text = std::fs::read_to_string(node_config)
        .map_err(|e| io("read", node_config, e))?
        .replace(
            &format!("operator_listen = \"{}\"", node.operator_listen),
            &format!("operator_listen = \"{operator_listen}\""),
        )
        .replace(
            &format!("\nlisten = \"{}\"", node.listen),
            &format!("\nlisten = \"{listen}\""),
        )
        .replace(
            "data_dir = ",
            &format!("replica = \"{replica}\"\ndata_dir = "),
        );
    let config = node_config.with_file_name(format!("replica-{replica}.toml"));
    std::fs::write(&config, text).map_err(|e| io("write", &config, e))?;
    Ok(DemoReplica {
        config,
        listen,
        operator_listen,
    })
}

/// Writes a sample key's key file.
fn write_key(file: &Path, key: Result<tongban::KeyPair, tongban::Error>) -> Result<(), NodeError> {
    let key = key.map_err(|e| NodeError::Config {
        reason: e.to_string(),
    })?;
    write_key_file(file, &key.to_file())
}

/// Writes a key file (a signing or a sealing key's).
fn write_key_file(file: &Path, key: &tongban::crypto::KeyFile) -> Result<(), NodeError> {
    let json = serde_json::to_vec_pretty(key).unwrap_or_default();
    std::fs::write(file, json).map_err(|e| io("write", file, e))
}

/// A client of a node's operator API (see [`crate::operator`]), with its token.
#[derive(Clone)]
pub struct OperatorClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for OperatorClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorClient")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// A failed operator call: the HTTP status (0 when there was no answer) and the body.
#[derive(Debug, Clone, thiserror::Error)]
#[error("operator API: HTTP {status}: {body}")]
pub struct OperatorError {
    /// The status.
    pub status: u16,
    /// The answer, or why there was none.
    pub body: String,
}

impl OperatorError {
    /// The error code of the answer, if it is an error body.
    pub fn code(&self) -> Option<String> {
        tongban::http::ErrorBody::parse(self.body.as_bytes()).map(|b| b.code)
    }
}

impl OperatorClient {
    /// A client of the operator API at `address`, presenting `token`.
    pub fn new(address: SocketAddr, token: &str) -> OperatorClient {
        OperatorClient::at(&format!("http://{address}"), token)
    }

    /// A client of the operator API at the URL `base` (`http://127.0.0.1:7401`),
    /// presenting `token`.
    pub fn at(base: &str, token: &str) -> OperatorClient {
        OperatorClient {
            base: format!("{}/operator/v1", base.trim_end_matches('/')),
            token: token.to_string(),
            http: reqwest::Client::new(),
        }
    }

    /// A client of a demo node's operator API, with the token from its file.
    pub fn of_demo(node: &DemoNode) -> Result<OperatorClient, NodeError> {
        let token = OperatorToken::load(&node.operator_token_file)?;
        Ok(OperatorClient::new(node.operator_listen, token.secret()))
    }

    async fn call(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<serde_json::Value, OperatorError> {
        let failed = |e: reqwest::Error| OperatorError {
            status: 0,
            body: e.to_string(),
        };
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(failed)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(failed)?;
        if !(200..300).contains(&status) {
            return Err(OperatorError { status, body: text });
        }
        serde_json::from_str(&text).map_err(|e| OperatorError {
            status,
            body: format!("not JSON ({e}): {text}"),
        })
    }

    /// Queues a message (`{"type", "case", "to", "agreement", "in_reply_to"?, "body"}`);
    /// returns `{"id", "sha256", "state"}`.
    pub async fn send(
        &self,
        message: &serde_json::Value,
    ) -> Result<serde_json::Value, OperatorError> {
        let request = self
            .http
            .post(format!("{}/messages", self.base))
            .header("content-type", "application/json")
            .body(message.to_string());
        self.call(request).await
    }

    /// The case view by case id alone, or `None` if the node has no such case; refused
    /// (`409 operator.ambiguous_case`) when several windows have a case with this id.
    pub async fn case(&self, case: &str) -> Result<Option<serde_json::Value>, OperatorError> {
        self.view(&format!("{}/cases/{case}", self.base)).await
    }

    /// The view of window `window`'s case `case`, or `None` if the node has no such case.
    pub async fn case_of(
        &self,
        window: &str,
        case: &str,
    ) -> Result<Option<serde_json::Value>, OperatorError> {
        self.view(&format!("{}/cases/{window}/{case}", self.base))
            .await
    }

    async fn view(&self, url: &str) -> Result<Option<serde_json::Value>, OperatorError> {
        match self.call(self.http.get(url)).await {
            Ok(view) => Ok(Some(view)),
            Err(e) if e.status == 404 => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Installs a new registry (its signed bytes); returns `{"version", "sha256", …}`.
    pub async fn install_registry(
        &self,
        bytes: Vec<u8>,
    ) -> Result<serde_json::Value, OperatorError> {
        let request = self
            .http
            .put(format!("{}/registry", self.base))
            .header("content-type", "application/json")
            .body(bytes);
        self.call(request).await
    }

    /// The node's health: registry and key expiry, warnings.
    pub async fn health(&self) -> Result<serde_json::Value, OperatorError> {
        self.call(self.http.get(format!("{}/health", self.base)))
            .await
    }

    /// The cases, newest first: `{"window", "case"}` each.
    pub async fn cases(&self) -> Result<Vec<serde_json::Value>, OperatorError> {
        let answer = self
            .call(self.http.get(format!("{}/cases", self.base)))
            .await?;
        Ok(answer["cases"].as_array().cloned().unwrap_or_default())
    }

    /// The node's metrics, as OpenMetrics text (`GET /operator/v1/metrics`).
    pub async fn metrics(&self) -> Result<String, OperatorError> {
        let response = self.get("/metrics").await?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(unanswered)?;
        if status != 200 {
            return Err(OperatorError { status, body: text });
        }
        Ok(text)
    }

    /// `GET` of `path` under the API's base, with the token; any answer.
    async fn get(&self, path: &str) -> Result<reqwest::Response, OperatorError> {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(unanswered)
    }

    /// The outbox.
    pub async fn outbox(&self) -> Result<serde_json::Value, OperatorError> {
        self.call(self.http.get(format!("{}/outbox", self.base)))
            .await
    }

    /// Uploads a file to send (`POST /operator/v1/files`); returns its reference.
    pub async fn upload(
        &self,
        name: &str,
        media_type: &str,
        bytes: Vec<u8>,
    ) -> Result<FileRef, OperatorError> {
        let request = self
            .http
            .post(format!("{}/files", self.base))
            .query(&[("name", name), ("media_type", media_type)])
            .header("content-type", crate::auth::UPLOAD_MEDIA_TYPE)
            .body(bytes);
        let reference = self.call(request).await?;
        serde_json::from_value(reference.clone()).map_err(|e| OperatorError {
            status: 201,
            body: format!("not a file reference ({e}): {reference}"),
        })
    }

    /// A file the node holds (`GET /operator/v1/files/{sha256}`): its bytes and
    /// media type.
    pub async fn download(&self, sha256: &str) -> Result<(Vec<u8>, String), OperatorError> {
        let response = self.get(&format!("/files/{sha256}")).await?;
        let status = response.status().as_u16();
        let media_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = response.bytes().await.map_err(unanswered)?;
        if status != 200 {
            return Err(OperatorError {
                status,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        Ok((bytes.to_vec(), media_type))
    }

    /// Polls the case until `done` holds for its view, for at most `timeout`.
    pub async fn wait_for_case(
        &self,
        case: &str,
        timeout: std::time::Duration,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> Result<serde_json::Value, OperatorError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let view = self.case(case).await?;
            if let Some(view) = view.as_ref().filter(|v| done(v)) {
                return Ok(view.clone());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(OperatorError {
                    status: 0,
                    body: format!("case {case} did not reach the expected state in {timeout:?}; last seen: {view:?}"),
                });
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// What a node's protocol endpoint answered a raw post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The HTTP status.
    pub status: u16,
    /// Whether the answer says the message was received before.
    pub replayed: bool,
    /// The answer's bytes: a receipt, or an error.
    pub body: Vec<u8>,
}

/// Posts `body`, as it is, to `node`'s protocol endpoint, as a partner (or anyone who
/// reaches the port) would.
pub async fn post_raw(node: &crate::RunningNode, body: Vec<u8>) -> Result<Posted, reqwest::Error> {
    let endpoint = format!(
        "http://{}{}{}",
        node.address,
        node.node().config().endpoint_path(),
        tongban::http::MESSAGES_PATH
    );
    let response = reqwest::Client::new()
        .post(&endpoint)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    let replayed = response
        .headers()
        .contains_key(tongban::http::REPLAYED_HEADER);
    let body = response.bytes().await?.to_vec();
    Ok(Posted {
        status,
        replayed,
        body,
    })
}

/// What the operator API takes to send the sample transfer (a barber shop's licence)
/// of case `case` from Huangshi to Jiujiang under the sample agreement.
pub fn sample_transfer(case: &str) -> Result<serde_json::Value, NodeError> {
    let body = sample::transfer_body().map_err(|e| NodeError::Config {
        reason: e.to_string(),
    })?;
    Ok(serde_json::json!({
        "type": "transfer", "case": case, "to": sample::JIUJIANG,
        "agreement": sample::AGREEMENT, "body": body,
    }))
}

/// A request that got no answer.
fn unanswered(error: reqwest::Error) -> OperatorError {
    OperatorError {
        status: 0,
        body: error.to_string(),
    }
}

/// The sum of the samples of series `name` in the OpenMetrics `text` whose labels
/// include each of `labels` (`("outcome", "accepted")`, say).
pub fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(name)?;
            let (labels_text, value) = match rest.strip_prefix('{') {
                Some(rest) => rest.split_once("} ")?,
                None => ("", rest.strip_prefix(' ')?),
            };
            labels
                .iter()
                .all(|(label, wanted)| labels_text.contains(&format!("{label}=\"{wanted}\"")))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .fold(0.0, |sum, value| sum + value)
}

/// The state of the first track of a case view (`"received"`, …), if any.
pub fn track_state(view: &serde_json::Value) -> Option<&str> {
    view.pointer("/tracks/0/state")
        .and_then(serde_json::Value::as_str)
}

/// The files of a case view that the node received and holds, their fetch complete
/// (each checked against its reference, §23.4).
pub fn files_fetched(view: &serde_json::Value) -> usize {
    view["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["direction"] == "in" && f["held"] == true)
        .filter(|f| f["fetch"]["status"] == "complete")
        .count()
}

/// A reference to an attached PDF, as a message body carries it (§6).
pub(crate) fn file(name: &str, content: &str, size: u64) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "sha256": tongban::Sha256Digest::of(content.as_bytes()).as_str(),
        "media_type": "application/pdf",
        "size": size,
    })
}

/// The body (§6) of a step of the sample barber-shop case after its transfer, as the
/// operator API takes it: Jiujiang's `status_update` (review) and `supplement_request`,
/// Huangshi's `supplement`, Jiujiang's `decision`, and (1.1) Jiujiang's `shipment` of the
/// paper licence to Huangshi's window, Huangshi's `shipment_received` and its `delivery`
/// at the window, delivered now, and the applicant's `evaluation` (好差评), given now.
pub fn step_body(message_type: &str) -> Result<serde_json::Value, NodeError> {
    use serde_json::json;
    Ok(match message_type {
        "status_update" => {
            json!({"status": "in_review", "note": "九江市行政审批局已受理，进入审查"})
        }
        "supplement_request" => json!({
            "items": [{"material": "经营场所租赁合同", "reason": "缺少出租方签章页，请补充完整的租赁合同"}],
            "due_working_days": 5,
            "note": "请于5个工作日内补正",
        }),
        "supplement" => json!({
            "materials": [file("经营场所租赁合同（含签章页）", "租赁合同 签章页 庐山北路88号", 640_000)],
            "note": "申请人已补齐签章页",
        }),
        "decision" => json!({
            "outcome": "approved",
            "decided_by": "九江市行政审批局",
            "documents": [{
                "kind": "electronic_licence",
                "number": "92360402MA3XJJ0042",
                "file": file("个体工商户营业执照（电子证照）", "营业执照 黄石市磁湖理发店九江分店", 96_000),
            }],
        }),
        "shipment" => json!({
            "contents": "results",
            "carrier": "中国邮政EMS",
            "waybill": "EK202612050042CN",
            "items": [{"name": "个体工商户营业执照（正本）"}],
            "note": "营业执照正本寄黄石市民之家12号窗口，由申请人到窗口领取",
        }),
        "shipment_received" => json!({"complete": true}),
        "evaluation" => json!({
            "grade": "very_satisfied",
            "channel": "window",
            "evaluated_at": tongban::Timestamp::now().as_str(),
            "comment": "在黄石就办好了九江的营业执照，不用跑九江",
        }),
        "delivery" => json!({
            "method": "at_window",
            "delivered_at": tongban::Timestamp::now().as_str(),
            "recipient": "陈丽华",
            "note": "申请人本人在12号窗口签收营业执照正本",
        }),
        other => {
            return Err(NodeError::Config {
                reason: format!("the sample case has no step {other}"),
            })
        }
    })
}

/// A small, valid PDF document of one page showing `lines` (ASCII; PDF's standard
/// fonts carry no Chinese), padded with comment lines to at least `size` bytes, as a
/// scan stands in for in demos and tests. The same arguments give the same bytes.
pub fn pdf(lines: &[&str], size: usize) -> Vec<u8> {
    let escape = |line: &str| {
        line.chars()
            .filter(char::is_ascii)
            .map(|c| match c {
                '(' | ')' | '\\' => format!("\\{c}"),
                c => c.to_string(),
            })
            .collect::<String>()
    };
    let mut content = String::from("BT /F1 14 Tf 56 780 Td 18 TL\n");
    for line in lines {
        content.push_str(&format!("({}) '\n", escape(line)));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", index + 1).as_bytes());
    }
    // Padding: comment lines, which readers skip, before the cross-reference table.
    let mut counter = 0u64;
    while out.len() + 200 < size {
        counter += 1;
        out.extend_from_slice(
            format!(
                "% scan padding {counter:012} ................................................\n"
            )
            .as_bytes(),
        );
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Nothing ever listens on port 0: a connection to it always fails.
    const NOWHERE: SocketAddr =
        SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 0);

    /// A process that prints what the node prints when its port is taken, and exits.
    fn exiting_with(log: &Path, message: &str) -> Result<(), NotServing> {
        let log_file = std::fs::File::create(log).expect("log");
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("echo '{message}' >&2; exit 2"))
            .stderr(log_file)
            .spawn()
            .expect("sh");
        wait_until_serving(&mut child, &[NOWHERE], log, Duration::from_secs(20))
    }

    /// Two nodes prepared by one process never draw one port, though neither binds it
    /// until later (parallel tests each preparing nodes drew the same one).
    #[test]
    fn a_process_is_never_handed_one_port_twice() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..500 {
            let address = free_address().expect("a free address");
            assert!((20_000..32_768).contains(&address.port()));
            assert!(seen.insert(address.port()), "{address} handed out twice");
        }
    }

    #[test]
    fn a_node_that_exits_at_start_is_reported_with_its_log_and_whether_its_port_was_taken() {
        let dir = tempfile::tempdir().expect("dir");
        let log = dir.path().join("node.log");
        let taken = exiting_with(
            &log,
            "error [node.listen]: cannot listen on 127.0.0.1:20001: Address already in use",
        )
        .expect_err("it exits");
        assert!(taken.exit.is_some_and(|status| status.code() == Some(2)));
        assert!(taken.address_taken());
        assert!(taken.to_string().contains("Address already in use"));
        let other = exiting_with(&log, "error [node.config]: no key file").expect_err("it exits");
        assert!(!other.address_taken());
    }

    #[test]
    fn a_process_that_never_listens_is_reported_when_the_time_is_up() {
        let dir = tempfile::tempdir().expect("dir");
        let log = dir.path().join("node.log");
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep");
        let silent = wait_until_serving(&mut child, &[NOWHERE], &log, Duration::from_millis(200))
            .expect_err("nothing listens");
        let _ = child.kill();
        let _ = child.wait();
        assert!(silent.exit.is_none() && !silent.address_taken());
        assert!(silent.to_string().starts_with("the node does not listen"));
    }
}
