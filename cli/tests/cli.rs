//! The `tongban` command end to end, as a script would use it.

use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use tongban::sample::{self, HUANGSHI, JIUJIANG};

fn tongban(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tongban"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tongban");
    let mut input = child.stdin.take().expect("stdin");
    match input.write_all(stdin.unwrap_or_default()) {
        // The command may stop reading early (e.g. past the size limit).
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        result => result.expect("write stdin"),
    }
    drop(input);
    child.wait_with_output().expect("run tongban")
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// An unsigned sample transfer created now, valid for an hour.
fn unsigned_transfer(created: &tongban::Timestamp) -> Vec<u8> {
    let body = tongban::Body::Transfer(sample::transfer_body().expect("body"));
    let message = tongban::Envelope::new(
        sample::route(HUANGSHI).expect("route"),
        body,
        created.clone(),
        3600,
    )
    .expect("envelope");
    message.to_canonical_bytes().expect("bytes")
}

#[test]
fn keygen_sign_verify_inspect_through_files_and_pipes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key_path = dir.path().join("huangshi.key");
    let out = tongban(
        &[
            "keygen",
            "--out",
            path_str(&key_path),
            "--node",
            HUANGSHI,
            "--kid",
            "huangshi.420200#2026",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = stdout_json(&out);
    assert_eq!(public["kid"], "huangshi.420200#2026");
    assert_eq!(public["owner"], HUANGSHI);
    assert!(
        public.get("secret_key").is_none(),
        "keygen must print only the public part"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path)
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A second keygen to the same file is refused.
    let again = tongban(
        &["keygen", "--out", path_str(&key_path), "--node", HUANGSHI],
        None,
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).starts_with("cli.io: "));

    let keys_path = dir.path().join("keys.json");
    std::fs::write(&keys_path, json!({"keys": [public]}).to_string()).expect("write keys");

    // sign reads standard input, verify reads a file.
    let now = tongban::Timestamp::now();
    let signed = tongban(
        &["sign", "--key", path_str(&key_path)],
        Some(&unsigned_transfer(&now)),
    );
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let message_path = dir.path().join("transfer.json");
    std::fs::write(&message_path, &signed.stdout).expect("write message");

    let verified = tongban(
        &[
            "verify",
            "--any-receiver",
            "--keys",
            path_str(&keys_path),
            path_str(&message_path),
        ],
        None,
    );
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let summary = stdout_json(&verified);
    assert_eq!(summary["type"], "transfer");
    assert_eq!(summary["signed_by"], json!(["huangshi.420200#2026"]));

    let as_json = tongban(
        &[
            "--json",
            "verify",
            "--any-receiver",
            "--keys",
            path_str(&keys_path),
            path_str(&message_path),
        ],
        None,
    );
    let report = stdout_json(&as_json);
    assert_eq!(report["ok"], true);
    assert_eq!(report["code"], Value::Null);
    assert_eq!(report["result"]["from"], HUANGSHI);

    let inspected = tongban(&["inspect", path_str(&message_path)], None);
    assert!(inspected.status.success());
    let summary = stdout_json(&inspected);
    assert_eq!(summary["verified"], false);
    assert!(summary["warning"]
        .as_str()
        .expect("warning")
        .contains("NOT VERIFIED"));
    assert_eq!(summary["body"]["applicant"]["name"], "陈丽华");
    // Identity and telephone numbers are masked unless asked for.
    let applicant = &summary["body"]["applicant"];
    let citizen_id = applicant["citizen_id"].as_str().expect("citizen id");
    assert_eq!(&citizen_id[6..14], "********", "{citizen_id}");
    let phone = applicant["phone"].as_str().expect("phone");
    assert_eq!(&phone[3..7], "****", "{phone}");
    let unmasked = tongban(&["inspect", "--unmasked", path_str(&message_path)], None);
    let applicant = &stdout_json(&unmasked)["body"]["applicant"];
    assert!(!applicant["citizen_id"]
        .as_str()
        .expect("citizen id")
        .contains('*'));
    assert!(!applicant["phone"].as_str().expect("phone").contains('*'));
    assert_eq!(
        tongban::mask::mask_text(applicant["citizen_id"].as_str().expect("citizen id")),
        citizen_id
    );
}

