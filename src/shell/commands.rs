//! Recognisers over a process argv: the words of one simple command after quote
//! removal (`&[&str]`). Every recogniser returns word indices into the slice it was
//! given so that callers can point at spans. Nothing here panics on any input.
//!
//! Functions that look for "the program" (`shell_c`, `package_manager`, `migration`,
//! `server`, `drain_timeout`, `kill_signal_args`) first call [`unwrap_wrappers`], so
//! `tini -- bundle exec rails db:migrate` is recognised and indices stay absolute.

use std::fmt;

// ---------------------------------------------------------------------------
// Program names
// ---------------------------------------------------------------------------

/// Basename of a program word (`/usr/local/bin/gunicorn` → `gunicorn`). Versioned
/// interpreters collapse to their family: `python3.12` → `python`, `ruby3.3` →
/// `ruby`, `php8.2` → `php`, `php-fpm8.2`/`php-fpm82` → `php-fpm`.
pub fn program_name(word: &str) -> &str {
    let base = match word.rfind('/') {
        Some(p) => &word[p + 1..],
        None => word,
    };
    for stem in ["php-fpm", "python", "ruby", "php"] {
        if let Some(suffix) = base.strip_prefix(stem) {
            if suffix.starts_with(|c: char| c.is_ascii_digit())
                && suffix.chars().all(|c| c.is_ascii_digit() || c == '.')
            {
                return stem;
            }
        }
    }
    base
}

/// Name of an npm-style package binary: strips the path and a version spec
/// (`prisma@5.2.0` → `prisma`, `@scope/cli@1` → `cli`).
fn bin_name(word: &str) -> &str {
    let search_from = usize::from(word.starts_with('@'));
    let unversioned = match word.get(search_from..).and_then(|w| w.find('@')) {
        Some(p) => &word[..p + search_from],
        None => word,
    };
    program_name(unversioned)
}

// ---------------------------------------------------------------------------
// Option skipping
// ---------------------------------------------------------------------------

/// How a program's options look: which short letters / long names take a value,
/// and which ones mean "this is not the form we recognise" (abort).
struct Opts<'a> {
    short_arg: &'a str,
    long_arg: &'a str,
    abort_short: &'a str,
    abort_long: &'a str,
}

const NO_OPTS: Opts<'static> = opts("", "", "", "");

/// Builds an [`Opts`]; long names are space-separated.
const fn opts<'a>(
    short_arg: &'a str,
    long_arg: &'a str,
    abort_short: &'a str,
    abort_long: &'a str,
) -> Opts<'a> {
    Opts {
        short_arg,
        long_arg,
        abort_short,
        abort_long,
    }
}

/// Whether the space-separated `list` contains `item`.
fn has(list: &str, item: &str) -> bool {
    list.split_whitespace().any(|x| x == item)
}

/// Index of the first operand at or after `i`, skipping options (getopt style,
/// clusters, `--name=value`, `--` terminator). `None` when an abort option is seen.
/// The result may equal `argv.len()`.
fn skip_options(argv: &[&str], mut i: usize, o: &Opts) -> Option<usize> {
    while let Some(&w) = argv.get(i) {
        if w == "--" {
            return Some(i + 1);
        }
        if w.starts_with("--") {
            let name = w.split('=').next().unwrap_or(w);
            if has(o.abort_long, name) {
                return None;
            }
            let takes_value = !w.contains('=') && has(o.long_arg, name);
            i += if takes_value { 2 } else { 1 };
            continue;
        }
        if w.len() > 1 && w.starts_with('-') {
            let mut step = 1;
            for (pos, ch) in w.char_indices().skip(1) {
                if o.abort_short.contains(ch) {
                    return None;
                }
                if o.short_arg.contains(ch) {
                    if pos + ch.len_utf8() == w.len() {
                        step = 2;
                    }
                    break;
                }
            }
            i += step;
            continue;
        }
        return Some(i);
    }
    Some(i.min(argv.len()))
}

/// Indices of all operands from `i` on (options and their values skipped; after
/// `--` everything is an operand).
fn operands(argv: &[&str], i: usize, o: &Opts) -> Vec<usize> {
    let mut out = Vec::new();
    let mut k = i;
    while k < argv.len() {
        if argv[k] == "--" {
            out.extend(k + 1..argv.len());
            break;
        }
        let Some(j) = skip_options(argv, k, o) else {
            break;
        };
        if j > k && argv.get(j - 1) == Some(&"--") {
            out.extend(j..argv.len());
            break;
        }
        if j >= argv.len() {
            break;
        }
        out.push(j);
        k = j + 1;
    }
    out
}

fn word<'a>(argv: &[&'a str], i: usize) -> Option<&'a str> {
    argv.get(i).copied()
}

/// One step of an [`OptionWalk`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg<'a> {
    /// The index of an operand: a word not starting with `-`, `-` itself, or any word after `--`.
    Operand(usize),
    /// `--key` or `--key=value`.
    Long {
        key: &'a str,
        value: Option<&'a str>,
    },
    /// One letter of a `-abc` cluster, with the rest of its word (`-t/dir`: `t`, `/dir`).
    Short { flag: char, attached: &'a str },
}

/// A GNU getopt-style walk over a command's arguments (after its name), for a caller that knows
/// which options take a value: it takes that value with [`OptionWalk::value`] (the next word)
/// or from `attached`, ending the cluster with [`OptionWalk::end_cluster`].
pub struct OptionWalk<'s, 'a> {
    argv: &'s [&'a str],
    next: usize,
    options_done: bool,
    /// The letters of the `-abc` word being read (after the `-`) and where the next one starts.
    cluster: Option<(&'a str, usize)>,
}

impl<'s, 'a> OptionWalk<'s, 'a> {
    pub fn new(argv: &'s [&'a str]) -> Self {
        OptionWalk {
            argv,
            next: 0,
            options_done: false,
            cluster: None,
        }
    }

    /// The index of the next word, taken as the value of the option just read (`-m 0644`,
    /// `--mode 0644`, whatever that word is); the rest of the cluster is not read.
    pub fn value(&mut self) -> Option<usize> {
        self.cluster = None;
        let index = self.next;
        (index < self.argv.len()).then(|| {
            self.next += 1;
            index
        })
    }

    /// The rest of the current cluster is not read as letters (it was the value just read).
    pub fn end_cluster(&mut self) {
        self.cluster = None;
    }
}

impl<'a> Iterator for OptionWalk<'_, 'a> {
    type Item = Arg<'a>;

    fn next(&mut self) -> Option<Arg<'a>> {
        loop {
            if let Some((letters, at)) = self.cluster {
                if let Some(flag) = letters.get(at..).and_then(|rest| rest.chars().next()) {
                    let after = at + flag.len_utf8();
                    self.cluster = Some((letters, after));
                    let attached = letters.get(after..).unwrap_or_default();
                    return Some(Arg::Short { flag, attached });
                }
                self.cluster = None;
            }
            let index = self.next;
            let arg = *self.argv.get(index)?;
            self.next += 1;
            if self.options_done || !arg.starts_with('-') || arg == "-" {
                return Some(Arg::Operand(index));
            }
            if arg == "--" {
                self.options_done = true;
            } else if let Some(long) = arg.strip_prefix("--") {
                let (key, value) = long
                    .split_once('=')
                    .map_or((long, None), |(k, v)| (k, Some(v)));
                return Some(Arg::Long { key, value });
            } else {
                self.cluster = Some((arg.get(1..).unwrap_or_default(), 0));
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Wrappers
// ---------------------------------------------------------------------------

/// What a wrapper does with the program it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WrapperKind {
    /// Replaces itself with the program (`exec`); signals reach the program directly.
    Exec,
    /// Stays as the parent and forwards termination signals to the program.
    Forwards,
    /// Runs the command as a shell string in a child shell (`su -c`): whether the
    /// signal reaches the program depends on that shell (see [`shell_c`]).
    ShellChild,
}

/// One recognised wrapper word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapper {
    /// Canonical wrapper name (`"tini"`, `"bundle exec"`, ...).
    pub name: &'static str,
    /// Index of the wrapper's first word.
    pub index: usize,
    pub kind: WrapperKind,
}

/// Result of [`unwrap_wrappers`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwrapped {
    pub wrappers: Vec<Wrapper>,
    /// Index where the real program starts; equals `argv.len()` when a wrapper has
    /// no command after it.
    pub rest: usize,
    /// `argv[rest]` is a shell command string, not a program (`su app -c '...'`).
    pub rest_is_shell_string: bool,
}

impl Unwrapped {
    /// True when every wrapper execs or forwards signals, so SIGTERM sent to PID 1
    /// reaches the program at `rest`.
    pub fn signals_reach_program(&self) -> bool {
        self.wrappers
            .iter()
            .all(|w| matches!(w.kind, WrapperKind::Exec | WrapperKind::Forwards))
    }
}

// Verdicts (each from the documentation or source named):
// - tini / tini-static / docker-init (Docker's bundled tini): Forwards. krallin/tini
//   README: "spawn a single child ... wait for it to exit all the while reaping zombies
//   and performing signal forwarding"; options -s -v -w -g -l, -e CODE, -p SIGNAL, `--`.
const TINI: Opts<'static> = opts("ep", "", "h", "--version");
// - dumb-init: Forwards. dumb-init(1): "a simple process supervisor that forwards
//   signals to children"; -c/--single-child, -r/--rewrite s:r, -v, -h, -V.
const DUMB_INIT: Opts<'static> = opts("r", "--rewrite", "hV", "--help --version");
// - catatonit: Forwards. catatonit -h: "-g Forward signals to pid1's process group"; without
//   it the signal goes to the child alone, and catatonit exits with its child (measured with
//   Debian's catatonit 0.1.7). -P (pause mode) runs no program; -h -L -V print and exit.
const CATATONIT: Opts<'static> = opts("", "", "hLPV", "--version");
// - gosu USER cmd: Exec. gosu README: "we exec the specified process and gosu itself is
//   no longer resident". su-exec USER[:GROUP] cmd: Exec. su-exec README: "executed
//   directly and not run as a child, like su and sudo does".
// - s6-setuidgid ACCOUNT prog: Exec. skarnet docs: "Then it executes into prog".
// - su [user] -c STRING: ShellChild. su-exec README shows `su postgres -c 'ps aux'`
//   leaving `ash -c ps aux` as PID 1 with the command as its child.
// - sudo: Forwards. sudo's exec code installs handlers that forward received signals
//   to the command (sudo-project/sudo src/exec*.c, sigforward). `-i`/`-s` (shell),
//   `-b` (background) and non-run modes (-l -e -v -k -K -V -h) are not unwrapped.
const SUDO: Opts<'static> = opts(
    "CDgprRtTUu",
    concat!(
        "--user --group --close-from --chdir --host --prompt --chroot --role ",
        "--type --command-timeout --other-user"
    ),
    "ieslvkKVhb",
    "--login --shell --edit --list --validate --help --version",
);
// - env, nice, stdbuf (coreutils), ionice, taskset, setpriv (util-linux), numactl,
//   chpst (runit: "changes the process state ... and runs prog"): Exec. Their man pages
//   describe running COMMAND in place; they chain-load via execvp. Modes that act on an
//   existing PID (`taskset -p`, `ionice -p`) or split strings (`env -S`) are refused.
const ENV: Opts<'static> = opts(
    "uC",
    "--unset --chdir",
    "S",
    "--split-string --help --version",
);
const NICE: Opts<'static> = opts("n", "--adjustment", "", "--help --version");
const STDBUF: Opts<'static> = opts("ioe", "--input --output --error", "", "--help --version");
const IONICE: Opts<'static> = opts(
    "cn",
    "--class --classdata",
    "pPuhV",
    "--pid --pgid --uid --help --version",
);
const TASKSET: Opts<'static> = opts("", "", "phV", "--pid --help --version");
const NUMACTL: Opts<'static> = opts(
    "imNCpw",
    concat!(
        "--interleave --membind --cpunodebind --physcpubind --preferred ",
        "--preferred-many --weighted-interleave"
    ),
    "sH",
    "--show --hardware",
);
const SETPRIV: Opts<'static> = opts(
    "",
    concat!(
        "--reuid --regid --ruid --rgid --euid --egid --groups --inh-caps ",
        "--ambient-caps --bounding-set --securebits --pdeathsig --selinux-label ",
        "--apparmor-profile --landlock-access --landlock-rule --seccomp-filter"
    ),
    "dhV",
    "--dump --list-caps --help --version",
);
const CHPST: Opts<'static> = opts("uUbe/nlLmdopfc", "", "", "");
// - exec (shell builtin): Exec. `exec [-cl] [-a name] command`.
const EXEC_BUILTIN: Opts<'static> = opts("a", "", "", "");
// - bundle exec: Exec. bundler lib/bundler/cli/exec.rb: Kernel.exec, or Kernel.load
//   in-process for Ruby bin stubs; either way no extra process.
// - poetry run: Exec on POSIX (python-poetry/poetry PR #1236 "Use os.execvp for
//   poetry run"). pipenv run: Exec (pipenv core `do_run_posix` uses os.execve, cited
//   in poetry PR #1428).
// - uv run: Forwards. astral-sh/uv crates/uv/src/child.rs: "We unconditionally forward
//   SIGTERM to the child process".
const UV_RUN: Opts<'static> = opts(
    "wpCPif",
    concat!(
        "--with --with-editable --with-requirements --python --package --extra ",
        "--group --only-group --no-group --env-file --directory --project ",
        "--index --default-index --index-url --extra-index-url --find-links ",
        "--config-setting --upgrade-package --cache-dir --config-file --color ",
        "--python-preference --exclude-newer --index-strategy --resolution ",
        "--prerelease --link-mode"
    ),
    "h",
    "--help",
);
// - pdm run: Forwards. pdm-project/pdm PR #3808: "Keep forwarding SIGTERM to the child
//   process". (`pdm run -l` lists scripts: refused.)
const PDM_RUN: Opts<'static> = opts("p", "--project --venv", "lh", "--list --help");
// - doppler run -- cmd: Forwards. DopplerHQ/cli PR #142 "forward all signals to
//   subprocess" (without a TTY, as in containers). Only the `--` form is unwrapped.
// Not recognised (behaviour not verified): op run, dotenv, chamber exec,
// aws-vault exec, timeout, nohup, setsid.

