//! SL101 shell-pid1: the process that receives the stop signal is a shell that will not pass it
//! on (dash never execs the command of `sh -c`; bash and busybox only exec a plain final
//! command).

use crate::analysis::ShellOutcome;
use crate::model::{Form, ShellFamily};
use crate::rules::{Reporter, RuleContext};

/// Programs that are not services: an image whose command ends in a shell or a no-op is an
/// interactive or tooling image, and SIGTERM handling does not matter there.
const NOT_SERVICES: &[&str] = &[
    "sh", "bash", "dash", "ash", "zsh", "true", "false", ":", "echo", "printf", "exit",
];

/// Commands that only keep a container alive; nothing to drain.
const KEEP_ALIVE: &[&str] = &["sleep", "tail", "cat", "wait", "pause"];

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        for process in &workload.processes {
            // Init containers run to completion; they are not signalled when the pod stops.
            if process.role == crate::model::ProcessRole::Init {
                continue;
            }
            let (Some(command), Some(analysis)) = (&process.command, &process.analysis) else {
                continue;
            };
            let Some(shell) = &analysis.shell else {
                continue;
            };
            let ShellOutcome::Stays { why } = &shell.outcome else {
                continue;
            };
            if matches!(shell.family, ShellFamily::None | ShellFamily::NotPosix) {
                continue;
            }
            // A bare shell (`CMD bash`) is a tooling image; `sh script.sh` still runs a script.
            let bare_shell = analysis.main.as_ref().is_some_and(|m| {
                NOT_SERVICES.contains(&m.name()) && m.script_path.is_none()
            });
            let windows_program = analysis.main.as_ref().is_some_and(|m| m.name().to_ascii_lowercase().ends_with(".exe"));
            // No program to signal: a keep-alive (`while :; do sleep 3600; done`, `sleep infinity`).
            let keep_alive = analysis.main.as_ref().is_none_or(|m| KEEP_ALIVE.contains(&m.name()));
            if bare_shell || windows_program || keep_alive {
                continue;
            }
            let program = analysis.main.as_ref().map(|m| m.name().to_string());
            let program = program.map_or_else(|| "the app".to_string(), |p| format!("`{p}`"));
            let Some(source) = command.sources.get(shell.source) else {
                continue;
            };
            let assumed = if shell.assumed { ", assumed" } else { "" };
            let payload_text = command
                .words
                .iter()
                .find(|w| w.full_location() == shell.payload)
                .map_or("", |w| w.as_str());
            let not_json = shell.synthesized && payload_text.trim_start().starts_with('[');
            let message = if not_json {
                format!(
                    "{} is not a valid JSON array (JSON needs double quotes), so Docker runs it in shell form under {} ({}{assumed}) as PID 1",
                    source.what,
                    shell.program,
                    shell.family.name()
                )
            } else if shell.synthesized && source.form == Form::Shell {
                format!(
                    "{} in shell form runs under {} ({}{assumed}) as PID 1; SIGTERM never reaches {program}",
                    source.what,
                    shell.program,
                    shell.family.name()
                )
            } else {
                format!(
                    "`{} -c` ({}{assumed}) stays PID 1; SIGTERM never reaches {program}",
                    shell.program,
                    shell.family.name()
                )
            };
            let location = if shell.synthesized {
                source.location
            } else {
                shell.payload
            };
            let diagnostic = out.report(location, message);
            diagnostic.primary(why.clone());
            if let Some(reason_location) = shell.reason_location {
                if reason_location.file == location.file && reason_location != location {
                    diagnostic.label(reason_location, shell.reason.clone());
                }
            }
            if let Some(inherited) = &source.inherited_from {
                diagnostic.label(source.location, format!("inherited from {inherited}"));
            }
            if not_json {
                diagnostic.help(format!(
                    "write the exec form with double quotes: {} {}",
                    source.what,
                    payload_text.replace('\'', "\"")
                ));
                continue;
            }
            diagnostic.help(help(source.what, shell.synthesized, analysis));
        }
    }
}

fn help(what: &str, synthesized: bool, analysis: &crate::analysis::CommandAnalysis) -> String {
    let plain = analysis.shell.as_ref().is_some_and(|s| {
        matches!(&s.outcome, crate::analysis::ShellOutcome::Stays { why } if why.starts_with("dash"))
    });
    let exec_form = analysis.main.as_ref().filter(|m| {
        plain && analysis.before.is_empty() && m.argv.iter().all(|a| !a.contains('$') && !a.contains('"'))
    });
    match exec_form {
        Some(main) if synthesized => {
            let words: Vec<String> = main.argv.iter().map(|a| format!("\"{a}\"")).collect();
            format!(
                "use exec form so {} is PID 1: {what} [{}]",
                main.name(),
                words.join(", ")
            )
        }
        _ => "start the last command with `exec` (`… && exec server`) so it replaces the shell, or run the server directly in exec form".into(),
    }
}
