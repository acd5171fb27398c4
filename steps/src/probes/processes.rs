//! Processes by the names people see, read from `/proc` (through the host, never by parsing
//! `ps`), so the check works the same wherever `/proc` can be read. A process goes by several
//! names: what its argv[0] says (which mod_wsgi's `display-name` and `setproctitle` rewrite into
//! `(wsgi:app)` or `gunicorn: master [app]`), the program file it runs, the kernel's name for
//! it, the script an interpreter runs, and the words of its command line. Names must match
//! whole, and the command line word by word, so `cron` never finds `anacron`.

use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::{Host, Process};
use crate::text;

/// Characters of a command line shown for a similar process.
const DESCRIBED_CHARS: usize = 100;

/// PIDs named in a note, per way of matching; the rest are counted.
const NOTED_PIDS: usize = 10;

/// Which of a process's names matched the name a feature gave, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum MatchedBy {
    /// argv[0] with its padding trimmed, or its file name: `(wsgi:app)`, `nginx`.
    ProgramName,
    /// The file name of `/proc/PID/exe`: `python3.11` for any Python program.
    Executable,
    /// `/proc/PID/comm`, which stands in where the executable cannot be read.
    KernelName,
    /// The file name of an interpreter's script: `manage.py` in `python3 manage.py runserver`.
    Script,
    /// The name as whole words of the command line: `checkpointer` in
    /// `postgres: 15/main: checkpointer`.
    CommandLine,
}

impl MatchedBy {
    fn describe(self) -> &'static str {
        match self {
            Self::ProgramName => "argv[0]",
            Self::Executable => "its executable",
            Self::KernelName => "its kernel name",
            Self::Script => "its script",
            Self::CommandLine => "its command line",
        }
    }
}

impl Process {
    /// How this process is called `name`, by the strongest of its names that matches.
    fn matched_by(&self, name: &str) -> Option<MatchedBy> {
        let program = self.args.first().map(|arg| arg.trim());
        if program.is_some_and(|program| program == name || path_file_name(program) == Some(name)) {
            Some(MatchedBy::ProgramName)
        } else if self
            .exe
            .as_deref()
            .is_some_and(|exe| executable_name(exe) == name)
        {
            Some(MatchedBy::Executable)
        } else if self.comm == name {
            Some(MatchedBy::KernelName)
        } else if self.script().is_some_and(|script| file_name(script) == name) {
            Some(MatchedBy::Script)
        } else if holds_whole_words(&self.command_line(), &text::collapse_whitespace(name)) {
            Some(MatchedBy::CommandLine)
        } else {
            None
        }
    }

    /// Every name the process goes by, for telling which come close to a wanted one.
    fn names(&self) -> Vec<&str> {
        let mut names = vec![self.comm.as_str()];
        if let Some(program) = self.args.first().map(|arg| arg.trim()) {
            names.push(program);
            names.extend(path_file_name(program));
        }
        names.extend(self.exe.as_deref().map(executable_name));
        names.extend(self.script().map(file_name));
        names
    }

    /// The second argument when it is not an option: the script an interpreter runs.
    fn script(&self) -> Option<&str> {
        self.args
            .get(1)
            .map(String::as_str)
            .filter(|arg| !arg.starts_with('-'))
    }

    /// The arguments on one line, padding collapsed as a reader sees it.
    fn command_line(&self) -> String {
        text::collapse_whitespace(&self.args.join(" "))
    }

    /// `PID command line`, cut to one readable line.
    pub(crate) fn describe(&self) -> String {
        format!("{} {}", self.pid, self.shown_command_line())
    }

    /// The command line cut to one readable line, or the kernel name of a kernel thread.
    fn shown_command_line(&self) -> String {
        let line = match self.args.is_empty() {
            true => format!("[{}]", self.comm),
            false => self.command_line(),
        };
        // Masked before it is cut: a secret cut in two matches no spelling.
        let line = crate::redact::redact(&line);
        let line = match line.char_indices().nth(DESCRIBED_CHARS) {
            Some((cut, _)) => format!("{}…", &line[..cut]),
            None => line.into_owned(),
        };
        text::without_terminal_controls(&line)
    }
}

