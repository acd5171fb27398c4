//! The WebDriver endpoint of a run: the configured `browser.webdriver_url`, or a chromedriver
//! that shakedown starts on a free loopback port and stops when the run ends. The driver runs
//! in a process group of its own, so a Ctrl-C in the terminal reaches shakedown (which then
//! stops it in order) and stopping the group also ends every Chromium it started.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use thirtyfour::{ChromeCapabilities, ChromiumLikeCapabilities, LoggingPrefsLogLevel};
use tokio::process::{Child, Command};

use super::settings::BrowserSettings;
use crate::failure::StepFailure;
use crate::locked::lock;
use crate::machine::children::ChildGroup;

/// What to do when no driver is at hand; the one message every browser scenario then shows.
pub(crate) const INSTALL_HINT: &str = "install Chromium and its driver (`apt-get install chromium chromium-driver`), \
     or set `browser.chromedriver` to the driver's path, or `browser.webdriver_url` to a running WebDriver";

/// How long a started chromedriver may take to answer its status page.
const DRIVER_READY_LIMIT: Duration = Duration::from_secs(20);

/// Chromium's switches: headless-safe as root and in containers, and nothing that talks to
/// the network beyond the site under test (no updates, sync, or background fetches).
const CHROMIUM_ARGS: &[&str] = &[
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
    "--window-size=1280,1024",
];

/// The run's WebDriver endpoint.
pub(crate) struct Driver {
    pub url: String,
    /// The chromedriver this run started, with its process group (its Chromiums are in it);
    /// `None` for a configured endpoint.
    local: Mutex<Option<(Child, Option<ChildGroup>)>>,
}

