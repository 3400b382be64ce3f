//! (1.1) Files sealed with their message (PROTOCOL §24.6): the sender seals each file a
//! sealed body references under its own key, the receiver fetches the sealed bytes by
//! their digest and opens them with the key its opened body gives, and nothing else
//! opens them.

use std::collections::BTreeMap;
use tongban::file::{FileCheck, FileHasher};
use tongban::registry::Registry;
use tongban::sample::{self, CREATED, HUANGSHI, JIUJIANG, VALIDITY_SECONDS};
use tongban::seal::{sealed_size, SealingKeyPair, SealingSuite};
use tongban::*;

fn now() -> Timestamp {
    Timestamp::parse(CREATED).expect("time")
}

/// The sample registry in which every member lists its sample sealing keys; with the
/// cross-river agreement on the national suite when `national`.
fn registry(national: bool) -> Registry {
    let mut document = sample::registry_document(1, &[0, 1, 2], 2).expect("document");
    sample::add_sealing_keys(&mut document).expect("keys");
    if national {
        for agreement in &mut document.agreements {
            if agreement.id.as_str() == sample::AGREEMENT {
                agreement.suite = Some("sm2-sm3".into());
            }
        }
    }
    let bytes = sample::signed_registry(&document, &[0, 1]).expect("signed");
    let issued = Timestamp::parse(sample::REGISTRY_ISSUED).expect("time");
    Registry::bootstrap(&bytes, &issued).expect("registry")
}

fn signer(national: bool) -> KeyPair {
    match national {
        true => sample::sm2_key(HUANGSHI).expect("key"),
        false => sample::key(HUANGSHI).expect("key"),
    }
}

/// The sample transfer, of 1.1, unsigned; its files in clear.
fn sample_transfer() -> Envelope {
    transfer_of(sample::transfer_body().expect("body"))
}

fn transfer_of(body: Transfer) -> Envelope {
    Envelope::new(
        sample::route(HUANGSHI).expect("route"),
        Body::Transfer(body),
        now(),
        VALIDITY_SECONDS,
    )
    .expect("message")
    .with_protocol(ProtocolVersion::V1_1)
}

fn keys_of(node: &str) -> Vec<SealingKeyPair> {
    SealingSuite::ALL
        .into_iter()
        .map(|suite| sample::sealing_key(node, suite).expect("sealing key"))
        .collect()
}

/// Two scans of an invented applicant: one of three records, one of a few bytes.
fn scans() -> Vec<(&'static str, Vec<u8>)> {
    let mut contract = "%PDF-1.7 lease contract of 柯雨桐 (invented) "
        .as_bytes()
        .to_vec();
    contract.extend((0..40_000u32).map(|i| (i % 253) as u8));
    vec![
        ("经营场所租赁合同", contract),
        ("身份证复印件", b"%PDF-1.7 id card".to_vec()),
    ]
}

/// What the window sends: a sealed transfer whose files are sealed, signed; with the
/// sealed bytes it holds, by the digest the receiver fetches them at.
fn send(registry: &Registry, national: bool) -> (Vec<u8>, BTreeMap<Sha256Digest, Vec<u8>>) {
    let (mut message, held) = with_files_sealed(registry, national);
    assert!(registry.seal_body(&mut message).expect("seal"));
    let bytes = message.sign_to_bytes(&signer(national)).expect("sign");
    (bytes, held)
}

/// The window's transfer of two scans, its files sealed to Jiujiang's key (§24.6) and
/// its body not yet; with the sealed bytes it holds, by address.
fn with_files_sealed(
    registry: &Registry,
    national: bool,
) -> (Envelope, BTreeMap<Sha256Digest, Vec<u8>>) {
    let mut body = sample::transfer_body().expect("body");
    body.materials = scans()
        .into_iter()
        .map(|(name, bytes)| {
            let mut hasher = if national {
                FileHasher::with_sm3()
            } else {
                FileHasher::new()
            };
            hasher.update(&bytes);
            hasher.into_reference(name, "application/pdf")
        })
        .collect();
    let mut message = transfer_of(body);
    let (kid, key) = registry
        .body_sealing_key(&message)
        .expect("registry")
        .expect("Jiujiang lists a sealing key");
    let contents: BTreeMap<Sha256Digest, Vec<u8>> = scans()
        .into_iter()
        .map(|(_, bytes)| (Sha256Digest::of(&bytes), bytes))
        .collect();
    let mut held = BTreeMap::new();
    let mut sealed_files = Vec::new();
    for reference in tongban::file::references(&message.body) {
        let mut sealer = message.file_sealer(&kid, &key, reference);
        let mut sealed = Vec::new();
        for piece in contents[&reference.sha256].chunks(5_000) {
            sealed.extend(sealer.update(piece).expect("seal"));
        }
        let (last, members) = sealer.finish().expect("seal");
        sealed.extend(last);
        held.insert(members.sha256.clone(), sealed);
        sealed_files.push(members);
    }
    for (reference, members) in tongban::file::references_mut(&mut message.body)
        .into_iter()
        .zip(sealed_files)
    {
        reference.sealed = Some(members);
    }
    (message, held)
}

