//! The HTTP binding's documents agree with the code: every status a receiver can answer
//! is in the OpenAPI document, and every binding code is in the specification.

use serde_json::Value;
use tongban::file::FILES_PATH;
use tongban::http::{status_for, BINDING_CODES, MEDIA_TYPE, MESSAGES_PATH};

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).expect(path)
}

/// Whether a holder answers a file request (§23.3) with `code`.
fn answers_file_requests(code: &str) -> bool {
    code.starts_with("file.request_")
        || code.starts_with("signature.")
        || code.starts_with("key.")
        || matches!(
            code,
            "file.not_found"
                | "file.range_not_satisfiable"
                | "node.storage"
                | "node.busy"
                | "tls.wrong_member"
                | "tls.key_not_listed"
        )
}

/// Whether a receiver answers a posted message with `code`: every code but those of
/// file requests and the requester's own findings about a fetched file (§23.4).
fn answers_messages(code: &str) -> bool {
    !code.starts_with("file.") || matches!(code, "file.too_large" | "file.case_too_large")
}

fn check_statuses(operation: &Value, codes: impl Iterator<Item = &'static str>) {
    let responses = operation["responses"].as_object().expect("responses");
    for code in codes {
        let status = status_for(code).to_string();
        let response = responses.get(&status).unwrap_or_else(|| {
            panic!("{code} is answered with {status}, which openapi.json does not list")
        });
        assert_eq!(
            response["content"][MEDIA_TYPE]["schema"]["$ref"], "#/components/schemas/ErrorBody",
            "{status} must carry the error body"
        );
    }
}

#[test]
fn the_openapi_document_lists_every_status_a_receiver_answers() {
    let openapi: Value =
        tongban::json::parse(read("docs/openapi.json").as_bytes()).expect("strict JSON");
    assert_eq!(openapi["openapi"], "3.1.0");
    let post = &openapi["paths"][MESSAGES_PATH]["post"];
    assert!(post.is_object(), "no POST {MESSAGES_PATH}");
    assert!(post["requestBody"]["content"][MEDIA_TYPE].is_object());
    let wire_codes = || {
        tongban::ERROR_CODES
            .iter()
            .chain(BINDING_CODES)
            .map(|(code, _)| *code)
            .filter(|code| !code.starts_with("transport."))
    };
    check_statuses(post, wire_codes().filter(|code| answers_messages(code)));
    let responses = post["responses"].as_object().expect("responses");
    assert!(responses.contains_key("200") && responses.contains_key("429"));
    let get = &openapi["paths"][format!("{FILES_PATH}/{{sha256}}")]["get"];
    assert!(get.is_object(), "no GET {FILES_PATH}/{{sha256}}");
    check_statuses(get, wire_codes().filter(|code| answers_file_requests(code)));
    let parameters = get["parameters"].as_array().expect("parameters");
    assert!(parameters
        .iter()
        .any(|p| p["name"] == tongban::file::REQUEST_HEADER && p["required"] == true));
}

#[test]
fn every_binding_code_is_in_the_specification() {
    let spec = read("docs/PROTOCOL.md");
    let binding = spec.split("## 21. The HTTP binding").nth(1).expect("§21");
    for (code, _) in BINDING_CODES {
        assert!(
            binding.contains(&format!("| `{code}` |")),
            "{code} is not in the table of §21"
        );
    }
}
