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
}

impl DocSniff {
    fn empty(span: Span) -> Self {
        DocSniff {
            span,
            api_version: None,
            kind: None,
            has_template_syntax: false,
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
    let v = rest.trim();
    let v = match v.as_bytes().first() {
        Some(&q @ (b'"' | b'\'')) => {
            let body = &v[1..];
            let end = body.find(q as char)?;
            body[..end].to_string()
        }
        Some(_) => {
            let cut = v.find(" #").or_else(|| v.find("\t#")).unwrap_or(v.len());
            v[..cut].trim_end().to_string()
        }
        None => return None,
    };
    if v.is_empty() || v.starts_with(['|', '>', '&', '*', '!', '[', '{']) {
        return None;
    }
    Some(v)
}

/// Split a stream into documents by its `---` / `...` lines and read each one's top-level
/// `apiVersion` and `kind`. A document written in flow style (JSON) or with those keys in an
/// unusual form yields `None`: callers must then parse it to know.
pub fn sniff_kinds(text: &str) -> Vec<DocSniff> {
    let mut out: Vec<DocSniff> = Vec::new();
    let mut cur = DocSniff::empty(Span::new(0, text.len()));
    // A document is open: it has content, or started with `---` and has not ended with `...`.
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
                    // Comments after `...` belong to the earlier document.
                    last.span.end = line_start;
                    cur = DocSniff::empty(Span::new(line_start, text.len()));
                }
                open = true;
                if body.contains("{{") {
                    cur.has_template_syntax = true;
                }
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
