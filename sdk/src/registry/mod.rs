//! The trust registry: who the members are, which keys they sign with, which agreements
//! bind them and what each agreement's catalogue allows.
//!
//! A [`Registry`] value exists only after its operator signatures were checked.
//! [`Registry::bootstrap`] accepts a first registry signed by a threshold of its own
//! operator keys (trust on first use of a pinned file); [`Registry::update`] accepts a
//! successor the way TUF rotates its root: signed by a threshold of the **trusted**
//! operator keys and by a threshold of its **own**, with a strictly greater version,
//! and not expired. Each refusal has its own code.
//!
//! A registry is a [`KeyResolver`]: with it, [`crate::Verifier`] also checks key
//! validity and revocation, membership, agreements, catalogues, handling modes, form
//! data and required materials.

/// How long after an agreement's `valid_until` the messages of its open cases (every
/// type but `transfer`) are still accepted, so that cases opened while it was in force
/// can finish: 180 days.
pub const AGREEMENT_WIND_DOWN_SECONDS: i64 = 180 * 24 * 3600;

mod diff;
mod document;
mod forms;
mod sealing;
mod themes;

pub use diff::{diff, RegistryDiff};
pub use document::{
    Agreement, AgreementKind, CatalogueItem, Member, MemberKey, Operator, OperatorKey, Parties,
    RegistryDocument, Role, Theme, MAX_TIME_LIMIT_WORKING_DAYS,
};
#[cfg(feature = "forms")]
pub use forms::offline_validator;
use forms::{check_form_schema, FormSlot};
pub use forms::{check_portable_pattern, FORM_SCHEMA_DIALECT};

use crate::calendar::WorkingCalendar;
use crate::crypto::{Algorithm, KeyResolver, PublicKey, TrustedKey};
use crate::digest::Sha256Digest;
use crate::error::{Error, KeyError, RegistryError, RouteError, SignatureError};
use crate::id::{AgreementId, ItemCode, KeyId, NodeId};
use crate::json::Limits;
use crate::message::{Body, Envelope, MessageType};
use crate::seal::{SealingPublicKey, SealingSuite};
use crate::signing::{check_numbers, signing_input_from};
use crate::time::Timestamp;
use crate::version::ProtocolVersion;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Limits for registry documents, which are larger than messages: 16 MiB and 64 levels
/// (form schemas nest).
pub const REGISTRY_LIMITS: Limits = Limits {
    max_bytes: 16 * 1024 * 1024,
    max_depth: 64,
};

/// A trust registry whose operator signatures were verified, indexed for lookups. Each
/// item's form schema is compiled once, when it is first used ([`Registry::check_form`]),
/// so that a registry of the alliance's size loads in milliseconds;
/// [`Registry::compile_forms`] compiles them all, as a node does when it installs one.
#[derive(Debug)]
pub struct Registry {
    document: RegistryDocument,
    digest: Sha256Digest,
    members: BTreeMap<NodeId, usize>,
    tls_keys: BTreeMap<Sha256Digest, usize>,
    keys: BTreeMap<KeyId, MemberKeySlot>,
    agreements: BTreeMap<AgreementId, usize>,
    forms: BTreeMap<(AgreementId, ItemCode), FormSlot>,
}

/// A member key in the index: where it is in the document, its algorithm, and its
/// public key, decoded and checked (on the curve, canonical, not of small or mixed order)
/// once: when the registry loads, or, for a registry reloaded from storage, when the key
/// is first used ([`KeyChecks`]).
#[derive(Debug)]
struct MemberKeySlot {
    member: usize,
    key: usize,
    algorithm: Algorithm,
    public: OnceLock<Result<PublicKey, KeyError>>,
}

