//! Cross-file facts: a Dockerfile's entrypoint script, found through its `COPY`/`ADD` from the
//! build context (or by path), is read and analysed so rules can point into it.
//!
//! Reading is confined: the script must resolve (symlinks followed) inside the build context
//! directory, be a regular file and fit the size cap. Nothing is executed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Config;
use crate::diagnostic::Location;
use crate::model::{
    Command, CommandSource, CommandWord, Fact, Image, LinkedScript, Model, Process, ScriptFacts,
    Service, ShellEnv, Signal, Workload,
};
use crate::shell::{self, FinalCommand, FinalKind, Node, Script};
use crate::source::{FileId, FileKind, Files, SourceFile};
use crate::span::Span;
use crate::suppress::{self, Suppression};

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

/// Resolve which processes run an image built from a Dockerfile in the scan (Kubernetes
/// containers through config `[images]` and skaffold artifacts, compose services through
/// `build:`) and give them the Dockerfile's command, shell and stop signal, composed as the
/// platform does (`command`/`entrypoint` replace ENTRYPOINT, `args`/`command` replace CMD).
pub fn link_images(
    model: &mut Model,
    files: &Files,
    dirs: &HashMap<FileId, PathBuf>,
    config: &Config,
) -> ImageLinks {
    let canonical = |p: &Path| p.canonicalize().ok();
    let by_path: HashMap<PathBuf, usize> = model
        .images
        .iter()
        .enumerate()
        .filter_map(|(i, image)| Some((canonical(image.path.as_deref()?)?, i)))
        .collect();
    if by_path.is_empty() {
        return ImageLinks::default();
    }
    let dir_of = |file: FileId| dirs.get(&file).cloned().unwrap_or_default();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let config_root = config.root.clone().unwrap_or_else(|| PathBuf::from("."));
    for (name, dockerfile) in &config.images {
        if let Some(&i) = canonical(&config_root.join(dockerfile)).and_then(|p| by_path.get(&p)) {
            by_name.insert(image_without_tag(name), i);
        }
    }
    for build in &model.image_builds {
        let path = dir_of(build.location.file).join(&build.dockerfile);
        if let Some(&i) = canonical(&path).and_then(|p| by_path.get(&p)) {
            by_name.entry(image_without_tag(&build.image)).or_insert(i);
        }
    }
    let images: Vec<ImageFacts> = model
        .images
        .iter()
        .map(|image| {
            let workload = model.workloads.get(image.workload);
            let process = workload.and_then(|w| w.processes.first());
            ImageFacts {
                dockerfile: files.path(image.dockerfile).to_string(),
                command: process.and_then(|p| p.command.clone()),
                shell: process.map(|p| p.shell.clone()).unwrap_or_default(),
                stop_signal: workload.and_then(|w| w.stop_signal.as_deref().cloned()),
            }
        })
        .collect();
    for workload in &mut model.workloads {
        if let Some(compose) = &workload.compose {
            // A `target` other than the final stage builds a different image than we model.
            let Some(build) = compose.build.as_ref().filter(|b| b.target.is_none()) else {
                continue;
            };
            let path = dir_of(build.location.file)
                .join(&build.context)
                .join(&build.dockerfile);
            let Some(&index) = canonical(&path).and_then(|p| by_path.get(&p)) else {
                continue;
            };
            let overrides = (compose.entrypoint.is_some(), compose.command.clone());
            let written_signal = workload
                .stop_signal
                .as_ref()
                .is_some_and(|s| s.note.is_none() && s.location.is_some());
            if !written_signal {
                if let Some(signal) = images.get(index).and_then(|i| i.stop_signal.clone()) {
                    workload.stop_signal = Some(Box::new(signal));
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
            let Some(&index) = canonical(&path).and_then(|p| by_path.get(&p)) else {
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
    ImageLinks { by_name, images }
}

/// What Kubernetes pod templates are linked with, kept after [`link_images`] for pod
/// templates lowered again later (see [`ImageLinks::link_kubernetes`]).
#[derive(Default)]
pub struct ImageLinks {
    /// Image names (without tag) built from a Dockerfile in the scan, by config `[images]`
    /// and skaffold artifacts.
    by_name: HashMap<String, usize>,
    images: Vec<ImageFacts>,
}

impl ImageLinks {
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
        let overrides = (
            container.command_key.is_some(),
            process
                .command
                .clone()
                .filter(|_| container.args_key.is_some() && container.command_key.is_none()),
        );
        if process
            .stop_signal
            .as_ref()
            .is_none_or(|s| s.note.is_some())
        {
            process.stop_signal = image.stop_signal.clone().map(Box::new);
        }
        apply_image(process, index, image, overrides);
    }
}

/// What a Dockerfile gives the processes that run its image.
struct ImageFacts {
    dockerfile: String,
    command: Option<Command>,
    shell: ShellEnv,
    stop_signal: Option<Fact<Signal>>,
}

/// Run `image` in `process`: `(entrypoint_overridden, cmd_override)` say what the platform
/// replaces. An overridden ENTRYPOINT leaves the process's own command as it is.
fn apply_image(
    process: &mut Process,
    index: usize,
    image: &ImageFacts,
    overrides: (bool, Option<Command>),
) {
    process.image = Some(index);
    process.shell = image.shell.clone();
    let (entrypoint_overridden, cmd_override) = overrides;
    if entrypoint_overridden {
        return;
    }
    let Some(image_command) = &image.command else {
        // The Dockerfile sets neither ENTRYPOINT nor CMD: the override runs as the command
        // (base images' entrypoints pass their arguments on).
        if let Some(cmd) = cmd_override {
            process.command = Some(cmd);
        }
        return;
    };
    let mut command = Command::default();
    for (i, source) in image_command.sources.iter().enumerate() {
        if cmd_override.is_some() && source.what == "CMD" {
            continue;
        }
        let new_index = command.sources.len();
        command.sources.push(CommandSource {
            inherited_from: Some(image.dockerfile.clone()),
            ..source.clone()
        });
        command.words.extend(
            image_command
                .words
                .iter()
                .filter(|w| w.source == i)
                .map(|w| CommandWord {
                    source: new_index,
                    ..w.clone()
                }),
        );
    }
    if let Some(cmd) = cmd_override {
        let base = command.sources.len();
        command.sources.extend(cmd.sources);
        command
            .words
            .extend(cmd.words.into_iter().map(|w| CommandWord {
                source: w.source + base,
                ..w
            }));
    }
    process.command = (!command.words.is_empty()).then_some(command);
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
pub struct ServiceIndex<'s> {
    services: &'s [Service],
    folders: Folders,
    /// Each Service's folder as interned components.
    service_dirs: Vec<Vec<u32>>,
    /// Services by their first selector pair (a pod template can only match a Service whose
    /// every pair is among its labels, so looking up its labels finds every candidate), and:
    /// by the folder they are in (`at`), by every folder above them (`under`), both as
    /// [`Folders`] prefix ids, and by namespace. Values index `services`.
    at: HashMap<(Pair<'s>, u32), Vec<usize>>,
    under: HashMap<(Pair<'s>, u32), Vec<usize>>,
    in_namespace: HashMap<(Pair<'s>, &'s str), Vec<usize>>,
}

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
            id = *self.prefixes.entry((id, component)).or_insert(next);
            ids.push(id);
        }
        ids
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
        let service_dirs: Vec<Vec<u32>> = services
            .iter()
            .map(|s| folders.add_components(files, &s.location))
            .collect();
        let mut at: HashMap<(Pair<'s>, u32), Vec<usize>> = HashMap::new();
        let mut under: HashMap<(Pair<'s>, u32), Vec<usize>> = HashMap::new();
        let mut in_namespace: HashMap<(Pair<'s>, &'s str), Vec<usize>> = HashMap::new();
        for (i, service) in services.iter().enumerate() {
            let Some((k, v)) = service.selector.first() else {
                continue;
            };
            let pair = (k.as_str(), v.as_str());
            let prefixes = folders.add_prefixes(&service_dirs[i]);
            if let Some(&own) = prefixes.last() {
                at.entry((pair, own)).or_default().push(i);
            }
            for &prefix in &prefixes {
                under.entry((pair, prefix)).or_default().push(i);
            }
            if let Some(namespace) = &service.namespace {
                in_namespace
                    .entry((pair, namespace.as_str()))
                    .or_default()
                    .push(i);
            }
        }
        ServiceIndex {
            services,
            folders,
            service_dirs,
            at,
            under,
            in_namespace,
        }
    }

    /// Fill `selected_by` of the Kubernetes workloads among `workloads`.
    pub fn link(&self, workloads: &mut [Workload], files: &Files) {
        let services = self.services;
        for workload in workloads {
            if workload.kubernetes.is_none() {
                continue;
            }
            let workload_dir = self.folders.components(files, &workload.location);
            let prefixes = self.folders.known_prefixes(&workload_dir);
            let workload_file = workload.location.file;
            let Some(kube) = &mut workload.kubernetes else {
                continue;
            };
            let selects = |i: usize| {
                services[i].selector.iter().all(|(k, v)| {
                    kube.template_labels
                        .iter()
                        .any(|(lk, lv)| lk == k && lv == v)
                })
            };
            let same_namespace = |i: usize| match (&services[i].namespace, &kube.namespace) {
                (Some(a), Some(b)) => a == b,
                _ => true,
            };
            // First the Services in the pod template's own folder tree (one folder holds the
            // other): without namespaces, objects of one application live in one folder tree
            // (stdin and single files share the empty folder). All of them are kept.
            let mut kept: Vec<usize> = Vec::new();
            for (k, v) in &kube.template_labels {
                let pair = (k.as_str(), v.as_str());
                // `under` the pod template's own folder (when known: else nothing is), `at`
                // every folder above it.
                let below = (prefixes.len() == workload_dir.len() + 1)
                    .then(|| {
                        prefixes
                            .last()
                            .and_then(|&own| self.under.get(&(pair, own)))
                    })
                    .flatten();
                let above = prefixes
                    .iter()
                    .take(workload_dir.len())
                    .filter_map(|&prefix| self.at.get(&(pair, prefix)));
                for &i in below.into_iter().chain(above).flatten() {
                    if same_namespace(i) && selects(i) {
                        kept.push(i);
                    }
                }
            }
            // Else the Services of the same namespace elsewhere (a repository is not one cluster:
            // copies of an application, an overlay per environment): those sharing the longest
            // folder prefix with it.
            if kept.is_empty() {
                if let Some(namespace) = &kube.namespace {
                    let mut matched: Vec<(usize, usize)> = Vec::new();
                    for (k, v) in &kube.template_labels {
                        let key = ((k.as_str(), v.as_str()), namespace.as_str());
                        for &i in self.in_namespace.get(&key).into_iter().flatten() {
                            if selects(i) {
                                let common = self.service_dirs[i]
                                    .iter()
                                    .zip(&workload_dir)
                                    .take_while(|(a, b)| a == b)
                                    .count();
                                matched.push((common, i));
                            }
                        }
                    }
                    let nearest = matched.iter().map(|&(common, _)| common).max();
                    kept.extend(
                        matched
                            .iter()
                            .filter(|&&(common, _)| Some(common) == nearest)
                            .map(|&(_, i)| i),
                    );
                }
            }
            // A Service is found once per label of its first selector pair at most: once.
            kept.sort_unstable();
            kept.dedup();
            // The rules read the first Services, the first in the pod template's own file and the
            // first that is not a metrics Service: thousands of Services selecting thousands of
            // pod templates (one label on everything) must not keep every pair.
            if kept.len() > MAX_SELECTING_SERVICES {
                let own_file = kept
                    .iter()
                    .copied()
                    .find(|&i| services[i].location.file == workload_file);
                let serving = kept.iter().copied().find(|&i| {
                    !crate::rules::single_replica::is_metrics_service(&services[i].name)
                });
                kept.truncate(MAX_SELECTING_SERVICES);
                kept.extend(own_file.into_iter().chain(serving));
                kept.sort_unstable();
                kept.dedup();
            }
            kube.selected_by
                .extend(kept.into_iter().map(|i| services[i].location));
            // Kept until the rules ran; extending an empty vector reserves at least four.
            kube.selected_by.shrink_to_fit();
        }
    }
}

/// How many of the Services selecting a pod template are kept for it (besides the first in its
/// own file and the first that is not a metrics Service).
const MAX_SELECTING_SERVICES: usize = 16;

/// Reads the entrypoint scripts that processes run from images built in the scan, and keeps
/// those read so far, so workloads linked later read each script once, as one file.
pub struct Scripts {
    max_file_bytes: u64,
    loaded: HashMap<PathBuf, Option<FileId>>,
}

impl Scripts {
    pub fn new(max_file_bytes: u64) -> Self {
        Scripts {
            max_file_bytes,
            loaded: HashMap::new(),
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
        for workload in workloads {
            for process in &mut workload.processes {
                let Some(image) = process.image.and_then(|i| images.get(i)) else {
                    continue;
                };
                let Some(context) = image.context_dir.clone() else {
                    continue;
                };
                let Some(run) = process.analysis.as_ref().and_then(|a| a.script.as_ref()) else {
                    continue;
                };
                let (path, invoked_at) = (run.path.clone(), run.location);
                let Some((on_disk, copied_at)) = resolve_script(image, &context, &path) else {
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
                let facts = script_facts(file, &files.text(file));
                process.script = Some(Box::new(LinkedScript {
                    file,
                    invoked_at,
                    copied_at,
                    facts,
                }));
            }
        }
    }
}

/// The display path of a context file: the Dockerfile's display directory joined with it.
fn display_for(files: &Files, image: &Image, relative: &Path) -> String {
    let dockerfile = files.path(image.dockerfile);
    let dir = Path::new(dockerfile).parent().unwrap_or(Path::new(""));
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
    let text = crate::read_file(on_disk, max_file_bytes).ok()?;
    let display = display_for(files, image, &relative);
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

/// Find the context file that ends up at `path` in the image, and the COPY that put it there.
fn resolve_script(
    image: &Image,
    context: &Path,
    path: &str,
) -> Option<(PathBuf, Option<Location>)> {
    let in_image: Vec<String> = if path.starts_with('/') {
        vec![crate::lower::dockerfile::normalize(path)]
    } else if path.contains('/') {
        vec![crate::lower::dockerfile::normalize(&format!(
            "{}/{path}",
            image.workdir
        ))]
    } else {
        PATH_DIRS.iter().map(|d| format!("{d}/{path}")).collect()
    };
    for target in &in_image {
        for copy in image.copies.iter().rev() {
            if let Some(relative) = copied_source(copy, target, context) {
                if let Some(found) = confined(context, &relative) {
                    return Some((found, Some(copy.location)));
                }
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

/// The context-relative source of `target` if `copy` puts it there.
fn copied_source(copy: &crate::model::ImageCopy, target: &str, context: &Path) -> Option<PathBuf> {
    let destination = copy.destination.as_str();
    if let Some(dir) = destination.strip_suffix('/') {
        let rest = target.strip_prefix(dir)?.strip_prefix('/')?;
        for source in &copy.sources {
            let source = source.trim_start_matches("./");
            let source_path = Path::new(source);
            let is_dir = source.is_empty()
                || source == "."
                || source.ends_with('/')
                || context.join(source_path).is_dir();
            if is_dir {
                let candidate = source_path.join(rest);
                if context.join(&candidate).is_file() {
                    return Some(candidate);
                }
            } else if !rest.contains('/') {
                let name = source_path.file_name()?.to_str()?;
                if name == rest || glob_matches(name, rest) {
                    let parent = source_path.parent().unwrap_or(Path::new(""));
                    return Some(parent.join(rest));
                }
            }
        }
        None
    } else if destination == target && copy.sources.len() == 1 {
        copy.sources
            .first()
            .map(|s| PathBuf::from(s.trim_start_matches("./")))
    } else {
        None
    }
}

/// `*` and `?` wildcards of COPY sources, within one path component.
fn glob_matches(pattern: &str, name: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return false;
    }
    fn matches(p: &[u8], n: &[u8]) -> bool {
        let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
        while ni < n.len() {
            if pi < p.len() && (p[pi] == b'?' || p[pi] == n[ni]) {
                pi += 1;
                ni += 1;
            } else if pi < p.len() && p[pi] == b'*' {
                star = Some(pi);
                mark = ni;
                pi += 1;
            } else if let Some(s) = star {
                pi = s + 1;
                mark += 1;
                ni = mark;
            } else {
                return false;
            }
        }
        p[pi..].iter().all(|&c| c == b'*')
    }
    matches(pattern.as_bytes(), name.as_bytes())
}

/// `context/relative` when it is a regular file whose real path stays inside the context.
fn confined(context: &Path, relative: &Path) -> Option<PathBuf> {
    let root = context.canonicalize().ok()?;
    let real = context.join(relative).canonicalize().ok()?;
    if !real.starts_with(&root) || !real.is_file() {
        return None;
    }
    Some(context.join(relative))
}

/// Parse a script and find how it ends.
pub fn script_facts(file: FileId, text: &str) -> Option<ScriptFacts> {
    let script = shell::parse(text).ok()?;
    let location = |span: Span| Location::new(file, span);
    let mut facts = ScriptFacts {
        trap: shell::traps_signal(&script).map(location),
        ..ScriptFacts::default()
    };
    let mut finals = Vec::new();
    collect_finals(&script, shell::final_commands(&script), 0, &mut finals);
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

/// Final commands, looking through calls of functions defined in the script.
fn collect_finals<'a>(
    script: &'a Script,
    finals: Vec<FinalCommand<'a>>,
    depth: usize,
    out: &mut Vec<FinalCommand<'a>>,
) {
    for fin in finals {
        let called = fin
            .command
            .filter(|_| fin.kind == FinalKind::Simple && depth < MAX_FUNCTION_DEPTH)
            .and_then(|c| shell::final_commands_of_call(script, c));
        match called {
            Some(inner) => collect_finals(script, inner, depth + 1, out),
            None => out.push(fin),
        }
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
