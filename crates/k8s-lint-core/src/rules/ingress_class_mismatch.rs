//! An Ingress sets the `kubernetes.io/ingress.class` annotation and `spec.ingressClassName` to different classes, which the API server rejects.
//!
//! Docs: `rules/ingress-class-mismatch.md`.

use crate::finding::{Finding, Severity};
use crate::rule::{InstanceRule, One, RuleMeta, Scope};
use crate::settings::KubeVersion;

use super::{class_in_both, span_at, INGRESS_CLASS_ANNOTATION};

pub struct IngressClassMismatch;

static META: RuleMeta = RuleMeta {
    id: "ingress-class-mismatch",
    severity: Severity::Error,
    summary: "An Ingress sets the `kubernetes.io/ingress.class` annotation and `spec.ingressClassName` to different classes, which the API server rejects.",
    default_enabled: true,
    scope: Scope::File,
    fix: None,
};

impl InstanceRule for IngressClassMismatch {
    fn rule_meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_instance(&self, one: &One<'_, '_, '_>, out: &mut Vec<Finding>) {
        let Some((class_name, entry)) = class_in_both(one) else {
            return;
        };
        let root = one.root();
        let Some(value) = entry.value().as_str() else {
            return;
        };
        if value == class_name {
            return;
        }
        // Before 1.27 any pair was rejected, with another text (kubernetes/kubernetes#115447).
        let detail = match one.settings().kubernetes_version {
            Some(v) if v < KubeVersion::new(1, 27) => {
                "can not be set when the class field is also set"
            }
            _ => "must match `ingressClassName` when both are specified",
        };
        out.push(
            Finding::new(
                &META,
                entry.value().span,
                format!(
                    "{} sets class {value:?} in `{INGRESS_CLASS_ANNOTATION}` but {class_name:?} in spec.ingressClassName",
                    one.describe()
                ),
            )
            .note(format!(
                "the API server rejects the create: annotations.{INGRESS_CLASS_ANNOTATION}: Invalid value: {value:?}: {detail}"
            ))
            .label("differs from spec.ingressClassName")
            .related(
                span_at(root, "spec.ingressClassName"),
                format!("spec.ingressClassName is {class_name:?}"),
            )
            .help(format!(
                "remove the deprecated `{INGRESS_CLASS_ANNOTATION}` annotation and keep the class you mean in spec.ingressClassName"
            )),
        );
    }
}
