//! `robots.txt` read as crawlers read it (RFC 9309: the group of the crawler's own user agent or
//! else `*`, the longest matching rule, `Allow` over `Disallow` on a tie; no file means anything
//! may be crawled, a server error that nothing may), and the signs on a page itself that keep it
//! out of search results (`X-Robots-Tag`, `<meta name="robots">`).

use reqwest::StatusCode;
use scraper::{Html, Selector};
use texting_robots::Robot;

use crate::http::Exchange;
use crate::http::checks::header_values;
use crate::text;

/// The crawlers a verdict speaks for: any crawler, and the two whose groups sites most often
/// write apart from `*`.
pub const CRAWLERS: [&str; 3] = ["*", "Googlebot", "Bingbot"];

/// What a `robots.txt` answer lets each crawler do with one path.
pub struct Verdicts {
    /// Each crawler with whether it may crawl the path.
    pub by_crawler: Vec<(&'static str, bool)>,
    /// Why, in words: which file decided, or why none did.
    pub because: String,
}

impl Verdicts {
    /// The crawlers whose verdict is not `allowed`.
    pub fn differing(&self, allowed: bool) -> Vec<&'static str> {
        self.by_crawler
            .iter()
            .filter(|(_, verdict)| *verdict != allowed)
            .map(|(crawler, _)| *crawler)
            .collect()
    }
}

/// Reads the answer to `GET /robots.txt` for `path` (with its query, as crawlers match it).
pub fn verdicts(answer: &Exchange, path: &str) -> Verdicts {
    let every = |allowed: bool, because: String| Verdicts {
        by_crawler: CRAWLERS.iter().map(|crawler| (*crawler, allowed)).collect(),
        because,
    };
    let status = answer.status;
    // RFC 9309 2.3.1.3 and 2.3.1.4: unavailable means no rule, unreachable means no crawling.
    if status.is_client_error() {
        return every(
            true,
            format!("`/robots.txt` answered {status}: with no rules, crawlers may crawl anything"),
        );
    }
    if status.is_server_error() {
        return every(
            false,
            format!("`/robots.txt` answered {status}: crawlers then take the whole site as disallowed"),
        );
    }
    if status != StatusCode::OK {
        return every(
            true,
            format!("`/robots.txt` answered {status}, which holds no rules"),
        );
    }
    let by_crawler = CRAWLERS
        .iter()
        .map(|crawler| {
            // The parser forgives anything a crawler would; a file it still refuses gives no rule.
            let allowed =
                Robot::new(crawler, answer.body.as_bytes()).map_or(true, |robot| robot.allowed(path));
            (*crawler, allowed)
        })
        .collect();
    Verdicts {
        by_crawler,
        because: format!(
            "`/robots.txt`:\n{}",
            text::for_terminal(&answer.body, text::Keep::Start)
        ),
    }
}

/// What keeps the page out of search results, if anything: an `X-Robots-Tag` or a robots
/// `<meta>` saying `noindex` or `none`, for every search engine or a named one.
pub fn hidden_by(page: &Exchange) -> Vec<String> {
    let mut signs: Vec<String> = header_values(page, "X-Robots-Tag")
        .into_iter()
        .filter(|value| says_noindex(value))
        .map(|value| format!("X-Robots-Tag: {value}"))
        .collect();
    if text::is_html(page.content_type(), &page.body) {
        let document = Html::parse_document(&page.body);
        let Ok(meta) = Selector::parse("meta[name][content]") else {
            return signs;
        };
        for element in document.select(&meta) {
            let name = element.attr("name").unwrap_or_default().to_ascii_lowercase();
            let content = element.attr("content").unwrap_or_default();
            // `robots` speaks to every crawler; `googlebot`, `bingbot` and the like to one.
            let for_crawlers = name == "robots" || name.ends_with("bot");
            if for_crawlers && says_noindex(content) {
                signs.push(text::for_terminal(&element.html(), text::Keep::Start));
            }
        }
    }
    signs
}

/// Whether a robots directive list (`noindex, nofollow`, `googlebot: none`) keeps a page out of
/// the index.
fn says_noindex(directives: &str) -> bool {
    let directives = directives
        .split_once(':')
        .filter(|(agent, _)| !agent.contains(','))
        .map_or(directives, |(_, rules)| rules);
    directives.split(',').any(|directive| {
        let directive = directive.trim();
        directive.eq_ignore_ascii_case("noindex") || directive.eq_ignore_ascii_case("none")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_name_noindex_for_all_or_one_crawler() {
        assert!(says_noindex("noindex, nofollow"));
        assert!(says_noindex("NONE"));
        assert!(says_noindex("googlebot: noindex"));
        assert!(!says_noindex("nofollow"));
        assert!(!says_noindex("unavailable_after: 2030-01-01"));
        assert!(!says_noindex("index, follow"));
    }

    #[test]
    fn the_longest_rule_decides_and_allow_wins_a_tie() {
        let rules = "User-agent: *\nDisallow: /admin/\nAllow: /admin/help\nDisallow: /admin/help\n";
        let robot = Robot::new("*", rules.as_bytes()).expect("parses");
        assert!(robot.allowed("/"));
        assert!(!robot.allowed("/admin/users"));
        assert!(robot.allowed("/admin/help"));
        let own_group = "User-agent: *\nAllow: /\n\nUser-agent: Googlebot\nDisallow: /\n";
        assert!(
            Robot::new("*", own_group.as_bytes())
                .expect("parses")
                .allowed("/")
        );
        assert!(
            !Robot::new("Googlebot", own_group.as_bytes())
                .expect("parses")
                .allowed("/")
        );
    }
}
