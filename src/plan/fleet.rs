//! One suite for a fleet: the servers of an environment, and which scenarios run on which of
//! them. A scenario with probe steps runs once on every host (or on the hosts of the group its
//! `@on:GROUP` tag names); an HTTP or browser scenario tagged `@on:GROUP` runs once per host of
//! that group against the host's own `base_url`; every other scenario runs once, against the
//! environment's site. Each copy is named after its host (`Heartbeat ran [worker1]`), so every
//! report shows per host what passed and what failed. At most `limits.host_concurrency` servers
//! are worked on at the same time; the scenarios of the others wait their host's turn.

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use cucumber::gherkin::{Feature, Scenario};
use shakedown_steps::catalogue::HostSteps;
use shakedown_steps::{Deadline, Host, LocalHost, SshHost, SshSettings, StepFailure};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use super::suite::ScenarioId;
use crate::config::HostConfig;
use crate::error::Error;
use shakedown_steps::locked::lock;
use shakedown_steps::suggest::suggest;

/// The tag users write to run a scenario on the hosts of a group.
const GROUP_TAG: &str = "on:";

/// One server of the run.
#[derive(Debug)]
pub struct FleetHost {
    pub name: String,
    pub host: Arc<dyn Host>,
    pub groups: Vec<String>,
    pub base_url: Option<Url>,
    /// Where the server keeps the files its web server serves.
    pub docroot: Option<std::path::PathBuf>,
}

/// The run's servers; empty when the environment names none (probes look at this machine).
#[derive(Debug)]
pub struct Fleet {
    hosts: Vec<FleetHost>,
    turns: HostTurns,
    /// The host each scenario copy was made for, by index into `hosts`.
    assigned: HashMap<ScenarioId, usize>,
}

impl Fleet {
    /// The environment's hosts, narrowed to `wanted` (`--host`) when it names any.
    pub fn plan(
        configured: &BTreeMap<String, HostConfig>,
        ssh: &SshSettings,
        wanted: &[String],
        host_concurrency: NonZeroUsize,
    ) -> Result<Self, Error> {
        for name in wanted {
            if !configured.contains_key(name) {
                return Err(Error::UnknownHost {
                    name: name.clone(),
                    known: configured.keys().cloned().collect::<Vec<_>>().join(", "),
                    suggestion: suggest(name, configured.keys().map(String::as_str)).map(str::to_owned),
                });
            }
        }
        let hosts = configured
            .iter()
            .filter(|(name, _)| wanted.is_empty() || wanted.contains(name))
            .map(|(name, config)| {
                let host: Arc<dyn Host> = match &config.ssh {
                    Some(destination) => {
                        Arc::new(SshHost::new(name.clone(), destination.clone(), ssh.clone()))
                    }
                    None => Arc::new(LocalHost),
                };
                FleetHost {
                    name: name.clone(),
                    host,
                    groups: config.groups.clone(),
                    base_url: config.base_url.clone(),
                    docroot: config.docroot.clone(),
                }
            })
            .collect::<Vec<FleetHost>>();
        let turns = HostTurns::new(&hosts, host_concurrency);
        Ok(Self {
            hosts,
            turns,
            assigned: HashMap::new(),
        })
    }

    pub fn names(&self) -> Vec<String> {
        self.hosts.iter().map(|host| host.name.clone()).collect()
    }

    /// Every feature with its scenarios copied once per host they run on; each copy's host is
    /// kept here, by the copy's id.
    pub fn expand(&mut self, features: Vec<Feature>) -> Result<Vec<Feature>, Error> {
        let mut assigned = HashMap::new();
        let host_steps = HostSteps::new();
        let expanded = features
            .into_iter()
            .map(|mut feature| {
                let background_probes = feature
                    .background
                    .iter()
                    .flat_map(|background| &background.steps)
                    .any(|step| host_steps.runs_on_host(&step.value));
                let path = feature.path.clone();
                let mut expand =
                    |scenarios: Vec<Scenario>, rule_probes: bool| -> Result<Vec<Scenario>, Error> {
                        let mut copies = Vec::new();
                        for scenario in scenarios {
                            let probes = background_probes
                                || rule_probes
                                || scenario
                                    .steps
                                    .iter()
                                    .any(|step| host_steps.runs_on_host(&step.value));
                            let hosts =
                                self.hosts_for(&scenario, probes)
                                    .map_err(|group| Error::UnknownGroup {
                                        group,
                                        location: format!(
                                            "{}:{}",
                                            path.as_deref().unwrap_or(std::path::Path::new("")).display(),
                                            scenario.position.line
                                        ),
                                        known: self.groups().join(", "),
                                    })?;
                            match hosts {
                                None => copies.push(scenario),
                                Some(hosts) => {
                                    for host in hosts {
                                        let copy = copy_for(&scenario, &self.hosts[host]);
                                        assigned.insert(ScenarioId::in_file(path.as_deref(), &copy), host);
                                        copies.push(copy);
                                    }
                                }
                            }
                        }
                        Ok(copies)
                    };
                feature.scenarios = expand(std::mem::take(&mut feature.scenarios), false)?;
                for rule in &mut feature.rules {
                    let rule_probes = rule
                        .background
                        .iter()
                        .flat_map(|background| &background.steps)
                        .any(|step| host_steps.runs_on_host(&step.value));
                    rule.scenarios = expand(std::mem::take(&mut rule.scenarios), rule_probes)?;
                }
                Ok(feature)
            })
            .collect::<Result<Vec<Feature>, Error>>()?;
        self.assigned = assigned;
        Ok(expanded)
    }

