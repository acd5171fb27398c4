//! A server reached over SSH, as a probe host: every [`Host`] call is a small remote script run
//! through the host's one multiplexed connection, opened on first use and closed by
//! [`SshHost::close`] at the end of the run.

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex as StdMutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{Mutex, Semaphore};

use super::destination::{SshDestination, SshSettings};
use super::master::{Master, NO_MASTER_MARK};
use super::remote::{self, Start};
use crate::deadline::Deadline;
use crate::machine::children;
use crate::machine::host::{
    Connection, FileFacts, FileStart, Finished, Host, Invocation, MAX_OUTPUT_BYTES, RunError, drain,
    timed_out,
};
use crate::machine::process::Process;

/// Remote commands at once over one connection: sshd allows 10 sessions per connection
/// (`MaxSessions`), and a timeout needs one more to kill what ran out of time.
const MAX_SESSIONS: usize = 8;
/// How long killing a remote process group may take.
const KILL_LIMIT: Duration = Duration::from_secs(5);
/// Lines a login shell may print before the script's first line (a chatty `.bashrc`).
const MAX_NOISE_LINES: usize = 64;
/// Bytes kept of each of those lines: the group line is short, and a banner without a line end
/// must not pour into memory while it is looked through.
const MAX_HEADER_LINE_BYTES: usize = 4096;

/// A server probed over SSH as the user of its destination.
pub struct SshHost {
    name: String,
    destination: SshDestination,
    settings: SshSettings,
    connection: Mutex<ConnectionState>,
    sessions: Semaphore,
    /// The marks of remote commands that may still run on the server: those running now and
    /// those cut whose kill has not yet been confirmed. Closing kills them all first, since
    /// sshd leaves a command running when its session or connection goes.
    in_flight: Arc<StdMutex<HashSet<String>>>,
}

enum ConnectionState {
    Unopened,
    Open(Arc<Master>),
    /// The reason the first connection could not be made: the host is unreachable for this
    /// run, so its other probes fail at once instead of knocking again.
    Unreachable(String),
    /// A connection that worked was lost and could not be opened again yet; the next remote
    /// command tries, so a blip costs the probes that met it, not the rest of the run.
    Lost,
    Closed,
}

/// What a remote script did.
struct Ran {
    start: Start,
    code: Option<i32>,
    /// Its own stdout, after the lines the script starts with.
    stdout: Vec<u8>,
    stdout_cut: bool,
    stderr: Vec<u8>,
    stderr_cut: bool,
}

enum ExecError {
    /// It could not run: no connection, a lost one, or ssh itself failed.
    Failed(io::Error),
    /// Its time ran out and its process group was killed; what it had printed.
    TimedOut { stdout: Vec<u8>, stderr: Vec<u8> },
}

/// One try at running a script over a connection.
enum Attempt {
    Ran(Ran),
    /// The connection's master was gone before the command was handed to it: the command
    /// never reached the server, so it is safe to run again over a new connection.
    NoMaster,
    Failed(ExecError),
}

impl ExecError {
    /// A timeout before the command printed anything.
    fn nothing_yet() -> Self {
        Self::TimedOut {
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    }
}

impl SshHost {
    /// A host named `name` in messages; nothing connects until the first probe needs it.
    pub fn new(name: impl Into<String>, destination: SshDestination, settings: SshSettings) -> Self {
        Self {
            name: name.into(),
            destination,
            settings,
            connection: Mutex::new(ConnectionState::Unopened),
            sessions: Semaphore::new(MAX_SESSIONS),
            in_flight: Arc::default(),
        }
    }

    pub fn destination(&self) -> &SshDestination {
        &self.destination
    }

    /// Ends the connection, after killing every remote command still running over it (a run
    /// stopped by a signal); later calls fail.
    pub async fn close(&self) {
        let mut state = self.connection.lock().await;
        if let ConnectionState::Open(master) = &*state {
            let marks: Vec<String> = crate::locked::lock(&self.in_flight).iter().cloned().collect();
            if !marks.is_empty() {
                kill_group(master, None, &marks).await;
            }
            master.close().await;
        }
        *state = ConnectionState::Closed;
    }

