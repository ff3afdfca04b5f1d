//! The nginx configuration syntax: tokens, directives and blocks with byte spans.
//!
//! The tokenizer follows `ngx_conf_read_token()` in nginx's `src/core/ngx_conf_file.c`
//! (read at nginx 1.31.5, commit 3f6f782) state for state, so that what nginx accepts parses
//! and what it rejects at the token level is an error here too:
//!
//! * Whitespace is exactly space, tab, CR and LF. A statement is a list of words ended by `;`
//!   (a directive) or `{` (a block directive); a `}` closes the current block and is an error
//!   when words are pending (`listen 80 }`).
//! * A word starts at the first non-space byte. If that byte is `"` or `'` the word is a quoted
//!   string running to the matching unescaped quote; after the closing quote only whitespace,
//!   `;`, `{` or `)` may follow (anything else is `unexpected "x"`). A `)` right after a quote
//!   starts a new word (so `if ($a = "b")` has the words `($a`, `=`, `b`, `)`).
//! * A quote in the middle of a word is an ordinary byte (`a"b"` is one word), and so are `#`,
//!   `}` and `(`: only whitespace, `;` and `{` end a bare word. `{` right after `$` does not
//!   end the word (`${var}`); any other `{` does (so a regex with `{n}` must be quoted).
//! * `\` escapes the next byte wherever it appears (`\;`, `\ `, `\"` stay in the word). In the
//!   value, `\"`, `\'` and `\\` become the escaped char, `\t`, `\r`, `\n` become control
//!   characters, and any other backslash is kept as is (`\d` stays `\d` for regexes).
//! * `#` starts a comment to the end of the line only where a word could start.
//! * `;` or `{` with no words before them is `unexpected ";"`; end of file inside a statement is
//!   `unexpected end of file, expecting ";" or "}"`; end of file inside a block is
//!   `unexpected end of file, expecting "}"`; a `}` at the top level is `unexpected "}"`.
//!
//! Differences from nginx, on purpose:
//! * A UTF-8 byte order mark at the start of the text is skipped (nginx would make it part of
//!   the first directive's name and fail with "unknown directive"). Offsets stay offsets into
//!   the original text.
//! * nginx gives up on words longer than its 4096-byte read buffer ("too long parameter"); we
//!   do not.
//! * Blocks nest at most [`MAX_DEPTH`] deep (nginx has no limit; real configs use < 10).
//! * Which directives may take a block, and how many arguments each takes, is semantic
//!   (`ngx_conf_handler`) and not checked. The top level may hold anything, so `conf.d`
//!   snippets (only `server { }`, only `location`s, or bare directives) parse.
//!
//! Directives whose name ends in `_by_lua_block` (lua-nginx-module, stream-lua) have a Lua
//! body, not nginx syntax: it is scanned with [`super::lua`] for its matching `}` and kept as
//! [`Block::raw_body`], as `ngx_http_lua_conf_lua_block_parse()` does.

use crate::span::Span;

/// How deep blocks may nest before the parser gives up with an error.
pub const MAX_DEPTH: usize = 100;

/// A parsed configuration file (or snippet).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// The top-level directives, in file order.
    pub directives: Vec<Directive>,
    /// Every `#` comment, from the `#` to the end of its line (a CR before the LF excluded).
    /// Comments inside Lua block bodies are not listed.
    pub comments: Vec<Span>,
}

impl Config {
    /// Give back the spare capacity of every vector of the tree: a configuration is kept until
    /// the rules ran, and a vector filled by pushing holds at least four elements (a directive
    /// has one or two arguments). Blocks nest at most [`MAX_DEPTH`] deep.
    pub fn shrink_to_fit(&mut self) {
        fn shrink(directives: &mut Vec<Directive>) {
            directives.shrink_to_fit();
            for directive in directives {
                directive.args.shrink_to_fit();
                if let Some(block) = &mut directive.block {
                    shrink(&mut block.directives);
                }
            }
        }
        shrink(&mut self.directives);
        self.comments.shrink_to_fit();
    }
}

