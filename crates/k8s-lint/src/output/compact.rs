//! `path:line:column: severity[rule-id]: message`, the shape editors' problem matchers read.

use std::fmt::Write;

use k8s_lint_core::Report;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let file = report.file(f.primary.span.file);
        let pos = file.position(f.primary.span.start as usize);
        let message = f.message.replace(['\n', '\r'], " ");
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}]: {message}",
            file.display, pos.line, pos.column, f.severity, f.rule
        );
    }
    out
}
