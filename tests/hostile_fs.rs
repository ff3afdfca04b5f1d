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
    run_wrapped(&[], dir, args, env, deadline)
}

/// [`run_within`], the binary started through `wrapper` (a command and its arguments) when
/// that is not empty.
fn run_wrapped(
    wrapper: &[&str],
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    deadline: Duration,
) -> Run {
    let start = Instant::now();
    let binary = env!("CARGO_BIN_EXE_shutdownlint");
    let mut command = match wrapper.split_first() {
        None => Command::new(binary),
        Some((program, rest)) => {
            let mut command = Command::new(program);
            command.args(rest).arg(binary);
            command
        }
    };
    let mut child = command
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
    // Outside a git work tree, a path through a linked directory is the system's to resolve,
    // like any other directory on the way.
    let through = run(dir, &["--format", "json", "deploy/"]);
    assert_eq!(
        through.findings().first().map(|(file, _)| file.as_str()),
        Some("deploy/web.yaml"),
        "{}",
        through.stderr
    );
}

/// A repository that commits `deploy -> ../other` (another repository, with a broken config and
/// files with findings): `deploy`, `deploy/`, `deploy/Dockerfile`, `deploy/sub` get a note; the
/// other repository's configuration is not read and its files are not linted. The configuration
/// comes from the next path. A link outside every work tree is still resolved.
#[test]
fn paths_through_a_link_in_a_work_tree_are_not_followed() {
    let root = tempfile::tempdir().expect("tempdir");
    let top = root.path();
    let repo = top.join("repo");
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    write(&repo, "app/Dockerfile", SHELL_FORM);
    let other = top.join("other");
    std::fs::create_dir_all(other.join(".git")).expect("mkdir");
    write(&other, ".shutdownlint.toml", "this is [not toml\n");
    write(&other, "Dockerfile", SHELL_FORM);
    write(&other, "sub/Dockerfile", SHELL_FORM);
    symlink("../other", &repo.join("deploy"));

    for (arg, note) in [
        ("deploy", "deploy: a symbolic link; not followed"),
        ("deploy/", "deploy: a symbolic link; not followed"),
        (
            "deploy/Dockerfile",
            "deploy/Dockerfile: goes through the symbolic link `deploy`; not followed",
        ),
        (
            "deploy/sub",
            "deploy/sub: goes through the symbolic link `deploy`; not followed",
        ),
    ] {
        let result = run(&repo, &["--format", "json", arg]);
        assert_eq!(result.code, Some(0), "{arg}: {}", result.stderr);
        assert_eq!(result.findings(), [], "{arg}: {}", result.stderr);
        assert!(result.stderr.contains(note), "{arg}: {}", result.stderr);
        assert!(
            !result.stderr.contains(".shutdownlint.toml"),
            "{arg}: {}",
            result.stderr
        );
        // The next path gives the configuration (none here) and is linted.
        let with_app = run(&repo, &["--format", "json", arg, "app"]);
        assert_eq!(with_app.code, Some(1), "{arg}: {}", with_app.stderr);
        assert_eq!(
            with_app.findings(),
            [("app/Dockerfile".to_string(), "SL101".to_string())],
            "{arg}: {}",
            with_app.stderr
        );
    }
    // Links outside every work tree are the user's own: resolved, the configuration included.
    symlink("repo", &top.join("projects"));
    symlink("other", &top.join("elsewhere"));
    let projects = run(top, &["--format", "json", "projects/app/"]);
    assert_eq!(
        projects.findings(),
        [("projects/app/Dockerfile".to_string(), "SL101".to_string())],
        "{}",
        projects.stderr
    );
    let elsewhere = run(top, &["--format", "json", "elsewhere/sub"]);
    assert_eq!(elsewhere.code, Some(2), "{}", elsewhere.stderr);
    assert!(
        elsewhere.stderr.contains("elsewhere/.shutdownlint.toml"),
        "{}",
        elsewhere.stderr
    );
}

/// A link of the user's own (outside every work tree) into a project: `aapp -> real/proj/app`.
/// The configuration is looked for by the path's name, whatever its spelling: `aapp/Dockerfile`
/// and `aapp/sub/../Dockerfile` both look in `aapp` and the folders of its name, so neither
/// takes `real/proj`'s configuration (the second did: a path with `..` was looked up from
/// where it is on disk). Named through `real`, the project's configuration applies.
#[test]
fn config_lookup_through_the_users_link_is_by_name_whatever_the_spelling() {
    let root = tempfile::tempdir().expect("tempdir");
    let top = root.path();
    let proj = top.join("real/proj");
    std::fs::create_dir_all(proj.join(".git")).expect("mkdir");
    std::fs::create_dir_all(proj.join("app/sub")).expect("mkdir");
    write(&proj, "app/Dockerfile", SHELL_FORM);
    write(&proj, ".shutdownlint.toml", "ignore = [\"SL101\"]\n");
    symlink(proj.join("app"), &top.join("aapp"));
    let absolute = top.join("aapp/sub/../Dockerfile");
    for arg in [
        "aapp/",
        "aapp/Dockerfile",
        "aapp/sub/..",
        "aapp/sub/../Dockerfile",
        "./aapp/sub/../sub/../Dockerfile",
        absolute.to_str().unwrap_or(""),
    ] {
        let result = run(top, &["--format", "json", arg]);
        assert_eq!(result.code, Some(1), "{arg}: {}", result.stderr);
        assert_eq!(result.findings().len(), 1, "{arg}: {}", result.stderr);
    }
    for arg in [
        "real/proj/app",
        "real/proj/app/Dockerfile",
        "real/proj/app/sub/..",
        "real/proj/app/sub/../Dockerfile",
    ] {
        let result = run(top, &["--format", "json", arg]);
        assert_eq!(result.code, Some(0), "{arg}: {}", result.stderr);
        assert_eq!(result.findings(), [], "{arg}: {}", result.stderr);
    }
}

