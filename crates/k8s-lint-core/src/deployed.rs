//! What the repository deploys, and the kustomize roots (and loose files) it evidently parks:
//! their findings fold into one info per root or file.
//!
//! Three kinds of evidence park a root:
//! - **The GitOps entry points describe the whole cluster** and none reaches it. Evidence of a
//!   whole-cluster description: Flux's sync root (the `Kustomization` named `flux-system` in
//!   namespace `flux-system` that syncs `GitRepository/flux-system`, deployed from this
//!   repository), or an Argo CD app of apps from which every Application of the repository is
//!   reached. From the root, every app its builds and directories deploy is followed,
//!   transitively, and each must sync the root's source at a path here. Without such a root
//!   (plain kustomize, entry points elsewhere, generated paths), nothing is parked this way:
//!   losing a real finding is worse than keeping a parked one.
//! - **Its only mention is a commented-out entry** of another kustomization (`#- ../webhook`,
//!   the kubebuilder scaffold's optional parts), and no GitOps app points at it, and no script
//!   or doc page builds or applies it (`kustomize build DIR | kubectl apply -f -`): the author
//!   turned it off, as for a commented-out file (see `kustomize-orphan-manifest`).
//! - **Its files are applied one by one, by hand**, and nothing builds it: a script or doc page
//!   runs `kubectl apply -f dir/gatewayclass.yaml` on a file the kustomization lists, while no
//!   GitOps app points at the directory and no command builds it (`-k DIR`, `kustomize build
//!   DIR`) or applies it whole (`-f DIR`). The repository shows how the directory is used, and
//!   it is not through the kustomization, which may well be stale.
//!
//! And one parks a loose file of a plain directory (no kustomization at or above it, no GitOps
//! app): **a doc page shows it, and applies the files beside it one by one but never it** (no
//! shell line names it, no command applies the directory). A tutorial's example.
//!
//! A file a script or doc page applies by hand is deployed whatever else holds it: its findings
//! are never folded.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use crate::finding::{Finding, Label, Severity};
use crate::gitops::{App, GitOps, Tool};
use crate::index::Index;
use crate::kustomize::{KustId, Model, Role, Target};
use crate::object::Object;
use crate::scripts::{Effect, Scripts};
use crate::source::{FileId, SourceFile, Span};

/// The kustomize roots the repository evidently does not deploy.
pub struct Unreached {
    roots: Vec<Parked>,
}

/// One parked root, or one loose file: the files only it (and other parked roots) builds, and
/// why it is parked.
struct Parked {
    /// Where the info goes: the root's kustomization, or the loose file.
    at: FileId,
    only: HashSet<FileId>,
    why: Why,
}

enum Why {
    /// No app reachable from this sync root (or app of apps) deploys it.
    NotReached { sync_root: String },
    /// A commented-out entry of another kustomization is its only mention.
    CommentedOut { at: Span, shown: String },
    /// Nothing builds it, and a script or doc page applies a file it lists on its own:
    /// `kubectl apply -f dir/gatewayclass.yaml` beside a stale `dir/kustomization.yaml`.
    AppliedByHand {
        at: Span,
        /// The command, as `path:line`.
        shown: String,
        /// The file it applies.
        file: String,
    },
    /// A file of a plain directory that a doc page shows, while the files beside it are
    /// applied one by one, by hand, and nothing runs on this one: a tutorial's example.
    SiblingsByHand {
        /// Where a page shows it.
        shown_at: Span,
        at: Span,
        /// The command, as `path:line`.
        shown: String,
        /// The sibling it applies.
        sibling: String,
    },
}

impl Why {
    /// The rule whose note the folded findings become (and whose level turns folding off).
    pub fn rule(&self) -> &'static str {
        match self {
            Why::NotReached { .. } => "gitops-path-missing",
            Why::CommentedOut { .. } | Why::AppliedByHand { .. } | Why::SiblingsByHand { .. } => {
                "kustomize-orphan-manifest"
            }
        }
    }
}

