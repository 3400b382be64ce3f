//! Sealed files (PROTOCOL §24.6): known answers of both suites with fixed file keys, and
//! every way the sealed bytes must fail to open (altered, reordered, cut, lengthened,
//! cut at a record boundary and claimed shorter, lifted into another message, claimed
//! by another sender, re-addressed, moved to another file) (`sealing/files`); a sealed
//! file checked as it is fetched; and `files_received` of a sealed transfer, which lists
//! the digests of the sealed bytes (`sealing/lifecycle`).

use super::files::{clock, files_received, received_1_1};
use super::lifecycle::{barber, push_scenarios_with, Script, Talk};
use super::*;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use tongban::crypto::base64url;
use tongban::seal::{file_part, FileKey, FileSealer, SealContext, SealingSuite, FILE_RECORD_SIZE};

const HPKE: SealingSuite = SealingSuite::HpkeX25519Aes128Gcm;
const SM2: SealingSuite = SealingSuite::Sm2Sm4Gcm;
const WUHAN: &str = "wuhan.420100";
/// The id of the message that references every file of these vectors.
const MESSAGE: &str = "01KB5A7X000000000000000002";
/// A scan's first bytes; the rest is filler up to the file's size.
const SCAN: &str = "%PDF-1.7 租赁合同 出租人 柯雨桐 (invented) ";

/// The sample receiver's key id in `suite` (Jiujiang's).
fn kid(suite: SealingSuite) -> String {
    match suite {
        SealingSuite::HpkeX25519Aes128Gcm => format!("{JIUJIANG}#seal"),
        SealingSuite::Sm2Sm4Gcm => format!("{JIUJIANG}#seal-sm2"),
    }
}

/// A file of `size` bytes: the scan's first bytes, then `filler`.
fn file(size: usize, filler: u8) -> (Vec<u8>, Value) {
    let head = SCAN.as_bytes();
    let spec =
        json!({"concat": [{"text": SCAN}, {"fill": {"byte": filler, "count": size - head.len()}}]});
    let mut bytes = head.to_vec();
    bytes.resize(size, filler);
    (bytes, spec)
}

/// The fixed file key of `label`.
fn file_key(label: &str) -> String {
    base64url(&sample::seed(&format!("sealed file key {label}"))[..16])
}

/// The context of a file of `sha256` from `from` to `to` in message `id`.
fn context(from: &str, to: &str, id: &str, sha256: &Sha256Digest) -> Value {
    json!({"from": from, "to": to, "id": id, "part": file_part(sha256)})
}

/// `file` sealed under `key` from Huangshi to Jiujiang in `MESSAGE`.
fn seal(suite: SealingSuite, file: &[u8], key: &str) -> Vec<u8> {
    let from = must("node", NodeId::parse(HUANGSHI));
    let to = must("node", NodeId::parse(JIUJIANG));
    let id = must("id", MessageId::parse(MESSAGE));
    let part = file_part(&Sha256Digest::of(file));
    let context = SealContext {
        from: &from,
        to: &to,
        id: &id,
        part: &part,
    };
    let kid = must("kid", KeyId::parse(kid(suite).as_str()));
    let key = must("file key", FileKey::from_base64url(key));
    let mut sealer = FileSealer::with_key(suite, &kid, &context, key);
    let mut sealed = must("seal", sealer.update(file));
    let (last, _) = must("seal", sealer.finish());
    sealed.extend(last);
    sealed
}

