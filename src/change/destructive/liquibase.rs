//! Liquibase changelogs in XML, YAML and JSON (formatted-SQL changelogs are `.sql` files and
//! go to the SQL scanner).
//!
//! Changes: `dropColumn` (`tableName` with `columnName`, or nested `column` elements/items
//! with `name`), `dropTable`, `renameColumn` (`oldColumnName`, `newColumnName`),
//! `renameTable` (`oldTableName`, `newTableName`), `addNotNullConstraint`; the body of `sql`
//! goes to the SQL scanner (`sqlFile` points at another file: not read). `createTable`
//! records its table as created by the file. What `rollback` holds is never reported, only
//! kept as evidence (see [`super::Found::rollback`]).
//!
//! XML is read with a light scanner (tags, attributes with entities decoded, comments, CDATA,
//! processing instructions, doctype); namespace prefixes are ignored. YAML and JSON go through
//! the project's YAML layer (JSON is YAML), so positions come from its spans.

use super::lex::concat;
use super::{sql, underline, Found, Hit};
use crate::formats::yaml::{self, Node};
use crate::span::{MappedText, Span};

/// An XML attribute, decoded.
struct Attr {
    name: String,
    value: String,
}

enum Event {
    Start {
        name: String,
        /// From `<` through the end of the name.
        head: Span,
        /// The whole tag.
        span: Span,
        attrs: Vec<Attr>,
        self_closing: bool,
    },
    End {
        name: String,
    },
    Text(MappedText),
}

/// The local part of an XML name (`lb:dropColumn` is `dropColumn`).
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':') || c >= 0x80
}

/// Decode character and entity references in `src[start..end]`.
fn decode_text(src: &str, start: usize, end: usize) -> MappedText {
    let mut out = MappedText::builder();
    out.set_end(start);
    let b = src.as_bytes();
    let mut run = start;
    let mut i = start;
    while i < end {
        if b[i] == b'&' {
            if let Some(semi) = (i + 1..end.min(i + 12)).find(|&k| b[k] == b';') {
                let entity = &src[i + 1..semi];
                let decoded = match entity {
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "amp" => Some('&'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    _ => entity
                        .strip_prefix("#x")
                        .or_else(|| entity.strip_prefix("#X"))
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                };
                if let Some(c) = decoded {
                    if i > run {
                        out.push_str(&src[run..i], run);
                    }
                    out.push_char(c, Span::new(i, semi + 1));
                    i = semi + 1;
                    run = i;
                    continue;
                }
            }
        }
        i += 1;
    }
    if end > run {
        out.push_str(&src[run..end], run);
    }
    out.set_end(end);
    out.finish()
}

/// The offset after the first `pattern` at or after `from` (the end of the text if none).
fn after(src: &str, from: usize, pattern: &str) -> usize {
    src.get(from..)
        .and_then(|rest| rest.find(pattern))
        .map_or(src.len(), |p| from + p + pattern.len())
}

fn xml_events(src: &str) -> Vec<Event> {
    let b = src.as_bytes();
    let mut events = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            let end = src[i..].find('<').map_or(b.len(), |p| i + p);
            events.push(Event::Text(decode_text(src, i, end)));
            i = end;
            continue;
        }
        let rest = &src[i..];
        if rest.starts_with("<!--") {
            i = after(src, i + 4, "-->");
        } else if rest.starts_with("<![CDATA[") {
            let body = i + 9;
            let end = src[body..].find("]]>").map_or(b.len(), |p| body + p);
            events.push(Event::Text(MappedText::contiguous(&src[body..end], body)));
            i = (end + 3).min(b.len());
        } else if rest.starts_with("<?") {
            i = after(src, i + 2, "?>");
        } else if rest.starts_with("<!") {
            i = after(src, i + 2, ">");
        } else if rest.starts_with("</") {
            let name_end = (i + 2..b.len())
                .find(|&k| !is_name_byte(b[k]))
                .unwrap_or(b.len());
            events.push(Event::End {
                name: local(&src[i + 2..name_end]).to_string(),
            });
            i = after(src, name_end, ">");
        } else {
            let name_end = (i + 1..b.len())
                .find(|&k| !is_name_byte(b[k]))
                .unwrap_or(b.len());
            if name_end == i + 1 {
                // A stray `<`.
                i += 1;
                continue;
            }
            let (attrs, end, self_closing) = attributes(src, name_end);
            events.push(Event::Start {
                name: local(&src[i + 1..name_end]).to_string(),
                head: Span::new(i, name_end),
                span: Span::new(i, end),
                attrs,
                self_closing,
            });
            i = end;
        }
    }
    events
}

