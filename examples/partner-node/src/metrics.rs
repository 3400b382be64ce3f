//! What an operator's Prometheus scrapes: the node's counters and histograms in the
//! OpenMetrics text format, at `GET /operator/v1/metrics` (see [`crate::operator`]).
//!
//! Names and labels follow OpenTelemetry's semantic conventions for messaging
//! (`messaging.client.consumed.messages`, `messaging.process.duration`, …, with dots
//! written as underscores, as Prometheus writes them); the node's own series start with
//! `tongban_`. Every series carries `messaging_system="tongban"`. No label holds a case,
//! a person or a partner, and `error_type` is a documented code or `other` (a partner's
//! refusal may carry any code): the cardinality stays fixed, and a scraper learns
//! volumes and error codes, never who sent what.
//!
//! | series | kind | labels |
//! |---|---|---|
//! | `messaging_client_consumed_messages_total` | counter: messages posted to the endpoint | `outcome` (`accepted`, `replayed`, `refused`), `error_type` (the refusal's code) |
//! | `messaging_process_duration_seconds` | histogram: from the whole body read to the answer (the receipt's latency) | `outcome` |
//! | `messaging_client_sent_messages_total` | counter: delivery rounds of the outbox | `outcome` (`delivered`, `retry`, `failed`), `error_type` |
//! | `messaging_client_operation_duration_seconds` | histogram: one delivery round, retries within it included | `outcome` |
//! | `tongban_outbox_messages` | gauge: outbound messages by state (`pending` is the outbox's depth) | `status` |
//! | `tongban_file_fetches` | gauge: files to fetch from partners, by state | `status` |
//! | `tongban_file_bytes_total` | counter: file bytes | `direction` (`uploaded`, `served`, `fetched`) |
//! | `tongban_registry_expiry_seconds` | gauge: seconds until the registry in force expires (negative once it has) | |

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use std::collections::BTreeMap;
use std::time::Duration;

/// The Content-Type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The system every series names, OpenTelemetry's `messaging.system`.
const SYSTEM: &str = "tongban";

/// The labels of a message received or delivered.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Exchange {
    messaging_system: &'static str,
    messaging_operation_name: &'static str,
    outcome: &'static str,
    error_type: Option<String>,
}

/// The labels of a duration.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Timed {
    messaging_system: &'static str,
    messaging_operation_name: &'static str,
    outcome: &'static str,
}

/// The labels of a gauge by state.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct State {
    messaging_system: &'static str,
    status: String,
}

/// The labels of file bytes by direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct Direction {
    messaging_system: &'static str,
    direction: String,
}

type Durations = Family<Timed, Histogram, fn() -> Histogram>;

/// Durations from 1 ms to about 33 s, doubling.
fn durations() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// What a message posted to the endpoint came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// Verified, applied and stored: its receipt was given.
    Accepted,
    /// Received before: its first receipt was given again.
    Replayed,
    /// Refused, with this code.
    Refused,
}

impl Received {
    fn as_str(self) -> &'static str {
        match self {
            Received::Accepted => "accepted",
            Received::Replayed => "replayed",
            Received::Refused => "refused",
        }
    }
}

/// What a delivery round came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// The receiver's receipt arrived and verified.
    Delivered,
    /// It failed for now; the outbox tries again later.
    Retry,
    /// It failed for good.
    Failed,
}

impl Delivered {
    fn as_str(self) -> &'static str {
        match self {
            Delivered::Delivered => "delivered",
            Delivered::Retry => "retry",
            Delivered::Failed => "failed",
        }
    }
}

/// What the store says at the time of a scrape.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Outbound messages by delivery state.
    pub outbox: BTreeMap<String, i64>,
    /// Files to fetch by state.
    pub fetches: BTreeMap<String, i64>,
    /// Seconds until the registry in force expires.
    pub registry_expiry_seconds: i64,
}

