//! docker compose projects: what `docker compose up` runs, from the files the scan holds.
//!
//! Each compose file is lowered alone first ([`crate::lower::compose::lower`]). Then what
//! compose does before it runs a service is applied here, to the services it concerns:
//!
//! - the default override file: without `-f`, compose reads the first of `compose.yaml`,
//!   `compose.yml`, `docker-compose.yml`, `docker-compose.yaml` in the folder, and merges over
//!   it the first of `compose.override.yml`, `compose.override.yaml`,
//!   `docker-compose.override.yml`, `docker-compose.override.yaml` (Docker docs, "Merge Compose
//!   files"; compose-go `cli.DefaultFileNames`, `DefaultOverrideFileNames`). The merged service
//!   replaces the base file's; the override file's definition of a service the base file has
//!   stays a part (SL404 reads its healthcheck and dependencies) without the facts the stop
//!   rules read. A base or override file named alone brings its partner into the scan
//!   (`discover::compose_partner`).
//! - `-f` overlays: a file named like one (`compose.prod.yaml`, `docker-compose.staging.yml`)
//!   beside a base file is given after it (`docker compose -f compose.yaml -f compose.prod.yaml
//!   up`, Docker docs "Use Compose in production"). Its service of a name the base file has is
//!   judged merged over the base file's (not over the default override file, which compose does
//!   not read when `-f` is given), whatever it writes (a registry `image:`, production `build:`
//!   args, only a `command`): its own values win, what it does not write is the base file's,
//!   and its labels merge with the base file's, merge tags included. The base file's service is
//!   judged as `docker compose up` runs it, too. An overlay that looks like a complete project
//!   of its own ([`complete`]: every service writes `image` or `build`, it defines a service
//!   the base file lacks or declares top-level `volumes`/`networks` not `external`, and it
//!   does not only change a service of the base file: testdriven.io's
//!   `docker-compose.prod.yml`, run alone with `-f`) may as well be given alone: its services
//!   are judged alone (in the model) and merged (the `twins` of [`apply`]), and a finding of
//!   the per-workload rules about a service is reported only when both judgements make it
//!   (or the alone one cannot judge the service: `only_what_both_find` in lib.rs).
//! - `extends`: a service copies the attributes of the service it extends, in its own file
//!   (`extends: base`) or in another (`extends: {file: common.yaml, service: app}`, relative to
//!   the extending file), its own attributes winning (Docker docs, "Extend your Compose file").
//!   A service extended from an `extends` library (another file that cannot be a project run
//!   alone: named for shared definitions, `docker-compose.base.yml`, or with a service compose
//!   could not run, [`library_by_name`]) is a template: judged in the services that extend it, not
//!   alone, and its file is no `-f` overlay. A runnable file others extend (the production
//!   file the development or CI file reuses) is judged as written.
//!   An `extends` that cannot be followed (its file is no compose file of the scan, the service
//!   is not there, a variable names it, a cycle, a chain past 16, a file past the budget of
//!   extended files) could set anything: the service keeps no process and no stop facts but a
//!   `stop_signal` it writes itself, so the rules that read them stay silent. A relative host
//!   path of `volumes:` in a file of another folder is taken from that file's folder, as
//!   compose converts it.
//!
//! Attributes merge as compose merges them: the last definition that sets `command`,
//! `entrypoint`, `image`, `init`, `stop_signal`, `stop_grace_period` wins; `build` merges key
//! by key on its long form (`context`, `dockerfile`, `target` each the last definition's; a
//! context relative to the file that writes it); `environment` and `labels` merge by name;
//! `volumes` merge by their target (a later mount at a container path replaces an earlier one:
//! Compose specification, "Merge and override", "Unique resources"); `env_file` adds up.

use crate::formats::yaml::{self, Document, Node};
use crate::formats::Fragment;
use crate::lower::compose::{service, View};
use crate::lower::kubernetes::FileFacts;
use crate::model::{Fact, Model, Platform, Signal, Workload};
use crate::source::{FileId, FileKind, Files};
use crate::span::Span;
use crate::suppress::{Scope, Suppression};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};

pub(crate) const BASE_NAMES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];
pub(crate) const OVERRIDE_NAMES: &[&str] = &[
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// How long an `extends` chain may be followed (compose has no limit; a longer one is taken
/// as unknown rather than walked).
const MAX_EXTENDS: usize = 16;

/// How many bytes of compose files that other files extend are held parsed at once (a tree
/// takes about 50 times its text). A service whose `extends` leads past them is not judged,
/// and a note says which files were left.
const MAX_KEPT_BYTES: usize = 2 << 20;

fn split(path: &str) -> (&str, &str) {
    match path.rsplit_once('/') {
        Some((dir, name)) => (dir, name),
        None => ("", path),
    }
}

fn clean(path: &str) -> String {
    crate::link::globs::clean(path)
}

/// A path as the scan shows it, spelled one way whatever the argument it came from (`$PWD/app`
/// and `app`, `../proj/common` and `common`): cleaned, from `/` when `cwd` is known (taken
/// lexically: no link is followed).
fn spelled(path: &str, cwd: Option<&str>) -> String {
    match cwd {
        Some(cwd) if !path.starts_with('/') => clean(&format!("{cwd}/{path}")),
        _ => clean(path),
    }
}

/// A compose file's documents (none when it does not parse: its services were judged alone).
fn parse(text: &str) -> Vec<Document> {
    yaml::parse_stream(text, &yaml::Limits::default()).unwrap_or_default()
}

/// The services of a parsed file: those of its first document with `services:`.
fn services(documents: &[Document]) -> Option<&Node> {
    documents.iter().find_map(|d| d.root.get("services"))
}

/// Each file's services by name: where the name starts, and the definition.
type Index<'p> = HashMap<FileId, HashMap<&'p str, (usize, &'p Node)>>;

/// Each parsed file's services by name (the last of a name wins, as in compose).
fn index(parsed: &HashMap<FileId, Vec<Document>>) -> Index<'_> {
    parsed
        .iter()
        .map(|(&file, documents)| {
            let services = services(documents)
                .into_iter()
                .flat_map(Node::entries)
                .filter_map(|e| Some((e.key.as_str()?, (e.key.report_span().start, &e.value))))
                .collect();
            (file, services)
        })
        .collect()
}

/// The services a piece of the project reads: those of the files parsed for the piece alone
/// (`local`), then those of the `extends` targets kept for the whole pass (`kept`).
struct Lookup<'a, 'p> {
    local: &'a Index<'p>,
    kept: &'a Index<'p>,
}

impl<'p> Lookup<'_, 'p> {
    fn find(&self, file: FileId, name: &str) -> Option<&'p Node> {
        self.find_keyed(file, name).map(|(_, node)| node)
    }

    /// The service `name` of `file`: where its name starts, and its definition.
    fn find_keyed(&self, file: FileId, name: &str) -> Option<(usize, &'p Node)> {
        self.local
            .get(&file)
            .or_else(|| self.kept.get(&file))?
            .get(name)
            .copied()
    }
}

/// How many definitions each service seen is made of ([`Project::depth`]), by file and where
/// its definition is: those of kept files for the whole pass, the others for one piece.
#[derive(Default)]
struct Memo {
    kept: HashMap<(FileId, Span), Option<usize>>,
    local: HashMap<(FileId, Span), Option<usize>>,
}

/// What becomes of a service lowered before.
enum Outcome {
    /// Lowered again from its definitions.
    Lowered(Box<Workload>),
    /// What the stop rules read is not known (or is judged elsewhere): no process and no stop
    /// facts, but the `stop_signal` it writes itself when nothing could replace it.
    Unknown(Option<Fact<Signal>>),
}

/// What judging a file's services found: what becomes of each service concerned, by file
/// and where its name is; and the ignore labels copied to the other files a service is made
/// of.
#[derive(Default)]
struct Judged {
    lowered: Vec<((FileId, Span), Outcome)>,
    labels: Vec<Suppression>,
    /// Notes: services whose `extends` come back to them through other files.
    notes: Vec<String>,
    /// Services whose own ignore label a later definition replaced or took away.
    overridden: Vec<std::num::NonZeroU64>,
    /// Services of an `-f` overlay that may as well be a standalone file: merged over the base
    /// file's (the service alone is what `lowered` holds).
    twins: Vec<((FileId, Span), Workload)>,
}

