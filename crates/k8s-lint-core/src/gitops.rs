//! What Argo CD and Flux add to the repository's own words: an `Application` or a Flux
//! `Kustomization` that points at a path here gives that path's objects a namespace, and
//! makes a directory without a kustomization a deploy root of its own. Helm sources mark
//! namespaces that hold objects the repository cannot show.

use std::path::{Path, PathBuf};

use crate::object::Object;
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
}

/// A namespace that also receives objects rendered from a Helm chart.
#[derive(Clone, Debug)]
pub struct HelmSource {
    pub namespace: Option<String>,
    /// The chart (or HelmRelease) that renders them, for messages.
    pub chart: String,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct GitOps {
    pub apps: Vec<App>,
    pub helm: Vec<HelmSource>,
}

impl GitOps {
    /// `bases`: directories GitOps paths may be relative to, in order (lint roots, then the
    /// repository top).
    pub fn new(objects: &[Object], parsed: &[Parsed<'_>], bases: &[PathBuf]) -> GitOps {
        let mut g = GitOps::default();
        for o in objects {
            let root = o.root(parsed);
            match (o.group(), o.kind.as_str()) {
                ("argoproj.io", "Application") => g.argo(root.get("spec"), o, bases),
                ("argoproj.io", "ApplicationSet") => {
                    g.argo(root.at("spec.template.spec"), o, bases)
                }
                ("kustomize.toolkit.fluxcd.io", "Kustomization") => g.flux(root, bases),
                ("helm.toolkit.fluxcd.io", "HelmRelease") => {
                    let chart = root
                        .at("spec.chart.spec.chart")
                        .and_then(Node::as_str)
                        .unwrap_or(&o.name);
                    g.helm.push(HelmSource {
                        namespace: text(root, "spec.targetNamespace").or(o.namespace.clone()),
                        chart: format!("HelmRelease `{}` (chart `{chart}`)", o.name),
                        span: root.at("spec.chart").map_or(root.span, |n| n.span),
                    });
                }
                _ => {}
            }
        }
        g
    }

    fn argo(&mut self, spec: Option<&Node<'_>>, o: &Object, bases: &[PathBuf]) {
        let Some(spec) = spec else { return };
        let namespace = text(spec, "destination.namespace");
        let sources = spec
            .get("source")
            .into_iter()
            .chain(spec.get("sources").and_then(Node::as_seq).unwrap_or(&[]));
        for source in sources {
            if let Some(chart) = source.get("chart").and_then(Node::as_str) {
                self.helm.push(HelmSource {
                    namespace: namespace.clone(),
                    chart: format!("Helm chart `{chart}` of Application `{}`", o.name),
                    span: source.get("chart").map_or(source.span, |c| c.span),
                });
                continue;
            }
            // Templated paths (ApplicationSet generators) name no single directory.
            let Some(path) = text(source, "path").filter(|p| !p.contains("{{")) else {
                continue;
            };
            if source.get("helm").is_some() {
                self.helm.push(HelmSource {
                    namespace: namespace.clone(),
                    chart: format!("Helm chart at `{path}` of Application `{}`", o.name),
                    span: source.get("path").map_or(source.span, |p| p.span),
                });
            }
            let recurse =
                source.at("directory.recurse").and_then(Node::scalar_text) == Some("true");
            self.apps.push(App {
                tool: Tool::ArgoCd,
                path: resolve(bases, &path),
                namespace: namespace.clone().filter(|n| !n.contains("{{")),
                forces_namespace: false,
                recurse,
            });
        }
    }

    fn flux(&mut self, root: &Node<'_>, bases: &[PathBuf]) {
        let path = text(root, "spec.path").unwrap_or_else(|| "./".into());
        let target = text(root, "spec.targetNamespace");
        self.apps.push(App {
            tool: Tool::Flux,
            path: resolve(bases, &path),
            forces_namespace: target.is_some(),
            namespace: target,
            recurse: true,
        });
    }

    /// The app that deploys `dir` (a build root's directory, or a plain file's directory):
    /// the deepest app path containing it, when the app reaches that deep.
    pub fn app_for(&self, dir: &Path) -> Option<&App> {
        self.apps
            .iter()
            .filter(|a| dir == a.path || (a.recurse && dir.starts_with(&a.path)))
            .max_by_key(|a| a.path.components().count())
    }

    /// Whether `dir` is deployed as a plain directory by an app, although a kustomization sits
    /// above it (an app path below a kustomize tree): its files are not orphans.
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

    /// The Helm source that may put unseen objects into `namespace`.
    pub fn helm_in(&self, namespace: Option<&str>) -> Option<&HelmSource> {
        self.helm.iter().find(|h| match (&h.namespace, namespace) {
            (Some(h), Some(n)) => h == n,
            _ => true,
        })
    }
}

/// A path as the GitOps tool means it: relative to the repository top. Linting a
/// subdirectory, the lint roots are tried first, so `./apps/prod` resolves either way.
fn resolve(bases: &[PathBuf], path: &str) -> PathBuf {
    let candidates = bases.iter().map(|b| normalize(&b.join(path)));
    let mut last = None;
    for c in candidates {
        if c.is_dir() {
            return c;
        }
        last = Some(c);
    }
    last.unwrap_or_else(|| PathBuf::from(path))
}

fn text(node: &Node<'_>, path: &str) -> Option<String> {
    node.at(path).and_then(Node::as_str).map(String::from)
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
