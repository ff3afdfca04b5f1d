//! Tokens shared by the scanners of programming languages (Ruby, Python, JavaScript, PHP,
//! Elixir): each language has its own tokenizer, producing these tokens, and its own matcher;
//! bracket matching, argument lists and string-literal decoding are common.

use crate::span::{MappedText, Span};

/// Stands for an interpolated expression (`#{x}`, `${x}`, `{x}`, `$x`) in a decoded string:
/// the SQL scanner reads it as a name it does not know.
pub(super) const HOLE: char = '\u{1A}';

/// Marks an entry of [`Tokens::close`]/[`Tokens::open`] that is not a bracket.
pub(super) const NONE: usize = usize::MAX;

/// How many tokens the arguments of a call without parentheses may span, and how many
/// enclosing blocks are searched for context: bounds that keep pathological input linear.
pub(super) const MAX_ARG_TOKENS: usize = 512;
pub(super) const MAX_FRAMES_SEARCHED: usize = 256;

#[derive(Debug, Clone)]
pub(super) enum Tok {
    /// Identifier or keyword (PHP variables keep their `$`, Ruby/Elixir `?`/`!` suffixes).
    Ident,
    /// A string literal, decoded, mapped to the source; interpolations are [`HOLE`]s.
    Str(Box<MappedText>),
    /// A Ruby symbol or Elixir atom: `:users` is `users`.
    Sym(String),
    /// A keyword label: Ruby/Elixir `null:` is `null` (the span includes the colon).
    Label(String),
    Num,
    Punct,
    /// A line break where it may end a statement (each language decides where it emits one).
    Newline,
}

#[derive(Debug, Clone)]
pub(super) struct Token<'a> {
    pub tok: Tok,
    pub span: Span,
    /// The source text of the token.
    pub text: &'a str,
}

impl<'a> Token<'a> {
    pub fn new(tok: Tok, src: &'a str, start: usize, end: usize) -> Token<'a> {
        let span = Span::new(start, end);
        Token {
            tok,
            span,
            text: span.slice(src),
        }
    }
}

/// One argument of a call: tokens `start..end` of the value (a keyword argument's key
/// excluded).
#[derive(Debug, Clone)]
pub(super) struct Arg {
    pub key: Option<String>,
    pub start: usize,
    pub end: usize,
}

/// A token list with its brackets matched.
pub(super) struct Tokens<'a> {
    pub v: Vec<Token<'a>>,
    /// For an opening bracket, the index of its closing bracket (`v.len()` when unclosed);
    /// [`NONE`] otherwise.
    pub close: Vec<usize>,
    /// For a closing bracket, the index of its opening bracket; [`NONE`] otherwise.
    pub open: Vec<usize>,
}

fn closer_of(open: &str) -> Option<&'static str> {
    match open {
        "(" => Some(")"),
        "[" => Some("]"),
        "{" => Some("}"),
        _ => None,
    }
}

impl<'a> Tokens<'a> {
    pub fn new(v: Vec<Token<'a>>) -> Tokens<'a> {
        let n = v.len();
        let mut close = vec![NONE; n];
        let mut open = vec![NONE; n];
        let mut stack: Vec<(usize, &'static str)> = Vec::new();
        for (i, t) in v.iter().enumerate() {
            if !matches!(t.tok, Tok::Punct) {
                continue;
            }
            if let Some(closer) = closer_of(t.text) {
                stack.push((i, closer));
                close[i] = n;
            } else if matches!(t.text, ")" | "]" | "}") {
                // Pop to the nearest opener of this kind; openers in between stay unclosed.
                if let Some(pos) = stack.iter().rposition(|&(_, c)| c == t.text) {
                    let (o, _) = stack[pos];
                    stack.truncate(pos);
                    close[o] = i;
                    open[i] = o;
                }
            }
        }
        Tokens { v, close, open }
    }

    pub fn len(&self) -> usize {
        self.v.len()
    }

    pub fn text(&self, i: usize) -> &'a str {
        self.v.get(i).map_or("", |t| t.text)
    }

    /// The span of token `i`; past the end (an unclosed bracket's "closer"), the last token's.
    pub fn span(&self, i: usize) -> Span {
        self.v
            .get(i)
            .or(self.v.last())
            .map_or(Span::default(), |t| t.span)
    }

    pub fn is_punct(&self, i: usize, p: &str) -> bool {
        self.v
            .get(i)
            .is_some_and(|t| matches!(t.tok, Tok::Punct) && t.text == p)
    }

    pub fn is_ident(&self, i: usize, name: &str) -> bool {
        self.v
            .get(i)
            .is_some_and(|t| matches!(t.tok, Tok::Ident) && t.text == name)
    }

    pub fn ident(&self, i: usize) -> Option<&'a str> {
        self.v
            .get(i)
            .filter(|t| matches!(t.tok, Tok::Ident))
            .map(|t| t.text)
    }

