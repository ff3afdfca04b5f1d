//! SL302 prestop-exceeds-grace-period: the preStop delay alone uses up the grace period, so
//! SIGTERM arrives with no time left and SIGKILL follows at once.

use crate::drain::{self, format_seconds, Drain};
use crate::model::Platform;
use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
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
            if delay.value <= 0.0 || delay.value < deadline.value {
                continue;
            }
            let location = delay.location.unwrap_or(pre_stop.location);
            let default = if deadline.location.is_none() {
                " (default)"
            } else {
                ""
            };
            let message = if deadline.value <= 0.0 {
                format!(
                    "terminationGracePeriodSeconds is 0: the pod gets no time to stop, so the preStop pause of {} in container `{}` cannot happen before SIGKILL",
                    format_seconds(delay.value),
                    process.name
                )
            } else {
                format!(
                    "preStop of container `{}` pauses {}, which is not less than terminationGracePeriodSeconds {}{default}: SIGTERM arrives with no time left and SIGKILL follows at once",
                    process.name,
                    format_seconds(delay.value),
                    format_seconds(deadline.value)
                )
            };
            let diagnostic = out.report(location, message);
            diagnostic.footer(format!(
                "timeline: {}",
                crate::timeline::text::compact(&crate::timeline::lane(
                    workload, process, cx.config
                ))
            ));
            diagnostic.primary(format!(
                "preStop sleeps {} here",
                format_seconds(delay.value)
            ));
            if let Some(l) = deadline.location {
                diagnostic.label(l, "grace period set here");
            }
            // With a known drain timeout, the example covers pause + drain; else a 30s drain.
            let drain = match drain::drain_timeout(workload, process, cx.config) {
                Drain::Known(t) => Some(t),
                _ => None,
            };
            let help = match &drain {
                _ if delay.value.is_infinite() => "a preStop that never ends uses up every grace period, so SIGTERM reaches the app only just before SIGKILL: pause a fixed 5–10s instead".to_string(),
                Some(t) => format!(
                    "keep the preStop pause short (5–10s) and set terminationGracePeriodSeconds above pause + {} (e.g. {})",
                    t.description,
                    format_seconds((delay.value + t.seconds + 5.0).ceil())
                ),
                None => format!(
                    "keep the preStop pause short (5–10s) and set terminationGracePeriodSeconds above the pause plus the app's drain time (e.g. {} for a 30s drain)",
                    format_seconds((delay.value + 35.0).ceil())
                ),
            };
            diagnostic.help(help);
        }
    }
}
