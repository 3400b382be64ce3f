//! HTTP over the simulated network: the client side (one connection per request, with
//! timeouts in virtual time) and the server side (hyper serving an axum router on a
//! simulated listener). TLS is not simulated: an `https://` endpoint is reached with
//! plain HTTP on port 443 of the host its URL names.

use axum::body::Bytes;
use axum::http::{header, Method, Request};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use std::time::Duration;
use tongban::client::{Answer, Posting, Transport};
use tongban::http::MEDIA_TYPE;
use tongban::json::Limits;

/// The simulated network's transport for a node's outbox.
#[derive(Debug, Clone)]
pub struct SimTransport {
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Time allowed for the whole request.
    pub request_timeout: Duration,
}

impl Transport for SimTransport {
    fn post<'a>(&'a self, url: &'a str, body: &'a [u8]) -> Posting<'a> {
        Box::pin(async move {
            let (host, port, path) = split_url(url)?;
            request(
                &host,
                port,
                Method::POST,
                &path,
                Some(body),
                None,
                (self.connect_timeout, self.request_timeout),
            )
            .await
        })
    }
}

/// Host, port and path of an `http://` or `https://` URL.
pub fn split_url(url: &str) -> Result<(String, u16, String), String> {
    let (rest, default_port) = if let Some(rest) = url.strip_prefix("https://") {
        (rest, 443)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (rest, 80)
    } else {
        return Err(format!("not an http(s) URL: {url}"));
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>()
                .map_err(|_| format!("bad port in {url}"))?,
        ),
        None => (authority, default_port),
    };
    let path = if path.is_empty() { "/" } else { path };
    Ok((host.to_string(), port, path.to_string()))
}

/// One HTTP/1.1 request on a fresh simulated connection, `body` (if any) sent as
/// `application/json`, with `bearer` (if any) as its bearer token, within the
/// connect and request timeouts. The answer keeps the headers the client reads.
pub async fn request(
    host: &str,
    port: u16,
    method: Method,
    path: &str,
    body: Option<&[u8]>,
    bearer: Option<&str>,
    (connect_timeout, request_timeout): (Duration, Duration),
) -> Result<Answer, String> {
    let exchange = async {
        let stream = tokio::time::timeout(
            connect_timeout,
            turmoil::net::TcpStream::connect((host, port)),
        )
        .await
        .map_err(|_| format!("connecting to {host}:{port} timed out"))?
        .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake with {host}: {e}"))?;
        let connection = tokio::spawn(connection);
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, host);
        if body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, MEDIA_TYPE);
        }
        if let Some(token) = bearer {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = builder
            .body(Full::new(Bytes::copy_from_slice(body.unwrap_or_default())))
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("request to {host}: {e}"))?;
        let status = response.status().as_u16();
        let headers = Answer::headers_of(response.headers());
        let limit = Limits::PROTOCOL.max_bytes;
        let body = Limited::new(response.into_body(), limit)
            .collect()
            .await
            .map_err(|e| format!("reading the answer of {host}: {e}"))?
            .to_bytes()
            .to_vec();
        drop(sender);
        connection.abort();
        Ok(Answer {
            status,
            headers,
            body,
        })
    };
    tokio::time::timeout(request_timeout, exchange)
        .await
        .unwrap_or_else(|_| Err(format!("request to {host} timed out")))
}

/// Serves `router` on `port` of this simulated host until the host stops, one task
/// per connection.
pub async fn serve(port: u16, router: axum::Router) -> Result<(), String> {
    let listener = turmoil::net::TcpListener::bind(("0.0.0.0", port))
        .await
        .map_err(|e| format!("cannot bind port {port}: {e}"))?;
    loop {
        let (stream, _) = listener
            .accept()
            .await
            .map_err(|e| format!("accepting on port {port}: {e}"))?;
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            // A connection that breaks (a crash, a partition) just ends.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn urls_split_into_host_port_and_path() {
        assert_eq!(
            split_url("https://jiujiang.example/tongban/v1/messages"),
            Ok((
                "jiujiang.example".into(),
                443,
                "/tongban/v1/messages".into()
            ))
        );
        assert_eq!(
            split_url("http://operator:9001"),
            Ok(("operator".into(), 9001, "/".into()))
        );
        assert!(split_url("ftp://x/").is_err());
        assert!(split_url("http://x:port/").is_err());
    }
}
