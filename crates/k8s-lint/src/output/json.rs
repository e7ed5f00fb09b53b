//! `--format json`: schema version 1, stable field names, 1-based line and character columns,
//! exclusive end positions.

use k8s_lint_core::{Label, Report, Severity};
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

fn place<'a>(report: &'a Report, label: &Label) -> Place<'a> {
    let file = report.file(label.span.file);
    let loc = file.location(label.span);
    Place {
        file: &file.display,
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
                at: place(report, &f.primary),
                notes: &f.notes,
                help: f.help.as_deref(),
                related: f
                    .related
                    .iter()
                    .map(|r| Related {
                        at: place(report, r),
                        message: &r.message,
                    })
                    .collect(),
                suppressed: f.suppressed.as_deref().map(|reason| Suppressed { reason }),
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
