//! Standard output and standard error that a reader going away cannot break. `shakedown steps |
//! head` and `shakedown run … | head -1` close the pipe early; the command then goes on without
//! printing (a run still finishes, writes its reports and its audit line) and ends with its own
//! exit code, never a panic (70) or a report error (2).

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output's reader has gone: later lines are dropped without a system call.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
/// The same for standard error.
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// A line on standard output, as `println!` would print it.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::line_to_stdout(format_args!($($arg)*))
    };
}

/// A line on standard error, as `eprintln!` would print it.
macro_rules! tell {
    ($($arg:tt)*) => {
        $crate::output::line_to_stderr(format_args!($($arg)*))
    };
}

pub(crate) use {say, tell};

pub(crate) fn line_to_stdout(line: fmt::Arguments<'_>) {
    let _ = writeln!(Stdout, "{line}");
}

pub(crate) fn line_to_stderr(line: fmt::Arguments<'_>) {
    let _ = writeln!(Pipe::new(io::stderr(), &STDERR_CLOSED), "{line}");
}

/// Standard output for reporters: a closed pipe is the end of the reader's interest, not an
/// error of the run. Other errors (a full disk behind a redirection) still reach the caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Pipe::new(io::stdout(), &STDOUT_CLOSED).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Pipe::new(io::stdout(), &STDOUT_CLOSED).flush()
    }
}

/// A stream whose closing by its reader is remembered in `closed` and swallowed.
struct Pipe<W> {
    stream: W,
    closed: &'static AtomicBool,
}

impl<W: Write> Pipe<W> {
    fn new(stream: W, closed: &'static AtomicBool) -> Self {
        Self { stream, closed }
    }

    fn swallow_closed<T>(&self, result: io::Result<T>, otherwise: T) -> io::Result<T> {
        match result {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.closed.store(true, Ordering::Relaxed);
                Ok(otherwise)
            }
            other => other,
        }
    }
}

impl<W: Write> Write for Pipe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed.load(Ordering::Relaxed) {
            return Ok(buf.len());
        }
        let written = self.stream.write(buf);
        self.swallow_closed(written, buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let flushed = self.stream.flush();
        self.swallow_closed(flushed, ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream whose reader has gone.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
    }

    /// A stream that fails for another reason.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::StorageFull))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_remembered_and_later_writes_are_dropped() {
        static CLOSED: AtomicBool = AtomicBool::new(false);
        let mut pipe = Pipe::new(Closed, &CLOSED);
        assert!(writeln!(pipe, "first").is_ok());
        assert!(CLOSED.load(Ordering::Relaxed));
        assert!(writeln!(pipe, "second").is_ok());
        assert!(pipe.flush().is_ok());
    }

    #[test]
    fn other_write_errors_still_reach_the_caller() {
        static CLOSED: AtomicBool = AtomicBool::new(false);
        let mut pipe = Pipe::new(Full, &CLOSED);
        assert!(writeln!(pipe, "line").is_err());
        assert!(!CLOSED.load(Ordering::Relaxed));
    }
}