impl Unreached {
    /// `None` when no root is evidently parked.
    pub fn new(
        model: &Model,
        gitops: &GitOps,
        index: &Index<'_>,
        objects: &[Object],
        files: &[SourceFile],
        scripts: &Scripts,
    ) -> Option<Unreached> {
        let walk = Walk {
            model,
            index,
            objects,
            files,
            roots: model.roots(),
            fence: gitops.fence(),
        };
        let mut parked: Vec<(KustId, Why)> = Vec::new();
        // What the whole-cluster entry points deploy, when there are any.
        let reached = not_reached(&walk, gitops).map(|(reached, sync_root)| {
            for &k in &walk.roots {
                if !reached.contains(&k) {
                    parked.push((
                        k,
                        Why::NotReached {
                            sync_root: sync_root.clone(),
                        },
                    ));
                }
            }
            reached
        });
        for &k in &walk.roots {
            let kust = model.get(k);
            if parked.iter().any(|(p, _)| *p == k)
                || reached.as_ref().is_some_and(|r| r.contains(&k))
                || !gitops.apps_above(&kust.dir).is_empty()
                || scripts
                    .naming(&kust.dir, |e| {
                        matches!(e, Effect::Applies { .. } | Effect::Reads { .. })
                    })
                    .is_some()
            {
                continue;
            }
            let comment = model.kusts.iter().find_map(|other| {
                let (_, span) = other.commented.iter().find(|(p, _)| **p == *kust.dir)?;
                Some((*span, files[other.file.0 as usize].display().to_string()))
            });
            if let Some((at, shown)) = comment {
                parked.push((k, Why::CommentedOut { at, shown }));
                continue;
            }
            // Its files applied one by one, by hand: the directory is used without the build.
            let by_hand = kust.entries.iter().find_map(|e| {
                let Target::File(f) = e.target else {
                    return None;
                };
                let path = &files[f.0 as usize].path;
                if e.role != Role::Resource || path.parent() != Some(kust.dir.as_ref()) {
                    return None;
                }
                let i = scripts.naming(path, |e| matches!(e, Effect::Applies { .. }))?;
                let c = &scripts.commands[i];
                Some((
                    c.span,
                    c.shown.clone(),
                    files[f.0 as usize].display().to_string(),
                ))
            });
            if let Some((at, shown, file)) = by_hand {
                parked.push((k, Why::AppliedByHand { at, shown, file }));
            }
        }
        let loose = loose_by_hand(model, gitops, index, objects, files, scripts);
        if parked.is_empty() && loose.is_empty() {
            return None;
        }
        let live: HashSet<KustId> = match &reached {
            Some(r) => r.clone(),
            None => walk.roots.iter().copied().collect(),
        }
        .into_iter()
        .filter(|k| !parked.iter().any(|(p, _)| p == k))
        .collect();
        let live_files = files_of(model, index, objects, &live);
        let roots = parked
            .into_iter()
            .map(|(root, why)| {
                let only: HashSet<FileId> = files_of(model, index, objects, &HashSet::from([root]))
                    .into_iter()
                    .filter(|f| !live_files.contains(f))
                    .collect();
                Parked {
                    at: model.get(root).file,
                    only,
                    why,
                }
            })
            .chain(loose)
            .collect();
        Some(Unreached { roots })
    }

