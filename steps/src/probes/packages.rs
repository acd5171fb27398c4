//! Installed versions, asked of the host's own tools so they compare as its package manager
//! does: a system package of `dpkg` (compared with `dpkg --compare-versions` on the host) or of
//! `rpm` (compared with `rpmdev-vercmp`), and a Python package of a virtualenv's own Python
//! (`importlib.metadata`, `pip check`). Nothing here guesses a version order itself.

use std::path::Path;

use super::commands::{self, CommandRun};
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::{Host, Invocation, RunError};
use crate::text;

/// What a feature expects of a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expected<'a> {
    Installed,
    Exactly(&'a str),
    AtLeast(&'a str),
}

/// The package manager a host keeps its installed state in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Manager {
    Dpkg,
    Rpm,
}

/// Runs `program` with `args` on the host by the deadline.
async fn ask(
    host: &dyn Host,
    program: &str,
    args: &[&str],
    deadline: Deadline,
) -> Result<CommandRun, StepFailure> {
    let invocation = Invocation {
        program: program.to_owned(),
        args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        ..Invocation::default()
    };
    commands::run(host, &invocation.display(), &invocation, deadline, program).await
}

async fn manager_of(host: &dyn Host, deadline: Deadline) -> Result<Manager, StepFailure> {
    for (program, manager) in [("dpkg-query", Manager::Dpkg), ("rpm", Manager::Rpm)] {
        let found = host.find_program(program, &[], deadline).await.map_err(|error| {
            StepFailure::connection(format!(
                "cannot ask {} for its package manager: {error}",
                host.name()
            ))
        })?;
        if found.is_some() {
            return Ok(manager);
        }
    }
    Err(StepFailure::configuration(format!(
        "cannot tell which packages are installed on {}: it has neither `dpkg-query` nor `rpm`",
        host.name()
    )))
}

/// The installed version, or `None` when the package is not installed (unknown to the
/// manager, or removed with its configuration files kept).
async fn installed_version(
    host: &dyn Host,
    manager: Manager,
    package: &str,
    deadline: Deadline,
) -> Result<Option<String>, StepFailure> {
    let run = match manager {
        Manager::Dpkg => {
            ask(
                host,
                "dpkg-query",
                &["-W", "-f", "${Status}\t${Version}\n", package],
                deadline,
            )
            .await?
        }
        Manager::Rpm => {
            ask(
                host,
                "rpm",
                &[
                    "-q",
                    "--qf",
                    "%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}\n",
                    package,
                ],
                deadline,
            )
            .await?
        }
    };
    // Both say 1 for a package they do not know; anything else is a question they could not answer.
    if !matches!(run.finished.code, Some(0 | 1)) {
        return Err(run.describe(StepFailure::configuration(format!(
            "cannot tell whether `{package}` is installed on {}: the package manager could not be asked",
            host.name()
        ))));
    }
    let version = match manager {
        Manager::Dpkg => dpkg_installed(&run.finished.stdout),
        Manager::Rpm => (run.finished.code == Some(0)).then(|| {
            run.finished
                .stdout
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        }),
    };
    Ok(version)
}

/// The version of the first line `dpkg-query -W -f '${Status}\t${Version}\n'` says is
/// installed (one per architecture of a multi-arch package).
fn dpkg_installed(stdout: &str) -> Option<String> {
    stdout.lines().find_map(|line| {
        let (status, version) = line.split_once('\t')?;
        (status.split_whitespace().last() == Some("installed")).then(|| version.trim().to_owned())
    })
}

/// Whether `seen` stands to `wanted` as `relation` (`eq`, `ge`) says, compared by the host's
/// package manager.
async fn compare(
    host: &dyn Host,
    manager: Manager,
    seen: &str,
    relation: &str,
    wanted: &str,
    deadline: Deadline,
) -> Result<bool, StepFailure> {
    let run = match manager {
        Manager::Dpkg => {
            ask(
                host,
                "dpkg",
                &["--compare-versions", seen, relation, wanted],
                deadline,
            )
            .await?
        }
        Manager::Rpm => ask(host, "rpmdev-vercmp", &[seen, wanted], deadline)
            .await
            .map_err(|failure| {
                failure.with(
                    "hint",
                    "rpm versions are compared by `rpmdev-vercmp`, from the rpmdevtools package",
                )
            })?,
    };
    match (manager, run.finished.code) {
        (Manager::Dpkg, Some(0)) => Ok(true),
        (Manager::Dpkg, Some(1)) => Ok(false),
        // rpmdev-vercmp: 0 equal, 11 the first is newer, 12 the second is.
        (Manager::Rpm, Some(0)) => Ok(true),
        (Manager::Rpm, Some(11)) => Ok(relation == "ge"),
        (Manager::Rpm, Some(12)) => Ok(false),
        _ => Err(run.describe(StepFailure::configuration(format!(
            "the version {} cannot be compared with the installed {}",
            text::quoted(wanted),
            text::quoted(seen)
        )))),
    }
}

