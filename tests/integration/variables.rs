//! `${NAME}` in the features: values from `--var`, `SHAKEDOWN_VAR_NAME` and the environment's
//! `vars` (in that order of precedence), replaced in step lines, tables and doc strings before
//! anything runs; an unknown name stopping `check` and `run` at its line; outline placeholders
//! left to mean what they meant; secret variables shown in no output.

use axum::Router;
use axum::extract::Query;
use axum::routing::get;

use crate::support::recording::RecordingServer;
use crate::support::{Project, REPORTS, assert_no_output_shows};

/// A site that reports release 2026.12.1 and echoes the query string it was asked with.
fn release_site() -> RecordingServer {
    RecordingServer::start(
        Router::new()
            .route(
                "/version",
                get(|| async { axum::Json(serde_json::json!({"version": "2026.12.1"})) }),
            )
            .route(
                "/echo",
                get(|Query(query): Query<Vec<(String, String)>>| async move { format!("{query:?}") }),
            ),
    )
}

const RELEASE_FEATURE: &str = r#"Feature: The release
  Scenario: the site serves the release that was deployed
    When I request "/version"
    Then the response JSON at "$.version" should be "${release}"
"#;

#[test]
fn the_command_line_value_wins_over_the_environment_variable_which_wins_over_the_file() {
    let site = release_site();
    let project = Project::new(&site.url, "[environments.test.vars]\nrelease = \"2026.11.2\"\n");
    project.file("features/release.feature", RELEASE_FEATURE);

    let from_everywhere = project
        .shakedown()
        .env("SHAKEDOWN_VAR_release", "2026.10.9")
        .args([
            "run",
            "--var",
            "release=2026.12.1",
            "--json",
            "reports/cucumber.json",
        ])
        .run();
    from_everywhere.expect_code(0);
    // Reports show the step as it ran, with the value in place.
    let report = std::fs::read_to_string(project.path().join("reports/cucumber.json")).expect("report");
    assert!(
        report.contains(r#"should be \"2026.12.1\""#),
        "the report does not show the value used:\n{report}"
    );

    project
        .shakedown()
        .env("SHAKEDOWN_VAR_release", "2026.10.9")
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("2026.10.9");
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("2026.11.2");
}

#[test]
fn an_unknown_variable_stops_check_and_run_at_its_line_with_a_suggestion_before_any_request() {
    let site = release_site();
    let project = Project::new(&site.url, "[environments.test.vars]\nrelease = \"2026.12.1\"\n");
    project.file(
        "features/release.feature",
        &RELEASE_FEATURE.replace("${release}", "${relase}"),
    );
    for command in ["check", "run"] {
        project
            .shakedown()
            .args([command])
            .run()
            .expect_code(2)
            .expect_stderr("features/release.feature:4:")
            .expect_stderr("`${relase}` has no value; did you mean `${release}`?")
            .expect_stderr("--var relase=VALUE")
            .expect_no_panic();
    }
    assert!(site.received().is_empty(), "{:?}", site.request_lines());

    // Shell text that names no variable stays as written; a shell variable by its plain name
    // is written `$${HOME}`.
    project.file(
        "features/release.feature",
        "Feature: F\n  Scenario: s\n    When I request \"/echo?a=${X:-y}&b=$${HOME}&c=${release}\"\n",
    );
    project.shakedown().args(["run"]).run().expect_code(0);
    assert_eq!(
        site.received().last().map(|request| request.target.clone()),
        Some("/echo?a=${X:-y}&b=${HOME}&c=2026.12.1".to_owned())
    );
}

#[test]
fn check_knows_the_variables_of_every_environment_and_of_the_command_line() {
    let project = Project::new(
        "http://127.0.0.1:9",
        "[environments.live]\nbase_url = \"http://127.0.0.1:9\"\n[environments.live.vars]\nrelease = \"1\"\n[environments.live.vars.secret]\ntoken_command = \"exit 1\"\n",
    );
    project.file(
        "features/a.feature",
        "Feature: F\n  Scenario: s\n    When I request \"/${release}?t=${token}&b=${build}\"\n",
    );
    // The secret's command is not run by `check`, which touches nothing.
    project
        .shakedown()
        .args(["check", "--var", "build=7"])
        .run()
        .expect_code(0);
    project
        .shakedown()
        .args(["check"])
        .run()
        .expect_code(2)
        .expect_stderr("`${build}` has no value");
}

#[test]
fn outline_placeholders_variables_and_escaped_dollars_do_not_collide() {
    let site = release_site();
    let project = Project::new(
        &site.url,
        "[environments.test.vars]\nrelease = \"2026.12.1\"\nchannel = \"stable\"\n",
    );
    project.file(
        "features/outline.feature",
        r#"Feature: Placeholders
  Scenario Outline: <name>
    When I request "/echo?release=${release}&<key>=${<key>}&literal=$${<key>}&cell=<cell>"
    Then the response status should be 200

    Examples:
      | name  | key     | cell       |
      | first | channel | ${release} |
"#,
    );
    project.shakedown().args(["run"]).run().expect_code(0);
    let asked: Vec<String> = site
        .received()
        .into_iter()
        .map(|request| request.target)
        .collect();
    assert_eq!(
        asked,
        ["/echo?release=2026.12.1&channel=stable&literal=${channel}&cell=2026.12.1"],
        "the placeholder fills in first, then the variable"
    );
}

/// `text` as the reports could spell it: as is, HTML-escaped, JSON-escaped, percent-encoded.
fn spellings(text: &str) -> Vec<String> {
    let html = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;");
    let json = serde_json::to_string(text).expect("a string");
    let url: String = text
        .bytes()
        .map(|byte| match byte.is_ascii_alphanumeric() {
            true => char::from(byte).to_string(),
            false => format!("%{byte:02X}"),
        })
        .collect();
    vec![text.to_owned(), html, json[1..json.len() - 1].to_owned(), url]
}

#[test]
fn a_secret_variable_is_used_as_written_but_shows_in_no_output_in_any_spelling() {
    const WRITTEN: &str = r#"s3cr&t"tok<en"#;
    const KEPT: &str = "deploy-key-4711-kept";
    let site = release_site();
    let project = Project::new(
        &site.url,
        "[environments.test.vars.secret]\napi_token = 's3cr&t\"tok<en'\ndeploy_key_env = \"DEPLOY_KEY\"\n",
    );
    project.file(
        "features/secret.feature",
        // The value holds a `"`: the step quotes it with `'`.
        r#"Feature: Secrets
  Scenario: the secrets reach the site but no report
    When I request "/echo?key=${deploy_key}"
    Then the response should contain '${api_token}'
"#,
    );
    let outcome = project
        .shakedown()
        .env("DEPLOY_KEY", KEPT)
        .env(
            "XDG_STATE_HOME",
            &project.path().join("state").display().to_string(),
        )
        .args(["run"])
        .args(REPORTS)
        .run();
    outcome.expect_code(1).expect_stdout("[redacted]");
    let secrets: Vec<String> = [WRITTEN, KEPT]
        .iter()
        .flat_map(|secret| spellings(secret))
        .collect();
    assert_no_output_shows(&project, &outcome, &secrets);
    let asked = site.received();
    assert_eq!(
        asked.first().map(|request| request.target.as_str()),
        Some(format!("/echo?key={KEPT}").as_str()),
        "the site is asked with the value itself"
    );
}
