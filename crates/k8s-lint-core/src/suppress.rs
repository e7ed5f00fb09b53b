//! Deliberate exceptions, written next to what they excuse and reviewable in a diff:
//!
//! - on an object: annotation `k8s-lint.io/ignore: "rule-a, rule-b -- reason"` (or `"*"`);
//! - in any YAML file: a comment `# k8s-lint-ignore rule-a, rule-b -- reason` at the end of the
//!   flagged line, or alone on the line above it.
//!
//! A suppression covers findings whose primary span starts in its object or on its line. Which
//! suppressions matched nothing is recorded, so stale ones can be reported.

use std::ops::Range;

use crate::finding::Finding;
use crate::memo::Memo;
use crate::object::{Object, Objects};
use crate::source::{FileId, SourceFile, Span};
use crate::yaml::{Node, Parsed};

pub const ANNOTATION: &str = "k8s-lint.io/ignore";
const COMMENT: &str = "k8s-lint-ignore";
/// What [`ANNOTATION`] and [`COMMENT`] both start with.
const MARKER: &str = "k8s-lint";

#[derive(Clone, Debug)]
pub struct Suppression {
    pub file: FileId,
    /// The annotation value or the comment: where a stale suppression is reported.
    pub span: Span,
    /// The rule ids it names, each with its span; empty when it names `*`.
    pub rules: Vec<(String, Span)>,
    pub reason: Option<String>,
    /// Findings whose primary span starts in this byte range of `file` are covered.
    pub covers: Range<u32>,
    /// Per entry of `rules` (or the single `*`), whether it suppressed something.
    pub used: Vec<bool>,
    /// An object's annotation (covering the object), not a comment (covering a line).
    pub on_object: bool,
}

impl Suppression {
    pub fn is_wildcard(&self) -> bool {
        self.rules.is_empty()
    }

    fn covers(&self, f: &Finding) -> Option<usize> {
        let at = f.primary.span;
        if at.file != self.file || !self.covers.contains(&at.start) {
            return None;
        }
        if self.is_wildcard() {
            return Some(0);
        }
        self.rules.iter().position(|(id, _)| id == f.rule)
    }
}

/// Every suppression in the repository, file by file: a file's object annotations, then its
/// comments. `kept`: each file's, kept by an editor's session (see `Memo::suppressions`), so
/// that only an edited file is searched again.
pub fn collect(
    files: &[SourceFile],
    parsed: &[Parsed<'_>],
    objects: &Objects,
    mut kept: Option<&mut Memo>,
) -> Vec<Suppression> {
    // One search per file for what both forms start with rules out nearly every file, and
    // so every object (per object, a file of n objects would be searched n times).
    let marker = memchr::memmem::Finder::new(MARKER);
    let mut out = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let id = FileId(i as u32);
        let of_file = || {
            if marker.find(file.text.as_bytes()).is_none() {
                return Vec::new();
            }
            let range = objects.by_file.get(i).cloned().unwrap_or_default();
            let objects = &objects.list[range.start as usize..range.end as usize];
            in_file(id, &file.text, parsed, objects)
        };
        match kept.as_deref_mut() {
            Some(memo) => out.extend_from_slice(memo.suppressions(id, of_file)),
            None => out.extend(of_file()),
        }
    }
    out
}

