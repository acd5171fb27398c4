//! `${NAME}` in the features: replaced once, on the parsed features after outlines are
//! expanded, so every phrase, every report and `check` read the same text. Values come from
//! `--var NAME=VALUE`, over `SHAKEDOWN_VAR_NAME`, over the environment's `vars` in
//! shakedown.toml. `$${` is a literal `${`; a `${` that no name and `}` follow (shell text such
//! as `${X##* }`) stays as written. A name nobody gave a value is found before anything is
//! touched, at its file and line.

use std::collections::BTreeMap;

use cucumber::gherkin::Step;
use shakedown_steps::Deadline;
use shakedown_steps::redact;
use shakedown_steps::session::read_registered_secret;
use shakedown_steps::suggest::suggest;

use super::check::Finding;
use super::suite::Suite;
use crate::config::{Config, Environment, VariableSource, is_variable_name};
use crate::error::Error;

/// The environment variables that give a value: `SHAKEDOWN_VAR_release=…` gives `release`.
const ENVIRONMENT_PREFIX: &str = "SHAKEDOWN_VAR_";

/// The variables a suite may use, by name.
#[derive(Debug, Default)]
pub struct Variables {
    values: BTreeMap<String, Value>,
}

/// A variable's value; `None` for a secret `check` does not read, which it leaves as written.
#[derive(Debug)]
struct Value {
    text: Option<String>,
}

impl Variables {
    /// What a run against `environment` uses: every secret is read (a command answers by the deadline) and
    /// registered with the redactor here, before anything could print it.
    pub async fn for_run(
        given: &[(String, String)],
        environment: &Environment,
        deadline: Deadline,
    ) -> Result<Self, Error> {
        let mut values = BTreeMap::new();
        for (name, source) in &environment.vars {
            let text = match source {
                VariableSource::Written(text) => text.clone(),
                VariableSource::Secret(text) => {
                    register(name, text);
                    text.clone()
                }
                VariableSource::Kept(kept) => {
                    read_registered_secret(kept, deadline)
                        .await
                        .map_err(|problem| Error::InvalidValue {
                            what: "a secret variable of shakedown.toml",
                            value: format!("`{name}` ({})", kept.describe_as(name)),
                            problem,
                        })?
                }
            };
            values.insert(name.clone(), Value { text: Some(text) });
        }
        for (name, text) in from_process().iter().chain(given) {
            // A value given on the command line for a secret of the file is as secret.
            if environment.vars.get(name).is_some_and(VariableSource::is_secret) {
                register(name, text);
            }
            values.insert(
                name.clone(),
                Value {
                    text: Some(text.clone()),
                },
            );
        }
        Ok(Self { values })
    }

    /// What `check` knows with no environment chosen: every name any environment gives (a
    /// written value is used for matching, a secret is not read and stays as written), then
    /// the process's and the command line's.
    pub fn for_check(given: &[(String, String)], config: Option<&Config>) -> Self {
        let mut values = BTreeMap::new();
        for environment in config.iter().flat_map(|config| config.environments.values()) {
            for (name, source) in &environment.vars {
                let text = match source {
                    VariableSource::Written(text) => Some(text.clone()),
                    VariableSource::Secret(_) | VariableSource::Kept(_) => None,
                };
                values.entry(name.clone()).or_insert(Value { text });
            }
        }
        for (name, text) in from_process().iter().chain(given) {
            values.insert(
                name.clone(),
                Value {
                    text: Some(text.clone()),
                },
            );
        }
        Self { values }
    }

    /// Replaces every `${NAME}` in the suite's step lines, table cells and doc strings; a name
    /// without a value is a finding at its step's line.
    pub fn substitute(&self, suite: &mut Suite) -> Vec<Finding> {
        let mut findings = Vec::new();
        for feature in &mut suite.features {
            let path = feature.path.clone().unwrap_or_default();
            let rules = feature.rules.iter_mut().flat_map(|rule| {
                rule.background
                    .iter_mut()
                    .flat_map(|background| &mut background.steps)
                    .chain(rule.scenarios.iter_mut().flat_map(|scenario| &mut scenario.steps))
            });
            let steps = feature
                .background
                .iter_mut()
                .flat_map(|background| &mut background.steps)
                .chain(
                    feature
                        .scenarios
                        .iter_mut()
                        .flat_map(|scenario| &mut scenario.steps),
                )
                .chain(rules);
            // A background is shared by its scenarios but written once: one finding for it.
            for step in steps {
                for problem in self.substitute_step(step) {
                    findings.push(Finding {
                        path: path.clone(),
                        line: step.position.line,
                        text: format!("{}{}", step.keyword, step.value),
                        problem,
                    });
                }
            }
        }
        findings
    }

