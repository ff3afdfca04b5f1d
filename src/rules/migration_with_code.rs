//! SL602 migration-with-code (change mode): the change adds or modifies migrations and also
//! application code, so one deploy both changes the schema and ships code that depends on it.
//!
//! One finding per migration file, at its first line, with the code files it ships with. A
//! migration whose changed lines drop, rename or make a column NOT NULL is SL603's (an error)
//! when SL603 runs. A migration moved without changing its name or content is not a new
//! migration and does not fire.

use crate::change::{ChangedFile, ChangedMigration, Framework, Status};
use crate::diagnostic::Location;
use crate::rules::{Reporter, RuleContext};

const HELP: &str = "ship the migration on its own first (backward compatible with the running code), deploy it, then ship the code that uses it; keep destructive steps for a later change";

/// Whether a renamed migration with unchanged content is a new migration to the framework: the
/// frameworks that key migrations by file (or folder) name run a renamed one again; Alembic and
/// Liquibase key them by ids inside the file.
fn rename_is_new(file: &ChangedFile, migration: &ChangedMigration) -> bool {
    if migration.changed_lines.as_ref().is_some_and(|l| !l.is_empty()) {
        return true;
    }
    let Some(old) = &file.old_path else {
        return true;
    };
    if matches!(
        migration.framework,
        Framework::Alembic | Framework::Liquibase
    ) {
        return false;
    }
    // Prisma and Diesel name a migration by its folder.
    let name = |p: &str| -> String {
        let mut parts = p.rsplit('/');
        let file = parts.next().unwrap_or("");
        match migration.framework {
            Framework::Prisma | Framework::Diesel => parts.next().unwrap_or(file).to_string(),
            _ => file.to_string(),
        }
    };
    name(old) != name(&file.path)
}

/// Whether a migration file changes nothing by itself: a Liquibase changelog that only includes
/// others (no changeSet of its own), a Django merge migration (`operations = []`).
fn changes_nothing(framework: Framework, text: &str) -> bool {
    match framework {
        Framework::Liquibase => !text.to_ascii_lowercase().contains("changeset"),
        Framework::Django => {
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            compact.contains("operations=[]") && !compact.contains("operations=[m")
        }
        _ => false,
    }
}

fn article(word: &str) -> &'static str {
    match word.chars().next() {
        Some('A' | 'E' | 'I' | 'O' | 'U' | 'S') => "an",
        _ => "a",
    }
}

pub fn check(ctx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    let Some(change) = ctx.change else {
        return;
    };
    let Some(code) = change.code_summary() else {
        return;
    };
    let code_count = change.set.code_files().count();
    let sl603 = ctx.selection.is_enabled("SL603");
    for (migration, file, id, destructive) in change.migrations() {
        match file.status {
            Status::Renamed if !rename_is_new(file, migration) => continue,
            Status::Modified | Status::TypeChanged
                if migration.changed_lines.as_ref().is_some_and(Vec::is_empty) =>
            {
                continue
            }
            _ => {}
        }
        if sl603 && !destructive.is_empty() {
            continue;
        }
        let text = ctx.files.text(id);
        let text = &*text;
        if changes_nothing(migration.framework, text) {
            continue;
        }
        let location = Location::new(id, crate::first_line_span(text));
        let verb = match file.status {
            Status::Modified | Status::TypeChanged => "changes",
            Status::Renamed => "renames",
            _ => "adds",
        };
        out.report(
            location,
            format!(
                "the change {verb} {} and also changes application code ({code_count} file{}); one deploy changes the schema and the code that uses it",
                match migration.framework {
                    Framework::Configured => "a migration".to_string(),
                    other => format!("{} {} migration", article(other.name()), other.name()),
                },
                if code_count == 1 { "" } else { "s" }
            ),
        )
        .primary(format!("ships with {code}"))
        .footer(change.code_footer())
        .help(HELP);
    }
}
