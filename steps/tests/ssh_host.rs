//! `SshHost` against a real OpenSSH server on loopback: every `Host` call, refused host keys,
//! unreachable servers, hung commands killed on the server, and one connection per host.
//! These live beside the step library (not in the binary's tests) because they exercise its
//! `Host` seam directly; the server is this machine, so what "the server" runs can be checked.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use shakedown_steps::{
    Connection, Deadline, Host, Invocation, Limit, LocalHost, RunError, SshHost, SshSettings,
};
use shakedown_testkit::sshd::{Sshd, free_port};

/// A deadline far enough away that only a hung call meets it.
fn limit() -> Deadline {
    within(Duration::from_secs(20))
}

fn within(limit: Duration) -> Deadline {
    Deadline::after(limit, Limit::Step)
}

fn host_for(server: &Sshd) -> SshHost {
    SshHost::new("web1", server.destination(), server.settings())
}

fn sh(script: &str) -> Invocation {
    Invocation {
        program: "sh".into(),
        args: vec!["-c".into(), script.into()],
        ..Invocation::default()
    }
}

/// Whether any process on this machine (the server) has `marker` in its command line.
fn running(marker: &str) -> bool {
    Command::new("pgrep")
        .args(["-f", marker])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("pgrep runs")
        .success()
}

