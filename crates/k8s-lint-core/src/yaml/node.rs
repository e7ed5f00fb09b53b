//! The tree's node in 24 bytes: its span, and one pointer with its length and kind packed in
//! the 32 bits beside the span; and a mapping's entry in 40.
//!
//! A tree holds millions of nodes (4.2 million for 20,000 generated apps), so a node's size is
//! most of the tree's memory. An enum of a span, a `&str` and two boxed slices is 40 bytes:
//! every variant carries a 16-byte fat pointer and the discriminant needs its own word. Here
//! the pointer is thin and its length, the variant and a scalar's style and tag share one
//! `u32`; a value too long for the length's 24 bits (a scalar over 16 MiB, possible only when
//! `max_file_size` is raised) is kept behind one more box instead, so no input is refused.
//!
//! A mapping's entry is its value and a 16-byte key ([`Entry`]): a key is nearly always a plain
//! scalar of its value's file, which needs no file, style or tag of its own.
//!
//! This is the one module of the crate with `unsafe` code. A node owns what its pointer points
//! to exactly as the `Box` it was made from did (a borrowed scalar borrows the file text for
//! `'s`, as the `&'s str` it was made from did, and a shared node borrows another node for
//! `'s`, as the `&'s Node` it was made from did), and the pointer is only turned back into
//! that box or into a reference to it, with the kind and length it was stored with.

use std::marker::PhantomData;
use std::ptr::NonNull;

use super::{Scalar, ScalarRepr, Style, TagHint, Value};
use crate::source::{FileId, Span};

/// A node of the tree: its span, and its value through [`Node::value`].
pub struct Node<'s> {
    pub span: Span,
    /// Bits 0–2: the [`Kind`]; 3–4: a scalar's [`Style`]; 5–7: its [`TagHint`]; 8–31: the
    /// length (bytes of a scalar, items of a sequence, entries of a mapping).
    meta: u32,
    ptr: NonNull<u8>,
    /// A node owns its value as a `Value<'s>` would: this gives it the variance and the drop
    /// check of one.
    _owns: PhantomData<Value<'s>>,
}

const _: () = assert!(std::mem::size_of::<Node<'static>>() == 24);

// SAFETY: a node owns the boxes its pointer came from, or holds a `&'s str`; both are `Send`
// and `Sync`, and a node has no interior mutability.
unsafe impl Send for Node<'_> {}
unsafe impl Sync for Node<'_> {}

/// What the pointer of a node points to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A `&'s str` of the file text.
    Borrowed,
    /// A `Box<str>`.
    Owned,
    /// A `Box<[Node<'s>]>`.
    Seq,
    /// A `Box<[Entry<'s>]>`.
    Map,
    /// A `Box<Value<'s>>`: a value whose length does not fit in the length bits.
    Spilled,
    /// A `&'s Node<'s>`: the node reads as that node and owns nothing ([`Node::share`]).
    Shared,
}

const LEN_SHIFT: u32 = 8;
/// The longest scalar, sequence or mapping a node holds without spilling.
const LEN_MAX: usize = (1 << (32 - LEN_SHIFT)) - 1;

impl Kind {
    fn bits(self) -> u32 {
        match self {
            Kind::Borrowed => 0,
            Kind::Owned => 1,
            Kind::Seq => 2,
            Kind::Map => 3,
            Kind::Spilled => 4,
            Kind::Shared => 5,
        }
    }

    fn of(meta: u32) -> Kind {
        match meta & 0b111 {
            0 => Kind::Borrowed,
            1 => Kind::Owned,
            2 => Kind::Seq,
            3 => Kind::Map,
            4 => Kind::Spilled,
            _ => Kind::Shared,
        }
    }
}

fn style_bits(style: Style) -> u32 {
    match style {
        Style::Plain => 0,
        Style::Quoted => 1,
        Style::Block => 2,
    }
}

fn style_of(meta: u32) -> Style {
    match (meta >> 3) & 0b11 {
        0 => Style::Plain,
        1 => Style::Quoted,
        _ => Style::Block,
    }
}

fn tag_bits(tag: TagHint) -> u32 {
    match tag {
        TagHint::None => 0,
        TagHint::Str => 1,
        TagHint::Int => 2,
        TagHint::Float => 3,
        TagHint::Bool => 4,
        TagHint::Null => 5,
        TagHint::Other => 6,
    }
}

fn tag_of(meta: u32) -> TagHint {
    match (meta >> 5) & 0b111 {
        0 => TagHint::None,
        1 => TagHint::Str,
        2 => TagHint::Int,
        3 => TagHint::Float,
        4 => TagHint::Bool,
        5 => TagHint::Null,
        _ => TagHint::Other,
    }
}

/// A node's value, borrowed.
#[derive(Clone, Copy, Debug)]
pub enum ValueRef<'a, 's> {
    Scalar(ScalarRef<'a>),
    Seq(&'a [Node<'s>]),
    Map(&'a [Entry<'s>]),
}

/// A mapping's entries or a sequence's items, to change in place (not to add or remove: see
/// [`Node::map_mut`]).
pub enum ValueMut<'a, 's> {
    Scalar,
    Seq(&'a mut [Node<'s>]),
    Map(&'a mut [Entry<'s>]),
}

/// A scalar's text as the parser unfolded and unescaped it, with its style and tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScalarRef<'a> {
    text: &'a str,
    style: Style,
    tag: TagHint,
}

impl<'a> ScalarRef<'a> {
    pub fn text(self) -> &'a str {
        self.text
    }

    pub fn style(self) -> Style {
        self.style
    }

    pub fn tag(self) -> TagHint {
        self.tag
    }
}

impl<'s> Scalar<'s> {
    pub fn as_ref(&self) -> ScalarRef<'_> {
        ScalarRef {
            text: self.text(),
            style: self.style(),
            tag: self.tag(),
        }
    }
}

