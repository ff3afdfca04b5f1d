//! The pre-commit hooks with the real `pre-commit` (from PyPI): `pre-commit try-repo` builds
//! this repository with `cargo install` (`language: rust`) and runs the hooks on sample
//! repositories. Slow the first time (a release build), so ignored by default; `.ci/run` runs
//! it after `pip install pre-commit`:
//!
//! ```sh
//! cargo test --test precommit -- --ignored
//! ```
//!
//! The hook repository is a snapshot of this working tree's build files (tracked and new, as
//! `git add -A` would commit them) committed with a fixed date, so an unchanged tree gives the same
//! revision and pre-commit reuses the environment it built. PRE_COMMIT_HOME and the cargo
//! target folder live in target/integration/, shared with the action's install test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

/// `cargo install` builds the release profile; these settings make that build about as cheap as
/// a debug build (no LTO, little optimisation). What is tested is how the hooks install and run
/// the binary, not the optimiser. tests/integrations.rs uses the same for the action's build, so
/// the dependencies are compiled once for both in the shared target folder.
const QUICK_RELEASE_PROFILE: &[(&str, &str)] = &[
    ("CARGO_PROFILE_RELEASE_LTO", "off"),
    ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"),
    ("CARGO_PROFILE_RELEASE_DEBUG", "false"),
    ("CARGO_PROFILE_RELEASE_INCREMENTAL", "false"),
];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn integration_dir() -> PathBuf {
    manifest_dir().join("target/integration")
}

fn git(dir: &Path, args: &[&str]) -> Output {
    let output = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=shutdownlint tests",
            "-c",
            "user.email=tests@shutdownlint.invalid",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.autocrlf=false",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
}

/// Files and folders of this tree that the hook repository needs: the crate (its manifest
/// declares the bench target) and the hook definitions.
const HOOK_REPO_FILES: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "README.md",
    ".pre-commit-hooks.yaml",
];
const HOOK_REPO_FOLDERS: &[&str] = &["src/", "rules/", "benches/"];

/// A git repository at `dir` holding this working tree's build files (tracked or new, as
/// `git add -A` would commit them), in one commit with a fixed date. Returns the commit.
fn snapshot_of_this_tree(dir: &Path) -> String {
    let root = manifest_dir();
    let listed = git(
        &root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    if dir.exists() {
        std::fs::remove_dir_all(dir).expect("remove the old snapshot");
    }
    std::fs::create_dir_all(dir).expect("mkdir");
    for name in listed.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name).into_owned();
        // What `cargo install` and pre-commit read; not the fixtures or anything else.
        let needed = HOOK_REPO_FILES.contains(&name.as_str())
            || HOOK_REPO_FOLDERS.iter().any(|dir| name.starts_with(dir));
        if !needed {
            continue;
        }
        let from = root.join(&name);
        // Deleted in the working tree but still in the index: not part of the snapshot.
        if !from.is_file() {
            continue;
        }
        let to = dir.join(&name);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::copy(&from, &to).expect("copy");
    }
    git(dir, &["init", "-q"]);
    git(dir, &["add", "-A"]);
    git(
        dir,
        &["commit", "-q", "-m", "snapshot for the pre-commit test"],
    );
    String::from_utf8_lossy(&git(dir, &["rev-parse", "HEAD"]).stdout)
        .trim()
        .to_string()
}

/// A repository to run the hooks in, with `files` committed.
fn sample(dir: &Path, files: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).expect("mkdir");
    git(dir, &["init", "-q"]);
    for (name, content) in files {
        write(dir, name, content);
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", "sample"]);
}

