//! Embed `rules/<id>.md` so `k8s-lint explain` and SARIF `help` work from an installed binary.

use std::fmt::Write;
use std::path::Path;

fn main() {
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
