//! A numeric Service targetPort is not among the container ports the selected pods declare.
//!
//! Docs: `rules/service-target-port-undeclared.md`.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::finding::{Finding, Severity};
use crate::index::View;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::{selected_pods, service_ports, serving_containers, span_at, target_port};

pub struct ServiceTargetPortUndeclared;

static META: RuleMeta = RuleMeta {
    id: "service-target-port-undeclared",
    // Declared ports are informational to Kubernetes, but a defaulted targetPort (the author
    // wrote only `port`) that none of the pods' declared ports is, is far more often a
    // forgotten `targetPort` than an undeclared listener. An explicit number is the author's
    // statement about the process: that one is only an info.
    severity: Severity::Warning,
    summary:
        "A numeric Service targetPort is not among the container ports the selected pods declare.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for ServiceTargetPortUndeclared {
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
            let numeric = service_ports(svc)
                .iter()
                .any(|p| matches!(target_port(p), IntOrString::Int(_)));
            if !numeric {
                continue;
            }
            let mut declared: Vec<i32> = Vec::new();
            // Where the first declared port is: the pod, its container's path and the index.
            let mut first_decl = None;
            for &t in pods {
                let (template, path) = cx.index.template(t).expect("selected are templates");
                let Some(spec) = &template.spec else { continue };
                for (c, c_path) in serving_containers(spec, path) {
                    for (k, cp) in c.ports.iter().flatten().enumerate() {
                        declared.push(cp.container_port);
                        if first_decl.is_none() {
                            first_decl = Some((t, c_path.clone(), k));
                        }
                    }
                }
            }
            let Some((decl_inst, decl_path, decl_k)) = first_decl else {
                undeclared_everywhere(cx, id, svc, pods, out);
                continue;
            };
            declared.sort_unstable();
            declared.dedup();
            // Ports a container is told to listen on (`--metrics-bind-address=:8443`,
            // `PORT=9090`) count as declared: the process evidently serves them. Read only
            // when a port is not declared.
            let mut configured = None;
            let root = cx.root(id);
            for (i, port) in service_ports(svc).iter().enumerate() {
                let IntOrString::Int(n) = target_port(port) else {
                    continue;
                };
                if declared.contains(&n)
                    || configured
                        .get_or_insert_with(|| configured_ports(cx, pods))
                        .contains(&n)
                {
                    continue;
                }
                let decl_span = span_at(
                    cx.root(decl_inst),
                    &format!("{decl_path}.ports[{decl_k}].containerPort"),
                );
                let explicit = root.at(&format!("spec.ports[{i}].targetPort")).is_some();
                let span = if explicit {
                    span_at(root, &format!("spec.ports[{i}].targetPort"))
                } else {
                    span_at(root, &format!("spec.ports[{i}].port"))
                };
                let list: Vec<String> = declared.iter().map(i32::to_string).collect();
                let finding = Finding::new(
                    &META,
                    span,
                    format!(
                        "{} port {} sends to targetPort {n}, which no selected pod declares",
                        cx.describe(id),
                        port.port
                    ),
                );
                let finding = if explicit {
                    finding
                } else {
                    finding.note(format!(
                        "targetPort is not set, so it defaults to `port` ({})",
                        port.port
                    ))
                };
                let finding = finding
                    .note(format!("the selected pods declare {}", list.join(", ")))
                    .note(format!(
                        "the Service still works if the process listens on {n}"
                    ));
                let finding = if explicit {
                    finding.severity(Severity::Info)
                } else {
                    finding
                };
                out.push(
                    finding
                    .label("not a declared containerPort")
                    .related(decl_span, format!("{} declares its ports here", cx.describe(decl_inst)))
                    .help(format!(
                        "if the container listens on {n}, declare it as a containerPort; otherwise target one of {}",
                        list.join(", ")
                    )),
                );
            }
        }
    }
}

/// The selected pods declare no ports at all (legal, and common): each numeric target is only
/// worth an info saying it cannot be checked, unless a container is told to listen on it.
fn undeclared_everywhere(
    cx: &Ctx<'_, '_>,
    id: crate::index::InstId,
    svc: &crate::network::Service,
    pods: &[crate::index::InstId],
    out: &mut Vec<Finding>,
) {
    let root = cx.root(id);
    let configured = configured_ports(cx, pods);
    for (i, port) in service_ports(svc).iter().enumerate() {
        let IntOrString::Int(n) = target_port(port) else {
            continue;
        };
        if configured.contains(&n) {
            continue;
        }
        let explicit = root.at(&format!("spec.ports[{i}].targetPort")).is_some();
        let field = if explicit { "targetPort" } else { "port" };
        let mut f = Finding::new(
            &META,
            span_at(root, &format!("spec.ports[{i}].{field}")),
            format!(
                "{} port {} sends to {n}, but the selected pods declare no container ports",
                cx.describe(id),
                port.port
            ),
        )
        .severity(Severity::Info)
        .label("not checked")
        .note(format!(
            "k8s-lint cannot check that the selected pods listen on {n}"
        ));
        if let Some(&t) = pods.first() {
            f = f.related(
                cx.root(t).span,
                format!("{} declares no ports", cx.describe(t)),
            );
        }
        out.push(f.help(format!(
            "declare `containerPort: {n}` on the container that serves it, so that reviews and tools can see the wiring"
        )));
    }
}

/// Numbers in the containers' `command`, `args` and `env` values of the selected pods, as
/// whole tokens (`:8443`, `--port=9090`, `8080`).
fn configured_ports(cx: &Ctx<'_, '_>, pods: &[crate::index::InstId]) -> Vec<i32> {
    let mut out = Vec::new();
    for &t in pods {
        let Some((template, path)) = cx.index.template(t) else {
            continue;
        };
        let Some(spec) = &template.spec else { continue };
        for (c, _) in serving_containers(spec, path) {
            let env = c.env.iter().flatten().filter_map(|e| e.value.as_ref());
            let words = c
                .command
                .iter()
                .flatten()
                .chain(c.args.iter().flatten())
                .chain(env);
            for w in words {
                for token in w.split(|ch: char| !ch.is_ascii_digit()) {
                    if let Ok(n) = token.parse::<i32>() {
                        out.push(n);
                    }
                }
            }
        }
    }
    out
}
