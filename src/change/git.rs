//! The few git queries change mode needs, each one `git` process for the whole change (never one
//! per file). git runs with options that keep it from executing anything configured in the scanned
//! repository (external diff drivers, also inside submodules, textconv filters, fsmonitor hooks)
//! and from reaching the network (lazy fetches of a partial clone), and every git process has a
//! deadline, so a repository that makes git wait (a FIFO for `.git/HEAD`, a configuration
//! `include` of one) ends change mode with an error instead of a hang.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long all of one change's git processes together may take. Change mode's queries take
/// milliseconds on ordinary repositories and a few seconds on very large ones (a merge base deep
/// in a long history, rename detection over thousands of changed files); 30 s leaves a wide
/// margin for those and for a loaded CI machine, and still ends a run that git would never
/// finish long before a CI job's own timeout (hours).
const BUDGET: Duration = Duration::from_secs(30);

/// How long one query that reads only configuration and refs (`git rev-parse`) may take. It
/// takes milliseconds; when it does not end, something in the repository's git files blocks
/// reading (a FIFO or device, or a configuration `include` of one), and change mode gives up
/// soon enough for the run to end within a few seconds.
const QUICK: Duration = Duration::from_secs(3);

/// The most one git process may write to stdout. Change mode reads names, the `-U0` diff of the
/// migrations the change modified and, with `cat-file`, the migrations themselves (each at most
/// the size cap); a real change is a small fraction of this. Past it, git's output pipe is
/// closed (git ends) and change mode gives up with an error, instead of holding a diff of
/// gigabytes of committed data in memory.
pub(crate) const MAX_OUTPUT: usize = 128 << 20;

/// The most of git's stderr that is kept (only its first line is shown).
const MAX_STDERR: usize = 64 << 10;

/// Why change mode cannot run; printed as an error (exit 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitError(pub String);

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How git reports a changed path (`git diff --raw`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Added,
    Modified,
    Deleted,
    /// Renamed (the old path is kept in [`Entry::old_path`]).
    Renamed,
    /// Copied from another path.
    Copied,
    /// The type changed (a file became a symlink, ...).
    TypeChanged,
}

impl Status {
    fn parse(token: &str) -> Option<Status> {
        Some(match token.as_bytes().first()? {
            b'A' => Status::Added,
            b'M' => Status::Modified,
            b'D' => Status::Deleted,
            b'R' => Status::Renamed,
            b'C' => Status::Copied,
            b'T' => Status::TypeChanged,
            _ => return None,
        })
    }

    pub fn verb(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Modified => "modified",
            Status::Deleted => "deleted",
            Status::Renamed => "renamed",
            Status::Copied => "copied",
            Status::TypeChanged => "changed",
        }
    }
}

/// One changed path, relative to the repository root, `/`-separated as git prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub status: Status,
    /// As shown: a name that is not UTF-8 has U+FFFD in place of its bytes.
    pub path: String,
    /// The same path with its bytes as git wrote them, to find it on disk (`path` names no
    /// file when it is not UTF-8).
    pub bytes: PathBuf,
    pub old_path: Option<String>,
    /// The blob on the base side (full object id); `None` for an added path, a submodule, or
    /// what git did not name.
    pub old_blob: Option<String>,
    /// The blob at HEAD, likewise (`None` for a deleted path).
    pub new_blob: Option<String>,
}

/// Per path, the 1-based inclusive line ranges a change added or modified.
pub type ChangedLines = Vec<(String, Vec<(u32, u32)>)>;

/// A repository and the merge base of a change.
#[derive(Debug, Clone)]
pub struct Repo {
    /// The top of the work tree (canonical).
    pub root: PathBuf,
    /// The repository (`.git`, or what a `.git` file names), given to every git process.
    git_dir: PathBuf,
    /// When the git processes of this change must have ended ([`BUDGET`] after discovery).
    deadline: Instant,
}

impl Repo {
    /// The repository that holds `dir`: the nearest `.git` directory or `gitdir:` file at or
    /// above it, which change mode checks and then names to git explicitly (`--git-dir`,
    /// `--work-tree`). git's own discovery would also take a folder that looks like a bare
    /// repository (`HEAD`, `config`, `objects/`, `refs/`) for one, and a change can commit such
    /// a folder, with its configuration, under the linted path.
    pub fn discover(dir: &Path) -> Result<Repo, GitError> {
        let deadline = Instant::now() + BUDGET;
        let not_inside = |why: &str| {
            GitError(format!(
                "`{}` is not inside a git repository: change mode (--diff) compares commits, so it needs the repository's history ({why})",
                dir.display()
            ))
        };
        let Some(found) = locate(dir)? else {
            return Err(not_inside("no `.git` in it or above it"));
        };
        check_git_files(&found.git_dir)?;
        // git's discovery from the top of the work tree finds the same `.git` (a committed
        // folder is below the top, never looked at) and refuses a repository of another owner
        // (`safe.directory`), which an explicit `--git-dir` would not.
        let out = run(
            &found.top,
            None,
            &["rev-parse", "--absolute-git-dir", "--show-toplevel"],
            None,
            QUICK,
        )?;
        if !out.status.success() {
            return Err(not_inside(&first_line(&out.stderr)));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        let (git_dir, top) = (
            PathBuf::from(lines.next().unwrap_or("")),
            PathBuf::from(lines.next().unwrap_or("")),
        );
        let same = |a: &Path, b: &Path| {
            a.canonicalize()
                .ok()
                .is_some_and(|a| b.canonicalize().is_ok_and(|b| a == b))
        };
        if !same(&git_dir, &found.git_dir) || !same(&top, &found.top) {
            return Err(GitError(format!(
                "git takes `{}` (work tree `{}`) for the repository of `{}`, not `{}` (work tree `{}`); change mode only runs git on the repository it checked",
                git_dir.display(),
                top.display(),
                dir.display(),
                found.git_dir.display(),
                found.top.display()
            )));
        }
        let root = found.top.canonicalize().unwrap_or(found.top);
        let git_dir = found.git_dir.canonicalize().unwrap_or(found.git_dir);
        Ok(Repo {
            root,
            git_dir,
            deadline,
        })
    }

    /// How long the next git process may run: what is left of the budget, at most `cap`.
    fn limit(&self, cap: Duration) -> Duration {
        self.deadline
            .saturating_duration_since(Instant::now())
            .min(cap)
    }

    /// A git process that walks history or reads blobs: it may use the rest of the budget.
    fn git(&self, args: &[&str]) -> Result<Output, GitError> {
        run(
            &self.root,
            Some(&self.git_dir),
            args,
            None,
            self.limit(BUDGET),
        )
    }

    /// A `git rev-parse` query: configuration and refs only, so it ends quickly or never.
    fn quick(&self, args: &[&str]) -> Result<Output, GitError> {
        run(
            &self.root,
            Some(&self.git_dir),
            args,
            None,
            self.limit(QUICK),
        )
    }

    fn is_shallow(&self) -> bool {
        self.quick(&["rev-parse", "--is-shallow-repository"])
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "true")
    }