/// Attributes from `i` to the end of the tag: the attributes, the tag's end, whether it
/// closes itself.
fn attributes(src: &str, mut i: usize) -> (Vec<Attr>, usize, bool) {
    let b = src.as_bytes();
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        match b.get(i) {
            None => return (attrs, b.len(), false),
            Some(b'>') => return (attrs, i + 1, false),
            Some(b'/') if b.get(i + 1) == Some(&b'>') => return (attrs, i + 2, true),
            _ => {}
        }
        let name_start = i;
        while i < b.len() && is_name_byte(b[i]) {
            i += 1;
        }
        if i == name_start {
            // Junk inside a tag: skip a char.
            i += src[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        let name = local(&src[name_start..i]).to_string();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            attrs.push(Attr {
                name,
                value: String::new(),
            });
            continue;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => {
                let end = src[i + 1..].find(q as char).map_or(b.len(), |p| i + 1 + p);
                let value = decode_text(src, i + 1, end).as_str().to_string();
                i = (end + 1).min(b.len());
                value
            }
            _ => {
                let start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                    i += 1;
                }
                src[start..i].to_string()
            }
        };
        attrs.push(Attr { name, value });
    }
}

fn attr(attrs: &[Attr], name: &str) -> Option<String> {
    attrs
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.value.clone())
        .filter(|v| !v.is_empty())
}

/// How many open elements an end tag is matched against (a stray end tag is ignored).
const MAX_END_TAG_SEARCH: usize = 64;

pub(super) fn scan_xml(text: &str, found: &mut Found) {
    let mut stack: Vec<String> = Vec::new();
    // How many `rollback` elements are open; what they hold is evidence only (see
    // `Found::rollback`).
    let mut rollbacks = 0usize;
    let mut rollback = Found::default();
    // Whether the `sql` element being read is inside a rollback.
    let mut sql_in_rollback = false;
    // The `sql` element being read: its text pieces.
    let mut sql_body: Option<Vec<MappedText>> = None;
    // The `dropColumn` hit waiting for nested `column` elements.
    let mut open_drop: Option<usize> = None;
    for event in xml_events(text) {
        match event {
            Event::Start {
                name,
                head,
                span,
                attrs,
                self_closing,
            } => {
                {
                    let found: &mut Found = if rollbacks == 0 { found } else { &mut rollback };
                    let span = underline(text, head, span);
                    let table = attr(&attrs, "tableName");
                    let hit = match name.as_str() {
                        "dropColumn" => {
                            let hit = Hit::drop_columns(
                                span,
                                table,
                                attr(&attrs, "columnName").into_iter().collect(),
                            );
                            if !self_closing {
                                open_drop = Some(found.hits.len());
                            }
                            Some(hit)
                        }
                        "column" if stack.last().is_some_and(|p| p == "dropColumn") => {
                            if let (Some(h), Some(column)) = (open_drop, attr(&attrs, "name")) {
                                if let Some(hit) = found.hits.get_mut(h) {
                                    hit.names.push(column);
                                }
                            }
                            None
                        }
                        "dropTable" => Some(Hit::drop_tables(span, table.into_iter().collect())),
                        "renameColumn" => Some(Hit::rename_column(
                            span,
                            table,
                            attr(&attrs, "oldColumnName"),
                            attr(&attrs, "newColumnName"),
                        )),
                        "renameTable" => Some(Hit::rename_table(
                            span,
                            attr(&attrs, "oldTableName"),
                            attr(&attrs, "newTableName"),
                        )),
                        "addNotNullConstraint" => {
                            Some(Hit::not_null(span, table, attr(&attrs, "columnName")))
                        }
                        "createTable" => {
                            if let Some(table) = table {
                                found.created(table);
                            }
                            None
                        }
                        "sql" if !self_closing => {
                            sql_body = Some(Vec::new());
                            sql_in_rollback = rollbacks > 0;
                            None
                        }
                        _ => None,
                    };
                    if let Some(hit) = hit {
                        found.push(hit);
                    }
                }
                if !self_closing {
                    if name == "rollback" {
                        rollbacks += 1;
                    }
                    stack.push(name);
                }
            }
            Event::End { name } => {
                let searched = stack.len().saturating_sub(MAX_END_TAG_SEARCH);
                if let Some(pos) = stack[searched..].iter().rposition(|n| *n == name) {
                    let closed = stack.split_off(searched + pos);
                    rollbacks -= closed.iter().filter(|n| *n == "rollback").count();
                }
                if name == "sql" {
                    if let Some(pieces) = sql_body.take() {
                        let refs: Vec<&MappedText> = pieces.iter().collect();
                        let target = if sql_in_rollback {
                            &mut rollback
                        } else {
                            &mut *found
                        };
                        sql::scan_embedded(&concat(&refs), target);
                    }
                }
                if name == "dropColumn" {
                    open_drop = None;
                }
            }
            Event::Text(text) => {
                if stack.last().is_some_and(|n| n == "sql") {
                    if let Some(pieces) = &mut sql_body {
                        pieces.push(text);
                    }
                }
            }
        }
    }
    found.add_rollback(rollback);
}

