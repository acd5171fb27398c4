//! The machine shakedown itself runs on, as a [`Host`]: commands in their own process group,
//! files and `/proc` read directly.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use tokio::net::TcpStream;
use tokio::process::Command;

use super::children::{self, ChildGroup};
use super::host::{
    Connection, FileFacts, FileStart, Finished, Host, Invocation, MAX_OUTPUT_BYTES, RunError, drain,
    timed_out,
};
use super::process::{Process, parse_cmdline};
use crate::deadline::Deadline;

/// How long output is still read after the command exited, from children it left behind.
const PIPES_AFTER_EXIT: Duration = Duration::from_millis(200);

/// The machine shakedown itself runs on.
#[derive(Debug, Default)]
pub struct LocalHost;

#[async_trait]
impl Host for LocalHost {
    fn is_local(&self) -> bool {
        true
    }

    async fn time_zone(&self, _: Deadline) -> Option<String> {
        None
    }

    fn name(&self) -> String {
        "this machine".to_owned()
    }

    async fn run(&self, invocation: &Invocation, deadline: Deadline) -> Result<Finished, RunError> {
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
        let outcome = tokio::time::timeout_at(deadline.at(), async {
            // The exit status is the answer: a background child still holding the pipes gets a
            // moment to let go, then dies with the group below, instead of holding the step.
            let (exited, has_exited) = tokio::sync::oneshot::channel::<()>();
            let reading = async {
                let draining = async {
                    let (stdout_cut, stderr_cut) = tokio::join!(
                        drain(&mut stdout_pipe, &mut stdout, MAX_OUTPUT_BYTES),
                        drain(&mut stderr_pipe, &mut stderr, MAX_OUTPUT_BYTES)
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

    async fn read(&self, path: &Path, deadline: Deadline) -> io::Result<Vec<u8>> {
        self.bounded(deadline, tokio::fs::read(path)).await
    }

    async fn read_start(&self, path: &Path, limit: u64, deadline: Deadline) -> io::Result<FileStart> {
        use tokio::io::AsyncReadExt as _;
        let reading = async {
            let file = tokio::fs::File::open(path).await?;
            let mut bytes = Vec::new();
            // One byte past the limit tells a file of exactly the limit from a longer one.
            file.take(limit.saturating_add(1)).read_to_end(&mut bytes).await?;
            let cut = bytes.len() as u64 > limit;
            bytes.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            Ok(FileStart { bytes, cut })
        };
        self.bounded(deadline, reading).await
    }

    async fn read_link(&self, path: &Path, deadline: Deadline) -> io::Result<PathBuf> {
        self.bounded(deadline, tokio::fs::read_link(path)).await
    }

    async fn link_modified(&self, path: &Path, deadline: Deadline) -> io::Result<SystemTime> {
        let modified = async { tokio::fs::symlink_metadata(path).await?.modified() };
        self.bounded(deadline, modified).await
    }

    async fn metadata(&self, path: &Path, deadline: Deadline) -> io::Result<FileFacts> {
        let path = path.to_owned();
        // Names come from the user and group databases, which may be on the network (LDAP).
        let facts = async {
            tokio::task::spawn_blocking(move || local_facts(&path))
                .await
                .map_err(io::Error::other)?
        };
        self.bounded(deadline, facts).await
    }

    async fn list_dir(&self, path: &Path, deadline: Deadline) -> io::Result<Vec<String>> {
        let listing = async {
            let mut entries = tokio::fs::read_dir(path).await?;
            let mut names = Vec::new();
            while let Some(entry) = entries.next_entry().await? {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
            Ok(names)
        };
        self.bounded(deadline, listing).await
    }

    async fn find_program(
        &self,
        program: &str,
        first: &[PathBuf],
        deadline: Deadline,
    ) -> io::Result<Option<PathBuf>> {
        let executable = |path: PathBuf| async move {
            match self.metadata(&path, deadline).await {
                Ok(facts) => Ok(facts.executable.then_some(path)),
                Err(error) if error.kind() == io::ErrorKind::TimedOut => Err(error),
                Err(_) => Ok(None),
            }
        };
        if program.contains('/') {
            return executable(PathBuf::from(program)).await;
        }
        let path_var = std::env::var_os("PATH").unwrap_or_default();
        let folders = first.iter().cloned().chain(std::env::split_paths(&path_var));
        for folder in folders {
            if let Some(found) = executable(folder.join(program)).await? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    async fn connect_tcp(&self, host: &str, port: u16, deadline: Deadline) -> io::Result<Connection> {
        Ok(match deadline.run(TcpStream::connect((host, port))).await {
            Some(Ok(_stream)) => Connection::Accepted,
            Some(Err(error)) => Connection::Refused(error.to_string()),
            None => Connection::TimedOut,
        })
    }

    async fn processes(&self, deadline: Deadline) -> io::Result<Vec<Process>> {
        let proc_dir = Path::new("/proc");
        let names = self.list_dir(proc_dir, deadline).await?;
        let mut processes = Vec::new();
        for pid in names.iter().filter_map(|name| name.parse::<u32>().ok()) {
            let folder = proc_dir.join(pid.to_string());
            let comm = match self.read(&folder.join("comm"), deadline).await {
                Ok(comm) => comm,
                Err(error) if error.kind() == io::ErrorKind::TimedOut => return Err(error),
                Err(_) => continue,
            };
            let args = self
                .read(&folder.join("cmdline"), deadline)
                .await
                .map(|bytes| parse_cmdline(&bytes))
                .unwrap_or_default();
            // Readable for this user's own processes (all of them as root); the others are
            // known by their kernel name.
            let exe = deadline
                .run(tokio::fs::read_link(folder.join("exe")))
                .await
                .and_then(Result::ok)
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

impl LocalHost {
    /// Waits for `work` until `deadline`. A file that never finishes being read (a FIFO, a hung
    /// network mount) is given up on; the thread reading it stays blocked until it returns.
    async fn bounded<T>(
        &self,
        deadline: Deadline,
        work: impl Future<Output = io::Result<T>>,
    ) -> io::Result<T> {
        deadline
            .run(work)
            .await
            .unwrap_or_else(|| Err(timed_out(&self.name(), deadline)))
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
        size: metadata.len(),
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
    use crate::deadline::Limit;

    fn within(limit: Duration) -> Deadline {
        Deadline::after(limit, Limit::Step)
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
            .run(
                &sh("echo out; echo err >&2; exit 3"),
                within(Duration::from_secs(5)),
            )
            .await
            .expect("runs");
        assert_eq!(finished.code, Some(3));
        assert_eq!(finished.stdout, "out\n");
        assert_eq!(finished.stderr, "err\n");
    }

    #[tokio::test]
    async fn output_past_the_limit_is_kept_from_its_start_and_said_to_be_cut() {
        let limit = within(Duration::from_secs(10));
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
                within(Duration::from_millis(300)),
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
                within(Duration::from_secs(20)),
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
                within(Duration::from_millis(500)),
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
        let outcome = LocalHost.run(&invocation, within(Duration::from_secs(1))).await;
        assert!(matches!(outcome, Err(RunError::NotFound)), "{outcome:?}");
        assert!(matches!(
            LocalHost
                .find_program("sh", &[], within(Duration::from_secs(5)))
                .await,
            Ok(Some(_))
        ));
        assert!(matches!(
            LocalHost
                .find_program("no-such-program-here", &[], within(Duration::from_secs(5)))
                .await,
            Ok(None)
        ));
    }

    #[tokio::test]
    async fn a_read_that_never_returns_ends_at_the_deadline_as_a_timeout() {
        let folder = tempfile::tempdir().expect("temp dir");
        let fifo = folder.path().join("never-written");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
        let started = Instant::now();
        let error = LocalHost
            .read(&fifo, within(Duration::from_millis(300)))
            .await
            .expect_err("nobody writes");
        assert_eq!(error.kind(), io::ErrorKind::TimedOut, "{error}");
        assert_eq!(
            error.to_string(),
            "this machine did not answer within 300ms (`limits.step_timeout`)"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        // The thread still blocked in the read is let go, so the runtime can end.
        drop(
            std::fs::OpenOptions::new()
                .write(true)
                .open(&fifo)
                .expect("a writer"),
        );
    }
}
