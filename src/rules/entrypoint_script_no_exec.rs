//! SL103 entrypoint-script-no-exec: the entrypoint is a shell script from the repository whose
//! final command is not started with `exec`, so the script's shell stays PID 1 (or, behind an
//! init such as tini or dumb-init, stays between the init and the program).

use crate::analysis::Relay;
use crate::rules::shell_pid1::{
    behind_outcome, image_signal, on_signal, passes, rewrites, signal_name,
};
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
            // The init in front of the script, if any: the image's (`ENTRYPOINT ["tini", "--",
            // "entrypoint.sh"]`) or compose's `init: true` (tini) for a service that runs it.
            let analysis = process.analysis.as_ref();
            let compose_init = workload
                .compose
                .as_ref()
                .and_then(|c| c.init.as_ref())
                .filter(|i| i.value);
            // The image's init is tini's child under `init: true`: it passes the signal on. If
            // tini signals the whole group, the program may get the signal from it as well.
            let tini_group = compose_init.is_some()
                && passes("tini", None, process).is_some_and(|p| p.relay == Relay::Group);
            let image_init = analysis.and_then(|a| {
                a.forwarder.map(|f| {
                    let passes = passes(f, Some(a), process)
                        .filter(|p| !tini_group || p.relay == Relay::Group);
                    (f, passes)
                })
            });
            let init = image_init
                .or_else(|| compose_init.map(|_| ("tini", passes("tini", None, process))));
            let compose_init_at = compose_init
                .filter(|_| analysis.is_none_or(|a| a.forwarder.is_none()))
                .and_then(|i| i.location);
            let inherited =
                crate::rules::written_in_image(cx.files, workload, script.invoked_at.file);
            let signal = if inherited {
                image_signal(cx.model, process)
                    .unwrap_or_else(|| workload.stop_signal_for(process).value)
            } else {
                workload.stop_signal_for(process).value
            };
            let signal_name = signal_name(&signal);
            // The image's init sends another signal than the stop signal (`dumb-init --rewrite
            // 15:2`): not modelled, nothing is claimed.
            if analysis.is_some_and(|a| a.forwarder.is_some() && rewrites(a, &signal)) {
                continue;
            }
            for (location, program) in &facts.unexeced_finals {
                let shown = if program.starts_with('$') {
                    format!("`\"{program}\"`")
                } else {
                    format!("`{program}`")
                };
                let message = match &init {
                    // What a shell in the `wait` builtin does with SIGINT was not measured
                    // (background jobs of a script ignore SIGINT): only what dies at once.
                    Some((f, _)) if program == "wait" => {
                        if on_signal(&signal, None) != crate::rules::shell_pid1::OnSignal::Exits {
                            continue;
                        }
                        format!(
                            "the entrypoint script ends by waiting for background jobs without a trap: it runs behind {f}, and the shell exits on {signal_name} at once and {f} exits with it, so the jobs are killed before they have drained"
                        )
                    }
                    Some((f, passes)) => {
                        let Some(outcome) = behind_outcome(
                            f,
                            on_signal(&signal, None),
                            passes.as_ref(),
                            &signal_name,
                            &shown,
                        ) else {
                            continue;
                        };
                        format!(
                            "the entrypoint script runs {shown} without `exec` behind {f}: {outcome}"
                        )
                    }
                    None if program == "wait" => format!(
                        "the entrypoint script ends by waiting for background jobs without a trap: its shell stays PID 1 and {signal_name} never reaches them"
                    ),
                    None => format!(
                        "the entrypoint script runs {shown} without `exec`: the script's shell stays PID 1 and {signal_name} never reaches it"
                    ),
                };
                let diagnostic = out.report(*location, message);
                diagnostic.primary("not exec'd: runs as a child of the shell");
                match &init {
                    Some((f, _)) => diagnostic.label(
                        script.invoked_at,
                        format!("the script runs here, as the child of {f}"),
                    ),
                    None => diagnostic.label(
                        script.invoked_at,
                        "the script runs as the container's main process here",
                    ),
                };
                if let Some(at) = compose_init_at {
                    diagnostic.label(at, "compose's `init: true` runs tini in front of the script");
                }
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
