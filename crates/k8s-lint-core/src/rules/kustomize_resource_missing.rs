//! A path listed in a kustomization does not exist, or is not what its field needs.
//!
//! Docs: `rules/kustomize-resource-missing.md`.

use std::path::Path;

use crate::finding::{Finding, Severity};
use crate::kustomize::{PathEntry, Target};
use crate::rule::{Ctx, Rule, RuleMeta};

use super::closest;

pub struct KustomizeResourceMissing;

static META: RuleMeta = RuleMeta {
    id: "kustomize-resource-missing",
    severity: Severity::Error,
    summary: "A path listed in a kustomization does not exist, or is not what its field needs.",
    default_enabled: true,
};

impl Rule for KustomizeResourceMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for k in &cx.model.kusts {
            for e in &k.entries {
                let field = e.role.field();
                let text = &e.text;
                let (message, label, help) = match e.target {
                    Target::Missing => (
                        format!("`{field}` entry `{text}` does not exist: `kustomize build` fails"),
                        "no such file or directory",
                        match suggestion(cx, e) {
                            Some(s) => format!("did you mean `{s}`? Fix the path or remove the entry"),
                            None => "fix the path or remove the entry".to_string(),
                        },
                    ),
                    Target::Dir(None) if e.role.needs_kustomization() => (
                        format!(
                            "`{field}` entry `{text}` is a directory without a kustomization.yaml, kustomization.yml or Kustomization: `kustomize build` fails"
                        ),
                        "no kustomization in this directory",
                        "add a kustomization to the directory, or list its files one by one".to_string(),
                    ),
                    Target::Outside if cx.model.escapes_repository(e) => (
                        format!(
                            "`{field}` entry `{text}` points outside the repository: kustomize rejects absolute paths, and neither CI nor Argo CD or Flux can read outside the checkout"
                        ),
                        "outside the repository",
                        "list a path inside the repository (k8s-lint never reads or shows what lies outside it)".to_string(),
                    ),
                    Target::WrongType => {
                        let want = if e.role.field() == "components" { "a directory" } else { "a file" };
                        (
                            format!("`{field}` entry `{text}` must be {want}: `kustomize build` fails"),
                            "wrong kind of path",
                            format!("point the entry at {want}"),
                        )
                    }
                    _ => continue,
                };
                out.push(Finding::new(&META, e.span, message).label(label).help(help));
            }
        }
    }
}

/// A walked file or kustomization directory next to the missing path with a similar name.
fn suggestion(cx: &Ctx<'_, '_>, e: &PathEntry) -> Option<String> {
    let parent = e.path.parent()?;
    let name = e.path.file_name()?.to_str()?;
    let files = cx.files.iter().map(|f| f.path.as_path());
    let dirs = cx.model.dirs.keys().map(|d| d.as_path());
    let siblings: Vec<&str> = files
        .chain(dirs)
        .filter(|p| p.parent() == Some(parent))
        .filter_map(|p| p.file_name()?.to_str())
        .collect();
    let best = closest(name, siblings.into_iter())?;
    let entry = Path::new(&e.text);
    Some(match entry.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => format!("{}/{best}", p.display()),
        None => best.to_string(),
    })
}