    pub fn is_newline(&self, i: usize) -> bool {
        self.v.get(i).is_some_and(|t| matches!(t.tok, Tok::Newline))
    }

    /// The string literal at `i`.
    pub fn string(&self, i: usize) -> Option<&MappedText> {
        match &self.v.get(i)?.tok {
            Tok::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The index of the closing bracket of the opener at `i` (clamped to the end).
    pub fn closing(&self, i: usize) -> usize {
        match self.close.get(i) {
            Some(&c) if c != NONE => c,
            _ => i,
        }
    }

    /// The first index at or after `i` that is not a line break.
    pub fn skip_newlines(&self, mut i: usize) -> usize {
        while self.is_newline(i) {
            i += 1;
        }
        i
    }

    /// The last index before `i` that is not a line break (`None` at the start).
    pub fn prev_significant(&self, i: usize) -> Option<usize> {
        (0..i).rev().find(|&j| !self.is_newline(j))
    }

    /// A name spelled as a literal: the only token of `start..end` (line breaks aside) is a
    /// string without interpolation, a symbol or an atom.
    pub fn literal(&self, start: usize, end: usize) -> Option<String> {
        let start = self.skip_newlines(start);
        let mut last = end.min(self.len());
        while last > start && self.is_newline(last - 1) {
            last -= 1;
        }
        if last != start + 1 {
            return None;
        }
        literal_of(&self.v[start])
    }

    /// The literal names of `start..end`: a single literal, or a bracketed list of literals
    /// (`['a', 'b']`, `%w[a b]` is not read). `None` when anything else is there.
    pub fn literal_list(&self, start: usize, end: usize) -> Option<Vec<String>> {
        if let Some(one) = self.literal(start, end) {
            return Some(vec![one]);
        }
        let first = self.skip_newlines(start);
        if !(self.is_punct(first, "[") || self.is_punct(first, "(")) {
            return None;
        }
        let close = self.closing(first);
        if close <= first || self.skip_newlines(close + 1) < end.min(self.len()) {
            return None;
        }
        self.split_commas(first + 1, close)
            .into_iter()
            .map(|(s, e)| self.literal(s, e))
            .collect()
    }

    /// Split tokens `start..end` at the commas outside brackets. Empty pieces (a trailing
    /// comma) are left out.
    pub fn split_commas(&self, start: usize, end: usize) -> Vec<(usize, usize)> {
        let end = end.min(self.len());
        let mut pieces = Vec::new();
        let mut piece_start = start;
        let mut i = start;
        while i < end {
            if self.is_punct(i, ",") {
                pieces.push((piece_start, i));
                piece_start = i + 1;
            } else if self.close.get(i).is_some_and(|&c| c != NONE) {
                i = self.closing(i).max(i);
            }
            i += 1;
        }
        pieces.push((piece_start, end));
        pieces.retain(|&(s, e)| self.skip_newlines(s) < e);
        pieces
    }

    /// The arguments in tokens `start..end`; `key` says whether an argument starting at a
    /// token is a keyword argument, giving its name and where its value starts.
    pub fn args(
        &self,
        start: usize,
        end: usize,
        key: impl Fn(&Tokens<'a>, usize) -> Option<(String, usize)>,
    ) -> Vec<Arg> {
        self.split_commas(start, end)
            .into_iter()
            .map(|(s, e)| {
                let s = self.skip_newlines(s);
                match key(self, s) {
                    Some((name, value)) if value <= e => Arg {
                        key: Some(name),
                        start: value,
                        end: e,
                    },
                    _ => Arg {
                        key: None,
                        start: s,
                        end: e,
                    },
                }
            })
            .collect()
    }

    /// The string an argument spells when it is one or more string literals, adjacent or
    /// joined with `+` (`"ALTER TABLE t " "DROP COLUMN c"`, `'a' + 'b'`); anything after them
    /// (`.squish`, `.format(...)`) is ignored. Interpolations stay holes.
    pub fn string_expr(&self, start: usize, end: usize) -> Option<MappedText> {
        let end = end.min(self.len());
        let mut parts: Vec<&MappedText> = Vec::new();
        let mut i = self.skip_newlines(start);
        while i < end {
            match self.string(i) {
                Some(text) => parts.push(text),
                None => break,
            }
            i = self.skip_newlines(i + 1);
            if self.is_punct(i, "+") && self.string(self.skip_newlines(i + 1)).is_some() {
                i = self.skip_newlines(i + 1);
            }
        }
        match parts.as_slice() {
            [] => None,
            [one] => Some((*one).clone()),
            many => Some(concat(many)),
        }
    }
}

/// Several mapped texts as one.
pub(super) fn concat(parts: &[&MappedText]) -> MappedText {
    let mut out = MappedText::builder();
    for part in parts {
        for (k, c) in part.as_str().char_indices() {
            let source = part.source_span(Span::new(k, k + c.len_utf8()));
            out.push_char(c, source);
        }
        out.set_end(part.full_source_span().end);
    }
    out.finish()
}

/// The name a single token spells: a string without interpolation, a symbol or an atom.
pub(super) fn literal_of(token: &Token<'_>) -> Option<String> {
    match &token.tok {
        Tok::Str(text) if !text.as_str().contains(HOLE) => Some(text.as_str().to_string()),
        Tok::Sym(name) => Some(name.clone()),
        _ => None,
    }
}

/// The `n`-th positional argument.
pub(super) fn positional(args: &[Arg], n: usize) -> Option<&Arg> {
    args.iter().filter(|a| a.key.is_none()).nth(n)
}

/// The keyword argument `name`.
pub(super) fn keyword<'x>(args: &'x [Arg], name: &str) -> Option<&'x Arg> {
    args.iter().find(|a| a.key.as_deref() == Some(name))
}

/// The keyword argument `name`, else the `n`-th positional one.
pub(super) fn argument<'x>(args: &'x [Arg], name: &str, n: usize) -> Option<&'x Arg> {
    keyword(args, name).or_else(|| positional(args, n))
}

