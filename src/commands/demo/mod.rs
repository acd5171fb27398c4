//! `shakedown demo`: the newcomer's first command. Starts the bundled demo site on loopback
//! inside this process and runs the bundled features against it, or (`--serve`) only serves
//! the site so a team can try its own features on it. The bundled suite has browser scenarios,
//! so on a machine without Chromium or chromedriver the demo installs them first (Debian's
//! packages, as root or through sudo), as `ci/test` does. `--tls` serves the site over HTTPS
//! with a certificate made at start, which the demo's configuration trusts and nothing else.

mod out_folder;

use std::path::Path;

use include_dir::{Dir, include_dir};
use shakedown_demo_site::{DemoOptions, Fault, RunningSite, TestCertificate, USERS};
use tokio::net::TcpListener;

use crate::cli::{DemoArgs, Selection};
use crate::config;
use crate::error::Error;
use crate::output::say;
use crate::plan::{Overrides, Reports, RunPlan};
use out_folder::OutFolder;

/// The bundled suite, carried inside the binary so the demo runs from anywhere.
static FEATURES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/features");
/// The configuration the bundled suite runs with; its base URL is replaced by the site's.
const DEMO_CONFIG: &str = include_str!("../../../fixtures/demo/shakedown.toml");

/// The site's certificate under `--tls`, in the `--out` folder beside shakedown.toml.
const CERTIFICATE_FILE: &str = "demo-certificate.pem";

pub async fn demo(args: DemoArgs, working_dir: &Path) -> Result<i32, Error> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("shakedown-demo"));
    let out = working_dir.join(out);
    refuse_https_faults_without_tls(&args)?;
    let mut out_folder = OutFolder::claim(&out)?;
    let step_timeout = args.step_timeout;
    let certificate = args
        .tls
        .then(TestCertificate::for_loopback)
        .transpose()
        .map_err(|source| Error::Io {
            what: "cannot serve the demo site over HTTPS".into(),
            source,
        })?;
    let site = start_site(&args, &out, &mut out_folder, certificate.clone()).await?;
    if args.serve {
        return serve(site, &args, &out, certificate.as_ref()).await;
    }
    install_browser_if_missing(&out).await;
    let key_pin = certificate.as_ref().map(TestCertificate::key_pin);
    let outcome = run_bundled_suite(
        &args,
        out_folder,
        &out,
        site.url(),
        key_pin,
        step_timeout,
        working_dir,
    )
    .await;
    site.shutdown().await;
    outcome
}

/// A fault only an HTTPS site can have would pass unnoticed over HTTP: the demo would then
/// prove nothing, so it is refused.
fn refuse_https_faults_without_tls(args: &DemoArgs) -> Result<(), Error> {
    match args.fault.iter().find(|fault| fault.needs_https()) {
        Some(fault) if !args.tls => Err(Error::InvalidValue {
            what: "--fault",
            value: fault.name().to_owned(),
            problem: "this mistake shows only on a site served over HTTPS; add `--tls`".into(),
        }),
        _ => Ok(()),
    }
}

/// Debian's packages that give `chromium` and `chromedriver`.
const BROWSER_PACKAGES: [&str; 2] = ["chromium", "chromium-driver"];

