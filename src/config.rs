//! `shakedown.toml`: found by walking up from the current folder (or named with `--config`),
//! read strictly (an unknown key is an error with a suggestion), and every problem reported
//! with the file, line and column it comes from.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use shakedown_steps::browser::BrowserSettings;
use shakedown_steps::content::{Allowance, BUILT_IN, CrawlSettings, RuleError, RuleSet};
use shakedown_steps::session::{ANONYMOUS, LoginSettings, PasswordSource, RoleSettings};
use shakedown_steps::{ContentSettings, ProbeSettings};
use toml::Spanned;
use url::Url;

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
    pub content: ContentSettings,
    /// The `[probes]` section, its paths made relative to the file's folder.
    pub probes: ProbeSettings,
    pub browser: BrowserSettings,
}

#[derive(Debug, Clone)]
pub struct Environment {
    pub base_url: Url,
    pub read_only: bool,
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub step_timeout: Duration,
    pub scenario_timeout: Duration,
    pub concurrency: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            step_timeout: Duration::from_secs(15),
            scenario_timeout: Duration::from_secs(60),
            concurrency: 8,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    features: Vec<String>,
    #[serde(default)]
    environments: BTreeMap<String, RawEnvironment>,
    #[serde(default)]
    limits: RawLimits,
    login: Option<RawLogin>,
    #[serde(default)]
    roles: BTreeMap<String, Spanned<RawRole>>,
    #[serde(default)]
    content: RawContent,
    #[serde(default)]
    probes: RawProbes,
    #[serde(default)]
    browser: RawBrowser,
}

/// `[browser]`: every key optional; without the section, chromedriver from the PATH, headless.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawBrowser {
    webdriver_url: Option<Spanned<String>>,
    chromedriver: Option<String>,
    chromium: Option<String>,
    headless: Option<bool>,
    sessions: Option<Spanned<usize>>,
    login_form: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProbes {
    nagios_plugin_dir: Option<String>,
    cron_grace: Option<Spanned<String>>,
    tls_ca_file: Option<String>,
}