/// Run the binary in `dir` with `input` on stdin (deadline as [`run`]).
fn run_stdin(dir: &Path, args: &[&str], input: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shutdownlint"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn shutdownlint");
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        let _ = stdin.write_all(input.as_bytes());
    }
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("shutdownlint {args:?} did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().expect("wait");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `--stdin-filename services/api/Dockerfile` where `services/api -> ../../home` is committed:
/// the files the text names (a COPY'd entrypoint script, a compose `extends` file, an nginx
/// `include`) are not looked up through the link, and a note says so. The script used to be
/// read outside the repository and its line quoted (a credentials file in a GitHub
/// annotation). Without the link the script is found, as before.
#[test]
fn the_stdin_name_does_not_lead_through_a_link_in_a_work_tree() {
    let root = tempfile::tempdir().expect("tempdir");
    let top = root.path();
    let repo = top.join("repo");
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    let secret = "ci-bot:ghp_SECRET_TOKEN_1234";
    let home = top.join("home");
    write(
        &home,
        ".git-credentials",
        &format!("https://{secret}@github.com\n"),
    );
    write(
        &home,
        "base.yaml",
        &format!("services:\n  base:\n    image: \"{secret}\n"),
    );
    write(&home, "secret.conf", &format!("{secret};\n"));
    symlink("../../home", &repo.join("services/api"));
    let cases = [
        (
            "services/api/Dockerfile",
            "FROM alpine\nCOPY .git-credentials /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\n",
        ),
        (
            "services/api/compose.yaml",
            "services:\n  web:\n    extends:\n      file: base.yaml\n      service: base\n",
        ),
        (
            "services/api/nginx.conf",
            "events {}\nhttp {\n  include secret.conf;\n}\n",
        ),
    ];
    for (name, text) in cases {
        for format in ["github", "json", "human"] {
            let result = run_stdin(
                &repo,
                &["--format", format, "-", "--stdin-filename", name],
                text,
            );
            assert!(
                !result.stdout.contains("SECRET") && !result.stderr.contains("SECRET"),
                "{name} {format}: {}{}",
                result.stdout,
                result.stderr
            );
            assert!(
                result
                    .stderr
                    .contains("goes through the symbolic link `services/api`; not followed"),
                "{name} {format}: {}",
                result.stderr
            );
        }
    }
    // In a real folder the script is read: SL103 points into it.
    write(
        &repo,
        "services/web/entrypoint.sh",
        "#!/bin/sh\nnode server.js\n",
    );
    let result = run_stdin(
        &repo,
        &[
            "--format",
            "json",
            "-",
            "--stdin-filename",
            "services/web/Dockerfile",
        ],
        "FROM node:22-slim\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\n",
    );
    assert!(
        result.findings().contains(&(
            "services/web/entrypoint.sh".to_string(),
            "SL103".to_string()
        )),
        "{}",
        result.stdout
    );
    assert!(!result.stderr.contains("not followed"), "{}", result.stderr);
}

/// Make `count` folders `d`, each in the one before, from `dir`, and return the deepest, open:
/// one at a time from an open folder, as the whole path may be over `PATH_MAX`.
fn nest(dir: &Path, count: usize) -> std::os::fd::OwnedFd {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    let open = |at: i32, name: &std::ffi::CStr| {
        // SAFETY: `name` is NUL-terminated.
        let fd = unsafe { libc::openat(at, name.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
        assert!(fd >= 0, "{}", std::io::Error::last_os_error());
        // SAFETY: just opened, owned by nobody else.
        unsafe { OwnedFd::from_raw_fd(fd) }
    };
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).expect("path");
    let mut at = open(libc::AT_FDCWD, &path);
    for _ in 0..count {
        // SAFETY: a NUL-terminated name in an open folder.
        let made = unsafe { libc::mkdirat(at.as_raw_fd(), c"d".as_ptr(), 0o755) };
        assert_eq!(made, 0, "{}", std::io::Error::last_os_error());
        at = open(at.as_raw_fd(), c"d");
    }
    at
}

/// A committed link met past `PATH_MAX` bytes from the root (working directory and argument
/// together; the argument alone is shorter): a note, nothing read through it. The whole path
/// failed `lstat` with `ENAMETOOLONG`, taken for "missing", and the argument was then opened
/// through the link.
#[test]
fn a_link_past_path_max_is_not_followed() {
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    let root = tempfile::tempdir().expect("tempdir");
    let top = root.path();
    let repo = top.join("repo");
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    let other = top.join("other");
    write(&other, "Dockerfile", SHELL_FORM);
    let depth = (4095 - "L/Dockerfile".len()) / 2;
    let deepest = nest(&repo, depth);
    let target = std::ffi::CString::new(other.as_os_str().as_bytes()).expect("target");
    // SAFETY: NUL-terminated strings, an open folder.
    let linked = unsafe { libc::symlinkat(target.as_ptr(), deepest.as_raw_fd(), c"L".as_ptr()) };
    assert_eq!(linked, 0, "{}", std::io::Error::last_os_error());
    let argument = format!("{}L/Dockerfile", "d/".repeat(depth));
    assert!(argument.len() < 4096 && repo.join(&argument).as_os_str().len() > 4096);
    let result = run(&repo, &["--format", "json", &argument]);
    assert_eq!(result.code, Some(0), "{}", result.stderr);
    assert_eq!(result.findings(), [], "{}", result.stderr);
    assert!(
        result.stderr.contains("L`; not followed"),
        "{}",
        result.stderr
    );
}

/// Write `content` to `name` in the open folder `at` (a folder past `PATH_MAX` has no path).
fn write_at(at: &std::os::fd::OwnedFd, name: &std::ffi::CStr, content: &str) {
    use std::io::Write;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC;
    // SAFETY: `name` is NUL-terminated; `at` is an open folder.
    let fd = unsafe { libc::openat(at.as_raw_fd(), name.as_ptr(), flags, 0o644) };
    assert!(fd >= 0, "{}", std::io::Error::last_os_error());
    // SAFETY: just opened, owned by nobody else.
    let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    file.write_all(content.as_bytes()).expect("write");
}

/// A `.shutdownlint.toml` at the bottom of a path past `PATH_MAX` (working directory and
/// argument together), for a path argument, `--stdin-filename` and `--config`: the walk found
/// it, then it was opened by its whole path, which failed (`ENAMETOOLONG`, exit 2). It is read
/// from the folder the walk holds, and errors still name it by its path.
#[test]
fn a_config_past_path_max_is_read() {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path();
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    let depth = 2040;
    let deepest = nest(repo, depth);
    write_at(&deepest, c"Dockerfile", SHELL_FORM);
    write_at(&deepest, c".shutdownlint.toml", "ignore = [\"SL101\"]\n");
    let folder = "d/".repeat(depth);
    let argument = format!("{folder}Dockerfile");
    let config = format!("{folder}.shutdownlint.toml");
    assert!(repo.join(&argument).as_os_str().len() > 4096);
    let named = run(repo, &["--format", "json", &argument]);
    let stdin = run_stdin(
        repo,
        &["--format", "json", "-", "--stdin-filename", &argument],
        SHELL_FORM,
    );
    let given = run(repo, &["--format", "json", "--config", &config, &argument]);
    for (how, result) in [("path", &named), ("stdin", &stdin), ("--config", &given)] {
        assert_eq!(result.code, Some(0), "{how}: {}", result.stderr);
        assert_eq!(result.findings(), [], "{how}: {}", result.stderr);
    }
    // A broken one is an error that names it (not "File name too long").
    write_at(&deepest, c".shutdownlint.toml", "bogus = 1\n");
    for args in [
        vec!["--format", "json", argument.as_str()],
        vec!["--format", "json", "--config", &config, "."],
    ] {
        let broken = run(repo, &args);
        assert_eq!(broken.code, Some(2), "{}", broken.stderr);
        assert!(
            broken
                .stderr
                .contains(&format!("{folder}.shutdownlint.toml: TOML parse error"))
                && broken.stderr.contains("bogus"),
            "{}",
            broken.stderr
        );
    }
}

/// A path argument that exists but is longer than `PATH_MAX` was said to be missing ("no such
/// file or directory"): the error says what the system refused, and how to lint it.
#[test]
fn a_path_argument_past_path_max_is_not_called_missing() {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path();
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    let depth = 2100;
    let deepest = nest(repo, depth);
    write_at(&deepest, c"Dockerfile", SHELL_FORM);
    let argument = "d/".repeat(depth);
    let argument = argument.trim_end_matches('/');
    assert!(argument.len() > 4096);
    let result = run(repo, &["--format", "json", argument]);
    assert_eq!(result.code, Some(2), "{}", result.stderr);
    assert!(
        result.stderr.contains(&format!(
            "{argument}: a path of {} bytes, longer than the system takes; it cannot be walked",
            argument.len()
        )),
        "{}",
        result.stderr
    );
    assert!(!result.stderr.contains("no such file"), "{}", result.stderr);
    // One name longer than the system takes names nothing: an error as a missing path is (it
    // was a note, with exit 0).
    let name = "n".repeat(5000);
    let result = run(repo, &["--format", "json", &name]);
    assert_eq!(result.code, Some(2), "{}", result.stderr);
    assert!(
        result
            .stderr
            .contains(": no such file or directory (a name in it is longer than the system takes"),
        "{}",
        result.stderr
    );
}

/// A batch of path arguments (pre-commit passes ~128 KiB of them) naming files 1,900 folders
/// deep: each step of finding them looks at one name, so the cost follows the bytes of the
/// arguments. Each argument's path was looked at whole per component, three times over, and
/// resolved again by `canonicalize` (10 s for 31 files 2,000 deep).
#[test]
fn deep_path_arguments_cost_their_length() {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path();
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    let deep = "d/".repeat(1900);
    let count = 31;
    for i in 0..count {
        write(repo, &format!("{deep}{i}.Dockerfile"), SHELL_FORM);
    }
    let arguments: Vec<String> = (0..count)
        .map(|i| format!("{deep}{i}.Dockerfile"))
        .collect();
    let mut args = vec!["--format", "json"];
    args.extend(arguments.iter().map(String::as_str));
    let result = run(repo, &args);
    assert_eq!(result.code, Some(1), "{}", result.stderr);
    assert_eq!(result.findings().len(), count, "{}", result.stderr);
}

/// Folder arguments each at the bottom of its own chain 1,900 folders deep: the cost follows
/// the folders of the chains, a few steps each. Each argument's chain was walked four times
/// from the top (one step more per folder for each name looked for), and the check for
/// arguments inside one another hashed every folder above each argument by its whole path (in
/// the square of the depth): 200 such arguments took 10 s.
#[test]
fn deep_folder_arguments_cost_their_length() {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path();
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    let deep = "d/".repeat(1900);
    let count = 40;
    for i in 0..count {
        let chain = repo.join(format!("c{i}"));
        std::fs::create_dir(&chain).expect("mkdir");
        write_at(&nest(&chain, 1900), c"Dockerfile", SHELL_FORM);
    }
    let arguments: Vec<String> = (0..count).map(|i| format!("c{i}/{deep}")).collect();
    let mut args = vec!["--format", "json"];
    args.extend(arguments.iter().map(String::as_str));
    let started = Instant::now();
    let result = run(repo, &args);
    let took = started.elapsed();
    assert_eq!(result.code, Some(1), "{}", result.stderr);
    assert_eq!(result.findings().len(), count, "{}", result.stderr);
    // 2.7 s in a debug build on a loaded machine (load 7 on 2 cores); about 8 s before.
    assert!(took < Duration::from_secs(5), "{took:?}");
}

/// App folders at the bottom of a chain 1,900 folders deep, that folder the one argument: each
/// a Dockerfile that copies its entrypoint script, the script, and a compose file that builds
/// the folder. Linking them resolves each Dockerfile, script and build context through links
/// (is it the image built? is the script inside the build context?), and each resolution
/// opened every folder from the root, one `openat` each: 1,900 per path, 5,800 per app folder
/// (200 folders: 4.9 s in a release build, 1.15 M `openat`s). The system resolves each path in
/// one call now.
#[test]
fn deep_files_are_linked_at_the_cost_of_their_number() {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path();
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    let deepest = nest(repo, 1900);
    let count = 150;
    for i in 0..count {
        let name = std::ffi::CString::new(format!("a{i}")).expect("name");
        // SAFETY: a NUL-terminated name in an open folder.
        let made = unsafe { libc::mkdirat(deepest.as_raw_fd(), name.as_ptr(), 0o755) };
        assert_eq!(made, 0, "{}", std::io::Error::last_os_error());
        let flags = libc::O_RDONLY | libc::O_DIRECTORY;
        // SAFETY: a NUL-terminated name in an open folder.
        let fd = unsafe { libc::openat(deepest.as_raw_fd(), name.as_ptr(), flags) };
        assert!(fd >= 0, "{}", std::io::Error::last_os_error());
        // SAFETY: just opened, owned by nobody else.
        let app = unsafe { OwnedFd::from_raw_fd(fd) };
        write_at(
            &app,
            c"Dockerfile",
            "FROM node:22\nCOPY run.sh /run.sh\nENTRYPOINT [\"/run.sh\"]\n",
        );
        write_at(&app, c"run.sh", "#!/bin/sh\nnode server.js\n");
        write_at(&app, c"compose.yaml", "services:\n  web:\n    build: .\n");
    }
    let deep = "d/".repeat(1900);
    let started = Instant::now();
    let result = run_within(repo, &["--format", "json", &deep], &[], 4 * DEADLINE);
    let took = started.elapsed();
    assert_eq!(result.code, Some(1), "{}", result.stderr);
    // Each script is read through its Dockerfile, the Dockerfile through its compose file.
    let findings = result.findings();
    assert_eq!(findings.len(), count, "{}", result.stderr);
    for (file, rule) in &findings {
        assert!(file.starts_with(&format!("{deep}a")), "{file}");
        assert!(file.ends_with("/run.sh"), "{file}");
        assert_eq!(rule, "SL103", "{file}");
    }
    // 1.2 s in a debug build on a loaded machine (load 4 on 2 cores); 10.4 s before.
    assert!(took < DEADLINE, "{took:?}");
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

/// Runs as the `nobody` user, for a test run as root (to whom every file is readable): through
/// `setpriv` when it is installed and the binary can run as that user.
const AS_NOBODY: [&str; 5] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "--",
];

#[test]
fn unreadable_files_and_directories_do_not_stop_the_scan() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(dir, "real/Dockerfile", SHELL_FORM);
    let locked = write(dir, "locked/Dockerfile", SHELL_FORM);
    write(dir, "sealed/Dockerfile", SHELL_FORM);
    set_mode(dir, 0o755);
    for readable in ["real", "locked", "real/Dockerfile"] {
        let path = dir.join(readable);
        set_mode(&path, if path.is_dir() { 0o755 } else { 0o644 });
    }
    set_mode(&locked, 0o000);
    set_mode(&dir.join("sealed"), 0o000);
    // As root, permissions do not apply: run the binary as `nobody` instead, when that works.
    let wrapper: &[&str] = if permissions_apply(&locked) {
        &[]
    } else {
        let probe = run_wrapped(&AS_NOBODY, dir, &["--version"], &[], DEADLINE);
        if probe.code == Some(0) {
            &AS_NOBODY
        } else {
            eprintln!(
                "skipped: running as root, and the binary does not run as nobody through setpriv ({})",
                probe.stderr.trim()
            );
            set_mode(&dir.join("sealed"), 0o755);
            set_mode(&locked, 0o644);
            return;
        }
    };

    let result = run_wrapped(wrapper, dir, &["--format", "json", "."], &[], DEADLINE);
    let named = run_wrapped(
        wrapper,
        dir,
        &["--format", "json", "locked/Dockerfile", "real"],
        &[],
        DEADLINE,
    );
    // Restore before asserting, so the temporary directory can be removed either way.
    set_mode(&dir.join("sealed"), 0o755);
    set_mode(&locked, 0o644);

    assert_eq!(result.code, Some(1), "{}", result.stderr);
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
    assert_eq!(named.code, Some(1), "{}", named.stderr);
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
            "1073741824 bytes; a configuration file may have at most 1048576 (1 MiB)",
        ),
        (
            "50,000 exclude patterns",
            Box::new(|dir: &Path| {
                let patterns: Vec<String> = (0..50_000).map(|i| format!("\"[^{i}]*\"")).collect();
                let text = format!("exclude = [{}]\n", patterns.join(", "));
                write(dir, ".shutdownlint.toml", &text);
                true
            }),
            "exclude has 50000 patterns; it can have at most 1000",
        ),
        (
            "60,000 not-code patterns",
            Box::new(|dir: &Path| {
                let patterns: Vec<String> = (0..60_000).map(|i| format!("\"[^{i}]*\"")).collect();
                let text = format!("[migrations]\nnot-code = [{}]\n", patterns.join(", "));
                write(dir, ".shutdownlint.toml", &text);
                true
            }),
            "[migrations] not-code has 60000 patterns; it can have at most 1000",
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

    // In a git work tree, a change can turn the file a CI workflow names into a link (to a
    // secret, whose line a parse error would quote): refused, naming the link, whether the
    // file itself or a folder on the way is the link.
    std::fs::create_dir_all(dir.join(".git")).expect("mkdir");
    write(
        outside.path(),
        ".git-credentials",
        "https://ci-bot:ghp_SECRET@github.com\n",
    );
    symlink(
        outside.path().join(".git-credentials"),
        &dir.join("ci/shutdownlint.toml"),
    );
    symlink(outside.path(), &dir.join("linked"));
    for (config, said) in [
        (
            "ci/shutdownlint.toml",
            "a symbolic link in a git work tree; not followed",
        ),
        (
            "linked.toml",
            "a symbolic link in a git work tree; not followed",
        ),
        (
            "linked/.git-credentials",
            "goes through the symbolic link `linked` in a git work tree",
        ),
    ] {
        let result = run(dir, &["--format", "github", "--config", config, "app"]);
        assert_eq!(result.code, Some(2), "{config}: {}", result.stderr);
        assert!(result.stderr.contains(said), "{config}: {}", result.stderr);
        assert!(
            !result.stderr.contains("SECRET"),
            "{config}: {}",
            result.stderr
        );
        assert!(
            !result.stdout.contains("SECRET"),
            "{config}: {}",
            result.stdout
        );
    }
}

#[test]
fn output_is_identical_across_runs_and_thread_counts() {
    // The repository's own fixtures and examples always; the corpus too when it is there
    // (the whole corpus: a few seconds per run even in a debug build).
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corpus = manifest.join("../shared/corpus");
    let mut trees = vec![(manifest.clone(), vec!["testdata", "examples"], 50)];
    if corpus.is_dir() {
        trees.push((corpus, vec!["."], 100));
    } else {
        eprintln!("{} not found: only testdata and examples", corpus.display());
    }
    for (dir, paths, at_least) in trees {
        let mut args = vec!["--format", "json"];
        args.extend(paths);
        let generous = Duration::from_secs(120);
        let one = run_within(&dir, &args, &[("RAYON_NUM_THREADS", "1")], generous);
        let four = run_within(&dir, &args, &[("RAYON_NUM_THREADS", "4")], generous);
        let again = run_within(&dir, &args, &[("RAYON_NUM_THREADS", "4")], generous);
        assert_eq!(one.code, Some(1), "{}", one.stderr);
        assert!(one.findings().len() > at_least, "{}", one.stdout.len());
        assert!(
            one.stdout == four.stdout,
            "{args:?}: 1 and 4 threads differ"
        );
        assert!(
            four.stdout == again.stdout,
            "{args:?}: two runs with 4 threads differ"
        );
        assert_eq!(one.stderr, four.stderr);
    }
}

/// `.gitignore`, `.ignore` and `.git/info/exclude` are inputs like any other: a FIFO is never
/// opened, a link is never followed (to `/dev/zero`, or out of the tree to a file that would
/// hide everything), a file over the cap is not read. Each is reported and not applied, and the
/// files it would have hidden are linted. (The walker used to read them itself, unchecked: the
/// FIFO blocked the run, `/dev/zero` ran it out of memory, the outside `*` hid every file.)
#[test]
fn hostile_ignore_files_are_reported_and_not_applied() {
    let outside = tempfile::tempdir().expect("tempdir");
    let hide_all = write(outside.path(), "hide-all", "*\n");
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    std::fs::create_dir_all(dir.join(".git/info")).expect("mkdir");
    for name in ["fifo", "zero", "outside", "big", "plain"] {
        write(dir, &format!("{name}/Dockerfile"), SHELL_FORM);
    }
    symlink("/dev/zero", &dir.join("zero/.gitignore"));
    symlink(&hide_all, &dir.join("outside/.ignore"));
    // Over the 64 KiB cap; applied, it would hide its Dockerfile.
    write(dir, "big/.gitignore", &"Dockerfile\n".repeat(7_000));
    let fifos = [".gitignore", ".git/info/exclude", "fifo/.gitignore"];
    let have_fifos = fifos.iter().all(|name| mkfifo(&dir.join(name)));
    if !have_fifos {
        eprintln!("mkfifo is not available: only the links and the big file are checked");
    }

    let result = run(dir, &["--format", "json", "."]);
    assert_eq!(result.code, Some(1), "{}", result.stderr);
    let mut files: Vec<String> = result.findings().into_iter().map(|(f, _)| f).collect();
    files.dedup();
    assert_eq!(
        files,
        [
            "big/Dockerfile",
            "fifo/Dockerfile",
            "outside/Dockerfile",
            "plain/Dockerfile",
            "zero/Dockerfile"
        ],
        "{}",
        result.stderr
    );
    let mut expected = vec![
        "zero/.gitignore: a symbolic link; not followed; its patterns are not applied",
        "outside/.ignore: a symbolic link; not followed; its patterns are not applied",
        "big/.gitignore: 77000 bytes, over the 64 KiB an ignore file may have; its patterns are not applied",
    ];
    if have_fifos {
        expected.extend([
            ".gitignore: not a regular file; its patterns are not applied",
            ".git/info/exclude: not a regular file; its patterns are not applied",
            "fifo/.gitignore: not a regular file; its patterns are not applied",
        ]);
    }
    for note in expected {
        assert!(result.stderr.contains(note), "{note}: {}", result.stderr);
    }

    // The FIFO `.gitignore` of the repository holding a scanned folder: read as the folder's
    // parent, never opened either.
    let below = run(dir, &["--format", "json", "plain"]);
    assert_eq!(below.code, Some(1), "{}", below.stderr);
    assert_eq!(
        below.findings(),
        [("plain/Dockerfile".to_string(), "SL101".to_string())]
    );
}

/// Ignore files that add up to more than the budget are not applied at all, whatever the
/// number of threads: which ones would fit depends on the order the threads read them.
#[test]
fn ignore_files_over_the_budget_are_none_applied() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    // Five folders, each ignoring its own `ignored.Dockerfile` in a 60 KiB `.gitignore`.
    let mut filler = String::new();
    for i in 0.. {
        let line = format!("*.never{i}\n");
        if filler.len() + line.len() > 60_000 {
            break;
        }
        filler.push_str(&line);
    }
    for d in 0..5 {
        write(dir, &format!("d{d}/Dockerfile"), SHELL_FORM);
        write(dir, &format!("d{d}/ignored.Dockerfile"), SHELL_FORM);
        write(
            dir,
            &format!("d{d}/.gitignore"),
            &format!("{filler}ignored.Dockerfile\n"),
        );
    }
    let one = run_within(
        dir,
        &["--format", "json", "."],
        &[("RAYON_NUM_THREADS", "1")],
        DEADLINE,
    );
    let four = run_within(
        dir,
        &["--format", "json", "."],
        &[("RAYON_NUM_THREADS", "4")],
        DEADLINE,
    );
    assert_eq!(one.code, Some(1), "{}", one.stderr);
    assert_eq!(one.findings().len(), 10, "{}", one.stdout);
    assert_eq!(one.stdout, four.stdout);
    assert_eq!(one.stderr, four.stderr);
    assert!(
        one.stderr
            .contains("add up to over 256 KiB; none is applied"),
        "{}",
        one.stderr
    );
    // Under the budget they apply.
    let three = run(dir, &["--format", "json", "d0", "d1", "d2"]);
    assert_eq!(three.findings().len(), 3, "{}", three.stderr);
}

