//! The kustomize model: every kustomization file, each path it lists (with its span and what
//! it resolves to), and which files are reached in any role. Nothing is fetched or executed.
//!
//! [`build`] then replays each build root the way `kustomize build` accumulates and transforms
//! resources, so that names, namespaces and labels compare as they will in the cluster.

pub mod build;
pub mod patch;

use crate::hash::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::load::is_kustomization_file;
use crate::source::{normalize, FileId, FileSet, SourceFile, Span};
use crate::yaml::{Node, Parsed};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KustId(pub u32);

/// The field a path was listed under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Resource,
    Base,
    Component,
    Patch,
    PatchStrategicMerge,
    PatchJson6902,
    GeneratorFile,
    GeneratorEnv,
    Crd,
    Configuration,
    OpenApi,
    Replacement,
    Generator,
    Transformer,
    Validator,
    HelmValues,
}

impl Role {
    /// How the field is spelled in a kustomization, for messages.
    pub fn field(self) -> &'static str {
        match self {
            Role::Resource => "resources",
            Role::Base => "bases",
            Role::Component => "components",
            Role::Patch => "patches[].path",
            Role::PatchStrategicMerge => "patchesStrategicMerge",
            Role::PatchJson6902 => "patchesJson6902[].path",
            Role::GeneratorFile => "files",
            Role::GeneratorEnv => "envs",
            Role::Crd => "crds",
            Role::Configuration => "configurations",
            Role::OpenApi => "openapi.path",
            Role::Replacement => "replacements[].path",
            Role::Generator => "generators",
            Role::Transformer => "transformers",
            Role::Validator => "validators",
            Role::HelmValues => "helmCharts[].valuesFile",
        }
    }

    pub fn accepts_dir(self) -> bool {
        matches!(
            self,
            Role::Resource
                | Role::Base
                | Role::Component
                | Role::GeneratorFile
                | Role::Generator
                | Role::Transformer
                | Role::Validator
        )
    }

    /// Roles whose directory must hold a kustomization.
    pub fn needs_kustomization(self) -> bool {
        matches!(self, Role::Resource | Role::Base | Role::Component)
    }

    fn accepts_file(self) -> bool {
        self != Role::Component
    }
}

/// What a listed path resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A URL or git reference: recorded, never fetched.
    Remote,
    /// Inline YAML (a `patchesStrategicMerge` entry that is a patch, not a path).
    Inline,
    /// A file of the walked tree.
    File(FileId),
    /// An existing file that was not walked (ignored, hidden, not YAML).
    OtherFile,
    /// A directory, and the kustomization in it if any.
    Dir(Option<KustId>),
    /// A file or directory where the role does not accept one (e.g. a file under `components`).
    WrongType,
    /// Outside every lint root: not looked at, so neither its existence nor its content leaks
    /// into the output (a pull request must not make CI probe the runner's files).
    Outside,
    /// Inside the repository as written, but through a symlink that leads out of it: never
    /// looked at there, and kustomize refuses it (it checks the real path).
    Escapes,
    Missing,
}

#[derive(Clone, Debug)]
pub struct PathEntry {
    pub role: Role,
    pub text: Box<str>,
    pub span: Span,
    pub target: Target,
    /// The path, absolute and normal, unless the target names it: a walked file or a
    /// kustomization's directory, as nearly every entry is (a run keeps about one entry per
    /// file, and the path was most of an entry's memory). See [`PathEntry::path`].
    own_path: Option<Box<Path>>,
}

impl PathEntry {
    fn new(role: Role, text: String, span: Span, path: PathBuf, target: Target) -> PathEntry {
        let named = matches!(target, Target::File(_) | Target::Dir(Some(_)));
        PathEntry {
            role,
            text: text.into_boxed_str(),
            span,
            target,
            own_path: (!named).then(|| path.into_boxed_path()),
        }
    }

