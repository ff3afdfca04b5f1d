//! SL403 liveness-without-readiness: a container has a liveness probe but no readiness probe.
//! (A container that serves traffic without one is SL201's finding instead.)

use crate::model::{ProbeHandler, ProcessRole};
use crate::rules::missing_readiness_probe::{is_istio_sidecar_stub, serving};
use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
        if workload.kubernetes.as_ref().is_none_or(|k| k.is_batch()) {
            continue;
        }
        // The pod is Ready only when all its containers are: one readinessProbe in the pod
        // already lets Kubernetes withdraw it. A pod with a serving container is SL201's.
        let pod_has_readiness_or_serves = workload.processes.iter().any(|p| {
            p.role == ProcessRole::Main
                && (p.container.as_ref().is_some_and(|c| c.readiness.is_some())
                    || serving(cx.model, workload, p).is_some())
        });
        if pod_has_readiness_or_serves {
            continue;
        }
        for process in &workload.processes {
            let Some(container) = &process.container else {
                continue;
            };
            if process.role != ProcessRole::Main || is_istio_sidecar_stub(process) {
                continue;
            }
            // A probe without a handler is rejected by the API server: nothing runs it.
            let Some(liveness) = container
                .liveness
                .as_ref()
                .filter(|l| l.handler != ProbeHandler::Unknown)
            else {
                continue;
            };
            let diagnostic = out.report(
                liveness.location,
                format!(
                    "container `{}` of {} has a livenessProbe but no readinessProbe: its pod is Ready as soon as it starts and stays Ready while the liveness checks fail, so rollouts move on and PodDisruptionBudgets allow evictions before it is known to work",
                    process.name, workload.name
                ),
            );
            diagnostic.primary("liveness without readiness");
            diagnostic.label(
                container.location,
                "no readinessProbe in this container or its pod",
            );
            diagnostic.help("add a readinessProbe that tells when the process can do its work (it may check more than the livenessProbe does, and should not be identical to it)");
        }
    }
}
