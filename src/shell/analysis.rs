//! Structural questions the lint rules ask about a parsed [`Script`]: which command ends it,
//! does that command replace the shell, which commands run before it, are signals trapped.
//!
//! All functions here are pure walks over the tree; none of them looks inside `$(…)`,
//! backticks, trap action strings or `sh -c` payloads (callers parse those themselves).

use std::collections::{HashMap, HashSet};

use super::{Node, Script, SimpleCommand, Word};
use crate::span::Span;

/// The shape of a command that ends a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FinalKind {
    /// A simple command (`FinalCommand::command` is set).
    Simple,
    /// A pipeline `a | b` or a negated command `! a` (the shell waits for it; it cannot be
    /// `exec`'d). `command` is the last element when it is simple.
    Pipeline,
    /// A background job `a &` (the shell exits or continues without it). `command` is the job
    /// when it is simple.
    Background,
    /// `( … )`: runs in a forked child. Use [`final_commands_in`] on its list to look inside.
    Subshell,
    /// A `for`/`while`/`until`/`select` loop.
    Loop,
}

/// A command that can be the last one a script runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FinalCommand<'a> {
    pub kind: FinalKind,
    /// The node itself (a `Node::Simple` for [`FinalKind::Simple`]).
    pub node: &'a Node,
    /// The simple command, for `Simple` (and the last element / the job of a pipeline /
    /// background job when that is simple).
    pub command: Option<&'a SimpleCommand>,
    /// The node's span.
    pub span: Span,
    /// An enclosing `if` has no `else`, or an enclosing `case` has no `*)` arm: the script may
    /// also end without running any of the reported branch ends.
    pub may_fall_through: bool,
    /// Reached through `&&`/`||` or inside an `if`/`case` branch: it may not run at all.
    pub conditional: bool,
}

impl FinalCommand<'_> {
    /// `exec cmd …` (a simple command that replaces the shell).
    pub fn is_exec(&self) -> bool {
        self.kind == FinalKind::Simple && self.command.is_some_and(SimpleCommand::is_exec)
    }

    /// `exit …` (the script ends here explicitly; typical of error branches).
    pub fn is_exit(&self) -> bool {
        self.kind == FinalKind::Simple && self.command.and_then(SimpleCommand::name) == Some("exit")
    }
}

/// The commands that end the script: see [`final_commands_in`].
pub fn final_commands(script: &Script) -> Vec<FinalCommand<'_>> {
    final_commands_in(script, &script.body)
}

/// The commands that end the list `nodes` (a script body, a subshell's or group's list, a
/// function body's list), in source order:
/// * the last node that is not a function definition (definitions are skipped: they run
///   nothing); an empty list (or one with only definitions) has none;
/// * `a && b`, `a || b` → `b` (marked `conditional`);
/// * `{ …; }` → the final commands of its list;
/// * `if` → the final command of each `then`/`else` body (`conditional`), all marked
///   `may_fall_through` when there is no `else`; `case` → the final command of each arm,
///   `may_fall_through` unless some arm is `*)`;
/// * pipelines, `!`, background jobs, subshells and loops are reported with their
///   [`FinalKind`] and not looked into.
///
/// Trailing builtins (`wait`, `exit`, `true`) are reported like any other command. Calls to
/// functions are not resolved (see [`find_function`]).
pub fn final_commands_in<'a>(script: &'a Script, nodes: &'a [Node]) -> Vec<FinalCommand<'a>> {
    let mut out = Vec::new();
    finals_of_list(script, nodes, false, false, &mut out);
    out
}

fn finals_of_list<'a>(
    script: &'a Script,
    nodes: &'a [Node],
    fall: bool,
    cond: bool,
    out: &mut Vec<FinalCommand<'a>>,
) {
    if let Some(last) = nodes
        .iter()
        .rev()
        .find(|n| !matches!(n, Node::FunctionDef { .. }))
    {
        finals_of_node(script, last, fall, cond, out);
    }
}

