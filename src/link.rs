//! Cross-file facts: a Dockerfile's entrypoint script, found through its `COPY`/`ADD` from the
//! build context (or by path), is read and analysed so rules can point into it.
//!
//! Reading is confined: the script must resolve (symlinks followed) inside the build context
//! directory, be a regular file and fit the size cap. Nothing is executed.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Config;
use crate::diagnostic::Location;
use crate::model::{
    Command, CommandSource, CommandWord, EnvVar, Fact, Image, LinkedScript, Model, Process,
    ProcessRole, ScriptFacts, Service, ShellEnv, Signal, Workload, MAX_COMMAND_WORDS,
};
use crate::shell::{self, FinalCommand, FinalKind, Node, Script};
use crate::source::{FileId, FileKind, Files, SourceFile};
use crate::span::Span;
use crate::suppress::{self, Suppression};

pub(crate) mod globs;
pub(crate) use globs::contains_wildcards;
use globs::{DockerIgnore, Glob, Presence};

/// What linking adds besides model facts.
#[derive(Default)]
pub struct Linked {
    pub suppressions: Vec<Suppression>,
    pub notes: Vec<String>,
}

/// Directories in `PATH` of a typical image, for commands given without a slash.
const PATH_DIRS: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// How deep function calls are followed when looking for a script's final commands.
const MAX_FUNCTION_DEPTH: usize = 8;

/// How many final commands (counting each one every time a call reaches it) are gathered from
/// one script through its function calls; past it the script's ends are taken as unknown.
/// Real scripts have a few dozen.
const MAX_SCRIPT_FINALS: usize = 200_000;

/// Resolve which processes run an image built from a Dockerfile in the scan (Kubernetes
/// containers through config `[images]` and skaffold artifacts, compose services through
/// `build:`) and give them the Dockerfile's command, shell and stop signal, composed as the
/// platform does (`command`/`entrypoint` replace ENTRYPOINT, `args`/`command` replace CMD).
pub fn link_images(
    model: &mut Model,
    files: &Files,
    dirs: &HashMap<FileId, PathBuf>,
    config: &Config,
    roots: &HashMap<FileId, PathBuf>,
) -> ImageLinks {
    // A Dockerfile named by a compose `build`, a fly.toml, skaffold or `[images]` is matched
    // with the Dockerfiles of the scan by its path cleaned as written (from the current
    // folder), as compose and Go's `filepath.Join` resolve it: `context: ../../x` with
    // `dockerfile: ../repo/Dockerfile` names `repo/Dockerfile` whether or not `x` exists. The
    // file system is not asked: a path through folders outside the scan would make the match
    // depend on them (and let a repository probe the host).
    let cwd = std::env::current_dir().unwrap_or_default();
    let as_written = |p: &Path| crate::change::paths::clean(&cwd.join(p));
    let by_path: HashMap<PathBuf, usize> = model
        .images
        .iter()
        .enumerate()
        .filter_map(|(i, image)| Some((as_written(image.path.as_deref()?), i)))
        .collect();
    if by_path.is_empty() {
        return ImageLinks::default();
    }
    let dir_of = |file: FileId| dirs.get(&file).cloned().unwrap_or_default();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let config_root = config.root.clone().unwrap_or_else(|| PathBuf::from("."));
    for (name, dockerfile) in &config.images {
        if let Some(&i) = by_path.get(&as_written(&config_root.join(dockerfile))) {
            by_name.insert(image_without_tag(name), i);
        }
    }
    for build in &model.image_builds {
        let path = dir_of(build.location.file).join(&build.dockerfile);
        if let Some(&i) = by_path.get(&as_written(&path)) {
            by_name.entry(image_without_tag(&build.image)).or_insert(i);
        }
    }
    let images: Vec<ImageFacts> = model
        .images
        .iter()
        .map(|image| {
            let workload = model.workloads.get(image.workload);
            let process = workload.and_then(|w| w.processes.first());
            let dockerfile = files.path(image.dockerfile).to_string();
            let command = process.and_then(|p| p.command.clone());
            let inherited = command
                .as_deref()
                .and_then(|c| run_image_command(c, &dockerfile, false))
                .map(Arc::new);
            let entrypoint = command
                .as_deref()
                .and_then(|c| run_image_command(c, &dockerfile, true))
                .map(Arc::new);
            ImageFacts {
                command,
                inherited,
                entrypoint,
                shell: process.map(|p| p.shell.clone()).unwrap_or_default(),
                stop_signal: workload.and_then(|w| w.stop_signal.clone()),
                env: process.map(|p| p.env.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let mut notes = Vec::new();
    for workload in &mut model.workloads {
        if let Some(compose) = &workload.compose {
            let Some(build) = compose.build.as_ref() else {
                continue;
            };
            let path = dir_of(build.location.file)
                .join(&build.context)
                .join(&build.dockerfile);
            let Some(&index) = by_path.get(&as_written(&path)) else {
                continue;
            };
            // `target` names the stage built as the image (Compose specification, build:
            // "target defines the stage to build"): naming the final stage builds the image the
            // scan models; another stage is another image, whose command, stop signal and
            // files are not modelled.
            let final_stage = model
                .images
                .get(index)
                .and_then(|i| i.final_stage.as_deref());
            if !build.builds_final_stage(final_stage) {
                let target = build.target.as_deref().unwrap_or_default();
                let dockerfile = model
                    .images
                    .get(index)
                    .map_or("", |i| files.path(i.dockerfile));
                notes.push(format!(
                    "{}: service `{}` builds the stage `{}` of {dockerfile} (`build.target`), not its final stage: the service is not linked to the Dockerfile (that stage's command, stop signal and copied files are not read for it), so only what the compose file sets is judged",
                    files.path(build.location.file),
                    compose.name,
                    target.chars().take(100).collect::<String>(),
                ));
                continue;
            }
            let overrides = (
                compose.entrypoint.is_some(),
                compose.command.clone().map(Arc::new),
            );
            let written_signal = workload
                .stop_signal
                .as_ref()
                .is_some_and(|s| s.note.is_none() && s.location.is_some());
            if !written_signal {
                if let Some(signal) = images.get(index).and_then(|i| i.stop_signal.clone()) {
                    workload.stop_signal = Some(signal);
                }
            }
            if let (Some(process), Some(image)) =
                (workload.processes.first_mut(), images.get(index))
            {
                apply_image(process, index, image, overrides);
            }
            workload.image = Some(index);
            continue;
        }
        if let Some(reference) = &workload.dockerfile_ref {
            let path = dir_of(workload.location.file).join(&reference.value);
            let Some(&index) = by_path.get(&as_written(&path)) else {
                continue;
            };
            // Fly sends fly.toml's `kill_signal` (default SIGINT), not the image's STOPSIGNAL.
            for process in &mut workload.processes {
                if let Some(image) = images.get(index) {
                    // fly `[processes]` commands replace the image's CMD.
                    let cmd = process.command.take();
                    apply_image(process, index, image, (false, cmd));
                }
            }
            workload.image = Some(index);
            continue;
        }
        link_kubernetes(workload, &by_name, &images);
    }
    build_contexts(model, files, roots, &mut notes);
    built_bases(model);
    built_paths(model);
    ImageLinks {
        by_name,
        images,
        notes,
    }
}

/// What Kubernetes pod templates are linked with, kept after [`link_images`] for pod
/// templates lowered again later (see [`ImageLinks::link_kubernetes`]).
#[derive(Default)]
pub struct ImageLinks {
    /// Image names (without tag) built from a Dockerfile in the scan, by config `[images]`
    /// and skaffold artifacts.
    by_name: HashMap<String, usize>,
    images: Vec<ImageFacts>,
    /// What linking could not do (a compose `build.target` of another stage than the final
    /// one), for the report.
    notes: Vec<String>,
}

impl ImageLinks {
    /// The notes linking gave (taken once).
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// Link Kubernetes workloads that were not in the model [`link_images`] linked, as it would
    /// have linked them.
    pub fn link_kubernetes(&self, workloads: &mut [Workload]) {
        for workload in workloads {
            link_kubernetes(workload, &self.by_name, &self.images);
        }
    }
}

/// Give a Kubernetes workload's containers the command, shell and stop signal of the image
/// they run, when it is built from a Dockerfile in the scan.
fn link_kubernetes(
    workload: &mut Workload,
    by_name: &HashMap<String, usize>,
    images: &[ImageFacts],
) {
    if workload.kubernetes.is_none() || by_name.is_empty() {
        return;
    }
    for process in &mut workload.processes {
        let Some(container) = &process.container else {
            continue;
        };
        let Some(image_name) = container
            .image
            .as_ref()
            .map(|i| image_without_tag(&i.value))
        else {
            continue;
        };
        let Some(&index) = by_name.get(&image_name) else {
            continue;
        };
        let Some(image) = images.get(index) else {
            continue;
        };
        // `command` replaces the ENTRYPOINT (and drops CMD): the container's own command, as
        // lowered. `args` alone replaces CMD: the image's ENTRYPOINT runs them. An empty `args`
        // list is as if unset (the runtime falls back to the image's CMD).
        let overrides = (
            container.command_key.is_some(),
            container
                .args
                .as_ref()
                .filter(|args| container.command_key.is_none() && !args.is_empty())
                .map(|args| Arc::new(args.clone())),
        );
        if process
            .stop_signal
            .as_ref()
            .is_none_or(|s| s.note.is_some())
        {
            process.stop_signal = image.stop_signal.clone();
        }
        apply_image(process, index, image, overrides);
    }
}

/// What a Dockerfile gives the processes that run its image. Shared by all of them: an
/// image run by thousands of services keeps one command and one stop signal.
struct ImageFacts {
    /// The command of the image's own workload.
    command: Option<Arc<Command>>,
    /// The command a process that runs the image without overriding it gets (`command`
    /// marked as inherited from the Dockerfile); `None` when it has no words.
    inherited: Option<Arc<Command>>,
    /// The command without its CMD (the ENTRYPOINT, marked inherited): the shared head of the
    /// commands of the processes that give their own CMD; `None` without an ENTRYPOINT.
    entrypoint: Option<Arc<Command>>,
    shell: ShellEnv,
    stop_signal: Option<Arc<Fact<Signal>>>,
    /// The image's ENVs that rules read (an init's mode switches): below the platform's own.
    env: Vec<EnvVar>,
}

/// Run `image` in `process`: `(entrypoint_overridden, cmd_override)` say what the platform
/// replaces. An overridden ENTRYPOINT leaves the process's own command as it is.
fn apply_image(
    process: &mut Process,
    index: usize,
    image: &ImageFacts,
    overrides: (bool, Option<Arc<Command>>),
) {
    process.image = Some(index);
    process.shell = image.shell.clone();
    // The image's environment, which the platform's own entries override (read last wins).
    if !image.env.is_empty() {
        process.env.splice(0..0, image.env.iter().cloned());
    }
    let (entrypoint_overridden, cmd_override) = overrides;
    if entrypoint_overridden {
        return;
    }
    if image.command.is_none() {
        // The Dockerfile sets neither ENTRYPOINT nor CMD: the override runs as the command
        // (base images' entrypoints pass their arguments on).
        if let Some(cmd) = cmd_override {
            process.command = Some(cmd);
        }
        return;
    }
    process.command = match cmd_override {
        None => image.inherited.clone(),
        Some(cmd) => with_arguments(image.entrypoint.as_ref(), cmd),
    };
}

/// The command of a process that runs an image with `image_command` (from `dockerfile`):
/// its ENTRYPOINT and its CMD, or only its ENTRYPOINT (`without_cmd`, the head that a
/// platform's CMD follows); `None` without words (or, `without_cmd`, without an ENTRYPOINT).
fn run_image_command(
    image_command: &Command,
    dockerfile: &str,
    without_cmd: bool,
) -> Option<Command> {
    let mut command = Command::default();
    for (i, source) in image_command.all_sources().enumerate() {
        if without_cmd && source.what == "CMD" {
            continue;
        }
        let new_index = command.sources.len();
        command.sources.push(CommandSource {
            inherited_from: Some(dockerfile.to_string()),
            ..source.clone()
        });
        command.words.extend(
            image_command
                .all_words()
                .filter(|w| w.source == i)
                .map(|w| CommandWord {
                    source: new_index,
                    ..w.clone()
                }),
        );
    }
    if without_cmd {
        return (!command.sources.is_empty()).then_some(command);
    }
    (!command.words.is_empty()).then_some(command)
}

/// The image's `entrypoint` followed by a platform's `cmd` (compose `command`, Kubernetes
/// `args`, a fly process), as the platform runs it; `None` without words. The entrypoint is
/// shared, not copied: thousands of services give one image their own arguments. A command is
/// judged by its first [`MAX_COMMAND_WORDS`] words: an entrypoint that has them all is the
/// whole command (one, shared by every process).
fn with_arguments(entrypoint: Option<&Arc<Command>>, cmd: Arc<Command>) -> Option<Arc<Command>> {
    let Some(entrypoint) = entrypoint else {
        return (!cmd.is_empty()).then_some(cmd);
    };
    if entrypoint.len() >= MAX_COMMAND_WORDS {
        return Some(entrypoint.clone());
    }
    let cmd = Arc::unwrap_or_clone(cmd);
    let base = entrypoint.sources.len();
    let room = MAX_COMMAND_WORDS - entrypoint.len();
    let command = Command {
        words: cmd
            .words
            .into_iter()
            .take(room)
            .map(|w| CommandWord {
                source: w.source + base,
                ..w
            })
            .collect(),
        sources: cmd.sources,
        head: Some(entrypoint.clone()),
        ..Command::default()
    };
    (!command.is_empty()).then(|| Arc::new(command))
}

/// An image reference without its tag or digest (`gcr.io/acme/api:v1` → `gcr.io/acme/api`).
pub fn image_without_tag(reference: &str) -> String {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    match without_digest.rsplit_once(':') {
        Some((path, tag)) if !tag.contains('/') => path.to_string(),
        _ => without_digest.to_string(),
    }
}

/// A Kubernetes label pair.
type Pair<'s> = (&'s str, &'s str);

/// Which Kubernetes pod templates each Service selects (same namespace, selector ⊆ labels):
/// the Services of a scan indexed once, for the model's pod templates and for those lowered
/// later (see [`ServiceIndex::link`]).
///
/// A repository is not one cluster: the same application is often kept several times (an
/// overlay per environment, a copy per team) in one namespace. Of the Services that select a pod
/// template, those in its own folder tree (one folder holds the other) are kept, or without
/// such a Service those sharing the longest folder prefix with it, so a finding points at the
/// Service of its own copy.
///
/// Services with the same selector (as a set of pairs) and namespace form a class: a pod
/// template is selected by every Service of a class or by none, so a pod template is matched
/// against classes, not Services (thousands of copies of one Service are one class), and a
/// class's Services are listed by folder, so those kept are read off the front of a few
/// sorted lists.
pub struct ServiceIndex<'s> {
    services: &'s [Service],
    folders: Folders,
    classes: Vec<Class<'s>>,
    /// The pairs of the selectors, as ids (a class's selector is checked against a pod
    /// template's labels by comparing integers).
    pair_ids: HashMap<Pair<'s>, u32>,
    /// Classes by their rarest pair: the pair of their selector that the fewest classes have
    /// (a pod template can only be selected by a class whose every pair is among its labels, so
    /// looking up its labels finds every candidate, and a pair most Services share, `app: web`
    /// on everything, does not make every pod template a candidate of every class).
    /// Each class as (class, another pair of its selector, or `u32::MAX` for a selector of one
    /// pair), so most classes are rejected without reading their selector.
    ///
    /// Keyed by (namespace, pair): every class is listed under [`ANY_NAMESPACE`] (for pod
    /// templates without a namespace) and under its own namespace's id, or [`NO_NAMESPACE`]
    /// (a pod template in a namespace reads the lists of that namespace and of no namespace), so
    /// the Services of other namespaces (a copy per tenant) are not candidates of it.
    by_pair: HashMap<(u32, u32), Vec<(u32, u32)>>,
    /// The namespaces of the Services, as ids from 2 (see `by_pair`).
    namespaces: HashMap<&'s str, u32>,
    /// Per class, the folders it has Services at (the keys of `at`).
    folders_of: Vec<Vec<u32>>,
    /// Per folder prefix id: whether some Service is at it (not only under it).
    has_services: Vec<bool>,
    /// Per file, the classes of its Services in the order of their first Service there, each
    /// once: (that Service, class), ascending (the Services are sorted by location), so the
    /// first Service in a pod template's file whose class selects it is found looking at each
    /// class of the file once, not at each Service.
    in_file: Vec<(usize, u32)>,
    /// A class's Services by the folder they are in, as (class, [`Folders`] prefix id): each
    /// Service once.
    at: HashMap<(u32, u32), Members>,
    /// A class's Services under a folder, per class: the folders it has Services in and the
    /// folders where two of those branch apart, by [`Folders::order`] (depth-first), each with
    /// the Services in or under it. The Services under any folder are those of the first of
    /// these inside it, so a Service deep in the tree is not listed for every folder above it.
    under: Vec<Vec<(u32, Members)>>,
    /// The first pod template (by location) that met [`MAX_SELECTING_CLASSES`], and its name.
    capped: std::sync::Mutex<Option<(Location, String)>>,
    /// How many classes were looked at for the pod templates linked, selecting them or not
    /// (for tests).
    looked_at: std::sync::atomic::AtomicUsize,
}

/// The namespace key of `by_pair` of [`ServiceIndex`] that lists every class.
const ANY_NAMESPACE: u32 = 0;
/// The namespace key of `by_pair` of [`ServiceIndex`] that lists the classes without a
/// namespace.
const NO_NAMESPACE: u32 = 1;

/// Services with the same selector, namespace and named targetPorts.
struct Class<'s> {
    /// The selector's pairs as ids, sorted, each once.
    selector: Vec<u32>,
    namespace: Option<&'s str>,
    /// The Services' named targetPorts, when each of them has only named ones (see
    /// [`Service::target_port_names`]): they send traffic only to pods that declare a container
    /// port of one of those names.
    port_names: Option<&'s [String]>,
    /// Its first Service (classes are numbered in the order of their first Service).
    first: usize,
}

impl Class<'_> {
    /// Whether a pod with these container port names is an endpoint of the class's Services,
    /// once the selector selects it: a named targetPort is looked up among the pod's container
    /// ports, and a pod that declares none of the names is left out of the endpoints
    /// (Kubernetes "Debug Services: My Service is missing endpoints").
    fn reaches(&self, pod_port_names: &[&str]) -> bool {
        self.port_names
            .is_none_or(|names| names.iter().any(|n| pod_port_names.contains(&n.as_str())))
    }
}

/// Some Services of one class: the first of them (indexes into the Services, ascending; as
/// many as [`ServiceIndex::link`] reads), how many there are, and the first of them that is not
/// a metrics Service.
#[derive(Default, Clone)]
struct Members {
    services: Vec<usize>,
    total: usize,
    first_serving: Option<usize>,
}

impl Members {
    /// Add a Service after those added (a higher index).
    fn push(&mut self, i: usize, serving: bool) {
        if self.services.len() <= MAX_SELECTING_SERVICES {
            self.services.push(i);
        }
        self.total += 1;
        if serving && self.first_serving.is_none() {
            self.first_serving = Some(i);
        }
    }

    /// Add other Services (none of them already here).
    fn merge(&mut self, other: &Members) {
        self.services.extend_from_slice(&other.services);
        self.services.sort_unstable();
        self.services.truncate(MAX_SELECTING_SERVICES + 1);
        self.total += other.total;
        self.first_serving = match (self.first_serving, other.first_serving) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// Classes by their selector (pair ids, sorted), namespace and named targetPorts.
type ClassIds<'s> = HashMap<(Vec<u32>, Option<&'s str>, Option<&'s [String]>), u32>;

/// The component of a folder that no Service is in or under (see [`Folders::components`]).
const UNKNOWN: u32 = u32::MAX;

/// The names of the folders a file is in, from the outermost.
fn folder_names<'f>(
    files: &'f Files,
    location: &Location,
) -> impl Iterator<Item = std::borrow::Cow<'f, str>> {
    Path::new(files.path(location.file))
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .map(|c| c.as_os_str().to_string_lossy())
}

/// Folders as interned components, so comparing two is comparing integers, and their
/// prefixes (`a`, `a/b`, …) as ids, so looking one up allocates nothing.
#[derive(Default)]
struct Folders {
    names: HashMap<String, u32>,
    /// (id of the prefix above, component) -> id; the empty prefix is 0.
    prefixes: HashMap<(u32, u32), u32>,
    /// Per prefix id above 0 (at `id - 1`): the id of the prefix above it.
    parents: Vec<u32>,
    /// Per prefix id: its place in a depth-first walk of the prefixes, and the place after the
    /// last prefix under it (filled by [`Folders::number`]).
    order: Vec<(u32, u32)>,
}

impl Folders {
    /// The folder of a file as interned components, added if new.
    fn add_components(&mut self, files: &Files, location: &Location) -> Vec<u32> {
        folder_names(files, location)
            .map(|name| {
                // Below `UNKNOWN`: a component that is not known never equals a known one.
                let next = u32::try_from(self.names.len()).unwrap_or(UNKNOWN - 1);
                *self.names.entry(name.into_owned()).or_insert(next)
            })
            .collect()
    }

    /// The folder of a file as interned components; a component not added is [`UNKNOWN`]
    /// (it equals no Service's).
    fn components(&self, files: &Files, location: &Location) -> Vec<u32> {
        folder_names(files, location)
            .map(|name| self.names.get(name.as_ref()).copied().unwrap_or(UNKNOWN))
            .collect()
    }

    /// The ids of every prefix of `dir`, from the empty one to `dir` itself, added if new.
    fn add_prefixes(&mut self, dir: &[u32]) -> Vec<u32> {
        let mut ids = Vec::with_capacity(dir.len() + 1);
        let mut id = 0;
        ids.push(id);
        for &component in dir {
            let next = u32::try_from(self.prefixes.len() + 1).unwrap_or(u32::MAX);
            let parent = id;
            id = *self.prefixes.entry((id, component)).or_insert_with(|| {
                self.parents.push(parent);
                next
            });
            ids.push(id);
        }
        ids
    }

    /// Number the prefixes depth first (after the last is added).
    fn number(&mut self) {
        let count = self.parents.len() + 1;
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); count];
        for (id, &parent) in (1u32..).zip(&self.parents) {
            if let Some(list) = children.get_mut(parent as usize) {
                list.push(id);
            }
        }
        self.order = vec![(0, 0); count];
        let mut next = 0u32;
        // (prefix, whether its children were pushed)
        let mut stack = vec![(0u32, false)];
        while let Some((id, expanded)) = stack.pop() {
            let Some(slot) = self.order.get_mut(id as usize) else {
                continue;
            };
            if expanded {
                slot.1 = next;
                continue;
            }
            slot.0 = next;
            next += 1;
            stack.push((id, true));
            if let Some(list) = children.get(id as usize) {
                stack.extend(list.iter().rev().map(|&child| (child, false)));
            }
        }
    }

    /// A prefix's (place, place after those under it); see [`Folders::number`].
    fn place(&self, id: u32) -> (u32, u32) {
        self.order.get(id as usize).copied().unwrap_or((0, 0))
    }

    fn parent(&self, id: u32) -> Option<u32> {
        (id as usize)
            .checked_sub(1)
            .and_then(|i| self.parents.get(i))
            .copied()
    }

    fn depth(&self, mut id: u32) -> usize {
        let mut depth = 0;
        while let Some(parent) = self.parent(id) {
            id = parent;
            depth += 1;
        }
        depth
    }

    /// The longest prefix of both.
    fn common(&self, mut a: u32, mut b: u32) -> u32 {
        let (mut da, mut db) = (self.depth(a), self.depth(b));
        while da > db {
            a = self.parent(a).unwrap_or(0);
            da -= 1;
        }
        while db > da {
            b = self.parent(b).unwrap_or(0);
            db -= 1;
        }
        while a != b {
            match (self.parent(a), self.parent(b)) {
                (Some(pa), Some(pb)) => (a, b) = (pa, pb),
                _ => return 0,
            }
        }
        a
    }

    /// The ids of the prefixes of `dir` that are known, from the empty one down (a prefix
    /// that is not known has no Service in or under it).
    fn known_prefixes(&self, dir: &[u32]) -> Vec<u32> {
        let mut ids = vec![0];
        let mut id = 0;
        for &component in dir {
            match self
                .prefixes
                .get(&(id, component))
                .filter(|_| component != UNKNOWN)
            {
                Some(&next) => id = next,
                None => break,
            }
            ids.push(id);
        }
        ids
    }
}

