//! Endpoint conformance (feature `endpoint`): drives a live node over the HTTP binding
//! through scripted exchanges and reports them like vectors (category `endpoint`).
//!
//! The tester plays a member (the sample Huangshi window by default) and sends the node
//! under test (the competent authority, Jiujiang in the sample registry) a valid
//! transfer, the same transfer again, and one message for each kind of refusal; each
//! must get the right HTTP status and error code (`docs/PROTOCOL.md` §21). With the
//! node's operator API, a whole case then runs to decision between the node and a
//! reference node the tester starts for its own side.
//!
//! The hostile corpus (`conformance/vectors/hostile/`) follows: each vector the node
//! can answer whatever its clock and replay record is posted to it and must be refused
//! with its code (see `corpus`), and afterwards a valid transfer must still get its
//! receipt.
//!
//! [`run_reference`] starts the reference node on loopback and tests it.

mod corpus;
mod files;
mod tls;

pub use tls::TesterTls;

use crate::run::{CaseResult, Verdict};
use partner_node::auth::OperatorToken;
use partner_node::demo::{self, track_state, OperatorClient};
use partner_node::{start, Config};
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use tongban::client::{Client, ClientTls, RetryPolicy};
use tongban::http::{ErrorBody, MEDIA_TYPE, MESSAGES_PATH, REPLAYED_HEADER};
use tongban::registry::Registry;
use tongban::sample::{self, AGREEMENT, HUANGSHI, JIUJIANG};
use tongban::*;

/// What to test and as whom.
#[derive(Debug)]
pub struct Target {
    /// The node's endpoint, as in the registry (`…/tongban/v1`).
    pub endpoint: String,
    /// The node under test.
    pub node: NodeId,
    /// The registry the node trusts.
    pub registry: Registry,
    /// The registry's bytes, for the tester's own reference node.
    pub registry_bytes: Vec<u8>,
    /// The tester's key: a member that is a party to the sample agreement.
    pub key: KeyPair,
    /// The node's operator API (the reference node's), for the whole-case check.
    pub operator: Option<Operator>,
    /// How to speak TLS to the node, when its endpoint is `https://` and trusts other
    /// roots than the web's, asks for a client certificate, or requires keys that the
    /// registry names (§21.5); `None` for the usual web roots and no certificate.
    pub tls: Option<TesterTls>,
}

/// A node's operator API and the token it wants.
#[derive(Debug)]
pub struct Operator {
    /// Its URL (`http://127.0.0.1:7401`).
    pub url: String,
    /// Its bearer token.
    pub token: OperatorToken,
}

impl Operator {
    /// The operator API at `url`, with the token read from `token_file`.
    pub fn from_file(url: &str, token_file: &Path) -> Result<Operator, String> {
        let token = OperatorToken::load(token_file).map_err(|e| e.to_string())?;
        Ok(Operator {
            url: url.to_string(),
            token,
        })
    }
}

impl Target {
    /// A target from files: the registry, the tester's key file, the node's endpoint
    /// URL and, if the URL is not a member's endpoint, the node's id.
    pub fn from_files(
        endpoint: &str,
        registry_file: &Path,
        key_file: Option<&Path>,
        node: Option<&str>,
        operator: Option<Operator>,
    ) -> Result<Target, String> {
        let bytes = std::fs::read(registry_file)
            .map_err(|e| format!("{}: {e}", registry_file.display()))?;
        let registry = Registry::bootstrap(&bytes, &Timestamp::now())
            .map_err(|e| format!("{}: [{}] {e}", registry_file.display(), e.code()))?;
        let key = match key_file {
            Some(path) => {
                let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
                KeyPair::from_key_file_json(&text)
                    .map_err(|e| format!("{}: [{}] {e}", path.display(), e.code()))?
            }
            None => sample::key(HUANGSHI).map_err(|e| e.to_string())?,
        };
        let endpoint = endpoint.trim_end_matches('/').to_string();
        let node = match node {
            Some(node) => NodeId::parse(node).map_err(|e| e.to_string())?,
            None => registry
                .document()
                .members
                .iter()
                .find(|m| m.endpoint.trim_end_matches('/') == endpoint)
                .map(|m| m.node.clone())
                .ok_or_else(|| {
                    format!("no member of the registry has the endpoint {endpoint}; pass --node")
                })?,
        };
        Ok(Target {
            endpoint,
            node,
            registry,
            registry_bytes: bytes,
            key,
            operator,
            tls: None,
        })
    }

