//! Destructive statements in one database migration file: statements that drop or rename a
//! column or a table, or make a column NOT NULL. Code still running the previous release breaks
//! on each of them, so shipping one together with application code is SL603.
//!
//! The module is pure: [`find`] gets a repository-relative path and the file's text and returns
//! what it found, in source order. The path decides the language:
//!
//! | files | read as |
//! |---|---|
//! | `*.sql` (Prisma, Flyway, Goose, dbmate, sqlx, diesel, golang-migrate, Liquibase formatted SQL) | SQL (`sql.rs`) |
//! | `*.rb` | Rails (and Sequel) migrations (`ruby.rs`) |
//! | `*.py` under a `versions/` folder, or with `def upgrade(` / `down_revision` | Alembic (`python.rs`) |
//! | other `*.py` | Django (`python.rs`) |
//! | `*.js`, `*.mjs`, `*.cjs`, `*.ts`, `*.mts`, `*.cts` | knex, sequelize, typeorm, node-pg-migrate (`js.rs`) |
//! | `*.php` | Laravel (`php.rs`) |
//! | `*.ex`, `*.exs` | Ecto (`elixir.rs`) |
//! | `*.xml`, `*.yaml`, `*.yml`, `*.json` mentioning `databaseChangeLog` | Liquibase changelogs (`liquibase.rs`) |
//!
//! Only what runs when the migration is applied is reported. Files that only run when rolling
//! back (`down.sql`, `*.down.sql`, db-migrate's `*-down.sql`, Flyway `U<version>__*.sql` undo
//! scripts) yield nothing, and neither do rollback sections (Goose `-- +goose Down`, dbmate
//! `-- migrate:down`, Rails `def down`, Alembic `def downgrade()`, ...): what those do is only
//! kept as evidence about the state before the migration (see `Found::rollback`). Helper
//! functions that no up section visibly calls are not read either.
//!
//! [`find_all`] applies the file-level rules below across all migrations of one change.
//!
//! Precision comes before recall: a finding is an error on someone's pull request. So
//! statements on a table the same file creates are skipped (a new table has no old readers),
//! a `DROP TABLE t` is skipped when the file re-creates `t` or then renames another table to
//! `t` (SQLite's table rebuild, as Prisma and diesel generate it), so is a rename of `t` when
//! another table is then renamed to `t` (a swap), a NOT NULL is skipped when the
//! file's own rollback section makes the same column NOT NULL too (it restates a column that
//! was NOT NULL already, e.g. to change its type), and names come only from literals: a
//! statement whose names are computed is still reported, without the names.
//!
//! Work is linear in the text (no recursion on input structure beyond a fixed depth), and at
//! most [`MAX_SCAN_BYTES`] of a file are read.

mod elixir;
mod js;
mod lex;
mod liquibase;
mod php;
mod python;
mod ruby;
mod sql;

use std::collections::{HashMap, HashSet};

