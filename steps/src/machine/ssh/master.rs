//! The one SSH connection per host: an OpenSSH `ControlMaster` started with the system client
//! (so the user's ssh config, agent, `ProxyJump` and known hosts apply), whose control socket
//! lives in a private temporary folder and through which every remote command runs.

use std::ffi::OsString;
use std::io;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use tempfile::TempDir;
use tokio::process::{Child, Command};

use super::destination::{SshDestination, SshSettings};
use crate::locked::lock;

/// How long after `ConnectTimeout` (which bounds only the TCP connection) the login itself may
/// take before the attempt is given up.
const LOGIN_MARGIN: Duration = Duration::from_secs(10);
/// How often a starting connection is looked at.
const POLL_INTERVAL: Duration = Duration::from_millis(20);
/// How long a closing connection may take to say goodbye before it is killed.
const CLOSE_LIMIT: Duration = Duration::from_secs(5);
/// Lines of ssh's own output kept in a message.
const SSH_SAID_LINES: usize = 3;
/// What a client prints when it could not use the control socket (the master is gone) and
/// tried to connect on its own instead: its proxy command is this program, which exists
/// nowhere, so the shell starting it names it in its complaint and the command certainly never
/// reached the server.
pub(super) const NO_MASTER_MARK: &str = "shakedown-no-ssh-master";

/// An open connection: the master process and its control socket.
pub(super) struct Master {
    process: Mutex<Child>,
    socket: PathBuf,
    host: String,
    /// Holds the socket and the master's log; removed when the connection is dropped.
    _folder: TempDir,
}

impl Master {
    /// Connects and logs in, or says why not in a sentence naming the host and what to do;
    /// `again` when an earlier connection of the run was lost.
    pub async fn open(
        name: &str,
        destination: &SshDestination,
        settings: &SshSettings,
        again: bool,
    ) -> Result<Self, String> {
        let cannot = |reason: String| match again {
            false => format!("cannot connect to {name} over SSH (`{destination}`): {reason}"),
            true => format!(
                "the SSH connection to {name} (`{destination}`) was lost and cannot be opened again: {reason}"
            ),
        };
        // The control socket opens a session on the server to whoever can reach it: the folder
        // and the log beside it are the user's alone, whatever the umask.
        let folder = tempfile::Builder::new()
            .prefix("shakedown-ssh-")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir()
            .map_err(|error| cannot(format!("no private folder for its control socket: {error}")))?;
        let socket = folder.path().join("control");
        let log_path = folder.path().join("ssh.log");
        let log = std::fs::File::options()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&log_path)
            .map_err(|error| cannot(format!("no log file for ssh: {error}")))?;
        let mut command = Command::new("ssh");
        command
            .arg("-M")
            .arg("-S")
            .arg(&socket)
            .args(["-N", "-o", "ControlPersist=no"])
            .args(master_options(destination, settings))
            .arg("--")
            .arg(&destination.host)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            // Its own group: a Ctrl-C meant for shakedown must not cut the connection before
            // shakedown has closed it.
            .process_group(0)
            .kill_on_drop(true);
        let mut process = command.spawn().map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => cannot("the OpenSSH client `ssh` is not installed here".to_owned()),
            _ => cannot(format!("`ssh` could not be started: {error}")),
        })?;
        let limit = settings.connect_timeout + LOGIN_MARGIN;
        let ready = tokio::time::timeout(limit, async {
            loop {
                // sshd's socket appears (linked in place, already listening) once logged in.
                if socket.exists() {
                    return Ok(());
                }
                if let Ok(Some(_)) | Err(_) = process.try_wait() {
                    return Err(());
                }
                tokio::time::sleep(POLL_INTERVAL).await;
            }
        })
        .await;
        match ready {
            Ok(Ok(())) => Ok(Self {
                process: Mutex::new(process),
                socket,
                host: destination.host.clone(),
                _folder: folder,
            }),
            Ok(Err(())) => {
                let said = std::fs::read_to_string(&log_path).unwrap_or_default();
                Err(cannot(diagnose(&said, destination, settings)))
            }
            Err(_) => {
                let _ = process.kill().await;
                Err(cannot(format!(
                    "no login within {} s (`ConnectTimeout` {} s and {} s to log in)",
                    limit.as_secs(),
                    settings.connect_timeout.as_secs(),
                    LOGIN_MARGIN.as_secs()
                )))
            }
        }
    }

    /// An ssh client that runs `line` on the server over this connection, never opening another.
    pub fn command(&self, line: &str) -> Command {
        let mut command = Command::new("ssh");
        command
            .arg("-S")
            .arg(&self.socket)
            // Were the master gone, ssh would connect on its own: this makes that attempt fail
            // at once, saying so, and never become a master itself.
            .args([
                "-o",
                "ControlMaster=no",
                "-o",
                format!("ProxyCommand={NO_MASTER_MARK}").as_str(),
                "-o",
                "BatchMode=yes",
                "-o",
                "RemoteCommand=none",
                "-T",
            ])
            .arg("--")
            .arg(&self.host)
            .arg(line)
            // Out of shakedown's group: a Ctrl-C at the terminal must not end a client (its
            // remote command would run on) before shakedown has killed what it runs.
            .process_group(0);
        command
    }

    /// Whether the master still runs (a lost connection ends it).
    pub fn is_alive(&self) -> bool {
        let mut process = lock(&self.process);
        matches!(process.try_wait(), Ok(None))
    }

    /// Asks the master to end (closing the connection and every session on it), then makes sure.
    pub async fn close(&self) {
        let mut exit = Command::new("ssh");
        exit.arg("-S")
            .arg(&self.socket)
            .args(["-O", "exit", "--"])
            .arg(&self.host)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let _ = tokio::time::timeout(CLOSE_LIMIT, exit.status()).await;
        let deadline = tokio::time::Instant::now() + CLOSE_LIMIT;
        while self.is_alive() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(POLL_INTERVAL).await;
        }
        let mut process = lock(&self.process);
        let _ = process.start_kill();
        let _ = process.try_wait();
    }
}

