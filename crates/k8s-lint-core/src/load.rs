//! Walk the roots, read every candidate file once and parse it, in parallel.
//!
//! The walk is serial and sorted (cheap, deterministic); reading and parsing run on rayon.
//! Nothing here fails the run: an unreadable, oversized, binary or looping entry becomes a
//! [`FileProblem`] attached to a file record so that it is reported with a location.

use std::path::{Path, PathBuf};

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
    walk_error: Option<String>,
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

pub fn load(
    roots: &[PathBuf],
    cwd: &Path,
    max_size: u64,
    filter: &PathFilter,
) -> Result<Loaded, LoadError> {
    let mut candidates = Vec::new();
    let mut dirs = Vec::new();
    for root in roots {
        let meta = std::fs::metadata(root).map_err(|source| LoadError::Root {
            path: root.display().to_string(),
            source,
        })?;
        let abs = normalize(&cwd.join(root));
        walk(&abs, cwd, filter, &mut candidates);
        dirs.push(match abs.parent() {
            Some(parent) if !meta.is_dir() => parent.to_path_buf(),
            _ => abs,
        });
    }
    candidates.sort_by(|a, b| a.path.cmp(&b.path));
    candidates.dedup_by(|a, b| a.path == b.path);

    let read: Vec<(SourceFile, Option<FileProblem>, bool)> = candidates
        .into_par_iter()
        .enumerate()
        .map(|(i, c)| read_one(FileId(i as u32), c, cwd, max_size))
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

fn walk(root: &Path, cwd: &Path, filter: &PathFilter, out: &mut Vec<Candidate>) {
    let filter_dirs = filter.clone();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        // A CI checkout or a tarball may have no `.git`; its .gitignore still says what is junk.
        .require_git(false)
        .follow_links(true)
        .add_custom_ignore_filename(".k8slintignore")
        .filter_entry(move |e| {
            !(is_skipped_dir(e) || (e.depth() > 0 && filter_dirs.excludes(e.path())))
        })
        .build();
    for entry in walker {
        match entry {
            Ok(e) => {
                let file = e.file_type().is_some_and(|t| !t.is_dir());
                if file
                    && is_candidate(e.path())
                    && filter.includes(e.path())
                    && !filter.excludes(e.path())
                {
                    out.push(Candidate {
                        path: e.path().to_path_buf(),
                        walk_error: None,
                    });
                }
            }
            Err(err) => {
                if let Some(path) = error_path(&err) {
                    out.push(Candidate {
                        path,
                        walk_error: Some(walk_error_message(&err, cwd)),
                    });
                }
            }
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
    if let Some(msg) = c.walk_error {
        return empty(FileProblem::Unreadable(msg));
    }
    let meta = match std::fs::metadata(&c.path) {
        Ok(m) => m,
        Err(e) => return empty(FileProblem::Unreadable(e.to_string())),
    };
    if !meta.is_file() {
        // A FIFO or device named `x.yaml` would block or never end: never open it.
        return empty(FileProblem::Unreadable(
            "not a regular file; not read".into(),
        ));
    }
    if meta.len() > max_size {
        return empty(FileProblem::TooLarge {
            size: meta.len(),
            limit: max_size,
        });
    }
    let bytes = match read_capped(&c.path, meta.len(), max_size) {
        Ok(b) => b,
        Err(e) => return empty(FileProblem::Unreadable(e.to_string())),
    };
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

/// Read at most `max` bytes, whatever the metadata said (a file may grow under us).
fn read_capped(path: &Path, expected: u64, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(expected as usize + 1);
    std::fs::File::open(path)?
        .take(max + 1)
        .read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(std::io::Error::other("file grew beyond the size limit"));
    }
    Ok(buf)
}

/// A Helm or other Go template: a line that starts with `{{`. Inside YAML that position can
/// only hold template syntax, while `{{ }}` in a quoted or indented value is ordinary text.
fn is_go_template(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("{{"))
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
