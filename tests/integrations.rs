//! The GitHub Action and the pre-commit hook definitions.
//!
//! `scripts/action.sh` runs here as the runner runs it: in a temporary git repository, with the
//! GITHUB_* and RUNNER_* variables a runner sets and the inputs as INPUT_* variables (what
//! action.yml's `env:` maps them to). The binary is the one cargo built for this test run
//! (the install step's `binary` input), so nothing is rebuilt. action.yml and
//! .pre-commit-hooks.yaml are parsed and checked against the script and against the file names
//! shutdownlint reads. Building from source (`action.sh install` without a binary) and the real
//! `pre-commit` are slow and run as ignored tests in CI (`.ci/run`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use shutdownlint::formats::yaml::{self, Node};

const BIN: &str = env!("CARGO_BIN_EXE_shutdownlint");

/// Cheap release-profile settings for the build-from-source test (as in tests/precommit.rs).
const QUICK_RELEASE_PROFILE: &[(&str, &str)] = &[
    ("CARGO_PROFILE_RELEASE_LTO", "off"),
    ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"),
    ("CARGO_PROFILE_RELEASE_DEBUG", "false"),
    ("CARGO_PROFILE_RELEASE_INCREMENTAL", "false"),
];

const SHELL_FORM: &str = "FROM node:22-slim\nCMD node server.js\n";
const NPM_START: &str = "FROM node:22-slim\nCMD [\"npm\", \"start\"]\n";
const CLEAN: &str = "FROM node:22-slim\nCMD [\"node\", \"server.js\"]\n";

fn script() -> PathBuf {
    common::manifest_dir().join("scripts/action.sh")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
}

/// A runner: a home, a temp folder, the output files, and a workspace that is a git repository
/// holding `files` in one commit.
struct Runner {
    root: tempfile::TempDir,
}

impl Runner {
    fn new(files: &[(&str, &str)]) -> Runner {
        let runner = Runner {
            root: tempfile::tempdir().expect("tempdir"),
        };
        for dir in ["home", "temp", "workspace"] {
            std::fs::create_dir_all(runner.root.path().join(dir)).expect("mkdir");
        }
        let workspace = runner.workspace();
        git(&workspace, &["init", "-q"]);
        for (name, content) in files {
            write(&workspace, name, content);
        }
        git(&workspace, &["add", "-A"]);
        git(
            &workspace,
            &["commit", "-q", "--allow-empty", "-m", "initial"],
        );
        runner
    }

    fn path(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }

    fn workspace(&self) -> PathBuf {
        self.path("workspace")
    }

    /// `action.sh <step>` with the runner's environment and `env` (inputs and overrides) on top.
    /// Step outputs of earlier calls are cleared.
    fn step(&self, step: &str, env: &[(&str, &str)]) -> Step {
        let github_output = self.path("github_output");
        let github_path = self.path("github_path");
        let _ = std::fs::remove_file(&github_output);
        let _ = std::fs::remove_file(&github_path);
        let mut command = Command::new("bash");
        command
            .arg(script())
            .arg(step)
            .current_dir(self.workspace())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GITHUB_ACTIONS", "true")
            .env("CI", "true")
            .env("GITHUB_WORKSPACE", self.workspace())
            .env("GITHUB_ACTION_PATH", common::manifest_dir())
            .env("GITHUB_OUTPUT", &github_output)
            .env("GITHUB_PATH", &github_path)
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_REPOSITORY", "example/shop")
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TEMP", self.path("temp"))
            .env("SHUTDOWNLINT_BIN", BIN);
        // Where rustup and cargo live when that is not under HOME (container images set these).
        for name in ["RUSTUP_HOME", "CARGO_HOME", "RUSTUP_TOOLCHAIN"] {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().expect("bash runs");
        Step {
            outputs: read_outputs(&github_output),
            path_file: std::fs::read_to_string(&github_path).unwrap_or_default(),
            output,
        }
    }

    fn run(&self, inputs: &[(&str, &str)]) -> Step {
        self.step("run", inputs)
    }
}

struct Step {
    output: Output,
    outputs: BTreeMap<String, String>,
    path_file: String,
}

impl Step {
    fn status(&self) -> Option<i32> {
        self.output.status.code()
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    fn log(&self) -> String {
        format!(
            "status {:?}\n--- stdout\n{}--- stderr\n{}",
            self.status(),
            self.stdout(),
            String::from_utf8_lossy(&self.output.stderr)
        )
    }

    /// The workflow commands the runner would act on: lines starting with `::`, outside
    /// `::stop-commands::TOKEN` … `::TOKEN::` blocks.
    fn commands(&self) -> Vec<String> {
        let mut commands = Vec::new();
        let mut stopped: Option<String> = None;
        for line in self.stdout().lines() {
            if let Some(token) = &stopped {
                if line == format!("::{token}::") {
                    stopped = None;
                }
                continue;
            }
            if let Some(token) = line.strip_prefix("::stop-commands::") {
                stopped = Some(token.to_string());
            } else if line.starts_with("::") {
                commands.push(line.to_string());
            }
        }
        assert!(stopped.is_none(), "commands stopped and never resumed");
        commands
    }

    /// The text printed with workflow commands stopped.
    fn untrusted_blocks(&self) -> Vec<String> {
        let mut blocks = Vec::new();
        let mut current: Option<(String, String)> = None;
        for line in self.stdout().lines() {
            match &mut current {
                Some((token, text)) => {
                    if line == format!("::{token}::") {
                        blocks.push(std::mem::take(text));
                        current = None;
                    } else {
                        text.push_str(line);
                        text.push('\n');
                    }
                }
                None => {
                    if let Some(token) = line.strip_prefix("::stop-commands::") {
                        current = Some((token.to_string(), String::new()));
                    }
                }
            }
        }
        blocks
    }
}

/// Parse a GITHUB_OUTPUT file: `name=value` lines and `name<<DELIMITER` blocks.
fn read_outputs(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for line in lines.by_ref() {
                if line == delimiter {
                    break;
                }
                value.push(line);
            }
            outputs.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.insert(name.to_string(), value.to_string());
        }
    }
    outputs
}

