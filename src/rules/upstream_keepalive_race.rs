//! SL206 upstream-keepalive-race: an upstream keeps idle connections to its backends but
//! (a) the location proxying to it silently disables keep-alive (HTTP/1.0 or `Connection:
//! close` upstream), or (b) its `keepalive_timeout` is not shorter than the backends' idle
//! timeout, so nginx reuses connections the backend is closing and the client gets a 502.
//!
//! nginx 1.29.7 (2026-03-24; stable 1.30.0) changed the defaults: `proxy_http_version` 1.1, no
//! `Connection` header sent upstream, and `keepalive 32` in every `upstream` block. Without
//! `[nginx] version` the rule assumes the older defaults (nginx 1.28 and earlier: Debian 12 and
//! Ubuntu 24.04 ship 1.22 and 1.24) and says so; the fix it suggests is correct on both.

use std::path::Path;
use std::time::Duration;

use crate::diagnostic::Location;
use crate::formats::nginx::{defaults, ContextKind, Directive};
use crate::lower::nginx::{
    describe_block, detect_images, parse_config_duration, show_duration, DetectedImage, Entry,
    Lookup, Only, PerLevel, Scan, ScanPass, Version,
};
use crate::rules::{Reporter, RuleContext};

/// The backend idle timeout when not configured: Node.js `server.keepAliveTimeout` (5s).
const DEFAULT_BACKEND_IDLE: Duration = Duration::from_secs(5);

/// Which nginx defaults apply to a file, and why.
#[derive(Clone)]
struct Assumption {
    /// HTTP/1.1, no `Connection` header and keepalive in every upstream by default.
    new_defaults: bool,
    /// "before nginx 1.29.7", "on nginx 1.24.0", "on nginx:1.25-alpine".
    legacy_phrase: String,
    /// "nginx 1.29.7+", "nginx 1.30.0", "nginx:alpine".
    new_phrase: String,
    /// The Dockerfile `FROM` line the version was read from.
    image: Option<Location>,
    /// Neither `[nginx] version` nor an image says which nginx runs the file.
    unconfigured: bool,
}

impl Assumption {
    fn new(configured: Option<Version>, image: Option<&DetectedImage>) -> Assumption {
        if let Some(v) = configured {
            return Assumption {
                new_defaults: v.has_new_upstream_defaults(),
                legacy_phrase: format!("defaults of nginx {v}"),
                new_phrase: format!("nginx {v}"),
                image: None,
                unconfigured: false,
            };
        }
        if let Some(image) = image {
            return Assumption {
                new_defaults: image.version.has_new_upstream_defaults(),
                legacy_phrase: match &image.newer {
                    None => format!("defaults of `{}`, older than nginx 1.29.7", image.image),
                    // Built or run at versions on both sides: true for the older one.
                    Some(newer) => format!(
                        "defaults of `{}`, older than nginx 1.29.7: true in the container of that image; it also runs on `{newer}`, whose defaults differ",
                        image.image
                    ),
                },
                new_phrase: format!("`{}` (nginx 1.29.7 or later)", image.image),
                image: image.location,
                unconfigured: false,
            };
        }
        Assumption {
            new_defaults: false,
            legacy_phrase: "defaults before nginx 1.29.7".to_string(),
            new_phrase: "nginx 1.29.7+".to_string(),
            image: None,
            unconfigured: true,
        }
    }

    fn legacy_phrase(&self) -> String {
        self.legacy_phrase.clone()
    }
}

/// Why keep-alive does not happen for one pass.
struct Disabled {
    reasons: Vec<String>,
    /// Related places: (location, label).
    labels: Vec<(Location, String)>,
    fixes: Vec<String>,
    /// A reason depends on the defaults before nginx 1.29.7.
    legacy_default: bool,
    /// Groups passes with the same cause.
    key: String,
}

enum Status {
    /// Connections are kept alive.
    Works,
    /// The pass kind cannot keep connections (uwsgi, scgi).
    NotApplicable,
    Disabled(Disabled),
    /// An include of unknown content could change it.
    Unknown,
    /// The blocks that include the pass's file set this differently: not judged, with a note
    /// when the upstream asks for keep-alive.
    Disagree(&'static str),
}

fn same(a: Option<&Directive>, b: Option<&Directive>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => std::ptr::eq(a, b),
        (None, None) => true,
        _ => false,
    }
}

fn is_connection(d: &Directive) -> bool {
    d.arg(0)
        .is_some_and(|h| h.eq_ignore_ascii_case("connection"))
}

/// The last `proxy_set_header Connection` among the `proxy_set_header` lines of a level, found
/// once per level (every pass under an `http` block of 40,000 lines used to read them all) and
/// once per included file's lines (each `location` with its own line beside the `include`
/// read them all).
type ConnectionAt<'a> = PerLevel<'a, Option<Entry<'a>>>;

/// Why a value is not known.
enum Unsure {
    /// An include of unknown content could set it.
    Unknown,
    /// The include paths (the blocks that include the file) set it differently.
    Disagree,
}

