//! JUnit XML for CI (Jenkins, GitLab, Surefire-minded readers): one testsuite per feature with
//! its counts (`skipped` included), when and on which machine the run started; the run's
//! `properties` once, on the first testsuite; one testcase per scenario, the failing step's
//! message and location in `<failure>`, a scenario the run never reached (a signal,
//! `--fail-fast`, `--timeout`) as `<skipped>`, and the failed attempts of a retried scenario as
//! `flakyFailure` (it passed later: still a passed testcase) or `rerunFailure` (it never did).
//! Written element by element with quick-xml, with only the attributes the schema Jenkins
//! validates against allows; every text goes through [`shown`] first, so the XML stays valid
//! whatever a page contained.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::collected::{CollectedRun, FeatureResults, FileReport};
use super::model::{Attempt, RunInfo, RunSummary, ScenarioReport, StepReport, StepStatus};
use crate::error::Error;
use crate::output;

pub struct JunitReport {
    path: PathBuf,
}

impl JunitReport {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }
}

impl FileReport for JunitReport {
    fn write(&self, run: &CollectedRun, summary: &RunSummary) -> Result<(), Error> {
        let failed = |source| Error::WriteReport {
            what: "JUnit",
            path: self.path.clone(),
            source,
        };
        let xml = xml(run, summary).map_err(failed)?;
        shakedown_steps::written::replace_file(&self.path, xml.as_bytes()).map_err(failed)
    }
}

/// The report as XML text.
fn xml(run: &CollectedRun, summary: &RunSummary) -> io::Result<String> {
    let run_facts = RunFacts::of(run.info.as_ref());
    let features = run.features();
    let mut xml = Writer::new_with_indent(Vec::new(), b' ', 4);
    xml.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    // No totals here: the schema Jenkins validates against allows no `skipped` on
    // `<testsuites>`, and readers that take totals from it (test-results-parser) would count a
    // scenario that never ran as passed. Without them they add up the testsuites, which say it.
    xml.create_element("testsuites")
        .with_attributes([
            ("name", "shakedown"),
            // The run's wall time: scenarios run side by side, so their sum would overstate it.
            ("time", seconds(summary.duration).as_str()),
        ])
        .write_inner_content(|xml| {
            // A reader that merges the testsuites (junitparser, Jenkins' aggregation) would
            // meet each property once per feature, and some refuse a repeated one.
            features.iter().enumerate().try_for_each(|(index, feature)| {
                let properties = if index == 0 {
                    &run_facts.properties[..]
                } else {
                    &[]
                };
                write_testsuite(xml, feature, &run_facts, properties, summary.stop_cause())
            })
        })?;
    xml.write_indent()?;
    Ok(String::from_utf8_lossy(&xml.into_inner()).into_owned())
}

