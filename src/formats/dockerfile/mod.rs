//! Dockerfile parser with byte spans, following Docker/BuildKit's own parser
//! (`frontend/dockerfile/parser` and `instructions`).
//!
//! [`parse`] turns a Dockerfile into [`Instruction`]s (keyword, flags, logical argument text
//! mapped back to the source, heredocs, ONBUILD's inner instruction), the parser directives at
//! the top and the full-line comments. It rejects what Docker rejects before building: parser
//! errors (bad directives, JSON arrays of non-strings, ENV/LABEL syntax, unterminated heredocs,
//! a file without instructions, over-long lines) and instruction errors (unknown instructions,
//! wrong argument counts, unknown or malformed flags, bad stage names, HEALTHCHECK options,
//! instructions before the first FROM, no FROM at all).
//!
//! Docker behaviours kept on purpose:
//! * Continuation lines are joined without a separator (`a \` + `  b` gives `a   b`); comment
//!   lines and whitespace-only lines inside a continuation are skipped. A line ending in an
//!   escaped escape (`\\`) does not continue.
//! * Heredoc markers are found with BuildKit's word rules: a word `[n]<<[-]WORD` anywhere in a
//!   RUN/COPY/ADD line (also under ONBUILD) that is not JSON form, so `RUN cat <<EOF > f` is a
//!   heredoc but `cat<<EOF` and `"<<EOF"` are not. `<<\EOF` still expands (only quotes stop
//!   expansion), as in BuildKit.
//! * Exec form is chosen only when the whole argument text is a JSON array; `['a']` is shell form.
//!
//! Spans are byte offsets into the original text, BOM included.

mod checks;
mod json;
mod lex;
#[cfg(test)]
mod tests;

pub(crate) use lex::Substituted;
#[cfg(test)]
pub(crate) use lex::MAX_SUBSTITUTED;

use crate::span::{MappedText, Span};
use std::collections::HashMap;
use std::ops::Range;

/// Longest line Docker's scanner accepts (bufio.MaxScanTokenSize - 1).
const MAX_LINE: usize = 64 * 1024 - 1;

/// A parse failure, as Docker would report it, with the span where it happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub span: Span,
}

impl ParseError {
    fn new(message: impl Into<String>, span: Span) -> Self {
        ParseError {
            message: message.into(),
            span,
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (bytes {}..{})",
            self.message, self.span.start, self.span.end
        )
    }
}

impl std::error::Error for ParseError {}

/// A parser directive from the top of the file (`# syntax=...`, `# escape=...`, `# check=...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// Lower-cased key: `syntax`, `escape` or `check`.
    pub name: String,
    pub value: String,
    /// The whole comment line.
    pub span: Span,
    pub value_span: Span,
}

/// A parsed Dockerfile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dockerfile {
    pub directives: Vec<Directive>,
    /// The escape / line-continuation character: `\` unless `# escape=` says `` ` ``.
    pub escape: char,
    pub instructions: Vec<Instruction>,
    /// Full-line comments (from `#` to the end of the line), directives excluded, including
    /// comment lines skipped inside continuations; never heredoc body lines.
    pub comments: Vec<Span>,
}

/// One instruction (`RUN ...`), with its continuation lines and heredoc bodies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-cased keyword as written (unknown keywords are rejected by [`parse`], but ONBUILD's
    /// inner instruction keeps whatever it says, as Docker only checks it when triggered).
    pub keyword: String,
    pub keyword_span: Span,
    /// From the keyword to the end of the last line (continuations and heredocs included,
    /// final newline excluded).
    pub span: Span,
    /// Leading `--name[=value]` words.
    pub flags: Vec<Flag>,
    /// Logical argument text after the flags: continuations and skipped lines removed, trimmed.
    pub args: MappedText,
    /// Heredocs whose markers are on this instruction's line, in order. For `ONBUILD RUN <<EOF`
    /// they are on the inner instruction.
    pub heredocs: Vec<Heredoc>,
    /// ONBUILD's trigger instruction.
    pub onbuild: Option<Box<Instruction>>,
    /// The file's escape character (needed to read quotes and escapes in `args`).
    pub escape: char,
}

/// A `--name[=value]` flag; quotes and escapes in the word are already removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// The name without the leading `--`.
    pub name: String,
    /// `None` for `--name` without `=`.
    pub value: Option<String>,
    pub span: Span,
}

/// A heredoc (`<<EOF` ... `EOF`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    /// The terminator word, quotes removed.
    pub delimiter: String,
    /// `<<-`: leading tabs are stripped from body lines and the terminator line.
    pub strip_tabs: bool,
    /// False when the delimiter was (partly) quoted: the body is not variable-expanded.
    pub expand: bool,
    /// A file descriptor written before `<<` (`3<<EOF`), if any.
    pub fd: Option<u32>,
    /// The body as Docker sees it: every line with its line ending (CRLF kept), leading tabs
    /// removed when `strip_tabs`; the terminator line excluded.
    pub body: MappedText,
    /// The `<<EOF` word on the instruction line.
    pub marker: Span,
    /// From the first body line to the end of the terminator line (newline excluded).
    pub span: Span,
}

