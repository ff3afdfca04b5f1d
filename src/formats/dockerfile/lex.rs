//! Docker's word lexer and variable expander (a port of BuildKit's `shell.Lex`).
//!
//! The same machine serves three purposes, selected by [`Options`]:
//! * finding heredoc markers in an instruction line (raw quotes and escapes kept,
//!   unknown variables kept as written),
//! * the literal value of a word (quotes removed, escapes decoded, variables kept as written),
//! * real expansion of `$VAR`, `${VAR:-default}` ... against known variables.
//!
//! Recursion (`${a:-${b}}`) is bounded by [`MAX_DEPTH`]; every input char is consumed once,
//! and the glob operators (`${v#pat}`, `${v%pat}`, `${v/pat/rep}`) run under a step budget.
//! What one run produces is bounded by [`MAX_EXPANSION`]: values that expand each other
//! (`ARG B=${A}${A}`, `ARG C=${B}${B}`, …) double at every line.

use std::collections::HashSet;

/// How deeply `${...}` may nest before the lexer gives up with an error.
const MAX_DEPTH: usize = 64;
/// Steps the glob operators may take in one lexing run before giving up on them.
const GLOB_BUDGET: usize = 1_000_000;
/// The most bytes one run may produce (the expanded text, or the words of it) before it gives up
/// with an error: as much as a Dockerfile line may hold. Forty `ARG` lines that each double the
/// last would otherwise build a terabyte.
pub(crate) const MAX_EXPANSION: usize = 1 << 16;
/// The most bytes of variable values one walk over a Dockerfile's instructions (its global
/// ARGs, its FROMs, or the ENV and ARG lines of the stages it lowers) substitutes, over all its
/// expansions. Past it a variable is looked up as unknown, so a value built from it is unknown
/// (rules stay silent about it) instead of one more copy: 30,000 `ENV vN=${v0}` lines of a
/// 60,000-byte `v0` held 1.8 GB, a chain `ENV vN=${vM}y` of 200,000 lines 2.5 GB.
pub(crate) const MAX_SUBSTITUTED: usize = 1 << 20;

/// Counts the bytes of variable values substituted against [`MAX_SUBSTITUTED`].
#[derive(Debug, Default)]
pub(crate) struct Substituted(std::cell::Cell<usize>);

impl Substituted {
    /// Whether `len` more bytes fit (they are then counted).
    pub(crate) fn take(&self, len: usize) -> bool {
        match self.0.get().checked_add(len) {
            Some(total) if total <= MAX_SUBSTITUTED => {
                self.0.set(total);
                true
            }
            _ => false,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    /// The file's escape character (`\` or `` ` ``).
    pub escape: char,
    /// Keep quote characters in the output.
    pub raw_quotes: bool,
    /// Keep escape characters in the output.
    pub raw_escapes: bool,
    /// Leave references to unknown variables as written instead of expanding them to "".
    pub skip_unset: bool,
}

/// One word of a lexed line, with the byte range of the input it came from.
#[derive(Clone, Debug)]
pub(crate) struct LexWord {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug)]
pub(crate) struct LexResult {
    /// The processed text (what BuildKit's `ProcessWord` returns).
    pub result: String,
    /// The processed text split into words (what `ProcessWords` returns).
    pub words: Vec<LexWord>,
    /// Variables that were referenced but not known, in order of first use.
    pub unresolved: Vec<String>,
}

/// A variable lookup: `Some(value)` for a set variable.
pub(crate) type Lookup<'e> = &'e dyn Fn(&str) -> Option<String>;

/// Lex `src` with `opts`, looking variables up with `env`.
pub(crate) fn lex(src: &str, opts: Options, env: Lookup<'_>) -> Result<LexResult, String> {
    let mut lexer = Lexer {
        chars: src.char_indices().collect(),
        src_len: src.len(),
        idx: 0,
        opts,
        raw_escapes: opts.raw_escapes,
        env,
        unresolved: Vec::new(),
        unresolved_set: HashSet::new(),
        buf: String::new(),
        buf_start: None,
        buf_end: 0,
        depth: 0,
        budget: GLOB_BUDGET,
    };
    let (result, words) = lexer.stop_on(None, opts.raw_escapes)?;
    Ok(LexResult {
        result,
        words,
        unresolved: lexer.unresolved,
    })
}

/// Literal value of a word: quotes removed, escapes decoded, variable references kept as
/// written. Falls back to the raw text when it does not lex (unbalanced quotes).
pub(crate) fn literal(raw: &str, escape: char) -> String {
    let opts = Options {
        escape,
        raw_quotes: false,
        raw_escapes: false,
        skip_unset: true,
    };
    match lex(raw, opts, &|_| None) {
        Ok(r) => r.result,
        Err(_) => raw.to_string(),
    }
}

#[derive(Default)]
struct WordsState {
    words: Vec<LexWord>,
    in_word: bool,
}

struct Lexer<'e> {
    chars: Vec<(usize, char)>,
    src_len: usize,
    idx: usize,
    opts: Options,
    raw_escapes: bool,
    env: Lookup<'e>,
    unresolved: Vec<String>,
    unresolved_set: HashSet<String>,
    /// The word buffer. BuildKit shares one buffer between nested `${...}` scans (so an inner
    /// scan resets the outer partial word); this port keeps that quirk for identical results.
    buf: String,
    buf_start: Option<usize>,
    buf_end: usize,
    depth: usize,
    budget: usize,
}