/// Whether an `-f` overlay looks like a complete project of its own, which compose may as well
/// be given alone (`docker compose -f docker-compose.prod.yml up`, testdriven.io's layout:
/// whole services with `build`, `command`, `volumes`, `env_file`, and volumes of its own):
/// every service writes `image` or `build`, the file defines a service `in_base` says the
/// base file lacks or declares top-level `volumes` or `networks` that are not `external`,
/// and no service the base file defines is only changed ([`a_change`]). An overlay that only
/// changes services, even each one's `image`, adds a log aggregator or joins an external
/// network (Traefik's) is taken as one: Docker's "Use Compose in production" overlay.
fn complete<'p>(documents: &[Document], in_base: impl Fn(&str) -> Option<&'p Node>) -> bool {
    let mut any = false;
    let mut own_service = false;
    for service in services(documents).into_iter().flat_map(Node::entries) {
        any = true;
        let writes = |key: &str| service.value.get(key).is_some_and(|v| !v.is_null());
        if !writes("image") && !writes("build") {
            return false;
        }
        match service.key.as_str().map(&in_base) {
            Some(Some(base)) if a_change(&service.value, base) => return false,
            Some(None) => own_service = true,
            _ => {}
        }
    }
    let declares = documents.iter().any(|d| {
        ["volumes", "networks"].iter().any(|key| {
            d.root.get(key).is_some_and(|v| {
                v.entries().any(|e| {
                    // `traefik: {external: true}` is made elsewhere: it says nothing of the
                    // file being a whole project.
                    !e.value
                        .get("external")
                        .is_some_and(|x| x.as_bool() != Some(false) && !x.is_null())
                })
            })
        })
    });
    any && (own_service || declares)
}

/// Whether an overlay's definition of a service the base file defines (`base`) only changes
/// it: it writes neither `command` nor `entrypoint`, and either no `build` where the base file
/// builds (a registry `image:` tag for what the base file builds: the image pushed from it) or
/// the base file's `build` again. A file meant to run alone says what runs.
fn a_change(overlay: &Node, base: &Node) -> bool {
    let writes = |node: &Node, key: &str| node.get(key).is_some_and(|v| !v.is_null());
    if writes(overlay, "command") || writes(overlay, "entrypoint") {
        return false;
    }
    match (
        overlay.get("build").filter(|b| !b.is_null()),
        base.get("build").filter(|b| !b.is_null()),
    ) {
        (None, Some(_)) => true,
        (Some(own), Some(theirs)) => {
            build_key(own).is_some() && build_key(own) == build_key(theirs)
        }
        _ => false,
    }
}

/// A `build` as what it builds: context (`.` when the long form leaves it out), Dockerfile,
/// target, as written; `None` when it is neither a string nor a mapping of strings.
fn build_key(build: &Node) -> Option<(&str, Option<&str>, Option<&str>)> {
    if let Some(context) = build.as_str() {
        return Some((context, None, None));
    }
    if !build.is_mapping() {
        return None;
    }
    let text = |key: &str| -> Option<Option<&str>> {
        match build.get(key).filter(|v| !v.is_null()) {
            None => Some(None),
            Some(v) => v.as_str().map(Some),
        }
    };
    Some((
        text("context")?.unwrap_or("."),
        text("dockerfile")?,
        text("target")?,
    ))
}

struct Project<'f> {
    files: &'f Files,
    /// Compose files of the scan by path from the working directory ([`spelled`]).
    by_path: HashMap<String, FileId>,
    /// The working directory, when it has a UTF-8 path.
    cwd: Option<String>,
    /// The default pairs: base -> override, override -> base.
    override_of: HashMap<FileId, FileId>,
    base_of: HashMap<FileId, FileId>,
    /// `-f` overlays beside a base file (`compose.prod.yaml`): overlay -> base.
    overlay_of: HashMap<FileId, FileId>,
}

/// Where an `extends` leads: `(file, service)`, `None` when it cannot be followed.
fn target(
    files: &Files,
    (by_path, cwd): (&HashMap<String, FileId>, Option<&str>),
    file: FileId,
    extends: &Node,
) -> Option<(FileId, String)> {
    if let Some(name) = extends.as_str() {
        return (!name.contains('$')).then(|| (file, name.to_string()));
    }
    let name = extends.get("service")?.as_str()?;
    if name.contains('$') {
        return None;
    }
    let other = match extends.get("file") {
        None => file,
        Some(f) if f.is_null() => file,
        Some(f) => {
            let path = f.as_str()?;
            if path.contains('$') || path.starts_with(['/', '~']) {
                return None;
            }
            let (dir, _) = split(files.path(file));
            let joined = if dir.is_empty() {
                path.to_string()
            } else {
                format!("{dir}/{path}")
            };
            *by_path.get(&spelled(&joined, cwd))?
        }
    };
    Some((other, name.to_string()))
}