/// A JSON string element, decoded, with a map from each decoded byte to the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonString {
    pub text: MappedText,
    /// Quotes included.
    pub span: Span,
}

/// Exec (JSON array) or shell form of CMD, ENTRYPOINT, RUN, SHELL, HEALTHCHECK CMD, COPY, ADD
/// and VOLUME.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandForm {
    Exec { args: Vec<JsonString>, span: Span },
    Shell(MappedText),
}

/// A word of an instruction's arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The literal value: quotes removed, escapes decoded, `$VAR` references kept as written
    /// (use [`expand`] on `raw` to substitute them).
    pub value: String,
    /// The word as written (for JSON elements: the decoded string).
    pub raw: MappedText,
    pub span: Span,
}

/// A `key=value` pair of ENV, ARG or LABEL (or legacy `ENV key value`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub key: String,
    pub key_span: Span,
    /// `None` for `ARG NAME` without a default; `Some` with an empty value for `X=`.
    pub value: Option<Word>,
    /// The whole pair.
    pub span: Span,
}

/// The result of variable expansion.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Expansion {
    pub value: String,
    /// Variables that were referenced but unknown (expanded to "" or to their `${...:-default}`),
    /// in order of first use. Empty when the value is fully determined.
    pub unresolved: Vec<String>,
}

impl Expansion {
    pub fn is_resolved(&self) -> bool {
        self.unresolved.is_empty()
    }
}

/// A FROM's image (or earlier stage) reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// As written (quotes and `$VAR` kept).
    pub raw: String,
    /// After expansion with the global ARGs' defaults (unknown variables become "").
    pub expanded: Expansion,
    /// Set when the reference does not expand (bad `${...}` syntax); `expanded` is then `raw`.
    pub expand_error: Option<String>,
    pub span: Span,
    /// Index of the earlier stage this names (Docker compares the expanded name with the
    /// lower-cased names of earlier stages).
    pub stage: Option<usize>,
}

/// A build stage: a FROM and the instructions up to the next FROM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    pub index: usize,
    /// `AS name`, lower-cased as Docker does, with the span of the name word.
    pub name: Option<(String, Span)>,
    pub base: ImageRef,
    /// `--platform` value as written.
    pub platform: Option<String>,
    /// Index of the FROM instruction in [`Dockerfile::instructions`].
    pub from_instruction: usize,
    /// Instruction indices after the FROM, up to the next FROM.
    pub instructions: Range<usize>,
}

/// An ARG before the first FROM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalArg {
    pub name: String,
    pub name_span: Span,
    /// The default as written, if any.
    pub default: Option<Word>,
    /// The default expanded with the global ARGs before it (`None` without a default).
    pub value: Option<Expansion>,
    /// Index of the ARG instruction.
    pub instruction: usize,
}

/// Expand `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:+a}`, `${VAR+a}`, `${VAR:?msg}`,
/// `${VAR#pat}`, `${VAR%pat}`, `${VAR/pat/rep}` in `word` as Docker does for ENV/ARG/FROM/...:
/// quotes are removed, `escape` (the file's escape char) escapes the next char (`\$`), and
/// unknown variables expand to "" but are listed in [`Expansion::unresolved`].
pub fn expand(
    word: &str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Expansion, String> {
    let opts = lex::Options {
        escape,
        raw_quotes: false,
        raw_escapes: false,
        skip_unset: false,
    };
    let r = lex::lex(word, opts, lookup)?;
    Ok(Expansion {
        value: r.result,
        unresolved: r.unresolved,
    })
}

// ---------------------------------------------------------------------------------------------
// Lines

#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    /// End without the trailing `\r`s.
    content_end: usize,
}

fn split_lines(text: &str, first: usize) -> Result<Vec<Line>, ParseError> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = first;
    while start < bytes.len() {
        let end = bytes
            .get(start..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(bytes.len(), |p| start + p);
        if end - start > MAX_LINE {
            return Err(ParseError::new(
                format!("dockerfile line greater than max allowed size of {MAX_LINE}"),
                Span::new(start, end),
            ));
        }
        let mut content_end = end;
        while content_end > start && bytes.get(content_end - 1) == Some(&b'\r') {
            content_end -= 1;
        }
        lines.push(Line { start, content_end });
        start = end + 1;
    }
    Ok(lines)
}

