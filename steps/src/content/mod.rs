//! Page content: test strings, lorem ipsum, unrendered templates and framework debug pages,
//! caught on one page or across everything a role can reach, and whether every page a crawl
//! reaches, and everything those pages load, works.

mod asset_check;
mod assets;
mod crawl;
mod links;
mod rules;
mod steps;

pub use asset_check::AssetSettings;
pub use crawl::{Answer, Answered, Coverage, CrawlSettings, Crawler, Next, Page, Reached, Reader};
pub use links::{Variable, decoded_target, variable_part};
pub use rules::{Allowance, BUILT_IN, Finding, RuleError, RuleSet};
pub use steps::{CRAWL_CLEAN_PHRASE, PAGE_CLEAN_PHRASE};
