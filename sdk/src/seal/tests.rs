use super::*;

fn node(name: &str) -> NodeId {
    NodeId::parse(name).expect("valid in this test")
}

fn key_pair(suite: SealingSuite) -> SealingKeyPair {
    SealingKeyPair::generate(suite, node("jiujiang"), None).expect("valid in this test")
}

struct Names {
    from: NodeId,
    to: NodeId,
    id: MessageId,
}

fn names() -> Names {
    Names {
        from: node("huangshi"),
        to: node("jiujiang"),
        id: MessageId::parse("01JD0000000000000000000001").expect("valid in this test"),
    }
}

impl Names {
    fn context<'a>(&'a self, part: &'a str) -> SealContext<'a> {
        SealContext {
            from: &self.from,
            to: &self.to,
            id: &self.id,
            part,
        }
    }
}

const PLAINTEXT: &[u8] = "{\"applicant\":{\"name\":\"吴晓岚\"}}".as_bytes();

/// `PLAINTEXT` sealed to `receiver` as the body of the test message.
fn sealed_body(receiver: &SealingKeyPair) -> SealedBox {
    let names = names();
    receiver
        .public_key()
        .seal(receiver.key_id(), &names.context("body"), PLAINTEXT)
        .expect("sealed")
}

#[test]
fn each_suite_opens_what_it_sealed_and_nothing_else_opens_it() {
    for suite in SealingSuite::ALL {
        let receiver = key_pair(suite);
        let names = names();
        let context = names.context("body");
        let sealed = sealed_body(&receiver);
        assert_eq!(sealed.alg, suite.as_str());
        assert_eq!(
            receiver
                .open(&sealed, &context)
                .expect("valid in this test")
                .as_slice(),
            PLAINTEXT
        );
        // Fresh randomness: the same plaintext seals differently each time.
        let again = receiver
            .public_key()
            .seal(receiver.key_id(), &context, PLAINTEXT)
            .expect("valid in this test");
        assert_ne!(sealed.enc, again.enc, "{suite:?}");
        assert_ne!(sealed.ct, again.ct, "{suite:?}");

        // Another key of the receiver's, with the same id, does not open it.
        let other =
            SealingKeyPair::generate(suite, node("jiujiang"), Some(receiver.key_id().clone()))
                .expect("valid in this test");
        assert_eq!(
            other
                .open(&sealed, &context)
                .expect_err("must be refused")
                .code(),
            "seal.open_failed"
        );
    }
}

#[test]
fn a_box_opens_only_under_its_own_context() {
    for suite in SealingSuite::ALL {
        let receiver = key_pair(suite);
        let names = names();
        let sealed = sealed_body(&receiver);
        let wuhan = node("wuhan");
        let other_id = MessageId::parse("01JD0000000000000000000002").expect("valid in this test");
        let attempts = [
            (
                "another sender claims it",
                SealContext {
                    from: &wuhan,
                    ..names.context("body")
                },
            ),
            (
                "re-addressed",
                SealContext {
                    to: &wuhan,
                    ..names.context("body")
                },
            ),
            (
                "lifted into another message",
                SealContext {
                    id: &other_id,
                    ..names.context("body")
                },
            ),
            ("moved to another part", names.context("file")),
        ];
        for (what, context) in attempts {
            assert_eq!(
                receiver
                    .open(&sealed, &context)
                    .expect_err("must be refused")
                    .code(),
                "seal.open_failed",
                "{suite:?}: {what}"
            );
        }
    }
}

#[test]
fn altered_and_malformed_boxes_are_refused_with_their_codes() {
    for suite in SealingSuite::ALL {
        let receiver = key_pair(suite);
        let names = names();
        let context = names.context("body");
        let sealed = sealed_body(&receiver);
        let refused = |edit: &dyn Fn(&mut SealedBox)| {
            let mut edited = sealed.clone();
            edit(&mut edited);
            receiver
                .open(&edited, &context)
                .expect_err("must be refused")
                .code()
        };
        let flip = |text: &str, at: usize| {
            let mut bytes = from_base64url(text).expect("valid in this test");
            bytes[at] ^= 1;
            crate::crypto::base64url(&bytes)
        };
        assert_eq!(refused(&|b| b.ct = flip(&b.ct, 0)), "seal.open_failed");
        assert_eq!(
            refused(&|b| b.ct = flip(&b.ct, PLAINTEXT.len() + 3)),
            "seal.open_failed"
        );
        assert_eq!(refused(&|b| b.enc = flip(&b.enc, 1)), "seal.open_failed");
        assert_eq!(refused(&|b| b.ct = "AAAA".into()), "seal.malformed");
        assert_eq!(
            refused(&|b| b.ct = "not base64url!".into()),
            "seal.malformed"
        );
        assert_eq!(
            refused(&|b| b.enc = b.enc[..b.enc.len() - 4].into()),
            "seal.malformed"
        );
        assert_eq!(
            refused(&|b| b.kid = KeyId::parse("jiujiang#other").expect("valid in this test")),
            "seal.unknown_key"
        );
        assert_eq!(
            refused(&|b| b.alg = "rsa-oaep".into()),
            "seal.unsupported_suite"
        );
        let other_suite = SealingSuite::ALL
            .into_iter()
            .find(|s| *s != suite)
            .expect("valid in this test");
        assert_eq!(
            refused(&|b| b.alg = other_suite.as_str().into()),
            "seal.wrong_suite"
        );
    }
    // An SM2 C1 written compressed is refused by its form, before any arithmetic.
    let receiver = key_pair(SealingSuite::Sm2Sm4Gcm);
    let names = names();
    let context = names.context("body");
    let mut sealed = receiver
        .public_key()
        .seal(receiver.key_id(), &context, PLAINTEXT)
        .expect("valid in this test");
    let mut enc = from_base64url(&sealed.enc).expect("valid in this test");
    enc[0] = 0x02;
    sealed.enc = crate::crypto::base64url(&enc);
    assert!(matches!(
        receiver.open(&sealed, &context),
        Err(SealError::Malformed { member, .. }) if member == "enc"
    ));
}

