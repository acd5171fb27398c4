//! The starting `shakedown.toml`: the one environment, the limits at their defaults (read from
//! the embedded `defaults.toml`, so the two never disagree), and `[login]` and `[roles]` written
//! out but commented, with what to fill in.

use crate::config::DEFAULTS;
use crate::error::Error;

/// What the file says about the site, when `init` knows.
pub struct Site<'a> {
    pub environment: &'a str,
    /// `None` when no site was given: a placeholder to edit is written.
    pub base_url: Option<&'a str>,
    /// The login page the visit found, if any.
    pub login_path: Option<&'a str>,
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
    let login_path = site.login_path.unwrap_or("/accounts/login/");
    let found_note = match site.login_path {
        Some(_) => " (its path is where this site sent a visitor)",
        None => "",
    };
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
         # Uncomment it, check the names of the form's fields, then describe each role below.\n\
         # [login]\n\
         # path = \"{login_path}\"\n\
         {login_fields}\
         \n\
         # One table per role the features name, as in `Given I am logged in as \"clerk\"`.\n\
         # Passwords never go in this file: name an environment variable (`password_env`),\n\
         # a file (`password_file`) or a command that prints it (`password_command`).\n\
         # [roles.clerk]\n\
         # username = \"clerk\"\n\
         # password_env = \"SHAKEDOWN_CLERK_PASSWORD\"\n",
        limits = section("limits"),
        login_fields = commented(section("login")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_a_valid_configuration_with_the_default_limits() {
        let text = render(&Site {
            environment: "staging",
            base_url: Some("http://site.test/"),
            login_path: Some("/login/"),
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
    fn the_login_section_comes_to_life_when_uncommented() {
        let text = render(&Site {
            environment: "staging",
            base_url: None,
            login_path: None,
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
