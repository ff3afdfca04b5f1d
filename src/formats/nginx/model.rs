//! What the rules need to know about a parsed nginx configuration: contexts with their parent
//! chain, inherited (effective) directives, upstream groups, and where requests are passed.
//!
//! Defaults below were checked in nginx's source (1.31.5, commit 3f6f782, 2026-08) and against
//! the docs of `ngx_http_proxy_module` and `ngx_http_upstream_module`; see [`defaults`].
//!
//! Inheritance: most nginx directives are inherited from `http` to `server` to `location` (and
//! nested `location`, `if` in location, `limit_except`) *only when the inner level does not set
//! them at all*. For array- and bitmask-type directives the inner level then **replaces** the
//! whole outer list, it never merges with it:
//! * `proxy_set_header`: one `proxy_set_header` in a `location` drops *every*
//!   `proxy_set_header` of the enclosing `server` and `http` for that location
//!   (`ngx_conf_merge_ptr_value(conf->headers_source, ...)` in `ngx_http_proxy_merge_loc_conf`).
//! * `proxy_next_upstream`: several lines at the same level are OR-ed together
//!   (`ngx_conf_set_bitmask_slot`), an inner level replaces the outer value, and `off` anywhere
//!   in the effective value wins over everything else.
//!
//! [`Scope::effective_all`] implements exactly this lookup; the top level of the file counts as
//! the outermost level, which makes `conf.d` snippets (`server { }` only, or bare directives)
//! behave as if they were included in `http`.

use std::time::Duration;

use super::syntax::{Arg, Config, Directive};
use super::time::{parse_msec, parse_sec};
use crate::span::Span;

/// Defaults the rules compare against, as verified in nginx's source and docs.
pub mod defaults {
    use std::time::Duration;

    /// `proxy_next_upstream error timeout;` (docs and `ngx_http_proxy_merge_loc_conf`).
    pub const PROXY_NEXT_UPSTREAM: &[&str] = &["error", "timeout"];
    /// `proxy_http_version 1.0;` up to nginx 1.29.6 (docs of 1.28 stable and earlier).
    pub const PROXY_HTTP_VERSION_LEGACY: &str = "1.0";
    /// `proxy_http_version 1.1;` since nginx 1.29.7 / 1.30.0 (commit 6bb27a6, 2026-01-27:
    /// "Proxy: enabled HTTP/1.1 by default for upstream connections"; the default
    /// `Connection` header sent upstream also changed from `close` to empty).
    pub const PROXY_HTTP_VERSION: &str = "1.1";
    /// Upstream `keepalive_timeout 60s;` (`ngx_conf_init_msec_value(kcf->timeout, 60000)`).
    pub const UPSTREAM_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(60);
    /// Upstream `keepalive_requests 1000;` (100 before nginx 1.19.10).
    pub const UPSTREAM_KEEPALIVE_REQUESTS: u64 = 1000;
    /// Upstream `keepalive_time 1h;`.
    pub const UPSTREAM_KEEPALIVE_TIME: Duration = Duration::from_secs(3600);
    /// Since nginx 1.29.7 / 1.30.0 every explicit `upstream { }` keeps this many idle
    /// connections per worker ("local" mode) unless it says `keepalive 0;` (commit 4fbe4b6,
    /// 2026-03-23). Before that, no keepalive without a `keepalive` directive.
    pub const IMPLICIT_UPSTREAM_KEEPALIVE: u64 = 32;
    /// Upstream `server ... max_fails=1` (docs; `max_fails = 1` in `ngx_http_upstream_server`).
    pub const MAX_FAILS: u64 = 1;
    /// Upstream `server ... fail_timeout=10s`.
    pub const FAIL_TIMEOUT: Duration = Duration::from_secs(10);
    /// Upstream `server ... weight=1`.
    pub const WEIGHT: u64 = 1;
}

/// The directives that pass a request to another server.
pub const PASS_DIRECTIVES: &[&str] = &[
    "proxy_pass",
    "fastcgi_pass",
    "grpc_pass",
    "uwsgi_pass",
    "scgi_pass",
    "memcached_pass",
];

