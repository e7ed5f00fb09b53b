//! Span invariants as properties: line endings and a BOM never move a line:column, and every
//! span the engine reports lies inside its file, on character boundaries.

mod common;

use k8s_lint_core::source::{FileId, LineIndex};
use k8s_lint_core::yaml::{parse, Node, ValueRef};
use proptest::prelude::*;

/// A small manifest-like YAML text: nested mappings and sequences, block and flow, with
/// quoted, plain and non-ASCII scalars and tabs after colons.
fn yaml_text() -> impl Strategy<Value = String> {
    let scalar = prop_oneof![
        "[a-z][a-z0-9-]{0,8}",
        "[0-9]{1,5}",
        "\"[a-zé ü]{0,6}\"",
        "'[a-z:#]{0,5}'",
        Just("héllo wörld".to_string()),
    ];
    let key = "[a-z][a-zA-Z]{0,6}";
    let entry = (key, scalar.clone(), prop::bool::ANY)
        .prop_map(|(k, v, tab)| format!("{k}:{}{v}", if tab { "\t" } else { " " }));
    let block = prop::collection::vec(entry.clone(), 1..5)
        .prop_map(|es| es.iter().map(|e| format!("  {e}\n")).collect::<String>());
    let flow = prop::collection::vec(scalar, 0..4).prop_map(|vs| format!("[{}]", vs.join(", ")));
    (block, flow, prop::collection::vec(entry, 0..4), 1..3usize).prop_map(
        |(block, flow, top, docs)| {
            let doc = format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n{block}list: {flow}\n{}",
                top.iter().map(|e| format!("{e}\n")).collect::<String>()
            );
            vec![doc; docs].join("---\n")
        },
    )
}

fn positions(text: &str) -> Vec<(usize, usize)> {
    fn walk(node: &Node<'_>, text: &str, lines: &LineIndex, out: &mut Vec<(usize, usize)>) {
        let p = lines.position(text, node.span.start as usize);
        out.push((p.line, p.column));
        match node.value() {
            ValueRef::Scalar(_) => {}
            ValueRef::Seq(items) => items.iter().for_each(|n| walk(n, text, lines, out)),
            ValueRef::Map(entries) => entries.iter().for_each(|e| {
                walk(&e.key(), text, lines, out);
                walk(e.value(), text, lines, out);
            }),
        }
    }
    let parsed = parse(FileId(0), text);
    let lines = LineIndex::new(text);
    let mut out = Vec::new();
    for doc in &parsed.docs {
        if let Some(root) = &doc.root {
            walk(root, text, &lines, &mut out);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn line_endings_and_bom_do_not_move_positions(text in yaml_text()) {
        let lf = positions(&text);
        prop_assert!(!lf.is_empty());
        prop_assert_eq!(&positions(&text.replace('\n', "\r\n")), &lf);
        prop_assert_eq!(&positions(&format!("\u{feff}{text}")), &lf);
    }

    #[test]
    fn every_finding_span_lies_in_its_file(text in yaml_text(), cut in 0usize..200) {
        // Truncate anywhere (on a char boundary) to get broken documents too.
        let mut end = cut.min(text.len());
        while !text.is_char_boundary(end) { end -= 1; }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), &text[..end]).unwrap();
        std::fs::write(dir.path().join("b.yaml"), &text).unwrap();
        let report = common::lint_dir(dir.path());
        for f in &report.findings {
            for label in std::iter::once(&f.primary).chain(&f.related) {
                let file = report.file(label.span.file);
                let (s, e) = (label.span.start as usize, label.span.end as usize);
                prop_assert!(s <= e && e <= file.text.len());
                prop_assert!(file.text.is_char_boundary(s) && file.text.is_char_boundary(e));
            }
        }
    }
}
