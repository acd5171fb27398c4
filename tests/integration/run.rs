//! `shakedown run` against the demo site served by the binary: the HTTP steps end to end,
//! selection by tags, fail-fast, read-only environments and bounded time.

use crate::support::{DemoSite, Project, Shakedown, obeyed_by_a_terminal};

const HEALTH: &str = r#"@preflight
Feature: Health
  Scenario: healthy
    When I request "/api/health"
    Then the response status should be 200
    And the response header "content-type" should contain "json"
    And the response JSON at "$.status" should be "ok"
    And the response should arrive within 2000 ms
"#;

#[test]
fn http_steps_pass_against_the_healthy_site() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file("features/health.feature", HEALTH);
    project.file(
        "features/pages.feature",
        r#"@post-install
Feature: Pages
  Scenario Outline: private pages ask for a login
    Given I am not logged in
    When I request "<page>"
    Then the response should redirect to "/accounts/login/"
    And the response status should be 200
    And the response should contain "Log in"
    Examples:
      | page        |
      | /dashboard/ |
      | /reports/   |
"#,
    );
    project
        .shakedown()
        .args(["run", "--env", "test"])
        .run()
        .expect_code(0)
        .expect_stdout("3 passed, 0 failed");
}

#[test]
fn a_closed_pipe_ends_a_command_quietly_with_its_own_exit_code() {
    Shakedown::new()
        .args(["steps"])
        .stdout_closed()
        .run()
        .expect_code(0)
        .expect_no_panic();
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file("features/health.feature", HEALTH);
    let broken = project.file(
        "features/broken.feature",
        "Feature: Broken\n  Scenario: missing\n    When I request \"/nowhere\"\n    Then the response status should be 200\n",
    );
    let outcome = project
        .shakedown()
        .args(["run", "--junit", "junit.xml"])
        .stdout_closed()
        .run();
    outcome.expect_code(1).expect_no_panic();
    assert!(outcome.stderr.is_empty(), "{}", outcome.stderr);
    let junit =
        std::fs::read_to_string(project.path().join("junit.xml")).expect("the JUnit report is written");
    assert_eq!(junit.matches("<testcase ").count(), 2, "{junit}");
    std::fs::remove_file(broken).expect("remove");
    project
        .shakedown()
        .args(["run", "--format", "nagios"])
        .stdout_closed()
        .run()
        .expect_code(0);
}

#[test]
fn tags_select_scenarios_and_an_empty_selection_exits_3() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file("features/health.feature", HEALTH);
    project
        .shakedown()
        .args(["run", "--tags", "@preflight and not @slow"])
        .run()
        .expect_code(0);
    project
        .shakedown()
        .args(["run", "--tags", "@post-install"])
        .run()
        .expect_code(3)
        .expect_stderr("no scenario matches the selection");
    assert_eq!(site.requests(), 1, "only the selected scenario sent a request");
}

#[test]
fn fail_fast_stops_at_the_first_failing_scenario() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    let failing = |name: &str| {
        format!(
            "  Scenario: {name}\n    When I request \"/no-such-page/\"\n    Then the response status should be 200\n"
        )
    };
    project.file(
        "features/broken.feature",
        &format!(
            "Feature: Broken\n{}{}{}",
            failing("first"),
            failing("second"),
            failing("third")
        ),
    );
    project
        .shakedown()
        .args(["run", "--fail-fast", "--concurrency", "1"])
        .run()
        .expect_code(1)
        .expect_stdout("0 passed, 1 failed, 2 not run (--fail-fast)");
}

#[test]
fn a_read_only_environment_refuses_mutating_requests_before_sending() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "read_only = true\n");
    project.file(
        "features/post.feature",
        "Feature: Post\n  Scenario: post\n    When I send a POST request to \"/accounts/login/\"\n      \"\"\"\n      username=clerk\n      \"\"\"\n",
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("refused to send POST")
        .expect_stdout("the environment `test` is read-only");
    assert_eq!(site.requests(), 0, "the refused request reached the site");
}

