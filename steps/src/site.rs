//! The site under test as every domain sees it: the environment's name, its base URL (against
//! which the paths in features resolve) and whether it is read-only.

use std::fmt;
use std::ops::Deref;
use std::sync::LazyLock;

use url::Url;

use crate::argument::PhraseArgument;
use crate::failure::StepFailure;

#[derive(Debug, Clone)]
pub struct Site {
    /// `live`, `staging`: for messages.
    pub environment: String,
    pub base_url: Url,
    /// A read-only environment refuses mutating requests before they are sent.
    pub read_only: bool,
}

impl Site {
    pub fn resolve(&self, target: &str) -> Result<Url, StepFailure> {
        resolve(&self.base_url, target)
    }
}

/// A path such as `/reports/` is taken relative to the base URL (keeping any path prefix the
/// base URL has); a full URL is used as it is.
pub fn resolve(base_url: &Url, target: &str) -> Result<Url, StepFailure> {
    if let Ok(url) = Url::parse(target) {
        return Ok(url);
    }
    let mut base = base_url.clone();
    if !base.path().ends_with('/') {
        base.set_path(&format!("{}/", base.path()));
    }
    base.join(target.trim_start_matches('/')).map_err(|error| {
        StepFailure::configuration(format!("`{target}` is not a path or URL: {error}"))
            .with("base URL", base.to_string())
    })
}

/// A path or full URL as a feature writes it (`/reports/`, `https://ledger.example.com/`): one
/// that is neither (`http://[::1`, a port of 99999) is refused by `check`, before anything
/// runs; where it points is known only with the environment's base URL.
pub(crate) struct SiteAddress(String);

impl PhraseArgument for SiteAddress {
    fn read(written: &str) -> Result<Self, StepFailure> {
        static ANY_BASE: LazyLock<Option<Url>> = LazyLock::new(|| Url::parse("http://site.invalid/").ok());
        match ANY_BASE.as_ref().map(|base| resolve(base, written)) {
            Some(Err(failure)) => Err(StepFailure::configuration(failure.summary()).with(
                "hint",
                "write a path such as `/reports/` or a full URL such as `https://ledger.example.com/`",
            )),
            _ => Ok(Self(written.to_owned())),
        }
    }
}

impl Deref for SiteAddress {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SiteAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The same page: origin and path, and the query when the expected address has one.
pub(crate) fn same_place(seen: &Url, expected: &Url) -> bool {
    seen.origin() == expected.origin()
        && seen.path() == expected.path()
        && (expected.query().is_none() || seen.query() == expected.query())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_place_compares_path_and_only_a_wanted_query() {
        let url = |text: &str| Url::parse(text).expect("url");
        let reports = url("http://site.test/reports/");
        assert!(same_place(&url("http://site.test/reports/?month=3"), &reports));
        assert!(!same_place(&url("http://site.test/reports"), &reports));
        assert!(!same_place(&url("http://other.test/reports/"), &reports));
        let march = url("http://site.test/reports/?month=3");
        assert!(!same_place(&url("http://site.test/reports/?month=4"), &march));
    }

    #[test]
    fn paths_keep_the_base_urls_own_prefix() {
        let base = Url::parse("http://example.test/app").expect("url");
        assert_eq!(
            resolve(&base, "/reports/").expect("resolves").as_str(),
            "http://example.test/app/reports/"
        );
        assert_eq!(
            resolve(&base, "https://other.test/x").expect("resolves").as_str(),
            "https://other.test/x"
        );
    }
}
