//! HTTPS on the protocol endpoint, with optional mutual TLS, as X-Road's security
//! servers speak between members: the node serves its certificate, the outbox presents
//! the same certificate to partners that ask for one and trusts only the configured
//! certificate authorities (the alliance's own) for theirs.
//!
//! ```toml
//! [tls]
//! certificate_file = "tls/jiujiang.crt.pem"  # this node's certificate chain (PEM), leaf first
//! key_file = "tls/jiujiang.key.pem"          # its private key (PEM; mode 600)
//! ca_file = "tls/alliance-ca.pem"            # the certificate authorities of partners' endpoints
//! require_client_certificates = true         # mutual TLS: partners must present a certificate
//!                                            # that a CA of ca_file issued
//! registry_named_clients = true              # (1.1, PROTOCOL.md §21.5) and whose key a member
//!                                            # lists in the registry's `tls_keys`; each
//!                                            # message's sender must be that member
//! ```
//!
//! With `registry_named_clients` the registry in force is the trust anchor: a certificate
//! is admitted in the handshake only if its key (the SHA-256 of its `SubjectPublicKeyInfo`)
//! is listed for a member, and is within its validity period; with
//! `require_client_certificates` it must also chain to `ca_file`. Every request is checked
//! again against the registry in force then: a message from another member than the key's
//! is refused with `tls.wrong_member`, and so is a request over a connection whose key a
//! registry update removed. The node logs its own key's pin when it starts, for the
//! operator to list.
//!
//! Without `[tls]` the endpoint speaks plain HTTP, which the node allows only on a
//! loopback address or with `behind_tls_terminator = true` (a proxy in front of it
//! speaks HTTPS to partners); see [`crate::config`].

use crate::error::NodeError;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio_rustls::TlsAcceptor;
use tongban::client::{key_pin, ClientTls};
use tongban::registry::Registry;
use tongban::{Sha256Digest, Timestamp};

/// The `[tls]` table as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFile {
    /// This node's certificate chain, PEM, leaf first.
    pub certificate_file: PathBuf,
    /// Its private key, PEM (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
    /// The certificate authorities that issue partners' certificates, PEM. Without it
    /// the outbox trusts the usual web roots and no client certificate can be required.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Whether a partner must present a certificate issued by a CA of `ca_file`.
    #[serde(default)]
    pub require_client_certificates: bool,
    /// (1.1, §21.5) Whether a partner must present a certificate whose key a member
    /// lists in the registry's `tls_keys`, and send only its own messages over it.
    #[serde(default)]
    pub registry_named_clients: bool,
}

/// The loaded TLS settings: what the endpoint serves and admits, and the outbox's
/// client settings.
#[derive(Clone)]
pub struct Tls {
    /// Whether partners must present a client certificate.
    pub mutual: bool,
    /// (§21.5) Whether that certificate's key must be one the registry names for the
    /// sender of each message sent over it.
    pub registry_named_clients: bool,
    /// What the outbox trusts and presents, without the registry's endpoint keys
    /// ([`Tls::client`] adds them).
    pub client: ClientTls,
    /// When the node's own certificate (the chain's first) stops being valid.
    pub certificate_expires: Timestamp,
    /// The pin of the node's own certificate key, as members list it in `tls_keys`.
    pub own_pin: Sha256Digest,
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    /// The CA check of client certificates, when `require_client_certificates`.
    authority: Option<Arc<dyn ClientCertVerifier>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("mutual", &self.mutual)
            .field("registry_named_clients", &self.registry_named_clients)
            .finish_non_exhaustive()
    }
}

/// The registry in force, shared by the node, its endpoint's client verifier and its
/// outbox's endpoint check: an installed update counts from the next handshake on.
pub type SharedRegistry = Arc<RwLock<Arc<Registry>>>;

/// The registry in force now.
pub fn in_force(registry: &SharedRegistry) -> Arc<Registry> {
    registry.read().unwrap_or_else(|p| p.into_inner()).clone()
}

/// The key of a connection's client certificate, as its pin (§21.5): the SHA-256 of the
/// certificate's DER `SubjectPublicKeyInfo`. The listener attaches it to every request
/// of a TLS connection whose client presented a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientKey(pub Sha256Digest);

/// Admits a client certificate whose key a member of the registry in force lists
/// (§21.5), after the CA's check when there is one, or else within its validity period.
struct RegistryNamedClients {
    authority: Option<Arc<dyn ClientCertVerifier>>,
    registry: SharedRegistry,
    algorithms: WebPkiSupportedAlgorithms,
}

impl std::fmt::Debug for RegistryNamedClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryNamedClients")
            .field("with_authority", &self.authority.is_some())
            .finish_non_exhaustive()
    }
}

