//! `Verifier::sign_and_check`: a party's own message, signed and checked as its receiver
//! will check it, without verifying the signature just made. It must accept exactly
//! what signing and then `verify` accept, and refuse what they refuse.

use tongban::sample::{self, HUANGSHI, JIUJIANG};
use tongban::*;

/// The sample transfer from Huangshi, not signed yet.
fn unsigned_transfer() -> Envelope {
    let created = Timestamp::parse(sample::CREATED).expect("time");
    Envelope::new(
        sample::route(HUANGSHI).expect("route"),
        Body::Transfer(sample::transfer_body().expect("body")),
        created,
        3600,
    )
    .expect("envelope")
}

fn now() -> Timestamp {
    Timestamp::parse(sample::CREATED).expect("time")
}

#[test]
fn a_message_signed_and_checked_is_the_message_sign_then_verify_gives() {
    let registry = sample::registry().expect("registry");
    let key = sample::key(HUANGSHI).expect("key");
    let verifier = Verifier::new(&registry).any_receiver();
    let mut message = unsigned_transfer();
    let (bytes, checked) = verifier
        .sign_and_check(&mut message, &key, &now())
        .expect("checked");
    assert_eq!(message.signatures.len(), 1);
    assert_eq!(bytes, message.to_canonical_bytes().expect("bytes"));
    // The bytes verify in full, to the same message.
    let verified = Verifier::new(&registry)
        .any_receiver()
        .verify(Unverified::parse(&bytes).expect("parse"), &now())
        .expect("verified");
    assert_eq!(verified.digest(), checked.digest());
    assert_eq!(verified.signers(), checked.signers());
    assert_eq!(verified.envelope(), checked.envelope());
}

#[test]
fn a_key_the_registry_does_not_list_under_its_id_is_refused() {
    let registry = sample::registry().expect("registry");
    let verifier = Verifier::new(&registry).any_receiver();
    // A key of Huangshi's that claims the id of its listed key.
    let listed = sample::key(HUANGSHI).expect("key");
    let impostor = KeyPair::generate(
        NodeId::parse(HUANGSHI).expect("node"),
        Some(listed.key_id().clone()),
    )
    .expect("generated");
    let error = verifier
        .sign_and_check(&mut unsigned_transfer(), &impostor, &now())
        .expect_err("another key under the listed id");
    assert_eq!(error.code(), "signature.unknown_key", "{error}");
    // A key under an id the registry does not list at all.
    let unlisted = KeyPair::generate(NodeId::parse(HUANGSHI).expect("node"), None).expect("key");
    let error = verifier
        .sign_and_check(&mut unsigned_transfer(), &unlisted, &now())
        .expect_err("unlisted");
    assert_eq!(error.code(), "signature.unknown_key", "{error}");
}

#[test]
fn every_other_check_of_verify_still_applies() {
    let registry = sample::registry().expect("registry");
    // Another member's listed key on Huangshi's message: not the sender's.
    let error = Verifier::new(&registry)
        .any_receiver()
        .sign_and_check(
            &mut unsigned_transfer(),
            &sample::key(JIUJIANG).expect("key"),
            &now(),
        )
        .expect_err("not the sender's key");
    assert_eq!(error.code(), "signature.key_not_sender", "{error}");
    // A message for another receiver.
    let error = Verifier::new(&registry)
        .for_receiver(NodeId::parse(HUANGSHI).expect("node"))
        .sign_and_check(
            &mut unsigned_transfer(),
            &sample::key(HUANGSHI).expect("key"),
            &now(),
        )
        .expect_err("another receiver");
    assert_eq!(error.code(), "message.wrong_receiver", "{error}");
    // A message checked after it expired.
    let late = now().plus_seconds(7200).expect("time");
    let error = Verifier::new(&registry)
        .any_receiver()
        .sign_and_check(
            &mut unsigned_transfer(),
            &sample::key(HUANGSHI).expect("key"),
            &late,
        )
        .expect_err("expired");
    assert_eq!(error.code(), "time.expired", "{error}");
}

#[test]
fn a_message_signed_before_is_refused_so_no_signature_goes_unverified() {
    let registry = sample::registry().expect("registry");
    let mut signed = sample::signed_transfer().expect("signed");
    let error = Verifier::new(&registry)
        .any_receiver()
        .sign_and_check(&mut signed, &sample::key(HUANGSHI).expect("key"), &now())
        .expect_err("already signed");
    assert_eq!(error.code(), "signature.malformed", "{error}");
    assert_eq!(signed.signatures.len(), 1, "nothing was added");
}
