//! A Tailscale Ingress has no backend the operator can use, so it provisions no proxy.
//!
//! Docs: `rules/tailscale-no-valid-backends.md`.

use crate::finding::{Finding, Severity};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::tailscale::{host_fix_help, spec_key, tailscale_ingresses, usable_backends};

pub struct TailscaleNoValidBackends;

static META: RuleMeta = RuleMeta {
    id: "tailscale-no-valid-backends",
    severity: Severity::Error,
    summary: "A Tailscale Ingress has no backend the operator can use, so it provisions no proxy.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for TailscaleNoValidBackends {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        // The ProxyGroup reconciler has no NoValidBackends check: it provisions regardless.
        for ts in tailscale_ingresses(cx).into_iter().filter(|t| !t.ha) {
            let Some(spec) = &ts.ingress.spec else {
                continue;
            };
            // With neither rules nor defaultBackend the API server rejects the Ingress
            // (`ingress-spec-invalid`); the operator never sees it.
            let empty = spec.default_backend.is_none() && spec.rules.iter().flatten().count() == 0;
            if empty {
                continue;
            }
            let usable = usable_backends(cx, &ts);
            if usable.valid || usable.unknown {
                continue;
            }
            let mut why: Vec<String> = Vec::new();
            if spec.default_backend.is_none() {
                why.push("it has no defaultBackend".into());
            }
            why.extend(usable.dropped.iter().map(|d| d.why.clone()));
            let mut f = Finding::new(
                &META,
                spec_key(cx, ts.id),
                format!(
                    "{} leaves the Tailscale operator no valid backend",
                    cx.describe(ts.id)
                ),
            );
            for reason in why {
                f = f.note(reason);
            }
            let mut f = f
            .note("the operator records event NoValidBackends and provisions no proxy (operator ≥ v1.60), so this Ingress exposes nothing")
            .label("no valid backend");
            for d in &usable.dropped {
                f = f.related(d.span, format!("dropped: {}", d.why));
            }
            let host_only = usable.dropped.iter().all(|d| d.for_host);
            let help = if host_only {
                host_fix_help(cx, &ts)
            } else {
                "point a path or the defaultBackend at a Service of this namespace that has a ClusterIP (not ExternalName, not headless), with a port number or one of its port names".into()
            };
            out.push(f.help(help));
        }
    }
}
