//! Files shakedown reads because a user named them (a password or secret file, a baseline, an
//! NRPE or Nagios file): only regular files, and only up to a bound, so a FIFO named there never
//! hangs a run and `/dev/zero` never fills memory.

use std::fs::File;
use std::io::{self, Read as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use nix::fcntl::OFlag;

/// The bytes of the regular file at `path`, refused when it is anything else or holds more than
/// `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    // Non-blocking: opening a FIFO would otherwise wait for a writer that never comes.
    let file = File::options()
        .read(true)
        .custom_flags(OFlag::O_NONBLOCK.bits())
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "it is not a regular file (a folder, a device, a FIFO or a socket)",
        ));
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it is larger than {limit} bytes, more than such a file ever holds"),
        ));
    }
    Ok(bytes)
}

/// [`read_bounded`] as text; bytes that are not UTF-8 are refused.
pub fn read_text_bounded(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(read_bounded(path, limit)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_read_and_anything_else_or_too_much_is_refused() {
        let folder = tempfile::tempdir().expect("temp dir");
        let file = folder.path().join("password");
        std::fs::write(&file, "hunter2\n").expect("write");
        assert_eq!(read_text_bounded(&file, 64).expect("read"), "hunter2\n");
        assert!(
            read_bounded(&file, 4)
                .expect_err("too long")
                .to_string()
                .contains("larger than 4 bytes")
        );
        let endless = read_bounded(Path::new("/dev/zero"), 1024).expect_err("a device");
        assert!(endless.to_string().contains("not a regular file"), "{endless}");
        let fifo = folder.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
        let started = std::time::Instant::now();
        assert!(read_bounded(&fifo, 64).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
