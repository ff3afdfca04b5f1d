//! The lexer and recursive-descent parser behind [`parse`] and [`split_words`].
//!
//! The lexer works on demand with one token of lookahead. Words are scanned completely here
//! (quotes, `${…}`, `$((…))`, backticks); `$(…)` and `<(…)` are parsed recursively with the same
//! parser so that `)` inside a `case` pattern or a quoted string does not end them early.
//! Here-document bodies are read when the newline that ends their command line is lexed.

use super::{
    AndOrOp, CaseInfo, CompoundRedirect, Heredoc, Node, Redirect, RedirectOp, Script, ShellError,
    SimpleCommand, Word, MAX_NESTING, MAX_WORDS,
};
use crate::span::Span;

type PResult<T> = Result<T, ShellError>;

/// Parse a script or command line.
///
/// ```text
/// parse("./migrate && exec node app.js")?.body == [Node::AndOr { first: ./migrate,
///     rest: [(And, exec node app.js)], .. }]
/// ```
pub fn parse(src: &str) -> Result<Script, ShellError> {
    let mut p = Parser::new(src);
    let body = p.parse_list()?;
    let t = p.next()?;
    if !matches!(t.tok, Tok::Eof) {
        return Err(unexpected(&p, &t));
    }
    p.read_heredocs();
    // An inner compound command's redirections are read before the outer one's.
    p.compound_redirections.sort_by_key(|r| r.command_start);
    Ok(Script {
        body,
        heredocs: p.heredocs,
        cases: p.cases,
        compound_redirections: p.compound_redirections,
    })
}

/// Split one command line without operators (no `;`, `|`, `&`, `<`, `>`, `(`, `)` or newline
/// outside quotes) into words, with shell quoting rules: for systemd `ExecStart=`-like argv
/// strings. A `#` starting a word begins a comment, as in the shell.
pub fn split_words(src: &str) -> Result<Vec<Word>, ShellError> {
    let mut p = Parser::new(src);
    let mut words = Vec::new();
    loop {
        let t = p.next()?;
        match t.tok {
            Tok::Word(w) => words.push(w),
            Tok::Eof => return Ok(words),
            _ => {
                return Err(ShellError {
                    message: format!(
                        "unexpected {} in a command line without operators",
                        describe(&p, &t)
                    ),
                    span: t.span,
                })
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    AndIf,
    OrIf,
    Semi,
    DSemi,
    SemiAnd,
    DSemiAnd,
    Amp,
    Pipe,
    PipeAmp,
    LParen,
    RParen,
    Redir(RedirectOp),
}

impl Op {
    fn as_str(self) -> &'static str {
        match self {
            Op::AndIf => "&&",
            Op::OrIf => "||",
            Op::Semi => ";",
            Op::DSemi => ";;",
            Op::SemiAnd => ";&",
            Op::DSemiAnd => ";;&",
            Op::Amp => "&",
            Op::Pipe => "|",
            Op::PipeAmp => "|&",
            Op::LParen => "(",
            Op::RParen => ")",
            Op::Redir(r) => r.as_str(),
        }
    }
}

#[derive(Clone, Debug)]
enum Tok {
    Word(Word),
    /// Digits (or bash `{name}`) directly before `<` / `>`; the text is the token's span.
    IoNumber,
    Op(Op),
    Newline,
    Eof,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    span: Span,
}

enum IfNext {
    Elif,
    Else,
    Fi,
}

struct Pending {
    delimiter: String,
    quoted: bool,
    strip_tabs: bool,
    redirect: Span,
}

#[derive(Default)]
struct WordBuf {
    value: String,
    exp: bool,
    glob: bool,
    quoted: bool,
}

const RESERVED: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for",
    "select", "in", "function", "{", "}", "!", "[[", "]]", "coproc", "time",
];

/// Words that end a compound list when they appear where a command could start.
const LIST_TERMINATORS: &[&str] = &["then", "else", "elif", "fi", "do", "done", "esac", "}"];

fn reserved(w: &Word) -> Option<&'static str> {
    if w.quoted || w.has_expansion {
        return None;
    }
    RESERVED.iter().copied().find(|r| *r == w.value)
}

fn is_name_start(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric()
}

/// `NAME=`, `NAME+=`, `NAME[…]=` (the raw text of a word so far, for array assignment).
fn is_assignment_prefix(raw: &str) -> bool {
    let Some(rest) = raw.strip_suffix('=') else {
        return false;
    };
    let rest = rest.strip_suffix('+').unwrap_or(rest);
    let rest = match rest.strip_suffix(']') {
        Some(r) => match r.find('[') {
            Some(i) => r.get(..i).unwrap_or(""),
            None => return false,
        },
        None => rest,
    };
    let b = rest.as_bytes();
    matches!(b.first(), Some(&c) if is_name_start(c)) && b.iter().all(|&c| is_name_char(c))
}

/// Whether a word (raw text) is an assignment: an unquoted name, `=`, anything.
fn is_assignment(raw: &str) -> bool {
    let b = raw.as_bytes();
    if !matches!(b.first(), Some(&c) if is_name_start(c)) {
        return false;
    }
    let mut i = 0;
    while matches!(b.get(i), Some(&c) if is_name_char(c)) {
        i += 1;
    }
    if b.get(i) == Some(&b'[') {
        // NAME[subscript]=
        while let Some(&c) = b.get(i) {
            i += 1;
            if c == b']' {
                break;
            }
        }
    }
    if b.get(i) == Some(&b'+') {
        i += 1;
    }
    b.get(i) == Some(&b'=')
}

fn is_delimiter(c: Option<u8>) -> bool {
    matches!(
        c,
        None | Some(b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')')
    )
}

fn describe(p: &Parser<'_>, t: &Token) -> String {
    match &t.tok {
        Tok::Word(w) => format!("word `{}`", p.text(w.span)),
        Tok::IoNumber => format!("`{}`", p.text(t.span)),
        Tok::Op(op) => format!("`{}`", op.as_str()),
        Tok::Newline => "newline".to_string(),
        Tok::Eof => "end of input".to_string(),
    }
}

fn unexpected(p: &Parser<'_>, t: &Token) -> ShellError {
    ShellError {
        message: format!("syntax error: unexpected {}", describe(p, t)),
        span: t.span,
    }
}

fn error<T>(message: impl Into<String>, span: Span) -> PResult<T> {
    Err(ShellError {
        message: message.into(),
        span,
    })
}

fn and_or(first: Node, rest: Vec<(AndOrOp, Node)>) -> Node {
    let end = rest.last().map_or(first.span(), |(_, n)| n.span());
    let span = first.span().join(end);
    Node::AndOr {
        first: Box::new(first),
        rest,
        span,
    }
}