/// Waits up to `limit` for no process to carry `marker`.
async fn gone(marker: &str, limit: Duration) -> bool {
    let started = Instant::now();
    while running(marker) {
        if started.elapsed() > limit {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

#[tokio::test]
async fn every_host_call_works_on_the_server() {
    let server = Sshd::start();
    let host = host_for(&server);
    assert_eq!(host.name(), "web1");
    let folder = tempfile::tempdir().expect("temp dir");

    // Commands: output, status, variables, folder, plugin folders, missing programs.
    let finished = host
        .run(&sh("echo out; echo err >&2; exit 3"), limit())
        .await
        .expect("runs");
    assert_eq!(
        (finished.code, finished.stdout.as_str(), finished.stderr.as_str()),
        (Some(3), "out\n", "err\n")
    );
    let plugin = folder.path().join("check_here");
    std::fs::write(&plugin, "#!/bin/sh\necho \"OK - $SHAKEDOWN_HOST from $(pwd)\"\n").expect("plugin");
    make_executable(&plugin);
    let invocation = Invocation {
        program: "check_here".into(),
        env: vec![("SHAKEDOWN_HOST".into(), "it's \"quoted\"".into())],
        path_prefix: vec![folder.path().to_path_buf()],
        cwd: Some(PathBuf::from("/tmp")),
        ..Invocation::default()
    };
    let finished = host.run(&invocation, limit()).await.expect("the plugin runs");
    assert_eq!(finished.stdout, "OK - it's \"quoted\" from /tmp\n");
    let missing = Invocation {
        program: "no-such-program-here".into(),
        ..Invocation::default()
    };
    let outcome = host.run(&missing, limit()).await;
    assert!(matches!(outcome, Err(RunError::NotFound)), "{outcome:?}");
    let chatty = host
        .run(&sh("head -c 3000000 /dev/zero"), limit())
        .await
        .expect("runs");
    assert_eq!(
        chatty.stdout.len(),
        1024 * 1024,
        "output is bounded like a local command's"
    );

    // Files.
    let file = folder.path().join("settings file.conf");
    std::fs::write(&file, b"line one\nline \x00two\n").expect("file");
    assert_eq!(
        host.read(&file, limit()).await.expect("read"),
        b"line one\nline \x00two\n"
    );
    let error = host
        .read(&folder.path().join("absent"), limit())
        .await
        .expect_err("absent");
    assert_eq!(error.kind(), io::ErrorKind::NotFound, "{error}");
    let facts = host.metadata(&file, limit()).await.expect("facts");
    assert!(!facts.is_dir && !facts.executable, "{facts:?}");
    let local = std::fs::metadata(&file)
        .expect("local facts")
        .modified()
        .expect("mtime");
    // To the nanosecond, as this machine reads it: a deployment time read over SSH in whole
    // seconds would put a process started just before it after it.
    assert_eq!(facts.modified, Some(local));
    let link = folder.path().join("current");
    std::os::unix::fs::symlink("releases/2026.12.1", &link).expect("link");
    assert_eq!(
        host.link_modified(&link, limit()).await.expect("the link's time"),
        LocalHost.link_modified(&link, limit()).await.expect("here")
    );
    // Permissions and owners as the server names them, the same as this machine's names.
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    }
    let remote = host.metadata(&file, limit()).await.expect("facts");
    let local = LocalHost.metadata(&file, limit()).await.expect("local facts");
    assert_eq!(remote.mode, 0o640, "{remote:?}");
    assert_eq!((&remote.owner, &remote.group), (&local.owner, &local.group));
    assert!(!remote.owner.is_empty() && !remote.group.is_empty(), "{remote:?}");
    assert!(
        host.metadata(folder.path(), limit())
            .await
            .expect("folder")
            .is_dir
    );
    assert!(host.metadata(&plugin, limit()).await.expect("plugin").executable);
    let mut names = host.list_dir(folder.path(), limit()).await.expect("listed");
    names.sort();
    assert_eq!(names, ["check_here", "current", "settings file.conf"]);
    let error = host.list_dir(&file, limit()).await.expect_err("not a folder");
    assert_eq!(error.kind(), io::ErrorKind::NotADirectory, "{error}");

    // Programs.
    let found = host
        .find_program("check_here", &[folder.path().to_path_buf()], limit())
        .await
        .expect("asked");
    assert_eq!(found, Some(plugin.clone()));
    assert!(
        host.find_program("sh", &[], limit())
            .await
            .expect("asked")
            .is_some()
    );
    assert_eq!(
        host.find_program("no-such-program-here", &[], limit())
            .await
            .expect("asked"),
        None
    );
    let by_path = host
        .find_program(&plugin.to_string_lossy(), &[], limit())
        .await
        .expect("asked");
    assert_eq!(by_path, Some(plugin.clone()));

    // Ports, from the server: its own sshd is open, a released port is not.
    let open = host
        .connect_tcp("127.0.0.1", server.port, limit())
        .await
        .expect("asked");
    assert_eq!(open, Connection::Accepted);
    let closed = host
        .connect_tcp("localhost", free_port(), limit())
        .await
        .expect("asked");
    assert!(
        matches!(&closed, Connection::Refused(reason) if reason == "Connection refused"),
        "{closed:?}"
    );

    // Processes, with their arguments kept apart.
    let mut sleeper = tokio::process::Command::new("sh")
        .args(["-c", "sleep 3600.25; :", "every host call"])
        // Its own group, output nowhere: killing it must end its `sleep` too, which would
        // otherwise hold the test's output open.
        .process_group(0)
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("sleep");
    let pid = sleeper.id().expect("pid");
    let processes = host.processes(limit()).await.expect("listed");
    let group = nix::unistd::Pid::from_raw(i32::try_from(pid).expect("a pid"));
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    let _ = sleeper.wait().await;
    let seen = processes
        .iter()
        .find(|process| process.pid == pid)
        .expect("the sleeper is seen from the server");
    assert_eq!(seen.comm, "sh");
    assert_eq!(seen.args, ["sh", "-c", "sleep 3600.25; :", "every host call"]);

    host.close().await;
    let after = host.run(&sh("true"), limit()).await;
    let Err(RunError::Start(error)) = after else {
        panic!("{after:?}")
    };
    assert_eq!(error.to_string(), "the SSH connection to web1 is already closed");
}

#[tokio::test]
async fn one_connection_serves_every_command_of_a_host() {
    let server = Sshd::start();
    let host = host_for(&server);
    // More at once than sshd's sessions per connection: they wait their turn, never reconnect.
    let command = sh("sleep 0.2; echo ran");
    let runs = futures::future::join_all((0..24).map(|_| host.run(&command, limit()))).await;
    for run in &runs {
        assert_eq!(run.as_ref().expect("runs").stdout, "ran\n");
    }
    host.read(Path::new("/etc/hostname"), limit())
        .await
        .expect("read");
    host.processes(limit()).await.expect("processes");
    host.connect_tcp("127.0.0.1", server.port, limit())
        .await
        .expect("asked");
    host.close().await;
    assert_eq!(server.accepted_logins(), 1, "{}", server.log());
}

#[tokio::test]
async fn a_hung_command_is_killed_on_the_server_at_its_limit() {
    let server = Sshd::start();
    let host = host_for(&server);
    // The background sleep holds stdout open: only killing the whole group ends it.
    let started = Instant::now();
    let outcome = host
        .run(
            &sh("echo before; sleep 3127.5 & sleep 3128.5"),
            within(Duration::from_secs(2)),
        )
        .await;
    let Err(RunError::TimedOut { stdout, .. }) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(stdout, "before\n");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        gone("sleep 312[78].5", Duration::from_secs(3)).await,
        "a remote process was left"
    );

    // A call that never returns (a read from a pipe nobody writes) ends at its deadline as a
    // timeout, and what it ran on the server is killed.
    let fifo = server.path("never-written");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success());
    let marker = format!("cat -- {}", fifo.display());
    let started = Instant::now();
    let error = host
        .read(&fifo, within(Duration::from_secs(1)))
        .await
        .expect_err("nobody writes");
    assert_eq!(error.kind(), io::ErrorKind::TimedOut, "{error}");
    assert_eq!(
        error.to_string(),
        "web1 did not answer within 1s (`limits.step_timeout`)"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert!(
        gone(&marker, Duration::from_secs(5)).await,
        "the remote `cat` was left running after its deadline"
    );

    // A probe the caller stops waiting for is killed too.
    let read = tokio::time::timeout(Duration::from_secs(2), host.read(&fifo, limit())).await;
    assert!(read.is_err(), "{read:?}");
    assert!(
        gone(&marker, Duration::from_secs(5)).await,
        "the remote `cat` was left running"
    );
    host.close().await;
}

#[tokio::test]
async fn a_command_that_left_its_group_is_killed_on_the_server_at_its_limit() {
    let server = Sshd::start();
    let host = host_for(&server);
    let outcome = host
        .run(
            &sh("setsid sleep 3141.5 & sleep 3142.5"),
            within(Duration::from_secs(1)),
        )
        .await;
    assert!(matches!(outcome, Err(RunError::TimedOut { .. })), "{outcome:?}");
    assert!(
        gone("sleep 314[12].5", Duration::from_secs(5)).await,
        "the command's `setsid` child was left running on the server"
    );
    host.close().await;
}

/// The most memory this test process has held, in KiB.
fn peak_memory_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[tokio::test]
async fn what_a_server_prints_before_the_command_is_passed_over_without_filling_memory() {
    // One line of 100 MB, printed by every session ahead of the command itself.
    let server =
        Sshd::start_with("ForceCommand head -c 100000000 /dev/zero; echo; eval \"$SSH_ORIGINAL_COMMAND\"");
    let host = host_for(&server);
    let finished = host
        .run(&sh("echo after the banner"), limit())
        .await
        .expect("runs");
    assert_eq!(finished.stdout, "after the banner\n");
    let peak = peak_memory_kib();
    assert!(
        peak < 60 * 1024,
        "the banner was held in memory: {peak} KiB at the peak"
    );
    host.close().await;
}

#[tokio::test]
async fn an_unknown_or_changed_host_key_is_refused() {
    let server = Sshd::start();
    let empty = server.path("empty_known_hosts");
    std::fs::write(&empty, "").expect("known hosts");
    let host = SshHost::new(
        "web1",
        server.destination(),
        SshSettings {
            known_hosts: Some(empty.clone()),
            ..server.settings()
        },
    );
    let error = host
        .read(Path::new("/etc/hostname"), limit())
        .await
        .expect_err("refused");
    let message = error.to_string();
    let expected = format!(
        "cannot connect to web1 over SSH (`{}`): the host key of `[127.0.0.1]:{}` is not in `{}`, and unknown keys are never accepted",
        server.destination(),
        server.port,
        empty.display()
    );
    assert!(message.starts_with(&expected), "{message}");
    assert!(
        message.contains(&format!("ssh-keyscan -p {} 127.0.0.1", server.port)),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(&empty).expect("known hosts"),
        "",
        "nothing was added"
    );

    // Another server's key recorded for this address: a changed key.
    let other = server.path("other_key");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .status()
        .expect("ssh-keygen");
    assert!(status.success());
    let other_key = std::fs::read_to_string(other.with_extension("pub")).expect("key");
    let key: Vec<&str> = other_key.split_whitespace().take(2).collect();
    let changed = server.path("changed_known_hosts");
    std::fs::write(
        &changed,
        format!("[127.0.0.1]:{} {}\n", server.port, key.join(" ")),
    )
    .expect("known hosts");
    let host = SshHost::new(
        "web1",
        server.destination(),
        SshSettings {
            known_hosts: Some(changed),
            ..server.settings()
        },
    );
    let outcome = host.run(&sh("true"), limit()).await;
    let Err(RunError::Start(error)) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        error.to_string().contains(&format!(
            "the host key of `[127.0.0.1]:{}` is not the one recorded",
            server.port
        )),
        "{error}"
    );
    assert_eq!(server.accepted_logins(), 0, "{}", server.log());
}