use crate::span::{MappedText, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestructiveKind {
    DropColumn,
    DropTable,
    RenameColumn,
    RenameTable,
    SetNotNull,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destructive {
    /// Byte span of the statement's key token(s) in `text` (e.g. `DROP COLUMN email`, or the
    /// `remove_column` call) — what the finding underlines. Always on char boundaries.
    pub span: Span,
    pub kind: DestructiveKind,
    /// Short human description: "drops column `email` of table `users`",
    /// "renames table `users` to `accounts`", "makes column `email` NOT NULL". Names are given
    /// when the file spells them as literals and omitted otherwise.
    pub description: String,
}

/// Only this many bytes of a file are scanned (the default file size limit of a run;
/// migrations are far smaller, and a huge SQL dump is read up to here rather than not at all).
pub const MAX_SCAN_BYTES: usize = 8 << 20;

/// Destructive statements in one migration file, in source order. `path` (repository-relative,
/// `/`-separated) decides the language by extension and location; `text` is the file content.
/// Statements that only run when rolling back (Goose `-- +goose Down` sections, dbmate
/// `-- migrate:down`, sqlx/diesel/golang-migrate `*.down.sql`/`down.sql`, Flyway `U*__` undo
/// scripts, Rails `def down`, Alembic `def downgrade()`, knex/sequelize/typeorm `down`,
/// Laravel `down()`, Ecto `def down`) are NOT destructive for a forward deploy: skip them.
pub fn find(path: &str, text: &str) -> Vec<Destructive> {
    let text = scan_prefix(text);
    let Some(found) = scan_one(path, text) else {
        return Vec::new();
    };
    let context = Context::of(std::slice::from_ref(&found));
    found.finish(text, &context, 0)
}

/// The destructive statements of several migration files that ship together (one change),
/// given as `(path, text)` in the order they run (for timestamp- and version-named
/// migrations: path order); the result is parallel to `files`, each file's statements in
/// source order. It is [`find`] on each file, except that the file-level rules hold across
/// the files: a table created by any of them is new, a table dropped or renamed in one file
/// and given its name back by a later one (a rebuild or swap split over files, as Ory's
/// fizz migrations write them) is no drop or rename, and a rollback file (`x.down.sql`,
/// `down.sql`, `x-down.sql`, Flyway's `U1__x.sql`) is rollback evidence for its up file
/// (`x.up.sql`, `up.sql`, `x-up.sql`, `V1__x.sql`); rollback files themselves yield nothing.
pub fn find_all(files: &[(&str, &str)]) -> Vec<Vec<Destructive>> {
    let texts: Vec<&str> = files.iter().map(|&(_, text)| scan_prefix(text)).collect();
    let mut scanned: Vec<Option<Found>> = files
        .iter()
        .zip(&texts)
        .map(|(&(path, _), text)| scan_one(path, text))
        .collect();
    // Rollback files: what they do is evidence for their up file.
    let index: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, &(path, _))| (path, i))
        .collect();
    for (i, &(path, _)) in files.iter().enumerate() {
        let Some(up_path) = up_file_of(path) else {
            continue;
        };
        let Some(&up) = index.get(up_path.as_str()) else {
            continue;
        };
        let mut rollback = Found::default();
        sql::scan_file(texts[i], &mut rollback);
        if let Some(found) = scanned.get_mut(up).and_then(Option::as_mut) {
            found.add_rollback(rollback);
        }
    }
    let present: Vec<Found> = scanned
        .iter_mut()
        .map(|f| f.take().unwrap_or_default())
        .collect();
    let context = Context::of(&present);
    present
        .into_iter()
        .zip(&texts)
        .enumerate()
        .map(|(i, (found, text))| found.finish(text, &context, i))
        .collect()
}

/// What one file holds, before the file-level rules (`None`: not a migration language, or a
/// rollback-only file).
fn scan_one(path: &str, text: &str) -> Option<Found> {
    let language = Language::of(path, text)?;
    let mut found = Found::default();
    match language {
        Language::Sql => sql::scan_file(text, &mut found),
        Language::Ruby => ruby::scan(text, &mut found),
        Language::Django => python::scan_django(text, &mut found),
        Language::Alembic => python::scan_alembic(text, &mut found),
        Language::JavaScript => js::scan(text, &mut found),
        Language::Php => php::scan(text, &mut found),
        Language::Elixir => elixir::scan(text, &mut found),
        Language::LiquibaseXml => liquibase::scan_xml(text, &mut found),
        Language::LiquibaseYaml => liquibase::scan_yaml(text, &mut found),
    }
    Some(found)
}

/// The up file of a rollback file: `x.down.sql` to `x.up.sql`, `dir/down.sql` to
/// `dir/up.sql`, `x-down.sql` to `x-up.sql`, `U1__x.sql` to `V1__x.sql`.
fn up_file_of(path: &str) -> Option<String> {
    let (dir, name) = match path.rsplit_once('/') {
        Some((dir, name)) => (format!("{dir}/"), name),
        None => (String::new(), path),
    };
    if !is_rollback_sql(name) {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let suffixed =
        lower == "down.sql" || lower.ends_with(".down.sql") || lower.ends_with("-down.sql");
    let up = if !suffixed {
        // Flyway `U<version>__x.sql`.
        format!("V{}", name.get(1..)?)
    } else {
        // `…down.sql`: the last 8 bytes are ASCII, so the cut is a char boundary.
        let (stem, suffix) = name.split_at(name.len() - "down.sql".len());
        let up = if suffix == "DOWN.SQL" {
            "UP.SQL"
        } else {
            "up.sql"
        };
        format!("{stem}{up}")
    };
    Some(format!("{dir}{up}"))
}

/// The first [`MAX_SCAN_BYTES`] of `text`, cut on a char boundary.
fn scan_prefix(text: &str) -> &str {
    if text.len() <= MAX_SCAN_BYTES {
        return text;
    }
    let mut end = MAX_SCAN_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Sql,
    Ruby,
    Django,
    Alembic,
    JavaScript,
    Php,
    Elixir,
    LiquibaseXml,
    LiquibaseYaml,
}

impl Language {
    fn of(path: &str, text: &str) -> Option<Language> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let lower = name.to_ascii_lowercase();
        let (_, extension) = lower.rsplit_once('.')?;
        Some(match extension {
            "sql" if is_rollback_sql(name) => return None,
            "sql" => Language::Sql,
            "rb" => Language::Ruby,
            "py" if is_alembic(path, text) => Language::Alembic,
            "py" => Language::Django,
            "ts" | "mts" | "cts" if lower.ends_with(".d.ts") => return None,
            "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" => Language::JavaScript,
            "php" => Language::Php,
            "ex" | "exs" => Language::Elixir,
            "xml" if text.contains("databaseChangeLog") => Language::LiquibaseXml,
            "yaml" | "yml" | "json" if text.contains("databaseChangeLog") => {
                Language::LiquibaseYaml
            }
            _ => return None,
        })
    }
}

