//! SL202 missing-prestop-hook: a serving Kubernetes container has no `lifecycle.preStop`, so
//! SIGTERM arrives while the endpoint is still being removed from load balancers.

use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        for process in &workload.processes {
            let Some(container) = &process.container else {
                continue;
            };
            if process.pre_stop.is_some() || !workload.serves(process) {
                continue;
            }
            let diagnostic = out.report(
                container.location,
                format!(
                    "container `{}` of {} serves traffic but has no preStop hook: SIGTERM arrives while the pod is still being removed from Service endpoints, so new requests keep coming to a process that is shutting down",
                    process.name, workload.name
                ),
            );
            diagnostic.primary("no lifecycle.preStop");
            if let Some((location, why)) = workload.serving_reason(process) {
                diagnostic.label(location, why);
            }
            diagnostic.help("pause before the signal so endpoint removal propagates: `lifecycle: {preStop: {sleep: {seconds: 5}}}` (Kubernetes 1.30+) or an exec hook running `sleep 5`");
        }
    }
}
