//! A suppression that matched no finding: stale exceptions hide the next real bug.
//!
//! Docs: `rules/unused-suppression.md`.

use crate::finding::{Finding, Severity};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::rules::{by_id, RULES};

pub struct UnusedSuppression;

static META: RuleMeta = RuleMeta {
    id: "unused-suppression",
    severity: Severity::Warning,
    summary: "A suppression that matched no finding: stale exceptions hide the next real bug.",
    default_enabled: true,
    scope: Scope::File,
    fix: None,
};

impl Rule for UnusedSuppression {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn after_suppressions(&self) -> bool {
        true
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        // With a rule turned off, a `*` may be waiting for that rule's finding.
        let all_ran = RULES.iter().all(|r| {
            let m = r.meta();
            !m.default_enabled || r.after_suppressions() || cx.ran.contains(&m.id)
        });
        for s in cx.suppressions {
            if s.is_wildcard() {
                // Linting a sub-tree, a `*` may be waiting for a finding that needs files out of
                // view.
                if !s.used[0] && all_ran && !cx.partial_view {
                    out.push(
                        Finding::new(&META, s.span, "this `*` suppression matches no finding")
                            .label("suppresses nothing")
                            .help("remove the suppression"),
                    );
                }
                continue;
            }
            for ((id, span), used) in s.rules.iter().zip(&s.used) {
                // A rule that did not run (turned off) cannot be matched: not stale. Nor can a
                // finding that depends on files out of view, linting a sub-tree.
                let Some(rule) = by_id(id) else { continue };
                let out_of_view = cx.partial_view && rule.meta().scope == Scope::Repository;
                if *used || !cx.ran.contains(&id.as_str()) || out_of_view {
                    continue;
                }
                out.push(
                    Finding::new(
                        &META,
                        *span,
                        format!("suppression of `{id}` matches no finding here"),
                    )
                    .label("suppresses nothing")
                    .help(format!(
                        "remove `{id}` from the suppression; the finding it excused is gone"
                    )),
                );
            }
        }
    }
}
