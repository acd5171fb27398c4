//! Recorded facts against current ones: what was there before the deployment and is gone now
//! is a regression, each named in a sentence; what is new is only news. A part either side
//! could not tell is not compared.

use std::collections::{BTreeMap, BTreeSet};

use super::access::AccessFacts;
use super::ignore::{IgnoreKind, Ignored};
use super::model::HostFacts;
use crate::access::Access;

/// What changed on one host since the baseline.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Each thing that was there and is gone, as a sentence.
    pub regressions: Vec<String>,
    /// Each thing that is there and was not, as a sentence.
    pub new: Vec<String>,
}

/// The changes from `before` to `now`, leaving out whatever `ignore` covers.
pub fn compare(before: &HostFacts, now: &HostFacts, ignore: &[Ignored]) -> Changes {
    let mut changes = Sorter {
        ignore,
        changes: Changes::default(),
    };
    // A part read before the deployment and unreadable now (systemd or the crontabs no longer
    // answer) cannot show it did not regress: that is a failure, never a quiet pass. A part not
    // readable before was never a promise. (`nagios` is absent when there is no such feature.)
    let parts = [
        (
            "systemd's services",
            before.services.is_some(),
            now.services.is_some(),
        ),
        ("the listening ports", before.ports.is_some(), now.ports.is_some()),
        ("the daemons", before.processes.is_some(), now.processes.is_some()),
        ("the crontabs", before.crontabs.is_some(), now.crontabs.is_some()),
        (
            "Apache's sites and modules",
            before.apache.is_some(),
            now.apache.is_some(),
        ),
    ];
    for (part, known_before, known_now) in parts {
        if known_before && !known_now {
            changes.changes.regressions.push(format!(
                "{part} were read before the deployment and cannot be now, so whether they regressed cannot be told"
            ));
        }
    }
    if let (Some(before), Some(now)) = (&before.services, &now.services) {
        changes.sets(
            IgnoreKind::Service,
            &before.running,
            &now.running,
            |name, gone| match gone {
                true => format!("the service `{name}` was running before the deployment and is not now"),
                false => format!("the service `{name}` is running and was not before the deployment"),
            },
        );
        changes.sets(
            IgnoreKind::Service,
            &before.enabled,
            &now.enabled,
            |name, gone| match gone {
                true => format!("the service `{name}` was enabled before the deployment and is not now"),
                false => format!("the service `{name}` is enabled and was not before the deployment"),
            },
        );
    }
    if let (Some(before), Some(now)) = (&before.ports, &now.ports) {
        changes.ports(before, now);
    }
    if let (Some(before), Some(now)) = (&before.processes, &now.processes) {
        changes.sets(IgnoreKind::Process, before, now, |name, gone| match gone {
            true => format!("the process `{name}` was running before the deployment and is not now"),
            false => format!("the process `{name}` is running and was not before the deployment"),
        });
    }
    if let (Some(before), Some(now)) = (&before.crontabs, &now.crontabs) {
        changes.crontabs(before, now);
    }
    if let (Some(before), Some(now)) = (&before.apache, &now.apache) {
        changes.sets(
            IgnoreKind::Site,
            &before.sites,
            &now.sites,
            |name, gone| match gone {
                true => format!("site `{name}` is no longer enabled"),
                false => format!("site `{name}` is newly enabled"),
            },
        );
        changes.sets(
            IgnoreKind::Module,
            &before.modules,
            &now.modules,
            |name, gone| match gone {
                true => format!("module `{name}` is no longer enabled"),
                false => format!("module `{name}` is newly enabled"),
            },
        );
        // A site no longer enabled is one regression, not one more per WSGI path of it.
        let none = BTreeSet::new();
        for site in before.sites.intersection(&now.sites) {
            let recorded = before.wsgi.get(site).unwrap_or(&none);
            let current = now.wsgi.get(site).unwrap_or(&none);
            changes.sets(IgnoreKind::Wsgi, recorded, current, |path, gone| match gone {
                true => format!("the {path} of site `{site}` was sound before the deployment and is not now"),
                false => format!("the {path} of site `{site}` is new"),
            });
        }
    }
    if let (Some(before), Some(now)) = (&before.nagios, &now.nagios) {
        for (check, state) in now {
            if before.get(check).is_some_and(|was| was == "OK") && state != "OK" {
                let sentence =
                    format!("the Nagios check `{check}` was OK before the deployment and is {state} now");
                changes.note(IgnoreKind::Nagios, check, true, sentence);
            }
        }
    }
    changes.changes
}