impl MemberKeySlot {
    /// The checked public key of `encoded` (this slot's key), checked the first time.
    fn public(&self, encoded: &str) -> Result<&PublicKey, KeyError> {
        self.public
            .get_or_init(|| PublicKey::from_base64url(self.algorithm, encoded))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// When the member keys of a registry being loaded are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyChecks {
    /// Every key as the registry loads: a registry accepted for the first time or as an
    /// update.
    AtLoad,
    /// Each key when it is first used: a registry reloaded from storage, whose keys were
    /// checked when it was accepted (§16). Loading one of the alliance's size is then
    /// not dominated by 295 curve checks.
    OnFirstUse,
}

/// Whether `endpoint` may be a member's endpoint: an `https://` URL, or an `http://`
/// URL on a loopback host (`127.0.0.1`, `[::1]`, `localhost`) for nodes that run on
/// one machine, as in tests and demonstrations.
pub fn endpoint_allowed(endpoint: &str) -> bool {
    if let Some(rest) = endpoint.strip_prefix("https://") {
        return !rest.is_empty();
    }
    let Some(rest) = endpoint.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    let (host, port) = match authority.strip_prefix("[::1]") {
        Some(port) => ("[::1]", port),
        None => match authority.split_once(':') {
            Some((host, port)) => (host, authority.get(host.len()..).unwrap_or(port)),
            None => (authority, ""),
        },
    };
    let port_ok = port.is_empty()
        || port.len() > 1 && port.starts_with(':') && port[1..].bytes().all(|b| b.is_ascii_digit());
    let octets: Vec<&str> = host.split('.').collect();
    let loopback_v4 = octets.len() == 4
        && octets[0] == "127"
        && octets
            .iter()
            .all(|o| !o.is_empty() && o.len() <= 3 && o.bytes().all(|b| b.is_ascii_digit()));
    port_ok && (host == "localhost" || host == "[::1]" || loopback_v4)
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
    RegistryError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
    .into()
}

impl Registry {
    /// Accepts a first registry: signed by a threshold of its own operator keys and not
    /// expired at `now`. Use it for the registry file an operator hands over in person;
    /// every later registry goes through [`Registry::update`].
    pub fn bootstrap(bytes: &[u8], now: &Timestamp) -> Result<Registry, Error> {
        let (unsigned, registry) = Registry::load(bytes, KeyChecks::AtLoad)?;
        registry.check_threshold(&unsigned, &registry.document.operator, "own")?;
        registry.check_not_expired(now)?;
        Ok(registry)
    }

    /// Accepts `bytes` as the successor of this registry: signed by a threshold of this
    /// registry's operator keys and of its own, with a strictly greater version, and not
    /// expired at `now`.
    pub fn update(&self, bytes: &[u8], now: &Timestamp) -> Result<Registry, Error> {
        let (unsigned, next) = Registry::load(bytes, KeyChecks::AtLoad)?;
        next.check_threshold(&unsigned, &self.document.operator, "trusted")?;
        next.check_threshold(&unsigned, &next.document.operator, "own")?;
        if next.document.version <= self.document.version {
            return Err(RegistryError::Rollback {
                current: self.document.version,
                offered: next.document.version,
            }
            .into());
        }
        next.check_not_expired(now)?;
        Ok(next)
    }

    /// Accepts a registry this node trusted before and stored: signed by a threshold of
    /// its own operator keys, but possibly expired. As in TUF, an expired trusted
    /// registry still authorizes its successor through [`Registry::update`]; it verifies
    /// no message (`registry.expired`). Its member keys were checked when it was
    /// accepted, so each is checked again when it is first used, not as it loads.
    pub fn load_trusted(bytes: &[u8]) -> Result<Registry, Error> {
        let (unsigned, registry) = Registry::load(bytes, KeyChecks::OnFirstUse)?;
        registry.check_threshold(&unsigned, &registry.document.operator, "own")?;
        Ok(registry)
    }

    /// Parses and indexes a registry without checking its signatures; returns the bytes
    /// its signatures cover (the canonical registry without `signatures`) with it.
    fn load(bytes: &[u8], key_checks: KeyChecks) -> Result<(Vec<u8>, Registry), Error> {
        let raw = crate::json::parse_with_limits(bytes, REGISTRY_LIMITS)?;
        check_numbers(&raw).map_err(|e| match e {
            crate::error::MessageError::UnsafeNumber { path } => {
                invalid(path, "numbers must be integers within ±(2^53−1)")
            }
            other => other.into(),
        })?;
        let document: RegistryDocument = crate::shape::from_value_tracked(&raw).map_err(|e| {
            invalid(
                crate::message::decode_error::serde_pointer(e.path()),
                e.inner().to_string(),
            )
        })?;
        // One canonical writing gives the digest's bytes and, without the `signatures`
        // member, the bytes the signatures cover.
        let (canonical, [signatures]) =
            crate::canonical::to_canonical_bytes_locating(&raw, ["signatures"], bytes.len());
        let digest = Sha256Digest::of(canonical.as_bytes());
        let mut unsigned = canonical.into_bytes();
        if let Some(span) = signatures {
            unsigned.drain(span.member);
        }
        Ok((unsigned, Registry::index(document, digest, key_checks)?))
    }

