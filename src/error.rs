//! The one error type users see. Every way a run can be refused or break ends here, with the
//! exit code a deployment script gates on and a hint where one helps.

use std::path::PathBuf;

/// Exit codes, as the README and docs/ci.md document them.
pub mod exit {
    pub const PASSED: i32 = 0;
    pub const FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const NOTHING_SELECTED: i32 = 3;
    /// Stopped by SIGINT (Ctrl-C) or SIGTERM: 130 and 143, as shells report them (128 + the
    /// signal's number); the signal handling names the code.
    pub const INTERRUPTED: i32 = 130;
    pub const TERMINATED: i32 = 143;
    /// A bug in shakedown (a panic): its result cannot be trusted. 70 is `EX_SOFTWARE` of
    /// sysexits.h, "an internal software error".
    pub const INTERNAL: i32 = 70;
}

/// Something the user gave us (command line, configuration, feature files) that we cannot
/// run, or something that broke around the run itself.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no `shakedown.toml` found in `{searched}` or any folder above it")]
    ConfigNotFound { searched: PathBuf },

    #[error("cannot read `{path}`")]
    Read { path: PathBuf, source: std::io::Error },

    /// A problem at a known place of the configuration file.
    #[error("{path}:{line}:{column}: {message}")]
    Config {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
        hint: Option<String>,
    },

    #[error("environment `{name}` not found in {config} (known: {known})")]
    UnknownEnvironment {
        name: String,
        config: PathBuf,
        known: String,
        /// The known environment the name is likely a misspelling of.
        suggestion: Option<String>,
    },

    #[error("there is no host `{name}` in the selected environment (known: {known})")]
    UnknownHost {
        name: String,
        known: String,
        suggestion: Option<String>,
    },

    #[error(
        "{location}: `@on:{group}` names a group no host of the environment is in (known groups: {known})"
    )]
    UnknownGroup {
        group: String,
        location: String,
        known: String,
    },

    #[error("no environment selected; {config} defines {known}")]
    NoEnvironment { config: PathBuf, known: String },

    #[error("`{expression}` is not a tag expression: {problem}")]
    TagExpression { expression: String, problem: String },

    #[error("`{path}` does not exist")]
    PathNotFound { path: PathBuf },

    #[error("`{path}` is not UTF-8 text (first bad byte at line {line}, column {column})")]
    NotUtf8 {
        path: PathBuf,
        line: usize,
        column: usize,
    },

    #[error("{path}:{line}:{column}: {problem}")]
    FeatureSyntax {
        path: PathBuf,
        line: usize,
        column: usize,
        problem: String,
    },

    #[error("{count} step(s) match no phrase of the step library, or more than one")]
    UnmatchedSteps { count: usize, listing: String },

    #[error("`{path}` is a folder; {wanted}")]
    IsAFolder { path: PathBuf, wanted: &'static str },

    #[error("{count} problem(s) in the features would stop the run")]
    InvalidFeatures { count: usize, listing: String },

    #[error("`{path}` holds no `.feature` files")]
    NoFeatureFiles { path: PathBuf },

    #[error("invalid value `{value}` for {what}: {problem}")]
    InvalidValue {
        what: &'static str,
        value: String,
        problem: String,
    },

    #[error("the {what} report cannot be written to `{path}`: {problem}")]
    ReportTarget {
        what: &'static str,
        path: PathBuf,
        problem: String,
    },

    #[error("cannot write the {what} report to `{path}`")]
    WriteReport {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{what}")]
    Io { what: String, source: std::io::Error },

    #[error("`{path}` already exists")]
    AlreadyExists { path: PathBuf },

    #[error("cannot visit `{url}`: {problem}")]
    SiteUnreachable { url: String, problem: String },

    #[error("no check could be imported from {sources}")]
    NothingImported { sources: String, listing: String },

    #[error(
        "interrupted by {signal}: the run stopped, every process it started was killed, and the reports list what ran (the rest as not run)"
    )]
    Interrupted { signal: &'static str, code: i32 },
}

impl Error {
    /// Bad input is refused before anything runs (2); breakage around a run is also 2, since
    /// its result cannot be trusted. A run stopped by SIGINT or SIGTERM is 130 or 143, as shells count them.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Interrupted { code, .. } => *code,
            Self::ConfigNotFound { .. }
            | Self::Read { .. }
            | Self::Config { .. }
            | Self::UnknownEnvironment { .. }
            | Self::NoEnvironment { .. }
            | Self::UnknownHost { .. }
            | Self::UnknownGroup { .. }
            | Self::TagExpression { .. }
            | Self::PathNotFound { .. }
            | Self::IsAFolder { .. }
            | Self::NotUtf8 { .. }
            | Self::FeatureSyntax { .. }
            | Self::UnmatchedSteps { .. }
            | Self::InvalidFeatures { .. }
            | Self::NoFeatureFiles { .. }
            | Self::InvalidValue { .. }
            | Self::ReportTarget { .. }
            | Self::WriteReport { .. }
            | Self::Io { .. }
            | Self::AlreadyExists { .. }
            | Self::SiteUnreachable { .. }
            | Self::NothingImported { .. } => exit::USAGE,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            Self::ConfigNotFound { .. } => {
                Some("create one with `shakedown init`, or pass `--config FILE`".into())
            }
            Self::Config { hint, .. } => hint.clone(),
            Self::UnknownEnvironment {
                suggestion: Some(name),
                ..
            } => Some(format!("did you mean `{name}`?")),
            Self::NoEnvironment { .. } => Some("pass `--env NAME` or set SHAKEDOWN_ENV".into()),
            Self::UnknownHost {
                suggestion: Some(name),
                ..
            } => Some(format!("did you mean `{name}`?")),
            Self::UnknownGroup { .. } => Some(
                "add the group to a host's `groups` under `[environments.NAME.hosts.HOST]`, or to the \
                 Ansible `inventory` the environment reads its hosts from"
                    .into(),
            ),
            Self::TagExpression { .. } => Some(
                "tags combine with `and`, `or`, `not` and parentheses, e.g. `@post-install and not @slow`"
                    .into(),
            ),
            Self::UnmatchedSteps { .. } => Some("`shakedown steps` lists every phrase".into()),
            Self::ReportTarget { .. } => Some("name a new file, or one an earlier report wrote".into()),
            Self::AlreadyExists { .. } => {
                Some("`init` never writes over a file: run it in a new folder, or move the file away".into())
            }
            _ => None,
        }
    }

    /// Lines printed under the message (the listing of unmatched steps).
    fn details(&self) -> Option<&str> {
        match self {
            Self::UnmatchedSteps { listing, .. }
            | Self::InvalidFeatures { listing, .. }
            | Self::NothingImported { listing, .. } => Some(listing),
            _ => None,
        }
    }

    /// The message as printed on stderr: `error: ...`, its causes, details and a hint.
    pub fn render(&self) -> String {
        let mut text = format!("error: {self}");
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(&format!("\n  caused by: {cause}"));
            source = cause.source();
        }
        if let Some(details) = self.details() {
            text.push('\n');
            text.push_str(details);
        }
        if let Some(hint) = self.hint() {
            text.push_str(&format!("\nhint: {hint}"));
        }
        text
    }
}
