//! Who is looking: roles from the configuration, their secrets, and one login per role per run
//! shared by every scenario of that role.

mod cache;
mod login;
mod methods;
mod secrets;
mod sso;
mod steps;
mod totp;

/// The built-in role of a visitor who is not logged in.
pub const ANONYMOUS: &str = "anonymous";

pub use cache::{RoleSession, Sessions, password_variables};
pub use login::{LoginSettings, SsoForm, is_login_page};
pub use methods::{ClientCertificate, LoginMethod};
pub use secrets::{PasswordSource, RoleSettings, read_registered_secret, read_secret};
pub(crate) use sso::{SignOn, SignOnRequest};
pub use steps::NOT_LOGGED_IN_PHRASE;
pub(crate) use totp::{CodeMaker, code_refused, no_second_factor};
pub use totp::{SecondFactor, TotpAlgorithm, one_time_code_selector};
