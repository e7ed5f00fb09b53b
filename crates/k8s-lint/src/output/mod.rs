//! One module per output format. Each renders a whole report to a string.

pub mod compact;
pub mod errors;
pub mod escape;
pub mod fingerprint;
pub mod github;
pub mod human;
pub mod json;
pub mod sarif;
