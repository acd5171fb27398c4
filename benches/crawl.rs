//! Benchmark (not a test): shakedown crawling 200 pages of the demo site's help area on
//! loopback, against the floor of fetching the same number of pages without the runner. Run
//! with `cargo bench --bench crawl`; the figures go into docs/performance.md.

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt as _;
use shakedown_demo_site::DemoOptions;
use shakedown_steps::content::BUILT_IN;
use support::{ROUNDS, client, fetch, median, ms, ratio, start_site, time_shakedown_run};

/// The help area is larger than the crawl's page limit, so the crawl stops at 200.
const HELP_ARTICLES: usize = 400;
const PAGES: usize = 200;

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let project = tempfile::tempdir().expect("temp dir");
    let mut options = DemoOptions::new(project.path().join("state"));
    options.help_articles = HELP_ARTICLES;
    let site = start_site(&runtime, options);
    std::fs::write(
        project.path().join("shakedown.toml"),
        format!("[environments.bench]\nbase_url = \"{}\"\n[content]\ncrawl_max_pages = {PAGES}\ncrawl_max_depth = 1000\n", site.url()),
    )
    .expect("config");
    std::fs::create_dir_all(project.path().join("features")).expect("features folder");
    std::fs::write(
        project.path().join("features/crawl.feature"),
        "Feature: Bench\n  Scenario: crawl\n    Then no page reachable from \"/help/\" should contain forbidden content\n",
    )
    .expect("feature");

    let (mut process, mut run, mut floor) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let timing = time_shakedown_run(project.path());
        process.push(timing.process);
        run.push(timing.run);
        floor.push(runtime.block_on(fetch_pages(site.url())));
    }
    let (process, run, floor) = (median(process), median(run), median(floor));
    println!(
        "crawl of {PAGES} pages on loopback, {} rules per page, median of {ROUNDS} rounds:",
        BUILT_IN.len()
    );
    println!(
        "  runner time (the run's own summary):                      {:>7.1} ms  (runner / floor = {:.2})",
        ms(run),
        ratio(run, floor)
    );
    println!(
        "  whole `shakedown run` process, start-up included:         {:>7.1} ms",
        ms(process)
    );
    println!(
        "  floor: the same number of pages fetched without a runner: {:>7.1} ms",
        ms(floor)
    );
    runtime.block_on(site.shutdown());
}

/// The help index pages and articles, 8 at a time as the crawler fetches them.
async fn fetch_pages(url: &str) -> Duration {
    let client = client();
    let started = Instant::now();
    let pages = (1..=PAGES).map(|article| format!("{url}/help/{article}/"));
    futures::stream::iter(pages)
        .map(|page| fetch(&client, page))
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    started.elapsed()
}