#[tokio::test]
async fn an_unreachable_server_fails_quickly_and_once() {
    let port = free_port();
    let destination = format!("ops@127.0.0.1:{port}").parse().expect("destination");
    let host = SshHost::new(
        "worker1",
        destination,
        SshSettings {
            connect_timeout: Duration::from_secs(3),
            ..SshSettings::default()
        },
    );
    let started = Instant::now();
    let error = host
        .metadata(Path::new("/"), limit())
        .await
        .expect_err("unreachable");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        error.to_string(),
        format!(
            "cannot connect to worker1 over SSH (`ops@127.0.0.1:{port}`): the connection failed \
             (ssh said: ssh: connect to host 127.0.0.1 port {port}: Connection refused)"
        )
    );
    // The run does not knock again: the next probe fails at once, with the same reason.
    let again = Instant::now();
    let outcome = host.connect_tcp("localhost", 80, limit()).await;
    assert_eq!(outcome.expect_err("unreachable").to_string(), error.to_string());
    assert!(
        again.elapsed() < Duration::from_millis(100),
        "{:?}",
        again.elapsed()
    );
}

/// The pid and control socket of the connection `ssh` keeps open to the server on `port`.
fn master_of(port: u16) -> (i32, PathBuf) {
    let output = Command::new("pgrep")
        .args(["-a", "-f", &format!("^ssh -M -S .* -p {port} -- ")])
        .output()
        .expect("pgrep runs");
    let listing = String::from_utf8_lossy(&output.stdout);
    let line = listing
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no master for port {port}"));
    let mut words = line.split_whitespace();
    let pid = words.next().and_then(|pid| pid.parse().ok()).expect("a pid");
    let socket = words
        .skip_while(|word| *word != "-S")
        .nth(1)
        .map(PathBuf::from)
        .expect("a control socket");
    (pid, socket)
}

