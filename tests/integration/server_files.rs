//! Files and versions as a release meant them, on this machine and through a real sshd alike: a
//! text or pattern in a file or not (the line shown, a registered secret on it masked), its
//! SHA-256, where a symbolic link points, how large a file is, a file too large to read whole,
//! packages in this machine's real dpkg database, and a virtualenv with a broken requirement.

use indoc::formatdoc;

use crate::support::{Outcome, Project, REPORTS, assert_no_output_shows};
use shakedown_testkit::sshd::Sshd;

/// A secret a settings file holds, registered through `[secrets]`.
const TOKEN: &str = "tok-5d1c9e7a-live-only";

/// A folder laid out as a deployed app: releases, links to them, settings, a log.
fn deployed_app() -> tempfile::TempDir {
    let app = tempfile::tempdir().expect("temp dir");
    let path = app.path();
    for release in ["2026.11.2", "2026.12.1"] {
        std::fs::create_dir_all(path.join("releases").join(release)).expect("release folder");
    }
    std::fs::write(path.join("releases/2026.12.1/VERSION"), "2026.12.1\n").expect("version");
    std::os::unix::fs::symlink("releases/2026.11.2", path.join("current")).expect("relative link");
    std::os::unix::fs::symlink(path.join("releases/2026.12.1"), path.join("next")).expect("absolute link");
    std::os::unix::fs::symlink("releases/2026.13.0", path.join("dangling")).expect("dangling link");
    std::fs::write(
        path.join("settings.py"),
        format!("ALLOWED_HOSTS = ['ledger.example.com']\nDEBUG = True  # API_TOKEN = \"{TOKEN}\"\n"),
    )
    .expect("settings");
    std::fs::write(path.join("clean.py"), "DEBUG = False\n").expect("clean settings");
    // 2 MB of log, past the 1 MB limit below and past what a probe reads.
    std::fs::write(path.join("app.log"), "GET / 200\n".repeat(200_000)).expect("log");
    app
}

/// Runs `feature` on this machine and on a server over SSH (the same files, seen through sshd).
fn run_locally_and_over_ssh(feature: &str) -> (Project, Outcome) {
    let server = Sshd::start();
    let project = Project::here_and_over_ssh(
        &server,
        "[secrets]\nenv = [\"LEDGER_API_TOKEN\"]\n\n[probes]\nmax_file_bytes = 65536\n",
    );
    project.file("features/files.feature", feature);
    let outcome = project
        .shakedown()
        .env("LEDGER_API_TOKEN", TOKEN)
        .env("XDG_STATE_HOME", &project.path().join("state").to_string_lossy())
        .args(["run"])
        .args(REPORTS)
        .run();
    (project, outcome)
}

