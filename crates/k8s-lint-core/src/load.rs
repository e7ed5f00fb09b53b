//! Walk the roots, read every candidate file once and parse it, in parallel.
//!
//! The walk is serial and sorted (cheap, deterministic); reading and parsing run on rayon.
//! Nothing here fails the run: an unreadable, oversized, binary or looping entry becomes a
//! [`FileProblem`] attached to a file record so that it is reported with a location.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::source::{normalize, FileId, SourceFile, Span};
use crate::yaml::{self, Parsed};

/// Files above this size are reported and never read into memory.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Why a file could not be read or decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileProblem {
    /// Permission denied, a vanished file, a symlink loop, not a regular file…
    Unreadable(String),
    /// A symlink whose target does not exist: there is nothing to read.
    Dangling,
    TooLarge {
        size: u64,
        limit: u64,
    },
    /// Not UTF-8 (a binary file, or another encoding); the span is the first bad byte.
    NotUtf8 {
        span: Span,
    },
}

/// One walked file: its source, and the parsed YAML when it was readable.
pub struct Loaded {
    /// The lint roots as absolute directories (a file root stands for its directory).
    pub roots: Vec<PathBuf>,
    pub files: Vec<SourceFile>,
    /// Scripts and doc pages whose shell commands are read (see `scripts`); a problem
    /// reading one is no finding.
    pub scripts: Vec<SourceFile>,
    pub problems: Vec<(FileId, FileProblem)>,
    /// Helm templates and other files recognised but deliberately not parsed.
    pub skipped: usize,
}

/// Errors that stop the run: a root that does not exist.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read `{path}`: {source}")]
    Root {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Filter(String),
}

struct Candidate {
    path: PathBuf,
    /// A regular file (after following symlinks), as the directory listing says.
    regular: bool,
    /// The entry itself is a symlink: where it leads is checked before reading.
    symlink: bool,
    /// What the walk already found wrong with it: it is not read.
    walk_error: Option<FileProblem>,
    /// A script or doc page, read for its shell commands (see `scripts`), not a manifest.
    script: bool,
}

/// Walk `roots` and read every manifest candidate.
/// `include`/`exclude` globs from the config, on paths relative to `base`.
#[derive(Clone, Debug, Default)]
pub struct PathFilter {
    base: PathBuf,
    include: Option<globset::GlobSet>,
    exclude: Option<globset::GlobSet>,
}

impl PathFilter {
    /// Globs with gitignore-like semantics: `*` stays within a directory and `**` crosses them;
    /// a pattern without `/` matches at any depth; a trailing `/` (or a directory match)
    /// covers everything below.
    pub fn new(base: &Path, include: &[String], exclude: &[String]) -> Result<PathFilter, String> {
        let set = |patterns: &[String]| -> Result<Option<globset::GlobSet>, String> {
            if patterns.is_empty() {
                return Ok(None);
            }
            let mut b = globset::GlobSetBuilder::new();
            for p in patterns {
                for variant in gitignore_like(p) {
                    let glob = globset::GlobBuilder::new(&variant)
                        .literal_separator(true)
                        .build()
                        .map_err(|e| format!("bad glob `{p}`: {}", e.kind()))?;
                    b.add(glob);
                }
            }
            b.build().map(Some).map_err(|e| e.to_string())
        };
        Ok(PathFilter {
            base: normalize(base),
            include: set(include)?,
            exclude: set(exclude)?,
        })
    }

    fn relative<'a>(&self, abs: &'a Path) -> Option<&'a Path> {
        abs.strip_prefix(&self.base).ok()
    }

    fn excludes(&self, abs: &Path) -> bool {
        match (&self.exclude, self.relative(abs)) {
            (Some(set), Some(rel)) => set.is_match(rel),
            _ => false,
        }
    }

    fn includes(&self, abs: &Path) -> bool {
        match (&self.include, self.relative(abs)) {
            (Some(set), Some(rel)) => set.is_match(rel),
            // Paths outside the config's directory are not its business.
            _ => true,
        }
    }
}

