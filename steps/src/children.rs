//! Every process group the steps start, known in one place: a run stopped by a signal kills them
//! all (commands, Nagios plugins, password commands, chromedriver with its Chromiums), however
//! far each step had got, and a finished command's leftover background children die with it.

use std::collections::HashSet;
use std::sync::Mutex;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// Ids of the groups alive now (a group's id is its leader's pid, as `process_group(0)` makes it).
static LIVE: Mutex<Option<HashSet<i32>>> = Mutex::new(None);

fn live() -> std::sync::MutexGuard<'static, Option<HashSet<i32>>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A child started in its own process group (`process_group(0)`). Dropping this kills whatever
/// is left of the group, so a step cut short (a timeout, a dropped run) leaves nothing behind.
#[derive(Debug)]
pub struct ChildGroup(i32);

impl ChildGroup {
    /// The group `child` leads; `None` when the child has already been reaped.
    pub fn of(child: &tokio::process::Child) -> Option<Self> {
        let id = i32::try_from(child.id()?).ok()?;
        live().get_or_insert_with(HashSet::new).insert(id);
        Some(Self(id))
    }
}

impl Drop for ChildGroup {
    fn drop(&mut self) {
        if let Some(groups) = live().as_mut() {
            groups.remove(&self.0);
        }
        kill(self.0);
    }
}

/// Kills every group a step started and has not yet released: the backstop of a stopped run.
pub fn kill_all() {
    let groups: Vec<i32> = live()
        .as_ref()
        .map(|groups| groups.iter().copied().collect())
        .unwrap_or_default();
    groups.into_iter().for_each(kill);
}

fn kill(group: i32) {
    // A group whose members have all exited is gone already: nothing to do then.
    let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
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