/// Whether the binary has change mode yet (`--diff`).
fn cli_has_diff() -> bool {
    Command::new(BIN)
        .arg("--help")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--diff"))
}

/// Whether the binary has the rule `code` (change mode's rules land separately from `--diff`).
fn cli_knows_rule(code: &str) -> bool {
    let known = Command::new(BIN)
        .args(["rules", "--format", "json"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(&format!("\"{code}\"")));
    if !known {
        eprintln!("note: this shutdownlint has no {code} yet: its finding is not checked");
    }
    known
}

#[test]
fn annotations_sarif_and_exit_status() {
    let runner = Runner::new(&[("svc a/Dockerfile", SHELL_FORM), ("README.md", "# shop\n")]);
    let step = runner.run(&[
        ("INPUT_PATH", "svc a"),
        ("INPUT_FORMAT", "github"),
        ("INPUT_SARIF_FILE", "reports/lint results.sarif"),
    ]);
    assert_eq!(step.status(), Some(1), "{}", step.log());
    let commands = step.commands();
    assert!(
        commands.iter().any(|c| c.starts_with(
            "::error file=svc a/Dockerfile,line=2,col=1,endColumn=19,title=SL101 shell-pid1::CMD in shell form"
        )),
        "{}",
        step.log()
    );
    // The SARIF file was written although the lint failed, and says the same.
    let sarif_path = runner.workspace().join("reports/lint results.sarif");
    assert_eq!(
        step.outputs.get("sarif-file").map(PathBuf::from),
        Some(sarif_path.clone())
    );
    assert_eq!(step.outputs.get("exit-code").map(String::as_str), Some("1"));
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).expect("sarif written"))
            .expect("sarif is json");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{sarif}");
    assert_eq!(results[0]["ruleId"], "SL101");
    let location = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "svc%20a/Dockerfile");
    assert_eq!(location["region"]["startLine"], 2);
    assert_eq!(location["region"]["startColumn"], 1);
    // %SRCROOT% is the workspace: the script runs shutdownlint from the repository root.
    let root = sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .expect("root uri");
    assert!(root.ends_with("/workspace/"), "{root}");
}

#[test]
fn defaults_lint_the_whole_repository_with_annotations() {
    let runner = Runner::new(&[
        ("api/Dockerfile", SHELL_FORM),
        ("web/Dockerfile", NPM_START),
    ]);
    let step = runner.run(&[]);
    assert_eq!(step.status(), Some(1), "{}", step.log());
    let commands = step.commands();
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("::error file=api/Dockerfile,line=2,col=1")),
        "{}",
        step.log()
    );
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("::warning file=web/Dockerfile,line=2,")),
        "{}",
        step.log()
    );
    assert!(!runner.workspace().join("reports").exists());
    assert_eq!(step.outputs.get("sarif-file"), None);
}

#[test]
fn fail_on_decides_the_exit_status() {
    let runner = Runner::new(&[("Dockerfile", NPM_START)]);
    for (fail_on, expected) in [("", 1), ("info", 1), ("warning", 1), ("error", 0)] {
        let step = runner.run(&[
            ("INPUT_FAIL_ON", fail_on),
            ("INPUT_SARIF_FILE", "shutdownlint.sarif"),
        ]);
        assert_eq!(
            step.status(),
            Some(expected),
            "fail-on {fail_on:?}: {}",
            step.log()
        );
        assert_eq!(
            step.outputs.get("exit-code").map(String::as_str),
            Some(expected.to_string().as_str())
        );
        // The warning is annotated whether or not it fails the step, and SARIF has it.
        assert!(
            step.commands()
                .iter()
                .any(|c| c.starts_with("::warning file=Dockerfile,line=2,")),
            "{}",
            step.log()
        );
        let sarif =
            std::fs::read_to_string(runner.workspace().join("shutdownlint.sarif")).expect("sarif");
        assert!(sarif.contains("\"ruleId\": \"SL102\""), "{sarif}");
    }
    // The configuration's fail-on applies when the input is empty.
    write(
        &runner.workspace(),
        ".shutdownlint.toml",
        "fail-on = \"error\"\n",
    );
    assert_eq!(runner.run(&[]).status(), Some(0));
    assert_eq!(
        runner.run(&[("INPUT_FAIL_ON", "warning")]).status(),
        Some(1)
    );
    // A clean repository passes.
    let clean = Runner::new(&[("Dockerfile", CLEAN)]);
    let step = clean.run(&[("INPUT_FAIL_ON", "info")]);
    assert_eq!(step.status(), Some(0), "{}", step.log());
    assert!(step.commands().is_empty(), "{}", step.log());
}

#[test]
fn config_input_names_the_configuration_file() {
    let runner = Runner::new(&[
        ("Dockerfile", NPM_START),
        (
            "ci/lint config.toml",
            "ignore = [\"package-manager-pid1\"]\n",
        ),
    ]);
    let step = runner.run(&[("INPUT_CONFIG", "ci/lint config.toml")]);
    assert_eq!(step.status(), Some(0), "{}", step.log());
    let step = runner.run(&[("INPUT_CONFIG", "ci/missing.toml")]);
    assert_eq!(step.status(), Some(2), "{}", step.log());
    assert_eq!(step.outputs.get("exit-code").map(String::as_str), Some("2"));
    assert!(
        step.commands()
            .iter()
            .any(|c| c.starts_with("::error title=shutdownlint action::shutdownlint did not run")),
        "{}",
        step.log()
    );
}

