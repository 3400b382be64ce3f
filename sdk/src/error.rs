//! Errors with stable, documented codes.
//!
//! Every failure the SDK reports is an [`Error`](enum@Error), one `#[non_exhaustive]` enum over
//! per-area sub-enums with structured fields. [`Error::code`] returns a stable dotted
//! code (`signature.invalid`, `json.duplicate_key`, …): the same string appears in the
//! WASM build, in conformance reports, on the wire and in `docs/PROTOCOL.md`.
//! [`ERROR_CODES`] lists every code with its meaning.

use thiserror::Error;

/// Codes of [`ERROR_CODES`] that only a build without the `forms` feature produces (it
/// cannot check form data). A conforming implementation checks forms, so no conformance
/// vector expects them.
pub const BUILD_ONLY_CODES: &[&str] = &["item.form_unchecked"];

/// Every error code the SDK produces, with a one-line meaning.
///
/// The list is the contract: `docs/PROTOCOL.md` documents each entry and the test suite
/// produces each one at least once.
pub const ERROR_CODES: &[(&str, &str)] = &[
    (
        "json.too_large",
        "the document is larger than the size limit",
    ),
    (
        "json.too_deep",
        "arrays and objects are nested deeper than the limit",
    ),
    (
        "json.duplicate_key",
        "an object has the same member name twice",
    ),
    ("json.invalid_utf8", "the bytes are not valid UTF-8"),
    (
        "json.lone_surrogate",
        "a \\u escape encodes an unpaired UTF-16 surrogate",
    ),
    ("json.bom", "the document starts with a byte order mark"),
    ("json.trailing_data", "something follows the JSON value"),
    (
        "json.number_out_of_range",
        "a number is not a finite IEEE 754 double",
    ),
    ("json.syntax", "the bytes are not JSON"),
    ("id.region_format", "a region code is not six ASCII digits"),
    (
        "id.region_structure",
        "a region code's province/prefecture/county parts are not valid",
    ),
    (
        "id.citizen_format",
        "a citizen ID is not 17 digits followed by a digit or X",
    ),
    (
        "id.citizen_checksum",
        "a citizen ID's ISO 7064 MOD 11-2 check digit is wrong",
    ),
    (
        "id.citizen_birth_date",
        "a citizen ID's birth date is not a plausible date",
    ),
    (
        "id.credit_format",
        "a unified social credit code is not 18 characters of its alphabet",
    ),
    (
        "id.credit_checksum",
        "a unified social credit code's MOD 31 check character is wrong",
    ),
    ("id.node_format", "a node id does not match its pattern"),
    (
        "id.message_format",
        "a message id is neither a ULID nor a UUIDv7",
    ),
    ("id.case_format", "a case id does not match its pattern"),
    (
        "id.agreement_format",
        "an agreement id does not match its pattern",
    ),
    (
        "id.item_format",
        "a service item code does not match its pattern",
    ),
    ("id.key_format", "a key id does not match its pattern"),
    (
        "id.digest_format",
        "a digest (SHA-256, or in 1.1 SM3) is not 64 lowercase hex digits",
    ),
    ("time.format", "a timestamp is not an RFC 3339 date-time"),
    (
        "time.not_yet_valid",
        "the message was created after now plus the clock-skew allowance",
    ),
    (
        "time.expired",
        "the message expired before now minus the clock-skew allowance (now being, for a receiver that forgets replay records, the latest now it forgot them by, §8 step 5)",
    ),
    (
        "time.bad_window",
        "expires is not after created, or the window is longer than allowed",
    ),
    ("version.format", "the protocol version is not MAJOR.MINOR"),
    (
        "version.unsupported_major",
        "the protocol major version is not one this reader speaks",
    ),
    (
        "message.invalid",
        "a field is missing or has the wrong type or value",
    ),
    (
        "message.unknown_type",
        "the message type is not one of this major version",
    ),
    (
        "message.unsafe_number",
        "a number is a fraction or beyond ±(2^53−1)",
    ),
    (
        "message.not_an_answer",
        "a receipt does not answer the message it is checked against",
    ),
    (
        "message.wrong_receiver",
        "the message is addressed to another node",
    ),
    ("key.malformed", "a key or key file cannot be decoded"),
    ("key.weak", "a public key has small order and is refused"),
    ("signature.missing", "the envelope carries no signature"),
    (
        "signature.malformed",
        "a signature is not valid base64url of the right length",
    ),
    (
        "signature.unsupported_algorithm",
        "no signature has an algorithm the reader implements (signatures of other algorithms are skipped, never counted)",
    ),
    (
        "signature.unknown_key",
        "no trusted key has the signature's key id",
    ),
    (
        "signature.key_not_sender",
        "no signature is by a key of the sending node",
    ),
    ("signature.invalid", "a signature does not verify"),
    (
        "replay.duplicate",
        "a message with this id was already accepted",
    ),
    (
        "key.revoked",
        "the signing key is revoked in the trust registry",
    ),
    (
        "key.outside_validity",
        "the message was created outside the signing key's validity window",
    ),
    (
        "registry.invalid",
        "a trust registry is malformed or inconsistent",
    ),
    (
        "registry.threshold",
        "a registry has too few valid operator signatures",
    ),
    (
        "registry.rollback",
        "a registry update does not have a greater version",
    ),
    ("registry.expired", "the registry has expired"),
    (
        "registry.unknown_member",
        "the sender or receiver is not a member of the registry",
    ),
    (
        "agreement.unknown",
        "the registry has no agreement with this id",
    ),
    (
        "agreement.not_party",
        "the sender or receiver is not a party to the agreement",
    ),
    (
        "agreement.inactive",
        "the message was created outside the agreement's validity",
    ),
    (
        "agreement.wrong_role",
        "a transfer's sender is not a service window or its receiver not a competent authority",
    ),
    (
        "agreement.wrong_suite",
        "the sender did not sign the message in its agreement's signature suite (ed25519, or sm2-sm3 where the registry says so), or (1.1) a message under sm2-sm3 lacks an SM3 digest of a file it references or of the message it answers",
    ),
    (
        "version.not_negotiated",
        "the sender or receiver does not speak the message's protocol version",
    ),
    (
        "item.unknown",
        "the service item is not in the agreement's catalogue",
    ),
    (
        "item.name_mismatch",
        "a transfer's item_name is not exactly the catalogue's name of its item",
    ),
    (
        "item.mode_not_allowed",
        "the handling mode is not allowed for the item",
    ),
    (
        "item.form_invalid",
        "the form data does not validate against the item's form schema",
    ),
    (
        "item.form_unchecked",
        "this build cannot check form data (built without form validation); the message is refused, never accepted unchecked",
    ),
    (
        "item.material_missing",
        "a material the item requires is missing",
    ),
    (
        "item.deferral_not_allowed",
        "a transfer defers a material (容缺受理) or replaces it by a commitment (告知承诺) where the item's catalogue entry does not allow it",
    ),
    (
        "item.not_in_theme",
        "a transfer names a theme (一事联办) that its agreement does not have, or whose items do not include the transfer's item",
    ),
    ("calendar.bad_date", "a calendar date is not YYYY-MM-DD"),
    (
        "calendar.unknown_year",
        "the working-day calendar does not cover the year",
    ),
    (
        "lifecycle.illegal_transition",
        "the message is not allowed in the case's current state",
    ),
    (
        "lifecycle.receipt_pending",
        "the message answers a transfer whose accepting receipt has not arrived here yet; send it again later",
    ),
    (
        "lifecycle.materials_outstanding",
        "an approving decision while a material accepted as missing (容缺) has not been handed in",
    ),
    (
        "lifecycle.theme_mismatch",
        "a transfer does not fit its case's theme (一事联办): another theme than the case's other transfers, or a shared material with other contents than another transfer's",
    ),
    (
        "lifecycle.wrong_party",
        "the message type may not be sent by this side of the case",
    ),
    (
        "lifecycle.wrong_case",
        "the message belongs to another case",
    ),
    (
        "lifecycle.no_track",
        "the message matches no item of the case",
    ),
    (
        "lifecycle.other_window",
        "the case id is that of a case another window opened: a case is its window and its id, and this message is not between that window and one of its authorities",
    ),
    (
        "file.too_large",
        "a file reference names more bytes than the per-file limit",
    ),
    (
        "file.case_too_large",
        "the files a case references add up to more than the per-case limit",
    ),
    (
        "file.size_mismatch",
        "a file's bytes are more or fewer than its reference's size",
    ),
    (
        "file.digest_mismatch",
        "a file's bytes do not hash to its reference's digest",
    ),
    (
        "file.media_type_mismatch",
        "a file was served with another media type than its reference's",
    ),
    (
        "file.request_missing",
        "a file request carries no signed request document",
    ),
    (
        "file.request_invalid",
        "the signed request document is not base64url JSON of the request's structure",
    ),
    (
        "file.request_mismatch",
        "the signed request document names another method, path, file or holder than the request",
    ),
    (
        "file.request_stale",
        "the signed request document is not valid now (created, expires, or a window longer than allowed)",
    ),
    (
        "file.request_replayed",
        "the signed request document was used before",
    ),
    (
        "seal.malformed",
        "a sealed box cannot be decoded: not base64url, a wrong length, a compressed point",
    ),
    (
        "seal.unsupported_suite",
        "a sealed box or key names a sealing suite this implementation does not know",
    ),
    (
        "seal.wrong_suite",
        "a sealed box's suite is not the one of its agreement (or of the key it names)",
    ),
    (
        "seal.unknown_key",
        "a sealed box names a key that is not one of the receiver's sealing keys",
    ),
    (
        "seal.no_key",
        "the receiver lists no sealing key of the suite valid when the message is created",
    ),
    (
        "seal.key_outside_validity",
        "the message was created outside the validity window of the key it is sealed to",
    ),
    (
        "seal.key_revoked",
        "the key the box is sealed to has been revoked",
    ),
    (
        "seal.key_retired",
        "the key the box is sealed to is more than 7 days (and the 300 s of clock skew) past its valid_until",
    ),
    (
        "seal.open_failed",
        "a sealed box does not open with the receiver's key under its context: altered, lifted from another message, claimed by another sender or re-addressed",
    ),
    (
        "seal.ephemeral",
        "a given ephemeral secret is not what the suite draws (test vectors only)",
    ),
    (
        "seal.required",
        "a message of a type that is sealed travels in clear between members that both list 1.1, to a receiver that lists a sealing key for it: its body must be sealed",
    ),
];