fn finals_of_node<'a>(
    script: &'a Script,
    node: &'a Node,
    fall: bool,
    cond: bool,
    out: &mut Vec<FinalCommand<'a>>,
) {
    let mut push = |kind, command| {
        out.push(FinalCommand {
            kind,
            node,
            command,
            span: node.span(),
            may_fall_through: fall,
            conditional: cond,
        })
    };
    match node {
        Node::Simple(c) => push(FinalKind::Simple, Some(c)),
        Node::Pipeline { commands, .. } => push(
            FinalKind::Pipeline,
            commands.last().and_then(Node::as_simple),
        ),
        Node::Background(inner, _) => push(FinalKind::Background, inner.as_simple()),
        Node::Subshell(..) => push(FinalKind::Subshell, None),
        Node::Loop { .. } => push(FinalKind::Loop, None),
        Node::AndOr { first, rest, .. } => {
            let last = rest.last().map_or(&**first, |(_, n)| n);
            finals_of_node(script, last, fall, true, out);
        }
        Node::Group(list, _) => finals_of_list(script, list, fall, cond, out),
        Node::If {
            branches,
            else_body,
            ..
        } => {
            let fall = fall || else_body.is_none();
            for (_, body) in branches {
                finals_of_list(script, body, fall, true, out);
            }
            if let Some(body) = else_body {
                finals_of_list(script, body, fall, true, out);
            }
        }
        Node::Case { arms, span } => {
            let catch_all = script.case_info(*span).is_some_and(|c| c.has_catch_all());
            let fall = fall || !catch_all;
            for arm in arms {
                finals_of_list(script, arm, fall, true, out);
            }
        }
        Node::FunctionDef { .. } => {}
    }
}

/// Whether the script ends by replacing the shell: it has at least one final command, every
/// final command is `exec cmd …` or an `exit` (an error branch such as
/// `echo usage; exit 1`), at least one is an `exec`, and none may fall through.
pub fn is_exec_tail(script: &Script) -> bool {
    let finals = final_commands(script);
    finals.iter().any(FinalCommand::is_exec)
        && finals
            .iter()
            .all(|f| (f.is_exec() || f.is_exit()) && !f.may_fall_through)
}

/// A shell whose `-c` handling [`shell_execs_final_command`] models.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImplicitExecShell {
    /// bash 5.x (checked with 5.2): execs the last command of a `-c` string when it is a simple
    /// command at the top level (possibly the last operand of `&&`/`||`), without
    /// redirections, not negated, not a builtin or function, no trap handler is set and no
    /// background job was started. It does not look into `{ }`, `if`, `case`, `( )`: a final
    /// `( app )`, even `( exec app )`, is a forked child that bash waits for (checked with
    /// 5.2.15 as PID 1 of a PID namespace).
    Bash,
    /// busybox ash (checked with 1.35): like bash, but also looks into `{ }`, `( )`, `if` and
    /// `case` branches, allows redirections other than here-documents/strings, and ignores
    /// background jobs. A final `( … )` runs in the shell's own process (no fork), so
    /// `( app )` and `( exec app )` leave `app` as the shell's process.
    BusyboxAsh,
    /// dash never execs implicitly (checked with 0.5.12), and forks a final `( … )` and waits
    /// for it, even when it execs.
    Dash,
}

const BUILTINS: &[&str] = &[
    ":",
    ".",
    "[",
    "alias",
    "bg",
    "break",
    "builtin",
    "caller",
    "cd",
    "command",
    "compgen",
    "complete",
    "continue",
    "declare",
    "dirs",
    "disown",
    "echo",
    "enable",
    "eval",
    "exec",
    "exit",
    "export",
    "false",
    "fc",
    "fg",
    "getopts",
    "hash",
    "help",
    "history",
    "jobs",
    "kill",
    "let",
    "local",
    "logout",
    "mapfile",
    "popd",
    "printf",
    "pushd",
    "pwd",
    "read",
    "readarray",
    "readonly",
    "return",
    "set",
    "shift",
    "shopt",
    "source",
    "suspend",
    "test",
    "times",
    "trap",
    "true",
    "type",
    "typeset",
    "ulimit",
    "umask",
    "unalias",
    "unset",
    "wait",
    "[[",
    "((",
];

