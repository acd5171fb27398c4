//! The site as the public sees it: the security headers it sends (HSTS over a real local HTTPS
//! server), single headers asserted absent, exact or free of a text, and `robots.txt` and
//! `noindex` read as search engines read them; against the demo site and small local sites.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::support::recording::RecordingServer;
use crate::support::{DemoSite, Project};

const HEADERS: &str = r#"Feature: Headers
  Scenario: the home page's security headers
    When I request "/"
    Then the site should send the security headers

  Scenario: no X-Powered-By
    When I request "/"
    Then the response header "X-Powered-By" should not be present

  Scenario: framing denied
    When I request "/"
    Then the response header "X-Frame-Options" should be "DENY"

  Scenario: no version in Server
    When I request "/"
    Then the response header "Server" should not contain "/"
"#;

#[test]
fn the_healthy_demo_sends_its_security_headers_and_a_dropped_one_is_named() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file("features/headers.feature", HEADERS);
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("4 passed");

    let broken = DemoSite::start(&["missing-security-headers"]);
    let project = Project::new(&broken.url, "");
    project.file("features/headers.feature", HEADERS);
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout(&format!("2 security header rule(s) broken on {}/", broken.url))
        .expect_stdout("`X-Content-Type-Options: nosniff` is missing (not sent)")
        .expect_stdout("no framing rule: neither `X-Frame-Options: DENY` or `SAMEORIGIN` (not sent)")
        .expect_stdout("the response header `X-Frame-Options` is not \"DENY\"")
        .expect_stdout("no `X-Frame-Options` header; headers sent:")
        .expect_stdout("2 passed, 2 failed");
}

