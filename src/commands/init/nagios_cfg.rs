//! Nagios' main configuration file (`nagios.cfg`): the object files it names with `cfg_file`
//! and `cfg_dir` (every `.cfg` file below the folder) and its `resource_file`, found as Nagios
//! finds them, so `--from-nagios /etc/nagios4/nagios.cfg` imports what Nagios itself runs.

use std::path::{Path, PathBuf};

use super::monitoring::Skipped;

/// What a main configuration file points at, in the order it names it.
#[derive(Debug, Default)]
pub struct MainConfig {
    /// Each object file with the `file:line` of the `cfg_file` or `cfg_dir` naming it.
    pub object_files: Vec<(PathBuf, String)>,
    pub resource_file: Option<PathBuf>,
    /// A `cfg_dir` that cannot be listed, with the reason.
    pub unreadable: Vec<Skipped>,
}

/// Whether `text` is a main configuration file rather than an object file: it names object
/// files or a resource file with `key=value` lines.
pub fn is_main_config(text: &str) -> bool {
    text.lines().map(str::trim).any(|line| {
        ["cfg_file=", "cfg_dir=", "resource_file="]
            .iter()
            .any(|key| line.starts_with(key))
    })
}

/// The files `text`, the main configuration file at `path` (`name` in messages), points at; a
/// relative path is taken from the file's folder, as Nagios takes it.
pub fn read(path: &Path, name: &str, text: &str) -> MainConfig {
    let folder = path.parent().unwrap_or(Path::new("."));
    let mut config = MainConfig::default();
    for (index, line) in text.lines().enumerate() {
        let Some((key, value)) = line.trim().split_once('=') else {
            continue;
        };
        let target = folder.join(value.trim());
        let origin = format!("{name}:{}", index + 1);
        match key.trim() {
            "cfg_file" => config.object_files.push((target, origin)),
            "cfg_dir" => match object_files_below(&target, DEEPEST_FOLDER) {
                Ok(files) => config
                    .object_files
                    .extend(files.into_iter().map(|file| (file, origin.clone()))),
                Err(error) => config.unreadable.push(Skipped {
                    name: format!("cfg_dir={}", value.trim()),
                    origin,
                    reason: format!("the folder cannot be read ({error}): its object files are not imported"),
                }),
            },
            "resource_file" => config.resource_file = Some(target),
            _ => {}
        }
    }
    config
}

/// How deep a `cfg_dir` is followed: far beyond any real configuration, and a loop of symbolic
/// links ends here.
const DEEPEST_FOLDER: usize = 16;

/// Every `.cfg` file below `folder`, by name, as Nagios reads a `cfg_dir`.
fn object_files_below(folder: &Path, depth: usize) -> std::io::Result<Vec<PathBuf>> {
    if depth == 0 {
        return Ok(Vec::new());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(folder)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    let mut files = Vec::new();
    for entry in entries {
        if entry.is_dir() {
            files.extend(object_files_below(&entry, depth - 1)?);
        } else if entry.extension().is_some_and(|extension| extension == "cfg") {
            files.push(entry);
        }
    }
    Ok(files)
}