fn file_name(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

/// The file name of argv[0] when it is a path: a title such as `postgres: 15/main: checkpointer`
/// holds a `/` without naming a file.
fn path_file_name(program: &str) -> Option<&str> {
    (program.contains('/') && !program.contains(char::is_whitespace)).then(|| file_name(program))
}

/// The file name of `/proc/PID/exe`, without the mark the kernel adds once the file was
/// replaced on disk (an upgrade while the program runs).
fn executable_name(exe: &str) -> &str {
    file_name(exe.strip_suffix(" (deleted)").unwrap_or(exe))
}

/// Whether `words` occurs in `line` as whole words: no letter, digit, `_`, `-` or `.` right
/// before or after it where it starts or ends with one. `gunicorn` is in `gunicorn: master`
/// and `celery@web1 worker`, not in `gunicorn.conf.py`; `cron` is not in `anacron`.
fn holds_whole_words(line: &str, words: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    let Some(first) = words.chars().next() else {
        return false;
    };
    let bounded_before = is_word(first);
    let bounded_after = words.ends_with(is_word);
    let mut from = 0;
    while let Some(offset) = line[from..].find(words) {
        let start = from + offset;
        let end = start + words.len();
        let before_ok = !bounded_before || !line[..start].ends_with(is_word);
        let after_ok = !bounded_after || !line[end..].starts_with(is_word);
        if before_ok && after_ok {
            return true;
        }
        from = start + first.len_utf8();
    }
    false
}

/// Every process running on `host`.
pub(crate) async fn list(host: &dyn Host, deadline: Deadline) -> Result<Vec<Process>, StepFailure> {
    host.processes(deadline).await.map_err(|error| {
        StepFailure::new(format!(
            "cannot list the processes of {}: `/proc` cannot be read: {error}",
            host.name()
        ))
    })
}

/// The processes called `name`, each with the way it matched.
pub(crate) fn matching<'a>(processes: &'a [Process], name: &str) -> Vec<(MatchedBy, &'a Process)> {
    let mut found: Vec<(MatchedBy, &Process)> = processes
        .iter()
        .filter_map(|process| Some((process.matched_by(name)?, process)))
        .collect();
    found.sort_by_key(|(by, process)| (*by, process.pid));
    found
}