    /// Replace the findings of parked roots by one info per root that says what it holds.
    /// `folds(rule)`: whether the rule that owns the note is on (else that kind is not folded).
    /// A file a script or doc page applies by hand is deployed all the same: its findings stay.
    pub fn fold(
        &self,
        findings: &mut Vec<Finding>,
        model: &Model,
        files: &[SourceFile],
        scripts: &Scripts,
        folds: impl Fn(&str) -> bool,
    ) {
        let mut folded: BTreeMap<usize, Vec<&'static str>> = BTreeMap::new();
        let mut by_hand: HashMap<FileId, bool> = HashMap::new();
        findings.retain(|f| {
            if f.suppressed.is_some() {
                return true;
            }
            let file = f.primary.span.file;
            let applied = *by_hand.entry(file).or_insert_with(|| {
                scripts
                    .naming(&files[file.0 as usize].path, |e| {
                        matches!(e, Effect::Applies { .. })
                    })
                    .is_some()
            });
            if applied {
                return true;
            }
            // A file no kustomization lists (an orphan) belongs to the one around it.
            let around = model
                .enclosing(files[file.0 as usize].dir())
                .map(|k| model.get(k).file);
            let of_root = |p: &Parked| {
                folds(p.why.rule())
                    && (p.only.contains(&file) || around.is_some_and(|k| p.only.contains(&k)))
            };
            match self.roots.iter().position(of_root) {
                Some(i) => {
                    folded.entry(i).or_default().push(f.rule);
                    false
                }
                None => true,
            }
        });
        for (i, rules) in folded {
            let parked = &self.roots[i];
            let shown = &files[parked.at.0 as usize].display();
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for r in &rules {
                *counts.entry(r).or_default() += 1;
            }
            let list: Vec<String> = counts.iter().map(|(r, n)| format!("{r} ×{n}")).collect();
            let count = match rules.len() {
                1 => "1 finding there is".to_string(),
                n => format!("{n} findings there are"),
            };
            let (because, help, related) = match &parked.why {
                Why::NotReached { sync_root } => (
                    format!("nothing reachable from {sync_root} deploys it"),
                    "if it should be deployed, point a Flux Kustomization or an Argo CD Application at it; to see its findings, lint its directory on its own",
                    Vec::new(),
                ),
                Why::CommentedOut { at, shown } => (
                    format!("its only mention is a commented-out entry in `{shown}`"),
                    "if it should be deployed, uncomment the entry; to see its findings, lint its directory on its own",
                    vec![Label {
                        span: *at,
                        message: "commented-out entry".into(),
                    }],
                ),
                Why::AppliedByHand { at, .. } => (
                    "nothing builds it, and its files are applied one by one".to_string(),
                    "if the directory should be deployed as a whole, build it (`kubectl apply -k DIR`); if its files are applied one by one, the kustomization is stale: fix it or delete it; to see its findings, lint its directory on its own",
                    vec![Label {
                        span: *at,
                        message: "applies one of its files by hand".into(),
                    }],
                ),
                Why::SiblingsByHand { shown_at, at, .. } => (
                    "a doc page shows it, and applies the files beside it but never it".to_string(),
                    "if it should be deployed, apply it as the files beside it are; if it is an example, nothing to do; to see its findings, lint it on its own",
                    vec![
                        Label {
                            span: *shown_at,
                            message: "shows it".into(),
                        },
                        Label {
                            span: *at,
                            message: "applies a file beside it by hand".into(),
                        },
                    ],
                ),
            };
            findings.push(Finding {
                rule: parked.why.rule(),
                severity: Severity::Info,
                message: format!("`{shown}` is not deployed: {because}"),
                primary: Label {
                    span: crate::source::line_from(parked.at, &files[parked.at.0 as usize].text, 0),
                    message: "not deployed".into(),
                },
                related,
                notes: match &parked.why {
                    Why::AppliedByHand { shown, file, .. } => vec![
                        format!("no script, doc page or GitOps app builds its directory, and `{shown}` applies `{file}` on its own"),
                        format!("{count} not reported: {}", list.join(", ")),
                    ],
                    Why::SiblingsByHand { shown, sibling, .. } => vec![
                        format!("`{shown}` applies `{sibling}` on its own; no command of a script or doc page names this file or applies its directory, and no kustomization or GitOps app deploys it"),
                        format!("{count} not reported: {}", list.join(", ")),
                    ],
                    _ => vec![format!("{count} not reported: {}", list.join(", "))],
                },
                help: Some(help.into()),
                fixes: Vec::new(),
                suppressed: None,
            });
        }
    }
}