    /// What the SDK's client trusts and presents to reach the node.
    fn client_tls(&self) -> ClientTls {
        ClientTls {
            roots_pem: self.tls.as_ref().and_then(|t| t.roots_pem.clone()),
            identity_pem: self.tls.as_ref().and_then(|t| t.identity_pem.clone()),
            endpoint_keys: None,
        }
    }
}

/// One scripted check's outcome: the HTTP status and the error code (or `null` for a
/// receipt), plus what was wrong beyond them.
type Outcome = Result<Value, String>;

/// A change to a message before it is signed.
type Edit = Box<dyn FnOnce(&mut Value)>;

struct Tester<'a> {
    target: &'a Target,
    http: reqwest::Client,
    run: String,
    cases: u32,
}

struct Answer {
    status: u16,
    code: Option<String>,
    replayed: bool,
    body: Vec<u8>,
}

impl<'a> Tester<'a> {
    /// A tester of `target`, speaking TLS as it says.
    fn new(target: &'a Target) -> Result<Tester<'a>, String> {
        let tls = target.tls.as_ref();
        Ok(Tester {
            target,
            http: http_client(
                tls.and_then(|t| t.roots_pem.as_deref()),
                tls.and_then(|t| t.identity_pem.as_deref()),
            )?,
            // Unique per run, so that runs against the same node never share a case.
            run: MessageId::new_v7(&Timestamp::now())
                .to_string()
                .replace('-', "")[20..]
                .to_uppercase(),
            cases: 0,
        })
    }

    /// Where messages are posted.
    fn messages_url(&self) -> String {
        format!("{}{MESSAGES_PATH}", self.target.endpoint)
    }

    fn case_id(&mut self) -> String {
        self.cases += 1;
        format!("CONF-{}-{:03}", self.run, self.cases)
    }

    /// A transfer from the tester to the node, with `edit` applied before signing.
    fn transfer(&mut self, edit: impl FnOnce(&mut Value)) -> Result<Vec<u8>, String> {
        let route = Route {
            from: self.target.key.owner().clone(),
            to: self.target.node.clone(),
            agreement: AgreementId::parse(AGREEMENT).map_err(|e| e.to_string())?,
            case: CaseId::parse(self.case_id()).map_err(|e| e.to_string())?,
        };
        let body = Body::Transfer(sample::transfer_body().map_err(|e| e.to_string())?);
        let message =
            Envelope::new(route, body, Timestamp::now(), 3600).map_err(|e| e.to_string())?;
        self.sign(
            message.to_value().map_err(|e| e.to_string())?,
            edit,
            &self.target.key,
        )
    }

    fn sign(
        &self,
        mut value: Value,
        edit: impl FnOnce(&mut Value),
        key: &KeyPair,
    ) -> Result<Vec<u8>, String> {
        if let Some(object) = value.as_object_mut() {
            object.remove("signatures");
        }
        edit(&mut value);
        signing::sign_document(&mut value, key).map_err(|e| e.to_string())?;
        Ok(canonical::to_canonical_bytes(&value))
    }

    async fn post(&self, content_type: &str, body: Vec<u8>) -> Result<Answer, String> {
        let response = self
            .http
            .post(self.messages_url())
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("no answer: {e}"))?;
        let status = response.status().as_u16();
        let replayed = response
            .headers()
            .get(REPLAYED_HEADER)
            .is_some_and(|v| v.as_bytes() == b"true");
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("no body: {e}"))?
            .to_vec();
        let code = (status != 200).then(|| {
            ErrorBody::parse(&body).map_or_else(|| "(no error body)".to_string(), |b| b.code)
        });
        Ok(Answer {
            status,
            code,
            replayed,
            body,
        })
    }

    async fn refusal(&self, bytes: Result<Vec<u8>, String>) -> Outcome {
        self.refusal_as(MEDIA_TYPE, bytes).await
    }

    async fn refusal_as(&self, content_type: &str, bytes: Result<Vec<u8>, String>) -> Outcome {
        let answer = self.post(content_type, bytes?).await?;
        Ok(json!({"status": answer.status, "code": answer.code}))
    }
}

