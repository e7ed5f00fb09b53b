//! A HorizontalPodAutoscaler scales a workload that no manifest defines in its namespace.
//!
//! Docs: `rules/hpa-target-missing.md`.

use crate::finding::{Finding, Severity};
use crate::index::InstId;
use crate::object::group_of;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::yaml::Node;

use super::{closest, in_namespace, key_span_at, span_at};

pub struct HpaTargetMissing;

static META: RuleMeta = RuleMeta {
    id: "hpa-target-missing",
    severity: Severity::Error,
    summary:
        "A HorizontalPodAutoscaler scales a workload that no manifest defines in its namespace.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for HpaTargetMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for &id in cx.index.of_kind("autoscaling", "HorizontalPodAutoscaler") {
            if cx.index.inst(id).opaque {
                continue;
            }
            let Some((group, kind, name)) = scale_target(cx.root(id)) else {
                continue;
            };
            let found = cx.find(id, group, kind, name);
            if found.is_found() {
                continue;
            }
            let absence = headline(cx, id, kind, name);
            out.extend(found.judge(finding(cx, id, group, kind, name), &absence));
        }
    }
}

/// An autoscaler's `scaleTargetRef`: API group, kind and name, when all are written.
pub(crate) fn scale_target<'n>(root: &'n Node<'_>) -> Option<(&'n str, &'n str, &'n str)> {
    let s = |p: &str| root.at(p).and_then(Node::as_str).filter(|v| !v.is_empty());
    Some((
        group_of(s("spec.scaleTargetRef.apiVersion")?),
        s("spec.scaleTargetRef.kind")?,
        s("spec.scaleTargetRef.name")?,
    ))
}

/// What the repository shows, for the certain finding and the info alike.
fn headline(cx: &Ctx<'_, '_>, id: InstId, kind: &str, name: &str) -> String {
    // "here": the repository shows its own manifests only (the info says what else may).
    format!(
        "{} scales {kind} `{name}`, not defined here{}",
        cx.describe(id),
        in_namespace(cx, id)
    )
}

fn finding(cx: &Ctx<'_, '_>, id: InstId, group: &str, kind: &str, name: &str) -> Finding {
    let resource = format!(
        "{}s/scale{}",
        kind.to_ascii_lowercase(),
        if group.is_empty() {
            String::new()
        } else {
            format!(".{group}")
        }
    );
    let mut f = Finding::new(
        &META,
        span_at(cx.root(id), "spec.scaleTargetRef.name"),
        headline(cx, id, kind, name),
    )
    .label(format!("no such {kind}"))
    .note(format!(
        "the autoscaler never acts and reports `FailedGetScale` (`the HPA controller was unable to get the target's current scale: {resource} \"{name}\" not found`)"
    ));
    let candidates: Vec<InstId> = cx
        .index
        .of_kind(group, kind)
        .iter()
        .copied()
        .filter(|&t| cx.index.same_namespace(id, t))
        .collect();
    let names = candidates.iter().map(|&t| &*cx.index.inst(t).name);
    let near = closest(name, names);
    for &t in &candidates {
        if near == Some(&*cx.index.inst(t).name) {
            let root = cx.root(t);
            let at = key_span_at(root, "metadata.name").unwrap_or(root.span);
            f = f.related(at, format!("{} is defined here", cx.describe(t)));
            break;
        }
    }
    if let Some((other, t)) = other_kind(cx, id, kind, name) {
        let root = cx.root(t);
        let at = key_span_at(root, "metadata.name").unwrap_or(root.span);
        return f
            .related(at, format!("{} has this name", cx.describe(t)))
            .help(format!("did you mean `kind: {other}`? Set `scaleTargetRef.kind` (and `apiVersion`) to the kind of the workload"));
    }
    f.help(match near {
        Some(n) => format!("did you mean `{n}`? Point `scaleTargetRef` at the {kind} as deployed, in the HorizontalPodAutoscaler's namespace"),
        None => format!("point `scaleTargetRef` at a {kind} of the HorizontalPodAutoscaler's namespace, or remove the autoscaler"),
    })
}

/// A scalable workload of another kind with the name the autoscaler wants.
fn other_kind(
    cx: &Ctx<'_, '_>,
    id: InstId,
    kind: &str,
    name: &str,
) -> Option<(&'static str, InstId)> {
    ["Deployment", "StatefulSet", "ReplicaSet"]
        .into_iter()
        .filter(|k| *k != kind)
        .find_map(|k| match cx.find(id, "apps", k, name) {
            crate::resolve::Resolution::Found(ids) => Some((k, *ids.first()?)),
            _ => None,
        })
}