/// The effective single value of a directive over every include path (`Ok(None)`: the default
/// on every path).
fn single<'a>(lookups: Vec<Lookup<'a>>) -> Result<Option<(Entry<'a>, String)>, Unsure> {
    let mut result: Option<Option<(Entry<'a>, String)>> = None;
    for lookup in lookups {
        let value = match lookup {
            Lookup::Unknown => return Err(Unsure::Unknown),
            Lookup::Default => None,
            Lookup::Set { entries, .. } => {
                let entry = *entries.last().ok_or(Unsure::Unknown)?;
                Some((entry, entry.directive.arg(0).unwrap_or("").to_string()))
            }
        };
        match &result {
            None => result = Some(value),
            Some(previous) => {
                let same = match (previous, &value) {
                    (None, None) => true,
                    (Some(a), Some(b)) => a.1 == b.1,
                    _ => false,
                };
                if !same {
                    return Err(Unsure::Disagree);
                }
            }
        }
    }
    result.ok_or(Unsure::Unknown)
}

fn proxy_status<'a>(
    scan: &Scan<'a>,
    p: &ScanPass<'a>,
    assume: &Assumption,
    connection_at: &mut ConnectionAt<'a>,
) -> Status {
    let scope = &p.pass.scope;
    let here = scope.block();
    let mut reasons = Vec::new();
    let mut labels = Vec::new();
    let mut fixes = Vec::new();
    let mut key = String::new();

    // proxy_http_version. When the blocks that include the file disagree on it, keep-alive
    // may still be off on every path: when none of them clears the `Connection` header.
    let version = match single(scan.lookup(p.file, scope, "proxy_http_version")) {
        Ok(version) => Some(version),
        Err(Unsure::Unknown) => return Status::Unknown,
        Err(Unsure::Disagree) => None,
    };
    match &version {
        None => {}
        Some(None) if !assume.new_defaults => {
            reasons.push("proxy_http_version defaults to 1.0".to_string());
            fixes.push(
                "add `proxy_http_version 1.1;` to this location or an enclosing block".to_string(),
            );
            key.push_str("v:default;");
        }
        Some(Some((entry, value))) if value == "1.0" => {
            reasons.push(
                "`proxy_http_version 1.0` closes the connection after every response".to_string(),
            );
            labels.push((
                scan.entry_location(entry),
                "proxy_http_version 1.0 set here".to_string(),
            ));
            fixes.push("change `proxy_http_version 1.0` to `1.1`".to_string());
            key.push_str(&format!("v:{:?};", entry.directive.span));
        }
        _ => {}
    }

    // proxy_set_header Connection: the innermost level with any proxy_set_header wins whole.
    let headers = scan.lookup(p.file, scope, "proxy_set_header");
    let mut connection: Option<Result<Option<Entry<'a>>, ()>> = None;
    let mut effective_level = None;
    let mut unknown = false;
    for lookup in headers {
        let value = match lookup {
            Lookup::Unknown => {
                unknown = true;
                Err(())
            }
            Lookup::Default => Ok(None),
            Lookup::Set { entries, level } => {
                if effective_level.is_none() {
                    effective_level = entries.first().map(|e| (level, *e));
                }
                // Per level and per included file's list the levels share (the last one
                // of the later part wins).
                Ok(*connection_at.fold(
                    &entries,
                    &|entries: &[Entry<'a>]| {
                        entries
                            .iter()
                            .rev()
                            .find(|e| is_connection(e.directive))
                            .copied()
                    },
                    &|before, after: &Option<Entry<'a>>| after.or(before),
                ))
            }
        };
        connection = match (connection, value) {
            (None, v) => Some(v),
            (Some(Ok(None)), Ok(None)) => Some(Ok(None)),
            (Some(Ok(Some(a))), Ok(Some(b))) if a.directive.arg(1) == b.directive.arg(1) => {
                Some(Ok(Some(a)))
            }
            _ => Some(Err(())),
        };
    }
    let connection = match connection {
        Some(Ok(connection)) => connection,
        Some(Err(())) if !unknown => {
            return match version {
                // HTTP/1.0 on every path: off whatever the header.
                Some(_) if !reasons.is_empty() => disabled(p, scope, reasons, labels, fixes, key),
                Some(_) => Status::Disagree("the `Connection` header"),
                None => Status::Disagree("proxy_http_version"),
            }
        }
        _ => return Status::Unknown,
    };
    match connection {
        None if !assume.new_defaults => {
            // Is a `Connection ""` further out hidden by this level's own proxy_set_header?
            let outer =
                scan.lookup_where(p.file, scope, "proxy_set_header", Only::FirstArg("connection"));
            let hidden = outer.iter().find_map(|l| match l {
                Lookup::Set { entries, level } => Some((*entries.last()?, *level)),
                _ => None,
            });
            // Only an outer `Connection ""` is worth naming (it would have kept connections).
            let hidden = hidden
                .filter(|(entry, _)| entry.directive.arg(1).is_some_and(|v| v.trim().is_empty()));
            match (hidden, effective_level) {
                (Some((entry, _)), Some((level, first))) => {
                    let block = describe_block(level.block);
                    let block = if level.file == p.file && same(level.block, here) {
                        format!("this {}", block.trim_start_matches("the "))
                    } else {
                        block
                    };
                    reasons.push(format!(
                        "nginx sends `Connection: close` because {block} sets its own proxy_set_header lines, so the outer `proxy_set_header Connection \"\"` is not inherited"
                    ));
                    labels.push((
                        scan.entry_location(&entry),
                        "not inherited: an inner block sets its own proxy_set_header lines"
                            .to_string(),
                    ));
                    labels.push((
                        scan.entry_location(&first),
                        "proxy_set_header lines here replace all inherited ones".to_string(),
                    ));
                    fixes.push(format!(
                        "repeat `proxy_set_header Connection \"\";` in {block}, next to its other proxy_set_header lines"
                    ));
                    key.push_str(&format!("c:hidden:{:?};", entry.directive.span));
                }
                _ => {
                    reasons.push(
                        "nginx sends `Connection: close` because no `proxy_set_header Connection \"\"` is in effect"
                            .to_string(),
                    );
                    fixes.push("add `proxy_set_header Connection \"\";` to this location (or to the server block, if no location in it sets its own proxy_set_header lines)".to_string());
                    key.push_str("c:default;");
                }
            }
        }
        Some(entry) => {
            let value = entry.directive.arg(1).unwrap_or("");
            let trimmed = value.trim();
            if trimmed.eq_ignore_ascii_case("close") {
                reasons.push("`proxy_set_header Connection close` asks the backend to close every connection".to_string());
                labels.push((
                    scan.entry_location(&entry),
                    "Connection: close set here".to_string(),
                ));
                fixes.push("change it to `proxy_set_header Connection \"\";`".to_string());
                key.push_str(&format!("c:{:?};", entry.directive.span));
            } else if trimmed.starts_with('$')
                && trimmed[1..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                if let Some(mapped) = scan.map_value_for_plain_requests(p.file, trimmed) {
                    if mapped.value.trim().eq_ignore_ascii_case("close") {
                        reasons.push(format!(
                            "`proxy_set_header Connection {trimmed}` sends `Connection: close` on every request without an `{}` header",
                            header_name(mapped.source)
                        ));
                        labels.push((
                            scan.entry_location(&entry),
                            "Connection header set here".to_string(),
                        ));
                        labels.push((
                            scan.location(mapped.file, mapped.entry.span),
                            format!("`{trimmed}` is `close` for ordinary requests"),
                        ));
                        fixes.push(format!(
                            "map the empty value to `\"\"` instead of `close` in the `map` of `{trimmed}` (`'' \"\";`)"
                        ));
                        key.push_str(&format!("c:{:?};", entry.directive.span));
                    }
                }
            }
        }
        None => {}
    }

    if reasons.is_empty() {
        return match version {
            Some(_) => Status::Works,
            // Whether HTTP/1.1 is in effect decides it, and the blocks disagree on that.
            None => Status::Disagree("proxy_http_version"),
        };
    }
    disabled(p, scope, reasons, labels, fixes, key)
}