    /// The hosts a scenario runs on; `Ok(None)` when it runs once against the site. An
    /// `@on:GROUP` tag naming a group no host has is `Err(group)`.
    fn hosts_for(&self, scenario: &Scenario, probes: bool) -> Result<Option<Vec<usize>>, String> {
        let groups: Vec<&str> = scenario
            .tags
            .iter()
            .filter_map(|tag| tag.strip_prefix(GROUP_TAG))
            .collect();
        if groups.is_empty() {
            return Ok((probes && !self.hosts.is_empty()).then(|| (0..self.hosts.len()).collect()));
        }
        if self.hosts.is_empty() {
            // An environment without hosts: the scenario runs where shakedown runs.
            return Ok(None);
        }
        for group in &groups {
            if !self.groups().iter().any(|known| known == group) {
                return Err((*group).to_owned());
            }
        }
        Ok(Some(
            self.hosts
                .iter()
                .enumerate()
                .filter(|(_, host)| host.groups.iter().any(|group| groups.contains(&group.as_str())))
                .map(|(index, _)| index)
                .collect(),
        ))
    }

    fn groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = self.hosts.iter().flat_map(|host| host.groups.clone()).collect();
        groups.sort();
        groups.dedup();
        groups
    }

    /// The host a scenario copy was made for.
    pub fn assigned(&self, scenario: &ScenarioId) -> Option<&FleetHost> {
        self.assigned.get(scenario).map(|&index| &self.hosts[index])
    }

    /// Waits until `queue` for `host`'s turn: it is being worked on already, or one of the
    /// `limits.host_concurrency` places is free. The turn lasts while any lease of it is held.
    pub async fn turn(&self, host: &FleetHost, queue: Deadline) -> Result<HostLease, StepFailure> {
        self.turns.enter(&host.name, queue).await
    }

    /// The run's servers.
    pub fn hosts(&self) -> &[FleetHost] {
        &self.hosts
    }

    /// Closes every SSH connection the run opened.
    pub async fn close(&self) {
        futures::future::join_all(self.hosts.iter().map(|host| host.host.close())).await;
    }
}

/// Whose turn it is: the places of `limits.host_concurrency`, and per host how many of its
/// scenarios hold its place.
#[derive(Debug)]
struct HostTurns {
    places: Arc<Semaphore>,
    limit: NonZeroUsize,
    hosts: HashMap<String, Arc<HostTurn>>,
}

#[derive(Debug, Default)]
struct HostTurn {
    /// One scenario of the host at a time waits for a place; the others wait behind it and
    /// then share the place it got.
    admission: tokio::sync::Mutex<()>,
    held: Mutex<Held>,
}

#[derive(Debug, Default)]
struct Held {
    scenarios: usize,
    place: Option<OwnedSemaphorePermit>,
}

/// A scenario's share of its host's turn; the place is given up when the host's last share goes.
#[derive(Debug)]
pub struct HostLease(Arc<HostTurn>);

impl Drop for HostLease {
    fn drop(&mut self) {
        let mut held = lock(&self.0.held);
        held.scenarios = held.scenarios.saturating_sub(1);
        if held.scenarios == 0 {
            held.place = None;
        }
    }
}

impl HostTurns {
    fn new(hosts: &[FleetHost], limit: NonZeroUsize) -> Self {
        Self {
            places: Arc::new(Semaphore::new(limit.get())),
            limit,
            hosts: hosts
                .iter()
                .map(|host| (host.name.clone(), Arc::default()))
                .collect(),
        }
    }

