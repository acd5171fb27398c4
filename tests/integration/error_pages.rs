//! A pass means the site is fine, in every phrase: each check that proves text absent (HTTP,
//! page content, the access phrases, the browser) fails on a server error and says it could not
//! tell; a single access cell never claims a leak it did not see; a browser visit of an error
//! page fails at once instead of leaving the next step to wait out its timeout; a browser that
//! cannot load a page or lost its driver says so, without a word of installing anything.

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;

use crate::browser::browser_turn;
use crate::support::Project;
use crate::support::recording::RecordingServer;

/// A site whose `/about` and `/admin` pages fail with a 500 that shows none of the texts the
/// features look for, beside a healthy home page that links to `/about`.
fn failing_site() -> RecordingServer {
    let error_page = || async {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Html("<html><body><h1>Server Error (500)</h1></body></html>"),
        )
    };
    RecordingServer::start(
        Router::new()
            .route(
                "/",
                get(|| async { Html("<html><body><h1>Home</h1><a href='/about'>About</a></body></html>") }),
            )
            .route("/about", get(error_page))
            .route("/admin", get(error_page)),
    )
}

#[test]
fn every_check_that_proves_absence_fails_on_an_error_page() {
    let site = failing_site();
    let project = Project::new(&site.url, "[limits]\nstep_timeout = \"5s\"\n");
    project.file(
        "features/absence.feature",
        r#"Feature: Absence on an error page
  Scenario: the response
    When I request "/about"
    Then the response should not contain "Secret"
    And the response status should be 200

  Scenario: forbidden content on the page
    When I request "/about"
    Then the page should contain no forbidden content
    And the response status should be 200

  Scenario: extra strings on the page
    When I request "/about"
    Then the page should not contain any of:
      | Secret |
    And the response status should be 200

  Scenario: a role's view of a page
    Then "anonymous" should not see "Secret" on "/about"

  Scenario: the error page itself is under test
    When I request "/about"
    Then the response status should be 500
    And the response should not contain "Traceback"
"#,
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout("4 failed")
        .expect_stdout("1 passed")
        .expect_stdout(
            "cannot tell: `GET /about` answered 500 Internal Server Error, and an error page proves nothing about what the page shows",
        )
        .expect_stdout("whether `anonymous` sees \"Secret\" on /about is unknown: cannot tell: `GET /about` answered 500");
    let cannot_tell = outcome
        .stdout
        .matches("cannot tell: `GET /about` answered 500")
        .count();
    assert!(
        cannot_tell >= 4,
        "each absence check says it could not tell ({cannot_tell} times):\n{}",
        outcome.stdout
    );
}

#[test]
fn a_single_access_cell_says_unknown_instead_of_claiming_a_leak() {
    let site = failing_site();
    let project = Project::new(
        &site.url,
        r#"
[login]
path = "/accounts/login/"

[roles.reporter]
username = "reporter"
password_env = "REPORTER_PASSWORD_NOBODY_SET"
"#,
    );
    project.file(
        "features/cells.feature",
        r#"Feature: Single cells
  Scenario: an error page
    Then the role "anonymous" should not have access to "/admin"

  Scenario: an error page, the other way
    Then the role "anonymous" should have access to "/admin"

  Scenario: the matrix
    Then the access matrix should hold:
      | path   | anonymous | reporter |
      | /      | allowed   | allowed  |
      | /admin | denied    | denied   |
"#,
    );
    project.file(
        "features/login.feature",
        r#"Feature: A role that cannot log in
  Scenario: a role that cannot log in
    Then the role "reporter" should not have access to "/admin"
"#,
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout("/admin answered 500 Internal Server Error for `anonymous`; access unknown")
        .expect_stdout("`reporter` could not log in (the password of role `reporter` could not be read")
        .expect_stdout("whether `reporter` can open /admin is unknown")
        .expect_stdout("the access matrix could not be checked: 3 of 4 cells could not be told")
        .expect_no_panic();
    assert!(
        !outcome.stdout.contains("which it should not"),
        "a cell claimed a leak it did not see:\n{}",
        outcome.stdout
    );
    assert!(
        !outcome.stdout.contains("has no access to"),
        "a cell claimed a denial it did not see:\n{}",
        outcome.stdout
    );
    let nagios = project
        .shakedown()
        .args(["run", "--format", "nagios", "features/login.feature"])
        .run();
    nagios.expect_code(3).expect_stdout("SHAKEDOWN UNKNOWN");
}

#[test]
fn a_browser_visit_of_an_error_page_fails_at_once_and_proves_no_absence() {
    let site = failing_site();
    let project = Project::new(&site.url, "[limits]\nstep_timeout = \"20s\"\n");
    project.file(
        "features/browser.feature",
        r#"Feature: Error pages in the browser
  Scenario: a visit
    When I visit "/about"
    Then I should see "About us"

  Scenario: a click onto an error page
    When I visit "/"
    And I click "About"
    Then I should not see "Secret"
"#,
    );
    let _turn = browser_turn();
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout("2 failed")
        .expect_stdout(&format!(
            "{}/about could not be visited: the page answered 500 Internal Server Error",
            site.url
        ))
        .expect_stdout("cannot tell: the page answered 500 Internal Server Error");
    assert!(
        outcome.took < Duration::from_secs(15),
        "an error page must fail at once, not after the step timeout: {:?}",
        outcome.took
    );
}

/// Install hints and empty driver messages: what a browser failure with another cause must not say.
#[track_caller]
fn assert_real_cause(stdout: &str) {
    for misleading in ["apt-get install", "DevTools", "Unknown error:"] {
        assert!(
            !stdout.contains(misleading),
            "a browser failure says {misleading:?} for another cause:\n{stdout}"
        );
    }
}

#[test]
fn browser_failures_name_their_real_cause() {
    let site = failing_site();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a port")
        .port();
    let project = Project::new(
        &site.url,
        "[limits]\nstep_timeout = \"10s\"\n[browser]\nsessions = 1\n",
    );
    project.file(
        "features/refused.feature",
        &format!(
            "Feature: A refused page\n  Scenario: nothing listens\n    When I visit \"http://127.0.0.1:{closed}/\"\n"
        ),
    );
    project.file(
        "features/killed.feature",
        r#"Feature: A driver killed from outside
  Scenario: under a scenario
    When I visit "/"
    And the command "pkill -KILL -P $PPID -x chromedriver" should succeed
    And I visit "/"

  Scenario: after it
    When I visit "/"
"#,
    );
    let _turn = browser_turn();
    let refused = project
        .shakedown()
        .args(["run", "features/refused.feature"])
        .run();
    refused.expect_code(1).expect_stdout(&format!(
        "the browser could not load http://127.0.0.1:{closed}/: the server refused the connection: nothing listens there (net::ERR_CONNECTION_REFUSED)"
    ));
    assert_real_cause(&refused.stdout);
    let killed = project
        .shakedown()
        .args(["run", "-j", "1", "features/killed.feature"])
        .run();
    killed
        .expect_code(1)
        .expect_stdout("2 failed")
        .expect_stdout("the WebDriver stopped answering while the browser tried to")
        .expect_stdout("the browser did not start: chromedriver is no longer running: it was killed by signal 9 (SIGKILL)");
    assert_real_cause(&killed.stdout);
}
