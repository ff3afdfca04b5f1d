//! Discovery on hostile trees, through the real binary: symlink loops, links that point out of
//! the tree or at devices, FIFOs and sockets, unreadable files and directories, a 100 MB file,
//! and the configurable size cap. Every run has a deadline of 5 s, so a run that blocks (on a
//! FIFO) or loops fails instead of hanging the suite. Last, the output is the same whatever the
//! number of threads.
#![cfg(unix)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(5);

/// A Dockerfile with one SL101 finding.
const SHELL_FORM: &str = "FROM node:22-slim\nCMD node server.js\n";

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// `(file, rule)` of every diagnostic of a `--format json` run.
    fn findings(&self) -> Vec<(String, String)> {
        let json: serde_json::Value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr));
        json["diagnostics"]
            .as_array()
            .expect("diagnostics array")
            .iter()
            .map(|d| {
                (
                    d["file"].as_str().unwrap_or("").to_string(),
                    d["rule"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }
}

/// Run the binary in `dir`, killing it (and failing) after `deadline`.
fn run_within(dir: &Path, args: &[&str], env: &[(&str, &str)], deadline: Duration) -> Run {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_shutdownlint"))
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn shutdownlint");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = out.read_to_end(&mut bytes);
        bytes
    });
    let err_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = err.read_to_end(&mut bytes);
        bytes
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "shutdownlint {args:?} in {} did not finish within {deadline:?}",
                dir.display()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Run {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn run(dir: &Path, args: &[&str]) -> Run {
    run_within(dir, args, &[], DEADLINE)
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&path, content).expect("write");
    path
}

fn symlink(target: impl AsRef<Path>, link: &Path) {
    if let Some(parent) = link.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

/// A Deployment with findings (no readiness probe, one replica, ...), for links to directories.
const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: outside\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n          ports:\n            - containerPort: 80\n";

/// A tree outside the scanned root, whose files all have findings.
fn outside_tree() -> tempfile::TempDir {
    let outside = tempfile::tempdir().expect("tempdir");
    write(outside.path(), "Dockerfile", SHELL_FORM);
    write(outside.path(), "deploy/web.yaml", DEPLOYMENT);
    outside
}

#[test]
fn symlink_loops_end_and_links_are_never_followed() {
    let outside = outside_tree();
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(dir, "real/Dockerfile", SHELL_FORM);
    // Loops: a link to its own directory, to its parent, to itself.
    symlink(".", &dir.join("loop"));
    symlink("..", &dir.join("real/up"));
    symlink("self.yaml", &dir.join("self.yaml"));
    // Out of the tree: a file and a directory with findings.
    symlink(outside.path().join("Dockerfile"), &dir.join("Dockerfile"));
    symlink(outside.path().join("deploy"), &dir.join("deploy"));
    // At devices: reading /dev/zero never ends, /dev/urandom neither.
    symlink("/dev/zero", &dir.join("zero.yaml"));
    symlink("/dev/urandom", &dir.join("app.service"));
    symlink("/dev/null", &dir.join("null/Dockerfile"));

    let result = run(dir, &["--format", "json", "."]);
    assert_eq!(result.code, Some(1), "{}", result.stderr);
    assert_eq!(
        result.findings(),
        [("real/Dockerfile".to_string(), "SL101".to_string())],
        "{}",
        result.stderr
    );
    // Inside a directory, links are skipped without a note.
    assert!(
        !result.stderr.contains("symbolic link"),
        "{}",
        result.stderr
    );
}

#[test]
fn named_symlinks_are_not_followed_either() {
    let outside = outside_tree();
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(dir, "real/Dockerfile", SHELL_FORM);
    symlink(outside.path().join("Dockerfile"), &dir.join("Dockerfile"));
    symlink(outside.path().join("deploy"), &dir.join("deploy"));
    symlink("/dev/zero", &dir.join("zero.yaml"));
    symlink("real/Dockerfile", &dir.join("inside.Dockerfile"));

    let result = run(
        dir,
        &[
            "--format",
            "json",
            "Dockerfile",
            "deploy",
            "zero.yaml",
            "inside.Dockerfile",
            "real/Dockerfile",
        ],
    );
    assert_eq!(result.code, Some(1), "{}", result.stderr);
    assert_eq!(
        result.findings(),
        [("real/Dockerfile".to_string(), "SL101".to_string())]
    );
    for name in ["Dockerfile", "deploy", "zero.yaml", "inside.Dockerfile"] {
        assert!(
            result
                .stderr
                .contains(&format!("{name}: a symbolic link; not followed")),
            "{name}: {}",
            result.stderr
        );
    }
    // Only links named by themselves are refused: a path through a linked directory is the
    // system's to resolve, like any other directory on the way.
    let through = run(dir, &["--format", "json", "deploy/"]);
    assert_eq!(
        through.findings().first().map(|(file, _)| file.as_str()),
        Some("deploy/web.yaml"),
        "{}",
        through.stderr
    );
}

/// `mkfifo` from the system (the test only; shutdownlint itself never creates or runs anything).
fn mkfifo(path: &Path) -> bool {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn fifos_and_sockets_are_never_opened() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(dir, "real/Dockerfile", SHELL_FORM);
    // A socket with a name shutdownlint reads.
    let _listener = std::os::unix::net::UnixListener::bind(dir.join("compose.yaml"))
        .expect("bind a unix socket");
    // Opening a FIFO for reading blocks until a writer comes: a run that opened one would hit
    // the deadline.
    let fifos = ["Dockerfile", "k8s/app.yaml", "nginx/nginx.conf"];
    let have_fifos = fifos.iter().all(|name| mkfifo(&dir.join(name)));
    if !have_fifos {
        eprintln!("mkfifo is not available: only the socket is checked");
    }

    let result = run(dir, &["--format", "json", "."]);
    assert_eq!(result.code, Some(1), "{}", result.stderr);
    assert_eq!(
        result.findings(),
        [("real/Dockerfile".to_string(), "SL101".to_string())],
        "{}",
        result.stderr
    );

    // Named on the command line: a note, never an open.
    let mut named = vec!["--format", "json", "compose.yaml"];
    if have_fifos {
        named.extend(fifos);
    }
    let result = run(dir, &named);
    assert_eq!(result.code, Some(0), "{}", result.stderr);
    assert!(result.findings().is_empty());
    for name in &named[2..] {
        assert!(
            result
                .stderr
                .contains(&format!("{name}: not a regular file; skipped")),
            "{name}: {}",
            result.stderr
        );
    }
}

/// Whether permission checks apply to this process (they do not for root).
fn permissions_apply(locked: &Path) -> bool {
    std::fs::File::open(locked).is_err()
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn unreadable_files_and_directories_do_not_stop_the_scan() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(dir, "real/Dockerfile", SHELL_FORM);
    let locked = write(dir, "locked/Dockerfile", SHELL_FORM);
    write(dir, "sealed/Dockerfile", SHELL_FORM);
    set_mode(&locked, 0o000);
    set_mode(&dir.join("sealed"), 0o000);
    let enforced = permissions_apply(&locked);

    let result = run(dir, &["--format", "json", "."]);
    let named = run(dir, &["--format", "json", "locked/Dockerfile", "real"]);
    // Restore before asserting, so the temporary directory can be removed either way.
    set_mode(&dir.join("sealed"), 0o755);
    set_mode(&locked, 0o644);

    assert_eq!(result.code, Some(1), "{}", result.stderr);
    assert!(result
        .findings()
        .contains(&("real/Dockerfile".to_string(), "SL101".to_string())));
    assert_eq!(named.code, Some(1), "{}", named.stderr);
    if !enforced {
        // Root reads everything: the files were linted like any other.
        eprintln!("running as root: permission checks do not apply, the notes are not checked");
        return;
    }
    assert_eq!(
        result.findings(),
        [("real/Dockerfile".to_string(), "SL101".to_string())]
    );
    assert!(
        result
            .stderr
            .contains("locked/Dockerfile: cannot read: Permission denied"),
        "{}",
        result.stderr
    );
    assert!(result.stderr.contains("sealed"), "{}", result.stderr);
    assert_eq!(
        named.findings(),
        [("real/Dockerfile".to_string(), "SL101".to_string())]
    );
    assert!(
        named
            .stderr
            .contains("locked/Dockerfile: cannot read: Permission denied"),
        "{}",
        named.stderr
    );
}

#[test]
fn a_100_mb_file_is_skipped_unread() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(dir, "real/Dockerfile", SHELL_FORM);
    // Sparse: 100 MB long, nothing written. Reading it would cost the deadline and the memory.
    std::fs::create_dir_all(dir.join("huge")).expect("mkdir");
    for name in ["big.yaml", "huge/Dockerfile"] {
        let file = std::fs::File::create(dir.join(name)).expect("create");
        file.set_len(100 * 1024 * 1024).expect("set_len");
    }

    for args in [
        &["--format", "json", "."][..],
        &["--format", "json", "big.yaml", "huge/Dockerfile", "real"][..],
    ] {
        let result = run(dir, args);
        assert_eq!(result.code, Some(1), "{}", result.stderr);
        assert_eq!(
            result.findings(),
            [("real/Dockerfile".to_string(), "SL101".to_string())]
        );
        for name in ["big.yaml", "huge/Dockerfile"] {
            assert!(
                result.stderr.contains(&format!(
                    "{name}: 104857600 bytes is over the 8388608 byte limit (max-file-size); skipped"
                )),
                "{name}: {}",
                result.stderr
            );
        }
    }
}

#[test]
fn the_size_cap_is_configurable() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(dir, ".shutdownlint.toml", "max-file-size = \"1KiB\"\n");
    write(dir, "small/Dockerfile", SHELL_FORM);
    let padding = "# padding\n".repeat(120);
    write(dir, "large/Dockerfile", &format!("{padding}{SHELL_FORM}"));

    let result = run(dir, &["--format", "json", "."]);
    assert_eq!(result.code, Some(1), "{}", result.stderr);
    assert_eq!(
        result.findings(),
        [("small/Dockerfile".to_string(), "SL101".to_string())]
    );
    let size = padding.len() + SHELL_FORM.len();
    assert!(
        result.stderr.contains(&format!(
            "large/Dockerfile: {size} bytes is over the 1024 byte limit (max-file-size); skipped"
        )),
        "{}",
        result.stderr
    );

    // stdin has the same cap.
    let mut child = Command::new(env!("CARGO_BIN_EXE_shutdownlint"))
        .current_dir(dir)
        .args(["-", "--stdin-filename", "Dockerfile"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(format!("{padding}{SHELL_FORM}").as_bytes());
    }
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("over the 1024 byte limit"));

    // A value that is not a size is a configuration error naming the key (exit 2).
    write(dir, ".shutdownlint.toml", "max-file-size = \"lots\"\n");
    let result = run(dir, &["."]);
    assert_eq!(result.code, Some(2), "{}", result.stderr);
    assert!(result.stderr.contains("max-file-size"), "{}", result.stderr);
}

