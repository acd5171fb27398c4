//! `features/monitoring.feature`: the checks imported from NRPE or Nagios, one scenario each, and
//! those that could not be imported listed as comments saying why.

use std::fmt;

use super::gherkin::quoted;

/// One check ready to run: a scenario's title, where it came from, and its command line with
/// every macro filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub title: String,
    pub origin: String,
    pub command: String,
}

/// Something that looked like a check but cannot become one, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    pub origin: String,
    pub reason: String,
}

/// What one or more monitoring files gave.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub checks: Vec<Check>,
    pub skipped: Vec<Skipped>,
}

impl Imported {
    pub fn extend(&mut self, other: Imported) {
        self.checks.extend(other.checks);
        self.skipped.extend(other.skipped);
    }
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.name, self.origin, self.reason)
    }
}

/// The feature file, from what was imported out of `sources` (file names, for its description).
pub fn render(imported: &Imported, sources: &[String]) -> String {
    let mut skipped = imported.skipped.clone();
    let mut scenarios = String::new();
    for check in &imported.checks {
        let Some(command) = quoted(&check.command) else {
            skipped.push(Skipped {
                name: check.title.clone(),
                origin: check.origin.clone(),
                reason: "its command line holds both kinds of quote, which a step's string cannot carry"
                    .into(),
            });
            continue;
        };
        scenarios.push_str(&format!(
            "\n  # from {}\n  Scenario: {}\n    Then the Nagios check {command} should be OK\n",
            check.origin, check.title
        ));
    }
    let mut text = format!(
        "@post-install\n\
         Feature: The checks our monitoring runs pass\n  \
         Imported by `shakedown init` from {}: each scenario runs one check as\n  \
         Nagios would, with its macros filled in, and passes when the check says OK.\n  \
         Edit it as your own: write `should be at most WARNING` where a warning is\n  \
         acceptable right after a deployment, and tag the checks that belong to some\n  \
         servers only with `@on:GROUP`.{}\n",
        sources.join(", "),
        if skipped.is_empty() {
            ""
        } else {
            " The checks that could not be imported are listed at\n  the end, each with the reason."
        }
    );
    text.push_str(&scenarios);
    if !skipped.is_empty() {
        text.push_str("\n  # Not imported:\n");
        for entry in &skipped {
            text.push_str(&format!("  #   {entry}\n"));
        }
    }
    text
}
