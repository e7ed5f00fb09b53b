//! End to end on the built binary: exit codes, every output format, paths relative to the
//! current directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn run(dir: &Path, args: &[&str]) -> Output {
    run_wide(dir, args, 100)
}

/// With the terminal `columns` wide (human output wraps to `COLUMNS`).
fn run_wide(dir: &Path, args: &[&str], columns: usize) -> Output {
    Command::new(env!("CARGO_BIN_EXE_k8s-lint"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env("COLUMNS", columns.to_string())
        .output()
        .expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// A copy of the founding fixture with one edit, to break one link.
fn founding_with(file: &str, from: &str, to: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = fixtures().join("anthropic-oauth-proxy/k8s");
    std::fs::create_dir(dir.path().join("k8s")).unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let entry = entry.unwrap();
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let text = if entry.file_name() == file {
            assert!(text.contains(from));
            text.replacen(from, to, 1)
        } else {
            text
        };
        std::fs::write(dir.path().join("k8s").join(entry.file_name()), text).unwrap();
    }
    dir
}

/// What the founding fixture's Ingress gets wrong about Tailscale and the Ingress class,
/// switched off where a test is about one broken link of the chain.
const NOT_THE_TAILSCALE_FINDINGS: &[&str] = &[
    "--rule",
    "ingress-class-both-set=off",
    "--rule",
    "tailscale-rule-host-ignored=off",
    "--rule",
    "tailscale-no-valid-backends=off",
];

#[test]
fn clean_repo_exits_0_with_a_summary() {
    let o = run(&fixtures(), &["demo-gitops"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "k8s-lint: 13 files and 10 objects checked: 0 errors, 0 warnings, 0 infos\n"
    );
}

#[test]
fn error_exits_1_and_compact_is_one_line_per_finding() {
    let dir = founding_with("ingress.yaml", "number: 80", "number: 8080");
    let o = run(dir.path(), &["--format", "compact"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    for (line, head) in lines.iter().zip([
        "k8s/ingress.yaml:7:34: warning[ingress-class-both-set]: ",
        "k8s/ingress.yaml:8:1: error[tailscale-no-valid-backends]: ",
        "k8s/ingress.yaml:11:13: error[tailscale-rule-host-ignored]: ",
        "k8s/ingress.yaml:20:27: error[ingress-service-port-missing]: ",
    ]) {
        assert!(line.starts_with(head), "{line}");
    }
    assert_eq!(
        lines[3],
        "k8s/ingress.yaml:20:27: error[ingress-service-port-missing]: Ingress `anthropic-oauth-proxy/anthropic-oauth-proxy` routes to port 8080 of Service `anthropic-oauth-proxy`, which has no such port"
    );
    // With the Tailscale findings off, only the broken link is left.
    let args = [&["--format", "compact"][..], NOT_THE_TAILSCALE_FINDINGS].concat();
    let o = run(dir.path(), &args);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), format!("{}\n", lines[3]));
}

#[test]
fn explain_endpoints_turns_on_the_endpoint_rule() {
    let case = fixtures().join("anthropic-oauth-proxy");
    let endpoints = |args: &[&str]| {
        let o = run(&case, &[&["--format", "compact"][..], args].concat());
        stdout(&o)
            .lines()
            .filter(|l| l.contains("[tailscale-endpoint]"))
            .map(String::from)
            .collect::<Vec<_>>()
    };
    assert_eq!(endpoints(&[]), Vec::<String>::new(), "off by default");
    let on = endpoints(&["--explain-endpoints"]);
    assert_eq!(on.len(), 2, "{on:?}");
    assert!(on[0].starts_with("k8s/ingress.yaml:8:1: info[tailscale-endpoint]: Ingress `anthropic-oauth-proxy/anthropic-oauth-proxy` serves nothing"));
    assert!(on[1].starts_with("k8s/service.yaml:7:27: info[tailscale-endpoint]: Service `anthropic-oauth-proxy/anthropic-oauth-proxy` is a tailnet device named `anthropic-oauth-proxy`"));
    assert_eq!(endpoints(&["--rule", "tailscale-endpoint=info"]), on);
    // An explicit level wins over the flag.
    let off = ["--explain-endpoints", "--rule", "tailscale-endpoint=off"];
    assert_eq!(endpoints(&off), Vec::<String>::new());
    let warn = endpoints(&[
        "--explain-endpoints",
        "--rule",
        "tailscale-endpoint=warning",
    ]);
    assert!(
        warn.iter()
            .all(|l| l.contains(": warning[tailscale-endpoint]: ")),
        "{warn:?}"
    );
}

#[test]
fn several_roots_resolve_across_each_other() {
    let case = fixtures().join("ingress-service-missing/ok-namespace-from-kustomization");
    let o = run(&case, &["app", "platform", "--format", "compact"]);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
    // Alone, `app` cannot see the Service that `platform` defines, nor any other Service of
    // that namespace: it may well be deployed from elsewhere, which is worth an info only.
    let o = run(&case, &["app", "--format", "compact"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).starts_with("app/ingress.yaml:16:23: info[ingress-service-missing]"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn fail_on_levels() {
    let dir = founding_with("kustomization.yaml", "  - ingress.yaml\n", "");
    let code = |args: &[&str]| run(dir.path(), args).status.code();
    assert_eq!(code(&[]), Some(1), "a warning fails by default");
    assert_eq!(code(&["--fail-on", "error"]), Some(0));
    assert_eq!(code(&["--fail-on", "never"]), Some(0));
    let info = fixtures().join("kustomize-orphan-manifest/fires-commented-out");
    assert_eq!(
        run(&info, &[]).status.code(),
        Some(0),
        "info never fails by default"
    );
    assert_eq!(run(&info, &["--fail-on", "info"]).status.code(), Some(1));
}

#[test]
fn usage_and_io_errors_exit_2() {
    let o = run(&fixtures(), &["does-not-exist"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: cannot read `does-not-exist`"));
    assert_eq!(
        run(&fixtures(), &["--format", "xml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&fixtures(), &["--fail-on", "sometimes"]).status.code(),
        Some(2)
    );
}

#[test]
fn json_has_the_documented_shape() {
    let dir = founding_with("service.yaml", "targetPort: 8080", "targetPort: web");
    let o = run(
        dir.path(),
        &[&["--format", "json"][..], NOT_THE_TAILSCALE_FINDINGS].concat(),
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let expected = serde_json::json!({
        "version": 1,
        "findings": [{
            "rule": "service-target-port-unresolved",
            "severity": "error",
            "message": "Service `anthropic-oauth-proxy/anthropic-oauth-proxy` port 80 targets `web`, but no selected pod declares a TCP port named `web`",
            "file": "k8s/service.yaml",
            "line": 15, "column": 19, "end_line": 15, "end_column": 22,
            "notes": ["the Service gets no endpoints for this port"],
            "fix": null,
            "help": "use a declared container port name or number as targetPort (8080 (http)), or name a container port `web`",
            "related": [{
                "file": "k8s/deployment.yaml",
                "line": 22, "column": 11, "end_line": 22, "end_column": 16,
                "message": "container `proxy` of Deployment `anthropic-oauth-proxy/anthropic-oauth-proxy` declares 8080 (http)"
            }]
        }],
        "summary": {"files": 7, "objects": 6, "errors": 1, "warnings": 0, "infos": 0}
    });
    assert_eq!(v, expected);
}

#[test]
fn human_output_shows_snippets_with_character_columns() {
    let dir = founding_with("ingress.yaml", "number: 80", "number: 8080");
    // A BOM, and multi-byte characters before the value on its own line, must not shift the
    // header column: miette alone would count bytes (`20:44`).
    let path = dir.path().join("k8s/ingress.yaml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "port:\n                  number: 8080",
        "port: {\"ü\": \"é\", number:\t8080}",
    );
    std::fs::write(&path, format!("\u{feff}{text}")).unwrap();
    // Snapshots at three widths: wrapped to the terminal, never inside a word or a path.
    for (columns, file) in [
        (100, "human.txt"),
        (80, "human-80.txt"),
        (160, "human-160.txt"),
    ] {
        let o = run_wide(dir.path(), &["--color", "never"], columns);
        assert_eq!(o.status.code(), Some(1));
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/expected")
            .join(file);
        if std::env::var_os("K8S_LINT_BLESS").is_some() {
            std::fs::write(&path, stdout(&o)).unwrap();
        }
        let expected = std::fs::read_to_string(&path).unwrap();
        assert_eq!(stdout(&o), expected, "{file}");
        // Prose fits the width; only a single word longer than the line (a URL) may stick out.
        for line in stdout(&o).lines() {
            let prose = !line.contains('│') && !line.contains('╭') && !line.contains('·');
            let one_word = !line.trim().contains(' ');
            assert!(
                !prose || one_word || line.chars().count() <= columns,
                "{file}: a line wider than {columns} columns: {line}"
            );
        }
    }
}

/// A configured level replaces a rule's severity also where the rule raised it (here, for an
/// old Kubernetes version), but never raises what the rule softened.
#[test]
fn configured_levels_replace_raised_severities() {
    let case = fixtures().join("ingress-class-both-set/fires-same-class");
    let out = |args: &[&str]| stdout(&run(&case, args));
    assert!(
        out(&["--format", "compact", "--kubernetes-version", "1.25"])
            .contains(": error[ingress-class-both-set]")
    );
    assert!(out(&[
        "--format",
        "compact",
        "--kubernetes-version",
        "1.25",
        "--rule",
        "ingress-class-both-set=info"
    ])
    .contains(": info[ingress-class-both-set]"));
    let info = fixtures().join("ingress-service-missing/info-remote-base");
    let o = stdout(&run(
        &info,
        &[
            "--format",
            "compact",
            "--rule",
            "ingress-service-missing=error",
        ],
    ));
    assert!(o.contains(": info[ingress-service-missing]"), "{o}");
}

/// `--version`: the version, and the commit the binary is built from when known.
#[test]
fn version_names_the_commit() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_k8s-lint"))
        .arg("--version")
        .output()
        .unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    let rest = out
        .trim_end()
        .strip_prefix(concat!("k8s-lint ", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{out}"));
    // In a git checkout (this one, and the release workflow's) the commit is known.
    let commit = rest.trim().trim_start_matches('(').trim_end_matches(')');
    assert!(
        rest.is_empty() || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{out}"
    );
}

#[test]
fn timings_list_every_phase_on_stderr() {
    let o = run(
        &fixtures().join("anthropic-oauth-proxy"),
        &["--timings", "-q"],
    );
    let err = String::from_utf8(o.stderr).unwrap();
    let (phase_table, rule_table) = err.split_once("\n\n").expect("two tables");
    // `name    0.012  3.4%`: the words before the numbers.
    let words = |table: &str| -> Vec<String> {
        table
            .lines()
            .skip(1)
            .map(|l| {
                l.split_whitespace()
                    .filter(|w| w.trim_end_matches('%').parse::<f64>().is_err())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let phases = words(phase_table);
    for phase in [
        "walk and read",
        "parse",
        "index and typed views",
        "rules",
        "render and write",
        "total",
    ] {
        assert!(phases.iter().any(|p| p == phase), "{phase} missing:\n{err}");
    }
    // Then the ten slowest rules, each a rule id, and their sum.
    assert!(rule_table.starts_with("rule (slowest ten)"), "{err}");
    let rules = words(rule_table);
    assert_eq!(rules.len(), 11, "{err}");
    assert_eq!(rules.last().map(String::as_str), Some("all rules"), "{err}");
    for id in &rules[..10] {
        assert!(
            k8s_lint_core::rules::by_id(id).is_some(),
            "{id} is no rule:\n{err}"
        );
    }
}
