//! The JUnit report: valid against the schema Jenkins reads even when a page holds control
//! characters and `]]>`, one testcase per scenario with outline rows named by their values,
//! and the failing step's message and location in `<failure>`.

use crate::support::{DemoSite, Project, validate_junit};

#[test]
fn awkward_page_text_still_gives_a_valid_report_with_locations() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file(
        "features/odd.feature",
        r#"Feature: Odd text
  Scenario: control characters and CDATA ends are reported safely
    When I request "/__demo/odd-text"
    Then the response should not contain "]]>"

  Scenario Outline: rows are told apart
    When I request "<page>"
    Then the response status should be <status>
    Examples:
      | page            | status |
      | /               | 200    |
      | /no-such-page/  | 200    |
"#,
    );
    let report = project.path().join("reports/junit.xml");
    project
        .shakedown()
        .args(["run", "--junit"])
        .args([&report])
        .run()
        .expect_code(1)
        .expect_stdout("JUnit report: ");
    validate_junit(&report);
    let xml = std::fs::read_to_string(&report).expect("report written");
    assert!(
        xml.contains("<testsuite name=\"Odd text\" tests=\"3\" errors=\"0\" failures=\"2\""),
        "{xml}"
    );
    assert!(
        xml.contains("name=\"rows are told apart (page=/, status=200)\""),
        "{xml}"
    );
    assert!(
        xml.contains("name=\"rows are told apart (page=/no-such-page/, status=200)\""),
        "{xml}"
    );
    assert!(xml.contains("classname=\"Odd text\""), "{xml}");
    assert!(
        xml.contains("(features/odd.feature:4)"),
        "failure without its location:\n{xml}"
    );
    assert!(xml.contains("expected status 200, got 404 Not Found"), "{xml}");
    assert!(
        xml.contains("]]&gt;"),
        "the CDATA end was not kept as text:\n{xml}"
    );
    assert!(
        !xml.contains('\u{1b}') && !xml.contains('\u{0}'),
        "raw control characters in the report"
    );
}

#[test]
fn control_characters_from_any_source_leave_the_report_well_formed() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file(
        "features/controls.feature",
        "Feature: Controls \u{1b}[2J everywhere\n  Scenario: a name with a bell \u{7} and a form feed \u{c}\n    When I request \"/\"\n    Then the response should contain \"vertical \u{b} tab\"\n\n  Scenario: a command's output\n    Then the command \"printf 'out\\033[31m\\v\\f\\001' >&2; exit 1\" should succeed\n",
    );
    let report = project.path().join("junit.xml");
    project
        .shakedown()
        .args(["run", "--junit"])
        .args([&report])
        .run()
        .expect_code(1);
    validate_junit(&report);
    let xml = std::fs::read_to_string(&report).expect("report written");
    assert!(
        !xml.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')),
        "a raw control character in the report:\n{xml}"
    );
}
