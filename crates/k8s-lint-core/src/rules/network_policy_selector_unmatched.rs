//! A NetworkPolicy's `podSelector` selects no pod template in its namespace.
//!
//! Docs: `rules/network-policy-selector-unmatched.md`.

use crate::finding::{Finding, Severity};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::{pods_of, selector_at, unmatched_selector};

pub struct NetworkPolicySelectorUnmatched;

static META: RuleMeta = RuleMeta {
    id: "network-policy-selector-unmatched",
    severity: Severity::Warning,
    summary: "A NetworkPolicy's `podSelector` selects no pod template in its namespace.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for NetworkPolicySelectorUnmatched {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for &id in cx.index.of_kind("networking.k8s.io", "NetworkPolicy") {
            // An empty `podSelector` selects every pod of the namespace, on purpose.
            let Some((selector, node)) = selector_at(cx, id, "spec.podSelector") else {
                continue;
            };
            let Some(found) = pods_of(cx, id, &selector) else {
                continue;
            };
            if found.is_found() {
                continue;
            }
            let absence = format!(
                "{} selects `{selector}`, matching no pod template here{}",
                cx.describe(id),
                super::in_namespace(cx, id)
            );
            let f = unmatched_selector(
                cx,
                id,
                &selector,
                node,
                "spec.podSelector",
                Finding::new(&META, node.span, absence.clone())
                    .note("it neither isolates nor admits traffic for any pod"),
            );
            let f = f.help(
                "make `podSelector` match the pod template labels of the pods this policy is for",
            );
            out.extend(found.judge(f, &absence));
        }
    }
}
