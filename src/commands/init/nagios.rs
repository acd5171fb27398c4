//! Nagios and Icinga 1 object configuration: `define command`, `define host` and `define service`
//! blocks, with templates (`use`, `name`, `register 0`). No well-kept crate reads this format,
//! so this small parser does: comments (`#`, `;`, `\;` for a literal semicolon), one `key value`
//! a line, and inheritance resolved the way Nagios does it (own value first, then each template
//! in the order `use` names them).

use std::collections::HashMap;

use super::macros::{UserMacros, expand, numbered};
use super::monitoring::{Check, Imported, Skipped};

/// One `define TYPE { … }` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub kind: String,
    /// `file:line` of its `define`.
    pub origin: String,
    properties: HashMap<String, String>,
}

/// A problem at a line of a file: its number and what is wrong.
pub type SyntaxError = (usize, String);

/// Every object block of one file.
pub fn parse(file: &str, text: &str) -> Result<Vec<Object>, SyntaxError> {
    let mut objects = Vec::new();
    let mut open: Option<(usize, Object)> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = without_comment(raw);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match open.take() {
            None => {
                let Some(rest) = line.strip_prefix("define") else {
                    return Err((number, format!("expected `define TYPE {{`, found `{line}`")));
                };
                let Some((kind, after)) = rest.split_once('{') else {
                    return Err((number, format!("expected `{{` after `define{rest}`")));
                };
                let kind = kind.trim();
                if kind.is_empty() || !rest.starts_with(char::is_whitespace) {
                    return Err((
                        number,
                        format!("expected an object type after `define`, found `{line}`"),
                    ));
                }
                let mut object = Object {
                    kind: kind.to_owned(),
                    origin: format!("{file}:{number}"),
                    properties: HashMap::new(),
                };
                let after = after.trim();
                match after.strip_suffix('}') {
                    Some(inside) => {
                        property(&mut object, inside);
                        objects.push(object);
                    }
                    None => {
                        property(&mut object, after);
                        open = Some((number, object));
                    }
                }
            }
            Some((started, mut object)) => {
                if line.starts_with("define") && line.contains('{') {
                    return Err((
                        number,
                        format!(
                            "`define {}` of line {started} is not closed with `}}` before this `define`",
                            object.kind
                        ),
                    ));
                }
                match line.strip_suffix('}') {
                    Some(inside) => {
                        property(&mut object, inside);
                        objects.push(object);
                    }
                    None => {
                        property(&mut object, line);
                        open = Some((started, object));
                    }
                }
            }
        }
    }
    match open {
        Some((started, object)) => Err((
            started,
            format!("`define {}` is not closed with `}}`", object.kind),
        )),
        None => Ok(objects),
    }
}

/// A line up to its first unescaped `;`, with `\;` read as `;`; a line starting with `#` is none.
fn without_comment(line: &str) -> String {
    if line.trim_start().starts_with('#') {
        return String::new();
    }
    let mut kept = String::new();
    let mut characters = line.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '\\' if characters.peek() == Some(&';') => {
                kept.push(';');
                characters.next();
            }
            ';' => break,
            other => kept.push(other),
        }
    }
    kept
}

fn property(object: &mut Object, line: &str) {
    let line = line.trim();
    if line.is_empty() {
        return;
    }
    let (key, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    // Nagios reads a custom variable's name (`_PORT`) in any case, as upper case.
    let key = match key.starts_with('_') {
        true => key.to_ascii_uppercase(),
        false => key.to_owned(),
    };
    object.properties.insert(key, value.trim().to_owned());
}

/// The objects of every file given, read together: a service in one file may use a command or
/// a template from another.
struct Objects<'a> {
    all: &'a [Object],
}

/// How deep `use` chains are followed: far beyond any real configuration, and a loop ends here.
const DEEPEST_TEMPLATE_CHAIN: usize = 32;

