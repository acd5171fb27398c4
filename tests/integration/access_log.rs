//! `init --from-access-log`: the log a real nginx writes (started here on a loopback port, with
//! its own configuration and prefix) and its gzipped rotation become `features/usage.feature`,
//! the most requested pages with identifiers generalised, static files, bots, tokens and other
//! methods left out, pages behind a login listed (a redirect followed by the login page among
//! them), unreadable lines counted; the feature passes against the server and fails once it is
//! gone, and the pages seed the crawl.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

use crate::support::nginx::Nginx;
use crate::support::{Project, Shakedown};
use shakedown_testkit::sshd::free_port;

/// nginx logging in the combined format to `folder/access.log`.
fn nginx(folder: &Path, port: u16) -> Nginx {
    Nginx::start(
        folder,
        port,
        &format!(
            r#"    access_log {dir}/access.log combined;
    default_type text/html;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "<html><body><p>A page of the application</p></body></html>"; }}
        location /private/ {{ return 401; }}
        location /missing/ {{ return 404; }}
        location /account/ {{ return 302 /accounts/login/?next=/account/; }}
        location /old/ {{ return 302 /new/; }}
        location /hidden/ {{ return 200 "<html><body><p>Lorem ipsum dolor sit amet</p></body></html>"; }}
    }}"#,
            dir = folder.display()
        ),
    )
}

/// One request as a browser (or a bot) would send it.
fn request(port: u16, method: &str, target: &str, agent: &str) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {agent}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
}

const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

#[test]
fn the_pages_clients_ask_for_in_a_real_nginx_log_and_its_rotation_become_an_outline_that_runs() {
    let folder = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let server = nginx(folder.path(), port);
    for target in [
        "/invoices/1742",
        "/invoices/1742",
        "/invoices/981",
        "/",
        "/reports/?type=monthly&utm_source=mail",
    ] {
        request(port, "GET", target, BROWSER);
    }
    drop(server);
    let rotated = Command::new("gzip")
        .arg(folder.path().join("access.log"))
        .status()
        .expect("gzip runs");
    assert!(rotated.success());
    let server = nginx(folder.path(), port);
    for (method, target, agent) in [
        ("GET", "/invoices/1742", BROWSER),
        ("GET", "/reports/?type=monthly", BROWSER),
        ("GET", "/static/app.css", BROWSER),
        ("GET", "/?sid=9f86d081884c7d659a2feaa0c55ad015", BROWSER),
        (
            "GET",
            "/prices/",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ),
        ("POST", "/invoices/", BROWSER),
        ("GET", "/missing/", BROWSER),
        ("GET", "/private/export", BROWSER),
    ] {
        request(port, method, target, agent);
    }
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(folder.path().join("access.log"))
        .expect("the log");
    writeln!(log, "not a line of an access log").expect("append");
    let project = Project::new(&format!("http://127.0.0.1:{port}/"), "");
    let outcome = project
        .shakedown()
        .args([
            std::ffi::OsStr::new("init"),
            std::ffi::OsStr::new("--from-access-log"),
            folder.path().join("access.log.gz").as_os_str(),
            folder.path().join("access.log").as_os_str(),
        ])
        .run();
    outcome
        .expect_code(0)
        .expect_stdout("wrote features/usage.feature: 3 page(s) from 14 line(s); 5 left out (static files, bots, other methods or statuses, tokens), 1 could not be read as a log line");
    let feature =
        std::fs::read_to_string(project.path().join("features/usage.feature")).expect("the feature");
    assert!(
        feature.contains(
            "    Examples:\n      | path                   | requests |\n      | /invoices/1742         | 4        |\n      | /reports/?type=monthly | 2        |\n      | /                      | 1        |\n"
        ),
        "{feature}"
    );
    assert!(feature.contains("  #   /private/export\n"), "{feature}");
    for left_out in ["app.css", "sid=", "/prices/", "/missing/", "utm_source"] {
        assert!(!feature.contains(left_out), "{left_out} in:\n{feature}");
    }
    project.shakedown().args(["check"]).run().expect_code(0);
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("3 passed, 0 failed");
    drop(server);
    project.shakedown().args(["run"]).run().expect_code(1);
}

#[test]
fn a_redirect_the_client_follows_to_the_login_page_lists_its_page_as_behind_a_login() {
    let folder = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let server = nginx(folder.path(), port);
    for target in ["/account/", "/accounts/login/?next=/account/", "/old/", "/new/"] {
        request(port, "GET", target, BROWSER);
    }
    drop(server);
    let project = Project::new(&format!("http://127.0.0.1:{port}/"), "");
    project
        .shakedown()
        .args([
            std::ffi::OsStr::new("init"),
            std::ffi::OsStr::new("--from-access-log"),
            folder.path().join("access.log").as_os_str(),
        ])
        .run()
        .expect_code(0)
        .expect_stdout("wrote features/usage.feature: 2 page(s) from 4 line(s); 1 left out")
        .expect_stdout("add to `[content]` in shakedown.toml\ncrawl_seeds = [\n    \"/accounts/login/\",\n    \"/new/\",\n]");
    let feature =
        std::fs::read_to_string(project.path().join("features/usage.feature")).expect("the feature");
    assert!(feature.contains("  #   /account/\n"), "{feature}");
    assert!(!feature.contains("/old/"), "{feature}");
    project.shakedown().args(["check"]).run().expect_code(0);
}

#[test]
fn the_pages_of_the_log_seed_the_crawl_so_forbidden_content_on_an_unlinked_page_is_caught() {
    let folder = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let server = nginx(folder.path(), port);
    for target in ["/", "/hidden/"] {
        request(port, "GET", target, BROWSER);
    }
    let project = tempfile::tempdir().expect("temp dir");
    Shakedown::new()
        .current_dir(project.path())
        .args([
            std::ffi::OsStr::new("init"),
            std::ffi::OsStr::new("--from-access-log"),
            folder.path().join("access.log").as_os_str(),
        ])
        .run()
        .expect_code(0)
        .expect_stdout("wrote shakedown.toml");
    let config_path = project.path().join("shakedown.toml");
    let config = std::fs::read_to_string(&config_path).expect("the configuration");
    assert!(
        config.contains("crawl_seeds = [\n    \"/\",\n    \"/hidden/\",\n]\n"),
        "{config}"
    );
    // The user points the written configuration at the site, as its comment asks.
    let config = config.replace("http://localhost/", &format!("http://127.0.0.1:{port}/"));
    std::fs::write(&config_path, config).expect("edit the configuration");
    std::fs::write(
        project.path().join("features/crawl.feature"),
        "Feature: Crawl\n  Scenario: every page\n    Then no page reachable from \"/\" should contain forbidden content\n",
    )
    .expect("the crawl feature");
    Shakedown::new()
        .current_dir(project.path())
        .args(["run", "features/crawl.feature"])
        .run()
        .expect_code(1)
        .expect_stdout(&format!("http://127.0.0.1:{port}/hidden/ [lorem-ipsum]"));
    drop(server);
}