/// A pass whose keep-alive is off, for `reasons` (see [`Disabled`]).
fn disabled(
    p: &ScanPass<'_>,
    scope: &crate::formats::nginx::Scope<'_>,
    reasons: Vec<String>,
    labels: Vec<(Location, String)>,
    fixes: Vec<String>,
    key: String,
) -> Status {
    let server = scope.nearest(ContextKind::Server).map(|s| s.span);
    Status::Disabled(Disabled {
        legacy_default: key.contains(":default;") || key.contains(":hidden:"),
        reasons,
        labels,
        fixes,
        key: format!("{}|{:?}|{key}", p.file, server),
    })
}

/// `$http_upgrade` → `Upgrade`.
fn header_name(variable: &str) -> String {
    let name = variable.trim_start_matches('$');
    let name = name.strip_prefix("http_").unwrap_or(name);
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn fastcgi_status<'a>(scan: &Scan<'a>, p: &ScanPass<'a>) -> Status {
    let keep = match single(scan.lookup(p.file, &p.pass.scope, "fastcgi_keep_conn")) {
        Ok(keep) => keep,
        Err(Unsure::Unknown) => return Status::Unknown,
        Err(Unsure::Disagree) => return Status::Disagree("fastcgi_keep_conn"),
    };
    match keep {
        Some((_, value)) if value.eq_ignore_ascii_case("on") => Status::Works,
        other => {
            let mut labels = Vec::new();
            let reason = match &other {
                Some((entry, _)) => {
                    labels.push((
                        scan.entry_location(entry),
                        "fastcgi_keep_conn off set here".to_string(),
                    ));
                    "`fastcgi_keep_conn` is off, so nginx asks the FastCGI server to close the connection after every request"
                }
                None => "`fastcgi_keep_conn` is not set (default off), so nginx asks the FastCGI server to close the connection after every request",
            };
            let server = p.pass.scope.nearest(ContextKind::Server).map(|s| s.span);
            Status::Disabled(Disabled {
                reasons: vec![reason.to_string()],
                labels,
                fixes: vec![
                    "add `fastcgi_keep_conn on;` to this location or an enclosing block"
                        .to_string(),
                ],
                legacy_default: false,
                key: format!("{}|{:?}|fastcgi", p.file, server),
            })
        }
    }
}

