//! Who may use the operator API: it signs and sends in the node's name and shows
//! applicants' personal data, so every request must carry the node's operator token
//! (`Authorization: Bearer <token>`), name the operator API itself in `Host` (so that
//! DNS rebinding gets nowhere), come from no foreign web page (`Origin`), and send
//! its body as `application/json` (so that a page cannot send it as a "simple"
//! request, which browsers send without a preflight).
//!
//! The token is a secret of at least 32 characters in a file only its owner can read
//! (`operator_token_file` in the configuration; `partner-node new-token` writes one).
//! The node keeps its SHA-256 and compares the SHA-256 of what a request presents in
//! constant time, so neither the token's characters nor its length leak through timing.

use crate::error::NodeError;
use crate::node::Refusal;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::path::Path;
use subtle::ConstantTimeEq;
use tongban::http::{ErrorBody, MEDIA_TYPE};

/// Codes of the operator API's own refusals (documented in the README), with their
/// HTTP status: the guard's, then the API's.
pub const OPERATOR_CODES: &[(&str, u16, &str)] = &[
    (
        "operator.unauthorized",
        401,
        "no operator token, or not this node's: send Authorization: Bearer <token>",
    ),
    (
        "operator.host",
        403,
        "the Host header does not name the operator API (a DNS rebinding attempt, or a name missing from operator_hosts)",
    ),
    (
        "operator.origin",
        403,
        "the request comes from a web page of another origin",
    ),
    (
        "http.media_type",
        415,
        "a POST or PUT whose Content-Type is not application/json (application/octet-stream for a file upload)",
    ),
    (
        "operator.ambiguous_case",
        409,
        "several windows have a case with this id: ask for /operator/v1/cases/{window}/{case}",
    ),
    (
        "operator.file_missing",
        409,
        "a message to send references a file this node does not hold: upload it first (POST /operator/v1/files)",
    ),
    (
        "operator.registry_without_node",
        422,
        "the registry offered for installation does not list this node with its current key",
    ),
];

/// The shortest token the node accepts, in characters.
pub const MIN_TOKEN_LENGTH: usize = 32;

/// The operator token: its secret, for a client in the same process, and its SHA-256,
/// against which requests are checked. `Debug` never shows the secret.
#[derive(Clone)]
pub struct OperatorToken {
    secret: String,
    digest: [u8; 32],
}

impl std::fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OperatorToken(<secret>)")
    }
}

/// The setting that names the operator token's file.
const OPERATOR_TOKEN_SETTING: &str = "operator_token_file";

fn bad_token(setting: &str, reason: impl std::fmt::Display) -> NodeError {
    NodeError::Config {
        reason: format!("{setting}: {reason}"),
    }
}

impl OperatorToken {
    /// A token from its secret: at least [`MIN_TOKEN_LENGTH`] visible ASCII characters.
    pub fn from_secret(secret: &str) -> Result<OperatorToken, NodeError> {
        OperatorToken::from_secret_of(secret, OPERATOR_TOKEN_SETTING)
    }

