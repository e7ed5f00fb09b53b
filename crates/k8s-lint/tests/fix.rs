//! `--fix`, `--unsafe-fixes` and `--diff` end to end on the built binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_k8s-lint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A copy of the founding fixture (a repository of its own).
fn founding() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let k8s = dir.path().join("k8s");
    std::fs::create_dir(&k8s).unwrap();
    for entry in std::fs::read_dir(fixtures().join("anthropic-oauth-proxy/k8s")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), k8s.join(entry.file_name())).unwrap();
    }
    dir
}

fn ingress(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("k8s/ingress.yaml")).unwrap()
}

/// The issue's acceptance check: on the founding fixture the diff holds the fixes the help
/// texts describe (drop the class annotation; remove the ignored host), and nothing else.
#[test]
fn diff_shows_the_fixes_of_the_founding_fixture_and_writes_nothing() {
    let dir = founding();
    let before = ingress(dir.path());
    let o = run(dir.path(), &["k8s", "--fix", "--unsafe-fixes", "--diff"]);
    assert_eq!(o.status.code(), Some(1), "a diff exits 1");
    assert_eq!(
        text(&o.stdout),
        "--- a/k8s/ingress.yaml
+++ b/k8s/ingress.yaml
@@ -3,13 +3,10 @@
 metadata:
   name: anthropic-oauth-proxy
   namespace: anthropic-oauth-proxy
-  annotations:
-    kubernetes.io/ingress.class: tailscale
 spec:
   ingressClassName: tailscale
   rules:
-    - host: anthropic-oauth-proxy
-      http:
+    - http:
         paths:
           - path: /
             pathType: Prefix
"
    );
    assert_eq!(
        text(&o.stderr),
        "k8s-lint: would fix 2 findings in 1 file\n"
    );
    assert_eq!(ingress(dir.path()), before, "--diff writes nothing");
}

