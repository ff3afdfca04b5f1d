//! Laravel migrations.
//!
//! A light PHP tokenizer: `//`, `#` and `/* */` comments (`#[...]` attributes are code),
//! `'...'` strings, `"..."` strings (`$var`, `{$...}`, `${...}` are holes), heredocs
//! `<<<SQL` / `<<<"SQL"` and nowdocs `<<<'SQL'` (closing marker possibly indented),
//! variables, `->`, `?->`, `::`, `=>`.
//!
//! Only code inside `function up()` is reported (not other methods; what `down()` does is kept
//! as evidence, see [`super::Found::rollback`]). Calls:
//! `Schema::table('t', function (Blueprint $table) {...})` (also `fn (...) =>`, and
//! `Schema::connection('x')->table(...)`) binds `$table` to `t`: `$table->dropColumn('c')`,
//! `dropColumn(['a', 'b'])`, `dropColumn('a', 'b')`, `dropColumnIfExists`, `renameColumn('a',
//! 'b')`, `dropTimestamps()`/`dropTimestampsTz()` (`created_at`, `updated_at`),
//! `dropSoftDeletes()` (`deleted_at`), `dropRememberToken()`, `dropMorphs('x')` (`x_type`,
//! `x_id`), `dropConstrainedForeignId('c')`, `dropConstrainedForeignIdFor(Model::class)`, and a
//! column chain with `->nullable(false)` and `->change()` (restates the column).
//! `dropForeign`, `dropIndex`, `dropUnique`, `dropPrimary` and `dropForeignIdFor` (which drops
//! only the constraint in some Laravel versions) are not reported. `Schema::drop('t')`,
//! `Schema::dropIfExists('t')`, `Schema::rename('a', 'b')`, `Schema::dropColumns('t', [...])`;
//! `DB::statement('SQL')` and `DB::unprepared('SQL')` run the SQL scanner.
//! `Schema::create('t', ...)` records `t` as created by the file.

use super::lex::{
    ident_end, is_ident_start, line_end, number_end, positional, punct_end, Arg, Interp, StrScan,
    Tok, Token, Tokens,
};

/// At most this many table bindings are kept (a budget against pathological input).
const MAX_BINDINGS: usize = 10_000;
use super::{sql, underline, Found, Hit};
use crate::span::Span;

const OPS: &[&str] = &[
    "->", "?->", "::", "=>", "===", "!==", "==", "!=", "<=", ">=", "&&", "||", "??", "...", ".=",
    "<=>",
];

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