fn status<'a>(
    scan: &Scan<'a>,
    p: &ScanPass<'a>,
    assume: &Assumption,
    connection_at: &mut ConnectionAt<'a>,
) -> Status {
    if scan.returns_before_pass(&p.pass) {
        return Status::NotApplicable;
    }
    match p.pass.directive.name.as_str() {
        "proxy_pass" => proxy_status(scan, p, assume, connection_at),
        "fastcgi_pass" => fastcgi_status(scan, p),
        "grpc_pass" | "memcached_pass" => Status::Works,
        _ => Status::NotApplicable,
    }
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    let scan = cx.nginx_scan();
    let configured = cx.config.nginx.version.as_deref().and_then(Version::parse);
    let images = detect_images(cx.model, scan);
    let assumptions: Vec<Assumption> = images
        .iter()
        .map(|image| Assumption::new(configured, image.as_ref()))
        .collect();
    let configured_idle = cx
        .config
        .nginx
        .backend_idle_timeout
        .as_deref()
        .and_then(parse_config_duration);
    let idle = configured_idle.unwrap_or(DEFAULT_BACKEND_IDLE);
    let mut connection_at = ConnectionAt::default();
    // Per pass (index into `scan.passes`): its status, worked out once (a pass of a file that
    // several configurations share counts for the upstream of each).
    let mut statuses: Vec<Option<Status>> = Vec::new();
    statuses.resize_with(scan.passes.len(), || None);
    let mut status_of = |p: usize, statuses: &mut Vec<Option<Status>>| {
        if let Some(slot @ None) = statuses.get_mut(p) {
            let pass = &scan.passes[p];
            *slot = Some(status(scan, pass, &assumptions[pass.file], &mut connection_at));
        }
        p
    };
    // Per list of upstreams (one per configuration sharing a file): whether a pass that
    // refers to it keeps connections, or may.
    let mut set_keeps: std::collections::HashMap<usize, bool> = std::collections::HashMap::new();
    // Made when the first upstream asks.
    let mut backends: Option<Backends<'_>> = None;
    for set in scan.shared_sets() {
        let keeps = scan.set_passes(set).iter().any(|&p| {
            let p = status_of(p, &mut statuses);
            // A pass whose blocks disagree is not judged (a note says so): it may keep
            // connections in one configuration only, so it does not make another's race.
            matches!(statuses[p], Some(Status::Works | Status::Unknown))
        });
        set_keeps.insert(set, keeps);
    }

    for (at, upstream) in scan.all_upstreams() {
        if scan.upstream_in_stream(at) {
            continue;
        }
        let explicit = match &upstream.keepalive {
            Some(setting) => match setting.value {
                Some(0) | None => continue,
                Some(_) => Some(setting.directive),
            },
            None => None,
        };
        let upstream_assume = &assumptions[at.0];
        if explicit.is_none() && !upstream_assume.new_defaults {
            continue;
        }
        // The passes that name it; those of files that several configurations share (each
        // with its own upstream of the name) are reported below, once per file, not once per
        // upstream.
        let direct: Vec<usize> = scan
            .direct_passes(at)
            .iter()
            .map(|&p| status_of(p, &mut statuses))
            .collect();
        let passes: Vec<&ScanPass<'_>> = direct.iter().map(|&p| &scan.passes[p]).collect();
        let statuses: Vec<&Status> = direct.iter().filter_map(|&p| statuses[p].as_ref()).collect();
        let shared = scan.sets_holding(at);
        let timeout = match &upstream.keepalive_timeout {
            Some(setting) => match setting.value {
                Some(value) => value,
                None => continue,
            },
            None => defaults::UPSTREAM_KEEPALIVE_TIMEOUT,
        };
        // The backends the scan runs under the upstream's host names, when they say it.
        let backend = backends
            .get_or_insert_with(|| Backends::new(cx))
            .idle_of(upstream, &scan.files[at.0].path);
        let (idle, backend_source) = match &backend {
            Some(BackendIdle::Timeout(value, source, _)) => (*value, Some(source.as_str())),
            _ => (idle, None),
        };
        // Without keep-alive on the backend's side no idle connection is left to race.
        let races = timeout >= idle && !matches!(backend, Some(BackendIdle::NoKeepAlive(_)));
        let keeps_alive = statuses
            .iter()
            .any(|s| matches!(s, Status::Works | Status::Unknown))
            || shared
                .iter()
                .any(|set| set_keeps.get(set).copied().unwrap_or(true));
        // An upstream no pass names is used only through a variable (`proxy_pass
        // http://$backend`), if at all.
        let reachable_by_variable =
            passes.is_empty() && shared.is_empty() && scan.has_variable_pass_near(at.0);
        let report_race = races && (keeps_alive || (reachable_by_variable && explicit.is_some()));

        // (a) keep-alive asked for with `keepalive` but disabled where requests are proxied.
        if let Some(keepalive) = explicit {
            let hint = (races && !report_race).then_some(idle);
            report_disabled(
                scan,
                out,
                &assumptions,
                &passes,
                &statuses,
                &[(at, keepalive)],
                hint,
                None,
            );
        }

        // (b) the idle timeout race, where connections are actually kept.
        if !report_race {
            continue;
        }
        let comparison = if timeout == idle {
            "as long as"
        } else {
            "longer than"
        };
        let idle_source = match backend_source {
            Some(source) => source.to_string(),
            None => match (&cx.config.nginx.backend_idle_timeout, configured_idle) {
                (Some(_), Some(_)) => "`[nginx] backend-idle-timeout`".to_string(),
                (Some(raw), None) => format!(
                    "`[nginx] backend-idle-timeout = \"{raw}\"` is not a duration, so the Node.js default is assumed"
                ),
                (None, _) => {
                    "assumed: the Node.js default; set `[nginx] backend-idle-timeout`".to_string()
                }
            },
        };
        let (location, primary, how) = match (&upstream.keepalive_timeout, explicit) {
            (Some(setting), _) => (
                setting
                    .directive
                    .args
                    .first()
                    .map_or(setting.directive.span, |a| a.raw),
                "idle upstream connections are kept this long",
                format!("`keepalive_timeout {}`", show_duration(timeout)),
            ),
            (None, Some(keepalive)) => (
                keepalive.span,
                "keepalive_timeout is not set: 60s",
                "keepalive_timeout defaults to 60s".to_string(),
            ),
            (None, None) => (
                upstream.name_span,
                "keeps idle connections by default",
                format!(
                    "{} keeps up to {} idle connections per worker to every upstream without a `keepalive` line, and keepalive_timeout defaults to 60s",
                    upstream_assume.new_phrase,
                    defaults::IMPLICIT_UPSTREAM_KEEPALIVE
                ),
            ),
        };
        let message = format!(
            "upstream `{}` keeps idle connections {comparison} the backend's idle timeout ({} vs {}, {idle_source}): {how}, so nginx can send a request on a connection the backend is closing and the client gets a 502",
            upstream.name,
            show_duration(timeout),
            show_duration(idle),
        );
        let suggestion = idle
            .checked_sub(Duration::from_secs(1))
            .filter(|d| !d.is_zero())
            .unwrap_or(idle / 2);
        let finding = out
            .report(scan.location(at.0, location), message)
            .primary(primary);
        if let (Some(_), Some(keepalive)) = (&upstream.keepalive_timeout, explicit) {
            finding.label(
                scan.location(at.0, keepalive.span),
                "keepalive enabled here",
            );
        }
        if explicit.is_none() {
            if let Some(from) = upstream_assume.image {
                finding.label(from, "nginx version taken from this image");
            }
        }
        for p in scan.passes_to(at).take(1) {
            let span = p.pass.arg.map_or(p.pass.directive.span, |a| a.raw);
            finding.label(scan.location(p.file, span), "requests proxied to it here");
        }
        if let Some(BackendIdle::Timeout(_, _, command)) = &backend {
            finding.label(*command, "the backend's idle timeout comes from this command");
        }
        finding.help(format!(
            "set `keepalive_timeout {};` in upstream `{}` (shorter than the backend's idle timeout), or raise the backend's (Node.js `server.keepAliveTimeout`, uvicorn `--timeout-keep-alive`, gunicorn `--keep-alive`, Go `http.Server.IdleTimeout`)",
            show_duration(suggestion),
            upstream.name
        ));
    }

    // (a) for the passes of a file that several configurations share, each with its own
    // upstream of the name: reported once, at the pass, for the upstreams that ask for
    // keep-alive (in a configuration whose upstream does not, nothing is disabled; in those
    // that do, it is, whatever the others say). When not all do, the configurations that do
    // are named.
    for set in scan.shared_sets() {
        let members = scan.set_by_path(set);
        let asking: Vec<((usize, usize), &Directive)> = members
            .iter()
            .filter(|&&at| !scan.upstream_in_stream(at))
            .filter_map(|&at| match &scan.upstream(at).keepalive {
                Some(setting) if !matches!(setting.value, Some(0) | None) => {
                    Some((at, setting.directive))
                }
                _ => None,
            })
            .collect();
        if asking.is_empty() {
            continue;
        }
        // The hint about the idle timeout when every one of them races.
        let races = asking.iter().all(|&(at, _)| {
            match &scan.upstream(at).keepalive_timeout {
                Some(setting) => setting.value.is_some_and(|t| t >= idle),
                None => defaults::UPSTREAM_KEEPALIVE_TIMEOUT >= idle,
            }
        });
        let indices: Vec<usize> = scan
            .set_passes(set)
            .iter()
            .map(|&p| status_of(p, &mut statuses))
            .collect();
        let passes: Vec<&ScanPass<'_>> = indices.iter().map(|&p| &scan.passes[p]).collect();
        let these: Vec<&Status> = indices.iter().filter_map(|&p| statuses[p].as_ref()).collect();
        // The passes of a list share their configurations (the list is per list of them).
        let named = match passes.first() {
            Some(first) if asking.len() < members.len() => {
                let mut configurations: Vec<usize> = asking
                    .iter()
                    .flat_map(|&(at, _)| scan.configurations_with(first.file, at))
                    .collect();
                configurations.sort_unstable();
                configurations.dedup();
                Some(scan.name_configurations(&configurations, first.file))
            }
            _ => None,
        };
        report_disabled(
            scan,
            out,
            &assumptions,
            &passes,
            &these,
            &asking,
            races.then_some(idle),
            named.as_deref(),
        );
    }
}