/// What kind of block a context is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContextKind {
    /// The top level of the file (main context, or whatever includes a snippet).
    Main,
    Http,
    Server,
    Location,
    Upstream,
    If,
    LimitExcept,
    Stream,
    Events,
    /// `map`, `types`, `geo`, `split_clients`, Lua blocks, third-party blocks.
    Other,
}

impl ContextKind {
    pub fn of(directive_name: &str) -> ContextKind {
        match directive_name {
            "http" => ContextKind::Http,
            "server" => ContextKind::Server,
            "location" => ContextKind::Location,
            "upstream" => ContextKind::Upstream,
            "if" => ContextKind::If,
            "limit_except" => ContextKind::LimitExcept,
            "stream" => ContextKind::Stream,
            "events" => ContextKind::Events,
            _ => ContextKind::Other,
        }
    }
}

/// A place in the configuration: the chain of block directives enclosing it, outermost first
/// (empty at the top level). For a context returned by [`Config::blocks`] the last element is
/// the block directive itself.
#[derive(Clone, Debug)]
pub struct Scope<'a> {
    top: &'a [Directive],
    pub chain: Vec<&'a Directive>,
}

/// The effective value of a directive at a scope: every occurrence at the innermost level that
/// has any, in file order.
#[derive(Clone, Debug)]
pub struct Inherited<'a> {
    pub directives: Vec<&'a Directive>,
    /// The block they are in (`None` for the top level of the file).
    pub level: Option<&'a Directive>,
}

impl<'a> Scope<'a> {
    /// The top-level scope of a configuration.
    pub fn top(config: &'a Config) -> Self {
        Scope {
            top: &config.directives,
            chain: Vec::new(),
        }
    }

    /// The innermost enclosing block directive (`None` at the top level).
    pub fn block(&self) -> Option<&'a Directive> {
        self.chain.last().copied()
    }

    /// The kind of the innermost block.
    pub fn kind(&self) -> ContextKind {
        self.block()
            .map_or(ContextKind::Main, |d| ContextKind::of(&d.name))
    }

    /// The innermost enclosing block of `kind`.
    pub fn nearest(&self, kind: ContextKind) -> Option<&'a Directive> {
        self.chain
            .iter()
            .rev()
            .copied()
            .find(|d| ContextKind::of(&d.name) == kind)
    }

    /// Whether the scope is inside a `stream { }` block.
    pub fn in_stream(&self) -> bool {
        self.nearest(ContextKind::Stream).is_some()
    }

    /// The directive lists nginx consults for inherited settings, innermost first: each
    /// enclosing block's directives, then the top level of the file.
    pub fn levels(&self) -> impl Iterator<Item = (Option<&'a Directive>, &'a [Directive])> + '_ {
        self.chain
            .iter()
            .rev()
            .map(|d| (Some(*d), d.children()))
            .chain(std::iter::once((None, self.top)))
    }

    /// Every occurrence of `name` at the innermost level that sets it (nginx's inheritance of
    /// array and bitmask directives: an inner level replaces, never merges with, the outer).
    pub fn effective_all(&self, name: &str) -> Option<Inherited<'a>> {
        for (level, directives) in self.levels() {
            let found: Vec<&'a Directive> = directives.iter().filter(|d| d.name == name).collect();
            if !found.is_empty() {
                return Some(Inherited {
                    directives: found,
                    level,
                });
            }
        }
        None
    }

    /// The effective occurrence of a single-valued directive (the last one at the innermost
    /// level that sets it; nginx rejects duplicates of most single-valued directives).
    pub fn effective(&self, name: &str) -> Option<&'a Directive> {
        self.effective_all(name)
            .and_then(|inherited| inherited.directives.last().copied())
    }

    /// The effective `proxy_next_upstream`.
    pub fn proxy_next_upstream(&self) -> NextUpstream<'a> {
        NextUpstream::from_inherited(self.effective_all("proxy_next_upstream"))
    }

    /// The effective `proxy_set_header` lines (all of them at the innermost level that has
    /// any: see the module docs).
    pub fn proxy_set_headers(&self) -> Vec<&'a Directive> {
        self.effective_all("proxy_set_header")
            .map(|i| i.directives)
            .unwrap_or_default()
    }

    /// The effective `proxy_set_header` for `header` (case-insensitive), if any.
    pub fn proxy_set_header(&self, header: &str) -> Option<&'a Directive> {
        self.proxy_set_headers()
            .into_iter()
            .rfind(|d| d.arg(0).is_some_and(|h| h.eq_ignore_ascii_case(header)))
    }

    /// The effective `proxy_http_version` directive (`None`: the default, see [`defaults`]).
    pub fn proxy_http_version(&self) -> Option<&'a Directive> {
        self.effective("proxy_http_version")
    }
}

