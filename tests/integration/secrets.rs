//! `[secrets]`: values that are not role passwords (an SMTP password a page gives away) are read
//! before anything runs, a missing one stops the run at its line, and a registered secret shows
//! in no output, in any spelling a page, a cut quote or a report's escaping gives it.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;

use crate::support::recording::RecordingServer;
use crate::support::{Outcome, Project, Shakedown};

/// Every character an encoder changes: `&`, `"`, `<`, `/` and a backslash.
const SMTP_PASSWORD: &str = r#"p&ss"w<rd/\x"#;

const SECRETS: &str = "[secrets]\nenv = [\"SMTP_PASSWORD\"]\n";

/// Scenarios whose failures quote the page around each place it shows the password: inside a
/// script as Django's `json_script` writes JSON, inside an attribute as JSON then HTML-escaped,
/// and in the visible text where the body's excerpt is cut in the middle of it.
const FEATURE: &str = r#"Feature: Mail settings
  Scenario: the settings script keeps quiet
    When I request "/settings/"
    Then the response should not contain "smtp"

  Scenario: the settings attribute keeps quiet
    When I request "/settings/"
    Then the response should not contain "mailer"

  Scenario: the settings page greets the user
    When I request "/settings/"
    Then the response should contain "Welcome"
"#;

/// The settings page of a site that gives its SMTP password away three ways.
fn leaky_page() -> String {
    // 230 characters of visible text before the password: the 240-character excerpt of the
    // body ends inside it.
    let padding = "x".repeat(230);
    format!(
        "<!doctype html><html><head>\
         <script>var settings = {{\"smtp\": \"p\\u0026ss\\\"w\\u003Crd/\\\\x\"}};</script></head>\
         <body><div data-settings=\"{{&quot;mailer&quot;: &quot;p&amp;ss\\&quot;w&lt;rd/\\\\x&quot;}}\"></div>\
         <p>{padding}</p><p>p&amp;ss&quot;w&lt;rd/\\x is the password</p></body></html>"
    )
}

fn leaky_site() -> RecordingServer {
    RecordingServer::start(Router::new().route(
        "/settings/",
        get(|| async { ([(CONTENT_TYPE, "text/html; charset=utf-8")], leaky_page()) }),
    ))
}

fn shakedown(project: &Project) -> Shakedown {
    project.shakedown().env("SMTP_PASSWORD", SMTP_PASSWORD).env(
        "XDG_STATE_HOME",
        &project.path().join("state").display().to_string(),
    )
}

/// `text` as HTML writers, JSON encoders, both in turn, `text::quoted` and a URL spell it.
fn spellings(text: &str) -> Vec<String> {
    let html = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let json = |text: &str| {
        let quoted = serde_json::to_string(text).expect("a string");
        quoted[1..quoted.len() - 1].to_owned()
    };
    let django = |text: &str| {
        json(text)
            .replace('&', "\\u0026")
            .replace('<', "\\u003C")
            .replace('>', "\\u003E")
    };
    let url: String = text
        .bytes()
        .map(|byte| match byte.is_ascii_alphanumeric() {
            true => char::from(byte).to_string(),
            false => format!("%{byte:02X}"),
        })
        .collect();
    vec![
        text.to_owned(),
        html(text),
        json(text),
        django(text),
        html(&json(text)),
        json(&html(text)),
        json(&django(text)),
        text.replace('"', "\\\""),
        url,
    ]
}

