//! `shakedown init` from end to end: work out which files to write, refuse before doing anything
//! if one exists, import the monitoring files, visit the site, then write every file at once.

use std::path::{Path, PathBuf};

use shakedown_steps::{Deadline, Limit};

use super::config_file::{self, Site};
use super::explore::{self, Visit};
use super::files::{self, Planned};
use super::macros::{UserMacros, user_references};
use super::monitoring::{self, Imported, Skipped};
use super::{access_log, nagios, nagios_cfg, nrpe, selenium_ide, smoke};
use crate::cli::InitArgs;
use crate::config::{self, FILE_NAME};
use crate::error::{Error, exit};
use crate::output::say;

const SMOKE_FEATURE: &str = "features/smoke.feature";
const MONITORING_FEATURE: &str = "features/monitoring.feature";
const USAGE_FEATURE: &str = "features/usage.feature";

pub async fn init(args: InitArgs, working_dir: &Path) -> Result<i32, Error> {
    // The name becomes a bare key of shakedown.toml: anything else would break the file.
    if args.env.is_empty()
        || !args
            .env
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        return Err(Error::InvalidValue {
            what: "--env",
            value: args.env.clone(),
            problem: "an environment's name is letters, digits, `-` and `_`, e.g. `staging`".into(),
        });
    }
    let base_url = args
        .base_url
        .as_deref()
        .map(|text| {
            config::parse_base_url(text).map_err(|problem| Error::InvalidValue {
                what: "--base-url",
                value: text.to_owned(),
                problem,
            })
        })
        .transpose()?;
    let config_path = working_dir.join(FILE_NAME);
    let config_exists = config_path.symlink_metadata().is_ok();
    let importing = !args.from_nrpe.is_empty() || !args.from_nagios.is_empty();
    // Importing into a project that has its configuration already adds only the feature.
    let write_config = base_url.is_some() || !config_exists;
    let mut targets = Vec::new();
    if write_config {
        targets.push(Path::new(FILE_NAME));
    }
    if base_url.is_some() {
        targets.push(Path::new(SMOKE_FEATURE));
    }
    if importing {
        targets.push(Path::new(MONITORING_FEATURE));
    }
    if !args.from_access_log.is_empty() {
        targets.push(Path::new(USAGE_FEATURE));
    }
    let recorded = selenium_tests(&args, working_dir)?;
    targets.extend(recorded.iter().map(|(path, _)| path.as_path()));
    files::refuse_existing(working_dir, targets)?;

    // One deadline for the whole `init`; its limit's name never shows, the visit words its own.
    let deadline = Deadline::after(args.timeout, Limit::Step);
    let mut planned = Vec::new();
    let mut report = Vec::new();
    // resource.cfg, for the configuration, when the imported checks keep references to it.
    let mut nagios_resource = None;
    // Pages the crawl starts from, and roles the recordings log in as: into the configuration
    // `init` writes, or printed to add to the one there is.
    let mut crawl_seeds = Vec::new();
    let mut roles: Vec<(String, String)> = Vec::new();
    let mut recorded_login = None;
    if importing {
        let probes = if config_exists {
            config::load(&config_path)?.probes
        } else {
            config::parse(&config_path, "")?.probes
        };
        let (imported, sources, resource) = import(
            &args,
            working_dir,
            probes.nagios_plugin_dir.to_string_lossy().into_owned(),
        )?;
        let references: Vec<&str> = imported
            .checks
            .iter()
            .flat_map(|check| user_references(&check.command))
            .collect();
        if let (false, Some(resource)) = (references.is_empty(), &resource) {
            let resource = resource.display().to_string();
            if !write_config && probes.nagios_resource.is_none() {
                report.push(format!(
                    "the checks read {} from Nagios' resource.cfg when they run: add `nagios_resource = {}` to `[probes]` in {FILE_NAME}",
                    references.join(", "),
                    toml::Value::String(resource.clone())
                ));
            }
            nagios_resource = Some(resource);
        }
        let rendered = monitoring::render(&imported, &sources);
        // The counts are the written file's: a check render could not write is a left-out one.
        report.push(format!(
            "wrote {MONITORING_FEATURE}: {} check(s){}",
            rendered.checks,
            match rendered.left_out {
                0 => String::new(),
                left_out => format!(", {left_out} left out (listed at the end of the file, with the reason)"),
            }
        ));
        planned.push(Planned {
            path: MONITORING_FEATURE.into(),
            text: rendered.text,
        });
    }
    if !args.from_access_log.is_empty() {
        let mut usage = access_log::Usage::default();
        let mut sources = Vec::new();
        for file in &args.from_access_log {
            usage.read(&read_log(working_dir, file)?);
            sources.push(file.display().to_string());
        }
        if usage.is_empty() {
            return Err(Error::NothingImported {
                sources: sources.join(", "),
                listing: format!(
                    "  no GET request of a person answered 2xx ({} line(s), {} not in the combined or common format)",
                    usage.lines, usage.unparsable
                ),
            });
        }
        let (text, pages) = usage.render(&sources, args.top.into());
        crawl_seeds = usage.seeds(args.top.into());
        report.push(format!(
            "wrote {USAGE_FEATURE}: {pages} page(s) from {} line(s); {} left out (static files, bots, other methods or statuses, tokens), {} could not be read as a log line",
            usage.lines, usage.left_out, usage.unparsable
        ));
        planned.push(Planned {
            path: USAGE_FEATURE.into(),
            text,
        });
    }
    if !recorded.is_empty() {
        for (path, test) in &recorded {
            report.push(format!(
                "wrote {}{}",
                path.display(),
                match test.untranslated.len() {
                    0 => String::new(),
                    left => format!(", {left} command(s) left as comments, each with the reason"),
                }
            ));
            for entry in &test.untranslated {
                report.push(format!("  not translated: {entry}"));
            }
            for role in &test.roles {
                if !roles.contains(role) {
                    roles.push(role.clone());
                }
            }
            recorded_login = recorded_login.or(test.login_path.clone());
            planned.push(Planned {
                path: path.clone(),
                text: test.text.clone(),
            });
        }
    }
    // The password typed in the recording is never written: the role reads it when it runs.
    for (role, username) in &roles {
        report.push(match write_config {
            true => format!(
                "the recordings log in as `{role}`: {FILE_NAME} names the variable its password is read from"
            ),
            false => format!(
                "the recordings log in as `{role}`: add to {FILE_NAME}\n{}",
                config_file::role_entry(role, username).trim_end()
            ),
        });
    }
    if !write_config && !crawl_seeds.is_empty() {
        report.push(format!(
            "the crawl can start from these pages too: add to `[content]` in {FILE_NAME}\n{}",
            config_file::crawl_seeds_entry(&crawl_seeds).trim_end()
        ));
    }
    let visit = match &base_url {
        Some(url) => {
            // The rules and crawl the run will read the pages with: the file `init` writes keeps
            // the defaults.
            let content = config::parse(Path::new(FILE_NAME), "")?.content;
            let visit = explore::visit(url, content, args.max_pages.into(), deadline).await?;
            say!(
                "{}",
                describe_visit(&visit, without_credentials(url).as_str(), &args)
            );
            planned.push(Planned {
                path: SMOKE_FEATURE.into(),
                text: smoke::render(&visit, without_credentials(url).as_str()),
            });
            report.push(format!("wrote {SMOKE_FEATURE}"));
            Some(visit)
        }
        None => None,
    };
    if write_config {
        // The visit may use credentials in `--base-url`; a file meant for version control never
        // holds them.
        let written_url = base_url.as_ref().map(without_credentials);
        let text = config_file::render(&Site {
            environment: &args.env,
            base_url: written_url.as_ref().map(url::Url::as_str),
            visit: visit.as_ref(),
            nagios_resource: nagios_resource.as_deref(),
            roles: &roles,
            recorded_login: recorded_login.as_deref(),
            crawl_seeds: &crawl_seeds,
        })?;
        report.insert(0, format!("wrote {FILE_NAME}"));
        planned.insert(
            0,
            Planned {
                path: FILE_NAME.into(),
                text,
            },
        );
    }
    files::write_all(working_dir, &planned)?;
    for line in report {
        say!("shakedown: {line}");
    }
    say!("shakedown: next, `shakedown check` reads them all and `shakedown run` runs them");
    Ok(exit::PASSED)
}

