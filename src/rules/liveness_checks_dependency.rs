//! SL401 liveness-checks-dependency: a liveness probe checks a dependency (database, cache,
//! another service) instead of the process, so a dependency outage restarts every pod.
//!
//! Precision first. A database's own probe (`pg_isready` in the postgres container, `redis-cli
//! ping` in the redis container) checks the process itself and stays silent: a client fires
//! only when it is pointed at another host, written literally, set through the container's `env`
//! (`$(DB_HOST)`, `$DB_HOST`, `PGHOST`), or held in a variable the manifest does not set while
//! no container of the pod serves that database. A `tcpSocket` probe without `host` always
//! connects to the pod's own IP, so a dependency port only means a dependency when another
//! container of the pod (a proxy or cache sidecar) declares it.

use std::collections::HashMap;

use crate::diagnostic::Location;
use crate::model::{
    Container, PortRef, ProbeHandler, Process, Workload, MAX_COMMAND_WORDS,
};
use crate::rules::{Reporter, RuleContext};
use crate::shell::commands;

/// Path segments that name a dependency check.
const DEPENDENCY_SEGMENTS: &[&str] = &[
    "db",
    "database",
    "postgres",
    "postgresql",
    "mysql",
    "redis",
    "mongo",
    "mongodb",
    "deps",
    "dependencies",
    "upstream",
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

/// How a client program names the server it talks to.
#[derive(Clone, Copy, PartialEq)]
enum HostArg {
    /// `-h HOST`, `--host=HOST` (and URIs anywhere).
    Flags(&'static [&'static str]),
    /// The first operand (`nc HOST PORT`, `cqlsh HOST`).
    Operand,
    /// A URL (`curl http://HOST/…`, `wget HOST:PORT/…`).
    Url,
}

/// A client of a dependency.
struct Client {
    programs: &'static [&'static str],
    /// The server it talks to (`None`: any host).
    service: Option<&'static str>,
    /// The server's port, and words in the server's image names.
    port: u32,
    images: &'static [&'static str],
    host: HostArg,
    /// The environment variable the client reads its default host from.
    host_env: Option<&'static str>,
    /// Options that take a value (skipped when looking for operands).
    short_with_value: &'static str,
    long_with_value: &'static [&'static str],
}

const CLIENTS: &[Client] = &[
    Client {
        programs: &["pg_isready", "psql"],
        service: Some("PostgreSQL"),
        port: 5432,
        images: &[
            "postgres",
            "postgis",
            "timescale",
            "pgvector",
            "patroni",
            "spilo",
            "pgbouncer",
            "pgpool",
        ],
        host: HostArg::Flags(&["-h", "--host"]),
        host_env: Some("PGHOST"),
        short_with_value: "",
        long_with_value: &[],
    },
    Client {
        programs: &["mysqladmin", "mysql", "mariadb-admin", "mariadb"],
        service: Some("MySQL"),
        port: 3306,
        images: &["mysql", "mariadb", "percona", "galera"],
        host: HostArg::Flags(&["-h", "--host"]),
        host_env: Some("MYSQL_HOST"),
        short_with_value: "",
        long_with_value: &[],
    },
    Client {
        programs: &["redis-cli", "valkey-cli", "keydb-cli"],
        service: Some("Redis"),
        port: 6379,
        images: &["redis", "valkey", "keydb", "dragonfly"],
        host: HostArg::Flags(&["-h"]),
        host_env: None,
        short_with_value: "",
        long_with_value: &[],
    },
    Client {
        programs: &["mongo", "mongosh"],
        service: Some("MongoDB"),
        port: 27017,
        images: &["mongo"],
        host: HostArg::Flags(&["--host"]),
        host_env: None,
        short_with_value: "upf",
        long_with_value: &[
            "--eval",
            "--username",
            "--password",
            "--authenticationDatabase",
            "--port",
            "--host",
            "--file",
            "--tlsCAFile",
            "--tlsCertificateKeyFile",
            "--apiVersion",
        ],
    },
    Client {
        programs: &["cqlsh"],
        service: Some("Cassandra"),
        port: 9042,
        images: &["cassandra", "scylla"],
        host: HostArg::Operand,
        host_env: None,
        short_with_value: "upkfeb",
        long_with_value: &[
            "--username",
            "--password",
            "--keyspace",
            "--file",
            "--execute",
            "--encoding",
            "--cqlshrc",
            "--cqlversion",
            "--protocol-version",
            "--connect-timeout",
            "--request-timeout",
            "--secure-connect-bundle",
            "--credentials",
        ],
    },
    Client {
        programs: &["nc", "ncat", "netcat"],
        service: None,
        port: 0,
        images: &[],
        host: HostArg::Operand,
        host_env: None,
        short_with_value: "wipsqxXOITVMmPWe",
        long_with_value: &[
            "--wait",
            "--source",
            "--source-port",
            "--proxy",
            "--proxy-type",
            "--sh-exec",
            "--exec",
        ],
    },
    Client {
        programs: &["curl"],
        service: None,
        port: 0,
        images: &[],
        host: HostArg::Url,
        host_env: None,
        short_with_value: "HoOwdumXAebcTFxyYzEEKrQtCD",
        long_with_value: &[
            "--header",
            "--output",
            "--write-out",
            "--data",
            "--data-raw",
            "--data-binary",
            "--user",
            "--max-time",
            "--request",
            "--user-agent",
            "--referer",
            "--cookie",
            "--cookie-jar",
            "--upload-file",
            "--form",
            "--proxy",
            "--connect-timeout",
            "--retry",
            "--retry-delay",
            "--retry-max-time",
            "--cacert",
            "--cert",
            "--key",
            "--resolve",
            "--connect-to",
            "--unix-socket",
            "--interface",
            "--range",
            "--config",
            "--dump-header",
            "--speed-time",
            "--speed-limit",
            "--limit-rate",
            "--expect100-timeout",
        ],
    },
    Client {
        programs: &["wget"],
        service: None,
        port: 0,
        images: &[],
        host: HostArg::Url,
        host_env: None,
        short_with_value: "OoatTwQUeP",
        long_with_value: &[
            "--output-document",
            "--output-file",
            "--append-output",
            "--tries",
            "--timeout",
            "--wait",
            "--user-agent",
            "--header",
            "--user",
            "--password",
            "--post-data",
            "--execute",
            "--directory-prefix",
            "--dns-timeout",
            "--connect-timeout",
            "--read-timeout",
        ],
    },
];

