//! Gathers one host's facts through the [`Host`] seam, so the same code reads this machine and
//! a server over SSH. Each part is best effort: a part the host cannot tell (no systemd in a
//! container, no `ss`) is recorded as unknown, never guessed.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::ops::RangeInclusive;
use std::path::Path;
use std::time::Duration;

use super::model::{Apache, HostFacts, Services};
use super::nagios::{self, NagiosChecks};
use super::settings::BaselineSettings;
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::{Finished, Host, Invocation, RunError};
use crate::probes::{is_system_crontab, parse_crontab};
use crate::wsgi::apache::{self, Role};

/// Reads the clock and every process's `stat` line in one command, so a server over SSH
/// answers in one round trip.
const PROCESS_SCRIPT: &str =
    "cat /proc/uptime; getconf CLK_TCK 2>/dev/null || echo 100; cat /proc/[0-9]*/stat 2>/dev/null; true";

/// Where the kernel says which ports it hands out to outgoing connections and `bind(0)`.
const EPHEMERAL_RANGE: &str = "/proc/sys/net/ipv4/ip_local_port_range";

/// Everything the baseline records about `host`, by `deadline`. Only a host that cannot be
/// reached at all (or does not answer in time) is a failure.
pub async fn gather(
    host: &dyn Host,
    settings: &BaselineSettings,
    checks: &NagiosChecks,
    deadline: Deadline,
) -> Result<HostFacts, StepFailure> {
    let work = async {
        let processes = daemons(host, settings.process_min_age, deadline).await?;
        let (services, ports, crontabs, apache, nagios) = tokio::join!(
            services(host, deadline),
            ports(host, deadline),
            crontabs(host, settings, deadline),
            apache(host, &settings.apache_dir, deadline),
            nagios::states(host, checks, deadline),
        );
        Ok(HostFacts {
            services,
            ports,
            processes,
            crontabs,
            apache,
            nagios,
        }
        .redacted())
    };
    deadline.run_before(work).await.unwrap_or_else(|| {
        Err(deadline.exceeded(format!("the facts of {} could not be gathered", host.name())))
    })
}

/// Runs a command; its output when it ran and exited 0, `None` when the host cannot tell.
async fn output(host: &dyn Host, program: &str, args: &[&str], deadline: Deadline) -> Option<String> {
    let invocation = Invocation {
        program: program.into(),
        args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        ..Invocation::default()
    };
    match host.run(&invocation, deadline).await {
        Ok(Finished {
            code: Some(0),
            stdout,
            ..
        }) => Some(stdout),
        _ => None,
    }
}

/// The daemons: see [`is_daemon`]. The first thing asked of a host, so that a host that cannot
/// be reached fails here, with its reason.
async fn daemons(
    host: &dyn Host,
    min_age: Duration,
    deadline: Deadline,
) -> Result<Option<BTreeSet<String>>, StepFailure> {
    let invocation = Invocation {
        program: "sh".into(),
        args: vec!["-c".into(), PROCESS_SCRIPT.into()],
        ..Invocation::default()
    };
    match host.run(&invocation, deadline).await {
        Ok(finished) => Ok(parse_daemons(&finished.stdout, min_age)),
        Err(RunError::TimedOut { .. }) => Err(deadline.exceeded(format!("{} did not answer", host.name()))),
        Err(RunError::NotFound) => Ok(None),
        Err(RunError::Start(error)) => Err(StepFailure::connection(format!(
            "cannot reach {} to gather its facts",
            host.name()
        ))
        .with("reason", error.to_string())),
    }
}

/// The names of the daemons in `PROCESS_SCRIPT`'s output: uptime, clock ticks per second, then
/// one `/proc/PID/stat` line per process.
fn parse_daemons(text: &str, min_age: Duration) -> Option<BTreeSet<String>> {
    let mut lines = text.lines();
    let uptime: f64 = lines.next()?.split_whitespace().next()?.parse().ok()?;
    let ticks: f64 = lines.next()?.trim().parse().ok().filter(|ticks| *ticks > 0.0)?;
    let names = lines
        .filter_map(parse_stat)
        .filter(|stat| is_daemon(stat, uptime - stat.started_ticks / ticks, min_age))
        .map(|stat| stat.name.to_owned())
        .collect();
    Some(names)
}

/// What a `/proc/PID/stat` line tells about a process.
#[derive(Debug, PartialEq)]
struct Stat<'a> {
    pid: u32,
    name: &'a str,
    /// `R`, `S`, ...; `Z` is a process that has ended and waits to be reaped.
    state: &'a str,
    parent: u32,
    session: u32,
    terminal: u64,
    /// When it started, in clock ticks after boot.
    started_ticks: f64,
}

