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
use shakedown_steps::ProbeSettings;
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
    /// The `[probes]` section, its paths made relative to the file's folder.
    pub probes: ProbeSettings,
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
    #[serde(default)]
    probes: RawProbes,
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProbes {
    nagios_plugin_dir: Option<String>,
    cron_grace: Option<Spanned<String>>,
    tls_ca_file: Option<String>,
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
    Ok(Config {
        path: path.to_path_buf(),
        environments,
        limits,
        features: raw.features.iter().map(|feature| folder.join(feature)).collect(),
        probes,
    })
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
