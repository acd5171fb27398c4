//! `within N seconds …`: any check may wait for a rolling deployment to settle. The check runs
//! again with backoff until it passes or the time is up, each time after the scenario's last
//! request is sent again when the check reads its answer (only a GET or a HEAD: a request that
//! may change the site is never repeated), or as it is when it looks at the server itself (a
//! probe). The wait never outlasts the scenario (`limits.scenario_timeout`).

use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use reqwest::Method;
use tokio::time::Instant;
use url::Url;

use crate::deadline::{Deadline, Limit};
use crate::failure::{FailureKind, StepFailure, StepResult};
use crate::world::ShakedownWorld;

/// The first pause between two attempts; each next one is twice as long, up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(250);
const LONGEST_PAUSE: Duration = Duration::from_secs(5);

/// `within 120 seconds ` before a check, the number as written (checked by [`wait_of`]).
static PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*within (\S+) seconds? ").expect("valid regex"));

/// The regex of a check's phrase as it may be written with the wait before it: the same
/// captures, so the step reads its arguments where it always does.
pub(crate) fn waiting_regex(check: &Regex) -> Regex {
    let body = check.as_str().strip_prefix('^').unwrap_or(check.as_str());
    Regex::new(&format!(r"^within \S+ seconds? {body}"))
        .expect("a check's regex with a fixed prefix is valid")
}

/// The step line without its `within N seconds`, as the phrase reads it.
pub fn without_wait(step_text: &str) -> &str {
    match PREFIX.find(step_text) {
        Some(prefix) => &step_text[prefix.end()..],
        None => step_text,
    }
}

/// How long a step line asks its check to wait, if it does; a number of seconds that is not a
/// whole number of at least 1 (`within ten seconds`, `within 0 seconds`) is refused.
pub fn wait_of(step_text: &str) -> Result<Option<Duration>, StepFailure> {
    let Some(written) = PREFIX.captures(step_text).and_then(|found| found.get(1)) else {
        return Ok(None);
    };
    match written.as_str().parse::<u64>() {
        Ok(seconds) if seconds > 0 => Ok(Some(Duration::from_secs(seconds))),
        _ => Err(StepFailure::configuration(format!(
            "`within {} seconds`: the time to wait is a whole number of seconds, at least 1",
            written.as_str()
        ))
        .with(
            "example",
            "Then within 120 seconds the response status should be 200",
        )),
    }
}

/// One check's wait: when it ends, what to send again between attempts, how often it ran.
pub(crate) struct Waiting {
    asked: Duration,
    started: Instant,
    /// The end of the time asked, or the scenario's end when that comes first.
    bound: Deadline,
    /// The scenario's last request, sent again when the check reads its answer.
    request: Option<(Method, Url)>,
    attempts: u32,
    pause: Duration,
}

impl Waiting {
    pub(crate) fn start(world: &mut ShakedownWorld, asked: Duration) -> Self {
        let started = Instant::now();
        let bound = Deadline::for_wait(started, asked).earlier(world.scenario_deadline());
        // The flag may be left over from an earlier check: this wait asks afresh.
        world.http.answer_was_read();
        // No attempt outlasts the wait: a request that hangs is cut when the wait is over.
        world.bound_by_wait(Some(bound));
        Self {
            asked,
            started,
            bound,
            request: world
                .http
                .last
                .as_ref()
                .map(|exchange| (exchange.method.clone(), exchange.requested.clone())),
            attempts: 0,
            pause: FIRST_PAUSE,
        }
    }

    /// What the check's attempt came to: `Some` ends the step with it (and the wait's bound on
    /// the step's calls), `None` runs the check again (after the pause, and after its request
    /// was answered once more).
    pub(crate) async fn after(
        &mut self,
        world: &mut ShakedownWorld,
        outcome: StepResult,
    ) -> Option<StepResult> {
        let ended = self.attempt_ended(world, outcome).await;
        if ended.is_some() {
            world.bound_by_wait(None);
        }
        ended
    }

