//! `k8s-lint lsp`: the Language Server Protocol over stdio. Built on rust-analyzer's
//! `lsp-server` (a small synchronous transport, no async runtime to carry) and `lsp-types`.
//!
//! The server lints the workspace folder as the command line would (the same config
//! discovery and fence) with the editor's unsaved buffers as an overlay over the disk, and
//! publishes every file's findings: a change in `service.yaml` clears an Ingress finding in
//! another file. Positions are UTF-16, as the protocol counts them. It never writes a file:
//! fixes and suppressions are code actions the editor applies. Broken YAML mid-typing is
//! reported like any other (the engine neither panics nor stops on it).

use std::collections::{BTreeMap, HashMap};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use k8s_lint_core::fix::Applicability;
use k8s_lint_core::navigate::Link;
use k8s_lint_core::session::{Edit, Session};
use k8s_lint_core::{FileId, Finding, Options, Report, Severity, SourceFile, Span};
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types as lsp;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

mod transport;

type Failure = Box<dyn Error + Send + Sync>;

/// Serve on stdin/stdout until the client says `exit`.
pub fn run_stdio() -> Result<(), Failure> {
    let (connection, threads) = transport::stdio();
    serve(&connection)?;
    drop(connection);
    threads.join()?;
    Ok(())
}

/// The server on a connection: the handshake, then the main loop.
pub fn serve(connection: &Connection) -> Result<(), Failure> {
    let capabilities = lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Kind(
            lsp::TextDocumentSyncKind::FULL,
        )),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        ..lsp::ServerCapabilities::default()
    };
    let params: lsp::InitializeParams =
        serde_json::from_value(connection.initialize(serde_json::to_value(capabilities)?)?)?;
    let mut server = Server::new(roots(&params));
    server.open(connection)?;
    let mut dirty = false;
    loop {
        // Edits come faster than a lint: take every message already waiting, then lint once.
        let message = match connection.receiver.try_recv() {
            Ok(message) => message,
            Err(_) => {
                if dirty {
                    server.lint(connection)?;
                    dirty = false;
                }
                match connection.receiver.recv() {
                    Ok(message) => message,
                    Err(_) => return Ok(()),
                }
            }
        };
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request)? {
                    return Ok(());
                }
                // A request answers from what the editor shows now.
                if dirty {
                    server.lint(connection)?;
                    dirty = false;
                }
                server.prepare(&request);
                let response = server.request(request);
                connection.sender.send(Message::Response(response))?;
            }
            Message::Notification(n) => dirty |= server.notification(connection, n)?,
            Message::Response(_) => {}
        }
    }
}

/// The workspace folders, else the root URI, else the working directory.
fn roots(params: &lsp::InitializeParams) -> Vec<PathBuf> {
    let folders: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| path_of(&f.uri))
        .collect();
    if !folders.is_empty() {
        return folders;
    }
    #[allow(deprecated)] // Older clients send only `rootUri`.
    let root = params.root_uri.as_ref().and_then(path_of);
    root.into_iter()
        .chain(std::env::current_dir().ok())
        .take(1)
        .collect()
}

struct Server {
    roots: Vec<PathBuf>,
    /// The parsed workspace with the editor's buffers (`None`: a root could not be read).
    session: Option<Session>,
    /// The last report, for code actions, definitions and hovers.
    report: Option<Report>,
    /// What the client shows, by file: only what changed is sent again.
    published: HashMap<PathBuf, Vec<lsp::Diagnostic>>,
    /// Where the references of the last report's state lead; `None` until a definition or
    /// hover asks after a lint (they cost a fifth of a lint, which typing should not pay).
    links: Option<Vec<Link>>,
}

impl Server {
    fn new(roots: Vec<PathBuf>) -> Server {
        Server {
            roots,
            session: None,
            report: None,
            published: HashMap::new(),
            links: None,
        }
    }

    /// Walk, read and parse the workspace, then lint it.
    fn open(&mut self, connection: &Connection) -> Result<(), Failure> {
        match Session::open(self.options()) {
            Ok(session) => self.session = Some(session),
            Err(e) => return show_error(connection, &e),
        }
        self.lint(connection)
    }

