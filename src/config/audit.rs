//! `[audit]`: where the log of who ran what goes, and whether the servers' own system logs hear
//! of each run too. Left out, the log is under the user's XDG state folder, which only code can
//! compute, so `path` has no entry in `defaults.toml`.

use std::path::PathBuf;

use serde::Deserialize;

use super::hosts::home_relative;
use super::source::Source;

#[derive(Deserialize, Default)]
pub(super) struct RawAudit {
    #[serde(default)]
    path: Option<String>,
    /// One line through `logger` on every server of a run (`audit.syslog`).
    pub syslog: bool,
}

impl RawAudit {
    /// The log file the project names, if it names one.
    pub fn resolve(self, source: &Source<'_>) -> Option<PathBuf> {
        self.path.map(|path| home_relative(&path, source))
    }
}

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
pub fn audit_log_path(configured: Option<PathBuf>) -> Option<PathBuf> {
    configured.or_else(default_log)
}
