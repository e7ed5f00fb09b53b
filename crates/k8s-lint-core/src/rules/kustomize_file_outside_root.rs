//! A kustomization lists a file outside its own directory, which kustomize refuses to load.
//!
//! Docs: `rules/kustomize-file-outside-root.md`.

use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use crate::finding::{Finding, Severity};
use crate::gitops::Tool;
use crate::kustomize::{KustId, PathEntry, Role, Target};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::source::FileId;

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
            for e in &k.entries {
                // Paths out of the repository are kustomize-resource-missing's.
                if !is_outside_file(cx, e, &k.dir) || cx.model.escapes_repository(e) {
                    continue;
                }
                let dir = kust_dir_display(cx, k);
                let file = match e.target {
                    Target::File(f) => cx.file(f).display().to_string(),
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
                        .note(format!(
                            "{who}, so only a plain `kustomize build` or `kubectl apply -k` fails"
                        ))
                        .severity(Severity::Info),
                    None => f,
                });
            }
        }
    }
}

/// Who builds this repository's kustomizations without kustomize's load restrictor, if the
/// repository shows it: Flux (always), Argo CD configured with
/// `kustomize.buildOptions: --load-restrictor LoadRestrictionsNone`, or the authors themselves,
/// who committed what such a kustomization builds (see [`rendered_beside`]).
fn unrestricted_builds(cx: &Ctx<'_, '_>) -> Option<String> {
    if cx.gitops.apps.iter().any(|a| a.tool == Tool::Flux) {
        return Some("Flux, which deploys this repository, builds without that restriction".into());
    }
    let argo = cx.files.iter().any(|f| {
        f.text.contains("kustomize.buildOptions") && f.text.contains("LoadRestrictionsNone")
    });
    if argo {
        return Some("Argo CD, configured here with `--load-restrictor LoadRestrictionsNone`, builds without that restriction".into());
    }
    let (file, dir) = rendered_beside(cx)?;
    Some(format!("`{file}` holds what `{dir}` builds once the restriction is lifted: this repository renders its kustomizations without it"))
}

/// An object's identity in a build: group, kind, namespace, name.
type Identity<'a> = (&'a str, &'a str, Option<&'a str>, &'a str);

/// A kustomization that loads a file from outside its root, with its output committed beside
/// it: `overlay/` and `overlay.yaml` (or `.yml`) holding the same objects, none of which the
/// build takes from that file. Only a build without the restrictor makes that output, so its
/// authors evidently render the repository's kustomizations that way (a sample repository's
/// overlays, rendered into the flat manifests its tutorials apply). The objects are compared
/// by identity, not content: a rendering older than the latest patch still shows how it was
/// made. Returns the file and the directory, as shown.
fn rendered_beside(cx: &Ctx<'_, '_>) -> Option<(String, String)> {
    let by_path: HashMap<&Path, FileId> = cx
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| (&*f.path, FileId(i as u32)))
        .collect();
    // Each restricted kustomization, with the committed file that may be its output.
    let mut beside: HashMap<KustId, FileId> = HashMap::new();
    for (i, k) in cx.model.kusts.iter().enumerate() {
        let restricted = k
            .entries
            .iter()
            .any(|e| is_outside_file(cx, e, &k.dir) && !cx.model.escapes_repository(e));
        if !restricted {
            continue;
        }
        let (Some(parent), Some(name)) = (k.dir.parent(), k.dir.file_name()) else {
            continue;
        };
        let found = ["yaml", "yml"].iter().find_map(|ext| {
            let mut file = name.to_os_string();
            file.push(".");
            file.push(ext);
            by_path.get(parent.join(file).as_path()).copied()
        });
        if let Some(f) = found {
            beside.insert(KustId(i as u32), f);
        }
    }
    if beside.is_empty() {
        return None;
    }
    let wanted: HashSet<FileId> = beside.values().copied().collect();
    let mut committed: HashMap<FileId, BTreeSet<Identity<'_>>> = HashMap::new();
    for o in cx.objects.iter().filter(|o| wanted.contains(&o.file)) {
        let id = (o.group(), o.kind(), o.namespace(), o.name());
        committed.entry(o.file).or_default().insert(id);
    }
    let mut built: HashMap<KustId, BTreeSet<Identity<'_>>> = HashMap::new();
    let mut from_beside: HashSet<KustId> = HashSet::new();
    for inst in &cx.index.instances {
        let Some(k) = inst.build.filter(|k| beside.contains_key(k)) else {
            continue;
        };
        let o = &cx.objects[inst.object.0 as usize];
        if beside.get(&k) == Some(&o.file) {
            from_beside.insert(k);
        }
        let id = (o.group(), o.kind(), inst.namespace.as_deref(), &*inst.name);
        built.entry(k).or_default().insert(id);
    }
    let mut hits: Vec<(KustId, FileId)> = beside
        .into_iter()
        .filter(|(k, f)| {
            !from_beside.contains(k) && built.get(k).is_some_and(|b| committed.get(f) == Some(b))
        })
        .collect();
    hits.sort();
    let (k, f) = hits.first()?;
    Some((
        cx.file(*f).display().to_string(),
        kust_dir_display(cx, cx.model.get(*k)),
    ))
}

/// A file entry that resolves outside `dir`. Directories (bases such as `../base`) may be
/// anywhere; only files go through kustomize's load restrictor. Paths outside every lint root
/// were never looked at, so only those that must be files, or are named like one, count.
fn is_outside_file(cx: &Ctx<'_, '_>, e: &PathEntry, dir: &Path) -> bool {
    if crate::source::within(e.path(&cx.model.kusts, cx.files), dir) {
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
