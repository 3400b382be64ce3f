//! The node keeps the registry's rollback protection: it pins what it accepted in its
//! database, takes a registry file only as that pin or an update of it, installs new
//! versions while it runs, and warns before the registry or its key expires.

use partner_node::demo::{self, DemoNode};
use partner_node::{start, Config, RunningNode};
use std::collections::BTreeMap;
use tongban::client::{Client, RetryPolicy};
use tongban::registry::{Registry, RegistryDocument};
use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::*;

struct Demo {
    dir: tempfile::TempDir,
    nodes: BTreeMap<String, DemoNode>,
    /// The registry `demo::prepare` wrote (version 1), signed.
    v1: Vec<u8>,
}

fn demo() -> Demo {
    let dir = tempfile::tempdir().expect("temporary directory");
    let nodes = demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("prepare");
    let v1 = std::fs::read(dir.path().join("registry.json")).expect("registry file");
    Demo { dir, nodes, v1 }
}

impl Demo {
    /// Version 1's document without its signatures, to edit into another version.
    fn document(&self) -> RegistryDocument {
        let mut document = Registry::bootstrap(&self.v1, &Timestamp::now())
            .expect("registry")
            .document()
            .clone();
        document.signatures.clear();
        document
    }

    fn write(&self, bytes: &[u8]) {
        std::fs::write(self.dir.path().join("registry.json"), bytes).expect("write registry");
    }

    fn registry_file(&self) -> Vec<u8> {
        std::fs::read(self.dir.path().join("registry.json")).expect("registry file")
    }

    async fn start(&self) -> Result<RunningNode, String> {
        let config = Config::load(&self.nodes[JIUJIANG].config).map_err(|e| e.to_string())?;
        start(config).await.map_err(|e| e.to_string())
    }
}

/// `document` as `version`, signed by the sample operator keys 0 and 1.
fn signed(mut document: RegistryDocument, version: u64) -> Vec<u8> {
    document.version = version;
    sample::signed_registry(&document, &[0, 1]).expect("signed")
}

/// Version `version` with Huangshi's key revoked now.
fn huangshi_revoked(document: &RegistryDocument, version: u64) -> Vec<u8> {
    let mut document = document.clone();
    let huangshi = document
        .members
        .iter_mut()
        .find(|m| m.node.as_str() == HUANGSHI)
        .expect("Huangshi");
    huangshi.keys[0].revoked = Some(Timestamp::now().plus_seconds(-60).expect("time"));
    signed(document, version)
}

/// A registry whose operators declare themselves: keys 3 and 4, signed by them.
fn self_declared(document: &RegistryDocument, version: u64) -> Vec<u8> {
    let mut document = document.clone();
    document.version = version;
    document.operator = sample::registry_document(version, &[3, 4], 2)
        .expect("document")
        .operator;
    sample::signed_registry(&document, &[3, 4]).expect("signed")
}

fn transfer(case: &str) -> Vec<u8> {
    let mut route = sample::route(HUANGSHI).expect("route");
    route.case = CaseId::parse(case).expect("case");
    let body = Body::Transfer(sample::transfer_body().expect("body"));
    let mut message = Envelope::new(route, body, Timestamp::now(), 3600).expect("envelope");
    message
        .sign(&sample::key(HUANGSHI).expect("key"))
        .expect("sign");
    message.to_canonical_bytes().expect("bytes")
}

async fn deliver(registry: &[u8], message: &[u8]) -> Result<(), String> {
    let client = Client::new(RetryPolicy {
        attempts: 1,
        ..RetryPolicy::default()
    })
    .expect("client");
    let registry = Registry::load_trusted(registry).expect("registry");
    client
        .deliver(&registry, message)
        .await
        .map(|_| ())
        .map_err(|e| e.code().to_string())
}