    /// The commit `base` names, or an error that says how to make it available.
    pub fn resolve(&self, base: &str) -> Result<String, GitError> {
        if base.is_empty() || base.starts_with('-') {
            return Err(GitError(format!(
                "`{base}` is not a revision: --diff takes a branch, tag or commit (e.g. origin/main)"
            )));
        }
        let spec = format!("{base}^{{commit}}");
        let out = self.quick(&[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ])?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).trim().to_string());
        }
        let mut message = format!("unknown revision `{base}`: git has no commit by that name");
        let remote = format!("origin/{base}");
        let remote_spec = format!("{remote}^{{commit}}");
        if !base.contains('/')
            && self
                .quick(&[
                    "rev-parse",
                    "--verify",
                    "--quiet",
                    "--end-of-options",
                    &remote_spec,
                ])
                .is_ok_and(|o| o.status.success())
        {
            message.push_str(&format!("; did you mean `--diff {remote}`?"));
        } else if self.is_shallow() {
            message.push_str(&format!(
                "; this clone is shallow, fetch the base first ({}), or check out with full history (`actions/checkout` with `fetch-depth: 0`)",
                self.fetch_hint(base)
            ));
        } else {
            message.push_str(&format!("; fetch it first ({})", self.fetch_hint(base)));
        }
        Err(GitError(message))
    }

    /// `base` as a remote-tracking branch: the remote (one this repository has) and the
    /// branch's name there (`origin/main` → `origin`, `main`).
    fn remote_branch<'b>(&self, base: &'b str) -> Option<(&'b str, &'b str)> {
        let (remote, branch) = base.split_once('/')?;
        if remote.is_empty() || branch.is_empty() {
            return None;
        }
        let remotes = self.quick(&["remote"]).ok()?;
        String::from_utf8_lossy(&remotes.stdout)
            .lines()
            .any(|line| line == remote)
            .then_some((remote, branch))
    }

    /// How to fetch `base`: a remote-tracking branch (`origin/main`) from its remote into its
    /// own name; any other name as a branch of `origin` into `origin/<name>` (a plain
    /// `git fetch origin main` stores only FETCH_HEAD in a single-branch clone), or as a tag.
    fn fetch_hint(&self, base: &str) -> String {
        match self.remote_branch(base) {
            Some((remote, branch)) => format!(
                "`git fetch {remote} refs/heads/{branch}:refs/remotes/{remote}/{branch}`"
            ),
            None => format!(
                "a branch with `git fetch origin refs/heads/{base}:refs/remotes/origin/{base}`, then `--diff origin/{base}`; a tag with `git fetch origin tag {base}`"
            ),
        }
    }

    /// The merge base of `base` (a resolved commit) and HEAD: where the change starts, as in
    /// `git diff BASE...HEAD`.
    pub fn merge_base(&self, base_name: &str, base: &str) -> Result<String, GitError> {
        let out = self.git(&["merge-base", base, "HEAD"])?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).trim().to_string());
        }
        if self.is_shallow() {
            return Err(GitError(format!(
                "`{base_name}` and HEAD have no merge base in this shallow clone: the history that joins them was not fetched; check out with full history (`actions/checkout` with `fetch-depth: 0`) or run `git fetch --unshallow`"
            )));
        }
        Err(GitError(format!(
            "`{base_name}` and HEAD have no common history, so there is no change to compare ({})",
            first_line(&out.stderr)
        )))
    }

    /// Paths changed between `from` and HEAD, with renames and copies detected, and the blobs
    /// on both sides (read later by object id: a lookup by `REV:path` searches the path's
    /// folder, and 20,000 of them in one folder took the whole budget).
    pub fn changed(&self, from: &str) -> Result<Vec<Entry>, GitError> {
        let out = self.git(&[
            "diff",
            "--raw",
            "--no-abbrev",
            "-z",
            "-M",
            "-C",
            "--no-ext-diff",
            "--no-textconv",
            "--submodule=short",
            "--no-color",
            from,
            "HEAD",
            "--",
        ])?;
        if !out.status.success() {
            return Err(GitError(format!(
                "git diff failed: {}",
                first_line(&out.stderr)
            )));
        }
        Ok(parse_raw(&out.stdout))
    }

    /// For each path, the line ranges (1-based, inclusive) on HEAD's side that the change added
    /// or modified. `changed` is every path the change touches (both names of a rename), from
    /// [`Repo::changed`].
    pub fn changed_lines(
        &self,
        from: &str,
        paths: &[&str],
        changed: &[&str],
    ) -> Result<ChangedLines, GitError> {
        if paths.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec![
            "diff",
            "-U0",
            "-M",
            "--no-ext-diff",
            "--no-textconv",
            // A submodule has no lines, and its diff would be a `git diff` run inside the
            // submodule without these options (diff drivers from its configuration).
            "--submodule=short",
            "--ignore-submodules=all",
            // `-diff` (binary) attributes must not hide changed lines.
            "--text",
            "--no-color",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            from,
            "HEAD",
            "--",
        ];
        let specs = pathspecs(paths, changed);
        args.extend(specs.iter().map(String::as_str));
        let out = self.git(&args)?;
        if !out.status.success() {
            return Err(GitError(format!(
                "git diff failed: {}",
                first_line(&out.stderr)
            )));
        }
        Ok(parse_hunks(&String::from_utf8_lossy(&out.stdout)))
    }

    /// The size of each blob (`None`: no blob given, or not a blob), with one `git cat-file`
    /// process.
    pub fn blob_sizes(&self, blobs: &[Option<&str>]) -> Result<Vec<Option<u64>>, GitError> {
        let input = batch_input(blobs, &vec![true; blobs.len()]);
        if input.is_empty() {
            return Ok(vec![None; blobs.len()]);
        }
        let out = run(
            &self.root,
            Some(&self.git_dir),
            &["cat-file", "--batch-check"],
            Some(&input),
            self.limit(BUDGET),
        )?;
        let out = String::from_utf8_lossy(&out.stdout);
        let mut lines = out.lines();
        Ok(blobs
            .iter()
            .map(|blob| {
                blob.filter(|b| is_object_id(b))?;
                match object_header(lines.next()?)? {
                    ("blob", size) => Some(size),
                    _ => None,
                }
            })
            .collect())
    }

    /// The content of each blob whose `read` is true (`None` for the others, and for what is
    /// not a blob), with one `git cat-file` process.
    pub fn read_blobs(
        &self,
        blobs: &[Option<&str>],
        read: &[bool],
    ) -> Result<Vec<Option<String>>, GitError> {
        let request = batch_input(blobs, read);
        let contents = if request.is_empty() {
            Vec::new()
        } else {
            let out = run(
                &self.root,
                Some(&self.git_dir),
                &["cat-file", "--batch"],
                Some(&request),
                self.limit(BUDGET),
            )?;
            parse_batch(&out.stdout)
        };
        let mut contents = contents.into_iter();
        Ok(blobs
            .iter()
            .zip(read)
            .map(|(blob, &read)| {
                if read && blob.is_some_and(is_object_id) {
                    contents.next().flatten()
                } else {
                    None
                }
            })
            .collect())
    }
}

