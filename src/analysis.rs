//! What a process's effective command does, shared by every format: init wrappers, a shell at
//! PID 1 (and whether the signal gets past it), the program that ends up running, and the
//! commands that run before it (migrations). Formats hand in argv; rules read the result.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use crate::diagnostic::Location;
use crate::model::{Command, CommandWord, EnvVar, HiddenEnv, ShellEnv, ShellFamily};
use crate::shell::commands::{self, ServerKind, ShellKind};
use crate::shell::{self, ImplicitExecShell, SimpleCommand, Word};
use crate::span::{MappedText, Span};

/// How deep `sh -c "exec sh -c '…'"` nesting is followed.
const MAX_SHELL_NESTING: usize = 4;

#[derive(Debug, Clone, PartialEq)]
pub struct CommandAnalysis {
    /// Programs in front that exec or forward signals (`tini --`, `gosu app`), by name.
    pub wrappers: Vec<String>,
    /// The first of `wrappers` that stays and forwards signals (`tini`, `dumb-init`), by name:
    /// it, not the program, is the process the platform signals.
    pub forwarder: Option<&'static str>,
    /// Whom the forwarder passes a signal to, when its own options say so (`tini -g`,
    /// `dumb-init -c`); `None` leaves it to its default and its environment switches.
    pub relay: Option<Relay>,
    /// What `env` wrappers in front of the forwarder do to its environment (`env
    /// TINI_KILL_PROCESS_GROUP=1 tini --`), when they touch the variables an init reads.
    pub init_env: Option<Box<InitEnv>>,
    /// The forwarder's `--rewrite s:r` values (dumb-init(1)): it sends the signal `r` where it
    /// receives `s`.
    pub rewrites: Vec<String>,
    /// Another init forwarder runs in front of `forwarder` (`tini -- dumb-init --`): whom the
    /// signal reaches then depends on both, and on their process groups.
    pub outer_init: bool,
    /// A shell that receives the stop signal first.
    pub shell: Option<ShellStage>,
    /// The program that ends up running (after wrappers and shells), when known.
    pub main: Option<Program>,
    /// The migrations among the commands that run before `main` in the shell's `&&`/`;` chain
    /// (the other commands are only counted: a chain can be 100,000 commands long).
    pub migrations_before: Vec<Program>,
    /// Some command runs before `main` in that chain.
    pub runs_before: bool,
    /// A script the command runs (an entrypoint script, `sh start.sh`), to link to a file.
    pub script: Option<ScriptRun>,
}

impl CommandAnalysis {
    /// Give back spare capacity: an analysis is kept for every process until the rules ran.
    fn shrink_to_fit(&mut self) {
        self.wrappers.shrink_to_fit();
        self.migrations_before.shrink_to_fit();
        for program in self.main.iter_mut().chain(&mut self.migrations_before) {
            program.argv.shrink_to_fit();
        }
    }
}

/// Whom a forwarder passes the signal it receives to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relay {
    /// Its child alone (tini's and catatonit's default, `dumb-init -c`).
    Child,
    /// Every process of its child's process group (dumb-init's default, `tini -g`,
    /// `catatonit -g`).
    Group,
}

/// The environment variables that decide an init's mode (tini(1), dumb-init(1)).
const INIT_VARS: &[&str] = &["TINI_KILL_PROCESS_GROUP", "DUMB_INIT_SETSID"];

/// What `env` wrappers in front of an init forwarder do to the variables it reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitEnv {
    /// `env -i` (or `env -`): the process's own environment does not reach the init.
    pub cleared: bool,
    /// [`INIT_VARS`] set (`NAME=VALUE`) or removed (`-u NAME`, `None`), in order.
    pub vars: Vec<(String, Option<String>)>,
    /// An option whose effect is not modelled: nothing is claimed about the init's mode.
    pub unsure: bool,
}

/// A variable as an init in front of a shell sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitVar<'a> {
    /// Set; its value when known (a Kubernetes `valueFrom` is not).
    Set(Option<&'a str>),
    Unset,
    /// An `env` option not modelled stands in front of the init.
    Unsure,
}

impl InitEnv {
    /// Read the words of one `env` wrapper (after `env`, up to the program it runs).
    fn read(&mut self, words: &[&str]) {
        let mut words = words.iter();
        let mut options = true;
        while let Some(&word) = words.next() {
            if options && word == "--" {
                options = false;
                continue;
            }
            if options && (word == "-" || word == "-i" || word == "--ignore-environment") {
                self.cleared = true;
                self.vars.clear();
                continue;
            }
            let unset = if !options {
                None
            } else if word == "-u" || word == "--unset" {
                match words.next() {
                    Some(name) => Some(*name),
                    None => {
                        self.unsure = true;
                        return;
                    }
                }
            } else {
                word.strip_prefix("--unset=")
                    .or_else(|| word.strip_prefix("-u").filter(|n| !n.is_empty()))
            };
            if let Some(name) = unset {
                if INIT_VARS.contains(&name) {
                    self.vars.push((name.to_string(), None));
                }
                continue;
            }
            if options && word.starts_with('-') {
                self.unsure = true;
                return;
            }
            options = false;
            match word.split_once('=') {
                Some((name, value)) if !name.is_empty() => {
                    if INIT_VARS.contains(&name) {
                        self.vars.push((name.to_string(), Some(value.to_string())));
                    }
                }
                _ => return,
            }
        }
    }

    /// `name` as the init sees it, given the process's own value.
    pub fn var<'a>(
        this: Option<&'a InitEnv>,
        name: &str,
        own: Option<&'a crate::model::EnvVar>,
    ) -> InitVar<'a> {
        if let Some(env) = this {
            if env.unsure {
                return InitVar::Unsure;
            }
            if let Some((_, value)) = env.vars.iter().rev().find(|(n, _)| n == name) {
                return match value {
                    Some(v) => InitVar::Set(Some(v.as_str())),
                    None => InitVar::Unset,
                };
            }
            if env.cleared {
                return InitVar::Unset;
            }
        }
        match own {
            Some(e) => InitVar::Set(e.value.as_deref()),
            None => InitVar::Unset,
        }
    }
}

