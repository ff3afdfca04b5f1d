//! A cheap line scan that finds each document's top-level `apiVersion` and `kind` without
//! parsing, so callers can skip documents no rule reads.

use crate::span::Span;

/// What a line scan found out about one document of a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocSniff {
    /// The document's region, split at `---` / `...` lines the way [`super::parse_stream`]
    /// assigns regions, so it can be handed to [`super::parse_range`].
    pub span: Span,
    /// Value of a top-level (column 0) `apiVersion:` line (the last one, as the
    /// non-strict Kubernetes decoder keeps the last duplicate).
    pub api_version: Option<String>,
    /// Value of a top-level `kind:` line. `List` means the real kinds are in `items`.
    pub kind: Option<String>,
    /// `{{` occurs in the region (an unrendered Helm/Go template: not plain YAML).
    pub has_template_syntax: bool,
    /// A line at column 0 (or the text after `---`) starts with `{` or `[`: the document is
    /// written in flow style (JSON, or `{apiVersion: v1, kind: Pod, ...}`), so a missing
    /// `kind` only means the line scan cannot tell.
    pub flow: bool,
}

impl DocSniff {
    fn empty(span: Span) -> Self {
        DocSniff {
            span,
            api_version: None,
            kind: None,
            has_template_syntax: false,
            flow: false,
        }
    }
}

/// A line that is a document marker (`---` or `...` at column 0, followed by white space or
/// the end of the line). Returns true for `---`.
fn marker(line: &str) -> Option<bool> {
    let is = |m: &str| {
        line.strip_prefix(m)
            .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t', '\r']))
    };
    if is("---") {
        Some(true)
    } else if is("...") {
        Some(false)
    } else {
        None
    }
}

/// Whether the text after a `---` marker opens a flow collection (`--- {"kind": "Pod"}`).
fn marker_opens_flow(line: &str) -> bool {
    line.get(3..)
        .is_some_and(|rest| rest.trim_start().starts_with(['{', '[']))
}

/// The value of `key: value` at column 0, key optionally quoted; quotes and trailing comment
/// removed. `None` if the line is not that key.
fn top_level_value(line: &str, key: &str) -> Option<String> {
    let rest = if let Some(r) = line.strip_prefix(key) {
        r
    } else {
        let q = line.as_bytes().first().copied()?;
        if q != b'"' && q != b'\'' {
            return None;
        }
        let inner = line.get(1..)?.strip_prefix(key)?;
        inner.strip_prefix(q as char)?
    };
    let rest = rest.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t', '\r'])) {
        return None;
    }
    let mut v = rest.trim();
    // Node properties before the value (`kind: !!str Pod`, `kind: &k Pod`) are skipped: the
    // value is still the kind. A property alone (the value on the next lines) gives none.
    while v.starts_with(['!', '&']) {
        let end = v.find([' ', '\t']).unwrap_or(v.len());
        v = v[end..].trim_start();
    }
    let v = match v.as_bytes().first() {
        Some(&q @ (b'"' | b'\'')) => {
            let body = &v[1..];
            let end = body.find(q as char)?;
            body[..end].to_string()
        }
        Some(_) => {
            let cut = if v.contains('#') {
                v.find(" #").or_else(|| v.find("\t#")).unwrap_or(v.len())
            } else {
                v.len()
            };
            v[..cut].trim_end().to_string()
        }
        None => return None,
    };
    if v.is_empty() || v.starts_with(['|', '>', '&', '*', '!', '[', '{']) {
        return None;
    }
    Some(v)
}

/// Where the next `{{` starts, searched forward once over the whole text (a `{{` never spans
/// a line break, so "this line has `{{`" is "the next `{{` starts before the line ends").
struct TemplateMarks<'t> {
    text: &'t str,
    /// Start of the next `{{` at or after the last query, or the text length when none.
    next: usize,
}

impl<'t> TemplateMarks<'t> {
    fn new(text: &'t str) -> Self {
        TemplateMarks {
            text,
            next: Self::find(text, 0),
        }
    }

