//! The reports are the product: each reporter is fed the same synthetic run (a pass, a failure
//! with details and a screenshot, a timeout, outline rows, notes, a data table, a flaky retry)
//! and its output is pinned exactly. Durations are fixed by construction; the one temp path is
//! normalised. Review a change with `cargo insta review`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use shakedown_steps::{Attachment, StepFailure};

use super::model::{
    Attempt, Reporter, RunEvent, RunInfo, RunSummary, ScenarioReport, StepArgument, StepReport, StepStatus,
};
use super::{
    CucumberJsonReport, FileReport, FileReports, HtmlReport, JunitReport, NagiosReporter, TerminalReporter,
};

/// The smallest valid PNG (one transparent pixel), standing in for a browser screenshot.
const ONE_PIXEL_PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00,
    0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00, 0x00, 0x05, 0x00,
    0x01, 0x7a, 0x5e, 0xab, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

fn step(keyword: &str, text: &str, line: usize, status: StepStatus, millis: u64) -> StepReport {
    StepReport {
        keyword: keyword.into(),
        text: text.into(),
        line,
        status,
        duration: Duration::from_millis(millis),
        argument: None,
    }
}

fn scenario(name: &str, line: usize, tags: &[&str], steps: Vec<StepReport>, millis: u64) -> ScenarioReport {
    ScenarioReport {
        feature: "Ledger after the release".into(),
        feature_line: 1,
        path: PathBuf::from("features/ledger.feature"),
        rule: None,
        keyword: "Scenario".into(),
        name: name.into(),
        line,
        tags: tags.iter().map(|tag| (*tag).to_owned()).collect(),
        host: None,
        steps,
        notes: Vec::new(),
        duration: Duration::from_millis(millis),
        earlier_attempts: Vec::new(),
    }
}

/// The events of one run, with the screenshot written under `folder`.
fn events(folder: &Path) -> Vec<RunEvent> {
    let screenshot = folder.join("001-should-not-see.png");
    std::fs::write(&screenshot, ONE_PIXEL_PNG).expect("write the screenshot");
    let passed = StepStatus::Passed;

    let mut home = scenario(
        "The home page is clean",
        3,
        &["post-install"],
        vec![
            step("When ", "I request \"/\"", 4, passed.clone(), 12),
            step(
                "Then ",
                "the page should not contain any of:",
                5,
                passed.clone(),
                1,
            ),
        ],
        15,
    );
    home.steps[1].argument = Some(StepArgument::Table(vec![
        vec!["Lorem ipsum".into()],
        vec!["TODO".into()],
    ]));
    home.notes.push("checked 1 page against 4 forbidden rules".into());
    let mut post = step(
        "When ",
        "I send a POST request to \"/api/echo\"",
        7,
        passed.clone(),
        3,
    );
    post.argument = Some(StepArgument::DocString {
        content: "{\"note\": \"shakedown\"}".into(),
        media_type: Some("json".into()),
    });
    home.steps.push(post);

    let admin_link = StepFailure::new("the page shows \"Admin\", which it should not")
        .with("found", "\"Ledger Dashboard Admin Log out Signed in as viewer\"")
        .with("page", "http://127.0.0.1:8000/dashboard/")
        .attach(Attachment {
            label: "screenshot",
            path: screenshot,
            media_type: "image/png",
        });
    let dashboard = scenario(
        "A viewer's dashboard hides the admin link",
        9,
        &[],
        vec![
            step("Given ", "I am logged in as \"viewer\"", 10, passed.clone(), 40),
            step("When ", "I visit \"/dashboard/\"", 11, passed.clone(), 900),
            step(
                "But ",
                "I should not see \"Admin\"",
                12,
                StepStatus::Failed(admin_link),
                80,
            ),
        ],
        1_020,
    );

    let hung = StepFailure::timeout("no complete answer within 10s (`limits.step_timeout`)")
        .with("request", "GET http://127.0.0.1:8000/api/health");
    let health = scenario(
        "The health check answers in time",
        14,
        &["warning"],
        vec![
            step(
                "When ",
                "I request \"/api/health\"",
                15,
                StepStatus::Failed(hung),
                10_000,
            ),
            step(
                "Then ",
                "the response status should be 200",
                16,
                StepStatus::NotRun,
                0,
            ),
        ],
        10_001,
    );

    let status_503 = StepFailure::new("expected status 200, got 503 Service Unavailable").with(
        "request",
        "GET http://127.0.0.1:8000/__demo/flaky/reports/1 → 503 Service Unavailable in 1 ms",
    );
    let mut flaky = scenario(
        "A page that fails its first request",
        19,
        &["retry(2)"],
        vec![
            step(
                "When ",
                "I request \"/__demo/flaky/reports/1\"",
                20,
                passed.clone(),
                2,
            ),
            step(
                "Then ",
                "the response status should be 200",
                21,
                passed.clone(),
                0,
            ),
        ],
        3,
    );
    flaky.earlier_attempts.push(Attempt {
        steps: vec![
            step(
                "When ",
                "I request \"/__demo/flaky/reports/1\"",
                20,
                passed.clone(),
                2,
            ),
            step(
                "Then ",
                "the response status should be 200",
                21,
                StepStatus::Failed(status_503),
                0,
            ),
        ],
        duration: Duration::from_millis(2),
    });

    let not_found = StepFailure::new("expected status 200, got 404 Not Found").with(
        "request",
        "GET http://127.0.0.1:8000/no-such-page/ → 404 Not Found in 0 ms",
    );
    let mut outline_ok = scenario(
        "Pages answer (page=/, status=200)",
        30,
        &[],
        vec![
            step("When ", "I request \"/\"", 25, passed.clone(), 2),
            step(
                "Then ",
                "the response status should be 200",
                26,
                passed.clone(),
                0,
            ),
        ],
        2,
    );
    outline_ok.keyword = "Scenario Outline".into();
    let mut outline_failed = scenario(
        "Pages answer (page=/no-such-page/, status=200)",
        31,
        &[],
        vec![
            step("When ", "I request \"/no-such-page/\"", 25, passed, 2),
            step(
                "Then ",
                "the response status should be 200",
                26,
                StepStatus::Failed(not_found),
                0,
            ),
        ],
        2,
    );
    outline_failed.keyword = "Scenario Outline".into();

    // One probe scenario, copied for each of two servers.
    let on_host = |host: &str, status: StepStatus| {
        let mut copy = scenario(
            &format!("Cron runs [{host}]"),
            34,
            &["post-install"],
            vec![step(
                "Then ",
                "the service \"cron\" should be running",
                35,
                status,
                6,
            )],
            6,
        );
        copy.host = Some(host.to_owned());
        copy
    };
    let cron_web1 = on_host("web1", StepStatus::Passed);
    let cron_web2 = on_host(
        "web2",
        StepStatus::Failed(
            StepFailure::new("the service `cron` is not running on web2")
                .with("systemctl", "is-active cron → inactive (exit status 3)"),
        ),
    );

    let scenarios = [
        home,
        dashboard,
        health,
        flaky,
        outline_ok,
        outline_failed,
        cron_web1,
        cron_web2,
    ];
    let mut summary = RunSummary {
        duration: Duration::from_millis(10_456),
        ..RunSummary::default()
    };
    scenarios.iter().for_each(|scenario| summary.count(scenario));
    let mut events = vec![RunEvent::Started(RunInfo {
        environment: "staging".into(),
        base_url: "http://127.0.0.1:8000/".into(),
        hosts: vec!["web1".into(), "web2".into()],
        scenarios: scenarios.len(),
        tags: Some("@post-install".into()),
        revision: Some("0123456789ab".into()),
        user: Some("deploy".into()),
        machine: Some("ci-runner".into()),
        started: SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000),
    })];
    events.extend(scenarios.into_iter().map(RunEvent::ScenarioFinished));
    events.push(RunEvent::Finished(summary));
    events
}

