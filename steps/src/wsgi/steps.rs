//! The WSGI phrases of the step vocabulary.

use cucumber::{given, then, when};

use super::{apache, loader};
use crate::failure::StepFailure;
use crate::probes::{bounded, resolve_path};
use crate::world::ShakedownWorld;

#[given(expr = "the WSGI file {string} should load with the virtualenv {string}")]
#[when(expr = "the WSGI file {string} should load with the virtualenv {string}")]
#[then(expr = "the WSGI file {string} should load with the virtualenv {string}")]
async fn wsgi_file_loads(
    world: &mut ShakedownWorld,
    wsgi_file: String,
    venv: String,
) -> Result<(), StepFailure> {
    let config_dir = &world.settings().config_dir;
    let wsgi_file = resolve_path(config_dir, &wsgi_file);
    let venv = resolve_path(config_dir, &venv);
    let host = world.run().host.as_ref();
    let what = format!("`{}`", venv.display());
    let python = bounded(world.time_budget(), &what, loader::interpreter(host, &venv)).await?;
    loader::load(host, &python, &wsgi_file, &venv, world.time_budget()).await
}

#[given(expr = "the Apache WSGI configuration {string} should point at existing paths")]
#[when(expr = "the Apache WSGI configuration {string} should point at existing paths")]
#[then(expr = "the Apache WSGI configuration {string} should point at existing paths")]
async fn apache_paths_exist(world: &mut ShakedownWorld, site_file: String) -> Result<(), StepFailure> {
    let config_dir = world.settings().config_dir.clone();
    let site_file = resolve_path(&config_dir, &site_file);
    let check = apache::check(world.run().host.as_ref(), &site_file, &config_dir);
    let what = format!("the paths of `{}`", site_file.display());
    bounded(world.time_budget(), &what, check).await
}