pub(super) fn scan_yaml(text: &str, found: &mut Found) {
    let Ok(documents) = yaml::parse_stream(text, &yaml::Limits::default()) else {
        return;
    };
    for document in &documents {
        let Some(changelog) = document.root.get("databaseChangeLog") else {
            continue;
        };
        for item in changelog.items() {
            let Some(change_set) = item.get("changeSet") else {
                continue;
            };
            for change in change_set.get("changes").into_iter().flat_map(Node::items) {
                yaml_changes(change, found);
            }
            // `rollback:` is a list of changes, one change, or SQL: evidence only.
            if let Some(steps) = change_set.get("rollback") {
                let mut rollback = Found::default();
                match (steps.as_sequence(), steps.mapped_text()) {
                    (Some(items), _) => items.iter().for_each(|c| yaml_changes(c, &mut rollback)),
                    (None, Some(text)) => sql::scan_embedded(text, &mut rollback),
                    (None, None) => yaml_changes(steps, &mut rollback),
                }
                found.add_rollback(rollback);
            }
        }
    }
}

/// The changes of one list item (`- dropColumn: {...}`).
fn yaml_changes(change: &Node, found: &mut Found) {
    for entry in change.entries() {
        if let Some(kind) = entry.key.as_str() {
            yaml_change(kind, entry.key.report_span(), &entry.value, found);
        }
    }
}

