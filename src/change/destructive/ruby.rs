//! Rails (ActiveRecord) migrations, and Sequel's, which share the conventions.
//!
//! A light Ruby tokenizer: `#` and `=begin`/`=end` comments, `"..."` (with `#{}`
//! interpolation), `'...'`, `` `...` ``, `%q()`/`%Q[]`/`%()`/`%w[]`/`%i[]` literals, heredocs
//! (`<<~SQL`, `<<-SQL`, `<<SQL`, quoted tags; bodies start on the next line), symbols
//! (`:users`, `:"users"`), labels (`null:`), `__END__`.
//!
//! Structure: `def`, `class`, `module`, `do`, `begin`, `case`, statement-level `if`/`unless`/
//! `while`/`until`/`for` open a block closed by `end`; `{ }` blocks. Only calls inside
//! `def up`/`def change` (or `def self.up`, or Sequel's `up do`/`change do`) are reported, and
//! not inside `dir.down { }` of `reversible`, nor inside `revert do ... end` (which runs its
//! block backwards: what it holds is not what runs). What `def down`/`dir.down` do is kept as
//! evidence (see [`super::Found::rollback`]).
//!
//! Calls: `remove_column :t, :c`, `remove_columns :t, :a, :b`, `remove_reference :t, :user`
//! (drops `user_id`, and `user_type` when `polymorphic: true`), `remove_belongs_to`,
//! `remove_timestamps`, `rename_column`, `drop_table :a[, :b]`, `drop_join_table`,
//! `rename_table`, `change_column_null :t, :c, false`, and in `change_table :t do |t|`:
//! `t.remove`, `t.remove_references`, `t.remove_belongs_to`, `t.remove_timestamps`, `t.rename`,
//! `t.change_null :c, false`. `change_column :t, :c, :type, null: false` is not reported: it
//! restates the whole column, and in real migrations it mostly changes the type of a column
//! that is NOT NULL already. `execute`/`exec_query` with a string (heredocs included)
//! runs the SQL scanner on the string. Sequel: `drop_column :t, :c`, and in
//! `alter_table(:t) do`: `drop_column :c`, `rename_column :a, :b`, `set_column_not_null :c`.
//! `create_table :t` records `t` as created by the file.

use super::lex::{
    argument, ident_end, is_ident_start, keyword, line_end, number_end, positional, punct_end, Arg,
    Interp, StrScan, Tok, Token, Tokens, MAX_ARG_TOKENS, MAX_FRAMES_SEARCHED, NONE,
};
use super::{sql, underline, Found, Hit};
use crate::span::{MappedText, Span};

/// How far back a block's head (`change_table :users do`) is looked for.
const MAX_HEAD_TOKENS: usize = 256;

const OPS: &[&str] = &[
    "::", "=>", "->", "&.", "**", "==", "!=", "<=", ">=", "||", "&&", "...", "..", "<<", "||=",
    "&&=", "+=", "-=", "=~",
];

pub(super) fn scan(text: &str, found: &mut Found) {
    let tokens = Tokens::new(tokenize(text));
    Matcher {
        src: text,
        t: &tokens,
        stack: Vec::new(),
    }
    .run(found);
}

struct Heredoc {
    token: usize,
    tag: String,
    /// `<<~` or `<<-`: the closing tag may be indented.
    indented: bool,
    /// `<<~'SQL'`: no escapes, no interpolation.
    raw: bool,
}

fn dq() -> StrScan {
    StrScan {
        escapes: true,
        escape_quote_only: false,
        interp: Interp::Hash,
    }
}

fn sq() -> StrScan {
    StrScan {
        escapes: false,
        escape_quote_only: true,
        interp: Interp::None,
    }
}

fn closing_delimiter(open: u8) -> u8 {
    match open {
        b'(' => b')',
        b'[' => b']',
        b'{' => b'}',
        b'<' => b'>',
        other => other,
    }
}

