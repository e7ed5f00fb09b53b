//! The one boundary of every read. The linted repository is untrusted input (a pull request
//! from a fork, in a CI job that may hold tokens): a committed symlink must not make k8s-lint
//! read, stat or show anything outside it — `/proc/self/environ`, `~/.aws/credentials`, a
//! sibling checkout. Every path the run touches (walked entries, path arguments, the config
//! file, kustomization entries, GitOps paths, `.gitignore` files) is located through
//! [`Fence::locate`] first.
//!
//! Locating resolves symlinks one component at a time, like `realpath`, but stops as soon as a
//! link leads out of the repository top, before anything there is touched: only links inside
//! are read (`readlink`) and only paths inside are `lstat`ed.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use crate::source::normalize;

/// Symlinks followed while locating one path; more is a loop (Linux's own limit is 40).
const MAX_HOPS: usize = 40;

/// The repository tops a run may read below.
#[derive(Clone, Debug, Default)]
pub struct Fence {
    /// Each top as written (lexically normalised) and as it really is (symlinks resolved).
    tops: Vec<(PathBuf, PathBuf)>,
}

/// Where a path leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// Inside a top: the real path, without symlinks.
    Inside(PathBuf),
    /// Out of every top (lexically, or through a symlink); nothing there was touched.
    Outside,
    /// Nothing there (or a symlink to nothing), inside a top.
    Missing,
    /// A symlink loop.
    Loop,
    /// A component could not be looked at (permission denied): where it leads is unknown, so
    /// it is not followed.
    Denied,
}

impl Fence {
    /// `tops`: absolute directories.
    pub fn new(tops: &[PathBuf]) -> Fence {
        let mut out: Vec<(PathBuf, PathBuf)> = Vec::new();
        for t in tops {
            let lexical = normalize(t);
            let real = std::fs::canonicalize(&lexical).unwrap_or_else(|_| lexical.clone());
            if !out.iter().any(|(l, _)| *l == lexical) {
                out.push((lexical, real));
            }
        }
        Fence { tops: out }
    }

    /// The tops, as written.
    pub fn tops(&self) -> impl Iterator<Item = &Path> {
        self.tops.iter().map(|(l, _)| l.as_path())
    }

    /// Where the absolute path `path` leads (see the module documentation).
    pub fn locate(&self, path: &Path) -> Place {
        let path = normalize(path);
        let Some((top, rel)) = self.split(&path) else {
            return Place::Outside;
        };
        let mut queue: VecDeque<OsString> = components(rel);
        let mut current = top.to_path_buf();
        let mut hops = 0;
        while let Some(part) = queue.pop_front() {
            if part == ".." {
                if current == top {
                    return Place::Outside;
                }
                current.pop();
                continue;
            }
            let next = current.join(&part);
            let meta = match std::fs::symlink_metadata(&next) {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Place::Missing,
                // Permission denied: what lies beyond is unknown (it may hold `..` or links),
                // so nothing is resolved past it.
                Err(_) => return Place::Denied,
            };
            if !meta.file_type().is_symlink() {
                current = next;
                continue;
            }
            hops += 1;
            if hops > MAX_HOPS {
                return Place::Loop;
            }
            let Ok(target) = std::fs::read_link(&next) else {
                return Place::Missing;
            };
            if target.is_absolute() {
                let target = normalize(&target);
                let Some(rest) = target.strip_prefix(top).ok().or_else(|| {
                    self.tops
                        .iter()
                        .find(|(_, real)| real == top)
                        .and_then(|(lexical, _)| target.strip_prefix(lexical).ok())
                }) else {
                    return Place::Outside;
                };
                let mut parts = components(rest);
                parts.extend(queue.drain(..));
                queue = parts;
                current = top.to_path_buf();
            } else {
                let mut parts = components(&target);
                parts.extend(queue.drain(..));
                queue = parts;
            }
        }
        Place::Inside(current)
    }

    /// Whether `path` is inside and a directory (symlinks inside followed).
    pub fn is_dir(&self, path: &Path) -> bool {
        matches!(self.locate(path), Place::Inside(real) if real.is_dir())
    }

    /// Whether `path` is inside and a regular file (symlinks inside followed).
    pub fn is_file(&self, path: &Path) -> bool {
        matches!(self.locate(path), Place::Inside(real) if real.is_file())
    }

