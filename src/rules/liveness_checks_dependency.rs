//! SL401 liveness-checks-dependency: a liveness probe checks a dependency (database, cache,
//! another service) instead of the process, so a dependency outage restarts every pod.

use crate::model::{Container, PortRef, ProbeHandler};
use crate::rules::{Reporter, RuleContext};
use crate::shell::commands;

/// Path segments that name a dependency check.
const DEPENDENCY_SEGMENTS: &[&str] = &[
    "db", "database", "postgres", "postgresql", "mysql", "redis", "mongo", "mongodb", "deps",
    "dependencies", "upstream",
];

/// Well-known ports of dependencies, with their name.
const DEPENDENCY_PORTS: &[(u32, &str)] = &[
    (5432, "PostgreSQL"),
    (3306, "MySQL"),
    (6379, "Redis"),
    (27017, "MongoDB"),
    (9042, "Cassandra"),
    (5672, "RabbitMQ"),
    (9092, "Kafka"),
];

/// Dependency clients and the option that names the host they connect to.
const CLIENTS: &[(&str, &[&str])] = &[
    ("pg_isready", &["-h", "--host"]),
    ("psql", &["-h", "--host"]),
    ("mysqladmin", &["-h", "--host"]),
    ("mysql", &["-h", "--host"]),
    ("redis-cli", &["-h"]),
    ("mongo", &["--host"]),
    ("mongosh", &["--host"]),
    ("cqlsh", &[]),
    ("nc", &[]),
    ("curl", &[]),
    ("wget", &[]),
];

fn is_local(host: &str) -> bool {
    let host = host.trim_matches(|c| c == '[' || c == ']');
    host.is_empty()
        || host == "localhost"
        || host == "::1"
        || host.starts_with("127.")
        || host == "0.0.0.0"
        || host.starts_with("$(POD_IP)")
        || host.starts_with("${POD_IP")
        || host.starts_with("$POD_IP")
}

/// The host part of a URL or `host:port` word.
fn host_of(word: &str) -> &str {
    let rest = word.split_once("://").map_or(word, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.starts_with('[') {
        return authority.split(']').next().unwrap_or(authority);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// A dependency client run against another host, as `client → host`.
fn remote_client(argv: &[String]) -> Option<String> {
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();
    // `sh -c "pg_isready -h db"`: look at each command of the string.
    if let Some(shell) = commands::shell_c(&words) {
        let payload = words.get(shell.payload_index)?;
        let script = crate::shell::parse(payload).ok()?;
        return crate::shell::all_simple_commands(&script).find_map(|c| {
            let argv: Vec<String> = c.argv().iter().map(|s| s.to_string()).collect();
            remote_client_simple(&argv)
        });
    }
    remote_client_simple(argv)
}

fn remote_client_simple(argv: &[String]) -> Option<String> {
    let program = commands::program_name(argv.first()?);
    let (_, host_flags) = CLIENTS.iter().find(|(name, _)| *name == program)?;
    let args = &argv[1..];
    let host = match program {
        "nc" => args.iter().find(|a| !a.starts_with('-')).map(|a| a.as_str()),
        "cqlsh" => args.iter().find(|a| !a.starts_with('-')).map(|a| host_of(a)),
        "curl" | "wget" => args
            .iter()
            .find(|a| a.contains("://") || (!a.starts_with('-') && a.contains(':')))
            .map(|a| host_of(a)),
        "mongo" | "mongosh" => args
            .iter()
            .find(|a| a.starts_with("mongodb://") || a.starts_with("mongodb+srv://"))
            .map(|a| host_of(a))
            .or_else(|| flag_value(args, host_flags)),
        _ => flag_value(args, host_flags),
    }?;
    (!is_local(host) && !host.contains('$')).then(|| format!("{program} → {host}"))
}

fn flag_value<'a>(args: &'a [String], flags: &[&str]) -> Option<&'a str> {
    args.iter().enumerate().find_map(|(i, a)| {
        flags.iter().find_map(|f| {
            if a == f {
                args.get(i + 1).map(String::as_str)
            } else {
                a.strip_prefix(f).map(|v| v.trim_start_matches('='))
            }
        })
    })
}

fn declares_port(container: &Container, port: u32) -> bool {
    container.ports.iter().any(|(p, _)| p.value == port)
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        for process in &workload.processes {
            let Some(container) = &process.container else {
                continue;
            };
            let Some(probe) = &container.liveness else {
                continue;
            };
            let finding = match &probe.handler {
                ProbeHandler::HttpGet { path: Some(path), host, .. } if host.as_deref().is_none_or(is_local) => {
                    let without_query = path.value.split('?').next().unwrap_or("");
                    without_query
                        .split('/')
                        .find(|segment| DEPENDENCY_SEGMENTS.contains(&segment.to_ascii_lowercase().as_str()))
                        .map(|segment| {
                            (
                                path.location.unwrap_or(probe.location),
                                format!("checks `{}`: the `{segment}` path segment names a dependency", path.value),
                            )
                        })
                }
                ProbeHandler::Exec { argv, location } => remote_client(argv)
                    .map(|client| (*location, format!("runs a dependency client ({client})"))),
                ProbeHandler::TcpSocket { host: Some(host), .. } if !is_local(host) && !host.contains('$') => {
                    Some((probe.location, format!("opens a TCP connection to another host ({host})")))
                }
                ProbeHandler::TcpSocket { port: Some(port), .. } => {
                    match &port.value {
                        PortRef::Number(n) if !declares_port(container, *n) => DEPENDENCY_PORTS
                            .iter()
                            .find(|(p, _)| p == n)
                            .map(|(_, name)| {
                                (
                                    port.location.unwrap_or(probe.location),
                                    format!("opens a TCP connection to port {n} ({name}), which the container does not serve"),
                                )
                            }),
                        _ => None,
                    }
                }
                _ => None,
            };
            let Some((location, what)) = finding else {
                continue;
            };
            let diagnostic = out.report(
                location,
                format!(
                    "the liveness probe of container `{}` {what}: when the dependency is down every pod fails liveness and is restarted in a loop",
                    process.name
                ),
            );
            diagnostic.primary("dependency check in a liveness probe");
            diagnostic.label(probe.location, "liveness probe");
            diagnostic.help("liveness should only ask \"is this process stuck?\" (e.g. /livez answered by the process itself); check dependencies in the readinessProbe, or not at all");
        }
    }
}