fn tokenize(src: &str) -> Vec<Token<'_>> {
    let b = src.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let mut pending: Vec<Heredoc> = Vec::new();
    let mut i = 0;
    let mut line_start = true;
    // A `/` before this offset has no closing `/` on its line (not searched again).
    let mut no_regex_before = 0;
    while i < b.len() {
        let c = b[i];
        if line_start {
            if b[i..].starts_with(b"=begin") && b.get(i + 6).is_none_or(|c| c.is_ascii_whitespace())
            {
                i = skip_embedded_doc(b, i);
                continue;
            }
            if b[i..].starts_with(b"__END__")
                && b.get(i + 7).is_none_or(|&c| c == b'\n' || c == b'\r')
            {
                break;
            }
        }
        line_start = false;
        match c {
            b'\n' => {
                out.push(Token::new(Tok::Newline, src, i, i + 1));
                i += 1;
                line_start = true;
                if !pending.is_empty() {
                    i = read_heredocs(src, i, &mut pending, &mut out);
                }
            }
            b' ' | b'\t' | b'\r' | 0x0c => i += 1,
            b'\\' if b.get(i + 1) == Some(&b'\n') => i += 2,
            b'\\' if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') => i += 3,
            b'#' => i = line_end(b, i),
            b'"' | b'`' => {
                let (text, end) = dq().scan(src, i + 1, &[c], false);
                i = push_string(src, &mut out, i, end, text);
            }
            b'\'' => {
                let (text, end) = sq().scan(src, i + 1, b"'", false);
                i = push_string(src, &mut out, i, end, text);
            }
            b':' if b.get(i + 1) == Some(&b':') => {
                out.push(Token::new(Tok::Punct, src, i, i + 2));
                i += 2;
            }
            b':' if matches!(b.get(i + 1), Some(b'"' | b'\'')) => {
                let q = b[i + 1];
                let scan = if q == b'"' { dq() } else { sq() };
                let (text, end) = scan.scan(src, i + 2, &[q], false);
                out.push(Token::new(Tok::Sym(text.as_str().to_string()), src, i, end));
                i = end;
            }
            b':' if b.get(i + 1).is_some_and(|&c| is_ident_start(c)) => {
                let mut end = ident_end(b, i + 1);
                if matches!(b.get(end), Some(b'?' | b'!' | b'=')) && b.get(end + 1) != Some(&b'=') {
                    end += 1;
                }
                let name = src[i + 1..end].to_string();
                out.push(Token::new(Tok::Sym(name), src, i, end));
                i = end;
            }
            b'%' if percent_literal(b, i, out.last()) => {
                i = percent(src, i, &mut out);
            }
            b'<' if b.get(i + 1) == Some(&b'<') => match heredoc_start(src, i) {
                Some((heredoc, end)) => {
                    pending.push(Heredoc {
                        token: out.len(),
                        ..heredoc
                    });
                    out.push(Token::new(
                        Tok::Str(Box::new(MappedText::contiguous(String::new(), end))),
                        src,
                        i,
                        end,
                    ));
                    i = end;
                }
                None => {
                    let end = punct_end(src, i, OPS);
                    out.push(Token::new(Tok::Punct, src, i, end));
                    i = end;
                }
            },
            b'/' if i >= no_regex_before && regex_allowed(out.last()) => {
                let end = line_end(b, i);
                let close = (i + 1..end).find(|&j| b[j] == b'/' && b[j - 1] != b'\\');
                if close.is_none() {
                    no_regex_before = end;
                }
                match close {
                    Some(close) => {
                        let mut e = close + 1;
                        while e < b.len() && b[e].is_ascii_alphabetic() {
                            e += 1;
                        }
                        let text = MappedText::contiguous(&src[i + 1..close], i + 1);
                        out.push(Token::new(Tok::Str(Box::new(text)), src, i, e));
                        i = e;
                    }
                    None => {
                        out.push(Token::new(Tok::Punct, src, i, i + 1));
                        i += 1;
                    }
                }
            }
            c if c.is_ascii_digit() => {
                let end = number_end(b, i);
                out.push(Token::new(Tok::Num, src, i, end));
                i = end;
            }
            c if is_ident_start(c)
                || ((c == b'@' || c == b'$')
                    && b.get(i + 1)
                        .is_some_and(|&n| is_ident_start(n) || n == b'@')) =>
            {
                let mut start_name = i;
                while start_name < b.len() && (b[start_name] == b'@' || b[start_name] == b'$') {
                    start_name += 1;
                }
                let mut end = ident_end(b, start_name);
                if matches!(b.get(end), Some(b'?' | b'!')) && b.get(end + 1) != Some(&b'=') {
                    end += 1;
                }
                if b.get(end) == Some(&b':')
                    && b.get(end + 1) != Some(&b':')
                    && c != b'@'
                    && c != b'$'
                {
                    let name = src[i..end].to_string();
                    out.push(Token::new(Tok::Label(name), src, i, end + 1));
                    i = end + 1;
                } else {
                    out.push(Token::new(Tok::Ident, src, i, end));
                    i = end;
                }
            }
            _ => {
                let end = punct_end(src, i, OPS);
                out.push(Token::new(Tok::Punct, src, i, end));
                i = end;
            }
        }
    }
    out
}

/// Push a string token `start..end`; a `"key":` string is a label. Returns where to go on.
fn push_string<'a>(
    src: &'a str,
    out: &mut Vec<Token<'a>>,
    start: usize,
    end: usize,
    text: MappedText,
) -> usize {
    let b = src.as_bytes();
    if b.get(end) == Some(&b':') && b.get(end + 1).is_some_and(|c| c.is_ascii_whitespace()) {
        out.push(Token::new(
            Tok::Label(text.as_str().to_string()),
            src,
            start,
            end + 1,
        ));
        return end + 1;
    }
    out.push(Token::new(Tok::Str(Box::new(text)), src, start, end));
    end
}

/// Skip an `=begin ... =end` block starting at `i`; returns the start of the line after
/// `=end` (or the end of the text).
fn skip_embedded_doc(b: &[u8], i: usize) -> usize {
    let mut p = line_end(b, i) + 1;
    while p < b.len() {
        let end = line_end(b, p);
        if b[p..end].starts_with(b"=end") {
            return end + 1;
        }
        p = end + 1;
    }
    b.len()
}

/// Whether a `/` starts a regular expression (it follows no value).
fn regex_allowed(prev: Option<&Token<'_>>) -> bool {
    match prev {
        None => true,
        Some(t) => match &t.tok {
            Tok::Newline | Tok::Label(_) => true,
            Tok::Punct => !matches!(t.text, ")" | "]" | "}"),
            Tok::Ident => matches!(
                t.text,
                "if" | "unless"
                    | "when"
                    | "and"
                    | "or"
                    | "not"
                    | "return"
                    | "then"
                    | "while"
                    | "until"
                    | "elsif"
            ),
            _ => false,
        },
    }
}

/// Whether the `%` at `i` starts a percent literal rather than the modulo operator.
fn percent_literal(b: &[u8], i: usize, prev: Option<&Token<'_>>) -> bool {
    let after_value = match prev {
        None => false,
        Some(t) => match &t.tok {
            Tok::Num | Tok::Str(_) | Tok::Sym(_) => true,
            Tok::Punct => matches!(t.text, ")" | "]" | "}"),
            Tok::Ident => {
                // `x % 2` is modulo; `execute %(...)` (space before, none after) a literal.
                !(i > 0
                    && b[i - 1] == b' '
                    && b.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()))
            }
            _ => false,
        },
    };
    if after_value {
        return false;
    }
    match b.get(i + 1) {
        Some(b'q' | b'Q' | b'w' | b'W' | b'i' | b'I' | b's' | b'r' | b'x') => b
            .get(i + 2)
            .is_some_and(|&d| !d.is_ascii_alphanumeric() && !d.is_ascii_whitespace()),
        Some(b'(' | b'[' | b'{' | b'<' | b'|' | b'!' | b'/' | b'^') => true,
        _ => false,
    }
}