impl Project<'_> {
    /// Where an `extends` of `file` leads ([`target`]).
    fn target(&self, file: FileId, extends: &Node) -> Option<(FileId, String)> {
        target(
            self.files,
            (&self.by_path, self.cwd.as_deref()),
            file,
            extends,
        )
    }

    fn parse(&self, file: FileId) -> Vec<Document> {
        parse(&self.files.text_uncached(file))
    }

    /// Whether a service of `file` has `extends`, and the other files they lead to.
    fn extends(&self, file: FileId, documents: &[Document]) -> (bool, Vec<FileId>) {
        let mut any = false;
        let mut others = Vec::new();
        for document in documents {
            let Some(services) = document.root.get("services") else {
                continue;
            };
            for entry in services.entries() {
                let Some(extends) = entry.value.get("extends") else {
                    continue;
                };
                any = true;
                if let Some((other, _)) = target(
                    self.files,
                    (&self.by_path, self.cwd.as_deref()),
                    file,
                    extends,
                ) {
                    if other != file {
                        others.push(other);
                    }
                }
            }
        }
        others.sort_unstable();
        others.dedup();
        (any, others)
    }

    /// How many definitions `node` (service of `file`) is made of through `extends`, itself
    /// included; `None` when an `extends` on the way cannot be followed (or comes back). Each
    /// service's answer is kept in `memo`, so each is walked once however many chains pass
    /// through it (60,000 services each extending the next take one walk).
    fn depth(
        &self,
        lookup: &Lookup<'_, '_>,
        memo: &mut Memo,
        file: FileId,
        node: &Node,
    ) -> Option<usize> {
        let kept = |file: FileId| lookup.kept.contains_key(&file);
        let mut path: Vec<(FileId, Span)> = Vec::new();
        let mut on_path: HashSet<(FileId, Span)> = HashSet::new();
        let (mut file, mut node) = (file, node);
        let mut depth = loop {
            let key = (file, node.span);
            let known = if kept(file) {
                memo.kept.get(&key)
            } else {
                memo.local.get(&key)
            };
            if let Some(&known) = known {
                break known;
            }
            if !on_path.insert(key) {
                break None;
            }
            path.push(key);
            let Some(extends) = node.get("extends").filter(|e| !e.is_null()) else {
                break Some(0);
            };
            let Some((other, name)) = self.target(file, extends) else {
                break None;
            };
            let Some(next) = lookup.find(other, &name) else {
                break None;
            };
            file = other;
            node = next;
        };
        for key in path.into_iter().rev() {
            depth = depth.map(|d| d + 1);
            if kept(key.0) {
                memo.kept.insert(key, depth);
            } else {
                memo.local.insert(key, depth);
            }
        }
        depth
    }

    /// The definitions `node` (service of `file` whose name starts at `key`) is made of
    /// through `extends`, lowest first, itself last, each with where its name starts (`keys`);
    /// `false` when an `extends` cannot be followed or the chain is longer than [`MAX_EXTENDS`].
    fn chain<'p>(
        &self,
        lookup: &Lookup<'_, 'p>,
        memo: &mut Memo,
        (file, key, node): (FileId, usize, &'p Node),
        layers: &mut Vec<(FileId, &'p Node)>,
        keys: &mut Vec<usize>,
    ) -> bool {
        if self
            .depth(lookup, memo, file, node)
            .is_none_or(|d| d > MAX_EXTENDS)
        {
            return false;
        }
        let mut stack = vec![(file, key, node)];
        let (mut file, mut node) = (file, node);
        while let Some(extends) = node.get("extends").filter(|e| !e.is_null()) {
            let Some((other, name)) = self.target(file, extends) else {
                return false;
            };
            let Some((key, next)) = lookup.find_keyed(other, &name) else {
                return false;
            };
            file = other;
            node = next;
            stack.push((file, key, node));
            if stack.len() > MAX_EXTENDS {
                return false;
            }
        }
        for (file, key, node) in stack.into_iter().rev() {
            layers.push((file, node));
            keys.push(key);
        }
        true
    }

    /// When the `extends` of `node` (service of `file`) come back to it through another file:
    /// that file's path (a cycle within one file is SL000 already).
    fn cycle(&self, lookup: &Lookup<'_, '_>, file: FileId, node: &Node) -> Option<&str> {
        let start = (file, node.span);
        let (mut at, mut here) = (file, node);
        let mut other = None;
        for _ in 0..=MAX_EXTENDS {
            let extends = here.get("extends").filter(|e| !e.is_null())?;
            let (next, name) = target(
                self.files,
                (&self.by_path, self.cwd.as_deref()),
                at,
                extends,
            )?;
            here = lookup.find(next, &name)?;
            at = next;
            if at != file {
                other.get_or_insert(at);
            }
            if (at, here.span) == start {
                return other.map(|o| self.files.path(o));
            }
        }
        None
    }

    /// The workloads of service `name` (of `own`, whose name is `key`) made of `layers`.
    fn lower_view<'p>(
        &self,
        layers: Vec<(FileId, &'p Node)>,
        own: (FileId, &'p Node),
        name: &str,
        key: &Node,
    ) -> Vec<Workload> {
        let file = own.0;
        let here = split(self.files.path(file)).0;
        let mut moved: Vec<(FileId, Option<String>)> = Vec::new();
        for &(other, _) in &layers {
            let there = split(self.files.path(other)).0;
            if other != file && clean(there) != clean(here) && !moved.iter().any(|m| m.0 == other) {
                moved.push((other, way(here, there)));
            }
        }
        let view = View { layers, own, moved };
        let mut fragment = Fragment::default();
        service(
            &view,
            name,
            key,
            &mut fragment,
            &mut FileFacts::default(),
            &mut HashMap::new(),
        );
        fragment.workloads
    }

    /// Judge the services of `file` (its parsed `documents`): each one made of several
    /// definitions is lowered again from them, each that cannot be known is left without a
    /// process. `lookup` holds every file they can reach.
    fn judge<'p>(
        &self,
        lookup: &Lookup<'_, 'p>,
        memo: &mut Memo,
        file: FileId,
        documents: &'p [Document],
        labels: &Labels<'_>,
        judged: &mut Judged,
    ) {
        // An `-f` overlay whose every service is complete may be a standalone file given alone
        // with `-f` (testdriven.io's `docker-compose.prod.yml`): its services are judged alone
        // and merged over the base file's, and only what both judgements find is reported.
        let standalone = self
            .overlay_of
            .get(&file)
            .is_some_and(|&base| complete(documents, |name| lookup.find(base, name)));
        for document in documents {
            let Some(services) = document.root.get("services") else {
                continue;
            };
            for entry in services.entries() {
                let Some(name) = entry.key.as_str() else {
                    continue;
                };
                let mut layers = Vec::new();
                let mut keys = Vec::new();
                let own_key = entry.key.report_span().start;
                let mut over_definition = None;
                let mut known = true;
                // How many of `layers` are the base file's (an `-f` overlay's service).
                let mut from_base = 0;
                // A service the base file also defines: a part of it, judged there.
                let part = self
                    .base_of
                    .get(&file)
                    .is_some_and(|&base| lookup.find(base, name).is_some());
                if !part {
                    // An `-f` overlay's service is merged over the base file's of the same name
                    // (`docker compose -f compose.yaml -f compose.prod.yaml`), whatever it writes.
                    if let Some(&base) = self.overlay_of.get(&file) {
                        if let Some((key, node)) = lookup.find_keyed(base, name) {
                            let found = (base, key, node);
                            known &= self.chain(lookup, memo, found, &mut layers, &mut keys);
                            from_base = layers.len();
                        }
                    }
                    let own = (file, own_key, &entry.value);
                    known &= self.chain(lookup, memo, own, &mut layers, &mut keys);
                    if let Some(&over) = self.override_of.get(&file) {
                        if let Some((key, node)) = lookup.find_keyed(over, name) {
                            over_definition = Some((over, key));
                            let found = (over, key, node);
                            known &= self.chain(lookup, memo, found, &mut layers, &mut keys);
                        }
                    }
                }
                if !known && !part {
                    if let Some(through) = self.cycle(lookup, file, &entry.value) {
                        judged.notes.push(format!(
                            "{}: service `{name}` extends itself through {through} (docker compose refuses the project: circular reference); it is not judged",
                            self.files.path(file)
                        ));
                    }
                }
                if part || !known {
                    // Its own `stop_signal` stays when nothing it cannot follow could replace it.
                    let signal = if part {
                        None
                    } else {
                        let over = self
                            .override_of
                            .get(&file)
                            .and_then(|&over| Some((over, lookup.find(over, name)?)));
                        own_signal(over.into_iter().chain([(file, &entry.value)]))
                    };
                    judged
                        .lowered
                        .push(((file, entry.key.report_span()), Outcome::Unknown(signal)));
                    continue;
                }
                if layers.len() < 2 {
                    // Defined once, as lowered already.
                    continue;
                }
                spread_labels(
                    (&layers, &keys),
                    (file, &entry.key, &entry.value),
                    over_definition,
                    labels,
                    (&mut judged.labels, &mut judged.overridden),
                );
                if standalone && from_base > 0 {
                    let alone = layers.get(from_base..).unwrap_or_default().to_vec();
                    for workload in self.lower_view(layers, (file, &entry.value), name, &entry.key)
                    {
                        judged
                            .twins
                            .push(((file, workload.location.span), workload));
                    }
                    if alone.len() < 2 {
                        // Alone it is defined once, as lowered already.
                        continue;
                    }
                    layers = alone;
                }
                for workload in self.lower_view(layers, (file, &entry.value), name, &entry.key) {
                    judged.lowered.push((
                        (file, workload.location.span),
                        Outcome::Lowered(Box::new(workload)),
                    ));
                }
            }
        }
    }
}

