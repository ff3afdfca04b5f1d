//! SL303 drain-timeout-unset: a serving process runs a server whose drain timeout is
//! configurable but not set anywhere, so its default (or "forever") decides the shutdown.

use crate::drain::{self, Drain};
use crate::rules::grace_period_shorter_than_drain::default_may_be_overridden;
use crate::rules::{Reporter, RuleContext};
use crate::shell::commands::ServerKind;

/// Servers whose drain timeout can be set on the command line, with the flag.
fn flag(server: ServerKind) -> Option<&'static str> {
    Some(match server {
        ServerKind::Gunicorn => "--graceful-timeout",
        ServerKind::Uvicorn => "--timeout-graceful-shutdown",
        ServerKind::Hypercorn => "--graceful-timeout",
        _ => return None,
    })
}

/// Other places the server reads its drain timeout from that shutdownlint cannot see into:
/// a config file (`gunicorn -c`, `hypercorn --config`, `GUNICORN_CMD_ARGS`, gunicorn's
/// `./gunicorn.conf.py` in the image), uvicorn's `UVICORN_*` variables.
fn set_elsewhere(server: ServerKind, process: &crate::model::Process) -> bool {
    match server {
        ServerKind::Gunicorn | ServerKind::Hypercorn => default_may_be_overridden(process),
        // uvicorn's CLI reads every option from `UVICORN_<OPTION>` too.
        ServerKind::Uvicorn => !matches!(
            drain::env_lookup(process, "UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN"),
            crate::model::EnvLookup::Unset
        ),
        _ => false,
    }
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
        for process in &workload.processes {
            if !workload.serves(process) {
                continue;
            }
            let Some(main) = process.analysis.as_ref().and_then(|a| a.main.as_ref()) else {
                continue;
            };
            let Some(server) = main.server else {
                continue;
            };
            let Some(flag) = flag(server) else {
                continue;
            };
            if set_elsewhere(server, process) {
                continue;
            }
            let deadline = workload.effective_kill_deadline();
            let deadline_name = workload.platform.kill_deadline_name();
            let deadline_text = drain::deadline_text(workload);
            let pre_stop = process
                .pre_stop
                .as_ref()
                .and_then(|p| p.delay.as_ref())
                .map_or(0.0, |d| d.value.max(0.0));
            // What is left for the drain after the preStop pause, minus a margin for the exit.
            let budget = (deadline.value - pre_stop - 5.0).floor();
            let help = if budget >= 1.0 {
                let pause = if pre_stop > 0.0 {
                    format!(" − preStop {}", drain::format_seconds(pre_stop))
                } else {
                    String::new()
                };
                format!(
                    "set `{flag} N` explicitly, below the grace period minus the preStop pause (here at most {}: {deadline_text}{pause} − 5s margin)",
                    drain::format_seconds(budget)
                )
            } else {
                format!("set `{flag} N` explicitly, and raise {deadline_name} above the preStop pause + N")
            };
            let drain = drain::drain_timeout(workload, process, cx.config);
            let Drain::Known(timeout) = &drain else {
                if matches!(drain, Drain::Unknown) {
                    let diagnostic = out.report_about(workload,
                        main.server_location.unwrap_or(main.name_location),
                        format!(
                            "{} has no drain timeout (no {flag}): it waits for open requests and connections as long as they last, so only the SIGKILL at the end of {deadline_text} stops it",
                            server.name()
                        ),
                    );
                    diagnostic.primary("drain timeout not set");
                    diagnostic.help(help);
                }
                continue;
            };
            if !timeout.is_default {
                continue;
            }
            let default = timeout.seconds;
            // The default plus a written preStop pause overrunning the grace period, or the
            // default alone exceeding it, is SL301's finding.
            if (pre_stop > 0.0 && pre_stop + default >= deadline.value) || default > deadline.value
            {
                continue;
            }
            let consequence = if default >= deadline.value {
                format!(
                    ", not less than {deadline_text}: SIGKILL arrives before {} gives up on slow requests, so it never exits cleanly",
                    server.name()
                )
            } else {
                format!(
                    ": requests still running {} after SIGTERM are cut off",
                    drain::format_seconds(default)
                )
            };
            let diagnostic = out.report_about(workload,
                main.server_location.unwrap_or(main.name_location),
                format!(
                    "{} runs with its default drain timeout {} (no {flag}){consequence}",
                    server.name(),
                    drain::format_seconds(default),
                ),
            );
            diagnostic.primary("drain timeout not set");
            diagnostic.help(help);
        }
    }
}
