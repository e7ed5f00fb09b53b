//! Helpers shared by the integration tests: run the engine on a directory and render its
//! findings as stable, diff-friendly text.

#![allow(dead_code)]

use std::fmt::Write;
use std::path::{Path, PathBuf};

use k8s_lint_core::{lint, Label, Options, Report};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// `kubectl` is on PATH (the kustomize differential tests skip with a message otherwise).
pub fn kubectl_available() -> bool {
    std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Every fixture case below `dir`: a directory with an `expected.txt`.
pub fn fixture_cases(dir: &Path, out: &mut Vec<PathBuf>) {
    if dir.join("expected.txt").is_file() {
        out.push(dir.to_path_buf());
        return;
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.is_symlink())
        .collect();
    entries.sort();
    for e in entries {
        fixture_cases(&e, out);
    }
}

/// Lint `dir` with paths shown relative to it, with its `.k8s-lint.yaml` if it has one.
pub fn lint_dir(dir: &Path) -> Report {
    lint(&fixture_options(dir)).expect("fixture root exists")
}

/// The options `lint_dir` lints a fixture with.
pub fn fixture_options(dir: &Path) -> Options {
    let mut options = Options::new(vec![dir.to_path_buf()]);
    let config = dir.join(k8s_lint_core::config::CONFIG_FILE_NAME);
    if config.is_file() {
        k8s_lint_core::config::load(
            &config,
            &k8s_lint_core::fence::Fence::new(&[dir.to_path_buf()]),
        )
        .expect("fixture config is valid")
        .apply(&mut options);
    }
    options.base = dir.to_path_buf();
    // Each fixture is a repository of its own (this checkout's `.git` is above it), unless a
    // `subtree.txt` says it is linted as a part of a larger one (this checkout).
    if !dir.join("subtree.txt").is_file() {
        options.repo_top = Some(dir.to_path_buf());
    }
    options
}

/// What `--fix --unsafe-fixes` makes of each file it changes: `=== path` and the whole fixed
/// text, for every changed file.
pub fn render_fixed(fixed: &k8s_lint_core::fix::Fixed) -> String {
    let mut out = String::new();
    for f in &fixed.files {
        let _ = write!(out, "=== {}\n{}", f.display, f.fixed);
        if !f.fixed.ends_with('\n') {
            out.push_str("\n=== (no newline at end of file)\n");
        }
    }
    out
}

/// Lint `dir` with only the given rules (all default ones when `None`).
pub fn lint_dir_only(dir: &Path, only: Option<&[&str]>) -> Report {
    let mut options = Options::new(vec![dir.to_path_buf()]);
    options.base = dir.to_path_buf();
    options.only = only.map(|o| o.iter().map(|r| r.to_string()).collect());
    options.repo_top = Some(dir.to_path_buf());
    lint(&options).expect("fixture root exists")
}

fn at(report: &Report, label: &Label) -> String {
    let file = report.file(label.span.file);
    let p = file.position(label.span.start as usize);
    format!("{}:{}:{}", file.display(), p.line, p.column)
}

/// One block per finding: `file:line:col: severity[rule]: message`, then related spans, notes
/// and help.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let _ = writeln!(
            out,
            "{}: {}[{}]: {}",
            at(report, &f.primary),
            f.severity,
            f.rule,
            f.message
        );
        for r in &f.related {
            let _ = writeln!(out, "    related {}: {}", at(report, r), r.message);
        }
        for note in &f.notes {
            let _ = writeln!(out, "    note: {note}");
        }
        if let Some(help) = &f.help {
            let _ = writeln!(out, "    help: {help}");
        }
    }
    out
}

/// Copy a directory tree (for variants of a fixture).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
