//! Where probes run: the one seam between a step and the machine it looks at. Every command a
//! probe runs and every file it reads goes through [`Host`], so probing a remote server (over
//! SSH, say) means adding one implementation here and changing no step. Every call ends by the
//! step's [`Deadline`], so no caller keeps a limit of its own.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::process::Process;
use crate::deadline::Deadline;

/// Bytes kept of a command's stdout and of its stderr; the rest is read and dropped, so a chatty
/// command neither blocks on a full pipe nor fills memory.
pub const MAX_OUTPUT_BYTES: usize = 1024 * 1024;

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
    /// The deadline passed; the command (and every process it started) was killed. What it
    /// had printed until then is kept.
    TimedOut { stdout: String, stderr: String },
    /// It could not be started for another reason (permissions, not a program).
    Start(io::Error),
}

/// What a probe needs to know about a file.
#[derive(Debug, Clone)]
pub struct FileFacts {
    pub is_dir: bool,
    /// Its length in bytes.
    pub size: u64,
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

/// The start of a file, read up to a limit: a probe never holds more of a file than it may show.
#[derive(Debug, Clone)]
pub struct FileStart {
    /// At most the limit's worth of the file's first bytes.
    pub bytes: Vec<u8>,
    /// Whether the file holds more than the limit, so `bytes` is not all of it.
    pub cut: bool,
}

/// What became of a TCP connection attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Accepted,
    /// Refused, unreachable or unresolved, with the reason the system gave.
    Refused(String),
    TimedOut,
}

/// The machine probes look at. Every call ends by `deadline`: a command is then killed with
/// everything it started, and any other call answers an error of kind
/// [`io::ErrorKind::TimedOut`] (see [`timed_out`]).
#[async_trait]
pub trait Host: Send + Sync + fmt::Debug {
    /// How messages name this machine: `this machine`, `web1`.
    fn name(&self) -> String;

    /// Runs `invocation`, killing it and everything it started when `deadline` passes.
    async fn run(&self, invocation: &Invocation, deadline: Deadline) -> Result<Finished, RunError>;

    /// Reads a whole file (files probes read are small: crontabs, site files, `/proc` entries).
    async fn read(&self, path: &Path, deadline: Deadline) -> io::Result<Vec<u8>>;

    /// The first `limit` bytes of a file, and whether there is more: for files a feature names,
    /// which may be of any size (a log, a release archive).
    async fn read_start(&self, path: &Path, limit: u64, deadline: Deadline) -> io::Result<FileStart>;

    /// What a symbolic link holds, as written (`releases/2026.12.1`, relative to the link's
    /// folder, or an absolute path); an error of kind [`io::ErrorKind::InvalidInput`] when
    /// `path` is there but is no link.
    async fn read_link(&self, path: &Path, deadline: Deadline) -> io::Result<PathBuf>;

    /// When the path itself last changed, not following a symbolic link: a release marker that
    /// is a link changes when it is pointed at the new release (`ln -sfn`), which the folder it
    /// points to does not.
    async fn link_modified(&self, path: &Path, deadline: Deadline) -> io::Result<SystemTime>;

    /// Facts about a path, following symbolic links (a dangling link does not exist).
    async fn metadata(&self, path: &Path, deadline: Deadline) -> io::Result<FileFacts>;

    /// The names in a folder.
    async fn list_dir(&self, path: &Path, deadline: Deadline) -> io::Result<Vec<String>>;

    /// Where `program` would be found: in `first` (in order), then on the `PATH`; an error
    /// only when the host could not be asked.
    async fn find_program(
        &self,
        program: &str,
        first: &[PathBuf],
        deadline: Deadline,
    ) -> io::Result<Option<PathBuf>>;

    /// Opens a TCP connection to `host:port` from this machine (so `localhost` is the machine's
    /// own loopback) by `deadline`; an error only when the machine could not be asked.
    async fn connect_tcp(&self, host: &str, port: u16, deadline: Deadline) -> io::Result<Connection>;

    /// Every process running on the machine. Processes that end while being read are left out.
    async fn processes(&self, deadline: Deadline) -> io::Result<Vec<Process>>;

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
    async fn time_zone(&self, deadline: Deadline) -> Option<String> {
        let invocation = Invocation {
            program: "sh".into(),
            args: vec![
                "-c".into(),
                "cat /etc/timezone 2>/dev/null || readlink /etc/localtime".into(),
            ],
            ..Invocation::default()
        };
        let finished = self.run(&invocation, deadline).await.ok()?;
        zone_name(&finished.stdout)
    }
}

/// The error a call that `deadline` cut short answers, naming the host and the limit.
pub fn timed_out(host: &str, deadline: Deadline) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("{host} did not answer within {deadline}"),
    )
}

/// `Europe/Berlin` from `/etc/timezone`'s text or from the `/etc/localtime` link's target
/// (`/usr/share/zoneinfo/Europe/Berlin`).
fn zone_name(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|line| !line.is_empty())?;
    let name = line.split_once("zoneinfo/").map_or(line, |(_, name)| name);
    (!name.is_empty() && !name.starts_with('/')).then(|| name.to_owned())
}

/// Reads a pipe to its end, keeping the first `limit` bytes; says whether any were dropped.
pub(super) async fn drain<R: AsyncRead + Unpin>(
    pipe: &mut Option<R>,
    kept: &mut Vec<u8>,
    limit: usize,
) -> bool {
    let Some(pipe) = pipe else { return false };
    let mut chunk = [0u8; 8192];
    let mut dropped = false;
    loop {
        match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => return dropped,
            Ok(read) => {
                let room = limit.saturating_sub(kept.len());
                kept.extend_from_slice(&chunk[..read.min(room)]);
                dropped |= read > room;
            }
        }
    }
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
}