/// One wrapper step at `i`: (name, kind, index of what follows, follows-is-shell-string).
fn wrapper_step(argv: &[&str], i: usize) -> Option<(&'static str, WrapperKind, usize, bool)> {
    use WrapperKind::*;
    let name = program_name(word(argv, i)?);
    let (canon, kind, next): (&'static str, WrapperKind, usize) = match name {
        "tini" | "tini-static" | "docker-init" => {
            ("tini", Forwards, skip_options(argv, i + 1, &TINI)?)
        }
        "catatonit" => (
            "catatonit",
            Forwards,
            skip_options(argv, i + 1, &CATATONIT)?,
        ),
        "dumb-init" => (
            "dumb-init",
            Forwards,
            skip_options(argv, i + 1, &DUMB_INIT)?,
        ),
        "exec" => ("exec", Exec, skip_options(argv, i + 1, &EXEC_BUILTIN)?),
        "env" => {
            let mut j = i + 1;
            loop {
                j = skip_options(argv, j, &ENV)?;
                match word(argv, j) {
                    Some("-") => j += 1,
                    Some(w) if is_assignment(w) => j += 1,
                    _ => break,
                }
            }
            ("env", Exec, j)
        }
        "gosu" | "su-exec" | "s6-setuidgid" => {
            let user = word(argv, i + 1)?;
            if user.starts_with('-') {
                return None;
            }
            let canon = match name {
                "gosu" => "gosu",
                "su-exec" => "su-exec",
                _ => "s6-setuidgid",
            };
            (canon, Exec, i + 2)
        }
        "chpst" => ("chpst", Exec, skip_options(argv, i + 1, &CHPST)?),
        "nice" => ("nice", Exec, skip_options(argv, i + 1, &NICE)?),
        "stdbuf" => ("stdbuf", Exec, skip_options(argv, i + 1, &STDBUF)?),
        "ionice" => ("ionice", Exec, skip_options(argv, i + 1, &IONICE)?),
        "setpriv" => ("setpriv", Exec, skip_options(argv, i + 1, &SETPRIV)?),
        "numactl" => ("numactl", Exec, skip_options(argv, i + 1, &NUMACTL)?),
        "taskset" => {
            let mask = skip_options(argv, i + 1, &TASKSET)?;
            word(argv, mask)?;
            ("taskset", Exec, mask + 1)
        }
        "sudo" => ("sudo", Forwards, skip_options(argv, i + 1, &SUDO)?),
        "su" => return su_step(argv, i),
        "bundle" | "bundler" => {
            let j = skip_options(argv, i + 1, &NO_OPTS)?;
            if word(argv, j) != Some("exec") {
                return None;
            }
            let gemfile = opts("", "--gemfile", "", "");
            ("bundle exec", Exec, skip_options(argv, j + 1, &gemfile)?)
        }
        "poetry" => {
            let global = opts("CP", "--directory --project", "", "");
            let j = skip_options(argv, i + 1, &global)?;
            if word(argv, j) != Some("run") {
                return None;
            }
            ("poetry run", Exec, skip_options(argv, j + 1, &NO_OPTS)?)
        }
        "pipenv" => {
            if word(argv, i + 1) != Some("run") {
                return None;
            }
            ("pipenv run", Exec, skip_options(argv, i + 2, &NO_OPTS)?)
        }
        "uv" => {
            let j = skip_options(argv, i + 1, &UV_RUN)?;
            if word(argv, j) != Some("run") {
                return None;
            }
            ("uv run", Forwards, skip_options(argv, j + 1, &UV_RUN)?)
        }
        "pdm" => {
            if word(argv, i + 1) != Some("run") {
                return None;
            }
            ("pdm run", Forwards, skip_options(argv, i + 2, &PDM_RUN)?)
        }
        "doppler" => {
            if word(argv, i + 1) != Some("run") {
                return None;
            }
            let dashes = argv.iter().skip(i + 2).position(|w| *w == "--")?;
            ("doppler run", Forwards, i + 2 + dashes + 1)
        }
        _ => return passthrough_shell(argv, i),
    };
    Some((canon, kind, next.min(argv.len()), false))
}

/// The longest `-c` string [`passes_arguments_through`] looks at: the forms it accepts are a
/// few dozen bytes, and a longer string is judged as a script by the shell analysis.
const MAX_PASSTHROUGH_SCRIPT: usize = 256;

// - sh -c 'exec "$@"' NAME ARGS... (also bash/dash/ash/zsh/busybox sh, `set -e;` before it):
//   Exec. POSIX sh: with -c the first operand after the string is $0 and the rest the
//   positional parameters, which "$@" expands to as separate words, and `exec` replaces the
//   shell with them. A common ENTRYPOINT that hands the platform's command on.
/// `SHELL [opts] -c 'exec "$@"' NAME` at `i`: the shell replaces itself with the words after
/// NAME (its `$0`), like `exec`.
fn passthrough_shell(argv: &[&str], i: usize) -> Option<(&'static str, WrapperKind, usize, bool)> {
    let (kind, first) = shell_at(argv, i)?;
    let (has_c, _, payload) = shell_options(argv, first);
    if !has_c || !passes_arguments_through(word(argv, payload)?) {
        return None;
    }
    let name = match kind {
        ShellKind::Bash => "bash -c 'exec \"$@\"'",
        ShellKind::Dash => "dash -c 'exec \"$@\"'",
        ShellKind::Ash => "ash -c 'exec \"$@\"'",
        ShellKind::Busybox => "busybox sh -c 'exec \"$@\"'",
        ShellKind::Zsh => "zsh -c 'exec \"$@\"'",
        ShellKind::Sh | ShellKind::Other => "sh -c 'exec \"$@\"'",
    };
    Some((
        name,
        WrapperKind::Exec,
        (payload + 2).min(argv.len()),
        false,
    ))
}

/// Whether a `-c` string only execs its positional parameters: `exec "$@"` (or `"${@}"`),
/// after `set` commands that change options only (`set -e;`, `set -euo pipefail &&`).
/// Anything else (`"$@"` without `exec`, `$@` or `$*` unquoted, other commands, `set --`
/// that replaces the parameters) is left to the shell analysis.
fn passes_arguments_through(script: &str) -> bool {
    if script.len() > MAX_PASSTHROUGH_SCRIPT {
        return false;
    }
    let script = script.trim_matches(|c: char| c.is_ascii_whitespace() || c == ';');
    let mut commands: Vec<&str> = Vec::new();
    for line in script.split('\n') {
        for part in line.split(';') {
            commands.extend(part.split("&&").map(str::trim));
        }
    }
    let Some((last, before)) = commands.split_last() else {
        return false;
    };
    let exec_all = matches!(
        last.split_ascii_whitespace().collect::<Vec<_>>().as_slice(),
        ["exec", "\"$@\"" | "\"${@}\""]
    );
    exec_all && before.iter().all(|c| sets_options_only(c))
}

/// `set -e`, `set -eu`, `set +x`, `set -o pipefail`, `set -euo pipefail`: nothing but options.
fn sets_options_only(command: &str) -> bool {
    let mut words = command.split_ascii_whitespace();
    if words.next() != Some("set") {
        return false;
    }
    let mut names = 0usize;
    let mut any = false;
    for w in words {
        any = true;
        if names > 0 {
            if !w.chars().all(|c| c.is_ascii_alphabetic()) {
                return false;
            }
            names -= 1;
            continue;
        }
        let Some(letters) = w.strip_prefix('-').or_else(|| w.strip_prefix('+')) else {
            return false;
        };
        if letters.is_empty() || !letters.chars().all(|c| c.is_ascii_alphabetic()) {
            return false;
        }
        names = letters.chars().filter(|&c| c == 'o').count();
    }
    any && names == 0
}

/// `su [opts] [-] [user] -c STRING`: the command string runs in a child shell.
fn su_step(argv: &[&str], i: usize) -> Option<(&'static str, WrapperKind, usize, bool)> {
    let mut k = i + 1;
    while let Some(w) = word(argv, k) {
        match w {
            "-c" | "--command" => {
                word(argv, k + 1)?;
                return Some(("su", WrapperKind::ShellChild, k + 1, true));
            }
            "-s" | "--shell" | "-g" | "--group" | "-G" | "--supp-group" | "-w" => k += 2,
            _ => k += 1,
        }
    }
    None
}

/// The `-s SHELL` given to `su`, if any.
fn su_shell<'a>(argv: &[&'a str], su_index: usize, payload: usize) -> Option<&'a str> {
    let mut k = su_index + 1;
    while k < payload {
        let w = word(argv, k)?;
        if let Some(v) = w.strip_prefix("--shell=") {
            return Some(v);
        }
        if w == "-s" || w == "--shell" {
            return word(argv, k + 1);
        }
        k += 1;
    }
    None
}

fn is_assignment(w: &str) -> bool {
    match w.find('=') {
        Some(p) if p > 0 => {
            let name = &w[..p];
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// Skips programs that exec, forward signals to, or shell-run the next program
/// (`tini --`, `dumb-init`, `env A=b`, `gosu app`, `bundle exec`, `uv run`, `su -c`, ...).
/// See the verdict comments above each option table for what is recognised and why.
pub fn unwrap_wrappers(argv: &[&str]) -> Unwrapped {
    let mut out = Unwrapped {
        wrappers: Vec::new(),
        rest: 0,
        rest_is_shell_string: false,
    };
    let mut i = 0;
    while let Some((name, kind, next, shell_string)) = wrapper_step(argv, i) {
        out.wrappers.push(Wrapper {
            name,
            index: i,
            kind,
        });
        if next <= i {
            break;
        }
        i = next;
        if shell_string {
            out.rest_is_shell_string = true;
            break;
        }
    }
    out.rest = i.min(argv.len());
    out
}

// ---------------------------------------------------------------------------
// Shells
// ---------------------------------------------------------------------------

/// Which shell runs a command string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellKind {
    /// `sh`/`/bin/sh`: unknown implementation (dash on Debian, busybox on Alpine).
    Sh,
    Dash,
    Bash,
    /// `busybox sh` / `busybox ash`.
    Busybox,
    Ash,
    Zsh,
    /// ksh, mksh, yash, posh, ...
    Other,
}

/// A `SHELL -c STRING` invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShellC {
    pub shell: ShellKind,
    /// Index of the shell word (`sh`, `busybox`, or `su`).
    pub shell_index: usize,
    /// Index of the command string.
    pub payload_index: usize,
}

fn shell_kind(name: &str) -> Option<ShellKind> {
    Some(match name {
        "sh" => ShellKind::Sh,
        "dash" => ShellKind::Dash,
        "bash" => ShellKind::Bash,
        "ash" => ShellKind::Ash,
        "zsh" => ShellKind::Zsh,
        "ksh" | "ksh93" | "mksh" | "oksh" | "loksh" | "pdksh" | "yash" | "posh" => ShellKind::Other,
        _ => return None,
    })
}

/// (kind, index of the shell word, index of its first argument).
fn shell_at(argv: &[&str], i: usize) -> Option<(ShellKind, usize)> {
    let name = program_name(word(argv, i)?);
    if name == "busybox" {
        return match word(argv, i + 1)? {
            "sh" | "ash" => Some((ShellKind::Busybox, i + 2)),
            _ => None,
        };
    }
    shell_kind(name).map(|k| (k, i + 1))
}

/// Parses shell options (POSIX `sh [-abCefhimnuvx] [-o opt] [-c] ...`, bash long
/// options). Returns (saw -c, saw -s, index of the first operand).
fn shell_options(argv: &[&str], mut j: usize) -> (bool, bool, usize) {
    let (mut has_c, mut has_s) = (false, false);
    while let Some(w) = word(argv, j) {
        if w == "--" || w == "-" {
            j += 1;
            break;
        }
        if w.starts_with("--") {
            j += if w == "--rcfile" || w == "--init-file" {
                2
            } else {
                1
            };
            continue;
        }
        if w.len() > 1 && (w.starts_with('-') || w.starts_with('+')) {
            let minus = w.starts_with('-');
            let mut consume = 0;
            for ch in w.chars().skip(1) {
                match ch {
                    'c' if minus => has_c = true,
                    's' if minus => has_s = true,
                    'o' | 'O' => consume += 1,
                    _ => {}
                }
            }
            j += 1 + consume;
            continue;
        }
        break;
    }
    (has_c, has_s, j.min(argv.len()))
}

/// `sh -c`, `bash -lc`, `sh -e -c`, `bash --login -c`, `busybox sh -c`, `dash -c`,
/// `zsh -c`, also after wrappers and `su [user] -c` (the user's login shell, assumed
/// [`ShellKind::Sh`] unless `-s SHELL`). Per POSIX the command string is the first
/// operand after all options (`sh -c 'cmd' name args...`).
pub fn shell_c(argv: &[&str]) -> Option<ShellC> {
    let u = unwrap_wrappers(argv);
    if u.rest_is_shell_string {
        let su = u.wrappers.last()?;
        let shell = su_shell(argv, su.index, u.rest)
            .and_then(|s| shell_kind(program_name(s)))
            .unwrap_or(ShellKind::Sh);
        return Some(ShellC {
            shell,
            shell_index: su.index,
            payload_index: u.rest,
        });
    }
    let (shell, first) = shell_at(argv, u.rest)?;
    let (has_c, _, j) = shell_options(argv, first);
    if !has_c || j >= argv.len() {
        return None;
    }
    Some(ShellC {
        shell,
        shell_index: u.rest,
        payload_index: j,
    })
}

/// `sh /entrypoint.sh`, `bash ./start.sh args`: (shell, index of the script word).
/// `None` for `-c` and `-s` forms or a bare shell.
pub fn shell_script(argv: &[&str]) -> Option<(ShellKind, usize)> {
    let u = unwrap_wrappers(argv);
    if u.rest_is_shell_string {
        return None;
    }
    let (shell, first) = shell_at(argv, u.rest)?;
    let (has_c, has_s, j) = shell_options(argv, first);
    if has_c || has_s || j >= argv.len() {
        return None;
    }
    Some((shell, j))
}

// ---------------------------------------------------------------------------
// Package managers
// ---------------------------------------------------------------------------

/// A script run through npm, yarn or pnpm (SL102).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageManagerRun {
    /// `"npm"`, `"yarn"` or `"pnpm"`.
    pub manager: &'static str,
    /// Index of the package manager word.
    pub index: usize,
    pub script: String,
    pub script_index: usize,
    /// Shorthand without `run` (`yarn build`, `pnpm dev`): runs the script of that
    /// name, or else a binary from node_modules/.bin. Either way the manager stays
    /// between the signal and the program.
    pub implicit: bool,
}

