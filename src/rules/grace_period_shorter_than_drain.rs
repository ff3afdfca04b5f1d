//! SL301 grace-period-shorter-than-drain: the platform kills the process (SIGKILL) before the
//! drain window ends: preStop delay + the app's drain timeout ≥ the kill deadline.

use crate::diagnostic::Location;
use crate::drain::{self, Drain, DrainTimeout};
use crate::model::{Fact, Platform, Process, ProcessRole, Workload};
use crate::rules::{Reporter, RuleContext};
use crate::shell::commands::ServerKind;

/// One container whose drain window does not fit the grace period.
struct Overrun<'a> {
    process: &'a Process,
    timeout: DrainTimeout,
    pre_stop: Option<Fact<f64>>,
    window: f64,
}

/// `-c FILE`/`--config FILE` after the server program on a gunicorn or hypercorn command line
/// (`-C FILE` on sidekiq's, whose `-c` is its concurrency): the drain timeout may be set in that
/// file, so the server's default is not known to apply.
pub(crate) fn has_config_file<'a>(argv: impl IntoIterator<Item = &'a String>) -> bool {
    let words: Vec<&str> = argv.into_iter().map(String::as_str).collect();
    let server = crate::shell::commands::server(&words);
    let start = server.as_ref().map_or(0, |s| s.index + 1);
    let short = if server.is_some_and(|s| s.kind == ServerKind::Sidekiq) {
        "-C"
    } else {
        "-c"
    };
    words
        .get(start..)
        .unwrap_or(&[])
        .iter()
        .take_while(|w| **w != "--")
        .any(|w| {
            *w == "--config"
                || w.starts_with("--config=")
                || (w.starts_with(short) && !w.starts_with("--"))
        })
}

/// The server's own default drain timeout may not apply: a config file is named (on the command
/// line or in `GUNICORN_CMD_ARGS`), or one it reads by default may be in its working directory.
pub(crate) fn default_may_be_overridden(process: &Process) -> bool {
    let Some(main) = process.analysis.as_ref().and_then(|a| a.main.as_ref()) else {
        return false;
    };
    has_config_file(&main.argv)
        || process.default_config_file
        || (main.server == Some(ServerKind::Gunicorn)
            && match drain::env_lookup(process, "GUNICORN_CMD_ARGS") {
                crate::model::EnvLookup::Written(e) => e.gunicorn.is_some_and(|g| g.config_file),
                // The drain timeout is then unknown already.
                crate::model::EnvLookup::Hidden(_) | crate::model::EnvLookup::Unset => false,
            })
}

/// The drain timeout of a process as SL301 counts it.
fn counted_drain(
    workload: &Workload,
    process: &Process,
    cx: &RuleContext<'_>,
) -> Option<DrainTimeout> {
    let Drain::Known(timeout) = drain::drain_timeout(workload, process, cx.config) else {
        return None;
    };
    if timeout.is_default && default_may_be_overridden(process) {
        return None;
    }
    Some(timeout)
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
        if workload.platform == Platform::Docker {
            continue;
        }
        let deadline = workload.effective_kill_deadline();
        let pod_wide = workload.drain_annotation.as_ref().and_then(|a| a.location);
        let mut overruns: Vec<Overrun<'_>> = Vec::new();
        for process in &workload.processes {
            if process.role == ProcessRole::Init {
                continue;
            }
            let Some(timeout) = counted_drain(workload, process, cx) else {
                continue;
            };
            let pre_stop = process
                .pre_stop
                .as_ref()
                .and_then(|p| p.delay.clone())
                .filter(|p| p.value > 0.0);
            // A server's default alone against the default grace period is SL303's finding; a
            // default counts here when a written preStop pause adds to it.
            if timeout.is_default && pre_stop.is_none() && timeout.seconds <= deadline.value {
                continue;
            }
            // A preStop pause that alone uses up the grace period is SL302's finding.
            if pre_stop.as_ref().is_some_and(|p| p.value >= deadline.value) {
                continue;
            }
            let window = pre_stop.as_ref().map_or(0.0, |p| p.value) + timeout.seconds;
            if deadline.value > window {
                continue;
            }
            overruns.push(Overrun {
                process,
                timeout,
                pre_stop,
                window,
            });
        }
        // The annotation and the configured default describe the whole pod: report the pod once,
        // with the container whose window is the longest.
        let shared = |o: &Overrun<'_>| {
            (o.timeout.location.is_some() && o.timeout.location == pod_wide)
                || (o.timeout.location.is_none() && !o.timeout.is_default)
        };
        let mut longest_shared: Option<usize> = None;
        for (i, o) in overruns.iter().enumerate() {
            if shared(o) && longest_shared.is_none_or(|l| o.window > overruns[l].window) {
                longest_shared = Some(i);
            }
        }
        for (i, overrun) in overruns.iter().enumerate() {
            if shared(overrun) && Some(i) != longest_shared {
                continue;
            }
            report(workload, &deadline, overrun, cx, out);
        }
    }
}

