//! Matching every step of a suite against the step library and the configuration without
//! running anything: what `check` reports, and what keeps `run` from starting a suite it cannot
//! finish (an undefined step, a role nobody configured, a matrix cell that means nothing).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::LazyLock;

use cucumber::codegen::{Expression, Regex};
use cucumber::gherkin::{Feature, Scenario, Step, StepType};
use shakedown_steps::StepFailure;
use shakedown_steps::access::{MATRIX_PHRASE, is_matrix_cell, matrix_table_problem};
use shakedown_steps::catalogue::{self, Entry};
use shakedown_steps::session::{ANONYMOUS, LoginMethod, LoginSettings, RoleSettings};

use super::suite::Suite;
use crate::cli::MAX_RETRIES;
use crate::error::Error;
use crate::output::tell;
use shakedown_steps::suggest::suggest;

/// A line of a feature that cannot run as written, and why.
#[derive(Debug)]
pub struct Finding {
    pub path: PathBuf,
    pub line: usize,
    pub text: String,
    pub problem: String,
}

/// Totals for the check's closing line.
#[derive(Debug, Default)]
pub struct Totals {
    pub features: usize,
    pub scenarios: usize,
    pub steps: usize,
}

/// What the check found: steps no phrase matches (or several do), description lines that look
/// like misspelt steps, lines that match a phrase but could not run with this configuration,
/// and what runs but deserves a word (a scenario without steps).
#[derive(Debug, Default)]
pub struct Findings {
    pub totals: Totals,
    pub unmatched: Vec<Finding>,
    pub misspelt: Vec<Finding>,
    pub invalid: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

impl Findings {
    /// Lines that match a phrase but cannot run with this configuration: `check` and `run`
    /// alike refuse them as bad input.
    pub fn refuse_invalid(&self) -> Result<(), Error> {
        match self.invalid.is_empty() {
            true => Ok(()),
            false => Err(Error::InvalidFeatures {
                count: self.invalid.len(),
                listing: listing(&self.invalid),
            }),
        }
    }

    /// A run starts only when every line can run as written.
    pub fn refuse_run(&self) -> Result<(), Error> {
        self.refuse_invalid()?;
        if !self.unmatched.is_empty() {
            let mut both: Vec<&Finding> = self.unmatched.iter().chain(&self.misspelt).collect();
            both.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
            return Err(Error::UnmatchedSteps {
                count: self.unmatched.len(),
                listing: listing(both),
            });
        }
        match self.misspelt.is_empty() {
            true => Ok(()),
            false => Err(Error::InvalidFeatures {
                count: self.misspelt.len(),
                listing: listing(&self.misspelt),
            }),
        }
    }

    /// Says what runs but deserves a word, on the terminal's side channel.
    pub fn warn(&self) {
        for warning in &self.warnings {
            tell!("warning: {}", listing([warning]).trim_start());
        }
    }
}

/// The roles and login the configuration offers, when there is a configuration.
pub struct Roles<'a> {
    pub roles: &'a BTreeMap<String, RoleSettings>,
    pub login: Option<&'a LoginSettings>,
}