#[test]
fn verify_failures_print_code_and_message_and_exit_non_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys_path = dir.path().join("keys.json");
    let keys = sample::key_set().expect("keys").to_file();
    std::fs::write(&keys_path, serde_json::to_vec(&keys).expect("json")).expect("write");
    let message = sample::signed_transfer()
        .and_then(|m| m.to_canonical_bytes())
        .expect("sample");

    // Valid at the sample's own time, expired a week later.
    let ok = tongban(
        &[
            "verify",
            "--any-receiver",
            "--keys",
            path_str(&keys_path),
            "--at",
            sample::CREATED,
        ],
        Some(&message),
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let late = tongban(
        &[
            "verify",
            "--any-receiver",
            "--keys",
            path_str(&keys_path),
            "--at",
            "2026-12-05T00:00:00Z",
        ],
        Some(&message),
    );
    assert_eq!(late.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&late.stderr).starts_with("time.expired: "));

    let mut tampered = message.clone();
    let at = tampered
        .windows(3)
        .position(|w| w == "陈".as_bytes())
        .expect("name");
    tampered[at..at + 3].copy_from_slice("王".as_bytes());
    let bad = tongban(
        &[
            "--json",
            "verify",
            "--any-receiver",
            "--keys",
            path_str(&keys_path),
            "--at",
            sample::CREATED,
        ],
        Some(&tampered),
    );
    assert_eq!(bad.status.code(), Some(1));
    let report = stdout_json(&bad);
    assert_eq!(report["ok"], false);
    assert_eq!(report["code"], "signature.invalid");
    assert!(report["message"]
        .as_str()
        .expect("message")
        .contains("huangshi.420200#sample"));

    let dup = tongban(&["--json", "inspect"], Some(br#"{"a":1,"a":2}"#));
    assert_eq!(stdout_json(&dup)["code"], "json.duplicate_key");
}

#[test]
fn canonicalize_follows_rfc_8785() {
    let out = tongban(
        &["canonicalize"],
        Some(br#"{"b": [1E30, 4.50, 2e-3], "a": "\u9ec4\u77f3", "\r": null}"#),
    );
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).expect("UTF-8"),
        r#"{"\r":null,"a":"黄石","b":[1e+30,4.5,0.002]}"#
    );
    // Any I-JSON, not only protocol messages: fractions are fine here.
    let fraction = tongban(&["canonicalize"], Some(b"[0.1, -0.0]"));
    assert_eq!(fraction.stdout, b"[0.1,0]");
    let missing = tongban(&["--json", "canonicalize", "/no/such/file.json"], None);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(stdout_json(&missing)["code"], "cli.io");
}

#[test]
fn schema_prints_known_schemas_and_refuses_unknown_names() {
    let out = tongban(&["schema", "transfer"], None);
    assert!(out.status.success());
    assert_eq!(stdout_json(&out)["$id"], "urn:tongban:schema:v1:transfer");
    let default = tongban(&["schema"], None);
    assert_eq!(
        stdout_json(&default)["$id"],
        "urn:tongban:schema:v1:envelope"
    );
    let unknown = tongban(&["--json", "schema", "nonsense"], None);
    assert_eq!(unknown.status.code(), Some(2));
    assert_eq!(stdout_json(&unknown)["code"], "cli.usage");
}

#[test]
fn bad_usage_exits_2_with_a_code() {
    let out = tongban(&["--json", "verify"], None);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stdout_json(&out)["code"], "cli.usage");
    // Whose inbox is a required choice: --receiver NODE or --any-receiver.
    let unaddressed = tongban(&["--json", "verify", "--keys", "keys.json"], None);
    assert_eq!(unaddressed.status.code(), Some(2));
    assert_eq!(stdout_json(&unaddressed)["code"], "cli.usage");
    assert!(stdout_json(&unaddressed)["message"]
        .as_str()
        .is_some_and(|m| m.contains("--receiver")));
    let plain = tongban(&["frobnicate"], None);
    assert_eq!(plain.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&plain.stderr).starts_with("cli.usage: "));
}

#[test]
fn sign_refuses_a_key_of_another_node() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key_path = dir.path().join("jiujiang.key");
    let out = tongban(
        &[
            "keygen",
            "--out",
            path_str(&key_path),
            "--node",
            "jiujiang.360400",
        ],
        None,
    );
    assert!(out.status.success());
    let unsigned = unsigned_transfer(&tongban::Timestamp::now());
    let signed = tongban(
        &["--json", "sign", "--key", path_str(&key_path)],
        Some(&unsigned),
    );
    assert_eq!(signed.status.code(), Some(1));
    assert_eq!(stdout_json(&signed)["code"], "signature.key_not_sender");
}

