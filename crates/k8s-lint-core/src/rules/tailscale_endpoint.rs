//! Explains the tailnet URL each Tailscale-exposed Service and Ingress really serves (opt-in).
//!
//! Docs: `rules/tailscale-endpoint.md`.

use crate::network::Service;

use crate::finding::{Finding, Severity};
use crate::index::InstId;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::tailscale::{
    exposed_service, ingress_name, label_problem, rule_ignored, service_name, spec_key,
    tailscale_ingresses, usable_backends, TsIngress, HTTP_ENDPOINT, HTTP_REDIRECT,
};
use super::{describe_port, is_external_name, protocol, service_ports};

pub struct TailscaleEndpoint;

static META: RuleMeta = RuleMeta {
    id: "tailscale-endpoint",
    severity: Severity::Info,
    summary: "Explains the tailnet URL each Tailscale-exposed Service and Ingress really serves (opt-in).",
    default_enabled: false,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for TailscaleEndpoint {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    // Runs when enabled: `--explain-endpoints` is `--rule tailscale-endpoint=info`.
    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for ts in tailscale_ingresses(cx) {
            out.push(ingress(cx, &ts));
        }
        for id in cx.index.ids() {
            if let Some((svc, at)) = exposed_service(cx, id) {
                if let Some(f) = service(cx, id, svc, at) {
                    out.push(f);
                }
            }
        }
    }
}

fn annotation_is(cx: &Ctx<'_, '_>, ts: &TsIngress<'_>, key: &str, value: &str) -> bool {
    super::annotation(cx.root(ts.id), key).and_then(|e| e.value().as_str()) == Some(value)
}

fn ingress(cx: &Ctx<'_, '_>, ts: &TsIngress<'_>) -> Finding {
    let name = ingress_name(cx, ts.id, ts.ingress).map(|n| n.name);
    let host = name
        .clone()
        .unwrap_or_else(|| format!("<namespace>-{}-ingress", cx.index.inst(ts.id).name));
    let base = format!("https://{host}.<tailnet>.ts.net");
    let mut paths: Vec<String> = Vec::new();
    let spec = ts.ingress.spec.as_ref();
    if spec.is_some_and(|s| s.default_backend.is_some()) {
        paths.push("/".into());
    }
    for rule in spec.and_then(|s| s.rules.as_ref()).into_iter().flatten() {
        if rule_ignored(ts, rule.host.as_deref().unwrap_or(""), name.as_deref()) {
            continue;
        }
        for p in rule.http.iter().flat_map(|h| &h.paths) {
            let path = p.path.as_deref().filter(|p| !p.is_empty()).unwrap_or("/");
            if !paths.iter().any(|q| q == path) {
                paths.push(path.to_string());
            }
        }
    }
    let urls: Vec<String> = paths.iter().map(|p| format!("{base}{p}")).collect();
    let mut ports = "over HTTPS on port 443 only".to_string();
    if ts.ha && annotation_is(cx, ts, HTTP_ENDPOINT, "enabled") {
        ports =
            format!("over HTTPS on port 443 and plain HTTP on port 80 ({HTTP_ENDPOINT}: enabled)");
    } else if !ts.ha && annotation_is(cx, ts, HTTP_REDIRECT, "true") {
        ports = format!(
            "over HTTPS on port 443; port 80 only redirects there with a 301 ({HTTP_REDIRECT}, operator ≥ v1.94)"
        );
    }
    let usable = usable_backends(cx, ts);
    let f = if urls.is_empty() || (!ts.ha && !usable.valid && !usable.unknown) {
        Finding::new(
            &META,
            spec_key(cx, ts.id),
            format!(
                "{} serves nothing, as it has no valid backend",
                cx.describe(ts.id)
            ),
        )
        .note(format!("once fixed, it serves {base}/ {ports}"))
    } else {
        Finding::new(
            &META,
            spec_key(cx, ts.id),
            format!(
                "{} is served on the tailnet as `{host}`",
                cx.describe(ts.id)
            ),
        )
        .note(format!("it serves {} {ports}", urls.join(", ")))
    };
    f.note("<tailnet> is your tailnet's MagicDNS domain")
        .label("tailnet endpoint")
}

fn service(cx: &Ctx<'_, '_>, id: InstId, svc: &Service, at: crate::Span) -> Option<Finding> {
    let name = service_name(cx, id)
        .map(|n| n.name)
        .filter(|n| label_problem(n).is_none())?;
    let target = match svc.spec.as_ref().and_then(|s| s.external_name.as_deref()) {
        Some(ext) if is_external_name(svc) => format!("to its externalName `{ext}`"),
        _ => "to its ClusterIP".into(),
    };
    let ports: Vec<String> = service_ports(svc)
        .iter()
        .map(|p| {
            let shown = describe_port(p.port, p.name.as_deref(), protocol(p.protocol.as_deref()));
            let url = match p.port {
                80 => format!("http://{name}/"),
                n => format!("{name}:{n}"),
            };
            format!("{shown} at {url}")
        })
        .collect();
    let mut f = Finding::new(
        &META,
        at,
        format!("{} is a tailnet device named `{name}`", cx.describe(id)),
    )
    .note(format!(
        "its MagicDNS names are {name} and {name}.<tailnet>.ts.net"
    ))
    .note(format!(
        "the proxy forwards every port and protocol {target} (L3, no TLS added)"
    ));
    if !ports.is_empty() {
        f = f.note(format!("its ports are {}", ports.join(", ")));
    }
    Some(f.label("tailnet endpoint"))
}
