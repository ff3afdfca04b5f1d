//! Building the tree from saphyr-parser events.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle as SStyle, Span as SSpan, Tag};

use super::scalar;
use super::{
    AliasRef, Comment, Document, DuplicateKey, Entry, Limits, Node, NodeKind, Scalar, ScalarStyle,
    YamlError,
};
use crate::span::{MappedText, Span};

/// Parse a whole YAML stream.
pub fn parse_stream(text: &str, limits: &Limits) -> Result<Vec<Document>, YamlError> {
    parse_range(text, Span::new(0, text.len()), limits)
}

/// Parse the documents in `range` of `text` (e.g. one region found by
/// [`super::sniff_kinds`]); all spans are offsets into `text`.
pub fn parse_range(text: &str, range: Span, limits: &Limits) -> Result<Vec<Document>, YamlError> {
    parse_range_in(text, range, limits, &mut FileBudget::new(text))
}

/// What the parses of one file's regions may spend together: the text the indentation repairs
/// parse again, and the bytes aliases copy. A budget per region would let a file of many
/// regions spend it many times over.
#[derive(Clone, Debug)]
pub struct FileBudget {
    /// Characters the indentation repairs may still parse: [`MAX_PATCH_WORK`] plus the file's
    /// length.
    repair_work: usize,
    /// Bytes alias expansions copied so far (see [`Limits::max_alias_bytes`]).
    alias_bytes: usize,
}

impl FileBudget {
    /// The budget of the file `text`.
    pub fn new(text: &str) -> Self {
        FileBudget {
            repair_work: text.len().saturating_add(MAX_PATCH_WORK),
            alias_bytes: 0,
        }
    }

    /// A budget whose repairs may parse `work` characters.
    #[cfg(test)]
    pub(super) fn with_repair_work(work: usize) -> Self {
        FileBudget {
            repair_work: work,
            alias_bytes: 0,
        }
    }
}

/// [`parse_range`] for one of several regions of a file, spending `budget` (made for the
/// whole file) instead of a budget of its own.
pub fn parse_range_in(
    text: &str,
    range: Span,
    limits: &Limits,
    budget: &mut FileBudget,
) -> Result<Vec<Document>, YamlError> {
    let start = range.start.min(text.len());
    let end = range.end.min(text.len()).max(start);
    let Some(slice) = text.get(start..end) else {
        return Err(YamlError {
            message: "range does not fall on character boundaries".to_string(),
            span: Span::new(start, end),
        });
    };
    // saphyr enforces YAML 1.2's indentation rules where libyaml (and so go-yaml, which
    // Kubernetes and compose use) does not: continuation lines of quoted scalars at or left of
    // the key's column (`kubectl get -o yaml` writes those) and flow collections closed at the
    // key's column. On such an error, indent the offending lines of a copy of the text and
    // parse again; a table maps the copy's characters back to the original bytes.
    let first = collect_events(slice, limits);
    let patched = match &first {
        Ok(_) => None,
        Err((message, at)) => Some(patch_indentation(
            slice, message, *at, start, limits, budget,
        )?),
    };
    let (events, off) = match (first, &patched) {
        (Ok(events), _) => (events, Offsets::new(slice, start)),
        (Err(_), Some(p)) => {
            let off = p.offsets(start);
            match collect_events(&p.text, limits) {
                Ok(events) => (events, off),
                Err((message, at)) => {
                    return Err(YamlError {
                        message,
                        span: Span::empty(off.byte(at)),
                    })
                }
            }
        }
        (Err((message, at)), None) => {
            return Err(YamlError {
                message,
                span: Span::empty(Offsets::new(slice, start).byte(at)),
            })
        }
    };
    let mut referenced = HashSet::new();
    for (ev, _) in &events {
        if let Event::Alias(id) = ev {
            referenced.insert(*id);
        }
    }
    let mut b = Builder {
        src: text,
        off,
        limits,
        referenced,
        anchors: HashMap::new(),
        stack: Vec::new(),
        root: None,
        prev_end: start,
        doc_nodes: 0,
        total_nodes: 0,
        alias_nodes: 0,
        alias_bytes: budget.alias_bytes,
        protected: Vec::new(),
        duplicates: Vec::new(),
    };
    let mut docs: Vec<PendingDoc> = Vec::new();
    let mut current: Option<(usize, bool)> = None;
    for (ev, span) in events {
        let s = b.off.byte(span.start.index());
        let e = b.off.byte(span.end.index());
        match ev {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(explicit) => {
                current = Some((s, explicit));
                b.doc_nodes = 0;
                b.alias_nodes = 0;
                b.anchors.clear();
                b.stack.clear();
                b.root = None;
                b.prev_end = e;
            }
            Event::DocumentEnd => {
                let (doc_start, explicit) = current.take().unwrap_or((s, false));
                let written_end = text.get(s..e) == Some("...");
                let root = b.root.take().unwrap_or_else(|| empty_scalar(doc_start));
                b.duplicates.sort_by_key(|d| d.duplicate.start);
                docs.push(PendingDoc {
                    start: doc_start,
                    explicit,
                    end: if written_end { e } else { s },
                    root,
                    duplicates: std::mem::take(&mut b.duplicates),
                });
            }
            Event::Alias(id) => b.alias(id, s, e)?,
            Event::Scalar(value, style, anchor_id, tag) => {
                b.scalar(value, style, anchor_id, tag, s, e)?;
            }
            Event::SequenceStart(anchor_id, tag) => b.open(false, anchor_id, tag, s, e)?,
            Event::MappingStart(anchor_id, tag) => b.open(true, anchor_id, tag, s, e)?,
            Event::SequenceEnd | Event::MappingEnd => b.close(e)?,
        }
    }
    budget.alias_bytes = b.alias_bytes;
    b.protected.sort_unstable();
    let comments = scan_comments(text, start, end, &b.protected);
    Ok(assemble(docs, comments, start, end))
}

