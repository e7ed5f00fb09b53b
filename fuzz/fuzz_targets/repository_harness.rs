//! The whole lint on a small repository made from arbitrary bytes (see
//! `k8s_lint_gen::fuzz::files`), then every output format: no panic, every span of every
//! finding inside its file and on character boundaries, no byte of the input's control
//! characters in the text formats, JSON and SARIF that parse, fixes whose planned edits apply. Shared by the `repository` fuzz
//! target and the seed test of the `k8s-lint` crate, which runs it in CI.

use std::path::PathBuf;

use k8s_lint::output;
use k8s_lint_core::{lint_sources, Options};

pub fn run(data: &[u8]) {
    // A top that does not exist: the fence finds nothing there, so nothing on disk is read.
    let top = PathBuf::from("/nonexistent-k8s-lint-fuzz/repo");
    let files = k8s_lint_gen::fuzz::files(data)
        .into_iter()
        .map(|(name, text)| (top.join(name), text))
        .collect();
    let mut options = Options::new(vec![top.clone()]);
    options.base = top.clone();
    let report = lint_sources(&top, files, &options);
    for f in &report.findings {
        for label in std::iter::once(&f.primary).chain(&f.related) {
            let file = report.file(label.span.file);
            let (start, end) = (label.span.start as usize, label.span.end as usize);
            assert!(start <= end && end <= file.text.len(), "{f:?}");
            assert!(file.text.is_char_boundary(start) && file.text.is_char_boundary(end));
            let _ = file.location(label.span);
        }
    }
    // Every fix, safe or not, edits inside its files on character boundaries; the planned
    // edits apply, and the fixed texts parse without a panic.
    for f in &report.findings {
        for fix in &f.fixes {
            for e in &fix.edits {
                let text = &report.file(e.span.file).text;
                let (start, end) = (e.span.start as usize, e.span.end as usize);
                assert!(start <= end && end <= text.len(), "{fix:?}");
                assert!(text.is_char_boundary(start) && text.is_char_boundary(end));
            }
        }
    }
    let plan = k8s_lint_core::fix::plan(&report.findings, true, |_| true);
    for (file, edits) in &plan.edits {
        let text = &report.file(*file).text;
        let fixed = k8s_lint_core::fix::apply(text, edits).expect("planned edits apply");
        let _ = k8s_lint_core::yaml::parse(*file, &fixed);
    }
    for text in [
        output::human::render(&report, false),
        output::compact::render(&report),
        output::github::render(&report),
    ] {
        assert!(!text.contains('\u{1b}'), "a raw ESC in text output");
    }
    let _ = output::human::render(&report, true);
    for json in [
        output::json::render(&report),
        output::sarif::render(&report),
    ] {
        serde_json::from_str::<serde_json::Value>(&json).expect("valid JSON");
    }
}
