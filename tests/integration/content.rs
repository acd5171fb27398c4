//! Page content against the demo site: the built-in rules on one page and across a crawl, the
//! crawl's bounds and manners (it never follows logout), `[content]` configuration, and page
//! text read as a browser renders it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use crate::support::{DemoSite, Project};

const ADMIN: &str = r#"
[login]
path = "/accounts/login/"

[roles.admin]
username = "admin"
password_command = "echo admin-demo-pass"
"#;

const CRAWLS: &str = r#"Feature: Content
  Scenario: a visitor's pages
    Given I am not logged in
    Then no page reachable from "/" should contain forbidden content

  Scenario: an administrator's pages
    Given I am logged in as "admin"
    Then no page reachable from "/dashboard/" should contain forbidden content
"#;

#[test]
fn a_healthy_site_passes_and_the_crawl_never_logs_out() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, ADMIN);
    project.file("features/content.feature", CRAWLS);
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("note: checked 35 page(s) reachable from / as anonymous")
        .expect_stdout(
            "note: checked 37 page(s) reachable from /dashboard/ as admin, 1 unsafe link(s) skipped",
        );
    assert_eq!(
        site.stats()["logout_requests"],
        0,
        "the crawler followed the logout link"
    );
}

#[test]
fn a_test_string_is_caught_with_its_rule_and_url() {
    let site = DemoSite::start(&["test-string"]);
    let project = Project::new(&site.url, ADMIN);
    project.file("features/content.feature", CRAWLS);
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("forbidden content on 1 of 35 page(s) reachable from /")
        .expect_stdout(&format!("{}/ [lorem-ipsum] \"…ome to the Ledger demo", site.url))
        .expect_stdout("[test-please-ignore]");
}

#[test]
fn a_debug_page_is_caught_on_one_page_and_in_the_crawl() {
    let site = DemoSite::start(&["debug-page"]);
    let project = Project::new(&site.url, ADMIN);
    project.file("features/content.feature", CRAWLS);
    project.file(
        "features/page.feature",
        "Feature: Page\n  Scenario: reports\n    When I request \"/reports/\"\n    Then the page should contain no forbidden content\n",
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        // The debug page answers 500 and the scenario does not expect it: the request fails.
        .expect_stdout("`GET /reports/` answered 500 Internal Server Error")
        .expect_stdout(&format!("{}/reports/ [django-debug] ", site.url))
        .expect_stdout("1 passed, 2 failed");
}

#[test]
fn configured_rules_bounds_and_exceptions_apply() {
    let site = DemoSite::start(&[]);
    let project = Project::new(
        &site.url,
        r#"
[content]
crawl_max_pages = 10
crawl_skip = ["/help/\\?page=", "^/$"]

[content.rules]
ledger-tagline = "simple bookkeeping"

[[content.allow]]
path = "/help/"
rules = ["ledger-tagline"]
"#,
    );
    project.file(
        "features/content.feature",
        r#"Feature: Content
  Scenario: the crawl stops at its bound
    Then no page reachable from "/help/" should contain forbidden content

  Scenario: a custom rule fires outside its exception
    When I request "/"
    Then the page should contain no forbidden content

  Scenario: extra strings
    When I request "/"
    Then the page should not contain any of:
      | Welcome to Ledger |
      | nowhere to be seen |
"#,
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("note: checked 10 page(s) reachable from /help/ as anonymous, ")
        .expect_stdout("unsafe link(s) skipped, stopped at `content.crawl_max_pages` = 10")
        .expect_stdout(&format!("forbidden content on {}/: ledger-tagline", site.url))
        .expect_stdout(&format!("1 forbidden string(s) on {}/", site.url))
        .expect_stdout("\"Welcome to Ledger\": ");
}

/// A loopback site answering each path in `pages` with its HTML (404 for any other), on a
/// thread that lives as long as the test binary.
fn serve(pages: &'static [(&'static str, &'static str)]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = BufReader::new(&stream);
            let mut request_line = String::new();
            let _ = request.read_line(&mut request_line);
            let mut header = String::new();
            while request.read_line(&mut header).is_ok_and(|read| read > 2) {
                header.clear();
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or_default();
            let (status, body) = match pages.iter().find(|(page, _)| *page == path) {
                Some((_, html)) => ("200 OK", *html),
                None => ("404 Not Found", "<p>not found</p>"),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn words_split_by_inline_markup_read_whole_in_both_directions() {
    let url = serve(&[
        (
            "/ledger",
            "<html><body><h1>Welcome to Le<b>dg</b>er</h1><p>Books</p></body></html>",
        ),
        (
            "/placeholder",
            "<html><body><p>Lo<span>rem</span> ipsum, our new motto</p></body></html>",
        ),
    ]);
    let project = Project::new(&url, "");
    project.file(
        "features/text.feature",
        r#"Feature: Text as a browser renders it
  Scenario: a word split by inline markup is found
    When I request "/ledger"
    Then the response should contain "Welcome to Ledger Books"

  Scenario: a test string split by inline markup is caught
    When I request "/placeholder"
    Then the page should contain no forbidden content
"#,
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout(&format!("forbidden content on {url}/placeholder: lorem-ipsum"))
        .expect_stdout("1 passed, 1 failed");
}
