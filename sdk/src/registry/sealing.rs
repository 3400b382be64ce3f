//! (1.1) Sealing keys in the registry (§24.2): which key of the receiver a sender seals
//! to, and whether a receiver opens a box sealed to one of its keys.

use super::{Agreement, MemberKey, Registry};
use crate::crypto::Algorithm;
use crate::error::{Error, RegistryError, RouteError, SealError};
use crate::id::{KeyId, NodeId};
use crate::message::Envelope;
use crate::seal::{SealedBox, SealingPublicKey, SealingSuite, SEAL_GRACE_SECONDS};
use crate::time::Timestamp;
use crate::version::ProtocolVersion;

impl Registry {
    /// The sealing suite of `agreement`: HPKE for `ed25519` agreements, SM2 and SM4-GCM
    /// for `sm2-sm3` ones.
    pub fn sealing_suite_of(agreement: &Agreement) -> Result<SealingSuite, Error> {
        let algorithm = Algorithm::try_from(Registry::suite_of(agreement))?;
        Ok(SealingSuite::for_signatures(algorithm))
    }

    /// The key a sender seals to `receiver` with, in `suite`, for a message created at
    /// `created`: of the receiver's sealing keys of that suite whose window holds
    /// `created` and that were not revoked by then, the one whose `valid_from` is latest
    /// (the first listed of those). `seal.no_key` when there is none.
    pub fn sealing_key(
        &self,
        receiver: &NodeId,
        suite: SealingSuite,
        created: &Timestamp,
    ) -> Result<(KeyId, SealingPublicKey), Error> {
        let key = self
            .current_sealing_key(receiver, suite, created)?
            .ok_or_else(|| SealError::NoKey {
                receiver: receiver.to_string(),
                suite: suite.as_str().to_string(),
                at: created.to_string(),
            })?;
        Self::decoded(suite, key)
    }

    /// The registry's entry of the key [`Registry::sealing_key`] chooses, `None` when
    /// there is none: its choice, without decoding the key.
    fn current_sealing_key(
        &self,
        receiver: &NodeId,
        suite: SealingSuite,
        created: &Timestamp,
    ) -> Result<Option<&MemberKey>, Error> {
        let usable = |key: &&MemberKey| {
            key.algorithm == suite.as_str()
                && key.valid_from <= *created
                && *created <= key.valid_until
                && key.revoked.as_ref().is_none_or(|revoked| revoked > created)
        };
        let mut chosen: Option<&MemberKey> = None;
        for key in self.sealing_keys_of(receiver)?.iter().filter(usable) {
            if chosen.is_none_or(|best| key.valid_from > best.valid_from) {
                chosen = Some(key);
            }
        }
        Ok(chosen)
    }

    /// A registry entry's key id and decoded key.
    fn decoded(suite: SealingSuite, key: &MemberKey) -> Result<(KeyId, SealingPublicKey), Error> {
        let public = SealingPublicKey::from_base64url(suite, &key.public_key)?;
        Ok((key.key_id.clone(), public))
    }

    /// Whether `receiver` opens `sealed`, a box of a message created at `created` under
    /// an agreement of `suite`, at `now`. Checked in this order: the box's suite is known
    /// (`seal.unsupported_suite`) and is `suite` (`seal.wrong_suite`); it names one of
    /// the receiver's sealing keys (`seal.unknown_key`) of that suite
    /// (`seal.wrong_suite`); the key is not revoked by `now` (`seal.key_revoked`);
    /// `created` is within its window (`seal.key_outside_validity`); and `now` is at most
    /// [`SEAL_GRACE_SECONDS`] and the clock-skew allowance (300 s) after its
    /// `valid_until` (`seal.key_retired`).
    pub fn check_sealed_to(
        &self,
        receiver: &NodeId,
        sealed: &SealedBox,
        suite: SealingSuite,
        created: &Timestamp,
        now: &Timestamp,
    ) -> Result<(), Error> {
        let named = SealingSuite::from_name(&sealed.alg)?;
        let wrong_suite = |expected: &str| SealError::WrongSuite {
            suite: sealed.alg.clone(),
            expected: expected.to_string(),
        };
        if named != suite {
            return Err(wrong_suite(suite.as_str()).into());
        }
        let key = self
            .sealing_keys_of(receiver)?
            .iter()
            .find(|key| key.key_id == sealed.kid)
            .ok_or_else(|| SealError::UnknownKey {
                key_id: sealed.kid.to_string(),
            })?;
        if key.algorithm != sealed.alg {
            return Err(wrong_suite(&key.algorithm).into());
        }
        if let Some(revoked) = key.revoked.as_ref().filter(|revoked| *revoked <= now) {
            return Err(SealError::KeyRevoked {
                key_id: key.key_id.to_string(),
                revoked: revoked.to_string(),
            }
            .into());
        }
        if created < &key.valid_from || created > &key.valid_until {
            return Err(SealError::KeyOutsideValidity {
                key_id: key.key_id.to_string(),
                at: created.to_string(),
                valid_from: key.valid_from.to_string(),
                valid_until: key.valid_until.to_string(),
            }
            .into());
        }
        // In nanoseconds, as every time of the protocol is compared.
        let grace = i128::from(SEAL_GRACE_SECONDS + self.rules().clock_skew_seconds);
        if now.unix_nanos() > key.valid_until.unix_nanos() + grace * 1_000_000_000 {
            return Err(SealError::KeyRetired {
                key_id: key.key_id.to_string(),
                valid_until: key.valid_until.to_string(),
                now: now.to_string(),
            }
            .into());
        }
        Ok(())
    }

