//! `tongban conformance …`: list, run and regenerate the conformance vectors.

use crate::{Failure, Output, USAGE};
use clap::Subcommand;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use tongban_conformance::run::{self, Adapter, Implementation, Sdk};
use tongban_conformance::{report, vector};

/// Conformance operations.
#[derive(Subcommand)]
pub(crate) enum ConformanceCommand {
    /// List the vectors (id and description).
    List {
        /// Only vectors whose id contains this text.
        #[arg(long)]
        filter: Option<String>,
        /// The vectors folder (default: the suite's own).
        #[arg(long)]
        vectors: Option<PathBuf>,
    },
    /// Run the vectors against the Rust SDK, or against an adapter program.
    Run {
        /// Only vectors whose id contains this text.
        #[arg(long)]
        filter: Option<String>,
        /// The vectors folder (default: the suite's own).
        #[arg(long)]
        vectors: Option<PathBuf>,
        /// A command speaking the adapter protocol (one JSON request and response per
        /// line); default: the Rust SDK in-process.
        #[arg(long)]
        adapter: Option<String>,
        #[command(flatten)]
        reports: Reports,
        /// Only list the vectors that would run.
        #[arg(long)]
        list: bool,
    },
    /// Drive a live node over the HTTP binding through scripted exchanges (a valid
    /// transfer, a duplicate, each kind of refusal, a whole case). With no --url, start
    /// the reference node on loopback and test it.
    Endpoint {
        /// The node's endpoint URL as in the registry (…/tongban/v1).
        #[arg(long, requires = "registry")]
        url: Option<String>,
        /// The signed registry the node trusts.
        #[arg(long)]
        registry: Option<PathBuf>,
        /// The tester's key file (a window party to hs-jj.cross-river; default: the
        /// sample Huangshi key).
        #[arg(long)]
        key: Option<PathBuf>,
        /// The node's id, if its endpoint in the registry differs from --url.
        #[arg(long)]
        node: Option<String>,
        /// The node's operator API (the reference node's), for the whole-case check.
        #[arg(long, requires = "operator_token_file")]
        operator: Option<String>,
        /// The file holding the operator API's bearer token (mode 600).
        #[arg(long, requires = "operator")]
        operator_token_file: Option<PathBuf>,
        /// The certificate authorities trusted for the node's TLS certificate (PEM);
        /// default: the usual web roots.
        #[arg(long)]
        tls_roots: Option<PathBuf>,
        /// The tester's TLS client certificate chain and private key (PEM, one file),
        /// presented when the node asks for one (mutual TLS).
        #[arg(long)]
        tls_identity: Option<PathBuf>,
        /// The node requires TLS client keys that the registry names (PROTOCOL.md
        /// §21.5): run the tls/* checks, and only those. --tls-identity's key must be
        /// listed for the tester's member.
        #[arg(long, requires = "tls_identity")]
        registry_named_clients: bool,
        /// For tls/unlisted_key (skipped without it): a certificate and key (PEM) that
        /// the node would admit but for the registry (its authority's, say), whose key
        /// no member lists.
        #[arg(long, requires = "registry_named_clients")]
        tls_unlisted_identity: Option<PathBuf>,
        #[command(flatten)]
        reports: Reports,
    },
    /// Regenerate the vectors from the seeded generator.
    Generate {
        /// Where to write them (default: the suite's own folder).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn failure(message: String) -> Failure {
    Failure {
        code: "cli.io",
        message,
    }
}

fn selected(dir: &Path, filter: Option<&str>) -> Result<Vec<vector::Vector>, Failure> {
    if !dir.is_dir() {
        return Err(Failure {
            code: USAGE,
            message: format!(
                "no vectors at {}: pass --vectors DIR, the conformance/vectors folder of the tongban repository",
                dir.display()
            ),
        });
    }
    let vectors = vector::load(dir).map_err(failure)?;
    Ok(vectors
        .into_iter()
        .filter(|v| filter.is_none_or(|f| v.id.contains(f)))
        .collect())
}

fn write_report(path: Option<&PathBuf>, text: &str) -> Result<(), Failure> {
    match path {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| failure(format!("cannot write {}: {e}", path.display()))),
        None => Ok(()),
    }
}

fn listing(vectors: &[vector::Vector]) -> Result<Output, Failure> {
    let list: String = vectors
        .iter()
        .map(|v| format!("{:<56} {}\n", v.id, v.description))
        .collect();
    Ok(Output::Text(list))
}

