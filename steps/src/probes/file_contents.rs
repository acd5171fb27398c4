//! What a file on a host holds, as a release meant it: a text or pattern in it or not, its
//! SHA-256, where a symbolic link points, and how large it may grow. Contents are read up to
//! `probes.max_file_bytes` by the step's deadline; a check that would need the rest says it
//! cannot tell instead of guessing.

use std::path::{Component, Path, PathBuf};

use regex::Regex;
use sha2::{Digest as _, Sha256};

use super::files;
use crate::argument::PhraseArgument;
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::{FileStart, Host};
use crate::text;

/// Lines a failure shows where an unwanted text was found, at most.
const SHOWN_FINDINGS: usize = 3;

/// What a file should or should not hold: a text, or `/a regex/`, each looked for line by line
/// as `grep` does.
#[derive(Debug, Clone)]
pub(crate) enum Wanted {
    Text(String),
    Pattern(Regex),
}

impl PhraseArgument for Wanted {
    fn read(written: &str) -> Result<Self, StepFailure> {
        if written.is_empty() {
            return Err(StepFailure::configuration(
                "the text to look for in the file is empty",
            ));
        }
        let Some(pattern) = written
            .strip_prefix('/')
            .and_then(|rest| rest.strip_suffix('/'))
            .filter(|pattern| !pattern.is_empty())
        else {
            return Ok(Self::Text(written.to_owned()));
        };
        Regex::new(pattern).map(Self::Pattern).map_err(|error| {
            StepFailure::configuration(format!("`{written}` is not a regular expression: {error}"))
                .with(
                    "hint",
                    "a text between slashes is a regex (Rust `regex` syntax); write it without them to look for it as it is",
                )
        })
    }
}

impl Wanted {
    /// The first place in `line` it matches, as a byte range.
    fn find_in(&self, line: &str) -> Option<(usize, usize)> {
        match self {
            Self::Text(wanted) => line.find(wanted.as_str()).map(|at| (at, at + wanted.len())),
            Self::Pattern(pattern) => pattern.find(line).map(|found| (found.start(), found.end())),
        }
    }

    /// `"DEBUG = True"` or `the pattern /DEBUG\s*=/`, for messages.
    fn describe(&self) -> String {
        match self {
            Self::Text(wanted) => text::quoted(wanted),
            Self::Pattern(pattern) => format!("the pattern /{}/", pattern.as_str()),
        }
    }
}

/// A SHA-256 digest as `sha256sum` prints it: 64 hexadecimal digits, either case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sha256Digest(String);

impl PhraseArgument for Sha256Digest {
    fn read(written: &str) -> Result<Self, StepFailure> {
        let digits = written.trim().to_ascii_lowercase();
        match digits.len() == 64 && digits.chars().all(|digit| digit.is_ascii_hexdigit()) {
            true => Ok(Self(digits)),
            false => Err(StepFailure::configuration(format!(
                "`{written}` is not a SHA-256 digest: expected 64 hexadecimal digits, as `sha256sum` prints them"
            ))),
        }
    }
}

/// How many bytes a size counts: whole, not negative, and at most what a file can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Amount(pub u64);

impl PhraseArgument for Amount {
    fn read(written: &str) -> Result<Self, StepFailure> {
        written.trim().parse().map(Self).map_err(|_| {
            StepFailure::configuration(format!(
                "`{written}` is not a whole number of bytes, KB, MB or GB"
            ))
        })
    }
}

/// A unit of file size. `KB`, `MB`, `GB` count in thousands, as `ls --si` and disk makers do;
/// `KiB`, `MiB`, `GiB` in 1024s, as `ls -lh` and `du -h` do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SizeUnit {
    name: &'static str,
    bytes: u64,
}