/// Who could see what before against now: access a role did not have before (or can no longer
/// be told it lacks) is a regression, access taken away is news. A cell not told before was
/// never a promise.
pub fn compare_access(before: &AccessFacts, now: &AccessFacts, ignore: &[Ignored]) -> Changes {
    let mut changes = Sorter {
        ignore,
        changes: Changes::default(),
    };
    for (path, roles) in before {
        for (role, was) in roles {
            let Some(was) = Access::parse(was) else { continue };
            let seen = now
                .get(path)
                .and_then(|roles| roles.get(role))
                .map_or("not asked", String::as_str);
            let is = Access::parse(seen);
            if is == Some(was) {
                continue;
            }
            let was_words = access_words(was);
            let (sentence, widened) = match is {
                Some(Access::Allowed) => (format!("`{role}` can now open {path} (was {was_words})"), true),
                Some(Access::Login) => (
                    format!("`{role}` is now sent to the login page on {path} (was {was_words})"),
                    false,
                ),
                Some(Access::Denied) => (format!("`{role}` is now denied {path} (was {was_words})"), false),
                None => (
                    format!(
                        "whether `{role}` can open {path} cannot be told now: it saw {seen} (was {was_words})"
                    ),
                    was != Access::Allowed,
                ),
            };
            changes.note(IgnoreKind::Access, &format!("{role} {path}"), widened, sentence);
        }
    }
    changes.changes
}

/// How a sentence says what a role met: `sent to the login page` rather than `login`.
fn access_words(access: Access) -> &'static str {
    match access {
        Access::Allowed => "allowed",
        Access::Denied => "denied",
        Access::Login => "sent to the login page",
    }
}

/// Sorts each difference into regressions or news, dropping the ignored ones.
struct Sorter<'a> {
    ignore: &'a [Ignored],
    changes: Changes,
}

