//! Probe steps through the real binary against real parts: Monitoring Plugins, `/proc`, a
//! crontab with evidence files, and TLS servers with generated certificates (the WSGI steps have
//! their own file, `wsgi.rs`). Each area runs one suite with passing and failing scenarios.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::support::{DemoSite, Project, Shakedown};

/// Short limits keep failing steps quick.
const FAST: &str = "[limits]\nstep_timeout = \"5s\"\n";

fn set_modified(path: &Path, ago: Duration) {
    let file = File::options().write(true).open(path).expect("open");
    file.set_modified(SystemTime::now() - ago).expect("set mtime");
}

fn executable(project: &Project, name: &str, script: &str) {
    let path = project.file(name, script);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

fn port_of(url: &str) -> &str {
    url.rsplit(':').next().expect("a port").trim_end_matches('/')
}

#[test]
fn ports_processes_and_commands() {
    let site = DemoSite::start(&[]);
    let port = port_of(&site.url);
    let closed = closed_port();
    let project = Project::new(&site.url, FAST);
    project.file("data/note.txt", "release 4.2 is installed\n");
    project.file(
        "features/machine.feature",
        &format!(
            r#"Feature: The machine
  Scenario: healthy
    Then port {port} on "127.0.0.1" should be open
    And port {closed} on "127.0.0.1" should be closed
    And a process named "shakedown" should be running
    And the command "cat data/note.txt" should succeed
    And its output should contain "release 4.2"
    And the command "echo site at $SHAKEDOWN_HOST:$SHAKEDOWN_PORT" should succeed
    And its output should contain "site at 127.0.0.1:{port}"

  Scenario: a closed port
    Then port {closed} on "127.0.0.1" should be open

  Scenario: an open port
    Then port {port} on "127.0.0.1" should be closed

  Scenario: a missing process
    Then a process named "no-such-daemon" should be running

  Scenario: a failing command
    Then the command "sh -c 'echo partial; echo database unreachable >&2; exit 4'" should succeed

  Scenario: output without the text
    When the command "echo all good" should succeed
    Then its output should contain "migrations applied"
"#
        ),
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout(&format!("port {closed} on 127.0.0.1 is not open"))
        .expect_stdout("the connection failed: Connection refused")
        .expect_stdout(&format!(
            "port {port} on 127.0.0.1 is open, which it should not be"
        ))
        .expect_stdout("no process named `no-such-daemon` is running on this machine")
        .expect_stdout("the command failed with exit status 4")
        .expect_stdout("stderr:   database unreachable")
        .expect_stdout("the output of the command does not contain \"migrations applied\"")
        .expect_stdout("stdout:   all good")
        .expect_stdout("note: process `shakedown` running as PID ")
        .expect_stdout("1 passed, 5 failed");
}

#[test]
fn services_are_asked_of_systemctl_or_said_to_be_unavailable() {
    let project = Project::new("http://127.0.0.1:9", FAST);
    // A stand-in for systemctl: nginx runs and is enabled, cron is stopped and disabled.
    executable(
        &project,
        "bin/systemctl",
        "#!/bin/sh\ncase \"$1 $2\" in\n  'is-active nginx') echo active ;;\n  'is-enabled nginx') echo enabled ;;\n  \
         'is-active cron') echo inactive; exit 3 ;;\n  *) echo disabled; exit 1 ;;\nesac\n",
    );
    project.file(
        "features/services.feature",
        "Feature: Services\n  Scenario: up\n    Then the service \"nginx\" should be running\n    And the service \"nginx\" should be enabled\n\n  \
         Scenario: stopped\n    Then the service \"cron\" should be running\n\n  Scenario: disabled\n    Then the service \"cron\" should be enabled\n",
    );
    let path = format!(
        "{}:{}",
        project.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    project
        .shakedown()
        .env("PATH", &path)
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("the service `cron` is not running: systemd says `inactive`")
        .expect_stdout("command:  systemctl is-active cron")
        .expect_stdout("the service `cron` is not enabled: systemd says `disabled`")
        .expect_stdout("1 passed, 2 failed");

    // Without systemctl at all, the step says so and points at the process step.
    let empty = project.path().join("empty");
    std::fs::create_dir_all(&empty).expect("folder");
    project
        .shakedown()
        .env("PATH", &empty.display().to_string())
        .args(["run", "features/services.feature"])
        .run()
        .expect_code(1)
        .expect_stdout(
            "systemd is not available on this machine, so the service `nginx` cannot be asked about",
        )
        .expect_stdout("a process named \"nginx\" should be running");
}

#[test]
fn real_nagios_plugins_pass_fail_and_report_their_perfdata() {
    let site = DemoSite::start(&[]);
    let port = port_of(&site.url);
    let closed = closed_port();
    let project = Project::new(&site.url, FAST);
    project.file("state/heartbeat", "beat\n");
    set_modified(
        &project.path().join("state/heartbeat"),
        Duration::from_secs(3 * 3600),
    );
    project.file(
        "features/nagios.feature",
        &format!(
            r#"Feature: Nagios
  Scenario: the site and its server are fine
    Then the Nagios check "check_http -H $SHAKEDOWN_HOST -p $SHAKEDOWN_PORT -u /api/health -s ok" should be OK
    And the Nagios check "check_tcp -H 127.0.0.1 -p {port}" should be OK
    And its output should contain "TCP OK"
    And the Nagios check "check_procs -C shakedown -c 1:" should be at most WARNING
    And the Nagios check "check_file_age -f state/heartbeat -w 86400 -c 172800" should be OK

  Scenario: a stale heartbeat
    Then the Nagios check "check_file_age -f state/heartbeat -w 600 -c 3600" should be at most WARNING

  Scenario: nothing listens
    Then the Nagios check "check_tcp -H 127.0.0.1 -p {closed}" should be OK

  Scenario: no such plugin
    Then the Nagios check "check_flux_capacitor -w 88" should be OK
"#
        ),
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("the Nagios check is CRITICAL, expected at most WARNING")
        .expect_stdout("output:")
        .expect_stdout("FILE_AGE CRITICAL")
        .expect_stdout("perfdata:")
        .expect_stdout("age = ")
        .expect_stdout("s (warn 600, crit 3600")
        .expect_stdout("the Nagios check is CRITICAL, expected OK")
        .expect_stdout("Connection refused")
        .expect_stdout("the Nagios check is UNKNOWN: the plugin `check_flux_capacitor` was not found in `/usr/lib/nagios/plugins`")
        .expect_stdout("note: check_tcp -H 127.0.0.1 -p ")
        .expect_stdout(": OK TCP OK - ")
        .expect_stdout("[time = ")
        .expect_stdout("1 passed, 3 failed");
}

#[test]
fn a_plugin_that_never_ends_is_killed_at_the_step_timeout() {
    let project = Project::new(
        "http://127.0.0.1:9",
        "[limits]\nstep_timeout = \"1s\"\n[probes]\nnagios_plugin_dir = \"plugins\"\n",
    );
    // Its own child holds the output pipe open, so only killing the process group ends it.
    executable(
        &project,
        "plugins/check_forever",
        "#!/bin/sh\necho starting\nsleep 600 &\nsleep 600\n",
    );
    project.file(
        "features/hang.feature",
        "Feature: Hang\n  Scenario: a plugin that hangs\n    Then the Nagios check \"check_forever\" should be OK\n\n  \
         Scenario: the run goes on\n    Then the command \"true\" should succeed\n",
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout(
            "the Nagios check is UNKNOWN: the plugin did not finish within 1s (`limits.step_timeout`); it was killed",
        )
        .expect_stdout("stdout:   starting")
        .expect_stdout("1 passed, 1 failed");
    assert!(
        outcome.took < Duration::from_secs(5),
        "the hung plugin held the run for {:?}",
        outcome.took
    );
    let leftover = Command::new("pgrep")
        .args(["-f", "sleep 600"])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default();
    assert!(
        leftover.trim().is_empty(),
        "the plugin's children outlived it: {leftover}"
    );
}

#[test]
fn files_crontabs_and_cron_schedules() {
    let project = Project::new("http://127.0.0.1:9", "[probes]\ncron_grace = \"2m\"\n");
    project.file(
        "cron/ledger",
        "# Ledger jobs\nMAILTO=ops@example.com\n*/5 * * * * ledger /usr/local/bin/ledger-sync\n\
         @hourly   ledger /usr/local/bin/ledger-rollup\n30 2 * * * ledger /usr/local/bin/ledger-nightly\n",
    );
    for (name, ago) in [("sync", 0), ("rollup", 2 * 3600), ("nightly", 0)] {
        let path = project.file(&format!("evidence/{name}"), "done\n");
        set_modified(&path, Duration::from_secs(ago));
    }
    project.file(
        "features/cron.feature",
        r#"Feature: Cron
  Scenario: jobs ran on schedule
    Then the crontab "cron/ledger" should contain "*/5 * * * * ledger /usr/local/bin/ledger-sync"
    And the cron job "ledger-sync" in "cron/ledger" should have run on schedule, as shown by "evidence/sync"
    And the cron job "ledger-nightly" in "cron/ledger" should have run on schedule, as shown by "evidence/nightly"
    And the file "evidence/sync" should exist
    And the file "evidence/sync" should have changed within 5 minutes

  Scenario: the hourly job stopped
    Then the cron job "ledger-rollup" in "cron/ledger" should have run on schedule, as shown by "evidence/rollup"

  Scenario: no evidence at all
    Then the cron job "ledger-sync" in "cron/ledger" should have run on schedule, as shown by "evidence/missing"

  Scenario: a job that is not there
    Then the cron job "ledger-backup" in "cron/ledger" should have run on schedule, as shown by "evidence/sync"

  Scenario: a missing line
    Then the crontab "cron/ledger" should contain "ledger-backup"

  Scenario: an old file
    Then the file "evidence/rollup" should have changed within 30 minutes

  Scenario: a missing file
    Then the file "evidence/none" should exist
"#,
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("the job did not run on schedule: due at ")
        .expect_stdout("ledger /usr/local/bin/ledger-rollup")
        .expect_stdout("(2h 0m ago)")
        .expect_stdout("but its evidence `")
        .expect_stdout("evidence/missing` does not exist")
        .expect_stdout("no job in the crontab `")
        .expect_stdout("line 3: */5 * * * * ledger /usr/local/bin/ledger-sync")
        .expect_stdout("has no line containing \"ledger-backup\"")
        .expect_stdout("evidence/rollup` last changed 2h 0m ago, more than 30 minute(s) ago")
        .expect_stdout("evidence/none` does not exist on this machine")
        .expect_stdout("1 passed, 6 failed");
}

/// A certificate authority made for one test, and certificates it signs for `localhost`.
struct TestCa {
    params: rcgen::CertificateParams,
    key: rcgen::KeyPair,
    pem: String,
}

impl TestCa {
    fn new() -> Self {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Shakedown Test CA");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = rcgen::KeyPair::generate().expect("key");
        let pem = params.self_signed(&key).expect("CA certificate").pem();
        Self { params, key, pem }
    }

    /// A `localhost` certificate valid from `from` to `until` from now, served on loopback.
    fn serve(&self, from: time::Duration, until: time::Duration) -> u16 {
        self.serve_for("localhost", from, until, false)
    }

    /// A certificate for `name`, served on loopback; with `answer_http`, each connection also
    /// gets one `200 ok` answer.
    fn serve_for(&self, name: &str, from: time::Duration, until: time::Duration, answer_http: bool) -> u16 {
        let mut params = rcgen::CertificateParams::new(vec![name.to_owned()]).expect("params");
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now + from;
        params.not_after = now + until;
        let key = rcgen::KeyPair::generate().expect("key");
        let issuer = rcgen::Issuer::new(self.params.clone(), &self.key);
        let certificate = params.signed_by(&key, &issuer).expect("signed");
        listen(certificate.der().clone(), &key, answer_http)
    }
}

/// A `localhost` certificate that signed itself, served on loopback.
fn serve_self_signed() -> u16 {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let key = rcgen::KeyPair::generate().expect("key");
    let certificate = params.self_signed(&key).expect("self-signed");
    listen(certificate.der().clone(), &key, false)
}

/// Serves TLS handshakes with `certificate` until the test binary ends.
fn listen(
    certificate: rustls::pki_types::CertificateDer<'static>,
    key: &rcgen::KeyPair,
    answer_http: bool,
) -> u16 {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![certificate],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let Ok(mut connection) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            let mut stream = stream;
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            while connection.is_handshaking() {
                if connection.complete_io(&mut stream).is_err() {
                    break;
                }
            }
            if answer_http && !connection.is_handshaking() {
                use std::io::{Read as _, Write as _};
                let mut tls = rustls::Stream::new(&mut connection, &mut stream);
                let mut request = [0u8; 4096];
                let _ = tls.read(&mut request);
                let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
                let _ = tls.flush();
                connection.send_close_notify();
                let _ = connection.complete_io(&mut stream);
            }
        }
    });
    port
}

#[test]
fn tls_failures_say_what_is_wrong_and_tls_ca_file_is_trusted_by_http_steps() {
    let ca = TestCa::new();
    let year = time::Duration::days(365);
    let day = time::Duration::days(1);
    let other = ca.serve_for("other.example.com", -day, year, false);
    let self_signed = serve_self_signed();
    let site = ca.serve_for("localhost", -day, year, true);
    let feature = format!(
        r#"Feature: TLS in words
  Scenario: a certificate for another name
    Then the TLS certificate of "localhost:{other}" should be valid for at least 1 days

  Scenario: a self-signed certificate
    Then the TLS certificate of "localhost:{self_signed}" should be valid for at least 1 days

  Scenario: an HTTPS page behind the private CA
    When I request "https://localhost:{site}/"
    Then the response status should be 200
"#
    );
    let trusting = Project::new(
        "http://127.0.0.1:9",
        "[limits]\nstep_timeout = \"5s\"\n[probes]\ntls_ca_file = \"certs/ca.pem\"\n",
    );
    trusting.file("certs/ca.pem", &ca.pem);
    trusting.file("features/tls.feature", &feature);
    trusting
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("does not verify: certificate is for other.example.com, not localhost")
        .expect_stdout("does not verify: self-signed certificate")
        .expect_stdout("1 passed, 2 failed");

    let untrusting = Project::new("http://127.0.0.1:9", FAST);
    untrusting.file("features/tls.feature", &feature);
    untrusting
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("the request could not be completed: unknown issuer")
        .expect_stdout("set `probes.tls_ca_file`")
        .expect_stdout("0 passed, 3 failed");
}

#[test]
fn tls_certificates_are_verified_and_their_days_counted() {
    let ca = TestCa::new();
    let days = time::Duration::days;
    // An hour short of whole days, so the days left do not depend on the second the step runs.
    let hour = time::Duration::hours(1);
    let valid = ca.serve(days(-1), days(365));
    let expiring = ca.serve(days(-30), days(5) - hour);
    let expired = ca.serve(days(-30), days(-1) - hour);
    let project = Project::new(
        "http://127.0.0.1:9",
        "[limits]\nstep_timeout = \"5s\"\n[probes]\ntls_ca_file = \"certs/ca.pem\"\n",
    );
    project.file("certs/ca.pem", &ca.pem);
    project.file(
        "features/tls.feature",
        &format!(
            r#"Feature: TLS
  Scenario: a good certificate
    Then the TLS certificate of "localhost:{valid}" should be valid for at least 30 days
    And the TLS certificate of "https://localhost:{expiring}/" should be valid for at least 3 days

  Scenario: expiring soon
    Then the TLS certificate of "localhost:{expiring}" should be valid for at least 30 days

  Scenario: expired
    Then the TLS certificate of "localhost:{expired}" should be valid for at least 1 days
"#
        ),
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout(&format!(
            "the TLS certificate of localhost:{expiring} expires in 4 day(s), sooner than the 30 required"
        ))
        .expect_stdout("issuer:     CN=Shakedown Test CA")
        .expect_stdout("subject:    CN=localhost")
        .expect_stdout(&format!(
            "the TLS certificate of localhost:{expired} does not verify:"
        ))
        .expect_stdout("expired")
        .expect_stdout("days left:  -2")
        .expect_stdout("1 passed, 2 failed");

    // Without the private CA, the certificate is not trusted, and the step says why.
    let untrusting = Project::new("http://127.0.0.1:9", FAST);
    untrusting.file(
        "features/tls.feature",
        &format!(
            "Feature: TLS\n  Scenario: private CA\n    Then the TLS certificate of \"localhost:{valid}\" should be valid for at least 30 days\n"
        ),
    );
    untrusting
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout(&format!(
            "the TLS certificate of localhost:{valid} does not verify: unknown issuer"
        ));
}

#[test]
fn command_and_plugin_output_is_cut_and_its_terminal_controls_escaped() {
    let project = Project::new("http://127.0.0.1:9", FAST);
    let fifty_lines = "i=1\nwhile [ $i -le 50 ]; do echo \"line $i\"; i=$((i+1)); done\n";
    // Colour codes, a bell and a carriage return that would overwrite the line on a terminal.
    let controls = "printf '\\033[2J\\033[31mALL GREEN\\007\\rreally\\n'\n";
    executable(
        &project,
        "bin/noisy",
        &format!("#!/bin/sh\n{fifty_lines}{controls}exit 1\n"),
    );
    let status_line = "printf 'NOISY CRITICAL - \\033[31mred\\033[0m\\n'\n";
    executable(
        &project,
        "plugins/check_noisy",
        &format!("#!/bin/sh\n{status_line}{fifty_lines}{controls}echo '| x=1'\nexit 2\n"),
    );
    project.file(
        "features/noisy.feature",
        r#"Feature: Noisy
  Scenario: a noisy command
    Then the command "bin/noisy" should succeed

  Scenario: a noisy plugin
    Then the Nagios check "plugins/check_noisy" should be OK
"#,
    );
    let report = project.path().join("junit.xml");
    let outcome = project.shakedown().args(["run", "--junit"]).args([&report]).run();
    outcome
        .expect_code(1)
        .expect_stdout("stdout:   … 39 earlier lines\n")
        .expect_stdout("line 50\n")
        .expect_stdout(r"\u{1b}[2J\u{1b}[31mALL GREEN\u{7}\rreally")
        .expect_stdout("the Nagios check is CRITICAL, expected OK")
        .expect_stdout(r"output:       NOISY CRITICAL - \u{1b}[31mred\u{1b}[0m")
        .expect_stdout("long output:  line 1\n")
        .expect_stdout("line 12\n                          … 39 more lines\n");
    assert!(!outcome.stdout.contains("line 38\n"), "{}", outcome.stdout);
    let junit = std::fs::read_to_string(&report).expect("report written");
    for (name, output) in [("stdout", &outcome.stdout), ("junit", &junit)] {
        assert!(
            !output.contains(['\u{1b}', '\u{7}', '\r']),
            "{name} holds raw terminal controls:\n{output}"
        );
    }
}

#[test]
fn cron_zones_and_extensions_are_read_as_cron_reads_them() {
    // Kathmandu is 5:45 ahead of UTC, so its hourly jobs run at a quarter past the UTC hour.
    const HOUR: u64 = 3600;
    const QUARTER_PAST: u64 = 15 * 60;
    const GRACE: u64 = 120;
    let since_epoch = || {
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs()
    };
    // Away from the instant a new run falls due, so the run sees the same due time as this.
    while (since_epoch() - GRACE - QUARTER_PAST) % HOUR < 5 {
        std::thread::sleep(Duration::from_secs(1));
    }
    let now = since_epoch();
    let due = (now - GRACE - QUARTER_PAST) / HOUR * HOUR + QUARTER_PAST;
    let project = Project::new("http://127.0.0.1:9", "[probes]\ncron_grace = \"2m\"\n");
    project.file(
        "cron/ledger",
        "CRON_TZ=Asia/Kathmandu\n0 * * * * ledger /usr/local/bin/ledger-on-time\n\
         0 * * * * ledger /usr/local/bin/ledger-late\n0 0 L * * ledger /usr/local/bin/ledger-month-end\n",
    );
    // Read in UTC, one of these two would be wrong whatever the time: due at the full hour,
    // the job on time looks late when the hour is less than a quarter old, and the late one
    // looks on time after that.
    for (name, changed) in [("on-time", due), ("late", due - 60)] {
        let path = project.file(&format!("evidence/{name}"), "done\n");
        set_modified(&path, Duration::from_secs(now - changed));
    }
    project.file(
        "features/cron.feature",
        r#"Feature: Cron as cron reads it
  Scenario: on time in Kathmandu
    Then the cron job "ledger-on-time" in "cron/ledger" should have run on schedule, as shown by "evidence/on-time"

  Scenario: late in Kathmandu
    Then the cron job "ledger-late" in "cron/ledger" should have run on schedule, as shown by "evidence/late"

  Scenario: a schedule cron refuses
    Then the cron job "ledger-month-end" in "cron/ledger" should have run on schedule, as shown by "evidence/on-time"
"#,
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("the job did not run on schedule: due at ")
        .expect_stdout("ledger /usr/local/bin/ledger-late")
        .expect_stdout("`0 0 L * *` is not a cron schedule: `L` (\"the last day\") is not cron syntax; cron rejects the line, so the job never runs")
        .expect_stdout("1 passed, 2 failed");
}

#[test]
fn a_plugin_that_is_there_but_not_executable_says_so() {
    let project = Project::new(
        "http://127.0.0.1:9",
        "[probes]\nnagios_plugin_dir = \"plugins\"\n",
    );
    project.file("plugins/check_lazy", "#!/bin/sh\necho OK\n");
    project.file(
        "features/lazy.feature",
        "Feature: Lazy\n  Scenario: a plugin without its x bit\n    Then the Nagios check \"check_lazy\" should be OK\n",
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("check_lazy` on this machine exists but is not executable")
        .expect_stdout("chmod +x ");
}

#[test]
fn a_relative_config_with_a_relative_plugin_folder_finds_its_plugins() {
    let project = Project::new(
        "http://127.0.0.1:9",
        "[probes]\nnagios_plugin_dir = \"plugins\"\n",
    );
    executable(
        &project,
        "plugins/check_fine",
        "#!/bin/sh\necho 'FINE OK - all good'\n",
    );
    project.file(
        "features/fine.feature",
        "Feature: Fine\n  Scenario: a plugin of the project\n    Then the Nagios check \"check_fine\" should be OK\n",
    );
    let outside = project.path().parent().expect("a parent folder");
    let folder = project
        .path()
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    let config = format!("{folder}/shakedown.toml");
    let features = format!("{folder}/features");
    Shakedown::new()
        .current_dir(outside)
        .args(["run", "--config", &config, &features])
        .run()
        .expect_code(0)
        .expect_stdout("1 passed, 0 failed");
}

#[test]
fn file_permissions_owners_and_group_members() {
    let project = Project::new("http://127.0.0.1:9", FAST);
    for (name, mode) in [
        ("secret.ini", 0o600),
        ("public.ini", 0o644),
        ("shared.ini", 0o640),
    ] {
        let path = project.file(&format!("etc/{name}"), "password = hunter2\n");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    // The root group's members here, as the step will read them; usually nobody.
    let entry = Command::new("getent")
        .args(["group", "root"])
        .output()
        .expect("getent runs");
    let entry = String::from_utf8_lossy(&entry.stdout).into_owned();
    let members = entry
        .trim_end()
        .splitn(4, ':')
        .nth(3)
        .expect("a group line")
        .to_owned();
    project.file(
        "features/permissions.feature",
        &format!(
            r#"Feature: Permissions
  Scenario: settings kept to their owners
    Then the file "etc/secret.ini" should not be readable by others
    And the file "etc/shared.ini" should not be readable by others
    And the file "etc/secret.ini" should be owned by "root"
    And the file "etc/shared.ini" should be owned by "root:root"
    And the file "etc/secret.ini" should have mode "0600"
    And the file "etc/shared.ini" should have mode "640"
    And the group "root" should have exactly the members "{members}"

  Scenario: a settings file anyone can read
    Then the file "etc/public.ini" should not be readable by others

  Scenario: the wrong owner
    Then the file "etc/secret.ini" should be owned by "ledger:ledger"

  Scenario: the wrong mode
    Then the file "etc/public.ini" should have mode "0600"

  Scenario: a stranger expected in the group
    Then the group "root" should have exactly the members "shakedown-nobody"

  Scenario: a group that does not exist
    Then the group "shakedown-no-such-group" should have exactly the members ""

  Scenario: a missing file
    Then the file "etc/none.ini" should have mode "0600"
"#
        ),
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout("public.ini` is readable by every user of the machine")
        .expect_stdout("0644 (rw-r--r--)")
        .expect_stdout("chmod o-r ")
        .expect_stdout("secret.ini` is owned by `root:root`, not `ledger:ledger`")
        .expect_stdout("public.ini` has mode 0644 (rw-r--r--), not 0600 (rw-------)")
        .expect_stdout("the group `root` does not have exactly the expected members")
        .expect_stdout("missing:   shakedown-nobody")
        .expect_stdout("the group `shakedown-no-such-group` does not exist on this machine")
        .expect_stdout("none.ini` does not exist on this machine")
        .expect_stdout("1 passed, 6 failed");
    match members.is_empty() {
        true => outcome.expect_stdout("seen:      nobody"),
        false => outcome.expect_stdout(&format!("extra:     {}", members.replace(',', ", "))),
    };
}

#[test]
fn a_commented_out_crontab_line_is_not_a_job() {
    let project = Project::new("http://127.0.0.1:9", FAST);
    project.file(
        "cron/app",
        "# App jobs, some switched off for the migration\nMAILTO=ops@example.com\n\
         #* * * * * www-data /srv/app/bin/heartbeat\n#30 2 * * * www-data /srv/app/bin/nightly\n\
         \x20 # 30 2 * * * www-data /srv/app/bin/nightly --dry-run\n15 * * * * www-data /srv/app/bin/sync\n\
         # also run by hand: /srv/app/bin/sync --full\n",
    );
    project.file(
        "features/cron.feature",
        r#"Feature: Cron jobs that are on
  Scenario: live jobs and variables
    Then the crontab "cron/app" should contain "15 * * * *   www-data /srv/app/bin/sync"
    And the crontab "cron/app" should contain "MAILTO=ops@example.com"

  Scenario: a job switched off
    Then the crontab "cron/app" should contain "* * * * * www-data /srv/app/bin/heartbeat"

  Scenario: a job switched off twice
    Then the crontab "cron/app" should contain "/srv/app/bin/nightly"

  Scenario: a job mentioned only in a comment
    Then the crontab "cron/app" should contain "/srv/app/bin/sync --full"
"#,
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout(
            "cron/app` holding \"* * * * * www-data /srv/app/bin/heartbeat\" is commented out (line 3)",
        )
        .expect_stdout("commented:  line 3: #* * * * * www-data /srv/app/bin/heartbeat\n")
        .expect_stdout("jobs:       line 6: 15 * * * * www-data /srv/app/bin/sync\n")
        .expect_stdout("hint:       cron skips a line that starts with `#`")
        .expect_stdout("cron/app` holding \"/srv/app/bin/nightly\" is commented out (lines 4, 5)")
        .expect_stdout("line 5: # 30 2 * * * www-data /srv/app/bin/nightly --dry-run\n")
        .expect_stdout("cron/app` holding \"/srv/app/bin/sync --full\" is commented out (line 7)")
        .expect_stdout("1 passed, 3 failed");
}

/// Processes a test starts under the names people see; killed when the test ends, however it
/// ends.
struct Started(Vec<std::process::Child>);

impl Started {
    /// `command` (a bash line) run with `title` as its argv[0], as `exec -a`, mod_wsgi's
    /// `display-name` and `setproctitle` leave it; its PID once the title shows in `/proc`.
    fn titled(&mut self, title: &str, command: &str) -> u32 {
        let child = Command::new("bash")
            .args(["-c", &format!("exec -a \"$0\" {command}"), title])
            .stdin(std::process::Stdio::null())
            .spawn()
            .expect("bash");
        let pid = child.id();
        self.0.push(child);
        let shown = (0..250).any(|_| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if cmdline.starts_with(title.as_bytes()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
            false
        });
        assert!(shown, "`{title}` never showed as the argv[0] of {pid}");
        pid
    }

    fn spawned(&mut self, command: &mut Command) -> u32 {
        let child = command
            .stdin(std::process::Stdio::null())
            .spawn()
            .expect("starts");
        let pid = child.id();
        self.0.push(child);
        pid
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The note a passing process step left about `name`.
fn process_note<'a>(stdout: &'a str, name: &str) -> &'a str {
    let start = format!("note: process `{name}` running as PID ");
    stdout
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with(&start))
        .unwrap_or_else(|| panic!("no note about `{name}`:\n{stdout}"))
}

#[test]
fn processes_are_found_by_the_names_people_see_and_names_match_whole() {
    let project = Project::new("http://127.0.0.1:9", FAST);
    let tag = format!("sd{}", std::process::id());
    let mut started = Started(Vec::new());
    let wsgi = started.titled(&format!("(wsgi:{tag})          "), "sleep 30");
    // The system's Python: a version manager's `python3` is a script that starts another.
    let gunicorn = started.titled(
        &format!("gunicorn-{tag}: master [app]"),
        "/usr/bin/python3 -c 'import time; time.sleep(30)'",
    );
    // A program whose file name is longer than the kernel keeps (15 characters), under a title.
    let daemon = project.path().join(format!("bin/{tag}-long-daemon-name"));
    std::fs::create_dir_all(daemon.parent().expect("a folder")).expect("folder");
    std::fs::copy("/bin/sleep", &daemon).expect("a copy of sleep");
    let renamed = started.titled(&format!("(worker:{tag})"), &format!("{} 30", daemon.display()));
    project.file("manage.py", "import time\ntime.sleep(30)\n");
    let manage = started.spawned(
        Command::new("/usr/bin/python3")
            .args(["manage.py", "runserver", &tag])
            .current_dir(project.path()),
    );
    let anacron = started.titled(&format!("anacron-{tag}"), "sleep 30");
    project.file(
        "features/names.feature",
        &format!(
            r#"Feature: Processes by the names people see
  Scenario: titles, executables, scripts and words of the command line
    Then a process named "(wsgi:{tag})" should be running
    And a process named "wsgi:{tag}" should be running
    And a process named "gunicorn-{tag}: master [app]" should be running
    And a process named "gunicorn-{tag}" should be running
    And a process named "{tag}-long-daemon-name" should be running
    And a process named "manage.py" should be running
    And a process named "manage.py runserver {tag}" should be running

  Scenario: part of a word is no name
    Then a process named "cron-{tag}" should be running
"#
        ),
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout(&format!(
            "no process named `cron-{tag}` is running on this machine"
        ))
        .expect_stdout(&format!("{anacron} anacron-{tag} 30\n"))
        .expect_stdout("or whole words of its command line")
        .expect_stdout("1 passed, 1 failed");
    let stdout = &outcome.stdout;
    for (name, expected) in [
        (
            format!("(wsgi:{tag})"),
            format!("PID {wsgi} (matched by argv[0])"),
        ),
        (
            format!("wsgi:{tag}"),
            format!("PID {wsgi} (matched by its command line `(wsgi:{tag}) 30`)"),
        ),
        (
            format!("gunicorn-{tag}: master [app]"),
            format!("PID {gunicorn} (matched by argv[0])"),
        ),
        (
            format!("gunicorn-{tag}"),
            format!(
                "PID {gunicorn} (matched by its command line `gunicorn-{tag}: master [app] -c import time;"
            ),
        ),
        (
            format!("{tag}-long-daemon-name"),
            format!("PID {renamed} (matched by its executable)"),
        ),
        (
            format!("manage.py runserver {tag}"),
            format!(
                "PID {manage} (matched by its command line `/usr/bin/python3 manage.py runserver {tag}`)"
            ),
        ),
    ] {
        let note = process_note(stdout, &name);
        assert!(
            note.ends_with(&expected) || note.contains(&format!("{expected} ")),
            "{note}\nlacks {expected}"
        );
    }
    let by_script = process_note(stdout, "manage.py");
    assert!(
        by_script.contains(&format!(" {manage}")) && by_script.contains("(matched by its script)"),
        "{by_script}"
    );
}

#[test]
fn output_that_should_not_hold_a_text_shows_where_it_does_and_cut_output_cannot_tell() {
    let project = Project::new("http://127.0.0.1:9", FAST);
    project.file(
        "features/output.feature",
        r#"Feature: Output without a text
  Scenario: a clean check
    When the command "echo System check identified no issues" should succeed
    Then its output should not contain "Traceback"

  Scenario: debug left on
    When the command "sh -c 'echo checking; echo DEBUG = True in settings; echo warning: DEBUG is on >&2'" should succeed
    Then its output should not contain "DEBUG"

  Scenario: output past what is kept
    When the command "head -c 1100000 /dev/zero | tr '\0' x" should succeed
    Then its output should not contain "Traceback"

  Scenario: no command ran
    Then its output should not contain "Traceback"
"#,
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("the output of the command contains \"DEBUG\", which it should not")
        .expect_stdout("found:    stdout line 2: \"DEBUG = True in settings\"\n")
        .expect_stdout("stderr line 1: \"warning: DEBUG is on\"\n")
        .expect_stdout(
            "cannot tell whether the output of the command holds \"Traceback\": it printed more than the 1024 KiB kept",
        )
        .expect_stdout("there is no command output to check: no command has run in this scenario")
        .expect_stdout("1 passed, 3 failed");
    // Nagios tells a finding (CRITICAL) from a check that could not tell (UNKNOWN).
    let nagios = project.shakedown().args(["run", "--format", "nagios"]).run();
    for (severity, scenario) in [
        ("CRITICAL", "debug left on"),
        ("UNKNOWN", "output past what is kept"),
        ("UNKNOWN", "no command ran"),
    ] {
        assert!(
            nagios
                .stdout
                .lines()
                .any(|line| line.starts_with(&format!("{severity} {scenario} ("))),
            "{scenario} is not {severity}:\n{}",
            nagios.stdout
        );
    }
}