#[test]
fn formats_other_than_github_cannot_issue_workflow_commands() {
    // A file whose name and content look like workflow commands.
    let runner = Runner::new(&[
        (
            "Dockerfile",
            "FROM node:22-slim\n::set-env name=PWNED::1\nCMD node server.js\n",
        ),
        ("Dockerfile.evil\n::warning::injected", SHELL_FORM),
    ]);
    for format in ["human", "json", "github"] {
        let step = runner.run(&[("INPUT_FORMAT", format)]);
        assert_eq!(step.status(), Some(1), "{format}: {}", step.log());
        for command in step.commands() {
            assert!(
                !command.contains("set-env") && !command.starts_with("::warning::injected"),
                "{format}: the repository issued a command: {command}\n{}",
                step.log()
            );
        }
        let blocks = step.untrusted_blocks().join("");
        match format {
            "github" => assert!(
                step.commands().iter().any(|c| c
                    .starts_with("::error file=Dockerfile.evil%0A%3A%3Awarning%3A%3Ainjected,")),
                "{}",
                step.log()
            ),
            "json" => {
                let json: serde_json::Value =
                    serde_json::from_str(&blocks).expect("one json document");
                assert!(!json["diagnostics"]
                    .as_array()
                    .expect("diagnostics")
                    .is_empty());
            }
            _ => assert!(blocks.contains("::set-env name=PWNED::1"), "{}", step.log()),
        }
    }
}

#[test]
fn sarif_format_with_a_sarif_file_runs_once() {
    let runner = Runner::new(&[("Dockerfile", SHELL_FORM)]);
    let step = runner.run(&[("INPUT_FORMAT", "sarif"), ("INPUT_SARIF_FILE", "out.sarif")]);
    assert_eq!(step.status(), Some(1), "{}", step.log());
    assert!(step.commands().is_empty(), "{}", step.log());
    let text = std::fs::read_to_string(runner.workspace().join("out.sarif")).expect("sarif");
    let sarif: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "SL101");
    // Without a file, SARIF goes to the log (with commands stopped).
    let step = runner.run(&[("INPUT_FORMAT", "sarif")]);
    assert_eq!(step.status(), Some(1), "{}", step.log());
    let blocks = step.untrusted_blocks();
    let sarif: serde_json::Value = serde_json::from_str(&blocks[0]).expect("json");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "SL101");
}

#[test]
fn inputs_are_never_executed() {
    let runner = Runner::new(&[("Dockerfile", SHELL_FORM)]);
    let marker = runner.path("pwned");
    let marker_text = marker.display().to_string();
    let payloads = [
        format!("$(touch {marker_text})"),
        format!("`touch {marker_text}`"),
        format!("\"; touch {marker_text}; echo \""),
        format!("'; touch {marker_text}; echo '"),
        "\"; rm -rf \"$HOME\" #".to_string(),
        format!("$(touch${{IFS}}{marker_text})"),
        format!("x\n::warning::injected\ntouch {marker_text}"),
    ];
    for payload in &payloads {
        for input in [
            "INPUT_PATH",
            "INPUT_CONFIG",
            "INPUT_FAIL_ON",
            "INPUT_FORMAT",
            "INPUT_DIFF_BASE",
        ] {
            let step = runner.run(&[(input, payload.as_str())]);
            assert_eq!(
                step.status(),
                Some(2),
                "{input}={payload:?}: {}",
                step.log()
            );
            assert!(!marker.exists(), "{input}={payload:?} was executed");
            for command in step.commands() {
                assert!(
                    command.starts_with("::error title=shutdownlint action::"),
                    "{input}={payload:?}: unexpected command {command}"
                );
            }
        }
        // A SARIF file name is used as it is: the file gets that literal name.
        let name = format!("out/{}.sarif", payload.replace('/', "_"));
        let step = runner.run(&[("INPUT_SARIF_FILE", name.as_str())]);
        assert_eq!(
            step.status(),
            Some(1),
            "sarif-file={payload:?}: {}",
            step.log()
        );
        assert!(runner.workspace().join(&name).is_file(), "{name:?}");
        for command in step.commands() {
            assert!(
                command.starts_with("::error file=Dockerfile,"),
                "sarif-file={payload:?}: unexpected command {command}"
            );
        }
        assert!(!marker.exists(), "sarif-file={payload:?} was executed");
        assert!(runner.path("home").is_dir());
    }
    // The script evaluates nothing.
    let text = std::fs::read_to_string(script()).expect("script");
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let words: Vec<&str> = line
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .collect();
        assert!(!words.contains(&"eval"), "scripts/action.sh: {line}");
    }
}

#[test]
fn invalid_inputs_are_reported_as_errors() {
    let runner = Runner::new(&[("Dockerfile", SHELL_FORM)]);
    for (input, value, says) in [
        ("INPUT_FORMAT", "yaml", "format: `yaml` is not one of"),
        ("INPUT_FAIL_ON", "never", "fail-on: `never` is not one of"),
        ("INPUT_DIFF_BASE", "--upload-pack=touch", "starts with '-'"),
        ("INPUT_PATH", "no/such/dir", "shutdownlint did not run"),
    ] {
        let step = runner.run(&[(input, value)]);
        assert_eq!(step.status(), Some(2), "{input}={value}: {}", step.log());
        assert_eq!(
            step.outputs.get("exit-code").map(String::as_str),
            Some("2"),
            "{input}={value}"
        );
        assert!(
            step.commands().iter().any(|c| c.contains(says)),
            "{input}={value}: {}",
            step.log()
        );
    }
    let step = runner.run(&[("SHUTDOWNLINT_BIN", "/nonexistent/shutdownlint")]);
    assert_eq!(step.status(), Some(2), "{}", step.log());
}

