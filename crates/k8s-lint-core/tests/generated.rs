//! A generated repository of 200 apps with planted bugs: k8s-lint reports exactly the planted
//! set, at the exact line:column, and nothing else.

mod common;

#[test]
fn finds_exactly_the_planted_defects() {
    let dir = tempfile::tempdir().unwrap();
    let generated = k8s_lint_gen::write_repo(dir.path(), 200, 4).unwrap();
    assert_eq!(generated.expected.len(), 20);
    let report = common::lint_dir(dir.path());
    assert_eq!(report.stats.objects, generated.objects);
    let mut found: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            let file = report.file(f.primary.span.file);
            let p = file.position(f.primary.span.start as usize);
            format!("{} {}:{}:{}", f.rule, file.display(), p.line, p.column)
        })
        .collect();
    found.sort();
    assert_eq!(found, generated.expected);
}

#[test]
fn a_clean_repository_stays_clean() {
    let dir = tempfile::tempdir().unwrap();
    k8s_lint_gen::write_repo(dir.path(), 60, 0).unwrap();
    assert_eq!(common::render(&common::lint_dir(dir.path())), "");
}

/// The generator's layouts are ones kustomize accepts: the overlay's patch finds its
/// Deployment (kustomize matches a patch by namespace too), and the whole tree builds.
#[test]
fn the_generated_tree_builds_with_kubectl_kustomize() {
    if !common::kubectl_available() {
        eprintln!("SKIPPED: kubectl is not on PATH; the generated tree was not built with it");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    k8s_lint_gen::write_repo(dir.path(), 12, 0).unwrap();
    let out = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(dir.path().join("apps"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "kubectl kustomize failed: {stderr}");
    let text = String::from_utf8(out.stdout).unwrap();
    // app-00001 is an overlay, app-00003 a Flux app (its ks.yaml), app-00005 has a HelmRelease.
    assert!(text.contains("replicas: 3"), "the overlay's patch applied");
    assert!(text.contains("kind: HelmRelease"));
    assert!(text.contains("path: ./apps/app-00003/app"));
}