pub(crate) fn run(command: ConformanceCommand) -> Result<Output, Failure> {
    match command {
        ConformanceCommand::List { filter, vectors } => {
            let dir = vectors.unwrap_or_else(vector::vectors_dir);
            listing(&selected(&dir, filter.as_deref())?)
        }
        ConformanceCommand::Endpoint {
            url,
            registry,
            key,
            node,
            operator,
            operator_token_file,
            tls_roots,
            tls_identity,
            registry_named_clients,
            tls_unlisted_identity,
            reports,
        } => {
            let tls = (tls_roots.is_some() || tls_identity.is_some())
                .then(|| {
                    tongban_conformance::endpoint::TesterTls::from_files(
                        tls_roots.as_deref(),
                        tls_identity.as_deref(),
                        tls_unlisted_identity.as_deref(),
                        registry_named_clients,
                    )
                })
                .transpose()
                .map_err(|message| Failure {
                    code: USAGE,
                    message,
                })?;
            endpoint(
                url.as_deref(),
                registry.as_deref(),
                key.as_deref(),
                node.as_deref(),
                operator.as_deref().zip(operator_token_file.as_deref()),
                tls,
                &reports,
            )
        }
        ConformanceCommand::Generate { out } => {
            let dir = out.unwrap_or_else(vector::vectors_dir);
            let count = tongban_conformance::write_vectors(&dir).map_err(failure)?;
            Ok(Output::Text(format!(
                "wrote {count} vectors to {}\n",
                dir.display()
            )))
        }
        ConformanceCommand::Run {
            filter,
            vectors,
            adapter,
            reports,
            list,
        } => {
            let dir = vectors.unwrap_or_else(vector::vectors_dir);
            let vectors = selected(&dir, filter.as_deref())?;
            if list {
                return listing(&vectors);
            }
            if vectors.is_empty() {
                return Err(Failure {
                    code: USAGE,
                    message: "no vector matches the filter".into(),
                });
            }
            let mut implementation: Box<dyn Implementation> = match &adapter {
                Some(command) => Box::new(Adapter::start(command).map_err(failure)?),
                None => Box::new(Sdk),
            };
            let name = implementation.name();
            let mut results = Vec::new();
            let mut stderr = std::io::stderr();
            let bar = stderr.is_terminal();
            let started = std::time::Instant::now();
            for (i, v) in vectors.iter().enumerate() {
                results.push(run::run_one(implementation.as_mut(), v, &dir));
                if bar {
                    let done = (i + 1) * 40 / vectors.len();
                    let _ = write!(
                        stderr,
                        "\r[{}{}] {}/{} {:<48}",
                        "#".repeat(done),
                        " ".repeat(40 - done),
                        i + 1,
                        vectors.len(),
                        v.id.chars().take(48).collect::<String>()
                    );
                }
            }
            if bar {
                let _ = writeln!(stderr);
            }
            let _ = writeln!(
                stderr,
                "ran {} vectors in {:.1} s",
                vectors.len(),
                started.elapsed().as_secs_f64()
            );
            run::enforce_category_skips(&mut results);
            finish(&name, &results, &reports, "vectors")
        }
    }
}

/// Where to write the reports of a run.
#[derive(clap::Args)]
pub(crate) struct Reports {
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Write a JSON report here.
    #[arg(long = "json-report")]
    json_report: Option<PathBuf>,
    /// Write a self-contained HTML report here.
    #[arg(long)]
    html: Option<PathBuf>,
}

/// Writes the reports and the summary; fails with `conformance.failed` if anything
/// failed or nothing passed.
fn finish(
    name: &str,
    results: &[run::CaseResult],
    reports: &Reports,
    what: &str,
) -> Result<Output, Failure> {
    write_report(reports.junit.as_ref(), &report::junit(name, results))?;
    write_report(
        reports.json_report.as_ref(),
        &report::json_report(name, results),
    )?;
    write_report(reports.html.as_ref(), &report::html(name, results))?;
    let summary = report::summary(name, results);
    let (_, total) = report::counts(results);
    if total.failed > 0 || total.passed == 0 {
        // The summary with every failure goes to standard error, so that the
        // standard output of --json stays one JSON object.
        eprint!("{summary}");
        return Err(Failure {
            code: "conformance.failed",
            message: if total.failed > 0 {
                format!("{} of {} {what} failed", total.failed, results.len())
            } else {
                format!("no {what} passed: the implementation skipped everything")
            },
        });
    }
    Ok(Output::Text(summary))
}

/// `tongban conformance endpoint`.
fn endpoint(
    url: Option<&str>,
    registry: Option<&Path>,
    key: Option<&Path>,
    node: Option<&str>,
    operator: Option<(&str, &Path)>,
    tls: Option<tongban_conformance::endpoint::TesterTls>,
    reports: &Reports,
) -> Result<Output, Failure> {
    use tongban_conformance::endpoint;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| failure(format!("cannot start the async runtime: {e}")))?;
    let started = std::time::Instant::now();
    let mut progress = |r: &run::CaseResult| {
        let mark = match &r.verdict {
            run::Verdict::Passed => "ok  ",
            run::Verdict::Failed { .. } => "FAIL",
            run::Verdict::Skipped { .. } => "skip",
        };
        eprintln!("{mark} {:<40} {:>7.1} ms", r.id, r.millis);
    };
    let (name, results) = match url {
        Some(url) => {
            let registry = registry.ok_or_else(|| Failure {
                code: USAGE,
                message: "--url needs --registry".into(),
            })?;
            let usage = |message| Failure {
                code: USAGE,
                message,
            };
            let operator = operator
                .map(|(url, token_file)| endpoint::Operator::from_file(url, token_file))
                .transpose()
                .map_err(usage)?;
            let mut target =
                endpoint::Target::from_files(url, registry, key, node, operator).map_err(usage)?;
            target.tls = tls;
            eprintln!("testing {} at {url}", target.node);
            let results = runtime.block_on(endpoint::run(&target, &mut progress));
            (format!("endpoint {url} ({})", target.node), results)
        }
        None => {
            if tls.is_some() {
                return Err(Failure {
                    code: USAGE,
                    message:
                        "the TLS options need --url (the reference node makes its own certificates)"
                            .into(),
                });
            }
            eprintln!("starting the reference node (jiujiang.360400) on loopback");
            let results = runtime
                .block_on(endpoint::run_reference(&mut progress))
                .map_err(failure)?;
            (
                "reference node (partner-node) on loopback".to_string(),
                results,
            )
        }
    };
    eprintln!(
        "ran {} checks in {:.1} s",
        results.len(),
        started.elapsed().as_secs_f64()
    );
    finish(&name, &results, reports, "checks")
}
