//! Docker's "is this argument a JSON array of strings" test, and JSON string decoding that
//! keeps a map back to the source.
//!
//! Docker (`parseJSON`) accepts the argument as exec form when the whole (trimmed) text is one
//! valid JSON value that is an array; if any element of that array is not a string, the
//! instruction is a parse error. Validation is iterative (an explicit stack), so deeply
//! nested input cannot overflow the call stack; nesting past Go's limit is not JSON.

use crate::span::{MappedText, Span};

/// Go's `encoding/json` nesting limit; deeper input is a syntax error.
const MAX_NESTING: usize = 10_000;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JsonArray {
    /// Not a JSON array (Docker then uses shell form).
    NotJson,
    /// A JSON array with an element that is not a string (a Docker parse error).
    NotStrings,
    /// Byte ranges of the string elements, quotes included.
    Strings(Vec<(usize, usize)>),
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// End of the JSON string starting at `i` (which holds `"`), or `None` if invalid.
fn scan_string(b: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    loop {
        match *b.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => match *b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    let hex = b.get(i + 2..i + 6)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return None;
                    }
                    i += 6;
                }
                _ => return None,
            },
            c if c < 0x20 => return None,
            _ => i += 1,
        }
    }
}

fn scan_digits(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

fn scan_number(b: &[u8], mut i: usize) -> Option<usize> {
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => i = scan_digits(b, i),
        _ => return None,
    }
    if b.get(i) == Some(&b'.') {
        let j = scan_digits(b, i + 1);
        if j == i + 1 {
            return None;
        }
        i = j;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let j = scan_digits(b, i);
        if j == i {
            return None;
        }
        i = j;
    }
    Some(i)
}

/// Classify `text` (already trimmed) the way Docker's `parseJSON` does.
pub(crate) fn json_array(text: &str) -> JsonArray {
    let b = text.as_bytes();
    let start = skip_ws(b, 0);
    if b.get(start) != Some(&b'[') {
        return JsonArray::NotJson;
    }
    match validate(b, start) {
        Some(elements) => {
            let mut strings = Vec::with_capacity(elements.len());
            for (s, e, is_string) in elements {
                if !is_string {
                    return JsonArray::NotStrings;
                }
                strings.push((s, e));
            }
            JsonArray::Strings(strings)
        }
        None => JsonArray::NotJson,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Container {
    Array,
    Object,
}

/// Validate one JSON value starting at `start` that spans the rest of `b` (trailing whitespace
/// allowed). Returns the top-level array's elements as (start, end, is_string).
fn validate(b: &[u8], start: usize) -> Option<Vec<(usize, usize, bool)>> {
    let mut stack: Vec<Container> = Vec::new();
    let mut elements = Vec::new();
    let mut i = start;
    // Expecting a value at `i`.
    'value: loop {
        i = skip_ws(b, i);
        let top_element = stack.len() == 1 && stack.last() == Some(&Container::Array);
        let value_start = i;
        match *b.get(i)? {
            b'[' | b'{' => {
                let kind = if b.get(i) == Some(&b'[') {
                    Container::Array
                } else {
                    Container::Object
                };
                if stack.len() >= MAX_NESTING {
                    return None;
                }
                if top_element {
                    elements.push((value_start, value_start, false));
                }
                stack.push(kind);
                i = skip_ws(b, i + 1);
                let close = if kind == Container::Array { b']' } else { b'}' };
                if b.get(i) == Some(&close) {
                    stack.pop();
                    i += 1;
                } else if kind == Container::Object {
                    i = object_key(b, i)?;
                    continue 'value;
                } else {
                    continue 'value;
                }
            }
            b'"' => {
                i = scan_string(b, i)?;
                if top_element {
                    elements.push((value_start, i, true));
                }
            }
            b't' | b'f' | b'n' => {
                let lit: &[u8] = match b.get(i) {
                    Some(b't') => b"true",
                    Some(b'f') => b"false",
                    _ => b"null",
                };
                if b.get(i..i + lit.len())? != lit {
                    return None;
                }
                i += lit.len();
                if top_element {
                    elements.push((value_start, i, false));
                }
            }
            _ => {
                i = scan_number(b, i)?;
                if top_element {
                    elements.push((value_start, i, false));
                }
            }
        }
        // After a value: close containers or move to the next element.
        loop {
            i = skip_ws(b, i);
            let Some(&top) = stack.last() else {
                return if i == b.len() { Some(elements) } else { None };
            };
            match (top, *b.get(i)?) {
                (_, b',') => {
                    i += 1;
                    if top == Container::Object {
                        i = object_key(b, skip_ws(b, i))?;
                    }
                    continue 'value;
                }
                (Container::Array, b']') | (Container::Object, b'}') => {
                    stack.pop();
                    i += 1;
                }
                _ => return None,
            }
        }
    }
}

/// Scan `"key" :` at `i`; returns the offset after the colon.
fn object_key(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let i = skip_ws(b, scan_string(b, i)?);
    if b.get(i) != Some(&b':') {
        return None;
    }
    Some(i + 1)
}

fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let s = std::str::from_utf8(b.get(i..i + 4)?).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// Decode the (valid) JSON string token at `range` of `src.text` into text mapped to source.
pub(crate) fn decode_string(src: &MappedText, range: (usize, usize)) -> MappedText {
    let text = src.as_str();
    let b = text.as_bytes();
    let (start, end) = range;
    let mut out = MappedText::builder();
    let mut i = start + 1;
    let stop = end.saturating_sub(1);
    let src_of = |from: usize, to: usize| src.source_span(Span::new(from, to));
    while i < stop {
        match b.get(i) {
            Some(b'\\') => {
                let esc = b.get(i + 1).copied().unwrap_or(b'\\');
                let (c, len) = match esc {
                    b'b' => ('\u{8}', 2),
                    b'f' => ('\u{c}', 2),
                    b'n' => ('\n', 2),
                    b'r' => ('\r', 2),
                    b't' => ('\t', 2),
                    b'u' => {
                        let hi = hex4(b, i + 2).unwrap_or(0xFFFD);
                        if (0xD800..0xDC00).contains(&hi)
                            && b.get(i + 6) == Some(&b'\\')
                            && b.get(i + 7) == Some(&b'u')
                        {
                            match hex4(b, i + 8) {
                                Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                    let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                    (char::from_u32(cp).unwrap_or('\u{FFFD}'), 12)
                                }
                                _ => ('\u{FFFD}', 6),
                            }
                        } else {
                            (char::from_u32(hi).unwrap_or('\u{FFFD}'), 6)
                        }
                    }
                    other => (char::from(other), 2),
                };
                out.push_char(c, src_of(i, i + len));
                i += len;
            }
            Some(_) => {
                // Copy one whole char, mapped to where it sits in the source.
                let Some(ch) = text.get(i..).and_then(|s| s.chars().next()) else {
                    break;
                };
                let len = ch.len_utf8();
                let span = src_of(i, i + len);
                if span.len() == len {
                    out.push_str(text.get(i..i + len).unwrap_or(""), span.start);
                } else {
                    out.push_char(ch, span);
                }
                i += len;
            }
            None => break,
        }
    }
    out.set_end(src.source_offset(stop));
    out.finish()
}