/// Every step of every selected scenario and background, matched once; with `roles`, every role
/// a step names is checked against the configuration too.
pub fn check(suite: &Suite, roles: Option<&Roles<'_>>) -> Findings {
    let collection = catalogue::collection();
    // Reading the catalogue compiles every phrase again: only an unmatched step needs it.
    let entries = std::cell::OnceCell::new();
    let mut findings = Findings {
        totals: Totals {
            features: suite.features.len(),
            scenarios: suite.scenario_count(),
            steps: 0,
        },
        ..Findings::default()
    };
    // Matching tries every phrase's regex in turn; a suite repeats its step lines, so each
    // distinct line (and keyword type) is matched once.
    let mut problems: HashMap<(StepType, &str), Option<String>> = HashMap::new();
    for feature in &suite.features {
        let path = feature.path.clone().unwrap_or_default();
        let finding = |line: usize, text: String, problem: String| Finding {
            path: path.clone(),
            line,
            text,
            problem,
        };
        for step in steps_of(feature) {
            findings.totals.steps += 1;
            let text = format!("{}{}", step.keyword, step.value);
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
                if step.value.trim() == MATRIX_PHRASE
                    && let Some(problem) = matrix_table_problem(step.table.as_ref())
                {
                    let (line, written) = match step
                        .table
                        .as_ref()
                        .and_then(|table| Some((table, table.rows.first()?)))
                    {
                        Some((table, header)) => (table.position.line, format!("| {} |", header.join(" | "))),
                        None => (step.position.line, text.clone()),
                    };
                    findings.invalid.push(finding(line, written, problem));
                    continue;
                }
                if let Some(failure) = catalogue::argument_problem(&step.value) {
                    findings.invalid.push(finding(
                        step.position.line,
                        text.clone(),
                        argument_problem_text(&failure),
                    ));
                    continue;
                }
                if let Some(roles) = roles {
                    for (line, written, problem) in role_problems(step, roles) {
                        findings.invalid.push(finding(
                            line,
                            written.unwrap_or_else(|| text.clone()),
                            problem,
                        ));
                    }
                }
                continue;
            };
            findings
                .unmatched
                .push(finding(step.position.line, text, problem));
        }
    }
    for (feature, scenario) in suite.scenarios() {
        findings
            .misspelt
            .extend(lines_that_look_like_steps(suite, feature, scenario));
        findings.warnings.extend(without_steps(feature, scenario));
        findings.invalid.extend(too_many_retries(feature, scenario));
        findings
            .invalid
            .extend(outline_without_examples(feature, scenario));
    }
    // Outline rows repeat their steps: report each line once.
    for list in [
        &mut findings.unmatched,
        &mut findings.misspelt,
        &mut findings.invalid,
        &mut findings.warnings,
    ] {
        list.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        list.dedup_by(|a, b| a.path == b.path && a.line == b.line && a.problem == b.problem);
    }
    findings
}

/// A step argument's problem on one line: what is wrong, then its hint.
fn argument_problem_text(failure: &StepFailure) -> String {
    failure
        .details()
        .iter()
        .filter(|(label, _)| *label == "hint")
        .fold(failure.summary().to_owned(), |text, (_, hint)| {
            format!("{text}; {hint}")
        })
}

/// A problem at a line, with that line's text when it is not the step's own (a table row).
type LineFinding = (usize, Option<String>, String);

/// The roles a step names, checked where they are named: the quoted role of a role phrase, or
/// the header of an access matrix (whose cells are checked here too).
fn role_problems(step: &Step, roles: &Roles<'_>) -> Vec<LineFinding> {
    let line = step.position.line;
    if step.value.trim() == MATRIX_PHRASE {
        return matrix_problems(step, roles);
    }
    role_named(step)
        .and_then(|role| role_problem(role, roles))
        .map(|problem| vec![(line, None, problem)])
        .unwrap_or_default()
}

/// The role a role phrase names, when the step is one.
fn role_named(step: &Step) -> Option<&str> {
    static PHRASES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        catalogue::role_phrases()
            .filter_map(|phrase| Expression::regex(phrase).ok())
            .collect()
    });
    PHRASES.iter().find_map(|phrase| {
        // `{string}` captures what is inside the quotes, in one group per kind of quote.
        let captures = phrase.captures(&step.value)?;
        captures.iter().skip(1).flatten().next().map(|role| role.as_str())
    })
}

/// The roles an access matrix's header names.
fn matrix_roles(step: &Step) -> Vec<&str> {
    step.table
        .as_ref()
        .and_then(|table| table.rows.first())
        .map(|header| header.iter().skip(1).map(|role| role.trim()).collect())
        .unwrap_or_default()
}

