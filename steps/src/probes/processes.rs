//! Processes by name, read from `/proc` (through the host, never by parsing `ps`), so the
//! check works the same wherever `/proc` can be read.

use super::host::Host;
use crate::failure::StepFailure;

/// Characters of a command line shown for a similar process.
const DESCRIBED_CHARS: usize = 100;

/// A running process as `/proc` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    /// The kernel's name for it (`/proc/PID/comm`, at most 15 characters).
    pub comm: String,
    /// Its arguments (`/proc/PID/cmdline`); empty for kernel threads.
    pub args: Vec<String>,
}

impl Process {
    /// Whether this process is called `name`: its kernel name, or the file name of its program
    /// or (for a script run by an interpreter) of the script.
    pub fn is_named(&self, name: &str) -> bool {
        self.comm == name || self.args.iter().take(2).any(|arg| file_name(arg) == name)
    }

    /// `PID command line`, cut to one readable line.
    fn describe(&self) -> String {
        let line = match self.args.is_empty() {
            true => format!("{} [{}]", self.pid, self.comm),
            false => format!("{} {}", self.pid, self.args.join(" ")),
        };
        match line.char_indices().nth(DESCRIBED_CHARS) {
            Some((cut, _)) => format!("{}…", &line[..cut]),
            None => line,
        }
    }
}

fn file_name(arg: &str) -> &str {
    arg.rsplit('/').next().unwrap_or(arg)
}

/// `cmdline` is NUL-separated, with a trailing NUL.
pub(crate) fn parse_cmdline(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|byte| *byte == 0)
        .filter(|arg| !arg.is_empty())
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect()
}

/// Every process running on `host`.
pub(crate) async fn list(host: &dyn Host) -> Result<Vec<Process>, StepFailure> {
    host.processes().await.map_err(|error| {
        StepFailure::new(format!(
            "cannot list the processes of {}: `/proc` cannot be read: {error}",
            host.name()
        ))
    })
}

/// The PIDs of the processes called `name`.
pub(crate) fn matching(processes: &[Process], name: &str) -> Vec<u32> {
    processes
        .iter()
        .filter(|process| process.is_named(name))
        .map(|process| process.pid)
        .collect()
}

/// Passes when at least one process is called `name`; the failure lists the closest names seen.
pub(crate) fn running(processes: &[Process], name: &str, host: &str) -> Result<(), StepFailure> {
    if !matching(processes, name).is_empty() {
        return Ok(());
    }
    let mut similar: Vec<(f64, &Process)> = processes
        .iter()
        .map(|process| (strsim::jaro_winkler(name, &process.comm), process))
        .filter(|(score, process)| {
            *score > 0.85
                || process
                    .args
                    .iter()
                    .take(2)
                    .any(|arg| file_name(arg).contains(name))
        })
        .collect();
    similar.sort_by(|(a, _), (b, _)| b.total_cmp(a));
    let mut failure = StepFailure::new(format!("no process named `{name}` is running on {host}"))
        .with("seen", format!("{} process(es)", processes.len()));
    if !similar.is_empty() {
        failure = failure.with(
            "similar",
            similar
                .iter()
                .take(5)
                .map(|(_, process)| process.describe())
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    Err(failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn process(pid: u32, comm: &str, args: &[&str]) -> Process {
        Process {
            pid,
            comm: comm.into(),
            args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        }
    }

    #[test]
    fn cmdline_is_split_at_nul_bytes() {
        assert_eq!(
            parse_cmdline(b"/usr/sbin/nginx\0-g\0daemon off;\0"),
            ["/usr/sbin/nginx", "-g", "daemon off;"]
        );
        assert!(parse_cmdline(b"").is_empty());
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
        assert_eq!(matching(&table, "nginx"), [10]);
        assert_eq!(matching(&table, "gunicorn"), [20]);
        assert_eq!(matching(&table, "init"), [1]);
        assert!(running(&table, "nginx", "here").is_ok());
        let failure = running(&table, "nginz", "this machine").expect_err("typo");
        let message = failure.to_string();
        assert!(
            message.starts_with("no process named `nginz` is running on this machine"),
            "{message}"
        );
        assert!(message.contains("10 nginx: master process"), "{message}");
    }
}
