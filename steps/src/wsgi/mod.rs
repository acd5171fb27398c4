//! WSGI steps: does a WSGI file load and answer with its virtualenv, does the Apache site point
//! at paths that exist, and do its applications load and answer as mod_wsgi would run them.

pub(crate) mod apache;
mod applications;
mod loader;
mod steps;