fn tokenize(src: &str) -> Vec<Token<'_>> {
    let b = src.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let rest = &b[i..];
        if rest.starts_with(b"<?php") {
            i += 5;
            continue;
        }
        if rest.starts_with(b"<?=") || rest.starts_with(b"?>") {
            i += if rest.starts_with(b"<?=") { 3 } else { 2 };
            continue;
        }
        match c {
            c if c.is_ascii_whitespace() => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => i = line_end(b, i),
            b'#' if b.get(i + 1) != Some(&b'[') => i = line_end(b, i),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = src[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2);
            }
            b'\'' => {
                let scan = StrScan {
                    escapes: false,
                    escape_quote_only: true,
                    interp: Interp::None,
                };
                let (text, end) = scan.scan(src, i + 1, b"'", false);
                out.push(Token::new(Tok::Str(Box::new(text)), src, i, end));
                i = end;
            }
            b'"' => {
                let scan = StrScan {
                    escapes: true,
                    escape_quote_only: false,
                    interp: Interp::Php,
                };
                let (text, end) = scan.scan(src, i + 1, b"\"", false);
                out.push(Token::new(Tok::Str(Box::new(text)), src, i, end));
                i = end;
            }
            b'<' if rest.starts_with(b"<<<") => match heredoc(src, i) {
                Some((token, end)) => {
                    out.push(token);
                    i = end;
                }
                None => {
                    out.push(Token::new(Tok::Punct, src, i, i + 1));
                    i += 1;
                }
            },
            c if c.is_ascii_digit() => {
                let end = number_end(b, i);
                out.push(Token::new(Tok::Num, src, i, end));
                i = end;
            }
            b'$' if b.get(i + 1).is_some_and(|&n| is_ident_start(n)) => {
                let end = ident_end(b, i + 1);
                out.push(Token::new(Tok::Ident, src, i, end));
                i = end;
            }
            c if is_ident_start(c) => {
                let end = ident_end(b, i);
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

/// A heredoc or nowdoc starting at `i` (`<<<`): its token (spanning opener through closing
/// marker) and the offset after the closing marker.
fn heredoc(src: &str, i: usize) -> Option<(Token<'_>, usize)> {
    let b = src.as_bytes();
    let mut j = i + 3;
    while matches!(b.get(j), Some(b' ' | b'\t')) {
        j += 1;
    }
    let quote = match b.get(j) {
        Some(&q @ (b'\'' | b'"')) => {
            j += 1;
            Some(q)
        }
        _ => None,
    };
    if !b.get(j).is_some_and(|&c| is_ident_start(c)) {
        return None;
    }
    let tag_end = ident_end(b, j);
    let tag = &src[j..tag_end];
    let mut after = tag_end;
    if let Some(q) = quote {
        if b.get(after) != Some(&q) {
            return None;
        }
        after += 1;
    }
    let header_end = line_end(b, after);
    if !src[after..header_end].trim().is_empty() {
        return None;
    }
    let body_start = (header_end + 1).min(b.len());
    // The closing marker: a line whose first non-blank text is the tag, not followed by an
    // identifier character.
    let mut p = body_start;
    let (body_end, marker_end) = loop {
        if p >= b.len() {
            break (b.len(), b.len());
        }
        let end = line_end(b, p);
        let line = &src[p..end];
        let trimmed = line.trim_start_matches([' ', '\t']);
        let indent = line.len() - trimmed.len();
        if trimmed.starts_with(tag)
            && !trimmed[tag.len()..]
                .bytes()
                .next()
                .is_some_and(super::lex::is_ident_byte)
        {
            // The body ends before the line break preceding the marker line.
            let body_end = p.saturating_sub(1).max(body_start);
            break (body_end, p + indent + tag.len());
        }
        p = end + 1;
    };
    let scan = StrScan {
        escapes: quote != Some(b'\''),
        escape_quote_only: false,
        interp: if quote == Some(b'\'') {
            Interp::None
        } else {
            Interp::Php
        },
    };
    let (text, _) = scan.scan(&src[..body_end], body_start, b"", false);
    Some((
        Token::new(Tok::Str(Box::new(text)), src, i, marker_end),
        marker_end,
    ))
}

/// `Schema::table('t', function (Blueprint $table) { body })`.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    None,
    Up,
    Down,
}

