//! Files shakedown writes for its users (reports, the baseline): whole or not at all, through a
//! temporary file beside the target renamed over it, and only where a regular file is or none
//! is. A device (`/dev/null` as root), a FIFO or a socket is never replaced, and a symlink
//! planted at the target is replaced itself, never followed into another file.

use std::io::{self, Write as _};
use std::path::Path;

/// Writes `contents` to `path` whole, or leaves whatever was there untouched.
pub fn replace_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    if let Ok(existing) = std::fs::symlink_metadata(path)
        && !existing.is_file()
        && !existing.is_symlink()
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a regular file (a folder, a device, a FIFO or a socket): only a regular file is ever replaced",
        ));
    }
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    let mut file = tempfile::NamedTempFile::new_in(folder)?;
    file.write_all(contents)?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_replaced_whole_and_a_symlink_is_not_followed() {
        let folder = tempfile::tempdir().expect("temp dir");
        let report = folder.path().join("junit.xml");
        replace_file(&report, b"first").expect("new file");
        replace_file(&report, b"second").expect("replaced");
        assert_eq!(std::fs::read(&report).expect("read"), b"second");
        let elsewhere = folder.path().join("elsewhere.txt");
        std::fs::write(&elsewhere, "precious").expect("write");
        let planted = folder.path().join("planted.xml");
        std::os::unix::fs::symlink(&elsewhere, &planted).expect("symlink");
        replace_file(&planted, b"report").expect("written");
        assert_eq!(std::fs::read_to_string(&elsewhere).expect("read"), "precious");
        assert_eq!(std::fs::read_to_string(&planted).expect("read"), "report");
    }

    #[test]
    fn a_device_or_a_fifo_is_never_replaced() {
        let error = replace_file(Path::new("/dev/null"), b"report").expect_err("a device");
        assert!(error.to_string().contains("not a regular file"), "{error}");
        assert!(Path::new("/dev/null").exists());
        let folder = tempfile::tempdir().expect("temp dir");
        let fifo = folder.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        assert!(replace_file(&fifo, b"report").is_err());
    }
}