    /// Checks the document's consistency and builds the lookup tables.
    fn index(
        document: RegistryDocument,
        digest: Sha256Digest,
        key_checks: KeyChecks,
    ) -> Result<Registry, Error> {
        document.protocol.major_version()?;
        if document.expires <= document.issued {
            return Err(invalid("/expires", "must be after issued"));
        }
        let operator = &document.operator;
        if operator.threshold == 0 || operator.threshold as usize > operator.keys.len() {
            return Err(invalid(
                "/operator/threshold",
                format!(
                    "must be 1 to {} (the number of operator keys)",
                    operator.keys.len()
                ),
            ));
        }
        let mut operator_ids = BTreeSet::new();
        let mut operator_public_keys = BTreeSet::new();
        for (i, key) in operator.keys.iter().enumerate() {
            if !operator_ids.insert(&key.key_id) {
                return Err(invalid(format!("/operator/keys/{i}/kid"), "listed twice"));
            }
            if Algorithm::try_from(key.algorithm.as_str()).is_err() {
                continue; // another suite's key: ignored, never counted (§15)
            }
            public_key(&key.algorithm, &key.public_key)?;
            if !operator_public_keys.insert(&key.public_key) {
                return Err(invalid(
                    format!("/operator/keys/{i}/public_key"),
                    "the same key under two ids would count twice towards the threshold",
                ));
            }
        }
        let mut signature_ids = BTreeSet::new();
        for (i, entry) in document.signatures.iter().enumerate() {
            if !signature_ids.insert(&entry.key_id) {
                return Err(invalid(
                    format!("/signatures/{i}/kid"),
                    "two signatures by one key",
                ));
            }
        }
        check_calendar(&document.calendar)?;
        let mut members = BTreeMap::new();
        let mut tls_keys = BTreeMap::new();
        let mut keys = BTreeMap::new();
        let mut member_key_ids = BTreeSet::new();
        for (m, member) in document.members.iter().enumerate() {
            let at = |field: &str| format!("/members/{m}/{field}");
            if members.insert(member.node.clone(), m).is_some() {
                return Err(invalid(
                    at("node"),
                    format!("{} is listed twice", member.node),
                ));
            }
            if !endpoint_allowed(&member.endpoint) {
                return Err(invalid(
                    at("endpoint"),
                    "must be an https:// URL (http:// only on a loopback host)",
                ));
            }
            if member.protocols.is_empty() {
                return Err(invalid(at("protocols"), "must name at least one version"));
            }
            if member.tls_keys.as_ref().is_some_and(Vec::is_empty) {
                return Err(invalid(at("tls_keys"), "must name at least one key"));
            }
            for (t, pin) in member.tls_keys.iter().flatten().enumerate() {
                if tls_keys.insert(pin.clone(), m).is_some() {
                    return Err(invalid(
                        at(&format!("tls_keys/{t}")),
                        "is listed twice: a TLS key names one member",
                    ));
                }
            }
            for (k, key) in member.keys.iter().enumerate() {
                if key.valid_until <= key.valid_from {
                    return Err(invalid(
                        at(&format!("keys/{k}/valid_until")),
                        "must be after valid_from",
                    ));
                }
                if !member_key_ids.insert(&key.key_id) || operator_ids.contains(&&key.key_id) {
                    return Err(invalid(
                        at(&format!("keys/{k}/kid")),
                        "key id is used twice",
                    ));
                }
                let Ok(algorithm) = Algorithm::try_from(key.algorithm.as_str()) else {
                    continue; // another suite's key: ignored, never trusted (§15)
                };
                let slot = MemberKeySlot {
                    member: m,
                    key: k,
                    algorithm,
                    public: OnceLock::new(),
                };
                if key_checks == KeyChecks::AtLoad {
                    slot.public(&key.public_key)?;
                }
                keys.insert(key.key_id.clone(), slot);
            }
            if member.sealing_keys.as_ref().is_some_and(Vec::is_empty) {
                return Err(invalid(at("sealing_keys"), "must name at least one key"));
            }
            for (k, key) in member.sealing_keys.iter().flatten().enumerate() {
                if key.valid_until <= key.valid_from {
                    return Err(invalid(
                        at(&format!("sealing_keys/{k}/valid_until")),
                        "must be after valid_from",
                    ));
                }
                if !member_key_ids.insert(&key.key_id) || operator_ids.contains(&&key.key_id) {
                    return Err(invalid(
                        at(&format!("sealing_keys/{k}/kid")),
                        "key id is used twice",
                    ));
                }
                // A key signs or seals, never both (§24.2). A member has a key or two: a
                // scan, not a set (a set of strings costs the WASM core 2 KB).
                if member
                    .keys
                    .iter()
                    .any(|signing| signing.public_key == key.public_key)
                {
                    return Err(invalid(
                        at(&format!("sealing_keys/{k}/public_key")),
                        "is one of the member's signing keys: a key signs or seals, never both",
                    ));
                }
                let Ok(suite) = SealingSuite::from_name(&key.algorithm) else {
                    continue; // another suite's key: ignored, never sealed to (§24.2)
                };
                if key_checks == KeyChecks::AtLoad {
                    SealingPublicKey::from_base64url(suite, &key.public_key)?;
                }
            }
        }
        let mut agreements = BTreeMap::new();
        let mut forms = BTreeMap::new();
        for (a, agreement) in document.agreements.iter().enumerate() {
            let at = |field: &str| format!("/agreements/{a}/{field}");
            if agreements.insert(agreement.id.clone(), a).is_some() {
                return Err(invalid(
                    at("id"),
                    format!("{} is listed twice", agreement.id),
                ));
            }
            if agreement.valid_until <= agreement.valid_from {
                return Err(invalid(at("valid_until"), "must be after valid_from"));
            }
            if agreement.parties.members.is_empty() && agreement.parties.regions.is_empty() {
                return Err(invalid(at("parties"), "names no region and no member"));
            }
            for (p, node) in agreement.parties.members.iter().enumerate() {
                if !members.contains_key(node) {
                    return Err(invalid(
                        at(&format!("parties/members/{p}")),
                        format!("{node} is not a member"),
                    ));
                }
            }
            for (i, item) in agreement.items.iter().enumerate() {
                if item.modes.is_empty() {
                    return Err(invalid(
                        at(&format!("items/{i}/modes")),
                        "must allow at least one mode",
                    ));
                }
                let limits = [
                    (
                        "time_limit_working_days",
                        Some(item.time_limit_working_days),
                    ),
                    (
                        "rectification_working_days",
                        item.rectification_working_days,
                    ),
                ];
                for (member, days) in limits {
                    if days.is_some_and(|days| days > MAX_TIME_LIMIT_WORKING_DAYS) {
                        return Err(invalid(
                            at(&format!("items/{i}/{member}")),
                            format!("must be at most {MAX_TIME_LIMIT_WORKING_DAYS}"),
                        ));
                    }
                }
                if item
                    .committed_working_days
                    .is_some_and(|days| days > item.time_limit_working_days)
                {
                    return Err(invalid(
                        at(&format!("items/{i}/committed_working_days")),
                        "must be at most time_limit_working_days",
                    ));
                }
                let optional = [
                    ("deferrable_materials", &item.deferrable_materials),
                    ("commitment_materials", &item.commitment_materials),
                ];
                for (member, names) in optional {
                    if let Some(j) = names
                        .iter()
                        .position(|name| !item.required_materials.contains(name))
                    {
                        return Err(invalid(
                            at(&format!("items/{i}/{member}/{j}")),
                            "not one of the item's required_materials",
                        ));
                    }
                }
                check_form_schema(&item.form_schema)
                    .map_err(|e| invalid(at(&format!("items/{i}/form_schema")), e))?;
                let key = (agreement.id.clone(), item.code.clone());
                if forms.insert(key, FormSlot::new(a, i)).is_some() {
                    return Err(invalid(
                        at(&format!("items/{i}/code")),
                        format!("{} is listed twice", item.code),
                    ));
                }
            }
            themes::check_themes(agreement, a)?;
        }
        Ok(Registry {
            document,
            digest,
            members,
            tls_keys,
            keys,
            agreements,
            forms,
        })
    }