pub(super) fn sealed_files(g: &mut Gen) {
    let record = FILE_RECORD_SIZE;
    let sealed_record = record + 16;
    let honest = |sha256: &Sha256Digest| context(HUANGSHI, JIUJIANG, MESSAGE, sha256);
    for (suite, name) in [(HPKE, "hpke"), (SM2, "sm2")] {
        // Known answers: two full records and a short last one.
        let (bytes, spec) = file(2 * record + 10, b'a');
        let sha256 = Sha256Digest::of(&bytes);
        let key = file_key(name);
        let sealed = seal(suite, &bytes, &key);
        let input = |context: Value, key: &str| json!({"suite": suite.as_str(), "kid": kid(suite), "context": context, "key": key});
        let mut seal_input = input(honest(&sha256), &key);
        seal_input["plaintext"] = spec;
        g.push(
            &format!("sealing/files/{name}-known-answer"),
            &format!("a file of {} bytes (two records of {record} and one of 10) sealed with {} under a fixed file key: the sealed bytes are reproduced exactly (their SHA-256 and length)", bytes.len(), suite.as_str()),
            "seal_file",
            seal_input,
            json!({"outcome": "accepted", "sealed": {"key": key, "sha256": Sha256Digest::of(&sealed)}, "length": sealed.len()}),
        );
        let open = |g: &mut Gen,
                    case: &str,
                    description: &str,
                    context: Value,
                    key: &str,
                    size: usize,
                    sealed: &[u8],
                    expected: Value| {
            let mut open_input = input(context, key);
            open_input["size"] = json!(size);
            open_input["sealed"] = json!({"base64": STANDARD.encode(sealed)});
            g.push(
                &format!("sealing/files/{name}-{case}"),
                description,
                "open_file",
                open_input,
                expected,
            );
        };
        let read = json!({"outcome": "accepted", "sha256": sha256, "size": bytes.len()});
        open(
            g,
            "open",
            "the known answer's sealed bytes open to the file",
            honest(&sha256),
            &key,
            bytes.len(),
            &sealed,
            read,
        );
        // Bytes that belong to another message, sender, receiver or file: a file of
        // one record is enough.
        let (small, _) = file(100, b'b');
        let small_sha256 = Sha256Digest::of(&small);
        let small_key = file_key(&format!("{name} small"));
        let small_sealed = seal(suite, &small, &small_key);
        let elsewhere = [
            (
                "lifted-into-another-message",
                "opened in another message of the same sender (its id)",
                context(
                    HUANGSHI,
                    JIUJIANG,
                    "01KB5A7X000000000000000003",
                    &small_sha256,
                ),
            ),
            (
                "claimed-by-another-sender",
                "opened as a file Wuhan sent",
                context(WUHAN, JIUJIANG, MESSAGE, &small_sha256),
            ),
            (
                "re-addressed",
                "opened as a file sent to Wuhan",
                context(HUANGSHI, WUHAN, MESSAGE, &small_sha256),
            ),
            (
                "moved-to-another-file",
                "opened as another file of the message (another part)",
                honest(&Sha256Digest::of(b"another file")),
            ),
        ];
        open(
            g,
            "small-open",
            "a file of 100 bytes, one record, opens in its own message",
            honest(&small_sha256),
            &small_key,
            small.len(),
            &small_sealed,
            json!({"outcome": "accepted", "sha256": small_sha256, "size": small.len()}),
        );
        for (case, description, context) in elsewhere {
            open(
                g,
                case,
                &format!("{description}: seal.open_failed"),
                context,
                &small_key,
                small.len(),
                &small_sealed,
                refused("seal.open_failed"),
            );
        }
        if suite != HPKE {
            continue;
        }
        // What records are: the same for both suites, so pinned once.
        let attempts: Vec<(&str, &str, Vec<u8>, &str)> = vec![
            (
                "record-altered",
                "one bit of the second record flipped",
                {
                    let mut altered = sealed.clone();
                    altered[sealed_record + 5] ^= 1;
                    altered
                },
                "seal.open_failed",
            ),
            (
                "records-swapped",
                "the first two records in each other's place",
                {
                    [
                        &sealed[sealed_record..2 * sealed_record],
                        &sealed[..sealed_record],
                        &sealed[2 * sealed_record..],
                    ]
                    .concat()
                },
                "seal.open_failed",
            ),
            (
                "cut-by-a-byte",
                "the last byte missing",
                sealed[..sealed.len() - 1].to_vec(),
                "seal.malformed",
            ),
            (
                "last-record-dropped",
                "the last record missing: the length says three records",
                sealed[..2 * sealed_record].to_vec(),
                "seal.malformed",
            ),
            (
                "a-byte-more",
                "one byte after the last record",
                [&sealed[..], &[0u8]].concat(),
                "seal.malformed",
            ),
            (
                "altered-and-a-byte-more",
                "one bit of the first record flipped and one byte after the last record: the length is checked first",
                {
                    let mut altered = [&sealed[..], &[0u8]].concat();
                    altered[5] ^= 1;
                    altered
                },
                "seal.malformed",
            ),
        ];
        for (case, description, altered, code) in attempts {
            open(
                g,
                case,
                &format!("{description}: {code}"),
                honest(&sha256),
                &key,
                bytes.len(),
                &altered,
                refused(code),
            );
        }
        // The first two records, claimed to be a file of two records: the second was
        // sealed as not the last, so the nonce that marks the last does not open it.
        open(
            g,
            "cut-at-a-record-boundary-claimed-shorter",
            &format!("the first two records claimed as a whole file of {} bytes: the second was sealed as not the last (the nonce's last byte), seal.open_failed", 2 * record),
            honest(&sha256),
            &key,
            2 * record,
            &sealed[..2 * sealed_record],
            refused("seal.open_failed"),
        );
    }
    // Lengths: an empty file is one empty record; a file of exactly one record is one;
    // a file of 257 records numbers them past one byte (index 256 is 00…0100).
    let lengths = [
        ("empty-file", 0, "an empty file is one record of no bytes: 16 sealed bytes, the tag"),
        ("one-whole-record", FILE_RECORD_SIZE, "a file of exactly one record is that record alone, sealed as the last: no empty record follows"),
        ("257-records", 256 * FILE_RECORD_SIZE + 1, "a file of 257 records, the last of one byte: the record index is 11 bytes wide, not one (index 256 does not wrap to 0)"),
    ];
    for (suite, prefix) in [(HPKE, "hpke"), (SM2, "sm2")] {
        for (name, size, description) in lengths {
            let bytes = vec![b'x'; size];
            let sha256 = Sha256Digest::of(&bytes);
            let key = file_key(&format!("{prefix} {name}"));
            let sealed = seal(suite, &bytes, &key);
            let input = |extra: (&str, Value)| {
                let mut input = json!({"suite": suite.as_str(), "kid": kid(suite), "context": honest(&sha256), "key": key});
                input[extra.0] = extra.1;
                input
            };
            g.push(
                &format!("sealing/files/{prefix}-{name}"),
                description,
                "seal_file",
                input(("plaintext", json!({"fill": {"byte": b'x', "count": size}}))),
                json!({"outcome": "accepted", "sealed": {"key": key, "sha256": Sha256Digest::of(&sealed)}, "length": sealed.len()}),
            );
            if size > FILE_RECORD_SIZE {
                continue; // the known answer of two records and a short one opens already
            }
            let mut open_input = input(("size", json!(size)));
            open_input["sealed"] = json!({"base64": STANDARD.encode(&sealed)});
            g.push(
                &format!("sealing/files/{prefix}-{name}-open"),
                &format!("{description}; it opens"),
                "open_file",
                open_input,
                json!({"outcome": "accepted", "sha256": sha256, "size": size}),
            );
        }
    }
    fetched(g);
    let (bytes, spec) = file(100, b'k');
    g.push(
        "sealing/files/key-of-15-bytes",
        "a file key of 15 bytes: seal.malformed",
        "seal_file",
        json!({"suite": HPKE.as_str(), "kid": kid(HPKE), "context": honest(&Sha256Digest::of(&bytes)), "key": base64url(&[9u8; 15]), "plaintext": spec}),
        refused("seal.malformed"),
    );
}

