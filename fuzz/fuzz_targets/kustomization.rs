//! The kustomization model on arbitrary text: entries are parsed, resolved (never outside the
//! temporary root) and commented-out entries found, without a panic; every span is in bounds.
#![no_main]

use k8s_lint_core::kustomize::{commented_entries, Model};
use k8s_lint_core::source::{FileId, SourceFile};
use k8s_lint_core::yaml::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let root = std::path::PathBuf::from("/nonexistent-fuzz-root/app");
    let files = vec![SourceFile::new(
        root.join("kustomization.yaml"),
        "app/kustomization.yaml".into(),
        text.to_string(),
    )];
    let parsed = vec![parse(FileId(0), &files[0].text)];
    let fence = k8s_lint_core::fence::Fence::new(std::slice::from_ref(&root));
    let model = Model::new(&files, &parsed, std::slice::from_ref(&root), None, &fence);
    for k in &model.kusts {
        for e in &k.entries {
            assert!(e.span.end as usize <= text.len());
            assert!(text.is_char_boundary(e.span.start as usize));
        }
    }
    let _ = model.roots();
    for (_, span) in commented_entries(FileId(0), text, &root) {
        assert!(text.is_char_boundary(span.start as usize) && span.end as usize <= text.len());
    }
});