    /// Counts valid signatures by distinct keys of `operator`; refuses below threshold.
    fn check_threshold(
        &self,
        unsigned: &[u8],
        operator: &Operator,
        which: &'static str,
    ) -> Result<(), Error> {
        let mut valid = BTreeSet::new();
        for entry in &self.document.signatures {
            let Some(key) = operator.keys.iter().find(|k| k.key_id == entry.key_id) else {
                continue;
            };
            if key.algorithm != entry.algorithm {
                continue;
            }
            let (Ok(public), Some(signature)) = (
                public_key(&key.algorithm, &key.public_key),
                crate::crypto::from_base64url(&entry.signature),
            ) else {
                continue;
            };
            let input = signing_input_from(unsigned, &entry.algorithm, entry.key_id.as_str());
            if public.verify(&input, &signature) {
                valid.insert(public.as_bytes().to_vec());
            }
        }
        if valid.len() < operator.threshold as usize {
            return Err(RegistryError::Threshold {
                which,
                valid: valid.len(),
                threshold: operator.threshold,
            }
            .into());
        }
        Ok(())
    }

    fn check_not_expired(&self, now: &Timestamp) -> Result<(), Error> {
        if now > &self.document.expires {
            return Err(RegistryError::Expired {
                version: self.document.version,
                expires: self.document.expires.to_string(),
            }
            .into());
        }
        Ok(())
    }

