//! Fixes against kustomize itself (`kubectl kustomize`, skipped with a message where it is
//! absent): on every fixture with fixes, safe fixes of kustomizations leave each build exactly
//! as it was, no fix, safe or unsafe, breaks a build that worked, and an orphan's objects are
//! in the build once the fix lists it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The build's output, or `None` when kustomize refuses it.
fn build(dir: &Path) -> Option<String> {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn kustomization_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() && !path.is_symlink() {
            kustomization_dirs(&path, out);
        } else if k8s_lint_core::load::is_kustomization_file(&path) {
            out.push(dir.to_path_buf());
        }
    }
}

/// A copy of the fixture with the fixes made (safe ones only, or all), and whether they
/// changed only kustomizations.
fn fixed_copy(case: &Path, unsafe_fixes: bool) -> (tempfile::TempDir, bool) {
    let fixed = k8s_lint_core::fix::lint_fixed(&common::fixture_options(case), unsafe_fixes)
        .expect("fixture root exists");
    let copy = tempfile::tempdir().unwrap();
    common::copy_tree(case, copy.path());
    for f in &fixed.files {
        let rel = f
            .path
            .strip_prefix(case)
            .expect("fixed files are in the fixture");
        std::fs::write(copy.path().join(rel), &f.fixed).unwrap();
    }
    let only_kustomizations = !fixed.files.is_empty()
        && fixed
            .files
            .iter()
            .all(|f| k8s_lint_core::load::is_kustomization_file(&f.path));
    (copy, only_kustomizations)
}

/// `(kind, metadata.name)` of each document.
fn objects(text: &str) -> Vec<(String, String)> {
    let parsed = k8s_lint_core::yaml::parse(k8s_lint_core::FileId(0), text);
    parsed
        .docs
        .iter()
        .filter_map(|d| {
            let root = d.root.as_ref()?;
            let kind = root.get("kind")?.as_str()?.to_string();
            let name = root.at("metadata.name")?.as_str()?.to_string();
            Some((kind, name))
        })
        .collect()
}

#[test]
fn fixes_keep_or_repair_kustomize_builds() {
    if !common::kubectl_available() {
        eprintln!("skipped: kubectl is not installed");
        return;
    }
    let mut checked = 0;
    let mut listed = 0;
    let mut failures = Vec::new();
    let mut cases = Vec::new();
    common::fixture_cases(&common::fixtures(), &mut cases);
    for case in cases.iter().filter(|c| c.join("fixed.txt").is_file()) {
        // Fixed files are named by absolute, normalised paths.
        let case = &case.canonicalize().unwrap();
        let mut dirs = Vec::new();
        kustomization_dirs(case, &mut dirs);
        dirs.sort();
        dirs.dedup();
        let (safe, safe_in_kustomizations) = fixed_copy(case, false);
        // A listed orphan's objects are in its kustomization's build.
        let report = common::lint_dir(case);
        for f in report
            .findings
            .iter()
            .filter(|f| f.rule == "kustomize-orphan-manifest" && !f.fixes.is_empty())
        {
            let kustomization = &report.file(f.fixes[0].edits[0].span.file).path;
            let dir = kustomization.parent().unwrap().strip_prefix(case).unwrap();
            let orphan = report.file(f.primary.span.file);
            let built = build(&fixed_copy(case, true).0.path().join(dir)).unwrap_or_default();
            for (kind, name) in objects(&orphan.text) {
                if !objects(&built)
                    .iter()
                    .any(|(k, n)| *k == kind && n.contains(&name))
                {
                    failures.push(format!(
                        "{}: {kind} `{name}` is not in the build after listing it",
                        orphan.display()
                    ));
                }
            }
            listed += 1;
        }
        let (all, _) = fixed_copy(case, true);
        for dir in &dirs {
            let rel = dir.strip_prefix(case).unwrap();
            let Some(before) = build(dir) else {
                continue;
            };
            // A safe fix of a kustomization rewrites how it says something, not what.
            if safe_in_kustomizations && build(&safe.path().join(rel)).as_ref() != Some(&before) {
                failures.push(format!("{}: safe fixes change the build", dir.display()));
            }
            if build(&all.path().join(rel)).is_none() {
                failures.push(format!("{}: the fixes break the build", dir.display()));
            }
            checked += 1;
        }
    }
    assert!(
        checked > 5,
        "fixtures with fixes and kustomizations were found"
    );
    assert!(listed > 0, "fixtures with orphans were found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