fn gitignore_like(pattern: &str) -> Vec<String> {
    let p = pattern.trim_start_matches("./");
    let anchored = p.starts_with('/');
    let p = p.trim_start_matches('/').trim_end_matches('/');
    let p = if anchored || p.contains('/') {
        p.to_string()
    } else {
        format!("**/{p}")
    };
    vec![format!("{p}/**"), p]
}

/// `repo_top`: the repository top when the caller knows it (else the nearest `.git` above the
/// first root); git's index is read only there.
pub fn load(
    roots: &[PathBuf],
    cwd: &Path,
    max_size: u64,
    filter: &PathFilter,
    repo_top: Option<&Path>,
) -> Result<Loaded, LoadError> {
    let mut candidates = Vec::new();
    let mut dirs = Vec::new();
    let mut walked = Vec::new();
    for root in roots {
        let meta = std::fs::metadata(root).map_err(|source| LoadError::Root {
            path: root.display().to_string(),
            source,
        })?;
        let abs = normalize(&cwd.join(root));
        walked.push(abs.clone());
        dirs.push(match abs.parent() {
            Some(parent) if !meta.is_dir() => parent.to_path_buf(),
            _ => abs,
        });
    }
    let fence = Fence::new(&dirs);
    for root in &walked {
        walk(root, cwd, filter, &fence, true, &mut candidates);
    }
    let top = match (repo_top, dirs.first()) {
        (Some(t), _) => Some(normalize(&cwd.join(t))),
        (None, Some(first)) => Some(crate::gitops::repo_top(first)),
        (None, None) => None,
    };
    if let Some(top) = top {
        add_tracked_but_ignored(&top, &walked, &dirs, cwd, filter, &fence, &mut candidates);
    }
    candidates.sort_by(|a, b| a.path.cmp(&b.path));
    candidates.dedup_by(|a, b| a.path == b.path);
    let (scripts, candidates): (Vec<Candidate>, Vec<Candidate>) =
        candidates.into_iter().partition(|c| c.script);
    let scripts: Vec<SourceFile> = scripts
        .into_par_iter()
        .filter_map(|c| match read_one(FileId(0), c, cwd, max_size, &fence) {
            (file, None, false) => Some(file),
            _ => None,
        })
        .collect();

    let read: Vec<(SourceFile, Option<FileProblem>, bool)> = candidates
        .into_par_iter()
        .enumerate()
        .map(|(i, c)| read_one(FileId(i as u32), c, cwd, max_size, &fence))
        .collect();
    let mut files = Vec::with_capacity(read.len());
    let mut problems = Vec::new();
    let mut skipped = 0;
    for (i, (file, problem, skip)) in read.into_iter().enumerate() {
        if let Some(p) = problem {
            problems.push((FileId(i as u32), p));
        }
        skipped += usize::from(skip);
        files.push(file);
    }
    Ok(Loaded {
        roots: dirs,
        files,
        scripts,
        problems,
        skipped,
    })
}

/// Parse every loaded file (empty text parses to nothing).
pub fn parse_all(files: &[SourceFile]) -> Vec<Parsed<'_>> {
    files
        .par_iter()
        .enumerate()
        .map(|(i, f)| yaml::parse(FileId(i as u32), &f.text))
        .collect()
}