const SIZE_UNITS: &[SizeUnit] = &[
    SizeUnit {
        name: "bytes",
        bytes: 1,
    },
    SizeUnit {
        name: "KB",
        bytes: 1000,
    },
    SizeUnit {
        name: "MB",
        bytes: 1000 * 1000,
    },
    SizeUnit {
        name: "GB",
        bytes: 1000 * 1000 * 1000,
    },
    SizeUnit {
        name: "KiB",
        bytes: 1024,
    },
    SizeUnit {
        name: "MiB",
        bytes: 1024 * 1024,
    },
    SizeUnit {
        name: "GiB",
        bytes: 1024 * 1024 * 1024,
    },
];

impl PhraseArgument for SizeUnit {
    fn read(written: &str) -> Result<Self, StepFailure> {
        let singular = written.trim().eq_ignore_ascii_case("byte");
        SIZE_UNITS
            .iter()
            .find(|unit| unit.name.eq_ignore_ascii_case(written.trim()) || (singular && unit.bytes == 1))
            .copied()
            .ok_or_else(|| {
                StepFailure::configuration(format!("`{written}` is not a unit of file size")).with(
                    "hint",
                    "write bytes, KB, MB or GB (powers of 1000), or KiB, MiB or GiB (powers of 1024)",
                )
            })
    }
}

impl SizeUnit {
    /// `1 MB = 1000000 bytes`: which base the unit counts in, for messages.
    fn describe(self) -> String {
        format!("1 {} = {} bytes", self.name, self.bytes)
    }
}

/// The start of a file, read up to `limit`, or a failure that names it.
async fn read(
    host: &dyn Host,
    path: &Path,
    limit: u64,
    deadline: Deadline,
) -> Result<FileStart, StepFailure> {
    host.read_start(path, limit, deadline)
        .await
        .map_err(|error| files::missing(host, path, "file", &error))
}

/// The check needs all of a file that is larger than a probe reads.
fn too_large(path: &Path, what: &str, limit: u64) -> StepFailure {
    StepFailure::configuration(format!(
        "cannot tell {what}: `{}` is larger than the {limit} bytes a probe reads",
        path.display()
    ))
    .with(
        "hint",
        "raise `probes.max_file_bytes`, or check a smaller file (a checksum or a version file beside it)",
    )
}

/// `line 3: "…DEBUG = True…"` for every line of `contents` that `wanted` matches.
fn findings(contents: &str, wanted: &Wanted) -> Vec<String> {
    contents
        .lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let (start, end) = wanted.find_in(line)?;
            // The snippet never cuts a secret in two; the report masks it whole.
            Some(format!(
                "line {}: {}",
                index + 1,
                text::snippet_around(line, start, end)
            ))
        })
        .collect()
}

/// Passes when a line of the file holds `wanted`, with a note of the first such line.
pub(crate) async fn contains(
    host: &dyn Host,
    path: &Path,
    wanted: &Wanted,
    limit: u64,
    deadline: Deadline,
) -> Result<String, StepFailure> {
    let start = read(host, path, limit, deadline).await?;
    let contents = String::from_utf8_lossy(&start.bytes);
    if let Some(first) = findings(&contents, wanted).into_iter().next() {
        return Ok(format!(
            "`{}` holds {} on {first}",
            path.display(),
            wanted.describe()
        ));
    }
    let what = format!("whether `{}` holds {}", path.display(), wanted.describe());
    if start.cut {
        return Err(too_large(path, &what, limit).with("seen", "not in the part that was read"));
    }
    Err(StepFailure::new(format!(
        "the file `{}` on {} does not hold {}",
        path.display(),
        host.name(),
        wanted.describe()
    ))
    .with(
        "read",
        format!(
            "{} bytes, {} line(s)",
            start.bytes.len(),
            contents.lines().count()
        ),
    ))
}