pub(super) fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

pub(super) fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// The end of the identifier starting at `i` (identifier bytes, non-ASCII included, so the
/// end is always a char boundary).
pub(super) fn ident_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_ident_byte(b[i]) {
        i += 1;
    }
    i
}

/// The end of the line holding `i` (the index of its `\n`, or the end of the text).
pub(super) fn line_end(b: &[u8], i: usize) -> usize {
    b.get(i..)
        .and_then(|rest| rest.iter().position(|&c| c == b'\n'))
        .map_or(b.len(), |p| i + p)
}

/// The end of a number starting at `i` (digits, letters, `_`, and a `.` followed by a digit).
pub(super) fn number_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphanumeric() || c == b'_' {
            i += 1;
        } else if c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 2;
        } else {
            break;
        }
    }
    i
}

/// The length of the char starting at byte `i` (1 for a stray continuation byte or the end).
pub(super) fn char_len(src: &str, i: usize) -> usize {
    src.get(i..)
        .and_then(|rest| rest.chars().next())
        .map_or(1, char::len_utf8)
}

/// The end of the punctuation token at `i`: the longest of `ops` found there, else one char.
pub(super) fn punct_end(src: &str, i: usize, ops: &[&str]) -> usize {
    let rest = src.get(i..).unwrap_or("");
    ops.iter()
        .filter(|op| rest.starts_with(**op))
        .map(|op| op.len())
        .max()
        .map_or(i + char_len(src, i), |len| i + len)
}

/// How a string literal's body is decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Interp {
    None,
    /// Ruby and Elixir `#{...}`.
    Hash,
    /// JavaScript template literals `${...}`.
    Dollar,
    /// Python f-strings `{...}` (`{{` and `}}` are braces).
    Brace,
    /// PHP `$name`, `$name->prop`, `$name[...]`, `{$...}`, `${...}`.
    Php,
}

