//! WSGI steps: does a WSGI file load with its virtualenv, and does the Apache site point at
//! paths that exist.

pub(crate) mod apache;
mod loader;
mod steps;