    /// The path the entry names, absolute and lexically normal (a remote entry: its text).
    pub fn path<'a>(&'a self, kusts: &'a [Kustomization], files: &'a [SourceFile]) -> &'a Path {
        match (&self.own_path, &self.target) {
            (Some(path), _) => path,
            // `resolve` found these targets under this very path.
            (None, Target::File(f)) => &files[f.0 as usize].path,
            (None, Target::Dir(Some(k))) => &kusts[k.0 as usize].dir,
            // `new` keeps the path of every other target.
            (None, _) => Path::new(""),
        }
    }
}

/// A kustomization file and what it lists. Boxed slices and paths, not vectors: a run keeps
/// one record per kustomization (23,000 at 20,000 generated apps), and none of them grows
/// once the model is made.
#[derive(Clone, Debug)]
pub struct Kustomization {
    pub file: FileId,
    pub dir: Box<Path>,
    pub component: bool,
    pub entries: Box<[PathEntry]>,
    /// Paths of commented-out list entries (`# - ingress.yaml`), with the comment's span.
    pub commented: Box<[(PathBuf, Span)]>,
}

impl Kustomization {
    pub fn root<'a, 's>(&self, parsed: &'a [Parsed<'s>]) -> Option<&'a Node<'s>> {
        parsed[self.file.0 as usize].docs.first()?.root.as_ref()
    }

    pub fn entries(&self, role: Role) -> impl Iterator<Item = &PathEntry> {
        self.entries.iter().filter(move |e| e.role == role)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Model {
    pub kusts: Vec<Kustomization>,
    /// Directory → the kustomization that kustomize would read there.
    pub dirs: HashMap<PathBuf, KustId>,
    /// Files reached from some kustomization in any role.
    pub reached: FileSet,
    /// Files listed as `resources`/`bases` by some kustomization.
    pub resources: FileSet,
    /// The repository top (the directory holding `.git` above the first lint root, else that
    /// root): no GitOps tool reads a path outside it.
    pub repo_top: PathBuf,
}

impl Model {
    /// Whether an edit of `file`'s text can change the model: it is (or becomes) a
    /// kustomization, or a kustomization reads it as a plugin's config (whose `files:` the
    /// model follows). Any other file's text is read by the builds, not by the model.
    pub fn read_by_model(&self, file: FileId) -> bool {
        self.kusts.iter().any(|k| {
            k.file == file
                || k.entries.iter().any(|e| {
                    e.target == Target::File(file)
                        && matches!(
                            e.role,
                            Role::Generator | Role::Transformer | Role::Validator
                        )
                })
        })
    }

    /// `repo_top`: the repository top when known; else the directory holding `.git` above the
    /// first root, or that root.
    pub fn new(
        files: &[SourceFile],
        parsed: &[Parsed<'_>],
        roots: &[PathBuf],
        repo_top: Option<&Path>,
        fence: &crate::fence::Fence,
    ) -> Model {
        let by_path: HashMap<&Path, FileId> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (&*f.path, FileId(i as u32)))
            .collect();
        let mut model = Model {
            repo_top: match repo_top {
                Some(top) => top.to_path_buf(),
                None => roots
                    .first()
                    .map(|r| crate::gitops::repo_top(r))
                    .unwrap_or_default(),
            },
            ..Model::default()
        };
        for (i, f) in files.iter().enumerate() {
            if is_kustomization(f, &parsed[i]) {
                let id = KustId(model.kusts.len() as u32);
                model.dirs.entry(f.dir().to_path_buf()).or_insert(id);
                model.kusts.push(Kustomization {
                    file: FileId(i as u32),
                    dir: f.dir().into(),
                    component: false,
                    entries: Box::default(),
                    commented: commented_entries(FileId(i as u32), &f.text, f.dir()).into(),
                });
            }
        }
        // Kept for the whole run: no slack past the last kustomization pushed.
        model.kusts.shrink_to_fit();
        let resolver = Resolver {
            by_path: &by_path,
            dirs: &model.dirs,
            roots,
            fence,
        };
        // On all cores: each kustomization's entries are resolved on their own (paths
        // normalised and looked up, some checked on disk).
        model.kusts.par_iter_mut().for_each(|k| {
            let Some(root) = parsed[k.file.0 as usize]
                .docs
                .first()
                .and_then(|d| d.root.as_ref())
            else {
                return;
            };
            k.component = root.get("kind").and_then(Node::as_str) == Some("Component");
            k.entries = collect_entries(root, &k.dir, &resolver).into_boxed_slice();
        });
        for k in &model.kusts {
            for e in &k.entries {
                if let Target::File(f) = e.target {
                    model.reached.insert(f);
                    if matches!(e.role, Role::Resource | Role::Base) {
                        model.resources.insert(f);
                    }
                }
            }
        }
        // Generator and transformer plugins (KSOPS and the like) read the files their config
        // lists under `files:`, relative to the kustomization.
        for k in &model.kusts {
            for text in plugin_files(k, parsed) {
                if let Some(id) = by_path.get(normalize(&k.dir.join(&text)).as_path()) {
                    model.reached.insert(*id);
                }
            }
        }
        // A generator's directory entry reads every file in it.
        let dirs: Vec<PathBuf> = model
            .kusts
            .iter()
            .flat_map(|k| k.entries.iter())
            .filter(|e| e.role == Role::GeneratorFile && matches!(e.target, Target::Dir(_)))
            .map(|e| e.path(&model.kusts, files).to_path_buf())
            .collect();
        for dir in dirs {
            for (path, id) in &by_path {
                if path.parent() == Some(dir.as_path()) {
                    model.reached.insert(*id);
                }
            }
        }
        model
    }

    /// Kustomizations that no other kustomization lists: what `kustomize build` is run on.
    pub fn roots(&self) -> Vec<KustId> {
        let listed: HashSet<KustId> = self
            .kusts
            .iter()
            .flat_map(|k| &k.entries)
            .filter_map(|e| match e.target {
                Target::Dir(Some(id)) if e.role.needs_kustomization() => Some(id),
                _ => None,
            })
            .collect();
        (0..self.kusts.len() as u32)
            .map(KustId)
            .filter(|id| !listed.contains(id))
            .collect()
    }

    pub fn get(&self, id: KustId) -> &Kustomization {
        &self.kusts[id.0 as usize]
    }

    /// Whether files in `dir` belong to a kustomize tree (deployed only if a kustomization
    /// lists them), rather than to a plain directory a GitOps app deploys as a whole.
    pub fn in_kustomize_tree(&self, dir: &Path, gitops: &crate::gitops::GitOps) -> bool {
        self.enclosing(dir).is_some()
            && !gitops.deploys_directory(dir, |d| self.dirs.contains_key(d))
    }

    /// Whether a listed path is absolute or leaves the repository: kustomize refuses the first,
    /// and no GitOps tool can read the second. Such paths are never looked at.
    pub fn escapes_repository(&self, e: &PathEntry) -> bool {
        e.target == Target::Escapes
            || (e.target == Target::Outside
                // An entry outside keeps its own path: no file list is needed for it.
                && (Path::new(&*e.text).is_absolute()
                    || !e.path(&self.kusts, &[]).starts_with(&self.repo_top)))
    }

    /// The namespace an object of a file in `dir` would get if its nearest kustomization listed
    /// it (that kustomization's `namespace:`), else `own`: for files nothing deploys.
    pub fn namespace_if_listed<'p>(
        &self,
        dir: &Path,
        parsed: &'p [Parsed<'_>],
        own: Option<&'p str>,
    ) -> Option<&'p str> {
        self.enclosing(dir)
            .and_then(|k| self.get(k).root(parsed))
            .and_then(|r| r.get("namespace"))
            .and_then(Node::as_str)
            .or(own)
    }

    /// The nearest kustomization at or above `dir`, if any.
    pub fn enclosing(&self, mut dir: &Path) -> Option<KustId> {
        loop {
            if let Some(id) = self.dirs.get(dir) {
                return Some(*id);
            }
            dir = dir.parent()?;
        }
    }
}