fn is_space(c: char) -> bool {
    c.is_whitespace()
}

impl Lexer<'_> {
    fn pos(&self) -> usize {
        self.chars.get(self.idx).map_or(self.src_len, |&(p, _)| p)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.idx).map(|&(_, c)| c)
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        if c.is_some() {
            self.idx += 1;
        }
        c
    }

    fn lookup(&mut self, name: &str) -> Option<String> {
        let v = (self.env)(name);
        if v.is_none() && self.unresolved_set.insert(name.to_string()) {
            self.unresolved.push(name.to_string());
        }
        v
    }

    fn push_word(&mut self, ws: &mut WordsState) {
        let start = self.buf_start.unwrap_or(self.buf_end).min(self.buf_end);
        ws.words.push(LexWord {
            text: std::mem::take(&mut self.buf),
            start,
            end: self.buf_end,
        });
        self.buf_start = None;
    }

    fn add_char(&mut self, ws: &mut WordsState, c: char, start: usize, end: usize) {
        if is_space(c) {
            if ws.in_word && !self.buf.is_empty() {
                self.push_word(ws);
                ws.in_word = false;
            }
        } else {
            self.add_raw_char(ws, c, start, end);
        }
    }

    fn add_raw_char(&mut self, ws: &mut WordsState, c: char, start: usize, end: usize) {
        if self.buf_start.is_none() {
            self.buf_start = Some(start);
        }
        self.buf.push(c);
        self.buf_end = end;
        ws.in_word = true;
    }

    fn add_raw_string(&mut self, ws: &mut WordsState, s: &str, start: usize, end: usize) {
        if self.buf_start.is_none() {
            self.buf_start = Some(start);
        }
        self.buf.push_str(s);
        self.buf_end = end;
        ws.in_word = true;
    }

    fn get_words(&mut self, mut ws: WordsState) -> Vec<LexWord> {
        if !self.buf.is_empty() {
            self.push_word(&mut ws);
        }
        ws.words
    }

    fn stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> Result<(String, Vec<LexWord>), String> {
        if self.depth >= MAX_DEPTH {
            return Err("variable substitutions nested too deeply".to_string());
        }
        self.depth += 1;
        let saved = self.raw_escapes;
        self.raw_escapes = raw_escapes;
        let r = self.stop_on_inner(stop);
        self.raw_escapes = saved;
        self.depth -= 1;
        r
    }

    fn stop_on_inner(&mut self, stop: Option<char>) -> Result<(String, Vec<LexWord>), String> {
        let mut result = String::new();
        self.buf.clear();
        self.buf_start = None;
        let mut ws = WordsState::default();
        while let Some(ch) = self.peek() {
            if result.len() > MAX_EXPANSION || self.buf.len() > MAX_EXPANSION {
                return Err(format!(
                    "expands to more than {MAX_EXPANSION} bytes (shutdownlint's limit)"
                ));
            }
            let tok_start = self.pos();
            if stop == Some(ch) {
                self.next();
                return Ok((result, self.get_words(ws)));
            }
            let special = matches!(ch, '$' | '<' | '\'' | '"');
            if special {
                let tmp = match ch {
                    '$' => self.dollar()?,
                    '<' => self.possible_heredoc(),
                    '\'' => self.single_quote()?,
                    _ => self.double_quote()?,
                };
                result.push_str(&tmp);
                let tok_end = self.pos();
                if ch == '$' {
                    for c in tmp.chars() {
                        self.add_char(&mut ws, c, tok_start, tok_end);
                    }
                } else {
                    self.add_raw_string(&mut ws, &tmp, tok_start, tok_end);
                }
            } else {
                self.next();
                let mut c = ch;
                if c == self.opts.escape {
                    if self.raw_escapes {
                        let end = self.pos();
                        self.add_raw_char(&mut ws, c, tok_start, end);
                        result.push(c);
                    }
                    match self.next() {
                        None => break,
                        Some(n) => {
                            c = n;
                            let end = self.pos();
                            self.add_raw_char(&mut ws, c, tok_start, end);
                        }
                    }
                } else {
                    let end = self.pos();
                    self.add_char(&mut ws, c, tok_start, end);
                }
                result.push(c);
            }
        }
        if let Some(s) = stop {
            return Err(format!(
                "unexpected end of statement while looking for matching {s}"
            ));
        }
        Ok((result, self.get_words(ws)))
    }

    fn single_quote(&mut self) -> Result<String, String> {
        let mut out = String::new();
        if let Some(q) = self.next() {
            if self.opts.raw_quotes {
                out.push(q);
            }
        }
        loop {
            match self.next() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .to_string(),
                    )
                }
                Some('\'') => {
                    if self.opts.raw_quotes {
                        out.push('\'');
                    }
                    return Ok(out);
                }
                Some(c) => out.push(c),
            }
        }
    }

    fn double_quote(&mut self) -> Result<String, String> {
        let mut out = String::new();
        if let Some(q) = self.next() {
            if self.opts.raw_quotes {
                out.push(q);
            }
        }
        loop {
            match self.peek() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .to_string(),
                    )
                }
                Some('"') => {
                    self.next();
                    if self.opts.raw_quotes {
                        out.push('"');
                    }
                    return Ok(out);
                }
                Some('$') => {
                    let v = self.dollar()?;
                    out.push_str(&v);
                }
                Some(_) => {
                    let Some(mut c) = self.next() else { continue };
                    if c == self.opts.escape {
                        if self.raw_escapes {
                            out.push(c);
                        }
                        match self.peek() {
                            None => continue,
                            Some(n) if n == '"' || n == '$' || n == self.opts.escape => {
                                self.next();
                                c = n;
                            }
                            Some(_) => {}
                        }
                    }
                    out.push(c);
                }
            }
        }
    }

    fn possible_heredoc(&mut self) -> String {
        self.next();
        if self.peek() != Some('<') {
            return "<".to_string();
        }
        self.next();
        let mut out = "<<".to_string();
        while let Some(c) = self.peek() {
            if !matches!(c, '\t' | '\r' | ' ') {
                break;
            }
            out.push(c);
            self.next();
        }
        out
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_numeric() {
                while let Some(d) = self.peek() {
                    if !d.is_numeric() {
                        break;
                    }
                    name.push(d);
                    self.next();
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                return ch.to_string();
            }
            if !ch.is_alphabetic() && !ch.is_numeric() && ch != '_' {
                break;
            }
            name.push(ch);
            self.next();
        }
        name
    }

    fn dollar(&mut self) -> Result<String, String> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".to_string());
            }
            return Ok(match self.lookup(&name) {
                Some(v) => v,
                None if self.opts.skip_unset => format!("${name}"),
                None => String::new(),
            });
        }
        self.next();
        match self.peek() {
            None => return Err("syntax error: missing '}'".to_string()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".to_string()),
            Some(_) => {}
        }
        let name = self.name();
        let ch = self.next();
        let mut chs = ch.unwrap_or('\u{FFFD}').to_string();
        match ch {
            Some('}') => Ok(match self.lookup(&name) {
                Some(v) => v,
                None if self.opts.skip_unset => format!("${{{name}}}"),
                None => String::new(),
            }),
            Some(':' | '+' | '-' | '?' | '#' | '%') => {
                let null_is_unset = ch == Some(':');
                let mut op = ch;
                if null_is_unset {
                    op = self.next();
                    chs.push(op.unwrap_or('\u{FFFD}'));
                }
                let raw = matches!(op, Some('#' | '%'));
                if null_is_unset && raw {
                    return Err(format!("unsupported modifier ({chs}) in substitution"));
                }
                let word = match self.stop_on(Some('}'), raw) {
                    Ok((w, _)) => w,
                    Err(e) => {
                        if self.peek().is_none() {
                            return Err("syntax error: missing '}'".to_string());
                        }
                        return Err(e);
                    }
                };
                let value = self.lookup(&name);
                if value.is_none() && self.opts.skip_unset {
                    return Ok(format!("${{{name}{chs}{word}}}"));
                }
                let set = value.is_some();
                let value = value.unwrap_or_default();
                let null = !set || (null_is_unset && value.is_empty());
                match op {
                    Some('-') => Ok(if null { word } else { value }),
                    Some('+') => Ok(if null { String::new() } else { word }),
                    Some('?') => {
                        if !set {
                            let m = if word.is_empty() {
                                "is not allowed to be unset".to_string()
                            } else {
                                word
                            };
                            return Err(format!("{name}: {m}"));
                        }
                        if null_is_unset && value.is_empty() {
                            let m = if word.is_empty() {
                                "is not allowed to be empty".to_string()
                            } else {
                                word
                            };
                            return Err(format!("{name}: {m}"));
                        }
                        Ok(value)
                    }
                    Some(c @ ('#' | '%')) => {
                        let mut pat: Vec<char> = word.chars().collect();
                        let greedy = pat.first() == Some(&c);
                        if greedy {
                            pat.remove(0);
                        }
                        let pat = compile_glob(&pat)?;
                        let v: Vec<char> = value.chars().collect();
                        let r = if c == '#' {
                            self.trim_prefix(&pat, &v, greedy)
                        } else {
                            self.trim_suffix(&pat, &v, greedy)
                        };
                        Ok(r.unwrap_or(value))
                    }
                    _ => Err(format!("unsupported modifier ({chs}) in substitution")),
                }
            }
            Some('/') => {
                let replace_all = self.peek() == Some('/');
                if replace_all {
                    self.next();
                }
                let pattern = match self.stop_on(Some('/'), true) {
                    Ok((w, _)) => w,
                    Err(e) => {
                        if self.peek().is_none() {
                            return Err("syntax error: missing '/' in ${}".to_string());
                        }
                        return Err(e);
                    }
                };
                let replacement = match self.stop_on(Some('}'), true) {
                    Ok((w, _)) => w,
                    Err(e) => {
                        if self.peek().is_none() {
                            return Err("syntax error: missing '}'".to_string());
                        }
                        return Err(e);
                    }
                };
                let Some(value) = self.lookup(&name) else {
                    if self.opts.skip_unset {
                        return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
                    }
                    return Ok(String::new());
                };
                let pat: Vec<char> = pattern.chars().collect();
                let pat = compile_glob(&pat)?;
                let v: Vec<char> = value.chars().collect();
                Ok(self
                    .replace(&pat, &v, &replacement, replace_all)
                    .unwrap_or(value))
            }
            _ => Err(format!("unsupported modifier ({chs}) in substitution")),
        }
    }

    /// Whether `pat` matches all of `text`; `None` when the step budget ran out.
    fn glob_full(&mut self, pat: &[Glob], text: &[char]) -> Option<bool> {
        // Classic iterative wildcard matching with single-star backtracking.
        let (mut p, mut t) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        loop {
            self.budget = self.budget.checked_sub(1)?;
            if t < text.len() {
                match pat.get(p) {
                    Some(Glob::Star) => {
                        star = Some((p, t));
                        p += 1;
                        continue;
                    }
                    Some(Glob::Any) => {
                        p += 1;
                        t += 1;
                        continue;
                    }
                    Some(Glob::Lit(c)) if text.get(t) == Some(c) => {
                        p += 1;
                        t += 1;
                        continue;
                    }
                    _ => {}
                }
                match star {
                    Some((sp, st)) => {
                        star = Some((sp, st + 1));
                        p = sp + 1;
                        t = st + 1;
                    }
                    None => return Some(false),
                }
            } else {
                return Some(pat.get(p..).unwrap_or(&[]).iter().all(|g| *g == Glob::Star));
            }
        }
    }

    fn trim_prefix(&mut self, pat: &[Glob], v: &[char], greedy: bool) -> Option<String> {
        let n = v.len();
        for k in 0..=n {
            let j = if greedy { n - k } else { k };
            if self.glob_full(pat, v.get(..j)?)? {
                return Some(v.get(j..)?.iter().collect());
            }
        }
        Some(v.iter().collect())
    }

    fn trim_suffix(&mut self, pat: &[Glob], v: &[char], greedy: bool) -> Option<String> {
        let n = v.len();
        for k in 0..=n {
            let j = if greedy { k } else { n - k };
            if self.glob_full(pat, v.get(j..)?)? {
                return Some(v.get(..j)?.iter().collect());
            }
        }
        Some(v.iter().collect())
    }

    /// Leftmost (greedy, longest) match of `pat` in `v` replaced by `rep`, once or everywhere.
    fn replace(&mut self, pat: &[Glob], v: &[char], rep: &str, all: bool) -> Option<String> {
        let mut out = String::new();
        let mut i = 0usize;
        let mut replaced = false;
        while i <= v.len() {
            let mut found = None;
            if !replaced || all {
                for j in (i..=v.len()).rev() {
                    if self.glob_full(pat, v.get(i..j)?)? {
                        found = Some(j);
                        break;
                    }
                }
            }
            match found {
                Some(j) => {
                    out.push_str(rep);
                    replaced = true;
                    if j > i {
                        i = j;
                    } else {
                        if let Some(c) = v.get(i) {
                            out.push(*c);
                        }
                        i += 1;
                    }
                }
                None => {
                    if let Some(c) = v.get(i) {
                        out.push(*c);
                    }
                    i += 1;
                }
            }
        }
        Some(out)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Glob {
    Lit(char),
    Any,
    Star,
}

/// BuildKit's `convertShellPatternToRegex`: `*`, `?`, and `\` escaping `*`, `?`, `\`
/// (and dropped before `}` and `/`).
fn compile_glob(pat: &[char]) -> Result<Vec<Glob>, String> {
    let mut out = Vec::with_capacity(pat.len());
    let mut i = 0;
    while let Some(&c) = pat.get(i) {
        i += 1;
        match c {
            '*' => out.push(Glob::Star),
            '?' => out.push(Glob::Any),
            '\\' => match pat.get(i) {
                Some('}' | '/') => {}
                Some(&n @ ('*' | '?' | '\\')) => {
                    out.push(Glob::Lit(n));
                    i += 1;
                }
                other => {
                    let shown: String = other.map(|c| c.to_string()).unwrap_or_default();
                    return Err(format!("invalid escape '\\{shown}' in pattern"));
                }
            },
            c => out.push(Glob::Lit(c)),
        }
    }
    Ok(out)
}
