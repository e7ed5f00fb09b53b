//! A pod template runs as a ServiceAccount that the repository does not define.
//!
//! Docs: `rules/service-account-missing.md`.

use crate::finding::{Finding, Severity};
use crate::index::InstId;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::{closest, key_span_at, span_at};

pub struct ServiceAccountMissing;

static META: RuleMeta = RuleMeta {
    id: "service-account-missing",
    severity: Severity::Warning,
    summary: "A pod template runs as a ServiceAccount that the repository does not define.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for ServiceAccountMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        let mut missing = Vec::new();
        for (id, template, path) in cx.index.templates() {
            let Some(spec) = template.spec.as_ref() else {
                continue;
            };
            let Some((field, name)) = super::service_account(spec) else {
                continue;
            };
            if name == "default" || cx.index.inst(id).opaque {
                continue;
            }
            let found = cx.find(id, "", "ServiceAccount", name);
            if found.is_found() {
                continue;
            }
            let ns = cx.index.namespace(id);
            let defined_here: Vec<InstId> = cx
                .index
                .of_kind("", "ServiceAccount")
                .iter()
                .copied()
                .filter(|&sa| ns.is_some() && cx.index.namespace(sa) == ns)
                .collect();
            let absence = headline(cx, id, name);
            let f = finding(cx, id, path, field, name, &defined_here);
            if let Some(f) = found.judge(f, &absence) {
                missing.push((super::object_key(cx, id, name), f));
            }
        }
        super::one_per_object(missing, "also runs as it here", out);
    }
}

/// What the repository shows, for the certain finding and the info alike.
fn headline(cx: &Ctx<'_, '_>, id: InstId, name: &str) -> String {
    // "here": the repository shows its own manifests only (the info says what else may).
    format!(
        "{} runs as ServiceAccount `{name}`, not defined here{}",
        cx.describe(id),
        super::in_namespace(cx, id)
    )
}

fn finding(
    cx: &Ctx<'_, '_>,
    id: InstId,
    template_path: &str,
    field: &str,
    name: &str,
    defined: &[InstId],
) -> Finding {
    let prefix = if template_path.is_empty() {
        "spec".to_string()
    } else {
        format!("{template_path}.spec")
    };
    let ns = cx.index.namespace(id);
    let where_ = ns.map_or(String::new(), |n| format!(" in namespace `{n}`"));
    let shown_ns = ns.unwrap_or("<namespace>");
    let mut names: Vec<&str> = defined
        .iter()
        .map(|&sa| cx.index.inst(sa).name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut f = Finding::new(
        &META,
        span_at(cx.root(id), &format!("{prefix}.{field}")),
        headline(cx, id, name),
    )
    .label("no such ServiceAccount")
    .note(format!(
        "pod creation is refused with `error looking up service account {shown_ns}/{name}: serviceaccount \"{name}\" not found`"
    ));
    if !names.is_empty() {
        f = f.note(format!(
            "the repository defines these ServiceAccounts in namespace `{shown_ns}`: {}",
            super::some_of(&names)
        ));
    }
    let near = closest(name, names.iter().copied());
    for &sa in defined {
        if near == Some(cx.index.inst(sa).name.as_str()) {
            let root = cx.root(sa);
            let at = key_span_at(root, "metadata.name").unwrap_or(root.span);
            f = f.related(at, format!("{} is defined here", cx.describe(sa)));
        }
    }
    let help = match near {
        Some(n) => format!("did you mean `{n}`? Fix the name, or add the ServiceAccount `{name}`{where_}"),
        None => format!(
            "add a ServiceAccount `{name}`{where_}, fix the name, or declare it external in the k8s-lint settings if something else creates it"
        ),
    };
    f.help(help)
}
