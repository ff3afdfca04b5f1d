//! SL202 missing-prestop-hook: a serving Kubernetes container has no `lifecycle.preStop` (exec,
//! httpGet or sleep), so SIGTERM arrives while the endpoint is still being removed from load
//! balancers.

use crate::rules::missing_readiness_probe::serving;
use crate::rules::{Reporter, RuleContext};

const HELP: &str = "pause before SIGTERM so endpoint removal propagates while the app still serves: `lifecycle: {preStop: {sleep: {seconds: 5}}}` (Kubernetes 1.30+), or an exec hook `[\"sleep\", \"5\"]` when the image has a sleep binary; the pause counts against terminationGracePeriodSeconds";

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
        for process in &workload.processes {
            let Some(container) = &process.container else {
                continue;
            };
            // What is wrong with the preStop that is there (None: it pauses or runs a drain).
            let broken = match &process.pre_stop {
                None => None,
                Some(hook) => match hook.handler.as_str() {
                    "sleep" if hook.delay.as_ref().is_some_and(|d| d.value <= 0.0) => Some((
                        hook.location,
                        "its preStop sleeps 0 seconds",
                        "sleeps 0 seconds",
                    )),
                    "exec" | "httpGet" | "sleep" => continue,
                    "tcpSocket" => Some((
                        hook.location,
                        "its preStop uses `tcpSocket`, which Kubernetes does not run as a lifecycle hook",
                        "`tcpSocket` is not a supported preStop action",
                    )),
                    _ => Some((
                        hook.location,
                        "its preStop has no exec, httpGet or sleep action",
                        "no exec, httpGet or sleep action",
                    )),
                },
            };
            let Some((reason_location, reason)) = serving(cx.model, workload, process) else {
                continue;
            };
            let endpoint_race = "SIGTERM arrives while the pod is still being removed from Service endpoints and load balancers, so new requests keep coming to a process that is shutting down";
            let (location, message, primary) = match broken {
                None => (
                    container.location,
                    format!(
                        "container `{}` of {} serves traffic but has no preStop hook: {endpoint_race}",
                        process.name, workload.name
                    ),
                    "no lifecycle.preStop",
                ),
                Some((location, what, primary)) => (
                    location,
                    format!(
                        "container `{}` of {} serves traffic but {what}, so nothing pauses before SIGTERM: {endpoint_race}",
                        process.name, workload.name
                    ),
                    primary,
                ),
            };
            let diagnostic = out.report(location, message);
            diagnostic.primary(primary);
            diagnostic.label(reason_location, reason);
            diagnostic.help(HELP);
        }
    }
}
