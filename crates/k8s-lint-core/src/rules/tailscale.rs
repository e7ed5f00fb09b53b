//! What the Tailscale Kubernetes operator does with Ingresses and Services, shared by the
//! `tailscale-*` rules: which objects it handles, the tailnet name each one asks for, and which
//! Ingress backends it can proxy to (`cmd/k8s-operator`: ingress.go, ingress-for-pg.go, svc.go,
//! sts.go; see semantics notes C1–C5).

use crate::network::{IngressBackend, IngressServiceBackend};

use crate::network::{Ingress, Service};

use crate::index::{InstId, View};
use crate::resolve::Resolution;
use crate::rule::Ctx;
use crate::source::Span;
use crate::yaml::Node;

use super::{
    annotation, is_external_name, is_headless, key_span_at, readable_services, service_ports,
    span_at,
};

pub(crate) const EXPOSE: &str = "tailscale.com/expose";
pub(crate) const HOSTNAME: &str = "tailscale.com/hostname";
pub(crate) const PROXY_GROUP: &str = "tailscale.com/proxy-group";
pub(crate) const HTTP_REDIRECT: &str = "tailscale.com/http-redirect";
pub(crate) const HTTP_ENDPOINT: &str = "tailscale.com/http-endpoint";
pub(crate) const CONTROLLER: &str = "tailscale.com/ts-ingress";

/// An Ingress the Tailscale operator handles.
pub(crate) struct TsIngress<'a> {
    pub id: InstId,
    pub ingress: &'a Ingress,
    /// Served by a ProxyGroup (`tailscale.com/proxy-group`): the HA reconciler decides.
    pub ha: bool,
}

/// Whether an IngressClass of the Tailscale class name belongs to another controller.
/// Third-party "tailscale" controllers use rule hosts as node names and serve HTTP, the
/// opposite of the operator, so none of its semantics apply then.
pub(crate) fn class_taken(cx: &Ctx<'_, '_>) -> bool {
    let class = &cx.settings.tailscale_ingress_class;
    cx.index
        .of_kind("networking.k8s.io", "IngressClass")
        .iter()
        .any(|&c| {
            &cx.index.inst(c).name == class
                && (cx.index.inst(c).opaque
                    || cx.root(c).at("spec.controller").and_then(Node::as_str) != Some(CONTROLLER))
        })
}

/// Every Ingress of the Tailscale class that we can read.
pub(crate) fn tailscale_ingresses<'a>(cx: &Ctx<'a, '_>) -> Vec<TsIngress<'a>> {
    if class_taken(cx) {
        return Vec::new();
    }
    cx.index
        .ids()
        .filter_map(|id| {
            let View::Ingress(ingress) = cx.index.view(id) else {
                return None;
            };
            let class = ingress.spec.as_ref()?.ingress_class_name.as_deref()?;
            if class != cx.settings.tailscale_ingress_class || cx.index.inst(id).opaque {
                return None;
            }
            let ha = annotation(cx.root(id), PROXY_GROUP)
                .and_then(|e| e.value().as_str())
                .is_some_and(|v| !v.is_empty());
            Some(TsIngress { id, ingress, ha })
        })
        .collect()
}

/// `spec.tls[0].hosts[0]`, the only TLS host the operator reads.
pub(crate) fn tls_host(ingress: &Ingress) -> Option<&str> {
    ingress
        .spec
        .as_ref()?
        .tls
        .as_ref()?
        .first()?
        .hosts
        .as_ref()?
        .first()
        .map(String::as_str)
}