const NPM_OPTS: Opts<'static> = opts(
    "wC",
    concat!(
        "--prefix --workspace --userconfig --cache --loglevel --registry ",
        "--script-shell"
    ),
    "",
    "",
);
const YARN_OPTS: Opts<'static> = opts(
    "",
    concat!(
        "--cwd --modules-folder --cache-folder --mutex --network-timeout ",
        "--registry --global-folder --link-folder"
    ),
    "",
    "",
);
const PNPM_OPTS: Opts<'static> = opts(
    "CF",
    concat!(
        "--dir --filter --filter-prod --reporter --workspace-concurrency ",
        "--loglevel"
    ),
    "",
    "",
);
// yarn classic/berry built-in commands (yarnpkg.com docs: "built-in cli commands will
// have preference over your scripts"); `test` is a built-in alias of `run test`.
const YARN_BUILTINS: &str = concat!(
    "add audit autoclean bin cache check config constraints create dedupe dlx exec ",
    "explain generate-lock-entry global help import info init install licenses link ",
    "list lockfile login logout node npm outdated owner pack patch patch-commit ",
    "plugin policies prune publish rebuild remove search self-update set stage tag ",
    "team unlink unplug up upgrade upgrade-interactive version versions why ",
    "workspaces ",
);
// pnpm built-ins (pnpm.io/cli/run: "pnpm watch is just shorthand for pnpm run watch
// (ONLY for scripts that do not share the same name as already existing pnpm commands)").
const PNPM_BUILTINS: &str = concat!(
    "add i install update up upgrade remove rm uninstall un link ln unlink import ",
    "rebuild rb prune fetch install-test it patch patch-commit patch-remove audit ",
    "list ls outdated why licenses exec dlx create publish pack store root bin setup ",
    "init deploy env server config c doctor help dedupe approve-builds ",
    "ignored-builds self-update cat-file cat-index find-hash recursive multi m ",
);

