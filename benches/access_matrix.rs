//! Benchmark (not a test): a 4-role × 50-path access matrix (200 cells) on loopback, run by the
//! real `shakedown` binary, against the same requests made without the runner (the floor) and
//! against the same checks done with one login per cell. Run with
//! `cargo bench --bench access_matrix`; the figures go into docs/performance.md.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::Client;
use shakedown_demo_site::{DemoOptions, USERS};
use support::{ROUNDS, client, demo_roles, fetch, median, ms, ratio, start_site, time_shakedown_run};

const PATHS_PER_PAGE: usize = 50 / 4 + 1;
const ROLES: [&str; 4] = ["anonymous", "viewer", "clerk", "admin"];

/// What each role meets on each page of the demo site.
const PAGES: [(&str, [&str; 4]); 4] = [
    ("/", ["allowed", "allowed", "allowed", "allowed"]),
    ("/dashboard/", ["login", "allowed", "allowed", "allowed"]),
    ("/reports/", ["login", "denied", "allowed", "allowed"]),
    ("/admin/", ["login", "denied", "denied", "allowed"]),
];

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let project = tempfile::tempdir().expect("temp dir");
    let site = start_site(&runtime, DemoOptions::new(project.path().join("state")));
    let paths = matrix_paths();
    write_project(project.path(), site.url(), &paths);

    let (mut process, mut run, mut floor, mut login_per_cell) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let timing = time_shakedown_run(project.path());
        process.push(timing.process);
        run.push(timing.run);
        floor.push(runtime.block_on(requests_with_one_login_per_role(site.url(), &paths)));
        login_per_cell.push(runtime.block_on(requests_with_one_login_per_cell(site.url(), &paths)));
    }
    let (process, run, floor, per_cell) = (
        median(process),
        median(run),
        median(floor),
        median(login_per_cell),
    );
    let cells = ROLES.len() * paths.len();
    println!(
        "access matrix, {} roles × {} paths = {cells} cells, median of {ROUNDS} rounds:",
        ROLES.len(),
        paths.len()
    );
    println!(
        "  runner time (the run's own summary, one login per role): {:>8.1} ms  (runner / floor = {:.2})",
        ms(run),
        ratio(run, floor)
    );
    println!(
        "  whole `shakedown run` process, start-up included:        {:>8.1} ms",
        ms(process)
    );
    println!(
        "  floor: the same requests without a runner:               {:>8.1} ms",
        ms(floor)
    );
    println!(
        "  the same checks with one login per cell, no runner:      {:>8.1} ms  (per cell / runner = {:.2})",
        ms(per_cell),
        ratio(per_cell, run)
    );
    runtime.block_on(site.shutdown());
}

/// 50 distinct paths: the four pages with a query, as a real site's many URLs.
fn matrix_paths() -> Vec<(String, [&'static str; 4])> {
    (0..PATHS_PER_PAGE)
        .flat_map(|n| {
            PAGES
                .iter()
                .map(move |(page, cells)| (format!("{page}?n={n}"), *cells))
        })
        .take(50)
        .collect()
}

fn write_project(dir: &Path, url: &str, paths: &[(String, [&str; 4])]) {
    let config = format!("[environments.bench]\nbase_url = \"{url}\"\n{}", demo_roles(dir));
    std::fs::write(dir.join("shakedown.toml"), config).expect("config");
    let mut feature = format!(
        "Feature: Bench\n  Scenario: matrix\n    Then the access matrix should hold:\n      | path | {} |\n",
        ROLES.join(" | ")
    );
    for (path, cells) in paths {
        feature.push_str(&format!("      | {path} | {} |\n", cells.join(" | ")));
    }
    std::fs::create_dir_all(dir.join("features")).expect("features folder");
    std::fs::write(dir.join("features/matrix.feature"), feature).expect("feature");
}

/// Logs `username` in on `client` through the real form, CSRF token included.
async fn log_in(client: &Client, url: &str, username: &str) {
    let password = USERS
        .iter()
        .find(|user| user.username == username)
        .expect("a demo user")
        .password;
    let page = client
        .get(format!("{url}/accounts/login/"))
        .send()
        .await
        .expect("login page")
        .text()
        .await
        .expect("body");
    let token = page
        .split("name=\"csrfmiddlewaretoken\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token");
    let form = [
        ("csrfmiddlewaretoken", token),
        ("username", username),
        ("password", password),
    ];
    client
        .post(format!("{url}/accounts/login/"))
        .form(&form)
        .send()
        .await
        .expect("login post");
}

/// The floor: one client per role, logged in once, then every cell's GET concurrently.
async fn requests_with_one_login_per_role(url: &str, paths: &[(String, [&str; 4])]) -> Duration {
    let started = Instant::now();
    let mut clients = Vec::new();
    for role in ROLES {
        let client = client();
        if role != "anonymous" {
            log_in(&client, url, role).await;
        }
        clients.push(client);
    }
    let requests = paths.iter().flat_map(|(path, _)| {
        clients.iter().map(move |client| async move {
            fetch(client, format!("{url}{path}")).await;
        })
    });
    futures::future::join_all(requests).await;
    started.elapsed()
}

/// The same cells, each with its own fresh login, concurrently.
async fn requests_with_one_login_per_cell(url: &str, paths: &[(String, [&str; 4])]) -> Duration {
    let started = Instant::now();
    let requests = paths.iter().flat_map(|(path, _)| {
        ROLES.iter().map(move |role| async move {
            let client = client();
            if *role != "anonymous" {
                log_in(&client, url, role).await;
            }
            fetch(&client, format!("{url}{path}")).await;
        })
    });
    futures::future::join_all(requests).await;
    started.elapsed()
}
