//! `audit.syslog`: after a run, one line through `logger` in the system log of every server it
//! checked, so their administrators see who checked them and what came out.

use std::sync::Arc;

use shakedown_steps::redact::redact;
use shakedown_steps::{Deadline, Host, Invocation, LocalHost, RunError};

use super::{Counts, Record};
use crate::output::tell;
use crate::plan::Fleet;
use crate::report::RunSummary;

/// Logs with `logger`, tagged `shakedown`; where util-linux's `logger` runs, a missing system log
/// socket is an error rather than a line silently lost.
const LOGGER_SCRIPT: &str = "if logger --help 2>&1 | grep -q -e --socket-errors; then\n\
                             exec logger --socket-errors=on -t shakedown -- \"$1\"\nfi\n\
                             exec logger -t shakedown -- \"$1\"\n";

/// `audit.syslog`: one line through `logger` on every remote server of the run (its own
/// scenarios' results, or the run's when it had none), and one on this machine when the run
/// has no servers or some are this machine, all by one deadline. A server that cannot be told
/// is a warning.
pub async fn log_on_servers(fleet: &Fleet, summary: &RunSummary, record: &Record, deadline: Deadline) {
    let targets = {
        let run = Counts::of(summary);
        let own_or_run = |counts: Counts| if counts.total() > 0 { counts } else { run };
        let mut targets: Vec<(String, Arc<dyn Host>, Counts)> = Vec::new();
        let mut here = Counts::default();
        let mut here_counts = fleet.hosts().is_empty();
        for host in fleet.hosts() {
            let counts = summary
                .by_host
                .get(&host.name)
                .map(Counts::of)
                .unwrap_or_default();
            if host.host.is_local() {
                here.add(counts);
                here_counts = true;
            } else {
                targets.push((host.name.clone(), Arc::clone(&host.host), own_or_run(counts)));
            }
        }
        if here_counts {
            targets.push(("this machine".to_owned(), Arc::new(LocalHost), own_or_run(here)));
        }
        targets
    };
    let prefix = format!(
        "run by {} from {} against {}",
        record.provenance().person().unwrap_or("?"),
        record.provenance().machine.as_deref().unwrap_or("?"),
        record.environment()
    );
    let logged = targets.iter().map(|(name, host, counts)| {
        let line = redact(&format!("{prefix}: {}", counts.describe())).into_owned();
        async move {
            if let Err(reason) = log_line(host.as_ref(), &line, deadline).await {
                tell!(
                    "warning: the run is not in the system log of {name}: {}; the run's result stands",
                    redact(&reason)
                );
            }
        }
    });
    futures::future::join_all(logged).await;
}

/// Hands `line` to `logger` on `host`, or says why it could not.
async fn log_line(host: &dyn Host, line: &str, deadline: Deadline) -> Result<(), String> {
    let invocation = Invocation {
        program: "sh".into(),
        args: vec!["-c".into(), LOGGER_SCRIPT.into(), "shakedown".into(), line.into()],
        ..Invocation::default()
    };
    match host.run(&invocation, deadline).await {
        Ok(finished) if finished.code == Some(0) => Ok(()),
        Ok(finished) => {
            let said = finished.stderr.lines().rev().find(|said| !said.trim().is_empty());
            Err(match said {
                Some(said) => format!(
                    "`logger` ended with {}: {}",
                    finished.describe_status(),
                    said.trim()
                ),
                None => format!("`logger` ended with {}", finished.describe_status()),
            })
        }
        Err(RunError::NotFound) => Err("`sh` is not installed there".to_owned()),
        Err(RunError::TimedOut { .. }) => Err(format!("`logger` did not finish within {deadline}")),
        Err(RunError::Start(error)) => Err(error.to_string()),
    }
}