/// A string body scanner: decodes `src[start..]` up to a closing delimiter, mapping every
/// decoded byte to the source.
pub(super) struct StrScan {
    /// Backslash escapes are decoded (`\n`, `\t`, `\\`, an escaped quote); unknown escapes
    /// keep their backslash.
    pub escapes: bool,
    /// A backslash still protects the closing delimiter even when escapes are not decoded
    /// (Ruby `'it\'s'`, Python raw strings).
    pub escape_quote_only: bool,
    pub interp: Interp,
}

impl StrScan {
    /// Decode from `start` until `close` (a byte sequence, e.g. `"` or `"""`); returns the
    /// decoded text and the offset just past the closing delimiter (the end of the text when
    /// unterminated). With `until_line_end`, an unescaped line break ends the literal too
    /// (returned offset: the line break).
    pub fn scan(
        &self,
        src: &str,
        start: usize,
        close: &[u8],
        until_line_end: bool,
    ) -> (MappedText, usize) {
        let b = src.as_bytes();
        let mut out = MappedText::builder();
        out.set_end(start);
        let mut i = start;
        let mut run = start; // start of the pending verbatim run
        let flush = |out: &mut crate::span::MappedTextBuilder, run: usize, to: usize| {
            if to > run {
                if let Some(s) = src.get(run..to) {
                    out.push_str(s, run);
                }
            }
        };
        while i < b.len() {
            if !close.is_empty() && b[i..].starts_with(close) {
                flush(&mut out, run, i);
                out.set_end(i);
                return (out.finish(), i + close.len());
            }
            let c = b[i];
            if until_line_end && c == b'\n' {
                flush(&mut out, run, i);
                out.set_end(i);
                return (out.finish(), i);
            }
            if c == b'\\' && (self.escapes || self.escape_quote_only) {
                let next = b.get(i + 1).copied();
                let Some(next) = next else {
                    break;
                };
                let next_len = char_len(src, i + 1);
                let escaped_close = close.first() == Some(&next);
                if self.escapes {
                    flush(&mut out, run, i);
                    let decoded = match next {
                        b'n' => Some('\n'),
                        b't' => Some('\t'),
                        b'r' => Some('\r'),
                        b'0' => Some('\0'),
                        b'\\' | b'\'' | b'"' | b'`' | b'$' | b'#' | b'{' | b'}' => {
                            Some(next as char)
                        }
                        _ => None,
                    };
                    let span = Span::new(i, i + 1 + next_len);
                    match decoded {
                        Some(ch) => out.push_char(ch, span),
                        None => {
                            if let Some(s) = src.get(i..i + 1 + next_len) {
                                out.push_str(s, i);
                            }
                        }
                    }
                    i += 1 + next_len;
                    run = i;
                    continue;
                }
                // Only the quote (and the backslash itself) are protected.
                if escaped_close || next == b'\\' {
                    flush(&mut out, run, i);
                    out.push_char(next as char, Span::new(i, i + 2));
                    i += 2;
                    run = i;
                    continue;
                }
                i += 1;
                continue;
            }
            if let Some(end) = self.interpolation(b, i) {
                flush(&mut out, run, i);
                out.push_char(HOLE, Span::new(i, end));
                i = end;
                run = i;
                continue;
            }
            if self.interp == Interp::Brace && (c == b'{' || c == b'}') && b.get(i + 1) == Some(&c)
            {
                flush(&mut out, run, i);
                out.push_char(c as char, Span::new(i, i + 2));
                i += 2;
                run = i;
                continue;
            }
            i += 1;
        }
        flush(&mut out, run, b.len().min(i));
        out.set_end(b.len());
        (out.finish(), b.len())
    }

    /// The end of an interpolation starting at `i`, if one starts there.
    fn interpolation(&self, b: &[u8], i: usize) -> Option<usize> {
        match self.interp {
            Interp::None => None,
            Interp::Hash if b[i] == b'#' && b.get(i + 1) == Some(&b'{') => {
                Some(skip_braced(b, i + 2))
            }
            Interp::Dollar if b[i] == b'$' && b.get(i + 1) == Some(&b'{') => {
                Some(skip_braced(b, i + 2))
            }
            Interp::Brace if b[i] == b'{' && b.get(i + 1) != Some(&b'{') => {
                Some(skip_braced(b, i + 1))
            }
            Interp::Php => {
                if b[i] == b'{' && b.get(i + 1) == Some(&b'$') {
                    return Some(skip_braced(b, i + 1));
                }
                if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
                    return Some(skip_braced(b, i + 2));
                }
                if b[i] == b'$' && b.get(i + 1).is_some_and(|&c| is_ident_start(c)) {
                    let mut end = ident_end(b, i + 1);
                    if b[end..].starts_with(b"->")
                        && b.get(end + 2).is_some_and(|&c| is_ident_start(c))
                    {
                        end = ident_end(b, end + 2);
                    } else if b.get(end) == Some(&b'[') {
                        let window = &b[end..b.len().min(end + 256)];
                        if let Some(p) = window.iter().position(|&c| c == b']' || c == b'\n') {
                            if b[end + p] == b']' {
                                end += p + 1;
                            }
                        }
                    }
                    return Some(end);
                }
                None
            }
            _ => None,
        }
    }
}

