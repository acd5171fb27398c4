//! Standard output and standard error that a reader going away cannot break. `shakedown steps |
//! head` and `shakedown run … | head -1` close the pipe early; the command then goes on without
//! printing (a run still finishes, writes its reports and its audit line) and ends with its own
//! exit code, never a panic (70) or a report error (2). Whatever reaches them is shown, never
//! obeyed: a control character or a bidirectional override from a page, a server's answer, a
//! scenario name or a record is written escaped (`\u{1b}`), so no source can move the cursor,
//! retitle the terminal or reorder a line.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};

use shakedown_steps::acts_on_terminal;
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
    /// Writes all of `buf`, shown safe: every caller hands over whole text (a reporter's
    /// buffer, a formatted fragment), so nothing is cut inside a character.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed.load(Ordering::Relaxed) {
            return Ok(buf.len());
        }
        let text = String::from_utf8_lossy(buf);
        let written = self.stream.write_all(shown_safe(&text).as_bytes());
        self.swallow_closed(written.map(|()| buf.len()), buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed.load(Ordering::Relaxed) {
            return Ok(());
        }
        let flushed = self.stream.flush();
        self.swallow_closed(flushed, ())
    }
}

/// Whether a terminal would act on `c` where shakedown means it to be shown: line ends and
/// tabs are the layout of the output itself.
fn obeyed(c: char) -> bool {
    acts_on_terminal(c) && !matches!(c, '\n' | '\t')
}

/// `text` with every character a terminal would act on written out as an escape; line ends
/// and tabs stay. The reports a browser or a CI server shows are written through it too: a
/// bidirectional override reorders a web page as it reorders a terminal line.
pub(crate) fn shown_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(obeyed) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match obeyed(c) {
            true => shown.extend(c.escape_unicode()),
            false => shown.push(c),
        }
    }
    Cow::Owned(shown)
}

/// JSON text whose strings hold only what a terminal shows: the characters [`shown_safe`]
/// would escape are written as JSON's own `\uXXXX` escapes, so the document stays valid JSON.
pub(crate) fn json_shown_safe(json: &str) -> String {
    let mut shown = String::with_capacity(json.len());
    for c in json.chars() {
        match obeyed(c) {
            true => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    shown.push_str(&format!("\\u{unit:04x}"));
                }
            }
            false => shown.push(c),
        }
    }
    shown
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
    fn what_a_terminal_would_obey_is_written_escaped() {
        assert_eq!(
            shown_safe("page \u{1b}]0;owned\u{7} said\r\u{8}\u{9b}2J \u{202e}evil\n\tok"),
            "page \\u{1b}]0;owned\\u{7} said\\u{d}\\u{8}\\u{9b}2J \\u{202e}evil\n\tok"
        );
        assert!(matches!(shown_safe("plain\n"), Cow::Borrowed(_)));
        let json = json_shown_safe("{\"name\": \"a\u{85}b\u{202e}c\"}");
        assert_eq!(json, "{\"name\": \"a\\u0085b\\u202ec\"}");
        let parsed: serde_json::Value = serde_json::from_str(&json).expect("still JSON");
        assert_eq!(parsed["name"], "a\u{85}b\u{202e}c");
    }

    #[test]
    fn other_write_errors_still_reach_the_caller() {
        static CLOSED: AtomicBool = AtomicBool::new(false);
        let mut pipe = Pipe::new(Full, &CLOSED);
        assert!(writeln!(pipe, "line").is_err());
        assert!(!CLOSED.load(Ordering::Relaxed));
    }
}
