//! `[secrets]`: values that are not role passwords (an SMTP password a page gives away) are read
//! before anything runs, a missing one stops the run at its line, and a registered secret shows
//! in no output, in any spelling a page, display, a cut quote or a report's escaping gives it.

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;

use crate::support::recording::RecordingServer;
use crate::support::{Outcome, Project, REPORTS, Shakedown};

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

    let outcome = shakedown(&project).args(["run"]).args(REPORTS).run();
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

/// A password none of whose 6-character pieces shakedown prints otherwise.
const DISPLAYED_PASSWORD: &str = "Zq8&vX3-Kp9&wY4-Lm7";

/// The password as pages split or spell it in their markup: whitespace runs, tabs and line
/// breaks that display collapses, a tag, zero-width characters, soft hyphens (as characters and
/// as `&shy;`), and `&amp;` written literally, so a reader sees `&amp;` for its `&`.
const DISPLAYED_FORMS: &[&str] = &[
    "Zq8&amp;vX3-  Kp9&amp;wY4  -Lm7",
    "Zq8&amp;vX3-\tKp9&amp;wY4-\t\tLm7",
    "Zq8&amp;vX3-\n\nKp9&amp;wY4-\r\nLm7",
    "Zq8&amp;vX3-<b>Kp9</b>&amp;wY4-Lm7",
    "Zq8&amp;vX3-\u{200b}Kp9&amp;wY4-\u{feff}L\u{2060}m7",
    "Zq8&amp;vX3-\u{ad}Kp9&amp;wY4-&shy;Lm7",
    "Zq8&amp;amp;vX3-Kp9&amp;amp;wY4-Lm7",
];

/// A text showing `form` where the 240-character excerpt of a page ends inside it (after 234
/// characters), then on each side of the word `leaky`, 49 characters away, so a 60-character
/// quote around the word ends inside each.
fn displaying(form: &str) -> String {
    format!(
        "{} {form} {}leaky{} {form}",
        "x".repeat(233),
        "y".repeat(48),
        "z".repeat(48)
    )
}

/// Each form on an HTML page (`/html/N`) and in a plain-text answer, markup and all (`/plain/N`).
fn displaying_site() -> RecordingServer {
    let mut routes = Router::new();
    for (at, form) in DISPLAYED_FORMS.iter().enumerate() {
        let html = format!(
            "<!doctype html><html><body><p>{}</p></body></html>",
            displaying(form)
        );
        let plain = displaying(form);
        routes = routes
            .route(
                &format!("/html/{at}"),
                get(move || {
                    let html = html.clone();
                    async move { ([(CONTENT_TYPE, "text/html; charset=utf-8")], html) }
                }),
            )
            .route(
                &format!("/plain/{at}"),
                get(move || {
                    let plain = plain.clone();
                    async move { ([(CONTENT_TYPE, "text/plain; charset=utf-8")], plain) }
                }),
            );
    }
    RecordingServer::start(routes)
}

/// `output` as a reader takes it in: whitespace (and its escapes), zero-width characters, soft
/// hyphens and the tag dropped, `&` read through any number of `amp;`, so a piece of the
/// password shows here however a page split or spelled it.
fn as_read(output: &str) -> String {
    let mut read = output.to_owned();
    for written in [
        "\\n",
        "\\t",
        "\\r",
        "\\u200b",
        "\\ufeff",
        "\\u2060",
        "\\u00ad",
        "&shy;",
        "<b>",
        "</b>",
        "&lt;b&gt;",
        "&lt;/b&gt;",
    ] {
        read = read.replace(written, "");
    }
    read = read.replace("\\u0026", "&");
    while read.contains("&amp;") {
        read = read.replace("&amp;", "&");
    }
    read.chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '\u{ad}' | '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}')
        })
        .collect()
}

/// Fails when `output` shows any 6-character piece of the displayed password, however split.
#[track_caller]
fn assert_no_piece(what: &str, output: &str) {
    let read = as_read(output);
    let password: Vec<char> = DISPLAYED_PASSWORD.chars().collect();
    for piece in password.windows(6).map(|piece| piece.iter().collect::<String>()) {
        assert!(
            !read.contains(&piece),
            "{what} shows {piece:?} of the password:\n{output}"
        );
    }
}

