//! Nagios / Monitoring Plugins: what a plugin's exit code means and what its output says,
//! read by the Monitoring Plugins development guidelines (text, long text, performance data).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::{Captures, Regex};
use url::Url;

use super::commands::{self, CommandRun};
use super::settings::ProbeSettings;
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::Host;
use crate::read_input::read_text_bounded;
use crate::redact;
use crate::text::{self, Keep};

/// resource.cfg is a few lines; anything larger is not one.
const RESOURCE_FILE_LIMIT: u64 = 1024 * 1024;

/// `$USERn$`, the macros Nagios' resource.cfg defines.
static USER_MACRO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$USER([0-9]+)\$").expect("the macro pattern is valid"));

/// The `$USERn$=value` lines of Nagios' resource.cfg, by number; blank lines and `#` or `;`
/// comments aside, a line of any other shape is a problem at its number.
pub fn resource_macros(text: &str) -> Result<BTreeMap<usize, String>, (usize, String)> {
    let mut defined = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let number_and_value = line.split_once('=').and_then(|(name, value)| {
            let number = user_macro_number(name.trim().strip_prefix('$')?.strip_suffix('$')?)?;
            Some((number, value.trim().to_owned()))
        });
        match number_and_value {
            Some((number, value)) => {
                defined.insert(number, value);
            }
            None => return Err((index + 1, format!("expected `$USERn$=value`, found `{line}`"))),
        }
    }
    Ok(defined)
}

/// The number of a `$USERn$` macro's name (`USER3`), from 1.
pub fn user_macro_number(name: &str) -> Option<usize> {
    name.strip_prefix("USER")?
        .parse()
        .ok()
        .filter(|number| *number > 0)
}

/// `check` with its `$USERn$` macros filled in as Nagios fills them: from the resource.cfg named
/// `probes.nagios_resource`, read when the check runs, so a feature keeps a reference to a
/// secret and never the secret. Each value used is registered as a secret first. Without the
/// file, `$USER1$` is the plugin folder, as every stock resource.cfg has it.
pub(crate) fn with_user_macros(
    check: &str,
    resource: Option<&Path>,
    plugin_dir: &Path,
) -> Result<String, StepFailure> {
    if !USER_MACRO.is_match(check) {
        return Ok(check.to_owned());
    }
    let defined = match resource {
        Some(file) => read_text_bounded(file, RESOURCE_FILE_LIMIT)
            .map_err(|error| error.to_string())
            .and_then(|text| {
                resource_macros(&text).map_err(|(line, problem)| format!("line {line}: {problem}"))
            })
            .map_err(|why| {
                StepFailure::configuration(format!(
                    "the Nagios check is UNKNOWN: cannot read Nagios' resource file `{}`: {why}",
                    file.display()
                ))
            })?,
        None => BTreeMap::new(),
    };
    let mut missing = None;
    let filled = USER_MACRO.replace_all(check, |found: &Captures<'_>| {
        let name = &found[0];
        let number = user_macro_number(&name[1..name.len() - 1]);
        match (number.and_then(|number| defined.get(&number)), number) {
            (Some(value), _) => {
                redact::register_named(name, value);
                value.clone()
            }
            (None, Some(1)) => plugin_dir.display().to_string(),
            (None, _) => {
                missing.get_or_insert_with(|| name.to_owned());
                name.to_owned()
            }
        }
    });
    match (missing, resource) {
        (None, _) => Ok(filled.into_owned()),
        (Some(name), Some(file)) => Err(StepFailure::configuration(format!(
            "the Nagios check is UNKNOWN: `{name}` is not defined in `{}`",
            file.display()
        ))),
        (Some(name), None) => Err(StepFailure::configuration(format!(
            "the Nagios check is UNKNOWN: `{name}` is defined in Nagios' resource.cfg, and no file is named for it"
        ))
        .with("hint", "name the file in shakedown.toml: `[probes]` `nagios_resource = \"/etc/nagios/resource.cfg\"`")),
    }
}

/// How every Nagios plugin runs, a step's and the baseline's alike: its `$USERn$` macros filled
/// in, looked for in `probes.nagios_plugin_dir` before the `PATH`, told where the site is, blind
/// to the variables that hold role passwords, started where relative paths in features start.
/// One runner, so what a plugin may see is decided in one place.
#[derive(Debug, Clone, Default)]
pub struct PluginRunner {
    plugin_dir: PathBuf,
    resource: Option<PathBuf>,
    environment: Vec<(String, String)>,
    password_variables: Vec<String>,
    config_folder: PathBuf,
}