#[test]
fn sealing_with_a_given_ephemeral_secret_is_reproducible_and_checked() {
    for suite in SealingSuite::ALL {
        let receiver = key_pair(suite);
        let names = names();
        let context = names.context("body");
        let ephemeral: Vec<u8> = (1..=suite.ephemeral_length() as u8).collect();
        let seal = |ephemeral: &[u8]| {
            receiver.public_key().seal_with_ephemeral(
                receiver.key_id(),
                &context,
                PLAINTEXT,
                ephemeral,
            )
        };
        let first = seal(&ephemeral).expect("valid in this test");
        assert_eq!(
            first,
            seal(&ephemeral).expect("valid in this test"),
            "{suite:?}"
        );
        assert_eq!(
            receiver
                .open(&first, &context)
                .expect("valid in this test")
                .as_slice(),
            PLAINTEXT
        );
        for wrong in [
            &ephemeral[1..],
            &[ephemeral.as_slice(), &[7]].concat()[..],
            &[],
        ] {
            assert_eq!(
                seal(wrong).expect_err("must be refused").code(),
                "seal.ephemeral",
                "{suite:?}"
            );
        }
    }
    // SM2's k (the last 32 bytes) must be below n.
    let receiver = key_pair(SealingSuite::Sm2Sm4Gcm);
    let names = names();
    let mut ephemeral = vec![1u8; 60];
    ephemeral[28..].fill(0xff);
    assert_eq!(
        receiver
            .public_key()
            .seal_with_ephemeral(
                receiver.key_id(),
                &names.context("body"),
                PLAINTEXT,
                &ephemeral
            )
            .expect_err("must be refused")
            .code(),
        "seal.ephemeral"
    );
}

#[test]
fn the_context_is_canonical_json_of_its_members() {
    let names = names();
    let kid = KeyId::parse("jiujiang#seal-2026").expect("valid in this test");
    assert_eq!(
        String::from_utf8(names.context("body").bytes(SealingSuite::Sm2Sm4Gcm, &kid))
            .expect("valid in this test"),
        r#"{"alg":"sm2-sm4-gcm","from":"huangshi","id":"01JD0000000000000000000001","kid":"jiujiang#seal-2026","part":"body","to":"jiujiang","v":"tongban-seal/1"}"#
    );
}

#[test]
fn key_files_round_trip_and_refuse_what_does_not_match() {
    for suite in SealingSuite::ALL {
        let pair = key_pair(suite);
        assert!(pair.key_id().as_str().starts_with("jiujiang#"));
        let file = pair.to_file();
        assert_eq!(file.entry.algorithm, suite.as_str());
        let loaded = SealingKeyPair::from_file(&file).expect("valid in this test");
        assert_eq!(loaded.public_key(), pair.public_key());
        assert!(
            !format!("{loaded:?}").contains(&file.secret_key),
            "Debug hides the secret"
        );

        let mut mismatched = file.clone();
        mismatched.entry.public_key =
            crate::crypto::base64url(key_pair(suite).public_key().as_bytes());
        assert_eq!(
            SealingKeyPair::from_file(&mismatched)
                .expect_err("must be refused")
                .code(),
            "key.malformed"
        );
        let mut signing = file.clone();
        signing.entry.algorithm = "ed25519".into();
        assert_eq!(
            SealingKeyPair::from_file(&signing)
                .expect_err("must be refused")
                .code(),
            "key.malformed"
        );
    }
}

#[test]
fn every_suite_is_listed_and_read_back_by_its_name() {
    assert_eq!(SealingSuite::ALL.as_slice(), SealingSuite::VARIANTS);
    for suite in SealingSuite::ALL {
        assert_eq!(SealingSuite::from_name(suite.as_str()), Ok(suite));
    }
    assert_eq!(
        SealingSuite::from_name("HPKE-X25519-SHA256-AES128GCM")
            .expect_err("must be refused")
            .code(),
        "seal.unsupported_suite"
    );
}
