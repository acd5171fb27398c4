//! Matching every step of a suite against the step library without running anything: the
//! `check` command, and the guard that keeps `run` from starting a suite it cannot finish.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use cucumber::World as _;
use cucumber::gherkin::{Feature, Scenario, Step, StepType};
use shakedown_steps::ShakedownWorld;
use shakedown_steps::catalogue::{self, Entry};

use crate::suite::Suite;

/// A step line that matches no phrase, or several.
#[derive(Debug)]
pub struct Unmatched {
    pub path: PathBuf,
    pub line: usize,
    pub text: String,
    pub problem: String,
}

/// Totals for the check's closing line.
#[derive(Debug, Default)]
pub struct Checked {
    pub features: usize,
    pub scenarios: usize,
    pub steps: usize,
}

/// Every step of every selected scenario and background, matched once.
pub fn check(suite: &Suite) -> (Checked, Vec<Unmatched>) {
    let collection = ShakedownWorld::collection();
    // Reading the catalogue compiles every phrase again: only an unmatched step needs it.
    let entries = std::cell::OnceCell::new();
    let mut checked = Checked {
        features: suite.features.len(),
        scenarios: suite.scenario_count(),
        steps: 0,
    };
    let mut unmatched = Vec::new();
    // Matching tries every phrase's regex in turn; a suite repeats its step lines, so each
    // distinct line (and keyword type) is matched once.
    let mut problems: HashMap<(StepType, &str), Option<String>> = HashMap::new();
    for feature in &suite.features {
        for step in steps_of(feature) {
            checked.steps += 1;
            let problem = problems
                .entry((step.ty, step.value.as_str()))
                .or_insert_with(|| match collection.find(step) {
                    Ok(Some(_)) => None,
                    Ok(None) => Some(
                        match catalogue::closest(&step.value, entries.get_or_init(catalogue::live)) {
                            Some(Entry { phrase, .. }) => {
                                format!("no step matches; did you mean `{phrase}`?")
                            }
                            None => "no step matches".to_owned(),
                        },
                    ),
                    Err(ambiguous) => Some(format!(
                        "{} phrases match it; reword it to match one",
                        ambiguous.possible_matches.len()
                    )),
                });
            let Some(problem) = problem.clone() else {
                continue;
            };
            unmatched.push(Unmatched {
                path: feature.path.clone().unwrap_or_default(),
                line: step.position.line,
                text: format!("{}{}", step.keyword, step.value),
                problem,
            });
        }
    }
    for (feature, scenario) in suite.scenarios() {
        unmatched.extend(lines_that_look_like_steps(feature, scenario));
    }
    // Outline rows repeat their steps: report each line once.
    unmatched.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    unmatched.dedup_by(|a, b| a.path == b.path && a.line == b.line);
    (checked, unmatched)
}

/// A misspelt keyword (`Whenn I request "/"`) turns a step into description text, which Gherkin
/// accepts silently; such lines, and scenarios left with no step at all, are reported.
fn lines_that_look_like_steps(feature: &Feature, scenario: &Scenario) -> Vec<Unmatched> {
    const KEYWORDS: [&str; 5] = ["Given", "When", "Then", "And", "But"];
    let path = feature.path.clone().unwrap_or_default();
    let mut found: Vec<Unmatched> = scenario
        .description
        .iter()
        .flat_map(|description| description.lines().enumerate())
        .filter_map(|(index, line)| {
            let first_word = line.split_whitespace().next()?;
            let keyword = KEYWORDS
                .iter()
                .find(|keyword| strsim::levenshtein(&first_word.to_lowercase(), &keyword.to_lowercase()) <= 2)?;
            Some(Unmatched {
                path: path.clone(),
                line: scenario.position.line + 1 + index,
                text: line.trim().to_owned(),
                problem: format!("`{first_word}` is not a Gherkin keyword, so this line is not run; did you mean `{keyword}`?"),
            })
        })
        .collect();
    if scenario.steps.is_empty() && found.is_empty() {
        found.push(Unmatched {
            path,
            line: scenario.position.line,
            text: format!("{}: {}", scenario.keyword, scenario.name),
            problem: "the scenario has no steps".to_owned(),
        });
    }
    found
}

/// Background steps (feature and rule) and scenario steps.
fn steps_of(feature: &Feature) -> impl Iterator<Item = &Step> {
    let background = feature.background.iter().flat_map(|background| &background.steps);
    let scenarios = feature.scenarios.iter().flat_map(|scenario| &scenario.steps);
    let rules = feature.rules.iter().flat_map(|rule| {
        rule.background
            .iter()
            .flat_map(|background| &background.steps)
            .chain(rule.scenarios.iter().flat_map(|scenario| &scenario.steps))
    });
    background.chain(scenarios).chain(rules)
}

/// `features/a.feature:12: When I requets "/" — no step matches; did you mean ...`
pub fn listing(unmatched: &[Unmatched]) -> String {
    let mut text = String::new();
    for step in unmatched {
        let _ = writeln!(
            text,
            "  {}:{}: {}",
            step.path.display(),
            step.line,
            step.text.trim()
        );
        let _ = writeln!(text, "      {}", step.problem);
    }
    text.trim_end().to_owned()
}
