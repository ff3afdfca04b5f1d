//! A position-preserving YAML document tree for the Kubernetes and docker-compose formats.
//!
//! Built on `saphyr-parser`'s event stream (YAML 1.2 syntax). The tree keeps, for every node,
//! its byte span in the source, its tag and anchor, and for scalars the raw source text, the
//! style, and the decoded value as a [`MappedText`] whose bytes map back to the file.
//!
//! Semantics follow what Kubernetes does with the same text (sigs.k8s.io/yaml, which decodes
//! with go-yaml v2, i.e. YAML 1.1 typing): aliases are expanded (with a budget), `<<` merge
//! keys are applied, duplicate keys are kept but reported (lookups take the last one, as the
//! non-strict decoder does), and the typing helpers ([`Node::as_bool`], [`Node::as_i64`], ...)
//! read plain scalars as go-yaml v2 resolves them.

mod builder;
mod scalar;
mod sniff;
#[cfg(test)]
mod tests;

pub use builder::{parse_range, parse_range_in, parse_stream, FileBudget};
#[doc(hidden)]
pub use scalar::ALIGN_FALLBACKS;
pub use sniff::{sniff_kinds, DocSniff};

use crate::span::{MappedText, Span};

/// Said in the message of an error that is one of [`Limits`], not a syntax error: the platform
/// might read the file, shutdownlint does not (see `rules::parse_error`).
pub const OWN_LIMIT: &str = "shutdownlint's limit";

/// Resource limits for one call of [`parse_stream`]. Exceeding one is a [`YamlError`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum nesting depth of collections.
    pub max_depth: usize,
    /// Maximum nodes in one document (including nodes created by alias expansion).
    pub max_document_nodes: usize,
    /// Maximum nodes in the whole stream.
    pub max_total_nodes: usize,
    /// Maximum nodes created by expanding aliases (and by keeping copies of anchored nodes
    /// that aliases refer to), per document. Stops "billion laughs" alias bombs.
    pub max_alias_nodes: usize,
    /// Maximum bytes of scalar text (and offset tables) copied by expanding aliases (and by
    /// keeping copies of anchored nodes that aliases refer to), per file (see [`FileBudget`]):
    /// a node count does not see that one alias of a 4 MB scalar copies 4 MB.
    pub max_alias_bytes: usize,
}

/// The defaults bound what one parse costs: a node and its parser events take about 450
/// bytes, so 250,000 nodes are about 110 MB. That is five times the largest document of the
/// real-world corpus (a 45,843-node CustomResourceDefinition, which is not even parsed), and
/// a Kubernetes object cannot be that large anyway (the API server refuses requests over
/// 3 MiB, etcd objects over 1.5 MiB).
impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 512,
            max_document_nodes: 250_000,
            max_total_nodes: 500_000,
            max_alias_nodes: 200_000,
            max_alias_bytes: 16 << 20,
        }
    }
}

/// A YAML syntax error or an exceeded limit, with the position the parser gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub span: Span,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.span.start)
    }
}

impl std::error::Error for YamlError {}

/// One document of a stream.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The document's region of the stream: from its `---` (or, without one, the end of the
    /// previous document; the start of the file for the first document) to the next
    /// document's region. So comments after a `---` (Helm's `# Source:`) belong to the
    /// document that follows, and comments after a `...` to the document before it.
    pub span: Span,
    /// Whether the document started with an explicit `---`.
    pub explicit_start: bool,
    pub root: Node,
    /// Every comment in [`Document::span`], in order.
    pub comments: Vec<Comment>,
    /// Keys that occur more than once in one mapping (explicit keys only, not merged ones).
    pub duplicates: Vec<DuplicateKey>,
}

impl Document {
    /// Full-line comments of the document that come before its content, e.g. Helm's
    /// `# Source: chart/templates/x.yaml` after the `---` of a rendered document.
    pub fn leading_comments(&self) -> impl Iterator<Item = &Comment> {
        let start = self.root.span.start;
        self.comments
            .iter()
            .filter(move |c| !c.trailing && c.span.start < start)
    }

    /// The chart template path from a Helm `# Source: <path>` comment before the content.
    pub fn helm_source(&self) -> Option<&str> {
        self.leading_comments()
            .find_map(|c| c.text.trim().strip_prefix("Source:").map(str::trim))
    }
}