struct PendingDoc {
    start: usize,
    explicit: bool,
    /// End of a written `...`, else where the document's end was detected.
    end: usize,
    root: Node,
    duplicates: Vec<DuplicateKey>,
}

/// Give each document its region and its comments.
fn assemble(
    docs: Vec<PendingDoc>,
    comments: Vec<Comment>,
    start: usize,
    end: usize,
) -> Vec<Document> {
    let mut starts = Vec::with_capacity(docs.len());
    for (i, d) in docs.iter().enumerate() {
        let s = if i == 0 {
            start
        } else if d.explicit {
            d.start
        } else {
            docs.get(i - 1).map_or(d.start, |p| p.end)
        };
        starts.push(s);
    }
    let mut comments = comments.into_iter().peekable();
    let n = docs.len();
    let mut out = Vec::with_capacity(n);
    for (i, d) in docs.into_iter().enumerate() {
        let region_end = starts.get(i + 1).copied().unwrap_or(end);
        let region_start = starts.get(i).copied().unwrap_or(start);
        let mut mine = Vec::new();
        while let Some(c) = comments.peek() {
            if c.span.start < region_end || i + 1 == n {
                if let Some(c) = comments.next() {
                    mine.push(c);
                }
            } else {
                break;
            }
        }
        out.push(Document {
            span: Span::new(region_start, region_end.max(region_start)),
            explicit_start: d.explicit,
            root: d.root,
            comments: mine,
            duplicates: d.duplicates,
        });
    }
    out
}

/// Converts saphyr's character indices to byte offsets in the full text.
struct Offsets {
    base: usize,
    len: usize,
    /// Byte offset (relative) of each character, plus the length; `None` for ASCII text.
    table: Option<Vec<usize>>,
}

impl Offsets {
    fn new(slice: &str, base: usize) -> Self {
        let table = if slice.is_ascii() {
            None
        } else {
            let mut t: Vec<usize> = slice.char_indices().map(|(i, _)| i).collect();
            t.push(slice.len());
            Some(t)
        };
        Offsets {
            base,
            len: slice.len(),
            table,
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        self.base
            + match &self.table {
                None => char_index.min(self.len),
                Some(t) => t.get(char_index).copied().unwrap_or(self.len),
            }
    }
}

type Events<'a> = Vec<(Event<'a>, SSpan)>;

const MAX_INDENT_PATCHES: usize = 64;
/// Characters the indentation patches of one file may parse again before an error, in total,
/// beyond the file's own length. The densest YAML (`[1,1,1,…]`) parses at about 8 MB/s, so the
/// repairs of an 8 MiB file parse at most about 24 MB, about 3 s (the budget was 32 MiB plus four
/// times the file, per document until the eighteenth day: 32 documents of repairs took 64 s).
const MAX_PATCH_WORK: usize = 16 << 20;

/// A copy of the text with spaces inserted; `map[i]` is the original (relative) byte offset
/// of the copy's byte `i` (inserted spaces map to the byte they were inserted before).
#[derive(Clone)]
struct Patched {
    text: String,
    map: Vec<usize>,
    /// The copy never grows past this (a quote far right followed by many short lines would
    /// otherwise multiply the text).
    max_len: usize,
    /// The buffers of the previous copy, reused by the next patch (a fresh 8-bytes-per-byte
    /// map for every patch of a big document cost more in page faults than the parsing).
    spare: (String, Vec<usize>),
}

impl Patched {
    fn new(slice: &str) -> Self {
        Patched {
            text: slice.to_string(),
            map: (0..=slice.len()).collect(),
            max_len: slice.len().saturating_mul(2).saturating_add(4096),
            spare: (String::new(), Vec::new()),
        }
    }