    /// The rules of the registry's protocol version.
    fn rules(&self) -> &'static crate::version::VersionRules {
        self.document
            .protocol
            .major_version()
            .map_or(crate::version::MajorVersion::V1.rules(), |m| m.rules())
    }

    /// The registry document.
    pub fn document(&self) -> &RegistryDocument {
        &self.document
    }

    /// The registry's version.
    pub fn version(&self) -> u64 {
        self.document.version
    }

    /// SHA-256 of the registry's canonical bytes, signatures included.
    pub fn digest(&self) -> &Sha256Digest {
        &self.digest
    }

    /// The working-day calendar.
    pub fn calendar(&self) -> &WorkingCalendar {
        &self.document.calendar
    }

    /// (1.1) The member whose `tls_keys` name `spki_sha256`, the SHA-256 of a TLS
    /// certificate's DER `SubjectPublicKeyInfo` (§21.5).
    pub fn member_of_tls_key(&self, spki_sha256: &Sha256Digest) -> Option<&Member> {
        let index = *self.tls_keys.get(spki_sha256)?;
        self.document.members.get(index)
    }

    /// The member with node id `node`.
    pub fn member(&self, node: &NodeId) -> Option<&Member> {
        self.members.get(node).map(|&i| &self.document.members[i])
    }

    /// The agreement with id `id`.
    pub fn agreement(&self, id: &AgreementId) -> Option<&Agreement> {
        self.agreements
            .get(id)
            .map(|&i| &self.document.agreements[i])
    }

    /// Item `code` of agreement `agreement`'s catalogue.
    pub fn item(&self, agreement: &AgreementId, code: &ItemCode) -> Option<&CatalogueItem> {
        self.agreement(agreement)?
            .items
            .iter()
            .find(|i| &i.code == code)
    }

    /// The signature suite of `agreement`: its `suite`, `ed25519` when absent.
    pub fn suite_of(agreement: &Agreement) -> &str {
        agreement.suite.as_deref().unwrap_or("ed25519")
    }

    /// (1.1) Whether a message of `protocol` under `agreement` gives SM3 digests beside
    /// its SHA-256 ones (§17 step 5): under `sm2-sm3`, from 1.1 on (a 1.0 message has
    /// no member for them).
    pub fn carries_sm3(agreement: &Agreement, protocol: crate::version::ProtocolVersion) -> bool {
        Registry::suite_of(agreement) == crate::crypto::Algorithm::Sm2Sm3.as_str()
            && protocol >= crate::version::ProtocolVersion::V1_1
    }

    /// The sender signed `envelope` in the suite of `agreement` (§17 step 5): one of its
    /// signatures names that suite and a key of the sender (every signature of a suite
    /// this reader implements was checked before). A suite this reader does not
    /// implement has no trusted key, so its agreement's messages are refused. Under
    /// `sm2-sm3`, a message of 1.1 or later gives the SM3 digest of each file it
    /// references and (a receipt) of the message it answers.
    fn check_suite(&self, agreement: &Agreement, envelope: &Envelope) -> Result<(), Error> {
        let suite = Registry::suite_of(agreement);
        let by_sender = |entry: &crate::signing::SignatureEntry| {
            self.keys
                .get(&entry.key_id)
                .is_some_and(|slot| self.document.members[slot.member].node == envelope.from)
        };
        let signed_in_suite = envelope
            .signatures
            .iter()
            .any(|entry| entry.algorithm == suite && by_sender(entry));
        if !signed_in_suite {
            return Err(RouteError::WrongSuite {
                agreement: agreement.id.to_string(),
                suite: suite.to_string(),
            }
            .into());
        }
        if !Registry::carries_sm3(agreement, envelope.protocol) {
            return Ok(());
        }
        let missing = |member: &str| {
            Err(RouteError::MissingSm3 {
                agreement: agreement.id.to_string(),
                member: member.to_string(),
            }
            .into())
        };
        if let Body::Receipt(receipt) = &envelope.body {
            if receipt.answers_sm3.is_none() {
                return missing("answers_sm3");
            }
        }
        match crate::file::references(&envelope.body)
            .into_iter()
            .find(|reference| reference.sm3.is_none())
        {
            Some(reference) => missing(&format!("…/sm3 (the file {})", reference.name)),
            None => Ok(()),
        }
    }

    /// (1.1) Theme `code` of agreement `agreement`'s catalogue (一事联办).
    pub fn theme(&self, agreement: &AgreementId, code: &ItemCode) -> Option<&Theme> {
        self.agreement(agreement)?
            .themes
            .iter()
            .find(|t| &t.code == code)
    }