impl<'s> Value<'s> {
    pub fn as_ref(&self) -> ValueRef<'_, 's> {
        match self {
            Value::Scalar(s) => ValueRef::Scalar(s.as_ref()),
            Value::Seq(items) => ValueRef::Seq(items),
            Value::Map(entries) => ValueRef::Map(entries),
        }
    }
}

impl<'s> ValueRef<'_, 's> {
    /// An owned copy (a borrowed scalar stays borrowed from the file when `file` says so).
    fn to_value(self, file: Option<&'s str>) -> Value<'s> {
        match self {
            ValueRef::Scalar(s) => Value::Scalar(Scalar(match file {
                Some(t) => ScalarRepr::Borrowed(t, s.style, s.tag),
                None => ScalarRepr::Owned(s.text.into(), s.style, s.tag),
            })),
            ValueRef::Seq(items) => Value::Seq(items.into()),
            ValueRef::Map(entries) => Value::Map(entries.into()),
        }
    }
}

impl<'s> Node<'s> {
    pub fn new(span: Span, value: Value<'s>) -> Node<'s> {
        let (kind, flags, len, ptr) = match value {
            Value::Scalar(Scalar(ScalarRepr::Borrowed(t, style, tag))) if t.len() <= LEN_MAX => (
                Kind::Borrowed,
                style_bits(style) << 3 | tag_bits(tag) << 5,
                t.len(),
                NonNull::from(t).cast(),
            ),
            Value::Scalar(Scalar(ScalarRepr::Owned(t, style, tag))) if t.len() <= LEN_MAX => (
                Kind::Owned,
                style_bits(style) << 3 | tag_bits(tag) << 5,
                t.len(),
                NonNull::from(Box::leak(t)).cast(),
            ),
            Value::Seq(items) if items.len() <= LEN_MAX => (
                Kind::Seq,
                0,
                items.len(),
                NonNull::from(Box::leak(items)).cast(),
            ),
            Value::Map(entries) if entries.len() <= LEN_MAX => (
                Kind::Map,
                0,
                entries.len(),
                NonNull::from(Box::leak(entries)).cast(),
            ),
            value => (
                Kind::Spilled,
                0,
                0,
                NonNull::from(Box::leak(Box::new(value))).cast(),
            ),
        };
        Node {
            span,
            // `len <= LEN_MAX` in every arm, so it fits its 24 bits.
            meta: kind.bits() | flags | (len as u32) << LEN_SHIFT,
            ptr,
            _owns: PhantomData,
        }
    }

    fn kind(&self) -> Kind {
        Kind::of(self.meta)
    }

    fn len(&self) -> usize {
        (self.meta >> LEN_SHIFT) as usize
    }

    pub fn value(&self) -> ValueRef<'_, 's> {
        let (ptr, len) = (self.ptr.as_ptr(), self.len());
        // SAFETY: the pointer and length are those of the value `new` was given, of the kind
        // stored with them, which the node still owns (or, borrowed, which lives for 's).
        unsafe {
            match self.kind() {
                Kind::Borrowed | Kind::Owned => ValueRef::Scalar(ScalarRef {
                    text: std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr, len)),
                    style: style_of(self.meta),
                    tag: tag_of(self.meta),
                }),
                Kind::Seq => ValueRef::Seq(std::slice::from_raw_parts(ptr.cast(), len)),
                Kind::Map => ValueRef::Map(std::slice::from_raw_parts(ptr.cast(), len)),
                Kind::Spilled => (*ptr.cast::<Value<'s>>()).as_ref(),
                Kind::Shared => self.shared().value(),
            }
        }
    }