/// Whether `shell -c "<script>"` ends with the final command as the shell's own process (so
/// it receives the container's signals directly): an explicit `exec cmd` at the end always
/// counts; otherwise the shell's implicit last-command exec, as described on
/// [`ImplicitExecShell`]. Trap handlers (`trap … SIG` with an action other than `-` or `''`)
/// anywhere disable the implicit exec.
pub fn shell_execs_final_command(script: &Script, shell: ImplicitExecShell) -> bool {
    let finals = final_commands(script);
    if !finals.is_empty() && finals.iter().all(|f| f.is_exec() && !f.may_fall_through) {
        return true;
    }
    if sets_trap_handler(script) {
        return false;
    }
    let functions = function_names(script);
    let plain = |c: &SimpleCommand| {
        c.name()
            .is_some_and(|n| !BUILTINS.contains(&n) && !functions.contains(&n) && !c.is_exec())
    };
    match shell {
        ImplicitExecShell::Dash => false,
        ImplicitExecShell::Bash => {
            let Some(last) = script
                .body
                .iter()
                .rev()
                .find(|n| !matches!(n, Node::FunctionDef { .. }))
            else {
                return false;
            };
            let last = match last {
                Node::AndOr { first, rest, .. } => rest.last().map_or(&**first, |(_, n)| n),
                n => n,
            };
            let Node::Simple(c) = last else {
                return false;
            };
            plain(c) && c.redirections.is_empty() && !has_background(&script.body)
        }
        ImplicitExecShell::BusyboxAsh => {
            let mut finals = final_commands(script);
            // Look through subshells too.
            let mut i = 0;
            while let Some(f) = finals.get(i).copied() {
                if let (FinalKind::Subshell, Node::Subshell(list, _)) = (f.kind, f.node) {
                    let inner = final_commands_in(script, list);
                    if inner.is_empty() {
                        return false;
                    }
                    finals.splice(i..=i, inner);
                    continue;
                }
                i += 1;
            }
            !finals.is_empty()
                && finals.iter().all(|f| {
                    f.kind == FinalKind::Simple
                        && !f.may_fall_through
                        && f.command.is_some_and(|c| {
                            // `( exec app )`: ash runs the subshell in its own process.
                            (plain(c) || c.is_exec())
                                && c.redirections.iter().all(|r| {
                                    !matches!(
                                        r.op,
                                        super::RedirectOp::Heredoc
                                            | super::RedirectOp::HeredocStripTabs
                                            | super::RedirectOp::HereString
                                    )
                                })
                        })
                })
        }
    }
}

/// [`shell_execs_final_command`] for bash before 5.1 (bash 4.x of RHEL/UBI 8, CentOS 7,
/// Amazon Linux 2, openSUSE Leap / SLE 15; bash 5.0 of Debian buster and Ubuntu 20.04).
/// Before 5.1, `bash -c` parses and runs its string one line at a time and skips the fork only
/// for the last line when that line is a single simple command (`ONESHOT` in
/// builtins/evalstring.c); bash 5.1 added the exec of the last command of a `;`/`&&`/`||`
/// list (`optimize_connection_fork`, bash CHANGES for 5.1). So `./prestart.sh && app` and
/// `./prestart.sh; app` keep the shell, while `app` alone, or `app` on the string's last line
/// (`./prestart.sh` on the line before), is exec'd. `text` is the string the script was parsed
/// from. Every string this accepts is also accepted for bash 5.x.
pub fn old_bash_execs_final_command(script: &Script, text: &str) -> bool {
    let finals = final_commands(script);
    if !finals.is_empty() && finals.iter().all(|f| f.is_exec() && !f.may_fall_through) {
        return true;
    }
    if !shell_execs_final_command(script, ImplicitExecShell::Bash) {
        return false;
    }
    let Some((Node::Simple(_), before)) = script.body.split_last() else {
        return false;
    };
    // The last command must be on a line of its own: `a; b` is one line, one command list.
    match (before.last(), script.body.last()) {
        (None, _) => true,
        (Some(previous), Some(last)) => text
            .get(previous.span().end..last.span().start)
            .is_some_and(|gap| gap.contains('\n')),
        (Some(_), None) => false,
    }
}

