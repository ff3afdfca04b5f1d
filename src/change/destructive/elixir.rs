//! Ecto migrations.
//!
//! A light Elixir tokenizer: `#` comments, `"..."` strings and `"""` heredocs (`#{}` are
//! holes), charlists, sigils (`~s(...)`, `~S"""..."""`; lower-case sigils interpolate), atoms
//! (`:users`, `:"users"`), keyword labels (`null:`), character literals (`?a`).
//!
//! Structure: `do ... end` and `fn ... end` blocks, and `def up, do: ...` one-liners. Only
//! calls inside `def up` or `def change` are reported (not other functions; what `def down`
//! and the down SQL of `execute(up, down)` do is kept as evidence, see
//! [`super::Found::rollback`]).
//!
//! Calls: in `alter table(:t) do ... end`: `remove :c` (with or without type and options),
//! `remove_if_exists :c, :type`, `modify :c, :type, null: false` (Ecto only touches
//! nullability when `null:` is given; not when `from: {:type, null: false}` says the column
//! was NOT NULL already); `rename table(:t), :a, to: :b`, `rename table(:a),
//! to: table(:b)`, `drop table(:t)`, `drop_if_exists table(:t)` (`drop index(...)` and
//! `drop constraint(...)` are not reported); `execute "SQL"` and `execute("up SQL", "down
//! SQL")` run the SQL scanner on the first string. `create table(:t)` (with or without a
//! block) records `t` as created by the file.

use super::lex::{
    argument, ident_end, is_ident_start, keyword, line_end, number_end, positional, punct_end, Arg,
    Interp, StrScan, Tok, Token, Tokens, MAX_ARG_TOKENS, MAX_FRAMES_SEARCHED, NONE,
};
use super::{sql, underline, Found, Hit};

const OPS: &[&str] = &[
    "|>", "->", "=>", "::", "\\\\", "<>", "++", "--", "===", "==", "!=", "&&", "||", "<-", "..",
    "<=", ">=",
];

/// How far back a block's head (`alter table(:users) do`) is looked for.
const MAX_HEAD_TOKENS: usize = 256;

pub(super) fn scan(text: &str, found: &mut Found) {
    let tokens = Tokens::new(tokenize(text));
    Matcher {
        src: text,
        t: &tokens,
        stack: Vec::new(),
    }
    .run(found);
}

fn interpolating() -> StrScan {
    StrScan {
        escapes: true,
        escape_quote_only: false,
        interp: Interp::Hash,
    }
}

fn raw() -> StrScan {
    StrScan {
        escapes: false,
        escape_quote_only: true,
        interp: Interp::None,
    }
}

