//! `--fix` and `--diff`: the library computes the fixed texts; this writes them, or shows them
//! as a unified diff.

use std::io::Write;

use k8s_lint_core::fix::FixedFile;

use crate::output::escape;

/// A unified diff of every fixed file (`a/PATH` to `b/PATH`, three lines of context). Text
/// from the repository is escaped as everywhere else: a line's break is shown as one, and a
/// CR before it is dropped from view.
pub fn diff(files: &[FixedFile]) -> String {
    let mut out = String::new();
    for file in files {
        let diff = similar::TextDiff::from_lines(&file.original, &file.fixed);
        let path = escape::text(&file.display);
        out.push_str(&format!("--- a/{path}\n+++ b/{path}\n"));
        for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
            out.push_str(&format!("{}\n", hunk.header()));
            for change in hunk.iter_changes() {
                let sign = match change.tag() {
                    similar::ChangeTag::Equal => ' ',
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                };
                let value = change.value();
                let line = value.strip_suffix('\n').unwrap_or(value);
                let line = line.strip_suffix('\r').unwrap_or(line);
                out.push(sign);
                for c in line.chars() {
                    escape::push_snippet_char(&mut out, c);
                }
                out.push('\n');
                if change.missing_newline() {
                    out.push_str("\\ No newline at end of file\n");
                }
            }
        }
    }
    out
}

/// Write every fixed file, or none: each is checked first (see [`check`]), so one that
/// changed since it was read stops the run before anything is written.
pub fn write_all(files: &[FixedFile]) -> Result<(), String> {
    for file in files {
        check(file)?;
    }
    files.iter().try_for_each(write)
}

/// The file is still a regular file (never a symbolic link) holding exactly the text that was
/// fixed, so an edit made since the lint read it is never lost.
fn check(file: &FixedFile) -> Result<std::fs::Metadata, String> {
    let shown = escape::text(&file.display);
    let cannot = |e: std::io::Error| format!("cannot write {shown}: {e}");
    let meta = std::fs::symlink_metadata(&file.path).map_err(cannot)?;
    if !meta.file_type().is_file() {
        return Err(format!("not fixing {shown}: it is not a regular file"));
    }
    let now = std::fs::read(&file.path).map_err(cannot)?;
    if now != file.original.as_bytes() {
        return Err(format!(
            "not fixing {shown}: it changed on disk since it was read; run again"
        ));
    }
    Ok(meta)
}

/// Write a fixed file in place of the original, after [`check`]: atomically (a new file
/// beside it, renamed over it), with the original's permissions.
pub fn write(file: &FixedFile) -> Result<(), String> {
    let shown = escape::text(&file.display);
    let cannot = |e: std::io::Error| format!("cannot write {shown}: {e}");
    let meta = check(file)?;
    let dir = match file.path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".k8s-lint-fix")
        .tempfile_in(dir)
        .map_err(cannot)?;
    temp.write_all(file.fixed.as_bytes()).map_err(cannot)?;
    temp.as_file()
        .set_permissions(meta.permissions())
        .map_err(cannot)?;
    temp.persist(&file.path).map_err(|e| cannot(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(original: &str, fixed: &str) -> FixedFile {
        FixedFile {
            path: "k/kustomization.yaml".into(),
            display: "k/kustomization.yaml".into(),
            original: original.into(),
            fixed: fixed.into(),
        }
    }

    #[test]
    fn diff_is_unified_and_escaped() {
        let f = fixed(
            "resources:\r\n  - a.yaml\r\n",
            "resources:\r\n  - a.yaml\r\n  - b\u{1b}[2J.yaml\r\n",
        );
        assert_eq!(
            diff(&[f]),
            "--- a/k/kustomization.yaml\n+++ b/k/kustomization.yaml\n@@ -1,2 +1,3 @@\n resources:\n   - a.yaml\n+  - b\\u{1b}[2J.yaml\n"
        );
    }

    #[test]
    fn a_missing_final_newline_is_marked() {
        let f = fixed("a: 1", "a: 2");
        assert_eq!(
            diff(&[f]),
            "--- a/k/kustomization.yaml\n+++ b/k/kustomization.yaml\n@@ -1 +1 @@\n-a: 1\n\\ No newline at end of file\n+a: 2\n\\ No newline at end of file\n"
        );
    }

    #[test]
    fn a_file_changed_since_it_was_read_is_not_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kustomization.yaml");
        std::fs::write(&path, "resources: []\n# edited\n").unwrap();
        let mut f = fixed("resources: []\n", "resources: [a.yaml]\n");
        f.path = path.clone();
        assert!(write(&f).unwrap_err().contains("changed on disk"));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "resources: []\n# edited\n"
        );
        std::fs::write(&path, "resources: []\n").unwrap();
        write(&f).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "resources: [a.yaml]\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.yaml");
        std::fs::write(&target, "a: 1\n").unwrap();
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let mut f = fixed("a: 1\n", "a: 2\n");
        f.path = link;
        assert!(write(&f).unwrap_err().contains("not a regular file"));
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "a: 1\n");
    }
}
