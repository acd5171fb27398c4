//! What the benchmarks share: the demo site in-process, the real binary timed as a whole
//! process, and medians.

#![allow(dead_code, reason = "each benchmark uses its own part of the shared support")]

use std::path::Path;
use std::time::{Duration, Instant};

use shakedown_demo_site::{DemoOptions, RunningSite};

/// Rounds each measurement is taken, reported as the median.
pub const ROUNDS: usize = 5;

/// Starts the demo site on a free loopback port with `options`.
pub fn start_site(runtime: &tokio::runtime::Runtime, options: DemoOptions) -> RunningSite {
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        shakedown_demo_site::start(listener, options)
            .await
            .expect("demo site")
    })
}

/// How long one `shakedown run` took.
pub struct Timing {
    /// The whole process, start-up (configuration, TLS trust store) included.
    pub process: Duration,
    /// The run itself, as its summary line reports it.
    pub run: Duration,
}

/// Runs `shakedown run` in `project` and times it.
pub fn time_shakedown_run(project: &Path) -> Timing {
    let started = Instant::now();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_shakedown"))
        .arg("run")
        .current_dir(project)
        .output()
        .expect("shakedown runs");
    let process = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "the benchmark suite failed:\n{stdout}");
    let seconds: f64 = stdout
        .split("Summary [")
        .nth(1)
        .and_then(|rest| rest.split("s]").next())
        .and_then(|seconds| seconds.parse().ok())
        .expect("a summary line with the run's time");
    Timing {
        process,
        run: Duration::from_secs_f64(seconds),
    }
}

/// The demo's `[login]` and its three roles, reading passwords from files written into `dir`
/// (as a team keeps them), for a benchmark's shakedown.toml.
pub fn demo_roles(dir: &Path) -> String {
    let secrets = dir.join("secrets");
    std::fs::create_dir_all(&secrets).expect("secrets folder");
    let mut config = String::from("[login]\npath = \"/accounts/login/\"\n");
    for user in shakedown_demo_site::USERS {
        std::fs::write(secrets.join(user.username), user.password).expect("secret");
        config.push_str(&format!(
            "[roles.{0}]\nusername = \"{0}\"\npassword_file = \"secrets/{0}\"\n",
            user.username
        ));
    }
    config
}

/// A client without proxies (the benchmarks talk to loopback only), keeping cookies.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .no_proxy()
        .build()
        .expect("client")
}

/// GETs `url` and reads its whole body, as a check would.
pub async fn fetch(client: &reqwest::Client, url: String) {
    client
        .get(url)
        .send()
        .await
        .expect("an answer")
        .bytes()
        .await
        .expect("a body");
}

pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

pub fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}