    fn offsets(&self, base: usize) -> Offsets {
        let mut t: Vec<usize> = self
            .text
            .char_indices()
            .map(|(i, _)| self.map.get(i).copied().unwrap_or(0))
            .collect();
        t.push(self.map.last().copied().unwrap_or(0));
        Offsets {
            base,
            len: self.map.last().copied().unwrap_or(0),
            table: Some(t),
        }
    }

    /// Insert `n` spaces before each byte offset `at` of `inserts` (ascending), in one pass
    /// over the text: inserting line by line would move the whole rest of the text once per
    /// line.
    /// Returns false, changing nothing, when the copy would grow past `max_len`.
    fn insert_spaces(&mut self, inserts: &[(usize, usize)]) -> bool {
        let added: usize = inserts.iter().map(|&(_, n)| n).sum();
        if added == 0 || self.text.len().saturating_add(added) > self.max_len {
            return false;
        }
        let (mut text, mut map) = std::mem::take(&mut self.spare);
        text.clear();
        map.clear();
        text.reserve(self.text.len() + added);
        map.reserve(self.map.len() + added);
        let mut done = 0;
        for &(at, n) in inserts {
            if at < done || !self.text.is_char_boundary(at) {
                continue;
            }
            text.push_str(&self.text[done..at]);
            map.extend_from_slice(self.map.get(done..at).unwrap_or(&[]));
            let orig = self.map.get(at).copied().unwrap_or(0);
            text.extend(std::iter::repeat_n(' ', n));
            map.extend(std::iter::repeat_n(orig, n));
            done = at;
        }
        text.push_str(&self.text[done..]);
        map.extend_from_slice(self.map.get(done..).unwrap_or(&[]));
        let old_text = std::mem::replace(&mut self.text, text);
        let old_map = std::mem::replace(&mut self.map, map);
        self.spare = (old_text, old_map);
        true
    }

    fn line_start(&self, at: usize) -> usize {
        self.text
            .get(..at)
            .and_then(|t| t.rfind('\n'))
            .map_or(0, |i| i + 1)
    }

    /// Indent the lines an indentation error at character `at` complains about.
    /// Returns false when there is nothing sensible to change.
    fn indent_at(&mut self, message: &str, at: usize) -> bool {
        let Some((b, _)) =
            self.text
                .char_indices()
                .nth(at)
                .or(if at == self.text.chars().count() {
                    Some((self.text.len(), ' '))
                } else {
                    None
                })
        else {
            return false;
        };
        let bytes = self.text.as_bytes();
        if message.contains("quoted scalar") {
            // `at` is the opening quote: indent every continuation line of the scalar as far
            // as the quote's column.
            let double = match bytes.get(b) {
                Some(b'"') => true,
                Some(b'\'') => false,
                _ => return false,
            };
            let Some((_, end)) = scalar::decode_quoted(&self.text, b, double) else {
                return false;
            };
            let col = b - self.line_start(b);
            // Only lines at or left of the quote's column move, and only as far as one column
            // right of it: patching the same scalar twice changes nothing (and so stops).
            let inserts: Vec<(usize, usize)> = self
                .text
                .get(b..end)
                .unwrap_or("")
                .match_indices('\n')
                .map(|(i, _)| b + i + 1)
                .filter_map(|s| {
                    let indent = bytes[s..].iter().take_while(|&&c| c == b' ').count();
                    (indent <= col).then(|| (s, col + 1 - indent))
                })
                .collect();
            if inserts.is_empty() {
                return false;
            }
            self.insert_spaces(&inserts)
        } else {
            // A flow-context token left of the block indentation: move its line right of the
            // previous non-empty line's indentation.
            let ls = self.line_start(b);
            if self
                .text
                .get(ls..b)
                .is_none_or(|p| !p.bytes().all(|c| c == b' '))
            {
                return false;
            }
            let col = b - ls;
            let mut prev_indent = 0;
            let mut cur = ls;
            while cur > 0 {
                let pls = self.line_start(cur - 1);
                let line = self.text.get(pls..cur - 1).unwrap_or("");
                if !line.trim().is_empty() {
                    prev_indent = line.len() - line.trim_start_matches(' ').len();
                    break;
                }
                cur = pls;
            }
            let need = (prev_indent + 2).saturating_sub(col).max(1);
            self.insert_spaces(&[(ls, need)])
        }
    }
}