/// `[content]`: extra rules (named, or given by pattern alone), built-in rules to drop, paths
/// excepted from rules, and the crawl's bounds.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawContent {
    #[serde(default)]
    forbidden: Vec<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    allow: Vec<RawAllowance>,
    #[serde(default)]
    crawl_skip: Vec<Spanned<String>>,
    crawl_max_pages: Option<Spanned<usize>>,
    crawl_max_depth: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllowance {
    path: String,
    #[serde(default)]
    rules: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLogin {
    path: String,
    #[serde(default = "default_username_field")]
    username_field: String,
    #[serde(default = "default_password_field")]
    password_field: String,
    success_contains: Option<String>,
}

fn default_username_field() -> String {
    "username".into()
}

fn default_password_field() -> String {
    "password".into()
}

/// A role: its user name and exactly one place its password is kept.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    username: String,
    password_env: Option<String>,
    password_file: Option<String>,
    password_command: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvironment {
    base_url: Spanned<String>,
    #[serde(default)]
    read_only: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    step_timeout: Option<Spanned<String>>,
    scenario_timeout: Option<Spanned<String>>,
    concurrency: Option<Spanned<usize>>,
}

/// The file named on the command line, or the nearest `shakedown.toml` at or above `start`.
pub fn locate(explicit: Option<&Path>, start: &Path) -> Result<PathBuf, Error> {
    if let Some(path) = explicit {
        return match path.is_file() {
            true => Ok(path.to_path_buf()),
            false => Err(Error::PathNotFound {
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

pub fn load(path: &Path) -> Result<Config, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Reads configuration text; `path` is where it came from, for messages and relative paths.
pub fn parse(path: &Path, text: &str) -> Result<Config, Error> {
    let at = |span: Range<usize>, message: String, hint: Option<String>| {
        let (line, column) = line_and_column(text, span.start);
        Error::Config {
            path: path.to_path_buf(),
            line,
            column,
            message,
            hint,
        }
    };
    let raw: RawConfig = toml::from_str(text).map_err(|error| {
        let (message, hint) = explain(error.message());
        at(error.span().unwrap_or(0..0), message, hint)
    })?;

    let mut environments = BTreeMap::new();
    for (name, environment) in raw.environments {
        let base_url = parse_base_url(environment.base_url.get_ref()).map_err(|problem| {
            at(
                environment.base_url.span(),
                format!("`environments.{name}.base_url`: {problem}"),
                None,
            )
        })?;
        environments.insert(
            name,
            Environment {
                base_url,
                read_only: environment.read_only,
            },
        );
    }

    let mut limits = Limits::default();
    for (key, value, slot) in [
        ("step_timeout", raw.limits.step_timeout, &mut limits.step_timeout),
        (
            "scenario_timeout",
            raw.limits.scenario_timeout,
            &mut limits.scenario_timeout,
        ),
    ] {
        if let Some(value) = value {
            *slot = parse_duration(value.get_ref()).map_err(|problem| {
                at(
                    value.span(),
                    format!("`limits.{key}`: {problem}"),
                    Some("write durations like \"15s\", \"500ms\" or \"2m\"".into()),
                )
            })?;
        }
    }
    if let Some(concurrency) = raw.limits.concurrency {
        if *concurrency.get_ref() == 0 {
            return Err(at(
                concurrency.span(),
                "`limits.concurrency` must be at least 1".into(),
                None,
            ));
        }
        limits.concurrency = *concurrency.get_ref();
    }

    let folder = path.parent().unwrap_or(Path::new("."));
    let mut roles = BTreeMap::new();
    for (name, role) in raw.roles {
        let span = role.span();
        let role = role.into_inner();
        let sources: Vec<PasswordSource> = [
            role.password_env.map(PasswordSource::Env),
            role.password_file
                .map(|file| PasswordSource::File(folder.join(file))),
            role.password_command.map(PasswordSource::Command),
        ]
        .into_iter()
        .flatten()
        .collect();
        if name == ANONYMOUS {
            return Err(at(
                span,
                "`roles.anonymous`: `anonymous` is built in (a visitor with no login)".into(),
                None,
            ));
        }
        let [password] = <[PasswordSource; 1]>::try_from(sources).map_err(|sources| {
            at(
                span,
                format!("`roles.{name}` needs exactly one of `password_env`, `password_file`, `password_command` ({} given)", sources.len()),
                Some("passwords never go in shakedown.toml itself".into()),
            )
        })?;
        roles.insert(
            name,
            RoleSettings {
                username: role.username,
                password,
            },
        );
    }
    let content = content_settings(raw.content, &at)?;
    let mut probes = ProbeSettings::default();
    if let Some(dir) = &raw.probes.nagios_plugin_dir {
        probes.nagios_plugin_dir = folder.join(dir);
    }
    if let Some(grace) = raw.probes.cron_grace {
        probes.cron_grace = parse_duration(grace.get_ref()).map_err(|problem| {
            at(
                grace.span(),
                format!("`probes.cron_grace`: {problem}"),
                Some("write durations like \"2m\", \"90s\" or \"1h\"".into()),
            )
        })?;
    }
    probes.tls_ca_file = raw.probes.tls_ca_file.map(|file| folder.join(file));
    let browser = parse_browser(raw.browser, folder, &at)?;
    Ok(Config {
        path: path.to_path_buf(),
        environments,
        limits,
        features: raw.features.iter().map(|feature| folder.join(feature)).collect(),
        login: raw.login.map(|login| LoginSettings {
            path: login.path,
            username_field: login.username_field,
            password_field: login.password_field,
            success_contains: login.success_contains,
        }),
        roles,
        content,
        probes,
        browser,
    })
}

/// `[browser]`, with relative paths taken from the configuration's folder.
fn parse_browser(
    raw: RawBrowser,
    folder: &Path,
    at: &impl Fn(Range<usize>, String, Option<String>) -> Error,
) -> Result<BrowserSettings, Error> {
    let defaults = BrowserSettings::default();
    let webdriver_url = raw
        .webdriver_url
        .map(|url| {
            parse_base_url(url.get_ref()).map_err(|problem| {
                at(
                    url.span(),
                    format!("`browser.webdriver_url`: {problem}"),
                    Some("the address of a running WebDriver, e.g. \"http://127.0.0.1:4444\"".into()),
                )
            })
        })
        .transpose()?;
    let sessions = match raw.sessions {
        Some(sessions) if *sessions.get_ref() == 0 => {
            return Err(at(
                sessions.span(),
                "`browser.sessions` must be at least 1".into(),
                None,
            ));
        }
        Some(sessions) => *sessions.get_ref(),
        None => defaults.sessions,
    };
    Ok(BrowserSettings {
        webdriver_url,
        chromedriver: raw.chromedriver.map(|path| folder.join(path)),
        chromium: raw.chromium.map(|path| folder.join(path)),
        headless: raw.headless.unwrap_or(defaults.headless),
        sessions,
        login_form: raw.login_form.unwrap_or(defaults.login_form),
    })
}

/// Compiles `[content]` into the run's rules; a bad pattern or name points at its line.
fn content_settings(
    raw: RawContent,
    at: &impl Fn(Range<usize>, String, Option<String>) -> Error,
) -> Result<ContentSettings, Error> {
    let mut spans: Vec<(String, Range<usize>)> = Vec::new();
    let mut extra = Vec::new();
    for pattern in &raw.forbidden {
        spans.push((pattern.get_ref().clone(), pattern.span()));
        extra.push((pattern.get_ref().clone(), pattern.get_ref().clone()));
    }
    for (name, pattern) in &raw.rules {
        spans.push((name.clone(), pattern.span()));
        extra.push((name.clone(), pattern.get_ref().clone()));
    }
    let disabled: Vec<String> = raw
        .disable
        .iter()
        .map(|name| {
            spans.push((name.get_ref().clone(), name.span()));
            name.get_ref().clone()
        })
        .collect();
    let allowances = raw
        .allow
        .into_iter()
        .map(|allow| Allowance {
            path_prefix: allow.path,
            rules: allow.rules,
        })
        .collect();
    let rules = RuleSet::new(&extra, &disabled, allowances).map_err(|error| {
        let name = match &error {
            RuleError::Pattern { name, .. } | RuleError::UnknownBuiltIn { name, .. } => name,
        };
        let span = spans
            .iter()
            .find(|(known, _)| known == name)
            .map_or(0..0, |(_, span)| span.clone());
        let hint = match &error {
            RuleError::UnknownBuiltIn {
                suggestion: Some(rule),
                ..
            } => Some(format!("did you mean `{rule}`?")),
            RuleError::UnknownBuiltIn { .. } => Some(format!(
                "built-in rules: {}",
                BUILT_IN
                    .iter()
                    .map(|rule| rule.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            RuleError::Pattern { .. } => None,
        };
        at(span, format!("`[content]`: {error}"), hint)
    })?;
    let mut crawl = CrawlSettings::default();
    for pattern in raw.crawl_skip {
        let compiled = Regex::new(pattern.get_ref()).map_err(|error| {
            at(
                pattern.span(),
                format!(
                    "`content.crawl_skip`: `{}` is not a valid regex: {error}",
                    pattern.get_ref()
                ),
                None,
            )
        })?;
        crawl.skip.push(compiled);
    }
    if let Some(pages) = raw.crawl_max_pages {
        if *pages.get_ref() == 0 {
            return Err(at(
                pages.span(),
                "`content.crawl_max_pages` must be at least 1".into(),
                None,
            ));
        }
        crawl.max_pages = *pages.get_ref();
    }
    if let Some(depth) = raw.crawl_max_depth {
        crawl.max_depth = depth;
    }
    Ok(ContentSettings { rules, crawl })
}

pub fn parse_base_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|error| format!("`{text}` is not a URL ({error})"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("`{text}` uses `{other}:`; a base URL is http or https")),
    }
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(duration) if duration.is_zero() => Err(format!("`{text}` is zero; a limit must be longer")),
        Ok(duration) => Ok(duration),
        Err(error) => Err(format!("`{text}` is not a duration ({error})")),
    }
}

/// Turns serde's wording into ours, with a suggestion for a misspelt key.
fn explain(message: &str) -> (String, Option<String>) {
    static UNKNOWN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^unknown field `([^`]*)`, expected (?:one of )?(.*)$").expect("valid regex")
    });
    static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`([^`]*)`").expect("valid regex"));
    let message = message.trim();
    let Some(captures) = UNKNOWN.captures(message) else {
        return (message.to_owned(), None);
    };
    let unknown = &captures[1];
    if unknown == "password" {
        let hint =
            "passwords never go in shakedown.toml: use `password_env`, `password_file` or `password_command`";
        return (format!("unknown key `{unknown}`"), Some(hint.into()));
    }
    let known: Vec<&str> = NAME
        .captures_iter(&captures[2])
        .filter_map(|name| name.get(1))
        .map(|m| m.as_str())
        .collect();
    let suggestion = known
        .iter()
        .map(|name| (strsim::jaro_winkler(unknown, name), name))
        .filter(|(similarity, _)| *similarity > 0.8)
        .max_by(|(a, _), (b, _)| a.total_cmp(b))
        .map(|(_, name)| format!("did you mean `{name}`?"));
    let known_list = known
        .iter()
        .map(|name| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ");
    (
        format!("unknown key `{unknown}` (known here: {known_list})"),
        suggestion,
    )
}

/// 1-based line and column of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Config, Error> {
        parse(Path::new("/project/shakedown.toml"), text)
    }

    #[test]
    fn a_full_file_reads_with_defaults_filled_in() {
        let config = parse_text(
            "features = [\"features\"]\n[environments.live]\nbase_url = \"https://www.example.com\"\nread_only = true\n\
             [limits]\nstep_timeout = \"2s\"\n",
        )
        .expect("valid");
        let live = &config.environments["live"];
        assert!(live.read_only);
        assert_eq!(live.base_url.as_str(), "https://www.example.com/");
        assert_eq!(config.limits.step_timeout, Duration::from_secs(2));
        assert_eq!(config.limits.scenario_timeout, Duration::from_secs(60));
        assert_eq!(config.features, [PathBuf::from("/project/features")]);
    }

    #[test]
    fn the_probes_section_has_defaults_and_resolves_paths_beside_the_file() {
        let defaults = parse_text("").expect("empty").probes;
        assert_eq!(
            defaults.nagios_plugin_dir,
            PathBuf::from("/usr/lib/nagios/plugins")
        );
        assert_eq!(defaults.cron_grace, Duration::from_secs(120));
        assert_eq!(defaults.tls_ca_file, None);
        let probes = parse_text(
            "[probes]\nnagios_plugin_dir = \"plugins\"\ncron_grace = \"5m\"\ntls_ca_file = \"/etc/ssl/ours.pem\"\n",
        )
        .expect("valid")
        .probes;
        assert_eq!(probes.nagios_plugin_dir, PathBuf::from("/project/plugins"));
        assert_eq!(probes.cron_grace, Duration::from_secs(300));
        assert_eq!(probes.tls_ca_file, Some(PathBuf::from("/etc/ssl/ours.pem")));
        let error = parse_text("[probes]\ncron_grace = \"later\"\n").expect_err("duration");
        assert!(
            error.to_string().contains(":2:14: `probes.cron_grace`"),
            "{error}"
        );
        let error = parse_text("[probes]\nnagios_plugins = \"x\"\n").expect_err("typo");
        assert!(
            error.to_string().contains(":2:1: unknown key `nagios_plugins`"),
            "{error}"
        );
    }

    #[test]
    fn a_misspelt_key_names_its_line_and_the_likely_key() {
        let error = parse_text("[environments.live]\nbase_ur = \"https://x\"\n").expect_err("typo");
        let Error::Config {
            line, message, hint, ..
        } = &error
        else {
            panic!("{error:?}")
        };
        assert_eq!(*line, 2, "{error}");
        assert!(message.contains("unknown key `base_ur`"), "{message}");
        assert_eq!(hint.as_deref(), Some("did you mean `base_url`?"));
    }

    #[test]
    fn roles_take_exactly_one_password_source() {
        let config = parse_text(
            "[login]\npath = \"/accounts/login/\"\n[roles.clerk]\nusername = \"clerk\"\npassword_file = \"secrets/clerk\"\n",
        )
        .expect("valid");
        let clerk = &config.roles["clerk"];
        assert!(
            matches!(&clerk.password, PasswordSource::File(path) if path == Path::new("/project/secrets/clerk"))
        );
        assert_eq!(config.login.expect("login").password_field, "password");
        let error =
            parse_text("[roles.clerk]\nusername = \"c\"\npassword_env = \"A\"\npassword_command = \"b\"\n")
                .expect_err("two sources");
        assert!(
            error
                .to_string()
                .contains(":1:1: `roles.clerk` needs exactly one of"),
            "{error}"
        );
        let error =
            parse_text("[roles.clerk]\nusername = \"c\"\npassword = \"hunter2\"\n").expect_err("inline");
        let Error::Config { hint, .. } = &error else {
            panic!("{error:?}")
        };
        assert!(
            hint.as_deref()
                .unwrap_or_default()
                .contains("never go in shakedown.toml"),
            "{error:?}"
        );
        assert!(!format!("{error:?}").contains("hunter2"));
    }

    #[test]
    fn content_rules_are_checked_where_they_are_written() {
        let config = parse_text(
            "[content]\nforbidden = [\"(?i)staging environment\"]\ndisable = [\"keyboard-mash\"]\ncrawl_max_pages = 50\n",
        )
        .expect("valid");
        assert_eq!(config.content.crawl.max_pages, 50);
        let findings = config
            .content
            .rules
            .scan("/", "the Staging Environment, asdf", None);
        assert_eq!(findings.len(), 1, "{findings:?}");
        let error = parse_text("[content]\n\ndisable = [\"lorem\"]\n").expect_err("unknown rule");
        let Error::Config { line, hint, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!((*line, hint.as_deref()), (3, Some("did you mean `lorem-ipsum`?")));
        let error = parse_text("[content.rules]\nmine = \"(\"\n").expect_err("bad regex");
        assert!(
            error
                .to_string()
                .contains(":2:8: `[content]`: the rule `mine` is not a valid regex"),
            "{error}"
        );
    }

    #[test]
    fn the_browser_section_is_read_strictly_with_defaults() {
        let config = parse_text("").expect("valid");
        assert!(config.browser.headless);
        assert_eq!(config.browser.sessions, 2);
        assert!(config.browser.webdriver_url.is_none());
        let config = parse_text(
            "[browser]\nwebdriver_url = \"http://127.0.0.1:4444\"\nchromedriver = \"bin/chromedriver\"\nheadless = false\nsessions = 4\nlogin_form = true\n",
        )
        .expect("valid");
        assert_eq!(
            config.browser.webdriver_url.map(String::from).as_deref(),
            Some("http://127.0.0.1:4444/")
        );
        assert_eq!(
            config.browser.chromedriver.as_deref(),
            Some(Path::new("/project/bin/chromedriver"))
        );
        assert!(!config.browser.headless && config.browser.login_form);
        assert_eq!(config.browser.sessions, 4);
        let error = parse_text("[browser]\n\nsessions = 0\n").expect_err("zero");
        assert!(
            error
                .to_string()
                .contains(":3:12: `browser.sessions` must be at least 1"),
            "{error}"
        );
        let error = parse_text("[browser]\nheadles = true\n").expect_err("typo");
        let Error::Config { hint, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(hint.as_deref(), Some("did you mean `headless`?"));
    }

    #[test]
    fn bad_values_name_the_key_and_the_line() {
        let error = parse_text("[environments.live]\nbase_url = \"ftp://x\"\n").expect_err("scheme");
        assert!(
            error.to_string().contains(":2:12: `environments.live.base_url`"),
            "{error}"
        );
        let error = parse_text("[limits]\n\nstep_timeout = \"soon\"\n").expect_err("duration");
        assert!(
            error.to_string().contains(":3:16: `limits.step_timeout`"),
            "{error}"
        );
        let error = parse_text("[limits\n").expect_err("syntax");
        assert!(
            error.to_string().starts_with("/project/shakedown.toml:1:"),
            "{error}"
        );
    }
}
