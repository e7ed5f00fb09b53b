//! Walk the roots, read every candidate file once and parse it, in parallel.
//!
//! The walk is serial and sorted (cheap, deterministic); reading and parsing run on rayon.
//! Nothing here fails the run: an unreadable, oversized, binary or looping entry becomes a
//! [`FileProblem`] attached to a file record so that it is reported with a location.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::fence::{read_capped, Fence, Place};
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
    /// A symlink (not named like a manifest) that leads out of the repository: not followed.
    LeadsOutside,
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
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The lint roots as absolute directories (a file root stands for its directory).
    pub roots: Vec<PathBuf>,
    pub files: Vec<SourceFile>,
    /// Scripts and doc pages whose shell commands are read (see `scripts`); a problem
    /// reading one is no finding.
    pub scripts: Vec<SourceFile>,
    pub problems: Vec<(FileId, FileProblem)>,
    /// Helm templates and other files recognised but deliberately not parsed (their text is
    /// empty in `files`).
    pub skipped: Vec<FileId>,
    /// What the run may read: everything else that touches the disk goes through it.
    pub fence: Fence,
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
    #[error("`{path}` leads outside the repository (through a symlink, or `..`); not read")]
    Outside { path: String },
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
    /// Where a symlinked candidate really is (inside the repository): what is read.
    real: Option<PathBuf>,
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
    read: &Reading<'_>,
    filter: &PathFilter,
    repo_top: Option<&Path>,
) -> Result<Loaded, LoadError> {
    let mut candidates = Vec::new();
    let mut dirs = Vec::new();
    let mut walked = Vec::new();
    // The repository top of each path: what the run may read. A path argument, like any
    // entry, must not lead out of it (`k8s-lint prod.yaml` where `prod.yaml -> ../x.yaml`).
    let absolute: Vec<PathBuf> = roots.iter().map(|r| normalize(&cwd.join(r))).collect();
    let tops: Vec<PathBuf> = match repo_top {
        Some(t) => vec![normalize(&cwd.join(t))],
        None => absolute
            .iter()
            .map(|a| crate::gitops::repo_top_of_root(a))
            .collect(),
    };
    let fence = Fence::new(&tops);
    for (root, abs) in roots.iter().zip(&absolute) {
        let root_error = |source: std::io::Error| LoadError::Root {
            path: root.display().to_string(),
            source,
        };
        let real = match fence.locate(abs) {
            Place::Inside(real) => real,
            Place::Outside => {
                return Err(LoadError::Outside {
                    path: root.display().to_string(),
                })
            }
            Place::Missing => return Err(root_error(std::io::ErrorKind::NotFound.into())),
            Place::Loop => {
                return Err(root_error(std::io::Error::other("symlink loop")));
            }
            Place::Denied => return Err(root_error(std::io::ErrorKind::PermissionDenied.into())),
        };
        let meta = std::fs::metadata(&real).map_err(root_error)?;
        walked.push((abs.clone(), real));
        dirs.push(match abs.parent() {
            Some(parent) if !meta.is_dir() => parent.to_path_buf(),
            _ => abs.clone(),
        });
    }
    for (root, real) in &walked {
        walk_all(root, real, cwd, filter, &fence, true, &mut candidates);
    }
    if let Some(top) = tops.first() {
        add_tracked_but_ignored(top, &walked, &dirs, cwd, filter, &fence, &mut candidates);
    }
    add_unsaved(read.overlay, &walked, filter, &fence, &mut candidates);
    candidates.sort_by_cached_key(|c| crate::source::order_key(&c.path));
    candidates.dedup_by(|a, b| a.path == b.path);
    let (scripts, candidates): (Vec<Candidate>, Vec<Candidate>) =
        candidates.into_iter().partition(|c| c.script);
    let scripts: Vec<SourceFile> = scripts
        .into_par_iter()
        .filter_map(|c| match read_one(FileId(0), c, cwd, read) {
            (file, None, false) => Some(file),
            _ => None,
        })
        .collect();

    let read: Vec<(SourceFile, Option<FileProblem>, bool)> = candidates
        .into_par_iter()
        .enumerate()
        .map(|(i, c)| read_one(FileId(i as u32), c, cwd, read))
        .collect();
    let mut files = Vec::with_capacity(read.len());
    let mut problems = Vec::new();
    let mut skipped = Vec::new();
    for (i, (file, problem, skip)) in read.into_iter().enumerate() {
        if let Some(p) = problem {
            problems.push((FileId(i as u32), p));
        }
        if skip {
            skipped.push(FileId(i as u32));
        }
        files.push(file);
    }
    Ok(Loaded {
        roots: dirs,
        files,
        scripts,
        problems,
        skipped,
        fence,
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
    walked: &[(PathBuf, PathBuf)],
    dirs: &[PathBuf],
    cwd: &Path,
    filter: &PathFilter,
    fence: &Fence,
    out: &mut Vec<Candidate>,
) {
    let tracked = crate::git_index::tracked(top, fence);
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
    for (root, real) in walked {
        walk_all(root, real, cwd, filter, fence, false, &mut again);
    }
    out.extend(again.into_iter().filter(|c| {
        let abs = normalize(&cwd.join(&c.path));
        !seen.contains(&abs) && abs.strip_prefix(top).is_ok_and(|rel| tracked.contains(rel))
    }));
}

/// Buffers of files that are not on disk (a new file the editor has not saved yet): each is a
/// candidate where the walk would have found it, had it been saved. Nothing on disk is read
/// for it: the fence must find nothing at its path (no file, and no symlink out on the way),
/// and the filters, hidden and skipped directories and ignore files of the walk apply to it
/// and to each directory above it up to its root.
fn add_unsaved(
    overlay: &Overlay,
    walked: &[(PathBuf, PathBuf)],
    filter: &PathFilter,
    fence: &Fence,
    out: &mut Vec<Candidate>,
) {
    if overlay.is_empty() {
        return;
    }
    let found: HashSet<&Path> = out.iter().map(|c| c.path.as_path()).collect();
    let mut unsaved: Vec<Candidate> = Vec::new();
    for path in overlay.0.keys() {
        let Some((root, _)) = walked
            .iter()
            .find(|(root, _)| path.starts_with(root) && path != root)
        else {
            continue;
        };
        if found.contains(path.as_path())
            || !is_candidate(path)
            || !matches!(fence.locate(path), Place::Missing)
            || !filter.includes(path)
        {
            continue;
        }
        let ignores = IgnoreFiles::new(root, root, fence, true);
        let mut at = Some(path.as_path());
        let mut admitted = true;
        while let Some(p) = at.filter(|p| *p != root.as_path()) {
            let is_dir = p != path.as_path();
            let name = p.file_name().unwrap_or_default();
            let chart_templates = name == "templates"
                && p.parent().is_some_and(|d| {
                    matches!(fence.locate(&d.join("Chart.yaml")), Place::Inside(_))
                });
            if name.to_string_lossy().starts_with('.')
                || (is_dir && (name == "target" || name == "node_modules" || chart_templates))
                || filter.excludes(p)
                || ignores.ignored(p, is_dir)
            {
                admitted = false;
                break;
            }
            at = p.parent();
        }
        if admitted {
            unsaved.push(Candidate {
                path: path.clone(),
                regular: true,
                symlink: false,
                walk_error: None,
                script: false,
                real: None,
            });
        }
    }
    out.extend(unsaved);
}

/// Walk `root` (really at `real`) and, one by one, the directories symlinks inside lead to;
/// candidates are named by the paths as walked (through the links).
fn walk_all(
    root: &Path,
    real: &Path,
    cwd: &Path,
    filter: &PathFilter,
    fence: &Fence,
    gitignore: bool,
    out: &mut Vec<Candidate>,
) {
    let mut seen: HashSet<PathBuf> = HashSet::from([real.to_path_buf()]);
    let mut pending = vec![(root.to_path_buf(), real.to_path_buf())];
    while let Some((shown, real)) = pending.pop() {
        let mut links = walk(&shown, &real, cwd, filter, fence, gitignore, out);
        // The walk is parallel: in path order, two links to one directory name its files the
        // same way on every run.
        links.sort();
        for link in links {
            let (shown_link, place) = (link.clone(), fence.locate(&link));
            let name_is_candidate = is_candidate(&link) || crate::scripts::is_script(&link);
            let problem = |p: FileProblem| Candidate {
                path: shown_link.clone(),
                regular: false,
                symlink: true,
                walk_error: Some(p),
                script: !is_candidate(&link) && crate::scripts::is_script(&link),
                real: None,
            };
            match place {
                Place::Outside if name_is_candidate => out.push(problem(FileProblem::Unreadable(
                    "symlink to a file outside the repository; not read".into(),
                ))),
                Place::Outside => out.push(problem(FileProblem::LeadsOutside)),
                Place::Missing if name_is_candidate => out.push(problem(FileProblem::Dangling)),
                Place::Missing => {}
                Place::Denied => out.push(problem(FileProblem::Unreadable(
                    "permission denied; not followed".into(),
                ))),
                Place::Loop => out.push(problem(FileProblem::Unreadable(
                    "symlink loop; not followed".into(),
                ))),
                Place::Inside(target) => {
                    let Ok(meta) = std::fs::metadata(&target) else {
                        continue;
                    };
                    if meta.is_dir() {
                        let parent_real =
                            link.parent()
                                .map(|p| fence.locate(p))
                                .and_then(|p| match p {
                                    Place::Inside(r) => Some(r),
                                    _ => None,
                                });
                        if parent_real.as_ref().is_some_and(|p| p.starts_with(&target)) {
                            let ancestor = shown_ancestor(&link, &parent_real, &target);
                            out.push(problem(FileProblem::Unreadable(format!(
                                "symlink loop: points back to its ancestor `{}`; not followed",
                                display_path(&ancestor, &ancestor, cwd)
                            ))));
                        } else if !filter.excludes(&link)
                            && !link
                                .file_name()
                                .is_some_and(|n| n == "target" || n == "node_modules")
                            && seen.insert(target.clone())
                        {
                            pending.push((link, target));
                        }
                    } else if name_is_candidate && filter.includes(&link) && !filter.excludes(&link)
                    {
                        out.push(Candidate {
                            regular: meta.is_file(),
                            symlink: true,
                            walk_error: None,
                            script: !is_candidate(&link) && crate::scripts::is_script(&link),
                            real: Some(target),
                            path: link,
                        });
                    }
                }
            }
        }
    }
}

/// The walked path of the ancestor a looping directory link points back to.
fn shown_ancestor(link: &Path, parent_real: &Option<PathBuf>, target: &Path) -> PathBuf {
    let up = parent_real
        .as_ref()
        .and_then(|p| p.strip_prefix(target).ok())
        .map_or(0, |rest| rest.components().count());
    let mut shown = link.parent().unwrap_or(link).to_path_buf();
    for _ in 0..up {
        shown.pop();
    }
    shown
}

/// Walk one directory on all cores (directory reads dominate a large tree); the caller sorts.
/// `shown`: the path it is walked as (a root as given, or a symlink to it), `real`: where it
/// is. Symlinks are not followed here: they are returned (as walked) for [`walk_all`] to
/// locate through the fence. `gitignore`: whether `.gitignore` files are honoured.
fn walk(
    shown: &Path,
    real: &Path,
    cwd: &Path,
    filter: &PathFilter,
    fence: &Fence,
    gitignore: bool,
    out: &mut Vec<Candidate>,
) -> Vec<PathBuf> {
    let found = Mutex::new(Vec::new());
    let links = Mutex::new(Vec::new());
    // Walked as `shown`, so that paths (and so `.gitignore` matches and the filter) are those
    // of the repository as written; a root that is a symlink is walked at its real place.
    let start = if shown == real || !real.is_dir() {
        shown
    } else {
        real
    };
    let mut builder = ignore::WalkBuilder::new(start);
    builder
        .hidden(true)
        // Ignore files are read by us, through the fence (see `IgnoreFiles`): the walker would
        // open a `.gitignore` that is a symlink to a secret (and print its lines in a glob
        // error) or to /dev/zero, and read those of every directory up to `/`.
        .ignore(false)
        .git_ignore(false)
        .git_global(false)
        .git_exclude(false)
        .parents(false)
        .require_git(false)
        .follow_links(false);
    let ignores = std::sync::Arc::new(IgnoreFiles::new(shown, start, fence, gitignore));
    let filter_dirs = filter.clone();
    let remap = |p: PathBuf| -> PathBuf {
        match p.strip_prefix(start) {
            Ok(rest) if start != shown => shown.join(rest),
            _ => p,
        }
    };
    // The config's include/exclude are about paths as written: a directory walked at its real
    // place (through a symlink) is filtered by its shown path.
    let (start_dir, shown_dir) = (start.to_path_buf(), shown.to_path_buf());
    let shown_of = move |p: &Path| -> PathBuf {
        match p.strip_prefix(&start_dir) {
            Ok(rest) if start_dir != shown_dir => shown_dir.join(rest),
            _ => p.to_path_buf(),
        }
    };
    let shown_of_entry = shown_of.clone();
    builder
        .filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !(is_skipped_dir(e)
                || (e.depth() > 0 && filter_dirs.excludes(&shown_of_entry(e.path())))
                || (e.depth() > 0 && ignores.ignored(e.path(), is_dir)))
        })
        .build_parallel()
        .visit(&mut Collector {
            found: &found,
            links: &links,
            cwd,
            filter,
            shown_of: &shown_of,
        });
    let mut got: Vec<Candidate> = found.into_inner().unwrap_or_else(|e| e.into_inner());
    for c in &mut got {
        c.path = remap(std::mem::take(&mut c.path));
    }
    out.extend(got);
    links
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|l| normalize(&cwd.join(remap(l))))
        .collect()
}