/// One directive: `name arg ... ;` or `name arg ... { ... }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// The name, unquoted and unescaped like an argument (nginx allows `"server" {`).
    pub name: String,
    /// The name as written (quotes included when quoted).
    pub name_span: Span,
    pub args: Vec<Arg>,
    /// The block of a block directive; `None` when the directive ended with `;`.
    pub block: Option<Block>,
    /// From the first byte of the name through the `;` or the block's closing `}`.
    pub span: Span,
}

/// One argument word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    /// The value nginx sees: quotes removed, escapes resolved.
    pub value: String,
    /// The word as written, quotes included.
    pub raw: Span,
    /// Written as a `"..."` or `'...'` string.
    pub quoted: bool,
}

/// The `{ ... }` of a block directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The directives inside (always empty for a Lua block).
    pub directives: Vec<Directive>,
    /// From `{` through `}`.
    pub span: Span,
    /// For `*_by_lua_block` directives: the Lua source between the braces, not tokenized.
    pub raw_body: Option<Span>,
}

/// Why a text is not a valid nginx configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// nginx's own wording where it has one (`unexpected "}"`).
    pub message: String,
    /// Where the problem is: the offending byte, or the unclosed construct.
    pub span: Span,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at bytes {}..{}",
            self.message, self.span.start, self.span.end
        )
    }
}

impl std::error::Error for ParseError {}

impl Directive {
    /// The value of argument `index`, if present.
    pub fn arg(&self, index: usize) -> Option<&str> {
        self.args.get(index).map(|a| a.value.as_str())
    }

    /// The directives of this directive's block (empty when it has none).
    pub fn children(&self) -> &[Directive] {
        self.block.as_ref().map_or(&[], |b| b.directives.as_slice())
    }

    /// Whether the name ends in `_by_lua_block` (its block body is Lua).
    pub fn is_lua_block(&self) -> bool {
        is_lua_block_name(&self.name)
    }

    /// The span of all arguments (empty at the end of the name when there are none).
    pub fn args_span(&self) -> Span {
        match (self.args.first(), self.args.last()) {
            (Some(first), Some(last)) => first.raw.join(last.raw),
            _ => Span::empty(self.name_span.end),
        }
    }
}

impl Arg {
    /// The span of the value inside the quotes (the raw span for a bare word).
    pub fn inner_span(&self) -> Span {
        if self.quoted && self.raw.len() >= 2 {
            Span::new(self.raw.start + 1, self.raw.end - 1)
        } else {
            self.raw
        }
    }
}

fn is_lua_block_name(name: &str) -> bool {
    name.ends_with("_by_lua_block")
}

/// Parse a whole configuration file or snippet.
pub fn parse(text: &str) -> Result<Config, ParseError> {
    Parser::new(text).run()
}

/// What one call of the tokenizer found (mirrors the return codes of `ngx_conf_read_token`).
enum Statement {
    /// Words ended by `;` at the given offset.
    Simple(Vec<Arg>, usize),
    /// Words ended by `{` at the given offset.
    BlockStart(Vec<Arg>, usize),
    /// A `}` at the given offset.
    BlockEnd(usize),
    EndOfFile,
}

/// A block being filled: the directive that opened it and what is inside so far.
struct OpenBlock {
    name: String,
    name_span: Span,
    args: Vec<Arg>,
    open_brace: usize,
    directives: Vec<Directive>,
}

struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    comments: Vec<Span>,
}

const LF: u8 = b'\n';
const CR: u8 = b'\r';

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | CR | LF)
}

fn byte_name(b: u8) -> String {
    match b {
        0x20..=0x7e => (b as char).to_string(),
        _ => format!("\\x{b:02x}"),
    }
}

impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Self {
        let pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
        Parser {
            text,
            bytes: text.as_bytes(),
            pos,
            comments: Vec::new(),
        }
    }

    fn run(mut self) -> Result<Config, ParseError> {
        let mut top: Vec<Directive> = Vec::new();
        let mut stack: Vec<OpenBlock> = Vec::new();
        loop {
            match self.read_statement()? {
                Statement::Simple(words, semicolon) => {
                    let directive = make_directive(words, None, semicolon + 1);
                    push(&mut stack, &mut top, directive);
                }
                Statement::BlockStart(words, brace) => {
                    let mut words = words.into_iter();
                    let Some(first) = words.next() else {
                        return Err(self.error_at("unexpected \"{\"", brace));
                    };
                    let args: Vec<Arg> = words.collect();
                    if is_lua_block_name(&first.value) {
                        let close =
                            super::lua::find_block_end(self.bytes, brace + 1).map_err(|e| {
                                ParseError {
                                    message: e.message,
                                    span: e.span.unwrap_or(Span::new(brace, brace + 1)),
                                }
                            })?;
                        self.pos = close + 1;
                        let block = Block {
                            directives: Vec::new(),
                            span: Span::new(brace, close + 1),
                            raw_body: Some(Span::new(brace + 1, close)),
                        };
                        let directive = Directive {
                            span: Span::new(first.raw.start, close + 1),
                            name: first.value,
                            name_span: first.raw,
                            args,
                            block: Some(block),
                        };
                        push(&mut stack, &mut top, directive);
                        continue;
                    }
                    if stack.len() >= MAX_DEPTH {
                        return Err(self.error_at(
                            &format!("blocks nested more than {MAX_DEPTH} levels deep"),
                            brace,
                        ));
                    }
                    stack.push(OpenBlock {
                        name: first.value,
                        name_span: first.raw,
                        args,
                        open_brace: brace,
                        directives: Vec::new(),
                    });
                }
                Statement::BlockEnd(brace) => {
                    let Some(open) = stack.pop() else {
                        return Err(self.error_at("unexpected \"}\"", brace));
                    };
                    let block = Block {
                        directives: open.directives,
                        span: Span::new(open.open_brace, brace + 1),
                        raw_body: None,
                    };
                    let directive = Directive {
                        name: open.name,
                        name_span: open.name_span,
                        args: open.args,
                        block: Some(block),
                        span: Span::new(open.name_span.start, brace + 1),
                    };
                    push(&mut stack, &mut top, directive);
                }
                Statement::EndOfFile => {
                    if let Some(open) = stack.last() {
                        return Err(ParseError {
                            message: format!(
                                "unexpected end of file, expecting \"}}\" (to close the \
                                 \"{}\" block)",
                                open.name
                            ),
                            span: Span::new(open.open_brace, open.open_brace + 1),
                        });
                    }
                    return Ok(Config {
                        directives: top,
                        comments: self.comments,
                    });
                }
            }
        }
    }

    fn error_at(&self, message: &str, at: usize) -> ParseError {
        let end = next_char_boundary(self.text, at);
        ParseError {
            message: message.to_string(),
            span: Span::new(at, end),
        }
    }

    /// One statement, as `ngx_conf_read_token` reads it.
    fn read_statement(&mut self) -> Result<Statement, ParseError> {
        let bytes = self.bytes;
        let mut words: Vec<Arg> = Vec::new();
        let mut need_space = false;
        let mut last_space = true;
        let mut in_comment: Option<usize> = None;
        let mut escaped = false;
        let mut variable = false;
        let mut d_quoted = false;
        let mut s_quoted = false;
        // Start of the current word's raw text, and of its value (after an opening quote).
        let mut raw_start = self.pos;
        let mut value_start = self.pos;

        loop {
            let Some(&ch) = bytes.get(self.pos) else {
                if let Some(start) = in_comment {
                    self.comments
                        .push(trim_cr(bytes, Span::new(start, self.pos)));
                }
                if words.is_empty() && last_space {
                    return Ok(Statement::EndOfFile);
                }
                if d_quoted || s_quoted {
                    let quote = if d_quoted { '"' } else { '\'' };
                    return Err(ParseError {
                        message: format!(
                            "unexpected end of file, missing terminating {quote} character"
                        ),
                        span: Span::new(raw_start, raw_start + 1),
                    });
                }
                let start = words.first().map_or(raw_start, |w| w.raw.start);
                return Err(ParseError {
                    message: "unexpected end of file, expecting \";\" or \"}\"".to_string(),
                    span: Span::new(start, self.pos),
                });
            };
            let at = self.pos;
            self.pos += 1;

            if let Some(start) = in_comment {
                if ch == LF {
                    self.comments.push(trim_cr(bytes, Span::new(start, at)));
                    in_comment = None;
                } else {
                    continue;
                }
            }

            if escaped {
                escaped = false;
                continue;
            }

            if need_space {
                if is_space(ch) {
                    last_space = true;
                    need_space = false;
                    continue;
                }
                match ch {
                    b';' => return Ok(Statement::Simple(words, at)),
                    b'{' => return Ok(Statement::BlockStart(words, at)),
                    b')' => {
                        last_space = true;
                        need_space = false;
                    }
                    _ => {
                        return Err(self.error_at(&format!("unexpected \"{}\"", byte_name(ch)), at))
                    }
                }
            }

            if last_space {
                raw_start = at;
                value_start = at;
                if is_space(ch) {
                    continue;
                }
                match ch {
                    b';' | b'{' => {
                        if words.is_empty() {
                            let message = format!("unexpected \"{}\"", ch as char);
                            return Err(self.error_at(&message, at));
                        }
                        return Ok(if ch == b'{' {
                            Statement::BlockStart(words, at)
                        } else {
                            Statement::Simple(words, at)
                        });
                    }
                    b'}' => {
                        if !words.is_empty() {
                            return Err(self.error_at("unexpected \"}\"", at));
                        }
                        return Ok(Statement::BlockEnd(at));
                    }
                    b'#' => {
                        in_comment = Some(at);
                        continue;
                    }
                    b'\\' => {
                        escaped = true;
                        last_space = false;
                        continue;
                    }
                    b'"' => {
                        value_start = at + 1;
                        d_quoted = true;
                        last_space = false;
                        continue;
                    }
                    b'\'' => {
                        value_start = at + 1;
                        s_quoted = true;
                        last_space = false;
                        continue;
                    }
                    b'$' => {
                        variable = true;
                        last_space = false;
                        continue;
                    }
                    _ => {
                        last_space = false;
                    }
                }
            } else {
                if ch == b'{' && variable {
                    continue;
                }
                variable = false;
                if ch == b'\\' {
                    escaped = true;
                    continue;
                }
                if ch == b'$' {
                    variable = true;
                    continue;
                }
                let mut found = false;
                let mut quoted = false;
                if d_quoted {
                    if ch == b'"' {
                        d_quoted = false;
                        need_space = true;
                        found = true;
                        quoted = true;
                    }
                } else if s_quoted {
                    if ch == b'\'' {
                        s_quoted = false;
                        need_space = true;
                        found = true;
                        quoted = true;
                    }
                } else if is_space(ch) || ch == b';' || ch == b'{' {
                    last_space = true;
                    found = true;
                }
                if found {
                    let raw_end = if quoted { at + 1 } else { at };
                    words.push(Arg {
                        value: unescape(bytes.get(value_start..at).unwrap_or(&[])),
                        raw: Span::new(raw_start, raw_end),
                        quoted,
                    });
                    if ch == b';' {
                        return Ok(Statement::Simple(words, at));
                    }
                    if ch == b'{' {
                        return Ok(Statement::BlockStart(words, at));
                    }
                }
            }
        }
    }
}