/// A `.git` folder git takes for a repository (`HEAD`, `objects`, `refs`), with `info`: an
/// empty one is none, and leaves its folder in the repository around it.
fn git_dir(git: &Path) {
    for folder in ["info", "objects", "refs"] {
        std::fs::create_dir_all(git.join(folder)).expect("mkdir");
    }
    std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").expect("write");
}

/// An ignore file is charged to the budget once a run, however many scanned folders it applies
/// to: 70 folder arguments in one repository each took the repository's 4 KiB `.gitignore` again
/// (and `.git/info/exclude`), went over the budget and applied none (210 false findings in
/// git-ignored files). Folder arguments find what `.` finds in them.
#[test]
fn ignore_files_applied_to_many_folder_arguments_are_charged_once() {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path().join("repo");
    git_dir(&repo.join(".git"));
    let mut gitignore = String::from("gen/\n");
    for i in 0..64 {
        gitignore.push_str(&format!("# comment line {i:04} {}\n", ".".repeat(48)));
    }
    write(&repo, ".gitignore", &gitignore);
    write(
        &repo,
        ".git/info/exclude",
        &gitignore.replace("gen/", "tmp/"),
    );
    let mut args = vec!["--format", "json"];
    let names: Vec<String> = (0..70).map(|i| format!("svc{i}")).collect();
    for name in &names {
        write(&repo, &format!("{name}/Dockerfile"), SHELL_FORM);
        write(&repo, &format!("{name}/gen/Dockerfile"), SHELL_FORM);
        write(&repo, &format!("{name}/tmp/Dockerfile"), SHELL_FORM);
        args.push(name.as_str());
    }
    let whole = run(&repo, &["--format", "json", "."]);
    assert_eq!(whole.code, Some(1), "{}", whole.stderr);
    assert_eq!(whole.findings().len(), 70, "{}", whole.stderr);
    let each = run(&repo, &args);
    assert_eq!(each.code, Some(1), "{}", each.stderr);
    assert!(!each.stderr.contains("add up to"), "{}", each.stderr);
    assert_eq!(each.findings(), whole.findings(), "{}", each.stderr);
    // Overlapping arguments, and a folder named under two spellings: the same.
    args.extend([".", "./svc0", "svc1/"]);
    let both = run(&repo, &args);
    assert!(!both.stderr.contains("add up to"), "{}", both.stderr);
    assert_eq!(both.findings(), whole.findings(), "{}", both.stderr);
}

