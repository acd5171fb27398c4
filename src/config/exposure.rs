//! `[exposure]`: the paths `nothing private should be public on the site` asks for besides its
//! built-in list, and the paths public on purpose; each must be a path of the site, and one
//! that is not points at its line.

use serde::Deserialize;
use shakedown_steps::public::ExposureSettings;
use toml::Spanned;

use super::source::Source;
use crate::error::Error;

#[derive(Deserialize)]
pub(super) struct RawExposure {
    paths: Vec<Spanned<String>>,
    allow: Vec<Spanned<String>>,
}

impl RawExposure {
    pub fn resolve(self, source: &Source<'_>) -> Result<ExposureSettings, Error> {
        let paths = |key: &str, written: Vec<Spanned<String>>| {
            written
                .into_iter()
                .map(|path| {
                    source.site_path(
                        path,
                        |path| format!("`exposure.{key}`: `{path}` is not a path of the site"),
                        "write a path from the site's root, such as \"/backup.tar.gz\"",
                    )
                })
                .collect::<Result<Vec<String>, Error>>()
        };
        Ok(ExposureSettings {
            paths: paths("paths", self.paths)?,
            allow: paths("allow", self.allow)?,
        })
    }
}
