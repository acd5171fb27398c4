//! The crawl checks that everything it meets works: a page linked from the site that answers an
//! error is a broken link named with its link's text, each sub-resource the pages load is asked
//! for once however many pages load it, other origins only when asked, an `http://` sub-resource
//! of an `https://` page is mixed content, and the demo's broken releases are caught by exactly
//! the crawl scenarios of the bundled features.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::public_face::{HttpsSite, serve_https_pages};
use crate::support::recording::RecordingServer;
use crate::support::{Outcome, Project};

const BROKEN_THINGS: &str = r#"Feature: Links
  Scenario: everything works
    Then no page reachable from "/" should have broken links or assets
"#;

/// Three pages that load the same style sheets and images.
const PAGE: &str = r#"<html><head>
<link rel="stylesheet" href="/static/missing.css">
<link rel="preload stylesheet" href="/static/site.css">
<link rel="icon" href="/favicon.ico">
</head><body>
<img src="/img/logo.png" srcset="/img/logo.png 1x, /img/logo@2x.png 2x" alt="">
<a href="/a">A</a> <a href="/b">B</a> <a href="/c">C</a>
</body></html>"#;

fn html(body: &'static str) -> axum::routing::MethodRouter {
    get(move || async move { Html(body) })
}

fn answer(status: StatusCode, content_type: &'static str, body: &'static str) -> axum::routing::MethodRouter {
    get(move || async move { (status, [(header::CONTENT_TYPE, content_type)], body).into_response() })
}

/// How many of `lines` name `target`.
fn count(lines: &[String], target: &str) -> usize {
    lines.iter().filter(|line| line.as_str() == target).count()
}

