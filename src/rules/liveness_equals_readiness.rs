//! SL402 liveness-equals-readiness: a container's liveness and readiness probes are identical,
//! so a readiness failure (during shutdown, or a dependency blip) also kills the pod.

use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        for process in &workload.processes {
            let Some(container) = &process.container else {
                continue;
            };
            let (Some(liveness), Some(readiness)) = (&container.liveness, &container.readiness) else {
                continue;
            };
            if liveness.fingerprint != readiness.fingerprint {
                continue;
            }
            let diagnostic = out.report(
                liveness.location,
                format!(
                    "the liveness and readiness probes of container `{}` are identical: whenever the pod stops being ready (while it drains, or when a dependency blips) it also fails liveness and is restarted",
                    process.name
                ),
            );
            diagnostic.primary("same check as the readinessProbe");
            diagnostic.label(readiness.location, "readiness probe");
            diagnostic.help("give liveness its own cheap endpoint that only fails when the process is stuck (e.g. /livez), or at least a much higher failureThreshold");
        }
    }
}