/// The top-level error: one variant per area, each carrying a structured sub-error.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not acceptable JSON.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// An identifier is malformed.
    #[error(transparent)]
    Id(#[from] IdError),
    /// A timestamp is malformed or outside the validity window.
    #[error(transparent)]
    Time(#[from] TimeError),
    /// The protocol version is malformed or unsupported.
    #[error(transparent)]
    Version(#[from] VersionError),
    /// The message does not have the protocol's structure.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// A key cannot be loaded.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A signature is missing, malformed or does not verify.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The message was seen before.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// A trust registry is refused, or does not know a party.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The message does not fit the agreement and catalogue of the registry.
    #[error(transparent)]
    Route(#[from] RouteError),
    /// A working-day calculation is impossible.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// The message does not fit the case's lifecycle.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    /// A file, its reference or a file request is refused (file exchange, §23).
    #[error(transparent)]
    File(#[from] FileError),
    /// A sealed box is refused or does not open (§24).
    #[error(transparent)]
    Seal(#[from] SealError),
}

impl Error {
    /// The stable dotted code of this error, e.g. `signature.invalid`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Json(e) => e.code(),
            Error::Id(e) => e.code(),
            Error::Time(e) => e.code(),
            Error::Version(e) => e.code(),
            Error::Message(e) => e.code(),
            Error::Key(e) => e.code(),
            Error::Signature(e) => e.code(),
            Error::Replay(e) => e.code(),
            Error::Registry(e) => e.code(),
            Error::Route(e) => e.code(),
            Error::Calendar(e) => e.code(),
            Error::Lifecycle(e) => e.code(),
            Error::File(e) => e.code(),
            Error::Seal(e) => e.code(),
        }
    }
}

/// Why bytes were refused before or while parsing them as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The document is larger than the limit (checked before parsing).
    #[error("document of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// Size of the document in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// Nesting deeper than the limit.
    #[error("nesting deeper than {limit} levels at byte {offset}")]
    TooDeep {
        /// The depth limit.
        limit: usize,
        /// Byte offset where the limit was passed.
        offset: usize,
    },
    /// The same member name twice in one object (compared after unescaping).
    #[error("duplicate key {key:?} {}", location(path))]
    DuplicateKey {
        /// The repeated member name.
        key: String,
        /// JSON Pointer of the object holding it.
        path: String,
    },
    /// Invalid UTF-8.
    #[error("invalid UTF-8 at byte {offset}")]
    InvalidUtf8 {
        /// Byte offset of the bad sequence.
        offset: usize,
    },
    /// A `\u` escape of an unpaired surrogate.
    #[error("unpaired UTF-16 surrogate escape at byte {offset}")]
    LoneSurrogate {
        /// Byte offset of the escape.
        offset: usize,
    },
    /// A leading byte order mark.
    #[error("byte order mark at the start of the document")]
    Bom,
    /// Bytes after the JSON value.
    #[error("trailing data at byte {offset}")]
    TrailingData {
        /// Byte offset of the first trailing byte.
        offset: usize,
    },
    /// A number that is not a finite double.
    #[error("number out of range at byte {offset}")]
    NumberOutOfRange {
        /// Byte offset of the number.
        offset: usize,
    },
    /// Any other JSON syntax error.
    #[error("JSON syntax error at byte {offset}: {reason}")]
    Syntax {
        /// Byte offset of the error.
        offset: usize,
        /// What was expected.
        reason: &'static str,
    },
}

/// Where a JSON Pointer points, for a message: "at /a/b", or "at the top level" for the
/// empty pointer (the whole document).
fn location(pointer: &str) -> String {
    if pointer.is_empty() {
        "at the top level".to_string()
    } else {
        format!("at {pointer}")
    }
}

impl JsonError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            JsonError::TooLarge { .. } => "json.too_large",
            JsonError::TooDeep { .. } => "json.too_deep",
            JsonError::DuplicateKey { .. } => "json.duplicate_key",
            JsonError::InvalidUtf8 { .. } => "json.invalid_utf8",
            JsonError::LoneSurrogate { .. } => "json.lone_surrogate",
            JsonError::Bom => "json.bom",
            JsonError::TrailingData { .. } => "json.trailing_data",
            JsonError::NumberOutOfRange { .. } => "json.number_out_of_range",
            JsonError::Syntax { .. } => "json.syntax",
        }
    }
}