fn yaml_change(kind: &str, span: Span, value: &Node, found: &mut Found) {
    let string = |key: &str| {
        value
            .get(key)
            .and_then(Node::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let table = string("tableName");
    let hit = match kind {
        "dropColumn" => {
            let mut columns: Vec<String> = string("columnName").into_iter().collect();
            for item in value.get("columns").into_iter().flat_map(Node::items) {
                let column = item.get("column").unwrap_or(item);
                if let Some(name) = column.get("name").and_then(Node::as_str) {
                    columns.push(name.to_string());
                }
            }
            Some(Hit::drop_columns(span, table, columns))
        }
        "dropTable" => Some(Hit::drop_tables(span, table.into_iter().collect())),
        "renameColumn" => Some(Hit::rename_column(
            span,
            table,
            string("oldColumnName"),
            string("newColumnName"),
        )),
        "renameTable" => Some(Hit::rename_table(
            span,
            string("oldTableName"),
            string("newTableName"),
        )),
        "addNotNullConstraint" => Some(Hit::not_null(span, table, string("columnName"))),
        "createTable" => {
            if let Some(table) = table {
                found.created(table);
            }
            None
        }
        "sql" => {
            let body = value.get("sql").unwrap_or(value);
            if let Some(text) = body.mapped_text() {
                sql::scan_embedded(text, found);
            }
            None
        }
        _ => None,
    };
    if let Some(hit) = hit {
        found.push(hit);
    }
}

#[cfg(test)]
mod tests {
    use super::super::{find, DestructiveKind as K};

    fn lb(path: &str, text: &str) -> Vec<(K, String, String)> {
        find(path, text)
            .into_iter()
            .map(|d| (d.kind, d.span.slice(text).to_string(), d.description))
            .collect()
    }

    #[test]
    fn xml_changes() {
        let text = r#"<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog
    xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <!-- <dropTable tableName="in_a_comment"/> -->
  <changeSet id="1" author="alice">
    <dropColumn tableName="users" columnName="email"/>
    <renameColumn tableName="users" oldColumnName="name" newColumnName="full_name"
                  columnDataType="varchar(255)"/>
    <addNotNullConstraint tableName="users" columnName="phone" defaultNullValue="n/a"/>
    <rollback>
      <dropTable tableName="users"/>
    </rollback>
  </changeSet>
  <changeSet id="2" author="alice">
    <dropColumn tableName="orders">
      <column name="a"/>
      <column name="b"/>
    </dropColumn>
    <renameTable oldTableName="orders" newTableName="purchases"/>
    <sql><![CDATA[ALTER TABLE x DROP COLUMN y]]> &amp;&amp; -- ALTER TABLE x DROP COLUMN z
    </sql>
    <createTable tableName="scratch"><column name="id" type="int"/></createTable>
    <dropTable tableName="scratch"/>
    <dropTable tableName="sessions"/>
  </changeSet>
</databaseChangeLog>
"#;
        assert_eq!(
            lb("db/changelog/db.changelog-master.xml", text),
            vec![
                (
                    K::DropColumn,
                    "<dropColumn tableName=\"users\" columnName=\"email\"/>".to_string(),
                    "drops column `email` of table `users`".to_string()
                ),
                (
                    K::RenameColumn,
                    "<renameColumn".to_string(),
                    "renames column `name` of table `users` to `full_name`".to_string()
                ),
                (
                    K::SetNotNull,
                    "<addNotNullConstraint tableName=\"users\" columnName=\"phone\" defaultNullValue=\"n/a\"/>".to_string(),
                    "makes column `phone` of table `users` NOT NULL".to_string()
                ),
                (
                    K::DropColumn,
                    "<dropColumn tableName=\"orders\">".to_string(),
                    "drops columns `a` and `b` of table `orders`".to_string()
                ),
                (
                    K::RenameTable,
                    "<renameTable oldTableName=\"orders\" newTableName=\"purchases\"/>".to_string(),
                    "renames table `orders` to `purchases`".to_string()
                ),
                (
                    K::DropColumn,
                    "DROP COLUMN y".to_string(),
                    "drops column `y` of table `x`".to_string()
                ),
                (
                    K::DropTable,
                    "<dropTable tableName=\"sessions\"/>".to_string(),
                    "drops table `sessions`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn yaml_changes() {
        let text = r#"databaseChangeLog:
  - changeSet:
      id: 1
      author: bob
      changes:
        - addColumn:
            tableName: users
            columns:
              - column: {name: nickname, type: varchar(50)}
        - dropColumn:
            tableName: users
            columnName: email
        - sql:
            sql: |
              -- ALTER TABLE users DROP COLUMN in_comment;
              ALTER TABLE users RENAME COLUMN a TO b;
      rollback:
        - dropTable:
            tableName: users
  - changeSet:
      id: 2
      author: bob
      changes:
        - addNotNullConstraint:
            tableName: users
            columnName: nickname
"#;
        assert_eq!(
            lb("db/changelog/changes.yaml", text),
            vec![
                (
                    K::DropColumn,
                    "dropColumn".to_string(),
                    "drops column `email` of table `users`".to_string()
                ),
                (
                    K::RenameColumn,
                    "RENAME COLUMN a TO b".to_string(),
                    "renames column `a` of table `users` to `b`".to_string()
                ),
                (
                    K::SetNotNull,
                    "addNotNullConstraint".to_string(),
                    "makes column `nickname` of table `users` NOT NULL".to_string()
                ),
            ]
        );
    }

    #[test]
    fn not_null_that_the_rollback_restores() {
        // A rollback that adds NOT NULL back shows the column was NOT NULL before.
        let xml = r#"<databaseChangeLog>
  <changeSet id="1" author="a">
    <addNotNullConstraint tableName="users" columnName="email"/>
    <rollback><addNotNullConstraint tableName="users" columnName="email"/></rollback>
  </changeSet>
  <changeSet id="2" author="a">
    <addNotNullConstraint tableName="users" columnName="name"/>
    <rollback><sql>ALTER TABLE users ALTER COLUMN name DROP NOT NULL</sql></rollback>
  </changeSet>
</databaseChangeLog>
"#;
        assert_eq!(
            lb("changelog.xml", xml)
                .into_iter()
                .map(|(_, _, d)| d)
                .collect::<Vec<_>>(),
            vec!["makes column `name` of table `users` NOT NULL"]
        );
        let yaml = "databaseChangeLog:
  - changeSet:
      changes:
        - addNotNullConstraint: {tableName: users, columnName: email}
      rollback:
        - addNotNullConstraint: {tableName: users, columnName: email}
  - changeSet:
      changes:
        - addNotNullConstraint: {tableName: users, columnName: phone}
      rollback: ALTER TABLE users ALTER COLUMN phone SET NOT NULL
";
        assert_eq!(lb("changelog.yaml", yaml), vec![]);
    }

    #[test]
    fn json_changes() {
        let text = r#"{
  "databaseChangeLog": [
    {"changeSet": {"id": "1", "author": "carol", "changes": [
      {"dropTable": {"tableName": "legacy"}},
      {"renameTable": {"oldTableName": "a", "newTableName": "b"}}
    ], "rollback": [{"dropTable": {"tableName": "b"}}]}}
  ]
}
"#;
        assert_eq!(
            lb("db/changelog/changes.json", text),
            vec![
                (
                    K::DropTable,
                    "\"dropTable\"".to_string(),
                    "drops table `legacy`".to_string()
                ),
                (
                    K::RenameTable,
                    "\"renameTable\"".to_string(),
                    "renames table `a` to `b`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn other_yaml_and_xml_files_are_ignored() {
        assert_eq!(
            lb("k8s/deploy.yaml", "kind: Deployment\ndropTable: x\n"),
            vec![]
        );
        assert_eq!(
            lb("pom.xml", "<project><dropTable tableName=\"x\"/></project>"),
            vec![]
        );
    }

    #[test]
    fn broken_changelogs_do_not_panic() {
        for text in [
            "<databaseChangeLog><changeSet><dropColumn tableName=\"users",
            "<databaseChangeLog><sql>ALTER TABLE x DROP COLUMN y",
            "<databaseChangeLog><!-- ",
            "<databaseChangeLog><![CDATA[",
            "<databaseChangeLog>&#xFFFFFFFF; &#1114112; &",
            "<databaseChangeLog <<< > </ >",
            "<databaseChangeLog><dropTable tableName=é",
        ] {
            let _ = lb("changelog.xml", text);
        }
        for text in [
            "databaseChangeLog: [",
            "databaseChangeLog:\n  - changeSet: {changes: [{dropTable: }]}",
        ] {
            let _ = lb("changelog.yaml", text);
        }
    }
}