/// Options of the connection itself; clients over the socket inherit them.
fn master_options(destination: &SshDestination, settings: &SshSettings) -> Vec<OsString> {
    let mut options: Vec<OsString> = [
        "BatchMode=yes".to_owned(),
        "StrictHostKeyChecking=yes".to_owned(),
        "UpdateHostKeys=no".to_owned(),
        format!("ConnectTimeout={}", settings.connect_timeout.as_secs().max(1)),
        "ServerAliveInterval=15".to_owned(),
        "ServerAliveCountMax=3".to_owned(),
    ]
    .into_iter()
    .flat_map(|option| ["-o".into(), option.into()])
    .collect();
    if let Some(identity) = &settings.identity_file {
        options.extend(["-i".into(), identity.clone().into_os_string()]);
    }
    if let Some(known_hosts) = &settings.known_hosts {
        let mut option = OsString::from("UserKnownHostsFile=");
        option.push(known_hosts);
        options.extend(["-o".into(), option]);
    }
    options.extend(["-l".into(), destination.user.clone().into()]);
    if let Some(port) = destination.port {
        options.extend(["-p".into(), port.to_string().into()]);
    }
    options
}

/// Why a login failed and what to do, from what ssh said.
fn diagnose(said: &str, destination: &SshDestination, settings: &SshSettings) -> String {
    let name = destination.known_hosts_name();
    let known_hosts = match &settings.known_hosts {
        Some(file) => format!("`{}`", file.display()),
        None => {
            "the known hosts file (`~/.ssh/known_hosts`, or the ssh config's `UserKnownHostsFile`)".to_owned()
        }
    };
    let file_option = settings
        .known_hosts
        .as_ref()
        .map(|file| format!(" -f {}", shell_words::quote(&file.to_string_lossy())))
        .unwrap_or_default();
    let port_option = destination
        .port
        .map(|port| format!("-p {port} "))
        .unwrap_or_default();
    let reason = if said.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        format!(
            "the host key of `{name}` is not the one recorded in {known_hosts}, so the connection was refused; \
             if the server was reinstalled, check the new key's fingerprint with its administrator, then remove \
             the old entry (`ssh-keygen{file_option} -R '{name}'`) and add the new one"
        )
    } else if said.contains("Host key verification failed") {
        format!(
            "the host key of `{name}` is not in {known_hosts}, and unknown keys are never accepted; check the \
             key's fingerprint with the server's administrator, then add it (`ssh-keyscan {port_option}{} >> FILE`)",
            destination.host
        )
    } else if said.contains("Permission denied") {
        let key = match &settings.identity_file {
            Some(file) => format!("the key `{}`", file.display()),
            None => "the key from the ssh config or agent".to_owned(),
        };
        format!(
            "the server refused the login of `{}`; check that {key} is listed in that user's `~/.ssh/authorized_keys`",
            destination.user
        )
    } else {
        "the connection failed".to_owned()
    };
    let lines: Vec<&str> = said
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("@@@"))
        .collect();
    match lines.len() {
        0 => reason,
        count => format!(
            "{reason} (ssh said: {})",
            lines[count.saturating_sub(SSH_SAID_LINES)..].join(" / ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn destination() -> SshDestination {
        "ops@127.0.0.1:2222".parse().expect("destination")
    }

    #[test]
    fn each_login_failure_says_what_to_do() {
        let settings = SshSettings {
            known_hosts: Some(PathBuf::from("/etc/shakedown/known_hosts")),
            ..SshSettings::default()
        };
        let unknown = diagnose(
            "No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking.\nHost key verification failed.\n",
            &destination(),
            &settings,
        );
        assert!(
            unknown.starts_with("the host key of `[127.0.0.1]:2222` is not in `/etc/shakedown/known_hosts`"),
            "{unknown}"
        );
        assert!(unknown.contains("ssh-keyscan -p 2222 127.0.0.1"), "{unknown}");
        assert!(unknown.ends_with("(ssh said: No ED25519 host key is known for [127.0.0.1]:2222 and you have requested strict checking. / Host key verification failed.)"), "{unknown}");

        let changed = diagnose(
            "@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.\n",
            &destination(),
            &settings,
        );
        assert!(changed.contains("is not the one recorded"), "{changed}");
        assert!(
            changed.contains("ssh-keygen -f /etc/shakedown/known_hosts -R '[127.0.0.1]:2222'"),
            "{changed}"
        );

        let refused_login = diagnose(
            "ops@127.0.0.1: Permission denied (publickey).\n",
            &destination(),
            &SshSettings::default(),
        );
        assert!(
            refused_login.contains("refused the login of `ops`"),
            "{refused_login}"
        );

        let unreachable = diagnose(
            "ssh: connect to host 127.0.0.1 port 2222: Connection refused\n",
            &destination(),
            &settings,
        );
        assert_eq!(
            unreachable,
            "the connection failed (ssh said: ssh: connect to host 127.0.0.1 port 2222: Connection refused)"
        );
    }
}
