//! `partner-node --config node.toml`: runs the reference partner node until Ctrl-C or
//! SIGTERM. Logs go to standard error; set `RUST_LOG` (default `info`) to choose.
//!
//! `partner-node demo-setup --dir DIR`: writes a demonstration setup (Huangshi and
//! Jiujiang with the published sample keys, the sample registry with loopback
//! endpoints) and prints how to start both nodes.
//!
//! `partner-node new-token --file PATH`: writes a new operator token to a new file
//! that only its owner can read (the configuration's `operator_token_file`).

use clap::Parser;
use partner_node::{start, Config};
use std::path::PathBuf;
use std::process::ExitCode;

/// The reference partner node of the tongban case-transfer protocol.
#[derive(Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Args {
    /// The configuration file (TOML) of the node to run.
    #[arg(long, short, required = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Write a demonstration setup of two nodes on loopback (sample keys: never for
    /// real cases) and print how to start them.
    DemoSetup {
        /// The directory to write to.
        #[arg(long)]
        dir: PathBuf,
    },
    /// Write a new random operator token (32 bytes, base64url) to a new file of mode
    /// 600, for the configuration's operator_token_file.
    NewToken {
        /// The file to create (an existing file is never overwritten).
        #[arg(long)]
        file: PathBuf,
    },
}

fn new_token(file: &std::path::Path) -> ExitCode {
    let written = partner_node::auth::OperatorToken::generate().and_then(|t| t.write_new(file));
    match written {
        Ok(()) => {
            println!("wrote a new operator token to {}", file.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            ExitCode::from(2)
        }
    }
}

fn demo_setup(dir: &std::path::Path) -> ExitCode {
    use tongban::sample::{HUANGSHI, JIUJIANG};
    use tongban::ProtocolVersion;
    // Both speak 1.0 and 1.1: they exchange the files their messages reference (§23).
    let both = [ProtocolVersion::V1_0, ProtocolVersion::V1_1];
    match partner_node::demo::prepare_speaking(dir, &[HUANGSHI, JIUJIANG], &both) {
        Ok(nodes) => {
            println!("registry: {}", dir.join("registry.json").display());
            for (node, files) in nodes {
                println!(
                    "{node}: partner-node --config {}   # endpoint {}, operator token {}, operator API http://{}",
                    files.config.display(),
                    files.endpoint,
                    files.operator_token_file.display(),
                    files.operator_listen
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            ExitCode::from(2)
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    let config = match (args.command, args.config) {
        (Some(Command::DemoSetup { dir }), _) => return demo_setup(&dir),
        (Some(Command::NewToken { file }), _) => return new_token(&file),
        (None, Some(config)) => config,
        (None, None) => return ExitCode::from(2),
    };
    let running = match Config::load(&config) {
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