/// Folder arguments at the bottom of chains 1,900 folders deep, each chain its own (a
/// pre-commit batch from a hostile repository): the folders above each are looked at for
/// `.git` and ignore files from an open folder, one name at a time, while going down, so the
/// cost follows the length of the paths. Each folder was looked at by its whole path (`.git`,
/// `.gitignore`, `.ignore`), a cost in the square of the depth: 9 s for 10 chains, 40 s for
/// 30. The ignore files on the way still apply: the repository's `.gitignore` and
/// `info/exclude`, an `.ignore` half way down.
#[test]
fn ignore_files_above_deep_folder_arguments_cost_their_length() {
    use std::os::fd::AsRawFd;
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path();
    git_dir(&repo.join(".git"));
    write(repo, ".git/info/exclude", "*.local.Dockerfile\n");
    write(repo, ".gitignore", "gen/\n");
    let (chains, half) = (10, 950);
    let mut arguments = Vec::new();
    for chain in 0..chains {
        let top = repo.join(format!("c{chain}"));
        std::fs::create_dir(&top).expect("mkdir");
        let middle = nest(&top, half);
        write_at(&middle, c".ignore", "tmp/\n");
        let argument = format!("c{chain}/{}", "d/".repeat(2 * half));
        let bottom = nest(&repo.join(format!("c{chain}/{}", "d/".repeat(half))), half);
        for folder in [c"gen", c"tmp"] {
            // SAFETY: a NUL-terminated name in an open folder.
            let made = unsafe { libc::mkdirat(bottom.as_raw_fd(), folder.as_ptr(), 0o755) };
            assert_eq!(made, 0, "{}", std::io::Error::last_os_error());
        }
        for name in [
            c"Dockerfile",
            c"gen/Dockerfile",
            c"tmp/Dockerfile",
            c"app.local.Dockerfile",
        ] {
            write_at(&bottom, name, SHELL_FORM);
        }
        arguments.push(argument);
    }
    let mut args = vec!["--format", "json"];
    args.extend(arguments.iter().map(String::as_str));
    let result = run(repo, &args);
    assert_eq!(result.code, Some(1), "{}", result.stderr);
    let expected: Vec<(String, String)> = arguments
        .iter()
        .map(|folder| (format!("{folder}Dockerfile"), "SL101".to_string()))
        .collect();
    assert_eq!(result.findings(), expected, "{}", result.stderr);
    assert_eq!(result.stderr, "", "{}", result.stderr);
}