/// Ends the connection's master to the server on `port` with `signal`, as a network blip or a
/// restarted server would, and waits until it is gone.
async fn kill_master(port: u16, signal: nix::sys::signal::Signal) {
    let (pid, _) = master_of(port);
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal);
    assert!(
        gone(&format!("^ssh -M -S .* -p {port} -- "), Duration::from_secs(5)).await,
        "the master survived {signal}"
    );
}

#[tokio::test]
async fn a_lost_connection_is_opened_again_and_the_probe_passes() {
    use nix::sys::signal::Signal;
    let server = Sshd::start();
    let host = host_for(&server);
    assert_eq!(
        host.run(&sh("echo one"), limit()).await.expect("runs").stdout,
        "one\n"
    );

    // The master killed outright (its socket left behind), then ended politely (socket gone).
    for signal in [Signal::SIGKILL, Signal::SIGTERM] {
        kill_master(server.port, signal).await;
        let finished = host.run(&sh("echo again"), limit()).await;
        assert_eq!(finished.expect("runs again").stdout, "again\n", "after {signal}");
    }
    // The master alive but its socket gone: the command cannot reach the server through it, so
    // it is run over a new connection.
    let (_, socket) = master_of(server.port);
    std::fs::remove_file(&socket).expect("the control socket is removed");
    let facts = host
        .metadata(Path::new("/etc/hostname"), limit())
        .await
        .expect("facts");
    assert!(!facts.is_dir);
    assert_eq!(server.accepted_logins(), 4, "{}", server.log());
    host.close().await;
}

