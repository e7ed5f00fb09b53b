//! What Argo CD and Flux add to the repository's own words: an `Application` or a Flux
//! `Kustomization` that points at a path here gives that path's objects a namespace, and
//! makes a directory without a kustomization a deploy root of its own. Helm sources mark
//! namespaces that hold objects the repository cannot show.

use std::path::{Path, PathBuf};

use crate::object::{Object, ObjectId};
use crate::source::{normalize, Span};
use crate::yaml::{Node, Parsed};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    ArgoCd,
    Flux,
}

/// A path of this repository that a GitOps tool deploys.
#[derive(Clone, Debug)]
pub struct App {
    pub tool: Tool,
    /// Absolute, normalised.
    pub path: PathBuf,
    /// Argo CD `destination.namespace` or Flux `targetNamespace`.
    pub namespace: Option<String>,
    /// Flux `targetNamespace` overrides every namespace, as kustomize's `namespace:` does;
    /// Argo CD's destination only fills in objects that have none.
    pub forces_namespace: bool,
    /// Whether files in subdirectories of a directory app are deployed: always for Flux,
    /// with `directory.recurse` for Argo CD.
    pub recurse: bool,
    /// Where the app's source is: a Flux `sourceRef` (`GitRepository/flux-system`) or an
    /// Argo CD `repoURL`; `None` when it names none.
    pub source: Option<String>,
    /// The path as written and where, when the object writes one.
    pub written: Option<(String, Span)>,
    /// The object that declares the app, for messages: "Kustomization `flux-system/apps`".
    pub declared_by: String,
    /// The file that declares it.
    pub declared_in: ObjectId,
    /// Flux `postBuild` substitution of this app: inline variables, and the ConfigMaps and
    /// Secrets they come from; and what it patches into the Kustomizations it deploys.
    pub substitution: Substitution,
    pub child_substitution: Substitution,
}

/// Variables of Flux `postBuild`: `substitute` pairs and `substituteFrom` object names.
#[derive(Clone, Debug, Default)]
pub struct Substitution {
    pub vars: Vec<(String, String)>,
    /// `(kind, name)` of `substituteFrom` entries.
    pub from: Vec<(String, String)>,
}

impl Substitution {
    fn read(post_build: Option<&Node<'_>>) -> Substitution {
        let mut out = Substitution::default();
        let Some(pb) = post_build else { return out };
        for e in pb.get("substitute").and_then(Node::as_map).unwrap_or(&[]) {
            if let (Some(k), Some(v)) = (e.key_str(), e.value().scalar_text()) {
                out.vars.push((k.to_string(), v.to_string()));
            }
        }
        for f in pb
            .get("substituteFrom")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
        {
            if let (Some(k), Some(n)) = (
                f.get("kind").and_then(Node::as_str),
                f.get("name").and_then(Node::as_str),
            ) {
                out.from.push((k.to_string(), n.to_string()));
            }
        }
        out
    }

    fn extend(&mut self, other: Substitution) {
        self.vars.extend(other.vars);
        self.from.extend(other.from);
    }
}

/// A Helm release that renders objects the repository does not show: a Flux `HelmRelease`
/// or an Argo CD Helm source. Where its objects land is decided per deployed instance of the
/// object that declares it (`resolve`), since kustomize may give that object its namespace.
#[derive(Clone, Debug)]
pub struct HelmSource {
    /// The HelmRelease or Application that declares the release.
    pub object: ObjectId,
    /// The namespace the release installs into when the declaring object says so
    /// (`spec.targetNamespace`, `destination.namespace`); else the object's own namespace.
    pub target_namespace: Option<String>,
    /// Whether the target namespace is templated (an ApplicationSet): it may be any.
    pub any_namespace: bool,
    pub names: HelmNames,
    /// The chart (or HelmRelease) that renders them, for messages.
    pub what: String,
    pub span: Span,
}

/// The release name as the tool computes it, and the chart: charts name their objects
/// `<release>`, `<release>-<chart>` or after `fullnameOverride`.
#[derive(Clone, Debug, Default)]
pub struct HelmNames {
    pub release: String,
    pub chart: String,
    pub fullname: Option<String>,
}

impl HelmNames {
    /// Whether an object called `name` looks like one this release renders.
    pub fn fits(&self, name: &str) -> bool {
        let release = !self.release.is_empty() && !self.release.contains("{{");
        self.fullname.as_deref() == Some(name)
            || (release && name == self.release)
            || (release
                && name
                    .strip_prefix(self.release.as_str())
                    .is_some_and(|rest| rest.starts_with('-')))
            || (!self.chart.is_empty() && name.contains(self.chart.as_str()))
    }
}

