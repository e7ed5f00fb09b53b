//! Fixes: text edits a finding carries, computed from spans on the original text. A fix never
//! re-serialises YAML: outside its byte ranges every byte of the file stays as it was, so
//! comments, quoting, indentation, flow or block style, CRLF and a BOM survive.
//!
//! Every output takes the same edits: `--fix` and `--diff`, SARIF `fixes`, the JSON `fix`
//! object and editors' code actions.

pub mod yaml;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::finding::Finding;
use crate::load::{LoadError, Overlay};
use crate::source::{FileId, Span};
use crate::{Options, Report};

/// Whether a fix may be applied without a human looking at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// What is deployed is what the author evidently meant; nothing else changes.
    Safe,
    /// Changes what is deployed, or is one of several choices.
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// Replace the bytes of `span` (empty: insert at its start) with `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub text: String,
}

impl Edit {
    pub fn replace(span: Span, text: impl Into<String>) -> Edit {
        Edit {
            span,
            text: text.into(),
        }
    }

    pub fn insert(file: FileId, at: usize, text: impl Into<String>) -> Edit {
        Edit::replace(Span::new(file, at, at), text)
    }

    pub fn delete(span: Span) -> Edit {
        Edit::replace(span, "")
    }
}

/// One way to repair a finding: a title for menus and diffs, and its edits (in one file or
/// several).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn safe(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            title: title.into(),
            applicability: Applicability::Safe,
            edits,
        }
    }

    pub fn unsafe_(title: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            title: title.into(),
            applicability: Applicability::Unsafe,
            edits,
        }
    }
}

/// The edits to make in one pass, by file, sorted and free of overlaps: each finding's first
/// fix (the others are alternatives for a human to choose in an editor) when its
/// applicability is allowed and the finding is not suppressed. A fix that touches what an
/// earlier accepted fix touches waits for the next pass, whole: the lint after this pass
/// recomputes it from the new text. Insertions at one point are kept in finding order. A fix
/// that edits a file `fixable` refuses is left out whole.
pub fn plan<'f>(
    findings: impl IntoIterator<Item = &'f Finding>,
    unsafe_fixes: bool,
    fixable: impl Fn(FileId) -> bool,
) -> Plan {
    let mut taken: BTreeMap<FileId, Vec<Edit>> = BTreeMap::new();
    let mut fixes = 0;
    for f in findings.into_iter().filter(|f| f.suppressed.is_none()) {
        let Some(fix) = f.fixes.first() else {
            continue;
        };
        if fix.applicability == Applicability::Unsafe && !unsafe_fixes {
            continue;
        }
        let clashes = fix.edits.iter().enumerate().any(|(i, e)| {
            let earlier = taken.get(&e.span.file).into_iter().flatten();
            let within = fix.edits[..i].iter().filter(|o| o.span.file == e.span.file);
            earlier.chain(within).any(|o| overlaps(o, e))
        });
        if clashes || fix.edits.is_empty() || !fix.edits.iter().all(|e| fixable(e.span.file)) {
            continue;
        }
        for e in &fix.edits {
            taken.entry(e.span.file).or_default().push(e.clone());
        }
        fixes += 1;
    }
    for edits in taken.values_mut() {
        // Stable: insertions at one point stay in finding order.
        edits.sort_by_key(|e| (e.span.start, e.span.end));
        edits.dedup();
    }
    Plan {
        edits: taken,
        fixes,
    }
}

/// The edits of one pass, by file, and how many findings' fixes they make.
#[derive(Debug, Default)]
pub struct Plan {
    pub edits: BTreeMap<FileId, Vec<Edit>>,
    pub fixes: usize,
}

/// Two edits touch the same bytes. Two insertions at one point do not (both are made, in
/// order); an insertion strictly inside a replaced range does, and so does a same edit twice
/// (two findings that want one change: made once, by `dedup`).
fn overlaps(a: &Edit, b: &Edit) -> bool {
    if a == b {
        return false;
    }
    let (a0, a1, b0, b1) = (a.span.start, a.span.end, b.span.start, b.span.end);
    if a0 == a1 && b0 == b1 {
        return false;
    }
    if a0 == a1 {
        return b0 < a0 && a0 < b1;
    }
    if b0 == b1 {
        return a0 < b0 && b0 < a1;
    }
    a0 < b1 && b0 < a1
}