/// The effective `proxy_next_upstream` at a scope.
#[derive(Clone, Debug)]
pub struct NextUpstream<'a> {
    /// The lines that set it (empty when the default applies).
    pub directives: Vec<&'a Directive>,
    /// The conditions, lower-cased, in order of appearance (`["error", "timeout"]` by default).
    /// When `off` is among them nginx ignores the rest.
    pub conditions: Vec<String>,
}

impl<'a> NextUpstream<'a> {
    fn from_inherited(inherited: Option<Inherited<'a>>) -> Self {
        let Some(inherited) = inherited else {
            return NextUpstream {
                directives: Vec::new(),
                conditions: defaults::PROXY_NEXT_UPSTREAM
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
            };
        };
        let mut conditions: Vec<String> = Vec::new();
        for directive in &inherited.directives {
            for arg in &directive.args {
                let value = arg.value.to_ascii_lowercase();
                if !conditions.contains(&value) {
                    conditions.push(value);
                }
            }
        }
        NextUpstream {
            directives: inherited.directives,
            conditions,
        }
    }

    /// Nothing set: `error timeout`.
    pub fn is_default(&self) -> bool {
        self.directives.is_empty()
    }

    /// `off` is in effect (retries disabled).
    pub fn is_off(&self) -> bool {
        self.conditions.iter().any(|c| c == "off")
    }

    /// Whether requests are retried on `condition` (`http_502`, `non_idempotent`, ...).
    pub fn includes(&self, condition: &str) -> bool {
        !self.is_off()
            && self
                .conditions
                .iter()
                .any(|c| c.eq_ignore_ascii_case(condition))
    }

    /// The argument that names `condition`, for pointing at it.
    pub fn condition_arg(&self, condition: &str) -> Option<&'a Arg> {
        self.directives
            .iter()
            .flat_map(|d| d.args.iter())
            .find(|a| a.value.eq_ignore_ascii_case(condition))
    }
}

/// A value of an upstream-level directive with the directive it came from.
#[derive(Clone, Debug)]
pub struct Setting<'a, T> {
    pub directive: &'a Directive,
    /// `None` when nginx would reject the value.
    pub value: Option<T>,
}

/// An `upstream NAME { ... }` group.
#[derive(Clone, Debug)]
pub struct Upstream<'a> {
    pub name: String,
    /// The name argument as written.
    pub name_span: Span,
    pub directive: &'a Directive,
    /// Declared inside `stream { }` (TCP/UDP), not `http`.
    pub in_stream: bool,
    pub servers: Vec<UpstreamServer<'a>>,
    /// `keepalive N [local];`
    pub keepalive: Option<Setting<'a, u64>>,
    /// `keepalive_timeout T;` (default [`defaults::UPSTREAM_KEEPALIVE_TIMEOUT`]).
    pub keepalive_timeout: Option<Setting<'a, Duration>>,
    /// `keepalive_requests N;` (default [`defaults::UPSTREAM_KEEPALIVE_REQUESTS`]).
    pub keepalive_requests: Option<Setting<'a, u64>>,
}

impl Upstream<'_> {
    /// The idle timeout of cached connections, the default when not set or invalid.
    pub fn keepalive_timeout_or_default(&self) -> Duration {
        self.keepalive_timeout
            .as_ref()
            .and_then(|s| s.value)
            .unwrap_or(defaults::UPSTREAM_KEEPALIVE_TIMEOUT)
    }

    /// Servers that take traffic normally (not `backup`, not `down`).
    pub fn primary_servers(&self) -> impl Iterator<Item = &UpstreamServer<'_>> {
        self.servers.iter().filter(|s| !s.backup && !s.down)
    }
}