#[test]
fn several_paths_one_a_line() {
    let runner = Runner::new(&[
        ("a b/Dockerfile", SHELL_FORM),
        ("c/Dockerfile", NPM_START),
        ("d/Dockerfile", SHELL_FORM),
        ("-e/Dockerfile", SHELL_FORM),
    ]);
    let step = runner.run(&[("INPUT_PATH", "a b\r\nc\n\n-e\n")]);
    assert_eq!(step.status(), Some(1), "{}", step.log());
    let files: BTreeSet<String> = step
        .commands()
        .iter()
        .filter_map(|c| {
            let rest = c.split_once(" file=")?.1;
            Some(rest.split_once(',')?.0.to_string())
        })
        .collect();
    assert_eq!(
        files,
        BTreeSet::from([
            "a b/Dockerfile".to_string(),
            "c/Dockerfile".to_string(),
            "-e/Dockerfile".to_string()
        ])
    );
}

/// Runs action.sh with a SHUTDOWNLINT_BIN that records its arguments and whether it saw
/// GITHUB_BASE_REF before running the real binary.
struct Recorder {
    wrapper: PathBuf,
    record: PathBuf,
}

impl Recorder {
    fn new(runner: &Runner) -> Recorder {
        let wrapper = runner.path("record-shutdownlint");
        let record = runner.path("record");
        std::fs::write(
            &wrapper,
            format!(
                "#!/usr/bin/env bash\n{{ printf '%s\\n' \"${{GITHUB_BASE_REF-<unset>}}\"; printf '%s\\n' \"$@\"; printf '<end>\\n'; }} >> '{}'\nexec '{}' \"$@\"\n",
                record.display(),
                BIN
            ),
        )
        .expect("wrapper");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
        }
        Recorder { wrapper, record }
    }

    /// Each call of the binary since the last `take`: GITHUB_BASE_REF, then the arguments.
    fn take(&self) -> Vec<Vec<String>> {
        let text = std::fs::read_to_string(&self.record).unwrap_or_default();
        let _ = std::fs::remove_file(&self.record);
        text.split("<end>\n")
            .filter(|call| !call.is_empty())
            .map(|call| call.lines().map(str::to_string).collect())
            .collect()
    }
}