/// Reads every monitoring file given (a `nagios.cfg` with the object files and resource file it
/// names); the names they are known by in the feature and the resource.cfg read come with it.
fn import(
    args: &InitArgs,
    working_dir: &Path,
    plugin_dir: String,
) -> Result<(Imported, Vec<String>, Option<PathBuf>), Error> {
    let mut imported = Imported::default();
    let mut nagios_sources = Vec::new();
    let mut resource = args.resource.clone();
    // Each object file, and the `file:line` of the main configuration file naming it, if one
    // does: then a file that cannot be read is left out, not the end of the import.
    let mut object_files: Vec<(PathBuf, Option<String>)> = Vec::new();
    for file in &args.from_nagios {
        let name = file.display().to_string();
        let text = read(working_dir, file)?;
        if nagios_cfg::is_main_config(&text) {
            let main = nagios_cfg::read(&working_dir.join(file), &name, &text);
            imported.skipped.extend(main.unreadable);
            resource = resource.or(main.resource_file);
            object_files.extend(
                main.object_files
                    .into_iter()
                    .map(|(path, origin)| (path, Some(origin))),
            );
        } else {
            object_files.push((file.clone(), None));
        }
        nagios_sources.push(name);
    }
    let mut users = UserMacros::new(plugin_dir);
    if let Some(resource) = &resource {
        let text = read(working_dir, resource)?;
        users.read_resource(&text).map_err(|(line, message)| {
            syntax_error(
                resource,
                line,
                message,
                "resource.cfg holds lines such as `$USER1$=/usr/lib/nagios/plugins`",
            )
        })?;
    }
    let mut sources = Vec::new();
    for file in &args.from_nrpe {
        let name = file.display().to_string();
        imported.extend(nrpe::import(&name, &read(working_dir, file)?, &users));
        sources.push(name);
    }
    sources.extend(nagios_sources);
    let mut objects = Vec::new();
    for (file, named_at) in &object_files {
        let name = file.display().to_string();
        let text = match (read(working_dir, file), named_at) {
            (Ok(text), _) => text,
            (Err(Error::Read { source, .. }), Some(origin)) => {
                imported.skipped.push(Skipped {
                    name,
                    origin: origin.clone(),
                    reason: format!("the file cannot be read ({source}): its objects are not imported"),
                });
                continue;
            }
            (Err(error), _) => return Err(error),
        };
        let parsed = nagios::parse(&name, &text).map_err(|(line, message)| {
            syntax_error(
                file,
                line,
                message,
                "`--from-nagios` reads object files: `define command { ... }`, `define service { ... }`",
            )
        })?;
        objects.extend(parsed);
    }
    imported.extend(nagios::import(&objects, &users));
    imported.leave_out_written_credentials();
    if imported.checks.is_empty() {
        return Err(Error::NothingImported {
            sources: sources.join(", "),
            listing: match imported.skipped.is_empty() {
                true => "  (no `command[name]=...` line and no `define service`)".into(),
                false => imported
                    .skipped
                    .iter()
                    .map(|skipped| format!("  {skipped}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            },
        });
    }
    Ok((imported, sources, resource))
}

/// Each test of the Selenium IDE projects given, with the feature file it goes to (a test
/// whose name another already took gets a number).
fn selenium_tests(
    args: &InitArgs,
    working_dir: &Path,
) -> Result<Vec<(PathBuf, selenium_ide::TranslatedTest)>, Error> {
    let mut recorded: Vec<(PathBuf, selenium_ide::TranslatedTest)> = Vec::new();
    for file in &args.from_selenium_ide {
        let name = file.display().to_string();
        let tests = selenium_ide::translate(&name, &read(working_dir, file)?).map_err(|message| {
            syntax_error(
                file,
                1,
                message,
                "export the project from Selenium IDE with \"Save project\" (a `.side` file)",
            )
        })?;
        for test in tests {
            let mut path = PathBuf::from(&test.file_name);
            let mut number = 1;
            while recorded.iter().any(|(taken, _)| *taken == path) {
                number += 1;
                path = PathBuf::from(test.file_name.replace(".feature", &format!("-{number}.feature")));
            }
            recorded.push((path, test));
        }
    }
    Ok(recorded)
}

/// `url` without its user name and password.
fn without_credentials(url: &url::Url) -> url::Url {
    let mut url = url.clone();
    let _ = url.set_password(None);
    let _ = url.set_username("");
    url
}

fn read(working_dir: &Path, file: &Path) -> Result<String, Error> {
    // An NRPE or Nagios file is a few thousand lines; a FIFO or a device named here must
    // neither hang `init` nor fill memory.
    const MAX_IMPORTED_BYTES: u64 = 16 * 1024 * 1024;
    shakedown_steps::read_input::read_text_bounded(&working_dir.join(file), MAX_IMPORTED_BYTES).map_err(
        |source| Error::Read {
            path: file.to_path_buf(),
            source,
        },
    )
}

/// An access log, plain or gzipped: a regular file of bounded size, as every imported file is.
fn read_log(working_dir: &Path, file: &Path) -> Result<String, Error> {
    const MAX_LOG_BYTES: u64 = 256 * 1024 * 1024;
    let failed = |source| Error::Read {
        path: file.to_path_buf(),
        source,
    };
    let bytes =
        shakedown_steps::read_input::read_bounded(&working_dir.join(file), MAX_LOG_BYTES).map_err(failed)?;
    access_log::decompressed(&bytes, MAX_LOG_BYTES).map_err(failed)
}

fn syntax_error(file: &Path, line: usize, message: String, hint: &str) -> Error {
    Error::Config {
        path: PathBuf::from(file),
        line,
        column: 1,
        message,
        hint: Some(hint.to_owned()),
    }
}

/// One paragraph on what the visit saw, and where a bound stopped it.
fn describe_visit(visit: &Visit, url: &str, args: &InitArgs) -> String {
    let mut text = format!(
        "shakedown: visited {url} as an anonymous visitor: {} page(s) answered, {} sent the visitor to the login page, {}",
        visit.answered.len(),
        visit.behind_login.len(),
        match &visit.health {
            Some(health) => format!("the health check is {}", health.path),
            None => "no health check answered (tried /health, /healthz, /api/health, /status)".into(),
        }
    );
    for (path, scheme) in &visit.http_auth {
        text.push_str(&format!(
            "\nshakedown: {path} asks for HTTP authentication ({scheme}), not a login form: the feature checks that it asks; for roles to log in there, set `method` in `[login]` (\"basic\", \"digest\" or \"header\")"
        ));
    }
    if !visit.left_out.is_empty() {
        text.push_str(&format!(
            "\nshakedown: {} page(s) left out of the feature, each listed at its end with the reason (forbidden content, an address that expires, a server error)",
            visit.left_out.len()
        ));
    }
    if visit.links_skipped > 0 {
        text.push_str(&format!(
            "\nshakedown: left {} link(s) alone that looked like they log out or change data",
            visit.links_skipped
        ));
    }
    if let Some(bound) = visit.cut_short {
        text.push_str(&format!(
            "\nshakedown: the visit stopped at {bound} (--max-pages {}, --timeout {}): the pages beyond it are not in the feature",
            args.max_pages,
            humantime::format_duration(args.timeout)
        ));
    }
    text
}
