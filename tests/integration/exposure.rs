//! `nothing private should be public on the site`: the demo's exposed `.git` folder and open
//! `/server-status` caught by the bundled feature (and its folder listing by the crawl), a "soft
//! 404" site that answers every path with one page left alone, `[exposure] paths` and `allow`,
//! a server error told as "could not tell", an exposed `.env` shown by its key names only, and a
//! dump told from its first bytes without waiting for the rest.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use futures::StreamExt as _;

use crate::support::nginx::Nginx;
use crate::support::recording::RecordingServer;
use crate::support::{Project, REPORTS, assert_no_output_shows};

const FEATURE: &str = "Feature: Nothing private\n  Scenario: nothing private is served\n    Then nothing private should be public on the site\n";

/// A project against `site` with `config` appended, running the one exposure scenario.
fn run_against(site: &str, config: &str) -> (Project, crate::support::Outcome) {
    let project = Project::new(site, config);
    project.file("features/private.feature", FEATURE);
    let outcome = project.shakedown().args(["run"]).args(REPORTS).run();
    (project, outcome)
}

#[test]
fn the_bundled_features_catch_an_exposed_git_folder_an_open_server_status_and_a_folder_listing_each_in_its_scenario()
 {
    let exposure = (
        "exposure.feature",
        "Private files and server pages are not served",
    );
    for (fault, failing, messages) in [
        (
            "exposed-git",
            vec![exposure],
            vec![
                "2 private file(s) served by http://127.0.0.1:",
                "/.git/HEAD → 200 OK: a Git HEAD (`ref: refs/heads/main`)",
                "/.git/config → 200 OK: a Git config with the sections `[core]`, `[remote \"origin\"]`",
            ],
        ),
        (
            "server-status",
            vec![exposure],
            vec!["/server-status → 200 OK: Apache's server status"],
        ),
        (
            "directory-listing",
            vec![
                (
                    "content.feature",
                    "Nothing a visitor can reach shows test strings or debug pages",
                ),
                (
                    "content.feature",
                    "Nothing a clerk can reach shows test strings or debug pages",
                ),
            ],
            vec!["/media/ [directory-listing] \"<html> <head><title>Index of /media/</title>"],
        ),
    ] {
        let outcome = crate::demo::fault_fails_exactly(fault, &failing, &messages);
        assert!(
            !outcome.stdout.contains("glpat-demo-deploy-token"),
            "the deploy token in .git/config shows:\n{}",
            outcome.stdout
        );
    }
}

/// The same page for every path, answered 200, echoing the path and a number that changes.
async fn soft_404(path: Option<Path<String>>) -> impl IntoResponse {
    let path = path.map_or_else(String::new, |Path(path)| path);
    let moment = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    Html(format!(
        "<html><head><title>Shop</title></head><body><h1>Oops</h1><p>We could not find /{path}.</p>\
         <p>Request {moment}</p><p><a href=\"/\">Back to the shop</a></p></body></html>"
    ))
}

#[test]
fn a_site_that_answers_every_path_with_the_same_page_serves_nothing_private() {
    let site = RecordingServer::start(
        Router::new()
            .route(
                "/",
                get(|| async { Html("<h1>Shop</h1><a href=\"/about.php\">About</a>") }),
            )
            .route("/{*path}", get(|path| soft_404(Some(path)))),
    );
    let (_project, outcome) = run_against(&site.url, "");
    outcome
        .expect_code(0)
        .expect_stdout(": none is served")
        .expect_stdout("1 passed, 0 failed");
    let requests = site.request_lines();
    assert!(
        requests.iter().all(|line| line.starts_with("GET ")),
        "{requests:?}"
    );
    for asked in [
        "GET /.git/HEAD",
        "GET /.env",
        "GET /about.php.bak",
        "GET /.about.php.swp",
        "GET /about.php~",
    ] {
        assert!(
            requests.iter().any(|line| line == asked),
            "{asked} not in {requests:?}"
        );
    }
}

#[test]
fn exposure_paths_are_asked_for_besides_the_list_and_allowed_ones_never() {
    let site = RecordingServer::start(
        Router::new()
            .route(
                "/backup.tar.gz",
                get(|| async { ([(header::CONTENT_TYPE, "application/gzip")], "\u{1f}archive") }),
            )
            .route(
                "/server-status",
                get(|| async {
                    Html("<html><title>Apache Status</title><h1>Apache Server Status for shop</h1></html>")
                }),
            ),
    );
    let (_project, outcome) = run_against(
        &site.url,
        "[exposure]\npaths = [\"/backup.tar.gz\"]\nallow = [\"/server-status\"]\n",
    );
    outcome
        .expect_code(1)
        .expect_stdout("1 private file(s) served by http://127.0.0.1:")
        .expect_stdout("/backup.tar.gz (`[exposure] paths`) → 200 OK: a gzip-compressed file");
    assert!(!outcome.stdout.contains("server-status"), "{}", outcome.stdout);
    let requests = site.request_lines();
    assert!(
        !requests.iter().any(|line| line.contains("/server-status")),
        "an allowed path was asked for: {requests:?}"
    );
}

