//! SL301 grace-period-shorter-than-drain: the platform kills the process (SIGKILL) before the
//! drain window ends: preStop delay + the app's drain timeout ≥ the kill deadline.

use crate::drain::{self, Drain};
use crate::model::Platform;
use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        if workload.platform != Platform::Kubernetes {
            continue;
        }
        let deadline = workload.effective_kill_deadline();
        let deadline_name = workload.platform.kill_deadline_name();
        for process in &workload.processes {
            if process.role == crate::model::ProcessRole::Init {
                continue;
            }
            let Drain::Known(timeout) = drain::drain_timeout(workload, process, cx.config) else {
                continue;
            };
            let pre_stop = process.pre_stop.as_ref().and_then(|p| p.delay.clone());
            // A server's default alone against the default grace period is SL303's finding; a
            // default counts here when a written preStop pause adds to it.
            if timeout.is_default && pre_stop.is_none() {
                continue;
            }
            let pre_stop_seconds = pre_stop.as_ref().map_or(0.0, |p| p.value);
            let window = pre_stop_seconds + timeout.seconds;
            if deadline.value > window {
                continue;
            }
            let mut terms = Vec::new();
            if let Some(p) = &pre_stop {
                terms.push(format!("preStop {}", drain::format_seconds(p.value)));
            }
            terms.push(timeout.description.clone());
            let sum = if terms.len() > 1 {
                format!("{} = {}", terms.join(" + "), drain::format_seconds(window))
            } else {
                terms.join("")
            };
            let relation = if window > deadline.value { ">" } else { "=" };
            let deadline_text = format!(
                "{deadline_name} {}{}",
                drain::format_seconds(deadline.value),
                if deadline.location.is_none() { " (default)" } else { "" }
            );
            let location = deadline
                .location
                .or_else(|| process.container.as_ref().map(|c| c.location))
                .or(timeout.location)
                .unwrap_or(workload.location);
            let diagnostic = out.report(
                location,
                format!(
                    "{sum} {relation} {deadline_text}: container `{}` is killed (SIGKILL) before it finishes draining",
                    process.name
                ),
            );
            diagnostic.primary(if deadline.location.is_some() {
                "grace period set here".to_string()
            } else {
                format!("{deadline_name} is not set: {}", drain::format_seconds(deadline.value))
            });
            if let Some(p) = &pre_stop {
                if let Some(l) = p.location {
                    diagnostic.label(l, format!("preStop sleeps {} here", drain::format_seconds(p.value)));
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
            diagnostic.help(format!(
                "make {deadline_name} longer than the whole drain window (e.g. {}), or shorten the drain timeout",
                drain::format_seconds((window + 5.0).ceil())
            ));
        }
    }
}