impl<'s> ServiceIndex<'s> {
    /// Index `services`, which are sorted by location (as [`Model::service_at`] wants
    /// them): which are kept for a pod template follows that order.
    pub fn new(services: &'s [Service], files: &Files) -> Self {
        let mut folders = Folders::default();
        let mut classes: Vec<Class<'s>> = Vec::new();
        let mut class_ids: ClassIds<'s> = HashMap::new();
        let mut pair_ids: HashMap<Pair<'s>, u32> = HashMap::new();
        let mut at: HashMap<(u32, u32), Members> = HashMap::new();
        let mut class_of = vec![u32::MAX; services.len()];
        for (i, service) in services.iter().enumerate() {
            // A Service without a selector selects nothing here.
            if service.selector.is_empty() {
                continue;
            }
            let mut selector: Vec<u32> = service
                .selector
                .iter()
                .map(|(k, v)| {
                    let next = u32::try_from(pair_ids.len()).unwrap_or(u32::MAX);
                    *pair_ids.entry((k.as_str(), v.as_str())).or_insert(next)
                })
                .collect();
            selector.sort_unstable();
            selector.dedup();
            let namespace = service.namespace.as_deref();
            let port_names = service.target_port_names.as_deref();
            let next = u32::try_from(classes.len()).unwrap_or(u32::MAX);
            let class = *class_ids
                .entry((selector, namespace, port_names))
                .or_insert_with_key(|(selector, namespace, port_names)| {
                    classes.push(Class {
                        selector: selector.clone(),
                        namespace: *namespace,
                        port_names: *port_names,
                        first: i,
                    });
                    next
                });
            if let Some(slot) = class_of.get_mut(i) {
                *slot = class;
            }
            let serving = !crate::rules::single_replica::is_metrics_service(&service.name);
            let dir = folders.add_components(files, &service.location);
            let prefixes = folders.add_prefixes(&dir);
            if let Some(&own) = prefixes.last() {
                at.entry((class, own)).or_default().push(i, serving);
            }
        }
        drop(class_ids);
        folders.number();
        let under = Self::index_under(&folders, classes.len(), &at);
        let mut classes_with: HashMap<u32, usize> = HashMap::new();
        for class in &classes {
            for &pair in &class.selector {
                *classes_with.entry(pair).or_default() += 1;
            }
        }
        let mut by_pair: HashMap<(u32, u32), Vec<(u32, u32)>> = HashMap::new();
        let mut namespaces: HashMap<&'s str, u32> = HashMap::new();
        for (id, class) in (0u32..).zip(&classes) {
            let rarest = class
                .selector
                .iter()
                .min_by_key(|pair| classes_with.get(*pair).copied().unwrap_or(0));
            if let Some(&pair) = rarest {
                let other = class.selector.iter().find(|&&p| p != pair);
                let entry = (id, other.copied().unwrap_or(u32::MAX));
                let namespace = class.namespace.map_or(NO_NAMESPACE, |namespace| {
                    let next = u32::try_from(namespaces.len() + 2).unwrap_or(u32::MAX);
                    *namespaces.entry(namespace).or_insert(next)
                });
                for key in [ANY_NAMESPACE, namespace] {
                    by_pair.entry((key, pair)).or_default().push(entry);
                }
            }
        }
        let mut folders_of: Vec<Vec<u32>> = vec![Vec::new(); classes.len()];
        let mut has_services = vec![false; folders.order.len()];
        for &(class, folder) in at.keys() {
            if let Some(list) = folders_of.get_mut(class as usize) {
                list.push(folder);
            }
            if let Some(slot) = has_services.get_mut(folder as usize) {
                *slot = true;
            }
        }
        for list in &mut folders_of {
            list.sort_unstable();
        }
        let mut in_file: Vec<(usize, u32)> = Vec::new();
        let mut file_classes = std::collections::HashSet::new();
        for (i, (service, &class)) in services.iter().zip(&class_of).enumerate() {
            if i > 0 && services.get(i - 1).map(|s| s.location.file) != Some(service.location.file)
            {
                file_classes.clear();
            }
            if class != u32::MAX && file_classes.insert(class) {
                in_file.push((i, class));
            }
        }
        ServiceIndex {
            services,
            folders,
            classes,
            pair_ids,
            by_pair,
            namespaces,
            folders_of,
            has_services,
            in_file,
            at,
            under,
            capped: std::sync::Mutex::new(None),
            looked_at: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Per class, its Services under each folder it has Services in and each folder where
    /// two of those branch apart (see `under` of [`ServiceIndex`]), from those `at` each.
    fn index_under(
        folders: &Folders,
        classes: usize,
        at: &HashMap<(u32, u32), Members>,
    ) -> Vec<Vec<(u32, Members)>> {
        let mut in_folders: Vec<Vec<u32>> = vec![Vec::new(); classes];
        for &(class, folder) in at.keys() {
            if let Some(list) = in_folders.get_mut(class as usize) {
                list.push(folder);
            }
        }
        let place = |id: u32| folders.place(id).0;
        let mut under = Vec::with_capacity(classes);
        for (class, mut nodes) in (0u32..).zip(in_folders) {
            nodes.sort_unstable_by_key(|&id| place(id));
            let branches: Vec<u32> = nodes
                .windows(2)
                .map(|w| folders.common(w[0], w[1]))
                .collect();
            nodes.extend(branches);
            nodes.sort_unstable_by_key(|&id| place(id));
            nodes.dedup();
            // Each node's nearest node above it, from a stack of the nodes holding it.
            let mut parents: Vec<Option<usize>> = Vec::with_capacity(nodes.len());
            let mut stack: Vec<usize> = Vec::new();
            for &id in &nodes {
                let (start, _) = folders.place(id);
                while let Some(&top) = stack.last() {
                    let (top_start, top_end) = nodes.get(top).map_or((0, 0), |&t| folders.place(t));
                    if top_start <= start && start < top_end {
                        break;
                    }
                    stack.pop();
                }
                parents.push(stack.last().copied());
                stack.push(parents.len() - 1);
            }
            let mut members: Vec<Members> = nodes
                .iter()
                .map(|&id| at.get(&(class, id)).cloned().unwrap_or_default())
                .collect();
            // Those under a node come after it: add each node's to its parent's, last first.
            for i in (0..nodes.len()).rev() {
                let (Some(Some(parent)), Some(own)) = (parents.get(i), members.get(i).cloned())
                else {
                    continue;
                };
                if let Some(into) = members.get_mut(*parent) {
                    into.merge(&own);
                }
            }
            under.push(nodes.iter().map(|&id| place(id)).zip(members).collect());
        }
        under
    }

    /// The Services of class `class` in or under folder `prefix`.
    fn under_folder(&self, class: u32, prefix: u32) -> Option<&Members> {
        let list = self.under.get(class as usize)?;
        let (start, end) = self.folders.place(prefix);
        let first = list.partition_point(|(place, _)| *place < start);
        list.get(first)
            .filter(|(place, _)| *place < end)
            .map(|(_, members)| members)
    }

    /// Mark the pairs of `labels` that some selector has in `marks` (a bit per pair id, all
    /// clear), and return their ids (clear them again with [`ServiceIndex::unmark`]). A class is
    /// then checked by testing bits (a pod template with all 200 labels of a grid of 40,000
    /// Services checks each of them).
    fn mark(&self, labels: &[Pair<'_>], marks: &mut [u64]) -> Vec<u32> {
        let mut ids: Vec<u32> = labels
            .iter()
            .filter_map(|pair| self.pair_ids.get(pair).copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        for &id in &ids {
            let (word, mask) = bit(id);
            if let Some(w) = marks.get_mut(word) {
                *w |= mask;
            }
        }
        ids
    }

    fn unmark(ids: &[u32], marks: &mut [u64]) {
        for &id in ids {
            let (word, mask) = bit(id);
            if let Some(w) = marks.get_mut(word) {
                *w &= !mask;
            }
        }
    }

    /// The `by_pair` keys a pod template in `namespace` reads (see `by_pair` of
    /// [`ServiceIndex`]).
    fn namespace_keys(&self, namespace: Option<&str>) -> Vec<u32> {
        match namespace {
            None => vec![ANY_NAMESPACE],
            Some(namespace) => std::iter::once(NO_NAMESPACE)
                .chain(self.namespaces.get(namespace).copied())
                .collect(),
        }
    }

    /// The classes listed under the marked pairs `ids` for a pod template whose namespace
    /// reads the `by_pair` keys `keys`, ascending, each once, found when asked: a merge of the
    /// lists (each ascending, each class under one pair per key), so the caller stops when the
    /// classes left cannot change what it keeps. Each comes with whether its selector is among
    /// the marked pairs (those that are not are counted by the caller too: a pair on every
    /// pod template, listing thousands of classes that another pair rejects, must not make
    /// each pod template look at all of them).
    fn selecting<'a>(
        &'a self,
        ids: &[u32],
        keys: &[u32],
        marks: &'a [u64],
    ) -> impl Iterator<Item = (u32, bool)> + 'a {
        let lists: Vec<&'a [(u32, u32)]> = keys
            .iter()
            .flat_map(|&key| {
                ids.iter()
                    .filter_map(move |&id| self.by_pair.get(&(key, id)))
            })
            .map(Vec::as_slice)
            .filter(|list| !list.is_empty())
            .collect();
        // (next class, list, place in it), smallest class first.
        let mut heap: BinaryHeap<Reverse<(u32, usize, usize)>> = lists
            .iter()
            .enumerate()
            .filter_map(|(l, list)| list.first().map(|&(c, _)| Reverse((c, l, 0))))
            .collect();
        let marked = move |id: u32| marked(marks, id);
        std::iter::from_fn(move || {
            let Reverse((class, l, at)) = heap.pop()?;
            let list = lists.get(l).copied().unwrap_or(&[]);
            if let Some(&(next, _)) = list.get(at + 1) {
                heap.push(Reverse((next, l, at + 1)));
            }
            let other = list.get(at).map_or(u32::MAX, |&(_, other)| other);
            let selects = (other == u32::MAX || marked(other))
                && self
                    .classes
                    .get(class as usize)
                    .is_some_and(|c| c.selector.iter().all(|&p| marked(p)));
            Some((class, selects))
        })
    }

    /// What the first pod template (by location) that met [`MAX_SELECTING_CLASSES`] was, for
    /// the note.
    pub fn notes(&self) -> Vec<String> {
        let capped = self.capped.lock().map(|c| c.clone()).unwrap_or_default();
        capped
            .map(|(_, name)| {
                format!(
                    "{name} shares labels with more than {MAX_SELECTING_CLASSES} different Service selectors; only the first {MAX_SELECTING_CLASSES} (in file order) were matched against it and against other pod templates like it"
                )
            })
            .into_iter()
            .collect()
    }

    /// Fill `selected_by` of the Kubernetes workloads among `workloads`.
    ///
    /// Classes are looked at in the order of their first Service, and only until those left
    /// cannot change what is kept (the first Services, the first in the pod template's own file
    /// and the first that is not a metrics Service): a grid of 27,405 selectors all selecting
    /// 12,000 pod templates looks at a few dozen classes per pod template, not at every pair.
    pub fn link(&self, workloads: &mut [Workload], files: &Files) {
        let services = self.services;
        let mut marks: Vec<u64> = Vec::new();
        for workload in workloads {
            if workload.kubernetes.is_none() {
                continue;
            }
            let workload_dir = self.folders.components(files, &workload.location);
            let prefixes = self.folders.known_prefixes(&workload_dir);
            let workload_file = workload.location.file;
            let workload_location = workload.location;
            // The names of the pod's container ports, for Services that target ports by name
            // (Kubernetes looks them up in the containers and the native sidecars).
            let pod_port_names = pod_port_names(&workload.processes);
            let Some(kube) = &mut workload.kubernetes else {
                continue;
            };
            let labels: Vec<Pair<'_>> = kube
                .template_labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            if marks.is_empty() {
                marks = vec![0; self.pair_ids.len().div_ceil(64)];
            }
            let ids = self.mark(&labels, &mut marks);
            let keys = self.namespace_keys(kube.namespace.as_deref());
            let namespace = |c: u32| self.classes.get(c as usize).and_then(|c| c.namespace);
            // First the Services in the pod template's own folder tree (one folder holds the
            // other): without namespaces, objects of one application live in one folder tree
            // (stdin and single files share the empty folder). All of them are kept: those
            // `under` the pod template's own folder (when known: else none is), and those `at`
            // every folder above it (of those, the folders some Service is at, sorted).
            let own = prefixes
                .get(workload_dir.len())
                .filter(|_| prefixes.len() == workload_dir.len() + 1);
            let mut above: Vec<u32> = prefixes[..prefixes.len().min(workload_dir.len())]
                .iter()
                .copied()
                .filter(|&p| self.has_services.get(p as usize).copied().unwrap_or(false))
                .collect();
            above.sort_unstable();
            // The Services in the pod template's file (services are sorted by location).
            let own_file = services.partition_point(|s| s.location.file < workload_file)
                ..services.partition_point(|s| s.location.file <= workload_file);
            let mut gathered = Gathered::default();
            // The classes of the pod template's namespace, for the Services elsewhere.
            let mut same_namespace: Vec<u32> = Vec::new();
            // Every class listed under one of its labels counts, whether it selects the pod
            // template or not.
            let mut looked_at = 0usize;
            for (c, selects) in self.selecting(&ids, &keys, &marks) {
                let first = self.classes.get(c as usize).map_or(0, |c| c.first);
                // Classes come in the order of their first Service: none left can change what
                // is kept.
                if gathered.bound().is_some_and(|bound| first > bound) {
                    break;
                }
                if looked_at == MAX_SELECTING_CLASSES {
                    self.cap(workload_location, kube);
                    break;
                }
                looked_at += 1;
                // (The lists read hold the classes of the pod template's namespace and of
                // none only.) A class whose Services target ports the pod does not declare
                // selects it but sends it nothing.
                let reaches = || {
                    self.classes
                        .get(c as usize)
                        .is_some_and(|class| class.reaches(&pod_port_names))
                };
                if !selects || !reaches() {
                    continue;
                }
                if kube.namespace.is_some() && namespace(c) == kube.namespace.as_deref() {
                    same_namespace.push(c);
                }
                if let Some(members) = own.and_then(|&own| self.under_folder(c, own)) {
                    gathered.add(members);
                }
                // The class's Services at folders above: each folder above looked up, or each
                // folder of the class looked for above, whichever are fewer.
                let of_class = self
                    .folders_of
                    .get(c as usize)
                    .map_or(&[][..], Vec::as_slice);
                let mut add_at = |prefix: u32| {
                    if let Some(members) = self.at.get(&(c, prefix)) {
                        gathered.add(members);
                    }
                };
                if of_class.len() < above.len() {
                    of_class
                        .iter()
                        .filter(|f| above.binary_search(f).is_ok())
                        .for_each(|&f| add_at(f));
                } else {
                    above.iter().for_each(|&p| add_at(p));
                }
            }
            // The first Service in the pod template's file whose class selects it, when more
            // are found than kept: looked for among the classes of that file, each once, in the
            // order of their first Service there.
            if gathered.total > MAX_SELECTING_SERVICES
                && !gathered
                    .first
                    .iter()
                    .take(MAX_SELECTING_SERVICES)
                    .any(|s| own_file.contains(s))
            {
                let start = self.in_file.partition_point(|&(i, _)| i < own_file.start);
                let end = self.in_file.partition_point(|&(i, _)| i < own_file.end);
                let in_file = self.in_file.get(start..end).unwrap_or(&[]);
                for (rejected, &(i, c)) in in_file.iter().enumerate() {
                    looked_at += 1;
                    let selects = self.classes.get(c as usize).is_some_and(|class| {
                        class.selector.iter().all(|&p| marked(&marks, p))
                            && match (class.namespace, &kube.namespace) {
                                (Some(a), Some(b)) => a == b,
                                _ => true,
                            }
                            && class.reaches(&pod_port_names)
                    });
                    if selects {
                        gathered.own_file = Some(i);
                        break;
                    }
                    if rejected == MAX_SELECTING_CLASSES {
                        self.cap(workload_location, kube);
                        break;
                    }
                }
            }
            Self::unmark(&ids, &mut marks);
            self.looked_at
                .fetch_add(looked_at, std::sync::atomic::Ordering::Relaxed);
            // Else the Services of the same namespace elsewhere (a repository is not one cluster:
            // copies of an application, an overlay per environment): those sharing the longest
            // folder prefix with it, that is under the longest prefix of its folder that any is
            // under (every Service is under the empty one). Nothing was found: every class was
            // looked at.
            if gathered.lists == 0 && kube.namespace.is_some() {
                for &prefix in prefixes.iter().rev() {
                    for &c in &same_namespace {
                        if let Some(members) = self.under_folder(c, prefix) {
                            gathered.add(members);
                        }
                    }
                    if gathered.lists > 0 {
                        break;
                    }
                }
                // A Service in the pod template's file is in its folder: none was found there.
                gathered.own_file = None;
            }
            let mut kept = gathered.first;
            // The rules read the first Services, the first in the pod template's own file and the
            // first that is not a metrics Service: thousands of Services selecting thousands of
            // pod templates (one label on everything) must not keep every pair. A Service in the
            // pod template's file is in its folder, so it is in the lists when its class is.
            if gathered.total > MAX_SELECTING_SERVICES {
                kept.truncate(MAX_SELECTING_SERVICES);
                kept.extend(gathered.own_file.into_iter().chain(gathered.first_serving));
                kept.sort_unstable();
                kept.dedup();
            }
            if kept.is_empty() {
                continue;
            }
            kube.selected_by
                .extend(kept.into_iter().map(|i| services[i].location));
            // Kept until the rules ran; extending an empty vector reserves at least four.
            kube.selected_by.shrink_to_fit();
        }
    }

    /// Remember the first pod template (by location) that met [`MAX_SELECTING_CLASSES`].
    fn cap(&self, location: Location, kube: &crate::model::KubeWorkload) {
        if let Ok(mut capped) = self.capped.lock() {
            if capped.as_ref().is_none_or(|(at, _)| location < *at) {
                *capped = Some((location, format!("{}/{}", kube.kind, kube.name)));
            }
        }
    }
}

/// The bit of a pair id in a bitset of `u64` words.
fn bit(id: u32) -> (usize, u64) {
    ((id / 64) as usize, 1u64 << (id % 64))
}

fn marked(marks: &[u64], id: u32) -> bool {
    let (word, mask) = bit(id);
    marks.get(word).is_some_and(|w| w & mask != 0)
}

/// What [`ServiceIndex::link`] gathers for one pod template from the Services of the classes
/// selecting it, looked at in the order of their first Service.
#[derive(Default)]
struct Gathered {
    /// The first Services, ascending: at most one more than are kept.
    first: Vec<usize>,
    /// How many Services, and how many lists of them, were found.
    total: usize,
    lists: usize,
    /// The first Service that is not a metrics Service, and the first in the pod template's
    /// own file.
    first_serving: Option<usize>,
    own_file: Option<usize>,
}

impl Gathered {
    fn add(&mut self, members: &Members) {
        self.lists += 1;
        self.total += members.total;
        for &service in members.services.iter().take(MAX_SELECTING_SERVICES + 1) {
            if self.first.len() > MAX_SELECTING_SERVICES
                && self.first.last().is_some_and(|&last| service > last)
            {
                break;
            }
            let at = self.first.partition_point(|&s| s < service);
            self.first.insert(at, service);
            self.first.truncate(MAX_SELECTING_SERVICES + 1);
        }
        self.first_serving = self
            .first_serving
            .into_iter()
            .chain(members.first_serving)
            .min();
    }

    /// The last Service a class looked at next could change what is kept by (`None`: any
    /// could): the first `MAX_SELECTING_SERVICES + 1` and the first that is not a metrics
    /// Service, both found. (The first in the pod template's file is looked for apart.)
    fn bound(&self) -> Option<usize> {
        let last = *self.first.get(MAX_SELECTING_SERVICES)?;
        Some(last.max(self.first_serving?))
    }
}

/// How many classes of Services (a selector and a namespace) listed under one of a pod
/// template's labels (selecting it or not: see [`ServiceIndex::selecting`]) are looked at for
/// it, in the order of their first Service; past it the rest are not (a note says so). Also how
/// many classes of its own file that do not select it are looked at for the first Service
/// there. Classes are looked at only until those left cannot change what is kept, and a class
/// is listed under the pair of its selector the fewest classes have, in its namespace, so this
/// is met only by a pod template that more distinct selectors select, or nearly select, than
/// any real cluster has, with none of their Services in its folder tree.
const MAX_SELECTING_CLASSES: usize = 1_000;

/// How many of the Services selecting a pod template are kept for it (besides the first in its
/// own file and the first that is not a metrics Service).
const MAX_SELECTING_SERVICES: usize = 16;

/// A script's file in the build context, and the COPY that put it into the image.
type Resolved = (PathBuf, Option<Location>);

/// Reads the entrypoint scripts that processes run from images built in the scan, and keeps
/// those read so far, so workloads linked later read each script once, as one file.
pub struct Scripts {
    max_file_bytes: u64,
    loaded: HashMap<PathBuf, Option<FileId>>,
    /// Where each (Dockerfile, script path) was found: a Dockerfile built by many services
    /// is searched once, not once per service.
    resolved: HashMap<(FileId, PathBuf, String), Option<Resolved>>,
    /// What the file system said about COPY sources, and each Dockerfile's COPYs by
    /// destination.
    copies: CopyLookup,
    /// What each script read does ([`script_facts`]), parsed once and shared by every process
    /// that runs it: they depend only on the script's text.
    facts: HashMap<FileId, Option<Arc<ScriptFacts>>>,
    /// The note that [`MAX_COPY_CHECKS`] ran out was given.
    noted: bool,
    /// The note that [`MAX_COPY_INDEX_NODES`] ran out was given.
    index_noted: bool,
    /// How many notes of `.dockerignore` files not applied were given.
    ignore_notes: usize,
    /// Whether a server's default config file may be at each (Dockerfile, path in the image).
    configs: HashMap<(FileId, String), bool>,
    /// The COPY lookups for those: apart from the scripts', so that they add no note and
    /// spend none of their checks.
    config_copies: CopyLookup,
    /// Whether each path looked at for a default config file exists (see
    /// [`Scripts::config_in_folders`]); `None`: not known inside the scan.
    present: HashMap<(PathBuf, PathBuf), Option<bool>>,
    /// The scanned folder each compose file, Procfile and fly.toml was found in: its folders
    /// are looked at for default config files only inside it.
    roots: HashMap<FileId, PathBuf>,
    /// The servers' default config files the walk saw anywhere in the scan (bits of
    /// [`crate::drain::DEFAULT_CONFIG_PLACES`]).
    seen_configs: u8,
    /// Build contexts outside the scan a note was given for.
    outside_contexts: std::collections::HashSet<String>,
    /// The build context of each image (by index) that compose services or fly.toml files
    /// build: `None` when one is not known or they name different ones.
    built_with: HashMap<usize, Option<PathBuf>>,
    /// The note that the COPY lookups for default config files ran out was given.
    config_noted: bool,
}

/// How many answers of [`Scripts::config_in_folders`] are kept (each distinct folder asks a few).
const MAX_PRESENT_CHECKS: usize = 100_000;

/// The folder of a workload's file when that may be its process's working directory: a
/// Procfile's, a compose file's, a fly.toml's.
fn workload_file(files: &Files, workload: &(crate::model::Platform, FileId)) -> Option<PathBuf> {
    use crate::model::Platform;
    match workload.0 {
        Platform::Procfile | Platform::Compose | Platform::Fly => {
            files.disk_path(workload.1).parent().map(|p| {
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                }
                .to_path_buf()
            })
        }
        _ => None,
    }
}

impl Scripts {
    /// `roots`: the scanned folder of each compose file, Procfile and fly.toml (a workload's
    /// folders are looked at only inside it); `seen_configs`: the servers' default config
    /// files the walk saw ([`crate::discover::Discovery::default_configs`]).
    pub fn new(max_file_bytes: u64, roots: HashMap<FileId, PathBuf>, seen_configs: u8) -> Self {
        Scripts {
            max_file_bytes,
            roots,
            seen_configs,
            outside_contexts: std::collections::HashSet::new(),
            built_with: HashMap::new(),
            loaded: HashMap::new(),
            resolved: HashMap::new(),
            copies: CopyLookup::default(),
            facts: HashMap::new(),
            noted: false,
            index_noted: false,
            ignore_notes: 0,
            configs: HashMap::new(),
            config_copies: CopyLookup::default(),
            present: HashMap::new(),
            config_noted: false,
        }
    }

