//! Services, asked of systemd (`systemctl is-active` / `is-enabled`). Where systemd does not
//! run, the answer says so and points at the process step instead of guessing.

use super::commands::{self, CommandRun};
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::{Host, Invocation};

/// What is asked of systemd about a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Question {
    Running,
    Enabled,
}

impl Question {
    fn verb(self) -> &'static str {
        match self {
            Self::Running => "is-active",
            Self::Enabled => "is-enabled",
        }
    }

    fn state(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Enabled => "enabled",
        }
    }
}

/// What `systemctl` prints when there is no systemd to ask (a container, a chroot, another init).
const NO_SYSTEMD: &[&str] = &[
    "not been booted with systemd",
    "Failed to connect to bus",
    "Failed to get D-Bus connection",
];

/// Asks systemd; passes when it answers yes (exit status 0).
pub(crate) async fn check(
    host: &dyn Host,
    question: Question,
    service: &str,
    deadline: Deadline,
) -> Result<(), StepFailure> {
    let invocation = Invocation {
        program: "systemctl".into(),
        args: vec![question.verb().into(), service.into()],
        ..Invocation::default()
    };
    let line = invocation.display();
    let run = commands::run(host, &line, &invocation, deadline, "systemctl")
        .await
        .map_err(|failure| match host_lacks_systemctl(&failure) {
            true => no_systemd(host, service, "`systemctl` is not installed"),
            false => failure,
        })?;
    answer(&run, question, service, &host.name())
}

pub(crate) fn host_lacks_systemctl(failure: &StepFailure) -> bool {
    failure.summary().starts_with("`systemctl` was not found")
}

/// Reads systemctl's answer.
pub(crate) fn answer(
    run: &CommandRun,
    question: Question,
    service: &str,
    host: &str,
) -> Result<(), StepFailure> {
    let output = format!("{}\n{}", run.finished.stdout, run.finished.stderr);
    if let Some(reason) = says_no_systemd(&output) {
        return Err(no_systemd_named(
            host,
            service,
            &format!("systemctl says: {reason}"),
        ));
    }
    if run.finished.code == Some(0) {
        return Ok(());
    }
    let said = run.finished.stdout.trim();
    let said = if said.is_empty() {
        run.finished.stderr.trim()
    } else {
        said
    };
    Err(run.describe(StepFailure::new(format!(
        "the service `{service}` is not {}: systemd says `{said}`",
        question.state()
    ))))
}

/// The line of systemctl's output saying there is no systemd to ask, if it says so.
pub(crate) fn says_no_systemd(output: &str) -> Option<&str> {
    let marker = NO_SYSTEMD.iter().find(|marker| output.contains(*marker))?;
    Some(first_line_with(output, marker))
}

fn first_line_with<'a>(output: &'a str, marker: &'a str) -> &'a str {
    output
        .lines()
        .find(|line| line.contains(marker))
        .unwrap_or(marker)
        .trim()
}

fn no_systemd(host: &dyn Host, service: &str, reason: &str) -> StepFailure {
    no_systemd_named(&host.name(), service, reason)
}

fn no_systemd_named(host: &str, service: &str, reason: &str) -> StepFailure {
    StepFailure::new(format!(
        "systemd is not available on {host}, so the service `{service}` cannot be asked about"
    ))
    .with("seen", reason)
    .with(
        "hint",
        format!("check its process instead: `a process named \"{service}\" should be running`"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::Finished;
    use std::time::Duration;

    fn ran(code: i32, stdout: &str, stderr: &str) -> CommandRun {
        CommandRun {
            line: "systemctl is-active nginx".into(),
            finished: Finished {
                code: Some(code),
                stdout: stdout.into(),
                stderr: stderr.into(),
                output_cut: false,
                elapsed: Duration::from_millis(5),
            },
        }
    }

    #[test]
    fn systemd_answers_are_read() {
        assert!(answer(&ran(0, "active\n", ""), Question::Running, "nginx", "here").is_ok());
        let failure =
            answer(&ran(3, "inactive\n", ""), Question::Running, "nginx", "here").expect_err("inactive");
        assert!(
            failure
                .to_string()
                .starts_with("the service `nginx` is not running: systemd says `inactive`"),
            "{failure}"
        );
        let failure =
            answer(&ran(1, "disabled\n", ""), Question::Enabled, "cron", "here").expect_err("disabled");
        assert!(
            failure
                .to_string()
                .contains("is not enabled: systemd says `disabled`"),
            "{failure}"
        );
    }

    #[test]
    fn a_machine_without_systemd_gets_a_pointer_to_the_process_step() {
        let failure = answer(
            &ran(1, "", "System has not been booted with systemd as init system (PID 1). Can't operate.\nFailed to connect to bus: Host is down\n"),
            Question::Running,
            "cron",
            "this machine",
        )
        .expect_err("no systemd");
        let message = failure.to_string();
        assert!(
            message.starts_with("systemd is not available on this machine"),
            "{message}"
        );
        assert!(
            message.contains("a process named \"cron\" should be running"),
            "{message}"
        );
    }
}
