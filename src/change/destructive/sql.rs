//! SQL migrations: a tokenizer for the lexical structure PostgreSQL, MySQL, SQLite, SQL Server
//! and Oracle scripts share, and a matcher over the tokens of each statement.
//!
//! Tokenizer:
//! * `--` comments, and `#` comments where a line starts with `#` (MySQL; elsewhere `#` is an
//!   operator), `/* */` comments, nested as in PostgreSQL (MySQL's `/*! ... */` versioned
//!   comments are comments too).
//! * `'...'` strings with `''`; `E'...'` strings with backslash escapes; plain strings take
//!   backslash escapes too when the text looks like MySQL (backticks, `ENGINE=`,
//!   `AUTO_INCREMENT`), as MySQL reads them by default.
//! * Dollar-quoted strings `$$...$$`, `$tag$...$tag$` (a `$` in a word is part of the word).
//! * Quoted identifiers `"..."` (`""`), `` `...` `` (` `` `), and `[...]` (SQL Server; only
//!   when the `]` is on the same line, else `[` is an array bracket).
//! * Statements end at `;` outside all of these; at a MySQL `DELIMITER x` line the delimiter
//!   becomes `x`; a line holding only `GO` (SQL Server) or `/` (Oracle) ends one too.
//!
//! Sections: in a file, `-- +goose Down` (case-insensitive) and `-- migrate:down` start
//! statements that only run on rollback, up to the next `-- +goose Up` / `-- migrate:up`:
//! they are never reported, only kept as evidence (a rollback that makes a column NOT NULL
//! shows it was NOT NULL before). Liquibase's `--rollback` lines and `/* liquibase rollback */` blocks are
//! comments, so they are skipped anyway.
//!
//! Statements, keywords case-insensitive, names unquoted in descriptions:
//! * `ALTER [ONLINE] [IGNORE] TABLE [IF EXISTS] [ONLY] t [*] action, action, ...` with actions
//!   `DROP [COLUMN] [IF EXISTS] c` (also SQL Server's `DROP COLUMN a, b` and Oracle's
//!   `DROP (a, b)`; `DROP CONSTRAINT|INDEX|KEY|PRIMARY KEY|FOREIGN KEY|CHECK|DEFAULT|...` are
//!   not column drops), `RENAME [COLUMN] a TO b`, `RENAME TO|AS u`,
//!   `ALTER [COLUMN] c SET NOT NULL` (`DROP NOT NULL`, `SET DEFAULT`, `TYPE` are not),
//!   SQL Server's `ALTER COLUMN c type NOT NULL`, `MODIFY [COLUMN] c ... NOT NULL` (MySQL
//!   restates the column; Oracle's `MODIFY c NOT NULL`, `MODIFY (c NOT NULL)` sets it), MySQL
//!   `CHANGE [COLUMN] old new ...` (a rename when the names differ, else like `MODIFY`).
//! * `DROP TABLE [IF EXISTS] a, b` (`DROP TEMPORARY TABLE` is not reported).
//! * MySQL `RENAME TABLE a TO b, c TO d`.
//! * SQL Server `EXEC sp_rename 'table.column', 'new', 'COLUMN'`.
//! * `CREATE [...] TABLE t` records `t` as created by the file (see [`super::Found::finish`]).
//! * The body of a PostgreSQL `DO` block runs at once: its statements are matched too, also
//!   where they follow `BEGIN`, `THEN`, `ELSE` or `LOOP`.
//! * The bodies of `CREATE PROCEDURE|FUNCTION|TRIGGER|EVENT|PACKAGE` do not run when the
//!   migration runs: when such a body is not quoted (MySQL under goose `StatementBegin`,
//!   `BEGIN ... END` blocks split at `;`), statements are skipped until its `BEGIN`/`END`
//!   nesting closes.
//!
//! Not read: dynamic SQL (`EXECUTE 'ALTER ...'`, `EXECUTE IMMEDIATE`), T-SQL `IF ... DROP
//! TABLE`, `ADD COLUMN ... NOT NULL` without a default (breaks old code's inserts, but is not
//! in the catalog, and PostgreSQL rejects it on a non-empty table anyway).

use super::lex::HOLE;
use super::{Found, Hit};
use crate::span::{MappedText, Span};

/// Tokens kept per statement; the patterns only need a statement's beginning and its action
/// list, so a giant `INSERT` does not cost memory.
const MAX_STATEMENT_TOKENS: usize = 100_000;

/// Nesting of `DO` bodies that are matched (a `DO` inside a `DO` body is not read).
const MAX_DO_DEPTH: usize = 1;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum K {
    /// A bare word: keyword or unquoted identifier.
    Word,
    /// A quoted identifier: `"x"`, `` `x` ``, `[x]`.
    Quoted,
    Str,
    /// A dollar-quoted string `$tag$...$tag$`.
    Dollar,
    Num,
    Punct,
    LineComment,
    BlockComment,
    /// The end of a statement (`;`, a custom delimiter, `GO`).
    End,
}

#[derive(Clone, Copy, Debug)]
struct T {
    k: K,
    span: Span,
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    limit: usize,
    backslash_strings: bool,
    delimiter: Option<&'a str>,
    line_start: bool,
    /// A `[` before this offset has no `]` on its line (a failed search is not repeated).
    no_bracket_before: usize,
}

/// Word bytes; an interpolation hole is part of a word (`users_#{suffix}` is one name, unknown).
fn is_word_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 || c == HOLE as u8
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80 || c == HOLE as u8
}

