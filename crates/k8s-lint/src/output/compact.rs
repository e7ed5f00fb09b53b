//! `path:line:column: severity[rule-id]: message`, the shape editors' problem matchers read.

use std::fmt::Write;

use k8s_lint_core::Report;

use super::escape;

/// ` (suppressed: reason)`, for `--show-suppressed`.
pub fn suppressed_note(reason: &str) -> String {
    if reason.is_empty() {
        " (suppressed)".to_string()
    } else {
        format!(" (suppressed: {reason})")
    }
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let file = report.file(f.primary.span.file);
        let pos = file.position(f.primary.span.start as usize);
        let mut message = f.message.clone();
        if let Some(reason) = &f.suppressed {
            message.push_str(&suppressed_note(reason));
        }
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}]: {}",
            escape::text(file.display()),
            pos.line,
            pos.column,
            f.severity,
            f.rule,
            escape::text(&message)
        );
    }
    out
}