/// After an indentation error saphyr reports but libyaml would not, find the copy of the text
/// (with lines indented) that parses, or return the original error.
fn patch_indentation(
    slice: &str,
    message: &str,
    at: usize,
    base: usize,
    limits: &Limits,
    budget: &mut FileBudget,
) -> Result<Patched, YamlError> {
    let original = YamlError {
        message: message.to_string(),
        span: Span::empty(Offsets::new(slice, base).byte(at)),
    };
    let mut patched = Patched::new(slice);
    let (mut message, mut at) = (message.to_string(), at);
    // Each patch parses the copy again, up to its next error: the text parsed before those
    // errors is bounded, for the whole file (as is the copy's growth, by `Patched::max_len`),
    // so hostile input cannot make this quadratic. Quirks near the top of a big document
    // (kubectl's folded annotations) cost little.
    for _ in 0..MAX_INDENT_PATCHES {
        let fixable = message.starts_with("invalid indentation") && !message.contains("anchor");
        if !fixable && patched.text.len() > slice.len() {
            // Past the indentation quirks, a real error: report it where it is.
            return Err(YamlError {
                message,
                span: Span::empty(patched.offsets(base).byte(at)),
            });
        }
        if !(fixable && patched.indent_at(&message, at)) {
            return Err(original);
        }
        match collect_events(&patched.text, limits) {
            Ok(_) => return Ok(patched),
            Err((m, a)) => {
                // The parser stopped at character `a`: about that much was parsed.
                let Some(left) = budget.repair_work.checked_sub(a.max(1)) else {
                    return Err(original);
                };
                budget.repair_work = left;
                message = m;
                at = a;
            }
        }
    }
    Err(original)
}

/// All events, or the error message and the character index it points at.
///
/// The node limits of `limits` are checked here already (as the builder counts nodes, before
/// alias expansion): the events of a node cost more than the node, so a document of millions
/// of tiny nodes (`[1,1,1,…]` on one line) stops at the limit instead of after it was read.
fn collect_events<'a>(slice: &'a str, limits: &Limits) -> Result<Events<'a>, (String, usize)> {
    // saphyr-parser has internal `unwrap`s; a panic there must not take the caller down.
    let max_events = slice.len().saturating_mul(4).saturating_add(64);
    let result = std::panic::catch_unwind(|| {
        let mut p = Parser::new_from_str(slice);
        let mut out = Vec::new();
        let (mut document_nodes, mut total_nodes) = (0usize, 0usize);
        while let Some(r) = p.next_event() {
            match r {
                Ok(ev) => {
                    match ev.0 {
                        Event::DocumentStart(_) => document_nodes = 0,
                        Event::Scalar(..)
                        | Event::SequenceStart(..)
                        | Event::MappingStart(..)
                        | Event::Alias(_) => {
                            document_nodes += 1;
                            total_nodes += 1;
                            let at = ev.1.start.index();
                            if document_nodes > limits.max_document_nodes {
                                return Err((too_many_in_document(limits), at));
                            }
                            if total_nodes > limits.max_total_nodes {
                                return Err((too_many_in_stream(limits), at));
                            }
                        }
                        _ => {}
                    }
                    out.push(ev)
                }
                Err(e) => return Err((e.info().to_string(), e.marker().index())),
            }
            if out.len() > max_events {
                return Err(("YAML parser did not terminate".to_string(), 0));
            }
        }
        Ok(out)
    });
    match result {
        Ok(r) => r,
        Err(_) => Err(("internal error in the YAML parser".to_string(), 0)),
    }
}

/// `n` bytes as `64 MiB`, `512 KiB` or `100 bytes`.
fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 && n % (1 << 20) == 0 {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n % (1 << 10) == 0 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

fn too_many_in_document(limits: &Limits) -> String {
    format!(
        "document has more than {} nodes ({})",
        limits.max_document_nodes,
        super::OWN_LIMIT
    )
}

fn too_many_in_stream(limits: &Limits) -> String {
    format!(
        "stream has more than {} nodes ({})",
        limits.max_total_nodes,
        super::OWN_LIMIT
    )
}

enum Frame {
    Seq {
        start: usize,
        flow: bool,
        tag: Option<String>,
        anchor: Option<String>,
        anchor_id: usize,
        items: Vec<Node>,
        last_end: usize,
    },
    Map {
        start: usize,
        flow: bool,
        tag: Option<String>,
        anchor: Option<String>,
        anchor_id: usize,
        entries: Vec<Entry>,
        key: Option<Box<Node>>,
        last_end: usize,
    },
}

struct Builder<'a> {
    src: &'a str,
    off: Offsets,
    limits: &'a Limits,
    referenced: HashSet<usize>,
    /// Copies of anchored nodes that some alias refers to, with their node counts and the
    /// bytes of text they hold.
    anchors: HashMap<usize, (Node, usize, usize)>,
    stack: Vec<Frame>,
    root: Option<Node>,
    /// End of the previous event (bytes).
    prev_end: usize,
    doc_nodes: usize,
    total_nodes: usize,
    alias_nodes: usize,
    /// Bytes of text copied for aliases in the whole stream (see [`Limits::max_alias_bytes`]).
    alias_bytes: usize,
    /// Quoted and block scalars: `#` inside them is not a comment.
    protected: Vec<(usize, usize)>,
    duplicates: Vec<DuplicateKey>,
}