/// The tailnet (MagicDNS) name an object asks for, and the node it comes from.
pub(crate) struct TailnetName {
    pub name: String,
    pub span: Span,
    pub source: NameSource,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameSource {
    /// `tailscale.com/hostname` on a Service.
    Annotation,
    /// The first DNS label of `spec.tls[0].hosts[0]` of an Ingress.
    TlsHost,
    /// `<namespace>-<name>` (Service) or `<namespace>-<name>-ingress` (Ingress).
    Derived,
}

/// `hostnameForIngress`: the first label of the TLS host, else `<ns>-<name>-ingress` (unknown
/// when the namespace is).
pub(crate) fn ingress_name(cx: &Ctx<'_, '_>, id: InstId, ingress: &Ingress) -> Option<TailnetName> {
    let root = cx.root(id);
    if let Some(host) = tls_host(ingress) {
        let first = host.split('.').next().unwrap_or(host);
        return Some(TailnetName {
            name: first.to_string(),
            span: span_at(root, "spec.tls[0].hosts[0]"),
            source: NameSource::TlsHost,
        });
    }
    let ns = cx.index.namespace(id)?;
    Some(TailnetName {
        name: format!("{ns}-{}-ingress", cx.index.inst(id).name),
        span: span_at(root, "metadata.name"),
        source: NameSource::Derived,
    })
}

/// `nameForService`: `tailscale.com/hostname`, else `<ns>-<name>` (unknown when the namespace is).
pub(crate) fn service_name(cx: &Ctx<'_, '_>, id: InstId) -> Option<TailnetName> {
    let root = cx.root(id);
    if let Some(e) = annotation(root, HOSTNAME) {
        return Some(TailnetName {
            name: e.value().scalar_text()?.to_string(),
            span: e.value().span,
            source: NameSource::Annotation,
        });
    }
    let ns = cx.index.namespace(id)?;
    Some(TailnetName {
        name: format!("{ns}-{}", cx.index.inst(id).name),
        span: span_at(root, "metadata.name"),
        source: NameSource::Derived,
    })
}

/// A Service the standalone operator gives its own tailnet device, and the node that asks for
/// it: `tailscale.com/expose: "true"` (exactly), or `type: LoadBalancer` with
/// `loadBalancerClass: tailscale`. ProxyGroup Services and headless ones get no device.
pub(crate) fn exposed_service<'a>(cx: &Ctx<'a, '_>, id: InstId) -> Option<(&'a Service, Span)> {
    cx.exposed
        .get(id, cx.index.ids(), |id| exposes(cx, id))
        .copied()
}

/// [`exposed_service`], found from the instance.
fn exposes<'a>(cx: &Ctx<'a, '_>, id: InstId) -> Option<(&'a Service, Span)> {
    let View::Service(svc) = cx.index.view(id) else {
        return None;
    };
    let root = cx.root(id);
    let annotation = |key| svc.annotated.then(|| annotation(root, key)).flatten();
    if cx.index.inst(id).opaque
        || is_headless(svc)
        || annotation(PROXY_GROUP)
            .and_then(|e| e.value().as_str())
            .is_some_and(|v| !v.is_empty())
    {
        return None;
    }
    let spec = svc.spec.as_ref();
    if let Some(e) = annotation(EXPOSE).filter(|e| e.value().as_str() == Some("true")) {
        // An ExternalName Service is exposed through its DNS name, which it must have.
        let has_target = !is_external_name(svc)
            || spec
                .and_then(|s| s.external_name.as_deref())
                .is_some_and(|n| !n.is_empty());
        return has_target.then_some((&**svc, e.value().span));
    }
    let spec = spec?;
    let lb = spec.type_.as_deref() == Some("LoadBalancer")
        && spec.load_balancer_class.as_deref() == Some("tailscale");
    lb.then(|| (&**svc, span_at(root, "spec.loadBalancerClass")))
}

/// Why `label` is not a valid tailnet name, in the words of Tailscale's `dnsname.ValidLabel`
/// (one DNS label of at most 63 bytes; ASCII letters of either case, digits, inner `-`).
pub(crate) fn label_problem(label: &str) -> Option<String> {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    let (Some(first), Some(last)) = (label.chars().next(), label.chars().last()) else {
        return Some("empty DNS label".into());
    };
    if label.len() > 63 {
        return Some(format!("{label:?} is too long, max length is 63 bytes"));
    }
    if !alnum(first) {
        return Some(format!(
            "{label:?} is not a valid DNS label: must start with a letter or number"
        ));
    }
    if !alnum(last) {
        return Some(format!(
            "{label:?} is not a valid DNS label: must end with a letter or number"
        ));
    }
    let inner = label.chars().count().saturating_sub(2);
    label
        .chars()
        .skip(1)
        .take(inner)
        .find(|&c| !alnum(c) && c != '-')
        .map(|c| format!("{label:?} is not a valid DNS label: contains invalid character {c:?}"))
}