    /// Link the processes of `workloads` that run an image of `images` with their script.
    pub fn link(
        &mut self,
        images: &[Image],
        workloads: &mut [Workload],
        files: &mut Files,
        linked: &mut Linked,
    ) {
        // The build context each compose service or fly.toml that builds an image of the scan
        // names (`context: .` with `dockerfile: docker/Dockerfile`: COPY sources are read from
        // there, not from the Dockerfile's folder). The Dockerfile's own workload, and the
        // Kubernetes containers that run its image, are judged with the context it is built
        // with: the one its builders name when they agree, none when they do not.
        let mut named: Vec<Option<Option<PathBuf>>> = Vec::with_capacity(workloads.len());
        for workload in workloads.iter() {
            let build = Build::of(workload);
            let context = match (build, workload.image.and_then(|i| images.get(i))) {
                (Build::Implicit, _) | (_, None) => None,
                (Build::Folder, Some(image)) => Some(image.context_dir.clone()),
                (Build::Other, Some(_)) => Some(self.named_context(files, workload, linked)),
            };
            if let (Some(context), Some(index)) = (&context, workload.image) {
                self.built_with
                    .entry(index)
                    .and_modify(|known| {
                        if known != context {
                            *known = None;
                        }
                    })
                    .or_insert_with(|| context.clone());
            }
            named.push(context);
        }
        for (workload, named_context) in workloads.iter_mut().zip(named) {
            let build = Build::of(workload);
            let wl = (workload.platform, workload.location.file);
            let folder =
                workload_file(files, &wl).map(|folder| (folder, self.roots.get(&wl.1).cloned()));
            for process in &mut workload.processes {
                // Where the server's default config files may be (see `server_config_files`).
                process.default_config_file = match server_config_files(process) {
                    Err(present) => present,
                    Ok(names) => {
                        self.default_config_file(images, process, build, &names)
                            || self.config_in_folders(images, folder.clone(), process, &names)
                            || self.seen_in_scan(process, wl.0, &names)
                    }
                };
                let Some((index, image)) = process.image.and_then(|i| Some((i, images.get(i)?)))
                else {
                    continue;
                };
                let context = match &named_context {
                    Some(context) => context.clone(),
                    None => match self.built_with.get(&index) {
                        Some(context) => context.clone(),
                        None => image.context_dir.clone(),
                    },
                };
                // Another folder than the Dockerfile's that is not known or not in the scan,
                // or builders that name different ones.
                let Some(context) = context else {
                    continue;
                };
                let Some(run) = process.analysis.as_ref().and_then(|a| a.script.as_ref()) else {
                    continue;
                };
                let (path, invoked_at) = (run.path.clone(), run.location);
                let key = (image.dockerfile, context.clone(), path);
                let found = match self.resolved.get(&key) {
                    Some(found) => found.clone(),
                    None => {
                        let found = resolve_script(image, &context, &key.2, &mut self.copies);
                        self.resolved.insert(key, found.clone());
                        found
                    }
                };
                let Some((on_disk, copied_at)) = found else {
                    continue;
                };
                let file = match self.loaded.get(&on_disk) {
                    Some(file) => *file,
                    None => {
                        let file = load_script(
                            &on_disk,
                            &context,
                            image,
                            files,
                            self.max_file_bytes,
                            linked,
                        );
                        self.loaded.insert(on_disk.clone(), file);
                        file
                    }
                };
                let Some(file) = file else {
                    continue;
                };
                let facts = self
                    .facts
                    .entry(file)
                    .or_insert_with(|| script_facts(file, &files.text(file)).map(Arc::new))
                    .clone();
                process.script = Some(Box::new(LinkedScript {
                    file,
                    invoked_at,
                    copied_at,
                    facts,
                }));
            }
        }
        let given = self.ignore_notes;
        linked.notes.extend(
            self.copies
                .notes
                .list
                .iter()
                .skip(given)
                .map(|n| n.to_string()),
        );
        self.ignore_notes = self.copies.notes.list.len();
        if let (Some((dockerfile, path)), false) = (&self.copies.checks.ran_out, self.noted) {
            self.noted = true;
            let mut shown: String = path.chars().take(100).collect();
            if shown.len() < path.len() {
                shown.push('…');
            }
            linked.notes.push(format!(
                "{}: looking for entrypoint scripts among COPY sources stopped after {MAX_COPY_CHECKS} checks (shutdownlint's limit), at {shown:?}; scripts not found by then are not read (SL103 and the other script rules are not checked for them)",
                files.path(*dockerfile)
            ));
        }
        if let (Some(at), false) = (self.copies.nodes.ran_out, self.index_noted) {
            self.index_noted = true;
            let text = files.text(at.file);
            let line = text
                .get(..at.span.start)
                .map_or(0, |t| t.matches('\n').count())
                + 1;
            linked.notes.push(format!(
                "{}:{line}: looking for entrypoint scripts among COPY destinations stopped after indexing {MAX_COPY_INDEX_NODES} of their folders (shutdownlint's limit), at this COPY; scripts that it or an earlier COPY of its Dockerfile (or a COPY of a Dockerfile looked at later) may have put in the image are not read (SL103 and the other script rules are not checked for them)",
                files.path(at.file)
            ));
        }
        let config_ran_out = self
            .config_copies
            .checks
            .ran_out
            .as_ref()
            .map(|(file, _)| *file)
            .or(self.config_copies.nodes.ran_out.map(|at| at.file));
        if let (Some(dockerfile), false) = (config_ran_out, self.config_noted) {
            self.config_noted = true;
            linked.notes.push(format!(
                "{}: looking for servers' default config files (gunicorn.conf.py, config/sidekiq.yml) among COPYs stopped at shutdownlint's limit; processes not looked at by then are taken as possibly having one, so SL301 and SL303 do not count gunicorn's or sidekiq's default drain timeout for them",
                files.path(dockerfile)
            ));
        }
    }
}

impl Scripts {
    /// The build context a compose service (`build.context`) or a fly.toml (its folder) names
    /// for a Dockerfile in another folder, when it is a folder inside the scan (its real path
    /// inside the real path of the scanned folder the file was found in): a build reads its
    /// COPY sources there. `None` (with a note) when it is not.
    fn named_context(
        &mut self,
        files: &Files,
        workload: &Workload,
        linked: &mut Linked,
    ) -> Option<PathBuf> {
        match named_context(files, &self.roots, workload) {
            Ok(context) => Some(context),
            Err(Some(outside)) => {
                let shown = crate::discover::display_path(&outside);
                if self.outside_contexts.insert(shown.clone()) {
                    linked.notes.push(format!(
                        "{}: the build context `{shown}` is not a folder inside the scan; the entrypoint scripts its COPYs put in the image are not read (SL103 and the other script rules are not checked for them)",
                        files.path(workload.location.file)
                    ));
                }
                None
            }
            Err(None) => None,
        }
    }

    /// Whether a config file that the process's server reads by default (see
    /// [`crate::drain::default_config_files`]) is at its conventional place (relative) in a
    /// folder that may be its working directory as far as the scan knows: the build context of
    /// the image it runs, `folder` (a Procfile's, compose file's or fly.toml's, with the scanned
    /// folder it was found in), a host folder bound into it; or the platform mounts a file of
    /// that name.
    ///
    /// Folders are looked at only inside the scan, never through a link: the build context
    /// inside itself (a build sees nothing else), the others inside the scanned folder of the
    /// workload's file. A place outside (a host folder `/srv/app`, `../shared` above the
    /// scanned folder, a link out) may hold one for all the scan knows: taken as present, so
    /// the outcome never depends on files outside the scan.
    fn config_in_folders(
        &mut self,
        images: &[Image],
        folder: Option<(PathBuf, Option<PathBuf>)>,
        process: &Process,
        names: &[String],
    ) -> bool {
        if process.mounts.as_ref().is_some_and(|m| m.config_named) {
            return true;
        }
        // (folder, the folder it must stay in)
        let mut folders: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
        if let Some(context) = process
            .image
            .and_then(|i| images.get(i))
            .and_then(|i| i.context_dir.clone())
        {
            folders.push((context.clone(), Some(context)));
        }
        if let Some((folder, root)) = folder {
            for host in process.mounts.iter().flat_map(|m| m.host_folders.iter()) {
                folders.push((folder.join(host), root.clone()));
            }
            folders.push((folder, root));
        }
        folders.iter().any(|(folder, root)| {
            names.iter().filter(|n| !n.starts_with('/')).any(|name| {
                let Some(root) = root else {
                    return true;
                };
                let key = (root.clone(), folder.join(name));
                let known = match self.present.get(&key) {
                    Some(&known) => known,
                    None => {
                        let known = crate::change::paths::present_below(&key.0, &key.1);
                        if self.present.len() < MAX_PRESENT_CHECKS {
                            self.present.insert(key, known);
                        }
                        known
                    }
                };
                known.unwrap_or(true)
            })
        })
    }

    /// Whether a process whose files the scan cannot tell may read a default config file the
    /// scan holds: it runs no image built in the scan (an image from a registry, which is
    /// usually built from the repository in CI; a systemd unit, whose `WorkingDirectory=` is a
    /// folder of the host the repository is deployed to), and the walk saw a file at the place
    /// its server looks (`gunicorn.conf.py`, `config/sidekiq.yml`) in some folder of the scan.
    /// A Procfile's processes run in its folder, which [`Scripts::config_in_folders`] looks at.
    fn seen_in_scan(
        &self,
        process: &Process,
        platform: crate::model::Platform,
        names: &[String],
    ) -> bool {
        self.seen_configs != 0
            && process.image.is_none()
            && platform != crate::model::Platform::Procfile
            && names
                .iter()
                .any(|name| crate::drain::default_config_place_of(name) & self.seen_configs != 0)
    }

    /// Whether a COPY of the image the process runs may put a server's default config file
    /// (`files`, relative to the working directory or absolute) in it, or that cannot be told.
    fn default_config_file(
        &mut self,
        images: &[Image],
        process: &Process,
        build: Build,
        files: &[String],
    ) -> bool {
        let Some(image) = process.image.and_then(|i| images.get(i)) else {
            // Built from a Dockerfile not in the scan, or another stage of it.
            return build != Build::Implicit;
        };
        if image.unknown_files {
            return true;
        }
        let (Some(context), Some(workdir), false) = (
            image.context_dir.as_deref(),
            image.workdir.as_deref(),
            build == Build::Other,
        ) else {
            return true;
        };
        files.iter().any(|file| {
            let target = crate::lower::dockerfile::normalize(&if file.starts_with('/') {
                file.clone()
            } else {
                format!("{workdir}/{file}")
            });
            let key = (image.dockerfile, target);
            if let Some(&known) = self.configs.get(&key) {
                return known;
            }
            let found = may_be_copied(image, context, &key.1, &mut self.config_copies);
            self.configs.insert(key, found);
            found
        })
    }
}

/// The build context a compose service (`build.context`) or a fly.toml (its folder) names for
/// its Dockerfile, when it is a folder inside the scan (its real path inside the real path of
/// the scanned folder the file was found in; `roots`: that folder per file). `Err(Some(folder))`
/// for a folder outside the scan, `Err(None)` when it is not known (a variable, a URL).
fn named_context(
    files: &Files,
    roots: &HashMap<FileId, PathBuf>,
    workload: &Workload,
) -> Result<PathBuf, Option<PathBuf>> {
    // A compose context is relative to the file that writes it (an `extends` file of another
    // folder, see `lower::compose::View::build`).
    let (file, written) = match &workload.compose {
        Some(compose) => {
            let build = compose.build.as_ref().ok_or(None)?;
            (build.location.file, build.context.as_str())
        }
        None => (workload.location.file, "."),
    };
    let folder = workload_file(files, &(workload.platform, file)).ok_or(None)?;
    if written.contains(['$', '~']) || written.contains("://") || written.contains(':') {
        return Err(None);
    }
    let context = crate::change::paths::clean(&folder.join(written));
    let root = roots
        .get(&file)
        .or_else(|| roots.get(&workload.location.file))
        .ok_or(None)?;
    use crate::change::paths::{below_as_written, canonical, or_current};
    // Inside as written (nothing outside is asked), then with its links resolved.
    let inside = below_as_written(root, &context).is_some()
        && canonical(or_current(&context)).is_some_and(|real| {
            canonical(or_current(root)).is_some_and(|root| real.starts_with(root))
        });
    if !inside {
        return Err(Some(context));
    }
    Ok(or_current(&context).to_path_buf())
}

/// How many COPYs (and other copies) of images are copied in all to give a Dockerfile that
/// services build with different contexts one image per context; past it, the services of the
/// other contexts run the image without a known context.
const MAX_CONTEXT_IMAGE_COPIES: usize = 100_000;

/// Gives each image of the scan the build context its builders (compose services, fly.toml
/// files) name: compose's `build: {context: ., dockerfile: docker/nginx/Dockerfile}` reads the
/// COPY sources from `.`, not from the Dockerfile's folder (Compose specification, build:
/// "`dockerfile` sets an alternate Dockerfile. A relative path is resolved from the build
/// context"). When its builders name one context, the image has it; when they name several,
/// each context gets its own copy of the image, run by the services that name it, and the image
/// itself (the Dockerfile's own workload, Kubernetes containers that run it by name) has none:
/// which one it is built with is not known. A context outside the scan or not known (a
/// variable) is none either. Images no workload builds keep the Dockerfile's folder.
fn build_contexts(
    model: &mut Model,
    files: &Files,
    roots: &HashMap<FileId, PathBuf>,
    notes: &mut Vec<String>,
) {
    let cwd = std::env::current_dir().unwrap_or_default();
    let as_written = |p: &Path| crate::change::paths::clean(&cwd.join(p));
    // Per image: each context its builders name and the builders (workload indices), in the
    // order met.
    type Builders = Vec<(Option<PathBuf>, Vec<usize>)>;
    let mut by_image: Vec<Builders> = vec![Vec::new(); model.images.len()];
    // Where each (image, context as written, cleaned) sits in its image's list: one lookup
    // per builder, so many contexts of one Dockerfile cost linear time.
    let mut slot: HashMap<(usize, Option<PathBuf>), usize> = HashMap::new();
    for (w, workload) in model.workloads.iter().enumerate() {
        let Some(index) = workload.image else {
            continue;
        };
        let context = match Build::of(workload) {
            // The Dockerfile's own workload, a Kubernetes container: no builder.
            Build::Implicit => continue,
            Build::Folder => model.images.get(index).and_then(|i| i.context_dir.clone()),
            Build::Other => named_context(files, roots, workload).ok(),
        };
        let key = context.as_deref().map(as_written);
        let Some(builders) = by_image.get_mut(index) else {
            continue;
        };
        match slot.entry((index, key)) {
            std::collections::hash_map::Entry::Occupied(at) => {
                if let Some((_, list)) = builders.get_mut(*at.get()) {
                    list.push(w);
                }
            }
            std::collections::hash_map::Entry::Vacant(at) => {
                at.insert(builders.len());
                builders.push((context, vec![w]));
            }
        }
    }
    let mut budget = MAX_CONTEXT_IMAGE_COPIES;
    let mut noted = false;
    for (index, builders) in by_image.into_iter().enumerate() {
        let Some(image) = model.images.get_mut(index) else {
            continue;
        };
        match builders.as_slice() {
            [] => continue,
            [(context, _)] => {
                image.context_dir = context.clone();
                continue;
            }
            _ => {}
        }
        let original = image.clone();
        image.context_dir = None;
        for (context, list) in builders {
            let cost = original.copies.len() + original.other_copies.len() + 1;
            let Some(left) = budget.checked_sub(cost) else {
                if !noted {
                    noted = true;
                    notes.push(format!(
                        "{}: built with more build contexts than shutdownlint follows ({MAX_CONTEXT_IMAGE_COPIES} COPYs in all, its limit); the services of the others are judged without the files its COPYs bring (nginx includes, entrypoint scripts)",
                        files.path(original.dockerfile)
                    ));
                }
                continue;
            };
            budget = left;
            let at = model.images.len();
            model.images.push(Image {
                context_dir: context,
                ..original.clone()
            });
            for w in list {
                let Some(workload) = model.workloads.get_mut(w) else {
                    continue;
                };
                workload.image = Some(at);
                for process in &mut workload.processes {
                    if process.image == Some(index) {
                        process.image = Some(at);
                    }
                }
            }
        }
    }
}

/// The base image of each image whose FROM names build arguments, as the compose services that
/// build it make it: their `build.args` replace the ARG defaults (Compose specification, build
/// `args`; Dockerfile reference, "Understand how ARG and FROM interact"). When the builds
/// disagree or one takes a value from the environment, the base is unknown (its value keeps
/// the `$`); when they disagree and each is known, the image is built as each of them
/// ([`crate::model::BuiltBase::variants`]). Images no service builds with args keep the FROM
/// as written.
fn built_bases(model: &mut Model) {
    let mut builds: HashMap<usize, Vec<usize>> = HashMap::new();
    for (w, workload) in model.workloads.iter().enumerate() {
        let Some(index) = workload.image else {
            continue;
        };
        let builds_it = workload.compose.as_ref().is_some_and(|c| c.build.is_some());
        if builds_it
            && model
                .images
                .get(index)
                .is_some_and(|i| i.base_args.is_some())
        {
            builds.entry(index).or_default().push(w);
        }
    }
    for (index, builders) in builds {
        let Some(base) = model.images.get(index).and_then(|i| i.base_args.as_deref()) else {
            continue;
        };
        let globals: std::collections::HashSet<&str> =
            base.globals.iter().map(|(name, _)| name.as_str()).collect();
        let names = |args: &[(String, Option<String>)]| {
            args.iter().any(|(name, _)| globals.contains(name.as_str()))
        };
        let mut made: Option<Option<String>> = None;
        let mut at = None;
        let mut agree = true;
        // Every build's base, when all are known: the image really runs each.
        let mut variants: Option<Vec<String>> = Some(Vec::new());
        for &w in &builders {
            let Some(build) = model
                .workloads
                .get(w)
                .and_then(|w| w.compose.as_ref())
                .and_then(|c| c.build.as_ref())
            else {
                continue;
            };
            if at.is_none() && names(&build.args) {
                at = Some(build.location);
            }
            let this = crate::lower::dockerfile::base_with_args(base, &build.args);
            match (&this, &mut variants) {
                (Some(value), Some(list)) => {
                    if !list.contains(value) {
                        list.push(value.clone());
                    }
                }
                _ => variants = None,
            }
            match &made {
                None => made = Some(this),
                Some(earlier) => agree &= *earlier == this,
            }
        }
        // No build sets an ARG the FROM may use: the Dockerfile's own reference stands.
        let Some(location) = at else {
            continue;
        };
        let value = match made {
            Some(Some(value)) if agree => value,
            _ => base.raw.clone(),
        };
        let fact = Fact {
            value,
            location: Some(location),
            note: Some(format!(
                "`FROM {}` with the service's `build.args`",
                base.raw
            )),
        };
        let variants = match variants {
            Some(list) if !agree && list.len() > 1 => list,
            _ => Vec::new(),
        };
        if let Some(image) = model.images.get_mut(index) {
            image.built_base = Some(Box::new(crate::model::BuiltBase { fact, variants }));
        }
    }
}

/// Images whose COPY places or working directory a build argument's default decided
/// ([`crate::model::Image::path_args`]), built by a service whose `build.args` give it another
/// value (or one only the environment tells): those places are not known. Docker replaces
/// ARG/ENV in COPY, ADD and WORKDIR (Dockerfile reference, "Environment replacement"), with
/// the build's value of an ARG (Compose specification, build `args`).
fn built_paths(model: &mut Model) {
    let mut changed: Vec<usize> = Vec::new();
    for workload in &model.workloads {
        let (Some(index), Some(build)) = (
            workload.image,
            workload.compose.as_ref().and_then(|c| c.build.as_ref()),
        ) else {
            continue;
        };
        let changes = model
            .images
            .get(index)
            .and_then(|i| i.path_args.as_deref())
            .is_some_and(|p| p.changed_by(&build.args));
        if changes && !changed.contains(&index) {
            changed.push(index);
        }
    }
    for index in changed {
        let Some(image) = model.images.get_mut(index) else {
            continue;
        };
        let Some(paths) = image.path_args.take() else {
            continue;
        };
        for &copy in &paths.copies {
            if let Some(copy) = image.copies.get_mut(copy) {
                copy.destination = None;
            }
        }
        if paths.workdir {
            image.workdir = None;
        }
        if paths.other_copies && !image.other_copies.contains(&None) {
            image.other_copies.push(None);
        }
        image.unknown_files = true;
    }
}

/// What a workload says of the image its processes run and its build context.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Build {
    /// It names none: an image built in the scan is found by its name (a Kubernetes container),
    /// or is the Dockerfile's own, or the one next to a fly.toml by default; its context is taken
    /// to be the Dockerfile's folder.
    Implicit,
    /// Built from the Dockerfile in the build context's folder (compose `build:`, fly.toml's
    /// `[build] dockerfile`).
    Folder,
    /// Built from a Dockerfile in another folder than the context (`dockerfile:
    /// docker/Dockerfile`): the context is not the folder looked at.
    Other,
}

