//! `[environments.NAME]`: where each environment's site is and whether it may be written to.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use shakedown_steps::session::ClientCertificate;

use super::hosts::{HostConfig, RawHost};
use super::methods::{WrittenCertificate, client_certificate};
use super::source::Source;
use super::values::parse_base_url;
use super::vars::VariableSource;
use crate::error::Error;

#[derive(Debug, Clone)]
pub struct Environment {
    pub base_url: Url,
    pub read_only: bool,
    /// The servers behind the site, by name; none means probes look at this machine.
    pub hosts: BTreeMap<String, HostConfig>,
    /// The TLS client certificate every request presents, unless a role has its own.
    pub client_certificate: Option<ClientCertificate>,
    /// `vars`: the values features use as `${NAME}` on this environment.
    pub vars: BTreeMap<String, VariableSource>,
}

#[derive(Deserialize)]
pub(super) struct RawEnvironment {
    base_url: Spanned<String>,
    read_only: bool,
    #[serde(default)]
    hosts: BTreeMap<String, RawHost>,
    tls_client_cert: Option<Spanned<String>>,
    tls_client_key: Option<Spanned<String>>,
    tls_client_key_password_env: Option<Spanned<String>>,
    #[serde(default)]
    vars: BTreeMap<String, Spanned<toml::Value>>,
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
        let client_certificate = client_certificate(
            WrittenCertificate {
                cert: self.tls_client_cert.as_ref(),
                key: self.tls_client_key.as_ref(),
                key_password_env: self.tls_client_key_password_env.as_ref(),
            },
            &format!("environments.{name}"),
            source,
        )?;
        Ok(Environment {
            base_url,
            read_only: self.read_only,
            hosts,
            client_certificate,
            vars: super::vars::resolve(self.vars, &format!("environments.{name}.vars"), source)?,
        })
    }
}