struct Resolver<'a> {
    by_path: &'a HashMap<&'a Path, FileId>,
    dirs: &'a HashMap<PathBuf, KustId>,
    roots: &'a [PathBuf],
    fence: &'a crate::fence::Fence,
}

impl Resolver<'_> {
    fn resolve(&self, dir: &Path, role: Role, text: &str) -> (PathBuf, Target) {
        if is_remote(text) {
            return (PathBuf::from(text), Target::Remote);
        }
        let path = normalize(&dir.join(text));
        if let Some(id) = self.by_path.get(path.as_path()) {
            let target = if role.accepts_file() {
                Target::File(*id)
            } else {
                Target::WrongType
            };
            return (path, target);
        }
        if let Some(id) = self.dirs.get(&path) {
            let target = if role.accepts_dir() {
                Target::Dir(Some(*id))
            } else {
                Target::WrongType
            };
            return (path, target);
        }
        if !self.roots.iter().any(|r| path.starts_with(r)) {
            return (path, Target::Outside);
        }
        // Through the fence: an entry through a symlink that leads out of the repository is
        // never looked at there.
        let real = match self.fence.locate(&path) {
            crate::fence::Place::Inside(real) => real,
            crate::fence::Place::Outside => return (path, Target::Escapes),
            crate::fence::Place::Missing
            | crate::fence::Place::Loop
            | crate::fence::Place::Denied => return (path, Target::Missing),
        };
        let target = match std::fs::metadata(&real) {
            Ok(m) if m.is_dir() && role.accepts_dir() => Target::Dir(None),
            Ok(m) if !m.is_dir() && role.accepts_file() => Target::OtherFile,
            Ok(_) => Target::WrongType,
            Err(_) => Target::Missing,
        };
        (path, target)
    }
}