/// Which identifier rule a value broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdRule {
    /// Region code is not six digits.
    RegionFormat,
    /// Region code parts are not a valid province/prefecture/county structure.
    RegionStructure,
    /// Citizen ID is not 17 digits and a check character.
    CitizenFormat,
    /// Citizen ID check digit is wrong.
    CitizenChecksum,
    /// Citizen ID birth date is implausible.
    CitizenBirthDate,
    /// Credit code has the wrong length or alphabet.
    CreditFormat,
    /// Credit code check character is wrong.
    CreditChecksum,
    /// Node id pattern.
    NodeFormat,
    /// Message id is neither ULID nor UUIDv7.
    MessageFormat,
    /// Case id pattern.
    CaseFormat,
    /// Agreement id pattern.
    AgreementFormat,
    /// Service item code pattern.
    ItemFormat,
    /// Key id pattern.
    KeyFormat,
    /// A digest (SHA-256, or SM3) is not 64 lowercase hex digits.
    DigestFormat,
}

impl IdRule {
    /// Every rule.
    pub const ALL: [IdRule; 14] = [
        IdRule::RegionFormat,
        IdRule::RegionStructure,
        IdRule::CitizenFormat,
        IdRule::CitizenChecksum,
        IdRule::CitizenBirthDate,
        IdRule::CreditFormat,
        IdRule::CreditChecksum,
        IdRule::NodeFormat,
        IdRule::MessageFormat,
        IdRule::CaseFormat,
        IdRule::AgreementFormat,
        IdRule::ItemFormat,
        IdRule::KeyFormat,
        IdRule::DigestFormat,
    ];