#[test]
fn fix_applies_safe_fixes_and_reports_what_remains() {
    let dir = founding();
    let o = run(dir.path(), &["k8s", "--fix", "--format", "compact"]);
    assert_eq!(
        text(&o.stderr),
        "k8s-lint: fixed 1 finding in 1 file; 1 more fix with --unsafe-fixes\n"
    );
    let fixed = ingress(dir.path());
    assert!(!fixed.contains("kubernetes.io/ingress.class"));
    assert!(
        fixed.contains("- host: anthropic-oauth-proxy"),
        "unsafe fixes wait"
    );
    let report = text(&o.stdout);
    assert!(!report.contains("ingress-class-both-set"), "{report}");
    assert!(
        report.contains("error[tailscale-rule-host-ignored]"),
        "{report}"
    );
    assert_eq!(o.status.code(), Some(1), "errors remain");

    // Nothing safe is left: a second run changes nothing.
    let again = run(dir.path(), &["k8s", "--fix", "--format", "compact"]);
    assert_eq!(ingress(dir.path()), fixed);
    assert!(text(&again.stderr).starts_with("k8s-lint: fixed 0 findings in 0 files"));

    let o = run(dir.path(), &["k8s", "--fix", "--unsafe-fixes", "-q"]);
    assert!(!ingress(dir.path()).contains("host:"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let o = run(dir.path(), &["k8s", "--diff"]);
    assert_eq!(o.status.code(), Some(0), "no diff left");
    assert_eq!(text(&o.stdout), "");
}

#[test]
fn fixed_files_keep_their_bytes_and_mode_outside_the_edit() {
    let dir = founding();
    let path = dir.path().join("k8s/ingress.yaml");
    let crlf = format!(
        "\u{feff}# keep me\r\n{}",
        ingress(dir.path()).replace('\n', "\r\n")
    );
    std::fs::write(&path, &crlf).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    run(dir.path(), &["k8s", "--fix"]);
    let fixed = std::fs::read_to_string(&path).unwrap();
    let expected = crlf.replace(
        "  annotations:\r\n    kubernetes.io/ingress.class: tailscale\r\n",
        "",
    );
    assert_ne!(expected, crlf);
    assert_eq!(fixed, expected);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
}

#[cfg(unix)]
#[test]
fn a_symlinked_manifest_is_not_fixed_through_the_link() {
    let dir = founding();
    let real = dir.path().join("real-ingress.yaml");
    std::fs::rename(dir.path().join("k8s/ingress.yaml"), &real).unwrap();
    std::os::unix::fs::symlink("../real-ingress.yaml", dir.path().join("k8s/ingress.yaml"))
        .unwrap();
    let before = std::fs::read_to_string(&real).unwrap();
    let o = run(dir.path(), &["k8s", "--fix", "--unsafe-fixes", "--diff"]);
    assert_eq!(text(&o.stdout), "");
    run(dir.path(), &["k8s", "--fix", "--unsafe-fixes"]);
    assert_eq!(std::fs::read_to_string(&real).unwrap(), before);
    assert!(
        std::fs::symlink_metadata(dir.path().join("k8s/ingress.yaml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn an_orphan_is_listed_in_its_kustomization_style() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let case = fixtures().join("kustomize-orphan-manifest/fires-unlisted-file");
    for entry in walk(&case) {
        let rel = entry.strip_prefix(&case).unwrap();
        if rel.as_os_str() == "expected.txt" || rel.as_os_str() == "fixed.txt" {
            continue;
        }
        let to = dir.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&entry, to).unwrap();
    }
    let o = run(dir.path(), &[".", "--fix"]);
    assert!(
        text(&o.stderr).ends_with("1 more fix with --unsafe-fixes\n"),
        "an unsafe fix waits: {}",
        text(&o.stderr)
    );
    let o = run(dir.path(), &[".", "--diff", "--unsafe-fixes"]);
    assert_eq!(
        text(&o.stdout),
        "--- a/k8s/kustomization.yaml\n+++ b/k8s/kustomization.yaml\n@@ -2,4 +2,5 @@\n kind: Kustomization\n resources:\n   - deployment.yaml\n+  - ingress.yaml\n   - service.yaml\n"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn standard_input_has_nothing_to_fix() {
    let dir = founding();
    let o = run(dir.path(), &["-", "--fix"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--fix and --diff change files"));
}

#[cfg(unix)]
#[test]
fn a_file_seen_through_a_symlinked_directory_is_fixed_once_at_its_real_path() {
    let dir = founding();
    std::fs::rename(dir.path().join("k8s"), dir.path().join("real")).unwrap();
    std::os::unix::fs::symlink("real", dir.path().join("k8s")).unwrap();
    let o = run(dir.path(), &[".", "--diff"]);
    let diff = text(&o.stdout);
    assert!(diff.starts_with("--- a/real/ingress.yaml\n"), "{diff}");
    assert_eq!(diff.matches("--- a/").count(), 1, "{diff}");
    let o = run(dir.path(), &[".", "--fix"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(
        !std::fs::read_to_string(dir.path().join("real/ingress.yaml"))
            .unwrap()
            .contains("kubernetes.io/ingress.class")
    );
}

/// YAML reads a lone CR as a line break; the edits would not: such a file is left alone.
#[test]
fn a_file_with_bare_cr_line_breaks_is_not_fixed() {
    let dir = founding();
    let path = dir.path().join("k8s/ingress.yaml");
    let cr = ingress(dir.path()).replace('\n', "\r");
    std::fs::write(&path, &cr).unwrap();
    let o = run(dir.path(), &["k8s", "--fix", "--unsafe-fixes", "--diff"]);
    assert_eq!(text(&o.stdout), "");
    run(dir.path(), &["k8s", "--fix", "--unsafe-fixes"]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), cr);
}

/// The help's second option, for a human to choose: delete the Ingress (its file's only
/// document, so also its kustomization entry). Offered as an alternative, never applied by
/// `--fix`.
#[test]
fn deleting_the_ingress_is_offered_as_an_alternative() {
    let dir = founding();
    let o = run(dir.path(), &["k8s", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let finding = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "tailscale-rule-host-ignored")
        .unwrap();
    assert_eq!(
        finding["fix"]["title"],
        "remove `host` from spec.rules[0], so the rule applies"
    );
    let alternative = &finding["alternatives"][0];
    assert_eq!(
        alternative["title"],
        "delete this Ingress and keep using Service `anthropic-oauth-proxy/anthropic-oauth-proxy`, which is already exposed"
    );
    let edits: Vec<(&str, u64, u64)> = alternative["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap(),
                e["line"].as_u64().unwrap(),
                e["end_line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        edits,
        [
            ("k8s/ingress.yaml", 1, 21),
            ("k8s/kustomization.yaml", 9, 10)
        ]
    );
}
