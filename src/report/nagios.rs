//! `--format nagios`: the run as one Monitoring Plugins check, so the features that gate a
//! deployment also watch the site between deployments. One status line with performance data,
//! the failures on the lines after it, and the exit code Nagios, Icinga and NRPE read.
//! See <https://www.monitoring-plugins.org/doc/guidelines.html#AEN200> for the output grammar.

use std::io::Write;

use super::model::{Reporter, RunEvent, RunSummary, ScenarioReport, WARNING_TAG, is_tool_problem};
use crate::error::Error;

/// The four states of a plugin, in the order their exit codes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NagiosStatus {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl NagiosStatus {
    /// A site failure is CRITICAL unless every failing scenario is tagged `@warning`; a run
    /// whose only failures are the tool's own (a missing driver, a bad setting) says nothing
    /// about the site and is UNKNOWN, and so is a run stopped before its end (`--timeout`, a
    /// signal): what it did not check could be broken. A real CRITICAL outranks an UNKNOWN
    /// beside it, since it is the one an operator must act on.
    pub fn of(summary: &RunSummary) -> Self {
        if critical_failures(summary) > 0 {
            Self::Critical
        } else if summary.tool_problems > 0 || summary.stopped_by.is_some() {
            Self::Unknown
        } else if summary.warnings > 0 {
            Self::Warning
        } else {
            Self::Ok
        }
    }

    pub fn exit_code(self) -> i32 {
        match self {
            Self::Ok => 0,
            Self::Warning => 1,
            Self::Critical => 2,
            Self::Unknown => 3,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Warning => "WARNING",
            Self::Critical => "CRITICAL",
            Self::Unknown => "UNKNOWN",
        }
    }
}

/// The status line for a run that could not start: bad configuration, no scenario selected.
pub fn unknown_line(problem: &str) -> String {
    format!(
        "SHAKEDOWN UNKNOWN - {}",
        plugin_text(problem.lines().next().unwrap_or(""))
    )
}

pub struct NagiosReporter<W: Write> {
    out: W,
    failures: Vec<ScenarioReport>,
}

impl<W: Write> NagiosReporter<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            failures: Vec::new(),
        }
    }

    fn write(&mut self, summary: &RunSummary) -> std::io::Result<()> {
        let status = NagiosStatus::of(summary);
        let total = summary.total();
        let mut verdict = match summary.stopped_by {
            Some(cause) => format!("stopped by {cause} with {} not run: ", summary.not_run),
            None => String::new(),
        };
        verdict += &if summary.failed == 0 {
            let mut text = format!("{} of {total} scenarios passed", summary.finished());
            if summary.flaky > 0 {
                text.push_str(&format!(" ({} only on a retry)", summary.flaky));
            }
            text
        } else {
            let names: Vec<String> = self.failures.iter().map(|report| report.full_name()).collect();
            format!(
                "{} of {total} scenarios failed: {}",
                summary.failed,
                names.join("; ")
            )
        };
        writeln!(
            self.out,
            "SHAKEDOWN {} - {} | {}",
            status.word(),
            plugin_text(&verdict),
            performance_data(summary)
        )?;
        for report in &self.failures {
            let (severity, why) = match report.failure() {
                Some((step, failure)) => {
                    let severity = if is_tool_problem(failure) {
                        NagiosStatus::Unknown
                    } else if report.has_tag(WARNING_TAG) {
                        NagiosStatus::Warning
                    } else {
                        NagiosStatus::Critical
                    };
                    (
                        severity,
                        format!("{}{}: {}", step.keyword, step.text, failure.summary()),
                    )
                }
                None => (NagiosStatus::Critical, String::new()),
            };
            writeln!(
                self.out,
                "{} {} ({}) {}",
                severity.word(),
                plugin_text(&report.full_name()),
                report.location(),
                plugin_text(&why)
            )?;
        }
        self.out.flush()
    }
}

/// `'passed'=12;;;0;14 'failed'=1;;0;0;14 'warning'=1;0;;0;14 'unknown'=0;;;0;14
/// 'flaky'=0;;;0;14 'time'=3.21s;;;0;`: counts bounded by the run's size, the run's time in
/// seconds. Each failure is counted once, by the state it gives the check, so a reader that
/// applies the Monitoring Plugins ranges (Icinga, nagiosplugin, PNP4Nagios) reads the state the
/// status line says: `failed` holds the failures that make it CRITICAL, with the critical
/// range `0` (0..0: the first one is outside it; `1` would allow one), `warning` the `@warning`
/// ones with the warning range `0`, and `unknown` the checks that could not tell, which no
/// range can express.
pub fn performance_data(summary: &RunSummary) -> String {
    let total = summary.total();
    let critical = critical_failures(summary);
    format!(
        "'passed'={};;;0;{total} 'failed'={critical};;0;0;{total} 'warning'={};0;;0;{total} 'unknown'={};;;0;{total} 'flaky'={};;;0;{total} 'time'={:.2}s;;;0;",
        summary.passed,
        summary.warnings,
        summary.tool_problems,
        summary.flaky,
        summary.duration.as_secs_f64()
    )
}

/// The failures that say the site is broken: neither `@warning` nor the tool's own.
fn critical_failures(summary: &RunSummary) -> usize {
    summary
        .failed
        .saturating_sub(summary.tool_problems + summary.warnings)
}

/// Text as a plugin line may hold it: one line, and no `|`, which starts performance data.
fn plugin_text(text: &str) -> String {
    text.replace('|', "/")
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl<W: Write> Reporter for NagiosReporter<W> {
    fn on_event(&mut self, event: &RunEvent) -> Result<(), Error> {
        let written = match event {
            RunEvent::Started(_) | RunEvent::ScenarioStarted { .. } => Ok(()),
            RunEvent::ScenarioFinished(report) => {
                if !report.passed() {
                    self.failures.push(report.clone());
                }
                Ok(())
            }
            RunEvent::Finished(summary) => self.write(summary),
        };
        written.map_err(|source| Error::Io {
            what: "cannot write the Nagios status".into(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(passed: usize, failed: usize, warnings: usize, tool_problems: usize) -> RunSummary {
        RunSummary {
            passed,
            failed,
            warnings,
            tool_problems,
            ..RunSummary::default()
        }
    }

    #[test]
    fn severity_follows_the_worst_failure_that_says_something_about_the_site() {
        assert_eq!(NagiosStatus::of(&summary(3, 0, 0, 0)), NagiosStatus::Ok);
        assert_eq!(NagiosStatus::of(&summary(3, 1, 1, 0)), NagiosStatus::Warning);
        assert_eq!(NagiosStatus::of(&summary(3, 2, 1, 0)), NagiosStatus::Critical);
        assert_eq!(NagiosStatus::of(&summary(3, 1, 0, 1)), NagiosStatus::Unknown);
        assert_eq!(NagiosStatus::of(&summary(3, 2, 0, 1)), NagiosStatus::Critical);
        assert_eq!(NagiosStatus::of(&summary(3, 2, 1, 1)), NagiosStatus::Unknown);
        assert_eq!(NagiosStatus::of(&summary(3, 3, 1, 1)), NagiosStatus::Critical);
    }

    #[test]
    fn plugin_text_is_one_line_without_a_pipe() {
        assert_eq!(plugin_text("a | b\n  c\r\n"), "a / b c");
    }
}
