//! Cron, as a check sees it: a crontab read into its jobs (system format with a user field, or
//! a user's crontab), the last time a job's schedule made it due, and whether its evidence
//! file changed since. Plain functions over text and times, so the maths is tested directly.

use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Local, TimeZone};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use crate::failure::StepFailure;

/// One job line of a crontab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CronJob {
    /// 1-based line in the file.
    pub line: usize,
    /// The five fields, or the `@` macro, as written.
    pub schedule: String,
    /// The user field of a system crontab (`/etc/crontab`, `/etc/cron.d/*`).
    pub user: Option<String>,
    pub command: String,
}

/// Whether the file at `path` is a system crontab, whose lines carry a user field.
pub(crate) fn is_system_crontab(path: &Path) -> bool {
    path == Path::new("/etc/crontab") || path.parent() == Some(Path::new("/etc/cron.d"))
}

/// The jobs of a crontab: blank lines, comments and variable settings (`MAILTO=...`) skipped.
/// Outside the system locations a line is read as having a user field when the word after the
/// schedule looks like a user name and a command path follows it (`ledger /usr/bin/job`), as
/// in files meant for `/etc/cron.d` kept elsewhere.
pub(crate) fn parse_crontab(text: &str, system: bool) -> Vec<CronJob> {
    let mut jobs = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || is_variable(line) {
            continue;
        }
        let schedule_fields = if line.starts_with('@') { 1 } else { 5 };
        let mut rest = line;
        let mut fields = Vec::new();
        for _ in 0..schedule_fields {
            let (field, after) = next_word(rest);
            fields.push(field);
            rest = after;
        }
        if fields.iter().any(|field| field.is_empty()) || rest.is_empty() {
            continue;
        }
        let (first, after_first) = next_word(rest);
        let has_user =
            !after_first.is_empty() && (system || (looks_like_user(first) && after_first.starts_with('/')));
        let (user, command) = match has_user {
            true => (Some(first.to_owned()), after_first),
            false => (None, rest),
        };
        jobs.push(CronJob {
            line: index + 1,
            schedule: fields.join(" "),
            user,
            command: command.to_owned(),
        });
    }
    jobs
}

/// `NAME=value` (cron allows spaces around `=`); job lines start with a digit, `*` or `@`.
fn is_variable(line: &str) -> bool {
    line.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && line.contains('=')
}

fn looks_like_user(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.'))
}

/// The first whitespace-separated word and the trimmed rest.
fn next_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim_start()),
        None => (text, ""),
    }
}

/// The one job whose command (or user and command) contains `wanted`.
pub(crate) fn find_job<'a>(
    jobs: &'a [CronJob],
    wanted: &str,
    crontab: &Path,
) -> Result<&'a CronJob, StepFailure> {
    let matching: Vec<&CronJob> = jobs
        .iter()
        .filter(|job| {
            job.command.contains(wanted)
                || job
                    .user
                    .as_ref()
                    .is_some_and(|user| format!("{user} {}", job.command).contains(wanted))
        })
        .collect();
    let listing = |jobs: &mut dyn Iterator<Item = &CronJob>| {
        jobs.map(|job| format!("line {}: {} {}", job.line, job.schedule, job.command))
            .collect::<Vec<_>>()
            .join("\n")
    };
    match matching.as_slice() {
        [job] => Ok(job),
        [] => {
            let mut failure = StepFailure::new(format!(
                "no job in the crontab `{}` runs `{wanted}`",
                crontab.display()
            ));
            failure = match jobs.is_empty() {
                true => failure.with("jobs", "none: the file holds no job lines"),
                false => failure.with("jobs", listing(&mut jobs.iter())),
            };
            Err(failure)
        }
        several => Err(StepFailure::new(format!(
            "{} jobs in the crontab `{}` match `{wanted}`; name one more precisely",
            several.len(),
            crontab.display()
        ))
        .with("matching", listing(&mut several.iter().copied()))),
    }
}

/// A job's schedule as croner reads it: the five fields, with cron's macros spelt out.
/// `@reboot` has no time to be due at, so it cannot be checked this way.
pub(crate) fn schedule_of(field: &str) -> Result<Cron, String> {
    let expression = match field.to_ascii_lowercase().as_str() {
        "@reboot" => return Err("`@reboot` runs only at start-up, so there is no time it was due".into()),
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        other if other.starts_with('@') => return Err(format!("`{field}` is not a cron macro")),
        _ => field,
    };
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(expression)
        .map_err(|error| format!("`{field}` is not a cron schedule: {error}"))
}

