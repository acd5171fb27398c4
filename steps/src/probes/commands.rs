//! Commands written in a feature: how a string becomes a program and its arguments (a shell
//! only when the string needs one), what it gets in its environment, and the checks on what
//! it did.

use globset::GlobSet;
use url::Url;

use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::{Finished, Host, Invocation, MAX_OUTPUT_BYTES, RunError};
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
        if self.finished.output_cut {
            failure = failure.with(
                "output",
                format!(
                    "cut: only the first {} KiB of stdout and of stderr were kept",
                    MAX_OUTPUT_BYTES / 1024
                ),
            );
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
/// only the configuration can say which ones are checks. There an allowed command never needs a
/// shell: a `*` in a pattern would otherwise match `x; touch /tmp/owned` as well, and the shell
/// would run both. Without a shell the line is split into words and run as one program.
pub(crate) fn allowed_on(site: &Site, allowed: &GlobSet, line: &str) -> Result<(), StepFailure> {
    if !site.read_only {
        return Ok(());
    }
    let refused = |why: String| {
        StepFailure::configuration(format!(
            "refused to run the command {} on the read-only environment `{}`: {why}",
            text::quoted(line),
            site.environment
        ))
    };
    if let Some(special) = line.chars().find(|c| SHELL_CHARACTERS.contains(c)) {
        return Err(refused(format!(
            "it needs a shell (it holds {}), and a shell could run more than the allowed pattern names",
            text::quoted(&special.to_string())
        ))
        .with(
            "hint",
            "on a read-only environment a command runs without a shell: write it without ; | & $ ` < > ( ) globs or line breaks, or put it in a script and allow the script",
        ));
    }
    if allowed.is_match(line.trim()) {
        return Ok(());
    }
    Err(refused("it is not listed as allowed".to_owned()).with(
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
    match host.run(invocation, deadline).await {
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

/// Places where a failure shows the text it found, at most.
const SHOWN_FINDINGS: usize = 3;

/// Passes when the text is in the command's stdout or stderr. When it is not and the output
/// was cut, the text may be in what was dropped: the step cannot tell.
pub(crate) fn output_contains(run: &CommandRun, needle: &str) -> Result<(), StepFailure> {
    not_empty(needle)?;
    if run.finished.stdout.contains(needle) || run.finished.stderr.contains(needle) {
        return Ok(());
    }
    if run.finished.output_cut {
        return Err(cut_output(run, needle));
    }
    Err(run.describe(StepFailure::new(format!(
        "the output of the command does not contain {}",
        text::quoted(needle)
    ))))
}

/// Passes when the text is in neither the command's stdout nor its stderr; the failure shows
/// each line it is on. Output that was cut cannot be searched whole: the step cannot tell.
pub(crate) fn output_lacks(run: &CommandRun, needle: &str) -> Result<(), StepFailure> {
    not_empty(needle)?;
    let findings = findings(run, needle);
    if !findings.is_empty() {
        let mut shown: Vec<String> = findings.iter().take(SHOWN_FINDINGS).cloned().collect();
        if findings.len() > SHOWN_FINDINGS {
            shown.push(format!(
                "… and on {} more line(s)",
                findings.len() - SHOWN_FINDINGS
            ));
        }
        return Err(run.describe(
            StepFailure::new(format!(
                "the output of the command contains {}, which it should not",
                text::quoted(needle)
            ))
            .with("found", shown.join("\n")),
        ));
    }
    if run.finished.output_cut {
        return Err(cut_output(run, needle));
    }
    Ok(())
}

/// `stdout line 3: "…the text in its line…"` for every line of the output where `needle` starts.
fn findings(run: &CommandRun, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (stream, output) in [("stdout", &run.finished.stdout), ("stderr", &run.finished.stderr)] {
        let (mut line, mut counted_to, mut shown_line) = (1, 0, 0);
        for (start, _) in output.match_indices(needle) {
            line += output[counted_to..start].matches('\n').count();
            counted_to = start;
            if line == shown_line {
                continue;
            }
            shown_line = line;
            let end = start + needle.len();
            let line_start = output[..start].rfind('\n').map_or(0, |at| at + 1);
            let line_end = output[end..].find('\n').map_or(output.len(), |at| end + at);
            let snippet = text::snippet_around(
                &output[line_start..line_end],
                start - line_start,
                end - line_start,
            );
            found.push(format!("{stream} line {line}: {snippet}"));
        }
    }
    found
}

/// Every output holds the empty text, so looking for it checks nothing.
fn not_empty(needle: &str) -> Result<(), StepFailure> {
    match needle.is_empty() {
        true => Err(StepFailure::configuration(
            "the text to look for in the output is empty",
        )),
        false => Ok(()),
    }
}

/// The command printed more than is kept, and the text was not in what was.
fn cut_output(run: &CommandRun, needle: &str) -> StepFailure {
    run.describe(
        StepFailure::configuration(format!(
            "cannot tell whether the output of the command holds {}: it printed more than the {} KiB kept of \
             stdout and of stderr, and the rest was dropped",
            text::quoted(needle),
            MAX_OUTPUT_BYTES / 1024
        ))
        .with(
            "hint",
            "narrow the command's output (`| grep …`, `| tail -n 100`) so all of it is read",
        ),
    )
}

/// Waits for a probe that reads from the host until the step's deadline, no longer (a hung
/// network mount must not hold the scenario). Each host call the probe makes ends by the same
/// deadline with an error of its own; once the deadline has come, this failure, which names
/// what could not be read, is the one told.
pub(crate) async fn bounded<T>(
    deadline: Deadline,
    what: &str,
    probe: impl Future<Output = Result<T, StepFailure>>,
) -> Result<T, StepFailure> {
    deadline
        .run_before(probe)
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
        assert!(
            refused
                .to_string()
                .contains("on the read-only environment `live`: it is not listed as allowed"),
            "{refused}"
        );
        let smuggled = allowed_on(&site(true), &allowed, "systemctl is-active x; rm -rf /srv")
            .expect_err("a second command");
        assert!(smuggled.to_string().contains("it needs a shell"), "{smuggled}");
        assert!(allowed_on(&site(false), &GlobSet::empty(), "rm -rf /srv/cache").is_ok());
    }

    fn ran(stdout: &str, stderr: &str, output_cut: bool) -> CommandRun {
        CommandRun {
            line: "/srv/app/bin/manage check".into(),
            finished: Finished {
                code: Some(0),
                stdout: stdout.into(),
                stderr: stderr.into(),
                output_cut,
                elapsed: std::time::Duration::from_millis(5),
            },
        }
    }

    #[test]
    fn output_without_the_text_passes_and_each_line_holding_it_is_shown() {
        let run = ran(
            "System check identified no issues\nDEBUG = True in settings\n",
            "warning: DEBUG is on\n",
            false,
        );
        assert!(output_lacks(&run, "Traceback").is_ok());
        let failure = output_lacks(&run, "DEBUG").expect_err("found");
        assert_eq!(failure.kind(), crate::failure::FailureKind::Assertion);
        let message = failure.to_string();
        assert!(
            message.starts_with("the output of the command contains \"DEBUG\", which it should not"),
            "{message}"
        );
        assert!(
            message.contains("found:    stdout line 2: \"DEBUG = True in settings\""),
            "{message}"
        );
        assert!(
            message.contains("\n            stderr line 1: \"warning: DEBUG is on\""),
            "{message}"
        );
        assert!(
            message.contains("command:  /srv/app/bin/manage check"),
            "{message}"
        );
        // Text across a line break is found too, on the line where it starts.
        let across = output_lacks(&run, "issues\nDEBUG")
            .expect_err("across lines")
            .to_string();
        assert!(
            across.contains("stdout line 1: \"System check identified no issues DEBUG"),
            "{across}"
        );
    }

    #[test]
    fn many_findings_are_counted_and_long_lines_cut_around_the_text() {
        let long_line = format!("{}ERROR here{}", "x".repeat(300), "y".repeat(300));
        let stdout = format!("{long_line}\nERROR 2\nERROR 3 ERROR again\nERROR 4\nERROR 5\n");
        let message = output_lacks(&ran(&stdout, "", false), "ERROR")
            .expect_err("found")
            .to_string();
        let around = format!(
            "stdout line 1: \"…{}ERROR here{}…\"",
            "x".repeat(60),
            "y".repeat(55)
        );
        assert!(
            message.contains(&around),
            "the line is cut around the text: {message}"
        );
        assert!(
            message.contains("stdout line 3: \"ERROR 3 ERROR again\""),
            "{message}"
        );
        assert!(message.contains("… and on 2 more line(s)"), "{message}");
    }

    #[test]
    fn output_that_was_cut_cannot_tell_what_it_lacks() {
        let cut = ran("line\n", "", true);
        let failure = output_lacks(&cut, "Traceback").expect_err("cannot tell");
        assert_eq!(failure.kind(), crate::failure::FailureKind::Configuration);
        assert!(
            failure.to_string().starts_with(
                "cannot tell whether the output of the command holds \"Traceback\": it printed more than the 1024 KiB"
            ),
            "{failure}"
        );
        // What was kept is evidence enough either way.
        assert_eq!(
            output_lacks(&cut, "line").expect_err("found").kind(),
            crate::failure::FailureKind::Assertion
        );
        assert!(output_contains(&cut, "line").is_ok());
        assert_eq!(
            output_contains(&cut, "Traceback")
                .expect_err("cannot tell")
                .kind(),
            crate::failure::FailureKind::Configuration
        );
        assert_eq!(
            output_lacks(&ran("", "", false), "").expect_err("empty").kind(),
            crate::failure::FailureKind::Configuration
        );
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
