//! Baseline round trip on the built binary: record, a clean run against it, a new defect
//! reported alone, a fixed one listed as no longer occurring, from any working directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_k8s-lint"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn copy_founding() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/anthropic-oauth-proxy/k8s");
    let k8s = dir.path().join("repo/k8s");
    std::fs::create_dir_all(&k8s).unwrap();
    std::fs::create_dir_all(dir.path().join("repo/.git")).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), k8s.join(e.file_name())).unwrap();
    }
    dir
}

#[test]
fn baseline_round_trip() {
    let dir = copy_founding();
    let repo: PathBuf = dir.path().join("repo");
    let before = run(&repo, &["--format", "compact"]);
    assert_eq!(before.status.code(), Some(1));
    let o = run(&repo, &["--write-baseline", "k8s-lint-baseline.json"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("recorded 3 findings"));
    // Against it: clean, from the repository and from its parent directory alike.
    let o = run(
        &repo,
        &[
            "--format",
            "compact",
            "--baseline",
            "k8s-lint-baseline.json",
        ],
    );
    assert_eq!(
        (o.status.code(), o.stdout.is_empty()),
        (Some(0), true),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = run(
        dir.path(),
        &[
            "repo",
            "--format",
            "compact",
            "--baseline",
            "repo/k8s-lint-baseline.json",
        ],
    );
    assert_eq!(
        (o.status.code(), o.stdout.is_empty()),
        (Some(0), true),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // Lines moving above the findings change nothing.
    let ingress = repo.join("k8s/ingress.yaml");
    let text = std::fs::read_to_string(&ingress).unwrap();
    std::fs::write(&ingress, format!("# a comment\n# another\n{text}")).unwrap();
    let o = run(
        &repo,
        &[
            "--format",
            "compact",
            "--baseline",
            "k8s-lint-baseline.json",
        ],
    );
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // A new defect is reported alone.
    let kustomization = repo.join("k8s/kustomization.yaml");
    let listed = std::fs::read_to_string(&kustomization).unwrap();
    std::fs::write(
        &kustomization,
        listed.replace("resources:\n", "resources:\n  - extra.yaml\n"),
    )
    .unwrap();
    std::fs::write(
        repo.join("k8s/extra.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata: {name: extra, namespace: anthropic-oauth-proxy}\nspec:\n  selector: {app: nothing}\n  ports: [{port: 80}]\n",
    )
    .unwrap();
    let o = run(
        &repo,
        &[
            "--format",
            "compact",
            "--baseline",
            "k8s-lint-baseline.json",
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.starts_with("k8s/extra.yaml:"), "{out}");
    // A fixed one is listed as no longer occurring.
    let text = std::fs::read_to_string(&ingress).unwrap();
    std::fs::write(
        &ingress,
        text.replace("    kubernetes.io/ingress.class: tailscale\n", ""),
    )
    .unwrap();
    std::fs::remove_file(repo.join("k8s/extra.yaml")).unwrap();
    std::fs::write(&kustomization, &listed).unwrap();
    let o = run(
        &repo,
        &[
            "--format",
            "compact",
            "--baseline",
            "k8s-lint-baseline.json",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("1 entries of k8s-lint-baseline.json no longer occur"),
        "{err}"
    );
    assert!(
        err.contains("k8s/ingress.yaml: ingress-class-both-set: "),
        "{err}"
    );
    // A file that is not a baseline: exit 2.
    std::fs::write(repo.join("bad.json"), "{\"findings\": 3}").unwrap();
    let o = run(&repo, &["--baseline", "bad.json"]);
    assert_eq!(o.status.code(), Some(2));
}

/// Messages that name files (as shown, relative to the working directory) and lines match from
/// any directory and when lines move.
#[test]
fn fingerprints_ignore_the_working_directory_in_messages() {
    let dir = copy_founding();
    let repo = dir.path().join("repo");
    // An orphan wired to a deployed Service: a warning whose message names the kustomization.
    std::fs::write(
        repo.join("k8s/extra-ingress.yaml"),
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: extra, namespace: anthropic-oauth-proxy}\nspec:\n  ingressClassName: nginx\n  defaultBackend: {service: {name: anthropic-oauth-proxy, port: {number: 80}}}\n",
    )
    .unwrap();
    let o = run(&repo, &["--format", "compact"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("not listed in `k8s/kustomization.yaml`"),
        "{out}"
    );
    run(&repo, &["--write-baseline", "b.json"]);
    let o = run(
        dir.path(),
        &["repo", "--format", "compact", "--baseline", "repo/b.json"],
    );
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// `--fix --baseline`: what the baseline records is not the user's to fix today; a new finding
/// is fixed.
#[test]
fn fix_leaves_recorded_findings_alone() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    std::fs::create_dir(repo.join(".git")).unwrap();
    // Listed by a kustomization: a repeated key with the same value is an error with a safe fix.
    let configmap = |name: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: a\ndata:\n  level: info\n  level: info\n"
        )
    };
    std::fs::write(
        repo.join("kustomization.yaml"),
        "resources: [old.yaml, new.yaml]\n",
    )
    .unwrap();
    std::fs::write(repo.join("old.yaml"), configmap("old")).unwrap();
    std::fs::write(
        repo.join("new.yaml"),
        configmap("new").replace("  level: info\n  level: info\n", "  level: info\n"),
    )
    .unwrap();
    let o = run(repo, &["--write-baseline", "b.json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The defect arrives in the new file after the baseline was written.
    std::fs::write(repo.join("new.yaml"), configmap("new")).unwrap();
    let o = run(
        repo,
        &["--fix", "--baseline", "b.json", "--format", "compact"],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("old.yaml")).unwrap(),
        configmap("old")
    );
    assert_eq!(
        std::fs::read_to_string(repo.join("new.yaml")).unwrap(),
        configmap("new").replace("  level: info\n  level: info\n", "  level: info\n")
    );
    // Without the baseline both are the user's.
    let o = run(repo, &["--fix", "--format", "compact"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(!std::fs::read_to_string(repo.join("old.yaml"))
        .unwrap()
        .contains("info\n  level"));
}
