//! `--format human`: miette reports with snippets. Related spans in the same file are labels;
//! spans in other files are related reports with their own snippet. Everything that comes from
//! the repository is escaped (see `escape`), snippets included.

use std::fmt;
use std::path::PathBuf;

use k8s_lint_core::config::ConfigError;
use k8s_lint_core::{FileId, Finding, Label, Report, Severity, SourceFile, Span};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::escape;

/// Lines up to this many bytes are shown whole.
const LONG_LINE: usize = 800;
/// Characters kept either side of each end of a label on a longer line.
const CONTEXT: usize = 200;
/// Where a long line is cut.
const CUT: &str = "…";

/// The width to wrap to: `COLUMNS` when set, else the terminal's, else 100. Never narrower
/// than 40 columns, so snippets stay readable.
pub fn width() -> usize {
    let from_env = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok());
    let from_terminal = || {
        terminal_size::terminal_size_of(std::io::stdout())
            .map(|(terminal_size::Width(w), _)| usize::from(w))
    };
    from_env.or_else(from_terminal).unwrap_or(100).max(40)
}

fn handler(color: bool, width: usize) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        // A path, a URL or a name stays whole: never cut in two, nor split at its hyphens.
        .with_break_words(false)
        .with_word_splitter(textwrap::WordSplitter::NoHyphenation)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace)
        .with_links(false)
}

/// One report: miette draws the headline and the snippet; the notes, the help and each related
/// location in another file follow, in that order (as rustc orders them). miette has no notes,
/// and heads related reports with their severity ("Advice:"), so the rest is drawn here.
fn render_one(out: &mut String, painter: &Painter, diag: &Diag) {
    let mut text = String::new();
    if painter.handler.render_report(&mut text, diag).is_err() {
        let code = diag
            .code
            .as_ref()
            .map(|c| format!("{c}: "))
            .unwrap_or_default();
        out.push_str(&format!("{code}{}\n", diag.message));
        return;
    }
    out.push_str(&text);
    for note in &diag.notes {
        painter.footer(out, "note", note);
    }
    if let Some(help) = &diag.help {
        painter.footer(out, "help", help);
    }
    for related in &diag.related {
        let mut text = String::new();
        if painter.handler.render_report(&mut text, related).is_ok() {
            out.push_str("\nrelated:\n");
            out.push_str(&text);
        }
    }
}

/// The report handler, and what it needs to draw the lines miette does not.
struct Painter {
    handler: GraphicalReportHandler,
    width: usize,
    color: bool,
}

impl Painter {
    fn new(color: bool) -> Painter {
        let width = width();
        Painter {
            handler: handler(color, width),
            width,
            color,
        }
    }

    /// `  note: text`, wrapped as miette wraps its help: at spaces only, hanging indent.
    fn footer(&self, out: &mut String, what: &str, text: &str) {
        let head = format!("  {what}: ");
        let initial = if self.color {
            // miette's theme: help in cyan; notes in bold, as rustc draws them.
            let code = if what == "help" { "36" } else { "1" };
            format!("  \x1b[{code}m{what}:\x1b[0m ")
        } else {
            head.clone()
        };
        let indent = " ".repeat(head.len());
        let options = textwrap::Options::new(self.width.saturating_sub(2))
            .initial_indent(&initial)
            .subsequent_indent(&indent)
            .break_words(false)
            .word_splitter(textwrap::WordSplitter::NoHyphenation)
            .word_separator(textwrap::WordSeparator::AsciiSpace);
        out.push_str(&textwrap::fill(text, options));
        out.push('\n');
    }
}

/// A bad config file, rendered like a finding.
pub fn render_config_error(e: &ConfigError, color: bool) -> String {
    let name = e.src.name();
    let file = SourceFile::new(PathBuf::from(name), name.to_string(), e.src.inner().clone());
    let start = e.span.offset();
    let label = Label {
        span: Span::new(FileId(0), start, start + e.span.len()),
        message: e.label.clone(),
    };
    let mut diag = Diag::new(&e.message, &file, &[&label]);
    diag.code = e.code().map(|c| c.to_string());
    diag.help = e.help.as_deref().map(|h| escape::text(h).into_owned());
    let mut out = String::new();
    render_one(&mut out, &Painter::new(color), &diag);
    out
}

pub fn render(report: &Report, color: bool) -> String {
    let mut out = render_findings(report, color);
    out.push_str(&summary(report));
    out
}

/// The findings without the summary line (`--quiet`). A help text already printed for an
/// earlier finding is not printed again.
pub fn render_findings(report: &Report, color: bool) -> String {
    let painter = Painter::new(color);
    let mut out = String::new();
    let mut helped: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for f in &report.findings {
        let mut diag = Diag::finding(report, f);
        if f.help.as_deref().is_some_and(|h| !helped.insert(h)) {
            diag.help = None;
        }
        render_one(&mut out, &painter, &diag);
        out.push('\n');
    }
    out
}