fn report(
    workload: &Workload,
    deadline: &Fact<f64>,
    overrun: &Overrun<'_>,
    cx: &RuleContext<'_>,
    out: &mut Reporter<'_>,
) {
    let Overrun {
        process,
        timeout,
        pre_stop,
        window,
    } = overrun;
    let deadline_name = workload.platform.kill_deadline_name();
    let mut terms = Vec::new();
    if let Some(p) = pre_stop {
        terms.push(format!("preStop {}", drain::format_seconds(p.value)));
    }
    terms.push(timeout.description.clone());
    let sum = if terms.len() > 1 {
        format!("{} = {}", terms.join(" + "), drain::format_seconds(*window))
    } else {
        terms.join("")
    };
    let deadline_text = drain::deadline_text(workload);
    let comparison = if *window > deadline.value {
        format!("{sum} > {deadline_text}")
    } else {
        format!("{sum}, equal to {deadline_text}")
    };
    let location: Location = deadline
        .location
        .or_else(|| process.container.as_ref().map(|c| c.location))
        .or(timeout.location)
        .unwrap_or(workload.location);
    let diagnostic = out.report_about(workload,
        location,
        format!(
            "{comparison}: {} `{}` is killed (SIGKILL) before it finishes draining",
            workload.process_noun(),
            process.name
        ),
    );
    diagnostic.footer(format!(
        "timeline: {}",
        crate::timeline::text::compact(&crate::timeline::lane(workload, process, cx.config))
    ));
    diagnostic.primary(if deadline.location.is_some() {
        match workload.platform {
            crate::model::Platform::Kubernetes => "grace period set here".to_string(),
            platform => format!("{} set here", platform.kill_deadline_name()),
        }
    } else {
        format!(
            "{deadline_name} is not set: {}",
            drain::format_seconds(deadline.value)
        )
    });
    if let Some(p) = pre_stop {
        if let Some(l) = p.location {
            diagnostic.label(
                l,
                format!("preStop sleeps {} here", drain::format_seconds(p.value)),
            );
        }
    }
    if timeout.location != Some(location) {
        if let Some(l) = timeout.location {
            diagnostic.label(
                l,
                if timeout.is_default {
                    format!("{}: not set, so the default applies", timeout.description)
                } else {
                    "drain timeout set here".to_string()
                },
            );
        }
    }
    let suggestion = drain::format_seconds((*window + 5.0).ceil());
    let minus_pause = if pre_stop.is_some() {
        " minus the preStop pause"
    } else {
        ""
    };
    diagnostic.help(if workload.platform == crate::model::Platform::Procfile {
        format!(
            "keep the drain timeout below the platform's fixed {} limit (set `[procfile] kill-timeout` in .shutdownlint.toml if your platform allows more)",
            drain::format_seconds(deadline.value)
        )
    } else if timeout.is_default {
        format!(
            "set {deadline_name} above the whole drain window (e.g. {suggestion}), or set the drain timeout explicitly below the grace period{minus_pause}"
        )
    } else {
        format!("make {deadline_name} longer than the whole drain window (e.g. {suggestion}), or shorten the drain timeout")
    });
}
