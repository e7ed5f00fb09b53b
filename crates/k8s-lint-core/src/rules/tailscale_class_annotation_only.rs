//! An Ingress selects the Tailscale class only with the `kubernetes.io/ingress.class` annotation, which the operator ignores.
//!
//! Docs: `rules/tailscale-class-annotation-only.md`.

use crate::finding::{Finding, Severity};
use crate::fix::{self, Applicability, Fix};
use crate::index::View;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::tailscale::class_taken;
use super::{annotation, INGRESS_CLASS_ANNOTATION as CLASS_ANNOTATION};

pub struct TailscaleClassAnnotationOnly;

static META: RuleMeta = RuleMeta {
    id: "tailscale-class-annotation-only",
    severity: Severity::Warning,
    summary: "An Ingress selects the Tailscale class only with the `kubernetes.io/ingress.class` annotation, which the operator ignores.",
    default_enabled: true,
    scope: Scope::File,
    fix: Some(Applicability::Safe),
};

impl Rule for TailscaleClassAnnotationOnly {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        let class = &cx.settings.tailscale_ingress_class;
        if class_taken(cx) {
            return;
        }
        for id in cx.index.ids() {
            let View::Ingress(ingress) = cx.index.view(id) else {
                continue;
            };
            let has_class_name = ingress
                .spec
                .as_ref()
                .is_some_and(|s| s.ingress_class_name.is_some());
            if has_class_name || !ingress.class_annotation || cx.index.inst(id).opaque {
                continue;
            }
            let Some(entry) = annotation(cx.root(id), CLASS_ANNOTATION) else {
                continue;
            };
            if entry.value().as_str() != Some(class.as_str()) {
                continue;
            }
            let file = entry.key_span().file;
            let text = &cx.file(file).text;
            let root = cx.root(id);
            // Not where a build changed the tree, nor where the key is written (as null).
            let spec = root
                .get("spec")
                .filter(|spec| cx.as_written(id) && spec.get("ingressClassName").is_none());
            let edits =
                fix::yaml::remove_annotation(file, text, root, entry).zip(spec.and_then(|spec| {
                    fix::yaml::add_first_key(file, text, spec, "ingressClassName", class)
                }));
            // Safe: the operator then serves the Ingress the author evidently asked it to.
            let fix = edits.map(|(remove, add)| {
                Fix::safe(
                    format!("replace the annotation with `spec.ingressClassName: {class}`"),
                    vec![remove, add],
                )
            });
            out.push(
                Finding::new(
                    &META,
                    entry.value().span,
                    format!(
                        "{} asks for the Tailscale class only through the annotation `{CLASS_ANNOTATION}: {class}`",
                        cx.describe(id)
                    ),
                )
                .note("the Tailscale operator selects Ingresses by spec.ingressClassName alone, so it ignores this one")
                .label("ignored by the Tailscale operator")
                .help(format!(
                    "replace the annotation with `spec.ingressClassName: {class}` (the API server also warns: annotation \"{CLASS_ANNOTATION}\" is deprecated, please use 'spec.ingressClassName' instead)"
                ))
                .fix(fix),
            );
        }
    }
}
