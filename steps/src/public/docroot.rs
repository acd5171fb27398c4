//! The web root read on the server itself, where a host names its `docroot`: every dotfile,
//! backup and editor file, dump, archive and version-control folder on disk, found by one
//! bounded `find` over the host seam and mapped to the address the site would serve it at, so
//! the exposure check asks for what is there rather than only for names on a list.

use std::path::Path;

use url::Url;

use super::exposure::Candidate;
use crate::deadline::Deadline;
use crate::failure::FailureKind;
use crate::machine::{Host, Invocation, RunError};

/// Folders below the web root looked into.
const MAX_DEPTH: usize = 8;
/// Files on disk asked for; more are counted as not asked.
pub(super) const MAX_FILES: usize = 200;

/// Names of files a web root should not hold: backups, editor files, dumps and archives.
const PRIVATE_NAMES: &[&str] = &[
    "*.bak", "*~", "*.swp", "*.swo", "*.orig", "*.old", "*.save", "*.sql", "*.sql.gz", "*.zip", "*.tar",
    "*.tar.gz", "*.tgz",
];

/// Version-control folders, listed as a whole, and the files in them a site serving the folder
/// would give away first.
const REPOSITORIES: &[(&str, &[&str])] = &[
    (".git", &["HEAD", "config"]),
    (".svn", &["entries", "wc.db"]),
    (".hg", &["requires"]),
    (".bzr", &["branch-format"]),
];

/// What the listing found, and what it could not tell.
#[derive(Debug, Default)]
pub(super) struct OnDisk {
    pub candidates: Vec<Candidate>,
    /// Why the listing is not whole, when it is not, and the kind of trouble.
    pub incomplete: Option<(String, FailureKind)>,
}

/// Lists `docroot` on `host` and maps each private-looking file to its address under `site`.
pub(super) async fn private_files(host: &dyn Host, docroot: &Path, site: &Url, deadline: Deadline) -> OnDisk {
    let where_ = format!("`{}` on {}", docroot.display(), host.name());
    let (listing, incomplete) = match host.run(&find(docroot), deadline).await {
        Ok(finished) if finished.code == Some(0) && !finished.output_cut => (finished.stdout, None),
        Ok(finished) if finished.output_cut => (
            finished.stdout,
            Some((
                format!(
                    "the listing of {where_} was longer than shakedown reads: files past it were not asked for"
                ),
                FailureKind::Assertion,
            )),
        ),
        Ok(finished) => {
            let why = format!(
                "{where_} could not be listed whole ({}): {}",
                finished.describe_status(),
                crate::text::quoted(finished.stderr.lines().next().unwrap_or_default())
            );
            let kind = match finished.stdout.is_empty() {
                true => FailureKind::Configuration,
                false => FailureKind::Assertion,
            };
            (finished.stdout, Some((why, kind)))
        }
        Err(RunError::TimedOut { stdout, .. }) => (
            stdout,
            Some((
                format!("the listing of {where_} did not end within {deadline}"),
                FailureKind::Timeout,
            )),
        ),
        Err(RunError::NotFound) => (
            String::new(),
            Some((
                format!("{where_} cannot be listed: `find` is not installed there"),
                FailureKind::Configuration,
            )),
        ),
        Err(RunError::Start(error)) => (
            String::new(),
            Some((
                format!("{where_} cannot be listed: {error}"),
                FailureKind::Configuration,
            )),
        ),
    };
    OnDisk {
        candidates: candidates(&listing, docroot, &host.name(), site),
        incomplete,
    }
}

/// `find . -maxdepth N` in the web root: version-control folders (not looked into), and every
/// other file that is a dotfile, in a dot folder, or named like a backup, dump or archive.
/// `.well-known` is public on purpose and left out.
fn find(docroot: &Path) -> Invocation {
    let mut args: Vec<String> = [
        ".",
        "-maxdepth",
        &MAX_DEPTH.to_string(),
        "(",
        "-name",
        ".well-known",
        "-prune",
        ")",
        "-o",
        "(",
        "-type",
        "d",
        "(",
    ]
    .iter()
    .map(|arg| (*arg).to_owned())
    .collect();
    args.extend(alternatives("-name", REPOSITORIES.iter().map(|(name, _)| *name)));
    args.extend(
        [
            ")", "-prune", "-print0", ")", "-o", "(", "!", "-type", "d", "(", "-path", "*/.*", "-o",
        ]
        .map(str::to_owned),
    );
    args.extend(alternatives("-name", PRIVATE_NAMES.iter().copied()));
    args.extend([")", "-print0", ")"].map(str::to_owned));
    Invocation {
        program: "find".into(),
        args,
        cwd: Some(docroot.to_path_buf()),
        ..Invocation::default()
    }
}

