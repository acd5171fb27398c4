//! Safety on a live site, each promise tried against real local servers: credentials reach no
//! other origin, password sources stay bounded and quiet, read-only covers the browser and
//! commands, the crawl follows no destructive link, and a server error never passes quietly.
//! "Nothing reached it" is read from a second server's own log of what it received.

use axum::Router;
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::support::recording::RecordingServer;
use crate::support::{Outcome, Project};

const PASSWORD: &str = "s3cret-clerk-pw";

const CLERK: &str = r#"
[login]
path = "/accounts/login/"

[roles.clerk]
username = "clerk"
password_env = "SAFETY_CLERK_PASSWORD"
"#;

const LOGGED_IN: &str = "Feature: Login\n  Scenario: clerk\n    Given I am logged in as \"clerk\"\n    When I request \"/\"\n";

fn login_form(action: &str) -> Html<String> {
    Html(format!(
        r#"<form method="post" action="{action}"><input name="username"><input type="password" name="password"><button>Log in</button></form>"#
    ))
}

/// Logs the clerk in on `site` with `extra` configuration; returns what the run printed.
fn log_in(site: &RecordingServer, extra: &str) -> Outcome {
    let project = Project::new(&site.url, &format!("{CLERK}{extra}"));
    project.file("features/login.feature", LOGGED_IN);
    project
        .shakedown()
        .env("SAFETY_CLERK_PASSWORD", PASSWORD)
        .args(["run"])
        .run()
}

/// Whether any request `server` received carried the password.
fn saw_password(server: &RecordingServer) -> bool {
    server
        .received()
        .iter()
        .any(|received| received.body.contains(PASSWORD) || received.target.contains(PASSWORD))
}

#[test]
fn credentials_are_sent_to_no_other_origin_than_the_sites_unless_configured() {
    let elsewhere = RecordingServer::start(
        Router::new()
            .route("/accounts/login/", get(|| async { login_form("/steal") }))
            .route("/steal", axum::routing::post(|| async { "Welcome, clerk" })),
    );
    let foreign = elsewhere.url.clone();
    let refusals = [
        (
            "a form whose action is another origin",
            Router::new().route(
                "/accounts/login/",
                get({
                    let action = format!("{foreign}/steal");
                    move || async move { login_form(&action) }
                }),
            ),
        ),
        (
            "a login page redirected to another origin",
            Router::new().route(
                "/accounts/login/",
                get({
                    let to = format!("{foreign}/accounts/login/");
                    move || async move { (StatusCode::FOUND, [(LOCATION, to)]) }
                }),
            ),
        ),
        (
            "a login post answered with a 307 to another origin",
            Router::new().route(
                "/accounts/login/",
                get(|| async { login_form("/accounts/login/") }).post({
                    let to = format!("{foreign}/steal");
                    move || async move { (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, to)]) }
                }),
            ),
        ),
    ];
    for (case, routes) in refusals {
        let site = RecordingServer::start(routes);
        let outcome = log_in(&site, "");
        outcome.expect_code(1).expect_stdout(&foreign).expect_stdout(&site.url);
        assert!(
            outcome.stdout.contains("login.allowed_origins"),
            "{case}: the failure does not say how to allow the origin:\n{}",
            outcome.stdout
        );
        assert!(
            !saw_password(&elsewhere),
            "{case}: the other origin received the password: {:?}",
            elsewhere.received()
        );
        assert!(
            !elsewhere.request_lines().iter().any(|line| line.starts_with("POST")),
            "{case}: the other origin received a post: {:?}",
            elsewhere.request_lines()
        );
    }

    let site = RecordingServer::start(Router::new().route(
        "/accounts/login/",
        get({
            let action = format!("{foreign}/steal");
            move || async move { login_form(&action) }
        }),
    ));
    log_in(&site, &format!("allowed_origins = [\"{foreign}\"]\n")).expect_code(0);
    assert!(saw_password(&elsewhere), "{:?}", elsewhere.received());
}
