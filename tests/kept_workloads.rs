//! A large scan keeps only `Settings::kept_workloads` Kubernetes workloads in its model and
//! lowers the others again, part by part, after the model is built. The findings must not
//! depend on that: every output format is the same whatever is kept.

mod common;

use std::path::Path;

use shutdownlint::config::{Config, Selection};
use shutdownlint::output::{render, Format};
use shutdownlint::Settings;

/// Every output format of `path` linted keeping `kept` workloads and lowering the others again
/// `at_once` pod templates at a time, and how many Kubernetes workloads the report's model kept.
fn outputs(path: &Path, kept: usize, at_once: usize) -> (Vec<String>, usize) {
    let mut settings = Settings::new(Config::default(), Selection::all());
    settings.kept_workloads = kept;
    settings.relowered_at_once = at_once;
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

fn assert_same_whatever_is_kept(path: &Path, kept: &[(usize, usize)]) {
    let (all, every) = outputs(path, usize::MAX, shutdownlint::RELOWERED_AT_ONCE);
    assert!(
        all[0].contains("SL201") && all[0].contains("SL503"),
        "the tree has Kubernetes findings: {}",
        &all[0][..all[0].len().min(2000)]
    );
    for &(n, at_once) in kept {
        let (some, kept) = outputs(path, n, at_once);
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
                    "{format} differs keeping {n} workloads ({at_once} at once), from line {}:\n{}\n---\n{}",
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
    // Lowered again one pod template at a time, manifests of several documents are lowered a
    // document at a time.
    assert_same_whatever_is_kept(&testdata, &[(0, 1), (1, 3), (7, 2048)]);
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
    let (all, _) = outputs(root, usize::MAX, 2048);
    assert!(
        all[0].contains("SL103") && all[0].contains("entrypoint.sh"),
        "{}",
        all[0]
    );
    for kept in [0, 1, 2, 3] {
        for at_once in [1, 2048] {
            let (some, _) = outputs(root, kept, at_once);
            assert!(
                some == all,
                "findings differ keeping {kept} workloads ({at_once} at once):\n{}",
                some[0]
            );
        }
    }
}

#[test]
fn a_manifest_of_many_pods_is_lowered_again_in_ranges_of_documents() {
    // One file of many small Pods (a generated manifest): more than can be kept, so it is read
    // without its pod templates and they are lowered later, a few documents at a time. Some
    // documents are Services selecting them, some hold a List of two Pods, one an unrelated
    // ConfigMap, and suppressions sit on some Pods.
    let repo = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    for i in 0..40 {
        let ignore = if i % 7 == 0 {
            "\n  annotations: {shutdownlint.dev/ignore: SL201}"
        } else {
            ""
        };
        text.push_str(&format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p{i}\n  labels: {{app: a{}}}{ignore}\n\
             spec:\n  containers:\n    - name: web\n      image: nginx:1.27\n      \
             ports: [{{containerPort: 80}}]\n---\n",
            i % 5
        ));
        if i % 9 == 0 {
            text.push_str(&format!(
                "apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}}}\nspec: {{selector: \
                 {{app: a{}}}}}\n---\n",
                i % 5
            ));
        }
        if i % 13 == 0 {
            text.push_str(&format!(
                "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: apps/v1\n    kind: \
                 Deployment\n    metadata: {{name: l{i}}}\n    spec:\n      template:\n        \
                 spec: {{containers: [{{name: w, image: busybox}}]}}\n  - apiVersion: v1\n    \
                 kind: Pod\n    metadata: {{name: m{i}}}\n    spec: {{containers: [{{name: w, \
                 image: busybox}}]}}\n---\n"
            ));
        }
        if i == 20 {
            text.push_str(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n---\n",
            );
        }
    }
    std::fs::write(repo.path().join("pods.yaml"), &text).expect("write");
    std::fs::write(
        repo.path().join("deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: first}\nspec:\n  template:\n    \
         spec: {containers: [{name: w, image: busybox}]}\n",
    )
    .expect("write");
    let (all, every) = outputs(repo.path(), usize::MAX, 2048);
    assert!(every > 40, "{every} workloads");
    assert!(all[0].contains("SL202"), "{}", all[0]);
    // Keeping 10: the small file is kept, the large one is read without its pod templates.
    for (kept, at_once) in [(10, 1), (10, 2), (10, 5), (10, 2048), (0, 3), (1, 7)] {
        let (some, kept_now) = outputs(repo.path(), kept, at_once);
        assert!(kept_now <= kept, "{kept_now} kept, at most {kept}");
        assert!(
            some == all,
            "findings differ keeping {kept} workloads ({at_once} at once):\n{}",
            some[0]
        );
    }
}
