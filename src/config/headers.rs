//! `[headers]`: which security header rules `the site should send the security headers`
//! requires; a rule name that does not exist points at its line.

use serde::Deserialize;
use shakedown_steps::public::SecurityHeader;
use toml::Spanned;

use super::source::Source;
use crate::error::Error;

#[derive(Deserialize)]
pub(super) struct RawHeaders {
    required: Vec<Spanned<String>>,
}

impl RawHeaders {
    pub fn resolve(self, source: &Source<'_>) -> Result<Vec<SecurityHeader>, Error> {
        self.required
            .into_iter()
            .map(|name| {
                let span = name.span();
                name.get_ref()
                    .parse::<SecurityHeader>()
                    .map_err(|why| source.error_at(span, format!("`headers.required`: {why}"), None))
            })
            .collect()
    }
}
