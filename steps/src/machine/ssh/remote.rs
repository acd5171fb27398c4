//! The small POSIX `sh` scripts a probe runs on a server, and the readers of what they print.
//! Every value reaches the server as a quoted argument (`shell-words`), never spliced into a
//! shell line, and every script starts by printing its process group so a timeout can kill it.

use std::io;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::machine::children::MARK_VARIABLE;
use crate::machine::host::{Connection, FileFacts, Invocation};
use crate::machine::process::{Process, parse_cmdline};

/// Marks the line holding the script's process group id in its stdout. sshd starts each
/// session's command as the leader of a new session, and the scripts `exec` in place, so the
/// shell's own pid is the group every process the command starts belongs to.
const GROUP_MARK: &str = "shakedown-process-group";
/// The line every script prints after its group line: whether it could start. Only a
/// feature's command can fail to (a missing program or folder).
const STARTED: &str = "shakedown-started";
const NOT_FOUND: &str = "shakedown-not-found";
const NO_FOLDER: &str = "shakedown-no-folder";
/// In the process listing, a process's arguments are separated by this byte (a NUL in
/// `/proc/PID/cmdline`) and its newlines replaced by [`NEWLINE`], so one process is 3 lines.
const ARGUMENT_SEPARATOR: u8 = 0x1f;
const NEWLINE: u8 = 0x1e;
/// What the link helper says of a path that is there but is no symbolic link.
const NOT_A_LINK: &str = "Not a symbolic link";

/// Helpers read messages in one language, since their errors are told apart by their text.
const HELPER_PRELUDE: &str = "LC_ALL=C; export LC_ALL\necho shakedown-started\n";

/// The line ssh sends: the login shell hands over to `sh`, which runs `script` with `args` as
/// `$1`, `$2`, …, carrying `mark` (see [`kill_line`]) in its environment.
pub(super) fn remote_line(script: &str, args: &[String], mark: &str) -> String {
    let prelude = format!(
        "{MARK_VARIABLE}={}; export {MARK_VARIABLE}\nprintf '%s %s\\n' {GROUP_MARK} \"$$\"\n",
        shell_words::quote(mark)
    );
    let mut words = vec![
        "exec".to_owned(),
        "sh".to_owned(),
        "-c".to_owned(),
        format!("{prelude}{script}"),
        "shakedown".to_owned(),
    ];
    words.extend(args.iter().cloned());
    shell_words::join(words)
}

/// The process group a script reported in a line of its stdout, when the line is that report.
pub(super) fn process_group(line: &[u8]) -> Option<i32> {
    let line = std::str::from_utf8(line).ok()?.trim_end();
    line.strip_prefix(GROUP_MARK)?.trim().parse().ok()
}

/// The line that kills a command on the server: its process group, when known, and every
/// process whose environment carries one of `marks`, which finds what left the group
/// (`setsid`) and what started before the group was reported.
pub(super) fn kill_line(group: Option<i32>, marks: &[String]) -> String {
    let mut line = String::new();
    if let Some(group) = group {
        line.push_str(&format!("kill -s KILL -- -{group} 2>/dev/null\n"));
    }
    if !marks.is_empty() {
        let patterns: Vec<String> = marks
            .iter()
            .map(|mark| format!("-e {}", shell_words::quote(&format!("{MARK_VARIABLE}={mark}"))))
            .collect();
        line.push_str(&format!(
            "for process in /proc/[0-9]*; do\n\
             grep -qszxF {} \"$process/environ\" && kill -s KILL \"${{process#/proc/}}\" 2>/dev/null\n\
             done\n",
            patterns.join(" ")
        ));
    }
    line.push_str("exit 0\n");
    line
}