/// SQL files that only run on rollback: `down.sql` (diesel), `*.down.sql` (sqlx,
/// golang-migrate), `*-down.sql` (db-migrate's `sqls/`), Flyway undo scripts `U<version>__*.sql`.
fn is_rollback_sql(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower == "down.sql" || lower.ends_with(".down.sql") || lower.ends_with("-down.sql") {
        return true;
    }
    // Flyway: prefix `U` (case-sensitive), a version of digits with `.` or `_`, then `__`.
    let Some(rest) = name.strip_prefix('U') else {
        return false;
    };
    let Some((version, _)) = rest.split_once("__") else {
        return false;
    };
    version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '_')
}

/// Alembic revisions live in a `versions/` folder (`alembic/versions`, Flask-Migrate's
/// `migrations/versions`) and define `upgrade()`; Django migrations do neither.
fn is_alembic(path: &str, text: &str) -> bool {
    path.split('/').rev().skip(1).any(|dir| dir == "versions")
        || text.contains("def upgrade(")
        || text.contains("down_revision")
}

/// Words used in a description: SQL-level (`table`, `column`) or Django-level (`model`,
/// `field`; a model's table and a field's column follow from them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vocab {
    Table,
    Model,
}

/// One destructive statement as a language scanner reports it; [`Found::finish`] filters the
/// hits and writes the descriptions.
#[derive(Debug, Clone)]
struct Hit {
    span: Span,
    kind: DestructiveKind,
    /// For column kinds: the table (model) the columns (fields) belong to.
    table: Option<String>,
    /// The dropped columns or tables, the renamed column or table, the column made NOT NULL.
    /// Empty when the file does not spell them out.
    names: Vec<String>,
    /// The new name of a renamed column or table.
    to: Option<String>,
    vocab: Vocab,
    /// The statement restates a whole column definition with NOT NULL (MySQL `MODIFY`,
    /// sequelize `changeColumn`, Laravel `->nullable(false)->change()`): it makes the column
    /// NOT NULL unless it was already, which one file cannot always tell.
    restated: bool,
    /// A description that does not fit the patterns above.
    description: Option<String>,
}

impl Hit {
    fn new(kind: DestructiveKind, span: Span) -> Hit {
        Hit {
            span,
            kind,
            table: None,
            names: Vec::new(),
            to: None,
            vocab: Vocab::Table,
            restated: false,
            description: None,
        }
    }

    fn drop_columns(span: Span, table: Option<String>, columns: Vec<String>) -> Hit {
        Hit {
            table,
            names: columns,
            ..Hit::new(DestructiveKind::DropColumn, span)
        }
    }

    fn drop_tables(span: Span, tables: Vec<String>) -> Hit {
        Hit {
            names: tables,
            ..Hit::new(DestructiveKind::DropTable, span)
        }
    }

    fn rename_column(
        span: Span,
        table: Option<String>,
        from: Option<String>,
        to: Option<String>,
    ) -> Hit {
        Hit {
            table,
            names: from.into_iter().collect(),
            to,
            ..Hit::new(DestructiveKind::RenameColumn, span)
        }
    }

    fn rename_table(span: Span, from: Option<String>, to: Option<String>) -> Hit {
        Hit {
            names: from.into_iter().collect(),
            to,
            ..Hit::new(DestructiveKind::RenameTable, span)
        }
    }

