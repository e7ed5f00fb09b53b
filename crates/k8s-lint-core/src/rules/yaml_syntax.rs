//! A file does not parse as YAML (or is not UTF-8); its other documents are still linted.
//!
//! Docs: `rules/yaml-syntax.md`.

use crate::finding::{Finding, Severity};
use crate::load::FileProblem;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::yaml::{Problem, ALIAS_NODE_BUDGET, MAX_DEPTH};

pub struct YamlSyntax;

static META: RuleMeta = RuleMeta {
    id: "yaml-syntax",
    severity: Severity::Error,
    summary:
        "A file does not parse as YAML (or is not UTF-8); its other documents are still linted.",
    default_enabled: true,
    scope: Scope::File,
    fix: None,
};

impl Rule for YamlSyntax {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for (file, problem) in cx.file_problems {
            if let FileProblem::NotUtf8 { span } = problem {
                out.push(
                    Finding::new(
                        &META,
                        *span,
                        format!(
                            "`{}` is not valid UTF-8 at byte {}",
                            cx.file(*file).display(),
                            span.start
                        ),
                    )
                    .label("invalid UTF-8")
                    .note("it is a binary file, or text in another encoding")
                    .note("it is not checked")
                    .help("save the file as UTF-8, or move binary files out of the manifest tree"),
                );
            }
        }
        for (i, parsed) in cx.parsed.iter().enumerate() {
            // Nearly every file parses: what follows reads its whole text.
            if parsed.problems.is_empty() {
                continue;
            }
            let file = &cx.files[i];
            // JSON files are often not manifests (package.json, dashboards, tsconfig with comments).
            if file.display().ends_with(".json") && !file.text.contains("\"apiVersion\"") {
                continue;
            }
            // A template (Jinja for Ansible, a Go template) that does not parse is not broken
            // YAML: it is rendered before anything reads it.
            let template = looks_templated(&file.text);
            for problem in &parsed.problems {
                let unchecked = "this document is not checked".to_string();
                let (span, message, notes, label) = match problem {
                    Problem::Syntax { .. } if template => continue,
                    Problem::Syntax { message, span } => {
                        let (problem, context) = split_context(message);
                        (
                            *span,
                            format!("YAML syntax error: {problem}"),
                            context
                                .map(|c| format!("the parser stopped {c}"))
                                .into_iter()
                                .collect(),
                            "here",
                        )
                    }
                    Problem::AliasBudget { span } => (
                        *span,
                        format!("aliases expand to more than {ALIAS_NODE_BUDGET} nodes (an alias bomb?)"),
                        vec![unchecked],
                        "alias expansion stopped here",
                    ),
                    Problem::TooDeep { span } => (
                        *span,
                        format!("aliases nest deeper than {MAX_DEPTH} levels"),
                        vec![unchecked],
                        "too deep",
                    ),
                    Problem::DuplicateKey { .. } => continue,
                };
                out.push(
                    Finding {
                        notes,
                        ..Finding::new(&META, span, message)
                    }
                    .label(label)
                    .help("fix the YAML; kustomize, Argo CD and Flux reject the whole file"),
                );
            }
        }
    }
}

/// A long parser message, "while scanning an anchor or alias, did not find expected ...", as
/// its problem for the headline and its context for a note; a short one whole.
fn split_context(message: &str) -> (&str, Option<&str>) {
    const SHORT: usize = 70;
    if message.len() <= SHORT {
        return (message, None);
    }
    match message.split_once(", ") {
        Some((context, problem)) if context.starts_with("while ") && !problem.is_empty() => {
            (problem, Some(context))
        }
        _ => (message, None),
    }
}

/// Template syntax that is never YAML: Jinja statements and comments, Go template actions on a
/// field (`{{ .Namespace }}`) or with whitespace trimming (`{{-`).
fn looks_templated(text: &str) -> bool {
    ["{%", "{#", "{{ .", "{{.", "{{-", "-}}"]
        .iter()
        .any(|m| text.contains(m))
}

#[cfg(test)]
mod tests {
    use super::split_context;

    #[test]
    fn long_parser_messages_keep_their_problem() {
        assert_eq!(
            split_context("while parsing a flow mapping, did not find expected ',' or '}'"),
            (
                "while parsing a flow mapping, did not find expected ',' or '}'",
                None
            )
        );
        assert_eq!(
            split_context(
                "while scanning an anchor or alias, did not find expected alphabetic or numeric character"
            ),
            (
                "did not find expected alphabetic or numeric character",
                Some("while scanning an anchor or alias")
            )
        );
    }
}
