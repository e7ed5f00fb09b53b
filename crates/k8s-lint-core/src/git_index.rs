//! The paths git tracks, read from `.git/index` (format versions 2 to 4) without running git:
//! a repository's own git configuration can run programs (`core.fsmonitor`), and the linter
//! must not. A file git tracks is linted even where a `.gitignore` pattern matches it, as git
//! itself keeps tracking it.
//!
//! The index is untrusted input: every read is bounds-checked, and a file that does not parse
//! (a newer format, SHA-256 object names, a truncated write) yields nothing rather than a guess.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Larger indexes (a million files) are left alone.
const MAX_INDEX_BYTES: u64 = 256 * 1024 * 1024;
/// SHA-1 object names; SHA-256 repositories (`extensions.objectFormat`) are not read.
const HASH_LEN: usize = 20;

/// Paths (relative to the repository top, `/`-separated) that the index of `repo_top/.git`
/// lists; empty when there is no readable index.
pub fn tracked(repo_top: &Path, fence: &crate::fence::Fence) -> HashSet<PathBuf> {
    let path = repo_top.join(".git").join("index");
    // Through the fence (a `.git` that is a symlink out of the repository is not followed),
    // and never more than the cap.
    if sha256_repository(repo_top, fence) {
        return HashSet::new();
    }
    match fence.read(&path, MAX_INDEX_BYTES) {
        Ok(Ok(bytes)) => parse(&bytes).unwrap_or_default(),
        _ => HashSet::new(),
    }
}

fn sha256_repository(repo_top: &Path, fence: &crate::fence::Fence) -> bool {
    let config = repo_top.join(".git").join("config");
    matches!(fence.read(&config, 1 << 20), Ok(Ok(bytes))
        if String::from_utf8_lossy(&bytes).to_ascii_lowercase().contains("objectformat = sha256"))
}

/// The entries' paths, or `None` when the bytes are not an index we understand.
fn parse(bytes: &[u8]) -> Option<HashSet<PathBuf>> {
    let mut r = Reader { bytes, at: 0 };
    if r.take(4)? != b"DIRC" {
        return None;
    }
    let version = r.u32()?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = r.u32()? as usize;
    // Each entry takes at least 62 bytes: a claimed count beyond that is not believed.
    let mut out = HashSet::with_capacity(count.min(bytes.len() / 62));
    let mut previous: Vec<u8> = Vec::new();
    for _ in 0..count {
        let start = r.at;
        // ctime, mtime, dev, ino, mode, uid, gid, size: ten 32-bit fields; then the hash.
        r.take(40 + HASH_LEN)?;
        let flags = u16::from_be_bytes(r.take(2)?.try_into().ok()?);
        if version >= 3 && flags & 0x4000 != 0 {
            r.take(2)?;
        }
        let path = if version == 4 {
            // The path drops N bytes of the previous one and appends a NUL-terminated suffix.
            let strip = r.varint()?;
            let keep = previous.len().checked_sub(strip)?;
            let suffix = r.until_nul()?;
            let mut p = previous[..keep].to_vec();
            p.extend_from_slice(suffix);
            p
        } else {
            let p = r.until_nul()?.to_vec();
            // Entries are padded with NULs to a multiple of eight bytes.
            let len = r.at - start;
            let pad = (8 - len % 8) % 8;
            r.take(pad)?;
            p
        };
        let text = std::str::from_utf8(&path).ok()?;
        out.insert(PathBuf::from(text));
        previous = path;
    }
    Some(out)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let slice = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(slice)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }

    /// The suffix up to (not including) the next NUL, which is consumed.
    fn until_nul(&mut self) -> Option<&'a [u8]> {
        let rest = self.bytes.get(self.at..)?;
        let n = rest.iter().position(|&b| b == 0)?;
        let s = &rest[..n];
        self.at += n + 1;
        Some(s)
    }

    /// git's offset varint (`decode_varint`): 7 bits a byte, high bit continues, plus one per
    /// continuation.
    fn varint(&mut self) -> Option<usize> {
        let mut byte = *self.take(1)?.first()?;
        let mut value = usize::from(byte & 0x7f);
        while byte & 0x80 != 0 {
            byte = *self.take(1)?.first()?;
            value = value.checked_add(1)?.checked_mul(128)? | usize::from(byte & 0x7f);
        }
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry_v2(path: &str) -> Vec<u8> {
        let mut e = vec![0u8; 40 + HASH_LEN];
        e.extend_from_slice(&(path.len() as u16).to_be_bytes());
        e.extend_from_slice(path.as_bytes());
        e.push(0);
        while !e.len().is_multiple_of(8) {
            e.push(0);
        }
        e
    }

    #[test]
    fn reads_a_version_2_index() {
        let mut bytes = b"DIRC".to_vec();
        bytes.extend_from_slice(&2u32.to_be_bytes());
        bytes.extend_from_slice(&2u32.to_be_bytes());
        bytes.extend(entry_v2("apps/web/ingress.yaml"));
        bytes.extend(entry_v2("kustomization.yaml"));
        let paths = parse(&bytes).unwrap();
        assert!(paths.contains(Path::new("apps/web/ingress.yaml")));
        assert!(paths.contains(Path::new("kustomization.yaml")));
    }

    #[test]
    fn truncated_or_foreign_bytes_give_nothing() {
        let mut bytes = b"DIRC".to_vec();
        bytes.extend_from_slice(&2u32.to_be_bytes());
        bytes.extend_from_slice(&5u32.to_be_bytes());
        bytes.extend(entry_v2("a.yaml"));
        assert_eq!(parse(&bytes), None, "five entries promised, one given");
        assert_eq!(parse(b"PACK"), None);
        assert_eq!(parse(b""), None);
    }

    #[test]
    fn reads_what_git_writes() {
        let Ok(git) = std::process::Command::new("git").arg("--version").output() else {
            eprintln!("skipped: no git");
            return;
        };
        assert!(git.status.success());
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@t"])
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&["init", "-q"]);
        std::fs::create_dir_all(dir.path().join("apps/web")).unwrap();
        std::fs::write(dir.path().join("apps/web/ingress.yaml"), "a: 1\n").unwrap();
        std::fs::write(dir.path().join("apps/web/service.yaml"), "a: 1\n").unwrap();
        run(&["add", "."]);
        let fence = crate::fence::Fence::new(&[dir.path().to_path_buf()]);
        let v2 = tracked(dir.path(), &fence);
        assert!(v2.contains(Path::new("apps/web/service.yaml")), "{v2:?}");
        run(&["update-index", "--index-version", "4"]);
        let v4 = tracked(dir.path(), &fence);
        assert_eq!(v2, v4);
        assert_eq!(v4.len(), 2);
    }
}
