//! What a machine says of its processes, as `/proc` shows them, here or on a server.

/// A running process as `/proc` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    /// The kernel's name for it (`/proc/PID/comm`, at most 15 characters).
    pub comm: String,
    /// Its arguments (`/proc/PID/cmdline`); empty for kernel threads.
    pub args: Vec<String>,
    /// The program file it runs (`/proc/PID/exe`); `None` where the host cannot read it: another
    /// user's process without root, a kernel thread, or a server over SSH.
    pub exe: Option<String>,
}

/// `cmdline` is NUL-separated, with a trailing NUL.
pub(super) fn parse_cmdline(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|byte| *byte == 0)
        .filter(|arg| !arg.is_empty())
        .map(|arg| String::from_utf8_lossy(arg).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdline_is_split_at_nul_bytes() {
        assert_eq!(
            parse_cmdline(b"/usr/sbin/nginx\0-g\0daemon off;\0"),
            ["/usr/sbin/nginx", "-g", "daemon off;"]
        );
        assert!(parse_cmdline(b"").is_empty());
        // setproctitle pads the title it writes over argv with NULs.
        assert_eq!(
            parse_cmdline(b"gunicorn: master [app]\0\0\0\0\0"),
            ["gunicorn: master [app]"]
        );
    }
}
