//! The Cucumber reference corpus (tests/fixtures/gherkin-corpus): every good file is run by the
//! real binary and its Cucumber JSON report compared with the reference pickles (scenario names
//! and lines, steps, tables, doc strings and their media types); every bad file is refused at
//! the reference's line with words for the problem. A failure prints one line per file that
//! differs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::routing::post;
use serde_json::Value;

use crate::support::Project;
use crate::support::recording::RecordingServer;

/// Every step's text is replaced by this phrase, which passes without touching a server, so
/// the report shows the corpus' scenarios, tables and doc strings as shakedown read them.
const HARMLESS_STEP: &str = "the file \"/\" should exist";

fn corpus(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gherkin-corpus")
        .join(kind)
}

fn feature_files(kind: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus(kind))
        .expect("corpus folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "feature"))
        .collect();
    files.sort();
    files
}

fn ndjson(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("reference ndjson"))
        .collect()
}

fn sibling(file: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", file.display()))
}

fn file_name(file: &Path) -> String {
    file.file_name().expect("a name").to_string_lossy().into_owned()
}

/// Every step node of the reference AST, wherever it sits (backgrounds, scenarios, rules).
fn ast_steps(node: &Value, found: &mut HashMap<String, (usize, usize, String)>) {
    match node {
        Value::Object(fields) => {
            if let (
                Some(Value::String(id)),
                Some(Value::String(keyword)),
                Some(location),
                Some(Value::String(_)),
            ) = (
                fields.get("id"),
                fields.get("keyword"),
                fields.get("location"),
                fields.get("text"),
            ) {
                let at = |key: &str| location[key].as_u64().expect("a number") as usize;
                found.insert(id.clone(), (at("line"), at("column"), keyword.clone()));
            }
            fields.values().for_each(|value| ast_steps(value, found));
        }
        Value::Array(values) => values.iter().for_each(|value| ast_steps(value, found)),
        _ => {}
    }
}

/// The feature with every step's text after its keyword replaced by [`HARMLESS_STEP`].
fn with_harmless_steps(text: &str, steps: &HashMap<String, (usize, usize, String)>) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    for (line, column, keyword) in steps.values() {
        let original = &lines[line - 1];
        let start = original
            .char_indices()
            .nth(column - 1)
            .map_or(original.len(), |(at, _)| at);
        let line_end = if original.ends_with('\r') { "\r" } else { "" };
        lines[line - 1] = format!("{}{keyword}{HARMLESS_STEP}{line_end}", &original[..start]);
    }
    lines.join("\n")
}

/// What the reference says a pickle's step carries, in the report's terms.
fn expected_argument(step: &Value) -> Value {
    let argument = &step["argument"];
    let mut expected = serde_json::json!({});
    if let Some(doc_string) = argument.get("docString") {
        expected["doc_string"] = doc_string["content"].clone();
        expected["content_type"] = doc_string.get("mediaType").cloned().unwrap_or_else(|| "".into());
    }
    if let Some(table) = argument.get("dataTable") {
        let rows: Vec<Vec<Value>> = table["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|row| {
                row["cells"]
                    .as_array()
                    .expect("cells")
                    .iter()
                    .map(|cell| cell["value"].clone())
                    .collect()
            })
            .collect();
        expected["rows"] = serde_json::json!(rows);
    }
    expected
}

fn reported_argument(step: &Value) -> Value {
    let mut seen = serde_json::json!({});
    if let Some(doc_string) = step.get("doc_string") {
        seen["doc_string"] = doc_string["value"].clone();
        seen["content_type"] = doc_string["content_type"].clone();
    }
    if let Some(rows) = step.get("rows") {
        let rows: Vec<Value> = rows
            .as_array()
            .expect("rows")
            .iter()
            .map(|row| row["cells"].clone())
            .collect();
        seen["rows"] = serde_json::json!(rows);
    }
    seen
}

/// What differs between the reference pickles of one file and the scenarios shakedown reported.
fn differences(
    pickles: &[Value],
    reported: &[Value],
    step_lines: &HashMap<String, (usize, usize, String)>,
) -> Vec<String> {
    let mut found = Vec::new();
    if pickles.len() != reported.len() {
        found.push(format!(
            "{} scenario(s), the reference has {}",
            reported.len(),
            pickles.len()
        ));
        return found;
    }
    for (pickle, scenario) in pickles.iter().zip(reported) {
        let name = pickle["name"].as_str().expect("a name");
        let shown = scenario["name"].as_str().unwrap_or_default();
        // An outline row's name may carry its values after the outline's name: `name (a=1)`.
        if shown != name && !shown.starts_with(&format!("{name} (")) {
            found.push(format!("scenario named {shown:?}, the reference {name:?}"));
        }
        let line = pickle["location"]["line"].as_u64().expect("a line");
        if scenario["line"].as_u64() != Some(line) {
            found.push(format!(
                "{name:?} at line {}, the reference at {line}",
                scenario["line"]
            ));
        }
        let expected_steps = pickle["steps"].as_array().expect("steps");
        let seen_steps = scenario["steps"].as_array().cloned().unwrap_or_default();
        if expected_steps.len() != seen_steps.len() {
            found.push(format!(
                "{name:?} has {} step(s), the reference {}",
                seen_steps.len(),
                expected_steps.len()
            ));
            continue;
        }
        for (expected, seen) in expected_steps.iter().zip(&seen_steps) {
            let node = expected["astNodeIds"][0].as_str().expect("an id");
            let line = step_lines.get(node).map(|(line, ..)| *line);
            if seen["line"].as_u64().map(|line| line as usize) != line {
                found.push(format!(
                    "{name:?}: a step at line {}, the reference at {line:?}",
                    seen["line"]
                ));
            }
            let (expected, seen) = (expected_argument(expected), reported_argument(seen));
            if expected != seen {
                found.push(format!(
                    "{name:?}, line {line:?}: the step carries {seen}, the reference {expected}"
                ));
            }
        }
    }
    found
}

