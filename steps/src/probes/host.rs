//! Where probes run: the one seam between a step and the machine it looks at. Every command a
//! probe runs and every file it reads goes through [`Host`], so probing a remote server (over
//! SSH, say) means adding one implementation here and changing no step.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;
use tokio::process::Command;

use super::processes::{Process, parse_cmdline};
use crate::children::{self, ChildGroup};

/// Bytes kept of a command's stdout and of its stderr; the rest is read and dropped, so a chatty
/// command neither blocks on a full pipe nor fills memory.
pub(super) const MAX_OUTPUT_BYTES: usize = 1024 * 1024;

/// How long output is still read after the command exited, from children it left behind.
const PIPES_AFTER_EXIT: Duration = Duration::from_millis(200);

/// A command to run: a program and its arguments (never a shell line; a shell is the program
/// `sh` with `-c` when the caller decided one is needed).
#[derive(Debug, Clone, Default)]
pub struct Invocation {
    pub program: String,
    pub args: Vec<String>,
    /// Variables added to the command's environment.
    pub env: Vec<(String, String)>,
    /// Variables of shakedown's own environment the command must not inherit (passwords).
    pub env_remove: Vec<String>,
    /// Folders searched for programs before the `PATH` (a Nagios plugin folder).
    pub path_prefix: Vec<PathBuf>,
    /// The folder the command starts in.
    pub cwd: Option<PathBuf>,
}

impl Invocation {
    /// The command as a person would type it, for messages.
    pub fn display(&self) -> String {
        let mut words = vec![self.program.clone()];
        words.extend(self.args.iter().cloned());
        shell_words::join(words)
    }
}

/// A command that ran to its end.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The exit status; `None` when a signal ended the command.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Whether stdout or stderr ran past [`MAX_OUTPUT_BYTES`], so what is kept is their start.
    pub output_cut: bool,
    pub elapsed: Duration,
}

impl Finished {
    /// `exit status 2`, or `killed by a signal`.
    pub fn describe_status(&self) -> String {
        match self.code {
            Some(code) => format!("exit status {code}"),
            None => "ended by a signal".to_owned(),
        }
    }
}

/// Why a command has no exit status.
#[derive(Debug)]
pub enum RunError {
    /// The program is not where the command said, nor on the `PATH`.
    NotFound,
    /// The time limit ran out; the command (and every process it started) was killed. What it
    /// had printed until then is kept.
    TimedOut { stdout: String, stderr: String },
    /// It could not be started for another reason (permissions, not a program).
    Start(io::Error),
}

/// What a probe needs to know about a file.
#[derive(Debug, Clone)]
pub struct FileFacts {
    pub is_dir: bool,
    pub modified: Option<SystemTime>,
    /// Executable by someone (a Unix permission bit), for interpreters and plugins.
    pub executable: bool,
    /// The permission bits, setuid, setgid and sticky included (`0o640`).
    pub mode: u32,
    /// The owning user's name, or its number when the machine has no name for it.
    pub owner: String,
    /// The owning group's name, or its number when the machine has no name for it.
    pub group: String,
}

/// What became of a TCP connection attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Accepted,
    /// Refused, unreachable or unresolved, with the reason the system gave.
    Refused(String),
    TimedOut,
}

/// The machine probes look at.
#[async_trait]
pub trait Host: Send + Sync + fmt::Debug {
    /// How messages name this machine: `this machine`, `web1`.
    fn name(&self) -> String;

    /// Runs `invocation`, killing it and everything it started when `limit` runs out.
    async fn run(&self, invocation: &Invocation, limit: Duration) -> Result<Finished, RunError>;

    /// Reads a whole file (files probes read are small: crontabs, site files, `/proc` entries).
    async fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// Facts about a path, following symbolic links (a dangling link does not exist).
    async fn metadata(&self, path: &Path) -> io::Result<FileFacts>;

    /// The names in a folder.
    async fn list_dir(&self, path: &Path) -> io::Result<Vec<String>>;

    /// Where `program` would be found: in `first` (in order), then on the `PATH`; an error
    /// only when the host could not be asked.
    async fn find_program(&self, program: &str, first: &[PathBuf]) -> io::Result<Option<PathBuf>>;

    /// Opens a TCP connection to `host:port` from this machine (so `localhost` is the machine's
    /// own loopback) within `limit`; an error only when the machine could not be asked.
    async fn connect_tcp(&self, host: &str, port: u16, limit: Duration) -> io::Result<Connection>;

    /// Every process running on the machine. Processes that end while being read are left out.
    async fn processes(&self) -> io::Result<Vec<Process>>;

    /// Releases what the host holds open (a connection); the run's last call on it.
    async fn close(&self) {}

