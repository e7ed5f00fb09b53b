//! Where references lead, for editors: from an Ingress backend to its Service, from a
//! Service selector to the pod templates it selects, from a kustomization entry to its file
//! or directory, from an autoscaler to its workload, from a disruption budget or a network
//! policy to its pods, from ports to the ports they name. Each link is resolved by the one policy
//! the rules use ([`Ctx::find`], [`Ctx::find_pods`]), so go-to-definition never disagrees
//! with a finding, and its hover says what the reference resolves to, or why the repository
//! cannot know.

use crate::index::{InstId, View};
use crate::kustomize::Target;
use crate::resolve::Resolution;
use crate::rule::Ctx;
use crate::rules::{backends, key_span_at, pods_of, selector_at, span_at, template_labels_span};
use crate::selector::Selector;
use crate::source::Span;

/// A reference written at `from`, and what it leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub from: Span,
    /// Where the referenced objects (or files) are defined; empty when none is here.
    pub to: Vec<Span>,
    /// What the reference resolves to, for a hover: one line.
    pub hover: String,
}

/// Every link of the repository, sorted by where they are written.
pub(crate) fn links(cx: &Ctx<'_, '_>) -> Vec<Link> {
    let mut out = Vec::new();
    for id in cx.index.ids() {
        if cx.index.inst(id).opaque {
            continue;
        }
        match cx.index.view(id) {
            View::Ingress(ingress) => {
                let root = cx.root(id);
                for b in backends(ingress) {
                    let name = &b.service.name;
                    let from = span_at(root, &format!("{}.name", b.path));
                    let found = cx.find(id, "", "Service", name);
                    out.extend(backend_port(cx, id, &b, found.found()));
                    out.push(named(cx, from, "Service", name, found));
                }
            }
            View::Service(svc) => {
                let Some(selector) = svc.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
                    continue;
                };
                if selector.is_empty() {
                    continue;
                }
                let root = cx.root(id);
                let from = key_span_at(root, "spec.selector").unwrap_or(root.span);
                let found = cx.find_pods(id, &Selector::from_labels(selector));
                out.extend(target_ports(cx, id, svc, found.found()));
                out.push(pods_link(cx, from, &found));
            }
            _ => {}
        }
    }
    // The pods a disruption budget or a network policy selects.
    for (group, kind, path) in [
        ("policy", "PodDisruptionBudget", "spec.selector"),
        ("networking.k8s.io", "NetworkPolicy", "spec.podSelector"),
    ] {
        for &id in cx.index.of_kind(group, kind) {
            if cx.index.inst(id).opaque {
                continue;
            }
            let Some((selector, _)) = selector_at(cx, id, path) else {
                continue;
            };
            let Some(found) = pods_of(cx, id, &selector) else {
                continue;
            };
            let root = cx.root(id);
            let from = key_span_at(root, path).unwrap_or(root.span);
            out.push(pods_link(cx, from, &found));
        }
    }
    // An autoscaler's workload.
    for &id in cx.index.of_kind("autoscaling", "HorizontalPodAutoscaler") {
        if cx.index.inst(id).opaque {
            continue;
        }
        let root = cx.root(id);
        let Some((group, kind, name)) = crate::rules::hpa_target_missing::scale_target(root) else {
            continue;
        };
        let from = span_at(root, "spec.scaleTargetRef.name");
        out.push(named(cx, from, kind, name, cx.find(id, group, kind, name)));
    }
    for k in &cx.model.kusts {
        for e in &k.entries {
            let (to, hover) = match e.target {
                Target::File(file) => (
                    vec![Span::new(file, 0, 0)],
                    format!("the file `{}`", cx.file(file).display()),
                ),
                Target::Dir(Some(kid)) => {
                    let file = cx.model.get(kid).file;
                    (
                        vec![Span::new(file, 0, 0)],
                        format!("the kustomization `{}`", cx.file(file).display()),
                    )
                }
                Target::Dir(None) => (Vec::new(), "a directory without a kustomization".into()),
                Target::Remote => (Vec::new(), "a remote resource: not fetched".into()),
                Target::Missing => (Vec::new(), "no such file or directory".into()),
                _ => continue,
            };
            out.push(Link {
                from: e.span,
                to,
                hover,
            });
        }
    }
    out.sort_by_key(|l| (l.from.file, l.from.start, l.from.end));
    out.dedup();
    out
}

