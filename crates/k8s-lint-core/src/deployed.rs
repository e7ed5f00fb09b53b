//! What the repository's GitOps entry points deploy. When they evidently describe the whole
//! cluster, kustomize roots that no entry point reaches (archives, parked apps) are not
//! deployed, and their findings fold into one info per root.
//!
//! Evidence of a whole-cluster description: Flux's sync root, the `Kustomization` named
//! `flux-system` in namespace `flux-system` that syncs `GitRepository/flux-system`, deployed
//! from this repository with a path that exists here. From it, every Flux `Kustomization` its
//! builds deploy is followed, transitively. Without such a root (Argo CD, plain kustomize,
//! entry points elsewhere), nothing is folded: losing a real finding is worse than keeping a
//! parked one.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::finding::{Finding, Label, Severity};
use crate::gitops::{App, GitOps, Tool};
use crate::index::Index;
use crate::kustomize::{KustId, Model, Role, Target};
use crate::object::Object;
use crate::source::{FileId, SourceFile, Span};

/// The kustomize roots nothing deploys, when the repository says what is deployed.
pub struct Unreached {
    /// Each unreached root and the files only it (and other unreached roots) builds.
    roots: Vec<(KustId, HashSet<FileId>)>,
    sync_root: String,
}

impl Unreached {
    /// `None` when the repository has no Flux sync root: then nothing can be called parked.
    pub fn new(
        model: &Model,
        gitops: &GitOps,
        index: &Index<'_>,
        objects: &[Object],
        files: &[SourceFile],
    ) -> Option<Unreached> {
        let flux: Vec<&App> = gitops
            .apps
            .iter()
            .filter(|a| a.tool == Tool::Flux)
            .collect();
        let root = flux
            .iter()
            .position(|a| a.path.starts_with(&model.repo_top) && is_sync_root(a, objects, index))?;
        // Which kustomize roots and plain directories the reachable Flux apps deploy.
        let roots = model.roots();
        let root_at: HashMap<&Path, KustId> = roots
            .iter()
            .map(|&k| (model.get(k).dir.as_path(), k))
            .collect();
        let mut reached_roots: HashSet<KustId> = HashSet::new();
        let mut seen_apps: HashSet<usize> = HashSet::new();
        let mut queue = vec![root];
        while let Some(i) = queue.pop() {
            if !seen_apps.insert(i) {
                continue;
            }
            let app = flux[i];
            // A child on another source (an OCI artifact, another repository) or on a path we
            // cannot resolve (`${CLUSTER}`): what is deployed is no longer evident.
            let resolvable = app
                .written
                .as_ref()
                .is_some_and(|(text, _)| !crate::placeholder::is_placeholder(text))
                && app.path.starts_with(&model.repo_top)
                && app.path.is_dir();
            if app.source.as_deref() != Some("GitRepository/flux-system") || !resolvable {
                return None;
            }
            // Flux builds the kustomization at the path, or generates one over the whole tree
            // below it (which then takes in every kustomization there).
            match root_at.get(app.path.as_path()) {
                Some(&k) => {
                    reached_roots.insert(k);
                }
                None => reached_roots.extend(
                    roots
                        .iter()
                        .copied()
                        .filter(|&k| model.get(k).dir.starts_with(&app.path)),
                ),
            }
            // The Flux Kustomizations those builds, or plain files below the path, deploy.
            for &id in index.of_kind("kustomize.toolkit.fluxcd.io", "Kustomization") {
                let inst = index.inst(id);
                let deployed_here = match inst.build {
                    Some(b) => reached_roots.contains(&b),
                    None => files[objects[inst.object.0 as usize].file.0 as usize]
                        .dir()
                        .starts_with(&app.path),
                };
                if deployed_here {
                    queue.extend((0..flux.len()).filter(|&j| flux[j].declared_in == inst.object));
                }
            }
        }
        let unreached: Vec<KustId> = roots
            .iter()
            .copied()
            .filter(|k| !reached_roots.contains(k))
            .collect();
        if unreached.is_empty() {
            return None;
        }
        let reached_files = files_of(model, index, objects, &reached_roots);
        let roots = unreached
            .into_iter()
            .map(|k| {
                let only: HashSet<FileId> = files_of(model, index, objects, &HashSet::from([k]))
                    .into_iter()
                    .filter(|f| !reached_files.contains(f))
                    .collect();
                (k, only)
            })
            .collect();
        Some(Unreached {
            roots,
            sync_root: flux[root].declared_by.clone(),
        })
    }