/// Runs a feature's command: in its folder, with its variables and its plugin folders ahead of
/// the `PATH`, after telling whether the program exists.
pub(super) fn command_script(invocation: &Invocation) -> io::Result<String> {
    let quote = |text: &str| shell_words::quote(text).into_owned();
    let mut script = String::new();
    if let Some(cwd) = &invocation.cwd {
        script.push_str(&format!(
            "cd -- {} 2>/dev/null || {{ echo {NO_FOLDER}; exit 126; }}\n",
            quote(&cwd.to_string_lossy())
        ));
    }
    if !invocation.path_prefix.is_empty() {
        let folders: Vec<String> = invocation
            .path_prefix
            .iter()
            .map(|folder| quote(&folder.to_string_lossy()))
            .collect();
        script.push_str(&format!("PATH={}:\"$PATH\"; export PATH\n", folders.join(":")));
    }
    for (name, value) in &invocation.env {
        let valid = name.starts_with(|first: char| first.is_ascii_alphabetic() || first == '_')
            && name
                .chars()
                .all(|character| character.is_ascii_alphanumeric() || character == '_');
        if !valid {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{name}` is not a variable name a shell accepts"),
            ));
        }
        script.push_str(&format!("{name}={}; export {name}\n", quote(value)));
    }
    let program = quote(&invocation.program);
    script.push_str(&format!(
        "command -v -- {program} >/dev/null 2>&1 || {{ echo {NOT_FOUND}; exit 127; }}\necho {STARTED}\n"
    ));
    let mut words = vec![invocation.program.clone()];
    words.extend(invocation.args.iter().cloned());
    script.push_str(&format!("exec {}\n", shell_words::join(words)));
    Ok(script)
}

/// How a script started, read from the line after its group line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Start {
    /// It ran; the rest of its stdout is its own output.
    Started,
    NotFound,
    NoFolder,
    /// It ended before saying (killed, or the shell failed).
    Unknown,
}

pub(super) fn start_of(line: &[u8]) -> Start {
    match std::str::from_utf8(line).map(str::trim_end) {
        Ok(STARTED) => Start::Started,
        Ok(NOT_FOUND) => Start::NotFound,
        Ok(NO_FOLDER) => Start::NoFolder,
        _ => Start::Unknown,
    }
}

/// A path as a remote command's argument: one starting with `-` is not taken for an option.
pub(super) fn path_argument(path: &Path) -> String {
    let text = path.to_string_lossy();
    match text.starts_with('-') {
        true => format!("./{text}"),
        false => text.into_owned(),
    }
}

/// `$1`: a file's bytes.
pub(super) fn read_script() -> String {
    format!("{HELPER_PRELUDE}exec cat -- \"$1\"\n")
}

/// `$1`: a file, `$2`: how many of its first bytes to print.
pub(super) fn read_start_script() -> String {
    format!("{HELPER_PRELUDE}exec head -c \"$2\" -- \"$1\"\n")
}

/// `$1`: what the symbolic link holds, or why there is none.
pub(super) fn read_link_script() -> String {
    format!(
        "{HELPER_PRELUDE}if [ -L \"$1\" ]; then exec readlink -- \"$1\"; fi\n\
         if [ -e \"$1\" ]; then echo \"$1: {NOT_A_LINK}\" >&2; else echo \"$1: No such file or directory\" >&2; fi\n\
         exit 1\n"
    )
}

/// `readlink` ends what it prints with a newline the link does not hold.
pub(super) fn parse_link(stdout: &[u8]) -> PathBuf {
    let target = stdout.strip_suffix(b"\n").unwrap_or(stdout);
    PathBuf::from(std::ffi::OsStr::from_bytes(target))
}

/// `$1`: the modification time of the path itself, a link not followed, to the nanosecond as
/// this machine reads it (`%.9Y`), in whole seconds where `stat` cannot say more.
pub(super) fn link_modified_script() -> String {
    format!("{HELPER_PRELUDE}stat -c '%.9Y' -- \"$1\" 2>/dev/null || exec stat -c '%Y' -- \"$1\"\n")
}

pub(super) fn parse_seconds(stdout: &[u8]) -> io::Result<SystemTime> {
    let text = String::from_utf8_lossy(stdout);
    epoch_time(text.trim())
        .ok_or_else(|| io::Error::other(format!("`stat` printed `{}`, not a time", text.trim())))
}

/// `1796526636.123456789` or `1796526636`: seconds since the epoch, as `stat` prints them.
fn epoch_time(text: &str) -> Option<SystemTime> {
    let (seconds, fraction) = text.split_once('.').unwrap_or((text, "0"));
    let seconds: u64 = seconds.parse().ok()?;
    if fraction.is_empty() || !fraction.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let nanos = format!("{fraction:0<9}")[..9].parse::<u32>().ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::new(seconds, nanos))
}

/// `$1`: its raw mode (hexadecimal), modification time, size, owner and group, following links;
/// the time to the nanosecond where `stat` can say it, like [`link_modified_script`].
pub(super) fn metadata_script() -> String {
    format!(
        "{HELPER_PRELUDE}stat -L -c '%f %.9Y %s %U %G' -- \"$1\" 2>/dev/null || exec stat -L -c '%f %Y %s %U %G' -- \"$1\"\n"
    )
}

pub(super) fn parse_metadata(stdout: &[u8]) -> io::Result<FileFacts> {
    let text = String::from_utf8_lossy(stdout);
    let mut fields = text.split_whitespace();
    let mode = fields.next().and_then(|mode| u32::from_str_radix(mode, 16).ok());
    let modified = fields.next().and_then(epoch_time);
    let size = fields.next().and_then(|bytes| bytes.parse::<u64>().ok());
    let (Some(mode), Some(modified), Some(size), Some(owner), Some(group)) =
        (mode, modified, size, fields.next(), fields.next())
    else {
        return Err(io::Error::other(format!(
            "`stat` printed `{}`, not a mode, a time, a size, an owner and a group",
            text.trim()
        )));
    };
    let kind = mode & 0o170_000;
    Ok(FileFacts {
        is_dir: kind == 0o040_000,
        size,
        modified: Some(modified),
        executable: kind == 0o100_000 && mode & 0o111 != 0,
        mode: mode & 0o7777,
        owner: owner.to_owned(),
        group: group.to_owned(),
    })
}

/// `$1`: the names in a folder, each ended by a NUL.
pub(super) fn list_dir_script() -> String {
    format!(
        "{HELPER_PRELUDE}if [ -d \"$1\" ]; then exec find \"$1/\" -mindepth 1 -maxdepth 1 -printf '%f\\0'; fi\n\
         if [ -e \"$1\" ]; then echo \"$1: Not a directory\" >&2; else echo \"$1: No such file or directory\" >&2; fi\n\
         exit 1\n"
    )
}

pub(super) fn parse_names(stdout: &[u8]) -> Vec<String> {
    stdout
        .split(|byte| *byte == 0)
        .filter(|name| !name.is_empty())
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .collect()
}

/// `$1`: a program; `$2`…: folders searched before the `PATH`. Prints where it is, or nothing.
pub(super) fn find_program_script() -> String {
    format!(
        "{HELPER_PRELUDE}program=$1; shift\n\
         case $program in */*) if [ -f \"$program\" ] && [ -x \"$program\" ]; then echo \"$program\"; fi; exit 0 ;; esac\n\
         set -f; IFS=:\n\
         for folder in \"$@\" $PATH; do\n\
         [ -n \"$folder\" ] || continue\n\
         if [ -f \"$folder/$program\" ] && [ -x \"$folder/$program\" ]; then echo \"$folder/$program\"; exit 0; fi\n\
         done\n"
    )
}

pub(super) fn parse_found(stdout: &[u8]) -> Option<PathBuf> {
    let text = String::from_utf8_lossy(stdout);
    let found = text.trim_end_matches('\n');
    (!found.is_empty()).then(|| PathBuf::from(found))
}

/// `$1`: host, `$2`: port. Connects from the server with bash's `/dev/tcp`.
pub(super) fn connect_script() -> String {
    format!(
        "{HELPER_PRELUDE}command -v bash >/dev/null 2>&1 || {{ echo 'shakedown: bash is not installed' >&2; exit 125; }}\n\
         exec bash -c 'exec 3<>\"/dev/tcp/$1/$2\"' bash \"$1\" \"$2\"\n"
    )
}

/// Exit status 125 means the server cannot make connections this way at all.
pub(super) fn parse_connection(code: Option<i32>, stderr: &[u8]) -> io::Result<Connection> {
    match code {
        Some(0) => Ok(Connection::Accepted),
        Some(125) => Err(io::Error::other(
            "`bash` is not installed on the server (port checks open their connection with it)",
        )),
        _ => Ok(Connection::Refused(first_reason(stderr))),
    }
}

/// Every process: for each, its pid, its kernel name, and its arguments encoded on one line.
/// Where the server has `bash`, it reads every `/proc/PID/cmdline` with builtins alone (the
/// listing is one process, not one `tr` per process: 150 forks on a small server); `sh` falls
/// back to `tr`. Run with [`PROCESSES_IN_BASH`] as `$1` (without it, `sh` lists).
pub(super) fn processes_script() -> String {
    format!(
        "{HELPER_PRELUDE}cd /proc || exit 1\n\
         [ -n \"$1\" ] && command -v bash >/dev/null 2>&1 && exec bash -c \"$1\" shakedown\n\
         for pid in [0-9]*; do\n\
         IFS= read -r comm 2>/dev/null < \"$pid/comm\" || continue\n\
         printf '%s\\n%s\\n' \"$pid\" \"$comm\"\n\
         tr '\\000\\n' '\\037\\036' 2>/dev/null < \"$pid/cmdline\"\n\
         echo\n\
         done\n"
    )
}

/// The process listing in `bash`: the same three lines per process as the `sh` one, each NUL
/// of the arguments written as `\037` and each newline as `\036`.
pub(super) const PROCESSES_IN_BASH: &str = r#"for pid in [0-9]*; do
  IFS= read -r comm 2>/dev/null < "$pid/comm" || continue
  line= arg=
  { while IFS= read -r -d '' arg; do line+=${arg//$'\n'/$'\036'}$'\037'; done
    line+=${arg//$'\n'/$'\036'}; } 2>/dev/null < "$pid/cmdline"
  printf '%s\n%s\n%s\n' "$pid" "$comm" "$line"
done
"#;

pub(super) fn parse_processes(stdout: &[u8]) -> Vec<Process> {
    let lines: Vec<&[u8]> = stdout.split(|byte| *byte == b'\n').collect();
    lines
        .chunks_exact(3)
        .filter_map(|process| {
            let pid = std::str::from_utf8(process[0]).ok()?.parse().ok()?;
            let cmdline: Vec<u8> = process[2]
                .iter()
                .map(|byte| match *byte {
                    ARGUMENT_SEPARATOR => 0,
                    NEWLINE => b'\n',
                    other => other,
                })
                .collect();
            Some(Process {
                pid,
                comm: String::from_utf8_lossy(process[1]).trim_end().to_owned(),
                args: parse_cmdline(&cmdline),
                // Reading every `/proc/PID/exe` would take a program per process.
                exe: None,
            })
        })
        .collect()
}

/// An error from what a remote command said on stderr: `cat: /x: No such file or directory`
/// becomes a not-found error saying `No such file or directory`.
pub(super) fn io_error(stderr: &[u8], status: &str) -> io::Error {
    let text = String::from_utf8_lossy(stderr);
    let Some(line) = text.lines().rev().find(|line| !line.trim().is_empty()) else {
        return io::Error::other(format!("the remote command ended with {status} and said nothing"));
    };
    let reason = line.rsplit(": ").next().unwrap_or(line).trim();
    let kind = match reason {
        "No such file or directory" => io::ErrorKind::NotFound,
        "Permission denied" => io::ErrorKind::PermissionDenied,
        "Is a directory" => io::ErrorKind::IsADirectory,
        "Not a directory" => io::ErrorKind::NotADirectory,
        NOT_A_LINK => io::ErrorKind::InvalidInput,
        _ => io::ErrorKind::Other,
    };
    io::Error::new(kind, reason.to_owned())
}

/// `Connection refused`, from `bash: connect: Connection refused`.
fn first_reason(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    text.lines()
        .find(|line| !line.trim().is_empty())
        .map(|line| line.rsplit(": ").next().unwrap_or(line).trim().to_owned())
        .unwrap_or_else(|| "the connection failed".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sh(line: &str) -> std::process::Output {
        tokio::process::Command::new("sh")
            .args(["-c", line])
            .output()
            .await
            .expect("sh runs")
    }

    /// How a script started and what it printed after, run here by `sh` as a server's would be.
    async fn started(script: &str, args: &[&str]) -> (Option<i32>, Start, Vec<u8>, Vec<u8>) {
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        let output = sh(&remote_line(script, &args, "test-mark")).await;
        let mut lines = output.stdout.splitn(3, |byte| *byte == b'\n');
        assert!(lines.next().and_then(process_group).is_some(), "{output:?}");
        let start = start_of(lines.next().unwrap_or_default());
        let rest = lines.next().unwrap_or_default().to_vec();
        (output.status.code(), start, rest, output.stderr)
    }

    /// What a helper printed, once it said it started.
    async fn body(script: &str, args: &[&str]) -> (Option<i32>, Vec<u8>, Vec<u8>) {
        let (code, start, stdout, stderr) = started(script, args).await;
        assert_eq!(start, Start::Started);
        (code, stdout, stderr)
    }

    #[tokio::test]
    async fn arguments_reach_the_script_as_they_were_written() {
        let tricky = "it's $HOME `id` \"quoted\"; rm -rf /nothing";
        let (code, stdout, _) = body(&format!("{HELPER_PRELUDE}printf '%s' \"$1\""), &[tricky]).await;
        assert_eq!(code, Some(0));
        assert_eq!(String::from_utf8_lossy(&stdout), tricky);
    }

    #[tokio::test]
    async fn a_command_starts_in_its_folder_with_its_variables_or_says_why_not() {
        let invocation = Invocation {
            program: "sh".into(),
            args: vec!["-c".into(), "pwd; echo \"$GREETING\"".into()],
            env: vec![("GREETING".into(), "a 'quoted' value".into())],
            cwd: Some(PathBuf::from("/tmp")),
            ..Invocation::default()
        };
        let (_, stdout, _) = body(&command_script(&invocation).expect("script"), &[]).await;
        assert_eq!(stdout, b"/tmp\na 'quoted' value\n");

        let missing = Invocation {
            program: "no-such-program-here".into(),
            ..Invocation::default()
        };
        let (code, start, _, _) = started(&command_script(&missing).expect("script"), &[]).await;
        assert_eq!((code, start), (Some(127), Start::NotFound));

        let nowhere = Invocation {
            cwd: Some(PathBuf::from("/no/such/folder")),
            ..invocation.clone()
        };
        let (_, start, _, _) = started(&command_script(&nowhere).expect("script"), &[]).await;
        assert_eq!(start, Start::NoFolder);

        let bad_name = Invocation {
            env: vec![("A; rm".into(), "x".into())],
            ..invocation
        };
        assert!(command_script(&bad_name).is_err());
    }

    #[tokio::test]
    async fn modification_times_are_read_to_the_nanosecond_as_this_machine_reads_them() {
        let folder = tempfile::tempdir().expect("temp dir");
        let file = folder.path().join("current");
        std::os::unix::fs::symlink("releases/2026.12.1", &file).expect("link");
        let local = std::fs::symlink_metadata(&file)
            .and_then(|metadata| metadata.modified())
            .expect("mtime");
        let path = file.to_str().expect("utf-8 path");
        let (_, stdout, _) = body(&link_modified_script(), &[path]).await;
        assert_eq!(parse_seconds(&stdout).expect("a time"), local);

        let target = folder.path().join("settings.conf");
        std::fs::write(&target, "x").expect("file");
        let local = std::fs::metadata(&target)
            .and_then(|metadata| metadata.modified())
            .expect("mtime");
        let (_, stdout, _) = body(&metadata_script(), &[target.to_str().expect("utf-8 path")]).await;
        assert_eq!(parse_metadata(&stdout).expect("facts").modified, Some(local));
    }

    #[test]
    fn a_time_in_whole_seconds_or_with_a_fraction_is_read_and_anything_else_is_not() {
        let at = |seconds, nanos| Some(SystemTime::UNIX_EPOCH + Duration::new(seconds, nanos));
        assert_eq!(epoch_time("1796526636"), at(1_796_526_636, 0));
        assert_eq!(epoch_time("1796526636.5"), at(1_796_526_636, 500_000_000));
        assert_eq!(epoch_time("1796526636.123456789"), at(1_796_526_636, 123_456_789));
        for not_a_time in ["", "?", "1796526636.", "1796526636.-5", "12:00", "1.2.3"] {
            assert_eq!(epoch_time(not_a_time), None, "{not_a_time:?}");
        }
    }

    #[tokio::test]
    async fn file_helpers_read_what_the_local_system_says() {
        let (code, stdout, _) = body(&metadata_script(), &["/bin/sh"]).await;
        assert_eq!(code, Some(0));
        let facts = parse_metadata(&stdout).expect("facts");
        assert!(facts.executable && !facts.is_dir, "{facts:?}");
        assert_eq!((facts.mode, facts.owner.as_str()), (0o755, "root"), "{facts:?}");

        let (code, _, stderr) = body(&metadata_script(), &["/no/such/file"]).await;
        assert_ne!(code, Some(0));
        let error = io_error(&stderr, "exit status 1");
        assert_eq!(error.kind(), io::ErrorKind::NotFound, "{error}");
        assert_eq!(error.to_string(), "No such file or directory");

        let (_, _, stderr) = body(&read_script(), &["/tmp"]).await;
        assert_eq!(
            io_error(&stderr, "exit status 1").kind(),
            io::ErrorKind::IsADirectory
        );

        let (code, stdout, _) = body(&list_dir_script(), &["/proc/self"]).await;
        assert_eq!(code, Some(0));
        assert!(parse_names(&stdout).contains(&"cmdline".to_owned()));
        let (_, _, stderr) = body(&list_dir_script(), &["/etc/hostname"]).await;
        assert_eq!(
            io_error(&stderr, "exit status 1").kind(),
            io::ErrorKind::NotADirectory
        );

        let (_, stdout, _) = body(&find_program_script(), &["sh", "/no/such/folder"]).await;
        assert!(parse_found(&stdout).is_some_and(|found| found.ends_with("sh")));
        let (_, stdout, _) = body(&find_program_script(), &["no-such-program-here"]).await;
        assert_eq!(parse_found(&stdout), None);
    }

    #[tokio::test]
    async fn the_process_listing_keeps_arguments_apart() {
        let mut sleeper = tokio::process::Command::new("sh")
            .args(["-c", "sleep 30.125; :", "two words\nand a newline"])
            // Its own group, output nowhere: killing it must end its `sleep` too, which would
            // otherwise hold the test's output open.
            .process_group(0)
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("sleep");
        let pid = sleeper.id().expect("pid");
        // The `sh` listing, and the `bash` one servers with bash get.
        let (_, by_sh, _) = body(&processes_script(), &[]).await;
        let (_, by_bash, _) = body(&processes_script(), &[PROCESSES_IN_BASH]).await;
        let group = nix::unistd::Pid::from_raw(i32::try_from(pid).expect("a pid"));
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = sleeper.wait().await;
        for stdout in [by_sh, by_bash] {
            let processes = parse_processes(&stdout);
            let found = processes
                .iter()
                .find(|process| process.pid == pid)
                .expect("the sleeper is listed");
            assert_eq!(found.comm, "sh");
            assert_eq!(
                found.args,
                ["sh", "-c", "sleep 30.125; :", "two words\nand a newline"]
            );
            assert!(processes.iter().any(|process| process.pid == 1));
        }
    }

    #[test]
    fn connection_outcomes_are_read_from_bash() {
        assert_eq!(
            parse_connection(Some(0), b"").expect("asked"),
            Connection::Accepted
        );
        assert_eq!(
            parse_connection(
                Some(1),
                b"bash: connect: Connection refused\nbash: /dev/tcp/127.0.0.1/1: Connection refused\n"
            )
            .expect("asked"),
            Connection::Refused("Connection refused".into())
        );
        assert!(parse_connection(Some(125), b"").is_err());
    }
}
