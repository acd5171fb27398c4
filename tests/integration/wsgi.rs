//! WSGI steps through the real binary with a real virtualenv: WSGI files imported and their
//! `application` called once, Apache site files whose applications run with the interpreter,
//! `sys.path` and working folder of their daemon process, on this machine and over SSH.

use std::path::{Path, PathBuf};
use std::process::Command;

use indoc::formatdoc;

use crate::support::Project;
use shakedown_testkit::sshd::Sshd;

const LIMITS: &str = "[limits]\nstep_timeout = \"10s\"\n";

/// A virtualenv without pip (quick to make) at `venv` in the project: the stdlib only, so any
/// framework a WSGI file imports is missing from it.
fn virtualenv(project: &Project) -> PathBuf {
    let venv = project.path().join("venv");
    let created = Command::new("/usr/bin/python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .output()
        .expect("python3 runs (ci/test installs python3-venv)");
    assert!(
        created.status.success(),
        "python3 -m venv failed: {}",
        String::from_utf8_lossy(&created.stderr)
    );
    venv
}

/// The WSGI files both suites run: healthy ones, one importing its framework only when called
/// (as several frameworks generate them), one raising when called, and broken ones.
fn applications(project: &Project) {
    project.file(
        "app/good.wsgi",
        "def application(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n",
    );
    project.file(
        "app/lazy.wsgi",
        "def application(environ, start_response):\n    from ledger_framework_not_installed import make_app\n    return make_app()(environ, start_response)\n",
    );
    project.file(
        "app/raising.wsgi",
        "def application(environ, start_response):\n    raise RuntimeError('the ledger database is not configured')\n",
    );
    project.file(
        "app/bad_import.wsgi",
        "import ledger_settings_that_are_gone\n\ndef application(e, s):\n    pass\n",
    );
    project.file("app/no_app.wsgi", "app = None\n");
    project.file(
        "app/unavailable.wsgi",
        "def application(environ, start_response):\n    print('the ledger database refused the connection', file=environ['wsgi.errors'])\n    start_response('503 Service Unavailable', [])\n    return [b'down']\n",
    );
    // Loads on its own (its folder is put on sys.path), but not under Apache unless a
    // python-path names its folder.
    project.file("app/ledger_helper.py", "GREETING = b'hello'\n");
    project.file(
        "app/uses_helper.wsgi",
        "import ledger_helper\n\ndef application(environ, start_response):\n    start_response('200 OK', [])\n    return [ledger_helper.GREETING]\n",
    );
    // A Django-style package: the file imports its own package. It answers 400 unless asked for
    // its own host name (as Django's ALLOWED_HOSTS does) and 500 unless it runs in the daemon's
    // home folder, so a 200 shows both reached it.
    project.file("site/mysite/__init__.py", "");
    project.file("site/mysite/settings.py", "HOST = 'ledger.example.com'\n");
    project.file(
        "site/mysite/wsgi.py",
        "import os\nfrom mysite import settings\n\n\
         def application(environ, start_response):\n\
         \x20   if environ['HTTP_HOST'] != settings.HOST:\n\
         \x20       start_response('400 Bad Request', [])\n\
         \x20       return [b'bad host']\n\
         \x20   if not os.path.exists('mysite/settings.py'):\n\
         \x20       start_response('500 Internal Server Error', [])\n\
         \x20       return [b'wrong folder']\n\
         \x20   start_response('200 OK', [])\n\
         \x20   return [b'ledger']\n",
    );
}

/// The `.pyc` files a run left outside the virtualenv.
fn bytecode_outside(folder: &Path, venv: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        let path = entry.path();
        if path == venv {
            continue;
        }
        if path.is_dir() {
            found.extend(bytecode_outside(&path, venv));
        } else if path.extension().is_some_and(|ext| ext == "pyc") {
            found.push(path);
        }
    }
    found
}

