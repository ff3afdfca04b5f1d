//! SL603 destructive-migration-with-code (change mode): a migration in the change drops or renames
//! a column or table, or makes a column NOT NULL, and the same change ships application code.
//! While the deploy rolls out, instances of the previous version still read and write what the
//! migration removes.
//!
//! Statements are found by [`crate::change::destructive`] (a SQL tokenizer and small tokenizers
//! for Ruby, Python, JavaScript, PHP, Elixir and Liquibase changelogs), across all the change's
//! migrations at once (a table another migration of the change creates is new); in a modified
//! migration only statements on lines the change touched count, and rollback-only sections and
//! files never do.

use crate::change::destructive::DestructiveKind;
use crate::change::Framework;
use crate::diagnostic::Location;
use crate::rules::{Reporter, RuleContext};

fn help(kind: DestructiveKind, framework: Framework) -> &'static str {
    match kind {
        DestructiveKind::DropColumn if framework == Framework::Rails => {
            "first ship and deploy code that no longer reads or writes it (list it in the model's `self.ignored_columns`), then drop it in a later change"
        }
        DestructiveKind::DropColumn | DestructiveKind::DropTable => {
            "first ship and deploy code that no longer reads or writes it, then drop it in a later change"
        }
        DestructiveKind::RenameColumn | DestructiveKind::RenameTable => {
            "expand and contract: add the new name, write to both and backfill, deploy code that reads the new name, then remove the old one in a later change"
        }
        DestructiveKind::SetNotNull => {
            "first deploy code that always writes the column and backfill existing rows, then add the NOT NULL constraint in a later change"
        }
    }
}

fn consequence(kind: DestructiveKind) -> &'static str {
    match kind {
        DestructiveKind::DropColumn | DestructiveKind::DropTable => {
            "instances of the previous version still query it during the rollout and fail"
        }
        DestructiveKind::RenameColumn | DestructiveKind::RenameTable => {
            "instances of the previous version still use the old name during the rollout and fail"
        }
        DestructiveKind::SetNotNull => {
            "instances of the previous version still insert rows without it during the rollout and fail"
        }
    }
}

pub fn check(ctx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    let Some(change) = ctx.change else {
        return;
    };
    let Some(code) = change.code_summary() else {
        return;
    };
    for (migration, _, id, statements) in change.migrations() {
        for statement in statements {
            out.report(
                Location::new(id, statement.span),
                format!(
                    "migration {} in the same change as application code; {}",
                    statement.description,
                    consequence(statement.kind)
                ),
            )
            .primary(format!("ships with {code}"))
        .footer(change.code_footer())
            .help(help(statement.kind, migration.framework));
        }
    }
}