fn pre_commit_available() -> bool {
    Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

struct Outcome {
    status: Option<i32>,
    text: String,
}

/// `pre-commit ARGS` in `repo`, with PRE_COMMIT_HOME and the cargo target folder under
/// target/integration/ (`try-repo` uses a store of its own in a temporary folder).
fn pre_commit(repo: &Path, args: &[&str]) -> Outcome {
    let started = Instant::now();
    let output = Command::new("pre-commit")
        .current_dir(repo)
        .args(args)
        .env("PRE_COMMIT_HOME", integration_dir().join("pre-commit-home"))
        .env(
            "CARGO_TARGET_DIR",
            integration_dir().join("action-home/target"),
        )
        .envs(QUICK_RELEASE_PROFILE.iter().copied())
        .env_remove("PRE_COMMIT_COLOR")
        .env("NO_COLOR", "1")
        .output()
        .expect("pre-commit runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "pre-commit {} in {}: {:.1}s, status {:?}",
        args.first().copied().unwrap_or_default(),
        repo.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        started.elapsed().as_secs_f64(),
        output.status.code()
    );
    Outcome {
        status: output.status.code(),
        text,
    }
}

/// `pre-commit run --all-files` with a configuration that uses both hooks of `hook_repo`.
fn run_hooks(repo: &Path, hook_repo: &Path, revision: &str) -> Outcome {
    write(
        repo,
        ".pre-commit-config.yaml",
        &format!(
            "exclude: '^\\.pre-commit-config\\.yaml$'\nrepos:\n  - repo: {}\n    rev: {revision}\n    hooks:\n      - id: shutdownlint\n      - id: shutdownlint-repo\n",
            hook_repo.display()
        ),
    );
    git(repo, &["add", ".pre-commit-config.yaml"]);
    git(repo, &["commit", "-q", "-m", "pre-commit"]);
    pre_commit(repo, &["run", "--all-files", "--verbose", "--color=never"])
}

#[test]
#[ignore = "builds shutdownlint through pre-commit (minutes the first time); .ci/run runs it"]
fn pre_commit_hooks_report_findings_and_pass_clean_code() {
    if !pre_commit_available() {
        eprintln!(
            "note: `pre-commit` is not on PATH (pip install pre-commit): the hook test is skipped"
        );
        return;
    }
    let hook_repo = integration_dir().join("hook-repo");
    let revision = snapshot_of_this_tree(&hook_repo);
    eprintln!("hook repository {} at {revision}", hook_repo.display());
    let samples = tempfile::tempdir().expect("tempdir");

    // A shell-form CMD: SL101, reported through the hook with its position.
    let bad = samples.path().join("bad");
    sample(
        &bad,
        &[
            (
                "services/api/Dockerfile",
                "FROM node:22-slim\nCMD node server.js\n",
            ),
            ("README.md", "# shop\n"),
        ],
    );
    let hook_repo_text = hook_repo.display().to_string();
    let result = pre_commit(
        &bad,
        &[
            "try-repo",
            &hook_repo_text,
            "shutdownlint",
            "--all-files",
            "--verbose",
            "--color=never",
        ],
    );
    assert_eq!(result.status, Some(1), "{}", result.text);
    assert!(result.text.contains("shutdownlint"), "{}", result.text);
    assert!(result.text.contains("Failed"), "{}", result.text);
    assert!(
        result.text.contains("SL101 shell-pid1")
            && result.text.contains("services/api/Dockerfile:2:1"),
        "{}",
        result.text
    );

    // Both hooks from a configuration, as users install them.
    let result = run_hooks(&bad, &hook_repo, &revision);
    assert_eq!(result.status, Some(1), "{}", result.text);
    let failed = result
        .text
        .lines()
        .filter(|l| l.starts_with("shutdownlint") && l.ends_with("Failed"))
        .count();
    assert_eq!(failed, 2, "{}", result.text);
    assert!(result.text.contains("SL101 shell-pid1"), "{}", result.text);

    // Exec form: nothing to report.
    let clean = samples.path().join("clean");
    sample(
        &clean,
        &[
            (
                "services/api/Dockerfile",
                "FROM node:22-slim\nCMD [\"node\", \"server.js\"]\n",
            ),
            ("README.md", "# shop\n"),
        ],
    );
    let result = run_hooks(&clean, &hook_repo, &revision);
    assert_eq!(result.status, Some(0), "{}", result.text);
    let passed = result
        .text
        .lines()
        .filter(|l| l.starts_with("shutdownlint") && l.ends_with("Passed"))
        .count();
    assert_eq!(passed, 2, "{}", result.text);

    // No file of a kind shutdownlint reads: neither hook runs.
    let unrelated = samples.path().join("unrelated");
    sample(
        &unrelated,
        &[("README.md", "# docs\n"), ("src/main.rs", "fn main() {}\n")],
    );
    let result = run_hooks(&unrelated, &hook_repo, &revision);
    assert_eq!(result.status, Some(0), "{}", result.text);
    let skipped = result
        .text
        .lines()
        .filter(|l| l.starts_with("shutdownlint") && l.ends_with("(no files to check)Skipped"))
        .count();
    assert_eq!(skipped, 2, "{}", result.text);
}