    /// Whether `node` is a party to `agreement`: named directly, or a member of a listed
    /// region (its own region code, or its province's).
    pub fn is_party(&self, agreement: &Agreement, node: &NodeId) -> bool {
        let Some(member) = self.member(node) else {
            return false;
        };
        agreement.parties.members.contains(node)
            || agreement
                .parties
                .regions
                .iter()
                .any(|r| r == &member.region || r == &member.region.province())
    }

    /// The version a message from `a` to `b` is written in (§20): the highest that both
    /// list in `protocols` and that this SDK writes ([`ProtocolVersion::is_written`]),
    /// if any.
    pub fn negotiate(&self, a: &NodeId, b: &NodeId) -> Option<ProtocolVersion> {
        let (a, b) = (self.member(a)?, self.member(b)?);
        a.protocols
            .iter()
            .filter(|v| b.protocols.contains(v) && v.is_written())
            .max()
            .copied()
    }

    /// Checks a transfer's form data against the form schema of `item` under
    /// `agreement`, as verification does: the first violation is an
    /// `item.form_invalid` error whose field points into `/body/form`. A build without
    /// the `forms` feature cannot check and refuses with `item.form_unchecked`.
    pub fn check_form(
        &self,
        agreement: &AgreementId,
        item: &ItemCode,
        form: &serde_json::Map<String, Value>,
    ) -> Result<(), Error> {
        self.check_form_value(agreement, item, &Value::Object(form.clone()))
    }

    /// [`Registry::check_form`] on the form as a JSON object, which `jsonschema` reads.
    fn check_form_value(
        &self,
        agreement: &AgreementId,
        item: &ItemCode,
        form: &Value,
    ) -> Result<(), Error> {
        let slot = self
            .forms
            .get(&(agreement.clone(), item.clone()))
            .ok_or_else(|| RouteError::UnknownItem {
                item: item.to_string(),
                agreement: agreement.to_string(),
            })?;
        check_form_with(self.compiled(slot)?, item, form)
    }

    /// Compiles every item's form schema not compiled yet; the first that does not
    /// compile is a `registry.invalid` error naming it. A node calls this before it
    /// installs a registry, so that it never trusts one it would refuse transfers under.
    pub fn compile_forms(&self) -> Result<(), Error> {
        self.forms
            .values()
            .try_for_each(|slot| self.compiled(slot).map(|_| ()))
    }

    /// The compiled form schema of a slot, compiled on first use.
    fn compiled<'a>(&'a self, slot: &'a FormSlot) -> Result<&'a forms::FormValidator, Error> {
        let schema = &self.document.agreements[slot.agreement].items[slot.item].form_schema;
        slot.compiled(schema).map_err(|reason| {
            invalid(
                format!(
                    "/agreements/{}/items/{}/form_schema",
                    slot.agreement, slot.item
                ),
                reason,
            )
        })
    }

