//! NRPE's configuration (`nrpe.cfg`): each `command[name]=command line` is a check the Nagios
//! server asks for by name. Everything else in the file (ports, allowed hosts) is the daemon's own
//! business and is passed over.

use super::macros::{UserMacros, expand, numbered};
use super::monitoring::{Check, Imported, Skipped};

/// The checks of one NRPE file; `file` names it in titles' origins. NRPE runs every command
/// after the file's `command_prefix` (e.g. `/usr/bin/sudo -n`), wherever that line stands, and
/// so does the feature.
pub fn import(file: &str, text: &str, users: &UserMacros) -> Imported {
    let prefix = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("command_prefix="))
        .map(str::trim)
        .next_back()
        .filter(|prefix| !prefix.is_empty());
    let mut imported = Imported::default();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        let origin = format!("{file}:{}", index + 1);
        if let Some(folder_or_file) = line
            .strip_prefix("include=")
            .or_else(|| line.strip_prefix("include_dir="))
        {
            imported.skipped.push(Skipped {
                name: line.split('=').next().unwrap_or_default().to_owned(),
                origin,
                reason: format!(
                    "NRPE reads more commands from `{}`: import them with another `--from-nrpe`",
                    folder_or_file.trim()
                ),
            });
            continue;
        }
        let Some(definition) = line.strip_prefix("command[") else {
            continue;
        };
        let parsed = definition
            .split_once(']')
            .and_then(|(name, rest)| Some((name, rest.trim_start().strip_prefix('=')?)));
        let Some((name, command)) = parsed else {
            // The line is not repeated: the feature is meant for version control, and the line may
            // hold a password.
            imported.skipped.push(Skipped {
                name: "a `command[` line".into(),
                origin,
                reason: "not of the form `command[name]=command line`".into(),
            });
            continue;
        };
        let filled = expand(command.trim(), |macro_name| {
            if let Some(value) = users.value_of(macro_name) {
                return value;
            }
            Err(match numbered(macro_name, "ARG") {
                Some(_) => format!(
                    "`${macro_name}$` is sent by the Nagios server with each request, and this file gives it no value"
                ),
                None => format!("`${macro_name}$` is not a macro NRPE fills in"),
            })
        });
        match filled {
            Ok(command) => imported.checks.push(Check {
                title: name.trim().to_owned(),
                origin,
                command: match prefix {
                    Some(prefix) => format!("{prefix} {command}"),
                    None => command,
                },
            }),
            Err(reason) => imported.skipped.push(Skipped {
                name: name.trim().to_owned(),
                origin,
                reason,
            }),
        }
    }
    imported
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_become_checks_and_arguments_without_values_are_skipped() {
        let text = "\
# NRPE config
server_port=5666
command[check_users]=/usr/lib/nagios/plugins/check_users -w 5 -c 10
  command[check_root] = $USER1$/check_disk -w 20% -c 10% -p /
command[check_load]=$USER1$/check_load -w $ARG1$ -c $ARG2$
command[broken=check_x
include_dir=/etc/nagios/nrpe.d/
";
        let imported = import("nrpe.cfg", text, &UserMacros::new("/plugins".into()));
        assert_eq!(
            imported.checks,
            [
                Check {
                    title: "check_users".into(),
                    origin: "nrpe.cfg:3".into(),
                    command: "/usr/lib/nagios/plugins/check_users -w 5 -c 10".into(),
                },
                Check {
                    title: "check_root".into(),
                    origin: "nrpe.cfg:4".into(),
                    command: "/plugins/check_disk -w 20% -c 10% -p /".into(),
                },
            ]
        );
        let skipped: Vec<String> = imported.skipped.iter().map(ToString::to_string).collect();
        let prefixed = import(
            "nrpe.cfg",
            &format!("{text}command_prefix=/usr/bin/sudo -n\n"),
            &UserMacros::new("/plugins".into()),
        );
        assert_eq!(
            prefixed.checks[0].command,
            "/usr/bin/sudo -n /usr/lib/nagios/plugins/check_users -w 5 -c 10"
        );
        assert_eq!(
            skipped,
            [
                "check_load (nrpe.cfg:5): `$ARG1$` is sent by the Nagios server with each request, and this file gives it no value",
                "a `command[` line (nrpe.cfg:6): not of the form `command[name]=command line`",
                "include_dir (nrpe.cfg:7): NRPE reads more commands from `/etc/nagios/nrpe.d/`: import them with another `--from-nrpe`",
            ]
        );
    }
}
