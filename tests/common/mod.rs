//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fmt::Write;
use std::path::{Path, PathBuf};

use shutdownlint::config::{Config, Selection};
use shutdownlint::output::Positions;
use shutdownlint::{Report, Settings};

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Lint `path` with every rule at default settings.
pub fn lint(path: &Path) -> Report {
    let settings = Settings::new(Config::default(), Selection::all());
    shutdownlint::lint_paths(&[path.to_path_buf()], &settings).expect("lint runs")
}

/// A compact, reviewable rendering: position, rule, message, labels, help and the source line
/// with the primary span underlined. Paths are shown relative to `root`.
pub fn render_concise(report: &Report, root: &Path, only: &[&str]) -> String {
    let positions = Positions::new(&report.files, &report.diagnostics);
    let root = format!("{}/", root.display());
    let show = |path: &str| path.strip_prefix(&root).unwrap_or(path).to_string();
    let mut out = String::new();
    for d in report.diagnostics.iter().filter(|d| only.contains(&d.code)) {
        let (start, end) = positions.range(&d.location);
        let path = show(report.files.path(d.location.file));
        let _ = writeln!(
            out,
            "{path}:{}:{}-{}:{} {} {}: {}",
            start.line, start.column, end.line, end.column, d.code, d.severity, d.message
        );
        let text = report.files.text(d.location.file);
        let line_text = text.lines().nth(start.line - 1).unwrap_or("");
        let _ = writeln!(out, "  | {}", line_text.trim_end_matches('\r'));
        let width = if end.line == start.line {
            end.column.saturating_sub(start.column).max(1)
        } else {
            line_text
                .chars()
                .count()
                .saturating_sub(start.column - 1)
                .max(1)
        };
        let _ = writeln!(
            out,
            "  | {}{}{}",
            " ".repeat(start.column - 1),
            "^".repeat(width),
            d.primary_label
                .as_deref()
                .map(|l| format!(" {l}"))
                .unwrap_or_default()
        );
        for label in &d.labels {
            let (ls, _) = positions.range(&label.location);
            let _ = writeln!(
                out,
                "  = {}:{}:{}: {}",
                show(report.files.path(label.location.file)),
                ls.line,
                ls.column,
                label.message
            );
        }
        if let Some(help) = &d.help {
            let _ = writeln!(out, "  help: {help}");
        }
    }
    out
}

/// Run git in `dir` with a fixed identity and no user or system configuration.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "protocol.file.allow=always",
        ])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", "2025-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2025-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Copy the files under `from` into `to` (creating folders).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read fixture dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture");
        }
    }
}

/// A git repository whose `main` branch holds `base` (or only a README) and whose `feature`
/// branch, checked out, holds exactly `head`: the change `main...feature` adds, modifies and
/// deletes whatever differs.
pub fn change_repo(base: Option<&Path>, head: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    git(root, &["init", "-q"]);
    std::fs::write(root.join("README.md"), "# app\n").expect("write");
    if let Some(base) = base {
        copy_tree(base, root);
    }
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    git(root, &["checkout", "-q", "-b", "feature"]);
    for entry in std::fs::read_dir(root).expect("read repo").flatten() {
        if entry.file_name() == ".git" || entry.file_name() == "README.md" {
            continue;
        }
        if entry.path().is_dir() {
            std::fs::remove_dir_all(entry.path()).expect("rm");
        } else {
            std::fs::remove_file(entry.path()).expect("rm");
        }
    }
    copy_tree(head, root);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "--allow-empty", "-m", "change"]);
    dir
}

/// Lint `root` in change mode against `base`.
pub fn lint_change(root: &Path, base: &str) -> Report {
    let mut settings = Settings::new(Config::default(), Selection::all());
    let set = shutdownlint::change::load(&[root.to_path_buf()], base, &settings.config, 1 << 20)
        .unwrap_or_else(|e| panic!("change mode: {e}"));
    settings.change = Some(set);
    shutdownlint::lint_paths(&[root.to_path_buf()], &settings).expect("lint runs")
}

