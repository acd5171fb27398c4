//! The small builder every integration test drives the real binary with, and a demo site
//! served by the binary itself (`shakedown demo --serve`) for `run` to point at.

pub mod nginx;
pub mod recording;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use shakedown_testkit::sshd::Sshd;

/// `[login]` and the three demo roles, each reading its password from an environment variable
/// that `Shakedown::demo_passwords` sets.
pub const DEMO_ROLES: &str = r#"
[login]
path = "/accounts/login/"

[roles.admin]
username = "admin"
password_env = "DEMO_ADMIN_PASSWORD"

[roles.clerk]
username = "clerk"
password_env = "DEMO_CLERK_PASSWORD"

[roles.viewer]
username = "viewer"
password_env = "DEMO_VIEWER_PASSWORD"
"#;

/// One invocation of the `shakedown` binary.
pub struct Shakedown {
    command: Command,
}

/// What an invocation left behind.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl Outcome {
    /// Asserts the exit code, showing all output when it differs.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "unexpected exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn expect_stdout(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn expect_stderr(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\nstderr:\n{}",
            self.stderr
        );
        self
    }

    /// Bad input gets a message, never a panic or a backtrace.
    #[track_caller]
    pub fn expect_no_panic(&self) -> &Self {
        for output in [&self.stdout, &self.stderr] {
            assert!(
                !output.contains("panicked"),
                "a panic reached the user:\n{output}"
            );
            assert!(
                !output.contains("RUST_BACKTRACE"),
                "a backtrace hint reached the user:\n{output}"
            );
        }
        self
    }
}

impl Shakedown {
    pub fn new() -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_shakedown"));
        // Runs are audited: the tests' lines go to cargo's scratch folder, not the user's log.
        command
            .env_remove("SHAKEDOWN_ENV")
            .env("NO_COLOR", "1")
            .env("XDG_STATE_HOME", env!("CARGO_TARGET_TMPDIR"));
        Self { command }
    }

    pub fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(mut self, args: I) -> Self {
        self.command.args(args);
        self
    }

    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.command.current_dir(dir);
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    /// Standard output into a pipe whose reader has gone before the first line, as `| head -1`
    /// leaves it once it has its line.
    pub fn stdout_closed(mut self) -> Self {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        self.command.stdout(writer);
        self
    }

    /// The demo users' real passwords, where `DEMO_ROLES` reads them.
    pub fn demo_passwords(self) -> Self {
        shakedown_demo_site::USERS.iter().fold(self, |shakedown, user| {
            let variable = format!("DEMO_{}_PASSWORD", user.username.to_uppercase());
            shakedown.env(&variable, user.password)
        })
    }

    pub fn run(mut self) -> Outcome {
        let started = Instant::now();
        let output = self.command.output().expect("the shakedown binary runs");
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            took: started.elapsed(),
        }
    }
}

/// The demo site in a child process, stopped when dropped.
pub struct DemoSite {
    child: Child,
    /// Kept open: the site prints more after its banner, and a closed pipe would stop it.
    _banner: BufReader<std::process::ChildStdout>,
    pub url: String,
    /// The `--out` folder: the site's state, and its certificate under `--tls`.
    out: tempfile::TempDir,
}

impl DemoSite {
    pub fn start(faults: &[&str]) -> Self {
        Self::launch(faults.iter().flat_map(|&fault| ["--fault", fault]))
    }

    /// The site over HTTPS (`demo --serve --tls`); [`DemoSite::certificate`] is what trusts it.
    pub fn start_tls(faults: &[&str]) -> Self {
        Self::launch(std::iter::once("--tls").chain(faults.iter().flat_map(|&fault| ["--fault", fault])))
    }

    /// The certificate `--tls` made for the site, a PEM file.
    pub fn certificate(&self) -> PathBuf {
        self.out.path().join("demo-certificate.pem")
    }

    /// A healthy site that serves `release` at `/version` until [`DemoSite::switch_release`].
    pub fn serving_release(release: &str) -> Self {
        Self::launch(["--release", release])
    }

    fn launch<'a>(demo_args: impl IntoIterator<Item = &'a str>) -> Self {
        let state = tempfile::tempdir().expect("temp dir");
        let mut command = Command::new(env!("CARGO_BIN_EXE_shakedown"));
        command.args(["demo", "--serve", "--out"]).arg(state.path());
        command.args(demo_args);
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("demo site starts");
        let mut first_line = String::new();
        let mut banner = BufReader::new(child.stdout.take().expect("piped stdout"));
        banner.read_line(&mut first_line).expect("banner");
        let url = first_line
            .split_whitespace()
            .find(|word| word.starts_with("http://") || word.starts_with("https://"))
            .unwrap_or_else(|| panic!("no URL in the banner {first_line:?}"))
            .to_owned();
        Self {
            child,
            _banner: banner,
            url,
            out: state,
        }
    }

    /// The site's own counters (`/__demo/stats`), read without going through shakedown.
    pub fn stats(&self) -> serde_json::Value {
        let body = self.exchange("GET", "/__demo/stats", "");
        serde_json::from_str(&body).unwrap_or_else(|error| panic!("stats are not JSON ({error}): {body}"))
    }

    /// From now on the site serves `release`, as a backend does once a rollout reaches it.
    pub fn switch_release(&self, release: &str) {
        let answer = self.exchange("PUT", "/__demo/release", release);
        assert!(answer.contains(release), "the release was not switched: {answer}");
    }

    /// One request straight to the site, not through shakedown; returns the body.
    fn exchange(&self, method: &str, path: &str, body: &str) -> String {
        let address = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).expect("connect to the demo site");
        use std::io::{Read, Write};
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default()
    }

    pub fn requests(&self) -> u64 {
        self.stats()["requests"].as_u64().expect("a request count")
    }
}

