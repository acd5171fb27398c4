//! Commands written in a feature: how a string becomes a program and its arguments (a shell
//! only when the string needs one), what it gets in its environment, and the checks on what
//! it did.

use globset::GlobSet;
use url::Url;

use super::host::{Finished, Host, Invocation, RunError};
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::site::Site;
use crate::text::{self, Keep};

/// Characters only a shell gives meaning to: variables, pipes, redirects, lists, globs.
const SHELL_CHARACTERS: &[char] = &[
    '$', '|', '&', ';', '<', '>', '(', ')', '`', '*', '?', '~', '[', '{', '\n',
];

/// A scenario's probe state: the last command (or plugin) it ran, for `its output should contain`.
#[derive(Debug, Default)]
pub(crate) struct ProbeState {
    pub last_command: Option<CommandRun>,
}

/// A command that ran to its end, kept for `its output should contain`.
#[derive(Debug, Clone)]
pub(crate) struct CommandRun {
    pub line: String,
    pub finished: Finished,
}

impl CommandRun {
    /// The labelled lines every failure about this command carries.
    pub fn describe(&self, failure: StepFailure) -> StepFailure {
        let mut failure = failure.with("command", &self.line).with(
            "status",
            format!(
                "{} after {} ms",
                self.finished.describe_status(),
                self.finished.elapsed.as_millis()
            ),
        );
        for (label, output) in [
            ("stdout", &self.finished.stdout),
            ("stderr", &self.finished.stderr),
        ] {
            if !output.trim().is_empty() {
                failure = failure.with(label, text::for_terminal(output, Keep::End));
            }
        }
        failure
    }
}

/// Whether `line` needs `sh -c` to mean what it says.
pub(crate) fn needs_shell(line: &str) -> bool {
    line.contains(SHELL_CHARACTERS)
}

/// The invocation for a command line: split like a shell would (quotes honoured) when it is a
/// plain command, else handed to `sh -c` as it is.
pub(crate) fn invocation(line: &str) -> Result<Invocation, StepFailure> {
    if needs_shell(line) {
        return Ok(Invocation {
            program: "sh".into(),
            args: vec!["-c".into(), line.into()],
            ..Invocation::default()
        });
    }
    let mut words = shell_words::split(line)
        .map_err(|error| {
            StepFailure::new(format!("cannot read the command {}: {error}", text::quoted(line)))
        })?
        .into_iter();
    let program = words
        .next()
        .ok_or_else(|| StepFailure::new("the command is empty"))?;
    Ok(Invocation {
        program,
        args: words.collect(),
        ..Invocation::default()
    })
}

/// Refuses a feature's command on a read-only environment unless `allowed` (the configured
/// `probes.allowed_commands_on_read_only`) matches its line: a command may change anything, and
/// only the configuration can say which ones are checks.
pub(crate) fn allowed_on(site: &Site, allowed: &GlobSet, line: &str) -> Result<(), StepFailure> {
    if !site.read_only || allowed.is_match(line.trim()) {
        return Ok(());
    }
    Err(StepFailure::configuration(format!(
        "refused to run the command {}: the environment `{}` is read-only",
        text::quoted(line),
        site.environment
    ))
    .with(
        "hint",
        "list the commands that only look in `probes.allowed_commands_on_read_only` (glob patterns, e.g. \"systemctl is-active *\"); Nagios checks always run",
    ))
}

/// What every command learns about the environment under test.
pub(crate) fn environment(base_url: &Url) -> Vec<(String, String)> {
    let mut variables = vec![("SHAKEDOWN_BASE_URL".to_owned(), base_url.to_string())];
    if let Some(host) = base_url.host_str() {
        variables.push(("SHAKEDOWN_HOST".to_owned(), host.to_owned()));
    }
    if let Some(port) = base_url.port_or_known_default() {
        variables.push(("SHAKEDOWN_PORT".to_owned(), port.to_string()));
    }
    variables
}

