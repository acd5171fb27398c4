//! `[environments.NAME] inventory`: the hosts and groups of the Ansible inventory a team already
//! keeps (its INI or YAML format), read as the environment's servers so that `@on:web` means the
//! inventory's `web` group. Only the connection variables are read; every other one is ignored.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use shakedown_steps::SshDestination;

use super::hosts::HostConfig;
use super::source::Source;
use crate::error::Error;

/// The group every host is in: a tag naming it would add nothing to "every host", so it is no
/// group of a host here.
const ALL: &str = "all";
/// Where Ansible puts the hosts written before any group heading.
const UNGROUPED: &str = "ungrouped";

/// The hosts of the inventory at `source`, by name; a file named `.yml`, `.yaml` or `.json` is
/// read as YAML and any other as INI, as Ansible's own plugins choose.
pub fn read(source: &Source<'_>) -> Result<BTreeMap<String, HostConfig>, Error> {
    let yaml = source
        .path
        .extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| ["yml", "yaml", "json"].contains(&extension));
    let inventory = match yaml {
        true => Inventory::from_yaml(source)?,
        false => Inventory::from_ini(source)?,
    };
    inventory.hosts(source)
}

type Variables = BTreeMap<String, String>;

#[derive(Default)]
struct Inventory {
    hosts: BTreeMap<String, InventoryHost>,
    groups: BTreeMap<String, Group>,
}

#[derive(Default)]
struct InventoryHost {
    variables: Variables,
    /// Where the host is first written, for the message about its connection variables.
    offset: usize,
}

#[derive(Default)]
struct Group {
    hosts: BTreeSet<String>,
    children: BTreeSet<String>,
    variables: Variables,
}

/// What the lines under an INI heading are.
enum Section {
    Hosts(String),
    Variables(String),
    Children(String),
}

impl Inventory {
    fn add_host(&mut self, group: &str, name: String, variables: Variables, offset: usize) {
        self.groups
            .entry(group.to_owned())
            .or_default()
            .hosts
            .insert(name.clone());
        let host = self.hosts.entry(name).or_insert_with(|| InventoryHost {
            offset,
            ..InventoryHost::default()
        });
        host.variables.extend(variables);
    }

    fn from_ini(source: &Source<'_>) -> Result<Self, Error> {
        let mut inventory = Self::default();
        let mut section = Section::Hosts(UNGROUPED.to_owned());
        let mut line_start = 0;
        for line in source.text.split_inclusive('\n') {
            let offset = line_start + (line.len() - line.trim_start().len());
            line_start += line.len();
            let content = line.trim();
            if content.is_empty() || content.starts_with('#') || content.starts_with(';') {
                continue;
            }
            let malformed =
                |message: String, hint: &str| source.error_at(offset..offset, message, Some(hint.to_owned()));
            if content.starts_with('[') {
                section = heading(content).ok_or_else(|| {
                    malformed(
                        format!("`{content}` is not a group heading of an Ansible inventory"),
                        "write `[group]`, `[group:vars]` or `[group:children]`",
                    )
                })?;
                let (Section::Hosts(group) | Section::Variables(group) | Section::Children(group)) = &section;
                inventory.groups.entry(group.clone()).or_default();
                continue;
            }
            match &section {
                Section::Hosts(group) => {
                    let words = shell_words::split(content).map_err(|_| {
                        malformed(
                            format!("`{content}`: a quote is not closed"),
                            "close the quote around the value",
                        )
                    })?;
                    // A word that begins with `#` starts a comment, as in Ansible's shlex split.
                    let mut words = words.into_iter().take_while(|word| !word.starts_with('#'));
                    let Some(pattern) = words.next() else { continue };
                    let mut variables = Variables::new();
                    for word in words {
                        let (key, value) = word.split_once('=').ok_or_else(|| {
                            malformed(
                                format!("`{word}` after host `{pattern}` is not a `key=value` host variable"),
                                "write host variables as `key=value`, quoted when the value holds spaces",
                            )
                        })?;
                        variables.insert(key.to_owned(), value.to_owned());
                    }
                    let (pattern, port) = split_port(&pattern);
                    if let Some(port) = port {
                        variables.insert("ansible_port".to_owned(), port.to_owned());
                    }
                    let names = expand(pattern).map_err(|problem| {
                        malformed(
                            format!("host `{pattern}`: {problem}"),
                            "write ranges like `web[01:04]`, `web[01:50:2]` or `db-[a:f]`",
                        )
                    })?;
                    for name in names {
                        inventory.add_host(group, name, variables.clone(), offset);
                    }
                }
                Section::Variables(group) => {
                    let (key, value) = content.split_once('=').ok_or_else(|| {
                        malformed(
                            format!("`{content}` under `[{group}:vars]` is not `key=value`"),
                            "write one `key=value` a line under a `:vars` heading",
                        )
                    })?;
                    let value = unquoted(value.trim());
                    inventory
                        .groups
                        .entry(group.clone())
                        .or_default()
                        .variables
                        .insert(key.trim().to_owned(), value.to_owned());
                }
                Section::Children(group) => {
                    let child = content
                        .split_once(" #")
                        .map_or(content, |(child, _)| child)
                        .trim();
                    if child.contains(char::is_whitespace) || child.contains([':', '[', ']']) {
                        return Err(malformed(
                            format!("`{content}` under `[{group}:children]` is not a group name"),
                            "write one child group name a line under a `:children` heading",
                        ));
                    }
                    inventory.groups.entry(child.to_owned()).or_default();
                    inventory
                        .groups
                        .entry(group.clone())
                        .or_default()
                        .children
                        .insert(child.to_owned());
                }
            }
        }
        Ok(inventory)
    }