    /// (1.1) The key the body of `envelope` must be sealed to (§24.5): `None` for a
    /// message of 1.0, of a type never sealed, or to a receiver that lists no sealing
    /// key of the agreement's suite for its `created`.
    pub fn body_sealing_key(
        &self,
        envelope: &Envelope,
    ) -> Result<Option<(KeyId, SealingPublicKey)>, Error> {
        self.sealing_entry_at(envelope, envelope.protocol)?
            .map(|(suite, key)| Self::decoded(suite, key))
            .transpose()
    }

    /// The agreement's sealing suite and the entry of the key the body of `envelope`,
    /// written in version `protocol`, must be sealed to (§24.5); `None` when it need
    /// not be.
    fn sealing_entry_at(
        &self,
        envelope: &Envelope,
        protocol: ProtocolVersion,
    ) -> Result<Option<(SealingSuite, &MemberKey)>, Error> {
        if protocol < ProtocolVersion::V1_1 || !envelope.message_type().is_sealable() {
            return Ok(None);
        }
        let suite = self.sealing_suite_for(envelope)?;
        let key = self.current_sealing_key(&envelope.to, suite, &envelope.created)?;
        Ok(key.map(|key| (suite, key)))
    }

    /// The sealing suite of `envelope`'s agreement (`agreement.unknown` without one).
    pub(super) fn sealing_suite_for(&self, envelope: &Envelope) -> Result<SealingSuite, Error> {
        let agreement =
            self.agreement(&envelope.agreement)
                .ok_or_else(|| RouteError::UnknownAgreement {
                    agreement: envelope.agreement.to_string(),
                })?;
        Registry::sealing_suite_of(agreement)
    }

    /// (1.1) Seals the body of `envelope`, not yet signed, when §24.5 asks it: to the
    /// key [`Registry::body_sealing_key`] gives. Whether it sealed it. A body that must
    /// be sealed and cannot be, in a message that says 1.0 between members that both
    /// speak 1.1, is `seal.required`: write the negotiated version
    /// ([`Registry::negotiate`]). The caller must have sealed its files first, under
    /// the key [`Registry::body_sealing_key`] gives ([`Envelope::file_sealer`], §24.6),
    /// or it is `message.invalid`; files sealed for a body that stays in clear are
    /// refused too (`message.invalid`), before anything is signed.
    pub fn seal_body(&self, envelope: &mut Envelope) -> Result<bool, Error> {
        if envelope.body.sealed().is_some() {
            return Ok(false);
        }
        match self.body_sealing_key(envelope)? {
            Some((kid, key)) => {
                envelope.seal_body(&kid, &key)?;
                Ok(true)
            }
            None if crate::file::references(&envelope.body)
                .iter()
                .any(|reference| reference.sealed.is_some()) =>
            {
                // Files sealed for a body that stays in clear: their keys would travel
                // in clear (§24.6).
                Err(crate::message::decode_error::invalid(
                    "/body/…/sealed: the body is not sealed to this receiver, so its files are not either",
                ))
            }
            None => self.check_sealed_if_required(envelope).map(|()| false),
        }
    }

    /// (1.1) Refuses a body in clear that §24.5 asks to be sealed (`seal.required`): of
    /// a type that is sealed, between members that both list 1.1 or later in
    /// `protocols` (whatever version the message says, so that writing 1.0 does not
    /// avoid it), to a receiver that lists a sealing key for it.
    pub(super) fn check_sealed_if_required(&self, envelope: &Envelope) -> Result<(), Error> {
        let negotiated = self.negotiate(&envelope.from, &envelope.to);
        if envelope.body.sealed().is_some()
            || negotiated.is_none_or(|version| version < ProtocolVersion::V1_1)
        {
            return Ok(());
        }
        match self.sealing_entry_at(envelope, ProtocolVersion::V1_1)? {
            Some((_, key)) => Err(SealError::Required {
                message_type: envelope.message_type().to_string(),
                protocol: envelope.protocol.to_string(),
                receiver: envelope.to.to_string(),
                key_id: key.key_id.to_string(),
            }
            .into()),
            None => Ok(()),
        }
    }

    /// (1.1) The sealing keys `node` lists (none when it lists none), revoked and
    /// retired ones included; `registry.unknown_member` for a node the registry does not
    /// know.
    pub fn sealing_keys_of(&self, node: &NodeId) -> Result<&[MemberKey], Error> {
        let member = self
            .member(node)
            .ok_or_else(|| RegistryError::UnknownMember {
                field: "/to".to_string(),
                node: node.to_string(),
            })?;
        Ok(member.sealing_keys.as_deref().unwrap_or_default())
    }
}
