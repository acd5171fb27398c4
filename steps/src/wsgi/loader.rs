//! Loading a WSGI file the way mod_wsgi does: by path, with the virtualenv's own interpreter,
//! and looking for a callable `application`. The Python side is a short script passed with
//! `-c`; its verdict comes back as one marked line and its exit status.

use std::path::{Path, PathBuf};

use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::probes::{CommandRun, Host, Invocation};
use crate::text::{self, Keep, humanize};

/// Marks the script's own verdict line in the interpreter's output.
const MARK: &str = "SHAKEDOWN-WSGI:";

/// Imports the file named by `sys.argv[1]` as a module, under a name of its own (as mod_wsgi
/// does), with its folder on `sys.path` and the folder above it too when the file sits in a
/// package (a Django project's `mysite/wsgi.py`). Exit status 0: a callable `application`;
/// 3: none; 4: not callable; an exception ends it with Python's traceback (status 1).
const SCRIPT: &str = r#"
import importlib.machinery, importlib.util, os, sys
path = os.path.abspath(sys.argv[1])
folder = os.path.dirname(path)
sys.path.insert(0, folder)
if os.path.exists(os.path.join(folder, "__init__.py")):
    sys.path.insert(0, os.path.dirname(folder))
loader = importlib.machinery.SourceFileLoader("_shakedown_wsgi_probe", path)
spec = importlib.util.spec_from_loader(loader.name, loader)
module = importlib.util.module_from_spec(spec)
sys.modules[loader.name] = module
loader.exec_module(module)
application = getattr(module, "application", None)
if application is None:
    print("SHAKEDOWN-WSGI: no `application` is defined")
    sys.exit(3)
if not callable(application):
    print("SHAKEDOWN-WSGI: `application` is a %s, which cannot be called" % type(application).__name__)
    sys.exit(4)
print("SHAKEDOWN-WSGI: application is %r" % (application,))
"#;

/// The interpreter of a virtualenv, or a failure saying what is wrong with the virtualenv.
pub(crate) async fn interpreter(host: &dyn Host, venv: &Path) -> Result<PathBuf, StepFailure> {
    let python = venv.join("bin/python");
    if host.metadata(&python).await.is_ok_and(|facts| facts.executable) {
        return Ok(python);
    }
    let reason = match host.metadata(venv).await {
        Err(_) => format!("the virtualenv `{}` does not exist", venv.display()),
        Ok(facts) if !facts.is_dir => format!("`{}` is not a folder, so not a virtualenv", venv.display()),
        Ok(_) => format!(
            "the virtualenv `{}` has no working `bin/python` (missing, not executable, or a link to an interpreter that is gone)",
            venv.display()
        ),
    };
    Err(StepFailure::new(reason).with("looked for", python.display().to_string()))
}

/// The interpreter's invocation that loads `wsgi_file`.
pub(crate) fn invocation(python: &Path, wsgi_file: &Path) -> Invocation {
    Invocation {
        program: python.to_string_lossy().into_owned(),
        // -B: a check must not leave `.pyc` files in the application's folders.
        args: vec![
            "-B".into(),
            "-c".into(),
            SCRIPT.into(),
            wsgi_file.to_string_lossy().into_owned(),
        ],
        cwd: wsgi_file.parent().map(Path::to_path_buf),
        ..Invocation::default()
    }
}

/// Runs the check and reads its verdict.
pub(crate) async fn load(
    host: &dyn Host,
    python: &Path,
    wsgi_file: &Path,
    venv: &Path,
    deadline: Deadline,
) -> Result<(), StepFailure> {
    if let Err(error) = host.metadata(wsgi_file).await {
        return Err(StepFailure::new(format!(
            "the WSGI file `{}` cannot be read: {error}",
            wsgi_file.display()
        )));
    }
    let invocation = invocation(python, wsgi_file);
    let line = format!("{} -B -c <load script> {}", python.display(), wsgi_file.display());
    let run = crate::probes::run_command(host, &line, &invocation, deadline, "the interpreter").await;
    let run = run.map_err(|failure| {
        StepFailure::new(format!(
            "the WSGI file `{}` did not load with the virtualenv `{}`",
            wsgi_file.display(),
            venv.display()
        ))
        .with("reason", failure.to_string())
    })?;
    verdict(&run, wsgi_file, venv)
}

/// Reads what the script printed and how it ended.
pub(crate) fn verdict(run: &CommandRun, wsgi_file: &Path, venv: &Path) -> Result<(), StepFailure> {
    let said = run
        .finished
        .stdout
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix(MARK))
        .map(str::trim);
    let summary = |what: &str| {
        StepFailure::new(format!(
            "the WSGI file `{}` {what} with the virtualenv `{}`",
            wsgi_file.display(),
            venv.display()
        ))
    };
    match (run.finished.code, said) {
        (Some(0), Some(_)) => Ok(()),
        (Some(3 | 4), Some(reason)) => Err(summary("loads but cannot serve").with("reason", reason)),
        _ => {
            let error = last_error_line(&run.finished.stderr);
            let mut failure = summary("does not load");
            if let Some(error) = error {
                failure = failure.with("error", error);
            }
            if !run.finished.stderr.trim().is_empty() {
                // The end of a traceback names the error and where it happened.
                failure = failure.with("traceback", text::for_terminal(&run.finished.stderr, Keep::End));
            }
            Err(failure.with(
                "interpreter",
                format!(
                    "{} ended with {} after {}",
                    venv.join("bin/python").display(),
                    run.finished.describe_status(),
                    humanize(run.finished.elapsed)
                ),
            ))
        }
    }
}

/// The exception line that ends a Python traceback (`ModuleNotFoundError: No module named 'x'`).
fn last_error_line(stderr: &str) -> Option<&str> {
    stderr.lines().rev().map(str::trim).find(|line| !line.is_empty())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::probes::Finished;

    fn ran(code: i32, stdout: &str, stderr: &str) -> CommandRun {
        CommandRun {
            line: "python".into(),
            finished: Finished {
                code: Some(code),
                stdout: stdout.into(),
                stderr: stderr.into(),
                output_cut: false,
                elapsed: Duration::from_millis(80),
            },
        }
    }

    #[test]
    fn the_verdict_line_and_the_traceback_are_read() {
        let file = Path::new("/srv/app/wsgi.py");
        let venv = Path::new("/srv/venv");
        assert!(
            verdict(
                &ran(0, "SHAKEDOWN-WSGI: application is <function application>\n", ""),
                file,
                venv
            )
            .is_ok()
        );
        let none = verdict(
            &ran(3, "SHAKEDOWN-WSGI: no `application` is defined\n", ""),
            file,
            venv,
        )
        .expect_err("none");
        assert!(none.to_string().contains("loads but cannot serve"), "{none}");
        assert!(none.to_string().contains("no `application` is defined"), "{none}");
        let traceback = "Traceback (most recent call last):\n  File \"/srv/app/wsgi.py\", line 3, in <module>\n    import missing_thing\nModuleNotFoundError: No module named 'missing_thing'\n";
        let broken = verdict(&ran(1, "", traceback), file, venv).expect_err("import error");
        let message = broken.to_string();
        assert!(message.contains("error:"), "{message}");
        assert!(
            message.contains("ModuleNotFoundError: No module named 'missing_thing'"),
            "{message}"
        );
        assert!(message.contains("line 3, in <module>"), "{message}");
        // A zero exit without the verdict line (the file called sys.exit(0)) is not a load.
        assert!(verdict(&ran(0, "", ""), file, venv).is_err());
    }
}
