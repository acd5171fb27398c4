//! Cron, as a check sees it: a crontab read into its jobs (system format with a user field, or
//! a user's crontab), the last time a job's schedule made it due, and whether its evidence
//! file changed since. Schedules are read as Vixie cron (Debian's `cron`, cronie) reads them,
//! not as the richer syntax of the schedule library: the day fields combine as cron combines
//! them, `CRON_TZ=`/`TZ=` set the zone, and what cron rejects is rejected. Plain functions over
//! text and times, so the maths is tested directly.

use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Local, TimeZone, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use crate::failure::StepFailure;
use crate::text;

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
    /// The time zone a `CRON_TZ=` (or else `TZ=`) line above the job names, as written; none
    /// means the machine's zone.
    pub zone: Option<String>,
}

/// Whether the file at `path` is a system crontab, whose lines carry a user field.
pub(crate) fn is_system_crontab(path: &Path) -> bool {
    path == Path::new("/etc/crontab") || path.parent() == Some(Path::new("/etc/cron.d"))
}

/// The jobs of a crontab: blank lines, comments and variable settings (`MAILTO=...`) skipped.
/// Outside the system locations a line is read as having a user field when the word after the
/// schedule looks like a user name and a command path follows it (`ledger /usr/bin/job`), as
/// in files meant for `/etc/cron.d` kept elsewhere. `CRON_TZ=` and `TZ=` set the zone of the
/// jobs after them; `CRON_TZ` wins where both are set, as it is the one cron schedules by.
pub(crate) fn parse_crontab(text: &str, system: bool) -> Vec<CronJob> {
    let mut jobs = Vec::new();
    let mut cron_tz = None;
    let mut tz = None;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((name, value)) = variable(line) {
            let zone = (!value.is_empty()).then(|| value.to_owned());
            match name {
                "CRON_TZ" => cron_tz = zone,
                "TZ" => tz = zone,
                _ => {}
            }
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
            zone: cron_tz.clone().or_else(|| tz.clone()),
        });
    }
    jobs
}

/// `NAME=value` as name and value: cron allows spaces around `=` and quotes around the value.
/// Job lines start with a digit, `*` or `@`, so they are never read as one.
fn variable(line: &str) -> Option<(&str, &str)> {
    if !line.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return None;
    }
    let (name, value) = line.split_once('=')?;
    let value = value.trim();
    let unquoted = ['"', '\'']
        .iter()
        .find_map(|quote| value.strip_prefix(*quote)?.strip_suffix(*quote))
        .unwrap_or(value);
    Some((name.trim(), unquoted))
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
    match matching.as_slice() {
        [job] => Ok(job),
        [] => Err(StepFailure::new(format!(
            "no job in the crontab `{}` runs `{wanted}`",
            crontab.display()
        ))
        .with("jobs", listing(jobs))),
        several => Err(StepFailure::new(format!(
            "{} jobs in the crontab `{}` match `{wanted}`; name one more precisely",
            several.len(),
            crontab.display()
        ))
        .with(
            "matching",
            several
                .iter()
                .map(|job| job.describe())
                .collect::<Vec<_>>()
                .join("\n"),
        )),
    }
}

impl CronJob {
    /// `line 4: */5 * * * * ledger /usr/local/bin/sync`, as a failure shows the job.
    fn describe(&self) -> String {
        let user = self
            .user
            .as_deref()
            .map(|user| format!("{user} "))
            .unwrap_or_default();
        let line = format!("line {}: {} {user}{}", self.line, self.schedule, self.command);
        text::without_terminal_controls(&line)
    }
}

/// Every job of a crontab, one a line, or a word that there is none.
fn listing(jobs: &[CronJob]) -> String {
    match jobs.is_empty() {
        true => "none: the file holds no job lines".to_owned(),
        false => jobs.iter().map(CronJob::describe).collect::<Vec<_>>().join("\n"),
    }
}