#[test]
fn a_secret_split_or_spelled_by_display_shows_no_piece_in_any_output_and_still_fails_the_check() {
    let site = displaying_site();
    let project = Project::new(&site.url, SECRETS);
    let mut feature = String::from("Feature: Displayed password\n");
    let pages: Vec<String> = (0..DISPLAYED_FORMS.len())
        .flat_map(|at| [format!("/html/{at}"), format!("/plain/{at}")])
        .collect();
    for page in &pages {
        feature.push_str(&format!(
            "  Scenario: the excerpt of {page}\n    When I request \"{page}\"\n    Then the response should contain \"Welcome\"\n\n\
             \x20 Scenario: a quote of {page}\n    When I request \"{page}\"\n    Then the response should not contain \"leaky\"\n\n\
             \x20 Scenario: the content of {page}\n    When I request \"{page}\"\n    Then the page should contain no forbidden content\n\n"
        ));
    }
    project.file("features/display.feature", &feature);

    let outcome = shakedown(&project)
        .env("SMTP_PASSWORD", DISPLAYED_PASSWORD)
        .args(["run"])
        .args(REPORTS)
        .run();
    outcome
        .expect_code(1)
        .expect_stdout(&format!("{} failed", 3 * pages.len()))
        .expect_stdout("[redacted]");
    let findings = outcome
        .stdout
        .matches("[registered-secret] the page shows SMTP_PASSWORD (not quoted: it is a secret)")
        .count();
    assert!(
        findings >= pages.len(),
        "{findings} pages said to show the password:\n{}",
        outcome.stdout
    );
    assert_no_piece("stdout", &outcome.stdout);
    assert_no_piece("stderr", &outcome.stderr);
    assert_no_piece(
        "the audit log",
        &read(&project.path().join("state/shakedown/audit.jsonl")),
    );
    for report in ["junit.xml", "cucumber.json", "report.html"] {
        let text = read(&project.path().join("reports").join(report));
        assert!(text.contains("[redacted]"), "{report} quotes the pages:\n{text}");
        assert_no_piece(report, &text);
    }
}

#[test]
fn a_30_kb_password_is_masked_without_slowing_the_run() {
    // A phrase repeated, the shape that made registering a long secret take seconds.
    let password: String = (0..30_000_usize)
        .map(|at| char::from(b"abcdefghijklmnopqrstuvwxyz"[at * 7 % 26]))
        .collect();
    let page = format!("<!doctype html><html><body><p>Welcome</p><p>{password}</p></body></html>");
    let site = RecordingServer::start(Router::new().route(
        "/",
        get(move || {
            let page = page.clone();
            async move { ([(CONTENT_TYPE, "text/html; charset=utf-8")], page) }
        }),
    ));
    let project = Project::new(&site.url, SECRETS);
    project.file(
        "features/long.feature",
        "Feature: Long password\n  Scenario: the page\n    When I request \"/\"\n    \
         Then the response should contain \"Goodbye\"\n\n  Scenario: its content\n    \
         When I request \"/\"\n    Then the page should contain no forbidden content\n",
    );
    let outcome = shakedown(&project)
        .env("SMTP_PASSWORD", &password)
        .args(["run"])
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("Welcome [redacted]")
        .expect_stdout("the page shows SMTP_PASSWORD");
    for piece in password.as_bytes().chunks(1_000) {
        let piece = std::str::from_utf8(piece).expect("ASCII");
        assert!(
            !outcome.stdout.contains(&piece[..40]),
            "stdout shows the password"
        );
    }
    assert!(
        outcome.took < std::time::Duration::from_secs(10),
        "the run took {:?}",
        outcome.took
    );
}

/// The password as a URL's userinfo spells it (`https://deploy:p&ss%22w%3Crd%2F%5Cx@…`).
fn in_userinfo() -> String {
    let mut url = url::Url::parse("https://db.internal/").expect("url");
    url.set_username("deploy").expect("a username");
    url.set_password(Some(SMTP_PASSWORD)).expect("a password");
    url.to_string()
}

