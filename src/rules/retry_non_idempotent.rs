//! SL207 retry-non-idempotent: `proxy_next_upstream non_idempotent` (or the same condition of
//! `grpc_`/`fastcgi_`/`uwsgi_`/`scgi_next_upstream`): a POST that a draining
//! server already received, and maybe applied, is sent again to another server.

use std::collections::HashMap;

use crate::formats::nginx::Directive;
use crate::rules::{Reporter, RuleContext};

const NEXT_UPSTREAM: &[&str] = &[
    "proxy_next_upstream",
    "grpc_next_upstream",
    "fastcgi_next_upstream",
    "uwsgi_next_upstream",
    "scgi_next_upstream",
];

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    let scan = cx.nginx_scan();
    // Per level (the address of its directives) and directive name: an `off` among its lines,
    // found once per level, not once per line (40,000 lines at one level read it 40,000 times).
    let mut off_at: HashMap<(usize, &str), bool> = HashMap::new();
    for (index, file) in scan.files.iter().enumerate() {
        let mut found: Vec<(&Directive, Vec<&Directive>)> = Vec::new();
        file.config.visit(|directive, chain| {
            if NEXT_UPSTREAM.contains(&directive.name.as_str()) {
                found.push((directive, chain.to_vec()));
            }
        });
        for (directive, chain) in found {
            // Stream's `proxy_next_upstream on|off` has no conditions.
            if chain.iter().any(|d| d.name == "stream") || scan.in_stream[index] {
                continue;
            }
            let Some(arg) = directive
                .args
                .iter()
                .find(|a| a.value.eq_ignore_ascii_case("non_idempotent"))
            else {
                continue;
            };
            // `off` at the same level (any line) disables retries altogether.
            let level: &[Directive] = match chain.last() {
                Some(block) => block.children(),
                None => &file.config.directives,
            };
            let off = *off_at
                .entry((level.as_ptr() as usize, directive.name.as_str()))
                .or_insert_with(|| {
                    level
                        .iter()
                        .filter(|d| d.name == directive.name)
                        .flat_map(|d| d.args.iter())
                        .any(|a| a.value.eq_ignore_ascii_case("off"))
                });
            if off {
                continue;
            }
            let what = if directive.name == "grpc_next_upstream" {
                "every gRPC call (gRPC requests are POSTs)"
            } else {
                "POST, PATCH and LOCK requests"
            };
            let message = format!(
                "`{} ... non_idempotent` retries {what} on another server after one already received them: a request that a draining server applied but did not answer is applied twice",
                directive.name
            );
            out.report(scan.location(index, arg.raw), message)
                .primary("non-idempotent requests are retried")
                .help(format!(
                    "remove `non_idempotent` from {} (nginx then retries such requests only when they could not be sent at all); make the backend finish in-flight requests before it exits, or make the endpoints idempotent (idempotency keys) if retries are needed",
                    directive.name
                ));
        }
    }
}
