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
                            "{} is not valid UTF-8 at byte {}: a binary file or another encoding; it is not checked",
                            cx.file(*file).display,
                            span.start
                        ),
                    )
                    .label("invalid UTF-8")
                    .help("save the file as UTF-8, or move binary files out of the manifest tree"),
                );
            }
        }
        for (i, parsed) in cx.parsed.iter().enumerate() {
            let file = &cx.files[i];
            // JSON files are often not manifests (package.json, dashboards, tsconfig with comments).
            if file.display.ends_with(".json") && !file.text.contains("\"apiVersion\"") {
                continue;
            }
            // A template (Jinja for Ansible, a Go template) that does not parse is not broken
            // YAML: it is rendered before anything reads it.
            let template = looks_templated(&file.text);
            for problem in &parsed.problems {
                let (span, message, label) = match problem {
                    Problem::Syntax { .. } if template => continue,
                    Problem::Syntax { message, span } => (
                        *span,
                        format!("YAML syntax error: {message}"),
                        "here",
                    ),
                    Problem::AliasBudget { span } => (
                        *span,
                        format!("aliases expand to more than {ALIAS_NODE_BUDGET} nodes (an alias bomb?); this document is not checked"),
                        "alias expansion stopped here",
                    ),
                    Problem::TooDeep { span } => (
                        *span,
                        format!("aliases nest deeper than {MAX_DEPTH} levels; this document is not checked"),
                        "too deep",
                    ),
                    Problem::DuplicateKey { .. } => continue,
                };
                out.push(
                    Finding::new(&META, span, message)
                        .label(label)
                        .help("fix the YAML; kustomize, Argo CD and Flux reject the whole file"),
                );
            }
        }
    }
}

/// Template syntax that is never YAML: Jinja statements and comments, Go template actions on a
/// field (`{{ .Namespace }}`) or with whitespace trimming (`{{-`).
fn looks_templated(text: &str) -> bool {
    ["{%", "{#", "{{ .", "{{.", "{{-", "-}}"]
        .iter()
        .any(|m| text.contains(m))
}
