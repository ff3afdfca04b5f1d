//! SL404 compose-healthcheck-missing: a compose service that other services wait for with
//! `condition: service_healthy` has no healthcheck (`docker compose up` then stops with
//! "container … has no healthcheck configured"), or a service that publishes ports and is rolled
//! out replica by replica (`deploy.update_config`, Swarm) has none (each replica
//! counts as ready as soon as it starts). A published port alone (a development compose file)
//! is not enough: nothing waits for health there.
//!
//! A service's definition may be spread over several compose files of one directory
//! (`compose.yaml` + `compose.override.yaml`, `-f a.yml -f b.yml`): they are judged together,
//! and a healthcheck in any of them counts. The healthcheck may come from the image: a
//! Dockerfile in the scan (`build:`), or none for official Docker Hub images (docker-library
//! adds no HEALTHCHECK to them). Any other image may have one, so it is never flagged; nor is
//! a service that `extends:` another.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::diagnostic::Location;
use crate::formats::yaml;
use crate::model::{ComposeService, Workload};
use crate::rules::{Reporter, RuleContext};
use crate::source::FileId;
use crate::span::Span;

/// What the model does not carry about a compose file, read from its text.
#[derive(Default)]
struct FileExtras {
    /// Services with `extends:` (they may inherit a healthcheck).
    extends: HashSet<String>,
    /// Services whose `healthcheck:` has no `test` (it keeps the image's).
    healthcheck_without_test: HashSet<String>,
    /// `(dependent, dependency)` pairs with `required: false`.
    optional: HashSet<(String, String)>,
    /// Services rolled out replica by replica (`deploy.update_config`), with
    /// where it says so: the rollout waits for health, or for nothing without a healthcheck.
    rolling: HashMap<String, Span>,
}

fn extras(text: &str) -> FileExtras {
    let mut extras = FileExtras::default();
    let Ok(documents) = yaml::parse_stream(text, &yaml::Limits::default()) else {
        return extras;
    };
    for document in &documents {
        let Some(services) = document.root.get("services") else {
            continue;
        };
        for entry in services.entries() {
            let Some(name) = entry.key.as_str() else {
                continue;
            };
            let service = &entry.value;
            if service.get("extends").is_some_and(|e| !e.is_null()) {
                extras.extends.insert(name.to_string());
            }
            if let Some(healthcheck) = service.get("healthcheck") {
                if healthcheck.get("test").is_none() && healthcheck.get("disable").is_none() {
                    extras.healthcheck_without_test.insert(name.to_string());
                }
            }
            if let Some(deploy) = service.get("deploy") {
                let rolled = ["update_config", "rollback_config"]
                    .iter()
                    .find_map(|key| deploy.get_entry(key));
                if let Some(entry) = rolled {
                    extras
                        .rolling
                        .insert(name.to_string(), entry.key.report_span());
                }
            }
            for dependency in service
                .get("depends_on")
                .into_iter()
                .flat_map(|d| d.entries())
            {
                let required = dependency
                    .value
                    .get("required")
                    .and_then(yaml::Node::as_bool);
                if let (Some(dep), Some(false)) = (dependency.key.as_str(), required) {
                    extras.optional.insert((name.to_string(), dep.to_string()));
                }
            }
        }
    }
    extras
}

/// An official Docker Hub image (`postgres:16`, `docker.io/library/redis`): they never set a
/// HEALTHCHECK (docker-library FAQ, "HEALTHCHECK").
fn official_image(reference: &str) -> bool {
    let reference = reference.trim();
    if reference.is_empty() || reference.contains('$') {
        return false;
    }
    let reference = reference
        .strip_prefix("docker.io/")
        .or_else(|| reference.strip_prefix("index.docker.io/"))
        .unwrap_or(reference);
    let reference = reference.strip_prefix("library/").unwrap_or(reference);
    let path = reference.split(['@', ':']).next().unwrap_or("");
    !path.is_empty() && !path.contains('/')
}

/// A service as defined in one file.
struct Part<'a> {
    workload: &'a Workload,
    compose: &'a ComposeService,
    file: FileId,
}

/// Whether the merged service has no healthcheck, and what tells (for a label).
enum Health {
    /// It has one, or it cannot be known.
    HasOrUnknown,
    /// None, with where it shows and why.
    Missing {
        reason: Option<(Location, String)>,
        /// `disable: true` or `test: ["NONE"]` turned it off.
        disabled: bool,
    },
}