/// Builtins that finish at once and start nothing (`echo stopped`, `exit $?`, `true`): when
/// such commands end a string, the program before them is the one the shell waited for.
const QUICK_BUILTINS: &[&str] = &[
    ":", "true", "false", "echo", "printf", "exit", "return", "test", "[", "[[", "((", "let",
    "set", "export", "unset", "shift", "cd", "pwd", "umask", "ulimit", "readonly", "local",
    "declare", "typeset", "hash", "alias", "unalias", "times", "type",
];

/// A builtin of [`QUICK_BUILTINS`], an `exec` that only changes file descriptors, or a
/// command of assignments alone (`status=$?`).
fn is_quick_builtin(c: &SimpleCommand) -> bool {
    match c.name() {
        None => true,
        Some("exec") => !c.is_exec(),
        Some(name) => QUICK_BUILTINS.contains(&name),
    }
}

/// A program the shell runs, waits for and goes on after.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramBefore<'a> {
    /// The program's simple command.
    pub command: &'a SimpleCommand,
    /// Its node (a `Node::Simple`), for [`chain_before_node`].
    pub node: &'a Node,
}

/// When `fin`, a final simple command, is a builtin that finishes at once (`echo stopped`,
/// `exit $?`, `true`; an `exec` that only redirects; assignments alone), the program that runs
/// in the foreground just before it: the shell starts it, waits for it to exit and then runs
/// the builtins after it (`node server.js; echo stopped`, `node server.js || exit 1`).
///
/// Steps back over earlier such builtins, through `;`/newline lists, `&&`/`||` operands, `{ }`
/// and `( )`, within the branch of an `if`/`case` that holds `fin`; stops (`None`) at anything
/// else: an `exec cmd` (the shell is replaced there, the rest never runs), another builtin
/// (`wait`, `read`, `eval`), a function call, a pipeline, a background job, a loop or an
/// `if`/`case`. Any program qualifies here (`date; echo done` gives `date`): whether it runs
/// long enough to matter is the caller's question.
pub fn program_before_trailing_builtins<'a>(
    script: &'a Script,
    fin: &FinalCommand<'a>,
) -> Option<ProgramBefore<'a>> {
    if fin.kind != FinalKind::Simple || !fin.command.is_some_and(is_quick_builtin) {
        return None;
    }
    let functions = function_names(script);
    let mut steps = Vec::new();
    if !steps_before_in_list(&script.body, fin.node, &mut steps) {
        return None;
    }
    for step in steps.into_iter().rev() {
        match last_program_of(step, &functions) {
            Step::Quick => continue,
            Step::Program(found) => return Some(found),
            Step::Stop => return None,
        }
    }
    None
}

enum Step<'a> {
    /// Only builtins that finish at once (or nothing that runs).
    Quick,
    Program(ProgramBefore<'a>),
    /// Something the step-back does not go past.
    Stop,
}