impl PluginRunner {
    /// Plugins run with the `[probes]` settings against the site at `base_url`, never seeing
    /// `password_variables`; relative paths start at `config_folder` on this machine.
    pub fn new(
        probes: &ProbeSettings,
        base_url: &Url,
        password_variables: Vec<String>,
        config_folder: &Path,
    ) -> Self {
        Self {
            plugin_dir: probes.nagios_plugin_dir.clone(),
            resource: probes.nagios_resource.clone(),
            environment: commands::environment(base_url),
            password_variables,
            config_folder: config_folder.to_path_buf(),
        }
    }

    /// Runs `check` on `host` by `deadline`. A plugin that is missing, cannot start or runs out
    /// of time is UNKNOWN, and the failure says which.
    pub(crate) async fn run(
        &self,
        host: &dyn Host,
        check: &str,
        deadline: Deadline,
    ) -> Result<CommandRun, StepFailure> {
        // Relative paths start at the configuration's folder here, at the SSH user's home there.
        let folder = host.is_local().then(|| self.config_folder.clone());
        let on_host = |path: &str| {
            folder
                .as_ref()
                .map_or_else(|| PathBuf::from(path), |folder| folder.join(path))
        };
        let plugin_dir = &self.plugin_dir;
        // The line as written (with its `$USERn$` references) is what every message shows.
        let filled = with_user_macros(check, self.resource.as_deref(), plugin_dir)?;
        let mut invocation = commands::invocation(&filled)?;
        invocation.env = self.environment.clone();
        invocation.env_remove = self.password_variables.clone();
        invocation.cwd = folder.clone();
        invocation.path_prefix = vec![plugin_dir.clone()];
        if let Some(plugin) = shell_words::split(&filled)
            .ok()
            .and_then(|words| words.into_iter().next())
            .filter(|word| !word.contains('='))
        {
            let wanted = match plugin.contains('/') {
                true => on_host(&plugin).to_string_lossy().into_owned(),
                false => plugin.clone(),
            };
            let search = host.find_program(&wanted, std::slice::from_ref(plugin_dir), deadline);
            let found = deadline
                .run_before(search)
                .await
                .ok_or_else(|| {
                    deadline.exceeded(format!(
                        "the Nagios check is UNKNOWN: the plugin `{plugin}` could not be looked for"
                    ))
                })?
                .map_err(|error| {
                    StepFailure::connection(format!(
                        "the Nagios check is UNKNOWN: cannot look for the plugin `{plugin}` on {}",
                        host.name()
                    ))
                    .with("reason", error.to_string())
                })?;
            let Some(found) = found else {
                let candidate = match plugin.contains('/') {
                    true => PathBuf::from(&wanted),
                    false => plugin_dir.join(&plugin),
                };
                // Found nowhere, yet there: then it lacks the permission to run.
                let there = host.metadata(&candidate, deadline).await;
                if matches!(there, Ok(facts) if !facts.is_dir) {
                    return Err(StepFailure::configuration(format!(
                        "the Nagios check is UNKNOWN: the plugin `{}` on {} exists but is not executable",
                        candidate.display(),
                        host.name()
                    ))
                    .with("command", check)
                    .with(
                        "hint",
                        format!("make it executable: `chmod +x {}`", candidate.display()),
                    ));
                }
                return Err(StepFailure::configuration(format!(
                    "the Nagios check is UNKNOWN: the plugin `{plugin}` was not found in `{}` or on the PATH of {}",
                    plugin_dir.display(),
                    host.name()
                ))
                .with("command", check)
                .with("hint", "install the plugin (Debian: monitoring-plugins), or set `probes.nagios_plugin_dir`"));
            };
            if invocation.program == plugin {
                invocation.program = found.to_string_lossy().into_owned();
            }
        }
        commands::run(
            host,
            check,
            &invocation,
            deadline,
            "the Nagios check is UNKNOWN: the plugin",
        )
        .await
    }
}

/// A plugin's verdict. The order is severity: `OK < WARNING < CRITICAL < UNKNOWN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum State {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl State {
    /// 0/1/2/3 as the guidelines define them; any other code, or none, is UNKNOWN.
    pub fn from_exit(code: Option<i32>) -> Self {
        match code {
            Some(0) => Self::Ok,
            Some(1) => Self::Warning,
            Some(2) => Self::Critical,
            _ => Self::Unknown,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Ok => "OK",
            Self::Warning => "WARNING",
            Self::Critical => "CRITICAL",
            Self::Unknown => "UNKNOWN",
        })
    }
}

