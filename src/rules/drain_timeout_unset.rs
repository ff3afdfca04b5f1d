//! SL303 drain-timeout-unset: a serving process runs a server whose drain timeout is
//! configurable but not set anywhere, so its default (or "forever") decides the shutdown.

use crate::drain::{self, Drain};
use crate::rules::{Reporter, RuleContext};
use crate::shell::commands::{self, ServerKind};

/// Servers whose drain timeout can be set on the command line, with the flag.
fn flag(server: ServerKind) -> Option<&'static str> {
    Some(match server {
        ServerKind::Gunicorn => "--graceful-timeout",
        ServerKind::Uvicorn => "--timeout-graceful-shutdown",
        ServerKind::Hypercorn => "--graceful-timeout",
        _ => return None,
    })
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
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
            let drain = drain::drain_timeout(workload, process, cx.config);
            let Drain::Known(timeout) = &drain else {
                if matches!(drain, Drain::Unknown) {
                    let diagnostic = out.report(
                        main.name_location,
                        format!(
                            "{} drains for as long as requests take (no {flag}): the shutdown is bounded only by the grace period's SIGKILL",
                            server.name()
                        ),
                    );
                    diagnostic.primary("drain timeout not set");
                    diagnostic.help(format!("set `{flag} N` below the grace period minus the preStop pause"));
                }
                continue;
            };
            if !timeout.is_default {
                continue;
            }
            let deadline = workload.effective_kill_deadline();
            let default = commands::default_drain_seconds(server).unwrap_or(0);
            let diagnostic = out.report(
                main.name_location,
                format!(
                    "{} runs with its default drain timeout {}s (no {flag}){}",
                    server.name(),
                    default,
                    if (default as f64) >= deadline.value {
                        format!(
                            ", not less than the {} of {}",
                            workload.platform.kill_deadline_name(),
                            drain::format_seconds(deadline.value)
                        )
                    } else {
                        String::new()
                    }
                ),
            );
            diagnostic.primary("drain timeout not set");
            diagnostic.help(format!(
                "set `{flag} N` explicitly, below the grace period minus the preStop pause"
            ));
        }
    }
}
