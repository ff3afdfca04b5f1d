//! Tests across languages: which files are read as what, the shape of every result, and
//! robustness on junk, broken and pathological input.

use std::time::{Duration, Instant};

use super::{find, find_all, up_file_of, Destructive, DestructiveKind, MAX_SCAN_BYTES};

/// Every result is inside the text, on char boundaries, not empty, described, and the list
/// is in source order.
fn check_shape(path: &str, text: &str, found: &[Destructive]) {
    for d in found {
        assert!(d.span.end <= text.len(), "{path}: {d:?} past the end");
        assert!(!d.span.is_empty(), "{path}: empty span {d:?}");
        assert!(
            text.is_char_boundary(d.span.start) && text.is_char_boundary(d.span.end),
            "{path}: {d:?} not on char boundaries"
        );
        assert!(!d.description.is_empty(), "{path}: {d:?} undescribed");
    }
    assert!(
        found
            .windows(2)
            .all(|w| (w[0].span.start, w[0].span.end) <= (w[1].span.start, w[1].span.end)),
        "{path}: not in source order: {found:?}"
    );
}

const PATHS: &[&str] = &[
    "db/migrations/001_x.sql",
    "db/migrate/20240101000000_x.rb",
    "app/migrations/0001_x.py",
    "alembic/versions/abc_x.py",
    "migrations/20240101_x.js",
    "src/migrations/1700000000000-X.ts",
    "database/migrations/2024_01_01_000000_x.php",
    "priv/repo/migrations/20240101000000_x.exs",
    "db/changelog/master.xml",
    "db/changelog/master.yaml",
];

#[test]
fn files_are_read_by_extension_and_location() {
    let sql = "ALTER TABLE users DROP COLUMN email;";
    assert_eq!(find("migrations/001_x.sql", sql).len(), 1);
    assert_eq!(find("MIGRATIONS/001_X.SQL", sql).len(), 1);
    for path in [
        "migrations/001_x.txt",
        "migrations/README.md",
        "migrations/x",
        "types.d.ts",
    ] {
        assert_eq!(find(path, sql), vec![], "{path}");
    }
    // A `.py` file is Alembic under `versions/` or with `def upgrade(`, else Django.
    let alembic = "def upgrade():\n    op.drop_table('users')\n";
    assert_eq!(find("alembic/versions/x.py", alembic).len(), 1);
    assert_eq!(find("somewhere/x.py", alembic).len(), 1);
    let django = "class Migration:\n    operations = [migrations.DeleteModel('User')]\n";
    assert_eq!(find("app/migrations/0002_x.py", django).len(), 1);
    assert_eq!(find("app/versions/0002_x.py", django), vec![]);
}

#[test]
fn results_are_in_source_order_with_their_kinds() {
    let text = "\
ALTER TABLE a RENAME TO b;
DROP TABLE c;
ALTER TABLE d ALTER COLUMN e SET NOT NULL, DROP COLUMN f, RENAME COLUMN g TO h;
";
    let found = find("x.sql", text);
    check_shape("x.sql", text, &found);
    let kinds: Vec<DestructiveKind> = found.iter().map(|d| d.kind).collect();
    assert_eq!(
        kinds,
        vec![
            DestructiveKind::RenameTable,
            DestructiveKind::DropTable,
            DestructiveKind::SetNotNull,
            DestructiveKind::DropColumn,
            DestructiveKind::RenameColumn,
        ]
    );
}

#[test]
fn a_change_is_judged_as_a_whole() {
    // Ory's fizz migrations split a SQLite table rebuild over four files.
    let files = [
        (
            "migrations/0001_errors.sqlite3.up.sql",
            "CREATE TABLE \"_errors_tmp\" (id TEXT PRIMARY KEY);",
        ),
        (
            "migrations/0002_errors.sqlite3.up.sql",
            "INSERT INTO \"_errors_tmp\" (id) SELECT id FROM \"errors\";",
        ),
        (
            "migrations/0003_errors.sqlite3.up.sql",
            "DROP TABLE \"errors\";",
        ),
        (
            "migrations/0004_errors.sqlite3.up.sql",
            "ALTER TABLE \"_errors_tmp\" RENAME TO \"errors\";",
        ),
    ];
    assert_eq!(find(files[2].0, files[2].1).len(), 1);
    assert_eq!(find_all(&files), vec![vec![], vec![], vec![], vec![]]);

    // A table one migration of the change creates is new for the others too; a table
    // dropped for good is still reported, in its own file.
    let files = [
        (
            "db/migrate/20240101000000_create_widgets.rb",
            "class A < ActiveRecord::Migration[7.1]\n  def change\n    create_table :widgets\n  end\nend\n",
        ),
        (
            "db/migrate/20240102000000_tidy_widgets.rb",
            "class B < ActiveRecord::Migration[7.1]\n  def change\n    remove_column :widgets, :x\n    drop_table :gadgets\n  end\nend\n",
        ),
    ];
    let all = find_all(&files);
    assert_eq!(all[0], vec![]);
    let descriptions: Vec<&str> = all[1].iter().map(|d| d.description.as_str()).collect();
    assert_eq!(descriptions, vec!["drops table `gadgets`"]);

    // A down file restating NOT NULL shows the up file only changes the type.
    let files = [
        (
            "migrations/20240101_widen.up.sql",
            "ALTER TABLE `users` MODIFY `email` VARCHAR(320) NOT NULL;",
        ),
        (
            "migrations/20240101_widen.down.sql",
            "ALTER TABLE `users` MODIFY `email` VARCHAR(255) NOT NULL;",
        ),
    ];
    assert_eq!(
        find("migrations/20240101_widen.up.sql", files[0].1).len(),
        1
    );
    assert_eq!(find_all(&files), vec![vec![], vec![]]);
    // Without that evidence the statement is reported, as by `find`.
    let up_only = [files[0]];
    assert_eq!(find_all(&up_only)[0], find(files[0].0, files[0].1));
}