    /// [`OperatorToken::from_secret`], its errors naming `setting`.
    fn from_secret_of(secret: &str, setting: &str) -> Result<OperatorToken, NodeError> {
        if secret.len() < MIN_TOKEN_LENGTH {
            return Err(bad_token(
                setting,
                format!(
                    "the token has {} characters; at least {MIN_TOKEN_LENGTH} are required (partner-node new-token writes one)",
                    secret.len()
                ),
            ));
        }
        if !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad_token(
                setting,
                "the token may hold visible ASCII characters only (no spaces or control characters)",
            ));
        }
        Ok(OperatorToken {
            secret: secret.to_string(),
            digest: Sha256::digest(secret.as_bytes()).into(),
        })
    }

    /// A new random token: 32 bytes from the system's random source, base64url.
    pub fn generate() -> Result<OperatorToken, NodeError> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(|e| {
            bad_token(
                OPERATOR_TOKEN_SETTING,
                format!("no system random source: {e}"),
            )
        })?;
        OperatorToken::from_secret(&tongban::crypto::base64url(&bytes))
    }

    /// Reads the token from `path` (one line; surrounding whitespace is ignored). On
    /// Unix the file must not be readable or writable by group or others.
    pub fn load(path: &Path) -> Result<OperatorToken, NodeError> {
        OperatorToken::load_setting(path, OPERATOR_TOKEN_SETTING)
    }

    /// [`OperatorToken::load`] for the file of another setting (`metrics_token_file`),
    /// which its errors name.
    pub fn load_setting(path: &Path, setting: &str) -> Result<OperatorToken, NodeError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| bad_token(setting, format!("cannot read {}: {e}", path.display())))?;
        crate::config::owner_only(path).map_err(|reason| bad_token(setting, reason))?;
        OperatorToken::from_secret_of(text.trim(), setting)
    }

    /// Writes the token to a new file at `path` that only its owner can read and write;
    /// an existing file is never overwritten.
    pub fn write_new(&self, path: &Path) -> Result<(), NodeError> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|e| {
            bad_token(
                OPERATOR_TOKEN_SETTING,
                format!("cannot create {}: {e}", path.display()),
            )
        })?;
        writeln!(file, "{}", self.secret).map_err(|e| {
            bad_token(
                OPERATOR_TOKEN_SETTING,
                format!("cannot write {}: {e}", path.display()),
            )
        })
    }

    /// The secret, for a client of this node's operator API.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Whether `presented` is this token, compared in constant time.
    pub fn matches(&self, presented: &[u8]) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented).into();
        self.digest.ct_eq(&digest).into()
    }
}

/// What the operator API lets through: requests with the token, to one of its host
/// names, from no foreign origin.
#[derive(Debug, Clone)]
pub struct OperatorGuard {
    token: OperatorToken,
    /// A token that may read [`METRICS_PATH`] and nothing else.
    metrics_token: Option<OperatorToken>,
    hosts: Vec<String>,
}

impl OperatorGuard {
    /// The guard of an operator API bound to `address`: `Host` may be the address
    /// itself, `localhost:<port>` when it is a loopback address (and the loopback
    /// addresses too when it is the unspecified address, `0.0.0.0`), or one of `names`
    /// (the configuration's `operator_hosts`, written as clients write `Host`:
    /// `name:port`, or `name` alone for port 80).
    pub fn new(token: OperatorToken, address: SocketAddr, names: &[String]) -> OperatorGuard {
        let port = address.port();
        let mut hosts = vec![address.to_string()];
        if address.ip().is_loopback() || address.ip().is_unspecified() {
            hosts.push(format!("localhost:{port}"));
        }
        if address.ip().is_unspecified() {
            hosts.push(format!("127.0.0.1:{port}"));
            hosts.push(format!("[::1]:{port}"));
        }
        hosts.extend(names.iter().cloned());
        for host in &mut hosts {
            host.make_ascii_lowercase();
        }
        OperatorGuard {
            token,
            metrics_token: None,
            hosts,
        }
    }

    /// The same guard, letting `token` (if any) read the metrics, with `GET`, and
    /// nothing else: a scraper holds a credential that cannot act.
    pub fn with_metrics_token(mut self, token: Option<OperatorToken>) -> OperatorGuard {
        self.metrics_token = token;
        self
    }

    /// Why a request is refused before it reaches a handler, if it is.
    #[cfg(test)]
    fn check(&self, method: &Method, headers: &HeaderMap) -> Result<(), Refusal> {
        self.check_at(method, "", headers)
    }

    /// [`OperatorGuard::check`] for a request to `path`: a file upload
    /// ([`UPLOAD_PATH`]) is sent as `application/octet-stream`, which no web page can
    /// send without a preflight either; every other body as JSON.
    fn check_at(&self, method: &Method, path: &str, headers: &HeaderMap) -> Result<(), Refusal> {
        let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
        let host = text(header::HOST).unwrap_or("").to_ascii_lowercase();
        if !self.hosts.contains(&host) {
            return Err(refused(
                "operator.host",
                format!("Host {host:?} does not name this operator API"),
            ));
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("").to_ascii_lowercase();
            let own = ["http://", "https://"].iter().any(|scheme| {
                origin
                    .strip_prefix(scheme)
                    .is_some_and(|rest| self.hosts.iter().any(|h| h == rest))
            });
            if !own {
                return Err(refused(
                    "operator.origin",
                    format!("requests from {origin:?} are refused"),
                ));
            }
        }
        let presented = text(header::AUTHORIZATION).and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().as_bytes())
        });
        let reads_metrics = method == Method::GET && path == METRICS_PATH;
        let allowed = presented.is_some_and(|token| {
            self.token.matches(token)
                || (reads_metrics
                    && self
                        .metrics_token
                        .as_ref()
                        .is_some_and(|m| m.matches(token)))
        });
        if !allowed {
            return Err(refused(
                "operator.unauthorized",
                "send this node's operator token: Authorization: Bearer <token>",
            ));
        }
        let has_body = method == Method::POST || method == Method::PUT;
        let wanted = if path == UPLOAD_PATH {
            UPLOAD_MEDIA_TYPE
        } else {
            MEDIA_TYPE
        };
        if has_body && !is_media_type(text(header::CONTENT_TYPE).unwrap_or(""), wanted) {
            return Err(refused(
                "http.media_type",
                format!("send the request as {wanted}"),
            ));
        }
        Ok(())
    }
}

