//! SL601 migration-at-startup: migrations run as part of starting the serving process, so every
//! new instance migrates while old instances still run the old code.
//!
//! Kubernetes Jobs and CronJobs, and objects run as Helm `pre-install`/`pre-upgrade` or Argo CD
//! `PreSync` hooks, are the right place for migrations and never fire; so are a Procfile's
//! `release:` entry and fly.toml's `[deploy] release_command` (not a process). Procfile variants
//! (`Procfile.dev`, …) are read by local process managers, not by a deploy platform, and are not
//! checked unless their suffix names a deploy target. systemd units are not checked.

use crate::diagnostic::Location;
use crate::model::{Platform, Process, ProcessRole, Workload};
use crate::rules::{Reporter, RuleContext};

const HELP: &str = "run migrations once per deploy, before the new version starts: a release step (Heroku `release:`, fly `release_command`), a Kubernetes Job or Helm pre-upgrade hook, or a CI/CD step";

/// Procfile variants that deploy platforms read (Cloud Foundry's `Procfile.CF`, a production
/// Procfile started with `foreman start -f`); others (`.dev`, `.test`, `.windows`) are local.
const DEPLOY_PROCFILE_SUFFIXES: &[&str] = &["cf", "prod", "production", "staging", "heroku"];

/// The migration as one command line, for a suggested `release:` entry.
fn command_line(argv: &crate::analysis::Argv) -> String {
    argv.iter()
        .map(|w| {
            if w.is_empty()
                || w.contains(|c: char| c.is_whitespace() || "'\"$`\\;&|<>()".contains(c))
            {
                format!("'{}'", w.replace('\'', r"'\''"))
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How to move the migration out of startup, on this platform.
fn help(
    workload: &Workload,
    procfile_name: &str,
    release_migrates: bool,
    migration: Option<&crate::analysis::Argv>,
) -> String {
    let command = migration.map(command_line);
    if workload.platform == Platform::Procfile && procfile_name == "Procfile" && release_migrates {
        return "the `release:` entry already migrates once per deploy, before the new release's processes start: remove the migration from this command".to_string();
    }
    match workload.platform {
        Platform::Procfile if procfile_name == "Procfile" => format!(
            "move it to a release process type (`release: {}`): Heroku runs it once per deploy, and starts the new release's processes only after it succeeds",
            command.as_deref().unwrap_or("…")
        ),
        Platform::Procfile => "run it once per deploy before the new processes start: a release or pre-deploy task of the platform (Heroku's `release:` process type), not the command of a process".to_string(),
        Platform::Fly => format!(
            "run it once per deploy with `release_command = \"{}\"` under `[deploy]` in fly.toml: Fly runs it in a temporary Machine before the new release's Machines start",
            command.as_deref().unwrap_or("…").replace('"', "\\\"")
        ),
        Platform::Kubernetes => "run it once per deploy in a Job (a Helm pre-upgrade hook or an Argo CD PreSync hook), before the new pods start".to_string(),
        Platform::Compose => "run it once per deploy before the new version starts: a one-off service (`docker compose run --rm`, or a `migrate` service that others `depends_on` with `condition: service_completed_successfully`), or a step of the deploy pipeline".to_string(),
        _ => HELP.to_string(),
    }
}

/// "every time the container starts" and the consequence, per platform.
fn consequence(
    workload: &Workload,
    process: &Process,
    procfile_name: &str,
) -> (String, &'static str) {
    match workload.platform {
        Platform::Procfile if procfile_name == "Procfile" => (
            format!("every time a `{}` process starts", process.name),
            "every dyno migrates on each start and restart, racing the others, while dynos of the previous release may still be serving",
        ),
        Platform::Procfile => (
            format!("every time a `{}` process starts", process.name),
            "every instance migrates on each start and restart, racing the others, while instances of the previous release may still be serving",
        ),
        Platform::Fly => (
            match &workload.process_type {
                Some(group) => format!("every time a Machine of the `{}` process group starts", group.value),
                None => "every time a Machine of the app starts".to_string(),
            },
            "every Machine migrates on each start, while Machines of the previous release still serve during a rolling deploy",
        ),
        Platform::Compose => (
            format!("every time a container of service `{}` starts", process.name),
            "every new container migrates, racing its replicas, while containers of the previous version may still be serving",
        ),
        _ => (
            format!("every time the {} starts", workload.process_noun()),
            "each new instance migrates while old instances still serve the old code",
        ),
    }
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    // Procfiles that already have a `release:` entry that migrates (found once: a Procfile
    // may have thousands of entries).
    let release_migrates_in: std::collections::HashSet<crate::source::FileId> = cx
        .model
        .workloads
        .iter()
        .filter(|other| {
            other.platform == Platform::Procfile
                && other
                    .process_type
                    .as_ref()
                    .is_some_and(|t| t.value == "release")
                && other.processes.iter().any(|p| {
                    p.analysis.as_ref().is_some_and(|a| {
                        a.main
                            .iter()
                            .chain(&a.migrations_before)
                            .any(|m| m.migration.is_some())
                    })
                })
        })
        .map(|other| other.location.file)
        .collect();
    for workload in cx.workloads {
        // A systemd unit migrating in ExecStart= is outside this rule (no release concept).
        if workload.platform == Platform::Systemd {
            continue;
        }
        // Procfile `release:` is where migrations belong.
        if workload
            .process_type
            .as_ref()
            .is_some_and(|t| t.value == "release")
            && workload.platform == Platform::Procfile
        {
            continue;
        }
        let procfile_name = std::path::Path::new(cx.files.path(workload.location.file))
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        if workload.platform == Platform::Procfile && procfile_name != "Procfile" {
            let suffix = procfile_name
                .strip_prefix("Procfile.")
                .unwrap_or("")
                .to_ascii_lowercase();
            if !DEPLOY_PROCFILE_SUFFIXES.contains(&suffix.as_str()) {
                continue;
            }
        }
        // The Procfile already has a `release:` entry that migrates.
        let release_migrates = workload.platform == Platform::Procfile
            && release_migrates_in.contains(&workload.location.file);
        if let Some(kube) = &workload.kubernetes {
            if kube.is_batch() || kube.release_hook.is_some() {
                continue;
            }
        }
        for process in &workload.processes {
            let Some(analysis) = &process.analysis else {
                continue;
            };
            // A platform that runs an image built in the scan: what the Dockerfile (or its
            // entrypoint script) does is reported once, at the Dockerfile's own finding.
            let dockerfile = cx.model.dockerfile_of(workload, process);
            let inherited = |location: Location| {
                workload.platform != Platform::Docker && Some(location.file) == dockerfile
            };
            let main = analysis.main.as_ref();
            // An init container that migrates runs before every pod's app starts.
            if process.role == ProcessRole::Init {
                if let Some(tool) = main.and_then(|m| m.migration) {
                    let location = main.map_or(workload.location, |m| m.location);
                    let diagnostic = out.report_about(workload,
                        location,
                        format!(
                            "init container `{}` runs `{tool}` every time a pod of {} starts: new pods migrate while old pods still serve the old code",
                            process.name, workload.name
                        ),
                    );
                    diagnostic.primary("migration at startup");
                    diagnostic.help(help(
                        workload,
                        &procfile_name,
                        release_migrates,
                        main.map(|m| &m.argv),
                    ));
                }
                continue;
            }
            let (when, why) = consequence(workload, process, &procfile_name);
            // The command itself is only a migration (a migration image or job): nothing serves.
            let serves = main.is_some_and(|m| m.migration.is_none());
            if let (true, Some(main)) = (serves, main) {
                for step in &analysis.migrations_before {
                    let Some(tool) = step.migration else {
                        continue;
                    };
                    if inherited(step.location) {
                        continue;
                    }
                    let diagnostic = out.report_about(workload,
                        step.location,
                        format!(
                            "`{tool}` runs {when}, before {}: {why}",
                            match main.server {
                                Some(_) => "the server".to_string(),
                                None => format!("`{}`", main.name()),
                            }
                        ),
                    );
                    diagnostic.primary("migration at startup");
                    if main.location.file == step.location.file {
                        diagnostic.label(main.location, "then the server starts here");
                    }
                    diagnostic.help(help(
                        workload,
                        &procfile_name,
                        release_migrates,
                        Some(&step.argv),
                    ));
                }
            }
            let Some(script) = &process.script else {
                continue;
            };
            let Some(facts) = &script.facts else {
                continue;
            };
            if inherited(script.invoked_at) {
                continue;
            }
            for (location, tool) in &facts.migrations {
                let diagnostic = out.report_about(workload,
                    *location,
                    format!("the entrypoint script runs `{tool}` {when}: {why}"),
                );
                diagnostic.primary("migration at startup");
                diagnostic.label(
                    script.invoked_at,
                    format!("the script runs at {} start here", workload.process_noun()),
                );
                diagnostic.help(help(workload, &procfile_name, release_migrates, None));
            }
        }
    }
}
