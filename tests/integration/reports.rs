//! Every report from one demo-site run with a failure, a flaky retry, a screenshot, an outline
//! and a timeout, each read back by a real consumer: JUnit by xmllint against Jenkins' schema,
//! Cucumber JSON by the npm `cucumber-html-reporter`, the HTML report in headless Chromium
//! (visible failure, visible screenshot, no network), the Nagios line against the Monitoring
//! Plugins grammar with its exit code per severity; and no report holds a password.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use indoc::indoc;
use regex::Regex;
use shakedown_steps::browser::{BrowserSettings, chromium_capabilities};
use thirtyfour::prelude::*;

use crate::browser::browser_turn;
use crate::support::{DEMO_ROLES, DemoSite, Outcome, Project, obeyed_by_a_terminal, validate_junit};

const MIXED: &str = indoc! {r#"
    Feature: Reports from one run
      Scenario: The home page answers
        When I request "/"
        Then the response status should be 200
        And the page should not contain any of:
          | Lorem ipsum |
          | TODO        |

      @retry(2)
      Scenario: A page that fails its first request
        When I request "/__demo/flaky/reports/1"
        Then the response status should be 200

      Scenario: A viewer's dashboard hides the admin link
        Given I am logged in as "viewer"
        When I visit "/dashboard/"
        But I should not see "Admin"

      Scenario: The health check answers in time
        When I request "/api/health"
        Then the response status should be 200

      Scenario Outline: Pages answer
        When I request "<page>"
        Then the response status should be <status>

        Examples:
          | page           | status |
          | /              | 200    |
          | /no-such-page/ | 200    |
"#};

/// The demo site with the admin link shown to everyone and a health check that never answers.
fn faulty_project() -> (DemoSite, Project) {
    let site = DemoSite::start(&["admin-link", "hang"]);
    // 10 s: a fresh Chromium's first page on a busy 2-core machine takes several seconds.
    let project = Project::new(
        &site.url,
        &format!("{DEMO_ROLES}\n[limits]\nstep_timeout = \"10s\"\n"),
    );
    project.file("features/reports.feature", MIXED);
    (site, project)
}

#[test]
fn one_run_writes_every_report_and_real_consumers_read_them() {
    let _turn = browser_turn();
    let (_site, project) = faulty_project();
    let out = project.path().join("out");
    let (junit, json, html) = (
        out.join("junit.xml"),
        out.join("report.json"),
        out.join("report.html"),
    );
    let outcome = project
        .shakedown()
        .demo_passwords()
        // One scenario at a time, so the terminal report's order is the file's and can be pinned.
        .args([
            "run".as_ref(),
            "-j".as_ref(),
            "1".as_ref(),
            "--junit".as_ref(),
            junit.as_os_str(),
        ])
        .args([
            "--json".as_ref(),
            json.as_os_str(),
            "--html".as_ref(),
            html.as_os_str(),
        ])
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("6 scenario(s): 2 passed, 3 failed, 1 flaky (passed on a retry)")
        .expect_stdout("FLAKY features/reports.feature:10  A page that fails its first request  (passed on attempt 2)")
        .expect_stdout("attempt 1 failed at Then the response status should be 200 (line 12): expected status 200, got 503 Service Unavailable");
    insta::assert_snapshot!("demo_run_terminal", normalised(&outcome.stdout, project.path()));

    validate_junit(&junit);
    let xml = read(&junit);
    assert!(
        xml.contains(r#"<property name="environment" value="test"/>"#),
        "{xml}"
    );
    assert!(
        xml.contains(r#"<property name="shakedown_version" value=""#),
        "{xml}"
    );
    assert!(
        Regex::new(r#"(?s)<testcase name="A page that fails its first request"[^>]*>\s*<flakyFailure message="Then the response status should be 200: expected status 200, got 503 Service Unavailable" type="assertion">"#)
            .expect("valid regex")
            .is_match(&xml),
        "the flaky scenario is not one passing testcase with its failed attempt:\n{xml}"
    );
    assert!(xml.contains(r#"type="timeout""#), "{xml}");

    check_cucumber_json(&json, project.path());
    check_html_in_chromium(&html);
    for report in [&junit, &json, &html] {
        assert_no_password(&read_lossy(report), report);
    }
    assert_no_password(&outcome.stdout, Path::new("stdout"));
}

/// The run's output with what changes from run to run (times, the site's port, the temp
/// folder) written as placeholders.
fn normalised(output: &str, project: &Path) -> String {
    let output = output.replace(&project.display().to_string(), "[PROJECT]");
    let replacements = [
        (r"\[\s*[0-9.]+s\]", "[ TIME ]"),
        (r"127\.0\.0\.1:[0-9]+", "127.0.0.1:PORT"),
        (r"in [0-9]+ ms", "in N ms"),
    ];
    replacements
        .into_iter()
        .fold(output, |text, (pattern, placeholder)| {
            Regex::new(pattern)
                .expect("valid regex")
                .replace_all(&text, placeholder)
                .into_owned()
        })
}

fn check_cucumber_json(path: &Path, project: &Path) {
    let features: serde_json::Value = serde_json::from_str(&read(path)).expect("the JSON report parses");
    let feature = &features[0];
    assert_eq!(feature["uri"], "features/reports.feature");
    assert_eq!(feature["keyword"], "Feature");
    let elements = feature["elements"].as_array().expect("elements");
    assert_eq!(elements.len(), 6, "{feature:#}");
    let home = &elements[0];
    assert_eq!(home["type"], "scenario");
    assert_eq!(home["steps"][2]["rows"][0]["cells"][0], "Lorem ipsum", "{home:#}");
    assert_eq!(home["steps"][0]["result"]["status"], "passed");
    assert!(home["steps"][0]["result"]["duration"].is_u64(), "{home:#}");
    let dashboard = elements
        .iter()
        .find(|element| element["name"] == "A viewer's dashboard hides the admin link")
        .expect("the dashboard scenario");
    let failing = &dashboard["steps"][2];
    assert_eq!(failing["result"]["status"], "failed");
    assert!(
        failing["result"]["error_message"]
            .as_str()
            .is_some_and(|message| message.contains("the page shows \"Admin\", which it should not")),
        "{failing:#}"
    );
    assert_eq!(failing["embeddings"][0]["mime_type"], "image/png");
    use base64::Engine as _;
    let png = base64::engine::general_purpose::STANDARD
        .decode(failing["embeddings"][0]["data"].as_str().expect("base64 data"))
        .expect("valid base64");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "the embedding is no PNG");
    let flaky = elements
        .iter()
        .find(|element| element["name"] == "A page that fails its first request")
        .expect("the flaky scenario");
    assert_eq!(
        flaky["tags"],
        serde_json::json!([{ "name": "@retry(2)", "line": 9 }]),
        "a tag's line is the line it is written on"
    );
    validate_against_cucumber_json_schema(path);
    render_with_cucumber_html_reporter(path, project);
    render_with_multiple_cucumber_html_reporter(path, project);
}

/// Validates the report against cucumber-ruby's Cucumber JSON schema (tests/fixtures, from
/// cucumber/cucumber-json-schema) with Python's `jsonschema`. That schema has no place for a
/// step's `embeddings`, which cucumber-ruby's own formatter writes there (as cucumber-jvm's
/// schema allows) and both HTML reporters show: they alone are left out first.
fn validate_against_cucumber_json_schema(report: &Path) {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/python-tools/bin/python");
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cucumber-json-ruby.schema.json");
    let script = indoc! {r#"
        import json, sys
        import jsonschema
        report = json.load(open(sys.argv[1]))
        for feature in report:
            for element in feature["elements"]:
                for step in element["steps"]:
                    step.pop("embeddings", None)
        jsonschema.validate(report, json.load(open(sys.argv[2])))
    "#};
    let output = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(report)
        .arg(&schema)
        .output()
        .unwrap_or_else(|error| panic!("{} runs (ci/test makes it): {error}", python.display()));
    assert!(
        output.status.success(),
        "the Cucumber JSON report does not validate against {}:\n{}",
        schema.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The other npm reporter teams use, pinned in `tests/fixtures/node-tools`: it counts the
/// scenarios itself (3 passed, the flaky one among them, and 3 failed) and shows the screenshot.
fn render_with_multiple_cucumber_html_reporter(json: &Path, project: &Path) {
    let node_modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/node-tools/node_modules");
    let json_dir = project.join("out/multiple-json");
    let report_dir = project.join("out/multiple-html");
    std::fs::create_dir_all(&json_dir).expect("a folder for the reporter's input");
    std::fs::copy(json, json_dir.join("report.json")).expect("copy the report");
    let script = indoc! {r#"
        require('multiple-cucumber-html-reporter').generate({
          jsonDir: process.argv[1], reportPath: process.argv[2], saveCollectedJSON: true,
          disableLog: true, openReportInBrowser: false,
        });
    "#};
    let output = Command::new("node")
        .env("NODE_PATH", &node_modules)
        .arg("-e")
        .arg(script)
        .arg(&json_dir)
        .arg(&report_dir)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "multiple-cucumber-html-reporter failed on our JSON:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let suite: serde_json::Value =
        serde_json::from_str(&read(&report_dir.join("enriched-output.json"))).expect("its own JSON");
    assert_eq!(suite["scenarios"]["passed"], 3, "{:#}", suite["scenarios"]);
    assert_eq!(suite["scenarios"]["failed"], 3, "{:#}", suite["scenarios"]);
    let feature_pages: String = std::fs::read_dir(report_dir.join("features"))
        .expect("its feature pages")
        .map(|page| read(&page.expect("a page").path()))
        .collect();
    assert!(
        feature_pages.contains("data:image/png;base64,iVBORw0KGgo"),
        "multiple-cucumber-html-reporter shows no screenshot"
    );
}

/// The npm package Jenkins-less teams use, pinned by `tests/fixtures/node-tools` and installed
/// there by `ci/test`: without it the Cucumber JSON report would go unchecked, so the test fails.
fn render_with_cucumber_html_reporter(json: &Path, project: &Path) {
    let node_modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/node-tools/node_modules");
    assert!(
        node_modules.join("cucumber-html-reporter").is_dir(),
        "cucumber-html-reporter is not installed in {}, so the Cucumber JSON report cannot be \
         read by it: run `npm ci --prefix tests/fixtures/node-tools` (ci/test does)",
        node_modules.display()
    );
    let output_file = project.join("out/cucumber.html");
    let script = indoc! {r#"
        require('cucumber-html-reporter').generate({
          theme: 'bootstrap', jsonFile: process.argv[1], output: process.argv[2],
          reportSuiteAsScenarios: true, launchReport: false,
        });
    "#};
    let output = Command::new("node")
        .env("NODE_PATH", &node_modules)
        .arg("-e")
        .arg(script)
        .arg(json)
        .arg(&output_file)
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "cucumber-html-reporter failed on our JSON:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let rendered = read(&output_file);
    assert!(
        rendered.contains("A viewer&#39;s dashboard hides the admin link")
            || rendered.contains("A viewer's dashboard hides the admin link")
    );
    // Its own count of the scenarios (the flaky one passed), and the screenshot shown.
    assert!(
        Regex::new(r#""title": "Scenarios",\s*"failed": 3,\s*"passed": 3,"#)
            .expect("valid regex")
            .is_match(&rendered),
        "cucumber-html-reporter counts the scenarios differently"
    );
    assert!(
        rendered.contains(r#"src="data:image/png;base64,iVBORw0KGgo"#),
        "cucumber-html-reporter shows no screenshot"
    );
}

/// Opens the HTML report in headless Chromium and reads it as a stakeholder would.
fn check_html_in_chromium(html: &Path) {
    let page = read(html);
    assert!(page.contains(r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none';"#));
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let driver = Chromedriver::start();
    let screenshot = runtime.block_on(async {
        let profile = tempfile::tempdir().expect("a profile folder");
        let capabilities = chromium_capabilities(&BrowserSettings::default(), true, Some(profile.path()))
            .expect("capabilities");
        let browser = WebDriver::new(driver.url.as_str(), capabilities)
            .await
            .expect("a Chromium session");
        let seen = async {
            browser.set_window_rect(0, 0, 1200, 1400).await?;
            browser.goto(format!("file://{}", html.display())).await?;
            let text = browser.find(By::Tag("body")).await?.text().await?;
            let failing = browser
                .find(By::XPath(
                    "//details[contains(., \"A viewer's dashboard hides the admin link\")]",
                ))
                .await?;
            let image = failing.find(By::Tag("img")).await?;
            let image_shown = image.is_displayed().await?;
            let image_width = browser
                .execute("return arguments[0].naturalWidth;", vec![image.to_json()?])
                .await?
                .json()
                .as_u64();
            let requests = browser
                .execute(
                    "return performance.getEntriesByType('resource').map(e => e.name);",
                    vec![],
                )
                .await?
                .json()
                .clone();
            let png = browser.screenshot_as_png().await?;
            Ok::<_, WebDriverError>((text, image_shown, image_width, requests, png))
        }
        .await;
        let _ = browser.quit().await;
        let (text, image_shown, image_width, requests, png) = seen.expect("the report reads in Chromium");
        assert!(
            text.contains("A viewer's dashboard hides the admin link"),
            "{text}"
        );
        assert!(
            text.contains("the page shows \"Admin\", which it should not"),
            "{text}"
        );
        assert!(text.contains("no complete answer within 10s"), "{text}");
        assert!(
            text.contains("attempt 1 failed"),
            "the flaky retry is not visible:\n{text}"
        );
        assert!(
            text.contains("FLAKY") && text.contains("FAILED"),
            "the verdicts are not visible:\n{text}"
        );
        assert!(
            text.contains("Pages answer (page=/no-such-page/, status=200)"),
            "{text}"
        );
        assert!(image_shown, "the screenshot is not visible");
        assert!(
            image_width.is_some_and(|width| width > 100),
            "the screenshot did not load: {image_width:?}"
        );
        assert_eq!(
            requests,
            serde_json::json!([]),
            "the report made network requests"
        );
        png
    });
    let kept = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-report.png");
    std::fs::write(&kept, &screenshot).expect("keep the report's screenshot");
    // `SHAKEDOWN_UPDATE_DOCS=1 cargo test` refreshes the picture of the report in docs/reports.md.
    if std::env::var_os("SHAKEDOWN_UPDATE_DOCS").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/html-report.png");
        std::fs::write(docs, &screenshot).expect("update docs/html-report.png");
    }
}

/// A chromedriver on a free loopback port, killed when dropped.
struct Chromedriver {
    child: std::process::Child,
    url: String,
}

impl Chromedriver {
    fn start() -> Self {
        let port = std::net::TcpListener::bind(("127.0.0.1", 0))
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts (ci/test installs chromium-driver)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[track_caller]
fn assert_no_password(text: &str, source: &Path) {
    for user in shakedown_demo_site::USERS {
        assert!(
            !text.contains(user.password),
            "{} holds the password of `{}`",
            source.display(),
            user.username
        );
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).expect("report written")).into_owned()
}

/// One performance-data item as the Monitoring Plugins guidelines define it:
/// `'label'=value[UOM];[warn];[crit];[min];[max]`.
const PERFDATA_ITEM: &str =
    r"'[^'=]+'=-?[0-9.]+(us|ms|s|%|B|KB|MB|TB|c)?;[0-9.:~@-]*;[0-9.:~@-]*;[0-9.-]*;[0-9.-]*";

/// Checks the status line against the grammar and returns its state and perfdata values.
#[track_caller]
fn nagios_status(outcome: &Outcome) -> (String, Vec<(String, f64)>) {
    let line = outcome.stdout.lines().next().unwrap_or_default();
    let grammar = Regex::new(&format!(
        r"^SHAKEDOWN (OK|WARNING|CRITICAL|UNKNOWN) - [^|]+ \| ({PERFDATA_ITEM})( {PERFDATA_ITEM})*$"
    ))
    .expect("valid regex");
    let captures = grammar
        .captures(line)
        .unwrap_or_else(|| panic!("not a plugin status line: {line:?}\nstdout:\n{}", outcome.stdout));
    let item = Regex::new(r"'([^']+)'=([0-9.]+)").expect("valid regex");
    let perfdata = line
        .split_once(" | ")
        .map(|(_, perfdata)| perfdata)
        .unwrap_or_default();
    let values = item
        .captures_iter(perfdata)
        .map(|item| (item[1].to_owned(), item[2].parse().expect("a number")))
        .collect();
    (captures[1].to_owned(), values)
}

/// The state Python's `nagiosplugin` gives the status line's performance data when it applies
/// each item's warning and critical ranges (the Monitoring Plugins range grammar), worst first:
/// the perfdata must say what the status says.
#[track_caller]
fn state_by_nagiosplugin(outcome: &Outcome) -> String {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/python-tools/bin/python");
    assert!(
        python.exists(),
        "{} is missing, so nagiosplugin cannot read the perfdata: run ci/test (it makes the \
         virtualenv from tests/fixtures/python-tools/requirements.txt)",
        python.display()
    );
    let script = indoc! {r#"
        import re, sys
        import nagiosplugin
        line = sys.argv[1].split("\n")[0]
        worst = nagiosplugin.state.Ok
        for item in line.split(" | ", 1)[1].split(" "):
            label, rest = re.fullmatch(r"'([^']+)'=(.*)", item).groups()
            value, warning, critical = (rest.split(";") + ["", ""])[:3]
            value = float(re.match(r"-?[0-9.]+", value).group(0))
            context = nagiosplugin.ScalarContext(label, warning or None, critical or None)
            worst = max(worst, context.evaluate(nagiosplugin.Metric(label, value), None).state)
        print(str(worst).upper())
    "#};
    let output = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(&outcome.stdout)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "nagiosplugin could not read {:?}:\n{}",
        outcome.stdout,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
fn nagios_mode_gives_one_status_line_with_perfdata_and_the_exit_code_per_severity() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, DEMO_ROLES);
    project.file(
        "features/fine.feature",
        indoc! {r#"
            Feature: Fine
              Scenario: The home page answers
                When I request "/"
                Then the response status should be 200
        "#},
    );
    project.file(
        "features/warning.feature",
        indoc! {r#"
            Feature: Merely worrying
              @warning
              Scenario: The help has an article that is not there yet
                When I request "/no-such-page/"
                Then the response status should be 200
        "#},
    );
    project.file(
        "features/critical.feature",
        indoc! {r#"
            Feature: Broken
              Scenario: Reports are there | for clerks
                When I request "/reports/missing/"
                Then the response status should be 200
        "#},
    );
    let nagios = |paths: &[&str]| {
        project
            .shakedown()
            .demo_passwords()
            .args(["run", "--format", "nagios"])
            .args(paths)
            .run()
    };

    let ok = nagios(&["features/fine.feature"]);
    ok.expect_code(0);
    let (state, perfdata) = nagios_status(&ok);
    assert_eq!(state, "OK");
    assert_eq!(
        &perfdata[..5],
        &[
            ("passed".into(), 1.0),
            ("failed".into(), 0.0),
            ("warning".into(), 0.0),
            ("unknown".into(), 0.0),
            ("flaky".into(), 0.0)
        ]
    );
    assert_eq!(perfdata[5].0, "time");
    assert_eq!(state_by_nagiosplugin(&ok), "OK");

    let warning = nagios(&["features/fine.feature", "features/warning.feature"]);
    warning.expect_code(1);
    assert_eq!(nagios_status(&warning).0, "WARNING");
    assert_eq!(state_by_nagiosplugin(&warning), "WARNING");
    assert!(
        warning.stdout.starts_with(
            "SHAKEDOWN WARNING - 1 of 2 scenarios failed: The help has an article that is not there yet | "
        ),
        "{}",
        warning.stdout
    );
    assert!(
        warning.stdout.lines().nth(1).is_some_and(|line| line.starts_with(
            "WARNING The help has an article that is not there yet (features/warning.feature:3) Then the response status should be 200: expected status 200, got 404 Not Found"
        )),
        "{}",
        warning.stdout
    );

    let critical = nagios(&[]);
    critical.expect_code(2);
    let (state, perfdata) = nagios_status(&critical);
    assert_eq!(state, "CRITICAL");
    assert_eq!(
        &perfdata[..3],
        &[
            ("passed".into(), 1.0),
            ("failed".into(), 1.0),
            ("warning".into(), 1.0)
        ]
    );
    assert_eq!(state_by_nagiosplugin(&critical), "CRITICAL");
    assert!(
        critical.stdout.contains("Reports are there / for clerks"),
        "a `|` in a name must not start perfdata:\n{}",
        critical.stdout
    );

    let unknown = project
        .shakedown()
        .args(["run", "--format", "nagios", "--env", "nowhere"])
        .run();
    unknown.expect_code(3);
    assert!(
        unknown
            .stdout
            .starts_with("SHAKEDOWN UNKNOWN - error: environment `nowhere` not found"),
        "{}",
        unknown.stdout
    );
}

#[test]
fn retries_for_every_scenario_keep_each_failed_attempt_in_a_valid_junit_report() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file(
        "features/retried.feature",
        indoc! {r#"
            Feature: Retried
              Scenario: Passes on the third request
                When I request "/__demo/flaky/third/2"
                Then the response status should be 200

              Scenario: Never passes
                When I request "/no-such-page/"
                Then the response status should be 200
        "#},
    );
    let junit = project.path().join("junit.xml");
    let outcome = project
        .shakedown()
        .args([
            "run".as_ref(),
            "--retries".as_ref(),
            "2".as_ref(),
            "--junit".as_ref(),
            junit.as_os_str(),
        ])
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("2 scenario(s): 0 passed, 1 failed, 1 flaky (passed on a retry)")
        .expect_stdout("(passed on attempt 3)")
        .expect_stdout("attempt 2 failed at Then the response status should be 200 (line 8): expected status 200, got 404 Not Found");
    validate_junit(&junit);
    let xml = read(&junit);
    assert_eq!(xml.matches("<flakyFailure ").count(), 2, "{xml}");
    assert_eq!(xml.matches("<rerunFailure ").count(), 2, "{xml}");
    assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
}

/// Every string in a JSON document.
fn json_strings(value: &serde_json::Value) -> Vec<&str> {
    match value {
        serde_json::Value::String(text) => vec![text.as_str()],
        serde_json::Value::Array(items) => items.iter().flat_map(json_strings).collect(),
        serde_json::Value::Object(fields) => fields.values().flat_map(json_strings).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn control_characters_and_bidi_overrides_from_a_page_reach_no_report_raw() {
    use axum::Router;
    use axum::routing::get;

    const HOSTILE: &str = "esc \u{1b}]0;owned\u{7} csi \u{9b}2J cr\r bs\u{8} vt\u{b} ff\u{c} \u{202a}\u{202b}\u{202c}\u{202d}\u{202e}reversed \u{2066}\u{2067}\u{2068}\u{2069}isolated";
    let site = crate::support::recording::RecordingServer::start(
        Router::new().route("/", get(|| async { HOSTILE })).route(
            "/status",
            get(|| async {
                let body = serde_json::json!({ "status": HOSTILE });
                ([("content-type", "application/json")], body.to_string())
            }),
        ),
    );
    let project = Project::new(&site.url, "");
    project.file(
        "features/controls.feature",
        "Feature: Controls\n  Scenario: a name with \u{1b}[2J and \u{202e}\n    When I request \"/\"\n    Then the response should contain \"nowhere \u{202e}\"\n\n  Scenario: a JSON value\n    When I request \"/status\"\n    Then the response JSON at \"$.status\" should be \"ok\"\n",
    );
    let html = project.path().join("report.html");
    let json = project.path().join("cucumber.json");
    let junit = project.path().join("junit.xml");
    project
        .shakedown()
        .args(["run".as_ref(), "--html".as_ref(), html.as_os_str()])
        .args([
            "--json".as_ref(),
            json.as_os_str(),
            "--junit".as_ref(),
            junit.as_os_str(),
        ])
        .run()
        .expect_code(1);
    let page = read(&html);
    assert_eq!(obeyed_by_a_terminal(&page), None, "the HTML report:\n{page:?}");
    assert!(
        page.contains("\\u{202e}reversed"),
        "the override is shown as an escape:\n{page}"
    );
    assert!(page.contains("\\u{1b}"), "ESC is shown as an escape:\n{page}");
    let document: serde_json::Value = serde_json::from_str(&read(&json)).expect("Cucumber JSON");
    for text in json_strings(&document) {
        assert_eq!(
            obeyed_by_a_terminal(text),
            None,
            "a Cucumber JSON string: {text:?}"
        );
    }
    validate_junit(&junit);
    let xml = read(&junit);
    assert_eq!(obeyed_by_a_terminal(&xml), None, "the JUnit report:\n{xml:?}");
}