#[derive(Clone, Debug, Default)]
pub struct GitOps {
    pub apps: Vec<App>,
    pub helm: Vec<HelmSource>,
    /// Apps by their path, so that finding the app of a directory walks its ancestors rather
    /// than every app (a Flux monorepo has hundreds).
    by_path: std::collections::HashMap<PathBuf, Vec<usize>>,
    /// What paths may be looked at (GitOps paths are checked on disk).
    fence: crate::fence::Fence,
}

impl GitOps {
    /// `bases`: directories GitOps paths may be relative to, in order (lint roots, then the
    /// repository top).
    pub fn new(
        objects: &[Object],
        parsed: &[Parsed<'_>],
        bases: &[PathBuf],
        fence: &crate::fence::Fence,
    ) -> GitOps {
        let mut g = GitOps {
            fence: fence.clone(),
            ..GitOps::default()
        };
        for (i, o) in objects.iter().enumerate() {
            let id = ObjectId(i as u32);
            let root = o.root(parsed);
            match (o.group(), o.kind()) {
                ("argoproj.io", "Application") => g.argo(root.get("spec"), id, o, bases),
                ("argoproj.io", "ApplicationSet") => {
                    g.argo(root.at("spec.template.spec"), id, o, bases)
                }
                ("kustomize.toolkit.fluxcd.io", "Kustomization") => g.flux(root, id, o, bases),
                ("helm.toolkit.fluxcd.io", "HelmRelease") => g.helm_release(root, id, o),
                _ => {}
            }
        }
        for (i, a) in g.apps.iter().enumerate() {
            g.by_path.entry(a.path.clone()).or_default().push(i);
        }
        g
    }

    fn helm_release(&mut self, root: &Node<'_>, id: ObjectId, o: &Object) {
        // `chartRef` (an OCIRepository or HelmChart) names no chart; its name is the best guess.
        let chart = text(root, "spec.chart.spec.chart")
            .or_else(|| text(root, "spec.chartRef.name"))
            .unwrap_or_default();
        let target = text(root, "spec.targetNamespace");
        // Flux: `releaseName`, else `[<targetNamespace>-]<name>`.
        let release = text(root, "spec.releaseName").unwrap_or_else(|| match &target {
            Some(t) => format!("{t}-{}", o.name()),
            None => o.name().to_string(),
        });
        self.helm.push(HelmSource {
            object: id,
            any_namespace: false,
            target_namespace: target,
            what: format!("HelmRelease `{}` (chart `{chart}`)", o.name()),
            names: HelmNames {
                fullname: text(root, "spec.values.fullnameOverride"),
                release,
                chart,
            },
            span: root
                .at("spec.chart")
                .or_else(|| root.at("spec.chartRef"))
                .map_or(root.span, |n| n.span),
        });
    }

    fn argo(&mut self, spec: Option<&Node<'_>>, id: ObjectId, o: &Object, bases: &[PathBuf]) {
        let fence = &self.fence.clone();
        let Some(spec) = spec else { return };
        let namespace = text(spec, "destination.namespace");
        let templated = namespace.as_deref().is_some_and(|n| n.contains("{{"));
        let sources = spec
            .get("source")
            .into_iter()
            .chain(spec.get("sources").and_then(Node::as_seq).unwrap_or(&[]));
        for source in sources {
            let helm = |chart: String, what: String, span: Span| HelmSource {
                object: id,
                target_namespace: namespace.clone().filter(|_| !templated),
                any_namespace: templated,
                names: HelmNames {
                    // An ApplicationSet's releases are named by its template (often templated).
                    release: text(source, "helm.releaseName").unwrap_or_else(|| {
                        if o.kind() == "ApplicationSet" {
                            String::new()
                        } else {
                            o.name().to_string()
                        }
                    }),
                    fullname: None,
                    chart,
                },
                what,
                span,
            };
            if let Some(chart) = source.get("chart").and_then(Node::as_str) {
                let what = format!("Helm chart `{chart}` of {} `{}`", o.kind(), o.name());
                let span = source.get("chart").map_or(source.span, |c| c.span);
                self.helm.push(helm(chart.to_string(), what, span));
                continue;
            }
            let Some(path) = text(source, "path") else {
                continue;
            };
            let what = format!("Helm chart at `{path}` of {} `{}`", o.kind(), o.name());
            let span = source.get("path").map_or(source.span, |p| p.span);
            // Templated paths (ApplicationSet generators) name no single directory.
            if path.contains("{{") {
                if source.get("helm").is_some() {
                    self.helm.push(helm(String::new(), what, span));
                }
                continue;
            }
            let resolved = resolve(bases, &path, fence);
            // Argo CD renders a path holding a Chart.yaml as a Helm chart.
            let in_repo = bases.last().is_some_and(|top| resolved.starts_with(top));
            if source.get("helm").is_some()
                || (in_repo && fence.is_file(&resolved.join("Chart.yaml")))
            {
                let chart = resolved
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
                self.helm.push(helm(chart, what, span));
            }
            let recurse =
                source.at("directory.recurse").and_then(Node::scalar_text) == Some("true");
            self.apps.push(App {
                tool: Tool::ArgoCd,
                path: resolved,
                namespace: namespace.clone().filter(|n| !n.contains("{{")),
                forces_namespace: false,
                recurse,
                // A Config Management Plugin renders the path its own way.
                source: text(source, "repoURL")
                    .filter(|u| !u.contains("{{") && source.get("plugin").is_none()),
                written: source.get("path").map(|p| (path.clone(), p.span)),
                declared_by: format!("{} `{}`", o.kind(), o.name()),
                declared_in: id,
                substitution: Substitution::default(),
                child_substitution: Substitution::default(),
            });
        }
    }

    fn flux(&mut self, root: &Node<'_>, id: ObjectId, o: &Object, bases: &[PathBuf]) {
        let fence = &self.fence.clone();
        let path = text(root, "spec.path").unwrap_or_else(|| "./".into());
        let target = text(root, "spec.targetNamespace");
        let source = match (
            text(root, "spec.sourceRef.kind"),
            text(root, "spec.sourceRef.name"),
        ) {
            (Some(kind), Some(name)) => Some(format!("{kind}/{name}")),
            _ => None,
        };
        let shown = match &o.namespace() {
            Some(ns) => format!("{ns}/{}", o.name()),
            None => o.name().to_string(),
        };
        self.apps.push(App {
            tool: Tool::Flux,
            path: resolve(bases, &path, fence),
            forces_namespace: target.is_some(),
            namespace: target,
            recurse: true,
            source,
            written: root.at("spec.path").map(|p| (path.clone(), p.span)),
            declared_by: format!("Kustomization `{shown}`"),
            declared_in: id,
            substitution: Substitution::read(root.at("spec.postBuild")),
            child_substitution: patched_substitution(root),
        });
    }

    /// Flux paths that hold variables (`./kubernetes/apps/${CLUSTER}/web`), as the substitution
    /// of the Kustomization that deploys them leaves them. Returns whether any path changed.
    pub fn substitute_paths(
        &mut self,
        instances: &[crate::kustomize::build::Instance<'_>],
        objects: &[Object],
        parsed: &[Parsed<'_>],
        bases: &[PathBuf],
    ) -> bool {
        let mut changed = false;
        let fence = &self.fence;
        for app in self.apps.iter_mut().filter(|a| a.tool == Tool::Flux) {
            let Some((text, span)) = &app.written else {
                continue;
            };
            if !text.contains("${") {
                continue;
            }
            let substituted = instances
                .iter()
                .filter(|i| i.object == app.declared_in && i.patched.is_some())
                .find_map(|i| {
                    let path = i.root(objects, parsed).at("spec.path")?.as_str()?;
                    (path != text).then(|| path.to_string())
                });
            if let Some(path) = substituted {
                app.path = resolve(bases, &path, fence);
                app.written = Some((path, *span));
                changed = true;
            }
        }
        if changed {
            self.by_path.clear();
            for (i, a) in self.apps.iter().enumerate() {
                self.by_path.entry(a.path.clone()).or_default().push(i);
            }
        }
        changed
    }

    /// The app that deploys `dir` (a build root's directory, or a plain file's directory):
    /// the deepest app path containing it, when the app reaches that deep.
    pub fn app_for(&self, dir: &Path) -> Option<&App> {
        self.app_index_for(dir).map(|i| &self.apps[i])
    }

    /// Every app whose path is `dir` or, recursing, above it: the apps that deploy `dir`, the
    /// nearest last.
    pub fn apps_above(&self, dir: &Path) -> Vec<&App> {
        let mut out: Vec<&App> = Vec::new();
        for (depth, ancestor) in dir.ancestors().enumerate() {
            for &i in self.by_path.get(ancestor).into_iter().flatten() {
                if depth == 0 || self.apps[i].recurse {
                    out.push(&self.apps[i]);
                }
            }
        }
        out.reverse();
        out
    }

    /// `app_for`, as an index into `apps`.
    pub fn app_index_for(&self, dir: &Path) -> Option<usize> {
        // The deepest app path at or above `dir`; of several at one path, the first.
        for (depth, ancestor) in dir.ancestors().enumerate() {
            let Some(ids) = self.by_path.get(ancestor) else {
                continue;
            };
            if let Some(&i) = ids.iter().find(|&&i| depth == 0 || self.apps[i].recurse) {
                return Some(i);
            }
        }
        None
    }

    /// Whether `dir` is deployed as a plain directory by an app, although a kustomization sits
    /// above it (an app path below a kustomize tree): its files are not orphans.
    /// What paths may be looked at on disk.
    pub fn fence(&self) -> &crate::fence::Fence {
        &self.fence
    }

    pub fn deploys_directory(
        &self,
        dir: &Path,
        kustomization_dirs: impl Fn(&Path) -> bool,
    ) -> bool {
        self.app_for(dir).is_some_and(|app| {
            // No kustomization between the app path and `dir` (inclusive).
            let mut d = Some(dir);
            while let Some(cur) = d {
                if kustomization_dirs(cur) {
                    return false;
                }
                if cur == app.path {
                    return true;
                }
                d = cur.parent();
            }
            false
        })
    }
}

/// The `postBuild` a Flux Kustomization patches into the Kustomizations it deploys (the
/// cluster-template layout: `spec.patches` targeting `kind: Kustomization`).
fn patched_substitution(root: &Node<'_>) -> Substitution {
    let mut out = Substitution::default();
    for p in root
        .at("spec.patches")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
    {
        let targets_kustomizations = p
            .at("target.kind")
            .and_then(Node::as_str)
            .is_none_or(|k| k == "Kustomization");
        let Some(text) = p.get("patch").and_then(Node::as_str) else {
            continue;
        };
        if !targets_kustomizations || !text.contains("postBuild") {
            continue;
        }
        // A strategic-merge patch (YAML) or a JSON 6902 list whose `value` holds the postBuild.
        for doc in crate::yaml::parse(p.span.file, text).docs {
            let Some(r) = &doc.root else { continue };
            out.extend(Substitution::read(r.at("spec.postBuild")));
            for op in r.as_seq().unwrap_or(&[]) {
                let value = op.get("value");
                out.extend(Substitution::read(value.and_then(|v| v.get("postBuild"))));
                if op
                    .get("path")
                    .and_then(Node::as_str)
                    .is_some_and(|p| p.ends_with("postBuild"))
                {
                    out.extend(Substitution::read(value));
                }
            }
        }
    }
    out
}

/// A path as the GitOps tool means it: relative to the repository top. Linting a
/// subdirectory, the lint roots are tried first, so `./apps/prod` resolves either way.
fn resolve(bases: &[PathBuf], path: &str, fence: &crate::fence::Fence) -> PathBuf {
    let candidates = bases.iter().map(|b| normalize(&b.join(path)));
    // Only paths inside the repository (the last base) are looked at.
    let top = bases.last();
    let mut last = None;
    for c in candidates {
        if top.is_some_and(|t| c.starts_with(t)) && fence.is_dir(&c) {
            return c;
        }
        last = Some(c);
    }
    last.unwrap_or_else(|| PathBuf::from(path))
}

fn text(node: &Node<'_>, path: &str) -> Option<String> {
    node.at(path).and_then(Node::as_str).map(String::from)
}

/// The repository top of a path to lint: found from its directory (a file root, or a
/// symlink, stands for the directory holding it; only the path itself is lstat'ed).
pub fn repo_top_of_root(root: &Path) -> PathBuf {
    let dir = match std::fs::symlink_metadata(root) {
        Ok(m) if m.is_dir() => root,
        _ => root.parent().unwrap_or(root),
    };
    repo_top(dir)
}

/// The repository top: the nearest ancestor of `start` (inclusive) holding `.git`, else `start`.
pub fn repo_top(start: &Path) -> PathBuf {
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d.join(".git").exists() {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    start.to_path_buf()
}
