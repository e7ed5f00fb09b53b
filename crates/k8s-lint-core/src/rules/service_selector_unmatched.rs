//! A Service selector selects no pod template of any workload in its namespace.
//!
//! Docs: `rules/service-selector-unmatched.md`.

use crate::finding::{Finding, Severity};
use crate::index::{labels, InstId, View};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::selector::{Labels, Selector};

use super::key_span_at;

pub struct ServiceSelectorUnmatched;

static META: RuleMeta = RuleMeta {
    id: "service-selector-unmatched",
    severity: Severity::Error,
    summary: "A Service selector selects no pod template of any workload in its namespace.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for ServiceSelectorUnmatched {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for id in cx.index.ids() {
            let View::Service(svc) = cx.index.view(id) else {
                continue;
            };
            let Some(found) = cx.service_pods(id) else {
                continue;
            };
            if found.is_found() {
                continue;
            }
            let Some(selector) = svc.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
                continue;
            };
            let wanted: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let absence = format!(
                "{} selects `{}`, matching no pod template here{}",
                cx.describe(id),
                wanted.join(", "),
                super::in_namespace(cx, id)
            );
            out.extend(
                found
                    .clone()
                    .judge(finding(cx, id, selector, &absence), &absence),
            );
        }
    }
}

fn finding(cx: &Ctx<'_, '_>, id: InstId, selector: &Labels, headline: &str) -> Finding {
    let root = cx.root(id);
    // Scored as `Selector::closeness` does: 2 per equal pair, 1 per key with another value.
    let best = super::nearest_template(cx, id, &Selector::from_labels(selector));
    // Point at the selector label the nearest workload disagrees with, else at `selector`.
    let (span, label) = match best.and_then(|t| first_mismatch(cx, t, selector)) {
        Some((key, has_key)) => {
            // Label keys often contain dots, so look the entry up by key, not by path.
            let entry = root.at("spec.selector").and_then(|s| s.entry(&key));
            let span = entry.map_or(root.span, |e| {
                if has_key {
                    e.value().span
                } else {
                    e.key_span()
                }
            });
            (span, "no pod template has this label")
        }
        None => (
            key_span_at(root, "spec.selector").unwrap_or(root.span),
            "selects nothing",
        ),
    };
    let mut f = Finding::new(&META, span, headline).label(label);
    let help = match best {
        Some(t) => {
            let (template, path) = cx.index.template(t).expect("nearest is a template");
            let t_root = cx.root(t);
            let labels_path = if path.is_empty() {
                "metadata.labels".to_string()
            } else {
                format!("{path}.metadata.labels")
            };
            let at = key_span_at(t_root, &labels_path).unwrap_or(t_root.span);
            let have: Vec<String> = labels(template)
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            f = f.related(
                at,
                format!("pod template of {} has {}", cx.describe(t), have.join(", ")),
            );
            format!(
                "make the selector a subset of the pod template labels of {}, or fix the labels",
                cx.describe(t)
            )
        }
        None => {
            "add a workload whose pod template carries these labels, or fix the selector".into()
        }
    };
    f.help(help)
}

/// The first selector key the template does not match, and whether the template has that key.
fn first_mismatch(cx: &Ctx<'_, '_>, t: InstId, selector: &Labels) -> Option<(String, bool)> {
    let l = labels(cx.index.template(t)?.0);
    selector
        .iter()
        .find(|(k, v)| l.get(k) != Some(v))
        .map(|(k, _)| (k.clone(), l.contains_key(k)))
}