impl Build {
    fn of(workload: &Workload) -> Build {
        let elsewhere = |dockerfile: &str| {
            let dockerfile = dockerfile.trim_start_matches("./");
            if dockerfile.contains('/') || dockerfile.contains('\\') {
                Build::Other
            } else {
                Build::Folder
            }
        };
        if let Some(compose) = &workload.compose {
            return compose
                .build
                .as_ref()
                .map_or(Build::Implicit, |b| elsewhere(&b.dockerfile));
        }
        match &workload.dockerfile_ref {
            // fly.toml's `[build] dockerfile`, relative to the app's folder (the context).
            Some(reference) if reference.location.is_some() => elsewhere(&reference.value),
            _ => Build::Implicit,
        }
    }
}

/// Whether a file may be at `target` (absolute, cleaned) in the image: a COPY from the context
/// puts one there, a COPY from elsewhere (another stage, an image) may, or a COPY to an unknown
/// place does; also when that cannot be told (the `.dockerignore` is not applied, the checks
/// ran out).
fn may_be_copied(image: &Image, context: &Path, target: &str, copies: &mut CopyLookup) -> bool {
    let elsewhere = image.other_copies.iter().any(|place| match place {
        None => true,
        Some(place) => {
            let place = place.trim_end_matches('/');
            target == place
                || target
                    .strip_prefix(place)
                    .is_some_and(|rest| rest.starts_with('/'))
        }
    });
    if elsewhere {
        return true;
    }
    let CopyLookup {
        is_dir,
        indexes,
        checks,
        listings,
        notes,
        ignores,
        nodes,
    } = copies;
    let index = copy_index(indexes, nodes, ignores, image, context);
    let ignore = Arc::clone(&index.ignore);
    let ignore = match &*ignore {
        Ignore::Unknown(..) | Ignore::OverBudget(_) => return true,
        Ignore::Patterns(ignore, shown) => Some((ignore, shown.as_str())),
        Ignore::None => None,
    };
    let mut context = Context {
        root: context,
        ignore,
        listings,
        notes,
    };
    match index.find(image, target, &mut context, is_dir, checks) {
        Some(Some(_)) => true,
        Some(None) => index.unknown.is_some(),
        None => {
            checks
                .ran_out
                .get_or_insert_with(|| (image.dockerfile, target.to_string()));
            true
        }
    }
}

/// The index of `image`'s COPYs by destination, made (or made again, when the context or the
/// COPYs changed) as needed.
fn copy_index<'i>(
    indexes: &'i mut HashMap<FileId, CopyIndex>,
    nodes: &mut IndexNodes,
    ignores: &mut IgnoreFiles,
    image: &Image,
    context: &Path,
) -> &'i mut CopyIndex {
    let mut new_index = |left: &mut usize| {
        let index = CopyIndex::new(image, context, ignores, left);
        if let Some(cut) = index.cut {
            let at = image.copies.get(cut).map(|c| c.location);
            nodes.ran_out = nodes.ran_out.or(at);
        }
        index
    };
    match indexes.entry(image.dockerfile) {
        std::collections::hash_map::Entry::Occupied(entry) => {
            let index = entry.into_mut();
            if index.context != context || index.copies != image.copies.len() {
                // The nodes of the index replaced are given back.
                nodes.left = nodes
                    .left
                    .saturating_add((index.nodes as usize).saturating_sub(1));
                *index = new_index(&mut nodes.left);
            }
            index
        }
        std::collections::hash_map::Entry::Vacant(entry) => {
            entry.insert(new_index(&mut nodes.left))
        }
    }
}

/// The config files the server of `process` loads by default, none empty; else whether to
/// take one as present (`true`: which it loads is not known; `false`: no server, or none).
fn server_config_files(process: &Process) -> Result<Vec<String>, bool> {
    let Some(main) = process.analysis.as_ref().and_then(|a| a.main.as_ref()) else {
        return Err(false);
    };
    let Some(server) = main.server else {
        return Err(false);
    };
    let words: Vec<&str> = main.argv.iter().map(String::as_str).collect();
    match crate::drain::default_config_files(server, &words) {
        None => Err(true),
        Some(files) if files.is_empty() => Err(false),
        Some(files) => Ok(files),
    }
}

/// The display path of a context file: the Dockerfile's display directory joined with it.
fn display_for(files: &Files, image: &Image, relative: &Path) -> String {
    let dockerfile = files.path(image.dockerfile);
    let dir = Path::new(dockerfile).parent().unwrap_or(Path::new(""));
    // `COPY docker/. /app/` finds `docker/./entrypoint.sh`, `COPY docker/../docker/e.sh` finds
    // `docker/../docker/e.sh`: shown as the repository's path, cleaned as BuildKit cleans COPY
    // sources (a `..` removes the folder before it).
    let mut cleaned: Vec<std::path::Component<'_>> = Vec::new();
    for component in relative.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if matches!(cleaned.last(), Some(std::path::Component::Normal(_))) =>
            {
                cleaned.pop();
            }
            other => cleaned.push(other),
        }
    }
    let relative: PathBuf = cleaned.into_iter().collect();
    crate::discover::display_path(&dir.join(relative))
}

fn load_script(
    on_disk: &Path,
    context: &Path,
    image: &Image,
    files: &mut Files,
    max_file_bytes: u64,
    linked: &mut Linked,
) -> Option<FileId> {
    let relative = on_disk.strip_prefix(context).ok()?.to_path_buf();
    // The Dockerfile's folder (where the image's path is): the context when no builder names
    // another one.
    let display = if image.path.as_deref().and_then(Path::parent) == Some(context) {
        display_for(files, image, &relative)
    } else {
        // A context named by a compose file or fly.toml: shown from it.
        crate::discover::display_path(&crate::change::paths::clean(&context.join(&relative)))
    };
    let text = match read_confined(on_disk, context, max_file_bytes) {
        Ok(text) => text,
        Err(why) => {
            if let Some(why) = why {
                linked.notes.push(format!(
                    "{display}: {why} (SL103 and the other script rules are not checked for it)"
                ));
            }
            return None;
        }
    };
    if let Some(existing) = files.find_path(&display) {
        return Some(existing);
    }
    let id = files.push(SourceFile {
        path: display,
        kind: FileKind::ShellScript,
        text: Arc::from(text),
    });
    linked.suppressions.extend(suppress::parse(
        id,
        &files.text(id),
        FileKind::ShellScript.comment_chars(),
    ));
    Some(id)
}

/// Where a script path a process runs can be in the image: itself when absolute, under the
/// image's working directory when relative with a folder (`None` when that is unknown), else
/// each `PATH` folder.
fn paths_in_image(image: &Image, path: &str) -> Option<Vec<String>> {
    Some(if path.starts_with('/') {
        vec![crate::lower::dockerfile::normalize(path)]
    } else if path.contains('/') {
        let workdir = image.workdir.as_deref()?;
        vec![crate::lower::dockerfile::normalize(&format!(
            "{workdir}/{path}"
        ))]
    } else {
        PATH_DIRS.iter().map(|d| format!("{d}/{path}")).collect()
    })
}

/// How many checks (a step through the index of wildcards, an earlier source of a COPY looked
/// at; a file system call or a wildcard matched counts [`FILE_CHECKS`]) finding the
/// entrypoint scripts of one lint among COPY sources may take in all: about 0.3 s. A script
/// path in a realistic Dockerfile takes a few dozen. Past it, script paths not found yet are not
/// looked for, with a note.
const MAX_COPY_CHECKS: usize = 1_000_000;

/// The checks a file system call (is a file there, where does it lead) or a wildcard matched
/// against a name counts for.
const FILE_CHECKS: usize = 4;

/// Find the context file that ends up at `path` in the image, and the COPY that put it there:
/// the last COPY that puts a file of the context there (one that may have put anything there,
/// to an unknown destination, ends the search). `copies` keeps the Dockerfile's COPYs indexed
/// by destination, so a script path is looked up among the COPYs into its folders only, and
/// there among the sources that can put a file of its name there only. Files the context's
/// `.dockerignore` leaves out are not in it. `None` also when [`MAX_COPY_CHECKS`] ran out
/// (kept in `copies` for the note), when the last COPY there copies a file left out (the
/// build fails) or one not followed, and when the `.dockerignore` cannot be applied.
fn resolve_script(
    image: &Image,
    context: &Path,
    path: &str,
    copies: &mut CopyLookup,
) -> Option<Resolved> {
    let in_image = paths_in_image(image, path)?;
    let CopyLookup {
        is_dir,
        indexes,
        checks,
        listings,
        notes,
        ignores,
        nodes,
    } = copies;
    let index = copy_index(indexes, nodes, ignores, image, context);
    let ignore = Arc::clone(&index.ignore);
    let ignore = match &*ignore {
        Ignore::Unknown(file, why) => {
            let note = format!(
                "{file}: not applied ({why}); the entrypoint scripts that COPYs from its build context put in the image are not read (SL103 and the other script rules are not checked for them)"
            );
            notes.add(note);
            return None;
        }
        Ignore::OverBudget(file) => {
            if !ignores.noted {
                ignores.noted = true;
                notes.add(format!(
                    "{file}: not applied: shutdownlint reads at most {} KiB of .dockerignore files per run, and the ones read before it took that; the entrypoint scripts that COPYs from the build contexts of it and of the later ones past the limit put in the image are not read (SL103 and the other script rules are not checked for them)",
                    MAX_DOCKERIGNORE_BYTES / 1024
                ));
            }
            return None;
        }
        Ignore::Patterns(ignore, shown) => Some((ignore, shown.as_str())),
        Ignore::None => None,
    };
    for target in &in_image {
        let mut context = Context {
            root: context,
            ignore,
            listings,
            notes,
        };
        match index.find(image, target, &mut context, is_dir, checks) {
            Some(Some((copy, found))) => {
                let copy = image.copies.get(copy);
                let excludes = copy.map_or(&[][..], |c| &c.excludes[..]);
                if let Some(found) = &found {
                    let relative = found.strip_prefix(context.root).unwrap_or(found);
                    match may_be_excluded(excludes, relative, checks) {
                        Some(false) => {}
                        // Left out, an earlier COPY's file (or none) is there.
                        Some(true) => return None,
                        None => {
                            checks
                                .ran_out
                                .get_or_insert_with(|| (image.dockerfile, path.to_string()));
                            return None;
                        }
                    }
                }
                return found.map(|found| (found, copy.map(|c| c.location)));
            }
            Some(None) => {}
            None => {
                checks
                    .ran_out
                    .get_or_insert_with(|| (image.dockerfile, path.to_string()));
                return None;
            }
        }
        // A COPY to an unknown place may have put anything at `target`.
        if index.unknown.is_some() {
            return None;
        }
    }
    // Not copied explicitly: a relative path may name a file of the context directly.
    if !path.starts_with('/') && path.contains('/') {
        let relative = path.trim_start_matches("./");
        return confined(context, Path::new(relative)).map(|p| (p, None));
    }
    None
}

/// Whether a COPY's `--exclude` patterns may leave out the context file `relative`. BuildKit
/// matches them as `.dockerignore` lines against the paths under each source it copies (a
/// folder matched is not gone into): here against every tail of the file's path, each pattern
/// on its own, so a pattern that matches under some source counts (it may not be this one's;
/// an exception line of several is not counted). `None` when the checks ran out.
fn may_be_excluded(excludes: &[String], relative: &Path, checks: &mut Checks) -> Option<bool> {
    if excludes.is_empty() {
        return Some(false);
    }
    let path = globs::context_path(relative);
    let starts: Vec<usize> = std::iter::once(0)
        .chain(path.match_indices('/').map(|(i, _)| i + 1))
        .collect();
    for pattern in excludes {
        // A `#` starts a comment in a `.dockerignore`, not in a pattern given to BuildKit.
        if pattern.contains(['\n', '\r']) || pattern.trim_start().starts_with('#') {
            return Some(true);
        }
        let Ok(ignore) = DockerIgnore::parse(pattern) else {
            return Some(true);
        };
        for &start in &starts {
            let tail = path.get(start..).unwrap_or("");
            checks.take(1 + ignore.cost(tail.len()) / 64)?;
            if ignore.presence(tail) != Presence::In {
                return Some(true);
            }
        }
    }
    Some(false)
}

/// What [`resolve_script`] keeps between script paths.
#[derive(Default)]
struct CopyLookup {
    /// Which COPY sources (joined to their context) are directories: each is asked once.
    is_dir: HashMap<PathBuf, bool>,
    /// Each Dockerfile's COPYs by destination.
    indexes: HashMap<FileId, CopyIndex>,
    checks: Checks,
    /// The subfolders of context folders (joined to their context) wildcards were matched in.
    listings: Listings,
    /// Notes for `.dockerignore` files that could not be applied, and for files sent empty.
    notes: Notes,
    /// The ignore files read, by path: each is parsed once.
    ignores: IgnoreFiles,
    /// What is left of [`MAX_COPY_INDEX_NODES`].
    nodes: IndexNodes,
}

/// The nodes left of [`MAX_COPY_INDEX_NODES`], and the first COPY (its Dockerfile and
/// location) not indexed once they ran out.
struct IndexNodes {
    left: usize,
    ran_out: Option<Location>,
}

impl Default for IndexNodes {
    fn default() -> Self {
        IndexNodes {
            left: MAX_COPY_INDEX_NODES,
            ran_out: None,
        }
    }
}

/// Notes in the order first given, each once: a set says whether one was given (tens of
/// thousands of scripts sent empty are one note each, not a search of those before).
#[derive(Default)]
struct Notes {
    list: Vec<Arc<str>>,
    given: std::collections::HashSet<Arc<str>>,
}

impl Notes {
    fn add(&mut self, note: String) {
        if self.given.contains(note.as_str()) {
            return;
        }
        let note: Arc<str> = note.into();
        self.given.insert(Arc::clone(&note));
        self.list.push(note);
    }
}

/// How many bytes of `.dockerignore` files (each read once, at most
/// [`crate::discover::MAX_IGNORE_FILE_BYTES`]) one run reads and keeps parsed: 64 of the
/// largest, thousands of realistic ones. Parsed, a byte of patterns takes 10 to 20 bytes of
/// memory at most (this bounds it near 80 MB). Past it, an ignore file is not applied and the
/// scripts of its context are not read, with a note.
const MAX_DOCKERIGNORE_BYTES: usize = 4 * 1024 * 1024;

/// The `.dockerignore` files read in a run, by path (each is parsed once), and the bytes read.
#[derive(Default)]
struct IgnoreFiles {
    read: HashMap<PathBuf, Arc<Ignore>>,
    bytes: usize,
    /// The note that [`MAX_DOCKERIGNORE_BYTES`] was reached was given.
    noted: bool,
}

type Listings = HashMap<PathBuf, Arc<[Box<str>]>>;

/// The checks left of [`MAX_COPY_CHECKS`], and the first script path (with its Dockerfile)
/// not looked for once they ran out.
struct Checks {
    left: usize,
    ran_out: Option<(FileId, String)>,
}

impl Default for Checks {
    fn default() -> Self {
        Checks {
            left: MAX_COPY_CHECKS,
            ran_out: None,
        }
    }
}

impl Checks {
    /// Take `n` checks; `None` (and none left) when fewer are left.
    fn take(&mut self, n: usize) -> Option<()> {
        match self.left.checked_sub(n) {
            Some(left) => {
                self.left = left;
                Some(())
            }
            None => {
                self.left = 0;
                None
            }
        }
    }
}

impl CopyLookup {
    /// Whether `context/source` is a directory, asking the file system once.
    fn is_dir(cache: &mut HashMap<PathBuf, bool>, joined: PathBuf) -> bool {
        match cache.get(&joined) {
            Some(&known) => known,
            None => {
                let known = joined.is_dir();
                cache.insert(joined, known);
                known
            }
        }
    }

    /// Whether a COPY source (`./` trimmed) names a directory of the context as written (`.`,
    /// a trailing `/`) or on disk: its contents are copied into the destination, which is then
    /// a folder even when written without a trailing `/`.
    fn source_is_dir(cache: &mut HashMap<PathBuf, bool>, context: &Path, source: &str) -> bool {
        source.is_empty()
            || source == "."
            || source.ends_with('/')
            || CopyLookup::is_dir(cache, context.join(source))
    }
}

/// The `.dockerignore` of a build context.
enum Ignore {
    None,
    /// Its patterns and display path.
    Patterns(DockerIgnore, String),
    /// There is one, but [`MAX_DOCKERIGNORE_BYTES`] were read before it: its display path.
    OverBudget(String),
    /// There is one, but it is not applied: its display path and why.
    Unknown(String, String),
}

impl Ignore {
    /// The ignore file BuildKit applies to the context of `image`: `<Dockerfile>.dockerignore`
    /// beside the Dockerfile when there is one, else the context's `.dockerignore`. Read like
    /// the repository's other files: a regular file of at most
    /// [`crate::discover::MAX_IGNORE_FILE_BYTES`], through links only when they stay in the
    /// Dockerfile's folder (the context).
    /// Each ignore file is read and parsed once however many Dockerfiles it serves (`read`
    /// keeps them by path): a 64 KiB `.dockerignore` beside thousands of Dockerfiles is one
    /// parsed list, not one per Dockerfile.
    /// The name is the Dockerfile's as bytes (one that is not UTF-8 has its own ignore file
    /// too). At most [`MAX_DOCKERIGNORE_BYTES`] of ignore files are read per run.
    fn load(image: &Image, context: &Path, files: &mut IgnoreFiles) -> Arc<Ignore> {
        let beside = image.path.as_deref().and_then(|dockerfile| {
            let mut name = dockerfile.file_name()?.to_os_string();
            name.push(".dockerignore");
            let dir = dockerfile.parent().unwrap_or(Path::new(""));
            Some((dir.to_path_buf(), name))
        });
        let candidates = beside.into_iter().chain(std::iter::once((
            context.to_path_buf(),
            ".dockerignore".into(),
        )));
        for (dir, name) in candidates {
            let path = dir.join(&name);
            if std::fs::symlink_metadata(&path).is_err() {
                continue;
            }
            if let Some(known) = files.read.get(&path) {
                return Arc::clone(known);
            }
            let ignore = Arc::new(Self::read_file(&path, &dir, &name, &mut files.bytes));
            files.read.insert(path, Arc::clone(&ignore));
            return ignore;
        }
        Arc::new(Ignore::None)
    }

