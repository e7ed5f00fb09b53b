//! A suppression names a rule id that does not exist, so it suppresses nothing.
//!
//! Docs: `rules/suppression-unknown-rule.md`.

use crate::finding::{Finding, Severity};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::rules::{by_id, closest, RULES};

pub struct SuppressionUnknownRule;

static META: RuleMeta = RuleMeta {
    id: "suppression-unknown-rule",
    severity: Severity::Warning,
    summary: "A suppression names a rule id that does not exist, so it suppresses nothing.",
    default_enabled: true,
    scope: Scope::File,
    fix: None,
};

impl Rule for SuppressionUnknownRule {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn after_suppressions(&self) -> bool {
        true
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for s in cx.suppressions {
            for (id, span) in &s.rules {
                if by_id(id).is_some() {
                    continue;
                }
                let help = match closest(id, RULES.iter().map(|r| r.meta().id)) {
                    Some(near) => {
                        format!("did you mean `{near}`? (`k8s-lint rules` lists the ids)")
                    }
                    None => "`k8s-lint rules` lists the rule ids".to_string(),
                };
                out.push(
                    Finding::new(&META, *span, format!("`{id}` is not a k8s-lint rule"))
                        .label("unknown rule")
                        .note("this suppression suppresses nothing")
                        .help(help),
                );
            }
        }
    }
}
