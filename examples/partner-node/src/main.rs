//! `partner-node --config node.toml`: runs the reference partner node until Ctrl-C or
//! SIGTERM. Logs go to standard error; set `RUST_LOG` (default `info`) to choose.

use clap::Parser;
use partner_node::{start, Config};
use std::path::PathBuf;
use std::process::ExitCode;

/// The reference partner node of the tongban case-transfer protocol.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The configuration file (TOML).
    #[arg(long, short)]
    config: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let running = match Config::load(&args.config) {
        Ok(config) => start(config).await,
        Err(e) => Err(e),
    };
    let running = match running {
        Ok(running) => running,
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            return ExitCode::from(2);
        }
    };
    wait_for_signal().await;
    tracing::info!("shutting down");
    running.stop().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