/// Apply default override files and `extends` to the compose services of `model`: the
/// workloads of the files concerned are lowered again from their merged definitions, in place.
///
/// A file is parsed again only when it has a partner or `extends`, in a piece with its
/// partner. A piece whose `extends` stay in it is judged at once (pieces in parallel) and its
/// trees dropped; one that reaches other files is judged after, with the files other files
/// extend, which are kept for the pass. So the peak is the extended files and a piece per
/// thread, not every file concerned.
///
/// A `shutdownlint.dev/ignore` label of any definition of a merged service silences the
/// findings about the service wherever they point (docs/suppressions.md): `suppressions` gets,
/// for each such label, one in every other file the service is made of.
///
/// `twins` gets, for each service of an `-f` overlay that may be a standalone file (every
/// service of it writes `image` or `build`), the service merged over the base file's, with the
/// index of the workload that holds the service judged alone: a finding about the service is
/// reported only when both judgements make it.
pub fn apply(
    model: &mut Model,
    files: &Files,
    suppressions: &mut Vec<Suppression>,
    twins: &mut Vec<(usize, Workload)>,
) -> Vec<String> {
    let compose: Vec<(FileId, &str)> = files
        .iter()
        .filter(|(_, f)| f.kind == FileKind::Compose)
        .map(|(id, f)| (id, f.path))
        .collect();
    if compose.is_empty() {
        return Vec::new();
    }
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|d| d.to_str().map(str::to_string));
    let by_path: HashMap<String, FileId> = compose
        .iter()
        .map(|&(id, path)| (spelled(path, cwd.as_deref()), id))
        .collect();
    // The default pair of each folder that has an override file.
    // Per folder: the first base file and the first override file, by rank in the lists.
    type Pair = (Option<(usize, FileId)>, Option<(usize, FileId)>);
    // By folder cleaned as written: `t/./compose.override.yaml` is in `t`.
    let mut folders: HashMap<String, Pair> = HashMap::new();
    for &(id, path) in &compose {
        let (dir, name) = split(path);
        let slot = folders.entry(clean(dir)).or_default();
        if let Some(rank) = BASE_NAMES.iter().position(|n| *n == name) {
            if slot.0.is_none_or(|(r, _)| rank < r) {
                slot.0 = Some((rank, id));
            }
        }
        if let Some(rank) = OVERRIDE_NAMES.iter().position(|n| *n == name) {
            if slot.1.is_none_or(|(r, _)| rank < r) {
                slot.1 = Some((rank, id));
            }
        }
    }
    let mut override_of: HashMap<FileId, FileId> = HashMap::new();
    let mut base_of: HashMap<FileId, FileId> = HashMap::new();
    for (base, over) in folders.values() {
        if let (Some((_, base)), Some((_, over))) = (base, over) {
            override_of.insert(*base, *over);
            base_of.insert(*over, *base);
        }
    }
    let mut overlay_of = overlay_bases(&compose);
    // `extends` libraries: compose files whose services another compose file's services
    // extend and that cannot be a project run alone ([`library_by_name`]: named for shared
    // definitions, or a service compose could not run). Their extended services are templates,
    // judged in the services that extend them, not alone; and such a file is no `-f` overlay
    // (nobody gives it with `-f`).
    let (templates, mention_extends) =
        templates(files, &compose, (&by_path, cwd.as_deref()), &overlay_of);
    overlay_of.retain(|file, _| !templates.contains_key(file));
    let mut overlays_of: HashMap<FileId, Vec<FileId>> = HashMap::new();
    for (&overlay, &base) in &overlay_of {
        overlays_of.entry(base).or_default().push(overlay);
    }
    for overlays in overlays_of.values_mut() {
        overlays.sort_unstable();
    }
    let project = Project {
        files,
        by_path,
        cwd,
        override_of,
        base_of,
        overlay_of,
    };
    // The files that may change: those of a pair, those that may have `extends` (the word
    // before the parse), in pieces judged together: a base file with its default override
    // file and its `-f` overlays, or a file alone.
    let mut pieces: Vec<Vec<FileId>> = Vec::new();
    for &(id, _) in &compose {
        if project.base_of.contains_key(&id) || project.overlay_of.contains_key(&id) {
            // With its base file.
            continue;
        }
        let overlays = overlays_of.get(&id).map_or(&[][..], Vec::as_slice);
        match project.override_of.get(&id) {
            Some(&over) => pieces.push([&[id, over][..], overlays].concat()),
            None if !overlays.is_empty() => pieces.push([&[id][..], overlays].concat()),
            None if mention_extends.contains(&id) => pieces.push(vec![id]),
            None => {}
        }
    }
    if pieces.is_empty() {
        return Vec::new();
    }
    // Each piece parsed alone: judged at once when nothing outside it matters, else the files
    // it reaches.
    let labels_index = Labels::new(suppressions);
    let originals = &labels_index;
    let first: Vec<Result<Judged, Vec<FileId>>> = pieces
        .par_iter()
        .map(|piece| {
            let parsed: HashMap<FileId, Vec<Document>> =
                piece.iter().map(|&f| (f, project.parse(f))).collect();
            let mut any = false;
            let mut others = Vec::new();
            for (&file, documents) in &parsed {
                let (has, reached) = project.extends(file, documents);
                any |= has;
                others.extend(reached.into_iter().filter(|f| !piece.contains(f)));
            }
            if !others.is_empty() {
                return Err(others);
            }
            let mut judged = Judged::default();
            if any || piece.len() > 1 {
                let local = index(&parsed);
                let lookup = Lookup {
                    local: &local,
                    kept: &Index::new(),
                };
                let mut memo = Memo::default();
                for &file in piece {
                    if let Some(documents) = parsed.get(&file) {
                        project.judge(&lookup, &mut memo, file, documents, originals, &mut judged);
                    }
                }
            }
            Ok(judged)
        })
        .collect();
    // Where each compose workload is, by file and where its name is (the first of a place).
    let mut at: HashMap<(FileId, Span), usize> = HashMap::new();
    for (i, workload) in model.workloads.iter().enumerate() {
        if workload.platform == Platform::Compose {
            at.entry((workload.location.file, workload.location.span))
                .or_insert(i);
        }
    }
    let mut labels = Vec::new();
    let mut notes = Vec::new();
    let mut overridden = Vec::new();
    let mut later = Vec::new();
    let mut kept_ids: Vec<FileId> = Vec::new();
    for (piece, outcome) in pieces.iter().zip(first) {
        match outcome {
            Ok(judged) => settle(
                model,
                &at,
                judged,
                (&mut labels, &mut notes, &mut overridden, twins),
            ),
            Err(others) => {
                later.push(piece);
                kept_ids.extend(others);
            }
        }
    }
    kept_ids.sort_unstable();
    kept_ids.dedup();
    // The files other files extend, parsed once for the pass (up to [`MAX_KEPT_BYTES`]); each
    // piece that reaches them parsed again and judged with them.
    let mut budget = MAX_KEPT_BYTES;
    let mut texts = Vec::new();
    for file in kept_ids {
        let text = files.text_uncached(file);
        match budget.checked_sub(text.len()) {
            Some(left) => {
                budget = left;
                texts.push((file, text));
            }
            None => notes.push(format!(
                "{}: other compose files extend it, past the {} MiB of extended files held at once; \
                 the services that extend it are not judged",
                files.path(file),
                MAX_KEPT_BYTES >> 20
            )),
        }
    }
    let kept: HashMap<FileId, Vec<Document>> = texts
        .into_par_iter()
        .map(|(file, text)| (file, parse(&text)))
        .collect();
    let kept_index = index(&kept);
    // The pieces in parallel, a few per thread at a time (each keeps its answers for the kept
    // files' services); what they found is put in the model in their order.
    let at_once = rayon::current_num_threads().max(1) * 4;
    for part in later.chunks(at_once) {
        let found: Vec<Judged> = part
            .par_iter()
            .map_init(Memo::default, |memo, piece| {
                let local_files: HashMap<FileId, Vec<Document>> = piece
                    .iter()
                    .filter(|f| !kept.contains_key(f))
                    .map(|&f| (f, project.parse(f)))
                    .collect();
                let local = index(&local_files);
                let lookup = Lookup {
                    local: &local,
                    kept: &kept_index,
                };
                memo.local.clear();
                let mut judged = Judged::default();
                for &file in piece.iter() {
                    if let Some(documents) = local_files.get(&file).or_else(|| kept.get(&file)) {
                        project.judge(&lookup, memo, file, documents, originals, &mut judged);
                    }
                }
                judged
            })
            .collect();
        for judged in found {
            settle(
                model,
                &at,
                judged,
                (&mut labels, &mut notes, &mut overridden, twins),
            );
        }
    }
    // A label a later definition replaced is not in effect: the service's own is dropped.
    if !overridden.is_empty() {
        let overridden: HashSet<std::num::NonZeroU64> = overridden.into_iter().collect();
        suppressions.retain(|s| {
            s.service
                .is_none_or(|service| !overridden.contains(&service))
        });
    }
    suppressions.extend(labels);
    if !templates.is_empty() {
        for workload in &mut model.workloads {
            let template = workload.compose.as_deref().is_some_and(|c| {
                templates
                    .get(&workload.location.file)
                    .is_some_and(|names| names.contains(c.name.as_str()))
            });
            if template {
                unknown(workload, None);
            }
        }
    }
    notes
}

/// The services other compose files' services extend from an `extends` library ([`library_by_name`]),
/// by file: templates (Docker docs, "Extend your Compose file": the extended file holds the
/// shared definition, the service that extends it runs). Only files that write `extends` and
/// `file` are parsed, and the files they extend whose name does not tell. With them, the compose
/// files whose text has the word `extends` (each file is read once here for both).
fn templates(
    files: &Files,
    compose: &[(FileId, &str)],
    paths: (&HashMap<String, FileId>, Option<&str>),
    overlay_of: &HashMap<FileId, FileId>,
) -> (HashMap<FileId, HashSet<String>>, HashSet<FileId>) {
    // Each file: whether it mentions `extends`, and the services of other files it extends.
    type Read = (FileId, bool, Vec<(FileId, String)>);
    let read: Vec<Read> = compose
        .par_iter()
        .map(|&(file, _)| {
            let text = files.text_uncached(file);
            let mentions = text.contains("extends");
            let documents = if mentions && text.contains("file") {
                parse(&text)
            } else {
                Vec::new()
            };
            let mut found = Vec::new();
            for service in services(&documents).into_iter().flat_map(Node::entries) {
                let Some(extends) = service.value.get("extends").filter(|e| e.is_mapping()) else {
                    continue;
                };
                if let Some((other, name)) = target(files, paths, file, extends) {
                    if other != file {
                        found.push((other, name));
                    }
                }
            }
            (file, mentions, found)
        })
        .collect();
    let mut templates: HashMap<FileId, HashSet<String>> = HashMap::new();
    let mut mention_extends: HashSet<FileId> = HashSet::new();
    for (file, mentions, found) in read {
        if mentions {
            mention_extends.insert(file);
        }
        for (other, name) in found {
            templates.entry(other).or_default().insert(name);
        }
    }
    // Which extended files are libraries ([`library_by_name`], else [`runnable`]): each file
    // whose name does not tell is parsed once, and the base file of such an `-f` overlay too,
    // however many overlays it has.
    let mut libraries: HashSet<FileId> = HashSet::new();
    let mut untold: Vec<FileId> = Vec::new();
    for &file in templates.keys() {
        match library_by_name(split(files.path(file)).1) {
            Some(true) => {
                libraries.insert(file);
            }
            Some(false) => {}
            None => untold.push(file),
        }
    }
    let bases: HashSet<FileId> = untold
        .iter()
        .filter_map(|file| overlay_of.get(file).copied())
        .collect();
    let base_services: HashMap<FileId, HashSet<String>> = bases
        .into_par_iter()
        .map(|base| {
            let documents = parse(&files.text_uncached(base));
            let names = services(&documents)
                .into_iter()
                .flat_map(Node::entries)
                .filter_map(|e| e.key.as_str().map(str::to_string))
                .collect();
            (base, names)
        })
        .collect();
    let fragments: Vec<FileId> = untold
        .into_par_iter()
        .filter(|file| {
            let documents = parse(&files.text_uncached(*file));
            let in_base = overlay_of
                .get(file)
                .and_then(|base| base_services.get(base));
            !runnable(&documents, |name| in_base.is_some_and(|s| s.contains(name)))
        })
        .collect();
    libraries.extend(fragments);
    templates.retain(|file, _| libraries.contains(file));
    (templates, mention_extends)
}