/// What every testsuite says of the run: when it started, from which machine, and the
/// properties the first one carries.
struct RunFacts {
    timestamp: Option<String>,
    hostname: Option<String>,
    properties: Vec<(&'static str, String)>,
}

impl RunFacts {
    fn of(info: Option<&RunInfo>) -> Self {
        Self {
            // RFC 3339 in UTC, to the second: Ant's pattern with the zone made explicit.
            timestamp: info.map(|info| humantime::format_rfc3339_seconds(info.started).to_string()),
            hostname: info.and_then(|info| info.machine.as_deref().map(shown)),
            properties: info.map(properties).unwrap_or_default(),
        }
    }
}

fn write_testsuite(
    xml: &mut Writer<Vec<u8>>,
    feature: &FeatureResults<'_>,
    run: &RunFacts,
    properties: &[(&'static str, String)],
    stop_cause: &str,
) -> io::Result<()> {
    let scenarios = &feature.scenarios;
    // A scenario that failed is a `failure` whatever the kind (its `type` names it), so
    // `errors` stays 0.
    let failures = scenarios.iter().filter(|scenario| scenario.failure().is_some());
    let skipped = scenarios.iter().filter(|scenario| !scenario.ran());
    let time: Duration = scenarios.iter().map(|scenario| scenario.duration).sum();
    let mut attributes = vec![
        ("name", shown(feature.name)),
        ("tests", scenarios.len().to_string()),
        ("errors", "0".to_owned()),
        ("failures", failures.count().to_string()),
        ("skipped", skipped.count().to_string()),
        ("time", seconds(time)),
    ];
    attributes.extend(run.timestamp.clone().map(|timestamp| ("timestamp", timestamp)));
    attributes.extend(run.hostname.clone().map(|hostname| ("hostname", hostname)));
    xml.create_element("testsuite")
        .with_attributes(attributes.iter().map(|(name, value)| (*name, value.as_str())))
        .write_inner_content(|xml| {
            if !properties.is_empty() {
                xml.create_element("properties").write_inner_content(|xml| {
                    properties.iter().try_for_each(|(name, value)| {
                        xml.create_element("property")
                            .with_attributes([("name", *name), ("value", &shown(value))])
                            .write_empty()
                            .map(drop)
                    })
                })?;
            }
            scenarios
                .iter()
                .try_for_each(|scenario| write_testcase(xml, scenario, stop_cause))
        })
        .map(drop)
}

/// `text` as the report holds it. ANSI escape sequences a page or a command printed are left
/// out, and so are the other control characters XML 1.0 does not allow (one of them makes the
/// whole report ill-formed: CI would read no result at all); U+FFFE and U+FFFF, never allowed
/// either, become `�`. The C1 controls and bidirectional overrides a page may hold are written
/// as visible escapes, as the terminal shows them.
fn shown(text: &str) -> String {
    let text: String = strip_ansi_escapes::strip_str(text)
        .chars()
        .filter(|c| !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}'))
        .map(|c| match c {
            '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
            _ => c,
        })
        .collect();
    output::shown_safe(&text).into_owned()
}

/// A `time` attribute: seconds, to the millisecond.
fn seconds(time: Duration) -> String {
    format!("{:.3}", time.as_secs_f64())
}

/// The run's facts, in a stable order.
fn properties(info: &RunInfo) -> Vec<(&'static str, String)> {
    let mut properties = vec![
        ("environment", info.environment.clone()),
        ("base_url", info.base_url.clone()),
        ("shakedown_version", env!("CARGO_PKG_VERSION").to_owned()),
    ];
    let optional = [
        ("hosts", &(!info.hosts.is_empty()).then(|| info.hosts.join(", "))),
        ("tags", &info.tags),
        ("features_revision", &info.revision),
        ("user", &info.user),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            properties.push((name, value.clone()));
        }
    }
    properties
}

/// One scenario: how it ended, the failed attempts before, and its steps as its output; one
/// the run never started says what stopped it (`stop_cause`).
fn write_testcase(xml: &mut Writer<Vec<u8>>, scenario: &ScenarioReport, stop_cause: &str) -> io::Result<()> {
    xml.create_element("testcase")
        .with_attributes([
            ("name", shown(&scenario.name).as_str()),
            ("classname", &shown(&scenario.container_name())),
            ("time", &seconds(scenario.duration)),
        ])
        .write_inner_content(|xml| {
            // Both schemas Jenkins and GitLab read allow `flakyFailure` on a passing testcase
            // and `rerunFailure` on a failing one; neither allows a `time` on them, nor either
            // on a skipped one.
            let earlier_attempts_as = match scenario.failure() {
                None if !scenario.ran() => {
                    xml.create_element("skipped")
                        .with_attribute((
                            "message",
                            format!(
                                "not run: the run was stopped ({stop_cause}) before this scenario started"
                            )
                            .as_str(),
                        ))
                        .write_empty()?;
                    None
                }
                None => Some("flakyFailure"),
                Some((step, failure)) => {
                    xml.create_element("failure")
                        .with_attributes([
                            ("message", shown(&failure_message(step, failure)).as_str()),
                            ("type", failure.kind().name()),
                        ])
                        .write_text_content(BytesText::new(&shown(&failure_description(
                            scenario, step, failure,
                        ))))?;
                    Some("rerunFailure")
                }
            };
            if let Some(element) = earlier_attempts_as {
                for attempt in &scenario.earlier_attempts {
                    write_earlier_attempt(xml, element, scenario, attempt)?;
                }
            }
            xml.create_element("system-out")
                .write_text_content(BytesText::new(&shown(&steps_listing(scenario))))
                .map(drop)
        })
        .map(drop)
}

/// A failed attempt of a retried scenario, as `element` (`flakyFailure` or `rerunFailure`).
fn write_earlier_attempt(
    xml: &mut Writer<Vec<u8>>,
    element: &str,
    scenario: &ScenarioReport,
    attempt: &Attempt,
) -> io::Result<()> {
    let Some((step, failure)) = attempt.failure() else {
        return Ok(());
    };
    xml.create_element(element)
        .with_attributes([
            ("message", shown(&failure_message(step, failure)).as_str()),
            ("type", failure.kind().name()),
        ])
        .write_inner_content(|xml| {
            xml.create_element("stackTrace")
                .write_text_content(BytesText::new(&shown(&failure_description(
                    scenario, step, failure,
                ))))
                .map(drop)
        })
        .map(drop)
}

fn failure_message(step: &StepReport, failure: &shakedown_steps::StepFailure) -> String {
    format!("{}{}: {}", step.keyword, step.text, failure.summary())
}

fn failure_description(
    scenario: &ScenarioReport,
    step: &StepReport,
    failure: &shakedown_steps::StepFailure,
) -> String {
    format!(
        "{}{}  ({}:{})\n{failure}",
        step.keyword,
        step.text,
        scenario.path.display(),
        step.line
    )
}

/// Every step with its outcome and line, for the testcase's output.
fn steps_listing(scenario: &ScenarioReport) -> String {
    let tags: String = scenario.tags.iter().map(|tag| format!(" @{tag}")).collect();
    let mut lines = vec![format!(
        "{}: {} ({}){tags}",
        scenario.keyword,
        scenario.name,
        scenario.location()
    )];
    for step in &scenario.steps {
        let outcome = match step.status {
            StepStatus::Passed => format!("passed in {:.3}s", step.duration.as_secs_f64()),
            StepStatus::Failed(_) => format!("FAILED after {:.3}s", step.duration.as_secs_f64()),
            StepStatus::NotRun => "not run".to_owned(),
        };
        lines.push(format!(
            "  {}{}  [{outcome}, line {}]",
            step.keyword, step.text, step.line
        ));
    }
    if let Some((_, failure)) = scenario.failure() {
        // Jenkins' JUnit attachments plugin reads `[[ATTACHMENT|/absolute/path]]` lines.
        lines.extend(
            failure
                .attachments()
                .iter()
                .map(|attachment| format!("[[ATTACHMENT|{}]]", absolute(&attachment.path).display())),
        );
    }
    lines.join("\n")
}

/// Jenkins resolves attachments on the agent's file system: relative paths would depend on
/// where it looks from.
fn absolute(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keeps_no_character_xml_forbids_nor_one_a_terminal_would_obey() {
        assert_eq!(
            shown("page said \u{1b}[31mred\u{7}\u{1b}[0m, form\u{c}feed\u{fffe}\nnext line \u{202e}reversed"),
            "page said red, formfeed\u{fffd}\nnext line \\u{202e}reversed"
        );
        assert_eq!(shown("<plain> & \"quoted\""), "<plain> & \"quoted\"");
    }
}