#[tokio::test]
async fn a_command_cut_off_by_a_lost_connection_is_not_run_twice() {
    let server = Sshd::start();
    let host = host_for(&server);
    let folder = tempfile::tempdir().expect("temp dir");
    let runs = folder.path().join("runs");
    let command = sh(&format!("echo ran >> '{}'; sleep 3129.5", runs.display()));
    let running = host.run(&command, limit());
    let cut = async {
        while !runs.exists() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        kill_master(server.port, nix::sys::signal::Signal::SIGKILL).await;
    };
    let (outcome, ()) = tokio::join!(running, cut);
    let Err(RunError::Start(error)) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        error.to_string(),
        "ssh could not run the command on web1: the connection was lost while the command ran; \
         it is not run again, since it may have done part of its work"
    );
    assert_eq!(std::fs::read_to_string(&runs).expect("runs"), "ran\n");
    // What the command left running on the server was ended over a new connection.
    let leftovers = || {
        let output = Command::new("pgrep")
            .args(["-a", "-f", "3129[.]5"])
            .output()
            .expect("pgrep runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert!(
        gone("sleep 3129.5", Duration::from_secs(5)).await,
        "left running: {}",
        leftovers()
    );
    // The next probe is not stuck with the lost connection.
    assert_eq!(
        host.run(&sh("echo next"), limit()).await.expect("runs").stdout,
        "next\n"
    );
    host.close().await;
}

#[tokio::test]
async fn a_connection_that_cannot_be_opened_again_fails_on_time_and_the_next_probe_tries_again() {
    let mut server = Sshd::start();
    let host = SshHost::new(
        "web1",
        server.destination(),
        SshSettings {
            connect_timeout: Duration::from_secs(2),
            ..server.settings()
        },
    );
    host.run(&sh("true"), limit()).await.expect("runs");
    server.stop();
    kill_master(server.port, nix::sys::signal::Signal::SIGKILL).await;
    let started = Instant::now();
    let outcome = host.run(&sh("true"), within(Duration::from_secs(5))).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let Err(RunError::Start(error)) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        error.to_string(),
        format!(
            "the SSH connection to web1 (`{}`) was lost and cannot be opened again: the connection \
             failed (ssh said: ssh: connect to host 127.0.0.1 port {port}: Connection refused)",
            server.destination(),
            port = server.port
        )
    );
    server.restart();
    assert_eq!(
        host.run(&sh("echo back"), limit()).await.expect("runs").stdout,
        "back\n"
    );
    host.close().await;
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}
