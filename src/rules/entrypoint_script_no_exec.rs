//! SL103 entrypoint-script-no-exec: the entrypoint is a shell script from the repository whose
//! final command is not started with `exec`, so the script's shell stays PID 1.

use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
        for process in &workload.processes {
            let Some(script) = &process.script else {
                continue;
            };
            let Some(facts) = &script.facts else {
                continue;
            };
            // A script that traps TERM handles (usually forwards) the signal itself.
            if facts.trap.is_some() {
                continue;
            }
            for (location, program) in &facts.unexeced_finals {
                let shown = if program.starts_with('$') {
                    format!("`\"{program}\"`")
                } else {
                    format!("`{program}`")
                };
                let message = if program == "wait" {
                    "the entrypoint script ends by waiting for background jobs without a trap: its shell stays PID 1 and SIGTERM never reaches them".to_string()
                } else {
                    format!(
                        "the entrypoint script runs {shown} without `exec`: the script's shell stays PID 1 and SIGTERM never reaches it"
                    )
                };
                let diagnostic = out.report(*location, message);
                diagnostic.primary("not exec'd: runs as a child of the shell");
                diagnostic.label(script.invoked_at, "the script runs as the container's main process here");
                if let Some(copied) = script.copied_at {
                    diagnostic.label(copied, "copied into the image here");
                }
                diagnostic.help(if program == "wait" {
                    "run one process per container, or trap TERM and forward it to the jobs (`trap 'kill -TERM $pids' TERM`)".to_string()
                } else {
                    format!(
                        "start the last command with `exec` (e.g. `exec {}`) so it replaces the shell and receives the stop signal",
                        if program.contains('@') { "\"$@\"" } else { program.as_str() }
                    )
                });
            }
        }
    }
}