/// What the name of a compose file that other files' services extend says of it as an
/// `extends` library, a file that cannot be a project run alone, rather than a project of its
/// own whose services another reuses (a development or CI file extending the production file
/// that `docker compose -f docker-compose.prod.yml up` runs: Docker docs, "Extend your Compose
/// file": `extends` shares configuration "among different files, or even different projects
/// entirely"). `Some(false)` for a base or override file (`docker compose up` runs it),
/// `Some(true)` for a library's name ([`library_name`]: `docker-compose.base.yml`,
/// `compose.common.yaml`), whatever its services; else `None`: the file is a library when
/// compose could not run it ([`runnable`], with the base file of an `-f` overlay under it).
/// So a file named for an environment (`docker-compose.prod.yml`, `.staging`) whose services
/// run is judged as written, and so is one of any other name (`docker-compose.web.yml`).
fn library_by_name(name: &str) -> Option<bool> {
    if BASE_NAMES.contains(&name) || OVERRIDE_NAMES.contains(&name) {
        return Some(false);
    }
    library_name(name).then_some(true)
}

/// The words of a compose file name after its family (`docker-compose.common-services.yml`:
/// `common`, `services`), lowercased; none for a name that is no compose name.
fn name_words(name: &str) -> Vec<String> {
    let lower = name.to_ascii_lowercase();
    if !crate::discover::is_compose_name(&lower) {
        return Vec::new();
    }
    let mut parts: Vec<&str> = lower.split('.').collect();
    parts.pop();
    parts
        .iter()
        .skip(1)
        .flat_map(|p| p.split(['-', '_']))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Whether a compose file name says it holds shared definitions for `extends`, not a project:
/// a word of it after the family is `base`, `common`, `shared`, `template` or `templates`
/// (`docker-compose.base.yml`, `compose.common.yaml`, `docker-compose.shared.yml`; Docker's
/// own example is `common-services.yml`), also beside an environment's word
/// (`docker-compose.prod.base.yml` is the base of the production file).
fn library_name(name: &str) -> bool {
    name_words(name)
        .iter()
        .any(|w| ["base", "common", "shared", "template", "templates"].contains(&w.as_str()))
}

/// Whether compose could run a file's services as written: each writes `image`, `build` or
/// `extends` (which may bring them), or is one `in_base` says the base file defines (an `-f`
/// overlay's service, merged over it). A service with neither image nor build makes compose
/// refuse the project ("has neither an image nor a build context specified"): such a file
/// holds fragments for `extends` (Docker docs: "extend files need not be valid Compose files.
/// Extend files can contain small fragments of configuration").
fn runnable(documents: &[Document], in_base: impl Fn(&str) -> bool) -> bool {
    services(documents)
        .into_iter()
        .flat_map(Node::entries)
        .all(|service| {
            let writes = |key: &str| service.value.get(key).is_some_and(|v| !v.is_null());
            writes("image")
                || writes("build")
                || writes("extends")
                || service.key.as_str().is_some_and(&in_base)
        })
}

/// Whether a file name is that of an `-f` overlay beside a base file: `compose.prod.yaml`,
/// `docker-compose.staging.yml` (a compose name that is neither a base nor an override name).
fn overlay_name(name: &str) -> bool {
    crate::discover::is_compose_name(name)
        && !BASE_NAMES.contains(&name)
        && !OVERRIDE_NAMES.contains(&name)
}

/// Whether a compose file name marks a CI or test overlay (`docker-compose.ci.yml`,
/// `compose.test.yaml`, `docker-compose.testing.yml`): run for a test job and torn down after
/// it, nothing drains there, so the drain rules (SL301, SL303) do not judge its services.
/// `dev`/`local` files are not among them: they run the application for a person, who may
/// well use its shutdown.
pub(crate) fn test_overlay_name(name: &str) -> bool {
    if !overlay_name(name) {
        return false;
    }
    let mut parts: Vec<&str> = name.split('.').collect();
    parts.pop();
    parts
        .iter()
        .skip(1)
        .any(|p| ["ci", "test", "tests", "testing"].contains(&p.to_ascii_lowercase().as_str()))
}

/// The base file an `-f` overlay named `name` (`compose.prod.yaml`) is given after, of the
/// base names `present` says its folder has: the first by rank of the overlay's own family
/// (`docker-compose.yml` for `docker-compose.prod.yml`), else the first by rank (`docker compose
/// -f compose.yaml -f compose.prod.yaml`, Docker docs "Use Compose in production"). `None` when
/// `name` is no overlay's or the folder has no base file.
pub(crate) fn overlay_base(name: &str, present: impl Fn(&str) -> bool) -> Option<&'static str> {
    if !overlay_name(name) {
        return None;
    }
    let mut bases = BASE_NAMES.iter().copied().filter(|b| present(b));
    let first = bases.clone().next()?;
    let family = bases.find(|b| {
        let stem = b.split('.').next().unwrap_or(b);
        name.strip_prefix(stem)
            .is_some_and(|rest| rest.starts_with('.'))
    });
    Some(family.unwrap_or(first))
}

/// The `-f` overlays of the scan, each with its base file ([`overlay_base`]), in the same
/// folder.
fn overlay_bases(compose: &[(FileId, &str)]) -> HashMap<FileId, FileId> {
    // Per folder: the base files by name, and the files named otherwise.
    type Folder<'a> = (HashMap<&'a str, FileId>, Vec<(FileId, &'a str)>);
    let mut folders: HashMap<String, Folder<'_>> = HashMap::new();
    for &(id, path) in compose {
        let (dir, name) = split(path);
        let slot = folders.entry(clean(dir)).or_default();
        if BASE_NAMES.contains(&name) {
            slot.0.insert(name, id);
        } else {
            slot.1.push((id, name));
        }
    }
    let mut overlay_of = HashMap::new();
    for (bases, others) in folders.values() {
        for &(overlay, name) in others {
            if let Some(base) = overlay_base(name, |b| bases.contains_key(b)) {
                if let Some(&base) = bases.get(base) {
                    overlay_of.insert(overlay, base);
                }
            }
        }
    }
    overlay_of
}

/// Put what judging found into the model.
/// Where [`settle`] puts what it does not put in the model: labels, notes, overridden labels,
/// and twins.
type Settled<'a> = (
    &'a mut Vec<Suppression>,
    &'a mut Vec<String>,
    &'a mut Vec<std::num::NonZeroU64>,
    &'a mut Vec<(usize, Workload)>,
);

fn settle(
    model: &mut Model,
    at: &HashMap<(FileId, Span), usize>,
    judged: Judged,
    (labels, notes, overridden, twins): Settled<'_>,
) {
    for (place, workload) in judged.twins {
        if let Some(&i) = at.get(&place) {
            twins.push((i, workload));
        }
    }
    for (place, lowered) in judged.lowered {
        let Some(workload) = at.get(&place).and_then(|&i| model.workloads.get_mut(i)) else {
            continue;
        };
        match lowered {
            Outcome::Lowered(new) => *workload = *new,
            Outcome::Unknown(signal) => unknown(workload, signal),
        }
    }
    labels.extend(judged.labels);
    notes.extend(judged.notes);
    overridden.extend(judged.overridden);
}

/// The `stop_signal` of a service some of whose definitions cannot be followed, from its
/// definitions as written, last first (the override file's, then its own): the first that
/// writes one wins; one with `extends` before that could set it, so it is not known.
fn own_signal<'n>(written: impl Iterator<Item = (FileId, &'n Node)>) -> Option<Fact<Signal>> {
    for (file, node) in written {
        if let Some(value) = node.get("stop_signal") {
            return crate::lower::compose::written_stop_signal(file, value);
        }
        if node.get("extends").is_some_and(|e| !e.is_null()) {
            return None;
        }
    }
    None
}

/// The way from folder `from` to folder `to` (both as written, relative to the same place):
/// `../common` from `app` to `common`; `None` when `from` climbs out (`..`) past where they part,
/// or one is absolute and the other not.
fn way(from: &str, to: &str) -> Option<String> {
    if from.starts_with('/') != to.starts_with('/') {
        return None;
    }
    let parts = |path: &str| -> Vec<String> {
        clean(path)
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_string)
            .collect()
    };
    let (from, to) = (parts(from), parts(to));
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    if from[common..].iter().any(|c| c == "..") {
        return None;
    }
    let mut way: Vec<&str> = vec![".."; from.len() - common];
    way.extend(to[common..].iter().map(String::as_str));
    Some(if way.is_empty() {
        ".".to_string()
    } else {
        way.join("/")
    })
}

/// The scan's ignore labels of compose services, by the service that carries them
/// ([`crate::suppress::subject`]).
struct Labels<'s> {
    by_service: HashMap<std::num::NonZeroU64, Vec<&'s Suppression>>,
}

impl<'s> Labels<'s> {
    fn new(all: &'s [Suppression]) -> Self {
        let mut by_service: HashMap<_, Vec<&'s Suppression>> = HashMap::new();
        for label in all {
            if let Some(service) = label.service {
                by_service.entry(service).or_default().push(label);
            }
        }
        Labels { by_service }
    }

    /// The labels the service of `file` whose name starts at `key` carries, in the scan's order.
    fn of(&self, file: FileId, key: usize) -> &[&'s Suppression] {
        crate::suppress::subject(file, key)
            .and_then(|service| self.by_service.get(&service))
            .map_or(&[], Vec::as_slice)
    }
}