impl<'a> Matcher<'a, '_> {
    /// Mark the tokens of `function up()` and `function down()` bodies.
    fn paint(&mut self) {
        let t = self.t;
        let mut painted_to = 0;
        for i in 0..t.len() {
            if !(t.is_ident(i, "function") && t.is_punct(i + 2, "(")) {
                continue;
            }
            let direction = match t.ident(i + 1) {
                Some("up") => Direction::Up,
                Some("down") => Direction::Down,
                _ => continue,
            };
            if let Some((s, e)) = self.block_after(t.closing(i + 2) + 1) {
                // Bodies nest or follow each other: paint each token once.
                let from = s.max(painted_to);
                let to = e.min(t.len());
                if from < to {
                    for d in &mut self.direction[from..to] {
                        *d = direction;
                    }
                    painted_to = to;
                }
            }
        }
    }

    /// The `{ body }` after a parameter list: `[use (...)] [: Type] { ... }`.
    fn block_after(&self, mut k: usize) -> Option<(usize, usize)> {
        let t = self.t;
        if t.is_ident(k, "use") && t.is_punct(k + 1, "(") {
            k = t.closing(k + 1) + 1;
        }
        if t.is_punct(k, ":") {
            while k < t.len() && !t.is_punct(k, "{") && !t.is_punct(k, ";") {
                k += 1;
            }
        }
        t.is_punct(k, "{").then(|| (k, t.closing(k)))
    }

    /// Whether the call whose method name is token `i` hangs off `Schema` (`Schema::x(`,
    /// `Schema::connection('y')->x(`).
    fn on_schema(&self, i: usize) -> bool {
        let t = self.t;
        let mut k = i;
        for _ in 0..16 {
            if k < 2
                || !(t.is_punct(k - 1, "::") || t.is_punct(k - 1, "->") || t.is_punct(k - 1, "?->"))
            {
                return false;
            }
            let mut r = k - 2;
            if t.is_punct(r, ")") {
                match t.open.get(r) {
                    Some(&o) if o != super::lex::NONE && o > 0 => r = o - 1,
                    _ => return false,
                }
            }
            match t.ident(r) {
                Some("Schema") if t.is_punct(r + 1, "::") => return true,
                Some(_) => k = r,
                None => return false,
            }
        }
        false
    }

    fn args_of(&self, i: usize) -> Option<(Vec<Arg>, usize)> {
        let t = self.t;
        if !t.is_punct(i + 1, "(") {
            return None;
        }
        let close = t.closing(i + 1);
        Some((t.args(i + 2, close, php_key), close))
    }

    /// The parameter and body of a closure at tokens `s..e`.
    fn closure(&self, s: usize, e: usize) -> Option<(String, (usize, usize))> {
        let t = self.t;
        let mut j = s;
        if t.is_ident(j, "static") {
            j += 1;
        }
        let arrow = t.is_ident(j, "fn");
        if !(arrow || t.is_ident(j, "function")) || !t.is_punct(j + 1, "(") {
            return None;
        }
        let close = t.closing(j + 1);
        let param = (j + 2..close)
            .filter_map(|k| t.ident(k))
            .rfind(|name| name.starts_with('$'))
            .unwrap_or("$this")
            .to_string();
        let body = if arrow {
            let mut k = close + 1;
            while k < e && !t.is_punct(k, "=>") {
                k += 1;
            }
            (k + 1, e)
        } else {
            self.block_after(close + 1)?
        };
        Some((param, body))
    }

    fn bind_tables(&mut self, found: &mut Found) {
        let t = self.t;
        // A closure taking a `Blueprint $x` anywhere (`$drop = fn (Blueprint $t) => ...;
        // Schema::table('pages', $drop);`): `$x` is a table of unknown name.
        for i in 0..t.len() {
            if !(t.is_ident(i, "fn") || t.is_ident(i, "function")) || !t.is_punct(i + 1, "(") {
                continue;
            }
            let close = t.closing(i + 1);
            let Some(param) = (i + 2..close)
                .find(|&k| t.is_ident(k, "Blueprint"))
                .and_then(|k| t.ident(k + 1))
                .filter(|p| p.starts_with('$'))
            else {
                continue;
            };
            let end = if t.is_ident(i, "fn") {
                // The arrow function's expression: to the end of its statement.
                (close..t.len())
                    .find(|&k| {
                        t.is_punct(k, ";") || (t.open[k] != super::lex::NONE && t.open[k] < i)
                    })
                    .unwrap_or(t.len())
            } else {
                self.block_after(close + 1).map_or(close, |(_, e)| e)
            };
            if self.bindings.len() < MAX_BINDINGS {
                self.bindings.push(Binding {
                    body: (close, end),
                    param: param.to_string(),
                    table: None,
                });
            }
        }
        for i in 0..t.len() {
            let Some(method) = t.ident(i) else {
                continue;
            };
            if !matches!(method, "table" | "create") || !self.on_schema(i) {
                continue;
            }
            let Some((args, _)) = self.args_of(i) else {
                continue;
            };
            let table = positional(&args, 0).and_then(|a| t.literal(a.start, a.end));
            if method == "create" {
                if let (Direction::Up, Some(table)) = (self.direction[i], &table) {
                    found.created(table.clone());
                }
                continue;
            }
            if let Some(callback) = positional(&args, 1) {
                if let Some((param, body)) = self.closure(callback.start, callback.end) {
                    if self.bindings.len() < MAX_BINDINGS {
                        self.bindings.push(Binding { body, param, table });
                    }
                }
            }
        }
    }

    /// The innermost binding of `receiver` around token `i`; a `Schema::table` binding (with
    /// its table name) wins over a bare `Blueprint` parameter of the same closure.
    fn binding_for(&self, receiver: &str, i: usize) -> Option<&Binding> {
        self.bindings
            .iter()
            .filter(|b| b.param == receiver && b.body.0 < i && i < b.body.1)
            .min_by_key(|b| (b.body.1 - b.body.0, b.table.is_none()))
    }

    /// Calls in `up()` are reported; calls in `down()` are kept as rollback evidence.
    fn calls(&self, found: &mut Found) {
        let t = self.t;
        let mut rollback = Found::default();
        for i in 2..t.len() {
            let target = match self.direction[i] {
                Direction::Up => &mut *found,
                Direction::Down => &mut rollback,
                Direction::None => continue,
            };
            let Some(method) = t.ident(i) else {
                continue;
            };
            let arrow = t.is_punct(i - 1, "->") || t.is_punct(i - 1, "?->");
            let static_call = t.is_punct(i - 1, "::");
            if !(arrow || static_call) {
                continue;
            }
            let Some((args, close)) = self.args_of(i) else {
                continue;
            };
            let receiver = t.ident(i - 2).unwrap_or("");
            let first = if t.ident(i - 2).is_some() {
                t.span(i - 2)
            } else {
                t.span(i)
            };
            let span = underline(self.src, first.join(t.span(i)), t.span(close));
            let lit = |n: usize| positional(&args, n).and_then(|a| t.literal(a.start, a.end));
            let hit = if let (true, Some(binding)) = (arrow, self.binding_for(receiver, i)) {
                let table = binding.table.clone();
                let columns = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
                match method {
                    "dropColumn" | "dropColumnIfExists" | "dropColumns" => {
                        let names: Vec<String> = args
                            .iter()
                            .flat_map(|a| t.literal_list(a.start, a.end).unwrap_or_default())
                            .collect();
                        Some(Hit::drop_columns(span, table, names))
                    }
                    "renameColumn" => Some(Hit::rename_column(span, table, lit(0), lit(1))),
                    "dropTimestamps" | "dropTimestampsTz" => Some(Hit::drop_columns(
                        span,
                        table,
                        columns(&["created_at", "updated_at"]),
                    )),
                    "dropSoftDeletes" | "dropSoftDeletesTz" => Some(Hit::drop_columns(
                        span,
                        table,
                        vec![lit(0).unwrap_or_else(|| "deleted_at".to_string())],
                    )),
                    "dropRememberToken" => {
                        Some(Hit::drop_columns(span, table, columns(&["remember_token"])))
                    }
                    "dropMorphs" => Some(Hit::drop_columns(
                        span,
                        table,
                        lit(0)
                            .map(|m| vec![format!("{m}_type"), format!("{m}_id")])
                            .unwrap_or_default(),
                    )),
                    "dropConstrainedForeignId" => {
                        Some(Hit::drop_columns(span, table, lit(0).into_iter().collect()))
                    }
                    "dropConstrainedForeignIdFor" => {
                        Some(Hit::drop_columns(span, table, lit(1).into_iter().collect()))
                    }
                    _ => self.not_null_chain(i, close, first, table),
                }
            } else if self.on_schema(i) {
                match method {
                    "drop" | "dropIfExists" => {
                        Some(Hit::drop_tables(span, lit(0).into_iter().collect()))
                    }
                    "rename" => Some(Hit::rename_table(span, lit(0), lit(1))),
                    "dropColumns" => Some(Hit::drop_columns(
                        span,
                        lit(0),
                        positional(&args, 1)
                            .and_then(|a| t.literal_list(a.start, a.end))
                            .unwrap_or_default(),
                    )),
                    _ => None,
                }
            } else {
                if matches!(method, "statement" | "unprepared") {
                    if let Some(a) = positional(&args, 0) {
                        if let Some(text) = t.string_expr(a.start, a.end) {
                            sql::scan_embedded(&text, target);
                        }
                    }
                }
                None
            };
            if let Some(hit) = hit {
                target.push(hit);
            }
        }
        found.add_rollback(rollback);
    }

    /// `$table->string('c')->nullable(false)->change()`.
    fn not_null_chain(
        &self,
        i: usize,
        close: usize,
        first: Span,
        table: Option<String>,
    ) -> Option<Hit> {
        let t = self.t;
        let column = t.args(i + 2, close, php_key);
        let column = positional(&column, 0).and_then(|a| t.literal(a.start, a.end));
        let mut not_null = false;
        let mut change = false;
        let mut end = close;
        let mut k = close + 1;
        while (t.is_punct(k, "->") || t.is_punct(k, "?->")) && t.is_punct(k + 2, "(") {
            let name = t.ident(k + 1)?;
            let call_close = t.closing(k + 2);
            let args = t.args(k + 3, call_close, php_key);
            match name {
                "nullable" => {
                    not_null = positional(&args, 0)
                        .is_some_and(|a| a.end == a.start + 1 && t.is_ident(a.start, "false"));
                }
                "change" => change = true,
                _ => {}
            }
            end = call_close;
            k = call_close + 1;
        }
        let callee = first.join(t.span(i));
        (not_null && change).then(|| {
            Hit::not_null(underline(self.src, callee, t.span(end)), table, column).restated()
        })
    }
}