#[test]
fn a_private_path_that_answers_a_server_error_is_not_clean() {
    let site = RecordingServer::start(Router::new().route(
        "/.env",
        get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "upstream failed") }),
    ));
    let (_project, outcome) = run_against(&site.url, "");
    outcome
        .expect_code(1)
        .expect_stdout("could not tell whether 1 private path(s) of http://127.0.0.1:")
        .expect_stdout(
            "/.env answered 500 Internal Server Error: a server error tells nothing of what the path holds",
        );
}

#[test]
fn an_exposed_env_file_is_shown_by_its_key_names_and_never_a_value() {
    const ENV: &str = "# live\nAPP_KEY=base64:c3VwZXItc2VjcmV0LWFwcC1rZXk=\nDB_PASSWORD=\"hunter2-live-db\"\nMAIL_DSN=smtp://ops:m41l-pass@mail.internal\n";
    let site = RecordingServer::start(Router::new().route(
        "/.env",
        get(|| async { ([(header::CONTENT_TYPE, "text/plain")], ENV) }),
    ));
    let (project, outcome) = run_against(&site.url, "");
    outcome.expect_code(1).expect_stdout(
        "/.env → 200 OK: an environment file setting `APP_KEY`, `DB_PASSWORD`, `MAIL_DSN` (values not shown)",
    );
    let values = [
        "c3VwZXItc2VjcmV0LWFwcC1rZXk",
        "hunter2-live-db",
        "m41l-pass",
        "mail.internal",
    ];
    assert_no_output_shows(&project, &outcome, &values.map(str::to_owned));
}

#[test]
fn a_dump_served_whole_is_told_from_its_first_bytes_without_waiting_for_the_rest() {
    // The first 128 KiB of a dump, then a server that never sends the rest: only what is read
    // (the first 64 KiB) is waited for, not the whole file, up to the step's timeout.
    let site = RecordingServer::start(Router::new().route(
        "/backup.sql",
        get(|| async {
            let head = format!(
                "-- MySQL dump 10.13\nCREATE TABLE `users` (`password` varchar(255));\n{}",
                "INSERT INTO `users` VALUES ('admin','$2y$10$x');\n".repeat(3_000)
            );
            let endless = futures::stream::once(async move { Ok::<_, std::io::Error>(head) })
                .chain(futures::stream::pending());
            (
                [(header::CONTENT_TYPE, "text/plain")],
                axum::body::Body::from_stream(endless),
            )
        }),
    ));
    let (_project, outcome) = run_against(&site.url, "[limits]\nstep_timeout = \"20s\"\n");
    outcome
        .expect_code(1)
        .expect_stdout("/backup.sql → 200 OK: an SQL dump creating the tables `users` (rows not shown)");
    assert!(
        outcome.took < std::time::Duration::from_secs(10),
        "the check waited {:?} for a dump that never ends",
        outcome.took
    );
}

/// nginx serving `root` on `port`, with `/private/` denied.
fn nginx_serving(root: &std::path::Path, folder: &std::path::Path, port: u16) -> Nginx {
    Nginx::start(
        folder,
        port,
        &format!(
            "    access_log off;\n    default_type text/plain;\n    server {{\n        listen 127.0.0.1:{port};\n        \
             root {root};\n        location /private/ {{ deny all; }}\n    }}",
            root = root.display(),
        ),
    )
}

#[test]
fn the_web_root_listed_over_ssh_finds_a_file_on_disk_and_served_and_not_one_the_server_denies() {
    let sshd = shakedown_testkit::sshd::Sshd::start();
    let root = tempfile::tempdir().expect("temp dir");
    let write = |path: &str, text: &str| {
        let path = root.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
        std::fs::write(path, text).expect("write");
    };
    write("index.html", "<h1>Shop</h1>");
    // Names no list holds: only the listing of the disk finds them.
    write("app/.env.local", "SECRET_TOKEN=on-disk-and-served\n");
    write("private/.env.staging", "DB_PASSWORD=on-disk-but-denied\n");
    let nginx_folder = tempfile::tempdir().expect("temp dir");
    let port = shakedown_testkit::sshd::free_port();
    let _nginx = nginx_serving(root.path(), nginx_folder.path(), port);
    let (_project, outcome) = run_against(
        &format!("http://127.0.0.1:{port}"),
        &format!(
            "[environments.test.hosts.web1]\nssh = \"{user}@127.0.0.1:{ssh_port}\"\ndocroot = \"{root}\"\n\n\
             [ssh]\nidentity_file = \"{identity}\"\nknown_hosts = \"{known_hosts}\"\nconnect_timeout = \"5s\"\n",
            user = sshd.user,
            ssh_port = sshd.port,
            root = root.path().display(),
            identity = sshd.path("user_key").display(),
            known_hosts = sshd.path("known_hosts").display(),
        ),
    );
    outcome
        .expect_code(1)
        .expect_stdout("nothing private is served [web1]")
        .expect_stdout("1 private file(s) served by http://127.0.0.1:")
        .expect_stdout(&format!(
            "/app/.env.local (on web1 at {}/app/.env.local) → 200 OK: an environment file setting `SECRET_TOKEN` (values not shown)",
            root.path().display()
        ));
    assert!(!outcome.stdout.contains(".env.staging"), "{}", outcome.stdout);
    assert!(!outcome.stdout.contains("on-disk-"), "{}", outcome.stdout);
}
