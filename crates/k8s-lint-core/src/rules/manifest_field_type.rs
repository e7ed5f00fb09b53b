//! A field of a core Kubernetes object has the wrong type, so the API server rejects the object.
//!
//! Docs: `rules/manifest-field-type.md`.

use crate::finding::{Finding, Severity};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

pub struct ManifestFieldType;

static META: RuleMeta = RuleMeta {
    id: "manifest-field-type",
    severity: Severity::Error,
    summary: "A field of a core Kubernetes object has the wrong type, so the API server rejects the object.",
    default_enabled: true,
    scope: Scope::File,
};

impl Rule for ManifestFieldType {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for (object, err) in &cx.index.type_errors {
            let o = &cx.objects[object.0 as usize];
            let span = err.span.unwrap_or(o.root(cx.parsed).span);
            // `${PORT}` in a number field is substituted before it reaches the API server.
            let value = cx
                .file(span.file)
                .text
                .get(span.range())
                .unwrap_or_default();
            let scalar = !value.contains('\n') && !value.contains(": ");
            if scalar && crate::placeholder::is_placeholder(value) {
                continue;
            }
            let path = err.path();
            let at = if path.is_empty() {
                String::new()
            } else {
                format!("`{path}`: ")
            };
            out.push(
                Finding::new(
                    &META,
                    span,
                    format!("{} `{}`: {at}{}", o.kind, o.name, err.message),
                )
                .label("wrong type")
                .help("use the type the Kubernetes API expects: quote strings (label values, annotations), leave numbers unquoted (ports)"),
            );
        }
    }
}
