//! (1.1, PROTOCOL.md §21.5) Endpoints whose certificate key the registry names: the
//! certificate is checked as usual (chain to the trusted roots, name, validity), then its
//! key against the pins the registry lists for the member whose endpoint is on that host.
//! A mismatch fails the handshake, before a byte of the message is sent.

use crate::digest::Sha256Digest;
use crate::registry::Registry;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, RootCertStore, SignatureScheme};
use std::net::IpAddr;
use std::sync::Arc;

/// Which keys an endpoint on a host may present (§21.5): given the host of the URL (a
/// name, or an IP address without brackets), the pins the registry lists for the member
/// whose endpoint is there, or `None` where no member there lists any (the certificate
/// is then checked as usual only).
pub type EndpointKeys = Arc<dyn Fn(&str) -> Option<Vec<Sha256Digest>> + Send + Sync>;

/// The TLS keys an endpoint on `host` may present under `registry` (§21.5): the
/// `tls_keys` of the members whose endpoint URL names that host, read with the URL
/// parser the client connects with (so that a name's case or trailing dot, or an IP
/// address's spelling, cannot make them differ); `None` where none of them lists any.
/// Members on one host with different ports share their pins.
pub fn endpoint_keys(registry: &Registry, host: &str) -> Option<Vec<Sha256Digest>> {
    let mut listed: Option<Vec<Sha256Digest>> = None;
    for member in &registry.document().members {
        let Some(keys) = &member.tls_keys else {
            continue;
        };
        let Ok(url) = reqwest::Url::parse(&member.endpoint) else {
            continue; // the client cannot connect to it either
        };
        if url.host_str().is_some_and(|named| same_host(named, host)) {
            listed
                .get_or_insert_with(Vec::new)
                .extend(keys.iter().cloned());
        }
    }
    listed
}

/// Whether a URL's host (an IPv6 address in brackets) and a TLS server name are one
/// host: equal addresses, or names equal but for case and a final dot.
fn same_host(named: &str, host: &str) -> bool {
    let unbracketed = |h: &str| -> String {
        h.strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(h)
            .to_string()
    };
    let (named, host) = (unbracketed(named), unbracketed(host));
    match (named.parse::<IpAddr>(), host.parse::<IpAddr>()) {
        (Ok(a), Ok(b)) => a == b,
        (Err(_), Err(_)) => named
            .trim_end_matches('.')
            .eq_ignore_ascii_case(host.trim_end_matches('.')),
        _ => false,
    }
}

/// The pin of a certificate's key (§21.5): the SHA-256 of its DER `SubjectPublicKeyInfo`,
/// as `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum` prints.
pub fn key_pin(certificate: &CertificateDer<'_>) -> Result<Sha256Digest, rustls::Error> {
    let parsed = rustls::server::ParsedCertificate::try_from(certificate)?;
    Ok(Sha256Digest::of(parsed.subject_public_key_info().as_ref()))
}

/// An endpoint's key that the registry does not list for its host. rustls shows it
/// with `Debug` in its error text, so `Debug` says what `Display` says.
struct NotListed {
    pin: Sha256Digest,
    host: String,
}

impl std::fmt::Debug for NotListed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl std::fmt::Display for NotListed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the endpoint's TLS key {} is not one the registry lists for {}",
            self.pin, self.host
        )
    }
}

impl std::error::Error for NotListed {}

/// The usual check, then the registry's pins.
struct PinnedEndpoints {
    usual: Arc<WebPkiServerVerifier>,
    keys: EndpointKeys,
}

impl std::fmt::Debug for PinnedEndpoints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinnedEndpoints").finish_non_exhaustive()
    }
}

impl ServerCertVerifier for PinnedEndpoints {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verified = self.usual.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let host = match server_name {
            ServerName::DnsName(name) => name.as_ref().to_string(),
            ServerName::IpAddress(address) => std::net::IpAddr::from(*address).to_string(),
            _ => return Ok(verified),
        };
        let Some(pins) = (self.keys)(&host) else {
            return Ok(verified);
        };
        let pin = key_pin(end_entity)?;
        if pins.contains(&pin) {
            return Ok(verified);
        }
        Err(rustls::Error::InvalidCertificate(CertificateError::Other(
            OtherError(Arc::new(NotListed { pin, host })),
        )))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signed: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.usual
            .verify_tls12_signature(message, certificate, signed)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signed: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.usual
            .verify_tls13_signature(message, certificate, signed)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.usual.supported_verify_schemes()
    }
}

/// A rustls client configuration that trusts `roots_pem` (or the web's roots), presents
/// `identity_pem` (chain and key) to an endpoint that asks, and checks endpoints' keys
/// against `keys`; or why it cannot be built.
pub(super) fn config(
    roots_pem: Option<&[u8]>,
    identity_pem: Option<&[u8]>,
    keys: EndpointKeys,
) -> Result<rustls::ClientConfig, String> {
    let mut roots = RootCertStore::empty();
    match roots_pem {
        Some(pem) => {
            for certificate in CertificateDer::pem_slice_iter(pem) {
                let certificate = certificate.map_err(|e| format!("roots: {e}"))?;
                roots.add(certificate).map_err(|e| format!("roots: {e}"))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let usual = WebPkiServerVerifier::builder(Arc::new(roots))
        .build()
        .map_err(|e| format!("roots: {e}"))?;
    let builder = rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedEndpoints { usual, keys }));
    let mut config = match identity_pem {
        None => builder.with_no_client_auth(),
        Some(pem) => {
            let chain = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("identity: {e}"))?;
            let key = PrivateKeyDer::from_pem_slice(pem).map_err(|e| format!("identity: {e}"))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("identity: {e}"))?
        }
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    // A resumed session is not checked again: every connection is checked against the
    // registry in force when it is made.
    config.resumption = rustls::client::Resumption::disabled();
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_keeps_its_pins_however_its_host_is_spelt() {
        let pin = |byte: u8| Sha256Digest::of(&[byte]);
        let registry = {
            let mut document = crate::sample::registry_document(1, &[0, 1, 2], 2).expect("doc");
            let endpoints = [
                "https://Jiujiang.Example./tongban/v1",
                "https://[2001:DB8:0::7]:8443/x",
                "https://127.1/x",
                "https://someone@wuhan.example/x",
                "https://hub.example:7400/a",
                "https://hub.example:7401/b",
            ];
            for (i, endpoint) in endpoints.iter().enumerate() {
                document.members[i].endpoint = (*endpoint).into();
                document.members[i].tls_keys = Some(vec![pin(i as u8)]);
            }
            document.members[6].endpoint = "https://unpinned.example/x".into();
            let bytes = crate::sample::signed_registry(&document, &[0, 1]).expect("sign");
            let issued = document.issued.clone();
            Registry::bootstrap(&bytes, &issued).expect("registry")
        };
        let keys = |host: &str| endpoint_keys(&registry, host);
        assert_eq!(keys("jiujiang.example"), Some(vec![pin(0)]));
        assert_eq!(keys("JIUJIANG.example."), Some(vec![pin(0)]));
        assert_eq!(keys("2001:db8::7"), Some(vec![pin(1)]));
        assert_eq!(keys("127.0.0.1"), Some(vec![pin(2)]));
        assert_eq!(
            keys("wuhan.example"),
            Some(vec![pin(3)]),
            "user information is no host"
        );
        assert_eq!(
            keys("hub.example"),
            Some(vec![pin(4), pin(5)]),
            "one host, two ports"
        );
        assert_eq!(keys("unpinned.example"), None);
        assert_eq!(keys("elsewhere.example"), None);
    }
}
