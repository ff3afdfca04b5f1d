//! The nginx tokenizer and tree (quotes, escapes, `${var}`, Lua blocks, nesting limit), and
//! the semantic layer the SL2xx rules read (contexts, inheritance, upstreams, pass targets).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shutdownlint::formats::nginx::{self, Scope};
use shutdownlint::lower::nginx::{is_nginx, looks_like_nginx, parse_config_duration};
use shutdownlint_fuzz::{check_span, text};

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    let _ = looks_like_nginx(&text);
    match nginx::parse(&text) {
        Ok(config) => {
            let _ = is_nginx(&config, false);
            for comment in &config.comments {
                check_span(&text, *comment, "comment");
            }
            config.visit(|directive, chain| {
                check_span(&text, directive.span, "directive");
                check_span(&text, directive.name_span, "directive name");
                check_span(&text, directive.args_span(), "directive args");
                for arg in &directive.args {
                    check_span(&text, arg.raw, "arg");
                    check_span(&text, arg.inner_span(), "arg inner");
                    let _ = parse_config_duration(&arg.value);
                    let _ = nginx::time::parse_msec(&arg.value);
                }
                if let Some(block) = &directive.block {
                    check_span(&text, block.span, "block");
                    if let Some(body) = block.raw_body {
                        check_span(&text, body, "lua body");
                    }
                }
                assert!(chain.len() <= nginx::MAX_DEPTH);
            });
            let upstreams = config.upstreams();
            for upstream in &upstreams {
                check_span(&text, upstream.name_span, "upstream name");
                let _ = upstream.keepalive_timeout_or_default();
                for server in &upstream.servers {
                    check_span(&text, server.address_span, "upstream server");
                    let _ = server.max_fails_or_default();
                }
            }
            for pass in config.passes() {
                let next = pass.scope.proxy_next_upstream();
                let _ = (next.is_default(), next.is_off(), next.includes("http_502"));
                let _ = pass.scope.proxy_http_version();
                let _ = pass.scope.proxy_set_header("Connection");
                if let Some(name) = pass.upstream_name() {
                    let _ = nginx::Config::find_upstream(&upstreams, name, pass.scope.in_stream());
                }
            }
            let top = Scope::top(&config);
            let _ = top.effective("keepalive_timeout");
            for scope in config.locations().iter().chain(config.servers().iter()) {
                let _ = scope.effective_all("proxy_next_upstream");
                let _ = scope.in_stream();
            }
        }
        Err(e) => check_span(&text, e.span, "parse error"),
    }
});
