//! A Tailscale Ingress backend names an ExternalName or headless Service, which the operator cannot proxy to.
//!
//! Docs: `rules/tailscale-backend-not-clusterip.md`.

use crate::network::Service;

use crate::finding::{Finding, Severity};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::yaml::Node;

use super::tailscale::tailscale_ingresses;
use super::{is_external_name, is_headless, readable_services, span_at};

pub struct TailscaleBackendNotClusterip;

static META: RuleMeta = RuleMeta {
    id: "tailscale-backend-not-clusterip",
    severity: Severity::Error,
    summary: "A Tailscale Ingress backend names an ExternalName or headless Service, which the operator cannot proxy to.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for TailscaleBackendNotClusterip {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for ts in tailscale_ingresses(cx) {
            let root = cx.root(ts.id);
            for (b, found) in cx.ingress_backends(ts.id) {
                let name = &b.service.name;
                let candidates = found.found();
                let Some(services) = readable_services(cx, candidates) else {
                    continue;
                };
                if services.is_empty() || !services.iter().all(|(_, s)| no_cluster_ip(s)) {
                    continue;
                }
                let (svc_id, svc) = services[0];
                let svc_root = cx.root(svc_id);
                let (what, field, target) = if is_external_name(svc) {
                    (
                        "is of type ExternalName",
                        "spec.type",
                        format!("Service `{name}` of type ExternalName"),
                    )
                } else {
                    (
                        "is headless (clusterIP: None)",
                        "spec.clusterIP",
                        format!("headless Service `{name}` (clusterIP: None)"),
                    )
                };
                let path = http_path(root, &b.path.to_string());
                out.push(
                    Finding::new(
                        &META,
                        span_at(root, &format!("{}.name", b.path)),
                        format!("{} routes path {path:?} to {target}", cx.describe(ts.id)),
                    )
                    .note(format!(
                        "the Tailscale operator proxies only to a ClusterIP and drops the path (event InvalidIngressBackend: backend for path {path:?} has invalid ClusterIP)"
                    ))
                    .label("no ClusterIP to proxy to")
                    .related(span_at(svc_root, field), format!("{} {what}", cx.describe(svc_id)))
                    .help("point the backend at a regular ClusterIP Service that selects the pods (for an external host, run a proxy in the cluster or use an egress Service)"),
                );
            }
        }
    }
}

fn no_cluster_ip(svc: &Service) -> bool {
    is_external_name(svc) || is_headless(svc)
}

/// The HTTP path a backend serves, as the operator names it (`/` for the defaultBackend and
/// for an empty path).
fn http_path(root: &Node<'_>, backend_service: &str) -> String {
    backend_service
        .strip_suffix(".backend.service")
        .and_then(|p| root.at(&format!("{p}.path")))
        .and_then(Node::as_str)
        .filter(|p| !p.is_empty())
        .unwrap_or("/")
        .to_string()
}
