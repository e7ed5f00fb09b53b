//! A generated repository of 200 apps with planted bugs: k8s-lint reports exactly the planted
//! set, at the exact line:column, and nothing else.

mod common;

#[test]
fn finds_exactly_the_planted_defects() {
    let dir = tempfile::tempdir().unwrap();
    let generated = k8s_lint_gen::write_repo(dir.path(), 200, 4).unwrap();
    assert_eq!(generated.expected.len(), 20);
    let report = common::lint_dir(dir.path());
    assert_eq!(report.stats.objects, generated.objects);
    let mut found: Vec<String> = report
        .findings
        .iter()
        .map(|f| {
            let file = report.file(f.primary.span.file);
            let p = file.position(f.primary.span.start as usize);
            format!("{} {}:{}:{}", f.rule, file.display, p.line, p.column)
        })
        .collect();
    found.sort();
    assert_eq!(found, generated.expected);
}

#[test]
fn a_clean_repository_stays_clean() {
    let dir = tempfile::tempdir().unwrap();
    k8s_lint_gen::write_repo(dir.path(), 60, 0).unwrap();
    assert_eq!(common::render(&common::lint_dir(dir.path())), "");
}
