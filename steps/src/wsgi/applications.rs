//! The applications an Apache site file runs, as mod_wsgi would run them: each `WSGIScriptAlias`
//! with the interpreter, `sys.path` folders and working folder of its daemon process group (or
//! of embedded mode), and the host name its virtual host answers to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use url::Url;

use super::apache::{self, Directive, NamedPath, Role, Section};
use super::loader::{self, Broken, Call, Outcome};
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::Host;
use crate::probes::bounded;

/// What the scenario brings to a check of a site file's applications.
#[derive(Debug, Clone)]
pub(crate) struct Setting {
    /// Where relative paths in the file start.
    pub base: PathBuf,
    /// The site a virtual host without `ServerName` answers for: the environment's.
    pub fallback: Url,
    /// Where the interpreter starts.
    pub start_in: Option<PathBuf>,
    /// Variables the applications must not see (role passwords).
    pub env_remove: Vec<String>,
}

/// Runs every application of `site_file` once, within `deadline`; the notes say what each
/// answered, and the failure lists each application that cannot serve with its line, with the
/// evidence (error, traceback, interpreter) of the first.
pub(crate) async fn check(
    host: &dyn Host,
    site_file: &Path,
    setting: &Setting,
    deadline: Deadline,
) -> Result<Vec<String>, StepFailure> {
    // Reading is bounded here, each run by the interpreter's own limit: a run that hangs is
    // then told as the interpreter's, with what it printed.
    let what = format!("the Apache configuration `{}`", site_file.display());
    let reading = async {
        host.read(site_file, deadline).await.map_err(|error| {
            StepFailure::new(format!(
                "the Apache configuration `{}` cannot be read: {error}",
                site_file.display()
            ))
        })
    };
    let bytes = bounded(deadline, &what, reading).await?;
    let found = applications(
        &apache::directives(&String::from_utf8_lossy(&bytes)),
        &setting.base,
        &setting.fallback,
    );
    if found.is_empty() {
        return Err(StepFailure::new(format!(
            "the Apache configuration `{}` mounts no WSGI application",
            site_file.display()
        ))
        .with(
            "looked for",
            "WSGIScriptAlias (the targets of WSGIScriptAliasMatch are patterns, not files, and are not run)",
        ));
    }
    let mut notes = Vec::new();
    let mut problems = Vec::new();
    let mut evidence: Option<Broken> = None;
    let mut homes = BTreeMap::new();
    for resolved in &found {
        let application = match resolved {
            Ok(application) => application,
            Err(unresolved) => {
                problems.push(format!(
                    "line {}: WSGIScriptAlias: {}",
                    unresolved.line, unresolved.reason
                ));
                continue;
            }
        };
        let heading = format!(
            "line {}: WSGIScriptAlias {} → `{}`",
            application.line,
            application.mount,
            application.script.display()
        );
        let looking = async { Ok(missing_path(host, application, &mut homes, deadline).await) };
        let what = format!("the paths of line {}", application.line);
        if let Some(problem) = bounded(deadline, &what, looking).await? {
            problems.push(format!("{heading}: {problem}"));
            continue;
        }
        let call = Call {
            python: application
                .python_home
                .as_ref()
                .map_or_else(|| PathBuf::from("python3"), |home| home.join("bin/python")),
            wsgi_file: application.script.clone(),
            folders: application.python_path.clone(),
            working_folder: application.working_folder.clone(),
            site: application.site.clone(),
            mount: application.mount.clone(),
            start_in: setting.start_in.clone(),
            env_remove: setting.env_remove.clone(),
        };
        let outcome = loader::call(host, &call, deadline)
            .await
            .map_err(|failure| failure.with("WSGIScriptAlias", format!("line {}", application.line)))?;
        match outcome {
            Outcome::Answered(status) => notes.push(format!(
                "line {}, {}: {}",
                application.line,
                application.runs_in,
                loader::answered(&call, &status)
            )),
            Outcome::Broken(broken) => {
                let reason = broken
                    .reason
                    .as_deref()
                    .map(|reason| format!(": {reason}"))
                    .unwrap_or_default();
                problems.push(format!(
                    "{heading}, run in {}, {}{reason}",
                    application.runs_in, broken.what
                ));
                evidence.get_or_insert(broken);
            }
        }
    }
    if problems.is_empty() {
        return Ok(notes);
    }
    let summary = format!(
        "{} of the {} WSGI application(s) of the Apache configuration `{}` cannot serve",
        problems.len(),
        found.len(),
        site_file.display()
    );
    let mut failure = StepFailure::new(summary).with("problems", problems.join("\n"));
    if let Some(broken) = evidence {
        if let Some((label, evidence)) = broken.evidence {
            failure = failure.with(label, evidence);
        }
        failure = failure.with("interpreter", broken.interpreter);
    }
    if !notes.is_empty() {
        failure = failure.with("serving", notes.join("\n"));
    }
    Err(failure)
}