/// The files of plain directories that are used file by file: a script or doc page applies some
/// files of the directory on their own (`kubectl apply -f dir/allow-ui.yaml`), a doc page shows
/// this one (writes its path), while no command names it (applies, reads or writes it, or any
/// shell line writes its name) or applies the whole directory, and no kustomization or GitOps
/// app is at or above it. A tutorial's directory of examples: the page applies the steps it
/// takes and shows the rest.
fn loose_by_hand(
    model: &Model,
    gitops: &GitOps,
    index: &Index<'_>,
    objects: &[Object],
    files: &[SourceFile],
    scripts: &Scripts,
) -> Vec<Parked> {
    let mut by_dir: BTreeMap<&Path, BTreeSet<FileId>> = BTreeMap::new();
    for id in index.ids() {
        let inst = index.inst(id);
        if inst.build.is_none() {
            let file = objects[inst.object.0 as usize].file;
            by_dir
                .entry(files[file.0 as usize].dir())
                .or_default()
                .insert(file);
        }
    }
    let mut out = Vec::new();
    for (dir, loose) in by_dir {
        // Applied whole (`kubectl apply -f dir/`, or a directory above it): every file is.
        let whole = scripts
            .naming(dir, |e| matches!(e, Effect::Applies { .. }))
            .is_some();
        if whole || model.enclosing(dir).is_some() || !gitops.apps_above(dir).is_empty() {
            continue;
        }
        // What names each file: a command applying it alone, or none at all.
        let mut alone: Option<(usize, FileId)> = None;
        let mut unnamed = Vec::new();
        for &f in &loose {
            let path = &files[f.0 as usize].path;
            match scripts.naming(path, |_| true) {
                None => unnamed.push(f),
                Some(i) => {
                    let names_file = matches!(&scripts.commands[i].effect,
                        Effect::Applies { path: p, .. }
                        if Path::new(p).file_name() == path.file_name());
                    if names_file && alone.is_none() {
                        alone = Some((i, f));
                    }
                }
            }
        }
        let Some((i, sibling)) = alone else {
            continue;
        };
        let c = &scripts.commands[i];
        let sibling = &files[sibling.0 as usize].display();
        for f in unnamed {
            // Shown: the docs cover it and chose not to run it. A file no page mentions may be
            // applied by what is not read here (a CI workflow, a test harness).
            let Some(shown_at) = scripts.shows(&files[f.0 as usize].path) else {
                continue;
            };
            if model.reached.contains(&f) {
                continue;
            }
            out.push(Parked {
                at: f,
                only: HashSet::from([f]),
                why: Why::SiblingsByHand {
                    shown_at,
                    at: c.span,
                    shown: c.shown.clone(),
                    sibling: sibling.to_string(),
                },
            });
        }
    }
    out
}

/// The roots the repository's whole-cluster entry points deploy, and the name of the entry
/// point, when there is one.
fn not_reached(walk: &Walk<'_, '_>, gitops: &GitOps) -> Option<(HashSet<KustId>, String)> {
    let (model, index, objects, files) = (walk.model, walk.index, walk.objects, walk.files);
    let uses = |tool| gitops.apps.iter().any(|a| a.tool == tool);
    let apps: Vec<&App> = gitops.apps.iter().collect();
    let (reached, root) = match (uses(Tool::Flux), uses(Tool::ArgoCd)) {
        (true, false) => {
            // One sync root per cluster (clusters/production, clusters/staging): what any of
            // them deploys is deployed.
            let sync_roots: Vec<usize> = (0..apps.len())
                .filter(|&i| {
                    apps[i].path.starts_with(&model.repo_top)
                        && is_sync_root(apps[i], objects, index, walk.fence)
                })
                .collect();
            let root = *sync_roots.first()?;
            let mut reached = walk.reach(&apps, root)?;
            for &other in &sync_roots[1..] {
                let more = walk.reach(&apps, other)?;
                reached.roots.extend(more.roots);
                reached.apps.extend(more.apps);
                reached.objects.extend(more.objects);
            }
            (reached, root)
        }
        (false, true) => {
            // The app of apps: one from which every Application of the repository is reached.
            let all: HashSet<_> = index
                .of_kind("argoproj.io", "Application")
                .iter()
                .map(|&i| index.inst(i).object)
                .collect();
            // Candidates: Applications that no other app's directory holds.
            let held = |r: usize| {
                let o = &objects[apps[r].declared_in.0 as usize];
                let dir = files[o.file.0 as usize].dir();
                apps.iter()
                    .enumerate()
                    .any(|(j, a)| j != r && dir.starts_with(&a.path))
            };
            let (root, reached) = (0..apps.len()).filter(|&r| !held(r)).find_map(|r| {
                let reached = walk.reach(&apps, r)?;
                // An app *of apps*: one lone Application (an example) says nothing about the
                // rest of the repository.
                let of_apps = reached.objects.len() > 1;
                (of_apps && all.is_subset(&reached.objects)).then_some((r, reached))
            })?;
            (reached, root)
        }
        _ => return None,
    };
    Some((reached.roots, apps[root].declared_by.clone()))
}

/// What a set of GitOps apps deploys: the kustomize roots, and the apps.
struct Reached {
    roots: HashSet<KustId>,
    apps: HashSet<usize>,
    /// The GitOps objects deployed on the way (Applications with only Helm sources included).
    objects: HashSet<crate::object::ObjectId>,
}