/// The offset just past the `}` closing a brace group whose body starts at `i` (depth 1),
/// skipping quoted strings inside; the end of the text when unclosed.
pub(super) fn skip_braced(b: &[u8], mut i: usize) -> usize {
    let mut depth = 1usize;
    while i < b.len() {
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            q @ (b'"' | b'\'' | b'`') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(src: &str, scan: StrScan, close: &str) -> (String, usize) {
        let (text, end) = scan.scan(src, 1, close.as_bytes(), false);
        (text.as_str().to_string(), end)
    }

    #[test]
    fn decodes_escapes_and_maps_them() {
        let src = r#""a\"b\nc" tail"#;
        let scan = StrScan {
            escapes: true,
            escape_quote_only: false,
            interp: Interp::None,
        };
        let (text, end) = scan.scan(src, 1, b"\"", false);
        assert_eq!(text.as_str(), "a\"b\nc");
        assert_eq!(&src[end..], " tail");
        // The decoded quote maps to its escape sequence.
        assert_eq!(text.source_span(Span::new(1, 2)).slice(src), "\\\"");
        assert_eq!(text.source_span(Span::new(0, 5)).slice(src), r#"a\"b\nc"#);
    }

    #[test]
    fn interpolations_become_holes() {
        let scan = |interp| StrScan {
            escapes: true,
            escape_quote_only: false,
            interp,
        };
        assert_eq!(
            lit(r#""DROP #{t} x""#, scan(Interp::Hash), "\"").0,
            format!("DROP {HOLE} x")
        );
        assert_eq!(
            lit("`a ${b + \"}\"} c`", scan(Interp::Dollar), "`").0,
            format!("a {HOLE} c")
        );
        assert_eq!(
            lit("'a {{x}} {y}'", scan(Interp::Brace), "'").0,
            format!("a {{x}} {HOLE}")
        );
        assert_eq!(
            lit(r#""t $table->name x {$a['b']}""#, scan(Interp::Php), "\"").0,
            format!("t {HOLE} x {HOLE}")
        );
    }

    #[test]
    fn raw_strings_protect_only_the_quote() {
        let scan = StrScan {
            escapes: false,
            escape_quote_only: true,
            interp: Interp::None,
        };
        assert_eq!(lit(r"'it\'s \d'", scan, "'").0, r"it's \d");
    }

    #[test]
    fn unterminated_strings_end_at_the_text_end() {
        let scan = StrScan {
            escapes: true,
            escape_quote_only: false,
            interp: Interp::Hash,
        };
        let src = "\"abc #{ never closed";
        let (text, end) = scan.scan(src, 1, b"\"", false);
        assert_eq!(end, src.len());
        assert_eq!(text.as_str(), format!("abc {HOLE}"));
        let (_, end) = scan.scan("\"abc\\", 1, b"\"", false);
        assert_eq!(end, 5);
    }

    #[test]
    fn brackets_match_and_args_split() {
        let src = "f(a, [b, c], g(d))";
        let toks: Vec<Token> = src
            .char_indices()
            .filter(|(_, c)| *c != ' ')
            .map(|(i, c)| {
                let tok = if c.is_alphabetic() {
                    Tok::Ident
                } else {
                    Tok::Punct
                };
                Token::new(tok, src, i, i + 1)
            })
            .collect();
        let tokens = Tokens::new(toks);
        assert_eq!(tokens.closing(1), tokens.len() - 1);
        let args = tokens.split_commas(2, tokens.len() - 1);
        assert_eq!(args.len(), 3);
        assert_eq!(tokens.text(args[1].0), "[");
    }
}
