//! `[environments.NAME.vars]`: the values features use as `${NAME}` (the release a deployment
//! installed, a host name), per environment. A variable is secret when it sits under
//! `[environments.NAME.vars.secret]` or is kept elsewhere (`NAME_env`, `NAME_file`,
//! `NAME_command`, as passwords are): its value is then masked in every output.

use std::collections::BTreeMap;

use shakedown_steps::session::PasswordSource;
use toml::Spanned;

use super::source::Source;
use crate::error::Error;

/// Where a variable's value comes from.
#[derive(Debug, Clone)]
pub enum VariableSource {
    /// Written in the file, shown in reports as used.
    Written(String),
    /// Written under `vars.secret`: masked wherever it would show.
    Secret(String),
    /// Read from an environment variable, a file or a command when a run starts, and masked.
    Kept(PasswordSource),
}

impl VariableSource {
    pub fn is_secret(&self) -> bool {
        !matches!(self, Self::Written(_))
    }
}

/// The sub-table whose entries are secret.
const SECRET_TABLE: &str = "secret";

/// The key endings that name where a secret variable's value is kept, as for passwords.
const KEPT_IN: [&str; 3] = ["_env", "_file", "_command"];

/// Reads an environment's `vars` table: `what` is its key path (`environments.live.vars`).
pub(super) fn resolve(
    written: BTreeMap<String, Spanned<toml::Value>>,
    what: &str,
    source: &Source<'_>,
) -> Result<BTreeMap<String, VariableSource>, Error> {
    let mut variables = BTreeMap::new();
    for (key, value) in written {
        if key == SECRET_TABLE
            && let toml::Value::Table(table) = value.get_ref()
        {
            for (key, secret) in table {
                // The inner values carry no span of their own: the table's is the closest.
                let located = Spanned::new(value.span(), secret.clone());
                add(
                    &mut variables,
                    key,
                    &located,
                    true,
                    &format!("{what}.{SECRET_TABLE}"),
                    source,
                )?;
            }
            continue;
        }
        add(&mut variables, &key, &value, false, what, source)?;
    }
    Ok(variables)
}

fn add(
    variables: &mut BTreeMap<String, VariableSource>,
    key: &str,
    value: &Spanned<toml::Value>,
    secret: bool,
    what: &str,
    source: &Source<'_>,
) -> Result<(), Error> {
    let error = |message: String| source.error_at(value.span(), format!("`{what}.{key}`: {message}"), None);
    let text = match value.get_ref() {
        toml::Value::String(text) => text.clone(),
        toml::Value::Integer(number) => number.to_string(),
        toml::Value::Float(number) => number.to_string(),
        toml::Value::Boolean(flag) => flag.to_string(),
        _ => {
            return Err(error(
                "a variable's value is a string (or a number), not a list or a table".into(),
            ));
        }
    };
    let kept = KEPT_IN
        .iter()
        .find_map(|ending| Some((key.strip_suffix(ending)?, *ending)));
    let (name, variable) = match kept {
        Some((name, "_env")) => (name, VariableSource::Kept(PasswordSource::Env(text))),
        Some((name, "_file")) => (
            name,
            VariableSource::Kept(PasswordSource::File(source.relative(&text))),
        ),
        Some((name, _)) => (name, VariableSource::Kept(PasswordSource::Command(text))),
        None if secret => (key, VariableSource::Secret(text)),
        None => (key, VariableSource::Written(text)),
    };
    if !is_variable_name(name) {
        return Err(error(format!(
            "`{name}` cannot be a variable's name: it starts with a letter or `_` and holds only letters, digits and `_`"
        )));
    }
    if variables.insert(name.to_owned(), variable).is_some() {
        return Err(error(format!("`{name}` is given a value twice")));
    }
    Ok(())
}

/// `release`, `api_token`, `_x1`: what `${…}` may name.
pub fn is_variable_name(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|character| character.is_ascii_alphanumeric() || character == '_')
}
