//! A YAML tree in which every key and value keeps its byte span.
//!
//! Built once per file from `granit-parser` events. Scalars borrow from the file text where the
//! parser could (plain and unescaped scalars), aliases are expanded within a node budget, and
//! duplicate keys and syntax errors are recorded as [`Problem`]s instead of aborting the file:
//! the parser resumes at the next `---`, so one broken document does not hide the others.

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle, Tag};

use crate::source::{FileId, Span};

/// Nodes produced by alias expansion in one file; a "billion laughs" file stops here.
pub const ALIAS_NODE_BUDGET: usize = 100_000;
/// Deepest tree we build. The parser bounds nesting at 255 per document; aliases placed inside
/// anchored nodes could otherwise stack beyond that and overflow recursive walks.
pub const MAX_DEPTH: usize = 400;

#[allow(unsafe_code)]
mod node;

pub use node::{Entry, EntryValueMut, KeyRef, Node, ScalarRef, ValueMut, ValueRef};

/// A value to make a [`Node`] of, or given up by one.
#[derive(Clone, Debug)]
pub enum Value<'s> {
    Scalar(Scalar<'s>),
    /// Boxed slices, not vectors: a tree never grows in place (a transformer that adds an
    /// entry goes through [`Node::map_mut`]), and a node keeps a thin pointer and a length.
    Seq(Box<[Node<'s>]>),
    Map(Box<[Entry<'s>]>),
}

impl<'s> Value<'s> {
    /// The entries of a mapping as a vector to change, put back when `f` returns.
    pub fn map_mut<R>(&mut self, f: impl FnOnce(&mut Vec<Entry<'s>>) -> R) -> Option<R> {
        let Value::Map(entries) = self else {
            return None;
        };
        let mut list = std::mem::take(entries).into_vec();
        let out = f(&mut list);
        *entries = list.into_boxed_slice();
        Some(out)
    }

    /// The items of a sequence as a vector to change, put back when `f` returns.
    pub fn seq_mut<R>(&mut self, f: impl FnOnce(&mut Vec<Node<'s>>) -> R) -> Option<R> {
        let Value::Seq(items) = self else {
            return None;
        };
        let mut list = std::mem::take(items).into_vec();
        let out = f(&mut list);
        *items = list.into_boxed_slice();
        Some(out)
    }
}

/// A scalar's text, borrowed from the file where the parser could, with its style and tag: to
/// make a node of ([`Value::Scalar`]); a node hands out a [`ScalarRef`].
#[derive(Clone)]
pub struct Scalar<'s>(ScalarRepr<'s>);

#[derive(Clone)]
enum ScalarRepr<'s> {
    Borrowed(&'s str, Style, TagHint),
    Owned(Box<str>, Style, TagHint),
}

impl<'s> Scalar<'s> {
    pub fn new(text: Cow<'s, str>, style: Style, tag: TagHint) -> Scalar<'s> {
        Scalar(match text {
            Cow::Borrowed(t) => ScalarRepr::Borrowed(t, style, tag),
            Cow::Owned(t) => ScalarRepr::Owned(t.into_boxed_str(), style, tag),
        })
    }

    /// The text as the parser unfolded and unescaped it.
    pub fn text(&self) -> &str {
        match &self.0 {
            ScalarRepr::Borrowed(t, ..) => t,
            ScalarRepr::Owned(t, ..) => t,
        }
    }

    /// The text, borrowed from the file when the tree borrows it.
    pub fn cow(&self) -> Cow<'s, str> {
        match &self.0 {
            ScalarRepr::Borrowed(t, ..) => Cow::Borrowed(t),
            ScalarRepr::Owned(t, ..) => Cow::Owned(t.to_string()),
        }
    }

    pub fn style(&self) -> Style {
        match self.0 {
            ScalarRepr::Borrowed(_, style, _) | ScalarRepr::Owned(_, style, _) => style,
        }
    }

    pub fn tag(&self) -> TagHint {
        match self.0 {
            ScalarRepr::Borrowed(_, _, tag) | ScalarRepr::Owned(_, _, tag) => tag,
        }
    }

    pub fn set_style(&mut self, to: Style) {
        match &mut self.0 {
            ScalarRepr::Borrowed(_, style, _) | ScalarRepr::Owned(_, style, _) => *style = to,
        }
    }

    pub fn into_owned(self) -> Scalar<'static> {
        Scalar(match self.0 {
            ScalarRepr::Borrowed(t, style, tag) => ScalarRepr::Owned(t.into(), style, tag),
            ScalarRepr::Owned(t, style, tag) => ScalarRepr::Owned(t, style, tag),
        })
    }
}

impl std::fmt::Debug for Scalar<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scalar")
            .field("text", &self.text())
            .field("style", &self.style())
            .field("tag", &self.tag())
            .finish()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

/// The explicit tag on a scalar, reduced to what decides its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagHint {
    None,
    Str,
    Int,
    Float,
    Bool,
    Null,
    /// A local or unknown tag (`!foo`): the value is taken as the string it spells.
    Other,
}

/// A scalar resolved with the YAML 1.2 core schema, which is what kustomize, Argo CD and Flux
/// read (`yes`, `on` and `0777` stay strings; `0o777` and `0x1F` are integers).
#[derive(Clone, Debug, PartialEq)]
pub enum Resolved<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

impl Scalar<'_> {
    pub fn resolve(&self) -> Resolved<'_> {
        self.as_ref().resolve()
    }
}

impl<'a> ScalarRef<'a> {
    pub fn resolve(self) -> Resolved<'a> {
        let text = self.text();
        match (self.tag(), self.style()) {
            (TagHint::Str | TagHint::Other, _) | (TagHint::None, Style::Quoted | Style::Block) => {
                Resolved::Str(text)
            }
            (TagHint::Null, _) => Resolved::Null,
            (TagHint::Bool, _) => resolve_bool(text).map_or(Resolved::Str(text), Resolved::Bool),
            (TagHint::Int, _) => resolve_int(text).map_or(Resolved::Str(text), Resolved::Int),
            (TagHint::Float, _) => resolve_number(text).unwrap_or(Resolved::Str(text)),
            (TagHint::None, Style::Plain) => resolve_plain(text),
        }
    }
}