fn is_go_ws_ascii(c: char) -> bool {
    // Docker's `[\t\v\f\r ]` (reWhitespace).
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

/// Strip a trailing line-continuation (escape char followed only by spaces/tabs) the way
/// Docker's `lineContinuationRegex` does. Returns the kept text and whether the line continues.
fn trim_continuation(s: &str, escape: char) -> (&str, bool) {
    let t = s.trim_end_matches([' ', '\t']);
    if let Some(before) = t.strip_suffix(escape) {
        if before.is_empty() || !before.ends_with(escape) {
            return (before, true);
        }
    }
    (s, false)
}

/// `# key=value` directive match (Docker's `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` after `#`).
/// Returns (key, value start, value end) relative to `s`, which starts with `#`.
fn match_directive(s: &str) -> Option<(String, usize, usize)> {
    let rest = s.strip_prefix('#')?;
    let lead = rest.len() - rest.trim_start().len();
    let body_off = 1 + lead;
    let body = rest.get(lead..)?;
    let is_re_space = |c: char| matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ');
    let mut chars = body.char_indices();
    let (_, first) = chars.next()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let key_end = body
        .char_indices()
        .find(|&(_, c)| !c.is_ascii_alphanumeric())
        .map_or(body.len(), |(i, _)| i);
    let key = body.get(..key_end)?.to_string();
    let after_key = body.get(key_end..)?;
    let eq_rel = after_key.len() - after_key.trim_start_matches(is_re_space).len();
    let after_eq = after_key.get(eq_rel..)?.strip_prefix('=')?;
    if after_eq.is_empty() {
        return None;
    }
    let value_off = body_off + key_end + eq_rel + 1;
    let lead_ws = after_eq.len() - after_eq.trim_start_matches(is_re_space).len();
    let trimmed = after_eq.trim_matches(is_re_space);
    if trimmed.is_empty() {
        // `.+?` still takes one (whitespace) char: the last one.
        let last = after_eq.chars().last()?;
        let end = value_off + after_eq.len();
        return Some((key, end - last.len_utf8(), end));
    }
    let start = value_off + lead_ws;
    Some((key, start, start + trimmed.len()))
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// Parse a Dockerfile. Returns the first error Docker would report before building
/// (parser errors, then instruction errors in file order).
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let df = parse_syntax(text)?;
    checks::validate(&df)?;
    Ok(df)
}

/// Only Docker's parser stage: lines, directives, continuations, heredocs, flags, JSON and
/// ENV/LABEL syntax. Unknown instructions, argument counts, flag names and the stage layout are
/// not checked (BuildKit's `parser.Parse` without `instructions.Parse`); useful for tolerant
/// tooling and for fragments.
pub fn parse_syntax(text: &str) -> Result<Dockerfile, ParseError> {
    let first = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let lines = split_lines(text, first)?;
    let line_text = |l: &Line| text.get(l.start..l.content_end).unwrap_or("");

    let mut df = Dockerfile {
        directives: Vec::new(),
        escape: '\\',
        instructions: Vec::new(),
        comments: Vec::new(),
    };
    let mut directives_done = false;
    let mut i = 0;
    while let Some(line) = lines.get(i).copied() {
        i += 1;
        let raw = line_text(&line);
        let lead = raw.len() - raw.trim_start().len();
        let s = raw.get(lead..).unwrap_or("");
        let s_start = line.start + lead;
        if !directives_done {
            match match_directive(s) {
                Some((key, vs, ve))
                    if ["syntax", "escape", "check"]
                        .contains(&key.to_ascii_lowercase().as_str()) =>
                {
                    let name = key.to_ascii_lowercase();
                    let value = s.get(vs..ve).unwrap_or("").to_string();
                    let span = Span::new(s_start, line.content_end);
                    if df.directives.iter().any(|d| d.name == name) {
                        return Err(ParseError::new(
                            format!("only one {name} parser directive can be used"),
                            span,
                        ));
                    }
                    if name == "escape" {
                        df.escape = match value.as_str() {
                            "\\" => '\\',
                            "`" => '`',
                            _ => {
                                return Err(ParseError::new(
                                    format!(
                                        "invalid escape token '{value}' does not match ` or \\"
                                    ),
                                    Span::new(s_start + vs, s_start + ve),
                                ))
                            }
                        };
                    }
                    df.directives.push(Directive {
                        name,
                        value,
                        span,
                        value_span: Span::new(s_start + vs, s_start + ve),
                    });
                    continue;
                }
                _ => directives_done = true,
            }
        }
        if s.starts_with('#') {
            df.comments.push(Span::new(s_start, line.content_end));
            continue;
        }
        let (kept, mut cont) = trim_continuation(s, df.escape);
        if !cont && kept.is_empty() {
            continue;
        }
        let mut b = MappedText::builder();
        b.push_str(kept, s_start);
        b.set_end(s_start + kept.len());
        let mut last_end = line.content_end;
        while cont {
            let Some(next) = lines.get(i).copied() else {
                break;
            };
            i += 1;
            let raw = line_text(&next);
            let trimmed = raw.trim_start();
            if trimmed.starts_with('#') {
                let lead = raw.len() - trimmed.len();
                df.comments
                    .push(Span::new(next.start + lead, next.content_end));
                continue;
            }
            if trimmed.is_empty() {
                continue;
            }
            let (kept, c) = trim_continuation(raw, df.escape);
            b.push_str(kept, next.start);
            b.set_end(next.start + kept.len());
            last_end = next.content_end;
            cont = c;
        }
        let logical = b.finish();
        let mut ins = build_instruction(&logical, df.escape, 0)?;
        ins.span = Span::new(ins.keyword_span.start, last_end);

        // Heredocs (BuildKit: RUN/COPY/ADD, possibly under ONBUILD, not in JSON form).
        let target_kw = match &ins.onbuild {
            Some(inner) if ins.keyword == "ONBUILD" => inner.keyword.as_str(),
            _ => ins.keyword.as_str(),
        };
        let target_args = match &ins.onbuild {
            Some(inner) if ins.keyword == "ONBUILD" => &inner.args,
            _ => &ins.args,
        };
        let can_heredoc = matches!(target_kw, "RUN" | "COPY" | "ADD")
            && !matches!(
                json::json_array(target_args.as_str()),
                json::JsonArray::Strings(_)
            );
        if can_heredoc && logical.as_str().contains("<<") {
            let markers = heredocs_in_line(&logical)?;
            let mut docs = Vec::with_capacity(markers.len());
            for m in markers {
                let body_start = lines.get(i).map_or(text.len(), |l| l.start);
                let mut body = MappedText::builder();
                let mut terminated = None;
                while let Some(bl) = lines.get(i).copied() {
                    i += 1;
                    let content = line_text(&bl);
                    let candidate = if m.strip_tabs {
                        content.trim_start_matches('\t')
                    } else {
                        content
                    };
                    if candidate == m.delimiter {
                        terminated = Some(bl);
                        break;
                    }
                    // The raw line with its line ending.
                    let full_end = lines.get(i).map_or(text.len(), |l| l.start);
                    let full = text.get(bl.start..full_end).unwrap_or("");
                    let tabs = if m.strip_tabs {
                        full.len() - full.trim_start_matches('\t').len()
                    } else {
                        0
                    };
                    body.push_str(full.get(tabs..).unwrap_or(""), bl.start + tabs);
                }
                let Some(term) = terminated else {
                    return Err(ParseError::new(
                        "unterminated heredoc",
                        Span::new(ins.keyword_span.start, text.len()),
                    ));
                };
                body.set_end(term.start);
                ins.span.end = term.content_end;
                docs.push(Heredoc {
                    delimiter: m.delimiter,
                    strip_tabs: m.strip_tabs,
                    expand: m.expand,
                    fd: m.fd,
                    body: body.finish(),
                    marker: m.marker,
                    span: Span::new(body_start.min(term.start), term.content_end),
                });
            }
            match ins.onbuild.as_mut() {
                Some(inner) if ins.keyword == "ONBUILD" => inner.heredocs = docs,
                _ => ins.heredocs = docs,
            }
        }
        if let Some(inner) = ins.onbuild.as_mut() {
            inner.span.end = ins.span.end;
        }
        df.instructions.push(ins);
    }

    if df.instructions.is_empty() {
        return Err(ParseError::new(
            "file with no instructions",
            Span::empty(text.len()),
        ));
    }
    Ok(df)
}

/// Docker's `splitCommand` + `extractBuilderFlags` + per-keyword parse checks on a logical line.
fn build_instruction(
    line: &MappedText,
    escape: char,
    depth: usize,
) -> Result<Instruction, ParseError> {
    let t = line.as_str();
    let start = t.len() - t.trim_start().len();
    let end = t.trim_end().len().max(start);
    let body = t.get(start..end).unwrap_or("");
    let kw_len = body.find(is_go_ws_ascii).unwrap_or(body.len());
    let keyword_raw = body.get(..kw_len).unwrap_or("");
    let after_kw = body.get(kw_len..).unwrap_or("");
    let rest_off =
        start + kw_len + (after_kw.len() - after_kw.trim_start_matches(is_go_ws_ascii).len());
    let rest = t.get(rest_off..end).unwrap_or("");
    let (flag_words, args_rel) = extract_flags(rest, escape);
    let args_text = rest.get(args_rel..).unwrap_or("");
    let a_lead = args_text.len() - args_text.trim_start().len();
    let a_start = rest_off + args_rel + a_lead;
    let a_end = (rest_off + args_rel + args_text.trim_end().len()).max(a_start);

    let keyword = keyword_raw.to_uppercase();
    let keyword_span = line.source_span(Span::new(start, start + kw_len));
    let flags = flag_words
        .into_iter()
        .map(|(word, s, e)| {
            let body = word.strip_prefix("--").unwrap_or(&word);
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (body.to_string(), None),
            };
            Flag {
                name,
                value,
                span: line.source_span(Span::new(rest_off + s, rest_off + e)),
            }
        })
        .collect();
    let args = line.sub(Span::new(a_start, a_end));
    let mut ins = Instruction {
        keyword,
        keyword_span,
        span: line.source_span(Span::new(start, end)),
        flags,
        args,
        heredocs: Vec::new(),
        onbuild: None,
        escape,
    };

    // Parse-time checks (Docker's line parsers).
    let not_strings = |text: &str, span: Span| {
        if json::json_array(text) == json::JsonArray::NotStrings {
            Err(ParseError::new(
                "when using JSON array syntax, arrays must be comprised of strings only",
                span,
            ))
        } else {
            Ok(())
        }
    };
    match ins.keyword.as_str() {
        "CMD" | "ENTRYPOINT" | "RUN" | "SHELL" | "COPY" | "ADD" | "VOLUME" => {
            not_strings(ins.args.as_str(), ins.args.full_source_span())?;
        }
        "HEALTHCHECK" => {
            let (_, cmd) = healthcheck_split(&ins.args);
            not_strings(cmd.as_str(), cmd.full_source_span())?;
        }
        "ENV" | "LABEL" => {
            name_val_pairs(&ins, escape)?;
        }
        "ONBUILD" if depth < 4 && !ins.args.as_str().is_empty() => {
            let inner = build_instruction(&ins.args, escape, depth + 1)?;
            ins.onbuild = Some(Box::new(inner));
        }
        _ => {}
    }
    Ok(ins)
}