    fn not_null(span: Span, table: Option<String>, column: Option<String>) -> Hit {
        Hit {
            table,
            names: column.into_iter().collect(),
            ..Hit::new(DestructiveKind::SetNotNull, span)
        }
    }

    fn restated(self) -> Hit {
        Hit {
            restated: true,
            ..self
        }
    }

    fn models(self) -> Hit {
        Hit {
            vocab: Vocab::Model,
            ..self
        }
    }

    fn described(self, description: String) -> Hit {
        Hit {
            description: Some(description),
            ..self
        }
    }

    fn describe(&self) -> String {
        if let Some(d) = &self.description {
            return d.clone();
        }
        let (table_word, column_word) = match self.vocab {
            Vocab::Table => ("table", "column"),
            Vocab::Model => ("model", "field"),
        };
        let of_table = match &self.table {
            Some(t) => format!(" of {table_word} `{t}`"),
            None => String::new(),
        };
        let plural = |word: &str| {
            if self.names.len() > 1 {
                format!("{word}s")
            } else {
                word.to_string()
            }
        };
        let to = match &self.to {
            Some(t) => format!(" to `{t}`"),
            None => String::new(),
        };
        match self.kind {
            DestructiveKind::DropColumn => match self.names.is_empty() {
                true => format!("drops a {column_word}{of_table}"),
                false => format!(
                    "drops {} {}{of_table}",
                    plural(column_word),
                    name_list(&self.names)
                ),
            },
            DestructiveKind::DropTable => match (self.names.is_empty(), self.vocab) {
                (true, Vocab::Table) => "drops a table".to_string(),
                (true, Vocab::Model) => "deletes a model and drops its table".to_string(),
                (false, Vocab::Table) => {
                    format!("drops {} {}", plural("table"), name_list(&self.names))
                }
                (false, Vocab::Model) => format!(
                    "deletes {} {} and drops {}",
                    plural("model"),
                    name_list(&self.names),
                    if self.names.len() > 1 {
                        "their tables"
                    } else {
                        "its table"
                    }
                ),
            },
            DestructiveKind::RenameColumn => match self.names.first() {
                Some(from) => format!("renames {column_word} `{from}`{of_table}{to}"),
                None => format!("renames a {column_word}{of_table}{to}"),
            },
            DestructiveKind::RenameTable => {
                let renamed = match self.names.first() {
                    Some(from) => format!("renames {table_word} `{from}`{to}"),
                    None => format!("renames a {table_word}{to}"),
                };
                match self.vocab {
                    Vocab::Table => renamed,
                    Vocab::Model => format!("{renamed} (and its table)"),
                }
            }
            DestructiveKind::SetNotNull => {
                let column = match self.names.first() {
                    Some(c) => format!("{column_word} `{c}`"),
                    None => format!("a {column_word}"),
                };
                if self.restated {
                    format!("redefines {column}{of_table} as NOT NULL")
                } else {
                    format!("makes {column}{of_table} NOT NULL")
                }
            }
        }
    }
}

/// "`a`", "`a` and `b`", "`a`, `b` and `c`".
fn name_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// What a language scanner found in one file.
#[derive(Debug, Default)]
struct Found {
    hits: Vec<Hit>,
    /// Tables (Django: models) the file creates, as written.
    created: Vec<String>,
    /// What the file's rollback section does (never reported): evidence about the state
    /// before the migration. A rollback that makes a column NOT NULL says it was NOT NULL.
    rollback: Vec<Hit>,
}

impl Found {
    fn push(&mut self, hit: Hit) {
        self.hits.push(hit);
    }

    fn created(&mut self, table: impl Into<String>) {
        self.created.push(table.into());
    }

    /// Add what was found in a string literal (embedded SQL), mapping its spans to the file.
    fn absorb(&mut self, inner: Found, literal: &MappedText) {
        for mut hit in inner.hits {
            hit.span = literal.source_span(hit.span);
            self.hits.push(hit);
        }
        self.created.extend(inner.created);
        self.rollback.extend(inner.rollback);
    }

    /// Keep what a rollback section does as evidence only.
    fn add_rollback(&mut self, rollback: Found) {
        self.rollback.extend(rollback.hits);
        self.rollback.extend(rollback.rollback);
    }