/// Lint a fixture case: a change-mode case is a folder with `head/` (and optionally `base/`).
pub fn lint_case(case: &Path) -> (Report, Option<tempfile::TempDir>) {
    let head = case.join("head");
    if case.is_dir() && head.is_dir() {
        let base = case.join("base");
        let repo = change_repo(base.is_dir().then_some(base.as_path()), &head);
        let report = lint_change(repo.path(), "main");
        (report, Some(repo))
    } else {
        (lint(case), None)
    }
}

/// Run `command` (stdin closed, stdout and stderr read on threads so neither pipe fills), and
/// fail the test if it has not finished within `limit`: a run that hangs fails instead of
/// hanging the suite. The output, and how long the run took.
pub fn output_within(
    command: &mut std::process::Command,
    limit: std::time::Duration,
) -> (std::process::Output, std::time::Duration) {
    let shown = format!("{command:?}");
    output_within_fed(command, None, limit)
        .unwrap_or_else(|| panic!("{shown} still running after {limit:?}: it hangs"))
}

/// [`output_within`], with `stdin` written to the command on a thread when given (the binary may
/// stop reading early, over the size cap: a broken pipe is fine); `None` when the run was killed
/// at `limit`, for the caller to say which run hung.
pub fn output_within_fed(
    command: &mut std::process::Command,
    stdin: Option<&[u8]>,
    limit: std::time::Duration,
) -> Option<(std::process::Output, std::time::Duration)> {
    use std::io::Write;
    use std::process::Stdio;
    let started = std::time::Instant::now();
    let mut child = command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn shutdownlint");
    let writer = stdin.zip(child.stdin.take()).map(|(bytes, mut pipe)| {
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    let stdout = read_all(child.stdout.take());
    let stderr = read_all(child.stderr.take());
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for shutdownlint") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let took = started.elapsed();
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    let output = std::process::Output {
        status,
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    };
    Some((output, took))
}

/// [`output_within`], and the run's peak resident set size in KiB: for tests that bound memory.
///
/// The peak is the child's `VmHWM` (the high-water mark of its own address space since `exec`),
/// read from `/proc` every few milliseconds while it runs. Not `ru_maxrss` from `wait4`: Linux
/// sets a child's `ru_maxrss` at `exec` from the address space it leaves, which after a
/// `vfork`-style spawn is this test process's, so a test process holding a gigabyte of
/// generated input (other tests run in it at the same time) made a 20 MB run read as 1.1 GB.
#[cfg(target_os = "linux")]
// The child is reaped by `wait4`, which `Child` does not know about.
#[allow(clippy::zombie_processes)]
pub fn output_and_peak_kib(
    command: &mut std::process::Command,
    limit: std::time::Duration,
) -> (std::process::Output, u64) {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let shown = format!("{command:?}");
    let started = std::time::Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn shutdownlint");
    let stdout = read_all(child.stdout.take());
    let stderr = read_all(child.stderr.take());
    let pid = child.id() as libc::pid_t;
    let status_file = format!("/proc/{pid}/status");
    // Read before the child has exec'd, the mark would be this process's: only a reading of
    // the binary itself counts (its `Name:` is the binary's).
    let high_water = || -> Option<u64> {
        let text = std::fs::read_to_string(&status_file).ok()?;
        let name = text.lines().find_map(|l| l.strip_prefix("Name:"))?.trim();
        if !"shutdownlint".starts_with(name) {
            return None;
        }
        let line = text.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
        line.trim().trim_end_matches("kB").trim().parse().ok()
    };
    // A peak reached in the last couple of milliseconds before the child exits can be missed;
    // the blow-ups these tests look for take far longer than that to build.
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = high_water() {
            peak = peak.max(kib);
        }
        let mut status = 0;
        // SAFETY: `pid` is this test's own child, not yet waited for; the pointer is valid.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            break status;
        }
        assert!(done == 0, "{shown}: waitpid failed");
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{shown} still running after {limit:?}: it hangs");
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let output = std::process::Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
    };
    (output, peak)
}

/// Read a child's pipe to its end on a thread (so the child never waits on a full pipe).
fn read_all(pipe: Option<impl std::io::Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}
