//! The HTTP binding's documents agree with the code: every status a receiver can answer
//! is in the OpenAPI document, and every binding code is in the specification.

use serde_json::Value;
use tongban::http::{status_for, BINDING_CODES, MEDIA_TYPE, MESSAGES_PATH};

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).expect(path)
}

#[test]
fn the_openapi_document_lists_every_status_a_receiver_answers() {
    let openapi: Value =
        tongban::json::parse(read("docs/openapi.json").as_bytes()).expect("strict JSON");
    assert_eq!(openapi["openapi"], "3.1.0");
    let post = &openapi["paths"][MESSAGES_PATH]["post"];
    assert!(post.is_object(), "no POST {MESSAGES_PATH}");
    assert!(post["requestBody"]["content"][MEDIA_TYPE].is_object());
    let responses = post["responses"].as_object().expect("responses");
    let wire_codes = tongban::ERROR_CODES
        .iter()
        .chain(BINDING_CODES)
        .filter(|(code, _)| !code.starts_with("transport."));
    for (code, _) in wire_codes {
        let status = status_for(code).to_string();
        let response = responses.get(&status).unwrap_or_else(|| {
            panic!("{code} is answered with {status}, which openapi.json does not list")
        });
        assert_eq!(
            response["content"][MEDIA_TYPE]["schema"]["$ref"], "#/components/schemas/ErrorBody",
            "{status} must carry the error body"
        );
    }
    assert!(responses.contains_key("200") && responses.contains_key("429"));
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