/// Passes when `package` is installed as `expected` says; the note names the version seen.
pub(crate) async fn check(
    host: &dyn Host,
    package: &str,
    expected: Expected<'_>,
    deadline: Deadline,
) -> Result<String, StepFailure> {
    let manager = manager_of(host, deadline).await?;
    let Some(seen) = installed_version(host, manager, package, deadline).await? else {
        return Err(StepFailure::new(format!(
            "the package `{package}` is not installed on {}",
            host.name()
        )));
    };
    let note = format!("`{package}` {seen} is installed on {}", host.name());
    let (relation, wanted, says) = match expected {
        Expected::Installed => return Ok(note),
        Expected::Exactly(wanted) => ("eq", wanted, "version"),
        Expected::AtLeast(wanted) => ("ge", wanted, "at least version"),
    };
    if compare(host, manager, &seen, relation, wanted, deadline).await? {
        return Ok(note);
    }
    Err(StepFailure::new(format!(
        "the package `{package}` on {} is at version {seen}, not {says} {wanted}",
        host.name()
    ))
    .with(
        "compared by",
        match manager {
            Manager::Dpkg => format!("dpkg --compare-versions {seen} {relation} {wanted}"),
            Manager::Rpm => format!("rpmdev-vercmp {seen} {wanted}"),
        },
    ))
}

/// Asks a distribution's version of the virtualenv's Python, and whether it is the one wanted
/// by the rules pip follows (PEP 440, `2.0` is `2.0.0`), by plain text where `packaging` cannot
/// be imported. Prints `missing`, or `same` / `differs` and the version.
const PYTHON_VERSION_SCRIPT: &str = r#"import sys
from importlib import metadata
try:
    seen = metadata.version(sys.argv[1])
except metadata.PackageNotFoundError:
    print("missing")
    sys.exit(0)
try:
    try:
        from packaging.version import Version
    except ImportError:
        from pip._vendor.packaging.version import Version
    same = Version(seen) == Version(sys.argv[2])
except Exception:
    same = seen == sys.argv[2]
print("same" if same else "differs")
print(seen)
"#;

/// Runs the virtualenv's own Python; a virtualenv without one is not there.
async fn venv_python(
    host: &dyn Host,
    venv: &Path,
    args: Vec<String>,
    deadline: Deadline,
) -> Result<CommandRun, StepFailure> {
    let python = venv.join("bin/python");
    let invocation = Invocation {
        program: python.to_string_lossy().into_owned(),
        args,
        ..Invocation::default()
    };
    let line = invocation.display();
    match host.run(&invocation, deadline).await {
        Err(RunError::NotFound) => Err(StepFailure::new(format!(
            "the virtualenv `{}` is not there on {}: it has no `bin/python`",
            venv.display(),
            host.name()
        ))),
        _ => commands::run(host, &line, &invocation, deadline, "the virtualenv's Python").await,
    }
}

/// Passes when the virtualenv holds `distribution` at `wanted`.
pub(crate) async fn python_package_at(
    host: &dyn Host,
    venv: &Path,
    distribution: &str,
    wanted: &str,
    deadline: Deadline,
) -> Result<String, StepFailure> {
    let args = vec![
        "-c".to_owned(),
        PYTHON_VERSION_SCRIPT.to_owned(),
        distribution.to_owned(),
        wanted.to_owned(),
    ];
    let run = venv_python(host, venv, args, deadline).await?;
    let mut lines = run.finished.stdout.lines();
    let where_ = format!("the virtualenv `{}` on {}", venv.display(), host.name());
    match (run.finished.code, lines.next(), lines.next()) {
        (Some(0), Some("same"), Some(seen)) => Ok(format!("`{distribution}` {seen} is in {where_}")),
        (Some(0), Some("differs"), Some(seen)) => Err(StepFailure::new(format!(
            "the Python package `{distribution}` in {where_} is at version {seen}, not {wanted}"
        ))),
        (Some(0), Some("missing"), _) => Err(StepFailure::new(format!(
            "the Python package `{distribution}` is not installed in {where_}"
        ))),
        _ => Err(run.describe(StepFailure::configuration(format!(
            "cannot tell which version of `{distribution}` is in {where_}: its Python did not say"
        )))),
    }
}

/// Passes when `pip check` finds every requirement of every installed distribution met.
pub(crate) async fn no_broken_requirements(
    host: &dyn Host,
    venv: &Path,
    deadline: Deadline,
) -> Result<(), StepFailure> {
    let args = ["-m", "pip", "check", "--disable-pip-version-check"]
        .map(str::to_owned)
        .to_vec();
    let run = venv_python(host, venv, args, deadline).await?;
    let where_ = format!("the virtualenv `{}` on {}", venv.display(), host.name());
    if run.finished.code == Some(0) {
        return Ok(());
    }
    if run.finished.stderr.contains("No module named pip") {
        return Err(run.describe(StepFailure::configuration(format!(
            "cannot tell whether the requirements in {where_} are met: it has no pip to check them"
        ))));
    }
    Err(run.describe(StepFailure::new(format!(
        "{where_} has broken requirements, as `pip check` says"
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_counts_only_an_installed_package() {
        assert_eq!(
            dpkg_installed("install ok installed\t5.2.15-2+b8\n").as_deref(),
            Some("5.2.15-2+b8")
        );
        assert_eq!(dpkg_installed("deinstall ok config-files\t1.22.1-9\n"), None);
        assert_eq!(
            dpkg_installed("deinstall ok config-files\t1.0\ninstall ok installed\t1.1\n").as_deref(),
            Some("1.1")
        );
        assert_eq!(dpkg_installed(""), None);
    }
}