/// Passes when no line of the file holds `wanted`; the failure shows each line that does.
pub(crate) async fn lacks(
    host: &dyn Host,
    path: &Path,
    wanted: &Wanted,
    limit: u64,
    deadline: Deadline,
) -> Result<(), StepFailure> {
    let start = read(host, path, limit, deadline).await?;
    let contents = String::from_utf8_lossy(&start.bytes);
    let found = findings(&contents, wanted);
    if !found.is_empty() {
        let mut shown: Vec<String> = found.iter().take(SHOWN_FINDINGS).cloned().collect();
        if found.len() > SHOWN_FINDINGS {
            shown.push(format!("… and on {} more line(s)", found.len() - SHOWN_FINDINGS));
        }
        return Err(StepFailure::new(format!(
            "the file `{}` on {} holds {}, which it should not",
            path.display(),
            host.name(),
            wanted.describe()
        ))
        .with("found", shown.join("\n")));
    }
    if start.cut {
        let what = format!("whether `{}` holds {}", path.display(), wanted.describe());
        return Err(too_large(path, &what, limit).with("seen", "not in the part that was read"));
    }
    Ok(())
}

/// Passes when the file's SHA-256 is `expected`.
pub(crate) async fn has_sha256(
    host: &dyn Host,
    path: &Path,
    expected: &Sha256Digest,
    limit: u64,
    deadline: Deadline,
) -> Result<(), StepFailure> {
    let start = read(host, path, limit, deadline).await?;
    if start.cut {
        return Err(too_large(path, "its SHA-256", limit));
    }
    let seen = format!("{:x}", Sha256::digest(&start.bytes));
    if seen == expected.0 {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the file `{}` on {} is not the one expected: its SHA-256 differs",
        path.display(),
        host.name()
    ))
    .with("expected", &expected.0)
    .with("seen", format!("{seen} ({} bytes)", start.bytes.len())))
}

