//! The step catalogue, read from the binary under test (the release binary in `ci/test`): as
//! text, and as the Markdown docs/steps.md is. That every phrase is registered for every Gherkin
//! keyword is the step library's own unit test. As JSON, for tools: one object per phrase.

use crate::support::Shakedown;

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

#[test]
fn the_catalogue_as_json_holds_every_phrase_once_with_its_example_meaning_and_keywords_the_same_each_time() {
    let first = Shakedown::new().args(["steps", "--format", "json"]).run();
    first.expect_code(0);
    let second = Shakedown::new().args(["steps", "--format", "json"]).run();
    assert_eq!(first.stdout, second.stdout, "two listings differ");

    let listed: Vec<serde_json::Value> = serde_json::from_str(&first.stdout).expect("a JSON array");
    let mut phrases = Vec::new();
    for entry in &listed {
        let object = entry.as_object().expect("each entry is an object");
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["domain", "example", "keywords", "meaning", "phrase"],
            "{entry}"
        );
        for key in ["domain", "example", "meaning", "phrase"] {
            let text = entry[key].as_str().unwrap_or_default();
            assert!(!text.trim().is_empty(), "`{key}` is no text: {entry}");
        }
        let keywords: Vec<&str> = entry["keywords"]
            .as_array()
            .expect("keywords are a list")
            .iter()
            .map(|keyword| keyword.as_str().expect("a keyword is text"))
            .collect();
        assert_eq!(keywords, ["Given", "When", "Then"], "{entry}");
        phrases.push(entry["phrase"].as_str().unwrap_or_default().to_owned());
    }

    // Every phrase of the vocabulary page, which the binary's Markdown is tested against, once.
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/steps.md"))
        .expect("docs/steps.md");
    let documented: Vec<String> = page
        .lines()
        .filter_map(|line| {
            line.strip_prefix("| `")?
                .split_once("` |")
                .map(|(phrase, _)| phrase.to_owned())
        })
        .collect();
    let mut sorted = phrases.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        phrases.len(),
        "a phrase is listed twice: {phrases:#?}"
    );
    let mut documented_sorted = documented.clone();
    documented_sorted.sort();
    assert_eq!(
        sorted, documented_sorted,
        "the JSON and docs/steps.md list other phrases"
    );
}
