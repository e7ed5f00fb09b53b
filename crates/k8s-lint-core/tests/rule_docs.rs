//! `rules/<id>.md` and the code agree: one page per rule and one rule per page, the fixed
//! headings, the same summary in the page and in the rule's doc comment, and examples that
//! behave as they say (the "Example" fires the rule, the "Fix" does not).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use k8s_lint_core::{lint, Options, RuleLevel, RULES};

const HEADINGS: [&str; 5] = [
    "## What it does",
    "## Why it matters",
    "## Example",
    "## Fix",
    "## What it does not catch",
];

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

fn doc(id: &str) -> String {
    std::fs::read_to_string(docs_dir().join(format!("{id}.md")))
        .unwrap_or_else(|e| panic!("rules/{id}.md: {e}"))
}

#[test]
fn every_rule_has_a_page_and_every_page_a_rule() {
    let pages: BTreeSet<String> = std::fs::read_dir(docs_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().to_string();
            name.strip_suffix(".md").map(String::from)
        })
        .filter(|n| n != "README")
        .collect();
    let ids: BTreeSet<String> = RULES.iter().map(|r| r.meta().id.to_string()).collect();
    assert_eq!(
        pages.difference(&ids).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "pages without a rule"
    );
    assert_eq!(
        ids.difference(&pages).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "rules without a page"
    );
}

#[test]
fn pages_have_the_fixed_shape_and_match_the_code() {
    for rule in RULES {
        let meta = rule.meta();
        let text = doc(meta.id);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some(format!("# {}", meta.id).as_str()));
        assert_eq!(lines.next(), Some(""));
        assert_eq!(
            lines.next(),
            Some(format!("> {}", meta.summary).as_str()),
            "rules/{}.md: the summary line must be the rule's summary",
            meta.id
        );
        assert!(
            text.contains(&format!("Severity: **{}** (default).", meta.severity)),
            "rules/{}.md: severity line",
            meta.id
        );
        let fix_line = match meta.fix {
            Some(k8s_lint_core::fix::Applicability::Safe) => {
                "Fix: **safe** (`k8s-lint --fix` applies it)."
            }
            Some(k8s_lint_core::fix::Applicability::Unsafe) => {
                "Fix: **unsafe** (`k8s-lint --fix --unsafe-fixes` applies it; review the diff with `--diff`)."
            }
            None => "Fix: none.",
        };
        assert!(
            text.lines().any(|l| l == fix_line),
            "rules/{}.md: the fix line must be `{fix_line}`",
            meta.id
        );
        let mut last = 0;
        for h in HEADINGS {
            let at = text
                .lines()
                .position(|l| l == h)
                .unwrap_or_else(|| panic!("rules/{}.md lacks `{h}`", meta.id));
            assert!(at > last, "rules/{}.md: `{h}` out of order", meta.id);
            last = at;
        }
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src/rules")
            .join(format!("{}.rs", meta.id.replace('-', "_")));
        let source = std::fs::read_to_string(&source).unwrap();
        assert_eq!(
            source.lines().next(),
            Some(format!("//! {}", meta.summary).as_str()),
            "{}: the doc comment starts with the summary",
            meta.id
        );
        assert!(source.contains(&format!("Docs: `rules/{}.md`", meta.id)));
    }
}

/// The ```yaml blocks of a section; `# file: path` on the first line names the file.
fn blocks(text: &str, heading: &str) -> Vec<(String, String)> {
    let section = text
        .split_once(&format!("{heading}\n"))
        .map(|(_, rest)| rest.split("\n## ").next().unwrap_or(""))
        .unwrap_or("");
    let mut out = Vec::new();
    let mut rest = section;
    while let Some((_, after)) = rest.split_once("```yaml\n") {
        let (body, tail) = after.split_once("```").expect("closed code block");
        let (name, body) = match body.strip_prefix("# file: ") {
            Some(named) => {
                let (name, body) = named.split_once('\n').unwrap();
                (name.trim().to_string(), body.to_string())
            }
            None => ("manifests.yaml".to_string(), body.to_string()),
        };
        out.push((name, body));
        rest = tail;
    }
    out
}

fn fires(id: &str, files: &[(String, String)]) -> Vec<String> {
    findings(id, files).into_iter().map(|f| f.message).collect()
}

fn findings(id: &str, files: &[(String, String)]) -> Vec<k8s_lint_core::Finding> {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    let mut options = Options::new(vec![dir.path().to_path_buf()]);
    options.base = dir.path().to_path_buf();
    // Every rule runs (suppression rules judge the others' findings); this one even if it is
    // off by default.
    let rule = k8s_lint_core::rules::by_id(id).unwrap();
    options
        .settings
        .rule_levels
        .insert(id.to_string(), RuleLevel::On(rule.meta().severity));
    lint(&options)
        .unwrap()
        .findings
        .into_iter()
        .filter(|f| f.rule == id)
        .collect()
}

#[test]
fn examples_fire_and_fixes_do_not() {
    let mut checked = 0;
    for rule in RULES {
        let id = rule.meta().id;
        let text = doc(id);
        let example = blocks(&text, "## Example");
        if example.is_empty() {
            // Only rules about the file system itself (unreadable files) have no YAML example.
            assert_eq!(id, "file-unreadable", "rules/{id}.md has no yaml example");
            continue;
        }
        assert!(
            !fires(id, &example).is_empty(),
            "rules/{id}.md: the Example does not fire {id}"
        );
        let fix = blocks(&text, "## Fix");
        assert!(!fix.is_empty(), "rules/{id}.md has no yaml under Fix");
        assert_eq!(
            fires(id, &fix),
            Vec::<String>::new(),
            "rules/{id}.md: the Fix still fires {id}"
        );
        checked += 1;
    }
    assert!(checked >= 10);
}

#[test]
fn readme_lists_every_rule() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    for rule in RULES {
        let id = rule.meta().id;
        assert!(
            readme.contains(&format!(
                "| [`{id}`](rules/{id}.md) | {} |",
                rule.meta().severity
            )),
            "README.md's rule table lacks `{id}` (or its severity changed)"
        );
    }
}

/// A page that quotes its rule's output quotes what the rule says today: each quoted
/// `severity[id]: headline` of the page's own rule is a headline its Example produces, and the
/// `note:` lines under it are that finding's notes.
#[test]
fn quoted_output_is_current() {
    let mut stale = Vec::new();
    for rule in RULES {
        let id = rule.meta().id;
        let text = doc(id);
        let example = blocks(&text, "## Example");
        if example.is_empty() {
            continue;
        }
        let produced = findings(id, &example);
        let marker = format!("[{id}]: ");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some((_, headline)) = line.split_once(&marker) else {
                continue;
            };
            let Some(f) = produced.iter().find(|f| f.message == headline) else {
                stale.push(format!("rules/{id}.md: {headline}"));
                continue;
            };
            let notes: Vec<&str> = lines[i + 1..]
                .iter()
                .take_while(|l| l.starts_with("    "))
                .filter_map(|l| l.strip_prefix("    note: "))
                .collect();
            if !notes.is_empty() && notes != f.notes {
                stale.push(format!("rules/{id}.md: notes of {headline}: {:?}", f.notes));
            }
        }
    }
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}