    /// The stable code of this rule.
    pub fn code(self) -> &'static str {
        match self {
            IdRule::RegionFormat => "id.region_format",
            IdRule::RegionStructure => "id.region_structure",
            IdRule::CitizenFormat => "id.citizen_format",
            IdRule::CitizenChecksum => "id.citizen_checksum",
            IdRule::CitizenBirthDate => "id.citizen_birth_date",
            IdRule::CreditFormat => "id.credit_format",
            IdRule::CreditChecksum => "id.credit_checksum",
            IdRule::NodeFormat => "id.node_format",
            IdRule::MessageFormat => "id.message_format",
            IdRule::CaseFormat => "id.case_format",
            IdRule::AgreementFormat => "id.agreement_format",
            IdRule::ItemFormat => "id.item_format",
            IdRule::KeyFormat => "id.key_format",
            IdRule::DigestFormat => "id.digest_format",
        }
    }
}

/// A malformed identifier: which rule it broke, the offending value and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}{reason}: {value:?}", field.as_ref().map(|f| format!("{f}: ")).unwrap_or_default())]
pub struct IdError {
    /// The rule that was broken.
    pub rule: IdRule,
    /// The refused value (citizen IDs are masked).
    pub value: String,
    /// A human-readable explanation.
    pub reason: String,
    /// JSON Pointer of the field holding the value, when it was found in a message.
    pub field: Option<String>,
}

impl IdError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        self.rule.code()
    }
}

/// A timestamp problem.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TimeError {
    /// Not an RFC 3339 date-time.
    #[error("not an RFC 3339 date-time: {value:?}")]
    Format {
        /// The refused text.
        value: String,
    },
    /// Created in the future, beyond the clock-skew allowance.
    #[error("created {created} is after now ({now}) plus the clock-skew allowance")]
    NotYetValid {
        /// The message's creation time.
        created: String,
        /// The verifier's clock.
        now: String,
    },
    /// Expired, beyond the clock-skew allowance.
    #[error("expired at {expires}, now is {now}")]
    Expired {
        /// The message's expiry time.
        expires: String,
        /// The verifier's clock.
        now: String,
    },
    /// `expires` is not after `created`, or the window is too long.
    #[error(
        "validity window from {created} to {expires} is not allowed (at most {max_seconds} s)"
    )]
    BadWindow {
        /// Creation time.
        created: String,
        /// Expiry time.
        expires: String,
        /// The longest allowed window in seconds.
        max_seconds: i64,
    },
}

impl TimeError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            TimeError::Format { .. } => "time.format",
            TimeError::NotYetValid { .. } => "time.not_yet_valid",
            TimeError::Expired { .. } => "time.expired",
            TimeError::BadWindow { .. } => "time.bad_window",
        }
    }
}

/// A protocol version problem.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VersionError {
    /// Not `MAJOR.MINOR`.
    #[error("protocol version {value:?} is not MAJOR.MINOR")]
    Format {
        /// The refused text.
        value: String,
    },
    /// A member that, by the registry, does not speak the message's version.
    #[error("{node} does not speak protocol version {version}")]
    NotNegotiated {
        /// The message's version.
        version: String,
        /// The member.
        node: String,
    },
    /// A major version this reader does not speak.
    #[error("protocol major version {major} is not supported")]
    UnsupportedMajor {
        /// The refused major version.
        major: u32,
    },
}

impl VersionError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            VersionError::Format { .. } => "version.format",
            VersionError::UnsupportedMajor { .. } => "version.unsupported_major",
            VersionError::NotNegotiated { .. } => "version.not_negotiated",
        }
    }
}

/// The document is JSON but not a well-formed protocol message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MessageError {
    /// A field is missing or has the wrong type or value.
    #[error("invalid message: {reason}")]
    Invalid {
        /// What is wrong, naming the field.
        reason: String,
    },
    /// The message type is unknown.
    #[error("unknown message type {message_type:?}")]
    UnknownType {
        /// The refused type.
        message_type: String,
    },
    /// The message type does not exist in the version the message says it follows.
    #[error("{message_type} is a message type of protocol {since}; this message says {protocol}")]
    TypeNotInVersion {
        /// The type.
        message_type: String,
        /// The first version with the type.
        since: String,
        /// The message's version.
        protocol: String,
    },
    /// A fraction, or an integer beyond ±(2^53−1).
    #[error("number {} is not an integer within ±(2^53−1)", location(path))]
    UnsafeNumber {
        /// JSON Pointer of the number.
        path: String,
    },
    /// A message addressed to another node.
    #[error("message is addressed to {to}, not to {receiver}")]
    WrongReceiver {
        /// The envelope's receiver.
        to: String,
        /// The verifying node.
        receiver: String,
    },
    /// A receipt that does not answer the given message.
    #[error("receipt does not answer message {message_id}: {reason}")]
    NotAnAnswer {
        /// Id of the message the receipt was checked against.
        message_id: String,
        /// Which binding differs.
        reason: &'static str,
    },
}

