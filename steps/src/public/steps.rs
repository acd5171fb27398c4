//! The "public face" phrases: what any visitor, browser or search engine is told by the site.

use shakedown_steps_macros::phrase;

use super::{headers, robots};
use crate::failure::StepFailure;
use crate::http::{Exchange, Outgoing, Visitor, checks, last_response, perform};
use crate::site::SiteAddress;
use crate::world::ShakedownWorld;

/// The catalogue groups this file's phrases under this domain.
const PHRASE_DOMAIN: &str = "public";

/// the last response carries the security headers `[headers] required` names: on HTTPS a
/// `Strict-Transport-Security` of at least 180 days; `X-Content-Type-Options: nosniff`; a framing
/// rule (`X-Frame-Options` or CSP `frame-ancestors`); no version in `Server` or `X-Powered-By`;
/// session cookies it sets `HttpOnly`, and `Secure` on HTTPS. Each one missing is named. A
/// server error the scenario does not expect cannot tell: its headers are the error page's
#[phrase(
    "the site should send the security headers",
    example = "the site should send the security headers"
)]
fn security_headers(world: &mut ShakedownWorld) -> Result<(), StepFailure> {
    let exchange = last_response(world)?;
    checks::error_page_tells(exchange, &world.http.expected_statuses, checks::HEADERS_SENT)?;
    let missing = headers::missing(exchange, &world.public_settings().security_headers);
    if missing.is_empty() {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "{} security header rule(s) broken on {}",
        missing.len(),
        exchange.final_url()
    ))
    .with("missing", missing.join("\n"))
    .with("request", exchange.describe())
    .with(
        "hint",
        "a rule the site cannot meet yet is left out by `[headers] required` in shakedown.toml",
    ))
}

/// RFC 9309, as any crawler (`*`), Googlebot and Bingbot read the site's `/robots.txt`: the
/// crawler's own group or else `*`, the longest matching rule, `Allow` over `Disallow` on a tie.
/// No `robots.txt` (a 4xx) allows everything; a 5xx disallows everything, so this fails
#[phrase(
    "robots.txt should allow crawling {string}",
    example = "robots.txt should allow crawling \"/\""
)]
async fn robots_allow(world: &mut ShakedownWorld, path: SiteAddress) -> Result<(), StepFailure> {
    robots_say(world, &path, true).await
}

/// the opposite, for a staging site: every one of those crawlers must be kept out of the path
/// by a rule. A `robots.txt` that answers 5xx cannot tell: crawlers keep off only while it
/// fails, and may crawl everything once it has failed for a while (RFC 9309)
#[phrase(
    "robots.txt should disallow crawling {string}",
    example = "robots.txt should disallow crawling \"/\""
)]
async fn robots_disallow(world: &mut ShakedownWorld, path: SiteAddress) -> Result<(), StepFailure> {
    robots_say(world, &path, false).await
}

/// requested as an anonymous visitor, as a search engine comes: neither an `X-Robots-Tag` nor a
/// robots `<meta>` (for every crawler or a named one) says `noindex` or `none`. robots.txt is a
/// separate check. A server error or a page cut short cannot tell
#[phrase(
    "the page {string} should not be hidden from search engines",
    example = "the page \"/\" should not be hidden from search engines"
)]
async fn not_hidden(world: &mut ShakedownWorld, page: SiteAddress) -> Result<(), StepFailure> {
    let url = world.resolve(&page)?;
    let page = as_a_crawler(world, url).await?;
    // The crawler's own request: the statuses the scenario's response checks name are not its.
    checks::proves_absence(&page, &[])?;
    let signs = robots::hidden_by(&page);
    if signs.is_empty() {
        return Ok(());
    }
    Err(
        StepFailure::new(format!("{} is hidden from search engines", page.final_url()))
            .with("found", signs.join("\n"))
            .with("request", page.describe()),
    )
}

async fn robots_say(world: &mut ShakedownWorld, path: &str, allowed: bool) -> Result<(), StepFailure> {
    let target = world.resolve(path)?;
    let mut robots_url = target.clone();
    robots_url.set_path("/robots.txt");
    robots_url.set_query(None);
    robots_url.set_fragment(None);
    let answer = as_a_crawler(world, robots_url).await?;
    let crawled = match target.query() {
        Some(query) => format!("{}?{query}", target.path()),
        None => target.path().to_owned(),
    };
    // A failing robots.txt keeps crawlers off only until it mends or they give up waiting for
    // it: no lasting "disallowed", so a 5xx is not the clean answer a staging site needs.
    if !allowed && answer.status.is_server_error() {
        return Err(StepFailure::new(format!(
            "cannot tell whether robots.txt disallows crawling `{crawled}`: `/robots.txt` answered {}",
            answer.status
        ))
        .with(
            "crawlers",
            "keep off the whole site while robots.txt fails, and may crawl all of it once it has \
             failed for a while (RFC 9309 2.3.1.4: after 30 days)",
        )
        .with("request", answer.describe())
        .with("body", crate::text::excerpt(answer.readable_body())));
    }
    let verdicts = robots::verdicts(&answer, &crawled);
    let differing = verdicts.differing(allowed);
    if differing.is_empty() {
        return Ok(());
    }
    let (should, is) = if allowed {
        ("allow", "disallowed")
    } else {
        ("disallow", "allowed")
    };
    Err(StepFailure::new(format!(
        "robots.txt should {should} crawling `{crawled}`, but it is {is} for {}",
        differing
            .iter()
            .map(|crawler| format!("`{crawler}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .with("because", verdicts.because)
    .with("request", answer.describe()))
}

/// A GET with no cookies or credentials, as a search engine's crawler makes it.
async fn as_a_crawler(world: &ShakedownWorld, url: url::Url) -> Result<Exchange, StepFailure> {
    let deadline = world.deadline();
    perform(
        world.http_client(),
        &Visitor::default(),
        Outgoing::get(url),
        deadline,
    )
    .await
}
