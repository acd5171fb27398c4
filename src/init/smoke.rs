//! `features/smoke.feature`: what an anonymous visit found, written the way a person would write
//! their first checks: the health endpoint, every page that answered, the pages that ask for a
//! login, and nothing forbidden anywhere a visitor can reach.

use super::explore::Visit;
use super::gherkin::{quoted, table};

/// Indent of an `Examples` table under a `Scenario Outline`.
const TABLE_INDENT: &str = "      ";

pub fn render(visit: &Visit, base_url: &str) -> String {
    let mut found = vec![format!("{} page(s) answered", visit.answered.len())];
    if !visit.behind_login.is_empty() {
        found.push(format!(
            "{} sent the visitor to the login page",
            visit.behind_login.len()
        ));
    }
    if let Some(health) = &visit.health {
        found.push(format!("the health check is {}", health.path));
    }
    let mut text = format!(
        "@preflight @post-install\n\
         Feature: The site answers a visitor\n  \
         Written by `shakedown init` from an anonymous visit to {base_url}:\n  \
         {}.\n  \
         Edit it as your own: drop the pages not worth a check, add the text each\n  \
         page must show (`the response should contain \"...\"`), and once `[login]`\n  \
         and `[roles]` are set in shakedown.toml, add what each role may see.\n\n  \
         Background:\n    Given I am not logged in\n",
        found.join(", ")
    );
    if let Some(health) = &visit.health {
        text.push_str(&format!(
            "\n  Scenario: The health check is green\n    When I request \"{}\"\n    Then the response status should be 200\n",
            health.path
        ));
        if let Some(status) = health.status.as_deref().and_then(quoted) {
            text.push_str(&format!(
                "    And the response JSON at \"$.status\" should be {status}\n"
            ));
        }
    }
    if !visit.answered.is_empty() {
        text.push_str(
            "\n  Scenario Outline: <page> answers a visitor\n    When I request \"<page>\"\n    \
             Then the response status should be 200\n    And the page should contain no forbidden content\n\n    \
             Examples:\n",
        );
        text.push_str(&pages_table(&visit.answered));
    }
    if let Some(login) = &visit.login_path {
        text.push_str(&format!(
            "\n  Scenario Outline: <page> asks a visitor to log in\n    When I request \"<page>\"\n    \
             Then the response should redirect to \"{login}\"\n\n    Examples:\n"
        ));
        text.push_str(&pages_table(&visit.behind_login));
    }
    text.push_str(
        "\n  Scenario: Nothing a visitor can reach shows test strings or debug pages\n    \
         Then no page reachable from \"/\" should contain forbidden content\n",
    );
    text
}

fn pages_table(pages: &[String]) -> String {
    let rows: Vec<Vec<String>> = std::iter::once("page".to_owned())
        .chain(pages.iter().cloned())
        .map(|page| vec![page])
        .collect();
    table(TABLE_INDENT, &rows)
}

#[cfg(test)]
mod tests {
    use super::super::explore::Health;
    use super::*;

    #[test]
    fn a_visit_reads_as_a_feature_a_person_wrote() {
        let visit = Visit {
            answered: vec!["/".into(), "/help/".into()],
            behind_login: vec!["/dashboard/".into()],
            login_path: Some("/accounts/login/".into()),
            health: Some(Health {
                path: "/api/health".into(),
                status: Some("ok".into()),
            }),
            ..Visit::default()
        };
        assert_eq!(
            render(&visit, "http://site.test/"),
            r#"@preflight @post-install
Feature: The site answers a visitor
  Written by `shakedown init` from an anonymous visit to http://site.test/:
  2 page(s) answered, 1 sent the visitor to the login page, the health check is /api/health.
  Edit it as your own: drop the pages not worth a check, add the text each
  page must show (`the response should contain "..."`), and once `[login]`
  and `[roles]` are set in shakedown.toml, add what each role may see.

  Background:
    Given I am not logged in

  Scenario: The health check is green
    When I request "/api/health"
    Then the response status should be 200
    And the response JSON at "$.status" should be "ok"

  Scenario Outline: <page> answers a visitor
    When I request "<page>"
    Then the response status should be 200
    And the page should contain no forbidden content

    Examples:
      | page   |
      | /      |
      | /help/ |

  Scenario Outline: <page> asks a visitor to log in
    When I request "<page>"
    Then the response should redirect to "/accounts/login/"

    Examples:
      | page        |
      | /dashboard/ |

  Scenario: Nothing a visitor can reach shows test strings or debug pages
    Then no page reachable from "/" should contain forbidden content
"#
        );
    }
}