/// Pathspecs that select exactly `paths` among the `changed` paths: a folder where every changed
/// path under it is wanted stands for them (git compares each tree entry with every pathspec,
/// and 20,000 migrations changed in one folder took 4 s of CPU as 20,000 names), other paths
/// are named one by one.
fn pathspecs(paths: &[&str], changed: &[&str]) -> Vec<String> {
    use std::collections::{HashMap, HashSet};
    let changed: HashSet<&str> = changed.iter().copied().collect();
    let wanted: HashSet<&str> = paths.iter().copied().collect();
    // How many changed (and wanted) paths a pathspec of each folder matches: the paths under
    // it, and a path of that name (a file on one side, a folder on the other).
    let mut under_changed: HashMap<&str, usize> = HashMap::new();
    let mut under_wanted: HashMap<&str, usize> = HashMap::new();
    for &path in &changed {
        let counts_wanted = wanted.contains(path);
        let prefixes = path.match_indices('/').map(|(i, _)| &path[..i]);
        for prefix in prefixes.chain(std::iter::once(path)) {
            *under_changed.entry(prefix).or_default() += 1;
            if counts_wanted {
                *under_wanted.entry(prefix).or_default() += 1;
            }
        }
    }
    let mut seen = HashSet::new();
    let mut specs = Vec::new();
    for &path in paths {
        // Outermost first: `a`, then `a/b`, for `a/b/c`.
        let folder = changed
            .contains(path)
            .then(|| {
                path.match_indices('/')
                    .map(|(i, _)| &path[..i])
                    .find(|folder| under_wanted.get(folder) == under_changed.get(folder))
            })
            .flatten();
        let spec = folder.unwrap_or(path);
        // A name that is not UTF-8 arrives with U+FFFD in place of its bytes, a spelling that
        // names no file: its closest folder spelled exactly stands for it (hunks are matched to
        // paths by the same spelling), or the whole tree.
        let spec = if spec.contains('\u{FFFD}') {
            spec.match_indices('/')
                .map(|(i, _)| &spec[..i])
                .rev()
                .find(|folder| !folder.contains('\u{FFFD}'))
                .unwrap_or(".")
        } else {
            spec
        };
        if seen.insert(spec) {
            specs.push(if spec == "." {
                ".".to_string()
            } else {
                format!(":(literal){spec}")
            });
        }
    }
    specs
}

/// Whether `text` is a full object id (SHA-1 or SHA-256), as `cat-file` input takes it.
fn is_object_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `cat-file` input: one object id a line, for each wanted blob that is an object id.
fn batch_input(blobs: &[Option<&str>], wanted: &[bool]) -> String {
    let mut input = String::new();
    for (blob, _) in blobs.iter().zip(wanted).filter(|(_, &w)| w) {
        if let Some(blob) = blob.filter(|b| is_object_id(b)) {
            input.push_str(blob);
            input.push('\n');
        }
    }
    input
}

