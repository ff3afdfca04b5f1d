//! Decoding of scalar source text into its value, keeping a map from every decoded byte back to
//! the source bytes it came from.
//!
//! saphyr decodes scalars too, but without positions. These decoders re-read the source; the
//! caller compares their text with saphyr's value and falls back to [`align`] when they differ,
//! so the decoded value is always saphyr's.

use crate::span::{MappedText, MappedTextBuilder, Span};

/// How often the decoders disagreed with saphyr and [`align`] was used (diagnostics only).
#[doc(hidden)]
pub static ALIGN_FALLBACKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The byte at `i`, or 0 past the end.
fn at(src: &[u8], i: usize) -> u8 {
    src.get(i).copied().unwrap_or(0)
}

/// If a line break starts at `i`, its end (`\n` or `\r\n`).
fn line_break(src: &[u8], i: usize) -> Option<usize> {
    match at(src, i) {
        b'\n' => Some(i + 1),
        b'\r' if at(src, i + 1) == b'\n' => Some(i + 2),
        b'\r' => Some(i + 1),
        _ => None,
    }
}

fn push_slice(b: &mut MappedTextBuilder, src: &str, start: usize, end: usize) {
    if let Some(s) = src.get(start..end) {
        b.push_str(s, start);
    }
}

/// A plain scalar `src[start..end]` (saphyr's span), folded as YAML folds plain scalars.
pub(super) fn decode_plain(src: &str, start: usize, end: usize) -> (MappedText, usize) {
    let bytes = src.as_bytes();
    let mut end = end.min(src.len());
    while end > start && matches!(at(bytes, end - 1), b' ' | b'\t' | b'\r' | b'\n') {
        end -= 1;
    }
    let Some(slice) = src.get(start..end) else {
        return (MappedText::contiguous("", start), start);
    };
    if !slice.contains('\n') && !slice.contains('\r') {
        return (MappedText::contiguous(slice, start), end);
    }
    let mut b = MappedText::builder();
    let mut i = start;
    let mut first = true;
    // Break span after the last content line, and breaks of empty lines seen since.
    let mut prev_break: Option<Span> = None;
    let mut empties: Vec<Span> = Vec::new();
    while i < end {
        let mut ls = i;
        let mut le = i;
        while le < end && line_break(bytes, le).is_none() {
            le += 1;
        }
        let brk_end = line_break(bytes, le).unwrap_or(le);
        let brk = Span::new(le, brk_end);
        if !first {
            while ls < le && is_ws(at(bytes, ls)) {
                ls += 1;
            }
        }
        let mut ce = le;
        while ce > ls && is_ws(at(bytes, ce - 1)) {
            ce -= 1;
        }
        if ls == ce && !first {
            empties.push(brk);
        } else {
            if let Some(pb) = prev_break.take() {
                if empties.is_empty() {
                    b.push_char(' ', pb);
                } else {
                    for e in empties.drain(..) {
                        b.push_char('\n', e);
                    }
                }
            }
            push_slice(&mut b, src, ls, ce);
            prev_break = Some(brk);
            first = false;
        }
        i = brk_end.max(le + 1);
    }
    b.set_end(end);
    (b.finish(), end)
}

/// Folding inside quoted scalars: at a line break at `i`, skip the break, count empty lines and
/// the next line's leading white space; push one space or the empty lines' line feeds.
/// Returns the position of the next content byte.
fn fold_quoted(bytes: &[u8], b: &mut MappedTextBuilder, i: usize, limit: usize) -> usize {
    let first_break_end = line_break(bytes, i).unwrap_or(i + 1);
    let first = Span::new(i, first_break_end);
    let mut j = first_break_end;
    let mut empties: Vec<Span> = Vec::new();
    loop {
        while j < limit && is_ws(at(bytes, j)) {
            j += 1;
        }
        match line_break(bytes, j) {
            Some(e) if j < limit => {
                empties.push(Span::new(j, e));
                j = e;
            }
            _ => break,
        }
    }
    if empties.is_empty() {
        b.push_char(' ', first);
    } else {
        for e in empties {
            b.push_char('\n', e);
        }
    }
    j
}