/// Environment variable names that hold the pod's own address.
fn is_local_variable(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "POD_IP",
        "PODIP",
        "POD_NAME",
        "POD_ADDR",
        "HOSTNAME",
        "LOCALHOST",
    ]
    .iter()
    .any(|n| upper.contains(n))
}

fn is_local(host: &str) -> bool {
    let host = host.trim_matches(|c| c == '[' || c == ']');
    host.is_empty()
        || host == "localhost"
        || host.ends_with(".localhost")
        || host == "::1"
        || host == "::"
        || host.starts_with("127.")
        || host == "0.0.0.0"
        || host.starts_with('/')
}

/// Placeholders for variables while a word is resolved: the pod's own address, and a
/// variable the manifest does not set.
const LOCAL_VAR: char = '\u{1}';
const UNKNOWN_VAR: char = '\u{2}';

/// How much of a word is resolved: its host is near the start (a DNS name has at most 253
/// bytes), and the kubelet expands `$(VAR)` once per reference without a bound (100,000
/// references to a 10 KB value are a 1 GB word).
const MAX_RESOLVED_BYTES: usize = 4096;

/// How many of the variables a word was resolved through are named.
const MAX_VIA: usize = 8;

/// `text` after `out`, as much as fits in [`MAX_RESOLVED_BYTES`] (cut at a character).
fn push_bounded(out: &mut String, text: &str) {
    let room = MAX_RESOLVED_BYTES.saturating_sub(out.len());
    let mut end = room.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    out.push_str(&text[..end]);
}

/// A variable the word was resolved through, each once, the first [`MAX_VIA`].
fn push_via(used: &mut Vec<String>, name: &str) {
    if used.len() < MAX_VIA && !used.iter().any(|u| u.get(1..) == Some(name)) {
        used.push(format!("${name}"));
    }
}