/// One `server ADDRESS [params];` line of an upstream.
#[derive(Clone, Debug)]
pub struct UpstreamServer<'a> {
    pub directive: &'a Directive,
    pub address: String,
    pub address_span: Span,
    pub weight: Option<u64>,
    pub max_fails: Option<u64>,
    pub fail_timeout: Option<Duration>,
    pub max_conns: Option<u64>,
    pub backup: bool,
    pub down: bool,
    pub resolve: bool,
    /// Every parameter after the address, as written.
    pub params: Vec<&'a Arg>,
}

impl<'a> UpstreamServer<'a> {
    fn from_directive(directive: &'a Directive) -> Option<Self> {
        let address = directive.args.first()?;
        let mut server = UpstreamServer {
            directive,
            address: address.value.clone(),
            address_span: address.raw,
            weight: None,
            max_fails: None,
            fail_timeout: None,
            max_conns: None,
            backup: false,
            down: false,
            resolve: false,
            params: directive.args.iter().skip(1).collect(),
        };
        for arg in &server.params {
            let value = arg.value.as_str();
            if let Some(v) = value.strip_prefix("weight=") {
                server.weight = parse_number(v);
            } else if let Some(v) = value.strip_prefix("max_fails=") {
                server.max_fails = parse_number(v);
            } else if let Some(v) = value.strip_prefix("max_conns=") {
                server.max_conns = parse_number(v);
            } else if let Some(v) = value.strip_prefix("fail_timeout=") {
                server.fail_timeout = parse_sec(v);
            } else {
                match value {
                    "backup" => server.backup = true,
                    "down" => server.down = true,
                    "resolve" => server.resolve = true,
                    _ => {}
                }
            }
        }
        Some(server)
    }

    /// `max_fails`, or its default of 1.
    pub fn max_fails_or_default(&self) -> u64 {
        self.max_fails.unwrap_or(defaults::MAX_FAILS)
    }

    /// The parameter `name=...` (or the flag `name`), for pointing at it.
    pub fn param(&self, name: &str) -> Option<&'a Arg> {
        self.params.iter().copied().find(|a| {
            a.value == name
                || a.value
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('='))
        })
    }
}

/// A non-negative integer as `ngx_atoi` reads it (digits only).
fn parse_number(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok().filter(|n| *n <= i64::MAX as u64)
}

/// A `proxy_pass` (or `fastcgi_pass`, `grpc_pass`, ...) and where it sends requests.
#[derive(Clone, Debug)]
pub struct Pass<'a> {
    pub directive: &'a Directive,
    /// The blocks enclosing the directive (its location, `if`, server, http).
    pub scope: Scope<'a>,
    /// The target argument (its span is `arg.raw`); `None` when missing.
    pub arg: Option<&'a Arg>,
    pub target: PassTarget,
}

/// Where a pass directive sends requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PassTarget {
    /// `http://name`, `https://name:8443/path`, `name:9000` (fastcgi), `backend` (stream).
    /// `host` may name an `upstream` block: see [`Pass::upstream_name`].
    Host {
        scheme: Option<String>,
        host: String,
        port: Option<u16>,
        path: Option<String>,
    },
    /// `http://unix:/run/app.sock:/path`, `unix:/run/php.sock`.
    Unix {
        scheme: Option<String>,
        path: String,
    },
    /// Contains a variable: resolved per request, unknown statically.
    Variable,
    /// No argument, or one that is not an address.
    Invalid,
}

impl PassTarget {
    /// Parse a pass target the way `ngx_parse_url` splits it (statically).
    pub fn parse(value: &str) -> PassTarget {
        if value.contains('$') {
            return PassTarget::Variable;
        }
        let (scheme, rest) = match value.split_once("://") {
            Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
            None => (None, value),
        };
        if let Some(path) = rest.strip_prefix("unix:") {
            // `unix:/path/sock:/uri` in proxy_pass: the socket path ends at the next ':'.
            let path = path.split(':').next().unwrap_or(path);
            if path.is_empty() {
                return PassTarget::Invalid;
            }
            return PassTarget::Unix {
                scheme,
                path: path.to_string(),
            };
        }
        let (authority, path) = match rest.split_once('/') {
            Some((authority, path)) => (authority, Some(format!("/{path}"))),
            None => (rest, None),
        };
        let (host, port) = split_host_port(authority);
        if host.is_empty() {
            return PassTarget::Invalid;
        }
        let port = match port {
            Some(p) => match p.parse::<u16>() {
                Ok(p) => Some(p),
                Err(_) => return PassTarget::Invalid,
            },
            None => None,
        };
        PassTarget::Host {
            scheme,
            host: host.to_string(),
            port,
            path,
        }
    }
}

