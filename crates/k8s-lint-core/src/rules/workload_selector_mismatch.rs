//! A workload's `spec.selector` does not select its own pod template.
//!
//! Docs: `rules/workload-selector-mismatch.md`.

use crate::finding::{Finding, Severity};
use crate::index::labels;
use crate::object::Object;
use crate::rule::{InstanceRule, One, RuleMeta, Scope};
use crate::yaml::Node;

use super::{labels_span_in, selector_in, show_labels};

pub struct WorkloadSelectorMismatch;

static META: RuleMeta = RuleMeta {
    id: "workload-selector-mismatch",
    severity: Severity::Error,
    summary: "A workload's `spec.selector` does not select its own pod template.",
    default_enabled: true,
    scope: Scope::File,
    fix: None,
};

impl InstanceRule for WorkloadSelectorMismatch {
    fn rule_meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_instance(&self, one: &One<'_, '_, '_>, out: &mut Vec<Finding>) {
        let root = one.root();
        if !validated(one.object(), root) || one.opaque() {
            return;
        }
        let Some((template, path)) = one.template() else {
            return;
        };
        // A missing or empty selector is rejected with another message; nothing to compare.
        let Some((selector, node)) = selector_in(root, "spec.selector") else {
            return;
        };
        let have = labels(template);
        let Some(first) = selector.unsatisfied(have).next() else {
            return;
        };
        let missing: Vec<String> = selector.unsatisfied(have).map(|r| r.to_string()).collect();
        let span = first.span(node, have).unwrap_or(node.span);
        out.push(
            Finding::new(
                &META,
                span,
                format!(
                    "the selector of {} requires `{}`, unmet by its own pod template labels",
                    one.describe(),
                    missing.join(", ")
                ),
            )
            .label("not satisfied by the pod template labels")
            .note("the API server rejects it with \"spec.template.metadata.labels: Invalid value: ...: `selector` does not match template `labels`\"")
            .related(
                labels_span_in(root, path),
                format!("the pod template has {}", show_labels(have)),
            )
            .help(help(one)),
        );
    }
}

/// Kinds whose selector the API server checks against the template. A Job's selector is
/// generated unless `manualSelector: true`, so only a manual one is compared.
fn validated(o: &Object, root: &Node<'_>) -> bool {
    match (o.api_version(), o.kind()) {
        ("apps/v1", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet") => true,
        ("batch/v1", "Job") => {
            root.at("spec.manualSelector").and_then(Node::scalar_text) == Some("true")
        }
        _ => false,
    }
}

fn help(one: &One<'_, '_, '_>) -> String {
    format!(
        "add the missing labels to `spec.template.metadata.labels` of {}, or fix the selector; an existing workload's selector is immutable, so changing it means recreating the object",
        one.describe()
    )
}
