//! A named Service targetPort matches no container port of the selected pods.
//!
//! Docs: `rules/service-target-port-unresolved.md`.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::finding::{Finding, Severity};
use crate::index::View;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::{
    describe_port, key_span_at, protocol, selected_pods, service_ports, serving_containers,
    span_at, target_port,
};

pub struct ServiceTargetPortUnresolved;

static META: RuleMeta = RuleMeta {
    id: "service-target-port-unresolved",
    severity: Severity::Error,
    summary: "A named Service targetPort matches no container port of the selected pods.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for ServiceTargetPortUnresolved {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for id in cx.index.ids() {
            let View::Service(svc) = cx.index.view(id) else {
                continue;
            };
            let Some(pods) = selected_pods(cx, id, svc) else {
                continue;
            };
            for (i, port) in service_ports(svc).iter().enumerate() {
                let IntOrString::String(name) = target_port(port) else {
                    continue;
                };
                let proto = protocol(port.protocol.as_deref());
                let mut same_name_other_proto = None;
                let mut resolved = false;
                'pods: for &t in pods {
                    let (template, path) = cx.index.template(t).expect("selected are templates");
                    let Some(spec) = &template.spec else { continue };
                    for (c, _) in serving_containers(spec, path) {
                        for cp in c.ports.as_deref().unwrap_or(&[]) {
                            if cp.name.as_deref() != Some(name.as_str()) {
                                continue;
                            }
                            let cp_proto = protocol(cp.protocol.as_deref());
                            if cp_proto == proto {
                                resolved = true;
                                break 'pods;
                            }
                            same_name_other_proto = Some(cp_proto.to_string());
                        }
                    }
                }
                if resolved {
                    continue;
                }
                // Unresolved: only now what the finding shows (most ports resolve, and these
                // spans and lists were most of the rule's time).
                let mut related = Vec::new();
                let mut declared = Vec::new();
                for &t in pods {
                    let (template, path) = cx.index.template(t).expect("selected are templates");
                    let Some(spec) = &template.spec else { continue };
                    let t_root = cx.root(t);
                    for (c, c_path) in serving_containers(spec, path) {
                        let ports = c.ports.as_deref().unwrap_or(&[]);
                        for cp in ports {
                            let cp_proto = protocol(cp.protocol.as_deref());
                            declared.push(describe_port(
                                cp.container_port,
                                cp.name.as_deref(),
                                cp_proto,
                            ));
                        }
                        let at = key_span_at(t_root, &format!("{c_path}.ports"))
                            .or_else(|| key_span_at(t_root, &format!("{c_path}.name")))
                            .unwrap_or(t_root.span);
                        let list: Vec<String> = ports
                            .iter()
                            .map(|cp| {
                                describe_port(
                                    cp.container_port,
                                    cp.name.as_deref(),
                                    protocol(cp.protocol.as_deref()),
                                )
                            })
                            .collect();
                        let list = if list.is_empty() {
                            "no ports".to_string()
                        } else {
                            list.join(", ")
                        };
                        related.push((
                            at,
                            format!(
                                "container `{}` of {} declares {list}",
                                c.name,
                                cx.describe(t)
                            ),
                        ));
                    }
                }
                let root = cx.root(id);
                let shown = describe_port(port.port, None, proto);
                let message = match &same_name_other_proto {
                    Some(p) => format!(
                        "{} port {shown} targets `{name}`, which the selected pods declare as a {p} port",
                        cx.describe(id)
                    ),
                    None => format!(
                        "{} port {shown} targets `{name}`, but no selected pod declares a {proto} port named `{name}`",
                        cx.describe(id)
                    ),
                };
                let mut f = Finding::new(
                    &META,
                    span_at(root, &format!("spec.ports[{i}].targetPort")),
                    message,
                )
                .label("unresolved port name")
                .note("the Service gets no endpoints for this port");
                for (at, msg) in related {
                    f = f.related(at, msg);
                }
                declared.dedup();
                let help = match (&same_name_other_proto, declared.is_empty()) {
                    (Some(p), _) => format!(
                        "make the Service port {p}, or declare `{name}` as a {proto} container port too (a container may declare the same port for both protocols)"
                    ),
                    (None, true) => format!(
                        "name a container port `{name}` in the selected pods, or use the port number as targetPort"
                    ),
                    (None, false) => format!(
                        "use a declared container port name or number as targetPort ({}), or name a container port `{name}`",
                        declared.join(", ")
                    ),
                };
                out.push(f.help(help));
            }
        }
    }
}
