//! SL204 single-server-upstream: an nginx `upstream` with exactly one `server` and no
//! `backup`: while that server restarts for a deploy there is nowhere to send requests.

use std::collections::HashMap;
use std::path::Path;

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

/// The Kubernetes Services of the scan by lowercased name, for asking whether one of a name is
/// in a file under a folder. Files sorted by path (components, as [`Path`] orders them) put
/// each folder's files in one run, so the question is two binary searches.
struct ServicesByFolder<'p> {
    /// The files holding Services, sorted by path.
    paths: Vec<&'p Path>,
    /// Per name, the places in `paths` of its Services' files, sorted.
    by_name: HashMap<String, Vec<usize>>,
}

impl<'p> ServicesByFolder<'p> {
    fn new(cx: &RuleContext<'p>) -> Self {
        let mut files: Vec<crate::source::FileId> =
            cx.model.services.iter().map(|s| s.location.file).collect();
        files.sort_unstable();
        files.dedup();
        let mut paths: Vec<(&Path, crate::source::FileId)> = files
            .into_iter()
            .map(|file| (Path::new(cx.files.path(file)), file))
            .collect();
        paths.sort();
        let place: HashMap<crate::source::FileId, usize> = paths
            .iter()
            .enumerate()
            .map(|(i, &(_, file))| (file, i))
            .collect();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for service in &cx.model.services {
            if let Some(&at) = place.get(&service.location.file) {
                by_name
                    .entry(service.name.to_ascii_lowercase())
                    .or_default()
                    .push(at);
            }
        }
        for places in by_name.values_mut() {
            places.sort_unstable();
            places.dedup();
        }
        ServicesByFolder {
            paths: paths.into_iter().map(|(path, _)| path).collect(),
            by_name,
        }
    }

    /// Whether a Service named `name` (lowercased) is in a file whose path starts with
    /// `folder` (by components, as [`Path::starts_with`]).
    fn has(&self, name: &str, folder: &Path) -> bool {
        let Some(places) = self.by_name.get(name) else {
            return false;
        };
        let first = self.paths.partition_point(|p| *p < folder);
        let end = first
            + self.paths[first..].partition_point(|p| p.starts_with(folder));
        let at = places.partition_point(|&i| i < first);
        places.get(at).is_some_and(|&i| i < end)
    }
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    let scan = cx.nginx_scan();
    // Looked up per single-server upstream (each upstream compared every Service of its
    // host's name with `Path::starts_with`: 20,000 upstreams × 20,000 Services took 24 s), made
    // when the first one asks.
    let mut services: Option<ServicesByFolder<'_>> = None;
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
        if services
            .get_or_insert_with(|| ServicesByFolder::new(cx))
            .has(&host.to_ascii_lowercase(), near)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    /// Asking the sorted files gives what `Path::starts_with` over every Service gives.
    #[test]
    fn services_by_folder_agrees_with_starts_with() {
        const PARTS: [&str; 4] = ["a", "b", "a.b", "a-"];
        let mut rng = Rng(0x5e4_f01d);
        for _ in 0..200 {
            let mut owned: Vec<(String, String)> = Vec::new();
            for _ in 0..rng.below(12) {
                let depth = 1 + rng.below(4);
                let path: Vec<&str> = (0..depth).map(|_| PARTS[rng.below(4)]).collect();
                let name = ["app", "api"][rng.below(2)].to_string();
                owned.push((format!("{}/svc.yaml", path.join("/")), name));
            }
            let mut paths: Vec<&Path> = owned.iter().map(|(p, _)| Path::new(p)).collect();
            paths.sort();
            paths.dedup();
            let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
            for (path, name) in &owned {
                let at = paths
                    .iter()
                    .position(|p| *p == Path::new(path))
                    .expect("a path");
                by_name.entry(name.clone()).or_default().push(at);
            }
            for places in by_name.values_mut() {
                places.sort_unstable();
                places.dedup();
            }
            let index = ServicesByFolder { paths, by_name };
            for folder in ["", "a", "b", "a/a", "a.b", "a-/b", "b/a/a", "a/b/a.b/a", "c"] {
                for name in ["app", "api", "web"] {
                    let expected = owned
                        .iter()
                        .any(|(p, n)| n == name && Path::new(p).starts_with(folder));
                    assert_eq!(
                        index.has(name, Path::new(folder)),
                        expected,
                        "{name} under {folder:?} in {owned:?}"
                    );
                }
            }
        }
    }
}
