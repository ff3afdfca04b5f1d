//! A large scan keeps only `Settings::kept_workloads` Kubernetes workloads in its model and
//! lowers the others again, part by part, after the model is built. The findings must not
//! depend on that: every output format is the same whatever is kept.

mod common;

use std::path::Path;

use shutdownlint::config::{Config, Selection};
use shutdownlint::output::{render, Format};
use shutdownlint::Settings;

/// Every output format of `path` linted keeping `kept` workloads, and how many Kubernetes
/// workloads the report's model kept.
fn outputs(path: &Path, kept: usize) -> (Vec<String>, usize) {
    let mut settings = Settings::new(Config::default(), Selection::all());
    settings.kept_workloads = kept;
    let report = shutdownlint::lint_paths(&[path.to_path_buf()], &settings).expect("lint runs");
    let rendered = [Format::Json, Format::Sarif, Format::Github, Format::Human]
        .into_iter()
        .map(|format| render(&report, format, false))
        .collect();
    let kubernetes = report
        .model
        .workloads
        .iter()
        .filter(|w| w.kubernetes.is_some())
        .count();
    (rendered, kubernetes)
}

fn assert_same_whatever_is_kept(path: &Path, kept: &[usize]) {
    let (all, every) = outputs(path, usize::MAX);
    assert!(
        all[0].contains("SL201") && all[0].contains("SL503"),
        "the tree has Kubernetes findings: {}",
        &all[0][..all[0].len().min(2000)]
    );
    for &n in kept {
        let (some, kept) = outputs(path, n);
        assert!(
            kept <= n && kept < every,
            "{kept} of {every} Kubernetes workloads kept, at most {n} wanted"
        );
        for (format, (a, b)) in ["json", "sarif", "github", "human"]
            .iter()
            .zip(all.iter().zip(&some))
        {
            if a != b {
                let line = a
                    .lines()
                    .zip(b.lines())
                    .position(|(x, y)| x != y)
                    .unwrap_or(0);
                panic!(
                    "{format} differs keeping {n} workloads, from line {}:\n{}\n---\n{}",
                    line + 1,
                    a.lines().skip(line).take(12).collect::<Vec<_>>().join("\n"),
                    b.lines().skip(line).take(12).collect::<Vec<_>>().join("\n"),
                );
            }
        }
    }
}

#[test]
fn every_fixture_gives_the_same_findings_whatever_is_kept() {
    // All rule folders at once: Kubernetes manifests next to Services, autoscalers, Dockerfiles,
    // compose files, nginx configs and systemd units.
    let testdata = common::manifest_dir().join("testdata");
    assert_same_whatever_is_kept(&testdata, &[0, 1, 7]);
}
