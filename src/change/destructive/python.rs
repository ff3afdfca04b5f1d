//! Django and Alembic migrations.
//!
//! A light Python tokenizer: `#` comments, strings with prefixes (`r`, `b`, `u`, `f` and
//! their combinations, any case), single- and triple-quoted, escapes decoded outside raw
//! strings, f-string `{...}` fields as holes; line breaks inside brackets or after `\` do not
//! end a logical line. Each logical line's indentation gives the `def` it belongs to.
//!
//! Django (`operations = [...]` of a `Migration`; nothing inside a `def`, which is `RunPython`
//! code, counts): `RemoveField(model_name, name)`, `RenameField(model_name, old_name,
//! new_name)`, `DeleteModel(name)`, `RenameModel(old_name, new_name)`,
//! `AlterModelTable(name, table)` (renames the model's table), `AlterField(..., field=
//! models.X(..., null=False))` (only an explicit `null=False`: Django's default is `null=False`
//! too, so an `AlterField` without `null` on a nullable field also makes it NOT NULL, but one
//! file cannot tell what the field was), `RunSQL(sql, reverse_sql)` (the SQL scanner on
//! `sql`: a string or a list of strings; `reverse_sql` is kept as rollback evidence, see
//! [`super::Found::rollback`]). Operations in `SeparateDatabaseAndState(
//! state_operations=[...])` change Django's state only, never the database: skipped.
//! `CreateModel(name)` records the model as created by the file.
//!
//! Alembic (only inside `def upgrade()`, and `upgrade_<name>()` of multi-database templates;
//! `downgrade()` is kept as rollback evidence):
//! `op.drop_column(table, column)`, `op.drop_table(table)`, `op.rename_table(old, new)`,
//! `op.alter_column(table, column, new_column_name=..., nullable=False)`, the same on a
//! `with op.batch_alter_table("t") as batch_op:` binding without the table argument,
//! `op.execute("SQL")` / `op.execute(sa.text("SQL"))` (the SQL scanner). `op.create_table`
//! records the table as created.

use std::collections::HashMap;

use super::lex::{
    argument, ident_end, is_ident_start, keyword, line_end, number_end, punct_end, Arg, Interp,
    StrScan, Tok, Token, Tokens,
};
use super::{sql, underline, Found, Hit};

const OPS: &[&str] = &[
    "==", "!=", "<=", ">=", "**", "//", "->", ":=", "+=", "-=", "*=", "/=", "**=", "...", "<<",
    ">>",
];

pub(super) fn scan_django(text: &str, found: &mut Found) {
    let tokens = Tokens::new(tokenize(text));
    let scopes = Scopes::new(text, &tokens);
    Django {
        src: text,
        t: &tokens,
        scopes: &scopes,
    }
    .run(found);
}

pub(super) fn scan_alembic(text: &str, found: &mut Found) {
    let tokens = Tokens::new(tokenize(text));
    let scopes = Scopes::new(text, &tokens);
    Alembic {
        src: text,
        t: &tokens,
        scopes: &scopes,
        batches: HashMap::new(),
    }
    .run(found);
}

/// The string prefix ending at a quote, if `word` is one.
fn string_prefix(word: &str) -> Option<(bool, bool)> {
    let lower = word.to_ascii_lowercase();
    let raw = lower.contains('r');
    let format = lower.contains('f') || lower.contains('t');
    let valid = matches!(
        lower.as_str(),
        "r" | "u" | "b" | "f" | "t" | "br" | "rb" | "fr" | "rf" | "tr" | "rt"
    );
    valid.then_some((raw, format))
}

