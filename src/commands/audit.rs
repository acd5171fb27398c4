//! `shakedown audit`: the recent runs of the audit log, newest first, as a table or as a JSON
//! array.

use std::path::Path;

use serde_json::Value;

use crate::cli::AuditArgs;
use crate::config;
use crate::error::{Error, exit};
use crate::output::{say, tell};
use crate::plan::CI_PEOPLE;

/// `shakedown audit`: the recent runs, newest first, as a table or as a JSON array.
pub fn list(args: &AuditArgs, working_dir: &Path) -> Result<i32, Error> {
    let config = config::optional(args.config.as_deref(), working_dir)?;
    let configured = config.and_then(|config| config.audit_log);
    let Some(log) = config::audit_log_path(configured) else {
        say!(
            "no runs recorded yet: neither `XDG_STATE_HOME` nor `HOME` is set, and `audit.path` names no file"
        );
        return Ok(exit::PASSED);
    };
    // A FIFO planted at the log's path would hang the read: only a regular file is read, and a
    // byte that is not UTF-8 spoils its own record, not the listing.
    let read = std::fs::metadata(&log).and_then(|metadata| match metadata.is_file() {
        true => std::fs::read(&log),
        false => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "it is not a regular file",
        )),
    });
    let text = match read {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            say!("no runs recorded yet in {}", log.display());
            return Ok(exit::PASSED);
        }
        Err(source) => return Err(Error::Read { path: log, source }),
    };
    let mut entries = Vec::new();
    for (index, line) in text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
    {
        match serde_json::from_str::<Value>(line) {
            Ok(entry) => entries.push(entry),
            // A line cut short (a full disk) must not hide the runs around it.
            Err(error) => tell!(
                "warning: `{}` line {} is not a JSON record ({error}), so it is skipped",
                log.display(),
                index + 1
            ),
        }
    }
    let recent: Vec<Value> = entries.into_iter().rev().take(args.limit).collect();
    if args.json {
        let json = serde_json::to_string_pretty(&recent).map_err(|error| Error::Io {
            what: "cannot write the audit records as JSON".into(),
            source: std::io::Error::other(error),
        })?;
        say!("{}", crate::output::json_shown_safe(&json));
        return Ok(exit::PASSED);
    }
    if recent.is_empty() {
        say!("no runs recorded yet in {}", log.display());
        return Ok(exit::PASSED);
    }
    say!("{:<24}  {:<24}  {:<30}  result", "when", "who", "where");
    for entry in &recent {
        say!(
            "{:<24}  {:<24}  {:<30}  {}",
            text_of(&entry["started"]),
            who(entry),
            format!(
                "{} {}",
                text_of(&entry["environment"]),
                text_of(&entry["base_url"])
            ),
            result(entry)
        );
    }
    Ok(exit::PASSED)
}

/// The person behind the run (the CI's user over `sudo`'s over the login name) and the machine.
fn who(entry: &Value) -> String {
    let ci = &entry["ci"];
    let person = CI_PEOPLE
        .iter()
        .map(|name| &ci[*name])
        .chain([&entry["sudo_user"], &entry["user"]])
        .find_map(Value::as_str)
        .unwrap_or("?");
    format!("{person}@{}", text_of(&entry["machine"]))
}

fn result(entry: &Value) -> String {
    let code = entry["exit_code"]
        .as_i64()
        .map_or("?".into(), |code| code.to_string());
    let results = &entry["results"];
    if results.is_null() {
        return format!("exit {code}");
    }
    let count = |name: &str| results[name].as_u64().unwrap_or(0);
    format!(
        "{} passed, {} flaky, {} failed, {} not run (exit {code})",
        count("passed"),
        count("flaky"),
        count("failed"),
        count("not_run")
    )
}

fn text_of(value: &Value) -> &str {
    value.as_str().unwrap_or("?")
}