/// `-name a -o -name b …`
fn alternatives<'a>(test: &'a str, patterns: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut args = Vec::new();
    for pattern in patterns {
        if !args.is_empty() {
            args.push("-o".to_owned());
        }
        args.extend([test.to_owned(), pattern.to_owned()]);
    }
    args
}

/// The addresses of what `find` printed (`./.env\0./.git\0`), a repository by the files in it
/// that give it away, each with the file on disk it stands for.
fn candidates(listing: &str, docroot: &Path, host: &str, site: &Url) -> Vec<Candidate> {
    listing
        .split('\0')
        .filter_map(|entry| entry.strip_prefix("./"))
        .filter(|entry| !entry.is_empty())
        .flat_map(|entry| {
            let name = entry.rsplit('/').next().unwrap_or(entry);
            let inside: Vec<String> = match REPOSITORIES.iter().find(|(repository, _)| *repository == name) {
                Some((_, files)) => files.iter().map(|file| format!("{entry}/{file}")).collect(),
                None => vec![entry.to_owned()],
            };
            inside.into_iter().filter_map(|relative| {
                let url = address_of(site, &relative)?;
                Some(Candidate {
                    url,
                    because: Some(format!("on {host} at {}", docroot.join(&relative).display())),
                })
            })
        })
        .collect()
}

/// Where the site serves the file at `relative` (`app/.env`) of its web root: under the base
/// URL, each segment percent-encoded.
fn address_of(site: &Url, relative: &str) -> Option<Url> {
    let mut url = site.clone();
    url.set_query(None);
    url.set_fragment(None);
    {
        let mut segments = url.path_segments_mut().ok()?;
        segments.pop_if_empty();
        segments.extend(relative.split('/'));
    }
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::machine::LocalHost;

    #[tokio::test]
    async fn a_local_web_root_is_listed_for_dotfiles_backups_dumps_archives_and_repositories() {
        let root = tempfile::tempdir().expect("temp dir");
        let write = |path: &str| {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
            std::fs::write(path, "x").expect("write");
        };
        for path in [
            ".env",
            "index.php",
            "index.php.bak",
            "static/app.js",
            "static/app.js~",
            "db/dump.sql.gz",
            "releases/site.tar.gz",
            ".git/HEAD",
            ".git/objects/ab/cdef",
            ".idea/workspace.xml",
            ".well-known/security.txt",
            "my files/notes.old",
        ] {
            write(path);
        }
        let site = Url::parse("http://site.test/app/").expect("url");
        let deadline = Deadline::after(std::time::Duration::from_secs(10), crate::deadline::Limit::Step);
        let found = private_files(&LocalHost, root.path(), &site, deadline).await;
        assert!(found.incomplete.is_none(), "{:?}", found.incomplete);
        let mut paths: Vec<String> = found
            .candidates
            .iter()
            .map(|candidate| candidate.url.path().to_owned())
            .collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "/app/.env",
                "/app/.git/HEAD",
                "/app/.git/config",
                "/app/.idea/workspace.xml",
                "/app/db/dump.sql.gz",
                "/app/index.php.bak",
                "/app/my%20files/notes.old",
                "/app/releases/site.tar.gz",
                "/app/static/app.js~",
            ]
        );
        let missing = private_files(&LocalHost, &root.path().join("nowhere"), &site, deadline).await;
        let (why, kind) = missing.incomplete.expect("a missing web root is no listing");
        assert_eq!(kind, FailureKind::Configuration);
        assert!(why.contains("cannot be listed"), "{why}");
    }
}