/// Whether the step acts as every role of the environment (the access baseline's phrase).
fn needs_every_role(step: &Step) -> bool {
    static PHRASES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
        catalogue::every_role_phrases()
            .filter_map(|phrase| Expression::regex(phrase).ok())
            .collect()
    });
    let text = shakedown_steps::waiting::without_wait(&step.value);
    PHRASES.iter().any(|phrase| phrase.is_match(text))
}

/// Every configured-role name the selected scenarios (and their backgrounds) use, all of
/// `configured` when a step acts as every role: only these roles' passwords are read, so a
/// password command runs only when its role is needed.
pub fn roles_in_use(suite: &Suite, configured: &BTreeMap<String, RoleSettings>) -> BTreeSet<String> {
    let steps = || suite.features.iter().flat_map(steps_of);
    let every_role = steps()
        .any(needs_every_role)
        .then(|| configured.keys().map(String::as_str))
        .into_iter()
        .flatten();
    steps()
        .flat_map(|step| {
            if step.value.trim() == MATRIX_PHRASE {
                matrix_roles(step)
            } else {
                role_named(step).into_iter().collect()
            }
        })
        .chain(every_role)
        .filter(|role| *role != ANONYMOUS)
        .map(str::to_owned)
        .collect()
}

/// An access matrix: its header's roles, and every cell's word.
fn matrix_problems(step: &Step, roles: &Roles<'_>) -> Vec<LineFinding> {
    let Some(table) = &step.table else {
        return Vec::new();
    };
    let Some((header, rows)) = table.rows.split_first() else {
        return Vec::new();
    };
    let header_line = table.position.line;
    let role_names = matrix_roles(step);
    let row_text = |row: &[String]| format!("| {} |", row.join(" | "));
    let mut problems: Vec<LineFinding> = role_names
        .iter()
        .filter_map(|role| role_problem(role, roles))
        .map(|problem| (header_line, Some(row_text(header)), problem))
        .collect();
    for (index, row) in rows.iter().enumerate() {
        let path = row.first().map_or("", |path| path.trim());
        for (cell, role) in row.iter().skip(1).zip(&role_names) {
            if !is_matrix_cell(cell) {
                problems.push((
                    header_line + 1 + index,
                    Some(row_text(row)),
                    format!(
                        "the access matrix cell for `{role}` on `{path}` says `{}`; write allowed, denied or login",
                        cell.trim()
                    ),
                ));
            }
        }
    }
    problems
}

/// Why a step cannot act as `role` with this configuration, if it cannot.
fn role_problem(role: &str, roles: &Roles<'_>) -> Option<String> {
    if role == ANONYMOUS {
        return None;
    }
    if !roles.roles.contains_key(role) {
        let known: Vec<&str> = std::iter::once(ANONYMOUS)
            .chain(roles.roles.keys().map(String::as_str))
            .collect();
        let hint = suggest(role, known.iter().copied())
            .map(|name| format!("; did you mean `{name}`?"))
            .unwrap_or_default();
        return Some(format!(
            "there is no role `{role}` in shakedown.toml (known: {}){hint}",
            known.join(", ")
        ));
    }
    let by_form = roles
        .roles
        .get(role)
        .is_some_and(|settings| settings.method == LoginMethod::Form);
    (by_form && roles.login.is_none()).then(|| {
        format!("role `{role}` cannot log in: shakedown.toml has no `[login]` section; add one with the login page's `path`")
    })
}

