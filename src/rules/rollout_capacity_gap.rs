//! SL502 rollout-capacity-gap: the rolling update of a serving workload can leave no ready pod:
//! maxUnavailable resolves to the whole replica count, or `maxSurge: 0` with one replica.
//!
//! Percentages resolve as the controllers do: for Deployments and Argo Rollouts (canary) maxSurge
//! rounds up and maxUnavailable down (defaults 25%/25%), and when both resolve to 0 the
//! controller uses maxUnavailable 1. A StatefulSet has no surge; its
//! `updateStrategy.rollingUpdate.maxUnavailable` rounds up and defaults to 1. When an HPA in the
//! scan scales the workload, its `minReplicas` is the replica count the rollout may start from.

use crate::diagnostic::Location;
use crate::model::{Fact, IntOrPercent};
use crate::rules::single_replica::{serving_evidence, Autoscalers};
use crate::rules::{Reporter, RuleContext};

fn written(value: IntOrPercent) -> String {
    match value {
        IntOrPercent::Int(n) => n.to_string(),
        IntOrPercent::Percent(p) => format!("{p}%"),
    }
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    let autoscalers = Autoscalers::new(cx.model, cx.files);
    for workload in cx.workloads {
        let Some(kube) = &workload.kubernetes else {
            continue;
        };
        let stateful = match kube.kind.as_str() {
            "Deployment" | "Rollout" => false,
            "StatefulSet" => true,
            _ => continue,
        };
        // Recreate (SL501) and OnDelete do not roll.
        if kube
            .strategy_type
            .as_ref()
            .is_some_and(|s| s.value != "RollingUpdate")
        {
            continue;
        }
        let written_replicas = kube.replicas.clone();
        // `replicas: 0`: scaled to zero, nothing to keep serving (an HPA does not act either).
        if written_replicas.as_ref().is_some_and(|r| r.value < 1) {
            continue;
        }
        let Some((evidence, why)) = serving_evidence(cx.model, workload) else {
            continue;
        };
        // An autoscaler beside the workload owns the count: the rollout may start from its
        // minReplicas. One elsewhere in the scan may only raise the count (it may scale another
        // app of the same name).
        let scalers = autoscalers.of(cx.files, workload, kube);
        let written_count = written_replicas.as_ref().map_or(1, |r| r.value);
        let hpa = scalers.lowest_near.or_else(|| {
            scalers
                .highest
                .filter(|hpa| hpa.min_replicas.value > written_count)
        });
        // A minimum that cannot be read: how many pods the rollout starts from is not known.
        if hpa.is_some_and(|hpa| hpa.min_unknown) {
            continue;
        }
        let (replicas, replicas_text, replicas_at): (i64, String, Option<Location>) = match hpa {
            Some(hpa) => (
                hpa.min_replicas.value,
                if hpa.keda {
                    format!("the {}'s {}", hpa.names().0, hpa.min_text())
                } else {
                    format!(
                        "the HorizontalPodAutoscaler's minReplicas {}{}",
                        hpa.min_replicas.value,
                        if hpa.min_replicas.location.is_some() {
                            ""
                        } else {
                            " (the default)"
                        }
                    )
                },
                Some(hpa.min_replicas.location.unwrap_or(hpa.location)),
            ),
            None => {
                let replicas = written_replicas.unwrap_or_else(|| Fact::default_value(1));
                let text = if replicas.location.is_some() {
                    format!("replicas: {}", replicas.value)
                } else {
                    "1 replica (replicas is unset)".to_string()
                };
                (replicas.value, text, replicas.location)
            }
        };
        if replicas < 1 {
            continue;
        }
        let unavailable_fact = kube.max_unavailable.as_ref();
        let (location, message, help) = if stateful {
            // One replica is always replaced in place: that is SL503's finding, not a setting.
            let Some(unavailable) = unavailable_fact else {
                continue;
            };
            let resolved = unavailable.value.resolve(replicas, true);
            if replicas < 2 || resolved < replicas {
                continue;
            }
            let rounded = match unavailable.value {
                IntOrPercent::Percent(_) => format!(" (rounds up to {resolved})"),
                IntOrPercent::Int(_) => String::new(),
            };
            (
                unavailable.location.unwrap_or(workload.location),
                format!(
                    "maxUnavailable: {}{rounded} with {replicas_text}: the StatefulSet controller may restart all {replicas} pods of {} at once (honoured from Kubernetes 1.35, or with the MaxUnavailableStatefulSet feature gate)",
                    written(unavailable.value),
                    workload.name
                ),
                "lower maxUnavailable below the replica count (the default 1 replaces one pod at a time)",
            )
        } else {
            let surge = kube
                .max_surge
                .as_ref()
                .map_or(IntOrPercent::Percent(25.0), |f| f.value);
            let unavailable = unavailable_fact.map_or(IntOrPercent::Percent(25.0), |f| f.value);
            let surge_resolved = surge.resolve(replicas, true);
            let unavailable_resolved = unavailable.resolve(replicas, false);
            if surge_resolved == 0 && unavailable_resolved == 0 {
                // The controller bumps maxUnavailable to 1: with one replica the only pod goes
                // first. maxSurge is written here (the default 25% never rounds up to 0).
                if replicas > 1 {
                    continue;
                }
                let unavailable_text = match unavailable_fact {
                    Some(f) => format!("maxUnavailable: {}", written(f.value)),
                    None => "maxUnavailable (25% by default)".into(),
                };
                let surge_at = kube.max_surge.as_ref().and_then(|f| f.location);
                (
                    surge_at.unwrap_or(workload.location),
                    format!(
                        "maxSurge: {} with {replicas_text}: {unavailable_text} rounds down to 0, so the controller uses maxUnavailable 1 and stops the only pod of {} before its replacement is ready",
                        written(surge),
                        workload.name
                    ),
                    "let the rollout start the new pod first: maxSurge: 1 and maxUnavailable: 0",
                )
            } else if unavailable_resolved >= replicas {
                let Some(written_at) = unavailable_fact.and_then(|f| f.location) else {
                    continue;
                };
                let resolves = match unavailable {
                    IntOrPercent::Percent(_) => format!(" (resolves to {unavailable_resolved})"),
                    IntOrPercent::Int(_) => String::new(),
                };
                (
                    written_at,
                    format!(
                        "maxUnavailable: {}{resolves} with {replicas_text}: the rolling update may stop every ready pod of {} before a replacement is ready",
                        written(unavailable),
                        workload.name
                    ),
                    "keep capacity during the rollout: maxUnavailable: 0 with maxSurge: 1 (or 25%)",
                )
            } else {
                continue;
            }
        };
        let diagnostic = out.report(location, message);
        diagnostic.primary("no ready pod during the rollout");
        if let Some(at) = replicas_at.filter(|l| *l != location) {
            diagnostic.label(
                at,
                if hpa.is_some() {
                    "minimum replica count"
                } else {
                    "replica count"
                },
            );
        }
        if evidence != location {
            diagnostic.label(evidence, why);
        }
        diagnostic.help(help);
    }
}