    /// The route checks for a message whose signatures verified; a transfer's form is
    /// checked as `form` when the caller has made it a JSON value already.
    fn check_route(&self, envelope: &Envelope, form: Option<&Value>) -> Result<(), Error> {
        let agreement =
            self.agreement(&envelope.agreement)
                .ok_or_else(|| RouteError::UnknownAgreement {
                    agreement: envelope.agreement.to_string(),
                })?;
        // New cases stop when the agreement ends; the cases already open may finish
        // during the wind-down that follows (§17 step 2).
        let last = match envelope.message_type() {
            MessageType::Transfer => agreement.valid_until.clone(),
            _ => agreement
                .valid_until
                .plus_seconds(AGREEMENT_WIND_DOWN_SECONDS)
                .unwrap_or_else(|_| agreement.valid_until.clone()),
        };
        if envelope.created < agreement.valid_from || envelope.created > last {
            return Err(RouteError::AgreementInactive {
                agreement: agreement.id.to_string(),
                at: envelope.created.to_string(),
            }
            .into());
        }
        for (field, node) in [("/from", &envelope.from), ("/to", &envelope.to)] {
            if !self.is_party(agreement, node) {
                return Err(RouteError::NotParty {
                    field,
                    node: node.to_string(),
                    agreement: agreement.id.to_string(),
                }
                .into());
            }
        }
        for (field, node) in [("/from", &envelope.from), ("/to", &envelope.to)] {
            let speaks = self.member(node).is_some_and(|m| {
                m.protocols.iter().any(|v| {
                    v.major == envelope.protocol.major && v.minor >= envelope.protocol.minor
                })
            });
            if !speaks {
                return Err(crate::error::VersionError::NotNegotiated {
                    version: envelope.protocol.to_string(),
                    node: format!("{field} {node}"),
                }
                .into());
            }
        }
        self.check_suite(agreement, envelope)?;
        if envelope.message_type() != MessageType::Transfer {
            return Ok(());
        }
        let roles = [
            (
                "/from",
                &envelope.from,
                Role::CompetentAuthority,
                "transfer a case",
            ),
            ("/to", &envelope.to, Role::ServiceWindow, "handle a case"),
        ];
        for (field, node, unfit, action) in roles {
            if self.member(node).is_some_and(|m| m.role == unfit) {
                return Err(RouteError::WrongRole {
                    field,
                    node: node.to_string(),
                    role: if unfit == Role::ServiceWindow {
                        "service window"
                    } else {
                        "competent authority"
                    },
                    action,
                }
                .into());
            }
        }
        // (1.1) The rest of step 6 reads the body inside a sealed transfer, once opened.
        let Body::Transfer(transfer) = &envelope.body else {
            return Ok(());
        };
        let item =
            self.item(&agreement.id, &transfer.item)
                .ok_or_else(|| RouteError::UnknownItem {
                    item: transfer.item.to_string(),
                    agreement: agreement.id.to_string(),
                })?;
        if transfer.item_name != item.name {
            return Err(RouteError::NameMismatch {
                item: item.code.to_string(),
                given: transfer.item_name.clone(),
                expected: item.name.clone(),
            }
            .into());
        }
        if !item.modes.contains(&transfer.mode) {
            return Err(RouteError::ModeNotAllowed {
                mode: serde_json::to_value(transfer.mode)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                item: item.code.to_string(),
            }
            .into());
        }
        if let Some(code) = &transfer.theme {
            let includes_item = self
                .theme(&agreement.id, code)
                .is_some_and(|theme| theme.items.contains(&item.code));
            if !includes_item {
                return Err(RouteError::NotInTheme {
                    theme: code.to_string(),
                    item: item.code.to_string(),
                    agreement: agreement.id.to_string(),
                }
                .into());
            }
        }
        match form {
            Some(form) => self.check_form_value(&agreement.id, &item.code, form)?,
            None => self.check_form(&agreement.id, &item.code, &transfer.form)?,
        }
        for (member, material) in transfer.absent_materials() {
            let allowed = match member {
                "deferred_materials" => &item.deferrable_materials,
                _ => &item.commitment_materials,
            };
            if !allowed.iter().any(|name| name == material) {
                return Err(RouteError::DeferralNotAllowed {
                    member,
                    material: material.to_string(),
                    item: item.code.to_string(),
                }
                .into());
            }
        }
        for material in &item.required_materials {
            let absent = transfer
                .absent_materials()
                .any(|(_, name)| name == material);
            if !absent && !transfer.materials.iter().any(|m| &m.name == material) {
                return Err(RouteError::MaterialMissing {
                    material: material.clone(),
                    item: item.code.to_string(),
                }
                .into());
            }
        }
        Ok(())
    }
}

/// The first violation of `form` against its compiled schema, if any.
#[cfg(feature = "forms")]
fn check_form_with(
    validator: &forms::FormValidator,
    _item: &ItemCode,
    form: &Value,
) -> Result<(), Error> {
    if validator.is_valid(form) {
        return Ok(());
    }
    let first_error = validator
        .iter_errors(form)
        .next()
        .map(|error| RouteError::FormInvalid {
            field: format!("/body/form{}", error.instance_path().as_str()),
            // The reason quotes the value refused: an identity number or a phone is
            // masked, since the refusal is logged and sent back, in clear (§24.5).
            reason: crate::mask::mask_sentence(&error.to_string()),
        });
    // `is_valid` said no: without a first error the form is still refused.
    Err(first_error
        .unwrap_or_else(|| RouteError::FormInvalid {
            field: "/body/form".into(),
            reason: "does not match the item's form schema".into(),
        })
        .into())
}

/// Without the `forms` feature a form cannot be checked, so it is refused, never
/// accepted unchecked.
#[cfg(not(feature = "forms"))]
fn check_form_with(
    _validator: &forms::FormValidator,
    item: &ItemCode,
    _form: &Value,
) -> Result<(), Error> {
    Err(RouteError::FormUnchecked {
        item: item.to_string(),
    }
    .into())
}

