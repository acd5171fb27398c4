//! The WSGI phrases of the step vocabulary.

use std::path::PathBuf;

use shakedown_steps_macros::phrase;

use super::loader::{self, Call, Outcome};
use super::{apache, applications};
use crate::failure::StepFailure;
use crate::probes::bounded;
use crate::world::ShakedownWorld;

/// The catalogue groups this file's phrases under this domain.
const PHRASE_DOMAIN: &str = "wsgi";

/// the virtualenv's `bin/python` imports the file (its folder, and the folder above in a
/// package, on `sys.path`; started in `/` as mod_wsgi does) and calls its `application` once
/// with an anonymous `GET /`; an exception (a framework imported inside `application` that the
/// virtualenv lacks) or a status of 500 or more fails, a 4xx passes and is noted
#[phrase(
    "the WSGI file {string} should load with the virtualenv {string}",
    example = "the WSGI file \"/srv/ledger/src/ledger/wsgi.py\" should load with the virtualenv \"/srv/ledger/venv\"",
    runs_on_host
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
    let standalone = loader::standalone(host, &wsgi_file, &venv, deadline);
    let (python, folders) = bounded(deadline, &what, standalone).await?;
    let call = Call {
        python,
        wsgi_file,
        folders,
        working_folder: PathBuf::from("/"),
        site: world.site().base_url.clone(),
        mount: "/".to_owned(),
        start_in: world.probe_folder(),
        env_remove: world.sessions().password_variables(),
    };
    match loader::call(host, &call, deadline).await? {
        Outcome::Answered(status) => {
            world.note(loader::answered(&call, &status));
            Ok(())
        }
        Outcome::Broken(broken) => Err(broken.failure(format!(
            "the WSGI file `{}` {} with the virtualenv `{}`",
            call.wsgi_file.display(),
            broken.what,
            venv.display()
        ))),
    }
}

/// `WSGIScriptAlias`, `python-home`, `python-path` of `WSGIDaemonProcess`, `WSGIPythonHome`,
/// `WSGIPythonPath`, and the targets of `Alias` / `ScriptAlias` all exist
#[phrase(
    "the Apache WSGI configuration {string} should point at existing paths",
    example = "the Apache WSGI configuration \"/etc/apache2/sites-enabled/ledger.conf\" should point at existing paths",
    runs_on_host
)]
async fn apache_paths_exist(world: &mut ShakedownWorld, site_file: String) -> Result<(), StepFailure> {
    let deadline = world.deadline();
    let site_file = world.probe_path(&site_file);
    // Relative paths inside the site file start where relative paths of the feature do.
    let base = world.probe_path("");
    let check = apache::check(world.host(), &site_file, &base, deadline);
    let what = format!("the paths of `{}`", site_file.display());
    bounded(deadline, &what, check).await
}

/// each `WSGIScriptAlias` runs as mod_wsgi runs it (its daemon process's `python-home`,
/// `python-path` and `home`, or `WSGIPythonHome` / `WSGIPythonPath` in embedded mode): the file
/// is imported and its `application` called once with an anonymous `GET /` for the virtual
/// host's `ServerName`; an exception or a status of 500 or more fails, a 4xx passes and is noted
#[phrase(
    "the Apache WSGI configuration {string} should load its applications",
    example = "the Apache WSGI configuration \"/etc/apache2/sites-enabled/ledger.conf\" should load its applications",
    runs_on_host
)]
async fn apache_applications_load(world: &mut ShakedownWorld, site_file: String) -> Result<(), StepFailure> {
    let deadline = world.deadline();
    let site_file = world.probe_path(&site_file);
    let setting = applications::Setting {
        base: world.probe_path(""),
        fallback: world.site().base_url.clone(),
        start_in: world.probe_folder(),
        env_remove: world.sessions().password_variables(),
    };
    let notes = applications::check(world.host(), &site_file, &setting, deadline).await?;
    for note in notes {
        world.note(note);
    }
    Ok(())
}
