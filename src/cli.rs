//! The command line, as clap sees it. Nothing here is trusted yet: `plan` checks it against
//! the configuration before anything runs.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "shakedown",
    version,
    about = "Runs Gherkin features against a live web application and its server, before and after a release",
    after_help = "Exit codes: 0 all passed, 1 a scenario failed, 2 usage or configuration error, 3 no scenario selected, 70 internal error (a bug), 130 interrupted (SIGINT, Ctrl-C), 143 terminated (SIGTERM)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run features against an environment.
    Run(RunArgs),
    /// Parse features and match every step against the step library, touching no server.
    Check(CheckArgs),
    /// Print the step catalogue: every phrase features may use.
    Steps(StepsArgs),
    /// Start the bundled demo site on loopback and run the bundled features against it.
    #[cfg(feature = "demo")]
    Demo(DemoArgs),
    /// Write a starting shakedown.toml and features, from a visit to a site or from existing
    /// Nagios or NRPE checks; never over an existing file.
    Init(InitArgs),
    /// List the recent runs from the audit log (when, who, where, result), newest first.
    Audit(AuditArgs),
    /// Record what the servers run, listen on and schedule, and who could open what on the
    /// site, before a deployment; or compare both with that record after it.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Print the completion script of SHELL, e.g. `shakedown completions bash >
    /// /etc/bash_completion.d/shakedown`.
    Completions(CompletionsArgs),
    /// Print the man page (roff), e.g. `shakedown manpage > /usr/share/man/man1/shakedown.1`.
    Manpage,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Record into a JSON file (keep it as a CI artifact) every host's facts (services,
    /// listening ports, daemons, crontab lines, Apache sites and modules, WSGI paths, OK Nagios
    /// checks) and the site's access matrix: for every role, each path of the features' access
    /// matrices and each page a short crawl as any role reached, allowed, denied or sent to the
    /// login page.
    Record(RecordArgs),
    /// Check the hosts and the access matrix again and report, like a failing scenario,
    /// everything the file holds that is gone now and every access a role gained; exit 1 on a
    /// regression, 0 otherwise.
    Compare(CompareArgs),
}

/// Where a baseline is taken: the configuration, its environment and hosts.
#[derive(Debug, Args)]
pub struct BaselineTarget {
    /// The configuration file (default: the nearest shakedown.toml at or above this folder).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The environment of shakedown.toml whose hosts are looked at.
    #[arg(long, short = 'e', env = "SHAKEDOWN_ENV", value_name = "NAME")]
    pub env: Option<String>,
    /// Only this host of the environment (repeatable); default: every host.
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    #[command(flatten)]
    pub target: BaselineTarget,
    /// The file to write (replaced whole, or left as it was when recording fails).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The file `baseline record` wrote.
    pub file: PathBuf,
    #[command(flatten)]
    pub target: BaselineTarget,
    #[command(flatten)]
    pub reports: ReportArgs,
}

/// Which features, from which configuration.
#[derive(Debug, Args)]
pub struct Selection {
    /// Feature files or folders (default: `features` from shakedown.toml, else `features/`).
    pub paths: Vec<PathBuf>,
    /// The configuration file (default: the nearest shakedown.toml at or above this folder).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Only scenarios matching this tag expression, e.g. `@post-install and not @slow`.
    #[arg(long, short = 't', value_name = "EXPR")]
    pub tags: Option<String>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// The environment of shakedown.toml to run against.
    #[arg(long, short = 'e', env = "SHAKEDOWN_ENV", value_name = "NAME")]
    pub env: Option<String>,
    /// Run against this URL instead of the environment's `base_url`.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    #[command(flatten)]
    pub reports: ReportArgs,
    /// Run a failing scenario up to N more times (as `@retry(N)` does for one scenario); one
    /// that passes only on a retry is reported as flaky.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(..=i64::from(MAX_RETRIES)))]
    pub retries: Option<u16>,
    /// How many scenarios run at the same time (default: `limits.concurrency`, 8).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: Option<u16>,
    /// Stop at the first failing scenario.
    #[arg(long)]
    pub fail_fast: bool,
    /// Run only slice K of N of the selected scenarios (`count:K/N`: the i-th scenario goes to
    /// slice i mod N + 1), to spread a suite over N CI jobs.
    #[arg(long, value_name = "count:K/N", value_parser = Partition::parse)]
    pub partition: Option<Partition>,
    /// Show the browser windows instead of running Chromium headless.
    #[arg(long)]
    pub headed: bool,
    /// Run on this host of the environment only (repeatable); default: every host.
    #[arg(long = "host", value_name = "NAME")]
    pub hosts: Vec<String>,
    /// End the whole run after this long (`50s`, `2m`), queueing and password commands
    /// included: the scenarios still running are stopped and reported, the rest as not run,
    /// and every report is written (with `--format nagios`: UNKNOWN unless what finished is
    /// CRITICAL). Set it below the monitor's own limit (Nagios' `service_check_timeout`, 60 s).
    #[arg(long, value_name = "DURATION", value_parser = crate::config::parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// Only list the selected scenarios, each with the host it would run on, as the run would
    /// plan them: nothing is started and no server is reached.
    #[arg(long)]
    pub list: bool,
    /// When the deployment started, for the `… since the deployment` steps: an RFC 3339 time
    /// (`2026-12-06T10:00:00Z`), or `@FILE` for the modification time of FILE on this machine (a
    /// link's own, not its target's). Without it, `[deploy] marker` is read on each host.
    #[arg(long, value_name = "TIME|@FILE", value_parser = shakedown_steps::deployed_at)]
    pub deployed_at: Option<std::time::SystemTime>,
    #[command(flatten)]
    pub variables: VariableArgs,
}

