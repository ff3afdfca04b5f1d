//! SL204 single-server-upstream: an nginx `upstream` with exactly one `server` and no
//! `backup`: while that server restarts for a deploy there is nowhere to send requests.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path};

use crate::lower::nginx::has_lua_balancer;
use crate::rules::{Reporter, RuleContext};

/// Whether an address names one process: an IP literal, `localhost` or a Unix socket, or a
/// single-label host name (a docker compose service, which resolves to its one container).
/// Dotted DNS names (`api.internal.example.com`, `app.default.svc.cluster.local`) usually
/// front several machines (a load balancer, a Kubernetes Service) and are left alone.
fn is_single_machine(address: &str) -> bool {
    if address.starts_with("unix:") {
        return true;
    }
    let host = if let Some(rest) = address.strip_prefix('[') {
        // [v6]:port
        return rest.contains(']');
    } else {
        address.rsplit_once(':').map_or(address, |(h, _)| h)
    };
    if host.parse::<std::net::Ipv4Addr>().is_ok() || host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    !host.is_empty()
        && !host.contains('.')
        && !host.contains('$')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Folders (path prefixes compared by components, as [`Path::starts_with`] does), interned:
/// each gets an id from its parent's id and its last component; the empty path is 0.
#[derive(Default)]
struct Folders<'p> {
    ids: HashMap<(usize, Component<'p>), usize>,
}

impl<'p> Folders<'p> {
    /// The ids of every prefix of `path`, the empty path first.
    fn intern(&mut self, path: &'p Path) -> Vec<usize> {
        let mut out = vec![0];
        let mut id = 0;
        for component in path.components() {
            let next = self.ids.len() + 1;
            id = *self.ids.entry((id, component)).or_insert(next);
            out.push(id);
        }
        out
    }

    /// The id of `path`, when some interned path starts with it.
    fn id(&self, path: &Path) -> Option<usize> {
        let mut id = 0;
        for component in path.components() {
            id = *self.ids.get(&(id, component))?;
        }
        Some(id)
    }
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    let scan = cx.nginx_scan();
    // Every folder a Kubernetes Service's file is under, by the Service's lowercased name:
    // looked up per single-server upstream (each upstream compared every Service of its
    // host's name with `Path::starts_with`: 20,000 upstreams × 20,000 Services took 24 s).
    let mut folders = Folders::default();
    let mut seen: HashSet<(String, crate::source::FileId)> = HashSet::new();
    let mut services: HashSet<(String, usize)> = HashSet::new();
    for service in &cx.model.services {
        let name = service.name.to_ascii_lowercase();
        if !seen.insert((name.clone(), service.location.file)) {
            continue;
        }
        for folder in folders.intern(Path::new(cx.files.path(service.location.file))) {
            services.insert((name.clone(), folder));
        }
    }
    for (at, upstream) in scan.all_upstreams() {
        // Servers may also come from an included file.
        let includes = upstream
            .directive
            .children()
            .iter()
            .any(|d| d.name == "include");
        if scan.upstream_in_stream(at)
            || has_lua_balancer(upstream)
            || includes
            || !scan.upstream_in_use(at)
        {
            continue;
        }
        let [server] = upstream.servers.as_slice() else {
            continue;
        };
        if server.backup || server.down || server.resolve || !is_single_machine(&server.address) {
            continue;
        }
        // A Kubernetes Service of that name next to the configuration (under its folder, or
        // the folder above a `nginx/`, `conf.d/`-style folder) spreads the traffic over its pods.
        let host = server
            .address
            .rsplit_once(':')
            .map_or(server.address.as_str(), |(h, _)| h);
        let nginx_path = Path::new(&scan.files[at.0].path);
        let parent = nginx_path.parent().unwrap_or(Path::new(""));
        let config_folder = parent
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| {
                matches!(
                    n,
                    "nginx"
                        | "conf.d"
                        | "sites-available"
                        | "sites-enabled"
                        | "snippets"
                        | "http.d"
                )
            });
        let near = if config_folder {
            parent.parent().unwrap_or(parent)
        } else {
            parent
        };
        if folders
            .id(near)
            .is_some_and(|near| services.contains(&(host.to_ascii_lowercase(), near)))
        {
            continue;
        }
        let message = format!(
            "upstream `{}` has a single server, `{}`, and no backup: while it restarts for a deploy nginx has nowhere else to send requests and clients get 502s",
            upstream.name, server.address,
        );
        let finding = out
            .report(scan.location(at.0, server.address_span), message)
            .primary("the only server")
            .label(
                scan.location(at.0, upstream.name_span),
                format!("upstream `{}` defined here", upstream.name),
            );
        for pass in scan.passes_to(at).take(1) {
            if let Some(arg) = pass.pass.arg {
                finding.label(
                    scan.location(pass.file, arg.raw),
                    "requests proxied to it here",
                );
            }
        }
        finding.help(
            "run at least two instances and list each with its own `server` line (or add a `server ... backup;`), then deploy them one at a time; ignore this if the name resolves to several addresses, is a load balancer, or the server reloads in place without closing its socket (unicorn or gunicorn re-exec, puma phased restart)",
        );
    }
}
