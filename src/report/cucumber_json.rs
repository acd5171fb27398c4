//! Cucumber JSON (`--json FILE`), the format Jenkins' cucumber-reports plugin and the npm
//! `cucumber-html-reporter` read: features with their scenarios and steps, results in
//! lowercase with durations in nanoseconds, data tables as `rows`, doc strings, and screenshots
//! embedded in base64.

use std::borrow::Cow;
use std::path::PathBuf;

use base64::Engine as _;
use serde_json::{Value, json};

use super::collected::{CollectedRun, FeatureResults, FileReport};
use super::model::{RunSummary, ScenarioReport, StepArgument, StepReport, StepStatus};
use crate::error::Error;
use crate::output;

pub struct CucumberJsonReport {
    path: PathBuf,
}

impl CucumberJsonReport {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }
}

impl FileReport for CucumberJsonReport {
    fn write(&self, run: &CollectedRun, _: &RunSummary) -> Result<(), Error> {
        let failed = |source| Error::WriteReport {
            what: "Cucumber JSON",
            path: self.path.clone(),
            source,
        };
        let mut report = features(&run.features());
        show_strings_safe(&mut report);
        let text = serde_json::to_string_pretty(&report).map_err(|error| failed(error.into()))?;
        shakedown_steps::written::replace_file(&self.path, text.as_bytes()).map_err(failed)
    }
}

/// Every string of the report with the characters a terminal or a browser would act on (ESC,
/// CR, the C1 CSI, bidirectional overrides) written out as visible escapes, as the terminal
/// and the HTML report show them: the tools that display this report render its strings.
fn show_strings_safe(value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Cow::Owned(shown) = output::shown_safe(text) {
                *text = shown;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(show_strings_safe),
        Value::Object(fields) => fields.values_mut().for_each(show_strings_safe),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// The report as the format has it: features in file order, each with its scenarios in line order.
fn features(features: &[FeatureResults<'_>]) -> Value {
    Value::Array(
        features
            .iter()
            .map(|feature| {
                json!({
                    "uri": feature.path.display().to_string(),
                    "id": slug(feature.name),
                    "keyword": "Feature",
                    "name": feature.name,
                    "description": "",
                    "line": feature.line,
                    "tags": [],
                    "elements": feature.scenarios.iter().map(|scenario| element(scenario)).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

fn element(scenario: &ScenarioReport) -> Value {
    let mut description: Vec<String> = scenario
        .earlier_attempts
        .iter()
        .enumerate()
        .filter_map(|(number, attempt)| {
            let (step, failure) = attempt.failure()?;
            Some(format!(
                "attempt {} failed at {}{} (line {}): {}",
                number + 1,
                step.keyword,
                step.text,
                step.line,
                failure.summary()
            ))
        })
        .collect();
    description.extend(scenario.notes.iter().map(|note| format!("note: {note}")));
    let mut element = json!({
        "id": format!("{};{}", slug(&scenario.container_name()), slug(&scenario.name)),
        "keyword": scenario.keyword,
        "type": "scenario",
        "name": scenario.name,
        "description": description.join("\n"),
        "line": scenario.line,
        "tags": scenario.tags.iter().map(|tag| json!({ "name": format!("@{tag}"), "line": scenario.line })).collect::<Vec<_>>(),
        "steps": scenario.steps.iter().map(|step| step_value(scenario, step)).collect::<Vec<_>>(),
    });
    // The format has no place for a Rule: readers keep fields they do not know, and the
    // scenario's name stays its own.
    if let Some(rule) = &scenario.rule {
        element["rule"] = json!(rule);
    }
    element
}

fn step_value(scenario: &ScenarioReport, step: &StepReport) -> Value {
    let mut result = json!({
        "status": match step.status {
            StepStatus::Passed => "passed",
            StepStatus::Failed(_) => "failed",
            StepStatus::NotRun => "skipped",
        },
        "duration": u64::try_from(step.duration.as_nanos()).unwrap_or(u64::MAX),
    });
    let mut value = json!({
        "keyword": step.keyword,
        "name": step.text,
        "line": step.line,
        "match": { "location": format!("{}:{}", scenario.path.display(), step.line) },
    });
    if let StepStatus::Failed(failure) = &step.status {
        result["error_message"] = json!(failure.to_string());
        let embeddings: Vec<Value> = failure
            .attachments()
            .iter()
            .filter_map(|attachment| {
                let bytes = std::fs::read(&attachment.path).ok()?;
                Some(json!({
                    "mime_type": attachment.media_type,
                    "data": base64::engine::general_purpose::STANDARD.encode(bytes),
                }))
            })
            .collect();
        if !embeddings.is_empty() {
            value["embeddings"] = json!(embeddings);
        }
    }
    value["result"] = result;
    match &step.argument {
        Some(StepArgument::DocString(text)) => {
            value["doc_string"] = json!({ "value": text, "content_type": "", "line": step.line + 1 });
        }
        Some(StepArgument::Table(rows)) => {
            value["rows"] = json!(
                rows.iter()
                    .map(|cells| json!({ "cells": cells }))
                    .collect::<Vec<_>>()
            );
        }
        None => {}
    }
    value
}

/// Cucumber's ids: lowercase words joined by `-`.
fn slug(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}