/// What ignore files hide, with the walker's precedence: `.ignore` over `.gitignore` over
/// `.git/info/exclude`, the deepest folder first, `!` un-ignores; a folder's files apply to its
/// subfolders; the files of the folders above a scanned folder apply up to the repository's
/// root (the folder with `.git`), and outside any repository only those inside the scan.
#[test]
fn ignore_files_hide_what_git_would() {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path().join("repo");
    git_dir(&repo.join(".git"));
    for name in [
        "svc/Dockerfile",
        "svc/deploy/Dockerfile",
        "vendor/lib/Dockerfile",
        "docs/build/Dockerfile",
        "x/y/Dockerfile",
        "x/z/Dockerfile",
        "app.tmp.Dockerfile",
    ] {
        write(&repo, name, SHELL_FORM);
    }
    write(&repo, ".git/info/exclude", "vendor\n");
    write(
        &repo,
        ".gitignore",
        "/svc/deploy\nbuild/\n*.tmp.Dockerfile\n",
    );
    write(&repo, "docs/.gitignore", "!/build/\n");
    write(&repo, "x/.ignore", "y\n");
    write(&repo, "x/.gitignore", "!y\nz\n");
    let files = |run: &Run| -> Vec<String> { run.findings().into_iter().map(|(f, _)| f).collect() };

    let all = run(&repo, &["--format", "json", "."]);
    assert_eq!(
        files(&all),
        ["docs/build/Dockerfile", "svc/Dockerfile"],
        "{}",
        all.stderr
    );
    // Scanned from below: the repository's `/svc/deploy` still applies.
    let svc = run(&repo, &["--format", "json", "svc"]);
    assert_eq!(files(&svc), ["svc/Dockerfile"], "{}", svc.stderr);
    let from_x = run(&repo.join("x"), &["--format", "json", "."]);
    assert!(files(&from_x).is_empty(), "{}", from_x.stdout);

    // Outside a repository, a `.gitignore` above the scanned folder is not the project's.
    let loose = root.path().join("loose");
    write(&loose, "sub/x/Dockerfile", SHELL_FORM);
    write(&loose, ".gitignore", "x/\n");
    write(&loose, "sub/.gitignore", "*.tmp\n");
    let sub = run(&loose, &["--format", "json", "sub"]);
    assert_eq!(files(&sub), ["sub/x/Dockerfile"], "{}", sub.stderr);
    let whole = run(&loose, &["--format", "json", "."]);
    assert!(files(&whole).is_empty(), "{}", whole.stdout);
}

/// Two folders whose names differ only in bytes that are not UTF-8 show the same name; both
/// are linted (one was dropped as a duplicate, which let a repository hide a file).
#[test]
fn names_that_differ_only_in_invalid_utf8_are_both_linted() {
    use std::os::unix::ffi::OsStrExt;
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    for (name, content) in [
        (&b"a\xff"[..], SHELL_FORM),
        (
            &b"a\xfe"[..],
            "FROM node:22-slim\nSTOPSIGNAL SIGKILL\nCMD [\"node\", \"server.js\"]\n",
        ),
    ] {
        let sub = dir.join(std::ffi::OsStr::from_bytes(name));
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::write(sub.join("Dockerfile"), content).expect("write");
    }
    let result = run(dir, &["--format", "json", "."]);
    let mut rules: Vec<String> = result.findings().into_iter().map(|(_, r)| r).collect();
    rules.sort();
    assert!(
        rules.contains(&"SL101".to_string()) && rules.contains(&"SL104".to_string()),
        "{rules:?} {}",
        result.stderr
    );
}

/// Folders nested deeper than `MAX_DEPTH` (100) are not walked, with a note: each file's path
/// is handled whole many times, so files a thousand folders deep cost seconds.
#[test]
fn folders_nested_too_deep_are_not_walked() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(dir, "Dockerfile", SHELL_FORM);
    let at = |depth: usize| "d/".repeat(depth);
    write(dir, &format!("{}Dockerfile", at(99)), SHELL_FORM);
    write(dir, &format!("{}Dockerfile", at(100)), SHELL_FORM);
    write(dir, &format!("{}Dockerfile", at(150)), SHELL_FORM);
    let result = run(dir, &["--format", "json", "."]);
    assert_eq!(result.code, Some(1), "{}", result.stderr);
    let files: Vec<String> = result.findings().into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        files,
        ["Dockerfile".to_string(), format!("{}Dockerfile", at(99))],
        "{}",
        result.stderr
    );
    let note = format!(
        "{}: folders nested more than 100 deep; not walked",
        at(100).trim_end_matches('/')
    );
    assert!(result.stderr.contains(&note), "{}", result.stderr);
}

/// A folder whose path from where the run is is longer than the system takes (`PATH_MAX`) is
/// not walked, with a note that says so: its files could not be read by their path. The
/// folders above it are.
#[test]
fn folders_past_path_max_are_not_walked() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    let name = "n".repeat(250);
    // 16 names of 251 bytes with their separators: 4,016 bytes, then one more is over 4,096.
    let mut path = PathBuf::new();
    for _ in 0..16 {
        path.push(&name);
    }
    write(dir, &path.join("Dockerfile").to_string_lossy(), SHELL_FORM);
    let deeper = path.join(&name);
    // Made from the open folder above it: the whole path is over the limit.
    {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        use std::os::unix::ffi::OsStrExt;
        let above = std::ffi::CString::new(dir.join(&path).as_os_str().as_bytes()).expect("path");
        let name = std::ffi::CString::new(name.as_bytes()).expect("name");
        let flags = libc::O_RDONLY | libc::O_DIRECTORY;
        // SAFETY: NUL-terminated strings; each descriptor is owned once opened.
        let deepest = unsafe {
            let at = libc::open(above.as_ptr(), flags);
            assert!(at >= 0, "{}", std::io::Error::last_os_error());
            let at = OwnedFd::from_raw_fd(at);
            assert_eq!(libc::mkdirat(at.as_raw_fd(), name.as_ptr(), 0o755), 0);
            let fd = libc::openat(at.as_raw_fd(), name.as_ptr(), flags);
            assert!(fd >= 0, "{}", std::io::Error::last_os_error());
            OwnedFd::from_raw_fd(fd)
        };
        write_at(&deepest, c"Dockerfile", SHELL_FORM);
    }
    let result = run(dir, &["--format", "json", "."]);
    assert_eq!(result.code, Some(1), "{}", result.stderr);
    let files: Vec<String> = result.findings().into_iter().map(|(f, _)| f).collect();
    assert_eq!(
        files,
        [path.join("Dockerfile").to_string_lossy().into_owned()],
        "{}",
        result.stderr
    );
    let note = format!(
        "{}: a path of {} bytes, longer than the system takes; not walked",
        deeper.display(),
        deeper.as_os_str().len() + 2
    );
    assert!(result.stderr.contains(&note), "{}", result.stderr);
}

/// Many folders side by side under a long path: each is opened from its parent by its name
/// and kept as that name while it waits, so the cost follows the folders, not the folders
/// times the path (150,000 empty folders under a 3.8 KB path took 0.93 GB, each kept with its
/// whole path, and each opened by it).
#[test]
fn wide_trees_under_long_paths_are_walked() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    std::fs::create_dir_all(dir.join(".git")).expect("mkdir");
    let mut long = PathBuf::new();
    for level in 0..15 {
        long.push(format!("{level:03}{}", "x".repeat(240)));
    }
    let count = 3000;
    for i in 0..count {
        std::fs::create_dir_all(dir.join(&long).join(i.to_string())).expect("mkdir");
    }
    for i in [0, count / 2, count - 1] {
        write(
            dir,
            &long.join(format!("{i}/Dockerfile")).to_string_lossy(),
            SHELL_FORM,
        );
    }
    let started = Instant::now();
    let result = run(dir, &["--format", "json", "."]);
    let took = started.elapsed();
    assert_eq!(result.code, Some(1), "{}", result.stderr);
    assert_eq!(result.findings().len(), 3, "{}", result.stderr);
    assert_eq!(result.stderr, "", "{}", result.stderr);
    assert!(took < DEADLINE, "{took:?}");
}