fn resolve_plain(text: &str) -> Resolved<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        _ => {}
    }
    if let Some(b) = resolve_bool(text) {
        return Resolved::Bool(b);
    }
    resolve_number(text).unwrap_or(Resolved::Str(text))
}

fn resolve_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn resolve_number(text: &str) -> Option<Resolved<'static>> {
    let first = *text.as_bytes().first()?;
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return None;
    }
    if let Some(i) = resolve_int(text) {
        return Some(Resolved::Int(i));
    }
    let unsigned = text.trim_start_matches(['-', '+']);
    let negative = text.starts_with('-');
    match unsigned {
        ".inf" | ".Inf" | ".INF" if unsigned.len() + 1 >= text.len() => {
            return Some(Resolved::Float(if negative {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }))
        }
        ".nan" | ".NaN" | ".NAN" if unsigned.len() == text.len() => {
            return Some(Resolved::Float(f64::NAN))
        }
        _ => {}
    }
    is_core_float(text)
        .then(|| text.parse::<f64>().ok())
        .flatten()
        .map(Resolved::Float)
}

fn resolve_int(text: &str) -> Option<i64> {
    if let Some(hex) = text.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i64>().ok()
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?`
fn is_core_float(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - s;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'-' | b'+') {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    i == b.len()
}

impl<'s> Node<'s> {
    pub fn as_map(&self) -> Option<&[Entry<'s>]> {
        match self.value() {
            ValueRef::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node<'s>]> {
        match self.value() {
            ValueRef::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<ScalarRef<'_>> {
        match self.value() {
            ValueRef::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The value if this node resolves to a string (quoted, block, or a plain non-number).
    pub fn as_str(&self) -> Option<&str> {
        match self.as_scalar()?.resolve() {
            Resolved::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The scalar text whatever it resolves to (`80` → "80").
    pub fn scalar_text(&self) -> Option<&str> {
        self.as_scalar().map(ScalarRef::text)
    }

    pub fn is_null(&self) -> bool {
        self.as_scalar()
            .is_some_and(|s| s.resolve() == Resolved::Null)
    }

    /// The entry whose key spells `key`.
    pub fn entry(&self, key: &str) -> Option<&Entry<'s>> {
        self.as_map()?.iter().find(|e| e.key_text() == Some(key))
    }

    pub fn get(&self, key: &str) -> Option<&Node<'s>> {
        self.entry(key).map(Entry::value)
    }

    pub fn idx(&self, i: usize) -> Option<&Node<'s>> {
        self.as_seq()?.get(i)
    }

    /// Walk a dotted path with indices, e.g. `spec.ports[1].targetPort`. Keys that contain a `.`
    /// (annotations) need [`Node::get`].
    pub fn at(&self, path: &str) -> Option<&Node<'s>> {
        let mut node = self;
        for part in path.split('.') {
            let (key, mut rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
            if !key.is_empty() {
                node = node.get(key)?;
            }
            while let Some((num, after)) = rest.split_once(']') {
                node = node.idx(num.parse().ok()?)?;
                rest = after.strip_prefix('[').unwrap_or(after);
            }
        }
        Some(node)
    }

    /// Count of nodes in this subtree and its depth (a scalar has depth 1). Counting stops
    /// once it passes `limit`: the caller only needs to know the subtree is too large.
    fn measure(&self, limit: usize) -> (usize, usize) {
        let mut count = 0;
        let mut deepest = 0;
        let mut stack: Vec<(&Node<'s>, usize)> = vec![(self, 1)];
        while let Some((n, d)) = stack.pop() {
            count += 1;
            deepest = deepest.max(d);
            if count > limit {
                break;
            }
            match n.value() {
                ValueRef::Scalar(_) => {}
                ValueRef::Seq(items) => stack.extend(items.iter().map(|i| (i, d + 1))),
                ValueRef::Map(entries) => {
                    count += entries.len();
                    stack.extend(entries.iter().map(|e| (e.value(), d + 1)));
                }
            }
        }
        (count, deepest)
    }

    /// A child by index: a sequence item, or a mapping entry's value.
    fn child(&self, i: usize) -> Option<&Node<'s>> {
        match self.value() {
            ValueRef::Seq(items) => items.get(i),
            ValueRef::Map(entries) => entries.get(i).map(Entry::value),
            ValueRef::Scalar(_) => None,
        }
    }

    pub fn into_owned(self) -> Node<'static> {
        let span = self.span;
        Node::new(
            span,
            match self.into_value() {
                Value::Scalar(s) => Value::Scalar(s.into_owned()),
                Value::Seq(items) => {
                    Value::Seq(items.into_vec().into_iter().map(Node::into_owned).collect())
                }
                Value::Map(entries) => Value::Map(
                    entries
                        .into_vec()
                        .into_iter()
                        .map(|e| {
                            let (key, value) = e.into_parts();
                            Entry::new(key.into_owned(), value.into_owned())
                        })
                        .collect(),
                ),
            },
        )
    }

    /// Every node of the subtree with the given span: for trees parsed from text embedded in
    /// another file (an inline kustomize patch), where the enclosing scalar is the best location.
    pub fn respan(&mut self, span: Span) {
        self.for_each_mut(&mut |n| n.span = span);
    }

    /// `f` on every node of the subtree, keys included, each node before what it holds. A
    /// stack of nodes `f` has seen, not recursion: the depth is the parser's limit, not ours.
    fn for_each_mut(&mut self, f: &mut impl FnMut(&mut Node<'s>)) {
        f(self);
        let mut stack: Vec<&mut Node<'s>> = vec![self];
        while let Some(n) = stack.pop() {
            match n.value_mut() {
                ValueMut::Scalar => {}
                ValueMut::Seq(items) => {
                    for item in items {
                        f(item);
                        stack.push(item);
                    }
                }
                ValueMut::Map(entries) => {
                    for e in entries {
                        e.with_both(f);
                        stack.push(e.value_node_mut());
                    }
                }
            }
        }
    }
}

#[derive(Debug)]
pub struct Document<'s> {
    /// `None` for an empty document (`---` alone, or a comment-only file).
    pub root: Option<Node<'s>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    Syntax {
        message: String,
        span: Span,
    },
    /// A key repeated in one mapping: both keys, and both values (the first is dropped from
    /// the tree).
    DuplicateKey {
        key: String,
        first: Span,
        second: Span,
        first_value: Span,
        second_value: Span,
    },
    AliasBudget {
        span: Span,
    },
    TooDeep {
        span: Span,
    },
}

#[derive(Debug, Default)]
pub struct Parsed<'s> {
    /// Boxed slices, not vectors: a run holds one `Parsed` per file, and neither list grows
    /// once the file is parsed.
    pub docs: Box<[Document<'s>]>,
    pub problems: Box<[Problem]>,
}

impl Parsed<'_> {
    /// Every span of the trees and problems now names `file`: a tree kept for a file whose
    /// place in the walk moved (a file was added or removed before it), cheaper than parsing
    /// its text again.
    pub fn refile(&mut self, file: FileId) {
        for d in &mut self.docs {
            d.span.file = file;
            if let Some(root) = &mut d.root {
                root.for_each_mut(&mut |n| n.span.file = file);
            }
        }
        for p in &mut self.problems {
            match p {
                Problem::Syntax { span, .. }
                | Problem::AliasBudget { span }
                | Problem::TooDeep { span } => span.file = file,
                Problem::DuplicateKey {
                    first,
                    second,
                    first_value,
                    second_value,
                    ..
                } => {
                    for s in [first, second, first_value, second_value] {
                        s.file = file;
                    }
                }
            }
        }
    }

    /// The same trees with every string owned (see [`Node::into_owned`]).
    pub fn into_owned(self) -> Parsed<'static> {
        Parsed {
            docs: self
                .docs
                .into_vec()
                .into_iter()
                .map(|d| Document {
                    root: d.root.map(Node::into_owned),
                    span: d.span,
                })
                .collect(),
            problems: self.problems,
        }
    }
}

enum Frame<'s> {
    Seq {
        start: usize,
        anchor: usize,
        items: Vec<Node<'s>>,
        /// This frame's id in [`Loader::links`].
        id: usize,
    },
    Map {
        start: usize,
        anchor: usize,
        entries: Vec<Entry<'s>>,
        key: Option<Node<'s>>,
        merges: Vec<Node<'s>>,
        id: usize,
        /// Entry index by key text, built once a mapping is large: finding an earlier key by
        /// scanning would make a mapping of n keys cost n².
        index: HashMap<Cow<'s, str>, usize>,
    },
}

impl<'s> Frame<'s> {
    fn id(&self) -> usize {
        match self {
            Frame::Seq { id, .. } | Frame::Map { id, .. } => *id,
        }
    }

    fn child(&self, i: usize) -> Option<&Node<'s>> {
        match self {
            Frame::Seq { items, .. } => items.get(i),
            Frame::Map { entries, .. } => entries.get(i).map(Entry::value),
        }
    }
}

/// Mappings with more keys than this index their keys.
const INDEXED_MAP: usize = 8;

/// A place in the tree being built: child `index` of the node of frame `frame`, as it was at
/// generation `gen` of that place (a duplicate key replaces a mapping's value: a later
/// generation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Place {
    frame: usize,
    index: usize,
    gen: u32,
}

/// Where a frame's node went once the frame closed.
enum Link<'s> {
    /// Still open, at this depth of the stack.
    Open(usize),
    /// A child of another frame's node.
    In(Place),
    /// Copied out: it became a mapping key or a merge source, where no index reaches it.
    Copied(Node<'s>),
}

/// Where an anchored node is. It is not copied when defined (an anchored node holding other
/// anchored nodes would be copied once per enclosing anchor), nor re-labelled as its frames
/// close (that costs the depth for each anchor): it records its place once, and each frame
/// records once where its node went; an alias follows that chain.
enum AnchorAt<'s> {
    At(Place),
    /// Copied out (a key or a merge source).
    Copy(Node<'s>),
    /// The node of a closed frame (a mapping or sequence), found through that frame's link.
    Frame(usize),
}

struct Loader<'s> {
    file: FileId,
    stack: Vec<Frame<'s>>,
    anchors: HashMap<usize, AnchorAt<'s>>,
    /// Where each frame of the document is or went, by frame id.
    links: Vec<Link<'s>>,
    /// Generation of each place a duplicate key replaced (absent: 0).
    gens: HashMap<(usize, usize), u32>,
    /// The values duplicate keys replaced, by the place they had.
    replaced: HashMap<Place, Node<'s>>,
    alias_budget: usize,
    root: Option<Node<'s>>,
    problems: Vec<Problem>,
    spare: Spare<'s>,
}

/// Buffers of closed frames, for the next frames to fill. A collection is built in a grown
/// buffer and then copied into a vector of its exact length: the trees outlive the parse, and
/// building them in place left the regrowth slack, about half of their memory (and an
/// allocator keeps the slots a later `shrink_to_fit` frees).
#[derive(Default)]
struct Spare<'s> {
    items: Vec<Vec<Node<'s>>>,
    entries: Vec<Vec<Entry<'s>>>,
}

impl<'s> Spare<'s> {
    fn exact_items(&mut self, mut buffer: Vec<Node<'s>>) -> Box<[Node<'s>]> {
        let mut exact = Vec::with_capacity(buffer.len());
        exact.append(&mut buffer);
        self.items.push(buffer);
        exact.into_boxed_slice()
    }

    fn exact_entries(&mut self, mut buffer: Vec<Entry<'s>>) -> Box<[Entry<'s>]> {
        let mut exact = Vec::with_capacity(buffer.len());
        exact.append(&mut buffer);
        self.entries.push(buffer);
        exact.into_boxed_slice()
    }
}

/// An error that abandons the current document.
struct Abandon(Problem);

/// Parse every document of `text`.
pub fn parse(file: FileId, text: &str) -> Parsed<'_> {
    let mut parser = Parser::new_from_str(text);
    let mut loader = Loader {
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        links: Vec::new(),
        gens: HashMap::new(),
        replaced: HashMap::new(),
        alias_budget: ALIAS_NODE_BUDGET,
        root: None,
        problems: Vec::new(),
        spare: Spare::default(),
    };
    // Most files hold one document: room for one, not the four a first push makes; a file
    // of more is shrunk to its count at the end.
    let mut docs = Vec::with_capacity(1);
    let mut doc_start = 0;
    while let Some(next) = parser.next_event() {
        let outcome = match next {
            Ok((event, span)) => {
                let range = span.byte_range().unwrap_or(0..0);
                match event {
                    Event::StreamEnd => break,
                    Event::DocumentStart(..) => {
                        doc_start = range.start;
                        Ok(())
                    }
                    Event::DocumentEnd => {
                        // The parser gives an empty document an empty-span null scalar.
                        let root = loader
                            .root
                            .take()
                            .filter(|r| !(r.span.is_empty() && r.is_null()));
                        loader.reset();
                        docs.push(Document {
                            root,
                            span: Span::new(file, doc_start, range.end.max(doc_start)),
                        });
                        Ok(())
                    }
                    event => loader.event(event, range),
                }
            }
            Err(err) => {
                let at = err.marker().byte_offset().unwrap_or(text.len());
                Err(Abandon(Problem::Syntax {
                    message: err.info(),
                    span: Span::new(file, at, at),
                }))
            }
        };
        if let Err(Abandon(problem)) = outcome {
            loader.problems.push(problem);
            loader.reset();
            match parser.proceed_next_document() {
                Ok(true) => {}
                Ok(false) => break,
                Err(err) => {
                    let at = err.marker().byte_offset().unwrap_or(text.len());
                    loader.problems.push(Problem::Syntax {
                        message: err.info(),
                        span: Span::new(file, at, at),
                    });
                    break;
                }
            }
        }
    }
    Parsed {
        docs: docs.into_boxed_slice(),
        problems: loader.problems.into_boxed_slice(),
    }
}

impl<'s> Loader<'s> {
    fn event(&mut self, event: Event<'s>, range: std::ops::Range<usize>) -> Result<(), Abandon> {
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    ScalarStyle::Literal | ScalarStyle::Folded => Style::Block,
                };
                let scalar =
                    Scalar::new(text, style, tag.as_deref().map_or(TagHint::None, tag_hint));
                let node = Node::new(
                    Span::new(self.file, range.start, range.end),
                    Value::Scalar(scalar),
                );
                self.push(node, anchor, None);
                Ok(())
            }
            Event::SequenceStart(_, anchor, _) => {
                let id = self.open_frame();
                self.stack.push(Frame::Seq {
                    start: range.start,
                    anchor,
                    items: self.spare.items.pop().unwrap_or_default(),
                    id,
                });
                Ok(())
            }
            Event::MappingStart(_, anchor, _) => {
                let id = self.open_frame();
                self.stack.push(Frame::Map {
                    start: range.start,
                    anchor,
                    entries: self.spare.entries.pop().unwrap_or_default(),
                    key: None,
                    merges: Vec::new(),
                    id,
                    index: HashMap::new(),
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.close(range.end);
                Ok(())
            }
            Event::Alias(id) => self.alias(id, range),
            _ => Ok(()),
        }
    }

    fn open_frame(&mut self) -> usize {
        self.links.push(Link::Open(self.stack.len()));
        self.links.len() - 1
    }

    /// Forget every anchor: at the end of a document (anchors do not reach past it) and when
    /// one is abandoned.
    fn reset(&mut self) {
        self.stack.clear();
        self.anchors.clear();
        self.links.clear();
        self.gens.clear();
        self.replaced.clear();
        self.root = None;
    }

    fn close(&mut self, end: usize) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let (node, anchor, id) = match frame {
            Frame::Seq {
                start,
                anchor,
                items,
                id,
            } => (
                Node::new(
                    Span::new(self.file, start, end),
                    Value::Seq(self.spare.exact_items(items)),
                ),
                anchor,
                id,
            ),
            Frame::Map {
                start,
                anchor,
                mut entries,
                merges,
                id,
                ..
            } => {
                merge_keys(&mut entries, merges);
                (
                    Node::new(
                        Span::new(self.file, start, end),
                        Value::Map(self.spare.exact_entries(entries)),
                    ),
                    anchor,
                    id,
                )
            }
        };
        if anchor != 0 {
            self.anchors.insert(anchor, AnchorAt::Frame(id));
        }
        self.push(node, 0, Some(id));
    }

    /// The node at `place`, as it was at its generation.
    fn at_place(&self, place: Place) -> Option<&Node<'s>> {
        let now = self
            .gens
            .get(&(place.frame, place.index))
            .copied()
            .unwrap_or(0);
        if now != place.gen {
            return self.replaced.get(&place);
        }
        match self.links.get(place.frame)? {
            Link::Open(depth) => self.stack.get(*depth)?.child(place.index),
            Link::In(parent) => self.at_place(*parent)?.child(place.index),
            Link::Copied(node) => node.child(place.index),
        }
    }

    /// The node of a closed frame.
    fn frame_node(&self, frame: usize) -> Option<&Node<'s>> {
        match self.links.get(frame)? {
            Link::In(place) => self.at_place(*place),
            Link::Copied(node) => Some(node),
            Link::Open(_) => None,
        }
    }

    fn alias(&mut self, id: usize, range: std::ops::Range<usize>) -> Result<(), Abandon> {
        let span = Span::new(self.file, range.start, range.end);
        let node = match self.anchors.get(&id) {
            Some(AnchorAt::Copy(node)) => Some(node),
            Some(AnchorAt::At(place)) => self.at_place(*place),
            Some(AnchorAt::Frame(frame)) => self.frame_node(*frame),
            None => None,
        };
        let Some(node) = node else {
            return Err(Abandon(Problem::Syntax {
                message: "alias refers to an unknown anchor".into(),
                span,
            }));
        };
        // Measured here rather than when the anchor is defined: most anchors are never used
        // or used once, and measuring each of nested anchors costs its whole subtree.
        let (count, depth) = node.measure(self.alias_budget);
        if count > self.alias_budget {
            return Err(Abandon(Problem::AliasBudget { span }));
        }
        if self.stack.len() + depth > MAX_DEPTH {
            return Err(Abandon(Problem::TooDeep { span }));
        }
        let node = node.clone();
        self.alias_budget -= count;
        self.push(node, 0, None);
        Ok(())
    }

    /// Place a finished node in the frame above (or as the document root). `anchor`: its own
    /// anchor, for a scalar or an alias's copy (0 for none); `closed`: the frame it was built
    /// in, for a mapping or sequence.
    fn push(&mut self, node: Node<'s>, anchor: usize, closed: Option<usize>) {
        let Some(frame) = self.stack.last_mut() else {
            // The document's root: nothing can refer to it any more.
            self.root = Some(node);
            return;
        };
        let frame_id = frame.id();
        let landed: usize = match frame {
            Frame::Seq { items, .. } => {
                items.push(node);
                items.len() - 1
            }
            Frame::Map {
                entries,
                key,
                merges,
                index,
                ..
            } => match key.take() {
                None => {
                    copy_out(&mut self.anchors, &mut self.links, anchor, closed, &node);
                    *key = Some(node);
                    return;
                }
                Some(k) if is_merge_key(&k) => {
                    copy_out(&mut self.anchors, &mut self.links, anchor, closed, &node);
                    merges.push(node);
                    return;
                }
                Some(k) => {
                    let (at, old) =
                        insert_entry(entries, index, Entry::new(k, node), &mut self.problems);
                    // A duplicate key replaced a value: what pointed into it still finds it.
                    if let Some(old) = old {
                        let gen = self.gens.entry((frame_id, at)).or_insert(0);
                        let place = Place {
                            frame: frame_id,
                            index: at,
                            gen: *gen,
                        };
                        *gen += 1;
                        self.replaced.insert(place, old);
                    }
                    at
                }
            },
        };
        let place = Place {
            frame: frame_id,
            index: landed,
            gen: self.gens.get(&(frame_id, landed)).copied().unwrap_or(0),
        };
        if anchor != 0 {
            self.anchors.insert(anchor, AnchorAt::At(place));
        }
        if let Some(c) = closed {
            if let Some(link) = self.links.get_mut(c) {
                *link = Link::In(place);
            }
        }
    }
}

/// Add an entry to a mapping being built. A key already there is a duplicate: reported, and
/// the last value wins, as when the API server decodes the JSON. Returns the entry's index,
/// and the value it replaced.
fn insert_entry<'s>(
    entries: &mut Vec<Entry<'s>>,
    index: &mut HashMap<Cow<'s, str>, usize>,
    entry: Entry<'s>,
    problems: &mut Vec<Problem>,
) -> (usize, Option<Node<'s>>) {
    let text = key_text(&entry.key());
    let earlier = text.as_deref().and_then(|t| {
        if entries.len() < INDEXED_MAP {
            entries.iter().position(|e| e.key_text() == Some(t))
        } else {
            if index.is_empty() {
                for (i, e) in entries.iter().enumerate() {
                    if let Some(t) = key_text(&e.key()) {
                        index.entry(t).or_insert(i);
                    }
                }
            }
            index.get(t).copied()
        }
    });
    match earlier {
        Some(i) => {
            problems.push(Problem::DuplicateKey {
                key: text.map(Cow::into_owned).unwrap_or_default(),
                first: entries[i].key_span(),
                second: entry.key_span(),
                first_value: entries[i].value().span,
                second_value: entry.value().span,
            });
            let old = std::mem::replace(&mut entries[i], entry);
            (i, Some(old.into_parts().1))
        }
        None => {
            if let (Some(t), false) = (text, index.is_empty()) {
                index.insert(t, entries.len());
            }
            entries.push(entry);
            (entries.len() - 1, None)
        }
    }
}

/// A key's text to index: borrowed from the file when the key is.
fn key_text<'s>(key: &Node<'s>) -> Option<Cow<'s, str>> {
    match key.borrowed_text() {
        Some(t) => Some(Cow::Borrowed(t)),
        None => key.scalar_text().map(|t| Cow::Owned(t.to_string())),
    }
}

/// A node that goes where no index reaches it (a mapping key, a merge source): its own anchor
/// and its frame (through which the anchors inside it are found) keep a copy.
fn copy_out<'s>(
    anchors: &mut HashMap<usize, AnchorAt<'s>>,
    links: &mut [Link<'s>],
    anchor: usize,
    closed: Option<usize>,
    node: &Node<'s>,
) {
    if anchor != 0 {
        anchors.insert(anchor, AnchorAt::Copy(node.clone()));
    }
    if let Some(link) = closed.and_then(|c| links.get_mut(c)) {
        *link = Link::Copied(node.clone());
    }
}

fn tag_hint(tag: &Tag) -> TagHint {
    match tag.core_suffix() {
        Some("str") => TagHint::Str,
        Some("int") => TagHint::Int,
        Some("float") => TagHint::Float,
        Some("bool") => TagHint::Bool,
        Some("null") => TagHint::Null,
        // `!` (non-specific) forces a string, as does any local tag we do not know.
        _ => TagHint::Other,
    }
}

fn is_merge_key(key: &Node<'_>) -> bool {
    key.as_scalar()
        .is_some_and(|s| s.style() == Style::Plain && s.text() == "<<")
}

/// `<<: *base` (or a list of them): keys of the merged maps that the mapping does not set
/// itself, earlier sources first, as go-yaml (and so kubectl and kustomize) expands them.
fn merge_keys<'s>(entries: &mut Vec<Entry<'s>>, merges: Vec<Node<'s>>) {
    if merges.is_empty() {
        return;
    }
    let sources = merges.into_iter().flat_map(|m| match m.into_value() {
        Value::Map(e) => e.into_vec(),
        Value::Seq(items) => items
            .into_vec()
            .into_iter()
            .flat_map(|i| match i.into_value() {
                Value::Map(e) => e.into_vec(),
                _ => Vec::new(),
            })
            .collect(),
        Value::Scalar(_) => Vec::new(),
    });
    let mut set: std::collections::HashSet<String> = entries
        .iter()
        .filter_map(|e| e.key_text().map(String::from))
        .collect();
    for entry in sources.collect::<Vec<_>>() {
        match entry.key_text() {
            Some(t) if !set.insert(t.to_string()) => {}
            _ => entries.push(entry),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: FileId = FileId(0);

    fn one(text: &str) -> Node<'_> {
        let parsed = parse(F, text);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        first_root(parsed)
    }

    fn first_root(parsed: Parsed<'_>) -> Node<'_> {
        parsed
            .docs
            .into_vec()
            .into_iter()
            .next()
            .and_then(|d| d.root)
            .expect("a document with a root")
    }

    /// Trees are most of a run's memory: a node is a span, a thin pointer and 32 bits of
    /// length and kind (see `node`), and `Option<Node>` costs nothing more; an entry is its
    /// value and a 16-byte key.
    #[test]
    fn a_node_is_twenty_four_bytes() {
        assert_eq!(std::mem::size_of::<Node<'_>>(), 24);
        assert_eq!(std::mem::size_of::<Option<Node<'_>>>(), 24);
        assert_eq!(std::mem::size_of::<Entry<'_>>(), 40);
    }

    fn slice<'a>(text: &'a str, node: &Node<'_>) -> &'a str {
        &text[node.span.range()]
    }

    #[test]
    fn keys_and_values_keep_spans() {
        let text = "spec:\n  ports:\n    - port: 80\n      targetPort: http\n";
        let root = one(text);
        let port = root.at("spec.ports[0].port").unwrap();
        assert_eq!(slice(text, port), "80");
        let entry = root
            .at("spec.ports[0]")
            .unwrap()
            .entry("targetPort")
            .unwrap();
        assert_eq!(slice(text, &entry.key()), "targetPort");
        assert_eq!(slice(text, entry.value()), "http");
    }

    #[test]
    fn core_schema_scalars() {
        let root = one("a: yes\nb: 0777\nc: 0o17\nd: 1.5\ne: ~\nf: 'true'\ng: True\nh: 1e3\ni: .5\nj: 0x1F\nk: -12\nl: 1_000\n");
        let r = |k: &str| root.get(k).unwrap().as_scalar().unwrap().resolve();
        assert_eq!(r("a"), Resolved::Str("yes"));
        assert_eq!(r("b"), Resolved::Int(777));
        assert_eq!(r("c"), Resolved::Int(15));
        assert_eq!(r("d"), Resolved::Float(1.5));
        assert_eq!(r("e"), Resolved::Null);
        assert_eq!(r("f"), Resolved::Str("true"));
        assert_eq!(r("g"), Resolved::Bool(true));
        assert_eq!(r("h"), Resolved::Float(1000.0));
        assert_eq!(r("i"), Resolved::Float(0.5));
        assert_eq!(r("j"), Resolved::Int(31));
        assert_eq!(r("k"), Resolved::Int(-12));
        assert_eq!(r("l"), Resolved::Str("1_000"));
    }

    #[test]
    fn tags_decide_type() {
        let root = one("a: !!str 80\nb: !custom 80\nc: !!int \"80\"\n");
        let r = |k: &str| root.get(k).unwrap().as_scalar().unwrap().resolve();
        assert_eq!(r("a"), Resolved::Str("80"));
        assert_eq!(r("b"), Resolved::Str("80"));
        assert_eq!(r("c"), Resolved::Int(80));
    }

    #[test]
    fn multi_document_and_empty_documents() {
        let parsed = parse(F, "a: 1\n---\n---\nb: 2\n");
        assert_eq!(parsed.docs.len(), 3);
        assert!(parsed.docs[1].root.is_none(), "{:?}", parsed.docs);
        assert!(parse(F, "# only a comment\n")
            .docs
            .iter()
            .all(|d| d.root.is_none()));
    }

    #[test]
    fn flow_style_and_tabs_after_colon() {
        let text = "spec: {ports: [{port: 80, name: web}]}\nlabels:\n  tab:\tvalue\n";
        let root = one(text);
        assert_eq!(slice(text, root.at("spec.ports[0].name").unwrap()), "web");
        assert_eq!(root.at("labels.tab").unwrap().as_str(), Some("value"));
    }

    #[test]
    fn duplicate_keys_are_reported_with_both_spans() {
        let text = "a: 1\nb: 2\na: 3\n";
        let parsed = parse(F, text);
        assert_eq!(
            parsed.problems[..],
            [Problem::DuplicateKey {
                key: "a".into(),
                first: Span::new(F, 0, 1),
                second: Span::new(F, 10, 11),
                first_value: Span::new(F, 3, 4),
                second_value: Span::new(F, 13, 14),
            }]
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let text =
            "base: &b {x: 1, y: 2}\nuse: *b\nmerged:\n  <<: *b\n  y: 3\nre: &b 7\nagain: *b\n";
        let root = one(text);
        assert_eq!(root.at("use.x").unwrap().scalar_text(), Some("1"));
        assert_eq!(root.at("merged.y").unwrap().scalar_text(), Some("3"));
        assert_eq!(root.at("merged.x").unwrap().scalar_text(), Some("1"));
        assert_eq!(root.at("again").unwrap().scalar_text(), Some("7"));
    }

    #[test]
    fn aliases_find_nested_anchors_wherever_they_landed() {
        let text = "outer: &o\n  inner: &i [1, 2]\n  deep:\n    - &d {k: v}\nuse_inner: *i\nuse_deep: *d\nuse_outer: *o\n? &key k2\n: *key\nm:\n  <<: &src {a: &in 5}\n  b: *in\n";
        let root = one(text);
        assert_eq!(root.at("use_inner[1]").unwrap().scalar_text(), Some("2"));
        assert_eq!(root.at("use_deep.k").unwrap().scalar_text(), Some("v"));
        assert_eq!(
            root.at("use_outer.inner[0]").unwrap().scalar_text(),
            Some("1")
        );
        assert_eq!(root.at("k2").unwrap().scalar_text(), Some("k2"));
        assert_eq!(root.at("m.a").unwrap().scalar_text(), Some("5"));
        assert_eq!(root.at("m.b").unwrap().scalar_text(), Some("5"));
        // Anchors do not reach into the next document.
        let parsed = parse(F, "a: &x 1\n---\nb: *x\n");
        assert!(matches!(parsed.problems[..], [Problem::Syntax { .. }]));
    }

    #[test]
    fn anchors_in_a_value_a_duplicate_key_replaced_still_resolve() {
        let with_dups = |text: &'static str| {
            let parsed = parse(F, text);
            assert!(parsed
                .problems
                .iter()
                .all(|p| matches!(p, Problem::DuplicateKey { .. })));
            first_root(parsed)
        };
        let root =
            with_dups("labels: {team: &t [x, {deep: &d y}]}\nlabels: {team: z}\na: *t\nb: *d\n");
        assert_eq!(root.at("a[0]").unwrap().scalar_text(), Some("x"));
        assert_eq!(root.at("b").unwrap().scalar_text(), Some("y"));
        assert_eq!(root.at("labels.team").unwrap().scalar_text(), Some("z"));
        let root = with_dups("m:\n  k: &v 1\n  k: 2\nx: *v\n");
        assert_eq!(root.at("x").unwrap().scalar_text(), Some("1"));
    }

    #[test]
    fn many_anchors_deep_down_cost_no_more_than_their_nodes() {
        // 100,000 anchors 200 levels deep: re-labelling each anchor at every level it leaves
        // made this quadratic in the depth.
        let mut text = "[".repeat(200);
        let items: Vec<String> = (0..100_000).map(|i| format!("&a{i} x")).collect();
        text.push_str(&items.join(", "));
        text.push_str(&"]".repeat(200));
        text.push('\n');
        let doc = format!("list: {text}use: *a99999\n");
        let parsed = parse(F, &doc);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let root = parsed.docs[0].root.as_ref().unwrap();
        assert_eq!(root.get("use").unwrap().scalar_text(), Some("x"));
    }

    #[test]
    fn nested_anchors_are_not_copied_per_enclosing_anchor() {
        // 100 anchored levels, each holding 3,000 items: copying each anchored subtree when it
        // is defined would make 15 million node copies; finding anchors by place makes none.
        let mut text = String::new();
        for level in 0..100 {
            let indent = "  ".repeat(level);
            text.push_str(&format!("{indent}l{level}: &a{level}\n"));
            text.push_str(&format!(
                "{indent}  items: [{}]\n",
                vec!["x"; 3_000].join(", ")
            ));
        }
        text.push_str("use: *a99\n");
        let parsed = parse(F, &text);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let root = parsed.docs[0].root.as_ref().unwrap();
        assert_eq!(root.at("use.items[2999]").unwrap().scalar_text(), Some("x"));
    }

    #[test]
    fn duplicate_keys_of_large_mappings() {
        let mut text: String = (0..1_000).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k500: again\nk2: again\n");
        let parsed = parse(F, &text);
        let dups: Vec<_> = parsed
            .problems
            .iter()
            .map(|p| match p {
                Problem::DuplicateKey { key, .. } => key.as_str(),
                _ => "other",
            })
            .collect();
        assert_eq!(dups, ["k500", "k2"]);
        let root = parsed.docs[0].root.as_ref().unwrap();
        assert_eq!(root.get("k500").unwrap().scalar_text(), Some("again"));
        assert_eq!(root.as_map().unwrap().len(), 1_000);
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            text.push_str(&format!(
                "{}: &{} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n",
                (b'a' + i) as char,
                (b'a' + i) as char,
                p = (b'a' + i - 1) as char
            ));
        }
        text.push_str("---\nok: 1\n");
        let parsed = parse(F, &text);
        assert!(matches!(parsed.problems[..], [Problem::AliasBudget { .. }]));
        assert_eq!(parsed.docs.len(), 1, "the next document is still read");
    }

    #[test]
    fn syntax_error_keeps_other_documents() {
        let text = "a: 1\n---\nb: [1, 2\n---\nc: 3\n";
        let parsed = parse(F, text);
        assert!(matches!(parsed.problems[..], [Problem::Syntax { .. }]));
        let keys: Vec<_> = parsed
            .docs
            .iter()
            .filter_map(|d| d.root.as_ref()?.as_map()?.first()?.key_text())
            .collect();
        assert_eq!(keys, ["a", "c"]);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        assert!(matches!(
            parse(F, &text).problems[..],
            [Problem::Syntax { .. }]
        ));
        let block: String = (0..5_000)
            .map(|i| format!("{}- \n", " ".repeat(i)))
            .collect();
        let _ = parse(F, &block);
    }

    #[test]
    fn bom_and_crlf() {
        let text = "\u{feff}a:\r\n  b: 1\r\n";
        let root = one(text);
        assert_eq!(slice(text, root.at("a.b").unwrap()), "1");
    }
}
