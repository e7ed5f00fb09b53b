//! The YAML loader and span mapping on arbitrary bytes: no panic, every span inside the text
//! and on character boundaries, line:column equal to a recount, typed decoding never panics.
#![no_main]

use k8s_lint_core::source::{FileId, LineIndex, Span};
use k8s_lint_core::yaml::{parse, Node, Problem, ValueRef};
use libfuzzer_sys::fuzz_target;

fn check_span(text: &str, span: Span, lines: &LineIndex) {
    let (s, e) = (span.start as usize, span.end as usize);
    assert!(s <= e && e <= text.len(), "span {s}..{e} outside 0..{}", text.len());
    assert!(text.is_char_boundary(s) && text.is_char_boundary(e));
    let p = lines.position(text, s);
    // Recount: `\n`, `\r\n` and a lone `\r` end a line; a leading BOM is not a column.
    let (mut line, mut col) = (1, 1);
    let mut chars = text[..s].chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' | '\n' => (line, col) = (line + 1, 1),
            '\u{feff}' if first => {}
            _ => col += 1,
        }
        first = false;
    }
    if text[..s].ends_with('\r') && text[s..].starts_with('\n') {
        // Inside a CRLF: the break is not complete yet.
        (line, col) = (p.line, p.column);
    }
    assert_eq!((p.line, p.column), (line, col), "offset {s}");
}

fn walk(text: &str, node: &Node<'_>, lines: &LineIndex) {
    check_span(text, node.span, lines);
    match node.value() {
        ValueRef::Scalar(_) => {}
        ValueRef::Seq(items) => items.iter().for_each(|n| walk(text, n, lines)),
        ValueRef::Map(entries) => entries.iter().for_each(|e| {
            walk(text, &e.key(), lines);
            walk(text, e.value(), lines);
        }),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let parsed = parse(FileId(0), text);
    let lines = LineIndex::new(text);
    for doc in &parsed.docs {
        check_span(text, doc.span, &lines);
        if let Some(root) = &doc.root {
            walk(text, root, &lines);
            let _ = k8s_lint_core::de::from_node::<k8s_openapi::api::core::v1::Service>(root);
            let _ = k8s_lint_core::de::from_node::<k8s_openapi::api::apps::v1::Deployment>(root);
        }
    }
    for p in &parsed.problems {
        match p {
            Problem::Syntax { span, .. } | Problem::AliasBudget { span } | Problem::TooDeep { span } => {
                check_span(text, *span, &lines)
            }
            Problem::DuplicateKey { first, second, .. } => {
                check_span(text, *first, &lines);
                check_span(text, *second, &lines);
            }
        }
    }
});
