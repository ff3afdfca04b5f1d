//! The command line as a user runs it: exit codes, formats, selection, configuration, stdin.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shutdownlint"));
    command.env_remove("NO_COLOR").env("COLUMNS", "100");
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().expect("runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
}

const SHELL_FORM: &str = "FROM node:22-slim\nCMD node server.js\n";
const CLEAN: &str = "FROM node:22-slim\nCMD [\"node\", \"server.js\"]\n";
const NPM_START: &str = "FROM node:22-slim\nCMD [\"npm\", \"start\"]\n";

#[test]
fn exit_codes_follow_findings_and_fail_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "clean/Dockerfile", CLEAN);
    write(dir.path(), "warn/Dockerfile", NPM_START);
    write(dir.path(), "error/Dockerfile", SHELL_FORM);
    assert_eq!(run(dir.path(), &["clean"]).status.code(), Some(0));
    assert_eq!(run(dir.path(), &["warn"]).status.code(), Some(1));
    assert_eq!(
        run(dir.path(), &["warn", "--fail-on", "error"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(dir.path(), &["error", "--fail-on", "error"])
            .status
            .code(),
        Some(1)
    );
    let missing = run(dir.path(), &["does-not-exist"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("does-not-exist"),
        "{}",
        stderr(&missing)
    );
    let bad_flag = run(dir.path(), &["--format", "yaml"]);
    assert_eq!(bad_flag.status.code(), Some(2));
}

#[test]
fn default_path_is_the_current_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "Dockerfile", SHELL_FORM);
    let output = run(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("SL101 shell-pid1"),
        "{}",
        stdout(&output)
    );
    assert!(stdout(&output).contains("Found 1 problem (1 error) in 1 file."));
    assert!(
        !stdout(&output).contains('\u{1b}'),
        "no colour when not a terminal"
    );
}