#[test]
fn a_header_that_must_be_absent_or_free_of_a_text_fails_with_its_value() {
    let site = RecordingServer::start(Router::new().route(
        "/",
        get(|| async {
            (
                [
                    (header::SERVER, "Apache/2.4.62 (Debian)"),
                    (header::HeaderName::from_static("x-powered-by"), "PHP/8.2.7"),
                    (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
                    (header::SET_COOKIE, "PHPSESSID=s3cr3t-session-value; path=/"),
                ],
                Html("<p>Welcome</p>"),
            )
        }),
    ));
    let project = Project::new(&site.url, "");
    project.file("features/headers.feature", HEADERS);
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout("the response sends the header `X-Powered-By`, which it should not")
        .expect_stdout("X-Powered-By: PHP/8.2.7")
        .expect_stdout("the response header `X-Frame-Options` is not \"DENY\"")
        .expect_stdout("X-Frame-Options: SAMEORIGIN")
        .expect_stdout("the response header `Server` contains \"/\", which it should not")
        .expect_stdout(
            "`Server: Apache/2.4.62 (Debian)` and `X-Powered-By: PHP/8.2.7` tell(s) everyone which version",
        )
        .expect_stdout("the session cookie `PHPSESSID` is set without HttpOnly")
        .expect_stdout("0 passed, 4 failed");
    assert!(
        !outcome.stdout.contains("s3cr3t-session-value"),
        "a session cookie's value was printed:\n{}",
        outcome.stdout
    );
    // The one rule the team cannot meet yet is left out; `Server` keeps failing its own step.
    let project = Project::new(
        &site.url,
        "[headers]\nrequired = [\"nosniff\", \"framing\", \"session-cookies\"]\n",
    );
    project.file(
        "features/headers.feature",
        "Feature: Headers\n  Scenario: h\n    When I request \"/\"\n    Then the site should send the security headers\n",
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("2 security header rule(s) broken")
        .expect_stdout("`X-Content-Type-Options: nosniff` is missing")
        .expect_stdout("the session cookie `PHPSESSID`");
}

#[test]
fn an_unknown_security_header_rule_is_refused_at_its_line() {
    crate::support::expect_check_refuses(&[(
        "[headers]\nrequired = [\"nosniff\", \"hsts-preload\"]\n",
        "`headers.required`: `hsts-preload` is not a security header rule (known: hsts, nosniff, framing, server-version, session-cookies)",
    )]);
}

#[test]
fn hsts_is_required_on_https_for_at_least_180_days_and_session_cookies_must_be_secure() {
    let site = serve_https(&[
        (
            "/good",
            "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\nSet-Cookie: sessionid=abc; Secure; HttpOnly; Path=/\r\n",
        ),
        ("/short", "Strict-Transport-Security: max-age=86400\r\n"),
        ("/none", "Set-Cookie: sessionid=abc; HttpOnly; Path=/\r\n"),
    ]);
    let scenario = |path: &str| {
        format!(
            "  Scenario: {path}\n    When I request \"https://localhost:{}{path}\"\n    Then the site should send the security headers\n",
            site.port
        )
    };
    let project = Project::new(
        "http://127.0.0.1:9",
        "[limits]\nstep_timeout = \"5s\"\n[probes]\ntls_ca_file = \"certs/site.pem\"\n",
    );
    project.file("certs/site.pem", &site.certificate_pem);
    project.file(
        "features/hsts.feature",
        &format!(
            "Feature: HSTS\n{}{}{}",
            scenario("/good"),
            scenario("/short"),
            scenario("/none")
        ),
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("`Strict-Transport-Security: max-age=86400` keeps HTTPS only 1 day(s), fewer than 180")
        .expect_stdout("`Strict-Transport-Security` is missing: browsers will still try plain HTTP first")
        .expect_stdout("the session cookie `sessionid` is set without Secure")
        .expect_stdout("1 passed, 2 failed");
}

const ROBOTS: &str = r#"Feature: Robots
  Scenario: search engines may crawl the site but not its admin pages
    Then robots.txt should allow crawling "/"
    And robots.txt should allow crawling "/help/"
    And robots.txt should disallow crawling "/admin/"
    And the page "/" should not be hidden from search engines
"#;

#[test]
fn robots_rules_that_keep_crawlers_from_one_folder_allow_the_home_page_and_staging_rules_do_not() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file("features/robots.feature", ROBOTS);
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("1 passed");

    let staging = DemoSite::start(&["robots-disallow"]);
    let project = Project::new(&staging.url, "");
    project.file("features/robots.feature", ROBOTS);
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout(
            "robots.txt should allow crawling `/`, but it is disallowed for `*`, `Googlebot`, `Bingbot`",
        )
        .expect_stdout("Disallow: /")
        .expect_stdout("0 passed, 1 failed");
}

#[test]
fn a_crawler_with_its_own_group_a_missing_or_failing_robots_txt_and_noindex_pages_are_told_apart() {
    let robots = "User-agent: *\nAllow: /\n\nUser-agent: Googlebot\nDisallow: /\n";
    let group_site = RecordingServer::start(
        Router::new()
            .route("/robots.txt", get(move || async move { robots }))
            .route("/", get(|| async { Html("<p>Home</p>") }))
            .route(
                "/hidden-by-header",
                get(|| async { ([("x-robots-tag", "noindex, nofollow")], Html("<p>Hidden</p>")) }),
            )
            .route(
                "/hidden-by-meta",
                get(|| async {
                    Html(r#"<html><head><meta name="robots" content="NOINDEX"></head><body>Hidden</body></html>"#)
                }),
            )
            .route(
                "/nofollow-only",
                get(|| async { Html(r#"<meta name="robots" content="nofollow"><p>Listed</p>"#) }),
            ),
    );
    let project = Project::new(&group_site.url, "");
    project.file(
        "features/robots.feature",
        r#"Feature: Robots
  Scenario: Googlebot's own group
    Then robots.txt should allow crawling "/"

  Scenario: a header hides the page
    Then the page "/hidden-by-header" should not be hidden from search engines

  Scenario: a meta tag hides the page
    Then the page "/hidden-by-meta" should not be hidden from search engines

  Scenario: nofollow alone does not hide it
    Then the page "/nofollow-only" should not be hidden from search engines
    And the page "/" should not be hidden from search engines
"#,
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("but it is disallowed for `Googlebot`\n")
        .expect_stdout("/hidden-by-header is hidden from search engines")
        .expect_stdout("X-Robots-Tag: noindex, nofollow")
        .expect_stdout("/hidden-by-meta is hidden from search engines")
        .expect_stdout(r#"content="NOINDEX""#)
        .expect_stdout("1 passed, 3 failed");

    // No robots.txt at all: every crawler may crawl anything; one that fails: none may, for now,
    // so "disallowed" cannot be told from it.
    let missing = RecordingServer::start(Router::new());
    let failing = RecordingServer::start(Router::new().route(
        "/robots.txt",
        get(|| async { StatusCode::SERVICE_UNAVAILABLE.into_response() }),
    ));
    for (site, expected, tally) in [
        (
            &missing,
            "answered 404 Not Found: with no rules, crawlers may crawl anything",
            "1 passed, 1 failed",
        ),
        (
            &failing,
            "answered 503 Service Unavailable: crawlers then take the whole site as disallowed",
            "0 passed, 2 failed",
        ),
    ] {
        let project = Project::new(&site.url, "");
        project.file(
            "features/robots.feature",
            "Feature: R\n  Scenario: allow\n    Then robots.txt should allow crawling \"/\"\n  Scenario: disallow\n    Then robots.txt should disallow crawling \"/\"\n",
        );
        project
            .shakedown()
            .args(["run"])
            .run()
            .expect_code(1)
            .expect_stdout(expected)
            .expect_stdout(tally);
    }
}

#[test]
fn a_server_error_never_passes_a_check_that_a_header_is_absent_a_page_unhidden_or_crawling_disallowed() {
    let site = RecordingServer::start(
        Router::new()
            .route(
                "/boom",
                get(|| async {
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        [
                            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                            (header::X_FRAME_OPTIONS, "DENY"),
                        ],
                        Html("<h1>Server Error</h1>"),
                    )
                }),
            )
            .route(
                "/robots.txt",
                get(|| async { StatusCode::SERVICE_UNAVAILABLE.into_response() }),
            ),
    );
    let project = Project::new(&site.url, "");
    // Each scenario names a status, so the request step lets the 500 through to the check.
    project.file(
        "features/errors.feature",
        r#"Feature: Server errors
  Scenario: a header absent from an error page
    When I request "/boom"
    Then the response header "X-Powered-By" should not be present
    And the response status should be 200

  Scenario: a header free of a text on an error page
    When I request "/boom"
    Then the response header "Server" should not contain "Apache"
    And the response status should be 200

  Scenario: the security headers of an error page
    When I request "/boom"
    Then the site should send the security headers
    And the response status should be 200

  Scenario: an error page is not a page left visible
    Then the page "/boom" should not be hidden from search engines

  Scenario: a failing robots.txt is no lasting disallow
    Then robots.txt should disallow crawling "/"

  Scenario: an error page the scenario expects is the page under test
    When I request "/boom"
    Then the response status should be 500
    And the response header "X-Powered-By" should not be present
    And the site should send the security headers
"#,
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout("1 passed, 5 failed")
        .expect_stdout("cannot tell: `GET /boom` answered 500 Internal Server Error, and an error page proves nothing about what the page shows")
        .expect_stdout("cannot tell whether robots.txt disallows crawling `/`: `/robots.txt` answered 503 Service Unavailable")
        .expect_stdout("keep off the whole site while robots.txt fails, and may crawl all of it once it has");
    let about_headers = "cannot tell: `GET /boom` answered 500 Internal Server Error, and an error page proves nothing about the headers the page sends";
    assert_eq!(
        outcome.stdout.matches(about_headers).count(),
        3,
        "each header check should say it cannot tell:\n{}",
        outcome.stdout
    );
}

/// An HTTPS site on loopback.
pub(crate) struct HttpsSite {
    pub port: u16,
    /// Its self-signed `localhost` certificate, for `tls_ca_file`.
    pub certificate_pem: String,
}

/// Serves HTTPS with a self-signed `localhost` certificate until the test binary ends, answering
/// each of `answers`' paths `200` with its header lines, and anything else `404`.
fn serve_https(answers: &'static [(&'static str, &'static str)]) -> HttpsSite {
    serve_https_pages(answers, "<p>ok</p>")
}

/// [`serve_https`], every page found answering `body` as HTML, with `{port}` in it replaced by
/// the port the site listens on.
pub(crate) fn serve_https_pages(
    answers: &'static [(&'static str, &'static str)],
    body: &'static str,
) -> HttpsSite {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let key = rcgen::KeyPair::generate().expect("key");
    let certificate = params.self_signed(&key).expect("self-signed");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![certificate.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let body = body.replace("{port}", &port.to_string());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let Ok(mut connection) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut tls = rustls::Stream::new(&mut connection, &mut stream);
            let mut request = Vec::new();
            let mut chunk = [0u8; 4096];
            while !request.windows(4).any(|end| end == b"\r\n\r\n") {
                match tls.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(read) => request.extend_from_slice(&chunk[..read]),
                }
            }
            let request = String::from_utf8_lossy(&request);
            let path = request.split_whitespace().nth(1).unwrap_or_default();
            let answer = match answers.iter().find(|(known, _)| *known == path) {
                Some((_, headers)) => format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ),
                None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
            };
            let _ = tls.write_all(answer.as_bytes());
            let _ = tls.flush();
            tls.conn.send_close_notify();
            let _ = tls.conn.complete_io(tls.sock);
        }
    });
    HttpsSite {
        port,
        certificate_pem: certificate.pem(),
    }
}

#[test]
fn the_bundled_features_catch_dropped_security_headers_and_a_staging_robots_txt_each_in_its_scenario() {
    for (fault, scenario, message) in [
        (
            "missing-security-headers",
            "Every answer carries the security headers",
            "2 security header rule(s) broken on http://127.0.0.1:",
        ),
        (
            "robots-disallow",
            "Search engines may index the site but not its login and admin pages",
            "robots.txt should allow crawling `/`, but it is disallowed for `*`, `Googlebot`, `Bingbot`",
        ),
    ] {
        crate::demo::fault_fails_exactly(fault, &[("home.feature", scenario)], &[message]);
    }
}