    async fn enter(&self, name: &str, queue: Deadline) -> Result<HostLease, StepFailure> {
        let Some(turn) = self.hosts.get(name) else {
            return Err(StepFailure::new(format!("`{name}` is not a host of this run")));
        };
        let waited_too_long = || {
            queue
                .exceeded(format!(
                    "{name} got no turn while other servers were worked on (`limits.host_concurrency` = {})",
                    self.limit
                ))
                .with(
                    "hint",
                    "raise `limits.host_concurrency` or `limits.scenario_timeout`, or run fewer hosts at a time (`--host`)",
                )
        };
        let _admission = queue
            .run(turn.admission.lock())
            .await
            .ok_or_else(waited_too_long)?;
        {
            let mut held = lock(&turn.held);
            if held.scenarios > 0 {
                held.scenarios += 1;
                return Ok(HostLease(Arc::clone(turn)));
            }
        }
        let place = queue
            .run(Arc::clone(&self.places).acquire_owned())
            .await
            .ok_or_else(waited_too_long)?
            .map_err(|_| StepFailure::new("the run is ending: no new turn on a server"))?;
        let mut held = lock(&turn.held);
        held.scenarios = 1;
        held.place = Some(place);
        Ok(HostLease(Arc::clone(turn)))
    }
}

fn copy_for(scenario: &Scenario, host: &FleetHost) -> Scenario {
    let mut copy = scenario.clone();
    copy.name = format!("{} [{}]", scenario.name, host.name);
    copy
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet() -> Fleet {
        let host = |name: &str, groups: &[&str]| FleetHost {
            name: name.to_owned(),
            host: Arc::new(LocalHost),
            groups: groups.iter().map(|group| (*group).to_owned()).collect(),
            base_url: None,
            docroot: None,
        };
        let hosts = vec![
            host("web1", &["web"]),
            host("web2", &["web"]),
            host("worker1", &["cron"]),
        ];
        let turns = HostTurns::new(&hosts, NonZeroUsize::MIN);
        Fleet {
            hosts,
            turns,
            assigned: HashMap::new(),
        }
    }

    fn feature(text: &str) -> Feature {
        crate::plan::gherkin_reader::read(text, std::path::Path::new("fleet.feature"))
            .expect("reads")
            .feature
            .expect("a feature")
    }

    fn names(features: &[Feature]) -> Vec<String> {
        features[0]
            .scenarios
            .iter()
            .map(|scenario| scenario.name.clone())
            .collect()
    }

    #[test]
    fn probe_scenarios_run_on_every_host_and_site_scenarios_once() {
        let mut fleet = fleet();
        let expanded = fleet
            .expand(vec![feature(indoc::indoc! {r#"
                Feature: Servers
                  Scenario: Cron runs
                    Then the service "cron" should be running
                  Scenario: Home page
                    When I request "/"
                  @on:web
                  Scenario: Each backend serves the page
                    When I request "/"
                  @on:cron
                  Scenario: Heartbeat
                    Then the file "/tmp/beat" should exist
            "#})])
            .expect("expands");
        assert_eq!(
            names(&expanded),
            [
                "Cron runs [web1]",
                "Cron runs [web2]",
                "Cron runs [worker1]",
                "Home page",
                "Each backend serves the page [web1]",
                "Each backend serves the page [web2]",
                "Heartbeat [worker1]",
            ]
        );
        let copy = ScenarioId::of(&expanded[0], &expanded[0].scenarios[6]);
        assert_eq!(
            fleet.assigned(&copy).map(|host| host.name.as_str()),
            Some("worker1")
        );
        let once = ScenarioId::of(&expanded[0], &expanded[0].scenarios[3]);
        assert!(fleet.assigned(&once).is_none());
    }

    #[tokio::test]
    async fn a_host_shares_its_turn_and_the_others_wait_for_a_place() {
        let fleet = fleet();
        let [web1, web2, _] = &fleet.hosts[..] else {
            panic!("three hosts")
        };
        let queue = || {
            Deadline::after(
                std::time::Duration::from_millis(200),
                shakedown_steps::Limit::Scenario,
            )
        };
        let first = fleet.turn(web1, queue()).await.expect("a free place");
        let second = fleet.turn(web1, queue()).await.expect("web1 is being worked on");
        let waited = fleet
            .turn(web2, queue())
            .await
            .expect_err("the only place is web1's");
        assert_eq!(
            waited.to_string().lines().next(),
            Some(
                "web2 got no turn while other servers were worked on (`limits.host_concurrency` = 1) \
                 within 200ms (`limits.scenario_timeout`)"
            )
        );
        drop(first);
        fleet
            .turn(web2, queue())
            .await
            .expect_err("web1 still holds its place");
        drop(second);
        fleet.turn(web2, queue()).await.expect("web1 gave its place up");
    }

    #[test]
    fn a_group_no_host_has_is_bad_input() {
        let error = fleet()
            .expand(vec![feature(
                "Feature: F\n  @on:db\n  Scenario: S\n    When I request \"/\"\n",
            )])
            .expect_err("unknown group");
        assert!(error.render().contains("`@on:db`"), "{}", error.render());
    }
}