/// Whether `text` looks like MySQL, which reads backslash escapes in plain strings.
fn looks_like_mysql(text: &str) -> bool {
    if text.contains('`') {
        return true;
    }
    let upper = text.to_ascii_uppercase();
    upper.contains("AUTO_INCREMENT") || upper.contains("ENGINE=") || upper.contains("ENGINE =")
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str, range: Span) -> Lexer<'a> {
        let limit = range.end.min(src.len());
        Lexer {
            src,
            b: src.as_bytes(),
            pos: range.start.min(limit),
            limit,
            backslash_strings: looks_like_mysql(range.slice(src)),
            delimiter: None,
            line_start: true,
            no_bracket_before: 0,
        }
    }

    /// The end of the line holding `i` (its `\n`, or the limit).
    fn line_end(&self, i: usize) -> usize {
        self.b[i..self.limit]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(self.limit, |p| i + p)
    }

    fn rest_of_line_blank(&self, i: usize) -> bool {
        let end = self.line_end(i);
        self.b[i..end].iter().all(|c| c.is_ascii_whitespace())
    }

    /// The end of a quoted token whose body starts at `i`, closed by `q` (doubled `q` is an
    /// escaped `q`; with `backslash`, `\` escapes the next byte).
    fn quoted_end(&self, mut i: usize, q: u8, backslash: bool) -> usize {
        while i < self.limit {
            let c = self.b[i];
            if c == q {
                if self.b.get(i + 1) == Some(&q) && i + 1 < self.limit {
                    i += 2;
                    continue;
                }
                return i + 1;
            }
            if backslash && c == b'\\' {
                i += 2;
                continue;
            }
            i += 1;
        }
        self.limit
    }

    fn block_comment_end(&self, mut i: usize) -> usize {
        let mut depth = 0usize;
        while i + 1 < self.limit {
            match (self.b[i], self.b[i + 1]) {
                (b'/', b'*') => {
                    depth += 1;
                    i += 2;
                }
                (b'*', b'/') => {
                    depth = depth.saturating_sub(1);
                    i += 2;
                    if depth == 0 {
                        return i;
                    }
                }
                _ => i += 1,
            }
        }
        self.limit
    }

    /// A dollar quote starting at `start` (`$$` or `$tag$`): its end.
    fn dollar_end(&self, start: usize) -> Option<usize> {
        let mut i = start + 1;
        if self.b.get(i) != Some(&b'$') {
            if !self.b.get(i).is_some_and(|&c| is_word_start(c)) {
                return None;
            }
            while i < self.limit
                && (self.b[i].is_ascii_alphanumeric() || self.b[i] == b'_' || self.b[i] >= 0x80)
            {
                i += 1;
            }
            if self.b.get(i) != Some(&b'$') || i >= self.limit {
                return None;
            }
        }
        let tag = &self.src[start..=i];
        let body = i + 1;
        Some(
            self.src[body.min(self.limit)..self.limit]
                .find(tag)
                .map_or(self.limit, |p| body + p + tag.len()),
        )
    }

    /// A `[name]` on one line: its end.
    fn bracket_end(&mut self, start: usize) -> Option<usize> {
        if start < self.no_bracket_before {
            return None;
        }
        let mut i = start + 1;
        while i < self.limit {
            match self.b[i] {
                b']' if self.b.get(i + 1) == Some(&b']') => i += 2,
                b']' => return (i > start + 1).then_some(i + 1),
                b'\n' | b';' => break,
                _ => i += 1,
            }
        }
        self.no_bracket_before = i;
        None
    }

    fn next(&mut self) -> Option<T> {
        while self.pos < self.limit && self.b[self.pos].is_ascii_whitespace() {
            if self.b[self.pos] == b'\n' {
                self.line_start = true;
            }
            self.pos += 1;
        }
        if self.pos >= self.limit {
            return None;
        }
        let start = self.pos;
        let at_line_start = std::mem::replace(&mut self.line_start, false);
        if let Some(d) = self.delimiter {
            if self.b[start..self.limit].starts_with(d.as_bytes()) {
                self.pos = start + d.len();
                return Some(T {
                    k: K::End,
                    span: Span::new(start, self.pos),
                });
            }
        }
        let b = self.b;
        let c = b[start];
        let next = b.get(start + 1).copied().filter(|_| start + 1 < self.limit);
        let (k, end) = match c {
            b'-' if next == Some(b'-') => (K::LineComment, self.line_end(start)),
            b'#' if at_line_start => (K::LineComment, self.line_end(start)),
            b'/' if next == Some(b'*') => (K::BlockComment, self.block_comment_end(start)),
            b'/' if at_line_start && self.rest_of_line_blank(start + 1) => (K::End, start + 1),
            b'\'' => (
                K::Str,
                self.quoted_end(start + 1, b'\'', self.backslash_strings),
            ),
            b'E' | b'e' if next == Some(b'\'') => (K::Str, self.quoted_end(start + 2, b'\'', true)),
            b'"' => (K::Quoted, self.quoted_end(start + 1, b'"', false)),
            b'`' => (K::Quoted, self.quoted_end(start + 1, b'`', false)),
            b'[' => match self.bracket_end(start) {
                Some(end) => (K::Quoted, end),
                None => (K::Punct, start + 1),
            },
            b'$' => match self.dollar_end(start) {
                Some(end) => (K::Dollar, end),
                None => (K::Punct, start + 1),
            },
            b';' if self.delimiter.is_none() => (K::End, start + 1),
            c if c.is_ascii_digit() => {
                let mut i = start;
                while i < self.limit
                    && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'_')
                {
                    i += 1;
                }
                (K::Num, i)
            }
            c if is_word_start(c) => {
                let mut i = start;
                while i < self.limit && is_word_byte(b[i]) {
                    // `END$$` under `DELIMITER $$`: the word stops at the delimiter.
                    if self
                        .delimiter
                        .is_some_and(|d| b[i..self.limit].starts_with(d.as_bytes()))
                    {
                        break;
                    }
                    i += 1;
                }
                let word = &self.src[start..i];
                if at_line_start && word.eq_ignore_ascii_case("DELIMITER") {
                    if let Some(end) = self.delimiter_command(i) {
                        (K::End, end)
                    } else {
                        (K::Word, i)
                    }
                } else if at_line_start
                    && word.eq_ignore_ascii_case("GO")
                    && self.rest_of_line_blank(i)
                {
                    (K::End, i)
                } else {
                    (K::Word, i)
                }
            }
            _ => {
                let len = self.src[start..].chars().next().map_or(1, char::len_utf8);
                (K::Punct, start + len)
            }
        };
        self.pos = end.clamp(start + 1, self.limit);
        Some(T {
            k,
            span: Span::new(start, self.pos),
        })
    }

    /// `DELIMITER x` (MySQL client command) after the word ending at `i`: sets the delimiter
    /// and returns the end of the line.
    fn delimiter_command(&mut self, i: usize) -> Option<usize> {
        let end = self.line_end(i);
        let rest = &self.src[i..end];
        if !rest.starts_with([' ', '\t']) {
            return None;
        }
        let delimiter = rest.split_whitespace().next()?;
        self.delimiter = if delimiter == ";" {
            None
        } else {
            // `delimiter` borrows `self.src` through `rest`: re-slice it with the right life.
            let at = i + rest.find(delimiter)?;
            Some(&self.src[at..at + delimiter.len()])
        };
        Some(end)
    }
}

/// What an annotation comment does to the statement stream.
enum Annotation {
    Up,
    Down,
    /// A statement boundary (Goose `StatementBegin/End`, a Liquibase `--changeset`).
    Boundary,
}

fn annotation(comment: &str) -> Option<Annotation> {
    let body = comment.strip_prefix("--")?.trim().to_ascii_lowercase();
    if let Some(rest) = body.strip_prefix("+goose") {
        return match rest.split_whitespace().next() {
            Some("up") => Some(Annotation::Up),
            Some("down") => Some(Annotation::Down),
            Some(_) => Some(Annotation::Boundary),
            None => None,
        };
    }
    if let Some(rest) = body.strip_prefix("migrate:") {
        return match rest.split_whitespace().next() {
            Some("up") => Some(Annotation::Up),
            Some("down") => Some(Annotation::Down),
            _ => None,
        };
    }
    if body.starts_with("changeset ") {
        return Some(Annotation::Boundary);
    }
    None
}

/// A whole `.sql` migration file (annotations honoured).
pub(super) fn scan_file(text: &str, found: &mut Found) {
    scan(text, Span::new(0, text.len()), found, true, 0);
}

/// SQL held in a string literal of another language (`execute "..."`): spans are mapped back
/// through the literal.
pub(super) fn scan_embedded(literal: &MappedText, found: &mut Found) {
    let mut inner = Found::default();
    let text = literal.as_str();
    scan(text, Span::new(0, text.len()), &mut inner, false, 0);
    found.absorb(inner, literal);
}