/// A single- or double-quoted scalar whose opening quote is at `q`.
/// Returns the decoded text and the offset just past the closing quote.
pub(super) fn decode_quoted(src: &str, q: usize, double: bool) -> Option<(MappedText, usize)> {
    let bytes = src.as_bytes();
    let quote = if double { b'"' } else { b'\'' };
    if at(bytes, q) != quote {
        return None;
    }
    let limit = src.len();
    // Fast path: one line, no escapes.
    let mut k = q + 1;
    while k < limit {
        let c = bytes[k];
        if c == quote || c == b'\n' || c == b'\r' || (double && c == b'\\') {
            break;
        }
        k += 1;
    }
    if at(bytes, k) == quote && (double || at(bytes, k + 1) != b'\'') {
        let s = src.get(q + 1..k)?;
        return Some((MappedText::contiguous(s, q + 1), k + 1));
    }

    let mut b = MappedText::builder();
    let mut i = q + 1;
    // Pending white space (dropped if a line break follows).
    let mut ws_start: Option<usize> = None;
    loop {
        if i >= limit {
            return None;
        }
        let c = bytes[i];
        if is_ws(c) {
            if ws_start.is_none() {
                ws_start = Some(i);
            }
            i += 1;
            continue;
        }
        if c == b'\n' || c == b'\r' {
            ws_start = None;
            i = fold_quoted(bytes, &mut b, i, limit);
            continue;
        }
        if let Some(ws) = ws_start.take() {
            push_slice(&mut b, src, ws, i);
        }
        if c == quote {
            if !double && at(bytes, i + 1) == b'\'' {
                b.push_char('\'', Span::new(i, i + 2));
                i += 2;
                continue;
            }
            b.set_end(i);
            return Some((b.finish(), i + 1));
        }
        if double && c == b'\\' {
            let e = at(bytes, i + 1);
            if let Some(brk_end) = line_break(bytes, i + 1) {
                // Escaped line break: joined without a space; leading white space of the
                // next line dropped; empty lines after it are line feeds.
                let mut j = brk_end;
                loop {
                    while j < limit && is_ws(at(bytes, j)) {
                        j += 1;
                    }
                    match line_break(bytes, j) {
                        Some(end) if j < limit => {
                            b.push_char('\n', Span::new(j, end));
                            j = end;
                        }
                        _ => break,
                    }
                }
                i = j;
                continue;
            }
            let simple = match e {
                b'0' => Some('\0'),
                b'a' => Some('\x07'),
                b'b' => Some('\x08'),
                b't' | b'\t' => Some('\t'),
                b'n' => Some('\n'),
                b'v' => Some('\x0b'),
                b'f' => Some('\x0c'),
                b'r' => Some('\r'),
                b'e' => Some('\x1b'),
                b' ' => Some(' '),
                b'"' => Some('"'),
                b'/' => Some('/'),
                b'\\' => Some('\\'),
                b'N' => Some('\u{85}'),
                b'_' => Some('\u{a0}'),
                b'L' => Some('\u{2028}'),
                b'P' => Some('\u{2029}'),
                _ => None,
            };
            if let Some(ch) = simple {
                b.push_char(ch, Span::new(i, i + 2));
                i += 2;
                continue;
            }
            let digits = match e {
                b'x' => 2,
                b'u' => 4,
                b'U' => 8,
                _ => return None,
            };
            let hex = src.get(i + 2..i + 2 + digits)?;
            let code = u32::from_str_radix(hex, 16).ok()?;
            let ch = char::from_u32(code)?;
            b.push_char(ch, Span::new(i, i + 2 + digits));
            i += 2 + digits;
            continue;
        }
        // Ordinary content: copy through to the next special byte.
        let mut j = i + 1;
        while j < limit {
            let d = bytes[j];
            if d == quote || is_ws(d) || d == b'\n' || d == b'\r' || (double && d == b'\\') {
                break;
            }
            j += 1;
        }
        push_slice(&mut b, src, i, j);
        i = j;
    }
}

