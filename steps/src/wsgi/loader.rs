//! Running a WSGI file the way mod_wsgi does: by path, with the chosen interpreter and
//! `sys.path` folders, then calling its `application` once with a plain `GET /`. The Python
//! side is one fixed script passed with `-c`; paths and the request reach it as arguments,
//! never as code, and its verdict comes back as marked lines and its exit status.

use std::path::{Path, PathBuf};

use url::Url;

use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::{Host, Invocation};
use crate::probes::CommandRun;
use crate::text::{self, Keep, humanize};

/// Marks the script's own verdict lines in the interpreter's output.
const MARK: &str = "SHAKEDOWN-WSGI:";

/// Arguments: the WSGI file, the site's origin (`https://ledger.example.com`), the mount
/// (`SCRIPT_NAME`), the working folder, then the folders for `sys.path`. Relative paths are
/// made absolute where the interpreter starts, before it moves to the working folder.
///
/// As mod_wsgi does: the folders are added with `site.addsitedir` (their `.pth` files read),
/// `sys.argv` is `['mod_wsgi']`, what the application prints goes to the error stream, and the
/// file is imported under a module name of its own. The call gets an empty `wsgi.input`; the
/// body is read to its end and closed, and the status is reported. `os._exit` ends it without
/// waiting for threads the application started.
///
/// Verdicts: `status <line>` (exit 0), `unusable <reason>` (the file loads, yet nothing can be
/// served), `loaded` (then any exception came from the call); an exception prints Python's
/// traceback from the first frame that is not this script's or the import machinery's, and
/// exits 1.
const SCRIPT: &str = r#"
import importlib.machinery, importlib.util, io, os, site, sys, traceback, urllib.parse
marks = sys.stdout
def mark(text):
    marks.write("SHAKEDOWN-WSGI: %s\n" % " ".join(str(text).split()))
    marks.flush()
