//! Restarts since the deployment, on this machine and through a real sshd alike: processes
//! started before and after a `--deployed-at` (or a `[deploy] marker` link made at the same
//! moment), a service found by its pid file on this systemd-less machine, one that cannot be
//! told about, and a run that was never told when the deployment started.

use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command};
use std::time::{Duration, SystemTime};

use indoc::formatdoc;

use crate::support::{Outcome, Project};
use shakedown_testkit::sshd::Sshd;

/// What a test starts and leaves behind, gone when it ends, however it ends.
#[derive(Default)]
struct Leftovers {
    children: Vec<Child>,
    files: Vec<std::path::PathBuf>,
}

impl Leftovers {
    /// A `sleep` whose argv[0] is `name`, as a worker's title shows; its PID.
    fn process(&mut self, name: &str) -> u32 {
        let child = Command::new("sleep")
            .arg0(name)
            .arg("60")
            .stdin(std::process::Stdio::null())
            .spawn()
            .expect("sleep starts");
        let pid = child.id();
        self.children.push(child);
        pid
    }

    fn pid_file(&mut self, service: &str, pid: u32) {
        let path = std::path::PathBuf::from(format!("/run/{service}.pid"));
        std::fs::write(&path, format!("{pid}\n")).expect("pid file");
        self.files.push(path);
    }
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        for file in &self.files {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// A gap wider than the second `/proc` rounds start times to.
const GAP: Duration = Duration::from_millis(1500);

fn run(server: &Sshd, extra: &str, feature: &str, args: &[&str]) -> Outcome {
    let project = Project::here_and_over_ssh(server, extra);
    project.file("features/restarts.feature", feature);
    project.shakedown().args(["run"]).args(args).run()
}

#[test]
fn processes_and_services_started_before_the_deployment_are_named_here_and_over_ssh() {
    let id = std::process::id();
    let (worker, fresh, stale_service, fresh_service) = (
        format!("sdworker{id}"),
        format!("sdfresh{id}"),
        format!("sdstale{id}"),
        format!("sdrestarted{id}"),
    );
    let mut leftovers = Leftovers::default();
    let old_pid = leftovers.process(&worker);
    std::thread::sleep(GAP);
    let deployed = SystemTime::now();
    let folder = tempfile::tempdir().expect("temp dir");
    let marker = folder.path().join("current");
    std::os::unix::fs::symlink("releases/2026.12.1", &marker).expect("the release link");
    std::thread::sleep(GAP);
    let new_pid = leftovers.process(&worker);
    leftovers.process(&fresh);
    leftovers.pid_file(&stale_service, old_pid);
    leftovers.pid_file(&fresh_service, new_pid);

    let feature = formatdoc! {r#"
        Feature: Restarted for the release
          Scenario: the fresh workers
            Then the process named "{fresh}" should have started since the deployment
            And the service "{fresh_service}" should have been restarted since the deployment

          Scenario: a worker left running
            Then the process named "{worker}" should have started since the deployment

          Scenario: a service left running
            Then the service "{stale_service}" should have been restarted since the deployment

          Scenario: a service nothing tells about
            Then the service "sdunknown{id}" should have been restarted since the deployment
    "#};
    let server = Sshd::start();
    let at = humantime::format_rfc3339_millis(deployed).to_string();
    let marked = format!("[deploy]\nmarker = \"{}\"\n", marker.display());
    for (extra, args) in [
        ("", vec!["--deployed-at", at.as_str()]),
        (marked.as_str(), vec![]),
    ] {
        run(&server, extra, &feature, &args)
            .expect_code(1)
            .expect_stdout("2 passed, 6 failed")
            .expect_stdout(&format!(
                "1 of 2 process(es) named `{worker}` on web1 started before the deployment, so they may run the old release"
            ))
            .expect_stdout(&format!("{old_pid} {worker} 60, started "))
            .expect_stdout(&format!(
                "the service `{stale_service}` on this machine has not been restarted since the deployment"
            ))
            .expect_stdout(&format!("its main process {old_pid}, from `/run/{stale_service}.pid`"))
            .expect_stdout(&format!(
                "cannot tell whether the service `sdunknown{id}` restarted since the deployment on web1: systemd is not available there"
            ));
    }
    run(&server, "", &feature, &[])
        .expect_code(1)
        .expect_stdout("cannot tell what happened since the deployment: the run was not told when it started")
        .expect_stdout("8 failed");
}

#[test]
fn a_deployment_time_that_is_no_time_is_refused_by_check_and_run() {
    let project = Project::new("http://127.0.0.1:9", "");
    project.file(
        "features/a.feature",
        "Feature: A\n  Scenario: a\n    Then the process named \"cron\" should have started since the deployment\n",
    );
    for command in ["check", "run"] {
        project
            .shakedown()
            .args([command, "--deployed-at", "yesterday"])
            .run()
            .expect_code(2)
            .expect_stderr("`yesterday` is not an RFC 3339 time");
        project
            .shakedown()
            .args([command, "--deployed-at", "@no-such-marker"])
            .run()
            .expect_code(2)
            .expect_stderr("cannot read the modification time of `no-such-marker`");
    }
    project
        .shakedown()
        .args(["check", "--deployed-at", "2026-12-06T10:00:00+01:00"])
        .run()
        .expect_code(0);
}