impl MessageError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            MessageError::Invalid { .. } => "message.invalid",
            MessageError::UnknownType { .. } | MessageError::TypeNotInVersion { .. } => {
                "message.unknown_type"
            }
            MessageError::UnsafeNumber { .. } => "message.unsafe_number",
            MessageError::NotAnAnswer { .. } => "message.not_an_answer",
            MessageError::WrongReceiver { .. } => "message.wrong_receiver",
        }
    }
}

/// A key cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key material or key file cannot be decoded.
    #[error("malformed key: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// A small-order (weak) public key.
    #[error("weak public key refused")]
    Weak,
    /// The key is revoked.
    #[error("key {key_id} was revoked at {revoked}")]
    Revoked {
        /// The revoked key.
        key_id: String,
        /// When it was revoked.
        revoked: String,
    },
    /// The message was created outside the key's validity window.
    #[error("key {key_id} is valid from {valid_from} until {valid_until}, not at {at}")]
    OutsideValidity {
        /// The key.
        key_id: String,
        /// The message's creation time.
        at: String,
        /// Start of validity.
        valid_from: String,
        /// End of validity.
        valid_until: String,
    },
}

impl KeyError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::Malformed { .. } => "key.malformed",
            KeyError::Weak => "key.weak",
            KeyError::Revoked { .. } => "key.revoked",
            KeyError::OutsideValidity { .. } => "key.outside_validity",
        }
    }
}

/// A signature problem.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No signature at all.
    #[error("the envelope carries no signature")]
    Missing,
    /// Not base64url, or the wrong length.
    #[error("malformed signature by key {key_id}: {reason}")]
    Malformed {
        /// Key id named by the signature.
        key_id: String,
        /// What is wrong.
        reason: String,
    },
    /// An algorithm this SDK does not implement.
    #[error("unsupported signature algorithm {algorithm:?}")]
    UnsupportedAlgorithm {
        /// The refused algorithm name.
        algorithm: String,
    },
    /// No trusted key with this id.
    #[error("no trusted key with id {key_id}")]
    UnknownKey {
        /// The unknown key id.
        key_id: String,
    },
    /// No signature by a key of the sending node.
    #[error("no signature by a key of sender {sender}")]
    KeyNotSender {
        /// The envelope's sender.
        sender: String,
    },
    /// The signature does not verify.
    #[error("signature by key {key_id} does not verify")]
    Invalid {
        /// Key id of the failing signature.
        key_id: String,
    },
}

impl SignatureError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::Missing => "signature.missing",
            SignatureError::Malformed { .. } => "signature.malformed",
            SignatureError::UnsupportedAlgorithm { .. } => "signature.unsupported_algorithm",
            SignatureError::UnknownKey { .. } => "signature.unknown_key",
            SignatureError::KeyNotSender { .. } => "signature.key_not_sender",
            SignatureError::Invalid { .. } => "signature.invalid",
        }
    }
}

/// A replayed message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The message id was accepted before from the same sender.
    #[error("message {message_id} from {sender} was already accepted")]
    Duplicate {
        /// The sender of the replayed message.
        sender: String,
        /// The replayed message id.
        message_id: String,
    },
    /// The message is within its validity window by `now`, but a guard that forgets
    /// ids has already forgotten ids kept as long as this one, by a later `now` (the
    /// clock went back): the message expired by the guard's latest clock. Its code is
    /// `time.expired`, as §8 step 5 says; [`crate::Verifier`] reports it as
    /// [`TimeError::Expired`] at that latest clock.
    #[error(
        "message {message_id} from {sender} would be kept until {keep_until}, but ids \
         were already forgotten by a later clock (latest now {forgotten_at})"
    )]
    Forgotten {
        /// The sender.
        sender: String,
        /// The message id.
        message_id: String,
        /// Until when the id would be kept.
        keep_until: String,
        /// The latest `now` at which the guard forgot ids.
        forgotten_at: String,
    },
}

impl ReplayError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ReplayError::Duplicate { .. } => "replay.duplicate",
            ReplayError::Forgotten { .. } => "time.expired",
        }
    }
}

/// A trust registry is refused, or does not list a party.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// Malformed or inconsistent.
    #[error("invalid registry at {field}: {reason}")]
    Invalid {
        /// JSON Pointer of the field at fault.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// Too few valid operator signatures.
    #[error(
        "registry has {valid} valid signatures by the {which} operator keys, {threshold} needed"
    )]
    Threshold {
        /// `trusted` (the keys of the registry already trusted) or `own` (its own keys).
        which: &'static str,
        /// Valid signatures by distinct keys of that set.
        valid: usize,
        /// The set's threshold.
        threshold: u32,
    },
    /// The update's version is not greater than the trusted one.
    #[error("registry version {offered} is not greater than the trusted version {current}")]
    Rollback {
        /// The trusted version.
        current: u64,
        /// The offered version.
        offered: u64,
    },
    /// Expired.
    #[error("registry version {version} expired at {expires}")]
    Expired {
        /// The registry's version.
        version: u64,
        /// Its expiry.
        expires: String,
    },
    /// A node the registry does not list.
    #[error("{field}: {node} is not a member of the registry")]
    UnknownMember {
        /// JSON Pointer of the field naming the node.
        field: String,
        /// The node.
        node: String,
    },
}

impl RegistryError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            RegistryError::Invalid { .. } => "registry.invalid",
            RegistryError::Threshold { .. } => "registry.threshold",
            RegistryError::Rollback { .. } => "registry.rollback",
            RegistryError::Expired { .. } => "registry.expired",
            RegistryError::UnknownMember { .. } => "registry.unknown_member",
        }
    }
}