    /// A node that reads as `node` and owns nothing, for a tree made from another one (a
    /// kustomize instance's tree from its file's): what no transformer changes stays shared,
    /// not copied. A change (`value_mut`, `with_value`, `set_style` and what calls them) first
    /// makes the node its own, a copy whose items or entries share those of `node` in turn,
    /// so that patching a field copies only the nodes on the path to it.
    pub fn share(node: &'s Node<'s>) -> Node<'s> {
        let (meta, ptr) = match node.kind() {
            // Owning nothing already, the same bits are the same node.
            Kind::Borrowed | Kind::Shared => (node.meta, node.ptr),
            _ => (
                node.meta & !0b111 | Kind::Shared.bits(),
                NonNull::from(node).cast(),
            ),
        };
        Node {
            span: node.span,
            meta,
            ptr,
            _owns: PhantomData,
        }
    }

    /// The node a shared node reads as.
    fn shared(&self) -> &'s Node<'s> {
        debug_assert!(self.kind() == Kind::Shared);
        // SAFETY: a shared node's pointer is the `&'s Node<'s>` `share` was given.
        unsafe { &*self.ptr.as_ptr().cast::<Node<'s>>() }
    }

    /// A shared node made its own (see [`Node::share`]); its span stays its own.
    fn unshare(&mut self) {
        let shared = self.shared();
        let value = match shared.value() {
            ValueRef::Scalar(_) => {
                let span = self.span;
                *self = shared.clone();
                self.span = span;
                return;
            }
            ValueRef::Seq(items) => Value::Seq(items.iter().map(Node::share).collect()),
            ValueRef::Map(entries) => Value::Map(
                entries
                    .iter()
                    .map(|e| Entry::new((*e.key()).clone(), Node::share(e.value())))
                    .collect(),
            ),
        };
        // The shared node owns nothing: replacing it frees nothing.
        *self = Node::new(self.span, value);
    }

    pub fn value_mut(&mut self) -> ValueMut<'_, 's> {
        if self.kind() == Kind::Shared {
            self.unshare();
        }
        let (ptr, len) = (self.ptr.as_ptr(), self.len());
        // SAFETY: as in `value`; `&mut self` makes the borrow unique.
        unsafe {
            match self.kind() {
                Kind::Borrowed | Kind::Owned => ValueMut::Scalar,
                Kind::Seq => ValueMut::Seq(std::slice::from_raw_parts_mut(ptr.cast(), len)),
                Kind::Map => ValueMut::Map(std::slice::from_raw_parts_mut(ptr.cast(), len)),
                Kind::Spilled => match &mut *ptr.cast::<Value<'s>>() {
                    Value::Scalar(_) => ValueMut::Scalar,
                    Value::Seq(items) => ValueMut::Seq(items),
                    Value::Map(entries) => ValueMut::Map(entries),
                },
                Kind::Shared => unreachable!("made its own above"),
            }
        }
    }

    /// The scalar's text when it is borrowed from the file, for as long as the file.
    pub fn borrowed_text(&self) -> Option<&'s str> {
        match self.kind() {
            // SAFETY: a borrowed scalar's pointer and length are those of a `&'s str`.
            Kind::Borrowed => Some(unsafe {
                std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                    self.ptr.as_ptr(),
                    self.len(),
                ))
            }),
            Kind::Spilled => match self.value_spilled() {
                Value::Scalar(Scalar(ScalarRepr::Borrowed(t, ..))) => Some(t),
                _ => None,
            },
            Kind::Shared => self.shared().borrowed_text(),
            _ => None,
        }
    }

    fn value_spilled(&self) -> &Value<'s> {
        debug_assert!(self.kind() == Kind::Spilled);
        // SAFETY: only called for a spilled node, whose pointer is a `Box<Value<'s>>`.
        unsafe { &*self.ptr.as_ptr().cast::<Value<'s>>() }
    }

    /// The value, given up by the node.
    pub fn into_value(self) -> Value<'s> {
        let mut node = std::mem::ManuallyDrop::new(self);
        // SAFETY: the node is not used or dropped after this.
        unsafe { node.take() }
    }

    /// Rebuilds the value the node was made from.
    ///
    /// # Safety
    /// The node must not be used or dropped afterwards: the value owns what it owned.
    unsafe fn take(&mut self) -> Value<'s> {
        if self.kind() == Kind::Shared {
            self.unshare();
        }
        let (ptr, len) = (self.ptr.as_ptr(), self.len());
        let (style, tag) = (style_of(self.meta), tag_of(self.meta));
        // SAFETY: each box is rebuilt from the pointer and length it was leaked with.
        unsafe {
            match self.kind() {
                Kind::Borrowed => Value::Scalar(Scalar(ScalarRepr::Borrowed(
                    std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr, len)),
                    style,
                    tag,
                ))),
                Kind::Owned => Value::Scalar(Scalar(ScalarRepr::Owned(
                    Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len) as *mut str),
                    style,
                    tag,
                ))),
                Kind::Seq => Value::Seq(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                    ptr.cast(),
                    len,
                ))),
                Kind::Map => Value::Map(Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                    ptr.cast(),
                    len,
                ))),
                Kind::Spilled => *Box::from_raw(ptr.cast::<Value<'s>>()),
                Kind::Shared => unreachable!("made its own above"),
            }
        }
    }

    /// `f` on the value, which may be replaced or changed in any way.
    pub fn with_value<R>(&mut self, f: impl FnOnce(&mut Value<'s>) -> R) -> R {
        let span = self.span;
        let mut value = std::mem::replace(self, Node::null(span)).into_value();
        let out = f(&mut value);
        *self = Node::new(span, value);
        out
    }

    /// The entries of a mapping as a vector to change, put back when `f` returns.
    pub fn map_mut<R>(&mut self, f: impl FnOnce(&mut Vec<Entry<'s>>) -> R) -> Option<R> {
        // Not a mapping: left as it is, not taken apart and made again.
        self.as_map()?;
        self.with_value(|v| v.map_mut(f))
    }

    /// The items of a sequence as a vector to change, put back when `f` returns.
    pub fn seq_mut<R>(&mut self, f: impl FnOnce(&mut Vec<Node<'s>>) -> R) -> Option<R> {
        // Not a sequence: left as it is, not taken apart and made again.
        self.as_seq()?;
        self.with_value(|v| v.seq_mut(f))
    }

    /// Replace the value.
    pub fn set_value(&mut self, value: Value<'s>) {
        *self = Node::new(self.span, value);
    }

    /// A scalar's style changed (nothing for a mapping or sequence).
    pub fn set_style(&mut self, style: Style) {
        match self.kind() {
            Kind::Borrowed | Kind::Owned => {
                self.meta = self.meta & !(0b11 << 3) | style_bits(style) << 3;
            }
            Kind::Spilled => self.with_value(|v| {
                if let Value::Scalar(s) = v {
                    s.set_style(style);
                }
            }),
            Kind::Shared => {
                if matches!(self.value(), ValueRef::Scalar(_)) {
                    self.unshare();
                    self.set_style(style);
                }
            }
            Kind::Seq | Kind::Map => {}
        }
    }

    /// An empty plain scalar (null), which owns nothing.
    fn null(span: Span) -> Node<'s> {
        Node::new(
            span,
            Value::Scalar(Scalar(ScalarRepr::Borrowed(
                "",
                Style::Plain,
                TagHint::None,
            ))),
        )
    }
}

/// A mapping's entry: its key and its value.
///
/// Nearly every key is a plain scalar written in the file of its value (all 1.9 million keys
/// of 20,000 generated apps): such a key keeps only where it starts and ends and a thin pointer
/// to its text, 16 bytes instead of a 24-byte node, and takes its file from its value. Any
/// other key (quoted, tagged, a collection, or moved next to a value of another file) is a
/// whole node behind a box. The value is reached through [`Entry::value`] and
/// [`Entry::value_mut`], so that a key never takes the file of a value that replaced its own.
pub struct Entry<'s> {
    key: Key<'s>,
    value: Node<'s>,
}