#[test]
fn rollback_files_pair_with_their_up_files() {
    for (down, up) in [
        ("m/1_x.down.sql", "m/1_x.up.sql"),
        (
            "m/2024-01-01-000000_x/down.sql",
            "m/2024-01-01-000000_x/up.sql",
        ),
        ("sqls/20240101-x-down.sql", "sqls/20240101-x-up.sql"),
        ("db/migration/U2__drop.sql", "db/migration/V2__drop.sql"),
        ("DOWN.SQL", "UP.SQL"),
        (
            "db/migration/U3__scale_down.sql",
            "db/migration/V3__scale_down.sql",
        ),
    ] {
        assert_eq!(up_file_of(down).as_deref(), Some(up), "{down}");
    }
    assert_eq!(up_file_of("m/1_x.up.sql"), None);
    assert_eq!(up_file_of("m/V1__x.sql"), None);
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

/// Pieces of every language's syntax, meant to be glued at random.
const FRAGMENTS: &[&str] = &[
    "ALTER TABLE ", "users", " DROP COLUMN ", "DROP TABLE ", "RENAME ", " TO ", "COLUMN ",
    " SET NOT NULL", "MODIFY ", "CHANGE ", ";", ",", "(", ")", "[", "]", "{", "}", "'", "\"",
    "`", "$$", "$t$", "--", "/*", "*/", "#", "\n", " ", "\t", "\\", "E'", "-- +goose Down\n",
    "-- +goose Up\n", "-- migrate:down\n", "DELIMITER $$\n", "DELIMITER ;\n", "GO\n", "/\n",
    "BEGIN", "END", "CASE", "CREATE PROCEDURE p ", "DO ", "EXEC sp_rename ", "N'a.b'",
    "def up", "def down", "def change", " do", " end", "|t|", "remove_column :users, :email",
    "t.remove :a", "change_table :users", "<<~SQL\n", "SQL\n", "<<-'X'", "%q(", "%w[", ":\"",
    "=begin\n", "=end\n", "__END__\n", "#{", "execute ", "def upgrade():\n    ",
    "op.drop_column('a', 'b')", "with op.batch_alter_table('t') as b:\n        ",
    "b.drop_column('c')", "migrations.RemoveField(", "model_name=", "name=", "'''", "\"\"\"",
    "f'{", "rb'", "SeparateDatabaseAndState(state_operations=[", "exports.up = ", "(knex) => ",
    "knex.schema.table('u', (t) => {", "t.dropColumn('c')", "async up(q) {", "q.query(`",
    "${", "/re/", "a / b", "public function up() {", "Schema::table('u', function ($t) {",
    "$t->dropColumn('x')", "<<<SQL\n", "<<<'S'\n", "{$", "alter table(:u) do\n", "remove :c",
    "rename table(:a), to: table(:b)", "~s(", "?a", "def up, do: ", "<databaseChangeLog>",
    "<changeSet>", "<dropColumn tableName=\"t\" columnName=\"c\"/>", "<rollback>",
    "</rollback>", "<sql>", "</sql>", "<![CDATA[", "]]>", "<!--", "-->", "&amp;", "&#x41;",
    "databaseChangeLog:\n  - changeSet:\n      changes:\n        - dropTable:\n            tableName: x\n",
    "é", "日本", "🦀", "\u{1A}", "\r\n", "\0",
];

#[test]
fn random_input_never_panics_and_results_are_well_formed() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for round in 0..3000 {
        let pieces = 1 + rng.below(60);
        let mut text = String::new();
        for _ in 0..pieces {
            text.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
        }
        let path = PATHS[round % PATHS.len()];
        let found = find(path, &text);
        check_shape(path, &text, &found);
        let together = find_all(&[
            (path, &text),
            ("m/1.down.sql", &text),
            ("m/1.up.sql", &text),
        ]);
        check_shape(path, &text, &together[0]);
        check_shape("m/1.up.sql", &text, &together[2]);
        // Every prefix cut on a char boundary (unterminated everything) is fine too.
        let mut cut = rng.below(text.len() + 1);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let prefix = &text[..cut];
        check_shape(path, prefix, &find(path, prefix));
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0xBAD_5EED);
    for round in 0..2000 {
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() & 0xFF) as u8).collect();
        let text = String::from_utf8_lossy(&bytes);
        let path = PATHS[round % PATHS.len()];
        check_shape(path, &text, &find(path, &text));
    }
}