/// A word with `$(VAR)` (expanded by the kubelet in exec probes from the container's `env`),
/// `${VAR}` and `$VAR` (expanded by a shell) replaced by their values from the container's
/// `env` (or a shell assignment before the command). Variables naming the pod's own address and
/// command substitutions of `hostname` become [`LOCAL_VAR`], others [`UNKNOWN_VAR`].
/// Returns the resolved word, its first [`MAX_RESOLVED_BYTES`], and the variables that were
/// substituted (each once).
///
/// The kubelet expands each reference once (a value is not expanded again) and leaves a
/// variable it does not know as written, so a word of many references to a long value is as
/// long as their product: only its start is resolved here.
fn substitute(word: &str, env: &dyn Fn(&str) -> Option<String>) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut used = Vec::new();
    let mut rest = word;
    while let Some(at) = rest.find('$') {
        if out.len() >= MAX_RESOLVED_BYTES {
            return (out, used);
        }
        push_bounded(&mut out, &rest[..at]);
        let after = &rest[at + 1..];
        let (name, len) = if let Some(inner) = after.strip_prefix('(') {
            let end = inner.find(')').unwrap_or(inner.len());
            (&inner[..end], end + 2)
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = inner.find('}').unwrap_or(inner.len());
            let body = &inner[..end];
            let name_end = body
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(body.len());
            (&body[..name_end], end + 2)
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        rest = after.get(len..).unwrap_or("");
        if name.is_empty() {
            out.push('$');
            continue;
        }
        let is_variable = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !is_variable {
            // A command substitution: `$(hostname -i)` is the pod's own address.
            out.push(if name.contains("hostname") {
                LOCAL_VAR
            } else {
                UNKNOWN_VAR
            });
        } else if is_local_variable(name) {
            out.push(LOCAL_VAR);
        } else if let Some(value) = env(name) {
            push_via(&mut used, name);
            push_bounded(&mut out, &value);
        } else {
            push_via(&mut used, name);
            out.push(UNKNOWN_VAR);
        }
    }
    push_bounded(&mut out, rest);
    (out, used)
}

/// The host part of a URL, a `host:port` word or a bare host.
fn host_of(word: &str) -> &str {
    let rest = word.split_once("://").map_or(word, |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, r)| r);
    if let Some(inner) = authority.strip_prefix('[') {
        return inner.split(']').next().unwrap_or(inner);
    }
    // A MongoDB seed list `h1:27017,h2:27017`: the first host.
    let authority = authority.split(',').next().unwrap_or(authority);
    authority.split(':').next().unwrap_or(authority)
}

/// Whether a word looks like a host name or address (`db`, `db.prod.svc:5432`, `10.0.0.7`),
/// not a SQL statement, a file or an option value.
fn looks_like_host(word: &str) -> bool {
    let host = host_of(word);
    !host.is_empty()
        && host.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | LOCAL_VAR | UNKNOWN_VAR)
        })
        && !word.contains(char::is_whitespace)
}

/// Where a client connects.
#[derive(Debug, PartialEq)]
enum Target {
    /// This container (localhost, the pod's IP, a unix socket, no host at all).
    Local,
    /// Another host, as resolved, with the variables it came from.
    Remote { host: String, via: Vec<String> },
    /// A variable the manifest does not set (`$DB_HOST` from a Secret or the image).
    Unresolved(Vec<String>),
}

fn classify(word: &str, env: &dyn Fn(&str) -> Option<String>) -> Target {
    let (resolved, via) = substitute(word, env);
    let host = host_of(&resolved);
    if host.contains(LOCAL_VAR) || is_local(host) {
        Target::Local
    } else if host.contains(UNKNOWN_VAR) {
        Target::Unresolved(via)
    } else {
        Target::Remote {
            host: host.to_string(),
            via,
        }
    }
}

/// The operands of a command (words that are not options nor option values).
fn operands<'a>(args: &'a [String], client: &Client) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut options_done = false;
    while let Some(arg) = args.get(i) {
        i += 1;
        if options_done || !arg.starts_with('-') || arg == "-" {
            out.push(arg.as_str());
            continue;
        }
        if arg == "--" {
            options_done = true;
        } else if arg.starts_with("--") {
            if !arg.contains('=') && client.long_with_value.contains(&arg.as_str()) {
                i += 1;
            }
        } else {
            // A cluster `-zvw2`: the first letter that takes a value takes the rest or the
            // next word.
            let letters: Vec<char> = arg.chars().skip(1).collect();
            if let Some(pos) = letters
                .iter()
                .position(|c| client.short_with_value.contains(*c))
            {
                if pos + 1 == letters.len() {
                    i += 1;
                }
            }
        }
    }
    out
}

