//! `--format json`: schema version 1, stable field names, 1-based line and character columns,
//! exclusive end positions.

use k8s_lint_core::{Report, Severity, Span};
use serde::Serialize;

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: &'a str,
    message: &'a str,
    #[serde(flatten)]
    at: Place<'a>,
    /// Detail sentences after the headline `message`.
    notes: &'a [String],
    help: Option<&'a str>,
    related: Vec<Related<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<Suppressed<'a>>,
    /// The fix `--fix` applies (`null` when there is none); `alternatives` are the others.
    fix: Option<JsonFix<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    alternatives: Vec<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    title: &'a str,
    applicability: &'static str,
    edits: Vec<JsonEdit<'a>>,
}

/// Replace the text from `line:column` to `end_line:end_column` (equal for an insertion).
#[derive(Serialize)]
struct JsonEdit<'a> {
    #[serde(flatten)]
    at: Place<'a>,
    text: &'a str,
}

fn fix<'a>(report: &'a Report, fix: &'a k8s_lint_core::fix::Fix) -> JsonFix<'a> {
    JsonFix {
        title: &fix.title,
        applicability: fix.applicability.as_str(),
        edits: fix
            .edits
            .iter()
            .map(|e| JsonEdit {
                at: place(report, e.span),
                text: &e.text,
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct Suppressed<'a> {
    reason: &'a str,
}

#[derive(Serialize)]
struct Place<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
struct Related<'a> {
    #[serde(flatten)]
    at: Place<'a>,
    message: &'a str,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    objects: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    /// Findings beyond the report's budget, not listed.
    #[serde(skip_serializing_if = "is_zero")]
    omitted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn place(report: &Report, span: Span) -> Place<'_> {
    let file = report.file(span.file);
    let loc = file.location(span);
    Place {
        file: file.display(),
        line: loc.start.line,
        column: loc.start.column,
        end_line: loc.end.line,
        end_column: loc.end.column,
    }
}

pub fn render(report: &Report) -> String {
    let doc = Doc {
        version: 1,
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding {
                rule: f.rule,
                severity: f.severity.as_str(),
                message: &f.message,
                at: place(report, f.primary.span),
                notes: &f.notes,
                help: f.help.as_deref(),
                related: f
                    .related
                    .iter()
                    .map(|r| Related {
                        at: place(report, r.span),
                        message: &r.message,
                    })
                    .collect(),
                suppressed: f.suppressed.as_deref().map(|reason| Suppressed { reason }),
                fix: f.fixes.first().map(|x| fix(report, x)),
                alternatives: f.fixes.iter().skip(1).map(|x| fix(report, x)).collect(),
            })
            .collect(),
        summary: Summary {
            files: report.stats.files,
            objects: report.stats.objects,
            errors: report.count(Severity::Error),
            warnings: report.count(Severity::Warning),
            infos: report.count(Severity::Info),
            omitted: report.stats.omitted,
        },
    };
    let mut s = super::escape::json(serde_json::to_string_pretty(&doc).unwrap_or_default());
    s.push('\n');
    s
}
