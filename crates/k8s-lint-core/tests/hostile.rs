//! Bad input never crashes or hangs: each case gives a clear finding with a location, and the
//! other files of the run are still linted.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use k8s_lint_core::{lint, Options};

/// An Ingress whose backend Service is missing (the namespace's only Service is another one,
/// so the repository manages Services there): proves the rest of the run still happened.
const CANARY: &str = "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: canary, namespace: shop}
spec:
  defaultBackend:
    service: {name: nowhere, port: {number: 80}}
---
apiVersion: v1
kind: Service
metadata: {name: elsewhere, namespace: shop}
spec:
  type: ExternalName
  externalName: example.com
";

fn run_with(files: &[(&str, &[u8])]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("canary.yaml"), CANARY).unwrap();
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let out = common::render(&common::lint_dir(dir.path()));
    assert!(
        out.contains("canary.yaml:6:21: error[ingress-service-missing]"),
        "the other files must still be linted:\n{out}"
    );
    out
}

fn without_canary(out: &str) -> String {
    out.lines()
        .filter(|l| !l.contains("canary"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn binary_file_named_yaml() {
    let bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let out = run_with(&[("blob.yaml", &bytes)]);
    assert!(
        out.contains("blob.yaml:1:1: error[yaml-syntax]") || out.contains("error[yaml-syntax]"),
        "{out}"
    );
}

#[test]
fn invalid_utf8_is_reported_at_its_byte() {
    let out = run_with(&[(
        "svc.yaml",
        b"apiVersion: v1\nkind: Service\nmetadata:\n  name: w\xffb\n",
    )]);
    assert!(
        out.contains("svc.yaml:4:10: error[yaml-syntax]: `svc.yaml` is not valid UTF-8 at byte 48"),
        "{out}"
    );
}

#[test]
fn empty_comment_only_and_separator_only_files_are_fine() {
    let out = run_with(&[
        ("empty.yaml", b""),
        ("comment.yaml", b"# nothing here\n"),
        ("sep.yaml", b"---\n"),
        ("seps.yaml", b"---\n---\n...\n"),
        ("crlf.yaml", b"\r\n\r\n"),
    ]);
    assert_eq!(without_canary(&out), "    help: define Service `nowhere` in namespace `shop`, or point the backend at a Service that exists there");
}

#[test]
fn alias_bomb_is_bounded() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12u8 {
        let (c, p) = ((b'a' + i) as char, (b'a' + i - 1) as char);
        text.push_str(&format!(
            "{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        ));
    }
    let start = Instant::now();
    let out = run_with(&[("bomb.yaml", text.as_bytes())]);
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(
        out.contains("bomb.yaml:5:36: error[yaml-syntax]: aliases expand to more than"),
        "{out}"
    );
}

#[test]
fn deep_nesting_flow_and_block() {
    let flow = "[".repeat(100_000);
    // Each line opens a sequence one level deeper than the line before.
    let block: String = (0..1_000)
        .map(|i| format!("{}- \n", "  ".repeat(i)))
        .collect();
    let out = run_with(&[
        ("flow.yaml", flow.as_bytes()),
        ("block.yaml", block.as_bytes()),
    ]);
    assert!(out.contains("flow.yaml:1:"), "{out}");
    assert!(out.contains("block.yaml:"), "{out}");
}

#[cfg(unix)]
#[test]
fn fifo_named_yaml_is_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("canary.yaml"), CANARY).unwrap();
    let fifo = dir.path().join("x.yaml");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let out = common::render(&common::lint_dir(dir.path()));
    assert!(
        out.contains(
            "x.yaml:1:1: error[file-unreadable]: cannot read `x.yaml`: not a regular file"
        ),
        "{out}"
    );
    assert!(out.contains("canary.yaml:6:21"));
}

#[test]
fn oversized_file_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.yaml"), "a: b\n".repeat(1000)).unwrap();
    let mut options = Options::new(vec![dir.path().to_path_buf()]);
    options.base = dir.path().to_path_buf();
    options.max_file_size = 1000;
    let report = lint(&options).unwrap();
    let out = common::render(&report);
    assert_eq!(
        out.lines().next().unwrap(),
        "big.yaml:1:1: error[file-unreadable]: cannot read `big.yaml`: 5000 bytes exceeds the 1000-byte limit"
    );
    assert!(
        report.files[0].text.is_empty(),
        "the content is never loaded"
    );
}

#[test]
fn paths_outside_the_lint_root_are_never_touched() {
    let out = run_with(&[(
        "app/kustomization.yaml",
        b"resources:\n  - ../../../../../../etc/passwd\n  - /etc/hostname\n  - svc.yaml\n",
    ), ("app/svc.yaml", b"apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: {app: nothing}}\n")]);
    // Reported from the kustomization's own text; nothing outside the tree is read or shown.
    assert!(out.contains("app/kustomization.yaml:2:5: error[kustomize-resource-missing]: `resources` entry `../../../../../../etc/passwd` points outside the repository"), "{out}");
    assert!(out.contains("app/kustomization.yaml:3:5: error[kustomize-resource-missing]: `resources` entry `/etc/hostname` points outside the repository"), "{out}");
    assert!(!out.contains("root:") && !out.contains("/bin/"), "{out}");
    // Those entries are errors of their own, not objects we cannot see: the rest of the build
    // is judged (at info here, as the repository deploys no workload at all).
    assert!(
        out.contains("app/svc.yaml:4:8: info[service-selector-unmatched]"),
        "{out}"
    );
}

#[test]
fn symlink_loop_terminates() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path(), dir.path().join("a/loop")).unwrap();
    let start = Instant::now();
    let report = common::lint_dir(Path::new(dir.path()));
    assert!(start.elapsed() < Duration::from_secs(10));
    #[cfg(unix)]
    assert_eq!(
        common::render(&report).lines().next().unwrap(),
        "a/loop:1:1: error[file-unreadable]: cannot read `a/loop`: symlink loop: points back to its ancestor `.`"
    );
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_tree_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.yaml"), "password: hunter2\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("canary.yaml"), CANARY).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        dir.path().join("leak.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("elsewhere")).unwrap();
    let report = common::lint_dir(dir.path());
    let out = common::render(&report);
    assert!(out.contains("elsewhere:1:1: info[file-unreadable]: not following `elsewhere`: a symlink leading outside the repository"), "{out}");
    assert!(out.contains("leak.yaml:1:1: error[file-unreadable]: cannot read `leak.yaml`: symlink to a file outside the repository"), "{out}");
    assert!(out.contains("canary.yaml:6:21"));
    assert!(
        report.files.iter().all(|f| !f.text.contains("hunter2")),
        "never read"
    );
}

