//! The step catalogue, read from the binary under test (the release binary in `ci/test`): as
//! text, and as the Markdown docs/steps.md is. That every phrase is registered for every Gherkin
//! keyword is the step library's own unit test.

use crate::support::Shakedown;

#[test]
fn the_catalogue_reads_as_text_and_markdown() {
    Shakedown::new()
        .args(["steps"])
        .run()
        .expect_code(0)
        .expect_stdout("http\n  I request {string}\n      GET, with the current role's session\n      e.g. I request \"/api/health\"");
    let markdown = Shakedown::new().args(["steps", "--format", "markdown"]).run();
    markdown.expect_code(0);
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/steps.md"))
        .expect("docs/steps.md");
    assert_eq!(
        markdown.stdout, committed,
        "docs/steps.md differs from `shakedown steps --format markdown`"
    );
}