fn empty_scalar(at: usize) -> Node {
    Node {
        kind: NodeKind::Scalar(Scalar {
            raw_span: Span::empty(at),
            style: ScalarStyle::Plain,
            text: MappedText::contiguous("", at),
        }),
        span: Span::empty(at),
        tag: None,
        anchor: None,
        alias: None,
    }
}

fn format_tag(tag: Option<Cow<'_, Tag>>) -> Option<String> {
    let t = tag?;
    Some(match t.handle.as_str() {
        "tag:yaml.org,2002:" => format!("!!{}", t.suffix),
        "!" => format!("!{}", t.suffix),
        "" => t.suffix.clone(),
        h => format!("{h}{}", t.suffix),
    })
}

fn count_nodes(n: &Node) -> usize {
    1 + match &n.kind {
        NodeKind::Scalar(_) => 0,
        NodeKind::Sequence(items) => items.iter().map(count_nodes).sum(),
        NodeKind::Mapping(entries) => entries
            .iter()
            .map(|e| count_nodes(&e.key) + count_nodes(&e.value))
            .sum(),
    }
}

/// Heap bytes of the scalar text (and offset tables) in `n`: what a copy of it copies besides
/// its nodes.
fn count_text_bytes(n: &Node) -> usize {
    match &n.kind {
        NodeKind::Scalar(s) => s.text.heap_bytes(),
        NodeKind::Sequence(items) => items
            .iter()
            .fold(0usize, |sum, i| sum.saturating_add(count_text_bytes(i))),
        NodeKind::Mapping(entries) => entries.iter().fold(0usize, |sum, e| {
            sum.saturating_add(count_text_bytes(&e.key))
                .saturating_add(count_text_bytes(&e.value))
        }),
    }
}

