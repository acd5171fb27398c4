//! `features/monitoring.feature`: the checks imported from NRPE or Nagios, one scenario each, and
//! those that could not be imported listed as comments saying why.

use std::fmt;

use shakedown_steps::catalogue::step_line;
use shakedown_steps::phrases::NAGIOS_OK_PHRASE;

use super::gherkin::quoted;
use super::macros::user_references;

/// One check ready to run: a scenario's title, where it came from, and its command line with
/// every macro filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub title: String,
    pub origin: String,
    pub command: String,
}

/// Something that looked like a check but cannot become one, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub name: String,
    pub origin: String,
    pub reason: String,
}

/// What one or more monitoring files gave.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub checks: Vec<Check>,
    pub skipped: Vec<Skipped>,
}

impl Imported {
    pub fn extend(&mut self, other: Imported) {
        self.checks.extend(other.checks);
        self.skipped.extend(other.skipped);
    }

    /// Moves every check whose command line writes a credential out (a password after `-a`, an
    /// `Authorization` header, a password in a URL) to the skipped ones: the feature is meant
    /// for version control, and only a `$USERn$` reference to resource.cfg may stand there.
    pub fn leave_out_written_credentials(&mut self) {
        let (kept, written): (Vec<Check>, Vec<Check>) = std::mem::take(&mut self.checks)
            .into_iter()
            .partition(|check| credential_in(&check.command).is_none());
        self.checks = kept;
        for check in written {
            let credential = credential_in(&check.command).unwrap_or_default();
            self.skipped.push(Skipped {
                name: check.title,
                origin: check.origin,
                reason: format!(
                    "its command line holds {credential}, which a feature kept in version control must not; \
                     move it into Nagios' resource.cfg as a `$USERn$` macro and import again with `--resource`"
                ),
            });
        }
    }
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.name, self.origin, self.reason)
    }
}

/// The feature file as written: its text, and how many checks it runs and lists as left out.
pub struct Rendered {
    pub text: String,
    pub checks: usize,
    pub left_out: usize,
}

/// The feature file, from what was imported out of `sources` (file names, for its description).
pub fn render(imported: &Imported, sources: &[String]) -> Rendered {
    let mut skipped = imported.skipped.clone();
    let mut scenarios = String::new();
    let mut checks = 0;
    for check in &imported.checks {
        let Some(command) = quoted(&check.command) else {
            skipped.push(Skipped {
                name: check.title.clone(),
                origin: check.origin.clone(),
                reason: "its command line holds both kinds of quote, which a step's string cannot carry"
                    .into(),
            });
            continue;
        };
        let references: String = user_references(&check.command)
            .iter()
            .map(|reference| {
                format!("\n  # {reference} is read from Nagios' resource.cfg (`probes.nagios_resource`) when the check runs")
            })
            .collect();
        checks += 1;
        scenarios.push_str(&format!(
            "\n  # from {}{references}\n  Scenario: {}\n    Then {}\n",
            check.origin,
            check.title,
            step_line(NAGIOS_OK_PHRASE, &[&command])
        ));
    }
    let mut text = format!(
        "@post-install\n\
         Feature: The checks our monitoring runs pass\n  \
         Imported by `shakedown init` from {}: each scenario runs one check as\n  \
         Nagios would, with its macros filled in, and passes when the check says OK.\n  \
         Edit it as your own: write `should be at most WARNING` where a warning is\n  \
         acceptable right after a deployment, and tag the checks that belong to some\n  \
         servers only with `@on:GROUP`.{}\n",
        sources.join(", "),
        if skipped.is_empty() {
            ""
        } else {
            " The checks that could not be imported are listed at\n  the end, each with the reason."
        }
    );
    text.push_str(&scenarios);
    if !skipped.is_empty() {
        text.push_str("\n  # Not imported:\n");
        for entry in &skipped {
            text.push_str(&format!("  #   {entry}\n"));
        }
    }
    Rendered {
        text,
        checks,
        left_out: skipped.len(),
    }
}

/// The short options of Monitoring Plugins whose value is a credential, by plugin
/// (`check_http -a user:pass`, `check_snmp -A authpass`); other plugins use the same letters
/// for other things (`check_procs -a` is an argument to match).
const CREDENTIAL_OPTIONS: &[(&str, &[&str])] = &[
    ("check_http", &["-a", "-b"]),
    ("check_curl", &["-a", "-b"]),
    ("check_snmp", &["-A", "-X", "-C"]),
];
/// Words in a long option's name that say its value is a credential (`--authorization`,
/// `--password`, `--community`).
const CREDENTIAL_WORDS: &[&str] = &["pass", "secret", "token", "auth", "community"];
/// Header names whose value is a credential, for `-k` / `--header`.
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "x-auth-token",
];

/// What in `command` is a credential written out (an option's value, a header, a password in a
/// URL), if anything: a value that is a `$USERn$` reference is not one.
fn credential_in(command: &str) -> Option<String> {
    let words = shell_words::split(command)
        .unwrap_or_else(|_| command.split_whitespace().map(str::to_owned).collect());
    let written =
        |value: &str| !value.is_empty() && !value.starts_with('-') && user_references(value).is_empty();
    let plugin = words
        .first()
        .and_then(|program| program.rsplit('/').next())
        .unwrap_or("");
    let short_options = CREDENTIAL_OPTIONS
        .iter()
        .find(|(name, _)| *name == plugin)
        .map_or(&[][..], |(_, options)| *options);
    for (index, word) in words.iter().enumerate() {
        let (option, attached) = match word.split_once('=') {
            Some((option, value)) if option.starts_with("--") => (option, Some(value)),
            _ => (word.as_str(), None),
        };
        let value = attached
            .or_else(|| words.get(index + 1).map(String::as_str))
            .unwrap_or("");
        let long_credential = option.strip_prefix("--").is_some_and(|name| {
            CREDENTIAL_WORDS
                .iter()
                .any(|credential| name.to_ascii_lowercase().contains(credential))
        });
        if (short_options.contains(&option) || long_credential) && written(value) {
            return Some(format!("a credential after `{option}`"));
        }
        if matches!(option, "-k" | "--header") {
            let header = value.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
            if CREDENTIAL_HEADERS.contains(&header.as_str()) && written(value) {
                return Some(format!("the header `{header}`"));
            }
        }
        if let Ok(url) = url::Url::parse(word)
            && url.password().is_some_and(written)
        {
            return Some("a password in a URL".to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_written_in_a_command_are_found_and_references_and_lookalikes_are_not() {
        for (command, found) in [
            ("check_http -H h -a admin:pw", "a credential after `-a`"),
            (
                "/usr/lib/nagios/plugins/check_curl -H h --authorization=admin:pw",
                "a credential after `--authorization`",
            ),
            ("check_snmp -H h -C private", "a credential after `-C`"),
            (
                "check_mysql -H h --password pw",
                "a credential after `--password`",
            ),
            (
                "check_http -H h -k 'Authorization: Bearer x'",
                "the header `authorization`",
            ),
            ("check_curl -u https://u:pw@h/", "a password in a URL"),
        ] {
            assert_eq!(credential_in(command).as_deref(), Some(found), "{command}");
        }
        for command in [
            "check_http -H h -a admin:$USER3$",
            "check_procs -a gunicorn",
            "check_disk -A -w 10%",
            "check_http -H h -k 'Accept: text/html'",
            "check_curl -u https://h/",
        ] {
            assert_eq!(credential_in(command), None, "{command}");
        }
    }
}
