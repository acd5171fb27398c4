//! `shakedown completions SHELL`: the shell's completion script for every command and option,
//! generated from the same definition clap parses with, so it never lists a stale option.

use clap::CommandFactory as _;

use crate::cli::Cli;
use crate::error::{Error, exit};
use crate::output;

pub fn print(shell: clap_complete::Shell) -> Result<i32, Error> {
    let mut command = Cli::command();
    let name = command.get_name().to_owned();
    clap_complete::generate(shell, &mut command, name, &mut output::Stdout);
    Ok(exit::PASSED)
}