    /// Bring the session up to date; whether the findings may have changed.
    fn notification(&mut self, connection: &Connection, n: Notification) -> Result<bool, Failure> {
        use lsp::notification::Notification as _;
        let edit = match n.method.as_str() {
            lsp::notification::DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params)
                else {
                    return Ok(false);
                };
                (p.text_document.uri, Some(p.text_document.text))
            }
            lsp::notification::DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params)
                else {
                    return Ok(false);
                };
                // Full sync: the last change holds the whole text.
                let Some(text) = p.content_changes.into_iter().last().map(|c| c.text) else {
                    return Ok(false);
                };
                (p.text_document.uri, Some(text))
            }
            // Closed: the disk holds the text again.
            lsp::notification::DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params)
                else {
                    return Ok(false);
                };
                (p.text_document.uri, None)
            }
            // Files created, deleted or written behind the editor, or a saved config: walk
            // and read again (unchanged files keep their trees).
            lsp::notification::DidSaveTextDocument::METHOD
            | lsp::notification::DidChangeWatchedFiles::METHOD => {
                let options = self.options();
                let result = match &mut self.session {
                    Some(session) => session.reload(Some(options)),
                    None => Session::open(options).map(|s| self.session = Some(s)),
                };
                return match result {
                    Ok(()) => Ok(true),
                    Err(e) => show_error(connection, &e).map(|()| false),
                };
            }
            _ => return Ok(false),
        };
        let (Some(path), Some(session)) = (path_of(&edit.0), &mut self.session) else {
            return Ok(false);
        };
        match session.edit(&path, edit.1) {
            Ok(Edit::Outside) => Ok(false),
            Ok(_) => Ok(true),
            Err(e) => show_error(connection, &e).map(|()| false),
        }
    }

    fn options(&self) -> Options {
        let mut options = Options::new(self.roots.clone());
        // The same config the command line would use at the first folder (a bad one: the
        // defaults, and the command line reports it).
        if let Some(first) = self.roots.first() {
            if let Ok(Some(config)) = crate::configure::find(first, None) {
                config.apply(&mut options);
            }
        }
        options
    }

    /// Lint the session and publish the diagnostics of every file whose list changed (an
    /// empty list where the last run had some and this one has none).
    fn lint(&mut self, connection: &Connection) -> Result<(), Failure> {
        let Some(session) = &mut self.session else {
            return Ok(());
        };
        let report = session.lint();
        let mut by_file: BTreeMap<PathBuf, Vec<lsp::Diagnostic>> = BTreeMap::new();
        for f in report.findings.iter().filter(|f| f.suppressed.is_none()) {
            let file = report.file(f.primary.span.file);
            by_file
                .entry(file.path.to_path_buf())
                .or_default()
                .push(diagnostic(&report, f));
        }
        for path in self.published.keys() {
            by_file.entry(path.clone()).or_default();
        }
        for (path, diagnostics) in by_file {
            if self.published.get(&path) == Some(&diagnostics) {
                continue;
            }
            let Some(uri) = uri_of(&path) else {
                continue;
            };
            let params = lsp::PublishDiagnosticsParams {
                uri,
                diagnostics: diagnostics.clone(),
                version: None,
            };
            notify::<lsp::notification::PublishDiagnostics>(connection, params)?;
            if diagnostics.is_empty() {
                self.published.remove(&path);
            } else {
                self.published.insert(path, diagnostics);
            }
        }
        self.report = Some(report);
        self.links = None;
        Ok(())
    }

    /// Make what `request` reads: the links, for a definition or a hover.
    fn prepare(&mut self, request: &Request) {
        use lsp::request::Request as _;
        let navigates = [
            lsp::request::GotoDefinition::METHOD,
            lsp::request::HoverRequest::METHOD,
        ];
        if self.links.is_none() && navigates.contains(&request.method.as_str()) {
            self.links = self.session.as_ref().map(Session::links);
        }
    }

    fn request(&self, request: Request) -> Response {
        use lsp::request::Request as _;
        let id = request.id;
        match request.method.as_str() {
            lsp::request::CodeActionRequest::METHOD => {
                let actions = serde_json::from_value::<lsp::CodeActionParams>(request.params)
                    .ok()
                    .map(|p| self.code_actions(&p))
                    .unwrap_or_default();
                Response::new_ok(id, actions)
            }
            lsp::request::GotoDefinition::METHOD => {
                let locations = serde_json::from_value::<lsp::GotoDefinitionParams>(request.params)
                    .ok()
                    .map(|p| self.definition(&p.text_document_position_params))
                    .unwrap_or_default();
                Response::new_ok(id, lsp::GotoDefinitionResponse::Array(locations))
            }
            lsp::request::HoverRequest::METHOD => {
                let hover = serde_json::from_value::<lsp::HoverParams>(request.params)
                    .ok()
                    .and_then(|p| self.hover(&p.text_document_position_params));
                Response::new_ok(id, hover)
            }
            other => Response::new_err(
                id,
                lsp_server::ErrorCode::MethodNotFound as i32,
                format!("k8s-lint does not handle {other}"),
            ),
        }
    }

    /// The file and byte offset a position points at, in the last report.
    fn at(&self, p: &lsp::TextDocumentPositionParams) -> Option<(&Report, FileId, usize)> {
        let report = self.report.as_ref()?;
        let path = path_of(&p.text_document.uri)?;
        let i = report.files.iter().position(|f| *f.path == *path)?;
        let offset = offset_of(&report.files[i], p.position);
        Some((report, FileId(u32::try_from(i).ok()?), offset))
    }

    fn link(&self, p: &lsp::TextDocumentPositionParams) -> Option<(&Report, &Link)> {
        let (report, file, offset) = self.at(p)?;
        let link = self.links.iter().flatten().find(|l| {
            l.from.file == file && l.from.start as usize <= offset && offset <= l.from.end as usize
        })?;
        Some((report, link))
    }

    /// Where the reference under the cursor leads: the Service's `metadata.name`, the pod
    /// templates' labels, the entry's file.
    fn definition(&self, p: &lsp::TextDocumentPositionParams) -> Vec<lsp::Location> {
        let Some((report, link)) = self.link(p) else {
            return Vec::new();
        };
        link.to
            .iter()
            .filter_map(|span| {
                let target = report.file(span.file);
                Some(lsp::Location::new(
                    uri_of(&target.path)?,
                    range_of(target, *span),
                ))
            })
            .collect()
    }

    /// What the reference under the cursor resolves to (or why it cannot be known); on a
    /// finding, its rule's summary.
    fn hover(&self, p: &lsp::TextDocumentPositionParams) -> Option<lsp::Hover> {
        let text = match self.link(p) {
            Some((_, link)) => link.hover.clone(),
            None => {
                let (report, file, offset) = self.at(p)?;
                let f = report.findings.iter().find(|f| {
                    let s = f.primary.span;
                    s.file == file && s.start as usize <= offset && offset <= s.end as usize
                })?;
                let summary = k8s_lint_core::rules::by_id(f.rule)?.meta().summary;
                format!("{}: {summary}", f.rule)
            }
        };
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::PlainText,
                value: text,
            }),
            range: None,
        })
    }

    /// For each finding the range touches: its fixes, then "suppress with a reason".
    // `WorkspaceEdit::changes` is keyed by `Uri`, whose lazily parsed parts clippy takes for
    // interior mutability; nothing mutates a key here.
    #[allow(clippy::mutable_key_type)]
    fn code_actions(&self, params: &lsp::CodeActionParams) -> Vec<lsp::CodeActionOrCommand> {
        let (Some(report), Some(path)) = (&self.report, path_of(&params.text_document.uri)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for f in report.findings.iter().filter(|f| f.suppressed.is_none()) {
            let file = report.file(f.primary.span.file);
            let range = range_of(file, f.primary.span);
            if *file.path != *path || !touches(&range, &params.range) {
                continue;
            }
            let diagnostics = Some(vec![diagnostic(report, f)]);
            for (i, fix) in f.fixes.iter().enumerate() {
                let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
                for e in &fix.edits {
                    let target = report.file(e.span.file);
                    if let Some(uri) = uri_of(&target.path) {
                        changes.entry(uri).or_default().push(lsp::TextEdit {
                            range: range_of(target, e.span),
                            new_text: e.text.clone(),
                        });
                    }
                }
                let unsafe_note = match fix.applicability {
                    Applicability::Safe => "",
                    Applicability::Unsafe => " (changes what is deployed)",
                };
                out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: format!("{}{unsafe_note}", fix.title),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: diagnostics.clone(),
                    edit: Some(lsp::WorkspaceEdit {
                        changes: Some(changes),
                        ..lsp::WorkspaceEdit::default()
                    }),
                    is_preferred: Some(i == 0 && fix.applicability == Applicability::Safe),
                    ..lsp::CodeAction::default()
                }));
            }
            if let Some(action) = suppress(file, f, &params.text_document.uri, diagnostics) {
                out.push(action);
            }
        }
        out
    }
}

