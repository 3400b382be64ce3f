//! Protocol 1.1's window work (PROTOCOL §6 `transfer`, §2 step 8): the channel a case
//! came in by, an agent with a power of attorney, the way the result reaches the
//! applicant. Generated after the 1.0.1 vectors, so that earlier vectors keep their ids.

use super::files::{clock, digests, files_received};
use super::lifecycle::{push_scenarios_in, receipt, Script};
use super::*;

pub(super) fn window(g: &mut Gen, keys: &str, registry: &str) {
    transfers(g, keys);
    power_of_attorney(g, registry);
}

/// The sample 1.1 transfer (an agent, the licence by post) as a JSON document.
fn agent_transfer(g: &mut Gen) -> Value {
    let body = Body::Transfer(must("transfer", sample::agent_transfer_body()));
    let mut envelope = g.envelope(HUANGSHI, JIUJIANG, sample::AGREEMENT, body, T0);
    envelope.protocol = ProtocolVersion::V1_1;
    must("value", envelope.to_value())
}

fn transfers(g: &mut Gen, keys: &str) {
    let document = agent_transfer(g);
    let verify = |g: &mut Gen, name: &str, description: &str, text: String, expected: Value| {
        verify_vector(
            g,
            &format!("envelope/{name}"),
            description,
            ("keys", keys),
            vec![at(text, T1)],
            vec![expected],
        );
    };
    let accepted_transfer = json!({"outcome": "accepted", "type": "transfer"});
    verify(
        g,
        "1.1-transfer-by-an-agent-result-by-post",
        "a 1.1 transfer handed in at the window by an agent with a power of attorney, the result to be posted",
        resigned(&document, &|_| {}),
        accepted_transfer.clone(),
    );
    let cases: Vec<(&str, &str, Edit, &str)> = vec![
        (
            "1.1-member-in-a-1.0-transfer",
            "a transfer that says 1.0 with `channel`, a member of 1.1: message.invalid (a reader that ignored the member would accept it)",
            Box::new(|d| {
                d["protocol"] = json!("1.0");
                let body = d["body"].as_object_mut();
                body.map(|body| (body.remove("agent"), body.remove("result_delivery")));
            }),
            "message.invalid",
        ),
        (
            "channel-unknown",
            "a channel the protocol does not list (`phone`)",
            Box::new(|d| d["body"]["channel"] = json!("phone")),
            "message.invalid",
        ),
        (
            "agent-of-a-legal-entity",
            "an agent for a legal entity, which acts through its representative",
            Box::new(|d| {
                d["body"]["applicant"] = json!({
                    "kind": "legal_entity",
                    "name": "黄石市磁湖理发店",
                    "credit_code": "91360400MA35G1234M",
                    "representative": "陈丽华",
                });
            }),
            "message.invalid",
        ),
        (
            "agent-is-the-applicant",
            "the agent's citizen id is the applicant's: nobody is their own agent",
            Box::new(|d| d["body"]["agent"]["citizen_id"] = d["body"]["applicant"]["citizen_id"].clone()),
            "message.invalid",
        ),
        (
            "agent-citizen-checksum",
            "the agent's citizen id fails its check character, like an applicant's",
            Box::new(|d| d["body"]["agent"]["citizen_id"] = json!("420202198805050013")),
            "id.citizen_checksum",
        ),
        (
            "agent-without-power-of-attorney",
            "an agent without the power of attorney, which is required",
            Box::new(|d| {
                d["body"]["agent"]
                    .as_object_mut()
                    .map(|agent| agent.remove("power_of_attorney"));
            }),
            "message.invalid",
        ),
        (
            "result-by-post-without-address",
            "the result by post, with no address to post it to",
            Box::new(|d| {
                d["body"]["result_delivery"]
                    .as_object_mut()
                    .map(|delivery| delivery.remove("address"));
            }),
            "message.invalid",
        ),
        (
            "result-at-window-with-address",
            "the result collected at the window, with an address: only a result by post has one",
            Box::new(|d| d["body"]["result_delivery"]["method"] = json!("at_window")),
            "message.invalid",
        ),
        (
            "result-address-region-structure",
            "a postal address whose region code has a county under no prefecture (GB/T 2260 structure)",
            Box::new(|d| d["body"]["result_delivery"]["address"]["region"] = json!("420002")),
            "id.region_structure",
        ),
    ];
    for (name, description, edit, code) in cases {
        verify(
            g,
            name,
            description,
            resigned(&document, &|d| edit(d)),
            refused(code),
        );
    }
}

/// The agent's power of attorney is a file the transfer references (§23.5).
fn power_of_attorney(g: &mut Gen, registry: &str) {
    let scenario: Script = Box::new(|t| {
        t.protocol = ProtocolVersion::V1_1;
        let body = Body::Transfer(must("transfer", sample::agent_transfer_body()));
        let transfer = t.send(HUANGSHI, body, None, clock("transferred", None));
        t.send(
            JIUJIANG,
            receipt(&transfer, true),
            Some(&transfer.id),
            clock("received", None),
        );
        let every = digests(&transfer);
        let materials = every[..every.len() - 1].to_vec();
        t.send(
            JIUJIANG,
            files_received(materials),
            Some(&transfer.id),
            refused("message.not_an_answer"),
        );
        t.send(
            JIUJIANG,
            files_received(every),
            Some(&transfer.id),
            clock("received", Some("2026-11-28")),
        );
    });
    push_scenarios_in(
        g,
        "files/lifecycle",
        registry,
        vec![(
            "power-of-attorney-is-a-file",
            "a 1.1 transfer by an agent: files_received must name the power of attorney as well as the materials, and the clock starts only then",
            scenario,
        )],
    );
}