#[test]
fn a_200_megabyte_file_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("canary.yaml"), CANARY).unwrap();
    // Sparse: takes no disk, but reading it would take 200 MB of memory.
    let big = std::fs::File::create(dir.path().join("huge.yaml")).unwrap();
    big.set_len(200 * 1024 * 1024).unwrap();
    let start = Instant::now();
    let report = common::lint_dir(dir.path());
    assert!(start.elapsed() < Duration::from_secs(10));
    let out = common::render(&report);
    assert!(out.contains("huge.yaml:1:1: error[file-unreadable]: cannot read `huge.yaml`: 209715200 bytes exceeds the 16777216-byte limit"), "{out}");
    assert!(out.contains("canary.yaml:6:21"));
}

#[cfg(unix)]
#[test]
fn permission_denied_is_a_finding() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("canary.yaml"), CANARY).unwrap();
    let locked = dir.path().join("locked.yaml");
    std::fs::write(&locked, "a: 1\n").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_ok() {
        eprintln!("SKIPPED: running as root, permissions do not stop reads here");
        return;
    }
    let out = common::render(&common::lint_dir(dir.path()));
    assert!(
        out.contains(
            "locked.yaml:1:1: error[file-unreadable]: cannot read `locked.yaml`: Permission denied"
        ),
        "{out}"
    );
    assert!(out.contains("canary.yaml:6:21"));
}

/// The linter only reads: after a run over a repository of every kind of file, nothing in
/// it has changed, appeared or disappeared.
#[test]
fn the_linted_tree_is_never_written() {
    fn snapshot(dir: &Path) -> Vec<(std::path::PathBuf, u64, std::time::SystemTime)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                let m = std::fs::symlink_metadata(e.path()).unwrap();
                if m.is_dir() {
                    stack.push(e.path());
                }
                out.push((e.path(), m.len(), m.modified().unwrap()));
            }
        }
        out.sort();
        out
    }
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(&common::fixtures().join("demo-gitops"), dir.path());
    common::copy_tree(
        &common::fixtures().join("demo-flux-monorepo"),
        &dir.path().join("flux"),
    );
    let before = snapshot(dir.path());
    let _ = common::lint_dir(dir.path());
    assert_eq!(snapshot(dir.path()), before);
}

