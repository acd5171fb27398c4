//! `[environments.NAME.hosts.HOST]` and `[ssh]`: the servers behind an environment's site, which
//! probe scenarios run on (over SSH, or this machine), and how shakedown reaches them.

use std::path::PathBuf;

use serde::Deserialize;
use shakedown_steps::{SshDestination, SshSettings};
use toml::Spanned;
use url::Url;

use super::source::Source;
use super::values::{parse_base_url, parse_duration};
use crate::error::Error;

/// One server of an environment.
#[derive(Debug, Clone, Default)]
pub struct HostConfig {
    /// Where it is: `None` for this machine (no `ssh`, or `ssh = "local"`).
    pub ssh: Option<SshDestination>,
    /// `@on:GROUP` tags pick the hosts of a group.
    pub groups: Vec<String>,
    /// The server's own web server, for `@on:GROUP` HTTP and browser scenarios.
    pub base_url: Option<Url>,
    /// The folder on the server its web server serves the site from, which the exposure check
    /// lists.
    pub docroot: Option<PathBuf>,
}

#[derive(Deserialize)]
pub(super) struct RawHost {
    #[serde(default)]
    ssh: Option<Spanned<String>>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    base_url: Option<Spanned<String>>,
    #[serde(default)]
    docroot: Option<Spanned<String>>,
}

impl RawHost {
    /// The host as written, over what an inventory says of the same host: a key written here
    /// wins, and its groups are added to the inventory's.
    pub fn resolve(
        self,
        key: &str,
        inventory: Option<HostConfig>,
        source: &Source<'_>,
    ) -> Result<HostConfig, Error> {
        let inventory = inventory.unwrap_or_default();
        let ssh = match self.ssh {
            None => inventory.ssh,
            Some(text) if text.get_ref() != "local" => {
                let destination = text.get_ref().parse::<SshDestination>().map_err(|error| {
                    source.error_at(
                        text.span(),
                        format!("`{key}.ssh`: {error}"),
                        Some("write `user@host`, `user@host:port`, or `local` for this machine".into()),
                    )
                })?;
                Some(destination)
            }
            Some(_) => None,
        };
        let base_url = self
            .base_url
            .map(|text| {
                parse_base_url(text.get_ref()).map_err(|problem| {
                    source.error_at(text.span(), format!("`{key}.base_url`: {problem}"), None)
                })
            })
            .transpose()?
            .or(inventory.base_url);
        let docroot = match self.docroot {
            Some(text) if !text.get_ref().starts_with('/') => {
                return Err(source.error_at(
                    text.span(),
                    format!("`{key}.docroot`: `{}` is not an absolute path", text.get_ref()),
                    Some("write the web root as the server sees it, such as \"/srv/app/public\"".into()),
                ));
            }
            Some(text) => Some(PathBuf::from(text.into_inner())),
            None => inventory.docroot,
        };
        let mut groups = inventory.groups;
        groups.extend(self.groups);
        groups.sort();
        groups.dedup();
        Ok(HostConfig {
            ssh,
            groups,
            base_url,
            docroot,
        })
    }
}

/// `[ssh]`: left out, the user's own ssh configuration decides.
#[derive(Deserialize)]
pub(super) struct RawSsh {
    #[serde(default)]
    identity_file: Option<String>,
    #[serde(default)]
    known_hosts: Option<String>,
    connect_timeout: Spanned<String>,
}

impl RawSsh {
    pub fn resolve(self, source: &Source<'_>) -> Result<SshSettings, Error> {
        let connect_timeout = parse_duration(self.connect_timeout.get_ref()).map_err(|problem| {
            source.error_at(
                self.connect_timeout.span(),
                format!("`ssh.connect_timeout`: {problem}"),
                Some("write durations like \"5s\"".into()),
            )
        })?;
        Ok(SshSettings {
            identity_file: self.identity_file.map(|path| home_relative(&path, source)),
            known_hosts: self.known_hosts.map(|path| home_relative(&path, source)),
            connect_timeout,
        })
    }
}

/// `~/…` is the user's home, as in ssh's own configuration; other relative paths start at the
/// configuration file's folder.
pub(super) fn home_relative(path: &str, source: &Source<'_>) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => source.relative(path),
    }
}