    /// The start of the first `{{` at or after byte `from` (a char boundary).
    fn find(text: &str, mut from: usize) -> usize {
        let bytes = text.as_bytes();
        while let Some(at) = text.get(from..).and_then(|rest| rest.find('{')) {
            let at = from + at;
            if bytes.get(at + 1) == Some(&b'{') {
                return at;
            }
            // `{` is ASCII: the byte after it starts a character.
            from = at + 1;
        }
        text.len()
    }

    /// Whether a `{{` starts in `start..end` (line starts, ascending across calls).
    fn in_line(&mut self, start: usize, end: usize) -> bool {
        if self.next < start {
            self.next = Self::find(self.text, start);
        }
        self.next < end
    }
}

/// The start of the first line after the one that starts at `from` which does not begin with a
/// space (the text's length if there is none), eight bytes at a time: a line break whose next
/// byte is not a space.
fn next_unindented_line(bytes: &[u8], from: usize) -> usize {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    /// High bit set in exactly the bytes of `word` equal to `byte` (no carry crosses a byte).
    fn equal(word: u64, byte: u8) -> u64 {
        let x = word ^ (u64::from(byte) * 0x0101_0101_0101_0101);
        !((x & LOW7).wrapping_add(LOW7) | x | LOW7)
    }
    let mut i = from;
    let load = |at: usize| {
        bytes
            .get(at..at + 8)
            .and_then(|word| <[u8; 8]>::try_from(word).ok())
            .map(u64::from_le_bytes)
    };
    // Nine bytes are needed: the word and the byte after it.
    while let (Some(word), true) = (load(i), i + 8 < bytes.len()) {
        let breaks = equal(word, b'\n');
        if breaks != 0 {
            // The bytes after each byte of the word: shifted by one, the ninth on top.
            let after = (word >> 8) | (u64::from(bytes[i + 8]) << 56);
            let starts = breaks & !equal(after, b' ');
            if starts != 0 {
                return i + starts.trailing_zeros() as usize / 8 + 1;
            }
        }
        i += 8;
    }
    while let Some(&byte) = bytes.get(i) {
        if byte == b'\n' && bytes.get(i + 1) != Some(&b' ') {
            return i + 1;
        }
        i += 1;
    }
    bytes.len()
}