/// The `.gitignore` and `.k8slintignore` files that apply to a walk, read through the fence
/// (a symlink out of the repository, a FIFO or a huge file is not read) and capped: those of
/// the walked directories as the walk reaches them, and those of the directories above the
/// walk up to the repository top (as git applies them to a sub-directory). A line that is no
/// valid pattern is skipped, never shown.
struct IgnoreFiles {
    fence: Fence,
    gitignore: bool,
    /// The walk's start, and where it is shown (they differ for a symlinked root).
    start: PathBuf,
    /// Matchers of the directories above the walk, nearest first.
    above: Vec<ignore::gitignore::Gitignore>,
    /// The matchers that apply in each walked directory, nearest first, built once per
    /// directory from its parent's: an entry costs one lookup, not one per directory above it.
    dirs: Mutex<crate::hash::HashMap<PathBuf, Chain>>,
}

/// Ignore matchers, nearest directory first (most directories have none, and share the empty
/// chain of their parent).
type Chain = std::sync::Arc<[std::sync::Arc<ignore::gitignore::Gitignore>]>;

/// The largest ignore file read.
const MAX_IGNORE_FILE: u64 = 1 << 20;

impl IgnoreFiles {
    fn new(shown: &Path, start: &Path, fence: &Fence, gitignore: bool) -> IgnoreFiles {
        let mut above = Vec::new();
        if let Some(top) = fence.tops().find(|t| shown.starts_with(t)) {
            let mut d = shown.parent();
            while let Some(here) = d.filter(|d| d.starts_with(top)) {
                if let Some(m) = matcher(here, here, fence, gitignore) {
                    above.push(m);
                }
                d = here.parent();
            }
        }
        IgnoreFiles {
            fence: fence.clone(),
            gitignore,
            start: start.to_path_buf(),
            above,
            dirs: Mutex::new(crate::hash::HashMap::default()),
        }
    }