fn is_flow_indicator(b: u8) -> bool {
    matches!(b, b',' | b'[' | b']' | b'{' | b'}')
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

impl Builder<'_> {
    fn err(&self, message: impl Into<String>, at: usize) -> YamlError {
        YamlError {
            message: message.into(),
            span: Span::empty(at),
        }
    }

    /// Read `&anchor` / `!tag` properties from `i`; returns the anchor name and the offset of
    /// the first byte after them (and after following white space and comments).
    fn props(&self, mut i: usize, limit: usize) -> (Option<String>, usize) {
        let bytes = self.src.as_bytes();
        let limit = limit.min(bytes.len());
        let mut anchor = None;
        loop {
            let before = i;
            while i < limit && is_blank(bytes[i]) {
                i += 1;
            }
            if i < limit && bytes[i] == b'#' && (i == 0 || is_blank(bytes[i - 1])) {
                while i < limit && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            match bytes.get(i) {
                Some(b'&') if i < limit => {
                    let s = i + 1;
                    i = s;
                    while i < limit && !is_blank(bytes[i]) && !is_flow_indicator(bytes[i]) {
                        i += 1;
                    }
                    anchor = self.src.get(s..i).map(str::to_string);
                }
                Some(b'!') if i < limit => {
                    if bytes.get(i + 1) == Some(&b'<') {
                        while i < limit && bytes[i] != b'>' {
                            i += 1;
                        }
                        i = (i + 1).min(limit);
                    } else {
                        while i < limit && !is_blank(bytes[i]) && !is_flow_indicator(bytes[i]) {
                            i += 1;
                        }
                    }
                }
                _ => {
                    return (
                        anchor,
                        if i < limit {
                            i
                        } else {
                            before.max(i.min(limit))
                        },
                    )
                }
            }
        }
    }

    fn count(&mut self, n: usize, at: usize) -> Result<(), YamlError> {
        self.doc_nodes += n;
        self.total_nodes += n;
        if self.doc_nodes > self.limits.max_document_nodes {
            return Err(self.err(too_many_in_document(self.limits), at));
        }
        if self.total_nodes > self.limits.max_total_nodes {
            return Err(self.err(too_many_in_stream(self.limits), at));
        }
        Ok(())
    }

    fn charge_alias(&mut self, n: usize, bytes: usize, at: usize) -> Result<(), YamlError> {
        self.alias_bytes = self.alias_bytes.saturating_add(bytes);
        if self.alias_bytes > self.limits.max_alias_bytes {
            return Err(self.err(
                format!(
                    "aliases expand to more than {} (alias bomb? {})",
                    human_bytes(self.limits.max_alias_bytes),
                    super::OWN_LIMIT
                ),
                at,
            ));
        }
        self.alias_nodes += n;
        if self.alias_nodes > self.limits.max_alias_nodes {
            return Err(self.err(
                format!(
                    "aliases expand to more than {} nodes (alias bomb? {})",
                    self.limits.max_alias_nodes,
                    super::OWN_LIMIT
                ),
                at,
            ));
        }
        Ok(())
    }

    /// A finished node: remember it if an alias refers to it, attach it to its parent.
    fn complete(&mut self, node: Node, anchor_id: usize) -> Result<(), YamlError> {
        let at = node.span.start;
        if anchor_id > 0 && self.referenced.contains(&anchor_id) {
            let size = count_nodes(&node);
            let bytes = count_text_bytes(&node);
            self.charge_alias(size, bytes, at)?;
            self.anchors.insert(anchor_id, (node.clone(), size, bytes));
        }
        let written_end = node.alias.as_ref().map_or(node.span.end, |a| a.span.end);
        self.prev_end = self.prev_end.max(written_end);
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq {
                items, last_end, ..
            }) => {
                *last_end = (*last_end).max(written_end);
                items.push(node);
            }
            Some(Frame::Map {
                entries,
                key,
                last_end,
                ..
            }) => {
                *last_end = (*last_end).max(written_end);
                match key.take() {
                    None => *key = Some(Box::new(node)),
                    Some(k) => entries.push(Entry {
                        key: *k,
                        value: node,
                        merged: false,
                    }),
                }
            }
        }
        Ok(())
    }

    fn alias(&mut self, id: usize, s: usize, e: usize) -> Result<(), YamlError> {
        let written = self.src.get(s..e).unwrap_or("").trim_end();
        let name = written.strip_prefix('*').unwrap_or(written).to_string();
        let span = Span::new(s, s + written.len());
        let Some((size, bytes)) = self.anchors.get(&id).map(|a| (a.1, a.2)) else {
            return Err(self.err(
                format!("alias *{name} refers to a node that contains it"),
                s,
            ));
        };
        self.charge_alias(size, bytes, s)?;
        self.count(size, s)?;
        let Some(mut copy) = self.anchors.get(&id).map(|a| a.0.clone()) else {
            return Err(self.err("unknown alias", s));
        };
        copy.alias = Some(AliasRef { name, span });
        self.complete(copy, 0)
    }

    /// `value` is the parser's decoded value: what the decoders' mapped text is checked
    /// against (the scalar keeps only that text).
    fn scalar(
        &mut self,
        value: Cow<'_, str>,
        style: SStyle,
        anchor_id: usize,
        tag: Option<Cow<'_, Tag>>,
        s: usize,
        e: usize,
    ) -> Result<(), YamlError> {
        self.count(1, s)?;
        let tag = format_tag(tag);
        let has_props = anchor_id > 0 || tag.is_some();
        let (anchor, content) = if has_props {
            self.props(s, e.max(s))
        } else {
            (None, s)
        };
        let src = self.src;
        let bytes = src.as_bytes();
        let style = match style {
            SStyle::Plain => ScalarStyle::Plain,
            SStyle::SingleQuoted => ScalarStyle::SingleQuoted,
            SStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
            SStyle::Literal => ScalarStyle::Literal,
            SStyle::Folded => ScalarStyle::Folded,
        };
        let (text, raw_start, end) = match style {
            ScalarStyle::Plain => {
                if value.is_empty() {
                    let at = if has_props { content.min(e.max(s)) } else { s };
                    let end = if has_props { at } else { s };
                    (MappedText::contiguous("", at), at, end)
                } else {
                    let (t, end) = scalar::decode_plain(src, content, e);
                    let t = if t.text == value {
                        t
                    } else {
                        scalar::align(src, content, end, &value)
                    };
                    (t, content, end)
                }
            }
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                let double = style == ScalarStyle::DoubleQuoted;
                let quote = if double { b'"' } else { b'\'' };
                let mut q = content;
                while q < e && bytes.get(q) != Some(&quote) {
                    q += 1;
                }
                match scalar::decode_quoted(src, q, double) {
                    Some((t, end)) => {
                        let t = if t.text == value {
                            t
                        } else {
                            scalar::align(src, q + 1, end.saturating_sub(1), &value)
                        };
                        self.protected.push((q, end));
                        (t, q, end)
                    }
                    None => {
                        let end = e.max(q);
                        self.protected.push((q, end));
                        (scalar::align(src, q, end, &value), q, end)
                    }
                }
            }
            ScalarStyle::Literal | ScalarStyle::Folded => {
                let from = if has_props {
                    content
                } else {
                    self.prev_end.min(s)
                };
                let h = find_block_header(bytes, from, e.max(s)).unwrap_or(s);
                let mut decoded = scalar::decode_block(src, h, e, None);
                let explicit = scalar::block_header(src, h).and_then(|hd| hd.explicit_indent);
                if explicit.is_some() && decoded.as_ref().is_none_or(|(t, _)| t.text != value) {
                    decoded = (0..=16)
                        .filter_map(|k| scalar::decode_block(src, h, e, Some(k)))
                        .find(|(t, _)| t.text == value);
                }
                let at_eof = |end: usize| !matches!(bytes.get(end), Some(b'\n' | b'\r'));
                let (t, end) = match decoded {
                    Some((t, end)) if t.text == value => (t, end),
                    // The parser's value has a line break the file does not end with: the
                    // decoded text (without it) is the value.
                    Some((t, end))
                        if at_eof(end) && value.strip_suffix('\n') == Some(t.text.as_str()) =>
                    {
                        (t, end)
                    }
                    Some((_, end)) => {
                        let body = scalar::block_header(src, h).map_or(s, |hd| hd.body);
                        (scalar::align(src, body, e, &value), end)
                    }
                    None => (scalar::align(src, s, e, &value), e),
                };
                let end = end.max(h);
                let body = scalar::block_header(src, h).map_or(h, |hd| hd.body);
                self.protected.push((body.min(end), end));
                (t, h, end)
            }
        };
        let start = s.min(raw_start);
        let node = Node {
            kind: NodeKind::Scalar(Scalar {
                raw_span: Span::new(raw_start, end.max(raw_start)),
                style,
                text,
            }),
            span: Span::new(start, end.max(start)),
            tag,
            anchor,
            alias: None,
        };
        self.complete(node, anchor_id)
    }

    fn open(
        &mut self,
        mapping: bool,
        anchor_id: usize,
        tag: Option<Cow<'_, Tag>>,
        s: usize,
        e: usize,
    ) -> Result<(), YamlError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.err(
                format!(
                    "nesting deeper than {} levels ({})",
                    self.limits.max_depth,
                    super::OWN_LIMIT
                ),
                s,
            ));
        }
        self.count(1, s)?;
        let tag = format_tag(tag);
        let anchor = if anchor_id > 0 || tag.is_some() {
            self.props(s, e.max(s)).0
        } else {
            None
        };
        let flow = e > s
            && self
                .src
                .as_bytes()
                .get(e - 1)
                .is_some_and(|&b| b == b'[' || b == b'{');
        self.prev_end = self.prev_end.max(e);
        self.stack.push(if mapping {
            Frame::Map {
                start: s,
                flow,
                tag,
                anchor,
                anchor_id,
                entries: Vec::new(),
                key: None,
                last_end: e,
            }
        } else {
            Frame::Seq {
                start: s,
                flow,
                tag,
                anchor,
                anchor_id,
                items: Vec::new(),
                last_end: e,
            }
        });
        Ok(())
    }

    fn close(&mut self, e: usize) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Err(self.err("unbalanced collection end", e));
        };
        let bytes = self.src.as_bytes();
        let (node, anchor_id) = match frame {
            Frame::Seq {
                start,
                flow,
                tag,
                anchor,
                anchor_id,
                items,
                last_end,
            } => {
                let mut start = start;
                if !flow {
                    // saphyr marks a block sequence at its first content; move to the `-`.
                    if let Some(first) = items.first() {
                        let mut p = first.report_span().start.min(start.max(first.span.start));
                        p = p.min(first.report_span().start);
                        let mut q = p;
                        while q > 0 && is_blank(bytes[q - 1]) {
                            q -= 1;
                        }
                        if q > 0 && bytes[q - 1] == b'-' {
                            start = start.min(q - 1);
                        }
                    }
                }
                let end = if flow { e } else { last_end };
                (
                    Node {
                        kind: NodeKind::Sequence(items),
                        span: Span::new(start, end.max(start)),
                        tag,
                        anchor,
                        alias: None,
                    },
                    anchor_id,
                )
            }
            Frame::Map {
                start,
                flow,
                tag,
                anchor,
                anchor_id,
                mut entries,
                key,
                last_end,
            } => {
                if let Some(k) = key {
                    // Not expected from the parser, but never lose a key.
                    let at = k.span.end;
                    entries.push(Entry {
                        key: *k,
                        value: empty_scalar(at),
                        merged: false,
                    });
                }
                self.find_duplicates(&entries);
                let entries = apply_merges(entries);
                let end = if flow { e } else { last_end };
                (
                    Node {
                        kind: NodeKind::Mapping(entries),
                        span: Span::new(start, end.max(start)),
                        tag,
                        anchor,
                        alias: None,
                    },
                    anchor_id,
                )
            }
        };
        self.complete(node, anchor_id)
    }

    fn find_duplicates(&mut self, entries: &[Entry]) {
        let keys = entries
            .iter()
            .filter(|e| !is_merge_key(&e.key))
            .filter_map(|e| e.key.as_scalar().map(|s| (s.value(), e.key.report_span())));
        if entries.len() <= 12 {
            let keys: Vec<(&str, Span)> = keys.collect();
            for (i, (k, span)) in keys.iter().enumerate() {
                if let Some((_, first)) = keys[..i].iter().find(|(p, _)| p == k) {
                    self.duplicates.push(DuplicateKey {
                        key: (*k).to_string(),
                        first: *first,
                        duplicate: *span,
                    });
                }
            }
        } else {
            let mut seen: HashMap<&str, Span> = HashMap::new();
            for (k, span) in keys {
                match seen.get(k) {
                    Some(first) => self.duplicates.push(DuplicateKey {
                        key: k.to_string(),
                        first: *first,
                        duplicate: span,
                    }),
                    None => {
                        seen.insert(k, span);
                    }
                }
            }
        }
    }
}

