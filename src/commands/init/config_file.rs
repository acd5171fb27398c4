//! The starting `shakedown.toml`: the one environment, the limits at their defaults (read from
//! the embedded `defaults.toml`, so the two never disagree), `[login]` and `[roles]` written
//! out but commented, with what to fill in (written out when recordings log in as roles, each
//! with the variable its password is to be read from), the pages the visit found forbidden
//! content on passed by in the crawl until they are fixed, and the pages clients use most as
//! the crawl's seeds.

use super::explore::{Visit, Why};
use crate::config::DEFAULTS;
use crate::error::Error;

/// What the file says about the site, when `init` knows.
pub struct Site<'a> {
    pub environment: &'a str,
    /// `None` when no site was given: a placeholder to edit is written.
    pub base_url: Option<&'a str>,
    /// What the visit to the site found, when there was one.
    pub visit: Option<&'a Visit>,
    /// Nagios' resource.cfg, when imported checks keep `$USERn$` references to it.
    pub nagios_resource: Option<&'a str>,
    /// The roles recordings log in as: name and user name.
    pub roles: &'a [(String, String)],
    /// The path of the login form the recordings filled in.
    pub recorded_login: Option<&'a str>,
    /// Pages every crawl starts from besides the start page (the access logs' most requested).
    pub crawl_seeds: &'a [String],
}

/// A site address to edit, for `init` run only to import monitoring.
const PLACEHOLDER_URL: &str = "http://localhost/";

