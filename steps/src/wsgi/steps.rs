//! The WSGI phrases of the step vocabulary.

use shakedown_steps_macros::phrase;

use super::{apache, loader};
use crate::failure::StepFailure;
use crate::probes::bounded;
use crate::world::ShakedownWorld;

/// the interpreter of that virtualenv imports the file and finds a callable `application`
#[phrase(
    "the WSGI file {string} should load with the virtualenv {string}",
    example = "the WSGI file \"/srv/ledger/src/ledger/wsgi.py\" should load with the virtualenv \"/srv/ledger/venv\""
)]
async fn wsgi_file_loads(
    world: &mut ShakedownWorld,
    wsgi_file: String,
    venv: String,
) -> Result<(), StepFailure> {
    let deadline = world.deadline();
    let wsgi_file = world.probe_path(&wsgi_file);
    let venv = world.probe_path(&venv);
    let host = world.host();
    let what = format!("`{}`", venv.display());
    let python = bounded(deadline, &what, loader::interpreter(host, &venv)).await?;
    loader::load(host, &python, &wsgi_file, &venv, deadline).await
}

/// `WSGIScriptAlias`, `python-home`, `python-path` of `WSGIDaemonProcess` all exist
#[phrase(
    "the Apache WSGI configuration {string} should point at existing paths",
    example = "the Apache WSGI configuration \"/etc/apache2/sites-enabled/ledger.conf\" should point at existing paths"
)]
async fn apache_paths_exist(world: &mut ShakedownWorld, site_file: String) -> Result<(), StepFailure> {
    let deadline = world.deadline();
    let site_file = world.probe_path(&site_file);
    // Relative paths inside the site file start where relative paths of the feature do.
    let base = world.probe_path("");
    let check = apache::check(world.host(), &site_file, &base);
    let what = format!("the paths of `{}`", site_file.display());
    bounded(deadline, &what, check).await
}
