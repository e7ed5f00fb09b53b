//! `--format human`: miette reports with snippets. Related spans in the same file are labels;
//! spans in other files are related reports with their own snippet.

use std::fmt;

use k8s_lint_core::{Finding, Label, Report, Severity, SourceFile};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
}

/// Any other diagnostic (a bad config file), rendered the same way.
pub fn render_diagnostic(diagnostic: &dyn Diagnostic, color: bool) -> String {
    let mut out = String::new();
    if handler(color).render_report(&mut out, diagnostic).is_err() {
        out = format!("error: {diagnostic}\n");
    }
    out
}

pub fn render(report: &Report, color: bool) -> String {
    let handler = handler(color);
    let mut out = String::new();
    for f in &report.findings {
        let diag = Diag::new(report, f);
        if handler.render_report(&mut out, &diag).is_err() {
            out.push_str(&format!("{}: {}\n", f.rule, f.message));
        }
        out.push('\n');
    }
    out.push_str(&summary(report));
    out
}

pub fn summary(report: &Report) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "k8s-lint: {} and {} checked: {}, {}, {}\n",
        plural(report.stats.files, "file"),
        plural(report.stats.objects, "object"),
        plural(report.count(Severity::Error), "error"),
        plural(report.count(Severity::Warning), "warning"),
        plural(report.count(Severity::Info), "info"),
    )
}

/// A file as miette reads it, with the column of the header counted in characters (miette
/// counts bytes, and counts a BOM as a column).
struct Src<'a>(&'a SourceFile);

impl SourceCode for Src<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.0.text.read_span(span, before, after)?;
        let pos = self.0.position(span.offset());
        Ok(Box::new(MietteSpanContents::new_named(
            self.0.display.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            pos.column - 1,
            inner.line_count(),
        )))
    }
}

struct Diag<'a> {
    message: String,
    code: Option<&'static str>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Src<'a>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Diag<'a>>,
}

fn labeled(label: &Label, primary: bool) -> LabeledSpan {
    let span = SourceSpan::from(label.span.range());
    let text = (!label.message.is_empty()).then(|| label.message.clone());
    if primary {
        LabeledSpan::new_primary_with_span(text, span)
    } else {
        LabeledSpan::new_with_span(text, span)
    }
}

impl<'a> Diag<'a> {
    fn new(report: &'a Report, f: &'a Finding) -> Diag<'a> {
        let file = report.file(f.primary.span.file);
        let has_text = !file.text.is_empty();
        let mut labels = Vec::new();
        if has_text {
            labels.push(labeled(&f.primary, true));
        }
        let mut related = Vec::new();
        for r in &f.related {
            if r.span.file == f.primary.span.file && has_text {
                labels.push(labeled(r, false));
            } else {
                related.push(Diag {
                    message: r.message.clone(),
                    code: None,
                    severity: miette::Severity::Advice,
                    help: None,
                    source: Some(Src(report.file(r.span.file))),
                    labels: vec![labeled(
                        &Label {
                            span: r.span,
                            message: String::new(),
                        },
                        true,
                    )],
                    related: Vec::new(),
                });
            }
        }
        let note = f.suppressed.as_deref().map(super::compact::suppressed_note);
        Diag {
            message: format!("{}{}", f.message, note.unwrap_or_default()),
            code: Some(f.rule),
            severity: match f.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
                Severity::Info => miette::Severity::Advice,
            },
            help: f.help.clone(),
            source: has_text.then_some(Src(file)),
            labels,
            related,
        }
    }
}

impl fmt::Debug for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Diag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag<'_> {}

impl Diagnostic for Diag<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.code.map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as _)
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        (!self.related.is_empty())
            .then(|| Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)) as _)
    }
}
