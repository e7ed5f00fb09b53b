//! Edits of YAML text made from spans: remove a list item or a mapping entry, add a list
//! item, each in the style the text already uses (block or flow, indentation, quoting, line
//! breaks). Where the text is not in a shape these edits know for sure (an item that shares
//! its line with something else, a key inside a flow mapping), they give no edit: a fix that
//! might break the file is no fix.

use super::Edit;
use crate::source::{FileId, Span};
use crate::yaml::{Node, Resolved, Scalar, Style, TagHint};

/// Where the line holding `offset` starts.
fn line_start(text: &str, offset: usize) -> usize {
    text[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// What precedes `offset` on its line, when that is indentation (spaces) only.
pub(crate) fn indentation(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?;
    let indent = &before[line_start(text, offset)..];
    indent.chars().all(|c| c == ' ').then_some(indent)
}

/// Just past the line break of the line holding `offset` (the end of the text on the last
/// line).
fn line_end(text: &str, offset: usize) -> usize {
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// The rest of the line after `offset` holds nothing but blanks or a comment.
fn rest_is_blank(text: &str, offset: usize) -> bool {
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let rest = text[offset..end]
        .trim_end_matches('\r')
        .trim_start_matches([' ', '\t']);
    rest.is_empty() || rest.starts_with('#')
}

/// Just past the line break that ends a node ending at `end`: a block scalar's span runs on
/// to the next line's indentation, so blanks before `end` after a line break are not its own.
/// `None` when the line holds more after the node than blanks or a comment.
fn end_of_node_lines(text: &str, end: usize) -> Option<usize> {
    let trimmed = text[..end].trim_end_matches([' ', '\t']);
    if trimmed.ends_with('\n') {
        return Some(trimmed.len());
    }
    rest_is_blank(text, end).then(|| line_end(text, end))
}

/// Delete `from..to`, unless it holds an anchor (`&name`): an alias elsewhere may use it, and
/// the file would not parse without it.
fn deletion(file: FileId, text: &str, from: usize, to: usize) -> Option<Edit> {
    let deleted = text.get(from..to)?;
    let anchor = deleted.match_indices('&').any(|(i, _)| {
        deleted[i + 1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
    });
    (!anchor).then(|| Edit::delete(Span::new(file, from, to)))
}

/// The line break the file uses.
pub(crate) fn newline(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// The node is written in flow style (`[...]`, `{...}`).
pub(crate) fn is_flow(text: &str, node: &Node<'_>) -> bool {
    matches!(
        text.as_bytes().get(node.span.start as usize),
        Some(b'[' | b'{')
    )
}

/// What precedes a block sequence item on its line: indentation and `- ` (`"  - "`), when
/// that is all that precedes it.
fn item_prefix<'t>(text: &'t str, item: &Node<'_>) -> Option<&'t str> {
    let start = item.span.start as usize;
    item_prefix_ends_at(text, start).then(|| &text[line_start(text, start)..start])
}

/// What precedes `offset` on its line is indentation and a `- `.
fn item_prefix_ends_at(text: &str, offset: usize) -> bool {
    let prefix = &text[line_start(text, offset)..offset];
    let dash = prefix.trim_start_matches([' ', '\t']);
    dash.len() > 1 && dash.starts_with('-') && dash[1..].chars().all(|c| c == ' ' || c == '\t')
}

/// Remove item `index` of a sequence: the whole line(s) of a block item (with its comment),
/// or the item and one comma of a flow sequence.
pub fn remove_item(file: FileId, text: &str, seq: &Node<'_>, index: usize) -> Option<Edit> {
    let items = seq.as_seq()?;
    let item = items.get(index)?;
    if items.iter().any(|i| i.span.file != file) || seq.span.file != file {
        return None;
    }
    let (start, end) = (item.span.start as usize, item.span.end as usize);
    if is_flow(text, seq) {
        // `[a, b, c]`: take `b, ` (or `, c` for the last item, or all of `a`).
        let (from, to) = match (items.get(index + 1), index.checked_sub(1)) {
            (Some(next), _) => (start, next.span.start as usize),
            (None, Some(prev)) => (items[prev].span.end as usize, end),
            (None, None) => (start, end),
        };
        let between = text.get(from..to)?;
        if !between.is_char_boundary(0) || text[start..end].contains('\n') {
            return None;
        }
        return deletion(file, text, from, to);
    }
    item_prefix(text, item)?;
    let to = end_of_node_lines(text, end)?;
    deletion(file, text, line_start(text, start), to)
}

/// Remove entry `index` of a block mapping: from its key's line through its value's last
/// line. A key that does not start its line (`- key: v`, a flow mapping) gives no edit.
pub fn remove_entry(file: FileId, text: &str, map: &Node<'_>, index: usize) -> Option<Edit> {
    let entry = map.as_map()?.get(index)?;
    // A kustomize build merges trees from several files: edit only where all of it is written.
    let written_here = [map.span, entry.key_span(), entry.value().span]
        .iter()
        .all(|s| s.file == file);
    if !written_here || is_flow(text, map) {
        return None;
    }
    let key = entry.key_span().start as usize;
    if !starts_line(text, key) {
        // `- host: x` then `  http: ...`: the next key moves up behind the dash, when nothing
        // (no comment) lies between.
        let next = map.as_map()?.get(index + 1)?.key_span();
        let between = text.get(key..next.start as usize)?;
        let after_dash = item_prefix_ends_at(text, key);
        return (after_dash && next.file == file && !between.contains('#'))
            .then(|| deletion(file, text, key, next.start as usize))
            .flatten();
    }
    remove_key_lines(file, text, entry.key_span(), entry.value().span)
}

/// Only indentation precedes `offset` on its line.
fn starts_line(text: &str, offset: usize) -> bool {
    text[line_start(text, offset)..offset]
        .chars()
        .all(|c| c == ' ' || c == '\t')
}

/// Remove the lines of a block mapping entry, from its key's line through its value's last
/// one, when the key starts its line and nothing follows the value on its last.
pub fn remove_key_lines(file: FileId, text: &str, key: Span, value: Span) -> Option<Edit> {
    let start = key.start as usize;
    if key.file != file || value.file != file || !starts_line(text, start) {
        return None;
    }
    let to = end_of_node_lines(text, (value.end as usize).max(key.end as usize))?;
    deletion(file, text, line_start(text, start), to)
}

/// `value` as a YAML scalar written like `like` (its quotes, if it has them), or plain when
/// that reads back as the same string.
fn scalar_like(text: &str, like: Option<&Node<'_>>, value: &str) -> String {
    let quote = like.and_then(|n| match text.as_bytes().get(n.span.start as usize) {
        Some(b'"') => Some('"'),
        Some(b'\'') => Some('\''),
        _ => None,
    });
    let plain_ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_alphanumeric() || "._/-+@~".contains(c))
        && !value.starts_with(['-', '@', '~'])
        && reads_as_string(value);
    match quote {
        Some('\'') => format!("'{}'", value.replace('\'', "''")),
        Some(_) => double_quoted(value),
        None if plain_ok => value.to_string(),
        None => double_quoted(value),
    }
}

/// A plain scalar that every YAML reader takes for this string: the 1.2 core schema (what
/// kustomize reads) and 1.1 (`yes`, `on`, `n` are booleans there).
fn reads_as_string(value: &str) -> bool {
    let scalar = Scalar::new(
        std::borrow::Cow::Borrowed(value),
        Style::Plain,
        TagHint::None,
    );
    let yaml_1_1 = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off",
        "OFF",
    ];
    matches!(scalar.resolve(), Resolved::Str(_)) && !yaml_1_1.contains(&value)
}

fn double_quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Add the string `value` to a sequence of strings, in its style: in sorted position when its
/// items are sorted, else after the last one.
pub fn add_item(file: FileId, text: &str, seq: &Node<'_>, value: &str) -> Option<Edit> {
    let items = seq.as_seq()?;
    let texts: Vec<&str> = items.iter().filter_map(|i| i.as_str()).collect();
    let sorted = texts.len() == items.len() && texts.len() > 1 && texts.is_sorted();
    let before = if sorted {
        texts.iter().position(|t| *t > value)
    } else {
        None
    };
    let like = items.last();
    let scalar = scalar_like(text, like, value);
    if is_flow(text, seq) {
        return Some(match (before, items.last()) {
            (Some(i), _) => Edit::insert(file, items[i].span.start as usize, format!("{scalar}, ")),
            (None, Some(last)) => Edit::insert(file, last.span.end as usize, format!(", {scalar}")),
            // `[]`: just inside the bracket.
            (None, None) => Edit::insert(file, seq.span.start as usize + 1, scalar),
        });
    }
    let nl = newline(text);
    match before {
        Some(i) => {
            let item = &items[i];
            let prefix = item_prefix(text, item)?;
            let at = line_start(text, item.span.start as usize);
            Some(Edit::insert(file, at, format!("{prefix}{scalar}{nl}")))
        }
        None => insert_items(file, text, seq, false, &[scalar]),
    }
}

/// Add items (each one line of YAML: `a.yaml`, `path: p.yaml`) to a block sequence, before
/// its first item or after its last, written as it writes its items.
pub fn insert_items(
    file: FileId,
    text: &str,
    seq: &Node<'_>,
    first: bool,
    bodies: &[String],
) -> Option<Edit> {
    let items = seq.as_seq()?;
    let next_to = if first { items.first()? } else { items.last()? };
    if next_to.span.file != file {
        return None;
    }
    let prefix = item_prefix(text, next_to)?;
    let nl = newline(text);
    let lines: String = bodies.iter().map(|b| format!("{prefix}{b}{nl}")).collect();
    if first {
        let at = line_start(text, next_to.span.start as usize);
        return Some(Edit::insert(file, at, lines));
    }
    let at = end_of_node_lines(text, next_to.span.end as usize)?;
    // The last line may lack its line break.
    let lead = if text[..at].ends_with('\n') { "" } else { nl };
    Some(Edit::insert(file, at, format!("{lead}{lines}")))
}

/// Indent every line a node covers by `by` more (all of its lines but the one it starts on,
/// which holds its key), for moving a block node one level down.
pub fn indent_lines(file: FileId, text: &str, node: &Node<'_>, by: &str) -> Option<Vec<Edit>> {
    if node.span.file != file || is_flow(text, node) {
        return None;
    }
    let (start, end) = (node.span.start as usize, node.span.end as usize);
    let end = end_of_node_lines(text, end)?;
    let mut edits = vec![Edit::insert(file, line_start(text, start), by)];
    let mut at = start;
    while let Some(i) = text[at..end].find('\n') {
        at += i + 1;
        if at < end {
            edits.push(Edit::insert(file, at, by));
        }
    }
    Some(edits)
}

/// Delete document `index` of a multi-document text with the `---` line that opens it (or,
/// for the first, the one that opens the next); the whole text when it is the only one. The
/// result is parsed again and must hold the other documents, unchanged in number and free of
/// new problems: a separator form these lines do not know (directives, `...`) gives no edit.
pub fn remove_document(file: FileId, text: &str, index: usize) -> Option<Edit> {
    let before = crate::yaml::parse(file, text);
    let count = before.docs.len();
    if index >= count || !before.problems.is_empty() {
        return None;
    }
    if count == 1 {
        return deletion(file, text, 0, text.len());
    }
    // Where each `---` line starts, and where the line after it starts.
    let mut separators = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let end = line_end(text, at);
        let line = text[at..end].trim_end_matches(['\n', '\r']);
        if line == "---" || line.starts_with("--- ") || line.starts_with("---\t") {
            separators.push((at, end));
        }
        at = end;
    }
    // A leading `---` opens the first document; then separator i opens document i.
    let leading = separators
        .first()
        .is_some_and(|(s, _)| text[..*s].trim().is_empty());
    let opener = |i: usize| {
        let n = if leading { Some(i) } else { i.checked_sub(1) };
        n.and_then(|n| separators.get(n).copied())
    };
    let (from, to) = if index == 0 {
        (0, opener(1)?.1)
    } else {
        let own = opener(index)?;
        (own.0, opener(index + 1).map_or(text.len(), |n| n.0))
    };
    let edit = deletion(file, text, from, to)?;
    let after = super::apply(text, std::slice::from_ref(&edit))?;
    let parsed = crate::yaml::parse(file, &after);
    (parsed.docs.len() == count - 1 && parsed.problems.is_empty()).then_some(edit)
}

/// Add `key: value` (a string) as the first entry of a block mapping, at its indentation.
pub fn add_first_key(
    file: FileId,
    text: &str,
    map: &Node<'_>,
    key: &str,
    value: &str,
) -> Option<Edit> {
    let first = map.as_map()?.first()?.key_span();
    if first.file != file || map.span.file != file || is_flow(text, map) {
        return None;
    }
    let at = first.start as usize;
    let scalar = scalar_like(text, None, value);
    if starts_line(text, at) {
        let line = line_start(text, at);
        let indent = &text[line..at];
        return Some(Edit::insert(
            file,
            line,
            format!("{indent}{key}: {scalar}{}", newline(text)),
        ));
    }
    None
}

/// Add `key:` with a one-item list holding the string `value` after the last entry of a block
/// mapping, at its entries' indentation.
pub fn add_entry(file: FileId, text: &str, map: &Node<'_>, key: &str, value: &str) -> Option<Edit> {
    let entries = map.as_map()?;
    if is_flow(text, map) {
        return None;
    }
    let (first, last) = (entries.first()?, entries.last()?);
    let key_at = first.key_span().start as usize;
    let indent = &text[line_start(text, key_at)..key_at];
    if !indent.chars().all(|c| c == ' ' || c == '\t') {
        return None;
    }
    let end = (last.value().span.end as usize).max(last.key_span().end as usize);
    let at = end_of_node_lines(text, end)?;
    let nl = newline(text);
    let lead = if text[..at].ends_with('\n') { "" } else { nl };
    let scalar = scalar_like(text, None, value);
    Some(Edit::insert(
        file,
        at,
        format!("{lead}{indent}{key}:{nl}{indent}- {scalar}{nl}"),
    ))
}

/// Remove an annotation (`entry`, of `object`'s `metadata.annotations`), and the
/// `annotations:` key with it when it was the only one.
pub fn remove_annotation(
    file: FileId,
    text: &str,
    object: &Node<'_>,
    entry: &crate::yaml::Entry<'_>,
) -> Option<Edit> {
    let metadata = object.get("metadata")?;
    let annotations = metadata.get("annotations")?;
    if annotations.as_map()?.len() == 1 {
        let key = metadata.entry("annotations")?.key_span();
        return remove_entry_at(file, text, metadata, key);
    }
    remove_entry_at(file, text, annotations, entry.key_span())
}

/// Remove the entry of `map` whose key is at `key` (see [`remove_entry`]).
pub fn remove_entry_at(file: FileId, text: &str, map: &Node<'_>, key: Span) -> Option<Edit> {
    let index = map.as_map()?.iter().position(|e| e.key_span() == key)?;
    remove_entry(file, text, map, index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::apply;

    const F: FileId = FileId(0);

    fn root(text: &str) -> Node<'_> {
        crate::yaml::parse(F, text)
            .docs
            .into_vec()
            .remove(0)
            .root
            .unwrap()
    }

    fn edited(text: &str, edit: Option<Edit>) -> String {
        apply(text, &[edit.expect("an edit")]).unwrap()
    }

    #[test]
    fn documents_go_with_their_separator() {
        let text = "a: 1\n---\nb: 2\n---\nc: 3\n";
        assert_eq!(
            edited(text, remove_document(F, text, 0)),
            "b: 2\n---\nc: 3\n"
        );
        assert_eq!(
            edited(text, remove_document(F, text, 1)),
            "a: 1\n---\nc: 3\n"
        );
        assert_eq!(
            edited(text, remove_document(F, text, 2)),
            "a: 1\n---\nb: 2\n"
        );
        let text = "---\r\na: 1\r\n--- # two\r\nb: 2\r\n";
        assert_eq!(edited(text, remove_document(F, text, 1)), "---\r\na: 1\r\n");
        assert_eq!(edited("a: 1\n", remove_document(F, "a: 1\n", 0)), "");
        assert_eq!(remove_document(F, "a: 1\n", 1), None);
    }

    #[test]
    fn an_anchor_is_never_deleted() {
        let text = "x: &v hello\ny: *v\nz: 1\n";
        let doc = root(text);
        assert_eq!(remove_entry(F, text, &doc, 0), None);
        assert!(remove_entry(F, text, &doc, 2).is_some());
    }

    #[test]
    fn block_items_go_with_their_line_and_comment() {
        let text = "resources:\r\n  - a.yaml  # first\r\n  - b.yaml\r\n";
        let doc = root(text);
        let seq = doc.get("resources").unwrap();
        assert_eq!(
            edited(text, remove_item(F, text, seq, 0)),
            "resources:\r\n  - b.yaml\r\n"
        );
        assert_eq!(
            edited(text, remove_item(F, text, seq, 1)),
            "resources:\r\n  - a.yaml  # first\r\n"
        );
    }

    #[test]
    fn flow_items_go_with_one_comma() {
        let text = "resources: [a.yaml, b.yaml, c.yaml]\n";
        let doc = root(text);
        let seq = doc.get("resources").unwrap();
        assert_eq!(
            edited(text, remove_item(F, text, seq, 0)),
            "resources: [b.yaml, c.yaml]\n"
        );
        assert_eq!(
            edited(text, remove_item(F, text, seq, 2)),
            "resources: [a.yaml, b.yaml]\n"
        );
    }

    #[test]
    fn items_are_added_in_the_list_style() {
        let text = "resources:\n\t# tabs in a comment\n  - \"a.yaml\"\n  - \"c.yaml\"\n";
        let doc = root(text);
        let seq = doc.get("resources").unwrap();
        assert_eq!(
            edited(text, add_item(F, text, seq, "b.yaml")),
            "resources:\n\t# tabs in a comment\n  - \"a.yaml\"\n  - \"b.yaml\"\n  - \"c.yaml\"\n"
        );
        let text = "resources:\n- z.yaml\n- a.yaml";
        let doc = root(text);
        let seq = doc.get("resources").unwrap();
        assert_eq!(
            edited(text, add_item(F, text, seq, "b.yaml")),
            "resources:\n- z.yaml\n- a.yaml\n- b.yaml\n"
        );
        let text = "resources: [a.yaml]\n";
        let doc = root(text);
        let seq = doc.get("resources").unwrap();
        assert_eq!(
            edited(text, add_item(F, text, seq, "b.yaml")),
            "resources: [a.yaml, b.yaml]\n"
        );
        let text = "resources: []\n";
        let doc = root(text);
        let seq = doc.get("resources").unwrap();
        assert_eq!(
            edited(text, add_item(F, text, seq, "yes")),
            "resources: [\"yes\"]\n"
        );
    }

    #[test]
    fn a_key_is_added_first_at_the_mapping_indentation() {
        let text = "spec:\r\n    rules: []\r\n";
        let doc = root(text);
        let spec = doc.get("spec").unwrap();
        assert_eq!(
            edited(
                text,
                add_first_key(F, text, spec, "ingressClassName", "tailscale")
            ),
            "spec:\r\n    ingressClassName: tailscale\r\n    rules: []\r\n"
        );
        let text = "spec: {rules: []}\n";
        let doc = root(text);
        assert_eq!(
            add_first_key(F, text, doc.get("spec").unwrap(), "a", "b"),
            None
        );
    }

    #[test]
    fn a_missing_list_is_added_after_the_last_entry() {
        let text = "kind: Kustomization\r\nnamespace: shop # here";
        let doc = root(text);
        assert_eq!(
            edited(text, add_entry(F, text, &doc, "resources", "ingress.yaml")),
            "kind: Kustomization\r\nnamespace: shop # here\r\nresources:\r\n- ingress.yaml\r\n"
        );
    }

    #[test]
    fn entries_go_with_their_lines() {
        let text =
            "metadata:\n  annotations:\n    a: \"1\"\n    b: |\n      two\n      lines\n    c: 3\n";
        let doc = root(text);
        let map = doc.at("metadata.annotations").unwrap();
        assert_eq!(
            edited(text, remove_entry(F, text, map, 1)),
            "metadata:\n  annotations:\n    a: \"1\"\n    c: 3\n"
        );
        let text = "items:\n  - a: 1\n    b: 2\n";
        let doc = root(text);
        let map = doc.get("items").unwrap().idx(0).unwrap();
        assert_eq!(
            edited(text, remove_entry(F, text, map, 0)),
            "items:\n  - b: 2\n",
            "the next key moves up behind the dash"
        );
        assert!(remove_entry(F, text, map, 1).is_some());
        let text = "items:\n  - a: 1\n    # about b\n    b: 2\n  - c: 3\n";
        let doc = root(text);
        let items = doc.get("items").unwrap();
        let first = items.idx(0).unwrap();
        assert_eq!(remove_entry(F, text, first, 0), None, "a comment between");
        let only = items.idx(1).unwrap();
        assert_eq!(remove_entry(F, text, only, 0), None, "the only key");
    }
}