fn refused(result: Result<RunningNode, String>) -> String {
    match result {
        Ok(_) => panic!("the node started"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn the_node_starts_only_with_the_pinned_registry_or_an_update_of_it() {
    let demo = demo();
    demo.start()
        .await
        .expect("first start pins version 1")
        .stop()
        .await;
    let v2 = huangshi_revoked(&demo.document(), 2);
    demo.write(&v2);
    let node = demo.start().await.expect("version 2 updates the pin");
    let health = node.operator_client().health().await.expect("health");
    assert_eq!(health["registry"]["version"], 2);
    node.stop().await;

    // Version 1 swapped back in: unexpired and validly signed, but it would bring back
    // Huangshi's revoked key.
    demo.write(&demo.v1);
    let error = refused(demo.start().await);
    assert!(
        error.contains("registry_file") && error.contains("registry.rollback"),
        "{error}"
    );
    // Operators that declare themselves, however high the version.
    demo.write(&self_declared(&demo.document(), 9));
    let error = refused(demo.start().await);
    assert!(
        error.contains("registry_file") && error.contains("registry.threshold"),
        "{error}"
    );
    // Another registry with the pinned version.
    demo.write(&signed(demo.document(), 2));
    let error = refused(demo.start().await);
    assert!(
        error.contains("differs from the registry of the same version 2"),
        "{error}"
    );
    // The pinned version itself starts.
    demo.write(&v2);
    demo.start()
        .await
        .expect("the pinned registry")
        .stop()
        .await;
}

#[tokio::test]
async fn a_registry_is_installed_while_the_node_runs_and_survives_a_restart() {
    let demo = demo();
    let node = demo.start().await.expect("starts");
    let operator = node.operator_client();
    deliver(&demo.v1, &transfer("HS-2026-300001"))
        .await
        .expect("Huangshi's key is valid in version 1");

    let v2 = huangshi_revoked(&demo.document(), 2);
    let installed = operator
        .install_registry(v2.clone())
        .await
        .expect("installed");
    assert_eq!(installed["version"], 2);
    assert_eq!(
        operator.health().await.expect("health")["registry"]["version"],
        2
    );
    assert_eq!(demo.registry_file(), v2, "the registry file is replaced");
    // From now on Huangshi's revoked key signs nothing here.
    assert_eq!(
        deliver(&demo.v1, &transfer("HS-2026-300002")).await,
        Err("key.revoked".into())
    );

    // What is not an update of version 2 is refused, and changes nothing.
    let code = |e: demo::OperatorError| (e.status, e.code().unwrap_or_default());
    let rollback = operator
        .install_registry(demo.v1.clone())
        .await
        .expect_err("older");
    assert_eq!(code(rollback), (422, "registry.rollback".into()));
    let foreign = self_declared(&demo.document(), 3);
    let foreign = operator
        .install_registry(foreign)
        .await
        .expect_err("self-declared");
    assert_eq!(code(foreign), (422, "registry.threshold".into()));
    // A registry that replaced Jiujiang's key with one this node does not hold.
    let mut without = demo.document();
    let other = KeyPair::generate(
        NodeId::parse(JIUJIANG).expect("node"),
        Some(KeyId::parse("jiujiang.360400#elsewhere").expect("key id")),
    )
    .expect("key");
    let jiujiang = without
        .members
        .iter_mut()
        .find(|m| m.node.as_str() == JIUJIANG)
        .expect("Jiujiang");
    jiujiang.keys[0].key_id = other.key_id().clone();
    jiujiang.keys[0].public_key = tongban::crypto::base64url(other.public_key().as_bytes());
    let without = operator
        .install_registry(signed(without, 3))
        .await
        .expect_err("no Jiujiang");
    assert_eq!(
        code(without),
        (422, "operator.registry_without_node".into())
    );
    let garbage = operator
        .install_registry(b"{\"version\": 3}".to_vec())
        .await
        .expect_err("not a registry");
    assert_eq!(garbage.status, 422);
    assert_eq!(
        operator.health().await.expect("health")["registry"]["version"],
        2
    );
    node.stop().await;

    // The next start finds version 2 in the file and in the pin.
    let node = demo.start().await.expect("restarts");
    assert_eq!(
        node.operator_client().health().await.expect("health")["registry"]["version"],
        2
    );
    node.stop().await;
}

#[tokio::test]
async fn the_node_warns_before_its_registry_or_key_expires() {
    let demo = demo();
    let node = demo.start().await.expect("starts");
    let operator = node.operator_client();
    let health = operator.health().await.expect("health");
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["warnings"], serde_json::json!([]));
    let mut soon = demo.document();
    let now = Timestamp::now();
    soon.expires = now.plus_seconds(3 * 86_400 + 3600).expect("time");
    let jiujiang = soon
        .members
        .iter_mut()
        .find(|m| m.node.as_str() == JIUJIANG)
        .expect("Jiujiang");
    jiujiang.keys[0].valid_until = now.plus_seconds(5 * 86_400 + 3600).expect("time");
    operator
        .install_registry(signed(soon, 2))
        .await
        .expect("installed");
    let health = operator.health().await.expect("health");
    assert_eq!(health["status"], "warning");
    assert_eq!(health["registry"]["days_left"], 3);
    assert_eq!(health["key"]["days_left"], 5);
    assert_eq!(health["key"]["suite"], "ed25519");
    // Jiujiang, no member of the Wuhan circle, holds no SM2 key.
    assert_eq!(health["other_keys"], serde_json::json!([]));
    let warnings = health["warnings"].to_string();
    assert!(
        warnings.contains("the registry (version 2) expires"),
        "{warnings}"
    );
    assert!(
        warnings.contains("this node's key jiujiang.360400"),
        "{warnings}"
    );
    node.stop().await;
}
