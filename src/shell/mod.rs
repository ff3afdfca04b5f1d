//! A small POSIX-shell parser (with the bash extensions entrypoint scripts use) that keeps byte
//! spans, plus the structural analyses the graceful-shutdown lint rules build on.
//!
//! Input is either a one-line command (Dockerfile shell-form `CMD`, an `sh -c` payload, a
//! Procfile entry, ...) or a whole script. [`parse`] returns a [`Script`]; every span in it is a
//! byte range into the parsed text, which callers map back to their file with
//! [`crate::span::MappedText::source_span`].
//!
//! What is parsed:
//! * POSIX: simple commands with assignments and redirections, pipelines (`!`), `&&`/`||`,
//!   `;`/`&`/newline lists, `( )`, `{ }`, `if`, `case` (`(pat|pat)`, `;;`), `for`/`while`/`until`,
//!   `name() body`, quoting (`\`, `'…'`, `"…"`), `$x`/`${…}`/`$(…)`/`` `…` ``/`$((…))`,
//!   comments, line continuations and here-documents (`<<`, `<<-`, quoted delimiters; the bodies
//!   are recorded in [`Script::heredocs`]).
//! * bash: `function f { }`, `[[ … ]]`, `(( … ))`, `for (( ; ; ))`, `select`, arrays
//!   (`a=(x y)`, `a+=(…)`), `$'…'`, `$"…"`, `<<<`, `&>`, `&>>`, `|&`, `;&`, `;;&`, `<(…)`, `>(…)`,
//!   extglob patterns (`@(a|b)`), `{fd}>file`, `coproc`, `time` before a compound command.
//!   Note `cmd &>file` is read the bash way (redirect both streams); dash reads `cmd &` `>file`.
//!
//! Not kept: the commands inside `$(…)`, backticks and `<(…)` are parsed (so their syntax is
//! checked and their extent is right) but are not part of the tree; redirections on compound
//! commands (`{ …; } >log`, `done <file`) only widen the compound's span (their here-documents
//! are still recorded); aliases are not expanded.
//!
//! Nesting (compound commands, substitutions, quotes inside substitutions) deeper than
//! [`MAX_NESTING`] is a parse error, so hostile input cannot overflow the stack, and so is a
//! text of more than [`MAX_WORDS`] words, so one command line cannot take memory without bound
//! (an 8 MB `a;a;a;…` built a tree of 2.7 GB). The parser never panics and runs in time roughly
//! linear in the input.

mod analysis;
pub mod commands;
mod parse;
pub mod words;

pub use analysis::{
    all_simple_commands, can_shell_exec_implicitly, chain_before, chain_before_node,
    final_commands, final_commands_in, final_commands_of_body, final_commands_of_call,
    find_function, function_index, is_exec_tail, old_bash_execs_final_command,
    program_before_trailing_builtins, shell_execs_final_command, subshell_parts, traps,
    traps_signal, FinalCommand, FinalKind, ImplicitExecShell, ProgramBefore, SubshellParts,
    TrapCommand,
};
pub use parse::{parse, split_words};

use crate::span::Span;
use std::fmt;

/// Maximum nesting depth of compound commands / substitutions before [`parse`] gives up.
pub const MAX_NESTING: usize = 100;

/// Maximum number of words one [`parse`] or [`split_words`] reads before it gives up: some
/// 30,000 lines of a script, and a tree of about 40 MB while it lives.
pub const MAX_WORDS: usize = 250_000;

/// A syntax error (or an input nested too deeply), with the span it was found at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellError {
    pub message: String,
    pub span: Span,
}

impl fmt::Display for ShellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (at bytes {}..{})",
            self.message, self.span.start, self.span.end
        )
    }
}

impl std::error::Error for ShellError {}

