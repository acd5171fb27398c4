//! An Apache site file's mod_wsgi directives, read without Apache: `WSGIScriptAlias`,
//! `WSGIDaemonProcess ... python-home=... python-path=...`, `WSGIPythonHome` and
//! `WSGIPythonPath`, the `Alias` targets served beside them, and the paths they name, each with
//! its directive and line.

use std::path::{Path, PathBuf};

use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::Host;

/// One directive of a configuration file, continuation lines joined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directive {
    /// The line it starts on, 1-based.
    pub line: usize,
    pub name: String,
    pub args: Vec<String>,
    /// The `<VirtualHost>` it stands in.
    pub section: Section,
}

/// Where a directive stands: server-wide (number 0), or in the file's n-th `<VirtualHost>`
/// (from 1), with that section's addresses (`*:443`). Other sections (`<Directory>`,
/// `<IfModule>`) do not change it: their directives count for the virtual host around them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Section {
    pub number: usize,
    pub addresses: Vec<String>,
}

/// What a named path is for, which decides what it must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The WSGI script: a file.
    Script,
    /// A virtualenv (or Python install) root: a folder holding `bin/python`.
    PythonHome,
    /// A folder put on `sys.path`.
    PythonPath,
    /// What an `Alias` serves (static files): a file or a folder.
    AliasTarget,
}

/// A path named by a directive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamedPath {
    pub directive: String,
    pub line: usize,
    pub role: Role,
    pub path: PathBuf,
}

/// The directives of an Apache configuration file. Comments and blank lines are skipped, a
/// trailing `\` continues a directive on the next line, and double-quoted arguments may hold
/// spaces. Section tags are not directives: each directive carries the `<VirtualHost>` it
/// stands in, and mod_wsgi's paths are checked wherever they stand.
pub(crate) fn directives(text: &str) -> Vec<Directive> {
    let mut found = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    let mut virtual_hosts = 0;
    let mut section = Section::default();
    for (index, raw) in text.lines().enumerate() {
        let (start, mut joined) = pending.take().unwrap_or((index + 1, String::new()));
        let line = raw.trim();
        if let Some(continued) = line.strip_suffix('\\') {
            joined.push_str(continued);
            joined.push(' ');
            pending = Some((start, joined));
            continue;
        }
        joined.push_str(line);
        let joined = joined.trim();
        if joined.is_empty() || joined.starts_with('#') {
            continue;
        }
        if let Some(tag) = joined.strip_prefix('<') {
            let mut words = split_arguments(tag.trim_end_matches('>')).into_iter();
            match words.next().map(|name| name.to_ascii_lowercase()).as_deref() {
                Some("virtualhost") => {
                    virtual_hosts += 1;
                    section = Section {
                        number: virtual_hosts,
                        addresses: words.collect(),
                    };
                }
                Some("/virtualhost") => section = Section::default(),
                _ => {}
            }
            continue;
        }
        let mut words = split_arguments(joined).into_iter();
        if let Some(name) = words.next() {
            found.push(Directive {
                line: start,
                name,
                args: words.collect(),
                section: section.clone(),
            });
        }
    }
    found
}