/// Copy the ignore labels a service carries through its definitions (`layers`, with where each
/// one's name starts; its own `own` among them, and its override file's `over`) to where its
/// findings can point: a label of another definition (an extended service, the override
/// file's) reaches the service in its own file, and every label reaches the other files it is
/// made of for the findings about it (the override file's `stop_grace_period`, an extended
/// template's). The copies are about the service (compose merges `labels`): a template's own
/// findings, or those of other services extending it, stay. The copies share the label's
/// list, so SL001 counts it used either way.
fn spread_labels(
    (layers, keys): (&[(FileId, &Node)], &[usize]),
    own: (FileId, &Node, &Node),
    over: Option<(FileId, usize)>,
    labels: &Labels<'_>,
    (added, overridden): (&mut Vec<Suppression>, &mut Vec<std::num::NonZeroU64>),
) {
    let (own_file, own_key, own_node) = own;
    if layers.len() < 2 {
        return;
    }
    let own_at = own_key.report_span().start;
    let service = crate::suppress::subject(own_file, own_at);
    // The other files, once each, with the range findings about no service are held in: the
    // override file's definition is this service's text; a template's is another service's.
    let mut others: Vec<(FileId, Span, Span)> = Vec::new();
    for (&(file, node), &key) in layers.iter().zip(keys) {
        if file == own_file {
            continue;
        }
        let held = if Some((file, key)) == over {
            node.span
        } else {
            Span::empty(node.span.start)
        };
        match others.iter_mut().find(|o| o.0 == file) {
            Some(other) if !held.is_empty() => other.1 = held,
            Some(_) => {}
            None => others.push((file, held, node.span)),
        }
    }
    // The ignore label in effect: labels merge by name, the last definition that sets it
    // wins (`!override` keeps only its own labels, `!reset` none).
    let mut effect: Option<usize> = None;
    for (i, &(_, node)) in layers.iter().enumerate() {
        let written = node.get("labels");
        match written.and_then(|l| l.tag.as_deref()) {
            Some("!reset") => effect = None,
            Some("!override") => effect = None,
            _ => {}
        }
        if crate::lower::compose::label(written, crate::lower::kubernetes::IGNORE_ANNOTATION)
            .is_some()
        {
            effect = Some(i);
        }
    }
    // The own definition's label, replaced by a later one or taken away: not in effect.
    let own_index = layers
        .iter()
        .zip(keys)
        .position(|(&(f, _), &k)| (f, k) == (own_file, own_at));
    let own_replaced =
        own_index.is_some_and(|own| effect != Some(own)) && !labels.of(own_file, own_at).is_empty();
    if own_replaced {
        if let Some(service) = service {
            overridden.push(service);
        }
    }
    for (i, (&(file, _), &key)) in layers.iter().zip(keys).enumerate() {
        if effect != Some(i) {
            continue;
        }
        for label in labels.of(file, key) {
            if (file, key) != (own_file, own_at) {
                added.push(Suppression {
                    scope: Scope::Range(own_key.span.join(own_node.span)),
                    rules: std::sync::Arc::clone(&label.rules),
                    location: crate::diagnostic::Location::new(own_file, own_key.span),
                    service,
                });
            }
            for &(other, held, at) in &others {
                added.push(Suppression {
                    scope: Scope::Range(held),
                    rules: std::sync::Arc::clone(&label.rules),
                    location: crate::diagnostic::Location::new(other, at),
                    service,
                });
            }
        }
    }
}

