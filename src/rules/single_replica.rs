//! SL503 single-replica: a serving Deployment/StatefulSet runs one replica and no autoscaler
//! in the scan keeps at least two: any voluntary disruption (node drain, rollout) is downtime.

use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        let Some(kube) = &workload.kubernetes else {
            continue;
        };
        if !matches!(kube.kind.as_str(), "Deployment" | "StatefulSet" | "Rollout") {
            continue;
        }
        if !workload.processes.iter().any(|p| workload.serves(p)) {
            continue;
        }
        let replicas = kube.replicas.as_ref();
        if replicas.is_some_and(|r| r.value != 1) {
            continue;
        }
        let scaled = cx.model.autoscalers.iter().any(|hpa| {
            hpa.target_kind == kube.kind
                && hpa.target_name == kube.name
                && match (&hpa.namespace, &kube.namespace) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                }
                && hpa.min_replicas.value >= 2
        });
        if scaled {
            continue;
        }
        let location = replicas.and_then(|r| r.location).unwrap_or(workload.location);
        let diagnostic = out.report(
            location,
            format!(
                "{} serves traffic with {}: a node drain, eviction or rollout leaves no pod to take requests",
                workload.name,
                if replicas.is_some() { "a single replica" } else { "one replica (replicas is unset)" }
            ),
        );
        diagnostic.primary("one replica");
        diagnostic.help("run at least 2 replicas (or an HPA with minReplicas: 2) and add a PodDisruptionBudget");
    }
}