/// The program that runs last in `node`, when everything after it in `node` finishes at once.
fn last_program_of<'a>(node: &'a Node, functions: &HashSet<&str>) -> Step<'a> {
    let each = |items: &mut dyn DoubleEndedIterator<Item = &'a Node>| {
        for item in items.rev() {
            match last_program_of(item, functions) {
                Step::Quick => continue,
                other => return other,
            }
        }
        Step::Quick
    };
    match node {
        Node::Simple(c) if c.is_exec() => Step::Stop,
        Node::Simple(c) if is_quick_builtin(c) => Step::Quick,
        Node::Simple(c) => match c.name() {
            Some(name) if !BUILTINS.contains(&name) && !functions.contains(name) => {
                Step::Program(ProgramBefore { command: c, node })
            }
            _ => Step::Stop,
        },
        Node::AndOr { first, rest, .. } => {
            each(&mut std::iter::once(&**first).chain(rest.iter().map(|(_, n)| n)))
        }
        Node::Group(list, _) | Node::Subshell(list, _) => each(&mut list.iter()),
        Node::FunctionDef { .. } => Step::Quick,
        Node::Pipeline { .. }
        | Node::Background(..)
        | Node::Loop { .. }
        | Node::If { .. }
        | Node::Case { .. } => Step::Stop,
    }
}

/// The nodes that run before `target` in the lists and and-or lists around it, back to the
/// nearest enclosing `if`/`case` branch (the steps outside it are dropped). Returns whether
/// `target` was found.
fn steps_before_in_list<'a>(nodes: &'a [Node], target: &Node, out: &mut Vec<&'a Node>) -> bool {
    for n in nodes {
        if contains(n, target) {
            return steps_before_in_node(n, target, out);
        }
        out.push(n);
    }
    false
}

fn steps_before_in_node<'a>(node: &'a Node, target: &Node, out: &mut Vec<&'a Node>) -> bool {
    if std::ptr::eq(node, target) {
        return true;
    }
    match node {
        Node::AndOr { first, rest, .. } => {
            for n in std::iter::once(&**first).chain(rest.iter().map(|(_, n)| n)) {
                if contains(n, target) {
                    return steps_before_in_node(n, target, out);
                }
                out.push(n);
            }
            false
        }
        Node::Group(list, _) | Node::Subshell(list, _) => steps_before_in_list(list, target, out),
        Node::If {
            branches,
            else_body,
            ..
        } => {
            out.clear();
            branches
                .iter()
                .map(|(_, body)| body)
                .chain(else_body)
                .find(|body| body.iter().any(|n| contains(n, target)))
                .is_some_and(|body| steps_before_in_list(body, target, out))
        }
        Node::Case { arms, .. } => {
            out.clear();
            arms.iter()
                .find(|arm| arm.iter().any(|n| contains(n, target)))
                .is_some_and(|arm| steps_before_in_list(arm, target, out))
        }
        _ => false,
    }
}

/// The conservative answer for "bash 5.x or busybox ash": true only when both would exec the
/// final command (see [`shell_execs_final_command`]; bash's rules are the stricter ones). The
/// caller decides by shell kind (dash never execs implicitly: use
/// [`shell_execs_final_command`] with [`ImplicitExecShell::Dash`], or [`is_exec_tail`]).
pub fn can_shell_exec_implicitly(script: &Script) -> bool {
    shell_execs_final_command(script, ImplicitExecShell::Bash)
        && shell_execs_final_command(script, ImplicitExecShell::BusyboxAsh)
}

fn has_background(nodes: &[Node]) -> bool {
    let mut found = false;
    walk_nodes(nodes, &mut |n| {
        if matches!(n, Node::Background(..)) {
            found = true;
        }
    });
    found
}

fn function_names(script: &Script) -> HashSet<&str> {
    let mut names = HashSet::new();
    walk_nodes(&script.body, &mut |n| {
        if let Node::FunctionDef { name, .. } = n {
            names.insert(name.as_str());
        }
    });
    names
}

/// Every function the script defines, by name: the body of its last definition, as
/// [`find_function`] gives it. One walk of the script, for callers that resolve many calls.
pub fn function_index(script: &Script) -> HashMap<&str, &Node> {
    let mut index = HashMap::new();
    walk_nodes(&script.body, &mut |n| {
        if let Node::FunctionDef { name, body, .. } = n {
            index.insert(name.as_str(), &**body);
        }
    });
    index
}