impl<'a> Objects<'a> {
    /// A property of `object`, its own or inherited; `null` means deliberately unset.
    fn property(&self, object: &'a Object, key: &str) -> Option<&'a str> {
        self.inherited(object, key, DEEPEST_TEMPLATE_CHAIN)
            .filter(|value| *value != "null")
    }

    fn inherited(&self, object: &'a Object, key: &str, depth: usize) -> Option<&'a str> {
        if let Some(value) = object.properties.get(key) {
            return Some(value);
        }
        let templates = object.properties.get("use")?;
        if depth == 0 {
            return None;
        }
        templates
            .split(',')
            .filter_map(|name| self.template(&object.kind, name.trim()))
            .find_map(|template| self.inherited(template, key, depth - 1))
    }

    fn template(&self, kind: &str, name: &str) -> Option<&'a Object> {
        self.all.iter().find(|object| {
            object.kind == kind && object.properties.get("name").map(String::as_str) == Some(name)
        })
    }

    /// The registered object of `kind` whose `key` is `value` (a command by `command_name`).
    fn named(&self, kind: &str, key: &str, value: &str) -> Option<&'a Object> {
        self.all.iter().find(|object| {
            object.kind == kind
                && self.registered(object)
                && object.properties.get(key).map(String::as_str) == Some(value)
        })
    }

    /// Nagios never inherits `register`: a template says `register 0` for itself alone.
    fn registered(&self, object: &'a Object) -> bool {
        object.properties.get("register").map(String::as_str) != Some("0")
    }
}

/// Splits `check_command`'s `name!arg1!arg2`, where `\!` is a literal `!`.
fn command_and_arguments(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '\\' if characters.peek() == Some(&'!') => {
                characters.next();
                current.push('!');
            }
            '!' => parts.push(std::mem::take(&mut current)),
            other => current.push(other),
        }
    }
    parts.push(current);
    parts
}