fn expected(status: u16, code: &str) -> Value {
    json!({"status": status, "code": code})
}

fn result(
    id: &str,
    description: &str,
    expected: Value,
    outcome: Outcome,
    started: Instant,
) -> CaseResult {
    let verdict = match outcome {
        Ok(actual) if crate::run::matches(&expected, &actual) => Verdict::Passed,
        Ok(actual) => Verdict::Failed { expected, actual },
        Err(why) => Verdict::Failed {
            expected,
            actual: json!({"error": why}),
        },
    };
    CaseResult {
        id: format!("endpoint/{id}"),
        category: "endpoint".into(),
        description: description.into(),
        verdict,
        millis: started.elapsed().as_secs_f64() * 1000.0,
    }
}

/// A check that did not run, and why.
fn skipped(id: &str, description: &str, reason: impl Into<String>) -> CaseResult {
    let mut skipped = result(
        id,
        description,
        Value::Null,
        Ok(Value::Null),
        Instant::now(),
    );
    skipped.verdict = Verdict::Skipped {
        reason: reason.into(),
    };
    skipped
}

/// A reqwest client that trusts `roots` (PEM; the web's roots if `None`) and presents
/// `identity` (a certificate chain and its key, PEM) to a server that asks.
fn http_client(roots: Option<&[u8]>, identity: Option<&[u8]>) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60));
    if let Some(pem) = roots {
        builder = builder.tls_built_in_root_certs(false);
        let roots = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| format!("the TLS roots: {e}"))?;
        for root in roots {
            builder = builder.add_root_certificate(root);
        }
    }
    if let Some(pem) = identity {
        let identity =
            reqwest::Identity::from_pem(pem).map_err(|e| format!("the TLS identity: {e}"))?;
        builder = builder.identity(identity);
    }
    builder.build().map_err(|e| e.to_string())
}

/// Runs every check against `target`, calling `progress` after each.
pub async fn run(target: &Target, progress: &mut dyn FnMut(&CaseResult)) -> Vec<CaseResult> {
    let mut results = Vec::new();
    let mut record = |r: CaseResult| {
        progress(&r);
        results.push(r);
    };
    if target
        .tls
        .as_ref()
        .is_some_and(|t| t.registry_named_clients)
    {
        // Such a node refuses every message of another member than the tester's key
        // with tls.wrong_member first, and the tester's own node for the whole case
        // has no listed key: the binding's checks need the node with it off.
        record(skipped(
            "binding",
            "the HTTP binding, the hostile corpus and the whole case",
            "with --registry-named-clients only the tls/* checks run: run the others against the node with registry_named_clients off",
        ));
    } else {
        binding(target, &mut record).await;
    }
    tls::run(target, &mut record).await;
    results
}

