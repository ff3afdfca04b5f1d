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

#[test]
fn workloads_of_one_image_give_the_same_findings_whatever_is_kept() {
    // Pod templates running an image that skaffold builds from a Dockerfile in the scan: their
    // findings point into the Dockerfile's entrypoint script, the same finding from each pod
    // template, merged with every template's labels. Some are kept, some lowered later.
    let repo = tempfile::tempdir().expect("tempdir");
    let root = repo.path();
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "skaffold.yaml",
        "apiVersion: skaffold/v4beta11\nkind: Config\nbuild:\n  artifacts:\n    - image: \
         shop/api\n      context: api\n",
    );
    write(
        "api/Dockerfile",
        "FROM python:3.12-slim\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT \
         [\"/entrypoint.sh\"]\nCMD [\"gunicorn\", \"app:app\"]\n",
    );
    write(
        "api/entrypoint.sh",
        "#!/bin/sh\nset -e\npython manage.py migrate\ngunicorn app:app --bind 0.0.0.0:8000\n",
    );
    let deployment = |name: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  \
             replicas: 2\n  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    \
             metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n        - \
             name: api\n          image: shop/api:1.4.0\n          ports: [{{containerPort: \
             8000}}]\n"
        )
    };
    write(
        "k8s/a.yaml",
        &format!("{}---\n{}", deployment("api-a1"), deployment("api-a2")),
    );
    write("k8s/b.yaml", &deployment("api-b"));
    write("k8s/c.yaml", &deployment("api-c"));
    let (all, _) = outputs(root, usize::MAX);
    assert!(
        all[0].contains("SL103") && all[0].contains("entrypoint.sh"),
        "{}",
        all[0]
    );
    for kept in [0, 1, 2, 3] {
        let (some, _) = outputs(root, kept);
        assert!(
            some == all,
            "findings differ keeping {kept} workloads:\n{}",
            some[0]
        );
    }
}