/// One performance data item: `'label'=value[UOM];[warn];[crit];[min];[max]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PerfDatum {
    pub label: String,
    /// `None` for `U`: the plugin could not determine the value.
    pub value: Option<f64>,
    pub unit: String,
    /// Thresholds are ranges (`10`, `~:5`, `@10:20`), kept as written.
    pub warn: Option<String>,
    pub crit: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl fmt::Display for PerfDatum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.value {
            Some(value) => write!(f, "{} = {value}{}", self.label, self.unit)?,
            None => write!(f, "{} = undetermined", self.label)?,
        }
        let limits: Vec<String> = [
            ("warn", self.warn.clone()),
            ("crit", self.crit.clone()),
            ("min", self.min.map(|v| v.to_string())),
            ("max", self.max.map(|v| v.to_string())),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|value| format!("{name} {value}")))
        .collect();
        if !limits.is_empty() {
            write!(f, " ({})", limits.join(", "))?;
        }
        Ok(())
    }
}

/// A plugin's output taken apart.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct PluginOutput {
    /// The first line without its performance data: the status text.
    pub summary: String,
    /// The lines after the first, without performance data.
    pub long_text: Vec<String>,
    pub perfdata: Vec<PerfDatum>,
    /// Performance data items that do not follow the format, as written.
    pub unreadable: Vec<String>,
}

/// Splits plugin output: `TEXT | PERF` on the first line; long text on the next lines until
/// one holds `|`, after which everything is performance data.
pub(crate) fn parse_output(output: &str) -> PluginOutput {
    let mut lines = output.lines();
    let first = lines.next().unwrap_or_default();
    let (summary, mut perf_text) = match first.split_once('|') {
        Some((text, perf)) => (text.trim().to_owned(), perf.to_owned()),
        None => (first.trim().to_owned(), String::new()),
    };
    let mut long_text = Vec::new();
    let mut in_perfdata = false;
    for line in lines {
        if in_perfdata {
            perf_text.push(' ');
            perf_text.push_str(line);
        } else if let Some((text, perf)) = line.split_once('|') {
            push_nonblank(&mut long_text, text);
            perf_text.push(' ');
            perf_text.push_str(perf);
            in_perfdata = true;
        } else {
            push_nonblank(&mut long_text, line);
        }
    }
    let (perfdata, unreadable) = parse_perfdata(&perf_text);
    PluginOutput {
        summary,
        long_text,
        perfdata,
        unreadable,
    }
}

fn push_nonblank(lines: &mut Vec<String>, line: &str) {
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_owned());
    }
}

/// Reads space-separated performance data. Labels may be quoted with `'` (then they may hold
/// spaces and `=`, and `''` is a quote); unreadable items are returned apart, not dropped.
pub(crate) fn parse_perfdata(text: &str) -> (Vec<PerfDatum>, Vec<String>) {
    let mut data = Vec::new();
    let mut unreadable = Vec::new();
    for item in split_items(text) {
        match parse_item(&item) {
            Some(datum) => data.push(datum),
            None => unreadable.push(item),
        }
    }
    (data, unreadable)
}

/// Splits at spaces outside quoted labels.
fn split_items(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    items.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        items.push(current);
    }
    items
}

fn parse_item(item: &str) -> Option<PerfDatum> {
    let (label, rest) = match item.strip_prefix('\'') {
        Some(quoted) => {
            // The closing quote is the first `'` not doubled.
            let mut label = String::new();
            let mut chars = quoted.char_indices().peekable();
            let mut end = None;
            while let Some((index, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().is_some_and(|(_, next)| *next == '\'') {
                        chars.next();
                        label.push('\'');
                        continue;
                    }
                    end = Some(index + 1);
                    break;
                }
                label.push(c);
            }
            (label, quoted[end?..].strip_prefix('=')?)
        }
        None => {
            let (label, rest) = item.split_once('=')?;
            (label.to_owned(), rest)
        }
    };
    if label.is_empty() {
        return None;
    }
    let mut fields = rest.split(';');
    let (value, unit) = parse_value(fields.next()?)?;
    let mut text_field = || fields.next().filter(|field| !field.is_empty()).map(str::to_owned);
    let warn = text_field();
    let crit = text_field();
    let number = |field: Option<String>| -> Option<Option<f64>> {
        match field {
            None => Some(None),
            Some(text) => text.parse().ok().map(Some),
        }
    };
    let min = number(text_field())?;
    let max = number(text_field())?;
    Some(PerfDatum {
        label,
        value,
        unit,
        warn,
        crit,
        min,
        max,
    })
}