/// `npm start`, `npm run x -- --flag`, `npm --prefix /app start`, `npm run --silent x`,
/// `npm test`, `yarn start`, `yarn run x`, `yarn x` (any non-built-in is a script or
/// bin), `yarn workspace w start`, `pnpm start`, `pnpm run x`, `pnpm x`. `npm
/// install`/`ci`/`exec`, `npx`, bare `npm run` (lists scripts) are not runs.
pub fn package_manager(argv: &[&str]) -> Option<PackageManagerRun> {
    let u = unwrap_wrappers(argv);
    if u.rest_is_shell_string {
        return None;
    }
    let i = u.rest;
    let run = |manager, script_index: usize, script: &str, implicit| {
        Some(PackageManagerRun {
            manager,
            index: i,
            script: script.to_string(),
            script_index,
            implicit,
        })
    };
    match program_name(word(argv, i)?) {
        "npm" => {
            let j = skip_options(argv, i + 1, &NPM_OPTS)?;
            match word(argv, j)? {
                s @ ("start" | "stop" | "restart") => run("npm", j, s, false),
                "test" | "t" | "tst" => run("npm", j, "test", false),
                "run" | "run-script" | "rum" | "urn" => {
                    let k = skip_options(argv, j + 1, &NPM_OPTS)?;
                    run("npm", k, word(argv, k)?, false)
                }
                _ => None,
            }
        }
        "yarn" => {
            let mut j = skip_options(argv, i + 1, &YARN_OPTS)?;
            while word(argv, j) == Some("workspace") {
                word(argv, j + 1)?;
                j = skip_options(argv, j + 2, &YARN_OPTS)?;
            }
            let sub = word(argv, j)?;
            match sub {
                "run" => {
                    let k = skip_options(argv, j + 1, &YARN_OPTS)?;
                    run("yarn", k, word(argv, k)?, false)
                }
                "start" | "test" => run("yarn", j, sub, false),
                _ if has(YARN_BUILTINS, sub) => None,
                _ => run("yarn", j, sub, true),
            }
        }
        "pnpm" => {
            let j = skip_options(argv, i + 1, &PNPM_OPTS)?;
            let sub = word(argv, j)?;
            match sub {
                "run" | "run-script" => {
                    let k = skip_options(argv, j + 1, &PNPM_OPTS)?;
                    run("pnpm", k, word(argv, k)?, false)
                }
                "start" | "stop" | "restart" => run("pnpm", j, sub, false),
                "test" | "t" | "tst" => run("pnpm", j, "test", false),
                _ if has(PNPM_BUILTINS, sub) => None,
                _ => run("pnpm", j, sub, true),
            }
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Resolving the tool behind interpreters and node runners
// ---------------------------------------------------------------------------

/// Index of the word that names the actual tool: `python -m X` → X, `python
/// manage.py` → `manage.py`, `php artisan` → `artisan`, `cargo sqlx` → `sqlx`,
/// `npx [-y] prisma`, `yarn [exec|dlx] prisma`, `pnpm [exec|dlx] prisma`, `bunx
/// prisma`, `bun x prisma`, `npm exec -- prisma`, `node node_modules/.bin/knex`.
fn resolve_tool(argv: &[&str], i: usize) -> usize {
    resolve_inner(argv, i)
        .filter(|&t| t < argv.len())
        .unwrap_or(i)
}

fn resolve_inner(argv: &[&str], i: usize) -> Option<usize> {
    let npx = opts("pc", "--package --call", "", "");
    match program_name(word(argv, i)?) {
        "python" | "python2" | "python3" => {
            let mut k = i + 1;
            while let Some(w) = word(argv, k) {
                if w == "-m" {
                    return Some(k + 1);
                }
                if w.starts_with("-m") {
                    return None; // `-mgunicorn`: no word of its own to point at
                }
                if w == "-c" || w == "-" {
                    return None;
                }
                if w == "-W" || w == "-X" {
                    k += 2;
                } else if w.starts_with('-') {
                    k += 1;
                } else {
                    return Some(k);
                }
            }
            None
        }
        "php" => {
            let php = opts("dcz", "", "", "");
            let k = skip_options(argv, i + 1, &php)?;
            (program_name(word(argv, k)?) == "artisan").then_some(k)
        }
        "cargo" => (word(argv, i + 1)? == "sqlx").then_some(i + 1),
        "node" | "nodejs" => {
            let k = skip_options(argv, i + 1, &opts("r", "--require", "", ""))?;
            word(argv, k)?.contains("node_modules/.bin/").then_some(k)
        }
        "npx" | "bunx" | "pnpx" => skip_options(argv, i + 1, &npx),
        "bun" => match word(argv, i + 1)? {
            "x" => skip_options(argv, i + 2, &NO_OPTS),
            _ => None,
        },
        "npm" => {
            let j = skip_options(argv, i + 1, &NPM_OPTS)?;
            match word(argv, j)? {
                "exec" | "x" => skip_options(argv, j + 1, &npx),
                _ => None,
            }
        }
        "yarn" => {
            let j = skip_options(argv, i + 1, &YARN_OPTS)?;
            match word(argv, j)? {
                "exec" | "dlx" | "run" => skip_options(argv, j + 1, &npx),
                s if !has(YARN_BUILTINS, s) => Some(j),
                _ => None,
            }
        }
        "pnpm" => {
            let j = skip_options(argv, i + 1, &PNPM_OPTS)?;
            match word(argv, j)? {
                "exec" | "dlx" | "run" => skip_options(argv, j + 1, &npx),
                s if !has(PNPM_BUILTINS, s) => Some(j),
                _ => None,
            }
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Migrations (SL601)
// ---------------------------------------------------------------------------

/// A schema migration step recognised on a command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Canonical description, e.g. `"rails db:migrate"`, `"npm run <script>"`.
    pub tool: &'static str,
    /// Index of the first word that identifies the tool (`rails`, `manage.py`, `prisma`).
    pub index: usize,
    /// Index of the word naming the migration step (`db:migrate`, `deploy`, `up`).
    pub command_index: usize,
}

/// Recognises migrations (after wrappers): Rails/rake `db:migrate`, `db:prepare`,
/// `db:migrate:<database>`; Django `manage.py migrate`/`django-admin migrate`/`python
/// -m django migrate` (not `--plan`, `--check`, `--help`); `alembic upgrade` (not
/// `--sql`); `flask db upgrade`; `prisma migrate deploy`, `prisma migrate dev` (applies
/// migrations too; a dev command, still a startup migration), `prisma db push`;
/// `knex migrate:latest|migrate:up`; `sequelize[-cli] db:migrate`; `typeorm[-ts-node-*]
/// migration:run`; npm/yarn/pnpm scripts named like a migration; `flyway migrate`;
/// `liquibase update[-count|-to-tag]`; `goose [flags] [DRIVER DBSTRING] up|up-by-one|up-to`;
/// golang-migrate `migrate -path|-source|-database … up|goto`; `dbmate up|migrate`;
/// `atlas migrate apply`, `atlas schema apply` (not `--dry-run`); `sqlx migrate run`;
/// `diesel migration run`, `diesel database setup`; `php artisan migrate` (not
/// `--pretend`; `migrate:*` subcommands are not startup migrations: status/make/install
/// do nothing to the schema, rollback/reset/refresh/fresh are destructive dev tools);
/// `mix ecto.migrate`, `mix ecto.setup`; Elixir releases `bin/app eval "…migrate…"`;
/// `hasura migrate apply`; `sqitch deploy`.
pub fn migration(argv: &[&str]) -> Option<Migration> {
    let u = unwrap_wrappers(argv);
    if u.rest_is_shell_string || u.rest >= argv.len() {
        return None;
    }
    let t = resolve_tool(argv, u.rest);
    if let Some(m) = tool_migration(argv, t) {
        return Some(m);
    }
    let run = package_manager(argv)?;
    if !is_migration_script(&run.script) {
        return None;
    }
    let tool = match run.manager {
        "npm" => "npm run <script>",
        "yarn" => "yarn <script>",
        _ => "pnpm <script>",
    };
    Some(Migration {
        tool,
        index: run.index,
        command_index: run.script_index,
    })
}

/// Script names like `migrate`, `db:migrate`, `migrate:deploy`, `migration:run`,
/// `prisma:migrate`; not `migrate:make`, `migration:generate`, `migrate:status`, ...
fn is_migration_script(script: &str) -> bool {
    let lower = script.to_ascii_lowercase();
    if !lower.contains("migrat") {
        return false;
    }
    const NEGATIVE: &[&str] = &[
        "make", "create", "generate", "gen", "new", "status", "rollback", "undo", "revert", "down",
        "list", "show", "check", "diff", "reset", "help",
    ];
    !lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|part| NEGATIVE.contains(&part))
}

fn found(tool: &'static str, index: usize, command_index: usize) -> Option<Migration> {
    Some(Migration {
        tool,
        index,
        command_index,
    })
}

fn tool_migration(argv: &[&str], t: usize) -> Option<Migration> {
    let name = bin_name(word(argv, t)?);
    let ops = |o: &Opts| operands(argv, t + 1, o);
    let at = |v: &Vec<usize>, n: usize| v.get(n).and_then(|&k| word(argv, k));
    match name {
        "rails" | "rake" => {
            let o = opts("ef", "--environment --rakefile", "", "");
            for k in ops(&o) {
                let task = argv[k];
                let rest = task.strip_prefix("db:migrate:");
                let is_migrate = task == "db:migrate"
                    || task == "db:prepare"
                    || rest
                        .is_some_and(|r| !matches!(r, "status" | "redo" | "up" | "down" | "reset"));
                if is_migrate {
                    let tool = match (name, task) {
                        ("rails", "db:prepare") => "rails db:prepare",
                        ("rake", "db:prepare") => "rake db:prepare",
                        ("rails", _) => "rails db:migrate",
                        _ => "rake db:migrate",
                    };
                    return found(tool, t, k);
                }
            }
            None
        }
        "manage.py" | "django-admin" | "django-admin.py" | "django" => {
            let o = opts(
                "v",
                "--settings --pythonpath --database --verbosity",
                "",
                "",
            );
            let v = ops(&o);
            let &k = v.first()?;
            if argv[k] != "migrate" {
                return None;
            }
            if argv[k + 1..]
                .iter()
                .any(|w| matches!(*w, "--plan" | "--check" | "--help" | "-h"))
            {
                return None;
            }
            found("manage.py migrate", t, k)
        }
        "alembic" => {
            let o = opts("cxn", "--config --name", "", "");
            let v = ops(&o);
            let &k = v.first()?;
            (argv[k] == "upgrade" && !argv[k..].contains(&"--sql")).then_some(())?;
            found("alembic upgrade", t, k)
        }
        "flask" => {
            let v = ops(&opts("Aedx", "--app --env-file --directory", "", ""));
            (at(&v, 0)? == "db" && at(&v, 1)? == "upgrade").then_some(())?;
            (!argv[v[1]..].contains(&"--sql")).then_some(())?;
            found("flask db upgrade", t, v[1])
        }
        "prisma" => {
            let o = opts("", "--schema --name", "", "");
            let v = ops(&o);
            match (at(&v, 0)?, at(&v, 1)?) {
                ("migrate", "deploy") => found("prisma migrate deploy", t, v[1]),
                ("migrate", "dev") => found("prisma migrate dev", t, v[1]),
                ("db", "push") => found("prisma db push", t, v[1]),
                _ => None,
            }
        }
        "knex" => {
            let o = opts(
                "",
                "--knexfile --env --cwd --migrations-directory --client --connection",
                "",
                "",
            );
            let k = ops(&o)
                .into_iter()
                .find(|&k| matches!(argv[k], "migrate:latest" | "migrate:up"))?;
            found("knex migrate:latest", t, k)
        }
        "sequelize" | "sequelize-cli" => {
            let o = opts(
                "",
                "--env --config --options-path --migrations-path --url",
                "",
                "",
            );
            let k = ops(&o).into_iter().find(|&k| argv[k] == "db:migrate")?;
            found("sequelize db:migrate", t, k)
        }
        "typeorm" | "typeorm-ts-node-commonjs" | "typeorm-ts-node-esm" => {
            let o = opts("dt", "--dataSource --transaction", "", "");
            let k = ops(&o).into_iter().find(|&k| argv[k] == "migration:run")?;
            found("typeorm migration:run", t, k)
        }
        "flyway" => {
            let k = ops(&NO_OPTS).into_iter().find(|&k| argv[k] == "migrate")?;
            found("flyway migrate", t, k)
        }
        "liquibase" => {
            let k = ops(&NO_OPTS).into_iter().find(|&k| {
                matches!(
                    argv[k],
                    "update" | "update-count" | "update-to-tag" | "updateCount" | "updateToTag"
                )
            })?;
            found("liquibase update", t, k)
        }
        "goose" => {
            // pressly goose docs: "Usage: goose [flags] DRIVER DBSTRING <command>";
            // DRIVER and DBSTRING may come from GOOSE_DRIVER / GOOSE_DBSTRING.
            let o = opts(
                "",
                "-dir -table -certfile -ssl-cert -ssl-key -env -timeout",
                "",
                "",
            );
            let v = go_operands(argv, t + 1, o.long_arg);
            let is_up =
                |n: usize| at(&v, n).is_some_and(|c| matches!(c, "up" | "up-by-one" | "up-to"));
            let k = if is_up(0) {
                v[0]
            } else if is_up(2) {
                v[2]
            } else {
                return None;
            };
            found("goose up", t, k)
        }
        "migrate" => {
            // golang-migrate: "migrate OPTIONS COMMAND [arg...]", -source/-path/-database.
            let value_flags = "-source -path -database -prefetch -lock-timeout";
            let has_target = argv[t + 1..].iter().any(|w| {
                let n = w.trim_start_matches('-');
                let n = n.split('=').next().unwrap_or(n);
                w.starts_with('-') && matches!(n, "source" | "path" | "database")
            });
            let v = go_operands(argv, t + 1, value_flags);
            let &k = v.first()?;
            (has_target && matches!(argv[k], "up" | "goto")).then_some(())?;
            (!argv[t + 1..]
                .iter()
                .any(|w| matches!(*w, "-help" | "--help" | "-h")))
            .then_some(())?;
            found("migrate up", t, k)
        }
        "dbmate" => {
            let o = opts(
                "ueds",
                concat!(
                    "--url --env --env-file --migrations-dir --migrations-table ",
                    "--schema-file --wait-timeout"
                ),
                "",
                "",
            );
            let v = ops(&o);
            let &k = v.first()?;
            match argv[k] {
                "up" => found("dbmate up", t, k),
                "migrate" => found("dbmate migrate", t, k),
                _ => None,
            }
        }
        "atlas" => {
            if argv[t + 1..].contains(&"--dry-run") {
                return None;
            }
            let o = opts(
                "uc",
                "--url --dir --env --to --dev-url --config --var --format",
                "",
                "",
            );
            let v = ops(&o);
            match (at(&v, 0)?, at(&v, 1)?) {
                ("migrate", "apply") => found("atlas migrate apply", t, v[1]),
                ("schema", "apply") => found("atlas schema apply", t, v[1]),
                _ => None,
            }
        }
        "sqlx" => {
            let o = opts("D", "--database-url --source", "", "");
            let v = ops(&o);
            (at(&v, 0)? == "migrate" && at(&v, 1)? == "run").then_some(())?;
            found("sqlx migrate run", t, v[1])
        }
        "diesel" => {
            let o = opts("", "--database-url --config-file --migration-dir", "", "");
            let v = ops(&o);
            match (at(&v, 0)?, at(&v, 1)?) {
                ("migration", "run") => found("diesel migration run", t, v[1]),
                ("database", "setup") => found("diesel database setup", t, v[1]),
                _ => None,
            }
        }
        "artisan" => {
            let o = opts("", "--database --path --env", "", "");
            let v = ops(&o);
            let &k = v.first()?;
            (argv[k] == "migrate" && !argv[k..].contains(&"--pretend")).then_some(())?;
            found("php artisan migrate", t, k)
        }
        "mix" => {
            let k = ops(&NO_OPTS).into_iter().find(|&k| {
                argv[k]
                    .split([',', '+'])
                    .any(|task| matches!(task.trim(), "ecto.migrate" | "ecto.setup"))
            })?;
            found("mix ecto.migrate", t, k)
        }
        "hasura" | "hasura-cli" => {
            let o = opts(
                "",
                "--endpoint --admin-secret --database-name --project --envfile",
                "",
                "",
            );
            let v = ops(&o);
            (at(&v, 0)? == "migrate" && at(&v, 1)? == "apply").then_some(())?;
            found("hasura migrate apply", t, v[1])
        }
        "sqitch" => {
            let o = opts(
                "Cft",
                "--chdir --target --plan-file --to-change --to",
                "",
                "",
            );
            let v = ops(&o);
            (at(&v, 0)? == "deploy").then_some(())?;
            found("sqitch deploy", t, v[0])
        }
        _ => {
            // Elixir release: `bin/my_app eval "MyApp.Release.migrate"`.
            let path = word(argv, t)?;
            let code = word(argv, t + 2)?;
            let is_release = path.contains('/') && word(argv, t + 1) == Some("eval");
            (is_release && code.contains("migrate") && !code.contains("rollback")).then_some(())?;
            found("release eval migrate", t, t + 2)
        }
    }
}

/// Operands for Go `flag` parsing: flags (`-x`, `--x`, `-x=v`) stop at the first
/// operand; names in `value_flags` consume the next word.
fn go_operands(argv: &[&str], start: usize, value_flags: &str) -> Vec<usize> {
    let mut k = start;
    while let Some(w) = word(argv, k) {
        if w == "--" {
            k += 1;
            break;
        }
        if w.len() > 1 && w.starts_with('-') {
            let name = format!("-{}", w.trim_start_matches('-'));
            k += if !w.contains('=') && has(value_flags, &name) {
                2
            } else {
                1
            };
            continue;
        }
        break;
    }
    (k.min(argv.len())..argv.len()).collect()
}

// ---------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------

/// Long-running server programs the rules know about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerKind {
    Gunicorn,
    Uvicorn,
    Hypercorn,
    Daphne,
    Puma,
    Unicorn,
    RailsServer,
    Sidekiq,
    CeleryWorker,
    Nginx,
    Apache,
    PhpFpm,
    Node,
    Deno,
    Bun,
    JavaJar,
    Dotnet,
    Caddy,
    Traefik,
    Haproxy,
    Envoy,
    Uwsgi,
}

impl ServerKind {
    /// Display name for messages.
    pub fn name(self) -> &'static str {
        use ServerKind::*;
        match self {
            Gunicorn => "gunicorn",
            Uvicorn => "uvicorn",
            Hypercorn => "hypercorn",
            Daphne => "daphne",
            Puma => "puma",
            Unicorn => "unicorn",
            RailsServer => "rails server",
            Sidekiq => "sidekiq",
            CeleryWorker => "celery worker",
            Nginx => "nginx",
            Apache => "apache httpd",
            PhpFpm => "php-fpm",
            Node => "node",
            Deno => "deno",
            Bun => "bun",
            JavaJar => "java -jar",
            Dotnet => "dotnet",
            Caddy => "caddy",
            Traefik => "traefik",
            Haproxy => "haproxy",
            Envoy => "envoy",
            Uwsgi => "uwsgi",
        }
    }
}

/// A recognised server process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server {
    pub kind: ServerKind,
    /// Index of the server program word (after wrappers and `python -m`).
    pub index: usize,
}

/// Recognises the long-running server behind wrappers and `python -m`. One-shot modes
/// (`nginx -t`, `-v`, `--version`, `haproxy -c`, `envoy --mode validate`) are not servers.
pub fn server(argv: &[&str]) -> Option<Server> {
    use ServerKind::*;
    let u = unwrap_wrappers(argv);
    if u.rest_is_shell_string || u.rest >= argv.len() {
        return None;
    }
    let t = resolve_tool(argv, u.rest);
    let args = argv.get(t + 1..).unwrap_or(&[]);
    let has = |flags: &[&str]| args.iter().any(|w| flags.contains(w));
    let first_op = |o: &Opts| operands(argv, t + 1, o).first().map(|&k| argv[k]);
    let kind = match program_name(argv[t]) {
        _ if has(&["--version", "--help", "-V"]) => return None,
        "gunicorn" => Gunicorn,
        "uvicorn" => Uvicorn,
        "hypercorn" => Hypercorn,
        "daphne" => Daphne,
        "puma" => Puma,
        "unicorn" | "unicorn_rails" => Unicorn,
        "sidekiq" => Sidekiq,
        "uwsgi" => Uwsgi,
        "rails" => {
            let o = opts("epb", "--environment --port --binding", "", "");
            match first_op(&o)? {
                "server" | "s" => RailsServer,
                _ => return None,
            }
        }
        "celery" => {
            let o = opts(
                "Ab",
                "--app --broker --result-backend --loader --config --workdir",
                "",
                "",
            );
            (first_op(&o)? == "worker").then_some(CeleryWorker)?
        }
        "nginx" if !has(&["-t", "-T", "-v", "-s", "-h", "-?"]) => Nginx,
        "httpd" | "apache2" | "httpd-foreground"
            if !has(&["-t", "-v", "-k", "-S", "-M", "-l", "-L"]) =>
        {
            Apache
        }
        "apachectl" | "apache2ctl"
            if has(&["-DFOREGROUND"]) || args.windows(2).any(|w| w == ["-D", "FOREGROUND"]) =>
        {
            Apache
        }
        "php-fpm" if !has(&["-t", "-v", "-i", "-h", "-m"]) => PhpFpm,
        "node" | "nodejs" => {
            (!has(&["-e", "-p", "-v", "-c", "--eval", "--print", "--check"])).then_some(())?;
            first_op(&opts("r", "--require --import", "", ""))?;
            Node
        }
        "deno" => matches!(word(argv, t + 1)?, "run" | "serve").then_some(Deno)?,
        "bun" => {
            let sub = word(argv, t + 1)?;
            (matches!(sub, "run" | "serve") || sub.contains('.') || sub.contains('/'))
                .then_some(Bun)?
        }
        "java" if has(&["-jar"]) && !has(&["-version"]) => JavaJar,
        "dotnet" => {
            let sub = word(argv, t + 1)?;
            (sub == "run" || sub.ends_with(".dll")).then_some(Dotnet)?
        }
        "caddy" => matches!(
            word(argv, t + 1)?,
            "run" | "file-server" | "reverse-proxy" | "respond"
        )
        .then_some(Caddy)?,
        "traefik" if !matches!(word(argv, t + 1), Some("version" | "healthcheck")) => Traefik,
        "haproxy" if !has(&["-c", "-v", "-vv"]) => Haproxy,
        "envoy" if !args.windows(2).any(|w| w == ["--mode", "validate"]) => Envoy,
        _ => return None,
    };
    Some(Server { kind, index: t })
}

// ---------------------------------------------------------------------------
// Drain timeouts
// ---------------------------------------------------------------------------

/// A drain (graceful shutdown) timeout given on the server's command line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrainTimeout {
    pub server: ServerKind,
    /// `None` when the flag is set to something that is not a literal number
    /// (`--graceful-timeout "$T"`): set, but unknown.
    pub seconds: Option<f64>,
    /// Index of the word holding the value (the flag word itself for `--flag=N`/`-tN`).
    pub index: usize,
    pub flag: &'static str,
}

