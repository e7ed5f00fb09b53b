//! A PodDisruptionBudget selects no pod template in its namespace.
//!
//! Docs: `rules/pdb-selector-unmatched.md`.

use crate::finding::{Finding, Severity};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::{pods_of, selector_at, unmatched_selector};

pub struct PdbSelectorUnmatched;

static META: RuleMeta = RuleMeta {
    id: "pdb-selector-unmatched",
    severity: Severity::Warning,
    summary: "A PodDisruptionBudget selects no pod template in its namespace.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for PdbSelectorUnmatched {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for &id in cx.index.of_kind("policy", "PodDisruptionBudget") {
            if cx.object(id).api_version() != "policy/v1" {
                continue;
            }
            // A missing selector selects nothing in policy/v1, an empty one every pod: both
            // are deliberate enough not to second-guess.
            let Some((selector, node)) = selector_at(cx, id, "spec.selector") else {
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
            let certain = Finding::new(&META, node.span, absence.clone())
                .note("it limits no eviction: node drains may take down every pod it was meant to protect")
                .note("the disruption controller records `NoPods` (`No matching pods found`)");
            let f = unmatched_selector(cx, id, &selector, node, "spec.selector", certain);
            let f = f.help(
                "make the selector match the pod template labels of the workload this budget is for",
            );
            out.extend(found.judge(f, &absence));
        }
    }
}
