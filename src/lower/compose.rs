//! docker compose files → deploy model: one workload per service.
//!
//! Compose semantics (compose-spec 05-services.md; compose-go): a string `command`/`entrypoint`
//! is split into words shell-style but never run through a shell; `entrypoint` overrides the
//! image's ENTRYPOINT and drops its CMD; `command` overrides CMD; `stop_grace_period` defaults to
//! 10s; `stop_signal` unset leaves the image's STOPSIGNAL (else SIGTERM).

use crate::diagnostic::Location;
use crate::formats::yaml::{self, Node};
use crate::formats::{Fragment, ParseFailure};
use crate::lower::images::{self, ImageName};
use crate::lower::kubernetes::{FileFacts, DRAIN_ANNOTATION, IGNORE_ANNOTATION};
use crate::model::{
    Command, CommandSource, CommandWord, ComposeBuild, ComposeService, EnvVar, Fact, Form,
    HiddenEnv, Platform, Process, ProcessRole, Signal, Workload, MAX_COMMAND_WORDS,
};
use crate::source::FileId;
use crate::span::{MappedText, Span};
use crate::suppress::{Scope, SuppressedRule, Suppression};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

pub fn lower(
    file: FileId,
    text: &str,
    fragment: &mut Fragment,
    facts: &mut FileFacts,
) -> Result<(), ParseFailure> {
    let documents =
        yaml::parse_stream(text, &yaml::Limits::default()).map_err(|e| ParseFailure {
            message: format!("invalid YAML: {}", e.message),
            span: e.span,
        })?;
    for document in &documents {
        crate::lower::kubernetes::report_duplicates(
            document,
            "docker compose rejects the file",
            facts,
        );
        let Some(services) = document.root.get("services") else {
            continue;
        };
        let mut lists = HashMap::new();
        for entry in services.entries() {
            let Some(name) = entry.key.as_str() else {
                continue;
            };
            service(
                &View::single(file, &entry.value),
                name,
                &entry.key,
                fragment,
                facts,
                &mut lists,
            );
        }
        extends_cycles(services, facts);
    }
    Ok(())
}

/// `extends` chains within the file that come back to where they started: docker compose
/// refuses the file (`circular reference with extends`). One problem per cycle, at the
/// `extends` of its first service in the file. (An `extends` with `file:` leaves the file,
/// which is not followed.)
fn extends_cycles(services: &Node, facts: &mut FileFacts) {
    let mut order: Vec<&str> = Vec::new();
    let mut edges: HashMap<&str, (&str, Span)> = HashMap::new();
    for entry in services.entries() {
        let Some(name) = entry.key.as_str() else {
            continue;
        };
        let Some(extends) = entry.value.get("extends") else {
            continue;
        };
        let target = match extends.as_str() {
            Some(target) => Some(target),
            None if extends.get("file").is_none_or(Node::is_null) => {
                extends.get("service").and_then(Node::as_str)
            }
            None => None,
        };
        if let Some(target) = target {
            order.push(name);
            edges.insert(name, (target, extends.report_span()));
        }
    }
    // Each service joins one walk's chain, then is done: linear in the services. (Looking a
    // service up in the chain by a scan made a chain of 60,000 services take 6 s.)
    let mut done: HashSet<&str> = HashSet::new();
    let mut position: HashMap<&str, usize> = HashMap::new();
    for start in order {
        let mut chain: Vec<&str> = Vec::new();
        position.clear();
        let mut at = start;
        while !done.contains(at) {
            if let Some(&first) = position.get(at) {
                let cycle = chain.get(first..).unwrap_or_default();
                if let Some(&(_, span)) = cycle.first().and_then(|n| edges.get(n)) {
                    let mut names = cycle.to_vec();
                    names.push(at);
                    facts.problems.push(ParseFailure {
                        message: format!(
                            "circular reference with extends: {}; docker compose rejects the file",
                            names.join(" -> ")
                        ),
                        span,
                    });
                }
                break;
            }
            position.insert(at, chain.len());
            chain.push(at);
            match edges.get(at) {
                Some(&(next, _)) => at = next,
                None => break,
            }
        }
        done.extend(chain);
    }
}

fn location(file: FileId, span: Span) -> Location {
    Location::new(file, span)
}

/// `command:`/`entrypoint:` as compose reads it: a list of words, or a string split into words.
fn words(
    file: FileId,
    node: &Node,
    what: &'static str,
    source: usize,
) -> Option<(Vec<CommandWord>, CommandSource)> {
    let word = |text: MappedText| CommandWord {
        text,
        file,
        source,
        synthesized: false,
    };
    let words: Vec<CommandWord> = if node.is_sequence() {
        node.items()
            .filter_map(|item| item.mapped_text().cloned())
            .take(MAX_COMMAND_WORDS)
            .map(word)
            .collect()
    } else {
        let text = node.mapped_text()?;
        if node.is_null() {
            return None;
        }
        crate::shell::words::split_literal(text)
            .into_iter()
            .map(word)
            .collect()
    };
    Some((
        words,
        CommandSource {
            what,
            form: Form::Exec,
            location: location(file, node.span),
            inherited_from: None,
        },
    ))
}

fn seconds(node: &Node) -> Option<f64> {
    node.as_f64().or_else(|| {
        node.as_str()
            .and_then(crate::shell::commands::parse_duration_seconds)
    })
}

/// A service's `env_file` (a path, a list of paths or of `{path, required}`): its variables
/// are not read, so any of them may be set there; `environment` wins over it (Compose file
/// reference, `env_file`).
fn env_file(node: Option<&Node>, file: FileId) -> Option<Box<HiddenEnv>> {
    let node = node.filter(|n| !n.is_null())?;
    let first = match node.as_sequence() {
        Some(items) => items.first()?,
        None => node,
    };
    Some(Box::new(HiddenEnv {
        source: "env_file",
        location: location(file, first.report_span()),
        overrides_written: false,
        prefixes: Vec::new(),
    }))
}

/// The entries of a service's `env_file` (a path, a list of paths or of `{path, required,
/// format}`), in order. A path with a variable in it, and an entry with a `format` (read by a
/// plugin, or `raw`), is not read: its `path` is `None`. `required: false` (a boolean, or the
/// string compose casts from an interpolation) marks an optional file.
fn env_file_entries(node: Option<&Node>, file: FileId) -> Vec<crate::model::EnvFile> {
    let Some(node) = node.filter(|n| !n.is_null()) else {
        return Vec::new();
    };
    let items: Vec<&Node> = match node.as_sequence() {
        Some(items) => items.iter().collect(),
        None => vec![node],
    };
    items
        .into_iter()
        .map(|item| {
            let path = match item.get("path") {
                Some(path) if item.get("format").is_none() => path.as_str(),
                Some(_) => None,
                None => item.as_str(),
            };
            let required = !item
                .get("required")
                .and_then(Node::as_str)
                .is_some_and(|r| matches!(r, "false" | "False" | "FALSE"));
            crate::model::EnvFile {
                path: path
                    .filter(|p| !p.is_empty() && !p.contains('$'))
                    .map(str::to_string),
                required,
                location: location(file, item.report_span()),
            }
        })
        .collect()
}

/// `KEY=value` list or mapping, as compose accepts for `environment` and `labels`.
fn pairs(node: Option<&Node>) -> Vec<(String, Option<String>, Span)> {
    let Some(node) = node else {
        return Vec::new();
    };
    if node.is_sequence() {
        node.items()
            .filter_map(|item| {
                let text = item.as_str()?;
                let (key, value) = match text.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (text.to_string(), None),
                };
                Some((key, value, item.report_span()))
            })
            .collect()
    } else {
        node.entries()
            .filter_map(|e| {
                Some((
                    e.key.as_str()?.to_string(),
                    e.value
                        .as_str()
                        .filter(|_| !e.value.is_null())
                        .map(str::to_string),
                    e.value.report_span(),
                ))
            })
            .collect()
    }
}