impl Sorter<'_> {
    /// `regressed` sorts the sentence into the regressions, else into the news.
    fn note(&mut self, kind: IgnoreKind, name: &str, regressed: bool, sentence: String) {
        if self.ignore.iter().any(|entry| entry.covers(kind, name)) {
            return;
        }
        match regressed {
            true => self.changes.regressions.push(sentence),
            false => self.changes.new.push(sentence),
        }
    }

    /// Names in `before` but not `now` are gone; the other way round, new. `say` words it.
    fn sets(
        &mut self,
        kind: IgnoreKind,
        before: &BTreeSet<String>,
        now: &BTreeSet<String>,
        say: impl Fn(&str, bool) -> String,
    ) {
        for name in before.difference(now) {
            self.note(kind, name, true, say(name, true));
        }
        for name in now.difference(before) {
            self.note(kind, name, false, say(name, false));
        }
    }

    fn ports(&mut self, before: &BTreeMap<u16, Option<String>>, now: &BTreeMap<u16, Option<String>>) {
        let by = |program: &Option<String>| {
            program
                .as_ref()
                .map(|program| format!(" by {program}"))
                .unwrap_or_default()
        };
        for (port, program) in before {
            if !now.contains_key(port) {
                let sentence = format!("port {port} was listened on{} and is closed", by(program));
                self.note(IgnoreKind::Port, &port.to_string(), true, sentence);
            }
        }
        for (port, program) in now {
            if !before.contains_key(port) {
                let sentence = format!(
                    "port {port} is listened on{} and was not before the deployment",
                    by(program)
                );
                self.note(IgnoreKind::Port, &port.to_string(), false, sentence);
            }
        }
    }

    fn crontabs(&mut self, before: &BTreeMap<String, Vec<String>>, now: &BTreeMap<String, Vec<String>>) {
        let nothing = Vec::new();
        for (file, lines) in before {
            let current = now.get(file).unwrap_or(&nothing);
            for line in lines.iter().filter(|line| !current.contains(line)) {
                let sentence = format!("the crontab line `{line}` in {file} is gone");
                self.note(IgnoreKind::Cron, line, true, sentence);
            }
        }
        for (file, lines) in now {
            let recorded = before.get(file).unwrap_or(&nothing);
            for line in lines.iter().filter(|line| !recorded.contains(line)) {
                let sentence = format!("the crontab line `{line}` in {file} is new");
                self.note(IgnoreKind::Cron, line, false, sentence);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::model::{Apache, Services};

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    fn facts(
        services: &[&str],
        ports: &[(u16, Option<&str>)],
        processes: &[&str],
        cron: &[&str],
        sites: &[&str],
    ) -> HostFacts {
        HostFacts {
            services: Some(Services {
                running: set(services),
                enabled: set(services),
            }),
            ports: Some(
                ports
                    .iter()
                    .map(|(port, program)| (*port, program.map(str::to_owned)))
                    .collect(),
            ),
            processes: Some(set(processes)),
            crontabs: Some(BTreeMap::from([(
                "/etc/cron.d/ledger".to_owned(),
                cron.iter().map(|line| (*line).to_owned()).collect(),
            )])),
            apache: Some(Apache {
                sites: set(sites),
                modules: set(&["wsgi"]),
                wsgi: sites
                    .iter()
                    .map(|site| ((*site).to_owned(), set(&["WSGI interpreter `/srv/venv`"])))
                    .collect(),
            }),
            nagios: None,
        }
    }

    const HEARTBEAT: &str = "* * * * * www-data /srv/ledger/bin/heartbeat";

    fn before() -> HostFacts {
        facts(
            &["cron", "apache2"],
            &[(8081, Some("apache2")), (22, None)],
            &["cron", "ledger-worker"],
            &[HEARTBEAT],
            &["ledger"],
        )
    }

    #[test]
    fn nothing_changed_is_no_change() {
        assert_eq!(compare(&before(), &before(), &[]), Changes::default());
    }

    #[test]
    fn everything_gone_is_named_in_words_and_everything_new_is_news() {
        let now = facts(
            &["apache2", "redis"],
            &[(22, None), (6379, Some("redis-server"))],
            &["cron"],
            &[],
            &[],
        );
        let changes = compare(&before(), &now, &[]);
        assert_eq!(
            changes.regressions,
            [
                "the service `cron` was running before the deployment and is not now",
                "the service `cron` was enabled before the deployment and is not now",
                "port 8081 was listened on by apache2 and is closed",
                "the process `ledger-worker` was running before the deployment and is not now",
                "the crontab line `* * * * * www-data /srv/ledger/bin/heartbeat` in /etc/cron.d/ledger is gone",
                "site `ledger` is no longer enabled",
            ]
        );
        assert_eq!(
            changes.new,
            [
                "the service `redis` is running and was not before the deployment",
                "the service `redis` is enabled and was not before the deployment",
                "port 6379 is listened on by redis-server and was not before the deployment",
            ]
        );
    }

    #[test]
    fn a_broken_wsgi_interpreter_of_a_site_still_enabled_is_a_regression() {
        let mut now = before();
        if let Some(apache) = now.apache.as_mut() {
            apache.wsgi.clear();
        }
        let changes = compare(&before(), &now, &[]);
        assert_eq!(
            changes.regressions,
            [
                "the WSGI interpreter `/srv/venv` of site `ledger` was sound before the deployment and is not now"
            ]
        );
        let ignore = ["wsgi:/srv/venv".parse().expect("valid")];
        assert_eq!(compare(&before(), &now, &ignore), Changes::default());
    }

    #[test]
    fn a_nagios_check_that_was_ok_and_is_not_is_a_regression() {
        let states = |load: &str, disk: &str| HostFacts {
            nagios: Some(BTreeMap::from([
                ("check_load".to_owned(), load.to_owned()),
                ("check_disk".to_owned(), disk.to_owned()),
            ])),
            ..HostFacts::default()
        };
        let changes = compare(&states("OK", "WARNING"), &states("CRITICAL", "CRITICAL"), &[]);
        assert_eq!(
            changes.regressions,
            ["the Nagios check `check_load` was OK before the deployment and is CRITICAL now"]
        );
        let ignore = ["nagios:check_load".parse().expect("valid")];
        assert_eq!(
            compare(&states("OK", "OK"), &states("UNKNOWN", "OK"), &ignore),
            Changes::default()
        );
    }

    #[test]
    fn a_part_unread_before_is_not_compared_and_one_unreadable_now_cannot_pass() {
        let unknown = HostFacts {
            crontabs: None,
            ..HostFacts::default()
        };
        assert_eq!(compare(&unknown, &before(), &[]), Changes::default());
        let crontabs_unreadable = HostFacts {
            crontabs: None,
            ..before()
        };
        assert_eq!(
            compare(&before(), &crontabs_unreadable, &[]).regressions,
            [
                "the crontabs were read before the deployment and cannot be now, so whether they regressed cannot be told"
            ]
        );
    }

    #[test]
    fn ignored_changes_are_neither_regressions_nor_news() {
        let now = facts(&["apache2"], &[(22, None)], &["cron"], &[], &[]);
        let ignore: Vec<Ignored> = [
            "service:cron",
            "port:8081",
            "process:ledger-worker",
            "cron:heartbeat",
            "site:ledger",
        ]
        .iter()
        .map(|entry| entry.parse().expect("valid"))
        .collect();
        assert_eq!(compare(&before(), &now, &ignore), Changes::default());
        let some = &ignore[..1];
        let changes = compare(&before(), &now, some);
        assert_eq!(changes.regressions.len(), 4, "{:?}", changes.regressions);
        assert!(
            changes
                .regressions
                .iter()
                .all(|sentence| !sentence.contains("`cron` was"))
        );
    }

    fn access(cells: &[(&str, &str, &str)]) -> AccessFacts {
        let mut facts = AccessFacts::new();
        for (path, role, seen) in cells {
            facts
                .entry((*path).to_owned())
                .or_default()
                .insert((*role).to_owned(), (*seen).to_owned());
        }
        facts
    }

    #[test]
    fn access_gained_is_a_regression_in_words_and_access_lost_is_news() {
        let before = access(&[
            ("/reports/export/", "viewer", "denied"),
            ("/dashboard/", "clerk", "allowed"),
            ("/admin/", "anonymous", "login"),
            ("/admin/", "clerk", "denied"),
            ("/broken/", "viewer", "500"),
        ]);
        let now = access(&[
            ("/reports/export/", "viewer", "allowed"),
            ("/dashboard/", "clerk", "login"),
            ("/admin/", "anonymous", "error"),
            ("/admin/", "clerk", "denied"),
            ("/broken/", "viewer", "allowed"),
        ]);
        let changes = compare_access(&before, &now, &[]);
        assert_eq!(
            changes.regressions,
            [
                "whether `anonymous` can open /admin/ cannot be told now: it saw error (was sent to the login page)",
                "`viewer` can now open /reports/export/ (was denied)",
            ]
        );
        assert_eq!(
            changes.new,
            ["`clerk` is now sent to the login page on /dashboard/ (was allowed)"]
        );
        let ignore: Vec<Ignored> = ["access:/admin/", "access:viewer /reports/export/"]
            .iter()
            .map(|entry| entry.parse().expect("valid"))
            .collect();
        assert!(compare_access(&before, &now, &ignore).regressions.is_empty());
        let other_role = ["access:clerk /reports/export/".parse().expect("valid")];
        assert_eq!(compare_access(&before, &now, &other_role).regressions.len(), 2);
    }
}
