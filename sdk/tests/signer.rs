//! A key that never enters the process signs through [`DocumentSigner`]: here a "security
//! module" thread owns the secret and answers signing requests over a channel, as a
//! hardware security module or a signing service would over its own interface.

use std::sync::mpsc::{channel, Sender};
use tongban::error::KeyError;
use tongban::sample::{self, HUANGSHI};
use tongban::*;

/// What the module does with a signing request.
#[derive(Clone, Copy)]
enum Module {
    /// Signs as the suite says.
    Honest,
    /// Answers an SM2 signature in DER, as many SM2 modules do by default.
    Der,
}

/// A signing request: the bytes, and where the module answers.
type Request = (Vec<u8>, Sender<Result<Vec<u8>, KeyError>>);

/// The process's side of the module: the key's names and a channel, no secret.
struct ModuleKey {
    key_id: KeyId,
    owner: NodeId,
    algorithm: Algorithm,
    requests: Sender<Request>,
}

impl ModuleKey {
    /// Starts a module holding `secret` (moved into its thread).
    fn start(secret: KeyPair, behaviour: Module) -> ModuleKey {
        let (key_id, owner, algorithm) = (
            secret.key_id().clone(),
            secret.owner().clone(),
            secret.algorithm(),
        );
        let (requests, inbox) = channel::<Request>();
        std::thread::spawn(move || {
            for (input, reply) in inbox {
                let signed = secret.sign_bytes(&input).map(|raw| match behaviour {
                    Module::Honest => raw,
                    Module::Der => der(&raw),
                });
                let _ = reply.send(signed);
            }
        });
        ModuleKey {
            key_id,
            owner,
            algorithm,
            requests,
        }
    }
}

impl DocumentSigner for ModuleKey {
    fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    fn owner(&self) -> &NodeId {
        &self.owner
    }

    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let (reply, answer) = channel();
        let gone = || KeyError::Malformed {
            reason: "the security module does not answer".into(),
        };
        self.requests
            .send((message.to_vec(), reply))
            .map_err(|_| gone())?;
        answer.recv().map_err(|_| gone())?
    }
}

/// SEQUENCE { INTEGER r, INTEGER s } of an `r‖s` signature.
fn der(signature: &[u8]) -> Vec<u8> {
    let integer = |bytes: &[u8]| {
        let mut value: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
        if value.first().is_some_and(|b| b & 0x80 != 0) {
            value.insert(0, 0);
        }
        [vec![0x02, value.len() as u8], value].concat()
    };
    let body = [integer(&signature[..32]), integer(&signature[32..])].concat();
    [vec![0x30, body.len() as u8], body].concat()
}

fn transfer() -> Envelope {
    let mut message = sample::signed_transfer().expect("transfer");
    message.signatures.clear();
    message
}

fn verifies(bytes: &[u8], key: &KeyPair) -> Result<(), &'static str> {
    let mut keys = KeySet::new();
    keys.insert(key.trusted_key());
    let now = Timestamp::parse(sample::CREATED).expect("time");
    Verifier::new(&keys)
        .any_receiver()
        .verify(Unverified::parse(bytes).map_err(|e| e.code())?, &now)
        .map(|_| ())
        .map_err(|e| e.code())
}

#[test]
fn a_key_held_outside_the_process_signs_in_either_suite() {
    for key in [sample::key(HUANGSHI), sample::sm2_key(HUANGSHI)] {
        let key = key.expect("key");
        let public = KeyPair::from_file(&key.to_file()).expect("copy");
        let module = ModuleKey::start(key, Module::Honest);
        let bytes = transfer().sign_to_bytes(&module).expect("signed");
        assert_eq!(verifies(&bytes, &public), Ok(()), "{}", public.algorithm());
        // The same key in memory signs the same bytes (both suites sign deterministically).
        assert_eq!(transfer().sign_to_bytes(&public).expect("signed"), bytes);
    }
}

#[test]
fn a_module_that_answers_der_signs_nothing() {
    let key = sample::sm2_key(HUANGSHI).expect("key");
    let module = ModuleKey::start(key, Module::Der);
    let mut message = transfer();
    let error = message.sign(&module).expect_err("DER is not r‖s");
    assert_eq!(error.code(), "key.malformed");
    assert!(error.to_string().contains("exactly 64"), "{error}");
    assert!(message.signatures.is_empty());
}
