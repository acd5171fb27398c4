//! What browser checks cost: the time to start one Chromium session (with the switches
//! shakedown uses), and the wall time of a 20-scenario browser suite against the demo site with
//! one session and with four. A benchmark to read, not a test: it prints and asserts nothing.
//! Run it with `cargo bench --bench browser`; it needs `chromedriver` and `chromium`.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shakedown_demo_site::DemoOptions;
use shakedown_steps::browser::{BrowserSettings, chromium_capabilities};
use support::{demo_roles, median, start_site, time_shakedown_run};
use thirtyfour::WebDriver;

/// Repetitions of each measurement; the median is reported.
const ROUNDS: usize = 3;
const SESSION_STARTS: usize = 5;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let project = tempfile::tempdir().expect("temp dir");
    let site = start_site(&runtime, DemoOptions::new(project.path().join("state")));
    write_suite(project.path(), site.url());
    println!("browser benchmark against the demo site at {}", site.url());
    println!(
        "session start (chromedriver running, fresh profile each): median {:.3}s of {SESSION_STARTS}",
        median(runtime.block_on(session_starts())).as_secs_f64()
    );
    for sessions in [1, 4] {
        let times: Vec<Duration> = (0..ROUNDS).map(|_| run_suite(project.path(), sessions)).collect();
        println!(
            "20-scenario browser suite, sessions = {sessions}: median {:.3}s of {ROUNDS} runs (wall time of `shakedown run`, driver start included)",
            median(times).as_secs_f64()
        );
    }
    runtime.block_on(site.shutdown());
}

/// Each start opens a Chromium session on an already running chromedriver and quits it.
async fn session_starts() -> Vec<Duration> {
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let mut driver = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts (apt-get install chromium chromium-driver)");
    let url = format!("http://127.0.0.1:{port}");
    wait_until_listening(port).await;
    let settings = BrowserSettings::default();
    let mut times = Vec::new();
    for round in 0..SESSION_STARTS {
        let profile = std::env::temp_dir().join(format!("shakedown-bench-{}-{round}", std::process::id()));
        std::fs::create_dir_all(&profile).expect("profile folder");
        let capabilities = chromium_capabilities(&settings, true, Some(&profile)).expect("capabilities");
        let started = Instant::now();
        let session = WebDriver::builder(url.as_str(), capabilities)
            .connect()
            .await
            .expect("a session starts");
        times.push(started.elapsed());
        session.quit().await.expect("the session quits");
        let _ = std::fs::remove_dir_all(&profile);
    }
    let _ = driver.kill();
    let _ = driver.wait();
    times
}

async fn wait_until_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not listen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Twenty scenarios as a team would write them: public pages, a clerk and a viewer.
fn write_suite(project: &Path, base_url: &str) {
    let mut feature = String::from("Feature: Twenty browser checks\n");
    for n in 1..=20 {
        let scenario = match n % 3 {
            0 => format!(
                "  Scenario: home {n}\n    Given I am not logged in\n    When I visit \"/\"\n    Then I should see \"Welcome to Ledger\"\n    And the page title should contain \"Ledger\"\n"
            ),
            1 => format!(
                "  Scenario: clerk {n}\n    Given I am logged in as \"clerk\"\n    When I visit \"/dashboard/\"\n    And I click \"Reports\"\n    Then I should be on \"/reports/\"\n    And I should see an element matching \"table tbody tr\"\n"
            ),
            _ => format!(
                "  Scenario: viewer {n}\n    Given I am logged in as \"viewer\"\n    When I visit \"/dashboard/\"\n    Then I should see \"Signed in as viewer\"\n    But I should not see \"Admin\"\n"
            ),
        };
        feature.push_str(&scenario);
    }
    std::fs::create_dir_all(project.join("features")).expect("features folder");
    std::fs::write(project.join("features/twenty.feature"), feature).expect("feature");
    let config = format!(
        "[environments.bench]\nbase_url = \"{base_url}\"\n{}",
        demo_roles(project)
    );
    std::fs::write(project.join("shakedown.toml"), config).expect("config");
}

/// Wall time of one `shakedown run` of the suite with `sessions` browser sessions.
fn run_suite(project: &Path, sessions: usize) -> Duration {
    let config = std::fs::read_to_string(project.join("shakedown.toml")).expect("config");
    let config = match config.split_once("[browser]") {
        Some((before, _)) => before.to_owned(),
        None => config,
    };
    std::fs::write(
        project.join("shakedown.toml"),
        format!("{config}[browser]\nsessions = {sessions}\n"),
    )
    .expect("config");
    time_shakedown_run(project).process
}
