//! The baseline file: a versioned JSON document, one section of facts per host, meant to be
//! kept as a CI artifact between the pre-flight and the post-install stage.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::access::AccessFacts;
use crate::failure::StepFailure;

/// The format's version; a file of another version is refused, never half-read.
pub const VERSION: u32 = 1;

/// What `shakedown baseline record` wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: String,
    pub environment: String,
    /// The shakedown version that recorded it.
    pub shakedown: String,
    /// Each host's facts by the name the host goes by (`web1`; `this machine` for the machine
    /// shakedown runs on).
    pub hosts: BTreeMap<String, HostFacts>,
    /// Who could see what on the site; absent when the features hold no access matrix, and
    /// from files an older shakedown wrote, which still load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessFacts>,
}

/// One host's facts. A part the host could not tell (no systemd, no `/proc`) is `None`, and is
/// then never compared: unknown is not a regression.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HostFacts {
    pub services: Option<Services>,
    /// Each listening TCP port and the program listening on it, when the host says.
    pub ports: Option<BTreeMap<u16, Option<String>>>,
    /// The names of the long-running daemons.
    pub processes: Option<BTreeSet<String>>,
    /// Each crontab that exists and its job lines as written; `None` when one could not be
    /// read (a missing one is simply not there).
    pub crontabs: Option<BTreeMap<String, Vec<String>>>,
    pub apache: Option<Apache>,
    /// Each check of the imported monitoring feature and the state it gave (`OK`,
    /// `CRITICAL`...); `None` when there is no such feature.
    pub nagios: Option<BTreeMap<String, String>>,
}

/// systemd's services.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Services {
    pub running: BTreeSet<String>,
    pub enabled: BTreeSet<String>,
}

/// Apache's enabled sites and modules, and the WSGI paths of each site that were sound.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Apache {
    pub sites: BTreeSet<String>,
    pub modules: BTreeSet<String>,
    /// By site: `WSGI interpreter `/srv/venv``, for each path its role needs it to be.
    pub wsgi: BTreeMap<String, BTreeSet<String>>,
}

/// The most a baseline file may hold: thousands of hosts' facts, never a device's endless bytes.
const MAX_BASELINE_BYTES: u64 = 256 * 1024 * 1024;

impl Baseline {
    /// Reads a baseline file; every way it can be unusable is one configuration failure.
    pub async fn read(path: &Path) -> Result<Self, StepFailure> {
        let shown = path.display();
        let bytes = crate::read_input::read_bounded(path, MAX_BASELINE_BYTES).map_err(|error| {
            StepFailure::configuration(format!("cannot read the baseline `{shown}`: {error}")).with(
                "hint",
                "record it first, before the deployment: `shakedown baseline record --env ENV --out FILE`",
            )
        })?;
        Self::parse(&bytes).map_err(|problem| {
            StepFailure::configuration(format!("the baseline `{shown}` cannot be used: {problem}"))
        })
    }

    /// The document in `bytes`, or what is wrong with it.
    fn parse(bytes: &[u8]) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|error| format!("it is not JSON ({error})"))?;
        match value.get("version").and_then(serde_json::Value::as_u64) {
            Some(version) if version == u64::from(VERSION) => {}
            Some(version) => {
                return Err(format!(
                    "it is of version {version}, and this shakedown reads version {VERSION}; record it again"
                ));
            }
            None => return Err("it has no `version`: it is not a shakedown baseline".into()),
        }
        serde_json::from_value(value).map_err(|error| format!("it is not a shakedown baseline ({error})"))
    }

    /// The section of the host named `host`.
    pub fn host(&self, host: &str, path: &Path) -> Result<&HostFacts, StepFailure> {
        self.hosts.get(host).ok_or_else(|| {
            let known: Vec<&str> = self.hosts.keys().map(String::as_str).collect();
            StepFailure::configuration(format!(
                "the baseline `{}` has no section for {host}",
                path.display()
            ))
            .with("seen", format!("sections for: {}", known.join(", ")))
            .with(
                "hint",
                "record the baseline on the same environment and hosts it is compared on",
            )
        })
    }

    /// Writes the file whole or not at all, and only over a regular file.
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let mut text = serde_json::to_vec_pretty(self)?;
        text.push(b'\n');
        crate::written::replace_file(path, &text)
    }
}

impl HostFacts {
    /// The facts as they may be written and printed: every text in them (a crontab line with
    /// `https://ops:pass@…` in it, a check's arguments) redacted like every other output.
    /// Recorded and current facts are both taken this way, so they compare alike.
    #[must_use]
    pub fn redacted(self) -> Self {
        fn redact_all(value: serde_json::Value) -> serde_json::Value {
            use serde_json::Value;
            match value {
                Value::String(text) => Value::String(crate::redact::redact(&text).into_owned()),
                Value::Array(items) => Value::Array(items.into_iter().map(redact_all).collect()),
                Value::Object(fields) => Value::Object(
                    fields
                        .into_iter()
                        .map(|(key, value)| (crate::redact::redact(&key).into_owned(), redact_all(value)))
                        .collect(),
                ),
                other => other,
            }
        }
        // The model is plain data: it always becomes JSON and back.
        match serde_json::to_value(&self)
            .map(redact_all)
            .map(serde_json::from_value)
        {
            Ok(Ok(redacted)) => redacted,
            _ => self,
        }
    }

