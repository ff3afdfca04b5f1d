//! SL201 missing-readiness-probe: a Kubernetes container that serves traffic has no
//! `readinessProbe`, so it is Ready (and gets requests) from the moment its process starts.
//!
//! Also home of [`serving`], the "which container serves" test that SL202 and SL403 share.

use crate::diagnostic::Location;
use crate::model::{Model, Process, Workload};
use crate::rules::{Reporter, RuleContext};

/// Why a container serves traffic, as a label (location, text); `None` when it does not.
///
/// On top of [`Workload::serves`] (main containers of non-batch workloads that declare ports or
/// whose pod template a Service selects):
/// - Istio's `istio-proxy` container (image `auto` or `proxyv2`) is a stub that the injection
///   webhook merges into the injected sidecar, which brings its own probes and drain: skipped.
/// - A container without ports serves through a selecting Service only when no other main
///   container of the pod declares ports: the ports say which container the Service reaches, so a
///   port-less helper beside the server (a config reloader) is not serving.
pub(crate) fn serving(
    model: &Model,
    workload: &Workload,
    process: &Process,
) -> Option<(Location, String)> {
    if !workload.serves(process) || is_istio_sidecar_stub(process) {
        return None;
    }
    let container = process.container.as_ref()?;
    let selected_by = workload
        .kubernetes
        .as_ref()
        .map_or(&[][..], |k| k.selected_by.as_slice());
    let service_label = |location: &Location| {
        let name = model
            .service_at(location)
            .map(|s| format!("Service `{}`", s.name))
            .unwrap_or_else(|| "a Service".to_string());
        (
            *location,
            format!("{name} selects this pod template, so it sends traffic here"),
        )
    };
    // A port-less container beside one that declares ports does not serve (it declares none,
    // so "another" is "any"; worked out once per pod).
    if container.ports.is_empty() && workload.pod_declares_ports() {
        return None;
    }
    // A Service in the container's own file is the most telling reason, then its own port.
    if let Some(service) = selected_by
        .iter()
        .find(|l| l.file == container.location.file)
    {
        return Some(service_label(service));
    }
    if let Some((port, _)) = container.ports.first() {
        if let Some(location) = port.location {
            return Some((location, format!("declares containerPort {}", port.value)));
        }
    }
    selected_by.first().map(service_label)
}

/// Istio's `istio-proxy` as written in a manifest before injection: `image: auto` (gateway
/// injection), Istio's `proxyv2` image, or a partial container without a readinessProbe. The
/// injection webhook merges it into the full sidecar, which brings its own readiness probe and
/// drain (`terminationDrainDuration`). ztunnel and hand-written gateways, which use the name with
/// their own image and probes, are real containers.
pub(crate) fn is_istio_sidecar_stub(process: &Process) -> bool {
    process.is_istio_sidecar_stub()
}

/// Images of reverse proxies that start in milliseconds and answer nothing of their own:
/// nginx (and its unprivileged, Bitnami and OpenResty builds), Envoy, HAProxy, Caddy, Traefik.
const FRONT_PROXY_IMAGES: &[&str] = &[
    "nginx",
    "nginx-unprivileged",
    "openresty",
    "envoy",
    "haproxy",
    "caddy",
    "traefik",
];

/// Whether `process` is a reverse proxy in front of another main container of its pod that has
/// a readinessProbe (nginx beside php-fpm or gunicorn): Kubernetes adds a pod to a Service's
/// endpoints only when every container is ready (Pod Lifecycle, "Pod conditions": `Ready`
/// follows `ContainersReady`), so the app's probe keeps the pod out until it can serve, and
/// the proxy, ready as soon as it starts, adds nothing to wait for.
fn proxy_gated_by_a_probe(workload: &Workload, process: &Process) -> bool {
    let is_front_proxy = process
        .container
        .as_ref()
        .and_then(|c| c.image.as_ref())
        .is_some_and(|image| {
            let (name, _) = crate::lower::nginx::image_name_and_tag(&image.value);
            let last = name.rsplit('/').next().unwrap_or_default();
            FRONT_PROXY_IMAGES.contains(&last)
        });
    is_front_proxy
        && workload.processes.iter().any(|other| {
            !std::ptr::eq(other, process)
                && other.role == crate::model::ProcessRole::Main
                && !other.is_istio_sidecar_stub()
                && other
                    .container
                    .as_ref()
                    .is_some_and(|c| c.readiness.is_some())
        })
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
        for process in &workload.processes {
            let Some(container) = &process.container else {
                continue;
            };
            if container.readiness.is_some() || proxy_gated_by_a_probe(workload, process) {
                continue;
            }
            let Some((location, why)) = serving(cx.model, workload, process) else {
                continue;
            };
            let diagnostic = out.report(
                container.location,
                format!(
                    "container `{}` of {} serves traffic but has no readinessProbe: Kubernetes counts it Ready as soon as its process starts, so it gets requests before it can answer them, and a rolling update stops old pods before the new ones can serve",
                    process.name, workload.name
                ),
            );
            diagnostic.primary("no readinessProbe");
            diagnostic.label(location, why);
            let port = container
                .ports
                .first()
                .map(|(number, name)| name.clone().unwrap_or_else(|| number.value.to_string()));
            diagnostic.help(match port {
                Some(port) => format!(
                    "add a readinessProbe on port `{port}` that passes only once the app can serve: an httpGet on a readiness path, a grpc health check, or at least a tcpSocket check"
                ),
                None => "add a readinessProbe on the port the app listens on that passes only once the app can serve: an httpGet on a readiness path, a grpc health check, or at least a tcpSocket check".to_string(),
            });
        }
    }
}