/// The last time the job was due and has had `grace` to finish: the latest occurrence at or
/// before `now - grace`.
pub(crate) fn last_due<Tz: TimeZone>(
    schedule: &Cron,
    now: &DateTime<Tz>,
    grace: Duration,
) -> Result<DateTime<Tz>, String> {
    let grace = chrono::Duration::from_std(grace).map_err(|_| "the grace period is too long".to_owned())?;
    let latest = now.clone() - grace;
    schedule
        .find_previous_occurrence(&latest, true)
        .map_err(|error| format!("the schedule is never due: {error}"))
}

/// Passes when the evidence changed at or after the due time.
pub(crate) fn evidence_is_fresh(due: SystemTime, evidence_changed: SystemTime) -> bool {
    evidence_changed >= due
}

/// `10:05` for a time today, `2026-11-27 10:05` otherwise, in the machine's time zone (the
/// one cron reads schedules in).
pub(crate) fn clock_time(at: SystemTime, now: SystemTime) -> String {
    let at: DateTime<Local> = at.into();
    let now: DateTime<Local> = now.into();
    if at.date_naive() == now.date_naive() {
        at.format("%H:%M").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// `3h 12m ago`, for how old evidence is.
pub(crate) fn age(at: SystemTime, now: SystemTime) -> String {
    let seconds = now.duration_since(at).unwrap_or_default().as_secs();
    match seconds {
        0..60 => format!("{seconds}s ago"),
        60..3600 => format!("{}m ago", seconds / 60),
        3600..86400 => format!("{}h {}m ago", seconds / 3600, seconds % 3600 / 60),
        _ => format!("{}d {}h ago", seconds / 86400, seconds % 86400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    const SYSTEM: &str = "\
# Ledger scheduled jobs (demo)
SHELL=/bin/sh
MAILTO = ops@example.com

* * * * * ledger /usr/local/bin/ledger-heartbeat
30 2 * * * ledger /usr/local/bin/ledger-nightly-report --all
@hourly   root  /usr/sbin/logrotate-ish
";

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn due(schedule: &str, now: &str, grace_minutes: u64) -> String {
        let cron = schedule_of(schedule).expect("schedule");
        last_due(&cron, &at(now), Duration::from_secs(grace_minutes * 60))
            .expect("due")
            .to_rfc3339()
    }

    #[test]
    fn system_crontab_lines_have_a_user_and_variables_are_skipped() {
        let jobs = parse_crontab(SYSTEM, true);
        assert_eq!(jobs.len(), 3, "{jobs:?}");
        assert_eq!(
            jobs[1],
            CronJob {
                line: 6,
                schedule: "30 2 * * *".into(),
                user: Some("ledger".into()),
                command: "/usr/local/bin/ledger-nightly-report --all".into(),
            }
        );
        assert_eq!(jobs[2].schedule, "@hourly");
        assert_eq!(jobs[2].user.as_deref(), Some("root"));
    }

    #[test]
    fn user_crontab_lines_have_no_user() {
        let jobs = parse_crontab(
            "*/5 9-17 * * 1-5 /srv/app/bin/sync >/dev/null 2>&1\n@daily backup-db --full\n",
            false,
        );
        assert_eq!(jobs[0].user, None);
        assert_eq!(jobs[0].command, "/srv/app/bin/sync >/dev/null 2>&1");
        assert_eq!(
            jobs[1].user, None,
            "`backup-db --full` has no command path after it"
        );
        // A file meant for /etc/cron.d, kept elsewhere, is recognised by its shape.
        let jobs = parse_crontab(SYSTEM, false);
        assert_eq!(jobs[0].user.as_deref(), Some("ledger"));
        assert!(is_system_crontab(Path::new("/etc/cron.d/ledger")));
        assert!(!is_system_crontab(Path::new("/var/spool/cron/crontabs/ledger")));
    }

    #[test]
    fn a_job_is_found_by_part_of_its_command_and_must_be_unique() {
        let jobs = parse_crontab(SYSTEM, true);
        let path = Path::new("/etc/cron.d/ledger");
        assert_eq!(find_job(&jobs, "ledger-heartbeat", path).expect("found").line, 5);
        let missing = find_job(&jobs, "ledger-backup", path).expect_err("absent");
        assert!(
            missing
                .to_string()
                .contains("line 5: * * * * * /usr/local/bin/ledger-heartbeat"),
            "{missing}"
        );
        let several = find_job(&jobs, "/usr/local/bin/ledger", path).expect_err("two match");
        assert!(
            several.to_string().starts_with("2 jobs in the crontab"),
            "{several}"
        );
    }

    #[test]
    fn the_last_due_time_allows_for_the_grace_period() {
        // Every minute, 2 minutes' grace: at 10:07:30 the 10:05 run must have left its mark.
        assert_eq!(
            due("* * * * *", "2026-11-27T10:07:30Z", 2),
            "2026-11-27T10:05:00+00:00"
        );
        // Exactly on a due time, that run counts only once the grace has passed.
        assert_eq!(
            due("*/5 * * * *", "2026-11-27T10:05:00Z", 0),
            "2026-11-27T10:05:00+00:00"
        );
        assert_eq!(
            due("*/5 * * * *", "2026-11-27T10:06:00Z", 2),
            "2026-11-27T10:00:00+00:00"
        );
        // Nightly at 02:30: in the morning it was due last night, just after it yesterday's.
        assert_eq!(
            due("30 2 * * *", "2026-11-27T09:00:00Z", 2),
            "2026-11-27T02:30:00+00:00"
        );
        assert_eq!(
            due("30 2 * * *", "2026-11-27T02:31:00Z", 2),
            "2026-11-26T02:30:00+00:00"
        );
    }

    #[test]
    fn ranges_steps_names_and_macros() {
        // Weekdays 9 to 17 every 15 minutes: on Saturday 2026-11-28 it was last due Friday 17:45.
        assert_eq!(
            due("*/15 9-17 * * MON-FRI", "2026-11-28T12:00:00Z", 2),
            "2026-11-27T17:45:00+00:00"
        );
        assert_eq!(
            due("@hourly", "2026-11-27T10:01:00Z", 2),
            "2026-11-27T09:00:00+00:00"
        );
        assert_eq!(
            due("@daily", "2026-11-27T10:00:00Z", 2),
            "2026-11-27T00:00:00+00:00"
        );
        assert_eq!(
            due("@weekly", "2026-11-27T10:00:00Z", 2),
            "2026-11-22T00:00:00+00:00"
        );
        assert_eq!(
            due("@monthly", "2026-11-27T10:00:00Z", 2),
            "2026-11-01T00:00:00+00:00"
        );
        assert_eq!(
            due("@yearly", "2026-11-27T10:00:00Z", 2),
            "2026-01-01T00:00:00+00:00"
        );
        // Day of month and day of week both restricted: either one makes the job due (as in cron).
        assert_eq!(
            due("0 12 1 * 5", "2026-11-26T13:00:00Z", 0),
            "2026-11-20T12:00:00+00:00"
        );
    }

    #[test]
    fn schedules_that_cannot_be_checked_say_why() {
        assert!(schedule_of("@reboot").expect_err("reboot").contains("start-up"));
        assert!(
            schedule_of("@often")
                .expect_err("macro")
                .contains("not a cron macro")
        );
        assert!(
            schedule_of("61 * * * *")
                .expect_err("range")
                .contains("not a cron schedule")
        );
        assert!(
            schedule_of("* * * * * *").is_err(),
            "six fields are not a crontab schedule"
        );
    }

    #[test]
    fn evidence_must_be_no_older_than_the_due_time() {
        let due = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        assert!(evidence_is_fresh(due, due));
        assert!(evidence_is_fresh(due, due + Duration::from_secs(1)));
        assert!(!evidence_is_fresh(due, due - Duration::from_secs(1)));
    }

    #[test]
    fn ages_read_in_the_largest_units() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let ago = |seconds| age(now - Duration::from_secs(seconds), now);
        assert_eq!(ago(42), "42s ago");
        assert_eq!(ago(3 * 60 + 5), "3m ago");
        assert_eq!(ago(3 * 3600 + 12 * 60), "3h 12m ago");
        assert_eq!(ago(2 * 86400 + 3600), "2d 1h ago");
    }
}