/// Good files shakedown refuses on purpose, with the words it must give (the README says why).
const REFUSED_ON_PURPOSE: [(&str, &str); 1] = [(
    "step_with_datatable_and_docstring.feature",
    "features/step_with_datatable_and_docstring.feature:7:1: this step has both a table and a doc string",
)];

#[test]
fn a_good_file_shakedown_refuses_on_purpose_is_refused_in_words() {
    for (name, refusal) in REFUSED_ON_PURPOSE {
        let project = Project::new("http://127.0.0.1:9", "");
        project.file(
            &format!("features/{name}"),
            &std::fs::read_to_string(corpus("good").join(name)).expect("corpus file"),
        );
        project
            .shakedown()
            .args(["check"])
            .run()
            .expect_code(2)
            .expect_stderr(refusal);
    }
}

#[test]
fn every_good_file_of_the_reference_corpus_runs_with_the_scenarios_the_reference_reads() {
    let project = Project::new("http://127.0.0.1:9", "");
    let mut step_lines = HashMap::new();
    let files: Vec<PathBuf> = feature_files("good")
        .into_iter()
        .filter(|file| {
            !REFUSED_ON_PURPOSE
                .iter()
                .any(|(name, _)| file_name(file) == *name)
        })
        .collect();
    assert!(
        files.len() >= 49,
        "at least 49 of the 50 good files are read as the reference reads them"
    );
    for file in &files {
        let mut steps = HashMap::new();
        for document in ndjson(&sibling(file, ".ast.ndjson")) {
            ast_steps(&document, &mut steps);
        }
        let text = std::fs::read_to_string(file).expect("corpus file");
        project.file(
            &format!("features/{}", file_name(file)),
            &with_harmless_steps(&text, &steps),
        );
        step_lines.insert(file_name(file), steps);
    }
    let report = project.path().join("report.json");
    let outcome = project
        .shakedown()
        .args(["run".as_ref(), "--json".as_ref(), report.as_os_str()])
        .run();
    let mut table = Vec::new();
    if outcome.code != 0 {
        // Which files were refused, one check each, for the table.
        for file in &files {
            let checked = project
                .shakedown()
                .args(["check", &format!("features/{}", file_name(file))])
                .run();
            if checked.code != 0 {
                table.push(format!(
                    "{:50} refused: {}",
                    file_name(file),
                    checked.stderr.trim()
                ));
            }
        }
        assert!(
            !table.is_empty(),
            "the run failed on files check accepts:\n{}\n{}",
            outcome.stdout,
            outcome.stderr
        );
    } else {
        let features: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(&report).expect("report")).expect("JSON");
        for file in &files {
            let name = file_name(file);
            let reported: Vec<Value> = features
                .iter()
                .filter(|feature| {
                    feature["uri"]
                        .as_str()
                        .is_some_and(|uri| uri.ends_with(&format!("/{name}")))
                })
                .flat_map(|feature| feature["elements"].as_array().cloned().unwrap_or_default())
                .collect();
            let pickles: Vec<Value> = ndjson(&sibling(file, ".pickles.ndjson"))
                .into_iter()
                .map(|document| document["pickle"].clone())
                .collect();
            for difference in differences(&pickles, &reported, &step_lines[&name]) {
                table.push(format!("{name:50} {difference}"));
            }
        }
    }
    assert!(
        table.is_empty(),
        "{} difference(s) from the reference corpus ({} good files):\n{}",
        table.len(),
        files.len(),
        table.join("\n")
    );
}

/// Words the refusal of each bad file must hold: the problem, never the parser's token names.
const REFUSALS: [(&str, &str); 12] = [
    (
        "backslash_at_end_of_line_in_datatable.feature",
        "cell(s), but the table's first row has",
    ),
    (
        "file_ends_with_open_docstring.feature",
        "the file ends inside the doc string",
    ),
    (
        "inconsistent_cell_count.feature",
        "cell(s), but the table's first row has",
    ),
    (
        "invalid_language.feature",
        "`# language: no-such` is not a language Gherkin knows",
    ),
    (
        "multiple_parser_errors.feature",
        "a feature file starts with `Feature: <name>`",
    ),
    (
        "not_gherkin.feature",
        "a feature file starts with `Feature: <name>`",
    ),
    (
        "repeated_step_docstring.feature",
        "a step's doc string is repeated",
    ),
    (
        "single_parser_error.feature",
        "a feature file starts with `Feature: <name>`",
    ),
    ("unexpected_end_of_file.feature", "the file ends after these tags"),
    ("unexpected_eof.feature", "the file ends after these tags"),
    (
        "unfinished_datatable.feature",
        "cell(s), but the table's first row has",
    ),
    ("whitespace_in_tags.feature", "a tag may not contain whitespace"),
];

