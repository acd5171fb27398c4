//! Page content against the demo site and small local sites playing one case each: the built-in
//! rules on one page and across a crawl, the crawl's bounds and manners (it never follows
//! logout, it fails on a page it could not read, its page limit covers every shape of page),
//! documentation in code elements, `[content]` configuration, and page text read as a browser
//! renders it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::Path as UrlPath;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;

use crate::support::recording::RecordingServer;
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
        .expect_stdout(
            "2 link(s) skipped by `content.crawl_skip`, stopped at `content.crawl_max_pages` = 10, covering 2 of 2 page shape(s) found, 11 page(s) left out",
        )
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

/// An HTML page answering `status`.
fn page(status: StatusCode, html: &'static str) -> axum::routing::MethodRouter {
    get(move || async move { (status, Html(html)) })
}

#[test]
fn error_and_missing_pages_are_broken_links_named_with_their_link_and_a_refused_page_is_noted() {
    let site = RecordingServer::start(
        Router::new()
            .route(
                "/",
                page(
                    StatusCode::OK,
                    r#"<a href="/ok">Fine</a> <a href="/down/">Reports</a> <a href="/gone">Old</a>"#,
                ),
            )
            .route("/ok", page(StatusCode::OK, "<p>All fine</p>"))
            .route("/down/", page(StatusCode::INTERNAL_SERVER_ERROR, "<p>Oops</p>"))
            .route(
                "/docs/",
                page(
                    StatusCode::OK,
                    r#"<a href="/docs/a">A</a> <a href="/docs/missing">Missing</a>"#,
                ),
            )
            .route("/docs/a", page(StatusCode::OK, "<p>A</p>"))
            .route(
                "/members/",
                page(StatusCode::OK, r#"<a href="/members/area">Members only</a>"#),
            )
            .route("/members/area", page(StatusCode::FORBIDDEN, "<p>Log in</p>")),
    );
    let url = &site.url;
    let project = Project::new(url, "");
    project.file(
        "features/crawl.feature",
        r#"Feature: Crawl
  Scenario: a page reached by a link answers 500
    Then no page reachable from "/" should contain forbidden content

  Scenario: the start page answers 500
    Then no page reachable from "/down/" should contain forbidden content

  Scenario: a link leads to a missing page
    Then no page reachable from "/docs/" should have broken links or assets

  Scenario: a link leads to a page this visitor may not see
    Then no page reachable from "/members/" should have broken links or assets
"#,
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("2 broken links reachable from /\n")
        .expect_stdout(&format!(
            "broken links:  {url}/gone answered 404 Not Found (link \"Old\" on {url}/)"
        ))
        .expect_stdout(&format!(
            "{url}/down/ answered 500 Internal Server Error (link \"Reports\" on {url}/)"
        ))
        .expect_stdout("the crawl could not start: /down/ answered 500 Internal Server Error")
        .expect_stdout(&format!(
            "{url}/docs/missing answered 404 Not Found (link \"Missing\" on {url}/docs/)"
        ))
        .expect_stdout(&format!(
            "note: checked 2 page(s) reachable from /members/ as anonymous, 1 of them answered 401, 403 or 429 (access, not breakage), their links not followed ({url}/members/area answered 403 Forbidden (link \"Members only\" on {url}/members/))"
        ))
        .expect_stdout("1 passed, 3 failed");
}

#[test]
fn documentation_in_code_elements_passes_and_the_same_text_outside_them_fails() {
    let site = RecordingServer::start(
        Router::new()
            .route(
                "/docs",
                page(
                    StatusCode::OK,
                    r#"<h1>Templates</h1><p>Write <code>{{ user.name }}</code> to greet a user:</p>
                       <pre>{% if user %}Hello {{ user.name }}{% endif %}</pre>
                       <pre class="wiki">Traceback (most recent call last):
  File "/srv/trac/web/main.py", line 12, in dispatch</pre>
                       <form><textarea name="text">${draft.body}</textarea></form>
                       <a href="/broken">Broken</a>"#,
                ),
            )
            .route(
                "/broken",
                page(
                    StatusCode::OK,
                    "<p>Hello {{ user.name }}</p><pre>{{ fine }}</pre>",
                ),
            ),
    );
    let project = Project::new(&site.url, "");
    project.file(
        "features/docs.feature",
        r#"Feature: Documentation
  Scenario: a page of documentation
    When I request "/docs"
    Then the page should contain no forbidden content

  Scenario: the crawl
    Then no page reachable from "/docs" should contain forbidden content
"#,
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("forbidden content on 1 of 2 page(s) reachable from /docs")
        .expect_stdout(&format!(
            "{}/broken [unrendered-template] \"Hello {{{{ user.name }}}}",
            site.url
        ))
        .expect_stdout("1 passed, 1 failed");
}

#[test]
fn an_allowed_path_covers_its_own_segments_and_configured_skips_are_counted_apart() {
    let lorem = "<p>Lorem ipsum dolor sit amet</p>";
    let site = RecordingServer::start(
        Router::new()
            .route(
                "/docs/Guide",
                page(
                    StatusCode::OK,
                    r#"<p>Lorem ipsum dolor sit amet</p>
                       <a href="/docs/Guide/Intro">Intro</a> <a href="/docs/GuideIndex">Index</a>
                       <a href="/private/notes">Notes</a> <a href="/accounts/logout/">Log out</a>"#,
                ),
            )
            .route("/docs/Guide/Intro", page(StatusCode::OK, lorem))
            .route("/docs/GuideIndex", page(StatusCode::OK, lorem)),
    );
    let project = Project::new(
        &site.url,
        "[content]\ncrawl_skip = [\"^/private/\"]\n\n[[content.allow]]\npath = \"/docs/Guide\"\nrules = [\"lorem-ipsum\"]\n",
    );
    project.file(
        "features/crawl.feature",
        "Feature: Crawl\n  Scenario: the guide\n    Then no page reachable from \"/docs/Guide\" should contain forbidden content\n",
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout("forbidden content on 1 of 3 page(s) reachable from /docs/Guide")
        .expect_stdout(&format!("{}/docs/GuideIndex [lorem-ipsum]", site.url))
        .expect_stdout(
            "checked 3 page(s) reachable from /docs/Guide as anonymous, 1 link(s) skipped by `content.crawl_skip`, 1 unsafe link(s) skipped",
        );
    assert!(
        !outcome.stdout.contains("/docs/Guide/Intro [lorem-ipsum]"),
        "{}",
        outcome.stdout
    );
}

/// A tracker: a home page linking 300 tickets (in an order that changes with every visit), a
/// wiki page and an about page; each ticket links its history and its milestone.
fn tracker() -> RecordingServer {
    let visits = Arc::new(AtomicUsize::new(0));
    RecordingServer::start(
        Router::new()
            .route(
                "/",
                get(move || {
                    let visit = visits.fetch_add(1, Ordering::SeqCst);
                    async move {
                        let mut tickets: Vec<usize> = (1..=300).collect();
                        tickets.rotate_left(visit * 97 % 300);
                        let links: String = tickets
                            .iter()
                            .map(|number| format!(r#"<a href="/ticket/{number}">#{number}</a> "#))
                            .collect();
                        Html(format!(
                            r#"{links}<a href="/wiki/Start">Wiki</a> <a href="/about">About</a>"#
                        ))
                    }
                }),
            )
            .route(
                "/ticket/{number}",
                get(|UrlPath(number): UrlPath<usize>| async move {
                    Html(format!(
                        r#"<a href="/ticket/{number}?action=history">History</a> <a href="/milestone/{}">Milestone</a>"#,
                        number % 3
                    ))
                }),
            )
            .route("/milestone/{number}", page(StatusCode::OK, "<p>milestone</p>"))
            .route("/wiki/Start", page(StatusCode::OK, "<p>wiki</p>"))
            .route("/about", page(StatusCode::OK, "<p>about</p>")),
    )
}

#[test]
fn a_crawl_cut_short_by_its_page_limit_checks_every_shape_of_page_and_the_same_pages_each_time() {
    let site = tracker();
    let project = Project::new(&site.url, "[content]\ncrawl_max_pages = 20\n");
    project.file(
        "features/crawl.feature",
        "Feature: Crawl\n  Scenario: the tracker\n    Then no page reachable from \"/\" should contain forbidden content\n",
    );
    let crawl = || {
        let before = site.request_lines().len();
        project
            .shakedown()
            .args(["run"])
            .run()
            .expect_code(0)
            .expect_stdout(
                "note: checked 20 page(s) reachable from / as anonymous, stopped at `content.crawl_max_pages` = 20, covering 6 of 6 page shape(s) found, ",
            );
        let mut requested: Vec<String> = site.request_lines()[before..].to_vec();
        requested.sort();
        requested
    };
    let first = crawl();
    assert_eq!(first.len(), 20, "{first:?}");
    for shape in [
        "GET /wiki/Start",
        "GET /about",
        "GET /ticket/1",
        "GET /ticket/1?action=history",
        "GET /milestone/1",
    ] {
        assert!(first.iter().any(|line| line == shape), "no {shape}: {first:?}");
    }
    assert_eq!(
        crawl(),
        first,
        "the links came in another order, and the sample changed"
    );
}
