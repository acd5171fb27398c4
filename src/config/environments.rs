//! `[environments.NAME]`: where each environment's site is and whether it may be written to.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use shakedown_steps::session::ClientCertificate;

use super::hosts::{HostConfig, RawHost};
use super::inventory;
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
    inventory: Option<Spanned<String>>,
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
        let mut hosts = match &self.inventory {
            Some(written) => read_inventory(written, name, source)?,
            None => BTreeMap::new(),
        };
        // A host written here adds to the inventory, or overrides what it writes of the same host.
        for (host, raw) in self.hosts {
            let from_inventory = hosts.remove(&host);
            let resolved = raw.resolve(
                &format!("environments.{name}.hosts.{host}"),
                from_inventory,
                source,
            )?;
            hosts.insert(host, resolved);
        }
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

/// The hosts of the Ansible inventory `environments.NAME.inventory` names, from the folder of
/// shakedown.toml.
fn read_inventory(
    written: &Spanned<String>,
    name: &str,
    source: &Source<'_>,
) -> Result<BTreeMap<String, HostConfig>, Error> {
    let path = source.relative(written.get_ref());
    let text = std::fs::read_to_string(&path).map_err(|error| {
        source.error_at(
            written.span(),
            format!(
                "`environments.{name}.inventory`: cannot read {}: {error}",
                path.display()
            ),
            Some("name the Ansible inventory file (INI or YAML), relative to shakedown.toml".into()),
        )
    })?;
    inventory::read(&Source {
        path: &path,
        text: &text,
    })
}