#[test]
fn files_links_digests_and_sizes_are_checked_here_and_over_ssh_and_failures_show_what_was_seen() {
    let app = deployed_app();
    let app = app.path().display();
    // The digest of another build; this one's is `printf '2026.12.1\n' | sha256sum`.
    let digest = "2d4c8c5d0a5d4a1e3c0b9f2f0f4c7e5b0b8a3f6e1d2c9b8a7f6e5d4c3b2a1f0e";
    let feature = formatdoc! {r#"
        Feature: The release on disk
          Scenario: the release is as shipped
            Then the file "{app}/releases/2026.12.1/VERSION" should contain "2026.12.1"
            And the file "{app}/clean.py" should contain "/^DEBUG\s*=\s*False$/"
            And the file "{app}/clean.py" should not contain "DEBUG = True"
            And the link "{app}/next" should point to "{app}/releases/2026.12.1"
            And the link "{app}/current" should point to "releases/2026.11.2"
            And the link "{app}/current" should point to "{app}/releases/../releases/2026.11.2/"
            And the file "{app}/app.log" should be smaller than 3 MB
            And the file "{app}/app.log" should be smaller than 2 MiB
            And the file "{app}/releases/2026.12.1/VERSION" should have the SHA-256 "A4278A13D6191AE03E196DEDF71D9DBA720BD9D6B5F71E9F7275018645585EED"
            When the command "cat {app}/clean.py" should succeed
            Then its output should not contain "True"

          Scenario: debug left on
            Then the file "{app}/settings.py" should not contain "/^DEBUG\s*=\s*True/"

          Scenario: the old release is linked
            Then the link "{app}/current" should point to "{app}/releases/2026.12.1"

          Scenario: a link to a release that is not there
            Then the link "{app}/dangling" should point to "releases/2026.13.0"

          Scenario: a file where a link should be
            Then the link "{app}/clean.py" should point to "releases/2026.12.1"

          Scenario: the log grew
            Then the file "{app}/app.log" should be smaller than 1 MB

          Scenario: a text missing
            Then the file "{app}/releases/2026.12.1/VERSION" should contain "2026.11.2"

          Scenario: a file too large to read whole
            Then the file "{app}/app.log" should not contain "Traceback"

          Scenario: another build of the file
            Then the file "{app}/releases/2026.12.1/VERSION" should have the SHA-256 "{digest}"
    "#};
    let (project, outcome) = run_locally_and_over_ssh(&feature);
    outcome
        .expect_code(1)
        .expect_stdout("2 passed, 16 failed")
        .expect_stdout(&format!(
            "the file `{app}/settings.py` on web1 holds the pattern /^DEBUG\\s*=\\s*True/, which it should not"
        ))
        // The line as shown collapses its runs of spaces; the secret on it is masked whole.
        .expect_stdout("line 2: \"DEBUG = True # API_TOKEN = \\\"[redacted]\\\"\"")
        .expect_stdout(&format!(
            "the link `{app}/current` on this machine points to `{app}/releases/2026.11.2`, not `{app}/releases/2026.12.1`"
        ))
        .expect_stdout("link holds:  releases/2026.11.2")
        .expect_stdout(&format!(
            "the link `{app}/dangling` on web1 points to `{app}/releases/2026.13.0` as expected, but nothing is there"
        ))
        .expect_stdout(&format!("`{app}/clean.py` on web1 is not a symbolic link"))
        .expect_stdout(&format!(
            "the file `{app}/app.log` on web1 is 2.0 MB, not smaller than 1 MB"
        ))
        .expect_stdout("2000000 bytes (1 MB = 1000000 bytes)")
        .expect_stdout(&format!(
            "the file `{app}/releases/2026.12.1/VERSION` on this machine does not hold \"2026.11.2\""
        ))
        .expect_stdout(&format!(
            "cannot tell whether `{app}/app.log` holds \"Traceback\": `{app}/app.log` is larger than the 65536 bytes a probe reads"
        ))
        .expect_stdout("its SHA-256 differs")
        .expect_stdout("a4278a13d6191ae03e196dedf71d9dba720bd9d6b5f71e9f7275018645585eed (10 bytes)");
    assert_no_output_shows(&project, &outcome, &[TOKEN.to_owned()]);
}

/// A virtualenv made by `python3 -m venv` (pip from the wheel Python ships, no network) holding
/// `brokenapp` 1.0, whose metadata requires a distribution nobody installed.
fn broken_virtualenv(folder: &std::path::Path) -> std::path::PathBuf {
    let venv = folder.join("venv");
    let made = std::process::Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("python3 runs");
    assert!(made.success(), "python3 -m venv failed");
    let lib = std::fs::read_dir(venv.join("lib"))
        .expect("lib folder")
        .next()
        .expect("a pythonX.Y folder")
        .expect("entry")
        .path();
    let dist_info = lib.join("site-packages/brokenapp-1.0.dist-info");
    std::fs::create_dir_all(&dist_info).expect("dist-info");
    std::fs::write(
        dist_info.join("METADATA"),
        "Metadata-Version: 2.1\nName: brokenapp\nVersion: 1.0\nRequires-Dist: missing-dist>=2\n",
    )
    .expect("metadata");
    std::fs::write(dist_info.join("INSTALLER"), "pip\n").expect("installer");
    venv
}

#[test]
fn packages_are_compared_by_dpkg_and_a_virtualenv_is_asked_here_and_over_ssh() {
    let folder = tempfile::tempdir().expect("temp dir");
    let venv = broken_virtualenv(folder.path());
    let venv = venv.display();
    let queried = std::process::Command::new("dpkg-query")
        .args(["-W", "-f", "${Version}", "bash"])
        .output()
        .expect("dpkg-query runs");
    let bash = String::from_utf8_lossy(&queried.stdout).into_owned();
    let feature = formatdoc! {r#"
        Feature: The versions released
          Scenario: the versions are as released
            Then the package "bash" should be installed
            And the package "bash" should be installed at version "{bash}"
            And the package "bash" should be installed at least at version "4.0~rc1"
            And the Python package "brokenapp" in the virtualenv "{venv}" should be at version "1.0.0"

          Scenario: an old bash
            Then the package "bash" should be installed at least at version "99:1.0"

          Scenario: a package not installed
            Then the package "shakedown-no-such-package" should be installed

          Scenario: a version dpkg cannot read
            Then the package "bash" should be installed at version "not a version"

          Scenario: a broken virtualenv
            Then the virtualenv "{venv}" should have no broken requirements

          Scenario: the wrong release of a Python package
            Then the Python package "brokenapp" in the virtualenv "{venv}" should be at version "2.0"

          Scenario: a Python package not installed
            Then the Python package "Django" in the virtualenv "{venv}" should be at version "4.2"

          Scenario: no virtualenv
            Then the virtualenv "{venv}-gone" should have no broken requirements
    "#};
    let (_project, outcome) = run_locally_and_over_ssh(&feature);
    outcome
        .expect_code(1)
        .expect_stdout("2 passed, 14 failed")
        .expect_stdout(&format!(
            "the package `bash` on web1 is at version {bash}, not at least version 99:1.0"
        ))
        .expect_stdout(&format!("dpkg --compare-versions {bash} ge 99:1.0"))
        .expect_stdout("the package `shakedown-no-such-package` is not installed on this machine")
        .expect_stdout("the version \"not a version\" cannot be compared with the installed")
        .expect_stdout(&format!(
            "the virtualenv `{venv}` on web1 has broken requirements, as `pip check` says"
        ))
        .expect_stdout("brokenapp 1.0 requires missing-dist, which is not installed.")
        .expect_stdout(&format!(
            "the Python package `brokenapp` in the virtualenv `{venv}` on this machine is at version 1.0, not 2.0"
        ))
        .expect_stdout(&format!(
            "the Python package `Django` is not installed in the virtualenv `{venv}` on web1"
        ))
        .expect_stdout(&format!(
            "the virtualenv `{venv}-gone` is not there on web1: it has no `bin/python`"
        ));
}