fn push(stack: &mut [OpenBlock], top: &mut Vec<Directive>, directive: Directive) {
    match stack.last_mut() {
        Some(open) => open.directives.push(directive),
        None => top.push(directive),
    }
}

fn make_directive(words: Vec<Arg>, block: Option<Block>, end: usize) -> Directive {
    let mut words = words.into_iter();
    // `read_statement` never returns an empty statement; fall back to an empty name anyway.
    let first = words.next().unwrap_or(Arg {
        value: String::new(),
        raw: Span::empty(end),
        quoted: false,
    });
    Directive {
        span: Span::new(first.raw.start, end),
        name: first.value,
        name_span: first.raw,
        args: words.collect(),
        block,
    }
}

/// Drop a trailing CR from a comment span (CRLF files).
fn trim_cr(bytes: &[u8], span: Span) -> Span {
    if span.end > span.start && bytes.get(span.end - 1) == Some(&CR) {
        Span::new(span.start, span.end - 1)
    } else {
        span
    }
}

fn next_char_boundary(text: &str, at: usize) -> usize {
    let mut end = (at + 1).min(text.len());
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    end.max(at)
}

/// The escape decoding of `ngx_conf_read_token`.
fn unescape(raw: &[u8]) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        if b == b'\\' {
            match raw.get(i + 1) {
                Some(&c @ (b'"' | b'\'' | b'\\')) => {
                    out.push(c);
                    i += 2;
                    continue;
                }
                Some(b't') => {
                    out.push(b'\t');
                    i += 2;
                    continue;
                }
                Some(b'r') => {
                    out.push(b'\r');
                    i += 2;
                    continue;
                }
                Some(b'n') => {
                    out.push(b'\n');
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(b);
        i += 1;
    }
    // Only ASCII bytes were removed or replaced, so valid UTF-8 stays valid.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinking_keeps_the_tree_and_drops_spare_capacity() {
        let text = "http {\n  server {\n    listen 80;\n    location / { proxy_pass http://a; }\n  }\n}\n# end\n";
        let parsed = parse(text).expect("parses");
        let mut shrunk = parsed.clone();
        shrunk.shrink_to_fit();
        assert_eq!(shrunk, parsed);
        fn exact(directives: &[Directive]) -> bool {
            directives.iter().all(|d| {
                d.args.capacity() == d.args.len()
                    && d.block.as_ref().is_none_or(|b| {
                        b.directives.capacity() == b.directives.len() && exact(&b.directives)
                    })
            })
        }
        assert_eq!(shrunk.directives.capacity(), shrunk.directives.len());
        assert!(exact(&shrunk.directives));
    }

    fn ok(text: &str) -> Config {
        match parse(text) {
            Ok(c) => c,
            Err(e) => panic!("{e} in {text:?}"),
        }
    }

    fn err(text: &str) -> ParseError {
        match parse(text) {
            Ok(c) => panic!("expected an error for {text:?}, got {c:?}"),
            Err(e) => e,
        }
    }

    fn values(d: &Directive) -> Vec<&str> {
        d.args.iter().map(|a| a.value.as_str()).collect()
    }

    #[test]
    fn simple_directives_and_spans() {
        let text = "worker_processes 4;\nevents { worker_connections 1024; }\n";
        let c = ok(text);
        assert_eq!(c.directives.len(), 2);
        let wp = &c.directives[0];
        assert_eq!(wp.name, "worker_processes");
        assert_eq!(wp.name_span.slice(text), "worker_processes");
        assert_eq!(wp.span.slice(text), "worker_processes 4;");
        assert_eq!(wp.args[0].raw.slice(text), "4");
        let events = &c.directives[1];
        assert_eq!(
            events.span.slice(text),
            "events { worker_connections 1024; }"
        );
        let block = events.block.as_ref().unwrap();
        assert_eq!(block.span.slice(text), "{ worker_connections 1024; }");
        assert_eq!(
            block.directives[0].span.slice(text),
            "worker_connections 1024;"
        );
    }

    #[test]
    fn quoted_strings_and_escapes() {
        let text = r#"add_header X "a b\"c" 'd\'e' "t\tn\n" "\d";"#;
        let c = ok(text);
        let d = &c.directives[0];
        assert_eq!(values(d), ["X", "a b\"c", "d'e", "t\tn\n", "\\d"]);
        assert!(d.args[1].quoted);
        assert_eq!(d.args[1].raw.slice(text), r#""a b\"c""#);
        assert_eq!(d.args[1].inner_span().slice(text), r#"a b\"c"#);
        assert!(!d.args[0].quoted);
    }

    #[test]
    fn empty_quoted_string_is_an_argument() {
        let c = ok("proxy_set_header Connection \"\";");
        let d = &c.directives[0];
        assert_eq!(values(d), ["Connection", ""]);
        assert!(d.args[1].quoted);
    }

    #[test]
    fn escaped_space_and_semicolon_stay_in_word() {
        let c = ok(r"return 200 a\ b\;c;");
        assert_eq!(values(&c.directives[0]), ["200", r"a\ b\;c"]);
    }

    #[test]
    fn hash_inside_word_is_not_a_comment() {
        let text = "return 200 a#b; # real comment\r\nlisten 80;";
        let c = ok(text);
        assert_eq!(values(&c.directives[0]), ["200", "a#b"]);
        assert_eq!(c.comments.len(), 1);
        assert_eq!(c.comments[0].slice(text), "# real comment");
        assert_eq!(c.directives[1].name, "listen");
    }

    #[test]
    fn comment_at_end_of_file_without_newline() {
        let text = "listen 80; # last";
        let c = ok(text);
        assert_eq!(c.comments[0].slice(text), "# last");
    }

    #[test]
    fn comment_between_arguments() {
        let c = ok("server_name a # first\n b;");
        assert_eq!(values(&c.directives[0]), ["a", "b"]);
    }

    #[test]
    fn variables_with_braces() {
        let text = "set $a \"${host}x\"; return 200 ${scheme}://$host$uri;";
        let c = ok(text);
        assert_eq!(values(&c.directives[0]), ["$a", "${host}x"]);
        assert_eq!(values(&c.directives[1]), ["200", "${scheme}://$host$uri"]);
    }

    #[test]
    fn brace_ends_a_bare_word() {
        let c = ok("location /a{ return 204; }");
        assert_eq!(values(&c.directives[0]), ["/a"]);
        assert!(c.directives[0].block.is_some());
    }

    #[test]
    fn if_conditions_and_regex_locations() {
        let text = r#"
            if ($request_method = "POST") { return 405; }
            if ($http_x ~* "^(a|b)$" ) { set $x 1; }
            location ~ ^/(images|js)/.*\.(png|js)$ { expires 1d; }
            location ~* "\.(?:jpg|gif){1,2}$" { }
            location = /x {}
        "#;
        let c = ok(text);
        assert_eq!(
            values(&c.directives[0]),
            ["($request_method", "=", "POST", ")"]
        );
        assert_eq!(values(&c.directives[1]), ["($http_x", "~*", "^(a|b)$", ")"]);
        assert_eq!(
            values(&c.directives[2]),
            ["~", r"^/(images|js)/.*\.(png|js)$"]
        );
        assert_eq!(values(&c.directives[3]), ["~*", r"\.(?:jpg|gif){1,2}$"]);
        assert_eq!(values(&c.directives[4]), ["=", "/x"]);
        assert!(c.directives[4].children().is_empty());
    }

    #[test]
    fn paren_right_after_quote_starts_a_new_word() {
        let c = ok(r#"if ($a = "b") { }"#);
        assert_eq!(values(&c.directives[0]), ["($a", "=", "b", ")"]);
    }

    #[test]
    fn quote_inside_word_is_literal() {
        let c = ok(r#"return 200 a"b"c;"#);
        assert_eq!(values(&c.directives[0]), ["200", r#"a"b"c"#]);
    }

    #[test]
    fn closing_brace_inside_word_is_literal() {
        let c = ok("return 200 a}b;");
        assert_eq!(values(&c.directives[0]), ["200", "a}b"]);
    }

    #[test]
    fn quoted_directive_name() {
        let c = ok(r#""listen" 80;"#);
        assert_eq!(c.directives[0].name, "listen");
        assert_eq!(c.directives[0].name_span, Span::new(0, 8));
    }

    #[test]
    fn words_after_quote_need_space() {
        let e = err(r#"return 200 "a"b;"#);
        assert_eq!(e.message, "unexpected \"b\"");
        assert_eq!(e.span, Span::new(14, 15));
        let e = err(r##"return 200 "a"#comment"##);
        assert_eq!(e.message, "unexpected \"#\"");
    }

    #[test]
    fn quote_then_semicolon_or_brace() {
        let c = ok(r#"a "b";c 'd'{}"#);
        assert_eq!(c.directives[0].name, "a");
        assert_eq!(c.directives[1].name, "c");
        assert!(c.directives[1].block.is_some());
    }

    #[test]
    fn map_types_geo_split_clients_upstream() {
        let text = r#"
        http {
            types { text/html html htm; application/javascript js; }
            map $http_upgrade $connection_upgrade { default upgrade; '' close; ~^x 1; }
            geo $geo { default 0; 127.0.0.1/32 1; }
            split_clients "${remote_addr}AAA" $variant { 0.5% .one; * ""; }
            upstream app { server a:80 weight=5 max_fails=0 backup; keepalive 32; keepalive_timeout 60s; }
        }"#;
        let c = ok(text);
        let http = &c.directives[0];
        let names: Vec<&str> = http.children().iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["types", "map", "geo", "split_clients", "upstream"]);
        let map = &http.children()[1];
        assert_eq!(map.children()[1].name, "");
        assert!(map.children()[1].name_span.len() == 2);
        let split = &http.children()[3];
        assert_eq!(values(split), ["${remote_addr}AAA", "$variant"]);
        assert_eq!(values(&split.children()[1]), [""]);
    }

    #[test]
    fn nested_locations() {
        let c = ok("server { location / { location /a { return 204; } } }");
        let inner = &c.directives[0].children()[0].children()[0];
        assert_eq!(inner.name, "location");
        assert_eq!(inner.children()[0].name, "return");
    }

    #[test]
    fn snippets_parse() {
        ok("location / { proxy_pass http://app; }\nlocation /b { }");
        ok("proxy_set_header Host $host;\nproxy_http_version 1.1;");
        ok("");
        ok("   \n# only a comment\n");
    }

    #[test]
    fn unexpected_closing_brace() {
        let e = err("server { }\n}");
        assert_eq!(e.message, "unexpected \"}\"");
        assert_eq!(e.span, Span::new(11, 12));
        let e = err("server { listen 80 }");
        assert_eq!(e.message, "unexpected \"}\"");
        assert_eq!(e.span, Span::new(19, 20));
    }

    #[test]
    fn unexpected_end_of_file() {
        let e = err("http { server { listen 80; }");
        assert!(e
            .message
            .starts_with("unexpected end of file, expecting \"}\""));
        assert_eq!(e.span, Span::new(5, 6));
        let e = err("http { }\nlisten 80");
        assert_eq!(
            e.message,
            "unexpected end of file, expecting \";\" or \"}\""
        );
        assert_eq!(e.span, Span::new(9, 18));
    }

    #[test]
    fn unterminated_quotes() {
        let e = err("return 200 \"abc;\n}");
        assert!(
            e.message.contains("missing terminating \" character"),
            "{e}"
        );
        assert_eq!(e.span, Span::new(11, 12));
        let e = err("return 200 'abc\\';");
        assert!(e.message.contains("missing terminating ' character"), "{e}");
    }

    #[test]
    fn stray_semicolon_and_brace() {
        assert_eq!(err("listen 80;;").message, "unexpected \";\"");
        assert_eq!(err("{ }").message, "unexpected \"{\"");
    }

    #[test]
    fn crlf_and_bom_offsets() {
        let text = "\u{feff}http {\r\n  listen 80;\r\n}\r\n";
        let c = ok(text);
        let http = &c.directives[0];
        assert_eq!(http.name_span, Span::new(3, 7));
        assert_eq!(http.children()[0].span.slice(text), "listen 80;");
        assert_eq!(http.span.slice(text), "http {\r\n  listen 80;\r\n}");
    }

    #[test]
    fn multibyte_text() {
        let text = "return 200 \"héllo → wörld\"; # ünïcode\nset $a é;";
        let c = ok(text);
        assert_eq!(c.directives[0].args[1].value, "héllo → wörld");
        assert_eq!(c.directives[1].args[1].raw.slice(text), "é");
        assert_eq!(c.comments[0].slice(text), "# ünïcode");
        let e = err("return 200 \"x\"é;");
        assert_eq!(e.span.slice("return 200 \"x\"é;"), "é");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "a {".repeat(10_000);
        let e = err(&text);
        assert!(e.message.contains("nested"), "{e}");
        let ok_depth = format!("{}{}", "a {".repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        ok(&ok_depth);
        let too_deep = format!(
            "{}{}",
            "a {".repeat(MAX_DEPTH + 1),
            "}".repeat(MAX_DEPTH + 1)
        );
        err(&too_deep);
        let braces = "{".repeat(10_000);
        assert_eq!(err(&braces).message, "unexpected \"{\"");
        let closers = "}".repeat(10_000);
        assert_eq!(err(&closers).message, "unexpected \"}\"");
    }

    #[test]
    fn lua_block_body_is_raw() {
        let text = r#"location / {
    content_by_lua_block {
        local t = { a = "}", b = '{' } -- }
        --[[ } ]] ngx.say([==[ } ]==])
        if x then ngx.say("}") end
    }
    set_by_lua_block $res { return ngx.var.a .. "}" }
    return 204;
}"#;
        let c = ok(text);
        let loc = &c.directives[0];
        let lua = &loc.children()[0];
        assert_eq!(lua.name, "content_by_lua_block");
        let block = lua.block.as_ref().unwrap();
        assert!(block.directives.is_empty());
        let body = block.raw_body.unwrap().slice(text);
        assert!(body.contains("ngx.say(\"}\") end"), "{body}");
        assert!(body.trim_end().ends_with("end"));
        let set = &loc.children()[1];
        assert_eq!(values(set), ["$res"]);
        assert_eq!(
            set.block.as_ref().unwrap().raw_body.unwrap().slice(text),
            " return ngx.var.a .. \"}\" "
        );
        assert_eq!(loc.children()[2].name, "return");
        assert!(c.comments.is_empty());
    }

    #[test]
    fn unterminated_lua_block() {
        let e = err("init_by_lua_block { local x = 1");
        assert!(e.message.contains("lua code block"), "{e}");
        assert_eq!(e.span, Span::new(18, 19));
    }

    #[test]
    fn garbage_never_panics() {
        let samples = [
            "\\",
            "\"",
            "'",
            "$",
            "${",
            "#",
            "a \\",
            "a \"\\",
            "a '",
            "a ${",
            "\u{feff}",
            "a \"b\")",
            "a \"b\")c;",
            "x{",
            "}{",
            "a;}",
            "\0\0;",
            "a\u{0}b;",
            "a_by_lua_block {",
            "a_by_lua_block { [[",
            "a_by_lua_block { --[==[",
            "a_by_lua_block { \"\\",
        ];
        for s in samples {
            let _ = parse(s);
        }
        // Every prefix of a realistic config.
        let text = "http { map $a $b { default \"x\\\"y\"; } server { listen 80; # c\n \
                    location ~ ^/(a|b)$ { content_by_lua_block { ngx.say('}') } } } }";
        for end in 0..=text.len() {
            if text.is_char_boundary(end) {
                let _ = parse(&text[..end]);
            }
        }
    }

    /// Check every span of a parsed config lies on char boundaries inside the text.
    fn check_spans(text: &str, directives: &[Directive]) {
        for d in directives {
            for span in std::iter::once(d.span)
                .chain(std::iter::once(d.name_span))
                .chain(d.args.iter().map(|a| a.raw))
                .chain(d.block.iter().map(|b| b.span))
                .chain(d.block.iter().filter_map(|b| b.raw_body))
            {
                assert!(span.start <= span.end && span.end <= text.len(), "{span:?}");
                assert!(
                    text.get(span.start..span.end).is_some(),
                    "{span:?} in {text:?}"
                );
            }
            assert!(d.span.start <= d.name_span.start && d.name_span.end <= d.span.end);
            check_spans(text, d.children());
        }
    }

    #[test]
    fn random_inputs_never_panic_and_spans_fit() {
        const ALPHABET: &[&str] = &[
            " ",
            "\t",
            "\n",
            "\r\n",
            ";",
            "{",
            "}",
            "\"",
            "'",
            "\\",
            "#",
            "$",
            "${",
            "(",
            ")",
            "a",
            "server",
            "location",
            "é",
            "→",
            "--",
            "[[",
            "]]",
            "[=[",
            "content_by_lua_block",
            "\u{feff}",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut text = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 24) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push_str(ALPHABET[(state % ALPHABET.len() as u64) as usize]);
            }
            match parse(&text) {
                Ok(config) => {
                    check_spans(&text, &config.directives);
                    for c in &config.comments {
                        assert!(text.get(c.start..c.end).is_some_and(|s| s.starts_with('#')));
                    }
                }
                Err(e) => {
                    assert!(e.span.end <= text.len(), "{e} in {text:?}");
                    assert!(
                        text.get(e.span.start..e.span.end).is_some(),
                        "{e} in {text:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn linear_time_on_large_input() {
        let mut text = String::from("http {\n");
        for i in 0..20_000 {
            text.push_str(&format!(
                "  server {{ listen {i}; location / {{ proxy_pass http://a; }} }}\n"
            ));
        }
        text.push('}');
        let start = std::time::Instant::now();
        let c = ok(&text);
        assert_eq!(c.directives[0].children().len(), 20_000);
        assert!(start.elapsed().as_secs() < 10);
        let long_word = format!("return 200 {};", "x".repeat(1_000_000));
        assert_eq!(ok(&long_word).directives[0].args[1].value.len(), 1_000_000);
    }
}