/// Send a notification of kind `N`.
/// A root that cannot be read: say so; the last diagnostics stay.
fn show_error(connection: &Connection, e: &dyn std::fmt::Display) -> Result<(), Failure> {
    let params = lsp::ShowMessageParams {
        typ: lsp::MessageType::ERROR,
        message: format!("k8s-lint: {e}"),
    };
    notify::<lsp::notification::ShowMessage>(connection, params)
}

fn notify<N: lsp::notification::Notification>(
    connection: &Connection,
    params: N::Params,
) -> Result<(), Failure> {
    let n = Notification::new(N::METHOD.to_string(), params);
    connection.sender.send(Message::Notification(n))?;
    Ok(())
}

/// `# k8s-lint-ignore RULE -- ` on its own line above the finding's line, at its indentation:
/// a comment alone on its line covers the next line holding content.
#[allow(clippy::mutable_key_type)] // As in `code_actions`.
fn suppress(
    file: &SourceFile,
    f: &Finding,
    uri: &lsp::Uri,
    diagnostics: Option<Vec<lsp::Diagnostic>>,
) -> Option<lsp::CodeActionOrCommand> {
    let at = line_start(file, file.position(f.primary.span.start as usize).line);
    let indent: String = file
        .text
        .get(at..)?
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let newline = if file.text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let position = range_of(file, Span::new(f.primary.span.file, at, at)).start;
    let edit = lsp::TextEdit {
        range: lsp::Range::new(position, position),
        new_text: format!("{indent}# k8s-lint-ignore {} -- {newline}", f.rule),
    };
    Some(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title: format!("Suppress {} here, with a reason", f.rule),
        kind: Some(lsp::CodeActionKind::QUICKFIX),
        diagnostics,
        edit: Some(lsp::WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
            ..lsp::WorkspaceEdit::default()
        }),
        ..lsp::CodeAction::default()
    }))
}