/// The `|` or `>` of a block scalar at or after `from` (outside comments), before `limit`.
fn find_block_header(bytes: &[u8], from: usize, limit: usize) -> Option<usize> {
    let mut i = from;
    let limit = limit.min(bytes.len());
    while i < limit {
        match bytes[i] {
            b'|' | b'>' => return Some(i),
            b'#' if i == 0 || is_blank(bytes[i - 1]) => {
                while i < limit && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// `<<` written plain (or tagged `!!merge`).
fn is_merge_key(key: &Node) -> bool {
    key.as_scalar().is_some_and(|s| {
        s.value() == "<<"
            && match key.tag.as_deref() {
                None => s.style == ScalarStyle::Plain,
                Some(t) => t == "!!merge",
            }
    })
}

/// Apply `<<` merge keys (YAML 1.1 merge type): explicit keys of the mapping win over merged
/// ones wherever they are written, and earlier merged mappings win over later ones. Merged
/// entries take the place of the `<<` entry. A `<<` whose value is not a mapping or a
/// sequence of mappings is kept as an ordinary entry.
fn apply_merges(entries: Vec<Entry>) -> Vec<Entry> {
    if !entries.iter().any(|e| is_merge_key(&e.key)) {
        return entries;
    }
    let mut seen: HashSet<String> = entries
        .iter()
        .filter(|e| !is_merge_key(&e.key))
        .filter_map(|e| e.key.as_scalar().map(|s| s.value().to_string()))
        .collect();
    let mut out = Vec::with_capacity(entries.len());
    let mut take = |out: &mut Vec<Entry>, from: Vec<Entry>| {
        for mut m in from {
            let fresh = match m.key.as_scalar() {
                Some(s) => seen.insert(s.value().to_string()),
                None => true,
            };
            if fresh {
                m.merged = true;
                out.push(m);
            }
        }
    };
    for e in entries {
        if !is_merge_key(&e.key) {
            out.push(e);
            continue;
        }
        let valid = match &e.value.kind {
            NodeKind::Mapping(_) => true,
            NodeKind::Sequence(items) => items.iter().all(Node::is_mapping),
            NodeKind::Scalar(_) => false,
        };
        if !valid {
            out.push(e);
            continue;
        }
        match e.value.kind {
            NodeKind::Mapping(m) => take(&mut out, m),
            NodeKind::Sequence(items) => {
                for item in items {
                    if let NodeKind::Mapping(m) = item.kind {
                        take(&mut out, m);
                    }
                }
            }
            NodeKind::Scalar(_) => {}
        }
    }
    out
}

/// Every `#` comment in `src[from..to]` outside quoted and block scalars.
fn scan_comments(src: &str, from: usize, to: usize, protected: &[(usize, usize)]) -> Vec<Comment> {
    let bytes = src.as_bytes();
    let to = to.min(bytes.len());
    let mut out = Vec::new();
    let mut i = from;
    if bytes.get(i..i + 3) == Some(b"\xEF\xBB\xBF") {
        i += 3;
    }
    let mut p = 0;
    let mut code_on_line = false;
    let mut prev_blank = true;
    while i < to {
        while p < protected.len() && protected[p].1 <= i {
            p += 1;
        }
        if let Some(&(ps, pe)) = protected.get(p) {
            if ps <= i && i < pe {
                i = pe;
                code_on_line = true;
                prev_blank = false;
                continue;
            }
        }
        match bytes[i] {
            b'\n' => {
                code_on_line = false;
                prev_blank = true;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => {
                prev_blank = true;
                i += 1;
            }
            b'#' if prev_blank => {
                let mut e = i;
                while e < to && bytes[e] != b'\n' {
                    e += 1;
                }
                let mut te = e;
                if te > i && bytes[te - 1] == b'\r' {
                    te -= 1;
                }
                out.push(Comment {
                    span: Span::new(i, te),
                    text: src.get(i + 1..te).unwrap_or("").to_string(),
                    trailing: code_on_line,
                });
                i = e;
            }
            _ => {
                code_on_line = true;
                prev_blank = false;
                i += 1;
            }
        }
    }
    out
}
