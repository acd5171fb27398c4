//! Where a role's password comes from: an environment variable, a file or a command (a vault,
//! `pass`), never the configuration itself. Resolved once per run, registered with the
//! redactor before anything else sees it, and held as a `SecretString` so no `Debug` prints it.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use tokio::process::Command;

use crate::children::ChildGroup;
use crate::failure::StepFailure;
use crate::redact;

/// A role as configured: who it logs in as and where its password is kept.
#[derive(Debug, Clone)]
pub struct RoleSettings {
    pub username: String,
    pub password: PasswordSource,
}

impl RoleSettings {
    /// Reads the role's password and registers it, and its user and password as a basic-auth
    /// pair, with the redactor; a command gets `limit` to answer.
    pub(crate) async fn read_password(
        &self,
        role: &str,
        limit: Duration,
    ) -> Result<SecretString, StepFailure> {
        let password = self.password.read(role, limit).await?;
        redact::register_login(&self.username, &password);
        Ok(SecretString::from(password))
    }
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
        match self {
            Self::Env(name) => format!("password_env = \"{name}\""),
            Self::File(path) => format!("password_file = \"{}\"", path.display()),
            Self::Command(command) => format!("password_command = \"{command}\""),
        }
    }

    /// Reads the password, trimmed of the line end a file or command leaves after it.
    async fn read(&self, role: &str, limit: Duration) -> Result<String, StepFailure> {
        let failure = |why: String| {
            StepFailure::new(format!("the password of role `{role}` could not be read: {why}"))
                .with("source", self.describe())
        };
        let password = match self {
            Self::Env(name) => std::env::var(name).map_err(|_| failure(format!("`{name}` is not set")))?,
            Self::File(path) => tokio::fs::read_to_string(path)
                .await
                .map_err(|error| failure(format!("cannot read `{}`: {error}", path.display())))?,
            Self::Command(command) => run_password_command(command, limit).await.map_err(failure)?,
        };
        let password = password.trim_end_matches(['\r', '\n']).to_owned();
        if password.is_empty() {
            return Err(failure("it is empty".into()));
        }
        Ok(password)
    }
}

async fn run_password_command(command: &str, limit: Duration) -> Result<String, String> {
    // Its own process group, known to the run: a timeout or a stopped run kills what it started.
    let child = Command::new("sh")
        .args(["-c", command])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|error| format!("the command could not start: {error}"))?;
    let _group = ChildGroup::of(&child);
    let output = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .map_err(|_| format!("the command did not finish within {}s", limit.as_secs_f64()))?
        .map_err(|error| format!("the command could not start: {error}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "the command failed ({}): {}",
            output.status,
            stderr.trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| "the command's output is not UTF-8 text".to_owned())
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    fn role(password: PasswordSource) -> RoleSettings {
        RoleSettings {
            username: "clerk".into(),
            password,
        }
    }

    #[tokio::test]
    async fn a_command_password_is_read_trimmed_registered_and_kept_out_of_debug() {
        let role = role(PasswordSource::Command("printf 'from-the-vault-%s\\n' 42".into()));
        let password = role
            .read_password("clerk", Duration::from_secs(5))
            .await
            .expect("resolves");
        assert_eq!(password.expose_secret(), "from-the-vault-42");
        assert_eq!(redact::redact("x from-the-vault-42 y"), "x [redacted] y");
        let debug = format!("{password:?} {role:?}");
        assert!(!debug.contains("from-the-vault-42"), "{debug}");
    }

    #[tokio::test]
    async fn failures_name_the_role_and_the_source() {
        let unset = role(PasswordSource::Env("SHAKEDOWN_TEST_SURELY_UNSET".into()));
        let failure = unset
            .read_password("clerk", Duration::from_secs(5))
            .await
            .expect_err("unset");
        let message = failure.to_string();
        assert!(message.contains("role `clerk`"), "{message}");
        assert!(
            message.contains("password_env = \"SHAKEDOWN_TEST_SURELY_UNSET\""),
            "{message}"
        );
        let slow = role(PasswordSource::Command("sleep 5".into()));
        let started = std::time::Instant::now();
        assert!(
            slow.read_password("admin", Duration::from_millis(200))
                .await
                .is_err()
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
