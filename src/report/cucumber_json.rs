//! Cucumber JSON (`--json FILE`), the format Jenkins' cucumber-reports plugin and the npm
//! `cucumber-html-reporter` read: features with their scenarios and steps, results in
//! lowercase with durations in nanoseconds, data tables as `rows`, doc strings with their media
//! type, each tag with the line it is written on, and screenshots embedded in base64. The shape
//! is cucumber-ruby's (the format's origin; its schema is in tests/fixtures), whose formatter
//! also embeds screenshots in steps as cucumber-jvm's does.

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
                // Read again for the lines of tags and doc strings, which the parsed feature does
                // not keep.
                let source = std::fs::read_to_string(feature.path).unwrap_or_default();
                let source: Vec<&str> = source.lines().collect();
                json!({
                    "uri": feature.path.display().to_string(),
                    "id": slug(feature.name),
                    "keyword": "Feature",
                    "name": feature.name,
                    "description": "",
                    "line": feature.line,
                    "tags": [],
                    "elements": feature.scenarios.iter().map(|scenario| element(scenario, &source)).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// `source` is the feature file's text, line by line (empty when it cannot be read again).
fn element(scenario: &ScenarioReport, source: &[&str]) -> Value {
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
        "tags": scenario.tags.iter().map(|tag| {
            let name = format!("@{tag}");
            let line = tag_line(source, &name, scenario.line, scenario.feature_line);
            json!({ "name": name, "line": line })
        }).collect::<Vec<_>>(),
        "steps": scenario.steps.iter().map(|step| step_value(scenario, step, source)).collect::<Vec<_>>(),
    });
    // The format has no place for a Rule: readers keep fields they do not know, and the
    // scenario's name stays its own.
    if let Some(rule) = &scenario.rule {
        element["rule"] = json!(rule);
    }
    element
}

fn step_value(scenario: &ScenarioReport, step: &StepReport, source: &[&str]) -> Value {
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
        // As cucumber-ruby and cucumber-js write it: the media type, or "" when the fence names none.
        Some(StepArgument::DocString { content, media_type }) => {
            value["doc_string"] = json!({
                "value": content,
                "content_type": media_type.as_deref().unwrap_or(""),
                "line": doc_string_line(source, step.line),
            });
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

/// The line `tag` (`@smoke`) is written on, for a scenario at `line` of a feature whose
/// `Feature:` line is `feature_line`: the scenario's own tag lines just above it, else the
/// feature's just above that, else the nearest tag line above the scenario that holds it (a
/// Rule's, an Examples block's). The scenario's line when the file no longer says.
fn tag_line(source: &[&str], tag: &str, line: usize, feature_line: usize) -> usize {
    let holds = |number: usize| {
        source.get(number - 1).is_some_and(|text| {
            text.split('#')
                .next()
                .unwrap_or("")
                .split_whitespace()
                .any(|word| word == tag)
        })
    };
    let block_above = |line: usize| {
        (1..line)
            .rev()
            .take_while(|&number| {
                let text = source.get(number - 1).map_or("", |text| text.trim());
                text.is_empty() || text.starts_with('@') || text.starts_with('#')
            })
            .find(|&number| holds(number))
    };
    let nearest_above = || {
        (1..line).rev().find(|&number| {
            source
                .get(number - 1)
                .is_some_and(|text| text.trim_start().starts_with('@'))
                && holds(number)
        })
    };
    block_above(line)
        .or_else(|| block_above(feature_line))
        .or_else(nearest_above)
        .unwrap_or(line)
}

/// The line a doc string's opening fence is on, for a step at `line`: blank lines and comments
/// may sit between them. The line after the step when the file no longer says.
fn doc_string_line(source: &[&str], line: usize) -> usize {
    source
        .iter()
        .enumerate()
        .skip(line)
        .map(|(index, text)| (index + 1, text.trim_start()))
        .find(|(_, text)| !text.is_empty() && !text.starts_with('#'))
        .filter(|(_, text)| text.starts_with("\"\"\"") || text.starts_with("```"))
        .map_or(line + 1, |(number, _)| number)
}

/// Cucumber's ids: lowercase words joined by `-`.
fn slug(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_is_found_on_the_line_it_is_written_on_wherever_it_comes_from() {
        let source: Vec<&str> = indoc::indoc! {"
            @smoke @web
            Feature: Tags
              Scenario: before
                Then the command \"true\" should succeed

              # the slow one
              @slow @smoke
              Scenario: own tags
                Then the command \"true\" should succeed

              @rule-tag
              Rule: a rule
                Scenario Outline: rows
                  Then the command \"<c>\" should succeed
                  @rows
                  Examples:
                    | c    |
                    | true |
        "}
        .lines()
        .collect();
        assert_eq!(tag_line(&source, "@slow", 8, 2), 7);
        assert_eq!(
            tag_line(&source, "@smoke", 8, 2),
            7,
            "its own tag, not the feature's"
        );
        assert_eq!(tag_line(&source, "@web", 8, 2), 1);
        assert_eq!(tag_line(&source, "@smoke", 3, 2), 1);
        assert_eq!(tag_line(&source, "@rows", 18, 2), 15);
        assert_eq!(tag_line(&source, "@rule-tag", 18, 2), 11);
        assert_eq!(
            tag_line(&[], "@gone", 8, 2),
            8,
            "a file that cannot be read again"
        );
    }

    #[test]
    fn a_doc_string_is_found_on_its_fence_line_past_blank_lines_and_comments() {
        let source: Vec<&str> = indoc::indoc! {r#"
            Feature: Posts
              Scenario: post
                When I send a POST request to "/a"
                  ```json
                  {}
                  ```
                When I send a POST request to "/b"

                  # the body
                  """
                  {}
                  """
        "#}
        .lines()
        .collect();
        assert_eq!(doc_string_line(&source, 3), 4);
        assert_eq!(doc_string_line(&source, 7), 10);
        assert_eq!(doc_string_line(&[], 7), 8, "a file that cannot be read again");
    }
}