/// How long installing the browser may take: a download on a slow mirror, not a hang.
const INSTALL_LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Installs Chromium and chromedriver when either is missing, as one line of progress: apt's
/// hundreds of lines go to `apt.log` in the demo's folder, named when the installation fails.
/// When it cannot be done the demo goes on: its browser scenarios then fail with the driver's
/// message.
async fn install_browser_if_missing(out: &Path) {
    let missing = ["chromium", "chromedriver"]
        .into_iter()
        .any(|program| browser_tool(program).is_none());
    if !missing {
        return;
    }
    let install = format!("apt-get install -y {}", BROWSER_PACKAGES.join(" "));
    let Some(apt_get) = browser_tool("apt-get") else {
        say!(
            "shakedown demo: Chromium or chromedriver is missing and this is not a Debian-like system: install them, or the browser scenarios fail"
        );
        return;
    };
    let root = nix::unistd::geteuid().is_root();
    let sudo = browser_tool("sudo");
    if !root && sudo.is_none() {
        say!(
            "shakedown demo: Chromium or chromedriver is missing; run `{install}` as root, or the browser scenarios fail"
        );
        return;
    }
    let log_path = out.join("apt.log");
    let log = match std::fs::create_dir_all(out).and_then(|()| std::fs::File::create(&log_path)) {
        Ok(log) => log,
        Err(error) => {
            say!(
                "shakedown demo: cannot write `{}` ({error}); run `{install}` yourself, or the browser scenarios fail",
                log_path.display()
            );
            return;
        }
    };
    let apt = |args: &[&str]| -> std::io::Result<tokio::process::Command> {
        let mut command = match (&sudo, root) {
            (Some(sudo), false) => {
                let mut command = tokio::process::Command::new(sudo);
                command.arg(&apt_get);
                command
            }
            _ => tokio::process::Command::new(&apt_get),
        };
        command
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log.try_clone()?)
            .kill_on_drop(true);
        Ok(command)
    };
    let mut install_args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install_args.extend(BROWSER_PACKAGES);
    // A spinner on a terminal; indicatif draws nothing when stderr is a file or a pipe.
    let progress = indicatif::ProgressBar::new_spinner().with_message(format!(
        "shakedown demo: installing {} with {}apt-get (log: {})",
        BROWSER_PACKAGES.join(" and "),
        if root { "" } else { "sudo " },
        log_path.display()
    ));
    progress.enable_steady_tick(std::time::Duration::from_millis(120));
    let installed = async {
        let updated = apt(&["update", "-qq"])?.status().await?;
        if !updated.success() {
            return Ok(updated);
        }
        apt(&install_args)?.status().await
    };
    let outcome = tokio::time::timeout(INSTALL_LIMIT, installed).await;
    progress.finish_and_clear();
    let failed = |why: String| {
        say!(
            "shakedown demo: installing the browser failed ({why}); apt's output is in `{}`; the browser scenarios will fail",
            log_path.display()
        )
    };
    match outcome {
        Err(_) => failed(format!(
            "not done within {} minutes",
            INSTALL_LIMIT.as_secs() / 60
        )),
        Ok(Ok(status)) if status.success() => {
            say!("shakedown demo: installed {}", BROWSER_PACKAGES.join(" and "))
        }
        Ok(Ok(status)) => failed(status.to_string()),
        Ok(Err(error)) => failed(format!("cannot run apt-get: {error}")),
    }
}

/// A program on the PATH, or in the folders Debian installs system tools to.
fn browser_tool(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin", "/usr/sbin", "/bin", "/sbin"].map(std::path::PathBuf::from))
        .map(|folder| folder.join(program))
        .find(|candidate| candidate.is_file())
}

async fn start_site(
    args: &DemoArgs,
    out: &Path,
    out_folder: &mut OutFolder,
    certificate: Option<TestCertificate>,
) -> Result<RunningSite, Error> {
    let io_error = |what: String| move |source| Error::Io { what, source };
    let listener = TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(io_error(format!("cannot listen on 127.0.0.1:{}", args.port)))?;
    let mut options = args.fault.iter().fold(
        DemoOptions::new(out.join("state")).with_release(args.release.clone()),
        |options, fault| options.with_fault(*fault),
    );
    if let Some(certificate) = certificate {
        // Placed as this demo's own file, so that the bundle's clean-up keeps it.
        let what = format!(
            "cannot write the demo's certificate to `{}`",
            out.join(CERTIFICATE_FILE).display()
        );
        let path = out_folder
            .place(CERTIFICATE_FILE)
            .map_err(io_error(what.clone()))?;
        shakedown_steps::written::replace_file(&path, certificate.pem().as_bytes())
            .map_err(io_error(what))?;
        options = options.with_tls(certificate);
    }
    let site = shakedown_demo_site::start(listener, options)
        .await
        .map_err(io_error("cannot start the demo site".into()))?;
    let faults: Vec<&str> = args.fault.iter().map(|fault| fault.name()).collect();
    say!(
        "demo site: {} ({})",
        site.url(),
        if faults.is_empty() {
            "healthy".to_owned()
        } else {
            format!("faults: {}", faults.join(", "))
        }
    );
    Ok(site)
}