/// Where a link's text leads: a relative one from the link's own folder, `.` and `..` worked
/// out as the kernel walks them (the folders on the way are taken to be folders, not links).
fn resolved(link: &Path, target: &Path) -> PathBuf {
    let joined = match target.is_absolute() {
        true => target.to_path_buf(),
        false => link.parent().unwrap_or(Path::new("/")).join(target),
    };
    let mut clean = PathBuf::new();
    for part in joined.components() {
        match part {
            Component::ParentDir => {
                // `..` at the root stays at the root; above a relative start it is kept.
                if !clean.pop() && !joined.is_absolute() {
                    clean.push("..");
                }
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    clean
}

/// Passes when the symbolic link `link` leads to `expected` and something is there; a relative
/// `expected` is read from the link's folder, as the link's own text would be.
pub(crate) async fn points_to(
    host: &dyn Host,
    link: &Path,
    expected: &str,
    deadline: Deadline,
) -> Result<(), StepFailure> {
    let target = host
        .read_link(link, deadline)
        .await
        .map_err(|error| match error.kind() {
            std::io::ErrorKind::InvalidInput => StepFailure::new(format!(
                "`{}` on {} is not a symbolic link",
                link.display(),
                host.name()
            ))
            .with(
                "hint",
                "a release switched by a link is deployed with `ln -sfn RELEASE LINK`",
            ),
            _ => files::missing(host, link, "link", &error),
        })?;
    let seen = resolved(link, &target);
    let wanted = resolved(link, Path::new(expected));
    let written = format!("{}", target.display());
    if seen != wanted {
        return Err(StepFailure::new(format!(
            "the link `{}` on {} points to `{}`, not `{}`",
            link.display(),
            host.name(),
            seen.display(),
            wanted.display()
        ))
        .with("link holds", written));
    }
    match host.metadata(&seen, deadline).await {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(StepFailure::new(format!(
            "the link `{}` on {} points to `{}` as expected, but nothing is there",
            link.display(),
            host.name(),
            seen.display()
        ))
        .with("link holds", written)),
        Err(error) => Err(files::missing(host, &seen, "link's target", &error)),
    }
}

/// Passes when the file is smaller than `amount` `unit`s.
pub(crate) async fn smaller_than(
    host: &dyn Host,
    path: &Path,
    amount: Amount,
    unit: SizeUnit,
    deadline: Deadline,
) -> Result<(), StepFailure> {
    let facts = files::facts(host, path, "file", deadline).await?;
    if facts.is_dir {
        return Err(StepFailure::configuration(format!(
            "`{}` on {} is a folder; its size says nothing of what it holds",
            path.display(),
            host.name()
        )));
    }
    let limit = amount.0.saturating_mul(unit.bytes);
    if facts.size < limit {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the file `{}` on {} is {}, not smaller than {} {}",
        path.display(),
        host.name(),
        in_unit(facts.size, unit),
        amount.0,
        unit.name
    ))
    .with("size", format!("{} bytes ({})", facts.size, unit.describe())))
}

/// `612.3 MB`: a size in the unit the feature wrote.
fn in_unit(bytes: u64, unit: SizeUnit) -> String {
    if unit.bytes == 1 {
        return format!("{bytes} bytes");
    }
    // Shown to one decimal: what the float loses of a file's size is far below that.
    let amount = bytes as f64 / unit.bytes as f64;
    format!("{amount:.1} {}", unit.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_between_slashes_is_a_pattern_and_a_broken_one_is_refused() {
        assert!(matches!(Wanted::read("DEBUG = True"), Ok(Wanted::Text(_))));
        assert!(matches!(
            Wanted::read("/DEBUG\\s*=\\s*True/"),
            Ok(Wanted::Pattern(_))
        ));
        assert!(matches!(Wanted::read("/"), Ok(Wanted::Text(_))));
        assert!(matches!(Wanted::read("/srv/app/"), Ok(Wanted::Pattern(_))));
        let failure = Wanted::read("/DEBUG(/").expect_err("unclosed group");
        assert!(
            failure.to_string().contains("is not a regular expression"),
            "{failure}"
        );
        assert!(Wanted::read("").is_err());
    }

    #[test]
    fn findings_name_each_line_and_show_the_match_in_context() {
        let settings = "ALLOWED_HOSTS = ['*']\nDEBUG = True\n# DEBUG = False\n";
        let found = findings(settings, &Wanted::read("/^DEBUG\\s*=\\s*True/").expect("regex"));
        assert_eq!(found, ["line 2: \"DEBUG = True\""]);
        let found = findings(settings, &Wanted::read("DEBUG").expect("text"));
        assert_eq!(found.len(), 2);
        assert_eq!(found[1], "line 3: \"# DEBUG = False\"");
    }

    #[test]
    fn links_resolve_from_their_folder() {
        let link = Path::new("/srv/app/current");
        assert_eq!(
            resolved(link, Path::new("releases/7")),
            Path::new("/srv/app/releases/7")
        );
        assert_eq!(
            resolved(link, Path::new("./releases/7/")),
            Path::new("/srv/app/releases/7")
        );
        assert_eq!(
            resolved(link, Path::new("../app/releases/7")),
            Path::new("/srv/app/releases/7")
        );
        assert_eq!(resolved(link, Path::new("/opt/7")), Path::new("/opt/7"));
        assert_eq!(resolved(link, Path::new("../../../../x")), Path::new("/x"));
    }

    #[test]
    fn sizes_name_their_base_and_digests_their_form() {
        assert_eq!(SizeUnit::read("MB").expect("unit").bytes, 1_000_000);
        assert_eq!(SizeUnit::read("mib").expect("unit").bytes, 1_048_576);
        assert_eq!(SizeUnit::read("byte").expect("unit").bytes, 1);
        assert!(SizeUnit::read("MiG").is_err());
        assert_eq!(
            in_unit(612_345_678, SizeUnit::read("MB").expect("unit")),
            "612.3 MB"
        );
        assert_eq!(
            SizeUnit::read("GiB").expect("unit").describe(),
            "1 GiB = 1073741824 bytes"
        );
        assert!(Sha256Digest::read(&"AB".repeat(32)).is_ok());
        assert!(Sha256Digest::read("abc").is_err());
        assert!(Amount::read("-1").is_err());
    }
}
