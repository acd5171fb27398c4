//! The step catalogue, read from the binary under test (the release binary in `ci/test`): every
//! phrase of docs/steps.md that is implemented is registered, for every Gherkin keyword.

use std::collections::BTreeSet;

use crate::support::Shakedown;

/// Phrases of docs/steps.md that later work adds; each leaves this list when it is registered.
const PENDING: &[&str] = &[];

/// The phrases of the vocabulary's tables; `... should be closed` continues the phrase before.
fn documented_phrases() -> BTreeSet<String> {
    let vocabulary = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/steps.md"))
        .expect("docs/steps.md");
    let mut phrases = BTreeSet::new();
    for line in vocabulary.lines().filter(|line| line.starts_with("| `")) {
        let first_cell = line.split(" | ").next().unwrap_or_default();
        let mut previous = String::new();
        for quoted in first_cell.split('`').skip(1).step_by(2) {
            let phrase = match quoted.strip_prefix("... ") {
                Some(ending) => {
                    let stem = previous
                        .rsplit_once(" should ")
                        .map(|(stem, _)| stem)
                        .unwrap_or(&previous);
                    format!("{stem} {ending}")
                }
                None => quoted.to_owned(),
            };
            previous = phrase.clone();
            phrases.insert(phrase);
        }
    }
    phrases
}

fn registered() -> serde_json::Value {
    let outcome = Shakedown::new().args(["steps", "--format", "json"]).run();
    outcome.expect_code(0);
    serde_json::from_str(&outcome.stdout).expect("the catalogue is JSON")
}

#[test]
fn every_implemented_phrase_of_the_vocabulary_is_registered_for_every_keyword() {
    let documented = documented_phrases();
    assert!(
        documented.len() > 40,
        "docs/steps.md was not read: {documented:?}"
    );
    let catalogue = registered();
    let entries = catalogue.as_array().expect("a list");
    let mut live = BTreeSet::new();
    for entry in entries {
        let phrase = entry["phrase"].as_str().expect("a phrase").to_owned();
        assert_eq!(
            entry["keywords"],
            serde_json::json!(["Given", "When", "Then"]),
            "{phrase}"
        );
        assert!(
            !entry["example"].as_str().unwrap_or_default().is_empty(),
            "`{phrase}` has no example"
        );
        assert!(
            documented.contains(&phrase),
            "`{phrase}` is registered but not in docs/steps.md"
        );
        live.insert(phrase);
    }
    for phrase in &documented {
        let pending = PENDING.contains(&phrase.as_str());
        assert!(
            live.contains(phrase) || pending,
            "`{phrase}` is neither registered nor pending"
        );
        assert!(
            !(live.contains(phrase) && pending),
            "`{phrase}` is registered: take it off PENDING"
        );
    }
}

#[test]
fn the_catalogue_reads_as_text_and_markdown() {
    Shakedown::new()
        .args(["steps"])
        .run()
        .expect_code(0)
        .expect_stdout("http\n  I request {string}\n      GET, with the current role's session\n      e.g. I request \"/api/health\"");
    let markdown = Shakedown::new().args(["steps", "--format", "markdown"]).run();
    markdown.expect_code(0);
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/steps.md"))
        .expect("docs/steps.md");
    assert_eq!(
        markdown.stdout, committed,
        "docs/steps.md differs from `shakedown steps --format markdown`"
    );
}
