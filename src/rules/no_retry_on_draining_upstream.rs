//! SL203 no-retry-on-draining-upstream: `proxy_pass` to an upstream group of two or more
//! servers where the effective `proxy_next_upstream` does not retry on 502/503 (or retries are
//! off): a request that reaches a draining server fails instead of going to another one.

use std::collections::HashSet;
use std::sync::Arc;

use crate::lower::nginx::{
    has_lua_balancer, Entries, Entry, Level, Lookup, Only, PerLevel, Scan, ScanPass,
};
use crate::rules::{Reporter, RuleContext};
use crate::span::Span;

/// What is wrong with the retry setting of one pass.
struct Problem<'a> {
    /// `error timeout` (default), `off`, or the conditions as set.
    what: Arc<str>,
    /// The conditions missing (`http_502`, `http_503`); empty for `off` / `tries 1`.
    missing: Vec<&'static str>,
    /// Where it is set (empty: the default).
    entries: Entries<'a>,
    level: Option<Level<'a>>,
    /// A key grouping passes that share the cause.
    key: String,
}

/// What the `proxy_next_upstream` lines of one level say: `None` when they retry on 502 and
/// 503, else what they are (`off` or the conditions) and what is missing.
type LevelProblem = Option<(Arc<str>, Vec<&'static str>)>;

/// The conditions of some `proxy_next_upstream` lines, lowercased, each once, in order.
fn conditions<'b, 'a: 'b>(entries: impl IntoIterator<Item = &'b Entry<'a>>) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut conditions: Vec<String> = Vec::new();
    for entry in entries {
        for arg in &entry.directive.args {
            let value = arg.value.to_ascii_lowercase();
            if seen.insert(value.clone()) {
                conditions.push(value);
            }
        }
    }
    conditions
}

/// The conditions of `after` that `before` lacks, added to it: [`conditions`] of two lists of
/// lines one after the other.
fn join_conditions(mut before: Vec<String>, after: &[String]) -> Vec<String> {
    let have: HashSet<&String> = before.iter().collect();
    let new: Vec<String> = after
        .iter()
        .filter(|c| !have.contains(c))
        .cloned()
        .collect();
    before.extend(new);
    before
}

/// Whether some `proxy_next_upstream` lines have `off`, `http_502`, `http_503` (in that order).
type Flags = [bool; 3];

fn flags(entries: &[Entry<'_>]) -> Flags {
    let mut flags = [false; 3];
    for arg in entries.iter().flat_map(|e| &e.directive.args) {
        for (flag, value) in flags.iter_mut().zip(["off", "http_502", "http_503"]) {
            *flag |= arg.value.eq_ignore_ascii_case(value);
        }
    }
    flags
}

/// What a level's lines say, worked out once per level. What decides whether there is a
/// problem is worked out once per level and once per included file's lines that levels share
/// ([`PerLevel::fold`]: a `location` with its own line beside an `include` of 20,000 read them
/// all again); the conditions to show, only for a level with a problem.
#[derive(Default)]
struct Levels<'a> {
    flags: PerLevel<'a, Flags>,
    conditions: PerLevel<'a, Vec<String>>,
    problems: PerLevel<'a, LevelProblem>,
}

