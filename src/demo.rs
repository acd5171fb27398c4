//! `shakedown demo`: the newcomer's first command. Starts the bundled demo site on loopback
//! inside this process and runs the bundled features against it, or (`--serve`) only serves
//! the site so a team can try its own features on it.

use std::path::Path;

use include_dir::{Dir, include_dir};
use shakedown_demo_site::{DemoOptions, Fault, RunningSite, USERS};
use tokio::net::TcpListener;

use crate::cli::{DemoArgs, Selection};
use crate::config;
use crate::error::Error;
use crate::plan::{Overrides, RunPlan};

/// The bundled suite, carried inside the binary so the demo runs from anywhere.
static FEATURES: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/features");
/// The configuration the bundled suite runs with; its base URL is replaced by the site's.
const DEMO_CONFIG: &str = include_str!("../fixtures/demo/shakedown.toml");

pub async fn demo(args: DemoArgs, working_dir: &Path) -> Result<i32, Error> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("shakedown-demo"));
    let out = working_dir.join(out);
    let step_timeout = args
        .step_timeout
        .as_deref()
        .map(|text| {
            config::parse_duration(text).map_err(|problem| Error::InvalidValue {
                what: "--step-timeout",
                value: text.into(),
                problem,
            })
        })
        .transpose()?;
    let site = start_site(&args, &out).await?;
    if args.serve {
        return serve(site).await;
    }
    let outcome = run_bundled_suite(&args, &out, site.url(), step_timeout, working_dir).await;
    site.shutdown().await;
    outcome
}

async fn start_site(args: &DemoArgs, out: &Path) -> Result<RunningSite, Error> {
    let io_error = |what: String| move |source| Error::Io { what, source };
    let listener = TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(io_error(format!("cannot listen on 127.0.0.1:{}", args.port)))?;
    let options = args
        .fault
        .iter()
        .fold(DemoOptions::new(out.join("state")), |options, fault| {
            options.with_fault(*fault)
        });
    let site = shakedown_demo_site::start(listener, options)
        .await
        .map_err(io_error("cannot start the demo site".into()))?;
    let faults: Vec<&str> = args.fault.iter().map(|fault| fault.name()).collect();
    println!(
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
async fn serve(site: RunningSite) -> Result<i32, Error> {
    println!("  heartbeat file: {}", site.heartbeat_path().display());
    println!("  crontab:        {}", site.crontab_path().display());
    for user in USERS {
        println!(
            "  user {:<7} password {:<17} role {}",
            user.username, user.password, user.role
        );
    }
    println!("  faults you can switch on with --fault:");
    for fault in Fault::ALL {
        println!("    {:<16} {}", fault.name(), fault.describe());
    }
    println!("press Ctrl-C to stop");
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
    out: &Path,
    url: &str,
    step_timeout: Option<std::time::Duration>,
    working_dir: &Path,
) -> Result<i32, Error> {
    write_bundle(out)?;
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
        ..Overrides::default()
    };
    crate::run(RunPlan::new(&selection, overrides, working_dir)?).await
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

/// Writes the bundled features and configuration where the run (and the user) can read them.
fn write_bundle(out: &Path) -> Result<(), Error> {
    let features = out.join("features");
    let written = (|| {
        if features.exists() {
            std::fs::remove_dir_all(&features)?;
        }
        std::fs::create_dir_all(&features)?;
        FEATURES.extract(&features)?;
        let secrets = out.join("secrets");
        std::fs::create_dir_all(&secrets)?;
        for user in USERS {
            write_secret(&secrets.join(user.username), user.password)?;
        }
        std::fs::write(out.join(config::FILE_NAME), DEMO_CONFIG)
    })();
    written.map_err(|source| Error::Io {
        what: format!("cannot write the demo suite to `{}`", out.display()),
        source,
    })
}
