//! `[secrets]`: values that are not role passwords but must never print either (an SMTP
//! password, an API key a page might reveal), named by where they are kept, never written in
//! the file. Each is read once when a run starts and registered with the redactor before any
//! step or report; one that cannot be read stops the run before anything is touched.

use std::path::PathBuf;

use serde::Deserialize;
use shakedown_steps::Deadline;
use shakedown_steps::redact::redact;
use shakedown_steps::session::{PasswordSource, read_secret};
use toml::Spanned;

use super::source::Source;
use crate::error::Error;
use crate::output::tell;

/// Shorter values are still masked, with a warning: masking them also masks the same few
/// characters wherever they appear for another reason.
const SHORT_SECRET_CHARS: usize = 4;

#[derive(Deserialize)]
pub(super) struct RawSecrets {
    env: Vec<Spanned<String>>,
    files: Vec<Spanned<String>>,
    commands: Vec<Spanned<String>>,
}

/// One `[secrets]` entry: where its value is kept, and where the file names it, so a value
/// that cannot be read is reported at its line.
#[derive(Debug, Clone)]
pub struct SecretSetting {
    pub source: PasswordSource,
    key: &'static str,
    path: PathBuf,
    line: usize,
    column: usize,
}

impl RawSecrets {
    pub fn resolve(self, source: &Source<'_>) -> Result<Vec<SecretSetting>, Error> {
        let located = |key: &'static str, entry: &Spanned<String>, kept_in: PasswordSource| {
            if entry.get_ref().trim().is_empty() {
                return Err(source.error_at(
                    entry.span(),
                    format!("`{key}`: an empty entry names no secret"),
                    None,
                ));
            }
            let (line, column) = source.line_and_column(entry.span().start);
            Ok(SecretSetting {
                source: kept_in,
                key,
                path: source.path.to_path_buf(),
                line,
                column,
            })
        };
        let env = self
            .env
            .iter()
            .map(|entry| located("secrets.env", entry, PasswordSource::Env(entry.get_ref().clone())));
        let files = self.files.iter().map(|entry| {
            let file = PasswordSource::File(source.relative(entry.get_ref()));
            located("secrets.files", entry, file)
        });
        let commands = self.commands.iter().map(|entry| {
            located(
                "secrets.commands",
                entry,
                PasswordSource::Command(entry.get_ref().clone()),
            )
        });
        env.chain(files).chain(commands).collect()
    }
}

impl SecretSetting {
    fn error(&self, message: String, hint: Option<String>) -> Error {
        Error::Config {
            path: self.path.clone(),
            line: self.line,
            column: self.column,
            message: format!("`{}`: {message}", self.key),
            hint,
        }
    }

    fn warn(&self, message: &str) {
        let warning = format!(
            "warning: {}:{}:{}: `{}`: {message}",
            self.path.display(),
            self.line,
            self.column,
            self.key
        );
        tell!("{}", redact(&warning));
    }
}

/// Reads every `[secrets]` value at once (a command answers by the deadline) and registers each with the
/// redactor. A value that cannot be read is a configuration error at its line: a run that
/// could not mask it must not start. An empty value is skipped and a very short one masked,
/// each with a warning.
pub async fn register_secrets(secrets: &[SecretSetting], deadline: Deadline) -> Result<(), Error> {
    let reads = secrets
        .iter()
        .map(|secret| async move { (secret, read_secret(&secret.source, deadline).await) });
    for (secret, read) in futures::future::join_all(reads).await {
        let length = read.map_err(|why| {
            secret.error(
                why,
                Some("a `[secrets]` value is read before anything runs, so nothing was run; make it readable or remove the entry".into()),
            )
        })?;
        if length == 0 {
            secret.warn(&format!(
                "`{}` is empty, so there is nothing to mask",
                secret.source.name()
            ));
        } else if length < SHORT_SECRET_CHARS {
            secret.warn(&format!(
                "`{}` is {length} character(s) long; it is masked wherever those characters appear, also where they are not the secret",
                secret.source.name()
            ));
        }
    }
    Ok(())
}