fn tokenize(src: &str) -> Vec<Token<'_>> {
    let b = src.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                out.push(Token::new(Tok::Newline, src, i, i + 1));
                i += 1;
            }
            c if c.is_ascii_whitespace() => i += 1,
            b'#' => i = line_end(b, i),
            b'"' | b'\'' => {
                let (text, end) = quoted(src, i + 1, c, c == b'"');
                push_string(src, &mut out, i, end, text);
                i = end;
            }
            b'~' if b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) => {
                i = sigil(src, i, &mut out);
            }
            b'?' if b.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) => {
                // A character literal `?a` (`?\n` too).
                let len = if b[i + 1] == b'\\' { 2 } else { 1 };
                let end = (i + 1 + len).min(b.len());
                let end = (end..=b.len())
                    .find(|&e| src.is_char_boundary(e))
                    .unwrap_or(b.len());
                out.push(Token::new(Tok::Num, src, i, end));
                i = end;
            }
            b':' if b.get(i + 1) == Some(&b':') => {
                out.push(Token::new(Tok::Punct, src, i, i + 2));
                i += 2;
            }
            b':' if matches!(b.get(i + 1), Some(b'"' | b'\'')) => {
                let q = b[i + 1];
                let (text, end) = quoted(src, i + 2, q, q == b'"');
                out.push(Token::new(Tok::Sym(text.as_str().to_string()), src, i, end));
                i = end;
            }
            b':' if b.get(i + 1).is_some_and(|&c| is_ident_start(c)) => {
                let mut end = ident_end(b, i + 1);
                if matches!(b.get(end), Some(b'?' | b'!')) {
                    end += 1;
                }
                out.push(Token::new(
                    Tok::Sym(src[i + 1..end].to_string()),
                    src,
                    i,
                    end,
                ));
                i = end;
            }
            c if c.is_ascii_digit() => {
                let end = number_end(b, i);
                out.push(Token::new(Tok::Num, src, i, end));
                i = end;
            }
            c if is_ident_start(c) => {
                let mut end = ident_end(b, i);
                if matches!(b.get(end), Some(b'?' | b'!')) {
                    end += 1;
                }
                if b.get(end) == Some(&b':')
                    && b.get(end + 1).is_none_or(|c| c.is_ascii_whitespace())
                {
                    out.push(Token::new(
                        Tok::Label(src[i..end].to_string()),
                        src,
                        i,
                        end + 1,
                    ));
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

/// A `"..."`/`'...'` literal whose body starts at `start` (or a `"""` heredoc when the body
/// starts with two more quotes); returns the text and the end.
fn quoted(src: &str, start: usize, q: u8, interpolates: bool) -> (crate::span::MappedText, usize) {
    let b = src.as_bytes();
    let scan = if interpolates { interpolating() } else { raw() };
    if b.get(start) == Some(&q) && b.get(start + 1) == Some(&q) {
        let close = [q, q, q];
        let body = (line_end(b, start) + 1).min(b.len());
        return scan.scan(src, body, &close, false);
    }
    scan.scan(src, start, &[q], false)
}

fn push_string<'a>(
    src: &'a str,
    out: &mut Vec<Token<'a>>,
    start: usize,
    end: usize,
    text: crate::span::MappedText,
) {
    let b = src.as_bytes();
    if b.get(end) == Some(&b':') && b.get(end + 1).is_some_and(|c| c.is_ascii_whitespace()) {
        out.push(Token::new(
            Tok::Label(text.as_str().to_string()),
            src,
            start,
            end + 1,
        ));
    } else {
        out.push(Token::new(Tok::Str(Box::new(text)), src, start, end));
    }
}

/// A sigil at `i` (`~s(...)`, `~S"""..."""`); returns its end.
fn sigil<'a>(src: &'a str, i: usize, out: &mut Vec<Token<'a>>) -> usize {
    let b = src.as_bytes();
    let mut j = i + 1;
    while j < b.len() && b[j].is_ascii_alphanumeric() {
        j += 1;
    }
    let interpolates = b[i + 1].is_ascii_lowercase();
    let Some(&open) = b.get(j) else {
        out.push(Token::new(Tok::Punct, src, i, i + 1));
        return i + 1;
    };
    let close = match open {
        b'(' => b')',
        b'[' => b']',
        b'{' => b'}',
        b'<' => b'>',
        b'/' | b'|' | b'"' | b'\'' => open,
        _ => {
            out.push(Token::new(Tok::Punct, src, i, i + 1));
            return i + 1;
        }
    };
    let (text, mut end) = if matches!(open, b'"' | b'\'') {
        quoted(src, j + 1, open, interpolates)
    } else {
        let scan = if interpolates { interpolating() } else { raw() };
        scan.scan(src, j + 1, &[close], false)
    };
    while end < b.len() && b[end].is_ascii_alphabetic() {
        end += 1;
    }
    out.push(Token::new(Tok::Str(Box::new(text)), src, i, end));
    end
}

#[derive(Debug, Clone)]
enum Frame {
    Def { name: String, until: Option<usize> },
    Alter(Option<String>),
    Other,
}

struct Matcher<'a, 't> {
    src: &'a str,
    t: &'t Tokens<'a>,
    stack: Vec<Frame>,
}

fn elixir_key(t: &Tokens<'_>, s: usize) -> Option<(String, usize)> {
    match &t.v.get(s)?.tok {
        Tok::Label(name) => Some((name.clone(), s + 1)),
        _ => None,
    }
}

