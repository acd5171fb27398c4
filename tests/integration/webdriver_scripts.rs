//! A team's own WebDriver script as a command step: a real Python script drives the run's real
//! chromedriver and Chromium to the demo site through the variables the step passes, and its
//! exit status is the step's result.

use crate::support::{DEMO_ROLES, DemoSite, Project};

/// A WebDriver client in plain Python (no Selenium package needed): opens a session on
/// `SHAKEDOWN_WEBDRIVER_URL`, visits `SHAKEDOWN_BASE_URL`, and exits 1 unless the page title
/// holds the text it is given. It also says whether it could see a role's password.
const TITLE_SCRIPT: &str = r#"import json, os, sys, urllib.request

driver = os.environ["SHAKEDOWN_WEBDRIVER_URL"].rstrip("/")
base = os.environ["SHAKEDOWN_BASE_URL"]
print("password visible:", "DEMO_CLERK_PASSWORD" in os.environ)

def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(driver + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as answer:
        return json.load(answer)["value"]

options = {"args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage"]}
session = call("POST", "/session",
               {"capabilities": {"alwaysMatch": {"goog:chromeOptions": options}}})["sessionId"]
try:
    call("POST", f"/session/{session}/url", {"url": base})
    title = call("GET", f"/session/{session}/title")
finally:
    call("DELETE", f"/session/{session}")
print("title:", title)
sys.exit(0 if sys.argv[1] in title else 1)
"#;

#[test]
fn a_python_webdriver_script_drives_the_runs_browser_and_its_exit_status_is_the_result() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, DEMO_ROLES);
    project.file("checks/title.py", TITLE_SCRIPT);
    project.file(
        "features/scripts.feature",
        r#"Feature: The team's WebDriver scripts
  Scenario: the home page title, as the team's script checks it
    Then the command "python3 checks/title.py Ledger" should succeed
    And its output should contain "title: "
    And its output should contain "password visible: False"

  Scenario: a title the page does not have
    Then the command "python3 checks/title.py Invoicing" should succeed
"#,
    );
    let outcome = project.shakedown().demo_passwords().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout("1 passed")
        .expect_stdout("exit status 1")
        .expect_stdout("title: ");
}