    /// The connection, opened on first use, and opened again when it was lost or when `stale`
    /// (a connection a command found unusable) is still the current one; the flag says whether
    /// this call opened a new one after a loss.
    async fn master(&self, stale: Option<&Arc<Master>>) -> io::Result<(Arc<Master>, bool)> {
        let mut state = self.connection.lock().await;
        let again = match &*state {
            ConnectionState::Open(master)
                if master.is_alive() && !stale.is_some_and(|stale| Arc::ptr_eq(stale, master)) =>
            {
                return Ok((Arc::clone(master), false));
            }
            // The old master is killed when its last user drops it.
            ConnectionState::Open(_) | ConnectionState::Lost => true,
            ConnectionState::Unreachable(reason) => return Err(io::Error::other(reason.clone())),
            ConnectionState::Closed => {
                return Err(io::Error::other(format!(
                    "the SSH connection to {} is already closed",
                    self.name
                )));
            }
            ConnectionState::Unopened => false,
        };
        if again {
            *state = ConnectionState::Lost;
        }
        match Master::open(&self.name, &self.destination, &self.settings, again).await {
            Ok(master) => {
                let master = Arc::new(master);
                *state = ConnectionState::Open(Arc::clone(&master));
                Ok((master, again))
            }
            Err(reason) => {
                if !again {
                    *state = ConnectionState::Unreachable(reason.clone());
                }
                Err(io::Error::other(reason))
            }
        }
    }

    /// Runs `script` with `args` on the server by `deadline`, killing its process group on the
    /// server when the deadline passes or the caller stops waiting. A connection found lost
    /// before the command reached the server is opened again once, by the same deadline; a
    /// command that may have reached it is never run twice. Of its stdout, the first
    /// `stdout_limit` bytes are kept.
    async fn exec(
        &self,
        script: &str,
        args: &[String],
        deadline: Deadline,
        stdout_limit: usize,
    ) -> Result<Ran, ExecError> {
        let deadline = deadline.at();
        let mark = children::new_mark();
        let line = remote::remote_line(script, args, &mark);
        let mut stale = None;
        loop {
            let (master, reopened) = tokio::time::timeout_at(deadline, self.master(stale.as_ref()))
                .await
                .map_err(|_| ExecError::nothing_yet())?
                .map_err(ExecError::Failed)?;
            match self.attempt(&master, &line, &mark, deadline, stdout_limit).await {
                Attempt::Ran(ran) => return Ok(ran),
                Attempt::NoMaster if !reopened && stale.is_none() => stale = Some(master),
                Attempt::NoMaster => {
                    return Err(ExecError::Failed(io::Error::other(format!(
                        "ssh could not run the command on {}: the connection opened again after a loss \
                         could not be used either",
                        self.name
                    ))));
                }
                Attempt::Failed(error) => return Err(error),
            }
        }
    }