fn receive(registry: &Registry, bytes: &[u8]) -> Verified {
    let verifier = Verifier::new(registry).for_receiver(NodeId::parse(JIUJIANG).expect("id"));
    let message = Unverified::parse(bytes).expect("parse");
    verifier
        .verify_and_open(message, &keys_of(JIUJIANG), &now())
        .expect("opened")
}

/// Opens the sealed bytes of `reference` with `key` and checks them against it.
fn open_file(
    verified: &Verified,
    reference: &FileRef,
    key: &SealingKeyPair,
    sealed: &[u8],
) -> Result<Vec<u8>, Error> {
    let mut opener = verified.file_opener(reference, key)?;
    let mut check = FileCheck::new(reference);
    let mut file = Vec::new();
    for piece in sealed.chunks(7_000) {
        let opened = opener.update(piece)?;
        check.update(&opened)?;
        file.extend_from_slice(&opened);
    }
    opener.finish()?;
    check.finish()?;
    Ok(file)
}

#[test]
fn the_receiver_fetches_and_opens_every_file_in_both_suites() {
    for national in [false, true] {
        let registry = registry(national);
        let (bytes, held) = send(&registry, national);
        let text = String::from_utf8(bytes.clone()).expect("utf-8");
        let verified = receive(&registry, &bytes);
        let key = (keys_of(JIUJIANG).into_iter())
            .find(|key| Some(key.key_id()) == verified.opened_with())
            .expect("the key the body was opened with");
        let expected: BTreeMap<Sha256Digest, Vec<u8>> = scans()
            .into_iter()
            .map(|(_, bytes)| (Sha256Digest::of(&bytes), bytes))
            .collect();
        let references = tongban::file::references(&verified.envelope().body);
        assert_eq!(references.len(), 2);
        for reference in references {
            let sealed_file = reference.sealed.as_ref().expect("sealed");
            // A hop sees neither the file's digest, its sealed digest nor its key.
            for hidden in [
                reference.sha256.as_str(),
                sealed_file.sha256.as_str(),
                sealed_file.key.as_str(),
            ] {
                assert!(!text.contains(hidden), "{hidden} travels in clear");
            }
            let sealed = &held[&sealed_file.sha256];
            assert_eq!(sealed.len() as u64, sealed_size(reference.size));
            assert_eq!(Sha256Digest::of(sealed), sealed_file.sha256);
            let file = open_file(&verified, reference, &key, sealed).expect("opens");
            assert_eq!(file, expected[&reference.sha256]);
            // Kept sealed at rest, opened later from the message kept opened.
            let kept: Envelope = verified.envelope().clone();
            let mut opener = kept
                .file_opener(reference, &key)
                .expect("the receiver's key");
            let later = opener.update(sealed).expect("opens").to_vec();
            opener.finish().expect("whole");
            assert_eq!(later, file);
            let huangshi = &keys_of(HUANGSHI)[0];
            assert_eq!(
                kept.file_opener(reference, huangshi)
                    .err()
                    .map(|e| e.code()),
                Some("seal.unknown_key")
            );
            // No piece of the file in clear is in its sealed form.
            for start in (0..file.len().saturating_sub(16)).step_by(1_000) {
                let piece = &file[start..start + 16];
                assert!(!sealed.windows(16).any(|w| w == piece), "bytes {start}..");
            }
            // It is fetched as its sealed bytes, checked against their own digest.
            let fetched = tongban::file::fetched(reference);
            assert_eq!(fetched.sha256, sealed_file.sha256);
            assert_eq!(reference.address(), &sealed_file.sha256);
            let mut check = FileCheck::new(&fetched);
            check.update(sealed).expect("the sealed length");
            check.finish().expect("the sealed digest");
            tongban::file::check_media_type(&fetched, "application/octet-stream")
                .expect("served as octets");
        }
    }
}