/// What the backends of an upstream do with idle keep-alive connections, read from the
/// processes the scan runs under the upstream's host names.
#[derive(Debug, Clone, PartialEq)]
enum BackendIdle {
    /// They close every connection after its response (gunicorn's sync worker).
    NoKeepAlive(String),
    /// They close idle connections after this long; where that comes from (as the message
    /// says it, and the command that says it).
    Timeout(Duration, String, Location),
}

/// The backends the scan runs under a host name: compose services by their name (the host
/// name other services of their project reach them by), with the folder of their compose file.
/// Each server is looked up by the folders above its nginx file, so 20,000 upstreams naming
/// `web` beside 20,000 projects with a `web` service cost no product.
///
/// Kubernetes Services are not read: a large scan keeps only some pod templates in the model
/// (the others are lowered again for the per-workload rules), so which pods a Service selects
/// is not known to a rule that looks across the scan, and findings must not depend on it.
struct Backends<'m> {
    /// (name, folder of the compose file) → its definitions.
    compose: std::collections::HashMap<(String, &'m Path), Vec<&'m crate::model::Workload>>,
}

impl<'m> Backends<'m> {
    fn new(cx: &RuleContext<'m>) -> Self {
        let mut compose: std::collections::HashMap<(String, &Path), Vec<_>> =
            std::collections::HashMap::new();
        for workload in &cx.model.workloads {
            if let Some(service) = &workload.compose {
                let folder = Path::new(cx.files.path(workload.location.file))
                    .parent()
                    .unwrap_or(Path::new(""));
                compose
                    .entry((service.name.to_ascii_lowercase(), folder))
                    .or_default()
                    .push(workload);
            }
        }
        Backends { compose }
    }

    /// What the backends of `upstream` (in the nginx file at `path`) do, when every server
    /// names a compose service of a project whose folder holds the file and every definition
    /// of each says the same; `None` otherwise.
    fn idle_of(
        &self,
        upstream: &crate::formats::nginx::Upstream<'_>,
        path: &str,
    ) -> Option<BackendIdle> {
        let path = Path::new(path);
        let mut result: Option<BackendIdle> = None;
        for server in upstream.servers.iter().filter(|s| !s.down) {
            let mut key = (compose_host(&server.address)?, Path::new(""));
            let mut found = false;
            for folder in path.ancestors().skip(1) {
                key.1 = folder;
                for workload in self.compose.get(&key).into_iter().flatten() {
                    found = true;
                    let idle = workload_idle(workload, &format!("compose service {}", key.0))?;
                    match &result {
                        None => result = Some(idle),
                        Some(previous) if same_idle(previous, &idle) => {}
                        Some(_) => return None,
                    }
                }
            }
            // A server whose host is no service of the file's project: not known.
            if !found {
                return None;
            }
        }
        result
    }
}

/// Two readings that say the same (the source named may differ: the first is kept).
fn same_idle(a: &BackendIdle, b: &BackendIdle) -> bool {
    match (a, b) {
        (BackendIdle::NoKeepAlive(_), BackendIdle::NoKeepAlive(_)) => true,
        (BackendIdle::Timeout(x, ..), BackendIdle::Timeout(y, ..)) => x == y,
        _ => false,
    }
}

/// The host of a `server` address that can be a compose service's name (`web:8000`, `web`),
/// lowercased; `None` for IP addresses, dotted names, sockets and variables.
fn compose_host(address: &str) -> Option<String> {
    if address.starts_with("unix:") {
        return None;
    }
    let host = address.rsplit_once(':').map_or(address, |(h, _)| h);
    let plain = !host.is_empty()
        && host.parse::<std::net::Ipv4Addr>().is_err()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !host.eq_ignore_ascii_case("localhost");
    plain.then(|| host.to_ascii_lowercase())
}