/// `12.5ms` → (12.5, "ms"); `U` → undetermined.
fn parse_value(text: &str) -> Option<(Option<f64>, String)> {
    if text == "U" {
        return Some((None, String::new()));
    }
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    let unit_ok = unit.chars().all(|c| c.is_ascii_alphabetic() || c == '%');
    unit_ok.then(|| (Some(value), unit.to_owned()))
}

/// `check_tcp: OK: TCP OK - 0.000 second response time [time=0.000128s (warn 10, crit 20)]`:
/// what a passing check reports, status text and performance data on one line.
pub(crate) fn summary(run: &CommandRun) -> String {
    let output = parse_output(&run.finished.stdout);
    let perfdata: Vec<String> = output.perfdata.iter().map(ToString::to_string).collect();
    let mut line = format!(
        "{}: {} {}",
        run.line,
        State::from_exit(run.finished.code),
        output.summary
    );
    if !perfdata.is_empty() {
        line.push_str(&format!(" [{}]", perfdata.join("; ")));
    }
    text::without_terminal_controls(&line)
}

/// Checks a finished plugin against the worst state the step accepts.
pub(crate) fn verdict(run: &CommandRun, worst_accepted: State) -> Result<(), StepFailure> {
    let state = State::from_exit(run.finished.code);
    if state <= worst_accepted {
        return Ok(());
    }
    let output = parse_output(&run.finished.stdout);
    let expected = match worst_accepted {
        State::Ok => "OK".to_owned(),
        other => format!("at most {other}"),
    };
    let mut failure = StepFailure::new(format!("the Nagios check is {state}, expected {expected}"));
    if !output.summary.is_empty() {
        failure = failure.with("output", text::for_terminal(&output.summary, Keep::Start));
    }
    if !output.long_text.is_empty() {
        failure = failure.with(
            "long output",
            text::for_terminal(&output.long_text.join("\n"), Keep::Start),
        );
    }
    if !output.perfdata.is_empty() {
        let perfdata: Vec<String> = output.perfdata.iter().map(ToString::to_string).collect();
        failure = failure.with("perfdata", text::for_terminal(&perfdata.join("\n"), Keep::Start));
    }
    if !output.unreadable.is_empty() {
        failure = failure.with(
            "unreadable perfdata",
            text::for_terminal(&output.unreadable.join(" "), Keep::Start),
        );
    }
    let code = run.finished.code;
    if !matches!(code, Some(0..=3)) {
        failure = failure.with(
            "note",
            format!(
                "{} is not a plugin status (0 to 3), so it counts as UNKNOWN",
                run.finished.describe_status()
            ),
        );
    }
    failure = failure
        .with("command", &run.line)
        .with("status", run.finished.describe_status());
    if !run.finished.stderr.trim().is_empty() {
        failure = failure.with("stderr", text::for_terminal(&run.finished.stderr, Keep::End));
    }
    Err(failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datum(label: &str, value: Option<f64>, unit: &str) -> PerfDatum {
        PerfDatum {
            label: label.into(),
            value,
            unit: unit.into(),
            warn: None,
            crit: None,
            min: None,
            max: None,
        }
    }

    #[test]
    fn exit_codes_map_to_states() {
        assert_eq!(State::from_exit(Some(0)), State::Ok);
        assert_eq!(State::from_exit(Some(1)), State::Warning);
        assert_eq!(State::from_exit(Some(2)), State::Critical);
        assert_eq!(State::from_exit(Some(3)), State::Unknown);
        assert_eq!(State::from_exit(Some(127)), State::Unknown);
        assert_eq!(State::from_exit(None), State::Unknown);
        assert!(State::Warning < State::Critical && State::Critical < State::Unknown);
    }

    /// The guidelines' one-line example.
    #[test]
    fn a_single_line_with_perfdata() {
        let output =
            parse_output("PING ok - Packet loss = 0%, RTA = 0.80 ms | percent_packet_loss=0 rta=0.80");
        assert_eq!(output.summary, "PING ok - Packet loss = 0%, RTA = 0.80 ms");
        assert_eq!(
            output.perfdata,
            [
                datum("percent_packet_loss", Some(0.0), ""),
                datum("rta", Some(0.8), "")
            ]
        );
        assert!(output.unreadable.is_empty(), "{:?}", output.unreadable);
    }

    /// The guidelines' multi-line example: long text lines, with perfdata continuing after the
    /// first `|` of a later line.
    #[test]
    fn multi_line_output_with_perfdata_on_later_lines() {
        let output = parse_output(
            "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n\
             / 15272 MB (77%);\n\
             /boot 68 MB (69%);\n\
             /home 69357 MB (27%);\n\
             /var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n\
             /home=69357MB;253404;253409;0;253414\n\
             /var/log=818MB;970;975;0;980\n",
        );
        assert_eq!(output.summary, "DISK OK - free space: / 3326 MB (56%);");
        assert_eq!(
            output.long_text,
            [
                "/ 15272 MB (77%);",
                "/boot 68 MB (69%);",
                "/home 69357 MB (27%);",
                "/var/log 819 MB (84%);"
            ]
        );
        let labels: Vec<&str> = output.perfdata.iter().map(|d| d.label.as_str()).collect();
        assert_eq!(labels, ["/", "/boot", "/home", "/var/log"]);
        let root = &output.perfdata[0];
        assert_eq!(root.value, Some(2643.0));
        assert_eq!(root.unit, "MB");
        assert_eq!(root.warn.as_deref(), Some("5948"));
        assert_eq!(root.crit.as_deref(), Some("5958"));
        assert_eq!((root.min, root.max), (Some(0.0), Some(5968.0)));
        assert!(output.unreadable.is_empty(), "{:?}", output.unreadable);
    }

    #[test]
    fn quoted_labels_units_ranges_and_undetermined_values() {
        let (data, unreadable) = parse_perfdata(
            "'in use'=12% 'it''s'=1c time=0.004s;1.5;3;0 'rta'=U;;; load=0.5;~:5;@10:20 bytes=42B",
        );
        assert!(unreadable.is_empty(), "{unreadable:?}");
        assert_eq!(data[0], datum("in use", Some(12.0), "%"));
        assert_eq!(data[1], datum("it's", Some(1.0), "c"));
        assert_eq!(data[2].unit, "s");
        assert_eq!(data[2].warn.as_deref(), Some("1.5"));
        assert_eq!(data[2].min, Some(0.0));
        assert_eq!(data[3], datum("rta", None, ""));
        assert_eq!(data[4].warn.as_deref(), Some("~:5"));
        assert_eq!(data[4].crit.as_deref(), Some("@10:20"));
        assert_eq!(data[5], datum("bytes", Some(42.0), "B"));
    }

    #[test]
    fn malformed_items_are_kept_apart() {
        let (data, unreadable) = parse_perfdata("ok=1 novalue noequals= =3 bad=1;2;3;low;9 'open=1");
        assert_eq!(data, [datum("ok", Some(1.0), "")]);
        assert_eq!(
            unreadable,
            ["novalue", "noequals=", "=3", "bad=1;2;3;low;9", "'open=1"]
        );
    }

    #[test]
    fn output_without_perfdata_or_text() {
        assert_eq!(parse_output("TCP OK - 0.001 second response time\n").perfdata, []);
        assert_eq!(parse_output(""), PluginOutput::default());
    }

    #[test]
    fn user_macros_are_filled_in_from_the_resource_file_when_the_check_runs() {
        let folder = tempfile::tempdir().expect("temp dir");
        let resource = folder.path().join("resource.cfg");
        std::fs::write(&resource, "# secrets\n$USER3$ = macro-secret-9\n").expect("write");
        let plugins = Path::new("/plugins");
        assert_eq!(
            with_user_macros("$USER1$/check_http -a 'u:$USER3$'", Some(&resource), plugins).expect("filled"),
            "/plugins/check_http -a 'u:macro-secret-9'"
        );
        assert_eq!(redact::redact("seen macro-secret-9"), "seen [redacted]");
        assert_eq!(
            with_user_macros("check_load -w 5", None, plugins).expect("none"),
            "check_load -w 5"
        );
        let undefined =
            with_user_macros("check -a $USER4$", Some(&resource), plugins).expect_err("undefined");
        assert!(
            undefined.summary().contains("`$USER4$` is not defined in"),
            "{undefined}"
        );
        let unnamed = with_user_macros("check -a $USER3$", None, plugins).expect_err("no file");
        assert!(unnamed.summary().contains("no file is named for it"), "{unnamed}");
    }
}
