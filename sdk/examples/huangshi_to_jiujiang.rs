//! The main job until the reference node exists: build, sign, print and verify a
//! Huangshi → Jiujiang case transfer, then the receipt Jiujiang signs for it.
//!
//! Run with `cargo run -p tongban --example huangshi_to_jiujiang`.

use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::*;

fn main() {
    if let Err(e) = run() {
        eprintln!("error [{}]: {e}", e.code());
        std::process::exit(1);
    }
}

fn run() -> Result<(), Error> {
    let huangshi_key = sample::key(HUANGSHI)?;
    let jiujiang_key = sample::key(JIUJIANG)?;
    let mut trusted = KeySet::new();
    trusted.insert(huangshi_key.trusted_key());
    trusted.insert(jiujiang_key.trusted_key());

    // 1. Huangshi's window builds the transfer and signs it.
    let now = Timestamp::now();
    let route = sample::route(HUANGSHI)?;
    let body = Body::Transfer(sample::transfer_body()?);
    let mut transfer = Envelope::new(route, body, now.clone(), sample::VALIDITY_SECONDS)?;
    transfer.sign(&huangshi_key)?;
    let wire = transfer.to_canonical_bytes()?;
    println!(
        "== transfer {} ({} bytes on the wire) ==",
        transfer.id,
        wire.len()
    );
    println!("{}", pretty(&transfer.to_value()?));

    // 2. Jiujiang parses and verifies it.
    let jiujiang = Verifier::new(trusted.clone());
    let verified = jiujiang.verify(Unverified::parse(&wire)?, &now)?;
    println!("\n== verified by {JIUJIANG} ==");
    println!(
        "{}",
        pretty(&serde_json::to_value(verified.summary()).unwrap_or_default())
    );

    // 3. Jiujiang answers with a signed receipt bound to the transfer's exact bytes.
    let receipt_body = Body::Receipt(Receipt {
        answers_sha256: verified.digest().clone(),
        outcome: ReceiptOutcome::Accepted {
            reference: Some("JJ-SJ-2026-0815".into()),
        },
    });
    let mut receipt =
        verified
            .envelope()
            .reply(receipt_body, now.clone(), sample::VALIDITY_SECONDS)?;
    receipt.sign(&jiujiang_key)?;
    let receipt_wire = receipt.to_canonical_bytes()?;

    // 4. Huangshi verifies the receipt and that it answers its transfer.
    let huangshi = Verifier::new(trusted);
    let own_transfer = huangshi.verify(Unverified::parse(&wire)?, &now)?;
    let verified_receipt = huangshi.verify(Unverified::parse(&receipt_wire)?, &now)?;
    verified_receipt.check_receipt_for(&own_transfer)?;
    println!(
        "\n== receipt {} ({} bytes) verified by {HUANGSHI}: case {} accepted by {} ==",
        receipt.id,
        receipt_wire.len(),
        receipt.case,
        receipt.from
    );
    Ok(())
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