impl Driver {
    /// The configured endpoint, or a freshly started chromedriver.
    pub async fn start(settings: &BrowserSettings, http: &reqwest::Client) -> Result<Self, StepFailure> {
        if let Some(url) = &settings.webdriver_url {
            return Ok(Self {
                url: url.to_string(),
                local: Mutex::new(None),
            });
        }
        let program = find_chromedriver(settings)?;
        let port = free_port()?;
        let mark = crate::machine::children::new_mark();
        // `setpriv` (util-linux) gives the driver a parent-death signal, so it dies even with a
        // shakedown killed by SIGKILL, and its Chromium with it (see `dying_with_its_driver`).
        let mut command = match on_path("setpriv") {
            Some(setpriv) => {
                let mut command = Command::new(setpriv);
                command.args(["--pdeathsig", "KILL", "--"]).arg(&program);
                command
            }
            None => Command::new(&program),
        };
        command
            .env(crate::machine::children::MARK_VARIABLE, &mark)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|error| {
            StepFailure::configuration(format!(
                "cannot start chromedriver `{}`: {error}",
                program.display()
            ))
            .with("hint", INSTALL_HINT)
        })?;
        let group = ChildGroup::marked(&child, &mark);
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(StepFailure::configuration(format!(
                    "chromedriver `{}` exited at once ({status})",
                    program.display()
                ))
                .with("hint", INSTALL_HINT));
            }
            let ready = http
                .get(format!("{url}/status"))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|answer| answer.status().is_success());
            if ready {
                break;
            }
            if started.elapsed() > DRIVER_READY_LIMIT {
                stop_child(child).await;
                return Err(StepFailure::configuration(format!(
                    "chromedriver `{}` did not answer on {url} within {}s",
                    program.display(),
                    DRIVER_READY_LIMIT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Self {
            url,
            local: Mutex::new(Some((child, group))),
        })
    }

    /// How the chromedriver this run started ended, if it has: killed from outside, crashed.
    /// `None` while it runs, and for a configured endpoint.
    pub fn ended(&self) -> Option<String> {
        let mut local = lock(&self.local);
        let (child, _) = local.as_mut()?;
        let status = child.try_wait().ok()??;
        Some(match std::os::unix::process::ExitStatusExt::signal(&status) {
            Some(signal) => format!(
                "chromedriver is no longer running: it was killed by signal {signal} ({})",
                nix::sys::signal::Signal::try_from(signal).map_or("unknown", |signal| signal.as_str())
            ),
            None => format!("chromedriver is no longer running: it exited ({status})"),
        })
    }

    /// Stops the chromedriver this run started, with every browser of its process group.
    pub async fn stop(&self) {
        let child = lock(&self.local).take();
        if let Some((child, _group)) = child {
            stop_child(child).await;
        }
    }
}

async fn stop_child(mut child: Child) {
    if let Some(pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) {
        // The group is the driver's own (`process_group(0)`): its id is the driver's pid.
        let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
    let _ = child.start_kill();
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
}

/// What a new session asks the driver for: Chromium's switches, its binary when known (`local`:
/// the driver runs on this machine) and its profile folder.
pub fn capabilities(
    settings: &BrowserSettings,
    local: bool,
    profile: Option<&Path>,
) -> Result<ChromeCapabilities, StepFailure> {
    let invalid = |error: thirtyfour::error::WebDriverError| {
        StepFailure::new(format!("cannot describe the browser to start: {error}"))
    };
    let mut capabilities = ChromeCapabilities::new();
    if settings.headless {
        capabilities.add_arg("--headless").map_err(invalid)?;
    }
    for arg in CHROMIUM_ARGS {
        capabilities.add_arg(arg).map_err(invalid)?;
    }
    if let Some(profile) = profile {
        capabilities
            .add_arg(&format!("--user-data-dir={}", profile.display()))
            .map_err(invalid)?;
    }
    // Exactly these keys, never every certificate: `--ignore-certificate-errors` stays off.
    // Chromium honours the list only with a profile folder of its own, which chromedriver
    // always gives it.
    if !settings.trusted_keys.is_empty() {
        capabilities
            .add_arg(&format!(
                "--ignore-certificate-errors-spki-list={}",
                settings.trusted_keys.join(",")
            ))
            .map_err(invalid)?;
    }
    let binary = settings.chromium.clone().or_else(|| {
        local
            .then(|| {
                ["chromium", "chromium-browser", "google-chrome"]
                    .into_iter()
                    .find_map(on_path)
            })
            .flatten()
    });
    if let Some(binary) = binary {
        let launched = match (local, profile) {
            (true, Some(profile)) => dying_with_its_driver(&binary, profile)?,
            _ => binary,
        };
        capabilities
            .set_binary(&launched.to_string_lossy())
            .map_err(invalid)?;
    }
    capabilities
        .set_browser_log_level(LoggingPrefsLogLevel::Severe)
        .map_err(invalid)?;
    Ok(capabilities)
}

/// A launcher in the session's profile folder that starts `binary` with a parent-death signal
/// (util-linux `setpriv`): a chromedriver killed by any means (its own parent-death signal
/// follows shakedown's SIGKILL) takes its Chromium with it, which would otherwise live on with
/// its debugging port. Chromium's DevTools stay on a port, not a pipe: the request guard needs
/// the address. Without `setpriv` Chromium is started as it is.
fn dying_with_its_driver(binary: &Path, profile: &Path) -> Result<PathBuf, StepFailure> {
    let Some(setpriv) = on_path("setpriv") else {
        return Ok(binary.to_path_buf());
    };
    let quoted = |path: &Path| format!("'{}'", path.to_string_lossy().replace('\'', r"'\''"));
    let script = format!(
        "#!/bin/sh\nexec {} --pdeathsig KILL -- {} \"$@\"\n",
        quoted(&setpriv),
        quoted(binary)
    );
    let launcher = profile.join("launch-chromium");
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o700)
        .open(&launcher)
        .and_then(|mut file| file.write_all(script.as_bytes()));
    written.map_err(|error| {
        StepFailure::new(format!(
            "cannot write the browser's launcher `{}`: {error}",
            launcher.display()
        ))
    })?;
    Ok(launcher)
}

fn find_chromedriver(settings: &BrowserSettings) -> Result<PathBuf, StepFailure> {
    match &settings.chromedriver {
        Some(path) if is_executable(path) => Ok(path.clone()),
        Some(path) => Err(StepFailure::configuration(format!(
            "no browser: `browser.chromedriver` (`{}`) is not an executable file",
            path.display()
        ))
        .with("hint", INSTALL_HINT)),
        None => on_path("chromedriver").ok_or_else(|| {
            StepFailure::configuration(
                "no browser: `chromedriver` is not on the PATH and no `browser.webdriver_url` is set",
            )
            .with("hint", INSTALL_HINT)
        }),
    }
}

/// `name` in a folder of the PATH, as the shell would find it.
pub(crate) fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|folder| folder.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

/// A loopback port nobody listens on right now.
fn free_port() -> Result<u16, StepFailure> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| {
            StepFailure::new(format!(
                "cannot find a free loopback port for chromedriver: {error}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_driver_says_what_to_install() {
        let settings = BrowserSettings {
            chromedriver: Some(PathBuf::from("/nonexistent/chromedriver")),
            ..BrowserSettings::default()
        };
        let failure = find_chromedriver(&settings).expect_err("missing");
        let message = failure.to_string();
        assert!(message.contains("`/nonexistent/chromedriver`"), "{message}");
        assert!(
            message.contains("apt-get install chromium chromium-driver"),
            "{message}"
        );
        assert!(message.contains("browser.webdriver_url"), "{message}");
    }

    #[test]
    fn chromium_stays_off_the_network_and_uses_its_own_profile() {
        let settings = BrowserSettings::default();
        let capabilities =
            capabilities(&settings, false, Some(Path::new("/tmp/profile-1"))).expect("capabilities");
        let json = serde_json::to_string(&capabilities).expect("json");
        for arg in [
            "--headless",
            "--disable-background-networking",
            "--disable-component-update",
            "--user-data-dir=/tmp/profile-1",
        ] {
            assert!(json.contains(arg), "{arg} missing from {json}");
        }
        let headed = BrowserSettings {
            headless: false,
            ..BrowserSettings::default()
        };
        let json = serde_json::to_string(&capabilities_or_panic(&headed)).expect("json");
        assert!(!json.contains("--headless"), "{json}");
        assert!(!json.contains("ignore-certificate-errors"), "{json}");
    }

    #[test]
    fn chromium_trusts_only_the_keys_it_is_given() {
        let settings = BrowserSettings {
            trusted_keys: vec!["a2V5MQ==".into(), "a2V5Mg==".into()],
            ..BrowserSettings::default()
        };
        let json = serde_json::to_string(&capabilities_or_panic(&settings)).expect("json");
        assert!(
            json.contains("\"--ignore-certificate-errors-spki-list=a2V5MQ==,a2V5Mg==\""),
            "{json}"
        );
        assert!(!json.contains("\"--ignore-certificate-errors\""), "{json}");
    }

    fn capabilities_or_panic(settings: &BrowserSettings) -> ChromeCapabilities {
        capabilities(settings, false, None).expect("capabilities")
    }
}