    /// Whether a walked entry is ignored: the nearest ignore file with a matching pattern
    /// decides (a later `!pattern` re-includes), as in git.
    fn ignored(&self, path: &Path, is_dir: bool) -> bool {
        let chain = path
            .parent()
            .filter(|d| d.starts_with(&self.start))
            .map(|d| self.chain(d));
        for m in chain.iter().flat_map(|c| c.iter()) {
            match m.matched(path, is_dir) {
                ignore::Match::Ignore(_) => return true,
                ignore::Match::Whitelist(_) => return false,
                ignore::Match::None => {}
            }
        }
        for m in &self.above {
            if path.starts_with(m.path()) {
                match m.matched(path, is_dir) {
                    ignore::Match::Ignore(_) => return true,
                    ignore::Match::Whitelist(_) => return false,
                    ignore::Match::None => {}
                }
            }
        }
        false
    }

    /// The matchers that apply in `dir` (a walked directory, at or below the start). The
    /// walk reaches a directory before its entries, so its parent's chain is known already.
    fn chain(&self, dir: &Path) -> Chain {
        if let Some(known) = self.dirs.lock().ok().and_then(|d| d.get(dir).cloned()) {
            return known;
        }
        let parent = dir
            .parent()
            .filter(|p| dir != self.start && p.starts_with(&self.start))
            .map(|p| self.chain(p));
        let parent = parent.unwrap_or_else(|| std::sync::Arc::new([]));
        let chain = match matcher(dir, dir, &self.fence, self.gitignore) {
            Some(own) => std::iter::once(std::sync::Arc::new(own))
                .chain(parent.iter().cloned())
                .collect(),
            None => parent,
        };
        if let Ok(mut dirs) = self.dirs.lock() {
            dirs.insert(dir.to_path_buf(), chain.clone());
        }
        chain
    }
}