/// Splits at blanks outside double quotes, dropping the quotes (`"a b"` is one argument; so is
/// `python-path="/a b:/c"`).
fn split_arguments(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut in_word = false;
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            c => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

/// Every path the mod_wsgi directives name. `WSGIScriptAliasMatch` targets hold regex
/// back-references, so they are not paths that can be checked and are left out.
pub(crate) fn wsgi_paths(directives: &[Directive]) -> Vec<NamedPath> {
    let mut paths = Vec::new();
    for directive in directives {
        let mut add = |role, path: &str| {
            if !path.is_empty() {
                paths.push(NamedPath {
                    directive: directive.name.clone(),
                    line: directive.line,
                    role,
                    path: PathBuf::from(path),
                });
            }
        };
        match directive.name.to_ascii_lowercase().as_str() {
            "wsgiscriptalias" => {
                if let Some(script) = directive.args.get(1) {
                    add(Role::Script, script);
                }
            }
            "wsgipythonhome" => {
                if let Some(home) = directive.args.first() {
                    add(Role::PythonHome, home);
                }
            }
            "wsgipythonpath" => {
                for folder in directive.args.iter().flat_map(|arg| arg.split(':')) {
                    add(Role::PythonPath, folder);
                }
            }
            "wsgidaemonprocess" => {
                for option in directive.args.iter().skip(1) {
                    match option.split_once('=') {
                        Some((key, value)) if key.eq_ignore_ascii_case("python-home") => {
                            add(Role::PythonHome, value)
                        }
                        Some((key, value)) if key.eq_ignore_ascii_case("python-path") => {
                            for folder in value.split(':') {
                                add(Role::PythonPath, folder);
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    paths
}

/// The targets of `Alias` and `ScriptAlias`: what Apache serves beside the application (its
/// static files). `AliasMatch` targets hold regex back-references and are left out.
pub(crate) fn alias_paths(directives: &[Directive]) -> Vec<NamedPath> {
    directives
        .iter()
        .filter(|directive| {
            directive.name.eq_ignore_ascii_case("alias") || directive.name.eq_ignore_ascii_case("scriptalias")
        })
        .filter_map(|directive| {
            let target = directive.args.get(1).filter(|target| !target.is_empty())?;
            Some(NamedPath {
                directive: directive.name.clone(),
                line: directive.line,
                role: Role::AliasTarget,
                path: PathBuf::from(target),
            })
        })
        .collect()
}

/// What is wrong with one named path, if anything. Relative paths are taken from `base`.
pub(crate) async fn problem(
    host: &dyn Host,
    named: &NamedPath,
    base: &Path,
    deadline: Deadline,
) -> Option<String> {
    let path = base.join(&named.path);
    let facts = match host.metadata(&path, deadline).await {
        Ok(facts) => facts,
        Err(_) => return Some(format!("`{}` does not exist", path.display())),
    };
    match named.role {
        Role::Script if facts.is_dir => Some(format!("`{}` is a folder, not a WSGI file", path.display())),
        Role::PythonPath | Role::PythonHome if !facts.is_dir => {
            Some(format!("`{}` is not a folder", path.display()))
        }
        Role::PythonHome => {
            let python = path.join("bin/python");
            let working = host
                .metadata(&python, deadline)
                .await
                .is_ok_and(|facts| facts.executable);
            (!working).then(|| {
                format!(
                    "`{}` holds no working interpreter (`{}`)",
                    path.display(),
                    python.display()
                )
            })
        }
        Role::Script | Role::PythonPath | Role::AliasTarget => None,
    }
}

/// Checks every path of `site_file`, its `Alias` targets too; the failure lists each problem
/// with its directive and line.
pub(crate) async fn check(
    host: &dyn Host,
    site_file: &Path,
    base: &Path,
    deadline: Deadline,
) -> Result<(), StepFailure> {
    let bytes = host.read(site_file, deadline).await.map_err(|error| {
        StepFailure::new(format!(
            "the Apache configuration `{}` cannot be read: {error}",
            site_file.display()
        ))
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let directives = directives(&text);
    let mut paths = wsgi_paths(&directives);
    if paths.is_empty() {
        return Err(StepFailure::new(format!(
            "the Apache configuration `{}` names no WSGI paths",
            site_file.display()
        ))
        .with(
            "looked for",
            "WSGIScriptAlias, WSGIDaemonProcess python-home= / python-path=, WSGIPythonHome, WSGIPythonPath",
        ));
    }
    paths.extend(alias_paths(&directives));
    paths.sort_by_key(|named| named.line);
    let mut problems = Vec::new();
    for named in &paths {
        if let Some(problem) = problem(host, named, base, deadline).await {
            problems.push(format!("line {}: {}: {problem}", named.line, named.directive));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the Apache configuration `{}` points at {} missing or wrong path(s)",
        site_file.display(),
        problems.len()
    ))
    .with("problems", problems.join("\n"))
    .with("checked", format!("{} path(s)", paths.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = r#"
<VirtualHost *:80>
    ServerName ledger.example.com
    # WSGIScriptAlias /old /nowhere/old.wsgi
    WSGIDaemonProcess ledger user=ledger group=ledger threads=5 \
        python-home=/srv/ledger/venv \
        python-path="/srv/ledger/src:/srv/ledger/lib"
    WSGIProcessGroup ledger
    WSGIScriptAlias / "/srv/ledger/src/ledger/wsgi.py" process-group=ledger
    WSGIScriptAliasMatch ^/api/(.*) /srv/ledger/api/$1.wsgi
</VirtualHost>
WSGIPythonHome /opt/python
WSGIPythonPath /opt/a:/opt/b
<VirtualHost 10.0.0.1:443>
    Alias /static/ /srv/ledger/static/
    AliasMatch ^/media/(.*)$ /srv/ledger/media/$1
    ScriptAlias /cgi-bin/ /usr/lib/cgi-bin/
</VirtualHost>
"#;

    #[test]
    fn continuation_lines_quotes_and_comments() {
        let found = directives(SITE);
        let daemon = found
            .iter()
            .find(|d| d.name == "WSGIDaemonProcess")
            .expect("daemon");
        assert_eq!(daemon.line, 5);
        assert_eq!(
            daemon.args,
            [
                "ledger",
                "user=ledger",
                "group=ledger",
                "threads=5",
                "python-home=/srv/ledger/venv",
                "python-path=/srv/ledger/src:/srv/ledger/lib"
            ]
        );
        assert!(
            found
                .iter()
                .all(|d| !d.args.iter().any(|a| a.contains("/nowhere")))
        );
    }

    #[test]
    fn every_wsgi_path_is_named_with_its_directive_and_line() {
        let paths = wsgi_paths(&directives(SITE));
        let listed: Vec<(usize, &str, Role, &str)> = paths
            .iter()
            .map(|p| {
                (
                    p.line,
                    p.directive.as_str(),
                    p.role,
                    p.path.to_str().expect("utf-8"),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                (5, "WSGIDaemonProcess", Role::PythonHome, "/srv/ledger/venv"),
                (5, "WSGIDaemonProcess", Role::PythonPath, "/srv/ledger/src"),
                (5, "WSGIDaemonProcess", Role::PythonPath, "/srv/ledger/lib"),
                (
                    9,
                    "WSGIScriptAlias",
                    Role::Script,
                    "/srv/ledger/src/ledger/wsgi.py"
                ),
                (12, "WSGIPythonHome", Role::PythonHome, "/opt/python"),
                (13, "WSGIPythonPath", Role::PythonPath, "/opt/a"),
                (13, "WSGIPythonPath", Role::PythonPath, "/opt/b"),
            ]
        );
    }

    #[test]
    fn each_directive_knows_its_virtual_host() {
        let found = directives(SITE);
        let section_of = |name: &str| {
            found
                .iter()
                .find(|d| d.name == name)
                .map(|d| d.section.clone())
                .expect("present")
        };
        assert_eq!(section_of("ServerName").number, 1);
        assert_eq!(section_of("ServerName").addresses, ["*:80"]);
        assert_eq!(section_of("WSGIPythonHome"), Section::default());
        assert_eq!(section_of("Alias").number, 2);
        assert_eq!(section_of("Alias").addresses, ["10.0.0.1:443"]);
    }

    #[test]
    fn alias_targets_are_named_and_patterns_left_out() {
        let aliases: Vec<(usize, String, Role, PathBuf)> = alias_paths(&directives(SITE))
            .into_iter()
            .map(|p| (p.line, p.directive, p.role, p.path))
            .collect();
        assert_eq!(
            aliases,
            [
                (
                    15,
                    "Alias".to_owned(),
                    Role::AliasTarget,
                    PathBuf::from("/srv/ledger/static/")
                ),
                (
                    17,
                    "ScriptAlias".to_owned(),
                    Role::AliasTarget,
                    PathBuf::from("/usr/lib/cgi-bin/")
                ),
            ]
        );
    }

    #[test]
    fn directive_names_are_case_insensitive() {
        let paths = wsgi_paths(&directives("wsgiscriptalias /app /srv/app.wsgi\n"));
        assert_eq!(paths.len(), 1);
        assert_eq!(paths[0].role, Role::Script);
    }
}