/// A parsed script or command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    /// The top-level commands (list items) in source order. `a; b & c` is
    /// `[a, Background(b), c]`.
    pub body: Vec<Node>,
    /// Every here-document, in source order (including those on compound commands).
    pub heredocs: Vec<Heredoc>,
    /// Pattern details of every `case` command (the [`Node::Case`] with the same span).
    pub cases: Vec<CaseInfo>,
    /// The redirections of compound commands (`{ …; } > f`, `( … ) 2>&1`, `done < in`, `fi`,
    /// `esac`), ordered by where their command starts; `[[`/`((` keep theirs in their
    /// [`SimpleCommand`].
    pub compound_redirections: Vec<CompoundRedirect>,
}

/// A redirection of a compound command. The shell opens it before the command's body runs, in
/// the directory current where the command starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompoundRedirect {
    /// The offset where the compound command starts (its `{`, `(`, `if`, `for`, `while`, …).
    pub command_start: usize,
    pub redirect: Redirect,
}

impl Script {
    /// The [`CaseInfo`] of a [`Node::Case`], looked up by its span.
    pub fn case_info(&self, case_span: Span) -> Option<&CaseInfo> {
        self.cases.iter().find(|c| c.span == case_span)
    }
}

/// A command (list item, pipeline element, and-or operand, compound command).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A simple command. `[[ … ]]` and `(( … ))` are represented as simple commands whose first
    /// word is `[[` / `((` (see [`SimpleCommand`]).
    Simple(SimpleCommand),
    /// `a | b | c`, or a single command negated with `!` (`negated`). A single command without
    /// `!` is never wrapped; a bare `!` (bash) has no commands. `|&` is treated like `|`.
    Pipeline {
        commands: Vec<Node>,
        negated: bool,
        span: Span,
    },
    /// `first && x || y …` (operands are pipelines). Never has an empty `rest`.
    AndOr {
        first: Box<Node>,
        rest: Vec<(AndOrOp, Node)>,
        span: Span,
    },
    /// A list item ended by `&` (the whole and-or list runs in the background), or a `coproc`.
    /// The span includes the `&`.
    Background(Box<Node>, Span),
    /// `( list )`.
    Subshell(Vec<Node>, Span),
    /// `{ list; }`.
    Group(Vec<Node>, Span),
    /// `if c1; then b1; elif c2; then b2; else e; fi`: `branches` is `[(c1, b1), (c2, b2)]`.
    If {
        branches: Vec<(Vec<Node>, Vec<Node>)>,
        else_body: Option<Vec<Node>>,
        span: Span,
    },
    /// `case w in p) list;; … esac`: the list of each arm in order. Patterns and the subject are
    /// in [`Script::case_info`].
    Case { arms: Vec<Vec<Node>>, span: Span },
    /// `for`/`select`/`while`/`until` loop. For `while`/`until` the `body` is the condition list
    /// followed by the `do` list (so walking `body` visits every command in source order); for
    /// `for`/`select` it is the `do` list (the word list is not kept).
    Loop { body: Vec<Node>, span: Span },
    /// `name() body`, `function name { … }`, `function name() …`. The body is not executed where
    /// it is defined.
    FunctionDef {
        name: String,
        body: Box<Node>,
        span: Span,
    },
}

/// The operator joining two operands of an and-or list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AndOrOp {
    /// `&&`
    And,
    /// `||`
    Or,
}

impl Node {
    /// The span of the whole command in the source (for compound commands this includes the
    /// closing keyword and any trailing redirections).
    pub fn span(&self) -> Span {
        match self {
            Node::Simple(c) => c.span,
            Node::Pipeline { span, .. }
            | Node::AndOr { span, .. }
            | Node::Background(_, span)
            | Node::Subshell(_, span)
            | Node::Group(_, span)
            | Node::If { span, .. }
            | Node::Case { span, .. }
            | Node::Loop { span, .. }
            | Node::FunctionDef { span, .. } => *span,
        }
    }