#[test]
fn oversized_input_is_refused_without_reading_it_whole() {
    let big = vec![b' '; 3 * 1024 * 1024];
    let out = tongban(&["--json", "inspect"], Some(&big));
    assert_eq!(out.status.code(), Some(1));
    let report = stdout_json(&out);
    assert_eq!(report["code"], "json.too_large");
    assert!(
        report["message"]
            .as_str()
            .expect("message")
            .contains("1048577 bytes"),
        "reads one byte past the limit: {report}"
    );
}

#[test]
fn pilot_region_credit_codes_need_the_lenient_flag() {
    let mut doc = sample::signed_transfer()
        .and_then(|m| m.to_value())
        .expect("sample");
    doc["body"]["applicant"] = json!({
        "kind": "legal_entity", "name": "黄石市试点企业",
        "credit_code": "91360400MA35G1234N", "representative": "陈丽华"
    });
    let bytes = tongban::canonical::to_canonical_bytes(&doc);
    let strict = tongban(&["--json", "inspect"], Some(&bytes));
    assert_eq!(stdout_json(&strict)["code"], "id.credit_checksum");
    let lenient = tongban(&["--lenient-credit-codes", "inspect"], Some(&bytes));
    assert!(
        lenient.status.success(),
        "{}",
        String::from_utf8_lossy(&lenient.stderr)
    );
    assert_eq!(
        stdout_json(&lenient)["warnings"][0]["code"],
        "id.credit_checksum"
    );
}

#[test]
fn keygen_force_replaces_a_symlink_instead_of_writing_through_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("victim.txt");
    std::fs::write(&target, "keep me").expect("write");
    let link = dir.path().join("key.json");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    #[cfg(not(unix))]
    std::fs::write(&link, "old").expect("write");
    let out = tongban(
        &[
            "keygen",
            "--force",
            "--out",
            path_str(&link),
            "--node",
            HUANGSHI,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&target).expect("read"), "keep me");
    assert!(std::fs::read_to_string(&link)
        .expect("key")
        .contains("secret_key"));
}

/// Writes sample registries into `dir`: v1 (the sample), v2 (a revoked key, a rotated
/// operator key) signed for rotation, and v1 again signed by one operator key only.
fn write_registries(dir: &Path) -> (String, String, String) {
    let v1 = sample::registry_document(1, &[0, 1, 2], 2).expect("v1");
    let mut v2 = sample::registry_document(2, &[1, 2, 3], 2).expect("v2");
    v2.members[1].keys[0].revoked =
        Some(tongban::Timestamp::parse("2026-06-01T00:00:00Z").expect("time"));
    let files = [
        (
            "v1.json",
            sample::signed_registry(&v1, &[0, 1]).expect("sign"),
        ),
        (
            "v2.json",
            sample::signed_registry(&v2, &[1, 2]).expect("sign"),
        ),
        (
            "weak.json",
            sample::signed_registry(&v1, &[0]).expect("sign"),
        ),
    ];
    let mut paths = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write registry");
        paths.push(path.to_str().expect("UTF-8").to_string());
    }
    (paths[0].clone(), paths[1].clone(), paths[2].clone())
}

