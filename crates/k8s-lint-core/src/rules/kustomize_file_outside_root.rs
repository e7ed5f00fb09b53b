//! A kustomization lists a file outside its own directory, which kustomize refuses to load.
//!
//! Docs: `rules/kustomize-file-outside-root.md`.

use std::cell::OnceCell;
use std::path::Path;

use crate::finding::{Finding, Severity};
use crate::gitops::Tool;
use crate::kustomize::{PathEntry, Role, Target};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::{join_display, kust_dir_display};

pub struct KustomizeFileOutsideRoot;

static META: RuleMeta = RuleMeta {
    id: "kustomize-file-outside-root",
    severity: Severity::Error,
    summary:
        "A kustomization lists a file outside its own directory, which kustomize refuses to load.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for KustomizeFileOutsideRoot {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        let unrestricted = OnceCell::new();
        for k in &cx.model.kusts {
            let dir = kust_dir_display(cx, k);
            for e in &k.entries {
                // Paths out of the repository are kustomize-resource-missing's.
                if !is_outside_file(e, &k.dir) || cx.model.escapes_repository(e) {
                    continue;
                }
                let file = match e.target {
                    Target::File(f) => cx.file(f).display.clone(),
                    _ => join_display(&dir, &e.text),
                };
                let field = e.role.field();
                let f = Finding::new(
                    &META,
                    e.span,
                    format!(
                        "`{field}` entry `{}` is a file outside the kustomization's directory `{dir}`",
                        e.text
                    ),
                )
                .label("file outside the kustomization root")
                .note(format!(
                    "`kustomize build` fails with `security; file '{file}' is not in or below '{dir}'`"
                ))
                .help(help(e.role));
                out.push(match unrestricted.get_or_init(|| unrestricted_builds(cx)) {
                    Some(who) => f
                        .note(format!("{who} builds without that restriction, so only a plain `kustomize build` or `kubectl apply -k` fails"))
                        .severity(Severity::Info),
                    None => f,
                });
            }
        }
    }
}

/// Who deploys this repository's kustomizations without kustomize's load restrictor, if the
/// repository shows it: Flux (always), or Argo CD configured with
/// `kustomize.buildOptions: --load-restrictor LoadRestrictionsNone`.
fn unrestricted_builds(cx: &Ctx<'_, '_>) -> Option<&'static str> {
    if cx.gitops.apps.iter().any(|a| a.tool == Tool::Flux) {
        return Some("Flux, which deploys this repository,");
    }
    let argo = cx.files.iter().any(|f| {
        f.text.contains("kustomize.buildOptions") && f.text.contains("LoadRestrictionsNone")
    });
    argo.then_some("Argo CD, configured here with `--load-restrictor LoadRestrictionsNone`,")
}

/// A file entry that resolves outside `dir`. Directories (bases such as `../base`) may be
/// anywhere; only files go through kustomize's load restrictor. Paths outside every lint root
/// were never looked at, so only those that must be files, or are named like one, count.
fn is_outside_file(e: &PathEntry, dir: &Path) -> bool {
    if e.path.starts_with(dir) {
        return false;
    }
    match e.target {
        Target::File(_) | Target::OtherFile => e.role != Role::Component,
        Target::Outside => !e.role.accepts_dir() || named_like_file(e.role, &e.text),
        _ => false,
    }
}

fn named_like_file(role: Role, text: &str) -> bool {
    let Some(ext) = Path::new(text).extension().and_then(|x| x.to_str()) else {
        return false;
    };
    match role {
        Role::GeneratorFile => ext != "d" && ext.chars().all(|c| c.is_ascii_alphanumeric()),
        _ => matches!(ext, "yaml" | "yml" | "json"),
    }
}

fn help(role: Role) -> String {
    let how = match role {
        Role::Resource | Role::Base => {
            "move the file into the kustomization's directory (or below it), or give the shared files a kustomization of their own and list that directory instead"
        }
        _ => "move or copy the file into the kustomization's directory (or below it)",
    };
    format!("{how}; `kustomize build --load-restrictor LoadRestrictionsNone` lifts the restriction, but `kubectl apply -k` and Argo CD's default build do not")
}
