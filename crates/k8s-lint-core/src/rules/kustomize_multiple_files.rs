//! A directory holds more than one kustomization file, which kustomize refuses to build.
//!
//! Docs: `rules/kustomize-multiple-files.md`.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::finding::{Finding, Severity};
use crate::kustomize::KustId;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::source::FileId;

use super::{first_line, kust_dir_display};

pub struct KustomizeMultipleFiles;

static META: RuleMeta = RuleMeta {
    id: "kustomize-multiple-files",
    severity: Severity::Error,
    summary:
        "A directory holds more than one kustomization file, which kustomize refuses to build.",
    default_enabled: true,
    scope: Scope::File,
    fix: None,
};

impl Rule for KustomizeMultipleFiles {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        // Directories with a second kustomization (one kustomize does not read), then every
        // kustomization of those. Keying a sorted map with every directory's path cost more
        // than the rest of the rule.
        let doubled: HashSet<&Path> = cx
            .model
            .kusts
            .iter()
            .enumerate()
            .filter(|(i, k)| {
                cx.model
                    .dirs
                    .get(&*k.dir)
                    .is_some_and(|&read| read != KustId(*i as u32))
            })
            .map(|(_, k)| k.dir.as_ref())
            .collect();
        let mut by_dir: BTreeMap<&Path, Vec<KustId>> = BTreeMap::new();
        for (i, k) in cx.model.kusts.iter().enumerate() {
            if doubled.contains(k.dir.as_ref()) {
                by_dir.entry(&k.dir).or_default().push(KustId(i as u32));
            }
        }
        for (dir, ids) in by_dir {
            if ids.len() < 2 {
                continue;
            }
            // The one the rest of k8s-lint reads comes first; the finding sits on the next.
            let read = cx.model.dirs.get(dir).copied().unwrap_or(ids[0]);
            let others: Vec<KustId> = ids.into_iter().filter(|&k| k != read).collect();
            let first = cx.model.get(read);
            let shown = kust_dir_display(cx, first);
            let names: Vec<&str> = std::iter::once(read)
                .chain(others.iter().copied())
                .map(|k| file_name(cx, cx.model.get(k).file))
                .collect();
            let second = cx.model.get(others[0]).file;
            let mut f = Finding::new(
                &META,
                first_line(cx, second),
                format!(
                    "directory `{shown}` holds {} kustomization files ({})",
                    names.len(),
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
            .label("second kustomization file")
            .note(format!(
                "`kustomize build` fails with `Found multiple kustomization files under: {shown}`"
            ))
            .related(
                first_line(cx, first.file),
                format!("`{}` is also here", names[0]),
            );
            for &k in &others[1..] {
                let file = cx.model.get(k).file;
                f = f.related(
                    first_line(cx, file),
                    format!("`{}` is also here", file_name(cx, file)),
                );
            }
            out.push(f.help(
                "keep one kustomization file per directory: merge the others into it and delete them",
            ));
        }
    }
}

fn file_name<'a>(cx: &Ctx<'a, '_>, file: FileId) -> &'a str {
    cx.file(file)
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
}