impl<'a> Levels<'a> {
    fn problem(&mut self, entries: &Entries<'a>) -> &LevelProblem {
        let Levels {
            flags: known_flags,
            conditions: known,
            problems,
        } = self;
        problems.get(entries, |entries| {
            let [off, http_502, http_503] = *known_flags.fold(entries, &flags, &|a, b| {
                [a[0] || b[0], a[1] || b[1], a[2] || b[2]]
            });
            if off {
                return Some((Arc::from("`off`"), Vec::new()));
            }
            if http_502 && http_503 {
                return None;
            }
            level_problem(known.fold(
                entries,
                &|own: &[Entry<'a>]| conditions(own),
                &|before, after: &Vec<String>| join_conditions(before, after),
            ))
        })
    }
}

fn level_problem(conditions: &[String]) -> LevelProblem {
    if conditions.iter().any(|c| c == "off") {
        return Some((Arc::from("`off`"), Vec::new()));
    }
    let missing: Vec<&'static str> = ["http_502", "http_503"]
        .into_iter()
        .filter(|c| !conditions.iter().any(|have| have == c))
        .collect();
    if missing.is_empty() {
        return None;
    }
    Some((Arc::from(format!("`{}`", conditions.join(" "))), missing))
}

/// The retry problem of a pass along every include path, when every path has one. What a
/// level's lines say is worked out once per level (`levels`), not once per pass under it.
fn problem<'a>(
    scan: &Scan<'a>,
    p: &ScanPass<'a>,
    levels: &mut Levels<'a>,
) -> Option<Problem<'a>> {
    let lookups = scan.lookup(p.file, &p.pass.scope, "proxy_next_upstream");
    let mut first: Option<Problem<'a>> = None;
    for lookup in lookups {
        let found = match lookup {
            Lookup::Unknown => return None,
            Lookup::Default => Problem {
                what: Arc::from("the default `error timeout`"),
                missing: vec!["http_502", "http_503"],
                entries: Entries::default(),
                level: None,
                key: "default".to_string(),
            },
            Lookup::Set { entries, level } => {
                let (what, missing) = levels.problem(&entries).clone()?;
                let key = format!(
                    "{}:{:?}",
                    level.file,
                    entries.first().map(|e| e.directive.span)
                );
                Problem {
                    what,
                    missing,
                    entries,
                    level: Some(level),
                    key,
                }
            }
        };
        if first.is_none() {
            first = Some(found);
        }
    }
    first
}