fn tokenize(src: &str) -> Vec<Token<'_>> {
    let b = src.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                if depth == 0
                    && !matches!(
                        out.last(),
                        None | Some(Token {
                            tok: Tok::Newline,
                            ..
                        })
                    )
                {
                    out.push(Token::new(Tok::Newline, src, i, i + 1));
                }
                i += 1;
            }
            b' ' | b'\t' | b'\r' | 0x0c => i += 1,
            b'\\' if b.get(i + 1) == Some(&b'\n') => i += 2,
            b'\\' if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') => i += 3,
            b'#' => i = line_end(b, i),
            b'\'' | b'"' => i = string(src, i, i, false, false, &mut out),
            c if c.is_ascii_digit() => {
                let end = number_end(b, i);
                out.push(Token::new(Tok::Num, src, i, end));
                i = end;
            }
            c if is_ident_start(c) => {
                let end = ident_end(b, i);
                let word = &src[i..end];
                match (b.get(end), string_prefix(word)) {
                    (Some(b'\'' | b'"'), Some((raw, format))) => {
                        i = string(src, i, end, raw, format, &mut out);
                    }
                    _ => {
                        out.push(Token::new(Tok::Ident, src, i, end));
                        i = end;
                    }
                }
            }
            _ => {
                let end = punct_end(src, i, OPS);
                match c {
                    b'(' | b'[' | b'{' => depth += 1,
                    b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
                out.push(Token::new(Tok::Punct, src, i, end));
                i = end;
            }
        }
    }
    out
}

/// A string literal whose prefix starts at `start` and quote at `quote`; returns its end.
fn string<'a>(
    src: &'a str,
    start: usize,
    quote: usize,
    raw: bool,
    format: bool,
    out: &mut Vec<Token<'a>>,
) -> usize {
    let b = src.as_bytes();
    let q = b[quote];
    let triple = b.get(quote + 1) == Some(&q) && b.get(quote + 2) == Some(&q);
    let close: &[u8] = match (q, triple) {
        (b'"', true) => b"\"\"\"",
        (_, true) => b"'''",
        (b'"', false) => b"\"",
        _ => b"'",
    };
    let scan = StrScan {
        escapes: !raw,
        escape_quote_only: raw,
        interp: if format { Interp::Brace } else { Interp::None },
    };
    let body = quote + close.len();
    let (text, end) = scan.scan(src, body, close, !triple);
    out.push(Token::new(Tok::Str(Box::new(text)), src, start, end));
    end
}

fn python_key(t: &Tokens<'_>, s: usize) -> Option<(String, usize)> {
    let name = t.ident(s)?;
    t.is_punct(s + 1, "=").then(|| (name.to_string(), s + 2))
}

/// For every token, the innermost `def` holding it (by indentation).
struct Scopes {
    names: Vec<String>,
    /// Per token: index into `names`, or `usize::MAX` outside any `def`.
    owner: Vec<usize>,
}

impl Scopes {
    fn new(src: &str, t: &Tokens<'_>) -> Scopes {
        let b = src.as_bytes();
        let mut names = Vec::new();
        let mut owner = vec![usize::MAX; t.len()];
        let mut stack: Vec<(usize, usize)> = Vec::new(); // (indent, def index)
        let mut i = 0;
        while i < t.len() {
            let line_start = i;
            let mut line_end_tok = i;
            while line_end_tok < t.len() && !t.is_newline(line_end_tok) {
                line_end_tok += 1;
            }
            if line_start < line_end_tok {
                let indent = column(b, t.span(line_start).start);
                while stack.last().is_some_and(|&(ind, _)| ind >= indent) {
                    stack.pop();
                }
                let current = stack.last().map_or(usize::MAX, |&(_, d)| d);
                for o in &mut owner[line_start..line_end_tok] {
                    *o = current;
                }
                let def_at = if t.is_ident(line_start, "def") {
                    Some(line_start)
                } else if t.is_ident(line_start, "async") && t.is_ident(line_start + 1, "def") {
                    Some(line_start + 1)
                } else {
                    None
                };
                if let Some(d) = def_at {
                    let index = names.len();
                    names.push(t.text(d + 1).to_string());
                    stack.push((indent, index));
                    // A one-line body after the signature's `:` belongs to the def.
                    let mut k = d + 2;
                    if t.is_punct(k, "(") {
                        k = t.closing(k) + 1;
                    }
                    while k < line_end_tok && !t.is_punct(k, ":") {
                        k += 1;
                    }
                    for o in owner.iter_mut().take(line_end_tok).skip(k + 1) {
                        *o = index;
                    }
                }
            }
            i = line_end_tok + 1;
        }
        Scopes { names, owner }
    }

