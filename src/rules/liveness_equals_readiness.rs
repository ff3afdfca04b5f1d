//! SL402 liveness-equals-readiness: a container's liveness probe runs the same check as its
//! readiness probe and gives up no later, so whenever the pod stops being ready (a dependency
//! blip, overload) it is also restarted.
//!
//! Decision: the handler (`httpGet`, `exec`, `grpc`) must be identical, and the liveness probe
//! must not be more tolerant than the readiness probe: its failure window (`failureThreshold` ×
//! `periodSeconds`) is not longer and its `timeoutSeconds` not larger. The same cheap endpoint
//! with a higher liveness `failureThreshold` is the pattern the Kubernetes docs recommend and
//! stays silent; `initialDelaySeconds` only matters at startup and is ignored. A `tcpSocket`
//! check has no notion of readiness (it only tells that the port accepts connections), so two
//! identical `tcpSocket` probes stay silent too.

use crate::model::Probe;
use crate::rules::{Reporter, RuleContext};

/// The timing fields of a probe, read back from its fingerprint.
struct Timing {
    period: f64,
    failure_threshold: f64,
    timeout: f64,
}

impl Timing {
    /// Seconds of consecutive failures before the probe gives up.
    fn window(&self) -> f64 {
        self.period * self.failure_threshold
    }
}

/// The probe's top-level scalar fields: the fingerprint is `{key=value,…}` with keys sorted;
/// the handler's part (whose values may hold any character) is taken out first.
fn timing(probe: &Probe) -> Option<Timing> {
    let (handler, value) = probe.handler_fingerprint.split_once(':')?;
    let inner = probe.fingerprint.strip_prefix('{')?.strip_suffix('}')?;
    let rest = inner.replacen(&format!("{handler}={value}"), "", 1);
    let field = |name: &str, default: f64| -> Option<f64> {
        match rest
            .split(',')
            .find_map(|part| part.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
        {
            Some(v) => v.trim().parse::<f64>().ok(),
            None => Some(default),
        }
    };
    Some(Timing {
        period: field("periodSeconds", 10.0)?,
        failure_threshold: field("failureThreshold", 3.0)?,
        timeout: field("timeoutSeconds", 1.0)?,
    })
}

fn seconds(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
        for process in &workload.processes {
            let Some(container) = &process.container else {
                continue;
            };
            let (Some(liveness), Some(readiness)) = (&container.liveness, &container.readiness)
            else {
                continue;
            };
            let handler = &liveness.handler_fingerprint;
            if handler.is_empty()
                || handler.contains(';')
                || handler.starts_with("tcpSocket:")
                || *handler != readiness.handler_fingerprint
            {
                continue;
            }
            let identical = liveness.fingerprint == readiness.fingerprint;
            let mut consequence = "whenever the container stops being ready (a dependency blip, a slow response under load) it also fails liveness and is restarted, instead of only being taken out of the Service until it recovers";
            let message = if identical {
                format!(
                    "the liveness and readiness probes of container `{}` are identical",
                    process.name
                )
            } else {
                let (Some(live), Some(ready)) = (timing(liveness), timing(readiness)) else {
                    continue;
                };
                if live.window() > ready.window() || live.timeout > ready.timeout {
                    continue;
                }
                let when = if live.window() < ready.window() {
                    consequence = "whenever the check fails (a dependency blip, a slow response under load) the container is restarted before it is even taken out of the Service";
                    format!(
                        "gives up sooner ({} × {} = {} of failures, against {} for readiness)",
                        live.failure_threshold,
                        seconds(live.period),
                        seconds(live.window()),
                        seconds(ready.window())
                    )
                } else {
                    format!(
                        "gives up at the same time ({} × {} = {} of failures)",
                        live.failure_threshold,
                        seconds(live.period),
                        seconds(live.window())
                    )
                };
                format!(
                    "the liveness probe of container `{}` runs the same check as its readiness probe and {when}",
                    process.name
                )
            };
            let diagnostic = out.report(liveness.location, format!("{message}: {consequence}"));
            diagnostic.primary("same check as the readinessProbe");
            diagnostic.label(readiness.location, "readiness probe");
            diagnostic.help("give liveness its own cheap check that only fails when the process is stuck (e.g. /livez), or keep the same check with a liveness failureThreshold clearly higher than the readiness one");
        }
    }
}
