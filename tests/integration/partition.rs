//! `--partition count:K/N` spreads a suite over N CI jobs: the N slices, run against the demo
//! site, hold every scenario exactly once, and a value that is no partition is a usage error.

use std::collections::BTreeSet;

use crate::support::{DemoSite, Project};

const SUITE: &str = r#"Feature: Pages of the demo site
  Scenario: the home page
    When I request "/"
    Then the response status should be 200

  Scenario: the health check
    When I request "/api/health"
    Then the response status should be 200

  Scenario Outline: a public page <page>
    When I request "<page>"
    Then the response status should be 200
    Examples:
      | page |
      | /    |
      | /accounts/login/ |

  Rule: nothing secret in the open
    Scenario: the login page
      When I request "/accounts/login/"
      Then the response should not contain "Traceback"
"#;

const MORE: &str = r#"Feature: More pages
  Scenario: the login form again
    When I request "/accounts/login/"
    Then the response status should be 200

  Scenario: an unknown page
    When I request "/no-such-page/"
    Then the response status should be 404
"#;

/// The testcases of a JUnit report, as `classname / name`.
fn testcases(junit: &str) -> Vec<String> {
    let testcase = regex::Regex::new(r"<testcase ([^>]*)>").expect("valid regex");
    let attribute = |attributes: &str, name: &str| {
        regex::Regex::new(&format!(r#"\b{name}="([^"]*)""#))
            .expect("valid regex")
            .captures(attributes)
            .map(|found| found[1].to_owned())
            .unwrap_or_default()
    };
    testcase
        .captures_iter(junit)
        .map(|case| {
            format!(
                "{} / {}",
                attribute(&case[1], "classname"),
                attribute(&case[1], "name")
            )
        })
        .collect()
}

fn run(project: &Project, extra: &[&str], report: &str) -> Vec<String> {
    project
        .shakedown()
        .args(["run", "--junit", report])
        .args(extra)
        .run()
        .expect_code(0)
        .expect_no_panic();
    testcases(&std::fs::read_to_string(project.path().join(report)).expect("report written"))
}

#[test]
fn the_slices_of_a_partitioned_run_hold_every_scenario_exactly_once() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file("features/pages.feature", SUITE);
    project.file("features/more.feature", MORE);
    let whole = run(&project, &[], "whole.xml");
    assert_eq!(whole.len(), 7, "{whole:?}");
    let mut seen = Vec::new();
    for slice in 1..=3 {
        let partition = format!("count:{slice}/3");
        let cases = run(
            &project,
            &["--partition", &partition],
            &format!("slice-{slice}.xml"),
        );
        assert!(!cases.is_empty(), "slice {slice} is empty");
        seen.extend(cases);
    }
    assert_eq!(
        seen.len(),
        whole.len(),
        "a scenario ran twice or not at all: {seen:?}"
    );
    let seen: BTreeSet<_> = seen.into_iter().collect();
    let whole: BTreeSet<_> = whole.into_iter().collect();
    assert_eq!(seen, whole);
}

#[test]
fn a_value_that_is_no_partition_is_a_usage_error() {
    let project = Project::new("http://127.0.0.1:9", "");
    project.file("features/pages.feature", SUITE);
    for bad in ["count:0/3", "count:4/3", "hash:1/2", "1-3"] {
        project
            .shakedown()
            .args(["run", "--partition", bad])
            .run()
            .expect_code(2)
            .expect_stderr(&format!("`{bad}` is not a partition"));
    }
}
