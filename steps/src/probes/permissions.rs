//! Who may see what on a server: a settings file holding passwords readable by everyone, a file
//! owned by the wrong user, a mode looser than meant, a stranger in `sudo`. The judging is kept
//! apart from the reading so it can be tested without a server.

use std::collections::BTreeSet;
use std::path::Path;

use super::commands::{self, CommandRun};
use super::files;
use crate::argument::PhraseArgument;
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::{FileFacts, Host, Invocation};
use crate::text;

/// The bits `chmod` sets: the permissions plus setuid, setgid and sticky.
const PERMISSION_BITS: u32 = 0o7777;
/// Read permission for users that are neither the owner nor in the file's group.
const OTHERS_READ: u32 = 0o004;

/// `0640`, as `chmod` takes it.
pub(crate) fn octal(mode: u32) -> String {
    format!("{:04o}", mode & PERMISSION_BITS)
}

/// `rw-r-----`, as `ls -l` shows it (setuid, setgid and sticky as `s`, `s` and `t`).
pub(crate) fn symbolic(mode: u32) -> String {
    let triplet = |shift: u32, special: bool, special_letter: char| {
        let bits = (mode >> shift) & 0o7;
        let execute = match (bits & 0o1 != 0, special) {
            (true, true) => special_letter,
            (false, true) => special_letter.to_ascii_uppercase(),
            (true, false) => 'x',
            (false, false) => '-',
        };
        [
            if bits & 0o4 != 0 { 'r' } else { '-' },
            if bits & 0o2 != 0 { 'w' } else { '-' },
            execute,
        ]
    };
    [
        triplet(6, mode & 0o4000 != 0, 's'),
        triplet(3, mode & 0o2000 != 0, 's'),
        triplet(0, mode & 0o1000 != 0, 't'),
    ]
    .concat()
    .into_iter()
    .collect()
}

/// A mode written in a feature: octal digits (`640`, `0640`, `2750`).
pub(crate) struct FileMode(pub u32);

impl PhraseArgument for FileMode {
    fn read(written: &str) -> Result<Self, StepFailure> {
        let digits = written.trim();
        u32::from_str_radix(digits, 8)
            .ok()
            .filter(|mode| !digits.is_empty() && digits.len() <= 5 && mode & !PERMISSION_BITS == 0)
            .map(Self)
            .ok_or_else(|| {
                StepFailure::configuration(format!(
                    "`{written}` is not a file mode: expected octal digits such as `0640`"
                ))
            })
    }
}

/// The labelled lines every failure about a file's permissions carries.
fn describe(failure: StepFailure, facts: &FileFacts) -> StepFailure {
    failure
        .with("owner", &facts.owner)
        .with("group", &facts.group)
        .with(
            "mode",
            format!("{} ({})", octal(facts.mode), symbolic(facts.mode)),
        )
}

pub(crate) fn expect_not_readable_by_others(path: &Path, facts: &FileFacts) -> Result<(), StepFailure> {
    if facts.mode & OTHERS_READ == 0 {
        return Ok(());
    }
    Err(describe(
        StepFailure::new(format!(
            "the file `{}` is readable by every user of the machine",
            path.display()
        )),
        facts,
    )
    .with(
        "hint",
        format!("take the permission away: `chmod o-r {}`", path.display()),
    ))
}

/// `expected` is a user name, or `user:group` to check the group too.
pub(crate) fn expect_owned_by(path: &Path, facts: &FileFacts, expected: &str) -> Result<(), StepFailure> {
    let (user, group) = match expected.split_once(':') {
        Some((user, group)) => (user.trim(), Some(group.trim())),
        None => (expected.trim(), None),
    };
    let user_ok = facts.owner == user;
    let group_ok = group.is_none_or(|group| facts.group == group);
    if user_ok && group_ok {
        return Ok(());
    }
    let seen = match group {
        Some(_) => format!("{}:{}", facts.owner, facts.group),
        None => facts.owner.clone(),
    };
    Err(describe(
        StepFailure::new(format!(
            "the file `{}` is owned by `{seen}`, not `{expected}`",
            path.display()
        )),
        facts,
    ))
}

