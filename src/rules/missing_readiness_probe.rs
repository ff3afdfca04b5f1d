//! SL201 missing-readiness-probe: a Kubernetes container that serves traffic has no
//! `readinessProbe`, so it receives requests before it is ready and while it shuts down.

use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        for process in &workload.processes {
            let Some(container) = &process.container else {
                continue;
            };
            if container.readiness.is_some() || !workload.serves(process) {
                continue;
            }
            let diagnostic = out.report(
                container.location,
                format!(
                    "container `{}` of {} serves traffic but has no readinessProbe: it gets requests before it is ready, and Kubernetes cannot take it out of the Service while it shuts down",
                    process.name, workload.name
                ),
            );
            diagnostic.primary("no readinessProbe");
            if let Some((location, why)) = workload.serving_reason(process) {
                diagnostic.label(location, why);
            }
            diagnostic.help("add a readinessProbe that checks the app itself (e.g. httpGet on /ready) and fails as soon as shutdown starts");
        }
    }
}