/// Skips the statements of a routine body that is not quoted.
#[derive(Default)]
struct Routine {
    depth: usize,
}

fn scan(text: &str, range: Span, found: &mut Found, annotations: bool, do_depth: usize) {
    let mut lexer = Lexer::new(text, range);
    let mut statement: Vec<T> = Vec::new();
    // Statements of down sections: evidence only (see `Found::rollback`).
    let mut rollback = Found::default();
    let mut down = false;
    let mut routine = Routine::default();
    let flush = |statement: &mut Vec<T>, routine: &mut Routine, target: &mut Found| {
        if !statement.is_empty() {
            let st = Stmt {
                src: text,
                t: statement,
            };
            st.run(target, routine, do_depth);
            statement.clear();
        }
    };
    while let Some(t) = lexer.next() {
        let target = if down { &mut rollback } else { &mut *found };
        match t.k {
            K::LineComment => {
                if !annotations {
                    continue;
                }
                match annotation(t.span.slice(text)) {
                    Some(Annotation::Up) => {
                        flush(&mut statement, &mut routine, target);
                        down = false;
                    }
                    Some(Annotation::Down) => {
                        flush(&mut statement, &mut routine, target);
                        down = true;
                    }
                    Some(Annotation::Boundary) => flush(&mut statement, &mut routine, target),
                    None => continue,
                }
                // A routine body never spans an annotation.
                routine.depth = 0;
            }
            K::BlockComment => {}
            K::End => {
                flush(&mut statement, &mut routine, target);
                // Nor does it span a `DELIMITER` change.
                let ended_by = t.span.slice(text);
                if ended_by
                    .get(..9)
                    .is_some_and(|w| w.eq_ignore_ascii_case("DELIMITER"))
                {
                    routine.depth = 0;
                }
            }
            _ => {
                if statement.len() < MAX_STATEMENT_TOKENS {
                    statement.push(t);
                }
            }
        }
    }
    let target = if down { &mut rollback } else { &mut *found };
    flush(&mut statement, &mut routine, target);
    found.add_rollback(rollback);
}

/// A name as written: `None` when it is interpolated.
#[derive(Debug, Clone)]
struct Name {
    text: Option<String>,
}

/// Keywords that end a `DROP` action without dropping a column.
const NOT_COLUMN_DROPS: &[&str] = &[
    "CONSTRAINT",
    "INDEX",
    "KEY",
    "PRIMARY",
    "FOREIGN",
    "CHECK",
    "DEFAULT",
    "NOT",
    "PARTITION",
    "SUBPARTITION",
    "UNIQUE",
    "FULLTEXT",
    "SPATIAL",
    "PERIOD",
    "SYSTEM",
    "ROW",
    "TRIGGER",
    "IDENTITY",
    "EXPRESSION",
    "UNUSED",
    "SUPPLEMENTAL",
    "STORAGE",
    "COLUMNS",
    "ATTRIBUTE",
    "VALUE",
    // ClickHouse, Snowflake.
    "PROJECTION",
    "STATISTICS",
    "DETACHED",
    "SEARCH",
    "CLUSTERING",
];

/// Words that start an `ALTER TABLE` action (a piece made of one of these is no column name).
const ACTION_WORDS: &[&str] = &[
    "ADD",
    "DROP",
    "ALTER",
    "RENAME",
    "MODIFY",
    "CHANGE",
    "SET",
    "RESET",
    "OWNER",
    "ENABLE",
    "DISABLE",
    "VALIDATE",
    "CLUSTER",
    "INHERIT",
    "NO",
    "OF",
    "NOT",
    "REPLICA",
    "FORCE",
    "ATTACH",
    "DETACH",
    "ALGORITHM",
    "LOCK",
    "ENGINE",
    "CONVERT",
    "DEFAULT",
    "CHARACTER",
    "CHARSET",
    "COLLATE",
    "ORDER",
    "COMMENT",
    "AUTO_INCREMENT",
    "ROW_FORMAT",
    "DISCARD",
    "IMPORT",
    "TRUNCATE",
    "COALESCE",
    "REORGANIZE",
    "EXCHANGE",
    "ANALYZE",
    "CHECK",
    "OPTIMIZE",
    "REBUILD",
    "REPAIR",
    "REMOVE",
    "UPGRADE",
    "WITH",
    "WITHOUT",
    "PARTITION",
    "MOVE",
    "NOCHECK",
    "CASCADE",
    "RESTRICT",
];

/// Words after `ALTER [COLUMN] c` that make the action something other than a redefinition.
const ALTER_COLUMN_FORMS: &[&str] = &[
    "SET", "DROP", "TYPE", "ADD", "RESTART", "RESET", "OPTIONS", "COLLATE", "ENCODING",
];

/// One statement's tokens (comments left out).
struct Stmt<'a> {
    src: &'a str,
    t: &'a [T],
}

impl<'a> Stmt<'a> {
    fn kw(&self, i: usize, keyword: &str) -> bool {
        self.t
            .get(i)
            .is_some_and(|t| t.k == K::Word && t.span.slice(self.src).eq_ignore_ascii_case(keyword))
    }

    fn kw_in(&self, i: usize, keywords: &[&str]) -> bool {
        keywords.iter().any(|k| self.kw(i, k))
    }

    fn punct(&self, i: usize, p: &str) -> bool {
        self.t
            .get(i)
            .is_some_and(|t| t.k == K::Punct && t.span.slice(self.src) == p)
    }

    fn span(&self, from: usize, to: usize) -> Span {
        let first = self.t.get(from).map_or(Span::default(), |t| t.span);
        let last = self.t.get(to).map_or(first, |t| t.span);
        first.join(last)
    }

    /// One part of a name at `i`: a word or a quoted identifier; its text is unknown when it
    /// holds an interpolation.
    fn part(&self, i: usize) -> Option<Name> {
        let t = self.t.get(i)?;
        let raw = t.span.slice(self.src);
        let text = match t.k {
            K::Word => raw.to_string(),
            K::Quoted => unquote(raw),
            _ => return None,
        };
        Some(Name {
            text: (!text.contains(HOLE)).then_some(text),
        })
    }

    /// A possibly qualified name at `i` (`schema.table`); returns it and the index after it.
    fn qualified(&self, i: usize) -> Option<(Name, usize)> {
        let first = self.part(i)?;
        let mut parts = vec![first];
        let mut j = i + 1;
        while self.punct(j, ".") {
            match self.part(j + 1) {
                Some(p) => {
                    parts.push(p);
                    j += 2;
                }
                None => break,
            }
        }
        let text = if parts.iter().all(|p| p.text.is_some()) {
            Some(
                parts
                    .iter()
                    .filter_map(|p| p.text.clone())
                    .collect::<Vec<_>>()
                    .join("."),
            )
        } else {
            parts.last().and_then(|p| p.text.clone())
        };
        Some((Name { text }, j))
    }