/// A sealed file as it is fetched (§23.4, §24.6): its sealed bytes, checked against
/// their length and digest, served as `application/octet-stream` (operation
/// `file_check` with a sealed reference).
fn fetched(g: &mut Gen) {
    let (bytes, _) = file(100, b'f');
    let sealed = seal(HPKE, &bytes, &file_key("fetched"));
    let again = seal(HPKE, &bytes, &file_key("fetched again"));
    let mut scan = tongban::file::FileHasher::new();
    scan.update(&bytes);
    let mut reference = scan.into_reference("经营场所租赁合同", "application/pdf");
    reference.sealed = Some(tongban::seal::SealedFile {
        key: file_key("fetched"),
        sha256: Sha256Digest::of(&sealed),
    });
    let octets = tongban::file::SEALED_MEDIA_TYPE;
    let cases: [(&str, &str, &[u8], &str, Value); 5] = [
        ("fetched", "a sealed file's sealed bytes served as application/octet-stream: checked against the sealed digest and length, accepted", &sealed, octets, json!({"outcome": "accepted"})),
        ("fetched-as-its-media-type", "the sealed bytes served as the file's own media type (application/pdf): file.media_type_mismatch", &sealed, "application/pdf", refused("file.media_type_mismatch")),
        ("fetched-in-clear", "the file in clear served for a sealed reference: file.size_mismatch (a holder never serves it)", &bytes, octets, refused("file.size_mismatch")),
        ("fetched-cut-short", "the sealed bytes without their last byte: file.size_mismatch", &sealed[..sealed.len() - 1], octets, refused("file.size_mismatch")),
        ("fetched-sealed-again", "the same file sealed again under another key, of the same length: file.digest_mismatch", &again, octets, refused("file.digest_mismatch")),
    ];
    for (name, description, served, media_type, expected) in cases {
        g.push(
            &format!("sealing/files/{name}"),
            description,
            "file_check",
            json!({"reference": reference, "bytes": {"base64": STANDARD.encode(served)}, "media_type": media_type}),
            expected,
        );
    }
}

