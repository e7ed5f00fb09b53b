//! Navigation links: where references lead, and what a hover says when they lead nowhere the
//! repository shows.

use k8s_lint_core::{lint, Options, Report};

fn links_of(files: &[(&str, &str)]) -> (tempfile::TempDir, Report) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let mut options = Options::new(vec![dir.path().to_path_buf()]);
    options.base = dir.path().to_path_buf();
    options.links = true;
    let report = lint(&options).unwrap();
    (dir, report)
}

/// `file:line:col` of a span's start.
fn at(report: &Report, span: k8s_lint_core::Span) -> String {
    let file = report.file(span.file);
    let p = file.position(span.start as usize);
    format!("{}:{}:{}", file.display(), p.line, p.column)
}

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers: [{name: web, image: web:1}]
";

#[test]
fn budgets_autoscalers_and_policies_lead_to_their_workload() {
    let (_dir, report) = links_of(&[
        ("deployment.yaml", DEPLOYMENT),
        (
            "pdb.yaml",
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: shop}\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: web}}\n",
        ),
        (
            "hpa.yaml",
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: shop}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 1\n  maxReplicas: 3\n",
        ),
    ]);
    let shown: Vec<String> = report
        .links
        .iter()
        .map(|l| {
            let to: Vec<String> = l.to.iter().map(|s| at(&report, *s)).collect();
            format!("{} -> {} ({})", at(&report, l.from), to.join(" "), l.hover)
        })
        .collect();
    assert_eq!(
        shown,
        [
            "hpa.yaml:5:65 -> deployment.yaml:3:18 (Deployment `shop/web`)",
            "pdb.yaml:6:3 -> deployment.yaml:8:7 (selects the pods of Deployment `shop/web`)",
        ]
    );
}

#[test]
fn a_hover_says_what_may_provide_what_is_not_here() {
    let (_dir, report) = links_of(&[
        (
            "release.yaml",
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: kube-prometheus-stack, namespace: monitoring}\nspec:\n  chart: {spec: {chart: kube-prometheus-stack}}\n",
        ),
        (
            "ingress.yaml",
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: grafana, namespace: monitoring}\nspec:\n  defaultBackend: {service: {name: grafana, port: {number: 80}}}\n",
        ),
    ]);
    let backend = report
        .links
        .iter()
        .find(|l| at(&report, l.from) == "ingress.yaml:5:36")
        .expect("a link from the backend name");
    assert!(backend.to.is_empty());
    assert_eq!(
        backend.hover,
        "not defined here; HelmRelease `kube-prometheus-stack` (chart `kube-prometheus-stack`) may render it"
    );
}