/// Runs `invocation` until the step's deadline, turning every way it can go wrong into a failure that
/// names the command and the limit.
pub(crate) async fn run(
    host: &dyn Host,
    line: &str,
    invocation: &Invocation,
    deadline: Deadline,
    subject: &str,
) -> Result<CommandRun, StepFailure> {
    match host.run(invocation, deadline.remaining()).await {
        Ok(finished) => Ok(CommandRun {
            line: line.to_owned(),
            finished,
        }),
        Err(RunError::NotFound) => Err(StepFailure::configuration(format!(
            "`{}` was not found on {}",
            invocation.program,
            host.name()
        ))
        .with("command", line)),
        Err(RunError::Start(error)) => Err(StepFailure::configuration(format!(
            "`{}` could not be started on {}: {error}",
            invocation.program,
            host.name()
        ))
        .with("command", line)),
        Err(RunError::TimedOut { stdout, stderr }) => {
            let mut failure = StepFailure::timeout(format!(
                "{subject} did not finish within {deadline}; it was killed"
            ))
            .with("command", line);
            for (label, output) in [("stdout", &stdout), ("stderr", &stderr)] {
                if !output.trim().is_empty() {
                    failure = failure.with(label, text::for_terminal(output, Keep::End));
                }
            }
            Err(failure)
        }
    }
}

pub(crate) fn succeeded(run: &CommandRun) -> Result<(), StepFailure> {
    if run.finished.code == Some(0) {
        return Ok(());
    }
    Err(run.describe(StepFailure::new(format!(
        "the command failed with {}",
        run.finished.describe_status()
    ))))
}

/// Passes when the text is in the command's stdout or stderr.
pub(crate) fn output_contains(run: &CommandRun, needle: &str) -> Result<(), StepFailure> {
    if run.finished.stdout.contains(needle) || run.finished.stderr.contains(needle) {
        return Ok(());
    }
    Err(run.describe(StepFailure::new(format!(
        "the output of the command does not contain {}",
        text::quoted(needle)
    ))))
}

/// Waits for a probe that reads from the host until the step's deadline, no longer (a hung
/// network mount must not hold the scenario).
pub(crate) async fn bounded<T>(
    deadline: Deadline,
    what: &str,
    probe: impl Future<Output = Result<T, StepFailure>>,
) -> Result<T, StepFailure> {
    deadline
        .run(probe)
        .await
        .unwrap_or_else(|| Err(deadline.exceeded(format!("{what} could not be read"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_commands_are_split_and_shell_lines_go_to_sh() {
        let plain = invocation("grep -q 'Ledger jobs' /etc/crontab").expect("splits");
        assert_eq!(plain.program, "grep");
        assert_eq!(plain.args, ["-q", "Ledger jobs", "/etc/crontab"]);
        let shell = invocation("check_http -H $SHAKEDOWN_HOST | head -1").expect("shell");
        assert_eq!(shell.program, "sh");
        assert_eq!(shell.args, ["-c", "check_http -H $SHAKEDOWN_HOST | head -1"]);
        assert!(
            invocation("echo 'unterminated")
                .expect_err("bad quote")
                .to_string()
                .contains("cannot read the command")
        );
        assert!(invocation("   ").is_err());
    }

    #[test]
    fn a_read_only_environment_runs_only_the_listed_commands() {
        let site = |read_only| Site {
            environment: "live".into(),
            base_url: Url::parse("http://site.test/").expect("url"),
            read_only,
        };
        let mut allowed = globset::GlobSetBuilder::new();
        allowed.add(globset::Glob::new("systemctl is-active *").expect("glob"));
        let allowed = allowed.build().expect("set");
        assert!(allowed_on(&site(true), &allowed, "systemctl is-active nginx").is_ok());
        let refused = allowed_on(&site(true), &allowed, "rm -rf /srv/cache").expect_err("refused");
        assert!(refused.to_string().contains("`live` is read-only"), "{refused}");
        assert!(allowed_on(&site(false), &GlobSet::empty(), "rm -rf /srv/cache").is_ok());
    }

    #[test]
    fn commands_learn_where_the_site_is() {
        let url = Url::parse("http://127.0.0.1:8080/ledger/").expect("url");
        let variables = environment(&url);
        assert!(variables.contains(&("SHAKEDOWN_HOST".into(), "127.0.0.1".into())));
        assert!(variables.contains(&("SHAKEDOWN_PORT".into(), "8080".into())));
        let https = Url::parse("https://example.com/").expect("url");
        assert!(environment(&https).contains(&("SHAKEDOWN_PORT".into(), "443".into())));
    }
}