    /// Drop what the change makes harmless itself, describe the rest, in source order.
    /// `file` is this file's index in `context`.
    fn finish(self, text: &str, context: &Context, file: usize) -> Vec<Destructive> {
        let created = &context.created;
        // Columns the rollback makes (keeps) NOT NULL: they were NOT NULL before.
        let not_null_before: HashSet<(String, String)> = self
            .rollback
            .iter()
            .filter(|h| h.kind == DestructiveKind::SetNotNull)
            .filter_map(column_key)
            .collect();
        // Whether a later rename (in this file or a later one) gives a table `name` again.
        let renamed_back = |name: &str, after: usize| {
            context
                .renamed_to
                .get(name)
                .is_some_and(|&last| last > (file, after))
        };
        let mut out: Vec<Destructive> = Vec::new();
        // (span, description) of what is in `out`: the same statement found twice is one.
        let mut seen: HashSet<(usize, usize, String)> = HashSet::new();
        for mut hit in self.hits {
            match hit.kind {
                DestructiveKind::DropTable => {
                    if hit.names.is_empty() {
                        // Unknown names: keep.
                    } else {
                        let at = hit.span.start;
                        hit.names.retain(|n| {
                            let n = normalize(n);
                            !created.contains(&n) && !renamed_back(&n, at)
                        });
                        if hit.names.is_empty() {
                            continue;
                        }
                    }
                }
                DestructiveKind::RenameTable => {
                    // A new table renamed, or a swap (`t` to `t_old`, `t_new` to `t`): old code
                    // still finds a table under its name.
                    if hit.names.first().is_some_and(|n| {
                        let n = normalize(n);
                        created.contains(&n) || renamed_back(&n, hit.span.start)
                    }) {
                        continue;
                    }
                }
                DestructiveKind::DropColumn
                | DestructiveKind::RenameColumn
                | DestructiveKind::SetNotNull => {
                    if hit
                        .table
                        .as_deref()
                        .is_some_and(|t| created.contains(&normalize(t)))
                    {
                        continue;
                    }
                    if hit.kind == DestructiveKind::SetNotNull
                        && column_key(&hit).is_some_and(|k| not_null_before.contains(&k))
                    {
                        continue;
                    }
                }
            }
            let span = char_aligned(text, hit.span);
            let description = hit.describe();
            if seen.insert((span.start, span.end, description.clone())) {
                out.push(Destructive {
                    span,
                    kind: hit.kind,
                    description,
                });
            }
        }
        out.sort_by_key(|d| (d.span.start, d.span.end));
        out
    }
}

/// What the file-level rules need to know about all the files of a change.
struct Context {
    /// Tables the files create (normalized).
    created: HashSet<String>,
    /// For each name a rename gives a table: where the last such rename is (file, offset).
    renamed_to: HashMap<String, (usize, usize)>,
}

impl Context {
    fn of(files: &[Found]) -> Context {
        let mut created = HashSet::new();
        let mut renamed_to: HashMap<String, (usize, usize)> = HashMap::new();
        for (file, found) in files.iter().enumerate() {
            created.extend(found.created.iter().map(|t| normalize(t)));
            for hit in found
                .hits
                .iter()
                .filter(|h| h.kind == DestructiveKind::RenameTable)
            {
                if let Some(to) = hit.to.as_deref() {
                    let at = (file, hit.span.start);
                    let last = renamed_to.entry(normalize(to)).or_insert(at);
                    *last = (*last).max(at);
                }
            }
        }
        Context {
            created,
            renamed_to,
        }
    }
}

/// (table, column) of a hit on one known column, for comparisons.
fn column_key(hit: &Hit) -> Option<(String, String)> {
    match (&hit.table, hit.names.as_slice()) {
        (Some(table), [column]) => Some((normalize(table), column.to_lowercase())),
        _ => None,
    }
}

/// A table name for comparisons: the last part of a qualified name, lower-cased.
fn normalize(name: &str) -> String {
    name.rsplit('.').next().unwrap_or(name).to_lowercase()
}

/// `span` clamped to `text` and widened to char boundaries.
fn char_aligned(text: &str, span: Span) -> Span {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.min(text.len()).max(start);
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}

/// What a call-like statement underlines: from its first token through its last when they are
/// on one line, else only the first token (a multi-line underline helps nobody). A statement
/// longer than [`MAX_UNDERLINE`] bytes is not one readable line either.
fn underline(text: &str, first: Span, last: Span) -> Span {
    let whole = first.join(last);
    if whole.len() > MAX_UNDERLINE || whole.slice(text).contains('\n') {
        first
    } else {
        whole
    }
}

const MAX_UNDERLINE: usize = 1024;

#[cfg(test)]
mod tests;
