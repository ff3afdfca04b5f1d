//! JavaScript and TypeScript migrations: knex, sequelize, typeorm, node-pg-migrate.
//!
//! A light tokenizer: `//` and `/* */` comments, `'...'`/`"..."` strings, template literals
//! (`${...}` fields are holes), regular expression literals where a value cannot stand
//! (scanned to the closing `/` on the line, classes respected; otherwise `/` is division).
//!
//! Only code inside the `up` function is reported (what `down` does is kept as evidence, see
//! [`super::Found::rollback`]): `exports.up = function (knex) {...}`,
//! `exports.up = async (knex) => ...` (block or expression body), `export async function
//! up(...)`, `export const up = ...`, `up: async (queryInterface, Sequelize) => {...}`,
//! `async up(queryInterface) {...}` and typeorm's `public async up(queryRunner: QueryRunner):
//! Promise<void> {...}`. A `down` nested in it, and everything else, does not.
//!
//! Calls:
//! * knex: `knex.schema.table('t', (table) => {...})` (also `alterTable`) binds `table` to
//!   `t`: `table.dropColumn('c')`, `table.dropColumns('a', 'b')`, `table.renameColumn('a',
//!   'b')`, `table.dropTimestamps()`, `table.dropNullable('c')`, and a column chain with
//!   `.notNullable()` (or `.nullable(false)`) and `.alter()` (unless `alter({ alterNullable:
//!   false })`); `knex.schema.dropTable('t')`, `dropTableIfExists`, `renameTable('a', 'b')`,
//!   `knex.raw('SQL')`, `knex.schema.raw('SQL')`.
//! * sequelize: `queryInterface.removeColumn('t', 'c')`, `renameColumn('t', 'a', 'b')`,
//!   `dropTable('t')`, `renameTable('a', 'b')`, `changeColumn('t', 'c', { allowNull: false })`
//!   (restates the column), `queryInterface.sequelize.query('SQL')`.
//! * typeorm: `queryRunner.query(\`SQL\`)`, `dropColumn('t', 'c')`, `dropColumns('t', [...])`,
//!   `dropTable('t')`, `renameColumn('t', 'a', 'b')`, `renameTable('a', 'b')`. Its
//!   `changeColumn` is not read for nullability: `TableColumn` is NOT NULL by default, so an
//!   explicit `isNullable: false` says nothing about a change.
//! * node-pg-migrate: `pgm.dropColumns('t', ['a'])`, `pgm.dropColumn`, `pgm.renameColumn`,
//!   `pgm.dropTable`, `pgm.renameTable`, `pgm.alterColumn('t', 'c', { notNull: true })`,
//!   `pgm.sql('SQL')`.
//!
//! `createTable('t', ...)` (and typeorm's `createTable(new Table({ name: 't' }))`) records the
//! table as created by the file.

use super::lex::{
    ident_end, is_ident_start, line_end, number_end, positional, punct_end, Interp, StrScan, Tok,
    Token, Tokens, MAX_ARG_TOKENS, NONE,
};
use super::{sql, underline, Found, Hit};
use crate::span::Span;

const OPS: &[&str] = &[
    "=>", "?.", "...", "===", "!==", "==", "!=", "<=", ">=", "&&", "||", "??", "**", "+=", "-=",
    "&&=", "||=", "??=", "++", "--",
];

/// At most this many function ranges are painted, and table bindings kept (budgets against
/// pathological input).
const MAX_RANGES: usize = 10_000;
const MAX_BINDINGS: usize = 10_000;

pub(super) fn scan(text: &str, found: &mut Found) {
    let tokens = Tokens::new(tokenize(text));
    let mut matcher = Matcher {
        src: text,
        t: &tokens,
        direction: vec![Direction::None; tokens.len()],
        bindings: Vec::new(),
    };
    matcher.paint();
    matcher.bind_tables(found);
    matcher.calls(found);
}