    fn substitute_step(&self, step: &mut Step) -> Vec<String> {
        let mut problems = Vec::new();
        let mut replace = |text: &mut String| match self.expand(text) {
            Ok(expanded) => *text = expanded,
            Err(problem) => problems.push(problem),
        };
        replace(&mut step.value);
        if let Some(docstring) = &mut step.docstring {
            replace(docstring);
        }
        for cell in step.table.iter_mut().flat_map(|table| &mut table.rows).flatten() {
            replace(cell);
        }
        problems.dedup();
        problems
    }

    /// `text` with every `${NAME}` replaced and every `$${` made `${`; a secret `check` did not
    /// read stays as written.
    fn expand(&self, text: &str) -> Result<String, String> {
        let mut expanded = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            expanded.push_str(&rest[..at]);
            let after = &rest[at..];
            if let Some(escaped) = after.strip_prefix("$${") {
                expanded.push_str("${");
                rest = escaped;
                continue;
            }
            let Some(opened) = after.strip_prefix("${") else {
                expanded.push('$');
                rest = &after[1..];
                continue;
            };
            // Shell text in a command (`${HOME:-/root}`, `${X##* }`) names no variable: kept.
            let Some((name, closed)) = opened.split_once('}').filter(|(name, _)| is_variable_name(name))
            else {
                expanded.push_str("${");
                rest = opened;
                continue;
            };
            match self.values.get(name) {
                Some(Value { text: Some(value) }) => expanded.push_str(value),
                Some(Value { text: None }) => expanded.push_str(&after[..2 + name.len() + 1]),
                None => return Err(self.unknown(name)),
            }
            rest = closed;
        }
        expanded.push_str(rest);
        Ok(expanded)
    }

    fn unknown(&self, name: &str) -> String {
        let mut problem = format!("`${{{name}}}` has no value");
        if let Some(close) = suggest(name, self.values.keys().map(String::as_str)) {
            problem.push_str(&format!("; did you mean `${{{close}}}`?"));
        }
        problem.push_str(&format!(
            "\n      give it with `--var {name}=VALUE`, `{ENVIRONMENT_PREFIX}{name}` or the environment's `vars` in shakedown.toml"
        ));
        problem
    }
}

/// `SHAKEDOWN_VAR_NAME` of this process, in name order so the outcome does not depend on it.
fn from_process() -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(key, value)| {
            let name = key.to_str()?.strip_prefix(ENVIRONMENT_PREFIX)?;
            Some((name.to_owned(), value.into_string().ok()?))
        })
        .filter(|(name, _)| is_variable_name(name))
        .collect();
    found.sort();
    found
}

fn register(name: &str, value: &str) {
    if !value.is_empty() {
        redact::register_named(&format!("the variable `{name}`"), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variables(pairs: &[(&str, Option<&str>)]) -> Variables {
        Variables {
            values: pairs
                .iter()
                .map(|(name, text)| {
                    (
                        (*name).to_owned(),
                        Value {
                            text: text.map(str::to_owned),
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn a_variable_is_replaced_and_a_doubled_dollar_is_a_literal() {
        let known = variables(&[("release", Some("2026.12.1")), ("token", None)]);
        assert_eq!(
            known
                .expand("v ${release}, $${release}, $5, $, ${token}")
                .as_deref(),
            Ok("v 2026.12.1, ${release}, $5, $, ${token}")
        );
    }

    #[test]
    fn an_unknown_variable_is_refused_with_a_suggestion_and_shell_text_is_kept() {
        let known = variables(&[("release", Some("1"))]);
        let unknown = known.expand("${relase}").expect_err("unknown");
        assert!(unknown.contains("did you mean `${release}`"), "{unknown}");
        assert_eq!(known.expand("${").as_deref(), Ok("${"));
        assert_eq!(
            known.expand("${X##* } ${HOME:-/}").as_deref(),
            Ok("${X##* } ${HOME:-/}")
        );
    }
}
