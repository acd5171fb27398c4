//! The "public face" phrases: what any visitor, browser or search engine is told by the site.

use shakedown_steps_macros::phrase;

use super::exposure::{self, Candidate, Findings};
use super::{docroot, headers, robots};
use crate::failure::{FailureKind, StepFailure};
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

/// as an anonymous visitor, GET only, all within the step's one deadline: the built-in list of
/// private files (`/.git/HEAD`, `/.git/config`, `/.svn/entries`, `/.hg/requires`, `/.env`,
/// `/.env.production`, `/config.php.bak`, `/wp-config.php~`, `/settings.py`, `/server-status`,
/// `/server-info`, `/phpinfo.php`, `/nginx_status`, `/.DS_Store`, `/backup.sql`, `/dump.sql`,
/// `/index.php.bak`, `/index.php~`, `/.index.php.swp`), the backup and editor copies (`X.bak`,
/// `.X.swp`, `X~`) of the home page and the pages it links to that are named like files, and
/// `[exposure] paths`, less `[exposure] allow`. Fails on each that answers 2xx at its own
/// address with content that is neither the site's ordinary not-found page (the answer to a
/// random path beside it: a "soft 404" page is no finding) nor a login page, naming its URL,
/// status and what it is (key names of an `.env`, never values); a server error or no answer is
/// "could not tell" for that path. It proves what is asked for only: where the server's web root
/// can be read (a host with `docroot`), every dotfile, backup, dump and archive on disk is asked
/// for too
#[phrase(
    "nothing private should be public on the site",
    example = "nothing private should be public on the site",
    runs_on_host
)]
async fn nothing_private_public(world: &mut ShakedownWorld) -> Result<(), StepFailure> {
    let deadline = world.deadline();
    let settings = world.public_settings().exposure.clone();
    let mut findings = Findings::default();
    let mut candidates = Vec::new();
    for path in exposure::BUILT_IN_PATHS.iter().map(|path| (*path).to_owned()) {
        candidates.push(Candidate {
            url: world.resolve(&path)?,
            because: None,
        });
    }
    for path in &settings.paths {
        candidates.push(Candidate {
            url: world.resolve(path)?,
            because: Some("`[exposure] paths`".to_owned()),
        });
    }
    let home = world.resolve("/")?;
    match as_a_crawler(world, home.clone()).await {
        Ok(page) if page.status.is_success() => candidates.extend(exposure::own_page_copies(&page)),
        // No home page (an API): no page whose copies to ask for.
        Ok(page) if !page.status.is_server_error() => {}
        Ok(page) => findings.could_not_tell(
            format!(
                "{home} answered {}: the copies of the pages it links to were not asked for",
                page.status
            ),
            FailureKind::Assertion,
        ),
        Err(failure) => findings.could_not_tell(
            format!(
                "{home} could not be fetched ({}): the copies of the pages it links to were not asked for",
                failure.summary()
            ),
            failure.kind(),
        ),
    }
    let allow = settings
        .allow
        .iter()
        .map(|path| world.resolve(path))
        .collect::<Result<Vec<_>, _>>()?;
    let mut candidates = exposure::without_allowed(candidates, &allow);
    if let Some(docroot) = world.docroot() {
        let on_disk = docroot::private_files(world.host(), docroot, &world.site().base_url, deadline).await;
        if let Some((why, kind)) = on_disk.incomplete {
            findings.could_not_tell(why, kind);
        }
        let mut on_disk = exposure::without_allowed(on_disk.candidates, &allow);
        on_disk.retain(|found| !candidates.iter().any(|listed| listed.url == found.url));
        let found = on_disk.len();
        if found > docroot::MAX_FILES {
            findings.could_not_tell(
                format!(
                    "{} more private-looking file(s) in `{}` on {} were not asked for: the first {} were",
                    found - docroot::MAX_FILES,
                    docroot.display(),
                    world.host().name(),
                    docroot::MAX_FILES
                ),
                FailureKind::Assertion,
            );
            on_disk.truncate(docroot::MAX_FILES);
        }
        let note = format!(
            "`{}` on {} listed: {found} private-looking file(s) on disk, each asked for",
            docroot.display(),
            world.host().name()
        );
        candidates.extend(on_disk);
        world.note(note);
    }
    exposure::inspect(world.http_client(), &candidates, deadline, &mut findings).await;
    let site = world.site().base_url.clone();
    let note = exposure_verdict(&findings, &site, deadline)?;
    world.note(note);
    Ok(())
}

/// The note of a site that served nothing private, or the failure naming what it served and
/// what could not be told.
fn exposure_verdict(
    findings: &Findings,
    site: &url::Url,
    deadline: crate::Deadline,
) -> Result<String, StepFailure> {
    let unknown: Vec<&str> = findings.unknown.iter().map(|(line, _)| line.as_str()).collect();
    let not_asked = (findings.not_asked > 0).then(|| {
        format!(
            "{} more private path(s) were not asked for: the step ran out of time ({deadline})",
            findings.not_asked
        )
    });
    if findings.exposed.is_empty() && unknown.is_empty() && not_asked.is_none() {
        return Ok(format!(
            "{} private path(s) asked of {site}: none is served",
            findings.asked
        ));
    }
    let mut failure = if findings.exposed.is_empty() {
        // Nothing served: the trouble is the site's answers, or no answer at all.
        let kind = match findings
            .unknown
            .iter()
            .find(|(_, kind)| *kind == FailureKind::Assertion)
        {
            Some(_) => FailureKind::Assertion,
            None => findings
                .unknown
                .first()
                .map_or(FailureKind::Timeout, |(_, kind)| *kind),
        };
        StepFailure::new(format!(
            "could not tell whether {} private path(s) of {site} are served",
            unknown.len() + findings.not_asked
        ))
        .of_kind(kind)
    } else {
        StepFailure::new(format!(
            "{} private file(s) served by {site}",
            findings.exposed.len()
        ))
        .with("exposed", findings.exposed.join("\n"))
    };
    if !unknown.is_empty() || not_asked.is_some() {
        let lines: Vec<&str> = unknown.into_iter().chain(not_asked.as_deref()).collect();
        failure = failure.with("could not tell", lines.join("\n"));
    }
    if !findings.compared_with.is_empty() {
        failure = failure.with("compared with", findings.compared_with.join("\n"));
    }
    if !findings.exposed.is_empty() {
        failure = failure.with(
            "hint",
            "a path public on purpose is left out by `[exposure] allow` in shakedown.toml",
        );
    }
    Err(failure)
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