    fn from_yaml(source: &Source<'_>) -> Result<Self, Error> {
        let written: Option<BTreeMap<String, Option<YamlGroup>>> = serde_norway::from_str(source.text)
            .map_err(|error| {
                let offset = error.location().map_or(0, |location| location.index());
                let message = error.to_string();
                // The position goes in front of the message, as with every configuration error.
                let message = message
                    .rsplit_once(" at line ")
                    .map_or(message.as_str(), |(message, _)| message);
                source.error_at(
                    offset..offset,
                    format!("not an Ansible YAML inventory: {message}"),
                    Some("each group holds only `hosts`, `children` and `vars`".to_owned()),
                )
            })?;
        let mut inventory = Self::default();
        for (name, group) in written.unwrap_or_default() {
            inventory.add_yaml_group(source, name, group)?;
        }
        Ok(inventory)
    }

    fn add_yaml_group(
        &mut self,
        source: &Source<'_>,
        name: String,
        group: Option<YamlGroup>,
    ) -> Result<(), Error> {
        self.groups.entry(name.clone()).or_default();
        let Some(group) = group else { return Ok(()) };
        for (pattern, variables) in group.hosts.unwrap_or_default() {
            let offset = source.text.find(pattern.as_str()).unwrap_or(0);
            let variables: Variables = variables
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(key, value)| Some((key, scalar(value)?)))
                .collect();
            let names = expand(&pattern).map_err(|problem| {
                source.error_at(
                    offset..offset,
                    format!("host `{pattern}`: {problem}"),
                    Some("write ranges like `web[01:04]`, `web[01:50:2]` or `db-[a:f]`".to_owned()),
                )
            })?;
            for host in names {
                self.add_host(&name, host, variables.clone(), offset);
            }
        }
        let variables = group
            .vars
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(key, value)| Some((key, scalar(value)?)));
        self.groups
            .entry(name.clone())
            .or_default()
            .variables
            .extend(variables);
        for (child, written) in group.children.unwrap_or_default() {
            self.groups
                .entry(name.clone())
                .or_default()
                .children
                .insert(child.clone());
            self.add_yaml_group(source, child, written)?;
        }
        Ok(())
    }

    /// Each host with its groups (those it is listed in and every group above them) and its
    /// connection variables merged as Ansible merges them: `all`, then parent groups before their
    /// children (groups at one level by name), then the host's own.
    fn hosts(self, source: &Source<'_>) -> Result<BTreeMap<String, HostConfig>, Error> {
        let mut parents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, group) in &self.groups {
            for child in &group.children {
                parents.entry(child.as_str()).or_default().push(name.as_str());
            }
        }
        let mut depths = BTreeMap::new();
        for name in self.groups.keys() {
            depth(name, &parents, &mut depths, &mut BTreeSet::new());
        }
        self.hosts
            .iter()
            .map(|(name, host)| {
                let mut member: BTreeSet<&str> = BTreeSet::new();
                let mut pending: Vec<&str> = self
                    .groups
                    .iter()
                    .filter(|(_, group)| group.hosts.contains(name))
                    .map(|(group, _)| group.as_str())
                    .collect();
                while let Some(group) = pending.pop() {
                    if member.insert(group) {
                        pending.extend(parents.get(group).into_iter().flatten());
                    }
                }
                let mut ordered: Vec<&str> = member.iter().copied().collect();
                ordered.sort_by_key(|group| (depths.get(group).copied().unwrap_or(0), *group));
                let mut variables = Variables::new();
                for group in std::iter::once(ALL).chain(ordered.iter().copied().filter(|group| *group != ALL)) {
                    if let Some(group) = self.groups.get(group) {
                        variables.extend(group.variables.clone());
                    }
                }
                variables.extend(host.variables.clone());
                let at = |problem: String| {
                    source.error_at(
                        host.offset..host.offset,
                        format!("host `{name}`: {problem}"),
                        Some("`ansible_host`, `ansible_port`, `ansible_user` and `ansible_connection` are read; set them on the host or its group".to_owned()),
                    )
                };
                let ssh = connection(name, &variables).map_err(at)?;
                let groups = member
                    .into_iter()
                    .filter(|group| *group != ALL)
                    .map(str::to_owned)
                    .collect();
                Ok((
                    name.clone(),
                    HostConfig {
                        ssh,
                        groups,
                        base_url: None,
                        docroot: None,
                    },
                ))
            })
            .collect()
    }
}