/// Configuration given on git's command line, which overrides the scanned repository's own (and
/// reaches the git processes git starts, through `GIT_CONFIG_PARAMETERS`). The queries change
/// mode makes (`rev-parse`, `merge-base`, a diff of two commits, `cat-file` without `--filters`
/// or `--textconv`) never run hooks, clean/smudge filters, a pager or an editor; these close the
/// ways left for a repository's configuration to start a program, read a file that never ends,
/// or reach the network.
const SAFE_CONFIG: &[&str] = &[
    // fsmonitor hooks (only for the index, which these queries do not read; in case a future one
    // does).
    "core.fsmonitor=false",
    // Hooks: none of these commands runs one; in case a future one does.
    "core.hooksPath=/dev/null",
    // An external diff program (with `--no-ext-diff` on each diff).
    "diff.external=",
    // `diff.submodule=diff` makes a diff of a submodule a `git diff` run inside the submodule,
    // without `--no-ext-diff` or `--no-textconv`: the submodule's own configuration and
    // attributes could then name a program to run.
    "diff.submodule=short",
    "submodule.recurse=false",
    // No transport at all: a lazy fetch of a partial clone (also where git is older than
    // `GIT_NO_LAZY_FETCH`), `core.sshCommand`, `remote.*.uploadpack`, credential helpers and
    // proxy commands all need one.
    "protocol.allow=never",
    // Files the configuration can name that a diff reads: not a FIFO or `/dev/zero` of the
    // repository's choosing. Attributes come from the commit, not from the work tree.
    "diff.orderFile=/dev/null",
    "core.attributesFile=/dev/null",
    "attr.tree=HEAD",
    // Never a repository found by discovery that has no `.git` (a committed folder that looks
    // like a bare repository), in git or in a git process it starts (git 2.38 and later; older
    // versions ignore the setting). Change mode names its repository with `--git-dir`.
    "safe.bareRepository=explicit",
    // Paths with bytes over 0x7f as they are (control characters, `"` and `\` are still quoted).
    "core.quotePath=false",
];

/// Run git in `dir` without a pager, prompts, lazy fetches, external diff programs or fsmonitor,
/// killing it when it has not ended after `limit`. With `git_dir`, git uses that repository and
/// `dir` as its work tree, and discovers nothing.
fn run(
    dir: &Path,
    git_dir: Option<&Path>,
    args: &[&str],
    stdin: Option<&str>,
    limit: Duration,
) -> Result<Output, GitError> {
    run_capped(dir, git_dir, args, stdin, limit, MAX_OUTPUT)
}

/// [`run`], keeping at most `cap` bytes of stdout.
fn run_capped(
    dir: &Path,
    git_dir: Option<&Path>,
    args: &[&str],
    stdin: Option<&str>,
    limit: Duration,
    cap: usize,
) -> Result<Output, GitError> {
    let started = Instant::now();
    let mut command = Command::new("git");
    command.arg("-C").arg(dir).arg("--no-pager");
    if let Some(git_dir) = git_dir {
        let mut option = std::ffi::OsString::from("--git-dir=");
        option.push(git_dir);
        command.arg(option);
        let mut option = std::ffi::OsString::from("--work-tree=");
        option.push(dir);
        command.arg(option);
    }
    for setting in SAFE_CONFIG {
        command.arg("-c").arg(setting);
    }
    command
        .args(args)
        .env("GIT_NO_LAZY_FETCH", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_PROTOCOL_FROM_USER", "0")
        .env("LC_ALL", "C")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_COMMON_DIR")
        // Pathspecs are `:(literal)` and case-sensitive, whatever the environment says.
        .env_remove("GIT_ICASE_PATHSPECS")
        .env_remove("GIT_GLOB_PATHSPECS")
        .env_remove("GIT_NOGLOB_PATHSPECS")
        .env_remove("GIT_LITERAL_PATHSPECS")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(|e| {
        GitError(if e.kind() == std::io::ErrorKind::NotFound {
            "git is not installed (or not on PATH): change mode (--diff) needs it".to_string()
        } else {
            format!("cannot run git: {e}")
        })
    })?;
    // stdin is written and stdout and stderr are read on threads: git can fill one pipe while
    // waiting on another, and the deadline is kept here. The threads are not waited for after a
    // timeout (a pipe can stay open), they end with the pipes or with the process.
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let text = text.to_string();
        std::thread::spawn(move || {
            let _ = pipe.write_all(text.as_bytes());
        });
    }
    let stdout = read_on_thread(child.stdout.take(), cap);
    let stderr = read_on_thread(child.stderr.take(), MAX_STDERR);
    let deadline = started + limit;
    let timed_out = |child: &mut std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
        GitError(format!(
            "`git {}` did not finish in time and was stopped after {:.1} s (change mode gives git {} s in all, {} s for a `rev-parse`): either git was still working on a very large change (thousands of changed files to match for renames, or huge migrations), or something in the repository keeps git waiting (a FIFO or device file in `.git`, or a configuration `include` of one)",
            args.first().copied().unwrap_or(""),
            started.elapsed().as_secs_f32(),
            BUDGET.as_secs(),
            QUICK.as_secs()
        ))
    };
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(GitError(format!("cannot run git: {e}")));
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(timed_out(&mut child));
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    // git has ended; a process it started could still hold the pipes open. The readers get a
    // moment past the deadline to drain what git wrote just before it.
    let drained_by = deadline.max(Instant::now()) + Duration::from_millis(250);
    let mut collect = |pipe: mpsc::Receiver<(Vec<u8>, bool)>| {
        pipe.recv_timeout(drained_by.saturating_duration_since(Instant::now()))
            .map_err(|_| timed_out(&mut child))
    };
    let (stdout, too_much) = collect(stdout)?;
    let (stderr, _) = collect(stderr)?;
    if too_much {
        return Err(GitError(format!(
            "`git {}` wrote more than {} MiB, shutdownlint's limit for one git query in change mode: the change holds more data than a migration review needs (huge generated or binary files under the migration paths? narrow `[migrations] paths` or exclude them)",
            args.first().copied().unwrap_or(""),
            cap >> 20
        )));
    }
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Read a pipe on a thread, to its end or to `cap` bytes; the bytes arrive on the channel, with
/// `true` when there was more. Past the cap the pipe is closed, so git's next write fails and git
/// ends instead of waiting for a reader.
fn read_on_thread(
    pipe: Option<impl Read + Send + 'static>,
    cap: usize,
) -> mpsc::Receiver<(Vec<u8>, bool)> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut more = false;
        if let Some(pipe) = pipe {
            let limit = u64::try_from(cap).unwrap_or(u64::MAX).saturating_add(1);
            let _ = pipe.take(limit).read_to_end(&mut bytes);
            if bytes.len() > cap {
                bytes.truncate(cap);
                more = true;
            }
        }
        let _ = send.send((bytes, more));
    });
    receive
}