#[test]
fn diff_base_becomes_the_diff_revision() {
    // origin has main; the workspace is a clone on a feature branch with one more commit.
    let origin_runner = Runner::new(&[("Dockerfile", CLEAN)]);
    let origin = origin_runner.workspace();
    let runner = Runner::new(&[]);
    let workspace = runner.workspace();
    std::fs::remove_dir_all(&workspace).expect("rm");
    git(
        runner.root.path(),
        &["clone", "-q", &origin.display().to_string(), "workspace"],
    );
    // Like actions/checkout: no local branch but the one checked out.
    git(&workspace, &["checkout", "-q", "-b", "feature"]);
    git(&workspace, &["branch", "-q", "-D", "main"]);
    write(&workspace, "Dockerfile", SHELL_FORM);
    // A migration shipped with the code that uses it: SL602 in change mode.
    write(
        &workspace,
        "db/migrate/20260101000000_add_nickname_to_users.rb",
        "class AddNicknameToUsers < ActiveRecord::Migration[7.1]\n  def change\n    add_column :users, :nickname, :string\n  end\nend\n",
    );
    write(
        &workspace,
        "app/models/user.rb",
        "class User < ApplicationRecord\n  validates :nickname, length: { maximum: 30 }\nend\n",
    );
    git(&workspace, &["add", "-A"]);
    git(&workspace, &["commit", "-q", "-m", "shell form, nickname"]);
    let main_sha = git(&workspace, &["rev-parse", "origin/main"]);
    let recorder = Recorder::new(&runner);
    let wrapper = recorder.wrapper.display().to_string();
    let with_diff = cli_has_diff();
    let run = |inputs: &[(&str, &str)]| {
        let mut env = vec![("SHUTDOWNLINT_BIN", wrapper.as_str())];
        env.extend_from_slice(inputs);
        let step = runner.run(&env);
        (step, recorder.take())
    };
    let expect_status = |step: &Step| {
        if with_diff {
            assert_eq!(step.status(), Some(1), "{}", step.log());
        } else {
            eprintln!("note: this shutdownlint has no --diff yet: the action's arguments are checked, its result is not");
        }
    };

    // The pull request's base branch: origin/main, which the clone has.
    let (step, calls) = run(&[("INPUT_DIFF_BASE", "main"), ("GITHUB_BASE_REF", "main")]);
    expect_status(&step);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        calls[0][0], "<unset>",
        "the CLI never reads GITHUB_BASE_REF itself"
    );
    assert!(
        calls[0].contains(&"--diff=origin/main".to_string()),
        "{calls:?}"
    );
    assert!(step.stdout().contains("change mode: --diff origin/main"));
    if with_diff && cli_knows_rule("SL602") {
        assert!(
            step.commands().iter().any(|c| c.starts_with(
                "::warning file=db/migrate/20260101000000_add_nickname_to_users.rb,line=1,"
            ) && c.contains("title=SL602 migration-with-code")),
            "{}",
            step.log()
        );
    }

    // A checkout without the base branch (actions/checkout fetches one commit): fetched.
    git(
        &workspace,
        &["update-ref", "-d", "refs/remotes/origin/main"],
    );
    let (step, calls) = run(&[("INPUT_DIFF_BASE", "main")]);
    expect_status(&step);
    assert!(
        calls[0].contains(&"--diff=origin/main".to_string()),
        "{calls:?}"
    );
    assert_eq!(git(&workspace, &["rev-parse", "origin/main"]), main_sha);

    // A commit is used as it is, and so is a remote-tracking name.
    for base in [main_sha.as_str(), "origin/main", "HEAD~1"] {
        let (step, calls) = run(&[("INPUT_DIFF_BASE", base)]);
        expect_status(&step);
        assert!(
            calls[0].contains(&format!("--diff={base}")),
            "{base}: {calls:?}"
        );
    }

    // Empty: no change mode, even on a pull request run.
    let (step, calls) = run(&[("INPUT_DIFF_BASE", ""), ("GITHUB_BASE_REF", "main")]);
    assert_eq!(step.status(), Some(1), "{}", step.log());
    assert_eq!(calls[0][0], "<unset>");
    assert!(
        !calls[0].iter().any(|a| a.starts_with("--diff")),
        "{calls:?}"
    );
    assert!(
        !step.commands().iter().any(|c| c.contains("SL602")),
        "{}",
        step.log()
    );

    // SARIF and annotations: two runs with the same arguments but the format.
    let (step, calls) = run(&[
        ("INPUT_SARIF_FILE", "x.sarif"),
        ("INPUT_CONFIG", "none.toml"),
    ]);
    assert_eq!(step.status(), Some(2), "{}", step.log());
    assert_eq!(
        calls.len(),
        1,
        "a run that fails to start is not repeated: {calls:?}"
    );
    write(&workspace, "lint.toml", "fail-on = \"error\"\n");
    let (step, calls) = run(&[
        ("INPUT_SARIF_FILE", "x.sarif"),
        ("INPUT_CONFIG", "lint.toml"),
    ]);
    assert_eq!(step.status(), Some(1), "{}", step.log());
    assert_eq!(calls.len(), 2, "{calls:?}");
    let without_format = |call: &Vec<String>| -> Vec<String> {
        call.iter()
            .filter(|a| !a.starts_with("--format="))
            .cloned()
            .collect()
    };
    assert_eq!(without_format(&calls[0]), without_format(&calls[1]));
    assert!(calls[0].contains(&"--format=sarif".to_string()));
    assert!(calls[1].contains(&"--format=github".to_string()));
    assert!(calls[0].contains(&"--config=lint.toml".to_string()));

    // Neither a branch of origin nor a commit.
    let (step, calls) = run(&[("INPUT_DIFF_BASE", "no-such-branch")]);
    assert_eq!(step.status(), Some(2), "{}", step.log());
    assert!(calls.is_empty());
    assert!(
        step.commands().iter().any(|c| c
            .contains("diff-base: `no-such-branch` is neither a branch of origin nor a commit")),
        "{}",
        step.log()
    );
}

#[test]
fn install_uses_the_given_binary() {
    let runner = Runner::new(&[]);
    let step = runner.step("install", &[("INPUT_BINARY", BIN)]);
    assert_eq!(step.status(), Some(0), "{}", step.log());
    assert_eq!(step.outputs.get("binary").map(String::as_str), Some(BIN));
    assert!(
        step.stdout()
            .contains(&format!("shutdownlint {}", env!("CARGO_PKG_VERSION"))),
        "{}",
        step.log()
    );
    // A bare name is looked up on PATH.
    let bin_dir = Path::new(BIN).parent().expect("bin dir");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let step = runner.step(
        "install",
        &[("INPUT_BINARY", "shutdownlint"), ("PATH", path.as_str())],
    );
    assert_eq!(step.status(), Some(0), "{}", step.log());
    assert_eq!(step.outputs.get("binary").map(String::as_str), Some(BIN));
    for missing in ["/nonexistent/shutdownlint", "no-such-shutdownlint"] {
        let step = runner.step("install", &[("INPUT_BINARY", missing)]);
        assert_eq!(step.status(), Some(2), "{}", step.log());
        assert!(step.commands()[0].starts_with("::error title=shutdownlint action::binary: "));
    }
}

#[test]
fn install_without_cargo_says_what_to_do() {
    let runner = Runner::new(&[]);
    // Only the system folders: no cargo there on a machine with rustup.
    if Path::new("/usr/bin/cargo").exists() || Path::new("/bin/cargo").exists() {
        eprintln!("note: cargo is in /usr/bin: the missing-cargo message is not checked");
        return;
    }
    let step = runner.step("install", &[("PATH", "/usr/bin:/bin")]);
    assert_eq!(step.status(), Some(2), "{}", step.log());
    assert!(
        step.commands()
            .iter()
            .any(|c| c.contains("cargo not found: install a Rust toolchain")),
        "{}",
        step.log()
    );
}

/// A copy of the files the cache key covers, to change them.
fn fake_action(dir: &Path) {
    for (name, content) in [
        ("Cargo.toml", "[package]\nname = \"x\"\n"),
        ("Cargo.lock", "version = 4\n"),
        ("src/main.rs", "fn main() {}\n"),
        ("rules/SL101-shell-pid1.md", "page\n"),
        ("README.md", "not part of the build\n"),
    ] {
        write(dir, name, content);
    }
}

