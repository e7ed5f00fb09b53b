//! `--format github`: GitHub Actions workflow commands, one annotation per finding, and a
//! Markdown table of every finding in `$GITHUB_STEP_SUMMARY` (GitHub shows only ten
//! annotations of each kind per step).

use std::fmt::Write as _;
use std::io::Write as _;

use k8s_lint_core::{Finding, Report, Severity};

use super::escape;

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Escaping of a command's message (actions/toolkit `escapeData`).
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a property value (actions/toolkit `escapeProperty`).
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn at(report: &Report, label: &k8s_lint_core::Label) -> String {
    let file = report.file(label.span.file);
    let p = file.position(label.span.start as usize);
    format!("{}:{}:{}", escape::text(file.display()), p.line, p.column)
}

fn annotation(report: &Report, f: &Finding) -> String {
    let file = report.file(f.primary.span.file);
    let loc = file.location(f.primary.span);
    let mut props = format!(
        "file={},line={},endLine={}",
        escape_property(&escape::text(file.display())),
        loc.start.line,
        loc.end.line
    );
    // GitHub rejects col/endColumn on an annotation that spans lines.
    if loc.start.line == loc.end.line {
        let _ = write!(
            props,
            ",col={},endColumn={}",
            loc.start.column, loc.end.column
        );
    }
    let _ = write!(
        props,
        ",title={}",
        escape_property(&format!("k8s-lint ({})", f.rule))
    );
    // Line breaks from the repository are escaped before ours are added: GitHub turns `%0A`
    // back into a line break in the annotation, and escaped control characters never reach
    // the log.
    let mut data = escape::text(&f.message).into_owned();
    for note in &f.notes {
        let _ = write!(data, "\n  note: {}", escape::text(note));
    }
    for r in &f.related {
        let message = escape::text(&r.message);
        let _ = write!(data, "\n  related {}: {message}", at(report, r));
    }
    if let Some(help) = &f.help {
        let _ = write!(data, "\n  help: {}", escape::text(help));
    }
    format!(
        "::{} {props}::{}\n",
        command(f.severity),
        escape_data(&data)
    )
}

pub fn render(report: &Report) -> String {
    let mut out: String = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| annotation(report, f))
        .collect();
    out.push_str(&super::human::summary(report));
    out
}

/// Append a table of every finding to the file named by `$GITHUB_STEP_SUMMARY`, if set.
pub fn write_step_summary(report: &Report) -> std::io::Result<()> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    file.write_all(step_summary(report).as_bytes())
}

/// A table cell of the step summary: escaped for the log, `|` for the table, and HTML-like
/// text (`<tailnet>`) for GitHub's Markdown, which would otherwise swallow it as a tag.
fn cell(s: &str) -> String {
    escape::text(s)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}

/// Below GitHub's 1 MiB limit for one step's summary, with room for the closing line.
const SUMMARY_LIMIT: usize = 1000 * 1000;

pub fn step_summary(report: &Report) -> String {
    let mut out = format!(
        "### k8s-lint\n\n{}\n",
        super::human::summary(report).trim_end()
    );
    if report.findings.is_empty() {
        return out;
    }
    out.push_str("\n| Severity | Rule | Location | Message |\n|---|---|---|---|\n");
    let shown: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .collect();
    for (i, f) in shown.iter().enumerate() {
        let row = format!(
            "| {} | `{}` | `{}` | {} |\n",
            f.severity,
            f.rule,
            cell(&at(report, &f.primary)),
            cell(&f.message)
        );
        if out.len() + row.len() > SUMMARY_LIMIT {
            let _ = writeln!(
                out,
                "\n{} more findings are not shown here (GitHub limits a step summary to 1 MiB); the annotations and the log list them all.",
                shown.len() - i
            );
            break;
        }
        out.push_str(&row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_toolkit() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