/// With a low limit on open files (`ulimit -n 24`), the walk keeps fewer folders open and
/// opens the rest by their path: every folder is walked, and the output is the same as
/// without the limit. Folders kept open past the limit would each be lost, with a note.
#[test]
fn a_low_limit_on_open_files_loses_no_folder() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    // Eight chains 50 deep with four empty folders beside each folder of them: a thread going
    // down a chain keeps open each folder whose other folders still wait.
    for branch in 0..8 {
        let mut chain = PathBuf::from(format!("b{branch}"));
        for _ in 0..50 {
            for leaf in 0..4 {
                std::fs::create_dir_all(dir.join(&chain).join(format!("l{leaf}"))).expect("mkdir");
            }
            chain.push("d");
        }
        write(dir, &chain.join("Dockerfile").to_string_lossy(), SHELL_FORM);
    }
    let env = [("RAYON_NUM_THREADS", "4")];
    let args = ["--format", "json", "."];
    let free = run_within(dir, &args, &env, DEADLINE);
    let limited = run_wrapped(&["prlimit", "--nofile=24:24"], dir, &args, &env, DEADLINE);
    if limited.code.is_none() || limited.stderr.contains("prlimit:") {
        eprintln!("skipped: prlimit did not run ({})", limited.stderr.trim());
        return;
    }
    assert_eq!(free.code, Some(1), "{}", free.stderr);
    assert_eq!(free.findings().len(), 8, "{}", free.stderr);
    assert_eq!(limited.code, Some(1), "{}", limited.stderr);
    assert_eq!(limited.stdout, free.stdout);
    assert_eq!(limited.stderr, free.stderr);
    // More threads than the limit has room for: fewer folders are walked at once.
    let crowded = run_wrapped(
        &["prlimit", "--nofile=32:32"],
        dir,
        &args,
        &[("RAYON_NUM_THREADS", "16")],
        DEADLINE,
    );
    assert_eq!(crowded.stdout, free.stdout, "{}", crowded.stderr);
    assert_eq!(crowded.stderr, free.stderr);
}

/// A Kustomize patch is recognised by its path as written (`..` resolved by name), however
/// deep: the paths used to be resolved through the file system, a system call per folder,
/// which cost 16 to 20 s for a few hundred files a thousand folders deep.
#[test]
fn kustomize_patches_are_recognised_by_name() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    let deep = "p/".repeat(60);
    write(
        dir,
        "overlays/prod/kustomization.yaml",
        &format!(
            "resources:\n  - ../../base\npatches:\n  - path: ./replicas.yaml\n  - path: ../../{deep}patch.yaml\n"
        ),
    );
    let patch =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n";
    write(dir, "overlays/prod/replicas.yaml", patch);
    write(dir, &format!("{deep}patch.yaml"), patch);
    let result = run(dir, &["--format", "json", "."]);
    assert!(result.findings().is_empty(), "{}", result.stdout);
    for file in [
        "overlays/prod/replicas.yaml".to_string(),
        format!("{deep}patch.yaml"),
    ] {
        assert!(
            result.stderr.contains(&format!(
                "{file}: a Kustomize patch (partial objects); skipped"
            )),
            "{file}: {}",
            result.stderr
        );
    }
}

/// An ignore file is not read through a linked folder either: `.git/info` linked to a folder
/// outside the tree whose `exclude` says `*` hid every file without a word (only the file's
/// own name was checked for a link). `.git` linked out likewise.
#[test]
fn ignore_files_are_not_read_through_a_linked_folder() {
    let outside = tempfile::tempdir().expect("tempdir");
    write(outside.path(), "info/exclude", "*\n");
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    std::fs::create_dir_all(dir.join(".git")).expect("mkdir");
    symlink(outside.path().join("info"), &dir.join(".git/info"));
    symlink(outside.path(), &dir.join("sub/.git"));
    write(dir, "Dockerfile", SHELL_FORM);
    write(dir, "sub/Dockerfile", SHELL_FORM);
    let files = |run: &Run| -> Vec<String> { run.findings().into_iter().map(|(f, _)| f).collect() };

    let all = run(dir, &["--format", "json", "."]);
    assert_eq!(
        files(&all),
        ["Dockerfile", "sub/Dockerfile"],
        "{}",
        all.stderr
    );
    for note in [
        ".git/info/exclude: .git/info is a symbolic link; not followed; its patterns are not applied",
        "sub/.git/info/exclude: .git is a symbolic link; not followed; its patterns are not applied",
    ] {
        assert!(all.stderr.contains(note), "{note}: {}", all.stderr);
    }
    let sub = run(dir, &["--format", "json", "sub"]);
    assert_eq!(files(&sub), ["sub/Dockerfile"], "{}", sub.stderr);
    assert!(
        sub.stderr
            .contains("sub/.git/info/exclude: .git is a symbolic link"),
        "{}",
        sub.stderr
    );
}

/// A nested repository or a submodule (a folder with its own `.git`, a folder or a file)
/// starts over for `.gitignore` and `.git/info/exclude`, as in git: the repository's
/// `build/` hid `nested/build/Dockerfile` when the repository was scanned, not when `nested`
/// was. `.ignore` files apply across it, as in ripgrep, from either scan. Scanning the nested
/// repository alone finds what scanning the whole finds inside it.
#[test]
fn nested_repositories_start_over_for_gitignore_files() {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path();
    git_dir(&repo.join(".git"));
    git_dir(&repo.join("nested/.git"));
    write(repo, ".git/info/exclude", "*.local.Dockerfile\n");
    write(repo, ".gitignore", "build/\n");
    write(repo, ".ignore", "generated/\n");
    write(
        repo,
        "submodule/.git",
        "gitdir: ../.git/modules/submodule\n",
    );
    write(repo, "nested/.gitignore", "tmp/\n");
    for name in [
        "build/Dockerfile",
        "app.local.Dockerfile",
        "nested/build/Dockerfile",
        "nested/app.local.Dockerfile",
        "nested/generated/Dockerfile",
        "nested/tmp/Dockerfile",
        "submodule/build/Dockerfile",
        "submodule/generated/Dockerfile",
    ] {
        write(repo, name, SHELL_FORM);
    }
    let files = |run: &Run| -> Vec<String> { run.findings().into_iter().map(|(f, _)| f).collect() };

    let all = run(repo, &["--format", "json", "."]);
    assert_eq!(
        files(&all),
        [
            "nested/app.local.Dockerfile",
            "nested/build/Dockerfile",
            "submodule/build/Dockerfile"
        ],
        "{}",
        all.stderr
    );
    for folder in ["nested", "nested/build", "submodule", "submodule/build"] {
        let alone = run(repo, &["--format", "json", folder]);
        let inside: Vec<String> = files(&all)
            .into_iter()
            .filter(|file| file.starts_with(&format!("{folder}/")))
            .collect();
        assert_eq!(files(&alone), inside, "{folder}: {}", alone.stderr);
    }
}

/// A linked work tree (`.git` is a file, `gitdir: <main>/.git/worktrees/wt`, whose `commondir`
/// says `../..`) and a submodule (`gitdir: ../.git/modules/sub`) apply their repository's
/// `info/exclude`, as git does: from the common directory for the work tree, from the
/// submodule's own git directory (not the superproject's) for the submodule. Only the main
/// checkout applied it; the work tree linted `gen/Dockerfile` that git ignores there. The file
/// read outside the tree gets the checks of every ignore file: a FIFO there is never opened, a
/// link to `/dev/zero` never followed.
#[test]
fn linked_work_trees_and_submodules_apply_their_repositorys_exclude() {
    let root = tempfile::tempdir().expect("tempdir");
    let top = root.path();
    let main = top.join("main");
    write(
        &main,
        ".git/info/exclude",
        "gen/
",
    );
    write(
        &main,
        ".git/worktrees/wt/commondir",
        "../..
",
    );
    write(
        &main,
        ".git/worktrees/wt/HEAD",
        "ref: refs/heads/wt
",
    );
    let wt = top.join("wt");
    let gitdir = main.join(".git/worktrees/wt");
    write(&wt, ".git", &format!("gitdir: {}\n", gitdir.display()));
    write(&main, ".git/modules/sub/info/exclude", "tmp/\n");
    write(&main, "sub/.git", "gitdir: ../.git/modules/sub\n");
    for name in [
        "main/Dockerfile",
        "main/gen/Dockerfile",
        "wt/Dockerfile",
        "wt/gen/Dockerfile",
        "main/sub/gen/Dockerfile",
        "main/sub/tmp/Dockerfile",
    ] {
        write(top, name, SHELL_FORM);
    }
    let files = |run: &Run| -> Vec<String> { run.findings().into_iter().map(|(f, _)| f).collect() };
    let in_wt = run(&wt, &["--format", "json", "."]);
    assert_eq!(files(&in_wt), ["Dockerfile"], "{}", in_wt.stderr);
    let in_main = run(&main, &["--format", "json", "."]);
    assert_eq!(
        files(&in_main),
        ["Dockerfile", "sub/gen/Dockerfile"],
        "{}",
        in_main.stderr
    );
    let in_sub = run(&main.join("sub"), &["--format", "json", "."]);
    assert_eq!(files(&in_sub), ["gen/Dockerfile"], "{}", in_sub.stderr);
    // Scanned from below the work tree's top: the exclude of the folder above applies too.
    write(top, "wt/gen/deep/Dockerfile", SHELL_FORM);
    write(top, "wt/app/Dockerfile", SHELL_FORM);
    let below = run(&wt.join("app"), &["--format", "json", "."]);
    assert_eq!(files(&below), ["Dockerfile"], "{}", below.stderr);

    // The exclude a FIFO, then a link to /dev/zero: refused with a note, every file linted.
    let exclude = main.join(".git/info/exclude");
    std::fs::remove_file(&exclude).expect("rm exclude");
    if mkfifo(&exclude) {
        let fifo = run(&wt, &["--format", "json", "."]);
        assert_eq!(
            files(&fifo),
            [
                "Dockerfile",
                "app/Dockerfile",
                "gen/Dockerfile",
                "gen/deep/Dockerfile"
            ],
            "{}",
            fifo.stderr
        );
        assert!(
            fifo.stderr
                .contains("info/exclude: not a regular file; its patterns are not applied"),
            "{}",
            fifo.stderr
        );
        std::fs::remove_file(&exclude).expect("rm fifo");
    }
    symlink("/dev/zero", &exclude);
    let zero = run(&wt, &["--format", "json", "."]);
    assert_eq!(zero.findings().len(), 4, "{}", zero.stderr);
    assert!(
        zero.stderr
            .contains("info/exclude: a symbolic link; not followed; its patterns are not applied"),
        "{}",
        zero.stderr
    );
}