/// A missing WSGI file or interpreter, told as the paths step tells it, before any run. The
/// interpreters' verdicts are kept in `homes`: applications of one daemon share theirs, and on
/// a server each look is a round trip.
async fn missing_path(
    host: &dyn Host,
    application: &Application,
    homes: &mut BTreeMap<PathBuf, Option<String>>,
    deadline: Deadline,
) -> Option<String> {
    let look = |role, path: &PathBuf| {
        let named = NamedPath {
            directive: String::new(),
            line: application.line,
            role,
            path: path.clone(),
        };
        async move { apache::problem(host, &named, Path::new(""), deadline).await }
    };
    if let Some(problem) = look(Role::Script, &application.script).await {
        return Some(problem);
    }
    let home = application.python_home.as_ref()?;
    if !homes.contains_key(home) {
        let verdict = look(Role::PythonHome, home).await;
        homes.insert(home.clone(), verdict);
    }
    homes.get(home).cloned().flatten()
}

/// One `WSGIScriptAlias`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Application {
    /// The line of its `WSGIScriptAlias`.
    pub line: usize,
    /// The URL path it is mounted at (`/`, `/api`).
    pub mount: String,
    pub script: PathBuf,
    /// `python-home=` of its daemon process, or `WSGIPythonHome`; `None` when mod_wsgi runs
    /// the Python it was built with.
    pub python_home: Option<PathBuf>,
    /// `python-path=` of its daemon process, or `WSGIPythonPath` in embedded mode.
    pub python_path: Vec<PathBuf>,
    /// `home=` of its daemon process; mod_wsgi otherwise leaves Apache's own, `/`.
    pub working_folder: PathBuf,
    /// `daemon process group `ledger` of line 5`, or `embedded mode`.
    pub runs_in: String,
    /// Where a visitor reaches it: the virtual host's `ServerName`, else `fallback`.
    pub site: Url,
}

/// What a `WSGIScriptAlias` line leaves unknown, so its application cannot be run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unresolved {
    pub line: usize,
    pub reason: String,
}

/// Every `WSGIScriptAlias` of the file, in order, resolved against its daemon process or the
/// server-wide settings. Relative paths are taken from `base`; `fallback` is the site a
/// virtual host without `ServerName` answers for.
pub(crate) fn applications(
    directives: &[Directive],
    base: &Path,
    fallback: &Url,
) -> Vec<Result<Application, Unresolved>> {
    directives
        .iter()
        .filter(|directive| directive.name.eq_ignore_ascii_case("wsgiscriptalias"))
        .map(|alias| resolve(directives, alias, base, fallback))
        .collect()
}