/// Read the percent literal at `i`; returns its end.
fn percent<'a>(src: &'a str, i: usize, out: &mut Vec<Token<'a>>) -> usize {
    let b = src.as_bytes();
    let (kind, open_at) = if b[i + 1].is_ascii_alphabetic() {
        (b[i + 1], i + 2)
    } else {
        (b'Q', i + 1)
    };
    let open = b[open_at];
    let close = closing_delimiter(open);
    // Find the end, nesting paired delimiters.
    let mut depth = 1usize;
    let mut j = open_at + 1;
    while j < b.len() {
        let c = b[j];
        if c == b'\\' {
            j += 2;
            continue;
        }
        if c == close {
            depth -= 1;
            if depth == 0 {
                break;
            }
        } else if c == open && open != close {
            depth += 1;
        }
        j += 1;
    }
    let body_end = j.min(b.len());
    let end = (j + 1).min(b.len());
    let body = &src[..body_end];
    let scan = if matches!(kind, b'q' | b'w' | b'i' | b's') {
        sq()
    } else {
        dq()
    };
    let (text, _) = scan.scan(body, open_at + 1, b"", false);
    out.push(Token::new(Tok::Str(Box::new(text)), src, i, end));
    end
}

/// A heredoc opener at `i` (`<<~SQL`, `<<-'SQL'`, `<<SQL`): the heredoc and the opener's end.
fn heredoc_start(src: &str, i: usize) -> Option<(Heredoc, usize)> {
    let b = src.as_bytes();
    // `x << y` is a shift: a heredoc opener follows a space, `(`, `,` or the line start and
    // has no space after `<<`.
    if i > 0 && !matches!(b[i - 1], b' ' | b'\t' | b'(' | b',' | b'\n' | b'=') {
        return None;
    }
    let mut j = i + 2;
    let indented = matches!(b.get(j), Some(b'~' | b'-'));
    if indented {
        j += 1;
    }
    match b.get(j) {
        Some(&q @ (b'\'' | b'"' | b'`')) => {
            let close = (j + 1..line_end(b, j)).find(|&k| b[k] == q)?;
            let tag = src.get(j + 1..close)?.to_string();
            if tag.is_empty() {
                return None;
            }
            Some((
                Heredoc {
                    token: 0,
                    tag,
                    indented,
                    raw: q == b'\'',
                },
                close + 1,
            ))
        }
        Some(&c) if c.is_ascii_alphabetic() || c == b'_' => {
            // Without `~`/`-`, only an upper-case tag reads as a heredoc (`a <<b` is a shift).
            if !indented && !c.is_ascii_uppercase() {
                return None;
            }
            let end = ident_end(b, j);
            Some((
                Heredoc {
                    token: 0,
                    tag: src[j..end].to_string(),
                    indented,
                    raw: false,
                },
                end,
            ))
        }
        _ => None,
    }
}

/// Read the bodies of the pending heredocs from the line starting at `pos`; returns the
/// start of the line after the last terminator.
fn read_heredocs<'a>(
    src: &'a str,
    mut pos: usize,
    pending: &mut Vec<Heredoc>,
    out: &mut [Token<'a>],
) -> usize {
    let b = src.as_bytes();
    for heredoc in pending.drain(..) {
        let body_start = pos;
        let mut body_end = b.len();
        let mut p = pos;
        while p < b.len() {
            let end = line_end(b, p);
            let line = src[p..end].trim_end_matches('\r');
            let is_terminator = if heredoc.indented {
                line.trim() == heredoc.tag
            } else {
                line == heredoc.tag
            };
            if is_terminator {
                body_end = p;
                p = (end + 1).min(b.len());
                break;
            }
            p = (end + 1).min(b.len());
            body_end = p;
        }
        pos = p;
        let scan = if heredoc.raw { sq() } else { dq() };
        let scan = StrScan {
            escape_quote_only: false,
            ..scan
        };
        let (text, _) = scan.scan(&src[..body_end], body_start, b"", false);
        if let Some(token) = out.get_mut(heredoc.token) {
            token.tok = Tok::Str(Box::new(text));
        }
    }
    pos
}

#[derive(Debug, Clone)]
enum Frame {
    /// `def name` (`def self.up` is `up`).
    Def(String),
    /// A `do ... end` or `{ }` block of a call.
    Block(Block),
    /// A `{ }` that is a hash or an unrecognised block.
    Brace,
    /// `class`, `module`, `if`, `begin`, ... up to their `end`.
    Other,
}

#[derive(Debug, Clone)]
struct Block {
    callee: String,
    has_receiver: bool,
    brace: bool,
    /// `change_table :t do |t|` (`param`) or Sequel `alter_table(:t) do` (receiver-less calls).
    table: Option<Option<String>>,
    param: Option<String>,
    receiverless: bool,
}

struct Matcher<'a, 't> {
    src: &'a str,
    t: &'t Tokens<'a>,
    stack: Vec<Frame>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
    Neither,
}

/// The head of a block: the call it belongs to.
struct Head {
    callee: String,
    has_receiver: bool,
    args: Vec<Arg>,
}

