//! SL104 stop-signal-kill: the stop signal is SIGKILL, which no process can handle.

use crate::model::Signal;
use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        let Some(signal) = &workload.stop_signal else {
            continue;
        };
        let (Signal::Kill, Some(location)) = (&signal.value, signal.location) else {
            continue;
        };
        let diagnostic = out.report(
            location,
            "the stop signal is SIGKILL: the process cannot catch it, so every stop kills it mid-request with no time to drain",
        );
        diagnostic.primary("SIGKILL cannot be handled");
        diagnostic.help(
            "remove STOPSIGNAL (SIGTERM is the default) or set the server's graceful signal (SIGQUIT for nginx)",
        );
    }
}