fn regex_allowed(prev: Option<&Token<'_>>) -> bool {
    match prev {
        None => true,
        Some(t) => match &t.tok {
            Tok::Newline => true,
            Tok::Punct => !matches!(t.text, ")" | "]" | "}" | "++" | "--"),
            Tok::Ident => matches!(
                t.text,
                "return"
                    | "typeof"
                    | "case"
                    | "do"
                    | "else"
                    | "in"
                    | "of"
                    | "new"
                    | "delete"
                    | "void"
                    | "throw"
                    | "yield"
                    | "await"
                    | "instanceof"
            ),
            _ => false,
        },
    }
}

/// The end of a regular expression literal starting at `i`, if it closes on its line.
fn regex_end(b: &[u8], i: usize) -> Option<usize> {
    let end = line_end(b, i);
    let mut j = i + 1;
    let mut in_class = false;
    while j < end {
        match b[j] {
            b'\\' => j += 1,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'/' if !in_class => {
                let mut e = j + 1;
                while e < b.len() && b[e].is_ascii_alphabetic() {
                    e += 1;
                }
                return Some(e);
            }
            _ => {}
        }
        j += 1;
    }
    None
}

fn tokenize(src: &str) -> Vec<Token<'_>> {
    let b = src.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    // A `/` before this offset starts no regular expression (not searched again).
    let mut no_regex_before = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                out.push(Token::new(Tok::Newline, src, i, i + 1));
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => i = line_end(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = src[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
            }
            b'/' if i >= no_regex_before && regex_allowed(out.last()) => match regex_end(b, i) {
                Some(end) => {
                    out.push(Token::new(Tok::Punct, src, i, end));
                    i = end;
                }
                None => {
                    no_regex_before = line_end(b, i);
                    out.push(Token::new(Tok::Punct, src, i, i + 1));
                    i += 1;
                }
            },
            b'\'' | b'"' | b'`' => {
                let scan = StrScan {
                    escapes: true,
                    escape_quote_only: false,
                    interp: if c == b'`' {
                        Interp::Dollar
                    } else {
                        Interp::None
                    },
                };
                let (text, end) = scan.scan(src, i + 1, &[c], c != b'`');
                out.push(Token::new(Tok::Str(Box::new(text)), src, i, end));
                i = end.max(i + 1);
            }
            c if c.is_ascii_digit() => {
                let end = number_end(b, i);
                out.push(Token::new(Tok::Num, src, i, end));
                i = end;
            }
            c if is_ident_start(c)
                || c == b'$'
                || (c == b'#' && b.get(i + 1).is_some_and(|&n| is_ident_start(n))) =>
            {
                let mut end = i + 1;
                while end < b.len() && (b[end] == b'$' || super::lex::is_ident_byte(b[end])) {
                    end = ident_end(b, end).max(end + usize::from(b[end] == b'$'));
                }
                out.push(Token::new(Tok::Ident, src, i, end));
                i = end;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    None,
    Up,
    Down,
}

/// `schema.table('t', (param) => { body })`.
struct Binding {
    body: (usize, usize),
    param: String,
    table: Option<String>,
}

struct Matcher<'a, 't> {
    src: &'a str,
    t: &'t Tokens<'a>,
    direction: Vec<Direction>,
    bindings: Vec<Binding>,
}

impl<'a> Matcher<'a, '_> {
    /// Mark the tokens of `up` and `down` function bodies.
    fn paint(&mut self) {
        let t = self.t;
        let mut ranges: Vec<(usize, usize, Direction)> = Vec::new();
        for i in 0..t.len() {
            let direction = match t.ident(i) {
                Some("up") => Direction::Up,
                Some("down") => Direction::Down,
                _ => continue,
            };
            if let Some((s, e)) = self.function_of(i) {
                ranges.push((s, e, direction));
                if ranges.len() >= MAX_RANGES {
                    break;
                }
            }
        }
        ranges.sort_by_key(|&(s, e, _)| (s, usize::MAX - e));
        let mut budget: usize = 50_000_000;
        for (s, e, direction) in ranges {
            let e = e.min(t.len());
            if s >= e || budget < e - s {
                continue;
            }
            budget -= e - s;
            for d in &mut self.direction[s..e] {
                *d = direction;
            }
        }
    }

    /// The body (token range) of the function that the name `up`/`down` at `i` defines.
    fn function_of(&self, i: usize) -> Option<(usize, usize)> {
        let t = self.t;
        let prev = t.prev_significant(i);
        let next = t.skip_newlines(i + 1);
        let prev_is = |p: &str| prev.is_some_and(|p_| t.is_punct(p_, p));
        if prev.is_some_and(|p| t.is_ident(p, "function")) {
            return self.after_name(i + 1);
        }
        if t.is_punct(next, ":") {
            if prev.is_none() || prev_is("{") || prev_is(",") {
                return self.value_body(next + 1);
            }
            // `export const up: Migration = async () => {...}`
            if prev.is_some_and(|p| matches!(t.ident(p), Some("const" | "let" | "var"))) {
                let mut k = next + 1;
                while k < t.len() && !t.is_punct(k, "=") && !t.is_punct(k, ";") {
                    k = if t.close[k] != NONE {
                        t.closing(k) + 1
                    } else {
                        k + 1
                    };
                }
                return t.is_punct(k, "=").then(|| self.value_body(k + 1)).flatten();
            }
            return None;
        }
        if t.is_punct(next, "=") {
            return self.value_body(next + 1);
        }
        if t.is_punct(next, "(") && !prev_is(".") && !prev_is("?.") {
            return self.after_name(next);
        }
        None
    }

    /// After a function's name: `(params) [: ReturnType] { body }`.
    fn after_name(&self, k: usize) -> Option<(usize, usize)> {
        let t = self.t;
        let k = t.skip_newlines(k);
        if !t.is_punct(k, "(") {
            return None;
        }
        self.block_after_signature(t.closing(k) + 1)
    }

    fn block_after_signature(&self, k: usize) -> Option<(usize, usize)> {
        let t = self.t;
        let mut k = t.skip_newlines(k);
        if t.is_punct(k, ":") {
            // A TypeScript return type: up to the body's `{`.
            k += 1;
            while k < t.len() && !t.is_punct(k, "{") && !t.is_punct(k, ";") {
                k += 1;
            }
        }
        t.is_punct(k, "{").then(|| (k, t.closing(k)))
    }

    /// A function value at `j`: `function (...) {}`, `async (...) => ...`, `x => ...`.
    fn value_body(&self, j: usize) -> Option<(usize, usize)> {
        let t = self.t;
        let mut j = t.skip_newlines(j);
        if t.is_ident(j, "async") {
            j = t.skip_newlines(j + 1);
        }
        if t.is_ident(j, "function") {
            let mut k = t.skip_newlines(j + 1);
            if t.is_punct(k, "*") {
                k += 1;
            }
            if t.ident(k).is_some() && !t.is_punct(k, "(") {
                k += 1;
            }
            return self.after_name(k);
        }
        let arrow = if t.is_punct(j, "(") {
            let mut k = t.skip_newlines(t.closing(j) + 1);
            if t.is_punct(k, ":") {
                while k < t.len() && !t.is_punct(k, "=>") && !t.is_punct(k, ";") {
                    k = if t.close[k] != NONE {
                        t.closing(k) + 1
                    } else {
                        k + 1
                    };
                }
            }
            k
        } else if t.ident(j).is_some() {
            t.skip_newlines(j + 1)
        } else {
            return None;
        };
        if !t.is_punct(arrow, "=>") {
            return None;
        }
        self.arrow_body(arrow + 1)
    }

    fn arrow_body(&self, k: usize) -> Option<(usize, usize)> {
        let t = self.t;
        let k = t.skip_newlines(k);
        if t.is_punct(k, "{") {
            return Some((k, t.closing(k)));
        }
        Some((k, self.expression_end(k)))
    }

    /// The end of an expression starting at `k` (an arrow function's expression body).
    fn expression_end(&self, k: usize) -> usize {
        let t = self.t;
        let mut m = k;
        let limit = t.len().min(k.saturating_add(MAX_ARG_TOKENS * 16));
        while m < limit {
            if t.close[m] != NONE {
                m = t.closing(m) + 1;
                continue;
            }
            match &t.v[m].tok {
                Tok::Punct if matches!(t.text(m), "," | ";" | ")" | "]" | "}") => break,
                Tok::Newline => {
                    let n = t.skip_newlines(m);
                    let continues = t.v.get(n).is_some_and(|x| {
                        matches!(x.tok, Tok::Punct)
                            && matches!(x.text, "." | "?." | "+" | "&&" | "||" | "??" | "?" | ":")
                    });
                    if !continues {
                        break;
                    }
                    m = n;
                }
                _ => m += 1,
            }
        }
        m
    }

    /// The parameter and body of a callback at tokens `s..e`.
    fn callback(&self, s: usize, e: usize) -> Option<(String, (usize, usize))> {
        let t = self.t;
        let mut j = t.skip_newlines(s);
        if t.is_ident(j, "async") {
            j = t.skip_newlines(j + 1);
        }
        let param_at = if t.is_ident(j, "function") {
            let mut k = t.skip_newlines(j + 1);
            if t.ident(k).is_some() {
                k += 1;
            }
            Some(k)
        } else if t.is_punct(j, "(") {
            Some(j)
        } else {
            None
        };
        let (param, body) = match param_at {
            Some(open) if t.is_punct(open, "(") => {
                let close = t.closing(open);
                let param = t
                    .ident(t.skip_newlines(open + 1))
                    .filter(|_| close > open + 1)
                    .unwrap_or("this")
                    .to_string();
                let body = if t.is_ident(j, "function") {
                    self.block_after_signature(close + 1)
                } else {
                    self.value_body(j)
                };
                (param, body?)
            }
            Some(_) => return None,
            None => {
                let param = t.ident(j)?.to_string();
                (param, self.value_body(j)?)
            }
        };
        (body.0 < e.max(body.0 + 1)).then_some((param, body))
    }

    /// knex `schema.table('t', (table) => {...})`: bind `table` to `t` in the body; record
    /// created tables.
    fn bind_tables(&mut self, found: &mut Found) {
        let t = self.t;
        for i in 0..t.len() {
            let Some(method) = t.ident(i) else {
                continue;
            };
            if !matches!(
                method,
                "table" | "alterTable" | "editTable" | "createTable" | "createTableIfNotExists"
            ) || !self.is_method_call(i)
            {
                continue;
            }
            let close = t.closing(i + 1);
            let args = t.args(i + 2, close, |_, _| None);
            let table = positional(&args, 0).and_then(|a| t.literal(a.start, a.end));
            let created = method.starts_with("create");
            if created && self.direction[i] == Direction::Up {
                let name = table.clone().or_else(|| {
                    positional(&args, 0).and_then(|a| self.object_string(a.start, a.end, "name"))
                });
                if let Some(name) = name {
                    found.created(name);
                }
            }
            if created {
                continue;
            }
            let Some(callback) = positional(&args, 1) else {
                continue;
            };
            if let Some((param, body)) = self.callback(callback.start, callback.end) {
                if self.bindings.len() < MAX_BINDINGS {
                    self.bindings.push(Binding { body, param, table });
                }
            }
        }
    }

    /// `x.name(` or `x?.name(` at `i`.
    fn is_method_call(&self, i: usize) -> bool {
        let t = self.t;
        i > 0 && (t.is_punct(i - 1, ".") || t.is_punct(i - 1, "?.")) && t.is_punct(i + 1, "(")
    }

    /// The string value of `key: '...'` anywhere in tokens `s..e` (`new Table({ name: 'x' })`).
    fn object_string(&self, s: usize, e: usize, key: &str) -> Option<String> {
        let t = self.t;
        (s..e.min(t.len())).find_map(|k| {
            let is_key = t.is_ident(k, key) || t.string(k).is_some_and(|text| text.as_str() == key);
            (is_key && t.is_punct(k + 1, ":"))
                .then(|| t.literal(k + 2, k + 3))
                .flatten()
        })
    }

    /// Whether `key: value` (an identifier such as `false`) appears in tokens `s..e`.
    fn object_has(&self, s: usize, e: usize, key: &str, value: &str) -> bool {
        let t = self.t;
        (s..e.min(t.len())).any(|k| {
            let is_key = t.is_ident(k, key) || t.string(k).is_some_and(|text| text.as_str() == key);
            is_key && t.is_punct(k + 1, ":") && t.is_ident(t.skip_newlines(k + 2), value)
        })
    }

    fn binding_for(&self, receiver: &str, i: usize) -> Option<&Binding> {
        self.bindings
            .iter()
            .filter(|b| b.param == receiver && b.body.0 < i && i < b.body.1)
            .min_by_key(|b| b.body.1 - b.body.0)
    }

    /// Calls in `up` are reported; calls in `down` are kept as rollback evidence.
    fn calls(&self, found: &mut Found) {
        let t = self.t;
        let mut rollback = Found::default();
        for i in 0..t.len() {
            let target = match self.direction[i] {
                Direction::Up => &mut *found,
                Direction::Down => &mut rollback,
                Direction::None => continue,
            };
            if !self.is_method_call(i) {
                continue;
            }
            let method = t.text(i);
            let close = t.closing(i + 1);
            let args = t.args(i + 2, close, |_, _| None);
            let receiver_at = i.checked_sub(2).filter(|&r| t.ident(r).is_some());
            let receiver = receiver_at.and_then(|r| t.ident(r)).unwrap_or("");
            let first = receiver_at.map_or(t.span(i), |r| t.span(r));
            let span = underline(self.src, first.join(t.span(i)), t.span(close));
            let lit = |n: usize| positional(&args, n).and_then(|a| t.literal(a.start, a.end));
            let list = |n: usize| {
                positional(&args, n)
                    .and_then(|a| t.literal_list(a.start, a.end))
                    .unwrap_or_default()
            };
            if let Some(binding) = self.binding_for(receiver, i) {
                let table = binding.table.clone();
                let hit = match method {
                    "dropColumn" | "dropColumns" => {
                        let columns: Vec<String> = args
                            .iter()
                            .flat_map(|a| t.literal_list(a.start, a.end).unwrap_or_default())
                            .collect();
                        Some(Hit::drop_columns(span, table, columns))
                    }
                    "renameColumn" => Some(Hit::rename_column(span, table, lit(0), lit(1))),
                    "dropTimestamps" => Some(Hit::drop_columns(
                        span,
                        table,
                        vec!["created_at".into(), "updated_at".into()],
                    )),
                    "dropNullable" => Some(Hit::not_null(span, table, lit(0))),
                    _ => self.not_null_chain(i, close, first, table),
                };
                if let Some(hit) = hit {
                    target.push(hit);
                }
                continue;
            }
            let hit = match method {
                "dropColumn" | "removeColumn" | "dropColumns" if args.len() >= 2 => {
                    let columns = if method == "dropColumns" && args.len() > 2 {
                        (1..args.len()).filter_map(lit).collect()
                    } else {
                        list(1)
                    };
                    Some(Hit::drop_columns(span, lit(0), columns))
                }
                "dropColumn" | "dropColumns" if args.len() == 1 => {
                    Some(Hit::drop_columns(span, None, list(0)))
                }
                "renameColumn" if args.len() >= 3 => {
                    Some(Hit::rename_column(span, lit(0), lit(1), lit(2)))
                }
                "renameColumn" if args.len() == 2 => {
                    Some(Hit::rename_column(span, None, lit(0), lit(1)))
                }
                "dropTable" | "dropTableIfExists" if !args.is_empty() => {
                    let name = lit(0).or_else(|| {
                        positional(&args, 0)
                            .and_then(|a| self.object_string(a.start, a.end, "name"))
                    });
                    Some(Hit::drop_tables(span, name.into_iter().collect()))
                }
                "renameTable" if args.len() >= 2 => Some(Hit::rename_table(span, lit(0), lit(1))),
                "changeColumn" if args.len() >= 3 => {
                    let spec = &args[2];
                    self.object_has(spec.start, spec.end, "allowNull", "false")
                        .then(|| Hit::not_null(span, lit(0), lit(1)).restated())
                }
                "alterColumn" if args.len() >= 3 => {
                    let spec = &args[2];
                    self.object_has(spec.start, spec.end, "notNull", "true")
                        .then(|| Hit::not_null(span, lit(0), lit(1)))
                }
                "query" | "raw" | "sql" | "execute" | "runSql" => {
                    if let Some(a) = positional(&args, 0) {
                        if let Some(text) = t.string_expr(a.start, a.end) {
                            sql::scan_embedded(&text, target);
                        }
                    }
                    None
                }
                _ => None,
            };
            if let Some(hit) = hit {
                target.push(hit);
            }
        }
        found.add_rollback(rollback);
    }

    /// `table.string('c').notNullable().alter()`: the chain after the call at `i` (closing
    /// paren `close`) makes column `c` NOT NULL.
    fn not_null_chain(
        &self,
        i: usize,
        close: usize,
        first: Span,
        table: Option<String>,
    ) -> Option<Hit> {
        let t = self.t;
        let column = t.args(i + 2, close, |_, _| None);
        let column = positional(&column, 0).and_then(|a| t.literal(a.start, a.end));
        let mut not_null = false;
        let mut alter = false;
        let mut end = close;
        let mut k = t.skip_newlines(close + 1);
        while (t.is_punct(k, ".") || t.is_punct(k, "?.")) && t.is_punct(k + 2, "(") {
            let name = t.ident(k + 1)?;
            let call_close = t.closing(k + 2);
            let args = t.args(k + 3, call_close, |_, _| None);
            match name {
                "notNullable" | "notNull" => not_null = true,
                "nullable" => {
                    not_null = positional(&args, 0)
                        .is_some_and(|a| a.end == a.start + 1 && t.is_ident(a.start, "false"));
                }
                "alter" => {
                    let keeps_null = args
                        .iter()
                        .any(|a| self.object_has(a.start, a.end, "alterNullable", "false"));
                    alter = !keeps_null;
                }
                _ => {}
            }
            end = call_close;
            k = t.skip_newlines(call_close + 1);
        }
        let callee = first.join(t.span(i));
        (not_null && alter)
            .then(|| Hit::not_null(underline(self.src, callee, t.span(end)), table, column))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{find, DestructiveKind as K};

    fn js(path: &str, text: &str) -> Vec<(K, String, String)> {
        find(path, text)
            .into_iter()
            .map(|d| (d.kind, d.span.slice(text).to_string(), d.description))
            .collect()
    }

    fn knex(text: &str) -> Vec<(K, String, String)> {
        js("migrations/20240101_x.js", text)
    }

    #[test]
    fn knex_up_counts_down_does_not() {
        let text = "\
exports.up = function (knex) {
  return knex.schema.table('users', function (table) {
    table.dropColumn('email');
    table.string('nickname');
    table.renameColumn('name', 'full_name');
    table.dropForeign('org_id');
    table.dropIndex(['email']);
  });
};

exports.down = function (knex) {
  return knex.schema.table('users', (table) => {
    table.dropColumn('nickname');
  });
};
";
        assert_eq!(
            knex(text),
            vec![
                (
                    K::DropColumn,
                    "table.dropColumn('email')".to_string(),
                    "drops column `email` of table `users`".to_string()
                ),
                (
                    K::RenameColumn,
                    "table.renameColumn('name', 'full_name')".to_string(),
                    "renames column `name` of table `users` to `full_name`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn knex_arrow_expression_bodies_and_schema_calls() {
        let text = "\
exports.up = (knex) =>
  knex.schema
    .dropTableIfExists('sessions')
    .renameTable('orders', 'purchases')
    .alterTable('users', (t) => {
      t.dropColumns('fax', 'pager');
      t.string('email').notNullable().alter();
      t.string('name').notNullable().alter({ alterNullable: false });
      t.dropTimestamps();
    });

exports.down = (knex) => knex.schema.dropTable('users');
";
        assert_eq!(
            knex(text).into_iter().collect::<Vec<_>>(),
            vec![
                (
                    K::DropTable,
                    ".dropTableIfExists('sessions')"
                        .trim_start_matches('.')
                        .to_string(),
                    "drops table `sessions`".to_string()
                ),
                (
                    K::RenameTable,
                    "renameTable('orders', 'purchases')".to_string(),
                    "renames table `orders` to `purchases`".to_string()
                ),
                (
                    K::DropColumn,
                    "t.dropColumns('fax', 'pager')".to_string(),
                    "drops columns `fax` and `pager` of table `users`".to_string()
                ),
                (
                    K::SetNotNull,
                    "t.string('email').notNullable().alter()".to_string(),
                    "makes column `email` of table `users` NOT NULL".to_string()
                ),
                (
                    K::DropColumn,
                    "t.dropTimestamps()".to_string(),
                    "drops columns `created_at` and `updated_at` of table `users`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn sequelize() {
        let text = "\
'use strict';
/** @type {import('sequelize-cli').Migration} */
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.removeColumn('Users', 'email');
    await queryInterface.changeColumn('Users', 'name', {
      type: Sequelize.STRING,
      allowNull: false,
    });
    await queryInterface.addColumn('Users', 'nickname', { type: Sequelize.STRING });
    await queryInterface.sequelize.query('ALTER TABLE \"Users\" RENAME COLUMN a TO b');
  },
  async down(queryInterface, Sequelize) {
    await queryInterface.dropTable('Users');
  },
};
";
        assert_eq!(
            js("migrations/20240101-x.js", text)
                .into_iter()
                .collect::<Vec<_>>(),
            vec![
                (
                    K::DropColumn,
                    "queryInterface.removeColumn('Users', 'email')".to_string(),
                    "drops column `email` of table `Users`".to_string()
                ),
                (
                    K::SetNotNull,
                    "queryInterface.changeColumn".to_string(),
                    "redefines column `name` of table `Users` as NOT NULL".to_string()
                ),
                (
                    K::RenameColumn,
                    "RENAME COLUMN a TO b".to_string(),
                    "renames column `a` of table `Users` to `b`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn sequelize_restated_not_null_with_the_same_rollback() {
        // Widening a column that was NOT NULL: `down` restores it, NOT NULL as well.
        let text = "\
module.exports = {
  async up(queryInterface, Sequelize) {
    await queryInterface.changeColumn('webhooks', 'url', { type: Sequelize.STRING(1024), allowNull: false });
    await queryInterface.changeColumn('teams', 'name', { type: Sequelize.STRING, allowNull: false });
  },
  async down(queryInterface, Sequelize) {
    await queryInterface.changeColumn('webhooks', 'url', { type: Sequelize.STRING(255), allowNull: false });
    await queryInterface.changeColumn('teams', 'name', { type: Sequelize.STRING, allowNull: true });
  },
};
";
        assert_eq!(
            js("migrations/20240101-x.js", text),
            vec![(
                K::SetNotNull,
                "queryInterface.changeColumn('teams', 'name', { type: Sequelize.STRING, allowNull: false })".to_string(),
                "redefines column `name` of table `teams` as NOT NULL".to_string()
            )]
        );
    }

    #[test]
    fn typeorm() {
        let text = "\
import { MigrationInterface, QueryRunner, TableColumn } from \"typeorm\";

export class DropEmail1700000000000 implements MigrationInterface {
    name = 'DropEmail1700000000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \"user\" DROP COLUMN \"email\"`);
        await queryRunner.query(`-- ALTER TABLE \"user\" DROP COLUMN \"x\"
            UPDATE \"user\" SET \"name\" = 'DROP TABLE user'`);
        await queryRunner.dropColumn(\"user\", \"phone\");
        await queryRunner.changeColumn(\"user\", \"bio\", new TableColumn({ name: \"bio\", type: \"text\", isNullable: false }));
        await queryRunner.query(`ALTER TABLE \"${table}\" DROP COLUMN \"fax\"`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE \"user\" ADD \"email\" character varying`);
        await queryRunner.dropTable(\"user\");
    }
}
";
        assert_eq!(
            js("src/migrations/1700000000000-DropEmail.ts", text)
                .into_iter()
                .collect::<Vec<_>>(),
            vec![
                (
                    K::DropColumn,
                    "DROP COLUMN \"email\"".to_string(),
                    "drops column `email` of table `user`".to_string()
                ),
                (
                    K::DropColumn,
                    "queryRunner.dropColumn(\"user\", \"phone\")".to_string(),
                    "drops column `phone` of table `user`".to_string()
                ),
                (
                    K::DropColumn,
                    "DROP COLUMN \"fax\"".to_string(),
                    "drops column `fax`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn node_pg_migrate_and_esm() {
        let text = "\
/* eslint-disable camelcase */
export const shorthands = undefined;

export async function up(pgm) {
  pgm.dropColumns('users', ['fax', 'pager']);
  pgm.alterColumn('users', 'email', { notNull: true });
  pgm.alterColumn('users', 'bio', { notNull: false });
  pgm.sql(\"ALTER TABLE users DROP COLUMN x\");
}

export const down = (pgm) => {
  pgm.dropTable('users');
};
";
        assert_eq!(
            js("migrations/1700000000000_x.mjs", text)
                .into_iter()
                .map(|(_, s, d)| (s, d))
                .collect::<Vec<_>>(),
            vec![
                (
                    "pgm.dropColumns('users', ['fax', 'pager'])".to_string(),
                    "drops columns `fax` and `pager` of table `users`".to_string()
                ),
                (
                    "pgm.alterColumn('users', 'email', { notNull: true })".to_string(),
                    "makes column `email` of table `users` NOT NULL".to_string()
                ),
                (
                    "DROP COLUMN x".to_string(),
                    "drops column `x` of table `users`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn comments_strings_regexes_and_other_functions() {
        let text = "\
// exports.up = (knex) => knex.schema.dropTable('users')
/* knex.schema.dropTable('users') */
const re = /dropTable\\('users'\\)/g;
function helper(knex) { return knex.schema.dropTable('users'); }
exports.up = async (knex) => {
  const s = 'knex.schema.dropTable(\"users\")';
  const x = a / b / c;
  await knex.schema.createTable('tmp', (t) => { t.increments(); });
  await knex.schema.table('tmp', (t) => t.dropColumn('id'));
  await knex.schema.dropTable('tmp');
  await knex.schema.table('users', (t) => { t.string('nick').nullable().alter(); });
};
";
        assert_eq!(knex(text), vec![]);
    }

    #[test]
    fn typescript_umzug_style() {
        let text = "\
import type { Migration } from '../umzug';

export const up: Migration = async ({ context: queryInterface }) => {
  await queryInterface.renameTable('people', 'persons');
};
export const down: Migration = async ({ context: queryInterface }) => {
  await queryInterface.renameTable('persons', 'people');
};
";
        assert_eq!(
            js("migrations/2024.01.01T00.00.00.x.ts", text)
                .into_iter()
                .map(|(_, _, d)| d)
                .collect::<Vec<_>>(),
            vec!["renames table `people` to `persons`"]
        );
    }

    #[test]
    fn broken_js_does_not_panic() {
        for text in [
            "exports.up = function (knex) { knex.schema.dropTable('users'",
            "exports.up = (knex) => knex.schema.table('u', (t) => { t.dropColumn(",
            "exports.up = `${",
            "exports.up = async",
            "up(",
            "up: ",
            "export const up: = ",
            "/* never closed",
            "exports.up = (k) => k.raw(`ALTER TABLE x DROP COLUMN ${",
            "#",
        ] {
            let _ = knex(text);
        }
        assert_eq!(
            knex("exports.up = function (knex) { knex.schema.dropTable('users'")[0].1,
            "knex.schema.dropTable('users'".trim_start_matches("knex.")
        );
    }
}