/// The `--rewrite` values among dumb-init's options (`-r 15:2`, `-r15:2`, `--rewrite=15:2`).
fn rewrite_options(forwarder: &str, options: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    if forwarder != "dumb-init" {
        return out;
    }
    let mut words = options.iter();
    while let Some(word) = words.next() {
        if *word == "--" || !word.starts_with('-') {
            break;
        }
        if let Some(long) = word.strip_prefix("--") {
            if long == "rewrite" {
                out.extend(words.next().map(|v| v.to_string()));
            } else if let Some(value) = long.strip_prefix("rewrite=") {
                out.push(value.to_string());
            }
            continue;
        }
        // Short options: `-c`, `-v`, `-V`, `-h` take no value; `-r` takes one.
        if let Some(at) = word.find('r').filter(|&at| at > 0) {
            match word.get(at + 1..).filter(|v| !v.is_empty()) {
                Some(value) => out.push(value.to_string()),
                None => out.extend(words.next().map(|v| v.to_string())),
            }
        }
    }
    out
}

/// What a forwarder's own options (the words between its name and what it runs) say about
/// whom it signals: tini(1) and catatonit(1) `-g`, dumb-init(1) `-c`/`--single-child`.
fn relay_option(forwarder: &str, options: &[&str]) -> Option<Relay> {
    // Short options that take a value: tini `-e CODE`, `-p SIGNAL`; dumb-init `-r s:r`.
    let (flag, relay, with_value, long) = match forwarder {
        "tini" => ('g', Relay::Group, "ep", None),
        "catatonit" => ('g', Relay::Group, "", None),
        "dumb-init" => ('c', Relay::Child, "r", Some("--single-child")),
        _ => return None,
    };
    let mut found = None;
    let mut words = options.iter();
    while let Some(word) = words.next() {
        if *word == "--" || !word.starts_with('-') {
            break;
        }
        if word.starts_with("--") {
            if Some(*word) == long {
                found = Some(relay);
            } else if *word == "--rewrite" {
                words.next();
            }
            continue;
        }
        for (pos, ch) in word.char_indices().skip(1) {
            if ch == flag {
                found = Some(relay);
            }
            if with_value.contains(ch) {
                if pos + ch.len_utf8() == word.len() {
                    words.next();
                }
                break;
            }
        }
    }
    found
}

/// A script file that the command runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptRun {
    /// The path as the command names it (`docker-entrypoint.sh`, `./bin/start`).
    pub path: String,
    pub location: Location,
}

/// A shell between the platform's signal and the program.
#[derive(Debug, Clone, PartialEq)]
pub struct ShellStage {
    /// The shell as written or added (`/bin/sh`, `bash`).
    pub program: String,
    pub family: ShellFamily,
    /// Why we think the shell is `family` ("node:22-slim is Debian-based: /bin/sh is dash").
    pub reason: String,
    /// Nothing on the page said which shell it is; dash was assumed.
    pub assumed: bool,
    /// What decided the shell (the `FROM` image, a `SHELL` instruction), when it was the
    /// environment's `/bin/sh` rather than a named shell.
    pub reason_location: Option<Location>,
    /// The shell was added by the platform (Dockerfile shell form), not written as `sh -c`.
    pub synthesized: bool,
    /// Index into [`Command::sources`] of the payload string's source.
    pub source: usize,
    /// The command string the shell runs.
    pub payload: Location,
    pub outcome: ShellOutcome,
    /// How the string ends around the program.
    pub tail: ShellTail,
}

/// How a command string ends around its program ([`CommandAnalysis::main`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ShellTail {
    /// The program is the last command (or the string was not read).
    #[default]
    Last,
    /// The program runs in a final subshell `( … )`, which dash and bash fork and wait for.
    Subshell,
    /// Builtins that finish at once run after the program (`node server.js; echo stopped`):
    /// the shell waits for the program, then runs them.
    FollowedByBuiltins,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ShellOutcome {
    /// The string ends with `exec program`: the program replaces the shell.
    Exec,
    /// bash/busybox exec the final simple command themselves.
    ImplicitExec,
    /// The string traps the signal and handles it itself (e.g. forwards it).
    Trap(Location),
    /// The shell stays PID 1 and the signal dies with it; `why` says what keeps it.
    Stays { why: String },
    /// The string could not be parsed; nothing is concluded.
    Unknown,
}

/// A program's words. Those of a shared command head (an image's ENTRYPOINT that thousands of
/// services give their own arguments, [`Command::head`]) are shared, not copied.
#[derive(Debug, Clone, Default)]
pub struct Argv {
    head: Option<Arc<[String]>>,
    /// Where in `head` the program starts.
    skip: usize,
    own: Vec<String>,
}

impl PartialEq for Argv {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl From<Vec<String>> for Argv {
    fn from(own: Vec<String>) -> Self {
        Argv {
            head: None,
            skip: 0,
            own,
        }
    }
}

impl<'a> IntoIterator for &'a Argv {
    type Item = &'a String;
    type IntoIter = std::iter::Chain<std::slice::Iter<'a, String>, std::slice::Iter<'a, String>>;

    fn into_iter(self) -> Self::IntoIter {
        self.head_part().iter().chain(self.own.iter())
    }
}

impl Argv {
    fn head_part(&self) -> &[String] {
        self.head
            .as_deref()
            .and_then(|h| h.get(self.skip..))
            .unwrap_or(&[])
    }

    pub fn iter(&self) -> <&Argv as IntoIterator>::IntoIter {
        self.into_iter()
    }