impl<'a> Matcher<'a, '_> {
    fn run(&mut self, found: &mut Found) {
        let t = self.t;
        // What `def down` does: evidence only (see `Found::rollback`).
        let mut rollback = Found::default();
        for i in 0..t.len() {
            // One-line `def up, do: ...` bodies end with their statement.
            while matches!(self.stack.last(), Some(Frame::Def { until: Some(u), .. }) if *u < i) {
                self.stack.pop();
            }
            let after_dot = i > 0 && t.is_punct(i - 1, ".");
            match (&t.v[i].tok, t.text(i)) {
                (Tok::Ident, "do") if !after_dot => {
                    let frame = self.head_frame(i, found);
                    self.stack.push(frame);
                }
                (Tok::Ident, "fn") if !after_dot => self.stack.push(Frame::Other),
                (Tok::Ident, "end") if !after_dot => {
                    self.stack.pop();
                }
                (Tok::Label(label), _) if label == "do" => {
                    if let Frame::Def { name, .. } = self.head_frame(i, found) {
                        let until = self.statement_end(i);
                        self.stack.push(Frame::Def {
                            name,
                            until: Some(until),
                        });
                    }
                }
                (Tok::Ident, name) if !after_dot && starts_call(t, i) => {
                    self.call(i, name, found, &mut rollback);
                }
                _ => {}
            }
        }
        found.add_rollback(rollback);
    }

    /// Where the statement holding token `i` starts (within [`MAX_HEAD_TOKENS`]).
    fn statement_start(&self, i: usize) -> usize {
        let t = self.t;
        let mut j = i;
        let mut steps = 0;
        while j > 0 && steps < MAX_HEAD_TOKENS {
            steps += 1;
            let p = j - 1;
            if t.is_newline(p) {
                if p > 0 && (t.is_punct(p - 1, ",") || t.is_punct(p - 1, "|>")) {
                    j = p;
                    continue;
                }
                break;
            }
            if t.open[p] != NONE {
                j = t.open[p];
                continue;
            }
            if t.close[p] != NONE {
                break;
            }
            j = p;
        }
        t.skip_newlines(j)
    }

    /// The index after the last token of the statement holding `i`.
    fn statement_end(&self, i: usize) -> usize {
        let t = self.t;
        let mut k = i;
        let limit = t.len().min(i + MAX_ARG_TOKENS);
        while k < limit {
            if t.close[k] != NONE {
                k = t.closing(k) + 1;
                continue;
            }
            if t.is_newline(k) && !(k > 0 && t.is_punct(k - 1, ",")) {
                break;
            }
            k += 1;
        }
        k
    }

    /// The frame a `do` at `i` opens, from its statement's head.
    fn head_frame(&self, i: usize, found: &mut Found) -> Frame {
        let t = self.t;
        let s = self.statement_start(i);
        match t.ident(s) {
            Some("def" | "defp") => {
                let name = t.ident(s + 1).unwrap_or("").to_string();
                Frame::Def { name, until: None }
            }
            Some("alter") => match self.table_at(s + 1) {
                Some(table) => Frame::Alter(table),
                None => Frame::Other,
            },
            Some("create" | "create_if_not_exists") => {
                if let (true, Some(Some(table))) = (self.active(), self.table_at(s + 1)) {
                    found.created(table);
                }
                Frame::Other
            }
            _ => Frame::Other,
        }
    }

    /// `table(:t)` / `table("t", prefix: ...)` at `k` (or `(table(:t))`): `Some(name)`.
    fn table_at(&self, k: usize) -> Option<Option<String>> {
        let t = self.t;
        let k = if t.is_punct(k, "(") { k + 1 } else { k };
        if !(t.is_ident(k, "table") && t.is_punct(k + 1, "(")) {
            return None;
        }
        let close = t.closing(k + 1);
        let args = t.args(k + 2, close, elixir_key);
        Some(positional(&args, 0).and_then(|a| t.literal(a.start, a.end)))
    }

    fn active(&self) -> bool {
        self.direction() == Some(true)
    }

    /// `Some(true)` inside `def up`/`def change`, `Some(false)` inside `def down`, `None`
    /// elsewhere.
    fn direction(&self) -> Option<bool> {
        self.stack
            .iter()
            .rev()
            .take(MAX_FRAMES_SEARCHED)
            .find_map(|f| match f {
                Frame::Def { name, .. } => Some(match name.as_str() {
                    "up" | "change" => Some(true),
                    "down" => Some(false),
                    _ => None,
                }),
                _ => None,
            })
            .flatten()
    }

    fn alter_table(&self) -> Option<&Option<String>> {
        self.stack
            .iter()
            .rev()
            .take(MAX_FRAMES_SEARCHED)
            .find_map(|f| match f {
                Frame::Alter(table) => Some(table),
                Frame::Def { .. } => None,
                Frame::Other => None,
            })
    }

    /// The arguments of a call named at `i`, and the index of its last token.
    fn call_args(&self, i: usize) -> (Vec<Arg>, usize) {
        let t = self.t;
        if t.is_punct(i + 1, "(") {
            let close = t.closing(i + 1);
            return (t.args(i + 2, close, elixir_key), close);
        }
        let mut k = i + 1;
        let limit = t.len().min(i + 1 + MAX_ARG_TOKENS);
        while k < limit {
            if t.close[k] != NONE {
                k = t.closing(k) + 1;
                continue;
            }
            let stop = match &t.v[k].tok {
                Tok::Newline => !(k > 0 && t.is_punct(k - 1, ",")),
                Tok::Ident => matches!(t.text(k), "do" | "end"),
                Tok::Label(l) => l == "do",
                Tok::Punct => matches!(t.text(k), ")" | "]" | "}" | ";"),
                _ => false,
            };
            if stop {
                break;
            }
            k += 1;
        }
        let mut last = k.saturating_sub(1).max(i);
        while last > i && t.is_newline(last) {
            last -= 1;
        }
        (t.args(i + 1, k, elixir_key), last)
    }

    /// A call named at `i`: what runs when migrating up goes to `found`, what runs on rollback
    /// to `rollback`.
    fn call(&self, i: usize, name: &str, found: &mut Found, rollback: &mut Found) {
        let t = self.t;
        if !matches!(
            name,
            "remove"
                | "remove_if_exists"
                | "modify"
                | "rename"
                | "drop"
                | "drop_if_exists"
                | "execute"
                | "create"
                | "create_if_not_exists"
        ) {
            return;
        }
        let found = match self.direction() {
            Some(true) => found,
            Some(false) => rollback,
            None => return,
        };
        let (args, last) = self.call_args(i);
        let span = underline(self.src, t.span(i), t.span(last));
        let lit = |a: Option<&Arg>| a.and_then(|a| t.literal(a.start, a.end));
        let table_arg = |a: Option<&Arg>| a.and_then(|a| self.table_at(t.skip_newlines(a.start)));
        let hit = match name {
            "remove" | "remove_if_exists" => self.alter_table().map(|table| {
                Hit::drop_columns(
                    span,
                    table.clone(),
                    lit(positional(&args, 0)).into_iter().collect(),
                )
            }),
            "modify" => self.alter_table().and_then(|table| {
                let null = keyword(&args, "null")?;
                let is_false = null.end == null.start + 1 && t.is_ident(null.start, "false");
                // `from: {:string, null: false}` says what the column was: NOT NULL already.
                let was_not_null = keyword(&args, "from").is_some_and(|from| {
                    (from.start..from.end).any(|k| {
                        matches!(&t.v[k].tok, Tok::Label(l) if l == "null")
                            && t.is_ident(k + 1, "false")
                    })
                });
                (is_false && !was_not_null)
                    .then(|| Hit::not_null(span, table.clone(), lit(positional(&args, 0))))
            }),
            "rename" => {
                let table = table_arg(positional(&args, 0));
                match (table, keyword(&args, "to")) {
                    (Some(from), Some(to)) => match table_arg(Some(to)) {
                        Some(to_table) => Some(Hit::rename_table(span, from, to_table)),
                        None => Some(Hit::rename_column(
                            span,
                            from,
                            lit(positional(&args, 1)),
                            lit(Some(to)),
                        )),
                    },
                    _ => None,
                }
            }
            "drop" | "drop_if_exists" => table_arg(positional(&args, 0))
                .map(|table| Hit::drop_tables(span, table.into_iter().collect())),
            "execute" => {
                if let Some(a) = argument(&args, "up", 0) {
                    if let Some(text) = t.string_expr(a.start, a.end) {
                        sql::scan_embedded(&text, found);
                    }
                }
                // `execute(up_sql, down_sql)`: the down SQL is rollback evidence.
                if let Some(a) = argument(&args, "down", 1) {
                    if let Some(text) = t.string_expr(a.start, a.end) {
                        let mut down = Found::default();
                        sql::scan_embedded(&text, &mut down);
                        found.add_rollback(down);
                    }
                }
                None
            }
            "create" | "create_if_not_exists" => {
                if let Some(Some(table)) = table_arg(positional(&args, 0)) {
                    found.created(table);
                }
                None
            }
            _ => None,
        };
        if let Some(hit) = hit {
            found.push(hit);
        }
    }
}