const _: () = assert!(std::mem::size_of::<Entry<'static>>() == 40);

/// A key, see [`Entry`]. Inline (`start <= end`, without [`KEY_OWNED`]): a plain scalar
/// spanning `start..end` of its value's file, whose text, `end - start` bytes long, the
/// pointer points to (borrowed for `'s`, or a `Box<str>` the key owns when `end` has
/// [`KEY_OWNED`]). Boxed (`start > end`): the pointer is a `Box<Node<'s>>`.
struct Key<'s> {
    start: u32,
    end: u32,
    ptr: NonNull<u8>,
    _owns: PhantomData<Node<'s>>,
}

/// Set in an inline key's `end`: its text is owned. Keys ending past 2 GiB are boxed.
const KEY_OWNED: u32 = 1 << 31;

// SAFETY: as for `Node`: a key owns a `Box<str>` or a `Box<Node>`, or holds a `&'s str`.
unsafe impl Send for Key<'_> {}
unsafe impl Sync for Key<'_> {}

impl<'s> Key<'s> {
    fn new(node: Node<'s>, file: FileId) -> Key<'s> {
        let span = node.span;
        let inline = matches!(node.kind(), Kind::Borrowed | Kind::Owned)
            && style_of(node.meta) == Style::Plain
            && tag_of(node.meta) == TagHint::None
            && span.file == file
            && span.end < KEY_OWNED
            && (span.end - span.start) as usize == node.len();
        if !inline {
            return Key {
                start: u32::MAX,
                end: 0,
                ptr: NonNull::from(Box::leak(Box::new(node))).cast(),
                _owns: PhantomData,
            };
        }
        let owned = if node.kind() == Kind::Owned {
            KEY_OWNED
        } else {
            0
        };
        // The key takes over what the node owned (an owned text), so the node is not dropped.
        let node = std::mem::ManuallyDrop::new(node);
        Key {
            start: span.start,
            end: span.end | owned,
            ptr: node.ptr,
            _owns: PhantomData,
        }
    }

    fn is_boxed(&self) -> bool {
        self.start > self.end & !KEY_OWNED
    }

    fn is_owned(&self) -> bool {
        self.end & KEY_OWNED != 0
    }

    fn span(&self, file: FileId) -> Span {
        Span {
            file,
            start: self.start,
            end: self.end & !KEY_OWNED,
        }
    }

    /// An inline key's text.
    fn text(&self) -> &str {
        debug_assert!(!self.is_boxed());
        let len = (self.end & !KEY_OWNED) - self.start;
        // SAFETY: an inline key's pointer and length are those of its text, borrowed for 's
        // or owned by the key, and the borrow of `self` keeps it alive either way.
        unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                self.ptr.as_ptr(),
                len as usize,
            ))
        }
    }

    fn boxed(&self) -> &Node<'s> {
        debug_assert!(self.is_boxed());
        // SAFETY: a boxed key's pointer is a `Box<Node<'s>>` it owns.
        unsafe { &*self.ptr.as_ptr().cast::<Node<'s>>() }
    }

    /// The key as a node of `file`, given up by the key.
    fn into_node(self, file: FileId) -> Node<'s> {
        let key = std::mem::ManuallyDrop::new(self);
        if key.is_boxed() {
            // SAFETY: the box the key was made with; the key is not dropped.
            return *unsafe { Box::from_raw(key.ptr.as_ptr().cast::<Node<'s>>()) };
        }
        let kind = if key.is_owned() {
            Kind::Owned
        } else {
            Kind::Borrowed
        };
        let span = key.span(file);
        // The node owns the text the key owned (as `new` found it), with the plain style and
        // no tag every inline key has.
        Node {
            span,
            meta: kind.bits() | (span.len() as u32) << LEN_SHIFT,
            ptr: key.ptr,
            _owns: PhantomData,
        }
    }
}

impl Drop for Key<'_> {
    fn drop(&mut self) {
        if self.is_boxed() {
            // SAFETY: the box the key was made with, dropped once, here.
            drop(unsafe { Box::from_raw(self.ptr.as_ptr().cast::<Node<'_>>()) });
        } else if self.is_owned() {
            let len = ((self.end & !KEY_OWNED) - self.start) as usize;
            // SAFETY: the `Box<str>` of this length the key took over in `new`.
            drop(unsafe {
                Box::from_raw(std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), len) as *mut str)
            });
        }
    }
}

/// A key as a node, borrowed from its entry ([`Entry::key`]).
pub struct KeyRef<'a, 's>(KeyRepr<'a, 's>);

enum KeyRepr<'a, 's> {
    /// An inline key made a node that owns nothing of its own: never dropped, as the entry
    /// still owns an owned text, and borrowed from the entry as long as the entry is.
    Inline(std::mem::ManuallyDrop<Node<'s>>, PhantomData<&'a Entry<'s>>),
    Boxed(&'a Node<'s>),
}

impl<'s> std::ops::Deref for KeyRef<'_, 's> {
    type Target = Node<'s>;

    fn deref(&self) -> &Node<'s> {
        match &self.0 {
            KeyRepr::Inline(node, _) => node,
            KeyRepr::Boxed(node) => node,
        }
    }
}