/// Docker's `extractBuilderFlags`, byte-based like the original. Returns the flag words
/// (unquoted text, start, end) and the offset where the arguments begin.
fn extract_flags(line: &str, escape: char) -> (Vec<(String, usize, usize)>, usize) {
    let b = line.as_bytes();
    let esc = u8::try_from(u32::from(escape)).unwrap_or(b'\\');
    let is_space = |c: u8| matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ');
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word: Vec<u8> = Vec::new();
    let mut word_start = 0;
    let mut quote = 0u8;
    let mut blank_ok = false;
    let mut pos = 0;
    while pos <= b.len() {
        let ch = b.get(pos).copied().unwrap_or(0);
        if phase == Phase::Spaces {
            if pos == b.len() {
                break;
            }
            if is_space(ch) {
                pos += 1;
                continue;
            }
            if ch != b'-' || b.get(pos + 1) != Some(&b'-') {
                return (words, pos);
            }
            phase = Phase::Word;
            word_start = pos;
        }
        if pos == b.len() {
            if word != b"--" && (blank_ok || !word.is_empty()) {
                words.push((String::from_utf8_lossy(&word).into_owned(), word_start, pos));
            }
            break;
        }
        if phase == Phase::Word {
            if is_space(ch) {
                phase = Phase::Spaces;
                if word == b"--" {
                    return (words, pos);
                }
                if blank_ok || !word.is_empty() {
                    words.push((String::from_utf8_lossy(&word).into_owned(), word_start, pos));
                }
                word.clear();
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == b'\'' || ch == b'"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
            let mut c = ch;
            if c == esc {
                if pos + 1 == b.len() {
                    pos += 1;
                    continue;
                }
                pos += 1;
                c = b.get(pos).copied().unwrap_or(0);
            }
            word.push(c);
            pos += 1;
            continue;
        }
        // In quotes.
        if ch == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        let mut c = ch;
        if c == esc {
            if pos + 1 == b.len() {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            pos += 1;
            c = b.get(pos).copied().unwrap_or(0);
        }
        word.push(c);
        pos += 1;
    }
    (words, b.len())
}

/// HEALTHCHECK's type word and the command text after it.
fn healthcheck_split(args: &MappedText) -> (MappedText, MappedText) {
    let t = args.as_str();
    let sep = t
        .find(|c: char| c.is_ascii_whitespace() || c == '\u{b}')
        .unwrap_or(t.len());
    let rest = t.get(sep..).unwrap_or("");
    let next = sep + (rest.len() - rest.trim_start().len());
    (
        args.sub(Span::new(0, sep)),
        args.sub(Span::new(next, t.len())),
    )
}

struct HeredocMarker {
    delimiter: String,
    strip_tabs: bool,
    expand: bool,
    fd: Option<u32>,
    marker: Span,
}

/// BuildKit's `heredocsFromLine`: lex the whole line (raw quotes and escapes, `\` escape) and
/// keep the words that look like `[n]<<[-]WORD`.
fn heredocs_in_line(line: &MappedText) -> Result<Vec<HeredocMarker>, ParseError> {
    let opts = lex::Options {
        escape: '\\',
        raw_quotes: true,
        raw_escapes: true,
        skip_unset: true,
    };
    let Ok(lexed) = lex::lex(line.as_str(), opts, &|_| None) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for w in lexed.words {
        let span = line.source_span(Span::new(w.start, w.end));
        match parse_heredoc_word(&w.text) {
            Ok(Some((delimiter, strip_tabs, expand, fd))) => out.push(HeredocMarker {
                delimiter,
                strip_tabs,
                expand,
                fd,
                marker: span,
            }),
            Ok(None) => {}
            Err(e) => return Err(ParseError::new(e, span)),
        }
    }
    Ok(out)
}

/// BuildKit's `ParseHeredoc`: `^(\d*)<<(-?)\s*([^<]*)$`, the rest being one shell word.
/// Returns (name, strip_tabs, expand, fd).
#[allow(clippy::type_complexity)]
fn parse_heredoc_word(src: &str) -> Result<Option<(String, bool, bool, Option<u32>)>, String> {
    let digits = src.len() - src.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let Some(after) = src.get(digits..).and_then(|s| s.strip_prefix("<<")) else {
        return Ok(None);
    };
    let (strip_tabs, after) = match after.strip_prefix('-') {
        Some(a) => (true, a),
        None => (false, after),
    };
    let rest = after.trim_start_matches(['\t', '\n', '\u{c}', '\r', ' ']);
    if rest.contains('<') || rest.is_empty() {
        return Ok(None);
    }
    let fd = if digits > 0 {
        Some(src.get(..digits).and_then(|d| d.parse().ok()).unwrap_or(0))
    } else {
        None
    };
    let mut opts = lex::Options {
        escape: '\\',
        raw_quotes: false,
        raw_escapes: false,
        skip_unset: true,
    };
    let words = lex::lex(rest, opts, &|_| None)?.words;
    let [word] = words.as_slice() else {
        return Ok(None);
    };
    opts.raw_quotes = true;
    let raw_words = lex::lex(rest, opts, &|_| None)?.words;
    let [raw] = raw_words.as_slice() else {
        return Err(format!(
            "internal lexing of heredoc produced inconsistent results: {rest}"
        ));
    };
    let quotes = |s: &str| s.chars().filter(|&c| c == '\'' || c == '"').count();
    let expand = quotes(&word.text) == quotes(&raw.text);
    Ok(Some((word.text.clone(), strip_tabs, expand, fd)))
}

// ---------------------------------------------------------------------------------------------
// Words and key/value pairs

/// Docker's `parseWords`: quote-aware split keeping quotes and escapes. Returns byte ranges.
fn docker_words(s: &str, escape: char) -> Vec<(usize, usize)> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let mut out = Vec::new();
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut start = 0;
    let mut end = 0; // end of the last char written to the word
    let mut nonempty = false;
    let mut it = s.char_indices().peekable();
    while let Some((pos, ch)) = it.next() {
        let w = ch.len_utf8();
        if phase == Phase::Spaces {
            if ch.is_whitespace() {
                continue;
            }
            phase = Phase::Word;
            start = pos;
            end = pos;
            nonempty = false;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || nonempty {
                    out.push((start, end));
                }
                blank_ok = false;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                end = pos + w;
                nonempty = true;
                continue;
            }
            if ch == escape {
                match it.next() {
                    None => continue,
                    Some((p2, c2)) => {
                        end = p2 + c2.len_utf8();
                        nonempty = true;
                        continue;
                    }
                }
            }
            end = pos + w;
            nonempty = true;
            continue;
        }
        // Quote.
        if ch == quote {
            phase = Phase::Word;
            end = pos + w;
            continue;
        }
        if ch == escape && quote != '\'' {
            match it.next() {
                None => {
                    phase = Phase::Word;
                    continue;
                }
                Some((p2, c2)) => {
                    end = p2 + c2.len_utf8();
                    continue;
                }
            }
        }
        end = pos + w;
    }
    if phase != Phase::Spaces && (blank_ok || nonempty) {
        out.push((start, end));
    }
    out
}