/// The value of `-h HOST`, `-hHOST`, `--host HOST`, `--host=HOST`.
fn flag_value<'a>(args: &'a [String], flags: &[&str]) -> Option<&'a str> {
    args.iter().enumerate().find_map(|(i, a)| {
        flags.iter().find_map(|f| {
            if a == f {
                args.get(i + 1).map(String::as_str)
            } else if f.starts_with("--") {
                a.strip_prefix(&format!("{f}=")[..])
            } else {
                a.strip_prefix(f)
                    .filter(|v| !v.is_empty() && !a.starts_with("--"))
            }
        })
    })
}

/// A client run against something other than this container.
struct RemoteCheck {
    program: String,
    service: Option<&'static str>,
    target: Target,
    /// The word that names the host, as written (the program itself for `PGHOST`).
    anchor: String,
}

/// Skips `timeout [-s SIG] [-k D] DURATION` in front of a command.
fn skip_timeout(argv: &[String]) -> &[String] {
    if argv.first().map(|p| commands::program_name(p)) != Some("timeout") {
        return argv;
    }
    let mut i = 1;
    while let Some(a) = argv.get(i) {
        match a.as_str() {
            "-s" | "-k" | "--signal" | "--kill-after" => i += 2,
            a if a.starts_with('-') => i += 1,
            _ => break,
        }
    }
    argv.get(i + 1..).unwrap_or(&[])
}

/// The pod's containers that serve a client's database (by declared port or image name).
fn serves(container: &Container, client: &Client) -> bool {
    if container.ports.iter().any(|(p, _)| p.value == client.port) {
        return true;
    }
    let Some(image) = &container.image else {
        return false;
    };
    let name = image
        .value
        .rsplit('/')
        .next()
        .unwrap_or(&image.value)
        .to_ascii_lowercase();
    let name = name.split([':', '@']).next().unwrap_or("");
    client.images.iter().any(|i| name.contains(i))
}

fn check_client(
    argv: &[String],
    env: &dyn Fn(&str) -> Option<String>,
    pod_serves: &dyn Fn(&Client) -> bool,
) -> Option<RemoteCheck> {
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();
    let start = commands::unwrap_wrappers(&words).rest;
    let argv = skip_timeout(argv.get(start..)?);
    let program = commands::program_name(argv.first()?);
    let client = CLIENTS.iter().find(|c| c.programs.contains(&program))?;
    let args = &argv[1..];
    let mut targets: Vec<(Target, &str)> = Vec::new();
    match client.host {
        HostArg::Flags(flags) => {
            if let Some(host) = flag_value(args, flags) {
                targets.push((classify(host, env), host));
            }
            if program.starts_with("redis") {
                if let Some(uri) = flag_value(args, &["-u"]) {
                    targets.push((classify(uri, env), uri));
                }
            }
            // URIs and conninfo strings anywhere (`psql postgresql://…`, `pg_isready -d
            // "host=db"`, `mongosh mongodb://…`, `mongo db:27017/admin`).
            let mongo_operands = if program.starts_with("mongo") {
                operands(args, client)
            } else {
                Vec::new()
            };
            for arg in args {
                let (resolved, _) = substitute(arg, env);
                let is_uri = resolved.contains("://");
                let is_mongo_address = mongo_operands.contains(&arg.as_str())
                    && (resolved.contains(':') || resolved.contains('/'))
                    && looks_like_host(&resolved);
                let is_url_variable = arg.starts_with('$')
                    && ["URL", "URI", "DSN"]
                        .iter()
                        .any(|s| arg.to_ascii_uppercase().contains(s));
                if is_uri || is_mongo_address || is_url_variable {
                    targets.push((classify(arg, env), arg));
                } else if let Some(host) =
                    arg.split_whitespace().find_map(|w| w.strip_prefix("host="))
                {
                    targets.push((classify(host, env), host));
                }
            }
            if targets.is_empty() {
                if let Some((name, value)) = client.host_env.and_then(|n| env(n).map(|v| (n, v))) {
                    let target = match classify(&value, env) {
                        Target::Remote { host, mut via } => {
                            via.insert(0, name.to_string());
                            Target::Remote { host, via }
                        }
                        other => other,
                    };
                    targets.push((target, argv[0].as_str()));
                }
            }
        }
        HostArg::Operand => {
            let host = operands(args, client).into_iter().find(|w| {
                let (resolved, _) = substitute(w, env);
                looks_like_host(&resolved) && !resolved.chars().all(|c| c.is_ascii_digit())
            });
            if let Some(host) = host {
                targets.push((classify(host, env), host));
            }
        }
        HostArg::Url => {
            // The connection goes to a unix socket or an address given by hand, not to the
            // URL's host.
            let redirected = [
                "--unix-socket",
                "--abstract-unix-socket",
                "--resolve",
                "--connect-to",
            ];
            if args
                .iter()
                .any(|a| redirected.iter().any(|r| a.starts_with(r)))
            {
                return None;
            }
            let operands = operands(args, client);
            let url = operands.iter().find(|w| w.contains("://")).or_else(|| {
                operands.iter().find(|w| {
                    let (resolved, _) = substitute(w, env);
                    looks_like_host(&resolved) && (resolved.contains(':') || resolved.contains('/'))
                })
            });
            if let Some(url) = url {
                targets.push((classify(url, env), url));
            }
        }
    }
    let (target, anchor) = targets
        .into_iter()
        .find(|(t, _)| !matches!(t, Target::Local))?;
    // A host the manifest does not set is a dependency only for a known database client in a
    // pod where no container is that database; for nc/curl it may well be the pod's own IP.
    if let Target::Unresolved(_) = &target {
        if client.service.is_none() || pod_serves(client) {
            return None;
        }
    }
    Some(RemoteCheck {
        program: program.to_string(),
        service: client.service,
        target,
        anchor: anchor.to_string(),
    })
}

