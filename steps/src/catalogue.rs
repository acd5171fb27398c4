//! The live step catalogue: every phrase the step library has registered, with its domain and
//! an example. It is read from what cucumber actually collected (not from a list kept beside
//! the code), so a step the linker dropped shows as missing instead of being advertised.

use std::collections::{BTreeMap, BTreeSet};

use cucumber::codegen::{StepConstructor, WorldInventory, inventory};
use regex::Regex;

use crate::world::ShakedownWorld;

/// The wording and an example of one phrase, as `design/steps.md` gives it.
struct Phrase {
    phrase: &'static str,
    example: &'static str,
}

/// The documentation of each phrase; which of them exist is decided by the registry.
const PHRASES: &[Phrase] = &[
    Phrase {
        phrase: "the page should contain no forbidden content",
        example: "the page should contain no forbidden content",
    },
    Phrase {
        phrase: "no page reachable from {string} should contain forbidden content",
        example: "no page reachable from \"/\" should contain forbidden content",
    },
    Phrase {
        phrase: "the page should not contain any of:",
        example: "the page should not contain any of:",
    },
    Phrase {
        phrase: "I am logged in as {string}",
        example: "I am logged in as \"clerk\"",
    },
    Phrase {
        phrase: "the access matrix should hold:",
        example: "the access matrix should hold:",
    },
    Phrase {
        phrase: "the role {string} should have access to {string}",
        example: "the role \"clerk\" should have access to \"/reports/\"",
    },
    Phrase {
        phrase: "the role {string} should not have access to {string}",
        example: "the role \"viewer\" should not have access to \"/reports/\"",
    },
    Phrase {
        phrase: "{string} should see {string} on {string}",
        example: "\"admin\" should see \"Admin\" on \"/dashboard/\"",
    },
    Phrase {
        phrase: "{string} should not see {string} on {string}",
        example: "\"viewer\" should not see \"Admin\" on \"/dashboard/\"",
    },
    Phrase {
        phrase: "I am not logged in",
        example: "I am not logged in",
    },
    Phrase {
        phrase: "I request {string}",
        example: "I request \"/api/health\"",
    },
    Phrase {
        phrase: "I send a {word} request to {string}",
        example: "I send a POST request to \"/api/orders\"",
    },
    Phrase {
        phrase: "the response status should be {int}",
        example: "the response status should be 200",
    },
    Phrase {
        phrase: "the response should contain {string}",
        example: "the response should contain \"Welcome\"",
    },
    Phrase {
        phrase: "the response should not contain {string}",
        example: "the response should not contain \"Traceback\"",
    },
    Phrase {
        phrase: "the response header {string} should contain {string}",
        example: "the response header \"Content-Type\" should contain \"text/html\"",
    },
    Phrase {
        phrase: "the response JSON at {string} should be {string}",
        example: "the response JSON at \"$.status\" should be \"ok\"",
    },
    Phrase {
        phrase: "the response should arrive within {int} ms",
        example: "the response should arrive within 500 ms",
    },
    Phrase {
        phrase: "the response should redirect to {string}",
        example: "the response should redirect to \"/accounts/login/\"",
    },
    Phrase {
        phrase: "port {int} on {string} should be open",
        example: "port 443 on \"ledger.example.com\" should be open",
    },
    Phrase {
        phrase: "port {int} on {string} should be closed",
        example: "port 5432 on \"ledger.example.com\" should be closed",
    },
    Phrase {
        phrase: "the service {string} should be running",
        example: "the service \"apache2\" should be running",
    },
    Phrase {
        phrase: "the service {string} should be enabled",
        example: "the service \"cron\" should be enabled",
    },
    Phrase {
        phrase: "a process named {string} should be running",
        example: "a process named \"cron\" should be running",
    },
    Phrase {
        phrase: "the Nagios check {string} should be OK",
        example: "the Nagios check \"check_http -H $SHAKEDOWN_HOST -p $SHAKEDOWN_PORT\" should be OK",
    },
    Phrase {
        phrase: "the Nagios check {string} should be at most WARNING",
        example: "the Nagios check \"check_disk -w 20% -c 10% -p /\" should be at most WARNING",
    },
    Phrase {
        phrase: "the command {string} should succeed",
        example: "the command \"/srv/ledger/bin/manage check --deploy\" should succeed",
    },
    Phrase {
        phrase: "its output should contain {string}",
        example: "its output should contain \"no issues\"",
    },
    Phrase {
        phrase: "the file {string} should exist",
        example: "the file \"/srv/ledger/releases/current/VERSION\" should exist",
    },
    Phrase {
        phrase: "the file {string} should have changed within {int} minutes",
        example: "the file \"/var/lib/ledger/heartbeat\" should have changed within 5 minutes",
    },
    Phrase {
        phrase: "the crontab {string} should contain {string}",
        example: "the crontab \"/etc/cron.d/ledger\" should contain \"ledger-heartbeat\"",
    },
    Phrase {
        phrase: "the cron job {string} in {string} should have run on schedule, as shown by {string}",
        example: "the cron job \"ledger-heartbeat\" in \"/etc/cron.d/ledger\" should have run on schedule, as shown by \"/var/lib/ledger/heartbeat\"",
    },
    Phrase {
        phrase: "the WSGI file {string} should load with the virtualenv {string}",
        example: "the WSGI file \"/srv/ledger/src/ledger/wsgi.py\" should load with the virtualenv \"/srv/ledger/venv\"",
    },
    Phrase {
        phrase: "the Apache WSGI configuration {string} should point at existing paths",
        example: "the Apache WSGI configuration \"/etc/apache2/sites-enabled/ledger.conf\" should point at existing paths",
    },
    Phrase {
        phrase: "the TLS certificate of {string} should be valid for at least {int} days",
        example: "the TLS certificate of \"ledger.example.com\" should be valid for at least 14 days",
    },
    Phrase {
        phrase: "I visit {string}",
        example: "I visit \"/dashboard/\"",
    },
    Phrase {
        phrase: "I click {string}",
        example: "I click \"Reports\"",
    },
    Phrase {
        phrase: "I fill in {string} with {string}",
        example: "I fill in \"Username\" with \"clerk\"",
    },
    Phrase {
        phrase: "I press {string}",
        example: "I press \"Log in\"",
    },
    Phrase {
        phrase: "I should see {string}",
        example: "I should see \"Monthly reports\"",
    },
    Phrase {
        phrase: "I should not see {string}",
        example: "I should not see \"Admin\"",
    },
    Phrase {
        phrase: "I should be on {string}",
        example: "I should be on \"/reports/\"",
    },
    Phrase {
        phrase: "the page title should contain {string}",
        example: "the page title should contain \"Ledger\"",
    },
    Phrase {
        phrase: "I should see an element matching {string}",
        example: "I should see an element matching \"table tbody tr\"",
    },
    Phrase {
        phrase: "the browser console should show no errors",
        example: "the browser console should show no errors",
    },
];