/// `build.args` (a mapping or a list of `NAME=value`): each name with its value, `None` when the
/// environment gives it (`- NAME`, `NAME:` with no value) or compose interpolates a variable
/// into it.
fn build_args(node: Option<&Node>) -> Vec<(String, Option<String>)> {
    pairs(node)
        .into_iter()
        .map(|(name, value, _)| (name, value.and_then(|v| interpolated(&v))))
        .collect()
}

/// A compose file's value as compose interpolates it (see [`crate::lower::interpolate`]):
/// `${VAR:-default}` is the default, `None` when a variable with no default is in it (the
/// environment gives it).
fn interpolated(value: &str) -> Option<String> {
    if !value.contains('$') {
        return Some(value.to_string());
    }
    crate::lower::interpolate::interpolate(value, &|_| None)
}

/// The value of the label `key` in `labels` (a mapping, or a list of `KEY=value`), as
/// [`pairs`] reads it (the first label of that name, when it has a value), with the node it is
/// read from and where a finding about it points. Borrowed: a label of an anchored block is not
/// copied once per service that uses the block.
pub(crate) fn label<'n>(labels: Option<&'n Node>, key: &str) -> Option<(&'n str, Span, Span)> {
    let labels = labels?;
    if labels.is_sequence() {
        let (item, value) = labels
            .items()
            .find_map(|item| {
                let text = item.as_str()?;
                let (k, value) = text.split_once('=').unwrap_or((text, ""));
                (k == key).then_some((item, text.len() != k.len(), value))
            })
            .map(|(item, has_value, value)| (item, has_value.then_some(value)))?;
        Some((value?, item.span, item.report_span()))
    } else {
        let entry = labels.entries().find(|e| e.key.as_str() == Some(key))?;
        let value = entry.value.as_str().filter(|_| !entry.value.is_null())?;
        Some((value, entry.value.span, entry.value.report_span()))
    }
}

/// Whether a service definition names nothing to run (neither `image`, `build` nor
/// `extends`): compose refuses it alone, so it is a fragment of an `-f` overlay.
pub(crate) fn is_fragment(node: &Node) -> bool {
    !["image", "build", "extends"]
        .iter()
        .any(|k| node.get(k).is_some_and(|v| !v.is_null()))
}

/// A `stop_signal:` value as written (`None` when it names no signal: a variable).
pub(crate) fn written_stop_signal(file: FileId, value: &Node) -> Option<Fact<Signal>> {
    value
        .as_str()
        .and_then(Signal::parse)
        .map(|signal| Fact::at(signal, location(file, value.report_span())))
}

/// What a service's `volumes:` mount that may hold a server's default config file: host
/// folders bound (short `./src:/app` or long `{type: bind, source: ./src}`, relative to the
/// own file's folder), and volumes mounted at a path named like such a file.
fn config_mounts(view: &View<'_>) -> Option<Box<crate::model::ConfigMounts>> {
    let mut mounts = crate::model::ConfigMounts::default();
    // Whether the `/` stand-in for mounts past the cap is there.
    let mut stood_in = false;
    let volumes = view.merged("volumes").iter().flat_map(|&(file, node)| {
        let moved = view
            .moved
            .iter()
            .find(|(f, _)| *f == file)
            .map(|(_, way)| way);
        node.get("volumes")
            .into_iter()
            .flat_map(Node::items)
            .map(move |volume| (moved, volume))
    });
    let volumes: Vec<_> = volumes
        .map(|(moved, volume)| {
            let (source, target) = volume_parts(volume);
            (moved, source, target)
        })
        .collect();
    // Compose merges `volumes` by their target (Compose specification, "Merge and override",
    // "Unique resources": the unique key of `volumes` is `target`): a later definition's mount
    // at a container path replaces an earlier one's (a production overlay's
    // `./nginx/prod:/etc/nginx/conf.d` replaces the base file's `./nginx/dev` there), so only
    // the last mount of each target counts.
    let mut last: HashMap<String, usize> = HashMap::new();
    for (i, (_, _, target)) in volumes.iter().enumerate() {
        if let Some(target) = target.as_ref().and_then(Written::known) {
            last.insert(crate::link::globs::clean(target.trim()), i);
        }
    }
    let volumes = volumes
        .into_iter()
        .enumerate()
        .filter(|(i, (_, _, target))| {
            target
                .as_ref()
                .and_then(Written::known)
                .is_none_or(|t| last.get(&crate::link::globs::clean(t.trim())) == Some(i))
        });
    for (_, (moved, source, target)) in volumes {
        let known_target = target.as_ref().and_then(Written::known);
        if known_target.is_some_and(crate::drain::is_default_config_name) {
            mounts.config_named = true;
        }
        // A host path (a named volume is no file of the repository), rebased when written in
        // a template of another folder; `None` when that folder cannot be named from here, or
        // when a variable with no default is in it (a host path or a volume, not known).
        let host = match &source {
            None => None,
            Some(Written::Unknown { .. }) => Some(None),
            Some(Written::Known(source)) if source.starts_with(['.', '/', '~', '$']) => {
                Some(match moved {
                    _ if source.starts_with(['/', '~', '$']) => Some(source.to_string()),
                    None => Some(source.to_string()),
                    Some(Some(way)) => Some(crate::link::globs::clean(&format!("{way}/{source}"))),
                    // Written in a file of a folder the own file's cannot name.
                    Some(None) => None,
                })
            }
            Some(Written::Known(_)) => None,
        };
        // nginx configuration bound where nginx reads it (`./sites:/etc/nginx/conf.d`); a named
        // volume, or a host path that cannot be named, puts there what is not known (`""`).
        // A container path that is not known puts what is not known where it may be.
        let nginx_target = match &target {
            Some(Written::Known(target)) => Some(crate::link::globs::clean(target.trim()))
                .filter(|t| crate::formats::nginx::include::under_conventional_prefix(t)),
            Some(Written::Unknown { before }) => unknown_target_place(before.trim()),
            None => None,
        };
        if let Some(nginx_target) = nginx_target {
            let host = match (&host, &target) {
                (Some(Some(host)), Some(Written::Known(_))) if !host.starts_with(['~', '$']) => {
                    host.clone()
                }
                _ => String::new(),
            };
            push_nginx_mount(&mut mounts.nginx, &mut stood_in, host, nginx_target);
        }
        // A host path bound into a system folder (the time zone, the Docker socket, logs)
        // is not where the server runs: its files do not matter.
        if known_target.is_some_and(in_system_folder) {
            continue;
        }
        if let Some(source) = host {
            match source {
                Some(source)
                    if !source.starts_with(['~', '$']) && mounts.host_folders.len() < 16 =>
                {
                    mounts.host_folders.push(source);
                }
                // Where it is on the host is not known.
                _ => mounts.config_named = true,
            }
        }
    }
    // `configs:` put a file at their target (`/<source>` by default), as a read-only mount:
    // what it holds is not read here (the top-level `configs` entry names it).
    let configs = view
        .merged("configs")
        .iter()
        .flat_map(|&(_, node)| node.get("configs").into_iter().flat_map(Node::items));
    for config in configs {
        let target = match config.as_str() {
            Some(source) => Some(format!("/{source}")),
            None => config
                .get("target")
                .and_then(Node::as_str)
                .map(str::to_string)
                .or_else(|| {
                    config
                        .get("source")
                        .and_then(Node::as_str)
                        .map(|s| format!("/{s}"))
                }),
        };
        let Some(target) = target else {
            continue;
        };
        let target = crate::link::globs::clean(target.trim());
        if crate::formats::nginx::include::under_conventional_prefix(&target) {
            push_nginx_mount(&mut mounts.nginx, &mut stood_in, String::new(), target);
        }
    }
    (mounts != crate::model::ConfigMounts::default()).then(|| Box::new(mounts))
}