/// Refuses a certificate for `reason`, logged for the operator.
fn not_admitted(reason: String) -> rustls::Error {
    tracing::warn!("client certificate refused: {reason}");
    rustls::Error::InvalidCertificate(CertificateError::ApplicationVerificationFailure)
}

/// The validity period of `certificate`, `notBefore` and `notAfter` in Unix seconds.
fn validity(certificate: &CertificateDer<'_>) -> Result<(i64, i64), String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate.as_ref())
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let validity = parsed.validity();
    Ok((
        validity.not_before.timestamp(),
        validity.not_after.timestamp(),
    ))
}

/// Whether `certificate` is valid at `now`; the certificate error rustls names otherwise.
fn within_validity(certificate: &CertificateDer<'_>, now: UnixTime) -> Result<(), rustls::Error> {
    let (not_before, not_after) = validity(certificate)
        .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
    let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if now < not_before {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidYet,
        ));
    }
    if now > not_after {
        return Err(rustls::Error::InvalidCertificate(CertificateError::Expired));
    }
    Ok(())
}

impl ClientCertVerifier for RegistryNamedClients {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        match &self.authority {
            Some(authority) => authority.root_hint_subjects(),
            None => &[],
        }
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        match &self.authority {
            Some(authority) => {
                authority.verify_client_cert(end_entity, intermediates, now)?;
            }
            None => within_validity(end_entity, now)?,
        }
        let pin = key_pin(end_entity).map_err(|e| not_admitted(e.to_string()))?;
        let registry = in_force(&self.registry);
        match registry.member_of_tls_key(&pin) {
            Some(_) => Ok(ClientCertVerified::assertion()),
            None => Err(not_admitted(format!(
                "its key {pin} is listed for no member in registry version {}",
                registry.version()
            ))),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signed: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        match &self.authority {
            Some(authority) => authority.verify_tls12_signature(message, certificate, signed),
            None => rustls::crypto::verify_tls12_signature(
                message,
                certificate,
                signed,
                &self.algorithms,
            ),
        }
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signed: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        match &self.authority {
            Some(authority) => authority.verify_tls13_signature(message, certificate, signed),
            None => rustls::crypto::verify_tls13_signature(
                message,
                certificate,
                signed,
                &self.algorithms,
            ),
        }
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        match &self.authority {
            Some(authority) => authority.supported_verify_schemes(),
            None => self.algorithms.supported_schemes(),
        }
    }
}

fn bad(field: &str, reason: impl std::fmt::Display) -> NodeError {
    NodeError::Config {
        reason: format!("tls.{field}: {reason}"),
    }
}

fn read(field: &str, path: &Path) -> Result<Vec<u8>, NodeError> {
    std::fs::read(path).map_err(|e| bad(field, format!("cannot read {}: {e}", path.display())))
}

/// The certificates of a PEM file, at least one; or why not.
fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not PEM certificates: {e}"))?;
    if certificates.is_empty() {
        return Err("holds no certificate (-----BEGIN CERTIFICATE-----)".into());
    }
    Ok(certificates)
}

/// The certificate authorities of a PEM file, as the roots a TLS client or a client
/// certificate verifier trusts; or why they cannot be.
pub(crate) fn authorities(pem: &[u8]) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    for certificate in certificates(pem)? {
        store
            .add(certificate)
            .map_err(|e| format!("not a CA certificate: {e}"))?;
    }
    Ok(store)
}

/// When `certificate` stops being valid (its `notAfter`).
fn expiry(certificate: &CertificateDer<'_>) -> Result<Timestamp, NodeError> {
    let (_, not_after) = validity(certificate).map_err(|reason| bad("certificate_file", reason))?;
    Timestamp::from_unix_seconds(not_after).map_err(|e| {
        bad(
            "certificate_file",
            format!("its notAfter cannot be read: {e}"),
        )
    })
}

