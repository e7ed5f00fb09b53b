//! `k8s-lint-gen OUT_DIR N_APPS [DEFECTS]`: write a synthetic GitOps repository for benchmarks
//! and scale tests; with DEFECTS, plant that many bugs of each kind and write the findings
//! k8s-lint must report to OUT_DIR/expected-findings.txt.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize| args.get(i).and_then(|n| n.parse::<usize>().ok());
    let (Some(out), Some(n)) = (args.first(), number(1)) else {
        eprintln!("usage: k8s-lint-gen OUT_DIR N_APPS [DEFECTS_PER_KIND]");
        return ExitCode::from(2);
    };
    let defects = number(2).unwrap_or(0);
    match k8s_lint_gen::write_repo(Path::new(out), n, defects) {
        Ok(g) => {
            eprintln!(
                "wrote {n} apps ({} objects, {} planted defects) to {out}",
                g.objects,
                g.expected.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
