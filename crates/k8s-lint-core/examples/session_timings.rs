//! Phase times of an editor's session after an edit (what `--timings` is to a cold run):
//!
//!     cargo run --release -p k8s-lint-core --example session_timings -- DIR [EDITS]
//!
//! DIR is a repository written by `k8s-lint-gen DIR N`. Each edit renames the Service of
//! `apps/app-00001` away from its Ingress or back; the mean wall time of each phase of the lint
//! that follows is printed, then the ten slowest rules. `scripts/lsp-bench` measures the same
//! path end to end, through the language server.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use k8s_lint_core::session::Session;
use k8s_lint_core::Options;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().ok_or("usage: session_timings DIR [EDITS]")?);
    let edits: u32 = args.next().map_or(Ok(40), |n| n.parse())?;
    let mut session = Session::open(Options::new(vec![root.clone()]))?;
    let service = root.join("apps/app-00001/service.yaml");
    let text = std::fs::read_to_string(&service)?;
    let renamed = text.replacen("name: app-00001\n", "name: renamed\n", 1);
    let mut total: BTreeMap<&str, f64> = BTreeMap::new();
    let mut order = Vec::new();
    let mut rules: BTreeMap<&str, f64> = BTreeMap::new();
    for n in 0..edits {
        let edited = if n % 2 == 0 { &renamed } else { &text };
        session.edit(&service, Some(edited.clone()))?;
        let start = Instant::now();
        let report = session.lint();
        *total.entry("total").or_default() += start.elapsed().as_secs_f64();
        for (rule, took) in &report.rule_timings {
            *rules.entry(rule).or_default() += took.as_secs_f64();
        }
        for (phase, took) in &report.timings {
            if !order.contains(phase) {
                order.push(*phase);
            }
            *total.entry(phase).or_default() += took.as_secs_f64();
        }
    }
    order.push("total");
    for phase in order {
        let ms = total[phase] / f64::from(edits.max(1)) * 1000.0;
        println!("{phase:<30} {ms:8.2} ms");
    }
    // The slowest rules, by their own time per lint (they run in parallel).
    let mut slowest: Vec<(&str, f64)> = rules.into_iter().collect();
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!();
    for (rule, took) in slowest.iter().take(10) {
        let ms = took / f64::from(edits.max(1)) * 1000.0;
        println!("{rule:<30} {ms:8.2} ms");
    }
    Ok(())
}