#[test]
fn a_link_to_a_missing_page_is_named_with_the_page_that_links_to_it_and_its_text() {
    let site = RecordingServer::start(
        Router::new()
            .route(
                "/",
                html(r#"<a href="/pricing/">Our <b>prices</b></a> <a href="/ok">Fine</a>"#),
            )
            .route("/ok", html(r#"<a href="/gone">Old reports</a>"#))
            .route("/gone", answer(StatusCode::GONE, "text/html", "<p>gone</p>")),
    );
    let url = &site.url;
    let project = Project::new(url, "");
    project.file("features/links.feature", BROKEN_THINGS);
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("2 broken links reachable from /\n")
        .expect_stdout(&format!(
            "{url}/pricing/ answered 404 Not Found (link \"Our prices\" on {url}/)"
        ))
        .expect_stdout(&format!(
            "{url}/gone answered 410 Gone (link \"Old reports\" on {url}/ok)"
        ));
}

#[test]
fn a_missing_style_sheet_and_a_failing_image_are_each_named_once_and_asked_for_once_however_many_pages_load_them()
 {
    let site = RecordingServer::start(
        Router::new()
            .route("/", html(PAGE))
            .route("/a", html(PAGE))
            .route("/b", html(PAGE))
            .route("/c", html(PAGE))
            .route(
                "/static/site.css",
                answer(
                    StatusCode::OK,
                    "text/css",
                    "/* url(/img/commented.png) */ body { background: url('../img/paper.png') } h1 { background: url(/img/logo.png) }",
                ),
            )
            .route("/static/missing.css", answer(StatusCode::NOT_FOUND, "text/html", "gone"))
            .route("/favicon.ico", answer(StatusCode::OK, "image/png", "png"))
            .route("/img/logo@2x.png", answer(StatusCode::OK, "image/png", "png"))
            .route("/img/paper.png", answer(StatusCode::INTERNAL_SERVER_ERROR, "text/html", "oops"))
            .route("/img/logo.png", answer(StatusCode::INTERNAL_SERVER_ERROR, "text/html", "oops")),
    );
    let url = &site.url;
    let project = Project::new(url, "");
    project.file("features/links.feature", BROKEN_THINGS);
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout("3 broken assets reachable from /\n")
        .expect_stdout(&format!(
            "{url}/static/missing.css answered 404 Not Found (<link rel=stylesheet> on {url}/, and 3 more)"
        ))
        .expect_stdout(&format!(
            "{url}/img/logo.png answered 500 Internal Server Error (<img src> on {url}/, and 4 more)"
        ))
        .expect_stdout(&format!(
            "{url}/img/paper.png answered 500 Internal Server Error (url() on {url}/static/site.css)"
        ))
        .expect_stdout("and 6 asset(s) they load");
    assert_eq!(
        outcome.stdout.matches("/static/missing.css answered").count(),
        1,
        "{}",
        outcome.stdout
    );
    let lines = site.request_lines();
    // A style sheet is read by GET; anything else by HEAD, and GET only to confirm an error.
    for (target, times) in [
        ("GET /static/missing.css", 1),
        ("GET /static/site.css", 1),
        ("HEAD /img/logo.png", 1),
        ("GET /img/logo.png", 1),
        ("HEAD /img/paper.png", 1),
        ("GET /img/paper.png", 1),
        ("HEAD /img/logo@2x.png", 1),
        ("GET /img/logo@2x.png", 0),
        ("HEAD /favicon.ico", 1),
        ("GET /img/commented.png", 0),
        ("HEAD /img/commented.png", 0),
    ] {
        assert_eq!(count(&lines, target), times, "{target} in {lines:#?}");
    }
    assert!(
        lines
            .iter()
            .all(|line| line.starts_with("GET ") || line.starts_with("HEAD ")),
        "{lines:#?}"
    );
}

#[test]
fn an_asset_on_another_origin_is_left_alone_unless_check_external_asks_for_it() {
    let cdn = RecordingServer::start(Router::new());
    let page: &'static str = Box::leak(
        format!(
            r#"<script src="{}/lib/app.js"></script><img src="/logo.png" alt="">"#,
            cdn.url
        )
        .into_boxed_str(),
    );
    let site = RecordingServer::start(
        Router::new()
            .route("/", html(page))
            .route("/logo.png", answer(StatusCode::OK, "image/png", "png")),
    );
    let by_default = Project::new(&site.url, "");
    by_default.file("features/links.feature", BROKEN_THINGS);
    by_default
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout(
            "note: checked 1 page(s) reachable from / as anonymous, and 1 asset(s) they load, 1 asset(s) on other origins not checked (`content.check_external`)",
        );
    assert_eq!(cdn.request_lines(), Vec::<String>::new(), "the CDN was asked");

    let external = Project::new(&site.url, "[content]\ncheck_external = true\n");
    external.file("features/links.feature", BROKEN_THINGS);
    external
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("1 broken asset reachable from /\n")
        .expect_stdout(&format!(
            "{}/lib/app.js answered 404 Not Found (<script src> on {}/)",
            cdn.url, site.url
        ));
    assert_eq!(cdn.request_lines(), ["HEAD /lib/app.js", "GET /lib/app.js"]);
}

#[test]
fn a_source_map_is_asked_for_only_when_check_source_maps_is_on() {
    let site = RecordingServer::start(
        Router::new()
            .route("/", html(r#"<script src="/app.js"></script>"#))
            .route(
                "/app.js",
                answer(
                    StatusCode::OK,
                    "text/javascript",
                    "run();\n//# sourceMappingURL=app.js.map\n",
                ),
            ),
    );
    let by_default = Project::new(&site.url, "");
    by_default.file("features/links.feature", BROKEN_THINGS);
    by_default.shakedown().args(["run"]).run().expect_code(0);
    assert_eq!(site.request_lines(), ["GET /", "HEAD /app.js"]);

    let with_maps = Project::new(&site.url, "[content]\ncheck_source_maps = true\n");
    with_maps.file("features/links.feature", BROKEN_THINGS);
    with_maps
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout(&format!(
            "{}/app.js.map answered 404 Not Found (sourceMappingURL on {}/app.js)",
            site.url, site.url
        ));
}

/// The broken-things crawl of an HTTPS site whose certificate the project trusts: the site's
/// address, and how the run went.
fn crawl_https(site: &HttpsSite) -> (String, Outcome) {
    let start = format!("https://localhost:{}", site.port);
    let project = Project::new(
        &start,
        "[limits]\nstep_timeout = \"5s\"\n[probes]\ntls_ca_file = \"certs/site.pem\"\n",
    );
    project.file("certs/site.pem", &site.certificate_pem);
    project.file("features/links.feature", BROKEN_THINGS);
    let outcome = project.shakedown().args(["run"]).run();
    (start, outcome)
}

#[test]
fn an_http_image_on_an_https_page_is_mixed_content_named_with_the_page_and_never_asked_for() {
    let plain = RecordingServer::start(Router::new());
    let page: &'static str =
        Box::leak(format!(r#"<p>Shop</p><img src="{}/pixel.png" alt="">"#, plain.url).into_boxed_str());
    let (start, outcome) = crawl_https(&serve_https_pages(&[("/", "")], page));
    outcome
        .expect_code(1)
        .expect_stdout("1 mixed-content asset reachable from /\n")
        .expect_stdout(&format!(
            "mixed content:  {}/pixel.png is mixed content: loaded over http:// by an https:// page, which browsers block or warn about (<img src> on {start}/)",
            plain.url
        ));
    assert_eq!(
        plain.request_lines(),
        Vec::<String>::new(),
        "the http:// image was asked for"
    );
}

#[test]
fn an_http_address_on_a_page_that_upgrades_insecure_requests_is_asked_for_over_https_not_called_mixed_content()
 {
    let site = serve_https_pages(
        &[
            (
                "/",
                "Content-Security-Policy: default-src 'self'; upgrade-insecure-requests\r\n",
            ),
            ("/pixel.png", ""),
        ],
        r#"<p>Shop</p><img src="http://localhost:{port}/pixel.png" alt=""><img src="http://localhost:{port}/gone.png" alt="">"#,
    );
    let (start, outcome) = crawl_https(&site);
    outcome
        .expect_code(1)
        .expect_stdout("1 broken asset reachable from /\n")
        .expect_stdout(&format!(
            "{start}/gone.png answered 404 Not Found (<img src> on {start}/)"
        ));
    assert!(!outcome.stdout.contains("mixed"), "{}", outcome.stdout);
}

#[test]
fn the_bundled_features_catch_a_broken_asset_and_a_broken_link_in_the_crawl_scenarios_only() {
    const CRAWLS: [(&str, &str); 3] = [
        (
            "content.feature",
            "Nothing a visitor can reach shows test strings or debug pages",
        ),
        (
            "content.feature",
            "Nothing a clerk can reach shows test strings or debug pages",
        ),
        (
            "content.feature",
            "Every page a visitor can reach works, and so does everything it loads",
        ),
    ];
    for (fault, messages) in [
        (
            "broken-asset",
            [
                "/static/ledger.css answered 404 Not Found (<link rel=stylesheet> on http://127.0.0.1:",
                "/static/logo.png answered 500 Internal Server Error (<img src> on http://127.0.0.1:",
            ],
        ),
        (
            "broken-link",
            [
                "1 broken link reachable from /\n",
                "/pricing/ answered 404 Not Found (link \"Pricing\" on http://127.0.0.1:",
            ],
        ),
    ] {
        crate::demo::fault_fails_exactly(fault, &CRAWLS, &messages);
    }
}

#[test]
fn the_assets_one_crawl_asks_for_are_bounded_by_crawl_max_assets_and_by_the_step_deadline() {
    let site = RecordingServer::start(
        Router::new()
            .route(
                "/",
                html(r#"<img src="/1.png"><img src="/2.png"><img src="/3.png"><img src="/4.png">"#),
            )
            .route("/slow", html(r#"<img src="/never.png">"#))
            .route(
                "/never.png",
                get(|| async {
                    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                    "late"
                }),
            )
            .route("/1.png", answer(StatusCode::OK, "image/png", "png"))
            .route("/2.png", answer(StatusCode::OK, "image/png", "png"))
            .route("/3.png", answer(StatusCode::OK, "image/png", "png"))
            .route("/4.png", answer(StatusCode::OK, "image/png", "png")),
    );
    let project = Project::new(
        &site.url,
        "[limits]\nstep_timeout = \"1s\"\n[content]\ncrawl_max_assets = 2\n",
    );
    project.file(
        "features/links.feature",
        r#"Feature: Links
  Scenario: many images
    Then no page reachable from "/" should have broken links or assets

  Scenario: an image that never answers
    Then no page reachable from "/slow" should have broken links or assets
"#,
    );
    let started = std::time::Instant::now();
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout(
            "note: checked 1 page(s) reachable from / as anonymous, and 2 asset(s) they load, stopped at `content.crawl_max_assets` = 2, 2 asset(s) left out",
        )
        .expect_stdout(
            "note: checked 1 page(s) reachable from /slow as anonymous, stopped at the step's deadline, 1s (`limits.step_timeout`), 1 asset(s) left out",
        );
    assert!(
        started.elapsed().as_secs() < 10,
        "the crawl outlived its deadline"
    );
    let heads = site
        .request_lines()
        .into_iter()
        .filter(|line| line.starts_with("HEAD /") && line != "HEAD /never.png")
        .count();
    assert_eq!(heads, 2, "{:#?}", site.request_lines());
}
