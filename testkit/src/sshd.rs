//! A real OpenSSH server on a loopback port for tests: generated host and user keys, the
//! current user allowed in with the user key, a known hosts file holding the server's key, and
//! the server stopped when the value is dropped. Needs root and Debian's `openssh-server`.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use shakedown_steps::{SshDestination, SshSettings};
use tempfile::TempDir;

const SSHD: &str = "/usr/sbin/sshd";
/// How long sshd may take to start listening.
const START_LIMIT: Duration = Duration::from_secs(10);

pub struct Sshd {
    folder: TempDir,
    process: Child,
    pub port: u16,
    pub user: String,
}

impl Sshd {
    pub fn start() -> Self {
        Self::start_with("")
    }

    /// A server whose `sshd_config` also holds `extra` (e.g. `SetEnv PATH=…` for its sessions).
    pub fn start_with(extra: &str) -> Self {
        assert!(
            Path::new(SSHD).exists(),
            "`{SSHD}` is missing: install Debian's `openssh-server` (ci/test does)"
        );
        // sshd refuses to start without its privilege separation folder.
        fs::create_dir_all("/run/sshd").expect("`/run/sshd` can be created (the tests run as root)");
        let folder = tempfile::Builder::new()
            .prefix("shakedown-sshd-")
            .tempdir()
            .expect("temp dir");
        let path = |name: &str| folder.path().join(name);
        keygen(&path("host_key"));
        keygen(&path("user_key"));
        fs::copy(path("user_key.pub"), path("authorized_keys")).expect("authorized keys");
        let port = free_port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile {pid}\n\
             AuthorizedKeysFile {authorized}\nUsePAM no\nStrictModes no\nPasswordAuthentication no\n\
             KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\n\
             LogLevel INFO\nMaxStartups 100\n{extra}\n",
            host_key = path("host_key").display(),
            pid = path("sshd.pid").display(),
            authorized = path("authorized_keys").display(),
        );
        fs::write(path("sshd_config"), config).expect("sshd config");
        let host_key = fs::read_to_string(path("host_key.pub")).expect("host key");
        let key: Vec<&str> = host_key.split_whitespace().take(2).collect();
        fs::write(
            path("known_hosts"),
            format!("[127.0.0.1]:{port} {}\n", key.join(" ")),
        )
        .expect("known hosts");
        let process = spawn(folder.path());
        let user = String::from_utf8(Command::new("id").arg("-un").output().expect("id").stdout)
            .expect("a user name")
            .trim()
            .to_owned();
        let mut server = Self {
            folder,
            process,
            port,
            user,
        };
        server.wait_until_listening();
        server
    }

    /// Stops the server (the listener; connections already made live on, as with a real one).
    pub fn stop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }

    /// Starts the stopped server again, on the same port with the same keys.
    pub fn restart(&mut self) {
        self.stop();
        self.process = spawn(self.folder.path());
        self.wait_until_listening();
    }

    fn wait_until_listening(&mut self) {
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.process.try_wait() {
                panic!("sshd ended with {status}: {}", self.log());
            }
            assert!(
                started.elapsed() < START_LIMIT,
                "sshd is not listening: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.folder.path().join(name)
    }

    /// `user@127.0.0.1:port`.
    pub fn destination(&self) -> SshDestination {
        format!("{}@127.0.0.1:{}", self.user, self.port)
            .parse()
            .expect("a destination")
    }

    /// The user key and a known hosts file that trusts this server.
    pub fn settings(&self) -> SshSettings {
        SshSettings {
            identity_file: Some(self.path("user_key")),
            known_hosts: Some(self.path("known_hosts")),
            connect_timeout: Duration::from_secs(5),
        }
    }

    /// `[environments.test.hosts.NAME]` reaching this server, for a test's shakedown.toml.
    pub fn host_toml(&self, name: &str) -> String {
        format!(
            "[environments.test.hosts.{name}]\nssh = \"{}@127.0.0.1:{}\"\n",
            self.user, self.port
        )
    }

    /// The `[ssh]` table that logs in with this server's user key and trusts its host key; more
    /// keys of the table (`connect_timeout`) may follow it.
    pub fn ssh_toml(&self) -> String {
        format!(
            "[ssh]\nidentity_file = \"{}\"\nknown_hosts = \"{}\"\n",
            self.path("user_key").display(),
            self.path("known_hosts").display()
        )
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.path("sshd.log")).unwrap_or_default()
    }

    /// SSH logins the server accepted so far: one per connection.
    pub fn accepted_logins(&self) -> usize {
        self.log().matches("Accepted publickey").count()
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `sshd` in the foreground with the folder's config, logging to its `sshd.log`.
fn spawn(folder: &Path) -> Child {
    Command::new(SSHD)
        .arg("-D")
        .arg("-f")
        .arg(folder.join("sshd_config"))
        .arg("-E")
        .arg(folder.join("sshd.log"))
        .stdin(Stdio::null())
        .spawn()
        .expect("sshd starts")
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "shakedown-test", "-f"])
        .arg(path)
        .status()
        .expect("ssh-keygen runs");
    assert!(status.success(), "ssh-keygen failed for {}", path.display());
}

/// A loopback port nothing listens on (free when asked; the tests do not race for ports).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}