fn ruby_key(t: &Tokens<'_>, s: usize) -> Option<(String, usize)> {
    match &t.v.get(s)?.tok {
        Tok::Label(name) => Some((name.clone(), s + 1)),
        Tok::Sym(_) | Tok::Str(_) if t.is_punct(s + 1, "=>") => {
            let name = match &t.v[s].tok {
                Tok::Sym(n) => n.clone(),
                Tok::Str(text) => text.as_str().to_string(),
                _ => return None,
            };
            Some((name, s + 2))
        }
        _ => None,
    }
}

const KEYWORDS: &[&str] = &[
    "def", "end", "do", "if", "unless", "while", "until", "for", "case", "when", "begin", "rescue",
    "ensure", "else", "elsif", "then", "class", "module", "return", "and", "or", "not", "yield",
    "self", "nil", "true", "false", "in", "super",
];

impl<'a> Matcher<'a, '_> {
    fn run(&mut self, found: &mut Found) {
        let t = self.t;
        // What rollback sections do: evidence only (see `Found::rollback`).
        let mut rollback = Found::default();
        let mut loop_pending = false;
        let mut i = 0;
        while i < t.len() {
            let after_dot = i > 0 && (t.is_punct(i - 1, ".") || t.is_punct(i - 1, "&."));
            match &t.v[i].tok {
                Tok::Newline => loop_pending = false,
                Tok::Punct if t.text(i) == ";" => loop_pending = false,
                Tok::Punct if t.text(i) == "{" => {
                    let frame = match self.brace_block(i) {
                        Some(block) => Frame::Block(block),
                        None => Frame::Brace,
                    };
                    self.stack.push(frame);
                }
                Tok::Punct if t.text(i) == "}" => {
                    if let Some(pos) = self.stack.iter().rposition(|f| {
                        matches!(f, Frame::Brace) || matches!(f, Frame::Block(b) if b.brace)
                    }) {
                        self.stack.truncate(pos);
                    }
                }
                Tok::Ident if !after_dot => {
                    let word = t.text(i);
                    match word {
                        "def" => {
                            if let Some(name) = self.def_name(i) {
                                self.stack.push(Frame::Def(name));
                            }
                        }
                        "class" | "module" | "case" | "begin" => self.stack.push(Frame::Other),
                        "if" | "unless" | "while" | "until" | "for" if self.starts_statement(i) => {
                            self.stack.push(Frame::Other);
                            loop_pending = matches!(word, "while" | "until" | "for");
                        }
                        "do" => {
                            if loop_pending {
                                loop_pending = false;
                            } else {
                                let frame = match self.do_block(i) {
                                    Some(block) => Frame::Block(block),
                                    None => Frame::Other,
                                };
                                self.stack.push(frame);
                            }
                        }
                        "end" => {
                            if matches!(self.stack.last(), Some(f) if !matches!(f, Frame::Brace) && !matches!(f, Frame::Block(b) if b.brace))
                            {
                                self.stack.pop();
                            }
                        }
                        _ if !KEYWORDS.contains(&word) => self.call(i, None, found, &mut rollback),
                        _ => {}
                    }
                }
                Tok::Ident if after_dot => {
                    let receiver = (i >= 2).then(|| t.ident(i - 2)).flatten();
                    self.call(i, Some(receiver.unwrap_or("")), found, &mut rollback);
                }
                _ => {}
            }
            i += 1;
        }
        found.add_rollback(rollback);
    }

    /// The method name of a `def` at `i` (`None` for an endless `def x = ...`).
    fn def_name(&self, i: usize) -> Option<String> {
        let t = self.t;
        let mut j = i + 1;
        if t.is_ident(j, "self") && t.is_punct(j + 1, ".") {
            j += 2;
        }
        let name = t.text(j).to_string();
        let mut k = j + 1;
        if t.is_punct(k, "(") {
            k = t.closing(k) + 1;
        }
        if t.is_punct(k, "=") {
            return None;
        }
        Some(name)
    }

    fn starts_statement(&self, i: usize) -> bool {
        let t = self.t;
        if i == 0 || t.is_newline(i - 1) {
            return true;
        }
        let p = i - 1;
        match &t.v[p].tok {
            Tok::Punct => matches!(t.text(p), ";" | "(" | "[" | "=" | "||=" | "&&=" | "," | "{"),
            Tok::Ident => matches!(
                t.text(p),
                "then" | "else" | "do" | "begin" | "and" | "or" | "not" | "return"
            ),
            _ => false,
        }
    }

    /// Where the statement holding token `i` starts (within [`MAX_HEAD_TOKENS`]).
    fn statement_start(&self, i: usize) -> usize {
        let t = self.t;
        let mut j = i;
        let mut steps = 0;
        while j > 0 && steps < MAX_HEAD_TOKENS {
            let p = j - 1;
            steps += 1;
            if t.is_newline(p) {
                // A line ending in `,` or an operator continues the statement.
                let continued = p > 0 && (t.is_punct(p - 1, ",") || t.is_punct(p - 1, "\\"));
                if !continued {
                    break;
                }
            } else if t.is_punct(p, ";") {
                break;
            } else if t.open.get(p).is_some_and(|&o| o != NONE) {
                j = t.open[p];
                continue;
            } else if t.close.get(p).is_some_and(|&c| c != NONE) {
                // An unclosed opener before us: the statement starts inside it.
                break;
            }
            j = p;
        }
        j
    }

    /// The call a block opened at `open` belongs to.
    fn head(&self, open: usize) -> Option<Head> {
        let t = self.t;
        let s = self.statement_start(open);
        // Skip `x = ` assignments.
        let mut s = s;
        if t.ident(s).is_some() && t.is_punct(s + 1, "=") {
            s += 2;
        }
        let mut callee = t.ident(s)?;
        let mut has_receiver = false;
        let mut j = s + 1;
        while (t.is_punct(j, ".") || t.is_punct(j, "&.") || t.is_punct(j, "::"))
            && t.ident(j + 1).is_some()
        {
            callee = t.text(j + 1);
            has_receiver = true;
            j += 2;
        }
        let args = if t.is_punct(j, "(") {
            let close = t.closing(j);
            t.args(j + 1, close.min(open), ruby_key)
        } else {
            t.args(j, open, ruby_key)
        };
        Some(Head {
            callee: callee.to_string(),
            has_receiver,
            args,
        })
    }

    fn block_of(&self, open: usize, brace: bool) -> Option<Block> {
        let t = self.t;
        let head = self.head(open)?;
        let param = if t.is_punct(open + 1, "|") {
            t.ident(open + 2).map(str::to_string)
        } else {
            None
        };
        let first = positional(&head.args, 0).and_then(|a| t.literal(a.start, a.end));
        let (table, receiverless) = match head.callee.as_str() {
            "change_table" if !head.has_receiver => (Some(first), false),
            "alter_table" if !head.has_receiver => (Some(first), true),
            _ => (None, false),
        };
        Some(Block {
            callee: head.callee,
            has_receiver: head.has_receiver,
            brace,
            table,
            param,
            receiverless,
        })
    }

    fn do_block(&self, i: usize) -> Option<Block> {
        self.block_of(i, false)
    }

    /// A `{` that opens a block (after a method name or its argument list), not a hash.
    fn brace_block(&self, i: usize) -> Option<Block> {
        let t = self.t;
        let p = i.checked_sub(1)?;
        let after_call = match &t.v[p].tok {
            Tok::Ident => !KEYWORDS.contains(&t.text(p)) || t.text(p) == "super",
            Tok::Punct => t.text(p) == ")",
            _ => false,
        };
        if !after_call {
            return None;
        }
        self.block_of(i, true)
    }

    /// When calls at the current position run: migrating up, rolling back, or neither (a
    /// helper method, a `revert` block that runs its content backwards).
    fn direction(&self) -> Direction {
        for frame in self.stack.iter().rev().take(MAX_FRAMES_SEARCHED) {
            match frame {
                Frame::Def(name) => {
                    return match name.as_str() {
                        "up" | "change" => Direction::Up,
                        "down" => Direction::Down,
                        _ => Direction::Neither,
                    }
                }
                Frame::Block(b) => match b.callee.as_str() {
                    "down" => return Direction::Down,
                    "revert" => return Direction::Neither,
                    "up" | "change" if !b.has_receiver => return Direction::Up,
                    _ => {}
                },
                Frame::Brace | Frame::Other => {}
            }
        }
        Direction::Neither
    }

    /// The innermost block binding a table: `change_table :t do |t|` whose parameter is
    /// `receiver`, or (receiver `None`) a Sequel `alter_table`.
    fn binding(&self, receiver: Option<&str>) -> Option<&Block> {
        self.stack
            .iter()
            .rev()
            .take(MAX_FRAMES_SEARCHED)
            .find_map(|f| match f {
                Frame::Block(b) if b.table.is_some() => match receiver {
                    Some(r) => (b.param.as_deref() == Some(r)).then_some(b),
                    None => b.receiverless.then_some(b),
                },
                _ => None,
            })
    }

    /// The arguments of the call whose name is token `i`, and the index of its last token.
    fn call_args(&self, i: usize) -> (Vec<Arg>, usize) {
        let t = self.t;
        let j = i + 1;
        if t.is_punct(j, "(") {
            let close = t.closing(j);
            return (
                t.args(j + 1, close, ruby_key),
                close.min(t.len().saturating_sub(1)),
            );
        }
        let starts_arg = match t.v.get(j).map(|x| &x.tok) {
            Some(Tok::Sym(_) | Tok::Str(_) | Tok::Label(_) | Tok::Num) => true,
            Some(Tok::Ident) => !matches!(
                t.text(j),
                "do" | "if"
                    | "unless"
                    | "while"
                    | "until"
                    | "rescue"
                    | "end"
                    | "then"
                    | "and"
                    | "or"
            ),
            Some(Tok::Punct) => matches!(t.text(j), "[" | "*" | "->" | "::"),
            _ => false,
        };
        if !starts_arg {
            return (Vec::new(), i);
        }
        let mut k = j;
        let limit = t.len().min(j + MAX_ARG_TOKENS);
        while k < limit {
            match &t.v[k].tok {
                Tok::Newline => {
                    if k > 0 && t.is_punct(k - 1, ",") {
                        k += 1;
                        continue;
                    }
                    break;
                }
                Tok::Ident
                    if matches!(
                        t.text(k),
                        "do" | "if" | "unless" | "while" | "until" | "rescue" | "end" | "then"
                    ) =>
                {
                    break
                }
                Tok::Punct => match t.text(k) {
                    ";" | ")" | "]" | "}" => break,
                    "{" if !(k > 0 && t.is_punct(k - 1, ",")) => break,
                    "(" | "[" | "{" => k = t.closing(k) + 1,
                    _ => k += 1,
                },
                _ => k += 1,
            }
        }
        let mut last = k.saturating_sub(1).max(j);
        while last > j && t.is_newline(last) {
            last -= 1;
        }
        (t.args(j, k, ruby_key), last.min(t.len().saturating_sub(1)))
    }

    fn lit(&self, arg: Option<&Arg>) -> Option<String> {
        arg.and_then(|a| self.t.literal(a.start, a.end))
    }

    /// Literal positional arguments from the `n`-th on.
    fn lits_from(&self, args: &[Arg], n: usize) -> Vec<String> {
        args.iter()
            .filter(|a| a.key.is_none())
            .skip(n)
            .filter_map(|a| self.t.literal(a.start, a.end))
            .collect()
    }

    fn is_false(&self, arg: Option<&Arg>) -> bool {
        arg.is_some_and(|a| {
            self.t.is_ident(self.t.skip_newlines(a.start), "false")
                && a.end == self.t.skip_newlines(a.start) + 1
        })
    }

    fn is_true(&self, arg: Option<&Arg>) -> bool {
        arg.is_some_and(|a| self.t.is_ident(self.t.skip_newlines(a.start), "true"))
    }

    /// The first string argument, for `execute`.
    fn sql_argument(&self, args: &[Arg]) -> Option<&'_ MappedText> {
        let a = positional(args, 0)?;
        self.t.string(self.t.skip_newlines(a.start))
    }

    /// A call whose method name is token `i`; `receiver` is `Some` for `x.name` calls. What
    /// runs when migrating up goes to `found`, what runs on rollback to `rollback`.
    fn call(&self, i: usize, receiver: Option<&str>, found: &mut Found, rollback: &mut Found) {
        let t = self.t;
        let name = t.text(i);
        if !is_interesting(name) {
            return;
        }
        let found = match self.direction() {
            Direction::Up => found,
            Direction::Down => rollback,
            Direction::Neither => return,
        };
        let (args, last) = self.call_args(i);
        let first = match receiver {
            Some(_) if i >= 2 => t.span(i - 2),
            _ => t.span(i),
        };
        let span = underline(self.src, first.join(t.span(i)), t.span(last));
        let pos = |n: usize| self.lit(positional(&args, n));
        if matches!(name, "execute" | "exec_query") {
            if let Some(sql_text) = self.sql_argument(&args) {
                sql::scan_embedded(sql_text, found);
            }
            return;
        }
        let hit = match receiver {
            None => self.receiverless(name, &args, span, found),
            Some(r) => {
                let Some(binding) = self.binding(Some(r)) else {
                    return;
                };
                let table = binding.table.clone().flatten();
                match name {
                    "remove" => Some(Hit::drop_columns(span, table, self.lits_from(&args, 0))),
                    "remove_references" | "remove_reference" | "remove_belongs_to" => Some(
                        Hit::drop_columns(span, table, self.reference_columns(&args, 0)),
                    ),
                    "remove_timestamps" => Some(Hit::drop_columns(
                        span,
                        table,
                        vec!["created_at".into(), "updated_at".into()],
                    )),
                    "rename" => Some(Hit::rename_column(span, table, pos(0), pos(1))),
                    "change_null" if self.is_false(positional(&args, 1)) => {
                        Some(Hit::not_null(span, table, pos(0)))
                    }
                    _ => None,
                }
            }
        };
        if let Some(hit) = hit {
            found.push(hit);
        }
    }

    fn receiverless(&self, name: &str, args: &[Arg], span: Span, found: &mut Found) -> Option<Hit> {
        let pos = |n: usize| self.lit(positional(args, n));
        // Inside Sequel's `alter_table(:t) do`, calls name columns of that table.
        if let Some(binding) = self.binding(None) {
            let table = binding.table.clone().flatten();
            match name {
                "drop_column" => {
                    return Some(Hit::drop_columns(span, table, pos(0).into_iter().collect()))
                }
                "rename_column" => return Some(Hit::rename_column(span, table, pos(0), pos(1))),
                "set_column_not_null" => return Some(Hit::not_null(span, table, pos(0))),
                _ => {}
            }
        }
        match name {
            "remove_column" | "drop_column" => Some(Hit::drop_columns(
                span,
                pos(0),
                pos(1).into_iter().collect(),
            )),
            "remove_columns" => Some(Hit::drop_columns(span, pos(0), self.lits_from(args, 1))),
            "remove_reference" | "remove_belongs_to" | "remove_references" => Some(
                Hit::drop_columns(span, pos(0), self.reference_columns(args, 1)),
            ),
            "remove_timestamps" => Some(Hit::drop_columns(
                span,
                pos(0),
                vec!["created_at".into(), "updated_at".into()],
            )),
            "rename_column" => Some(Hit::rename_column(span, pos(0), pos(1), pos(2))),
            "drop_table" => Some(Hit::drop_tables(span, self.lits_from(args, 0))),
            "drop_join_table" => {
                let name = self
                    .lit(keyword(args, "table_name"))
                    .or_else(|| Some(join_table_name(&pos(0)?, &pos(1)?)));
                Some(Hit::drop_tables(span, name.into_iter().collect()))
            }
            "rename_table" => Some(Hit::rename_table(span, pos(0), pos(1))),
            "change_column_null" if self.is_false(positional(args, 2)) => {
                Some(Hit::not_null(span, pos(0), pos(1)))
            }
            "create_table" | "create_join_table" => {
                let table = match name {
                    "create_join_table" => self
                        .lit(keyword(args, "table_name"))
                        .or_else(|| Some(join_table_name(&pos(0)?, &pos(1)?))),
                    _ => pos(0),
                };
                if let Some(table) = table {
                    found.created(table);
                }
                None
            }
            _ => None,
        }
    }

    /// The columns `remove_reference :t, :user, polymorphic: true` drops: `user_id` (and
    /// `user_type`), for each reference from the `n`-th positional argument.
    fn reference_columns(&self, args: &[Arg], n: usize) -> Vec<String> {
        let polymorphic = self.is_true(argument(args, "polymorphic", usize::MAX));
        let mut columns = Vec::new();
        for reference in self.lits_from(args, n) {
            columns.push(format!("{reference}_id"));
            if polymorphic {
                columns.push(format!("{reference}_type"));
            }
        }
        columns
    }
}