/// The values of the features' `${NAME}` given on the command line, for `run` and `check`.
#[derive(Debug, Default, Args)]
pub struct VariableArgs {
    /// Give the features' `${NAME}` this value (repeatable), over `SHAKEDOWN_VAR_NAME` and the
    /// environment's `vars` in shakedown.toml, e.g. `--var release=$CI_COMMIT_SHA`.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_variable)]
    pub vars: Vec<(String, String)>,
}

/// `release=2026.12.1` as a name and its value; the value may hold `=` itself.
fn parse_variable(written: &str) -> Result<(String, String), String> {
    let (name, value) = written
        .split_once('=')
        .ok_or_else(|| format!("`{written}` gives no value: write `NAME=VALUE`, e.g. `release=2026.12.1`"))?;
    if !crate::config::is_variable_name(name) {
        return Err(format!(
            "`{name}` cannot be a variable's name: it starts with a letter or `_` and holds only letters, digits and `_`"
        ));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// The reports a run writes and how the terminal reads: the same for `run` and `baseline
/// compare`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write a Cucumber JSON report here (Jenkins' cucumber-reports, cucumber-html-reporter).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a self-contained HTML report here, for the people who wrote the features.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// What the terminal shows: the human report, or one Nagios status line (exit 0/1/2/3 as
    /// OK, WARNING, CRITICAL, UNKNOWN; a failing `@warning` scenario alone is a WARNING).
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Print only failures and the summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Human,
    Nagios,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub selection: Selection,
    /// When the deployment started, as `run --deployed-at` takes it: checked here too, so a
    /// pipeline's check refuses a malformed time or a missing file (exit 2) before the run.
    #[arg(long, value_name = "TIME|@FILE", value_parser = shakedown_steps::deployed_at)]
    pub deployed_at: Option<std::time::SystemTime>,
    #[command(flatten)]
    pub variables: VariableArgs,
}

#[derive(Debug, Args)]
pub struct StepsArgs {
    #[arg(long, value_enum, default_value_t = CatalogueFormat::Text)]
    pub format: CatalogueFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CatalogueFormat {
    Text,
    Markdown,
    Json,
}

#[cfg(feature = "demo")]
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Switch on one of the demo site's deployment mistakes (repeatable): server-error, hang,
    /// database-down, test-string, debug-page, role-leak, admin-link, stale-heartbeat,
    /// missing-security-headers, robots-disallow, broken-asset, broken-link, exposed-git,
    /// directory-listing, server-status; with --tls also missing-hsts, mixed-content.
    #[arg(long, value_name = "NAME")]
    pub fault: Vec<shakedown_demo_site::Fault>,
    /// The release the demo site reports at `/version` and `/api/health` at first, e.g. an
    /// older one to stand for a backend a rollout has not reached yet; `PUT /__demo/release`
    /// with the new release as the body switches it while it serves.
    #[arg(long, value_name = "RELEASE", default_value = shakedown_demo_site::DEFAULT_RELEASE,
          value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub release: String,
    /// Only serve the demo site (until Ctrl-C) to try your own features against it.
    #[arg(long)]
    pub serve: bool,
    /// Port for `--serve` (default: any free port).
    #[arg(long, default_value_t = 0, requires = "serve")]
    pub port: u16,
    /// Where the demo writes its features, configuration, state and reports.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Only scenarios matching this tag expression.
    #[arg(long, short = 't', value_name = "EXPR")]
    pub tags: Option<String>,
    /// Step timeout for the demo run (default 15s), e.g. to see the hung endpoint fail sooner.
    #[arg(long, value_name = "DURATION", value_parser = crate::config::parse_duration)]
    pub step_timeout: Option<std::time::Duration>,
    /// Show the browser windows instead of running Chromium headless.
    #[arg(long)]
    pub headed: bool,
    /// Serve the demo site over HTTPS with a certificate made at start for 127.0.0.1 and
    /// localhost, written to `demo-certificate.pem` in the --out folder; the demo's
    /// shakedown.toml trusts it (`probes.tls_ca_file`).
    #[arg(long)]
    pub tls: bool,
}

#[derive(Debug, Args)]
#[command(group(
    ArgGroup::new("source")
        .required(true)
        .multiple(true)
        .args(["base_url", "from_nrpe", "from_nagios", "from_selenium_ide", "from_access_log"])
))]
pub struct InitArgs {
    /// Visit this site as an anonymous visitor and write shakedown.toml and
    /// features/smoke.feature from what answers.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Import NRPE's `command[name]=...` lines into features/monitoring.feature (repeatable).
    #[arg(long, value_name = "FILE")]
    pub from_nrpe: Vec<PathBuf>,
    /// Import the services of Nagios or Icinga object files (`define service`, `define
    /// command`, `define host`) into features/monitoring.feature (repeatable).
    #[arg(long, value_name = "FILE")]
    pub from_nagios: Vec<PathBuf>,
    /// Translate each test of a Selenium IDE project (`.side`) into a browser feature under
    /// features/selenium/ (repeatable).
    #[arg(long, value_name = "FILE")]
    pub from_selenium_ide: Vec<PathBuf>,
    /// Write features/usage.feature from the pages clients ask for most in these Apache or
    /// nginx access logs (combined or common format, plain or gzipped).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub from_access_log: Vec<PathBuf>,
    /// How many of the most requested pages `--from-access-log` writes.
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = clap::value_parser!(u16).range(1..))]
    pub top: u16,
    /// Nagios' resource.cfg, where `$USER1$`, `$USER2$`... are defined (default: `$USER1$` is
    /// `probes.nagios_plugin_dir`).
    #[arg(long, value_name = "FILE")]
    pub resource: Option<PathBuf>,
    /// The name of the environment written into shakedown.toml.
    #[arg(long, value_name = "NAME", default_value = "staging")]
    pub env: String,
    /// Pages the visit follows at most (the four usual health endpoints are tried besides).
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..))]
    pub max_pages: u16,
    /// How long `init` may take in all, e.g. `30s` or `2m`.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = crate::config::parse_duration)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The configuration file whose `audit.path` is read (default: the nearest shakedown.toml
    /// at or above this folder; none means the user's own log).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How many runs to list.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Print the records as a JSON array, for tools.
    #[arg(long)]
    pub json: bool,
}