#[test]
fn registry_verify_show_and_diff() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v1, v2, weak) = write_registries(dir.path());
    let at = ["--at", "2026-11-28T10:00:00+08:00"];

    let out = tongban(&["registry", "verify", &v1, at[0], at[1]], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = stdout_json(&out);
    assert_eq!(summary["version"], 1);
    assert_eq!(summary["members"], 13);
    assert_eq!(summary["operator"]["threshold"], 2);

    let update = tongban(
        &["registry", "verify", &v2, "--trusted", &v1, at[0], at[1]],
        None,
    );
    assert!(
        update.status.success(),
        "{}",
        String::from_utf8_lossy(&update.stderr)
    );
    assert_eq!(stdout_json(&update)["version"], 2);
    let rollback = tongban(
        &[
            "--json",
            "registry",
            "verify",
            &v1,
            "--trusted",
            &v2,
            at[0],
            at[1],
        ],
        None,
    );
    assert_eq!(
        stdout_json(&rollback)["code"],
        "registry.threshold",
        "v1 is not signed by v2's key 3"
    );
    let same = tongban(
        &[
            "--json",
            "registry",
            "verify",
            &v1,
            "--trusted",
            &v1,
            at[0],
            at[1],
        ],
        None,
    );
    assert_eq!(stdout_json(&same)["code"], "registry.rollback");
    let weak = tongban(&["--json", "registry", "verify", &weak, at[0], at[1]], None);
    assert_eq!(weak.status.code(), Some(1));
    assert_eq!(stdout_json(&weak)["code"], "registry.threshold");
    let frozen = tongban(
        &[
            "--json",
            "registry",
            "verify",
            &v1,
            "--at",
            "2031-06-01T00:00:00Z",
        ],
        None,
    );
    assert_eq!(stdout_json(&frozen)["code"], "registry.expired");

    let show = tongban(&["registry", "show", &v1, at[0], at[1]], None);
    let document = stdout_json(&show);
    assert_eq!(
        document["members"][1]["name"],
        "黄石市政务服务和大数据管理局"
    );
    assert_eq!(
        document["agreements"][2]["items"][0]["name"],
        "个体工商户设立登记（理发店）"
    );
    assert!(document.get("signatures").is_none());

    let diff = tongban(&["registry", "diff", &v1, &v2, at[0], at[1]], None);
    let changes = stdout_json(&diff);
    assert_eq!(changes["versions"], json!([1, 2]));
    assert_eq!(
        changes["added"],
        json!(["operator key yunshangban.operator#3"])
    );
    assert_eq!(
        changes["removed"],
        json!(["operator key yunshangban.operator#0"])
    );
    assert_eq!(
        changes["changed"],
        json!(["member key huangshi.420200#sample"])
    );
    assert_eq!(changes["update"]["accepted"], true);
    let backwards = stdout_json(&tongban(
        &["registry", "diff", &v2, &v1, at[0], at[1]],
        None,
    ));
    assert_eq!(backwards["update"]["accepted"], false);
    assert_eq!(backwards["update"]["code"], "registry.threshold");
}

#[test]
fn verify_against_a_registry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (v1, v2, _) = write_registries(dir.path());
    let message = sample::signed_transfer()
        .and_then(|m| m.to_canonical_bytes())
        .expect("sample");
    let ok = tongban(
        &[
            "verify",
            "--registry",
            &v1,
            "--at",
            sample::CREATED,
            "--receiver",
            "jiujiang.360400",
        ],
        Some(&message),
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(stdout_json(&ok)["type"], "transfer");
    let revoked = tongban(
        &[
            "--json",
            "verify",
            "--any-receiver",
            "--registry",
            &v2,
            "--at",
            sample::CREATED,
        ],
        Some(&message),
    );
    assert_eq!(stdout_json(&revoked)["code"], "key.revoked");
    let elsewhere = tongban(
        &[
            "--json",
            "verify",
            "--registry",
            &v1,
            "--at",
            sample::CREATED,
            "--receiver",
            HUANGSHI,
        ],
        Some(&message),
    );
    assert_eq!(stdout_json(&elsewhere)["code"], "message.wrong_receiver");
    let mut doc: Value = serde_json::from_slice(&message).expect("json");
    doc["body"]["mode"] = json!("joint_handling");
    doc.as_object_mut().expect("object").remove("signatures");
    let mut doc_bytes = Vec::new();
    tongban::signing::sign_document(&mut doc, &sample::key(HUANGSHI).expect("key")).expect("sign");
    doc_bytes.extend(tongban::canonical::to_canonical_bytes(&doc));
    let mode = tongban(
        &[
            "--json",
            "verify",
            "--any-receiver",
            "--registry",
            &v1,
            "--at",
            sample::CREATED,
        ],
        Some(&doc_bytes),
    );
    let report = stdout_json(&mode);
    assert_eq!(report["code"], "item.mode_not_allowed");
    assert!(report["message"]
        .as_str()
        .expect("message")
        .contains("/body/mode"));
    let both = tongban(
        &["verify", "--any-receiver", "--registry", &v1, "--keys", &v1],
        Some(&message),
    );
    assert_eq!(
        both.status.code(),
        Some(2),
        "--registry and --keys exclude each other"
    );
}

