//! Nagios macros in command lines: `$NAME$` replaced by its value, `$$` by one `$`, as Nagios
//! itself does before it runs a check. A macro nobody can give a value for stops the import of
//! that check, with the reason.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::{Captures, Regex};
use shakedown_steps::{resource_macros, user_macro_number};

static MACRO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$\$|\$([A-Za-z0-9_:.-]+)\$").expect("the macro pattern is valid"));

/// Why a macro has no value here, said as a fragment: "`$ARG1$` …".
pub type Unresolved = String;

/// Replaces every macro of `text` by what `value_of` says; the first macro without a value
/// gives its reason instead.
pub fn expand(
    text: &str,
    mut value_of: impl FnMut(&str) -> Result<String, Unresolved>,
) -> Result<String, Unresolved> {
    let mut problem = None;
    let expanded = MACRO.replace_all(text, |found: &Captures<'_>| match found.get(1) {
        None => "$".to_owned(),
        Some(name) => match value_of(name.as_str()) {
            Ok(value) => value,
            Err(reason) => {
                problem.get_or_insert(reason);
                String::new()
            }
        },
    });
    match problem {
        Some(reason) => Err(reason),
        None => Ok(expanded.into_owned()),
    }
}

/// `$USER1$` to `$USER256$`: defined in Nagios' resource.cfg; without one, `$USER1$` is the
/// plugin folder, as every stock resource.cfg has it.
#[derive(Debug, Clone, Default)]
pub struct UserMacros {
    plugin_dir: String,
    /// From a resource.cfg, by number.
    defined: BTreeMap<usize, String>,
}

impl UserMacros {
    pub fn new(plugin_dir: String) -> Self {
        Self {
            plugin_dir,
            defined: BTreeMap::new(),
        }
    }

    /// Reads resource.cfg's `$USERn$=value` lines; anything else in it is a problem at its line.
    pub fn read_resource(&mut self, text: &str) -> Result<(), (usize, String)> {
        self.defined.extend(resource_macros(text)?);
        Ok(())
    }

    /// What `$USERn$` becomes in a feature, if `name` is one and it is known. resource.cfg is
    /// where Nagios keeps passwords, so a macro it defines stays a reference, which the run
    /// fills in from the file named `probes.nagios_resource`; only `$USER1$`, the plugin
    /// folder by every convention, is written as its value.
    pub fn value_of(&self, name: &str) -> Option<Result<String, Unresolved>> {
        let number = user_macro_number(name)?;
        Some(match (self.defined.get(&number), number) {
            (Some(value), 1) => Ok(value.clone()),
            (Some(_), _) => Ok(format!("${name}$")),
            (None, 1) => Ok(self.plugin_dir.clone()),
            (None, _) => Err(format!(
                "`${name}$` is defined in Nagios' resource.cfg: pass that file with `--resource`"
            )),
        })
    }
}

/// The `$USERn$` references a command line keeps (`$USER3$`), each once.
pub fn user_references(command: &str) -> Vec<&str> {
    let mut references: Vec<&str> = MACRO
        .captures_iter(command)
        .filter_map(|found| found.get(1))
        .filter(|name| user_macro_number(name.as_str()).is_some())
        .map(|name| &command[name.start() - 1..name.end() + 1])
        .collect();
    references.sort_unstable();
    references.dedup();
    references
}

/// The number of an `$ARGn$` or `$USERn$` macro.
pub fn numbered(name: &str, prefix: &str) -> Option<usize> {
    name.strip_prefix(prefix)?
        .parse()
        .ok()
        .filter(|number| *number > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(name: &str) -> Result<String, Unresolved> {
        match name {
            "USER1" => Ok("/usr/lib/nagios/plugins".into()),
            "ARG1" => Ok("80".into()),
            other => Err(format!("`${other}$` has no value")),
        }
    }

    #[test]
    fn macros_are_replaced_and_doubled_dollars_kept_as_one() {
        assert_eq!(
            expand("$USER1$/check_tcp -p $ARG1$ -E 'a$$b'", values),
            Ok("/usr/lib/nagios/plugins/check_tcp -p 80 -E 'a$b'".into())
        );
    }

    #[test]
    fn the_first_macro_without_a_value_is_the_reason() {
        assert_eq!(
            expand("$USER1$/check_ping -H $HOSTADDRESS$ -w $ARG9$", values),
            Err("`$HOSTADDRESS$` has no value".into())
        );
    }

    #[test]
    fn a_lone_dollar_is_left_alone() {
        assert_eq!(
            expand("echo $HOME and 5$", values),
            Ok("echo $HOME and 5$".into())
        );
    }

    #[test]
    fn user_macros_come_from_resource_cfg_with_the_plugin_folder_as_user1() {
        let mut users = UserMacros::new("/usr/lib/nagios/plugins".into());
        assert_eq!(
            users.value_of("USER1"),
            Some(Ok("/usr/lib/nagios/plugins".into()))
        );
        assert_eq!(
            users.value_of("USER2"),
            Some(Err(
                "`$USER2$` is defined in Nagios' resource.cfg: pass that file with `--resource`".into()
            ))
        );
        assert_eq!(users.value_of("HOSTADDRESS"), None);
        users
            .read_resource("# Sets $USER1$\n$USER1$=/opt/plugins\n\n$USER2$ = /opt/local\n")
            .expect("valid");
        assert_eq!(users.value_of("USER1"), Some(Ok("/opt/plugins".into())));
        // A macro resource.cfg defines stays a reference: it may hold a password.
        assert_eq!(users.value_of("USER2"), Some(Ok("$USER2$".into())));
        assert_eq!(
            users.read_resource("USER3=/x"),
            Err((1, "expected `$USERn$=value`, found `USER3=/x`".into()))
        );
    }

    #[test]
    fn numbered_macros_have_a_positive_number() {
        assert_eq!(numbered("ARG12", "ARG"), Some(12));
        assert_eq!(numbered("ARG0", "ARG"), None);
        assert_eq!(numbered("ARGX", "ARG"), None);
        assert_eq!(numbered("USER3", "ARG"), None);
    }
}
