//! End to end on the built binary: rule selection (`--select`, `--ignore`, the config's
//! `select`/`ignore`), `rules --format json`, `--show-config`, standard input, `--statistics`,
//! `--quiet`, and an empty lint that fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_k8s-lint"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        // The binary may exit before it reads (a usage error): a closed pipe is no failure.
        let _ = child.stdin.take().unwrap().write_all(text.as_bytes());
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn rules_in(out: &str) -> Vec<String> {
    let mut ids: Vec<String> = out
        .lines()
        .filter_map(|l| Some(l.split_once('[')?.1.split_once(']')?.0.to_string()))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn select_and_ignore_take_families() {
    let dir = fixtures().join("anthropic-oauth-proxy");
    let all = rules_in(&stdout(&run(&dir, &["--format", "compact"], None)));
    assert!(
        all.iter().any(|r| r.starts_with("tailscale-"))
            && all.iter().any(|r| !r.starts_with("tailscale-"))
    );
    let o = run(
        &dir,
        &["--format", "compact", "--select", "tailscale-*"],
        None,
    );
    let selected = rules_in(&stdout(&o));
    assert!(
        !selected.is_empty() && selected.iter().all(|r| r.starts_with("tailscale-")),
        "{selected:?}"
    );
    // `select` also runs rules that are off by default (tailscale-endpoint).
    assert!(
        selected.contains(&"tailscale-endpoint".to_string()),
        "{selected:?}"
    );
    let o = run(
        &dir,
        &[
            "--format",
            "compact",
            "--ignore",
            "tailscale-*,ingress-class-both-set",
        ],
        None,
    );
    let rest = rules_in(&stdout(&o));
    assert!(
        rest.iter()
            .all(|r| !r.starts_with("tailscale-") && r != "ingress-class-both-set"),
        "{rest:?}"
    );
    let o = run(&dir, &["--select", "tailscale-no-valid-backend"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("did you mean `tailscale-no-valid-backends`?")
    );
}

#[test]
fn config_select_and_ignore_and_show_config() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures().join("anthropic-oauth-proxy/k8s");
    let k8s = dir.path().join("k8s");
    std::fs::create_dir(&k8s).unwrap();
    for e in std::fs::read_dir(&src).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), k8s.join(e.file_name())).unwrap();
    }
    std::fs::write(
        dir.path().join(".k8s-lint.yaml"),
        "select: [\"tailscale-*\"]\nignore: [tailscale-endpoint]\nrules:\n  tailscale-rule-host-ignored: warning\n",
    )
    .unwrap();
    let o = run(dir.path(), &["--format", "compact"], None);
    let ids = rules_in(&stdout(&o));
    assert!(
        !ids.is_empty()
            && ids
                .iter()
                .all(|r| r.starts_with("tailscale-") && r != "tailscale-endpoint"),
        "{ids:?}"
    );
    // The command line's --select replaces the config's.
    let o = run(
        dir.path(),
        &["--format", "compact", "--select", "ingress-*"],
        None,
    );
    assert!(rules_in(&stdout(&o))
        .iter()
        .all(|r| r.starts_with("ingress-")));
    let o = run(dir.path(), &["--show-config"], None);
    assert_eq!(o.status.code(), Some(0));
    let shown = stdout(&o);
    assert!(
        shown.contains("# config file: \".k8s-lint.yaml\"\n"),
        "{shown}"
    );
    assert!(shown.contains("select: [\"tailscale-*\"]\n"), "{shown}");
    assert!(
        shown.contains("  tailscale-rule-host-ignored: warning\n"),
        "{shown}"
    );
    assert!(shown.contains("  tailscale-endpoint: off\n"), "{shown}");
    assert!(
        shown.contains("  ingress-service-missing: off\n"),
        "{shown}"
    );
    std::fs::write(
        dir.path().join(".k8s-lint.yaml"),
        "select: [tailscale-nope]\n",
    )
    .unwrap();
    let o = run(dir.path(), &[], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("`select`: `tailscale-nope` matches no rule")
    );
}

#[test]
fn rules_as_json_for_tools() {
    let o = run(Path::new("."), &["rules", "--format", "json"], None);
    let rules: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let list = rules.as_array().unwrap();
    assert_eq!(list.len(), k8s_lint_core::RULES.len());
    let endpoint = list
        .iter()
        .find(|r| r["id"] == "tailscale-endpoint")
        .unwrap();
    assert_eq!(endpoint["enabledByDefault"], false);
    assert_eq!(endpoint["severity"], "info");
    assert_eq!(endpoint["fix"], serde_json::Value::Null);
    let orphan = list
        .iter()
        .find(|r| r["id"] == "kustomize-orphan-manifest")
        .unwrap();
    assert_eq!(orphan["fix"], "unsafe");
}

#[test]
fn standard_input_with_its_file_name() {
    let case = fixtures().join("ingress-service-port-missing/fires-number-not-exposed");
    let mut stream = String::new();
    for name in ["deployment.yaml", "service.yaml", "ingress.yaml"] {
        stream.push_str(&std::fs::read_to_string(case.join(name)).unwrap());
        stream.push_str("---\n");
    }
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        dir.path(),
        &[
            "-",
            "--format",
            "compact",
            "--stdin-filename",
            "out/rendered.yaml",
        ],
        Some(&stream),
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    let line = stream
        .lines()
        .position(|l| l.contains("number: 8080"))
        .unwrap()
        + 1;
    assert!(
        out.starts_with(&format!("out/rendered.yaml:{line}:")),
        "{out}"
    );
    assert!(out.contains("error[ingress-service-port-missing]"), "{out}");
    let o = run(dir.path(), &["-", "."], Some(&stream));
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn statistics_quiet_and_empty() {
    let dir = fixtures().join("anthropic-oauth-proxy");
    let o = run(&dir, &["--statistics"], None);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        out,
        "1  error    tailscale-no-valid-backends\n1  error    tailscale-rule-host-ignored\n1  warning  ingress-class-both-set\n"
    );
    let o = run(&dir, &["--quiet", "--color", "never"], None);
    let out = stdout(&o);
    assert!(
        out.contains("tailscale-no-valid-backends") && !out.contains("k8s-lint: "),
        "{out}"
    );
    let empty = tempfile::tempdir().unwrap();
    let o = run(empty.path(), &["."], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no manifests"));
    assert_eq!(
        run(empty.path(), &[".", "--allow-empty"], None)
            .status
            .code(),
        Some(0)
    );
    let o = run(empty.path(), &["does-not-exist"], None);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn completions_and_manual_page() {
    for (shell, marker) in [
        ("bash", "complete -F _k8s__lint"),
        ("zsh", "#compdef k8s-lint"),
        ("fish", "complete -c k8s-lint"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let o = run(Path::new("."), &["completions", shell], None);
        assert_eq!(o.status.code(), Some(0));
        let out = stdout(&o);
        assert!(out.contains(marker), "{shell}: {out}");
        assert!(out.contains("select"), "{shell}");
    }
    let o = run(Path::new("."), &["man"], None);
    let page = stdout(&o);
    assert!(
        page.starts_with(".ie") && page.contains(".TH k8s-lint 1"),
        "{page}"
    );
    assert!(page.contains("baseline"));
}