#[test]
fn wsgi_files_load_and_answer_with_a_real_virtualenv_and_apache_paths_are_checked() {
    let project = Project::new("http://127.0.0.1:9", LIMITS);
    let venv = virtualenv(&project);
    applications(&project);
    let root = project.path().display().to_string();
    project.file(
        "apache/good.conf",
        &format!(
            "<VirtualHost *:80>\n    WSGIDaemonProcess ledger python-home={root}/venv \\\n        python-path={root}/site:{root}/app\n    \
             WSGIScriptAlias / \"{root}/site/mysite/wsgi.py\" process-group=ledger\n    Alias /static/ {root}/site/\n</VirtualHost>\n"
        ),
    );
    project.file(
        "apache/broken.conf",
        &format!(
            "<VirtualHost *:80>\n    WSGIDaemonProcess ledger python-home={root}/venv-old python-path={root}/site\n    \
             WSGIScriptAlias / {root}/site/mysite/wsgi_old.py\n    WSGIPythonHome {root}/app\n    Alias /static/ /missing/\n</VirtualHost>\n"
        ),
    );
    project.file(
        "features/wsgi.feature",
        r#"Feature: WSGI
  Scenario: the application loads and answers
    Then the WSGI file "app/good.wsgi" should load with the virtualenv "venv"
    And the WSGI file "site/mysite/wsgi.py" should load with the virtualenv "venv"
    And the Apache WSGI configuration "apache/good.conf" should point at existing paths

  Scenario: a framework imported only when called
    Then the WSGI file "app/lazy.wsgi" should load with the virtualenv "venv"

  Scenario: an application raising when called
    Then the WSGI file "app/raising.wsgi" should load with the virtualenv "venv"

  Scenario: a bad import
    Then the WSGI file "app/bad_import.wsgi" should load with the virtualenv "venv"

  Scenario: no application
    Then the WSGI file "app/no_app.wsgi" should load with the virtualenv "venv"

  Scenario: a missing virtualenv
    Then the WSGI file "app/good.wsgi" should load with the virtualenv "venv-old"

  Scenario: an Apache site pointing at old paths
    Then the Apache WSGI configuration "apache/broken.conf" should point at existing paths
"#,
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout("good.wsgi` answered GET http://127.0.0.1:9/ with `200 OK`")
        // Run on its own, the package answers 400 to a host name it does not know: that passes.
        .expect_stdout(
            "mysite/wsgi.py` answered GET http://127.0.0.1:9/ with `400 Bad Request` (a 400 often means",
        )
        .expect_stdout("app/lazy.wsgi` loads but fails when called with the virtualenv")
        .expect_stdout("ModuleNotFoundError: No module named 'ledger_framework_not_installed'")
        .expect_stdout("app/raising.wsgi` loads but fails when called with the virtualenv")
        .expect_stdout("RuntimeError: the ledger database is not configured")
        .expect_stdout("app/bad_import.wsgi` does not load with the virtualenv")
        .expect_stdout("ModuleNotFoundError: No module named 'ledger_settings_that_are_gone'")
        .expect_stdout("app/no_app.wsgi` loads but cannot serve")
        .expect_stdout("no `application` is defined")
        .expect_stdout("venv-old` does not exist")
        .expect_stdout("apache/broken.conf` points at 4 missing or wrong path(s)")
        .expect_stdout("line 2: WSGIDaemonProcess: `")
        .expect_stdout("line 3: WSGIScriptAlias: `")
        .expect_stdout("wsgi_old.py` does not exist")
        .expect_stdout("line 4: WSGIPythonHome: `")
        .expect_stdout("holds no working interpreter")
        .expect_stdout("line 5: Alias: `/missing/` does not exist")
        .expect_stdout("1 passed, 6 failed");
    // The traceback starts in the application: the harness's own frames are left out.
    assert!(
        !outcome.stdout.contains("File \"<string>\""),
        "{}",
        outcome.stdout
    );
    let written = bytecode_outside(project.path(), &venv);
    assert!(written.is_empty(), "the check left bytecode behind: {written:?}");
}

/// A site file as Apache runs it: a daemon process with its virtualenv, `sys.path` folders and
/// home folder, mounts with and without a process group, and the server-wide embedded settings.
fn site_files(project: &Project, root: &str) {
    project.file(
        "apache/ledger.conf",
        &formatdoc! {r#"
            WSGIPythonHome {root}/venv
            WSGIPythonPath {root}/app
            <VirtualHost *:80>
                ServerName ledger.example.com
                WSGIDaemonProcess ledger user=ledger python-home={root}/venv \
                    python-path={root}/site home={root}/site
                WSGIProcessGroup ledger
                WSGIScriptAlias / {root}/site/mysite/wsgi.py
                WSGIScriptAlias /embedded {root}/app/uses_helper.wsgi process-group=%{{GLOBAL}}
                Alias /static/ {root}/site/
            </VirtualHost>
        "#},
    );
    project.file(
        "apache/broken.conf",
        &formatdoc! {r#"
            <VirtualHost *:80>
                ServerName ledger.example.com
                WSGIDaemonProcess ledger python-home={root}/venv python-path={root}/site
                WSGIScriptAlias /lazy {root}/app/lazy.wsgi process-group=ledger
                WSGIScriptAlias /raising {root}/app/raising.wsgi process-group=ledger
                WSGIScriptAlias /helper {root}/app/uses_helper.wsgi process-group=ledger
                WSGIScriptAlias /good {root}/app/good.wsgi process-group=ledger
                WSGIScriptAlias /unavailable {root}/app/unavailable.wsgi process-group=ledger
                WSGIScriptAlias /old {root}/app/good.wsgi process-group=old
                Alias /static/ /missing/
            </VirtualHost>
        "#},
    );
}

#[test]
fn apache_applications_run_with_their_daemon_process_settings_and_answer_a_get() {
    let project = Project::new("http://127.0.0.1:9", LIMITS);
    let venv = virtualenv(&project);
    applications(&project);
    site_files(&project, &project.path().display().to_string());
    project.file(
        "features/apache.feature",
        r#"Feature: Apache runs the applications
  Scenario: the site's applications answer
    Then the Apache WSGI configuration "apache/ledger.conf" should load its applications
    And the Apache WSGI configuration "apache/ledger.conf" should point at existing paths

  Scenario: applications failing as Apache runs them
    Then the Apache WSGI configuration "apache/broken.conf" should load its applications

  Scenario: a static folder that is gone
    Then the Apache WSGI configuration "apache/broken.conf" should point at existing paths
"#,
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        // The ServerName reached the application as its host name, and the daemon's home as
        // its working folder: it answered 200, not 400 or 500.
        .expect_stdout("line 8, daemon process group `ledger` of line 5: `")
        .expect_stdout("mysite/wsgi.py` answered GET http://ledger.example.com/ with `200 OK`")
        .expect_stdout("line 9, embedded mode: `")
        .expect_stdout("uses_helper.wsgi` answered GET http://ledger.example.com/embedded/ with `200 OK`")
        .expect_stdout("5 of the 6 WSGI application(s) of the Apache configuration `")
        .expect_stdout("lazy.wsgi`, run in daemon process group `ledger` of line 3, loads but fails when called: ModuleNotFoundError: No module named 'ledger_framework_not_installed'")
        .expect_stdout("raising.wsgi`, run in daemon process group `ledger` of line 3, loads but fails when called: RuntimeError: the ledger database is not configured")
        // Its folder is not on Apache's sys.path, as it is when the file is run on its own.
        .expect_stdout("uses_helper.wsgi`, run in daemon process group `ledger` of line 3, does not load: ModuleNotFoundError: No module named 'ledger_helper'")
        .expect_stdout("unavailable.wsgi`, run in daemon process group `ledger` of line 3, loads but answers `503 Service Unavailable`")
        .expect_stdout("line 9: WSGIScriptAlias: the process group `old` is not defined by any WSGIDaemonProcess")
        .expect_stdout("good.wsgi` answered GET http://ledger.example.com/good/ with `200 OK`")
        .expect_stdout("line 10: Alias: `/missing/` does not exist")
        .expect_stdout("1 passed, 2 failed");
    let written = bytecode_outside(project.path(), &venv);
    assert!(written.is_empty(), "the check left bytecode behind: {written:?}");
}

#[test]
fn wsgi_files_run_on_a_server_over_ssh() {
    let server = Sshd::start();
    let project = Project::new(
        "http://127.0.0.1:9",
        &formatdoc! {r#"
            {host}

            {ssh}
            connect_timeout = "3s"

            [limits]
            step_timeout = "20s"
        "#,
            host = server.host_toml("web1"),
            ssh = server.ssh_toml(),
        },
    );
    virtualenv(&project);
    applications(&project);
    let root = project.path().display().to_string();
    site_files(&project, &root);
    // On a server, relative paths start at the SSH user's home: the files are named whole.
    project.file(
        "features/server.feature",
        &formatdoc! {r#"
            Feature: The server runs the applications
              Scenario: the site's applications answer
                Then the Apache WSGI configuration "{root}/apache/ledger.conf" should load its applications

              Scenario: a framework imported only when called
                Then the WSGI file "{root}/app/lazy.wsgi" should load with the virtualenv "{root}/venv"
        "#},
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("mysite/wsgi.py` answered GET http://ledger.example.com/ with `200 OK`")
        .expect_stdout("uses_helper.wsgi` answered GET http://ledger.example.com/embedded/ with `200 OK`")
        .expect_stdout("app/lazy.wsgi` loads but fails when called with the virtualenv")
        .expect_stdout("ModuleNotFoundError: No module named 'ledger_framework_not_installed'")
        .expect_stdout("1 passed, 1 failed");
}

#[test]
fn an_application_that_never_answers_is_stopped_at_the_step_deadline() {
    let project = Project::new("http://127.0.0.1:9", "[limits]\nstep_timeout = \"1s\"\n");
    project.file("app/hangs.wsgi", "application = None\n");
    // An interpreter that never ends stands for an application that never answers.
    let python = project.file("venv/bin/python", "#!/bin/sh\nsleep 30\n");
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    project.file(
        "apache/hangs.conf",
        "WSGIDaemonProcess hangs python-home=venv\nWSGIScriptAlias / app/hangs.wsgi process-group=hangs\n",
    );
    project.file(
        "features/hangs.feature",
        "Feature: A hung application\n  Scenario: it answers\n    Then the Apache WSGI configuration \"apache/hangs.conf\" should load its applications\n",
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout("the interpreter did not finish within 1s (`limits.step_timeout`); it was killed")
        .expect_stdout("-I -B -c <WSGI harness> ")
        .expect_stdout("app/hangs.wsgi\n")
        .expect_stdout("WSGIScriptAlias:");
    assert!(
        outcome.took < std::time::Duration::from_secs(10),
        "the run took {:?}",
        outcome.took
    );
}
