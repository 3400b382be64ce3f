//! Protocol 1.1's themes (一事联办, PROTOCOL §15, §17, §18, §19): the items of a theme
//! handled as one case, one transfer per item, the shared materials handed in as one
//! set, and the theme's overall limit beside each item's. Over the real 2026 calendar.
//! Generated after the other 1.1 vectors, so that earlier vectors keep their ids.

use super::deferral::transfer_1_1;
use super::files::{digests, files_received};
use super::lifecycle::{other, push_scenarios_in, receipt, state, status, Script, Talk};
use super::registry::registry_vector;
use super::settled::edited_registry;
use super::*;

pub(super) fn themes(g: &mut Gen, keys: &str, registry: &str) {
    bodies(g, keys);
    checks(g, registry);
    catalogue(g);
    lifecycle(g, registry);
}

/// The sample theme's two transfers: the barber shop's registration and its hygiene
/// permit.
fn themed() -> [Transfer; 2] {
    must("theme", sample::theme_transfer_bodies())
}

fn registration() -> Body {
    let [registration, _] = themed();
    Body::Transfer(registration)
}

fn hygiene() -> Body {
    let [_, hygiene] = themed();
    Body::Transfer(hygiene)
}

/// A theme's code must be an item code, and only a 1.1 transfer names one (§2 step 8).
fn bodies(g: &mut Gen, keys: &str) {
    let themed = transfer_1_1(g, registration());
    let cases: Vec<(&str, &str, &Value, Edit, Value)> = vec![
        (
            "theme-in-a-1.0-transfer",
            "a transfer that says 1.0 with `theme`, a member of 1.1",
            &themed,
            Box::new(|d| d["protocol"] = json!("1.0")),
            refused("message.invalid"),
        ),
        (
            "theme-not-an-item-code",
            "a theme named by its name (开理发店), not by its code",
            &themed,
            Box::new(|d| d["body"]["theme"] = json!("开理发店")),
            refused("id.item_format"),
        ),
    ];
    let by_the_window = cases.into_iter();
    let cases = by_the_window.map(|(n, d, base, e, x)| (n, d, HUANGSHI, base, e, x));
    edited_envelope_vectors(g, keys, cases.collect());
}

/// The transfer names a theme of its agreement that includes its item (§17 step 6).
fn checks(g: &mut Gen, registry: &str) {
    let themed = transfer_1_1(g, registration());
    let cases: Vec<(&str, &str, Edit, Value)> = vec![
        (
            "theme-transfer",
            "the barber shop's registration under the theme 开理发店, which includes it",
            Box::new(|_| {}),
            json!({"outcome": "accepted", "type": "transfer"}),
        ),
        (
            "theme-unknown",
            "a theme code the agreement does not have",
            Box::new(|d| d["body"]["theme"] = json!("HB-JX-ZT99")),
            refused("item.not_in_theme"),
        ),
        (
            "theme-without-the-item",
            "the barber shop's registration under the theme 开便利店, whose items do not include it",
            Box::new(|d| d["body"]["theme"] = json!("HB-JX-ZT02")),
            refused("item.not_in_theme"),
        ),
        (
            "theme-checked-before-the-form",
            "the theme 开便利店 and a form without the shop's name: the theme is checked first",
            Box::new(|d| {
                d["body"]["theme"] = json!("HB-JX-ZT02");
                d["body"]["form"].as_object_mut().map(|f| f.remove("shop_name"));
            }),
            refused("item.not_in_theme"),
        ),
    ];
    for (name, description, edit, expected) in cases {
        let mut edited = themed.clone();
        edit(&mut edited);
        verify_vector(
            g,
            &format!("checks/{name}"),
            description,
            ("registry", registry),
            vec![at(signed_value(edited, HUANGSHI), T1)],
            vec![expected],
        );
    }
}

/// The sample registry with the sample agreement's themes edited.
fn with_themes(edit: impl Fn(&mut Vec<Value>) + 'static) -> String {
    edited_registry(&move |d| {
        for agreement in d["agreements"].as_array_mut().into_iter().flatten() {
            if agreement["id"] == json!(sample::AGREEMENT) {
                agreement["themes"].as_array_mut().map(&edit);
            }
        }
    })
}

