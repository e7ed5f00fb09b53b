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
    fix: None,
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
            let finding = Finding::new(
                &META,
                span,
                format!("{} `{}`: {at}{}", o.kind(), o.name(), err.message),
            )
            .label("wrong type");
            // `containerPort: PORT`: a sample's word for the reader to fill in, not a typo of a
            // number; the file is evidently not applied as it stands.
            out.push(if scalar && is_fill_in(value) && expects_integer(&err.message) {
                finding
                    .note(format!("`{value}` looks like a word to fill in before applying"))
                    .severity(Severity::Info)
                .help("replace it with a number before applying the file")
            } else {
                finding.help("use the type the Kubernetes API expects: quote strings (label values, annotations), leave numbers unquoted (ports)")
            });
        }
    }
}

/// An upper-case word (`PORT`, `NODE_PORT`): what samples write where the reader puts a value.
fn is_fill_in(value: &str) -> bool {
    let v = value.trim_matches(|c| c == '"' || c == '\'');
    v.len() >= 2
        && v.starts_with(|c: char| c.is_ascii_uppercase())
        && v.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Whether the decoder wanted an integer there (serde's "expected i32", "expected u16", ...).
fn expects_integer(message: &str) -> bool {
    ["expected i", "expected u"].iter().any(|p| {
        message
            .split(p)
            .nth(1)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    })
}

#[cfg(test)]
mod tests {
    use super::{expects_integer, is_fill_in};

    #[test]
    fn fill_in_words_are_upper_case_identifiers() {
        for v in ["PORT", "\"NODE_PORT\"", "P2"] {
            assert!(is_fill_in(v), "{v}");
        }
        for v in ["P", "port", "8080a", "Port", "PORT-1", ""] {
            assert!(!is_fill_in(v), "{v}");
        }
        assert!(expects_integer(
            "invalid type: string \"PORT\", expected i32"
        ));
        assert!(!expects_integer(
            "invalid type: integer `1`, expected a string"
        ));
        assert!(!expects_integer("invalid type: string, expected intstr"));
    }
}