/// `PID (NAME) STATE PPID PGRP SESSION TTY ...`; the name may hold spaces and parentheses,
/// so it ends at the last `)`.
fn parse_stat(line: &str) -> Option<Stat<'_>> {
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    let fields: Vec<&str> = line.get(close + 1..)?.split_whitespace().collect();
    Some(Stat {
        pid: line[..open].trim().parse().ok()?,
        name: line.get(open + 1..close)?,
        state: fields.first()?,
        parent: fields.get(1)?.parse().ok()?,
        session: fields.get(3)?.parse().ok()?,
        terminal: fields.get(4)?.parse().ok()?,
        started_ticks: fields.get(19)?.parse().ok()?,
    })
}

/// A daemon was started by init or left to it (daemons detach; systemd starts every service),
/// leads its own session, has no controlling terminal, is no kernel thread, and has run at
/// least `min_age`. The shells and commands of the moment, a deployment's or the probe's own
/// SSH session (a child of `sshd`), are not, nor is a daemon that has ended but not yet been
/// reaped (a zombie).
fn is_daemon(stat: &Stat<'_>, age_seconds: f64, min_age: Duration) -> bool {
    let kernel_thread = stat.pid == 2 || stat.parent == 2;
    let left_to_init = stat.parent <= 1;
    left_to_init
        && stat.state != "Z"
        && stat.session == stat.pid
        && stat.terminal == 0
        && !kernel_thread
        && age_seconds >= min_age.as_secs_f64()
}

/// Services running and enabled, as systemd lists them; unknown without systemd. The list of
/// unit files can be read without a running systemd, so it is asked only when one answered.
async fn services(host: &dyn Host, deadline: Deadline) -> Option<Services> {
    let running = [
        "list-units",
        "--type=service",
        "--state=running",
        "--no-legend",
        "--plain",
        "--no-pager",
    ];
    let running = output(host, "systemctl", &running, deadline).await?;
    let enabled = [
        "list-unit-files",
        "--type=service",
        "--state=enabled",
        "--no-legend",
        "--no-pager",
    ];
    let enabled = output(host, "systemctl", &enabled, deadline).await?;
    Some(Services {
        running: unit_names(&running),
        enabled: unit_names(&enabled),
    })
}

/// The first column of systemctl's table, without `.service`.
fn unit_names(table: &str) -> BTreeSet<String> {
    table
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(|unit| unit.strip_suffix(".service").unwrap_or(unit).to_owned())
        .collect()
}

/// The listening TCP ports outside the ephemeral range (a port the kernel hands out to
/// `bind(0)` is nobody's fixed address) and the program on each: from `ss`, or from
/// `/proc/net/tcp` (programs unknown) where `ss` is missing.
async fn ports(host: &dyn Host, deadline: Deadline) -> Option<BTreeMap<u16, Option<String>>> {
    let listening = match output(host, "ss", &["-Hltnp"], deadline).await {
        Some(table) => parse_ss(&table),
        None => {
            let mut listening = BTreeMap::new();
            let mut known = false;
            for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
                if let Ok(bytes) = host.read(Path::new(table), deadline).await {
                    known = true;
                    for port in parse_proc_net_tcp(&String::from_utf8_lossy(&bytes)) {
                        listening.insert(port, None);
                    }
                }
            }
            known.then_some(listening)?
        }
    };
    let ephemeral = host
        .read(Path::new(EPHEMERAL_RANGE), deadline)
        .await
        .ok()
        .and_then(|bytes| parse_range(&String::from_utf8_lossy(&bytes)));
    Some(
        listening
            .into_iter()
            .filter(|(port, _)| !ephemeral.as_ref().is_some_and(|range| range.contains(port)))
            .collect(),
    )
}

/// `LISTEN 0 128 127.0.0.1:8081 0.0.0.0:* users:(("apache2",pid=7,fd=3))` lines.
fn parse_ss(table: &str) -> BTreeMap<u16, Option<String>> {
    let mut ports = BTreeMap::new();
    for line in table.lines() {
        let columns: Vec<&str> = line.split_whitespace().collect();
        let Some(port) = columns
            .get(3)
            .and_then(|local| local.rsplit(':').next())
            .and_then(|port| port.parse::<u16>().ok())
        else {
            continue;
        };
        let program = line
            .split_once("users:((\"")
            .and_then(|(_, rest)| rest.split('"').next())
            .map(str::to_owned);
        let entry = ports.entry(port).or_insert(None);
        if entry.is_none() {
            *entry = program;
        }
    }
    ports
}

/// The ports in state `0A` (LISTEN) of a `/proc/net/tcp` table.
fn parse_proc_net_tcp(table: &str) -> Vec<u16> {
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            let (_, port) = columns.get(1)?.rsplit_once(':')?;
            (*columns.get(3)? == "0A").then(|| u16::from_str_radix(port, 16).ok())?
        })
        .collect()
}

