//! The main job until the reference node exists: a Huangshi → Jiujiang case transfer
//! built, signed, printed and verified against the alliance's signed trust registry,
//! then acknowledged by Jiujiang with a signed receipt, with the statutory deadline
//! counted in working days of the registry's calendar.
//!
//! Run with `cargo run -p tongban --example huangshi_to_jiujiang`.

use tongban::calendar::CalendarDate;
use tongban::lifecycle::Case;
use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::*;

fn main() {
    if let Err(e) = run() {
        eprintln!("error [{}]: {e}", e.code());
        std::process::exit(1);
    }
}

fn run() -> Result<(), Error> {
    // The alliance operator's registry: members, keys, agreements, catalogues, calendar.
    let registry = sample::registry()?;
    println!(
        "== trust registry v{} ({} members, {} agreements), sha256 {} ==",
        registry.version(),
        registry.document().members.len(),
        registry.document().agreements.len(),
        registry.digest()
    );

    // 1. Huangshi's window builds the transfer and signs it. The sample registry's
    //    calendar covers 2025 and 2026, so the case is dated in 2026.
    let now = Timestamp::parse(sample::CREATED)?;
    let route = sample::route(HUANGSHI)?;
    let body = Body::Transfer(sample::transfer_body()?);
    let mut transfer = Envelope::new(route, body, now.clone(), sample::VALIDITY_SECONDS)?;
    transfer.sign(&sample::key(HUANGSHI)?)?;
    let wire = transfer.to_canonical_bytes()?;
    println!(
        "\n== transfer {} ({} bytes on the wire) ==",
        transfer.id,
        wire.len()
    );
    println!("{}", pretty(&transfer.to_value()?));

    // 2. Jiujiang verifies it: signature, key validity, membership, agreement, item,
    //    mode, form data, materials, time window and replay.
    let jiujiang = Verifier::new(&registry).for_receiver(NodeId::parse(JIUJIANG)?);
    let verified = jiujiang.verify(Unverified::parse(&wire)?, &now)?;
    println!("\n== verified by {JIUJIANG} against the registry ==");
    println!(
        "{}",
        pretty(&serde_json::to_value(verified.summary()).unwrap_or_default())
    );

    // 3. Jiujiang answers with a signed receipt bound to the transfer's exact bytes.
    let receipt_body = Body::Receipt(Receipt {
        answers_sha256: verified.digest().clone(),
        answers_sm3: None,
        outcome: ReceiptOutcome::Accepted {
            reference: Some("JJ-SJ-2026-0815".into()),
        },
    });
    let receipt_time = now.plus_seconds(120)?;
    let mut receipt =
        verified
            .envelope()
            .reply(receipt_body, receipt_time.clone(), sample::VALIDITY_SECONDS)?;
    receipt.sign(&sample::key(JIUJIANG)?)?;
    let receipt_wire = receipt.to_canonical_bytes()?;

    // 4. Huangshi verifies the receipt, checks that it answers its transfer, and
    //    follows the case.
    let huangshi = Verifier::new(&registry).for_receiver(NodeId::parse(HUANGSHI)?);
    let verified_receipt = huangshi.verify(Unverified::parse(&receipt_wire)?, &receipt_time)?;
    verified_receipt.check_receipt_for(&verified)?;
    let mut case = Case::new(transfer.case.clone());
    case.apply(&verified, &registry)?;
    let state = case.apply(&verified_receipt, &registry)?;
    let track = &case.tracks()[0];
    let today = CalendarDate::in_china(&receipt_time);
    let deadline = track.deadline(today, registry.calendar())?;
    println!(
        "\n== receipt {} ({} bytes) verified by {HUANGSHI}: item {} is {}; {} ==",
        receipt.id,
        receipt_wire.len(),
        track.item,
        state.as_str(),
        match deadline {
            Some(d) => format!(
                "due {} ({} working days left, limit {} working days)",
                d.due, d.remaining_working_days, track.time_limit_working_days
            ),
            None => "no deadline yet".into(),
        }
    );
    Ok(())
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
