//! SL102 package-manager-pid1: the long-running process is started through `npm start`,
//! `yarn start`, `pnpm run …`: the package manager (and the shell it runs the script with) sits
//! between the stop signal and the app.

use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        for process in &workload.processes {
            if process.role == crate::model::ProcessRole::Init {
                continue;
            }
            let Some(main) = process.analysis.as_ref().and_then(|a| a.main.as_ref()) else {
                continue;
            };
            let Some(run) = &main.package_manager else {
                continue;
            };
            // Migrations started through a script are SL601's business, not a server.
            if main.migration.is_some() {
                continue;
            }
            let diagnostic = out.report(
                main.location,
                format!(
                    "the app is started through `{} {}`: {} and the shell it runs the `{}` script with sit between SIGTERM and the app, which may never see the signal",
                    run.manager,
                    if run.script == "start" { "start".to_string() } else { format!("run {}", run.script) },
                    run.manager,
                    run.script
                ),
            );
            diagnostic.primary(format!("{} is PID 1", run.manager));
            let example = match workload.platform {
                crate::model::Platform::Kubernetes => "command: [\"node\", \"server.js\"]",
                crate::model::Platform::Docker => "CMD [\"node\", \"server.js\"]",
            };
            diagnostic.help(format!(
                "run the runtime directly with the command of the `{}` script in package.json, e.g. {example}",
                run.script
            ));
        }
    }
}