/// The text after the edits, which must be sorted and free of overlaps (as [`plan`] gives
/// them), with byte ranges on character boundaries of `text`; `None` otherwise.
pub fn apply(text: &str, edits: &[Edit]) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in edits {
        let (start, end) = (e.span.start as usize, e.span.end as usize);
        if start < at || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            return None;
        }
        out.push_str(text.get(at..start)?);
        out.push_str(&e.text);
        at = end;
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

/// At most this many lint-and-fix passes: a fix that waits for another (two edits of one
/// list) is made in a later pass; fixes that keep producing new fixes stop here.
pub const MAX_PASSES: usize = 10;

/// A file `--fix` changed: its text as read from disk, and as fixed.
#[derive(Debug)]
pub struct FixedFile {
    pub path: PathBuf,
    pub display: String,
    pub original: String,
    pub fixed: String,
}

/// The outcome of [`lint_fixed`]: the report on the fixed texts, what changed, and how many
/// fixes were made.
#[derive(Debug)]
pub struct Fixed {
    pub report: Report,
    pub files: Vec<FixedFile>,
    pub applied: usize,
}

/// Lint, apply the fixes allowed, lint the result again, until no fix is left (or
/// [`MAX_PASSES`]). Nothing is written: the fixed texts are an overlay the next pass reads
/// instead of the disk, and the caller decides whether to write them (`--fix`) or show them
/// (`--diff`). A file reached through a symbolic link is never fixed, and neither is one whose
/// text is not the whole file (not UTF-8, over the size limit) or has bare CR line breaks:
/// its edits are left out. A file the caller's overlay holds is fixed from that text, and
/// the rest of that overlay stays in every pass.
pub fn lint_fixed(options: &Options, unsafe_fixes: bool) -> Result<Fixed, LoadError> {
    lint_fixed_only(options, unsafe_fixes, |report| {
        vec![true; report.findings.len()]
    })
}

/// [`lint_fixed`], fixing only the findings `may_fix` allows: it answers for each finding of
/// a pass's report, in order (a baseline's findings are not the user's to fix today).
pub fn lint_fixed_only(
    options: &Options,
    unsafe_fixes: bool,
    may_fix: impl Fn(&Report) -> Vec<bool>,
) -> Result<Fixed, LoadError> {
    let mut options = options.clone();
    let given = options.overlay.clone();
    // Fixed texts go over the caller's (an editor's unsaved buffers stay in every pass).
    let mut texts: HashMap<PathBuf, String> = given.texts();
    let mut originals: BTreeMap<PathBuf, (String, String)> = BTreeMap::new();
    let mut applied = 0;
    let mut pass = 0;
    let report = loop {
        let report = crate::lint(&options)?;
        pass += 1;
        if pass == MAX_PASSES {
            break report;
        }
        // Each file a fix edits is checked once a pass (a file already fixed is in the overlay).
        let touched: std::collections::BTreeSet<FileId> = report
            .findings
            .iter()
            .filter_map(|f| f.fixes.first())
            .flat_map(|fix| fix.edits.iter().map(|e| e.span.file))
            .collect();
        let fixable: std::collections::HashSet<FileId> = touched
            .into_iter()
            .filter(|id| {
                let f = report.file(*id);
                !has_bare_cr(&f.text)
                    && (originals.contains_key(&*f.path)
                        || given.get(&f.path).is_some()
                        || is_whole_regular_file(&f.path, &f.text, &report.repo_top))
            })
            .collect();
        let allowed = may_fix(&report);
        let chosen = report
            .findings
            .iter()
            .zip(allowed.iter().chain(std::iter::repeat(&false)))
            .filter_map(|(f, &ok)| ok.then_some(f));
        let plan = plan(chosen, unsafe_fixes, |id| fixable.contains(&id));
        let mut changed = false;
        for (file, edits) in &plan.edits {
            let f = report.file(*file);
            let Some(fixed) = apply(&f.text, edits) else {
                continue;
            };
            if *fixed == *f.text {
                continue;
            }
            originals
                .entry(f.path.to_path_buf())
                .or_insert_with(|| (f.display().to_string(), f.text.to_string()));
            texts.insert(f.path.to_path_buf(), fixed);
            changed = true;
        }
        if !changed {
            break report;
        }
        applied += plan.fixes;
        options.overlay = Overlay::new(texts.clone());
    };
    let files = originals
        .into_iter()
        .filter_map(|(path, (display, original))| {
            let fixed = texts.remove(&path)?;
            (fixed != original).then_some(FixedFile {
                path,
                display,
                original,
                fixed,
            })
        })
        .collect();
    Ok(Fixed {
        report,
        files,
        applied,
    })
}