fn touches(a: &lsp::Range, b: &lsp::Range) -> bool {
    let key = |p: &lsp::Position| (p.line, p.character);
    key(&a.start) <= key(&b.end) && key(&b.start) <= key(&a.end)
}

fn diagnostic(report: &Report, f: &Finding) -> lsp::Diagnostic {
    let file = report.file(f.primary.span.file);
    let mut message = f.message.clone();
    for note in &f.notes {
        message.push_str("\nnote: ");
        message.push_str(note);
    }
    let related: Vec<lsp::DiagnosticRelatedInformation> = f
        .related
        .iter()
        .filter_map(|r| {
            let target = report.file(r.span.file);
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location::new(uri_of(&target.path)?, range_of(target, r.span)),
                message: r.message.clone(),
            })
        })
        .collect();
    lsp::Diagnostic {
        range: range_of(file, f.primary.span),
        severity: Some(match f.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        }),
        code: Some(lsp::NumberOrString::String(f.rule.to_string())),
        code_description: lsp::Uri::from_str(&format!(
            "{}/blob/main/rules/{}.md",
            env!("CARGO_PKG_REPOSITORY"),
            f.rule
        ))
        .ok()
        .map(|href| lsp::CodeDescription { href }),
        source: Some("k8s-lint".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// A span as an LSP range: lines from 0, columns in UTF-16 code units of the line (a BOM on
/// the first line is not counted: editors do not show it as text).
fn range_of(file: &SourceFile, span: Span) -> lsp::Range {
    lsp::Range::new(
        position(file, span.start as usize),
        position(file, span.end as usize),
    )
}

fn position(file: &SourceFile, offset: usize) -> lsp::Position {
    // Lines as the engine counts them: `\n`, `\r\n` and a lone `\r` each end one, as in YAML
    // and in the protocol.
    let text = &file.text;
    let offset = offset.min(text.len());
    let line = file.position(offset).line;
    let start = line_start(file, line).min(offset);
    let character: usize = text
        .get(start..offset)
        .map_or(0, |s| s.chars().map(char::len_utf16).sum());
    lsp::Position::new(
        u32::try_from(line - 1).unwrap_or(u32::MAX),
        u32::try_from(character).unwrap_or(u32::MAX),
    )
}

/// Where the text of a 1-based line starts: after the BOM on the first line (no text in the
/// editor).
fn line_start(file: &SourceFile, line: usize) -> usize {
    let start = file.lines().line_range(&file.text, line).start;
    if start == 0 && file.text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        start
    }
}

