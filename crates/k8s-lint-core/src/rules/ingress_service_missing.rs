//! An Ingress backend names a Service that no manifest defines in the Ingress's namespace.
//!
//! Docs: `rules/ingress-service-missing.md`.

use crate::finding::{Finding, Severity};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::{in_namespace, key_span_at, span_at};

pub struct IngressServiceMissing;

static META: RuleMeta = RuleMeta {
    id: "ingress-service-missing",
    severity: Severity::Error,
    summary:
        "An Ingress backend names a Service that no manifest defines in the Ingress's namespace.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for IngressServiceMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        let mut found_missing = Vec::new();
        for id in cx.index.ids() {
            let backends = cx.ingress_backends(id);
            if backends.iter().all(|(_, found)| found.is_found()) {
                continue;
            }
            let root = cx.root(id);
            for (b, found) in backends {
                let name = &b.service.name;
                if found.is_found() {
                    continue;
                }
                let where_ = in_namespace(cx, id);
                let subject = format!("{} routes to Service `{name}`", cx.describe(id));
                let mut f = Finding::new(
                    &META,
                    span_at(root, &format!("{}.name", b.path)),
                    format!("{subject}, which no manifest defines{where_}"),
                )
                .label("no such Service");
                for &other in cx.index.services_named(name) {
                    let other_root = cx.root(other);
                    let at = key_span_at(other_root, "metadata.name").unwrap_or(other_root.span);
                    f = f.related(
                        at,
                        format!(
                            "{} is in another namespace; a backend only reaches Services in the Ingress's own namespace",
                            cx.describe(other)
                        ),
                    );
                }
                let f = f.help(format!(
                    "define Service `{name}`{where_}, or point the backend at a Service that exists there"
                ));
                let absence = format!("{subject}, which no manifest here defines{where_}");
                if let Some(f) = found.clone().judge(f, &absence) {
                    let key = super::object_key(cx, id, name);
                    found_missing.push((key, f));
                }
            }
        }
        super::one_per_object(found_missing, "also routes to it here", out);
    }
}