/// Parsed header of a block scalar.
pub(super) struct BlockHeader {
    pub literal: bool,
    /// `Some(true)` keep (`+`), `Some(false)` strip (`-`), `None` clip.
    pub keep: Option<bool>,
    pub explicit_indent: Option<usize>,
    /// Offset of the first byte after the header line.
    pub body: usize,
}

pub(super) fn block_header(src: &str, h: usize) -> Option<BlockHeader> {
    let bytes = src.as_bytes();
    let literal = match at(bytes, h) {
        b'|' => true,
        b'>' => false,
        _ => return None,
    };
    let mut i = h + 1;
    let mut keep = None;
    let mut explicit_indent = None;
    for _ in 0..2 {
        match at(bytes, i) {
            b'+' if keep.is_none() => keep = Some(true),
            b'-' if keep.is_none() => keep = Some(false),
            d @ b'1'..=b'9' if explicit_indent.is_none() => {
                explicit_indent = Some(usize::from(d - b'0'))
            }
            _ => break,
        }
        i += 1;
    }
    while is_ws(at(bytes, i)) {
        i += 1;
    }
    if at(bytes, i) == b'#' {
        while i < bytes.len() && line_break(bytes, i).is_none() {
            i += 1;
        }
    }
    let body = if i >= bytes.len() {
        bytes.len()
    } else {
        line_break(bytes, i)?
    };
    Some(BlockHeader {
        literal,
        keep,
        explicit_indent,
        body,
    })
}

struct Line {
    start: usize,
    /// End of the line's text (before `\r\n`).
    end: usize,
    /// Leading spaces.
    spaces: usize,
    /// The line break (empty at the end of the input).
    brk: Span,
}

/// The lines of a block scalar body from `body` to the first line starting at or after `bound`.
fn body_lines(src: &str, body: usize, bound: usize) -> Vec<Line> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = body;
    let bound = bound.min(src.len());
    while i < bound {
        let mut e = i;
        while e < bytes.len() && !matches!(bytes[e], b'\n' | b'\r') {
            e += 1;
        }
        let brk_end = line_break(bytes, e).unwrap_or(e);
        let mut s = 0;
        while at(bytes, i + s) == b' ' && i + s < e {
            s += 1;
        }
        out.push(Line {
            start: i,
            end: e,
            spaces: s,
            brk: Span::new(e, brk_end),
        });
        if brk_end == e {
            break;
        }
        i = brk_end;
    }
    out
}

fn is_blank_line(src: &str, l: &Line) -> bool {
    src.as_bytes()
        .get(l.start..l.end)
        .is_some_and(|s| s.iter().all(|&c| is_ws(c)))
}

fn is_doc_marker(src: &str, l: &Line) -> bool {
    let bytes = src.as_bytes();
    let s = bytes.get(l.start..l.end).unwrap_or(&[]);
    (s.starts_with(b"---") || s.starts_with(b"...")) && s.get(3).is_none_or(|&c| is_ws(c))
}

