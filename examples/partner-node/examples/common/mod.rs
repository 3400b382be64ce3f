//! What the examples that measure node processes share: errors with context, the
//! working directory, the `partner-node` binary of the same build, the demo setup, and
//! node processes that stop with SIGTERM.

use std::fmt::Display;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long a node may take to listen after it starts.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a node may take to stop after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Any failure, with a message that says what was being done.
pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// Adds what was being done to an error.
pub trait Context<T> {
    /// The error, prefixed with `what`.
    fn context(self, what: impl FnOnce() -> String) -> Result<T, Failure>;
}

impl<T, E: Display> Context<T> for Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, Failure> {
        self.map_err(|e| format!("{}: {e}", what()).into())
    }
}

/// The working directory: a temporary one (removed at the end unless the run fails)
/// or the one given.
pub enum WorkDir {
    /// Made for this run.
    Temporary(tempfile::TempDir),
    /// Given with `--dir`; kept.
    Given(PathBuf),
}

impl WorkDir {
    /// `given` (created if needed), or a new temporary directory named `prefix…`.
    pub fn new(given: Option<&Path>, prefix: &str) -> Result<WorkDir, Failure> {
        Ok(match given {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .context(|| format!("cannot create {}", dir.display()))?;
                WorkDir::Given(dir.to_path_buf())
            }
            None => WorkDir::Temporary(
                tempfile::Builder::new()
                    .prefix(prefix)
                    .tempdir()
                    .context(|| "cannot create a temporary directory".into())?,
            ),
        })
    }

    /// Ends the run: a temporary directory is removed if it `succeeded`, else kept
    /// (and named) so that the nodes' logs can be read.
    pub fn finish(self, succeeded: bool) {
        if let (false, WorkDir::Temporary(dir)) = (succeeded, self) {
            eprintln!(
                "kept {} for inspection (the nodes' logs are <node>.log)",
                dir.keep().display()
            );
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        match self {
            WorkDir::Temporary(dir) => dir.path(),
            WorkDir::Given(path) => path,
        }
    }
}

/// The `partner-node` binary of the same build as this example: examples are built to
/// `target/<profile>/examples/`, binaries to `target/<profile>/`. Cargo does not build
/// the binary for an example, so it must have been built before.
pub fn node_binary() -> Result<PathBuf, Failure> {
    let me = std::env::current_exe().context(|| "cannot find this executable".into())?;
    let profile_dir = me
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| format!("{} is not in target/<profile>/examples", me.display()))?;
    let binary = profile_dir.join(format!("partner-node{}", std::env::consts::EXE_SUFFIX));
    if !binary.is_file() {
        return Err(format!(
            "{} does not exist: build it first with `cargo build --release -p partner-node --bin partner-node`",
            binary.display()
        )
        .into());
    }
    Ok(binary)
}

/// Runs `partner-node demo-setup --dir DIR` and returns the configuration file of each
/// of `nodes`, in order. With `postgres` (a URL whose user may create databases), each
/// node's database is a new one on that server (`TONGBAN_DEMO_POSTGRES`).
pub fn demo_setup(
    binary: &Path,
    dir: &Path,
    nodes: &[&str],
    postgres: Option<&str>,
) -> Result<Vec<PathBuf>, Failure> {
    let mut command = Command::new(binary);
    command.arg("demo-setup").arg("--dir").arg(dir);
    match postgres {
        Some(url) => command.env("TONGBAN_DEMO_POSTGRES", url),
        None => command.env_remove("TONGBAN_DEMO_POSTGRES"),
    };
    let output = command
        .output()
        .context(|| format!("cannot run {} demo-setup", binary.display()))?;
    if !output.status.success() {
        return Err(format!(
            "partner-node demo-setup failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    nodes
        .iter()
        .map(|node| {
            let config = dir.join(node).join("node.toml");
            if !config.is_file() {
                return Err(format!("demo-setup wrote no {}", config.display()).into());
            }
            Ok(config)
        })
        .collect()
}

/// A node as a child process, stopped with SIGTERM by [`NodeProcess::stop`]
/// or, if the run ends early, when dropped.
pub struct NodeProcess {
    child: Option<Child>,
}

impl NodeProcess {
    /// Starts `partner-node --config CONFIG` with its log in `log`, in a process group
    /// of its own (so that Ctrl-C reaches this process, which then stops the node), and
    /// waits until it listens on both `addresses`.
    pub async fn start(
        binary: &Path,
        config: &Path,
        log: &Path,
        addresses: [SocketAddr; 2],
    ) -> Result<NodeProcess, Failure> {
        let log_file =
            std::fs::File::create(log).context(|| format!("cannot create {}", log.display()))?;
        let mut command = Command::new(binary);
        command
            .arg("--config")
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file);
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .context(|| format!("cannot start {}", binary.display()))?;
        let mut node = NodeProcess { child: Some(child) };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = node.child.as_mut() {
                if let Some(status) = child.try_wait().context(|| "the node process".into())? {
                    node.child = None;
                    return Err(format!(
                        "the node exited at start ({status}); its log {}:\n{}",
                        log.display(),
                        partner_node::demo::log_tail(log, 20)
                    )
                    .into());
                }
            }
            let mut listening = true;
            for address in addresses {
                listening &= tokio::net::TcpStream::connect(address).await.is_ok();
            }
            if listening {
                return Ok(node);
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the node does not listen on {} and {} after {START_TIMEOUT:?}; see {}",
                    addresses[0],
                    addresses[1],
                    log.display()
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Sends SIGTERM and waits for the node to exit; kills it if it takes longer than
    /// [`STOP_TIMEOUT`]. Returns its exit status.
    pub fn stop(&mut self) -> Result<ExitStatus, Failure> {
        let mut child = self.child.take().ok_or("the node is not running")?;
        terminate(&mut child);
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().context(|| "the node process".into())? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let status = child.wait().context(|| "the node process".into())?;
                return Err(format!(
                    "the node did not stop within {STOP_TIMEOUT:?} of SIGTERM and was killed ({status})"
                )
                .into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        if self.child.is_some() {
            if let Err(e) = self.stop() {
                eprintln!("stopping the node: {e}");
            }
        }
    }
}

/// Asks the process to stop: SIGTERM (the node then finishes the requests in flight
/// and closes its database); elsewhere than on Unix, kills it.
fn terminate(child: &mut Child) {
    #[cfg(unix)]
    {
        let sent = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !matches!(sent, Ok(status) if status.success()) {
            eprintln!("could not send SIGTERM to process {}", child.id());
        }
    }
    #[cfg(not(unix))]
    {
        let _ = child.kill();
    }
}
