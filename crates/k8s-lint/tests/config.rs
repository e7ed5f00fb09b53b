//! `.k8s-lint.yaml` end to end: discovery, every key taking effect, command-line precedence,
//! errors with spans (exit 2), the shipped JSON Schema, and suppressions.

use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_k8s-lint"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

const INGRESS: &str = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: media}\nspec:\n  defaultBackend:\n    service: {name: immich-server, port: {number: 80}}\n";
const LEGACY: &str = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: old, namespace: media}\nspec:\n  defaultBackend:\n    service: {name: gone, port: {number: 80}}\n";

/// A Service of the namespace, so that the repository manages Services there.
const DB: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: media}\nspec: {type: ExternalName, externalName: db.example.com}\n";

/// A repository (with `.git`) whose only findings are two missing Services.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    write(dir.path(), "apps/db/service.yaml", DB);
    write(dir.path(), "apps/media/ingress.yaml", INGRESS);
    write(dir.path(), "apps/legacy/ingress.yaml", LEGACY);
    dir
}

#[test]
fn config_keys_take_effect_and_flags_win() {
    let dir = repo();
    let o = run(dir.path(), &["--format", "compact"]);
    assert_eq!(stdout(&o).lines().count(), 2);
    write(
        dir.path(),
        ".k8s-lint.yaml",
        "exclude: [\"apps/legacy/\"]\nexternal:\n  - {kind: Service, namespace: media, name: \"immich-*\"}\n",
    );
    // Discovered from a subdirectory too, up to the repository top.
    let o = run(&dir.path().join("apps/media"), &["--format", "compact"]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
    write(
        dir.path(),
        ".k8s-lint.yaml",
        "rules:\n  ingress-service-missing: warning\nfailOn: error\n",
    );
    let o = run(dir.path(), &["--format", "compact"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "warnings do not fail with failOn: error"
    );
    assert!(stdout(&o).contains(": warning[ingress-service-missing]"));
    let o = run(dir.path(), &["--format", "compact", "--fail-on", "warning"]);
    assert_eq!(o.status.code(), Some(1), "--fail-on overrides failOn");
    let o = run(
        dir.path(),
        &[
            "--format",
            "compact",
            "--rule",
            "ingress-service-missing=off",
        ],
    );
    assert_eq!(stdout(&o), "", "--rule overrides rules");
    let o = run(
        dir.path(),
        &["--format", "compact", "--config", "/dev/null"],
    );
    assert_eq!(stdout(&o).lines().count(), 2, "--config replaces discovery");
}

#[test]
fn bad_config_is_exit_2_with_a_span() {
    let dir = repo();
    write(
        dir.path(),
        ".k8s-lint.yaml",
        "rules:\n  ingress-service-missing: of\n",
    );
    let o = run(dir.path(), &["--color", "never"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("`of` is not a level: use off, info, warning or error"),
        "{err}"
    );
    assert!(err.contains(".k8s-lint.yaml:2:28]"), "{err}");
    assert!(err.contains("did you mean `off`?"), "{err}");
}

#[test]
fn schema_is_printed_and_lists_every_rule() {
    let o = run(Path::new("."), &["config-schema"]);
    assert_eq!(o.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: Vec<&str> = schema["properties"]["rules"]["propertyNames"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let rules: Vec<&str> = k8s_lint_core::RULES.iter().map(|r| r.meta().id).collect();
    assert_eq!(ids, rules);
    let keys: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
    for key in [
        "include",
        "exclude",
        "rules",
        "failOn",
        "defaultNamespace",
        "kubernetesVersion",
        "external",
        "externalSelectors",
    ] {
        assert!(keys.iter().any(|k| *k == key), "{key}");
    }
}

#[test]
fn suppressions_audit_and_show() {
    let dir = repo();
    write(
        dir.path(),
        "apps/legacy/ingress.yaml",
        &LEGACY.replace("name: old, namespace: media}", "name: old, namespace: media, annotations: {k8s-lint.io/ignore: \"* -- retired next sprint\"}}"),
    );
    let o = run(dir.path(), &["--format", "compact"]);
    assert_eq!(stdout(&o).lines().count(), 1);
    let o = run(dir.path(), &["--format", "compact", "--no-suppressions"]);
    assert_eq!(stdout(&o).lines().count(), 2);
    let o = run(
        dir.path(),
        &[
            "--format",
            "compact",
            "--show-suppressed",
            "--rule",
            "ingress-service-missing=off",
        ],
    );
    assert_eq!(
        stdout(&o),
        "",
        "a turned-off rule's suppression is not stale"
    );
    std::fs::remove_file(dir.path().join("apps/media/ingress.yaml")).unwrap();
    let o = run(dir.path(), &["--format", "compact", "--show-suppressed"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "suppressed findings never fail the run"
    );
    assert_eq!(
        stdout(&o),
        "apps/legacy/ingress.yaml:6:21: error[ingress-service-missing]: Ingress `media/old` routes to Service `gone`, which no manifest defines in namespace `media` (suppressed: retired next sprint)\n"
    );
    let o = run(dir.path(), &["--format", "sarif", "--show-suppressed"]);
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["suppressions"],
        serde_json::json!([{"kind": "inSource", "justification": "retired next sprint"}])
    );
}
