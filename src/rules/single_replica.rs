//! SL503 single-replica: a serving Deployment/StatefulSet (or Argo Rollout) runs one replica and
//! no autoscaler in the scan keeps at least two: any voluntary disruption (node drain, eviction,
//! and for StatefulSets every rollout) is downtime.
//!
//! Also holds the helpers SL501-SL503 share: which workloads serve clients and which
//! HorizontalPodAutoscalers own their replica count.

use std::collections::HashMap;
use std::path::Path;

use crate::diagnostic::Location;
use crate::model::{Autoscaler, KubeWorkload, Model, Workload};
use crate::rules::{Reporter, RuleContext};
use crate::source::{FileId, Files};

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

/// What the HorizontalPodAutoscalers in the scan that scale a workload (same kind and name, same
/// namespace when both say) say about its replicas. One beside the workload (same file or
/// directory) owns its count; a distant one may belong to another app of the same name (test
/// data, another overlay), so it is trusted to prove enough replicas but not to lower the count.
#[derive(Default)]
pub(crate) struct Scalers<'m> {
    /// The first beside the workload.
    pub first_near: Option<&'m Autoscaler>,
    /// The first beside the workload of those with the lowest `minReplicas`.
    pub lowest_near: Option<&'m Autoscaler>,
    /// The last of all of those with the highest `minReplicas`.
    pub highest: Option<&'m Autoscaler>,
}

/// The autoscalers of a target in one namespace (or in any), or in one directory too:
/// indexes into the model's autoscalers.
#[derive(Clone, Copy)]
struct Summary {
    first: usize,
    /// (`minReplicas`, index) of the first with the lowest.
    lowest: (i64, usize),
    /// (`minReplicas`, index) of the last with the highest.
    highest: (i64, usize),
}

impl Summary {
    fn one(index: usize, min_replicas: i64) -> Self {
        Summary {
            first: index,
            lowest: (min_replicas, index),
            highest: (min_replicas, index),
        }
    }

    /// Both, for two summaries of different autoscalers.
    fn join(self, other: Summary) -> Summary {
        Summary {
            first: self.first.min(other.first),
            lowest: self.lowest.min(other.lowest),
            highest: self.highest.max(other.highest),
        }
    }
}

/// Which namespaces of autoscalers a summary is about: one (`None`: written without one), or
/// any.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Namespaces<'m> {
    Any,
    One(Option<&'m str>),
}

/// The HorizontalPodAutoscalers of the scan summed up by target `(kind, name)` and namespace,
/// and by directory too, built once per rule run so that what a workload's autoscalers say is
/// looked up, not worked out from all of them (thousands of copies of one app have thousands
/// of autoscalers of the same target).
pub(crate) struct Autoscalers<'m> {
    all: &'m [Autoscaler],
    by_target: HashMap<(&'m str, &'m str, Namespaces<'m>), Summary>,
    beside: HashMap<(&'m str, &'m str, Namespaces<'m>, Option<&'m Path>), Summary>,
}

/// The directory of a file (of its displayed path).
fn directory(files: &Files, file: FileId) -> Option<&Path> {
    Path::new(files.path(file)).parent()
}

impl<'m> Autoscalers<'m> {
    pub fn new(model: &'m Model, files: &'m Files) -> Self {
        let mut by_target: HashMap<_, Summary> = HashMap::new();
        let mut beside: HashMap<_, Summary> = HashMap::new();
        for (i, hpa) in model.autoscalers.iter().enumerate() {
            let (kind, name) = (hpa.target_kind.as_str(), hpa.target_name.as_str());
            let summary = Summary::one(i, hpa.min_replicas.value);
            let here = directory(files, hpa.location.file);
            for namespaces in [Namespaces::Any, Namespaces::One(hpa.namespace.as_deref())] {
                by_target
                    .entry((kind, name, namespaces))
                    .and_modify(|s| *s = s.join(summary))
                    .or_insert(summary);
                beside
                    .entry((kind, name, namespaces, here))
                    .and_modify(|s| *s = s.join(summary))
                    .or_insert(summary);
            }
        }
        Autoscalers {
            all: &model.autoscalers,
            by_target,
            beside,
        }
    }