fn resolve(
    directives: &[Directive],
    alias: &Directive,
    base: &Path,
    fallback: &Url,
) -> Result<Application, Unresolved> {
    let unresolved = |reason: String| Unresolved {
        line: alias.line,
        reason,
    };
    let [mount, script, options @ ..] = alias.args.as_slice() else {
        return Err(unresolved(
            "WSGIScriptAlias needs a URL path and a WSGI file".to_owned(),
        ));
    };
    let group = options
        .iter()
        .find_map(|option| option_value(option, "process-group"))
        .map(str::to_owned)
        .or_else(|| {
            nearest(directives, &alias.section, "wsgiprocessgroup")
                .and_then(|directive| directive.args.first().cloned())
        });
    let server_home = nearest(directives, &alias.section, "wsgipythonhome")
        .and_then(|directive| directive.args.first())
        .map(|home| base.join(home));
    let mut application = Application {
        line: alias.line,
        mount: mount.clone(),
        script: base.join(script),
        python_home: server_home,
        python_path: Vec::new(),
        working_folder: PathBuf::from("/"),
        runs_in: "embedded mode".to_owned(),
        site: site_of(directives, &alias.section, fallback),
    };
    match group.as_deref() {
        None | Some("" | "%{GLOBAL}") => {
            application.python_path = nearest(directives, &alias.section, "wsgipythonpath")
                .map(|directive| folders(&directive.args, base))
                .unwrap_or_default();
        }
        Some(name) if name.starts_with("%{") => {
            return Err(unresolved(format!(
                "the process group `{name}` is chosen per request, so which interpreter runs the file cannot be told"
            )));
        }
        Some(name) => {
            let daemon = daemon_process(directives, &alias.section, name).ok_or_else(|| {
                unresolved(format!(
                    "the process group `{name}` is not defined by any WSGIDaemonProcess in this file"
                ))
            })?;
            for option in daemon.args.iter().skip(1) {
                if let Some(home) = option_value(option, "python-home") {
                    application.python_home = Some(base.join(home));
                } else if let Some(path) = option_value(option, "python-path") {
                    application.python_path = folders(&[path.to_owned()], base);
                } else if let Some(home) = option_value(option, "home") {
                    application.working_folder = base.join(home);
                }
            }
            application.runs_in = format!("daemon process group `{name}` of line {}", daemon.line);
        }
    }
    Ok(application)
}

/// `value` of `key=value`, the key in any case.
fn option_value<'a>(option: &'a str, key: &str) -> Option<&'a str> {
    let (name, value) = option.split_once('=')?;
    name.eq_ignore_ascii_case(key).then_some(value)
}

/// The colon-separated folders of `WSGIPythonPath` or `python-path=`.
fn folders(args: &[String], base: &Path) -> Vec<PathBuf> {
    args.iter()
        .flat_map(|arg| arg.split(':'))
        .filter(|folder| !folder.is_empty())
        .map(|folder| base.join(folder))
        .collect()
}

/// The last `name` directive of `section`, else the last server-wide one: the one Apache
/// applies there.
fn nearest<'a>(directives: &'a [Directive], section: &Section, name: &str) -> Option<&'a Directive> {
    let named = |wanted: usize| {
        directives
            .iter()
            .rev()
            .find(|directive| directive.section.number == wanted && directive.name.eq_ignore_ascii_case(name))
    };
    named(section.number).or_else(|| named(0))
}

/// The `WSGIDaemonProcess` called `name`, as seen from `section`: its own first, then a
/// server-wide one, then one of another virtual host.
fn daemon_process<'a>(directives: &'a [Directive], section: &Section, name: &str) -> Option<&'a Directive> {
    let daemons: Vec<&Directive> = directives
        .iter()
        .filter(|directive| {
            directive.name.eq_ignore_ascii_case("wsgidaemonprocess")
                && directive.args.first().is_some_and(|group| group == name)
        })
        .collect();
    [section.number, 0]
        .iter()
        .find_map(|&wanted| daemons.iter().find(|daemon| daemon.section.number == wanted))
        .or_else(|| daemons.first())
        .copied()
}

