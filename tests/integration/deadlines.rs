//! One deadline per step: a step that makes several calls (a login's page and post, a matrix's
//! login and cells, a crawl's pages, a WSGI interpreter, a Nagios plugin) ends at its step
//! timeout, not after a multiple of it. The site answers every request slowly, so each call
//! alone would fit in the limit and only their sum runs over it.

use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::get;
use indoc::indoc;

use crate::support::Project;
use crate::support::recording::RecordingServer;

/// What each answer of the slow site takes: under the 2 s step timeout, over half of it.
const SLOW: Duration = Duration::from_millis(1200);
const STEP_TIMEOUT: &str = "2s";
/// The whole process may take the step timeout plus start-up and a loaded machine's slack:
/// less than twice the timeout, which is what two calls with a fresh limit each would take.
const BOUND: Duration = Duration::from_millis(3800);

fn slow_site() -> RecordingServer {
    RecordingServer::start(
        Router::new()
            .route(
                "/login",
                get(|| async {
                    tokio::time::sleep(SLOW).await;
                    Html(r#"<form method="post" action="/login"><input name="username"><input type="password" name="password"></form>"#)
                })
                .post(|| async {
                    tokio::time::sleep(SLOW).await;
                    ([("set-cookie", "session=abcdefghijkl; Path=/")], Redirect::to("/fast")).into_response()
                }),
            )
            .route("/fast", get(|| async { "fast" }))
            .route(
                "/chain/{page}",
                get(|Path(page): Path<u32>| async move {
                    tokio::time::sleep(Duration::from_millis(700)).await;
                    Html(format!(r#"<p>page {page}</p><a href="/chain/{}">next</a>"#, page + 1))
                }),
            ),
    )
}

fn project(site: &RecordingServer, feature: &str) -> Project {
    let project = Project::new(
        &site.url,
        &format!(
            indoc! {r#"
                [limits]
                step_timeout = "{}"
                scenario_timeout = "60s"

                [login]
                path = "/login"

                [roles.clerk]
                username = "clerk"
                password_env = "DEADLINE_CLERK_PASSWORD"
            "#},
            STEP_TIMEOUT
        ),
    );
    project.file("features/slow.feature", feature);
    project
}

fn run_timed(project: &Project) -> (crate::support::Outcome, Duration) {
    let outcome = project
        .shakedown()
        .env("DEADLINE_CLERK_PASSWORD", "not-a-secret-here")
        .args(["run"])
        .run();
    let took = outcome.took;
    (outcome, took)
}

#[test]
fn a_login_ends_at_its_step_deadline_not_after_its_page_and_its_post() {
    let site = slow_site();
    let project = project(
        &site,
        indoc! {r#"
            Feature: Slow login
              Scenario: Log in
                Given I am logged in as "clerk"
        "#},
    );
    let (outcome, took) = run_timed(&project);
    outcome
        .expect_code(1)
        .expect_stdout("no complete answer within 2s (`limits.step_timeout`)");
    assert!(took < BOUND, "the login took {took:?}");
}

#[test]
fn an_access_matrix_ends_at_its_step_deadline() {
    let site = slow_site();
    let project = project(
        &site,
        indoc! {r#"
            Feature: Slow matrix
              Scenario: Who sees the page
                Then the access matrix should hold:
                  | path  | anonymous | clerk   |
                  | /fast | allowed   | allowed |
        "#},
    );
    let (outcome, took) = run_timed(&project);
    outcome
        .expect_code(1)
        .expect_stdout("within 2s (`limits.step_timeout`)");
    assert!(took < BOUND, "the matrix took {took:?}");
}

#[test]
fn a_crawl_stops_at_its_step_deadline_and_says_how_far_it_got() {
    let site = slow_site();
    let project = project(
        &site,
        indoc! {r#"
            Feature: Slow crawl
              Scenario: Every page
                Then no page reachable from "/chain/0" should contain forbidden content
        "#},
    );
    let (outcome, took) = run_timed(&project);
    outcome
        .expect_code(0)
        .expect_stdout("stopped at the step's deadline, 2s (`limits.step_timeout`)");
    assert!(took < BOUND, "the crawl took {took:?}");
    let pages = site
        .request_lines()
        .iter()
        .filter(|line| line.starts_with("GET /chain/"))
        .count();
    assert!((2..=4).contains(&pages), "{pages} pages fetched");
}

#[test]
fn a_wsgi_interpreter_and_a_nagios_plugin_end_at_the_step_deadline() {
    let site = slow_site();
    let project = project(
        &site,
        indoc! {r#"
            Feature: Slow programs
              Scenario: The application loads
                Then the WSGI file "app.wsgi" should load with the virtualenv "venv"

              Scenario: The plugin answers
                Then the Nagios check "./plugins/check_slowly" should be OK
        "#},
    );
    project.file("app.wsgi", "application = None\n");
    let python = project.file("venv/bin/python", "#!/bin/sh\nsleep 30\n");
    let plugin = project.file("plugins/check_slowly", "#!/bin/sh\nsleep 30\necho OK\n");
    for program in [&python, &plugin] {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(program, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let (outcome, took) = run_timed(&project);
    outcome.expect_code(1);
    let stdout = &outcome.stdout;
    assert_eq!(
        stdout.matches("within 2s (`limits.step_timeout`)").count(),
        2,
        "both steps end at their deadline:\n{stdout}"
    );
    // The two scenarios run at the same time; each ends at its own deadline.
    assert!(took < BOUND, "the run took {took:?}");
}