    /// Runs a remote line over `master` until `deadline`.
    async fn attempt(
        &self,
        master: &Arc<Master>,
        line: &str,
        mark: &str,
        deadline: tokio::time::Instant,
        stdout_limit: usize,
    ) -> Attempt {
        let Ok(acquired) = tokio::time::timeout_at(deadline, self.sessions.acquire()).await else {
            return Attempt::Failed(ExecError::nothing_yet());
        };
        let _session = match acquired {
            Ok(session) => session,
            Err(closed) => return Attempt::Failed(ExecError::Failed(io::Error::other(closed))),
        };
        let spawned = master
            .command(line)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(error) => return Attempt::Failed(ExecError::Failed(error)),
        };
        let group = OnceLock::new();
        let mut start = Start::Unknown;
        crate::locked::lock(&self.in_flight).insert(mark.to_owned());
        let mut killer = GroupKiller {
            master: Arc::clone(master),
            group: &group,
            mark: mark.to_owned(),
            in_flight: Arc::clone(&self.in_flight),
            armed: true,
        };
        let mut stdout_pipe = child.stdout.take().map(BufReader::new);
        let mut stderr_pipe = child.stderr.take();
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let outcome = tokio::time::timeout_at(deadline, async {
            let read_stdout = async {
                if let Some(reader) = stdout_pipe.as_mut() {
                    start = read_header(reader, &group).await;
                }
                drain(&mut stdout_pipe, &mut stdout, stdout_limit).await
            };
            let (stdout_cut, stderr_cut, status) = tokio::join!(
                read_stdout,
                drain(&mut stderr_pipe, &mut stderr, MAX_OUTPUT_BYTES),
                child.wait()
            );
            (stdout_cut, stderr_cut, status)
        })
        .await;
        let (stdout_cut, stderr_cut, status) = match outcome {
            Ok((stdout_cut, stderr_cut, Ok(status))) => (stdout_cut, stderr_cut, status),
            Ok((_, _, Err(error))) => return Attempt::Failed(ExecError::Failed(error)),
            Err(_) => {
                killer.kill().await;
                let _ = child.kill().await;
                return Attempt::Failed(ExecError::TimedOut { stdout, stderr });
            }
        };
        killer.armed = false;
        // ssh's own failures end with 255 too; a script that never reported its group did not run.
        let lost = status.code() == Some(255) && !master.is_alive();
        if group.get().is_none() || lost {
            if group.get().is_none() && String::from_utf8_lossy(&stderr).contains(NO_MASTER_MARK) {
                return Attempt::NoMaster;
            }
            let reason = match master.is_alive() {
                true => remote::io_error(&stderr, "exit status 255").to_string(),
                false => {
                    // sshd leaves a command running when its connection drops: what it started
                    // is ended over a new connection.
                    if let Some(group) = group.get()
                        && let Ok(Ok((fresh, _))) =
                            tokio::time::timeout_at(deadline, self.master(Some(master))).await
                    {
                        kill_group(&fresh, Some(*group), &[mark.to_owned()]).await;
                    }
                    "the connection was lost while the command ran; it is not run again, since it \
                     may have done part of its work"
                        .to_owned()
                }
            };
            return Attempt::Failed(ExecError::Failed(io::Error::other(format!(
                "ssh could not run the command on {}: {reason}",
                self.name
            ))));
        }
        Attempt::Ran(Ran {
            start,
            code: status.code(),
            stdout,
            stdout_cut,
            stderr,
            stderr_cut,
        })
    }

    /// Runs a helper script by `deadline`.
    async fn helper(&self, script: &str, args: Vec<String>, deadline: Deadline) -> io::Result<Ran> {
        self.exec(script, &args, deadline, MAX_OUTPUT_BYTES)
            .await
            .map_err(|error| match error {
                ExecError::Failed(error) => error,
                ExecError::TimedOut { .. } => timed_out(&self.name, deadline),
            })
    }

    /// A helper's stdout, or the error its stderr names.
    async fn helper_output(&self, script: &str, args: Vec<String>, deadline: Deadline) -> io::Result<Ran> {
        let ran = self.helper(script, args, deadline).await?;
        match (ran.start, ran.code) {
            (Start::Started, Some(0)) => Ok(ran),
            (_, code) => Err(remote::io_error(&ran.stderr, &describe(code))),
        }
    }
}

impl fmt::Debug for SshHost {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SshHost")
            .field("name", &self.name)
            .field("destination", &self.destination.to_string())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Host for SshHost {
    fn name(&self) -> String {
        self.name.clone()
    }

    async fn run(&self, invocation: &Invocation, deadline: Deadline) -> Result<Finished, RunError> {
        let script = remote::command_script(invocation).map_err(RunError::Start)?;
        let started = Instant::now();
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        match self.exec(&script, &[], deadline, MAX_OUTPUT_BYTES).await {
            Ok(ran) => match ran.start {
                Start::Started => Ok(Finished {
                    code: ran.code,
                    stdout: text(&ran.stdout),
                    stderr: text(&ran.stderr),
                    output_cut: ran.stdout_cut || ran.stderr_cut,
                    elapsed: started.elapsed(),
                }),
                Start::NotFound => Err(RunError::NotFound),
                Start::NoFolder => Err(RunError::Start(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!(
                        "its folder `{}` does not exist on {}",
                        invocation.cwd.as_deref().unwrap_or(Path::new("")).display(),
                        self.name
                    ),
                ))),
                Start::Unknown => Err(RunError::Start(remote::io_error(
                    &ran.stderr,
                    &describe(ran.code),
                ))),
            },
            Err(ExecError::TimedOut { stdout, stderr }) => Err(RunError::TimedOut {
                stdout: text(&stdout),
                stderr: text(&stderr),
            }),
            Err(ExecError::Failed(error)) => Err(RunError::Start(error)),
        }
    }