    /// The index of `NULL` in a `NOT NULL` among tokens `from..to`, outside parentheses.
    fn not_null(&self, from: usize, to: usize) -> Option<usize> {
        let mut depth = 0usize;
        for i in from..to.min(self.t.len()) {
            if self.punct(i, "(") {
                depth += 1;
            } else if self.punct(i, ")") {
                depth = depth.saturating_sub(1);
            } else if depth == 0 && self.kw(i, "NOT") && self.kw(i + 1, "NULL") && i + 1 < to {
                return Some(i + 1);
            }
        }
        None
    }

    /// Split tokens `from..to` at commas outside parentheses.
    fn pieces(&self, from: usize, to: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut depth = 0usize;
        let mut start = from;
        for i in from..to {
            if self.punct(i, "(") {
                depth += 1;
            } else if self.punct(i, ")") {
                depth = depth.saturating_sub(1);
            } else if depth == 0 && self.punct(i, ",") {
                out.push((start, i));
                start = i + 1;
            }
        }
        out.push((start, to));
        out.retain(|&(s, e)| s < e);
        out
    }

    fn run(&self, found: &mut Found, routine: &mut Routine, do_depth: usize) {
        if routine.depth > 0 {
            routine.depth = routine
                .depth
                .saturating_add_signed(self.begin_end_balance());
            return;
        }
        if self.is_routine_definition() {
            routine.depth = usize::try_from(self.begin_end_balance()).unwrap_or(0);
            return;
        }
        self.match_at(0, found, do_depth);
    }

    /// `CREATE [OR REPLACE] [DEFINER=...] PROCEDURE|FUNCTION|TRIGGER|EVENT|PACKAGE ...`
    fn is_routine_definition(&self) -> bool {
        self.kw(0, "CREATE")
            && (1..12.min(self.t.len()))
                .any(|i| self.kw_in(i, &["PROCEDURE", "FUNCTION", "TRIGGER", "EVENT", "PACKAGE"]))
    }

    /// How many `BEGIN`/`CASE` blocks the statement opens minus how many `END`s close.
    fn begin_end_balance(&self) -> isize {
        let mut balance = 0isize;
        let mut i = 0;
        while i < self.t.len() {
            if self.kw(i, "BEGIN") || self.kw(i, "CASE") {
                balance += 1;
            } else if self.kw(i, "END") {
                if self.kw_in(i + 1, &["IF", "LOOP", "WHILE", "REPEAT", "FOR"]) {
                    i += 1;
                } else {
                    if self.kw(i + 1, "CASE") {
                        i += 1;
                    }
                    balance -= 1;
                }
            }
            i += 1;
        }
        balance
    }

    /// Match the statement starting at token `s`.
    fn match_at(&self, s: usize, found: &mut Found, do_depth: usize) {
        if self.kw(s, "ALTER") {
            let mut i = s + 1;
            while self.kw_in(i, &["ONLINE", "OFFLINE", "IGNORE"]) {
                i += 1;
            }
            if self.kw(i, "TABLE") {
                self.alter_table(i + 1, found);
            }
        } else if self.kw(s, "DROP") {
            self.drop_table(s, found);
        } else if self.kw(s, "RENAME") && self.kw(s + 1, "TABLE") {
            self.rename_tables(s, found);
        } else if self.kw(s, "EXEC") || self.kw(s, "EXECUTE") {
            self.sp_rename(s, found);
        } else if self.kw(s, "CREATE") {
            self.create_table(s, found);
        } else if self.kw(s, "DO") && do_depth < MAX_DO_DEPTH {
            self.do_block(s, found, do_depth);
        }
    }

    fn alter_table(&self, mut i: usize, found: &mut Found) {
        if self.kw(i, "IF") && self.kw(i + 1, "EXISTS") {
            i += 2;
        }
        if self.kw(i, "ONLY") {
            i += 1;
        }
        let Some((table, next)) = self.qualified(i) else {
            return;
        };
        let mut i = next;
        if self.punct(i, "*") {
            i += 1;
        }
        let table = table.text;
        // The hit of the previous action when it dropped columns (SQL Server lists more
        // columns after one `DROP COLUMN`).
        let mut dropping: Option<usize> = None;
        for (s, e) in self.pieces(i, self.t.len()) {
            if let Some(h) = dropping {
                if e == s + 1 && !self.kw_in(s, ACTION_WORDS) {
                    if let Some(name) = self.part(s) {
                        if let Some(hit) = found.hits.get_mut(h) {
                            hit.names.extend(name.text);
                            hit.span = hit.span.join(self.t[s].span);
                        }
                        continue;
                    }
                }
            }
            dropping = None;
            let hit = if self.kw(s, "DROP") {
                let hit = self.drop_column(s, e, &table);
                if hit.is_some() {
                    dropping = Some(found.hits.len());
                }
                hit
            } else if self.kw(s, "ALTER") {
                self.alter_column(s, e, &table)
            } else if self.kw(s, "RENAME") {
                self.rename(s, e, &table)
            } else if self.kw(s, "MODIFY") {
                self.modify(s, e, &table, found);
                None
            } else if self.kw(s, "CHANGE") {
                self.change(s, e, &table)
            } else {
                None
            };
            if let Some(hit) = hit {
                found.push(hit);
            }
        }
    }

    /// `DROP [COLUMN] [IF EXISTS] c`, Oracle `DROP (a, b)`.
    fn drop_column(&self, s: usize, e: usize, table: &Option<String>) -> Option<Hit> {
        let mut i = s + 1;
        let explicit = self.kw(i, "COLUMN");
        if explicit {
            i += 1;
        } else if self.kw_in(i, NOT_COLUMN_DROPS) {
            return None;
        }
        if !explicit && self.punct(i, "(") {
            let close = (i + 1..e).find(|&j| self.punct(j, ")"))?;
            let names: Option<Vec<Name>> = self
                .pieces(i + 1, close)
                .into_iter()
                .map(|(a, b)| if b == a + 1 { self.part(a) } else { None })
                .collect();
            let names = names?;
            return Some(Hit::drop_columns(
                self.span(s, close),
                table.clone(),
                names.into_iter().filter_map(|n| n.text).collect(),
            ));
        }
        if self.kw(i, "IF") && self.kw(i + 1, "EXISTS") {
            i += 2;
        }
        if i >= e {
            return None;
        }
        let name = self.part(i)?;
        Some(Hit::drop_columns(
            self.span(s, i),
            table.clone(),
            name.text.into_iter().collect(),
        ))
    }

    /// `ALTER [COLUMN] c SET NOT NULL`; SQL Server `ALTER COLUMN c type NOT NULL`.
    fn alter_column(&self, s: usize, e: usize, table: &Option<String>) -> Option<Hit> {
        let mut i = s + 1;
        if self.kw(i, "COLUMN") {
            i += 1;
        } else if self.kw_in(i, &["CONSTRAINT", "INDEX", "CHECK", "PARTITION"]) {
            return None;
        }
        let column = self.part(i)?;
        let j = i + 1;
        if self.kw(j, "SET") && self.kw(j + 1, "NOT") && self.kw(j + 2, "NULL") {
            return Some(Hit::not_null(
                self.span(s, j + 2),
                table.clone(),
                column.text,
            ));
        }
        if j >= e || self.kw_in(j, ALTER_COLUMN_FORMS) {
            return None;
        }
        let null = self.not_null(j, e)?;
        Some(Hit::not_null(self.span(s, null), table.clone(), column.text).restated())
    }

