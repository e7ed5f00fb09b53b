//! One whole lint of a repository, with the system allocator, for heap profilers:
//!
//!     cargo build --release -p k8s-lint-core --example lint_once
//!     heaptrack target/release/examples/lint_once DIR
//!
//! The binary allocates with jemalloc, which heaptrack does not see; this example runs the
//! same library call (`lint`) as the binary does. `scripts/heap-profile` wraps the two steps
//! and sums the peak by the function of ours that allocated.

use std::path::PathBuf;

use k8s_lint_core::{lint, Options};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::args().nth(1).ok_or("usage: lint_once DIR")?);
    let report = lint(&Options::new(vec![root]))?;
    eprintln!(
        "{} objects, {} findings",
        report.stats.objects,
        report.findings.len()
    );
    Ok(())
}
