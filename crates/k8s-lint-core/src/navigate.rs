//! Where references lead, for editors: from an Ingress backend to its Service, from a
//! Service selector to the pod templates it selects, from a kustomization entry to its file
//! or directory, from an autoscaler to its workload. Each link is resolved by the one policy
//! the rules use ([`Ctx::find`], [`Ctx::find_pods`]), so go-to-definition never disagrees
//! with a finding, and its hover says what the reference resolves to, or why the repository
//! cannot know.

use crate::index::{InstId, View};
use crate::kustomize::Target;
use crate::resolve::Resolution;
use crate::rule::Ctx;
use crate::rules::{backends, key_span_at, span_at, template_labels_span};
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
                    out.push(named(cx, id, from, "", "Service", name));
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
                let to: Vec<Span> = found
                    .found()
                    .iter()
                    .filter_map(|&t| {
                        let (_, path) = cx.index.template(t)?;
                        Some(template_labels_span(cx, t, path))
                    })
                    .collect();
                let hover = match &found {
                    Resolution::Found(ids) => format!(
                        "selects the pods of {}",
                        ids.iter()
                            .map(|&t| cx.describe(t))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    other => unresolved(other, "no pod template here has these labels"),
                };
                out.push(Link { from, to, hover });
            }
            _ => {}
        }
    }
    // An autoscaler's workload.
    for &id in cx.index.of_kind("autoscaling", "HorizontalPodAutoscaler") {
        if cx.index.inst(id).opaque {
            continue;
        }
        let root = cx.root(id);
        let s = |p: &str| {
            root.at(p)
                .and_then(|n| n.as_str())
                .filter(|v| !v.is_empty())
        };
        let (Some(api_version), Some(kind), Some(name)) = (
            s("spec.scaleTargetRef.apiVersion"),
            s("spec.scaleTargetRef.kind"),
            s("spec.scaleTargetRef.name"),
        ) else {
            continue;
        };
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        let from = span_at(root, "spec.scaleTargetRef.name");
        out.push(named(cx, id, from, group, kind, name));
    }
    for k in &cx.model.kusts {
        for e in &k.entries {
            let (to, hover) = match e.target {
                Target::File(file) => (
                    vec![Span::new(file, 0, 0)],
                    format!("the file `{}`", cx.file(file).display),
                ),
                Target::Dir(Some(kid)) => {
                    let file = cx.model.get(kid).file;
                    (
                        vec![Span::new(file, 0, 0)],
                        format!("the kustomization `{}`", cx.file(file).display),
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

/// A reference by kind and name (a backend's Service, an autoscaler's workload).
fn named(cx: &Ctx<'_, '_>, id: InstId, from: Span, group: &str, kind: &str, name: &str) -> Link {
    let found = cx.find(id, group, kind, name);
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
