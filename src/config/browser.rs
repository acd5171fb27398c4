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
    trusted_keys: Vec<Spanned<String>>,
}

/// The bytes of a SHA-256 hash, which a key pin is.
const PIN_BYTES: usize = 32;

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
        let trusted_keys = self
            .trusted_keys
            .into_iter()
            .map(|pin| {
                use base64::Engine as _;
                let decoded = base64::engine::general_purpose::STANDARD.decode(pin.get_ref());
                match decoded {
                    Ok(hash) if hash.len() == PIN_BYTES => Ok(pin.into_inner()),
                    _ => Err(source.error_at(
                        pin.span(),
                        format!(
                            "`browser.trusted_keys`: `{}` is not the base64 SHA-256 of a public key",
                            pin.get_ref()
                        ),
                        Some(TRUSTED_KEY_HINT.into()),
                    )),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(BrowserSettings {
            webdriver_url,
            chromedriver: self.chromedriver.map(|path| source.relative(&path)),
            chromium: self.chromium.map(|path| source.relative(&path)),
            headless: self.headless,
            sessions: self.sessions.get(),
            login_form: self.login_form,
            trusted_keys,
        })
    }
}

/// How to get a certificate's pin.
const TRUSTED_KEY_HINT: &str = "44 characters, from `openssl x509 -in site.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`";