    async fn attempt_ended(&mut self, world: &mut ShakedownWorld, outcome: StepResult) -> Option<StepResult> {
        self.attempts += 1;
        let mut failure = match outcome {
            Ok(()) => {
                world.note(format!(
                    "waited {} for the check to pass ({} attempt(s), at most {} s asked)",
                    seconds(self.started.elapsed()),
                    self.attempts,
                    self.asked.as_secs()
                ));
                return Some(Ok(()));
            }
            // Waiting mends no configuration: say so now rather than after the wait.
            Err(failure) if failure.kind() == FailureKind::Configuration => return Some(Err(failure)),
            Err(failure) => failure,
        };
        let resend = match (world.http.answer_was_read(), &self.request) {
            (true, Some((method, url))) if matches!(*method, Method::GET | Method::HEAD) => {
                Some((method.clone(), url.clone()))
            }
            (true, Some((method, url))) => {
                return Some(Err(failure.with(
                    "not waited",
                    format!(
                        "the check reads the answer to `{method} {url}`, and shakedown repeats only GET and HEAD requests, never one that may change the site"
                    ),
                )));
            }
            _ => None,
        };
        loop {
            let left = self.bound.remaining();
            if left.is_zero() {
                return Some(Err(self.gave_up(failure)));
            }
            tokio::time::sleep(self.pause.min(left)).await;
            self.pause = (self.pause * 2).min(LONGEST_PAUSE);
            // A request sent as the wait ends could only run out of time: the last answer stands.
            if self.bound.has_passed() {
                return Some(Err(self.gave_up(failure)));
            }
            let Some((method, url)) = &resend else {
                return None;
            };
            match crate::http::send_again(world, method.clone(), url).await {
                Ok(()) => return None,
                // A server restarting during the deployment: its answer is what is waited for.
                Err(unanswered) => {
                    self.attempts += 1;
                    failure = unanswered;
                }
            }
        }
    }

    /// The last failure, saying how long it was waited for.
    fn gave_up(&self, failure: StepFailure) -> StepFailure {
        let waited = seconds(self.started.elapsed());
        let failure = failure
            .reworded(|summary| format!("{summary}, still after {waited} of waiting"))
            .with("waited", format!("{waited}, {} attempt(s)", self.attempts));
        match self.bound.limit() {
            Limit::Scenario => failure.with(
                "wait cut",
                format!(
                    "{} s were asked, but the scenario ends first: it may take {}",
                    self.asked.as_secs(),
                    self.bound
                ),
            ),
            _ => failure,
        }
    }
}

/// `5 s`, `1.2 s`: how long a wait took, to a tenth of a second.
fn seconds(duration: Duration) -> String {
    let tenths = duration.as_millis().div_ceil(100);
    match tenths % 10 {
        0 => format!("{} s", tenths / 10),
        rest => format!("{}.{rest} s", tenths / 10),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_is_read_from_the_start_of_the_line_and_must_be_a_whole_positive_number() {
        assert_eq!(
            wait_of("within 120 seconds the response status should be 200").ok(),
            Some(Some(Duration::from_secs(120)))
        );
        assert_eq!(
            wait_of("within 1 second the page should show \"x\"").ok(),
            Some(Some(Duration::from_secs(1)))
        );
        assert_eq!(
            wait_of("the response should arrive within 500 ms").ok(),
            Some(None)
        );
        for malformed in [
            "within ten seconds x",
            "within 0 seconds x",
            "within -5 seconds x",
            "within 1.5 seconds x",
        ] {
            let refused = wait_of(malformed).expect_err(malformed);
            assert!(refused.summary().contains("whole number of seconds"), "{refused}");
        }
        assert_eq!(
            without_wait("within 5 seconds the response status should be 200"),
            "the response status should be 200"
        );
    }

    #[test]
    fn a_checks_regex_gains_the_wait_and_keeps_its_captures() {
        let check = Regex::new(r"^the response status should be (\d+)$").expect("regex");
        let waiting = waiting_regex(&check);
        let found = waiting
            .captures("within 30 seconds the response status should be 200")
            .expect("matches");
        assert_eq!(&found[1], "200");
        assert!(!waiting.is_match("the response status should be 200"));
    }

    #[test]
    fn waits_read_in_tenths_of_a_second() {
        assert_eq!(seconds(Duration::from_millis(5000)), "5 s");
        assert_eq!(seconds(Duration::from_millis(1210)), "1.3 s");
    }
}
