//! Finding `shakedown.toml` and reading it whole: the file laid over the embedded defaults, then
//! each section resolved by its own module.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use shakedown_steps::baseline::BaselineSettings;
use shakedown_steps::browser::BrowserSettings;
use shakedown_steps::session::{LoginSettings, RoleSettings};
use shakedown_steps::{ContentSettings, ProbeSettings, SshSettings};
use toml::Spanned;

use super::audit::RawAudit;
use super::baseline::RawBaseline;
use super::browser::RawBrowser;
use super::content::{RawAllowance, RawContent};
use super::environments::{Environment, RawEnvironment};
use super::exposure::RawExposure;
use super::headers::RawHeaders;
use super::hosts::{RawHost, RawSsh};
use super::limits::{Limits, RawLimits};
use super::login::{RawLogin, RawSso};
use super::probes::{RawDeploy, RawProbes};
use super::roles::RawRole;
use super::secrets::{RawSecrets, SecretSetting};
use super::source::{Source, fields_of, layered};
use crate::error::Error;

pub const FILE_NAME: &str = "shakedown.toml";

/// The configuration as written, before an environment is chosen.
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    pub environments: BTreeMap<String, Environment>,
    pub limits: Limits,
    /// Feature files or folders run when the command line names none, relative to the file.
    pub features: Vec<PathBuf>,
    pub login: Option<LoginSettings>,
    pub roles: BTreeMap<String, RoleSettings>,
    /// `[secrets]`: values other than role passwords that no output may show.
    pub secrets: Vec<SecretSetting>,
    pub content: ContentSettings,
    /// The `[probes]` section, its paths made relative to the file's folder.
    pub probes: ProbeSettings,
    /// The `[baseline]` section, its paths made relative to the file's folder.
    pub baseline: BaselineSettings,
    pub browser: BrowserSettings,
    /// How hosts with `ssh` are reached.
    pub ssh: SshSettings,
    /// `audit.path`: the log of runs, when the project moves it from the user's state folder.
    pub audit_log: Option<PathBuf>,
    /// `audit.syslog`: each server of a run also gets one line in its system log.
    pub audit_syslog: bool,
}

#[derive(Deserialize)]
struct RawConfig {
    features: Vec<String>,
    #[serde(default)]
    environments: BTreeMap<String, RawEnvironment>,
    limits: RawLimits,
    login: Spanned<RawLogin>,
    #[serde(default)]
    roles: BTreeMap<String, Spanned<RawRole>>,
    secrets: RawSecrets,
    content: RawContent,
    headers: RawHeaders,
    exposure: RawExposure,
    probes: RawProbes,
    #[serde(default)]
    deploy: RawDeploy,
    baseline: RawBaseline,
    browser: RawBrowser,
    ssh: RawSsh,
    #[serde(default)]
    audit: RawAudit,
}

/// The keys each table of the file may hold, by its path of keys; entries of a map (an
/// environment's name, a role's name, an allowance's index) can be anything.
pub(super) fn known_keys(table: &[String]) -> &'static [&'static str] {
    let table: Vec<&str> = table.iter().map(String::as_str).collect();
    match table.as_slice() {
        [] => fields_of::<RawConfig>(),
        ["environments", _] => fields_of::<RawEnvironment>(),
        ["environments", _, "hosts", _] => fields_of::<RawHost>(),
        // Any name is a variable; `secret` holds the secret ones.
        ["environments", _, "vars"] => &["secret"],
        ["ssh"] => fields_of::<RawSsh>(),
        ["limits"] => fields_of::<RawLimits>(),
        ["login"] => fields_of::<RawLogin>(),
        ["login", "sso"] => fields_of::<RawSso>(),
        ["roles", _] => fields_of::<RawRole>(),
        ["secrets"] => fields_of::<RawSecrets>(),
        ["content"] => fields_of::<RawContent>(),
        ["content", "allow", _] => fields_of::<RawAllowance>(),
        ["headers"] => fields_of::<RawHeaders>(),
        ["exposure"] => fields_of::<RawExposure>(),
        ["probes"] => fields_of::<RawProbes>(),
        ["deploy"] => fields_of::<RawDeploy>(),
        ["baseline"] => fields_of::<RawBaseline>(),
        ["browser"] => fields_of::<RawBrowser>(),
        ["audit"] => fields_of::<RawAudit>(),
        _ => &[],
    }
}

/// The file named on the command line, or the nearest `shakedown.toml` at or above `start`.
pub fn locate(explicit: Option<&Path>, start: &Path) -> Result<PathBuf, Error> {
    if let Some(path) = explicit {
        return match path.metadata() {
            Ok(metadata) if metadata.is_dir() => Err(Error::IsAFolder {
                path: path.to_path_buf(),
                wanted: "`--config` names the configuration file",
            }),
            // Reading a FIFO would wait for a writer for ever.
            Ok(metadata) if !metadata.is_file() => Err(Error::Read {
                path: path.to_path_buf(),
                source: std::io::Error::other("not a regular file (a FIFO, socket or device)"),
            }),
            Ok(_) => Ok(path.to_path_buf()),
            Err(_) => Err(Error::PathNotFound {
                path: path.to_path_buf(),
            }),
        };
    }
    start
        .ancestors()
        .map(|folder| folder.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| Error::ConfigNotFound {
            searched: start.to_path_buf(),
        })
}

/// The configuration `check` and `audit` read: the one named or found, or none at all.
pub fn optional(explicit: Option<&Path>, start: &Path) -> Result<Option<Config>, Error> {
    match locate(explicit, start) {
        Ok(path) => Ok(Some(load(&path)?)),
        Err(Error::ConfigNotFound { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

pub fn load(path: &Path) -> Result<Config, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Reads configuration text; `path` is where it came from, for messages and relative paths.
pub fn parse(path: &Path, text: &str) -> Result<Config, Error> {
    let source = Source {
        path,
        text: text.strip_prefix('\u{feff}').unwrap_or(text),
    };
    let layered = layered::<RawConfig>(&source, known_keys)?;
    let raw = layered.value;
    let environments = raw
        .environments
        .into_iter()
        .map(|(name, environment)| Ok((name.clone(), environment.resolve(&name, &source)?)))
        .collect::<Result<_, Error>>()?;
    let login_written = layered.written.iter().any(|section| section == "login");
    let site_method = raw.login.get_ref().method(&source)?;
    let provider_named = raw.login.get_ref().provider_named();
    let roles = RawRole::resolve_all(raw.roles, site_method, provider_named, &source)?;
    let page_used = roles.values().any(|role| {
        use shakedown_steps::session::LoginMethod;
        matches!(role.method, LoginMethod::Form | LoginMethod::Sso)
    });
    let mut content = raw.content.resolve(&source)?;
    content.public.security_headers = raw.headers.resolve(&source)?;
    content.public.exposure = raw.exposure.resolve(&source)?;
    Ok(Config {
        path: path.to_path_buf(),
        environments,
        limits: raw.limits.resolve(&source)?,
        features: raw
            .features
            .iter()
            .map(|feature| source.relative(feature))
            .collect(),
        login: RawLogin::resolve(raw.login, login_written, page_used, &source)?,
        roles,
        secrets: raw.secrets.resolve(&source)?,
        content,
        probes: raw.probes.resolve(raw.deploy, &source)?,
        baseline: raw.baseline.resolve(&source)?,
        browser: raw.browser.resolve(&source)?,
        ssh: raw.ssh.resolve(&source)?,
        audit_syslog: raw.audit.syslog,
        audit_log: raw.audit.resolve(&source),
    })
}
