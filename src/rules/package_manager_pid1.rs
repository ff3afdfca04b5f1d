//! SL102 package-manager-pid1: the long-running process is started through `npm start`,
//! `yarn start`, `pnpm run …`: the package manager (and the shell it runs the script with) sits
//! between the stop signal and the app.

use crate::analysis::ShellOutcome;
use crate::model::{Platform, ProcessRole};
use crate::rules::shell_pid1::{image_signal, image_user, signal_name};
use crate::rules::{Reporter, RuleContext};

/// Scripts that run a development server or a one-off task, not something deployed: a dev
/// compose file's `npm run dev` is stopped with Ctrl-C, nobody drains it.
fn is_dev_script(script: &str) -> bool {
    script.split([':', '-', '_', '.']).any(|part| {
        matches!(
            part,
            "dev"
                | "develop"
                | "development"
                | "watch"
                | "test"
                | "tests"
                | "e2e"
                | "lint"
                | "build"
        )
    })
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
        for process in &workload.processes {
            // Containers only: Procfile platforms and systemd signal the whole process group.
            if process.role == ProcessRole::Init
                || matches!(workload.platform, Platform::Procfile | Platform::Systemd)
            {
                continue;
            }
            let Some(main) = process.analysis.as_ref().and_then(|a| a.main.as_ref()) else {
                continue;
            };
            let Some(run) = &main.package_manager else {
                continue;
            };
            // Migrations started through a script are SL601's business, not a server.
            if main.migration.is_some()
                || is_dev_script(&run.script)
                || crate::rules::shell_pid1::is_dev_server(&main.argv)
            {
                continue;
            }
            // Written in a Dockerfile the workload runs: worded for the image (it merges with the
            // Dockerfile's own finding), with a label saying who runs it.
            let inherited = crate::rules::written_in_image(cx.files, workload, main.location.file);
            let signal = if inherited {
                image_signal(cx.model, process)
                    .unwrap_or_else(|| workload.stop_signal_for(process).value)
            } else {
                workload.stop_signal_for(process).value
            };
            let invocation = if run.script == "start" {
                "start".to_string()
            } else {
                format!("run {}", run.script)
            };
            let signal_name = signal_name(&signal);
            let forwarder = process.analysis.as_ref().and_then(|a| a.forwarder);
            let message = match forwarder {
                // Whether the app gets the signal depends on the forwarder's mode (dumb-init
                // signals the process group unless DUMB_INIT_SETSID=0 or -c; tini only with -g
                // or TINI_KILL_PROCESS_GROUP), but it exits as soon as its child does.
                Some(f) => format!(
                    "the app is started through `{} {invocation}`: {} and the shell it runs the `{}` script with sit between {} and the app, and {} exits as soon as {} does: a package manager that exits on {signal_name} without waiting for the script ends the container before the app has drained",
                    run.manager, run.manager, run.script, f, f, run.manager
                ),
                None => format!(
                    "the app is started through `{} {invocation}`: {} and the shell it runs the `{}` script with sit between {signal_name} and the app, which may never see the signal",
                    run.manager, run.manager, run.script
                ),
            };
            let diagnostic = out.report_about(workload, main.location, message);
            let init = workload
                .compose
                .as_ref()
                .and_then(|c| c.init.as_ref())
                .is_some_and(|i| i.value);
            // A shell that does not exec the command stays in front of it.
            let shell = process
                .analysis
                .as_ref()
                .and_then(|a| a.shell.as_ref())
                .filter(|s| !matches!(s.outcome, ShellOutcome::Exec | ShellOutcome::ImplicitExec));
            let pid1 = inherited
                || matches!(workload.platform, Platform::Docker | Platform::Kubernetes)
                || (workload.platform == Platform::Compose && !init);
            diagnostic.primary(match (forwarder, shell) {
                (_, Some(shell)) => format!("{} runs as a child of `{}`", run.manager, shell.program),
                (Some(forwarder), None) => {
                    format!("{} receives the stop signal from {forwarder}", run.manager)
                }
                (None, None) if pid1 => format!("{} is PID 1", run.manager),
                (None, None) => format!("{} receives the stop signal", run.manager),
            });
            if inherited {
                if let Some((at, label)) = image_user(cx.files, workload, process) {
                    diagnostic.label(at, label);
                }
            }
            let example = match workload.platform {
                _ if inherited => "CMD [\"node\", \"server.js\"]".to_string(),
                // `args` alone run behind the image's ENTRYPOINT (`tini --`): a `command` would
                // replace it.
                Platform::Kubernetes
                    if process
                        .container
                        .as_ref()
                        .is_some_and(|c| c.command_key.is_none() && c.args_key.is_some()) =>
                {
                    "args: [\"node\", \"server.js\"]".to_string()
                }
                Platform::Kubernetes | Platform::Compose => {
                    "command: [\"node\", \"server.js\"]".to_string()
                }
                Platform::Fly => format!(
                    "{} = \"node server.js\" in [processes]",
                    workload
                        .process_type
                        .as_ref()
                        .map_or("app", |p| p.value.as_str())
                ),
                _ => "CMD [\"node\", \"server.js\"]".to_string(),
            };
            diagnostic.help(format!(
                "run the runtime directly with the command of the `{}` script in package.json, e.g. {example}",
                run.script
            ));
        }
    }
}
