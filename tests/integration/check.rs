//! `shakedown check`: every step matched against the library without touching a server.

use axum::Router;
use axum::routing::get;

use crate::support::recording::RecordingServer;
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
        .expect_stderr("features/keyword.feature:6: Scenario: empty\n      the scenario has no steps");
}

#[test]
fn a_number_out_of_its_range_or_an_address_or_query_that_cannot_parse_is_refused_before_anything_runs() {
    let site = RecordingServer::start(Router::new().route("/", get(|| async { "home" })));
    let project = Project::new(&site.url, "");
    let lines = [
        (
            "the response status should be 999999999999999999999",
            "`999999999999999999999` is out of range for an HTTP status code: write a whole number from 100 to 599",
        ),
        (
            "the response status should be -1",
            "`-1` is out of range for an HTTP status code",
        ),
        (
            "the response status should be 1000",
            "`1000` is out of range for an HTTP status code",
        ),
        (
            "the response should arrive within 0 ms",
            "`0` is out of range for a time in milliseconds",
        ),
        (
            "port 70000 on \"localhost\" should be open",
            "`70000` is out of range for a TCP port: write a whole number from 1 to 65535",
        ),
        (
            "port 0 on \"localhost\" should be closed",
            "`0` is out of range for a TCP port",
        ),
        (
            "the file \"/tmp\" should have changed within 0 minutes",
            "`0` is out of range for a time in minutes",
        ),
        (
            "the TLS certificate of \"localhost\" should be valid for at least -5 days",
            "`-5` is out of range for a number of days",
        ),
        (
            "the TLS certificate of \"bad host:x\" should be valid for at least 5 days",
            "`bad host:x` is not a host or host:port",
        ),
        (
            "the response JSON at \"$[\" should be \"ok\"",
            "`$[` is not a JSONPath expression",
        ),
        (
            "the file \"/tmp\" should have mode \"0999\"",
            "`0999` is not a file mode",
        ),
        ("I send a G(E)T request to \"/\"", "`G(E)T` is not an HTTP method"),
        (
            "I request \"http://[::1\"",
            "`http://[::1` is not a path or URL: invalid IPv6 address",
        ),
        (
            "no page reachable from \"http://127.0.0.1:99999/\" should contain forbidden content",
            "`http://127.0.0.1:99999/` is not a path or URL: invalid port number",
        ),
    ];
    let mut feature = String::from("Feature: Numbers\n  Scenario: out of range\n    When I request \"/\"\n");
    for (step, _) in &lines {
        feature.push_str(&format!("    Then {step}\n"));
    }
    project.file("features/numbers.feature", &feature);
    for command in [["check"].as_slice(), ["run", "--env", "test"].as_slice()] {
        let outcome = project.shakedown().args(command).run();
        outcome.expect_code(2).expect_no_panic();
        for (index, (step, problem)) in lines.iter().enumerate() {
            outcome
                .expect_stderr(&format!("features/numbers.feature:{}: Then {step}", index + 4))
                .expect_stderr(problem);
        }
        assert!(!outcome.stderr.contains("internal error"), "{}", outcome.stderr);
    }
    assert_eq!(site.request_lines(), Vec::<String>::new(), "nothing may run");
}
