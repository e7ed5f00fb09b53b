//! A kustomization lists a Kustomization under `components`, or a Component under `resources`.
//!
//! Docs: `rules/kustomize-component-kind.md`.

use crate::finding::{Finding, Severity};
use crate::kustomize::{Kustomization, Role, Target};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::yaml::Node;

use super::{first_line, kust_dir_display};

pub struct KustomizeComponentKind;

static META: RuleMeta = RuleMeta {
    id: "kustomize-component-kind",
    severity: Severity::Error,
    summary: "A kustomization lists a Kustomization under `components`, or a Component under `resources`.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for KustomizeComponentKind {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for k in &cx.model.kusts {
            for e in &k.entries {
                let Target::Dir(Some(sub)) = e.target else {
                    continue;
                };
                let target = cx.model.get(sub);
                let dir = kust_dir_display(cx, target);
                let field = e.role.field();
                let (message, error, help) = match e.role {
                    Role::Component if !target.component => (
                        format!(
                            "`components` entry `{}` is a kustomization of kind `{}`, not a Component",
                            e.text,
                            kind(cx, target)
                        ),
                        format!(
                            "expected kind 'Component' for path '{dir}' but got '{}'",
                            kind(cx, target)
                        ),
                        "list the directory under `resources`, or make it a Component (`apiVersion: kustomize.config.k8s.io/v1alpha1`, `kind: Component`)",
                    ),
                    Role::Resource | Role::Base if target.component => (
                        format!(
                            "`{field}` entry `{}` is a Component, which can only be listed under `components`",
                            e.text
                        ),
                        format!("expected kind != 'Component' for path '{dir}'"),
                        "move the entry to `components`",
                    ),
                    _ => continue,
                };
                let kind_at = target
                    .root(cx.parsed)
                    .and_then(|r| r.entry("kind"))
                    .map_or(first_line(cx, target.file), |e| e.value().span);
                out.push(
                    Finding::new(&META, e.span, message)
                        .label("wrong kind of kustomization for this field")
                        .related(kind_at, format!("the kustomization in `{dir}`"))
                        .note(format!("`kustomize build` fails with `{error}`"))
                        .help(help),
                );
            }
        }
    }
}

/// The kind kustomize sees: a kustomization without `kind` is a `Kustomization`.
fn kind<'a>(cx: &Ctx<'a, '_>, k: &Kustomization) -> &'a str {
    k.root(cx.parsed)
        .and_then(|r| r.get("kind"))
        .and_then(Node::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("Kustomization")
}