/// The node's metrics, shared by its tasks.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    received: Family<Exchange, Counter>,
    receive_durations: Durations,
    deliveries: Family<Exchange, Counter>,
    delivery_durations: Durations,
    outbox: Family<State, Gauge>,
    fetches: Family<State, Gauge>,
    file_bytes: Family<Direction, Counter>,
    registry_expiry: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// The series, all at zero.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let received = Family::<Exchange, Counter>::default();
        registry.register(
            "messaging_client_consumed_messages",
            "Messages posted to the protocol endpoint, by outcome and refusal code",
            received.clone(),
        );
        let receive_durations = Durations::new_with_constructor(durations);
        registry.register_with_unit(
            "messaging_process_duration",
            "From a message's whole body read to its answer (the receipt's latency)",
            Unit::Seconds,
            receive_durations.clone(),
        );
        let deliveries = Family::<Exchange, Counter>::default();
        registry.register(
            "messaging_client_sent_messages",
            "Delivery rounds of outbound messages, by outcome and error code",
            deliveries.clone(),
        );
        let delivery_durations = Durations::new_with_constructor(durations);
        registry.register_with_unit(
            "messaging_client_operation_duration",
            "One delivery round of an outbound message, its retries included",
            Unit::Seconds,
            delivery_durations.clone(),
        );
        let outbox = Family::<State, Gauge>::default();
        registry.register(
            "tongban_outbox_messages",
            "Outbound messages by delivery state (pending: the outbox's depth)",
            outbox.clone(),
        );
        let fetches = Family::<State, Gauge>::default();
        registry.register(
            "tongban_file_fetches",
            "Files to fetch from partners, by state",
            fetches.clone(),
        );
        let file_bytes = Family::<Direction, Counter>::default();
        registry.register_with_unit(
            "tongban_file",
            "File bytes uploaded by the operator, served to partners and fetched from them",
            Unit::Bytes,
            file_bytes.clone(),
        );
        let registry_expiry = Gauge::default();
        registry.register_with_unit(
            "tongban_registry_expiry",
            "Time until the registry in force expires (negative once it has)",
            Unit::Seconds,
            registry_expiry.clone(),
        );
        Metrics {
            registry,
            received,
            receive_durations,
            deliveries,
            delivery_durations,
            outbox,
            fetches,
            file_bytes,
            registry_expiry,
        }
    }

    /// Counts a message posted to the endpoint, answered after `took`.
    pub fn received(&self, outcome: Received, code: Option<&str>, took: Duration) {
        exchanged(
            &self.received,
            &self.receive_durations,
            "receive",
            outcome.as_str(),
            code,
            took,
        );
    }

    /// Counts a delivery round of the outbox that took `took`.
    pub fn delivered(&self, outcome: Delivered, code: Option<&str>, took: Duration) {
        exchanged(
            &self.deliveries,
            &self.delivery_durations,
            "send",
            outcome.as_str(),
            code,
            took,
        );
    }

    /// The counter of file bytes going `direction` (`uploaded`, `served`, `fetched`).
    pub fn file_bytes(&self, direction: &str) -> Counter {
        self.file_bytes
            .get_or_create(&Direction {
                messaging_system: SYSTEM,
                direction: direction.to_string(),
            })
            .clone()
    }

    /// The text a scrape gets, with the store's gauges as `snapshot` says.
    pub fn encode(&self, snapshot: &Snapshot) -> String {
        set_all(
            &self.outbox,
            &snapshot.outbox,
            &["pending", "delivered", "failed"],
        );
        set_all(&self.fetches, &snapshot.fetches, &["pending", "complete"]);
        self.registry_expiry.set(snapshot.registry_expiry_seconds);
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Sets each gauge of `family` to its count, zero for the `known` states not counted.
fn set_all(family: &Family<State, Gauge>, counts: &BTreeMap<String, i64>, known: &[&str]) {
    let state = |status: &str| State {
        messaging_system: SYSTEM,
        status: status.to_string(),
    };
    for status in known {
        family.get_or_create(&state(status)).set(0);
    }
    for (status, count) in counts {
        family.get_or_create(&state(status)).set(*count);
    }
}

/// `code` if it is one of the protocol's, the binding's, the node's or the operator
/// API's documented codes, else `other`: a partner's refusal may carry any text, and
/// no partner may add series or write into a label.
fn documented(code: &str) -> &str {
    let known = tongban::error::ERROR_CODES
        .iter()
        .chain(tongban::http::BINDING_CODES)
        .chain(crate::NODE_CODES)
        .any(|(known, _)| *known == code)
        || crate::auth::OPERATOR_CODES
            .iter()
            .any(|(known, _, _)| *known == code);
    if known {
        code
    } else {
        "other"
    }
}

fn exchanged(
    counts: &Family<Exchange, Counter>,
    durations: &Durations,
    operation: &'static str,
    outcome: &'static str,
    code: Option<&str>,
    took: Duration,
) {
    counts
        .get_or_create(&Exchange {
            messaging_system: SYSTEM,
            messaging_operation_name: operation,
            outcome,
            error_type: code.map(|code| documented(code).to_string()),
        })
        .inc();
    durations
        .get_or_create(&Timed {
            messaging_system: SYSTEM,
            messaging_operation_name: operation,
            outcome,
        })
        .observe(took.as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_each_series_with_its_labels_and_ends_as_openmetrics_requires() {
        let metrics = Metrics::new();
        metrics.received(Received::Accepted, None, Duration::from_millis(3));
        metrics.received(
            Received::Refused,
            Some("signature.invalid"),
            Duration::from_millis(1),
        );
        metrics.received(
            Received::Refused,
            Some("signature.invalid"),
            Duration::from_millis(1),
        );
        metrics.delivered(
            Delivered::Retry,
            Some("transport.unreachable"),
            Duration::from_secs(2),
        );
        metrics.file_bytes("served").inc_by(4096);
        let snapshot = Snapshot {
            outbox: BTreeMap::from([("pending".into(), 7)]),
            fetches: BTreeMap::new(),
            registry_expiry_seconds: -5,
        };
        // A partner's refusal with a code of its own making is counted as `other`.
        metrics.delivered(
            Delivered::Failed,
            Some("made.up\"code{x=\"1\"}"),
            Duration::from_secs(1),
        );
        let text = metrics.encode(&snapshot);
        for line in [
            r#"messaging_client_consumed_messages_total{messaging_system="tongban",messaging_operation_name="receive",outcome="refused",error_type="signature.invalid"} 2"#,
            r#"messaging_client_consumed_messages_total{messaging_system="tongban",messaging_operation_name="receive",outcome="accepted",error_type=""} 1"#,
            r#"messaging_process_duration_seconds_count{messaging_system="tongban",messaging_operation_name="receive",outcome="refused"} 2"#,
            r#"messaging_client_sent_messages_total{messaging_system="tongban",messaging_operation_name="send",outcome="retry",error_type="transport.unreachable"} 1"#,
            r#"tongban_outbox_messages{messaging_system="tongban",status="pending"} 7"#,
            r#"tongban_outbox_messages{messaging_system="tongban",status="failed"} 0"#,
            r#"tongban_file_fetches{messaging_system="tongban",status="complete"} 0"#,
            r#"tongban_file_bytes_total{messaging_system="tongban",direction="served"} 4096"#,
            "tongban_registry_expiry_seconds -5",
            r#"messaging_client_sent_messages_total{messaging_system="tongban",messaging_operation_name="send",outcome="failed",error_type="other"} 1"#,
            "# TYPE messaging_process_duration_seconds histogram",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\nnot in\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