/// The body of the (last) definition of function `name`, anywhere in the script.
pub fn find_function<'a>(script: &'a Script, name: &str) -> Option<&'a Node> {
    let mut found = None;
    walk_nodes(&script.body, &mut |n| {
        if let Node::FunctionDef { name: n2, body, .. } = n {
            if n2 == name {
                found = Some(&**body);
            }
        }
    });
    found
}

/// When `cmd` calls a function defined in the script (`_main "$@"` at the end of the
/// docker-library entrypoints), the final commands of that function's body; `None` when
/// `cmd` is not such a call. One level only: apply again to resolve nested calls (guard
/// against recursive functions yourself).
pub fn final_commands_of_call<'a>(
    script: &'a Script,
    cmd: &SimpleCommand,
) -> Option<Vec<FinalCommand<'a>>> {
    let body = find_function(script, cmd.name()?)?;
    Some(final_commands_of_body(script, body))
}

/// The final commands of a function body (from [`function_index`] or [`find_function`]), as
/// [`final_commands_of_call`] gives them for a call of that function.
pub fn final_commands_of_body<'a>(script: &'a Script, body: &'a Node) -> Vec<FinalCommand<'a>> {
    let mut out = Vec::new();
    match body {
        Node::Group(list, _) => finals_of_list(script, list, false, false, &mut out),
        other => finals_of_node(script, other, false, false, &mut out),
    }
    out
}

/// A `trap` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrapCommand<'a> {
    pub command: &'a SimpleCommand,
    /// The action word (`'kill -TERM $PID'`, `-`, `''`).
    pub action: &'a Word,
    /// The conditions, normalised: upper case, `SIG` prefix removed, numbers named
    /// (`0`→`EXIT`, `1`→`HUP`, `2`→`INT`, `3`→`QUIT`, `9`→`KILL`, `15`→`TERM`).
    pub signals: Vec<String>,
}

impl TrapCommand<'_> {
    /// The trap installs a handler (the action is not `-`, which resets, nor `''`, which
    /// ignores).
    pub fn sets_handler(&self) -> bool {
        !(self.action.value == "-" || self.action.value.is_empty())
    }
}

fn normalize_signal(s: &str) -> String {
    let up = s.to_ascii_uppercase();
    let up = up.strip_prefix("SIG").unwrap_or(&up).to_string();
    match up.as_str() {
        "0" => "EXIT".into(),
        "1" => "HUP".into(),
        "2" => "INT".into(),
        "3" => "QUIT".into(),
        "9" => "KILL".into(),
        "15" => "TERM".into(),
        _ => up,
    }
}

/// Every `trap ACTION SIG…` command (not `trap`, `trap -p`, `trap -l`), in source order,
/// including those inside function bodies.
pub fn traps(script: &Script) -> Vec<TrapCommand<'_>> {
    let mut out = Vec::new();
    for c in all_simple_commands(script) {
        let Some((first, args)) = c.words.split_first() else {
            continue;
        };
        if first.value != "trap" {
            continue;
        }
        let args = match args.first() {
            Some(w) if w.value == "--" => args.get(1..).unwrap_or(&[]),
            Some(w) if w.value.starts_with('-') && w.value.len() > 1 => continue,
            _ => args,
        };
        let Some((action, sigs)) = args.split_first() else {
            continue;
        };
        if sigs.is_empty() {
            // `trap N`: POSIX resets condition N.
            continue;
        }
        out.push(TrapCommand {
            command: c,
            action,
            signals: sigs.iter().map(|w| normalize_signal(&w.value)).collect(),
        });
    }
    out
}

fn sets_trap_handler(script: &Script) -> bool {
    traps(script).iter().any(TrapCommand::sets_handler)
}

