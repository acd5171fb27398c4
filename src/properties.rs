//! Property tests of the two loaders users feed by hand, the feature loader and the
//! configuration loader: whatever the text, they never panic, and a refusal is one message that
//! names the file and a line. A short fixed budget keeps them inside `cargo test`; failures found
//! once are replayed from `proptest-regressions/`.

use std::path::Path;

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, FileFailurePersistence};

use crate::error::Error;

/// Cases per property: enough to reach the loaders' corners, a second or two each in release.
const CASES: u32 = 300;

fn budget() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

/// Lines a feature author writes, or nearly: keywords, misspellings, tables, doc strings, tags,
/// comments, language headers, and a few bytes of anything.
fn feature_line() -> impl Strategy<Value = String> {
    let keywords = prop::sample::select(vec![
        "Feature:",
        "Feature :",
        "Scenario:",
        "Scenario Outline:",
        "Scenario Template:",
        "Example:",
        "Examples:",
        "Background:",
        "Rule:",
        "Given",
        "When",
        "Then",
        "And",
        "But",
        "*",
        "Givn",
        "Senario:",
        "|",
        "| a | b |",
        "|a|",
        "\"\"\"",
        "```",
        "@tag",
        "@",
        "#",
        "# language: fr",
        "# language: xx",
        "Fonctionnalité:",
        "Scénario:",
        "Soit",
        "<a>",
        "",
    ]);
    let indent = prop::sample::select(vec!["", "  ", "    ", "\t"]);
    (
        indent,
        keywords,
        "[ -~]{0,12}",
        prop::option::of("[\\PC\u{feff}\r\t]{0,6}"),
    )
        .prop_map(|(indent, keyword, rest, odd)| {
            format!("{indent}{keyword} {rest}{}", odd.unwrap_or_default())
        })
}

/// A line of `shakedown.toml`, or nearly: every section and key, with values of every type.
fn config_line() -> impl Strategy<Value = String> {
    let sections = prop::sample::select(vec![
        "[environments.staging]",
        "[environments.live]",
        "[environments]",
        "[limits]",
        "[login]",
        "[roles.clerk]",
        "[roles]",
        "[probes]",
        "[browser]",
        "[content]",
        "[[roles]]",
        "[limits",
        "[environments.live.hosts.web1]",
        "[nope]",
    ]);
    let keys = prop::sample::select(vec![
        "base_url",
        "read_only",
        "step_timeout",
        "scenario_timeout",
        "concurrency",
        "path",
        "username_field",
        "password_field",
        "username",
        "password_env",
        "password_file",
        "password_command",
        "password",
        "nagios_plugin_dir",
        "nagios_resource",
        "cron_grace",
        "tls_ca_file",
        "webdriver_url",
        "headless",
        "sessions",
        "forbidden",
        "features",
        "chromium",
        "x",
        "limits.step_timeout",
    ]);
    let values = prop::sample::select(vec![
        "\"https://staging.example.com\"",
        "\"http://127.0.0.1:9\"",
        "\"ftp://x\"",
        "\"\"",
        "\"15s\"",
        "\"2m\"",
        "\"-1s\"",
        "\"forever\"",
        "15",
        "0",
        "-3",
        "99999999999999999999",
        "true",
        "1.5",
        "[\"(?i)lorem\"]",
        "[\"(\"]",
        "[1, 2]",
        "{ a = 1 }",
        "\"~/x\"",
        "'single'",
        "\"\\u0000\"",
        "\"unterminated",
        "",
    ]);
    // Mostly well-formed TOML, so the sections' own checks are reached, not only the parser's.
    prop_oneof![
        3 => sections.prop_map(str::to_owned),
        8 => (keys, values).prop_map(|(key, value)| format!("{key} = {value}")),
        1 => "[\\PC]{0,16}",
    ]
}

/// The file's name and a line of it: `file.ext:12` or `line 12` (a whole-file problem is on
/// line 1 at most, so a listing of problems counts too).
#[track_caller]
fn assert_names_file_and_line(error: &Error, file: &Path) {
    let message = error.render();
    let name = file
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or_default();
    assert!(
        message.contains(name),
        "the message does not name `{name}`:\n{message}"
    );
    let has_line = regex::Regex::new(&format!(r"{}:\d+|line \d+", regex::escape(name)))
        .expect("valid regex")
        .is_match(&message);
    assert!(has_line, "the message names no line of `{name}`:\n{message}");
    assert!(
        !message.contains("panicked"),
        "the message carries a panic:\n{message}"
    );
}

proptest! {
    #![proptest_config(budget())]

    #[test]
    fn the_feature_loader_never_panics_and_names_file_and_line(
        lines in prop::collection::vec(feature_line(), 0..24),
        bom in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("generated.feature");
        let text = format!("{}{}", if bom { "\u{feff}" } else { "" }, lines.join("\n"));
        std::fs::write(&file, text).expect("write");
        if let Err(error) = crate::plan::suite::load(std::slice::from_ref(&file), None) {
            assert_names_file_and_line(&error, &file);
        }
    }

    #[test]
    fn the_config_loader_never_panics_and_names_file_and_line(
        lines in prop::collection::vec(config_line(), 0..16),
    ) {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join(crate::config::FILE_NAME);
        std::fs::write(&file, lines.join("\n")).expect("write");
        if let Err(error) = crate::config::load(&file) {
            assert_names_file_and_line(&error, &file);
        }
    }
}