impl Tls {
    /// Reads and checks the files of `file`, resolving paths with `resolve`: the key
    /// must belong to the certificate, and `require_client_certificates` needs a
    /// `ca_file`. The key file, like the node's signing key, must not be readable by
    /// group or others.
    pub fn load(file: &TlsFile, resolve: impl Fn(&Path) -> PathBuf) -> Result<Tls, NodeError> {
        let certificate_pem = read("certificate_file", &resolve(&file.certificate_file))?;
        let chain =
            certificates(&certificate_pem).map_err(|reason| bad("certificate_file", reason))?;
        let certificate_expires = expiry(&chain[0])?;
        if certificate_expires.unix_seconds() <= Timestamp::now().unix_seconds() {
            return Err(bad(
                "certificate_file",
                format!(
                    "the certificate expired at {certificate_expires}: partners would refuse every connection; install its successor"
                ),
            ));
        }
        let key_path = resolve(&file.key_file);
        crate::config::owner_only(&key_path).map_err(|reason| bad("key_file", reason))?;
        let key_pem = read("key_file", &key_path)?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem)
            .map_err(|e| bad("key_file", format!("no PEM private key: {e}")))?;
        let roots = match &file.ca_file {
            None => None,
            Some(path) => {
                let pem = read("ca_file", &resolve(path))?;
                let store = authorities(&pem).map_err(|reason| bad("ca_file", reason))?;
                Some((pem, Arc::new(store)))
            }
        };
        let authority: Option<Arc<dyn ClientCertVerifier>> =
            match (&roots, file.require_client_certificates) {
                (_, false) => None,
                (None, true) => {
                    return Err(bad(
                        "require_client_certificates",
                        "needs ca_file: the authorities whose certificates partners present",
                    ))
                }
                (Some((_, store)), true) => Some(
                    WebPkiClientVerifier::builder(store.clone())
                        .build()
                        .map_err(|e| bad("ca_file", e))?,
                ),
            };
        let own_pin = key_pin(&chain[0]).map_err(|e| bad("certificate_file", e))?;
        // A newline between the two: a key file without a final one would otherwise run
        // its END line into the certificate's BEGIN line.
        let mut identity = key_pem;
        identity.push(b'\n');
        identity.extend_from_slice(&certificate_pem);
        let tls = Tls {
            mutual: file.require_client_certificates || file.registry_named_clients,
            registry_named_clients: file.registry_named_clients,
            client: ClientTls {
                roots_pem: roots.map(|(pem, _)| pem),
                identity_pem: Some(identity),
                endpoint_keys: None,
            },
            certificate_expires,
            own_pin,
            chain,
            key: Arc::new(key),
            authority,
        };
        // The key must fit the certificate: checked now, not when the endpoint starts.
        tls.server_config(None)?;
        Ok(tls)
    }

    /// The endpoint's acceptor: it serves the node's certificate and admits client
    /// certificates as configured, reading the registry in force from `registry` for
    /// `registry_named_clients`.
    pub fn acceptor(&self, registry: &SharedRegistry) -> Result<TlsAcceptor, NodeError> {
        let verifier: Option<Arc<dyn ClientCertVerifier>> = if self.registry_named_clients {
            Some(Arc::new(RegistryNamedClients {
                authority: self.authority.clone(),
                registry: registry.clone(),
                algorithms: rustls::crypto::ring::default_provider()
                    .signature_verification_algorithms,
            }))
        } else {
            self.authority.clone()
        };
        self.server_config(verifier)
    }

    /// The server configuration with client certificates checked by `verifier`, or
    /// none asked for.
    fn server_config(
        &self,
        verifier: Option<Arc<dyn ClientCertVerifier>>,
    ) -> Result<TlsAcceptor, NodeError> {
        let builder = rustls::ServerConfig::builder();
        let builder = match verifier {
            Some(verifier) => builder.with_client_cert_verifier(verifier),
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| bad("key_file", format!("does not fit the certificate: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        if self.mutual {
            // A resumed session skips the client certificate's checks (its validity, the
            // registry in force): every connection is a full handshake instead.
            config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            config.send_tls13_tickets = 0;
        }
        Ok(TlsAcceptor::from(Arc::new(config)))
    }

    /// What the outbox and the fetcher trust and present: see [`client_tls`].
    pub fn client(&self, registry: &SharedRegistry) -> ClientTls {
        ClientTls {
            endpoint_keys: Some(endpoint_keys(registry)),
            ..self.client.clone()
        }
    }
}

/// The keys `registry` (the one in force at each handshake) lists for each endpoint's
/// host (§21.5).
fn endpoint_keys(registry: &SharedRegistry) -> tongban::client::EndpointKeys {
    let registry = registry.clone();
    Arc::new(move |host: &str| tongban::client::endpoint_keys(&in_force(&registry), host))
}

/// What the outbox and the fetcher of a node with `tls` (or none) trust and present,
/// with every endpoint's key checked against the `tls_keys` that the registry in force
/// lists for its host, where its members list any (§21.5): with `[tls]` or without.
pub fn client_tls(tls: Option<&Tls>, registry: &SharedRegistry) -> ClientTls {
    match tls {
        Some(tls) => tls.client(registry),
        None => ClientTls {
            endpoint_keys: Some(endpoint_keys(registry)),
            ..ClientTls::default()
        },
    }
}