/// What the stop rules read is not known (or is judged elsewhere): no process, no stop facts
/// but `signal`.
fn unknown(workload: &mut Workload, signal: Option<Fact<Signal>>) {
    workload.processes.clear();
    workload.stop_signal = signal.map(std::sync::Arc::new);
    workload.kill_deadline = None;
    workload.drain_annotation = None;
    if let Some(compose) = workload.compose.as_deref_mut() {
        compose.command = None;
        compose.entrypoint = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Selection};
    use crate::{InputFile, Settings};

    type Found = (String, String, Option<f64>, Option<String>, String);

    /// The compose files `(path, text)` linted together.
    fn lint(files: &[(&str, &str)]) -> crate::Report {
        let settings = Settings::new(Config::default(), Selection::all());
        let inputs = files
            .iter()
            .map(|(path, text)| InputFile {
                display: path.to_string(),
                kind: FileKind::Compose,
                text: text.to_string(),
                dir: None,
            })
            .collect();
        crate::lint_inputs(inputs, &settings)
    }

    /// The workload of service `name` in `file`.
    fn workload<'r>(report: &'r crate::Report, file: &str, name: &str) -> Option<&'r Workload> {
        report.model.workloads.iter().find(|w| {
            w.name == format!("service {name}") && report.files.path(w.location.file) == file
        })
    }

    /// The compose services of the files `(path, text)`, as the rules see them:
    /// `(file, service, grace seconds, stop signal, argv)`.
    fn services(files: &[(&str, &str)]) -> Vec<Found> {
        let report = lint(files);
        report
            .model
            .workloads
            .iter()
            .filter(|w| !w.processes.is_empty())
            .map(|w| {
                (
                    report.files.path(w.location.file).to_string(),
                    w.name.clone(),
                    w.kill_deadline.as_ref().map(|f| f.value),
                    w.stop_signal.as_ref().map(|s| format!("{:?}", s.value)),
                    w.processes[0]
                        .command
                        .as_ref()
                        .map(|c| c.argv().join(" "))
                        .unwrap_or_default(),
                )
            })
            .collect()
    }

    #[test]
    fn an_overlay_is_complete_when_it_could_run_alone() {
        // The development file: `web` is built here, `db` from a registry.
        let base = parse(
            "services:\n  web:\n    build: ./app\n    command: python manage.py runserver 0.0.0.0:8000\n  db:\n    image: postgres:16\n",
        );
        let in_base = |name: &str| super::services(&base).and_then(|s| s.get(name));
        let complete_text = |text: &str| complete(&parse(text), in_base);
        // testdriven.io's docker-compose.prod.yml: its own services and volumes.
        assert!(complete_text(
            "services:\n  web:\n    build: ./app\n    command: gunicorn app.wsgi\n  db:\n    image: postgres:16\n  nginx:\n    image: nginx:1.27\n"
        ));
        assert!(complete_text(
            "services:\n  web:\n    build: {context: ./app, dockerfile: Dockerfile.prod}\nvolumes:\n  static: {}\n"
        ));
        // Docker's production overlay: it only changes the base file's services.
        assert!(!complete_text(
            "services:\n  web:\n    image: registry.example.com/web:1.4\n    stop_grace_period: 15s\n"
        ));
        // ... even when it adds a log aggregator, or joins Traefik's external network.
        assert!(!complete_text(
            "services:\n  web:\n    image: registry.example.com/web:1.4\n    restart: always\n  logs:\n    image: grafana/promtail:3.0.0\n"
        ));
        assert!(!complete_text(
            "services:\n  web:\n    build: ./app\n    stop_grace_period: 10s\n  logs:\n    image: grafana/promtail:3.0.0\n"
        ));
        assert!(!complete_text(
            "services:\n  db:\n    image: postgres:16.4\nnetworks:\n  traefik:\n    external: true\n"
        ));
        // A network of its own counts.
        assert!(complete_text(
            "services:\n  db:\n    image: postgres:16.4\nnetworks:\n  back:\n    external: false\n"
        ));
        // A fragment (no image, build) is an overlay's, whatever else the file holds.
        assert!(!complete_text(
            "services:\n  web:\n    command: gunicorn app\n  nginx:\n    image: nginx:1.27\nvolumes:\n  data:\n"
        ));
        assert!(!complete_text(
            "services:\n  worker:\n    extends: web\n    command: celery worker\n"
        ));
        // `image: null` writes no image; an empty file has no service.
        assert!(!complete_text("services:\n  cache:\n    image: null\n"));
        assert!(!complete_text("volumes:\n  data:\n"));
    }

    #[test]
    fn an_overlay_is_given_after_the_base_file_of_its_family() {
        let all = |_: &str| true;
        assert_eq!(overlay_base("compose.prod.yaml", all), Some("compose.yaml"));
        assert_eq!(
            overlay_base("docker-compose.production.yml", all),
            Some("docker-compose.yml")
        );
        let docker_only = |n: &str| n.starts_with("docker-compose");
        assert_eq!(
            overlay_base("compose.prod.yaml", docker_only),
            Some("docker-compose.yml")
        );
        let yaml = |n: &str| n == "docker-compose.yaml";
        assert_eq!(
            overlay_base("docker-compose.prod.yml", yaml),
            Some("docker-compose.yaml")
        );
        // Base and override names are no overlays; other names neither.
        for name in [
            "compose.yaml",
            "compose.override.yml",
            "prod.yaml",
            "compose.prod.json",
        ] {
            assert_eq!(overlay_base(name, all), None, "{name}");
        }
        assert_eq!(overlay_base("compose.prod.yaml", |_| false), None);
    }

    #[test]
    fn ci_and_test_overlays_are_told_by_name() {
        for name in [
            "docker-compose.ci.yml",
            "compose.test.yaml",
            "docker-compose.testing.yml",
            "docker-compose.CI.yaml",
        ] {
            assert!(test_overlay_name(name), "{name}");
        }
        for name in [
            "docker-compose.yml",
            "compose.override.yaml",
            "docker-compose.prod.yml",
            "docker-compose.dev.yml",
            "compose.local.yaml",
            "docker-compose.contest.yml",
        ] {
            assert!(!test_overlay_name(name), "{name}");
        }
    }

    #[test]
    fn extends_libraries_are_told_by_name() {
        for name in [
            "docker-compose.base.yml",
            "compose.common.yaml",
            "docker-compose.shared.yml",
            "docker-compose.common-services.yml",
            "docker-compose.templates.yml",
            "Docker-Compose.Base.YML",
            // The base of the production file: shared definitions all the same.
            "docker-compose.prod.base.yml",
        ] {
            assert!(library_name(name), "{name}");
        }
        for name in [
            "docker-compose.yml",
            "compose.override.yaml",
            "docker-compose.prod.yml",
            "compose.database.yaml",
            "docker-compose.basement.yml",
            // No compose name: not a compose file of the scan.
            "common.yml",
        ] {
            assert!(!library_name(name), "{name}");
        }
    }

    #[test]
    fn a_file_is_runnable_when_each_service_has_an_image_or_a_build() {
        let runnable_text =
            |text: &str, base: &[&str]| runnable(&parse(text), |name| base.contains(&name));
        assert!(runnable_text(
            "services:\n  web: {build: .}\n  db: {image: postgres:16}\n",
            &[]
        ));
        // `extends` may bring them.
        assert!(runnable_text(
            "services:\n  web: {extends: {file: a.yml, service: b}}\n",
            &[]
        ));
        // A service the base file defines: an `-f` overlay's, merged over it.
        assert!(runnable_text(
            "services:\n  web: {command: gunicorn app:app}\n",
            &["web"]
        ));
        assert!(!runnable_text(
            "services:\n  web: {command: gunicorn app:app}\n",
            &[]
        ));
        assert!(!runnable_text(
            "services:\n  web: {build: .}\n  tpl: {image: null, stop_grace_period: 5s}\n",
            &[]
        ));
        assert!(!runnable_text("services:\n  web:\n", &[]));
    }

    #[test]
    fn a_runnable_file_other_files_extend_is_judged_alone() {
        let prod = concat!(
            "services:\n",
            "  web: {build: ., command: gunicorn --graceful-timeout 30 app:app, stop_grace_period: 5s}\n",
            "volumes:\n",
            "  pg:\n",
        );
        let grace = |files: &[(&str, &str)], file: &str| {
            let report = lint(files);
            workload(&report, file, "web")
                .map(|w| (w.processes.len(), w.kill_deadline.as_ref().map(|d| d.value)))
        };
        let dev = "services:\n  web: {extends: {file: FILE, service: web}, command: flask run}\n";
        // The production file, the development file reusing it: judged as run alone.
        for (name, other) in [
            ("docker-compose.prod.yml", "docker-compose.yml"),
            ("docker-compose.prod.yml", "docker-compose.dev.yml"),
            (
                "docker-compose.production.yml",
                "docker-compose.staging.yml",
            ),
            ("docker-compose.prod.yml", "docker-compose.test.yml"),
            // No name that tells, but every service runs: judged as before.
            ("docker-compose.web.yml", "docker-compose.dev.yml"),
        ] {
            let dev = dev.replace("FILE", name);
            let files = [(name, prod), (other, dev.as_str())];
            assert_eq!(grace(&files, name), Some((1, Some(5.0))), "{name} {other}");
        }
        // A library by name, or a file of fragments compose could not run (whatever its name):
        // templates, judged in the services that extend them.
        let fragment =
            "services:\n  web: {command: gunicorn --graceful-timeout 30 app:app, stop_grace_period: 5s}\n";
        for (name, text) in [
            ("docker-compose.base.yml", prod),
            ("docker-compose.app.yml", fragment),
            ("docker-compose.prod.yml", fragment),
        ] {
            let dev = dev.replace("FILE", name);
            let files = [(name, text), ("docker-compose.dev.yml", dev.as_str())];
            assert_eq!(grace(&files, name), Some((0, None)), "{name}");
        }
    }

    #[test]
    fn paths_split_and_clean() {
        assert_eq!(split("a/b/compose.yaml"), ("a/b", "compose.yaml"));
        assert_eq!(split("compose.yaml"), ("", "compose.yaml"));
        assert_eq!(clean("a/./b/../common.yaml"), "a/common.yaml");
    }

    #[test]
    fn the_default_override_file_is_merged_over_the_base_file() {
        let found = services(&[
            (
                "app/docker-compose.yml",
                "services:\n  web:\n    image: example/web\n    command: gunicorn app.wsgi\n    environment: {GRACEFUL_TIMEOUT: '5', SHUTDOWN_TIMEOUT: '9'}\n  db:\n    image: postgres:16\n",
            ),
            (
                "app/compose.override.yaml",
                "services:\n  web:\n    stop_grace_period: 1m\n    stop_signal: SIGINT\n    environment: [GRACEFUL_TIMEOUT=20]\n  extra:\n    image: example/web\n    command: sidekiq\n",
            ),
            // An `-f` overlay: merged over the base file alone (not the override file).
            (
                "app/compose.prod.yaml",
                "services:\n  web:\n    image: example/web\n    command: gunicorn other\n",
            ),
            // Another folder's override: not merged.
            (
                "other/compose.override.yaml",
                "services:\n  web:\n    stop_grace_period: 99s\n",
            ),
        ]);
        let web: Vec<_> = found
            .iter()
            .filter(|s| s.1 == "service web" && s.0.starts_with("app/"))
            .collect();
        assert_eq!(web.len(), 2, "{found:?}");
        assert_eq!(web[0].0, "app/compose.prod.yaml");
        assert_eq!((web[0].2, web[0].3.as_deref()), (None, None));
        assert_eq!(web[0].4, "gunicorn other");
        assert_eq!(web[1].0, "app/docker-compose.yml");
        assert_eq!(web[1].2, Some(60.0));
        assert_eq!(web[1].3.as_deref(), Some("Int"));
        assert_eq!(web[1].4, "gunicorn app.wsgi");
        // A service only the override file defines is a service of its own.
        assert!(found
            .iter()
            .any(|s| s.0 == "app/compose.override.yaml" && s.1 == "service extra"));
        // The override file's part of `web` is no service of its own.
        assert!(!found
            .iter()
            .any(|s| s.0 == "app/compose.override.yaml" && s.1 == "service web"));
    }

    #[test]
    fn environment_merges_by_name() {
        let settings = Settings::new(Config::default(), Selection::all());
        let inputs = vec![
            InputFile {
                display: "compose.yaml".into(),
                kind: FileKind::Compose,
                text: "services:\n  web:\n    image: x\n    command: gunicorn a\n    environment: {GRACEFUL_TIMEOUT: '5', SHUTDOWN_TIMEOUT: '9'}\n".into(),
                dir: None,
            },
            InputFile {
                display: "compose.override.yml".into(),
                kind: FileKind::Compose,
                text: "services:\n  web:\n    environment: [GRACEFUL_TIMEOUT=20]\n".into(),
                dir: None,
            },
        ];
        let report = crate::lint_inputs(inputs, &settings);
        let web = report
            .model
            .workloads
            .iter()
            .find(|w| !w.processes.is_empty())
            .expect("the merged service");
        assert_eq!(report.files.path(web.location.file), "compose.yaml");
        assert_eq!(
            web.processes[0].env_pairs(),
            [
                ("GRACEFUL_TIMEOUT", Some("20")),
                ("SHUTDOWN_TIMEOUT", Some("9"))
            ]
        );
        // The overridden value points into the override file.
        assert_eq!(
            report.files.path(web.processes[0].env[0].location.file),
            "compose.override.yml"
        );
    }

    #[test]
    fn extends_copies_what_it_can_follow() {
        let found = services(&[
            (
                "common/services.compose.yaml",
                "services:\n  py:\n    image: example/py\n    stop_grace_period: 30s\n  mounted:\n    image: example/py\n    volumes: [./src:/app]\n",
            ),
            (
                "deploy/compose.yaml",
                concat!(
                    "services:\n",
                    "  base: {image: example/app, stop_grace_period: 45s, stop_signal: SIGQUIT}\n",
                    "  mid: {extends: base, stop_grace_period: 50s}\n",
                    "  web: {extends: {service: mid}, command: gunicorn a}\n",
                    "  other: {extends: {file: ../common/services.compose.yaml, service: py}, command: gunicorn b}\n",
                    "  outside: {extends: {file: ../shared.yaml, service: py}, command: gunicorn c}\n",
                    "  missing: {extends: nowhere, command: gunicorn d}\n",
                    "  mounted: {extends: {file: ../common/services.compose.yaml, service: mounted}, command: gunicorn h}\n",
                    "  variable: {extends: {file: '${COMMON}', service: py}, command: gunicorn e}\n",
                    "  loop1: {extends: loop2, command: gunicorn f}\n",
                    "  loop2: {extends: loop1, command: gunicorn g}\n",
                ),
            ),
        ]);
        let get = |name: &str| {
            found
                .iter()
                .find(|s| s.0 == "deploy/compose.yaml" && s.1 == format!("service {name}"))
        };
        let web = get("web").expect("web");
        assert_eq!((web.2, web.3.as_deref()), (Some(50.0), Some("Quit")));
        assert_eq!(web.4, "gunicorn a");
        assert_eq!(get("other").map(|s| s.2), Some(Some(30.0)));
        // Those that cannot be followed could set anything: no process for the rules.
        for name in ["outside", "missing", "variable", "loop1", "loop2"] {
            assert!(get(name).is_none(), "{name}: {found:?}");
        }
        // A host folder bound by another folder's file is taken from that folder.
        assert_eq!(get("mounted").map(|s| s.2), Some(None));
    }

    #[test]
    fn build_merges_key_by_key() {
        let settings = Settings::new(Config::default(), Selection::all());
        let input = |display: &str, text: &str| InputFile {
            display: display.into(),
            kind: FileKind::Compose,
            text: text.into(),
            dir: None,
        };
        let inputs = vec![
            input(
                "app/compose.yaml",
                concat!(
                    "services:\n",
                    "  web: {build: ./web, command: node a}\n",
                    "  api: {build: {context: ./api, target: dev}, command: node b}\n",
                    "  plain: {build: {dockerfile: Dockerfile.x}, command: node c}\n",
                    "  ext: {extends: {file: ../common/compose.yaml, service: base}, build: {args: {A: '1'}}, command: node d}\n",
                    "  own: {extends: {file: ../common/compose.yaml, service: base}, build: {context: ./mine}, command: node e}\n",
                ),
            ),
            input(
                "app/compose.override.yaml",
                "services:\n  web:\n    build: {args: {NODE_ENV: development}, dockerfile: Dockerfile.dev}\n  api:\n    build: {target: prod}\n",
            ),
            input(
                "common/compose.yaml",
                "services:\n  base: {build: {context: ./svc, dockerfile: Dockerfile.base}}\n",
            ),
        ];
        let report = crate::lint_inputs(inputs, &settings);
        let build = |name: &str| {
            let w = workload(&report, "app/compose.yaml", name).expect(name);
            let b = w
                .compose
                .as_ref()
                .and_then(|c| c.build.clone())
                .expect(name);
            (
                b.context,
                b.dockerfile,
                b.target,
                report.files.path(b.location.file).to_string(),
            )
        };
        let app = "app/compose.yaml".to_string();
        assert_eq!(
            build("web"),
            ("./web".into(), "Dockerfile.dev".into(), None, app.clone())
        );
        assert_eq!(
            build("api"),
            (
                "./api".into(),
                "Dockerfile".into(),
                Some("prod".into()),
                app.clone()
            )
        );
        assert_eq!(
            build("plain"),
            (".".into(), "Dockerfile.x".into(), None, app.clone())
        );
        // The extended file's context is relative to that file.
        assert_eq!(
            build("ext"),
            (
                "./svc".into(),
                "Dockerfile.base".into(),
                None,
                "common/compose.yaml".into()
            )
        );
        assert_eq!(
            build("own"),
            ("./mine".into(), "Dockerfile.base".into(), None, app)
        );
    }

    #[test]
    fn extended_files_past_the_budget_are_named_and_their_services_not_judged() {
        // Two templates: the first fits the budget, the second (past it) does not.
        let padding = format!("# {}\n", "x".repeat(MAX_KEPT_BYTES));
        let past =
            format!("services:\n  base: {{image: example/app, stop_grace_period: 50s}}\n{padding}");
        let report = lint(&[
            (
                "a/compose.yaml",
                "services:\n  base: {image: example/app, stop_grace_period: 45s}\n",
            ),
            ("b/compose.yaml", &past),
            (
                "app/compose.yaml",
                concat!(
                    "services:\n",
                    "  one: {extends: {file: ../a/compose.yaml, service: base}, command: gunicorn a}\n",
                    "  two: {extends: {file: ../b/compose.yaml, service: base}, command: gunicorn b}\n",
                ),
            ),
        ]);
        let grace = |name: &str| {
            workload(&report, "app/compose.yaml", name)
                .map(|w| (w.processes.len(), w.kill_deadline.as_ref().map(|d| d.value)))
        };
        assert_eq!(grace("one"), Some((1, Some(45.0))));
        assert_eq!(grace("two"), Some((0, None)));
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.starts_with("b/compose.yaml: other compose files extend it")),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn the_way_between_folders() {
        assert_eq!(way("app", "common").as_deref(), Some("../common"));
        assert_eq!(way("a/b", "a/c/d").as_deref(), Some("../c/d"));
        assert_eq!(way("", "common").as_deref(), Some("common"));
        assert_eq!(way("app", "").as_deref(), Some(".."));
        assert_eq!(way("app", "../up").as_deref(), Some("../../up"));
        assert_eq!(way("./app/", "app/x/..").as_deref(), Some("."));
        assert_eq!(way("/srv/app", "/srv/common").as_deref(), Some("../common"));
        // Above `..`: which folder that is, the path does not say.
        assert_eq!(way("../app", "common"), None);
        assert_eq!(way("/srv/app", "common"), None);
    }

    #[test]
    fn host_folders_of_another_folders_template_are_taken_from_there() {
        let report = lint(&[
            (
                "common/compose.yaml",
                "services:\n  base: {image: python:3.12, volumes: ['./src:/app', '/srv/data:/data', 'cache:/cache']}\n",
            ),
            (
                "app/compose.yaml",
                "services:\n  web: {extends: {file: ../common/compose.yaml, service: base}, volumes: ['./web:/web'], command: gunicorn a, stop_signal: SIGINT}\n",
            ),
        ]);
        let web = report
            .model
            .workloads
            .iter()
            .find(|w| w.name == "service web")
            .expect("web");
        let mounts = web.processes[0].mounts.as_deref().expect("mounts");
        assert_eq!(mounts.host_folders, ["../common/src", "/srv/data", "./web"]);
        assert!(!mounts.config_named);
    }

    #[test]
    fn a_service_that_cannot_be_followed_keeps_the_signal_it_writes() {
        let found = |files: &[(&str, &str)]| {
            let report = lint(files);
            report
                .model
                .workloads
                .iter()
                .filter(|w| report.files.path(w.location.file) == "compose.yaml")
                .map(|w| {
                    (
                        w.name.clone(),
                        w.processes.len(),
                        w.stop_signal.as_ref().map(|s| format!("{:?}", s.value)),
                    )
                })
                .collect::<Vec<_>>()
        };
        let base = "services:\n  own: {extends: nowhere, stop_signal: SIGKILL, command: a}\n  inherits: {extends: nowhere, command: b}\n";
        assert_eq!(
            found(&[("compose.yaml", base)]),
            [
                ("service own".to_string(), 0, Some("Kill".to_string())),
                ("service inherits".to_string(), 0, None),
            ]
        );
        // The override file's signal wins; an `extends` there could set one.
        let over = "services:\n  own: {stop_signal: SIGTERM}\n  inherits: {extends: {file: x.yaml, service: y}}\n";
        assert_eq!(
            found(&[("compose.yaml", base), ("compose.override.yaml", over)]),
            [
                ("service own".to_string(), 0, Some("Term".to_string())),
                ("service inherits".to_string(), 0, None),
            ]
        );
    }

    #[test]
    fn paths_are_spelled_one_way() {
        assert_eq!(
            spelled("app/compose.yaml", Some("/w")),
            "/w/app/compose.yaml"
        );
        assert_eq!(
            spelled("/w/./app/compose.yaml", Some("/z")),
            "/w/app/compose.yaml"
        );
        assert_eq!(
            spelled("../p/common/c.yaml", Some("/w/q")),
            "/w/p/common/c.yaml"
        );
        assert_eq!(spelled("./app/../c.yaml", None), "c.yaml");
    }

    #[test]
    fn a_cycle_through_other_files_gets_a_note() {
        let report = lint(&[
            (
                "a/compose.yaml",
                "services:\n  s: {extends: {file: ../b/compose.yaml, service: s}, command: gunicorn a}\n",
            ),
            (
                "b/compose.yaml",
                "services:\n  s: {extends: {file: ../a/compose.yaml, service: s}, image: python:3}\n",
            ),
        ]);
        assert!(
            report.notes.iter().any(|n| n
                == "a/compose.yaml: service `s` extends itself through b/compose.yaml (docker compose refuses the project: circular reference); it is not judged"),
            "{:?}",
            report.notes
        );
        assert!(workload(&report, "a/compose.yaml", "s").is_some_and(|w| w.processes.is_empty()));
    }
}