fn synthetic_word(start: usize, end: usize, value: &str) -> Word {
    Word {
        span: Span::new(start, end),
        value: value.to_string(),
        ..Word::default()
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    peeked: Option<Token>,
    /// End of the last consumed token (node spans end here).
    last_end: usize,
    depth: usize,
    /// Words lexed so far (see [`MAX_WORDS`]).
    words: usize,
    pending: Vec<Pending>,
    heredocs: Vec<Heredoc>,
    cases: Vec<CaseInfo>,
    compound_redirections: Vec<CompoundRedirect>,
}

/// Where [`Parser::trailing_redirects`] records the redirections it reads.
enum RedirectsOf<'c> {
    /// The simple command that stands for `[[ … ]]` / `(( … ))`.
    Command(&'c mut SimpleCommand),
    /// A compound command starting at this offset.
    Compound(usize),
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Self {
        Parser {
            src,
            pos: 0,
            peeked: None,
            last_end: 0,
            depth: 0,
            words: 0,
            pending: Vec::new(),
            heredocs: Vec::new(),
            cases: Vec::new(),
            compound_redirections: Vec::new(),
        }
    }

    // ----- low level -------------------------------------------------------------------------

    fn byte(&self, i: usize) -> Option<u8> {
        self.src.as_bytes().get(i).copied()
    }

    fn text(&self, span: Span) -> &'a str {
        let src: &'a str = self.src;
        span.slice(src)
    }

    fn len(&self) -> usize {
        self.src.len()
    }

    /// The char at byte `i` and its length (a replacement char of length 1 off a boundary).
    fn char_at(&self, i: usize) -> (char, usize) {
        match self.src.get(i..).and_then(|s| s.chars().next()) {
            Some(c) => (c, c.len_utf8()),
            None => ('\u{FFFD}', 1),
        }
    }

    fn enter(&mut self, at: usize) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            // `at` starts a token, which may be a multi-byte character (a function name).
            let (_, width) = self.char_at(at);
            return error(
                format!("nesting deeper than {MAX_NESTING} levels"),
                Span::new(at, (at + width).min(self.len())),
            );
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    // ----- lexer -----------------------------------------------------------------------------

    /// Skip blanks, line continuations and a comment.
    fn skip_blanks(&mut self) {
        loop {
            match (self.byte(self.pos), self.byte(self.pos + 1)) {
                (Some(b' ' | b'\t'), _) => self.pos += 1,
                (Some(b'\r'), Some(b'\n')) => self.pos += 1,
                (Some(b'\\'), Some(b'\n')) => self.pos += 2,
                (Some(b'\\'), Some(b'\r')) if self.byte(self.pos + 2) == Some(b'\n') => {
                    self.pos += 3
                }
                (Some(b'#'), _) => {
                    let rest = self.src.get(self.pos..).unwrap_or("");
                    self.pos += rest.find('\n').unwrap_or(rest.len());
                }
                _ => break,
            }
        }
    }

    fn lex(&mut self) -> PResult<Token> {
        self.skip_blanks();
        let start = self.pos;
        let Some(c) = self.byte(start) else {
            return Ok(Token {
                tok: Tok::Eof,
                span: Span::empty(start),
            });
        };
        if c == b'\n' {
            self.pos += 1;
            self.read_heredocs();
            return Ok(Token {
                tok: Tok::Newline,
                span: Span::new(start, start + 1),
            });
        }
        if let Some((op, len)) = self.match_op(start) {
            self.pos += len;
            return Ok(Token {
                tok: Tok::Op(op),
                span: Span::new(start, start + len),
            });
        }
        let w = self.lex_word(false)?;
        if w.span.is_empty() {
            // Cannot happen (lex_word always takes a non-delimiter byte), but never loop.
            self.pos = start + self.char_at(start).1;
            return error("unexpected character", Span::new(start, self.pos));
        }
        self.words += 1;
        if self.words > MAX_WORDS {
            return error(
                format!("more than {MAX_WORDS} words (shutdownlint's limit)"),
                w.span,
            );
        }
        if self.is_io_number(&w) {
            return Ok(Token {
                tok: Tok::IoNumber,
                span: w.span,
            });
        }
        Ok(Token {
            span: w.span,
            tok: Tok::Word(w),
        })
    }

    fn match_op(&self, i: usize) -> Option<(Op, usize)> {
        use RedirectOp::*;
        let (a, b, c) = (self.byte(i)?, self.byte(i + 1), self.byte(i + 2));
        Some(match (a, b, c) {
            (b';', Some(b';'), Some(b'&')) => (Op::DSemiAnd, 3),
            (b';', Some(b';'), _) => (Op::DSemi, 2),
            (b';', Some(b'&'), _) => (Op::SemiAnd, 2),
            (b';', _, _) => (Op::Semi, 1),
            (b'&', Some(b'&'), _) => (Op::AndIf, 2),
            (b'&', Some(b'>'), Some(b'>')) => (Op::Redir(AppendBoth), 3),
            (b'&', Some(b'>'), _) => (Op::Redir(WriteBoth), 2),
            (b'&', _, _) => (Op::Amp, 1),
            (b'|', Some(b'|'), _) => (Op::OrIf, 2),
            (b'|', Some(b'&'), _) => (Op::PipeAmp, 2),
            (b'|', _, _) => (Op::Pipe, 1),
            (b'(', _, _) => (Op::LParen, 1),
            (b')', _, _) => (Op::RParen, 1),
            // Process substitution is a word.
            (b'<' | b'>', Some(b'('), _) => return None,
            (b'<', Some(b'<'), Some(b'<')) => (Op::Redir(HereString), 3),
            (b'<', Some(b'<'), Some(b'-')) => (Op::Redir(HeredocStripTabs), 3),
            (b'<', Some(b'<'), _) => (Op::Redir(Heredoc), 2),
            (b'<', Some(b'>'), _) => (Op::Redir(ReadWrite), 2),
            (b'<', Some(b'&'), _) => (Op::Redir(DupIn), 2),
            (b'<', _, _) => (Op::Redir(Read), 1),
            (b'>', Some(b'>'), _) => (Op::Redir(Append), 2),
            (b'>', Some(b'|'), _) => (Op::Redir(Clobber), 2),
            (b'>', Some(b'&'), _) => (Op::Redir(DupOut), 2),
            (b'>', _, _) => (Op::Redir(Write), 1),
            _ => return None,
        })
    }

    fn is_io_number(&self, w: &Word) -> bool {
        if !matches!(self.byte(w.span.end), Some(b'<' | b'>')) {
            return false;
        }
        if self.byte(w.span.end + 1) == Some(b'(') {
            return false;
        }
        let raw = self.text(w.span);
        if !raw.is_empty() && raw.bytes().all(|c| c.is_ascii_digit()) {
            return true;
        }
        // bash `{varname}>file`
        match raw.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            Some(name) => {
                let b = name.as_bytes();
                matches!(b.first(), Some(&c) if is_name_start(c))
                    && b.iter().all(|&c| is_name_char(c))
            }
            None => false,
        }
    }

    /// Read the bodies of the pending here-documents, starting at `self.pos` (just after a
    /// newline, or at the end of input).
    fn read_heredocs(&mut self) {
        let len = self.len();
        for p in std::mem::take(&mut self.pending) {
            let body_start = self.pos.min(len);
            let mut pos = body_start;
            let mut body_end = len;
            let mut terminated = false;
            while pos < len {
                let rest = self.src.get(pos..).unwrap_or("");
                let line_end = rest.find('\n').map_or(len, |k| pos + k);
                let line = self.src.get(pos..line_end).unwrap_or("");
                let line = line.strip_suffix('\r').unwrap_or(line);
                let check = if p.strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if check == p.delimiter {
                    body_end = pos;
                    pos = (line_end + 1).min(len);
                    terminated = true;
                    break;
                }
                pos = line_end + 1;
            }
            let pos = pos.min(len);
            if !terminated {
                body_end = len;
            }
            self.pos = pos;
            self.heredocs.push(Heredoc {
                redirect: p.redirect,
                delimiter: p.delimiter,
                quoted: p.quoted,
                strip_tabs: p.strip_tabs,
                body: Span::new(body_start, body_end.max(body_start)),
                terminated,
            });
        }
    }

    /// Scan a word starting at `self.pos`. In `regex` mode (the operand after `=~` in `[[ ]]`)
    /// parentheses nest and `|`, `<`, `>`, `&`, blanks inside them belong to the word.
    fn lex_word(&mut self, regex: bool) -> PResult<Word> {
        let start = self.pos;
        let mut w = WordBuf::default();
        let mut paren = 0usize;
        while let Some(c) = self.byte(self.pos) {
            match c {
                b'<' | b'>' if self.pos == start && self.byte(self.pos + 1) == Some(b'(') => {
                    // Process substitution.
                    self.pos += 2;
                    self.cmd_subst(start)?;
                    w.exp = true;
                    w.value.push_str(self.text(Span::new(start, self.pos)));
                }
                b'(' if regex => {
                    paren += 1;
                    w.value.push('(');
                    self.pos += 1;
                }
                b'(' => {
                    let so_far = self.text(Span::new(start, self.pos));
                    let array = is_assignment_prefix(so_far);
                    let extglob = self.pos > start
                        && matches!(
                            self.byte(self.pos - 1),
                            Some(b'?' | b'*' | b'+' | b'@' | b'!')
                        );
                    if !array && !extglob {
                        break;
                    }
                    let s = self.pos;
                    self.scan_parens()?;
                    let raw = self.text(Span::new(s, self.pos));
                    if array {
                        w.exp |= raw.contains('$') || raw.contains('`');
                    } else {
                        w.glob = true;
                    }
                    w.value.push_str(raw);
                }
                b')' if regex && paren > 0 => {
                    paren -= 1;
                    w.value.push(')');
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\n' | b'|' | b'&' | b'<' | b'>' | b';' if regex && paren > 0 => {
                    w.value.push(c as char);
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\n' | b'|' | b'&' | b'<' | b'>' | b';' | b')' => break,
                b'\r' if self.byte(self.pos + 1) == Some(b'\n') => break,
                b'\\' => match self.byte(self.pos + 1) {
                    Some(b'\n') => self.pos += 2,
                    None => {
                        w.value.push('\\');
                        self.pos += 1;
                    }
                    Some(_) => {
                        let (ch, n) = self.char_at(self.pos + 1);
                        w.value.push(ch);
                        w.quoted = true;
                        self.pos += 1 + n;
                    }
                },
                b'\'' => {
                    let s = self.pos;
                    let rest = self.src.get(s + 1..).unwrap_or("");
                    let Some(k) = rest.find('\'') else {
                        return error("unterminated single quote", Span::new(s, self.len()));
                    };
                    w.value.push_str(rest.get(..k).unwrap_or(""));
                    w.quoted = true;
                    self.pos = s + 2 + k;
                }
                b'"' => self.lex_dquote(&mut w)?,
                b'$' => self.lex_dollar(&mut w, false)?,
                b'`' => self.lex_backtick(&mut w)?,
                b'*' | b'?' | b'[' => {
                    w.glob = true;
                    w.value.push(c as char);
                    self.pos += 1;
                }
                _ => {
                    let (ch, n) = self.char_at(self.pos);
                    w.value.push(ch);
                    self.pos += n;
                }
            }
        }
        Ok(Word {
            span: Span::new(start, self.pos),
            value: w.value,
            has_expansion: w.exp,
            has_glob: w.glob,
            quoted: w.quoted,
        })
    }

    /// Skip a balanced `( … )` (array value, extglob group) starting at `self.pos`.
    fn scan_parens(&mut self) -> PResult<()> {
        let s = self.pos;
        let mut depth = 0usize;
        let mut i = s;
        let mut word_start = true;
        loop {
            let Some(c) = self.byte(i) else {
                return error("unterminated `(`", Span::new(s, self.len()));
            };
            match c {
                b'(' => depth += 1,
                b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.pos = i + 1;
                        return Ok(());
                    }
                }
                b'\\' => i += 1,
                b'\'' | b'"' | b'`' => i = self.skip_quoted(i)?,
                b'#' if word_start => {
                    let rest = self.src.get(i..).unwrap_or("");
                    i += rest.find('\n').unwrap_or(rest.len()).saturating_sub(1);
                }
                _ => {}
            }
            word_start = matches!(c, b' ' | b'\t' | b'\n' | b'(');
            i += 1;
        }
    }

    /// Given a quote char at `i`, return the index of its closing char (backslash escapes
    /// honoured in `"` and `` ` ``).
    fn skip_quoted(&self, i: usize) -> PResult<usize> {
        let q = self.byte(i);
        let mut j = i + 1;
        loop {
            match self.byte(j) {
                None => return error("unterminated quote", Span::new(i, self.len())),
                Some(b'\\') if q != Some(b'\'') => j += 2,
                Some(c) if Some(c) == q => return Ok(j),
                Some(_) => j += 1,
            }
        }
    }

    fn lex_dquote(&mut self, w: &mut WordBuf) -> PResult<()> {
        let s = self.pos;
        self.enter(s)?;
        self.pos += 1;
        w.quoted = true;
        loop {
            let Some(c) = self.byte(self.pos) else {
                return error("unterminated double quote", Span::new(s, self.len()));
            };
            match c {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => match self.byte(self.pos + 1) {
                    Some(b'\n') => self.pos += 2,
                    Some(n @ (b'$' | b'`' | b'"' | b'\\')) => {
                        w.value.push(n as char);
                        self.pos += 2;
                    }
                    _ => {
                        w.value.push('\\');
                        self.pos += 1;
                    }
                },
                b'$' => self.lex_dollar(w, true)?,
                b'`' => self.lex_backtick(w)?,
                _ => {
                    let (ch, n) = self.char_at(self.pos);
                    w.value.push(ch);
                    self.pos += n;
                }
            }
        }
        self.leave();
        Ok(())
    }

    fn lex_dollar(&mut self, w: &mut WordBuf, in_dq: bool) -> PResult<()> {
        let s = self.pos;
        match self.byte(s + 1) {
            Some(b'(') => {
                let arith = if self.byte(s + 2) == Some(b'(') {
                    self.scan_arith(s + 3)
                } else {
                    None
                };
                match arith {
                    Some(end) => self.pos = end,
                    None => {
                        self.pos = s + 2;
                        self.cmd_subst(s)?;
                    }
                }
            }
            Some(b'{') => self.scan_brace(s, in_dq)?,
            Some(b'\'') if !in_dq => return self.ansi_c(w),
            Some(b'"') if !in_dq => {
                self.pos = s + 1;
                return self.lex_dquote(w);
            }
            Some(b'[') => {
                // Obsolete bash arithmetic `$[ … ]`.
                let rest = self.src.get(s + 2..).unwrap_or("");
                match rest.find(']') {
                    Some(k) => self.pos = s + 3 + k,
                    None => return error("unterminated `$[`", Span::new(s, self.len())),
                }
            }
            Some(c) if is_name_start(c) => {
                let mut i = s + 1;
                while matches!(self.byte(i), Some(c) if is_name_char(c)) {
                    i += 1;
                }
                self.pos = i;
            }
            Some(c)
                if c.is_ascii_digit()
                    || matches!(c, b'@' | b'*' | b'#' | b'?' | b'-' | b'$' | b'!') =>
            {
                self.pos = s + 2;
            }
            _ => {
                w.value.push('$');
                self.pos = s + 1;
                return Ok(());
            }
        }
        w.exp = true;
        w.value.push_str(self.text(Span::new(s, self.pos)));
        Ok(())
    }

    /// `$(`/`<(`/`>(` … `)`: parse the inside as a command list; `self.pos` is after the `(`.
    fn cmd_subst(&mut self, s: usize) -> PResult<()> {
        self.enter(s)?;
        let saved_peek = self.peeked.take();
        let saved_last = self.last_end;
        self.parse_list()?;
        let t = self.next()?;
        if !matches!(t.tok, Tok::Op(Op::RParen)) {
            return error(
                format!(
                    "unterminated command substitution (found {})",
                    describe(self, &t)
                ),
                Span::new(s, t.span.end.max(s)),
            );
        }
        self.peeked = saved_peek;
        self.last_end = saved_last;
        self.leave();
        Ok(())
    }

    /// From just after `$((` or `((`: the index after the matching `))`, or `None` when the
    /// parentheses do not close with `))` (then it is a command substitution / subshell).
    fn scan_arith(&self, from: usize) -> Option<usize> {
        let mut depth = 0usize;
        let mut i = from;
        loop {
            match self.byte(i)? {
                b'(' => depth += 1,
                b')' => {
                    if depth == 0 {
                        return (self.byte(i + 1) == Some(b')')).then_some(i + 2);
                    }
                    depth -= 1;
                }
                b'\\' => i += 1,
                b'\'' | b'"' | b'`' => i = self.skip_quoted(i).ok()?,
                _ => {}
            }
            i += 1;
        }
    }

    /// `${ … }` starting at the `$` at `s`.
    fn scan_brace(&mut self, s: usize, in_dq: bool) -> PResult<()> {
        self.enter(s)?;
        let mut scratch = WordBuf::default();
        let mut depth = 0usize;
        let mut i = s + 1;
        loop {
            let Some(c) = self.byte(i) else {
                return error("unterminated `${`", Span::new(s, self.len()));
            };
            match c {
                b'{' => {
                    depth += 1;
                    i += 1;
                }
                b'}' => {
                    depth = depth.saturating_sub(1);
                    i += 1;
                    if depth == 0 {
                        break;
                    }
                }
                b'\\' => i += 2,
                b'\'' if !in_dq => i = self.skip_quoted(i)? + 1,
                b'"' => {
                    self.pos = i;
                    self.lex_dquote(&mut scratch)?;
                    i = self.pos;
                }
                b'$' => {
                    self.pos = i;
                    self.lex_dollar(&mut scratch, in_dq)?;
                    i = self.pos;
                }
                b'`' => {
                    self.pos = i;
                    self.lex_backtick(&mut scratch)?;
                    i = self.pos;
                }
                _ => i += 1,
            }
        }
        self.pos = i;
        self.leave();
        Ok(())
    }

    fn lex_backtick(&mut self, w: &mut WordBuf) -> PResult<()> {
        let s = self.pos;
        let end = self.skip_quoted(s)?;
        self.pos = end + 1;
        w.exp = true;
        w.value.push_str(self.text(Span::new(s, self.pos)));
        Ok(())
    }

    /// bash `$'…'` with its backslash escapes decoded.
    fn ansi_c(&mut self, w: &mut WordBuf) -> PResult<()> {
        let s = self.pos;
        let mut i = s + 2;
        w.quoted = true;
        loop {
            let Some(c) = self.byte(i) else {
                return error("unterminated `$'`", Span::new(s, self.len()));
            };
            match c {
                b'\'' => {
                    self.pos = i + 1;
                    return Ok(());
                }
                b'\\' => {
                    let Some(e) = self.byte(i + 1) else {
                        return error("unterminated `$'`", Span::new(s, self.len()));
                    };
                    i += 2;
                    let simple = match e {
                        b'n' => Some('\n'),
                        b't' => Some('\t'),
                        b'r' => Some('\r'),
                        b'a' => Some('\u{7}'),
                        b'b' => Some('\u{8}'),
                        b'e' | b'E' => Some('\u{1b}'),
                        b'f' => Some('\u{c}'),
                        b'v' => Some('\u{b}'),
                        b'\\' | b'\'' | b'"' | b'?' => Some(e as char),
                        _ => None,
                    };
                    if let Some(ch) = simple {
                        w.value.push(ch);
                        continue;
                    }
                    let (radix, max) = match e {
                        b'0'..=b'7' => {
                            i -= 1;
                            (8, 3)
                        }
                        b'x' => (16, 2),
                        b'u' => (16, 4),
                        b'U' => (16, 8),
                        _ => {
                            w.value.push('\\');
                            let (ch, n) = self.char_at(i - 1);
                            w.value.push(ch);
                            i = i - 1 + n;
                            continue;
                        }
                    };
                    let mut v: u32 = 0;
                    let mut k = 0;
                    while k < max {
                        match self.byte(i).and_then(|d| (d as char).to_digit(radix)) {
                            Some(d) => {
                                v = v.saturating_mul(radix).saturating_add(d);
                                i += 1;
                                k += 1;
                            }
                            None => break,
                        }
                    }
                    w.value.push(char::from_u32(v).unwrap_or('\u{FFFD}'));
                }
                _ => {
                    let (ch, n) = self.char_at(i);
                    w.value.push(ch);
                    i += n;
                }
            }
        }
    }

    // ----- token stream ----------------------------------------------------------------------

    fn fill(&mut self) -> PResult<()> {
        if self.peeked.is_none() {
            let t = self.lex()?;
            self.peeked = Some(t);
        }
        Ok(())
    }

    fn next(&mut self) -> PResult<Token> {
        let t = match self.peeked.take() {
            Some(t) => t,
            None => self.lex()?,
        };
        if !matches!(t.tok, Tok::Eof) {
            self.last_end = t.span.end;
        }
        Ok(t)
    }

    fn peek_op(&mut self) -> PResult<Option<Op>> {
        self.fill()?;
        Ok(match &self.peeked {
            Some(Token {
                tok: Tok::Op(op), ..
            }) => Some(*op),
            _ => None,
        })
    }

    fn peek_reserved(&mut self) -> PResult<Option<&'static str>> {
        self.fill()?;
        Ok(match &self.peeked {
            Some(Token {
                tok: Tok::Word(w), ..
            }) => reserved(w),
            _ => None,
        })
    }

    fn peek_word_value(&mut self) -> PResult<Option<String>> {
        self.fill()?;
        Ok(match &self.peeked {
            Some(Token {
                tok: Tok::Word(w), ..
            }) => Some(w.value.clone()),
            _ => None,
        })
    }

    fn peek_newline(&mut self) -> PResult<bool> {
        self.fill()?;
        Ok(matches!(
            &self.peeked,
            Some(Token {
                tok: Tok::Newline,
                ..
            })
        ))
    }

    fn peek_start(&mut self) -> PResult<usize> {
        self.fill()?;
        Ok(self.peeked.as_ref().map_or(self.pos, |t| t.span.start))
    }

    fn skip_newlines(&mut self) -> PResult<()> {
        while self.peek_newline()? {
            self.next()?;
        }
        Ok(())
    }

    #[inline(never)]
    fn expect_reserved(&mut self, kw: &str, context: &str) -> PResult<()> {
        if self.peek_reserved()? == Some(kw) {
            self.next()?;
            return Ok(());
        }
        let t = self.next()?;
        error(
            format!(
                "syntax error: expected `{kw}` {context}, found {}",
                describe(self, &t)
            ),
            t.span,
        )
    }

    #[inline(never)]
    fn expect_op(&mut self, op: Op, context: &str) -> PResult<()> {
        if self.peek_op()? == Some(op) {
            self.next()?;
            return Ok(());
        }
        let t = self.next()?;
        error(
            format!(
                "syntax error: expected `{}` {context}, found {}",
                op.as_str(),
                describe(self, &t)
            ),
            t.span,
        )
    }

    fn at_list_end(&mut self) -> PResult<bool> {
        self.fill()?;
        Ok(match &self.peeked {
            Some(Token { tok: Tok::Eof, .. }) => true,
            Some(Token {
                tok: Tok::Op(Op::RParen | Op::DSemi | Op::SemiAnd | Op::DSemiAnd),
                ..
            }) => true,
            Some(Token {
                tok: Tok::Word(w), ..
            }) => reserved(w).is_some_and(|r| LIST_TERMINATORS.contains(&r)),
            _ => false,
        })
    }

    // ----- grammar ---------------------------------------------------------------------------

    /// A (compound) list: and-or lists separated by `;`, `&` or newlines, up to a list
    /// terminator (end of input, `)`, `;;`, `then`, `fi`, `done`, `}`, …) which is not consumed.
    fn parse_list(&mut self) -> PResult<Vec<Node>> {
        let mut nodes = Vec::new();
        loop {
            self.skip_newlines()?;
            if self.at_list_end()? {
                break;
            }
            let node = self.parse_and_or()?;
            if !self.list_separator(node, &mut nodes)? {
                break;
            }
        }
        Ok(nodes)
    }

    /// After an and-or list: consume `;` / `&` / newline and push the item; `false` at the end
    /// of the list; an error for anything else.
    #[inline(never)]
    fn list_separator(&mut self, node: Node, nodes: &mut Vec<Node>) -> PResult<bool> {
        match self.peek_op()? {
            Some(Op::Semi) => {
                self.next()?;
                nodes.push(node);
            }
            Some(Op::Amp) => {
                let t = self.next()?;
                let span = node.span().join(t.span);
                nodes.push(Node::Background(Box::new(node), span));
            }
            _ => {
                if self.peek_newline()? {
                    self.next()?;
                    nodes.push(node);
                } else if self.at_list_end()? {
                    nodes.push(node);
                    return Ok(false);
                } else {
                    return Err(self.unexpected_next());
                }
            }
        }
        Ok(true)
    }

    fn parse_and_or(&mut self) -> PResult<Node> {
        let first = self.parse_pipeline()?;
        let Some(op) = self.and_or_op()? else {
            return Ok(first);
        };
        let mut rest = vec![(op, self.parse_pipeline()?)];
        while let Some(op) = self.and_or_op()? {
            rest.push((op, self.parse_pipeline()?));
        }
        Ok(and_or(first, rest))
    }

    /// Consume `&&` / `||` and following newlines.
    #[inline(never)]
    fn and_or_op(&mut self) -> PResult<Option<AndOrOp>> {
        let op = match self.peek_op()? {
            Some(Op::AndIf) => AndOrOp::And,
            Some(Op::OrIf) => AndOrOp::Or,
            _ => return Ok(None),
        };
        self.next()?;
        self.skip_newlines()?;
        Ok(Some(op))
    }

    fn parse_pipeline(&mut self) -> PResult<Node> {
        let start = self.peek_start()?;
        let (negated, bang) = self.parse_pipeline_prefix()?;
        if bang && self.nothing_to_negate()? {
            // bash accepts a bare `!` (negating an empty command).
            return Ok(self.pipeline(start, Vec::new(), negated));
        }
        let first = self.parse_command()?;
        if !matches!(self.peek_op()?, Some(Op::Pipe | Op::PipeAmp)) && !negated {
            return Ok(first);
        }
        let mut commands = vec![first];
        while self.pipe_continues()? {
            commands.push(self.parse_command()?);
        }
        Ok(self.pipeline(start, commands, negated))
    }

    /// `!` and bash `time` before a pipeline: (negated, saw a `!`).
    #[inline(never)]
    fn parse_pipeline_prefix(&mut self) -> PResult<(bool, bool)> {
        let (mut negated, mut bang) = (false, false);
        loop {
            match self.peek_reserved()? {
                Some("!") => {
                    self.next()?;
                    negated = !negated;
                    bang = true;
                }
                Some("time") if self.compound_follows_time()? => {
                    self.next()?;
                    let is_p = matches!(&self.peek_word_value()?, Some(v) if v == "-p");
                    if is_p {
                        self.next()?;
                    }
                }
                _ => return Ok((negated, bang)),
            }
        }
    }

    /// Consume `|` / `|&` and following newlines; `false` when there is none.
    #[inline(never)]
    fn pipe_continues(&mut self) -> PResult<bool> {
        if !matches!(self.peek_op()?, Some(Op::Pipe | Op::PipeAmp)) {
            return Ok(false);
        }
        self.next()?;
        self.skip_newlines()?;
        Ok(true)
    }

    fn pipeline(&self, start: usize, commands: Vec<Node>, negated: bool) -> Node {
        Node::Pipeline {
            commands,
            negated,
            span: Span::new(start, self.last_end.max(start)),
        }
    }

    /// After `!`: the list ends here (newline, `;`, `&`, `)`, end of input, `then`, …).
    fn nothing_to_negate(&mut self) -> PResult<bool> {
        if self.at_list_end()? || self.peek_newline()? {
            return Ok(true);
        }
        Ok(matches!(
            self.peek_op()?,
            Some(Op::Semi | Op::Amp | Op::AndIf | Op::OrIf)
        ))
    }

    /// bash `time` is a keyword; keep it as a plain command word (`time node app`, which is also
    /// what `sh` runs) unless a compound command or `-p` follows, which only bash accepts.
    fn compound_follows_time(&mut self) -> PResult<bool> {
        let Some(t) = &self.peeked else {
            return Ok(false);
        };
        let mut i = t.span.end;
        while matches!(self.byte(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        if self.src.get(i..).is_some_and(|r| r.starts_with("-p")) && is_delimiter(self.byte(i + 2))
        {
            i += 2;
            while matches!(self.byte(i), Some(b' ' | b'\t')) {
                i += 1;
            }
        }
        let rest = self.src.get(i..).unwrap_or("");
        if rest.starts_with('(') {
            return Ok(true);
        }
        Ok(["{", "if", "while", "until", "for", "case", "[[", "!"]
            .iter()
            .any(|kw| rest.starts_with(kw) && is_delimiter(self.byte(i + kw.len()))))
    }

    // The recursive descent (`parse_list` → `parse_and_or` → `parse_pipeline` →
    // `parse_command` → compound → `parse_list`) keeps its frames small: cold branches live in
    // separate functions so that unoptimised builds stay within a 2 MiB stack at
    // `MAX_NESTING`.

    fn parse_command(&mut self) -> PResult<Node> {
        self.fill()?;
        let (start, is_lparen) = match &self.peeked {
            Some(t) => (t.span.start, matches!(t.tok, Tok::Op(Op::LParen))),
            None => (self.pos, false),
        };
        if is_lparen {
            return self.parse_paren_command(start);
        }
        match self.peek_reserved()? {
            Some("{") => self.parse_group(start),
            Some("if") => self.parse_if(start),
            Some("while" | "until") => self.parse_while(start),
            Some("for" | "select") => self.parse_for(start),
            Some("case") => self.parse_case(start),
            Some("function") => self.parse_function_keyword(start),
            Some("[[") => self.parse_cond(start),
            Some("coproc") => self.parse_coproc(start),
            Some(kw) if LIST_TERMINATORS.contains(&kw) || kw == "in" || kw == "]]" => {
                Err(self.unexpected_next())
            }
            _ => self.parse_simple(start),
        }
    }

    /// The next token as an "unexpected" error (or the error lexing it).
    #[inline(never)]
    fn unexpected_next(&mut self) -> ShellError {
        match self.next() {
            Ok(t) => unexpected(self, &t),
            Err(e) => e,
        }
    }

    /// `( list )`, or bash `(( expr ))` when the parentheses close with `))`.
    fn parse_paren_command(&mut self, start: usize) -> PResult<Node> {
        if self.byte(start + 1) == Some(b'(') {
            if let Some(end) = self.scan_arith(start + 2) {
                return self.arith_command(start, end);
            }
        }
        self.enter(start)?;
        self.next()?;
        let body = self.parse_list()?;
        self.expect_op(Op::RParen, "to close the subshell")?;
        self.leave();
        let span = self.trailing_redirects(RedirectsOf::Compound(start))?;
        Ok(Node::Subshell(body, Span::new(start, span.max(start))))
    }

    #[inline(never)]
    fn arith_command(&mut self, start: usize, end: usize) -> PResult<Node> {
        self.peeked = None;
        self.pos = end;
        self.last_end = end;
        let inner = Span::new(start + 2, end.saturating_sub(2).max(start + 2));
        let mut expr = synthetic_word(inner.start, inner.end, self.text(inner));
        expr.has_expansion = true;
        let mut cmd = SimpleCommand {
            words: vec![
                synthetic_word(start, start + 2, "(("),
                expr,
                synthetic_word(inner.end, end, "))"),
            ],
            ..SimpleCommand::default()
        };
        self.trailing_redirects(RedirectsOf::Command(&mut cmd))?;
        cmd.span = Span::new(start, self.last_end);
        Ok(Node::Simple(cmd))
    }

    fn parse_group(&mut self, start: usize) -> PResult<Node> {
        self.enter(start)?;
        self.next()?;
        let body = self.parse_list()?;
        self.expect_reserved("}", "to close the `{` group")?;
        self.leave();
        let end = self.trailing_redirects(RedirectsOf::Compound(start))?;
        Ok(Node::Group(body, Span::new(start, end)))
    }

    /// Redirections after a compound command (or `[[`/`((`): recorded in the simple command
    /// that stands for `[[`/`((`, else in [`Script::compound_redirections`] (here-documents in
    /// [`Script::heredocs`] as well). Returns the end of the last one (or of the command).
    fn trailing_redirects(&mut self, mut of: RedirectsOf<'_>) -> PResult<usize> {
        loop {
            self.fill()?;
            let is_redirect = matches!(
                &self.peeked,
                Some(Token {
                    tok: Tok::IoNumber | Tok::Op(Op::Redir(_)),
                    ..
                })
            );
            if !is_redirect {
                return Ok(self.last_end);
            }
            let r = self.parse_redirect()?;
            match &mut of {
                RedirectsOf::Command(c) => {
                    c.redirects.push(r.span);
                    c.redirections.push(r);
                }
                RedirectsOf::Compound(command_start) => {
                    self.compound_redirections.push(CompoundRedirect {
                        command_start: *command_start,
                        redirect: r,
                    });
                }
            }
        }
    }

    fn parse_redirect(&mut self) -> PResult<Redirect> {
        let t = self.next()?;
        let start = t.span.start;
        let (fd, op_tok) = match t.tok {
            Tok::IoNumber => (Some(self.text(t.span).to_string()), self.next()?),
            _ => (None, t),
        };
        let Tok::Op(Op::Redir(op)) = op_tok.tok else {
            return Err(unexpected(self, &op_tok));
        };
        let target = self.next()?;
        let word = match target.tok {
            Tok::Word(w) => w,
            // `2>&1>/dev/null`: the `1` lexes as an fd number but is the target here.
            Tok::IoNumber => {
                synthetic_word(target.span.start, target.span.end, self.text(target.span))
            }
            _ => {
                return error(
                    format!(
                        "syntax error: expected a word after `{}`, found {}",
                        op.as_str(),
                        describe(self, &target)
                    ),
                    target.span,
                )
            }
        };
        let span = Span::new(start, word.span.end);
        if matches!(op, RedirectOp::Heredoc | RedirectOp::HeredocStripTabs) {
            self.pending.push(Pending {
                delimiter: word.value.clone(),
                quoted: word.quoted,
                strip_tabs: op == RedirectOp::HeredocStripTabs,
                redirect: span,
            });
        }
        Ok(Redirect {
            span,
            fd,
            op,
            target: word,
        })
    }

    fn parse_simple(&mut self, start: usize) -> PResult<Node> {
        let mut cmd = SimpleCommand::default();
        loop {
            self.fill()?;
            let kind = match &self.peeked {
                Some(Token {
                    tok: Tok::Word(_), ..
                }) => 0,
                Some(Token {
                    tok: Tok::IoNumber | Tok::Op(Op::Redir(_)),
                    ..
                }) => 1,
                _ => 2,
            };
            match kind {
                0 => {
                    let Ok(Token {
                        tok: Tok::Word(w), ..
                    }) = self.next()
                    else {
                        break;
                    };
                    if cmd.words.is_empty() && is_assignment(self.text(w.span)) {
                        cmd.assignments.push(w);
                        continue;
                    }
                    let could_be_function = cmd.words.is_empty()
                        && cmd.assignments.is_empty()
                        && cmd.redirections.is_empty()
                        && !w.quoted
                        && !w.has_expansion;
                    if could_be_function && self.peek_op()? == Some(Op::LParen) {
                        return self.parse_function_rest(start, w.value);
                    }
                    cmd.words.push(w);
                }
                1 => {
                    let r = self.parse_redirect()?;
                    cmd.redirects.push(r.span);
                    cmd.redirections.push(r);
                }
                _ => break,
            }
        }
        if cmd.words.is_empty() && cmd.assignments.is_empty() && cmd.redirections.is_empty() {
            let t = self.next()?;
            return Err(unexpected(self, &t));
        }
        cmd.span = Span::new(start, self.last_end.max(start));
        Ok(Node::Simple(cmd))
    }

    /// After `name` with `(` peeked: `( ) linebreak body`.
    fn parse_function_rest(&mut self, start: usize, name: String) -> PResult<Node> {
        self.expect_op(Op::LParen, "after the function name")?;
        self.expect_op(Op::RParen, "in a function definition")?;
        self.skip_newlines()?;
        self.parse_function_body(start, name)
    }

    /// The compound command after `name()` / `function name`.
    fn parse_function_body(&mut self, start: usize, name: String) -> PResult<Node> {
        self.enter(start)?;
        let body_start = self.peek_start()?;
        let body = self.parse_command()?;
        self.leave();
        if let Node::Simple(c) = &body {
            // Only the `[[ ]]` / `(( ))` compound commands are represented as simple commands.
            if !matches!(c.name(), Some("[[" | "((")) || c.words.first().is_some_and(|w| w.quoted) {
                return error(
                    "syntax error: a function body must be a compound command",
                    Span::new(body_start, c.span.end.max(body_start)),
                );
            }
        }
        Ok(Node::FunctionDef {
            name,
            body: Box::new(body),
            span: Span::new(start, self.last_end.max(start)),
        })
    }

    /// `function name [()] linebreak compound-command`
    fn parse_function_keyword(&mut self, start: usize) -> PResult<Node> {
        self.next()?;
        let t = self.next()?;
        let Tok::Word(name) = t.tok else {
            return error("syntax error: expected a function name", t.span);
        };
        if self.peek_op()? == Some(Op::LParen) {
            return self.parse_function_rest(start, name.value);
        }
        self.skip_newlines()?;
        self.parse_function_body(start, name.value)
    }

    fn parse_if(&mut self, start: usize) -> PResult<Node> {
        self.enter(start)?;
        self.next()?;
        let mut branches = Vec::new();
        let mut else_body = None;
        loop {
            let cond = self.parse_list()?;
            self.expect_reserved("then", "after the `if`/`elif` condition")?;
            let body = self.parse_list()?;
            branches.push((cond, body));
            match self.if_branch_end()? {
                IfNext::Elif => {}
                IfNext::Else => {
                    else_body = Some(self.parse_list()?);
                    self.expect_reserved("fi", "to close the `if`")?;
                    break;
                }
                IfNext::Fi => break,
            }
        }
        self.leave();
        let end = self.trailing_redirects(RedirectsOf::Compound(start))?;
        Ok(Node::If {
            branches,
            else_body,
            span: Span::new(start, end),
        })
    }

    /// After a `then` body: consume `elif`, `else` or `fi`.
    #[inline(never)]
    fn if_branch_end(&mut self) -> PResult<IfNext> {
        let next = match self.peek_reserved()? {
            Some("elif") => IfNext::Elif,
            Some("else") => IfNext::Else,
            _ => {
                self.expect_reserved("fi", "to close the `if`")?;
                return Ok(IfNext::Fi);
            }
        };
        self.next()?;
        Ok(next)
    }

    fn parse_while(&mut self, start: usize) -> PResult<Node> {
        self.enter(start)?;
        self.next()?;
        let mut body = self.parse_list()?;
        self.expect_reserved("do", "after the loop condition")?;
        body.extend(self.parse_list()?);
        self.expect_reserved("done", "to close the loop")?;
        self.leave();
        let end = self.trailing_redirects(RedirectsOf::Compound(start))?;
        Ok(Node::Loop {
            body,
            span: Span::new(start, end),
        })
    }

    fn parse_for(&mut self, start: usize) -> PResult<Node> {
        self.enter(start)?;
        self.parse_for_header()?;
        let body = if self.peek_reserved()? == Some("{") {
            // bash: `for x in a b; { …; }`
            self.parse_for_group_body()?
        } else {
            self.expect_reserved("do", "in the `for` loop")?;
            let body = self.parse_list()?;
            self.expect_reserved("done", "to close the loop")?;
            body
        };
        self.leave();
        let end = self.trailing_redirects(RedirectsOf::Compound(start))?;
        Ok(Node::Loop {
            body,
            span: Span::new(start, end),
        })
    }

    fn parse_for_group_body(&mut self) -> PResult<Vec<Node>> {
        let s = self.peek_start()?;
        match self.parse_command()? {
            Node::Group(body, _) => Ok(body),
            other => error("syntax error in `for` body", Span::new(s, other.span().end)),
        }
    }

    /// `for`/`select` up to (not including) `do` / `{`: `name [in words…] ;` or `(( … ))`.
    #[inline(never)]
    fn parse_for_header(&mut self) -> PResult<()> {
        self.next()?;
        self.fill()?;
        let arith_start = match &self.peeked {
            Some(Token {
                tok: Tok::Op(Op::LParen),
                span,
            }) if self.byte(span.start + 1) == Some(b'(') => Some(span.start),
            _ => None,
        };
        if let Some(s) = arith_start {
            // for (( init; cond; step ))
            let Some(end) = self.scan_arith(s + 2) else {
                return error("unterminated `for ((`", Span::new(s, self.len()));
            };
            self.peeked = None;
            self.pos = end;
            self.last_end = end;
            if self.peek_op()? == Some(Op::Semi) {
                self.next()?;
            }
        } else {
            let t = self.next()?;
            if !matches!(t.tok, Tok::Word(_)) {
                return error("syntax error: expected a variable name after `for`", t.span);
            }
            self.skip_newlines()?;
            if self.peek_reserved()? == Some("in") {
                self.next()?;
                loop {
                    self.fill()?;
                    match &self.peeked {
                        Some(Token {
                            tok: Tok::Word(_), ..
                        }) => {
                            self.next()?;
                        }
                        Some(Token {
                            tok: Tok::Newline | Tok::Op(Op::Semi),
                            ..
                        }) => {
                            self.next()?;
                            break;
                        }
                        _ => return Err(self.unexpected_next()),
                    }
                }
            } else if self.peek_op()? == Some(Op::Semi) {
                self.next()?;
            }
        }
        self.skip_newlines()
    }

    fn parse_case(&mut self, start: usize) -> PResult<Node> {
        self.enter(start)?;
        let subject = self.parse_case_head()?;
        let mut arms = Vec::new();
        let mut patterns = Vec::new();
        while let Some(pats) = self.parse_case_patterns()? {
            arms.push(self.parse_list()?);
            patterns.push(pats);
            if !self.case_arm_end()? {
                break;
            }
        }
        self.leave();
        let end = self.trailing_redirects(RedirectsOf::Compound(start))?;
        let span = Span::new(start, end);
        self.cases.push(CaseInfo {
            span,
            subject,
            patterns,
        });
        Ok(Node::Case { arms, span })
    }

    /// `case WORD linebreak in`
    #[inline(never)]
    fn parse_case_head(&mut self) -> PResult<Word> {
        self.next()?;
        let t = self.next()?;
        let Tok::Word(subject) = t.tok else {
            return error("syntax error: expected a word after `case`", t.span);
        };
        self.skip_newlines()?;
        self.expect_reserved("in", "after the `case` word")?;
        Ok(subject)
    }

    /// `[(] pattern [| pattern]… )`, or `None` after consuming `esac`.
    #[inline(never)]
    fn parse_case_patterns(&mut self) -> PResult<Option<Vec<Word>>> {
        self.skip_newlines()?;
        if self.peek_reserved()? == Some("esac") {
            self.next()?;
            return Ok(None);
        }
        if self.peek_op()? == Some(Op::LParen) {
            self.next()?;
        }
        let mut pats = Vec::new();
        loop {
            let t = self.next()?;
            match t.tok {
                Tok::Word(w) => pats.push(w),
                _ => {
                    return error(
                        format!(
                            "syntax error: expected a `case` pattern, found {}",
                            describe(self, &t)
                        ),
                        t.span,
                    )
                }
            }
            if self.peek_op()? == Some(Op::Pipe) {
                self.next()?;
            } else {
                break;
            }
        }
        self.expect_op(Op::RParen, "after the `case` pattern")?;
        Ok(Some(pats))
    }

    /// After an arm's list: `;;`/`;&`/`;;&` (more arms may follow: `true`) or `esac` (`false`).
    #[inline(never)]
    fn case_arm_end(&mut self) -> PResult<bool> {
        match self.peek_op()? {
            Some(Op::DSemi | Op::SemiAnd | Op::DSemiAnd) => {
                self.next()?;
                Ok(true)
            }
            _ => {
                self.expect_reserved("esac", "to close the `case`")?;
                Ok(false)
            }
        }
    }

    /// bash `[[ … ]]`, as a simple command whose words are the operands and operators.
    fn parse_cond(&mut self, start: usize) -> PResult<Node> {
        let open = self.next()?;
        let mut words = vec![synthetic_word(open.span.start, open.span.end, "[[")];
        let mut regex_next = false;
        loop {
            loop {
                self.skip_blanks();
                if self.byte(self.pos) == Some(b'\n') {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            let i = self.pos;
            let Some(c) = self.byte(i) else {
                return error("unterminated `[[`", Span::new(start, i));
            };
            let next = self.byte(i + 1);
            if c == b']' && next == Some(b']') && is_delimiter(self.byte(i + 2)) {
                self.pos = i + 2;
                words.push(synthetic_word(i, i + 2, "]]"));
                break;
            }
            let w = match (c, next) {
                (b'&', Some(b'&')) | (b'|', Some(b'|')) => {
                    self.pos = i + 2;
                    synthetic_word(i, i + 2, self.text(Span::new(i, i + 2)))
                }
                (b'(' | b')' | b'<' | b'>', _) if !regex_next => {
                    self.pos = i + 1;
                    synthetic_word(i, i + 1, self.text(Span::new(i, i + 1)))
                }
                _ => {
                    let w = self.lex_word(regex_next)?;
                    if w.span.is_empty() {
                        return error(
                            "syntax error: unexpected character in `[[ ]]`",
                            Span::new(i, i + 1),
                        );
                    }
                    w
                }
            };
            regex_next = w.value == "=~" && !w.quoted;
            words.push(w);
        }
        self.last_end = self.pos;
        let mut cmd = SimpleCommand {
            words,
            ..SimpleCommand::default()
        };
        self.trailing_redirects(RedirectsOf::Command(&mut cmd))?;
        cmd.span = Span::new(start, self.last_end);
        Ok(Node::Simple(cmd))
    }

    /// bash `coproc [NAME] command`: represented as a background job.
    fn parse_coproc(&mut self, start: usize) -> PResult<Node> {
        self.next()?;
        self.fill()?;
        // `coproc NAME { …; }` / `coproc NAME ( … )`: skip the name.
        let named = match &self.peeked {
            Some(Token {
                tok: Tok::Word(w), ..
            }) if reserved(w).is_none() => {
                let mut i = w.span.end;
                while matches!(self.byte(i), Some(b' ' | b'\t')) {
                    i += 1;
                }
                matches!(self.byte(i), Some(b'(')) || {
                    matches!(self.byte(i), Some(b'{')) && is_delimiter(self.byte(i + 1))
                }
            }
            _ => false,
        };
        if named {
            self.next()?;
        }
        self.enter(start)?;
        let body = self.parse_command()?;
        self.leave();
        Ok(Node::Background(
            Box::new(body),
            Span::new(start, self.last_end.max(start)),
        ))
    }
}
