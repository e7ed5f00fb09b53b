//! Source files, byte spans and their 1-based line:column positions.
//!
//! Every span in the engine is a byte range into one file's text. Positions are derived from it
//! at the edge, counting columns in characters (not bytes, not UTF-16 units) so that a tab, an
//! `é` or a leading BOM each count as what a reader sees.

use std::path::{Path, PathBuf};

/// Index of a file in [`crate::Report::files`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A set of a run's files, one bit per file: the kustomize model keeps two sets that hold
/// nearly every file (a hash set of 113,000 files at 20,000 apps takes 650 KB, this 14 KB).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileSet(Vec<u64>);

impl FileSet {
    pub fn insert(&mut self, file: FileId) {
        let (word, bit) = (file.0 as usize / 64, file.0 % 64);
        if word >= self.0.len() {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << bit;
    }

    pub fn contains(&self, file: &FileId) -> bool {
        let (word, bit) = (file.0 as usize / 64, file.0 % 64);
        self.0.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }
}

/// A byte range in one file. `start <= end`, both on character boundaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span {
            file,
            start: to_u32(start),
            end: to_u32(end.max(start)),
        }
    }

    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Files are capped far below 4 GiB before parsing, so offsets fit in `u32`.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A 1-based line and a 1-based column counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Start and end (exclusive) position of a span.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub start: Position,
    pub end: Position,
}

/// A file of the linted tree. `text` is empty when the file could not be read or decoded.
///
/// Shared, not copied: a report holds the files of the run, and an editor's session makes a
/// report after every edit from files it keeps; a clone is a reference count, not a copy of
/// every path and text.
#[derive(Clone, Debug)]
pub struct SourceFile(std::sync::Arc<FileData>);

/// What a [`SourceFile`] holds (its fields are read through the file). The path and the text
/// are boxed, not a `PathBuf` and a `String`: neither grows once read, and a run holds one
/// record per file.
#[derive(Debug)]
pub struct FileData {
    /// Absolute, lexically normalised path (symlinks are kept as walked).
    pub path: Box<Path>,
    /// The path as given by the walk (see [`FileData::display`]) when it is not the end of
    /// `path`; when it is (a walk from an absolute root, or from the current directory), only
    /// where it starts in `path`: a run keeps one record per file (113,000 files at 20,000
    /// apps), and the path twice costs each a second allocation.
    display_own: Option<Box<str>>,
    display_at: u32,
    pub text: Box<str>,
    /// Built on first use: most files never have a finding to place. Boxed, so that a file
    /// without one costs a pointer, not two vectors and a word: a run holds the data of every
    /// file (100,000 files at 20,000 apps).
    lines: std::sync::OnceLock<Box<LineIndex>>,
}

impl std::ops::Deref for SourceFile {
    type Target = FileData;

    fn deref(&self) -> &FileData {
        &self.0
    }
}

impl SourceFile {
    pub fn new(path: PathBuf, display: String, text: String) -> SourceFile {
        let suffix = path
            .to_str()
            .filter(|p| p.ends_with(display.as_str()))
            .and_then(|p| u32::try_from(p.len() - display.len()).ok());
        SourceFile(std::sync::Arc::new(FileData {
            display_own: match suffix {
                Some(_) => None,
                None => Some(display.into_boxed_str()),
            },
            display_at: suffix.unwrap_or(0),
            path: path.into_boxed_path(),
            text: text.into_boxed_str(),
            lines: std::sync::OnceLock::new(),
        }))
    }
}

impl FileData {
    /// The path as given by the walk, relative to the current directory when possible, with `/`.
    pub fn display(&self) -> &str {
        match &self.display_own {
            Some(own) => own,
            // `new` kept an offset only where the path is UTF-8 and ends with the display
            // text, so the slice starts on a character boundary.
            None => self
                .path
                .to_str()
                .and_then(|p| p.get(self.display_at as usize..))
                .unwrap_or_default(),
        }
    }

    pub fn lines(&self) -> &LineIndex {
        self.lines
            .get_or_init(|| Box::new(LineIndex::new(&self.text)))
    }

    pub fn position(&self, offset: usize) -> Position {
        self.lines().position(&self.text, offset)
    }

    pub fn location(&self, span: Span) -> Location {
        Location {
            start: self.position(span.start as usize),
            end: self.position(span.end as usize),
        }
    }

    pub fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new(""))
    }
}

/// Byte offsets of line starts. `\n`, `\r\n` and a lone `\r` each end a line, as in YAML.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    starts: Vec<u32>,
    /// Byte length of a leading BOM, which is not a column.
    bom: u32,
    /// Every [`MARK`] bytes (at a character boundary): the byte offset and the characters
    /// before it. A column far into a long line (minified JSON) is then counted from the
    /// mark before it, not from the line start: rendering n findings on one 16 MiB line is
    /// not n times 16 MiB of counting.
    marks: Vec<(u32, u32)>,
}