pub(crate) fn expect_mode(path: &Path, facts: &FileFacts, expected: u32) -> Result<(), StepFailure> {
    let seen = facts.mode & PERMISSION_BITS;
    if seen == expected {
        return Ok(());
    }
    Err(describe(
        StepFailure::new(format!(
            "the file `{}` has mode {} ({}), not {} ({})",
            path.display(),
            octal(seen),
            symbolic(seen),
            octal(expected),
            symbolic(expected)
        )),
        facts,
    ))
}

/// Names written in a feature, comma-separated; blanks around them ignored, an empty string
/// meaning nobody.
pub(crate) fn parse_members(written: &str) -> BTreeSet<String> {
    written
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The members in a group database line, `sudo:x:27:alice,bob`.
pub(crate) fn members_of_entry(entry: &str) -> Option<BTreeSet<String>> {
    let members = entry.trim_end().splitn(4, ':').nth(3)?;
    Some(parse_members(members))
}

pub(crate) fn expect_members(
    group: &str,
    expected: &BTreeSet<String>,
    seen: &BTreeSet<String>,
) -> Result<(), StepFailure> {
    let extra: Vec<&str> = seen.difference(expected).map(String::as_str).collect();
    let missing: Vec<&str> = expected.difference(seen).map(String::as_str).collect();
    if extra.is_empty() && missing.is_empty() {
        return Ok(());
    }
    let listed = |names: &BTreeSet<String>| match names.is_empty() {
        true => "nobody".to_owned(),
        false => names.iter().map(String::as_str).collect::<Vec<_>>().join(", "),
    };
    let mut failure = StepFailure::new(format!(
        "the group `{group}` does not have exactly the expected members"
    ))
    .with("expected", listed(expected))
    .with("seen", listed(seen));
    if !extra.is_empty() {
        failure = failure.with("extra", extra.join(", "));
    }
    if !missing.is_empty() {
        failure = failure.with("missing", missing.join(", "));
    }
    Err(failure.with(
        "note",
        "the members are those the group database lists; users whose primary group it is are not listed there",
    ))
}

/// A file's facts, for the checks above.
pub(crate) async fn file_facts(
    host: &dyn Host,
    path: &Path,
    deadline: Deadline,
) -> Result<FileFacts, StepFailure> {
    files::facts(host, path, "file", deadline).await
}

/// The members of `group` as the host's group database (`/etc/group`, LDAP…) lists them,
/// asked through `getent` so the server answers for itself.
pub(crate) async fn group_members(
    host: &dyn Host,
    group: &str,
    deadline: Deadline,
) -> Result<BTreeSet<String>, StepFailure> {
    let invocation = Invocation {
        program: "getent".into(),
        args: vec!["group".into(), group.into()],
        ..Invocation::default()
    };
    let line = invocation.display();
    let run: CommandRun = commands::run(host, &line, &invocation, deadline, "`getent`").await?;
    // `getent` says "not found" with exit status 2 and nothing printed.
    if run.finished.code == Some(2) {
        return Err(
            StepFailure::new(format!("the group `{group}` does not exist on {}", host.name()))
                .with("command", line),
        );
    }
    let entry = run.finished.stdout.lines().next().unwrap_or_default();
    match (run.finished.code, members_of_entry(entry)) {
        (Some(0), Some(members)) => Ok(members),
        _ => Err(run.describe(StepFailure::new(format!(
            "cannot read the group `{group}` on {}: `getent` answered {}",
            host.name(),
            text::quoted(entry)
        )))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(mode: u32, owner: &str, group: &str) -> FileFacts {
        FileFacts {
            is_dir: false,
            size: 0,
            modified: None,
            executable: mode & 0o111 != 0,
            mode,
            owner: owner.into(),
            group: group.into(),
        }
    }

    /// Whether a failure's text has the line `label:  value` (labels are padded to line up).
    fn labelled(shown: &str, label: &str, value: &str) -> bool {
        shown.lines().any(|line| {
            line.trim_start()
                .strip_prefix(&format!("{label}:"))
                .is_some_and(|rest| rest.trim() == value)
        })
    }

    #[test]
    fn modes_render_as_chmod_and_ls_show_them() {
        assert_eq!(octal(0o100_640), "0640");
        assert_eq!(symbolic(0o640), "rw-r-----");
        assert_eq!(symbolic(0o755), "rwxr-xr-x");
        assert_eq!(symbolic(0o4755), "rwsr-xr-x");
        assert_eq!(symbolic(0o2750), "rwxr-s---");
        assert_eq!(symbolic(0o1777), "rwxrwxrwt");
        assert_eq!(symbolic(0o1666), "rw-rw-rwT");
        assert_eq!(octal(0o2750), "2750");
    }

    #[test]
    fn modes_are_read_as_octal() {
        assert_eq!(FileMode::read("0640").expect("mode").0, 0o640);
        assert_eq!(FileMode::read("640").expect("mode").0, 0o640);
        assert_eq!(FileMode::read("2750").expect("mode").0, 0o2750);
        for wrong in ["", "0689", "rw-r-----", "77777", "-1"] {
            let Err(failure) = FileMode::read(wrong) else {
                panic!("{wrong} is no mode");
            };
            assert!(failure.to_string().contains("is not a file mode"), "{failure}");
        }
    }

    #[test]
    fn only_the_others_read_bit_makes_a_file_readable_by_others() {
        let path = Path::new("/etc/ledger/settings.ini");
        assert!(expect_not_readable_by_others(path, &facts(0o640, "root", "ledger")).is_ok());
        assert!(expect_not_readable_by_others(path, &facts(0o600, "root", "root")).is_ok());
        let failure =
            expect_not_readable_by_others(path, &facts(0o644, "root", "ledger")).expect_err("readable");
        let shown = failure.to_string();
        assert!(
            shown.contains("`/etc/ledger/settings.ini` is readable by every user"),
            "{shown}"
        );
        assert!(shown.contains("0644 (rw-r--r--)"), "{shown}");
        assert!(shown.contains("ledger"), "{shown}");
    }

    #[test]
    fn ownership_is_a_user_or_a_user_and_group() {
        let path = Path::new("/etc/ledger/settings.ini");
        let file = facts(0o640, "root", "ledger");
        assert!(expect_owned_by(path, &file, "root").is_ok());
        assert!(expect_owned_by(path, &file, "root:ledger").is_ok());
        let wrong_group = expect_owned_by(path, &file, "root:root").expect_err("group");
        assert!(
            wrong_group
                .to_string()
                .contains("owned by `root:ledger`, not `root:root`"),
            "{wrong_group}"
        );
        let wrong_user = expect_owned_by(path, &file, "ledger").expect_err("user");
        assert!(
            wrong_user.to_string().contains("owned by `root`, not `ledger`"),
            "{wrong_user}"
        );
    }

    #[test]
    fn modes_compare_the_permission_bits_only() {
        let path = Path::new("/srv/ledger/key.pem");
        assert!(expect_mode(path, &facts(0o100_600, "root", "root"), 0o600).is_ok());
        let failure = expect_mode(path, &facts(0o100_644, "root", "root"), 0o600).expect_err("mode");
        assert!(
            failure
                .to_string()
                .contains("has mode 0644 (rw-r--r--), not 0600 (rw-------)"),
            "{failure}"
        );
    }

    #[test]
    fn members_are_compared_as_sets_and_the_differences_named() {
        assert_eq!(
            members_of_entry("sudo:x:27:alice,bob\n"),
            Some(parse_members("bob, alice"))
        );
        assert_eq!(members_of_entry("root:x:0:"), Some(BTreeSet::new()));
        assert_eq!(members_of_entry("nonsense"), None);
        let seen = parse_members("alice,mallory");
        assert!(expect_members("sudo", &parse_members("mallory , alice"), &seen).is_ok());
        let failure = expect_members("sudo", &parse_members("alice,bob"), &seen).expect_err("differs");
        let shown = failure.to_string();
        assert!(labelled(&shown, "extra", "mallory"), "{shown}");
        assert!(labelled(&shown, "missing", "bob"), "{shown}");
        let nobody = expect_members("root", &BTreeSet::new(), &seen).expect_err("differs");
        let shown = nobody.to_string();
        assert!(labelled(&shown, "expected", "nobody"), "{shown}");
        assert!(labelled(&shown, "extra", "alice, mallory"), "{shown}");
    }
}