/// The message does not fit the agreement and catalogue of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum RouteError {
    /// No such agreement.
    #[error("/agreement: no agreement {agreement} in the registry")]
    UnknownAgreement {
        /// The agreement id.
        agreement: String,
    },
    /// Sender or receiver is not a party.
    #[error("{field}: {node} is not a party to agreement {agreement}")]
    NotParty {
        /// `/from` or `/to`.
        field: &'static str,
        /// The node.
        node: String,
        /// The agreement.
        agreement: String,
    },
    /// Created outside the agreement's validity.
    #[error("/created: agreement {agreement} is not in force at {at}")]
    AgreementInactive {
        /// The agreement.
        agreement: String,
        /// The message's creation time.
        at: String,
    },
    /// A transfer between members without the roles it needs.
    #[error("{field}: {node} is a {role}, which cannot {action}")]
    WrongRole {
        /// `/from` or `/to`.
        field: &'static str,
        /// The member.
        node: String,
        /// Its role in the registry.
        role: &'static str,
        /// What the transfer needs it to do.
        action: &'static str,
    },
    /// The item is not in the catalogue.
    #[error("/body/item: {item} is not in the catalogue of agreement {agreement}")]
    UnknownItem {
        /// The item code.
        item: String,
        /// The agreement.
        agreement: String,
    },
    /// The transfer's `item_name` is not the catalogue's name of its item.
    #[error(
        "/body/item_name: {given:?} is not the name of item {item} in the catalogue, {expected:?}"
    )]
    NameMismatch {
        /// The item.
        item: String,
        /// The name the transfer gives.
        given: String,
        /// The catalogue's name.
        expected: String,
    },
    /// The mode is not allowed for the item.
    #[error("/body/mode: {mode} is not allowed for item {item}")]
    ModeNotAllowed {
        /// The mode.
        mode: String,
        /// The item.
        item: String,
    },
    /// The form data does not validate.
    #[error("{field}: {reason}")]
    FormInvalid {
        /// JSON Pointer of the failing value, under `/body/form`.
        field: String,
        /// The schema's complaint.
        reason: String,
    },
    /// This build cannot check form data (it was built without the `forms` feature).
    #[error("/body/form: the form data of item {item} cannot be checked by this build (no form validator); use a build with form validation (the npm module `tongban/forms`, or the Rust feature `forms`)")]
    FormUnchecked {
        /// The item.
        item: String,
    },
    /// A required material is missing.
    #[error("/body/materials: required material {material:?} of item {item} is missing")]
    MaterialMissing {
        /// The missing material's name.
        material: String,
        /// The item.
        item: String,
    },
    /// (1.1) A transfer defers a material (容缺) or replaces it by a commitment (告知承诺)
    /// where the item's catalogue entry does not allow it.
    #[error("/body/{member}: the catalogue does not let item {item} do without material {material:?} this way")]
    DeferralNotAllowed {
        /// `deferred_materials` or `commitments`.
        member: &'static str,
        /// The material's name.
        material: String,
        /// The item.
        item: String,
    },
    /// The sender did not sign in the agreement's signature suite.
    #[error(
        "/signatures: agreement {agreement} requires a signature by the sender in suite {suite}"
    )]
    WrongSuite {
        /// The agreement.
        agreement: String,
        /// The suite it requires.
        suite: String,
    },
    /// (1.1) A message of 1.1 or later under an agreement on `sm2-sm3` lacks an SM3
    /// digest: of a file it references, or (a receipt) of the message it answers.
    #[error("/body/{member}: agreement {agreement} is on sm2-sm3, whose messages of protocol 1.1 carry SM3 digests")]
    MissingSm3 {
        /// The agreement.
        agreement: String,
        /// The member without its SM3 digest, under `/body`.
        member: String,
    },
    /// (1.1) A transfer names a theme (一事联办) its agreement does not have, or one
    /// whose items do not include the transfer's item.
    #[error(
        "/body/theme: {theme} is not a theme of agreement {agreement} that includes item {item}"
    )]
    NotInTheme {
        /// The theme named.
        theme: String,
        /// The transfer's item.
        item: String,
        /// The agreement.
        agreement: String,
    },
}

impl RouteError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            RouteError::UnknownAgreement { .. } => "agreement.unknown",
            RouteError::NotParty { .. } => "agreement.not_party",
            RouteError::AgreementInactive { .. } => "agreement.inactive",
            RouteError::WrongRole { .. } => "agreement.wrong_role",
            RouteError::WrongSuite { .. } | RouteError::MissingSm3 { .. } => {
                "agreement.wrong_suite"
            }
            RouteError::UnknownItem { .. } => "item.unknown",
            RouteError::NameMismatch { .. } => "item.name_mismatch",
            RouteError::ModeNotAllowed { .. } => "item.mode_not_allowed",
            RouteError::FormInvalid { .. } => "item.form_invalid",
            RouteError::FormUnchecked { .. } => "item.form_unchecked",
            RouteError::MaterialMissing { .. } => "item.material_missing",
            RouteError::DeferralNotAllowed { .. } => "item.deferral_not_allowed",
            RouteError::NotInTheme { .. } => "item.not_in_theme",
        }
    }
}

/// A working-day calculation is impossible.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// Not `YYYY-MM-DD`.
    #[error("not a YYYY-MM-DD date: {value:?}")]
    BadDate {
        /// The refused text.
        value: String,
    },
    /// The calendar does not cover the year.
    #[error("the working-day calendar does not cover {year}")]
    UnknownYear {
        /// The year.
        year: i32,
    },
}