    /// Whether this is the machine shakedown runs on: relative paths in features then start at
    /// the configuration's folder; on a server they start at the SSH user's home.
    fn is_local(&self) -> bool {
        false
    }

    /// The zone the server's cron reads schedules in (`Europe/Berlin`), from `/etc/timezone` or
    /// the `/etc/localtime` link; `None` when the server does not say (or for this machine,
    /// whose zone the schedule maths reads directly).
    async fn time_zone(&self, limit: Duration) -> Option<String> {
        let invocation = Invocation {
            program: "sh".into(),
            args: vec![
                "-c".into(),
                "cat /etc/timezone 2>/dev/null || readlink /etc/localtime".into(),
            ],
            ..Invocation::default()
        };
        let finished = self.run(&invocation, limit).await.ok()?;
        zone_name(&finished.stdout)
    }
}

/// `Europe/Berlin` from `/etc/timezone`'s text or from the `/etc/localtime` link's target
/// (`/usr/share/zoneinfo/Europe/Berlin`).
fn zone_name(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|line| !line.is_empty())?;
    let name = line.split_once("zoneinfo/").map_or(line, |(_, name)| name);
    (!name.is_empty() && !name.starts_with('/')).then(|| name.to_owned())
}

/// The machine shakedown itself runs on.
#[derive(Debug, Default)]
pub struct LocalHost;

#[async_trait]
impl Host for LocalHost {
    fn is_local(&self) -> bool {
        true
    }

    async fn time_zone(&self, _: Duration) -> Option<String> {
        None
    }

    fn name(&self) -> String {
        "this machine".to_owned()
    }

    async fn run(&self, invocation: &Invocation, limit: Duration) -> Result<Finished, RunError> {
        let mark = children::new_mark();
        let mut command = Command::new(&invocation.program);
        command
            .args(&invocation.args)
            .envs(invocation.env.iter().cloned())
            .env(children::MARK_VARIABLE, &mark)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so a timeout kills the plugin's children too: a child left
            // holding the output pipe would otherwise keep the step waiting.
            .process_group(0)
            .kill_on_drop(true);
        for name in &invocation.env_remove {
            command.env_remove(name);
        }
        if !invocation.path_prefix.is_empty() {
            command.env("PATH", search_path(&invocation.path_prefix));
        }
        if let Some(cwd) = &invocation.cwd {
            command.current_dir(cwd);
        }
        let started = Instant::now();
        let mut child = command.spawn().map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => RunError::NotFound,
            _ => RunError::Start(error),
        })?;
        let group = ChildGroup::marked(&child, &mark);
        let mut stdout_pipe = child.stdout.take();
        let mut stderr_pipe = child.stderr.take();
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        // Whether output was dropped, once both pipes were read to their end.
        let mut drained_cut = None;
        let outcome = tokio::time::timeout(limit, async {
            // The exit status is the answer: a background child still holding the pipes gets a
            // moment to let go, then dies with the group below, instead of holding the step.
            let (exited, has_exited) = tokio::sync::oneshot::channel::<()>();
            let reading = async {
                let draining = async {
                    let (stdout_cut, stderr_cut) = tokio::join!(
                        drain(&mut stdout_pipe, &mut stdout),
                        drain(&mut stderr_pipe, &mut stderr)
                    );
                    drained_cut = Some(stdout_cut || stderr_cut);
                };
                tokio::select! {
                    () = draining => {}
                    () = async {
                        let _ = has_exited.await;
                        tokio::time::sleep(PIPES_AFTER_EXIT).await;
                    } => {}
                }
            };
            let waiting = async {
                let status = child.wait().await;
                let _ = exited.send(());
                status
            };
            tokio::join!(reading, waiting).1
        })
        .await;
        // A command cut at its limit dies whole, with what it moved out of its group (`setsid`);
        // one that finished keeps only the daemons it left outside its group.
        if let (Ok(Ok(_)), Some(group)) = (&outcome, group) {
            group.release();
        }
        // Reading given up after the exit cannot say what it dropped: a full buffer may be cut.
        let output_cut = drained_cut.unwrap_or_else(|| {
            [&stdout, &stderr]
                .iter()
                .any(|kept| kept.len() >= MAX_OUTPUT_BYTES)
        });
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        match outcome {
            Ok(Ok(status)) => Ok(Finished {
                code: status.code(),
                stdout: text(&stdout),
                stderr: text(&stderr),
                output_cut,
                elapsed: started.elapsed(),
            }),
            Ok(Err(error)) => Err(RunError::Start(error)),
            Err(_) => {
                kill_group(&mut child).await;
                Err(RunError::TimedOut {
                    stdout: text(&stdout),
                    stderr: text(&stderr),
                })
            }
        }
    }

    async fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        tokio::fs::read(path).await
    }

    async fn metadata(&self, path: &Path) -> io::Result<FileFacts> {
        let path = path.to_owned();
        // Names come from the user and group databases, which may be on the network (LDAP).
        tokio::task::spawn_blocking(move || local_facts(&path))
            .await
            .map_err(io::Error::other)?
    }

    async fn list_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut entries = tokio::fs::read_dir(path).await?;
        let mut names = Vec::new();
        while let Some(entry) = entries.next_entry().await? {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        Ok(names)
    }

    async fn find_program(&self, program: &str, first: &[PathBuf]) -> io::Result<Option<PathBuf>> {
        if program.contains('/') {
            let path = PathBuf::from(program);
            return Ok(self
                .metadata(&path)
                .await
                .is_ok_and(|facts| facts.executable)
                .then_some(path));
        }
        let path_var = std::env::var_os("PATH").unwrap_or_default();
        let folders = first.iter().cloned().chain(std::env::split_paths(&path_var));
        for folder in folders {
            let candidate = folder.join(program);
            if self
                .metadata(&candidate)
                .await
                .is_ok_and(|facts| facts.executable)
            {
                return Ok(Some(candidate));
            }
        }
        Ok(None)
    }

    async fn connect_tcp(&self, host: &str, port: u16, limit: Duration) -> io::Result<Connection> {
        Ok(
            match tokio::time::timeout(limit, TcpStream::connect((host, port))).await {
                Ok(Ok(_stream)) => Connection::Accepted,
                Ok(Err(error)) => Connection::Refused(error.to_string()),
                Err(_) => Connection::TimedOut,
            },
        )
    }

    async fn processes(&self) -> io::Result<Vec<Process>> {
        let proc_dir = Path::new("/proc");
        let names = self.list_dir(proc_dir).await?;
        let mut processes = Vec::new();
        for pid in names.iter().filter_map(|name| name.parse::<u32>().ok()) {
            let folder = proc_dir.join(pid.to_string());
            let Ok(comm) = self.read(&folder.join("comm")).await else {
                continue;
            };
            let args = self
                .read(&folder.join("cmdline"))
                .await
                .map(|bytes| parse_cmdline(&bytes))
                .unwrap_or_default();
            // Readable for this user's own processes (all of them as root); the others are
            // known by their kernel name.
            let exe = tokio::fs::read_link(folder.join("exe"))
                .await
                .ok()
                .map(|path| path.to_string_lossy().into_owned());
            processes.push(Process {
                pid,
                comm: String::from_utf8_lossy(&comm).trim_end().to_owned(),
                args,
                exe,
            });
        }
        Ok(processes)
    }
}