/// The span of the first `trap` that handles TERM, INT, QUIT or EXIT (any action except the
/// reset `-`; `''`, which ignores the signal, counts): the script deals with signals itself.
pub fn traps_signal(script: &Script) -> Option<Span> {
    traps(script)
        .into_iter()
        .find(|t| {
            t.action.value != "-"
                && t.signals
                    .iter()
                    .any(|s| matches!(s.as_str(), "TERM" | "INT" | "QUIT" | "EXIT"))
        })
        .map(|t| t.command.span)
}

/// Pre-order walk over nodes (function bodies included).
fn walk_nodes<'a>(nodes: &'a [Node], f: &mut dyn FnMut(&'a Node)) {
    for n in nodes {
        walk_node(n, f);
    }
}

fn walk_node<'a>(node: &'a Node, f: &mut dyn FnMut(&'a Node)) {
    f(node);
    match node {
        Node::Simple(_) => {}
        Node::Pipeline { commands, .. } => walk_nodes(commands, f),
        Node::AndOr { first, rest, .. } => {
            walk_node(first, f);
            for (_, n) in rest {
                walk_node(n, f);
            }
        }
        Node::Background(n, _) => walk_node(n, f),
        Node::Subshell(list, _) | Node::Group(list, _) | Node::Loop { body: list, .. } => {
            walk_nodes(list, f)
        }
        Node::If {
            branches,
            else_body,
            ..
        } => {
            for (c, b) in branches {
                walk_nodes(c, f);
                walk_nodes(b, f);
            }
            if let Some(e) = else_body {
                walk_nodes(e, f);
            }
        }
        Node::Case { arms, .. } => {
            for a in arms {
                walk_nodes(a, f);
            }
        }
        Node::FunctionDef { body, .. } => walk_node(body, f),
    }
}

/// Every simple command in source order: conditions, loop bodies, branches, pipeline and
/// and-or operands, background jobs, function bodies (where they are defined), and the `[[`
/// / `((` pseudo-commands. Commands inside `$(…)`, backticks, `<(…)`, trap actions and
/// `sh -c` strings are not included (they are not in the tree).
pub fn all_simple_commands(script: &Script) -> impl Iterator<Item = &SimpleCommand> {
    let mut out = Vec::new();
    walk_nodes(&script.body, &mut |n| {
        if let Node::Simple(c) = n {
            out.push(c);
        }
    });
    out.into_iter()
}

/// Where a script runs parts of itself in a subshell, in source order (a part before the parts
/// inside it): `subshells` holds the spans of `( … )`, of background jobs (`… &`) and of each
/// element of a pipeline of more than one command (POSIX 2.9.2 "Pipelines": each command of a
/// multi-command pipeline runs in a subshell in dash, bash and busybox ash); what these parts
/// change (`cd`, variables) does not reach the commands after them (POSIX 2.12 "Shell Execution
/// Environment"). `piped` holds the spans of the elements whose output another command reads
/// (all of a pipeline's but the last). Function bodies are included where they are defined.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubshellParts {
    pub subshells: Vec<Span>,
    pub piped: Vec<Span>,
}

/// The [`SubshellParts`] of a script, in one walk.
pub fn subshell_parts(script: &Script) -> SubshellParts {
    let mut parts = SubshellParts::default();
    walk_nodes(&script.body, &mut |n| match n {
        Node::Subshell(_, span) | Node::Background(_, span) => parts.subshells.push(*span),
        Node::Pipeline { commands, .. } if commands.len() > 1 => {
            parts.subshells.extend(commands.iter().map(Node::span));
            if let Some((_, before)) = commands.split_last() {
                parts.piped.extend(before.iter().map(Node::span));
            }
        }
        _ => {}
    });
    // A pipeline's elements are listed before the subshells inside them are walked.
    for spans in [&mut parts.subshells, &mut parts.piped] {
        spans.sort_by_key(|span| (span.start, std::cmp::Reverse(span.end)));
        spans.dedup();
    }
    parts
}