/// A `#` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// From the `#` to the end of the line (line break excluded).
    pub span: Span,
    /// The text after the `#`.
    pub text: String,
    /// Whether something other than white space precedes it on its line.
    pub trailing: bool,
}

/// A key that occurs more than once in one mapping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateKey {
    pub key: String,
    /// Span of the first occurrence's key.
    pub first: Span,
    /// Span of the later occurrence's key.
    pub duplicate: Span,
}

/// A node of the tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// The node in the source, properties (`&anchor`, `!tag`) included. For a node that is a
    /// copy made for an alias, this is the span of the anchored original (see [`Node::alias`]).
    pub span: Span,
    /// The tag as written in short form (`!!str`, `!custom`), if any.
    pub tag: Option<String>,
    /// The anchor name defined on this node (`&name`), if any.
    pub anchor: Option<String>,
    /// Set on the top node of a copy made for an alias `*name`: where the alias was written.
    pub alias: Option<AliasRef>,
}

/// Where an alias was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasRef {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Scalar(Scalar),
    Mapping(Vec<Entry>),
    Sequence(Vec<Node>),
}

/// A mapping entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
    /// The entry came from a `<<` merge key (its spans point into the merged mapping).
    pub merged: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scalar {
    /// Where the scalar is written (quotes and block header included; properties excluded):
    /// [`Scalar::raw`] gives the text.
    pub raw_span: Span,
    pub style: ScalarStyle,
    /// The decoded value (quotes, escapes, folding, block indentation and chomping applied),
    /// mapped back to the source: [`Scalar::value`] is `text.text`. Kept once: a copy per
    /// scalar of the value and of the raw text cost a tenth of building the tree.
    pub text: MappedText,
}

/// go-yaml v2's boolean words (YAML 1.1), as sigs.k8s.io/yaml resolves plain scalars.
const TRUE_WORDS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
];
const FALSE_WORDS: &[&str] = &[
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
];
const NULL_WORDS: &[&str] = &["", "~", "null", "Null", "NULL"];

impl Scalar {
    /// Plain scalars are typed implicitly; quoted and block scalars are strings.
    pub fn is_plain(&self) -> bool {
        self.style == ScalarStyle::Plain
    }

    /// The decoded value (quotes, escapes, folding, block indentation and chomping applied).
    pub fn value(&self) -> &str {
        &self.text.text
    }

    /// The scalar as written in `source` (the text it was parsed from).
    pub fn raw<'s>(&self, source: &'s str) -> &'s str {
        self.raw_span.slice(source)
    }
}