/// Where the public-face and file phrases quote what they saw: header values (plain and in a
/// URL's userinfo), a `robots.txt`, a robots `<meta>` (HTML-escaped) and files on the server
/// (plain, JSON- and HTML-escaped).
#[test]
fn a_registered_secret_shows_in_no_failure_of_the_header_robots_and_file_phrases() {
    let leaky_robots = format!("User-agent: *\nDisallow: /\n# smtp {SMTP_PASSWORD}\n");
    let meta = format!(
        r#"<html><head><meta name="robots" content="noindex, {}"></head><body>Hidden</body></html>"#,
        SMTP_PASSWORD
            .replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
    );
    let site = RecordingServer::start(
        Router::new()
            .route(
                "/",
                get(|| async {
                    (
                        [
                            ("x-debug", SMTP_PASSWORD.to_owned()),
                            ("x-upstream", in_userinfo()),
                            ("server", format!("Apache/2.4.62 {SMTP_PASSWORD}")),
                        ],
                        "<p>Welcome</p>",
                    )
                }),
            )
            .route("/robots.txt", get(move || async move { leaky_robots }))
            .route("/hidden", get(move || async move { axum::response::Html(meta) })),
    );
    let files = tempfile::tempdir().expect("temp dir");
    let json = serde_json::to_string(SMTP_PASSWORD).expect("a string");
    let html = SMTP_PASSWORD
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    for (name, line) in [
        ("mail.ini", format!("smtp_password = {SMTP_PASSWORD}")),
        ("mail.json", format!("{{\"smtp\": {json}}}")),
        ("mail.html", format!("<p data-smtp=\"{html}\"></p>")),
        ("mail.url", format!("smtp = {}", in_userinfo())),
    ] {
        std::fs::write(files.path().join(name), format!("{line}\n")).expect("a file");
    }
    let project = Project::new(
        &site.url,
        &format!("{SECRETS}[environments.test.hosts.here]\nssh = \"local\"\n"),
    );
    let header_scenario =
        |check: &str| format!("  Scenario: {check}\n    When I request \"/\"\n    Then {check}\n\n");
    let mut feature = String::from("Feature: Quotes of what was seen\n");
    for check in [
        r#"the response header "X-Debug" should not be present"#,
        r#"the response header "X-Debug" should not contain "ss""#,
        r#"the response header "X-Debug" should be "quiet""#,
        r#"the response header "X-Debug" should contain "quiet""#,
        r#"the response header "X-Upstream" should not be present"#,
        "the site should send the security headers",
    ] {
        feature.push_str(&header_scenario(check));
    }
    feature.push_str(
        "  Scenario: robots\n    Then robots.txt should allow crawling \"/\"\n\n  Scenario: meta\n    Then the page \"/hidden\" should not be hidden from search engines\n\n",
    );
    for name in ["mail.ini", "mail.json", "mail.html", "mail.url"] {
        feature.push_str(&format!(
            "  Scenario: {name}\n    Then the file \"{}\" should not contain \"smtp\"\n\n",
            files.path().join(name).display()
        ));
    }
    project.file("features/quotes.feature", &feature);

    let outcome = shakedown(&project).args(["run"]).args(REPORTS).run();
    outcome
        .expect_code(1)
        .expect_stdout("0 passed, 12 failed")
        .expect_stdout("X-Debug: [redacted]")
        .expect_stdout("is hidden from search engines");
    assert_outputs_hidden(&project, &outcome);
    let userinfo = in_userinfo();
    let userinfo_password = userinfo
        .trim_start_matches("https://deploy:")
        .trim_end_matches("@db.internal/");
    for report in ["junit.xml", "cucumber.json", "report.html"] {
        let text = read(&project.path().join("reports").join(report));
        assert_hidden(report, &text);
        assert!(
            !text.contains(userinfo_password),
            "{report} shows {userinfo_password:?}:\n{text}"
        );
    }
    assert!(
        !outcome.stdout.contains(userinfo_password),
        "stdout shows {userinfo_password:?}:\n{}",
        outcome.stdout
    );
}
