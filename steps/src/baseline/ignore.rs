//! `[baseline] ignore`: the changes a deployment is meant to make (`service:old-worker`,
//! `port:8082`), written as `KIND:NAME`, so they are neither regressions nor news.

use std::fmt;
use std::str::FromStr;

/// What kind of thing an ignore entry names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreKind {
    Service,
    Port,
    Process,
    /// Matches every crontab line holding the text.
    Cron,
    Site,
    Module,
    /// Matches every WSGI path holding the text.
    Wsgi,
    /// Matches every Nagios check whose command holds the text.
    Nagios,
    /// Who could see what: `PATH` for every role on it, or `ROLE PATH` for one.
    Access,
}

impl IgnoreKind {
    const ALL: [Self; 9] = [
        Self::Service,
        Self::Port,
        Self::Process,
        Self::Cron,
        Self::Site,
        Self::Module,
        Self::Wsgi,
        Self::Nagios,
        Self::Access,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Port => "port",
            Self::Process => "process",
            Self::Cron => "cron",
            Self::Site => "site",
            Self::Module => "module",
            Self::Wsgi => "wsgi",
            Self::Nagios => "nagios",
            Self::Access => "access",
        }
    }
}

/// One `KIND:NAME` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    pub kind: IgnoreKind,
    pub name: String,
}

impl Ignored {
    /// Whether this entry covers the thing `name` of `kind`: the same name, for crontab
    /// lines, WSGI paths and Nagios checks any one holding the text, and for access (named
    /// `ROLE PATH`) also every role on the entry's path.
    pub fn covers(&self, kind: IgnoreKind, name: &str) -> bool {
        self.kind == kind
            && match kind {
                IgnoreKind::Cron | IgnoreKind::Wsgi | IgnoreKind::Nagios => name.contains(&self.name),
                IgnoreKind::Access => {
                    name == self.name || name.split_once(' ').is_some_and(|(_, path)| path == self.name)
                }
                _ => name == self.name,
            }
    }
}

impl FromStr for Ignored {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let known = || {
            IgnoreKind::ALL
                .iter()
                .map(|kind| kind.word())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let Some((word, name)) = text.split_once(':') else {
            return Err(format!(
                "`{text}` names no kind of thing; write `KIND:NAME` (kinds: {})",
                known()
            ));
        };
        let kind = IgnoreKind::ALL
            .into_iter()
            .find(|kind| kind.word() == word.trim())
            .ok_or_else(|| {
                format!(
                    "`{}` is not a kind of thing the baseline records (kinds: {})",
                    word.trim(),
                    known()
                )
            })?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("`{text}` names no {}", kind.word()));
        }
        if kind == IgnoreKind::Port && name.parse::<u16>().is_err() {
            return Err(format!("`{name}` is not a port number"));
        }
        Ok(Self {
            kind,
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for Ignored {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}:{}", self.kind.word(), self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_a_kind_and_a_name() {
        let entry: Ignored = "service:old-worker".parse().expect("valid");
        assert_eq!(entry.kind, IgnoreKind::Service);
        assert!(entry.covers(IgnoreKind::Service, "old-worker"));
        assert!(!entry.covers(IgnoreKind::Process, "old-worker"));
        assert!(!entry.covers(IgnoreKind::Service, "old-worker2"));
        let cron: Ignored = "cron: heartbeat".parse().expect("valid");
        assert!(cron.covers(IgnoreKind::Cron, "* * * * * www-data /srv/heartbeat --quiet"));
        assert_eq!(cron.to_string(), "cron:heartbeat");
    }

    #[test]
    fn an_unknown_kind_a_missing_name_or_a_bad_port_is_refused() {
        let unknown = "daemon:cron".parse::<Ignored>().expect_err("unknown kind");
        assert!(
            unknown.starts_with("`daemon` is not a kind of thing"),
            "{unknown}"
        );
        assert!(
            unknown.contains("service, port, process, cron, site, module, wsgi, nagios, access"),
            "{unknown}"
        );
        assert!(
            "old-worker"
                .parse::<Ignored>()
                .expect_err("no kind")
                .contains("KIND:NAME")
        );
        assert!(
            "site:"
                .parse::<Ignored>()
                .expect_err("no name")
                .contains("names no site")
        );
        assert!(
            "port:http"
                .parse::<Ignored>()
                .expect_err("bad port")
                .contains("not a port number")
        );
    }
}