/// The suppressions of one file that holds the marker: its objects' annotations, then its
/// comments.
fn in_file(id: FileId, text: &str, parsed: &[Parsed<'_>], objects: &[Object]) -> Vec<Suppression> {
    let mut out = Vec::new();
    if text.contains(ANNOTATION) {
        for o in objects {
            let root = o.root(parsed);
            let Some(value) = root
                .at("metadata.annotations")
                .and_then(|a| a.get(ANNOTATION))
            else {
                continue;
            };
            if let Some(s) = from_annotation(id, text, value, root.span) {
                out.push(s);
            }
        }
    }
    if text.contains(COMMENT) {
        out.extend(from_comments(id, text));
    }
    out
}

/// Mark the findings covered by a suppression, and the suppressions that covered something.
/// The first suppression (in `suppressions` order) that covers a finding and names its rule
/// wins. Suppressions are looked up by file and position, not scanned per finding.
pub fn apply(findings: &mut [Finding], suppressions: &mut [Suppression]) {
    // Per file and per kind, by the start of what they cover. Objects do not overlap each
    // other, nor lines each other (two comments may cover the same line): the ranges that
    // can hold a position are those with the last start at or before it.
    let mut by_file: std::collections::HashMap<(FileId, bool), Vec<usize>> =
        std::collections::HashMap::new();
    for (i, s) in suppressions.iter().enumerate() {
        by_file.entry((s.file, s.on_object)).or_default().push(i);
    }
    for list in by_file.values_mut() {
        list.sort_by_key(|&i| (suppressions[i].covers.start, i));
    }
    for f in findings.iter_mut() {
        let at = f.primary.span.start;
        let mut best: Option<(usize, usize)> = None;
        for on_object in [true, false] {
            let Some(list) = by_file.get(&(f.primary.span.file, on_object)) else {
                continue;
            };
            let upto = list.partition_point(|&i| suppressions[i].covers.start <= at);
            let Some(&last) = upto.checked_sub(1).and_then(|u| list.get(u)) else {
                continue;
            };
            let start = suppressions[last].covers.start;
            for &i in list[..upto].iter().rev() {
                if suppressions[i].covers.start != start {
                    break;
                }
                if let Some(rule) = suppressions[i].covers(f) {
                    if best.is_none_or(|(b, _)| i < b) {
                        best = Some((i, rule));
                    }
                }
            }
        }
        if let Some((i, rule)) = best {
            let s = &mut suppressions[i];
            s.used[rule] = true;
            f.suppressed = Some(s.reason.clone().unwrap_or_default());
        }
    }
}

fn from_annotation(
    file: FileId,
    text: &str,
    value: &Node<'_>,
    object: Span,
) -> Option<Suppression> {
    let raw = text.get(value.span.range())?;
    let content = value.as_str()?;
    // Look the ids up in the source text, so each keeps its own span when the value is quoted.
    let offset = value.span.start as usize + raw.find(content.trim()).unwrap_or(0);
    let source = text.get(offset..value.span.end as usize)?;
    Some(Suppression {
        on_object: true,
        ..parse_list(file, source, offset, value.span, object.start..object.end)
    })
}

fn from_comments(file: FileId, text: &str) -> Vec<Suppression> {
    let mut out = Vec::new();
    let lines: Vec<(usize, &str)> = line_starts(text);
    // The next line holding content after each line, found in one backward pass: searching
    // forward from each comment made a run of n comment lines cost n².
    let mut next_content: Vec<Option<usize>> = vec![None; lines.len()];
    let mut after = None;
    for (n, (_, l)) in lines.iter().enumerate().rev() {
        next_content[n] = after;
        if !l.trim().is_empty() && !l.trim_start().starts_with('#') {
            after = Some(n);
        }
    }
    for (n, &(start, line)) in lines.iter().enumerate() {
        let Some(hash) = comment_start(line) else {
            continue;
        };
        let body = line[hash + 1..].trim_start();
        let Some(rest) = body.strip_prefix(COMMENT) else {
            continue;
        };
        if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
            continue;
        }
        let rest_at = start + line.len() - rest.len();
        let span = Span::new(file, start + hash, start + line.trim_end().len());
        let alone = line[..hash].trim().is_empty();
        // A comment alone on its line covers the next line holding content.
        let target = if alone {
            next_content[n].map(|i| lines[i])
        } else {
            Some((start, line))
        };
        let Some((t_start, t_line)) = target else {
            continue;
        };
        let covers = t_start as u32..(t_start + t_line.len()) as u32;
        out.push(parse_list(
            file,
            &text[rest_at..start + line.len()],
            rest_at,
            span,
            covers,
        ));
    }
    out
}

/// `rule-a, rule-b -- reason` (or `*`) starting at byte `offset` of the file.
fn parse_list(
    file: FileId,
    source: &str,
    offset: usize,
    span: Span,
    covers: Range<u32>,
) -> Suppression {
    let (list, reason) = match source.find("--") {
        Some(i) => (
            &source[..i],
            Some(source[i + 2..].trim().trim_end_matches(['"', '\'']).trim()),
        ),
        None => (source, None),
    };
    let mut rules = Vec::new();
    let mut pos = 0;
    for part in list.split(',') {
        let id = part.trim().trim_matches(['"', '\'']);
        let at = offset + pos + part.find(id).unwrap_or(0);
        pos += part.len() + 1;
        if id.is_empty() || id == "*" {
            continue;
        }
        rules.push((id.to_string(), Span::new(file, at, at + id.len())));
    }
    let used = vec![false; rules.len().max(1)];
    Suppression {
        file,
        span,
        rules,
        reason: reason.filter(|r| !r.is_empty()).map(String::from),
        covers,
        used,
        on_object: false,
    }
}

