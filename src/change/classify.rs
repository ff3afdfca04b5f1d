//! What a changed path is: a migration (and of which framework), application code, or something
//! else (tests, docs, configuration, generated schema dumps), from its path alone.

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::config::ConfigError;

/// The migration frameworks change mode recognises by their conventional locations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framework {
    Rails,
    Django,
    Alembic,
    Prisma,
    Flyway,
    Liquibase,
    /// Goose, dbmate, sqlx, golang-migrate and other folders of plain SQL migrations.
    Sql,
    Diesel,
    /// knex, sequelize, typeorm and other JavaScript/TypeScript migration folders.
    JavaScript,
    Laravel,
    Ecto,
    /// Goose migrations written in Go.
    Go,
    /// Matched by a `[migrations] paths` glob of the configuration.
    Configured,
}

impl Framework {
    pub fn name(self) -> &'static str {
        match self {
            Framework::Rails => "Rails",
            Framework::Django => "Django",
            Framework::Alembic => "Alembic",
            Framework::Prisma => "Prisma",
            Framework::Flyway => "Flyway",
            Framework::Liquibase => "Liquibase",
            Framework::Sql => "SQL",
            Framework::Diesel => "Diesel",
            Framework::JavaScript => "JavaScript",
            Framework::Laravel => "Laravel",
            Framework::Ecto => "Ecto",
            Framework::Go => "Go",
            Framework::Configured => "configured",
        }
    }
}

/// The role of a changed path in a deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Migration(Framework),
    /// Application source code: what the running service executes.
    Code,
    /// Tests, docs, configuration, schema dumps, assets: nothing that changes how the running
    /// code uses the database.
    Other,
}

/// Source file extensions of application code.
const CODE_EXTENSIONS: &[&str] = &[
    "rb", "py", "js", "jsx", "mjs", "cjs", "ts", "tsx", "mts", "cts", "go", "java", "kt", "kts",
    "scala", "groovy", "clj", "cljs", "php", "ex", "exs", "erl", "hrl", "rs", "cs", "fs", "vb",
    "swift", "m", "mm", "c", "cc", "cpp", "cxx", "h", "hpp", "dart", "lua", "pl", "pm", "cr",
    "nim", "zig", "hs", "ml", "erb", "haml", "slim", "vue", "svelte",
];

/// Folders whose files are never application code.
const NOT_CODE_DIRS: &[&str] = &[
    "test",
    "tests",
    "spec",
    "specs",
    "__tests__",
    "__mocks__",
    "testdata",
    "test-data",
    "fixtures",
    "e2e",
    "cypress",
    "playwright",
    "features",
    "docs",
    "doc",
    "examples",
    "example",
    "vendor",
    "node_modules",
    "third_party",
    "scripts",
    "script",
    "bin",
    "tools",
    "benches",
    "benchmarks",
    ".github",
    "seeds",
    "seed",
    "factories",
    "testing",
    "testutil",
    "testutils",
    "testhelpers",
    "config",
    "generated",
    "__generated__",
];

/// Generated schema dumps and seed data that travel with migrations.
const NOT_CODE_FILES: &[&str] = &[
    "schema.rb",
    "structure.sql",
    "seeds.rb",
    "seeds.exs",
    "seeds.py",
    "schema.sql",
    "conftest.py",
    "setup.py",
    "manage.py",
    "build.rs",
    "gulpfile.js",
    "webpack.config.js",
    "babel.config.js",
    "jest.config.js",
    "jest.config.ts",
    "vite.config.ts",
    "vite.config.js",
    "eslint.config.js",
    "next.config.js",
    "tailwind.config.js",
    "knexfile.js",
    "knexfile.ts",
    "ormconfig.js",
    "ormconfig.ts",
    "alembic.ini",
    "env.py",
    "script.py.mako",
];

/// Classifies paths; configured globs come first.
pub struct Classifier {
    migrations: Option<GlobSet>,
    code: Option<GlobSet>,
    not_code: Option<GlobSet>,
}

fn glob_set(patterns: &[String], what: &str) -> Result<Option<GlobSet>, ConfigError> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern)
            .map_err(|e| ConfigError(format!("bad {what} glob `{pattern}`: {e}")))?;
        builder.add(glob);
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| ConfigError(format!("bad {what} globs: {e}")))
}