/// Passes when a line cron reads (a job, or a variable such as `MAILTO=`) contains `wanted`,
/// the spacing inside the line ignored, since crontabs line up their columns with any number of
/// blanks. A comment never passes: a `#` in front of a job is how a job is switched off, so the
/// failure says which commented lines hold the text.
pub(crate) fn expect_line(contents: &str, wanted: &str, crontab: &Path) -> Result<(), StepFailure> {
    let wanted_words = text::collapse_whitespace(wanted);
    let mut commented = Vec::new();
    for (index, raw) in contents.lines().enumerate() {
        let line = raw.trim();
        if !text::collapse_whitespace(line).contains(&wanted_words) {
            continue;
        }
        match line.starts_with('#') {
            true => commented.push((index + 1, line)),
            false => return Ok(()),
        }
    }
    let summary = match commented.as_slice() {
        [] => format!(
            "the crontab `{}` has no line containing {}",
            crontab.display(),
            text::quoted(wanted)
        ),
        [(line, _)] => format!(
            "the only line of the crontab `{}` holding {} is commented out (line {line})",
            crontab.display(),
            text::quoted(wanted)
        ),
        several => format!(
            "every line of the crontab `{}` holding {} is commented out (lines {})",
            crontab.display(),
            text::quoted(wanted),
            several
                .iter()
                .map(|(line, _)| line.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let jobs = listing(&parse_crontab(contents, is_system_crontab(crontab)));
    if commented.is_empty() {
        return Err(StepFailure::new(summary).with("jobs", jobs));
    }
    let commented = commented
        .iter()
        .map(|(number, line)| format!("line {number}: {}", text::without_terminal_controls(line)))
        .collect::<Vec<_>>()
        .join("\n");
    Err(StepFailure::new(summary)
        .with("commented", commented)
        .with("jobs", jobs)
        .with(
            "hint",
            "cron skips a line that starts with `#`: a job written there does not run (remove the `#` to switch it on)",
        ))
}

/// When a job is due: its fields and the zone they are read in.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    cron: Cron,
    /// `None`: the machine's zone, as cron uses without `CRON_TZ`.
    zone: Option<Tz>,
}

/// A job's schedule as cron reads it.
pub(crate) fn schedule_of(job: &CronJob) -> Result<Schedule, String> {
    let zone = match job.zone.as_deref() {
        None => None,
        // POSIX allows a leading `:` before a zone file name.
        Some(name) => Some(name.trim_start_matches(':').parse::<Tz>().map_err(|_| {
            format!("the crontab sets the time zone `{name}`, which is not a zone name such as `Europe/Berlin` or `UTC`")
        })?),
    };
    Ok(Schedule {
        cron: cron_of(&job.schedule)?,
        zone,
    })
}

impl Schedule {
    /// The schedule read in `zone` unless its crontab set one (`CRON_TZ`, `TZ`): a server's
    /// cron reads schedules in the server's own zone.
    pub(crate) fn in_zone_unless_set(mut self, zone: Option<&str>) -> Self {
        if self.zone.is_none() {
            self.zone = zone.and_then(|name| name.parse::<Tz>().ok());
        }
        self
    }

    /// The last time the job was due and has had `grace` to finish: the latest occurrence at
    /// or before `now - grace`, read in the schedule's zone.
    pub(crate) fn last_due(&self, now: SystemTime, grace: Duration) -> Result<SystemTime, String> {
        let now: DateTime<Utc> = now.into();
        match self.zone {
            Some(zone) => last_due(&self.cron, &now.with_timezone(&zone), grace).map(SystemTime::from),
            None => last_due(&self.cron, &now.with_timezone(&Local), grace).map(SystemTime::from),
        }
    }
}

/// The five fields as croner reads them, after rejecting what Vixie cron rejects, with cron's
/// macros spelt out. `@reboot` has no time to be due at, so it cannot be checked this way.
fn cron_of(field: &str) -> Result<Cron, String> {
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
    let fields: Vec<&str> = expression.split_whitespace().collect();
    let [_, _, day_of_month, _, day_of_week] = fields.as_slice() else {
        return Err(format!(
            "`{field}` is not a cron schedule: it has {} fields, cron reads five (minute, hour, day of month, month, day of week)",
            fields.len()
        ));
    };
    if let Some(problem) = fields.iter().find_map(|part| not_read_by_cron(part)) {
        return Err(format!(
            "`{field}` is not a cron schedule: {problem}; cron rejects the line, so the job never runs"
        ));
    }
    // Vixie cron runs a job on a day matching either day field only when both are restricted;
    // a field starting with `*` (`*`, `*/2`) makes the two combine as "and".
    let either_starred = day_of_month.starts_with('*') || day_of_week.starts_with('*');
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .dom_and_dow(either_starred)
        .build()
        .parse(expression)
        .map_err(|error| format!("`{field}` is not a cron schedule: {error}"))
}

/// Why cron would not read `field`, for the extensions (Quartz, croner) it does not know.
fn not_read_by_cron(field: &str) -> Option<String> {
    let not_cron = |what: &str| Some(format!("{what} is not cron syntax"));
    let words: Vec<&str> = field
        .split([',', '-', '/'])
        .filter(|word| word.chars().any(|c| c.is_ascii_alphabetic()))
        .collect();
    if field.contains('?') {
        not_cron("`?` (\"no specific value\")")
    } else if field.contains('#') {
        not_cron("`#` (\"the nth weekday of the month\")")
    } else if field.starts_with('+') {
        not_cron("`+` (\"both day fields must match\")")
    } else if let Some(word) = words.iter().find(|word| !is_cron_name(word)) {
        match word.to_ascii_uppercase().as_str() {
            "L" => not_cron("`L` (\"the last day\")"),
            word if word.ends_with('L') => not_cron("`L` (\"the last such weekday\")"),
            word if word.ends_with('W') => not_cron("`W` (\"the nearest weekday\")"),
            _ => Some(format!(
                "`{word}` is neither a number nor a month or weekday name"
            )),
        }
    } else {
        None
    }
}

/// The three-letter month and weekday names cron reads.
fn is_cron_name(word: &str) -> bool {
    const NAMES: [&str; 19] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", "SUN", "MON",
        "TUE", "WED", "THU", "FRI", "SAT",
    ];
    NAMES.contains(&word.to_ascii_uppercase().as_str())
}

/// The latest occurrence at or before `now - grace`, in `now`'s zone.
fn last_due<Tz: TimeZone>(
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

    fn job(schedule: &str, zone: Option<&str>) -> CronJob {
        CronJob {
            line: 1,
            schedule: schedule.into(),
            user: None,
            command: "/usr/local/bin/job".into(),
            zone: zone.map(Into::into),
        }
    }

    fn due_time(job: &CronJob, now: &str, grace_minutes: u64) -> DateTime<Utc> {
        let schedule = schedule_of(job).expect("schedule");
        schedule
            .last_due(at(now).into(), Duration::from_secs(grace_minutes * 60))
            .expect("due")
            .into()
    }

    /// When `schedule`, read in UTC, was last due at `now`.
    fn due(schedule: &str, now: &str, grace_minutes: u64) -> String {
        due_time(&job(schedule, Some("UTC")), now, grace_minutes).to_rfc3339()
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
                zone: None,
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
                .contains("line 5: * * * * * ledger /usr/local/bin/ledger-heartbeat"),
            "{missing}"
        );
        let several = find_job(&jobs, "/usr/local/bin/ledger", path).expect_err("two match");
        assert!(
            several.to_string().starts_with("2 jobs in the crontab"),
            "{several}"
        );
    }

    #[test]
    fn crontab_lines_match_whatever_the_column_spacing() {
        let crontab = "*   *  * * *\tledger  /usr/local/bin/ledger-heartbeat\nMAILTO=ops@example.com\n";
        let path = Path::new("/etc/cron.d/ledger");
        assert!(expect_line(crontab, "* * * * * ledger /usr/local/bin/ledger-heartbeat", path).is_ok());
        assert!(expect_line(crontab, "ledger-heartbeat", path).is_ok());
        assert!(
            expect_line(crontab, "MAILTO=ops@", path).is_ok(),
            "variables are read by cron"
        );
        let missing = expect_line(crontab, "ledger-nightly", path).expect_err("absent");
        let message = missing.to_string();
        assert!(
            message.starts_with("the crontab `/etc/cron.d/ledger` has no line containing \"ledger-nightly\""),
            "{message}"
        );
        assert!(
            message.contains("line 1: * * * * * ledger /usr/local/bin/ledger-heartbeat"),
            "{message}"
        );
    }

    #[test]
    fn a_commented_out_job_is_not_a_job() {
        let crontab = "\
# Ledger jobs, switched off during the migration
MAILTO=ops@example.com
#* * * * * www-data /srv/app/bin/heartbeat
  # 30 2 * * * www-data /srv/app/bin/nightly --all
#30 3 * * * www-data /srv/app/bin/nightly --all
15 * * * * www-data /srv/app/bin/sync
# the sync above also runs /srv/app/bin/sync by hand
";
        let path = Path::new("/etc/cron.d/app");
        let one = expect_line(crontab, "* * * * * www-data /srv/app/bin/heartbeat", path)
            .expect_err("switched off")
            .to_string();
        assert!(
            one.starts_with(
                "the only line of the crontab `/etc/cron.d/app` holding \"* * * * * www-data /srv/app/bin/heartbeat\" is commented out (line 3)"
            ),
            "{one}"
        );
        assert!(
            one.contains("commented:  line 3: #* * * * * www-data /srv/app/bin/heartbeat"),
            "{one}"
        );
        assert!(
            one.contains("line 6: 15 * * * * www-data /srv/app/bin/sync"),
            "{one}"
        );
        assert!(one.contains("cron skips a line that starts with `#`"), "{one}");
        // Indented comments are comments, and every commented line holding the text is named.
        let two = expect_line(crontab, "bin/nightly --all", path)
            .expect_err("both off")
            .to_string();
        assert!(
            two.starts_with(
                "every line of the crontab `/etc/cron.d/app` holding \"bin/nightly --all\" is commented out (lines 4, 5)"
            ),
            "{two}"
        );
        assert!(
            two.contains("line 4: # 30 2 * * * www-data /srv/app/bin/nightly --all\n"),
            "{two}"
        );
        // A job that holds the text passes, whatever the comments around it hold.
        assert!(expect_line(crontab, "/srv/app/bin/sync", path).is_ok());
        // A comment's own text is no job either.
        assert!(expect_line(crontab, "switched off during the migration", path).is_err());
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
    }

    #[test]
    fn the_day_fields_combine_as_vixie_cron_combines_them() {
        // Both restricted: either makes the job due. Thursday the 26th: last Friday, the 20th.
        assert_eq!(
            due("0 12 1 * 5", "2026-11-26T13:00:00Z", 0),
            "2026-11-20T12:00:00+00:00"
        );
        // A day field starting with `*` makes it "and": odd days that are Mondays. On Sunday
        // 2026-12-20 that is Monday the 7th, not Saturday the 19th (odd) nor Monday the 14th.
        assert_eq!(
            due("0 0 */2 * 1", "2026-12-20T12:00:00Z", 0),
            "2026-12-07T00:00:00+00:00"
        );
        // The star in the day of week: the 16th when it falls on Sunday, Tuesday, Thursday or
        // Saturday. From Sunday 2026-12-20 back, that is Sunday 2026-08-16 (read as "or", it
        // would have been that Sunday the 20th itself).
        assert_eq!(
            due("0 0 16 * */2", "2026-12-20T12:00:00Z", 0),
            "2026-08-16T00:00:00+00:00"
        );
        // A plain `*` still means "every day" for the other field alone.
        assert_eq!(
            due("0 0 * * 1", "2026-12-20T12:00:00Z", 0),
            "2026-12-14T00:00:00+00:00"
        );
    }

    #[test]
    fn cron_tz_and_tz_lines_set_the_zone_of_the_jobs_after_them() {
        let crontab = "\
15 1 * * * /usr/bin/system-zone
CRON_TZ=Europe/Berlin
30 2 * * * /usr/bin/berlin
TZ = \"America/New_York\"
30 2 * * * /usr/bin/still-berlin
CRON_TZ=
30 2 * * * /usr/bin/new-york
TZ=:UTC
30 2 * * * /usr/bin/utc
";
        let jobs = parse_crontab(crontab, false);
        let zones: Vec<Option<&str>> = jobs.iter().map(|job| job.zone.as_deref()).collect();
        assert_eq!(
            zones,
            [
                None,
                Some("Europe/Berlin"),
                Some("Europe/Berlin"),
                Some("America/New_York"),
                Some(":UTC")
            ]
        );
        let due = |index: usize, now: &str| due_time(&jobs[index], now, 2).to_rfc3339();
        // 02:30 in Berlin is 01:30 UTC in winter and 00:30 UTC in summer.
        assert_eq!(due(1, "2026-11-27T09:00:00Z"), "2026-11-27T01:30:00+00:00");
        assert_eq!(due(1, "2026-07-01T09:00:00Z"), "2026-07-01T00:30:00+00:00");
        assert_eq!(due(2, "2026-11-27T09:00:00Z"), "2026-11-27T01:30:00+00:00");
        // 02:30 in New York is 07:30 UTC in November: at 07:00 UTC it was last due yesterday.
        assert_eq!(due(3, "2026-11-27T07:00:00Z"), "2026-11-26T07:30:00+00:00");
        assert_eq!(due(4, "2026-11-27T09:00:00Z"), "2026-11-27T02:30:00+00:00");
        // No zone set: the machine's, whatever it is.
        let system: DateTime<Local> = due_time(&jobs[0], "2026-11-27T12:00:00Z", 2).into();
        assert_eq!(system.format("%H:%M").to_string(), "01:15");
    }

    #[test]
    fn an_unknown_zone_is_named() {
        let problem = schedule_of(&job("0 * * * *", Some("Mars/Olympus_Mons"))).expect_err("no such zone");
        assert!(problem.contains("`Mars/Olympus_Mons`"), "{problem}");
        assert!(problem.contains("not a zone name"), "{problem}");
    }

    #[test]
    fn extensions_cron_does_not_read_are_rejected_as_cron_rejects_them() {
        for (schedule, named) in [
            ("0 0 L * *", "`L` (\"the last day\")"),
            ("0 0 * * 5L", "`L` (\"the last such weekday\")"),
            ("0 0 15W * *", "`W` (\"the nearest weekday\")"),
            ("0 0 LW * *", "`W` (\"the nearest weekday\")"),
            ("0 0 * * MON#2", "`#` (\"the nth weekday of the month\")"),
            ("0 0 ? * MON", "`?` (\"no specific value\")"),
            ("0 0 1 * +MON", "`+` (\"both day fields must match\")"),
        ] {
            let problem = cron_of(schedule).expect_err(schedule);
            assert!(
                problem.contains(named) && problem.contains("cron rejects the line, so the job never runs"),
                "{schedule}: {problem}"
            );
        }
        let problem = cron_of("0 0 * * MONDAY").expect_err("not a name");
        assert!(problem.contains("`MONDAY` is neither a number nor"), "{problem}");
        // Names that hold the letters L and W are names.
        assert!(cron_of("0 0 * JUL WED").is_ok());
        assert!(cron_of("0 0 * Jul-Dec mon-fri").is_ok());
    }

    #[test]
    fn schedules_that_cannot_be_checked_say_why() {
        assert!(cron_of("@reboot").expect_err("reboot").contains("start-up"));
        assert!(cron_of("@often").expect_err("macro").contains("not a cron macro"));
        assert!(
            cron_of("61 * * * *")
                .expect_err("range")
                .contains("not a cron schedule")
        );
        assert!(
            cron_of("* * * * * *")
                .expect_err("six fields")
                .contains("it has 6 fields, cron reads five"),
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