#[test]
fn conformance_run_list_and_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_str().expect("UTF-8").to_string();
    let (junit, json_report, html) = (path("r.xml"), path("r.json"), path("r.html"));
    let out = tongban(
        &[
            "conformance",
            "run",
            "--filter",
            "identifiers/",
            "--junit",
            &junit,
            "--json-report",
            &json_report,
            "--html",
            &html,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8_lossy(&out.stdout).into_owned();
    // The filter is a substring of the id: both identifier folders, 45 + 24 vectors.
    assert!(summary.contains("hostile/identifiers"), "{summary}");
    assert!(
        summary
            .trim_end()
            .ends_with("69 passed, 0 failed, 0 skipped"),
        "{summary}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ran 69 vectors in "),
        "progress is reported"
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(&json_report).expect("json")).expect("json report");
    assert_eq!(report["passed"], 69);
    assert!(std::fs::read_to_string(&junit)
        .expect("junit")
        .starts_with("<?xml"));
    assert!(std::fs::read_to_string(&html)
        .expect("html")
        .contains("69 passed"));

    let listed = tongban(
        &["conformance", "run", "--list", "--filter", "deadlines/"],
        None,
    );
    let deadlines = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../conformance/vectors/deadlines"
    ))
    .expect("the deadlines folder")
    .count();
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).lines().count(),
        deadlines
    );
    let list = tongban(&["conformance", "list"], None);
    assert!(String::from_utf8_lossy(&list.stdout).lines().count() >= 150);

    let none = tongban(
        &["--json", "conformance", "run", "--filter", "no-such-vector"],
        None,
    );
    assert_eq!(stdout_json(&none)["code"], "cli.usage");
    let broken = tongban(
        &[
            "conformance",
            "run",
            "--filter",
            "canonicalization/",
            "--adapter",
            "echo '{\"outcome\":\"accepted\"}'",
        ],
        None,
    );
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        broken.stdout.is_empty(),
        "the failing summary goes to standard error"
    );
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(stderr.contains("FAILED canonicalization/"), "{stderr}");
    assert!(
        stderr.contains("expected: ") && stderr.contains("actual:   "),
        "{stderr}"
    );
    assert!(
        stderr
            .trim_end()
            .ends_with("conformance.failed: 51 of 51 vectors failed"),
        "{stderr}"
    );
    let skipping = tongban(
        &[
            "--json",
            "conformance",
            "run",
            "--filter",
            "deadlines/",
            "--adapter",
            "yes '{\"outcome\":\"unsupported\"}'",
        ],
        None,
    );
    assert_eq!(
        stdout_json(&skipping)["code"],
        "conformance.failed",
        "an implementation that skips everything does not pass"
    );
}

#[test]
fn registry_install_updates_a_running_node_and_refuses_a_rollback() {
    use tongban::sample::JIUJIANG;
    let dir = tempfile::tempdir().expect("tempdir");
    let nodes = partner_node::demo::prepare(dir.path(), &[HUANGSHI, JIUJIANG]).expect("demo setup");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let config = partner_node::Config::load(&nodes[JIUJIANG].config).expect("config");
    let node = runtime
        .block_on(partner_node::start(config))
        .expect("node starts");
    let v1 = std::fs::read(dir.path().join("registry.json")).expect("registry");
    let mut document = tongban::registry::Registry::bootstrap(&v1, &tongban::Timestamp::now())
        .expect("registry")
        .document()
        .clone();
    document.signatures.clear();
    document.version = 2;
    let v2 = dir.path().join("registry-v2.json");
    std::fs::write(
        &v2,
        sample::signed_registry(&document, &[0, 1]).expect("signed"),
    )
    .expect("write");
    let v1_copy = dir.path().join("registry-v1.json");
    std::fs::write(&v1_copy, &v1).expect("write");
    let operator = format!("http://{}", node.operator_address);
    let token = nodes[JIUJIANG].operator_token_file.clone();
    let install = |file: &Path| {
        tongban(
            &[
                "--json",
                "registry",
                "install",
                path_str(file),
                "--operator",
                &operator,
                "--operator-token-file",
                path_str(&token),
            ],
            None,
        )
    };
    let installed = install(&v2);
    assert!(
        installed.status.success(),
        "{}",
        String::from_utf8_lossy(&installed.stdout)
    );
    assert_eq!(stdout_json(&installed)["result"]["version"], 2);
    let rollback = install(&v1_copy);
    assert_eq!(rollback.status.code(), Some(1));
    assert_eq!(stdout_json(&rollback)["code"], "registry.rollback");
    runtime.block_on(node.stop());
    let unreachable = install(&v2);
    assert_eq!(stdout_json(&unreachable)["code"], "transport.unreachable");
}