    fn def_name(&self, i: usize) -> Option<&str> {
        let d = *self.owner.get(i)?;
        self.names.get(d).map(String::as_str)
    }
}

/// The column of byte `at` (bytes since the line start; a tab counts as 8, like Python).
fn column(b: &[u8], at: usize) -> usize {
    let start = b[..at]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    b[start..at].iter().fold(0, |col, &c| {
        if c == b'\t' {
            (col / 8 + 1) * 8
        } else {
            col + 1
        }
    })
}

/// The call starting with the name at `i` (`name(`): its arguments and closing paren.
fn call_at(t: &Tokens<'_>, i: usize) -> Option<(Vec<Arg>, usize)> {
    if !t.is_punct(i + 1, "(") {
        return None;
    }
    let close = t.closing(i + 1);
    Some((t.args(i + 2, close, python_key), close))
}

fn is_false(t: &Tokens<'_>, arg: Option<&Arg>) -> bool {
    arg.is_some_and(|a| a.end == a.start + 1 && t.is_ident(a.start, "False"))
}

/// The SQL an `execute`/`RunSQL` argument holds: a string, `text("...")`/`sa.text("...")`,
/// or a list/tuple of those (or of `(sql, params)` pairs).
fn sql_strings(t: &Tokens<'_>, arg: &Arg, found: &mut Found) {
    if let Some(text) = t.string_expr(arg.start, arg.end) {
        sql::scan_embedded(&text, found);
        return;
    }
    let first = t.skip_newlines(arg.start);
    // text("...") / sa.text("...")
    let mut k = first;
    while t.ident(k).is_some() && t.is_punct(k + 1, ".") {
        k += 2;
    }
    if t.ident(k).is_some_and(|n| n == "text") && t.is_punct(k + 1, "(") {
        let close = t.closing(k + 1);
        if let Some(text) = t.string_expr(k + 2, close) {
            sql::scan_embedded(&text, found);
        }
        return;
    }
    if t.is_punct(first, "[") || t.is_punct(first, "(") {
        let close = t.closing(first);
        for (s, e) in t.split_commas(first + 1, close) {
            let inner = Arg {
                key: None,
                start: s,
                end: e,
            };
            let s = t.skip_newlines(s);
            if t.is_punct(s, "(") {
                // (sql, params)
                let c = t.closing(s);
                if let Some(&(a, b)) = t.split_commas(s + 1, c).first() {
                    if let Some(text) = t.string_expr(a, b) {
                        sql::scan_embedded(&text, found);
                    }
                }
            } else if let Some(text) = t.string_expr(inner.start, inner.end) {
                sql::scan_embedded(&text, found);
            }
        }
    }
}

struct Django<'a, 't> {
    src: &'a str,
    t: &'t Tokens<'a>,
    scopes: &'t Scopes,
}

const DJANGO_OPERATIONS: &[&str] = &[
    "RemoveField",
    "RenameField",
    "DeleteModel",
    "RenameModel",
    "AlterModelTable",
    "AlterField",
    "RunSQL",
    "CreateModel",
    "SeparateDatabaseAndState",
];