/// The site a visitor of the virtual host reaches: its `ServerName` (which may carry a scheme
/// and port), on https when it listens on 443 or turns `SSLEngine` on; `fallback` when it has
/// no name.
fn site_of(directives: &[Directive], section: &Section, fallback: &Url) -> Url {
    let Some(name) = nearest(directives, section, "servername").and_then(|directive| directive.args.first())
    else {
        return fallback.clone();
    };
    let secure = section
        .addresses
        .iter()
        .any(|address| address.rsplit_once(':').is_some_and(|(_, port)| port == "443"))
        || nearest(directives, section, "sslengine")
            .and_then(|directive| directive.args.first())
            .is_some_and(|value| value.eq_ignore_ascii_case("on"));
    let written = if name.contains("://") {
        name.clone()
    } else {
        format!("{}://{name}", if secure { "https" } else { "http" })
    };
    Url::parse(&written).unwrap_or_else(|_| fallback.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsgi::apache::directives;

    fn site() -> Url {
        Url::parse("http://127.0.0.1:8080/").expect("url")
    }

    #[test]
    fn a_daemon_process_gives_its_interpreter_path_and_home() {
        let text = r#"
WSGIPythonHome /opt/system-venv
<VirtualHost *:443>
    ServerName ledger.example.com
    WSGIDaemonProcess ledger python-home=/srv/ledger/venv python-path=/srv/ledger/src:/srv/ledger/lib home=/srv/ledger
    WSGIProcessGroup ledger
    WSGIScriptAlias / /srv/ledger/src/ledger/wsgi.py
    WSGIScriptAlias /reports reports.wsgi process-group=reports
</VirtualHost>
<VirtualHost *:80>
    WSGIDaemonProcess reports python-path=/srv/reports
    WSGIScriptAlias /admin /srv/admin.wsgi process-group=%{GLOBAL}
</VirtualHost>
WSGIPythonPath /opt/shared
"#;
        let found = applications(&directives(text), Path::new("/etc/apache2"), &site());
        let ledger = found[0].as_ref().expect("resolved");
        assert_eq!(ledger.line, 7);
        assert_eq!(ledger.mount, "/");
        assert_eq!(ledger.script, Path::new("/srv/ledger/src/ledger/wsgi.py"));
        assert_eq!(ledger.python_home.as_deref(), Some(Path::new("/srv/ledger/venv")));
        assert_eq!(
            ledger.python_path,
            [PathBuf::from("/srv/ledger/src"), PathBuf::from("/srv/ledger/lib")]
        );
        assert_eq!(ledger.working_folder, Path::new("/srv/ledger"));
        assert_eq!(ledger.runs_in, "daemon process group `ledger` of line 5");
        assert_eq!(ledger.site.as_str(), "https://ledger.example.com/");
        // A daemon of another virtual host, without python-home: the server-wide one holds.
        let reports = found[1].as_ref().expect("resolved");
        assert_eq!(reports.script, Path::new("/etc/apache2/reports.wsgi"));
        assert_eq!(
            reports.python_home.as_deref(),
            Some(Path::new("/opt/system-venv"))
        );
        assert_eq!(reports.python_path, [PathBuf::from("/srv/reports")]);
        assert_eq!(reports.working_folder, Path::new("/"));
        // Embedded mode: the server-wide path, and the fallback site for a host with no name.
        let admin = found[2].as_ref().expect("resolved");
        assert_eq!(admin.runs_in, "embedded mode");
        assert_eq!(admin.python_path, [PathBuf::from("/opt/shared")]);
        assert_eq!(admin.site, site());
    }

    #[test]
    fn an_undefined_or_per_request_process_group_is_unresolved() {
        let text = "WSGIScriptAlias / /srv/a.wsgi process-group=gone\n\
                    WSGIScriptAlias /b /srv/b.wsgi process-group=%{ENV:GROUP}\n\
                    WSGIScriptAlias /c\n";
        let found = applications(&directives(text), Path::new("/"), &site());
        let reasons: Vec<String> = found
            .into_iter()
            .map(|resolved| resolved.expect_err("unresolved").reason)
            .collect();
        assert!(reasons[0].contains("`gone` is not defined"), "{reasons:?}");
        assert!(reasons[1].contains("chosen per request"), "{reasons:?}");
        assert!(reasons[2].contains("needs a URL path"), "{reasons:?}");
    }

    #[test]
    fn server_names_with_ports_and_schemes_are_kept() {
        let text = "<VirtualHost *:8443>\nServerName https://shop.example.com:8443\nWSGIScriptAlias / /srv/s.wsgi\n</VirtualHost>\n\
                    <VirtualHost *:80>\nServerName plain.example.com\nSSLEngine on\nWSGIScriptAlias / /srv/p.wsgi\n</VirtualHost>\n";
        let found = applications(&directives(text), Path::new("/"), &site());
        let sites: Vec<String> = found
            .iter()
            .map(|resolved| resolved.as_ref().expect("resolved").site.to_string())
            .collect();
        assert_eq!(
            sites,
            ["https://shop.example.com:8443/", "https://plain.example.com/"]
        );
    }
}