/// Seals `envelope`'s body, of a type that is sealed, to its receiver's sample HPKE key
/// (§24.5), its files marked sealed (§24.6), with an ephemeral secret of its id.
fn seal_to_receiver(envelope: &mut Envelope) {
    if !envelope.message_type().is_sealable() {
        return;
    }
    let receiver = super::sealing::sample_key(envelope.to.as_str(), HPKE);
    sample::mark_files_sealed(&mut envelope.body);
    let ephemeral = super::sealing::ephemeral(HPKE, envelope.id.as_str());
    must(
        "seal",
        envelope.seal_body_with_ephemeral(receiver.key_id(), receiver.public_key(), &ephemeral),
    );
}

/// `files_received` of a sealed transfer lists its files' addresses, the digests of
/// their sealed bytes, never the digests of the files in clear (§23.5, §24.6).
pub(super) fn sealed_lifecycle(g: &mut Gen) {
    let input = json!({
        "registry": super::sealed_messages::sealing_registry(g),
        "sealing_keys": super::sealed_messages::sealing_key_files(),
    });
    let mut marked = barber();
    sample::mark_files_sealed(&mut marked);
    let mut sealed_digests: Vec<Sha256Digest> = Vec::new();
    for reference in tongban::file::references(&marked) {
        if !sealed_digests.contains(reference.address()) {
            sealed_digests.push(reference.address().clone());
        }
    }
    let in_clear: Vec<Sha256Digest> = (tongban::file::references(&barber()).into_iter())
        .map(|reference| reference.sha256.clone())
        .collect();
    let sealed_transfer = |t: &mut Talk| {
        t.seal = Some(seal_to_receiver);
        received_1_1(t)
    };
    let scenarios: Vec<(&str, &str, Script)> = vec![
        (
            "files-received-lists-the-sealed-digests",
            "a sealed transfer whose files are sealed: the authority's files_received lists the digests of their sealed bytes, and the clock starts",
            Box::new(move |t| {
                let transfer = sealed_transfer(t);
                t.send(JIUJIANG, files_received(sealed_digests.clone()), Some(&transfer.id), clock("received", Some("2026-11-28")));
            }),
        ),
        (
            "files-received-lists-the-digests-in-clear",
            "the same files_received listing the digests of the files in clear, which hops would read: message.not_an_answer",
            Box::new(move |t| {
                let transfer = sealed_transfer(t);
                t.send(JIUJIANG, files_received(in_clear.clone()), Some(&transfer.id), refused("message.not_an_answer"));
            }),
        ),
    ];
    push_scenarios_with(g, "sealing/lifecycle", input, scenarios);
}
