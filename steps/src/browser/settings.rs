//! `[browser]` in shakedown.toml, as the steps see it: where the WebDriver is (or how to start
//! one), how Chromium runs and how many sessions the run keeps.

use std::path::PathBuf;

use url::Url;

/// How the run reaches a browser.
#[derive(Debug, Clone)]
pub struct BrowserSettings {
    /// A running WebDriver endpoint (Selenium Grid, a cloud grid, a chromedriver); when unset,
    /// shakedown starts chromedriver itself.
    pub webdriver_url: Option<Url>,
    /// The chromedriver to start; when unset, `chromedriver` on the PATH.
    pub chromedriver: Option<PathBuf>,
    /// The Chromium binary; when unset, the driver's own choice (or `chromium` on the PATH).
    pub chromium: Option<PathBuf>,
    /// `false` shows the browser windows (`--headed`).
    pub headless: bool,
    /// Browser sessions the run keeps and leases to scenarios.
    pub sessions: usize,
    /// Log roles in through the login page's form instead of reusing the HTTP login's cookies.
    pub login_form: bool,
    /// Base64 SHA-256 hashes of public keys (SPKI) Chromium accepts a certificate chain for,
    /// whatever else it would object to; every other certificate is checked as usual.
    pub trusted_keys: Vec<String>,
}

impl Default for BrowserSettings {
    fn default() -> Self {
        Self {
            webdriver_url: None,
            chromedriver: None,
            chromium: None,
            headless: true,
            sessions: 2,
            login_form: false,
            trusted_keys: Vec::new(),
        }
    }
}