/// The most retries a scenario may ask for, with `--retries` or `@retry(N)`: a failure that
/// needs more is no flake.
pub const MAX_RETRIES: u16 = 10;

/// One slice of a suite sharded over several jobs, as cargo-nextest's `--partition count:K/N`:
/// the i-th selected scenario (from 0, in file order) belongs to slice i mod N + 1, so the N
/// slices hold every scenario exactly once and each slice is the same on every machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// K, from 1.
    slice: usize,
    /// N.
    slices: usize,
}

impl Partition {
    /// `count:K/N` (the `count:` may be left out), with 1 <= K <= N.
    pub fn parse(text: &str) -> Result<Self, String> {
        let spec = text.strip_prefix("count:").unwrap_or(text);
        let shape = || format!("`{text}` is not a partition: expected `count:K/N`, e.g. `count:2/4`");
        let (slice, slices) = spec.split_once('/').ok_or_else(shape)?;
        let number = |part: &str| part.trim().parse::<usize>().map_err(|_| shape());
        let (slice, slices) = (number(slice)?, number(slices)?);
        if slices == 0 || slice == 0 || slice > slices {
            return Err(format!(
                "`{text}` is not a partition: K must be between 1 and N (N at least 1)"
            ));
        }
        Ok(Self { slice, slices })
    }

    pub fn holds(self, index: usize) -> bool {
        index % self.slices + 1 == self.slice
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_is_count_k_of_n() {
        assert_eq!(
            Partition::parse("count:2/4"),
            Ok(Partition { slice: 2, slices: 4 })
        );
        assert_eq!(Partition::parse("1/1"), Ok(Partition { slice: 1, slices: 1 }));
        for bad in [
            "count:0/4",
            "count:5/4",
            "count:1/0",
            "hash:1/2",
            "count:a/2",
            "3",
        ] {
            let problem = Partition::parse(bad).expect_err(bad);
            assert!(problem.contains(&format!("`{bad}`")), "{problem}");
        }
    }
}
