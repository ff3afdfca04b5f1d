//! SL205 passive-health-disabled: an upstream `server` with `max_fails=0`: nginx never marks
//! it unavailable, so it keeps sending requests to a backend that is shutting down.

use crate::lower::nginx::has_lua_balancer;
use crate::rules::{Reporter, RuleContext};

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    let scan = cx.nginx_scan();
    for (at, upstream) in scan.all_upstreams() {
        if has_lua_balancer(upstream) || !scan.upstream_in_use(at) {
            continue;
        }
        // With a single server nginx ignores max_fails (the server is never marked down).
        let usable = upstream.servers.iter().filter(|s| !s.down).count();
        if usable < 2 {
            continue;
        }
        for server in &upstream.servers {
            // A backup is the last resort: keeping it in the group when it fails is a choice.
            if server.down || server.backup || server.max_fails != Some(0) {
                continue;
            }
            let Some(param) = server.param("max_fails") else {
                continue;
            };
            let what = if scan.upstream_in_stream(at) {
                "connection"
            } else {
                "request"
            };
            let message = format!(
                "`max_fails=0` turns off passive health checks for `{}`: nginx never takes it out of upstream `{}`, so while it shuts down for a deploy every {what} sent to it fails or waits for a timeout first",
                server.address, upstream.name
            );
            out.report(scan.location(at.0, param.raw), message)
                .primary("failures are never counted")
                .label(
                    scan.location(at.0, upstream.name_span),
                    format!("upstream `{}` with {usable} servers defined here", upstream.name),
                )
                .help(
                    "remove `max_fails=0` (the default `max_fails=1 fail_timeout=10s` skips a failing server for 10s) or set e.g. `max_fails=3 fail_timeout=10s`",
                );
        }
    }
}