impl CalendarError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            CalendarError::BadDate { .. } => "calendar.bad_date",
            CalendarError::UnknownYear { .. } => "calendar.unknown_year",
        }
    }
}

/// The message does not fit the case's lifecycle.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// Not allowed in the current state.
    #[error("{message_type} is not allowed when the item is {state}")]
    IllegalTransition {
        /// The current state.
        state: &'static str,
        /// The refused message type (with its status or outcome).
        message_type: String,
    },
    /// From the authority while the window still awaits the transfer's accepting
    /// receipt, and allowed once it is in: the receipt is on its way (transient).
    #[error(
        "{message_type} arrived before the accepting receipt of its transfer; send it again later"
    )]
    ReceiptPending {
        /// The message type (with its status).
        message_type: String,
    },
    /// (1.1) An approving decision while materials accepted as missing (容缺) are still
    /// outstanding.
    #[error("the case may not be approved before the applicant hands in {materials}")]
    MaterialsOutstanding {
        /// The outstanding materials' names, comma separated.
        materials: String,
    },
    /// (1.1) A transfer that does not fit its case's theme (一事联办): another theme
    /// (or none) than the case's other transfers, or a shared material with other
    /// contents than another transfer of the case handed in.
    #[error("the transfer does not fit the theme of case {case}: {reason}")]
    ThemeMismatch {
        /// The case.
        case: String,
        /// What does not fit.
        reason: String,
    },
    /// Sent by the wrong side.
    #[error("{message_type} may not be sent by {sender}")]
    WrongParty {
        /// The message type.
        message_type: String,
        /// The sending node.
        sender: String,
    },
    /// For another case.
    #[error("message for case {case} applied to case {expected}")]
    WrongCase {
        /// The message's case.
        case: String,
        /// The case it was applied to.
        expected: String,
    },
    /// No item of the case matches.
    #[error("message {message_id} matches no item of the case")]
    NoTrack {
        /// The message.
        message_id: String,
    },
    /// The case with this id belongs to another window.
    #[error("case {case} was opened by {window}; a {message_type} from {sender} to {receiver} does not belong to it")]
    OtherWindow {
        /// The case id.
        case: String,
        /// The window that opened the case.
        window: String,
        /// The message type.
        message_type: String,
        /// The message's sender.
        sender: String,
        /// The message's receiver.
        receiver: String,
    },
}

impl LifecycleError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            LifecycleError::IllegalTransition { .. } => "lifecycle.illegal_transition",
            LifecycleError::ReceiptPending { .. } => "lifecycle.receipt_pending",
            LifecycleError::MaterialsOutstanding { .. } => "lifecycle.materials_outstanding",
            LifecycleError::ThemeMismatch { .. } => "lifecycle.theme_mismatch",
            LifecycleError::WrongParty { .. } => "lifecycle.wrong_party",
            LifecycleError::WrongCase { .. } => "lifecycle.wrong_case",
            LifecycleError::NoTrack { .. } => "lifecycle.no_track",
            LifecycleError::OtherWindow { .. } => "lifecycle.other_window",
        }
    }
}

/// Why a file, a file reference or a file request is refused (file exchange, §23).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FileError {
    /// A reference names more bytes than the per-file limit.
    #[error("{name}: {size} bytes, more than the limit of {limit} bytes per file")]
    TooLarge {
        /// The reference's name.
        name: String,
        /// The reference's size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The files of a case add up to more than the per-case limit.
    #[error(
        "the case's files add up to {total} bytes, more than the limit of {limit} bytes per case"
    )]
    CaseTooLarge {
        /// The sum of the sizes of the case's distinct files.
        total: u64,
        /// The limit.
        limit: u64,
    },
    /// More or fewer bytes than the reference says.
    #[error("{sha256}: {actual} bytes, the reference says {expected}")]
    SizeMismatch {
        /// The reference's digest.
        sha256: String,
        /// The reference's size.
        expected: u64,
        /// The bytes received (at least, when more came than expected).
        actual: u64,
    },
    /// The bytes do not hash to the reference's digest.
    #[error("the bytes hash to {actual}, the reference says {expected}")]
    DigestMismatch {
        /// The reference's digest.
        expected: String,
        /// The digest of the bytes.
        actual: String,
    },
    /// Served with another media type than the reference's.
    #[error("{sha256}: served as {actual:?}, the reference says {expected:?}")]
    MediaTypeMismatch {
        /// The reference's digest.
        sha256: String,
        /// The reference's media type.
        expected: String,
        /// The media type served.
        actual: String,
    },
    /// No signed request document.
    #[error("no {header} header: sign the request (§23.3)")]
    RequestMissing {
        /// The header's name.
        header: &'static str,
    },
    /// The request document cannot be read.
    #[error("the signed request document is not valid: {reason}")]
    RequestInvalid {
        /// Why.
        reason: String,
    },
    /// The request document names another request.
    #[error("the signed request document says {member} {signed:?}, the request is for {actual:?}")]
    RequestMismatch {
        /// The member that differs.
        member: &'static str,
        /// What the document says.
        signed: String,
        /// What the request is.
        actual: String,
    },
    /// The request document is not valid now.
    #[error("the signed request document is not valid now: {reason}")]
    RequestStale {
        /// Why.
        reason: String,
    },
    /// The request document was used before.
    #[error("request {id} of {requester} was used before")]
    RequestReplayed {
        /// The requester.
        requester: String,
        /// The request's id.
        id: String,
    },
}

