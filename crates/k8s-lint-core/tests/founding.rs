//! The founding fixture (`fixtures/anthropic-oauth-proxy`, the spec that started the project):
//! its exact output with every default rule, and one variant per broken link of its chain,
//! linted with the chain and membership rules only: each gives exactly one finding, at the
//! exact line:column of the broken value.

mod common;

use std::path::Path;

/// The rules about the Ingress → Service → port → targetPort → containerPort chain and about
/// kustomization membership.
const CHAIN: &[&str] = &[
    "ingress-service-missing",
    "ingress-service-port-missing",
    "service-selector-unmatched",
    "service-target-port-unresolved",
    "service-target-port-undeclared",
    "kustomize-orphan-manifest",
    "kustomize-resource-missing",
];

fn variant(edit: impl FnOnce(&Path)) -> String {
    let dir = tempfile::tempdir().unwrap();
    common::copy_tree(
        &common::fixtures().join("anthropic-oauth-proxy"),
        dir.path(),
    );
    edit(&dir.path().join("k8s"));
    common::render(&common::lint_dir_only(dir.path(), Some(CHAIN)))
}

fn replace(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn first_line(output: &str) -> &str {
    assert_eq!(
        output.lines().filter(|l| !l.starts_with(' ')).count(),
        1,
        "exactly one finding expected:\n{output}"
    );
    output.lines().next().unwrap()
}

#[test]
fn founding_fixture_has_no_chain_or_membership_finding() {
    assert_eq!(variant(|_| {}), "");
}

/// What the spec's Ingress really does: its rule host is ignored by the Tailscale operator, so
/// it exposes nothing; the class annotation breaks the create on Kubernetes ≤ 1.26.
#[test]
fn founding_fixture_default_rules_find_the_tailscale_mistakes() {
    let out = common::render(&common::lint_dir(
        &common::fixtures().join("anthropic-oauth-proxy"),
    ));
    let heads: Vec<&str> = out.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(
        heads,
        [
            "k8s/ingress.yaml:7:34: warning[ingress-class-both-set]: Ingress `anthropic-oauth-proxy/anthropic-oauth-proxy` sets class \"tailscale\" in both `kubernetes.io/ingress.class` and spec.ingressClassName",
            "k8s/ingress.yaml:8:1: error[tailscale-no-valid-backends]: Ingress `anthropic-oauth-proxy/anthropic-oauth-proxy` leaves the Tailscale operator no valid backend",
            "k8s/ingress.yaml:11:13: error[tailscale-rule-host-ignored]: Ingress `anthropic-oauth-proxy/anthropic-oauth-proxy`: the Tailscale operator ignores spec.rules[0] for its host \"anthropic-oauth-proxy\"",
        ]
    );
    let notes: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("    note: "))
        .collect();
    assert_eq!(
        notes,
        [
            "Kubernetes 1.26 and older reject the create: annotations.kubernetes.io/ingress.class: Invalid value: \"tailscale\": can not be set when the class field is also set",
            "Kubernetes 1.27 and newer accept it",
            "the Tailscale operator ignores the annotation anyway",
            "it has no defaultBackend",
            "spec.rules[0] is ignored for its host \"anthropic-oauth-proxy\"",
            "the operator records event NoValidBackends and provisions no proxy (operator ≥ v1.60), so this Ingress exposes nothing",
            "the host is neither empty nor equal to spec.tls[0].hosts[0] (no spec.tls is set), so the rule's paths are dropped",
        ]
    );
    // Both Tailscale findings name the two real fixes.
    let help = "    help: either (1) remove `host` so the rule applies: the Ingress is then served only as https://anthropic-oauth-proxy-anthropic-oauth-proxy-ingress.<tailnet>.ts.net/ (HTTPS, port 443); to choose the name, set `spec.tls: [{hosts: [<name>]}]` and `host: <name>` with a name no other tailnet device uses (not `anthropic-oauth-proxy`: Service `anthropic-oauth-proxy/anthropic-oauth-proxy` has it); or (2) keep using Service `anthropic-oauth-proxy/anthropic-oauth-proxy`, which `tailscale.com/expose: \"true\"` already exposes as http://anthropic-oauth-proxy/ on every Service port (L3 forwarding), and delete this Ingress";
    assert_eq!(out.lines().filter(|l| *l == help).count(), 2, "{out}");
    assert_eq!(
        out,
        std::fs::read_to_string(common::fixtures().join("anthropic-oauth-proxy/expected.txt"))
            .unwrap()
    );
}

#[test]
fn ingress_left_out_of_kustomization() {
    let out = variant(|k| replace(k, "kustomization.yaml", "  - ingress.yaml\n", ""));
    assert_eq!(
        first_line(&out),
        "k8s/ingress.yaml:1:1: warning[kustomize-orphan-manifest]: `ingress.yaml` (Ingress `anthropic-oauth-proxy`) is not listed in `k8s/kustomization.yaml`"
    );
    assert!(out.contains(
        "    related k8s/kustomization.yaml:3:1: `ingress.yaml` is missing from this list"
    ));
}

#[test]
fn backend_port_8080() {
    let out = variant(|k| replace(k, "ingress.yaml", "number: 80", "number: 8080"));
    assert_eq!(
        first_line(&out),
        "k8s/ingress.yaml:20:27: error[ingress-service-port-missing]: Ingress `anthropic-oauth-proxy/anthropic-oauth-proxy` routes to port 8080 of Service `anthropic-oauth-proxy`, which has no such port"
    );
    assert!(out.contains("    related k8s/service.yaml:12:3: Service `anthropic-oauth-proxy/anthropic-oauth-proxy` exposes 80 (http)"));
}

#[test]
fn service_renamed() {
    let out = variant(|k| {
        replace(
            k,
            "service.yaml",
            "  name: anthropic-oauth-proxy\n",
            "  name: oauth-proxy\n",
        )
    });
    assert_eq!(
        first_line(&out),
        "k8s/ingress.yaml:18:23: error[ingress-service-missing]: Ingress `anthropic-oauth-proxy/anthropic-oauth-proxy` routes to Service `anthropic-oauth-proxy`, which no manifest defines in namespace `anthropic-oauth-proxy`"
    );
}

#[test]
fn target_port_named_web() {
    let out = variant(|k| replace(k, "service.yaml", "targetPort: 8080", "targetPort: web"));
    assert_eq!(
        first_line(&out),
        "k8s/service.yaml:15:19: error[service-target-port-unresolved]: Service `anthropic-oauth-proxy/anthropic-oauth-proxy` port 80 targets `web`, but no selected pod declares a TCP port named `web`"
    );
    assert!(out.contains("    related k8s/deployment.yaml:22:11: container `proxy` of Deployment `anthropic-oauth-proxy/anthropic-oauth-proxy` declares 8080 (http)"));
}

#[test]
fn selector_typo() {
    let out = variant(|k| {
        replace(
            k,
            "service.yaml",
            "    app: anthropic-oauth-proxy",
            "    app: anthropic-oauth-prxy",
        )
    });
    assert_eq!(
        first_line(&out),
        "k8s/service.yaml:11:10: error[service-selector-unmatched]: Service `anthropic-oauth-proxy/anthropic-oauth-proxy` selects `app=anthropic-oauth-prxy`, matching no pod template here in namespace `anthropic-oauth-proxy`"
    );
    assert!(out.contains("    related k8s/deployment.yaml:15:7: pod template of Deployment `anthropic-oauth-proxy/anthropic-oauth-proxy` has app=anthropic-oauth-proxy"));
}