#[test]
fn a_sent_form_body_reaches_the_site() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file(
        "features/post.feature",
        "Feature: Post\n  Scenario: a login post without its CSRF token is refused\n    When I send a POST request to \"/accounts/login/\"\n      \"\"\"\n      username=clerk&password=wrong\n      \"\"\"\n    Then the response status should be 403\n    And the response should contain \"CSRF verification failed\"\n",
    );
    project.shakedown().args(["run"]).run().expect_code(0);
}

#[test]
fn a_hung_server_fails_its_step_within_the_step_timeout() {
    let site = DemoSite::start(&["hang"]);
    let project = Project::new(&site.url, "[limits]\nstep_timeout = \"2s\"\n");
    project.file("features/health.feature", HEALTH);
    project.file(
        "features/home.feature",
        "Feature: Home\n  Scenario: home\n    When I request \"/\"\n    Then the response status should be 200\n",
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout("no complete answer within 2s (`limits.step_timeout`)")
        .expect_stdout("features/health.feature:4")
        .expect_stdout("1 passed, 1 failed");
    let seconds = outcome.took.as_secs_f64();
    assert!(
        (1.5..8.0).contains(&seconds),
        "took {seconds:.1}s for a 2s step timeout"
    );
}

#[test]
fn base_url_overrides_the_environment() {
    let site = DemoSite::start(&[]);
    let project = Project::new("http://127.0.0.1:9", "");
    project.file("features/health.feature", HEALTH);
    project
        .shakedown()
        .args(["run", "--base-url", &site.url])
        .run()
        .expect_code(0);
}

#[test]
fn an_unreachable_server_fails_with_the_reason() {
    let project = Project::new("http://127.0.0.1:9", "");
    project.file("features/health.feature", HEALTH);
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("the request could not be completed")
        .expect_stdout("GET http://127.0.0.1:9/api/health")
        .expect_no_panic();
}

#[test]
fn shakedown_env_selects_the_environment() {
    let site = DemoSite::start(&[]);
    let project = Project::new(
        &site.url,
        "[environments.live]\nbase_url = \"http://127.0.0.1:9\"\n",
    );
    project.file("features/health.feature", HEALTH);
    project
        .shakedown()
        .env("SHAKEDOWN_ENV", "test")
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("against `test`");
}

#[test]
fn control_characters_from_any_source_are_shown_not_obeyed() {
    use axum::Router;
    use axum::routing::get;

    let site = crate::support::recording::RecordingServer::start(Router::new().route(
        "/",
        get(|| async { "title \u{1b}]0;owned\u{7} \u{9b}2J \u{202a}\u{202b}\u{202c}\u{202d}\u{202e}reversed \u{2066}\u{2067}\u{2068}\u{2069}\u{b}\u{c}\r\u{8} end" }),
    ));
    let project = Project::new(&site.url, "");
    project.file(
        "features/controls.feature",
        "Feature: Controls\n  Scenario: a name with \u{1b}[2J and \u{202e}\n    When I request \"/\"\n    Then the response should contain \"nowhere\"\n",
    );
    let state = tempfile::tempdir().expect("temp dir");
    let state = state.path().display().to_string();
    for format in ["human", "nagios"] {
        let outcome = project
            .shakedown()
            .env("XDG_STATE_HOME", &state)
            .args(["run", "--format", format])
            .run();
        assert_ne!(outcome.code, 0);
        for (stream, text) in [("stdout", &outcome.stdout), ("stderr", &outcome.stderr)] {
            assert_eq!(
                obeyed_by_a_terminal(text),
                None,
                "{format} {stream} carries a character the terminal would obey:\n{text:?}"
            );
        }
    }
    let audit = project
        .shakedown()
        .env("XDG_STATE_HOME", &state)
        .args(["audit"])
        .run();
    audit.expect_code(0);
    assert_eq!(obeyed_by_a_terminal(&audit.stdout), None, "{:?}", audit.stdout);
    let json = project
        .shakedown()
        .env("XDG_STATE_HOME", &state)
        .args(["audit", "--json"])
        .run();
    json.expect_code(0);
    assert_eq!(obeyed_by_a_terminal(&json.stdout), None, "{:?}", json.stdout);
    serde_json::from_str::<serde_json::Value>(&json.stdout).expect("the audit records stay JSON");
}