impl FileError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            FileError::TooLarge { .. } => "file.too_large",
            FileError::CaseTooLarge { .. } => "file.case_too_large",
            FileError::SizeMismatch { .. } => "file.size_mismatch",
            FileError::DigestMismatch { .. } => "file.digest_mismatch",
            FileError::MediaTypeMismatch { .. } => "file.media_type_mismatch",
            FileError::RequestMissing { .. } => "file.request_missing",
            FileError::RequestInvalid { .. } => "file.request_invalid",
            FileError::RequestMismatch { .. } => "file.request_mismatch",
            FileError::RequestStale { .. } => "file.request_stale",
            FileError::RequestReplayed { .. } => "file.request_replayed",
        }
    }
}

/// Why a sealed box is refused or does not open (§24).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SealError {
    /// A member of the box cannot be decoded.
    #[error("sealed box: {member} {reason}")]
    Malformed {
        /// The member, e.g. `enc`.
        member: String,
        /// What is wrong.
        reason: String,
    },
    /// A sealing suite this implementation does not know.
    #[error("unsupported sealing suite {suite:?}")]
    UnsupportedSuite {
        /// The suite named.
        suite: String,
    },
    /// The box's suite is not the expected one.
    #[error("the box is sealed with {suite}, not {expected}")]
    WrongSuite {
        /// The box's suite.
        suite: String,
        /// The suite of its agreement or key.
        expected: String,
    },
    /// The box names a key that is not one of the receiver's.
    #[error("the box is sealed to key {key_id}, which is not one of the receiver's sealing keys")]
    UnknownKey {
        /// The key named.
        key_id: String,
    },
    /// The receiver lists no usable sealing key.
    #[error("{receiver} lists no {suite} sealing key valid at {at}")]
    NoKey {
        /// The receiver.
        receiver: String,
        /// The suite needed.
        suite: String,
        /// The message's creation time.
        at: String,
    },
    /// The message was created outside the key's validity window.
    #[error("sealing key {key_id} is valid from {valid_from} until {valid_until}, not at {at}")]
    KeyOutsideValidity {
        /// The key.
        key_id: String,
        /// The message's creation time.
        at: String,
        /// Start of validity.
        valid_from: String,
        /// End of validity.
        valid_until: String,
    },
    /// The key was revoked.
    #[error("sealing key {key_id} was revoked at {revoked}")]
    KeyRevoked {
        /// The key.
        key_id: String,
        /// When it was revoked.
        revoked: String,
    },
    /// The key's grace period after `valid_until` is over.
    #[error("sealing key {key_id} was retired: valid until {valid_until}, opened until 7 days and 300 s later, and it is {now}")]
    KeyRetired {
        /// The key.
        key_id: String,
        /// End of validity.
        valid_until: String,
        /// The receiver's time.
        now: String,
    },
    /// The box does not open under its context.
    #[error("the box sealed to key {key_id} does not open under this message's context")]
    OpenFailed {
        /// The key it is sealed to.
        key_id: String,
    },
    /// A given ephemeral secret is not what the suite draws.
    #[error("{suite} seals with {expected} bytes of ephemeral secret, not these {given}")]
    Ephemeral {
        /// The suite.
        suite: String,
        /// The length it draws.
        expected: usize,
        /// The length given.
        given: usize,
    },
    /// A body that must travel sealed travels in clear.
    #[error("a {message_type} of protocol {protocol} to {receiver}, who lists sealing key {key_id}, travels in clear; its body must be sealed (§24.5)")]
    Required {
        /// The message type.
        message_type: String,
        /// The message's protocol version.
        protocol: String,
        /// The receiver.
        receiver: String,
        /// The key it must be sealed to.
        key_id: String,
    },
}

impl SealError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            SealError::Malformed { .. } => "seal.malformed",
            SealError::Required { .. } => "seal.required",
            SealError::UnsupportedSuite { .. } => "seal.unsupported_suite",
            SealError::WrongSuite { .. } => "seal.wrong_suite",
            SealError::UnknownKey { .. } => "seal.unknown_key",
            SealError::NoKey { .. } => "seal.no_key",
            SealError::KeyOutsideValidity { .. } => "seal.key_outside_validity",
            SealError::KeyRevoked { .. } => "seal.key_revoked",
            SealError::KeyRetired { .. } => "seal.key_retired",
            SealError::OpenFailed { .. } => "seal.open_failed",
            SealError::Ephemeral { .. } => "seal.ephemeral",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ERROR_CODES;
    use std::collections::BTreeSet;

    #[test]
    fn codes_are_unique_and_dotted() {
        let mut seen = BTreeSet::new();
        for (code, meaning) in ERROR_CODES {
            assert!(seen.insert(*code), "duplicate code {code}");
            assert!(code.contains('.') && !meaning.is_empty(), "{code}");
        }
    }

    #[test]
    fn a_path_at_the_top_level_says_so() {
        let top = crate::json::parse(br#"{"a":1,"a":2}"#).expect_err("duplicate");
        assert_eq!(top.to_string(), r#"duplicate key "a" at the top level"#);
        let nested = crate::json::parse(br#"{"b":{"a":1,"a":2}}"#).expect_err("duplicate");
        assert_eq!(nested.to_string(), r#"duplicate key "a" at /b"#);
    }
}
