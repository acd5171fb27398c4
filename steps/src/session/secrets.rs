//! Where a role's password, or any other secret a run must never print (`[secrets]`: an SMTP
//! password, an API key), comes from: an environment variable, a file or a command (a vault,
//! `pass`), never the configuration itself. Resolved once per run, registered with the
//! redactor before anything else sees it, and held as a `SecretString` so no `Debug` prints it.

use std::path::PathBuf;
use std::sync::RwLock;

use secrecy::{ExposeSecret as _, SecretString};

use super::methods::{ClientCertificate, LoginMethod};
use super::totp::SecondFactor;
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::{Host as _, Invocation, LocalHost, RunError};
use crate::redact;

/// A role as configured: who it logs in as, how, and where its password is kept.
#[derive(Debug, Clone)]
pub struct RoleSettings {
    /// Empty for a role that sends a fixed header: it has no user name.
    pub username: String,
    /// The password, or for `method = "header"` the header's value (`value_env` …).
    pub password: PasswordSource,
    /// The role's `method`, or `login.method` when it names none.
    pub method: LoginMethod,
    /// The client certificate its requests present: its own, or its environment's.
    pub client_certificate: Option<ClientCertificate>,
    /// `totp_secret_*`: the one-time codes it gives when the site asks for one.
    pub second_factor: Option<SecondFactor>,
}

impl RoleSettings {
    /// Reads the role's password and registers it, and its user and password as a basic-auth
    /// pair, with the redactor; a command must answer by the deadline.
    pub(crate) async fn read_password(
        &self,
        role: &str,
        deadline: Deadline,
    ) -> Result<SecretString, StepFailure> {
        // The role cannot act, so nothing about the site is known: the run's problem, not the site's.
        let failure = |why: String| {
            StepFailure::configuration(format!("the password of role `{role}` could not be read: {why}"))
                .with("source", self.password.describe())
        };
        let password = self.password.read(deadline).await.map_err(failure)?;
        if password.is_empty() {
            return Err(failure("it is empty".into()));
        }
        redact::register_login(&self.username, &password);
        redact::register_named(&format!("the password of role `{role}`"), &password);
        if let LoginMethod::Header {
            scheme: Some(scheme), ..
        } = &self.method
        {
            redact::register_named(
                &format!("the header of role `{role}`"),
                &format!("{scheme} {password}"),
            );
        }
        Ok(SecretString::from(password))
    }
}

/// The environment variables `[secrets]` values are read from. Like those of role passwords,
/// no command or plugin a step starts inherits them; kept beside the redactor's secrets, for
/// the run's whole process.
static SECRET_VARIABLES: RwLock<Vec<String>> = RwLock::new(Vec::new());

pub(crate) fn secret_variables() -> Vec<String> {
    crate::locked::read(&SECRET_VARIABLES).clone()
}

/// Reads a secret that is not a role's password (`[secrets]`) and registers it under its
/// source's name (`PasswordSource::name`); a command must answer by the deadline. Returns how many
/// characters it has, the value itself going no further than the redactor. An empty value is
/// not registered: masking the empty string would mask everything. On failure, why, never the
/// value nor a command's error output.
pub async fn read_secret(source: &PasswordSource, deadline: Deadline) -> Result<usize, String> {
    let value = SecretString::from(read_registered_secret(source, deadline).await?);
    Ok(value.expose_secret().chars().count())
}

/// Reads a secret whose value the run writes into its steps (a secret `${variable}`), after
/// registering it with the redactor as [`read_secret`] does, so no output can show it.
pub async fn read_registered_secret(source: &PasswordSource, deadline: Deadline) -> Result<String, String> {
    if let PasswordSource::Env(name) = source {
        crate::locked::write(&SECRET_VARIABLES).push(name.clone());
    }
    let value = source.read(deadline).await?;
    if !value.is_empty() {
        redact::register_named(&source.name(), &value);
    }
    Ok(value)
}

/// Where a password is read from. `Debug` shows the source, which is not secret.
#[derive(Debug, Clone)]
pub enum PasswordSource {
    Env(String),
    File(PathBuf),
    Command(String),
}

impl PasswordSource {
    /// `password_env = "LEDGER_CLERK_PASSWORD"`, as the user wrote it, for messages.
    pub fn describe(&self) -> String {
        self.describe_as("password")
    }

    /// `{keys}_env = "…"`: the source as written under other keys (`totp_secret`).
    pub fn describe_as(&self, keys: &str) -> String {
        match self {
            Self::Env(name) => format!("{keys}_env = \"{name}\""),
            Self::File(path) => format!("{keys}_file = \"{}\"", path.display()),
            Self::Command(command) => format!("{keys}_command = \"{command}\""),
        }
    }

    /// What a secret read from here is called where a check reports it: the variable, the
    /// file or the command, none of which is secret.
    pub fn name(&self) -> String {
        match self {
            Self::Env(name) => name.clone(),
            Self::File(path) => path.display().to_string(),
            Self::Command(command) => command.clone(),
        }
    }