fn local_facts(path: &Path) -> io::Result<FileFacts> {
    use nix::unistd::{Gid, Group, Uid, User};
    use std::os::unix::fs::MetadataExt as _;
    let metadata = std::fs::metadata(path)?;
    let owner = User::from_uid(Uid::from_raw(metadata.uid()))
        .ok()
        .flatten()
        .map_or_else(|| metadata.uid().to_string(), |user| user.name);
    let group = Group::from_gid(Gid::from_raw(metadata.gid()))
        .ok()
        .flatten()
        .map_or_else(|| metadata.gid().to_string(), |group| group.name);
    Ok(FileFacts {
        is_dir: metadata.is_dir(),
        modified: metadata.modified().ok(),
        executable: metadata.is_file() && metadata.mode() & 0o111 != 0,
        mode: metadata.mode() & 0o7777,
        owner,
        group,
    })
}

/// `first` ahead of this process's own `PATH`.
fn search_path(first: &[PathBuf]) -> std::ffi::OsString {
    let current = std::env::var_os("PATH").unwrap_or_default();
    let folders: Vec<PathBuf> = first
        .iter()
        .cloned()
        .chain(std::env::split_paths(&current))
        .collect();
    // Only a folder name holding `:` cannot be joined; such a prefix is left out.
    std::env::join_paths(folders).unwrap_or(current)
}

/// Reads a pipe to its end, keeping the first [`MAX_OUTPUT_BYTES`]; says whether any were dropped.
pub(super) async fn drain<R: AsyncRead + Unpin>(pipe: &mut Option<R>, kept: &mut Vec<u8>) -> bool {
    let Some(pipe) = pipe else { return false };
    let mut chunk = [0u8; 8192];
    let mut dropped = false;
    loop {
        match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => return dropped,
            Ok(read) => {
                let room = MAX_OUTPUT_BYTES.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..read.min(room)]);
                dropped |= read > room;
            }
        }
    }
}