def main():
    wsgi_file, origin, script_name, working_folder = sys.argv[1:5]
    wsgi_file = os.path.abspath(wsgi_file)
    folders = [os.path.abspath(folder) for folder in sys.argv[5:]]
    os.chdir(os.path.abspath(working_folder))
    for folder in folders:
        site.addsitedir(folder)
    sys.argv = ["mod_wsgi"]
    sys.stdout = sys.stderr
    loader = importlib.machinery.SourceFileLoader("_shakedown_wsgi_probe", wsgi_file)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    sys.modules[loader.name] = module
    loader.exec_module(module)
    application = getattr(module, "application", None)
    if application is None:
        mark("unusable no `application` is defined")
        return 3
    if not callable(application):
        mark("unusable `application` is a %s, which cannot be called" % type(application).__name__)
        return 4
    mark("loaded")
    request = urllib.parse.urlsplit(origin)
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": script_name,
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "REQUEST_URI": script_name + "/",
        "SERVER_NAME": request.hostname or "localhost",
        "SERVER_PORT": str(request.port or (443 if request.scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": request.netloc,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": request.scheme,
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if request.scheme == "https":
        environ["HTTPS"] = "1"
    statuses = []
    def start_response(status, headers, exc_info=None):
        statuses.append(status)
        return lambda data: None
    body = application(environ, start_response)
    try:
        for chunk in body:
            pass
    finally:
        if hasattr(body, "close"):
            body.close()
    if not statuses:
        mark("unusable the application returned without calling start_response")
        return 5
    mark("status %s" % statuses[-1])
    return 0
try:
    code = main()
except BaseException as error:
    frames = error.__traceback__
    while frames is not None and frames.tb_frame.f_code.co_filename.startswith("<"):
        frames = frames.tb_next
    traceback.print_exception(type(error), error, frames)
    code = 1
sys.stderr.flush()
os._exit(code)
"#;

/// What a WSGI file run on its own with a virtualenv needs: the virtualenv's interpreter and the
/// folders for `sys.path`, or a failure saying what is missing.
pub(crate) async fn standalone(
    host: &dyn Host,
    wsgi_file: &Path,
    venv: &Path,
    deadline: Deadline,
) -> Result<(PathBuf, Vec<PathBuf>), StepFailure> {
    let python = interpreter(host, venv, deadline).await?;
    if let Err(error) = host.metadata(wsgi_file, deadline).await {
        return Err(StepFailure::new(format!(
            "the WSGI file `{}` cannot be read: {error}",
            wsgi_file.display()
        )));
    }
    Ok((python, own_folders(host, wsgi_file, deadline).await))
}

/// The interpreter of a virtualenv, or a failure saying what is wrong with the virtualenv.
async fn interpreter(host: &dyn Host, venv: &Path, deadline: Deadline) -> Result<PathBuf, StepFailure> {
    let python = venv.join("bin/python");
    if host
        .metadata(&python, deadline)
        .await
        .is_ok_and(|facts| facts.executable)
    {
        return Ok(python);
    }
    let reason = match host.metadata(venv, deadline).await {
        Err(_) => format!("the virtualenv `{}` does not exist", venv.display()),
        Ok(facts) if !facts.is_dir => format!("`{}` is not a folder, so not a virtualenv", venv.display()),
        Ok(_) => format!(
            "the virtualenv `{}` has no working `bin/python` (missing, not executable, or a link to an interpreter that is gone)",
            venv.display()
        ),
    };
    Err(StepFailure::new(reason).with("looked for", python.display().to_string()))
}

/// The folders a WSGI file run on its own needs on `sys.path`: its own, and the one above
/// when it sits in a package (a Django project's `mysite/wsgi.py` imports `mysite.settings`).
async fn own_folders(host: &dyn Host, wsgi_file: &Path, deadline: Deadline) -> Vec<PathBuf> {
    let Some(folder) = wsgi_file.parent() else {
        return Vec::new();
    };
    let mut folders = vec![folder.to_path_buf()];
    if host.metadata(&folder.join("__init__.py"), deadline).await.is_ok()
        && let Some(above) = folder.parent()
    {
        folders.push(above.to_path_buf());
    }
    folders
}

/// One run of a WSGI file: which interpreter, which file, and the request it answers.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The interpreter: a virtualenv's `bin/python`, or `python3` found on the `PATH`.
    pub python: PathBuf,
    pub wsgi_file: PathBuf,
    /// Folders added to `sys.path`.
    pub folders: Vec<PathBuf>,
    pub working_folder: PathBuf,
    /// Where the request goes: its scheme, host name and port become the environ's.
    pub site: Url,
    /// The URL path the file is mounted at; the request is for `/` below it.
    pub mount: String,
    /// Where the interpreter starts, so relative paths mean what they mean in other probes.
    pub start_in: Option<PathBuf>,
    /// Variables of shakedown's environment the application must not see (role passwords).
    pub env_remove: Vec<String>,
}

impl Call {
    /// `SCRIPT_NAME`: the mount without its trailing slash (empty for `/`).
    fn script_name(&self) -> &str {
        self.mount.trim_end_matches('/')
    }

    /// The URL the call stands for, for messages.
    pub fn url(&self) -> String {
        format!(
            "{}{}/",
            self.site.origin().ascii_serialization(),
            self.script_name()
        )
    }

    fn invocation(&self) -> Invocation {
        let path = |path: &Path| path.to_string_lossy().into_owned();
        // -I: no PYTHONPATH, user site-packages or current folder on sys.path, as under
        // Apache; -B: a check must not leave `.pyc` files in the application's folders.
        let mut args = vec![
            "-I".into(),
            "-B".into(),
            "-c".into(),
            SCRIPT.into(),
            path(&self.wsgi_file),
            self.site.origin().ascii_serialization(),
            self.script_name().to_owned(),
            path(&self.working_folder),
        ];
        args.extend(self.folders.iter().map(|folder| path(folder)));
        Invocation {
            program: path(&self.python),
            args,
            env_remove: self.env_remove.clone(),
            cwd: self.start_in.clone(),
            ..Invocation::default()
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The application answered with this status line (`200 OK`), below 500.
    Answered(String),
    Broken(Broken),
}

/// Why the file cannot serve, worded to follow its name: `does not load`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Broken {
    pub what: String,
    /// The script's reason or the exception's line.
    pub reason: Option<String>,
    /// The end of the error stream, labelled: the `traceback`, or what the application
    /// `logged` before answering.
    pub evidence: Option<(&'static str, String)>,
    /// How the interpreter ended.
    pub interpreter: String,
}

impl Broken {
    /// The failure saying `summary`, with this run's evidence.
    pub fn failure(&self, summary: String) -> StepFailure {
        let mut failure = StepFailure::new(summary);
        if let Some(reason) = &self.reason {
            failure = failure.with("error", reason);
        }
        if let Some((label, evidence)) = &self.evidence {
            failure = failure.with(label, evidence);
        }
        failure.with("interpreter", &self.interpreter)
    }
}

/// The note of an application that answered: its status, and for a 400 the likely reason.
pub(crate) fn answered(call: &Call, status: &str) -> String {
    let mut note = format!(
        "`{}` answered GET {} with `{status}`",
        call.wsgi_file.display(),
        call.url()
    );
    if status_code(status) == Some(400) {
        note.push_str(&format!(
            " (a 400 often means the framework does not accept the host name `{}`, such as Django's ALLOWED_HOSTS)",
            call.site.host_str().unwrap_or_default()
        ));
    }
    note
}

/// Runs the file and reads its verdict; a failure only when the interpreter did not run to its
/// end (not found, or out of time).
pub(crate) async fn call(host: &dyn Host, call: &Call, deadline: Deadline) -> Result<Outcome, StepFailure> {
    let line = format!(
        "{} -I -B -c <WSGI harness> {}",
        call.python.display(),
        call.wsgi_file.display()
    );
    let run = crate::probes::run_command(host, &line, &call.invocation(), deadline, "the interpreter").await;
    let run = run.map_err(|failure| failure.with("WSGI file", call.wsgi_file.display().to_string()))?;
    Ok(verdict(&run, &call.python))
}

/// Reads what the script printed and how it ended.
pub(crate) fn verdict(run: &CommandRun, python: &Path) -> Outcome {
    // The status and reasons hold the application's own text: shown, never acted on.
    let said = run
        .finished
        .stdout
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix(MARK))
        .map(|said| text::without_terminal_controls(said.trim()));
    let said = said
        .as_deref()
        .map(|said| said.split_once(' ').unwrap_or((said, "")));
    let stderr = &run.finished.stderr;
    let broken = |what: &str, reason: Option<String>, label: &'static str| {
        Outcome::Broken(Broken {
            what: what.to_owned(),
            reason,
            evidence: (!stderr.trim().is_empty()).then(|| (label, text::for_terminal(stderr, Keep::End))),
            interpreter: format!(
                "{} ended with {} after {}",
                python.display(),
                run.finished.describe_status(),
                humanize(run.finished.elapsed)
            ),
        })
    };
    let error_line = || last_error_line(stderr).map(text::without_terminal_controls);
    match (run.finished.code, said) {
        (Some(0), Some(("status", status))) => match status_code(status) {
            Some(code) if code < 500 => Outcome::Answered(status.to_owned()),
            Some(_) => broken(&format!("loads but answers `{status}`"), None, "logged"),
            None => broken(
                "loads but cannot serve",
                Some(format!(
                    "the application answered with `{status}`, which is no HTTP status"
                )),
                "logged",
            ),
        },
        (_, Some(("unusable", reason))) => {
            broken("loads but cannot serve", Some(reason.to_owned()), "traceback")
        }
        (_, Some(("loaded", _))) => broken("loads but fails when called", error_line(), "traceback"),
        _ => broken("does not load", error_line(), "traceback"),
    }
}

/// `500` of `500 Internal Server Error`.
fn status_code(status: &str) -> Option<u16> {
    let digits = status.get(..3)?;
    let rest = &status[3..];
    (digits.bytes().all(|b| b.is_ascii_digit()) && (rest.is_empty() || rest.starts_with(' ')))
        .then(|| digits.parse().ok())
        .flatten()
}

/// The exception line that ends a Python traceback (`ModuleNotFoundError: No module named 'x'`).
fn last_error_line(stderr: &str) -> Option<&str> {
    stderr.lines().rev().map(str::trim).find(|line| !line.is_empty())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::machine::Finished;

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

    fn what(outcome: &Outcome) -> &str {
        match outcome {
            Outcome::Answered(status) => status,
            Outcome::Broken(broken) => &broken.what,
        }
    }

    #[test]
    fn the_verdict_lines_and_the_traceback_are_read() {
        let python = Path::new("/srv/venv/bin/python");
        let answered = verdict(
            &ran(
                0,
                "SHAKEDOWN-WSGI: loaded\nSHAKEDOWN-WSGI: status 404 Not Found\n",
                "",
            ),
            python,
        );
        assert_eq!(answered, Outcome::Answered("404 Not Found".into()));
        let server_error = verdict(
            &ran(
                0,
                "SHAKEDOWN-WSGI: loaded\nSHAKEDOWN-WSGI: status 503 Service Unavailable\n",
                "db down\n",
            ),
            python,
        );
        assert_eq!(what(&server_error), "loads but answers `503 Service Unavailable`");
        let Outcome::Broken(server_error) = server_error else {
            panic!("broken")
        };
        assert_eq!(server_error.evidence, Some(("logged", "db down".to_owned())));
        let not_http = verdict(&ran(0, "SHAKEDOWN-WSGI: status OK\n", ""), python);
        assert_eq!(what(&not_http), "loads but cannot serve");
        let none = verdict(
            &ran(3, "SHAKEDOWN-WSGI: unusable no `application` is defined\n", ""),
            python,
        );
        let Outcome::Broken(none) = none else {
            panic!("broken")
        };
        assert_eq!(none.what, "loads but cannot serve");
        assert_eq!(none.reason.as_deref(), Some("no `application` is defined"));
        let traceback = "Traceback (most recent call last):\n  File \"/srv/app/wsgi.py\", line 3, in <module>\n    import missing_thing\nModuleNotFoundError: No module named 'missing_thing'\n";
        let Outcome::Broken(broken) = verdict(&ran(1, "", traceback), python) else {
            panic!("broken")
        };
        assert_eq!(broken.what, "does not load");
        assert_eq!(
            broken.reason.as_deref(),
            Some("ModuleNotFoundError: No module named 'missing_thing'")
        );
        assert!(
            broken
                .evidence
                .as_ref()
                .is_some_and(|(label, text)| *label == "traceback" && text.contains("line 3, in <module>"))
        );
        assert!(
            broken.interpreter.contains("exit status 1"),
            "{}",
            broken.interpreter
        );
        let raised = verdict(
            &ran(1, "SHAKEDOWN-WSGI: loaded\n", "RuntimeError: boom\n"),
            python,
        );
        assert_eq!(what(&raised), "loads but fails when called");
        // A zero exit without a verdict line (the file called os._exit(0)) is not a load.
        assert_eq!(what(&verdict(&ran(0, "", ""), python)), "does not load");
    }

    #[test]
    fn status_codes_are_three_digits_then_a_reason() {
        assert_eq!(status_code("200 OK"), Some(200));
        assert_eq!(status_code("500"), Some(500));
        assert_eq!(status_code("2000 OK"), None);
        assert_eq!(status_code("OK"), None);
        assert_eq!(status_code("éé"), None);
    }

    #[test]
    fn paths_reach_the_interpreter_as_arguments_not_code() {
        let call = Call {
            python: "/srv/venv/bin/python".into(),
            wsgi_file: "/srv/app/\"); import os; os.system(\"x\"); (\".wsgi".into(),
            folders: vec!["/srv/app".into()],
            working_folder: "/".into(),
            site: Url::parse("https://user:secret@ledger.example.com:8443/base/").expect("url"),
            mount: "/api/".into(),
            start_in: None,
            env_remove: vec!["LEDGER_PASSWORD".into()],
        };
        let invocation = call.invocation();
        assert_eq!(invocation.args[3], SCRIPT);
        assert_eq!(
            &invocation.args[4..],
            [
                "/srv/app/\"); import os; os.system(\"x\"); (\".wsgi",
                "https://ledger.example.com:8443",
                "/api",
                "/",
                "/srv/app"
            ]
        );
        assert_eq!(invocation.env_remove, ["LEDGER_PASSWORD"]);
        assert_eq!(call.url(), "https://ledger.example.com:8443/api/");
    }
}