/// How far below `all` a group is: a group no other group names as a child is 1.
fn depth<'a>(
    group: &'a str,
    parents: &BTreeMap<&'a str, Vec<&'a str>>,
    depths: &mut BTreeMap<&'a str, usize>,
    visiting: &mut BTreeSet<&'a str>,
) -> usize {
    if group == ALL {
        return 0;
    }
    if let Some(&known) = depths.get(group) {
        return known;
    }
    // A group that is its own ancestor would loop: Ansible refuses it, here it ends the climb.
    if !visiting.insert(group) {
        return 0;
    }
    let above = parents
        .get(group)
        .into_iter()
        .flatten()
        .map(|parent| depth(parent, parents, depths, visiting))
        .max()
        .unwrap_or(0);
    depths.insert(group, above + 1);
    above + 1
}

/// `None` for `ansible_connection=local`; otherwise the SSH destination the variables give,
/// with the user's own login name when `ansible_user` is not set (as ssh itself does).
fn connection(name: &str, variables: &Variables) -> Result<Option<SshDestination>, String> {
    if variables.get("ansible_connection").map(String::as_str) == Some("local") {
        return Ok(None);
    }
    let address = variables.get("ansible_host").map_or(name, String::as_str);
    let user = match variables.get("ansible_user") {
        Some(user) => user.clone(),
        None => nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map(|user| user.name)
            .ok_or("no `ansible_user`, and the login name of this machine's user is unknown")?,
    };
    let address = match address.contains(':') {
        true => format!("[{address}]"),
        false => address.to_owned(),
    };
    let written = match variables.get("ansible_port") {
        Some(port) => format!("{user}@{address}:{port}"),
        None => format!("{user}@{address}"),
    };
    written
        .parse::<SshDestination>()
        .map(Some)
        .map_err(|error| error.to_string())
}

/// A host pattern and the port written after it (`badwolf.example.com:5309`).
fn split_port(pattern: &str) -> (&str, Option<&str>) {
    match pattern.rsplit_once(':') {
        Some((host, port))
            if !host.contains(':') && !port.is_empty() && port.bytes().all(|byte| byte.is_ascii_digit()) =>
        {
            (host, Some(port))
        }
        _ => (pattern, None),
    }
}

/// The host names a pattern stands for: `www[01:50:2].example.com` and `db-[a:f]` are ranges,
/// inclusive, numbers keeping the width of a zero-padded start.
fn expand(pattern: &str) -> Result<Vec<String>, String> {
    let Some((head, rest)) = pattern.split_once('[') else {
        return Ok(vec![pattern.to_owned()]);
    };
    let (range, tail) = rest.split_once(']').ok_or("the `[` of a range is not closed")?;
    let mut bounds = range.split(':');
    let (Some(start), Some(end), stride, None) = (bounds.next(), bounds.next(), bounds.next(), bounds.next())
    else {
        return Err(format!(
            "`[{range}]` is not a range `[start:end]` or `[start:end:stride]`"
        ));
    };
    let stride = match stride {
        None => 1,
        Some(stride) => stride
            .parse::<usize>()
            .ok()
            .filter(|stride| *stride > 0)
            .ok_or_else(|| format!("the stride `{stride}` is not a whole number above 0"))?,
    };
    let start = if start.is_empty() { "0" } else { start };
    let items: Vec<String> = match (start.parse::<u64>(), end.parse::<u64>()) {
        (Ok(first), Ok(last)) => {
            let width = match start.starts_with('0') && start.len() > 1 {
                true if start.len() != end.len() => {
                    return Err(format!("`{start}` and `{end}` are padded to different widths"));
                }
                true => start.len(),
                false => 0,
            };
            if first > last {
                return Err(format!("the range starts after it ends (`{start}` > `{end}`)"));
            }
            (first..=last)
                .step_by(stride)
                .map(|number| format!("{number:0width$}"))
                .collect()
        }
        _ => {
            let letter = |bound: &str| {
                let mut characters = bound.chars();
                match (characters.next(), characters.next()) {
                    (Some(letter), None) if letter.is_ascii_alphabetic() => Some(letter),
                    _ => None,
                }
            };
            let (Some(first), Some(last)) = (letter(start), letter(end)) else {
                return Err(format!(
                    "`[{range}]` is neither a range of numbers nor of single letters"
                ));
            };
            if first > last {
                return Err(format!("the range starts after it ends (`{first}` > `{last}`)"));
            }
            (first..=last).step_by(stride).map(String::from).collect()
        }
    };
    let tails = expand(tail)?;
    Ok(items
        .iter()
        .flat_map(|item| tails.iter().map(move |tail| format!("{head}{item}{tail}")))
        .collect())
}

