//! An Ingress backend port matches no port of the Service it names.
//!
//! Docs: `rules/ingress-service-port-missing.md`.

use crate::finding::{Finding, Severity};
use crate::network::ServicePort;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::{
    describe_port, is_external_name, key_span_at, protocol, readable_services, service_ports,
    span_at,
};

pub struct IngressServicePortMissing;

static META: RuleMeta = RuleMeta {
    id: "ingress-service-port-missing",
    severity: Severity::Error,
    summary: "An Ingress backend port matches no port of the Service it names.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

enum Wanted<'a> {
    Number(i32),
    Name(&'a str),
}

impl Wanted<'_> {
    /// A number compares with `port`, a name with `name`: an unnamed port never matches a name.
    fn matches(&self, p: &ServicePort) -> bool {
        match self {
            Wanted::Number(n) => p.port == *n,
            Wanted::Name(n) => p.name.as_deref() == Some(*n),
        }
    }
}

impl Rule for IngressServicePortMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for id in cx.index.ids() {
            let root = cx.root(id);
            for (b, found) in cx.ingress_backends(id) {
                let Some(port) = &b.service.port else {
                    continue;
                };
                let (wanted, field) = match (&port.number, &port.name) {
                    (Some(n), _) => (Wanted::Number(*n), "number"),
                    (None, Some(n)) => (Wanted::Name(n), "name"),
                    (None, None) => continue,
                };
                let candidates = found.found();
                let Some(services) = readable_services(cx, candidates) else {
                    continue;
                };
                // ExternalName Services carry no ports to check against.
                if services.is_empty()
                    || services.iter().any(|(_, s)| is_external_name(s))
                    || services
                        .iter()
                        .any(|(_, s)| service_ports(s).iter().any(|p| wanted.matches(p)))
                {
                    continue;
                }
                let shown = match wanted {
                    Wanted::Number(n) => format!("port {n}"),
                    Wanted::Name(n) => format!("port name `{n}`"),
                };
                let mut f = Finding::new(
                    &META,
                    span_at(root, &format!("{}.port.{field}", b.path)),
                    format!(
                        "{} routes to {shown} of Service `{}`, which has no such port",
                        cx.describe(id),
                        b.service.name
                    ),
                )
                .label(format!("not a port of Service `{}`", b.service.name));
                let mut offered = Vec::new();
                for (svc_id, svc) in &services {
                    let ports: Vec<String> = service_ports(svc)
                        .iter()
                        .map(|p| {
                            describe_port(
                                p.port,
                                p.name.as_deref(),
                                protocol(p.protocol.as_deref()),
                            )
                        })
                        .collect();
                    let svc_root = cx.root(*svc_id);
                    let at = key_span_at(svc_root, "spec.ports").unwrap_or(svc_root.span);
                    let listed = if ports.is_empty() {
                        "no ports".to_string()
                    } else {
                        ports.join(", ")
                    };
                    f = f.related(at, format!("{} exposes {listed}", cx.describe(*svc_id)));
                    offered.extend(service_ports(svc).iter().map(|p| match wanted {
                        Wanted::Number(_) => p.port.to_string(),
                        Wanted::Name(_) => p.name.as_deref().unwrap_or_default().to_string(),
                    }));
                }
                offered.retain(|p| !p.is_empty());
                offered.dedup();
                let help = match (wanted, offered.is_empty()) {
                    (Wanted::Name(_), true) => "the Service's ports have no names: use `port.number` with the Service `port` (not its targetPort)".to_string(),
                    (_, true) => "add the port to the Service".to_string(),
                    (Wanted::Number(_), false) => format!(
                        "use a Service `port` ({}): an Ingress targets the Service port, not the targetPort or container port",
                        offered.join(", ")
                    ),
                    (Wanted::Name(_), false) => format!("use one of the Service's port names ({})", offered.join(", ")),
                };
                out.push(f.help(help));
            }
        }
    }
}