/// A linked work tree's `commondir` file over its 16 KiB limit is named with that limit: the
/// note said "over the 16384 byte limit (max-file-size)", a setting that is not its limit
/// (raising it changed nothing). (A `.git` file that long is no repository: git's test.)
#[test]
fn a_git_file_over_its_limit_names_its_own_limit() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(dir, ".git", "gitdir: gd\n");
    write(dir, "gd/HEAD", "ref: refs/heads/main\n");
    write(dir, "gd/objects/.keep", "");
    write(dir, "gd/refs/.keep", "");
    write(dir, "gd/commondir", &"a".repeat(1_100_000));
    write(dir, ".shutdownlint.toml", "max-file-size = \"32MiB\"\n");
    write(dir, "sub/Dockerfile", SHELL_FORM);
    let result = run(dir, &["--format", "json", "sub"]);
    assert!(
        result.stderr.contains(
            "commondir: 1100000 bytes, over the 1 MiB shutdownlint reads of a `commondir` file; the repository's info/exclude is not applied"
        ),
        "{}",
        result.stderr
    );
    assert!(
        !result.stderr.contains("max-file-size"),
        "{}",
        result.stderr
    );
}

/// A file reached from two path arguments (a folder and its parent, one spelled absolute; a
/// file named and its folder) is linted once, under the first argument's spelling: it was
/// linted twice, every finding reported under two paths.
#[test]
fn a_file_reached_from_two_paths_is_read_once() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(dir, "app/Dockerfile", SHELL_FORM);
    write(dir, "other/Dockerfile", SHELL_FORM);
    let app = dir.join("app");
    let app = app.to_str().expect("a UTF-8 temporary folder");
    let app_file = format!("{app}/Dockerfile");
    let files = |run: &Run| -> Vec<String> { run.findings().into_iter().map(|(f, _)| f).collect() };
    for (args, expected) in [
        (
            vec![".", app],
            vec!["app/Dockerfile".to_string(), "other/Dockerfile".to_string()],
        ),
        (
            vec![app, "."],
            vec![app_file.clone(), "other/Dockerfile".to_string()],
        ),
        (
            vec![&app_file, "."],
            vec![app_file.clone(), "other/Dockerfile".to_string()],
        ),
        (
            vec!["app/Dockerfile", app],
            vec!["app/Dockerfile".to_string()],
        ),
        (vec![app, "app/Dockerfile"], vec![app_file.clone()]),
    ] {
        let mut all = vec!["--format", "json"];
        all.extend(&args);
        let one = run_within(dir, &all, &[("RAYON_NUM_THREADS", "1")], DEADLINE);
        assert_eq!(files(&one), expected, "{args:?}: {}", one.stderr);
        let four = run_within(dir, &all, &[("RAYON_NUM_THREADS", "4")], DEADLINE);
        assert_eq!(one.stdout, four.stdout, "{args:?}");
    }
}

/// A scanned folder spelled with a doubled slash shows its files under the folder's name:
/// `.//sub` showed `/sub/a/Dockerfile` (another, absolute path) in every format.
#[test]
fn doubled_slashes_in_a_scanned_folder_are_shown_once() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(dir, "sub/a/Dockerfile", SHELL_FORM);
    for folder in [
        "sub", "sub/", "./sub", "./sub/", ".//sub", "sub//", ".//sub//", "././/sub",
    ] {
        let json = run(dir, &["--format", "json", folder]);
        assert_eq!(
            json.findings(),
            [("sub/a/Dockerfile".to_string(), "SL101".to_string())],
            "{folder}: {}",
            json.stderr
        );
        let human = run(dir, &[folder]);
        assert!(
            human.stdout.contains("[sub/a/Dockerfile:2:"),
            "{folder}: {}",
            human.stdout
        );
    }
}

/// An entrypoint script that cannot be read (permission denied, over the size cap, UTF-16)
/// gets a note saying so and that its rules are not checked: SL103 is never lost in silence.
#[test]
fn unreadable_entrypoint_scripts_get_a_note() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    let dockerfile = "FROM node:22-slim\nCOPY start.sh /start.sh\nENTRYPOINT [\"/start.sh\"]\n";
    let script = "#!/bin/sh\nnode server.js\n";
    write(dir, "big/Dockerfile", dockerfile);
    let mut big = String::from(script);
    big.push_str(&"# padding\n".repeat(2_000));
    write(dir, "big/start.sh", &big);
    write(dir, "wide/Dockerfile", dockerfile);
    let mut wide = vec![0xFF, 0xFE];
    wide.extend(script.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(dir.join("wide/start.sh"), wide).expect("write");
    write(dir, ".shutdownlint.toml", "max-file-size = \"4KiB\"\n");
    let run = run(dir, &["--format", "json", "."]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(run.findings().is_empty(), "{}", run.stdout);
    for note in [
        format!(
            "big/start.sh: {} bytes is over the 4096 byte limit (max-file-size); skipped (SL103 and the other script rules are not checked for it)",
            big.len()
        ),
        "wide/start.sh: encoded in UTF-16LE".to_string(),
    ] {
        assert!(run.stderr.contains(&note), "{note}\n{}", run.stderr);
    }

    write(dir, "locked/Dockerfile", dockerfile);
    let locked = write(dir, "locked/start.sh", script);
    set_mode(&locked, 0o000);
    let wrapper: &[&str] = if permissions_apply(&locked) {
        &[]
    } else if run_wrapped(&AS_NOBODY, dir, &["--version"], &[], DEADLINE).code == Some(0) {
        &AS_NOBODY
    } else {
        eprintln!("skipped the permission case: running as root without setpriv");
        return;
    };
    set_mode(dir, 0o755);
    for folder in ["big", "wide", "locked"] {
        set_mode(&dir.join(folder), 0o755);
    }
    let run = run_wrapped(wrapper, dir, &["--format", "json", "locked"], &[], DEADLINE);
    set_mode(&locked, 0o644);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "locked/start.sh: cannot read: Permission denied (os error 13) (SL103 and the other script rules are not checked for it)"
        ),
        "{}",
        run.stderr
    );
}

/// Whether a server's default config file (gunicorn.conf.py) is in a host folder a compose
/// service binds is looked up only inside the scanned folder, never through a link: a folder
/// outside (absolute, `..` above the scan, a link out) may hold one for all the scan knows, so
/// SL301 stays silent and the output never depends on files outside.
#[test]
fn default_config_files_are_looked_for_inside_the_scan_only() {
    let outside = tempfile::tempdir().expect("tempdir");
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path().join("repo");
    let compose = |volume: &str| {
        format!(
            "services:\n  web:\n    image: python:3.12-slim\n    working_dir: /app\n    volumes: [\"{volume}\"]\n    stop_grace_period: 20s\n    command: gunicorn --bind :8000 app:app\n"
        )
    };
    let absolute = format!("{}:/app", outside.path().display());
    write(&repo, "absolute/compose.yaml", &compose(&absolute));
    write(
        &repo,
        "above/compose.yaml",
        &compose("../../../sibling:/app"),
    );
    write(&repo, "linked/compose.yaml", &compose("./src:/app"));
    symlink(outside.path(), &repo.join("linked/src"));
    // Inside the scan, as before: `../src` of a compose file in a subfolder.
    write(&repo, "deploy/compose.yaml", &compose("../src:/app"));
    write(&repo, "src/app.py", "");
    let before = run(&repo, &["--format", "json", "."]);
    assert_eq!(
        before.findings(),
        [("deploy/compose.yaml".to_string(), "SL301".to_string())],
        "{}",
        before.stderr
    );
    write(outside.path(), "gunicorn.conf.py", "graceful_timeout = 5\n");
    write(
        root.path(),
        "sibling/gunicorn.conf.py",
        "graceful_timeout = 5\n",
    );
    let after = run(&repo, &["--format", "json", "."]);
    assert_eq!(
        (&before.stdout, &before.stderr),
        (&after.stdout, &after.stderr)
    );
    write(&repo, "src/gunicorn.conf.py", "graceful_timeout = 5\n");
    let inside = run(&repo, &["--format", "json", "."]);
    assert!(inside.findings().is_empty(), "{}", inside.stdout);
}