fn health(
    cx: &RuleContext<'_>,
    parts: &[&Part<'_>],
    extras: &HashMap<FileId, FileExtras>,
) -> Health {
    let extra = |part: &Part<'_>| extras.get(&part.file);
    if parts
        .iter()
        .any(|p| extra(p).is_some_and(|e| e.extends.contains(&p.compose.name)))
    {
        return Health::HasOrUnknown;
    }
    if let Some(disabled) = parts
        .iter()
        .find(|p| p.compose.healthcheck_disabled)
        .and_then(|p| p.compose.healthcheck)
    {
        return Health::Missing {
            reason: Some((disabled, "the healthcheck is disabled here".to_string())),
            disabled: true,
        };
    }
    // A `healthcheck:` with a test is the service's own; without one it keeps the image's.
    let keeps_image = |p: &Part<'_>| {
        extra(p).is_some_and(|e| e.healthcheck_without_test.contains(&p.compose.name))
    };
    if parts
        .iter()
        .any(|p| p.compose.healthcheck.is_some() && !keeps_image(p))
    {
        return Health::HasOrUnknown;
    }
    if let Some((part, image)) = parts.iter().find_map(|p| {
        let image = cx.model.images.get(p.workload.image?)?;
        Some((p, image))
    }) {
        if image.healthcheck {
            return Health::HasOrUnknown;
        }
        let reason = part.compose.build.as_ref().map(|b| {
            let context = b.context.trim_end_matches('/');
            let dockerfile = match context {
                "" | "." => b.dockerfile.clone(),
                _ => format!("{context}/{}", b.dockerfile),
            };
            (
                b.location,
                format!(
                    "built from `{}`, which has no HEALTHCHECK",
                    dockerfile.trim_start_matches("./")
                ),
            )
        });
        return Health::Missing {
            reason,
            disabled: false,
        };
    }
    // Built from a Dockerfile outside the scan: its HEALTHCHECK is unknown.
    if parts.iter().any(|p| p.compose.build.is_some()) {
        return Health::HasOrUnknown;
    }
    match parts
        .iter()
        .find_map(|p| p.workload.base_image.as_ref())
        .filter(|image| official_image(&image.value))
    {
        Some(image) => Health::Missing {
            reason: image.location.map(|at| {
                (
                    at,
                    format!(
                        "`{}` is an official image: it sets no HEALTHCHECK",
                        image.value
                    ),
                )
            }),
            disabled: false,
        },
        None => Health::HasOrUnknown,
    }
}

const GENERIC_TEST: &str = "a `test:` that checks the service itself, not its dependencies";