fn parse_range(text: &str) -> Option<RangeInclusive<u16>> {
    let mut bounds = text.split_whitespace().map(str::parse::<u16>);
    Some(bounds.next()?.ok()?..=bounds.next()?.ok()?)
}

/// Every job line of the configured crontabs and of the SSH user's own; unknown when one
/// exists but cannot be read.
async fn crontabs(
    host: &dyn Host,
    settings: &BaselineSettings,
    deadline: Deadline,
) -> Option<BTreeMap<String, Vec<String>>> {
    let mut tables = BTreeMap::new();
    for configured in &settings.crontabs {
        let facts = match host.metadata(configured, deadline).await {
            Ok(facts) => facts,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(_) => return None,
        };
        let files = match facts.is_dir {
            true => {
                let mut names = host.list_dir(configured, deadline).await.ok()?;
                names.sort();
                names
                    .into_iter()
                    // cron itself skips hidden files and a package manager's leftovers.
                    .filter(|name| !name.starts_with('.') && !name.contains(".dpkg-"))
                    .map(|name| configured.join(name))
                    .collect()
            }
            false => vec![configured.clone()],
        };
        for file in files {
            let text = match host.read(&file, deadline).await {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(_) => return None,
            };
            let system = is_system_crontab(&file) || facts.is_dir;
            tables.insert(file.display().to_string(), job_lines(&text, system));
        }
    }
    if settings.user_crontab {
        let listed = output(host, "sh", &["-c", "id -un && crontab -l"], deadline).await;
        if let Some((user, text)) = listed.as_deref().and_then(|listed| listed.split_once('\n')) {
            tables.insert(format!("the crontab of {user}"), job_lines(text, false));
        }
    }
    Some(tables)
}

/// The job lines of a crontab as written, as the cron probe reads them.
fn job_lines(text: &str, system: bool) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    parse_crontab(text, system)
        .iter()
        .filter_map(|job| lines.get(job.line - 1))
        .map(|line| line.trim().to_owned())
        .collect()
}

/// Apache's enabled sites and modules, and each site's sound WSGI paths; unknown where
/// Apache's folders are not there.
async fn apache(host: &dyn Host, folder: &Path, deadline: Deadline) -> Option<Apache> {
    let names = |sub: &'static str, suffix: &'static str| async move {
        let listed = host.list_dir(&folder.join(sub), deadline).await.ok()?;
        Some(
            listed
                .iter()
                .filter_map(|name| name.strip_suffix(suffix))
                .map(str::to_owned)
                .collect::<BTreeSet<_>>(),
        )
    };
    let (sites, modules) = tokio::join!(names("sites-enabled", ".conf"), names("mods-enabled", ".load"));
    let sites = sites?;
    let mut wsgi = BTreeMap::new();
    for site in &sites {
        let file = folder.join("sites-enabled").join(format!("{site}.conf"));
        let sound = sound_wsgi_paths(host, &file, folder, deadline).await;
        if !sound.is_empty() {
            wsgi.insert(site.clone(), sound);
        }
    }
    Some(Apache {
        sites,
        modules: modules?,
        wsgi,
    })
}