/// The checks of the HTTP binding, the hostile corpus and the whole case.
async fn binding(target: &Target, record: &mut dyn FnMut(CaseResult)) {
    let mut tester = match Tester::new(target) {
        Ok(tester) => tester,
        Err(why) => {
            let started = Instant::now();
            record(result(
                "tester",
                "the tester reaches the node as its TLS options say",
                Value::Null,
                Err(why),
                started,
            ));
            return;
        }
    };
    let accepted = json!({"status": 200, "receipt": "verified", "answers": "the transfer"});

    // A valid transfer, verified end to end by the SDK's client.
    let started = Instant::now();
    let transfer = tester.transfer(|_| {});
    let client = Client::with_tls(
        RetryPolicy {
            attempts: 1,
            ..RetryPolicy::default()
        },
        &target.client_tls(),
    );
    let mut first_receipt = None;
    let outcome = match (&transfer, &client) {
        (Ok(bytes), Ok(client)) => match client.deliver(&target.registry, bytes).await {
            Ok(delivery) => {
                first_receipt = Some(delivery.receipt_bytes.clone());
                Ok(accepted.clone())
            }
            Err(e) => Err(format!("[{}] {e}", e.code())),
        },
        (Err(e), _) => Err(e.clone()),
        (_, Err(e)) => Err(e.to_string()),
    };
    record(result("transfer_receipted", "a valid transfer gets a signed receipt that verifies against the registry and binds the transfer", accepted.clone(), outcome, started));

    let started = Instant::now();
    let outcome = match (&transfer, &first_receipt) {
        (Ok(bytes), Some(first)) => tester.post(MEDIA_TYPE, bytes.clone()).await.map(|a| {
            json!({"status": a.status, "same_receipt": &a.body == first, "replayed_header": a.replayed})
        }),
        _ => Err("no first receipt to compare with".into()),
    };
    record(result(
        "duplicate_same_receipt",
        "the same transfer again gets the first receipt, byte for byte, marked as replayed",
        json!({"status": 200, "same_receipt": true, "replayed_header": true}),
        outcome,
        started,
    ));

    let transfer_doc: Option<Value> = transfer.as_ref().ok().and_then(|b| json::parse(b).ok());
    // Another message with an id already accepted, in its case or in a case of its own
    // that it would open: the replay record is the sender's ids, whatever the case.
    let other_case = tester.case_id();
    let replays: [(&str, &str, Edit); 2] = [
        (
            "replayed_id",
            "another message with an id already accepted is refused",
            Box::new(|v| v["body"]["window"]["window"] = json!("跨域通办专窗 13号")),
        ),
        (
            "replayed_id_other_case",
            "another message with an id already accepted, in another case, is refused",
            Box::new(move |v| v["case"] = json!(other_case)),
        ),
    ];
    for (id, description, edit) in replays {
        let started = Instant::now();
        let replayed = match &transfer_doc {
            Some(doc) => tester.sign(doc.clone(), edit, &target.key),
            None => Err("no transfer".into()),
        };
        let outcome = tester.refusal(replayed).await;
        record(result(
            id,
            description,
            expected(409, "replay.duplicate"),
            outcome,
            started,
        ));
    }

    let started = Instant::now();
    let supplement = match &transfer_doc {
        Some(doc) => Unverified::parse(&canonical::to_canonical_bytes(doc))
            .map_err(|e| e.to_string())
            .and_then(|answered| {
                let transfer = answered.envelope();
                let route = Route {
                    from: transfer.from.clone(),
                    to: transfer.to.clone(),
                    agreement: transfer.agreement.clone(),
                    case: transfer.case.clone(),
                };
                let body = Body::Supplement(Supplement {
                    materials: Vec::new(),
                    form: None,
                    note: Some("conformance".into()),
                });
                let mut message = Envelope::new(route, body, Timestamp::now(), 3600)
                    .map_err(|e| e.to_string())?;
                message.in_reply_to = Some(transfer.id.clone());
                tester.sign(
                    message.to_value().map_err(|e| e.to_string())?,
                    |_| {},
                    &target.key,
                )
            }),
        None => Err("no transfer".into()),
    };
    let outcome = tester.refusal(supplement).await;
    record(result(
        "illegal_transition",
        "a supplement for an item that was only received (no supplement requested) is refused",
        expected(409, "lifecycle.illegal_transition"),
        outcome,
        started,
    ));

    let refusals: Vec<(&str, &str, u16, &str, Edit)> = vec![
        (
            "bad_signature",
            "a transfer changed after signing is refused",
            401,
            "signature.invalid",
            Box::new(|_| {}),
        ),
        (
            "expired",
            "a transfer that expired long ago is refused",
            422,
            "time.expired",
            Box::new(|v| {
                v["created"] = json!("2026-01-05T09:00:00+08:00");
                v["expires"] = json!("2026-01-05T10:00:00+08:00");
            }),
        ),
        (
            "item_unknown",
            "a transfer of an item outside the agreement's catalogue is refused",
            422,
            "item.unknown",
            Box::new(|v| v["body"]["item"] = json!("HB-JX-9999")),
        ),
        (
            "mode_not_allowed",
            "a transfer in a handling mode the item does not allow is refused",
            422,
            "item.mode_not_allowed",
            Box::new(|v| v["body"]["mode"] = json!("joint_handling")),
        ),
        (
            "form_invalid",
            "a transfer whose form data fails the item's form schema is refused",
            422,
            "item.form_invalid",
            Box::new(|v| v["body"]["form"]["employees"] = json!("three")),
        ),
        (
            "material_missing",
            "a transfer without a material the item requires is refused",
            422,
            "item.material_missing",
            Box::new(|v| {
                if let Some(list) = v["body"]["materials"].as_array_mut() {
                    list.truncate(1);
                }
            }),
        ),
        (
            "wrong_receiver",
            "a transfer addressed to another member is refused",
            403,
            "message.wrong_receiver",
            Box::new(|v| v["to"] = json!("wuhan.420100")),
        ),
    ];
    for (id, description, status, code, edit) in refusals {
        let started = Instant::now();
        let mut bytes = tester.transfer(edit);
        if id == "bad_signature" {
            bytes = bytes.map(|b| {
                String::from_utf8_lossy(&b)
                    .replace("陈丽华", "陈丽芳")
                    .into_bytes()
            });
        }
        let outcome = tester.refusal(bytes).await;
        record(result(
            id,
            description,
            expected(status, code),
            outcome,
            started,
        ));
    }

    let started = Instant::now();
    let stranger = NodeId::parse("zhuhai.440400")
        .map_err(|e| e.to_string())
        .and_then(|node| KeyPair::generate(node, None).map_err(|e| e.to_string()));
    let unknown = match stranger {
        Ok(key) => tester.transfer(|_| {}).and_then(|bytes| {
            let mut doc = json::parse(&bytes).map_err(|e| e.to_string())?;
            doc["from"] = json!("zhuhai.440400");
            tester.sign(doc, |_| {}, &key)
        }),
        Err(e) => Err(e),
    };
    let outcome = tester.refusal(unknown).await;
    record(result(
        "unknown_sender",
        "a transfer from a node that is not a member is refused",
        expected(403, "registry.unknown_member"),
        outcome,
        started,
    ));

    let started = Instant::now();
    let outcome = tester
        .refusal(Ok(br#"{"protocol":"1.0","protocol":"1.0"}"#.to_vec()))
        .await;
    record(result(
        "duplicate_key",
        "a document with a duplicate member name is refused",
        expected(400, "json.duplicate_key"),
        outcome,
        started,
    ));

    let started = Instant::now();
    let oversized = vec![b' '; json::Limits::PROTOCOL.max_bytes + 1];
    let outcome = tester.refusal(Ok(oversized)).await;
    record(result(
        "oversized",
        "a body over the 1 MiB limit is refused before it is read",
        expected(413, "json.too_large"),
        outcome,
        started,
    ));

    let started = Instant::now();
    let plain = tester.transfer(|_| {});
    let outcome = tester.refusal_as("text/plain", plain).await;
    record(result(
        "media_type",
        "a body sent as text/plain is refused",
        expected(415, "http.media_type"),
        outcome,
        started,
    ));

    files::binding(&mut tester, record).await;
    corpus::run(&tester, record).await;
    let started = Instant::now();
    let outcome = match (tester.transfer(|_| {}), &client) {
        (Ok(bytes), Ok(client)) => match client.deliver(&target.registry, &bytes).await {
            Ok(_) => Ok(accepted.clone()),
            Err(e) => Err(format!("[{}] {e}", e.code())),
        },
        (Err(e), _) => Err(e),
        (_, Err(e)) => Err(e.to_string()),
    };
    record(result(
        "still_serving",
        "after the hostile corpus, a valid transfer still gets its receipt",
        accepted.clone(),
        outcome,
        started,
    ));

    let started = Instant::now();
    let outcome = whole_case(&mut tester).await;
    let mut whole = json!({"window": "decided", "authority": "decided"});
    if files::exchanged(&tester) {
        whole["files"] = json!({
            "fetched_by_the_node": 3,
            "files_received_for_the_transfer": true,
            "licence_fetched_by_the_window": true,
            "fetched_back": files::fetched_back(&tester),
        });
    }
    let mut full = result("whole_case", "a case runs transfer → receipt → review → supplement request → supplement → decision between the node and a reference node (with 1.1, its files both ways)", whole, outcome, started);
    if target.operator.is_none() {
        full.verdict = Verdict::Skipped {
            reason: "needs the node's operator API (--operator)".into(),
        };
    }
    record(full);
}

/// The whole case: the tester starts a reference node for its own side at the
/// tester's endpoint in the registry (which must be on loopback), and drives both
/// nodes through their operator APIs.
async fn whole_case(tester: &mut Tester<'_>) -> Outcome {
    let target = tester.target;
    let Some(operator) = &target.operator else {
        return Err("no operator API".into());
    };
    let own = target
        .registry
        .member(target.key.owner())
        .ok_or("the tester's node is not a member")?;
    let listen = own
        .endpoint
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
        .and_then(|address| address.parse().ok())
        .ok_or_else(|| {
            format!(
                "the tester's endpoint {} is not an http:// loopback address it can listen on",
                own.endpoint
            )
        })?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let registry = Registry::bootstrap(&target.registry_bytes, &Timestamp::now())
        .map_err(|e| e.to_string())?;
    let config = Config {
        node: target.key.owner().clone(),
        key: KeyPair::from_file(&target.key.to_file()).map_err(|e| e.to_string())?,
        other_keys: Vec::new(),
        sealing_keys: Vec::new(),
        registry,
        registry_bytes: target.registry_bytes.clone(),
        registry_file: None,
        listen,
        operator_listen: demo::free_address().map_err(|e| e.to_string())?,
        operator_token: OperatorToken::generate().map_err(|e| e.to_string())?,
        metrics_token: None,
        tls: None,
        replica: "conformance".into(),
        operator_hosts: Vec::new(),
        data_dir: dir.path().join("data"),
        database: partner_node::store::Location::Sqlite(dir.path().join("data")),
        limits: Default::default(),
        retry: RetryPolicy {
            attempts: 2,
            first_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(500),
            ..RetryPolicy::default()
        },
        retry_interval: Duration::from_millis(200),
        max_retry_interval: Duration::from_secs(5),
    };
    let window = start(config)
        .await
        .map_err(|e| format!("[{}] {e}", e.code()))?;
    let outcome = drive(
        tester,
        &window.operator_client(),
        &OperatorClient::at(&operator.url, operator.token.secret()),
    )
    .await;
    window.stop().await;
    outcome
}

async fn drive(
    tester: &mut Tester<'_>,
    window: &OperatorClient,
    authority: &OperatorClient,
) -> Outcome {
    const WAIT: Duration = Duration::from_secs(20);
    let target = tester.target;
    let case = tester.case_id();
    let (window_node, authority_node) = (target.key.owner().to_string(), target.node.to_string());
    let message = |message_type: &str, to: &str, in_reply_to: Option<&str>, body: Value| json!({"type": message_type, "case": case, "to": to, "agreement": AGREEMENT, "in_reply_to": in_reply_to, "body": body});
    let e = |e: demo::OperatorError| e.to_string();
    let at = |state: &'static str| move |v: &Value| track_state(v) == Some(state);
    let exchange = files::exchanged(tester);
    let mut transfer_body = sample::transfer_body().map_err(|e| e.to_string())?;
    if exchange {
        // 1.1: the materials are real files the window holds; the node fetches them.
        for (i, material) in transfer_body.materials.iter_mut().enumerate() {
            let pdf = demo::pdf(&["Conformance material", &case], 30_000 + 20_000 * i);
            *material = window
                .upload(&material.name, "application/pdf", pdf)
                .await
                .map_err(e)?;
        }
    }
    let transfer = serde_json::to_value(transfer_body).map_err(|e| e.to_string())?;
    let queued = window
        .send(&message("transfer", &authority_node, None, transfer))
        .await
        .map_err(e)?;
    let id = queued["id"].as_str().unwrap_or_default().to_string();
    window
        .wait_for_case(&case, WAIT, at("received"))
        .await
        .map_err(e)?;
    authority
        .send(&message(
            "status_update",
            &window_node,
            Some(&id),
            json!({"status": "in_review"}),
        ))
        .await
        .map_err(e)?;
    authority
        .send(&message("supplement_request", &window_node, Some(&id), json!({"items": [{"material": "经营场所租赁合同", "reason": "缺少签章页"}], "due_working_days": 5})))
        .await
        .map_err(e)?;
    window
        .wait_for_case(&case, WAIT, at("supplement_requested"))
        .await
        .map_err(e)?;
    let mut file = json!({"name": "经营场所租赁合同", "sha256": Sha256Digest::of(b"conformance").as_str(), "media_type": "application/pdf", "size": 1});
    if exchange {
        let pdf = demo::pdf(&["Conformance supplement", &case], 25_000);
        let scan = window
            .upload("经营场所租赁合同", "application/pdf", pdf)
            .await
            .map_err(e)?;
        file = serde_json::to_value(scan).map_err(|e| e.to_string())?;
    }
    window
        .send(&message(
            "supplement",
            &authority_node,
            Some(&id),
            json!({"materials": [file]}),
        ))
        .await
        .map_err(e)?;
    let mut licence = None;
    if exchange {
        let pdf = demo::pdf(&["Conformance licence", &case], 40_000);
        let reference = authority
            .upload(
                "个体工商户营业执照（电子证照）",
                "application/pdf",
                pdf.clone(),
            )
            .await
            .map_err(e)?;
        file = serde_json::to_value(&reference).map_err(|e| e.to_string())?;
        licence = Some((reference, pdf));
    }
    authority
        .wait_for_case(&case, WAIT, at("supplemented"))
        .await
        .map_err(e)?;
    authority
        .send(&message("decision", &window_node, Some(&id), json!({"outcome": "approved", "decided_by": "conformance", "documents": [{"kind": "electronic_licence", "file": file}]})))
        .await
        .map_err(e)?;
    let window_view = window
        .wait_for_case(&case, WAIT, at("decided"))
        .await
        .map_err(e)?;
    let authority_view = authority
        .case(&case)
        .await
        .map_err(e)?
        .unwrap_or(Value::Null);
    let mut outcome =
        json!({"window": track_state(&window_view), "authority": track_state(&authority_view)});
    if let Some((reference, pdf)) = licence {
        let held = |direction: &'static str| {
            move |v: &Value| {
                v["files"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|f| f["direction"] == direction && f["held"] == true)
                    .count()
            }
        };
        let at_node = authority
            .wait_for_case(&case, WAIT, |v| held("in")(v) >= 3)
            .await
            .map(|v| held("in")(&v))
            .unwrap_or(0);
        let window_view = window
            .wait_for_case(&case, WAIT, |v| {
                held("in")(v) >= 1 && v["tracks"][0]["files_received_on"].is_string()
            })
            .await;
        outcome["files"] = json!({
            "fetched_by_the_node": at_node,
            "files_received_for_the_transfer": window_view.as_ref().is_ok_and(|v| v["tracks"][0]["files_received_on"].is_string()),
            "licence_fetched_by_the_window": window_view.is_ok(),
            "fetched_back": files::fetch_back(tester, &reference, &pdf).await?,
        });
    }
    Ok(outcome)
}

/// Starts the reference node as Jiujiang on loopback (a temporary data directory, the
/// sample registry with loopback endpoints), tests it with the sample Huangshi key,
/// and stops it; then starts another over HTTPS that admits only the client keys the
/// registry names, for the `tls/*` checks (§21.5).
pub async fn run_reference(
    progress: &mut dyn FnMut(&CaseResult),
) -> Result<Vec<CaseResult>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let both = [ProtocolVersion::V1_0, ProtocolVersion::V1_1];
    let nodes = demo::prepare_speaking(dir.path(), &[HUANGSHI, JIUJIANG], &both)
        .map_err(|e| e.to_string())?;
    let config = Config::load(&nodes[JIUJIANG].config).map_err(|e| e.to_string())?;
    let node = start(config)
        .await
        .map_err(|e| format!("[{}] {e}", e.code()))?;
    let target = Target::from_files(
        &nodes[JIUJIANG].endpoint,
        &dir.path().join("registry.json"),
        None,
        None,
        Some(Operator {
            url: format!("http://{}", node.operator_address),
            token: node.node().config().operator_token.clone(),
        }),
    );
    let mut results = Vec::new();
    let mut record = |r: CaseResult| {
        progress(&r);
        results.push(r);
    };
    let plain = match target {
        Ok(target) => {
            binding(&target, &mut record).await;
            Ok(())
        }
        Err(e) => Err(e),
    };
    node.stop().await;
    plain?;
    if let Err(why) = tls::run_reference(&mut record).await {
        record(result(
            "tls/reference_node",
            "a reference node over HTTPS admitting only the client keys the registry names starts",
            Value::Null,
            Err(why),
            Instant::now(),
        ));
    }
    Ok(results)
}
