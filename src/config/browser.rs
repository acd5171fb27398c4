//! `[browser]`: which WebDriver to use (or which chromedriver to start), how Chromium runs and
//! how many sessions the run keeps.

use std::num::NonZeroUsize;

use serde::Deserialize;
use shakedown_steps::browser::BrowserSettings;
use toml::Spanned;

use super::source::Source;
use super::values::{at_least_one, parse_base_url};
use crate::error::Error;

#[derive(Deserialize)]
pub(super) struct RawBrowser {
    webdriver_url: Option<Spanned<String>>,
    chromedriver: Option<String>,
    chromium: Option<String>,
    headless: bool,
    #[serde(deserialize_with = "at_least_one")]
    sessions: NonZeroUsize,
    login_form: bool,
}

impl RawBrowser {
    pub fn resolve(self, source: &Source<'_>) -> Result<BrowserSettings, Error> {
        let webdriver_url = self
            .webdriver_url
            .map(|url| {
                parse_base_url(url.get_ref()).map_err(|problem| {
                    source.error_at(
                        url.span(),
                        format!("`browser.webdriver_url`: {problem}"),
                        Some("the address of a running WebDriver, e.g. \"http://127.0.0.1:4444\"".into()),
                    )
                })
            })
            .transpose()?;
        Ok(BrowserSettings {
            webdriver_url,
            chromedriver: self.chromedriver.map(|path| source.relative(&path)),
            chromium: self.chromium.map(|path| source.relative(&path)),
            headless: self.headless,
            sessions: self.sessions.get(),
            login_form: self.login_form,
            // Filled from `probes.tls_ca_file` when the run starts.
            trusted_keys: Vec::new(),
        })
    }
}