#[test]
fn file_ref_and_check_make_and_check_the_reference_a_message_carries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let scan = dir.path().join("租赁合同.pdf");
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&scan, &bytes).expect("write");
    let out = tongban(&["--json", "file", "ref", path_str(&scan)], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference = stdout_json(&out)["result"].clone();
    assert_eq!(
        reference,
        json!({
            "name": "租赁合同",
            "sha256": tongban::Sha256Digest::of(&bytes).as_str(),
            "media_type": "application/pdf",
            "size": 300_000,
        })
    );
    let ref_file = dir.path().join("ref.json");
    std::fs::write(&ref_file, reference.to_string()).expect("write");

    // The same bytes match, from a reference file, standard input or inline JSON.
    let ok = tongban(
        &["file", "check", path_str(&ref_file), path_str(&scan)],
        None,
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let piped = tongban(
        &["file", "check", "-", path_str(&scan)],
        Some(reference.to_string().as_bytes()),
    );
    assert!(piped.status.success());
    let inline = tongban(
        &["file", "check", &reference.to_string(), path_str(&scan)],
        None,
    );
    assert!(inline.status.success());

    // Other bytes of the same size, and another size, are refused with their codes.
    let mut other = bytes.clone();
    other[123_456] ^= 1;
    std::fs::write(&scan, &other).expect("write");
    let out = tongban(
        &[
            "--json",
            "file",
            "check",
            path_str(&ref_file),
            path_str(&scan),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_json(&out)["code"], "file.digest_mismatch");
    std::fs::write(&scan, &bytes[..1000]).expect("write");
    let out = tongban(
        &["file", "check", path_str(&ref_file), path_str(&scan)],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("file.size_mismatch: "));

    // The name and media type can be given; an unknown extension needs the media type.
    let odd = dir.path().join("scan.bin");
    std::fs::write(&odd, b"x").expect("write");
    let out = tongban(&["file", "ref", path_str(&odd)], None);
    assert_eq!(out.status.code(), Some(2));
    let out = tongban(
        &[
            "--json",
            "file",
            "ref",
            "--name",
            "身份证复印件",
            "--media-type",
            "image/jpeg",
            path_str(&odd),
        ],
        None,
    );
    assert_eq!(stdout_json(&out)["result"]["name"], "身份证复印件");
    assert_eq!(stdout_json(&out)["result"]["media_type"], "image/jpeg");
    let missing = tongban(
        &["file", "ref", path_str(&dir.path().join("none.pdf"))],
        None,
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).starts_with("cli.io: "));
}

#[test]
fn keygen_makes_sm2_keys_that_sign_and_verify_and_refuses_unknown_suites() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key_path = dir.path().join("wuhan-sm2.key");
    let args = |alg: &'static str| {
        vec![
            "keygen".to_string(),
            "--out".into(),
            path_str(&key_path).to_string(),
            "--node".into(),
            HUANGSHI.into(),
            "--alg".into(),
            alg.into(),
        ]
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        tongban(&args, None)
    };
    let unknown = run(args("sm2"));
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).starts_with("signature.unsupported_algorithm: ")
    );
    assert!(
        !key_path.exists(),
        "nothing is written for an unknown suite"
    );
    let out = run(args("sm2-sm3"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = stdout_json(&out);
    assert_eq!(public["alg"], "sm2-sm3");
    // The uncompressed point 04‖x‖y: 65 bytes, 87 characters of base64url, "B" first.
    let point = public["public_key"].as_str().expect("public key");
    assert_eq!((point.len(), &point[..1]), (87, "B"));
    let keys_path = dir.path().join("keys.json");
    std::fs::write(&keys_path, json!({"keys": [public]}).to_string()).expect("write keys");
    let now = tongban::Timestamp::now();
    let signed = tongban(
        &["sign", "--key", path_str(&key_path)],
        Some(&unsigned_transfer(&now)),
    );
    assert!(
        signed.status.success(),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let message: Value = serde_json::from_slice(&signed.stdout).expect("message");
    assert_eq!(message["signatures"][0]["alg"], "sm2-sm3");
    let verified = tongban(
        &["verify", "--any-receiver", "--keys", path_str(&keys_path)],
        Some(&signed.stdout),
    );
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert_eq!(stdout_json(&verified)["type"], "transfer");
}

#[test]
fn keygen_makes_sealing_keys_that_load_and_open_what_is_sealed_to_them() {
    use tongban::seal::{SealContext, SealingKeyPair};
    let dir = tempfile::tempdir().expect("tempdir");
    for (alg, length) in [("hpke-x25519-sha256-aes128gcm", 43), ("sm2-sm4-gcm", 87)] {
        let key_path = dir.path().join(format!("{alg}.key"));
        let out = tongban(
            &[
                "keygen",
                "--out",
                path_str(&key_path),
                "--node",
                JIUJIANG,
                "--alg",
                alg,
            ],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let public = stdout_json(&out);
        assert_eq!(public["alg"], alg);
        assert_eq!(public["public_key"].as_str().map(str::len), Some(length));
        assert!(
            public.get("secret_key").is_none(),
            "only the public part is printed"
        );
        let file = serde_json::from_slice(&std::fs::read(&key_path).expect("key file"))
            .expect("a key file");
        let pair = SealingKeyPair::from_file(&file).expect("a sealing key");
        let (from, to) = (
            tongban::NodeId::parse(HUANGSHI).expect("node"),
            tongban::NodeId::parse(JIUJIANG).expect("node"),
        );
        let id = tongban::MessageId::new_v7(&tongban::Timestamp::now());
        let context = SealContext {
            from: &from,
            to: &to,
            id: &id,
            part: "body",
        };
        let sealed = pair
            .public_key()
            .seal(pair.key_id(), &context, b"{}")
            .expect("sealed");
        assert_eq!(
            pair.open(&sealed, &context).expect("opened").as_slice(),
            b"{}"
        );
    }
}

#[test]
fn verify_opens_a_sealed_body_with_the_receivers_sealing_key_and_masks_it() {
    use tongban::seal::SealingSuite;
    let dir = tempfile::tempdir().expect("tempdir");
    let issued = tongban::Timestamp::parse(sample::REGISTRY_ISSUED).expect("time");
    let registry_bytes = sample::registry_bytes_with_sealing_keys().expect("registry");
    let registry =
        tongban::registry::Registry::bootstrap(&registry_bytes, &issued).expect("registry");
    let registry_path = dir.path().join("registry.json");
    std::fs::write(&registry_path, &registry_bytes).expect("write registry");
    let created = tongban::Timestamp::parse(sample::CREATED).expect("time");
    let mut message = tongban::Envelope::new(
        sample::route(HUANGSHI).expect("route"),
        tongban::Body::Transfer(sample::transfer_body().expect("body")),
        created.clone(),
        3600,
    )
    .expect("envelope")
    .with_protocol(tongban::ProtocolVersion::V1_1);
    sample::mark_files_sealed(&mut message.body);
    assert!(registry.seal_body(&mut message).expect("sealed"));
    let bytes = message
        .sign_to_bytes(&sample::key(HUANGSHI).expect("key"))
        .expect("signed");
    let message_path = dir.path().join("sealed.json");
    std::fs::write(&message_path, &bytes).expect("write message");
    let key = sample::sealing_key(JIUJIANG, SealingSuite::HpkeX25519Aes128Gcm).expect("key");
    let key_path = dir.path().join("jiujiang-seal.key");
    std::fs::write(
        &key_path,
        serde_json::to_vec(&key.to_file()).expect("key file"),
    )
    .expect("write key");
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--registry",
            path_str(&registry_path),
            "--receiver",
            JIUJIANG,
            "--at",
            sample::CREATED,
        ];
        args.extend_from_slice(extra);
        args.push(path_str(&message_path));
        let out = tongban(&args, None);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout_json(&out)
    };
    // Without the key: verified as a hop verifies, the body stays sealed and unshown.
    let sealed = verify(&[]);
    assert_eq!(sealed["sealed"], true);
    assert!(sealed.get("body").is_none());
    // With it: opened, and the applicant's numbers masked unless asked.
    let opened = verify(&["--sealing-key", path_str(&key_path)]);
    let applicant = &opened["body"]["applicant"];
    assert_eq!(applicant["citizen_id"], "420202********1231");
    assert_eq!(applicant["phone"], "139****0000");
    let unmasked = verify(&["--sealing-key", path_str(&key_path), "--unmasked"]);
    assert_eq!(
        unmasked["body"]["applicant"]["citizen_id"],
        "420202199001011231"
    );
}