/// Whether a file is a kustomization kustomize reads: named like one, and not some other API
/// object saved under that name (a Flux `Kustomization` custom resource often is).
pub fn is_kustomization(file: &SourceFile, parsed: &Parsed<'_>) -> bool {
    if !is_kustomization_file(&file.path) {
        return false;
    }
    let api = parsed
        .docs
        .first()
        .and_then(|d| d.root.as_ref())
        .and_then(|r| r.get("apiVersion"))
        .and_then(Node::as_str);
    api.is_none_or(|a| a.starts_with("kustomize.config.k8s.io/"))
}

/// URLs and go-getter style references that kustomize would fetch.
pub fn is_remote(text: &str) -> bool {
    text.contains("://")
        || text.starts_with("git@")
        || ["github.com/", "gitlab.com/", "bitbucket.org/"]
            .iter()
            .any(|h| text.starts_with(h))
}

fn collect_entries(root: &Node<'_>, dir: &Path, resolver: &Resolver<'_>) -> Vec<PathEntry> {
    let list = |key: &str| root.get(key).and_then(Node::as_seq).unwrap_or(&[]);
    // Kept for the whole run, one list per kustomization: sized for its resources (most of
    // its entries), not grown to twice what it holds, and shrunk at the end if it grew.
    let mut out = Vec::with_capacity(list("resources").len());
    let mut add = |role: Role, node: &Node<'_>, text: &str| {
        let (path, target) = resolver.resolve(dir, role, text);
        out.push(PathEntry::new(
            role,
            text.to_string(),
            node.span,
            path,
            target,
        ));
    };
    for (key, role) in [
        ("resources", Role::Resource),
        ("bases", Role::Base),
        ("components", Role::Component),
        ("crds", Role::Crd),
        ("configurations", Role::Configuration),
        ("generators", Role::Generator),
        ("transformers", Role::Transformer),
        ("validators", Role::Validator),
    ] {
        for item in list(key) {
            // Generators and transformers may be inline configs, as maps or as block scalars
            // holding YAML; only one-line strings are paths.
            if let Some(text) = item
                .as_str()
                .filter(|t| !t.is_empty() && !is_inline_config(t))
            {
                add(role, item, text);
            }
        }
    }
    for item in list("patchesStrategicMerge") {
        if let Some(text) = item.as_str().filter(|t| !is_inline_patch(t)) {
            add(Role::PatchStrategicMerge, item, text);
        }
    }
    // A plain string under `patches:` names a file (kustomize v5 refuses it: the entry must be
    // `- path: <file>`); it still refers to that file.
    for item in list("patches") {
        if let Some(text) = item
            .as_str()
            .filter(|t| !t.is_empty() && !is_inline_config(t))
        {
            add(Role::Patch, item, text);
        }
    }
    for (key, role) in [
        ("patches", Role::Patch),
        ("patchesJson6902", Role::PatchJson6902),
        ("replacements", Role::Replacement),
    ] {
        for item in list(key) {
            if let Some(path) = item.get("path").filter(|p| p.as_str().is_some()) {
                add(role, path, path.as_str().unwrap_or_default());
            }
        }
    }
    for key in ["configMapGenerator", "secretGenerator"] {
        for generator in list(key) {
            for file in generator.get("files").and_then(Node::as_seq).unwrap_or(&[]) {
                if let Some(text) = file.as_str() {
                    // `[key=]path`: the key names the data entry, the rest is the file.
                    let path = text.split_once('=').map_or(text, |(_, p)| p);
                    add(Role::GeneratorFile, file, path);
                }
            }
            let envs = generator.get("envs").and_then(Node::as_seq).unwrap_or(&[]);
            for env in envs.iter().chain(generator.get("env")) {
                if let Some(text) = env.as_str() {
                    add(Role::GeneratorEnv, env, text);
                }
            }
        }
    }
    if let Some(path) = root.at("openapi.path").filter(|p| p.as_str().is_some()) {
        add(Role::OpenApi, path, path.as_str().unwrap_or_default());
    }
    for chart in list("helmCharts") {
        if let Some(values) = chart.get("valuesFile").filter(|v| v.as_str().is_some()) {
            add(
                Role::HelmValues,
                values,
                values.as_str().unwrap_or_default(),
            );
        }
    }
    out.shrink_to_fit();
    out
}

