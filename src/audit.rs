//! Who ran what: every `run` appends one JSON line to the audit log, so a team can tell after
//! the fact who checked which environment, from where, with which features and what came out.
//! `shakedown audit` reads it back. With `audit.syslog`, each server of the run also gets one
//! line in its own system log, so its administrators see who checked it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use nix::fcntl::OFlag;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use shakedown_steps::redact::redact;

use shakedown_steps::{Deadline, Host, Invocation, Limit, LocalHost, RunError};

use crate::cli::{AuditArgs, Selection};
use crate::error::{Error, exit};
use crate::fleet::Fleet;
use crate::output::{say, tell};
use crate::plan::{Checked, RunPlan};
use crate::report::{Reporter, ResultsByHost, RunEvent, RunSummary};

/// The CI variables that say who started a job and which job it is: GitHub Actions, GitLab CI
/// and Jenkins.
const CI_VARIABLES: &[&str] = &[
    "GITHUB_ACTOR",
    "GITHUB_RUN_ID",
    "GITHUB_WORKFLOW",
    "GITHUB_REPOSITORY",
    "GITLAB_USER_LOGIN",
    "CI_JOB_ID",
    "CI_PIPELINE_ID",
    "CI_PROJECT_PATH",
    "BUILD_USER_ID",
    "BUILD_TAG",
    "JOB_NAME",
    "BUILD_NUMBER",
];

/// The CI variables that name the person who started a job, trusted in this order, before
/// `SUDO_USER` and the login name.
const CI_PEOPLE: &[&str] = &["GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_USER_ID"];

/// `$XDG_STATE_HOME/shakedown/audit.jsonl`, or `~/.local/state/…` when the variable is unset;
/// `None` when neither the variable nor `HOME` says where the user's state goes.
fn default_log() -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|folder| folder.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/state")))?;
    Some(state.join("shakedown").join("audit.jsonl"))
}

/// The log a project's `audit.path` names, else the user's default one.
pub fn log_path(configured: Option<PathBuf>) -> Option<PathBuf> {
    configured.or_else(default_log)
}

/// One line of the log, as written.
#[derive(Debug, Serialize)]
struct Entry {
    user: Option<String>,
    sudo_user: Option<String>,
    /// The CI's user and job variables that are set, by name.
    ci: BTreeMap<&'static str, String>,
    machine: Option<String>,
    environment: String,
    base_url: String,
    hosts: Vec<String>,
    command_line: Vec<String>,
    features: Vec<FeatureFile>,
    features_revision: Option<String>,
    started: String,
    finished: String,
    /// Absent when the run stopped before it had totals.
    results: Option<Counts>,
    exit_code: i32,
}

#[derive(Debug, Serialize)]
struct FeatureFile {
    path: String,
    /// Absent when the file could not be read again (removed since the plan read it).
    sha256: Option<String>,
}

#[derive(Debug, Serialize, Default, Clone, Copy)]
struct Counts {
    passed: usize,
    flaky: usize,
    failed: usize,
    not_run: usize,
}

impl Counts {
    fn of(summary: &RunSummary) -> Self {
        Self {
            passed: summary.passed,
            flaky: summary.flaky,
            failed: summary.failed,
            not_run: summary.not_run,
        }
    }

    fn add(&mut self, other: Self) {
        self.passed += other.passed;
        self.flaky += other.flaky;
        self.failed += other.failed;
        self.not_run += other.not_run;
    }

    fn total(&self) -> usize {
        self.passed + self.flaky + self.failed + self.not_run
    }

    /// `14 passed, 1 failed`, with flaky and not-run scenarios when there are any.
    fn describe(&self) -> String {
        let mut parts = vec![
            format!("{} passed", self.passed),
            format!("{} failed", self.failed),
        ];
        if self.flaky > 0 {
            parts.push(format!("{} flaky", self.flaky));
        }
        if self.not_run > 0 {
            parts.push(format!("{} not run", self.not_run));
        }
        parts.join(", ")
    }
}

/// What is known of a run before it starts; `finish` adds the outcome and writes the line.
pub struct Pending {
    log: Option<PathBuf>,
    entry: Entry,
}

impl Pending {
    /// Notes the plan's environment, servers and features (read and hashed now, as they are run).
    pub async fn begin(plan: &RunPlan) -> Self {
        let files: BTreeSet<&Path> = plan
            .suite
            .features
            .iter()
            .filter_map(|feature| feature.path.as_deref())
            .collect();
        let features = files
            .into_iter()
            .map(|path| FeatureFile {
                path: path.display().to_string(),
                sha256: std::fs::read(path)
                    .ok()
                    .map(|bytes| format!("{:x}", Sha256::digest(bytes))),
            })
            .collect();
        let entry = Entry {
            user: crate::runner::login_name(),
            sudo_user: variable("SUDO_USER"),
            ci: CI_VARIABLES
                .iter()
                .filter_map(|name| Some((*name, variable(name)?)))
                .collect(),
            machine: nix::unistd::gethostname()
                .ok()
                .map(|name| name.to_string_lossy().into_owned()),
            environment: plan.steps.environment.clone(),
            base_url: plan.steps.base_url.to_string(),
            hosts: plan.fleet.names(),
            command_line: Vec::new(),
            features,
            features_revision: crate::runner::features_revision(&plan.suite).await,
            started: timestamp(SystemTime::now()),
            finished: String::new(),
            results: None,
            exit_code: exit::PASSED,
        };
        Self {
            log: plan.audit_log.clone(),
            entry,
        }
    }

