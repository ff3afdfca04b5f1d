//! SL502 rollout-capacity-gap: the rolling update can leave no ready pod: maxUnavailable
//! resolves to the whole replica count, or `maxSurge: 0` with one replica.
//!
//! Percentages resolve as Kubernetes does: maxSurge rounds up, maxUnavailable rounds down
//! (Deployments and Argo Rollouts; defaults 25%/25%). When both resolve to 0 the controller uses
//! maxUnavailable 1.

use crate::model::{Fact, IntOrPercent};
use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        let Some(kube) = &workload.kubernetes else {
            continue;
        };
        if !matches!(kube.kind.as_str(), "Deployment" | "Rollout") {
            continue;
        }
        if kube
            .strategy_type
            .as_ref()
            .is_some_and(|s| s.value != "RollingUpdate")
        {
            continue;
        }
        let replicas = kube.replicas.clone().unwrap_or_else(|| Fact::default_value(1));
        if replicas.value < 1 {
            continue;
        }
        let surge = kube
            .max_surge
            .as_ref()
            .map_or(IntOrPercent::Percent(25.0), |f| f.value);
        let unavailable = kube
            .max_unavailable
            .as_ref()
            .map_or(IntOrPercent::Percent(25.0), |f| f.value);
        let surge_resolved = surge.resolve(replicas.value, true);
        let mut unavailable_resolved = unavailable.resolve(replicas.value, false);
        if surge_resolved == 0 && unavailable_resolved == 0 {
            unavailable_resolved = 1;
        }
        let replicas_text = if replicas.location.is_some() {
            format!("replicas: {}", replicas.value)
        } else {
            "1 replica (the default)".to_string()
        };
        let (location, message) = if unavailable_resolved >= replicas.value {
            let written = kube.max_unavailable.as_ref().and_then(|f| f.location);
            (
                written.or(replicas.location).unwrap_or(workload.location),
                format!(
                    "maxUnavailable resolves to {unavailable_resolved} with {replicas_text}: a rolling update may take down every ready pod of {} at once",
                    workload.name
                ),
            )
        } else if surge_resolved == 0 && replicas.value == 1 {
            let written = kube.max_surge.as_ref().and_then(|f| f.location);
            (
                written.or(replicas.location).unwrap_or(workload.location),
                format!(
                    "maxSurge: 0 with {replicas_text}: the old pod of {} must stop before the new one starts, leaving no ready pod",
                    workload.name
                ),
            )
        } else {
            continue;
        };
        let diagnostic = out.report(location, message);
        diagnostic.primary("no ready pod during the rollout");
        if let Some(l) = replicas.location.filter(|l| *l != location) {
            diagnostic.label(l, "replica count");
        }
        diagnostic.help("allow a surge and keep capacity: maxSurge: 1 (or 25%) and maxUnavailable: 0");
    }
}