/// `files:` of the generator and transformer plugin configs of a kustomization: inline (a map
/// or a block scalar of YAML) or in a listed file.
fn plugin_files(k: &Kustomization, parsed: &[Parsed<'_>]) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |config: &Node<'_>| {
        for f in config.get("files").and_then(Node::as_seq).unwrap_or(&[]) {
            if let Some(text) = f.as_str() {
                out.push(text.to_string());
            }
        }
    };
    let Some(root) = parsed[k.file.0 as usize]
        .docs
        .first()
        .and_then(|d| d.root.as_ref())
    else {
        return out;
    };
    for key in ["generators", "transformers"] {
        for item in root.get(key).and_then(Node::as_seq).unwrap_or(&[]) {
            match item.as_str() {
                Some(text) if is_inline_config(text) => {
                    for doc in crate::yaml::parse(k.file, text).docs {
                        if let Some(r) = &doc.root {
                            add(r);
                        }
                    }
                }
                Some(_) => {}
                None => add(item),
            }
        }
    }
    for e in &k.entries {
        if let (Role::Generator | Role::Transformer, Target::File(f)) = (e.role, &e.target) {
            for doc in &parsed[f.0 as usize].docs {
                if let Some(r) = &doc.root {
                    add(r);
                }
            }
        }
    }
    out
}

/// A list entry that is a YAML document rather than a path (kustomize tries both).
fn is_inline_config(text: &str) -> bool {
    text.trim_end().contains('\n') || text.starts_with("apiVersion:") || text.starts_with("kind:")
}

/// kustomize first tries a `patchesStrategicMerge` entry as YAML content, then as a path.
pub fn is_inline_patch(text: &str) -> bool {
    text.contains('\n') || (text.contains(": ") && text.contains("kind"))
}

/// Paths named in commented-out list entries (`# - ingress.yaml`) of a kustomization file: a
/// deliberate exclusion rather than a forgotten file. Returns each path with its span.
pub fn commented_entries(file: FileId, text: &str, dir: &Path) -> Vec<(PathBuf, Span)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(comment) = trimmed.strip_prefix('#') {
            let entry = comment.trim_start_matches('#').trim_start();
            if let Some(rest) = entry.strip_prefix('-') {
                let word = rest.split_whitespace().next().unwrap_or("");
                let word = word.trim_matches(|c| c == '"' || c == '\'');
                if !word.is_empty() && !is_remote(word) {
                    let start = offset + (line.len() - trimmed.len());
                    let end = offset + line.trim_end().len();
                    out.push((normalize(&dir.join(word)), Span::new(file, start, end)));
                }
            }
        }
        offset += line.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry gives the path it names whether it keeps the path itself or its target names
    /// it: a walked file, a kustomization's directory, a plain directory, a missing file, a
    /// path outside the linted root, a remote reference.
    #[test]
    fn an_entry_names_its_path_whatever_its_target() {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let top = crate::source::normalize(tmp.path());
        let app = top.join("app");
        std::fs::create_dir_all(app.join("base")).expect("app/base");
        std::fs::create_dir_all(app.join("plain")).expect("app/plain");
        let kustomization = "resources:\n  - a.yaml\n  - base\n  - plain\n  - gone.yaml\n  - ../../outside.yaml\n  - https://example.com/x\n";
        let files = [
            SourceFile::new(
                app.join("kustomization.yaml"),
                "k".into(),
                kustomization.into(),
            ),
            SourceFile::new(app.join("a.yaml"), "a".into(), "kind: ConfigMap\n".into()),
            SourceFile::new(
                app.join("base/kustomization.yaml"),
                "b".into(),
                "resources: []\n".into(),
            ),
        ];
        let parsed: Vec<_> = files
            .iter()
            .enumerate()
            .map(|(i, f)| crate::yaml::parse(FileId(i as u32), &f.text))
            .collect();
        let roots = [app.clone()];
        let model = Model::new(
            &files,
            &parsed,
            &roots,
            Some(&top),
            &crate::fence::Fence::new(&roots),
        );
        let kust = model
            .kusts
            .iter()
            .find(|k| *k.dir == *app)
            .expect("app's kustomization");
        let named: Vec<_> = kust
            .entries
            .iter()
            .map(|e| (e.target.clone(), e.path(&model.kusts, &files).to_path_buf()))
            .collect();
        assert_eq!(
            named,
            [
                (Target::File(FileId(1)), app.join("a.yaml")),
                (
                    Target::Dir(model.dirs.get(&app.join("base")).copied()),
                    app.join("base")
                ),
                (Target::Dir(None), app.join("plain")),
                (Target::Missing, app.join("gone.yaml")),
                (
                    Target::Outside,
                    top.parent()
                        .map_or(top.clone(), Path::to_path_buf)
                        .join("outside.yaml")
                ),
                (Target::Remote, PathBuf::from("https://example.com/x")),
            ]
        );
        assert!(matches!(named[1].0, Target::Dir(Some(_))));
    }

    #[test]
    fn remote_references() {
        assert!(is_remote("https://github.com/org/repo//base?ref=v1"));
        assert!(is_remote("git@github.com:org/repo.git"));
        assert!(is_remote("github.com/org/repo/base?ref=main"));
        assert!(!is_remote("../base"));
    }

    #[test]
    fn commented_entries_are_found() {
        let text =
            "resources:\n  - a.yaml\n  # - ingress.yaml\n#- 'b.yml' # later\n# plain comment\n";
        let found = commented_entries(FileId(0), text, Path::new("/r"));
        let paths: Vec<_> = found.iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(
            paths,
            [PathBuf::from("/r/ingress.yaml"), PathBuf::from("/r/b.yml")]
        );
        assert_eq!(&text[found[0].1.range()], "# - ingress.yaml");
    }
}