/// A `:vars` value as a string: Ansible reads a quoted one without its quotes.
fn unquoted(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

/// A variable's value as text; lists and maps are no connection variable's value and are left out.
fn scalar(value: serde_norway::Value) -> Option<String> {
    match value {
        serde_norway::Value::String(text) => Some(text),
        serde_norway::Value::Number(number) => Some(number.to_string()),
        serde_norway::Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// A group of a YAML inventory; any other key is a mistake worth a message (a `hots:` would
/// otherwise quietly leave the group empty).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlGroup {
    #[serde(default)]
    hosts: Option<BTreeMap<String, Option<BTreeMap<String, serde_norway::Value>>>>,
    #[serde(default)]
    children: Option<BTreeMap<String, Option<YamlGroup>>>,
    #[serde(default)]
    vars: Option<BTreeMap<String, serde_norway::Value>>,
}

/// An INI heading: `[group]`, `[group:vars]` or `[group:children]`, a comment allowed after it.
fn heading(line: &str) -> Option<Section> {
    let inner = line.strip_prefix('[')?;
    let (inner, after) = inner.split_once(']')?;
    let after = after.trim();
    if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
        return None;
    }
    let (group, kind) = match inner.split_once(':') {
        Some((group, kind)) => (group, Some(kind)),
        None => (inner, None),
    };
    if group.is_empty() || group.contains(char::is_whitespace) {
        return None;
    }
    let group = group.to_owned();
    match kind {
        None => Some(Section::Hosts(group)),
        Some("vars") => Some(Section::Variables(group)),
        Some("children") => Some(Section::Children(group)),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn ranges_expand_as_ansible_documents_them() {
        assert_eq!(
            expand("web[01:04]").expect("range"),
            ["web01", "web02", "web03", "web04"]
        );
        assert_eq!(
            expand("www[01:07:2].example.com").expect("stride"),
            [
                "www01.example.com",
                "www03.example.com",
                "www05.example.com",
                "www07.example.com"
            ]
        );
        assert_eq!(expand("db-[a:c]").expect("letters"), ["db-a", "db-b", "db-c"]);
        assert_eq!(
            expand("r[1:2]n[a:b]").expect("two ranges"),
            ["r1na", "r1nb", "r2na", "r2nb"]
        );
        assert!(expand("web[04:01]").is_err());
        assert!(
            expand("web[01:4]")
                .expect_err("widths")
                .contains("different widths")
        );
        assert!(expand("web[01").is_err());
    }

    #[test]
    fn the_connection_variables_of_the_documented_inventory_give_each_host_its_destination() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ansible/hosts.ini");
        let text = std::fs::read_to_string(&path).expect("the documented inventory");
        let hosts = read(&Source {
            path: &path,
            text: &text,
        })
        .expect("reads");
        let destination = |name: &str| {
            hosts[name]
                .ssh
                .as_ref()
                .map(|ssh| (ssh.user.clone(), ssh.host.clone(), ssh.port))
        };
        assert_eq!(destination("localhost"), None);
        assert_eq!(
            destination("other1.example.com"),
            Some(("myuser".into(), "other1.example.com".into(), None))
        );
        let jumper = destination("jumper").expect("over ssh");
        assert_eq!((jumper.1.as_str(), jumper.2), ("192.0.2.50", Some(5555)));
        assert_eq!(
            destination("badwolf.example.com").and_then(|ssh| ssh.2),
            Some(5309)
        );
        assert_eq!(hosts["host2"].groups, ["atlanta", "raleigh", "southeast", "usa"]);
        assert_eq!(hosts["mail.example.com"].groups, ["ungrouped"]);
    }

    #[test]
    fn a_port_after_the_host_is_split_off_but_an_ipv6_address_is_not() {
        assert_eq!(
            split_port("badwolf.example.com:5309"),
            ("badwolf.example.com", Some("5309"))
        );
        assert_eq!(split_port("web1"), ("web1", None));
        assert_eq!(split_port("2001:db8::1"), ("2001:db8::1", None));
    }
}