    /// Appends the run's line in one write. A log that cannot be written is a warning: the run
    /// happened and its exit code stands.
    pub fn finish(self, summary: Option<&RunSummary>, exit_code: i32) {
        let Some(log) = self.log else {
            tell!(
                "warning: the run is not in the audit log: neither `XDG_STATE_HOME` nor `HOME` is set, and `audit.path` names no file"
            );
            return;
        };
        // Read now, not at the start: the passwords the run resolved are registered secrets by
        // now, so the redactor masks them wherever they were typed.
        let mut entry = self.entry;
        entry.command_line = std::env::args_os()
            .map(|argument| redact(&argument.to_string_lossy()).into_owned())
            .collect();
        entry.base_url = redact(&entry.base_url).into_owned();
        entry.finished = timestamp(SystemTime::now());
        entry.results = summary.map(Counts::of);
        entry.exit_code = exit_code;
        if let Err(error) = append(&log, &entry) {
            tell!(
                "warning: cannot write the audit log `{}`: {error}; the run's result stands",
                log.display()
            );
        }
    }
}

fn append(log: &Path, entry: &Entry) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    line.push(b'\n');
    if let Some(folder) = log.parent() {
        std::fs::create_dir_all(folder)?;
    }
    // One write of a whole line to a file opened for appending: concurrent runs never
    // interleave within a line, and no earlier line is ever rewritten. The trail is the user's
    // own (0600 whatever the umask), a symlink planted at its path is not followed into another
    // file, and a FIFO there is not waited on.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags((OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK).bits())
        .open(log)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "it is not a regular file",
        ));
    }
    file.write_all(&line)
}

fn variable(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.is_empty())
        .map(|value| redact(&value).into_owned())
}

fn timestamp(at: SystemTime) -> String {
    humantime::format_rfc3339_millis(at).to_string()
}

/// `shakedown audit`: the recent runs, newest first, as a table or as a JSON array.
pub fn list(args: &AuditArgs, working_dir: &Path) -> Result<i32, Error> {
    let selection = Selection {
        paths: Vec::new(),
        config: args.config.clone(),
        tags: None,
    };
    let config = Checked::optional_config(&selection, working_dir)?;
    let configured = config.and_then(|config| config.audit_log);
    let Some(log) = log_path(configured) else {
        say!(
            "no runs recorded yet: neither `XDG_STATE_HOME` nor `HOME` is set, and `audit.path` names no file"
        );
        return Ok(exit::PASSED);
    };
    // A FIFO planted at the log's path would hang the read: only a regular file is read, and a
    // byte that is not UTF-8 spoils its own record, not the listing.
    let read = std::fs::metadata(&log).and_then(|metadata| match metadata.is_file() {
        true => std::fs::read(&log),
        false => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "it is not a regular file",
        )),
    });
    let text = match read {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            say!("no runs recorded yet in {}", log.display());
            return Ok(exit::PASSED);
        }
        Err(source) => return Err(Error::Read { path: log, source }),
    };
    let mut entries = Vec::new();
    for (index, line) in text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
    {
        match serde_json::from_str::<Value>(line) {
            Ok(entry) => entries.push(entry),
            // A line cut short (a full disk) must not hide the runs around it.
            Err(error) => tell!(
                "warning: `{}` line {} is not a JSON record ({error}), so it is skipped",
                log.display(),
                index + 1
            ),
        }
    }
    let recent: Vec<Value> = entries.into_iter().rev().take(args.limit).collect();
    if args.json {
        let json = serde_json::to_string_pretty(&recent).map_err(|error| Error::Io {
            what: "cannot write the audit records as JSON".into(),
            source: std::io::Error::other(error),
        })?;
        say!("{}", crate::output::json_shown_safe(&json));
        return Ok(exit::PASSED);
    }
    if recent.is_empty() {
        say!("no runs recorded yet in {}", log.display());
        return Ok(exit::PASSED);
    }
    say!("{:<24}  {:<24}  {:<30}  result", "when", "who", "where");
    for entry in &recent {
        say!(
            "{:<24}  {:<24}  {:<30}  {}",
            text_of(&entry["started"]),
            who(entry),
            format!(
                "{} {}",
                text_of(&entry["environment"]),
                text_of(&entry["base_url"])
            ),
            result(entry)
        );
    }
    Ok(exit::PASSED)
}

/// The person behind the run (the CI's user over `sudo`'s over the login name) and the machine.
fn who(entry: &Value) -> String {
    let ci = &entry["ci"];
    let person = CI_PEOPLE
        .iter()
        .map(|name| &ci[*name])
        .chain([&entry["sudo_user"], &entry["user"]])
        .find_map(Value::as_str)
        .unwrap_or("?");
    format!("{person}@{}", text_of(&entry["machine"]))
}

