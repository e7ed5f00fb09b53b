//! A manifest below a kustomization is not reached from any kustomization, so it is not deployed.
//!
//! Docs: `rules/kustomize-orphan-manifest.md`.

use crate::finding::{Finding, Severity};
use crate::load::is_kustomization_file;
use crate::rule::{Ctx, Rule, RuleMeta};
use crate::source::{FileId, Span};

pub struct KustomizeOrphanManifest;

static META: RuleMeta = RuleMeta {
    id: "kustomize-orphan-manifest",
    severity: Severity::Warning,
    summary: "A manifest below a kustomization is not reached from any kustomization, so it is not deployed.",
    default_enabled: true,
};

impl Rule for KustomizeOrphanManifest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for (i, file) in cx.files.iter().enumerate() {
            let id = FileId(i as u32);
            let objects = cx.objects_of(id);
            if objects.is_empty()
                || is_kustomization_file(&file.path)
                || cx.model.reached.contains(&id)
                || objects.iter().all(|o| is_local_config(cx, o))
            {
                continue;
            }
            if !cx.model.in_kustomize_tree(file.dir(), cx.gitops) {
                continue;
            }
            let Some(kid) = cx.model.enclosing(file.dir()) else {
                continue;
            };
            let kust = cx.model.get(kid);
            let kfile = cx.file(kust.file);
            let rel = file
                .path
                .strip_prefix(&kust.dir)
                .map_or(file.display.clone(), |p| {
                    p.to_string_lossy().replace('\\', "/")
                });
            let first = &objects[0];
            let root = first.root(cx.parsed);
            let what = match objects.len() {
                1 => format!("{} `{}`", first.kind, first.name),
                n => format!("{} `{}` and {} more objects", first.kind, first.name, n - 1),
            };
            let primary = first_line(id, &file.text, root.span.start as usize);
            let commented = ancestors_commenting(cx, file, kid);
            let f = match commented {
                Some((kfile_id, span)) => Finding::new(
                    &META,
                    primary,
                    format!(
                        "`{rel}` ({what}) is commented out in {}, so it is not deployed",
                        cx.file(kfile_id).display
                    ),
                )
                .severity(Severity::Info)
                .label("not deployed")
                .related(span, "commented-out entry")
                .help(
                    "if the exclusion is deliberate, nothing to do; otherwise uncomment the entry",
                ),
                None => {
                    let resources = cx.parsed[kust.file.0 as usize]
                        .docs
                        .first()
                        .and_then(|d| d.root.as_ref())
                        .and_then(|r| r.entry("resources"))
                        .map_or(first_line(kust.file, &kfile.text, 0), |e| e.key.span);
                    Finding::new(
                        &META,
                        primary,
                        format!(
                            "`{rel}` ({what}) is not listed in {}: kustomize, Argo CD and Flux will not deploy it",
                            kfile.display
                        ),
                    )
                    .label("not reached from any kustomization")
                    .related(resources, format!("`{rel}` is missing from this list"))
                    .help(format!(
                        "add `- {rel}` to `resources` in {}, or delete the file if it is obsolete",
                        kfile.display
                    ))
                }
            };
            out.push(f);
        }
    }
}

/// kustomize drops objects annotated `config.kubernetes.io/local-config: "true"`.
fn is_local_config(cx: &Ctx<'_, '_>, o: &crate::object::Object) -> bool {
    o.root(cx.parsed)
        .at("metadata.annotations")
        .and_then(|a| a.get("config.kubernetes.io/local-config"))
        .and_then(|v| v.scalar_text())
        == Some("true")
}

/// The line holding `offset`, from `offset` to its end.
fn first_line(file: FileId, text: &str, offset: usize) -> Span {
    let end = text[offset..]
        .find(['\n', '\r'])
        .map_or(text.len(), |n| offset + n);
    Span::new(file, offset, end)
}

/// A commented-out entry naming `file` in the enclosing kustomization or one above it.
fn ancestors_commenting(
    cx: &Ctx<'_, '_>,
    file: &crate::source::SourceFile,
    mut kid: crate::kustomize::KustId,
) -> Option<(FileId, Span)> {
    loop {
        let kust = cx.model.get(kid);
        if let Some((_, span)) = kust.commented.iter().find(|(p, _)| *p == file.path) {
            return Some((kust.file, *span));
        }
        kid = cx.model.enclosing(kust.dir.parent()?)?;
    }
}