/// A dependency client in an exec probe: the argv itself, or each command of `sh -c "…"`.
/// What the probes of a pod ask about the whole pod, worked out once per workload, when first
/// asked: asking it for every probe would scan the pod once per container (a pod of 16,000
/// containers).
struct Pod<'w> {
    workload: &'w Workload,
    /// Per entry of [`CLIENTS`], whether a container of the pod serves its database.
    serves: std::cell::OnceCell<Vec<bool>>,
    /// Per port, the first container of the pod that declares it, and where.
    port_owners: std::cell::OnceCell<std::collections::HashMap<u32, (&'w str, Option<Location>)>>,
}

impl<'w> Pod<'w> {
    fn new(workload: &'w Workload) -> Self {
        Pod {
            workload,
            serves: std::cell::OnceCell::new(),
            port_owners: std::cell::OnceCell::new(),
        }
    }

    /// Whether a container of the pod serves `client`'s database.
    fn serves(&self, client: &Client) -> bool {
        let served = self.serves.get_or_init(|| {
            let containers = || {
                self.workload
                    .processes
                    .iter()
                    .filter_map(|p| p.container.as_ref())
            };
            CLIENTS
                .iter()
                .map(|client| containers().any(|c| serves(c, client)))
                .collect()
        });
        CLIENTS
            .iter()
            .position(|c| std::ptr::eq(c, client))
            .and_then(|i| served.get(i).copied())
            .unwrap_or_else(|| {
                self.workload
                    .processes
                    .iter()
                    .filter_map(|p| p.container.as_ref())
                    .any(|c| serves(c, client))
            })
    }

    /// The first container of the pod that declares `port`, with the port's location.
    fn port_owner(&self, port: u32) -> Option<(&'w str, Option<Location>)> {
        let workload = self.workload;
        self.port_owners
            .get_or_init(|| {
                let mut owners = std::collections::HashMap::new();
                for p in &workload.processes {
                    for (declared, _) in p.container.iter().flat_map(|c| &c.ports) {
                        owners
                            .entry(declared.value)
                            .or_insert((p.name.as_str(), declared.location));
                    }
                }
                owners
            })
            .get(&port)
            .copied()
    }
}

fn remote_client(argv: &[String], process: &Process, pod: &Pod<'_>) -> Option<RemoteCheck> {
    let pod_serves = |client: &Client| pod.serves(client);
    // The container's `env` by name, the last entry winning (as `Process::env_var` finds it):
    // one lookup per variable, not a walk of the list.
    let env_by_name: HashMap<&str, Option<&str>> = process
        .env
        .iter()
        .map(|e| (e.name.as_str(), e.value.as_deref()))
        .collect();
    let container_env = |name: &str| env_by_name.get(name).copied().flatten().map(str::to_string);
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();
    if let Some(shell) = commands::shell_c(&words) {
        let payload = words.get(shell.payload_index)?;
        let script = crate::shell::parse(payload).ok()?;
        return crate::shell::all_simple_commands(&script).find_map(|c| {
            // `A=1 A=2 cmd`: the last assignment wins, as in the shell.
            let assignments: HashMap<&str, &str> = c
                .assignments
                .iter()
                .filter_map(|a| a.assignment())
                .collect();
            let env = |name: &str| {
                assignments
                    .get(name)
                    .map(|v| v.to_string())
                    .or_else(|| container_env(name))
            };
            // A command is judged by its first words, as everywhere in the model.
            let argv: Vec<String> = c
                .argv()
                .iter()
                .take(MAX_COMMAND_WORDS)
                .map(|s| s.to_string())
                .collect();
            check_client(&argv, &env, &pod_serves)
        });
    }
    check_client(argv, &container_env, &pod_serves)
}

