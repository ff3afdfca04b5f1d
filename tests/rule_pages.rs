//! The rule pages in rules/ are the single source of rule metadata and docs:
//! - every page has the fixed sections, and every rule has fixtures that fire and stay silent;
//! - every Bad example fires its rule and every Good example is silent;
//! - docs/ generated from the pages is up to date (SHUTDOWNLINT_UPDATE_DOCS=1 rewrites it).

mod common;

use std::path::Path;

use shutdownlint::rules::{self, RuleMeta};

const SECTIONS: &[&str] = &[
    "## What it flags",
    "## Why it breaks deploys",
    "## Bad",
    "## Good",
    "## Fix",
    "## References",
];

#[test]
fn pages_are_well_formed_and_rules_have_fixtures() {
    let testdata = common::manifest_dir().join("testdata");
    let mut names = std::collections::HashSet::new();
    for rule in rules::all() {
        assert!(names.insert(rule.name), "duplicate rule name {}", rule.name);
        assert!(
            rule.body
                .starts_with(&format!("# {} {}\n", rule.code, rule.name)),
            "{}: page must start with `# {} {}`",
            rule.code,
            rule.code,
            rule.name
        );
        let mut at = 0;
        for section in SECTIONS {
            let found = rule.body[at..].find(section);
            assert!(
                found.is_some(),
                "{}: missing or misplaced `{section}`",
                rule.code
            );
            at += found.unwrap_or(0);
        }
        assert!(!rule.formats.is_empty(), "{}: no formats", rule.code);
        assert!(
            common::manifest_dir()
                .join("rules")
                .join(&rule.page_file)
                .is_file(),
            "{}: page file must be named {}",
            rule.code,
            rule.page_file
        );
        let dir = testdata.join(format!("{}-{}", rule.code, rule.name));
        for kind in ["bad", "good"] {
            let entries = std::fs::read_dir(dir.join(kind))
                .map(|d| d.count())
                .unwrap_or(0);
            assert!(
                entries > 0,
                "{}: no {kind} fixtures in {}",
                rule.code,
                dir.display()
            );
        }
    }
}

/// One example: files (name, content) that form a small repository.
struct Example {
    title: String,
    files: Vec<(String, String)>,
}

fn default_file_name(kind: &str) -> Option<&'static str> {
    match kind {
        "dockerfile" | "Dockerfile" => Some("Dockerfile"),
        "yaml" | "yml" => Some("manifest.yaml"),
        "compose" => Some("compose.yaml"),
        "systemd" | "ini" => Some("app.service"),
        "procfile" | "Procfile" => Some("Procfile"),
        "toml" | "fly" => Some("fly.toml"),
        "nginx" => Some("nginx.conf"),
        _ => None,
    }
}

/// The examples of one section (`## Bad` or `## Good`): each `### title` starts an example made
/// of all the code blocks under it; without sub-headings each code block is its own example.
/// A block's info string is `<kind> [file=<path>]`.
fn examples(rule: &RuleMeta, section: &str) -> Vec<Example> {
    let body = rule.body;
    let start = body
        .find(section)
        .map(|i| i + section.len())
        .unwrap_or(body.len());
    let end = body[start..]
        .find("\n## ")
        .map_or(body.len(), |i| start + i);
    let mut examples: Vec<Example> = Vec::new();
    let mut grouped = false;
    let mut lines = body[start..end].lines();
    while let Some(line) = lines.next() {
        if let Some(title) = line.strip_prefix("### ") {
            grouped = true;
            examples.push(Example {
                title: title.to_string(),
                files: Vec::new(),
            });
        } else if let Some(info) = line.strip_prefix("```") {
            let mut words = info.split_whitespace();
            let kind = words.next().unwrap_or("");
            let file = words
                .find_map(|w| w.strip_prefix("file="))
                .map(str::to_string)
                .or_else(|| default_file_name(kind).map(str::to_string))
                .unwrap_or_else(|| panic!("{}: code block `{info}` needs file=", rule.code));
            let mut content = String::new();
            for l in lines.by_ref() {
                if l.starts_with("```") {
                    break;
                }
                content.push_str(l);
                content.push('\n');
            }
            if !grouped || examples.is_empty() {
                examples.push(Example {
                    title: format!("block {}", examples.len() + 1),
                    files: Vec::new(),
                });
            }
            if let Some(last) = examples.last_mut() {
                last.files.push((file, content));
            }
        }
    }
    examples
}

fn lint_example(rule: &RuleMeta, example: &Example) -> Vec<&'static str> {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, content) in &example.files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, content).expect("write example");
    }
    // Change-mode rules: the example's files are what a change adds to a repository.
    let report = if rule.formats.contains(&"git") {
        let repo = common::change_repo(None, dir.path());
        common::lint_change(repo.path(), "main")
    } else {
        common::lint(dir.path())
    };
    report.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn bad_examples_fire_and_good_examples_are_silent() {
    let mut failures = Vec::new();
    for rule in rules::all() {
        let bad = examples(rule, "## Bad");
        let good = examples(rule, "## Good");
        if bad.is_empty() {
            failures.push(format!("{}: no Bad example", rule.code));
        }
        if good.is_empty() {
            failures.push(format!("{}: no Good example", rule.code));
        }
        for example in bad {
            let codes = lint_example(rule, &example);
            if !codes.contains(&rule.code) {
                failures.push(format!(
                    "{}: Bad example `{}` does not fire (got {codes:?})",
                    rule.code, example.title
                ));
            }
        }
        for example in good {
            let codes = lint_example(rule, &example);
            if codes.contains(&rule.code) || codes.contains(&"SL000") {
                failures.push(format!(
                    "{}: Good example `{}` fires (got {codes:?})",
                    rule.code, example.title
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn generated_docs_are_up_to_date() {
    let docs = common::manifest_dir().join("docs");
    let update = std::env::var_os(shutdownlint::docs::UPDATE_ENV).is_some();
    for (name, content) in shutdownlint::docs::generated() {
        let path = docs.join(name);
        if update {
            shutdownlint::docs::write(&docs).expect("write docs");
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == content,
            "{} is out of date: run `{}=1 cargo test --test rule_pages` or `shutdownlint generate-docs`",
            Path::new("docs").join(name).display(),
            shutdownlint::docs::UPDATE_ENV
        );
    }
}