/// A `volumes:` entry's host source (or volume name) and container target, as compose reads
/// them: short `src:target[:mode]` (a single part is an anonymous volume's target) or long
/// `{source, target}`. Compose interpolates every value before it parses the short syntax
/// (Compose specification, "Interpolation"): `${NGINX_DIR:-./nginx}/proxy.conf:/etc/nginx/…` is
/// `./nginx/proxy.conf` at `/etc/nginx/…`. When a variable with no default is in it, the
/// entry is split outside `${…}` and each part interpolated alone: a part that cannot be known
/// is [`Written::Unknown`].
fn volume_parts(volume: &Node) -> (Option<Written>, Option<Written>) {
    match volume.as_str() {
        Some(short) => {
            let parts: Vec<Written> = match interpolated(short) {
                Some(value) => value
                    .splitn(3, ':')
                    .map(|p| Written::Known(p.to_string()))
                    .collect(),
                None => split_outside_braces(short)
                    .into_iter()
                    .map(Written::of)
                    .collect(),
            };
            let mut parts = parts.into_iter();
            let first = parts.next();
            match parts.next() {
                Some(target) => (first, Some(target)),
                None => (None, first),
            }
        }
        None => (
            volume.get("source").and_then(Node::as_str).map(Written::of),
            volume.get("target").and_then(Node::as_str).map(Written::of),
        ),
    }
}

/// A part of a `volumes:` entry as compose interpolates it.
#[derive(Debug, Clone, PartialEq)]
enum Written {
    Known(String),
    /// A variable with no default is in it (the environment gives it): the text before the
    /// first `$` is kept, which a container path starts with whatever the variable holds.
    Unknown {
        before: String,
    },
}

impl Written {
    fn of(text: &str) -> Written {
        match interpolated(text) {
            Some(value) => Written::Known(value),
            None => Written::Unknown {
                before: text.split('$').next().unwrap_or("").to_string(),
            },
        }
    }

    fn known(&self) -> Option<&str> {
        match self {
            Written::Known(value) => Some(value),
            Written::Unknown { .. } => None,
        }
    }
}