/// A theme's items, shared materials and limit follow §15.
fn catalogue(g: &mut Gen) {
    let invalid = refused("registry.invalid");
    let cases: Vec<(&str, &str, String, Value)> = vec![
        (
            "theme-item-not-in-catalogue",
            "a theme with an item code the agreement's catalogue does not list",
            with_themes(|t| t[0]["items"][1] = json!("HB-JX-0099")),
            invalid.clone(),
        ),
        (
            "theme-item-of-another-agreement",
            "a theme with an item of another agreement's catalogue (WH-0001)",
            with_themes(|t| t[0]["items"][1] = json!("WH-0001")),
            invalid.clone(),
        ),
        (
            "theme-of-one-item",
            "a theme of one item: a theme joins at least two",
            with_themes(|t| {
                t[0]["items"] = json!(["HB-JX-0042"]);
                t[0]["shared_materials"] = json!([]);
            }),
            invalid.clone(),
        ),
        (
            "theme-item-listed-twice",
            "a theme that lists the barber shop's registration twice",
            with_themes(|t| t[0]["items"][1] = json!("HB-JX-0042")),
            invalid.clone(),
        ),
        (
            "theme-listed-twice",
            "two themes with one code",
            with_themes(|t| t[1]["code"] = t[0]["code"].clone()),
            invalid.clone(),
        ),
        (
            "theme-shared-material-of-one-item",
            "a shared material (卫生管理制度) that only one of the theme's items requires",
            with_themes(|t| push(&mut t[0]["shared_materials"], json!("卫生管理制度"))),
            invalid.clone(),
        ),
        (
            "theme-shared-material-listed-twice",
            "a shared material listed twice",
            with_themes(|t| push(&mut t[0]["shared_materials"], json!("身份证复印件"))),
            invalid.clone(),
        ),
        (
            "theme-limit-too-long",
            "a theme whose overall limit is 1,001 working days",
            with_themes(|t| t[0]["time_limit_working_days"] = json!(1001)),
            invalid,
        ),
        (
            "theme-limit-longest",
            "a theme whose overall limit is 1,000 working days, the longest",
            with_themes(|t| t[0]["time_limit_working_days"] = json!(1000)),
            json!({"outcome": "accepted", "version": 1}),
        ),
    ];
    for (name, description, offered, expected) in cases {
        let id = format!("registry/{name}");
        registry_vector(g, &id, description, None, offered, T0, expected);
    }
}

fn push(list: &mut Value, entry: Value) {
    if let Some(list) = list.as_array_mut() {
        list.push(entry);
    }
}

/// An accepted outcome in `state` with the item's statutory due day and the theme's
/// (`null`: none yet, or the clock is stopped).
fn due(state: &str, due: Option<&str>, theme: Option<&str>) -> Value {
    json!({"outcome": "accepted", "state": state, "due": due, "theme_due": theme})
}

fn without_theme(body: Body) -> Body {
    match body {
        Body::Transfer(transfer) => Body::Transfer(Transfer {
            theme: None,
            ..transfer
        }),
        body => body,
    }
}

/// Sends `transfer`, its receipt and the authority's `files_received` (the clock
/// starts on Saturday 2026-11-28), expecting the due days.
fn opened(t: &mut Talk, transfer: Body, item_due: &str, theme_due: Option<&str>) -> Envelope {
    let transfer = t.send(HUANGSHI, transfer, None, due("transferred", None, None));
    let accepted = receipt(&transfer, true);
    let received = due("received", None, None);
    t.send(JIUJIANG, accepted, Some(&transfer.id), received);
    let held = files_received(digests(&transfer));
    let started = due("received", Some(item_due), theme_due);
    t.send(JIUJIANG, held, Some(&transfer.id), started);
    transfer
}

