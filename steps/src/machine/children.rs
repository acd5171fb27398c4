//! Every process group the steps start, known in one place: a run stopped by a signal kills them
//! all (commands, Nagios plugins, password commands, chromedriver with its Chromiums), however
//! far each step had got, and a finished command's leftover background children die with it.
//! Each command also carries a mark in its environment, which its children inherit: one that
//! left the group (`setsid`) is still found by it when the command is cut.

use std::collections::HashMap;
use std::hash::BuildHasher as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::locked::lock;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// The variable whose value marks one command and everything it starts, here and on servers.
pub const MARK_VARIABLE: &str = "SHAKEDOWN_COMMAND";

/// A mark no other command of this run, nor of another run on the same server, carries.
pub fn new_mark() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    let random =
        std::collections::hash_map::RandomState::new().hash_one((pid, count, std::time::SystemTime::now()));
    format!("{pid}-{count}-{random:016x}")
}

/// The groups alive now (a group's id is its leader's pid, as `process_group(0)` makes it),
/// with the mark their command carries.
static LIVE: Mutex<Option<HashMap<i32, Option<String>>>> = Mutex::new(None);

fn live() -> std::sync::MutexGuard<'static, Option<HashMap<i32, Option<String>>>> {
    lock(&LIVE)
}

/// A child started in its own process group (`process_group(0)`). Dropping this kills whatever
/// is left of the group, so a step cut short (a timeout, a dropped run) leaves nothing behind.
#[derive(Debug)]
pub struct ChildGroup {
    group: i32,
    mark: Option<String>,
}

impl ChildGroup {
    /// The group `child` leads; `None` when the child has already been reaped.
    pub fn of(child: &tokio::process::Child) -> Option<Self> {
        Self::register(child, None)
    }

    /// The group `child` leads, started with `mark` as its [`MARK_VARIABLE`].
    pub fn marked(child: &tokio::process::Child, mark: &str) -> Option<Self> {
        Self::register(child, Some(mark.to_owned()))
    }

    fn register(child: &tokio::process::Child, mark: Option<String>) -> Option<Self> {
        let group = i32::try_from(child.id()?).ok()?;
        live()
            .get_or_insert_with(HashMap::new)
            .insert(group, mark.clone());
        Some(Self { group, mark })
    }

    /// For a command that ended by itself: kills what is left of its group, and leaves alone
    /// what it moved out of the group (a daemon it was asked to start).
    pub fn release(mut self) {
        self.mark = None;
    }
}

impl Drop for ChildGroup {
    /// A group dropped without [`ChildGroup::release`] belongs to a command cut short (a
    /// timeout, a stopped run): it dies whole, with every process carrying its mark.
    fn drop(&mut self) {
        if let Some(groups) = live().as_mut() {
            groups.remove(&self.group);
        }
        kill(self.group);
        if let Some(mark) = &self.mark {
            kill_marked(mark);
        }
    }
}

/// Kills every group a step started and has not yet released, and whatever left those groups:
/// the backstop of a stopped run.
pub fn kill_all() {
    let groups: Vec<(i32, Option<String>)> = live()
        .as_ref()
        .map(|groups| {
            groups
                .iter()
                .map(|(group, mark)| (*group, mark.clone()))
                .collect()
        })
        .unwrap_or_default();
    for (group, mark) in groups {
        kill(group);
        if let Some(mark) = mark {
            kill_marked(&mark);
        }
    }
}

fn kill(group: i32) {
    // A group whose members have all exited is gone already: nothing to do then.
    let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
}

/// Kills every process of this user whose environment carries `mark`.
fn kill_marked(mark: &str) {
    let wanted = format!("{MARK_VARIABLE}={mark}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<i32>().ok())
        else {
            continue;
        };
        // Other users' environments are unreadable, and their processes none of ours.
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ
            .split(|byte| *byte == 0)
            .any(|variable| variable == wanted.as_bytes())
        {
            let _ = nix::sys::signal::kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::process::Stdio;
    use std::time::Duration;

    use super::*;

    fn alive(pid: i32) -> bool {
        // Signal 0 only checks: a zombie still counts, so its state is read from /proc too.
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        nix::sys::signal::kill(Pid::from_raw(pid), None).is_ok() && !state.contains(") Z ")
    }

    async fn group_with_background_child() -> (tokio::process::Child, i32) {
        let mut child = tokio::process::Command::new("sh")
            .args(["-c", "sleep 60 & echo $!; wait"])
            .stdout(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .expect("sh starts");
        let mut stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        use tokio::io::AsyncBufReadExt as _;
        tokio::io::BufReader::new(&mut stdout)
            .read_line(&mut line)
            .await
            .expect("reads the pid");
        (child, line.trim().parse().expect("a pid"))
    }

    async fn assert_dies(pid: i32) {
        for _ in 0..100 {
            if !alive(pid) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("process {pid} outlived its group");
    }

    #[tokio::test]
    async fn dropping_the_group_kills_its_background_children() {
        let (child, sleeper) = group_with_background_child().await;
        let group = ChildGroup::of(&child).expect("running");
        drop(group);
        assert_dies(sleeper).await;
    }
}
