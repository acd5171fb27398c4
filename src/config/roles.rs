//! `[roles.NAME]`: who the site's users are and where each one's password is kept (never in the
//! file itself).

use std::collections::BTreeMap;

use serde::Deserialize;
use shakedown_steps::session::{ANONYMOUS, PasswordSource, RoleSettings};
use toml::Spanned;

use super::source::Source;
use crate::error::Error;

/// A role: its user name and exactly one place its password is kept.
#[derive(Deserialize)]
pub(super) struct RawRole {
    username: String,
    password_env: Option<String>,
    password_file: Option<String>,
    password_command: Option<String>,
}

impl RawRole {
    pub fn resolve_all(
        roles: BTreeMap<String, Spanned<Self>>,
        source: &Source<'_>,
    ) -> Result<BTreeMap<String, RoleSettings>, Error> {
        roles
            .into_iter()
            .map(|(name, role)| {
                let span = role.span();
                let settings = role.into_inner().resolve(&name, source, span)?;
                Ok((name, settings))
            })
            .collect()
    }

    fn resolve(
        self,
        name: &str,
        source: &Source<'_>,
        span: std::ops::Range<usize>,
    ) -> Result<RoleSettings, Error> {
        if name == ANONYMOUS {
            return Err(source.error_at(
                span,
                "`roles.anonymous`: `anonymous` is built in (a visitor with no login)".into(),
                None,
            ));
        }
        let sources: Vec<PasswordSource> = [
            self.password_env.map(PasswordSource::Env),
            self.password_file
                .map(|file| PasswordSource::File(source.relative(&file))),
            self.password_command.map(PasswordSource::Command),
        ]
        .into_iter()
        .flatten()
        .collect();
        let [password] = <[PasswordSource; 1]>::try_from(sources).map_err(|sources| {
            source.error_at(
                span,
                format!(
                    "`roles.{name}` needs exactly one of `password_env`, `password_file`, `password_command` ({} given)",
                    sources.len()
                ),
                Some("passwords never go in shakedown.toml itself".into()),
            )
        })?;
        Ok(RoleSettings {
            username: self.username,
            password,
        })
    }
}