/// The host word inside the probe's `command` (after the program name), when it is written
/// there as is; else the program name; else the whole command.
fn narrow(
    files: &crate::source::Files,
    command: Location,
    program: &str,
    anchor: &str,
) -> Location {
    let text = files.text(command.file);
    let text = command.span.slice(&text);
    let after_program = text.find(program).unwrap_or(0);
    let found = text[after_program..]
        .find(anchor)
        .filter(|_| !anchor.is_empty())
        .map(|i| (after_program + i, anchor.len()))
        .or_else(|| text.find(program).map(|i| (i, program.len())));
    match found {
        Some((at, len)) => {
            let start = command.span.start + at;
            Location::new(command.file, crate::span::Span::new(start, start + len))
        }
        None => command,
    }
}

/// A finding: where, what the probe does, and what follows.
struct Finding {
    location: Location,
    what: String,
    consequence: String,
    primary: String,
    extra_label: Option<(Location, String)>,
    /// Help for the sidecar case (`None`: the general help).
    help: Option<String>,
}

fn remote_consequence(host: &str) -> String {
    format!("when `{host}` is down or unreachable, every pod fails liveness at once and is restarted in a loop that does not fix it")
}

fn exec_finding(
    check: RemoteCheck,
    command: Location,
    files: &crate::source::Files,
) -> Option<Finding> {
    let location = narrow(files, command, &check.program, &check.anchor);
    let service = check.service.map_or(String::new(), |s| format!("{s} at "));
    let quoted = |via: &[String]| {
        via.iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(match check.target {
        Target::Remote { host, via } => {
            let via = if via.is_empty() {
                String::new()
            } else {
                format!(" (from {})", quoted(&via))
            };
            Finding {
                location,
                what: format!(
                    "runs `{}` against {service}`{host}`{via}, not against this container",
                    check.program
                ),
                consequence: remote_consequence(&host),
                primary: format!("checks {service}`{host}`"),
                extra_label: None,
                help: None,
            }
        }
        Target::Unresolved(via) => {
            let var = quoted(&via);
            let service = check.service.map_or(String::new(), |s| format!("{s} "));
            Finding {
                location,
                what: format!(
                    "runs `{}` against the {service}host in {var}, and no container of this pod is that database",
                    check.program
                ),
                consequence: "when that database is down or unreachable, every pod fails liveness at once and is restarted in a loop that does not fix it".into(),
                primary: format!("checks the {service}server in {var}"),
                extra_label: None,
                help: None,
            }
        }
        Target::Local => return None,
    })
}

fn check_probe(
    process: &Process,
    container: &Container,
    pod: &Pod<'_>,
    files: &crate::source::Files,
) -> Option<Finding> {
    let probe = container.liveness.as_ref()?;
    match &probe.handler {
        ProbeHandler::HttpGet {
            host: Some(host), ..
        } if !is_local(host) && !host.contains('$') => Some(Finding {
            location: probe.location,
            what: format!("sends its HTTP check to another host (`{host}`), not to this container"),
            consequence: remote_consequence(host),
            primary: format!("checks `{host}`"),
            extra_label: None,
            help: None,
        }),
        ProbeHandler::HttpGet {
            path: Some(path), ..
        } => {
            let without_query = path.value.split(['?', '#']).next().unwrap_or("");
            let segment = without_query.split('/').find(|segment| {
                DEPENDENCY_SEGMENTS.contains(&segment.to_ascii_lowercase().as_str())
            })?;
            Some(Finding {
                location: path.location.unwrap_or(probe.location),
                what: format!("checks `{}`, whose `{segment}` path segment names a dependency", path.value),
                consequence: "when that dependency is down or slow, every pod fails liveness at once and is restarted in a loop that does not fix it".into(),
                primary: "dependency check in a liveness probe".into(),
                extra_label: None,
                help: None,
            })
        }
        ProbeHandler::Exec { argv, location } => remote_client(argv, process, pod)
            .and_then(|check| exec_finding(check, *location, files)),
        ProbeHandler::TcpSocket {
            host: Some(host),
            port,
        } if !is_local(host) && !host.contains('$') => {
            let port = match port.as_ref().map(|p| &p.value) {
                Some(PortRef::Number(n)) => format!(":{n}"),
                _ => String::new(),
            };
            Some(Finding {
                location: probe.location,
                what: format!("opens a TCP connection to another host (`{host}{port}`), not to this container"),
                consequence: remote_consequence(host),
                primary: format!("checks `{host}{port}`"),
                extra_label: None,
                help: None,
            })
        }
        ProbeHandler::TcpSocket {
            port: Some(port),
            host: None,
        } => {
            // Without `host` the kubelet connects to the pod's IP: the port is this container's
            // (declared or not) unless another container of the pod declares it.
            let PortRef::Number(n) = port.value else {
                return None;
            };
            let (_, service) = DEPENDENCY_PORTS.iter().find(|(p, _)| *p == n)?;
            if container.ports.iter().any(|(p, _)| p.value == n) {
                return None;
            }
            // This container does not declare it: the first that does is another.
            let (sibling, declared) = pod.port_owner(n)?;
            Some(Finding {
                location: port.location.unwrap_or(probe.location),
                what: format!("opens a TCP connection to port {n} ({service}), which container `{sibling}` of the same pod serves, not this one"),
                consequence: format!("this container is restarted whenever `{sibling}` is down or restarting, and never when it hangs itself"),
                primary: format!("port {n} of container `{sibling}`"),
                extra_label: declared.map(|l| (l, format!("port {n} is declared by container `{sibling}`"))),
                help: Some(format!("probe a port or endpoint that this container serves itself, and give `{sibling}` its own liveness probe")),
            })
        }
        _ => None,
    }
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
        let pod = Pod::new(workload);
        for process in &workload.processes {
            let Some(container) = &process.container else {
                continue;
            };
            let Some(probe) = &container.liveness else {
                continue;
            };
            let Some(finding) = check_probe(process, container, &pod, cx.files) else {
                continue;
            };
            let diagnostic = out.report(
                finding.location,
                format!(
                    "the liveness probe of container `{}` {}: {}",
                    process.name, finding.what, finding.consequence
                ),
            );
            diagnostic.primary(finding.primary);
            if finding.location != probe.location {
                diagnostic.label(probe.location, "liveness probe");
            }
            if let Some((location, message)) = finding.extra_label {
                diagnostic.label(location, message);
            }
            diagnostic.help(finding.help.unwrap_or_else(|| "liveness should only ask \"is this process stuck?\" (e.g. a /livez answered by the process itself); check dependencies in the readinessProbe, or not at all".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn target(words: &[&str], env: &[(&str, &str)]) -> Option<Target> {
        let env = |name: &str| {
            env.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        };
        check_client(&argv(words), &env, &|_| false).map(|c| c.target)
    }

    fn remote(host: &str) -> Option<Target> {
        Some(Target::Remote {
            host: host.into(),
            via: Vec::new(),
        })
    }

    #[test]
    fn database_clients_against_themselves_are_local() {
        assert_eq!(target(&["pg_isready", "-U", "postgres"], &[]), None);
        assert_eq!(target(&["pg_isready", "-h", "127.0.0.1"], &[]), None);
        assert_eq!(
            target(&["pg_isready", "-h", "/var/run/postgresql"], &[]),
            None
        );
        assert_eq!(target(&["redis-cli", "ping"], &[]), None);
        assert_eq!(
            target(&["redis-cli", "-h", "$(hostname -i)", "ping"], &[]),
            None
        );
        assert_eq!(target(&["mysqladmin", "ping", "-hlocalhost"], &[]), None);
        assert_eq!(
            target(
                &["cqlsh", "-u", "cassandra", "-e", "describe keyspaces"],
                &[]
            ),
            None
        );
        assert_eq!(
            target(&["mongosh", "--eval", "db.runCommand({ping: 1})"], &[]),
            None
        );
    }

    #[test]
    fn remote_hosts_are_found() {
        assert_eq!(target(&["pg_isready", "-h", "db"], &[]), remote("db"));
        assert_eq!(
            target(&["mysqladmin", "ping", "--host=mysql-primary"], &[]),
            remote("mysql-primary")
        );
        assert_eq!(
            target(
                &[
                    "timeout",
                    "3",
                    "redis-cli",
                    "-u",
                    "redis://:pw@cache:6379/0",
                    "ping"
                ],
                &[]
            ),
            remote("cache")
        );
        assert_eq!(
            target(
                &[
                    "psql",
                    "postgresql://app@orders-db:5432/app",
                    "-c",
                    "SELECT 1"
                ],
                &[]
            ),
            remote("orders-db")
        );
        assert_eq!(
            target(&["nc", "-z", "-w", "2", "kafka", "9092"], &[]),
            remote("kafka")
        );
        assert_eq!(
            target(&["cqlsh", "cassandra-seed", "9042"], &[]),
            remote("cassandra-seed")
        );
    }

    #[test]
    fn variables_are_resolved_from_env() {
        let via = |host: &str, var: &str| {
            Some(Target::Remote {
                host: host.into(),
                via: vec![var.into()],
            })
        };
        assert_eq!(
            target(
                &["pg_isready", "-h", "$(DB_HOST)"],
                &[("DB_HOST", "db.prod")]
            ),
            via("db.prod", "$DB_HOST")
        );
        assert_eq!(
            target(&["pg_isready"], &[("PGHOST", "db.prod")]),
            via("db.prod", "PGHOST")
        );
        assert_eq!(
            target(&["pg_isready", "-h", "$DB_HOST"], &[]),
            Some(Target::Unresolved(vec!["$DB_HOST".into()]))
        );
        assert_eq!(target(&["pg_isready", "-h", "$(POD_IP)"], &[]), None);
        assert_eq!(
            target(
                &["redis-cli", "-h", "$(POD_NAME).redis-headless", "ping"],
                &[]
            ),
            None
        );
    }

    /// `$(A)` 100,000 times with a 1 KB value: a 100 MB word for the kubelet. Its start is
    /// resolved, and the variable is named once.
    #[test]
    fn many_references_to_a_long_value_resolve_the_start() {
        let value = "a".repeat(1000);
        let word = "$(A)".repeat(100_000);
        let env = |name: &str| (name == "A").then(|| value.clone());
        let (resolved, via) = substitute(&word, &env);
        assert_eq!(resolved.len(), MAX_RESOLVED_BYTES);
        assert_eq!(via, ["$A"]);
        match target(&["pg_isready", "-h", &word], &[("A", &value)]) {
            Some(Target::Remote { host, via }) => {
                assert_eq!(host.len(), MAX_RESOLVED_BYTES);
                assert_eq!(via, ["$A"]);
            }
            other => panic!("{other:?}"),
        }
        // Unset variables are named once each, the first few.
        let word: String = (0..10_000).map(|i| format!("$(V{i})")).collect();
        let (_, via) = substitute(&word, &|_| None);
        assert_eq!(via.len(), MAX_VIA);
        // A multi-byte value is cut at a character.
        let (resolved, _) = substitute(&"$(B)".repeat(5000), &|_| Some("é".into()));
        assert!(resolved.len() <= MAX_RESOLVED_BYTES && resolved.chars().all(|c| c == 'é'));
    }

    #[test]
    fn curl_options_are_not_hosts() {
        assert_eq!(
            target(&["curl", "-f", "http://localhost:8080/healthz"], &[]),
            None
        );
        assert_eq!(
            target(
                &[
                    "curl",
                    "-H",
                    "Host: api.example.com",
                    "-u",
                    "admin:1234",
                    "http://127.0.0.1/"
                ],
                &[]
            ),
            None
        );
        assert_eq!(
            target(&["curl", "-sf", "http://localhost:${PORT}/healthz"], &[]),
            None
        );
        assert_eq!(
            target(&["curl", "-sf", "http://$API_HOST/healthz"], &[]),
            None
        );
        assert_eq!(
            target(
                &[
                    "curl",
                    "--unix-socket",
                    "/run/app.sock",
                    "http://app/health"
                ],
                &[]
            ),
            None
        );
        assert_eq!(target(&["curl", "http://redis:6379"], &[]), remote("redis"));
        assert_eq!(
            target(&["wget", "-qO-", "inventory:8080/healthz"], &[]),
            remote("inventory")
        );
    }
}