/// A short `volumes:` entry split at its `:`s outside `${…}` (a default may hold a `:`), in at
/// most three parts, the last holding the rest.
fn split_outside_braces(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '$' => match chars.peek() {
                Some(&(_, '$')) => {
                    chars.next();
                }
                Some(&(_, '{')) => {
                    chars.next();
                    depth += 1;
                }
                _ => {}
            },
            '}' if depth > 0 => depth -= 1,
            ':' if depth == 0 && parts.len() < 2 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Where a mount whose container path is not known may be, as nginx's folders see it: the
/// folder its known beginning names (`/etc/nginx/conf.d/${SITE}.conf`: in `conf.d`; `${DIR}`:
/// anywhere, `/`), when that folder holds or is under one of nginx's; `None` when it is
/// elsewhere (`/srv/${APP}`).
fn unknown_target_place(before: &str) -> Option<String> {
    let folder = match before.rfind('/') {
        Some(at) => crate::link::globs::clean(&before[..at]),
        None => String::new(),
    };
    let folder = folder.trim_end_matches('/');
    if folder.is_empty() {
        return Some("/".to_string());
    }
    let holds_nginx = crate::formats::nginx::CONVENTIONAL_PREFIXES
        .iter()
        .any(|prefix| prefix.starts_with(&format!("{folder}/")));
    (holds_nginx || crate::formats::nginx::include::under_conventional_prefix(folder))
        .then(|| folder.to_string())
}

/// How many nginx mounts of unknown content (a named volume, a `configs:` entry) of one service
/// are kept (a realistic service has a few, a site per customer a few hundred); past them, one
/// mount of unknown content at `/` stands for the rest.
const MAX_NGINX_MOUNTS: usize = 4096;

/// How many nginx bind mounts of host paths one service keeps (shutdownlint's limit, for
/// memory): past [`MAX_NGINX_MOUNTS`] they are still kept, whether the scan reads their files
/// is told where the containers are made (`nginx_placement`, which takes those it does not read
/// past the cap as the same `/` stand-in), so the scan's own vhost mounted after thousands of
/// per-site files outside it stays in its container.
const MAX_NGINX_HOST_MOUNTS: usize = 65_536;

/// Keeps a mount under nginx's folders (`host` empty: content the scan does not read), but a
/// certificate, key or password file, which sets nothing nginx's rules read. Past the caps
/// ([`MAX_NGINX_MOUNTS`] for unknown content, [`MAX_NGINX_HOST_MOUNTS`]), one unknown mount at
/// `/` (`stood_in` tells it is there) stands for the rest: a later mount (the proxy settings
/// after per-site certificates) is never dropped silently.
fn push_nginx_mount(
    mounts: &mut Vec<(String, String)>,
    stood_in: &mut bool,
    host: String,
    target: String,
) {
    if crate::lower::nginx::is_key_material(target.rsplit('/').next().unwrap_or("")) {
        return;
    }
    let room = if host.is_empty() {
        MAX_NGINX_MOUNTS
    } else {
        MAX_NGINX_HOST_MOUNTS
    };
    if mounts.len() + 1 < room {
        mounts.push((host, target));
    } else if !*stood_in {
        *stood_in = true;
        mounts.push((String::new(), "/".to_string()));
    }
}

/// Whether a path in a container is in a folder of the system's (`/etc`, `/dev`, `/proc`,
/// `/sys`, `/run`, `/var/run`, `/var/log`, `/tmp`), which is no server's working directory.
fn in_system_folder(target: &str) -> bool {
    const SYSTEM: &[&str] = &[
        "/etc", "/dev", "/proc", "/sys", "/run", "/var/run", "/var/log", "/tmp",
    ];
    let target = crate::link::globs::clean(target);
    SYSTEM.iter().any(|folder| {
        target
            .strip_prefix(folder)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// A service as docker compose assembles it: the definitions it is made of, from the one it
/// inherits first (`extends`, the base file of an override) to the one that wins last. The last
/// is the service as written in the file being lowered, or the override file's.
pub(crate) struct View<'n> {
    /// `(file, service node)`, lowest first.
    pub(crate) layers: Vec<(FileId, &'n Node)>,
    /// The service as written in the file being lowered (its labels, healthcheck, ports and
    /// dependencies stay that file's: SL404 merges those itself).
    pub(crate) own: (FileId, &'n Node),
    /// Layers from a file in another folder than the own file's: the way from the own
    /// file's folder to that folder (`../common`), `None` when it cannot be written relative
    /// (a folder above one the own file's path climbs out of). Compose takes a relative host
    /// path of `volumes:` from the file that writes it.
    pub(crate) moved: Vec<(FileId, Option<String>)>,
}

impl<'n> View<'n> {
    pub(crate) fn single(file: FileId, node: &'n Node) -> Self {
        View {
            layers: vec![(file, node)],
            own: (file, node),
            moved: Vec::new(),
        }
    }

    /// The definitions whose `key` counts: all of them, but from the last one that writes it
    /// tagged `!override` (its value replaces instead of merging) or after the last one that
    /// writes it tagged `!reset` (the attribute is taken away, so the definitions before it do
    /// not count) (Compose specification, "Merge and override", "Reset value").
    fn merged(&self, key: &str) -> &[(FileId, &'n Node)] {
        for (i, (_, node)) in self.layers.iter().enumerate().rev() {
            match node.get(key).and_then(|v| v.tag.as_deref()) {
                Some("!override") => return &self.layers[i..],
                Some("!reset") => return &self.layers[i + 1..],
                _ => {}
            }
        }
        &self.layers
    }

    /// The attribute as the last definition that sets it writes it (compose replaces scalars
    /// and `command`/`entrypoint`).
    fn get(&self, key: &str) -> Option<(FileId, &'n Node)> {
        self.merged(key)
            .iter()
            .rev()
            .find_map(|&(file, node)| node.get(key).map(|value| (file, value)))
    }

    /// `build:` as compose merges it (Compose specification, "Merge and override": mappings
    /// merge key by key, on their expanded form): a string is `{context: …}`; `context`,
    /// `dockerfile` and `target` are each the last definition's that sets them. A context is
    /// relative to the file that writes it (the default override file is in the base file's
    /// folder; an `extends` file's paths are relative to that file), so the build is placed in
    /// that file (where the label "builds this image" points and `context` resolves from); a
    /// build that names no context builds the folder of the service's own file.
    fn build(&self, key: &Node) -> Option<ComposeBuild> {
        let mut context: Option<(FileId, &'n yaml::Entry, &'n str)> = None;
        let mut dockerfile: Option<&'n str> = None;
        let mut target: Option<&'n str> = None;
        let mut args: Vec<(String, Option<String>)> = Vec::new();
        // Where each arg name is in `args`: the files' args merge key by key in linear time.
        let mut arg_at: HashMap<String, usize> = HashMap::new();
        let mut last = None;
        for &(file, node) in self.merged("build") {
            let Some(entry) = node.get_entry("build") else {
                continue;
            };
            let value = &entry.value;
            if value.is_null() {
                continue;
            }
            last = Some(file);
            if let Some(written) = value.as_str() {
                context = Some((file, entry, written));
                continue;
            }
            if let Some(written) = value.get("context").and_then(Node::as_str) {
                context = Some((file, entry, written));
            }
            if let Some(written) = value.get("dockerfile").and_then(Node::as_str) {
                dockerfile = Some(written);
            }
            if let Some(written) = value.get("target").and_then(Node::as_str) {
                target = Some(written);
            }
            for (name, value) in build_args(value.get("args")) {
                match arg_at.get(&name).and_then(|&i| args.get_mut(i)) {
                    Some(earlier) => earlier.1 = value,
                    None => {
                        arg_at.insert(name.clone(), args.len());
                        args.push((name, value));
                    }
                }
            }
        }
        let (file, span, context) = match context {
            Some((file, entry, written)) => (file, entry.key.report_span(), written),
            None => {
                // No context written: the folder of the service's own file, where its own
                // `build` is written (else its name).
                last?;
                let own = self.own.0;
                let span = self
                    .layers
                    .iter()
                    .rev()
                    .filter(|&&(f, _)| f == own)
                    .find_map(|&(_, n)| n.get_entry("build"))
                    .map_or(key.report_span(), |e| e.key.report_span());
                (own, span, ".")
            }
        };
        Some(ComposeBuild {
            context: context.to_string(),
            dockerfile: dockerfile.unwrap_or("Dockerfile").to_string(),
            target: target.map(str::to_string),
            args,
            location: location(file, span),
        })
    }

    fn get_entry(&self, key: &str) -> Option<(FileId, &'n yaml::Entry)> {
        self.merged(key)
            .iter()
            .rev()
            .find_map(|&(file, node)| node.get_entry(key).map(|entry| (file, entry)))
    }
}

pub(crate) fn service(
    view: &View<'_>,
    name: &str,
    key: &Node,
    fragment: &mut Fragment,
    facts: &mut FileFacts,
    lists: &mut HashMap<(Span, Span), Arc<[SuppressedRule]>>,
) {
    let (file, node) = view.own;
    let labels = node.get("labels");
    if let Some((value, node_span, span)) = label(labels, IGNORE_ANNOTATION) {
        // One list per label as written: the services that use one anchored block share its
        // entries (parsed once), whatever their number.
        let rules = lists
            .entry((node_span, span))
            .or_insert_with(|| crate::suppress::entries(value, |_, _| location(file, span)))
            .clone();
        // The label silences the findings about this service (`service`); by position only the
        // findings about no service: in the service's text, which for a service written as an
        // alias (`name: *base`) is its own line and the anchored node written before it, not
        // the services between them.
        let scope = match &node.alias {
            Some(alias) => Scope::Ranges(key.span.join(alias.span), node.span),
            None => Scope::Range(key.span.join(node.span)),
        };
        facts.suppressions.push(Suppression {
            scope,
            rules,
            location: location(file, span),
            service: crate::suppress::subject(file, key.report_span().start),
        });
    }
    // Labels merge by name: the last definition that sets the label decides.
    let drain_annotation = view
        .merged("labels")
        .iter()
        .rev()
        .find_map(|&(file, node)| {
            label(node.get("labels"), DRAIN_ANNOTATION).map(|found| (file, found))
        })
        .and_then(|(file, (value, _, span))| {
            let seconds = crate::shell::commands::parse_duration_seconds(value)?;
            Some(Fact::at(seconds, location(file, span)))
        });

    // Compose interpolates the reference before it pulls it: `nginx:${V:-1.27-alpine}` runs
    // `nginx:1.27-alpine` when V is unset; one a variable alone gives stays as written.
    let image = view.get("image").and_then(|(file, i)| {
        let written = i.as_str()?;
        let at = location(file, i.report_span());
        Some(match interpolated(written) {
            Some(value) if value != written => Fact {
                value,
                location: Some(at),
                note: Some(format!("`image: {written}` as compose interpolates it")),
            },
            _ => Fact::at(written.to_string(), at),
        })
    });
    let image_name = image.as_ref().and_then(|i| ImageName::parse(&i.value));
    let written = image.as_ref().map_or("", |i| i.value.as_str()).to_string();
    let mut shell = images::shell_of(image_name.as_ref(), &written);
    shell.location = image.as_ref().and_then(|i| i.location);

    let build = view.build(key);

    let entrypoint = view
        .get("entrypoint")
        .and_then(|(file, n)| words(file, n, "entrypoint", 0));
    let command = view
        .get("command")
        .and_then(|(file, n)| words(file, n, "command", usize::from(entrypoint.is_some())));
    let as_command = |part: &Option<(Vec<CommandWord>, CommandSource)>| {
        part.as_ref().map(|(words, source)| Command {
            words: words
                .iter()
                .map(|w| CommandWord {
                    source: 0,
                    ..w.clone()
                })
                .collect(),
            sources: vec![source.clone()],
            ..Command::default()
        })
    };
    // `command`/`entrypoint` as written are read only to override the image's when a Dockerfile
    // in the scan builds it (`link::link_images`, which also tells whether a `target` is the
    // final stage): without a `build:` the effective command below is all the rules need.
    let links_build = build.is_some();
    let mut compose = ComposeService {
        name: name.to_string(),
        init: view.get("init").and_then(|(file, n)| {
            n.as_bool()
                .map(|v| Fact::at(v, location(file, n.report_span())))
        }),
        healthcheck: node
            .get_entry("healthcheck")
            .map(|e| location(file, e.key.report_span())),
        healthcheck_disabled: node.get("healthcheck").is_some_and(|h| {
            h.get("disable").and_then(Node::as_bool) == Some(true)
                || h.get("test")
                    .and_then(|t| t.items().next().or(Some(t)))
                    .and_then(Node::as_str)
                    == Some("NONE")
        }),
        depends_on_healthy: node
            .get("depends_on")
            .into_iter()
            .flat_map(Node::entries)
            .filter_map(|e| {
                let condition = e.value.get("condition")?;
                (condition.as_str() == Some("service_healthy")).then(|| {
                    (
                        e.key.as_str().unwrap_or("").to_string(),
                        location(file, condition.report_span()),
                    )
                })
            })
            .collect(),
        published_ports: node
            .get("ports")
            .into_iter()
            .flat_map(Node::items)
            .map(|p| location(file, p.report_span()))
            .collect(),
        build,
        command_key: view
            .get_entry("command")
            .map(|(file, e)| location(file, e.key.report_span())),
        entrypoint_key: view
            .get_entry("entrypoint")
            .map(|(file, e)| location(file, e.key.report_span())),
        command: links_build.then(|| as_command(&command)).flatten(),
        entrypoint: links_build.then(|| as_command(&entrypoint)).flatten(),
        env_files: Some(
            view.merged("env_file")
                .iter()
                .flat_map(|&(file, n)| env_file_entries(n.get("env_file"), file))
                .collect(),
        ),
        env_file_vars: None,
        env_file_unread: None,
    };

    // Without a linked Dockerfile: `entrypoint` (+ `command`) is the argv; a `command` alone runs
    // through the image's ENTRYPOINT, which official images make transparent (`exec "$@"`).
    let mut effective = Command::default();
    if let Some((words, source)) = entrypoint {
        effective.words.extend(words);
        effective.sources.push(source);
    }
    if let Some((words, source)) = command {
        effective.words.extend(words);
        effective.sources.push(source);
    }
    // Neither set: a known image runs its own command (`nginx:1.17` runs nginx).
    let effective = if effective.words.is_empty() {
        image
            .as_ref()
            .zip(image_name.as_ref())
            .and_then(|(i, name)| {
                let at = i.location?;
                images::default_command(name, file, at.span, &i.value)
            })
    } else {
        Some(effective)
    };

    let stop_signal = view
        .get("stop_signal")
        .and_then(|(file, s)| written_stop_signal(file, s))
        .or_else(|| images::stop_signal_of(image.as_ref()?, image_name.as_ref()?));
    let kill_deadline = view
        .get("stop_grace_period")
        .and_then(|(file, n)| seconds(n).map(|v| Fact::at(v, location(file, n.report_span()))));
    // `environment` merges by name across the definitions: a later value replaces an
    // earlier one in its place.
    let mut env: Vec<EnvVar> = Vec::new();
    for &(file, node) in view.merged("environment") {
        for (name, value, span) in pairs(node.get("environment")) {
            if !crate::drain::env_read_by_rules(&name) {
                continue;
            }
            let var = EnvVar::new(name, value.map(Into::into), location(file, span));
            match env.iter_mut().find(|e| e.name == var.name) {
                Some(earlier) => *earlier = var,
                None => env.push(var),
            }
        }
    }

    let mut process = Process::new(name, ProcessRole::Main, effective, shell);
    process.env = env;
    // `env_file` lists of every definition add up (compose merges them): any one hides.
    process.hidden_env = view
        .merged("env_file")
        .iter()
        .rev()
        .find_map(|&(file, n)| env_file(n.get("env_file"), file));
    process.mounts = config_mounts(view);
    // A service with neither `image`, `build` nor `extends` is no service compose runs alone
    // (it refuses it): a fragment of an overlay given with `-f`, whose other attributes the
    // files before it set. (An overlay beside its base file, `compose.prod.yaml` over
    // `compose.yaml`, is merged over the base file's service in `compose_project`, so this is
    // one whose base file is not in the scan or does not define it.) What it writes itself
    // wins in any merge: its `stop_signal`, and its command with its grace period when it
    // writes both (the environment the files before it give is not known).
    let written = |key: &str| view.get(key).is_some_and(|(_, v)| !v.is_null());
    let overlay = view.layers.iter().all(|(_, n)| is_fragment(n));
    let (processes, kill_deadline, drain_annotation) = if !overlay {
        (vec![process], kill_deadline, drain_annotation)
    } else if written("command") && written("stop_grace_period") {
        // What the files before it set is not known: the `env_file`s read do not tell all.
        compose.env_files = None;
        process.hidden_env.get_or_insert_with(|| {
            Box::new(HiddenEnv {
                source: "the compose files before this -f overlay",
                location: location(file, key.report_span()),
                overrides_written: false,
                prefixes: Vec::new(),
            })
        });
        (vec![process], kill_deadline, drain_annotation)
    } else {
        (Vec::new(), None, None)
    };
    fragment.workloads.push(Workload {
        platform: Platform::Compose,
        name: format!("service {name}"),
        location: location(file, key.report_span()),
        processes,
        stop_signal: stop_signal.map(std::sync::Arc::new),
        base_image: image.map(Box::new),
        image: None,
        kill_deadline,
        drain_annotation: drain_annotation.map(Box::new),
        kubernetes: None,
        compose: Some(Box::new(compose)),
        systemd: None,
        process_type: None,
        dockerfile_ref: None,
    });
}

/// How many `env_file`s are read for the nginx image's template settings, in all (each a
/// file of the scan, read once however many services name it).
const MAX_ENV_FILES: usize = 1024;

/// The `NGINX_ENVSUBST_*` variables of each compose service's `env_file`s
/// ([`ComposeService::env_file_vars`]), read when the file is inside the folder scanned
/// (`roots`: the compose file's) and no link leads out of it; a path relative to the folder
/// of the compose file that writes it (Compose file reference, `env_file`). Only a scan with
/// nginx files asks: the variables say where the official image's entrypoint takes templates
/// from and renders them to.
pub fn read_env_files(
    workloads: &mut [Workload],
    files: &crate::source::Files,
    roots: &HashMap<FileId, std::path::PathBuf>,
    max_bytes: u64,
) {
    use std::path::PathBuf;
    let mut read: HashMap<PathBuf, EnvFileRead> = HashMap::new();
    let mut one = |entry: &crate::model::EnvFile| -> EnvFileRead {
        let Some(written) = entry.path.as_deref() else {
            return EnvFileRead::Unknown;
        };
        let Some(root) = roots.get(&entry.location.file) else {
            return EnvFileRead::Unknown;
        };
        let Some(folder) = files.disk_path(entry.location.file).parent() else {
            return EnvFileRead::Unknown;
        };
        let clean = crate::change::paths::clean;
        let path = clean(&folder.join(written));
        let root = clean(root);
        if let Some(known) = read.get(&path) {
            return known.clone();
        }
        let found = if read.len() >= MAX_ENV_FILES {
            EnvFileRead::Unknown
        } else {
            match path
                .strip_prefix(&root)
                .ok()
                // Inside the root by its words before any system call: with the root `.`
                // every path has its prefix, so `/elsewhere/x.env` and `../x.env` are left
                // here, not opened (even with O_PATH, which follows links).
                .filter(|relative| {
                    !relative.as_os_str().is_empty()
                        && relative
                            .components()
                            .all(|c| matches!(c, std::path::Component::Normal(_)))
                }) {
                None => EnvFileRead::Unknown,
                Some(relative) => match crate::link::confined(&root, relative) {
                    Some(found) => crate::link::read_confined(&found, &root, max_bytes)
                        .ok()
                        .and_then(|text| {
                            parse_env_file(&text, |name| name.starts_with("NGINX_ENVSUBST_"))
                        })
                        .map_or(EnvFileRead::Unknown, |vars| {
                            EnvFileRead::Vars(Arc::new(vars))
                        }),
                    None if absent_inside(&root, relative) => EnvFileRead::Absent,
                    None => EnvFileRead::Unknown,
                },
            }
        };
        read.insert(path, found.clone());
        found
    };
    for workload in workloads.iter_mut() {
        let Some(compose) = workload.compose.as_deref_mut() else {
            continue;
        };
        let Some(entries) = compose.env_files.as_deref().filter(|e| !e.is_empty()) else {
            continue;
        };
        let mut vars: Vec<EnvVar> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut unread = None;
        for (at, entry) in entries.iter().enumerate() {
            let found = match one(entry) {
                EnvFileRead::Vars(found) => found,
                // Compose runs without an optional file that is absent.
                EnvFileRead::Absent if !entry.required => continue,
                EnvFileRead::Absent | EnvFileRead::Unknown => {
                    unread = Some(at);
                    break;
                }
            };
            for (name, value) in found.iter() {
                let value: Option<Arc<str>> = value.as_deref().map(Into::into);
                match index.get(name).and_then(|&at| vars.get_mut(at)) {
                    // Which of two files' values compose keeps has changed between its
                    // versions (the earlier file's was looked up first): taken as not known.
                    Some(earlier) if earlier.value != value => earlier.value = None,
                    Some(_) => {}
                    None => {
                        index.insert(name.clone(), vars.len());
                        vars.push(EnvVar::new(name.clone(), value, entry.location));
                    }
                }
            }
        }
        compose.env_file_vars = unread.is_none().then_some(vars);
        compose.env_file_unread = unread;
    }
}

/// What the scan knows of one `env_file`.
#[derive(Clone)]
enum EnvFileRead {
    /// Read: its `NGINX_ENVSUBST_*` variables.
    Vars(Arc<Vec<(String, Option<String>)>>),
    /// Not there: no file at its path, every folder on the way a real folder of the scan.
    Absent,
    /// Not read (outside the scan, a link, a variable in its path, refused, over the limits).
    Unknown,
}

/// Whether `root/relative` names nothing: some component is missing, and every one before it
/// is a folder (not a link, which may lead out of the scan, and not a file).
fn absent_inside(root: &std::path::Path, relative: &std::path::Path) -> bool {
    let mut at = root.to_path_buf();
    for component in relative.components() {
        match component {
            std::path::Component::Normal(name) => at.push(name),
            _ => return false,
        }
        match std::fs::symlink_metadata(&at) {
            Err(error) => return error.kind() == std::io::ErrorKind::NotFound,
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return false,
        }
    }
    false
}

/// The variables of a compose `env_file` (compose-go's `dotenv` parser): blank lines and lines
/// starting with `#` are skipped; `KEY=VALUE` or `KEY: VALUE`, an optional `export` before the
/// key; an unquoted value ends at the line's end or a `#` and loses its trailing blanks, a
/// single-quoted one is taken as written, a double-quoted one may span lines. A value that
/// compose fills in from its own environment (`${VAR}`, `$VAR` outside single quotes, a key
/// alone on its line), or with escapes, is `None`. `None` for a file compose refuses (an
/// unterminated quote, a character no variable name has). Only the names `keep` accepts are
/// kept (the others are parsed, so a file compose refuses is still refused, and dropped).
pub(crate) fn parse_env_file(
    text: &str,
    keep: impl Fn(&str) -> bool,
) -> Option<Vec<(String, Option<String>)>> {
    // compose's "space": blanks that are not a line break.
    let blank = |c: char| {
        matches!(
            c,
            '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
        )
    };
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    // Where each name is in `out`: a file of many keys costs one pass, not one search per key.
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut set = |name: &str, value: Option<String>| match index.get(name) {
        _ if !keep(name) => {}
        Some(&at) => {
            if let Some(earlier) = out.get_mut(at) {
                earlier.1 = value;
            }
        }
        None => {
            index.insert(name.to_string(), out.len());
            out.push((name.to_string(), value));
        }
    };
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if rest.starts_with('#') {
            match rest.find('\n') {
                Some(end) => {
                    rest = &rest[end..];
                    continue;
                }
                None => break,
            }
        }
        let src = rest
            .strip_prefix("export")
            .unwrap_or(rest)
            .trim_start_matches(blank);
        let mut split = None;
        for (i, c) in src.char_indices() {
            match c {
                '=' | ':' | '\n' => {
                    split = Some((i, c));
                    break;
                }
                '_' | '.' => {}
                c if blank(c) || c.is_alphanumeric() => {}
                _ => return None,
            }
        }
        let Some((at, separator)) = split else {
            // A key alone at the end: its value is compose's own environment's.
            let key = src.trim_end();
            if key.contains(' ') {
                return None;
            }
            set(key, None);
            break;
        };
        let key = src[..at].trim_end();
        if key.contains(' ') {
            return None;
        }
        let after = &src[at + separator.len_utf8()..];
        if separator == '\n' {
            set(key, None);
            rest = after;
            continue;
        }
        let value = after.trim_start_matches(blank);
        match value.chars().next() {
            Some(quote @ ('\'' | '"')) => {
                let bytes = value.as_bytes();
                let close =
                    (1..bytes.len()).find(|&i| bytes[i] == quote as u8 && bytes[i - 1] != b'\\')?;
                let inner = value[..close].trim_matches(quote);
                let literal = quote == '\'' || !inner.contains(['$', '\\']);
                set(key, literal.then(|| inner.to_string()));
                rest = &value[close + 1..];
            }
            _ => {
                let end = value.find('\n').unwrap_or(value.len());
                let line = &value[..end];
                let line = line.split('#').next().unwrap_or("").trim_end();
                set(key, (!line.contains('$')).then(|| line.to_string()));
                rest = &value[end..];
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_folders_are_no_working_directory() {
        for target in [
            "/etc/localtime",
            "/var/run/docker.sock",
            "/var/log",
            "/tmp/../etc/x",
        ] {
            assert!(in_system_folder(target), "{target}");
        }
        for target in ["/app", "/srv/app", "/etcetera", "/var/lib/app", "app"] {
            assert!(!in_system_folder(target), "{target}");
        }
    }

    #[test]
    fn a_later_mount_at_a_target_replaces_the_earlier_one() {
        let base = "nginx:\n  image: nginx:1.25\n  volumes:\n    - ./nginx/dev:/etc/nginx/conf.d:ro\n    - ./logs:/srv/logs\n    - ./static:/srv/static\n";
        let over = "nginx:\n  volumes:\n    - ./nginx/prod:/etc/nginx/conf.d/:ro\n    - {type: bind, source: ./assets, target: /srv/./static}\n";
        let limits = yaml::Limits::default();
        let base = yaml::parse_stream(base, &limits).expect("valid YAML");
        let over = yaml::parse_stream(over, &limits).expect("valid YAML");
        let (Some(b), Some(o)) = (base[0].root.get("nginx"), over[0].root.get("nginx")) else {
            panic!("no service");
        };
        let view = View {
            layers: vec![(FileId(0), b), (FileId(1), o)],
            own: (FileId(1), o),
            moved: Vec::new(),
        };
        let mounts = config_mounts(&view).expect("mounts");
        assert_eq!(
            mounts.nginx,
            [("./nginx/prod".to_string(), "/etc/nginx/conf.d".to_string())]
        );
        assert_eq!(mounts.host_folders, ["./logs", "./assets"]);
    }

    fn cycles(text: &str) -> Vec<String> {
        let mut fragment = Fragment::default();
        let mut facts = FileFacts::default();
        lower(FileId(0), text, &mut fragment, &mut facts).expect("valid YAML");
        facts.problems.into_iter().map(|p| p.message).collect()
    }

    fn services(text: &str) -> Vec<Workload> {
        let mut fragment = Fragment::default();
        let mut facts = FileFacts::default();
        lower(FileId(0), text, &mut fragment, &mut facts).expect("valid YAML");
        fragment.workloads
    }

    #[test]
    fn a_service_keeps_the_variables_rules_read_in_order() {
        for environment in [
            "{LOG_LEVEL: info, GRACEFUL_TIMEOUT: 10s, PORT: '80', SHUTDOWN_TIMEOUT: 20s, GUNICORN_CMD_ARGS: --graceful-timeout 5}",
            "[LOG_LEVEL=info, GRACEFUL_TIMEOUT=10s, PORT=80, SHUTDOWN_TIMEOUT=20s, GUNICORN_CMD_ARGS=--graceful-timeout 5]",
        ] {
            let text = format!("services:\n  web:\n    image: app\n    environment: {environment}\n");
            let workloads = services(&text);
            assert_eq!(
                workloads[0].processes[0].env_pairs(),
                [
                    ("GRACEFUL_TIMEOUT", Some("10s")),
                    ("SHUTDOWN_TIMEOUT", Some("20s")),
                    ("GUNICORN_CMD_ARGS", Some("--graceful-timeout 5")),
                ],
                "{environment}"
            );
            // The kept variable still points at its value.
            let at = workloads[0].processes[0].env[0].location.span;
            assert!(text[at.start..at.end].contains("10s"), "{environment}");
        }
    }

    /// `env_file` in any of its forms makes the environment partly unknown; `environment`
    /// written beside it still wins.
    #[test]
    fn an_env_file_hides_the_environment() {
        for env_file in [
            ".env",
            "[.env, prod.env]",
            "[{path: ./common.env, required: false}]",
        ] {
            let text = format!(
                "services:\n  web:\n    image: app\n    env_file: {env_file}\n    environment: {{SHUTDOWN_TIMEOUT: 5s}}\n"
            );
            let workloads = services(&text);
            let process = &workloads[0].processes[0];
            let hidden = process.hidden_env.as_deref().expect(env_file);
            assert_eq!(hidden.source, "env_file");
            assert!(!hidden.overrides_written);
            assert!(text[hidden.location.span.start..hidden.location.span.end].contains(".env"));
            assert!(matches!(
                process.env_lookup("SHUTDOWN_TIMEOUT"),
                crate::model::EnvLookup::Written(_)
            ));
            assert!(matches!(
                process.env_lookup("GRACEFUL_TIMEOUT"),
                crate::model::EnvLookup::Hidden(_)
            ));
        }
        for none in ["[]", "null"] {
            let text = format!("services:\n  web:\n    image: app\n    env_file: {none}\n");
            assert_eq!(services(&text)[0].processes[0].hidden_env, None, "{none}");
        }
    }

    #[test]
    fn written_commands_are_kept_only_when_a_build_can_link() {
        let kept = |service: &str| {
            let text = format!(
                "services:\n  web:\n{service}    entrypoint: [tini, --]\n    command: app serve\n"
            );
            let workloads = services(&text);
            let compose = workloads[0].compose.as_deref().expect("compose facts");
            // The effective command is the same either way.
            assert_eq!(
                workloads[0].processes[0]
                    .command
                    .as_ref()
                    .map(|c| c.argv().join(" ")),
                Some("tini -- app serve".to_string())
            );
            assert!(compose.command_key.is_some() && compose.entrypoint_key.is_some());
            (compose.entrypoint.is_some(), compose.command.is_some())
        };
        assert_eq!(kept("    image: app\n"), (false, false));
        assert_eq!(kept("    build: .\n"), (true, true));
        assert_eq!(
            kept("    build: {context: ./api, dockerfile: Dockerfile.prod}\n"),
            (true, true)
        );
        // Kept for linking: whether `dev` is the final stage is told by the Dockerfile.
        assert_eq!(kept("    build: {context: ., target: dev}\n"), (true, true));
    }

    #[test]
    fn nginx_mounts_skip_secrets_and_end_in_an_unknown_root_past_the_cap() {
        let mounts = |volumes: &str| {
            let text = format!("services:\n  web:\n    image: nginx\n    volumes:\n{volumes}");
            services(&text)[0].processes[0]
                .mounts
                .as_deref()
                .map(|m| m.nginx.clone())
                .unwrap_or_default()
        };
        let certs: String = (0..100)
            .map(|i| format!("      - ./certs/s{i}.crt:/etc/nginx/certs/s{i}.crt:ro\n"))
            .collect();
        let vhost = "      - ./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro\n";
        assert_eq!(
            mounts(&format!("{certs}{vhost}")),
            [(
                "./nginx/default.conf".to_string(),
                "/etc/nginx/conf.d/default.conf".to_string()
            )]
        );
        // Host paths past the cap are kept (whether the scan reads them is told later);
        // named volumes past it are one `/` stand-in.
        let many: String = (0..MAX_NGINX_MOUNTS + 10)
            .map(|i| format!("      - ./n/{i}.conf:/etc/nginx/conf.d/{i}.conf\n"))
            .collect();
        let kept = mounts(&format!("{many}{vhost}"));
        assert_eq!(kept.len(), MAX_NGINX_MOUNTS + 11);
        assert_eq!(
            kept.last().map(|m| m.0.as_str()),
            Some("./nginx/default.conf")
        );
        let volumes: String = (0..MAX_NGINX_MOUNTS + 10)
            .map(|i| format!("      - v{i}:/etc/nginx/conf.d/{i}\n"))
            .collect();
        let kept = mounts(&format!("{volumes}{vhost}"));
        assert_eq!(kept.len(), MAX_NGINX_MOUNTS + 1);
        assert_eq!(kept[MAX_NGINX_MOUNTS - 1], (String::new(), "/".to_string()));
        assert_eq!(
            kept.last().map(|m| m.0.as_str()),
            Some("./nginx/default.conf")
        );
    }

    #[test]
    fn the_image_is_read_as_compose_interpolates_it() {
        let image = |written: &str| {
            let text = format!("services:\n  web:\n    image: \"{written}\"\n");
            services(&text)[0]
                .base_image
                .as_deref()
                .map(|f| (f.value.clone(), f.note.is_some()))
        };
        let is = |v: &str, note: bool| Some((v.to_string(), note));
        assert_eq!(image("nginx:1.27"), is("nginx:1.27", false));
        assert_eq!(
            image("nginx:${NGINX_VERSION:-1.27-alpine}"),
            is("nginx:1.27-alpine", true)
        );
        assert_eq!(
            image("${IMAGE:-nginx:1.27-alpine}"),
            is("nginx:1.27-alpine", true)
        );
        // Only the environment gives it: kept as written.
        assert_eq!(
            image("nginx:${NGINX_VERSION}"),
            is("nginx:${NGINX_VERSION}", false)
        );
    }

    #[test]
    fn build_args_are_kept_with_values_only_the_file_tells() {
        let args = |build: &str| {
            let text = format!("services:\n  web:\n    build:\n{build}");
            services(&text)[0]
                .compose
                .as_deref()
                .and_then(|c| c.build.clone())
                .map(|b| b.args)
                .unwrap_or_default()
        };
        let some = |n: &str, v: &str| (n.to_string(), Some(v.to_string()));
        assert_eq!(
            args("      context: .\n      args: {V: 1.30-alpine, N: 3}\n"),
            vec![some("V", "1.30-alpine"), some("N", "3")]
        );
        assert_eq!(
            args("      context: .\n      args: [V=1.30, FROM_ENV, 'T=${TAG}', E=]\n"),
            vec![
                some("V", "1.30"),
                ("FROM_ENV".to_string(), None),
                ("T".to_string(), None),
                some("E", "")
            ]
        );
        // Compose interpolates the file: a default stands for a variable not set.
        assert_eq!(
            args("      context: .\n      args: {V: '${NGINX_VERSION:-1.30}', W: '$${X}'}\n"),
            vec![some("V", "1.30"), some("W", "${X}")]
        );
        assert_eq!(
            args("      context: .\n      args: {V: }\n"),
            vec![("V".to_string(), None)]
        );
    }

    #[test]
    fn a_target_naming_the_final_stage_in_any_case_builds_it() {
        let build = |target: Option<&str>| ComposeBuild {
            context: ".".into(),
            dockerfile: "Dockerfile".into(),
            target: target.map(str::to_string),
            args: Vec::new(),
            location: Location::new(FileId(0), crate::span::Span::new(0, 0)),
        };
        assert!(build(None).builds_final_stage(None));
        assert!(build(None).builds_final_stage(Some("production")));
        assert!(build(Some("production")).builds_final_stage(Some("production")));
        assert!(build(Some("Production")).builds_final_stage(Some("production")));
        // Another stage, or a final stage without a name.
        assert!(!build(Some("dev")).builds_final_stage(Some("production")));
        assert!(!build(Some("production")).builds_final_stage(None));
        assert!(!build(Some("${TARGET}")).builds_final_stage(Some("production")));
    }

    #[test]
    fn each_extends_cycle_is_reported_once() {
        let found = cycles(
            "services:\n  a: {extends: b}\n  b: {extends: {service: c}}\n  c: {extends: b}\n  d: {extends: a}\n  e: {extends: e}\n",
        );
        assert_eq!(
            found,
            [
                "circular reference with extends: b -> c -> b; docker compose rejects the file",
                "circular reference with extends: e -> e; docker compose rejects the file",
            ]
        );
        // A chain into a cycle: the cycle alone, from where the chain enters it.
        assert_eq!(
            cycles("services:\n  a: {extends: b}\n  b: {extends: c}\n  c: {extends: d}\n  d: {extends: c}\n"),
            ["circular reference with extends: c -> d -> c; docker compose rejects the file"]
        );
        // Long ones: a chain of 20,000 into a cycle of 20,000, and a chain of 20,000 that ends.
        let long = 20_000;
        let mut text = String::from("services:\n");
        for i in 0..2 * long {
            let next = if i + 1 == 2 * long { long } else { i + 1 };
            text.push_str(&format!("  s{i}: {{extends: s{next}}}\n"));
        }
        for i in 0..long {
            text.push_str(&format!("  t{i}: {{extends: t{}}}\n", i + 1));
        }
        let found = cycles(&text);
        let names: Vec<String> = (long..2 * long)
            .chain([long])
            .map(|i| format!("s{i}"))
            .collect();
        assert_eq!(
            found,
            [format!(
                "circular reference with extends: {}; docker compose rejects the file",
                names.join(" -> ")
            )]
        );
        // Another file's service of the same name, a missing one, a chain: no cycle.
        assert!(cycles(
            "services:\n  a: {extends: {file: x.yaml, service: a}}\n  b: {extends: zz}\n  c: {extends: b}\n"
        )
        .is_empty());
    }

    #[test]
    fn env_files_are_read_as_compose_reads_them() {
        let parse = |text: &str| parse_env_file(text, |_| true).expect(text);
        let one =
            |name: &str, value: Option<&str>| vec![(name.to_string(), value.map(str::to_string))];
        assert_eq!(parse("# c\n\n  A=1\n"), one("A", Some("1")));
        assert_eq!(parse("export A=/x # note\n"), one("A", Some("/x")));
        assert_eq!(parse("A: /x\r\n"), one("A", Some("/x")));
        assert_eq!(parse("A='${B}' # c\n"), one("A", Some("${B}")));
        assert_eq!(parse("A=\"/x\"\n"), one("A", Some("/x")));
        assert_eq!(parse("A=\"${B}\"\n"), one("A", None));
        assert_eq!(parse("A=$B\n"), one("A", None));
        assert_eq!(parse("A\n"), one("A", None));
        assert_eq!(parse("A"), one("A", None));
        assert_eq!(parse("A=\nA=/y\n"), one("A", Some("/y")));
        assert_eq!(
            parse("A=\"x\ny\"\nB=2"),
            [
                ("A".to_string(), Some("x\ny".to_string())),
                ("B".to_string(), Some("2".to_string()))
            ]
        );
        for refused in ["A=\"x\n", "A-B=1\n", "A B=1\n"] {
            assert_eq!(parse_env_file(refused, |_| true), None, "{refused}");
        }
        // Only the names asked for are kept; a later value of a name replaces the earlier
        // one in its place, however many keys the file has.
        let many: String = (0..50_000)
            .map(|i| format!("APP_{i}=x\nNGINX_ENVSUBST_{}=v{i}\n", i % 3))
            .collect();
        let kept = parse_env_file(&many, |n| n.starts_with("NGINX_ENVSUBST_")).expect("many");
        assert_eq!(
            kept,
            [
                ("NGINX_ENVSUBST_0".to_string(), Some("v49998".to_string())),
                ("NGINX_ENVSUBST_1".to_string(), Some("v49999".to_string())),
                ("NGINX_ENVSUBST_2".to_string(), Some("v49997".to_string())),
            ]
        );
        assert_eq!(
            parse_env_file("NGINX_ENVSUBST_A=1\nB-C=2\n", |_| false),
            None
        );
    }

    #[test]
    fn env_file_entries_keep_plain_paths_only() {
        let read = |env_file: &str| {
            let text = format!("services:\n  web:\n    image: app\n    env_file: {env_file}\n");
            services(&text)[0]
                .compose
                .as_deref()
                .and_then(|c| c.env_files.clone())
                .expect("env_files")
        };
        let entries = |env_file: &str| {
            read(env_file)
                .into_iter()
                .map(|e| e.path)
                .collect::<Vec<_>>()
        };
        let some = |p: &str| Some(p.to_string());
        assert_eq!(entries("a.env"), [some("a.env")]);
        assert_eq!(entries("[a.env, \"${X}.env\"]"), [some("a.env"), None]);
        assert_eq!(
            entries("[{path: a.env, required: false}, {path: b.env, format: raw}]"),
            [some("a.env"), None]
        );
        assert!(entries("null").is_empty());
        let required = |env_file: &str| {
            read(env_file)
                .into_iter()
                .map(|e| e.required)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            required("[a.env, {path: b.env}, {path: c.env, required: true}, {path: d.env, required: false}, {path: e.env, required: \"false\"}]"),
            [true, true, true, false, false]
        );
    }

    #[test]
    fn volumes_are_split_after_compose_interpolates_them() {
        assert_eq!(
            split_outside_braces("${A:-./x}/p.conf:/etc/nginx/conf.d/p.conf:ro"),
            ["${A:-./x}/p.conf", "/etc/nginx/conf.d/p.conf", "ro"]
        );
        assert_eq!(
            split_outside_braces("./p:${B:-${C:-/a:b}}/x:ro:z"),
            ["./p", "${B:-${C:-/a:b}}/x", "ro:z"]
        );
        assert_eq!(split_outside_braces("$${A:x}"), ["$${A", "x}"]);
        assert_eq!(split_outside_braces("/data"), ["/data"]);
        let nginx = |volume: &str| {
            let text =
                format!("services:\n  web:\n    image: nginx\n    volumes:\n      - {volume}\n");
            services(&text)[0].processes[0]
                .mounts
                .as_deref()
                .map(|m| m.nginx.clone())
                .unwrap_or_default()
        };
        let one = |host: &str, target: &str| vec![(host.to_string(), target.to_string())];
        // A default stands for a variable that is not set.
        assert_eq!(
            nginx("${NGINX_DIR:-./nginx}/proxy.conf:/etc/nginx/conf.d/00-proxy.conf:ro"),
            one("./nginx/proxy.conf", "/etc/nginx/conf.d/00-proxy.conf")
        );
        assert_eq!(
            nginx("./nginx/p.conf:${CONF_DIR:-/etc/nginx/conf.d}/p.conf:ro"),
            one("./nginx/p.conf", "/etc/nginx/conf.d/p.conf")
        );
        assert_eq!(
            nginx("${D:-./nginx}:/etc/nginx/conf.d:ro"),
            one("./nginx", "/etc/nginx/conf.d")
        );
        assert_eq!(
            nginx("{type: bind, source: '${D:-./n}/a.conf', target: '${T:-/etc/nginx}/conf.d/a.conf'}"),
            one("./n/a.conf", "/etc/nginx/conf.d/a.conf")
        );
        // A variable with no default: what is mounted, or where, is not known.
        assert_eq!(
            nginx("${NGINX_DIR}/proxy.conf:/etc/nginx/conf.d/00-proxy.conf:ro"),
            one("", "/etc/nginx/conf.d/00-proxy.conf")
        );
        assert_eq!(nginx("./p.conf:${CONF_DIR}/p.conf"), one("", "/"));
        assert_eq!(
            nginx("./p.conf:/etc/nginx/conf.d/${SITE}.conf"),
            one("", "/etc/nginx/conf.d")
        );
        assert_eq!(nginx("./p.conf:/etc/${NGINX}/p.conf"), one("", "/etc"));
        assert!(nginx("./static:/srv/${SITE}/static").is_empty());
    }

    #[test]
    fn only_a_missing_path_of_real_folders_is_absent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir(root.join("deploy")).expect("mkdir");
        std::fs::write(root.join("a.env"), "A=1\n").expect("write");
        let absent = |relative: &str| absent_inside(root, std::path::Path::new(relative));
        assert!(absent(".env.local"));
        assert!(absent("deploy/.env.local"));
        assert!(absent("missing/deeper/.env"));
        assert!(!absent("a.env"));
        assert!(!absent("deploy"));
        // A file on the way (compose is refused the path, it is not missing).
        assert!(!absent("a.env/x"));
        #[cfg(unix)]
        {
            let outside = tempfile::tempdir().expect("tempdir");
            std::os::unix::fs::symlink(outside.path(), root.join("out")).expect("symlink");
            // Through a link: what is there is outside the scan, not known.
            assert!(!absent("out/.env.local"));
        }
    }
}