#[test]
fn a_sealed_file_opens_only_as_itself_for_its_receiver() {
    let registry = registry(false);
    let (bytes, held) = send(&registry, false);
    let verified = receive(&registry, &bytes);
    let key = &keys_of(JIUJIANG)[0];
    let references = tongban::file::references(&verified.envelope().body);
    let (contract, card) = (references[0], references[1]);
    let sealed_contract = &held[&contract.sealed.as_ref().expect("sealed").sha256];
    let code = |result: Result<Vec<u8>, Error>| result.expect_err("refused").code();

    // The bytes of one file served for another: another key and another part.
    let sealed_card = &held[&card.sealed.as_ref().expect("sealed").sha256];
    assert_eq!(
        code(open_file(&verified, contract, key, sealed_card)),
        "seal.malformed",
        "a shorter file's bytes are cut short for this one"
    );
    let mut as_card = card.clone();
    as_card.size = contract.size;
    assert_eq!(
        code(open_file(&verified, &as_card, key, sealed_contract)),
        "seal.open_failed"
    );
    // The right key under another file's reference: the part names the file.
    let mut moved = card.clone();
    moved.size = contract.size;
    moved.sealed = contract.sealed.clone();
    assert_eq!(
        code(open_file(&verified, &moved, key, sealed_contract)),
        "seal.open_failed"
    );

    // Altered in the store or on the way: a record does not open, or the length is off.
    let mut altered = sealed_contract.clone();
    altered[20_000] ^= 0x80;
    assert_eq!(
        code(open_file(&verified, contract, key, &altered)),
        "seal.open_failed"
    );
    let cut = &sealed_contract[..sealed_contract.len() - 16];
    assert_eq!(
        code(open_file(&verified, contract, key, cut)),
        "seal.malformed"
    );

    // Another member's key, or the receiver's key of the other suite: not the body's.
    let huangshi = &keys_of(HUANGSHI)[0];
    assert_eq!(
        code(open_file(&verified, contract, huangshi, sealed_contract)),
        "seal.unknown_key"
    );
    let other_suite = &keys_of(JIUJIANG)[1];
    assert_eq!(
        code(open_file(&verified, contract, other_suite, sealed_contract)),
        "seal.unknown_key"
    );

    // A reference whose key is not a key, or that is not sealed at all.
    let mut unsealed = contract.clone();
    unsealed.sealed = None;
    assert_eq!(
        code(open_file(&verified, &unsealed, key, sealed_contract)),
        "message.invalid"
    );
    let mut bad_key = contract.clone();
    if let Some(sealed) = &mut bad_key.sealed {
        sealed.key = "AAAA".into();
    }
    assert_eq!(
        code(open_file(&verified, &bad_key, key, sealed_contract)),
        "seal.malformed"
    );
    open_file(&verified, contract, key, sealed_contract).expect("the honest file opens");
}

#[test]
fn a_body_is_sealed_only_once_its_files_are_and_files_are_never_sealed_for_a_body_in_clear() {
    let registry = registry(false);
    let mut message = sample_transfer();
    assert_eq!(
        registry
            .seal_body(&mut message)
            .expect_err("files first")
            .code(),
        "message.invalid"
    );
    assert!(message.body.sealed().is_none(), "nothing sealed on refusal");

    // In clear, a file's key would travel in clear: the sender's registry refuses it
    // before anything is signed, and a receiver refuses a message signed so anyway.
    let plain = sample::registry().expect("registry");
    sample::mark_files_sealed(&mut message.body);
    assert_eq!(
        plain
            .seal_body(&mut message)
            .expect_err("no key to seal to")
            .code(),
        "message.invalid"
    );
    let bytes = message.sign_to_bytes(&signer(false)).expect("sign");
    let verifier = Verifier::new(&plain).for_receiver(NodeId::parse(JIUJIANG).expect("id"));
    let refused = Unverified::parse(&bytes).and_then(|m| verifier.verify(m, &now()));
    assert_eq!(refused.expect_err("refused").code(), "message.invalid");
}

#[test]
fn a_verified_body_in_clear_has_no_files_to_open() {
    let plain = sample::registry().expect("registry");
    let mut message = sample_transfer();
    let bytes = message.sign_to_bytes(&signer(false)).expect("sign");
    let verifier = Verifier::new(&plain).for_receiver(NodeId::parse(JIUJIANG).expect("id"));
    let verified = verifier
        .verify(Unverified::parse(&bytes).expect("parse"), &now())
        .expect("in clear");
    assert_eq!(verified.opened_with(), None);
    let reference = tongban::file::references(&verified.envelope().body)[0].clone();
    let opener = verified.file_opener(&reference, &keys_of(JIUJIANG)[0]);
    assert_eq!(opener.err().map(|e| e.code()), Some("seal.unknown_key"));
}

