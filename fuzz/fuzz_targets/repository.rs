//! The whole lint and every output format on a repository made from the input (see
//! `repository_harness.rs`).
#![no_main]

mod repository_harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| repository_harness::run(data));
