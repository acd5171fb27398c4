//! `shakedown demo --out DIR` writes only where it may: a new or empty folder, or one an earlier
//! demo made (it holds `.shakedown-demo`, the list of what that demo wrote), and there only over
//! its own files. A folder of the user's is refused, never cleaned. Nothing is written, removed
//! or listed through a symbolic link planted in the folder, and the list names only paths inside
//! it, whatever a forged list says.

use std::collections::BTreeSet;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::error::Error;

/// The demo's own list of what it wrote, one relative path a line.
const MARKER: &str = ".shakedown-demo";

/// What the run and the demo site write into the folder besides the bundle.
const OUTPUTS: &[&str] = &[
    "state",
    "junit.xml",
    "report.html",
    "screenshots",
    "apt.log",
    super::CERTIFICATE_FILE,
];

/// The `--out` folder, claimed for this demo.
#[derive(Debug)]
pub struct OutFolder {
    root: PathBuf,
    /// What an earlier demo wrote here.
    earlier: BTreeSet<PathBuf>,
    /// What this demo writes.
    written: BTreeSet<PathBuf>,
}

impl OutFolder {
    /// Claims `root`, creating it when missing; refuses a folder holding anything no demo wrote.
    pub fn claim(root: &Path) -> Result<Self, Error> {
        let io_error = |source| Error::Io {
            what: format!("cannot prepare the demo folder `{}`", root.display()),
            source,
        };
        let refuse = |problem: String| Error::InvalidValue {
            what: "--out",
            value: root.display().to_string(),
            problem,
        };
        if root.exists() && !root.is_dir() {
            return Err(refuse("it is not a folder".into()));
        }
        std::fs::create_dir_all(root).map_err(io_error)?;
        let earlier = match std::fs::read_to_string(root.join(MARKER)) {
            // A list anyone could have written: only plain relative paths inside the folder.
            Ok(list) => list
                .lines()
                .map(PathBuf::from)
                .filter(|path| is_inside(path))
                .collect(),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let first = std::fs::read_dir(root).map_err(io_error)?.find_map(Result::ok);
                if let Some(entry) = first {
                    return Err(refuse(format!(
                        "it holds files `shakedown demo` did not write (`{}`); give a new or empty folder",
                        entry.file_name().to_string_lossy()
                    )));
                }
                BTreeSet::new()
            }
            Err(error) => return Err(io_error(error)),
        };
        if let Some(link) = OUTPUTS
            .iter()
            .find_map(|output| link_on_the_way(root, Path::new(output)))
        {
            return Err(refuse(format!(
                "`{}` is a symbolic link; the demo writes nothing through one",
                link.display()
            )));
        }
        let folder = Self {
            root: root.to_owned(),
            earlier,
            written: BTreeSet::new(),
        };
        // Recorded at once: the site writes its state before the bundle is in place.
        folder.record().map_err(io_error)?;
        Ok(folder)
    }

    /// Where to write `relative`, once it is known not to be a file of the user's.
    pub fn place(&mut self, relative: impl AsRef<Path>) -> io::Result<PathBuf> {
        let relative = relative.as_ref().to_owned();
        let path = self.root.join(&relative);
        if let Some(link) = link_on_the_way(&self.root, &relative) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "`{}` is a symbolic link; the demo writes nothing through one",
                    link.display()
                ),
            ));
        }
        if path.symlink_metadata().is_ok() && !self.earlier.contains(&relative) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "`{}` was not written by `shakedown demo`; it is left as it is",
                    path.display()
                ),
            ));
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        self.written.insert(relative);
        Ok(path)
    }

    /// Removes what an earlier demo wrote and this one did not (a feature no longer bundled),
    /// and records what this one wrote.
    pub fn finish(mut self) -> io::Result<()> {
        for stale in self.earlier.difference(&self.written) {
            if link_on_the_way(&self.root, stale).is_none() {
                let _ = std::fs::remove_file(self.root.join(stale));
            }
        }
        self.earlier = std::mem::take(&mut self.written);
        self.record()
    }

    fn record(&self) -> io::Result<()> {
        let list: Vec<String> = self
            .earlier
            .iter()
            .chain(&self.written)
            .map(|path| path.display().to_string())
            .chain(OUTPUTS.iter().map(|output| (*output).to_owned()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let text = list.join("\n") + "\n";
        shakedown_steps::written::replace_file(&self.root.join(MARKER), text.as_bytes())
    }
}

/// Whether `path` is a plain relative path that stays inside the folder: no `..`, no root.
fn is_inside(path: &Path) -> bool {
    path.components().all(|part| matches!(part, Component::Normal(_)))
}

/// The first symbolic link met on the way from `root` to `root/relative`, the end included.
fn link_on_the_way(root: &Path, relative: &Path) -> Option<PathBuf> {
    let mut path = root.to_path_buf();
    relative.components().find_map(|part| {
        path.push(part);
        path.symlink_metadata()
            .is_ok_and(|metadata| metadata.file_type().is_symlink())
            .then(|| path.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_of_the_users_is_refused_and_left_as_it_was() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("notes.txt"), "mine").expect("write");
        let error = OutFolder::claim(dir.path()).expect_err("refused");
        assert!(error.to_string().contains("--out"), "{error}");
        assert!(format!("{error}").contains("notes.txt"), "{error}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("notes.txt")).expect("kept"),
            "mine"
        );
        assert!(!dir.path().join(MARKER).exists());
    }

    #[test]
    fn a_demo_folder_is_rewritten_but_a_file_the_user_added_is_not() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("demo");
        let mut first = OutFolder::claim(&root).expect("a new folder");
        std::fs::write(first.place("features/a.feature").expect("ours"), "a").expect("write");
        std::fs::write(first.place("features/old.feature").expect("ours"), "old").expect("write");
        first.finish().expect("recorded");
        std::fs::write(root.join("features/mine.feature"), "mine").expect("write");

        let mut second = OutFolder::claim(&root).expect("a demo folder");
        std::fs::write(second.place("features/a.feature").expect("ours"), "a2").expect("write");
        let refused = second.place("features/mine.feature").expect_err("the user's");
        assert!(refused.to_string().contains("mine.feature"), "{refused}");
        second.finish().expect("recorded");
        assert_eq!(
            std::fs::read_to_string(root.join("features/a.feature")).expect("a"),
            "a2"
        );
        assert_eq!(
            std::fs::read_to_string(root.join("features/mine.feature")).expect("kept"),
            "mine"
        );
        assert!(
            !root.join("features/old.feature").exists(),
            "a stale bundled feature stays"
        );
    }

    #[test]
    fn nothing_is_written_or_removed_through_a_planted_link_or_a_forged_list() {
        let dir = tempfile::tempdir().expect("temp dir");
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).expect("folder");
        std::fs::write(elsewhere.join("precious.txt"), "precious").expect("write");
        let root = dir.path().join("demo");
        let first = OutFolder::claim(&root).expect("a new folder");
        first.finish().expect("recorded");

        // A forged list names a file outside the folder, and the bundle's folder is a link.
        std::fs::write(
            root.join(MARKER),
            format!(
                "../elsewhere/precious.txt\n{}\nfeatures\n",
                elsewhere.join("precious.txt").display()
            ),
        )
        .expect("forge");
        std::os::unix::fs::symlink(&elsewhere, root.join("features")).expect("symlink");
        let mut second = OutFolder::claim(&root).expect("a demo folder");
        let refused = second.place("features/precious.txt").expect_err("through a link");
        assert!(refused.to_string().contains("symbolic link"), "{refused}");
        second.finish().expect("recorded");
        assert_eq!(
            std::fs::read_to_string(elsewhere.join("precious.txt")).expect("kept"),
            "precious"
        );
        let list = std::fs::read_to_string(root.join(MARKER)).expect("list");
        assert!(!list.contains("elsewhere"), "{list}");

        // A link where the run writes its outputs is refused before anything runs.
        std::os::unix::fs::symlink(&elsewhere, root.join("screenshots")).expect("symlink");
        let error = OutFolder::claim(&root).expect_err("a planted output link");
        assert!(error.to_string().contains("symbolic link"), "{error}");
    }
}
