//! Our kustomize model against the real thing: for every build root among the fixtures,
//! `kubectl kustomize` must emit exactly the (kind, namespace, name) set we assign to that
//! build. Skipped, with a message, when kubectl is not on PATH; the product never needs it.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use k8s_lint_core::source::FileId;
use k8s_lint_core::yaml::{parse, Node};
use k8s_lint_core::{inventory, DeployedId, Options};

/// Build `dir` with kubectl; `None` when kustomize itself refuses (a fixture of a broken
/// kustomization) or the build needs the network.
fn kustomize(dir: &Path) -> Option<BTreeSet<DeployedId>> {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let parsed = parse(FileId(0), &text);
    assert!(parsed.problems.is_empty(), "kustomize output parses");
    let field = |root: &Node<'_>, p: &str| root.at(p).and_then(Node::as_str).map(String::from);
    Some(
        parsed
            .docs
            .iter()
            .filter_map(|d| d.root.as_ref())
            .filter_map(|r| {
                Some((
                    field(r, "kind")?,
                    field(r, "metadata.namespace"),
                    field(r, "metadata.name")?,
                ))
            })
            .collect(),
    )
}

fn uses_network(dir: &Path) -> bool {
    ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(dir.join(f)).ok())
        .any(|t| t.contains("://") || t.contains("github.com/"))
}

#[test]
fn model_matches_kubectl_kustomize() {
    if !common::kubectl_available() {
        eprintln!("SKIPPED: kubectl is not on PATH; the kustomize differential test did not run");
        return;
    }
    let mut compared = 0;
    let mut mismatches = Vec::new();
    let mut cases = Vec::new();
    common::fixture_cases(&common::fixtures(), &mut cases);
    for entry in cases {
        let case = entry;
        let mut options = Options::new(vec![case.clone()]);
        options.base = case.clone();
        let ours = inventory(&options).unwrap();
        for (dir, objects) in ours {
            if uses_network(&dir) {
                continue;
            }
            let Some(theirs) = kustomize(&dir) else {
                continue;
            };
            // Generators make objects we do not list (their names carry a content hash).
            let theirs: BTreeSet<_> = theirs
                .into_iter()
                .filter(|(kind, _, name)| {
                    !(kind == "ConfigMap" || kind == "Secret")
                        || objects.iter().any(|o| &o.2 == name)
                })
                .collect();
            compared += 1;
            if objects != theirs {
                mismatches.push(format!(
                    "{}:\n  ours:      {objects:?}\n  kustomize: {theirs:?}",
                    dir.display()
                ));
            }
        }
    }
    assert!(compared >= 8, "only {compared} kustomizations compared");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    eprintln!("compared {compared} kustomize builds with kubectl kustomize");
}

/// Where k8s-lint says a kustomization cannot be built, kustomize fails with the error the
/// finding quotes.
#[test]
fn build_errors_match_kubectl_kustomize() {
    if !common::kubectl_available() {
        eprintln!("SKIPPED: kubectl is not on PATH; the kustomize differential test did not run");
        return;
    }
    let case = common::fixtures().join("kustomize-resource-missing/fires-string-patch");
    let report = common::lint_dir(&case);
    let ours = report
        .findings
        .iter()
        .find(|f| f.rule == "kustomize-resource-missing")
        .expect("the string patch is reported");
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(&case)
        .output()
        .unwrap();
    assert!(!out.status.success(), "kustomize refuses the kustomization");
    let theirs = String::from_utf8_lossy(&out.stderr);
    let quoted = ours
        .message
        .rsplit('`')
        .nth(1)
        .expect("the message quotes kustomize");
    assert!(
        theirs.contains(quoted),
        "kustomize says {theirs}; we quote {quoted}"
    );
}