/// A block scalar whose header (`|` or `>`) is at `h`; lines are read up to `bound` (saphyr's
/// end of the scalar). `indent` forces the content indentation (for explicit indentation
/// indicators, whose base the caller does not know). Returns the text and the end of the last
/// content line.
pub(super) fn decode_block(
    src: &str,
    h: usize,
    bound: usize,
    indent: Option<usize>,
) -> Option<(MappedText, usize)> {
    let header = block_header(src, h)?;
    let lines = body_lines(src, header.body, bound);
    let k = match indent {
        Some(k) => k,
        None => lines
            .iter()
            .find(|l| !is_blank_line(src, l))
            .map_or(0, |l| l.spaces),
    };
    // Which lines belong to the scalar, and the last one with content.
    let mut n = 0;
    let mut last_content: Option<usize> = None;
    for (idx, l) in lines.iter().enumerate() {
        let blank = is_blank_line(src, l);
        if !blank && (l.spaces < k || (l.spaces == 0 && is_doc_marker(src, l))) {
            break;
        }
        n = idx + 1;
        if !blank || l.end - l.start > k {
            last_content = Some(idx);
        }
    }
    let lines = &lines[..n];
    let mut b = MappedText::builder();
    let text_of = |l: &Line| (l.start + k.min(l.end - l.start), l.end);
    let content_end = match last_content {
        Some(i) => lines.get(i).map_or(header.body, |l| l.end),
        // No content: the scalar ends with its header line (before its line break, or at the
        // end of the input, which may follow a multi-byte character).
        None => {
            let brk = matches!(
                header.body.checked_sub(1).map(|i| at(src.as_bytes(), i)),
                Some(b'\n' | b'\r')
            );
            (if brk { header.body - 1 } else { header.body }).max(h + 1)
        }
    };
    if let Some(last) = last_content {
        if header.literal {
            for (idx, l) in lines.iter().enumerate().take(last + 1) {
                let (s, e) = text_of(l);
                push_slice(&mut b, src, s, e);
                if idx < last {
                    b.push_char('\n', l.brk);
                }
            }
        } else {
            // Folded: fold breaks between two non-indented text lines.
            let mut prev: Option<(&Line, bool)> = None;
            let mut empties: Vec<Span> = Vec::new();
            for l in lines.iter().take(last + 1) {
                let (s, e) = text_of(l);
                let blank_empty = s >= e && l.spaces <= k;
                if blank_empty {
                    empties.push(l.brk);
                    continue;
                }
                let spaced = is_ws(at(src.as_bytes(), s));
                match prev {
                    None => {
                        for e in empties.drain(..) {
                            b.push_char('\n', e);
                        }
                    }
                    Some((p, p_spaced)) => {
                        if p_spaced || spaced {
                            b.push_char('\n', p.brk);
                            for e in empties.drain(..) {
                                b.push_char('\n', e);
                            }
                        } else if empties.is_empty() {
                            b.push_char(' ', p.brk);
                        } else {
                            for e in empties.drain(..) {
                                b.push_char('\n', e);
                            }
                        }
                    }
                }
                push_slice(&mut b, src, s, e);
                prev = Some((l, spaced));
            }
        }
        // Chomping.
        let last_line = &lines[last];
        // A last line without a line break (end of input) gets none, as in libyaml and
        // go-yaml (saphyr adds one; the caller prefers this decoder in that case).
        match header.keep {
            Some(false) => {}
            None if last_line.brk.is_empty() => {}
            None => b.push_char('\n', last_line.brk),
            Some(true) if last_line.brk.is_empty() => {}
            Some(true) => {
                b.push_char('\n', last_line.brk);
                for l in &lines[last + 1..] {
                    if !l.brk.is_empty() {
                        b.push_char('\n', l.brk);
                    }
                }
            }
        }
    } else if header.keep == Some(true) {
        for l in lines {
            if !l.brk.is_empty() {
                b.push_char('\n', l.brk);
            }
        }
    }
    b.set_end(content_end);
    Some((b.finish(), content_end))
}

/// Fallback: map `value` onto `src[start..end]` by matching characters in order (decoded
/// characters not found nearby, e.g. escapes the decoders did not expect, map to the current
/// position). The result's text is exactly `value`.
pub(super) fn align(src: &str, start: usize, end: usize, value: &str) -> MappedText {
    ALIGN_FALLBACKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let region = src.get(start..end.min(src.len())).unwrap_or("");
    if region == value {
        return MappedText::contiguous(value, start);
    }
    let mut b = MappedText::builder();
    let mut pos = 0usize; // byte offset into region
    for ch in value.chars() {
        let rest = region.get(pos..).unwrap_or("");
        let found = rest
            .char_indices()
            .take(16)
            .find(|&(_, c)| c == ch)
            .map(|(o, c)| (o, c.len_utf8()));
        match found {
            Some((o, len)) => {
                let s = start + pos + o;
                b.push_char(ch, Span::new(s, s + len));
                pos += o + len;
            }
            None => {
                let s = start + pos;
                let next = rest.chars().next().map_or(0, char::len_utf8);
                b.push_char(ch, Span::new(s, s + next));
                pos += next;
            }
        }
    }
    b.set_end(end);
    b.finish()
}