    /// What the autoscalers that target the workload (same namespace when both say one) say.
    pub fn of(&self, files: &Files, workload: &Workload, kube: &KubeWorkload) -> Scalers<'m> {
        let (kind, name) = (kube.kind.as_str(), kube.name.as_str());
        // A workload without a namespace is scaled by autoscalers of any; one with a namespace
        // by those of the same or of none.
        let namespaces = match kube.namespace.as_deref() {
            None => [Some(Namespaces::Any), None],
            Some(namespace) => [
                Some(Namespaces::One(None)),
                Some(Namespaces::One(Some(namespace))),
            ],
        };
        let joined = |get: &dyn Fn(Namespaces<'_>) -> Option<Summary>| {
            namespaces
                .iter()
                .flatten()
                .filter_map(|&n| get(n))
                .reduce(Summary::join)
        };
        // A file is in its own directory: one in the same file is beside it too.
        let here = directory(files, workload.location.file);
        let everywhere = joined(&|n| self.by_target.get(&(kind, name, n)).copied());
        let near = joined(&|n| self.beside.get(&(kind, name, n, here)).copied());
        let at = |i: usize| self.all.get(i);
        Scalers {
            first_near: near.and_then(|s| at(s.first)),
            lowest_near: near.and_then(|s| at(s.lowest.1)),
            highest: everywhere.and_then(|s| at(s.highest.1)),
        }
    }
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    let scalers = Autoscalers::new(cx.model, cx.files);
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
        let autoscalers = scalers.of(cx.files, workload, kube);
        if autoscalers
            .highest
            .is_some_and(|hpa| hpa.min_replicas.value >= 2)
        {
            continue;
        }
        // What the disruption does: a Deployment or Rollout surges a replacement during a rollout,
        // a StatefulSet replaces its pod in place.
        let disruptions = if kube.kind == "StatefulSet" {
            "every rollout, node drain or eviction stops the only pod before its replacement is ready"
        } else {
            "a node drain or eviction stops the only pod before its replacement is ready"
        };
        let hpa = autoscalers.first_near;
        let (location, message, primary) = if let Some(hpa) = hpa {
            // The autoscaler owns the replica count: `replicas` only matters until it acts.
            let (kind, _) = hpa.names();
            let min = hpa.min_text();
            (
                workload.location,
                format!(
                    "{} serves traffic but its {kind} has {min}: when it scales down to one pod, {disruptions}",
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
                diagnostic.help(if hpa.keda {
                    "set the ScaledObject's minReplicaCount: 2 and add a PodDisruptionBudget with maxUnavailable: 1, so drains keep one pod serving"
                } else {
                    "set the HPA's minReplicas: 2 and add a PodDisruptionBudget with maxUnavailable: 1, so drains keep one pod serving"
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Fact;
    use crate::source::{FileKind, SourceFile};
    use crate::span::Span;
    use crate::test_rng::Rng;

    /// What the autoscalers of a workload say, worked out from every autoscaler of the scan.
    fn reference<'m>(
        model: &'m Model,
        files: &Files,
        workload: &Workload,
        kube: &KubeWorkload,
    ) -> Scalers<'m> {
        let here = directory(files, workload.location.file);
        let all: Vec<(&Autoscaler, bool)> = model
            .autoscalers
            .iter()
            .filter(|hpa| hpa.target_kind == kube.kind && hpa.target_name == kube.name)
            .filter(|hpa| match (&hpa.namespace, &kube.namespace) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            })
            .map(|hpa| {
                let near = hpa.location.file == workload.location.file
                    || directory(files, hpa.location.file) == here;
                (hpa, near)
            })
            .collect();
        let near = || all.iter().filter(|(_, near)| *near).map(|(hpa, _)| *hpa);
        Scalers {
            first_near: near().next(),
            lowest_near: near().min_by_key(|hpa| hpa.min_replicas.value),
            highest: all
                .iter()
                .map(|(hpa, _)| *hpa)
                .max_by_key(|hpa| hpa.min_replicas.value),
        }
    }

    /// Generated autoscalers of a few targets in a few namespaces and folders (copies of one
    /// target beside each other too): the summaries name the autoscalers a look at every one
    /// names (the first beside the workload, the first beside it with the lowest minReplicas,
    /// the last with the highest).
    #[test]
    fn autoscalers_of_a_workload_match_a_look_at_every_one() {
        let paths = ["x.yaml", "y.yaml", "a/x.yaml", "a/y.yaml", "a/b/x.yaml", "c/x.yaml", ""];
        let mut files = Files::default();
        for path in paths {
            files.push(SourceFile {
                path: path.to_string(),
                kind: FileKind::Yaml,
                text: std::sync::Arc::from(""),
            });
        }
        let kinds = ["Deployment", "StatefulSet"];
        let names = ["web", "api"];
        let namespaces = [None, Some("p"), Some("q")];
        let location = |rng: &mut Rng, at: usize| {
            Location::new(FileId(rng.below(paths.len()) as u32), Span::new(at, at + 1))
        };
        let mut rng = Rng(0xa075_ca1e_0000_0001);
        let mut found = [0usize; 3];
        for round in 0..300 {
            let mut model = Model::default();
            for at in 0..rng.below(30) {
                let min = rng.below(4) as i64;
                model.autoscalers.push(Autoscaler {
                    target_kind: kinds[rng.below(kinds.len())].to_string(),
                    target_name: names[rng.below(names.len())].to_string(),
                    namespace: namespaces[rng.below(namespaces.len())].map(str::to_string),
                    min_replicas: Fact::at(min, location(&mut rng, at)),
                    location: location(&mut rng, at),
                    keda: false,
                    min_unknown: false,
                });
            }
            let autoscalers = Autoscalers::new(&model, &files);
            for at in 0..20 {
                let workload = Workload::test_pod_template(
                    kinds[rng.below(kinds.len())],
                    names[rng.below(names.len())],
                    namespaces[rng.below(namespaces.len())],
                    &[],
                    location(&mut rng, at),
                );
                let Some(kube) = &workload.kubernetes else {
                    continue;
                };
                let ours = autoscalers.of(&files, &workload, kube);
                let theirs = reference(&model, &files, &workload, kube);
                let same = |a: Option<&Autoscaler>, b: Option<&Autoscaler>| match (a, b) {
                    (Some(a), Some(b)) => std::ptr::eq(a, b),
                    (a, b) => a.is_none() && b.is_none(),
                };
                let what = format!("round {round}: {kube:?}");
                assert!(same(ours.first_near, theirs.first_near), "{what}");
                assert!(same(ours.lowest_near, theirs.lowest_near), "{what}");
                assert!(same(ours.highest, theirs.highest), "{what}");
                for (count, hpa) in found
                    .iter_mut()
                    .zip([ours.first_near, ours.lowest_near, ours.highest])
                {
                    *count += usize::from(hpa.is_some());
                }
            }
        }
        assert!(found.iter().all(|&n| n > 500), "{found:?}");
    }
}