fn lifecycle(g: &mut Gen, registry: &str) {
    let two_themes = with_themes(|t| {
        let mut again = t[0].clone();
        again["code"] = json!("HB-JX-ZT09");
        again["name"] = json!("理发店开业");
        t.push(again);
    });
    let two_themes = g.fixture("registry-two-themes-of-the-barber", two_themes);
    let mismatch = refused("lifecycle.theme_mismatch");
    let scenarios: Vec<(&str, &str, Script)> = vec![
        (
            "theme-whole-case",
            "the theme 开理发店 (10 working days overall) at one authority: the registration (3 days by law) and the hygiene permit (20 days) hand in the same identity card copy and lease; both clocks start on Saturday 2026-11-28 when the files are held: due Wednesday 2 December and Friday 25 December, both within the theme by Friday 11 December",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                let theme = Some("2026-12-11");
                opened(t, registration(), "2026-12-02", theme);
                let permit = opened(t, hygiene(), "2026-12-25", theme);
                let review = status(ReportedStatus::InReview);
                t.send(JIUJIANG, review, Some(&permit.id), due("in_review", Some("2026-12-25"), theme));
            }),
        ),
        (
            "theme-limit-stopped-by-a-supplement",
            "the registration under the theme, its clock started on Saturday 2026-11-28 (theme due Friday 11 December); the 补正 of Tuesday 1 December stops the theme's clock as the item's (no due day while it is outstanding), and the supplement of Monday 7 December restarts both: the item due Tuesday 8 December, the theme Thursday 17 December",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                opened(t, registration(), "2026-12-02", Some("2026-12-11"));
                t.minute = 2 * 24 * 60;
                t.send(JIUJIANG, status(ReportedStatus::InReview), None, due("in_review", Some("2026-12-02"), Some("2026-12-11")));
                t.minute = 3 * 24 * 60;
                t.send(JIUJIANG, other(MessageType::SupplementRequest), None, due("supplement_requested", None, None));
                t.minute = 9 * 24 * 60;
                t.send(HUANGSHI, other(MessageType::Supplement), None, due("supplemented", Some("2026-12-08"), Some("2026-12-17")));
            }),
        ),
        (
            "theme-shared-material-differs",
            "the hygiene permit's transfer hands in another lease than the registration's, a shared material of the theme: refused; with the same lease it is taken",
            Box::new(move |t| {
                t.protocol = ProtocolVersion::V1_1;
                t.send(HUANGSHI, registration(), None, state("transferred"));
                let other_lease = match hygiene() {
                    Body::Transfer(mut transfer) => {
                        transfer.materials[1].sha256 = Sha256Digest::of("经营场所租赁合同 另一份".as_bytes());
                        Body::Transfer(transfer)
                    }
                    body => body,
                };
                t.send(HUANGSHI, other_lease, None, mismatch.clone());
                t.send(HUANGSHI, hygiene(), None, state("transferred"));
            }),
        ),
        (
            "theme-then-a-transfer-of-no-theme",
            "the registration under the theme, then the hygiene permit's transfer in the same case naming no theme: refused",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                t.send(HUANGSHI, registration(), None, state("transferred"));
                let alone = without_theme(hygiene());
                t.send(HUANGSHI, alone, None, refused("lifecycle.theme_mismatch"));
            }),
        ),
        (
            "no-theme-then-a-transfer-of-a-theme",
            "the hygiene permit's transfer naming no theme, then the registration in the same case under the theme: refused",
            Box::new(|t| {
                t.protocol = ProtocolVersion::V1_1;
                let alone = without_theme(hygiene());
                t.send(HUANGSHI, alone, None, state("transferred"));
                t.send(HUANGSHI, registration(), None, refused("lifecycle.theme_mismatch"));
            }),
        ),
    ];
    push_scenarios_in(g, "lifecycle", registry, scenarios);
    let another: Script = Box::new(|t| {
        t.protocol = ProtocolVersion::V1_1;
        t.send(HUANGSHI, registration(), None, state("transferred"));
        let under_another = match hygiene() {
            Body::Transfer(transfer) => Body::Transfer(Transfer {
                theme: Some(must("code", ItemCode::parse("HB-JX-ZT09"))),
                ..transfer
            }),
            body => body,
        };
        t.send(
            HUANGSHI,
            under_another,
            None,
            refused("lifecycle.theme_mismatch"),
        );
    });
    push_scenarios_in(
        g,
        "lifecycle",
        &two_themes,
        vec![(
            "theme-another-theme",
            "a registry whose themes 开理发店 and 理发店开业 both join the two items: the registration under the first, then the hygiene permit's transfer under the second in the same case: refused",
            another,
        )],
    );
}
