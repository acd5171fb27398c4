//! WSGI steps: does a WSGI file load with its virtualenv, and does the Apache site point at
//! paths that exist.

mod apache;
mod loader;
mod steps;