/// One registered phrase.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Entry {
    /// The step library's domain (module) that implements it: `http`, `session`, ...
    pub domain: String,
    /// The phrase as a cucumber expression; the raw regex for a step with no documentation.
    pub phrase: String,
    /// A step line that uses it.
    pub example: String,
    /// The Gherkin keywords it is registered for; every phrase should have all three.
    pub keywords: Vec<&'static str>,
}

/// Everything registered with cucumber, documented from the phrase list, sorted by domain.
pub fn live() -> Vec<Entry> {
    let mut registered: BTreeMap<String, (String, BTreeSet<&'static str>)> = BTreeMap::new();
    let mut record =
        |keyword: &'static str, (location, regex, _): (cucumber::step::Location, fn() -> Regex, _)| {
            let entry = registered
                .entry(regex().as_str().to_owned())
                .or_insert_with(|| (domain_of(location.path), BTreeSet::new()));
            entry.1.insert(keyword);
        };
    for step in inventory::iter::<<ShakedownWorld as WorldInventory>::Given> {
        record("Given", step.inner());
    }
    for step in inventory::iter::<<ShakedownWorld as WorldInventory>::When> {
        record("When", step.inner());
    }
    for step in inventory::iter::<<ShakedownWorld as WorldInventory>::Then> {
        record("Then", step.inner());
    }
    let mut entries: Vec<Entry> = registered
        .into_iter()
        .map(|(pattern, (domain, keywords))| {
            let documented = Regex::new(&pattern)
                .ok()
                .and_then(|regex| PHRASES.iter().find(|phrase| regex.is_match(phrase.example)));
            let (phrase, example) = match documented {
                Some(phrase) => (phrase.phrase.to_owned(), phrase.example.to_owned()),
                None => (pattern, String::new()),
            };
            let keywords = ["Given", "When", "Then"]
                .into_iter()
                .filter(|k| keywords.contains(k))
                .collect();
            Entry {
                domain,
                phrase,
                example,
                keywords,
            }
        })
        .collect();
    entries.sort();
    entries
}