/// Documented defaults, in seconds, when the server's drain flag is unset.
pub fn default_drain_seconds(kind: ServerKind) -> Option<u64> {
    match kind {
        // docs.gunicorn.org settings.rst, graceful_timeout: "--graceful-timeout INT", default 30.
        ServerKind::Gunicorn => Some(30),
        // sidekiq lib/sidekiq/config.rb DEFAULTS `timeout: 25` (CLI `-t, --timeout NUM`).
        ServerKind::Sidekiq => Some(25),
        // hypercorn src/hypercorn/config.py: `graceful_timeout: float = 3 * SECONDS`.
        ServerKind::Hypercorn => Some(3),
        // uvicorn docs/settings.md `--timeout-graceful-shutdown <int>` has no default
        // (Config: `timeout_graceful_shutdown: int | None = None`): waits indefinitely.
        _ => None,
    }
}

/// Seconds as server flags take them (`75`, `2.5`): finite and not negative.
pub fn parse_seconds(value: &str) -> Option<f64> {
    let v: f64 = value.trim().parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v)
}

/// The drain timeout on a server command line: `gunicorn --graceful-timeout N`,
/// `uvicorn --timeout-graceful-shutdown N`, `hypercorn --graceful-timeout N`,
/// `sidekiq -t N`/`--timeout N`. `--flag=N` forms are accepted; the last one wins.
pub fn drain_timeout(argv: &[&str]) -> Option<DrainTimeout> {
    let srv = server(argv)?;
    let (long, short): (&'static str, Option<&'static str>) = match srv.kind {
        ServerKind::Gunicorn | ServerKind::Hypercorn => ("--graceful-timeout", None),
        ServerKind::Uvicorn => ("--timeout-graceful-shutdown", None),
        ServerKind::Sidekiq => ("--timeout", Some("-t")),
        _ => return None,
    };
    let mut best: Option<DrainTimeout> = None;
    let mut k = srv.index + 1;
    while let Some(w) = word(argv, k) {
        if w == "--" {
            break;
        }
        let hit = if w == long || Some(w) == short {
            word(argv, k + 1).map(|v| (k + 1, v, if w == long { long } else { "-t" }))
        } else if let Some(v) = w.strip_prefix(long).and_then(|r| r.strip_prefix('=')) {
            Some((k, v, long))
        } else if let Some(v) = short
            .and_then(|s| w.strip_prefix(s))
            .filter(|v| !v.is_empty() && !w.starts_with("--"))
        {
            Some((k, v.strip_prefix('=').unwrap_or(v), "-t"))
        } else {
            None
        };
        if let Some((index, value, flag)) = hit {
            best = Some(DrainTimeout {
                server: srv.kind,
                seconds: parse_seconds(value),
                index,
                flag,
            });
            k = index.max(k) + 1;
        } else {
            k += 1;
        }
    }
    best
}

/// Splits a value like a POSIX shell would for simple cases (whitespace, single and
/// double quotes, backslash), as gunicorn does with shlex for `GUNICORN_CMD_ARGS`.
fn split_words(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    cur.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => cur.extend(chars.next()),
                        _ => cur.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// `--graceful-timeout` from a `GUNICORN_CMD_ARGS` value
/// (`"--bind=0.0.0.0 --graceful-timeout 20"`).
pub fn drain_timeout_from_gunicorn_cmd_args(value: &str) -> Option<f64> {
    let words = split_words(value);
    let mut found = None;
    for (k, w) in words.iter().enumerate() {
        if w == "--graceful-timeout" {
            found = words.get(k + 1).map(|v| parse_seconds(v));
        } else if let Some(v) = w.strip_prefix("--graceful-timeout=") {
            found = Some(parse_seconds(v));
        }
    }
    found.flatten()
}

/// Seconds from `25`, `2.5`, or a Go-style duration (`25s`, `1m`, `1m30s`, `500ms`,
/// `1h`, `1.5h`, `10us`, `10µs`, `10ns`). Negative, empty or malformed input → `None`.
pub fn parse_duration_seconds(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(v) = parse_seconds(s) {
        return Some(v);
    }
    let mut total = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 1e-3,
            "us" | "µs" | "μs" => 1e-6,
            "ns" => 1e-9,
            _ => return None,
        };
        total += n * factor;
        rest = &rest[unit_len..];
    }
    total.is_finite().then_some(total)
}

// ---------------------------------------------------------------------------
// Signals
// ---------------------------------------------------------------------------

/// A Linux signal. Real-time signals carry their Linux number (34..=64, glibc's
/// SIGRTMIN is 34, as Docker and systemd use).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    Hup,
    Int,
    Quit,
    Ill,
    Trap,
    Abrt,
    Bus,
    Fpe,
    Kill,
    Usr1,
    Segv,
    Usr2,
    Pipe,
    Alrm,
    Term,
    Stkflt,
    Chld,
    Cont,
    Stop,
    Tstp,
    Ttin,
    Ttou,
    Urg,
    Xcpu,
    Xfsz,
    Vtalrm,
    Prof,
    Winch,
    Io,
    Pwr,
    Sys,
    Rt(u8),
}

const SIGNALS: [(Signal, &str); 31] = [
    (Signal::Hup, "HUP"),
    (Signal::Int, "INT"),
    (Signal::Quit, "QUIT"),
    (Signal::Ill, "ILL"),
    (Signal::Trap, "TRAP"),
    (Signal::Abrt, "ABRT"),
    (Signal::Bus, "BUS"),
    (Signal::Fpe, "FPE"),
    (Signal::Kill, "KILL"),
    (Signal::Usr1, "USR1"),
    (Signal::Segv, "SEGV"),
    (Signal::Usr2, "USR2"),
    (Signal::Pipe, "PIPE"),
    (Signal::Alrm, "ALRM"),
    (Signal::Term, "TERM"),
    (Signal::Stkflt, "STKFLT"),
    (Signal::Chld, "CHLD"),
    (Signal::Cont, "CONT"),
    (Signal::Stop, "STOP"),
    (Signal::Tstp, "TSTP"),
    (Signal::Ttin, "TTIN"),
    (Signal::Ttou, "TTOU"),
    (Signal::Urg, "URG"),
    (Signal::Xcpu, "XCPU"),
    (Signal::Xfsz, "XFSZ"),
    (Signal::Vtalrm, "VTALRM"),
    (Signal::Prof, "PROF"),
    (Signal::Winch, "WINCH"),
    (Signal::Io, "IO"),
    (Signal::Pwr, "PWR"),
    (Signal::Sys, "SYS"),
];
const RTMIN: u8 = 34;
const RTMAX: u8 = 64;

impl Signal {
    /// Linux signal number (x86/arm numbering).
    pub fn number(self) -> u8 {
        match self {
            Signal::Rt(n) => n,
            s => SIGNALS
                .iter()
                .position(|(x, _)| *x == s)
                .map_or(0, |p| p as u8 + 1),
        }
    }

    fn from_number(n: u32) -> Option<Signal> {
        match n {
            1..=31 => SIGNALS.get(n as usize - 1).map(|(s, _)| *s),
            34..=64 => Some(Signal::Rt(n as u8)),
            _ => None,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Signal::Rt(n) if n == RTMIN => f.write_str("SIGRTMIN"),
            Signal::Rt(n) if n == RTMAX => f.write_str("SIGRTMAX"),
            Signal::Rt(n) if n > RTMIN && n - RTMIN <= 15 => write!(f, "SIGRTMIN+{}", n - RTMIN),
            Signal::Rt(n) if n > RTMIN && n < RTMAX => write!(f, "SIGRTMAX-{}", RTMAX - n),
            Signal::Rt(n) => write!(f, "signal {n}"),
            s => {
                let name = SIGNALS
                    .iter()
                    .find(|(x, _)| *x == s)
                    .map_or("?", |(_, n)| n);
                write!(f, "SIG{name}")
            }
        }
    }
}

/// `SIGTERM`, `TERM`, `sigterm`, `15`, `SIGIOT`/`CLD`/`POLL` aliases, `RTMIN+3`,
/// `SIGRTMAX-2`. `0` (no signal) and unknown names → `None`.
pub fn normalize_signal(s: &str) -> Option<Signal> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<u32>().ok().and_then(Signal::from_number);
    }
    let upper = s.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(rest) = name.strip_prefix("RTMIN") {
        let off: u8 = if rest.is_empty() {
            0
        } else {
            rest.strip_prefix('+')?.parse().ok()?
        };
        return (off <= RTMAX - RTMIN).then(|| Signal::Rt(RTMIN + off));
    }
    if let Some(rest) = name.strip_prefix("RTMAX") {
        let off: u8 = if rest.is_empty() {
            0
        } else {
            rest.strip_prefix('-')?.parse().ok()?
        };
        return (off <= RTMAX - RTMIN).then(|| Signal::Rt(RTMAX - off));
    }
    let name = match name {
        "IOT" => "ABRT",
        "CLD" => "CHLD",
        "POLL" => "IO",
        n => n,
    };
    SIGNALS
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(sig, _)| *sig)
}