/// The byte offset of an LSP position (UTF-16 column; past the line's end: its end).
fn offset_of(file: &SourceFile, position: lsp::Position) -> usize {
    let line = position.line as usize + 1;
    if line > file.lines().line_count() {
        return file.text.len();
    }
    let end = file.lines().line_range(&file.text, line).end;
    let start = line_start(file, line).min(end);
    let mut units = 0;
    for (i, c) in file.text[start..end].char_indices() {
        if units >= position.character as usize {
            return start + i;
        }
        units += c.len_utf16();
    }
    end
}

/// Everything but unreserved characters and `/` is encoded in a file URI's path.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

fn uri_of(path: &Path) -> Option<lsp::Uri> {
    let text = path.to_str()?;
    lsp::Uri::from_str(&format!("file://{}", utf8_percent_encode(text, PATH))).ok()
}

fn path_of(uri: &lsp::Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let decoded = percent_decode_str(rest).decode_utf8().ok()?;
    Some(k8s_lint_core::source::normalize(Path::new(
        decoded.as_ref(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("/r/a.yaml".into(), "a.yaml".into(), text.into())
    }

    #[test]
    fn positions_count_utf16_and_skip_the_bom() {
        let f = file("\u{feff}a: é😀x\r\nb: 1\n");
        let x = f.text.find('x').unwrap();
        // `a: é` is 4 code units, the emoji 2.
        assert_eq!(position(&f, x), lsp::Position::new(0, 6));
        let b = f.text.find('b').unwrap();
        assert_eq!(position(&f, b + 3), lsp::Position::new(1, 3));
    }

    #[test]
    fn a_lone_cr_ends_a_line_as_in_yaml_and_the_protocol() {
        let f = file("a: 1\rb: é2\r\nc: 3");
        let two = f.text.find('2').unwrap();
        assert_eq!(position(&f, two), lsp::Position::new(1, 4));
        assert_eq!(offset_of(&f, lsp::Position::new(1, 4)), two);
        let c = f.text.find('c').unwrap();
        assert_eq!(position(&f, c), lsp::Position::new(2, 0));
        // Past the end of a line: its end; past the last line: the end of the text.
        assert_eq!(offset_of(&f, lsp::Position::new(0, 99)), 4);
        assert_eq!(offset_of(&f, lsp::Position::new(9, 0)), f.text.len());
    }

    #[test]
    fn offsets_and_positions_agree() {
        let f = file("\u{feff}a: é😀x\r\nb: 1\n");
        // Every character but the BOM and the `\n` of a `\r\n` (no position of its own).
        for (offset, _) in f
            .text
            .char_indices()
            .filter(|(i, c)| *c != '\u{feff}' && !(*c == '\n' && f.text[..*i].ends_with('\r')))
        {
            assert_eq!(offset_of(&f, position(&f, offset)), offset, "at {offset}");
        }
    }

    #[test]
    fn uris_round_trip_through_percent_encoding() {
        let path = Path::new("/work/my repo/ä#1.yaml");
        let uri = uri_of(path).unwrap();
        assert_eq!(uri.as_str(), "file:///work/my%20repo/%C3%A4%231.yaml");
        assert_eq!(path_of(&uri).unwrap(), path);
    }

    #[test]
    fn ranges_touch_when_they_share_a_position() {
        let r = |a, b, c, d| lsp::Range::new(lsp::Position::new(a, b), lsp::Position::new(c, d));
        assert!(touches(&r(1, 2, 1, 5), &r(1, 5, 1, 5)));
        assert!(!touches(&r(1, 2, 1, 5), &r(2, 0, 2, 1)));
    }
}
