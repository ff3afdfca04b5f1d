//! SL403 liveness-without-readiness: a container has a liveness probe but no readiness probe.
//! (A container that serves traffic without one is SL201's finding instead.)

use crate::model::ProcessRole;
use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        if workload.kubernetes.as_ref().is_none_or(|k| k.is_batch()) {
            continue;
        }
        for process in &workload.processes {
            let Some(container) = &process.container else {
                continue;
            };
            if process.role != ProcessRole::Main || container.readiness.is_some() || workload.serves(process) {
                continue;
            }
            let Some(liveness) = &container.liveness else {
                continue;
            };
            let diagnostic = out.report(
                liveness.location,
                format!(
                    "container `{}` has a livenessProbe but no readinessProbe: its status is never withdrawn before a restart or while it shuts down",
                    process.name
                ),
            );
            diagnostic.primary("liveness without readiness");
            diagnostic.help("add a readinessProbe (it may check more than liveness does)");
        }
    }
}