fn make_word(args: &MappedText, range: (usize, usize), escape: char) -> Word {
    let raw = args.sub(Span::new(range.0, range.1));
    Word {
        value: lex::literal(raw.as_str(), escape),
        span: raw.full_source_span(),
        raw,
    }
}

/// Split on Docker's `[\t\v\f\r ]+` (no quote handling).
fn ws_split(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if is_go_ws_ascii(c) || c == '\n' {
            if let Some(st) = start.take() {
                out.push((st, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push((st, s.len()));
    }
    out
}

/// ENV/LABEL pairs (Docker's `parseNameVal`), with its parse errors.
fn name_val_pairs(ins: &Instruction, escape: char) -> Result<Vec<KeyValue>, ParseError> {
    let args = &ins.args;
    let t = args.as_str();
    let words = docker_words(t, escape);
    let Some(&(f0, f1)) = words.first() else {
        return Ok(Vec::new());
    };
    if !t.get(f0..f1).unwrap_or("").contains('=') {
        // Legacy `KEY name value`.
        let parts = ws_split(t);
        let Some(&(k0, k1)) = parts.first() else {
            return Ok(Vec::new());
        };
        let after = t.get(k1..).unwrap_or("");
        let v0 = k1
            + (after.len()
                - after
                    .trim_start_matches(|c| is_go_ws_ascii(c) || c == '\n')
                    .len());
        if parts.len() < 2 {
            return Err(ParseError::new(
                format!("{} must have two arguments", ins.keyword),
                ins.span,
            ));
        }
        let key = make_word(args, (k0, k1), escape);
        let value = make_word(args, (v0, t.len()), escape);
        return Ok(vec![KeyValue {
            key: key.value,
            key_span: key.span,
            span: key.span.join(value.span),
            value: Some(value),
        }]);
    }
    let mut out = Vec::with_capacity(words.len());
    for (s, e) in words {
        let w = t.get(s..e).unwrap_or("");
        let Some(eq) = w.find('=') else {
            return Err(ParseError::new(
                format!("Syntax error - can't find = in {w:?}. Must be of the form: name=value"),
                args.source_span(Span::new(s, e)),
            ));
        };
        out.push(pair(args, s, e, Some(s + eq), escape));
    }
    Ok(out)
}

fn pair(args: &MappedText, s: usize, e: usize, eq: Option<usize>, escape: char) -> KeyValue {
    let key_end = eq.unwrap_or(e);
    let key = make_word(args, (s, key_end), escape);
    let value = eq.map(|q| make_word(args, (q + 1, e), escape));
    KeyValue {
        key: key.value,
        key_span: key.span,
        value,
        span: args.source_span(Span::new(s, e)),
    }
}

impl Instruction {
    /// Exec or shell form. For HEALTHCHECK this is the command after the type word (`CMD`);
    /// `HEALTHCHECK NONE` gives an empty shell form. Instructions without an exec form give
    /// `Shell(args)`.
    pub fn command_form(&self) -> CommandForm {
        let cmd = match self.keyword.as_str() {
            "HEALTHCHECK" => healthcheck_split(&self.args).1,
            "CMD" | "ENTRYPOINT" | "RUN" | "SHELL" | "COPY" | "ADD" | "VOLUME" => self.args.clone(),
            _ => return CommandForm::Shell(self.args.clone()),
        };
        match json::json_array(cmd.as_str()) {
            json::JsonArray::Strings(ranges) => CommandForm::Exec {
                args: ranges
                    .into_iter()
                    .map(|r| JsonString {
                        text: json::decode_string(&cmd, r),
                        span: cmd.source_span(Span::new(r.0, r.1)),
                    })
                    .collect(),
                span: cmd.full_source_span(),
            },
            _ => CommandForm::Shell(cmd),
        }
    }

    /// The arguments as words. USER, WORKDIR, STOPSIGNAL and MAINTAINER take their whole
    /// argument as one word (as Docker does); exec-form instructions give their JSON strings;
    /// everything else is split on whitespace outside quotes.
    pub fn words(&self) -> Vec<Word> {
        let escape = self.escape;
        let t = self.args.as_str();
        match self.keyword.as_str() {
            "USER" | "WORKDIR" | "STOPSIGNAL" | "MAINTAINER" => {
                if t.is_empty() {
                    Vec::new()
                } else {
                    vec![make_word(&self.args, (0, t.len()), escape)]
                }
            }
            "CMD" | "ENTRYPOINT" | "RUN" | "SHELL" | "COPY" | "ADD" | "VOLUME" => {
                match self.command_form() {
                    CommandForm::Exec { args, .. } => args
                        .into_iter()
                        .map(|j| Word {
                            value: j.text.text.clone(),
                            raw: j.text,
                            span: j.span,
                        })
                        .collect(),
                    CommandForm::Shell(_) => docker_words(t, escape)
                        .into_iter()
                        .map(|r| make_word(&self.args, r, escape))
                        .collect(),
                }
            }
            _ => docker_words(t, escape)
                .into_iter()
                .map(|r| make_word(&self.args, r, escape))
                .collect(),
        }
    }

    /// ENV/LABEL/ARG pairs (empty for other instructions).
    pub fn key_values(&self) -> Vec<KeyValue> {
        let escape = self.escape;
        match self.keyword.as_str() {
            "ENV" | "LABEL" => name_val_pairs(self, escape).unwrap_or_default(),
            "ARG" => {
                let t = self.args.as_str();
                docker_words(t, escape)
                    .into_iter()
                    .map(|(s, e)| {
                        let eq = t.get(s..e).and_then(|w| w.find('=')).map(|q| s + q);
                        pair(&self.args, s, e, eq, escape)
                    })
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// The flag named `name` (last one wins, as for Docker's single-value flags).
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().rev().find(|f| f.name == name)
    }
}

// ---------------------------------------------------------------------------------------------
// Stages and global ARGs

impl Dockerfile {
    /// ARGs before the first FROM, defaults expanded in order (later ones see earlier ones;
    /// an ARG without a default does not unset an earlier value, as in Docker).
    pub fn global_args(&self) -> Vec<GlobalArg> {
        self.global_scope().0
    }

    /// Global ARGs, the variables they set, and the first expansion error (Docker rejects it).
    fn global_scope(&self) -> (Vec<GlobalArg>, HashMap<String, String>, Option<ParseError>) {
        let mut out: Vec<GlobalArg> = Vec::new();
        let mut env: HashMap<String, String> = HashMap::new();
        let mut error = None;
        let substituted = lex::Substituted::default();
        for (idx, ins) in self.instructions.iter().enumerate() {
            if ins.keyword == "FROM" {
                break;
            }
            if ins.keyword != "ARG" {
                continue;
            }
            for kv in ins.key_values() {
                let value = kv.value.as_ref().map(|w| {
                    let known = |name: &str| {
                        env.get(name)
                            .filter(|value| substituted.take(value.len()))
                            .cloned()
                    };
                    expand(w.raw.as_str(), self.escape, &known).unwrap_or_else(|e| {
                        error.get_or_insert(ParseError::new(
                            format!("failed to process {:?}: {e}", w.raw.as_str()),
                            w.span,
                        ));
                        Expansion {
                            value: w.value.clone(),
                            unresolved: Vec::new(),
                        }
                    })
                });
                if let Some(v) = &value {
                    env.insert(kv.key.clone(), v.value.clone());
                }
                out.push(GlobalArg {
                    name: kv.key,
                    name_span: kv.key_span,
                    default: kv.value,
                    value,
                    instruction: idx,
                });
            }
        }
        (out, env, error)
    }

    /// The build stages in order.
    pub fn stages(&self) -> Vec<Stage> {
        let (_, env, _) = self.global_scope();
        let substituted = lex::Substituted::default();
        let known = |name: &str| {
            env.get(name)
                .filter(|value| substituted.take(value.len()))
                .cloned()
        };
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut stages: Vec<Stage> = Vec::new();
        let froms: Vec<usize> = self
            .instructions
            .iter()
            .enumerate()
            .filter(|(_, i)| i.keyword == "FROM")
            .map(|(n, _)| n)
            .collect();
        for (n, &from) in froms.iter().enumerate() {
            let Some(ins) = self.instructions.get(from) else {
                continue;
            };
            let end = froms.get(n + 1).copied().unwrap_or(self.instructions.len());
            let words = ws_split(ins.args.as_str());
            let word = |k: usize| words.get(k).map(|&r| make_word(&ins.args, r, self.escape));
            let name = match (word(1), word(2)) {
                (Some(as_kw), Some(name)) if as_kw.value.eq_ignore_ascii_case("as") => {
                    Some((name.value.to_lowercase(), name.span))
                }
                _ => None,
            };
            let (raw, span) = word(0)
                .map(|w| (w.raw.text.clone(), w.span))
                .unwrap_or_else(|| (String::new(), ins.args.full_source_span()));
            let (expanded, expand_error) = match expand(&raw, self.escape, &known) {
                Ok(e) => (e, None),
                Err(e) => (
                    Expansion {
                        value: raw.clone(),
                        unresolved: Vec::new(),
                    },
                    Some(e),
                ),
            };
            let stage_ref = by_name.get(&expanded.value).copied();
            if let Some((nm, _)) = &name {
                by_name.insert(nm.clone(), n);
            }
            stages.push(Stage {
                index: n,
                name,
                base: ImageRef {
                    raw,
                    expanded,
                    expand_error,
                    span,
                    stage: stage_ref,
                },
                platform: ins.flag("platform").and_then(|f| f.value.clone()),
                from_instruction: from,
                instructions: (from + 1)..end,
            });
        }
        stages
    }

    /// Docker's stage-setup errors: global ARG defaults and FROM names that do not expand, and
    /// FROM names that certainly expand to nothing.
    pub(crate) fn stage_errors(&self) -> Result<(), ParseError> {
        if let (_, _, Some(e)) = self.global_scope() {
            return Err(e);
        }
        for st in self.stages() {
            if let Some(e) = st.base.expand_error {
                return Err(ParseError::new(
                    format!("failed to process {:?}: {e}", st.base.raw),
                    st.base.span,
                ));
            }
            if st.base.expanded.value.is_empty() && st.base.expanded.is_resolved() {
                return Err(ParseError::new(
                    format!("base name ({}) should not be blank", st.base.raw),
                    st.base.span,
                ));
            }
        }
        Ok(())
    }
}
