//! An Ingress sets both the `kubernetes.io/ingress.class` annotation and `spec.ingressClassName`, which Kubernetes 1.26 and older reject on create.
//!
//! Docs: `rules/ingress-class-both-set.md`.

use crate::finding::{Finding, Severity};
use crate::fix::{self, Applicability, Fix};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::settings::KubeVersion;

use super::tailscale::class_taken;
use super::{class_set_twice, span_at, INGRESS_CLASS_ANNOTATION};

pub struct IngressClassBothSet;

static META: RuleMeta = RuleMeta {
    id: "ingress-class-both-set",
    severity: Severity::Warning,
    summary: "An Ingress sets both the `kubernetes.io/ingress.class` annotation and `spec.ingressClassName`, which Kubernetes 1.26 and older reject on create.",
    default_enabled: true,
    scope: Scope::File,
    fix: Some(Applicability::Safe),
};

/// The first version that accepts equal values (kubernetes/kubernetes#115447).
const ACCEPTED_SINCE: KubeVersion = KubeVersion::new(1, 27);

impl Rule for IngressClassBothSet {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        let tailscale_class = (!class_taken(cx)).then_some(&cx.settings.tailscale_ingress_class);
        for (id, class_name, entry) in class_set_twice(cx) {
            if entry.value().as_str() != Some(class_name) {
                continue;
            }
            let root = cx.root(id);
            let rejected = format!(
                "annotations.{INGRESS_CLASS_ANNOTATION}: Invalid value: {class_name:?}: can not be set when the class field is also set"
            );
            let (severity, verdict) = match cx.settings.kubernetes_version {
                Some(v) if v < ACCEPTED_SINCE => (
                    Severity::Error,
                    vec![format!("Kubernetes {v} rejects the create: {rejected}")],
                ),
                Some(v) => (
                    Severity::Info,
                    vec![
                        format!("Kubernetes {v} accepts it, but the annotation is deprecated and redundant"),
                        format!("Kubernetes 1.26 and older reject the create: {rejected}"),
                    ],
                ),
                None => (
                    Severity::Warning,
                    vec![
                        format!("Kubernetes 1.26 and older reject the create: {rejected}"),
                        "Kubernetes 1.27 and newer accept it".to_string(),
                    ],
                ),
            };
            let file = entry.key_span().file;
            let removal = cx
                .as_written(id)
                .then(|| fix::yaml::remove_annotation(file, &cx.file(file).text, root, entry))
                .flatten();
            let fix = removal.map(|edit| {
                // Safe: the class field names the same class, and selects the controller alone.
                Fix::safe(
                    format!("remove the `{INGRESS_CLASS_ANNOTATION}` annotation"),
                    vec![edit],
                )
            });
            let mut f = Finding::new(
                &META,
                entry.value().span,
                format!(
                    "{} sets class {class_name:?} in both `{INGRESS_CLASS_ANNOTATION}` and spec.ingressClassName",
                    cx.describe(id)
                ),
            );
            for note in verdict {
                f = f.note(note);
            }
            if tailscale_class == Some(&class_name.to_string()) {
                f = f.note("the Tailscale operator ignores the annotation anyway");
            }
            let finding = f
                .severity(severity)
                .label("also set in spec.ingressClassName")
                .related(span_at(root, "spec.ingressClassName"), "the class field")
                .help(format!(
                    "remove the `{INGRESS_CLASS_ANNOTATION}` annotation: spec.ingressClassName alone selects the controller (updates are not checked, so the failure shows on a fresh create: a new cluster or namespace, a first GitOps sync)"
                ));
            out.push(finding.fix(fix));
        }
    }
}