/// Split a stream into documents by its `---` / `...` lines and read each one's top-level
/// `apiVersion` and `kind`. A document written in flow style (JSON) or with those keys in an
/// unusual form yields `None`: callers must then parse it to know.
///
/// One pass over the bytes: line breaks are found eight bytes at a time, runs of indented lines
/// inside a document are passed over without being split into lines, and `{{` is searched once
/// for the whole text. This runs over every byte of every YAML file (CustomResourceDefinitions
/// of a megabyte included), so it has to cost little more than reading them.
pub fn sniff_kinds(text: &str) -> Vec<DocSniff> {
    let bytes = text.as_bytes();
    let mut out: Vec<DocSniff> = Vec::new();
    let mut cur = DocSniff::empty(Span::new(0, text.len()));
    // A document is open: it has content, or started with `---` and has not ended with `...`.
    let mut open = false;
    let mut marks = TemplateMarks::new(text);
    let mut newlines = crate::source::newlines(text);
    let mut line_start = 0;
    while line_start < bytes.len() {
        if open && bytes[line_start] == b' ' {
            // Inside a document, a line that starts with a space can only bring `{{`: pass
            // over all of them at once (most of a CustomResourceDefinition).
            let next = next_unindented_line(bytes, line_start);
            if marks.in_line(line_start, next) {
                cur.has_template_syntax = true;
            }
            line_start = next;
            newlines = crate::source::newlines_from(text, next);
            continue;
        }
        let newline = newlines.next().unwrap_or(bytes.len());
        let pos = (newline + 1).min(bytes.len());
        // The line without its line break and any `\r` before it.
        let mut body_end = newline;
        while body_end > line_start && bytes[body_end - 1] == b'\r' {
            body_end -= 1;
        }
        let mut body_start = line_start;
        if line_start == 0 {
            while text
                .get(body_start..body_end)
                .is_some_and(|b| b.starts_with('\u{feff}'))
            {
                body_start += '\u{feff}'.len_utf8();
            }
        }
        let body = text.get(body_start..body_end).unwrap_or("");
        let this_line = line_start;
        line_start = pos;
        if matches!(body.as_bytes().first(), Some(b'-' | b'.')) {
            match marker(body) {
                Some(true) => {
                    if open {
                        cur.span.end = this_line;
                        out.push(cur);
                        cur = DocSniff::empty(Span::new(this_line, text.len()));
                    } else if let Some(last) = out.last_mut() {
                        // Comments after `...` belong to the earlier document.
                        last.span.end = this_line;
                        cur = DocSniff::empty(Span::new(this_line, text.len()));
                    }
                    open = true;
                    if marks.in_line(this_line, pos) {
                        cur.has_template_syntax = true;
                    }
                    cur.flow = marker_opens_flow(body);
                    continue;
                }
                Some(false) => {
                    if open {
                        cur.span.end = pos;
                        out.push(cur);
                        cur = DocSniff::empty(Span::new(pos, text.len()));
                        open = false;
                    }
                    continue;
                }
                None => {}
            }
        }
        if marks.in_line(this_line, pos) {
            cur.has_template_syntax = true;
        }
        if !open {
            let trimmed = body.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('%') {
                continue;
            }
            open = true;
        }
        if matches!(body.as_bytes().first(), Some(b'{' | b'[')) {
            cur.flow = true;
        }
        // Only a line that starts with the key (or a quote) can be a top-level key line;
        // indented lines, comments and blank lines are skipped after one byte.
        if matches!(body.as_bytes().first(), Some(b'a' | b'k' | b'"' | b'\'')) {
            if let Some(v) = top_level_value(body, "apiVersion") {
                cur.api_version = Some(v);
            } else if let Some(v) = top_level_value(body, "kind") {
                cur.kind = Some(v);
            }
        }
    }
    if open {
        cur.span.end = text.len();
        out.push(cur);
    } else if let Some(last) = out.last_mut() {
        last.span.end = text.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan as first written (one `&str` line at a time, trimmed with the standard
    /// library): the reference that the byte-level [`sniff_kinds`] must agree with exactly.
    fn reference(text: &str) -> Vec<DocSniff> {
        let mut out: Vec<DocSniff> = Vec::new();
        let mut cur = DocSniff::empty(Span::new(0, text.len()));
        let mut open = false;
        let mut pos = 0;
        for line in text.split_inclusive('\n') {
            let line_start = pos;
            pos += line.len();
            let body = line.trim_end_matches(['\n', '\r']);
            let body = if line_start == 0 {
                body.trim_start_matches('\u{feff}')
            } else {
                body
            };
            match marker(body) {
                Some(true) => {
                    if open {
                        cur.span.end = line_start;
                        out.push(cur);
                        cur = DocSniff::empty(Span::new(line_start, text.len()));
                    } else if let Some(last) = out.last_mut() {
                        last.span.end = line_start;
                        cur = DocSniff::empty(Span::new(line_start, text.len()));
                    }
                    open = true;
                    if body.contains("{{") {
                        cur.has_template_syntax = true;
                    }
                    cur.flow = body[3..].trim_start().starts_with(['{', '[']);
                    continue;
                }
                Some(false) => {
                    if open {
                        cur.span.end = pos;
                        out.push(cur);
                        cur = DocSniff::empty(Span::new(pos, text.len()));
                        open = false;
                    }
                    continue;
                }
                None => {}
            }
            if body.contains("{{") {
                cur.has_template_syntax = true;
            }
            let trimmed = body.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('%') {
                continue;
            }
            open = true;
            if body.starts_with(['{', '[']) {
                cur.flow = true;
            }
            if let Some(v) = top_level_value(body, "apiVersion") {
                cur.api_version = Some(v);
            } else if let Some(v) = top_level_value(body, "kind") {
                cur.kind = Some(v);
            }
        }
        if open {
            cur.span.end = text.len();
            out.push(cur);
        } else if let Some(last) = out.last_mut() {
            last.span.end = text.len();
        }
        out
    }

    /// Line fragments that exercise every branch: markers with and without trailing text,
    /// BOMs, CR line ends, Unicode white space, quoted keys, comments, directives, `{{`.
    const PIECES: &[&str] = &[
        "---",
        "--- ",
        "--- {{ x }}",
        "---\t# c",
        "----",
        "...",
        "... {{",
        "....",
        "apiVersion: v1",
        "apiVersion: \"apps/v1\" # c",
        "'apiVersion': batch/v1",
        "\"kind\": Deployment",
        "kind: Service",
        "kind:Service",
        "kind: |",
        "kind: 'CronJob'",
        "kind: !!str Pod",
        "kind: &k Pod",
        "kind: !!str &k \"Pod\"",
        "kind: !!str",
        "kind: *k",
        "kind: {{ .Values.kind }}",
        "  kind: Nested",
        "\u{a0}kind: Nbsp",
        "\u{feff}kind: Bom",
        "\u{feff}\u{feff}---",
        "# comment {{",
        "  # indented comment",
        "%YAML 1.2",
        "",
        "   ",
        "\t",
        "\u{3000}",
        "metadata:",
        "  name: {{ .Release.Name }}",
        "            very: long indented value, longer than two words of eight bytes",
        " {{",
        "        - é ü ✓ {{ .x }}",
        " ",
        "  x: {",
        "{ a: b }",
        "{",
        "[1, 2]",
        "--- {\"kind\": \"Pod\"}",
        "---  [",
        " [",
        "é: ü",
        "a",
        "k",
        "\"",
        "'",
    ];
    const ENDS: &[&str] = &["\n", "\r\n", "\r", "\r\r\n", ""];

    use crate::test_rng::Rng;

    #[test]
    fn a_kind_with_node_properties_is_still_read() {
        let kind = |line: &str| {
            sniff_kinds(&format!("apiVersion: v1\n{line}\nmetadata: {{name: p}}\n"))
                .first()
                .and_then(|s| s.kind.clone())
        };
        assert_eq!(kind("kind: !!str Pod").as_deref(), Some("Pod"));
        assert_eq!(kind("kind: &k Pod # c").as_deref(), Some("Pod"));
        assert_eq!(kind("kind: !!str &k \"Pod\"").as_deref(), Some("Pod"));
        assert_eq!(kind("kind: !!str"), None);
        assert_eq!(kind("kind: &k"), None);
        assert_eq!(kind("kind: *k"), None);
    }

    #[test]
    fn agrees_with_the_reference_on_generated_streams() {
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        for _ in 0..20_000 {
            let lines = rng.below(12);
            let mut text = String::new();
            for _ in 0..lines {
                text.push_str(PIECES[rng.below(PIECES.len())]);
                text.push_str(ENDS[rng.below(ENDS.len())]);
            }
            assert_eq!(sniff_kinds(&text), reference(&text), "{text:?}");
        }
    }

    #[test]
    fn unindented_lines_are_found_at_every_offset() {
        let naive = |bytes: &[u8], from: usize| {
            (from..bytes.len())
                .find(|&i| bytes[i] == b'\n' && bytes.get(i + 1) != Some(&b' '))
                .map_or(bytes.len(), |i| i + 1)
        };
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        let alphabet = [b' ', b' ', b' ', b'\n', b'a', b'\t', 0x8a, 0x2a];
        for _ in 0..20_000 {
            let len = rng.below(40);
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect();
            for from in 0..=len {
                assert_eq!(
                    next_unindented_line(&bytes, from),
                    naive(&bytes, from),
                    "{bytes:?} from {from}"
                );
            }
        }
    }

    #[test]
    fn agrees_with_the_reference_on_the_corpus() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
        let Ok(walk) = std::fs::read_dir(&corpus) else {
            return;
        };
        let mut dirs: Vec<std::path::PathBuf> = walk.flatten().map(|e| e.path()).collect();
        let mut checked = 0;
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if let Ok(text) = std::fs::read_to_string(&path) {
                    assert_eq!(sniff_kinds(&text), reference(&text), "{}", path.display());
                    checked += 1;
                }
            }
        }
        assert!(checked > 0 || !corpus.is_dir());
    }
}
