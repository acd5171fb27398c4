//! `--html FILE`: one self-contained page for the people who wrote the features. A summary
//! first (where, when, who, how long, verdicts per feature), then every scenario: failing and
//! flaky ones open with the failure's labelled details and the screenshot embedded, passing
//! ones folded. No network: inline CSS, images as `data:` URLs, and a Content-Security-Policy
//! that forbids loading anything. It prints with every scenario unfolded.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use shakedown_steps::StepFailure;

use super::collected::{CollectedRun, FeatureResults, FileReport};
use super::model::{RunInfo, RunSummary, ScenarioReport, StepArgument, StepReport, StepStatus, Verdict};
use crate::error::Error;
use crate::output;

pub struct HtmlReport {
    path: PathBuf,
}

impl HtmlReport {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }
}

impl FileReport for HtmlReport {
    fn write(&self, run: &CollectedRun, summary: &RunSummary) -> Result<(), Error> {
        let page = page(run.info.as_ref(), &run.features(), summary).into_string();
        // Page text, names and failures come from the site: shown, never obeyed.
        let page = output::shown_safe(&page);
        shakedown_steps::written::replace_file(&self.path, page.as_bytes()).map_err(|source| {
            Error::WriteReport {
                what: "HTML",
                path: self.path.clone(),
                source,
            }
        })
    }
}

/// Images may only come from the page itself; nothing else may load at all.
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