    /// The ignore file `name` in `dir` (at `path`), read and parsed; `spent` counts the bytes
    /// read before (see [`MAX_DOCKERIGNORE_BYTES`]).
    fn read_file(path: &Path, dir: &Path, name: &std::ffi::OsStr, spent: &mut usize) -> Ignore {
        let shown = crate::discover::display_path(path);
        let Some(found) = confined(dir, Path::new(name)) else {
            return Ignore::Unknown(
                shown,
                "not a regular file in its folder, or a link out of it".into(),
            );
        };
        // Read as entrypoint scripts are, checked on the open file: a link swapped in for it
        // since `confined` looked (by another process) is not read through.
        let bytes = match read_confined_bytes(&found, dir, crate::discover::MAX_IGNORE_FILE_BYTES) {
            Ok(bytes) => bytes,
            Err(why) => {
                let why = why.unwrap_or_else(|| "gone or no longer a regular file".into());
                return Ignore::Unknown(shown, why);
            }
        };
        match spent.checked_add(bytes.len()) {
            Some(total) if total <= MAX_DOCKERIGNORE_BYTES => *spent = total,
            _ => return Ignore::OverBudget(shown),
        }
        match DockerIgnore::parse(&String::from_utf8_lossy(&bytes)) {
            Ok(ignore) if ignore.is_empty() => Ignore::None,
            Ok(ignore) => Ignore::Patterns(ignore, shown),
            Err(why) => Ignore::Unknown(shown, why),
        }
    }
}

/// The build context as COPY sees it.
struct Context<'a> {
    root: &'a Path,
    /// The `.dockerignore` and its display path.
    ignore: Option<(&'a DockerIgnore, &'a str)>,
    listings: &'a mut Listings,
    /// Where a note for a file sent empty goes.
    notes: &'a mut Notes,
}

impl Context<'_> {
    /// Where BuildKit puts the file `relative` with the `.dockerignore` applied, with a note
    /// when it is sent empty; `None` when the checks ran out.
    fn presence(&mut self, relative: &Path, checks: &mut Checks) -> Option<Presence> {
        let Some((ignore, shown)) = self.ignore else {
            return Some(Presence::In);
        };
        let path = globs::context_path(relative);
        checks.take(1 + ignore.cost(path.len()) / 64)?;
        let presence = ignore.presence(&path);
        if presence == Presence::Emptied {
            let note = format!(
                "{shown}: BuildKit's walk of the build context keeps `{path}` but its read of the file leaves it out (the two apply the patterns differently): BuildKit 0.13 and later send it empty, so it is not read as an entrypoint script (SL103 and the other script rules are not checked for it)"
            );
            self.notes.add(note);
        }
        Some(presence)
    }

    /// The subfolders (not links to folders, as BuildKit's walk sees them) of a folder of the
    /// context (cleaned, `""` for the root), sorted by name; none when it is not a folder or
    /// its real path is outside the context. `None` when the checks ran out.
    fn subfolders(&mut self, folder: &str, checks: &mut Checks) -> Option<Arc<[Box<str>]>> {
        let joined = self.root.join(folder);
        if let Some(known) = self.listings.get(&joined) {
            checks.take(1)?;
            return Some(Arc::clone(known));
        }
        checks.take(FILE_CHECKS)?;
        let here = if self.root.as_os_str().is_empty() {
            Path::new(".")
        } else {
            self.root
        };
        // Most folders a wildcard is in are not there: one call says so.
        let inside = here.join(folder).is_dir()
            && match (here.canonicalize(), here.join(folder).canonicalize()) {
                (Ok(root), Ok(real)) => real.starts_with(root),
                _ => false,
            };
        let mut names: Vec<Box<str>> = Vec::new();
        if inside {
            let dir = if joined.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                joined.clone()
            };
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                checks.take(1)?;
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    if let Some(name) = entry.file_name().to_str() {
                        names.push(name.into());
                    }
                }
            }
        }
        names.sort_unstable();
        let names: Arc<[Box<str>]> = names.into();
        self.listings.insert(joined, Arc::clone(&names));
        Some(names)
    }
}

/// The COPYs of one Dockerfile after the last one to an unknown destination, by destination:
/// a tree of the destinations' `/`-separated components (as written: a destination is a prefix
/// of a path in the image exactly when its components are the path's first ones).
///
/// A script path walks down the tree once; at each folder on its way, the COPYs into that
/// folder are looked up by the name the path continues with (their sources are sorted out the
/// first time a path reaches the folder), and at its end the COPYs onto that very path.
struct CopyIndex {
    context: PathBuf,
    /// How many COPYs the image had when this was made.
    copies: usize,
    /// The last COPY whose destination is unknown, or the last one not indexed once
    /// [`MAX_COPY_INDEX_NODES`] ran out; those before it are not indexed.
    unknown: Option<usize>,
    /// How many nodes there are; node 0 is above the first component (the empty one before the
    /// leading `/`).
    nodes: u32,
    /// Each node's children, by the node and the number of the child's name in `names`: one
    /// small entry per folder of a destination (a deep one has thousands).
    children: HashMap<(u32, u32), u32>,
    /// The components' names, each kept once.
    names: HashMap<Box<str>, u32>,
    /// The COPYs at the nodes, as (node, [`Placed`] kind, COPY), sorted: 12 bytes a COPY
    /// (`COPY --parents` of many sources makes one per source).
    placed: Vec<(u32, u8, u32)>,
    /// The sources of the COPYs into a node's folder, sorted out when first needed.
    sources: HashMap<u32, Box<FolderSources>>,
    /// The COPY at which [`MAX_COPY_INDEX_NODES`] ran out.
    cut: Option<usize>,
    /// The context's `.dockerignore`.
    ignore: Arc<Ignore>,
}

/// How many nodes (folders of COPY destinations, a component each) the destination indexes of
/// one run may hold in all: a realistic Dockerfile makes a few dozen, so this is thousands of
/// them; a node takes 30 to 100 bytes, so this bounds the indexes near 200 MB. Past it, the
/// earlier COPYs of the Dockerfile being indexed (and every COPY of those indexed after it)
/// count as COPYs to an unknown destination: a script path not found among the later ones is
/// not read, with a note.
const MAX_COPY_INDEX_NODES: usize = 2_000_000;

/// How a COPY is at its node of a [`CopyIndex`].
struct Placed;

impl Placed {
    /// Into this folder (a directory destination).
    const INTO: u8 = 0;
    /// Onto this path (one source, not written as a directory): into this folder when the
    /// source is a directory.
    const ONTO: u8 = 1;
    /// May put anything under this folder (`COPY --parents` wildcards).
    const ANYTHING: u8 = 2;

    /// The COPYs of `kind` at `node`, ascending.
    fn at(
        placed: &[(u32, u8, u32)],
        node: u32,
        kind: u8,
    ) -> impl DoubleEndedIterator<Item = usize> + '_ {
        let start = placed.partition_point(|&(n, k, _)| (n, k) < (node, kind));
        let end = placed.partition_point(|&(n, k, _)| (n, k) <= (node, kind));
        placed
            .get(start..end)
            .unwrap_or(&[])
            .iter()
            .map(|&(_, _, copy)| copy as usize)
    }
}

/// The COPY (index) that put a file at a path, and the context file (`None`: one that is not
/// known, which ends the search as well).
type Copied = (usize, Option<PathBuf>);

impl CopyIndex {
    /// Index the COPYs of `image` after the last one to an unknown destination, the last COPY
    /// first, taking a node of `left` for each node made; when they run out, the COPY being
    /// indexed and those before it are taken as COPYs to an unknown destination.
    fn new(image: &Image, context: &Path, ignores: &mut IgnoreFiles, left: &mut usize) -> Self {
        let unknown = image.copies.iter().rposition(|c| c.destination.is_none());
        let has_copies = image.copies.len() > unknown.map_or(0, |u| u + 1);
        let mut index = CopyIndex {
            context: context.to_path_buf(),
            copies: image.copies.len(),
            unknown,
            nodes: 1,
            children: HashMap::new(),
            names: HashMap::new(),
            placed: Vec::new(),
            sources: HashMap::new(),
            cut: None,
            ignore: if has_copies {
                Ignore::load(image, context, ignores)
            } else {
                Arc::new(Ignore::None)
            },
        };
        // COPYs under one working directory share its text: each is walked once.
        let mut bases: HashMap<(usize, usize), u32> = HashMap::new();
        let first = unknown.map_or(0, |u| u + 1);
        for (i, copy) in image.copies.iter().enumerate().skip(first).rev() {
            let Some(destination) = &copy.destination else {
                continue;
            };
            let node = u32::try_from(i)
                .ok()
                .and_then(|_| index.add_destination(destination, &mut bases, left));
            let (Some(node), Ok(copy_id)) = (node, u32::try_from(i)) else {
                index.unknown = Some(i);
                index.cut = Some(i);
                break;
            };
            let kind = if copy.unknown_contents {
                Placed::ANYTHING
            } else if destination.is_directory() {
                Placed::INTO
            } else if copy.sources.len() == 1 {
                Placed::ONTO
            } else {
                continue;
            };
            index.placed.push((node, kind, copy_id));
        }
        index.placed.sort_unstable();
        index
    }

    /// The node of a destination, made as needed; `None` when `left` ran out.
    fn add_destination(
        &mut self,
        destination: &crate::model::CopyDestination,
        bases: &mut HashMap<(usize, usize), u32>,
        left: &mut usize,
    ) -> Option<u32> {
        let base_key = (
            Arc::as_ptr(&destination.base).cast::<u8>() as usize,
            destination.base_len,
        );
        let mut node = match bases.get(&base_key) {
            Some(&node) => node,
            None => {
                let base = destination.base.get(..destination.base_len).unwrap_or("");
                let mut node = 0;
                for c in base.split('/') {
                    node = self.add_child(node, c, left)?;
                }
                bases.insert(base_key, node);
                node
            }
        };
        // `rest` and `kept` are empty or `/name...`: their first (empty) component continues
        // the path.
        let components = destination.rest.split('/').skip(1);
        for c in components.chain(destination.kept.split('/').skip(1)) {
            node = self.add_child(node, c, left)?;
        }
        Some(node)
    }

    /// The child of `node` named `component`, made (taking one of `left`) when there is none;
    /// `None` when none is left.
    fn add_child(&mut self, node: u32, component: &str, left: &mut usize) -> Option<u32> {
        let name = self.names.get(component).copied();
        if let Some(&child) = name.and_then(|name| self.children.get(&(node, name))) {
            return Some(child);
        }
        *left = left.checked_sub(1)?;
        let name = match name {
            Some(name) => name,
            None => {
                let name = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
                self.names.insert(component.into(), name);
                name
            }
        };
        let child = self.nodes;
        self.nodes = self.nodes.saturating_add(1);
        self.children.insert((node, name), child);
        Some(child)
    }

    /// The last COPY that puts a file of the context at `target`, with that file (the path
    /// joined to the context; `None` when it is not known), or `None`; `None` outside when the
    /// checks ran out.
    fn find(
        &mut self,
        image: &Image,
        target: &str,
        context: &mut Context<'_>,
        is_dir: &mut HashMap<PathBuf, bool>,
        checks: &mut Checks,
    ) -> Option<Option<Copied>> {
        let root = context.root.to_path_buf();
        let mut best: Option<Copied> = None;
        let mut node = 0u32;
        let mut end = 0usize;
        for (i, component) in target.split('/').enumerate() {
            end += component.len() + usize::from(i > 0);
            let Some(&child) = self
                .names
                .get(component)
                .and_then(|&name| self.children.get(&(node, name)))
            else {
                break;
            };
            node = child;
            let below = target.get(end..).and_then(|after| after.strip_prefix('/'));
            let anything = Placed::at(&self.placed, node, Placed::ANYTHING).next_back();
            if let (Some(_), Some(last)) = (below, anything) {
                if best.as_ref().is_none_or(|(copy, _)| last > *copy) {
                    // What is there is not known: the search ends unless a later COPY puts a
                    // file there.
                    best = Some((last, None));
                }
            }
            let above = best.as_ref().map(|(copy, _)| *copy);
            let mut into = Placed::at(&self.placed, node, Placed::INTO).peekable();
            let mut onto = Placed::at(&self.placed, node, Placed::ONTO).peekable();
            match below {
                Some(rest) if into.peek().is_some() || onto.peek().is_some() => {
                    let sources = self.sources.entry(node).or_insert_with(|| {
                        let (into, onto): (Vec<usize>, Vec<usize>) =
                            (into.collect(), onto.collect());
                        Box::new(FolderSources::new(image, &into, &onto, &root, is_dir))
                    });
                    if let Some(found) = sources.find(image, rest, context, above, checks)? {
                        best = Some(found);
                    }
                }
                Some(_) => {}
                None => {
                    for copy in onto.rev() {
                        if above.is_some_and(|above| copy <= above) {
                            break;
                        }
                        checks.take(FILE_CHECKS)?;
                        let Some(source) = image.copies.get(copy).and_then(|c| c.sources.first())
                        else {
                            continue;
                        };
                        let source = source.trim_start_matches("./");
                        if globs::contains_wildcards(source) {
                            // What a wildcard copies onto a file path is not followed.
                            best = Some((copy, None));
                            break;
                        }
                        if let Some(found) = confined(&root, Path::new(source)) {
                            let presence = context.presence(Path::new(source), checks)?;
                            // A file left out of the context: the build fails; one sent
                            // empty is not what is on disk.
                            best = Some((copy, (presence == Presence::In).then_some(found)));
                            break;
                        }
                    }
                }
            }
        }
        Some(best)
    }
}

/// The sources of the COPYs into one folder, grouped by their text: a name under the folder is
/// matched once per distinct source, and only against the wildcards that can match it.
#[derive(Default)]
struct FolderSources {
    groups: Vec<SourceGroup>,
    /// The (COPY, source index) pairs of each group, last COPY first, one group after another.
    entries: Vec<(usize, usize)>,
    /// The first group of sources that are files, without wildcards, by file name (the others
    /// follow in `next`).
    named: HashMap<Box<str>, u32>,
    /// Per group, the next one with its file name (named) or its beginning and end (wildcards
    /// in the file name only).
    next: Vec<u32>,
    /// Groups of directories of the context (the empty path is the working directory).
    dirs: Vec<u32>,
    /// Groups of sources with wildcards in their file name only, by the file name.
    wildcards: WildcardIndex,
    /// The folders of the same: matched against the folder's subfolders (a folder a wildcard
    /// matches has its contents copied).
    by_folder: Vec<Box<str>>,
    /// When there are several, the same by folder (its number the scope), chained through
    /// `next_in_folder`; in one folder, `wildcards` is that index.
    folder_index: Option<WildcardIndex>,
    folder_ids: HashMap<Box<str>, usize>,
    next_in_folder: Vec<u32>,
    /// Groups of sources with a wildcard in a folder component.
    deep: Vec<u32>,
    /// Per group with wildcards, its folder and patterns.
    wild: HashMap<u32, WildSource>,
    /// Per COPY of several sources, what each of them is.
    slots: HashMap<usize, Vec<Slot>>,
}

/// A source with wildcards, as BuildKit matches it: the components before the first one with a
/// wildcard name a folder of the context (cleaned, `""` for its root), and the paths under it
/// whose components match the patterns one by one are copied, in the order of a walk sorted by
/// name (a later one wins), a folder's contents rather than the folder.
struct WildSource {
    folder: Box<str>,
    /// How many components have patterns (the last ones of the source).
    depth: usize,
}

/// The components of a source with wildcards, cleaned, and where the first with a wildcard is.
fn wild_parts(source: &str) -> (Vec<String>, usize) {
    let cleaned = globs::context_path(Path::new(source));
    let parts: Vec<String> = cleaned
        .split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    let first = parts
        .iter()
        .position(|p| globs::contains_wildcards(p))
        .unwrap_or(0);
    (parts, first)
}

/// No group, node or value.
const NONE: u32 = u32::MAX;

/// One source text (`./` trimmed): where it is written first, and its range of `entries`.
struct SourceGroup {
    copy: usize,
    source: usize,
    start: usize,
    len: usize,
}

/// A source of a COPY into a folder.
#[derive(Clone, Copy)]
enum Slot {
    Group(u32),
    /// Not a directory and without a file name (`x/..`): copying it ends the search of its
    /// COPY for a name.
    Stop,
    /// A directory that is not one on disk, or wildcards Go refuses: it holds nothing.
    Nothing,
}

/// A file a group's source would put at the name looked up: its walk order among the group's
/// (the matched components; later wins), the context file, and whether it is known to be a
/// file.
type Candidate = (Vec<Box<str>>, PathBuf, bool);

/// What a group puts at the name looked up.
#[derive(Clone)]
enum Lands {
    No,
    File(PathBuf),
    /// A file named by the COPY that the `.dockerignore` leaves out (the build fails).
    Unknown,
}

impl FolderSources {
    /// The sources of the COPYs `into` the folder, and of those `onto` it whose one source is a
    /// directory.
    fn new(
        image: &Image,
        into: &[usize],
        onto: &[usize],
        context: &Path,
        is_dir: &mut HashMap<PathBuf, bool>,
    ) -> Self {
        let mut sources = FolderSources::default();
        let mut by_text: HashMap<&str, u32> = HashMap::new();
        // (group, COPY, source index)
        let mut pairs: Vec<(u32, usize, usize)> = Vec::new();
        let copies = into.iter().map(|&c| (c, false));
        for (copy, single) in copies.chain(onto.iter().map(|&c| (c, true))) {
            let Some(written) = image.copies.get(copy).map(|c| &c.sources) else {
                continue;
            };
            if single
                && !written.first().is_some_and(|s| {
                    let s = s.trim_start_matches("./");
                    !globs::contains_wildcards(s) && CopyLookup::source_is_dir(is_dir, context, s)
                })
            {
                continue;
            }
            let mut slots = Vec::new();
            for (i, source) in written.iter().enumerate() {
                let source = source.trim_start_matches("./");
                let slot = match by_text.get(source) {
                    Some(&group) => Slot::Group(group),
                    None => {
                        let slot = sources.add(source, (copy, i), context, is_dir);
                        if let Slot::Group(group) = slot {
                            by_text.insert(source, group);
                        }
                        slot
                    }
                };
                if let Slot::Group(group) = slot {
                    pairs.push((group, copy, i));
                }
                if written.len() > 1 {
                    slots.push(slot);
                }
            }
            if written.len() > 1 {
                sources.slots.insert(copy, slots);
            }
        }
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        let mut start = 0;
        for (id, group) in sources.groups.iter_mut().enumerate() {
            let len = pairs
                .get(start..)
                .unwrap_or(&[])
                .iter()
                .take_while(|p| p.0 as usize == id)
                .count();
            (group.start, group.len) = (start, len);
            start += len;
        }
        sources.entries = pairs.into_iter().map(|(_, c, i)| (c, i)).collect();
        sources.index_folders(image);
        sources
    }

    /// When the wildcards in file names are in several folders, index them by folder too (in
    /// one folder, `wildcards` is that index).
    fn index_folders(&mut self, image: &Image) {
        if self.by_folder.len() < 2 {
            return;
        }
        self.next_in_folder = vec![NONE; self.groups.len()];
        for id in 0..u32::try_from(self.groups.len()).unwrap_or(NONE) {
            let Some(wild) = self.wild.get(&id).filter(|w| w.depth == 1) else {
                continue;
            };
            let Some(&at) = self.folder_ids.get(&*wild.folder) else {
                continue;
            };
            let (parts, _) = wild_parts(self.text(image, id).unwrap_or(""));
            let name = parts.last().map_or("", String::as_str);
            let scope = u32::try_from(at).unwrap_or(NONE).to_le_bytes();
            let index = self.folder_index.get_or_insert_with(WildcardIndex::default);
            let previous = index.add_in(&scope, name, id);
            if let Some(next) = self.next_in_folder.get_mut(id as usize) {
                *next = previous;
            }
        }
    }