#[test]
fn prepare_keys_the_cache_on_lock_file_and_source() {
    let runner = Runner::new(&[]);
    let action = runner.path("action with space");
    fake_action(&action);
    let action_path = action.display().to_string();
    let prepare = || {
        let step = runner.step("prepare", &[("GITHUB_ACTION_PATH", action_path.as_str())]);
        assert_eq!(step.status(), Some(0), "{}", step.log());
        (
            step.outputs["cache-key"].clone(),
            step.outputs["restore-key"].clone(),
            step.outputs["cache-paths"].clone(),
        )
    };
    let (key, restore, paths) = prepare();
    assert!(
        key.starts_with("shutdownlint-action-v1-Linux-X64-"),
        "{key}"
    );
    assert!(
        key.starts_with(&restore) && key.len() > restore.len(),
        "{key} {restore}"
    );
    let home = runner.path("home");
    assert_eq!(
        paths.lines().map(PathBuf::from).collect::<Vec<_>>(),
        vec![
            home.join(".cargo/registry/index"),
            home.join(".cargo/registry/cache"),
            home.join(".cache/shutdownlint-action"),
        ]
    );
    // Not part of the build: same key.
    write(&action, "README.md", "changed\n");
    assert_eq!(prepare().0, key);
    // A source file: another key, the same restore prefix (dependencies are reused).
    write(&action, "src/main.rs", "fn main() { println!(); }\n");
    let (source_key, source_restore, _) = prepare();
    assert_ne!(source_key, key);
    assert_eq!(source_restore, restore);
    // A rule page (embedded in the binary): another key.
    write(&action, "rules/SL101-shell-pid1.md", "page 2\n");
    assert_ne!(prepare().0, source_key);
    // The lock file: another prefix.
    write(&action, "Cargo.lock", "version = 4\n# changed\n");
    assert_ne!(prepare().1, restore);
    // The real checkout works too.
    let step = runner.step("prepare", &[]);
    assert_eq!(step.status(), Some(0), "{}", step.log());
    assert!(step.outputs["cache-key"].starts_with("shutdownlint-action-v1-Linux-X64-"));
}

/// Builds shutdownlint from this checkout the way the action does on a runner with an empty
/// cache, then again as with a restored cache (no cargo run at all). Slow (a release build): run by .ci/run with
/// `cargo test --test integrations -- --ignored`. SHUTDOWNLINT_ACTION_HOME (default
/// target/integration/action-home) keeps the build between runs.
#[test]
#[ignore = "release build of shutdownlint (minutes); .ci/run runs it"]
fn install_builds_from_source_once() {
    let runner = Runner::new(&[("Dockerfile", SHELL_FORM)]);
    let home = std::env::var_os("SHUTDOWNLINT_ACTION_HOME").map_or_else(
        || common::manifest_dir().join("target/integration/action-home"),
        PathBuf::from,
    );
    let home_text = home.display().to_string();
    // A copy of the crate as the action's checkout: this working tree may change during the
    // build (other work in progress), and the test wants one source for both installs.
    let action = home
        .parent()
        .expect("target/integration")
        .join("action-src");
    copy_crate(&common::manifest_dir(), &action);
    let action_text = action.display().to_string();
    let cargo_path = std::env::var("PATH").unwrap_or_default();
    // The same quick release profile as tests/precommit.rs (see there): the install logic is
    // under test, not the optimiser.
    // The real home: rustup and cargo find their toolchain and registry there, as on a runner.
    let user_home = std::env::var("HOME").unwrap_or_default();
    let mut env = vec![
        ("SHUTDOWNLINT_ACTION_HOME", home_text.as_str()),
        ("PATH", cargo_path.as_str()),
        ("HOME", user_home.as_str()),
        ("GITHUB_ACTION_PATH", action_text.as_str()),
    ];
    env.extend_from_slice(QUICK_RELEASE_PROFILE);
    let started = std::time::Instant::now();
    let first = runner.step("install", &env);
    let first_time = started.elapsed();
    assert_eq!(first.status(), Some(0), "{}", first.log());
    let built = home.join("bin/shutdownlint");
    assert_eq!(
        first.outputs.get("binary").map(PathBuf::from),
        Some(built.clone())
    );
    assert_eq!(
        first.path_file.trim_end(),
        home.join("bin").display().to_string()
    );
    let started = std::time::Instant::now();
    let second = runner.step("install", &env);
    let second_time = started.elapsed();
    assert_eq!(second.status(), Some(0), "{}", second.log());
    assert!(
        second.stdout().contains("already built from this source"),
        "{}",
        second.log()
    );
    eprintln!(
        "action install: first {:.1}s, with the build cached {:.1}s",
        first_time.as_secs_f64(),
        second_time.as_secs_f64()
    );
    let built_text = built.display().to_string();
    let step = runner.run(&[("SHUTDOWNLINT_BIN", built_text.as_str())]);
    assert_eq!(step.status(), Some(1), "{}", step.log());
    assert!(step
        .commands()
        .iter()
        .any(|c| c.starts_with("::error file=Dockerfile,line=2,col=1")));
}

/// Copy what `cargo install --path` reads (manifest, lock file, sources, rule pages, the bench
/// target the manifest declares) from `from` to a fresh `to`.
fn copy_crate(from: &Path, to: &Path) {
    if to.exists() {
        std::fs::remove_dir_all(to).expect("remove the old copy");
    }
    for name in ["Cargo.toml", "Cargo.lock", "README.md"] {
        write(
            to,
            name,
            &std::fs::read_to_string(from.join(name)).expect("read"),
        );
    }
    for dir in ["src", "rules", "benches"] {
        for name in files_under(&from.join(dir)) {
            let target = to.join(dir).join(&name);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::copy(from.join(dir).join(&name), target).expect("copy");
        }
    }
}