/// A folder or file named twice under different spellings is read once: every finding was
/// reported twice, under two paths.
#[test]
fn a_path_named_twice_is_read_once() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(dir, "app/Dockerfile", SHELL_FORM);
    write(dir, "other/Dockerfile", SHELL_FORM);
    let once = [("app/Dockerfile".to_string(), "SL101".to_string())];
    for args in [
        &["app", "./app/../app"][..],
        &["app/", "app"][..],
        &["app/Dockerfile", "other/../app/Dockerfile"][..],
    ] {
        let mut all = vec!["--format", "json"];
        all.extend(args);
        let result = run(dir, &all);
        assert_eq!(result.code, Some(1), "{args:?}: {}", result.stderr);
        assert_eq!(result.findings(), once, "{args:?}");
    }
}

/// The `.shutdownlint.toml` found upward comes with the scanned tree like any file: a link is
/// not followed (its target's text would be printed in the parse error), a FIFO is not opened,
/// a huge file is not read whole, and it cannot raise the size cap to gigabytes. Each is an
/// error (exit 2) naming the file: the run would not use the configuration its repository
/// meant.
#[test]
fn a_hostile_config_file_is_refused_unread() {
    let outside = tempfile::tempdir().expect("tempdir");
    let secret = write(
        outside.path(),
        "secret.toml",
        "root:x:0:0:root:/root:/bin/bash\n",
    );
    /// Puts the hostile config in place; `false` when the system cannot make it.
    type Make<'a> = Box<dyn Fn(&Path) -> bool + 'a>;
    let cases: Vec<(&str, Make, &str)> = vec![
        (
            "link out of the tree",
            Box::new(|dir: &Path| {
                symlink(&secret, &dir.join(".shutdownlint.toml"));
                true
            }),
            ".shutdownlint.toml: is a symbolic link; not followed",
        ),
        (
            "link to /dev/zero",
            Box::new(|dir: &Path| {
                symlink("/dev/zero", &dir.join(".shutdownlint.toml"));
                true
            }),
            ".shutdownlint.toml: is a symbolic link; not followed",
        ),
        (
            "FIFO",
            Box::new(|dir: &Path| mkfifo(&dir.join(".shutdownlint.toml"))),
            ".shutdownlint.toml: is not a regular file",
        ),
        (
            "1 GB sparse file",
            Box::new(|dir: &Path| {
                let file = std::fs::File::create(dir.join(".shutdownlint.toml")).expect("create");
                file.set_len(1 << 30).expect("set_len");
                true
            }),
            "over the 1048576 byte limit",
        ),
        (
            "size cap raised to gigabytes",
            Box::new(|dir: &Path| {
                write(dir, ".shutdownlint.toml", "max-file-size = \"100GB\"\n");
                true
            }),
            "max-file-size is 100000000000 bytes; it can be at most 67108864 (64MiB)",
        ),
    ];
    for (case, make, expected) in cases {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path();
        write(dir, "app/Dockerfile", SHELL_FORM);
        if !make(dir) {
            eprintln!("{case}: mkfifo is not available; not checked");
            continue;
        }
        for start in [".", "app"] {
            let result = run(dir, &["--format", "json", start]);
            assert_eq!(result.code, Some(2), "{case}: {}", result.stderr);
            assert!(result.stdout.is_empty(), "{case}: {}", result.stdout);
            assert!(
                result.stderr.contains(expected),
                "{case}: {}",
                result.stderr
            );
            assert!(
                !result.stderr.contains("root:x"),
                "{case}: {}",
                result.stderr
            );
        }
    }

    // Named with --config (by whoever runs the tool), a link is followed; the file is still
    // capped and must be a regular file.
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(dir, "app/Dockerfile", SHELL_FORM);
    write(outside.path(), "ok.toml", "ignore = [\"SL101\"]\n");
    symlink(outside.path().join("ok.toml"), &dir.join("linked.toml"));
    let result = run(dir, &["--format", "json", "--config", "linked.toml", "app"]);
    assert_eq!(result.code, Some(0), "{}", result.stderr);
    assert_eq!(result.findings(), []);
    let result = run(dir, &["--config", "/dev/zero", "app"]);
    assert_eq!(result.code, Some(2), "{}", result.stderr);
    assert!(
        result.stderr.contains("not a regular file"),
        "{}",
        result.stderr
    );
}

#[test]
fn output_is_identical_across_runs_and_thread_counts() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skipped: {} not found", corpus.display());
        return;
    }
    // The whole corpus: a few seconds per run even in a debug build.
    let args = ["--format", "json", "."];
    let generous = Duration::from_secs(120);
    let one = run_within(&corpus, &args, &[("RAYON_NUM_THREADS", "1")], generous);
    let four = run_within(&corpus, &args, &[("RAYON_NUM_THREADS", "4")], generous);
    let again = run_within(&corpus, &args, &[("RAYON_NUM_THREADS", "4")], generous);
    assert_eq!(one.code, Some(1), "{}", one.stderr);
    assert!(one.findings().len() > 100, "{}", one.stdout.len());
    assert!(one.stdout == four.stdout, "1 and 4 threads differ");
    assert!(
        four.stdout == again.stdout,
        "two runs with 4 threads differ"
    );
    assert_eq!(one.stderr, four.stderr);
}