fn result(entry: &Value) -> String {
    let code = entry["exit_code"]
        .as_i64()
        .map_or("?".into(), |code| code.to_string());
    let results = &entry["results"];
    if results.is_null() {
        return format!("exit {code}");
    }
    let count = |name: &str| results[name].as_u64().unwrap_or(0);
    format!(
        "{} passed, {} flaky, {} failed, {} not run (exit {code})",
        count("passed"),
        count("flaky"),
        count("failed"),
        count("not_run")
    )
}

fn text_of(value: &Value) -> &str {
    value.as_str().unwrap_or("?")
}

/// How long logging a run on one server may take.
const SYSLOG_LIMIT: Duration = Duration::from_secs(5);

/// Logs with `logger`, tagged `shakedown`; where util-linux's `logger` runs, a missing system log
/// socket is an error rather than a line silently lost.
const LOGGER_SCRIPT: &str = "if logger --help 2>&1 | grep -q -e --socket-errors; then\n\
                             exec logger --socket-errors=on -t shakedown -- \"$1\"\nfi\n\
                             exec logger -t shakedown -- \"$1\"\n";

/// The run's results, in all and per server, gathered from the run's events for the lines the
/// servers' system logs get.
#[derive(Clone, Default)]
pub struct HostResults(Arc<Mutex<Tally>>);

#[derive(Default)]
struct Tally {
    run: RunSummary,
    by_host: ResultsByHost,
}

impl Reporter for HostResults {
    fn on_event(&mut self, event: &RunEvent) -> Result<(), Error> {
        if let RunEvent::ScenarioFinished(report) = event {
            let mut tally = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            tally.run.count(report);
            tally.by_host.count(report);
        }
        Ok(())
    }
}

/// `audit.syslog`: one line through `logger` on every remote server of the run (its own
/// scenarios' results, or the run's when it had none), and one on this machine when the run
/// has no servers or some are this machine. A server that cannot be told is a warning.
pub async fn log_on_servers(fleet: &Fleet, results: &HostResults, environment: &str) {
    let targets = {
        let tally = results.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let run = Counts::of(&tally.run);
        let own_or_run = |counts: Counts| if counts.total() > 0 { counts } else { run };
        let mut targets: Vec<(String, Arc<dyn Host>, Counts)> = Vec::new();
        let mut here = Counts::default();
        let mut here_counts = fleet.hosts().is_empty();
        for host in fleet.hosts() {
            let counts = tally.by_host.get(&host.name).map(Counts::of).unwrap_or_default();
            if host.host.is_local() {
                here.add(counts);
                here_counts = true;
            } else {
                targets.push((host.name.clone(), Arc::clone(&host.host), own_or_run(counts)));
            }
        }
        if here_counts {
            targets.push(("this machine".to_owned(), Arc::new(LocalHost), own_or_run(here)));
        }
        targets
    };
    let prefix = format!(
        "run by {} from {} against {environment}",
        person(),
        nix::unistd::gethostname().map_or_else(|_| "?".into(), |name| name.to_string_lossy().into_owned())
    );
    let logged = targets.iter().map(|(name, host, counts)| {
        let line = redact(&format!("{prefix}: {}", counts.describe())).into_owned();
        async move {
            if let Err(reason) = log_line(host.as_ref(), &line).await {
                tell!(
                    "warning: the run is not in the system log of {name}: {}; the run's result stands",
                    redact(&reason)
                );
            }
        }
    });
    futures::future::join_all(logged).await;
}

/// The person behind this run, as the audit record names them.
fn person() -> String {
    CI_PEOPLE
        .iter()
        .find_map(|name| variable(name))
        .or_else(|| variable("SUDO_USER"))
        .or_else(crate::runner::login_name)
        .unwrap_or_else(|| "?".to_owned())
}

/// Hands `line` to `logger` on `host`, or says why it could not.
async fn log_line(host: &dyn Host, line: &str) -> Result<(), String> {
    let invocation = Invocation {
        program: "sh".into(),
        args: vec!["-c".into(), LOGGER_SCRIPT.into(), "shakedown".into(), line.into()],
        ..Invocation::default()
    };
    match host
        .run(&invocation, Deadline::after(SYSLOG_LIMIT, Limit::Step))
        .await
    {
        Ok(finished) if finished.code == Some(0) => Ok(()),
        Ok(finished) => {
            let said = finished.stderr.lines().rev().find(|said| !said.trim().is_empty());
            Err(match said {
                Some(said) => format!(
                    "`logger` ended with {}: {}",
                    finished.describe_status(),
                    said.trim()
                ),
                None => format!("`logger` ended with {}", finished.describe_status()),
            })
        }
        Err(RunError::NotFound) => Err("`sh` is not installed there".to_owned()),
        Err(RunError::TimedOut { .. }) => Err(format!(
            "`logger` did not finish within {} s",
            SYSLOG_LIMIT.as_secs()
        )),
        Err(RunError::Start(error)) => Err(error.to_string()),
    }
}
