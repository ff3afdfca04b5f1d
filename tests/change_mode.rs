//! Change mode end to end: real git repositories (init, commit, branch, merge, shallow clone) and
//! the real binary with `--diff`.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::git;

fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, text).expect("write");
}

/// Change application code (a model).
fn change_code(root: &Path) {
    write(
        root,
        "app/models/user.rb",
        "class User < ApplicationRecord\n  has_many :posts\nend\n",
    );
}

fn commit_all(root: &Path, message: &str) {
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "--allow-empty", "-m", message]);
}

/// Commit a destructive migration (SL603) with a change of application code.
fn commit_drop_with_code(root: &Path) {
    write(
        root,
        "db/migrate/20250301000000_remove_legacy_from_users.rb",
        DROP_MIGRATION,
    );
    change_code(root);
    commit_all(root, "drop");
}

/// A repository with some history on `main` and a `feature` branch checked out.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(
        root,
        "app/models/user.rb",
        "class User < ApplicationRecord\nend\n",
    );
    write(
        root,
        "db/migrate/20250101000000_create_users.rb",
        "class CreateUsers < ActiveRecord::Migration[7.1]\n  def change\n    create_table :users do |t|\n      t.string :email\n    end\n  end\nend\n",
    );
    write(
        root,
        "db/schema.rb",
        "ActiveRecord::Schema.define do\nend\n",
    );
    commit_all(root, "initial");
    git(root, &["checkout", "-q", "-b", "feature"]);
    dir
}

/// The binary in `root` with `args`, git's user and system configuration out of the way, and
/// `env` on top.
fn command(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shutdownlint"));
    command
        .current_dir(root)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_BASE_REF")
        .env("NO_COLOR", "1");
    for (k, v) in env {
        command.env(k, v);
    }
    command
}

fn run(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(root, args, env).output().expect("run shutdownlint")
}