/// Files git tracks although a `.gitignore` matches them: git keeps tracking them, and so
/// they are deployed. Only when the repository has an index that lists such a candidate is the
/// tree walked a second time, without `.gitignore`, to pick them up.
fn add_tracked_but_ignored(
    top: &Path,
    walked: &[PathBuf],
    dirs: &[PathBuf],
    cwd: &Path,
    filter: &PathFilter,
    fence: &Fence,
    out: &mut Vec<Candidate>,
) {
    let tracked = crate::git_index::tracked(top);
    if tracked.is_empty() {
        return;
    }
    let seen: HashSet<PathBuf> = out.iter().map(|c| normalize(&cwd.join(&c.path))).collect();
    // Only a file the walk would have read but for `.gitignore`: not in a hidden or skipped
    // directory, not excluded by the config.
    let walkable = |rel: &Path| {
        rel.components().all(|c| {
            let name = c.as_os_str().to_string_lossy();
            !name.starts_with('.') && name != "target" && name != "node_modules"
        })
    };
    let missing = tracked.iter().any(|rel| {
        let abs = top.join(rel);
        walkable(rel)
            && is_candidate(&abs)
            && dirs.iter().any(|d| abs.starts_with(d))
            && filter.includes(&abs)
            && !filter.excludes(&abs)
            && !seen.contains(&abs)
    });
    if !missing {
        return;
    }
    let mut again = Vec::new();
    for root in walked {
        walk(root, cwd, filter, fence, false, &mut again);
    }
    out.extend(again.into_iter().filter(|c| {
        let abs = normalize(&cwd.join(&c.path));
        !seen.contains(&abs) && abs.strip_prefix(top).is_ok_and(|rel| tracked.contains(rel))
    }));
}

/// Walk one root on all cores (directory reads dominate a large tree); the caller sorts.
/// `gitignore`: whether `.gitignore` files are honoured.
fn walk(
    root: &Path,
    cwd: &Path,
    filter: &PathFilter,
    fence: &Fence,
    gitignore: bool,
    out: &mut Vec<Candidate>,
) {
    let filter_dirs = filter.clone();
    let found = Mutex::new(Vec::new());
    let dir_fence = fence.clone();
    let escaped = std::sync::Arc::new(Mutex::new(Vec::new()));
    let escaped_dirs = escaped.clone();
    ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(gitignore)
        .git_global(false)
        .git_exclude(gitignore)
        // A CI checkout or a tarball may have no `.git`; its .gitignore still says what is junk.
        .require_git(false)
        .follow_links(true)
        .add_custom_ignore_filename(".k8slintignore")
        .filter_entry(move |e| {
            if is_skipped_dir(e) || (e.depth() > 0 && filter_dirs.excludes(e.path())) {
                return false;
            }
            let symlinked_dir = e.path_is_symlink() && e.file_type().is_some_and(|t| t.is_dir());
            if symlinked_dir && !dir_fence.contains(e.path()) {
                if let Ok(mut v) = escaped_dirs.lock() {
                    v.push(e.path().to_path_buf());
                }
                return false;
            }
            true
        })
        .build_parallel()
        .visit(&mut Collector {
            found: &found,
            cwd,
            filter,
        });
    out.extend(found.into_inner().unwrap_or_else(|e| e.into_inner()));
    let escaped = escaped.lock().map(|v| v.clone()).unwrap_or_default();
    out.extend(escaped.into_iter().map(|path| Candidate {
        path,
        script: false,
        regular: false,
        symlink: true,
        walk_error: Some(FileProblem::Unreadable(
            "symlink to a directory outside the linted tree; not followed".into(),
        )),
    }));
}

/// The real directories of the lint roots: a symlink must not lead a run (say, on a pull
/// request in CI) to read, and print, files from elsewhere on the machine.
#[derive(Clone, Debug)]
struct Fence(std::sync::Arc<Vec<PathBuf>>);

impl Fence {
    fn new(roots: &[PathBuf]) -> Fence {
        let real = roots
            .iter()
            .map(|r| std::fs::canonicalize(r).unwrap_or_else(|_| r.clone()));
        Fence(std::sync::Arc::new(real.collect()))
    }

    /// Whether `path`, symlinks resolved, lies inside a root. A dangling link is "inside":
    /// opening it fails with its own clear error.
    fn contains(&self, path: &Path) -> bool {
        std::fs::canonicalize(path).map_or(true, |real| self.0.iter().any(|r| real.starts_with(r)))
    }
}

/// Hands each walker thread a [`Visitor`] that gathers candidates locally.
struct Collector<'a> {
    found: &'a Mutex<Vec<Candidate>>,
    cwd: &'a Path,
    filter: &'a PathFilter,
}

impl<'a> ignore::ParallelVisitorBuilder<'a> for Collector<'a> {
    fn build(&mut self) -> Box<dyn ignore::ParallelVisitor + 'a> {
        Box::new(Visitor {
            local: Vec::new(),
            found: self.found,
            cwd: self.cwd,
            filter: self.filter,
        })
    }
}