/// The signal named on a `kill`, `pkill` or `killall` command line and the index of
/// the word naming it: `kill -9`, `kill -KILL`, `kill -SIGKILL`, `kill -s KILL`,
/// `kill -s 9`, `kill --signal KILL`, `kill -n 9`, `pkill -9 x`, `pkill --signal=KILL`,
/// `killall -s KILL`, `killall -9`. `None` when no signal is named (the default is
/// SIGTERM) or for `kill -l`.
pub fn kill_signal_args(argv: &[&str]) -> Option<(Signal, usize)> {
    let u = unwrap_wrappers(argv);
    if u.rest_is_shell_string {
        return None;
    }
    let i = u.rest;
    let prog = program_name(word(argv, i)?);
    // pkill's -s is the session id; killall's -s is the signal (procps/psmisc man pages).
    let (signal_opts, value_opts): (&[&str], &str) = match prog {
        "kill" => (&["-s", "-n", "--signal"], ""),
        "pkill" => (&["--signal"], "gGPstuUF"),
        "killall" => (&["-s", "--signal"], "yoZun"),
        _ => return None,
    };
    let mut k = i + 1;
    while let Some(w) = word(argv, k) {
        if w == "--" || !w.starts_with('-') || w == "-" {
            return None;
        }
        if signal_opts.contains(&w) {
            return normalize_signal(word(argv, k + 1)?).map(|s| (s, k + 1));
        }
        if let Some(v) = w.strip_prefix("--signal=") {
            return normalize_signal(v).map(|s| (s, k));
        }
        if prog == "kill" && matches!(w, "-l" | "-L" | "--list" | "--table") {
            return None;
        }
        if let Some(sig) = normalize_signal(&w[1..]) {
            return Some((sig, k));
        }
        let single = w.len() == 2 && !w.starts_with("--");
        k += if single && value_opts.contains(&w[1..]) {
            2
        } else {
            1
        };
    }
    None
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<&str> {
        s.split_whitespace().collect()
    }

    #[test]
    fn option_walk_reads_clusters_longs_values_and_the_end_of_options() {
        let argv = w("-abt/x --mode=644 --owner root - src -- -f");
        let mut walk = OptionWalk::new(&argv);
        let mut seen = Vec::new();
        while let Some(arg) = walk.next() {
            match arg {
                Arg::Short { flag: 't', .. } => {
                    walk.end_cluster();
                    seen.push(arg);
                }
                Arg::Long { key: "owner", .. } => {
                    seen.push(arg);
                    seen.extend(walk.value().map(Arg::Operand));
                }
                _ => seen.push(arg),
            }
        }
        assert_eq!(
            seen,
            vec![
                Arg::Short {
                    flag: 'a',
                    attached: "bt/x"
                },
                Arg::Short {
                    flag: 'b',
                    attached: "t/x"
                },
                Arg::Short {
                    flag: 't',
                    attached: "/x"
                },
                Arg::Long {
                    key: "mode",
                    value: Some("644")
                },
                Arg::Long {
                    key: "owner",
                    value: None
                },
                Arg::Operand(3),
                Arg::Operand(4),
                Arg::Operand(5),
                Arg::Operand(7),
            ]
        );
        // A value asked for past the end is none; a cluster of one letter ends with its word.
        let argv = w("-m");
        let mut walk = OptionWalk::new(&argv);
        assert_eq!(
            walk.next(),
            Some(Arg::Short {
                flag: 'm',
                attached: ""
            })
        );
        assert_eq!(walk.value(), None);
        assert_eq!(walk.next(), None);
    }

    // program_name
    #[test]
    fn program_name_basename() {
        assert_eq!(program_name("/usr/local/bin/gunicorn"), "gunicorn");
        assert_eq!(program_name("gunicorn"), "gunicorn");
        assert_eq!(program_name("bin/"), "");
        assert_eq!(program_name(""), "");
    }
    #[test]
    fn program_name_versions() {
        assert_eq!(program_name("/usr/bin/python3.12"), "python");
        assert_eq!(program_name("python3"), "python");
        assert_eq!(program_name("ruby3.3"), "ruby");
        assert_eq!(program_name("php-fpm8.2"), "php-fpm");
        assert_eq!(program_name("php-fpm82"), "php-fpm");
        assert_eq!(program_name("php82"), "php");
        assert_eq!(program_name("pythonista"), "pythonista");
        assert_eq!(program_name("python3-config"), "python3-config");
    }
    #[test]
    fn bin_name_strips_versions() {
        assert_eq!(bin_name("prisma@5.1.0"), "prisma");
        assert_eq!(
            bin_name("@scope/cli@1"),
            "@scope/cli".rsplit('/').next().unwrap_or("")
        );
        assert_eq!(bin_name("@"), "@");
    }

    // wrappers
    #[test]
    fn unwrap_tini_dashes() {
        let a = w("/tini -- node app.js");
        let u = unwrap_wrappers(&a);
        assert_eq!(u.rest, 2);
        assert_eq!(u.wrappers[0].kind, WrapperKind::Forwards);
    }
    #[test]
    fn unwrap_tini_options() {
        let a = w("tini -s -g -vvv -e 143 -p SIGTERM -- gunicorn app");
        assert_eq!(unwrap_wrappers(&a).rest, 9);
    }
    #[test]
    fn unwrap_tini_without_dashes() {
        assert_eq!(unwrap_wrappers(&w("/sbin/tini node app.js")).rest, 1);
        assert_eq!(
            unwrap_wrappers(&w("docker-init -- x")).wrappers[0].name,
            "tini"
        );
    }
    #[test]
    fn unwrap_dumb_init() {
        let a = w("dumb-init --single-child -r 15:3 -- node x");
        let u = unwrap_wrappers(&a);
        assert_eq!((u.rest, u.wrappers[0].name), (5, "dumb-init"));
        assert_eq!(
            unwrap_wrappers(&w("dumb-init --rewrite=15:3 node x")).rest,
            2
        );
    }
    #[test]
    fn unwrap_env() {
        let a = w("env -i -u HOME PORT=80 A=b node x");
        assert_eq!(unwrap_wrappers(&a).rest, 6);
        assert_eq!(unwrap_wrappers(&w("env - X=1 node")).rest, 3);
        assert!(unwrap_wrappers(&w("env -S foo")).wrappers.is_empty());
    }
    #[test]
    fn unwrap_user_switchers() {
        assert_eq!(unwrap_wrappers(&w("gosu app node x")).rest, 2);
        assert_eq!(unwrap_wrappers(&w("su-exec app:app node x")).rest, 2);
        assert_eq!(unwrap_wrappers(&w("s6-setuidgid app node x")).rest, 2);
        assert!(unwrap_wrappers(&w("gosu --help")).wrappers.is_empty());
    }
    #[test]
    fn unwrap_shell_that_execs_its_arguments() {
        // ENTRYPOINT ["/bin/sh", "-c", "exec \"$@\"", "--"] + the platform's command.
        let a = ["/bin/sh", "-c", "exec \"$@\"", "--", "npm", "start"];
        let u = unwrap_wrappers(&a);
        assert_eq!(u.rest, 4);
        assert_eq!(u.wrappers[0].name, "sh -c 'exec \"$@\"'");
        assert!(u.signals_reach_program());
        assert_eq!(package_manager(&a).map(|p| p.index), Some(4));
        // The command after it is looked at as any other: a shell string runs in `sh`.
        let a = [
            "tini",
            "--",
            "sh",
            "-c",
            "exec \"$@\"",
            "sh",
            "sh",
            "-c",
            "node x",
        ];
        assert_eq!(unwrap_wrappers(&a).rest, 6);
        assert_eq!(shell_c(&a).map(|c| c.payload_index), Some(8));
        for script in [
            "exec \"$@\"",
            "set -e; exec \"$@\"",
            "set -eu\nexec \"${@}\"\n",
            "set -euo pipefail && exec \"$@\";",
            "set -o errexit -x; exec \"$@\"",
        ] {
            assert!(passes_arguments_through(script), "{script}");
            let a = ["bash", "-e", "-c", script, "bash", "node", "x"];
            assert_eq!(unwrap_wrappers(&a).rest, 5, "{script}");
        }
        for script in [
            "\"$@\"",
            "exec $@",
            "exec $*",
            "exec \"$*\"",
            "set -e; \"$@\"",
            "set -- node app.js; exec \"$@\"",
            "set -o; exec \"$@\"",
            "cd /app && exec \"$@\"",
            "exec \"$@\" &",
            "exec \"$@\" > /tmp/log",
            "exec \"$@\"; echo done",
            "",
        ] {
            assert!(!passes_arguments_through(script), "{script}");
        }
        // `sh -c` without a string, or a string that is not the pass-through: not a wrapper.
        assert!(unwrap_wrappers(&["sh", "-c"]).wrappers.is_empty());
        assert!(unwrap_wrappers(&["sh", "exec \"$@\"", "x"])
            .wrappers
            .is_empty());
        assert!(unwrap_wrappers(&["sh", "-c", "exec node", "x"])
            .wrappers
            .is_empty());
        // No word after the string: nothing runs after the shell.
        assert_eq!(unwrap_wrappers(&["sh", "-c", "exec \"$@\""]).rest, 3);
    }
    #[test]
    fn unwrap_chain() {
        let a = w("tini -- gosu app env X=1 exec bundle exec puma");
        let u = unwrap_wrappers(&a);
        let names: Vec<_> = u.wrappers.iter().map(|x| x.name).collect();
        assert_eq!(names, ["tini", "gosu", "env", "exec", "bundle exec"]);
        assert_eq!(u.rest, 9);
        assert!(u.signals_reach_program());
    }
    #[test]
    fn unwrap_sched_tools() {
        assert_eq!(unwrap_wrappers(&w("nice -n 10 node x")).rest, 3);
        assert_eq!(unwrap_wrappers(&w("nice -10 node x")).rest, 2);
        assert_eq!(unwrap_wrappers(&w("ionice -c2 -n7 node x")).rest, 3);
        assert!(unwrap_wrappers(&w("ionice -p 1")).wrappers.is_empty());
        assert_eq!(unwrap_wrappers(&w("taskset -c 0,1 node x")).rest, 3);
        assert_eq!(unwrap_wrappers(&w("taskset 0x3 node x")).rest, 2);
        assert!(unwrap_wrappers(&w("taskset -p 3 1")).wrappers.is_empty());
        assert_eq!(
            unwrap_wrappers(&w("numactl --interleave=all -N 0 -- node")).rest,
            5
        );
        assert_eq!(unwrap_wrappers(&w("stdbuf -oL -e 0 node")).rest, 4);
        assert_eq!(
            unwrap_wrappers(&w("setpriv --reuid 1000 --clear-groups node")).rest,
            4
        );
        assert_eq!(unwrap_wrappers(&w("chpst -u app -n 5 node")).rest, 5);
    }
    #[test]
    fn unwrap_exec_builtin() {
        assert_eq!(unwrap_wrappers(&w("exec -a name gunicorn")).rest, 3);
        assert_eq!(
            unwrap_wrappers(&w("exec gunicorn")).wrappers[0].kind,
            WrapperKind::Exec
        );
    }
    #[test]
    fn unwrap_language_runners() {
        let u = unwrap_wrappers(&w("uv run --with x -m uvicorn app"));
        assert_eq!((u.rest, u.wrappers[0].kind), (5, WrapperKind::Forwards));
        assert_eq!(unwrap_wrappers(&w("poetry run gunicorn app")).rest, 2);
        assert_eq!(unwrap_wrappers(&w("poetry -C /app run gunicorn")).rest, 4);
        assert_eq!(unwrap_wrappers(&w("pipenv run python x.py")).rest, 2);
        assert_eq!(unwrap_wrappers(&w("pdm run -p . gunicorn")).rest, 4);
        assert!(unwrap_wrappers(&w("poetry install")).wrappers.is_empty());
        assert!(unwrap_wrappers(&w("bundle install")).wrappers.is_empty());
    }
    #[test]
    fn unwrap_doppler_needs_dashes() {
        assert_eq!(unwrap_wrappers(&w("doppler run -p x -- node app")).rest, 5);
        assert!(unwrap_wrappers(&w("doppler run node")).wrappers.is_empty());
    }
    #[test]
    fn unwrap_sudo() {
        let u = unwrap_wrappers(&w("sudo -u app -E node x"));
        assert_eq!((u.rest, u.wrappers[0].kind), (4, WrapperKind::Forwards));
        assert!(unwrap_wrappers(&w("sudo -i node")).wrappers.is_empty());
    }
    #[test]
    fn unwrap_su_is_shell_child() {
        let a = ["su", "app", "-c", "node x"];
        let u = unwrap_wrappers(&a);
        assert_eq!((u.rest, u.rest_is_shell_string), (3, true));
        assert!(!u.signals_reach_program());
        assert!(unwrap_wrappers(&w("su app")).wrappers.is_empty());
    }
    #[test]
    fn unwrap_nothing_and_empty() {
        assert_eq!(unwrap_wrappers(&w("node x")).rest, 0);
        assert_eq!(unwrap_wrappers(&[]).rest, 0);
        assert_eq!(unwrap_wrappers(&w("tini --")).rest, 2);
        assert_eq!(unwrap_wrappers(&w("tini -e")).rest, 2);
    }

    // shells
    #[test]
    fn shell_c_forms() {
        let cases: &[(&[&str], ShellKind, usize)] = &[
            (&["sh", "-c", "x"], ShellKind::Sh, 2),
            (&["/bin/sh", "-c", "x"], ShellKind::Sh, 2),
            (&["bash", "-lc", "x"], ShellKind::Bash, 2),
            (&["bash", "-ec", "x"], ShellKind::Bash, 2),
            (&["sh", "-e", "-c", "x"], ShellKind::Sh, 3),
            (&["sh", "-c", "-e", "x"], ShellKind::Sh, 3),
            (&["bash", "--login", "-c", "x"], ShellKind::Bash, 3),
            (&["busybox", "sh", "-c", "x"], ShellKind::Busybox, 3),
            (&["/bin/ash", "-c", "x"], ShellKind::Ash, 2),
            (&["dash", "-c", "x"], ShellKind::Dash, 2),
            (&["zsh", "-c", "x"], ShellKind::Zsh, 2),
            (&["sh", "-o", "pipefail", "-c", "x"], ShellKind::Sh, 4),
            (
                &["bash", "-euo", "pipefail", "-c", "x", "name", "a"],
                ShellKind::Bash,
                4,
            ),
        ];
        for (argv, kind, idx) in cases {
            let got = shell_c(argv).unwrap_or_else(|| panic!("{argv:?}"));
            assert_eq!((got.shell, got.payload_index), (*kind, *idx), "{argv:?}");
        }
    }
    #[test]
    fn shell_c_after_wrappers() {
        let a = ["tini", "--", "sh", "-c", "x"];
        assert_eq!(
            shell_c(&a).map(|s| (s.shell_index, s.payload_index)),
            Some((2, 4))
        );
    }
    #[test]
    fn shell_c_via_su() {
        let a = ["su", "-s", "/bin/bash", "app", "-c", "node x"];
        assert_eq!(
            shell_c(&a).map(|s| (s.shell, s.payload_index)),
            Some((ShellKind::Bash, 5))
        );
        assert_eq!(
            shell_c(&["su", "app", "-c", "x"]).map(|s| s.shell),
            Some(ShellKind::Sh)
        );
    }
    #[test]
    fn shell_c_negative() {
        assert_eq!(shell_c(&w("sh script.sh")), None);
        assert_eq!(shell_c(&w("sh -c")), None);
        assert_eq!(shell_c(&w("node -c x")), None);
        assert_eq!(shell_c(&w("busybox wget x")), None);
        assert_eq!(shell_c(&[]), None);
    }
    #[test]
    fn shell_script_forms() {
        assert_eq!(
            shell_script(&w("sh /entrypoint.sh")),
            Some((ShellKind::Sh, 1))
        );
        assert_eq!(
            shell_script(&w("bash -e ./start.sh a")),
            Some((ShellKind::Bash, 2))
        );
        assert_eq!(shell_script(&w("sh -c x")), None);
        assert_eq!(shell_script(&w("sh -s")), None);
        assert_eq!(shell_script(&w("bash")), None);
    }

    // package managers
    fn pm(s: &str) -> Option<(&'static str, String, usize, bool)> {
        package_manager(&w(s)).map(|r| (r.manager, r.script, r.script_index, r.implicit))
    }
    #[test]
    fn npm_runs() {
        assert_eq!(pm("npm start"), Some(("npm", "start".into(), 1, false)));
        assert_eq!(pm("npm run start"), Some(("npm", "start".into(), 2, false)));
        assert_eq!(pm("npm run-script x"), Some(("npm", "x".into(), 2, false)));
        assert_eq!(
            pm("npm run x -- --flag"),
            Some(("npm", "x".into(), 2, false))
        );
        assert_eq!(
            pm("npm --prefix /app start"),
            Some(("npm", "start".into(), 3, false))
        );
        assert_eq!(
            pm("npm run --silent start"),
            Some(("npm", "start".into(), 3, false))
        );
        assert_eq!(pm("npm t"), Some(("npm", "test".into(), 1, false)));
    }
    #[test]
    fn npm_non_runs() {
        assert_eq!(pm("npm install"), None);
        assert_eq!(pm("npm ci"), None);
        assert_eq!(pm("npm run"), None);
        assert_eq!(pm("npx next start"), None);
        assert_eq!(pm("npm exec foo"), None);
    }
    #[test]
    fn yarn_runs() {
        assert_eq!(pm("yarn start"), Some(("yarn", "start".into(), 1, false)));
        assert_eq!(pm("yarn run x"), Some(("yarn", "x".into(), 2, false)));
        assert_eq!(pm("yarn build"), Some(("yarn", "build".into(), 1, true)));
        assert_eq!(
            pm("yarn --cwd /app start"),
            Some(("yarn", "start".into(), 3, false))
        );
        assert_eq!(
            pm("yarn workspace api start"),
            Some(("yarn", "start".into(), 3, false))
        );
        assert_eq!(pm("yarn install"), None);
        assert_eq!(pm("yarn add x"), None);
        assert_eq!(pm("yarn"), None);
    }
    #[test]
    fn pnpm_runs() {
        assert_eq!(pm("pnpm start"), Some(("pnpm", "start".into(), 1, false)));
        assert_eq!(pm("pnpm run x"), Some(("pnpm", "x".into(), 2, false)));
        assert_eq!(pm("pnpm dev"), Some(("pnpm", "dev".into(), 1, true)));
        assert_eq!(
            pm("pnpm --filter api start"),
            Some(("pnpm", "start".into(), 3, false))
        );
        assert_eq!(pm("pnpm install"), None);
        assert_eq!(pm("pnpm exec x"), None);
    }
    #[test]
    fn package_manager_after_wrappers() {
        assert_eq!(
            pm("dumb-init -- npm start"),
            Some(("npm", "start".into(), 3, false))
        );
    }

    // migrations
    fn mig(s: &str) -> Option<(&'static str, usize, usize)> {
        migration(&w(s)).map(|m| (m.tool, m.index, m.command_index))
    }
    fn mig_tool(s: &str) -> Option<&'static str> {
        migration(&w(s)).map(|m| m.tool)
    }
    #[test]
    fn rails_migrations() {
        assert_eq!(mig("rails db:migrate"), Some(("rails db:migrate", 0, 1)));
        assert_eq!(mig("rake db:migrate"), Some(("rake db:migrate", 0, 1)));
        assert_eq!(
            mig("bin/rails db:migrate"),
            Some(("rails db:migrate", 0, 1))
        );
        assert_eq!(
            mig("bundle exec rails db:migrate"),
            Some(("rails db:migrate", 2, 3))
        );
        assert_eq!(mig_tool("./bin/rails db:prepare"), Some("rails db:prepare"));
        assert_eq!(
            mig_tool("rails db:migrate:primary"),
            Some("rails db:migrate")
        );
        assert_eq!(
            mig_tool("rails -e production db:migrate"),
            Some("rails db:migrate")
        );
        assert_eq!(mig_tool("rails db:migrate:status"), None);
        assert_eq!(mig_tool("rails db:seed"), None);
        assert_eq!(mig_tool("rails server"), None);
    }
    #[test]
    fn django_migrations() {
        assert_eq!(
            mig("python manage.py migrate"),
            Some(("manage.py migrate", 1, 2))
        );
        assert_eq!(
            mig_tool("python3.12 manage.py migrate --noinput"),
            Some("manage.py migrate")
        );
        assert_eq!(
            mig_tool("/app/manage.py migrate"),
            Some("manage.py migrate")
        );
        assert_eq!(mig_tool("./manage.py migrate"), Some("manage.py migrate"));
        assert_eq!(mig_tool("django-admin migrate"), Some("manage.py migrate"));
        assert_eq!(
            mig_tool("python -m django migrate"),
            Some("manage.py migrate")
        );
        assert_eq!(
            mig_tool("python -u manage.py migrate"),
            Some("manage.py migrate")
        );
        assert_eq!(mig_tool("python manage.py makemigrations"), None);
        assert_eq!(mig_tool("python manage.py migrate --help"), None);
        assert_eq!(mig_tool("python manage.py migrate --plan"), None);
        assert_eq!(mig_tool("python manage.py runserver"), None);
        assert_eq!(mig_tool("python -c migrate"), None);
    }
    #[test]
    fn python_tools() {
        assert_eq!(mig_tool("alembic upgrade head"), Some("alembic upgrade"));
        assert_eq!(
            mig_tool("alembic -c alembic.ini upgrade head"),
            Some("alembic upgrade")
        );
        assert_eq!(
            mig_tool("python -m alembic upgrade head"),
            Some("alembic upgrade")
        );
        assert_eq!(mig_tool("alembic history"), None);
        assert_eq!(mig_tool("alembic upgrade head --sql"), None);
        assert_eq!(mig_tool("flask db upgrade"), Some("flask db upgrade"));
        assert_eq!(
            mig_tool("flask --app app db upgrade"),
            Some("flask db upgrade")
        );
        assert_eq!(mig_tool("flask db migrate"), None);
    }
    #[test]
    fn node_tools() {
        assert_eq!(
            mig("prisma migrate deploy"),
            Some(("prisma migrate deploy", 0, 2))
        );
        assert_eq!(
            mig("npx prisma migrate deploy"),
            Some(("prisma migrate deploy", 1, 3))
        );
        assert_eq!(
            mig_tool("npx -y prisma@5.2.0 migrate deploy"),
            Some("prisma migrate deploy")
        );
        assert_eq!(
            mig_tool("yarn prisma migrate deploy"),
            Some("prisma migrate deploy")
        );
        assert_eq!(
            mig_tool("pnpm prisma migrate deploy"),
            Some("prisma migrate deploy")
        );
        assert_eq!(
            mig_tool("pnpm exec prisma migrate deploy"),
            Some("prisma migrate deploy")
        );
        assert_eq!(
            mig_tool("bunx prisma migrate deploy"),
            Some("prisma migrate deploy")
        );
        assert_eq!(
            mig_tool("npm exec -- prisma migrate deploy"),
            Some("prisma migrate deploy")
        );
        assert_eq!(mig_tool("prisma migrate dev"), Some("prisma migrate dev"));
        assert_eq!(mig_tool("prisma db push"), Some("prisma db push"));
        assert_eq!(mig_tool("prisma generate"), None);
        assert_eq!(mig_tool("prisma migrate status"), None);
        assert_eq!(mig_tool("knex migrate:latest"), Some("knex migrate:latest"));
        assert_eq!(
            mig_tool("npx knex --knexfile k.js migrate:latest"),
            Some("knex migrate:latest")
        );
        assert_eq!(mig_tool("knex migrate:make x"), None);
        assert_eq!(
            mig_tool("sequelize db:migrate"),
            Some("sequelize db:migrate")
        );
        assert_eq!(
            mig_tool("npx sequelize-cli db:migrate"),
            Some("sequelize db:migrate")
        );
        assert_eq!(mig_tool("sequelize db:migrate:status"), None);
        assert_eq!(
            mig_tool("typeorm migration:run -d ds.js"),
            Some("typeorm migration:run")
        );
        assert_eq!(
            mig_tool("typeorm-ts-node-commonjs migration:run"),
            Some("typeorm migration:run")
        );
        assert_eq!(mig_tool("typeorm migration:generate"), None);
        assert_eq!(
            mig_tool("node node_modules/.bin/knex migrate:latest"),
            Some("knex migrate:latest")
        );
    }
    #[test]
    fn script_migrations() {
        assert_eq!(mig("npm run migrate"), Some(("npm run <script>", 0, 2)));
        assert_eq!(mig_tool("yarn migrate"), Some("yarn <script>"));
        assert_eq!(mig_tool("yarn db:migrate"), Some("yarn <script>"));
        assert_eq!(mig_tool("pnpm run migrate:deploy"), Some("pnpm <script>"));
        assert_eq!(mig_tool("npm run migrate:make"), None);
        assert_eq!(mig_tool("npm run migration:generate"), None);
        assert_eq!(mig_tool("npm start"), None);
    }
    #[test]
    fn jvm_and_go_tools() {
        assert_eq!(
            mig_tool("flyway -url=jdbc:x migrate"),
            Some("flyway migrate")
        );
        assert_eq!(mig_tool("flyway info"), None);
        assert_eq!(
            mig_tool("liquibase --changelog-file=c.xml update"),
            Some("liquibase update")
        );
        assert_eq!(mig_tool("liquibase update-sql"), None);
        assert_eq!(mig_tool("goose up"), Some("goose up"));
        assert_eq!(
            mig("goose -dir db postgres dsn up"),
            Some(("goose up", 0, 5))
        );
        assert_eq!(mig_tool("goose postgres dsn status"), None);
        assert_eq!(mig_tool("goose -dir=db up-by-one"), Some("goose up"));
        assert_eq!(
            mig("migrate -path db -database postgres://x up"),
            Some(("migrate up", 0, 5))
        );
        assert_eq!(
            mig_tool("migrate -source=file://db -database=x up 2"),
            Some("migrate up")
        );
        assert_eq!(mig_tool("migrate -path db -database x down"), None);
        assert_eq!(mig_tool("migrate up"), None);
        assert_eq!(mig_tool("migrate -path db -database x -help up"), None);
    }
    #[test]
    fn other_tools() {
        assert_eq!(mig_tool("dbmate up"), Some("dbmate up"));
        assert_eq!(
            mig_tool("dbmate --wait -d db/m migrate"),
            Some("dbmate migrate")
        );
        assert_eq!(mig_tool("dbmate status"), None);
        assert_eq!(
            mig_tool("atlas migrate apply --url x"),
            Some("atlas migrate apply")
        );
        assert_eq!(
            mig_tool("atlas schema apply -u x --to file://s.hcl"),
            Some("atlas schema apply")
        );
        assert_eq!(mig_tool("atlas schema apply --dry-run"), None);
        assert_eq!(mig_tool("atlas migrate diff"), None);
        assert_eq!(mig_tool("sqlx migrate run"), Some("sqlx migrate run"));
        assert_eq!(mig_tool("cargo sqlx migrate run"), Some("sqlx migrate run"));
        assert_eq!(mig_tool("sqlx migrate add x"), None);
        assert_eq!(
            mig_tool("diesel migration run"),
            Some("diesel migration run")
        );
        assert_eq!(mig_tool("diesel migration generate x"), None);
        assert_eq!(
            mig_tool("php artisan migrate --force"),
            Some("php artisan migrate")
        );
        assert_eq!(
            mig_tool("php82 artisan migrate"),
            Some("php artisan migrate")
        );
        assert_eq!(mig_tool("php artisan migrate:status"), None);
        assert_eq!(mig_tool("php artisan migrate:rollback"), None);
        assert_eq!(mig_tool("php artisan migrate --pretend"), None);
        assert_eq!(mig_tool("mix ecto.migrate"), Some("mix ecto.migrate"));
        assert_eq!(
            mig_tool("mix do ecto.create, ecto.migrate"),
            Some("mix ecto.migrate")
        );
        assert_eq!(mig_tool("mix ecto.rollback"), None);
        assert_eq!(
            mig_tool("hasura migrate apply"),
            Some("hasura migrate apply")
        );
        assert_eq!(mig_tool("sqitch deploy"), Some("sqitch deploy"));
    }
    #[test]
    fn elixir_release() {
        let a = ["bin/my_app", "eval", "MyApp.Release.migrate()"];
        assert_eq!(migration(&a).map(|m| m.command_index), Some(2));
        assert_eq!(
            migration(&["bin/my_app", "eval", "MyApp.Release.rollback_migrate"]),
            None
        );
        assert_eq!(migration(&["bin/my_app", "start"]), None);
    }
    #[test]
    fn migration_negatives_and_edges() {
        assert_eq!(mig_tool("gunicorn app"), None);
        assert_eq!(migration(&[]), None);
        assert_eq!(migration(&["su", "x", "-c", "rails db:migrate"]), None);
        assert_eq!(
            mig_tool("tini -- gosu app python manage.py migrate"),
            Some("manage.py migrate")
        );
    }

    // servers
    fn srv(s: &str) -> Option<(ServerKind, usize)> {
        server(&w(s)).map(|x| (x.kind, x.index))
    }
    #[test]
    fn python_servers() {
        assert_eq!(srv("gunicorn app:app"), Some((ServerKind::Gunicorn, 0)));
        assert_eq!(
            srv("python -m gunicorn app:app"),
            Some((ServerKind::Gunicorn, 2))
        );
        assert_eq!(
            srv("uv run uvicorn app:app"),
            Some((ServerKind::Uvicorn, 2))
        );
        assert_eq!(
            srv("hypercorn app:app").map(|x| x.0),
            Some(ServerKind::Hypercorn)
        );
        assert_eq!(
            srv("daphne app.asgi:app").map(|x| x.0),
            Some(ServerKind::Daphne)
        );
        assert_eq!(
            srv("celery -A proj worker -l info").map(|x| x.0),
            Some(ServerKind::CeleryWorker)
        );
        assert_eq!(srv("celery -A proj beat"), None);
        assert_eq!(
            srv("uwsgi --ini x.ini").map(|x| x.0),
            Some(ServerKind::Uwsgi)
        );
        assert_eq!(srv("gunicorn --version"), None);
    }
    #[test]
    fn ruby_servers() {
        assert_eq!(
            srv("bundle exec puma -C config/puma.rb"),
            Some((ServerKind::Puma, 2))
        );
        assert_eq!(
            srv("bin/rails s -b 0.0.0.0").map(|x| x.0),
            Some(ServerKind::RailsServer)
        );
        assert_eq!(
            srv("rails server").map(|x| x.0),
            Some(ServerKind::RailsServer)
        );
        assert_eq!(srv("rails console"), None);
        assert_eq!(srv("sidekiq -t 25").map(|x| x.0), Some(ServerKind::Sidekiq));
        assert_eq!(
            srv("unicorn -c u.rb").map(|x| x.0),
            Some(ServerKind::Unicorn)
        );
    }
    #[test]
    fn web_servers() {
        let nginx = ["nginx", "-g", "daemon off;"];
        assert_eq!(server(&nginx).map(|x| x.kind), Some(ServerKind::Nginx));
        assert_eq!(srv("nginx -t"), None);
        assert_eq!(srv("nginx -s reload"), None);
        assert_eq!(
            srv("httpd-foreground").map(|x| x.0),
            Some(ServerKind::Apache)
        );
        assert_eq!(
            srv("apache2ctl -D FOREGROUND").map(|x| x.0),
            Some(ServerKind::Apache)
        );
        assert_eq!(srv("apachectl -k stop"), None);
        assert_eq!(srv("php-fpm8.2 -F").map(|x| x.0), Some(ServerKind::PhpFpm));
        assert_eq!(srv("php-fpm -t"), None);
        assert_eq!(
            srv("caddy run --config /etc/caddy/Caddyfile").map(|x| x.0),
            Some(ServerKind::Caddy)
        );
        assert_eq!(
            srv("traefik --configFile=x").map(|x| x.0),
            Some(ServerKind::Traefik)
        );
        assert_eq!(
            srv("haproxy -f /etc/h.cfg").map(|x| x.0),
            Some(ServerKind::Haproxy)
        );
        assert_eq!(srv("haproxy -c -f x"), None);
        assert_eq!(
            srv("envoy -c envoy.yaml").map(|x| x.0),
            Some(ServerKind::Envoy)
        );
        assert_eq!(srv("envoy --mode validate -c x"), None);
    }
    #[test]
    fn runtime_servers() {
        assert_eq!(srv("node server.js"), Some((ServerKind::Node, 0)));
        assert_eq!(
            srv("node -r dotenv/config dist/main.js").map(|x| x.0),
            Some(ServerKind::Node)
        );
        assert_eq!(srv("node -e 1"), None);
        assert_eq!(srv("node"), None);
        assert_eq!(
            srv("deno run -A main.ts").map(|x| x.0),
            Some(ServerKind::Deno)
        );
        assert_eq!(srv("bun run index.ts").map(|x| x.0), Some(ServerKind::Bun));
        assert_eq!(srv("bun install"), None);
        assert_eq!(
            srv("java -Xmx1g -jar app.jar").map(|x| x.0),
            Some(ServerKind::JavaJar)
        );
        assert_eq!(srv("java -cp x Main"), None);
        assert_eq!(srv("dotnet App.dll").map(|x| x.0), Some(ServerKind::Dotnet));
        assert_eq!(srv("dotnet build"), None);
    }

    // drain timeouts
    fn drain(s: &str) -> Option<(ServerKind, Option<f64>, usize, &'static str)> {
        drain_timeout(&w(s)).map(|d| (d.server, d.seconds, d.index, d.flag))
    }
    #[test]
    fn gunicorn_drain() {
        assert_eq!(
            drain("gunicorn --graceful-timeout 30 app"),
            Some((ServerKind::Gunicorn, Some(30.0), 2, "--graceful-timeout"))
        );
        assert_eq!(
            drain("gunicorn --graceful-timeout=45 app"),
            Some((ServerKind::Gunicorn, Some(45.0), 1, "--graceful-timeout"))
        );
        assert_eq!(
            drain("gunicorn --graceful-timeout 10 --graceful-timeout 20").map(|d| d.1),
            Some(Some(20.0))
        );
        assert_eq!(
            drain("gunicorn --graceful-timeout $T app").map(|d| d.1),
            Some(None)
        );
        assert_eq!(drain("gunicorn -t 90 app"), None);
        assert_eq!(drain("gunicorn app"), None);
    }
    #[test]
    fn other_drains() {
        assert_eq!(
            drain("uvicorn app --timeout-graceful-shutdown 20").map(|d| d.1),
            Some(Some(20.0))
        );
        assert_eq!(
            drain("hypercorn --graceful-timeout 2.5 app").map(|d| d.1),
            Some(Some(2.5))
        );
        assert_eq!(
            drain("sidekiq -t 25"),
            Some((ServerKind::Sidekiq, Some(25.0), 2, "-t"))
        );
        assert_eq!(
            drain("sidekiq --timeout=8").map(|d| (d.1, d.3)),
            Some((Some(8.0), "--timeout"))
        );
        assert_eq!(
            drain("sidekiq -t8").map(|d| (d.1, d.2)),
            Some((Some(8.0), 1))
        );
        assert_eq!(
            drain("bundle exec sidekiq -C c.yml -t 60").map(|d| (d.1, d.2)),
            Some((Some(60.0), 6))
        );
        assert_eq!(drain("puma -w 2"), None);
        assert_eq!(drain("gunicorn --graceful-timeout"), None);
    }
    #[test]
    fn defaults() {
        assert_eq!(default_drain_seconds(ServerKind::Gunicorn), Some(30));
        assert_eq!(default_drain_seconds(ServerKind::Sidekiq), Some(25));
        assert_eq!(default_drain_seconds(ServerKind::Hypercorn), Some(3));
        assert_eq!(default_drain_seconds(ServerKind::Uvicorn), None);
        assert_eq!(default_drain_seconds(ServerKind::Puma), None);
    }
    #[test]
    fn gunicorn_cmd_args() {
        assert_eq!(
            drain_timeout_from_gunicorn_cmd_args("--bind=0.0.0.0 --graceful-timeout 20"),
            Some(20.0)
        );
        assert_eq!(
            drain_timeout_from_gunicorn_cmd_args("--graceful-timeout='15'"),
            Some(15.0)
        );
        assert_eq!(drain_timeout_from_gunicorn_cmd_args("--workers 3"), None);
        assert_eq!(
            drain_timeout_from_gunicorn_cmd_args("--graceful-timeout x"),
            None
        );
        assert_eq!(drain_timeout_from_gunicorn_cmd_args("\"unterminated"), None);
    }
    #[test]
    fn durations() {
        assert_eq!(parse_duration_seconds("25"), Some(25.0));
        assert_eq!(parse_duration_seconds("25s"), Some(25.0));
        assert_eq!(parse_duration_seconds("1m"), Some(60.0));
        assert_eq!(parse_duration_seconds("1m30s"), Some(90.0));
        assert_eq!(parse_duration_seconds("500ms"), Some(0.5));
        assert_eq!(parse_duration_seconds("1h"), Some(3600.0));
        assert_eq!(parse_duration_seconds("1.5h"), Some(5400.0));
        assert_eq!(parse_duration_seconds(" 2s "), Some(2.0));
        assert_eq!(parse_duration_seconds(""), None);
        assert_eq!(parse_duration_seconds("-5s"), None);
        assert_eq!(parse_duration_seconds("5x"), None);
        assert_eq!(parse_duration_seconds("s"), None);
        assert_eq!(parse_duration_seconds("1..2s"), None);
        assert_eq!(parse_duration_seconds("inf"), None);
    }

    // signals
    #[test]
    fn normalize_names() {
        assert_eq!(normalize_signal("SIGTERM"), Some(Signal::Term));
        assert_eq!(normalize_signal("TERM"), Some(Signal::Term));
        assert_eq!(normalize_signal("15"), Some(Signal::Term));
        assert_eq!(normalize_signal("sigquit"), Some(Signal::Quit));
        assert_eq!(normalize_signal("9"), Some(Signal::Kill));
        assert_eq!(normalize_signal("SIGIOT"), Some(Signal::Abrt));
        assert_eq!(normalize_signal("0"), None);
        assert_eq!(normalize_signal("32"), None);
        assert_eq!(normalize_signal("65"), None);
        assert_eq!(normalize_signal("99999999999999"), None);
        assert_eq!(normalize_signal("SIGFOO"), None);
        assert_eq!(normalize_signal(""), None);
        assert_eq!(normalize_signal("SIG"), None);
    }
    #[test]
    fn realtime_signals() {
        assert_eq!(normalize_signal("RTMIN+3"), Some(Signal::Rt(37)));
        assert_eq!(normalize_signal("SIGRTMIN"), Some(Signal::Rt(34)));
        assert_eq!(normalize_signal("SIGRTMAX-2"), Some(Signal::Rt(62)));
        assert_eq!(normalize_signal("RTMIN+31"), None);
        assert_eq!(normalize_signal("RTMIN3"), None);
        assert_eq!(normalize_signal("37"), Some(Signal::Rt(37)));
        assert_eq!(Signal::Rt(37).to_string(), "SIGRTMIN+3");
        assert_eq!(Signal::Rt(62).to_string(), "SIGRTMAX-2");
        assert_eq!(Signal::Rt(64).to_string(), "SIGRTMAX");
    }
    #[test]
    fn signal_display_and_number() {
        assert_eq!(Signal::Kill.to_string(), "SIGKILL");
        assert_eq!(Signal::Term.number(), 15);
        assert_eq!(Signal::Sys.number(), 31);
        for n in 1..=64u32 {
            if let Some(s) = normalize_signal(&n.to_string()) {
                assert_eq!(u32::from(s.number()), n);
                assert_eq!(normalize_signal(&s.to_string()), Some(s));
            }
        }
    }
    fn ks(s: &str) -> Option<(String, usize)> {
        kill_signal_args(&w(s)).map(|(sig, i)| (sig.to_string(), i))
    }
    #[test]
    fn kill_forms() {
        assert_eq!(ks("kill -9 1"), Some(("SIGKILL".into(), 1)));
        assert_eq!(ks("kill -KILL 1"), Some(("SIGKILL".into(), 1)));
        assert_eq!(ks("kill -SIGKILL $MAINPID"), Some(("SIGKILL".into(), 1)));
        assert_eq!(ks("kill -s KILL 1"), Some(("SIGKILL".into(), 2)));
        assert_eq!(ks("kill -s 9 1"), Some(("SIGKILL".into(), 2)));
        assert_eq!(ks("kill --signal KILL 1"), Some(("SIGKILL".into(), 2)));
        assert_eq!(ks("kill --signal=QUIT 1"), Some(("SIGQUIT".into(), 1)));
        assert_eq!(ks("/bin/kill -TERM $MAINPID"), Some(("SIGTERM".into(), 1)));
        assert_eq!(ks("kill 1"), None);
        assert_eq!(ks("kill -l"), None);
        assert_eq!(ks("kill -- -1"), None);
        assert_eq!(ks("kill -s"), None);
    }
    #[test]
    fn pkill_killall_forms() {
        assert_eq!(ks("pkill -9 gunicorn"), Some(("SIGKILL".into(), 1)));
        assert_eq!(ks("pkill -f -QUIT nginx"), Some(("SIGQUIT".into(), 2)));
        assert_eq!(ks("pkill -u 9 node"), None);
        assert_eq!(ks("pkill -s 9 node"), None);
        assert_eq!(ks("pkill --signal=KILL x"), Some(("SIGKILL".into(), 1)));
        assert_eq!(ks("killall -9 node"), Some(("SIGKILL".into(), 1)));
        assert_eq!(ks("killall -s KILL node"), Some(("SIGKILL".into(), 2)));
        assert_eq!(ks("killall node"), None);
        assert_eq!(ks("echo -9"), None);
    }

    #[test]
    fn sudo_background_not_unwrapped() {
        assert!(unwrap_wrappers(&w("sudo -b node x")).wrappers.is_empty());
    }
    #[test]
    fn pkill_flag_options_do_not_eat_signal() {
        assert_eq!(ks("pkill -n -9 node"), Some(("SIGKILL".into(), 2)));
        assert_eq!(ks("pkill -c -HUP node"), Some(("SIGHUP".into(), 2)));
        assert_eq!(ks("killall -n 5 -KILL x"), Some(("SIGKILL".into(), 3)));
    }
    #[test]
    fn python_attached_module_is_not_resolved() {
        assert_eq!(srv("python -mgunicorn app"), None);
    }
    #[test]
    fn rt_display_out_of_range() {
        assert_eq!(Signal::Rt(5).to_string(), "signal 5");
        assert_eq!(Signal::Rt(200).to_string(), "signal 200");
    }
    #[test]
    fn wrapped_kill() {
        assert_eq!(ks("exec kill -QUIT 1"), Some(("SIGQUIT".into(), 2)));
    }
    #[test]
    fn drain_after_wrappers_and_python_m() {
        let a = w("tini -- python -m gunicorn --graceful-timeout 5 app");
        assert_eq!(
            drain_timeout(&a).map(|d| (d.seconds, d.index)),
            Some((Some(5.0), 6))
        );
    }
    #[test]
    fn migration_index_points_at_tool_after_python() {
        assert_eq!(
            mig("python3 -m flask db upgrade"),
            Some(("flask db upgrade", 2, 4))
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        let odd: &[&[&str]] = &[
            &[],
            &[""],
            &["-"],
            &["--"],
            &["tini", "-p"],
            &["env", "A=1"],
            &["npm", "run", "--prefix"],
            &["yarn", "workspace"],
            &["python", "-m"],
            &["python", "-W"],
            &["goose", "-dir"],
            &["migrate", "-path"],
            &["bin/x", "eval"],
            &["su", "-c"],
            &["sh", "-o"],
            &["kill", "-s"],
            &["é", "ü", "-é"],
            &["gunicorn", "--graceful-timeout=é"],
            &["sidekiq", "-t"],
            &["rails"],
            &["mix"],
            &["taskset", "-c"],
            &["bundle", "exec"],
            &["doppler", "run", "--"],
        ];
        for a in odd {
            let _ = unwrap_wrappers(a);
            let _ = shell_c(a);
            let _ = shell_script(a);
            let _ = package_manager(a);
            let _ = migration(a);
            let _ = server(a);
            let _ = drain_timeout(a);
            let _ = kill_signal_args(a);
            for x in a.iter() {
                let _ = program_name(x);
                let _ = normalize_signal(x);
                let _ = parse_duration_seconds(x);
                let _ = drain_timeout_from_gunicorn_cmd_args(x);
            }
        }
    }
}