impl Classifier {
    /// `migrations`: globs of migration files (in addition to the conventional locations);
    /// `code`: when not empty, the globs of application code (replacing the built-in notion of
    /// source files); `not_code`: globs of files that are not application code (in addition to
    /// tests, docs, configuration). Globs match paths relative to the configuration file's
    /// folder ([`Classifier::classify_with`]).
    pub fn new(
        migrations: &[String],
        code: &[String],
        not_code: &[String],
    ) -> Result<Classifier, ConfigError> {
        Ok(Classifier {
            migrations: glob_set(migrations, "[migrations] paths")?,
            code: glob_set(code, "[migrations] code")?,
            not_code: glob_set(not_code, "[migrations] not-code")?,
        })
    }

    /// The role of `path` (repository-relative), the configured globs matching `path` itself.
    pub fn classify(&self, path: &str) -> Role {
        self.classify_with(path, Some(path))
    }

    /// The role of `path` (repository-relative, what the conventional locations and the
    /// built-in notion of code look at); the configured globs match `from_config`, the path
    /// relative to the configuration file's folder. A path outside that folder (`None`) cannot
    /// match them: it is classified as without them.
    pub fn classify_with(&self, path: &str, from_config: Option<&str>) -> Role {
        if let Some(framework) = migration_framework(path) {
            return Role::Migration(framework);
        }
        let matches = |globs: &Option<GlobSet>| {
            globs
                .as_ref()
                .zip(from_config)
                .is_some_and(|(globs, relative)| globs.is_match(relative))
        };
        if matches(&self.migrations) {
            // Only files that can hold a migration: not a README in a migrations folder.
            if !is_doc_or_meta(path) {
                return Role::Migration(Framework::Configured);
            }
        }
        if matches(&self.not_code) {
            return Role::Other;
        }
        if let (Some(code), Some(relative)) = (&self.code, from_config) {
            return if code.is_match(relative) {
                Role::Code
            } else {
                Role::Other
            };
        }
        if is_code(path) {
            Role::Code
        } else {
            Role::Other
        }
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn extension(path: &str) -> Option<&str> {
    let name = file_name(path);
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty()).then_some(ext)
}

fn dirs(path: &str) -> impl Iterator<Item = &str> {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    parts.into_iter()
}

fn is_doc_or_meta(path: &str) -> bool {
    let name = file_name(path).to_ascii_lowercase();
    name.starts_with("readme")
        || name.starts_with('.')
        || matches!(
            extension(&name),
            Some("md" | "txt" | "rst" | "adoc" | "gitkeep" | "keep")
        )
}

/// Whether a migration file only runs when rolling back: golang-migrate/sqlx `*.down.sql`,
/// Diesel `down.sql`, Flyway undo scripts `U<version>__*.sql`.
pub fn is_rollback_file(path: &str) -> bool {
    let name = file_name(path).to_ascii_lowercase();
    name == "down.sql"
        || name.ends_with(".down.sql")
        || (file_name(path).starts_with('U') && is_flyway_name(file_name(path)))
}

/// Whether a name starts with a migration version: digits (a counter, a date or a timestamp),
/// optionally `V`-prefixed for Flyway.
fn starts_with_version(name: &str) -> bool {
    name.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// The framework whose conventional location holds `path`, if any.
pub fn migration_framework(path: &str) -> Option<Framework> {
    let name = file_name(path);
    let ext = extension(path)?;
    let lower_path = path.to_ascii_lowercase();
    let parents: Vec<&str> = dirs(path).collect();
    let parent = parents.last().copied().unwrap_or("");
    let grandparent = parents
        .len()
        .checked_sub(2)
        .and_then(|i| parents.get(i))
        .copied()
        .unwrap_or("");
    if is_doc_or_meta(path) {
        return None;
    }
    // Rails: db/migrate/20240101000000_add_x.rb (also db/<name>_migrate for multiple databases).
    if ext == "rb"
        && (parent == "migrate" || parent.ends_with("_migrate"))
        && grandparent == "db"
        && starts_with_version(name)
    {
        return Some(Framework::Rails);
    }
    // Django: <app>/migrations/0001_initial.py.
    if ext == "py" && parent == "migrations" && starts_with_version(name) {
        return Some(Framework::Django);
    }
    // Alembic: alembic/versions/<rev>_x.py, migrations/versions/<rev>_x.py.
    if ext == "py" && parent == "versions" && name != "__init__.py" {
        return Some(Framework::Alembic);
    }
    // Prisma: prisma/migrations/<ts>_name/migration.sql.
    if name == "migration.sql" && grandparent == "migrations" {
        return Some(Framework::Prisma);
    }
    // Diesel: migrations/<date>_name/up.sql (down.sql is the rollback).
    if (name == "up.sql" || name == "down.sql") && grandparent == "migrations" {
        return Some(Framework::Diesel);
    }
    // Flyway: V1__init.sql, V2_1__x.sql, U2__undo.sql, R__views.sql (db/migration by default).
    if matches!(ext, "sql" | "java" | "kt")
        && (is_flyway_name(name) || (parent == "migration" && ext == "sql"))
    {
        return Some(Framework::Flyway);
    }
    // Liquibase changelogs: db/changelog/**, changelog*.xml|yaml|json|sql.
    if matches!(ext, "xml" | "yaml" | "yml" | "json" | "sql")
        && (parents
            .iter()
            .any(|d| d.to_ascii_lowercase().contains("changelog"))
            || name.to_ascii_lowercase().starts_with("changelog")
            || name.to_ascii_lowercase().starts_with("db.changelog"))
    {
        return Some(Framework::Liquibase);
    }
    // Laravel: database/migrations/2024_01_01_000000_create_x.php.
    if ext == "php" && parent == "migrations" {
        return Some(Framework::Laravel);
    }
    // Ecto: priv/repo/migrations/20240101000000_x.exs.
    if ext == "exs" && parent == "migrations" {
        return Some(Framework::Ecto);
    }
    let in_migrations_dir = parents.iter().any(|d| {
        matches!(
            d.to_ascii_lowercase().as_str(),
            "migrations" | "migration" | "migrate" | "db_migrations" | "sql_migrations"
        )
    });
    if !in_migrations_dir {
        return None;
    }
    // Goose/dbmate/sqlx/golang-migrate: migrations/0001_x.sql, 0001_x.up.sql, db/migrations/*.sql.
    if ext == "sql" {
        return Some(Framework::Sql);
    }
    // knex/sequelize/typeorm/node-pg-migrate/umzug: migrations/<ts>-name.js|ts.
    if matches!(ext, "js" | "ts" | "mjs" | "cjs" | "mts" | "cts")
        && starts_with_version(name)
        && !lower_path.contains(".test.")
        && !lower_path.contains(".spec.")
    {
        return Some(Framework::JavaScript);
    }
    // typeorm's generated names: 1700000000000-AddX.ts (covered above); goose Go migrations.
    if ext == "go" && starts_with_version(name) && !name.ends_with("_test.go") {
        return Some(Framework::Go);
    }
    None
}

fn is_flyway_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.first() {
        Some(b'V' | b'U') => {
            // V<version>__<description>: the version is digits with `.` or `_` separators.
            let Some(sep) = name.find("__") else {
                return false;
            };
            let version = &name[1..sep];
            !version.is_empty()
                && version.bytes().next().is_some_and(|b| b.is_ascii_digit())
                && version
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'_')
        }
        Some(b'R') => name.starts_with("R__") && name.len() > 3,
        _ => false,
    }
}