impl Drop for DemoSite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A throw-away project: a shakedown.toml and feature files in a temp folder.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// A project whose `test` environment points at `base_url`, with extra TOML appended.
    pub fn new(base_url: &str, extra_config: &str) -> Self {
        let project = Self {
            dir: tempfile::tempdir().expect("temp dir"),
        };
        project.file(
            "shakedown.toml",
            &format!("[environments.test]\nbase_url = \"{base_url}\"\n{extra_config}"),
        );
        project
    }

    /// A project whose probes run on this machine (`here`) and on `server` over SSH (`web1`),
    /// each step allowed 30 s, with `extra` TOML appended.
    pub fn here_and_over_ssh(server: &Sshd, extra: &str) -> Self {
        Self::new(
            "http://127.0.0.1:9",
            &format!(
                "[environments.test.hosts.here]\nssh = \"local\"\n\n{}\n{}\n[limits]\nstep_timeout = \"30s\"\n{extra}",
                server.host_toml("web1"),
                server.ssh_toml()
            ),
        )
    }

    /// A project whose `web` group is `web1` and `web2`, each a backend at its own `base_url`.
    pub fn with_web_backends(web1: &str, web2: &str) -> Self {
        Self::new(
            "http://127.0.0.1:9",
            &format!(
                "[environments.test.hosts.web1]\ngroups = [\"web\"]\nbase_url = \"{web1}\"\n\
                 [environments.test.hosts.web2]\ngroups = [\"web\"]\nbase_url = \"{web2}\"\n"
            ),
        )
    }

    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        std::fs::write(&path, text).expect("write");
        path
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `shakedown` run from inside the project folder.
    pub fn shakedown(&self) -> Shakedown {
        Shakedown::new().current_dir(self.path())
    }
}

/// `check` refuses each configuration (TOML appended to a `test` environment) with its message,
/// exit code 2, on a feature that is fine.
pub fn expect_check_refuses(refusals: &[(&str, &str)]) {
    for (config, refusal) in refusals {
        let project = Project::new("http://127.0.0.1:9", config);
        project.file(
            "features/a.feature",
            "Feature: A\n  Scenario: a\n    When I request \"/\"\n",
        );
        project
            .shakedown()
            .args(["check"])
            .run()
            .expect_code(2)
            .expect_stderr(refusal);
    }
}

/// Validates a JUnit report against the schema Jenkins' xUnit plugin uses.
pub fn validate_junit(report: &Path) {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/junit-10.xsd");
    let output = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&schema)
        .arg(report)
        .output()
        .expect("xmllint runs (ci/test installs libxml2-utils)");
    assert!(
        output.status.success(),
        "the JUnit report does not validate:\n{}\n{}",
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(report).unwrap_or_default()
    );
}

/// Whether `text` holds a character a terminal would act on (line ends and tabs aside).
pub fn obeyed_by_a_terminal(text: &str) -> Option<char> {
    text.chars().find(|c| {
        (c.is_control() && !matches!(c, '\n' | '\t'))
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

/// The three reports a run may write, as arguments, into the project's `reports/` folder.
pub const REPORTS: [&str; 6] = [
    "--junit",
    "reports/junit.xml",
    "--json",
    "reports/cucumber.json",
    "--html",
    "reports/report.html",
];

/// Asserts that none of `secrets` shows in the run's terminal output, its `REPORTS`, or the
/// audit log, when the run kept it in the project (`XDG_STATE_HOME` = `<project>/state`).
pub fn assert_no_output_shows(project: &Project, outcome: &Outcome, secrets: &[String]) {
    let read = |path: &str| {
        std::fs::read_to_string(project.path().join(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
    };
    let audit =
        std::fs::read_to_string(project.path().join("state/shakedown/audit.jsonl")).unwrap_or_default();
    let outputs = [
        ("stdout", outcome.stdout.clone()),
        ("stderr", outcome.stderr.clone()),
        ("junit", read("reports/junit.xml")),
        ("json", read("reports/cucumber.json")),
        ("html", read("reports/report.html")),
        ("audit log", audit),
    ];
    for (name, output) in outputs {
        for secret in secrets {
            assert!(
                !output.contains(secret.as_str()),
                "{name} shows {secret:?}:\n{output}"
            );
        }
    }
}