/// `proxy_next_upstream_tries 1`: one try, no retry at all.
fn single_try<'a>(scan: &Scan<'a>, p: &ScanPass<'a>) -> Option<(Entry<'a>, Level<'a>)> {
    let lookups = scan.lookup(p.file, &p.pass.scope, "proxy_next_upstream_tries");
    let mut first = None;
    for lookup in lookups {
        match lookup {
            Lookup::Set { entries, level } => {
                let last = *entries.last()?;
                if last.directive.arg(0) != Some("1") {
                    return None;
                }
                first.get_or_insert((last, level));
            }
            _ => return None,
        }
    }
    first
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    let scan = cx.nginx_scan();
    // Findings that share the cause (the same setting, the same server block, the same
    // upstream) are reported once, at the first pass, with the others as labels.
    let mut groups: Vec<(String, Vec<&ScanPass<'_>>, String, Problem<'_>)> = Vec::new();
    // Group key → index into `groups` (which keeps the order of the first passes).
    let mut group_of: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut levels = Levels::default();
    for p in &scan.passes {
        if p.pass.directive.name != "proxy_pass" || p.in_stream {
            continue;
        }
        let Some(at) = p.upstream else {
            continue;
        };
        let upstream = scan.upstream(at);
        if has_lua_balancer(upstream) || scan.returns_before_pass(&p.pass) {
            continue;
        }
        let usable = upstream.servers.iter().filter(|s| !s.down).count();
        if usable < 2 {
            continue;
        }
        let (problem, kind) = match (problem(scan, p, &mut levels), single_try(scan, p)) {
            (Some(problem), _) => (problem, "conditions"),
            (None, Some((entry, level))) => (
                Problem {
                    what: Arc::from("`proxy_next_upstream_tries 1`"),
                    missing: Vec::new(),
                    key: format!("tries:{}:{:?}", level.file, entry.directive.span),
                    entries: Entries::from(vec![entry]),
                    level: Some(level),
                },
                "tries",
            ),
            (None, None) => continue,
        };
        let server = p
            .pass
            .scope
            .nearest(crate::formats::nginx::ContextKind::Server)
            .map(|s| s.span);
        let key = format!("{}|{:?}|{:?}|{}|{kind}", p.file, server, at, problem.key);
        match group_of.get(&key).and_then(|&g| groups.get_mut(g)) {
            Some(group) => group.1.push(p),
            None => {
                group_of.insert(key.clone(), groups.len());
                groups.push((key, vec![p], kind.to_string(), problem));
            }
        }
    }

    for (_, passes, kind, problem) in groups {
        let first = passes[0];
        let Some(at) = first.upstream else { continue };
        let upstream = scan.upstream(at);
        let count = upstream.servers.iter().filter(|s| !s.down).count();
        let span = first.pass.arg.map_or(first.pass.directive.span, |a| a.raw);
        let target = format!("upstream `{}` ({count} servers)", upstream.name);
        let message = if kind == "tries" {
            format!(
                "requests to {target} are never retried on another server: {} allows a single try, so a request that reaches a server while it drains fails",
                problem.what
            )
        } else if problem.missing.is_empty() {
            format!(
                "requests to {target} are never retried on another server: proxy_next_upstream is `off`, so a request that reaches a server while it drains fails"
            )
        } else {
            let missing = problem
                .missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(" and ");
            let codes = problem
                .missing
                .iter()
                .map(|m| m.trim_start_matches("http_"))
                .collect::<Vec<_>>()
                .join("/");
            format!(
                "a {codes} from a draining server of {target} goes to the client instead of another server: proxy_next_upstream is {} (no {missing})",
                problem.what
            )
        };
        let servers_label = format!(
            "upstream `{}` with {count} servers defined here",
            upstream.name
        );
        let mut labels: Vec<(crate::diagnostic::Location, String)> = Vec::new();
        labels.push((scan.location(at.0, upstream.name_span), servers_label));
        if let Some(level) = &problem.level {
            let how = scan.describe_level(level, first.file, first.pass.scope.block());
            let directive = if kind == "tries" {
                "proxy_next_upstream_tries"
            } else {
                "proxy_next_upstream"
            };
            let text = if how == "set here" {
                format!("{directive} set here")
            } else {
                format!("{directive} set here ({how})")
            };
            for entry in problem.entries.iter() {
                labels.push((scan.entry_location(entry), text.clone()));
            }
            // An outer setting that retries on 502/503 but is replaced at this level.
            if kind != "tries" {
                for lookup in scan.lookup_where(
                    first.file,
                    &first.pass.scope,
                    "proxy_next_upstream",
                    Only::AnyArg(&["http_502", "http_503"]),
                ) {
                    if let Lookup::Set {
                        entries,
                        level: outer,
                    } = lookup
                    {
                        let same_level = outer.file == level.file
                            && match (outer.block, level.block) {
                                (Some(a), Some(b)) => std::ptr::eq(a, b),
                                (None, None) => true,
                                _ => false,
                            };
                        if !same_level {
                            for entry in entries.iter() {
                                labels.push((
                                    scan.entry_location(entry),
                                    "not inherited: an inner block sets its own proxy_next_upstream".to_string(),
                                ));
                            }
                        }
                    }
                }
            }
        }
        for other in passes.iter().skip(1).take(8) {
            let span: Span = other.pass.arg.map_or(other.pass.directive.span, |a| a.raw);
            labels.push((
                scan.location(other.file, span),
                "also proxied there with the same setting".to_string(),
            ));
        }
        let help = if kind == "tries" {
            "raise `proxy_next_upstream_tries` (e.g. to 2 or 3, or 0 for no limit) so nginx can send the request to another server".to_string()
        } else {
            let mut conditions: Vec<String> =
                if problem.missing.is_empty() || problem.entries.is_empty() {
                    vec!["error".to_string(), "timeout".to_string()]
                } else {
                    conditions(&problem.entries)
                };
            for c in ["http_502", "http_503"] {
                if !conditions.iter().any(|have| have == c) {
                    conditions.push(c.to_string());
                }
            }
            let where_ = if problem.entries.is_empty() {
                "in this location (or once in the enclosing `server`/`http` block)"
            } else {
                "where it is set now"
            };
            if problem.missing.is_empty() {
                format!(
                    "replace `off` with `{}`: nginx still never sends a POST or other non-idempotent request to a second server once the first one received it, so requests that must not run twice stay safe",
                    conditions.join(" ")
                )
            } else {
                format!(
                    "write `proxy_next_upstream {};` {where_}; a location that sets its own proxy_next_upstream replaces the inherited one entirely. POST and other non-idempotent requests are still not retried after they were sent, which is safe",
                    conditions.join(" ")
                )
            }
        };
        let finding = out
            .report(scan.location(first.file, span), message)
            .primary(format!("proxied to upstream `{}`", upstream.name));
        for (location, text) in labels {
            finding.label(location, text);
        }
        finding.help(help);
    }
}