/// The mod_wsgi paths of a site file that are what they must be (a script file, a folder, a
/// virtualenv with a working interpreter), as the WSGI steps judge them: `WSGI interpreter
/// `/srv/venv``. Relative paths start at Apache's folder, as Apache's `ServerRoot` does.
async fn sound_wsgi_paths(
    host: &dyn Host,
    site_file: &Path,
    server_root: &Path,
    deadline: Deadline,
) -> BTreeSet<String> {
    let Ok(bytes) = host.read(site_file, deadline).await else {
        return BTreeSet::new();
    };
    let mut sound = BTreeSet::new();
    for named in apache::wsgi_paths(&apache::directives(&String::from_utf8_lossy(&bytes))) {
        if apache::problem(host, &named, server_root, deadline)
            .await
            .is_none()
        {
            let what = match named.role {
                Role::Script => "WSGI script",
                Role::PythonHome => "WSGI interpreter",
                Role::PythonPath => "WSGI python-path folder",
                Role::AliasTarget => "Alias target",
            };
            sound.insert(format!("{what} `{}`", server_root.join(&named.path).display()));
        }
    }
    sound
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::LocalHost;

    #[test]
    fn daemons_lead_their_session_have_no_terminal_and_have_run_long_enough() {
        let text = "1000.00 20.00\n100\n\
            1 (systemd) S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n\
            2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n\
            400 (ledger worker) S 1 400 400 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5000 0 0\n\
            500 (bash) S 1 500 500 34816 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5000 0 0\n\
            550 (ssh) S 480 550 550 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5000 0 0\n\
            600 (sleep) S 500 600 500 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5000 0 0\n\
            700 (sshd-session) S 1 700 700 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 99990 0 0\n\
            800 (old-worker) Z 1 800 800 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 5000 0 0\n";
        let names = parse_daemons(text, Duration::from_secs(60)).expect("read");
        assert_eq!(
            names,
            BTreeSet::from(["systemd".to_owned(), "ledger worker".to_owned()])
        );
        assert!(parse_daemons("", Duration::ZERO).is_none());
    }

    #[test]
    fn listening_ports_come_from_ss_or_the_kernels_table() {
        let ss = "LISTEN 0 511 0.0.0.0:8081 0.0.0.0:* users:((\"apache2\",pid=7,fd=3),(\"apache2\",pid=8,fd=3))\n\
                  LISTEN 0 511 [::]:8081 [::]:* users:((\"apache2\",pid=7,fd=4))\n\
                  LISTEN 0 128 0.0.0.0:22 0.0.0.0:*\n";
        assert_eq!(
            parse_ss(ss),
            BTreeMap::from([(22, None), (8081, Some("apache2".to_owned()))])
        );
        let table = "  sl  local_address rem_address   st tx_queue\n\
                     0: 00000000:1F91 00000000:0000 0A 00000000:00000000\n\
                     1: 0100007F:9C40 0100007F:1F91 01 00000000:00000000\n";
        assert_eq!(parse_proc_net_tcp(table), [8081]);
        assert_eq!(parse_range("32768\t60999\n"), Some(32768..=60999));
    }

    #[test]
    fn crontab_job_lines_are_kept_as_written() {
        let text = "MAILTO=ops\n# heartbeat\n*/5 * * * *  www-data  /srv/ledger/bin/heartbeat\n\n@daily root /usr/sbin/logrotate\n";
        assert_eq!(
            job_lines(text, true),
            [
                "*/5 * * * *  www-data  /srv/ledger/bin/heartbeat",
                "@daily root /usr/sbin/logrotate"
            ]
        );
    }

    #[tokio::test]
    async fn crontab_files_and_folders_and_apache_folders_are_read_through_the_host() {
        let folder = tempfile::tempdir().expect("temp dir");
        let cron_d = folder.path().join("cron.d");
        std::fs::create_dir(&cron_d).expect("folder");
        std::fs::write(cron_d.join("ledger"), "* * * * * root /srv/beat\n").expect("crontab");
        std::fs::write(cron_d.join(".placeholder"), "# nothing\n").expect("hidden");
        let settings = BaselineSettings {
            crontabs: vec![folder.path().join("crontab"), cron_d.clone()],
            user_crontab: false,
            apache_dir: folder.path().to_path_buf(),
            ..BaselineSettings::default()
        };
        let deadline = Deadline::after(Duration::from_secs(10), crate::deadline::Limit::Step);
        let tables = crontabs(&LocalHost, &settings, deadline).await.expect("known");
        assert_eq!(
            tables,
            BTreeMap::from([(
                cron_d.join("ledger").display().to_string(),
                vec!["* * * * * root /srv/beat".to_owned()]
            )])
        );
        assert_eq!(apache(&LocalHost, folder.path(), deadline).await, None);
        std::fs::create_dir(folder.path().join("sites-enabled")).expect("sites");
        std::fs::create_dir(folder.path().join("mods-enabled")).expect("mods");
        let venv = folder.path().join("venv");
        std::fs::create_dir_all(venv.join("bin")).expect("virtualenv");
        std::os::unix::fs::symlink("/bin/sh", venv.join("bin/python")).expect("interpreter");
        let site = format!(
            "<VirtualHost *:80>\n  WSGIDaemonProcess ledger python-home={} python-path=/no/such/folder\n  WSGIScriptAlias / /no/such/app.wsgi\n</VirtualHost>\n",
            venv.display()
        );
        std::fs::write(folder.path().join("sites-enabled/ledger.conf"), site).expect("site");
        std::fs::write(folder.path().join("mods-enabled/wsgi.load"), "").expect("module");
        std::fs::write(folder.path().join("mods-enabled/wsgi.conf"), "").expect("module conf");
        let apache = apache(&LocalHost, folder.path(), deadline).await.expect("known");
        assert_eq!(apache.sites, BTreeSet::from(["ledger".to_owned()]));
        assert_eq!(apache.modules, BTreeSet::from(["wsgi".to_owned()]));
        assert_eq!(
            apache.wsgi,
            BTreeMap::from([(
                "ledger".to_owned(),
                BTreeSet::from([format!("WSGI interpreter `{}`", venv.display())])
            )])
        );
    }
}