const STYLE: &str = r#"
body { font: 15px/1.45 system-ui, sans-serif; color: #1d1d1f; margin: 2em auto; max-width: 70em; padding: 0 1em; }
h1 { font-size: 1.6em; margin: 0 0 .3em; }
h2 { font-size: 1.25em; margin: 1.6em 0 .4em; border-bottom: 1px solid #ddd; }
table.facts td, table.facts th { text-align: left; padding: .1em 1em .1em 0; vertical-align: top; }
table.counts { border-collapse: collapse; margin: .6em 0; }
table.counts th, table.counts td { border: 1px solid #ccc; padding: .25em .7em; text-align: right; }
table.counts th:first-child, table.counts td:first-child { text-align: left; }
.verdict { font-weight: 700; padding: .05em .45em; border-radius: .25em; color: #fff; font-size: .85em; }
.passed { background: #2e7d32; } .failed { background: #c62828; } .flaky { background: #ef6c00; } .notrun { background: #757575; }
details.scenario { border: 1px solid #ccc; border-radius: .3em; margin: .5em 0; padding: .3em .7em; break-inside: avoid; }
details.scenario[open] { padding-bottom: .7em; }
details.scenario.failed-scenario { border-color: #c62828; }
details.scenario.flaky-scenario { border-color: #ef6c00; }
summary { cursor: pointer; }
.location, .tags, .muted { color: #666; font-size: .9em; }
ol.steps { margin: .4em 0; padding-left: 1.4em; }
ol.steps li.failed-step { color: #b71c1c; font-weight: 600; }
ol.steps li.notrun-step { color: #888; }
.failure { border-left: 4px solid #c62828; background: #fff5f5; margin: .5em 0; padding: .4em .8em; }
.failure.earlier { border-color: #ef6c00; background: #fff8f0; }
.failure dl { display: grid; grid-template-columns: max-content 1fr; gap: .15em 1em; margin: .4em 0 0; }
.failure dt { font-weight: 600; } .failure dd { margin: 0; white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: .9em; }
pre { background: #f5f5f5; padding: .4em .6em; white-space: pre-wrap; }
table.argument { border-collapse: collapse; margin: .2em 0; } table.argument td { border: 1px solid #ccc; padding: .1em .5em; }
.screenshot input { display: none; }
.screenshot img { max-width: 32em; border: 1px solid #999; cursor: zoom-in; display: block; margin: .4em 0; }
.screenshot input:checked + img { max-width: none; cursor: zoom-out; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  .screenshot img { max-width: 100%; }
  summary { cursor: auto; }
}
"#;

/// Closed `<details>` do not print; a stakeholder printing the report wants everything.
const UNFOLD_FOR_PRINT: &str =
    "addEventListener('beforeprint',()=>document.querySelectorAll('details').forEach(d=>d.open=true));";

fn page(info: Option<&RunInfo>, features: &[FeatureResults<'_>], summary: &RunSummary) -> Markup {
    let title = match info {
        Some(info) => format!("shakedown: {} ({})", info.environment, verdict_text(summary)),
        None => format!("shakedown ({})", verdict_text(summary)),
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(CONTENT_SECURITY_POLICY);
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
                script { (PreEscaped(UNFOLD_FOR_PRINT)) }
            }
            body {
                h1 { (title) }
                (facts(info, summary))
                (counts(features, summary))
                @for feature in features {
                    h2 { (feature.name) " " span.location { (feature.path.display()) } }
                    @for scenario in &feature.scenarios {
                        (scenario_block(scenario))
                    }
                }
            }
        }
    }
}

fn verdict_text(summary: &RunSummary) -> String {
    match (summary.failed, summary.flaky) {
        (0, 0) => format!("{} passed", summary.passed),
        (0, flaky) => format!("{} passed, {flaky} flaky", summary.passed),
        (failed, _) => format!("{failed} of {} failed", summary.total()),
    }
}

fn facts(info: Option<&RunInfo>, summary: &RunSummary) -> Markup {
    html! {
        table.facts {
            @if let Some(info) = info {
                tr { th { "Environment" } td { (info.environment) } }
                tr { th { "Base URL" } td { (info.base_url) } }
                @if !info.hosts.is_empty() { tr { th { "Hosts" } td { (info.hosts.join(", ")) } } }
                tr { th { "Started" } td { (humantime::format_rfc3339_seconds(info.started)) } }
                @if let Some(user) = &info.user { tr { th { "Run by" } td { (user) } } }
                @if let Some(tags) = &info.tags { tr { th { "Tags" } td { code { (tags) } } } }
                @if let Some(revision) = &info.revision { tr { th { "Features at" } td { code { (revision) } } } }
            }
            tr { th { "Took" } td { (seconds(summary.duration)) } }
            tr { th { "shakedown" } td { (env!("CARGO_PKG_VERSION")) } }
        }
    }
}

fn counts(features: &[FeatureResults<'_>], summary: &RunSummary) -> Markup {
    let count = |feature: &FeatureResults<'_>, verdict| {
        feature
            .scenarios
            .iter()
            .filter(|scenario| scenario.verdict() == verdict)
            .count()
    };
    html! {
        table.counts {
            tr { th { "Feature" } th { "passed" } th { "failed" } th { "flaky" } }
            @for feature in features {
                tr {
                    td { (feature.name) }
                    td { (count(feature, Verdict::Passed)) }
                    td { (count(feature, Verdict::Failed)) }
                    td { (count(feature, Verdict::Flaky)) }
                }
            }
            tr {
                th { "All" }
                th { (summary.passed) }
                th { (summary.failed) }
                th { (summary.flaky) }
            }
        }
        @if summary.not_run > 0 {
            p.muted { (summary.not_run) " scenario(s) not run: the run was stopped (" (summary.stop_cause()) ") before they started." }
        }
    }
}

fn scenario_block(scenario: &ScenarioReport) -> Markup {
    let (word, class) = match scenario.verdict() {
        Verdict::Passed => ("PASSED", "passed"),
        Verdict::Flaky => ("FLAKY", "flaky"),
        Verdict::Failed => ("FAILED", "failed"),
        Verdict::NotRun => ("NOT RUN", "not-run"),
    };
    let open = matches!(scenario.verdict(), Verdict::Failed | Verdict::Flaky);
    html! {
        details class={ "scenario " (class) "-scenario" } open[open] {
            summary {
                span class={ "verdict " (class) } { (word) } " "
                strong { (scenario.full_name()) } " "
                span.location { (scenario.location()) " · " (seconds(scenario.duration)) }
                @if !scenario.tags.is_empty() {
                    " " span.tags { @for tag in &scenario.tags { "@" (tag) " " } }
                }
            }
            (steps(&scenario.steps))
            @if let Some((step, failure)) = scenario.failure() {
                (failure_block(step, failure, None))
            }
            @for (number, attempt) in scenario.earlier_attempts.iter().enumerate() {
                @if let Some((step, failure)) = attempt.failure() {
                    (failure_block(step, failure, Some((number + 1, attempt.duration))))
                }
            }
            @for note in &scenario.notes {
                p.muted { "note: " (note) }
            }
        }
    }
}

fn steps(steps: &[StepReport]) -> Markup {
    html! {
        ol.steps {
            @for step in steps {
                @let class = match step.status {
                    StepStatus::Passed => "passed-step",
                    StepStatus::Failed(_) => "failed-step",
                    StepStatus::NotRun => "notrun-step",
                };
                li class=(class) {
                    (step.keyword) (step.text)
                    " " span.muted {
                        @match step.status {
                            StepStatus::Passed => { "passed · " (seconds(step.duration)) },
                            StepStatus::Failed(_) => { "failed · " (seconds(step.duration)) },
                            StepStatus::NotRun => "not run",
                        }
                        " · line " (step.line)
                    }
                    @match &step.argument {
                        Some(StepArgument::DocString { content, .. }) => pre { (content) },
                        Some(StepArgument::Table(rows)) => table.argument {
                            @for row in rows { tr { @for cell in row { td { (cell) } } } }
                        },
                        None => {},
                    }
                }
            }
        }
    }
}

/// The failure with its labelled details and screenshots; `attempt` names an earlier failed
/// attempt of a scenario that was run again.
fn failure_block(step: &StepReport, failure: &StepFailure, attempt: Option<(usize, Duration)>) -> Markup {
    html! {
        div.failure.earlier[attempt.is_some()] {
            @if let Some((number, took)) = attempt {
                div.muted { "attempt " (number) " failed after " (seconds(took)) " and was run again" }
            }
            div { strong { (failure.summary()) } }
            div.muted { "at " (step.keyword) (step.text) " (line " (step.line) ") · " (failure.kind().name()) }
            @if !failure.details().is_empty() {
                dl {
                    @for (label, value) in failure.details() {
                        dt { (label) } dd { (value) }
                    }
                }
            }
            @for attachment in failure.attachments() {
                @if let Ok(bytes) = std::fs::read(&attachment.path) {
                    label.screenshot title="click for full size" {
                        input type="checkbox";
                        img alt=(attachment.label) src={
                            "data:" (attachment.media_type) ";base64,"
                            (base64::engine::general_purpose::STANDARD.encode(bytes))
                        };
                    }
                }
            }
        }
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.3}s", duration.as_secs_f64())
}
