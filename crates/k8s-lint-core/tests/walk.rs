//! What the walk reads: .gitignore without a .git directory, no hidden directories, no
//! `target/` or `node_modules/`, Helm chart templates skipped, sorted and deduplicated paths.

mod common;

use k8s_lint_core::{lint, Options};

fn write(root: &std::path::Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn walk_honours_ignores_and_sorts() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";
    for path in [
        "b/z.yaml",
        "a/y.yml",
        "a/x.json",
        "vendor/ignored.yaml",
        ".hidden/h.yaml",
        "target/t.yaml",
        "node_modules/n.yaml",
        "chart/templates/deploy.yaml",
        "notes/ignored-by-k8slintignore.yaml",
        "README.md",
    ] {
        write(r, path, cm);
    }
    write(
        r,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 1.0.0\n",
    );
    write(r, ".gitignore", "vendor/\n");
    write(r, ".k8slintignore", "notes/\n");
    let report = common::lint_dir(r);
    let files: Vec<&str> = report.files.iter().map(|f| f.display()).collect();
    // Manifests, then the scripts and doc pages read for their shell commands.
    assert_eq!(
        files,
        [
            "a/x.json",
            "a/y.yml",
            "b/z.yaml",
            "chart/Chart.yaml",
            "README.md"
        ]
    );
    assert_eq!(report.stats.files, 4);
    assert_eq!(report.stats.objects, 3);
}

#[test]
fn overlapping_roots_read_each_file_once() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "k8s/a.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    );
    let mut options = Options::new(vec![dir.path().to_path_buf(), dir.path().join("k8s")]);
    options.base = dir.path().to_path_buf();
    let report = lint(&options).unwrap();
    assert_eq!(report.files.len(), 1);
    assert_eq!(report.files[0].display(), "k8s/a.yaml");
}

/// A file git tracks is linted even where `.gitignore` matches it (git keeps tracking it);
/// an ignored file git does not track is not.
#[test]
fn tracked_files_are_linted_despite_gitignore() {
    let have_git = std::process::Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_git {
        eprintln!("skipped: no git on PATH");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@t"])
            .args(args)
            .current_dir(r)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    write(r, ".gitignore", "*.rendered.yaml\n");
    let cm = |name: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n");
    write(r, "app/kept.rendered.yaml", &cm("kept"));
    write(r, "app/scratch.rendered.yaml", &cm("scratch"));
    write(r, "app/plain.yaml", &cm("plain"));
    git(&["add", "app/plain.yaml", ".gitignore"]);
    git(&["add", "-f", "app/kept.rendered.yaml"]);
    let mut options = Options::new(vec![r.to_path_buf()]);
    options.base = r.to_path_buf();
    let report = lint(&options).unwrap();
    let shown: Vec<&str> = report.files.iter().map(|f| f.display()).collect();
    assert_eq!(shown, ["app/kept.rendered.yaml", "app/plain.yaml"]);
}

/// Linting a sub-directory, the ignore files between it and the repository top apply (as git
/// applies them); those above the top do not.
#[test]
fn ignore_files_apply_up_to_the_repository_top() {
    let dir = tempfile::tempdir().unwrap();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";
    write(dir.path(), ".gitignore", "*.yaml\n");
    let r = dir.path().join("repo");
    std::fs::create_dir_all(r.join(".git")).unwrap();
    write(&r, ".gitignore", "legacy/\n");
    write(&r, "apps/.k8slintignore", "draft.yaml\n");
    for path in [
        "apps/web/a.yaml",
        "apps/legacy/b.yaml",
        "apps/web/draft.yaml",
    ] {
        write(&r, path, cm);
    }
    let mut options = Options::new(vec![r.join("apps")]);
    options.base = r.clone();
    let report = lint(&options).unwrap();
    let files: Vec<&str> = report.files.iter().map(|f| f.display()).collect();
    assert_eq!(files, ["apps/web/a.yaml"]);
}

/// A file whose name is not UTF-8 is reported, not skipped in silence.
#[cfg(target_os = "linux")]
#[test]
fn names_that_are_not_utf8_are_reported() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"bad\xff.yaml");
    std::fs::write(dir.path().join(name), "a: 1\n").unwrap();
    let report = common::lint_dir(dir.path());
    let out = common::render(&report);
    assert_eq!(
        out.trim_end(),
        "bad\u{fffd}.yaml:1:1: error[file-unreadable]: cannot read `bad\u{fffd}.yaml`: its name is not valid UTF-8\n    help: fix the file, or exclude it with .gitignore or .k8slintignore"
    );
}

/// The config's include/exclude apply to paths as written, also below a symlinked directory
/// (walked at its real place).
#[cfg(unix)]
#[test]
fn include_and_exclude_apply_below_symlinked_directories() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    std::fs::create_dir_all(r.join(".git")).unwrap();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";
    write(r, "shared/a.yaml", cm);
    write(r, "shared/skip.yaml", cm);
    std::fs::create_dir_all(r.join("apps")).unwrap();
    std::os::unix::fs::symlink("../shared", r.join("apps/shared")).unwrap();
    let mut options = Options::new(vec![r.to_path_buf()]);
    options.base = r.to_path_buf();
    options.include = vec!["apps/**".into()];
    options.exclude = vec!["apps/shared/skip.yaml".into()];
    let report = lint(&options).unwrap();
    let files: Vec<&str> = report.files.iter().map(|f| f.display()).collect();
    assert_eq!(files, ["apps/shared/a.yaml"]);
}

/// The nearest ignore file with a matching pattern decides, as in git: a `!pattern` two
/// directories down re-includes what the top ignores, and a pattern between them ignores again
/// only where the nearer file says nothing.
#[test]
fn the_nearest_ignore_file_decides() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";
    write(r, ".k8slintignore", "*.draft.yaml\n");
    write(r, "apps/.k8slintignore", "old.yaml\n");
    write(
        r,
        "apps/web/.k8slintignore",
        "!keep.draft.yaml\n!old.yaml\n",
    );
    for path in [
        "a.draft.yaml",
        "apps/old.yaml",
        "apps/web/keep.draft.yaml",
        "apps/web/drop.draft.yaml",
        "apps/web/old.yaml",
        "apps/web/deeper/old.yaml",
        "apps/api/old.yaml",
    ] {
        write(r, path, cm);
    }
    let report = lint(&Options::new(vec![r.to_path_buf()])).unwrap();
    let mut files: Vec<String> = report
        .files
        .iter()
        .map(|f| f.path.strip_prefix(r).unwrap().display().to_string())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "apps/web/deeper/old.yaml",
            "apps/web/keep.draft.yaml",
            "apps/web/old.yaml"
        ]
    );
}
