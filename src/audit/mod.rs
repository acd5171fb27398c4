//! Who ran what, written after the run: every `run` appends one JSON line to the audit log, so
//! a team can tell after the fact who checked which environment, from where, with which
//! features and what came out (`shakedown audit` reads it back). With `audit.syslog`, each
//! server of the run also gets one line in its own system log (`syslog`).

mod syslog;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use nix::fcntl::OFlag;
use serde::Serialize;
use shakedown_steps::redact::redact;

use crate::output::tell;
use crate::plan::{Provenance, RunPlan};
use crate::report::RunSummary;

pub use syslog::log_on_servers;

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

/// A run's results as the log and the system logs count them.
#[derive(Debug, Serialize, Default, Clone, Copy)]
pub(crate) struct Counts {
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

/// What the log will say of a run, taken from its plan before the plan is run.
pub struct Record {
    log: Option<PathBuf>,
    syslog: bool,
    provenance: Provenance,
    environment: String,
    base_url: String,
    hosts: Vec<String>,
}

impl Record {
    pub fn of(plan: &RunPlan) -> Self {
        Self {
            log: plan.audit_log.clone(),
            syslog: plan.audit_syslog,
            provenance: plan.provenance.clone(),
            environment: plan.steps.environment.clone(),
            base_url: plan.steps.base_url.to_string(),
            hosts: plan.fleet.names(),
        }
    }

    /// `audit.syslog`: the servers' system logs hear of the run too.
    pub fn syslog(&self) -> bool {
        self.syslog
    }

    pub fn environment(&self) -> &str {
        &self.environment
    }

    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    /// Appends the run's line in one write. A log that cannot be written is a warning: the run
    /// happened and its exit code stands.
    pub fn write(self, started: SystemTime, summary: Option<&RunSummary>, exit_code: i32) {
        let Some(log) = self.log else {
            tell!(
                "warning: the run is not in the audit log: neither `XDG_STATE_HOME` nor `HOME` is set, and `audit.path` names no file"
            );
            return;
        };
        // Masked now, not when the run was planned: the passwords the run resolved are
        // registered secrets by now, so the redactor masks them wherever they were typed.
        let masked = |text: &str| redact(text).into_owned();
        let provenance = self.provenance;
        let entry = Entry {
            user: provenance.user.as_deref().map(masked),
            sudo_user: provenance.sudo_user.as_deref().map(masked),
            ci: provenance
                .ci
                .iter()
                .map(|(name, value)| (*name, masked(value)))
                .collect(),
            machine: provenance.machine.as_deref().map(masked),
            environment: self.environment,
            base_url: masked(&self.base_url),
            hosts: self.hosts,
            command_line: std::env::args_os()
                .map(|argument| masked(&argument.to_string_lossy()))
                .collect(),
            features: provenance
                .features
                .iter()
                .map(|file| FeatureFile {
                    path: file.path.display().to_string(),
                    sha256: file.sha256.clone(),
                })
                .collect(),
            features_revision: provenance.revision,
            started: timestamp(started),
            finished: timestamp(SystemTime::now()),
            results: summary.map(Counts::of),
            exit_code,
        };
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

fn timestamp(at: SystemTime) -> String {
    humantime::format_rfc3339_millis(at).to_string()
}