/// The simple commands that have run, on the way to `fin`, before it starts: earlier items of
/// every enclosing list, earlier operands of an enclosing `&&`/`||` (for `a || b` the `a`
/// too), the conditions of the enclosing and earlier `if`/`elif` branches; not other branches'
/// bodies, not function bodies, not the other elements of an enclosing pipeline (they run
/// concurrently). In source order. E.g. for `set -e; ./migrate && exec node app` and the final
/// `exec node app`: `set -e`, `./migrate`.
pub fn chain_before<'a>(script: &'a Script, fin: &FinalCommand<'a>) -> Vec<&'a SimpleCommand> {
    chain_before_node(script, fin.node)
}

/// [`chain_before`] for any node of the script (a [`ProgramBefore`]'s, a final command's
/// inside a subshell).
pub fn chain_before_node<'a>(script: &'a Script, node: &'a Node) -> Vec<&'a SimpleCommand> {
    let mut out = Vec::new();
    before_in_list(&script.body, node, &mut out);
    out
}

fn contains(node: &Node, target: &Node) -> bool {
    let (a, b) = (node.span(), target.span());
    a.start <= b.start && b.end <= a.end
}

fn collect_running<'a>(node: &'a Node, out: &mut Vec<&'a SimpleCommand>) {
    if matches!(node, Node::FunctionDef { .. }) {
        return;
    }
    walk_node(node, &mut |n| {
        if let Node::Simple(c) = n {
            out.push(c);
        }
    });
    // Function bodies nested inside `node` were collected too; drop them.
    let mut defs = Vec::new();
    walk_node(node, &mut |n| {
        if let Node::FunctionDef { span, .. } = n {
            defs.push(*span);
        }
    });
    if !defs.is_empty() {
        out.retain(|c| {
            !defs
                .iter()
                .any(|d| d.start <= c.span.start && c.span.end <= d.end)
        });
    }
}

/// Returns whether `target` was found in `nodes`.
fn before_in_list<'a>(nodes: &'a [Node], target: &Node, out: &mut Vec<&'a SimpleCommand>) -> bool {
    for n in nodes {
        if contains(n, target) && before_in_node(n, target, out) {
            return true;
        }
        collect_running(n, out);
    }
    false
}

fn before_in_node<'a>(node: &'a Node, target: &Node, out: &mut Vec<&'a SimpleCommand>) -> bool {
    if std::ptr::eq(node, target) {
        return true;
    }
    if !contains(node, target) {
        return false;
    }
    match node {
        Node::Simple(_) => false,
        Node::Pipeline { commands, .. } => commands
            .iter()
            .any(|c| contains(c, target) && before_in_node(c, target, out)),
        Node::AndOr { first, rest, .. } => {
            let ops = std::iter::once(&**first).chain(rest.iter().map(|(_, n)| n));
            for n in ops {
                if contains(n, target) {
                    return before_in_node(n, target, out);
                }
                collect_running(n, out);
            }
            false
        }
        Node::Background(n, _) => before_in_node(n, target, out),
        Node::Subshell(list, _) | Node::Group(list, _) | Node::Loop { body: list, .. } => {
            before_in_list(list, target, out)
        }
        Node::If {
            branches,
            else_body,
            ..
        } => {
            for (cond, body) in branches {
                if before_in_list(cond, target, out) {
                    return true;
                }
                let mark = out.len();
                if before_in_list(body, target, out) {
                    return true;
                }
                out.truncate(mark);
            }
            else_body
                .as_ref()
                .is_some_and(|b| before_in_list(b, target, out))
        }
        Node::Case { arms, .. } => arms.iter().any(|a| {
            let mark = out.len();
            let found = before_in_list(a, target, out);
            if !found {
                out.truncate(mark);
            }
            found
        }),
        Node::FunctionDef { body, .. } => before_in_node(body, target, out),
    }
}
