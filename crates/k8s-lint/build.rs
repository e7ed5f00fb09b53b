//! Embed `rules/<id>.md` so `k8s-lint explain` and SARIF `help` work from an installed binary,
//! and the commit the binary is built from, for `--version`.

use std::fmt::Write;
use std::path::Path;

/// `K8S_LINT_VERSION`: the package version, with the commit when known: `K8S_LINT_COMMIT`
/// (set by the release workflow), else `git rev-parse` of this checkout (none in a crates.io
/// source package).
fn version() {
    println!("cargo:rerun-if-env-changed=K8S_LINT_COMMIT");
    let top = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let git = top.join(".git");
    if git.is_dir() {
        println!("cargo:rerun-if-changed={}", git.join("HEAD").display());
        if let Ok(head) = std::fs::read_to_string(git.join("HEAD")) {
            if let Some(r) = head.trim().strip_prefix("ref: ") {
                println!("cargo:rerun-if-changed={}", git.join(r).display());
            }
        }
    }
    let commit = std::env::var("K8S_LINT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| {
            let out = std::process::Command::new("git")
                .args(["rev-parse", "--short=12", "HEAD"])
                .current_dir(&top)
                .output()
                .ok()?;
            let c = String::from_utf8(out.stdout).ok()?.trim().to_string();
            (out.status.success() && !c.is_empty()).then_some(c)
        });
    let version = env!("CARGO_PKG_VERSION");
    let long = match commit {
        Some(c) => format!("{version} ({c})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=K8S_LINT_VERSION={long}");
}

fn main() {
    version();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut docs: Vec<(String, String)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().to_string();
                    let id = name.strip_suffix(".md")?.to_string();
                    let path = e.path().canonicalize().ok()?;
                    Some((id, path.display().to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    docs.sort();
    let mut out = String::from("/// `(rule id, rules/<id>.md)`, sorted by id.\npub static RULE_DOCS: &[(&str, &str)] = &[\n");
    for (id, path) in &docs {
        let _ = writeln!(out, "    ({id:?}, include_str!({path:?})),");
    }
    out.push_str("];\n");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("rule_docs.rs"), out).expect("OUT_DIR is writable");
}