/// The matcher of the ignore files in `dir` (patterns relative to `base`): `.gitignore` (when
/// honoured), then `.k8slintignore`, whose lines come later and so win.
fn matcher(
    base: &Path,
    dir: &Path,
    fence: &Fence,
    gitignore: bool,
) -> Option<ignore::gitignore::Gitignore> {
    let mut builder = ignore::gitignore::GitignoreBuilder::new(base);
    let mut any = false;
    for name in [".gitignore", ".k8slintignore"] {
        if name == ".gitignore" && !gitignore {
            continue;
        }
        let path = dir.join(name);
        // Most directories have no ignore file: one lstat says so, where the fence would
        // check each directory from the top down first. It does not follow a link, and `dir`
        // is inside the fence, so nothing outside is looked at.
        if std::fs::symlink_metadata(&path).is_err() {
            continue;
        }
        let Ok(Ok(bytes)) = fence.read(&path, MAX_IGNORE_FILE) else {
            continue;
        };
        for line in String::from_utf8_lossy(&bytes).lines() {
            // A bad glob is skipped: its text is the file's, and is never shown.
            if builder.add_line(None, line).is_ok() {
                any = true;
            }
        }
    }
    if !any {
        return None;
    }
    builder.build().ok()
}

/// Hands each walker thread a [`Visitor`] that gathers candidates locally.
struct Collector<'a> {
    found: &'a Mutex<Vec<Candidate>>,
    links: &'a Mutex<Vec<PathBuf>>,
    cwd: &'a Path,
    filter: &'a PathFilter,
    /// A walked path as written (see `walk`).
    shown_of: &'a (dyn Fn(&Path) -> PathBuf + Sync),
}

