//! SL601 migration-at-startup: migrations run as part of starting the serving process, so every
//! new instance migrates while old instances still run the old code.
//!
//! Kubernetes Jobs and CronJobs, and objects run as Helm `pre-install`/`pre-upgrade` or Argo CD
//! `PreSync` hooks, are the right place for migrations and never fire.

use crate::model::ProcessRole;
use crate::rules::{Reporter, RuleContext};

const HELP: &str = "run migrations once per deploy, before the new version starts: a release step (Heroku `release:`, fly `release_command`), a Kubernetes Job or Helm pre-upgrade hook, or a CI/CD step";

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        if let Some(kube) = &workload.kubernetes {
            if kube.is_batch() || kube.release_hook.is_some() {
                continue;
            }
        }
        for process in &workload.processes {
            let Some(analysis) = &process.analysis else {
                continue;
            };
            let main = analysis.main.as_ref();
            // An init container that migrates runs before every pod's app starts.
            if process.role == ProcessRole::Init {
                if let Some(tool) = main.and_then(|m| m.migration) {
                    let location = main.map_or(workload.location, |m| m.location);
                    let diagnostic = out.report(
                        location,
                        format!(
                            "init container `{}` runs `{tool}` every time a pod of {} starts: new pods migrate while old pods still serve the old code",
                            process.name, workload.name
                        ),
                    );
                    diagnostic.primary("migration at startup");
                    diagnostic.help(HELP);
                }
                continue;
            }
            // The command itself is only a migration (a migration image or job): nothing serves.
            let serves = main.is_some_and(|m| m.migration.is_none());
            if serves {
                for step in &analysis.before {
                    let Some(tool) = step.migration else {
                        continue;
                    };
                    let diagnostic = out.report(
                        step.location,
                        format!("`{tool}` runs every time the container starts, before the server: each new instance migrates while old instances still serve the old code"),
                    );
                    diagnostic.primary("migration at startup");
                    if let Some(main) = main {
                        if main.location.file == step.location.file {
                            diagnostic.label(main.location, "then the server starts here");
                        }
                    }
                    diagnostic.help(HELP);
                }
            }
            let Some(script) = &process.script else {
                continue;
            };
            let Some(facts) = &script.facts else {
                continue;
            };
            for (location, tool) in &facts.migrations {
                let diagnostic = out.report(
                    *location,
                    format!("the entrypoint script runs `{tool}` every time the container starts: each new instance migrates while old instances still serve the old code"),
                );
                diagnostic.primary("migration at startup");
                diagnostic.label(script.invoked_at, "the script runs at container start here");
                diagnostic.help(HELP);
            }
        }
    }
}
