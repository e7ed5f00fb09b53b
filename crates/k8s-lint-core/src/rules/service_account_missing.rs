//! A pod template runs as a ServiceAccount that the repository does not define.
//!
//! Docs: `rules/service-account-missing.md`.

use crate::finding::{Finding, Severity};
use crate::hash::HashMap;
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
        // The ServiceAccounts of each namespace, gathered once: a missing one is compared with
        // them, and a namespace may hold thousands.
        let mut by_namespace: HashMap<&str, Defined<'_>> = HashMap::default();
        for &sa in cx.index.of_kind("", "ServiceAccount") {
            if let Some(ns) = cx.index.namespace(sa) {
                let d = by_namespace.entry(ns).or_default();
                d.ids.push(sa);
                d.names.push(&cx.index.inst(sa).name);
            }
        }
        for d in by_namespace.values_mut() {
            d.names.sort_unstable();
            d.names.dedup();
        }
        let none = Defined::default();
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
            let defined_here = cx
                .index
                .namespace(id)
                .and_then(|ns| by_namespace.get(ns))
                .unwrap_or(&none);
            let absence = headline(cx, id, name);
            let f = finding(cx, id, path, field, name, defined_here);
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

/// The ServiceAccounts of one namespace: their instances, and their names sorted.
#[derive(Default)]
struct Defined<'a> {
    ids: Vec<InstId>,
    names: Vec<&'a str>,
}

fn finding(
    cx: &Ctx<'_, '_>,
    id: InstId,
    template_path: &str,
    field: &str,
    name: &str,
    defined: &Defined<'_>,
) -> Finding {
    let prefix = if template_path.is_empty() {
        "spec".to_string()
    } else {
        format!("{template_path}.spec")
    };
    let ns = cx.index.namespace(id);
    let where_ = ns.map_or(String::new(), |n| format!(" in namespace `{n}`"));
    let shown_ns = ns.unwrap_or("<namespace>");
    let names = &defined.names;
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
            super::some_of(names)
        ));
    }
    let near = closest(name, names.iter().copied());
    if let Some(n) = near {
        for &sa in defined
            .ids
            .iter()
            .filter(|&&sa| cx.index.inst(sa).name == n)
        {
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