fn line_starts(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        out.push((start, line.trim_end_matches(['\n', '\r'])));
        start += line.len();
    }
    out
}

/// Byte index of a `#` that starts a comment: at the line start or after whitespace, and not
/// inside a quoted string.
fn comment_start(line: &str) -> Option<usize> {
    let mut quote = None;
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), c) if c == q => quote = None,
            (None, b'#') if i == 0 || bytes[i - 1].is_ascii_whitespace() => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: FileId = FileId(0);

    #[test]
    fn the_marker_rules_out_only_files_without_either_form() {
        assert!(ANNOTATION.starts_with(MARKER) && COMMENT.starts_with(MARKER));
    }

    #[test]
    fn comments_on_the_line_or_above() {
        let text = "a: 1 # k8s-lint-ignore rule-a, rule-b -- known\n# k8s-lint-ignore *\n\nb: 2\nc: \"# k8s-lint-ignore not-a-comment\"\n";
        let s = from_comments(F, text);
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[0].rules.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
            ["rule-a", "rule-b"]
        );
        assert_eq!(&text[s[0].rules[1].1.range()], "rule-b");
        assert_eq!(s[0].reason.as_deref(), Some("known"));
        assert_eq!(s[0].covers, 0..46);
        assert!(s[1].is_wildcard());
        assert_eq!(
            &text[s[1].covers.start as usize..s[1].covers.end as usize],
            "b: 2"
        );
        assert_eq!(&text[s[1].span.range()], "# k8s-lint-ignore *");
    }

    #[test]
    fn a_run_of_comment_lines_covers_the_next_content_line() {
        // 20,000 comment lines: each used to search forward over all those after it.
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("# k8s-lint-ignore rule-{i}\n"));
        }
        text.push_str("a: 1\n");
        let s = from_comments(F, &text);
        assert_eq!(s.len(), 20_000);
        let last_line = text.len() as u32 - 5;
        assert!(s.iter().all(|x| x.covers == (last_line..last_line + 4)));
    }

    #[test]
    fn the_first_suppression_naming_the_rule_wins() {
        use crate::finding::{Label, Severity};
        let text = "a: 1 # k8s-lint-ignore other\n# k8s-lint-ignore r -- line\nb: 2\n";
        let mut sups = from_comments(F, text);
        // An annotation-like suppression over the whole text, first in order.
        let mut object = parse_list(
            F,
            "r -- object",
            0,
            Span::new(F, 0, 0),
            0..text.len() as u32,
        );
        object.on_object = true;
        sups.insert(0, object);
        let finding = |at: usize| Finding {
            rule: "r",
            severity: Severity::Error,
            message: String::new(),
            primary: Label {
                span: Span::new(F, at, at + 1),
                message: String::new(),
            },
            related: Vec::new(),
            notes: Vec::new(),
            help: None,
            fixes: Vec::new(),
            suppressed: None,
        };
        let mut findings = vec![finding(0), finding(text.find("b:").unwrap())];
        apply(&mut findings, &mut sups);
        assert_eq!(findings[0].suppressed.as_deref(), Some("object"));
        assert_eq!(findings[1].suppressed.as_deref(), Some("object"));
        assert_eq!(sups[0].used, [true]);
        assert_eq!(sups[1].used, [false]);
        assert_eq!(sups[2].used, [false]);
        // Without the object's, each line's own comment decides.
        let mut sups = from_comments(F, text);
        let mut findings = vec![finding(0), finding(text.find("b:").unwrap())];
        apply(&mut findings, &mut sups);
        assert_eq!(
            findings[0].suppressed, None,
            "the comment names another rule"
        );
        assert_eq!(findings[1].suppressed.as_deref(), Some("line"));
    }

    #[test]
    fn annotation_ids_keep_their_spans() {
        let text =
            "metadata:\n  annotations:\n    k8s-lint.io/ignore: \"svc-a, svc-b -- legacy\"\n";
        let parsed = crate::yaml::parse(F, text);
        let root = parsed.docs[0].root.as_ref().unwrap();
        let value = root
            .at("metadata.annotations")
            .unwrap()
            .get(ANNOTATION)
            .unwrap();
        let s = from_annotation(F, text, value, root.span).unwrap();
        assert_eq!(&text[s.rules[0].1.range()], "svc-a");
        assert_eq!(&text[s.rules[1].1.range()], "svc-b");
        assert_eq!(s.reason.as_deref(), Some("legacy"));
    }
}