    /// Read a regular file inside of at most `max` bytes: `Ok(Err(size))` when it is larger.
    pub fn read(&self, path: &Path, max: u64) -> Result<Result<Vec<u8>, u64>, ReadError> {
        let real = match self.locate(path) {
            Place::Inside(real) => real,
            Place::Outside => return Err(ReadError::Outside),
            Place::Missing => return Err(ReadError::Missing),
            Place::Loop => return Err(ReadError::Loop),
            Place::Denied => {
                return Err(ReadError::Io(std::io::ErrorKind::PermissionDenied.into()))
            }
        };
        let meta = std::fs::metadata(&real).map_err(ReadError::Io)?;
        // A FIFO or device would block or never end: never opened.
        if !meta.is_file() {
            return Err(ReadError::NotRegular);
        }
        read_capped(&real, max).map_err(ReadError::Io)
    }

    /// The top holding `path` (in its real form) and the rest of the path.
    fn split<'p>(&'p self, path: &'p Path) -> Option<(&'p Path, &'p Path)> {
        self.tops.iter().find_map(|(lexical, real)| {
            path.strip_prefix(lexical)
                .or_else(|_| path.strip_prefix(real))
                .ok()
                .map(|rest| (real.as_path(), rest))
        })
    }
}

/// Why a read was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("it leads outside the repository; not read")]
    Outside,
    #[error("it does not exist")]
    Missing,
    #[error("symlink loop; not followed")]
    Loop,
    #[error("not a regular file; not read")]
    NotRegular,
    #[error("{0}")]
    Io(std::io::Error),
}

fn components(path: &Path) -> VecDeque<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

/// Read the file if it is at most `max` bytes (else its size), sizing the buffer from the open
/// file's metadata; a file that grows while read is cut at the limit and reported as too large.
pub fn read_capped(path: &Path, max: u64) -> std::io::Result<Result<Vec<u8>, u64>> {
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_inside_are_followed_and_links_out_are_not() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "x").unwrap();
        let repo = tempfile::tempdir().unwrap();
        let r = repo.path();
        std::fs::create_dir_all(r.join("base/sub")).unwrap();
        std::fs::write(r.join("base/sub/a.yaml"), "a: 1").unwrap();
        symlink("base", r.join("link")).unwrap();
        symlink("../base/sub/a.yaml", r.join("base/rel.yaml")).unwrap();
        symlink(outside.path(), r.join("out")).unwrap();
        symlink(outside.path().join("secret"), r.join("leak.yaml")).unwrap();
        symlink("../..", r.join("base/up")).unwrap();
        symlink("loop", r.join("loop")).unwrap();
        symlink("nothing", r.join("dangling.yaml")).unwrap();
        let fence = Fence::new(&[r.to_path_buf()]);
        let real = std::fs::canonicalize(r).unwrap();
        assert_eq!(
            fence.locate(&r.join("link/sub/a.yaml")),
            Place::Inside(real.join("base/sub/a.yaml"))
        );
        assert_eq!(
            fence.locate(&r.join("base/rel.yaml")),
            Place::Inside(real.join("base/sub/a.yaml"))
        );
        assert_eq!(fence.locate(&r.join("out/secret")), Place::Outside);
        assert_eq!(fence.locate(&r.join("leak.yaml")), Place::Outside);
        assert_eq!(fence.locate(&r.join("base/up")), Place::Outside);
        assert_eq!(fence.locate(&r.join("loop")), Place::Loop);
        assert_eq!(fence.locate(&r.join("dangling.yaml")), Place::Missing);
        assert_eq!(fence.locate(&r.join("../elsewhere")), Place::Outside);
        assert_eq!(fence.locate(outside.path()), Place::Outside);
        assert!(matches!(
            fence.read(&r.join("leak.yaml"), 100),
            Err(ReadError::Outside)
        ));
        assert_eq!(
            fence
                .read(&r.join("link/sub/a.yaml"), 100)
                .unwrap()
                .unwrap(),
            b"a: 1"
        );
        assert_eq!(fence.read(&r.join("link/sub/a.yaml"), 2).unwrap(), Err(4));
    }
}
