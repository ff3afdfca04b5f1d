//! SL105 sigkill-disabled: systemd can never force a hung drain to end: `SendSIGKILL=no`, or
//! `TimeoutStopSec=infinity`/`0` (0 means no timeout for this setting, systemd.service(5)), or
//! the same through `TimeoutSec=`, which sets the start and the stop timeout.

use crate::diagnostic::Location;
use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
        let Some(systemd) = &workload.systemd else {
            continue;
        };
        // A oneshot unit has no long-running process to stop; `TimeoutSec=infinity` there is
        // about the start (fsck, quota checks).
        if systemd.service_type == "oneshot" {
            continue;
        }
        if let Some(send) = &systemd.send_sigkill {
            if let (false, Some(location)) = (send.value, send.location) {
                // systemd.kill(5): without SIGKILL, a control-group or mixed unit does not start
                // again while processes of the previous run remain.
                let blocks_restart = systemd
                    .kill_mode
                    .as_ref()
                    .is_none_or(|m| matches!(m.value.as_str(), "control-group" | "mixed"));
                let message = if systemd.timeout_infinite.is_some() {
                    format!(
                        "{}: SendSIGKILL=no means a process that hangs while stopping is never killed, and with the stop timeout disabled as well the stop waits for it forever",
                        workload.name
                    )
                } else {
                    format!(
                        "{}: SendSIGKILL=no means a process that hangs while stopping is never killed: systemd gives up after TimeoutStopSec= and leaves it running{}",
                        workload.name,
                        if blocks_restart {
                            ", and the unit will not start again (no restart, no deploy) while it remains"
                        } else {
                            " beside the next instance"
                        }
                    )
                };
                let diagnostic = out.report(location, message);
                diagnostic.primary("SIGKILL disabled");
                diagnostic.help("remove SendSIGKILL=no and give the service a TimeoutStopSec= longer than its drain time");
            }
        }
        if let Some(location) = systemd.timeout_infinite {
            let (key, value) = setting_at(cx, location);
            let shorthand = key == "TimeoutSec";
            let message = if shorthand {
                format!(
                    "{}: TimeoutSec={value} disables the stop timeout too (TimeoutSec= sets both TimeoutStartSec= and TimeoutStopSec=), so a hung drain is never ended with SIGKILL and the stop waits forever",
                    workload.name
                )
            } else {
                format!(
                    "{}: {key}={value} disables the stop timeout, so a hung drain is never ended with SIGKILL and the stop waits forever",
                    workload.name
                )
            };
            let diagnostic = out.report(location, message);
            diagnostic.primary(if value == "0" {
                "0 means no timeout here"
            } else {
                "no stop timeout"
            });
            diagnostic.help(if shorthand {
                "if only the start may take long, write TimeoutStartSec=infinity instead, and set TimeoutStopSec= to the drain time plus a margin (e.g. TimeoutStopSec=45s)"
            } else {
                "set TimeoutStopSec= to the drain time plus a margin (e.g. TimeoutStopSec=45s)"
            });
        }
    }
}

/// The key and value of the `Key=value` line whose value is at `location`.
fn setting_at(cx: &RuleContext<'_>, location: Location) -> (String, String) {
    let text = cx.files.text(location.file);
    let text = &*text;
    let start = location.span.start.min(text.len());
    let end = location.span.end.clamp(start, text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let key = text
        .get(line_start..start)
        .and_then(|head| head.split('=').next())
        .map_or("TimeoutStopSec", str::trim)
        .to_string();
    let key = if key == "TimeoutSec" {
        key
    } else {
        "TimeoutStopSec".to_string()
    };
    let value = text
        .get(start..end)
        .unwrap_or("infinity")
        .trim()
        .to_string();
    (key, value)
}
