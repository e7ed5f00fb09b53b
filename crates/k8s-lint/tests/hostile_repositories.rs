//! Every hostile-repository case (`k8s_lint_gen::hostile`, also `fixtures/hostile/`) linted
//! end to end by the built binary in every format: no crash (exit 0, 1, or 2 for a refused
//! config), nothing from outside the repository in any output, no raw control character
//! from the repository in a text format, JSON and SARIF that parse.

use std::process::Command;

use k8s_lint_gen::hostile::{write_all, CASES, SECRET};

#[test]
fn every_case_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    write_all(dir.path(), 1).unwrap();
    for case in CASES {
        let repo = dir.path().join(case);
        for format in ["human", "compact", "github", "json", "sarif"] {
            let o = Command::new(env!("CARGO_BIN_EXE_k8s-lint"))
                .args(["--format", format, "--color", "never"])
                .current_dir(&repo)
                .env_remove("GITHUB_STEP_SUMMARY")
                .output()
                .unwrap();
            let (out, err) = (
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr),
            );
            let code = o.status.code();
            // The symlinks case commits a config that leads out of the repository: refused.
            let want: &[i32] = if *case == "symlinks" { &[2] } else { &[0, 1] };
            assert!(
                code.is_some_and(|c| want.contains(&c)),
                "{case} {format}: exit {code:?}\n{err}"
            );
            for text in [&out, &err] {
                assert!(!text.contains(SECRET), "{case} {format}: leaked\n{text}");
                assert!(!text.contains("panicked"), "{case} {format}: {text}");
            }
            if matches!(format, "human" | "compact" | "github") {
                assert!(!out.contains('\u{1b}'), "{case} {format}: raw ESC");
                // `new\n::error file=forged.yaml::…` names a file: its newline stays escaped.
                assert!(
                    !out.lines()
                        .any(|l| l.starts_with("::error file=forged.yaml")),
                    "{case} {format}: a forged workflow command\n{out}"
                );
                if format != "github" {
                    assert!(
                        !out.lines().any(|l| l.starts_with("::")),
                        "{case} {format}: a workflow command\n{out}"
                    );
                }
            }
            if matches!(format, "json" | "sarif") && code != Some(2) {
                serde_json::from_str::<serde_json::Value>(&out)
                    .unwrap_or_else(|e| panic!("{case} {format}: {e}"));
            }
        }
    }
}
