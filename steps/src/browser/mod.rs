//! Browser steps: a real Chromium (or any WebDriver) driven through thirtyfour, with a pool of
//! sessions shared by the run's scenarios and a screenshot for every failing step.

mod credentials;
mod driver;
mod find;
mod guard;
mod identity;
mod page;
mod pool;
mod read_only;
mod settings;
mod sso;
mod steps;
mod webdriver_errors;

pub use driver::capabilities as chromium_capabilities;
pub(crate) use identity::Identity;
pub(crate) use page::Page;
pub use pool::{Browsers, ScenarioBrowser};
pub use settings::BrowserSettings;