/// A selector to the labels of the pod templates it selects.
fn pods_link(cx: &Ctx<'_, '_>, from: Span, found: &Resolution) -> Link {
    let to: Vec<Span> = found
        .found()
        .iter()
        .filter_map(|&t| {
            let (_, path) = cx.index.template(t)?;
            Some(template_labels_span(cx, t, path))
        })
        .collect();
    let hover = match found {
        Resolution::Found(ids) => format!(
            "selects the pods of {}",
            ids.iter()
                .map(|&t| cx.describe(t))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => unresolved(other, "no pod template here has these labels"),
    };
    Link { from, to, hover }
}

/// An Ingress backend's port (name or number) to the Service ports it names.
fn backend_port(
    cx: &Ctx<'_, '_>,
    id: InstId,
    b: &crate::rules::Backend<'_>,
    services: &[InstId],
) -> Option<Link> {
    let port = b.service.port.as_ref()?;
    let (field, wanted) = match (&port.name, port.number) {
        (Some(n), _) => ("name", n.clone()),
        (None, Some(n)) => ("number", n.to_string()),
        _ => return None,
    };
    let root = cx.root(id);
    let from = span_at(root, &format!("{}.port.{field}", b.path));
    let mut to = Vec::new();
    for &s in services {
        let svc_root = cx.root(s);
        let ports = svc_root
            .at("spec.ports")
            .and_then(|p| p.as_seq())
            .unwrap_or(&[]);
        for (i, p) in ports.iter().enumerate() {
            let key = if field == "name" { "name" } else { "port" };
            if p.get(key).and_then(|v| v.scalar_text()) == Some(wanted.as_str()) {
                to.push(span_at(svc_root, &format!("spec.ports[{i}]")));
            }
        }
    }
    let hover = if to.is_empty() {
        format!("no port {wanted} of Service `{}` is here", b.service.name)
    } else {
        format!("port {wanted} of Service `{}`", b.service.name)
    };
    Some(Link { from, to, hover })
}

/// Each of a Service's `targetPort`s to the container ports of the selected pods it names
/// (a number or a port name).
fn target_ports(
    cx: &Ctx<'_, '_>,
    id: InstId,
    svc: &crate::network::Service,
    pods: &[InstId],
) -> Vec<Link> {
    let root = cx.root(id);
    let mut out = Vec::new();
    let ports = svc.spec.as_ref().and_then(|s| s.ports.as_ref());
    for (i, port) in ports.into_iter().flatten().enumerate() {
        let Some(target) = &port.target_port else {
            continue;
        };
        let wanted = match target {
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(n) => n.to_string(),
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(s) => s.clone(),
        };
        let mut to = Vec::new();
        for &t in pods {
            let Some((template, path)) = cx.index.template(t) else {
                continue;
            };
            let Some(spec) = &template.spec else {
                continue;
            };
            let t_root = cx.root(t);
            for (c, c_path) in crate::rules::serving_containers(spec, path) {
                for (j, p) in c.ports.iter().flatten().enumerate() {
                    let matches = p.container_port.to_string() == wanted
                        || p.name.as_deref() == Some(wanted.as_str());
                    if matches {
                        to.push(span_at(t_root, &format!("{c_path}.ports[{j}]")));
                    }
                }
            }
        }
        let hover = if to.is_empty() {
            format!("no container port {wanted} of the selected pods is here")
        } else {
            format!("container port {wanted} of the selected pods")
        };
        out.push(Link {
            from: span_at(root, &format!("spec.ports[{i}].targetPort")),
            to,
            hover,
        });
    }
    out
}

/// A reference by kind and name (a backend's Service, an autoscaler's workload).
fn named(cx: &Ctx<'_, '_>, from: Span, kind: &str, name: &str, found: Resolution) -> Link {
    let to: Vec<Span> = found
        .found()
        .iter()
        .map(|&t| {
            let root = cx.root(t);
            key_span_at(root, "metadata.name").map_or(root.span, |_| span_at(root, "metadata.name"))
        })
        .collect();
    let hover = match &found {
        Resolution::Found(ids) if ids.is_empty() => format!("{kind} `{name}`, made by a generator"),
        Resolution::Found(ids) => ids
            .iter()
            .map(|&t| cx.describe(t))
            .collect::<Vec<_>>()
            .join(", "),
        other => unresolved(other, &format!("no manifest here defines {kind} `{name}`")),
    };
    Link { from, to, hover }
}

fn unresolved(found: &Resolution, missing: &str) -> String {
    match found {
        Resolution::Unknowable(u) if !u.reason.is_empty() => {
            format!("not defined here; {}", u.reason)
        }
        Resolution::Unknowable(_) => "decided outside the repository".into(),
        Resolution::Missing(Some((_, what))) => {
            format!("{missing}; {what} is defined in a file no kustomization lists")
        }
        _ => missing.to_string(),
    }
}