fn is_interesting(name: &str) -> bool {
    matches!(
        name,
        "remove_column"
            | "remove_columns"
            | "remove_reference"
            | "remove_references"
            | "remove_belongs_to"
            | "remove_timestamps"
            | "rename_column"
            | "drop_table"
            | "drop_join_table"
            | "rename_table"
            | "change_column_null"
            | "create_table"
            | "create_join_table"
            | "execute"
            | "exec_query"
            | "remove"
            | "rename"
            | "change_null"
            | "drop_column"
            | "set_column_not_null"
    )
}

/// Rails' default join table name: the two table names sorted, a common prefix ending in `_`
/// written once (`drop_join_table :catalog_categories, :catalog_products` is
/// `catalog_categories_products`).
fn join_table_name(a: &str, b: &str) -> String {
    let (first, second) = if a <= b { (a, b) } else { (b, a) };
    // The longest prefix of `first` ending in `_`, with something after it in both names.
    let prefix_len = first
        .char_indices()
        .filter(|&(i, c)| c == '_' && i + 1 < first.len())
        .map(|(i, _)| i + 1)
        .filter(|&len| second.len() > len && second.starts_with(&first[..len]))
        .max();
    match prefix_len {
        Some(len) => format!("{}{}_{}", &first[..len], &first[len..], &second[len..]),
        None => format!("{first}_{second}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{find, DestructiveKind as K};

    fn rb(text: &str) -> Vec<(K, String, String)> {
        find("db/migrate/20240101000000_change_users.rb", text)
            .into_iter()
            .map(|d| (d.kind, d.span.slice(text).to_string(), d.description))
            .collect()
    }

    fn spans(text: &str) -> Vec<String> {
        rb(text).into_iter().map(|(_, s, _)| s).collect()
    }

    #[test]
    fn remove_column_in_change() {
        let text = "\
class RemoveEmailFromUsers < ActiveRecord::Migration[7.1]
  def change
    remove_column :users, :email, :string
  end
end
";
        assert_eq!(
            rb(text),
            vec![(
                K::DropColumn,
                "remove_column :users, :email, :string".to_string(),
                "drops column `email` of table `users`".to_string()
            )]
        );
    }

    #[test]
    fn up_counts_down_does_not() {
        let text = "\
class RenameTheThings < ActiveRecord::Migration[6.1]
  def up
    rename_column(:users, :email, :email_address)
    rename_table \"orders\", 'purchases'
    drop_table :legacy, if_exists: true
  end

  def down
    remove_column :users, :nickname
    drop_table :users
  end
end
";
        assert_eq!(
            rb(text).into_iter().collect::<Vec<_>>(),
            vec![
                (
                    K::RenameColumn,
                    "rename_column(:users, :email, :email_address)".to_string(),
                    "renames column `email` of table `users` to `email_address`".to_string()
                ),
                (
                    K::RenameTable,
                    "rename_table \"orders\", 'purchases'".to_string(),
                    "renames table `orders` to `purchases`".to_string()
                ),
                (
                    K::DropTable,
                    "drop_table :legacy, if_exists: true".to_string(),
                    "drops table `legacy`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn self_up_old_style() {
        let text = "\
class X < ActiveRecord::Migration
  def self.up
    remove_column :users, :a
  end
  def self.down
    remove_column :users, :b
  end
end
";
        assert_eq!(spans(text), vec!["remove_column :users, :a"]);
    }

    #[test]
    fn not_null() {
        let text = "\
class X < ActiveRecord::Migration[7.0]
  def change
    change_column_null :users, :email, false
    change_column_null :users, :nickname, true
    change_column :users, :id, :bigint, null: false
    change_column :users, :bio, :text
    change_column_default :users, :name, from: nil, to: ''
  end
end
";
        assert_eq!(
            rb(text)
                .into_iter()
                .map(|(_, s, d)| (s, d))
                .collect::<Vec<_>>(),
            vec![(
                "change_column_null :users, :email, false".to_string(),
                "makes column `email` of table `users` NOT NULL".to_string()
            ),]
        );
    }

    #[test]
    fn change_table_block() {
        let text = "\
class X < ActiveRecord::Migration[7.0]
  def change
    change_table :users, bulk: true do |t|
      t.string :nickname
      t.remove :fax, :pager
      t.rename :email, :email_address
      t.remove_references :company, polymorphic: true
      t.remove_timestamps
      t.change_null :name, false
      t.index :nickname
    end
    create_table :widgets do |t|
      t.string :name, null: false
    end
  end
end
";
        assert_eq!(
            rb(text)
                .into_iter()
                .map(|(_, s, d)| (s, d))
                .collect::<Vec<_>>(),
            vec![
                (
                    "t.remove :fax, :pager".to_string(),
                    "drops columns `fax` and `pager` of table `users`".to_string()
                ),
                (
                    "t.rename :email, :email_address".to_string(),
                    "renames column `email` of table `users` to `email_address`".to_string()
                ),
                (
                    "t.remove_references :company, polymorphic: true".to_string(),
                    "drops columns `company_id` and `company_type` of table `users`".to_string()
                ),
                (
                    "t.remove_timestamps".to_string(),
                    "drops columns `created_at` and `updated_at` of table `users`".to_string()
                ),
                (
                    "t.change_null :name, false".to_string(),
                    "makes column `name` of table `users` NOT NULL".to_string()
                ),
            ]
        );
    }

    #[test]
    fn reversible_and_revert() {
        let text = "\
class X < ActiveRecord::Migration[7.0]
  def change
    reversible do |dir|
      dir.up do
        execute \"ALTER TABLE users DROP COLUMN legacy_id\"
      end
      dir.down { execute 'DROP TABLE users' }
    end
    revert do
      create_table :tmp
      drop_table :should_not_count
    end
    safety_assured { remove_column :users, :fax }
  end
end
";
        assert_eq!(
            spans(text),
            vec!["DROP COLUMN legacy_id", "remove_column :users, :fax"]
        );
    }

    #[test]
    fn execute_heredoc_maps_spans_into_the_file() {
        let text = "\
class X < ActiveRecord::Migration[7.0]
  def up
    execute <<~SQL.squish
      -- ALTER TABLE users DROP COLUMN in_comment;
      UPDATE users SET name = 'DROP TABLE x';
      ALTER TABLE #{table} DROP COLUMN email;
    SQL
    execute(<<-'SQL', 'raw')
      ALTER TABLE users RENAME COLUMN a TO b
    SQL
  end
end
";
        assert_eq!(
            rb(text),
            vec![
                (
                    K::DropColumn,
                    "DROP COLUMN email".to_string(),
                    "drops column `email`".to_string()
                ),
                (
                    K::RenameColumn,
                    "RENAME COLUMN a TO b".to_string(),
                    "renames column `a` of table `users` to `b`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn comments_strings_and_helpers_are_not_calls() {
        let text = "\
# remove_column :users, :email
=begin
  drop_table :users
=end
class X < ActiveRecord::Migration[7.0]
  def change
    add_column :users, :nickname, :string
    add_index :users, :nickname, algorithm: :concurrently
    say 'remove_column :users, :email'
    remove_index :users, :email
    remove_foreign_key :posts, :users
    Rails.logger.info %(drop_table :users)
  end

  private

  def cleanup
    remove_column :users, :never_called_from_up
  end
end
__END__
drop_table :users
";
        assert_eq!(rb(text), vec![]);
    }

    #[test]
    fn modifiers_do_not_open_blocks() {
        let text = "\
class X < ActiveRecord::Migration[7.0]
  def up
    remove_column :users, :a if column_exists?(:users, :a)
    unless table_exists?(:b)
      say 'no b'
    end
    drop_table :c
  end
  def down
    drop_table :d
  end
end
";
        assert_eq!(
            spans(text),
            vec!["remove_column :users, :a", "drop_table :c"]
        );
    }

    #[test]
    fn multi_line_calls_underline_the_method_name() {
        let text = "\
class X < ActiveRecord::Migration[7.0]
  def change
    remove_column :users,
                  :email
  end
end
";
        assert_eq!(
            rb(text),
            vec![(
                K::DropColumn,
                "remove_column".to_string(),
                "drops column `email` of table `users`".to_string()
            )]
        );
    }

    #[test]
    fn references_and_join_tables() {
        let text = "\
class X < ActiveRecord::Migration[7.0]
  def change
    remove_reference :posts, :author, foreign_key: true, index: true
    drop_join_table :catalog_products, :catalog_categories
    drop_join_table :a, :b, table_name: :a_to_b
    remove_columns :users, :a, :b, type: :string
  end
end
";
        assert_eq!(
            rb(text).into_iter().map(|(_, _, d)| d).collect::<Vec<_>>(),
            vec![
                "drops column `author_id` of table `posts`",
                "drops table `catalog_categories_products`",
                "drops table `a_to_b`",
                "drops columns `a` and `b` of table `users`",
            ]
        );
    }

    #[test]
    fn created_tables_are_skipped() {
        let text = "\
class X < ActiveRecord::Migration[7.0]
  def change
    create_table :scratch do |t|
      t.string :a
    end
    remove_column :scratch, :a
    drop_table :scratch
  end
end
";
        assert_eq!(rb(text), vec![]);
    }

    #[test]
    fn variable_names_are_omitted() {
        let text = "\
class X < ActiveRecord::Migration[7.0]
  TABLE = :users
  def change
    remove_column TABLE, :email
    %i[a b].each { |c| remove_column :users, c }
  end
end
";
        assert_eq!(
            rb(text)
                .into_iter()
                .map(|(_, s, d)| (s, d))
                .collect::<Vec<_>>(),
            vec![
                (
                    "remove_column TABLE, :email".to_string(),
                    "drops column `email`".to_string()
                ),
                (
                    "remove_column :users, c".to_string(),
                    "drops a column of table `users`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn sequel_migrations() {
        let text = "\
Sequel.migration do
  up do
    alter_table(:users) do
      drop_column :email
      rename_column :a, :b
      set_column_not_null :name
      add_column :x, String
    end
    drop_table(:legacy)
  end
  down do
    drop_table(:users)
  end
end
";
        assert_eq!(
            rb(text).into_iter().map(|(_, _, d)| d).collect::<Vec<_>>(),
            vec![
                "drops column `email` of table `users`",
                "renames column `a` of table `users` to `b`",
                "makes column `name` of table `users` NOT NULL",
                "drops table `legacy`",
            ]
        );
    }

    #[test]
    fn join_table_names() {
        assert_eq!(super::join_table_name("users", "roles"), "roles_users");
        assert_eq!(
            super::join_table_name("catalog_products", "catalog_categories"),
            "catalog_categories_products"
        );
    }

    #[test]
    fn broken_ruby_does_not_panic() {
        for text in [
            "def change\n  remove_column :users, \"unterminated",
            "def change\n  execute <<~SQL\n  DROP TABLE x;\n",
            "def change\n  execute <<~",
            "def change\n  remove_column(",
            "end end end } } ) ]",
            "def up\n  %q(",
            "def up\n  :\"",
            "=begin\n",
            "def up\n drop_table :a, :",
            "def up\n t.remove\n",
            "def change\n change_table :t do |",
        ] {
            let _ = rb(text);
        }
        assert_eq!(
            spans("def change\n  execute <<~SQL\n  DROP TABLE x;\n"),
            vec!["DROP TABLE x"]
        );
    }
}