/// A lattice of shared bases: each level's two kustomizations both list the next level's two.
/// Built once per path, its 2^40 paths would never finish; each base is built at most twice
/// into a root, and kustomize's failure (the same objects twice) is reported once.
#[test]
fn a_lattice_of_shared_bases_is_built_once_per_base() {
    let dir = tempfile::tempdir().unwrap();
    let levels = 40;
    let mut files: Vec<(String, String)> = Vec::new();
    for level in 0..levels {
        for side in ["a", "b"] {
            let body = if level + 1 < levels {
                format!("resources:\n- ../l{}a\n- ../l{}b\n", level + 1, level + 1)
            } else {
                "resources:\n- cm.yaml\n".to_string()
            };
            files.push((format!("l{level}{side}/kustomization.yaml"), body));
        }
    }
    for side in ["a", "b"] {
        files.push((
            format!("l{}{side}/cm.yaml", levels - 1),
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{side}\n"),
        ));
    }
    files.push((
        "root/kustomization.yaml".into(),
        "resources:\n- ../l0a\n- ../l0b\n".into(),
    ));
    for (name, text) in &files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let out = common::render(&common::lint_dir(dir.path()));
    let duplicates = out
        .lines()
        .filter(|l| l.contains("error[kustomize-duplicate-object]"))
        .count();
    assert_eq!(duplicates, 1, "{out}");
    assert!(
        out.contains("root/kustomization.yaml:3:3: error[kustomize-duplicate-object]"),
        "{out}"
    );
}

/// A chain of kustomizations far deeper than any real tree: not followed past the limit
/// (recursing 30,000 levels overflowed the stack), and said once, where the chain is cut.
#[test]
fn a_chain_of_thirty_thousand_kustomizations_is_cut_with_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let n = 30_000;
    for i in 0..n {
        let d = dir.path().join(format!("k{i}"));
        std::fs::create_dir_all(&d).unwrap();
        let next = if i + 1 < n {
            format!("../k{}", i + 1)
        } else {
            "cm.yaml".into()
        };
        std::fs::write(
            d.join("kustomization.yaml"),
            format!("resources:\n- {next}\n"),
        )
        .unwrap();
    }
    let out = common::render(&common::lint_dir(dir.path()));
    let cut: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("[file-unreadable]"))
        .collect();
    assert_eq!(
        cut,
        ["k199/kustomization.yaml:2:3: warning[file-unreadable]: cannot read `../k200`: it is nested more than 200 kustomizations deep"],
        "{out}"
    );
}

/// 1,500 Services asking for one tailnet name: one finding with a bounded list of related
/// spans (a finding per claimant naming every earlier one was quadratic: 4 GB, 2 GB of JSON).
#[test]
fn thousands_of_claimants_of_one_tailnet_name_are_one_finding() {
    let docs: Vec<String> = (0..1_500)
        .map(|i| {
            format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: s{i}\n  namespace: ns{i}\n  annotations:\n    tailscale.com/expose: \"true\"\n    tailscale.com/hostname: same\nspec:\n  ports:\n  - port: 80\n")
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("services.yaml"), docs.join("---\n")).unwrap();
    let report = common::lint_dir(dir.path());
    let collisions: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.rule == "tailscale-hostname-collision")
        .collect();
    assert_eq!(collisions.len(), 1);
    assert_eq!(collisions[0].related.len(), 11);
    assert!(collisions[0].message.contains(" and 1498 more objects ask"));
}

/// Past the findings budget the report keeps the most severe findings, counts the rest, and
/// each finding keeps a bounded number of related spans.
#[test]
fn the_report_keeps_a_budget_of_findings() {
    let mut docs = vec![
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c, image: x}]\n".to_string(),
    ];
    // 150 Services that select nothing (errors) and 100 that are fine but for an info.
    for i in 0..150 {
        docs.push(format!("apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}, namespace: a}}\nspec:\n  selector: {{app: none{i}}}\n  ports: [{{port: 80}}]\n"));
    }
    for i in 0..100 {
        docs.push(format!("apiVersion: v1\nkind: Service\nmetadata: {{name: t{i}, namespace: a}}\nspec:\n  selector: {{app: web}}\n  ports: [{{port: 80, targetPort: 8080}}]\n"));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("all.yaml"), docs.join("---\n")).unwrap();
    let mut options = Options::new(vec![dir.path().to_path_buf()]);
    options.base = dir.path().to_path_buf();
    options.repo_top = Some(dir.path().to_path_buf());
    options.max_findings = 120;
    let report = lint(&options).unwrap();
    assert_eq!(report.findings.len(), 120);
    assert_eq!(report.stats.omitted, 130);
    assert!(report
        .findings
        .iter()
        .all(|f| f.severity == k8s_lint_core::Severity::Error));
    // Still in position order.
    let starts: Vec<u32> = report
        .findings
        .iter()
        .map(|f| f.primary.span.start)
        .collect();
    assert!(starts.windows(2).all(|w| w[0] < w[1]));
}