// --- action.yml ------------------------------------------------------------------------------

fn parse_yaml(name: &str) -> (String, Node) {
    let text = std::fs::read_to_string(common::manifest_dir().join(name)).expect("read");
    let mut documents = yaml::parse_stream(&text, &yaml::Limits::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(documents.len(), 1, "{name}: one document");
    let root = documents.remove(0).root;
    (text, root)
}

fn string<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.get(key).and_then(Node::as_str)
}

/// The `${{ … }}` expressions in a text.
fn expressions(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else { break };
        found.push(after[..end].trim().to_string());
        rest = &after[end + 2..];
    }
    found
}

#[test]
fn action_yml_is_well_formed() {
    let (_, action) = parse_yaml("action.yml");
    let script_text = std::fs::read_to_string(script()).expect("script");
    assert!(string(&action, "name").is_some());
    assert!(string(&action, "description").is_some());
    let runs = action.get("runs").expect("runs");
    assert_eq!(string(runs, "using"), Some("composite"));

    let inputs: BTreeMap<String, &Node> = action
        .get("inputs")
        .expect("inputs")
        .entries()
        .map(|e| (e.key.as_str().expect("name").to_string(), &e.value))
        .collect();
    assert_eq!(
        inputs.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "binary",
            "config",
            "diff-base",
            "fail-on",
            "format",
            "path",
            "sarif-file"
        ]
    );
    for (name, input) in &inputs {
        assert!(
            string(input, "description").is_some_and(|d| !d.is_empty()),
            "{name}"
        );
        assert_eq!(
            input.get("required").and_then(Node::as_bool),
            Some(false),
            "{name}"
        );
        assert!(string(input, "default").is_some(), "{name}: a default");
    }
    assert_eq!(string(inputs["format"], "default"), Some("github"));
    assert_eq!(string(inputs["path"], "default"), Some("."));
    assert_eq!(
        string(inputs["diff-base"], "default"),
        Some("${{ github.base_ref }}")
    );

    let steps: Vec<&Node> = runs.get("steps").expect("steps").items().collect();
    let step_ids: BTreeSet<&str> = steps.iter().filter_map(|s| string(s, "id")).collect();
    let mut used_inputs = BTreeSet::new();
    for step in &steps {
        let name = string(step, "name").expect("every step has a name");
        let mut texts = Vec::new();
        if let Some(run) = string(step, "run") {
            // Script injection: nothing is interpolated into a script, not even an output.
            assert!(!run.contains("${{"), "{name}: `run:` interpolates: {run}");
            assert_eq!(string(step, "shell"), Some("bash"), "{name}");
            let subcommand = run
                .strip_prefix("bash \"$GITHUB_ACTION_PATH/scripts/action.sh\" ")
                .unwrap_or_else(|| panic!("{name}: runs the script: {run}"));
            assert!(
                script_text.contains(&format!("    {subcommand}) {subcommand} ;;")),
                "{name}: the script has `{subcommand}`"
            );
            for entry in step.entries().filter(|e| e.key.as_str() == Some("env")) {
                for var in entry.value.entries() {
                    let var_name = var.key.as_str().expect("env name");
                    assert!(
                        script_text.contains(&format!("${{{var_name}")),
                        "{name}: the script never reads {var_name}"
                    );
                    texts.push(var.value.as_str().expect("env value").to_string());
                }
            }
        } else {
            let uses = string(step, "uses").expect("run or uses");
            assert!(uses.starts_with("actions/cache@v"), "{uses}");
            for entry in step.get("with").expect("with").entries() {
                texts.push(entry.value.as_str().expect("with value").to_string());
            }
        }
        if let Some(condition) = string(step, "if") {
            texts.push(format!("${{{{ {condition} }}}}"));
        }
        for text in &texts {
            for expression in expressions(text) {
                for word in expression.split(|c: char| c.is_whitespace() || c == '=' || c == '\'') {
                    if let Some(input) = word.strip_prefix("inputs.") {
                        assert!(inputs.contains_key(input), "{name}: no input {input}");
                        used_inputs.insert(input.to_string());
                    }
                    if let Some(rest) = word.strip_prefix("steps.") {
                        let (id, output) =
                            rest.split_once(".outputs.").expect("steps.ID.outputs.NAME");
                        assert!(step_ids.contains(id), "{name}: no step {id}");
                        assert!(
                            script_text.contains(&format!("set_output {output} ")),
                            "{name}: the script never sets {output}"
                        );
                    }
                }
            }
        }
    }
    assert_eq!(
        used_inputs,
        inputs.keys().cloned().collect::<BTreeSet<_>>(),
        "every input reaches a step"
    );
    for output in action.get("outputs").expect("outputs").entries() {
        let value = string(&output.value, "value").expect("value");
        let expression = expressions(value);
        let (id, name) = expression[0]
            .strip_prefix("steps.")
            .and_then(|r| r.split_once(".outputs."))
            .expect("a step output");
        assert!(step_ids.contains(id));
        assert!(
            script_text.contains(&format!("set_output {name} ")),
            "{name}"
        );
    }
}

// --- .pre-commit-hooks.yaml ------------------------------------------------------------------