    /// What was gathered, in one line: `2 services running, 3 enabled, 1 listening port, ...`;
    /// a part the host could not tell reads `unknown`.
    pub fn summary(&self) -> String {
        let count = |known: Option<usize>, what: &str| match known {
            Some(count) => format!("{count} {what}"),
            None => format!("{what}: unknown"),
        };
        [
            count(
                self.services.as_ref().map(|services| services.running.len()),
                "services running",
            ),
            count(
                self.services.as_ref().map(|services| services.enabled.len()),
                "services enabled",
            ),
            count(self.ports.as_ref().map(BTreeMap::len), "listening ports"),
            count(self.processes.as_ref().map(BTreeSet::len), "daemons"),
            count(
                self.crontabs
                    .as_ref()
                    .map(|tables| tables.values().map(Vec::len).sum()),
                "crontab lines",
            ),
            count(
                self.apache.as_ref().map(|apache| apache.sites.len()),
                "Apache sites",
            ),
            count(
                self.apache.as_ref().map(|apache| apache.modules.len()),
                "Apache modules",
            ),
            count(
                self.apache
                    .as_ref()
                    .map(|apache| apache.wsgi.values().map(BTreeSet::len).sum()),
                "WSGI paths",
            ),
            count(self.nagios.as_ref().map(BTreeMap::len), "Nagios checks"),
        ]
        .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_redacted_before_they_are_written_or_compared() {
        crate::redact::register("s3cret-in-a-check");
        let facts = HostFacts {
            crontabs: Some(BTreeMap::from([(
                "/etc/cron.d/ledger".to_owned(),
                vec!["*/5 * * * * www-data curl -s https://ops:hunter2@ledger.example/ping".to_owned()],
            )])),
            nagios: Some(BTreeMap::from([(
                "check_http -H ledger -a admin:s3cret-in-a-check".to_owned(),
                "OK".to_owned(),
            )])),
            ..HostFacts::default()
        }
        .redacted();
        let written = serde_json::to_string(&facts).expect("JSON");
        assert!(!written.contains("hunter2"), "{written}");
        assert!(!written.contains("s3cret-in-a-check"), "{written}");
        assert!(
            written.contains("https://ops:***@ledger.example/ping"),
            "{written}"
        );
        assert!(written.contains("admin:[redacted]"), "{written}");
    }

    fn recorded() -> Baseline {
        let facts = HostFacts {
            processes: Some(BTreeSet::from(["cron".to_owned()])),
            ports: Some(BTreeMap::from([(8081, Some("apache2".to_owned())), (22, None)])),
            crontabs: Some(BTreeMap::from([(
                "/etc/cron.d/ledger".to_owned(),
                vec!["* * * * * www-data heartbeat".to_owned()],
            )])),
            ..HostFacts::default()
        };
        Baseline {
            version: VERSION,
            recorded_at: "2026-11-30T05:00:00Z".into(),
            environment: "staging".into(),
            shakedown: "0.1.0".into(),
            hosts: BTreeMap::from([("web1".to_owned(), facts)]),
            access: None,
        }
    }

    #[test]
    fn a_written_baseline_reads_back_the_same() {
        let folder = tempfile::tempdir().expect("temp dir");
        let path = folder.path().join("baseline.json");
        let baseline = recorded();
        baseline.write(&path).expect("written");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("\"version\": 1"), "{text}");
        assert!(!text.contains("\"access\""), "{text}");
        assert_eq!(Baseline::parse(text.as_bytes()).expect("parsed"), baseline);
        assert_eq!(
            baseline.hosts["web1"].summary(),
            "services running: unknown, services enabled: unknown, 2 listening ports, 1 daemons, 1 crontab lines, Apache sites: unknown, Apache modules: unknown, WSGI paths: unknown, Nagios checks: unknown"
        );
        assert_eq!(std::fs::read_dir(folder.path()).expect("listed").count(), 1);
    }

    #[test]
    fn an_unusable_file_says_why() {
        assert!(
            Baseline::parse(b"not json")
                .expect_err("text")
                .starts_with("it is not JSON")
        );
        let other = Baseline::parse(br#"{"version": 2, "hosts": {}}"#).expect_err("version 2");
        assert!(other.starts_with("it is of version 2"), "{other}");
        let none = Baseline::parse(br#"{"hosts": {}}"#).expect_err("no version");
        assert!(none.contains("no `version`"), "{none}");
        let failure = recorded().host("web2", Path::new("b.json")).expect_err("no web2");
        assert_eq!(failure.summary(), "the baseline `b.json` has no section for web2");
        assert_eq!(failure.kind(), crate::failure::FailureKind::Configuration);
    }
}