impl Django<'_, '_> {
    fn run(&self, found: &mut Found) {
        let t = self.t;
        // Token ranges of `state_operations=[...]`: Django state only.
        let mut state_only: Vec<(usize, usize)> = Vec::new();
        for i in 0..t.len() {
            let Some(name) = t.ident(i) else {
                continue;
            };
            if !DJANGO_OPERATIONS.contains(&name) || self.scopes.def_name(i).is_some() {
                continue;
            }
            let qualified = i >= 2 && t.is_punct(i - 1, ".");
            if qualified && !t.is_ident(i - 2, "migrations") {
                continue;
            }
            if state_only.iter().any(|&(s, e)| s <= i && i < e) {
                continue;
            }
            let Some((args, close)) = call_at(t, i) else {
                continue;
            };
            let first = if qualified { t.span(i - 2) } else { t.span(i) };
            let callee = first.join(t.span(i));
            let span = underline(self.src, callee, t.span(close));
            let lit = |arg: Option<&Arg>| arg.and_then(|a| t.literal(a.start, a.end));
            let hit = match name {
                "RemoveField" => Some(Hit::drop_columns(
                    span,
                    lit(argument(&args, "model_name", 0)),
                    lit(argument(&args, "name", 1)).into_iter().collect(),
                )),
                "RenameField" => Some(Hit::rename_column(
                    span,
                    lit(argument(&args, "model_name", 0)),
                    lit(argument(&args, "old_name", 1)),
                    lit(argument(&args, "new_name", 2)),
                )),
                "DeleteModel" => Some(Hit::drop_tables(
                    span,
                    lit(argument(&args, "name", 0)).into_iter().collect(),
                )),
                "RenameModel" => Some(Hit::rename_table(
                    span,
                    lit(argument(&args, "old_name", 0)),
                    lit(argument(&args, "new_name", 1)),
                )),
                "AlterModelTable" => {
                    let model = lit(argument(&args, "name", 0));
                    let table = lit(argument(&args, "table", 1));
                    let description = match (&model, &table) {
                        (Some(m), Some(to)) => {
                            format!("renames the table of model `{m}` to `{to}`")
                        }
                        (Some(m), None) => format!("renames the table of model `{m}`"),
                        (None, Some(to)) => format!("renames a model's table to `{to}`"),
                        (None, None) => "renames a model's table".to_string(),
                    };
                    Some(Hit::rename_table(span, None, table).described(description))
                }
                "AlterField" => {
                    let field = argument(&args, "field", 2);
                    field.and_then(|f| self.explicit_not_null(f)).map(|_| {
                        Hit::not_null(
                            span,
                            lit(argument(&args, "model_name", 0)),
                            lit(argument(&args, "name", 1)),
                        )
                    })
                }
                "RunSQL" => {
                    if let Some(sql_arg) = argument(&args, "sql", 0) {
                        sql_strings(t, sql_arg, found);
                    }
                    if let Some(reverse) = argument(&args, "reverse_sql", 1) {
                        let mut rollback = Found::default();
                        sql_strings(t, reverse, &mut rollback);
                        found.add_rollback(rollback);
                    }
                    None
                }
                "CreateModel" => {
                    if let Some(model) = lit(argument(&args, "name", 0)) {
                        found.created(model);
                    }
                    None
                }
                "SeparateDatabaseAndState" => {
                    if let Some(state) = argument(&args, "state_operations", 1) {
                        state_only.push((state.start, state.end));
                    }
                    None
                }
                _ => None,
            };
            if let Some(hit) = hit {
                found.push(hit.models());
            }
        }
    }

    /// Whether a field expression (`models.CharField(max_length=5, null=False)`) says
    /// `null=False` explicitly.
    fn explicit_not_null(&self, field: &Arg) -> Option<()> {
        let t = self.t;
        let open = (field.start..field.end).find(|&k| t.is_punct(k, "("))?;
        let args = t.args(open + 1, t.closing(open), python_key);
        is_false(t, keyword(&args, "null")).then_some(())
    }
}

struct Alembic<'a, 't> {
    src: &'a str,
    t: &'t Tokens<'a>,
    scopes: &'t Scopes,
    /// `with op.batch_alter_table("t") as batch_op:` bindings: name to table.
    batches: HashMap<String, Option<String>>,
}