/// A healthcheck test suited to well-known images.
fn example_test(parts: &[&Part<'_>]) -> &'static str {
    let image = parts
        .iter()
        .find_map(|p| p.workload.base_image.as_ref())
        .map_or("", |i| i.value.as_str());
    let name = image
        .split(['@', ':'])
        .next()
        .unwrap_or("")
        .rsplit('/')
        .next()
        .unwrap_or("");
    match name {
        "postgres" | "postgis" => "`test: [\"CMD-SHELL\", \"pg_isready -U $$POSTGRES_USER\"]`",
        "mysql" => "`test: [\"CMD\", \"mysqladmin\", \"ping\", \"-h\", \"127.0.0.1\"]`",
        "mariadb" => {
            "`test: [\"CMD\", \"healthcheck.sh\", \"--connect\", \"--innodb_initialized\"]`"
        }
        "redis" | "valkey" => "`test: [\"CMD\", \"redis-cli\", \"ping\"]`",
        "mongo" => {
            "`test: [\"CMD\", \"mongosh\", \"--quiet\", \"--eval\", \"db.adminCommand('ping')\"]`"
        }
        "rabbitmq" => "`test: [\"CMD\", \"rabbitmq-diagnostics\", \"-q\", \"ping\"]`",
        _ => GENERIC_TEST,
    }
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    let parts: Vec<Part<'_>> = cx
        .model
        .workloads
        .iter()
        .filter_map(|w| {
            w.compose.as_ref().map(|c| Part {
                workload: w,
                compose: c,
                file: w.location.file,
            })
        })
        .collect();
    let dir_of = |file: FileId| -> PathBuf {
        Path::new(cx.files.path(file))
            .parent()
            .map_or_else(PathBuf::new, Path::to_path_buf)
    };
    let mut extras: HashMap<FileId, FileExtras> = HashMap::new();
    let mut services: BTreeMap<(PathBuf, String), Vec<&Part<'_>>> = BTreeMap::new();
    for part in &parts {
        extras
            .entry(part.file)
            .or_insert_with(|| self::extras(&cx.files.text(part.file)));
        services
            .entry((dir_of(part.file), part.compose.name.clone()))
            .or_default()
            .push(part);
    }
    // The services that wait for each service to be healthy, in any file of its directory (its
    // compose files merge into one project), in the order of the services.
    let mut waiting_for: HashMap<(&PathBuf, &str), Vec<(&Part<'_>, Location)>> = HashMap::new();
    for ((dir, _), group) in &services {
        for &other in group {
            for (dependency, at) in &other.compose.depends_on_healthy {
                waiting_for
                    .entry((dir, dependency.as_str()))
                    .or_default()
                    .push((other, *at));
            }
        }
    }
    for ((dir, name), group) in &services {
        let waiting: Vec<(String, Location, bool)> = waiting_for
            .get(&(dir, name.as_str()))
            .into_iter()
            .flatten()
            .map(|&(other, at)| {
                let required = !extras.get(&other.file).is_some_and(|e| {
                    e.optional
                        .contains(&(other.compose.name.clone(), name.clone()))
                });
                (other.compose.name.clone(), at, required)
            })
            .collect();
        let ports: Vec<Location> = group
            .iter()
            .flat_map(|p| p.compose.published_ports.iter().copied())
            .collect();
        // A published service matters for deploys when it is rolled out replica by replica
        // (Swarm `docker stack deploy`): the rollout moves on once a replica counts as ready.
        let rolling: Option<Location> = group.iter().find_map(|p| {
            let span = extras.get(&p.file)?.rolling.get(&p.compose.name)?;
            Some(Location::new(p.file, *span))
        });
        if waiting.is_empty() && (ports.is_empty() || rolling.is_none()) {
            continue;
        }
        let Health::Missing { reason, disabled } = health(cx, group, &extras) else {
            continue;
        };
        // Report at the definition that names the image (the base file), else the first.
        let at = group
            .iter()
            .find(|p| p.compose.build.is_some() || p.workload.base_image.is_some())
            .or(group.first())
            .map(|p| p.workload.location);
        let Some(at) = at else {
            continue;
        };
        if let Some((first, _, _)) = waiting.first() {
            let consequence = if waiting.iter().any(|(_, _, required)| *required) {
                format!("`docker compose up` stops with \"container … has no healthcheck configured\" and never starts `{first}`")
            } else {
                format!("with `required: false` compose only warns and starts `{first}` without waiting for it")
            };
            let diagnostic = out.report(
                at,
                format!(
                    "service `{name}` has no healthcheck, but `{first}` waits for it with `condition: service_healthy`: {consequence}"
                ),
            );
            diagnostic.primary("no healthcheck");
            for (dependent, location, _) in &waiting {
                diagnostic.label(
                    *location,
                    format!("`{dependent}` waits for it to be healthy here"),
                );
            }
            if let Some((location, text)) = reason {
                diagnostic.label(location, text);
            }
            if disabled {
                diagnostic.help(format!(
                    "turn the healthcheck of `{name}` back on (drop `disable: true` or `test: [\"NONE\"]`, or give it a test of its own), or wait with `condition: service_started` if being up is enough"
                ));
            } else {
                diagnostic.help(format!(
                    "add a `healthcheck:` to `{name}` ({}), or wait with `condition: service_started` if being up is enough",
                    example_test(group)
                ));
            }
        } else if let (Some(rolling), Some(port)) = (rolling, ports.first()) {
            let diagnostic = out.report(
                at,
                format!(
                    "service `{name}` publishes ports and has a rolling update (`deploy.update_config`, used by `docker stack deploy`), but no healthcheck: Swarm counts each new replica as ready as soon as its process starts, before it listens, and moves on to the next"
                ),
            );
            diagnostic.primary("no healthcheck");
            diagnostic.label(*port, "published here");
            diagnostic.label(rolling, "rolling update");
            if let Some((location, text)) = reason {
                diagnostic.label(location, text);
            }
            let built = group.iter().any(|p| p.compose.build.is_some());
            let test = match example_test(group) {
                GENERIC_TEST => "a `test:` that asks the server itself whether it is ready, such as a request to its health endpoint",
                specific => specific,
            };
            diagnostic.help(format!(
                "add a `healthcheck:` to the service ({test}){}: the update then waits for each new replica to be healthy",
                if built { ", or a `HEALTHCHECK` to its Dockerfile" } else { "" }
            ));
        }
    }
}