/// What the one main process of a compose service does with idle connections.
fn workload_idle(workload: &crate::model::Workload, place: &str) -> Option<BackendIdle> {
    let mut main = workload
        .processes
        .iter()
        .filter(|p| p.role == crate::model::ProcessRole::Main);
    let (Some(process), None) = (main.next(), main.next()) else {
        return None;
    };
    let main = process.analysis.as_ref()?.main.as_ref()?;
    let argv: Vec<&str> = main.argv.iter().map(String::as_str).collect();
    server_idle(process, &argv, place, main.location)
}

/// The value of `--flag N`, `--flag=N` (and `-kN`, `-k N` for a short `flag`) among `args`:
/// `Some(None)` when the flag is there but its value is missing.
fn flag_value<'a>(args: &[&'a str], flags: &[&str]) -> Option<Option<&'a str>> {
    let mut found = None;
    let mut i = 0;
    while let Some(&word) = args.get(i) {
        if word == "--" {
            break;
        }
        for flag in flags {
            if word == *flag {
                found = Some(args.get(i + 1).copied());
                i += 1;
            } else if let Some(value) = word
                .strip_prefix(flag)
                .and_then(|rest| {
                    if flag.starts_with("--") {
                        rest.strip_prefix('=')
                    } else {
                        Some(rest.strip_prefix('=').unwrap_or(rest))
                    }
                })
                .filter(|v| !v.is_empty())
            {
                found = Some(Some(value));
            }
        }
        i += 1;
    }
    found
}

/// Whole seconds as a server flag takes them (`75`, `2.5` for uvicorn and hypercorn).
fn flag_seconds(value: Option<&str>) -> Option<Duration> {
    crate::shell::commands::parse_seconds(value?).map(Duration::from_secs_f64)
}

/// The idle timeout of a recognised server from its command line and its documented default.
/// `None` when it cannot be told: another server, a config file or environment that may set it.
fn server_idle(
    process: &crate::model::Process,
    argv: &[&str],
    place: &str,
    at: Location,
) -> Option<BackendIdle> {
    use crate::model::EnvLookup;
    use crate::shell::commands::{server, ServerKind};
    let found = server(argv)?;
    let args = argv.get(found.index + 1..).unwrap_or(&[]);
    let has = |flags: &[&str]| flag_value(args, flags).is_some();
    match found.kind {
        // uvicorn docs/settings.md: `--timeout-keep-alive <int>`, "Default: 5"; every setting
        // may also come from a `UVICORN_` environment variable.
        ServerKind::Uvicorn => match flag_value(args, &["--timeout-keep-alive"]) {
            Some(value) => {
                let raw = value?;
                let seconds = flag_seconds(Some(raw))?;
                Some(BackendIdle::Timeout(
                    seconds,
                    format!("uvicorn --timeout-keep-alive {raw} in {place}"),
                    at,
                ))
            }
            None => match process.env_lookup("UVICORN_TIMEOUT_KEEP_ALIVE") {
                EnvLookup::Unset => Some(BackendIdle::Timeout(
                    Duration::from_secs(5),
                    format!("uvicorn's default --timeout-keep-alive in {place}"),
                    at,
                )),
                _ => None,
            },
        },
        // gunicorn settings: `-k/--worker-class` (default `sync`), `--keep-alive INT` (default
        // 2): "sync worker does not support persistent connections and will ignore this
        // option"; `--threads` (default 1) above 1 turns sync into gthread ("If you try to use
        // the sync worker type and set the threads setting to more than 1, the gthread worker
        // type will be used instead"). A config file (`-c`, the default `./gunicorn.conf.py`)
        // or `GUNICORN_CMD_ARGS` may set any of them.
        ServerKind::Gunicorn => {
            if has(&["-c", "--config", "--paste", "--paster"])
                || process.default_config_file
                || !matches!(process.env_lookup("GUNICORN_CMD_ARGS"), EnvLookup::Unset)
            {
                return None;
            }
            let threads: u64 = match flag_value(args, &["--threads"]) {
                None => 1,
                Some(value) => value?.trim().parse().ok()?,
            };
            let worker = match flag_value(args, &["-k", "--worker-class"]) {
                None => "sync",
                Some(value) => value?,
            };
            let (worker, which) = match worker {
                "sync" if threads > 1 => ("gthread", format!("the gthread worker that --threads {threads} selects")),
                other => (other, format!("the {other} worker")),
            };
            match worker {
                "sync" => Some(BackendIdle::NoKeepAlive(format!(
                    "gunicorn's sync worker closes every connection after its response, in {place}"
                ))),
                "gthread" | "gevent" | "eventlet" => match flag_value(args, &["--keep-alive"]) {
                    Some(value) => {
                        let raw = value?;
                        let seconds = flag_seconds(Some(raw))?;
                        Some(BackendIdle::Timeout(
                            seconds,
                            format!("gunicorn --keep-alive {raw} in {place}"),
                            at,
                        ))
                    }
                    None => Some(BackendIdle::Timeout(
                        Duration::from_secs(2),
                        format!("gunicorn's default --keep-alive for {which} in {place}"),
                        at,
                    )),
                },
                _ => None,
            }
        }
        // hypercorn: `--keep-alive` sets `keep_alive_timeout`, default `5 * SECONDS`
        // (src/hypercorn/config.py); a config file (`-c`) may set it.
        ServerKind::Hypercorn => {
            if has(&["-c", "--config"]) {
                return None;
            }
            match flag_value(args, &["--keep-alive"]) {
                Some(value) => {
                    let raw = value?;
                    let seconds = flag_seconds(Some(raw))?;
                    Some(BackendIdle::Timeout(
                        seconds,
                        format!("hypercorn --keep-alive {raw} in {place}"),
                        at,
                    ))
                }
                None => Some(BackendIdle::Timeout(
                    Duration::from_secs(5),
                    format!("hypercorn's default --keep-alive in {place}"),
                    at,
                )),
            }
        }
        // Node.js sets `server.keepAliveTimeout` in code, puma `persistent_timeout` in
        // `config/puma.rb`: not told by the command line.
        _ => None,
    }
}