    /// Replace the findings of unreached roots by one info per root that says what it holds.
    pub fn fold(&self, findings: &mut Vec<Finding>, model: &Model, files: &[SourceFile]) {
        let mut folded: BTreeMap<usize, Vec<&'static str>> = BTreeMap::new();
        findings.retain(|f| {
            if f.suppressed.is_some() {
                return true;
            }
            let file = f.primary.span.file;
            // A file no kustomization lists (an orphan) belongs to the one around it.
            let around = model
                .enclosing(files[file.0 as usize].dir())
                .map(|k| model.get(k).file);
            let of_root = |only: &HashSet<FileId>| {
                only.contains(&file) || around.is_some_and(|k| only.contains(&k))
            };
            match self.roots.iter().position(|(_, only)| of_root(only)) {
                Some(i) => {
                    folded.entry(i).or_default().push(f.rule);
                    false
                }
                None => true,
            }
        });
        for (i, rules) in folded {
            let (k, _) = &self.roots[i];
            let kust = model.get(*k);
            let text = &files[kust.file.0 as usize].text;
            let end = text.find(['\n', '\r']).unwrap_or(text.len());
            let shown = &files[kust.file.0 as usize].display;
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for r in &rules {
                *counts.entry(r).or_default() += 1;
            }
            let list: Vec<String> = counts.iter().map(|(r, n)| format!("{r} ×{n}")).collect();
            findings.push(Finding {
                rule: "gitops-path-missing",
                severity: Severity::Info,
                message: format!(
                    "`{shown}` is not deployed: nothing reachable from {} deploys it, so {} there {} not reported ({})",
                    self.sync_root,
                    match rules.len() {
                        1 => "1 finding".to_string(),
                        n => format!("{n} findings"),
                    },
                    if rules.len() == 1 { "is" } else { "are" },
                    list.join(", ")
                ),
                primary: Label {
                    span: Span::new(kust.file, 0, end),
                    message: "not deployed".into(),
                },
                related: Vec::new(),
                help: Some("if it should be deployed, add a Flux Kustomization for it; to see its findings, lint its directory on its own".into()),
                suppressed: None,
            });
        }
    }
}

/// Flux's own sync root: `flux-system/flux-system` on `GitRepository/flux-system`, deployed
/// from this repository, with its path here.
fn is_sync_root(app: &App, objects: &[Object], index: &Index<'_>) -> bool {
    let o = &objects[app.declared_in.0 as usize];
    let deployed = index
        .of_kind("kustomize.toolkit.fluxcd.io", "Kustomization")
        .iter()
        .any(|&i| index.inst(i).object == app.declared_in);
    o.name == "flux-system"
        && o.namespace.as_deref() == Some("flux-system")
        && app.source.as_deref() == Some("GitRepository/flux-system")
        && app.written.is_some()
        && app.path.is_dir()
        && deployed
}

/// Every file the builds of `roots` read: their objects' files and their kustomizations (and
/// the files those list in any role).
fn files_of(
    model: &Model,
    index: &Index<'_>,
    objects: &[Object],
    roots: &HashSet<KustId>,
) -> HashSet<FileId> {
    let mut out = HashSet::new();
    for id in index.ids() {
        let inst = index.inst(id);
        if inst.build.is_some_and(|b| roots.contains(&b)) {
            out.insert(objects[inst.object.0 as usize].file);
        }
    }
    let mut stack: Vec<KustId> = roots.iter().copied().collect();
    let mut seen: HashSet<KustId> = HashSet::new();
    while let Some(k) = stack.pop() {
        if !seen.insert(k) {
            continue;
        }
        let kust = model.get(k);
        out.insert(kust.file);
        for e in &kust.entries {
            match e.target {
                Target::File(f) => {
                    out.insert(f);
                }
                Target::Dir(Some(sub))
                    if matches!(e.role, Role::Resource | Role::Base | Role::Component) =>
                {
                    stack.push(sub);
                }
                _ => {}
            }
        }
    }
    out
}
