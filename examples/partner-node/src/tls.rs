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
//! ```
//!
//! Without `[tls]` the endpoint speaks plain HTTP, which the node allows only on a
//! loopback address or with `behind_tls_terminator = true` (a proxy in front of it
//! speaks HTTPS to partners); see [`crate::config`].

use crate::error::NodeError;
use rustls::server::WebPkiClientVerifier;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tongban::client::ClientTls;
use tongban::Timestamp;

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
}

/// The loaded TLS settings: the endpoint's acceptor and the outbox's client settings.
#[derive(Clone)]
pub struct Tls {
    /// Accepts the endpoint's connections.
    pub acceptor: TlsAcceptor,
    /// Whether partners must present a client certificate.
    pub mutual: bool,
    /// What the outbox trusts and presents.
    pub client: ClientTls,
    /// When the node's own certificate (the chain's first) stops being valid.
    pub certificate_expires: Timestamp,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("mutual", &self.mutual)
            .finish_non_exhaustive()
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
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate.as_ref())
        .map_err(|e| bad("certificate_file", format!("not an X.509 certificate: {e}")))?;
    let not_after = parsed.validity().not_after.timestamp();
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
        let builder = rustls::ServerConfig::builder();
        let builder = match (&roots, file.require_client_certificates) {
            (_, false) => builder.with_no_client_auth(),
            (None, true) => {
                return Err(bad(
                    "require_client_certificates",
                    "needs ca_file: the authorities whose certificates partners present",
                ))
            }
            (Some((_, store)), true) => {
                let verifier = WebPkiClientVerifier::builder(store.clone())
                    .build()
                    .map_err(|e| bad("ca_file", e))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| bad("key_file", format!("does not fit the certificate: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        // A newline between the two: a key file without a final one would otherwise run
        // its END line into the certificate's BEGIN line.
        let mut identity = key_pem;
        identity.push(b'\n');
        identity.extend_from_slice(&certificate_pem);
        Ok(Tls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            mutual: file.require_client_certificates,
            client: ClientTls {
                roots_pem: roots.map(|(pem, _)| pem),
                identity_pem: Some(identity),
            },
            certificate_expires,
        })
    }
}