/// Every date sits under its own year; working weekend days are Saturdays or Sundays;
/// no day is both a holiday and a working weekend day.
fn check_calendar(calendar: &WorkingCalendar) -> Result<(), Error> {
    for (year, days) in &calendar.years {
        let lists = [
            ("holidays", &days.holidays),
            ("working_weekends", &days.working_weekends),
        ];
        for (name, list) in lists {
            for (i, day) in list.iter().enumerate() {
                let field = format!("/calendar/{year}/{name}/{i}");
                if day.date().year() != *year {
                    return Err(invalid(field, format!("{day} is not in {year}")));
                }
                let weekend = matches!(
                    day.date().weekday(),
                    time::Weekday::Saturday | time::Weekday::Sunday
                );
                if name == "working_weekends" && !weekend {
                    return Err(invalid(field, format!("{day} is not a Saturday or Sunday")));
                }
                if name == "holidays" && days.working_weekends.contains(day) {
                    return Err(invalid(
                        field,
                        format!("{day} is also a working weekend day"),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn public_key(algorithm: &str, encoded: &str) -> Result<PublicKey, Error> {
    let algorithm = Algorithm::try_from(algorithm)?;
    Ok(PublicKey::from_base64url(algorithm, encoded)?)
}

impl KeyResolver for Registry {
    /// A key is usable when it is not revoked as of `now`, the message was created
    /// within its validity window, and it has not been retired: `now` is at most the
    /// clock-skew allowance past `valid_until`, so a retired key cannot sign backdated
    /// messages.
    fn resolve(
        &self,
        key_id: &KeyId,
        created: &Timestamp,
        now: &Timestamp,
    ) -> Result<TrustedKey, Error> {
        let slot = self
            .keys
            .get(key_id)
            .ok_or_else(|| SignatureError::UnknownKey {
                key_id: key_id.to_string(),
            })?;
        let member = &self.document.members[slot.member];
        let key = &member.keys[slot.key];
        let public = slot.public(&key.public_key)?;
        if let Some(revoked) = key.revoked.as_ref().filter(|r| *r <= now) {
            return Err(KeyError::Revoked {
                key_id: key_id.to_string(),
                revoked: revoked.to_string(),
            }
            .into());
        }
        let skew = self.rules().clock_skew_seconds;
        let retired = now.unix_seconds() > key.valid_until.unix_seconds() + skew;
        if created < &key.valid_from || created > &key.valid_until || retired {
            return Err(KeyError::OutsideValidity {
                key_id: key_id.to_string(),
                at: created.to_string(),
                valid_from: key.valid_from.to_string(),
                valid_until: key.valid_until.to_string(),
            }
            .into());
        }
        Ok(TrustedKey {
            key_id: key_id.clone(),
            owner: member.node.clone(),
            public_key: public.clone(),
        })
    }

    fn check_parties(&self, envelope: &Envelope, now: &Timestamp) -> Result<(), Error> {
        self.check_not_expired(now)?;
        for (field, node) in [("/from", &envelope.from), ("/to", &envelope.to)] {
            if self.member(node).is_none() {
                return Err(RegistryError::UnknownMember {
                    field: field.to_string(),
                    node: node.to_string(),
                }
                .into());
            }
        }
        Ok(())
    }

    fn check_message(&self, envelope: &Envelope) -> Result<(), Error> {
        self.check_route(envelope, None)
    }

    fn check_in_clear(&self, envelope: &Envelope) -> Result<(), Error> {
        self.check_sealed_if_required(envelope)
    }

    fn check_sealed(
        &self,
        envelope: &Envelope,
        sealed: &crate::seal::SealedBox,
        now: &Timestamp,
    ) -> Result<(), Error> {
        let suite = self.sealing_suite_for(envelope)?;
        self.check_sealed_to(&envelope.to, sealed, suite, &envelope.created, now)
    }

    /// Moves a transfer's form into a JSON value for its schema check instead of
    /// copying it, and puts it back whatever the outcome.
    fn check_owned_message(&self, envelope: &mut Envelope) -> Result<(), Error> {
        let Body::Transfer(transfer) = &mut envelope.body else {
            return self.check_route(envelope, None);
        };
        let form = Value::Object(std::mem::take(&mut transfer.form));
        let checked = self.check_route(envelope, Some(&form));
        if let (Body::Transfer(transfer), Value::Object(members)) = (&mut envelope.body, form) {
            transfer.form = members;
        }
        checked
    }
}

#[cfg(test)]
mod endpoint_tests {
    use super::endpoint_allowed;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for ok in [
            "https://jiujiang.example/tongban/v1",
            "http://127.0.0.1:7400/tongban/v1",
            "http://127.0.0.1/tongban/v1",
            "http://localhost:80",
            "http://[::1]:9000/x",
        ] {
            assert!(endpoint_allowed(ok), "{ok}");
        }
        for bad in [
            "http://jiujiang.example/tongban/v1",
            "http://127.0.0.1.evil.example/",
            "http://localhost.evil.example:80/",
            "http://127.0.0.1:80@evil.example/",
            "http://[::1].evil/",
            "ftp://127.0.0.1/",
            "https://",
            "http://127.0.0.1:/",
        ] {
            assert!(!endpoint_allowed(bad), "{bad}");
        }
    }
}