    /// The simple command, when this node is one.
    pub fn as_simple(&self) -> Option<&SimpleCommand> {
        match self {
            Node::Simple(c) => Some(c),
            _ => None,
        }
    }
}

/// A simple command: `A=1 B="x y" cmd arg >out 2>&1`.
///
/// `[[ a == b ]]` is a simple command with words `[[`, `a`, `==`, `b`, `]]` (operators such as
/// `&&`, `(`, `<` inside are words too); `(( i++ ))` has the three words `((`, ` i++ ` (raw
/// text), `))`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimpleCommand {
    /// Leading `NAME=value` / `NAME+=value` / `NAME[i]=value` / `NAME=(…)` words.
    pub assignments: Vec<Word>,
    /// The command name and its arguments (assignment-looking words after the name are here).
    pub words: Vec<Word>,
    /// The span of each redirection (`2>&1`, `>/dev/null`, `<<EOF`), in order.
    pub redirects: Vec<Span>,
    /// The same redirections with their parts (parallel to `redirects`).
    pub redirections: Vec<Redirect>,
    /// From the first assignment/word/redirection to the last (here-document bodies excluded).
    pub span: Span,
}

impl SimpleCommand {
    /// The words after quote removal (`value`s), command name first.
    pub fn argv(&self) -> Vec<&str> {
        self.words.iter().map(|w| w.value.as_str()).collect()
    }

    /// The command name (first word's value), if there is one.
    pub fn name(&self) -> Option<&str> {
        self.words.first().map(|w| w.value.as_str())
    }

    /// `exec` with a command to run (it replaces the shell). `exec 3>&1`, `exec >log 2>&1` and a
    /// bare `exec` only change the shell's file descriptors and return `false`.
    pub fn is_exec(&self) -> bool {
        self.exec_target().is_some()
    }

    /// For `exec [-c] [-l] [-a name] [--] cmd args…`, the words `cmd args…` (never empty).
    /// `None` when this is not `exec` or `exec` has no command.
    pub fn exec_target(&self) -> Option<&[Word]> {
        let (first, rest) = self.words.split_first()?;
        if first.value != "exec" {
            return None;
        }
        let mut i = 0;
        while let Some(w) = rest.get(i) {
            let v = w.value.as_str();
            if v == "--" {
                i += 1;
                break;
            }
            let Some(flags) = v.strip_prefix('-') else {
                break;
            };
            if flags.is_empty() || !flags.chars().all(|c| matches!(c, 'c' | 'l' | 'a')) {
                break;
            }
            i += 1;
            if let Some(at) = flags.find('a') {
                // `-a name`: the name is the rest of the cluster or the next word.
                if at + 1 == flags.len() {
                    i += 1;
                }
            }
        }
        rest.get(i..).filter(|t| !t.is_empty())
    }
}

/// A redirection operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RedirectOp {
    /// `<`
    Read,
    /// `>`
    Write,
    /// `>>`
    Append,
    /// `>|`
    Clobber,
    /// `<>`
    ReadWrite,
    /// `<&`
    DupIn,
    /// `>&`
    DupOut,
    /// `<<`
    Heredoc,
    /// `<<-`
    HeredocStripTabs,
    /// `<<<` (bash)
    HereString,
    /// `&>` (bash)
    WriteBoth,
    /// `&>>` (bash)
    AppendBoth,
}

impl RedirectOp {
    /// Whether the operator opens its target for writing (`>`, `>>`, `>|`, `<>`, `&>`, `&>>`).
    pub fn writes(self) -> bool {
        matches!(
            self,
            RedirectOp::Write
                | RedirectOp::Append
                | RedirectOp::Clobber
                | RedirectOp::ReadWrite
                | RedirectOp::WriteBoth
                | RedirectOp::AppendBoth
        )
    }

    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            RedirectOp::Read => "<",
            RedirectOp::Write => ">",
            RedirectOp::Append => ">>",
            RedirectOp::Clobber => ">|",
            RedirectOp::ReadWrite => "<>",
            RedirectOp::DupIn => "<&",
            RedirectOp::DupOut => ">&",
            RedirectOp::Heredoc => "<<",
            RedirectOp::HeredocStripTabs => "<<-",
            RedirectOp::HereString => "<<<",
            RedirectOp::WriteBoth => "&>",
            RedirectOp::AppendBoth => "&>>",
        }
    }
}