/// `host:port`, `[v6]:port`, `host`.
fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.split_once(']') {
            Some((v6, after)) => {
                let host = authority.get(..v6.len() + 1).unwrap_or(authority);
                (host, after.strip_prefix(':'))
            }
            None => (authority, None),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

impl Pass<'_> {
    /// The upstream group name this target can refer to: the host of a target without a port
    /// (nginx matches `upstream` blocks by host, case-insensitively, and rejects a port on a
    /// name that is an upstream: "upstream ... may not have port").
    pub fn upstream_name(&self) -> Option<&str> {
        match &self.target {
            PassTarget::Host {
                host, port: None, ..
            } => Some(host),
            _ => None,
        }
    }
}

impl Config {
    /// Visit every directive with the chain of block directives enclosing it (outermost
    /// first), in file order. Lua blocks have no children.
    pub fn visit<'a>(&'a self, mut f: impl FnMut(&'a Directive, &[&'a Directive])) {
        // Iterative depth-first walk: (directives of a level, next index), plus the chain.
        let mut stack: Vec<(&'a [Directive], usize)> = vec![(&self.directives, 0)];
        let mut chain: Vec<&'a Directive> = Vec::new();
        while let Some((list, index)) = stack.pop() {
            let Some(directive) = list.get(index) else {
                chain.pop();
                continue;
            };
            stack.push((list, index + 1));
            f(directive, &chain);
            if let Some(block) = &directive.block {
                chain.push(directive);
                stack.push((&block.directives, 0));
            }
        }
    }

    /// Every block directive named `name` (`http`, `server`, `location`, `upstream`, `if`),
    /// as a scope whose chain ends with the block itself.
    pub fn blocks(&self, name: &str) -> Vec<Scope<'_>> {
        let mut out = Vec::new();
        self.visit(|directive, chain| {
            if directive.name == name && directive.block.is_some() {
                let mut chain = chain.to_vec();
                chain.push(directive);
                out.push(Scope {
                    top: &self.directives,
                    chain,
                });
            }
        });
        out
    }

    /// Every `location` block (nested ones included).
    pub fn locations(&self) -> Vec<Scope<'_>> {
        self.blocks("location")
    }

    /// Every `server` block of `http` (and of snippets); `server` lines inside `upstream` are
    /// not blocks and are not listed.
    pub fn servers(&self) -> Vec<Scope<'_>> {
        self.blocks("server")
    }

    /// Every `upstream` block with its servers and keepalive settings.
    pub fn upstreams(&self) -> Vec<Upstream<'_>> {
        self.blocks("upstream")
            .into_iter()
            .filter_map(|scope| {
                let directive = scope.block()?;
                let name = directive.args.first()?;
                let mut upstream = Upstream {
                    name: name.value.clone(),
                    name_span: name.raw,
                    directive,
                    in_stream: scope.in_stream(),
                    servers: Vec::new(),
                    keepalive: None,
                    keepalive_timeout: None,
                    keepalive_requests: None,
                };
                for child in directive.children() {
                    match child.name.as_str() {
                        "server" => upstream
                            .servers
                            .extend(UpstreamServer::from_directive(child)),
                        "keepalive" => {
                            upstream.keepalive = Some(Setting {
                                directive: child,
                                value: child.arg(0).and_then(parse_number),
                            })
                        }
                        "keepalive_timeout" => {
                            upstream.keepalive_timeout = Some(Setting {
                                directive: child,
                                value: child.arg(0).and_then(parse_msec),
                            })
                        }
                        "keepalive_requests" => {
                            upstream.keepalive_requests = Some(Setting {
                                directive: child,
                                value: child.arg(0).and_then(parse_number),
                            })
                        }
                        _ => {}
                    }
                }
                Some(upstream)
            })
            .collect()
    }

    /// The `upstream` named `name` (case-insensitive, as nginx matches them), preferring one
    /// in the same kind of context (`http` vs `stream`).
    pub fn find_upstream<'a>(
        upstreams: &'a [Upstream<'a>],
        name: &str,
        in_stream: bool,
    ) -> Option<&'a Upstream<'a>> {
        upstreams
            .iter()
            .find(|u| u.in_stream == in_stream && u.name.eq_ignore_ascii_case(name))
    }

    /// Every pass directive ([`PASS_DIRECTIVES`]) with its target and scope.
    pub fn passes(&self) -> Vec<Pass<'_>> {
        let mut out = Vec::new();
        self.visit(|directive, chain| {
            if PASS_DIRECTIVES.contains(&directive.name.as_str()) {
                let arg = directive.args.first();
                out.push(Pass {
                    directive,
                    scope: Scope {
                        top: &self.directives,
                        chain: chain.to_vec(),
                    },
                    arg,
                    target: arg.map_or(PassTarget::Invalid, |a| PassTarget::parse(&a.value)),
                });
            }
        });
        out
    }

    /// Every `include` directive with its scope (resolve the pattern with
    /// [`super::include::resolve_include`]).
    pub fn includes(&self) -> Vec<(&Directive, Scope<'_>)> {
        let mut out = Vec::new();
        self.visit(|directive, chain| {
            if directive.name == "include" {
                out.push((
                    directive,
                    Scope {
                        top: &self.directives,
                        chain: chain.to_vec(),
                    },
                ));
            }
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::syntax::parse;
    use super::*;

    const CONF: &str = r#"
http {
    proxy_next_upstream error timeout http_502 http_503;
    proxy_set_header Host $host;
    proxy_set_header X-Real-IP $remote_addr;

    upstream app {
        server 10.0.0.1:8080 weight=5 max_fails=0 fail_timeout=30s;
        server 10.0.0.2:8080 backup;
        server unix:/run/app.sock down resolve;
        keepalive 32;
        keepalive_timeout 4s;
        keepalive_requests 500;
    }
    upstream single { server b:80; }

    server {
        listen 80;
        proxy_next_upstream error;
        location / {
            proxy_pass http://app;
        }
        location /api/ {
            proxy_set_header Connection "";
            proxy_http_version 1.1;
            proxy_next_upstream off;
            location /api/v2/ {
                proxy_pass https://APP/v2/;
            }
            if ($request_method = POST) {
                proxy_pass http://$backend;
            }
        }
        location /php {
            fastcgi_pass unix:/run/php.sock;
            grpc_pass grpc://[::1]:50051;
        }
    }
    server {
        location / { proxy_pass http://127.0.0.1:3000/x; }
    }
}
stream {
    upstream app { server db:5432; }
    server { proxy_pass app; }
}
"#;

    fn config() -> Config {
        parse(CONF).unwrap()
    }

    #[test]
    fn visit_in_file_order_with_chain() {
        let c = config();
        let mut seen = Vec::new();
        c.visit(|d, chain| {
            if d.name == "proxy_pass" {
                let names: Vec<&str> = chain.iter().map(|p| p.name.as_str()).collect();
                seen.push((d.arg(0).unwrap_or("").to_string(), names.join(">")));
            }
        });
        assert_eq!(
            seen,
            [
                ("http://app".to_string(), "http>server>location".to_string()),
                (
                    "https://APP/v2/".into(),
                    "http>server>location>location".into()
                ),
                ("http://$backend".into(), "http>server>location>if".into()),
                (
                    "http://127.0.0.1:3000/x".into(),
                    "http>server>location".into()
                ),
                ("app".into(), "stream>server".into()),
            ]
        );
    }

    #[test]
    fn contexts() {
        let c = config();
        assert_eq!(c.blocks("http").len(), 1);
        assert_eq!(c.servers().len(), 3);
        let locations = c.locations();
        assert_eq!(locations.len(), 5);
        assert_eq!(locations[2].kind(), ContextKind::Location);
        assert_eq!(locations[2].chain.len(), 4);
        assert!(locations[2].nearest(ContextKind::Server).is_some());
        assert!(!locations[2].in_stream());
        assert_eq!(Scope::top(&c).kind(), ContextKind::Main);
    }

    #[test]
    fn next_upstream_inheritance_replaces() {
        let c = config();
        let locations = c.locations();
        // location / inherits the server's `error` (which replaced http's list).
        let root = locations[0].proxy_next_upstream();
        assert_eq!(root.conditions, ["error"]);
        assert!(!root.includes("http_502"));
        assert!(!root.is_default());
        // location /api/ says off; the nested /api/v2/ inherits off.
        let v2 = locations[2].proxy_next_upstream();
        assert!(v2.is_off());
        assert!(!v2.includes("error"));
        // The second server inherits http's list.
        let other = c.servers()[1].proxy_next_upstream();
        assert!(other.includes("http_502") && other.includes("HTTP_503"));
        assert_eq!(other.condition_arg("http_503").unwrap().value, "http_503");
    }

    #[test]
    fn next_upstream_default_and_same_level_union() {
        let c = parse("location / { proxy_pass http://a; }").unwrap();
        let n = c.locations()[0].proxy_next_upstream();
        assert!(n.is_default());
        assert_eq!(n.conditions, ["error", "timeout"]);
        let c = parse(
            "location / { proxy_next_upstream error; proxy_next_upstream http_502 http_503; }",
        )
        .unwrap();
        let n = c.locations()[0].proxy_next_upstream();
        assert_eq!(n.conditions, ["error", "http_502", "http_503"]);
        assert_eq!(n.directives.len(), 2);
        let c = parse("proxy_next_upstream http_502 off;").unwrap();
        assert!(Scope::top(&c).proxy_next_upstream().is_off());
    }

    #[test]
    fn proxy_set_header_inner_replaces_all_outer() {
        let c = config();
        let locations = c.locations();
        let root = locations[0].proxy_set_headers();
        assert_eq!(root.len(), 2);
        assert!(locations[0].proxy_set_header("host").is_some());
        assert!(locations[0].proxy_set_header("Connection").is_none());
        // /api/ sets only Connection: Host and X-Real-IP are gone there and below.
        let api = locations[1].proxy_set_headers();
        assert_eq!(api.len(), 1);
        assert!(locations[2].proxy_set_header("connection").is_some());
        assert!(locations[2].proxy_set_header("Host").is_none());
        let inherited = locations[2].effective_all("proxy_set_header").unwrap();
        assert_eq!(inherited.level.unwrap().arg(0), Some("/api/"));
    }

    #[test]
    fn single_valued_effective() {
        let c = config();
        let locations = c.locations();
        assert!(locations[0].proxy_http_version().is_none());
        assert_eq!(
            locations[2].proxy_http_version().unwrap().arg(0),
            Some("1.1")
        );
    }

    #[test]
    fn upstream_summary() {
        let c = config();
        let upstreams = c.upstreams();
        assert_eq!(upstreams.len(), 3);
        let app = &upstreams[0];
        assert_eq!(app.name, "app");
        assert_eq!(app.name_span.slice(CONF), "app");
        assert!(!app.in_stream);
        assert_eq!(app.servers.len(), 3);
        let s0 = &app.servers[0];
        assert_eq!(s0.address, "10.0.0.1:8080");
        assert_eq!(s0.weight, Some(5));
        assert_eq!(s0.max_fails, Some(0));
        assert_eq!(s0.fail_timeout, Some(Duration::from_secs(30)));
        assert_eq!(
            s0.param("max_fails").unwrap().raw.slice(CONF),
            "max_fails=0"
        );
        assert!(s0.param("max").is_none());
        assert!(app.servers[1].backup);
        assert_eq!(app.servers[1].max_fails_or_default(), 1);
        assert!(app.servers[2].down && app.servers[2].resolve);
        assert_eq!(app.primary_servers().count(), 1);
        assert_eq!(app.keepalive.as_ref().unwrap().value, Some(32));
        assert_eq!(app.keepalive_timeout_or_default(), Duration::from_secs(4));
        assert_eq!(app.keepalive_requests.as_ref().unwrap().value, Some(500));
        let single = &upstreams[1];
        assert!(single.keepalive.is_none());
        assert_eq!(
            single.keepalive_timeout_or_default(),
            Duration::from_secs(60)
        );
        assert!(upstreams[2].in_stream);
        assert_eq!(
            Config::find_upstream(&upstreams, "APP", false).map(|u| u.servers.len()),
            Some(3)
        );
        assert!(
            Config::find_upstream(&upstreams, "app", true)
                .unwrap()
                .in_stream
        );
    }

    #[test]
    fn pass_targets() {
        let c = config();
        let passes = c.passes();
        let targets: Vec<(&str, &PassTarget)> = passes
            .iter()
            .map(|p| (p.directive.name.as_str(), &p.target))
            .collect();
        let host = |scheme: Option<&str>, host: &str, port: Option<u16>, path: Option<&str>| {
            PassTarget::Host {
                scheme: scheme.map(String::from),
                host: host.into(),
                port,
                path: path.map(String::from),
            }
        };
        assert_eq!(
            targets[0],
            ("proxy_pass", &host(Some("http"), "app", None, None))
        );
        assert_eq!(
            targets[1].1,
            &host(Some("https"), "APP", None, Some("/v2/"))
        );
        assert_eq!(targets[2].1, &PassTarget::Variable);
        assert_eq!(
            targets[3],
            (
                "fastcgi_pass",
                &PassTarget::Unix {
                    scheme: None,
                    path: "/run/php.sock".into()
                }
            )
        );
        assert_eq!(
            targets[4],
            ("grpc_pass", &host(Some("grpc"), "[::1]", Some(50051), None))
        );
        assert_eq!(
            targets[5].1,
            &host(Some("http"), "127.0.0.1", Some(3000), Some("/x"))
        );
        assert_eq!(targets[6].1, &host(None, "app", None, None));
        assert_eq!(passes[0].upstream_name(), Some("app"));
        assert_eq!(passes[5].upstream_name(), None);
        assert_eq!(passes[0].arg.unwrap().raw.slice(CONF), "http://app");
        assert!(passes[6].scope.in_stream());
        // The pass scope finds inherited settings.
        assert!(passes[1].scope.proxy_next_upstream().is_off());
        assert!(passes[2].scope.proxy_next_upstream().is_off());
    }

    #[test]
    fn pass_target_edge_cases() {
        assert_eq!(PassTarget::parse(""), PassTarget::Invalid);
        assert_eq!(PassTarget::parse("http://"), PassTarget::Invalid);
        assert_eq!(PassTarget::parse("http://a:notaport"), PassTarget::Invalid);
        assert_eq!(PassTarget::parse("http://unix:"), PassTarget::Invalid);
        assert_eq!(
            PassTarget::parse("http://unix:/tmp/s.sock:/uri"),
            PassTarget::Unix {
                scheme: Some("http".into()),
                path: "/tmp/s.sock".into()
            }
        );
        assert_eq!(PassTarget::parse("http://${up}"), PassTarget::Variable);
        assert!(matches!(
            PassTarget::parse("http://[::1"),
            PassTarget::Host { .. }
        ));
        assert!(matches!(
            PassTarget::parse("é://ü:1/ö"),
            PassTarget::Host { .. }
        ));
    }

    #[test]
    fn includes_listed() {
        let c = parse("http { include mime.types; server { include conf.d/*.conf; } }").unwrap();
        let includes = c.includes();
        assert_eq!(includes.len(), 2);
        assert_eq!(includes[1].0.arg(0), Some("conf.d/*.conf"));
        assert_eq!(includes[1].1.kind(), ContextKind::Server);
    }

    #[test]
    fn deep_configs_walk_without_recursion() {
        let depth = super::super::syntax::MAX_DEPTH;
        let text = format!(
            "{}proxy_pass http://a;{}",
            "location / {".repeat(depth),
            "}".repeat(depth)
        );
        let c = parse(&text).unwrap();
        let passes = c.passes();
        assert_eq!(passes[0].scope.chain.len(), depth);
        assert!(passes[0].scope.proxy_next_upstream().is_default());
    }
}