    /// `RENAME [COLUMN] a TO b`, `RENAME TO|AS u`.
    fn rename(&self, s: usize, e: usize, table: &Option<String>) -> Option<Hit> {
        let mut i = s + 1;
        if self.kw(i, "TO") || self.kw(i, "AS") {
            let (to, next) = self.qualified(i + 1)?;
            if next > e {
                return None;
            }
            return Some(Hit::rename_table(
                self.span(s, next - 1),
                table.clone(),
                to.text,
            ));
        }
        if self.kw(i, "COLUMN") {
            i += 1;
        } else if self.kw_in(i, &["CONSTRAINT", "INDEX", "KEY"]) {
            return None;
        }
        let from = self.part(i)?;
        if !self.kw(i + 1, "TO") {
            return None;
        }
        let to = self.part(i + 2)?;
        if i + 2 >= e {
            return None;
        }
        Some(Hit::rename_column(
            self.span(s, i + 2),
            table.clone(),
            from.text,
            to.text,
        ))
    }

    /// `MODIFY [COLUMN] c ... NOT NULL`, Oracle `MODIFY (c NOT NULL, ...)`.
    fn modify(&self, s: usize, e: usize, table: &Option<String>, found: &mut Found) {
        let mut i = s + 1;
        if self.kw(i, "COLUMN") {
            i += 1;
        }
        if self.punct(i, "(") {
            let close = (i + 1..e).find(|&j| self.punct(j, ")")).unwrap_or(e);
            for (a, b) in self.pieces(i + 1, close) {
                if let (Some(column), Some(null)) = (self.part(a), self.not_null(a + 1, b)) {
                    let hit = Hit::not_null(self.span(a, null), table.clone(), column.text);
                    found.push(if null == a + 2 { hit } else { hit.restated() });
                }
            }
            return;
        }
        let Some(column) = self.part(i) else {
            return;
        };
        if let Some(null) = self.not_null(i + 1, e) {
            let hit = Hit::not_null(self.span(s, null), table.clone(), column.text);
            found.push(if null == i + 2 { hit } else { hit.restated() });
        }
    }

    /// MySQL `CHANGE [COLUMN] old new type ...`.
    fn change(&self, s: usize, e: usize, table: &Option<String>) -> Option<Hit> {
        let mut i = s + 1;
        if self.kw(i, "COLUMN") {
            i += 1;
        }
        let old = self.part(i)?;
        let new = self.part(i + 1)?;
        if i + 1 >= e {
            return None;
        }
        let same = match (&old.text, &new.text) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        };
        if !same {
            return Some(Hit::rename_column(
                self.span(s, i + 1),
                table.clone(),
                old.text,
                new.text,
            ));
        }
        let null = self.not_null(i + 2, e)?;
        Some(Hit::not_null(self.span(s, null), table.clone(), old.text).restated())
    }

    /// `DROP TABLE [IF EXISTS] a, b [CASCADE]`.
    fn drop_table(&self, s: usize, found: &mut Found) {
        if !self.kw(s + 1, "TABLE") {
            return;
        }
        let mut i = s + 2;
        if self.kw(i, "IF") && self.kw(i + 1, "EXISTS") {
            i += 2;
        }
        let mut names = Vec::new();
        let mut last = None;
        while let Some((name, next)) = self.qualified(i) {
            names.extend(name.text);
            last = Some(next - 1);
            if self.punct(next, ",") {
                i = next + 1;
            } else {
                break;
            }
        }
        if let Some(last) = last {
            found.push(Hit::drop_tables(self.span(s, last), names));
        }
    }

    /// MySQL `RENAME TABLE a TO b [, c TO d]`.
    fn rename_tables(&self, s: usize, found: &mut Found) {
        for (n, (a, b)) in self.pieces(s + 2, self.t.len()).into_iter().enumerate() {
            let Some((from, next)) = self.qualified(a) else {
                return;
            };
            if !self.kw(next, "TO") {
                return;
            }
            let Some((to, end)) = self.qualified(next + 1) else {
                return;
            };
            if end > b {
                return;
            }
            let first = if n == 0 { s } else { a };
            found.push(Hit::rename_table(
                self.span(first, end - 1),
                from.text,
                to.text,
            ));
        }
    }

    /// `EXEC [sys.|dbo.]sp_rename 'table.column', 'new', 'COLUMN'` (also with `@objname =`
    /// names and `N'...'` strings).
    fn sp_rename(&self, s: usize, found: &mut Found) {
        let Some((procedure, next)) = self.qualified(s + 1) else {
            return;
        };
        let is_sp_rename = procedure
            .text
            .as_deref()
            .and_then(|p| p.rsplit('.').next())
            .is_some_and(|p| p.eq_ignore_ascii_case("sp_rename"));
        if !is_sp_rename {
            return;
        }
        let mut values = Vec::new();
        let mut last = next;
        for (a, b) in self.pieces(next, self.t.len()) {
            let mut i = a;
            if self.punct(i, "@") && self.punct(i + 2, "=") {
                i += 3;
            }
            if self.kw(i, "N") && self.t.get(i + 1).is_some_and(|t| t.k == K::Str) {
                i += 1;
            }
            match self.t.get(i) {
                Some(t) if t.k == K::Str && i + 1 == b => {
                    values.push(unquote_string(t.span.slice(self.src)));
                    last = i;
                }
                _ => return,
            }
        }
        let [object, new, kind] = values.as_slice() else {
            return;
        };
        if !kind.eq_ignore_ascii_case("COLUMN") {
            return;
        }
        let parts: Vec<String> = object.split('.').map(unquote_part).collect();
        let (column, table) = match parts.as_slice() {
            [.., table, column] => (Some(column.clone()), Some(table.clone())),
            [column] => (Some(column.clone()), None),
            [] => (None, None),
        };
        found.push(Hit::rename_column(
            self.span(s, last),
            table,
            column,
            Some(unquote_part(new)),
        ));
    }

    /// `CREATE [OR REPLACE] [GLOBAL|LOCAL] [TEMP|TEMPORARY|UNLOGGED] TABLE [IF NOT EXISTS] t`,
    /// and `CREATE [MATERIALIZED] VIEW v` (ClickHouse drops views with `DROP TABLE`: a view
    /// dropped and created again is no drop).
    fn create_table(&self, s: usize, found: &mut Found) {
        let mut i = s + 1;
        if self.kw(i, "OR") && self.kw(i + 1, "REPLACE") {
            i += 2;
        }
        while self.kw_in(
            i,
            &[
                "GLOBAL",
                "LOCAL",
                "TEMP",
                "TEMPORARY",
                "UNLOGGED",
                "VIRTUAL",
                "MATERIALIZED",
            ],
        ) {
            i += 1;
        }
        if !(self.kw(i, "TABLE") || self.kw(i, "VIEW")) {
            return;
        }
        i += 1;
        if self.kw(i, "IF") && self.kw(i + 1, "NOT") && self.kw(i + 2, "EXISTS") {
            i += 3;
        }
        if let Some((Name { text: Some(name) }, _)) = self.qualified(i) {
            found.created(name);
        }
    }

    /// PostgreSQL `DO [LANGUAGE l] $$ body $$`: the body's statements run now.
    fn do_block(&self, s: usize, found: &mut Found, do_depth: usize) {
        let Some(body) = self.t[s + 1..]
            .iter()
            .find(|t| matches!(t.k, K::Dollar | K::Str))
        else {
            return;
        };
        let raw = body.span.slice(self.src);
        let inner = if body.k == K::Dollar {
            let tag_len = raw[1..].find('$').map_or(0, |p| p + 2);
            Span::new(
                body.span.start + tag_len,
                body.span
                    .end
                    .saturating_sub(tag_len)
                    .max(body.span.start + tag_len),
            )
        } else {
            // 'body' (quotes doubled inside; rare): read as is.
            Span::new(
                body.span.start + 1,
                body.span.end.saturating_sub(1).max(body.span.start + 1),
            )
        };
        if inner.is_empty() || self.src.get(inner.start..inner.end).is_none() {
            return;
        }
        let mut lexer = Lexer::new(self.src, inner);
        let mut statement = Vec::new();
        // Statements of the body also start after `BEGIN`, `THEN`, `ELSE`, `LOOP`: each
        // segment between those words is matched once.
        let run = |statement: &mut Vec<T>, found: &mut Found| {
            let all = Stmt {
                src: self.src,
                t: statement,
            };
            let mut start = 0;
            for p in 0..=all.t.len() {
                let boundary = p == all.t.len()
                    || all.kw_in(p, &["BEGIN", "THEN", "ELSE", "ELSIF", "LOOP", "END"]);
                if boundary {
                    if start < p {
                        let segment = Stmt {
                            src: self.src,
                            t: &all.t[start..p],
                        };
                        segment.match_at(0, found, do_depth + 1);
                    }
                    start = p + 1;
                }
            }
            statement.clear();
        };
        while let Some(t) = lexer.next() {
            match t.k {
                K::LineComment | K::BlockComment => {}
                K::End => run(&mut statement, found),
                _ => {
                    if statement.len() < MAX_STATEMENT_TOKENS {
                        statement.push(t);
                    }
                }
            }
        }
        run(&mut statement, found);
    }
}