/// Whether a (non-migration) path is application source code.
fn is_code(path: &str) -> bool {
    let Some(ext) = extension(path) else {
        return false;
    };
    if !CODE_EXTENSIONS.contains(&ext) {
        return false;
    }
    let name = file_name(path);
    if NOT_CODE_FILES.contains(&name) {
        return false;
    }
    // What lives beside migrations (`__init__.py`, helpers, archived `db/old_migrations/`) is
    // part of them, not application code.
    if dirs(path).any(|d| {
        let d = d.to_ascii_lowercase();
        NOT_CODE_DIRS.contains(&d.as_str()) || d.starts_with('.') || d.contains("migrat")
    }) {
        return false;
    }
    // Java/Kotlin/Scala test source sets: src/test/..., src/integrationTest/...
    if path.contains("src/test/") || path.contains("src/integrationTest/") {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    let stem = lower.rsplit_once('.').map_or(lower.as_str(), |(s, _)| s);
    // Build and tool configuration written in code: `next.config.mjs`, `rollup.prod.config.js`.
    if stem.ends_with(".config") || stem.contains(".config.") || stem == "mix" {
        return false;
    }
    !(lower.starts_with("test_")
        || stem == "test"
        || stem == "tests"
        || stem.ends_with("_test")
        || stem.ends_with("_spec")
        || stem.ends_with(".test")
        || stem.ends_with(".spec")
        || stem.ends_with(".stories")
        || stem.ends_with(".d")
        || stem.ends_with("test") && ext == "java"
        || stem.ends_with("tests") && ext == "cs")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(path: &str) -> Role {
        Classifier::new(&[], &[], &[])
            .map(|c| c.classify(path))
            .unwrap_or(Role::Other)
    }

    fn framework(path: &str) -> Option<Framework> {
        match role(path) {
            Role::Migration(f) => Some(f),
            _ => None,
        }
    }

    #[test]
    fn conventional_migration_locations() {
        use Framework::*;
        let cases = [
            ("db/migrate/20240101000000_add_email.rb", Rails),
            ("db/animals_migrate/20240101000000_x.rb", Rails),
            ("shop/migrations/0002_order_total.py", Django),
            ("alembic/versions/3f2a_drop_x.py", Alembic),
            ("migrations/versions/a1b2c3_x.py", Alembic),
            ("prisma/migrations/20240101_init/migration.sql", Prisma),
            ("migrations/2024-01-01-000000_create/up.sql", Diesel),
            ("src/main/resources/db/migration/V2__add_col.sql", Flyway),
            ("sql/V1.2__init.sql", Flyway),
            ("db/migration/R__views.sql", Flyway),
            (
                "src/main/resources/db/changelog/db.changelog-master.yaml",
                Liquibase,
            ),
            ("db/changelog/changes/002-drop.xml", Liquibase),
            (
                "src/main/resources/db/custom-changelog/0001_job.xml",
                Liquibase,
            ),
            (
                "database/migrations/2024_01_01_000000_create_users_table.php",
                Laravel,
            ),
            ("priv/repo/migrations/20240101000000_add_x.exs", Ecto),
            ("db/migrations/20240101000000_create.sql", Sql),
            ("migrations/00002_add.sql", Sql),
            ("migrations/20240101_x.up.sql", Sql),
            ("migrations/20240101120000_add_users.js", JavaScript),
            ("src/migrations/1700000000000-AddEmail.ts", JavaScript),
            ("db/migrations/00003_backfill.go", Go),
        ];
        for (path, expected) in cases {
            assert_eq!(framework(path), Some(expected), "{path}");
        }
    }

    #[test]
    fn not_migrations() {
        for path in [
            "db/migrate/README.md",
            "shop/migrations/__init__.py",
            "alembic/env.py",
            "db/schema.rb",
            "app/models/migration.rb",
            "migrations/.gitkeep",
            "src/migrations/index.test.ts",
            "docs/migrations.md",
        ] {
            assert_eq!(framework(path), None, "{path}");
        }
    }

    #[test]
    fn code_and_other() {
        for path in [
            "app/models/user.rb",
            "shop/views.py",
            "src/server.ts",
            "cmd/api/main.go",
            "lib/my_app/accounts.ex",
            "src/main/java/com/x/UserRepository.java",
            "app/Http/Controllers/UserController.php",
        ] {
            assert_eq!(role(path), Role::Code, "{path}");
        }
        for path in [
            "spec/models/user_spec.rb",
            "tests/test_views.py",
            "shop/tests.py",
            "src/server.test.ts",
            "pkg/api/handler_test.go",
            "src/test/java/com/x/UserRepositoryTest.java",
            "README.md",
            "docs/guide.py",
            "db/schema.rb",
            "db/structure.sql",
            "prisma/schema.prisma",
            "config/database.yml",
            "package.json",
            "Dockerfile",
            ".github/workflows/ci.yml",
            "types/index.d.ts",
            "db/old_migrations/20200101000000_create_users.rb",
            "next.config.mjs",
            "rollup.prod.config.js",
            "config/runtime.exs",
            "mix.exs",
            "packages/prisma/seed/users.ts",
            "netbox/utilities/testing/base.py",
        ] {
            assert_ne!(role(path), Role::Code, "{path}");
        }
    }

    #[test]
    fn configured_globs() {
        let c = match Classifier::new(
            &["schema/changes/**".into()],
            &[],
            &["app/generated/**".into()],
        ) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(
            c.classify("schema/changes/001.cql"),
            Role::Migration(Framework::Configured)
        );
        assert_eq!(c.classify("schema/changes/README.md"), Role::Other);
        assert_eq!(c.classify("app/generated/client.ts"), Role::Other);
        assert_eq!(c.classify("app/client.ts"), Role::Code);
        assert!(Classifier::new(&["[".into()], &[], &[]).is_err());
        let only = match Classifier::new(&[], &["services/api/**".into()], &[]) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(only.classify("services/api/handler.go"), Role::Code);
        assert_eq!(only.classify("services/web/handler.go"), Role::Other);
    }
}