/// Whether token `i` can start a call statement: at a line start, after `;`, `->`, `do`,
/// `do:` or `(`.
fn starts_call(t: &Tokens<'_>, i: usize) -> bool {
    i == 0
        || t.is_newline(i - 1)
        || t.is_punct(i - 1, ";")
        || t.is_punct(i - 1, "->")
        || t.is_punct(i - 1, "(")
        || t.is_ident(i - 1, "do")
        || matches!(&t.v[i - 1].tok, Tok::Label(l) if l == "do")
}

#[cfg(test)]
mod tests {
    use super::super::{find, DestructiveKind as K};

    fn ex(text: &str) -> Vec<(K, String, String)> {
        find("priv/repo/migrations/20240101000000_change_users.exs", text)
            .into_iter()
            .map(|d| (d.kind, d.span.slice(text).to_string(), d.description))
            .collect()
    }

    #[test]
    fn change_and_up_count_down_does_not() {
        let text = r#"defmodule MyApp.Repo.Migrations.ChangeUsers do
  use Ecto.Migration

  def up do
    alter table(:users) do
      remove :email
      remove :fax, :string, default: ""
      modify :name, :string, null: false
      modify :bio, :text
      add :nickname, :string
    end

    rename table(:users), :title, to: :job_title
    rename table(:posts), to: table(:articles)
    drop table(:sessions)
    drop_if_exists index(:users, [:email])
    drop constraint(:users, :users_age_check)
  end

  def down do
    drop table(:users)
    alter table(:users) do
      remove :nickname
    end
  end
end
"#;
        assert_eq!(
            ex(text),
            vec![
                (
                    K::DropColumn,
                    "remove :email".to_string(),
                    "drops column `email` of table `users`".to_string()
                ),
                (
                    K::DropColumn,
                    "remove :fax, :string, default: \"\"".to_string(),
                    "drops column `fax` of table `users`".to_string()
                ),
                (
                    K::SetNotNull,
                    "modify :name, :string, null: false".to_string(),
                    "makes column `name` of table `users` NOT NULL".to_string()
                ),
                (
                    K::RenameColumn,
                    "rename table(:users), :title, to: :job_title".to_string(),
                    "renames column `title` of table `users` to `job_title`".to_string()
                ),
                (
                    K::RenameTable,
                    "rename table(:posts), to: table(:articles)".to_string(),
                    "renames table `posts` to `articles`".to_string()
                ),
                (
                    K::DropTable,
                    "drop table(:sessions)".to_string(),
                    "drops table `sessions`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn execute_takes_the_up_sql() {
        let text = r#"defmodule M do
  use Ecto.Migration

  def change do
    execute "ALTER TABLE users DROP COLUMN legacy", "ALTER TABLE users ADD COLUMN legacy text"
    execute("""
    -- DROP TABLE users;
    ALTER TABLE users RENAME TO accounts
    """)
    execute(fn -> repo().query!("DROP TABLE x") end)
    execute ~s(ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL)
  end
end
"#;
        assert_eq!(
            ex(text)
                .into_iter()
                .map(|(k, s, _)| (k, s))
                .collect::<Vec<_>>(),
            vec![
                (K::DropColumn, "DROP COLUMN legacy".to_string()),
                (K::RenameTable, "RENAME TO accounts".to_string()),
                (
                    K::SetNotNull,
                    "ALTER COLUMN \"email\" SET NOT NULL".to_string()
                ),
            ]
        );
    }

    #[test]
    fn created_tables_comments_and_helpers() {
        let text = r#"defmodule M do
  use Ecto.Migration
  # drop table(:users)

  def change do
    create table(:scratch) do
      add :a, :string
    end
    alter table(:scratch) do
      remove :a
    end
    create_if_not_exists table(:other)
    drop table(:other)
    create index(:users, [:email], concurrently: true)
    IO.puts("drop table(:users)")
  end

  defp helper do
    drop table(:users)
  end
end
"#;
        assert_eq!(ex(text), vec![]);
    }

    #[test]
    fn modify_of_a_column_that_was_not_null() {
        let text = r#"defmodule M do
  use Ecto.Migration

  def up do
    alter table(:users) do
      modify :name, :text, null: false, from: {:string, null: false}
      modify :bio, :text, null: false
      modify :email, :text, null: false
    end
  end

  def down do
    alter table(:users) do
      modify :bio, :string, null: false
      modify :email, :string, null: true
    end
  end
end
"#;
        assert_eq!(
            ex(text).into_iter().map(|(_, s, _)| s).collect::<Vec<_>>(),
            vec!["modify :email, :text, null: false"]
        );
    }

    #[test]
    fn one_line_defs() {
        let text = "defmodule M do\n  use Ecto.Migration\n  def up, do: drop(table(:a))\n  def down, do: drop(table(:b))\nend\n";
        assert_eq!(
            ex(text).into_iter().map(|(_, _, d)| d).collect::<Vec<_>>(),
            vec!["drops table `a`"]
        );
    }

    #[test]
    fn broken_elixir_does_not_panic() {
        for text in [
            "def up do\n  alter table(:users) do\n    remove :email",
            "def up do\n  execute \"\"\"\nDROP TABLE x;\n",
            "def up do\n  execute ~s(",
            "def up do\n  rename table(",
            "def up, do:",
            "end end end",
            "?",
            "~",
            ":\"",
        ] {
            let _ = ex(text);
        }
        assert_eq!(
            ex("def up do\n  execute \"\"\"\nDROP TABLE x;\n")[0].1,
            "DROP TABLE x"
        );
    }
}
