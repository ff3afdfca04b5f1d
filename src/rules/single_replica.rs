//! SL503 single-replica: a serving Deployment/StatefulSet (or Argo Rollout) runs one replica and
//! no autoscaler in the scan keeps at least two: any voluntary disruption (node drain, eviction,
//! and for StatefulSets every rollout) is downtime.
//!
//! Also holds the helpers SL501-SL503 share: which workloads serve clients and which
//! HorizontalPodAutoscalers own their replica count.

use std::collections::HashMap;

use crate::diagnostic::Location;
use crate::model::{Autoscaler, KubeWorkload, Model, Workload};
use crate::rules::{Reporter, RuleContext};

/// Port names that only carry metrics scraping or health checks, not client traffic.
fn is_metrics_port(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("metric")
        || name.starts_with("prom")
        || name.starts_with("health")
        || name.starts_with("probe")
        || name == "pprof"
}

/// Services that exist for Prometheus to scrape: `argocd-metrics`, `cert-rotator-metrics`,
/// `backup-operator-metrics-service` (the last word before an optional `service`/`svc`).
pub(crate) fn is_metrics_service(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let mut words: Vec<&str> = name.split(['-', '.', '_']).collect();
    if words.len() > 1 && matches!(words.last(), Some(&"service" | &"svc")) {
        words.pop();
    }
    words.len() > 1 && words.last() == Some(&"metrics")
}

/// Why the workload serves clients: a Service in the scan that selects its pod template, or a
/// port of a main container. A workload whose only evidence is metrics scraping (Services named
/// `…-metrics`, ports named `metrics`, `http-metrics`, `prometheus`, `healthz`) is a controller
/// or worker, not a server: `None`.
pub(crate) fn serving_evidence(model: &Model, workload: &Workload) -> Option<(Location, String)> {
    let kube = workload.kubernetes.as_ref()?;
    let serving: Vec<_> = workload
        .processes
        .iter()
        .filter(|p| workload.serves(p))
        .collect();
    if serving.is_empty() {
        return None;
    }
    for selected in &kube.selected_by {
        let name = model.service_at(selected).map(|s| s.name.as_str());
        match name {
            Some(name) if is_metrics_service(name) => {}
            Some(name) => {
                return Some((
                    *selected,
                    format!("Service `{name}` selects this pod template"),
                ));
            }
            None => return Some((*selected, "a Service selects this pod template".into())),
        }
    }
    serving
        .iter()
        .filter_map(|p| p.container.as_ref())
        .flat_map(|c| &c.ports)
        .find(|(_, name)| name.as_deref().is_none_or(|n| !is_metrics_port(n)))
        .and_then(|(port, _)| {
            Some((
                port.location?,
                format!("serves traffic on port {}", port.value),
            ))
        })
}

/// A HorizontalPodAutoscaler in the scan that scales a workload (same kind and name, same
/// namespace when both say), and whether it sits beside the workload (same file or directory).
/// A distant one may belong to another app of the same name (test data, another overlay), so
/// it is trusted to prove enough replicas but not to lower the count.
pub(crate) struct Scaler<'m> {
    pub hpa: &'m Autoscaler,
    pub near: bool,
}

/// The HorizontalPodAutoscalers of the scan by target `(kind, name)`, built once per rule run
/// so that finding a workload's autoscalers does not scan all of them.
pub(crate) struct Autoscalers<'m> {
    by_target: HashMap<(&'m str, &'m str), Vec<&'m Autoscaler>>,
}

impl<'m> Autoscalers<'m> {
    pub fn new(model: &'m Model) -> Self {
        let mut by_target: HashMap<(&str, &str), Vec<&Autoscaler>> = HashMap::new();
        for hpa in &model.autoscalers {
            by_target
                .entry((hpa.target_kind.as_str(), hpa.target_name.as_str()))
                .or_default()
                .push(hpa);
        }
        Autoscalers { by_target }
    }

    /// The autoscalers that target the workload (same namespace when both say one).
    pub fn of(
        &self,
        cx: &RuleContext<'m>,
        workload: &Workload,
        kube: &KubeWorkload,
    ) -> Vec<Scaler<'m>> {
        let directory = |file| std::path::Path::new(cx.files.path(file)).parent();
        let here = directory(workload.location.file);
        self.by_target
            .get(&(kube.kind.as_str(), kube.name.as_str()))
            .into_iter()
            .flatten()
            .filter(|hpa| match (&hpa.namespace, &kube.namespace) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            })
            .map(|&hpa| Scaler {
                hpa,
                near: hpa.location.file == workload.location.file
                    || directory(hpa.location.file) == here,
            })
            .collect()
    }
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    let scalers = Autoscalers::new(cx.model);
    for workload in cx.workloads {
        let Some(kube) = &workload.kubernetes else {
            continue;
        };
        if !matches!(kube.kind.as_str(), "Deployment" | "StatefulSet" | "Rollout") {
            continue;
        }
        let replicas = kube.replicas.as_ref();
        // `replicas: 0` is scaled to zero on purpose (and an HPA does not scale it back up).
        if replicas.is_some_and(|r| r.value < 1) {
            continue;
        }
        let Some((evidence, why)) = serving_evidence(cx.model, workload) else {
            continue;
        };
        let autoscalers = scalers.of(cx, workload, kube);
        if autoscalers.iter().any(|s| s.hpa.min_replicas.value >= 2) {
            continue;
        }
        // What the disruption does: a Deployment or Rollout surges a replacement during a rollout,
        // a StatefulSet replaces its pod in place.
        let disruptions = if kube.kind == "StatefulSet" {
            "every rollout, node drain or eviction stops the only pod before its replacement is ready"
        } else {
            "a node drain or eviction stops the only pod before its replacement is ready"
        };
        let hpa = autoscalers.iter().find(|s| s.near).map(|s| s.hpa);
        let (location, message, primary) = if let Some(hpa) = hpa {
            // The autoscaler owns the replica count: `replicas` only matters until it acts.
            let min = if hpa.min_replicas.location.is_some() {
                format!("minReplicas: {}", hpa.min_replicas.value)
            } else {
                "minReplicas unset (1)".to_string()
            };
            (
                workload.location,
                format!(
                    "{} serves traffic but its HorizontalPodAutoscaler has {min}: when it scales down to one pod, {disruptions}",
                    workload.name
                ),
                "can run a single pod",
            )
        } else if replicas.is_some_and(|r| r.value > 1) {
            continue;
        } else {
            let count = if replicas.is_some_and(|r| r.location.is_some()) {
                "a single replica"
            } else {
                "one replica (replicas is unset)"
            };
            (
                replicas
                    .and_then(|r| r.location)
                    .unwrap_or(workload.location),
                format!(
                    "{} serves traffic with {count}: {disruptions}",
                    workload.name
                ),
                "one replica",
            )
        };
        let diagnostic = out.report(location, message);
        diagnostic.primary(primary);
        if evidence != location {
            diagnostic.label(evidence, why);
        }
        match hpa {
            None => {
                diagnostic.help("run at least 2 replicas (or add an HPA with minReplicas: 2) and a PodDisruptionBudget with maxUnavailable: 1, so drains keep one pod serving");
            }
            Some(hpa) => {
                diagnostic.label(
                    hpa.min_replicas.location.unwrap_or(hpa.location),
                    "the autoscaler may scale it down to a single pod",
                );
                diagnostic.help("set the HPA's minReplicas: 2 and add a PodDisruptionBudget with maxUnavailable: 1, so drains keep one pod serving");
            }
        }
    }
}