pub fn render(site: &Site<'_>) -> Result<String, Error> {
    let defaults: toml::Table = DEFAULTS
        .parse()
        .map_err(|error: toml::de::Error| Error::InvalidValue {
            what: "the built-in defaults",
            value: "defaults.toml".into(),
            problem: error.message().to_owned(),
        })?;
    let section = |name: &str| -> String {
        defaults
            .get(name)
            .and_then(toml::Value::as_table)
            .map(|table| {
                table
                    .iter()
                    .filter(|(_, value)| !value.is_table())
                    .map(|(key, value)| format!("{key} = {value}\n"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let commented = |text: String| -> String { text.lines().map(|line| format!("# {line}\n")).collect() };
    let (base_url, edit_note) = match site.base_url {
        Some(url) => (url, ""),
        None => (
            PLACEHOLDER_URL,
            "  # edit: the address of the site these checks belong to",
        ),
    };
    let environment = site.environment;
    let found_login = site.visit.and_then(|visit| visit.login_path.as_deref());
    let login_path = site.recorded_login.or(found_login).unwrap_or("/accounts/login/");
    let found_note = match (site.recorded_login, found_login) {
        (Some(_), _) => " (its path is where the recordings logged in)",
        (None, Some(_)) => " (its path is where this site sent a visitor)",
        (None, None) => "",
    };
    // Roles the recordings log in as are written out, and so is the login they need.
    let (login, roles) = match site.roles {
        [] => (
            format!(
                "# Uncomment it, check the names of the form's fields, then describe each role below.\n\
                 # [login]\n\
                 # path = \"{login_path}\"\n"
            ),
            "# [roles.clerk]\n\
             # username = \"clerk\"\n\
             # password_env = \"SHAKEDOWN_CLERK_PASSWORD\"\n"
                .to_owned(),
        ),
        recorded => (
            format!(
                "# Check the names of the form's fields (uncomment them if they differ).\n\
                 [login]\n\
                 path = {}\n",
                toml::Value::String(login_path.to_owned())
            ),
            recorded
                .iter()
                .map(|(role, username)| role_entry(role, username))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    };
    let http_auth_note: String = site
        .visit
        .map(|visit| visit.http_auth.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|(path, scheme)| {
            format!(
                "# {path} asks for HTTP authentication ({scheme}) instead: set `method` below (\"basic\", \"digest\", \"header\").\n"
            )
        })
        .collect();
    let content = content(site);
    let probes = site
        .nagios_resource
        .map(|file| {
            format!(
                "\n# The Nagios checks' `$USERn$` macros are read from here when they run, as Nagios\n\
                 # reads them: their values (passwords, often) stay out of the features.\n\
                 [probes]\n\
                 nagios_resource = {}\n",
                toml::Value::String(file.to_owned())
            )
        })
        .unwrap_or_default();
    Ok(format!(
        "# shakedown.toml, written by `shakedown init` as a starting point: edit it freely.\n\
         # Whatever it leaves out takes its default; `shakedown check` reads it with the features.\n\
         \n\
         # The site under test. Add a table per environment (staging, live) and choose one with\n\
         # `shakedown run --env NAME`; while there is only one, `shakedown run` needs no `--env`.\n\
         [environments.{environment}]\n\
         base_url = \"{base_url}\"{edit_note}\n\
         # read_only = true  # on the live site: refuse every request that could change data\n\
         \n\
         # How long one step and one scenario may take, and how many scenarios run at once.\n\
         [limits]\n\
         {limits}\
         \n\
         # How a role logs in: the site's login form{found_note}.\n\
         {http_auth_note}\
         {login}\
         {login_fields}\
         \n\
         # One table per role the features name, as in `Given I am logged in as \"clerk\"`.\n\
         # Passwords never go in this file: name an environment variable (`password_env`),\n\
         # a file (`password_file`) or a command that prints it (`password_command`).\n\
         {roles}\
         {probes}\
         {content}",
        limits = section("limits"),
        login_fields = commented(section("login")),
    ))
}

/// A role's table: its user name, and the variable its password is read from, which the user
/// sets before a run (the password itself is written nowhere).
pub fn role_entry(role: &str, username: &str) -> String {
    format!(
        "[roles.{role}]\nusername = {}\npassword_env = {}\n",
        toml::Value::String(username.to_owned()),
        toml::Value::String(format!(
            "SHAKEDOWN_{}_PASSWORD",
            role.to_ascii_uppercase().replace('-', "_")
        ))
    )
}

/// `content.crawl_seeds`, as written into a `[content]` table or printed to add to one.
pub fn crawl_seeds_entry(seeds: &[String]) -> String {
    let lines: String = seeds
        .iter()
        .map(|seed| format!("    {},\n", toml::Value::String(seed.clone())))
        .collect();
    format!("crawl_seeds = [\n{lines}]\n")
}

/// The `[content]` table: the pages the visit found forbidden content on passed by, and the
/// pages clients use most as seeds of every crawl; nothing when there is neither.
fn content(site: &Site<'_>) -> String {
    let skip = site.visit.map(crawl_skip).unwrap_or_default();
    let seeds = match site.crawl_seeds {
        [] => String::new(),
        seeds => format!(
            "# The pages clients use most, from the access logs: every crawl starts from them too.\n{}",
            crawl_seeds_entry(seeds)
        ),
    };
    if skip.is_empty() && seeds.is_empty() {
        return String::new();
    }
    format!("\n[content]\n{skip}{seeds}")
}

/// `crawl_skip` for the pages the visit found forbidden content on, each with the rules that
/// fired, so that the suite passes on the site as it is and says what to fix.
fn crawl_skip(visit: &Visit) -> String {
    let lines: Vec<String> = visit
        .left_out
        .iter()
        .filter_map(|page| match &page.why {
            // The start page is not skipped, it is where the crawl begins: the feature
            // comments the crawl out instead.
            Why::Forbidden {
                findings,
                skip_pattern,
            } if page.path != "/" => {
                let rules: Vec<&str> = findings.iter().map(|finding| finding.rule.as_str()).collect();
                Some(format!(
                    "    {},  # {}: {}\n",
                    toml::Value::String(skip_pattern.clone()),
                    page.path,
                    rules.join(", ")
                ))
            }
            _ => None,
        })
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    format!(
        "# The visit found forbidden content on these pages (the end of features/smoke.feature\n\
         # says what): the crawl passes them by until they are fixed. Then delete their lines.\n\
         crawl_skip = [\n{}]\n",
        lines.concat()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_a_valid_configuration_with_the_default_limits() {
        let visit = Visit {
            login_path: Some("/login/".into()),
            ..Visit::default()
        };
        let text = render(&Site {
            environment: "staging",
            base_url: Some("http://site.test/"),
            visit: Some(&visit),
            nagios_resource: None,
            roles: &[],
            recorded_login: None,
            crawl_seeds: &[],
        })
        .expect("rendered");
        let config = crate::config::parse(std::path::Path::new("shakedown.toml"), &text).expect("valid");
        assert_eq!(
            config.environments["staging"].base_url.as_str(),
            "http://site.test/"
        );
        assert!(config.login.is_none() && config.roles.is_empty());
        let defaults = crate::config::parse(
            std::path::Path::new("shakedown.toml"),
            "[environments.x]\nbase_url = \"http://x.test/\"\n",
        )
        .expect("valid");
        assert_eq!(config.limits.step_timeout, defaults.limits.step_timeout);
        assert_eq!(config.limits.scenario_timeout, defaults.limits.scenario_timeout);
        assert_eq!(config.limits.concurrency, defaults.limits.concurrency);
        assert!(
            text.contains("# path = \"/login/\"\n") && text.contains("# password_field = \"password\"\n"),
            "{text}"
        );
    }

    #[test]
    fn pages_with_forbidden_content_are_passed_by_in_the_crawl_with_what_fired() {
        let visit = Visit {
            http_auth: vec![("/login".into(), "Basic".into())],
            left_out: vec![super::super::explore::LeftOut {
                path: "/about/lorem".into(),
                why: Why::Forbidden {
                    findings: vec![shakedown_steps::content::Finding {
                        rule: "lorem-ipsum".into(),
                        snippet: "\"Lorem ipsum\"".into(),
                    }],
                    skip_pattern: r"^/about/lorem\.html$".into(),
                },
            }],
            ..Visit::default()
        };
        let text = render(&Site {
            environment: "staging",
            base_url: Some("http://site.test/"),
            visit: Some(&visit),
            nagios_resource: None,
            roles: &[],
            recorded_login: None,
            crawl_seeds: &[],
        })
        .expect("rendered");
        assert!(
            text.contains("# /login asks for HTTP authentication (Basic) instead")
                && text.contains(
                    "crawl_skip = [\n    '^/about/lorem\\.html$',  # /about/lorem: lorem-ipsum\n]\n"
                ),
            "{text}"
        );
        let config = crate::config::parse(std::path::Path::new("shakedown.toml"), &text).expect("valid");
        assert_eq!(config.content.crawl.skip[0].as_str(), r"^/about/lorem\.html$");
    }

    #[test]
    fn recorded_roles_and_crawl_seeds_are_written_out_with_no_password() {
        let text = render(&Site {
            environment: "staging",
            base_url: None,
            visit: None,
            nagios_resource: None,
            roles: &[("clerk".into(), "clerk@example.com".into())],
            recorded_login: Some("/signin/"),
            crawl_seeds: &["/invoices/1742".into(), "/reports/?type=monthly".into()],
        })
        .expect("rendered");
        let config = crate::config::parse(std::path::Path::new("shakedown.toml"), &text).expect("valid");
        assert_eq!(config.login.expect("a login").path, "/signin/");
        assert!(
            text.contains("[roles.clerk]\nusername = \"clerk@example.com\"\npassword_env = \"SHAKEDOWN_CLERK_PASSWORD\"\n"),
            "{text}"
        );
        assert_eq!(
            config.content.crawl.seeds,
            ["/invoices/1742", "/reports/?type=monthly"]
        );
    }

    #[test]
    fn the_login_section_comes_to_life_when_uncommented() {
        let text = render(&Site {
            environment: "staging",
            base_url: None,
            visit: None,
            nagios_resource: None,
            roles: &[],
            recorded_login: None,
            crawl_seeds: &[],
        })
        .expect("rendered");
        assert!(
            text.contains("base_url = \"http://localhost/\"  # edit:"),
            "{text}"
        );
        let uncommented = text
            .replace("# [login]", "[login]")
            .replace("# path =", "path =")
            .replace("# username_field", "username_field")
            .replace("# password_field", "password_field")
            .replace("# [roles.clerk]", "[roles.clerk]")
            .replace("# username =", "username =")
            .replace("# password_env", "password_env");
        let config =
            crate::config::parse(std::path::Path::new("shakedown.toml"), &uncommented).expect("valid");
        assert!(config.login.is_some() && config.roles.contains_key("clerk"));
    }
}
