//! A Flux Kustomization or Argo CD Application deploys a path of this repository that does not exist or holds nothing to deploy.
//!
//! Docs: `rules/gitops-path-missing.md`.

use crate::hash::HashSet;
use std::path::Path;

use crate::finding::{Finding, Severity};
use crate::gitops::{App, Tool};
use crate::placeholder::is_placeholder;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

pub struct GitopsPathMissing;

static META: RuleMeta = RuleMeta {
    id: "gitops-path-missing",
    severity: Severity::Error,
    summary: "A Flux Kustomization or Argo CD Application deploys a path of this repository that does not exist or holds nothing to deploy.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for GitopsPathMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        if cx.gitops.apps.is_empty() {
            return;
        }
        let dirs = Dirs::new(cx);
        let ours = sources_of_this_repository(cx, &dirs);
        for app in &cx.gitops.apps {
            let Some((text, span)) = &app.written else {
                continue;
            };
            let Some(source) = &app.source else { continue };
            // Only a path of this repository can be judged, only one in view, and only once
            // Flux substitution has made it a path.
            if !ours.contains(source.as_str())
                || !in_view(cx, app)
                || is_placeholder(text)
                || dirs.is_file(&app.path, cx.gitops.fence())
            {
                continue;
            }
            let exists = dirs.is_dir(&app.path, cx.gitops.fence());
            if exists && dirs.holds_manifests(app, cx.gitops.fence()) {
                continue;
            }
            let what = if exists {
                "which holds no manifest to deploy"
            } else {
                "which does not exist in this repository"
            };
            let effect = match (app.tool, exists) {
                (Tool::Flux, false) => {
                    "Flux reports `kustomization path not found` and applies nothing"
                }
                (Tool::Flux, true) => "Flux applies nothing from it",
                (Tool::ArgoCd, false) => {
                    "Argo CD reports `app path does not exist` and syncs nothing"
                }
                (Tool::ArgoCd, true) => "Argo CD syncs nothing from it",
            };
            // A missing path fails the sync; an empty one only deploys nothing, often on
            // purpose (every app of it parked).
            let severity = if exists {
                Severity::Info
            } else {
                Severity::Error
            };
            out.push(
                Finding::new(
                    &META,
                    *span,
                    format!("{} deploys `{text}`, {what}", app.declared_by),
                )
                .severity(severity)
                .note(effect)
                .label(if exists { "nothing to deploy here" } else { "no such path" })
                .help("point the path at the directory that holds the manifests (relative to the repository top), or remove the object"),
            );
        }
    }
}

/// The sources that are evidently this repository: those (a Flux `sourceRef`, an Argo CD
/// `repoURL`) of which some app's path, below the top, exists here and holds manifests. Even
/// `GitRepository/flux-system` may be another repository (a template, a workshop's copy).
fn sources_of_this_repository<'a>(cx: &Ctx<'a, '_>, dirs: &Dirs<'_>) -> HashSet<&'a str> {
    let mut ours: HashSet<&str> = HashSet::default();
    for app in &cx.gitops.apps {
        let (Some(source), Some((text, _))) = (app.source.as_deref(), &app.written) else {
            continue;
        };
        let below_top = !matches!(
            text.trim_start_matches("./").trim_end_matches('/'),
            "" | "."
        );
        if below_top
            && in_view(cx, app)
            && dirs.is_dir(&app.path, cx.gitops.fence())
            && dirs.holds_manifests(app, cx.gitops.fence())
        {
            ours.insert(source);
        }
    }
    ours
}

/// Whether the app's path lies inside the repository and inside the linted paths: outside
/// them, k8s-lint neither looks nor judges.
fn in_view(cx: &Ctx<'_, '_>, app: &App) -> bool {
    app.path.starts_with(&cx.model.repo_top) && cx.roots.iter().any(|r| app.path.starts_with(r))
}

/// The directories holding manifest candidates, and every directory above them.
struct Dirs<'a> {
    with_files: HashSet<&'a Path>,
    above_files: HashSet<&'a Path>,
}

impl<'a> Dirs<'a> {
    fn new(cx: &Ctx<'a, '_>) -> Dirs<'a> {
        let mut with_files = HashSet::default();
        let mut above_files = HashSet::default();
        for f in cx.files {
            with_files.insert(f.dir());
            for d in f.dir().ancestors() {
                if !above_files.insert(d) {
                    break;
                }
            }
        }
        Dirs {
            with_files,
            above_files,
        }
    }

    /// Whether the path is a directory: certainly, when walked files lie below it; else as
    /// the disk says (through the fence). A repository with thousands of apps asks for each,
    /// and its apps' paths are nearly all walked directories.
    fn is_dir(&self, path: &Path, fence: &crate::fence::Fence) -> bool {
        self.above_files.contains(path) || fence.is_dir(path)
    }

    /// Whether the path is a file: never a directory walked files lie below.
    fn is_file(&self, path: &Path, fence: &crate::fence::Fence) -> bool {
        !self.above_files.contains(path) && fence.is_file(path)
    }

    /// Whether a manifest candidate the tool would read lies at the path: Flux reads the whole
    /// tree below it, Argo CD the top level unless `directory.recurse`.
    fn holds_manifests(&self, app: &App, fence: &crate::fence::Fence) -> bool {
        let path = app.path.as_path();
        (if app.recurse {
            self.above_files.contains(path)
        } else {
            self.with_files.contains(path)
        }) || fence.is_file(&path.join("Chart.yaml"))
    }
}