/// Whether the operator drops a rule because of its `host`. Standalone: the host must equal
/// `spec.tls[0].hosts[0]`. ProxyGroup: it must equal the full MagicDNS name
/// `<name>.<tailnet>.ts.net`; without the tailnet we only know a host is wrong when it is a
/// single label or starts with another label.
pub(crate) fn rule_ignored(ts: &TsIngress<'_>, host: &str, name: Option<&str>) -> bool {
    if host.is_empty() {
        return false;
    }
    if !ts.ha {
        return Some(host) != tls_host(ts.ingress);
    }
    match host.split_once('.') {
        None => true,
        Some((first, _)) => name.is_some_and(|n| n != first),
    }
}

/// Whether anything remains for the operator once ignored rules are dropped.
pub(crate) fn anything_left(ts: &TsIngress<'_>, name: Option<&str>) -> bool {
    let Some(spec) = &ts.ingress.spec else {
        return false;
    };
    spec.default_backend.is_some()
        || spec.rules.iter().flatten().any(|r| {
            !rule_ignored(ts, r.host.as_deref().unwrap_or(""), name)
                && r.http.as_ref().is_some_and(|h| !h.paths.is_empty())
        })
}

/// What the operator makes of one backend.
pub(crate) enum Verdict {
    Valid,
    /// Dropped, with the reason.
    Invalid(String),
    /// The Service may exist where we cannot see it, or may be changed in ways we cannot model.
    Unknown,
}

/// `handlersForIngress`: a backend is proxied when it names a Service of the Ingress's
/// namespace that has a ClusterIP, and a port name among the Service's port names or any
/// non-zero number (numbers are not checked against the Service).
pub(crate) fn backend_verdict(cx: &Ctx<'_, '_>, id: InstId, backend: &IngressBackend) -> Verdict {
    let Some(service) = &backend.service else {
        return Verdict::Invalid("is a resource backend, not a Service".into());
    };
    let name = &service.name;
    let candidates = match cx.find(id, "", "Service", name) {
        Resolution::Found(ids) => ids,
        Resolution::Missing(_) => {
            return Verdict::Invalid(format!("names Service `{name}`, which does not exist"))
        }
        Resolution::Unknowable(_) => return Verdict::Unknown,
    };
    let Some(services) = readable_services(cx, &candidates) else {
        return Verdict::Unknown;
    };
    let mut problems = services
        .iter()
        .map(|(_, svc)| service_problem(svc, service));
    // With several candidates (an unknown namespace), one usable Service is enough.
    match problems.next().flatten() {
        Some(p) if problems.all(|q| q.is_some()) => Verdict::Invalid(p),
        _ => Verdict::Valid,
    }
}

fn service_problem(svc: &Service, backend: &IngressServiceBackend) -> Option<String> {
    let name = &backend.name;
    if is_external_name(svc) {
        return Some(format!(
            "names Service `{name}`, which is of type ExternalName"
        ));
    }
    if is_headless(svc) {
        return Some(format!(
            "names Service `{name}`, which is headless (clusterIP: None)"
        ));
    }
    let port = backend.port.as_ref();
    let port_name = port
        .and_then(|p| p.name.as_deref())
        .filter(|n| !n.is_empty());
    match (port_name, port.and_then(|p| p.number).unwrap_or(0)) {
        (Some(p), _)
            if !service_ports(svc)
                .iter()
                .any(|sp| sp.name.as_deref() == Some(p)) =>
        {
            Some(format!(
                "names port `{p}`, which Service `{name}` does not have"
            ))
        }
        (None, 0) => Some("names no port".into()),
        _ => None,
    }
}

/// The backends the operator keeps, in its order: `defaultBackend`, then the paths of rules it
/// does not ignore.
pub(crate) struct Usable {
    pub valid: bool,
    pub unknown: bool,
    pub dropped: Vec<Dropped>,
}

/// A rule or backend the operator drops: where, why, and whether for a rule's host.
pub(crate) struct Dropped {
    pub span: Span,
    pub why: String,
    pub for_host: bool,
}

