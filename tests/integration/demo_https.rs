//! `shakedown demo --tls`: the demo site over HTTPS with a certificate made at start, trusted by
//! the demo's configuration and by nothing wider; the mistakes only an HTTPS site can make are
//! caught by the scenario written for them, and asked for over HTTP they are refused.

use crate::support::{DemoSite, Project, Shakedown};

fn demo(args: &[&str]) -> (crate::support::Outcome, tempfile::TempDir) {
    let out = tempfile::tempdir().expect("temp dir");
    let outcome = Shakedown::new()
        .args(["demo", "--tls", "--out"])
        .args([out.path()])
        .args(args)
        .run();
    (outcome, out)
}

#[test]
fn the_healthy_demo_site_over_https_passes_and_its_configuration_trusts_its_certificate() {
    let (outcome, out) = demo(&["--tags", "not @browser"]);
    outcome
        .expect_code(0)
        .expect_stdout("demo site: https://127.0.0.1:")
        .expect_stdout("(healthy)")
        .expect_stdout("passed, 0 failed");
    let config = std::fs::read_to_string(out.path().join("shakedown.toml")).expect("configuration");
    assert!(
        config.contains("tls_ca_file = \"demo-certificate.pem\"") && config.contains("trusted_keys = [\""),
        "{config}"
    );
    let certificate = std::fs::read_to_string(out.path().join("demo-certificate.pem")).expect("certificate");
    assert!(
        certificate.starts_with("-----BEGIN CERTIFICATE-----"),
        "{certificate}"
    );
    // Run again in the same folder, as the README's `demo --tls` does in its default one: the
    // new certificate is kept, not cleaned away as the earlier demo's file.
    Shakedown::new()
        .args(["demo", "--tls", "--tags", "not @browser", "--out"])
        .args([out.path()])
        .run()
        .expect_code(0)
        .expect_stdout("passed, 0 failed");
    let again = std::fs::read_to_string(out.path().join("demo-certificate.pem")).expect("certificate");
    assert_ne!(again, certificate, "a certificate is made at each start");
}

#[test]
fn a_missing_hsts_header_fails_only_the_security_headers_scenario() {
    let (outcome, _out) = demo(&["--fault", "missing-hsts", "--tags", "not @browser"]);
    outcome
        .expect_code(1)
        .expect_stdout("`Strict-Transport-Security` is missing")
        .expect_stdout(" passed, 1 failed");
    let failed: Vec<&str> = outcome
        .stdout
        .lines()
        .filter(|line| line.trim_start().starts_with("FAIL  /"))
        .collect();
    assert!(
        matches!(failed[..], [line] if line.ends_with("/features/home.feature:26  Every answer carries the security headers")),
        "{failed:?}"
    );
}

#[test]
fn a_fault_only_https_shows_is_refused_without_tls_in_plain_words() {
    let out = tempfile::tempdir().expect("temp dir");
    Shakedown::new()
        .args(["demo", "--fault", "missing-hsts", "--out"])
        .args([out.path()])
        .run()
        .expect_code(2)
        .expect_stderr("invalid value `missing-hsts` for --fault: this mistake shows only on a site served over HTTPS; add `--tls`")
        .expect_no_panic();
    assert!(
        std::fs::read_dir(out.path()).expect("folder").next().is_none(),
        "the refused demo wrote into its folder"
    );
}

#[test]
fn the_demo_over_plain_http_sends_no_hsts_and_writes_no_certificate() {
    let site = DemoSite::start(&[]);
    assert!(site.url.starts_with("http://"), "{}", site.url);
    let project = Project::new(&site.url, "");
    project.file(
        "features/plain.feature",
        "Feature: P\n  Scenario: plain HTTP\n    When I request \"/\"\n    Then the response header \"Strict-Transport-Security\" should not be present\n    And the site should send the security headers\n",
    );
    project.shakedown().args(["run"]).run().expect_code(0);
    assert!(!site.certificate().exists());
}

#[test]
fn the_tls_probe_trusts_the_demo_certificate_and_the_help_index_can_carry_mixed_content() {
    let site = DemoSite::start_tls(&["mixed-content"]);
    let port = site.url.rsplit(':').next().expect("a port");
    let project = Project::new(
        &site.url,
        &format!("[probes]\ntls_ca_file = \"{}\"\n", site.certificate().display()),
    );
    project.file(
        "features/https.feature",
        &format!(
            "Feature: H\n  Scenario: certificate\n    Then the TLS certificate of \"127.0.0.1:{port}\" should be valid for at least 14 days\n    And the TLS certificate of \"localhost:{port}\" should be valid for at least 14 days\n  Scenario: mixed content\n    When I request \"/help/\"\n    Then the response should contain \"http://127.0.0.1:{port}/help/tour.svg\"\n    And the response header \"Strict-Transport-Security\" should be \"max-age=31536000\"\n"
        ),
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("2 passed, 0 failed");
}

#[test]
fn browser_scenarios_pass_over_https_trusting_only_the_demo_certificate() {
    let _turn = crate::browser::browser_turn();
    let (outcome, _out) = demo(&["--tags", "@browser"]);
    outcome
        .expect_code(0)
        .expect_stdout("demo site: https://127.0.0.1:")
        .expect_stdout("3 passed, 0 failed");
}

#[test]
fn the_browser_refuses_the_https_site_when_only_another_key_is_trusted() {
    let _turn = crate::browser::browser_turn();
    let site = DemoSite::start_tls(&[]);
    // The site's own certificate for the HTTP steps, another key for Chromium: `tls_ca_file`
    // does not reach the browser, and `trusted_keys` opens it to no key but those listed.
    let project = Project::new(
        &site.url,
        &format!(
            "[probes]\ntls_ca_file = \"{}\"\n[browser]\ntrusted_keys = [\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"]\n",
            site.certificate().display()
        ),
    );
    project.file(
        "features/browser.feature",
        "Feature: B\n  Scenario: over HTTP\n    When I request \"/\"\n    Then the response status should be 200\n  @browser\n  Scenario: in the browser\n    When I visit \"/\"\n    Then I should see \"Welcome to Ledger\"\n",
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("the browser shows its own error page")
        .expect_stdout("1 passed, 1 failed");
}

#[test]
fn an_http_image_on_the_https_help_index_is_caught_as_mixed_content_by_the_crawl_scenarios() {
    let (outcome, _out) = demo(&["--fault", "mixed-content", "--tags", "not @browser"]);
    outcome
        .expect_code(1)
        .expect_stdout("1 mixed-content asset reachable from /\n")
        .expect_stdout("/help/tour.svg is mixed content: loaded over http:// by an https:// page")
        .expect_stdout("(<img src> on https://127.0.0.1:")
        .expect_stdout(" passed, 3 failed");
    let failed: Vec<&str> = outcome
        .stdout
        .lines()
        .filter(|line| line.trim_start().starts_with("FAIL  /"))
        .collect();
    for scenario in [
        "Nothing a visitor can reach shows test strings or debug pages",
        "Nothing a clerk can reach shows test strings or debug pages",
        "Every page a visitor can reach works, and so does everything it loads",
    ] {
        assert!(
            failed
                .iter()
                .any(|line| line.contains("/features/content.feature:") && line.ends_with(scenario)),
            "`{scenario}` did not fail: {failed:?}"
        );
    }
}
