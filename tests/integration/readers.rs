//! The JUnit report as independent readers count it: the Jenkins and Maven Surefire schemas
//! (xmllint), Python's `junitparser` and npm's `test-results-parser` all give the true passed,
//! failed and skipped counts for a passing, a failing, a `--fail-fast` and an interrupted run;
//! a scenario that passed on a retry is passed for each of them and keeps its failed attempt;
//! the run's properties appear once, and every testsuite says when and where it ran.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use indoc::{formatdoc, indoc};
use regex::Regex;
use shakedown_testkit::processes::{MARKER_VARIABLE, send, wait_for_process};

use crate::support::{Project, validate_junit};

/// Passed, failed and skipped scenarios, as one reader counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    passed: u64,
    failed: u64,
    skipped: u64,
}

/// A project whose scenarios only run local commands: one passes, one passes on its retry
/// (`flaked` marks its first attempt), one fails, and one would pass after it.
fn command_project() -> Project {
    let project = Project::new("http://127.0.0.1:9", "");
    let marker = project.path().join("flaked");
    project.file(
        "features/a_passing.feature",
        &formatdoc! {r#"
            Feature: Passing ones
              Scenario: passes
                Then the command "true" should succeed

              @retry(1)
              Scenario: passes on a retry
                Then the command "test -e {marker} || {{ touch {marker}; exit 1; }}" should succeed
            "#, marker = marker.display()},
    );
    project.file(
        "features/b_failing.feature",
        indoc! {r#"
            Feature: Failing ones
              Scenario: fails
                Then the command "false" should succeed

              Scenario: would pass after the failure
                Then the command "true" should succeed
        "#},
    );
    project
}

/// Runs `shakedown run -j 1 --junit junit.xml` with `args` and returns the report's path.
fn junit_of(project: &Project, args: &[&str], code: i32) -> PathBuf {
    let report = project.path().join("junit.xml");
    project
        .shakedown()
        .args(["run", "-j", "1", "--junit", "junit.xml"])
        .args(args)
        .run()
        .expect_code(code);
    report
}

#[test]
fn a_passing_run_counts_alike_in_every_reader_with_the_retried_scenario_passed() {
    let project = command_project();
    let report = junit_of(&project, &["features/a_passing.feature"], 0);
    assert_every_reader_counts(
        &report,
        Counts {
            passed: 2,
            failed: 0,
            skipped: 0,
        },
    );
    let xml = read(&report);
    assert!(
        Regex::new(r#"(?s)<testcase name="passes on a retry"[^>]*>\s*<flakyFailure [^>]*>\s*<stackTrace>"#)
            .expect("valid regex")
            .is_match(&xml),
        "the retried scenario does not keep its failed attempt:\n{xml}"
    );
}

#[test]
fn a_failing_run_counts_alike_in_every_reader_and_states_its_run_once() {
    let project = command_project();
    let report = junit_of(&project, &[], 1);
    assert_every_reader_counts(
        &report,
        Counts {
            passed: 3,
            failed: 1,
            skipped: 0,
        },
    );
    let xml = read(&report);
    assert_eq!(
        xml.matches(r#"<property name="environment""#).count(),
        1,
        "a reader merging the testsuites would meet the property twice:\n{xml}"
    );
    let suite = Regex::new(
        r#"<testsuite name="[^"]*" [^>]*timestamp="(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)" hostname="([^"]+)""#,
    )
    .expect("valid regex");
    assert_eq!(suite.find_iter(&xml).count(), 2, "{xml}");
    let total_time = Regex::new(r#"<testsuites [^>]*time="([0-9.]+)""#)
        .expect("valid regex")
        .captures(&xml)
        .unwrap_or_else(|| panic!("<testsuites> has no time:\n{xml}"));
    assert!(total_time[1].parse::<f64>().expect("a number") > 0.0, "{xml}");
}

#[test]
fn a_fail_fast_run_lists_the_scenarios_it_never_started_as_skipped_for_every_reader() {
    let project = command_project();
    let report = junit_of(&project, &["--fail-fast"], 1);
    assert_every_reader_counts(
        &report,
        Counts {
            passed: 2,
            failed: 1,
            skipped: 1,
        },
    );
    let xml = read(&report);
    assert!(
        xml.contains(
            r#"<skipped message="not run: the run was stopped (--fail-fast) before this scenario started"/>"#
        ),
        "{xml}"
    );
}

#[test]
fn an_interrupted_run_counts_alike_in_every_reader() {
    let project = Project::new("http://127.0.0.1:9", "");
    project.file(
        "features/slow.feature",
        indoc! {r#"
            Feature: Slow
              Scenario: quick
                Then the command "true" should succeed

              Scenario: slow
                Then the command "sleep 37" should succeed

              Scenario: never started
                Then the command "true" should succeed
        "#},
    );
    let marker = format!("readers-{}", std::process::id());
    let child = Command::new(env!("CARGO_BIN_EXE_shakedown"))
        .args(["run", "-j", "1", "--junit", "junit.xml"])
        .current_dir(project.path())
        .env(MARKER_VARIABLE, &marker)
        .env_remove("SHAKEDOWN_ENV")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("shakedown starts");
    wait_for_process(&marker, "sleep", Duration::from_secs(30));
    send("INT", child.id());
    let status = child.wait_with_output().expect("shakedown ends").status;
    assert_eq!(status.code(), Some(130));
    assert_every_reader_counts(
        &project.path().join("junit.xml"),
        Counts {
            passed: 1,
            failed: 0,
            skipped: 2,
        },
    );
}

/// Every reader gives `expected`; both schemas accept the report.
#[track_caller]
fn assert_every_reader_counts(report: &Path, expected: Counts) {
    validate_junit(report);
    validate_against_surefire(report);
    let xml = read(report);
    for (reader, counts) in [
        (
            "junitparser (its testsuite totals)",
            junitparser_counts(report, "totals"),
        ),
        (
            "junitparser (testcase by testcase)",
            junitparser_counts(report, "cases"),
        ),
        ("test-results-parser", test_results_parser_counts(report)),
    ] {
        assert_eq!(counts, expected, "{reader} counts differently:\n{xml}");
    }
}

/// Maven Surefire's schema describes one file per testsuite: each testsuite of the report is
/// validated alone. Surefire's schema has no `hostname` (Jenkins' has, and test-results-parser
/// reads it): that attribute, and only it, is left out first.
fn validate_against_surefire(report: &Path) {
    let xml = read(report);
    let suites = Regex::new(r"(?s)<testsuite .*?</testsuite>").expect("valid regex");
    let beyond_surefire = Regex::new(r#" hostname="[^"]*""#).expect("valid regex");
    let schema = fixture("surefire-test-report.xsd");
    let folder = tempfile::tempdir().expect("temp dir");
    let mut validated = 0;
    for (index, suite) in suites.find_iter(&xml).enumerate() {
        let file = folder.path().join(format!("suite-{index}.xml"));
        let suite = beyond_surefire.replace_all(suite.as_str(), "");
        std::fs::write(
            &file,
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{suite}\n"),
        )
        .expect("write the testsuite");
        let output = Command::new("xmllint")
            .args(["--noout", "--schema"])
            .arg(&schema)
            .arg(&file)
            .output()
            .expect("xmllint runs (ci/test installs libxml2-utils)");
        assert!(
            output.status.success(),
            "a testsuite does not validate against Surefire's schema:\n{}\n{suite}",
            String::from_utf8_lossy(&output.stderr)
        );
        validated += 1;
    }
    assert!(validated > 0, "no testsuite in the report:\n{xml}");
}

/// `junitparser` in the virtualenv ci/test makes: `totals` reads the testsuites' own counts
/// (as tools built on it summarise), `cases` classifies each testcase by its result.
fn junitparser_counts(report: &Path, how: &str) -> Counts {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/python-tools/bin/python");
    assert!(
        python.exists(),
        "{} is missing, so junitparser cannot read the report: run ci/test (it makes the \
         virtualenv from tests/fixtures/python-tools/requirements.txt)",
        python.display()
    );
    let script = indoc! {r#"
        import json, sys
        from junitparser import JUnitXml
        xml = JUnitXml.fromfile(sys.argv[1])
        if sys.argv[2] == "totals":
            suites = list(xml)
            merged = suites[0]
            for suite in suites[1:]:
                merged += suite
            tests = sum(suite.tests for suite in suites)
            failed = sum(suite.failures + suite.errors for suite in suites)
            skipped = sum(suite.skipped for suite in suites)
            print(json.dumps([tests - failed - skipped, failed, skipped]))
        else:
            cases = [case for suite in xml for case in suite]
            print(json.dumps([
                sum(case.is_passed for case in cases),
                sum(case.is_failure or case.is_error for case in cases),
                sum(case.is_skipped for case in cases),
            ]))
    "#};
    counts_from(
        "junitparser",
        Command::new(python).arg("-c").arg(script).arg(report).arg(how),
    )
}

/// npm's `test-results-parser` (the reader behind testbeats and several CI dashboards).
fn test_results_parser_counts(report: &Path) -> Counts {
    let node_modules = fixture("node-tools/node_modules");
    assert!(
        node_modules.join("test-results-parser").is_dir(),
        "test-results-parser is not installed in {}: run `npm ci --prefix tests/fixtures/node-tools` \
         (ci/test does)",
        node_modules.display()
    );
    let script = indoc! {r#"
        const { parse } = require('test-results-parser');
        const result = parse({ type: 'junit', files: [process.argv[1]] });
        console.log(JSON.stringify([result.passed, result.failed + result.errors, result.skipped]));
    "#};
    counts_from(
        "test-results-parser",
        Command::new("node")
            .env("NODE_PATH", &node_modules)
            .arg("-e")
            .arg(script)
            .arg(report),
    )
}

/// Runs a reader that prints `[passed, failed, skipped]`.
fn counts_from(reader: &str, command: &mut Command) -> Counts {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{reader} runs: {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{reader} failed on the report:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let [passed, failed, skipped]: [u64; 3] = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|error| panic!("{reader} printed {stdout:?}: {error}"));
    Counts {
        passed,
        failed,
        skipped,
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}