/// `steps/src/http/steps.rs` → `http`; `steps/src/session.rs` → `session`.
fn domain_of(path: &str) -> String {
    let inside = path.rsplit_once("src/").map_or(path, |(_, rest)| rest);
    let first = inside.split('/').next().unwrap_or(inside);
    first.trim_end_matches(".rs").to_owned()
}

/// The phrase closest to a step line nobody implements, if any is reasonably close.
pub fn closest<'a>(step_text: &str, entries: &'a [Entry]) -> Option<&'a Entry> {
    let shape = shape_of(step_text);
    entries
        .iter()
        .map(|entry| (strsim::normalized_levenshtein(&shape, &entry.phrase), entry))
        .filter(|(similarity, _)| *similarity >= 0.5)
        .max_by(|(a, _), (b, _)| a.total_cmp(b))
        .map(|(_, entry)| entry)
}

/// A step line with its arguments replaced by parameter names, to compare it with phrases.
fn shape_of(step_text: &str) -> String {
    static ARGUMENTS: std::sync::LazyLock<[(Regex, &str); 2]> = std::sync::LazyLock::new(|| {
        [
            (Regex::new(r#""[^"]*"|'[^']*'"#).expect("valid regex"), "{string}"),
            (Regex::new(r"\b-?\d+\b").expect("valid regex"), "{int}"),
        ]
    });
    ARGUMENTS
        .iter()
        .fold(step_text.to_owned(), |text, (pattern, name)| {
            pattern.replace_all(&text, *name).into_owned()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_phrase_is_registered_for_every_keyword() {
        let entries = live();
        for phrase in PHRASES {
            let entry = entries
                .iter()
                .find(|entry| entry.phrase == phrase.phrase)
                .unwrap_or_else(|| panic!("`{}` is not registered", phrase.phrase));
            assert_eq!(entry.keywords, ["Given", "When", "Then"], "{}", phrase.phrase);
        }
        assert!(
            entries.iter().all(|entry| !entry.example.is_empty()),
            "undocumented: {entries:#?}"
        );
    }

    #[test]
    fn domains_come_from_the_implementing_module() {
        assert_eq!(domain_of("steps/src/http/steps.rs"), "http");
        assert_eq!(domain_of("steps/src/session.rs"), "session");
    }

    #[test]
    fn a_misspelt_step_finds_its_phrase() {
        let entries = live();
        let found = closest("the response stauts should be 200", &entries).expect("close enough");
        assert_eq!(found.phrase, "the response status should be {int}");
        assert!(closest("the moon should be made of cheese", &entries).is_none());
    }
}
