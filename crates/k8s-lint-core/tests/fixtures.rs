//! Golden tests: every directory under `fixtures/` with an `expected.txt` is linted with the
//! default rules (plus those its `rules.txt` turns on) and must give exactly that output.
//! `K8S_LINT_BLESS=1 cargo test` rewrites the files.

mod common;

use std::path::PathBuf;

use k8s_lint_core::RULES;

fn all_cases() -> Vec<PathBuf> {
    let mut out = Vec::new();
    common::fixture_cases(&common::fixtures(), &mut out);
    out
}

#[test]
fn fixtures_match_expected_output() {
    let bless = std::env::var_os("K8S_LINT_BLESS").is_some();
    let mut failures = Vec::new();
    let cases = all_cases();
    assert!(cases.len() > 20, "fixtures not found");
    for case in &cases {
        let actual = common::render(&common::lint_dir(case));
        let path = case.join("expected.txt");
        let expected = std::fs::read_to_string(&path).unwrap();
        if actual != expected {
            if bless {
                std::fs::write(&path, &actual).unwrap();
            } else {
                failures.push(format!(
                    "--- {}\n--- expected\n{expected}--- actual\n{actual}",
                    path.display()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A headline's length as a reader feels it: a quoted name or value (`` `shop/web` ``, `"nginx"`)
/// counts as one short word whatever its length, since names are the user's to choose.
fn headline_length(message: &str) -> usize {
    let mut length = 0;
    let mut quote: Option<char> = None;
    for c in message.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '`' || c == '"' => {
                quote = Some(c);
                length += 8;
            }
            None => length += 1,
        }
    }
    length
}

/// Headlines fit a line: at most about 100 characters, names aside; what follows from the
/// finding and the tools' own error texts go to notes.
#[test]
fn headlines_are_short() {
    const MAX: usize = 100;
    let mut long = Vec::new();
    for case in all_cases() {
        for f in &common::lint_dir(&case).findings {
            let length = headline_length(&f.message);
            if length > MAX {
                long.push(format!(
                    "{} [{}] {length}: {}",
                    case.display(),
                    f.rule,
                    f.message
                ));
            }
        }
    }
    long.sort();
    long.dedup();
    assert!(
        long.is_empty(),
        "{} headline(s) longer than {MAX}:\n{}",
        long.len(),
        long.join("\n")
    );
}

#[test]
fn headline_length_counts_names_as_words() {
    assert_eq!(
        headline_length("Service `a-very-long-name/of-a-service` exists"),
        8 + 8 + 7
    );
    assert_eq!(headline_length("class \"nginx\" differs"), 6 + 8 + 8);
}

/// Fixes, case by case: `--fix --unsafe-fixes` must make exactly the files of `fixed.txt`
/// (none when it is absent), the fixed files must parse, no fix may be left to make, and a
/// second run over the fixed texts must change nothing.
#[test]
fn fixes_make_the_expected_text() {
    let bless = std::env::var_os("K8S_LINT_BLESS").is_some();
    let mut failures = Vec::new();
    for case in all_cases() {
        let mut options = common::fixture_options(&case);
        let fixed = k8s_lint_core::fix::lint_fixed(&options, true).expect("fixture root exists");
        // A rule's fixes are of the kind its metadata (and so its page) declares.
        for f in &common::lint_dir(&case).findings {
            let declared = k8s_lint_core::rules::by_id(f.rule).and_then(|r| r.meta().fix);
            for fix in &f.fixes {
                if declared != Some(fix.applicability) {
                    failures.push(format!(
                        "{}: {} offers a {} fix, but declares {declared:?}",
                        case.display(),
                        f.rule,
                        fix.applicability.as_str()
                    ));
                }
            }
        }
        let actual = common::render_fixed(&fixed);
        let path = case.join("fixed.txt");
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if actual != expected {
            if bless && actual.is_empty() {
                std::fs::remove_file(&path).unwrap();
            } else if bless {
                std::fs::write(&path, &actual).unwrap();
            } else {
                failures.push(format!(
                    "--- {}\n--- expected\n{expected}--- actual\n{actual}",
                    path.display()
                ));
            }
        }
        if fixed.files.is_empty() {
            continue;
        }
        let left: Vec<String> = fixed
            .report
            .findings
            .iter()
            .filter(|f| {
                let path = &fixed.report.file(f.primary.span.file).path;
                let changed = fixed.files.iter().any(|x| *x.path == **path);
                !f.fixes.is_empty() || (changed && f.rule == "yaml-syntax")
            })
            .map(|f| format!("{} {}", f.rule, f.message))
            .collect();
        if !left.is_empty() {
            failures.push(format!("{}: left after fixing: {left:?}", case.display()));
        }
        options.overlay = k8s_lint_core::load::Overlay::new(
            fixed
                .files
                .iter()
                .map(|f| (f.path.clone(), f.fixed.clone()))
                .collect(),
        );
        let again = k8s_lint_core::fix::lint_fixed(&options, true).unwrap();
        if !again.files.is_empty() {
            failures.push(format!("{}: a second run fixes again", case.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) fix wrongly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every rule has a `fixtures/<id>/` with cases that fire it and cases where it stays silent;
/// `info-` cases are those where the repository cannot show what the rule looks for: the rule
/// says so at info, never louder. Every other directory names a rule, but for the founding
/// fixture, the demos and the hostile repositories.
#[test]
fn every_rule_has_firing_and_clean_fixtures() {
    let root = common::fixtures();
    let mut problems = Vec::new();
    for rule in RULES {
        let id = rule.meta().id;
        let dir = root.join(id);
        let mut fires = 0;
        let mut clean = 0;
        for case in all_cases().iter().filter(|c| c.starts_with(&dir)) {
            let name = case.file_name().unwrap().to_string_lossy().to_string();
            let expected = std::fs::read_to_string(case.join("expected.txt")).unwrap();
            let fired = expected.contains(&format!("[{id}]: "));
            if name.starts_with("fires-") {
                fires += 1;
                if !fired {
                    problems.push(format!(
                        "{}: a fires- case where {id} does not fire",
                        case.display()
                    ));
                }
            } else if name.starts_with("ok-") {
                clean += 1;
                if fired {
                    problems.push(format!("{}: an ok- case where {id} fires", case.display()));
                }
            } else if name.starts_with("info-") {
                let loud = [": error[", ": warning["]
                    .iter()
                    .any(|s| expected.contains(&format!("{s}{id}]: ")));
                if !expected.contains(&format!(": info[{id}]: ")) || loud {
                    problems.push(format!(
                        "{}: an info- case where {id} does not fire at info only",
                        case.display()
                    ));
                }
            } else {
                problems.push(format!(
                    "{}: case names start with fires-, ok- or info-",
                    case.display()
                ));
            }
        }
        if fires == 0 || clean == 0 {
            problems.push(format!(
                "{id}: {fires} fires- and {clean} ok- fixtures; need at least one of each"
            ));
        }
    }
    for entry in std::fs::read_dir(&root).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        let is_rule = RULES.iter().any(|r| r.meta().id == name);
        // `hostile/` holds the generated hostile repositories (tests/hostile_repositories.rs).
        let other = ["anthropic-oauth-proxy", "hostile"].contains(&name.as_str());
        if !is_rule && !other && !name.starts_with("demo-") {
            problems.push(format!("fixtures/{name} names no rule"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