/// Inputs shaped to make a careless scanner quadratic, at size `n`.
fn pathological(n: usize) -> Vec<(&'static str, String)> {
    vec![
        ("x.sql", "[".repeat(n)),
        (
            "x.sql",
            format!(
                "DO $$ {} $$;",
                "THEN ALTER TABLE t DROP COLUMN c ".repeat(n / 8)
            ),
        ),
        (
            "x.sql",
            format!("ALTER TABLE t {}", "DROP COLUMN c, ".repeat(n / 4)),
        ),
        ("x.sql", "CREATE PROCEDURE p BEGIN ".repeat(n / 4)),
        (
            "x.rb",
            format!("def up\n{}\nend", "remove_column ".repeat(n / 2)),
        ),
        (
            "x.rb",
            format!(
                "def up\n{}{}",
                "x do\n".repeat(n / 4),
                "drop_table :a\n".repeat(n / 4)
            ),
        ),
        ("x.rb", format!("def up\n x = {}", "/\\".repeat(n))),
        (
            "x.js",
            format!("exports.up = (k) => {{ x = {} }}", "/\\".repeat(n)),
        ),
        (
            "x.js",
            format!(
                "exports.up = (k) => {{ {} }}",
                "k.schema.table('t', (t) => { t.dropColumn('c') });".repeat(n / 40)
            ),
        ),
        (
            "x.php",
            format!("<?php function up() {{ \"{}\" }}", "$a[".repeat(n / 3)),
        ),
        ("x.php", "function up() { ".repeat(n / 4)),
        (
            "x.exs",
            format!("def up do\n{}\nend", "remove ".repeat(n / 2)),
        ),
        (
            "x.exs",
            format!("def up do\n{}", "def up, do: ".repeat(n / 10)),
        ),
        (
            "x.py",
            format!("def upgrade():\n    {}", "op.drop_column(".repeat(n / 16)),
        ),
        (
            "x.xml",
            format!(
                "<databaseChangeLog>{}{}",
                "<a>".repeat(n / 3),
                "</b>".repeat(n / 4)
            ),
        ),
        (
            "x.xml",
            format!("<databaseChangeLog>{}", "<rollback>".repeat(n / 10)),
        ),
    ]
}

/// The best of three runs (scheduling noise only ever adds time).
fn timed(path: &str, text: &str) -> Duration {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            let found = find(path, text);
            let elapsed = started.elapsed();
            check_shape(path, text, &found);
            elapsed
        })
        .min()
        .unwrap_or_default()
}

/// A timing, so never a pass/fail test in CI: run it by hand after changing a scanner
/// (`cargo test --release --lib pathological -- --ignored`).
#[test]
#[ignore = "timing check, run by hand"]
fn pathological_input_stays_linear() {
    let n = 5_000;
    for ((path, small), (_, large)) in pathological(n).into_iter().zip(pathological(8 * n)) {
        // Below a few milliseconds, timings are mostly noise.
        let t_small = timed(path, &small).max(Duration::from_millis(20));
        let t_large = timed(path, &large);
        // Eight times the input: linear work takes about eight times as long, quadratic
        // sixty-four. The bound leaves room for noise on a busy, shared machine.
        assert!(
            t_large < t_small * 24,
            "{path}: {t_small:?} for {} bytes but {t_large:?} for {} bytes",
            small.len(),
            large.len()
        );
    }
}

#[test]
fn only_the_first_bytes_of_a_huge_file_are_read() {
    let filler = "SELECT 1;\n".repeat(MAX_SCAN_BYTES / 10 + 10);
    let late = format!("{filler}ALTER TABLE users DROP COLUMN email;\n");
    assert_eq!(find("x.sql", &late), vec![]);
    let early = format!("ALTER TABLE users DROP COLUMN email;\n{filler}");
    assert_eq!(find("x.sql", &early).len(), 1);
    // A multi-byte char across the cut is not split.
    let mut straddle = "x".repeat(MAX_SCAN_BYTES - 1);
    straddle.push_str("é;ALTER TABLE t DROP COLUMN c;");
    assert_eq!(find("x.sql", &straddle), vec![]);
}
