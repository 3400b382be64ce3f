//! Sealed files (§24.6): what a sealer writes, an opener reads back, and nothing altered,
//! reordered, cut or moved opens.

use super::*;
use crate::digest::Sha256Digest;

fn kid() -> KeyId {
    KeyId::parse("jiujiang#seal-1").expect("valid in this test")
}

fn node(name: &str) -> NodeId {
    NodeId::parse(name).expect("valid in this test")
}

fn message_id(last: char) -> MessageId {
    MessageId::parse(format!("01JD000000000000000000000{last}")).expect("valid in this test")
}

/// A file of `size` bytes that differ from record to record.
fn file_of(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

/// Runs `f` with the context of `file` sent from Huangshi to Jiujiang in message `id`.
fn in_context<T>(file: &[u8], id: &MessageId, f: impl FnOnce(&SealContext<'_>) -> T) -> T {
    let (from, to) = (node("huangshi"), node("jiujiang"));
    let part = file_part(&Sha256Digest::of(file));
    f(&SealContext {
        from: &from,
        to: &to,
        id,
        part: &part,
    })
}

/// `file` sealed from Huangshi to Jiujiang in message `id`, fed in pieces of `piece`
/// bytes: the sealed bytes and the reference's members.
fn seal(suite: SealingSuite, file: &[u8], id: &MessageId, piece: usize) -> (Vec<u8>, SealedFile) {
    let mut sealer = in_context(file, id, |context| FileSealer::new(suite, &kid(), context));
    let mut sealed = Vec::new();
    for chunk in file.chunks(piece.max(1)) {
        sealed.extend(sealer.update(chunk).expect("sealed"));
    }
    let (last, reference) = sealer.finish().expect("sealed");
    sealed.extend(last);
    (sealed, reference)
}

/// Opens `sealed` as the file `file` of message `id`, fed in pieces of `piece` bytes.
fn open(
    suite: SealingSuite,
    sealed: &[u8],
    reference: &SealedFile,
    file: &[u8],
    id: &MessageId,
    piece: usize,
) -> Result<Vec<u8>, SealError> {
    let key = FileKey::from_base64url(&reference.key)?;
    let size = file.len() as u64;
    let mut opener = in_context(file, id, |context| {
        FileOpener::new(suite, &kid(), context, &key, size)
    });
    let mut opened = Vec::new();
    for chunk in sealed.chunks(piece.max(1)) {
        opened.extend_from_slice(&opener.update(chunk)?);
    }
    opener.finish()?;
    Ok(opened)
}

#[test]
fn every_size_round_trips_in_both_suites_whatever_the_pieces() {
    let id = message_id('1');
    for suite in SealingSuite::ALL {
        for size in [
            0,
            1,
            FILE_RECORD_SIZE - 1,
            FILE_RECORD_SIZE,
            FILE_RECORD_SIZE + 1,
            3 * FILE_RECORD_SIZE + 7,
        ] {
            let file = file_of(size);
            for piece in [1000, FILE_RECORD_SIZE, 50_000] {
                let (sealed, reference) = seal(suite, &file, &id, piece);
                assert_eq!(
                    sealed.len() as u64,
                    sealed_size(size as u64),
                    "{suite:?} {size}"
                );
                assert_eq!(reference.sha256, Sha256Digest::of(&sealed));
                assert_eq!(reference.key.len(), 22);
                for open_piece in [7, 16_400, 100_000] {
                    let opened =
                        open(suite, &sealed, &reference, &file, &id, open_piece).expect("opens");
                    assert_eq!(opened, file, "{suite:?} {size} {piece} {open_piece}");
                }
            }
        }
    }
}

#[test]
fn the_sealed_length_counts_one_tag_per_started_record_and_one_for_an_empty_file() {
    let record = FILE_RECORD_SIZE as u64;
    assert_eq!(sealed_size(0), 16);
    assert_eq!(sealed_size(1), 17);
    assert_eq!(sealed_size(record), record + 16);
    assert_eq!(sealed_size(record + 1), record + 1 + 32);
    assert_eq!(sealed_size(50 * 1024 * 1024), 50 * 1024 * 1024 + 3200 * 16);
    assert_eq!(sealed_size(u64::MAX), u64::MAX, "saturates, never wraps");
}

#[test]
fn a_fresh_key_seals_the_same_file_twice_to_different_bytes() {
    let file = file_of(100);
    let id = message_id('1');
    let (first, a) = seal(SealingSuite::Sm2Sm4Gcm, &file, &id, 100);
    let (second, b) = seal(SealingSuite::Sm2Sm4Gcm, &file, &id, 100);
    assert_ne!(first, second);
    assert_ne!(a.key, b.key);
    assert_eq!(
        format!("{:?}", FileKey::from_base64url(&a.key).expect("key")),
        "FileKey(..)"
    );
    let shown = format!("{a:?}");
    assert!(shown.contains(a.sha256.as_str()), "{shown}");
    assert!(!shown.contains(&a.key), "{shown}");
}

#[test]
fn altered_reordered_cut_lengthened_or_moved_files_do_not_open() {
    for suite in SealingSuite::ALL {
        let file = file_of(2 * FILE_RECORD_SIZE + 10);
        let id = message_id('1');
        let (sealed, reference) = seal(suite, &file, &id, 4096);
        let code = |bytes: &[u8], file: &[u8], id: &MessageId| {
            open(suite, bytes, &reference, file, id, 5000)
                .map(|_| ())
                .map_err(|e| e.code())
        };
        assert_eq!(code(&sealed, &file, &id), Ok(()));
        let mut altered = sealed.clone();
        altered[FILE_RECORD_SIZE + 20] ^= 1;
        assert_eq!(
            code(&altered, &file, &id),
            Err("seal.open_failed"),
            "a bit flipped in record 1"
        );
        let record = FILE_RECORD_SIZE + 16;
        let mut swapped = sealed[record..2 * record].to_vec();
        swapped.extend_from_slice(&sealed[..record]);
        swapped.extend_from_slice(&sealed[2 * record..]);
        assert_eq!(
            code(&swapped, &file, &id),
            Err("seal.open_failed"),
            "records swapped"
        );
        assert_eq!(
            code(&sealed[..sealed.len() - 1], &file, &id),
            Err("seal.malformed"),
            "cut"
        );
        let mut longer = sealed.clone();
        longer.push(0);
        assert_eq!(
            code(&longer, &file, &id),
            Err("seal.malformed"),
            "a byte more"
        );
        assert_eq!(
            code(&sealed, &file, &message_id('2')),
            Err("seal.open_failed"),
            "lifted"
        );
        let mut other = file.clone();
        other[0] ^= 1;
        assert_eq!(
            code(&sealed, &other, &id),
            Err("seal.open_failed"),
            "moved to another file"
        );
    }
}

#[test]
fn a_file_cut_at_a_record_boundary_does_not_open_as_a_shorter_file() {
    // Two full records claimed as a file of one record: the first record was sealed as
    // not the last, so even an opener told the shorter size refuses it.
    for suite in SealingSuite::ALL {
        let file = file_of(2 * FILE_RECORD_SIZE);
        let id = message_id('1');
        let (sealed, reference) = seal(suite, &file, &id, FILE_RECORD_SIZE);
        let first = &sealed[..FILE_RECORD_SIZE + 16];
        let key = FileKey::from_base64url(&reference.key).expect("key");
        let mut opener = in_context(&file, &id, |context| {
            FileOpener::new(suite, &kid(), context, &key, FILE_RECORD_SIZE as u64)
        });
        assert_eq!(
            opener.update(first).map(|_| ()).map_err(|e| e.code()),
            Err("seal.open_failed")
        );
    }
}

#[test]
fn a_file_key_is_sixteen_bytes_of_unpadded_base64url() {
    let code = |text: &str| {
        FileKey::from_base64url(text)
            .map(|_| ())
            .map_err(|e| e.code())
    };
    assert_eq!(code("AAAAAAAAAAAAAAAAAAAAAA"), Ok(()));
    assert_eq!(code("AAAAAAAAAAAAAAAAAAAAAA=="), Err("seal.malformed"));
    assert_eq!(code("AAAAAAAAAAAAAAAAAAAAAAAA"), Err("seal.malformed"));
    assert_eq!(code("AAAAAAAAAAAAAAAAAAAAA+"), Err("seal.malformed"));
    assert_eq!(
        code("AAAAAAAAAAAAAAAAAAAAAB"),
        Err("seal.malformed"),
        "trailing bits"
    );
    assert_eq!(code(""), Err("seal.malformed"));
}
