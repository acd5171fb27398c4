//! `shakedown manpage`: the man page (roff), generated from the command line's own definition.
//! A command rather than a build step: the page always matches the binary a user has, and a
//! packager writes it wherever the distribution wants with one redirection, without digging a
//! file out of cargo's build folder.

use clap::CommandFactory as _;

use crate::cli::Cli;
use crate::error::{Error, exit};
use crate::output;

pub fn print() -> Result<i32, Error> {
    clap_mangen::Man::new(Cli::command())
        .render(&mut output::Stdout)
        .map_err(|source| Error::Io {
            what: "cannot write the man page".into(),
            source,
        })?;
    Ok(exit::PASSED)
}
