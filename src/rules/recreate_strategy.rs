//! SL501 recreate-strategy: a serving Deployment uses `strategy.type: Recreate`: every pod stops
//! before a new one starts, so each rollout is an outage.

use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        let Some(kube) = &workload.kubernetes else {
            continue;
        };
        if kube.kind != "Deployment" {
            continue;
        }
        let Some(strategy) = &kube.strategy_type else {
            continue;
        };
        if strategy.value != "Recreate" || !workload.processes.iter().any(|p| workload.serves(p)) {
            continue;
        }
        let Some(location) = strategy.location else {
            continue;
        };
        let diagnostic = out.report(
            location,
            format!(
                "{} serves traffic but uses the Recreate strategy: every pod is stopped before any new one starts, so each rollout is downtime",
                workload.name
            ),
        );
        diagnostic.primary("Recreate");
        diagnostic.help("use RollingUpdate (the default) with maxUnavailable: 0; keep Recreate only when two versions must never run at once, and schedule that downtime");
    }
}