/// The service checks of `objects`, with macros filled in per host, and what could not be
/// imported.
pub fn import(objects: &[Object], users: &UserMacros) -> Imported {
    let objects = Objects { all: objects };
    let mut imported = Imported::default();
    for service in objects.all.iter().filter(|object| object.kind == "service") {
        if !objects.registered(service) {
            continue;
        }
        let description = objects
            .property(service, "service_description")
            .unwrap_or("a service without `service_description`")
            .to_owned();
        let hosts: Vec<&str> = objects
            .property(service, "host_name")
            .map(|names| {
                names
                    .split(',')
                    .map(str::trim)
                    .filter(|name| !name.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(handler) = objects.property(service, "event_handler")
            && objects.property(service, "event_handler_enabled") != Some("0")
        {
            imported.skipped.push(Skipped {
                name: command_and_arguments(handler).swap_remove(0),
                origin: service.origin.clone(),
                reason: format!(
                    "the event handler of `{description}` acts on a change of state and checks nothing"
                ),
            });
        }
        match service_checks(&objects, service, &description, &hosts, users) {
            Ok(checks) => imported.checks.extend(checks),
            Err(reason) => imported.skipped.push(Skipped {
                name: description.clone(),
                origin: service.origin.clone(),
                reason,
            }),
        }
    }
    imported
}

/// One check per host of the service (one in all when every host would run the same line).
fn service_checks(
    objects: &Objects<'_>,
    service: &Object,
    description: &str,
    hosts: &[&str],
    users: &UserMacros,
) -> Result<Vec<Check>, String> {
    let check_command = objects
        .property(service, "check_command")
        .ok_or("it has no `check_command`")?;
    let mut parts = command_and_arguments(check_command);
    let name = parts.remove(0);
    let command = objects
        .named("command", "command_name", name.trim())
        .ok_or_else(|| {
            format!(
                "its `check_command` names `{name}`, which no `define command` of the files given defines"
            )
        })?;
    let line = objects
        .property(command, "command_line")
        .ok_or_else(|| format!("the command `{name}` has no `command_line`"))?;
    if hosts
        .iter()
        .any(|host| host.starts_with('!') || host.contains('*'))
    {
        return Err("its `host_name` uses exclusions or wildcards, which are not followed".into());
    }
    let on_hosts: Vec<Option<&str>> = match hosts {
        [] => vec![None],
        hosts => hosts.iter().copied().map(Some).collect(),
    };
    let mut checks: Vec<(String, Vec<&str>)> = Vec::new();
    for host in on_hosts {
        let value_of = |macro_name: &str| -> Result<String, String> {
            if let Some(value) = users.value_of(macro_name) {
                return value;
            }
            host_or_service_macro(objects, macro_name, host, description, service)
        };
        let arguments: Vec<Result<String, String>> =
            parts.iter().map(|argument| expand(argument, value_of)).collect();
        // An argument `check_command` does not give is empty, as Nagios runs it.
        let filled = expand(line, |macro_name| match numbered(macro_name, "ARG") {
            Some(number) => arguments
                .get(number - 1)
                .cloned()
                .unwrap_or_else(|| Ok(String::new())),
            None => value_of(macro_name),
        })?;
        match checks.iter_mut().find(|(command, _)| *command == filled) {
            Some((_, with_hosts)) => with_hosts.extend(host),
            None => checks.push((filled, host.into_iter().collect())),
        }
    }
    Ok(checks
        .into_iter()
        .map(|(command, hosts)| Check {
            title: match hosts.as_slice() {
                [] => description.to_owned(),
                hosts => format!("{description} on {}", hosts.join(", ")),
            },
            origin: service.origin.clone(),
            command,
        })
        .collect())
}

/// The host and service macros a check line may use, as far as the files tell them.
fn host_or_service_macro(
    objects: &Objects<'_>,
    macro_name: &str,
    host: Option<&str>,
    description: &str,
    service: &Object,
) -> Result<String, String> {
    let needs_host = || match objects.property(service, "hostgroup_name") {
        Some(groups) => format!(
            "`${macro_name}$` needs the service's host, and it names hosts only through `hostgroup_name {groups}`, which is not followed"
        ),
        None => format!("`${macro_name}$` needs the service's host, and it has no `host_name`"),
    };
    match macro_name {
        "SERVICEDESC" => Ok(description.to_owned()),
        "HOSTNAME" => host.map(str::to_owned).ok_or_else(needs_host),
        "HOSTADDRESS" | "HOSTALIAS" => {
            let host = host.ok_or_else(needs_host)?;
            let defined = objects.named("host", "host_name", host).ok_or_else(|| {
                format!(
                    "`${macro_name}$` needs host `{host}`, which no `define host` of the files given defines"
                )
            })?;
            let key = if macro_name == "HOSTADDRESS" {
                "address"
            } else {
                "alias"
            };
            // Nagios itself takes the host's name where its address or alias is not given.
            Ok(objects.property(defined, key).unwrap_or(host).to_owned())
        }
        custom if custom.starts_with("_HOST") => {
            let host = host.ok_or_else(needs_host)?;
            let defined = objects.named("host", "host_name", host).ok_or_else(|| {
                format!(
                    "`${macro_name}$` needs host `{host}`, which no `define host` of the files given defines"
                )
            })?;
            custom_variable(objects, defined, macro_name, "_HOST", &format!("host `{host}`"))
        }
        custom if custom.starts_with("_SERVICE") => custom_variable(
            objects,
            service,
            macro_name,
            "_SERVICE",
            &format!("service `{description}`"),
        ),
        other => Err(format!(
            "`${other}$` is only known to Nagios while it runs the check"
        )),
    }
}

/// A custom variable macro (`$_HOSTPORT$` is the host's `_PORT`), from the object or its
/// templates.
fn custom_variable(
    objects: &Objects<'_>,
    object: &Object,
    macro_name: &str,
    prefix: &str,
    whose: &str,
) -> Result<String, String> {
    let variable = format!("_{}", macro_name.trim_start_matches(prefix).to_ascii_uppercase());
    objects
        .property(object, &variable)
        .map(str::to_owned)
        .ok_or_else(|| {
            format!("`${macro_name}$` has no value: {whose} and its templates define no `{variable}`")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_comments_and_escaped_semicolons_are_read() {
        let objects = parse(
            "a.cfg",
            "# commands\n\
             define command{\n  command_name  check_x ; trailing comment\n  command_line  $USER1$/check_x -s 'a\\;b'\n}\n\
             \n; another comment\ndefine host { host_name web1 }\n",
        )
        .expect("valid");
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].kind, "command");
        assert_eq!(objects[0].origin, "a.cfg:2");
        assert_eq!(objects[0].properties["command_name"], "check_x");
        assert_eq!(objects[0].properties["command_line"], "$USER1$/check_x -s 'a;b'");
        assert_eq!(objects[1].properties["host_name"], "web1");
    }

    #[test]
    fn broken_blocks_are_reported_at_their_line() {
        assert_eq!(
            parse("a.cfg", "command_name x\n"),
            Err((1, "expected `define TYPE {`, found `command_name x`".into()))
        );
        assert_eq!(
            parse("a.cfg", "\ndefine service {\n  host_name web1\n"),
            Err((2, "`define service` is not closed with `}`".into()))
        );
        assert_eq!(
            parse("a.cfg", "define service {\n host_name a\ndefine host {\n}\n"),
            Err((
                3,
                "`define service` of line 1 is not closed with `}` before this `define`".into()
            ))
        );
        assert_eq!(
            parse("a.cfg", "define service\n"),
            Err((1, "expected `{` after `define service`".into()))
        );
    }

    #[test]
    fn check_command_arguments_split_on_unescaped_bangs() {
        assert_eq!(
            command_and_arguments(r"check_http!-u /\!x!80"),
            ["check_http", "-u /!x", "80"]
        );
        assert_eq!(command_and_arguments("check_ping"), ["check_ping"]);
    }

    const CONFIG: &str = "\
define command {
    command_name    check_tcp
    command_line    $USER1$/check_tcp -H $HOSTADDRESS$ -p $ARG1$
}
define command {
    command_name    check_local_disk
    command_line    $USER1$/check_disk -w $ARG1$ -c $ARG2$ -p $ARG3$
}
define command {
    command_name    restart-httpd
    command_line    /usr/local/bin/restart-httpd $SERVICESTATE$
}
define command {
    command_name    check_by_ssh_load
    command_line    $USER2$/check_by_ssh -H $HOSTADDRESS$ -C uptime
}
define host {
    use             linux-server
    host_name       web1
    address         10.0.0.5
}
define host {
    host_name       web2
}
define service {
    name            generic-service
    register        0
    check_interval  5
}
define service {
    use                  generic-service
    host_name            web1,web2
    service_description  HTTP
    check_command        check_tcp!80
    event_handler        restart-httpd
}
define service {
    use                  generic-service
    host_name            web1, web2
    service_description  Root partition
    check_command        check_local_disk!20%!10%!/
}
define service {
    host_name            web1
    service_description  Root partition, no mount point
    check_command        check_local_disk!20%!10%
}
define service {
    hostgroup_name       databases
    service_description  PostgreSQL
    check_command        check_tcp!5432
}
define service {
    host_name            db9
    service_description  Redis
    check_command        check_tcp!6379
}
define service {
    host_name            web1
    service_description  Load
    check_command        check_by_ssh_load
}
define service {
    host_name            web1
    service_description  Mail queue
    check_command        check_mailq!10
}
define command {
    command_name    check_app
    command_line    $USER1$/check_tcp -H $HOSTADDRESS$ -p $_HOSTPORT$ -e $_SERVICEEXPECT$
}
define host {
    name            app-server
    register        0
    _port           8080
}
define host {
    use             app-server
    host_name       app1
}
define service {
    host_name            app1
    service_description  App
    check_command        check_app
    _Expect              ready
}
define service {
    host_name            web2
    service_description  App on a plain host
    check_command        check_app
}
";

    #[test]
    fn services_become_one_check_per_host_with_macros_filled_in() {
        let objects = parse("objects.cfg", CONFIG).expect("valid");
        let imported = import(&objects, &UserMacros::new("/usr/lib/nagios/plugins".into()));
        let checks: Vec<String> = imported
            .checks
            .iter()
            .map(|check| format!("{} ({}): {}", check.title, check.origin, check.command))
            .collect();
        let skipped: Vec<String> = imported.skipped.iter().map(ToString::to_string).collect();
        assert_eq!(
            checks,
            [
                "HTTP on web1 (objects.cfg:30): /usr/lib/nagios/plugins/check_tcp -H 10.0.0.5 -p 80",
                "HTTP on web2 (objects.cfg:30): /usr/lib/nagios/plugins/check_tcp -H web2 -p 80",
                "Root partition on web1, web2 (objects.cfg:37): /usr/lib/nagios/plugins/check_disk -w 20% -c 10% -p /",
                "Root partition, no mount point on web1 (objects.cfg:43): /usr/lib/nagios/plugins/check_disk -w 20% -c 10% -p ",
                "App on app1 (objects.cfg:81): /usr/lib/nagios/plugins/check_tcp -H app1 -p 8080 -e ready",
            ],
            "left out: {skipped:#?}"
        );
        assert_eq!(
            skipped,
            [
                "restart-httpd (objects.cfg:30): the event handler of `HTTP` acts on a change of state and checks nothing",
                "PostgreSQL (objects.cfg:48): `$HOSTADDRESS$` needs the service's host, and it names hosts only through `hostgroup_name databases`, which is not followed",
                "Redis (objects.cfg:53): `$HOSTADDRESS$` needs host `db9`, which no `define host` of the files given defines",
                "Load (objects.cfg:58): `$USER2$` is defined in Nagios' resource.cfg: pass that file with `--resource`",
                "Mail queue (objects.cfg:63): its `check_command` names `check_mailq`, which no `define command` of the files given defines",
                "App on a plain host (objects.cfg:87): `$_HOSTPORT$` has no value: host `web2` and its templates define no `_PORT`",
            ]
        );
    }
}