/// Serves until Ctrl-C, showing what a feature author needs to know about the site.
async fn serve(
    site: RunningSite,
    args: &DemoArgs,
    out: &Path,
    certificate: Option<&TestCertificate>,
) -> Result<i32, Error> {
    let release = &args.release;
    if let Some(certificate) = certificate {
        say!(
            "  certificate:    {} (trust it with `probes.tls_ca_file`, and in the browser with `browser.trusted_keys = [\"{}\"]`)",
            out.join(CERTIFICATE_FILE).display(),
            certificate.key_pin()
        );
    }
    say!("  heartbeat file: {}", site.heartbeat_path().display());
    say!("  crontab:        {}", site.crontab_path().display());
    say!("  release:        {release} at /version (PUT another to /__demo/release to switch)");
    for user in USERS {
        say!(
            "  user {:<7} password {:<17} role {}",
            user.username,
            user.password,
            user.role
        );
    }
    say!("  faults you can switch on with --fault:");
    for fault in Fault::ALL {
        let only_https = if fault.needs_https() { " (with --tls)" } else { "" };
        say!("    {:<24} {}{only_https}", fault.name(), fault.describe());
    }
    say!("press Ctrl-C to stop");
    let waited = tokio::signal::ctrl_c().await;
    site.shutdown().await;
    waited
        .map(|()| crate::error::exit::PASSED)
        .map_err(|source| Error::Io {
            what: "cannot wait for Ctrl-C".into(),
            source,
        })
}

async fn run_bundled_suite(
    args: &DemoArgs,
    out_folder: OutFolder,
    out: &Path,
    url: &str,
    key_pin: Option<&str>,
    step_timeout: Option<std::time::Duration>,
    working_dir: &Path,
) -> Result<i32, Error> {
    // Under `--tls` the HTTP steps, the TLS probe and the browser trust the site's own
    // certificate, and only it.
    let config = match key_pin {
        Some(key_pin) => format!(
            "{DEMO_CONFIG}
# `shakedown demo --tls`: the site's certificate, made when the demo started.
[probes]
tls_ca_file = \"{CERTIFICATE_FILE}\"

[browser]
trusted_keys = [\"{key_pin}\"]
"
        ),
        None => DEMO_CONFIG.to_owned(),
    };
    write_bundle(out_folder, out, &config)?;
    let selection = Selection {
        paths: Vec::new(),
        config: Some(out.join(config::FILE_NAME)),
        tags: args.tags.clone(),
    };
    let overrides = Overrides {
        environment: Some("demo".into()),
        base_url: Some(url.to_owned()),
        step_timeout,
        junit: Some(out.join("junit.xml")),
        headed: args.headed,
        reports: Reports {
            html: Some(out.join("report.html")),
            ..Reports::default()
        },
        ..Overrides::default()
    };
    super::run::run_planned(RunPlan::new(&selection, overrides, working_dir).await, false).await
}

/// A password file only its owner can read, as a team would keep one.
fn write_secret(path: &Path, password: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    writeln!(file, "{password}")
}

/// Writes the bundled features and configuration where the run (and the user) can read them,
/// over no file the demo did not write itself.
fn write_bundle(mut folder: OutFolder, out: &Path, config: &str) -> Result<(), Error> {
    let written = (|| {
        for file in bundled_files(&FEATURES) {
            std::fs::write(
                folder.place(Path::new("features").join(file.path()))?,
                file.contents(),
            )?;
        }
        for user in USERS {
            write_secret(
                &folder.place(Path::new("secrets").join(user.username))?,
                user.password,
            )?;
        }
        std::fs::write(folder.place(config::FILE_NAME)?, config)?;
        folder.finish()
    })();
    written.map_err(|source| Error::Io {
        what: format!("cannot write the demo suite to `{}`", out.display()),
        source,
    })
}

/// Every file of a bundled folder, however deep.
fn bundled_files<'a>(dir: &'a Dir<'a>) -> Vec<&'a include_dir::File<'a>> {
    let mut files: Vec<_> = dir.files().collect();
    for sub in dir.dirs() {
        files.extend(bundled_files(sub));
    }
    files
}