/// Where a repository was found: the top of its work tree and its git directory.
struct Located {
    top: PathBuf,
    git_dir: PathBuf,
}

/// The most of a git file change mode reads itself (`.git` as a file, `commondir`, `HEAD`):
/// each is one line of a path or a ref.
const MAX_GIT_FILE: u64 = 64 * 1024;

/// The first line of a small git file (`.git` as a file, `commondir`, `HEAD`), bounded. It is
/// checked like the git files git reads ([`check_git_file`]) and opened non-blocking: a file
/// that passes for a regular one but waits for data (`/proc/kmsg` behind a link) fails at once
/// instead of holding the run before any git process, and its deadline, has started.
fn first_line_of(path: &Path) -> Result<String, GitError> {
    check_git_file(path)?;
    let unreadable = |e: std::io::Error| {
        GitError(format!(
            "cannot read `{}` ({e}): change mode does not run git in this repository",
            path.display()
        ))
    };
    let file = crate::open_nonblocking(path).map_err(unreadable)?;
    if !file.metadata().map_err(unreadable)?.is_file() {
        return Err(not_regular(path));
    }
    let mut bytes = Vec::new();
    file.take(MAX_GIT_FILE)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    let text = String::from_utf8_lossy(&bytes);
    Ok(text.lines().next().unwrap_or("").trim().to_string())
}

fn not_regular(path: &Path) -> GitError {
    GitError(format!(
        "`{}` is not a regular file (a FIFO, socket or device?): git would wait on it or read it without end, so change mode does not run git in this repository",
        path.display()
    ))
}

/// Refuse a git file (or folder) that git would wait on forever or read without end: one that
/// is not a regular file or a directory (a FIFO, socket or device), or that resolves, through
/// links, into `/proc` or `/sys`. A missing file (or a dangling link) passes: that is for git
/// to report. A link to a regular file elsewhere passes too (`git-new-workdir` links `config`,
/// `packed-refs` and `refs` to another repository's), as does what a `.git` file's `gitdir:`
/// names (a linked work tree's or a submodule's git directory lives outside the work tree).
fn check_git_file(path: &Path) -> Result<(), GitError> {
    // `metadata` follows symbolic links, and neither it nor `canonicalize` opens the file.
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    if !meta.is_file() && !meta.is_dir() {
        return Err(not_regular(path));
    }
    if let Some(target) = crate::kernel_file(path) {
        return Err(GitError(format!(
            "`{}` is `{}`, a file of the kernel, not a git file: reading it can wait forever, so change mode does not run git in this repository",
            path.display(),
            target.display()
        )));
    }
    Ok(())
}

/// The repository of `dir`: the nearest `.git` at or above it that git takes for one
/// ([`super::paths::is_repository`]: a directory with `HEAD`, `objects` and `refs`, or a
/// `gitdir:` file of a linked work tree or a submodule), a link to one followed. `None` when
/// there is none. Any other `.git` (an empty folder, a file of another kind, a FIFO) leaves
/// its folder in the repository around it, as git does.
fn locate(dir: &Path) -> Result<Option<Located>, GitError> {
    let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    for ancestor in dir.ancestors() {
        let dotgit = ancestor.join(".git");
        // Missing (or a dangling link, which git skips too): look further up.
        let Ok(meta) = std::fs::metadata(&dotgit) else {
            continue;
        };
        if !meta.is_dir() && !meta.is_file() {
            continue;
        }
        // Before it is looked into: not a folder or file of the kernel behind a link.
        check_git_file(&dotgit)?;
        if meta.is_dir() {
            if !super::paths::is_repository(&dotgit, true) {
                continue;
            }
            return Ok(Some(Located {
                top: ancestor.to_path_buf(),
                git_dir: dotgit,
            }));
        }
        let line = first_line_of(&dotgit)?;
        if !super::paths::is_repository(&dotgit, true) {
            continue;
        }
        let target = line
            .strip_prefix("gitdir:")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| ancestor.join(t));
        return match target {
            Some(git_dir) if git_dir.is_dir() => {
                check_git_file(&git_dir)?;
                Ok(Some(Located {
                    top: ancestor.to_path_buf(),
                    git_dir,
                }))
            }
            _ => Err(GitError(format!(
                "`{}` names no repository (a `.git` file says `gitdir: <path>` of a directory)",
                dotgit.display()
            ))),
        };
    }
    Ok(None)
}

