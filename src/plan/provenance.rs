//! Where a run comes from, computed once when it is planned: who starts it (the login name,
//! `sudo`'s user, the CI's user and job), from which machine, with which feature files (and
//! their SHA-256) at which git revision. The reports' headers and the audit log both read it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use super::suite::Suite;

/// The CI variables that say who started a job and which job it is: GitHub Actions, GitLab CI
/// and Jenkins.
const CI_VARIABLES: &[&str] = &[
    "GITHUB_ACTOR",
    "GITHUB_RUN_ID",
    "GITHUB_WORKFLOW",
    "GITHUB_REPOSITORY",
    "GITLAB_USER_LOGIN",
    "CI_JOB_ID",
    "CI_PIPELINE_ID",
    "CI_PROJECT_PATH",
    "BUILD_USER_ID",
    "BUILD_TAG",
    "JOB_NAME",
    "BUILD_NUMBER",
];

/// The CI variables that name the person who started a job, trusted in this order, before
/// `SUDO_USER` and the login name.
pub const CI_PEOPLE: &[&str] = &["GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_USER_ID"];

/// Who, from where, with what. The texts are as the system gave them: whoever writes them out
/// masks the run's secrets first (a password command's output is known only once the run
/// starts).
#[derive(Debug, Clone, Default)]
pub struct Provenance {
    /// The login name of the user running shakedown.
    pub user: Option<String>,
    pub sudo_user: Option<String>,
    /// The CI's user and job variables that are set, by name.
    pub ci: BTreeMap<&'static str, String>,
    pub machine: Option<String>,
    pub features: Vec<FeatureFile>,
    /// The git commit the features were read from, when they live in a git work tree.
    pub revision: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FeatureFile {
    pub path: PathBuf,
    /// Absent when the file could not be read again (removed since it was parsed).
    pub sha256: Option<String>,
}

impl Provenance {
    /// Reads the environment, hashes the feature files as they are run, and asks git once.
    pub async fn of(suite: &Suite) -> Self {
        let files: BTreeSet<&Path> = suite
            .features
            .iter()
            .filter_map(|feature| feature.path.as_deref())
            .collect();
        let features = files
            .into_iter()
            .map(|path| FeatureFile {
                path: path.to_path_buf(),
                sha256: std::fs::read(path)
                    .ok()
                    .map(|bytes| format!("{:x}", Sha256::digest(bytes))),
            })
            .collect();
        Self {
            user: login_name(),
            sudo_user: variable("SUDO_USER"),
            ci: CI_VARIABLES
                .iter()
                .filter_map(|name| Some((*name, variable(name)?)))
                .collect(),
            machine: nix::unistd::gethostname()
                .ok()
                .map(|name| name.to_string_lossy().into_owned()),
            features,
            revision: features_revision(suite).await,
        }
    }

    /// The person behind the run: the CI's user over `sudo`'s over the login name.
    pub fn person(&self) -> Option<&str> {
        CI_PEOPLE
            .iter()
            .find_map(|name| self.ci.get(name))
            .or(self.sudo_user.as_ref())
            .or(self.user.as_ref())
            .map(String::as_str)
    }
}

fn variable(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// Who runs the suite, as the system knows them.
fn login_name() -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|user| user.name)
}

/// The git commit the features were read from, when they live in a git work tree and git
/// answers within a second; `None` otherwise, never an error.
async fn features_revision(suite: &Suite) -> Option<String> {
    let folder = suite
        .features
        .iter()
        .find_map(|feature| feature.path.as_deref()?.parent().map(PathBuf::from))?;
    let folder = if folder.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        folder
    };
    if !in_a_git_work_tree(&folder) {
        return None;
    }
    git_revision(&folder).await
}

/// Whether git could know the folder: a `.git` in it or above, or a repository named by the
/// environment. Outside one, nothing is spawned (and git would only say "not a git repository").
fn in_a_git_work_tree(folder: &Path) -> bool {
    if std::env::var_os("GIT_DIR").is_some() {
        return true;
    }
    std::path::absolute(folder).map_or(true, |folder| {
        folder.ancestors().any(|ancestor| ancestor.join(".git").exists())
    })
}

async fn git_revision(folder: &Path) -> Option<String> {
    let git = tokio::process::Command::new("git")
        .arg("-C")
        .arg(folder)
        .args(["rev-parse", "--short=12", "HEAD"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(1), git)
        .await
        .ok()?
        .ok()?;
    let revision = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !revision.is_empty()).then_some(revision)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_is_asked_for_the_revision_only_inside_a_work_tree() {
        let root = tempfile::tempdir().expect("a temporary folder");
        let features = root.path().join("suite").join("features");
        std::fs::create_dir_all(&features).expect("the features folder");
        // A `GIT_DIR` in the environment names a repository for any folder.
        if std::env::var_os("GIT_DIR").is_none() {
            assert!(!in_a_git_work_tree(&features), "{}", features.display());
        }
        std::fs::create_dir(root.path().join(".git")).expect("a `.git` folder");
        assert!(in_a_git_work_tree(&features), "{}", features.display());
    }
}
