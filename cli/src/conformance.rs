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
        /// Write a JUnit XML report here.
        #[arg(long)]
        junit: Option<PathBuf>,
        /// Write a JSON report here.
        #[arg(long, name = "json-report")]
        json_report: Option<PathBuf>,
        /// Write a self-contained HTML report here.
        #[arg(long)]
        html: Option<PathBuf>,
        /// Only list the vectors that would run.
        #[arg(long)]
        list: bool,
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
            junit,
            json_report,
            html,
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
            write_report(junit.as_ref(), &report::junit(&name, &results))?;
            write_report(json_report.as_ref(), &report::json_report(&name, &results))?;
            write_report(html.as_ref(), &report::html(&name, &results))?;
            let summary = report::summary(&name, &results);
            let (_, total) = report::counts(&results);
            if total.failed > 0 || total.passed == 0 {
                // The summary with every failure goes to standard error, so that the
                // standard output of --json stays one JSON object.
                eprint!("{summary}");
                return Err(Failure {
                    code: "conformance.failed",
                    message: if total.failed > 0 {
                        format!("{} of {} vectors failed", total.failed, results.len())
                    } else {
                        "no vector passed: the implementation skipped everything".to_string()
                    },
                });
            }
            Ok(Output::Text(summary))
        }
    }
}