impl<'a> ignore::ParallelVisitorBuilder<'a> for Collector<'a> {
    fn build(&mut self) -> Box<dyn ignore::ParallelVisitor + 'a> {
        Box::new(Visitor {
            local: Vec::new(),
            links: Vec::new(),
            found: self.found,
            found_links: self.links,
            cwd: self.cwd,
            filter: self.filter,
            shown_of: self.shown_of,
        })
    }
}

struct Visitor<'a> {
    local: Vec<Candidate>,
    links: Vec<PathBuf>,
    found: &'a Mutex<Vec<Candidate>>,
    found_links: &'a Mutex<Vec<PathBuf>>,
    cwd: &'a Path,
    filter: &'a PathFilter,
    shown_of: &'a (dyn Fn(&Path) -> PathBuf + Sync),
}

impl ignore::ParallelVisitor for Visitor<'_> {
    fn visit(&mut self, entry: Result<ignore::DirEntry, ignore::Error>) -> ignore::WalkState {
        match entry {
            Ok(e) if e.path_is_symlink() => self.links.push(e.into_path()),
            Ok(e) => {
                let file = e.file_type().is_some_and(|t| !t.is_dir());
                let path = e.path();
                let manifest = is_candidate(path);
                let script = !manifest && crate::scripts::is_script(path);
                // A name that is not UTF-8 but reads like a manifest's: said, not skipped.
                let garbled = path.file_name().is_some_and(|n| n.to_str().is_none())
                    && is_candidate(Path::new(&*path.to_string_lossy()));
                if file && garbled {
                    self.local.push(Candidate {
                        regular: false,
                        symlink: false,
                        path: e.into_path(),
                        walk_error: Some(FileProblem::Unreadable(
                            "its name is not valid UTF-8; not read".into(),
                        )),
                        script: false,
                        real: None,
                    });
                    return ignore::WalkState::Continue;
                }
                let as_written = (self.shown_of)(path);
                if file
                    && (manifest || script)
                    && self.filter.includes(&as_written)
                    && !self.filter.excludes(&as_written)
                {
                    self.local.push(Candidate {
                        regular: e.file_type().is_some_and(|t| t.is_file()),
                        symlink: e.path_is_symlink(),
                        path: e.into_path(),
                        walk_error: None,
                        script,
                        real: None,
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
                        real: None,
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
        if let Ok(mut links) = self.found_links.lock() {
            links.append(&mut self.links);
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

/// How files are read: the size limit, and the texts that stand in for what is on disk.
#[derive(Clone, Copy, Debug)]
pub struct Reading<'a> {
    pub max_size: u64,
    pub overlay: &'a Overlay,
}

/// File texts that replace what is on disk, by absolute path: fixes not written yet (`--diff`,
/// the passes of `--fix`), an editor's unsaved buffers. A text stands in for a file the walk
/// finds; one whose path holds nothing on disk (a new file not saved yet) is added where the
/// walk would have found it (see `add_unsaved`), and the fence and filters apply as to any
/// other.
#[derive(Clone, Debug, Default)]
pub struct Overlay(std::sync::Arc<std::collections::HashMap<PathBuf, String>>);

impl Overlay {
    pub fn new(texts: std::collections::HashMap<PathBuf, String>) -> Overlay {
        Overlay(std::sync::Arc::new(
            texts
                .into_iter()
                .map(|(path, text)| (normalize(&path), text))
                .collect(),
        ))
    }

    pub fn get(&self, path: &Path) -> Option<&str> {
        self.0.get(path).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The texts, to build another overlay on top of this one.
    pub fn texts(&self) -> std::collections::HashMap<PathBuf, String> {
        self.0.as_ref().clone()
    }
}

fn read_one(
    id: FileId,
    c: Candidate,
    cwd: &Path,
    read: &Reading<'_>,
) -> (SourceFile, Option<FileProblem>, bool) {
    let max_size = read.max_size;
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
    if !c.regular {
        // A FIFO or device named `x.yaml` would block or never end: never open it.
        return empty(FileProblem::Unreadable(
            "not a regular file; not read".into(),
        ));
    }
    let found = match read.overlay.get(&abs) {
        Some(text) if text.len() as u64 > max_size => Ok(Err(text.len() as u64)),
        Some(text) => Ok(Ok(text.as_bytes().to_vec())),
        // A symlinked candidate was located through the fence by the walk: read where it leads.
        None => read_capped(c.real.as_deref().unwrap_or(&c.path), max_size),
    };
    let bytes = match found {
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
    from_bytes(id, abs, display, bytes)
}

/// A file's text as an editor holds it, read as the walk reads a file (the size limit, what is
/// skipped): `(file, problem, skipped)`.
pub(crate) fn from_buffer(
    id: FileId,
    file: &SourceFile,
    text: String,
    max_size: u64,
) -> (SourceFile, Option<FileProblem>, bool) {
    let (abs, display) = (file.path.to_path_buf(), file.display().to_string());
    if text.len() as u64 > max_size {
        let problem = FileProblem::TooLarge {
            size: text.len() as u64,
            limit: max_size,
        };
        return (
            SourceFile::new(abs, display, String::new()),
            Some(problem),
            false,
        );
    }
    from_bytes(id, abs, display, text.into_bytes())
}

/// Decode what was read: `(file, problem, skipped)`.
fn from_bytes(
    id: FileId,
    abs: PathBuf,
    display: String,
    bytes: Vec<u8>,
) -> (SourceFile, Option<FileProblem>, bool) {
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