    /// Sort out a source not seen before in this folder, first written at `at`.
    fn add(
        &mut self,
        source: &str,
        at: (usize, usize),
        context: &Path,
        is_dir: &mut HashMap<PathBuf, bool>,
    ) -> Slot {
        let id = u32::try_from(self.groups.len()).unwrap_or(NONE);
        let source_path = Path::new(source);
        let mut next = NONE;
        if globs::contains_wildcards(source) {
            let (parts, first) = wild_parts(source);
            let patterns = parts.get(first..).unwrap_or(&[]);
            // Patterns Go refuses match nothing; they are compiled again when matched (a
            // Dockerfile of 100,000 wildcard COPYs keeps their text only).
            if patterns.iter().any(|p| Glob::new(p).is_none()) {
                return Slot::Nothing;
            }
            let folder = parts.get(..first).unwrap_or(&[]).join("/");
            if let [name] = patterns {
                next = self.wildcards.add(name, id);
                if !self.folder_ids.contains_key(folder.as_str()) {
                    self.folder_ids
                        .insert(folder.as_str().into(), self.by_folder.len());
                    self.by_folder.push(folder.as_str().into());
                }
            } else {
                self.deep.push(id);
            }
            let depth = patterns.len();
            let folder = folder.into_boxed_str();
            self.wild.insert(id, WildSource { folder, depth });
        } else if CopyLookup::source_is_dir(is_dir, context, source) {
            // Only a directory holds files (the empty path is the working directory).
            let joined = context.join(source_path);
            let joined = if joined.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                joined
            };
            if !CopyLookup::is_dir(is_dir, joined) {
                return Slot::Nothing;
            }
            self.dirs.push(id);
        } else {
            match source_path.file_name().and_then(|n| n.to_str()) {
                None => return Slot::Stop,
                Some(name) => {
                    next = self.named.insert(name.into(), id).unwrap_or(NONE);
                }
            }
        }
        self.next.push(next);
        self.groups.push(SourceGroup {
            copy: at.0,
            source: at.1,
            start: 0,
            len: 0,
        });
        Slot::Group(id)
    }

    /// The groups chained from `first` through `next`.
    fn chain<'a>(&'a self, first: u32, next: &'a [u32]) -> impl Iterator<Item = u32> + 'a {
        std::iter::successors((first != NONE).then_some(first), move |&id| {
            next.get(id as usize).copied().filter(|&n| n != NONE)
        })
    }

    /// The source text (`./` trimmed) of a group.
    fn text<'i>(&self, image: &'i Image, id: u32) -> Option<&'i str> {
        let group = self.groups.get(id as usize)?;
        let copy = image.copies.get(group.copy)?;
        Some(copy.sources.get(group.source)?.trim_start_matches("./"))
    }

    fn entries(&self, id: u32) -> &[(usize, usize)] {
        self.groups
            .get(id as usize)
            .and_then(|g| self.entries.get(g.start..g.start + g.len))
            .unwrap_or(&[])
    }

    /// The patterns of a group's source with wildcards (its last `depth` components).
    fn patterns(&self, image: &Image, id: u32) -> Vec<Glob> {
        let Some(wild) = self.wild.get(&id) else {
            return Vec::new();
        };
        let (parts, _) = wild_parts(self.text(image, id).unwrap_or(""));
        let skip = parts.len().saturating_sub(wild.depth);
        let patterns: Option<Vec<Glob>> = parts.iter().skip(skip).map(|p| Glob::new(p)).collect();
        patterns.unwrap_or_default()
    }

    /// The files a group of wildcards with a wildcard in a folder component would put at
    /// `rest`: the paths its patterns match, walked folder by folder.
    fn deep_candidates(
        wild: &WildSource,
        patterns: &[Glob],
        rest: &str,
        context: &mut Context<'_>,
        checks: &mut Checks,
        out: &mut Vec<Candidate>,
    ) -> Option<()> {
        let name_only = !rest.contains('/');
        let Some((last, folders)) = patterns.split_last() else {
            return Some(());
        };
        // The folders matched so far, with their components under `wild.folder`.
        let mut reached: Vec<(String, Vec<Box<str>>)> = vec![(wild.folder.to_string(), Vec::new())];
        for pattern in folders {
            let mut next = Vec::new();
            for (folder, key) in &reached {
                for name in context.subfolders(folder, checks)?.iter() {
                    checks.take(FILE_CHECKS)?;
                    if pattern.matches(name) {
                        let mut key = key.clone();
                        key.push(name.clone());
                        next.push((join_folder(folder, name), key));
                    }
                }
            }
            reached = next;
        }
        for (folder, key) in &reached {
            if name_only {
                checks.take(FILE_CHECKS)?;
                if last.matches(rest) {
                    let mut key = key.clone();
                    key.push(rest.into());
                    out.push((key, Path::new(folder).join(rest), false));
                }
            }
            for name in context.subfolders(folder, checks)?.iter() {
                checks.take(FILE_CHECKS)?;
                if last.matches(name) {
                    let candidate = Path::new(&join_folder(folder, name)).join(rest);
                    checks.take(FILE_CHECKS)?;
                    if context.root.join(&candidate).is_file() {
                        let mut key = key.clone();
                        key.push(name.clone());
                        out.push((key, candidate, true));
                    }
                }
            }
        }
        Some(())
    }

    /// The last COPY after `above` whose last source that puts a file at `rest` under this
    /// folder puts a file of the context there, with that file (joined to the context; `None`
    /// when not known); `None` outside when the checks ran out.
    fn find(
        &self,
        image: &Image,
        rest: &str,
        context: &mut Context<'_>,
        above: Option<usize>,
        checks: &mut Checks,
    ) -> Option<Option<Copied>> {
        let name_only = !rest.contains('/');
        let root = context.root;
        // The groups whose source puts a file at `rest`, with the context files it could be.
        let mut landing: HashMap<u32, Vec<Candidate>> = HashMap::new();
        for &id in &self.dirs {
            checks.take(FILE_CHECKS)?;
            let Some(text) = self.text(image, id) else {
                continue;
            };
            let candidate = Path::new(text).join(rest);
            if root.join(&candidate).is_file() {
                landing
                    .entry(id)
                    .or_default()
                    .push((Vec::new(), candidate, true));
            }
        }
        if name_only {
            let named = self.named.get(rest).copied().unwrap_or(NONE);
            for id in self.chain(named, &self.next) {
                checks.take(1)?;
                if let Some(text) = self.text(image, id) {
                    let parent = Path::new(text).parent().unwrap_or(Path::new(""));
                    let candidate = (Vec::new(), parent.join(rest), false);
                    landing.entry(id).or_default().push(candidate);
                }
            }
            let mut firsts = Vec::new();
            checks.take(self.wildcards.walk(rest, |first| firsts.push(first)))?;
            for id in firsts
                .into_iter()
                .flat_map(|first| self.chain(first, &self.next))
            {
                let Some(wild) = self.wild.get(&id) else {
                    continue;
                };
                let Some(pattern) = self.patterns(image, id).pop() else {
                    continue;
                };
                checks.take(FILE_CHECKS + (rest.len() + pattern.size()) / 64)?;
                if rest.len() <= MAX_NAME_BYTES && pattern.matches(rest) {
                    let candidate = Path::new(&*wild.folder).join(rest);
                    let candidate = (vec![Box::from(rest)], candidate, false);
                    landing.entry(id).or_default().push(candidate);
                }
            }
        }
        // Folders a wildcard matches have their contents copied.
        for (at, folder) in self.by_folder.iter().enumerate() {
            let (index, next) = match &self.folder_index {
                Some(index) => (index, &self.next_in_folder),
                None => (&self.wildcards, &self.next),
            };
            let scope: &[u8] = match &self.folder_index {
                Some(_) => &u32::try_from(at).unwrap_or(NONE).to_le_bytes(),
                None => &[],
            };
            let subfolders = context.subfolders(folder, checks)?;
            for name in subfolders.iter() {
                let mut firsts = Vec::new();
                checks.take(index.walk_in(scope, name, |first| firsts.push(first)))?;
                let mut matching = Vec::new();
                for id in firsts.into_iter().flat_map(|first| self.chain(first, next)) {
                    let pattern = self.patterns(image, id).pop();
                    let size = pattern.as_ref().map_or(0, Glob::size);
                    checks.take(FILE_CHECKS + (name.len() + size) / 64)?;
                    if pattern.is_some_and(|p| p.matches(name)) {
                        matching.push(id);
                    }
                }
                if matching.is_empty() {
                    continue;
                }
                let candidate = Path::new(&join_folder(folder, name)).join(rest);
                checks.take(FILE_CHECKS)?;
                if root.join(&candidate).is_file() {
                    for id in matching {
                        let found = (vec![name.clone()], candidate.clone(), true);
                        landing.entry(id).or_default().push(found);
                    }
                }
            }
        }
        for &id in &self.deep {
            let Some(wild) = self.wild.get(&id) else {
                continue;
            };
            let mut found = Vec::new();
            let patterns = self.patterns(image, id);
            Self::deep_candidates(wild, &patterns, rest, context, checks, &mut found)?;
            if !found.is_empty() {
                landing.entry(id).or_default().extend(found);
            }
        }
        // Latest first: the first COPY accepted by a group ends the groups with earlier ones.
        let mut order: Vec<u32> = landing.keys().copied().collect();
        order.sort_unstable_by_key(|&id| {
            self.entries(id)
                .first()
                .map_or((Reverse(0), usize::MAX), |&(copy, source)| {
                    (Reverse(copy), source)
                })
        });
        let mut lands: HashMap<u32, Lands> = HashMap::new();
        let mut best: Option<Copied> = None;
        for id in order {
            let bar = best.as_ref().map(|(copy, _)| *copy).or(above);
            let entries = self.entries(id);
            if entries
                .first()
                .is_none_or(|&(copy, _)| bar.is_some_and(|bar| copy <= bar))
            {
                break;
            }
            checks.take(FILE_CHECKS)?;
            let found = match self.lands(id, &landing, &mut lands, context, checks)? {
                Lands::No => continue,
                Lands::File(found) => Some(found),
                Lands::Unknown => None,
            };
            for &(copy, source) in entries {
                if bar.is_some_and(|bar| copy <= bar) {
                    break;
                }
                if self.lands_last(
                    copy, source, name_only, &landing, &mut lands, context, checks,
                )? {
                    best = Some((copy, found));
                    break;
                }
            }
        }
        Some(best)
    }

    /// What group `id` puts at the name looked up: the last of its candidates in the order it
    /// copies them that is a file of the context. `None` when the checks ran out.
    fn lands(
        &self,
        id: u32,
        landing: &HashMap<u32, Vec<Candidate>>,
        lands: &mut HashMap<u32, Lands>,
        context: &mut Context<'_>,
        checks: &mut Checks,
    ) -> Option<Lands> {
        if let Some(known) = lands.get(&id) {
            return Some(known.clone());
        }
        let mut candidates: Vec<&Candidate> = landing.get(&id).into_iter().flatten().collect();
        candidates.sort_by(|a, b| b.0.cmp(&a.0));
        let named = !self.wild.contains_key(&id) && !self.dirs.contains(&id);
        let mut result = Lands::No;
        for (i, (_, candidate, _)) in candidates.into_iter().enumerate() {
            if i > 0 {
                checks.take(FILE_CHECKS)?;
            }
            let Some(found) = confined(context.root, candidate) else {
                continue;
            };
            match context.presence(candidate, checks)? {
                Presence::In => result = Lands::File(found),
                // Not in the context: a folder or wildcard copies the next candidate.
                Presence::Out if !named => continue,
                // Named but left out (the build fails), or sent empty.
                Presence::Out | Presence::Emptied => result = Lands::Unknown,
            }
            break;
        }
        lands.insert(id, result.clone());
        Some(result)
    }

    /// Whether no source of `copy` after `source` puts a file at the name looked up
    /// (`landing` groups) or ends the search of the COPY: BuildKit copies a COPY's sources one
    /// after the other, so the last one wins.
    #[allow(clippy::too_many_arguments)]
    fn lands_last(
        &self,
        copy: usize,
        source: usize,
        name_only: bool,
        landing: &HashMap<u32, Vec<Candidate>>,
        lands: &mut HashMap<u32, Lands>,
        context: &mut Context<'_>,
        checks: &mut Checks,
    ) -> Option<bool> {
        let Some(slots) = self.slots.get(&copy) else {
            checks.take(1)?;
            return Some(true);
        };
        let later = slots.get(source + 1..).unwrap_or(&[]);
        checks.take(1 + later.len())?;
        for slot in later {
            match slot {
                Slot::Group(id)
                    if landing.contains_key(id)
                        && !matches!(
                            self.lands(*id, landing, lands, context, checks)?,
                            Lands::No
                        ) =>
                {
                    return Some(false);
                }
                Slot::Stop if name_only => return Some(false),
                _ => {}
            }
        }
        Some(true)
    }
}

/// The names of a pod's container ports (of its containers and native sidecars), which a
/// Service's named `targetPort` is looked up among.
fn pod_port_names(processes: &[crate::model::Process]) -> Vec<&str> {
    processes
        .iter()
        .filter(|p| p.role != ProcessRole::Init)
        .filter_map(|p| p.container.as_ref())
        .flat_map(|c| c.ports.iter().filter_map(|(_, name)| name.as_deref()))
        .collect()
}

/// `folder/name`, or `name` in the root (`""`).
fn join_folder(folder: &str, name: &str) -> String {
    if folder.is_empty() {
        name.to_string()
    } else {
        format!("{folder}/{name}")
    }
}

/// Wildcard file names of COPY sources by the text before their first wildcard and after
/// their last, so that a name is matched only against the patterns that begin and end as it
/// does: a tree of the beginnings, each node of one holding the root of a tree of the ends
/// (read backwards), whose nodes hold the first group of the patterns ending there.
#[derive(Default)]
struct WildcardIndex {
    /// Children by (node, byte), for all the trees; node 0 is the empty beginning.
    edges: HashMap<(u32, u8), u32>,
    /// Per node: the root of its ends (beginnings), or the first group (ends); [`NONE`].
    values: Vec<u32>,
}

impl WildcardIndex {
    /// Add a pattern's group; returns the group that was first for its beginning and end.
    fn add(&mut self, pattern: &str, group: u32) -> u32 {
        self.add_in(&[], pattern, group)
    }

    /// [`Self::add`] among the patterns of one `scope` (a fixed-length key).
    fn add_in(&mut self, scope: &[u8], pattern: &str, group: u32) -> u32 {
        if self.values.is_empty() {
            self.values.push(NONE);
        }
        let (beginning, end) = Glob::literal_ends(pattern);
        let at = self.insert(0, scope.iter().copied().chain(beginning.bytes()));
        let root = match self.values.get(at as usize) {
            Some(&root) if root != NONE => root,
            _ => {
                let root = self.node();
                self.set(at, root);
                root
            }
        };
        let at = self.insert(root, end.bytes().rev());
        let previous = self.values.get(at as usize).copied().unwrap_or(NONE);
        self.set(at, group);
        previous
    }

    fn node(&mut self) -> u32 {
        self.values.push(NONE);
        u32::try_from(self.values.len() - 1).unwrap_or(NONE)
    }

    fn set(&mut self, node: u32, value: u32) {
        if let Some(at) = self.values.get_mut(node as usize) {
            *at = value;
        }
    }

    fn insert(&mut self, mut node: u32, key: impl Iterator<Item = u8>) -> u32 {
        for byte in key {
            node = match self.edges.get(&(node, byte)) {
                Some(&child) => child,
                None => {
                    let child = self.node();
                    self.edges.insert((node, byte), child);
                    child
                }
            };
        }
        node
    }

    /// The nodes of `key`'s beginnings from `node` down (`node` first), while there are.
    fn path<'a>(
        &'a self,
        node: u32,
        key: impl Iterator<Item = u8> + 'a,
    ) -> impl Iterator<Item = u32> + 'a {
        std::iter::once(node).chain(key.scan(node, |at, byte| {
            *at = *self.edges.get(&(*at, byte))?;
            Some(*at)
        }))
    }

    /// Visit the first group of each beginning and end `name` has; returns how many nodes were
    /// looked at.
    fn walk(&self, name: &str, visit: impl FnMut(u32)) -> usize {
        self.walk_in(&[], name, visit)
    }

    /// [`Self::walk`] among the patterns of one `scope`.
    fn walk_in(&self, scope: &[u8], name: &str, mut visit: impl FnMut(u32)) -> usize {
        if self.values.is_empty() {
            return 0;
        }
        let mut steps = scope.len();
        let mut start = 0;
        for byte in scope {
            match self.edges.get(&(start, *byte)) {
                Some(&next) => start = next,
                None => return steps,
            }
        }
        for beginning in self.path(start, name.bytes()) {
            steps += 1;
            let root = self.values.get(beginning as usize).copied().unwrap_or(NONE);
            if root == NONE {
                continue;
            }
            for end in self.path(root, name.bytes().rev()) {
                steps += 1;
                let first = self.values.get(end as usize).copied().unwrap_or(NONE);
                if first != NONE {
                    visit(first);
                }
            }
        }
        steps
    }
}

/// The longest file name any file system the linter runs on can hold, in bytes (Linux and
/// macOS allow 255; Windows 255 UTF-16 units, at most 765 bytes of UTF-8). A longer name is no
/// file in the build context, so no COPY wildcard needs to be matched against it.
const MAX_NAME_BYTES: usize = 1024;

/// A wildcard of a COPY source against one name (Go's `filepath.Match`, see [`Glob`]); a
/// name longer than [`MAX_NAME_BYTES`] names no file (whatever a wildcard said, the copied file
/// could not be read, so it is taken as not matched). Only tests match a pattern not compiled
/// once per source.
#[cfg(test)]
fn glob_matches(pattern: &str, name: &str) -> bool {
    globs::contains_wildcards(pattern)
        && name.len() <= MAX_NAME_BYTES
        && Glob::new(pattern).is_some_and(|glob| glob.matches(name))
}

/// `context/relative` when it is a regular file whose real path stays inside the context.
pub(crate) fn confined(context: &Path, relative: &Path) -> Option<PathBuf> {
    // The context of `./Dockerfile` scanned as `.` is the empty path, which names no file.
    let here = if context.as_os_str().is_empty() {
        Path::new(".")
    } else {
        context
    };
    // One step per component (`canonicalize` walks each prefix whole: deep folders cost it
    // millions of steps).
    let root = crate::change::paths::canonical(here)?;
    let real = crate::change::paths::canonical(&context.join(relative))?;
    if !real.starts_with(&root) || !real.is_file() {
        return None;
    }
    Some(context.join(relative))
}

/// The text of `path`, a file [`confined`] found inside `context`: [`read_confined_bytes`]
/// decoded as every file read is.
pub(crate) fn read_confined(
    path: &Path,
    context: &Path,
    max_bytes: u64,
) -> Result<String, Option<String>> {
    read_confined_bytes(path, context, max_bytes).map(crate::decode)
}

/// The bytes of `path`, a file [`confined`] found inside `context`, when the file it opens is
/// still inside: checked on the open file (its device and inode are those of the file at the
/// path inside the context it resolves to), so a file or a folder on the way swapped for a
/// link since the lookup (by another process) reads nothing outside the context.
///
/// A file replaced while it is read (an editor renames a new one over it) is read again, up to
/// three times. `Err(None)` when it is gone or no longer a regular file (nothing to read);
/// `Err(Some(why))` when it is there and cannot be read (permission denied, over `max_bytes`,
/// a UTF-16 or UTF-32 byte-order mark), never held still, or left the context.
fn read_confined_bytes(
    path: &Path,
    context: &Path,
    max_bytes: u64,
) -> Result<Vec<u8>, Option<String>> {
    let cannot = |error: std::io::Error| match error.kind() {
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory => None,
        _ => Some(format!("cannot read: {error}")),
    };
    let root =
        crate::change::paths::canonical(crate::change::paths::or_current(context)).ok_or(None)?;
    for _ in 0..3 {
        // Looked at before it is opened: a FIFO or a device is never opened.
        if !std::fs::metadata(path).map_err(cannot)?.is_file() {
            return Err(None);
        }
        let file = crate::open_nonblocking(path).map_err(cannot)?;
        let opened = file.metadata().map_err(cannot)?;
        let Some(real) = crate::change::paths::canonical(path) else {
            continue;
        };
        if !real.starts_with(&root) {
            return Err(Some(
                "leads out of the build context now (a folder on its path was replaced by a link since it was found); not read".into(),
            ));
        }
        if !std::fs::metadata(&real).is_ok_and(|meta| crate::same_file(&meta, &opened)) {
            continue;
        }
        return crate::read_opened(file, max_bytes).map_err(Some);
    }
    Err(Some(
        "replaced again and again while it was read; not read".into(),
    ))
}

/// Parse a script and find how it ends.
pub fn script_facts(file: FileId, text: &str) -> Option<ScriptFacts> {
    let script = shell::parse(text).ok()?;
    let location = |span: Span| Location::new(file, span);
    let mut facts = ScriptFacts {
        trap: shell::traps_signal(&script).map(location),
        ..ScriptFacts::default()
    };
    let mut resolver = FinalsThroughCalls {
        script: &script,
        functions: shell::function_index(&script),
        expanded: HashMap::new(),
        budget: MAX_SCRIPT_FINALS,
    };
    // Past the budget the script's ends are unknown: nothing is reported about them.
    let finals = resolver
        .collect(shell::final_commands(&script), 0)
        .unwrap_or_default();
    for fin in finals {
        if let Some(program) = keeps_shell(&fin) {
            facts.unexeced_finals.push((location(fin.span), program));
        }
    }
    for command in shell::all_simple_commands(&script) {
        let argv = command.argv();
        if let Some(migration) = crate::shell::commands::migration(&argv) {
            facts
                .migrations
                .push((location(command.span), migration.tool));
        }
    }
    Some(facts)
}

/// Final commands, looking through calls of functions defined in the script (up to
/// [`MAX_FUNCTION_DEPTH`] calls deep). Each function is expanded once per depth and its final
/// commands kept once each, so functions whose branches all call the next one do not multiply;
/// at most [`MAX_SCRIPT_FINALS`] final commands are gathered in all.
struct FinalsThroughCalls<'a> {
    script: &'a Script,
    functions: HashMap<&'a str, &'a Node>,
    /// The final commands of a call of the function at the depth, calls inside resolved.
    expanded: HashMap<(&'a str, usize), Arc<[FinalCommand<'a>]>>,
    /// Final commands that may still be gathered (repeats included).
    budget: usize,
}

impl<'a> FinalsThroughCalls<'a> {
    /// `finals` with each call of a function replaced by that function's final commands, each
    /// distinct final command once, in source order; `None` past the budget.
    fn collect(
        &mut self,
        finals: Vec<FinalCommand<'a>>,
        depth: usize,
    ) -> Option<Vec<FinalCommand<'a>>> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut keep = |fin: FinalCommand<'a>, budget: &mut usize| -> Option<()> {
            *budget = budget.checked_sub(1)?;
            let key = (
                std::ptr::from_ref(fin.node) as usize,
                fin.may_fall_through,
                fin.conditional,
            );
            if seen.insert(key) {
                out.push(fin);
            }
            Some(())
        };
        for fin in finals {
            let called = fin
                .command
                .filter(|_| fin.kind == FinalKind::Simple && depth < MAX_FUNCTION_DEPTH)
                .and_then(|c| c.name())
                .and_then(|name| self.functions.get_key_value(name))
                .map(|(name, body)| (*name, *body));
            let Some((name, body)) = called else {
                keep(fin, &mut self.budget)?;
                continue;
            };
            let inner = match self.expanded.get(&(name, depth + 1)) {
                Some(inner) => Arc::clone(inner),
                None => {
                    let raw = shell::final_commands_of_body(self.script, body);
                    let inner: Arc<[FinalCommand<'a>]> = self.collect(raw, depth + 1)?.into();
                    self.expanded.insert((name, depth + 1), Arc::clone(&inner));
                    inner
                }
            };
            for fin in inner.iter() {
                keep(*fin, &mut self.budget)?;
            }
        }
        Some(out)
    }
}

/// Shell builtins and short commands that end error or help branches, not serving processes.
const NOT_A_SERVER: &[&str] = &[
    "exit", "return", "echo", "printf", "true", "false", ":", "set", "export", "unset", "shift",
    "cd", "source", ".", "test", "[", "[[", "local", "readonly", "declare", "eval", "usage",
    "help", "cat", "sleep", "ls", "env", "trap",
];