/// (rule, file, line, column) of every finding, from `--format json`.
fn findings(out: &Output) -> Vec<(String, String, u64, u64)> {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    json["diagnostics"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| {
                    (
                        d["rule"].as_str().unwrap_or("").to_string(),
                        d["file"].as_str().unwrap_or("").to_string(),
                        d["start"]["line"].as_u64().unwrap_or(0),
                        d["start"]["column"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn lint_json(root: &Path, base: &str) -> (Output, Vec<(String, String, u64, u64)>) {
    let out = run(root, &["--diff", base, "--format", "json"], &[]);
    let found = findings(&out);
    (out, found)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const DROP_MIGRATION: &str = "class RemoveLegacyFromUsers < ActiveRecord::Migration[7.1]\n  def change\n    remove_column :users, :legacy_token, :string\n  end\nend\n";
const ADD_MIGRATION: &str = "class AddNicknameToUsers < ActiveRecord::Migration[7.1]\n  def change\n    add_column :users, :nickname, :string\n  end\nend\n";

#[test]
fn destructive_migration_with_code_is_an_error_at_the_statement() {
    let dir = repo();
    let root = dir.path();
    write(
        root,
        "db/migrate/20250301000000_remove_legacy_from_users.rb",
        DROP_MIGRATION,
    );
    write(
        root,
        "app/models/user.rb",
        "class User < ApplicationRecord\n  validates :email, presence: true\nend\n",
    );
    commit_all(root, "drop legacy token");
    let (out, found) = lint_json(root, "main");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        found,
        vec![(
            "SL603".to_string(),
            "db/migrate/20250301000000_remove_legacy_from_users.rb".to_string(),
            3,
            5
        )]
    );
    // Human output names the code the migration ships with.
    let human = run(root, &["--diff", "main"], &[]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("ships with app/models/user.rb"), "{text}");
    assert!(text.contains("remove_column"), "{text}");
}

#[test]
fn additive_migration_with_code_is_a_warning_at_the_first_line() {
    let dir = repo();
    let root = dir.path();
    write(
        root,
        "db/migrate/20250301000000_add_nickname_to_users.rb",
        ADD_MIGRATION,
    );
    write(
        root,
        "app/models/user.rb",
        "class User < ApplicationRecord\n  validates :nickname, length: { maximum: 40 }\nend\n",
    );
    write(
        root,
        "app/views/users/show.html.erb",
        "<%= @user.nickname %>\n",
    );
    commit_all(root, "nickname");
    let (out, found) = lint_json(root, "main");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        found,
        vec![(
            "SL602".to_string(),
            "db/migrate/20250301000000_add_nickname_to_users.rb".to_string(),
            1,
            1
        )]
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let message = json["diagnostics"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("2 files"), "{message}");
    // --fail-on error: a warning does not fail the run.
    let out = run(root, &["--diff", "main", "--fail-on", "error"], &[]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn migration_alone_and_code_alone_are_fine() {
    let dir = repo();
    let root = dir.path();
    write(
        root,
        "db/migrate/20250301000000_remove_legacy_from_users.rb",
        DROP_MIGRATION,
    );
    write(
        root,
        "db/schema.rb",
        "ActiveRecord::Schema.define(version: 1) do\nend\n",
    );
    write(
        root,
        "spec/models/user_spec.rb",
        "RSpec.describe User do\nend\n",
    );
    commit_all(root, "migration only");
    let (out, found) = lint_json(root, "main");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(found.is_empty(), "{found:?}");

    git(root, &["checkout", "-q", "main"]);
    git(root, &["checkout", "-q", "-b", "code-only"]);
    change_code(root);
    commit_all(root, "code only");
    let (out, found) = lint_json(root, "main");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn renamed_and_deleted_migrations() {
    let dir = repo();
    let root = dir.path();
    // A new timestamp makes it a new migration to Rails: it runs again.
    git(
        root,
        &[
            "mv",
            "db/migrate/20250101000000_create_users.rb",
            "db/migrate/20250401000000_create_users.rb",
        ],
    );
    change_code(root);
    commit_all(root, "rename");
    let (_, found) = lint_json(root, "main");
    assert_eq!(
        found,
        vec![(
            "SL602".to_string(),
            "db/migrate/20250401000000_create_users.rb".to_string(),
            1,
            1
        )]
    );

    // Deleting (squashing) migrations runs nothing.
    git(root, &["checkout", "-q", "main"]);
    git(root, &["checkout", "-q", "-b", "squash"]);
    git(
        root,
        &["rm", "-q", "db/migrate/20250101000000_create_users.rb"],
    );
    change_code(root);
    commit_all(root, "squash");
    let (out, found) = lint_json(root, "main");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(found.is_empty(), "{found:?}");

    // Moving migrations to another folder under the same names is not a new migration.
    git(root, &["checkout", "-q", "main"]);
    git(root, &["checkout", "-q", "-b", "move"]);
    std::fs::create_dir_all(root.join("db/primary_migrate")).expect("mkdir");
    git(
        root,
        &[
            "mv",
            "db/migrate/20250101000000_create_users.rb",
            "db/primary_migrate/20250101000000_create_users.rb",
        ],
    );
    change_code(root);
    commit_all(root, "move");
    let (_, found) = lint_json(root, "main");
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn modified_migration_counts_only_the_lines_it_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    let before = "-- +goose Up\nALTER TABLE orders DROP COLUMN legacy_ref;\nCREATE INDEX orders_customer_idx ON orders (customer_id);\n\n-- +goose Down\nALTER TABLE orders ADD COLUMN legacy_ref text;\n";
    write(root, "db/migrations/00031_cleanup.sql", before);
    write(root, "internal/orders/store.go", "package orders\n");
    commit_all(root, "base");
    git(root, &["checkout", "-q", "-b", "feature"]);
    write(
        root,
        "db/migrations/00031_cleanup.sql",
        &before.replace("(customer_id)", "(customer_id, created_at)"),
    );
    write(
        root,
        "internal/orders/store.go",
        "package orders\n\nconst q = 1\n",
    );
    commit_all(root, "tweak index");
    let (_, found) = lint_json(root, "main");
    // The untouched DROP on line 2 is not part of this change; the edit itself is SL602.
    assert_eq!(
        found,
        vec![(
            "SL602".to_string(),
            "db/migrations/00031_cleanup.sql".to_string(),
            1,
            1
        )]
    );
}

#[test]
fn merge_commits_on_the_branch_use_the_merge_base() {
    let dir = repo();
    let root = dir.path();
    write(
        root,
        "db/migrate/20250301000000_add_nickname_to_users.rb",
        ADD_MIGRATION,
    );
    commit_all(root, "migration on the branch");
    // main moves on with code changes; the branch merges main.
    git(root, &["checkout", "-q", "main"]);
    write(
        root,
        "app/controllers/users_controller.rb",
        "class UsersController < ApplicationController\nend\n",
    );
    commit_all(root, "code on main");
    git(root, &["checkout", "-q", "feature"]);
    git(
        root,
        &[
            "merge",
            "-q",
            "--no-edit",
            "--no-ff",
            "main",
            "-m",
            "merge main",
        ],
    );
    // main's code came in through the merge: the change itself is the migration alone.
    let (out, found) = lint_json(root, "main");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(found.is_empty(), "{found:?}");
    // Code added on the branch after the merge makes it a migration with code.
    write(
        root,
        "app/models/user.rb",
        "class User < ApplicationRecord\n  validates :nickname, presence: true\nend\n",
    );
    commit_all(root, "use nickname");
    let (_, found) = lint_json(root, "main");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "SL602");
}

#[test]
fn sql_suppression_comment_silences_sl603() {
    let dir = repo();
    let root = dir.path();
    write(
        root,
        "db/migrations/20250301000000_drop_sessions.sql",
        "-- migrate:up\n-- shutdownlint: ignore[SL603] sessions unused since v2\nDROP TABLE sessions;\n\n-- migrate:down\nCREATE TABLE sessions (id text);\n",
    );
    change_code(root);
    commit_all(root, "drop sessions");
    let (out, found) = lint_json(root, "main");
    assert!(found.is_empty(), "{found:?}: {}", stderr(&out));
}

#[test]
fn linted_path_limits_the_change() {
    let dir = repo();
    let root = dir.path();
    write(
        root,
        "services/api/db/migrate/20250301000000_add_nickname_to_users.rb",
        ADD_MIGRATION,
    );
    write(root, "services/api/app/models/user.rb", "class User\nend\n");
    write(root, "services/web/src/index.ts", "export const x = 1;\n");
    commit_all(root, "two services");
    let out = run(
        root,
        &["services/api", "--diff", "main", "--format", "json"],
        &[],
    );
    let found = findings(&out);
    assert_eq!(
        found,
        vec![(
            "SL602".to_string(),
            "services/api/db/migrate/20250301000000_add_nickname_to_users.rb".to_string(),
            1,
            1
        )]
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let label = json["diagnostics"][0]["message"].as_str().unwrap_or("");
    assert!(label.contains("(1 file)"), "{label}");
    // Only the web service: code alone.
    let out = run(
        root,
        &["services/web", "--diff", "main", "--format", "json"],
        &[],
    );
    assert!(findings(&out).is_empty());
}

#[test]
fn errors_say_what_is_wrong_and_how_to_fix_it() {
    // Not a git repository.
    let plain = tempfile::tempdir().expect("tempdir");
    write(plain.path(), "Dockerfile", "FROM alpine\n");
    let out = run(plain.path(), &["--diff", "main"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not inside a git repository"),
        "{}",
        stderr(&out)
    );

    // Unknown base; a remote branch of that name is suggested.
    let dir = repo();
    let root = dir.path();
    let out = run(root, &["--diff", "no-such-branch"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown revision `no-such-branch`"));
    // A remote-tracking branch not fetched yet: the fetch named fetches it into that name (the
    // hint was `git fetch origin origin/main`, which git refuses, or `origin/origin/main`).
    git(
        root,
        &[
            "remote",
            "add",
            "origin",
            "https://example.invalid/repo.git",
        ],
    );
    let out = run(root, &["--diff", "origin/main"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let said = stderr(&out);
    assert!(
        said.contains("`git fetch origin refs/heads/main:refs/remotes/origin/main`"),
        "{said}"
    );
    assert!(!said.contains("origin/origin"), "{said}");
    let out = run(root, &["--diff", "main2"], &[]);
    assert!(
        stderr(&out).contains(
            "a branch with `git fetch origin refs/heads/main2:refs/remotes/origin/main2`, then `--diff origin/main2`; a tag with `git fetch origin tag main2`"
        ),
        "{}",
        stderr(&out)
    );
    let out = run(root, &["--diff", "--upload-pack=touch pwned"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!root.join("pwned").exists());

    // stdin cannot be diffed.
    let out = run(root, &["-", "--diff", "main"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn shallow_clone_without_merge_base_says_fetch_depth_0() {
    let dir = repo();
    let origin = dir.path();
    write(
        origin,
        "db/migrate/20250301000000_add_nickname_to_users.rb",
        ADD_MIGRATION,
    );
    commit_all(origin, "migration");
    git(origin, &["checkout", "-q", "main"]);
    write(origin, "app/models/post.rb", "class Post\nend\n");
    commit_all(origin, "main moves on");
    git(origin, &["checkout", "-q", "feature"]);

    let clones = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}", origin.display());
    let clone = clones.path().join("shallow");
    let clone_str = clone.to_string_lossy().into_owned();
    git(
        clones.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            &url,
            &clone_str,
        ],
    );
    git(&clone, &["checkout", "-q", "feature"]);
    let out = run(&clone, &["--diff", "origin/main"], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("shallow clone"), "{err}");
    assert!(err.contains("fetch-depth: 0"), "{err}");

    // A single-branch shallow clone does not even have the base.
    let single = clones.path().join("single");
    let single_str = single.to_string_lossy().into_owned();
    git(
        clones.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--branch",
            "feature",
            &url,
            &single_str,
        ],
    );
    let out = run(&single, &["--diff", "main"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("shallow"), "{err}");

    // With full history it works.
    let full = clones.path().join("full");
    let full_str = full.to_string_lossy().into_owned();
    git(
        clones.path(),
        &["clone", "-q", "--branch", "feature", &url, &full_str],
    );
    let out = run(&full, &["--diff", "origin/main", "--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn github_base_ref_is_the_default_base_in_actions() {
    let dir = repo();
    let origin = dir.path();
    commit_drop_with_code(origin);
    let clones = tempfile::tempdir().expect("tempdir");
    let clone = clones.path().join("checkout");
    let clone_str = clone.to_string_lossy().into_owned();
    let url = format!("file://{}", origin.display());
    git(
        clones.path(),
        &["clone", "-q", "--branch", "feature", &url, &clone_str],
    );
    let actions = [("GITHUB_ACTIONS", "true"), ("GITHUB_BASE_REF", "main")];
    let out = run(&clone, &["--format", "json"], &actions);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(findings(&out)[0].0, "SL603");
    // --no-diff turns it off.
    let out = run(&clone, &["--format", "json", "--no-diff"], &actions);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A base that cannot be resolved is a note, not an error, when it was not asked for.
    let out = run(
        &clone,
        &["--format", "json"],
        &[("GITHUB_ACTIONS", "true"), ("GITHUB_BASE_REF", "gone")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("GITHUB_BASE_REF"), "{}", stderr(&out));
}

/// Whether `git` can be run at all; the tests below print a note and pass without it.
fn git_available() -> bool {
    let ok = Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("note: git is not installed; test skipped");
    }
    ok
}

/// Run the binary, killing it if it has not ended after `limit`: a hang fails the test instead
/// of the test run. Returns the output and how long the run took.
fn run_bounded(
    root: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    limit: std::time::Duration,
) -> (Output, std::time::Duration) {
    common::output_within(&mut command(root, args, env), limit)
}

#[test]
fn diff_drivers_configured_inside_a_submodule_never_run() {
    if !git_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let top = dir.path();
    let marker = top.join("PWNED");
    let sub = top.join("sub");
    std::fs::create_dir_all(&sub).expect("mkdir");
    git(&sub, &["init", "-q"]);
    commit_all(&sub, "one");
    write(&sub, "f", "x\n");
    write(&sub, ".gitattributes", "* diff=evil\n");
    commit_all(&sub, "two");

    let root = top.join("super");
    std::fs::create_dir_all(&root).expect("mkdir");
    git(&root, &["init", "-q"]);
    write(&root, "app/models/user.rb", "class User\nend\n");
    let module = "db/migrate/20240101000000_s.rb";
    let url = sub.to_string_lossy().into_owned();
    git(&root, &["submodule", "add", "-q", &url, module]);
    git(&root.join(module), &["checkout", "-q", "HEAD~1"]);
    commit_all(&root, "base");
    git(&root, &["checkout", "-q", "-b", "feature"]);
    git(&root.join(module), &["checkout", "-q", "main"]);
    change_code(&root);
    commit_all(&root, "change");
    // The scanned repository asks for submodule diffs, and the submodule's own configuration
    // names a diff driver that its `.gitattributes` selects.
    git(&root, &["config", "diff.submodule", "diff"]);
    let module_config = root.join(".git/modules").join(module).join("config");
    let module_config = module_config.to_string_lossy().into_owned();
    let command = format!("touch '{}'; true", marker.display());
    git(
        &root,
        &[
            "config",
            "-f",
            &module_config,
            "diff.evil.command",
            &command,
        ],
    );
    git(
        &root,
        &[
            "config",
            "-f",
            &module_config,
            "diff.evil.textconv",
            &command,
        ],
    );

    let (out, _) = run_bounded(
        &root,
        &["--diff", "main", "--format", "json"],
        &[],
        std::time::Duration::from_secs(60),
    );
    assert!(
        !marker.exists(),
        "a program configured in the scanned repository ran: {}",
        stderr(&out)
    );
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?} {}",
        out.status,
        stderr(&out)
    );
}

/// Make a FIFO at `path`; false (with a note) where `mkfifo` is not available.
#[cfg(unix)]
fn mkfifo(path: &Path) -> bool {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("note: mkfifo failed; test skipped");
    }
    ok
}

#[cfg(unix)]
#[test]
fn a_fifo_for_git_head_ends_with_an_error_not_a_hang() {
    if !git_available() {
        return;
    }
    let dir = repo();
    let root = dir.path();
    commit_drop_with_code(root);
    let head = root.join(".git/HEAD");
    std::fs::remove_file(&head).expect("rm HEAD");
    if !mkfifo(&head) {
        return;
    }
    git_fails_in_time(root, "HEAD", 5);
}

/// `--diff main` in `root` ends with exit 2 and an error that mentions `error` within
/// `within_secs`; so does the GitHub Actions default base, with a note and the run going on.
#[cfg(unix)]
fn git_fails_in_time(root: &Path, error: &str, within_secs: u64) {
    let limit = std::time::Duration::from_secs(90);
    let (out, took) = run_bounded(root, &["--diff", "main"], &[], limit);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(error), "{}", stderr(&out));
    assert!(took.as_secs() < within_secs, "took {took:?}");
    let actions = [("GITHUB_ACTIONS", "true"), ("GITHUB_BASE_REF", "main")];
    let (out, took) = run_bounded(root, &["--format", "json"], &actions, limit);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("note:"), "{}", stderr(&out));
    assert!(took.as_secs() < within_secs, "took {took:?}");
}

#[cfg(unix)]
#[test]
fn a_config_include_of_a_fifo_ends_with_an_error_not_a_hang() {
    if !git_available() {
        return;
    }
    let dir = repo();
    let root = dir.path();
    change_code(root);
    commit_all(root, "code");
    let fifos = tempfile::tempdir().expect("tempdir");
    let fifo = fifos.path().join("config-fifo");
    if !mkfifo(&fifo) {
        return;
    }
    let fifo = fifo.to_string_lossy().into_owned();
    git(root, &["config", "include.path", &fifo]);
    git_fails_in_time(root, "did not finish", 10);
}

#[test]
fn migration_names_with_spaces_and_non_ascii_letters() {
    if !git_available() {
        return;
    }
    let before = "-- +goose Up\nCREATE INDEX orders_customer_idx ON orders (customer_id);\n\n-- +goose Down\nDROP INDEX orders_customer_idx;\n";
    let after = "-- +goose Up\nCREATE INDEX orders_customer_idx ON orders (customer_id);\nALTER TABLE orders DROP COLUMN legacy_ref;\n\n-- +goose Down\nDROP INDEX orders_customer_idx;\n";
    let mut names = vec![
        "db/migrations/00031_clean up.sql",
        "db/migrations/00031_nettoyage_données.sql",
    ];
    // Names git quotes (`"b/…\t…"`); Windows has no such file names.
    if cfg!(unix) {
        names.push("db/migrations/00031_tab\there.sql");
        names.push("db/migrations/00031_\"quoted\" and \\slashed.sql");
    }
    for name in names {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        git(root, &["init", "-q"]);
        write(root, name, before);
        write(root, "internal/orders/store.go", "package orders\n");
        commit_all(root, "base");
        git(root, &["checkout", "-q", "-b", "feature"]);
        write(root, name, after);
        write(
            root,
            "internal/orders/store.go",
            "package orders\n\nconst q = 1\n",
        );
        commit_all(root, "drop legacy_ref");
        let (out, found) = lint_json(root, "main");
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        let rules: Vec<(&str, u64)> = found.iter().map(|f| (f.0.as_str(), f.2)).collect();
        assert_eq!(rules, vec![("SL603", 3)], "{name}: {found:?}");
    }
}

/// A migration over the size cap on either side of the change is not reviewed, with a note: its
/// text would be read whole and its line diff would have git load both sides.
#[test]
fn migrations_over_the_size_cap_on_either_side_get_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    write(root, ".shutdownlint.toml", "max-file-size = \"4KiB\"\n");
    let filler = "-- generated seed data\n".repeat(300); // 6.9 KB
    write(
        root,
        "db/migrations/00001_seed.sql",
        &format!("ALTER TABLE users DROP COLUMN legacy;\n{filler}"),
    );
    write(root, "internal/users/store.go", "package users\n");
    commit_all(root, "base");
    git(root, &["checkout", "-q", "-b", "feature"]);
    // Shrunk under the cap at HEAD; its base side is over it.
    write(
        root,
        "db/migrations/00001_seed.sql",
        "ALTER TABLE users DROP COLUMN legacy;\n",
    );
    // A new migration over the cap at HEAD.
    write(
        root,
        "db/migrations/00002_more.sql",
        &format!("ALTER TABLE users DROP COLUMN other;\n{filler}"),
    );
    write(
        root,
        "internal/users/store.go",
        "package users\n\nconst q = 1\n",
    );
    commit_all(root, "change");
    let (out, found) = lint_json(root, "main");
    assert_eq!(found, vec![], "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("db/migrations/00001_seed.sql: 6938 bytes at the merge base is over the 4096 byte limit (max-file-size); the migration is not reviewed"),
        "{err}"
    );
    assert!(
        err.contains("db/migrations/00002_more.sql: 6937 bytes is over the 4096 byte limit (max-file-size); the migration is not reviewed"),
        "{err}"
    );
}

/// A change that adds a destructive migration and code, and modifies a migration (whose line
/// diff reads attributes).
fn drop_and_modify(root: &Path) {
    write(
        root,
        "db/migrate/20250301000000_remove_legacy_from_users.rb",
        DROP_MIGRATION,
    );
    write(
        root,
        "db/migrate/20250101000000_create_users.rb",
        "class CreateUsers < ActiveRecord::Migration[7.1]\n  def change\n    create_table :users do |t|\n      t.string :email\n      t.string :name\n    end\n  end\nend\n",
    );
    change_code(root);
    commit_all(root, "drop");
}

/// A change that commits a folder that looks like a bare repository (`HEAD`, `config`,
/// `objects/`, `refs/`) with a configuration of its own: linting that folder never makes it
/// git's repository. Its `core.attributesFile` names a FIFO here (`/dev/zero` made git use 10 GB
/// until the deadline).
#[cfg(unix)]
#[test]
fn a_committed_folder_that_looks_like_a_repository_is_never_used() {
    if !git_available() {
        return;
    }
    let dir = repo();
    let root = dir.path();
    drop_and_modify(root);
    let fifos = tempfile::tempdir().expect("tempdir");
    let fifo = fifos.path().join("attributes-fifo");
    if !mkfifo(&fifo) {
        return;
    }
    // The folder: a bare clone of this repository (`feature` checked out, `main` and
    // `origin/main` behind it), set up to be used with itself as the work tree.
    let deploy = root.join("deploy");
    let source = root.to_string_lossy().into_owned();
    let target = deploy.to_string_lossy().into_owned();
    git(root, &["clone", "-q", "--bare", &source, &target]);
    git(&deploy, &["update-ref", "refs/remotes/origin/main", "main"]);
    let fifo = fifo.to_string_lossy().into_owned();
    for (key, value) in [
        ("core.bare", "false"),
        ("core.worktree", "."),
        ("core.attributesFile", fifo.as_str()),
    ] {
        git(&deploy, &["config", key, value]);
    }
    write(
        root,
        "deploy/Dockerfile",
        "FROM alpine\nCMD [\"sleep\", \"1\"]\n",
    );
    commit_all(root, "deploy folder");
    git(root, &["update-ref", "refs/remotes/origin/main", "main"]);
    let limit = std::time::Duration::from_secs(60);
    let actions: &[(&str, &str)] = &[("GITHUB_ACTIONS", "true"), ("GITHUB_BASE_REF", "main")];
    let runs: [(&[&str], _); 3] = [
        (&["deploy", "--diff", "main", "--format", "json"], &[][..]),
        (
            &["deploy", "--diff", "origin/main", "--format", "json"],
            &[],
        ),
        (&["deploy", "--format", "json"], actions),
    ];
    for (args, env) in runs {
        let (out, took) = run_bounded(root, args, env, limit);
        assert!(
            took < std::time::Duration::from_secs(10),
            "{args:?} took {took:?}: {}",
            stderr(&out)
        );
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{args:?}: {:?} {}",
            out.status,
            stderr(&out)
        );
        assert!(!stderr(&out).contains("did not finish"), "{}", stderr(&out));
    }
}

/// The repository's own attribute files are never read without end: `core.attributesFile` is
/// overridden, and `info/attributes`, `objects/info/alternates` and the branch file that are not
/// regular files are refused before git starts (each made git wait for its 30 s).
#[cfg(unix)]
#[test]
fn git_files_that_never_end_are_refused_or_overridden() {
    if !git_available() {
        return;
    }
    let setup = || {
        let dir = repo();
        drop_and_modify(dir.path());
        dir
    };
    // A configured attributes file that is a FIFO: not read, the change is reviewed.
    let dir = setup();
    let root = dir.path();
    let fifos = tempfile::tempdir().expect("tempdir");
    let fifo = fifos.path().join("attributes-fifo");
    if !mkfifo(&fifo) {
        return;
    }
    git(
        root,
        &["config", "core.attributesFile", &fifo.to_string_lossy()],
    );
    let (out, took) = run_bounded(
        root,
        &["--diff", "main", "--format", "json"],
        &[],
        std::time::Duration::from_secs(60),
    );
    assert!(took < std::time::Duration::from_secs(10), "took {took:?}");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!findings(&out).is_empty(), "{}", stderr(&out));

    for file in [
        "info/attributes",
        "objects/info/alternates",
        "refs/heads/feature",
    ] {
        let dir = setup();
        let root = dir.path();
        let path = root.join(".git").join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        let _ = std::fs::remove_file(&path);
        if !mkfifo(&path) {
            return;
        }
        git_fails_in_time(root, file, 5);
    }
}

/// Replace `path` with a symbolic link to `target`.
#[cfg(target_os = "linux")]
fn link_in_place(target: &Path, path: &Path) {
    let _ = std::fs::remove_file(path);
    std::os::unix::fs::symlink(target, path).expect("symlink");
}

/// The git directory a linked work tree's `.git` file names.
#[cfg(target_os = "linux")]
fn gitdir_of(work_tree: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(work_tree.join(".git")).expect("read .git");
    let line = text.lines().next().unwrap_or("");
    work_tree.join(line.trim_start_matches("gitdir:").trim())
}

/// Git files that are links to `/proc/kmsg`, a file that passes for a regular one and whose
/// read waits for kernel messages: `.git` itself, `HEAD`, the branch file `HEAD` names, and a
/// linked work tree's `commondir` and `HEAD`. Change mode read the first four itself, with a
/// blocking read before any git process (and its deadline) started, and hung for good where
/// `/proc/kmsg` can be opened (as root); git read the branch file until its 30 s deadline.
/// Each is now refused at once, also where `/proc/kmsg` cannot be opened (the check does not
/// open it). Legitimate links stay fine: `.git` linked to a folder elsewhere, and a git file
/// linked to a regular file outside the git directory (as `git-new-workdir` sets up).
#[cfg(target_os = "linux")]
#[test]
fn git_files_linked_to_proc_kmsg_are_refused_at_once() {
    if !git_available() {
        return;
    }
    let kmsg = Path::new("/proc/kmsg");
    if std::fs::symlink_metadata(kmsg).is_err() {
        eprintln!("note: no /proc/kmsg; test skipped");
        return;
    }
    // `--diff main` ends with exit 2 and the error within a few seconds (a hang is killed), and
    // the GitHub Actions default base is skipped with a note.
    let refused_at_once = |root: &Path, file: &str| {
        let limit = std::time::Duration::from_secs(20);
        let (out, took) = run_bounded(root, &["--diff", "main"], &[], limit);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert!(
            err.contains(file) && err.contains("is `/proc/kmsg`, a file of the kernel"),
            "{file}: {err}"
        );
        assert!(took.as_secs() < 5, "{file}: took {took:?}");
        let actions = [("GITHUB_ACTIONS", "true"), ("GITHUB_BASE_REF", "main")];
        let (out, took) = run_bounded(root, &["--format", "json"], &actions, limit);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", stderr(&out));
        assert!(stderr(&out).contains("note:"), "{file}: {}", stderr(&out));
        assert!(took.as_secs() < 5, "{file}: took {took:?}");
    };
    let setup = || {
        let dir = repo();
        commit_drop_with_code(dir.path());
        dir
    };
    for file in ["HEAD", "refs/heads/feature"] {
        let dir = setup();
        let root = dir.path();
        link_in_place(kmsg, &root.join(".git").join(file));
        refused_at_once(root, &format!(".git/{file}"));
    }
    let dir = setup();
    let root = dir.path();
    std::fs::remove_dir_all(root.join(".git")).expect("rm .git");
    link_in_place(kmsg, &root.join(".git"));
    refused_at_once(root, ".git`");

    for file in ["commondir", "HEAD"] {
        let dir = setup();
        let root = dir.path();
        git(root, &["checkout", "-q", "main"]);
        let other = tempfile::tempdir().expect("tempdir");
        let linked = other.path().join("linked");
        git(
            root,
            &[
                "worktree",
                "add",
                "-q",
                &linked.to_string_lossy(),
                "feature",
            ],
        );
        link_in_place(kmsg, &gitdir_of(&linked).join(file));
        refused_at_once(&linked, &format!("linked/{file}"));
    }

    // `.git` a link to a folder elsewhere, its `config` a link to a regular file outside it.
    let dir = setup();
    let root = dir.path();
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let moved = elsewhere.path().join("repo.git");
    std::fs::rename(root.join(".git"), &moved).expect("move .git");
    link_in_place(&moved, &root.join(".git"));
    let config = elsewhere.path().join("shared-config");
    std::fs::rename(moved.join("config"), &config).expect("move config");
    link_in_place(&config, &moved.join("config"));
    let (out, found) = lint_json(root, "main");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(found.len(), 1, "{found:?}");
}

/// A linked work tree (`.git` is a `gitdir:` file, refs in the common directory) and a folder
/// in it.
#[test]
fn linked_work_trees_are_reviewed() {
    if !git_available() {
        return;
    }
    let dir = repo();
    let root = dir.path();
    commit_drop_with_code(root);
    git(root, &["checkout", "-q", "main"]);
    let other = tempfile::tempdir().expect("tempdir");
    let linked = other.path().join("linked");
    let linked_name = linked.to_string_lossy().into_owned();
    git(root, &["worktree", "add", "-q", &linked_name, "feature"]);
    let (out, found) = lint_json(&linked, "main");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(found.len(), 1, "{found:?}");
    let out = run(
        &linked.join("db"),
        &[".", "../app", "--diff", "main", "--format", "json"],
        &[],
    );
    assert_eq!(findings(&out).len(), 1, "{}", stderr(&out));
}

/// A path argument that is, or goes through, a symbolic link the repository holds is not
/// followed, as discovery does not follow a link named on the command line. Change mode used
/// to resolve it (`deploy -> ../other`, or a link to one of the other repository's migrations)
/// and ran git in the repository it pointed to, under that repository's configuration, and
/// reported its migration. Now it is a note, and it picks no repository and no changed file;
/// the real path, named as such, is still reviewed.
#[cfg(unix)]
#[test]
fn linked_paths_are_not_followed_to_another_repository() {
    if !git_available() {
        return;
    }
    let other = repo();
    commit_drop_with_code(other.path());
    let dir = repo();
    let root = dir.path();
    let link = |target: &Path, name: &str| {
        std::os::unix::fs::symlink(target, root.join(name)).expect("symlink");
    };
    link(other.path(), "deploy");
    link(
        &other
            .path()
            .join("db/migrate/20250301000000_remove_legacy_from_users.rb"),
        "drop.rb",
    );
    link(Path::new("app"), "inside");
    write(root, "Dockerfile", "FROM alpine\n");
    commit_all(root, "links");
    // The other repository's configuration is not read either (it would set `exclude` and
    // `[migrations]`): broken, it would end the run with exit 2.
    let other_config = other.path().join(".shutdownlint.toml");
    std::fs::write(&other_config, "this is [not toml\n").expect("write");
    let absolute = root.join("deploy").to_string_lossy().into_owned();
    let note = "change mode (--diff) does not follow it: no repository or changed file is taken from it (name the path it points to)";
    for (arg, shown) in [
        ("deploy", "deploy: a symbolic link"),
        ("deploy/", "deploy/: a symbolic link"),
        (
            "./deploy/db",
            "deploy/db: goes through the symbolic link `deploy`",
        ),
        ("drop.rb", "drop.rb: a symbolic link"),
        ("inside", "inside: a symbolic link"),
        (absolute.as_str(), &format!("{absolute}: a symbolic link")),
    ] {
        let out = run(root, &[arg, "--diff", "main", "--format", "json"], &[]);
        assert_eq!(findings(&out), vec![], "{arg}: {}", stderr(&out));
        assert_eq!(out.status.code(), Some(0), "{arg}: {}", stderr(&out));
        let expected = format!("shutdownlint: {shown}; {note}\n");
        assert!(stderr(&out).contains(&expected), "{arg}: {}", stderr(&out));
    }
    // The repository is the one of the first path that is not a link.
    let out = run(
        root,
        &["deploy", ".", "--diff", "main", "--format", "json"],
        &[],
    );
    assert_eq!(findings(&out), vec![], "{}", stderr(&out));
    std::fs::remove_file(&other_config).expect("remove");
    // Named by its real path, the other repository is reviewed.
    let real = other.path().to_string_lossy().into_owned();
    let out = run(root, &[&real, "--diff", "main", "--format", "json"], &[]);
    assert_eq!(findings(&out).len(), 1, "{}", stderr(&out));
}

/// 20,000 migrations modified in one folder: their blobs are read by object id, and the folder
/// is one pathspec of the line diff. Read as `HEAD:path`, each lookup searched the folder's
/// tree, and the change used up git's 30 s (exit 2). The history is written with
/// `git fast-import` (no work tree: change mode reads commits).
#[test]
fn twenty_thousand_modified_migrations_in_one_folder() {
    use std::io::Write as _;
    if !git_available() {
        return;
    }
    const N: usize = 20_000;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    let mut stream = String::new();
    let mut commit = |branch: &str, parent: Option<&str>, text: &dyn Fn(usize) -> String| {
        stream.push_str(&format!(
            "commit refs/heads/{branch}\ncommitter T <t@t> 1700000000 +0000\ndata 1\nx\n"
        ));
        if let Some(parent) = parent {
            stream.push_str(&format!("from refs/heads/{parent}\n"));
        }
        for i in 0..N {
            let text = text(i);
            stream.push_str(&format!(
                "M 100644 inline db/migration/V{i}__m.sql\ndata {}\n{text}\n",
                text.len()
            ));
        }
    };
    commit("main", None, &|i| format!("CREATE TABLE t{i} (a int);\n"));
    commit("feature", Some("main"), &|i| {
        format!("CREATE TABLE t{i} (a int);\nALTER TABLE t{i} DROP COLUMN a;\n")
    });
    let mut import = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(root)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("git fast-import");
    import
        .stdin
        .take()
        .expect("stdin")
        .write_all(stream.as_bytes())
        .expect("write");
    assert!(import.wait().expect("wait").success());
    git(root, &["symbolic-ref", "HEAD", "refs/heads/feature"]);
    let (out, took) = run_bounded(
        root,
        &["--diff", "main", "--format", "json"],
        &[],
        std::time::Duration::from_secs(120),
    );
    assert_eq!(out.status.code(), Some(0), "{} ({took:?})", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

/// Change mode reviews the repository of the first path. A path in a nested repository, in
/// another repository or above the first one in a repository of its own is not in that
/// repository's diff: it gets a note saying so, instead of passing as reviewed.
#[test]
fn paths_in_other_repositories_get_a_note() {
    let dir = repo();
    let root = dir.path();
    write(root, ".gitignore", "/nested/\n");
    commit_drop_with_code(root);
    let nested = root.join("nested");
    std::fs::create_dir_all(&nested).expect("mkdir");
    git(&nested, &["init", "-q"]);
    write(&nested, "README.md", "nested\n");
    commit_all(&nested, "initial");
    git(&nested, &["checkout", "-q", "-b", "feature"]);
    commit_drop_with_code(&nested);
    let other = repo();
    commit_drop_with_code(other.path());
    let drop = "db/migrate/20250301000000_remove_legacy_from_users.rb";
    let rules = |out: &Output| -> Vec<(String, String)> {
        findings(out)
            .into_iter()
            .filter(|f| f.0 == "SL603")
            .map(|f| (f.0, f.1))
            .collect()
    };

    let out = run(
        root,
        &[".", "nested", "--diff", "main", "--format", "json"],
        &[],
    );
    assert_eq!(rules(&out), vec![("SL603".to_string(), drop.to_string())]);
    let err = stderr(&out);
    assert!(
        err.contains("nested: not in the repository of the first path")
            && err.contains("but in the repository at `")
            && err.contains("run it again for this path"),
        "{err}"
    );

    let out = run(
        root,
        &["nested", ".", "--diff", "main", "--format", "json"],
        &[],
    );
    assert_eq!(
        rules(&out),
        vec![("SL603".to_string(), format!("nested/{drop}"))]
    );
    assert!(
        stderr(&out).contains(".: its own repository (`"),
        "{}",
        stderr(&out)
    );

    let elsewhere = other.path().to_string_lossy().into_owned();
    let out = run(
        root,
        &[".", &elsewhere, "--diff", "main", "--format", "json"],
        &[],
    );
    assert_eq!(rules(&out), vec![("SL603".to_string(), drop.to_string())]);
    assert!(
        stderr(&out)
            .contains("but outside it; change mode (--diff) reviews one repository per run"),
        "{}",
        stderr(&out)
    );
}

/// A repository found inside a linted folder (a checkout in a checkout, a submodule's `.git`
/// file) is linted like any folder, but its commits are not the first repository's: each gets a
/// note saying its migrations are not reviewed (none did), the first ten by name and then how
/// many more. A `.git` that does not make a repository (an empty folder, a link, a file of
/// something else) gets none, nor does a repository a path argument already named.
#[test]
fn repositories_inside_linted_folders_get_a_note() {
    let dir = repo();
    let root = dir.path();
    commit_drop_with_code(root);
    let drop = "db/migrate/20250301000000_remove_legacy_from_users.rb";
    // Made after the commits, so the outer repository does not record them.
    let inner = root.join("services/inner");
    std::fs::create_dir_all(&inner).expect("mkdir");
    git(&inner, &["init", "-q"]);
    write(
        root,
        "vendor/lib/.git",
        "gitdir: ../../.git/modules/lib
",
    );
    std::fs::create_dir_all(root.join("empty/.git")).expect("mkdir");
    write(
        root,
        "other/.git",
        "not a pointer
",
    );
    std::fs::create_dir_all(root.join("linked")).expect("mkdir");
    std::os::unix::fs::symlink(root.join(".git"), root.join("linked/.git")).expect("symlink");
    let note = |name: &str| {
        format!("{name}: a repository of its own inside the linted paths; change mode (--diff) reviews only the first path's repository (`")
    };

    let out = run(root, &["--diff", "main", "--format", "json"], &[]);
    let sl603: Vec<String> = findings(&out)
        .into_iter()
        .filter(|f| f.0 == "SL603")
        .map(|f| f.1)
        .collect();
    assert_eq!(sl603, vec![drop.to_string()]);
    let err = stderr(&out);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("a repository of its own"))
        .collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(lines[0].contains(&note("services/inner")), "{err}");
    assert!(lines[1].contains(&note("vendor/lib")), "{err}");
    assert!(
        lines[0].ends_with(
            "the files in it are linted, the migrations committed in it are not reviewed (run it again for this path)"
        ),
        "{err}"
    );

    // Named as a path argument too: one note, the argument's.
    let out = run(root, &[".", "services/inner", "--diff", "main"], &[]);
    let err = stderr(&out);
    assert!(
        err.contains("services/inner: not in the repository of the first path")
            && !err.contains(&note("services/inner"))
            && err.contains(&note("vendor/lib")),
        "{err}"
    );

    // Without change mode, nothing to say.
    let out = run(root, &["--no-diff"], &[]);
    assert!(
        !stderr(&out).contains("a repository of its own"),
        "{}",
        stderr(&out)
    );

    // Ten by name, then how many more.
    for i in 0..12 {
        let nested = root.join(format!("many/r{i:02}"));
        std::fs::create_dir_all(&nested).expect("mkdir");
        git(&nested, &["init", "-q"]);
    }
    let out = run(root, &["many", "--diff", "main"], &[]);
    let err = stderr(&out);
    let named = err.matches("a repository of its own").count();
    assert_eq!(named, 10, "{err}");
    assert!(
        err.contains(&note("many/r00")) && err.contains(&note("many/r09")),
        "{err}"
    );
    assert!(
        err.contains("and 2 more repositories inside the linted paths, not reviewed by change mode (--diff) either"),
        "{err}"
    );
}

/// Path arguments in deep folders of one repository: whether each is in a nested repository is
/// learned on the walk that finds it (one look per folder). Each folder above each argument
/// was kept whole in a map and its `.git` looked up by its whole path: 100 files 1,900 folders
/// deep took 17 s and the git budget ran out (exit 2), and deeper ones over a gigabyte (these
/// 60 took 24 s in a debug build, 2 s now).
#[test]
fn deep_path_arguments_cost_their_length_in_change_mode() {
    let dir = repo();
    let root = dir.path();
    commit_drop_with_code(root);
    let depth = 1900;
    let deep = "d/".repeat(depth);
    let count = 60;
    let arguments: Vec<String> = (0..count)
        .map(|i| format!("c{i}/{deep}Dockerfile"))
        .collect();
    // Each chain is made from the bottom up, a short name at a time (a folder made by its
    // whole path costs the system its depth: the 60 chains took a minute).
    for i in 0..count {
        let chain = root.join(format!("c{i}"));
        let wrap = root.join("wrap");
        write(
            &chain,
            "Dockerfile",
            "FROM node:18\nCMD [\"node\", \"a\"]\n",
        );
        for _ in 0..depth {
            std::fs::create_dir(&wrap).expect("mkdir");
            std::fs::rename(&chain, wrap.join("d")).expect("rename");
            std::fs::rename(&wrap, &chain).expect("rename");
        }
    }
    let mut args = vec!["--diff", "main", "--format", "json"];
    args.extend(arguments.iter().map(String::as_str));
    let (out, took) = run_bounded(root, &args, &[], std::time::Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(took < std::time::Duration::from_secs(10), "{took:?}");
}

/// Thousands of folder arguments and as many changed files: each changed file finds the first
/// argument that holds it by its own components. Every argument was tried for each changed
/// file (16,000 of each: 18 s in a debug build, 1.7 s now).
#[test]
fn many_path_arguments_and_changed_files_cost_their_sum() {
    let dir = repo();
    let root = dir.path();
    let count = 16000;
    for i in 0..count {
        write(root, &format!("s/{i:05}/a.rb"), "x\n");
    }
    commit_all(root, "many");
    let arguments: Vec<String> = (0..count).map(|i| format!("s/{i:05}")).collect();
    let mut args = vec!["--diff", "main", "--format", "json"];
    args.extend(arguments.iter().map(String::as_str));
    let (out, took) = run_bounded(root, &args, &[], std::time::Duration::from_secs(60));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(took < std::time::Duration::from_secs(8), "{took:?}");
}

/// A repository in `top/real` (outside any other work tree) whose change drops a column in
/// `sub/` and in `app/` with code, and `top/ul`, a link of the user's own to it.
fn repository_behind_a_user_link(config: &str) -> tempfile::TempDir {
    let top = tempfile::tempdir().expect("tempdir");
    let root = top.path().join("real");
    std::fs::create_dir_all(&root).expect("mkdir");
    git(&root, &["init", "-q"]);
    write(&root, ".shutdownlint.toml", config);
    write(&root, "app/models/user.rb", "class User\nend\n");
    commit_all(&root, "initial");
    git(&root, &["checkout", "-q", "-b", "feature"]);
    for folder in ["app", "sub"] {
        write(
            &root,
            &format!("{folder}/db/migrate/20250301000000_remove_legacy_from_users.rb"),
            DROP_MIGRATION,
        );
    }
    write(&root, "app/models/user.rb", "class User\n  x\nend\n");
    commit_all(&root, "drop");
    std::os::unix::fs::symlink("real", top.path().join("ul")).expect("symlink");
    top
}

/// `exclude` leaves out a changed file by the name the path argument gives it, as discovery
/// does: through a link of the user's own (`ul/` with `ul -> real`), the configuration found
/// in `ul` excludes `ul/sub/`. Change mode matched the file's path on disk (`real/sub/...`),
/// which `ul`'s exclude root never starts: SL603 on an excluded file.
#[test]
fn exclude_matches_changed_files_by_name_through_a_user_link() {
    let top = repository_behind_a_user_link("exclude = [\"sub/\"]\n");
    let drop = "db/migrate/20250301000000_remove_legacy_from_users.rb";
    let absolute = top.path().join("ul/");
    for argument in [
        "ul/",
        "./ul/",
        "real/../ul/",
        absolute.to_str().unwrap_or(""),
    ] {
        let out = run(
            top.path(),
            &[argument, "--diff", "main", "--format", "json"],
            &[],
        );
        let files: Vec<String> = findings(&out)
            .into_iter()
            .filter(|f| f.0 == "SL603")
            .map(|f| f.1)
            .collect();
        let shown = format!("{}/app/{drop}", argument.trim_end_matches('/'));
        let shown = shown.trim_start_matches("./");
        assert_eq!(
            files,
            vec![shown.to_string()],
            "{argument}: {}",
            stderr(&out)
        );
    }
}

/// A path argument that is a link of the user's own, named whole (`ul`, no `/`): discovery
/// says it does not follow it, and change mode does not either (it reviewed the change under
/// it, reporting SL603 in files discovery never linted).
#[test]
fn a_user_link_named_whole_is_not_followed_by_change_mode() {
    let top = repository_behind_a_user_link("");
    let out = run(
        top.path(),
        &["ul", "--diff", "main", "--format", "json"],
        &[],
    );
    let err = stderr(&out);
    assert!(findings(&out).is_empty(), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("ul: a symbolic link; not followed")
            && err.contains("ul: a symbolic link; change mode (--diff) does not follow it: no repository or changed file is taken from it (name the path it points to)"),
        "{err}"
    );
    // With a `/`, both follow it.
    let out = run(
        top.path(),
        &["ul/", "--diff", "main", "--format", "json"],
        &[],
    );
    assert_eq!(findings(&out).iter().filter(|f| f.0 == "SL603").count(), 2);
}

/// `[migrations]` globs in a `.shutdownlint.toml` of a subfolder are relative to that folder,
/// as configuration.md says (they were matched from the repository's root: the migration was
/// missed). Changed files outside the configuration's folder are classified by the built-in
/// rules alone.
#[test]
fn migration_globs_are_relative_to_the_configuration_file() {
    let dir = repo();
    let root = dir.path();
    git(root, &["checkout", "-q", "main"]);
    write(
        root,
        "services/api/.shutdownlint.toml",
        "[migrations]\npaths = [\"schema/changes/**\"]\nnot-code = [\"gen/**\"]\n",
    );
    write(root, "services/api/src/app.py", "x = 1\n");
    commit_all(root, "config");
    git(root, &["checkout", "-q", "-B", "feature"]);
    write(
        root,
        "services/api/schema/changes/001.sql",
        "ALTER TABLE users DROP COLUMN token;\n",
    );
    write(root, "services/api/gen/client.py", "y = 2\n");
    let sl603 = |root: &Path, args: &[&str]| -> Vec<String> {
        let mut all = args.to_vec();
        all.extend(["--diff", "main", "--format", "json"]);
        findings(&run(root, &all, &[]))
            .into_iter()
            .filter(|f| f.0 == "SL603")
            .map(|f| f.1)
            .collect()
    };
    // Generated code alone (not-code, relative to the file): nothing ships with the drop.
    commit_all(root, "drop with generated code");
    assert_eq!(sl603(root, &["services/api"]), Vec::<String>::new());
    write(root, "services/api/src/app.py", "x = 2\n");
    commit_all(root, "and code");
    let drop = "services/api/schema/changes/001.sql".to_string();
    assert_eq!(sl603(root, &["services/api"]), vec![drop.clone()]);
    assert_eq!(
        sl603(&root.join("services/api"), &["."]),
        vec!["schema/changes/001.sql".to_string()]
    );
    // A repository-relative glob names nothing from the file's folder.
    write(
        root,
        "services/api/.shutdownlint.toml",
        "[migrations]\npaths = [\"services/api/schema/changes/**\"]\n",
    );
    assert_eq!(sl603(root, &["services/api"]), Vec::<String>::new());
    // A changed file outside the file's folder (a second path) is not matched by its globs:
    // `schema/changes/**` there is no migration; the built-in locations still are.
    write(
        root,
        "services/api/.shutdownlint.toml",
        "[migrations]\npaths = [\"schema/changes/**\"]\n",
    );
    write(
        root,
        "web/schema/changes/002.sql",
        "ALTER TABLE users DROP COLUMN name;\n",
    );
    write(
        root,
        "web/db/migrate/20250302000000_remove_legacy_from_users.rb",
        DROP_MIGRATION,
    );
    commit_all(root, "web");
    assert_eq!(
        sl603(root, &["services/api", "web"]),
        vec![
            drop,
            "web/db/migrate/20250302000000_remove_legacy_from_users.rb".to_string()
        ]
    );
}

/// A folder argument whose name is not UTF-8 gets its changed files: git's path is matched
/// by its bytes (it was kept with U+FFFD in place of them, and matched no argument: the
/// migration was reviewed under `.` but not under its folder's name).
#[test]
fn a_folder_argument_that_is_not_utf8_gets_its_changed_files() {
    use std::os::unix::ffi::OsStrExt;
    let dir = repo();
    let root = dir.path();
    let name = std::ffi::OsStr::from_bytes(b"a\xff");
    let folder = root.join(name);
    std::fs::create_dir_all(folder.join("db/migrate")).expect("mkdir");
    std::fs::write(
        folder.join("db/migrate/20250301000000_remove_legacy_from_users.rb"),
        DROP_MIGRATION,
    )
    .expect("write");
    std::fs::create_dir_all(folder.join("app")).expect("mkdir");
    std::fs::write(folder.join("app/x.rb"), "x\n").expect("write");
    commit_all(root, "drop");
    let out = command(root, &["--diff", "main", "--format", "json"], &[])
        .arg(name)
        .output()
        .expect("run");
    let found = findings(&out);
    assert_eq!(
        found.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        vec!["SL603"],
        "{}",
        stderr(&out)
    );
    assert_eq!(
        found[0].1,
        "a\u{FFFD}/db/migrate/20250301000000_remove_legacy_from_users.rb"
    );
}

/// A `.git` that git does not take for a repository (an empty folder, a folder without
/// `HEAD`, a file that is not `gitdir:`, a FIFO) leaves its folder in the repository around
/// it: a second path argument there is reviewed (it got a note "in the repository at sub" and
/// its SL603 was dropped), named alone it is reviewed in the outer repository (exit 2 before),
/// and the outer `.gitignore` applies below it (ignore matching started over there).
#[test]
fn a_dot_git_that_git_does_not_accept_is_no_repository() {
    let dir = repo();
    let root = dir.path();
    write(root, ".gitignore", "build/\n");
    commit_all(root, "ignore");
    let drop = "db/migrate/20250301000000_remove_legacy_from_users.rb";
    let kinds = ["empty", "nohead", "file", "fifo"];
    for kind in kinds {
        write(root, &format!("{kind}/{drop}"), DROP_MIGRATION);
    }
    change_code(root);
    commit_all(root, "drops");
    std::fs::create_dir_all(root.join("empty/.git")).expect("mkdir");
    std::fs::create_dir_all(root.join("nohead/.git/objects")).expect("mkdir");
    std::fs::create_dir_all(root.join("nohead/.git/refs")).expect("mkdir");
    write(root, "file/.git", "not a pointer\n");
    let fifo = mkfifo(&root.join("fifo/.git"));
    for kind in kinds {
        if kind == "fifo" && !fifo {
            continue;
        }
        write(
            root,
            &format!("{kind}/build/Dockerfile"),
            "FROM x\nCMD npm start\n",
        );
        let out = run(
            root,
            &["app", kind, "--diff", "main", "--format", "json"],
            &[],
        );
        let err = stderr(&out);
        assert!(!err.contains("not in the repository"), "{kind}: {err}");
        let files: Vec<String> = findings(&out).into_iter().map(|f| f.1).collect();
        assert_eq!(files, vec![format!("{kind}/{drop}")], "{kind}: {err}");
        let out = run(root, &[kind, "--diff", "main", "--format", "json"], &[]);
        assert_eq!(out.status.code(), Some(0), "{kind}: {}", stderr(&out));
    }
}
