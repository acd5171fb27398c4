//! `[environments.NAME]`: where each environment's site is and whether it may be written to.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::hosts::{HostConfig, RawHost};
use super::source::Source;
use super::values::parse_base_url;
use crate::error::Error;

#[derive(Debug, Clone)]
pub struct Environment {
    pub base_url: Url,
    pub read_only: bool,
    /// The servers behind the site, by name; none means probes look at this machine.
    pub hosts: BTreeMap<String, HostConfig>,
}

#[derive(Deserialize)]
pub(super) struct RawEnvironment {
    base_url: Spanned<String>,
    read_only: bool,
    #[serde(default)]
    hosts: BTreeMap<String, RawHost>,
}

impl RawEnvironment {
    pub fn resolve(self, name: &str, source: &Source<'_>) -> Result<Environment, Error> {
        let base_url = parse_base_url(self.base_url.get_ref()).map_err(|problem| {
            source.error_at(
                self.base_url.span(),
                format!("`environments.{name}.base_url`: {problem}"),
                None,
            )
        })?;
        let hosts = self
            .hosts
            .into_iter()
            .map(|(host, raw)| {
                let resolved = raw.resolve(&format!("environments.{name}.hosts.{host}"), source)?;
                Ok((host, resolved))
            })
            .collect::<Result<_, Error>>()?;
        Ok(Environment {
            base_url,
            read_only: self.read_only,
            hosts,
        })
    }
}