/// The name in a quoted identifier: `"a""b"` is `a"b`, `` `x` `` is `x`, `[x]` is `x`.
fn unquote(raw: &str) -> String {
    let Some(open) = raw.chars().next() else {
        return String::new();
    };
    let close = match open {
        '"' => '"',
        '`' => '`',
        '[' => ']',
        _ => return raw.to_string(),
    };
    let inner = &raw[1..];
    let inner = inner.strip_suffix(close).unwrap_or(inner);
    let doubled = format!("{close}{close}");
    inner.replace(&doubled, &close.to_string())
}

/// The value of a `'...'` string token (`''` is `'`; `E'...'`/backslashes left as written).
fn unquote_string(raw: &str) -> String {
    let inner = raw
        .trim_start_matches(['E', 'e'])
        .strip_prefix('\'')
        .unwrap_or(raw);
    let inner = inner.strip_suffix('\'').unwrap_or(inner);
    inner.replace("''", "'")
}

/// One part of a dotted name in a string (`[dbo]`, `"users"`).
fn unquote_part(part: &str) -> String {
    let part = part.trim();
    if part.starts_with(['[', '"', '`']) {
        unquote(part)
    } else {
        part.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{find, DestructiveKind as K2};

    /// (kind, underlined text, description) of each finding in `text` read as `path`.
    fn run(path: &str, text: &str) -> Vec<(K2, String, String)> {
        find(path, text)
            .into_iter()
            .map(|d| (d.kind, d.span.slice(text).to_string(), d.description))
            .collect()
    }

    fn sql(text: &str) -> Vec<(K2, String, String)> {
        run("db/migrations/20240101_x.sql", text)
    }

    fn spans(text: &str) -> Vec<String> {
        sql(text).into_iter().map(|(_, s, _)| s).collect()
    }

    #[test]
    fn drop_column_postgres() {
        let text = "ALTER TABLE users DROP COLUMN email;\n";
        assert_eq!(
            sql(text),
            vec![(
                K2::DropColumn,
                "DROP COLUMN email".to_string(),
                "drops column `email` of table `users`".to_string()
            )]
        );
    }

    #[test]
    fn drop_column_variants() {
        assert_eq!(
            spans(
                "alter table if exists only public.users drop column if exists \"e\"\"x\" cascade;"
            ),
            vec!["drop column if exists \"e\"\"x\""]
        );
        assert_eq!(
            sql("ALTER TABLE `users` DROP `email`, DROP COLUMN phone;")
                .into_iter()
                .map(|(_, s, d)| (s, d))
                .collect::<Vec<_>>(),
            vec![
                (
                    "DROP `email`".to_string(),
                    "drops column `email` of table `users`".to_string()
                ),
                (
                    "DROP COLUMN phone".to_string(),
                    "drops column `phone` of table `users`".to_string()
                )
            ]
        );
        // SQL Server: more columns after one DROP COLUMN.
        assert_eq!(
            sql("ALTER TABLE [dbo].[users] DROP COLUMN [a], [b];"),
            vec![(
                K2::DropColumn,
                "DROP COLUMN [a], [b]".to_string(),
                "drops columns `a` and `b` of table `dbo.users`".to_string()
            )]
        );
        // Oracle column list.
        assert_eq!(
            sql("ALTER TABLE users DROP (a, b);")[0].2,
            "drops columns `a` and `b` of table `users`"
        );
    }

    #[test]
    fn drops_that_are_not_column_drops() {
        let text = "\
ALTER TABLE users DROP CONSTRAINT users_email_key;
ALTER TABLE users DROP INDEX idx_email;
ALTER TABLE users DROP PRIMARY KEY;
ALTER TABLE users DROP FOREIGN KEY fk_org;
ALTER TABLE users DROP CHECK chk;
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE users ALTER COLUMN email DROP DEFAULT;
ALTER TABLE users ALTER COLUMN email SET DEFAULT 'x';
ALTER TABLE users ALTER email TYPE text;
ALTER TABLE users DROP DEFAULT;
DROP INDEX CONCURRENTLY idx_users_email;
DROP VIEW active_users;
DROP TEMPORARY TABLE tmp_ids;
ALTER INDEX idx RENAME TO idx2;
ALTER TABLE users RENAME CONSTRAINT a TO b;
";
        assert_eq!(sql(text), vec![]);
    }

    #[test]
    fn additive_migrations_are_silent() {
        let text = "\
-- Add a column, backfill, index it.
ALTER TABLE users ADD COLUMN email_verified boolean;
ALTER TABLE users ADD COLUMN nickname text NULL DEFAULT '';
CREATE TABLE audit_log (id bigserial PRIMARY KEY, body jsonb NOT NULL);
CREATE INDEX CONCURRENTLY idx_users_nickname ON users (nickname);
UPDATE users SET email_verified = false WHERE email_verified IS NULL;
ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;
ALTER TABLE users VALIDATE CONSTRAINT email_nn;
INSERT INTO settings (k, v) VALUES ('drop table users', 'ALTER TABLE users DROP COLUMN email');
COMMENT ON COLUMN users.nickname IS 'DROP COLUMN later; RENAME TO nothing';
";
        assert_eq!(sql(text), vec![]);
    }

    #[test]
    fn comments_and_strings_do_not_trigger() {
        let text = "\
-- ALTER TABLE users DROP COLUMN email;
/* DROP TABLE users; /* nested */ ALTER TABLE users DROP COLUMN x; */
SELECT 'DROP TABLE users; it''s fine', E'\\' DROP TABLE t;';
SELECT $$ DROP TABLE users; $$, $fn$ ALTER TABLE a DROP COLUMN b; $fn$;
SELECT \"DROP TABLE x\" FROM y;
";
        assert_eq!(sql(text), vec![]);
    }

    #[test]
    fn mysql_backslash_strings() {
        // MySQL (backticks): `\'` does not end the string.
        let text = "ALTER TABLE `t` COMMENT 'it\\'s; DROP TABLE x; ok';\nALTER TABLE `t` DROP `c`;";
        assert_eq!(spans(text), vec!["DROP `c`"]);
        // PostgreSQL: a backslash is an ordinary character, the string ends at the quote.
        let text = "SELECT 'C:\\'; ALTER TABLE t DROP COLUMN c;";
        assert_eq!(spans(text), vec!["DROP COLUMN c"]);
    }

    #[test]
    fn drop_table() {
        assert_eq!(
            sql("DROP TABLE IF EXISTS legacy_orders, public.\"Old Items\" CASCADE;"),
            vec![(
                K2::DropTable,
                "DROP TABLE IF EXISTS legacy_orders, public.\"Old Items\"".to_string(),
                "drops tables `legacy_orders` and `public.Old Items`".to_string()
            )]
        );
    }

    #[test]
    fn tables_created_in_the_same_file_are_not_reported() {
        let text = "\
CREATE TEMP TABLE tmp_ids AS SELECT id FROM users;
DELETE FROM users WHERE id IN (SELECT id FROM tmp_ids);
DROP TABLE tmp_ids;
CREATE TABLE IF NOT EXISTS staging (id int);
ALTER TABLE staging DROP COLUMN id;
ALTER TABLE staging RENAME TO staging2;
";
        assert_eq!(sql(text), vec![]);
    }

    #[test]
    fn swaps_recreated_views_and_projections() {
        let text = "\
CREATE TABLE db.events_new (id UUID) ENGINE = MergeTree ORDER BY id;
RENAME TABLE db.events TO db.events_old;
RENAME TABLE db.events_new TO db.events;
DROP TABLE db.events_hourly_mv;
CREATE MATERIALIZED VIEW db.events_hourly_mv TO db.events_hourly AS SELECT 1;
ALTER TABLE db.events DROP PROJECTION events_url_projection;
ALTER TABLE db.events RENAME TO db.archive;
";
        assert_eq!(
            sql(text),
            vec![(
                K2::RenameTable,
                "RENAME TO db.archive".to_string(),
                "renames table `db.events` to `db.archive`".to_string()
            )]
        );
    }

    #[test]
    fn sqlite_table_rebuild_is_not_a_drop() {
        // What Prisma generates for SQLite ("RedefineTables").
        let text = "\
-- RedefineTables
PRAGMA foreign_keys=OFF;
CREATE TABLE \"new_User\" (\"id\" INTEGER NOT NULL PRIMARY KEY, \"name\" TEXT);
INSERT INTO \"new_User\" (\"id\", \"name\") SELECT \"id\", \"name\" FROM \"User\";
DROP TABLE \"User\";
ALTER TABLE \"new_User\" RENAME TO \"User\";
PRAGMA foreign_keys=ON;
";
        assert_eq!(sql(text), vec![]);
    }

    #[test]
    fn renames() {
        assert_eq!(
            sql("ALTER TABLE users RENAME COLUMN email TO email_address;"),
            vec![(
                K2::RenameColumn,
                "RENAME COLUMN email TO email_address".to_string(),
                "renames column `email` of table `users` to `email_address`".to_string()
            )]
        );
        assert_eq!(
            sql("ALTER TABLE users RENAME TO accounts;"),
            vec![(
                K2::RenameTable,
                "RENAME TO accounts".to_string(),
                "renames table `users` to `accounts`".to_string()
            )]
        );
        assert_eq!(
            sql("RENAME TABLE a TO b, c TO d;")
                .into_iter()
                .map(|(_, s, d)| (s, d))
                .collect::<Vec<_>>(),
            vec![
                (
                    "RENAME TABLE a TO b".to_string(),
                    "renames table `a` to `b`".to_string()
                ),
                ("c TO d".to_string(), "renames table `c` to `d`".to_string())
            ]
        );
        assert_eq!(
            sql("ALTER TABLE t CHANGE COLUMN old_name new_name VARCHAR(20) NOT NULL;")[0].2,
            "renames column `old_name` of table `t` to `new_name`"
        );
        assert_eq!(
            sql("EXEC sp_rename 'dbo.users.email', 'email_address', 'COLUMN';"),
            vec![(
                K2::RenameColumn,
                "EXEC sp_rename 'dbo.users.email', 'email_address', 'COLUMN'".to_string(),
                "renames column `email` of table `users` to `email_address`".to_string()
            )]
        );
        assert_eq!(
            sql("EXEC sp_rename @objname = N'users.[e]', @newname = N'f', @objtype = N'COLUMN'")[0]
                .2,
            "renames column `e` of table `users` to `f`"
        );
        assert_eq!(sql("EXEC sp_rename 'PK_users', 'PK_accounts';"), vec![]);
    }

    #[test]
    fn not_null() {
        assert_eq!(
            sql("ALTER TABLE users ALTER COLUMN email SET NOT NULL;"),
            vec![(
                K2::SetNotNull,
                "ALTER COLUMN email SET NOT NULL".to_string(),
                "makes column `email` of table `users` NOT NULL".to_string()
            )]
        );
        assert_eq!(
            sql("ALTER TABLE users MODIFY email VARCHAR(255) NOT NULL DEFAULT '';"),
            vec![(
                K2::SetNotNull,
                "MODIFY email VARCHAR(255) NOT NULL".to_string(),
                "redefines column `email` of table `users` as NOT NULL".to_string()
            )]
        );
        assert_eq!(
            sql("ALTER TABLE users MODIFY (email NOT NULL, name NULL);"),
            vec![(
                K2::SetNotNull,
                "email NOT NULL".to_string(),
                "makes column `email` of table `users` NOT NULL".to_string()
            )]
        );
        assert_eq!(
            sql("ALTER TABLE dbo.users ALTER COLUMN email NVARCHAR(255) NOT NULL;")[0].1,
            "ALTER COLUMN email NVARCHAR(255) NOT NULL"
        );
        assert_eq!(
            sql("ALTER TABLE users MODIFY email VARCHAR(255) NULL;"),
            vec![]
        );
        assert_eq!(
            sql("ALTER TABLE users MODIFY email VARCHAR(255) CHECK (email IS NOT NULL);"),
            vec![]
        );
    }

    #[test]
    fn several_actions_in_one_statement() {
        let text = "ALTER TABLE \"User\" DROP COLUMN \"email\",\nADD COLUMN \"x\" TEXT,\nALTER COLUMN \"name\" SET NOT NULL;";
        assert_eq!(
            sql(text)
                .into_iter()
                .map(|(k, s, _)| (k, s))
                .collect::<Vec<_>>(),
            vec![
                (K2::DropColumn, "DROP COLUMN \"email\"".to_string()),
                (
                    K2::SetNotNull,
                    "ALTER COLUMN \"name\" SET NOT NULL".to_string()
                )
            ]
        );
    }

    #[test]
    fn goose_sections() {
        let text = "\
-- +goose Up
-- +goose StatementBegin
ALTER TABLE users ADD COLUMN email_address text;
-- +goose StatementEnd
ALTER TABLE users DROP COLUMN email;

-- +goose Down
ALTER TABLE users ADD COLUMN email text;
DROP TABLE whatever;
";
        assert_eq!(spans(text), vec!["DROP COLUMN email"]);
        // Lower-case annotations work too (goose reads them case-insensitively).
        let text = "-- +goose up\nSELECT 1;\n-- +goose down\nDROP TABLE users;\n";
        assert_eq!(sql(text), vec![]);
    }

    #[test]
    fn a_rollback_restating_not_null_shows_it_was_not_null() {
        // MySQL widens a NOT NULL column; the down section restores the old type, NOT NULL.
        let text = "\
-- migrate:up
ALTER TABLE `users` MODIFY `email` VARCHAR(320) NOT NULL;
ALTER TABLE `users` MODIFY `name` VARCHAR(100) NOT NULL;
-- migrate:down
ALTER TABLE `users` MODIFY `email` VARCHAR(255) NOT NULL;
ALTER TABLE `users` MODIFY `name` VARCHAR(100) NULL;
";
        assert_eq!(
            sql(text),
            vec![(
                K2::SetNotNull,
                "MODIFY `name` VARCHAR(100) NOT NULL".to_string(),
                "redefines column `name` of table `users` as NOT NULL".to_string()
            )]
        );
    }

    #[test]
    fn dbmate_sections() {
        let text = "\
-- migrate:up transaction:false
ALTER TABLE users RENAME COLUMN a TO b;
-- migrate:down
ALTER TABLE users RENAME COLUMN b TO a;
DROP TABLE users;
";
        assert_eq!(spans(text), vec!["RENAME COLUMN a TO b"]);
    }

    #[test]
    fn liquibase_formatted_sql_rollbacks_are_comments() {
        let text = "\
--liquibase formatted sql

--changeset alice:1
ALTER TABLE users ADD COLUMN phone varchar(20)
--rollback ALTER TABLE users DROP COLUMN phone;

--changeset alice:2
ALTER TABLE users DROP COLUMN fax;
/* liquibase rollback
ALTER TABLE users ADD COLUMN fax text;
DROP TABLE users;
*/
";
        assert_eq!(spans(text), vec!["DROP COLUMN fax"]);
    }

    #[test]
    fn rollback_files_are_skipped() {
        let text = "DROP TABLE users;";
        for path in [
            "migrations/20240101_x.down.sql",
            "migrations/2024-01-01-000000_x/down.sql",
            "migrations/sqls/20240101-x-down.sql",
            "db/migration/U2__drop_users.sql",
            "db/migration/U2.1__drop_users.sql",
        ] {
            assert_eq!(run(path, text), vec![], "{path}");
        }
        for path in [
            "migrations/20240101_x.up.sql",
            "migrations/2024-01-01-000000_x/up.sql",
            "db/migration/V2__drop_users.sql",
            "db/migration/R__views.sql",
            "prisma/migrations/20240101_x/migration.sql",
            "db/migration/Users__x.sql",
        ] {
            assert_eq!(run(path, text).len(), 1, "{path}");
        }
    }

    #[test]
    fn mysql_delimiter_and_routines() {
        let text = "\
DELIMITER $$
CREATE PROCEDURE cleanup()
BEGIN
  DROP TABLE IF EXISTS scratch;
  ALTER TABLE t DROP COLUMN c;
END$$
DELIMITER ;
ALTER TABLE users DROP COLUMN legacy;
";
        assert_eq!(spans(text), vec!["DROP COLUMN legacy"]);
        // The same procedure split at `;` (goose StatementBegin/End): its body is skipped.
        let text = "\
-- +goose StatementBegin
CREATE PROCEDURE cleanup()
BEGIN
  IF 1 THEN DROP TABLE scratch; END IF;
  CASE WHEN 1 THEN SELECT 1; END CASE;
  DROP TABLE other;
END;
-- +goose StatementEnd
DROP TABLE users;
";
        assert_eq!(spans(text), vec!["DROP TABLE users"]);
    }

    #[test]
    fn postgres_functions_are_not_run_but_do_blocks_are() {
        let text = "\
CREATE OR REPLACE FUNCTION purge() RETURNS void AS $$
BEGIN
  DROP TABLE scratch;
END;
$$ LANGUAGE plpgsql;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE column_name = 'email') THEN
    ALTER TABLE users DROP COLUMN email;
  END IF;
END
$$;
";
        assert_eq!(
            sql(text),
            vec![(
                K2::DropColumn,
                "DROP COLUMN email".to_string(),
                "drops column `email` of table `users`".to_string()
            )]
        );
    }

    #[test]
    fn sql_server_batches() {
        let text = "ALTER TABLE t DROP COLUMN a\nGO\nALTER TABLE u DROP COLUMN b\nGO\n";
        assert_eq!(spans(text), vec!["DROP COLUMN a", "DROP COLUMN b"]);
    }

    #[test]
    fn mysql_hash_comments_only_at_line_start() {
        let text =
            "# ALTER TABLE users DROP COLUMN email;\nSELECT 1 # 2;\nALTER TABLE `u` DROP `c`;";
        assert_eq!(spans(text), vec!["DROP `c`"]);
    }

    #[test]
    fn unterminated_constructs_do_not_panic() {
        for text in [
            "ALTER TABLE users DROP COLUMN 'x",
            "/* ALTER TABLE users DROP COLUMN x",
            "SELECT $$ DROP TABLE x",
            "SELECT $tag$ DROP TABLE x $ta",
            "ALTER TABLE \"users DROP COLUMN x",
            "ALTER TABLE [users DROP COLUMN x",
            "ALTER TABLE",
            "ALTER TABLE t DROP",
            "ALTER TABLE t RENAME COLUMN a TO",
            "DROP TABLE",
            "DELIMITER",
            "DELIMITER \n",
            "EXEC sp_rename",
            "DO $$",
            "DO $$ BEGIN ALTER TABLE",
            "E'",
            "$",
            "$a",
            "[",
            "é'",
        ] {
            let _ = sql(text);
        }
        // The unterminated quoted name still names the table.
        assert_eq!(
            spans("ALTER TABLE t DROP COLUMN \"x"),
            vec!["DROP COLUMN \"x"]
        );
    }

    #[test]
    fn unicode_names() {
        let text = "ALTER TABLE café DROP COLUMN naïve;";
        assert_eq!(
            sql(text),
            vec![(
                K2::DropColumn,
                "DROP COLUMN naïve".to_string(),
                "drops column `naïve` of table `café`".to_string()
            )]
        );
    }
}
