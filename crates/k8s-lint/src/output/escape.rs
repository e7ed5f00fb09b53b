//! Text from the linted repository, made safe to print on a terminal or in a CI log. A file
//! name, a YAML value or a comment may hold an escape sequence that recolours or rewrites the
//! terminal, a line break that starts a forged `::error` workflow command, or a bidi override
//! that shows text in another order than it is: each such character is shown as an escape
//! (`\u{1b}`, `\n`) instead.

use std::borrow::Cow;
use std::fmt::Write as _;

/// C0 and C1 controls and DEL (all of `Cc`), line and paragraph separators, and the bidi
/// embeddings, overrides and isolates of "Trojan Source".
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        _ => out.extend(c.escape_unicode()),
    }
}

/// A name, message or label on one line: every unsafe character escaped, tab and line breaks
/// included.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One character of a source line in a snippet, where a tab is indentation (the renderer
/// expands it) and line breaks never occur (lines are split before).
pub fn push_snippet_char(out: &mut String, c: char) {
    if c != '\t' && is_unsafe(c) {
        push_escaped(out, c);
    } else {
        out.push(c);
    }
}

/// Serialised JSON with the unsafe characters that serde_json leaves as they are (DEL, C1
/// controls, separators, bidi controls) written as `\uXXXX`. They occur only inside strings,
/// where the escape means the same character: the document is the same, but a terminal that
/// shows it has nothing to act on.
pub fn json(s: String) -> String {
    let left_raw = |c: char| c > '\u{7e}' && is_unsafe(c);
    if !s.chars().any(left_raw) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if left_raw(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_or_log_would_act_on() {
        assert_eq!(text("plain `é` 日本"), "plain `é` 日本");
        assert!(matches!(text("plain"), Cow::Borrowed(_)));
        assert_eq!(
            text("a\x1b[31mb\x07\x7f\u{85}\u{9b}"),
            "a\\u{1b}[31mb\\u{7}\\u{7f}\\u{85}\\u{9b}"
        );
        assert_eq!(
            text("x\n::error file=y::forged\r\tz"),
            "x\\n::error file=y::forged\\r\\tz"
        );
        assert_eq!(
            text("\u{202e}abc\u{2066}\u{2069}\u{2028}\u{2029}"),
            "\\u{202e}abc\\u{2066}\\u{2069}\\u{2028}\\u{2029}"
        );
        let mut s = String::new();
        for c in "\ta\x1b".chars() {
            push_snippet_char(&mut s, c);
        }
        assert_eq!(s, "\ta\\u{1b}");
    }

    #[test]
    fn json_keeps_its_value() {
        let value = "a\x1b\x7f\u{9b}\u{202e}\u{2028}\nb";
        let raw = serde_json::to_string_pretty(&[value]).unwrap();
        let safe = json(raw);
        assert_eq!(safe, "[\n  \"a\\u001b\\u007f\\u009b\\u202e\\u2028\\nb\"\n]");
        let back: Vec<String> = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, [value]);
    }
}
