//! A Service sets `tailscale.com/expose` to a value other than "true", so the operator does not expose it.
//!
//! Docs: `rules/tailscale-expose-not-true.md`.

use crate::finding::{Finding, Severity};
use crate::index::View;
use crate::rule::{InstanceRule, One, RuleMeta, Scope};

use super::annotation;
use super::tailscale::EXPOSE;

pub struct TailscaleExposeNotTrue;

static META: RuleMeta = RuleMeta {
    id: "tailscale-expose-not-true",
    severity: Severity::Warning,
    summary: "A Service sets `tailscale.com/expose` to a value other than \"true\", so the operator does not expose it.",
    default_enabled: true,
    scope: Scope::File,
    fix: None,
};

impl InstanceRule for TailscaleExposeNotTrue {
    fn rule_meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_instance(&self, one: &One<'_, '_, '_>, out: &mut Vec<Finding>) {
        if !matches!(one.view(), View::Service(_)) || one.opaque() {
            return;
        }
        // A YAML boolean is a type error the API server rejects (`manifest-field-type`).
        let Some(entry) = annotation(one.root(), EXPOSE) else {
            return;
        };
        let Some(value) = entry.value().as_str().filter(|v| *v != "true") else {
            return;
        };
        out.push(
            Finding::new(
                &META,
                entry.value().span,
                format!(
                    "{} sets `{EXPOSE}: {value:?}` instead of \"true\"",
                    one.describe()
                ),
            )
            .note("the Tailscale operator exposes a Service only when the value is exactly \"true\", so this Service is not exposed")
            .label("not \"true\"")
            .help(format!(
                "write `{EXPOSE}: \"true\"` (quoted, lowercase) to expose the Service, or remove the annotation"
            )),
        );
    }
}
