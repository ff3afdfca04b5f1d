//! The shell parser and analyses: the input as an entrypoint script (final commands, traps,
//! `exec`, function calls, migrations) and as a command line (`sh -c` payload under dash, bash
//! and busybox; word splitting into an exec-form argv; wrappers, package managers, servers,
//! drain flags, kill signals).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shutdownlint::diagnostic::Location;
use shutdownlint::model::{Command, CommandSource, CommandWord, Form, ShellEnv, ShellFamily};
use shutdownlint::shell::{self, commands, ImplicitExecShell, Node};
use shutdownlint::source::FileId;
use shutdownlint::span::{MappedText, Span};
use shutdownlint_fuzz::{check_span, text};

fn command(words: Vec<(MappedText, bool)>, len: usize, form: Form) -> Command {
    let mut command = Command::default();
    command.words = words
        .into_iter()
        .map(|(text, synthesized)| CommandWord {
            text,
            file: FileId(0),
            source: 0,
            synthesized,
        })
        .collect();
    command.sources = vec![CommandSource {
        what: "CMD",
        form,
        location: Location::new(FileId(0), Span::new(0, len)),
        inherited_from: None,
    }];
    command
}

fn env(family: ShellFamily) -> ShellEnv {
    ShellEnv {
        family,
        reason: "fuzz".into(),
        assumed: false,
        location: None,
        old_bash: false,
    }
}

fn check_argv(argv: &[&str]) {
    let _ = commands::unwrap_wrappers(argv);
    let _ = commands::shell_c(argv);
    let _ = commands::shell_script(argv);
    let _ = commands::package_manager(argv);
    let _ = commands::migration(argv);
    let _ = commands::server(argv);
    let _ = commands::drain_timeout(argv);
    let _ = commands::kill_signal_args(argv);
    for word in argv {
        let _ = commands::program_name(word);
        let _ = commands::parse_duration_seconds(word);
        let _ = commands::normalize_signal(word);
        let _ = commands::drain_timeout_from_gunicorn_cmd_args(word);
    }
}

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    match shell::parse(&text) {
        Ok(script) => {
            for node in &script.body {
                check_span(&text, node.span(), "node");
            }
            for heredoc in &script.heredocs {
                check_span(&text, heredoc.redirect, "heredoc redirect");
                check_span(&text, heredoc.body, "heredoc body");
            }
            for case in &script.cases {
                check_span(&text, case.span, "case");
                let _ = case.has_catch_all();
            }
            for simple in shell::all_simple_commands(&script) {
                check_span(&text, simple.span, "simple command");
                for word in simple.words.iter().chain(simple.assignments.iter()) {
                    check_span(&text, word.span, "word");
                    let _ = word.assignment();
                }
                for redirect in &simple.redirections {
                    check_span(&text, redirect.span, "redirect");
                }
                let _ = simple.exec_target();
                check_argv(&simple.argv());
                let _ = shell::final_commands_of_call(&script, simple);
            }
            let finals = shell::final_commands(&script);
            for fin in &finals {
                check_span(&text, fin.span, "final command");
                let _ = shell::chain_before(&script, fin);
            }
            let _ = shell::is_exec_tail(&script);
            for kind in [
                ImplicitExecShell::Bash,
                ImplicitExecShell::BusyboxAsh,
                ImplicitExecShell::Dash,
            ] {
                let _ = shell::shell_execs_final_command(&script, kind);
            }
            let _ = shell::can_shell_exec_implicitly(&script);
            for trap in shell::traps(&script) {
                let _ = trap;
            }
            if let Some(span) = shell::traps_signal(&script) {
                check_span(&text, span, "trap");
            }
            if let Some(Node::FunctionDef { name, .. }) = script.body.first() {
                let _ = shell::find_function(&script, name);
            }
        }
        Err(e) => check_span(&text, e.span, "shell error"),
    }
    // As an entrypoint script reached from a Dockerfile.
    let _ = shutdownlint::link::script_facts(FileId(0), &text);

    // As a command line: the `sh -c` payload of shell-form CMD under each shell.
    let shell_form = command(
        vec![
            (MappedText::contiguous("/bin/sh", 0), true),
            (MappedText::contiguous("-c", 0), true),
            (MappedText::contiguous(text.clone(), 0), false),
        ],
        text.len(),
        Form::Shell,
    );
    for family in [
        ShellFamily::Dash,
        ShellFamily::Bash,
        ShellFamily::OldBash,
        ShellFamily::Busybox,
    ] {
        let _ = shutdownlint::analysis::analyze(&shell_form, &env(family));
    }
    // Split into words: an exec-form argv.
    if let Ok(words) = shell::split_words(&text) {
        for word in &words {
            check_span(&text, word.span, "split word");
        }
        let argv: Vec<&str> = words.iter().map(|w| w.value.as_str()).collect();
        check_argv(&argv);
        let exec_form = command(
            words
                .iter()
                .map(|w| (MappedText::contiguous(w.value.clone(), w.span.start), false))
                .collect(),
            text.len(),
            Form::Exec,
        );
        let _ = shutdownlint::analysis::analyze(&exec_form, &env(ShellFamily::Dash));
    }
});
