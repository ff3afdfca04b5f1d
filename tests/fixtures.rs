//! Every rule folder in testdata/: `bad/` cases fire the folder's rule (snapshots beside them),
//! `good/` cases (real-world shaped, correct configs) stay silent. A case is a file or a folder
//! (a small repository). A change-mode case is a folder with `head/` (the branch) and optionally
//! `base/` (main): the test builds a git repository from them and lints `--diff main`.

mod common;

use std::path::{Path, PathBuf};

fn cases(dir: &Path) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    cases.retain(|p| {
        !p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
    });
    cases.sort();
    cases
}

fn rule_dirs() -> Vec<(String, PathBuf)> {
    let testdata = common::manifest_dir().join("testdata");
    let mut dirs = Vec::new();
    for rule in shutdownlint::rules::all() {
        let dir = testdata.join(format!("{}-{}", rule.code, rule.name));
        dirs.push((rule.code.to_string(), dir));
    }
    dirs
}

/// Only the rule folders named in `SHUTDOWNLINT_FIXTURES` (comma-separated codes), when set.
fn wanted(code: &str) -> bool {
    std::env::var("SHUTDOWNLINT_FIXTURES")
        .map(|v| v.split(',').any(|c| c.trim().eq_ignore_ascii_case(code)))
        .unwrap_or(true)
}

#[test]
fn bad_fixtures_fire_and_match_snapshots() {
    let mut failures = Vec::new();
    for (code, dir) in rule_dirs() {
        if !wanted(&code) {
            continue;
        }
        let bad = dir.join("bad");
        let only = [code.as_str(), "SL000"];
        for case in cases(&bad) {
            let (report, repo) = common::lint_case(&case);
            let root = match &repo {
                Some(repo) => repo.path().to_path_buf(),
                None if case.is_dir() => case.clone(),
                None => bad.clone(),
            };
            let rendered = common::render_concise(&report, &root, &only);
            if !report.diagnostics.iter().any(|d| d.code == code) {
                failures.push(format!(
                    "{code} did not fire on {}:\n{rendered}",
                    case.display()
                ));
                continue;
            }
            let name = case
                .file_name()
                .map(|n| n.to_string_lossy().replace('.', "_"))
                .unwrap_or_default();
            let result = std::panic::catch_unwind(|| {
                insta::with_settings!({
                    snapshot_path => dir.join("snapshots"),
                    prepend_module_to_snapshot => false,
                    omit_expression => true,
                }, {
                    insta::assert_snapshot!(name, rendered);
                });
            });
            if result.is_err() {
                failures.push(format!("{code}: snapshot of {} differs", case.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn good_fixtures_stay_silent() {
    let mut failures = Vec::new();
    for (code, dir) in rule_dirs() {
        if !wanted(&code) {
            continue;
        }
        let good = dir.join("good");
        for case in cases(&good) {
            let (report, repo) = common::lint_case(&case);
            let root = match &repo {
                Some(repo) => repo.path().to_path_buf(),
                None if case.is_dir() => case.clone(),
                None => good.clone(),
            };
            let rendered = common::render_concise(&report, &root, &[code.as_str(), "SL000"]);
            if !rendered.is_empty() {
                failures.push(format!(
                    "{code} (or SL000) fired on good case {}:\n{rendered}",
                    case.display()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