impl Alembic<'_, '_> {
    fn run(&mut self, found: &mut Found) {
        let t = self.t;
        // What `downgrade()` does: evidence only (see `Found::rollback`).
        let mut rollback = Found::default();
        for i in 0..t.len() {
            let Some(name) = t.ident(i) else {
                continue;
            };
            if !(i >= 2 && t.is_punct(i - 1, ".")) {
                continue;
            }
            let target = match self.scopes.def_name(i) {
                Some(d) if d.starts_with("upgrade") => &mut *found,
                Some(d) if d.starts_with("downgrade") => &mut rollback,
                _ => continue,
            };
            let Some((args, close)) = call_at(t, i) else {
                continue;
            };
            let receiver = t.ident(i - 2).unwrap_or("");
            let lit = |arg: Option<&Arg>| arg.and_then(|a| t.literal(a.start, a.end));
            if name == "batch_alter_table" {
                if t.is_ident(close + 1, "as") {
                    if let Some(binding) = t.ident(close + 2) {
                        let table = lit(argument(&args, "table_name", 0));
                        self.batches.insert(binding.to_string(), table);
                    }
                }
                continue;
            }
            let first = if t.ident(i - 2).is_some() {
                t.span(i - 2)
            } else {
                t.span(i)
            };
            let span = underline(self.src, first.join(t.span(i)), t.span(close));
            // In a batch, the table is the batch's and arguments shift by one.
            let (table, shift) = match self.batches.get(receiver) {
                Some(table) => (table.clone(), 0),
                None => (lit(argument(&args, "table_name", 0)), 1),
            };
            let hits: Vec<Hit> = match name {
                "drop_column" => vec![Hit::drop_columns(
                    span,
                    table,
                    lit(argument(&args, "column_name", shift))
                        .into_iter()
                        .collect(),
                )],
                "drop_table" if shift == 1 => vec![Hit::drop_tables(
                    span,
                    lit(argument(&args, "table_name", 0)).into_iter().collect(),
                )],
                "rename_table" if shift == 1 => vec![Hit::rename_table(
                    span,
                    lit(argument(&args, "old_table_name", 0)),
                    lit(argument(&args, "new_table_name", 1)),
                )],
                "alter_column" => {
                    let column = lit(argument(&args, "column_name", shift));
                    let mut hits = Vec::new();
                    if let Some(new) = keyword(&args, "new_column_name") {
                        hits.push(Hit::rename_column(
                            span,
                            table.clone(),
                            column.clone(),
                            lit(Some(new)),
                        ));
                    }
                    if is_false(t, keyword(&args, "nullable")) {
                        hits.push(Hit::not_null(span, table, column));
                    }
                    hits
                }
                "execute" => {
                    if let Some(arg) = argument(&args, "sqltext", 0) {
                        sql_strings(t, arg, target);
                    }
                    Vec::new()
                }
                "create_table" if shift == 1 => {
                    if let Some(table) = lit(argument(&args, "table_name", 0)) {
                        target.created(table);
                    }
                    Vec::new()
                }
                _ => Vec::new(),
            };
            for hit in hits {
                target.push(hit);
            }
        }
        found.add_rollback(rollback);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{find, DestructiveKind as K};

    fn run(path: &str, text: &str) -> Vec<(K, String, String)> {
        find(path, text)
            .into_iter()
            .map(|d| (d.kind, d.span.slice(text).to_string(), d.description))
            .collect()
    }

    fn django(text: &str) -> Vec<(K, String, String)> {
        run("shop/migrations/0042_auto.py", text)
    }

    fn alembic(text: &str) -> Vec<(K, String, String)> {
        run("alembic/versions/3f2a_drop_email.py", text)
    }

    #[test]
    fn django_operations() {
        let text = r#"from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [("shop", "0041_previous")]

    operations = [
        migrations.RemoveField(
            model_name="order",
            name="legacy_code",
        ),
        migrations.RenameField("order", "total", "total_cents"),
        migrations.DeleteModel(name="Coupon"),
        migrations.RenameModel(old_name="Basket", new_name="Cart"),
        migrations.AlterField(
            model_name="order",
            name="email",
            field=models.EmailField(max_length=254, null=False),
        ),
        migrations.AlterModelTable(name="order", table="orders"),
    ]
"#;
        assert_eq!(
            django(text),
            vec![
                (
                    K::DropColumn,
                    "migrations.RemoveField".to_string(),
                    "drops field `legacy_code` of model `order`".to_string()
                ),
                (
                    K::RenameColumn,
                    "migrations.RenameField(\"order\", \"total\", \"total_cents\")".to_string(),
                    "renames field `total` of model `order` to `total_cents`".to_string()
                ),
                (
                    K::DropTable,
                    "migrations.DeleteModel(name=\"Coupon\")".to_string(),
                    "deletes model `Coupon` and drops its table".to_string()
                ),
                (
                    K::RenameTable,
                    "migrations.RenameModel(old_name=\"Basket\", new_name=\"Cart\")".to_string(),
                    "renames model `Basket` to `Cart` (and its table)".to_string()
                ),
                (
                    K::SetNotNull,
                    "migrations.AlterField".to_string(),
                    "makes field `email` of model `order` NOT NULL".to_string()
                ),
                (
                    K::RenameTable,
                    "migrations.AlterModelTable(name=\"order\", table=\"orders\")".to_string(),
                    "renames the table of model `order` to `orders`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn django_additive_and_state_only() {
        let text = r#"from django.db import migrations, models


def forwards(apps, schema_editor):
    migrations.RemoveField(model_name="x", name="y")  # not an operation


class Migration(migrations.Migration):
    operations = [
        migrations.AddField(
            model_name="order",
            name="note",
            field=models.TextField(null=True),
        ),
        migrations.AlterField(
            model_name="order",
            name="email",
            field=models.EmailField(max_length=320),
        ),
        # migrations.RemoveField(model_name="order", name="old"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="order", name="legacy"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RunSQL(
            "CREATE INDEX CONCURRENTLY idx ON shop_order (note)",
            reverse_sql="DROP INDEX idx; DROP TABLE shop_order",
        ),
        migrations.CreateModel(name="Scratch", fields=[]),
        migrations.RemoveField(model_name="scratch", name="x"),
    ]
"#;
        assert_eq!(django(text), vec![]);
    }

    #[test]
    fn django_run_sql() {
        let text = r#"from django.db import migrations

class Migration(migrations.Migration):
    operations = [
        migrations.RunSQL(
            sql=[
                "ALTER TABLE shop_order DROP COLUMN legacy",
                ("ALTER TABLE shop_order ALTER COLUMN email SET NOT NULL", []),
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RunSQL("ALTER TABLE a "
                          "RENAME TO b"),
    ]
"#;
        assert_eq!(
            django(text)
                .into_iter()
                .map(|(k, s, _)| (k, s))
                .collect::<Vec<_>>(),
            vec![
                (K::DropColumn, "DROP COLUMN legacy".to_string()),
                (K::SetNotNull, "ALTER COLUMN email SET NOT NULL".to_string()),
                (K::RenameTable, "RENAME TO b".to_string()),
            ]
        );
    }

    #[test]
    fn alembic_upgrade_only() {
        let text = r#""""drop email

Revision ID: 3f2a
"""
from alembic import op
import sqlalchemy as sa

revision = "3f2a"
down_revision = "1b1b"


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_column("users", "email")
    op.alter_column("users", "name", existing_type=sa.String(), nullable=False)
    op.alter_column("users", "fullname", new_column_name="display_name")
    op.drop_table("legacy_sessions")
    op.rename_table("orders", "purchases")
    op.execute("ALTER TABLE users DROP COLUMN fax")
    op.execute(sa.text("UPDATE users SET name = 'DROP TABLE x'"))
    op.add_column("users", sa.Column("nickname", sa.String(), nullable=True))
    op.drop_index("ix_users_email", table_name="users")
    op.drop_constraint("fk_x", "users", type_="foreignkey")


def downgrade() -> None:
    op.drop_column("users", "nickname")
    op.drop_table("users")
"#;
        assert_eq!(
            alembic(text)
                .into_iter()
                .collect::<Vec<_>>(),
            vec![
                (
                    K::DropColumn,
                    "op.drop_column(\"users\", \"email\")".to_string(),
                    "drops column `email` of table `users`".to_string()
                ),
                (
                    K::SetNotNull,
                    "op.alter_column(\"users\", \"name\", existing_type=sa.String(), nullable=False)"
                        .to_string(),
                    "makes column `name` of table `users` NOT NULL".to_string()
                ),
                (
                    K::RenameColumn,
                    "op.alter_column(\"users\", \"fullname\", new_column_name=\"display_name\")"
                        .to_string(),
                    "renames column `fullname` of table `users` to `display_name`".to_string()
                ),
                (
                    K::DropTable,
                    "op.drop_table(\"legacy_sessions\")".to_string(),
                    "drops table `legacy_sessions`".to_string()
                ),
                (
                    K::RenameTable,
                    "op.rename_table(\"orders\", \"purchases\")".to_string(),
                    "renames table `orders` to `purchases`".to_string()
                ),
                (
                    K::DropColumn,
                    "DROP COLUMN fax".to_string(),
                    "drops column `fax` of table `users`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn alembic_batch_operations() {
        let text = r#"from alembic import op

revision = "x"
down_revision = None

def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email")
        batch_op.alter_column("name", nullable=False, new_column_name="full_name")
        batch_op.add_column(sa.Column("x", sa.Integer()))

def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("x")
"#;
        assert_eq!(
            alembic(text)
                .into_iter()
                .map(|(k, _, d)| (k, d))
                .collect::<Vec<_>>(),
            vec![
                (
                    K::DropColumn,
                    "drops column `email` of table `users`".to_string()
                ),
                (
                    K::RenameColumn,
                    "renames column `name` of table `users` to `full_name`".to_string()
                ),
                (
                    K::SetNotNull,
                    "makes column `name` of table `users` NOT NULL".to_string()
                ),
            ]
        );
    }

    #[test]
    fn alembic_detection_and_created_tables() {
        // Flask-Migrate layout, a table created and dropped in the same upgrade.
        let text = "def upgrade():\n    op.create_table('tmp', sa.Column('id', sa.Integer()))\n    op.drop_table('tmp')\n\n\ndef downgrade():\n    pass\n";
        assert_eq!(run("migrations/versions/abc_.py", text), vec![]);
        let text = "def upgrade():\n    op.drop_table('users')\n";
        assert_eq!(run("migrations/versions/abc_.py", text).len(), 1);
        // Helper functions are not upgrade().
        let text = "revision = '1'\ndown_revision = None\n\ndef _helper():\n    op.drop_table('users')\n\ndef upgrade():\n    pass\n";
        assert_eq!(run("alembic/versions/abc.py", text), vec![]);
    }

    #[test]
    fn strings_and_comments_do_not_trigger() {
        let text = r#"
def upgrade():
    """op.drop_column("users", "email")"""
    # op.drop_table("users")
    print('op.drop_table("users")')
    x = f"{op.drop_table('users')}"
"#;
        assert_eq!(alembic(text), vec![]);
    }

    #[test]
    fn broken_python_does_not_panic() {
        for text in [
            "def upgrade():\n    op.drop_column(\"users\"",
            "def upgrade():\n    op.execute('''ALTER TABLE x DROP COLUMN y",
            "def upgrade(:\n",
            "operations = [migrations.RemoveField(",
            "migrations.AlterField(field=models.X(",
            "def",
            "\tdef upgrade():\n\t\top.drop_table('a')\n",
            "rb'",
            "f'{",
        ] {
            let _ = alembic(text);
            let _ = django(text);
        }
        assert_eq!(
            alembic("def upgrade():\n    op.execute('''ALTER TABLE x DROP COLUMN y")[0].1,
            "DROP COLUMN y"
        );
    }
}