/// Bytes between two marks of a [`LineIndex`].
const MARK: usize = 4096;

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0u32];
        let mut i = 0;
        while let Some(pos) = memchr2(b'\n', b'\r', &bytes[i..]) {
            let at = i + pos;
            i = if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') {
                at + 2
            } else {
                at + 1
            };
            starts.push(to_u32(i));
        }
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let mut marks = Vec::new();
        if text.len() > MARK {
            let (mut at, mut chars) = (0usize, 0usize);
            while at < text.len() {
                marks.push((to_u32(at), to_u32(chars)));
                let mut next = (at + MARK).min(text.len());
                while !text.is_char_boundary(next) {
                    next += 1;
                }
                chars += text[at..next].chars().count();
                at = next;
            }
        }
        LineIndex { starts, bom, marks }
    }

    /// Characters in `text[..offset]` (`offset` at a character boundary).
    fn chars_before(&self, text: &str, offset: usize) -> Option<usize> {
        let m = self.marks.partition_point(|&(b, _)| b as usize <= offset);
        let (byte, chars) = *self.marks.get(m.checked_sub(1)?)?;
        Some(chars as usize + text.get(byte as usize..offset)?.chars().count())
    }

    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s as usize <= offset) - 1;
        let mut start = self.starts[line] as usize;
        if line == 0 {
            start = start.max((self.bom as usize).min(offset));
        }
        let far = offset - start > MARK;
        let column = match (
            far,
            self.chars_before(text, offset),
            self.chars_before(text, start),
        ) {
            (true, Some(end), Some(begin)) => end - begin,
            _ => text
                .get(start..offset)
                .map_or(offset - start, |s| s.chars().count()),
        };
        Position {
            line: line + 1,
            column: column + 1,
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte range of a 1-based line, without its line break.
    pub fn line_range(&self, text: &str, line: usize) -> std::ops::Range<usize> {
        let start = self
            .starts
            .get(line - 1)
            .map_or(text.len(), |&s| s as usize);
        let mut end = self.starts.get(line).map_or(text.len(), |&s| s as usize);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        start..end
    }
}

fn memchr2(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == a || c == b)
}

/// `path.starts_with(dir)`, deciding the usual case (a byte prefix that ends at a separator)
/// without splitting both into components, which showed in every lint's profile.
pub fn within(path: &Path, dir: &Path) -> bool {
    let (p, d) = (
        path.as_os_str().as_encoded_bytes(),
        dir.as_os_str().as_encoded_bytes(),
    );
    let at_boundary = p.len() == d.len()
        || p.get(d.len())
            .is_some_and(|&b| std::path::is_separator(b as char));
    (p.starts_with(d) && at_boundary) || path.starts_with(dir)
}

/// A key whose byte order is `Path`'s order (component by component), for sorting many paths:
/// `Path::cmp` splits both paths into components at every comparison, which made sorting a
/// large walk's 100,000 paths a serial tenth of a second. Each component is written as its
/// kind, its bytes, and a 0 (which no component holds), so comparing keys compares the
/// components in turn, and a component before its extensions (`a` before `a-b`, `a/b`).
pub fn order_key(path: &Path) -> Vec<u8> {
    use std::path::Component;
    let mut key = Vec::with_capacity(path.as_os_str().len() + 8);
    for comp in path.components() {
        let (kind, bytes): (u8, &[u8]) = match comp {
            Component::Prefix(p) => (0, p.as_os_str().as_encoded_bytes()),
            Component::RootDir => (1, &[]),
            Component::CurDir => (2, &[]),
            Component::ParentDir => (3, &[]),
            Component::Normal(name) => (4, name.as_encoded_bytes()),
        };
        key.push(kind);
        key.extend_from_slice(bytes);
        key.push(0);
    }
    key
}

/// Lexically normalise a path: drop `.` components and fold `..` into its parent, without
/// touching the file system (kustomize resolves entries the same way, before any symlink).
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    // Never longer than the path given: sized once, the result keeps no regrowth slack (a
    // run keeps one of these per file and per kustomization entry).
    let mut out = PathBuf::with_capacity(path.as_os_str().len());
    for comp in path.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // Above the root there is nothing: `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The rest of the line from `offset` (a byte offset on a character boundary) in `text`: for
