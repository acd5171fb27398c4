//! `shakedown check`: every step matched against the library without touching a server.

use crate::support::{Project, Shakedown};

#[test]
fn a_clean_suite_passes_the_check() {
    let project = Project::new("http://127.0.0.1:9", "");
    project.file("features/home.feature", "Feature: Home\n  Scenario: home\n    When I request \"/\"\n    Then the response status should be 200\n");
    project
        .shakedown()
        .args(["check"])
        .run()
        .expect_code(0)
        .expect_stdout("1 feature(s), 1 scenario(s), 2 step(s): every step matches the library");
}

#[test]
fn undefined_steps_are_listed_with_their_place_and_the_closest_phrase() {
    let folder = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(folder.path().join("features")).expect("folder");
    std::fs::write(
        folder.path().join("features/typo.feature"),
        "Feature: Typo\n  Scenario: s\n    When I requst \"/\"\n    Then the response stauts should be 200\n    And the moon should be made of cheese\n",
    )
    .expect("write");
    Shakedown::new()
        .current_dir(folder.path())
        .args(["check"])
        .run()
        .expect_code(1)
        .expect_stdout("features/typo.feature:3: When I requst \"/\"")
        .expect_stdout("did you mean `I request {string}`?")
        .expect_stdout("features/typo.feature:4: Then the response stauts should be 200")
        .expect_stdout(
            "features/typo.feature:5: And the moon should be made of cheese\n      no step matches\n",
        )
        .expect_stdout("3 of 3 step(s) match no phrase");
}

#[test]
fn a_parse_error_is_bad_input() {
    let project = Project::new("http://127.0.0.1:9", "");
    project.file(
        "features/broken.feature",
        "Feature: Broken\n  Scenario: s\n    Given I request \"/\"\n      | a | b |\n      | c |\n",
    );
    project
        .shakedown()
        .args(["check"])
        .run()
        .expect_code(2)
        .expect_stderr("features/broken.feature:")
        .expect_no_panic();
}

#[test]
fn a_misspelt_keyword_is_not_silently_skipped() {
    let project = Project::new("http://127.0.0.1:9", "");
    project.file(
        "features/keyword.feature",
        "Feature: Keyword\n  Scenario: typo in the keyword\n    Whenn I request \"/\"\n    Then the response status should be 200\n\n  Scenario: empty\n",
    );
    project
        .shakedown()
        .args(["check"])
        .run()
        .expect_code(1)
        .expect_stdout("features/keyword.feature:3: Whenn I request \"/\"")
        .expect_stdout("`Whenn` is not a Gherkin keyword, so this line is not run; did you mean `When`?")
        .expect_stdout("features/keyword.feature:6: Scenario: empty\n      the scenario has no steps");
}