/// One redirection: `[fd]op target`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// From the fd number (or operator) to the end of the target word.
    pub span: Span,
    /// The explicit fd (`2` in `2>&1`, `{fd}` in bash `{fd}>x`), as written.
    pub fd: Option<String>,
    pub op: RedirectOp,
    /// The file / fd word; for here-documents the delimiter word.
    pub target: Word,
}

/// A here-document and where its body is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    /// The span of the `<<DELIM` redirection.
    pub redirect: Span,
    /// The delimiter after quote removal.
    pub delimiter: String,
    /// The delimiter was quoted: the body is not expanded.
    pub quoted: bool,
    /// `<<-`: leading tabs are stripped.
    pub strip_tabs: bool,
    /// The body lines (without the delimiter line).
    pub body: Span,
    /// `false` when the input ended before the delimiter line (bash warns, dash accepts).
    pub terminated: bool,
}

/// The parts of a `case` command that [`Node::Case`] does not carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseInfo {
    /// Same as the `Node::Case` span.
    pub span: Span,
    /// The word after `case`.
    pub subject: Word,
    /// The patterns of each arm (parallel to `Node::Case::arms`).
    pub patterns: Vec<Vec<Word>>,
}

impl CaseInfo {
    /// Some arm matches everything (an unquoted `*` pattern), so the `case` cannot fall through.
    pub fn has_catch_all(&self) -> bool {
        self.patterns
            .iter()
            .flatten()
            .any(|p| p.value == "*" && p.has_glob)
    }
}

/// A shell word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    /// The raw word in the source, quotes included.
    pub span: Span,
    /// The word after quote removal and line-continuation removal. Expansions are kept as their
    /// literal source text (`"$HOME/x"` → `$HOME/x`, `$(date)` → `$(date)`); `$'…'` escapes are
    /// decoded. No field splitting, globbing or tilde expansion is done.
    pub value: String,
    /// The word contains a parameter expansion (`$x`, `${x}`, `$1`, `$@`, …), a command
    /// substitution (`$(…)`, `` `…` ``), an arithmetic expansion (`$((…))`), a process
    /// substitution (`<(…)`), or is an array assignment containing one of these: its runtime
    /// value is not `value`. Tildes and globs do not count (see `has_glob`).
    pub has_expansion: bool,
    /// The word contains an unquoted `*`, `?`, `[` or an extglob group (it may be
    /// pathname-expanded; `[` also appears in `arr[0]=x` and `[`).
    pub has_glob: bool,
    /// Some part of the word was quoted or escaped (`'…'`, `"…"`, `\x`, `$'…'`). A quoted word
    /// is never a reserved word, and a quoted here-document delimiter disables expansion.
    pub quoted: bool,
}

impl Word {
    /// The word's value when it is a plain literal (no expansion, no glob).
    pub fn literal(&self) -> Option<&str> {
        (!self.has_expansion && !self.has_glob).then_some(self.value.as_str())
    }

    /// For an assignment word `NAME=value` (or `NAME+=value`, `NAME[i]=value`): the name part
    /// and the value part of [`Word::value`].
    pub fn assignment(&self) -> Option<(&str, &str)> {
        let eq = self.value.find('=')?;
        let name = self.value.get(..eq)?;
        let name = name.strip_suffix('+').unwrap_or(name);
        let value = self.value.get(eq + 1..)?;
        Some((name, value))
    }
}

#[cfg(test)]
mod tests;
