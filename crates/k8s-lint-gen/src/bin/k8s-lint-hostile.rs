//! `k8s-lint-hostile OUT_DIR [SCALE]`: write the hostile-repository cases (see
//! `k8s_lint_gen::hostile`) under OUT_DIR, sizes multiplied by SCALE (default 1).

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first() else {
        eprintln!("usage: k8s-lint-hostile OUT_DIR [SCALE]");
        return ExitCode::from(2);
    };
    let scale = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(1);
    match k8s_lint_gen::hostile::write_all(Path::new(out), scale) {
        Ok(()) => {
            eprintln!(
                "wrote {} cases to {out}: {}",
                k8s_lint_gen::hostile::CASES.len(),
                k8s_lint_gen::hostile::CASES.join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