struct Visitor<'a> {
    local: Vec<Candidate>,
    found: &'a Mutex<Vec<Candidate>>,
    cwd: &'a Path,
    filter: &'a PathFilter,
}

impl ignore::ParallelVisitor for Visitor<'_> {
    fn visit(&mut self, entry: Result<ignore::DirEntry, ignore::Error>) -> ignore::WalkState {
        match entry {
            Ok(e) => {
                let file = e.file_type().is_some_and(|t| !t.is_dir());
                let path = e.path();
                let manifest = is_candidate(path);
                let script = !manifest && crate::scripts::is_script(path);
                if file
                    && (manifest || script)
                    && self.filter.includes(path)
                    && !self.filter.excludes(path)
                {
                    self.local.push(Candidate {
                        regular: e.file_type().is_some_and(|t| t.is_file()),
                        symlink: e.path_is_symlink(),
                        path: e.into_path(),
                        walk_error: None,
                        script,
                    });
                }
            }
            Err(err) => {
                if let Some(path) = error_path(&err) {
                    // A symlink to nothing: no target was touched, and there is nothing to read.
                    let dangling = err
                        .io_error()
                        .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound)
                        && std::fs::symlink_metadata(&path)
                            .is_ok_and(|m| m.file_type().is_symlink());
                    self.local.push(Candidate {
                        script: !is_candidate(&path) && crate::scripts::is_script(&path),
                        path,
                        regular: false,
                        symlink: dangling,
                        walk_error: Some(if dangling {
                            FileProblem::Dangling
                        } else {
                            FileProblem::Unreadable(walk_error_message(&err, self.cwd))
                        }),
                    });
                }
            }
        }
        ignore::WalkState::Continue
    }
}

impl Drop for Visitor<'_> {
    fn drop(&mut self) {
        if let Ok(mut found) = self.found.lock() {
            found.append(&mut self.local);
        }
    }
}

fn is_skipped_dir(entry: &ignore::DirEntry) -> bool {
    if !entry.file_type().is_some_and(|t| t.is_dir()) || entry.depth() == 0 {
        return false;
    }
    let name = entry.file_name();
    name == "target"
        || name == "node_modules"
        // A Helm chart's templates are Go templates, not manifests.
        || (name == "templates"
            && entry
                .path()
                .parent()
                .is_some_and(|p| p.join("Chart.yaml").is_file()))
}

pub fn is_candidate(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name == "Kustomization"
        || [".yaml", ".yml", ".json"]
            .iter()
            .any(|ext| name.len() > ext.len() && name.ends_with(ext))
}

pub fn is_kustomization_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| KUSTOMIZATION_FILE_NAMES.contains(&n))
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

fn walk_error_message(err: &ignore::Error, cwd: &Path) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => walk_error_message(err, cwd),
        ignore::Error::Loop { ancestor, .. } => format!(
            "symlink loop: points back to its ancestor `{}`; not followed",
            display_path(&normalize(ancestor), ancestor, cwd)
        ),
        other => other.to_string(),
    }
}