/// The operator API's metrics, which the metrics token may read too.
pub const METRICS_PATH: &str = "/operator/v1/metrics";

/// The operator API's file upload, whose body is the file itself.
pub const UPLOAD_PATH: &str = "/operator/v1/files";

/// The media type of an upload's body.
pub const UPLOAD_MEDIA_TYPE: &str = "application/octet-stream";

/// Whether a Content-Type is `wanted`, with or without parameters.
fn is_media_type(content_type: &str, wanted: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(wanted))
}

/// A refusal with one of [`OPERATOR_CODES`].
pub(crate) fn refused(code: &str, message: impl Into<String>) -> Refusal {
    let status = OPERATOR_CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or(403, |(_, status, _)| *status);
    Refusal {
        status,
        body: ErrorBody {
            code: code.into(),
            message: message.into(),
        },
    }
}

/// The middleware: refuses what [`OperatorGuard`] does not let through, before any
/// handler (and so any storage work) runs.
pub async fn guard(State(guard): State<OperatorGuard>, request: Request, next: Next) -> Response {
    match guard.check_at(request.method(), request.uri().path(), request.headers()) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            let unauthorized = refusal.status == 401;
            let mut response = refusal.into_response();
            if unauthorized {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"operator\""),
                );
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_address_answers_to_its_loopback_names_too() {
        let token = OperatorToken::from_secret(&"t".repeat(40)).expect("token");
        let g = OperatorGuard::new(token, ([0, 0, 0, 0], 7401).into(), &["ops.example".into()]);
        let bearer = format!("Bearer {}", "t".repeat(40));
        for host in [
            "127.0.0.1:7401",
            "localhost:7401",
            "[::1]:7401",
            "ops.example",
        ] {
            let ok = [("host", host), ("authorization", bearer.as_str())];
            assert_eq!(code(g.check(&Method::GET, &headers(&ok))), "ok", "{host}");
        }
        let other = [
            ("host", "ops.example:8080"),
            ("authorization", bearer.as_str()),
        ];
        assert_eq!(
            code(g.check(&Method::GET, &headers(&other))),
            "operator.host"
        );
    }

    #[test]
    fn the_metrics_token_reads_the_metrics_and_nothing_else() {
        let metrics = OperatorToken::from_secret(&"m".repeat(40)).expect("token");
        let g = guard().with_metrics_token(Some(metrics));
        let bearer = format!("Bearer {}", "m".repeat(40));
        let with = [
            ("host", "127.0.0.1:7401"),
            ("authorization", bearer.as_str()),
        ];
        let at = |method: &Method, path: &str| code(g.check_at(method, path, &headers(&with)));
        assert_eq!(at(&Method::GET, METRICS_PATH), "ok");
        for (method, path) in [
            (Method::GET, "/operator/v1/cases"),
            (Method::GET, "/operator/v1/health"),
            (Method::GET, "/operator/v1/metrics/"),
            (Method::GET, "/operator/v1//metrics"),
            (Method::POST, "/operator/v1/messages"),
            (Method::POST, METRICS_PATH),
            (Method::PUT, "/operator/v1/registry"),
        ] {
            assert_eq!(
                at(&method, path),
                "operator.unauthorized",
                "{method} {path}"
            );
        }
        // The operator token reads the metrics too; without a metrics token configured,
        // another token reads nothing.
        let operator = format!("Bearer {}", "t".repeat(40));
        let with = [
            ("host", "127.0.0.1:7401"),
            ("authorization", operator.as_str()),
        ];
        assert_eq!(
            code(g.check_at(&Method::GET, METRICS_PATH, &headers(&with))),
            "ok"
        );
        let without = guard();
        let with = [
            ("host", "127.0.0.1:7401"),
            ("authorization", bearer.as_str()),
        ];
        assert_eq!(
            code(without.check_at(&Method::GET, METRICS_PATH, &headers(&with))),
            "operator.unauthorized"
        );
    }

    fn guard() -> OperatorGuard {
        let token = OperatorToken::from_secret(&"t".repeat(40)).expect("token");
        OperatorGuard::new(token, ([127, 0, 0, 1], 7401).into(), &[])
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("value"));
        }
        map
    }

    fn code(result: Result<(), Refusal>) -> String {
        result.err().map_or_else(|| "ok".into(), |r| r.body.code)
    }

    #[test]
    fn only_the_token_to_the_right_host_from_no_foreign_page_gets_through() {
        let g = guard();
        let bearer = format!("Bearer {}", "t".repeat(40));
        let ok = [
            ("host", "127.0.0.1:7401"),
            ("authorization", bearer.as_str()),
        ];
        assert_eq!(code(g.check(&Method::GET, &headers(&ok))), "ok");
        let localhost = [
            ("host", "LOCALHOST:7401"),
            ("authorization", bearer.as_str()),
        ];
        assert_eq!(code(g.check(&Method::GET, &headers(&localhost))), "ok");
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("host", "127.0.0.1:7401")], "operator.unauthorized"),
            (
                &[("host", "127.0.0.1:7401"), ("authorization", "Bearer tttt")],
                "operator.unauthorized",
            ),
            (
                &[("host", "127.0.0.1:7401"), ("authorization", "Basic dDp0")],
                "operator.unauthorized",
            ),
            (
                &[("host", "evil.example:7401"), ("authorization", &bearer)],
                "operator.host",
            ),
            (&[("authorization", &bearer)], "operator.host"),
            (
                &[
                    ("host", "127.0.0.1:7401"),
                    ("authorization", &bearer),
                    ("origin", "http://evil.example"),
                ],
                "operator.origin",
            ),
            (
                &[
                    ("host", "127.0.0.1:7401"),
                    ("authorization", &bearer),
                    ("origin", "null"),
                ],
                "operator.origin",
            ),
        ];
        for (pairs, expected) in cases {
            assert_eq!(
                code(g.check(&Method::GET, &headers(pairs))),
                *expected,
                "{pairs:?}"
            );
        }
        let same_origin = [
            ("host", "127.0.0.1:7401"),
            ("authorization", bearer.as_str()),
            ("origin", "http://127.0.0.1:7401"),
            ("content-type", "application/json; charset=utf-8"),
        ];
        assert_eq!(code(g.check(&Method::POST, &headers(&same_origin))), "ok");
        let text_plain = [
            ("host", "127.0.0.1:7401"),
            ("authorization", bearer.as_str()),
            ("content-type", "text/plain"),
        ];
        assert_eq!(
            code(g.check(&Method::POST, &headers(&text_plain))),
            "http.media_type"
        );
    }

    #[test]
    fn short_or_spaced_tokens_and_files_others_can_read_are_refused() {
        assert!(OperatorToken::from_secret("short").is_err());
        assert!(OperatorToken::from_secret(&format!("{} x", "t".repeat(40))).is_err());
        let generated = OperatorToken::generate().expect("token");
        assert!(generated.secret().len() >= MIN_TOKEN_LENGTH);
        assert!(generated.matches(generated.secret().as_bytes()));
        assert!(!generated.matches(b""));
        assert_eq!(format!("{generated:?}"), "OperatorToken(<secret>)");
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("operator.token");
        generated.write_new(&path).expect("written");
        assert!(generated.write_new(&path).is_err(), "never overwritten");
        let loaded = OperatorToken::load(&path).expect("loaded");
        assert!(loaded.matches(generated.secret().as_bytes()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            let error = OperatorToken::load(&path).expect_err("readable by others");
            assert!(error.to_string().contains("chmod 600"), "{error}");
        }
    }
}
