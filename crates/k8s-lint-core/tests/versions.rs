//! Rules whose verdict depends on `Settings.kubernetes_version`: the same manifests, linted for
//! several target versions (the fixture harness always lints with default settings).

use k8s_lint_core::{lint, KubeVersion, Options, Severity};

const BOTH_SET: &str = "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations:
    kubernetes.io/ingress.class: CLASS
spec:
  ingressClassName: nginx
  defaultBackend:
    service:
      name: web
      port:
        number: 80
";

/// (rule, severity, headline and notes, one a line) of every finding for `manifest` linted
/// for `version`.
fn lint_for(manifest: &str, version: Option<(u32, u32)>) -> Vec<(String, Severity, String)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ingress.yaml"), manifest).unwrap();
    let mut options = Options::new(vec![dir.path().to_path_buf()]);
    options.base = dir.path().to_path_buf();
    options.only = Some(vec![
        "ingress-class-both-set".into(),
        "ingress-class-mismatch".into(),
    ]);
    options.settings.kubernetes_version = version.map(|(a, b)| KubeVersion::new(a, b));
    lint(&options)
        .unwrap()
        .findings
        .into_iter()
        .map(|f| {
            let text = std::iter::once(f.message)
                .chain(f.notes)
                .collect::<Vec<_>>();
            (f.rule.to_string(), f.severity, text.join("\n"))
        })
        .collect()
}

#[test]
fn both_set_is_a_warning_when_the_version_is_unknown() {
    let found = lint_for(&BOTH_SET.replace("CLASS", "nginx"), None);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "ingress-class-both-set");
    assert_eq!(found[0].1, Severity::Warning);
    assert!(found[0].2.contains("Kubernetes 1.26 and older reject the create: annotations.kubernetes.io/ingress.class: Invalid value: \"nginx\": can not be set when the class field is also set"));
}

#[test]
fn both_set_is_an_error_before_1_27() {
    for minor in [22, 26] {
        let found = lint_for(&BOTH_SET.replace("CLASS", "nginx"), Some((1, minor)));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1, Severity::Error);
        assert!(
            found[0]
                .2
                .contains(&format!("Kubernetes 1.{minor} rejects the create")),
            "{found:?}"
        );
    }
}

#[test]
fn both_set_is_info_from_1_27() {
    for minor in [27, 33] {
        let found = lint_for(&BOTH_SET.replace("CLASS", "nginx"), Some((1, minor)));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1, Severity::Info);
        assert!(found[0].2.contains("deprecated and redundant"), "{found:?}");
    }
}

#[test]
fn mismatch_is_an_error_on_every_version_with_that_version_s_text() {
    let manifest = BOTH_SET.replace("CLASS", "traefik");
    let new = "must match `ingressClassName` when both are specified";
    let old = "can not be set when the class field is also set";
    for (version, text) in [(None, new), (Some((1, 27)), new), (Some((1, 26)), old)] {
        let found = lint_for(&manifest, version);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "ingress-class-mismatch");
        assert_eq!(found[0].1, Severity::Error);
        assert!(
            found[0].2.contains(&format!(
                "annotations.kubernetes.io/ingress.class: Invalid value: \"traefik\": {text}"
            )),
            "{found:?}"
        );
    }
}