#[test]
fn the_senders_own_case_records_its_sealed_files_by_address() {
    let registry = registry(false);
    let (mut message, held) = with_files_sealed(&registry, false);
    let clear = message.body.clone();
    let window = Verifier::new(&registry).any_receiver();
    let (bytes, own) = window
        .sign_seal_and_check(&mut message, &signer(false), &now(), |m| {
            registry.seal_body(m)
        })
        .expect("sealed, signed and checked");
    // What travels is sealed; what the window keeps is its body as it wrote it.
    assert!(message.body.sealed().is_some());
    assert_eq!(own.envelope().body, clear);
    assert_eq!(own.digest(), &Sha256Digest::of(&bytes));
    assert_eq!(own.canonical_bytes(), bytes);
    let jiujiang_key = &keys_of(JIUJIANG)[0];
    assert_eq!(own.opened_with(), Some(jiujiang_key.key_id()));

    // Huangshi's case takes its own transfer, Jiujiang's receipt, then a files_received
    // that lists the sealed digests, and not one that lists the digests in clear.
    let mut case = lifecycle::Case::new(own.envelope().case.clone());
    case.apply(&own, &registry)
        .expect("the window's own transfer");
    let later = |minutes: i64| now().plus_seconds(60 * minutes).expect("time");
    let jiujiang = sample::key(JIUJIANG).expect("key");
    let answer = |body: Body, minutes: i64| {
        let mut reply = own
            .envelope()
            .reply(body, later(minutes), VALIDITY_SECONDS)
            .expect("reply")
            .with_protocol(ProtocolVersion::V1_1);
        let bytes = reply.sign_to_bytes(&jiujiang).expect("sign");
        window
            .verify(Unverified::parse(&bytes).expect("parse"), &later(minutes))
            .expect("verified")
    };
    let receipt = Body::Receipt(Receipt {
        answers_sha256: Sha256Digest::of(&bytes),
        answers_sm3: None,
        outcome: ReceiptOutcome::Accepted { reference: None },
    });
    case.apply(&answer(receipt, 1), &registry)
        .expect("the receipt");
    let listed = |digests: Vec<Sha256Digest>| Body::FilesReceived(FilesReceived { files: digests });
    let in_clear: Vec<Sha256Digest> = (tongban::file::references(&clear).into_iter())
        .map(|reference| reference.sha256.clone())
        .collect();
    let refused = case.apply(&answer(listed(in_clear), 2), &registry);
    assert_eq!(
        refused.expect_err("the digests in clear").code(),
        "message.not_an_answer"
    );
    let addresses: Vec<Sha256Digest> = held.keys().cloned().collect();
    case.apply(&answer(listed(addresses), 3), &registry)
        .expect("the sealed digests, which the receiver fetched");
    // The case holds the keys it was given; kept at rest beside the sealed bytes
    // (mask::clear_file_keys), it keeps their addresses and never the keys.
    let held = serde_json::to_value(&case).expect("json");
    let mut kept = held.clone();
    tongban::mask::clear_file_keys(&mut kept);
    let kept = kept.to_string();
    for reference in tongban::file::references(&clear) {
        let sealed = reference.sealed.as_ref().expect("sealed");
        assert!(held.to_string().contains(&sealed.key));
        assert!(kept.contains(sealed.sha256.as_str()));
        assert!(!kept.contains(&sealed.key), "a file key kept in the case");
    }
    let restored: lifecycle::Case = serde_json::from_str(&kept).expect("read back");
    assert_eq!(restored.tracks().len(), case.tracks().len());
}

#[test]
fn a_message_kept_as_it_arrived_reopens_with_the_receivers_key_only() {
    for national in [false, true] {
        let registry = registry(national);
        let (bytes, _) = send(&registry, national);
        let verified = receive(&registry, &bytes);
        // Kept as it arrived, sealed (a node's inbox), and read again later.
        let mut kept = Unverified::parse(&verified.canonical_bytes())
            .expect("kept")
            .envelope()
            .clone();
        assert!(kept.body.sealed().is_some());
        let mut again = kept.clone();
        // Not with another member's keys, nor without the key the box names.
        let refused = again
            .reopen_body(&keys_of(HUANGSHI))
            .expect_err("Huangshi's keys");
        assert_eq!(refused.code(), "seal.unknown_key");
        let other_suite: Vec<SealingKeyPair> = keys_of(JIUJIANG)
            .into_iter()
            .filter(|key| Some(key.key_id()) != verified.opened_with())
            .collect();
        let refused = again.reopen_body(&other_suite).expect_err("the other key");
        assert_eq!(refused.code(), "seal.unknown_key");
        assert_eq!(again, kept, "nothing changes when it does not open");
        let opened_with = kept.reopen_body(&keys_of(JIUJIANG)).expect("reopens");
        assert_eq!(opened_with.as_ref(), verified.opened_with());
        assert_eq!(kept.body, verified.envelope().body);
        // A body in clear is left as it is.
        let clear = kept.clone();
        assert_eq!(kept.reopen_body(&keys_of(JIUJIANG)).expect("clear"), None);
        assert_eq!(kept, clear);
    }
}