fn read_one(
    id: FileId,
    c: Candidate,
    cwd: &Path,
    max_size: u64,
    fence: &Fence,
) -> (SourceFile, Option<FileProblem>, bool) {
    let abs = normalize(&cwd.join(&c.path));
    let display = display_path(&abs, &c.path, cwd);
    let empty = |p: FileProblem| {
        (
            SourceFile::new(abs.clone(), display.clone(), String::new()),
            Some(p),
            false,
        )
    };
    if let Some(problem) = c.walk_error {
        return empty(problem);
    }
    if c.symlink && !fence.contains(&c.path) {
        return empty(FileProblem::Unreadable(
            "symlink to a file outside the linted tree; not read".into(),
        ));
    }
    if !c.regular {
        // A FIFO or device named `x.yaml` would block or never end: never open it.
        return empty(FileProblem::Unreadable(
            "not a regular file; not read".into(),
        ));
    }
    let bytes = match read_capped(&c.path, max_size) {
        Ok(Ok(b)) => b,
        Ok(Err(size)) => {
            return empty(FileProblem::TooLarge {
                size,
                limit: max_size,
            })
        }
        Err(e) if c.symlink && e.kind() == std::io::ErrorKind::NotFound => {
            return empty(FileProblem::Dangling)
        }
        Err(e) => return empty(FileProblem::Unreadable(e.to_string())),
    };
    // git-crypt stores encrypted files under their own name: not YAML until unlocked.
    if bytes.starts_with(b"\0GITCRYPT") {
        return (SourceFile::new(abs, display, String::new()), None, true);
    }
    match String::from_utf8(bytes) {
        Ok(text) => {
            if is_go_template(&text) {
                return (SourceFile::new(abs, display, String::new()), None, true);
            }
            (SourceFile::new(abs, display, text), None, false)
        }
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(valid);
            // The valid prefix keeps line:column of the bad byte right.
            let text = String::from_utf8(bytes).unwrap_or_default();
            let span = Span::new(id, valid, valid);
            (
                SourceFile::new(abs, display, text),
                Some(FileProblem::NotUtf8 { span }),
                false,
            )
        }
    }
}

/// Read the file if it is at most `max` bytes (else its size), sizing the buffer from the open
/// file's metadata; a file that grows while read is cut at the limit and reported as too large.
fn read_capped(path: &Path, max: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    if size > max {
        return Ok(Err(size));
    }
    let mut buf = Vec::with_capacity(size as usize + 1);
    file.take(max.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Ok(Err(buf.len() as u64));
    }
    Ok(Ok(buf))
}

/// A Helm or other Go template: a line that starts with `{{`. Inside YAML that position can
/// only hold template syntax, while `{{ }}` in a quoted or indented value is ordinary text.
fn is_go_template(text: &str) -> bool {
    text.starts_with("{{") || text.contains("\n{{") || text.contains("\r{{")
}

fn display_path(abs: &Path, given: &Path, cwd: &Path) -> String {
    let rel = abs
        .strip_prefix(cwd)
        .unwrap_or(if given.is_absolute() { abs } else { given });
    let s = rel.to_string_lossy();
    if s.is_empty() {
        return ".".into();
    }
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_recognised_only_at_line_start() {
        assert!(is_go_template("{{- if .Values.x }}\nkind: Service\n"));
        assert!(!is_go_template(
            "metadata:\n  annotations:\n    a: \"{{ not a template }}\"\n"
        ));
        assert!(!is_go_template(
            "data:\n  rule: |\n    {{ $labels.instance }} down\n"
        ));
    }

    #[test]
    fn include_exclude_globs_are_gitignore_like() {
        let f = PathFilter::new(
            Path::new("/r"),
            &[],
            &[
                "vendor/".into(),
                "apps/*.yaml".into(),
                "*.generated.yaml".into(),
            ],
        )
        .unwrap();
        assert!(f.excludes(Path::new("/r/vendor/x/y.yaml")));
        assert!(f.excludes(Path::new("/r/apps/a.yaml")));
        assert!(
            !f.excludes(Path::new("/r/apps/web/a.yaml")),
            "`*` does not cross `/`"
        );
        assert!(f.excludes(Path::new("/r/deep/dir/x.generated.yaml")));
        let f = PathFilter::new(Path::new("/r"), &["apps/**".into()], &[]).unwrap();
        assert!(f.includes(Path::new("/r/apps/web/a.yaml")));
        assert!(!f.includes(Path::new("/r/infra/a.yaml")));
        assert!(PathFilter::new(Path::new("/r"), &[], &["a[".into()]).is_err());
    }

    #[test]
    fn candidates() {
        assert!(is_candidate(Path::new("a/b.yaml")));
        assert!(is_candidate(Path::new("Kustomization")));
        assert!(is_candidate(Path::new("x.json")));
        assert!(!is_candidate(Path::new(".yaml")));
        assert!(!is_candidate(Path::new("README.md")));
    }
}
