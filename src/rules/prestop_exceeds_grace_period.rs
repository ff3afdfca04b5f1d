//! SL302 prestop-exceeds-grace-period: the preStop delay alone uses up the grace period, so
//! SIGTERM arrives with no time left and SIGKILL follows at once.

use crate::drain::format_seconds;
use crate::model::Platform;
use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        if workload.platform != Platform::Kubernetes {
            continue;
        }
        let deadline = workload.effective_kill_deadline();
        for process in &workload.processes {
            let Some(pre_stop) = &process.pre_stop else {
                continue;
            };
            let Some(delay) = &pre_stop.delay else {
                continue;
            };
            if delay.value < deadline.value {
                continue;
            }
            let location = delay.location.unwrap_or(pre_stop.location);
            let default = if deadline.location.is_none() { " (default)" } else { "" };
            let diagnostic = out.report(
                location,
                format!(
                    "preStop of container `{}` pauses {}, which is not less than terminationGracePeriodSeconds {}{default}: SIGTERM arrives with no time left and SIGKILL follows at once",
                    process.name,
                    format_seconds(delay.value),
                    format_seconds(deadline.value)
                ),
            );
            diagnostic.primary(format!("preStop sleeps {} here", format_seconds(delay.value)));
            if let Some(l) = deadline.location {
                diagnostic.label(l, "grace period set here");
            }
            diagnostic.help(format!(
                "keep the preStop pause short (5–10s) and set terminationGracePeriodSeconds above pause + drain time (e.g. {})",
                format_seconds(delay.value + 30.0)
            ));
        }
    }
}