    pub fn len(&self) -> usize {
        self.head_part().len() + self.own.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn first(&self) -> Option<&String> {
        self.iter().next()
    }

    pub fn get(&self, i: usize) -> Option<&String> {
        let head = self.head_part();
        match i.checked_sub(head.len()) {
            None => head.get(i),
            Some(own) => self.own.get(own),
        }
    }

    fn shrink_to_fit(&mut self) {
        self.own.shrink_to_fit();
    }
}

/// One program invocation, with what we recognise about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub argv: Argv,
    /// The whole command.
    pub location: Location,
    /// The program word.
    pub name_location: Location,
    pub package_manager: Option<PackageManagerUse>,
    pub server: Option<ServerKind>,
    /// The word naming the server (`gunicorn` in `python -m gunicorn`), when recognised.
    pub server_location: Option<Location>,
    /// e.g. `rails db:migrate`.
    pub migration: Option<&'static str>,
    pub drain: Option<DrainSetting>,
    /// The program is a script path (`./start.sh`, `/docker-entrypoint.sh`), to link to a file.
    pub script_path: Option<String>,
    /// What the command line itself does to the program's environment (`env NAME=VALUE`,
    /// `NAME=VALUE prog` in a shell, `doppler run --`). Boxed: most programs have none.
    pub env: Option<Box<ProgramEnv>>,
}

/// The environment a command line gives its program on top of the process's: applied after
/// the platform's, so it wins over it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProgramEnv {
    /// `NAME=VALUE` set for the program by an `env` wrapper or a shell's prefix assignment,
    /// only the names rules read ([`crate::drain::env_read_by_rules`]), in order (the last
    /// wins). A value with an expansion (`$T`, `$(T)`) is kept as `None`.
    pub vars: Vec<EnvVar>,
    /// The command line changes the environment in a way that is not read: `env -i`/`-u`,
    /// a secrets wrapper that adds variables (`doppler run`, `uv run --env-file`,
    /// `chpst -e`), a shell that sources a file or exports a variable rules read before the
    /// program. Any variable may then be set (or unset) there, over `vars` too.
    pub hidden: Option<HiddenEnv>,
}

impl ProgramEnv {
    fn is_empty(&self) -> bool {
        self.vars.is_empty() && self.hidden.is_none()
    }

    /// `inner` (nearer the program) applied after `self`.
    fn then(mut self, inner: Option<Box<ProgramEnv>>) -> Option<Box<ProgramEnv>> {
        if let Some(inner) = inner {
            self.vars.extend(inner.vars);
            self.hidden = inner.hidden.or(self.hidden);
        }
        (!self.is_empty()).then(|| Box::new(self))
    }
}

fn hidden(source: &'static str, location: Location) -> Option<HiddenEnv> {
    Some(HiddenEnv {
        source,
        location,
        overrides_written: true,
        prefixes: Vec::new(),
    })
}

/// `NAME=VALUE` as an environment variable rules read, `None` for other names. `literal`:
/// the value is the text that runs (no expansion).
fn assigned_var(word: &str, literal: bool, location: Location) -> Option<EnvVar> {
    let (name, value) = word.split_once('=')?;
    if !crate::drain::env_read_by_rules(name) {
        return None;
    }
    // Kubernetes expands `$(NAME)` in command and args; a shell `$T`.
    let literal = literal && !value.contains('$') && !value.contains('`');
    Some(EnvVar::new(
        name.to_string(),
        literal.then(|| value.into()),
        location,
    ))
}

/// What the wrappers in front of the program (`argv[..rest]`) do to its environment.
fn wrapper_env(
    argv: &[&str],
    unwrapped: &commands::Unwrapped,
    word_location: &dyn Fn(usize) -> Option<Location>,
    fallback: Location,
) -> ProgramEnv {
    let mut env = ProgramEnv::default();
    for (i, wrapper) in unwrapped.wrappers.iter().enumerate() {
        let end = unwrapped
            .wrappers
            .get(i + 1)
            .map_or(unwrapped.rest, |w| w.index)
            .min(argv.len());
        let words = argv.get(wrapper.index + 1..end).unwrap_or(&[]);
        let at = word_location(wrapper.index).unwrap_or(fallback);
        match wrapper.name {
            "env" => {
                for (offset, word) in words.iter().enumerate() {
                    if *word == "--" {
                        continue;
                    }
                    if word.starts_with('-') {
                        // `-i`, `-`, `-u NAME`, `-S STRING`, `-C DIR`: not followed.
                        env.hidden = env.hidden.or(hidden("env with options", at));
                        continue;
                    }
                    let location = word_location(wrapper.index + 1 + offset).unwrap_or(at);
                    env.vars.extend(assigned_var(word, true, location));
                }
            }
            "doppler run" => env.hidden = env.hidden.or(hidden("doppler run", at)),
            // pipenv loads the project's `.env` into the command's environment unless
            // PIPENV_DONT_LOAD_ENV is set (pipenv docs, "Automatic Loading of .env").
            "pipenv run" => env.hidden = env.hidden.or(hidden("pipenv run (loads .env)", at)),
            "uv run" if words.iter().any(|w| w.starts_with("--env-file")) => {
                env.hidden = env.hidden.or(hidden("uv run --env-file", at));
            }
            "chpst" if words.iter().any(|w| w.starts_with("-e")) => {
                env.hidden = env.hidden.or(hidden("chpst -e", at));
            }
            _ => {}
        }
    }
    env
}

