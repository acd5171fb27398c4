//! Files a release leaves behind or a scheduled job refreshes: whether they exist, how recently
//! they changed, what a crontab holds, and the cron schedule check built on those.

use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Local};

use super::cron;
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::{FileFacts, Host};

/// Facts about `path`, or a failure that names it and says why it cannot be seen.
pub(crate) async fn facts(
    host: &dyn Host,
    path: &Path,
    what: &str,
    deadline: Deadline,
) -> Result<FileFacts, StepFailure> {
    host.metadata(path, deadline)
        .await
        .map_err(|error| missing(host, path, what, &error))
}

pub(crate) fn missing(host: &dyn Host, path: &Path, what: &str, error: &io::Error) -> StepFailure {
    let summary = match error.kind() {
        io::ErrorKind::NotFound => format!(
            "the {what} `{}` does not exist on {}",
            path.display(),
            host.name()
        ),
        _ => format!(
            "the {what} `{}` cannot be read on {}: {error}",
            path.display(),
            host.name()
        ),
    };
    StepFailure::new(summary)
}

/// A file's text, or a failure naming it.
pub(crate) async fn read_text(
    host: &dyn Host,
    path: &Path,
    what: &str,
    deadline: Deadline,
) -> Result<String, StepFailure> {
    let bytes = host
        .read(path, deadline)
        .await
        .map_err(|error| missing(host, path, what, &error))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

pub(crate) async fn exists(host: &dyn Host, path: &Path, deadline: Deadline) -> Result<(), StepFailure> {
    facts(host, path, "file", deadline).await.map(|_| ())
}

/// Passes when the file's modification time is no more than `within` ago.
pub(crate) async fn changed_within(
    host: &dyn Host,
    path: &Path,
    within: Duration,
    deadline: Deadline,
) -> Result<(), StepFailure> {
    let modified = modified(host, path, "file", deadline).await?;
    let now = SystemTime::now();
    if now.duration_since(modified).unwrap_or_default() <= within {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the file `{}` last changed {}, more than {} minute(s) ago",
        path.display(),
        cron::age(modified, now),
        within.as_secs() / 60
    ))
    .with("changed", timestamp(modified))
    .with("now", timestamp(now)))
}

async fn modified(
    host: &dyn Host,
    path: &Path,
    what: &str,
    deadline: Deadline,
) -> Result<SystemTime, StepFailure> {
    facts(host, path, what, deadline).await?.modified.ok_or_else(|| {
        StepFailure::new(format!(
            "the {what} `{}` has no modification time on {}",
            path.display(),
            host.name()
        ))
    })
}

/// Passes when a line cron reads holds `wanted`: see [`cron::expect_line`].
pub(crate) async fn crontab_contains(
    host: &dyn Host,
    path: &Path,
    wanted: &str,
    deadline: Deadline,
) -> Result<(), StepFailure> {
    let contents = read_text(host, path, "crontab", deadline).await?;
    cron::expect_line(&contents, wanted, path)
}

/// The cron job matching `job` in `crontab` was last due at some time (its schedule, less the
/// grace period); passes when `evidence` changed at or after that time.
pub(crate) async fn ran_on_schedule(
    host: &dyn Host,
    crontab: &Path,
    job: &str,
    evidence: &Path,
    grace: Duration,
    host_zone: Option<&str>,
    deadline: Deadline,
) -> Result<(), StepFailure> {
    let text = read_text(host, crontab, "crontab", deadline).await?;
    let jobs = cron::parse_crontab(&text, cron::is_system_crontab(crontab));
    let found = cron::find_job(&jobs, job, crontab)?;
    let where_ = format!("{}:{}", crontab.display(), found.line);
    let schedule = cron::schedule_of(found)
        .map_err(|problem| {
            StepFailure::new(problem).with("job", format!("{where_}: {} {}", found.schedule, found.command))
        })?
        .in_zone_unless_set(host_zone);
    let now = SystemTime::now();
    let due = schedule
        .last_due(now, grace)
        .map_err(|problem| StepFailure::new(problem).with("job", where_.clone()))?;
    let user = found
        .user
        .as_deref()
        .map(|user| format!("{user} "))
        .unwrap_or_default();
    let job_line = format!("{where_}: {} {user}{}", found.schedule, found.command);
    let grace_note = format!(
        "{} (the last run that has had `probes.cron_grace` = {} to finish)",
        timestamp(due),
        crate::text::humanize(grace)
    );
    let changed = match host.metadata(evidence, deadline).await {
        Ok(FileFacts {
            modified: Some(changed),
            ..
        }) => changed,
        Ok(_) => {
            return Err(StepFailure::new(format!(
                "the evidence `{}` has no modification time",
                evidence.display()
            )));
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(StepFailure::new(format!(
                "the job was due at {}, but its evidence `{}` does not exist",
                cron::clock_time(due, now),
                evidence.display()
            ))
            .with("job", job_line)
            .with("due", grace_note));
        }
        Err(error) => return Err(missing(host, evidence, "evidence", &error)),
    };
    if cron::evidence_is_fresh(due, changed) {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the job did not run on schedule: due at {}, evidence last changed at {}",
        cron::clock_time(due, now),
        cron::clock_time(changed, now)
    ))
    .with("job", job_line)
    .with("due", grace_note)
    .with(
        "evidence",
        format!(
            "{} changed {} ({})",
            evidence.display(),
            timestamp(changed),
            cron::age(changed, now)
        ),
    ))
}

/// `2026-11-27 10:05:00 +01:00`, in the machine's time zone.
fn timestamp(at: SystemTime) -> String {
    let at: DateTime<Local> = at.into();
    at.format("%Y-%m-%d %H:%M:%S %:z").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadline::Limit;
    use crate::failure::FailureKind;
    use crate::machine::LocalHost;
    use crate::probes::bounded;

    #[tokio::test]
    async fn a_crontab_that_never_finishes_being_read_fails_at_the_deadline_as_a_timeout() {
        let folder = tempfile::tempdir().expect("temp dir");
        let fifo = folder.path().join("crontab");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
        let deadline = Deadline::after(Duration::from_millis(300), Limit::Step);
        let check = crontab_contains(&LocalHost, &fifo, "ledger", deadline);
        let failure = bounded(deadline, "the crontab", check)
            .await
            .expect_err("nobody writes");
        assert_eq!(failure.kind(), FailureKind::Timeout, "{failure}");
        assert_eq!(
            failure.summary(),
            "the crontab could not be read within 300ms (`limits.step_timeout`)"
        );
        // The thread still blocked in the read is let go, so the runtime can end.
        drop(
            std::fs::OpenOptions::new()
                .write(true)
                .open(&fifo)
                .expect("a writer"),
        );
    }
}