/// Refuse a repository whose git files git would wait on forever or read without end, before
/// starting git: in `git_dir` and in its common directory (a linked work tree's), `HEAD`,
/// `config`, `commondir`, `packed-refs`, `shallow`, `info/attributes`, `info/grafts`,
/// `objects/info/alternates` and the branch file `HEAD` names must pass [`check_git_file`]
/// when they exist. Anything git reads later (a configuration `include`, what an alternates
/// file names) is covered by the deadline of each git process.
fn check_git_files(git_dir: &Path) -> Result<(), GitError> {
    for name in ["HEAD", "config", "config.worktree", "commondir"] {
        check_git_file(&git_dir.join(name))?;
    }
    let commondir = git_dir.join("commondir");
    let common = if commondir.is_file() {
        let line = first_line_of(&commondir)?;
        if line.is_empty() {
            git_dir.to_path_buf()
        } else {
            let common = git_dir.join(line);
            check_git_file(&common)?;
            common
        }
    } else {
        git_dir.to_path_buf()
    };
    let files = [
        "HEAD",
        "config",
        "packed-refs",
        "shallow",
        "info/attributes",
        "info/grafts",
        "objects/info/alternates",
    ];
    for name in files {
        check_git_file(&common.join(name))?;
    }
    // The branch HEAD names (`ref: refs/heads/main`), read by every query that names HEAD.
    let head = git_dir.join("HEAD");
    if head.is_file() {
        let line = first_line_of(&head)?;
        if let Some(name) = line.strip_prefix("ref:").map(str::trim).filter(|name| {
            name.starts_with("refs/") && name.split('/').all(|c| !c.is_empty() && c != "..")
        }) {
            check_git_file(&git_dir.join(name))?;
            check_git_file(&common.join(name))?;
        }
    }
    Ok(())
}

fn first_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().next().unwrap_or("").trim();
    line.strip_prefix("fatal: ").unwrap_or(line).to_string()
}

/// `git diff --raw -z --no-abbrev`: `:OLDMODE NEWMODE OLDID NEWID STATUS\0path\0` or, for
/// renames and copies, `...R100\0old\0new\0`. Object ids of zeros (no blob on that side) and
/// of submodules (mode 160000, a commit of another repository) are left out.
pub fn parse_raw(bytes: &[u8]) -> Vec<Entry> {
    let mut fields = bytes.split(|&b| b == 0);
    let lossy = |field: &[u8]| String::from_utf8_lossy(field).into_owned();
    let mut entries = Vec::new();
    while let Some(token) = fields.next() {
        let token = lossy(token);
        let Some(header) = token.strip_prefix(':') else {
            continue;
        };
        let words: Vec<&str> = header.split(' ').collect();
        let [old_mode, new_mode, old_id, new_id, status] = words[..] else {
            continue;
        };
        let blob = |mode: &str, id: &str| {
            (mode != "160000" && is_object_id(id) && id.bytes().any(|b| b != b'0'))
                .then(|| id.to_string())
        };
        let (old_blob, new_blob) = (blob(old_mode, old_id), blob(new_mode, new_id));
        let Some(status) = Status::parse(status) else {
            // Unknown status letters (U, X): skip the path that follows.
            fields.next();
            continue;
        };
        let Some(first) = fields.next() else { break };
        if matches!(status, Status::Renamed | Status::Copied) {
            let Some(second) = fields.next() else { break };
            entries.push(Entry {
                status,
                path: lossy(second),
                bytes: path_of_bytes(second),
                old_path: Some(lossy(first)),
                old_blob,
                new_blob,
            });
        } else {
            entries.push(Entry {
                status,
                path: lossy(first),
                bytes: path_of_bytes(first),
                old_path: None,
                old_blob,
                new_blob,
            });
        }
    }
    entries
}

/// A path git wrote, its bytes as they are (on unix; elsewhere paths are UTF-8 on disk).
fn path_of_bytes(bytes: &[u8]) -> PathBuf {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
    }
}

/// Hunks of a `git diff -U0`: for each file on the new side, the added or changed line ranges.
///
/// Each hunk header says how many lines its body has, so body lines are never read as headers:
/// an added line `++ x` is `+++ x` in the diff, and must not start a file.
fn parse_hunks(diff: &str) -> ChangedLines {
    let mut files: ChangedLines = Vec::new();
    // Lines of the current hunk's body still to come.
    let mut body: u64 = 0;
    for line in diff.split('\n') {
        if body > 0 {
            // `\ No newline at end of file` follows a body line and is not one.
            if !line.starts_with('\\') {
                body -= 1;
            }
            continue;
        }
        if let Some(name) = line.strip_prefix("+++ ") {
            let name = header_path(name);
            let path = name.strip_prefix("b/").unwrap_or(&name).to_string();
            files.push((path, Vec::new()));
        } else if let Some(rest) = line.strip_prefix("@@ ") {
            // `@@ -a[,b] +c[,d] @@`
            let mut words = rest.split(' ');
            let (Some(old), Some(new)) = (
                words.next().and_then(|w| w.strip_prefix('-')),
                words.next().and_then(|w| w.strip_prefix('+')),
            ) else {
                continue;
            };
            let (_, old_count) = hunk_range(old);
            let (start, count) = hunk_range(new);
            body = u64::from(old_count) + u64::from(count);
            if count == 0 {
                continue;
            }
            if let Some((_, ranges)) = files.last_mut() {
                ranges.push((start, start.saturating_add(count - 1)));
            }
        }
    }
    files
}