/// Names that must reach the hook; each is one shutdownlint reads.
const HOOK_FILES: &[&str] = &[
    "Dockerfile",
    "services/api/Dockerfile",
    "Dockerfile.prod",
    "docker/app.Dockerfile",
    "Containerfile",
    "build/Containerfile.dev",
    "k8s/deployment.yaml",
    "k8s/service.yml",
    "compose.yaml",
    "docker-compose.prod.yml",
    "deploy/app.service",
    "deploy/app.service.d/override.conf",
    "nginx.conf",
    "etc/nginx/conf.d/app.conf",
    "etc/nginx/sites-enabled/default",
    "nginx/shop.vhost",
    "nginx/mime.types",
    "deploy/proxy_params",
    "nginx/templates/default.conf.template",
    "deploy/templates/shop.template",
    "Procfile",
    "Procfile.dev",
    "fly.toml",
    "apps/web/fly.toml",
];

/// Names the hook must not be bothered with.
const NOT_HOOK_FILES: &[&str] = &[
    "README.md",
    "src/main.rs",
    "package.json",
    ".dockerignore",
    "Cargo.toml",
    "docs/deploy.md",
    "scripts/entrypoint.sh",
    "templates/values.yaml.template",
    "templates/index.html.template",
];

/// Which of `names` each hook's `files` pattern matches, by pre-commit's rule (Python's
/// `re.search` on the path relative to the repository root). `None` without python3.
fn hook_matches(names: &[String]) -> Option<BTreeMap<String, BTreeSet<String>>> {
    let program = r#"
import json, re, sys
import yaml
hooks = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
names = json.load(sys.stdin)
print(json.dumps({h["id"]: [n for n in names if re.search(h["files"], n)] for h in hooks}))
"#;
    let available = Command::new("python3")
        .args(["-c", "import yaml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        return None;
    }
    let mut child = Command::new("python3")
        .args(["-c", program])
        .arg(common::manifest_dir().join(".pre-commit-hooks.yaml"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(serde_json::to_string(names).expect("json").as_bytes())
            .expect("write");
    }
    let output = child.wait_with_output().expect("python3");
    assert!(output.status.success());
    let matches: BTreeMap<String, Vec<String>> =
        serde_json::from_slice(&output.stdout).expect("json");
    Some(
        matches
            .into_iter()
            .map(|(id, names)| (id, names.into_iter().collect()))
            .collect(),
    )
}

/// Every file under `dir`, relative to it, with `/` separators.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(relative) = path.strip_prefix(dir) {
                found.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    found
}

#[test]
fn pre_commit_hooks_are_well_formed() {
    let (_, hooks) = parse_yaml(".pre-commit-hooks.yaml");
    let hooks: Vec<&Node> = hooks.items().collect();
    let ids: Vec<&str> = hooks.iter().filter_map(|h| string(h, "id")).collect();
    assert_eq!(ids, ["shutdownlint", "shutdownlint-repo"]);
    for hook in &hooks {
        assert_eq!(string(hook, "entry"), Some("shutdownlint"));
        assert_eq!(string(hook, "language"), Some("rust"));
        assert_eq!(
            hook.get("require_serial").and_then(Node::as_bool),
            Some(true)
        );
        assert!(string(hook, "files").is_some_and(|f| f.starts_with("(?x)")));
        assert!(string(hook, "name").is_some() && string(hook, "description").is_some());
    }
    assert_eq!(
        hooks[0].get("pass_filenames").and_then(Node::as_bool),
        Some(true)
    );
    assert_eq!(
        hooks[1].get("pass_filenames").and_then(Node::as_bool),
        Some(false)
    );
}

#[test]
fn pre_commit_hook_files_match_what_shutdownlint_reads() {
    // Every file of the examples, fixtures and corpus that shutdownlint recognises by name
    // must reach the hook.
    let mut recognised: Vec<String> = HOOK_FILES.iter().map(|s| s.to_string()).collect();
    for dir in ["examples", "testdata", "../shared/corpus"] {
        let root = common::manifest_dir().join(dir);
        recognised.extend(
            files_under(&root)
                .into_iter()
                .filter(|name| shutdownlint::discover::classify_name(Path::new(name)).is_some()),
        );
    }
    for name in HOOK_FILES {
        assert!(
            shutdownlint::discover::classify_name(Path::new(name)).is_some(),
            "{name} is a file shutdownlint reads"
        );
    }
    for name in NOT_HOOK_FILES {
        assert!(
            shutdownlint::discover::classify_name(Path::new(name)).is_none(),
            "{name} is not a file shutdownlint reads"
        );
    }
    let mut names = recognised.clone();
    names.extend(NOT_HOOK_FILES.iter().map(|s| s.to_string()));
    names.push(".shutdownlint.toml".to_string());
    let Some(matches) = hook_matches(&names) else {
        eprintln!("note: python3 with PyYAML (a pre-commit dependency) is not available: the hooks' files patterns are not checked");
        return;
    };
    for id in ["shutdownlint", "shutdownlint-repo"] {
        let matched = &matches[id];
        let missed: Vec<&String> = recognised
            .iter()
            .filter(|n| !matched.contains(*n))
            .collect();
        assert!(
            missed.is_empty(),
            "{id} misses {} files: {missed:?}",
            missed.len()
        );
    }
    for name in NOT_HOOK_FILES {
        assert!(
            !matches["shutdownlint"].contains(*name),
            "shutdownlint matches {name}"
        );
    }
    // The repository hook also runs when the configuration or an entrypoint script changes.
    for name in [".shutdownlint.toml", "scripts/entrypoint.sh"] {
        assert!(matches["shutdownlint-repo"].contains(name), "{name}");
    }
    if common::manifest_dir().join("../shared/corpus").is_dir() {
        assert!(
            recognised.len() > 1000,
            "the corpus was walked: {}",
            recognised.len()
        );
    }
}
