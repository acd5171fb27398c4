//! JUnit XML for CI (Jenkins, GitLab): one testsuite per feature with the run's `properties`,
//! one testcase per scenario, the failing step's message and location in `<failure>`, and the
//! failed attempts of a retried scenario as `flakyFailure` (it passed later) or `rerunFailure`
//! (it never did). quick-junit writes XML that stays valid whatever a page contained (control
//! characters are dropped, `]]>` is escaped), and the C1 controls and bidirectional overrides a
//! page may hold are written as visible escapes, as the terminal shows them.

use std::path::PathBuf;
use std::sync::LazyLock;

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};
use regex::Regex;

use super::collected::{CollectedRun, FileReport};
use super::model::{RunInfo, RunSummary, ScenarioReport, StepReport, StepStatus};
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
    fn write(&self, run: &CollectedRun, _: &RunSummary) -> Result<(), Error> {
        let failed = |source| Error::WriteReport {
            what: "JUnit",
            path: self.path.clone(),
            source,
        };
        let xml = xml(run).map_err(|error| failed(std::io::Error::other(error)))?;
        shakedown_steps::written::replace_file(&self.path, xml.as_bytes()).map_err(failed)
    }
}

/// The report as XML text.
fn xml(run: &CollectedRun) -> Result<String, quick_junit::SerializeError> {
    report(run)
        .to_string()
        .map(|xml| output::shown_safe(&xml_characters_only(&without_disabled_counts(&xml))).into_owned())
}

fn report(run: &CollectedRun) -> Report {
    let properties = run.info.as_ref().map(properties).unwrap_or_default();
    let mut report = Report::new("shakedown");
    for feature in run.features() {
        let mut suite = TestSuite::new(feature.name);
        suite.add_properties(properties.iter().cloned());
        suite.add_test_cases(feature.scenarios.iter().map(|scenario| test_case(scenario)));
        let time = suite.test_cases.iter().filter_map(|case| case.time).sum();
        suite.set_time(time);
        report.add_test_suite(suite);
    }
    report
}

/// The report with every character XML 1.0 does not allow shown as what it is: a control
/// character a page or a server sent (ESC, BEL, a form feed) as its picture (`␛`, `␇`, `␌`),
/// U+FFFE and U+FFFF as `�`. quick-junit escapes markup, not these, and one of them makes the
/// whole report ill-formed: CI would read no result at all. None of them is ever markup, so the
/// finished text can be mended as a whole.
fn xml_characters_only(xml: &str) -> String {
    if !xml.chars().any(not_in_xml) {
        return xml.to_owned();
    }
    xml.chars()
        .map(|c| match c {
            _ if !not_in_xml(c) => c,
            '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c)).unwrap_or('\u{fffd}'),
            _ => '\u{fffd}',
        })
        .collect()
}

/// Whether XML 1.0 forbids `c` anywhere in a document.
fn not_in_xml(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// quick-junit writes a `disabled` count on every testsuite, an attribute the JUnit schema
/// Jenkins validates against does not allow; shakedown never disables a scenario, so it goes.
fn without_disabled_counts(xml: &str) -> String {
    static DISABLED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"(<testsuite [^>]*?) disabled="\d+""#).expect("valid regex"));
    DISABLED.replace_all(xml, "$1").into_owned()
}

/// The run's facts every testsuite carries, in a stable order.
fn properties(info: &RunInfo) -> Vec<Property> {
    let mut properties = vec![
        Property::new("environment", info.environment.clone()),
        Property::new("base_url", info.base_url.clone()),
        Property::new("shakedown_version", env!("CARGO_PKG_VERSION")),
    ];
    let optional = [
        ("hosts", &(!info.hosts.is_empty()).then(|| info.hosts.join(", "))),
        ("tags", &info.tags),
        ("features_revision", &info.revision),
        ("user", &info.user),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            properties.push(Property::new(name, value.clone()));
        }
    }
    properties
}

fn test_case(scenario: &ScenarioReport) -> TestCase {
    let mut status = match scenario.failure() {
        None if !scenario.ran() => {
            let mut status = TestCaseStatus::skipped();
            status.set_message("not run: the run was stopped before this scenario started");
            status
        }
        None => TestCaseStatus::success(),
        Some((step, failure)) => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(failure_message(step, failure))
                .set_type(failure.kind().name())
                .set_description(failure_description(scenario, step, failure));
            status
        }
    };
    // Both schemas Jenkins and GitLab read allow `flakyFailure` on a passing testcase and
    // `rerunFailure` on a failing one; neither allows a `time` on them.
    status.add_reruns(scenario.earlier_attempts.iter().filter_map(|attempt| {
        let (step, failure) = attempt.failure()?;
        let mut rerun = TestRerun::new(NonSuccessKind::Failure);
        rerun
            .set_message(failure_message(step, failure))
            .set_type(failure.kind().name())
            .set_stack_trace(failure_description(scenario, step, failure));
        Some(rerun)
    }));
    let mut case = TestCase::new(scenario.full_name(), status);
    case.set_classname(scenario.feature.clone())
        .set_time(scenario.duration)
        .set_system_out(steps_listing(scenario));
    case
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
    fn characters_xml_forbids_are_shown_as_pictures_and_the_rest_is_kept() {
        let xml =
            "<failure message=\"page said \u{1b}[31mred\u{7}\">tab\tline\nform\u{c}feed\u{fffe}</failure>";
        assert_eq!(
            xml_characters_only(xml),
            "<failure message=\"page said \u{241b}[31mred\u{2407}\">tab\tline\nform\u{240c}feed\u{fffd}</failure>"
        );
        assert_eq!(xml_characters_only("plain"), "plain");
    }
}