/// Kills the command's whole process group, then reaps the command itself.
async fn kill_group(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) {
        // The group may be gone already; the kill below still reaps the leader.
        let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
    let _ = child.kill().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_servers_zone_is_read_from_its_timezone_file_or_localtime_link() {
        assert_eq!(zone_name("Europe/Berlin\n").as_deref(), Some("Europe/Berlin"));
        assert_eq!(
            zone_name("/usr/share/zoneinfo/America/New_York\n").as_deref(),
            Some("America/New_York")
        );
        assert_eq!(zone_name("../usr/share/zoneinfo/UTC").as_deref(), Some("UTC"));
        assert_eq!(zone_name(""), None);
        assert_eq!(zone_name("/etc/localtime-copy"), None);
    }

    fn sh(script: &str) -> Invocation {
        Invocation {
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
            ..Invocation::default()
        }
    }

    #[tokio::test]
    async fn output_and_status_are_kept() {
        let finished = LocalHost
            .run(&sh("echo out; echo err >&2; exit 3"), Duration::from_secs(5))
            .await
            .expect("runs");
        assert_eq!(finished.code, Some(3));
        assert_eq!(finished.stdout, "out\n");
        assert_eq!(finished.stderr, "err\n");
    }

    #[tokio::test]
    async fn output_past_the_limit_is_kept_from_its_start_and_said_to_be_cut() {
        let limit = Duration::from_secs(10);
        let chatty = sh(&format!(
            "head -c {} /dev/zero | tr '\\0' x; echo done >&2",
            MAX_OUTPUT_BYTES + 1
        ));
        let finished = LocalHost.run(&chatty, limit).await.expect("runs");
        assert!(finished.output_cut);
        assert_eq!(finished.stdout.len(), MAX_OUTPUT_BYTES);
        assert_eq!(finished.stderr, "done\n");
        let exactly = sh(&format!("head -c {MAX_OUTPUT_BYTES} /dev/zero | tr '\\0' x"));
        let finished = LocalHost.run(&exactly, limit).await.expect("runs");
        assert_eq!(finished.stdout.len(), MAX_OUTPUT_BYTES);
        assert!(!finished.output_cut, "all of it was read");
    }

    #[tokio::test]
    async fn a_timeout_kills_the_command_and_its_children() {
        let started = Instant::now();
        // The background `sleep` holds stdout open: only killing the group ends the wait.
        let outcome = LocalHost
            .run(
                &sh("echo before; sleep 30 & sleep 30"),
                Duration::from_millis(300),
            )
            .await;
        let Err(RunError::TimedOut { stdout, .. }) = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(stdout, "before\n");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn a_plugin_that_exits_is_answered_by_its_status_and_its_background_child_dies() {
        let started = Instant::now();
        let finished = LocalHost
            .run(
                &sh("echo OK - fine; sleep 30 & echo $! >&2; exit 0"),
                Duration::from_secs(20),
            )
            .await
            .expect("runs");
        assert_eq!(finished.code, Some(0));
        assert_eq!(finished.stdout, "OK - fine\n");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        let sleeper: i32 = finished.stderr.trim().parse().expect("the child's pid");
        let pid = nix::unistd::Pid::from_raw(sleeper);
        let gone = (0..100).any(|_| {
            let stat = std::fs::read_to_string(format!("/proc/{sleeper}/stat")).unwrap_or_default();
            if nix::sys::signal::kill(pid, None).is_err() || stat.contains(") Z ") {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
            false
        });
        assert!(gone, "the background `sleep` {sleeper} outlived its plugin");
    }

    #[tokio::test]
    async fn a_command_cut_at_its_limit_takes_along_what_left_its_group() {
        let outcome = LocalHost
            .run(
                &sh("setsid sleep 30 & echo $! >&2; sleep 30"),
                Duration::from_millis(500),
            )
            .await;
        let Err(RunError::TimedOut { stderr, .. }) = outcome else {
            panic!("{outcome:?}")
        };
        let escapee: i32 = stderr.trim().parse().expect("the escapee's pid");
        let gone = (0..100).any(|_| {
            let stat = std::fs::read_to_string(format!("/proc/{escapee}/stat")).unwrap_or_default();
            if stat.is_empty() || stat.contains(") Z ") {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
            false
        });
        assert!(gone, "the `setsid` escapee {escapee} outlived its cut command");
    }

    #[tokio::test]
    async fn a_missing_program_is_told_apart() {
        let invocation = Invocation {
            program: "/no/such/program".into(),
            ..Invocation::default()
        };
        let outcome = LocalHost.run(&invocation, Duration::from_secs(1)).await;
        assert!(matches!(outcome, Err(RunError::NotFound)), "{outcome:?}");
        assert!(matches!(LocalHost.find_program("sh", &[]).await, Ok(Some(_))));
        assert!(matches!(
            LocalHost.find_program("no-such-program-here", &[]).await,
            Ok(None)
        ));
    }
}