/// The reference parser's words for what it expected, which mean nothing to a reader.
const TOKEN_NAMES: [&str; 5] = ["#EOF", "#TagLine", "#StepLine", "#Other", "EOL"];

/// The reference's line for a file's first error. The reference places "unexpected end of
/// file" on the line after the last; shakedown names the last line written instead (the tag or
/// the open doc string that the end of the file cut short).
fn expected_line(file: &Path) -> usize {
    let error = &ndjson(&sibling(file, ".errors.ndjson"))[0];
    let location = &error["parseError"]["source"]["location"];
    let line = location["line"].as_u64().expect("a line") as usize;
    if location.get("column").is_some() {
        return line;
    }
    let text = std::fs::read_to_string(file).expect("corpus file");
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, _)| index + 1)
        .last()
        .unwrap_or(1)
}

#[test]
fn every_bad_file_of_the_reference_corpus_is_refused_at_the_reference_line_in_plain_words() {
    let files = feature_files("bad");
    assert_eq!(files.len(), REFUSALS.len(), "a bad file without expected words");
    let mut table = Vec::new();
    for (name, words) in REFUSALS {
        let file = corpus("bad").join(name);
        let project = Project::new("http://127.0.0.1:9", "");
        project.file(
            &format!("features/{name}"),
            &std::fs::read_to_string(&file).expect("corpus file"),
        );
        let outcome = project.shakedown().args(["check"]).run();
        let place = format!("features/{name}:{}:", expected_line(&file));
        let refusal = outcome.stderr.trim();
        if outcome.code != 2
            || !refusal.contains(&place)
            || !refusal.contains(words)
            || TOKEN_NAMES.iter().any(|token| refusal.contains(token))
        {
            table.push(format!(
                "{name:50} exit {}, wanted `{place}` and {words:?}: {refusal}",
                outcome.code
            ));
        }
    }
    assert!(
        table.is_empty(),
        "bad files not refused as the reference refuses them:\n{}",
        table.join("\n")
    );
}

#[test]
fn a_doc_string_reaches_the_site_as_written_with_the_content_type_its_fence_names() {
    let site = RecordingServer::start(Router::new().route("/api/orders", post(|| async { "created" })));
    let project = Project::new(&site.url, "");
    // Indented by the fence's indentation, CRLF line ends, an escaped fence inside: the body is
    // the reference's content, and `xml`, which the body's shape would not tell, is the type.
    project.file(
        "features/post.feature",
        "Feature: Post\r\n  Scenario: post\r\n    When I send a POST request to \"/api/orders\"\r\n      \"\"\"json\r\n      {\"note\": \"\\\"\\\"\\\"\",\r\n        \"n\": 1}\r\n      \"\"\"\r\n    And I send a POST request to \"/api/orders\"\r\n      ```xml\r\n      <order/>\r\n      ```\r\n",
    );
    project.shakedown().args(["run"]).run().expect_code(0);
    let received = site.received();
    assert_eq!(received.len(), 2, "{:?}", site.request_lines());
    assert_eq!(received[0].body, "{\"note\": \"\"\"\"\",\n  \"n\": 1}");
    assert_eq!(received[0].header("content-type"), Some("application/json"));
    assert_eq!(received[1].body, "<order/>");
    assert_eq!(received[1].header("content-type"), Some("application/xml"));
}

#[test]
fn a_scenario_under_a_rule_keeps_its_own_name_and_the_reports_carry_the_rule_beside_it() {
    let project = Project::new("http://127.0.0.1:9", "");
    project.file(
        "features/rules.feature",
        "Feature: Files\n  Rule: The root\n    Scenario: exists\n      Then the file \"/\" should exist\n",
    );
    let (junit, json) = (
        project.path().join("junit.xml"),
        project.path().join("report.json"),
    );
    project
        .shakedown()
        .args([
            "run".as_ref(),
            "--junit".as_ref(),
            junit.as_os_str(),
            "--json".as_ref(),
            json.as_os_str(),
        ])
        .run()
        .expect_code(0);
    let xml = std::fs::read_to_string(&junit).expect("JUnit report");
    assert!(
        xml.contains(r#"<testcase name="exists" classname="Files › The root""#),
        "{xml}"
    );
    let features: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("JSON report")).expect("JSON");
    let scenario = &features[0]["elements"][0];
    assert_eq!(scenario["name"], "exists", "{scenario}");
    assert_eq!(scenario["rule"], "The root", "{scenario}");
}