/// The file at `path` is a regular file reached through no symbolic link inside the
/// repository (neither it nor a directory between it and `top`: two paths to one file would
/// be fixed twice) whose bytes are `text`. Links above the repository top do not matter.
fn is_whole_regular_file(path: &Path, text: &str, top: &Path) -> bool {
    let regular = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file());
    let direct = match (path.strip_prefix(top), std::fs::canonicalize(top)) {
        (Ok(rel), Ok(real_top)) => {
            std::fs::canonicalize(path).is_ok_and(|real| real == real_top.join(rel))
        }
        _ => false,
    };
    regular && direct && std::fs::read(path).is_ok_and(|bytes| bytes == text.as_bytes())
}

/// A carriage return that is not part of a CRLF: YAML reads it as a line break, the edits'
/// line arithmetic does not, so such a file is not edited.
fn has_bare_cr(text: &str) -> bool {
    text.match_indices('\r')
        .any(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Label, Severity};

    const F: FileId = FileId(0);

    fn finding(fixes: Vec<Fix>) -> Finding {
        Finding {
            rule: "r",
            severity: Severity::Warning,
            message: String::new(),
            primary: Label {
                span: Span::new(F, 0, 0),
                message: String::new(),
            },
            related: Vec::new(),
            notes: Vec::new(),
            help: None,
            fixes,
            suppressed: None,
        }
    }

    fn replace(start: usize, end: usize, text: &str) -> Edit {
        Edit::replace(Span::new(F, start, end), text)
    }

    #[test]
    fn edits_change_only_their_ranges() {
        let text = "\u{feff}a: 1\r\nb: 2 # keep\r\n";
        let edits = [replace(6, 7, "10"), Edit::insert(F, text.len(), "c: 3\r\n")];
        assert_eq!(
            apply(text, &edits).unwrap(),
            "\u{feff}a: 10\r\nb: 2 # keep\r\nc: 3\r\n"
        );
    }

    #[test]
    fn edits_off_character_boundaries_or_out_of_order_are_refused() {
        assert_eq!(apply("é", &[replace(1, 2, "")]), None);
        assert_eq!(apply("abc", &[replace(2, 3, ""), replace(0, 1, "")]), None);
        assert_eq!(apply("abc", &[replace(2, 9, "")]), None);
    }

    #[test]
    fn a_clashing_fix_waits_for_the_next_pass() {
        let findings = [
            finding(vec![Fix::safe("a", vec![replace(0, 4, "x")])]),
            finding(vec![Fix::safe("b", vec![replace(2, 6, "y")])]),
            finding(vec![Fix::safe("c", vec![replace(6, 7, "z")])]),
            // The same edit as the first: made once.
            finding(vec![Fix::safe("a again", vec![replace(0, 4, "x")])]),
        ];
        let plan = plan(&findings, false, |_| true);
        assert_eq!(plan.edits[&F], vec![replace(0, 4, "x"), replace(6, 7, "z")]);
        assert_eq!(plan.fixes, 3);
    }

    #[test]
    fn insertions_at_one_point_are_all_made_in_order() {
        let findings = [
            finding(vec![Fix::unsafe_("a", vec![Edit::insert(F, 3, "1")])]),
            finding(vec![Fix::unsafe_("b", vec![Edit::insert(F, 3, "2")])]),
        ];
        assert!(
            plan(&findings, false, |_| true).edits.is_empty(),
            "unsafe fixes need asking"
        );
        let plan = plan(&findings, true, |_| true);
        assert_eq!(apply("abcdef", &plan.edits[&F]).unwrap(), "abc12def");
    }

    #[test]
    fn suppressed_findings_and_alternatives_are_not_applied() {
        let mut suppressed = finding(vec![Fix::safe("a", vec![replace(0, 1, "x")])]);
        suppressed.suppressed = Some(String::new());
        let choice = finding(vec![
            Fix::unsafe_("first", vec![replace(1, 2, "1")]),
            Fix::unsafe_("second", vec![replace(2, 3, "2")]),
        ]);
        let plan = plan(&[suppressed, choice], true, |_| true);
        assert_eq!(plan.edits[&F], vec![replace(1, 2, "1")]);
    }
}