#[test]
fn select_and_ignore_take_codes_names_and_prefixes() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "Dockerfile",
        "FROM node:22-slim\nSTOPSIGNAL SIGKILL\nCMD npm start\n",
    );
    let codes = |args: &[&str]| -> Vec<String> {
        let output = run(dir.path(), &[&["--format", "json"], args].concat());
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        json["diagnostics"]
            .as_array()
            .expect("array")
            .iter()
            .map(|d| d["rule"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(codes(&[]), ["SL104", "SL101", "SL102"]);
    assert_eq!(codes(&["--select", "SL104"]), ["SL104"]);
    assert_eq!(codes(&["--select", "shell-pid1,SL104"]), ["SL104", "SL101"]);
    assert_eq!(codes(&["--ignore", "SL10"]), Vec::<String>::new());
    assert_eq!(
        codes(&["--select", "SL1", "--ignore", "package-manager-pid1"]),
        ["SL104", "SL101"]
    );
    let unknown = run(dir.path(), &["--select", "SL999"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("SL999"));
}

/// `app/sub/..` is `app`: its configuration is looked for from `app` up, not from `app/sub`
/// (a parent taken by name read `app/sub/.shutdownlint.toml`, below the linted folder).
#[test]
fn config_is_looked_for_from_where_a_dotdot_path_is() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "app/Dockerfile",
        "FROM node:22-slim\nCMD npm start\n",
    );
    write(
        dir.path(),
        "app/sub/.shutdownlint.toml",
        "ignore = [\"SL101\", \"SL102\"]\n",
    );
    let absolute = dir.path().join("app/sub/..");
    for arg in [
        "app",
        "./app",
        "app/sub/..",
        "app/sub/../",
        absolute.to_str().unwrap_or(""),
    ] {
        let output = run(dir.path(), &["--format", "json", arg]);
        assert_eq!(output.status.code(), Some(1), "{arg}: {}", stderr(&output));
    }
}

#[test]
fn config_is_discovered_upward_and_unknown_keys_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        ".shutdownlint.toml",
        "ignore = [\"shell-pid1\"]\n[severity]\nSL102 = \"error\"\n",
    );
    write(
        dir.path(),
        "services/api/Dockerfile",
        "FROM node:22-slim\nCMD npm start\n",
    );
    let output = run(&dir.path().join("services"), &["--format", "json", "api"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let diagnostics = json["diagnostics"].as_array().expect("array");
    assert_eq!(diagnostics.len(), 1, "{json}");
    assert_eq!(diagnostics[0]["rule"], "SL102");
    assert_eq!(diagnostics[0]["severity"], "error");
    assert_eq!(diagnostics[0]["file"], "api/Dockerfile");

    write(
        dir.path(),
        ".shutdownlint.toml",
        "[drain]\ndefault-secs = 3\n",
    );
    let output = run(dir.path(), &["."]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("default-secs"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains(".shutdownlint.toml"),
        "{}",
        stderr(&output)
    );

    // Found by the nginx fuzzer: a duration no clock holds panicked; it is a config error now.
    for (key, value) in [
        (
            "[nginx]\nbackend-idle-timeout",
            "1000000000000000000000000000000s",
        ),
        ("[procfile]\nkill-timeout", "99999999999999999999999h"),
    ] {
        write(
            dir.path(),
            ".shutdownlint.toml",
            &format!("{key} = \"{value}\"\n"),
        );
        let output = run(dir.path(), &["."]);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("too long to be a timeout") && stderr(&output).contains(value),
            "{}",
            stderr(&output)
        );
    }

    write(
        dir.path(),
        "other.toml",
        "fail-on = \"error\"\nignore = [\"SL101\"]\n",
    );
    let output = run(dir.path(), &["--config", "other.toml", "services"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn excludes_and_gitignore_are_honoured() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        ".shutdownlint.toml",
        "exclude = [\"vendor/\", \"**/fixtures/**\"]\n",
    );
    write(dir.path(), ".gitignore", "build/\n");
    write(dir.path(), "vendor/lib/Dockerfile", SHELL_FORM);
    write(dir.path(), "test/fixtures/Dockerfile", SHELL_FORM);
    write(dir.path(), "build/Dockerfile", SHELL_FORM);
    write(dir.path(), "app/Dockerfile", SHELL_FORM);
    let output = run(dir.path(), &["--format", "json", "."]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let files: Vec<&str> = json["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|d| d["file"].as_str())
        .collect();
    assert_eq!(files, ["app/Dockerfile"]);
    assert_eq!(json["summary"]["files"], 1);
}

#[test]
fn excludes_match_paths_spelled_with_dot_dot() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        ".shutdownlint.toml",
        "exclude = [\"vendor/\", \"app/Dockerfile\"]\n",
    );
    write(dir.path(), "vendor/lib/Dockerfile", SHELL_FORM);
    write(dir.path(), "app/Dockerfile", SHELL_FORM);
    write(dir.path(), "app/sub/keep.txt", "");
    for args in [
        &["app/sub/../Dockerfile"][..],
        &["app/sub/.."],
        &["vendor/lib/../lib/Dockerfile"],
        &["app/sub/../../vendor"],
    ] {
        let output = run(dir.path(), args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stdout(&output)
        );
    }
}

#[test]
fn stdin_uses_the_given_name() {
    let mut child = bin()
        .args([
            "-",
            "--stdin-filename",
            "services/api/Dockerfile",
            "--format",
            "github",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(SHELL_FORM.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).starts_with("::error file=services/api/Dockerfile,line=2,col=1,endColumn=19,title=SL101 shell-pid1::"),
        "{}",
        stdout(&output)
    );
    let unknown = bin()
        .args(["-", "--stdin-filename", "notes.txt"])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn rules_and_explain() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = run(dir.path(), &["rules", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let rules = json["rules"].as_array().expect("rules");
    assert!(rules
        .iter()
        .any(|r| r["code"] == "SL101" && r["name"] == "shell-pid1" && r["severity"] == "error"));
    assert!(rules
        .iter()
        .all(|r| r["summary"].as_str().is_some_and(|s| !s.is_empty())));
    let table = stdout(&run(dir.path(), &["rules"]));
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("SL104  stop-signal-kill")),
        "{table}"
    );
    for name in ["SL103", "entrypoint-script-no-exec", "sl103"] {
        let output = run(dir.path(), &["explain", name]);
        assert_eq!(output.status.code(), Some(0));
        assert!(
            stdout(&output).starts_with("SL103 entrypoint-script-no-exec (error"),
            "{}",
            stdout(&output)
        );
        assert!(stdout(&output).contains("## Bad"));
    }
    assert_eq!(run(dir.path(), &["explain", "nope"]).status.code(), Some(2));
}

#[test]
fn unreadable_and_special_files_do_not_stop_the_scan() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a/Dockerfile", SHELL_FORM);
    write(dir.path(), "b/Dockerfile", "FROM node:22-slim\nRUNN x\n");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/etc", dir.path().join("escape")).expect("symlink");
        std::os::unix::fs::symlink(
            dir.path().join("a/Dockerfile"),
            dir.path().join("c.Dockerfile"),
        )
        .expect("symlink");
    }
    let output = run(dir.path(), &["--format", "json", "."]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let found: Vec<(String, String)> = json["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap_or("").to_string(),
                d["rule"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("a/Dockerfile".to_string(), "SL101".to_string()),
            ("b/Dockerfile".to_string(), "SL000".to_string())
        ]
    );
}

/// BuildKit's walk of the build context carries each line's result for a folder down to what is
/// in it, and its read of a file kept matches every folder above it: a script brought back by
/// an exception under a folder a later line excludes again is sent empty. It is not read (no
/// SL103 from a text the image does not hold), and a note says why; `docker/*` then `!docker`
/// leaves the script out altogether (no finding, no note).
#[test]
fn a_script_buildkit_sends_empty_gets_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dockerfile = "FROM alpine\nCOPY docker/entrypoint.sh /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\nCMD [\"app\"]\n";
    write(dir.path(), "Dockerfile", dockerfile);
    write(
        dir.path(),
        "docker/entrypoint.sh",
        "#!/bin/sh\necho hi\n\"$@\"\n",
    );
    write(
        dir.path(),
        ".dockerignore",
        "docker\n!docker/entrypoint.sh\ndocker\n",
    );
    let output = run(dir.path(), &["--format", "json", "."]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["diagnostics"], serde_json::json!([]), "{json}");
    let err = stderr(&output);
    assert!(
        err.contains(".dockerignore: BuildKit's walk of the build context keeps `docker/entrypoint.sh` but its read of the file leaves it out"),
        "{err}"
    );
    let dockerfile =
        "FROM alpine\nCOPY . /app\nENTRYPOINT [\"/app/docker/entrypoint.sh\"]\nCMD [\"app\"]\n";
    write(dir.path(), "Dockerfile", dockerfile);
    write(dir.path(), ".dockerignore", "docker/*\n!docker\n");
    let output = run(dir.path(), &["--format", "json", "."]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["diagnostics"], serde_json::json!([]), "{json}");
    assert!(!stderr(&output).contains("BuildKit"), "{}", stderr(&output));
}

/// A Dockerfile whose name is not UTF-8 has its own `<Dockerfile>.dockerignore` too: BuildKit
/// looks it up by the name's bytes. A script it leaves out is not reported (it was: the lossy
/// name found no ignore file).
#[cfg(unix)]
#[test]
fn a_non_utf8_dockerfile_name_has_its_own_dockerignore() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let dockerfile =
        "FROM node:20\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\n";
    let name = std::ffi::OsStr::from_bytes(b"Dockerfile.\xff");
    std::fs::write(dir.path().join(name), dockerfile).expect("write");
    write(dir.path(), "entrypoint.sh", "#!/bin/sh\nnode server.js\n");
    let rules = |output: &Output| -> Vec<String> {
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
        json["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|d| d["rule"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    // Without the ignore file, the script is reported.
    let output = run(dir.path(), &["--format", "json", "."]);
    assert_eq!(rules(&output), ["SL103"], "{}", stderr(&output));
    let ignore = std::ffi::OsStr::from_bytes(b"Dockerfile.\xff.dockerignore");
    std::fs::write(dir.path().join(ignore), "entrypoint.sh\n").expect("write");
    let output = run(dir.path(), &["--format", "json", "."]);
    assert!(rules(&output).is_empty(), "{}", stderr(&output));
}

/// An entrypoint script named beside its Dockerfile is linted through the Dockerfile: the note
/// about the script does not call it skipped while an SL103 is reported in it.
#[test]
fn a_named_entrypoint_script_is_not_called_skipped() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/SL103-entrypoint-script-no-exec/bad/dollar-at-without-exec");
    let output = run(
        &case,
        &[
            "--format",
            "json",
            "Dockerfile",
            "docker/docker-entrypoint.sh",
        ],
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let in_script = json["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .any(|d| d["rule"] == "SL103" && d["file"] == "docker/docker-entrypoint.sh");
    assert!(in_script, "{json}");
    let err = stderr(&output);
    assert!(
        err.contains("docker/docker-entrypoint.sh: not a file kind shutdownlint reads on its own (an entrypoint script is linted through the Dockerfile that runs it)"),
        "{err}"
    );
    assert!(!err.contains("skipped"), "{err}");
}

const HELM_RENDERED: &str = "---\n# Source: shop/templates/api-deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop-api\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n        - name: api\n          image: registry.example.com/api:1.0.0\n          command: [\"npm\", \"start\"]\n";

#[test]
fn rendered_helm_output_on_stdin_names_the_template() {
    let mut child = bin()
        .args(["-", "--format", "json", "--select", "SL102"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(HELM_RENDERED.as_bytes())
        .expect("write stdin");
    let output = child.wait_with_output().expect("wait");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let d = &json["diagnostics"][0];
    assert_eq!(d["rule"], "SL102", "{json}");
    assert_eq!(d["file"], "stdin.yaml");
    assert_eq!(d["source"], "shop/templates/api-deployment.yaml");
    assert!(d["message"]
        .as_str()
        .unwrap_or("")
        .ends_with("(rendered from shop/templates/api-deployment.yaml)"));
    assert_eq!(d["start"]["line"], 18);
}

#[test]
fn helm_templates_and_kustomize_patches_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "chart/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n",
    );
    write(
        dir.path(),
        "base/kustomization.yaml",
        "resources:\n  - deployment.yaml\npatches:\n  - path: replicas-patch.yaml\n",
    );
    write(
        dir.path(),
        "base/replicas-patch.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          ports:\n            - containerPort: 8080\n",
    );
    let output = run(dir.path(), &["--format", "json", "."]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(
        json["diagnostics"].as_array().map(Vec::len),
        Some(0),
        "{json}"
    );
    let notes = stderr(&output);
    assert!(
        notes.contains("chart/templates/deployment.yaml: a Helm/Go template"),
        "{notes}"
    );
    assert!(
        notes.contains("base/replicas-patch.yaml: a Kustomize patch"),
        "{notes}"
    );
}

#[test]
fn yaml_alias_bomb_ends_in_a_parse_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bomb = String::from(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bomb\n  annotations:\n    a0: &a0 \"lol\"\n",
    );
    for level in 1..10 {
        let refs = vec![format!("*a{}", level - 1); 9].join(", ");
        bomb.push_str(&format!("    a{level}: &a{level} [{refs}]\n"));
    }
    bomb.push_str("spec:\n  containers:\n    - name: x\n      image: busybox\n");
    write(dir.path(), "bomb.yaml", &bomb);
    let output = run(dir.path(), &["--format", "json", "bomb.yaml"]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(json["diagnostics"][0]["rule"], "SL000", "{json}");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn config_images_link_manifests_to_dockerfiles() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        ".shutdownlint.toml",
        "[images]\n\"registry.example.com/shop/web\" = \"services/web/Dockerfile\"\n",
    );
    write(
        dir.path(),
        "services/web/Dockerfile",
        "FROM python:3.12-slim\nCMD [\"gunicorn\", \"--bind\", \":8000\", \"--graceful-timeout\", \"45\", \"web.wsgi\"]\n",
    );
    write(
        dir.path(),
        "deploy/web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      terminationGracePeriodSeconds: 40\n      containers:\n        - name: web\n          image: registry.example.com/shop/web:7.1.0\n          readinessProbe:\n            httpGet: {path: /ready, port: 8000}\n          lifecycle:\n            preStop:\n              sleep: {seconds: 5}\n",
    );
    let output = run(dir.path(), &["--format", "json", "--select", "SL301", "."]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    let d = &json["diagnostics"][0];
    assert_eq!(d["rule"], "SL301", "{json}");
    assert_eq!(d["file"], "deploy/web.yaml");
    assert_eq!(d["start"]["line"], 13);
    let message = d["message"].as_str().unwrap_or("");
    assert!(message.starts_with("preStop 5s + gunicorn --graceful-timeout 45s = 50s > terminationGracePeriodSeconds 40s"), "{message}");
    assert!(d["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .any(|l| l["file"] == "services/web/Dockerfile"));
}

#[test]
fn sarif_format_emits_every_finding_with_relative_uris() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "api/Dockerfile", SHELL_FORM);
    write(dir.path(), "web/Dockerfile", NPM_START);
    write(dir.path(), "clean/Dockerfile", CLEAN);
    let json = run(dir.path(), &["--format", "json", "."]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let expected = json["diagnostics"].as_array().expect("diagnostics").len();
    assert!(expected >= 2, "{json}");

    let output = run(dir.path(), &["--format", "sarif", "."]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid json");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), expected, "{sarif}");
    let uris: Vec<_> = results
        .iter()
        .map(|r| &r["locations"][0]["physicalLocation"]["artifactLocation"])
        .collect();
    assert!(
        uris.iter().all(|a| a["uriBaseId"] == "%SRCROOT%"),
        "{sarif}"
    );
    assert!(uris.iter().any(|a| a["uri"] == "api/Dockerfile"), "{sarif}");
    assert!(uris.iter().any(|a| a["uri"] == "web/Dockerfile"), "{sarif}");
    // %SRCROOT% is the current directory of the run, as a file:// URI ending in `/`.
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("root uri");
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), shutdownlint::rules::all().len());
}

#[test]
fn a_closed_stdout_or_stderr_is_no_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "app/Dockerfile", SHELL_FORM);
    // A file over the size cap gives a note on stderr.
    write(
        dir.path(),
        ".shutdownlint.toml",
        "max-file-size = \"10B\"\n",
    );
    let cases: [(&[&str], bool); 6] = [
        (&["--help"], false),
        (&["explain", "SL101"], false),
        (&["rules"], false),
        (&["rules", "--format", "json"], false),
        (&["."], false),
        (&["."], true),
    ];
    for (args, close_stderr) in cases {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let mut command = bin();
        command.current_dir(dir.path()).args(args);
        if close_stderr {
            command.stdout(Stdio::null()).stderr(writer);
        } else {
            command.stdout(writer).stderr(Stdio::piped());
        }
        let output = command.output().expect("run");
        let code = output.status.code();
        assert!(
            matches!(code, Some(0 | 1)),
            "{args:?} (stderr closed: {close_stderr}): {code:?} {}",
            stderr(&output)
        );
        assert!(!stderr(&output).contains("panicked"), "{args:?}");
    }
}

/// A standalone `-f` overlay's service is judged alone and merged over the base file's (two
/// workloads linked to one Dockerfile): what both say of its `build.target` is one note.
#[test]
fn a_note_said_twice_is_printed_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "app/Dockerfile",
        "FROM python:3.12 AS base\nCMD [\"gunicorn\", \"app:app\"]\nFROM base AS final\nSTOPSIGNAL SIGTERM\n",
    );
    write(
        dir.path(),
        "docker-compose.yml",
        "services:\n  web:\n    build:\n      context: ./app\n    stop_grace_period: 60s\n",
    );
    write(
        dir.path(),
        "docker-compose.prod.yml",
        "services:\n  web:\n    build:\n      context: ./app\n      target: base\n    stop_grace_period: 60s\nvolumes:\n  data:\n",
    );
    let output = run(dir.path(), &["--format", "json", "."]);
    let err = stderr(&output);
    let said = err
        .lines()
        .filter(|l| l.contains("builds the stage `base` of app/Dockerfile"))
        .count();
    assert_eq!(said, 1, "{err}");
}