/// A compose build context outside the scanned folder is not read from: its entrypoint
/// scripts are not looked at (a note says so), and the Dockerfile it builds is not judged with
/// its own folder as context either.
#[test]
fn a_build_context_outside_the_scan_is_not_read() {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path().join("repo");
    write(
        &repo,
        "compose.yaml",
        "services:\n  web:\n    build:\n      context: ..\n      dockerfile: repo/Dockerfile\n",
    );
    let dockerfile = "FROM node:22-slim\nCOPY start.sh /start.sh\nENTRYPOINT [\"/start.sh\"]\n";
    write(&repo, "Dockerfile", dockerfile);
    // Both copies of the script would get SL103.
    write(root.path(), "start.sh", "#!/bin/sh\nnode server.js\n");
    write(&repo, "start.sh", "#!/bin/sh\nnode server.js\n");
    let run = run(&repo, &["--format", "json", "."]);
    assert!(run.findings().is_empty(), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("compose.yaml: the build context `..` is not a folder inside the scan"),
        "{}",
        run.stderr
    );
}

/// The Dockerfile a compose `build` names is matched by its path as written, cleaned: a path
/// through a folder outside the scan gives the same output whether that folder exists or not.
#[test]
fn a_dockerfile_named_through_an_outside_folder_is_matched_as_written() {
    let root = tempfile::tempdir().expect("tempdir");
    let repo = root.path().join("repo");
    write(
        &repo,
        "app/compose.yaml",
        "services:\n  web:\n    build:\n      context: ../../probe\n      dockerfile: ../repo/app/docker/Dockerfile\n    stop_grace_period: 2s\n",
    );
    write(
        &repo,
        "app/docker/Dockerfile",
        "FROM python:3.12\nCMD [\"gunicorn\", \"--graceful-timeout\", \"20\", \"app:app\"]\n",
    );
    let without = run(&repo, &["--format", "json", "app"]);
    std::fs::create_dir_all(root.path().join("probe")).expect("mkdir");
    let with = run(&repo, &["--format", "json", "app"]);
    assert_eq!(
        (&without.stdout, &without.stderr),
        (&with.stdout, &with.stderr)
    );
    assert_eq!(
        with.findings(),
        [("app/compose.yaml".to_string(), "SL301".to_string())]
    );
}

/// A `shutdownlint.dev/ignore` label of any definition of a merged compose service (the base
/// file's, the override file's, an extended service's) silences the findings about it wherever
/// they point, and counts as used.
#[test]
fn compose_ignore_labels_follow_the_merged_service() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    let label = "    labels:\n      shutdownlint.dev/ignore: \"SL301\"\n";
    let gunicorn = "    image: x\n    command: gunicorn --graceful-timeout 60 app\n";
    write(
        dir,
        "a/compose.yaml",
        &format!("services:\n  web:\n{gunicorn}{label}"),
    );
    write(
        dir,
        "a/compose.override.yaml",
        "services:\n  web:\n    stop_grace_period: 5s\n",
    );
    write(
        dir,
        "b/compose.yaml",
        &format!("services:\n  web:\n{gunicorn}    stop_grace_period: 5s\n"),
    );
    write(
        dir,
        "b/compose.override.yaml",
        &format!("services:\n  web:\n{label}"),
    );
    write(
        dir,
        "c/compose.yaml",
        "services:\n  tmpl:\n    image: x\n    labels: {shutdownlint.dev/ignore: \"SL301\"}\n  web:\n    extends: tmpl\n    command: gunicorn --graceful-timeout 60 app\n",
    );
    let run = run(dir, &["--format", "json", "."]);
    assert!(run.findings().is_empty(), "{}", run.stdout);
    // Without the labels each gets SL301.
    for file in ["a/compose.yaml", "b/compose.override.yaml"] {
        let text = std::fs::read_to_string(dir.join(file)).expect("read");
        std::fs::write(dir.join(file), text.replace(label, "")).expect("write");
    }
    let c = std::fs::read_to_string(dir.join("c/compose.yaml")).expect("read");
    std::fs::write(
        dir.join("c/compose.yaml"),
        c.replace("    labels: {shutdownlint.dev/ignore: \"SL301\"}\n", ""),
    )
    .expect("write");
    let run = run_within(dir, &["--format", "json", "."], &[], DEADLINE);
    let rules: Vec<String> = run.findings().into_iter().map(|(_, rule)| rule).collect();
    assert_eq!(rules, ["SL301", "SL301", "SL301"], "{}", run.stdout);
}

/// A compose file named alone (the pre-commit hook names the changed files) is judged with its
/// folder's default override file, as `docker compose up` there runs it, and an override file
/// named alone with its base file; never through a link, and only the pair compose reads.
#[test]
fn a_named_compose_file_is_merged_with_its_default_partner() {
    const BASE: &str = "services:\n  web:\n    image: python:3.12-slim\n    command: [gunicorn, app.wsgi]\n    healthcheck: {test: [CMD, 'true']}\n";
    const OVERRIDE: &str = "services:\n  web:\n    stop_grace_period: 45s\n";
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(dir, "app/compose.yaml", BASE);
    write(dir, "app/compose.override.yaml", OVERRIDE);
    for named in [
        "app/compose.yaml",
        "app/compose.override.yaml",
        "./app/../app/compose.yaml",
    ] {
        let result = run(dir, &["--format", "json", named]);
        assert_eq!(result.findings(), [], "{named}: {}", result.stderr);
        assert_eq!(result.code, Some(0), "{named}: {}", result.stderr);
    }
    // Both named: each read once.
    let both = run(
        dir,
        &[
            "--format",
            "json",
            "app/compose.override.yaml",
            "app/compose.yaml",
        ],
    );
    assert_eq!(both.findings(), [], "{}", both.stderr);
    let json: serde_json::Value = serde_json::from_str(&both.stdout).expect("JSON");
    assert_eq!(
        json["summary"]["files"].as_u64(),
        Some(2),
        "{}",
        both.stdout
    );

    // An override that is a link (out of the tree) is not followed: the base is judged alone,
    // with a note.
    let outside = tempfile::tempdir().expect("tempdir");
    write(outside.path(), "compose.override.yaml", OVERRIDE);
    write(dir, "linked/compose.yaml", BASE);
    symlink(
        outside.path().join("compose.override.yaml"),
        &dir.join("linked/compose.override.yaml"),
    );
    let linked = run(dir, &["--format", "json", "linked/compose.yaml"]);
    assert_eq!(
        linked.findings(),
        [("linked/compose.yaml".to_string(), "SL301".to_string())],
        "{}",
        linked.stderr
    );
    assert!(
        linked
            .stderr
            .contains("linked/compose.override.yaml: a symbolic link; not followed"),
        "{}",
        linked.stderr
    );

    // A docker-compose.yml beside a compose.yaml is not the file compose reads: no override.
    write(dir, "two/compose.yaml", "services: {}\n");
    write(dir, "two/docker-compose.yml", BASE);
    write(dir, "two/compose.override.yaml", OVERRIDE);
    let second = run(dir, &["--format", "json", "two/docker-compose.yml"]);
    assert_eq!(
        second.findings(),
        [("two/docker-compose.yml".to_string(), "SL301".to_string())],
        "{}",
        second.stderr
    );
}

/// An `-f` overlay named alone (`compose.prod.yaml`, the pre-commit hook naming the changed
/// file) is judged merged over the base file it is given after: the base file's grace period
/// counts, not compose's 10 s default.
#[test]
fn a_named_compose_overlay_is_merged_over_its_base_file() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path();
    write(
        dir,
        "app/compose.yaml",
        "services:\n  web:\n    build: .\n    command: gunicorn --graceful-timeout 30 app.wsgi\n    stop_grace_period: 60s\n    healthcheck: {test: [CMD, 'true']}\n",
    );
    write(
        dir,
        "app/compose.prod.yaml",
        "services:\n  web:\n    image: registry.example.com/app/web:1.2.0\n    command: gunicorn --graceful-timeout 30 --workers 4 app.wsgi\n",
    );
    let result = run(dir, &["--format", "json", "app/compose.prod.yaml"]);
    assert_eq!(result.findings(), [], "{}", result.stderr);
    let json: serde_json::Value = serde_json::from_str(&result.stdout).expect("JSON");
    assert_eq!(
        json["summary"]["files"].as_u64(),
        Some(2),
        "{}",
        result.stdout
    );
}