/// `start[,count]` of a hunk header (the count is 1 when absent).
fn hunk_range(text: &str) -> (u32, u32) {
    let mut parts = text.split(',');
    let start = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let count = parts
        .next()
        .map_or(Some(1), |s| s.parse().ok())
        .unwrap_or(0);
    (start, count)
}

/// The path of a `---`/`+++` line: C-quoted when it has control characters, `"` or `\`
/// (`"b/a\tb.sql"`), and followed by a tab when it has a space (`b/add x.rb\t`).
fn header_path(name: &str) -> String {
    if name.starts_with('"') {
        return unquote(name);
    }
    name.strip_suffix('\t').unwrap_or(name).to_string()
}

/// git's C-style quoting of unusual path names (`"a\tb"`, octal escapes for bytes); what follows
/// the closing quote (the tab after a name with a space) is not part of the name.
fn unquote(name: &str) -> String {
    let Some(inner) = name.strip_prefix('"') else {
        return name.to_string();
    };
    let mut bytes = Vec::new();
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        match b {
            b'"' => break,
            b'\\' => {}
            _ => {
                bytes.push(b);
                continue;
            }
        }
        match chars.next() {
            Some(b'a') => bytes.push(0x07),
            Some(b'b') => bytes.push(0x08),
            Some(b't') => bytes.push(b'\t'),
            Some(b'n') => bytes.push(b'\n'),
            Some(b'v') => bytes.push(0x0b),
            Some(b'f') => bytes.push(0x0c),
            Some(b'r') => bytes.push(b'\r'),
            Some(d @ b'0'..=b'7') => {
                let mut value = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(&next @ b'0'..=b'7') = chars.peek() {
                        value = value * 8 + u32::from(next - b'0');
                        chars.next();
                    }
                }
                bytes.push(u8::try_from(value).unwrap_or(b'?'));
            }
            // `\"`, `\\` and anything else: the character itself.
            Some(other) => bytes.push(other),
            None => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The type and size in a `cat-file` header, `<oid> <type> <size>`; `None` for `<name> missing`
/// and anything else (a name is never taken for an object id, whatever it spells).
fn object_header(line: &str) -> Option<(&str, u64)> {
    let mut parts = line.split(' ');
    let (oid, kind, size) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || oid.is_empty() || !oid.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some((kind, size.parse().ok()?))
}

/// `git cat-file --batch` output: `<oid> <type> <size>\n<content>\n` per object, or
/// `<name> missing\n`.
fn parse_batch(bytes: &[u8]) -> Vec<Option<String>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let Some(newline) = bytes[at..].iter().position(|&b| b == b'\n') else {
            break;
        };
        let header = String::from_utf8_lossy(&bytes[at..at + newline]).into_owned();
        at += newline + 1;
        let size = object_header(&header).and_then(|(_, size)| usize::try_from(size).ok());
        match size {
            Some(size) if at + size <= bytes.len() => {
                let content = &bytes[at..at + size];
                out.push(Some(String::from_utf8_lossy(content).into_owned()));
                at += size + 1;
            }
            _ => out.push(None),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_reader_stops_at_its_cap() {
        let read = |len: usize, cap: usize| {
            read_on_thread(Some(std::io::Cursor::new(vec![b'x'; len])), cap)
                .recv()
                .map(|(bytes, more)| (bytes.len(), more))
        };
        assert_eq!(read(10, 10), Ok((10, false)));
        assert_eq!(read(11, 10), Ok((10, true)));
        assert_eq!(read(0, 10), Ok((0, false)));
    }

    /// git's output past the cap ends the query with an error, promptly: the closed pipe ends
    /// git instead of leaving it blocked until the deadline.
    #[test]
    fn output_over_the_cap_is_an_error() {
        let Ok(dir) = tempfile::tempdir() else { return };
        let git = |args: &[&str]| {
            Command::new("git")
                .arg("-C")
                .arg(dir.path())
                .args(["-c", "user.name=t", "-c", "user.email=t@t"])
                .args(args)
                .env("HOME", dir.path())
                .output()
                .is_ok_and(|o| o.status.success())
        };
        if !git(&["init", "-q"]) {
            return; // no git here
        }
        let big = "x".repeat(4 << 20);
        assert!(std::fs::write(dir.path().join("big.sql"), &big).is_ok());
        assert!(git(&["add", "big.sql"]));
        assert!(git(&["commit", "-q", "-m", "big"]));
        let cat_big = |cap: usize| {
            run_capped(
                dir.path(),
                None,
                &["cat-file", "--batch"],
                Some("HEAD:big.sql\n"),
                BUDGET,
                cap,
            )
        };
        let started = Instant::now();
        let out = cat_big(1 << 20);
        let Err(GitError(message)) = out else {
            panic!("4 MiB of output passed a 1 MiB cap: {out:?}")
        };
        assert!(message.contains("more than 1 MiB"), "{message}");
        assert!(started.elapsed() < Duration::from_secs(10));
        // Under the cap, the same query succeeds.
        assert!(cat_big(8 << 20).is_ok_and(|o| o.stdout.len() > 4 << 20));
    }

    #[test]
    fn raw_diff_with_renames() {
        let (a, b, z) = ("a".repeat(40), "b".repeat(40), "0".repeat(40));
        let raw = format!(
            ":100644 100644 {a} {b} M\0app/models/user.rb\0:100644 100644 {a} {b} R087\0db/migrate/1_a.rb\0db/migrate/2_a.rb\0:000000 100644 {z} {b} A\0x y.sql\0:100644 000000 {a} {z} D\0old.py\0:160000 160000 {a} {b} M\0sub\0:100644 100644 {a} {b} X\0odd\0"
        );
        let entries = parse_raw(raw.as_bytes());
        assert_eq!(entries.len(), 5);
        assert_eq!(entries[0].old_blob.as_deref(), Some(a.as_str()));
        assert_eq!(entries[0].new_blob.as_deref(), Some(b.as_str()));
        assert_eq!(
            (
                entries[2].old_blob.as_deref(),
                entries[3].new_blob.as_deref()
            ),
            (None, None)
        );
        assert_eq!(
            (
                entries[4].old_blob.as_deref(),
                entries[4].new_blob.as_deref()
            ),
            (None, None)
        );
        assert_eq!(entries[1].status, Status::Renamed);
        assert_eq!(entries[1].path, "db/migrate/2_a.rb");
        assert_eq!(entries[1].old_path.as_deref(), Some("db/migrate/1_a.rb"));
        assert_eq!(entries[2].path, "x y.sql");
        assert_eq!(entries[3].status, Status::Deleted);
    }

    #[test]
    fn folders_whose_changes_are_all_wanted_are_one_pathspec() {
        let changed = [
            "db/migrate/1.rb",
            "db/migrate/2.rb",
            "db/schema.rb",
            "db/seeds/x.sql",
            "db/seeds/big.csv",
            "app/a.rb",
            "top.sql",
            "old",
            "old/new.sql",
        ];
        let wanted = [
            "db/migrate/1.rb",
            "db/migrate/2.rb",
            "db/seeds/x.sql",
            "top.sql",
            "old/new.sql",
            "gone/x.sql",
        ];
        assert_eq!(
            pathspecs(&wanted, &changed),
            [
                ":(literal)db/migrate",
                ":(literal)db/seeds/x.sql",
                ":(literal)top.sql",
                ":(literal)old/new.sql",
                ":(literal)gone/x.sql"
            ]
        );
        // Everything under `db` is wanted: one pathspec.
        assert_eq!(
            pathspecs(
                &["db/a/1.sql", "db/b/2.sql"],
                &["db/a/1.sql", "db/b/2.sql", "x"]
            ),
            [":(literal)db"]
        );
        // A name that was not UTF-8 (U+FFFD in its spelling) is reached through its folder.
        assert_eq!(
            pathspecs(
                &[
                    "db/migrate/6_bad\u{FFFD}.rb",
                    "db/migrate/7.rb",
                    "x\u{FFFD}/1.sql",
                    "\u{FFFD}.sql"
                ],
                &[
                    "db/migrate/6_bad\u{FFFD}.rb",
                    "db/migrate/7.rb",
                    "db/migrate/README",
                    "x\u{FFFD}/1.sql",
                    "\u{FFFD}.sql",
                    "app/a.rb"
                ]
            ),
            [":(literal)db/migrate", ":(literal)db/migrate/7.rb", "."]
        );
    }

    #[test]
    fn hunks_new_side() {
        let diff = "diff --git a/x.sql b/x.sql\n--- a/x.sql\n+++ b/x.sql\n@@ -1,0 +2,3 @@\n+a\n+a2\n+a3\n@@ -9 +12 @@ x\n-b\n+c\n@@ -20,2 +22,0 @@\n-d\n";
        assert_eq!(
            parse_hunks(diff),
            vec![("x.sql".into(), vec![(2, 4), (12, 12)])]
        );
    }

    #[test]
    fn quoted_paths() {
        assert_eq!(unquote("\"b/a\\tb\\303\\251.sql\""), "b/a\tbé.sql");
        assert_eq!(unquote("b/plain"), "b/plain");
        assert_eq!(
            unquote("\"b/\\\"q\\\" \\\\x\\r.sql\"\t"),
            "b/\"q\" \\x\r.sql"
        );
    }

    #[test]
    fn header_paths_as_git_writes_them() {
        // A space: the name is followed by a tab.
        assert_eq!(
            header_path("b/db/migrate/1_add x.rb\t"),
            "b/db/migrate/1_add x.rb"
        );
        // Bytes over 0x7f with core.quotePath=false, and quoted (the default).
        assert_eq!(header_path("b/db/1_données.sql"), "b/db/1_données.sql");
        assert_eq!(
            header_path("\"b/db/1_donn\\303\\251es.sql\""),
            "b/db/1_données.sql"
        );
        // Quoted and with a space: the tab follows the closing quote.
        assert_eq!(header_path("\"b/a \\\"b\\\".sql\"\t"), "b/a \"b\".sql");
    }

    #[test]
    fn hunk_bodies_are_not_headers() {
        // Added lines `++ b/other.sql` and `@@ -1 +1 @@`, a removed line `-- x`, and a missing
        // newline at the end of the file.
        let diff = "diff --git a/x.sql b/x.sql\n--- a/x.sql\n+++ b/x.sql\n@@ -1 +1,3 @@\n--- x\n\\ No newline at end of file\n+++ b/other.sql\n+@@ -1 +1 @@\n+y\n\\ No newline at end of file\n@@ -10,0 +12 @@\n+z\n";
        assert_eq!(
            parse_hunks(diff),
            vec![("x.sql".into(), vec![(1, 3), (12, 12)])]
        );
        let spaced = "diff --git a/m/1 x.sql b/m/1 x.sql\n--- a/m/1 x.sql\t\n+++ b/m/1 x.sql\t\n@@ -2,0 +3 @@\n+DROP TABLE t;\n";
        assert_eq!(
            parse_hunks(spaced),
            vec![("m/1 x.sql".into(), vec![(3, 3)])]
        );
    }

    #[test]
    fn batch_output() {
        let raw = b"abc blob 3\nxyz\nHEAD:gone missing\ndef blob 0\n\nHEAD:x blob 1 missing\n";
        assert_eq!(
            parse_batch(raw),
            vec![Some("xyz".into()), None, Some(String::new()), None]
        );
    }
}