/// Whether a command that runs before the program in a shell string may set a variable rules
/// read for it: `export`/`declare` of such a name (or of a name that is not known), an
/// assignment of one, sourcing a file (`. ./env.sh`; a virtualenv's `activate` sets only its
/// own variables), `eval`.
fn sets_env_before(command: &SimpleCommand) -> bool {
    // The name assigned or exported (`NAME=…`, `NAME`): one rules read, or one that is not
    // known (`export "$VAR"`). What is assigned to another name does not matter.
    let relevant = |word: &Word| {
        let name = word.value.split('=').next().unwrap_or("");
        crate::drain::env_read_by_rules(name) || name.contains('$') || name.contains('`')
    };
    if command.words.is_empty() {
        return command.assignments.iter().any(relevant);
    }
    let argv = command.argv();
    match argv.first().copied() {
        Some("export" | "declare" | "typeset" | "readonly" | "local") => {
            command.words.iter().skip(1).any(relevant)
        }
        Some("." | "source") => !argv
            .get(1)
            .is_some_and(|file| file.ends_with("/activate") || *file == "activate"),
        Some("eval") => true,
        _ => false,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PackageManagerUse {
    pub manager: &'static str,
    pub script: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DrainSetting {
    pub server: ServerKind,
    /// `None`: set to something that is not a literal number.
    pub seconds: Option<f64>,
    pub flag: &'static str,
    pub location: Location,
}

impl Program {
    /// The program that runs, looking through wrappers (`bundle exec puma` → `puma`).
    pub fn name(&self) -> &str {
        let argv: Vec<&str> = self.argv.iter().map(String::as_str).collect();
        let rest = commands::unwrap_wrappers(&argv).rest;
        self.argv
            .get(rest)
            .or_else(|| self.argv.first())
            .map_or("", |p| commands::program_name(p))
    }
}

/// Fill [`crate::model::Process::analysis`] for every process of `workloads`. Processes that
/// share a command (those running one image built in the scan) and run it in the same shell
/// share its analysis: it is made once.
pub fn analyze_workloads(workloads: &mut [crate::model::Workload]) {
    // A shared command's address → the analyses made of it, by shell. The commands are kept
    // alive by the processes until the end, so an address names one command throughout.
    let mut shared: HashMap<*const Command, Vec<(ShellEnv, Arc<CommandAnalysis>)>> = HashMap::new();
    // The same for the shared heads of commands whose analysis reads only the head's words
    // (an image's ENTRYPOINT running a shell string, given other arguments by each service).
    let mut by_head: HashMap<*const Command, Vec<(ShellEnv, Arc<CommandAnalysis>)>> =
        HashMap::new();
    for workload in workloads {
        for process in &mut workload.processes {
            let Some(command) = &process.command else {
                process.analysis = None;
                continue;
            };
            let made = || {
                let mut analysis = analyze(command, &process.shell);
                analysis.shrink_to_fit();
                Arc::new(analysis)
            };
            let by_shell = match &command.head {
                Some(head) if decided_by_head(command) => {
                    by_head.entry(Arc::as_ptr(head)).or_default()
                }
                _ if Arc::strong_count(command) == 1 => {
                    process.analysis = Some(made());
                    continue;
                }
                _ => shared.entry(Arc::as_ptr(command)).or_default(),
            };
            let analysis = match by_shell.iter().find(|(shell, _)| *shell == process.shell) {
                Some((_, analysis)) => analysis.clone(),
                None => {
                    let analysis = made();
                    by_shell.push((process.shell.clone(), analysis.clone()));
                    analysis
                }
            };
            process.analysis = Some(analysis);
        }
    }
}

/// A word's text with a map to its file, and how to locate spans in it.
#[derive(Clone)]
struct Located<'a> {
    text: Cow<'a, MappedText>,
    file: crate::source::FileId,
}

impl<'a> Located<'a> {
    /// A word of a command, not copied.
    fn word(word: &'a CommandWord) -> Self {
        Located {
            text: Cow::Borrowed(&word.text),
            file: word.file,
        }
    }

    fn location(&self, span: Span) -> Location {
        Location::new(self.file, self.text.source_span(span))
    }
}

/// Whether the analysis of `command` reads only words of its head (an image's ENTRYPOINT
/// that runs a shell string, its arguments after it): it is then the same for every command
/// with that head, and made once for them all.
fn decided_by_head(command: &Command) -> bool {
    let head_len = command.head_len();
    if head_len == 0 {
        return false;
    }
    let argv = command.argv();
    let start = commands::unwrap_wrappers(&argv).rest.min(argv.len());
    argv.get(start..)
        .and_then(commands::shell_c)
        .is_some_and(|c| start + c.payload_index.max(c.shell_index) < head_len)
}

/// The words of the program that starts at word `start` of `command`: those of its head are
/// shared with the other commands that have it.
fn argv_from(command: &Command, start: usize, argv: &[&str]) -> Argv {
    match &command.head {
        Some(head) if start < head.len() => Argv {
            head: Some(head.strings()),
            skip: start,
            own: command
                .words
                .iter()
                .map(|w| w.as_str().to_string())
                .collect(),
        },
        _ => Argv::from(
            argv.get(start..)
                .unwrap_or(&[])
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>(),
        ),
    }
}

/// Analyse an effective command.
pub fn analyze(command: &Command, env: &ShellEnv) -> CommandAnalysis {
    // The words are looked at in place: a command can share 8 MB of entrypoint words with
    // thousands of others.
    let words: Vec<&CommandWord> = command.all_words().collect();
    let mut analysis = CommandAnalysis {
        wrappers: Vec::new(),
        forwarder: None,
        relay: None,
        init_env: None,
        rewrites: Vec::new(),
        outer_init: false,
        shell: None,
        main: None,
        migrations_before: Vec::new(),
        runs_before: false,
        script: None,
    };
    let argv: Vec<&str> = words.iter().map(|w| w.as_str()).collect();
    let unwrapped = commands::unwrap_wrappers(&argv);
    let word_location = |i: usize| {
        words
            .get(i)
            .map(|w| w.location(Span::new(0, w.as_str().len())))
    };
    // What the wrappers in front (`env X=1 tini -- …`) do to the environment, for the program
    // found at the end.
    let outer_env = match word_location(0) {
        Some(first) => wrapper_env(&argv, &unwrapped, &word_location, first),
        None => ProgramEnv::default(),
    };
    analysis.wrappers = unwrapped
        .wrappers
        .iter()
        .map(|w| w.name.to_string())
        .collect();
    // The forwarder that matters is the init nearest the program (`tini -- dumb-init --`: tini
    // passes the signal to dumb-init, which passes it on); else the first forwarder.
    let is_init = |w: &&commands::Wrapper| {
        w.kind == commands::WrapperKind::Forwards
            && matches!(w.name, "tini" | "dumb-init" | "catatonit")
    };
    let inits = unwrapped.wrappers.iter().filter(is_init).count();
    let forwarder = unwrapped
        .wrappers
        .iter()
        .enumerate()
        .rfind(|(_, w)| is_init(w))
        .or_else(|| {
            unwrapped
                .wrappers
                .iter()
                .enumerate()
                .find(|(_, w)| w.kind == commands::WrapperKind::Forwards)
        });
    if let Some((at, wrapper)) = forwarder {
        let end = unwrapped
            .wrappers
            .get(at + 1)
            .map_or(unwrapped.rest, |w| w.index)
            .min(argv.len());
        analysis.forwarder = Some(wrapper.name);
        analysis.outer_init = inits > 1;
        let options = argv.get(wrapper.index + 1..end).unwrap_or(&[]);
        analysis.relay = relay_option(wrapper.name, options);
        analysis.rewrites = rewrite_options(wrapper.name, options);
        // `env NAME=VALUE` in front of the init sets its environment.
        let mut init_env = InitEnv::default();
        for (i, env) in unwrapped.wrappers[..at].iter().enumerate() {
            if env.name != "env" {
                continue;
            }
            let end = unwrapped
                .wrappers
                .get(i + 1)
                .map_or(unwrapped.rest, |w| w.index)
                .min(argv.len());
            if let Some(words) = argv.get(env.index + 1..end) {
                init_env.read(words);
            }
        }
        if init_env != InitEnv::default() {
            analysis.init_env = Some(Box::new(init_env));
        }
    }
    let mut start = unwrapped.rest.min(argv.len());
    // An entrypoint program followed by the platform's shell (exec-form ENTRYPOINT + shell-form
    // CMD): entrypoint scripts end with `exec "$@"`, so the shell runs the app in the end.
    if commands::shell_c(&argv[start..]).is_none() {
        let shell_at = words[start..]
            .iter()
            .position(|w| w.synthesized)
            .map(|offset| start + offset)
            .filter(|&at| commands::shell_c(&argv[at..]).is_some());
        if let Some(shell_at) = shell_at {
            analysis.script = argv
                .get(start)
                .zip(words.get(start))
                .filter(|(p, _)| looks_like_script(p) || p.contains('/'))
                .map(|(p, w)| ScriptRun {
                    path: p.to_string(),
                    location: w.location(Span::new(0, w.as_str().len())),
                });
            start = shell_at;
        }
    }
    let rest = &argv[start..];
    let rest_words = &words[start..];
    if let Some(shell_c) = commands::shell_c(rest) {
        let Some(payload) = rest_words.get(shell_c.payload_index) else {
            return analysis;
        };
        let payload = Located::word(payload);
        let source = words
            .get(start + shell_c.payload_index)
            .map_or(0, |w| w.source);
        let synthesized = words
            .get(start + shell_c.shell_index)
            .is_some_and(|w| w.synthesized);
        // A shell the platform added (shell form) is the environment's, as lowering judged it.
        let (family, reason, assumed) = if synthesized {
            (env.family, env.reason.clone(), env.assumed)
        } else {
            shell_family(shell_c.shell, env)
        };
        let program = rest
            .get(shell_c.shell_index)
            .map_or("sh", |p| p)
            .to_string();
        let from_environment = shell_c.shell == ShellKind::Sh || synthesized;
        analyze_shell_string(
            &mut analysis,
            ShellSetup {
                program,
                family,
                reason,
                assumed,
                reason_location: env.location.filter(|_| from_environment),
                synthesized,
                source,
                old_bash: env.old_bash,
            },
            &payload,
            0,
        );
        set_outer_env(&mut analysis, outer_env);
        set_script_from_main(&mut analysis);
        return analysis;
    }
    if let Some(first) = rest_words.first() {
        // The program's words in the file of its first: an image's ENTRYPOINT (`["npm"]`) that
        // a compose `command` or Kubernetes `args` go on in another file is pointed at in the
        // Dockerfile (a span's offsets mean something in one file only).
        let last = rest_words
            .iter()
            .take_while(|w| w.file == first.file)
            .last()
            .unwrap_or(first);
        let location = Location::new(
            first.file,
            first
                .text
                .full_source_span()
                .join(last.text.full_source_span()),
        );
        analysis.main = Some(program(
            rest,
            argv_from(command, start, &argv),
            location,
            first.location(Span::new(0, first.as_str().len())),
            &|i| {
                rest_words
                    .get(i)
                    .map(|w| w.location(Span::new(0, w.as_str().len())))
            },
        ));
    }
    set_outer_env(&mut analysis, outer_env);
    set_script_from_main(&mut analysis);
    analysis
}

fn set_outer_env(analysis: &mut CommandAnalysis, outer: ProgramEnv) {
    if let Some(main) = &mut analysis.main {
        main.env = outer.then(main.env.take());
    }
}

fn set_script_from_main(analysis: &mut CommandAnalysis) {
    if analysis.script.is_some() {
        return;
    }
    analysis.script = analysis.main.as_ref().and_then(|main| {
        main.script_path.clone().map(|path| ScriptRun {
            path,
            location: main.name_location,
        })
    });
}

fn shell_family(kind: ShellKind, env: &ShellEnv) -> (ShellFamily, String, bool) {
    match kind {
        ShellKind::Sh if env.family == ShellFamily::NotPosix => {
            (ShellFamily::Dash, "assumed dash for /bin/sh".into(), true)
        }
        ShellKind::Sh => (env.family, env.reason.clone(), env.assumed),
        ShellKind::Dash => (ShellFamily::Dash, "the command runs dash".into(), false),
        ShellKind::Bash if env.old_bash => (
            ShellFamily::OldBash,
            "the command runs bash, older than 5.1 in this image".into(),
            false,
        ),
        ShellKind::Bash => (ShellFamily::Bash, "the command runs bash".into(), false),
        ShellKind::Busybox | ShellKind::Ash => (
            ShellFamily::Busybox,
            "the command runs busybox ash".into(),
            false,
        ),
        // zsh execs the last command of -c like bash; judge it as bash.
        ShellKind::Zsh => (ShellFamily::Bash, "the command runs zsh".into(), false),
        ShellKind::Other => (ShellFamily::NotPosix, "not a POSIX shell".into(), false),
    }
}

/// Which shell runs a command string, and what said so.
struct ShellSetup {
    program: String,
    family: ShellFamily,
    reason: String,
    assumed: bool,
    reason_location: Option<Location>,
    synthesized: bool,
    source: usize,
    /// The environment's bash is older than 5.1 (for a `bash -c` nested in the string).
    old_bash: bool,
}

fn analyze_shell_string(
    analysis: &mut CommandAnalysis,
    setup: ShellSetup,
    payload: &Located<'_>,
    depth: usize,
) {
    let payload_location = payload.location(Span::new(0, payload.text.text.len()));
    let family = setup.family;
    let (source, assumed, old_bash) = (setup.source, setup.assumed, setup.old_bash);
    let mut stage = ShellStage {
        program: setup.program,
        family,
        reason: setup.reason,
        assumed,
        reason_location: setup.reason_location,
        synthesized: setup.synthesized,
        source,
        payload: payload_location,
        outcome: ShellOutcome::Unknown,
        tail: ShellTail::Last,
    };
    let Ok(script) = shell::parse(&payload.text.text) else {
        analysis.shell.get_or_insert(stage);
        return;
    };
    let finals = shell::final_commands(&script);
    // The final command that matters: the last one (branches of an `if` are judged by the
    // script rules; a command string is almost always a flat chain). A final subshell
    // `( … )` runs its own final command: the program is in there.
    let mut final_command = finals.last().copied();
    let mut in_subshell = false;
    while let Some(shell::FinalCommand {
        kind: shell::FinalKind::Subshell,
        node: shell::Node::Subshell(list, _),
        ..
    }) = final_command
    {
        in_subshell = true;
        final_command = shell::final_commands_in(&script, list).last().copied();
    }
    // `app; echo stopped`: the shell waits for the app, then runs the builtins. Only a server
    // (or `npm start`) counts: `date; echo done` is a one-shot job whose program ends at once.
    let before_builtins = final_command
        .as_ref()
        .and_then(|f| shell::program_before_trailing_builtins(&script, f))
        .filter(|p| {
            let argv: Vec<&str> = p.command.words.iter().map(|w| w.value.as_str()).collect();
            commands::server(&argv).is_some()
                || commands::package_manager(&argv)
                    .is_some_and(|run| matches!(run.script.as_str(), "start" | "serve"))
        });
    // For `app | tee log` the app is the pipeline's first command.
    let main_command = match (&before_builtins, &final_command) {
        (Some(p), _) => Some(p.command),
        (None, Some(f)) => match f.node {
            shell::Node::Pipeline { commands, .. } => {
                commands.first().and_then(shell::Node::as_simple)
            }
            _ => f.command,
        },
        (None, None) => None,
    };
    let implicit = match family {
        ShellFamily::Bash | ShellFamily::OldBash => Some(ImplicitExecShell::Bash),
        ShellFamily::Busybox => Some(ImplicitExecShell::BusyboxAsh),
        ShellFamily::Dash => Some(ImplicitExecShell::Dash),
        ShellFamily::None | ShellFamily::NotPosix => None,
    };
    stage.outcome = if shell::is_exec_tail(&script) {
        ShellOutcome::Exec
    } else if let Some(trap) = shell::traps_signal(&script) {
        ShellOutcome::Trap(payload.location(trap))
    } else if match family {
        ShellFamily::OldBash => shell::old_bash_execs_final_command(&script, &payload.text.text),
        _ => implicit.is_some_and(|shell| shell::shell_execs_final_command(&script, shell)),
    } {
        ShellOutcome::ImplicitExec
    } else if implicit.is_none() {
        ShellOutcome::Unknown
    } else {
        let (tail, why) = match (&before_builtins, &final_command) {
            (Some(p), Some(f)) => (
                ShellTail::FollowedByBuiltins,
                format!(
                    "`{}` is not the last command: the shell waits for it to exit, then runs `{}`",
                    p.command.name().unwrap_or("the program"),
                    f.command.and_then(SimpleCommand::name).unwrap_or("an assignment")
                ),
            ),
            // busybox ash runs a final subshell in its own process: what is inside decides.
            _ if in_subshell && family != ShellFamily::Busybox => (
                ShellTail::Subshell,
                "the last command runs in a subshell `( … )`, a child process that the shell waits for (even when it execs)"
                    .to_string(),
            ),
            // bash 5.1 would exec it: the last command of a list, which older bash forks.
            _ if family == ShellFamily::OldBash
                && shell::shell_execs_final_command(&script, ImplicitExecShell::Bash) =>
            {
                (
                    ShellTail::Last,
                    "bash before 5.1 execs only a `-c` string (or its last line) that is a single simple command, not the last command of a list"
                        .to_string(),
                )
            }
            (_, f) => (
                ShellTail::Last,
                stays_reason(family, f.as_ref().or(finals.last())),
            ),
        };
        stage.tail = tail;
        ShellOutcome::Stays { why }
    };
    let main_node = before_builtins
        .as_ref()
        .map(|p| p.node)
        .or(final_command.as_ref().map(|f| f.node));
    let mut before_env = ProgramEnv::default();
    if let Some(node) = main_node {
        for before in shell::chain_before_node(&script, node) {
            if before_env.hidden.is_none() && sets_env_before(before) {
                before_env.hidden = hidden(
                    "a variable set in the shell before the program",
                    payload.location(before.span),
                );
            }
            let words = before.exec_target().unwrap_or(&before.words);
            if words.is_empty() {
                continue;
            }
            analysis.runs_before = true;
            // Only a migration is kept, so only a migration is described.
            let argv: Vec<&str> = words.iter().map(|w| w.value.as_str()).collect();
            if commands::migration(&argv).is_some() {
                analysis
                    .migrations_before
                    .extend(simple_program(before, payload));
            }
        }
    }
    let mut main = main_command.and_then(|c| simple_program(c, payload));
    if let Some(main) = &mut main {
        main.env = before_env.clone().then(main.env.take());
    }
    analysis.shell.get_or_insert(stage);
    // `exec sh -c '…'` inside the string: follow the inner shell.
    if let (Some(command), Some(main)) = (main_command, &main) {
        let argv: Vec<&str> = main.argv.iter().map(String::as_str).collect();
        if depth < MAX_SHELL_NESTING {
            if let Some(inner) = commands::shell_c(&argv) {
                let words = command.exec_target().unwrap_or(&command.words);
                if let Some(word) = words.get(inner.payload_index) {
                    let inner_payload = word_text(payload, word);
                    let (family, reason, assumed) = shell_family(
                        inner.shell,
                        &ShellEnv {
                            family,
                            reason: String::new(),
                            assumed,
                            location: None,
                            old_bash,
                        },
                    );
                    let program = argv.get(inner.shell_index).map_or("sh", |p| p).to_string();
                    analyze_shell_string(
                        analysis,
                        ShellSetup {
                            program,
                            family,
                            reason,
                            assumed,
                            reason_location: None,
                            synthesized: false,
                            source,
                            old_bash,
                        },
                        &inner_payload,
                        depth + 1,
                    );
                    // What the outer string set (`env X=1 sh -c '…'`) goes on to the inner
                    // program, below what the inner string sets.
                    if let Some(inner_main) = &mut analysis.main {
                        let outer = main.env.as_deref().cloned().unwrap_or_default();
                        inner_main.env = outer.then(inner_main.env.take());
                    }
                    return;
                }
            }
        }
    }
    analysis.main = main;
}

fn stays_reason(family: ShellFamily, last: Option<&shell::FinalCommand<'_>>) -> String {
    use shell::FinalKind;
    match family {
        ShellFamily::Dash => "dash never execs the command of `sh -c` by itself".into(),
        _ => match last.map(|f| f.kind) {
            Some(FinalKind::Pipeline) => "the last command is a pipeline".into(),
            Some(FinalKind::Background) => "the last command runs in the background".into(),
            Some(FinalKind::Subshell) => "the last command runs in a subshell".into(),
            Some(FinalKind::Loop) => "the string ends with a loop".into(),
            _ => {
                "the shell cannot exec the last command (redirection, builtin or compound command)"
                    .into()
            }
        },
    }
}

/// The text of a shell word inside `payload`, mapped to the file when the word is plain or
/// simply quoted.
fn word_text(payload: &Located<'_>, word: &Word) -> Located<'static> {
    let raw = word.span.slice(&payload.text.text);
    let inner = if raw == word.value {
        Some(word.span)
    } else if raw.len() >= 2
        && (raw.starts_with('"') && raw.ends_with('"')
            || raw.starts_with('\'') && raw.ends_with('\''))
        && raw.get(1..raw.len() - 1) == Some(word.value.as_str())
    {
        Some(Span::new(word.span.start + 1, word.span.end - 1))
    } else {
        None
    };
    match inner {
        Some(span) => Located {
            text: Cow::Owned(payload.text.sub(span)),
            file: payload.file,
        },
        None => {
            let location = payload.location(word.span);
            let mut b = MappedText::builder();
            for c in word.value.chars() {
                b.push_char(c, location.span);
            }
            Located {
                text: Cow::Owned(b.finish()),
                file: payload.file,
            }
        }
    }
}

/// A program from a simple command inside a shell string (after `exec` and env prefixes).
fn simple_program(command: &SimpleCommand, payload: &Located<'_>) -> Option<Program> {
    let words = command.exec_target().unwrap_or(&command.words);
    let first = words.first()?;
    let last = words.last()?;
    let argv: Vec<&str> = words.iter().map(|w| w.value.as_str()).collect();
    let mut program = program(
        &argv,
        Argv::from(argv.iter().map(|w| w.to_string()).collect::<Vec<_>>()),
        payload.location(first.span.join(last.span)),
        payload.location(first.span),
        &|i| words.get(i).map(|w| payload.location(w.span)),
    );
    // `NAME=VALUE prog` (also before `exec`): set for the program, before its wrappers.
    let prefix = ProgramEnv {
        vars: command
            .assignments
            .iter()
            .filter_map(|w| assigned_var(&w.value, !w.has_expansion, payload.location(w.span)))
            .collect(),
        hidden: None,
    };
    program.env = prefix.then(program.env.take());
    Some(program)
}

/// Recognise what a program invocation is.
fn program(
    argv: &[&str],
    owned: Argv,
    location: Location,
    name_location: Location,
    word_location: &dyn Fn(usize) -> Option<Location>,
) -> Program {
    let package_manager = commands::package_manager(argv).map(|p| PackageManagerUse {
        manager: p.manager,
        script: p.script,
    });
    let drain = commands::drain_timeout(argv).map(|d| DrainSetting {
        server: d.server,
        seconds: d.seconds,
        flag: d.flag,
        location: word_location(d.index).unwrap_or(location),
    });
    let server = commands::server(argv);
    let unwrapped = commands::unwrap_wrappers(argv);
    let script_path =
        argv.get(unwrapped.rest..)
            .and_then(|rest| match commands::shell_script(rest) {
                // `sh start.sh` reads the file relative to the working directory.
                Some((_, index)) => rest.get(index).map(|s| {
                    if s.contains('/') {
                        s.to_string()
                    } else {
                        format!("./{s}")
                    }
                }),
                None => rest
                    .first()
                    .filter(|p| looks_like_script(p))
                    .map(|s| s.to_string()),
            });
    let env = wrapper_env(argv, &unwrapped, word_location, name_location);
    Program {
        argv: owned,
        location,
        name_location,
        package_manager,
        server: server.map(|s| s.kind),
        server_location: server.and_then(|s| word_location(s.index)),
        migration: commands::migration(argv).map(|m| m.tool),
        drain,
        script_path,
        env: (!env.is_empty()).then(|| Box::new(env)),
    }
}

/// A program word that names a script file rather than an installed binary.
fn looks_like_script(word: &str) -> bool {
    let name = commands::program_name(word);
    name.ends_with(".sh")
        || name.ends_with(".bash")
        || (word.contains('/')
            && !word.starts_with("/usr/")
            && !word.starts_with("/bin/")
            && !word.starts_with("/sbin/")
            && name.contains("entrypoint"))
}

#[cfg(test)]
mod relay_tests {
    use super::{relay_option, Relay};

    #[test]
    fn forwarder_options_say_whom_it_signals() {
        assert_eq!(relay_option("tini", &["-g", "--"]), Some(Relay::Group));
        assert_eq!(relay_option("tini", &["-sg"]), Some(Relay::Group));
        // `-p SIGNAL` takes a value: the `-g` after it is still an option.
        assert_eq!(
            relay_option("tini", &["-p", "SIGTERM", "-g", "--"]),
            Some(Relay::Group)
        );
        // A value that looks like the flag is not it.
        assert_eq!(relay_option("tini", &["-e", "-g"]), None);
        assert_eq!(relay_option("tini", &["--"]), None);
        assert_eq!(relay_option("catatonit", &["-g", "--"]), Some(Relay::Group));
        assert_eq!(relay_option("dumb-init", &["-c"]), Some(Relay::Child));
        assert_eq!(
            relay_option("dumb-init", &["--single-child", "--"]),
            Some(Relay::Child)
        );
        assert_eq!(relay_option("dumb-init", &["-r", "15:2", "--"]), None);
        assert_eq!(relay_option("sudo", &["-g", "staff"]), None);
    }

    #[test]
    fn dumb_init_rewrites_are_read_in_every_spelling() {
        use super::rewrite_options;
        for options in [
            &["--rewrite", "15:2", "--"][..],
            &["-r", "15:2"],
            &["-r15:2"],
            &["--rewrite=15:2"],
            &["-cr", "15:2"],
        ] {
            assert_eq!(
                rewrite_options("dumb-init", options),
                ["15:2"],
                "{options:?}"
            );
        }
        assert!(rewrite_options("dumb-init", &["-c", "--", "-r", "15:2"]).is_empty());
        assert!(rewrite_options("tini", &["-r", "15:2"]).is_empty());
    }

    #[test]
    fn env_wrapper_words_set_the_init_environment() {
        use super::{InitEnv, InitVar};
        let read = |words: &[&str]| {
            let mut env = InitEnv::default();
            env.read(words);
            env
        };
        let env = read(&["TINI_KILL_PROCESS_GROUP=1", "A=b"]);
        assert_eq!(
            InitEnv::var(Some(&env), "TINI_KILL_PROCESS_GROUP", None),
            InitVar::Set(Some("1"))
        );
        assert_eq!(env.vars.len(), 1, "only the init's variables are kept");
        let env = read(&["-u", "DUMB_INIT_SETSID"]);
        assert_eq!(
            InitEnv::var(Some(&env), "DUMB_INIT_SETSID", None),
            InitVar::Unset
        );
        assert_eq!(
            InitEnv::var(Some(&read(&["-i"])), "DUMB_INIT_SETSID", None),
            InitVar::Unset
        );
        assert_eq!(
            InitEnv::var(Some(&read(&["--unset=X", "-0"])), "DUMB_INIT_SETSID", None),
            InitVar::Unsure
        );
        assert_eq!(
            InitEnv::var(
                Some(&read(&["-i", "DUMB_INIT_SETSID=0"])),
                "DUMB_INIT_SETSID",
                None
            ),
            InitVar::Set(Some("0"))
        );
    }
}

#[cfg(test)]
mod program_env_tests {
    use super::{assigned_var, wrapper_env};
    use crate::diagnostic::Location;
    use crate::shell::commands;
    use crate::source::FileId;
    use crate::span::Span;

    fn env_of(line: &str) -> (Vec<(String, Option<String>)>, Option<&'static str>) {
        let argv: Vec<&str> = line.split(' ').collect();
        let unwrapped = commands::unwrap_wrappers(&argv);
        let at = Location::new(FileId(0), Span::empty(0));
        let env = wrapper_env(&argv, &unwrapped, &|_| Some(at), at);
        (
            env.vars
                .iter()
                .map(|v| (v.name.clone(), v.value.as_deref().map(str::to_string)))
                .collect(),
            env.hidden.map(|h| h.source),
        )
    }

    #[test]
    fn wrappers_set_or_hide_the_programs_environment() {
        assert_eq!(
            env_of("env LANG=C GUNICORN_CMD_ARGS=--graceful-timeout=10 tini -- gunicorn app"),
            (
                vec![(
                    "GUNICORN_CMD_ARGS".to_string(),
                    Some("--graceful-timeout=10".to_string())
                )],
                None
            )
        );
        // Kubernetes expands `$(NAME)` in a command: the value is not known.
        assert_eq!(
            env_of("env SHUTDOWN_TIMEOUT=$(T) app").0,
            [("SHUTDOWN_TIMEOUT".to_string(), None)]
        );
        assert_eq!(
            env_of("env -i PATH=/bin gunicorn app").1,
            Some("env with options")
        );
        assert_eq!(env_of("doppler run -- gunicorn app").1, Some("doppler run"));
        assert_eq!(
            env_of("pipenv run gunicorn app").1,
            Some("pipenv run (loads .env)")
        );
        assert_eq!(
            env_of("uv run --env-file .env gunicorn app").1,
            Some("uv run --env-file")
        );
        assert_eq!(env_of("uv run gunicorn app"), (Vec::new(), None));
        assert_eq!(env_of("gunicorn app"), (Vec::new(), None));
    }

    #[test]
    fn only_variables_rules_read_are_kept() {
        let at = Location::new(FileId(0), Span::empty(0));
        assert!(assigned_var("PATH=/bin", true, at).is_none());
        assert!(assigned_var("=x", true, at).is_none());
        let var = assigned_var("GRACEFUL_TIMEOUT=$T", true, at).expect("kept");
        assert_eq!(var.value, None);
        let var = assigned_var("GRACEFUL_TIMEOUT=25s", true, at).expect("kept");
        assert_eq!(var.value.as_deref(), Some("25s"));
    }
}