impl<'s> Entry<'s> {
    pub fn new(key: Node<'s>, value: Node<'s>) -> Entry<'s> {
        Entry {
            key: Key::new(key, value.span.file),
            value,
        }
    }

    /// The key as a node (see [`Entry::key_text`] and [`Entry::key_str`] for its text).
    pub fn key(&self) -> KeyRef<'_, 's> {
        if self.key.is_boxed() {
            return KeyRef(KeyRepr::Boxed(self.key.boxed()));
        }
        let span = self.key.span(self.value.span.file);
        // An owned text stays owned (a node of kind `Owned` never hands out its text for 's),
        // and the node is never dropped: the entry keeps owning it.
        let kind = if self.key.is_owned() {
            Kind::Owned
        } else {
            Kind::Borrowed
        };
        KeyRef(KeyRepr::Inline(
            std::mem::ManuallyDrop::new(Node {
                span,
                meta: kind.bits() | (span.len() as u32) << LEN_SHIFT,
                ptr: self.key.ptr,
                _owns: PhantomData,
            }),
            PhantomData,
        ))
    }

    pub fn key_span(&self) -> Span {
        match self.key.is_boxed() {
            true => self.key.boxed().span,
            false => self.key.span(self.value.span.file),
        }
    }

    /// The key's scalar text whatever it resolves to, as [`Node::scalar_text`].
    pub fn key_text(&self) -> Option<&str> {
        match self.key.is_boxed() {
            true => self.key.boxed().scalar_text(),
            false => Some(self.key.text()),
        }
    }

    /// The key if it resolves to a string, as [`Node::as_str`].
    pub fn key_str(&self) -> Option<&str> {
        if self.key.is_boxed() {
            return self.key.boxed().as_str();
        }
        let plain = ScalarRef {
            text: self.key.text(),
            style: Style::Plain,
            tag: TagHint::None,
        };
        match plain.resolve() {
            super::Resolved::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn value(&self) -> &Node<'s> {
        &self.value
    }

    /// The value to change in place or replace: a value of another file than the key's then
    /// makes the key keep its own file.
    pub fn value_mut(&mut self) -> EntryValueMut<'_, 's> {
        EntryValueMut {
            file: self.value.span.file,
            entry: self,
        }
    }

    pub fn into_parts(self) -> (Node<'s>, Node<'s>) {
        let Entry { key, value } = self;
        (key.into_node(value.span.file), value)
    }

    /// `f` on the key and on the value's own node (not on what it holds), the value first: a
    /// tree moved to another file or span ([`Node::respan`]) moves its keys with it.
    pub(super) fn with_both(&mut self, f: &mut impl FnMut(&mut Node<'s>)) {
        let file = self.value.span.file;
        f(&mut self.value);
        let key = std::mem::replace(&mut self.key, Key::empty());
        let mut node = key.into_node(file);
        node.for_each_mut(f);
        self.key = Key::new(node, self.value.span.file);
    }

    /// The value's node, for [`Node::for_each_mut`] to visit what it holds after
    /// [`Entry::with_both`] (which cannot move the value's own node to another file).
    pub(super) fn value_node_mut(&mut self) -> &mut Node<'s> {
        &mut self.value
    }
}

impl Key<'_> {
    /// An empty plain key, which owns nothing: a placeholder while a key is changed.
    fn empty() -> Key<'static> {
        Key {
            start: 0,
            end: 0,
            ptr: NonNull::dangling(),
            _owns: PhantomData,
        }
    }
}

/// [`Entry::value_mut`]: the value, which may be changed or replaced.
pub struct EntryValueMut<'a, 's> {
    entry: &'a mut Entry<'s>,
    /// The value's file when the borrow began, which an inline key took as its own.
    file: FileId,
}

impl<'s> std::ops::Deref for EntryValueMut<'_, 's> {
    type Target = Node<'s>;

    fn deref(&self) -> &Node<'s> {
        &self.entry.value
    }
}

impl<'s> std::ops::DerefMut for EntryValueMut<'_, 's> {
    fn deref_mut(&mut self) -> &mut Node<'s> {
        &mut self.entry.value
    }
}

impl Drop for EntryValueMut<'_, '_> {
    fn drop(&mut self) {
        let entry = &mut *self.entry;
        if entry.value.span.file != self.file && !entry.key.is_boxed() {
            let key = std::mem::replace(&mut entry.key, Key::empty());
            entry.key = Key::new(key.into_node(self.file), entry.value.span.file);
        }
    }
}

impl Clone for Entry<'_> {
    fn clone(&self) -> Self {
        Entry::new((*self.key()).clone(), self.value.clone())
    }
}

impl std::fmt::Debug for Entry<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("key", &*self.key())
            .field("value", &self.value)
            .finish()
    }
}

impl Drop for Node<'_> {
    fn drop(&mut self) {
        // A borrowed scalar and a shared node own nothing.
        if !matches!(self.kind(), Kind::Borrowed | Kind::Shared) {
            // SAFETY: `drop` is the node's last use.
            drop(unsafe { self.take() });
        }
    }
}