struct Walk<'a, 's> {
    model: &'a Model,
    index: &'a Index<'s>,
    objects: &'a [Object],
    files: &'a [SourceFile],
    roots: Vec<KustId>,
    fence: &'a crate::fence::Fence,
}

impl Walk<'_, '_> {
    /// Everything `apps[root]` deploys, transitively; `None` as soon as an app on the way syncs
    /// another source, or a path that is not here or still a variable: what is deployed is
    /// then no longer evident.
    fn reach(&self, apps: &[&App], root: usize) -> Option<Reached> {
        let root_at: HashMap<&Path, KustId> = self
            .roots
            .iter()
            .map(|&k| (self.model.get(k).dir.as_ref(), k))
            .collect();
        let source = apps[root].source.as_deref()?;
        let mut reached = Reached {
            roots: HashSet::new(),
            apps: HashSet::new(),
            objects: HashSet::from([apps[root].declared_in]),
        };
        // The apps each object declares, found once rather than per instance.
        let mut declares: HashMap<crate::object::ObjectId, Vec<usize>> = HashMap::new();
        for (j, a) in apps.iter().enumerate() {
            declares.entry(a.declared_in).or_default().push(j);
        }
        let kinds = [
            ("kustomize.toolkit.fluxcd.io", "Kustomization"),
            ("argoproj.io", "Application"),
            ("argoproj.io", "ApplicationSet"),
        ];
        // Each GitOps instance is looked at until it is found deployed, then never again.
        let mut pending: Vec<(crate::index::InstId, &str)> = kinds
            .iter()
            .flat_map(|&(g, k)| self.index.of_kind(g, k).iter().map(move |&id| (id, k)))
            .collect();
        let mut queue = vec![root];
        while let Some(i) = queue.pop() {
            if !reached.apps.insert(i) {
                continue;
            }
            let app = apps[i];
            let resolvable = app
                .written
                .as_ref()
                .is_some_and(|(text, _)| !crate::placeholder::is_placeholder(text))
                && app.path.starts_with(&self.model.repo_top)
                && self.fence.is_dir(&app.path);
            if app.source.as_deref() != Some(source) || !resolvable {
                return None;
            }
            // The kustomization at the path is built. Without one, Flux generates one over the
            // whole tree below it (taking in every kustomization there); Argo CD applies the
            // files of the directory.
            match root_at.get(app.path.as_path()) {
                Some(&k) => {
                    reached.roots.insert(k);
                }
                None if app.tool == Tool::Flux => reached.roots.extend(
                    self.roots
                        .iter()
                        .copied()
                        .filter(|&k| self.model.get(k).dir.starts_with(&app.path)),
                ),
                None => {}
            }
            // The apps that those builds, or the plain files of the path, deploy.
            let mut still = Vec::with_capacity(pending.len());
            for (id, kind) in pending {
                let inst = self.index.inst(id);
                let dir = self.files[self.objects[inst.object.0 as usize].file.0 as usize].dir();
                let deployed_here = match inst.build {
                    Some(b) => reached.roots.contains(&b),
                    None => dir == app.path || (app.recurse && dir.starts_with(&app.path)),
                };
                if !deployed_here {
                    still.push((id, kind));
                    continue;
                }
                reached.objects.insert(inst.object);
                let children = declares.get(&inst.object).map_or(&[][..], Vec::as_slice);
                // An ApplicationSet whose paths are generated deploys what we cannot list.
                if kind == "ApplicationSet" && children.is_empty() {
                    return None;
                }
                queue.extend(children.iter().copied());
            }
            pending = still;
        }
        Some(reached)
    }
}

/// Flux's own sync root: `flux-system/flux-system` on `GitRepository/flux-system`, deployed
/// from this repository, with its path here.
fn is_sync_root(
    app: &App,
    objects: &[Object],
    index: &Index<'_>,
    fence: &crate::fence::Fence,
) -> bool {
    let o = &objects[app.declared_in.0 as usize];
    let deployed = index
        .of_kind("kustomize.toolkit.fluxcd.io", "Kustomization")
        .iter()
        .any(|&i| index.inst(i).object == app.declared_in);
    o.name() == "flux-system"
        && o.namespace() == Some("flux-system")
        && app.source.as_deref() == Some("GitRepository/flux-system")
        && app.written.is_some()
        && fence.is_dir(&app.path)
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