/// Passes when at least one process is called `name`, with a note of which and how (a match by
/// the command line alone shows that line); the failure lists the closest names seen.
pub(crate) fn running(processes: &[Process], name: &str, host: &str) -> Result<String, StepFailure> {
    if name.trim().is_empty() {
        return Err(StepFailure::configuration("the process name is empty"));
    }
    let found = matching(processes, name);
    if !found.is_empty() {
        return Ok(note(name, &found));
    }
    let mut similar: Vec<(f64, &Process)> = processes
        .iter()
        .map(|process| {
            let closest = process
                .names()
                .iter()
                .map(|seen| crate::suggest::similarity(name, seen))
                .fold(0.0, f64::max);
            (closest, process)
        })
        .filter(|(closest, process)| {
            *closest >= crate::suggest::LIKELY_MISSPELLING || process.command_line().contains(name)
        })
        .collect();
    similar.sort_by(|(a, _), (b, _)| b.total_cmp(a));
    let mut failure = StepFailure::new(format!("no process named `{name}` is running on {host}"))
        .with("seen", format!("{} process(es)", processes.len()));
    if !similar.is_empty() {
        failure = failure
            .with(
                "similar",
                similar
                    .iter()
                    .take(5)
                    .map(|(_, process)| process.describe())
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
            .with(
                "rule",
                format!(
                    "`{name}` must be a process's argv[0] (padding trimmed, or its file name), the file name \
                     of its executable or script, its kernel name, or whole words of its command line"
                ),
            );
    }
    Err(failure)
}

/// `process `x` running as PID 10, 11 (matched by argv[0])`, one group per way of matching.
fn note(name: &str, found: &[(MatchedBy, &Process)]) -> String {
    let groups: Vec<String> = found
        .chunk_by(|(a, _), (b, _)| a == b)
        .map(|group| {
            let by = group[0].0;
            let mut pids: Vec<String> = group
                .iter()
                .take(NOTED_PIDS)
                .map(|(_, process)| process.pid.to_string())
                .collect();
            if group.len() > NOTED_PIDS {
                pids.push(format!("and {} more", group.len() - NOTED_PIDS));
            }
            let how = match by {
                MatchedBy::CommandLine => format!("{} `{}`", by.describe(), group[0].1.shown_command_line()),
                _ => by.describe().to_owned(),
            };
            format!("PID {} (matched by {how})", pids.join(", "))
        })
        .collect();
    format!("process `{name}` running as {}", groups.join(" and "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: u32, comm: &str, args: &[&str]) -> Process {
        Process {
            pid,
            comm: comm.into(),
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
            exe: None,
        }
    }

    fn running_as(exe: &str, mut process: Process) -> Process {
        process.exe = Some(exe.into());
        process
    }

    fn matched(table: &[Process], name: &str) -> Vec<(MatchedBy, u32)> {
        matching(table, name)
            .into_iter()
            .map(|(by, process)| (by, process.pid))
            .collect()
    }

    #[test]
    fn names_match_the_kernel_name_the_program_or_the_script() {
        let table = [
            process(1, "systemd", &["/sbin/init"]),
            process(10, "nginx", &["nginx: master process /usr/sbin/nginx"]),
            process(
                20,
                "python3",
                &[
                    "/srv/venv/bin/python3",
                    "/srv/venv/bin/gunicorn",
                    "app:application",
                ],
            ),
            process(30, "kworker/0:1", &[]),
        ];
        assert_eq!(matched(&table, "nginx"), [(MatchedBy::KernelName, 10)]);
        assert_eq!(matched(&table, "gunicorn"), [(MatchedBy::Script, 20)]);
        assert_eq!(matched(&table, "init"), [(MatchedBy::ProgramName, 1)]);
        assert_eq!(matched(&table, "kworker/0:1"), [(MatchedBy::KernelName, 30)]);
        assert!(running(&table, "nginx", "here").is_ok());
        let failure = running(&table, "nginz", "this machine").expect_err("typo");
        let message = failure.to_string();
        assert!(
            message.starts_with("no process named `nginz` is running on this machine"),
            "{message}"
        );
        assert!(message.contains("10 nginx: master process"), "{message}");
    }

    #[test]
    fn rewritten_titles_are_found_by_the_names_people_see() {
        let table = [
            // mod_wsgi's display-name, padded with spaces over the old argv[0].
            running_as(
                "/usr/sbin/apache2",
                process(100, "apache2", &["(wsgi:app)          ", "-k", "start"]),
            ),
            // setproctitle: the whole title in argv[0], the kernel name rewritten and cut.
            running_as(
                "/usr/bin/python3.11",
                process(200, "gunicorn: maste", &["gunicorn: master [app]"]),
            ),
            running_as(
                "/usr/bin/python3.11",
                process(201, "celery@web1 wor", &["celery@web1 worker"]),
            ),
            process(300, "postgres", &["postgres: 15/main: checkpointer"]),
            running_as(
                "/usr/bin/python3.11",
                process(
                    400,
                    "python3",
                    &["python3", "manage.py", "runserver", "0.0.0.0:8000"],
                ),
            ),
            running_as(
                "/usr/sbin/cron (deleted)",
                process(500, "cron", &["/usr/sbin/cron", "-f"]),
            ),
        ];
        assert_eq!(matched(&table, "(wsgi:app)"), [(MatchedBy::ProgramName, 100)]);
        assert_eq!(matched(&table, "wsgi:app"), [(MatchedBy::CommandLine, 100)]);
        assert_eq!(matched(&table, "apache2"), [(MatchedBy::Executable, 100)]);
        assert_eq!(
            matched(&table, "gunicorn: master [app]"),
            [(MatchedBy::ProgramName, 200)]
        );
        assert_eq!(matched(&table, "gunicorn"), [(MatchedBy::CommandLine, 200)]);
        assert_eq!(matched(&table, "celery"), [(MatchedBy::CommandLine, 201)]);
        assert_eq!(matched(&table, "checkpointer"), [(MatchedBy::CommandLine, 300)]);
        assert_eq!(matched(&table, "postgres"), [(MatchedBy::KernelName, 300)]);
        assert_eq!(matched(&table, "manage.py"), [(MatchedBy::Script, 400)]);
        assert_eq!(
            matched(&table, "manage.py runserver"),
            [(MatchedBy::CommandLine, 400)]
        );
        assert_eq!(
            matched(&table, "python3.11"),
            [
                (MatchedBy::Executable, 200),
                (MatchedBy::Executable, 201),
                (MatchedBy::Executable, 400)
            ]
        );
        assert_eq!(matched(&table, "cron"), [(MatchedBy::ProgramName, 500)]);
        // A title's `/` does not make it a path: `main: checkpointer` is no file name.
        assert_eq!(
            matched(&table, "main: checkpointer"),
            [(MatchedBy::CommandLine, 300)]
        );
        let note = running(&table, "(wsgi:app)", "here").expect("found");
        assert_eq!(
            note,
            "process `(wsgi:app)` running as PID 100 (matched by argv[0])"
        );
        let note = running(&table, "checkpointer", "here").expect("found");
        assert_eq!(
            note,
            "process `checkpointer` running as PID 300 (matched by its command line `postgres: 15/main: checkpointer`)"
        );
    }

    #[test]
    fn names_are_whole_so_cron_is_not_anacron() {
        let table = [
            process(1, "anacron", &["/usr/sbin/anacron", "-d", "-q"]),
            process(2, "crond-helper", &["/usr/lib/crond-helper"]),
            process(3, "less", &["less", "/etc/gunicorn.conf.py"]),
            process(4, "python3", &["python3", "-m", "celery_beat"]),
        ];
        for name in ["cron", "gunicorn", "celery", "python"] {
            assert!(matched(&table, name).is_empty(), "{name}");
        }
        let failure = running(&table, "cron", "here").expect_err("no cron").to_string();
        assert!(failure.contains("1 /usr/sbin/anacron -d -q"), "{failure}");
        assert!(failure.contains("whole words of its command line"), "{failure}");
        assert!(running(&table, " ", "here").is_err());
    }

    #[test]
    fn whole_words_may_start_or_end_with_punctuation() {
        assert!(holds_whole_words("gunicorn: master [app]", "gunicorn"));
        assert!(holds_whole_words("gunicorn: master [app]", "[app]"));
        assert!(holds_whole_words("gunicorn: master [app]", "master [app"));
        assert!(holds_whole_words("x(wsgi:app)", "(wsgi:app)"));
        assert!(!holds_whole_words("supercron cron-job", "cron"));
        // A later occurrence counts when the first is part of a longer word.
        assert!(holds_whole_words("anacron and cron", "cron"));
        assert!(!holds_whole_words("anything", ""));
    }

    #[test]
    fn many_matches_are_counted_and_grouped_by_how_they_matched() {
        let mut table: Vec<Process> = (1..=12)
            .map(|pid| process(pid, "apache2", &["/usr/sbin/apache2", "-k", "start"]))
            .collect();
        table.push(process(99, "sh", &["sh", "-c", "apache2 -t"]));
        let note = running(&table, "apache2", "here").expect("found");
        assert_eq!(
            note,
            "process `apache2` running as PID 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, and 2 more (matched by argv[0]) \
             and PID 99 (matched by its command line `sh -c apache2 -t`)"
        );
    }
}
