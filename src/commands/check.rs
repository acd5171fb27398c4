//! `shakedown check`: checks what a run would check before it starts, touching no server.

use std::path::Path;

use crate::cli::CheckArgs;
use crate::config;
use crate::error::{Error, exit};
use crate::output::say;
use crate::plan::{self, Checked, Variables};

/// Checks what a run would check before it starts, touching no server: a clean check means the
/// run starts (given an environment to run against).
pub fn check(args: &CheckArgs, working_dir: &Path) -> Result<i32, Error> {
    let config = config::optional(args.selection.config.as_deref(), working_dir)?;
    let variables = Variables::for_check(&args.variables.vars, config.as_ref());
    let Checked { findings, .. } = Checked::load(&args.selection, config.as_ref(), working_dir, &variables)?;
    findings.refuse_invalid()?;
    if config.is_none() {
        say!("shakedown: no `shakedown.toml` found, so the roles the steps name were not checked");
    }
    let totals = &findings.totals;
    findings.warn();
    if !findings.misspelt.is_empty() {
        say!("{}", plan::check::listing(&findings.misspelt));
    }
    if findings.unmatched.is_empty() && findings.misspelt.is_empty() {
        say!(
            "shakedown: {} feature(s), {} scenario(s), {} step(s): every step matches the library",
            totals.features,
            totals.scenarios,
            totals.steps
        );
        return Ok(exit::PASSED);
    }
    if !findings.unmatched.is_empty() {
        say!("{}", plan::check::listing(&findings.unmatched));
        say!(
            "shakedown: {} of {} step(s) match no phrase, or more than one (`shakedown steps` lists them all)",
            findings.unmatched.len(),
            totals.steps
        );
    }
    if !findings.misspelt.is_empty() {
        say!(
            "shakedown: {} line(s) of description look like misspelt steps and would not run",
            findings.misspelt.len()
        );
    }
    Ok(exit::FAILED)
}
