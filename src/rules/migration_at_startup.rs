//! SL601 migration-at-startup: migrations run as part of starting the serving process, so every
//! new instance migrates while old instances still run the old code.

use crate::rules::{Reporter, RuleContext};

const HELP: &str = "run migrations once per deploy, before the new version starts: a release step (Heroku `release:`, fly `release_command`), a Kubernetes Job or Helm pre-upgrade hook, or a CI/CD step";

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        for process in &workload.processes {
            let Some(analysis) = &process.analysis else {
                continue;
            };
            // The command itself is only a migration (a migration image or job): nothing serves.
            let serves = analysis.main.as_ref().is_some_and(|m| m.migration.is_none());
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
                    if let Some(main) = &analysis.main {
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