pub(crate) fn usable_backends(cx: &Ctx<'_, '_>, ts: &TsIngress<'_>) -> Usable {
    let mut out = Usable {
        valid: false,
        unknown: false,
        dropped: Vec::new(),
    };
    let Some(spec) = &ts.ingress.spec else {
        return out;
    };
    let root = cx.root(ts.id);
    let name = ingress_name(cx, ts.id, ts.ingress).map(|n| n.name);
    let mut kept: Vec<(&IngressBackend, String)> = Vec::new();
    if let Some(b) = &spec.default_backend {
        kept.push((b, "spec.defaultBackend".into()));
    }
    for (i, rule) in spec.rules.iter().flatten().enumerate() {
        let host = rule.host.as_deref().unwrap_or("");
        if rule_ignored(ts, host, name.as_deref()) {
            out.dropped.push(Dropped {
                span: span_at(root, &format!("spec.rules[{i}].host")),
                why: format!("spec.rules[{i}] is ignored for its host {host:?}"),
                for_host: true,
            });
            continue;
        }
        for (j, p) in rule.http.iter().flat_map(|h| &h.paths).enumerate() {
            kept.push((
                &p.backend,
                format!("spec.rules[{i}].http.paths[{j}].backend"),
            ));
        }
    }
    for (backend, path) in kept {
        match backend_verdict(cx, ts.id, backend) {
            Verdict::Valid => out.valid = true,
            Verdict::Unknown => out.unknown = true,
            Verdict::Invalid(why) => out.dropped.push(Dropped {
                span: span_at(root, &format!("{path}.service.name")),
                why: format!("{path} {why}"),
                for_host: false,
            }),
        }
    }
    out
}

/// Exposed Services among the Ingress's backends, with their tailnet names.
pub(crate) fn exposed_backends(cx: &Ctx<'_, '_>, ts: &TsIngress<'_>) -> Vec<(InstId, TailnetName)> {
    let mut out: Vec<(InstId, TailnetName)> = Vec::new();
    for (_, found) in cx.ingress_backends(ts.id) {
        for &s in found.found() {
            if exposed_service(cx, s).is_some() && !out.iter().any(|(o, _)| *o == s) {
                if let Some(n) = service_name(cx, s) {
                    out.push((s, n));
                }
            }
        }
    }
    out
}

/// How to fix an Ingress whose rule hosts the operator ignores: drop the host and use the
/// MagicDNS name (or pick one through `spec.tls`), or rely on the Service's own exposure.
pub(crate) fn host_fix_help(cx: &Ctx<'_, '_>, ts: &TsIngress<'_>) -> String {
    let url = match ingress_name(cx, ts.id, ts.ingress) {
        Some(n) => format!("https://{}.<tailnet>.ts.net/", n.name),
        None => "https://<namespace>-<name>-ingress.<tailnet>.ts.net/".into(),
    };
    let exposed = exposed_backends(cx, ts);
    let taken = match exposed.first() {
        Some((s, n)) => format!(" (not `{}`: {} has it)", n.name, cx.describe(*s)),
        None => String::new(),
    };
    let second = match exposed.first() {
        Some((s, n)) => format!(
            "keep using {}, which `{EXPOSE}: \"true\"` already exposes as http://{}/ on every Service port (L3 forwarding), and delete this Ingress",
            cx.describe(*s),
            n.name
        ),
        None => format!(
            "expose the backend Service itself with `{EXPOSE}: \"true\"` (http://<its name>/ on every Service port, L3 forwarding) and delete this Ingress"
        ),
    };
    format!(
        "either (1) remove `host` so the rule applies: the Ingress is then served only as {url} (HTTPS, port 443); to choose the name, set `spec.tls: [{{hosts: [<name>]}}]` and `host: <name>` with a name no other tailnet device uses{taken}; or (2) {second}"
    )
}

/// The key of `spec` (or the root when there is none): where whole-Ingress findings point.
pub(crate) fn spec_key(cx: &Ctx<'_, '_>, id: InstId) -> Span {
    let root = cx.root(id);
    key_span_at(root, "spec").unwrap_or(root.span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_dnsname_valid_label() {
        assert_eq!(label_problem("anthropic-oauth-proxy"), None);
        assert_eq!(label_problem("App1"), None);
        assert_eq!(label_problem("a"), None);
        assert_eq!(label_problem("").as_deref(), Some("empty DNS label"));
        assert!(label_problem("-a").unwrap().contains("must start"));
        assert!(label_problem("a-").unwrap().contains("must end"));
        assert!(label_problem("a.b")
            .unwrap()
            .contains("invalid character '.'"));
        assert!(label_problem("*").unwrap().contains("must start"));
        assert!(label_problem(&"a".repeat(64)).unwrap().contains("too long"));
        assert_eq!(label_problem(&"a".repeat(63)), None);
    }
}