    async fn read(&self, path: &Path, deadline: Deadline) -> io::Result<Vec<u8>> {
        let ran = self
            .helper_output(
                &remote::read_script(),
                vec![remote::path_argument(path)],
                deadline,
            )
            .await?;
        if ran.stdout_cut {
            return Err(io::Error::other(format!(
                "it is larger than the {} KiB a probe reads",
                MAX_OUTPUT_BYTES / 1024
            )));
        }
        Ok(ran.stdout)
    }

    async fn read_start(&self, path: &Path, limit: u64, deadline: Deadline) -> io::Result<FileStart> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        // One byte past the limit tells a file of exactly the limit from a longer one.
        let asked = limit.saturating_add(1);
        let args = vec![remote::path_argument(path), asked.to_string()];
        let ran = match self
            .exec(&remote::read_start_script(), &args, deadline, asked)
            .await
        {
            Ok(ran) => ran,
            Err(ExecError::Failed(error)) => return Err(error),
            Err(ExecError::TimedOut { .. }) => return Err(timed_out(&self.name, deadline)),
        };
        if (ran.start, ran.code) != (Start::Started, Some(0)) {
            return Err(remote::io_error(&ran.stderr, &describe(ran.code)));
        }
        let mut bytes = ran.stdout;
        let cut = bytes.len() > limit;
        bytes.truncate(limit);
        Ok(FileStart { bytes, cut })
    }

    async fn read_link(&self, path: &Path, deadline: Deadline) -> io::Result<PathBuf> {
        let ran = self
            .helper_output(
                &remote::read_link_script(),
                vec![remote::path_argument(path)],
                deadline,
            )
            .await?;
        Ok(remote::parse_link(&ran.stdout))
    }

    async fn link_modified(&self, path: &Path, deadline: Deadline) -> io::Result<SystemTime> {
        let ran = self
            .helper_output(
                &remote::link_modified_script(),
                vec![remote::path_argument(path)],
                deadline,
            )
            .await?;
        remote::parse_seconds(&ran.stdout)
    }

    async fn metadata(&self, path: &Path, deadline: Deadline) -> io::Result<FileFacts> {
        let ran = self
            .helper_output(
                &remote::metadata_script(),
                vec![remote::path_argument(path)],
                deadline,
            )
            .await?;
        remote::parse_metadata(&ran.stdout)
    }

    async fn list_dir(&self, path: &Path, deadline: Deadline) -> io::Result<Vec<String>> {
        let ran = self
            .helper_output(
                &remote::list_dir_script(),
                vec![remote::path_argument(path)],
                deadline,
            )
            .await?;
        Ok(remote::parse_names(&ran.stdout))
    }

    async fn find_program(
        &self,
        program: &str,
        first: &[PathBuf],
        deadline: Deadline,
    ) -> io::Result<Option<PathBuf>> {
        let mut args = vec![program.to_owned()];
        args.extend(first.iter().map(|folder| folder.to_string_lossy().into_owned()));
        let ran = self
            .helper_output(&remote::find_program_script(), args, deadline)
            .await?;
        Ok(remote::parse_found(&ran.stdout))
    }

    async fn connect_tcp(&self, host: &str, port: u16, deadline: Deadline) -> io::Result<Connection> {
        let args = vec![host.to_owned(), port.to_string()];
        match self
            .exec(&remote::connect_script(), &args, deadline, MAX_OUTPUT_BYTES)
            .await
        {
            Ok(ran) if ran.start == Start::Started => remote::parse_connection(ran.code, &ran.stderr),
            Ok(ran) => Err(remote::io_error(&ran.stderr, &describe(ran.code))),
            Err(ExecError::TimedOut { .. }) => Ok(Connection::TimedOut),
            Err(ExecError::Failed(error)) => Err(error),
        }
    }

    async fn processes(&self, deadline: Deadline) -> io::Result<Vec<Process>> {
        let ran = self
            .helper_output(
                &remote::processes_script(),
                vec![remote::PROCESSES_IN_BASH.to_owned()],
                deadline,
            )
            .await?;
        Ok(remote::parse_processes(&ran.stdout))
    }

    async fn close(&self) {
        SshHost::close(self).await;
    }
}