/// At most this many upstreams of other configurations are labelled on a finding about a file
/// they share (the last label says how many more there are).
const MAX_OTHER_UPSTREAMS: usize = 4;

/// Part (a): the passes among `passes` whose keep-alive is disabled, grouped by cause, one
/// finding per group. `upstreams` are the upstream the passes send requests to with its
/// `keepalive` line, or one per configuration that includes their file (sorted by path: the
/// first is named). `hint`: the backend idle timeout, when the idle timeout also races but is
/// not reported because no connection is kept. `named`: the configurations that include the
/// passes' file and ask for keep-alive, when not all of them do.
#[allow(clippy::too_many_arguments)]
fn report_disabled(
    scan: &Scan<'_>,
    out: &mut Reporter<'_>,
    assumptions: &[Assumption],
    passes: &[&ScanPass<'_>],
    statuses: &[&Status],
    upstreams: &[((usize, usize), &Directive)],
    hint: Option<Duration>,
    named: Option<&str>,
) {
    let Some(&(at, keepalive)) = upstreams.first() else {
        return;
    };
    let upstream = scan.upstream(at);
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    // Key → index into `groups` (which keeps the order of the first passes).
    let mut group_of: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, s) in statuses.iter().enumerate() {
        // Not judged: a suppression at the pass may be right (SL001 does not call it unused).
        if let (Status::Disagree(_) | Status::Unknown, Some(p)) = (s, passes.get(i)) {
            let span = p.pass.arg.map_or(p.pass.directive.span, |a| a.raw);
            out.unjudged(scan.location(p.file, span));
        }
        if let (Status::Disagree(what), Some(p)) = (s, passes.get(i)) {
            // Once per file and setting (the scan keeps each note once).
            let (blocks, settle) = scan.disagreement(p.file);
            scan.note(format!(
                "{}: {} set {what} differently, so whether keep-alive to upstream `{}` works for its passes cannot be told; SL206 does not judge them: set it in the location itself{}",
                scan.files[p.file].path,
                blocks,
                upstream.name,
                settle,
            ));
        }
        if let Status::Disabled(d) = s {
            match group_of.get(d.key.as_str()).and_then(|&g| groups.get_mut(g)) {
                Some(g) => g.1.push(i),
                None => {
                    group_of.insert(d.key.as_str(), groups.len());
                    groups.push((d.key.clone(), vec![i]));
                }
            }
        }
    }
    for (_, members) in groups {
        let first = members[0];
        let Status::Disabled(disabled) = statuses[first] else {
            continue;
        };
        let p = passes[first];
        let span = p.pass.arg.map_or(p.pass.directive.span, |a| a.raw);
        let assume = &assumptions[p.file];
        let which = if let Some(named) = named {
            format!("upstream `{}` in {named}", upstream.name)
        } else if upstreams.len() == 1 {
            format!("upstream `{}`", upstream.name)
        } else {
            format!(
                "upstream `{}` (in each of the {} configurations that include this file and define it)",
                upstream.name,
                upstreams.len()
            )
        };
        let mut message = format!(
            "keep-alive to {which} is silently disabled here although it sets `keepalive`: {}",
            disabled.reasons.join("; ")
        );
        if disabled.legacy_default {
            message.push_str(&format!(" ({})", assume.legacy_phrase()));
        }
        let mut help = disabled.fixes.join("; ");
        if disabled.legacy_default {
            help.push_str(" (HTTP/1.1 without a `Connection` header is the default from nginx 1.29.7 on, so this is right for every version");
            if assume.unconfigured {
                help.push_str("; if you only run 1.29.7 or later, set `[nginx] version` in .shutdownlint.toml");
            }
            help.push(')');
        }
        if let Some(idle) = hint {
            help.push_str(&format!(
                "; once keep-alive works, also set `keepalive_timeout` below the backend's idle timeout ({})",
                show_duration(idle)
            ));
        }
        let finding = out
            .report(scan.location(p.file, span), message)
            .primary(format!("proxied to upstream `{}`", upstream.name))
            .label(
                scan.location(at.0, keepalive.span),
                format!("keepalive enabled for upstream `{}` here", upstream.name),
            );
        let others = upstreams.len() - 1;
        for (i, &(other, line)) in upstreams.iter().skip(1).take(MAX_OTHER_UPSTREAMS).enumerate() {
            let more = others - i - 1;
            let mut text = format!(
                "and for upstream `{}` here, in another configuration that includes this file",
                scan.upstream(other).name
            );
            if i + 1 == MAX_OTHER_UPSTREAMS && more > 0 {
                text.push_str(&format!("; and {more} more such upstreams"));
            }
            finding.label(scan.location(other.0, line.span), text);
        }
        for (location, text) in &disabled.labels {
            finding.label(*location, text.clone());
        }
        if let Some(from) = assume.image {
            finding.label(from, "nginx version taken from this image");
        }
        for &other in members.iter().skip(1).take(8) {
            let o = passes[other];
            let span = o.pass.arg.map_or(o.pass.directive.span, |a| a.raw);
            finding.label(
                scan.location(o.file, span),
                "also proxied there with the same settings",
            );
        }
        finding.help(help);
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Selection};
    use crate::source::FileKind;
    use crate::{InputFile, Settings};

    /// The nginx files `(path, text)` linted together.
    fn lint(files: &[(&str, &str)]) -> crate::Report {
        let settings = Settings::new(Config::default(), Selection::all());
        let inputs = files
            .iter()
            .map(|(display, text)| InputFile {
                display: display.to_string(),
                kind: FileKind::Nginx,
                text: text.to_string(),
                dir: None,
            })
            .collect();
        crate::lint_inputs(inputs, &settings)
    }

    #[test]
    fn flag_values_are_read_in_every_spelling() {
        use super::flag_value;
        let args = ["app:app", "--timeout-keep-alive", "75", "-kgevent"];
        assert_eq!(flag_value(&args, &["--timeout-keep-alive"]), Some(Some("75")));
        assert_eq!(flag_value(&args, &["-k", "--worker-class"]), Some(Some("gevent")));
        assert_eq!(flag_value(&["--keep-alive=9"], &["--keep-alive"]), Some(Some("9")));
        assert_eq!(flag_value(&["-k", "gthread"], &["-k"]), Some(Some("gthread")));
        // Missing value; a longer flag sharing the prefix; past `--`.
        assert_eq!(flag_value(&["--keep-alive"], &["--keep-alive"]), Some(None));
        assert_eq!(flag_value(&["--keep-alive-x=3"], &["--keep-alive"]), None);
        assert_eq!(flag_value(&["--", "--keep-alive", "3"], &["--keep-alive"]), None);
    }

    #[test]
    fn compose_hosts_are_plain_names() {
        use super::compose_host;
        assert_eq!(compose_host("web:8000").as_deref(), Some("web"));
        assert_eq!(compose_host("Web").as_deref(), Some("web"));
        for address in [
            "10.0.0.3:80",
            "localhost:3000",
            "api.internal:80",
            "unix:/run/app.sock",
            "$backend",
            "[::1]:80",
        ] {
            assert_eq!(compose_host(address), None, "{address}");
        }
    }

    /// A compose project of a backend running `command` and nginx 1.30 proxying to it.
    fn compose_project(command: &str) -> crate::Report {
        let settings = Settings::new(Config::default(), Selection::all());
        let compose = format!(
            "services:\n  web:\n    image: registry.example.com/shop/web:1\n    command: {command}\n  nginx:\n    image: nginx:1.30-alpine\n    volumes:\n      - ./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro\n"
        );
        let nginx = "upstream web {\n  server web:8000;\n}\nserver {\n  listen 80;\n  location / { proxy_pass http://web; }\n}\n";
        let inputs = vec![
            InputFile {
                display: "compose.yaml".to_string(),
                kind: FileKind::Compose,
                text: compose,
                dir: None,
            },
            InputFile {
                display: "nginx/default.conf".to_string(),
                kind: FileKind::Nginx,
                text: nginx.to_string(),
                dir: None,
            },
        ];
        crate::lint_inputs(inputs, &settings)
    }

    fn race_message(report: &crate::Report) -> Option<String> {
        report
            .diagnostics
            .iter()
            .find(|d| d.code == "SL206")
            .map(|d| d.message.to_string())
    }

    #[test]
    fn the_idle_timeout_is_read_from_the_backend_service() {
        let cases = [
            ("uvicorn app:app --timeout-keep-alive 75", None),
            ("uvicorn app:app --timeout-keep-alive 30", Some("60s vs 30s, uvicorn --timeout-keep-alive 30 in compose service web")),
            ("uvicorn app:app", Some("60s vs 5s, uvicorn's default --timeout-keep-alive in compose service web")),
            ("hypercorn app:app --keep-alive 90", None),
            ("hypercorn app:app", Some("60s vs 5s, hypercorn's default --keep-alive")),
            // Not told: a config file, a worker class of another server, node. (gunicorn's
            // own readings need a folder without `gunicorn.conf.py`: see the fixtures.)
            ("gunicorn -c conf.py app:app", Some("assumed: the Node.js default")),
            ("gunicorn app:app -k uvicorn.workers.UvicornWorker", Some("assumed: the Node.js default")),
            ("node server.js", Some("assumed: the Node.js default")),
            ("uvicorn app:app --timeout-keep-alive $KA", Some("assumed: the Node.js default")),
        ];
        for (command, expected) in cases {
            let message = race_message(&compose_project(command));
            match (expected, &message) {
                (None, None) => {}
                (Some(part), Some(message)) if message.contains(part) => {}
                _ => panic!("{command}: {message:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn configurations_that_disagree_on_the_pass_settings_get_a_note_not_a_finding() {
        let report = lint(&[
            (
                "nginx/nginx.conf",
                "events {}\nhttp {\n  proxy_http_version 1.1;\n  proxy_set_header Connection \"\";\n  upstream app { server a:80; server b:80; keepalive 16; keepalive_timeout 4s; }\n  server { listen 80; include snippets/app.conf; }\n}\n",
            ),
            (
                "nginx/nginx.staging.conf",
                "events {}\nhttp {\n  upstream app { server s:80; server t:80; keepalive 8; keepalive_timeout 4s; }\n  server { listen 80; include snippets/app.conf; }\n}\n",
            ),
            (
                "nginx/snippets/app.conf",
                "location / {\n  proxy_pass http://app;\n  proxy_next_upstream error timeout http_502 http_503;\n}\n",
            ),
        ]);
        assert!(
            report.diagnostics.iter().all(|d| d.code != "SL206"),
            "{:?}",
            report.diagnostics
        );
        assert!(
            report.notes.iter().any(|n| n.starts_with(
                "nginx/snippets/app.conf: the blocks that include this file set proxy_http_version differently"
            )),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn two_servers_of_one_configuration_that_disagree_get_notes_not_findings() {
        let report = lint(&[
            (
                "nginx/nginx.conf",
                "events {}\nhttp {\n  upstream api { server a:80; server b:80; keepalive 16; keepalive_timeout 4s; }\n  server { listen 80; server_name shop; proxy_next_upstream error timeout http_502 http_503; proxy_http_version 1.1; proxy_set_header Connection \"\"; include snippets/api.conf; }\n  server { listen 80; server_name admin; include snippets/api.conf; }\n}\n",
            ),
            (
                "nginx/snippets/api.conf",
                "location /api/ {\n  proxy_pass http://api;\n}\n",
            ),
        ]);
        assert!(
            report
                .diagnostics
                .iter()
                .all(|d| d.code != "SL206" && d.code != "SL203"),
            "{:?}",
            report.diagnostics
        );
        for setting in ["proxy_next_upstream", "proxy_http_version"] {
            let start = format!("nginx/snippets/api.conf: the blocks that include this file set {setting} differently");
            assert!(
                report.notes.iter().any(|n| n.starts_with(&start)),
                "{setting}: {:?}",
                report.notes
            );
        }
    }
}