/// The program a final command keeps running under the shell, or `None` when it is fine.
fn keeps_shell(fin: &FinalCommand<'_>) -> Option<String> {
    match fin.kind {
        FinalKind::Simple => {
            let command = fin.command?;
            if command.is_exec() {
                return None;
            }
            let name = command.name()?;
            if NOT_A_SERVER.contains(&name) {
                return None;
            }
            Some(name.to_string())
        }
        FinalKind::Pipeline | FinalKind::Subshell => {
            let first = match fin.node {
                Node::Pipeline { commands, .. } => commands.first().and_then(Node::as_simple),
                _ => fin.command,
            };
            first
                .and_then(|c| c.name())
                .filter(|name| !NOT_A_SERVER.contains(name))
                .map(str::to_string)
        }
        // A keep-alive loop (`while :; do sleep 3600; done`) runs nothing to signal; a restart
        // loop around a server does.
        FinalKind::Loop => {
            let Node::Loop { body, .. } = fin.node else {
                return None;
            };
            body.iter()
                .filter_map(Node::as_simple)
                .filter_map(|c| c.name())
                .find(|name| !NOT_A_SERVER.contains(name) && *name != "[" && *name != "wait")
                .map(str::to_string)
        }
        FinalKind::Background => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    /// An entrypoint script found inside the build context is read only while it still is:
    /// with a folder on the way swapped for a link out of the context since it was found, it
    /// is not read.
    #[cfg(unix)]
    #[test]
    fn a_script_is_read_only_inside_its_context() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path();
        let context = dir.join("context");
        for folder in [context.join("bin"), dir.join("outside/bin")] {
            std::fs::create_dir_all(&folder).expect("mkdir");
            std::fs::write(folder.join("run.sh"), "#!/bin/sh\nexec app\n").expect("write");
        }
        let found = confined(&context, Path::new("bin/run.sh")).expect("inside");
        assert!(read_confined(&found, &context, 1024).is_ok());
        std::fs::rename(context.join("bin"), context.join("was")).expect("rename");
        std::os::unix::fs::symlink(dir.join("outside/bin"), context.join("bin")).expect("link");
        let refused = read_confined(&found, &context, 1024).expect_err("outside");
        assert!(
            refused.is_some_and(|why| why.starts_with("leads out of the build context")),
            "refused without a word"
        );
    }

    use crate::source::tests::files_at_paths as files_at;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    fn service(
        name: &str,
        namespace: Option<&str>,
        selector: &[(&str, &str)],
        file: u32,
        at: usize,
    ) -> Service {
        Service {
            name: name.to_string(),
            namespace: namespace.map(str::to_string),
            selector: pairs(selector),
            location: Location::new(FileId(file), Span::new(at, at + 1)),
            target_port_names: None,
        }
    }

    fn pod_template(namespace: Option<&str>, labels: &[(&str, &str)], file: u32) -> Workload {
        let location = Location::new(FileId(file), Span::new(0, 1));
        Workload::test_pod_template("Deployment", "w", namespace, labels, location)
    }

    fn selected_by(workload: &Workload) -> Vec<Location> {
        workload
            .kubernetes
            .as_ref()
            .map(|k| k.selected_by.clone())
            .unwrap_or_default()
    }

    /// How often the reference found Services only outside the pod template's folder tree, more
    /// Services than are kept, and kept one beyond the first (in the own file, not metrics).
    #[derive(Default, Debug)]
    struct Seen {
        elsewhere: usize,
        more_than_kept: usize,
        beyond_the_first: usize,
    }

    /// What [`ServiceIndex::link`] keeps for one pod template, worked out from its definition
    /// by looking at every Service.
    fn reference(
        services: &[Service],
        files: &Files,
        workload: &Workload,
        seen: &mut Seen,
    ) -> Vec<Location> {
        let Some(kube) = &workload.kubernetes else {
            return Vec::new();
        };
        let dir = |location: &Location| -> Vec<String> {
            folder_names(files, location)
                .map(std::borrow::Cow::into_owned)
                .collect()
        };
        let own = dir(&workload.location);
        let pod_port_names = super::pod_port_names(&workload.processes);
        let selects = |s: &Service| {
            s.selector
                .iter()
                .all(|pair| kube.template_labels.contains(pair))
                && s.target_port_names
                    .as_deref()
                    .is_none_or(|names| names.iter().any(|n| pod_port_names.contains(&n.as_str())))
        };
        let same_namespace = |s: &Service| match (&s.namespace, &kube.namespace) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        let mut kept: Vec<usize> = (0..services.len())
            .filter(|&i| {
                let s = &services[i];
                let theirs = dir(&s.location);
                !s.selector.is_empty()
                    && selects(s)
                    && same_namespace(s)
                    && (theirs.starts_with(&own) || own.starts_with(&theirs))
            })
            .collect();
        if kept.is_empty() {
            if let Some(namespace) = &kube.namespace {
                let common = |i: usize| {
                    dir(&services[i].location)
                        .iter()
                        .zip(&own)
                        .take_while(|(a, b)| a == b)
                        .count()
                };
                let matched: Vec<usize> = (0..services.len())
                    .filter(|&i| {
                        let s = &services[i];
                        !s.selector.is_empty()
                            && s.namespace.as_ref() == Some(namespace)
                            && selects(s)
                    })
                    .collect();
                let nearest = matched.iter().map(|&i| common(i)).max();
                kept = matched
                    .into_iter()
                    .filter(|&i| Some(common(i)) == nearest)
                    .collect();
                seen.elsewhere += usize::from(!kept.is_empty());
            }
        }
        if kept.len() > MAX_SELECTING_SERVICES {
            seen.more_than_kept += 1;
            let own_file = kept
                .iter()
                .copied()
                .find(|&i| services[i].location.file == workload.location.file);
            let serving = kept
                .iter()
                .copied()
                .find(|&i| !crate::rules::single_replica::is_metrics_service(&services[i].name));
            kept.truncate(MAX_SELECTING_SERVICES);
            kept.extend(own_file.into_iter().chain(serving));
            kept.sort_unstable();
            kept.dedup();
            seen.beyond_the_first += usize::from(kept.len() > MAX_SELECTING_SERVICES);
        }
        kept.into_iter().map(|i| services[i].location).collect()
    }

    /// The hostile shapes at a small scale: a selector of thousands of pairs against as many
    /// labels (each given twice), hundreds of Services sharing their first pair with one pod
    /// template each, and hundreds of copies of one Service selecting hundreds of pod templates
    /// (in one file, and one copy per folder).
    #[test]
    fn large_selectors_shared_pairs_and_copies_keep_the_same_services() {
        let paths: Vec<String> = std::iter::once("shared/all.yaml".to_string())
            .chain((0..300).map(|i| format!("copy{i}/app.yaml")))
            .chain(std::iter::once("elsewhere/app.yaml".to_string()))
            .collect();
        let files = files_at(&paths.iter().map(String::as_str).collect::<Vec<_>>());
        let big: Vec<(String, String)> = (0..3000).map(|i| (format!("l{i}"), "v".into())).collect();
        let big: Vec<(&str, &str)> = big.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let tiers: Vec<String> = (0..400).map(|i| format!("t{i}")).collect();
        let mut services = vec![service("big", None, &big, 0, 0)];
        let mut workloads = Vec::new();
        let twice: Vec<(&str, &str)> = big.iter().chain(&big).copied().collect();
        workloads.push(pod_template(None, &twice, 0));
        let mut missing_one = big.clone();
        missing_one.pop();
        workloads.push(pod_template(None, &missing_one, 0));
        for (i, tier) in tiers.iter().enumerate() {
            let selector = [("app", "a"), ("tier", tier.as_str())];
            services.push(service("s", None, &selector, 0, 1 + i));
            workloads.push(pod_template(None, &selector, 0));
        }
        let copy = [("app", "copy")];
        for i in 0..300 {
            services.push(service("copy-metrics", Some("p"), &copy, 0, 1000 + i));
            services.push(service("copy", Some("p"), &copy, 1 + i as u32, 0));
            workloads.push(pod_template(Some("p"), &copy, 1 + i as u32));
        }
        workloads.push(pod_template(Some("p"), &copy, 0));
        workloads.push(pod_template(Some("p"), &copy, 301));
        services.sort_by_key(|s| s.location);
        let index = ServiceIndex::new(&services, &files);
        index.link(&mut workloads, &files);
        let mut seen = Seen::default();
        for workload in &workloads {
            assert_eq!(
                selected_by(workload),
                reference(&services, &files, workload, &mut seen),
                "{:?}",
                workload
                    .kubernetes
                    .as_ref()
                    .map(|k| k.template_labels.len())
            );
        }
        let at = |file: u32, start: usize| Location::new(FileId(file), Span::new(start, start + 1));
        assert_eq!(selected_by(&workloads[0]), vec![at(0, 0)]);
        assert!(selected_by(&workloads[1]).is_empty());
        // Each tier's pod template is selected by its own Service only.
        for (i, workload) in workloads[2..402].iter().enumerate() {
            assert_eq!(selected_by(workload), vec![at(0, 1 + i)]);
        }
        // In a copy's folder: that copy only.
        for (i, workload) in workloads[402..702].iter().enumerate() {
            assert_eq!(selected_by(workload), vec![at(1 + i as u32, 0)]);
        }
        // In the shared file: the first 16 of the 300 there (metrics Services).
        let first: Vec<Location> = (0..16).map(|i| at(0, 1000 + i)).collect();
        assert_eq!(selected_by(&workloads[702]), first);
        // In a folder without Services: every copy in the namespace is as near; the first 16
        // and the first that is not a metrics Service are kept.
        let mut kept = first;
        kept.push(at(1, 0));
        assert_eq!(selected_by(&workloads[703]), kept);
    }

    /// Every 3 of 20 labels as a selector (1,140 classes), and 300 pod templates with all 20
    /// labels: each is selected by every class, and only the classes that can change what is
    /// kept are looked at (not 1,140 per pod template). Past [`MAX_SELECTING_CLASSES`] classes
    /// with no Service in the pod template's folder tree, the rest are not looked at, and a
    /// note says so.
    /// A Service whose every targetPort is a name reaches only the pods that declare a
    /// container port of one of those names; a numeric (or unset) targetPort reaches every pod
    /// its selector selects.
    #[test]
    fn named_target_ports_reach_only_pods_that_declare_them() {
        let settings = crate::Settings::new(Config::default(), crate::config::Selection::all());
        let deployment = |name: &str, ports: &str| {
            format!("---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  template:\n    metadata: {{labels: {{app: shop, component: {name}}}}}\n    spec:\n      containers:\n        - name: {name}\n          image: shop:1\n{ports}")
        };
        let selected = |service_ports: &str| -> Vec<(String, usize)> {
            let mut text = format!("apiVersion: v1\nkind: Service\nmetadata: {{name: shop}}\nspec:\n  selector: {{app: shop}}\n  ports: {service_ports}\n");
            text.push_str(&deployment(
                "web",
                "          ports: [{name: http, containerPort: 3000}]\n",
            ));
            text.push_str(&deployment(
                "metrics",
                "          ports: [{name: metrics, containerPort: 9090}]\n",
            ));
            text.push_str(&deployment("worker", ""));
            text.push_str(&deployment(
                "sidecar",
                "      initContainers:\n        - name: proxy\n          image: proxy:1\n          restartPolicy: Always\n          ports: [{name: http, containerPort: 8080}]\n",
            ));
            let input = crate::InputFile {
                display: "all.yaml".to_string(),
                kind: FileKind::Yaml,
                text,
                dir: None,
            };
            let report = crate::lint_inputs(vec![input], &settings);
            report
                .model
                .workloads
                .iter()
                .filter_map(|w| {
                    let kube = w.kubernetes.as_ref()?;
                    Some((kube.name.clone(), kube.selected_by.len()))
                })
                .collect()
        };
        let named = |names: &[&str]| -> Vec<(String, usize)> {
            ["web", "metrics", "worker", "sidecar"]
                .iter()
                .map(|w| {
                    let reached = match *w {
                        "web" | "sidecar" => names.contains(&"http"),
                        "metrics" => names.contains(&"metrics"),
                        _ => false,
                    };
                    ((*w).to_string(), usize::from(reached))
                })
                .collect()
        };
        assert_eq!(selected("[{port: 80, targetPort: http}]"), named(&["http"]));
        assert_eq!(
            selected("[{name: a, port: 80, targetPort: http}, {name: m, port: 9090, targetPort: metrics}]"),
            named(&["http", "metrics"])
        );
        // A numeric or unset target in any port: every selected pod is an endpoint.
        let all = named(&["http", "metrics"])
            .into_iter()
            .map(|(w, _)| (w, 1))
            .collect::<Vec<_>>();
        for ports in [
            "[{port: 80, targetPort: http}]\n  clusterIP: None",
            "[{port: 80, targetPort: 3000}]",
            "[{port: 80}]",
            "[{name: a, port: 80, targetPort: http}, {name: b, port: 81, targetPort: 8081}]",
        ] {
            assert_eq!(selected(ports), all, "{ports}");
        }
    }

    #[test]
    fn pod_templates_selected_by_every_class_look_at_the_first_classes() {
        let files = files_at(&["app/all.yaml", "app/deploy.yaml", "other/deploy.yaml"]);
        let labels: Vec<String> = (0..20).map(|i| format!("l{i}")).collect();
        let all: Vec<(&str, &str)> = labels.iter().map(|l| (l.as_str(), "v")).collect();
        let mut services = Vec::new();
        for a in 0..20 {
            for b in a + 1..20 {
                for c in b + 1..20 {
                    let selector = [all[a], all[b], all[c]];
                    let name = if services.len() % 3 == 0 {
                        "m-metrics"
                    } else {
                        "web"
                    };
                    services.push(service(name, None, &selector, 0, services.len()));
                }
            }
        }
        let grid = services.len();
        // Beyond the grid, in the pod templates' folder: the first in their own file.
        services.push(service("late", None, &all[..1], 1, 5));
        services.sort_by_key(|s| s.location);
        let mut workloads: Vec<Workload> = (0..300).map(|_| pod_template(None, &all, 1)).collect();
        let index = ServiceIndex::new(&services, &files);
        index.link(&mut workloads, &files);
        let mut seen = Seen::default();
        for workload in &workloads {
            assert_eq!(
                selected_by(workload),
                reference(&services, &files, workload, &mut seen)
            );
        }
        let looked_at = index.looked_at.load(std::sync::atomic::Ordering::Relaxed);
        assert!(looked_at <= 300 * 20, "{looked_at} classes looked at");
        assert!(index.notes().is_empty());
        // The grid (in `app/`) is not in the folder tree of `other/`, and the pod
        // templates have no namespace: no Service is kept for one in `other/`, after looking at
        // the first MAX_SELECTING_CLASSES classes.
        assert!(grid > MAX_SELECTING_CLASSES);
        let mut elsewhere = vec![pod_template(None, &all, 2)];
        let index = ServiceIndex::new(&services, &files);
        index.link(&mut elsewhere, &files);
        assert!(selected_by(&elsewhere[0]).is_empty());
        assert_eq!(
            index.looked_at.load(std::sync::atomic::Ordering::Relaxed),
            MAX_SELECTING_CLASSES
        );
        let notes = index.notes();
        assert_eq!(notes.len(), 1);
        assert!(notes[0].starts_with("Deployment/w shares labels with more than 1000"));
    }

    /// Selectors on a grid {aI: x, bJ: x} (each listed under its rarer pair aI) and pod
    /// templates with every aI and no bJ: every class is listed under their labels and none
    /// selects them. Those that do not select count too: each pod template looks at
    /// [`MAX_SELECTING_CLASSES`] (not at all 1,640), and a note says so. A pod template with one
    /// bJ as well, selected by a class every 40, keeps what looking at every Service keeps.
    #[test]
    fn classes_that_do_not_select_count_toward_the_cap() {
        let files = files_at(&["svc/all.yaml", "app/deploy.yaml"]);
        let (m, n) = (41, 40);
        let a: Vec<String> = (0..m).map(|i| format!("a{i}")).collect();
        let b: Vec<String> = (0..n).map(|j| format!("b{j}")).collect();
        let mut services = Vec::new();
        for a in &a {
            for b in &b {
                let selector = [(a.as_str(), "x"), (b.as_str(), "x")];
                services.push(service("web", None, &selector, 0, services.len()));
            }
        }
        assert!(services.len() > MAX_SELECTING_CLASSES);
        let every_a: Vec<(&str, &str)> = a.iter().map(|a| (a.as_str(), "x")).collect();
        let mut workloads: Vec<Workload> =
            (0..50).map(|_| pod_template(None, &every_a, 1)).collect();
        let mut with_b = every_a.clone();
        with_b.push((b[n - 1].as_str(), "x"));
        workloads.push(pod_template(None, &with_b, 0));
        let index = ServiceIndex::new(&services, &files);
        index.link(&mut workloads, &files);
        let mut seen = Seen::default();
        for workload in &workloads {
            assert_eq!(
                selected_by(workload),
                reference(&services, &files, workload, &mut seen)
            );
        }
        assert_eq!(selected_by(&workloads[50]).len(), MAX_SELECTING_SERVICES);
        let looked_at = index.looked_at.load(std::sync::atomic::Ordering::Relaxed);
        assert!(
            looked_at <= 51 * MAX_SELECTING_CLASSES,
            "{looked_at} classes looked at"
        );
        let notes = index.notes();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].starts_with("Deployment/w shares labels with more than 1000"));
    }

    /// 1,500 namespaces, each with its copy of one Service in a shared file: a pod template in
    /// one of them (in another folder) finds its own namespace's copy, looking at the classes of
    /// its namespace only (not at 1,500 per pod template, nor stopping at the cap).
    #[test]
    fn pod_templates_look_at_the_classes_of_their_namespace() {
        let files = files_at(&["tenants/all.yaml", "app/deploy.yaml"]);
        let names: Vec<String> = (0..1_500).map(|i| format!("t{i}")).collect();
        let web = [("app", "web")];
        let mut services: Vec<Service> = (0..names.len())
            .map(|i| service("web", Some(&names[i]), &web, 0, i))
            .collect();
        services.push(service(
            "web",
            None,
            &[("app", "web"), ("x", "y")],
            0,
            2_000,
        ));
        let mut workloads: Vec<Workload> = (0..100)
            .map(|i| pod_template(Some(&names[1_400 + i]), &web, 1))
            .collect();
        let index = ServiceIndex::new(&services, &files);
        index.link(&mut workloads, &files);
        let mut seen = Seen::default();
        for (i, workload) in workloads.iter().enumerate() {
            assert_eq!(
                selected_by(workload),
                reference(&services, &files, workload, &mut seen)
            );
            assert_eq!(selected_by(workload), [services[1_400 + i].location]);
        }
        assert!(index.notes().is_empty());
        let looked_at = index.looked_at.load(std::sync::atomic::Ordering::Relaxed);
        assert!(looked_at <= 100 * 2, "{looked_at} classes looked at");
    }

    /// More Services than are kept select the pod templates, none in their own file, which
    /// holds 3,000 Services of one class that selects them not: the first Service in their
    /// file is looked for among the classes of the file (one), not its Services.
    #[test]
    fn the_first_service_in_the_own_file_is_looked_for_per_class() {
        let files = files_at(&["a.yaml", "b.yaml"]);
        let web = [("app", "web")];
        let mut services: Vec<Service> =
            (0..17).map(|i| service("web", None, &web, 0, i)).collect();
        services.extend((0..3_000).map(|i| service("s", None, &[("app", "nope")], 1, i)));
        // Late in the file, a Service selecting them: kept besides the first 16.
        services.push(service("late", None, &web, 1, 5_000));
        let mut workloads: Vec<Workload> = (0..200).map(|_| pod_template(None, &web, 1)).collect();
        let index = ServiceIndex::new(&services, &files);
        index.link(&mut workloads, &files);
        let mut seen = Seen::default();
        for workload in &workloads {
            let kept = selected_by(workload);
            assert_eq!(kept, reference(&services, &files, workload, &mut seen));
            assert_eq!(kept.last(), services.last().map(|s| &s.location));
        }
        let looked_at = index.looked_at.load(std::sync::atomic::Ordering::Relaxed);
        assert!(looked_at <= 200 * 4, "{looked_at} classes looked at");
    }

    /// `f0` … `f{levels-1}`, each a `case` of `arms` arms that all call the next function; the
    /// last function runs `node server.js`, and the script ends by calling `f0`.
    fn fanning_script(levels: usize, arms: usize) -> String {
        let mut script = format!("#!/bin/sh\nf{levels}() {{ node server.js; }}\n");
        for level in (0..levels).rev() {
            let calls: String = (0..arms)
                .map(|i| format!(" a{i}) f{};;", level + 1))
                .collect();
            script.push_str(&format!("f{level}() {{ case \"$1\" in{calls} esac; }}\n"));
        }
        script.push_str("f0\n");
        script
    }

    fn unexeced(script: &str) -> Vec<String> {
        let facts = script_facts(FileId(0), script).expect("parses");
        facts.unexeced_finals.into_iter().map(|(_, p)| p).collect()
    }

    /// Every branch of every function calls the next one: the final command they all reach is
    /// kept once (it was kept once per path, `arms^levels` times: 1.9 GB for 6^8).
    #[test]
    fn finals_reached_through_many_calls_are_kept_once() {
        assert_eq!(unexeced(&fanning_script(4, 5)), ["node"]);
        assert_eq!(unexeced(&fanning_script(7, 12)), ["node"]);
        // Past the depth limit the calls themselves are the final commands, each arm once.
        assert_eq!(unexeced(&fanning_script(9, 3)), ["f8", "f8", "f8"]);
        // A recursive function ends at the depth limit.
        assert_eq!(unexeced("f() { f; }\nf\n"), ["f"]);
        // Distinct final commands of a called function are all kept.
        assert_eq!(
            unexeced(
                "g() { if a; then node x; else ruby y; fi; }\ncase $1 in a) g;; b) g;; esac\n"
            ),
            ["node", "ruby"]
        );
    }

    /// More final commands than [`MAX_SCRIPT_FINALS`] (counting every call): the script's ends
    /// are unknown and nothing is reported about them.
    #[test]
    fn too_many_finals_through_calls_are_unknown() {
        let calls = MAX_SCRIPT_FINALS / 3 + 1;
        let arms: String = (0..calls).map(|i| format!("a{i}) g;;")).collect();
        let script = format!(
            "g() {{ if a; then node x; elif b; then ruby y; else python z; fi; }}\ncase $1 in {arms} esac\n"
        );
        assert!(unexeced(&script).is_empty());
        let arms: String = (0..calls / 2).map(|i| format!("a{i}) g;;")).collect();
        let script = format!(
            "g() {{ if a; then node x; elif b; then ruby y; else python z; fi; }}\ncase $1 in {arms} esac\n"
        );
        assert_eq!(unexeced(&script), ["node", "ruby", "python"]);
    }

    /// Generated Services and pod templates in a few folders and namespaces, with small label
    /// alphabets so that many Services share pairs (their first pair too), selectors repeat
    /// pairs, labels repeat, and pod templates are selected by more Services than are kept:
    /// the index keeps what looking at every Service keeps, in the same order.
    #[test]
    fn services_selecting_pod_templates_match_the_definition() {
        let paths = [
            "x.yaml",
            "a/x.yaml",
            "a/y.yaml",
            "a/b/x.yaml",
            "a/b/c/x.yaml",
            "c/x.yaml",
            "c/d/x.yaml",
            "a/new/x.yaml",
            "new/x.yaml",
            "new/a/x.yaml",
        ];
        // The last three hold pod templates only: folders no Service is in.
        let service_files = 7;
        let files = files_at(&paths);
        let keys = ["app", "tier", "x"];
        let values = ["a", "b"];
        let namespaces = [None, Some("p"), Some("q")];
        let names = [
            "web",
            "web-metrics",
            "api",
            "metrics-svc",
            "m-metrics-service",
        ];
        let mut rng = Rng(0x5e1e_c70e_0000_0001);
        let mut seen = Seen::default();
        for round in 0..300 {
            let pick = |rng: &mut Rng, most: usize| -> Vec<(&str, &str)> {
                (0..1 + rng.below(most))
                    .map(|_| (keys[rng.below(keys.len())], values[rng.below(values.len())]))
                    .collect()
            };
            let count = rng.below(if round % 2 == 0 { 100 } else { 25 });
            let mut services: Vec<Service> = (0..count)
                .map(|i| {
                    let selector = if rng.below(20) == 0 {
                        Vec::new()
                    } else {
                        pick(&mut rng, 3)
                    };
                    service(
                        names[rng.below(names.len())],
                        namespaces[rng.below(namespaces.len())],
                        &selector,
                        rng.below(service_files) as u32,
                        i,
                    )
                })
                .collect();
            services.sort_by_key(|s| s.location);
            let mut workloads: Vec<Workload> = (0..20)
                .map(|_| {
                    let labels = pick(&mut rng, 6);
                    pod_template(
                        namespaces[rng.below(namespaces.len())],
                        &labels,
                        rng.below(paths.len()) as u32,
                    )
                })
                .collect();
            let index = ServiceIndex::new(&services, &files);
            index.link(&mut workloads, &files);
            for workload in &workloads {
                assert_eq!(
                    selected_by(workload),
                    reference(&services, &files, workload, &mut seen),
                    "round {round}: {:?} selected by {services:?}",
                    workload.kubernetes
                );
            }
        }
        assert!(
            seen.elsewhere > 100 && seen.more_than_kept > 100 && seen.beyond_the_first > 10,
            "the cases cover both: {seen:?}"
        );
    }

    /// What [`resolve_script`] answers, by scanning every COPY, last first, for every path
    /// (kept to compare with): the context file that ends up at `path` in the image, and the
    /// COPY that put it there. `is_dir` keeps what the file system said about COPY sources.
    fn resolve_script_by_scan(
        image: &Image,
        context: &Path,
        path: &str,
        is_dir: &mut HashMap<PathBuf, bool>,
    ) -> Option<Resolved> {
        let ignore = Ignore::load(image, context, &mut IgnoreFiles::default());
        let ignore = match ignore.as_ref() {
            Ignore::Patterns(ignore, _) => Some(ignore),
            Ignore::None => None,
            Ignore::Unknown(..) | Ignore::OverBudget(_) => return None,
        };
        let in_image = paths_in_image(image, path)?;
        for target in &in_image {
            for copy in image.copies.iter().rev() {
                // A COPY to an unknown place may have put anything at `target`.
                let destination = copy.destination.as_ref()?;
                match copied_source(copy, destination, target, context, is_dir, ignore) {
                    Some(Some(found)) => return Some((found, Some(copy.location))),
                    Some(None) => return None,
                    None => {}
                }
            }
        }
        // Not copied explicitly: a relative path may name a file of the context directly.
        if !path.starts_with('/') && path.contains('/') {
            let relative = path.trim_start_matches("./");
            return confined(context, Path::new(relative)).map(|p| (p, None));
        }
        None
    }

    /// The paths (context-relative, with whether each is a folder) a wildcard source matches,
    /// in the order BuildKit's walk copies them.
    fn wildcard_matches(context: &Path, source: &str) -> Vec<(PathBuf, bool)> {
        let cleaned = globs::context_path(Path::new(source));
        let parts: Vec<&str> = cleaned.split('/').filter(|p| !p.is_empty()).collect();
        let first = parts
            .iter()
            .position(|p| globs::contains_wildcards(p))
            .unwrap_or(0);
        let Some(patterns) = parts[first..]
            .iter()
            .map(|p| Glob::new(p))
            .collect::<Option<Vec<_>>>()
        else {
            return Vec::new();
        };
        fn walk(context: &Path, at: PathBuf, patterns: &[Glob], out: &mut Vec<(PathBuf, bool)>) {
            let Some((pattern, more)) = patterns.split_first() else {
                return;
            };
            let mut entries: Vec<(String, bool)> = std::fs::read_dir(context.join(&at))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|e| {
                    let dir = e.file_type().is_ok_and(|t| t.is_dir());
                    e.file_name().to_str().map(|n| (n.to_string(), dir))
                })
                .collect();
            entries.sort();
            for (name, dir) in entries {
                if !pattern.matches(&name) {
                    continue;
                }
                if more.is_empty() {
                    out.push((at.join(&name), dir));
                } else if dir {
                    walk(context, at.join(&name), more, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(
            context,
            PathBuf::from(parts[..first].join("/")),
            &patterns,
            &mut out,
        );
        out
    }

    /// What `copy` puts at `target`: nothing (`None`), a file of the context, or one not
    /// known (`Some(None)`).
    fn copied_source(
        copy: &crate::model::ImageCopy,
        destination: &crate::model::CopyDestination,
        target: &str,
        context: &Path,
        is_dir_cache: &mut HashMap<PathBuf, bool>,
        ignore: Option<&DockerIgnore>,
    ) -> Option<Option<PathBuf>> {
        let after = destination.strip_from(target)?;
        if copy.unknown_contents {
            return after.starts_with('/').then_some(None);
        }
        let presence =
            |p: &Path| ignore.map_or(Presence::In, |i| i.presence(&globs::context_path(p)));
        // A directory's contents are copied into the destination, with or without its `/`.
        let into = destination.is_directory()
            || (copy.sources.len() == 1
                && copy.sources.first().is_some_and(|s| {
                    let s = s.trim_start_matches("./");
                    !globs::contains_wildcards(s)
                        && CopyLookup::source_is_dir(is_dir_cache, context, s)
                }));
        if into {
            let rest = after.strip_prefix('/')?;
            // The last source that puts a file there wins.
            for source in copy.sources.iter().rev() {
                let source = source.trim_start_matches("./");
                let source_path = Path::new(source);
                if globs::contains_wildcards(source) {
                    for (matched, dir) in wildcard_matches(context, source).into_iter().rev() {
                        let candidate = if dir {
                            matched.join(rest)
                        } else if matched.file_name().and_then(|n| n.to_str()) == Some(rest) {
                            matched
                        } else {
                            continue;
                        };
                        if let Some(found) = confined(context, &candidate) {
                            match presence(&candidate) {
                                Presence::In => return Some(Some(found)),
                                Presence::Emptied => return Some(None),
                                Presence::Out => {}
                            }
                        }
                    }
                    continue;
                }
                let is_dir = source.is_empty()
                    || source == "."
                    || source.ends_with('/')
                    || CopyLookup::is_dir(is_dir_cache, context.join(source_path));
                if is_dir {
                    let candidate = source_path.join(rest);
                    if context.join(&candidate).is_file() {
                        if let Some(found) = confined(context, &candidate) {
                            match presence(&candidate) {
                                Presence::In => return Some(Some(found)),
                                Presence::Emptied => return Some(None),
                                Presence::Out => {}
                            }
                        }
                    }
                } else if !rest.contains('/') {
                    let name = source_path.file_name()?.to_str()?;
                    if name == rest {
                        let parent = source_path.parent().unwrap_or(Path::new(""));
                        let candidate = parent.join(rest);
                        if let Some(found) = confined(context, &candidate) {
                            return Some((presence(&candidate) == Presence::In).then_some(found));
                        }
                    }
                }
            }
            None
        } else if after.is_empty() && copy.sources.len() == 1 {
            let source = copy.sources.first()?.trim_start_matches("./");
            if globs::contains_wildcards(source) {
                return Some(None);
            }
            let found = confined(context, Path::new(source))?;
            Some((presence(Path::new(source)) == Presence::In).then_some(found))
        } else {
            None
        }
    }

    /// The wildcard match before it was bounded.
    fn glob_by_scan(pattern: &str, name: &str) -> bool {
        if !pattern.contains(['*', '?']) {
            return false;
        }
        fn matches(p: &[u8], n: &[u8]) -> bool {
            match (p.split_first(), n.split_first()) {
                (None, _) => n.is_empty(),
                (Some((b'*', rest)), _) => {
                    matches(rest, n) || (!n.is_empty() && matches(p, &n[1..]))
                }
                (Some((&c, rest)), Some((&d, more))) => {
                    (c == b'?' || c == d) && matches(rest, more)
                }
                (Some(_), None) => false,
            }
        }
        matches(pattern.as_bytes(), name.as_bytes())
    }

    /// Each script BuildKit sends empty gets one note, given once, in the order first met: tens
    /// of thousands were each compared with every note before (60,000 scripts of ten compose
    /// files took 8 s).
    #[test]
    fn notes_of_files_sent_empty_are_kept_once_in_linear_time() {
        let Ok(ignore) = DockerIgnore::parse("a\n!a/*.sh\na*\n") else {
            panic!("the .dockerignore parses");
        };
        let mut listings = Listings::default();
        let mut notes = Notes::default();
        let mut checks = Checks {
            left: usize::MAX,
            ran_out: None,
        };
        let mut context = Context {
            root: Path::new("ctx"),
            ignore: Some((&ignore, ".dockerignore")),
            listings: &mut listings,
            notes: &mut notes,
        };
        let started = std::time::Instant::now();
        for _ in 0..2 {
            for i in 0..40_000 {
                let path = format!("a/e{i}.sh");
                let presence = context.presence(Path::new(&path), &mut checks);
                assert_eq!(presence, Some(Presence::Emptied), "{path}");
            }
        }
        let elapsed = started.elapsed();
        assert_eq!(notes.list.len(), 40_000);
        for (i, note) in notes.list.iter().enumerate().step_by(997) {
            assert!(note.contains(&format!("keeps `a/e{i}.sh` but")), "{note}");
        }
        assert!(elapsed < std::time::Duration::from_secs(4), "{elapsed:?}");
    }

    #[test]
    fn wildcards_match_as_before_and_long_names_in_linear_time() {
        let mut rng = Rng(0x005e_ed0f_c09e);
        for _ in 0..20_000 {
            let pattern: String = (0..rng.below(8))
                .map(|_| ['a', 'b', '*', '?'][rng.below(4)])
                .collect();
            let name: String = (0..rng.below(8))
                .map(|_| ['a', 'b'][rng.below(2)])
                .collect();
            assert_eq!(
                glob_matches(&pattern, &name),
                glob_by_scan(&pattern, &name),
                "{pattern:?} {name:?}"
            );
        }
        assert!(glob_matches("*.sh", "run.sh"));
        assert!(glob_matches("r?n*.*", "run.sh"));
        assert!(!glob_matches("run.sh", "run.sh"));
        // A name no file can have is not matched; a pattern of 200,000 bytes (with many `*`)
        // against one of 1,000 is matched in a moment.
        let long = "a".repeat(200_000);
        let started = std::time::Instant::now();
        assert!(!glob_matches(
            &format!("*{long}b.sh"),
            &format!("{long}.sh")
        ));
        assert!(!glob_matches(&format!("*{long}"), &long));
        assert!(!glob_matches(&"*a".repeat(100_000), &"a".repeat(1_000)));
        assert!(glob_matches(&"*".repeat(200_000), &"a".repeat(1_000)));
        assert!(!glob_matches(
            &format!("{}b", "*a".repeat(400)),
            &"a".repeat(1_000)
        ));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    fn copy_to(
        sources: &[&str],
        destination: Option<(&Arc<str>, &str, bool)>,
    ) -> crate::model::ImageCopy {
        crate::model::ImageCopy {
            sources: sources.iter().map(|s| (*s).to_string()).collect(),
            destination: destination.map(|(base, rest, directory)| crate::model::CopyDestination {
                base: Arc::clone(base),
                base_len: base.len(),
                rest: rest.into(),
                kept: Box::default(),
                directory: directory || (base.is_empty() && rest.is_empty()),
            }),
            location: Location::new(FileId(0), Span { start: 0, end: 0 }),
            excludes: Vec::new().into(),
            unknown_contents: false,
        }
    }

    #[test]
    fn indexed_copies_find_the_scripts_every_copy_finds() {
        let dir = tempfile::tempdir().expect("tempdir");
        let contexts = [dir.path().join("ctx"), dir.path().join("ignoring")];
        for context in &contexts {
            for folder in ["d", "d/e", "bin", "dd", "dd/e"] {
                std::fs::create_dir_all(context.join(folder)).expect("mkdir");
            }
            for file in [
                "a.sh",
                "b.sh",
                "run",
                "d/a.sh",
                "d/e/b.sh",
                "bin/run",
                "d/run",
                "dd/a.sh",
                "dd/e/b.sh",
                "dd/run",
            ] {
                std::fs::write(context.join(file), "#!/bin/sh\nexec run\n").expect("write");
            }
            // A file of the context that is not read: its real path is outside.
            #[cfg(unix)]
            std::os::unix::fs::symlink(dir.path().join("outside.sh"), context.join("link.sh"))
                .expect("symlink");
        }
        std::fs::write(dir.path().join("outside.sh"), "exec x\n").expect("write");
        std::fs::write(
            contexts[1].join(".dockerignore"),
            "# what the image does not need\nd/e\n*.sh\n!a.sh\n**/run\n!d*/run\ndd/a.sh\n",
        )
        .expect("write");
        let sources = [
            "a.sh",
            "./b.sh",
            "run",
            "d",
            "d/",
            ".",
            "./",
            "*.sh",
            "?.sh",
            "d/*.sh",
            "x/..",
            "missing",
            "missing/",
            "d/a.sh",
            "bin/",
            "*",
            "../outside.sh",
            "e",
            "d/e",
            "a*.sh",
            "*b.sh",
            "r?n",
            "d/?.sh",
            "*.s?",
            "bin/*",
            "d/e/*",
            "link.sh",
            "l*",
            "[ab].sh",
            "d*",
            "*/a.sh",
            "*/*",
            "d?/[^a]*",
            "[",
            "*/e",
            "dd/",
            "dd/e/b.sh",
        ];
        let root: Arc<str> = Arc::from("");
        let app: Arc<str> = Arc::from("/app");
        let destinations: [(&Arc<str>, &str, bool); 12] = [
            (&root, "", true),
            (&root, "/app", true),
            (&root, "/app", false),
            (&root, "/app/a.sh", false),
            (&root, "/usr/local/bin", true),
            (&root, "/usr/bin/run", false),
            (&app, "", true),
            (&app, "/d", true),
            (&app, "/run", false),
            (&app, "/d/e", true),
            (&root, "/app/d", true),
            (&root, "/bin", true),
        ];
        let paths = [
            "/app/a.sh",
            "a.sh",
            "b.sh",
            "run",
            "./a.sh",
            "d/a.sh",
            "/app/d/a.sh",
            "/app/d/e/b.sh",
            "/usr/local/bin/a.sh",
            "/usr/bin/run",
            "/app/",
            "/a.sh",
            "/app/run",
            "..",
            "e/b.sh",
            "/app/b.sh",
            "/bin/run",
            "/app/d/run",
            "/app/link.sh",
            "/app/d/link.sh",
            "/usr/local/bin/link.sh",
        ];
        let mut rng = Rng(0x0c0f_fee5);
        let mut found = 0;
        for round in 0..800 {
            let copies = (0..1 + rng.below(8))
                .map(|_| {
                    let picked: Vec<&str> = (0..1 + rng.below(3))
                        .map(|_| sources[rng.below(sources.len())])
                        .collect();
                    let destination = (rng.below(12) != 0).then(|| {
                        let (base, rest, directory) = destinations[rng.below(destinations.len())];
                        (base, rest, directory || picked.len() > 1)
                    });
                    let mut copy = copy_to(&picked, destination);
                    if let Some(to) = copy.destination.as_mut() {
                        match rng.below(10) {
                            // A `COPY --parents` wildcard: anything under the folder.
                            0 if to.is_directory() => copy.unknown_contents = true,
                            // Its last folders kept by a `--parents` source.
                            1 => {
                                if let Some(cut) = to.rest.rfind('/') {
                                    to.kept = to.rest[cut..].into();
                                    to.rest = to.rest[..cut].into();
                                }
                            }
                            _ => {}
                        }
                    }
                    copy
                })
                .collect();
            let context = &contexts[round as usize % 2];
            let image = Image {
                dockerfile: FileId(round),
                path: None,
                context_dir: Some(context.clone()),
                copies,
                other_copies: Vec::new(),
                unknown_files: false,
                healthcheck: false,
                workdir: (rng.below(4) != 0).then(|| "/app".to_string()),
                workload: 0,
                final_stage: None,
                base_args: None,
                built_base: None,
                nginx_package: None,
                path_args: None,
            };
            let mut lookup = CopyLookup::default();
            let mut is_dir = HashMap::new();
            for path in paths {
                let indexed = resolve_script(&image, context, path, &mut lookup);
                let scanned = resolve_script_by_scan(&image, context, path, &mut is_dir);
                assert_eq!(
                    indexed,
                    scanned,
                    "{path} in {:?}",
                    image
                        .copies
                        .iter()
                        .map(|c| (&c.sources, c.destination.as_ref().map(|d| d.path())))
                        .collect::<Vec<_>>()
                );
                found += usize::from(indexed.is_some_and(|(_, at)| at.is_some()));
            }
        }
        assert!(found > 2_000, "the cases find scripts: {found}");
    }

    /// Past [`MAX_COPY_INDEX_NODES`], the COPY being indexed and those before it are not: the
    /// later COPYs (indexed first) still find their scripts, and a path they do not put there
    /// is not looked for further (an earlier COPY may have put anything there).
    #[test]
    fn copies_past_the_index_nodes_count_as_unknown_destinations() {
        let dir = tempfile::tempdir().expect("tempdir");
        let context = dir.path().join("ctx");
        std::fs::create_dir_all(context.join("x")).expect("mkdir");
        for file in ["old.sh", "e.sh", "x/e.sh"] {
            std::fs::write(context.join(file), "#!/bin/sh\nexec run\n").expect("write");
        }
        let root: Arc<str> = "".into();
        let image = Image {
            dockerfile: FileId(0),
            path: None,
            context_dir: Some(context.clone()),
            other_copies: Vec::new(),
            unknown_files: false,
            copies: vec![
                copy_to(&["old.sh"], Some((&root, "/app/old.sh", false))),
                copy_to(&["x"], Some((&root, "/deep/a/b/c/d/e/f", true))),
                copy_to(&["e.sh"], Some((&root, "/srv/e.sh", false))),
            ],
            healthcheck: false,
            workdir: Some("/w".to_string()),
            workload: 0,
            final_stage: None,
            base_args: None,
            built_base: None,
            nginx_package: None,
            path_args: None,
        };
        let found = |left: usize, path: &str| {
            let mut lookup = CopyLookup::default();
            lookup.nodes.left = left;
            let found = resolve_script(&image, &context, path, &mut lookup);
            (found.map(|(file, _)| file), lookup.nodes.ran_out.is_some())
        };
        // The root's empty component, `srv` and `e.sh` take 3 nodes; the deep COPY 7 more.
        assert_eq!(found(5, "/srv/e.sh"), (Some(context.join("e.sh")), true));
        assert_eq!(found(5, "/app/old.sh"), (None, true));
        // Nor is a relative path taken for the context's file.
        assert_eq!(found(5, "x/e.sh"), (None, true));
        assert_eq!(found(10, "/app/old.sh"), (None, true));
        assert_eq!(
            found(12, "/app/old.sh"),
            (Some(context.join("old.sh")), false)
        );
        assert_eq!(found(12, "x/e.sh"), (Some(context.join("x/e.sh")), false));
        assert!(!found(MAX_COPY_INDEX_NODES, "/srv/e.sh").1);
    }

    /// A default config file looked for among COPYs once the checks ran out may be there (the
    /// rule is silent), and where they ran out is kept, for the note.
    #[test]
    fn default_config_lookup_past_its_checks_is_conservative_and_noted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let context = dir.path().join("ctx");
        std::fs::create_dir_all(context.join("d/config")).expect("mkdir");
        std::fs::write(context.join("d/config/other.yml"), "x").expect("write");
        let root: Arc<str> = "".into();
        let image = Image {
            dockerfile: FileId(0),
            path: None,
            context_dir: Some(context.clone()),
            other_copies: Vec::new(),
            unknown_files: false,
            copies: vec![copy_to(&["d"], Some((&root, "/app", true)))],
            healthcheck: false,
            workdir: Some("/app".to_string()),
            workload: 0,
            final_stage: None,
            base_args: None,
            built_base: None,
            nginx_package: None,
            path_args: None,
        };
        let target = "/app/config/sidekiq.yml";
        let mut lookup = CopyLookup::default();
        assert!(!may_be_copied(&image, &context, target, &mut lookup));
        assert!(lookup.checks.ran_out.is_none());
        let mut lookup = CopyLookup::default();
        lookup.checks.left = 0;
        assert!(may_be_copied(&image, &context, target, &mut lookup));
        assert_eq!(lookup.checks.ran_out, Some((FileId(0), target.to_string())));
    }
}