/// PHP 8 named arguments: `name: value`.
fn php_key(t: &Tokens<'_>, s: usize) -> Option<(String, usize)> {
    let name = t.ident(s)?;
    (t.is_punct(s + 1, ":") && !name.starts_with('$')).then(|| (name.to_string(), s + 2))
}

#[cfg(test)]
mod tests {
    use super::super::{find, DestructiveKind as K};

    fn php(text: &str) -> Vec<(K, String, String)> {
        find(
            "database/migrations/2024_01_01_000000_change_users.php",
            text,
        )
        .into_iter()
        .map(|d| (d.kind, d.span.slice(text).to_string(), d.description))
        .collect()
    }

    #[test]
    fn up_counts_down_does_not() {
        let text = "<?php

use Illuminate\\Database\\Migrations\\Migration;
use Illuminate\\Database\\Schema\\Blueprint;
use Illuminate\\Support\\Facades\\Schema;

return new class extends Migration
{
    /**
     * Run the migrations. $table->dropColumn('in_doc_comment');
     */
    public function up(): void
    {
        Schema::table('users', function (Blueprint $table) {
            $table->dropColumn(['votes', 'avatar']);
            $table->renameColumn('from', 'to');
            $table->dropForeign(['org_id']);
            $table->dropIndex('users_email_index');
            $table->string('nickname')->nullable();
            $table->string('email', 100)->nullable(false)->change();
            $table->dropTimestamps();
        });
        Schema::dropIfExists('password_resets');
        Schema::rename('posts', 'articles');
    }

    public function down(): void
    {
        Schema::table('users', function (Blueprint $table) {
            $table->dropColumn('nickname');
        });
        Schema::drop('users');
    }
};
";
        assert_eq!(
            php(text),
            vec![
                (
                    K::DropColumn,
                    "$table->dropColumn(['votes', 'avatar'])".to_string(),
                    "drops columns `votes` and `avatar` of table `users`".to_string()
                ),
                (
                    K::RenameColumn,
                    "$table->renameColumn('from', 'to')".to_string(),
                    "renames column `from` of table `users` to `to`".to_string()
                ),
                (
                    K::SetNotNull,
                    "$table->string('email', 100)->nullable(false)->change()".to_string(),
                    "redefines column `email` of table `users` as NOT NULL".to_string()
                ),
                (
                    K::DropColumn,
                    "$table->dropTimestamps()".to_string(),
                    "drops columns `created_at` and `updated_at` of table `users`".to_string()
                ),
                (
                    K::DropTable,
                    "Schema::dropIfExists('password_resets')".to_string(),
                    "drops table `password_resets`".to_string()
                ),
                (
                    K::RenameTable,
                    "Schema::rename('posts', 'articles')".to_string(),
                    "renames table `posts` to `articles`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn arrow_functions_connections_and_sql() {
        let text = "<?php
class DropStuff extends Migration
{
    public function up()
    {
        Schema::connection('pgsql')->table('orders', fn (Blueprint $t) => $t->dropMorphs('owner'));
        DB::statement('ALTER TABLE orders ALTER COLUMN total SET NOT NULL');
        DB::unprepared(<<<'SQL'
            -- DROP TABLE in_a_comment;
            ALTER TABLE orders DROP COLUMN legacy;
            SQL);
        DB::statement(\"ALTER TABLE {$prefix}orders RENAME TO purchases\");
    }
}
";
        assert_eq!(
            php(text).into_iter().collect::<Vec<_>>(),
            vec![
                (
                    K::DropColumn,
                    "$t->dropMorphs('owner')".to_string(),
                    "drops columns `owner_type` and `owner_id` of table `orders`".to_string()
                ),
                (
                    K::SetNotNull,
                    "ALTER COLUMN total SET NOT NULL".to_string(),
                    "makes column `total` of table `orders` NOT NULL".to_string()
                ),
                (
                    K::DropColumn,
                    "DROP COLUMN legacy".to_string(),
                    "drops column `legacy` of table `orders`".to_string()
                ),
                (
                    K::RenameTable,
                    "RENAME TO purchases".to_string(),
                    "renames a table to `purchases`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn created_tables_and_additive_changes_are_silent() {
        let text = "<?php
return new class extends Migration {
    public function up(): void
    {
        Schema::create('flights', function (Blueprint $table) {
            $table->id();
            $table->string('name');
        });
        Schema::table('flights', function (Blueprint $table) {
            $table->dropColumn('name');
        });
        Schema::table('users', function (Blueprint $table) {
            $table->string('bio')->nullable()->change();
            $table->dropForeignIdFor(User::class);
            $table->dropUnique('users_email_unique');
            // $table->dropColumn('email');
            # $table->dropColumn('email');
        });
        $sql = 'DROP TABLE users';
    }
};
";
        assert_eq!(php(text), vec![]);
    }

    #[test]
    fn blueprint_closures_in_variables() {
        let text = "<?php
return new class extends Migration {
    public function up(): void
    {
        $dropRestricted = fn(Blueprint $table) => $table->dropColumn('restricted');
        Schema::table('pages', $dropRestricted);
        $rename = function (Blueprint $t) {
            $t->renameColumn('a', 'b');
        };
        Schema::table('books', $rename);
    }
    public function down(): void
    {
        $add = fn(Blueprint $table) => $table->dropColumn('other');
    }
};
";
        assert_eq!(
            php(text),
            vec![
                (
                    K::DropColumn,
                    "$table->dropColumn('restricted')".to_string(),
                    "drops column `restricted`".to_string()
                ),
                (
                    K::RenameColumn,
                    "$t->renameColumn('a', 'b')".to_string(),
                    "renames column `a` to `b`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn broken_php_does_not_panic() {
        for text in [
            "<?php function up() { Schema::table('u', function (Blueprint $t) { $t->dropColumn(",
            "<?php function up() { DB::statement(<<<SQL\nDROP TABLE x;\n",
            "<?php function up() { DB::statement(<<<",
            "<?php function up() { Schema::",
            "<?php function up() { \"{$",
            "<?php function up(",
            "<?php #[",
        ] {
            let _ = php(text);
        }
        assert_eq!(
            php("<?php function up() { DB::statement(<<<SQL\nDROP TABLE x;\n")[0].1,
            "DROP TABLE x"
        );
    }
}