pub fn summary(report: &Report) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let omitted = match report.stats.omitted {
        0 => String::new(),
        n => format!(
            "; {} more not shown (at most {} are reported)",
            plural(n, "finding"),
            k8s_lint_core::MAX_FINDINGS
        ),
    };
    format!(
        "k8s-lint: {} and {} checked: {}, {}, {}{omitted}\n",
        plural(report.stats.files, "file"),
        plural(report.stats.objects, "object"),
        plural(report.count(Severity::Error), "error"),
        plural(report.count(Severity::Warning), "warning"),
        plural(report.count(Severity::Info), "info"),
    )
}

/// The lines of a file from just before the first label to just after the last, as miette reads
/// them: escaped, and long lines cut around the labels (miette panics on a column past 65,535,
/// and a minified manifest is one line). Lines stay one for one with the file's, so miette
/// numbers them right.
struct View {
    name: String,
    text: String,
    /// The file's 0-based number of the view's first line.
    first_line: usize,
    /// The 0-based character column in the file of each label start, by view offset: the header
    /// shows the file's column, not one counted in bytes of the view.
    columns: Vec<(usize, usize)>,
}

impl View {
    /// The view of `file` for `spans`, and where each span is in it.
    fn new(file: &SourceFile, spans: &[Span]) -> (View, Vec<SourceSpan>) {
        let text = &*file.text;
        let lines = file.lines();
        let last = lines.line_count().saturating_sub(1);
        let line_of = |offset: u32| file.position(offset as usize).line - 1;
        // One line of context either side, miette's default.
        let first = spans.iter().map(|s| line_of(s.start)).min().unwrap_or(0);
        let first = first.saturating_sub(1);
        let end = spans.iter().map(|s| line_of(s.end)).max().unwrap_or(0);
        let end = (end + 1).min(last);
        let mut points: Vec<usize> = spans
            .iter()
            .flat_map(|s| [s.start as usize, s.end as usize])
            .collect();
        points.sort_unstable();
        points.dedup();
        // Where each point is in the view.
        let mut at: Vec<usize> = Vec::with_capacity(points.len());
        let mut out = String::new();
        for line in first..=end {
            let range = lines.line_range(text, line + 1);
            let next = lines.line_range(text, line + 2).start;
            let here: Vec<usize> = points[at.len()..]
                .iter()
                .take_while(|&&p| p < next || line == last)
                .map(|&p| p.saturating_sub(range.start).min(range.len()))
                .collect();
            let line_text = text.get(range).unwrap_or_default();
            at.extend(push_line(&mut out, line_text, &here));
            if line < last {
                out.push('\n');
            }
        }
        at.resize(points.len(), out.len());
        let view_of = |p: u32| points.binary_search(&(p as usize)).map_or(0, |i| at[i]);
        let columns = spans
            .iter()
            .map(|s| (view_of(s.start), file.position(s.start as usize).column - 1))
            .collect();
        let spans = spans
            .iter()
            .map(|s| SourceSpan::from(view_of(s.start)..view_of(s.end)))
            .collect();
        let view = View {
            name: escape::text(file.display()).into_owned(),
            text: out,
            first_line: first,
            columns,
        };
        (view, spans)
    }
}

/// Append `line` to `out`, escaped, and if it is long only `CONTEXT` characters either side of
/// each of `points` (byte offsets in `line`), or its start when it has none. Returns where each
/// point went in `out`.
fn push_line(out: &mut String, line: &str, points: &[usize]) -> Vec<usize> {
    let points: Vec<usize> = points.iter().map(|&p| char_start(line, p)).collect();
    let back = |p: usize| {
        line[..p]
            .char_indices()
            .rev()
            .nth(CONTEXT - 1)
            .map_or(0, |(i, _)| i)
    };
    let forward = |p: usize| {
        line[p..]
            .char_indices()
            .nth(CONTEXT)
            .map_or(line.len(), |(i, _)| p + i)
    };
    // Byte ranges of `line` to show, in order.
    let mut keep: Vec<(usize, usize)> = Vec::new();
    if line.len() <= LONG_LINE {
        keep.push((0, line.len()));
    } else if points.is_empty() {
        keep.push((0, forward(0)));
    } else {
        for &p in &points {
            let (a, b) = (back(p), forward(p));
            match keep.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => keep.push((a, b)),
            }
        }
    }
    let mut at = Vec::with_capacity(points.len());
    let mut kept_to = 0;
    for (a, b) in keep {
        if a > kept_to {
            out.push_str(CUT);
        }
        for (i, c) in line[a..b].char_indices() {
            while at.len() < points.len() && points[at.len()] <= a + i {
                at.push(out.len());
            }
            escape::push_snippet_char(out, c);
        }
        kept_to = b;
    }
    // Points at the end of the line.
    at.resize(points.len(), out.len());
    if kept_to < line.len() {
        out.push_str(CUT);
    }
    at
}

