//! Templates of the official nginx image: `/etc/nginx/templates/*.template`, which the image's
//! entrypoint (`20-envsubst-on-templates.sh`) renders with `envsubst` into `/etc/nginx/conf.d/`
//! at start. envsubst replaces `${NAME}` and `$NAME` for the environment variables that are
//! defined (the entrypoint lists only those, so nginx's own `$host` stays).
//!
//! The template is parsed as it is written: nginx's tokenizer keeps `${NAME}` inside a word (it
//! reads `${var}` itself), so `listen ${NGINX_PORT};` is a `listen` with one argument and every
//! span points into the template. What such a word becomes is unknown until the container
//! starts; where that matters to the rules, the template is not judged ([`unknown_setting`]).

use super::syntax::{Config, Directive};
use crate::span::Span;

/// Directives whose arguments the SL2xx rules read and nginx does not expand variables in: a
/// `$` there is envsubst's, and the value it renders to (`error timeout http_502 http_503`, a
/// number, another path) is unknown.
const JUDGED: &[&str] = &[
    "proxy_next_upstream",
    "proxy_next_upstream_tries",
    "proxy_next_upstream_timeout",
    "grpc_next_upstream",
    "grpc_next_upstream_tries",
    "grpc_next_upstream_timeout",
    "proxy_http_version",
    "keepalive",
    "keepalive_timeout",
    "keepalive_requests",
    "keepalive_time",
    "include",
];

/// The first place in a template where envsubst fills in something the rules would read as
/// written: a directive whose name holds a `$` (`${EXTRA_CONFIG};` may render to any
/// directives), an argument of a directive of [`JUDGED`], the header name of a
/// `proxy_set_header`, or a parameter of an upstream `server` after its address
/// (`max_fails=${MAX_FAILS}`). `None` when every `$` is in a word whose value the rules do not
/// judge (`server_name ${NGINX_HOST}`, `listen ${NGINX_PORT}`, `server ${API_HOST}:8000`, a
/// pass address). A pass whose host is an environment reference alone (`proxy_pass
/// http://${API_HOST};`) may render to an upstream block's name: the rules take it as they take
/// a pass with a variable (its target is not known, so that location is not judged; the
/// upstreams it may reach count as reached), and the rest of the template is judged: one such
/// pass does not change what another location's literal pass and upstream are.
pub fn unknown_setting(config: &Config) -> Option<(Span, String)> {
    let mut stack: Vec<&[Directive]> = vec![&config.directives];
    let mut first: Option<(Span, String)> = None;
    while let Some(directives) = stack.pop() {
        for directive in directives {
            if let Some(span) = unknown_in(directive) {
                if first.as_ref().is_none_or(|(at, _)| span.start < at.start) {
                    first = Some((span, directive.name.clone()));
                }
            }
            if let Some(block) = &directive.block {
                stack.push(&block.directives);
            }
        }
    }
    first
}

/// Where envsubst may change what `directive` means (see [`unknown_setting`]).
fn unknown_in(directive: &Directive) -> Option<Span> {
    if directive.name.contains('$') {
        return Some(directive.name_span);
    }
    let judged: &[super::syntax::Arg] = match directive.name.as_str() {
        name if JUDGED.contains(&name) => &directive.args,
        "proxy_set_header" | "grpc_set_header" => directive.args.get(..1).unwrap_or(&[]),
        "server" if directive.block.is_none() => directive.args.get(1..).unwrap_or(&[]),
        _ => &[],
    };
    judged
        .iter()
        .find(|arg| arg.value.contains('$'))
        .map(|arg| arg.raw)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::nginx::parse;

    /// `${NAME}` stays inside one word, as nginx reads `${var}`: the template parses, and the
    /// spans point at the template's bytes.
    #[test]
    fn braced_references_are_words() {
        let text = "server {\n    listen ${NGINX_PORT};\n    server_name ${NGINX_HOST} www.${NGINX_HOST};\n    location / { proxy_pass http://${BACKEND}:8000; }\n}\n";
        let config = parse(text).expect("parses");
        let server = &config.directives[0];
        let children = server.children();
        assert_eq!(children[0].name, "listen");
        assert_eq!(children[0].args.len(), 1);
        assert_eq!(children[0].args[0].value, "${NGINX_PORT}");
        assert_eq!(children[0].args[0].raw.slice(text), "${NGINX_PORT}");
        assert_eq!(children[1].args.len(), 2);
        assert_eq!(children[1].args[1].raw.slice(text), "www.${NGINX_HOST}");
        let pass = &children[2].children()[0];
        assert_eq!(pass.args[0].raw.slice(text), "http://${BACKEND}:8000");
        assert_eq!(unknown_setting(&config), None);
    }

    #[test]
    fn values_the_rules_read_from_the_environment_are_unknown() {
        for (text, name, word) in [
            (
                "server {\n  location / {\n    proxy_pass http://shop;\n    proxy_next_upstream ${RETRY_ON};\n  }\n}\n",
                "proxy_next_upstream",
                "${RETRY_ON}",
            ),
            (
                "upstream shop {\n  server a:80 max_fails=$MAX_FAILS;\n  server b:80;\n  keepalive ${KEEPALIVE};\n}\n",
                "server",
                "max_fails=$MAX_FAILS",
            ),
            (
                "server {\n  ${EXTRA_PROXY_SETTINGS};\n  location / { proxy_pass http://shop; }\n}\n",
                "${EXTRA_PROXY_SETTINGS}",
                "${EXTRA_PROXY_SETTINGS}",
            ),
            (
                "server {\n  include /etc/nginx/${SNIPPET}.conf;\n}\n",
                "include",
                "/etc/nginx/${SNIPPET}.conf",
            ),
        ] {
            let config = parse(text).expect("parses");
            let (span, found) = unknown_setting(&config).expect(text);
            assert_eq!(found, name);
            assert_eq!(span.slice(text), word);
        }
    }

    /// nginx's own variables in values it expands, and env references in words the rules do
    /// not judge, leave the template judged.
    #[test]
    fn other_references_are_judged() {
        let text = "upstream api {\n  server ${API_HOST}:8000;\n  server api-2:8000;\n}\nserver {\n  listen ${NGINX_PORT};\n  proxy_set_header Host $host;\n  proxy_set_header Connection $connection_upgrade;\n  location / { proxy_pass http://api; }\n  location /b/ { proxy_pass http://${BACKEND}:8000; }\n  location /c/ { proxy_pass http://$backend; }\n  location /d/ { proxy_pass $scheme://${API_HOST}:${API_PORT}/d/; }\n  location /e/ { proxy_pass http://${API_HOST}; }\n  location /f/ { proxy_pass ${API_URL}; }\n  location /g/ { grpc_pass grpc://$GRPC_UPSTREAM/; }\n}\n";
        let config = parse(text).expect("parses");
        assert_eq!(unknown_setting(&config), None);
    }
}