/// go-yaml v2 `strconv.ParseInt(s, 0, 64)` after removing `_`: sign, then `0x`, `0o`, `0b`
/// prefixes, a leading `0` means octal, else decimal.
fn parse_go_int(s: &str) -> Option<i64> {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    let (neg, digits) = match plain.as_bytes().first() {
        Some(b'-') => (true, plain.get(1..)?),
        Some(b'+') => (false, plain.get(1..)?),
        _ => (false, plain.as_str()),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = if let Some(r) = lower.strip_prefix("0x") {
        (16, r)
    } else if let Some(r) = lower.strip_prefix("0o") {
        (8, r)
    } else if let Some(r) = lower.strip_prefix("0b") {
        (2, r)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(body, radix).ok()?;
    let v = if neg { -magnitude } else { magnitude };
    i64::try_from(v).ok()
}

/// go-yaml v2's float forms: `.inf`/`.nan` words and `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn parse_yaml_float(s: &str) -> Option<f64> {
    match s {
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    let b = plain.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_start = i;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_digits = i - int_start;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if int_digits == 0 && i == frac_start {
            return None;
        }
    } else if int_digits == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == exp_start {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    plain.parse().ok()
}

impl Node {
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_mapping(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Mapping(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_sequence(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Sequence(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_mapping(&self) -> bool {
        matches!(self.kind, NodeKind::Mapping(_))
    }

    pub fn is_sequence(&self) -> bool {
        matches!(self.kind, NodeKind::Sequence(_))
    }

    /// Where a finding about this node should point: the alias if the node was written as
    /// `*name`, else the node itself.
    pub fn report_span(&self) -> Span {
        self.alias.as_ref().map_or(self.span, |a| a.span)
    }

    /// The decoded text of any scalar (Kubernetes coerces numbers and booleans to strings for
    /// string fields), `None` for collections.
    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(Scalar::value)
    }

    /// The scalar's value mapped to the source, for analysing embedded text (shell commands).
    pub fn mapped_text(&self) -> Option<&MappedText> {
        self.as_scalar().map(|s| &s.text)
    }

    /// The scalar value if implicit typing applies to it (plain, and untagged or tagged
    /// `want`), as go-yaml resolves it.
    fn typed_value(&self, want: &str) -> Option<&str> {
        let s = self.as_scalar()?;
        match self.tag.as_deref() {
            None if s.is_plain() => Some(s.value()),
            Some(t) if t == want => Some(s.value()),
            _ => None,
        }
    }

    /// `~`, `null`, `Null`, `NULL` or empty, plain and untagged (or tagged `!!null`).
    pub fn is_null(&self) -> bool {
        self.typed_value("!!null")
            .is_some_and(|v| NULL_WORDS.contains(&v))
    }

    /// A boolean as go-yaml v2 (YAML 1.1) reads it: `true`/`false`, `yes`/`no`, `on`/`off`,
    /// `y`/`n` in lower, Title and UPPER case. Quoted scalars are strings.
    pub fn as_bool(&self) -> Option<bool> {
        let v = self.typed_value("!!bool")?;
        if TRUE_WORDS.contains(&v) {
            Some(true)
        } else if FALSE_WORDS.contains(&v) {
            Some(false)
        } else {
            None
        }
    }

    /// An integer as go-yaml v2 reads a plain scalar: optional sign, `_` separators, `0x`,
    /// `0o`, `0b`, and a leading `0` meaning octal (`0755` is 493). Quoted scalars are strings.
    pub fn as_i64(&self) -> Option<i64> {
        parse_go_int(self.typed_value("!!int")?)
    }

    /// A number as go-yaml v2 reads a plain scalar: integers, decimal floats with optional
    /// exponent, `.inf`/`.nan` forms.
    pub fn as_f64(&self) -> Option<f64> {
        let v = self
            .typed_value("!!float")
            .or_else(|| self.typed_value("!!int"))?;
        // i64 -> f64 is the intended (possibly rounding) conversion for large integers.
        #[allow(clippy::cast_precision_loss)]
        parse_go_int(v)
            .map(|i| i as f64)
            .or_else(|| parse_yaml_float(v))
    }

    /// An integer read leniently: a YAML integer, a float with an integral value (sigs.k8s.io
    /// turns YAML into JSON, so `30.0` and `3e1` reach an int field as `30`), or a quoted
    /// decimal integer (`"30"`, which the API server would reject for an int field).
    pub fn as_int_lenient(&self) -> Option<i64> {
        if let Some(i) = self.as_i64() {
            return Some(i);
        }
        if let Some(f) = self.as_f64() {
            // Exact integral floats within range only.
            #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
                return Some(f as i64);
            }
            return None;
        }
        let s = self.as_scalar()?;
        s.value().trim().parse().ok()
    }

    /// Mapping entries (empty for other nodes).
    pub fn entries(&self) -> std::slice::Iter<'_, Entry> {
        self.as_mapping().unwrap_or(&[]).iter()
    }

    /// Sequence items (empty for other nodes).
    pub fn items(&self) -> std::slice::Iter<'_, Node> {
        self.as_sequence().unwrap_or(&[]).iter()
    }

    /// The entry whose key's decoded value is `key` (the last one if the key is duplicated,
    /// as the non-strict Kubernetes decoder keeps the last).
    pub fn get_entry(&self, key: &str) -> Option<&Entry> {
        self.as_mapping()?
            .iter()
            .rev()
            .find(|e| e.key.as_scalar().is_some_and(|s| s.value() == key))
    }

    /// The value for `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|e| &e.value)
    }

    /// The span of the key `key` (findings about a field point at its key).
    pub fn key_span(&self, key: &str) -> Option<Span> {
        self.get_entry(key).map(|e| e.key.report_span())
    }

    /// Follow mapping keys: `node.get_path(&["spec", "template", "spec"])`.
    pub fn get_path(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, k| n.get(k))
    }
}
