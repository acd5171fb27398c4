//! Writing `init`'s files all or nothing: every target is looked at before anything is written,
//! and each is created only if it still does not exist, so nothing a person wrote is replaced.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// A file `init` means to write, relative to the folder it runs in.
#[derive(Debug)]
pub struct Planned {
    pub path: PathBuf,
    pub text: String,
}

/// Refuses when any of `paths` exists (a dangling link counts: writing through it would land
/// somewhere else).
pub fn refuse_existing<'a>(folder: &Path, paths: impl IntoIterator<Item = &'a Path>) -> Result<(), Error> {
    for path in paths {
        if folder.join(path).symlink_metadata().is_ok() {
            return Err(Error::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// Writes every planned file, after checking once more that none exists.
pub fn write_all(folder: &Path, planned: &[Planned]) -> Result<(), Error> {
    refuse_existing(folder, planned.iter().map(|file| file.path.as_path()))?;
    for file in planned {
        let target = folder.join(&file.path);
        let cannot_write = |source| Error::Io {
            what: format!("cannot write `{}`", file.path.display()),
            source,
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(cannot_write)?;
        }
        let mut created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(|source| match source.kind() {
                std::io::ErrorKind::AlreadyExists => Error::AlreadyExists {
                    path: file.path.clone(),
                },
                _ => cannot_write(source),
            })?;
        created.write_all(file.text.as_bytes()).map_err(cannot_write)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_written_when_one_target_exists() {
        let folder = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(folder.path().join("features")).expect("folder");
        std::fs::write(folder.path().join("features/smoke.feature"), "mine").expect("write");
        let planned = [
            Planned {
                path: "shakedown.toml".into(),
                text: "new".into(),
            },
            Planned {
                path: "features/smoke.feature".into(),
                text: "new".into(),
            },
        ];
        let refused = write_all(folder.path(), &planned).expect_err("refused");
        assert_eq!(refused.to_string(), "`features/smoke.feature` already exists");
        assert!(!folder.path().join("shakedown.toml").exists());
        assert_eq!(
            std::fs::read_to_string(folder.path().join("features/smoke.feature")).expect("read"),
            "mine"
        );
    }

    #[test]
    fn every_planned_file_is_written_with_its_folders() {
        let folder = tempfile::tempdir().expect("temp dir");
        let planned = [Planned {
            path: "features/monitoring.feature".into(),
            text: "Feature: x\n".into(),
        }];
        write_all(folder.path(), &planned).expect("written");
        assert_eq!(
            std::fs::read_to_string(folder.path().join("features/monitoring.feature")).expect("read"),
            "Feature: x\n"
        );
    }
}