    /// Reads the value, trimmed of the line end a file or command leaves after it; on failure,
    /// why in words.
    pub(super) async fn read(&self, deadline: Deadline) -> Result<String, String> {
        let value = match self {
            Self::Env(name) => std::env::var(name).map_err(|_| format!("`{name}` is not set"))?,
            Self::File(path) => crate::read_input::read_text_bounded(path, MAX_SECRET_BYTES)
                .map_err(|error| format!("cannot read `{}`: {error}", path.display()))?,
            Self::Command(command) => run_password_command(command, deadline).await?,
        };
        Ok(value.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// The most a password or secret file may hold: far more than any password, far less than what
/// a mistaken path (`/dev/zero`, a log file) would pour into memory.
const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// Runs a password command in its own process group (killed whole at the deadline, so a vault client
/// that forks leaves nothing behind) and keeps its stderr to itself: a failing secret tool may
/// print the very secret, or its token, in its complaint.
async fn run_password_command(command: &str, deadline: Deadline) -> Result<String, String> {
    let invocation = Invocation {
        program: "sh".into(),
        args: vec!["-c".into(), command.into()],
        ..Invocation::default()
    };
    let finished = LocalHost
        .run(&invocation, deadline)
        .await
        .map_err(|error| match error {
            RunError::TimedOut { .. } => format!(
                "the command did not finish within {deadline}; it and every process it started were killed"
            ),
            RunError::NotFound => "`sh` was not found".to_owned(),
            RunError::Start(error) => format!("the command could not start: {error}"),
        })?;
    if finished.code != Some(0) {
        return Err(format!(
            "the command failed with {} (its error output is not shown: it may hold secrets)",
            finished.describe_status()
        ));
    }
    // Kept like a password file: a command pouring out a log or a binary is a mistake, and
    // holding a megabyte as a secret would slow every line the run prints.
    if finished.output_cut || finished.stdout.len() as u64 > MAX_SECRET_BYTES {
        return Err(format!(
            "the command printed more than the {} KiB a password or secret may hold",
            MAX_SECRET_BYTES / 1024
        ));
    }
    Ok(finished.stdout)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::deadline::Limit;

    /// A deadline `seconds` from now.
    fn within(seconds: u64) -> Deadline {
        Deadline::after(Duration::from_secs(seconds), Limit::Step)
    }

    fn role(password: PasswordSource) -> RoleSettings {
        RoleSettings {
            username: "clerk".into(),
            password,
            method: LoginMethod::Form,
            client_certificate: None,
            second_factor: None,
        }
    }

    #[tokio::test]
    async fn a_command_pouring_out_more_than_a_secret_holds_fails_without_its_output() {
        let chatty = PasswordSource::Command("yes secret-looking-line | head -c 300000".into());
        let why = chatty.read(within(10)).await.expect_err("too long for a secret");
        assert!(why.contains("more than the 64 KiB"), "{why}");
        assert!(!why.contains("secret-looking-line"), "{why}");
    }

    #[tokio::test]
    async fn a_command_password_is_read_trimmed_registered_and_kept_out_of_debug() {
        let role = role(PasswordSource::Command("printf 'from-the-vault-%s\\n' 42".into()));
        let password = role.read_password("clerk", within(5)).await.expect("resolves");
        assert_eq!(password.expose_secret(), "from-the-vault-42");
        assert_eq!(redact::redact("x from-the-vault-42 y"), "x [redacted] y");
        let debug = format!("{password:?} {role:?}");
        assert!(!debug.contains("from-the-vault-42"), "{debug}");
    }

    #[tokio::test]
    async fn a_failing_command_is_reported_by_its_status_never_its_error_output() {
        let leaky = role(PasswordSource::Command(
            "echo token=abc$((100 + 23)) >&2; exit 3".into(),
        ));
        let message = leaky
            .read_password("clerk", within(5))
            .await
            .expect_err("fails")
            .to_string();
        assert!(message.contains("exit status 3"), "{message}");
        assert!(!message.contains("abc123"), "{message}");
    }

    #[tokio::test]
    async fn failures_name_the_role_and_the_source() {
        let unset = role(PasswordSource::Env("SHAKEDOWN_TEST_SURELY_UNSET".into()));
        let failure = unset.read_password("clerk", within(5)).await.expect_err("unset");
        let message = failure.to_string();
        assert!(message.contains("role `clerk`"), "{message}");
        assert!(
            message.contains("password_env = \"SHAKEDOWN_TEST_SURELY_UNSET\""),
            "{message}"
        );
        let slow = role(PasswordSource::Command("sleep 5".into()));
        let started = std::time::Instant::now();
        assert!(
            slow.read_password("admin", Deadline::after(Duration::from_millis(200), Limit::Step))
                .await
                .is_err()
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_secret_is_registered_under_its_source_and_an_empty_one_is_not() {
        let smtp = PasswordSource::Command("printf 'smtp-%s\\n' pass-42".into());
        assert_eq!(read_secret(&smtp, within(5)).await, Ok(12));
        assert_eq!(
            redact::registered_secret_in("<p>smtp-pass-42</p>").as_deref(),
            Some("printf 'smtp-%s\\n' pass-42")
        );
        let empty = PasswordSource::Command("true".into());
        assert_eq!(read_secret(&empty, within(5)).await, Ok(0));
        assert_eq!(redact::redact("still readable"), "still readable");
        assert!(!format!("{smtp:?}").contains("smtp-pass-42"));
    }
}