/// What `reporter` makes of the synthetic run, with the temp folder written as `[TMP]`.
fn feed(reporter: &mut dyn Reporter, folder: &Path) {
    for event in events(folder) {
        reporter.on_event(&event).expect("the reporter writes");
    }
}

fn normalised(text: &str, folder: &Path) -> String {
    text.replace(&folder.display().to_string(), "[TMP]")
}

fn written_to_memory(make: impl FnOnce(&mut Vec<u8>) -> Box<dyn Reporter + '_>) -> String {
    let folder = tempfile::tempdir().expect("temp dir");
    let mut out = Vec::new();
    {
        let mut reporter = make(&mut out);
        feed(reporter.as_mut(), folder.path());
    }
    normalised(&String::from_utf8(out).expect("UTF-8"), folder.path())
}

/// The file reports' one reporter, writing `file` alone.
fn file_reports(file: impl FileReport + 'static) -> Box<dyn Reporter> {
    Box::new(FileReports::new(vec![Box::new(file)]))
}

fn written_to_file(make: impl FnOnce(PathBuf) -> Box<dyn Reporter>) -> String {
    let folder = tempfile::tempdir().expect("temp dir");
    let file = folder.path().join("report");
    let mut reporter = make(file.clone());
    feed(reporter.as_mut(), folder.path());
    normalised(
        &std::fs::read_to_string(file).expect("report written"),
        folder.path(),
    )
}

#[test]
fn terminal_report() {
    insta::assert_snapshot!(written_to_memory(|out| Box::new(TerminalReporter::new(
        out, false
    ))));
}

#[test]
fn terminal_report_quiet() {
    insta::assert_snapshot!(written_to_memory(|out| Box::new(TerminalReporter::new(
        out, true
    ))));
}

#[test]
fn nagios_report() {
    insta::assert_snapshot!(written_to_memory(|out| Box::new(NagiosReporter::new(out))));
}

#[test]
fn junit_report() {
    insta::assert_snapshot!(written_to_file(|path| file_reports(JunitReport::new(path))));
}

#[test]
fn cucumber_json_report() {
    insta::assert_snapshot!(written_to_file(|path| file_reports(CucumberJsonReport::new(
        path
    ))));
}

#[test]
fn html_report() {
    insta::assert_snapshot!(written_to_file(|path| file_reports(HtmlReport::new(path))));
}
