//! What a rule reports: a headline, the most specific span, related spans in any file, notes,
//! help, and fixes.

use crate::fix::Fix;
use crate::rule::RuleMeta;
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    /// The headline: one short sentence (about 100 characters at most, names aside) saying
    /// what is wrong, naming the objects and values involved.
    pub message: String,
    /// The most specific node: the offending value, the missing entry, the orphan file.
    pub primary: Label,
    /// Where the other objects of the chain are defined.
    pub related: Vec<Label>,
    /// What follows from it and how we know: the error a tool prints, the source that may
    /// provide what is missing. One sentence each, shown after the snippet.
    pub notes: Vec<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// Edits that repair it: the first is applied by `--fix`, the others are alternatives
    /// offered to a human (editors' code actions, SARIF).
    pub fixes: Vec<Fix>,
    /// Set when a suppression covers the finding: its reason (empty when none was given).
    pub suppressed: Option<String>,
}

impl Finding {
    pub fn new(meta: &RuleMeta, span: Span, message: impl Into<String>) -> Finding {
        Finding {
            rule: meta.id,
            severity: meta.severity,
            message: message.into(),
            primary: Label {
                span,
                message: String::new(),
            },
            related: Vec::new(),
            notes: Vec::new(),
            help: None,
            fixes: Vec::new(),
            suppressed: None,
        }
    }

    /// A short label on the primary span (shown under the caret).
    pub fn label(mut self, message: impl Into<String>) -> Finding {
        self.primary.message = message.into();
        self
    }

    pub fn related(mut self, span: Span, message: impl Into<String>) -> Finding {
        self.related.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    /// A sentence of detail: the consequence, the tool's own error text, the evidence.
    pub fn note(mut self, note: impl Into<String>) -> Finding {
        self.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    /// A way to repair it (none when the edit could not be made safely); the first one
    /// given is the one `--fix` applies.
    pub fn fix(mut self, fix: impl Into<Option<Fix>>) -> Finding {
        self.fixes.extend(fix.into());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }
}
