//! A Tailscale Ingress path uses `pathType: Exact`, which the operator treats as Prefix.
//!
//! Docs: `rules/tailscale-exact-path-type.md`.

use crate::finding::{Finding, Severity};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::span_at;
use super::tailscale::{ingress_name, rule_ignored, tailscale_ingresses};

pub struct TailscaleExactPathType;

static META: RuleMeta = RuleMeta {
    id: "tailscale-exact-path-type",
    severity: Severity::Info,
    summary:
        "A Tailscale Ingress path uses `pathType: Exact`, which the operator treats as Prefix.",
    default_enabled: true,
    scope: Scope::File,
    fix: None,
};

impl Rule for TailscaleExactPathType {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for ts in tailscale_ingresses(cx) {
            let Some(spec) = &ts.ingress.spec else {
                continue;
            };
            let root = cx.root(ts.id);
            let name = ingress_name(cx, ts.id, ts.ingress).map(|n| n.name);
            for (i, rule) in spec.rules.iter().flatten().enumerate() {
                // The operator never reads the paths of a rule it ignores.
                if rule_ignored(&ts, rule.host.as_deref().unwrap_or(""), name.as_deref()) {
                    continue;
                }
                for (j, p) in rule.http.iter().flat_map(|h| &h.paths).enumerate() {
                    if &*p.path_type != "Exact" {
                        continue;
                    }
                    let path = p.path.as_deref().unwrap_or("");
                    out.push(
                        Finding::new(
                            &META,
                            span_at(root, &format!("spec.rules[{i}].http.paths[{j}].pathType")),
                            format!(
                                "{}: the Tailscale operator routes path {path:?} (pathType Exact) as Prefix",
                                cx.describe(ts.id)
                            ),
                        )
                        .note(format!(
                            "{path:?} also matches the paths below it (event UnsupportedPathTypeExact)"
                        ))
                        .label("routed as Prefix")
                        .help("use `pathType: Prefix`, which is what the operator does; its documentation lists Prefix as the only supported path type"),
                    );
                }
            }
        }
    }
}
