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
    /// The SHA-256 of each public key (SPKI, base64) of `probes.tls_ca_file`'s certificates:
    /// Chromium accepts a site whose certificate chain, as the site sends it, holds one of them,
    /// and no other certificate it would not otherwise accept.
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

/// The pins of [`BrowserSettings::trusted_keys`] for each certificate of a PEM bundle.
///
/// # Errors
///
/// Names the first certificate that cannot be read.
pub(crate) fn public_key_pins(
    certificates: &[rustls_pki_types::CertificateDer<'_>],
) -> Result<Vec<String>, String> {
    use base64::Engine as _;
    use sha2::Digest as _;
    certificates
        .iter()
        .enumerate()
        .map(|(index, der)| {
            let (_, certificate) = x509_parser::parse_x509_certificate(der)
                .map_err(|error| format!("certificate {} cannot be read: {error}", index + 1))?;
            let key = sha2::Sha256::digest(certificate.tbs_certificate.subject_pki.raw);
            Ok(base64::engine::general_purpose::STANDARD.encode(key))
        })
        .collect()
}