/// findings about a whole file or document, which point at its first line.
pub fn line_from(file: FileId, text: &str, offset: usize) -> Span {
    let end = text
        .get(offset..)
        .and_then(|rest| rest.find(['\n', '\r']))
        .map_or(text.len(), |n| offset + n);
    Span::new(file, offset, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_set_holds_what_was_inserted_and_nothing_else() {
        let mut set = FileSet::default();
        for f in [130, 0, 63, 64] {
            set.insert(FileId(f));
        }
        let held: Vec<u32> = (0..200).filter(|&f| set.contains(&FileId(f))).collect();
        assert_eq!(held, [0, 63, 64, 130]);
        assert!(!set.contains(&FileId(u32::MAX)));
    }

    #[test]
    fn a_file_shows_the_path_it_was_given_whether_or_not_its_path_ends_with_it() {
        for (path, shown) in [
            ("/r/apps/a/x.yaml", "apps/a/x.yaml"),
            ("/r/apps/a/x.yaml", "/r/apps/a/x.yaml"),
            ("/r/apps/a/x.yaml", "../r/apps/a/x.yaml"),
            ("/r/apps/a/x.yaml", "x.yaml"),
            ("/r/apps/a/x.yaml", ""),
            ("/r/ä/x.yaml", "ä/x.yaml"),
            ("/r/a", "."),
        ] {
            let file = SourceFile::new(PathBuf::from(path), shown.to_string(), String::new());
            assert_eq!(file.display(), shown, "{path} shown as {shown:?}");
        }
    }

    #[test]
    fn within_agrees_with_starts_with() {
        for (path, dir) in [
            ("/r/apps/a/x.yaml", "/r/apps/a"),
            ("/r/apps/a", "/r/apps/a"),
            ("/r/apps/ab/x.yaml", "/r/apps/a"),
            ("/r/apps/x.yaml", "/r/apps/a"),
            ("/x", "/"),
            ("/r//a/x", "/r/a"),
            ("r/a/x", "r/a"),
            ("/r/a", "/r/a/b"),
        ] {
            let (path, dir) = (Path::new(path), Path::new(dir));
            assert_eq!(
                within(path, dir),
                path.starts_with(dir),
                "{path:?} in {dir:?}"
            );
        }
    }

    fn pos(text: &str, offset: usize) -> (usize, usize) {
        let p = LineIndex::new(text).position(text, offset);
        (p.line, p.column)
    }

    #[test]
    fn columns_far_into_long_lines_count_characters() {
        // Multi-byte characters across mark boundaries, a BOM, and a second long line.
        let line: String = "aé€😀".repeat(3_000);
        let text = format!("\u{feff}{line}\nx\n{line}");
        let index = LineIndex::new(&text);
        for (offset, _) in text.char_indices().step_by(997) {
            let direct = {
                let start = text[..offset].rfind('\n').map_or(3.min(offset), |n| n + 1);
                text[start..offset].chars().count() + 1
            };
            assert_eq!(index.position(&text, offset).column, direct, "at {offset}");
        }
    }

    #[test]
    fn columns_count_characters() {
        let text = "a: é\nkey:\tvalue\n";
        assert_eq!(pos(text, text.find("value").unwrap()), (2, 6));
        assert_eq!(pos(text, 6), (2, 1));
        assert_eq!(pos("k: éé x", 8), (1, 7));
    }

    #[test]
    fn line_breaks_lf_crlf_cr() {
        for text in ["a\nb\nc", "a\r\nb\r\nc", "a\rb\rc", "a\r\nb\rc"] {
            assert_eq!(pos(text, text.rfind('c').unwrap()), (3, 1), "{text:?}");
        }
    }

    #[test]
    fn bom_is_not_a_column() {
        let text = "\u{feff}apiVersion: v1\nkind: Service\n";
        assert_eq!(pos(text, 3), (1, 1));
        assert_eq!(pos(text, text.find("v1").unwrap()), (1, 13));
        assert_eq!(pos(text, 0), (1, 1));
    }

    #[test]
    fn end_of_text() {
        assert_eq!(pos("ab\n", 3), (2, 1));
        assert_eq!(pos("", 0), (1, 1));
        assert_eq!(pos("ab", 99), (1, 3));
    }

    #[test]
    fn order_key_sorts_as_paths_do() {
        let paths = [
            "/a",
            "/a/b",
            "/a-b",
            "/a b",
            "/a/b/c",
            "/a/bc",
            "/a.b",
            "/ab",
            "/a/",
            "/a//b",
            "/a/./b",
            "/",
            "a",
            "a/b",
            "./a",
            "../a",
            "/z",
            "/A",
            "/a/-",
            "/a/\u{e9}",
        ];
        for a in paths {
            for b in paths {
                let (pa, pb) = (Path::new(a), Path::new(b));
                assert_eq!(
                    order_key(pa).cmp(&order_key(pb)),
                    pa.cmp(pb),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }

    #[test]
    fn normalize_folds_dots() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(normalize(Path::new("a/../../b")), PathBuf::from("../b"));
        assert_eq!(normalize(Path::new("../../x")), PathBuf::from("../../x"));
        assert_eq!(normalize(Path::new("/../etc")), PathBuf::from("/etc"));
    }
}