fn describe(code: Option<i32>) -> String {
    match code {
        Some(code) => format!("exit status {code}"),
        None => "a signal".to_owned(),
    }
}

/// Reads the lines a script starts with: its process group (after whatever a login shell
/// printed first, such as a chatty `.bashrc`), then whether it started.
async fn read_header<R: tokio::io::AsyncBufRead + Unpin>(reader: &mut R, group: &OnceLock<i32>) -> Start {
    let mut line = Vec::new();
    for _ in 0..MAX_NOISE_LINES {
        line.clear();
        match read_capped_line(reader, &mut line).await {
            Ok(0) | Err(_) => return Start::Unknown,
            Ok(_) => {
                if let Some(found) = remote::process_group(&line) {
                    let _ = group.set(found);
                    line.clear();
                    return match read_capped_line(reader, &mut line).await {
                        Ok(_) => remote::start_of(&line),
                        Err(_) => Start::Unknown,
                    };
                }
            }
        }
    }
    Start::Unknown
}

/// Reads one line into `line`, keeping its first [`MAX_HEADER_LINE_BYTES`] and passing over the
/// rest; returns how many bytes it read, 0 at the end of the output.
async fn read_capped_line<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    line: &mut Vec<u8>,
) -> io::Result<usize> {
    let mut read = 0;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(read);
        }
        let end = available.iter().position(|byte| *byte == b'\n');
        let used = end.map_or(available.len(), |newline| newline + 1);
        let room = MAX_HEADER_LINE_BYTES.saturating_sub(line.len());
        line.extend_from_slice(&available[..used.min(room)]);
        reader.consume(used);
        read += used;
        if end.is_some() {
            return Ok(read);
        }
    }
}

/// Kills a remote command's process group, and what carries its mark, unless disarmed: at once
/// on a timeout, or from a task of its own when the caller dropped the command (a step's
/// deadline passed, a signal stopped the run). Its mark stays in flight until the kill is done.
struct GroupKiller<'a> {
    master: Arc<Master>,
    group: &'a OnceLock<i32>,
    mark: String,
    in_flight: Arc<StdMutex<HashSet<String>>>,
    armed: bool,
}

impl GroupKiller<'_> {
    async fn kill(&mut self) {
        self.armed = false;
        kill_group(
            &self.master,
            self.group.get().copied(),
            std::slice::from_ref(&self.mark),
        )
        .await;
    }
}

impl Drop for GroupKiller<'_> {
    fn drop(&mut self) {
        let runtime = tokio::runtime::Handle::try_current();
        let (true, Ok(runtime)) = (self.armed, runtime) else {
            crate::locked::lock(&self.in_flight).remove(&self.mark);
            return;
        };
        let master = Arc::clone(&self.master);
        let group = self.group.get().copied();
        let mark = self.mark.clone();
        let in_flight = Arc::clone(&self.in_flight);
        runtime.spawn(async move {
            kill_group(&master, group, std::slice::from_ref(&mark)).await;
            crate::locked::lock(&in_flight).remove(&mark);
        });
    }
}

async fn kill_group(master: &Master, group: Option<i32>, marks: &[String]) {
    // Through `sh`, whatever the user's login shell: the line is a small POSIX script.
    let line = shell_words::join(["exec", "sh", "-c", &remote::kill_line(group, marks)]);
    let mut command = master.command(&line);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let _ = tokio::time::timeout(KILL_LIMIT, command.status()).await;
}
