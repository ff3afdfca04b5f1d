//! SL501 recreate-strategy: a serving Deployment uses `strategy.type: Recreate`: every pod stops
//! before a new one starts, so each rollout is an outage.

use crate::rules::single_replica::serving_evidence;
use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
        let Some(kube) = &workload.kubernetes else {
            continue;
        };
        if kube.kind != "Deployment" {
            continue;
        }
        let Some(strategy) = &kube.strategy_type else {
            continue;
        };
        if strategy.value != "Recreate" {
            continue;
        }
        // Scaled to zero: there is nothing to take down.
        if kube.replicas.as_ref().is_some_and(|r| r.value < 1) {
            continue;
        }
        let Some((evidence, why)) = serving_evidence(cx.model, workload) else {
            continue;
        };
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
        diagnostic.primary("all old pods stop first");
        diagnostic.label(evidence, why);
        diagnostic.help("use RollingUpdate (the default) with maxSurge: 1 and maxUnavailable: 0; keep Recreate only when two versions must never run at once or the pod mounts a ReadWriteOnce volume, and schedule that downtime");
    }
}