/// Fails when `output` shows the password, or its first or last part, in any spelling.
#[track_caller]
fn assert_hidden(what: &str, output: &str) {
    for part in [SMTP_PASSWORD, r#"p&ss"w"#, r#"w<rd/\x"#] {
        for spelling in spellings(part) {
            assert!(
                !output.contains(&spelling),
                "{what} shows the SMTP password (part {part:?}) as {spelling:?}:\n{output}"
            );
        }
    }
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

fn assert_outputs_hidden(project: &Project, outcome: &Outcome) {
    assert_hidden("stdout", &outcome.stdout);
    assert_hidden("stderr", &outcome.stderr);
    assert_hidden(
        "the audit log",
        &read(&project.path().join("state/shakedown/audit.jsonl")),
    );
}

#[test]
fn a_registered_secret_a_page_shows_is_masked_in_every_output_and_spelling() {
    let site = leaky_site();
    let project = Project::new(&site.url, SECRETS);
    project.file("features/settings.feature", FEATURE);

    let outcome = shakedown(&project)
        .args([
            "run",
            "--junit",
            "reports/junit.xml",
            "--json",
            "reports/cucumber.json",
            "--html",
            "reports/report.html",
        ])
        .run();
    outcome.expect_code(1).expect_stdout("[redacted]");
    assert_outputs_hidden(&project, &outcome);
    for report in ["junit.xml", "cucumber.json", "report.html"] {
        let text = read(&project.path().join("reports").join(report));
        assert!(text.contains("[redacted]"), "{report} quotes the page:\n{text}");
        assert_hidden(report, &text);
    }

    let nagios = shakedown(&project).args(["run", "--format", "nagios"]).run();
    nagios.expect_code(2);
    assert_outputs_hidden(&project, &nagios);
}

#[test]
fn a_page_that_shows_a_registered_secret_fails_its_content_check_naming_the_secret_not_its_value() {
    let site = leaky_site();
    let project = Project::new(&site.url, SECRETS);
    project.file(
        "features/content.feature",
        r#"Feature: No secret on a page
  Scenario: the settings page
    When I request "/settings/"
    Then the page should contain no forbidden content

  Scenario: the crawl
    Then no page reachable from "/settings/" should contain forbidden content
"#,
    );
    let outcome = shakedown(&project).args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout("2 failed")
        .expect_stdout("[registered-secret] the page shows SMTP_PASSWORD (not quoted: it is a secret)");
    assert_outputs_hidden(&project, &outcome);
}

#[test]
fn a_secret_that_cannot_be_read_stops_the_run_at_its_line_before_any_request() {
    let site = leaky_site();
    let project = Project::new(
        &site.url,
        "[secrets]\nenv = [\"SMTP_PASSWORD\", \"SHAKEDOWN_TEST_SURELY_UNSET\"]\n",
    );
    project.file("features/settings.feature", FEATURE);
    shakedown(&project)
        .args(["run"])
        .run()
        .expect_code(2)
        .expect_stderr("shakedown.toml:4:25: `secrets.env`: `SHAKEDOWN_TEST_SURELY_UNSET` is not set")
        .expect_no_panic();

    let failing = Project::new(
        &site.url,
        "[secrets]\ncommands = [\"echo token=abc$((100 + 23)) >&2; exit 3\"]\n",
    );
    failing.file("features/settings.feature", FEATURE);
    let outcome = shakedown(&failing).args(["run"]).run();
    outcome
        .expect_code(2)
        .expect_stderr("`secrets.commands`: the command failed with exit status 3");
    assert!(!outcome.stderr.contains("abc123"), "{}", outcome.stderr);

    // `baseline record` reads the servers' crontabs and checks into a file: it resolves the
    // secrets first like `run`.
    shakedown(&project)
        .args(["baseline", "record", "--out", "baseline.json"])
        .run()
        .expect_code(2)
        .expect_stderr("`SHAKEDOWN_TEST_SURELY_UNSET` is not set");
    assert!(!project.path().join("baseline.json").exists());
    assert_eq!(site.request_lines(), Vec::<String>::new());

    // `check` touches no site and prints nothing of one: it runs where the secrets are not.
    shakedown(&project).args(["check"]).run().expect_code(0);
}

#[test]
fn an_empty_secret_is_skipped_and_a_short_one_masked_each_with_a_warning() {
    let site = leaky_site();
    let project = Project::new(
        &site.url,
        "[secrets]\nenv = [\"SMTP_PASSWORD\", \"SHAKEDOWN_EMPTY_SECRET\", \"SHAKEDOWN_SHORT_SECRET\"]\n",
    );
    project.file("features/settings.feature", FEATURE);
    let outcome = shakedown(&project)
        .env("SHAKEDOWN_EMPTY_SECRET", "")
        .env("SHAKEDOWN_SHORT_SECRET", "zq7")
        .args(["run", "--quiet"])
        .run();
    outcome
        .expect_code(1)
        .expect_stderr("`secrets.env`: `SHAKEDOWN_EMPTY_SECRET` is empty, so there is nothing to mask")
        .expect_stderr("`secrets.env`: `SHAKEDOWN_SHORT_SECRET` is 3 character(s) long");
    // Masking the empty string would have masked everything.
    outcome.expect_stdout("Welcome");
}

#[test]
fn a_registered_secret_in_a_crontab_line_never_reaches_the_baseline_file() {
    let project = Project::new("http://127.0.0.1:9/", SECRETS);
    let crontab_line = format!("* * * * * root curl -u mailer:'{SMTP_PASSWORD}' https://mail.example.com/");
    project.file("cron.d/mailer", &format!("{crontab_line}\n"));
    project.file(
        "shakedown.toml",
        &format!(
            "[environments.test]\nbase_url = \"http://127.0.0.1:9/\"\n{SECRETS}\
             [baseline]\ncrontabs = [\"{}\"]\nuser_crontab = false\napache_dir = \"{}\"\n",
            project.path().join("cron.d").display(),
            project.path().join("apache2").display()
        ),
    );
    let outcome = shakedown(&project)
        .args(["baseline", "record", "--out", "baseline.json"])
        .run();
    outcome.expect_code(0);
    assert_hidden("stdout", &outcome.stdout);
    assert_hidden("stderr", &outcome.stderr);
    let baseline = read(&project.path().join("baseline.json"));
    assert!(
        baseline.contains("curl -u mailer:'[redacted]'"),
        "the crontab line is recorded, masked:\n{baseline}"
    );
    assert_hidden("the baseline", &baseline);
}

#[test]
fn commands_a_step_starts_do_not_inherit_a_secrets_variable() {
    let site = RecordingServer::start(Router::new());
    let project = Project::new(&site.url, SECRETS);
    project.file(
        "features/env.feature",
        "Feature: Environment\n  Scenario: through a shell\n    Then the command \"env | grep -c SMTP_PASSWORD || true\" should succeed\n    And its output should contain \"0\"\n",
    );
    shakedown(&project)
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("1 passed, 0 failed");
}