/// `offset`, or the start of the character it falls in.
fn char_start(s: &str, offset: usize) -> usize {
    (0..=offset.min(s.len()))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

impl SourceCode for View {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.read_span(span, before, after)?;
        let column = self
            .columns
            .iter()
            .find(|(at, _)| *at == span.offset())
            .map_or(inner.column(), |&(_, column)| column);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            self.first_line + inner.line(),
            column,
            // Counted from the start of the text, as miette counts it for a whole file: it
            // decides which snippets to merge.
            self.first_line + inner.line_count(),
        )))
    }
}

struct Diag {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    notes: Vec<String>,
    help: Option<String>,
    source: Option<View>,
    labels: Vec<LabeledSpan>,
    related: Vec<Diag>,
}

impl Diag {
    /// An error about `file`, with a snippet of `labels` (the first is the primary one).
    fn new(message: &str, file: &SourceFile, labels: &[&Label]) -> Diag {
        let mut diag = Diag {
            message: escape::text(message).into_owned(),
            code: None,
            severity: miette::Severity::Error,
            notes: Vec::new(),
            help: None,
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
        };
        if file.text.is_empty() || labels.is_empty() {
            return diag;
        }
        let spans: Vec<Span> = labels.iter().map(|l| l.span).collect();
        let (view, spans) = View::new(file, &spans);
        diag.source = Some(view);
        diag.labels = labels
            .iter()
            .zip(spans)
            .enumerate()
            .map(|(i, (label, span))| {
                let text =
                    (!label.message.is_empty()).then(|| escape::text(&label.message).into_owned());
                if i == 0 {
                    LabeledSpan::new_primary_with_span(text, span)
                } else {
                    LabeledSpan::new_with_span(text, span)
                }
            })
            .collect();
        diag
    }

    fn finding(report: &Report, f: &Finding) -> Diag {
        let file = report.file(f.primary.span.file);
        let (here, elsewhere): (Vec<&Label>, Vec<&Label>) = f
            .related
            .iter()
            .partition(|r| r.span.file == f.primary.span.file);
        let labels: Vec<&Label> = std::iter::once(&f.primary).chain(here).collect();
        let note = f.suppressed.as_deref().map(super::compact::suppressed_note);
        let message = format!("{}{}", f.message, note.unwrap_or_default());
        let mut diag = Diag::new(&message, file, &labels);
        // The severity as a word with the rule id: `warning[service-target-port-undeclared]`.
        diag.code = Some(format!("{}[{}]", f.severity.as_str(), f.rule));
        diag.severity = match f.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        };
        diag.notes = f
            .notes
            .iter()
            .map(|n| escape::text(n).into_owned())
            .collect();
        diag.help = f.help.as_deref().map(|h| escape::text(h).into_owned());
        diag.related = elsewhere
            .into_iter()
            .map(|r| {
                let at = Label {
                    span: r.span,
                    message: String::new(),
                };
                let mut related = Diag::new(&r.message, report.file(r.span.file), &[&at]);
                related.severity = miette::Severity::Advice;
                related
            })
            .collect();
        diag
    }
}

impl fmt::Debug for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diag {}

impl Diagnostic for Diag {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as _)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(line: &str, points: &[usize]) -> (String, Vec<usize>) {
        let mut out = String::new();
        let at = push_line(&mut out, line, points);
        (out, at)
    }

    #[test]
    fn short_lines_are_whole_and_escaped() {
        assert_eq!(
            cut("a\x1bb\tc", &[1, 2]),
            ("a\\u{1b}b\tc".into(), vec![1, 7])
        );
    }

    #[test]
    fn long_lines_keep_context_around_each_point() {
        let line = format!(
            "{}X{}Y{}",
            "a".repeat(1000),
            "b".repeat(1000),
            "c".repeat(1000)
        );
        let (out, at) = cut(&line, &[1000, 2001, line.len()]);
        let n = |c: &str, n: usize| c.repeat(n);
        let expected = [
            CUT,
            &n("a", CONTEXT),
            "X",
            &n("b", CONTEXT - 1),
            CUT,
            &n("b", CONTEXT),
            "Y",
            &n("c", CONTEXT - 1),
            CUT,
            &n("c", CONTEXT),
        ];
        assert_eq!(out, expected.concat());
        assert_eq!(&out[at[0]..at[0] + 1], "X");
        assert_eq!(&out[at[1]..at[1] + 1], "Y");
        assert_eq!(at[2], out.len());
    }
}