/// An outline with no `Examples` runs once with its placeholders as they are written
/// (`GET /<page>`): a table left out, never what was meant. One without placeholders in its
/// steps runs as a scenario, as the reference reads it.
fn outline_without_examples(feature: &Feature, scenario: &Scenario) -> Option<Finding> {
    static PLACEHOLDER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"<[^<>\s][^<>]*>").expect("valid regex"));
    let keyword = scenario.keyword.trim();
    let outline = keyword.ends_with("Outline") || keyword.ends_with("Template");
    let placeholders = scenario.steps.iter().any(|step| {
        PLACEHOLDER.is_match(&step.value)
            || step
                .docstring
                .as_deref()
                .is_some_and(|text| PLACEHOLDER.is_match(text))
            || step
                .table
                .iter()
                .flat_map(|table| table.rows.iter().flatten())
                .any(|cell| PLACEHOLDER.is_match(cell))
    });
    if !outline || !scenario.examples.is_empty() || !placeholders {
        return None;
    }
    Some(Finding {
        path: feature.path.clone().unwrap_or_default(),
        line: scenario.position.line,
        text: format!("{keyword}: {}", scenario.name),
        problem: "the outline has no `Examples:` table, so its placeholders would be sent as written".into(),
    })
}

/// A `@retry(N)` tag on the scenario, its rule or its feature that asks for more retries than
/// [`MAX_RETRIES`], or for a count that is no number.
fn too_many_retries(feature: &Feature, scenario: &Scenario) -> Vec<Finding> {
    let rule = feature.rules.iter().find(|rule| {
        rule.scenarios
            .iter()
            .any(|candidate| std::ptr::eq(candidate, scenario))
    });
    let tagged = [
        Some((&scenario.tags, scenario.position.line)),
        rule.map(|rule| (&rule.tags, rule.position.line)),
        Some((&feature.tags, feature.position.line)),
    ];
    tagged
        .into_iter()
        .flatten()
        .flat_map(|(tags, line)| tags.iter().map(move |tag| (tag, line)))
        .filter_map(|(tag, line)| {
            let count = tag.strip_prefix("retry(")?.split_once(')')?.0;
            let problem = match count.trim().parse::<u64>() {
                Ok(count) if count <= u64::from(MAX_RETRIES) => return None,
                Ok(count) => format!("`@{tag}` asks for {count} retries; at most {MAX_RETRIES} are run"),
                Err(_) => format!("`@{tag}` does not give a number of retries, e.g. `@retry(2)`"),
            };
            Some(Finding {
                path: feature.path.clone().unwrap_or_default(),
                line,
                text: format!("@{tag}"),
                problem,
            })
        })
        .collect()
}

/// A misspelt keyword (`Whenn I request "/"`) turns a step into description text, which Gherkin
/// accepts silently. Only description lines where a step could stand are read (see
/// [`super::gherkin_reader::StepPositionLine`]): a description's prose that starts with `and` is no typo.
fn lines_that_look_like_steps(suite: &Suite, feature: &Feature, scenario: &Scenario) -> Vec<Finding> {
    const KEYWORDS: [&str; 5] = ["Given", "When", "Then", "And", "But"];
    let path = feature.path.clone().unwrap_or_default();
    suite
        .step_position_lines
        .iter()
        .filter(|(file, line)| *file == path && line.scenario_offset == scenario.span.start)
        .filter_map(|(_, line)| {
            let first_word = line.text.split_whitespace().next()?;
            let keyword = suggest(first_word, KEYWORDS)?;
            Some(Finding {
                path: path.clone(),
                line: line.line,
                text: line.text.clone(),
                problem: format!("`{first_word}` is not a Gherkin keyword, so this line is not run; did you mean `{keyword}`?"),
            })
        })
        .collect()
}

/// A scenario without steps runs nothing and passes, as the reference allows: said, not refused.
fn without_steps(feature: &Feature, scenario: &Scenario) -> Option<Finding> {
    scenario.steps.is_empty().then(|| Finding {
        path: feature.path.clone().unwrap_or_default(),
        line: scenario.position.line,
        text: format!("{}: {}", scenario.keyword, scenario.name),
        problem: "the scenario has no steps, so it runs nothing".to_owned(),
    })
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
pub fn listing<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> String {
    let mut text = String::new();
    for finding in findings {
        let _ = writeln!(
            text,
            "  {}:{}: {}",
            finding.path.display(),
            finding.line,
            finding.text.trim()
        );
        let _ = writeln!(text, "      {}", finding.problem);
    }
    text.trim_end().to_owned()
}