impl Clone for Node<'_> {
    fn clone(&self) -> Self {
        match self.kind() {
            // A borrowed scalar and a shared node own nothing: the same bits are the same node.
            Kind::Borrowed | Kind::Shared => Node {
                span: self.span,
                meta: self.meta,
                ptr: self.ptr,
                _owns: PhantomData,
            },
            _ => Node::new(self.span, self.value().to_value(self.borrowed_text())),
        }
    }
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("span", &self.span)
            .field("value", &self.value())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;
    use crate::source::FileId;

    fn span(start: usize, end: usize) -> Span {
        Span::new(FileId(0), start, end)
    }

    fn scalar(text: Cow<'_, str>, style: Style, tag: TagHint) -> Node<'_> {
        Node::new(span(0, 1), Value::Scalar(Scalar::new(text, style, tag)))
    }

    fn scalar_of<'a>(node: &'a Node<'_>) -> ScalarRef<'a> {
        match node.value() {
            ValueRef::Scalar(s) => s,
            other => panic!("not a scalar: {other:?}"),
        }
    }

    #[test]
    fn a_scalar_keeps_its_text_style_and_tag_through_clone_and_into_value() {
        let styles = [Style::Plain, Style::Quoted, Style::Block];
        let tags = [
            TagHint::None,
            TagHint::Str,
            TagHint::Int,
            TagHint::Float,
            TagHint::Bool,
            TagHint::Null,
            TagHint::Other,
        ];
        let file = String::from("some text");
        for style in styles {
            for tag in tags {
                for text in [Cow::Borrowed(&file[5..]), Cow::Owned("ôwned".to_string())] {
                    let borrowed = matches!(text, Cow::Borrowed(_));
                    let node = scalar(text.clone(), style, tag);
                    let expected = ScalarRef {
                        text: &text,
                        style,
                        tag,
                    };
                    assert_eq!(scalar_of(&node), expected);
                    assert_eq!(node.borrowed_text().is_some(), borrowed);
                    let copy = node.clone();
                    assert_eq!(scalar_of(&copy), expected);
                    assert_eq!(copy.borrowed_text().is_some(), borrowed);
                    drop(node);
                    let Value::Scalar(back) = copy.into_value() else {
                        panic!("not a scalar");
                    };
                    assert_eq!(back.as_ref(), expected);
                    assert_eq!(matches!(back.cow(), Cow::Borrowed(_)), borrowed);
                }
            }
        }
    }

    #[test]
    fn set_style_changes_only_the_style() {
        let mut node = scalar(Cow::Borrowed("80"), Style::Plain, TagHint::Int);
        node.set_style(Style::Quoted);
        let s = scalar_of(&node);
        assert_eq!(
            (s.text(), s.style(), s.tag()),
            ("80", Style::Quoted, TagHint::Int)
        );
    }

    #[test]
    fn collections_change_in_place_and_grow_through_map_mut_and_seq_mut() {
        let item = |t: &'static str| scalar(Cow::Borrowed(t), Style::Plain, TagHint::None);
        let mut seq = Node::new(span(0, 9), Value::Seq(vec![item("a"), item("b")].into()));
        if let ValueMut::Seq(items) = seq.value_mut() {
            items[1] = scalar(Cow::Owned("c".into()), Style::Quoted, TagHint::None);
        }
        seq.seq_mut(|items| items.push(item("d")));
        let texts = |n: &Node<'_>| match n.value() {
            ValueRef::Seq(items) => items
                .iter()
                .map(|i| scalar_of(i).text().to_string())
                .collect(),
            _ => Vec::new(),
        };
        assert_eq!(texts(&seq), ["a", "c", "d"]);
        assert_eq!(texts(&seq.clone()), ["a", "c", "d"]);
        assert_eq!(seq.span, span(0, 9));

        let mut map = Node::new(span(0, 9), Value::Map(Box::default()));
        assert_eq!(map.seq_mut(|_| ()), None, "a mapping is not a sequence");
        map.map_mut(|entries| entries.push(Entry::new(item("k"), seq.clone())));
        assert_eq!(
            map.get("k").map(texts),
            Some(vec!["a".into(), "c".into(), "d".into()])
        );
        if let ValueMut::Map(entries) = map.value_mut() {
            *entries[0].value_mut() = item("v");
        }
        assert_eq!(map.get("k").and_then(Node::scalar_text), Some("v"));
    }

    #[test]
    fn a_change_to_a_shared_tree_copies_only_the_nodes_on_its_way() {
        let item = |t: &'static str| scalar(Cow::Borrowed(t), Style::Plain, TagHint::None);
        let owned = |t: &str| scalar(Cow::Owned(t.into()), Style::Quoted, TagHint::None);
        let inner = |v| {
            Node::new(
                span(0, 9),
                Value::Map(vec![Entry::new(item("x"), v)].into()),
            )
        };
        let original = Node::new(
            span(0, 9),
            Value::Map(
                vec![
                    Entry::new(item("a"), inner(owned("1"))),
                    Entry::new(item("b"), inner(owned("2"))),
                ]
                .into(),
            ),
        );
        let mut tree = Node::share(&original);
        assert!(tree.kind() == Kind::Shared);
        if let ValueMut::Map(entries) = tree.value_mut() {
            if let ValueMut::Map(inner) = entries[0].value_mut().value_mut() {
                *inner[0].value_mut() = owned("changed");
            }
        }
        let at =
            |n: &Node<'_>, path: &str| n.at(path).and_then(Node::scalar_text).map(String::from);
        assert_eq!(at(&tree, "a.x").as_deref(), Some("changed"));
        assert_eq!(at(&tree, "b.x").as_deref(), Some("2"));
        assert_eq!(
            at(&original, "a.x").as_deref(),
            Some("1"),
            "the shared tree is unchanged"
        );
        // The root and `a` were copied; `b` is still the original's.
        assert!(tree.kind() == Kind::Map);
        assert!(tree.get("a").is_some_and(|a| a.kind() == Kind::Map));
        assert!(tree.get("b").is_some_and(|b| b.kind() == Kind::Shared));
        assert_eq!(tree.span, original.span);
    }

    /// What a value holds, written out, for comparing a node with the value it was made of.
    fn describe(v: ValueRef<'_, '_>) -> String {
        match v {
            ValueRef::Scalar(s) => format!("{:?}/{:?}/{:?}", s.text(), s.style(), s.tag()),
            ValueRef::Seq(items) => {
                let items: Vec<String> = items.iter().map(|i| describe(i.value())).collect();
                format!("[{}]", items.join(", "))
            }
            ValueRef::Map(entries) => {
                let entries: Vec<String> = entries
                    .iter()
                    .map(|e| {
                        format!(
                            "{}: {}",
                            describe(e.key().value()),
                            describe(e.value().value())
                        )
                    })
                    .collect();
                format!("{{{}}}", entries.join(", "))
            }
        }
    }

    /// Random values: borrowed and owned scalars of every style and tag, nested sequences and
    /// mappings (empty ones too).
    fn value() -> impl proptest::strategy::Strategy<Value = Value<'static>> {
        use proptest::prelude::*;
        let style = prop_oneof![Just(Style::Plain), Just(Style::Quoted), Just(Style::Block)];
        let tag = prop_oneof![
            Just(TagHint::None),
            Just(TagHint::Str),
            Just(TagHint::Int),
            Just(TagHint::Other)
        ];
        // Borrowed texts come from a fixed "file", as the parser's borrow from the file text.
        const FILE: [&str; 6] = ["", "a", "web", "héllo wörld", "8080", "k: v"];
        let text = prop_oneof![
            proptest::sample::select(&FILE[..]).prop_map(Cow::Borrowed),
            "[a-zé]{0,6}".prop_map(Cow::Owned),
        ];
        let leaf = (text, style, tag).prop_map(|(t, s, g)| Value::Scalar(Scalar::new(t, s, g)));
        leaf.prop_recursive(4, 48, 5, |inner| {
            let node = (inner, 0u32..100).prop_map(|(v, at)| Node::new(span(at as usize, 100), v));
            prop_oneof![
                proptest::collection::vec(node.clone(), 0..5)
                    .prop_map(|items| Value::Seq(items.into())),
                proptest::collection::vec((node.clone(), node), 0..5).prop_map(|pairs| {
                    Value::Map(
                        pairs
                            .into_iter()
                            .map(|(key, value)| Entry::new(key, value))
                            .collect(),
                    )
                }),
            ]
        })
    }

    proptest::proptest! {
        /// A node reads back as the value it was made of, and so do its clone, what it gives
        /// up, and what it becomes after its collections change in place and grow.
        #[test]
        fn a_node_is_the_value_it_was_made_of(v in value(), extra in value()) {
            let expected = describe(v.as_ref());
            let mut node = Node::new(span(1, 2), v);
            proptest::prop_assert_eq!(describe(node.value()), expected.clone());
            let copy = node.clone();
            proptest::prop_assert_eq!(describe(copy.value()), expected.clone());
            let back = copy.into_value();
            proptest::prop_assert_eq!(describe(back.as_ref()), expected.clone());
            let added = Node::new(span(3, 4), extra);
            let added_text = describe(added.value());
            let grew = match node.value() {
                ValueRef::Seq(_) => node.seq_mut(|items| items.push(added)).is_some(),
                ValueRef::Map(_) => node
                    .map_mut(|entries| {
                        entries.push(Entry::new(
                            Node::new(span(5, 6), Value::Scalar(Scalar::new(Cow::Borrowed("k"), Style::Plain, TagHint::None))),
                            added,
                        ))
                    })
                    .is_some(),
                ValueRef::Scalar(_) => false,
            };
            let now = describe(node.value());
            if grew {
                proptest::prop_assert!(now.contains(&added_text), "{} lacks {}", now, added_text);
                proptest::prop_assert!(now.len() > expected.len());
            } else {
                proptest::prop_assert_eq!(now, expected);
            }
            proptest::prop_assert_eq!(node.span, span(1, 2));
        }

        /// A shared node reads as the node it shares, and so do its clone and what it gives
        /// up; changed all through, or grown, it is its own, and the shared node is as it was.
        #[test]
        fn a_shared_node_reads_as_its_node_and_a_change_changes_only_itself(v in value(), extra in value()) {
            let original = Node::new(span(1, 2), v);
            let expected = describe(original.value());
            let shared = Node::share(&original);
            proptest::prop_assert_eq!(describe(shared.value()), expected.clone());
            proptest::prop_assert_eq!(describe(shared.clone().value()), expected.clone());
            proptest::prop_assert_eq!(describe(Node::share(&original).into_value().as_ref()), expected.clone());
            let mut touched = Node::share(&original);
            touched.for_each_mut(&mut |n| n.set_style(Style::Block));
            let mut grown = Node::share(&original);
            let added = Node::new(span(3, 4), extra);
            match grown.value() {
                ValueRef::Seq(_) => { grown.seq_mut(|items| items.push(added)); }
                ValueRef::Map(_) => {
                    grown.map_mut(|entries| {
                        entries.push(Entry::new(
                            Node::new(span(5, 6), Value::Scalar(Scalar::new(Cow::Borrowed("k"), Style::Plain, TagHint::None))),
                            added,
                        ))
                    });
                }
                ValueRef::Scalar(_) => {}
            }
            proptest::prop_assert_eq!(describe(original.value()), expected.clone());
            // The same change made to a copy of the whole tree.
            let mut copy = original.clone();
            copy.for_each_mut(&mut |n| n.set_style(Style::Block));
            proptest::prop_assert_eq!(describe(touched.value()), describe(copy.value()));
            drop((touched, grown, shared));
            proptest::prop_assert_eq!(describe(original.value()), expected);
        }
    }

    /// A key as a test sees it: its span, its value, whether its text is borrowed, and what
    /// the entry's shortcuts say of it.
    fn key_as_seen(key: &Node<'_>) -> String {
        format!(
            "{:?} {} borrowed={}",
            key.span,
            describe(key.value()),
            key.borrowed_text().is_some()
        )
    }

    /// Keys of every kind: plain scalars exactly as long as their span (kept inline) or not,
    /// borrowed or owned, quoted or tagged, of the value's file or another, and collections.
    fn key() -> impl proptest::strategy::Strategy<Value = Node<'static>> {
        use proptest::prelude::*;
        const FILE: [&str; 4] = ["", "a", "wörld", "80"];
        let text = prop_oneof![
            proptest::sample::select(&FILE[..]).prop_map(Cow::Borrowed),
            "[a-zé0-9]{0,4}".prop_map(Cow::Owned),
        ];
        let style = prop_oneof![Just(Style::Plain), Just(Style::Quoted)];
        let tag = prop_oneof![Just(TagHint::None), Just(TagHint::Str)];
        let scalar = (text, style, tag, 0u32..2, 0u32..40, 0u32..3).prop_map(
            |(text, style, tag, file, start, slack)| {
                let end = start as usize + text.len() + slack as usize % 2 * 2;
                Node::new(
                    Span::new(FileId(file), start as usize, end),
                    Value::Scalar(Scalar::new(text, style, tag)),
                )
            },
        );
        prop_oneof![
            4 => scalar.clone(),
            1 => scalar.prop_map(|item| Node::new(span(0, 3), Value::Seq(vec![item].into()))),
        ]
    }

    proptest::proptest! {
        /// An entry gives its key back as it was made, through every way of reading it, after
        /// a clone, after its value is replaced by one of another file, and when taken apart.
        #[test]
        fn an_entry_keeps_its_key_as_it_was_given(key in key(), file in 0u32..2) {
            let want = key_as_seen(&key);
            let value = Node::new(
                Span::new(FileId(file), 50, 51),
                Value::Scalar(Scalar::new(Cow::Borrowed("v"), Style::Plain, TagHint::None)),
            );
            let entry = Entry::new(key, value);
            for e in [&entry, &entry.clone()] {
                proptest::prop_assert_eq!(key_as_seen(&e.key()), want.clone());
                proptest::prop_assert_eq!(e.key_span(), e.key().span);
                let key = e.key();
                proptest::prop_assert_eq!(e.key_text(), key.scalar_text());
                proptest::prop_assert_eq!(e.key_str(), key.as_str());
                proptest::prop_assert_eq!(e.value().span, Span::new(FileId(file), 50, 51));
            }
            let mut moved = entry.clone();
            *moved.value_mut() = Node::null(Span::new(FileId(7), 1, 2));
            proptest::prop_assert_eq!(key_as_seen(&moved.key()), want.clone());
            proptest::prop_assert_eq!(moved.value().span.file, FileId(7));
            let (key, value) = entry.into_parts();
            proptest::prop_assert_eq!(key_as_seen(&key), want);
            proptest::prop_assert_eq!(value.span, Span::new(FileId(file), 50, 51));
        }
    }

    #[test]
    fn a_plain_key_of_its_values_file_is_kept_inline_and_any_other_boxed() {
        let text = String::from("name: web");
        let plain = |file: u32, end: usize| {
            Node::new(
                Span::new(FileId(file), 0, end),
                Value::Scalar(Scalar::new(
                    Cow::Borrowed(&text[..4]),
                    Style::Plain,
                    TagHint::None,
                )),
            )
        };
        let value = || Node::null(span(6, 9));
        assert!(!Entry::new(plain(0, 4), value()).key.is_boxed());
        assert!(
            Entry::new(plain(1, 4), value()).key.is_boxed(),
            "another file"
        );
        assert!(
            Entry::new(plain(0, 6), value()).key.is_boxed(),
            "a span longer than its text"
        );
        let owned = Node::new(
            span(0, 4),
            Value::Scalar(Scalar::new(
                Cow::Owned("name".into()),
                Style::Plain,
                TagHint::None,
            )),
        );
        let entry = Entry::new(owned, value());
        assert!(!entry.key.is_boxed() && entry.key.is_owned());
        assert_eq!(
            entry.key().borrowed_text(),
            None,
            "an owned text is never lent for 's"
        );
        assert_eq!(entry.key_str(), Some("name"));
    }

    #[test]
    fn a_tree_moved_to_another_span_moves_its_keys() {
        let text = String::from("a: {b: c}");
        let scalar = |at: usize, len: usize| {
            Node::new(
                span(at, at + len),
                Value::Scalar(Scalar::new(
                    Cow::Borrowed(&text[at..at + len]),
                    Style::Plain,
                    TagHint::None,
                )),
            )
        };
        let inner = Node::new(
            span(3, 9),
            Value::Map(vec![Entry::new(scalar(4, 1), scalar(7, 1))].into()),
        );
        let mut root = Node::new(
            span(0, 9),
            Value::Map(vec![Entry::new(scalar(0, 1), inner)].into()),
        );
        let to = Span::new(FileId(3), 20, 30);
        root.respan(to);
        let outer = &root.as_map().expect("a map")[0];
        let nested = &outer.value().as_map().expect("a map")[0];
        for e in [outer, nested] {
            assert_eq!(e.key_span(), to);
            assert_eq!(e.value().span, to);
        }
        assert_eq!(
            (outer.key_text(), nested.key_text()),
            (Some("a"), Some("b"))
        );
        assert_eq!(root.at("a.b").and_then(Node::scalar_text), Some("c"));
    }

    #[test]
    fn a_scalar_too_long_for_the_length_bits_is_kept_whole() {
        let long = "x".repeat(LEN_MAX + 1);
        let mut node = scalar(Cow::Borrowed(&long), Style::Plain, TagHint::Str);
        assert!(node.kind() == Kind::Spilled);
        assert_eq!(scalar_of(&node).text().len(), LEN_MAX + 1);
        assert_eq!(node.borrowed_text().map(str::len), Some(LEN_MAX + 1));
        node.set_style(Style::Block);
        let copy = node.clone();
        let s = scalar_of(&copy);
        assert_eq!(
            (s.text().len(), s.style(), s.tag()),
            (LEN_MAX + 1, Style::Block, TagHint::Str)
        );
        let owned = scalar(Cow::Owned(long.clone()), Style::Plain, TagHint::None);
        assert_eq!(owned.borrowed_text(), None);
        assert!(
            matches!(owned.clone().into_value(), Value::Scalar(s) if s.text().len() == LEN_MAX + 1)
        );
    }
}
