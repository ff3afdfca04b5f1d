//! shutdownlint: a static analyzer for deploy and graceful-shutdown configuration.
//!
//! The pipeline: [`discover`] → parse ([`formats`]) → lower into the deploy [`model`] → [`link`]
//! cross-file facts → [`analysis`] of commands → [`rules`] → [`suppress`] → [`output`].

pub mod analysis;
pub mod change;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod docs;
pub mod drain;
pub mod formats;
pub mod kustomize;
pub mod link;
pub mod lower;
pub mod lsp;
pub mod model;
pub mod output;
pub mod rules;
pub mod shell;
pub mod source;
pub mod span;
pub mod suppress;
#[cfg(test)]
mod test_rng;
pub mod timeline;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::{Config, ConfigError, Selection};
use crate::diagnostic::{Diagnostic, Location};
use crate::model::{Model, Workload};
use crate::rules::{Reporter, RuleContext};
use crate::source::{FileId, FileKind, Files, SourceFile};
use crate::span::Span;
use crate::suppress::Suppression;

/// Where rule pages are published; each rule's `url` is this plus its page's file name.
pub const RULES_URL: &str = "https://github.com/shutdownlint/shutdownlint/blob/main/rules";

/// The result of one run.
#[derive(Debug, Default)]
pub struct Report {
    pub files: Files,
    /// Sorted by path, line, column, rule.
    pub diagnostics: Vec<Diagnostic>,
    /// Things to tell the user on stderr (skipped files); never findings.
    pub notes: Vec<String>,
    /// How many recognised files were linted.
    pub linted_files: usize,
    /// The deploy model the rules ran on (what `shutdownlint timeline` draws), without the
    /// Kubernetes workloads beyond [`Settings::kept_workloads`].
    pub model: Model,
    /// With [`Settings::keep_released_paths`]: the paths of the files that were read and
    /// released (see [`Files::push_released`]), in id order, as they were opened (see
    /// [`Report::opened_paths`]). The run had nothing to say about them.
    pub released_paths: Vec<PathBuf>,
    /// With [`Settings::keep_released_paths`]: the files whose shown path does not open them
    /// (a path that is not UTF-8 is shown with U+FFFD, and two files can then be shown alike),
    /// with the path they were opened by, in id order. The language server tells files apart
    /// by it.
    pub opened_paths: Vec<(FileId, PathBuf)>,
}

/// A file handed in directly (stdin, the language server, tests).
#[derive(Debug, Clone)]
pub struct InputFile {
    pub display: String,
    pub kind: FileKind,
    pub text: String,
    /// Where files it refers to (scripts copied by a Dockerfile) are looked up.
    pub dir: Option<PathBuf>,
}

/// Options of one run.
pub struct Settings {
    pub config: Config,
    pub selection: Selection,
    pub max_file_bytes: u64,
    /// Change mode: the change under review (`--diff BASE`).
    pub change: Option<change::ChangeSet>,
    /// How many Kubernetes workloads the model keeps while the scan is read (see
    /// [`KEPT_WORKLOADS`]). `usize::MAX` keeps all of them in [`Report::model`].
    pub kept_workloads: usize,
    /// How many of the other workloads are lowered again at once (see [`RELOWERED_AT_ONCE`]).
    pub relowered_at_once: usize,
    /// Keep the paths of released files in [`Report::released_paths`] (the language server:
    /// it tells a file the last lint had nothing to say about from one it never saw).
    pub keep_released_paths: bool,
    /// A flag that, once set, ends a run early between its stages (the language server sets it
    /// when the editor asks it to shut down): the run then returns [`STOPPED`] instead of a
    /// report.
    pub stop: Option<Arc<AtomicBool>>,
}

/// What a run stopped by [`Settings::stop`] returns as its error.
pub const STOPPED: &str = "the lint was stopped before it finished";

/// How many Kubernetes workloads a run keeps in its model while it reads the scan (a few times
/// what a large repository has). The workloads of files read after that are lowered again
/// from their texts after the model is built, [`RELOWERED_AT_ONCE`] at a time, linked, checked
/// by the rules of [`rules::Scope::Workloads`] and dropped: on a huge tree the facts kept stay
/// bounded, for the price of parsing those files twice. Findings are the same either way; only
/// [`Report::model`] lacks the workloads lowered again.
pub const KEPT_WORKLOADS: usize = 4096;

impl Settings {
    pub fn new(config: Config, selection: Selection) -> Self {
        Settings {
            selection,
            max_file_bytes: config
                .max_file_size
                .map_or(discover::DEFAULT_MAX_FILE_BYTES, |size| size.0),
            config,
            change: None,
            kept_workloads: KEPT_WORKLOADS,
            relowered_at_once: RELOWERED_AT_ONCE,
            keep_released_paths: false,
            stop: None,
        }
    }

    /// [`Settings::stop`] was set.
    fn stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|stop| stop.load(Ordering::Relaxed))
    }
}

/// Lint files and directories.
pub fn lint_paths(paths: &[PathBuf], settings: &Settings) -> Result<Report, ConfigError> {
    lint_paths_overlaid(paths, settings, &|_| None, Vec::new())
}

/// [`lint_paths`] for an editor: `overlay` gives the text of a found file that is held in memory
/// (an unsaved buffer), other files are read from disk; `extra` files are linted as well (the
/// buffers of entrypoint scripts, which discovery does not find by name).
pub fn lint_paths_overlaid(
    paths: &[PathBuf],
    settings: &Settings,
    overlay: &(dyn Fn(&Path) -> Option<String> + Sync),
    extra: Vec<InputFile>,
) -> Result<Report, ConfigError> {
    let discovery = discover::discover(paths, &settings.config, settings.stop.as_deref())?;
    if settings.stopped() {
        return Err(ConfigError(STOPPED.into()));
    }
    let read = |found: &discover::Found| {
        read_overlaid(
            found.path(),
            found.origin(),
            overlay,
            settings.max_file_bytes,
        )
        .map(|(t, _)| t)
    };
    // Kustomization files say which files are patches (partial objects, not linted), so they
    // are read first; they are few and small. Every other file is read in the parallel stage,
    // right before it is parsed.
    let early: Vec<Option<Result<String, String>>> = discovery
        .files
        .iter()
        .map(|found| kustomize::is_kustomization(found.path()).then(|| read(found)))
        .collect();
    let patches = kustomize::patches(
        discovery
            .files
            .iter()
            .zip(&early)
            .filter_map(|(found, text)| {
                Some((found.path(), text.as_ref()?.as_ref().ok()?.as_str()))
            }),
    );
    let mut notes = discovery.notes;
    let repositories = discovery.repositories;
    let discovery_configs = discovery.default_configs;
    // Notes about files that are not linted, with their place in discovery order.
    let mut file_notes: Vec<(usize, String)> = Vec::new();
    let mut sources: Vec<Source> = Vec::with_capacity(extra.len() + discovery.files.len());
    sources.extend(extra.into_iter().map(Source::from));
    for (order, (found, early)) in discovery.files.into_iter().zip(early).enumerate() {
        let is_patch =
            !patches.is_empty() && patches.contains(&discover::absolute_by_name(found.path()));
        if is_patch {
            // Said only of a patch that can be read; otherwise why it cannot be.
            let note = match early.unwrap_or_else(|| read(&found)) {
                Ok(_) => format!(
                    "{}: a Kustomize patch (partial objects); skipped (lint `kustomize build` output instead)",
                    found.display
                ),
                Err(why) => format!("{}: {why}", found.display),
            };
            file_notes.push((order, note));
            continue;
        }
        let (display, kind, other_path, origin) = found.into_parts();
        let (content, dir) = match early {
            // The folder is taken from the path when the file is worked on.
            None => (Content::Path(other_path, origin), None),
            Some(Ok(text)) => {
                let path = other_path.unwrap_or_else(|| PathBuf::from(&display));
                (Content::Text(text), path.parent().map(Path::to_path_buf))
            }
            Some(Err(why)) => {
                file_notes.push((order, format!("{display}: {why}")));
                continue;
            }
        };
        sources.push(Source {
            display,
            kind,
            dir,
            content,
            order,
        });
    }
    let Some((mut report, unreadable)) =
        lint_sources(sources, settings, overlay, discovery_configs)
    else {
        return Err(ConfigError(STOPPED.into()));
    };
    file_notes.extend(unreadable);
    file_notes.sort_by_key(|(order, _)| *order);
    notes.extend(file_notes.into_iter().map(|(_, note)| note));
    notes.append(&mut report.notes);
    if let Some(change) = &settings.change {
        notes.extend(change.unreviewed(&repositories));
    }
    report.notes = notes;
    Ok(report)
}

/// Read a file as text, within the size cap. Invalid UTF-8 is replaced (positions stay on the
/// right line).
///
/// The file is opened once and everything is checked on the open handle: it must be a regular
/// file (a FIFO, socket or device is refused by its metadata before any byte is read) and at
/// most `max_bytes` long; reading stops after `max_bytes + 1` bytes whatever the metadata said
/// (files in `/proc` report a size of 0), so the cap holds even for a file that grows. It is
/// opened non-blocking (see [`open_nonblocking`]), so neither the open nor the read waits.
pub fn read_file(path: &Path, max_bytes: u64) -> Result<String, String> {
    read_bytes(path, max_bytes).map(decode)
}

/// Bytes as text, invalid UTF-8 replaced.
pub(crate) fn decode(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The text of a found file: the editor's buffer when `overlay` holds one, else the file on
/// disk. A buffer is held to the same size limit as the file it stands for. With the text, when
/// it was read from disk, how the file read was found (its identity the file read now).
#[allow(clippy::type_complexity)]
fn read_overlaid(
    path: &Path,
    origin: Option<discover::Origin>,
    overlay: &(dyn Fn(&Path) -> Option<String> + Sync),
    max_bytes: u64,
) -> Result<(String, Option<Option<discover::Origin>>), String> {
    match overlay(path) {
        Some(text) if text.len() as u64 > max_bytes => {
            Err(over_size_limit(text.len() as u64, max_bytes))
        }
        Some(text) => Ok((text, None)),
        None => read_bytes_found(path, max_bytes, origin).map(|(bytes, identity)| {
            let origin = origin.map(|origin| discover::Origin { identity, ..origin });
            (decode(bytes), Some(origin))
        }),
    }
}

/// The note for a file of `len` bytes that is over the `max-file-size` limit.
pub(crate) fn over_size_limit(len: u64, max_bytes: u64) -> String {
    format!("{len} bytes is over the {max_bytes} byte limit (max-file-size); skipped")
}

/// [`read_file`] before the bytes are decoded (see [`source::ByteMap`] for what decoding
/// changes).
pub fn read_bytes(path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file; skipped".into());
    }
    let over = |len: u64| over_size_limit(len, max_bytes);
    if meta.len() > max_bytes {
        return Err(over(meta.len()));
    }
    let file = open_nonblocking(path).map_err(|e| format!("cannot read: {e}"))?;
    read_opened(file, max_bytes)
}

/// [`read_bytes`] of a file discovery found as `origin` says, and the identity of the file
/// read. Found files are read by their path after the walk, and another process can swap the
/// file or a folder on its way for a link in between, which would lead anywhere: to a file
/// outside the scanned folder, to a FIFO or a device. So the path is opened with its last name
/// not followed (non-blocking: a FIFO swapped in does not wait) and read when it opened the
/// file found (its device and inode); else (an editor's save renames a new file in) it is
/// opened again from the scanned folder down one name at a time, never through a link, and
/// what is there read if it is a regular file.
pub(crate) fn read_bytes_found(
    path: &Path,
    max_bytes: u64,
    origin: Option<discover::Origin>,
) -> Result<(Vec<u8>, Option<discover::Identity>), String> {
    #[cfg(unix)]
    if let Some(origin) = origin {
        use std::os::unix::fs::MetadataExt;
        let file = open_found(path, origin)?;
        let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
        let identity = (meta.dev(), meta.ino());
        return read_opened(file, max_bytes).map(|bytes| (bytes, Some(identity)));
    }
    let _ = origin;
    read_bytes(path, max_bytes).map(|bytes| (bytes, None))
}

/// The file found as `origin` at `path`, open to read (see [`read_bytes_found`]).
#[cfg(unix)]
fn open_found(path: &Path, origin: discover::Origin) -> Result<std::fs::File, String> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let same = |file: &std::fs::File| {
        origin.identity.is_some_and(|identity| {
            file.metadata()
                .is_ok_and(|meta| (meta.dev(), meta.ino()) == identity)
        })
    };
    let fast = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(path);
    if let Ok(file) = fast {
        if same(&file) {
            return Ok(file);
        }
    }
    match open_below(path, origin.below) {
        Ok(Some(file)) => Ok(file),
        Ok(None) => Err("not a regular file; skipped".into()),
        Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR)) => Err(
            "replaced since it was found (it, or a folder on its path, is a symbolic link now, which is not followed); not read"
                .into(),
        ),
        Err(e) => Err(format!("cannot read: {e}")),
    }
}

/// The regular file `path` opened to read: its folders but the last `below` names as the
/// system resolves them (the scanned folder as given), then each of those names from the folder
/// above it, never through a link; `None` when it is not a regular file.
#[cfg(unix)]
fn open_below(path: &Path, below: u32) -> std::io::Result<Option<std::fs::File>> {
    use crate::change::paths::fd;
    use std::os::fd::AsRawFd;
    use std::path::Component;
    let components: Vec<Component<'_>> = path.components().collect();
    let below = usize::try_from(below).unwrap_or(usize::MAX);
    let Some(top_len) = components.len().checked_sub(below).filter(|_| below > 0) else {
        return fd::open_file(libc::AT_FDCWD, path.as_os_str(), false);
    };
    let (top, names) = components.split_at(top_len);
    let top: PathBuf = top.iter().collect();
    let top = if top.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        top
    };
    let invalid = || std::io::Error::from(std::io::ErrorKind::InvalidInput);
    let (Some(Component::Normal(name)), folders) = (names.last(), &names[..names.len() - 1]) else {
        return Err(invalid());
    };
    let mut dir = fd::open_dir(libc::AT_FDCWD, top.as_os_str(), true)?;
    for folder in folders {
        let Component::Normal(folder) = folder else {
            return Err(invalid());
        };
        dir = fd::open_dir(dir.as_raw_fd(), folder, false)?;
    }
    fd::open_file(dir.as_raw_fd(), name, false)
}

/// Whether two metadata are of the same file (always, where the system gives no identity).
pub(crate) fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (a.dev(), a.ino()) == (b.dev(), b.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        true
    }
}

/// [`read_bytes`] of a file already opened (by a caller that found it from an open folder):
/// the same checks on what was opened, the same size cap and errors.
pub(crate) fn read_opened(file: std::fs::File, max_bytes: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;

    let over = |len: u64| over_size_limit(len, max_bytes);
    let opened = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !opened.is_file() {
        return Err("not a regular file; skipped".into());
    }
    if opened.len() > max_bytes {
        return Err(over(opened.len()));
    }
    let capacity = usize::try_from(opened.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity.saturating_add(1));
    file.take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > max_bytes {
        return Err(over(bytes.len() as u64));
    }
    if let Some(encoding) = wide_encoding(&bytes) {
        return Err(format!(
            "encoded in {encoding} (it starts with that byte-order mark), and shutdownlint reads UTF-8; skipped (convert it: `iconv -f {encoding} -t UTF-8`)"
        ));
    }
    Ok(bytes)
}

/// Open a file for reading without waiting: the path is checked before it is opened, but it
/// can be replaced in between (a branch switch while the language server lints). Opened
/// non-blocking, a FIFO with no writer does not block the open (and is then refused by its
/// metadata), and a file that passes for a regular one but waits for data (`/proc/kmsg`)
/// fails its read at once instead of blocking it. Regular files ignore the flag.
pub(crate) fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Where the kernel's own file systems are mounted. A file there can pass for a regular one
/// and still wait for data without end (`/proc/kmsg`, `/sys/kernel/tracing/trace_pipe`).
const KERNEL_DIRS: &[&str] = &["/proc", "/sys"];

/// Where `path` resolves, through links, when that is in `/proc` or `/sys`: never where a
/// repository keeps its git files. Neither the check nor the links it resolves open the file.
/// The run's own process folder is named `/proc/self` (its thread's `/proc/thread-self`), as
/// a link there says: the number changes from run to run, and messages must not.
pub(crate) fn kernel_file(path: &Path) -> Option<PathBuf> {
    let target = std::fs::canonicalize(path).ok()?;
    if !KERNEL_DIRS.iter().any(|dir| target.starts_with(dir)) {
        return None;
    }
    let own = Path::new("/proc").join(std::process::id().to_string());
    let Ok(rest) = target.strip_prefix(&own) else {
        return Some(target);
    };
    let mut names = rest.components();
    let thread = names.next().is_some_and(|c| c.as_os_str() == "task") && names.next().is_some();
    let (name, rest) = if thread {
        ("/proc/thread-self", names.as_path())
    } else {
        ("/proc/self", rest)
    };
    Some(if rest.as_os_str().is_empty() {
        PathBuf::from(name)
    } else {
        Path::new(name).join(rest)
    })
}

/// The UTF-16 or UTF-32 encoding a file's byte-order mark announces. Read as UTF-8 such a
/// file is NULs and mojibake: YAML of it would pass for "not Kubernetes" and be skipped
/// silently, a unit file for one with nothing to report.
fn wide_encoding(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xFE, 0, 0, ..] => Some("UTF-32LE"),
        [0, 0, 0xFE, 0xFF, ..] => Some("UTF-32BE"),
        [0xFF, 0xFE, ..] => Some("UTF-16LE"),
        [0xFE, 0xFF, ..] => Some("UTF-16BE"),
        _ => None,
    }
}

/// Where the text of a file to lint comes from.
enum Content {
    /// In memory already (stdin, editor buffers, tests, kustomization files).
    Text(String),
    /// On disk (or in the editor overlay): read in the parallel stage, right before the file is
    /// parsed, so only the files being worked on are in memory at once. The path to open, when
    /// it is not the shown path (see [`discover::Found::path`]), and the file on disk it was
    /// found as.
    Path(Option<PathBuf>, Option<discover::Origin>),
}

/// A file waiting to be linted.
struct Source {
    display: String,
    kind: FileKind,
    /// Where files it refers to are looked up (for [`Content::Path`]: its folder, when `None`).
    dir: Option<PathBuf>,
    content: Content,
    /// Place in discovery order, for the order of notes about unreadable files.
    order: usize,
}

impl From<InputFile> for Source {
    fn from(input: InputFile) -> Self {
        Source {
            display: input.display,
            kind: input.kind,
            dir: input.dir,
            content: Content::Text(input.text),
            order: usize::MAX,
        }
    }
}

/// How many files go through the parallel stage at once (see [`lint_sources`]): enough that
/// the threads rarely wait for each other at a chunk's end (2,048 made the 20x replica about 6%
/// slower), few enough that the per-file results in flight stay small (2 MB).
const STAGE_CHUNK: usize = 8192;

/// How many pod templates are lowered again at a time (see [`KEPT_WORKLOADS`]), from one file
/// or many: their facts are what such a part adds to the run's memory while its rules run. A
/// manifest with more is lowered again a range of its documents at a time. (One document can
/// still hold more: a `List` is bounded by the YAML node limit.)
pub const RELOWERED_AT_ONCE: usize = 2048;

/// Pod templates lowered later (see [`KEPT_WORKLOADS`]): a whole file's, or those of a range
/// of its documents ([`lower::kubernetes::Workloads::OnlyDocuments`]).
struct Relowered {
    file: FileId,
    documents: Option<(u32, u32)>,
    /// How many pod templates (objects) the first reading found.
    templates: usize,
}

/// Cut a manifest's left-out pod templates (per document, see [`formats::Fragment::left_out`])
/// into ranges of documents of at most `at_once` templates each (a document with more is a
/// range of its own).
fn relowered_ranges(
    file: FileId,
    left_out: &[(u32, u32)],
    at_once: usize,
    out: &mut Vec<Relowered>,
) {
    let mut current: Option<Relowered> = None;
    for &(document, templates) in left_out {
        let templates = templates as usize;
        match &mut current {
            Some(range) if range.templates.saturating_add(templates) <= at_once => {
                range.documents = range
                    .documents
                    .map(|(first, _)| (first, document.saturating_add(1)));
                range.templates += templates;
            }
            _ => {
                out.extend(current.take());
                current = Some(Relowered {
                    file,
                    documents: Some((document, document.saturating_add(1))),
                    templates,
                });
            }
        }
    }
    out.extend(current);
}

/// Per-file results of the parallel stage.
struct FileOutput {
    file: FileId,
    /// The file as it enters [`Files`].
    path: String,
    /// The path it was opened by, when `path` does not open it.
    opened: Option<PathBuf>,
    kind: FileKind,
    text: Kept,
    /// The folder of a file whose facts image linking resolves next to it (see
    /// [`formats::Fragment::links_by_folder`]).
    dir: Option<PathBuf>,
    /// For a compose file, Procfile or fly.toml: the scanned folder it was found in (see
    /// [`scanned_root`]).
    root: Option<PathBuf>,
    /// `None` when the file gave no model facts (most files of a big tree: CRDs, other YAML).
    fragment: Option<Box<formats::Fragment>>,
    diagnostics: Vec<Diagnostic>,
    suppressions: Vec<Suppression>,
    /// The file was not linted; the note says why (`Some("")`: silently, not our format).
    skipped: Option<String>,
    /// The file could not be read: its place in discovery order and the note.
    unreadable: Option<(usize, String)>,
    /// Regions of the file rendered from a Helm template, with the template path.
    template_sources: Vec<(Span, Arc<str>)>,
}

/// How a file's text is kept for the output and the rules.
enum Kept {
    /// Released (nothing can point into it), or the file could not be read.
    Nothing,
    /// In memory (it was handed in as text).
    Memory(Arc<str>),
    /// Read from disk: [`Files`] reads it again.
    Disk(source::OnDisk),
}

/// Lint files already in memory (stdin, the language server, tests). A run stopped by
/// [`Settings::stop`] gives an empty report.
pub fn lint_inputs(inputs: Vec<InputFile>, settings: &Settings) -> Report {
    let sources = inputs.into_iter().map(Source::from).collect();
    lint_sources(sources, settings, &|_| None, 0)
        .map(|(report, _)| report)
        .unwrap_or_default()
}

/// The pipeline after discovery: read, parse and lower each file in parallel (dropping its
/// tree, and its text when nothing can point into it), merge the facts into one model, link,
/// run the rules, apply suppressions and sort. Also returns notes about files that could not
/// be read, with their place in discovery order. `None` when [`Settings::stop`] was set: it is
/// looked at before each file and each stage after the files. `default_configs`: the servers'
/// default config files discovery saw ([`discover::Discovery::default_configs`]).
fn lint_sources(
    mut sources: Vec<Source>,
    settings: &Settings,
    overlay: &(dyn Fn(&Path) -> Option<String> + Sync),
    default_configs: u8,
) -> Option<(Report, Vec<(usize, String)>)> {
    // File ids follow the shown path; the sort is stable.
    sources.sort_by(|a, b| a.display.cmp(&b.display));
    let lower_options = formats::LowerOptions {
        procfile_kill_timeout: settings
            .config
            .procfile
            .kill_timeout
            .as_deref()
            .and_then(shell::commands::parse_duration_seconds),
        workloads: lower::kubernetes::Workloads::Lower,
    };
    // The files go through the parallel stage a chunk at a time, and each chunk's results are
    // folded in before the next starts: what a file leaves behind is its entry, its facts and
    // its findings, never a whole-tree vector of per-file results (or of sources already
    // done). With a hundred thousand files those cost more than the facts.
    let mut chunks = Vec::with_capacity(sources.len().div_ceil(STAGE_CHUNK));
    while !sources.is_empty() {
        let start = (sources.len() - 1) / STAGE_CHUNK * STAGE_CHUNK;
        chunks.push(sources.split_off(start));
    }
    drop(sources);

    // Only files that keep something have an entry (see `Files::push_released`): how many is
    // known at the end.
    let mut files = Files::default();
    let mut dirs = HashMap::new();
    let mut roots = HashMap::new();
    let mut fragments = Vec::new();
    let mut diagnostics = Vec::new();
    // One copy of each text the findings say (most repeat), kept until they are sorted.
    let mut shared = diagnostic::Shared::default();
    let mut suppressions = Vec::new();
    let mut notes = Vec::new();
    let mut unreadable = Vec::new();
    let mut released_paths = Vec::new();
    let mut opened_paths = Vec::new();
    let mut linted_files = 0;
    let mut template_sources: HashMap<FileId, Vec<(Span, Arc<str>)>> = HashMap::new();
    // Kubernetes workloads kept so far, and the manifests (or their parts) whose workloads are
    // lowered later (see `KEPT_WORKLOADS`).
    let mut kept_workloads = 0usize;
    let mut relowered: Vec<Relowered> = Vec::new();
    let at_once = settings.relowered_at_once.max(1);
    // Split from the end: the last chunk holds the first files.
    while let Some(chunk) = chunks.pop() {
        let first = files.len();
        // Once a manifest's workloads were not kept, manifests are read without lowering their
        // pod templates: those are lowered later, once (see `KEPT_WORKLOADS`). So is a manifest
        // with more pod templates than can be kept.
        let chunk_options = formats::LowerOptions {
            workloads: if !relowered.is_empty() || kept_workloads >= settings.kept_workloads {
                lower::kubernetes::Workloads::LeaveOut
            } else if settings.kept_workloads == usize::MAX {
                lower::kubernetes::Workloads::Lower
            } else {
                lower::kubernetes::Workloads::LowerAtMost(settings.kept_workloads)
            },
            ..lower_options.clone()
        };
        // A stopped run leaves the rest of the chunk unread.
        let outputs: Option<Vec<FileOutput>> = chunk
            .into_par_iter()
            .enumerate()
            .map(|(index, source)| {
                let id = FileId(u32::try_from(first + index).unwrap_or(u32::MAX));
                (!settings.stopped()).then(|| {
                    process_source(id, source, settings.max_file_bytes, overlay, &chunk_options)
                })
            })
            .collect();
        let outputs = outputs?;
        for mut output in outputs {
            if let Some(fragment) = output.fragment.as_deref_mut() {
                if !fragment.left_out.is_empty() {
                    let left_out = std::mem::take(&mut fragment.left_out);
                    relowered_ranges(output.file, &left_out, at_once, &mut relowered);
                } else if fragment.has_only_kubernetes_workloads() {
                    // The files whose workloads are kept come first: once one is not, no later
                    // one is.
                    let count = fragment.workloads.len();
                    if !relowered.is_empty()
                        || kept_workloads.saturating_add(count) > settings.kept_workloads
                    {
                        relowered.push(Relowered {
                            file: output.file,
                            documents: None,
                            templates: count,
                        });
                        fragment.workloads = Vec::new();
                    } else {
                        kept_workloads += count;
                    }
                }
            }
            let opened = output.opened.take();
            if settings.keep_released_paths && !matches!(output.text, Kept::Nothing) {
                opened_paths.extend(opened.clone().map(|path| (output.file, path)));
            }
            // Ids were given in this order, so pushing keeps them.
            match output.text {
                Kept::Memory(text) => files.push(SourceFile {
                    path: output.path,
                    kind: output.kind,
                    text,
                }),
                Kept::Disk(on_disk) => files.push_on_disk(output.path, output.kind, on_disk),
                Kept::Nothing => {
                    // A file that could not be read was not linted: nothing is known about it.
                    if settings.keep_released_paths && output.unreadable.is_none() {
                        released_paths.push(opened.unwrap_or_else(|| PathBuf::from(output.path)));
                    }
                    files.push_released()
                }
            };
            if let Some(dir) = output.dir.take() {
                dirs.insert(output.file, dir);
            }
            if let Some(root) = output.root.take() {
                roots.insert(output.file, root);
            }
            if let Some(note) = output.unreadable {
                unreadable.push(note);
                continue;
            }
            match output.skipped {
                Some(note) if !note.is_empty() => notes.push(note),
                Some(_) => {}
                None => linted_files += 1,
            }
            if !output.template_sources.is_empty() {
                let mut regions = output.template_sources;
                regions.sort_by_key(|(span, _)| span.start);
                template_sources.insert(output.file, regions);
            }
            fragments.extend(output.fragment);
            shared.compact(&mut output.diagnostics);
            diagnostics.extend(output.diagnostics);
            suppressions.extend(output.suppressions);
        }
    }

    if settings.stopped() {
        return None;
    }
    files.shrink_to_fit();
    let mut model = Model::default();
    // Every fact's place is known: no vector of the model grows (and copies itself) while
    // merging.
    formats::reserve(&mut model, fragments.iter().map(|fragment| &**fragment));
    for fragment in fragments {
        fragment.merge_into(&mut model);
    }
    let systemd_files = std::mem::take(&mut model.systemd_files);
    lower::systemd::lower_units(systemd_files, &mut model);
    // Override files and `extends`: the services `docker compose up` runs.
    // Services of an `-f` overlay that may be a standalone file: merged over the base file's
    // (`twins`), judged beside the service alone (in the model); linked as the model's are.
    let mut twins = Vec::new();
    notes.extend(lower::compose_project::apply(
        &mut model,
        &files,
        &mut suppressions,
        &mut twins,
    ));
    let alone_count = model.workloads.len();
    let twin_of: Vec<usize> = twins.iter().map(|&(i, _)| i).collect();
    model
        .workloads
        .extend(twins.into_iter().map(|(_, workload)| workload));
    // The nginx image's template settings an `env_file` of the scan gives a compose service.
    if !model.nginx.is_empty() {
        lower::compose::read_env_files(
            &mut model.workloads,
            &files,
            &roots,
            settings.max_file_bytes,
        );
    }
    let mut image_links = link::link_images(&mut model, &files, &dirs, &settings.config, &roots);
    notes.extend(image_links.take_notes());
    // Only image linking looks up files next to others.
    drop(dirs);
    // Indexed once, for the model's pod templates and those lowered later.
    model.services.sort_by_key(|s| s.location);
    let services = link::ServiceIndex::new(&model.services, &files);
    services.link(&mut model.workloads, &files);
    analysis::analyze_workloads(&mut model.workloads);
    let mut scripts = link::Scripts::new(settings.max_file_bytes, roots, default_configs);
    let mut linked = link::Linked::default();
    scripts.link(&model.images, &mut model.workloads, &mut files, &mut linked);
    let twins = model
        .workloads
        .split_off(alone_count.min(model.workloads.len()));
    let mut rest = relowered.as_slice();
    while !rest.is_empty() {
        if settings.stopped() {
            return None;
        }
        // A part: as many files or ranges as hold `at_once` pod templates, at least one.
        let mut templates = 0usize;
        let end = rest
            .iter()
            .position(|r| {
                templates = templates.saturating_add(r.templates);
                templates > at_once
            })
            .unwrap_or(rest.len())
            .max(1);
        let (part, after) = rest.split_at(end);
        rest = after;
        // Each file's workloads are linked as the model's were; scripts are read one at
        // a time.
        let mut workloads: Vec<Workload> = part
            .par_iter()
            .flat_map_iter(|relowered| {
                let options = formats::LowerOptions {
                    workloads: match relowered.documents {
                        Some((first, end)) => {
                            lower::kubernetes::Workloads::OnlyDocuments(first, end)
                        }
                        None => lower::kubernetes::Workloads::Only,
                    },
                    ..lower_options.clone()
                };
                let mut workloads = relower(&files, relowered.file, &options);
                image_links.link_kubernetes(&mut workloads);
                services.link(&mut workloads, &files);
                analysis::analyze_workloads(&mut workloads);
                workloads
            })
            .collect();
        scripts.link(&model.images, &mut workloads, &mut files, &mut linked);
        let context = RuleContext {
            model: &model,
            workloads: &workloads,
            files: &files,
            config: &settings.config,
            change: None,
            selection: &settings.selection,
            nginx_scan: std::sync::OnceLock::new(),
        };
        let found = run_rules(&context, rules::Scope::Workloads, &mut shared);
        diagnostics.reserve(found.iter().map(Vec::len).sum());
        diagnostics.extend(found.into_iter().flatten());
    }
    linked.notes.extend(services.notes());
    drop((image_links, services, scripts));
    if settings.stopped() {
        return None;
    }
    suppressions.extend(std::mem::take(&mut linked.suppressions));
    let change = settings
        .change
        .as_ref()
        .map(|set| change::attach(set, &mut files, &mut suppressions));
    if let Some(change) = &change {
        linted_files += change.migration_files.iter().flatten().count();
        notes.extend(change.set.notes.iter().cloned());
    }

    let context = RuleContext {
        model: &model,
        workloads: &model.workloads,
        files: &files,
        config: &settings.config,
        change: change.as_ref(),
        selection: &settings.selection,
        nginx_scan: std::sync::OnceLock::new(),
    };
    let found = run_rules(&context, rules::Scope::Tree, &mut shared);
    // The nginx index says when it stopped following includes.
    if let Some(scan) = context.nginx_scan.get() {
        notes.extend(scan.notes());
    }
    // What the rules shared (the nginx index) goes before the findings are sorted.
    drop(context);
    diagnostics.reserve_exact(found.iter().map(Vec::len).sum());
    diagnostics.extend(found.into_iter().flatten());
    if !twins.is_empty() {
        only_what_both_find(
            &mut diagnostics,
            (&twins, &twin_of),
            &RuleContext {
                model: &model,
                workloads: &[],
                files: &files,
                config: &settings.config,
                change: change.as_ref(),
                selection: &settings.selection,
                nginx_scan: std::sync::OnceLock::new(),
            },
            &mut shared,
        );
    }
    drop(twins);
    drop(shared);
    // The services of a CI or test overlay (`docker-compose.ci.yml`) are not judged by the
    // drain rules: nothing drains in a test job (kept as stand-ins for SL001).
    let test_files: std::collections::HashSet<u32> = files
        .iter()
        .filter(|(_, f)| f.kind == FileKind::Compose)
        .filter(|(_, f)| {
            let name = f.path.rsplit('/').next().unwrap_or(f.path);
            lower::compose_project::test_overlay_name(name)
        })
        .map(|(id, _)| id.0)
        .collect();
    if !test_files.is_empty() {
        for d in &mut diagnostics {
            if matches!(d.code, "SL301" | "SL303")
                && d.subject.is_some_and(|s| {
                    u32::try_from(s.get() >> 32).is_ok_and(|f| test_files.contains(&f))
                })
            {
                d.unjudged = true;
            }
        }
    }
    // Compose services left unjudged (an `extends` not followed, an `-f` overlay's fragment):
    // their labels cannot be told stale.
    let unjudged: std::collections::HashSet<std::num::NonZeroU64> = model
        .workloads
        .iter()
        .filter(|w| w.compose.is_some() && w.processes.is_empty())
        .filter_map(|w| suppress::subject(w.location.file, w.location.span.start))
        .collect();
    // The stand-ins for findings the rules could not judge: they only keep suppressions there
    // from being called unused.
    let (stand_ins, diagnostics): (Vec<Diagnostic>, Vec<Diagnostic>) =
        diagnostics.into_iter().partition(|d| d.unjudged);
    let mut diagnostics = finish(
        diagnostics,
        stand_ins,
        &suppressions,
        &files,
        &settings.selection,
        &unjudged,
    );
    for d in &mut diagnostics {
        d.source = template_sources
            .get(&d.location.file)
            .and_then(|regions| {
                // Sorted by start (documents do not overlap): the last region starting at or
                // before the finding, if it holds it. One chart can render 10,000 documents.
                let at = d.location.span.start;
                let after = regions.partition_point(|(span, _)| span.start <= at);
                regions
                    .get(after.checked_sub(1)?)
                    .filter(|(span, _)| span.contains(at))
            })
            .map(|(_, source)| source.clone());
    }
    notes.extend(linked.notes);
    // A note said twice is printed once: a standalone `-f` overlay's service and its merged
    // twin are both linked, and say the same of the Dockerfile they build.
    let mut seen = std::collections::HashSet::new();
    let keep: Vec<bool> = notes.iter().map(|n| seen.insert(n.as_str())).collect();
    drop(seen);
    let mut keep = keep.into_iter();
    notes.retain(|_| keep.next().unwrap_or(true));
    let report = Report {
        files,
        diagnostics,
        notes,
        linted_files,
        model,
        released_paths,
        opened_paths,
    };
    Some((report, unreadable))
}

/// For compose services of an `-f` overlay that may be a standalone file: whether compose is
/// given the file alone or after the base file is not known, so a finding of the per-workload
/// rules about such a service (the model's workload `twin_of[k]`, judged alone) is reported
/// only when the service merged over the base file's (`twins[k]`) makes it too. Findings are
/// compared by rule and service (the workload), not by place: alone, SL301 points at the
/// overlay's command, merged at the base file's `stop_grace_period`. When both readings make
/// it, the merged reading's finding is reported (the documented use is `-f base -f overlay`),
/// at the overlay file's place when it points into another file. A service the alone reading
/// cannot judge (no process known: a registry `image:` without a command) vetoes nothing: the
/// merged reading's findings about it are reported. Findings about no service (a script of
/// the image) are compared by rule and place, as before. What is not reported stays as an
/// unjudged stand-in, so a suppression that covers it is not called unused (SL001).
///
/// Linear in the findings: both readings' findings are grouped in hash maps.
fn only_what_both_find(
    diagnostics: &mut Vec<Diagnostic>,
    (twins, twin_of): (&[Workload], &[usize]),
    context: &RuleContext<'_>,
    shared: &mut diagnostic::Shared,
) {
    use std::collections::HashSet;
    use std::num::NonZeroU64;
    let alone: Vec<Workload> = twin_of
        .iter()
        .filter_map(|&i| context.model.workloads.get(i).cloned())
        .collect();
    // Each twin's service: where its name is, and whether the alone reading can judge it (it
    // knows a command, an environment variable the rules read or a drain label).
    let services: HashMap<NonZeroU64, (Location, bool)> = twins
        .iter()
        .zip(twin_of)
        .filter_map(|(twin, &i)| {
            let subject = suppress::subject(twin.location.file, twin.location.span.start)?;
            let judges = context.model.workloads.get(i).is_some_and(|w| {
                w.drain_annotation.is_some()
                    || w.processes
                        .iter()
                        .any(|p| p.command.is_some() || !p.env.is_empty())
            });
            Some((subject, (twin.location, judges)))
        })
        .collect();
    let found = |workloads: &[Workload], shared: &mut diagnostic::Shared| {
        let context = RuleContext {
            model: context.model,
            workloads,
            files: context.files,
            config: context.config,
            change: context.change,
            selection: context.selection,
            nginx_scan: std::sync::OnceLock::new(),
        };
        run_rules(&context, rules::Scope::Workloads, shared)
            .into_iter()
            .flatten()
            .filter(|d| !d.unjudged)
    };
    // The merged reading's findings: about a twin's service by (rule, service); the others by
    // (rule, place).
    let mut merged: HashMap<(&'static str, NonZeroU64), Vec<Diagnostic>> = HashMap::new();
    let mut merged_places: HashSet<(&'static str, Location)> = HashSet::new();
    for d in found(twins, shared) {
        match d.subject.filter(|s| services.contains_key(s)) {
            Some(subject) => merged.entry((d.code, subject)).or_default().push(d),
            None => {
                merged_places.insert((d.code, d.location));
            }
        }
    }
    // The alone reading's: by (rule, service), with the first place in the service's file;
    // the others by (rule, place) when the merged reading does not make them there.
    let mut alone_found: HashMap<(&'static str, NonZeroU64), Option<Location>> = HashMap::new();
    let mut only_alone: HashMap<(&'static str, Location), Vec<diagnostic::Message>> =
        HashMap::new();
    for d in found(&alone, shared) {
        match d.subject.filter(|s| services.contains_key(s)) {
            Some(subject) => {
                let file = services.get(&subject).map(|(at, _)| at.file);
                let place = alone_found.entry((d.code, subject)).or_default();
                if place.is_none() && Some(d.location.file) == file {
                    *place = Some(d.location);
                }
            }
            None if !merged_places.contains(&(d.code, d.location)) => only_alone
                .entry((d.code, d.location))
                .or_default()
                .push(d.message),
            None => {}
        }
    }
    drop(alone);
    // The alone reading's findings in the report: replaced by the merged reading's, or held
    // back when only the alone reading makes them.
    for d in diagnostics.iter_mut() {
        let about_twin = d
            .subject
            .is_some_and(|s| alone_found.contains_key(&(d.code, s)));
        if about_twin
            || only_alone
                .get(&(d.code, d.location))
                .is_some_and(|messages| messages.contains(&d.message))
        {
            d.unjudged = true;
        }
    }
    let mut reported: Vec<((&'static str, NonZeroU64), Vec<Diagnostic>)> = merged
        .into_iter()
        .filter(|(key, _)| {
            alone_found.contains_key(key) || services.get(&key.1).is_some_and(|(_, j)| !j)
        })
        .collect();
    // In the order of the input (the report is sorted later; this keeps the run deterministic).
    reported.sort_unstable_by_key(|((code, subject), _)| (*subject, *code));
    for ((code, subject), found) in reported {
        let Some(&(service, _)) = services.get(&subject) else {
            continue;
        };
        let alone_place = alone_found.get(&(code, subject)).copied().flatten();
        for mut d in found {
            if d.location.file != service.file {
                // Merged, it points into the base file (where the base file's own service
                // may be reported already): it is put at the overlay's service, the place it
                // pointed at kept as a label.
                let said = d
                    .primary_label
                    .take()
                    .unwrap_or_else(|| Arc::from("from the base file"));
                d.labels.push(diagnostic::Label {
                    location: d.location,
                    message: said,
                });
                d.location = alone_place.unwrap_or(service);
                let merged = "judged merged over the base file (`-f` base file `-f` this file)";
                // A label at the new place becomes the primary one's.
                let primary = match d.labels.iter().position(|l| l.location == d.location) {
                    Some(i) => format!("{}; {merged}", d.labels.remove(i).message),
                    None => merged.to_string(),
                };
                d.primary_label = Some(Arc::from(primary));
            }
            diagnostics.push(d);
        }
    }
}

/// Run the enabled rules in parallel, each rule's findings in one vector, their texts shared
/// through `shared`: for the whole scan ([`rules::Scope::Tree`]) every rule, for a part of the
/// workloads ([`rules::Scope::Workloads`]) the rules of that scope.
fn run_rules(
    context: &RuleContext<'_>,
    scope: rules::Scope,
    shared: &mut diagnostic::Shared,
) -> Vec<Vec<Diagnostic>> {
    let mut found: Vec<Vec<Diagnostic>> = rules::all()
        .par_iter()
        .filter(|rule| scope == rules::Scope::Tree || rule.scope == scope)
        .filter(|rule| context.selection.is_enabled(rule.code))
        .map(|rule| {
            let mut out = Vec::new();
            (rule.check)(context, &mut Reporter::new(rule, &mut out));
            out.shrink_to_fit();
            out
        })
        .collect();
    for out in &mut found {
        shared.compact(out);
    }
    found
}

/// The Kubernetes workloads of a file whose workloads were not kept (see [`KEPT_WORKLOADS`]),
/// lowered from the text that was linted (with `options` lowering only pod templates): the
/// facts lowering it whole gives (a manifest is lowered without its folder: only Dockerfiles
/// use it). A file that changed on disk since reads as empty (see [`Files::changed`]) and
/// gives none.
fn relower(files: &Files, id: FileId, options: &formats::LowerOptions) -> Vec<Workload> {
    let file = SourceFile {
        path: files.path(id).to_string(),
        kind: files.kind(id),
        text: files.text_uncached(id),
    };
    match formats::parse_and_lower(id, &file, None, None, options) {
        formats::Parsed::Lowered(mut fragment) => {
            fragment.shrink_to_fit();
            fragment.workloads
        }
        _ => Vec::new(),
    }
}

/// Read (when on disk), parse and lower one file; keep its text only if something can point
/// into it.
fn process_source(
    id: FileId,
    source: Source,
    max_file_bytes: u64,
    overlay: &(dyn Fn(&Path) -> Option<String> + Sync),
    options: &formats::LowerOptions,
) -> FileOutput {
    let Source {
        display,
        kind,
        dir,
        content,
        order,
    } = source;
    let opened = match &content {
        Content::Path(path, _) => path.clone(),
        Content::Text(_) => None,
    };
    let root = matches!(kind, FileKind::Compose | FileKind::Procfile | FileKind::Fly)
        .then(|| scanned_root(&display, dir.as_deref(), &content))
        .flatten();
    let dir = dir.or_else(|| match &content {
        Content::Path(path, _) => path
            .as_deref()
            .unwrap_or_else(|| Path::new(&display))
            .parent()
            .map(Path::to_path_buf),
        Content::Text(_) => None,
    });
    // Where the text came from: a file read from disk is read again for the output rather
    // than kept.
    let mut on_disk = None;
    // The name on disk (the display path shows one that is not UTF-8 lossily).
    let disk_name = match &content {
        Content::Path(path, _) if kind == FileKind::Dockerfile => path
            .as_deref()
            .unwrap_or_else(|| Path::new(&display))
            .file_name()
            .map(std::ffi::OsStr::to_os_string),
        _ => None,
    };
    let text = match content {
        Content::Text(text) => Ok(text),
        Content::Path(other_path, origin) => {
            let path = other_path.as_deref().unwrap_or_else(|| Path::new(&display));
            match read_overlaid(path, origin, overlay, max_file_bytes) {
                Ok((text, from_disk)) => {
                    // Read again for the output as the file that was read now.
                    if let Some(origin) = from_disk {
                        on_disk = Some((other_path, origin));
                    }
                    Ok(text)
                }
                Err(why) => Err(format!("{display}: {why}")),
            }
        }
    };
    let text = match text {
        Ok(text) => source::with_line_breaks(kind, text),
        Err(note) => {
            return FileOutput {
                file: id,
                path: display,
                opened,
                kind,
                text: Kept::Nothing,
                dir,
                root: None,
                fragment: None,
                diagnostics: Vec::new(),
                suppressions: Vec::new(),
                skipped: None,
                unreadable: Some((order, note)),
                template_sources: Vec::new(),
            }
        }
    };
    let file = SourceFile {
        path: display,
        kind,
        text: Arc::from(text),
    };
    let mut output = process_file(id, &file, dir.as_deref(), disk_name.as_deref(), options);
    // Findings and labels point into files through model facts, parse problems and
    // suppressions; a file with none of them is never shown, so its text can go. Entrypoint
    // scripts handed in (editor buffers) are kept: linking looks them up by path.
    let needed = kind == FileKind::ShellScript
        || output.fragment.is_some()
        || !output.diagnostics.is_empty()
        || !output.suppressions.is_empty()
        || !output.template_sources.is_empty();
    output.path = file.path;
    output.opened = opened;
    output.text = match (needed, on_disk) {
        (false, _) => Kept::Nothing,
        (true, Some((path, origin))) if kind != FileKind::ShellScript => {
            Kept::Disk(source::OnDisk::new(path, &file.text).found_as(origin))
        }
        (true, _) => Kept::Memory(file.text),
    };
    output.dir = output
        .fragment
        .as_deref()
        .filter(|fragment| fragment.links_by_folder())
        .and(dir);
    output.root = output.fragment.is_some().then_some(root).flatten();
    output
}

/// The scanned folder a file was found in: its path without the names the walk went down
/// from the folder given (see [`discover::Origin::below`]). For a file handed in as text, or
/// read without an origin, its own folder. Lookups of other files on its behalf stay inside
/// it (see [`link::Scripts`]).
fn scanned_root(display: &str, dir: Option<&Path>, content: &Content) -> Option<PathBuf> {
    let (path, below) = match content {
        Content::Path(path, Some(origin)) => (
            path.as_deref().unwrap_or_else(|| Path::new(display)),
            usize::try_from(origin.below).ok()?,
        ),
        Content::Path(path, None) => (path.as_deref().unwrap_or_else(|| Path::new(display)), 1),
        Content::Text(_) => return dir.map(Path::to_path_buf),
    };
    let components: Vec<_> = path.components().collect();
    let kept = components.len().checked_sub(below)?;
    Some(components[..kept].iter().collect())
}

fn process_file(
    id: FileId,
    file: &SourceFile,
    dir: Option<&Path>,
    name: Option<&std::ffi::OsStr>,
    options: &formats::LowerOptions,
) -> FileOutput {
    let suppressions = suppress::parse(id, &file.text, file.kind.comment_chars());
    let mut output = FileOutput {
        file: id,
        path: String::new(),
        opened: None,
        kind: file.kind,
        text: Kept::Nothing,
        dir: None,
        root: None,
        fragment: None,
        diagnostics: Vec::new(),
        suppressions,
        skipped: None,
        unreadable: None,
        template_sources: Vec::new(),
    };
    match formats::parse_and_lower(id, file, dir, name, options) {
        formats::Parsed::Lowered(mut fragment) => {
            let facts = std::mem::take(&mut fragment.file_facts);
            output.suppressions.extend(facts.suppressions);
            output.template_sources = facts.template_sources;
            for problem in facts.problems {
                output.diagnostics.push(rules::parse_error::problem(
                    Location::new(id, problem.span),
                    &problem.message,
                ));
            }
            fragment.shrink_to_fit();
            output.fragment = (!fragment.is_empty()).then_some(fragment);
        }
        formats::Parsed::Ignored => {
            output.suppressions.clear();
            output.skipped = Some(String::new());
        }
        formats::Parsed::Skipped(note) => {
            output.suppressions.clear();
            output.skipped = Some(note);
        }
        formats::Parsed::Failed(error) => output.diagnostics.push(rules::parse_error::diagnostic(
            Location::new(id, error.span),
            &error.message,
        )),
    }
    output
}

/// Apply selection, severities and suppressions; add SL001; sort.
fn finish(
    mut diagnostics: Vec<Diagnostic>,
    mut stand_ins: Vec<Diagnostic>,
    suppressions: &[Suppression],
    files: &Files,
    selection: &Selection,
    unjudged: &std::collections::HashSet<std::num::NonZeroU64>,
) -> Vec<Diagnostic> {
    diagnostics.retain(|d| selection.is_enabled(d.code));
    for d in &mut diagnostics {
        if let Some(severity) = selection.severity(d.code) {
            d.severity = severity;
        }
    }
    let unused = suppress::apply(&mut diagnostics, suppressions);
    if selection.is_enabled("SL001") {
        // Suppressions at places a rule could not judge: unused for all we know.
        stand_ins.retain(|d| selection.is_enabled(d.code));
        let unjudged_too: Option<std::collections::HashSet<*const suppress::SuppressedRule>> =
            (!stand_ins.is_empty()).then(|| {
                suppress::apply(&mut stand_ins, suppressions)
                    .into_iter()
                    .map(std::ptr::from_ref)
                    .collect()
            });
        let not_judged: std::collections::HashSet<*const suppress::SuppressedRule> = suppressions
            .iter()
            .filter(|s| s.service.is_some_and(|service| unjudged.contains(&service)))
            .flat_map(|s| s.rules.iter().map(std::ptr::from_ref))
            .collect();
        for rule in unused {
            // A label of a service that is not judged silences nothing for all we know.
            if not_judged.contains(&std::ptr::from_ref(rule)) {
                continue;
            }
            // A suppression of a rule that is not running cannot be judged.
            if rule.code.is_some_and(|code| !selection.is_enabled(code)) {
                continue;
            }
            // Nor one at a place the rule could not judge.
            if unjudged_too
                .as_ref()
                .is_some_and(|unused_there| !unused_there.contains(&std::ptr::from_ref(rule)))
            {
                continue;
            }
            let mut d = rules::unused_suppression::diagnostic(rule);
            if let Some(severity) = selection.severity(d.code) {
                d.severity = severity;
            }
            diagnostics.push(d);
        }
    }
    sort(&mut diagnostics, files);
    diagnostics
}

/// What orders two labels: where they point, then what they say.
fn label_key<'a>(
    files: &'a Files,
    label: &'a diagnostic::Label,
) -> (&'a str, usize, usize, &'a str) {
    let at = label.location;
    (
        files.path(at.file),
        at.span.start,
        at.span.end,
        &label.message,
    )
}

/// Deterministic order: path, start, rule, end, message, labels. Findings of one rule at the
/// same place with the same message (one script used by two Dockerfiles) are merged, keeping
/// every label.
pub fn sort(diagnostics: &mut Vec<Diagnostic>, files: &Files) {
    diagnostics.sort_by(|a, b| {
        files
            .path(a.location.file)
            .cmp(files.path(b.location.file))
            .then(a.location.span.start.cmp(&b.location.span.start))
            .then(a.code.cmp(b.code))
            .then(a.location.span.end.cmp(&b.location.span.end))
            .then(a.message.cmp(&b.message))
            // The same finding reached from several places (one script used by two
            // Dockerfiles): by its labels, so which is kept, and the order of the labels
            // merged into it, do not depend on the order the rules ran in.
            .then_with(|| {
                let key = |l| label_key(files, l);
                a.labels.iter().map(key).cmp(b.labels.iter().map(key))
            })
    });
    // In place: a second vector of every finding would be the run's peak.
    diagnostics.dedup_by(|d, kept| {
        let same = kept.code == d.code && kept.location == d.location && kept.message == d.message;
        if same {
            for label in std::mem::take(&mut d.labels) {
                if !kept.labels.contains(&label) {
                    kept.labels.push(label);
                }
            }
        }
        same
    });
}

/// A span covering the first line of a text (for findings about a whole file).
pub fn first_line_span(text: &str) -> Span {
    Span::new(0, text.find('\n').unwrap_or(text.len()))
}

#[cfg(test)]
mod pipeline_tests {
    use super::*;

    /// The run's own process folder is named as a link to it says, the same in every run.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_runs_own_process_folder_is_named_self() {
        if !Path::new("/proc/self").exists() {
            return;
        }
        assert_eq!(
            kernel_file(Path::new("/proc/self")),
            Some(PathBuf::from("/proc/self"))
        );
        assert_eq!(
            kernel_file(Path::new("/proc/self/status")),
            Some(PathBuf::from("/proc/self/status"))
        );
        assert_eq!(
            kernel_file(Path::new("/proc/thread-self/comm")),
            Some(PathBuf::from("/proc/thread-self/comm"))
        );
        assert_eq!(kernel_file(Path::new("/")), None);
    }

    /// A found file is read as found: when its path no longer opens the file found, it is
    /// opened again from the scanned folder down, never through a link. A folder on the way
    /// swapped for a link (by another process) leads nowhere; a file an editor saved by renaming
    /// a new one over it is read as it is now.
    #[cfg(unix)]
    #[test]
    fn a_found_file_is_read_only_below_its_scanned_folder() {
        use std::os::unix::fs::MetadataExt;
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path();
        for folder in ["tree/app", "outside/app"] {
            std::fs::create_dir_all(dir.join(folder)).expect("mkdir");
            std::fs::write(
                dir.join(folder).join("Dockerfile"),
                format!("FROM {folder}\n"),
            )
            .expect("write");
        }
        let path = dir.join("tree/app/Dockerfile");
        let meta = std::fs::symlink_metadata(&path).expect("stat");
        let origin = Some(discover::Origin {
            identity: Some((meta.dev(), meta.ino())),
            below: 2,
        });
        let read = |origin| read_bytes_found(&path, 1024, origin).map(|(bytes, _)| bytes);
        assert_eq!(read(origin).as_deref(), Ok(&b"FROM tree/app\n"[..]));
        // Saved by an editor: a new file renamed over the old one.
        std::fs::write(dir.join("tree/app/.Dockerfile.swp"), "FROM saved\n").expect("write");
        std::fs::rename(dir.join("tree/app/.Dockerfile.swp"), &path).expect("rename");
        assert_eq!(read(origin).as_deref(), Ok(&b"FROM saved\n"[..]));
        // The folder swapped for a link out of the scanned folder.
        std::fs::rename(dir.join("tree/app"), dir.join("tree/was")).expect("rename");
        std::os::unix::fs::symlink(dir.join("outside/app"), dir.join("tree/app")).expect("link");
        let refused = read(origin).expect_err("through a link");
        assert!(refused.contains("is a symbolic link now"), "{refused}");
        // The file itself swapped for a link.
        std::fs::remove_file(dir.join("tree/app")).expect("unlink");
        std::fs::rename(dir.join("tree/was"), dir.join("tree/app")).expect("rename");
        std::fs::remove_file(&path).expect("unlink");
        std::os::unix::fs::symlink(dir.join("outside/app/Dockerfile"), &path).expect("link");
        let refused = read(origin).expect_err("a link");
        assert_eq!(refused, "not a regular file; skipped");
        // Without how it was found (stdin's name, a test), the path is read as it is.
        assert!(read(None).is_ok());
    }

    #[test]
    fn left_out_pod_templates_are_cut_into_ranges_of_documents() {
        let cut = |left_out: &[(u32, u32)], at_once: usize| {
            let mut out = Vec::new();
            relowered_ranges(FileId(3), left_out, at_once, &mut out);
            assert!(out.iter().all(|r| r.file == FileId(3)));
            out.iter()
                .map(|r| (r.documents, r.templates))
                .collect::<Vec<_>>()
        };
        let left_out = [(0, 1), (2, 1), (3, 2), (4, 1)];
        assert_eq!(
            cut(&left_out, 2),
            [(Some((0, 3)), 2), (Some((3, 4)), 2), (Some((4, 5)), 1)]
        );
        assert_eq!(cut(&left_out, 10), [(Some((0, 5)), 5)]);
        // A document with more than a part's worth is a range of its own.
        assert_eq!(
            cut(&[(0, 5), (1, 1), (7, 1)], 2),
            [(Some((0, 1)), 5), (Some((1, 8)), 2)]
        );
        assert_eq!(cut(&[], 2), []);
    }

    #[test]
    fn a_stopped_run_returns_no_report() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dockerfile = "FROM node:22\nCMD node server.js\n";
        std::fs::write(dir.path().join("Dockerfile"), dockerfile).expect("write");
        let paths = [dir.path().to_path_buf()];
        let stop = Arc::new(AtomicBool::new(false));
        let settings = Settings {
            stop: Some(Arc::clone(&stop)),
            ..Settings::new(Config::default(), Selection::all())
        };
        let report = lint_paths(&paths, &settings).expect("a report");
        assert_eq!(report.diagnostics.len(), 1, "{:?}", report.diagnostics);
        stop.store(true, Ordering::Relaxed);
        let stopped = lint_paths(&paths, &settings).map(|r| r.diagnostics.len());
        assert!(matches!(&stopped, Err(e) if e.0 == STOPPED), "{stopped:?}");
        let input = InputFile {
            display: "Dockerfile".into(),
            kind: FileKind::Dockerfile,
            text: dockerfile.into(),
            dir: None,
        };
        assert!(lint_inputs(vec![input], &settings).diagnostics.is_empty());
    }

    /// The processes that run one image built in the scan share its command, the command's
    /// analysis, its stop signal and its entrypoint script's facts: made once, not copied (and
    /// parsed) once per process. A Dockerfile with a 7 MB CMD built by 200 services took 3 GB,
    /// an 8 MB script run by 1,000 services 42 s.
    #[test]
    fn processes_running_one_image_share_what_it_gives_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |name: &str, text: &str| {
            std::fs::write(dir.path().join(name), text).expect("write");
        };
        write(
            "Dockerfile",
            "FROM python:3.12\nCOPY entrypoint.sh /entrypoint.sh\nSTOPSIGNAL SIGINT\n\
             ENTRYPOINT [\"/entrypoint.sh\"]\nCMD [\"gunicorn\", \"app:app\"]\n",
        );
        write(
            "entrypoint.sh",
            "#!/bin/sh\nflask db upgrade\ngunicorn app:app\n",
        );
        write(
            "compose.yaml",
            "services:\n  a: {build: .}\n  b: {build: .}\n  c: {build: .}\n",
        );
        let pod = |name: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  \
                 template:\n    spec:\n      containers:\n      - {{name: app, image: acme/api:v1}}\n"
            )
        };
        write("k1.yaml", &pod("k1"));
        write("k2.yaml", &pod("k2"));
        let mut config = Config::default();
        config.images.insert("acme/api".into(), "Dockerfile".into());
        config.root = Some(dir.path().to_path_buf());
        let settings = Settings::new(config, Selection::all());
        let report = lint_paths(&[dir.path().to_path_buf()], &settings).expect("a report");
        let processes: Vec<&model::Process> = report
            .model
            .workloads
            .iter()
            .filter(|w| w.compose.is_some() || w.kubernetes.is_some())
            .flat_map(|w| &w.processes)
            .collect();
        assert_eq!(processes.len(), 5);
        let first = processes[0];
        let command = first.command.as_ref().expect("the image's command");
        assert_eq!(
            command.argv(),
            ["/entrypoint.sh", "gunicorn", "app:app"],
            "{command:?}"
        );
        let analysis = first.analysis.as_ref().expect("analysed");
        let script = first.script.as_ref().expect("the entrypoint script");
        let facts = script.facts.as_ref().expect("the script parses");
        assert_eq!(facts.unexeced_finals.len(), 1, "{facts:?}");
        for process in &processes[1..] {
            assert!(process
                .command
                .as_ref()
                .is_some_and(|c| Arc::ptr_eq(c, command)));
            assert!(process
                .analysis
                .as_ref()
                .is_some_and(|a| Arc::ptr_eq(a, analysis)));
            let other = process.script.as_ref().expect("the entrypoint script");
            assert_eq!(other.file, script.file);
            assert!(other.facts.as_ref().is_some_and(|f| Arc::ptr_eq(f, facts)));
        }
        let signals: Vec<&Arc<model::Fact<model::Signal>>> = report
            .model
            .workloads
            .iter()
            .filter_map(|w| w.stop_signal.as_ref())
            .chain(processes.iter().filter_map(|p| p.stop_signal.as_ref()))
            .collect();
        // The image's own workload, the three services and the two containers.
        assert_eq!(signals.len(), 6, "{signals:?}");
        assert!(signals.iter().all(|s| Arc::ptr_eq(s, signals[0])));
    }

    fn yaml(name: &str, text: &str) -> InputFile {
        InputFile {
            display: name.to_string(),
            kind: FileKind::Yaml,
            text: text.to_string(),
            dir: None,
        }
    }

    /// Findings of one rule at one place with one message are merged, keeping every distinct
    /// label in order; the order is path, start, rule, end, message, labels, whatever order
    /// the findings came in.
    #[test]
    fn sorting_merges_the_same_finding_and_keeps_its_labels() {
        let mut files = Files::default();
        let dockerfile = |path: &str| SourceFile {
            path: path.into(),
            kind: FileKind::Dockerfile,
            text: Arc::from(""),
        };
        let a = files.push(dockerfile("a/Dockerfile"));
        let b = files.push(dockerfile("b/Dockerfile"));
        let at = |file, start| Location::new(file, Span::new(start, start + 1));
        let finding = |code, location, message: &str, labels: &[(Location, &str)]| {
            let mut d =
                Diagnostic::new(code, crate::diagnostic::Severity::Error, location, message);
            for (location, label) in labels {
                d.label(*location, *label);
            }
            d
        };
        let found = vec![
            finding("SL103", at(b, 0), "script", &[(at(b, 5), "copied here")]),
            finding("SL103", at(a, 9), "script", &[(at(a, 1), "copied here")]),
            finding("SL101", at(a, 9), "shell", &[]),
            finding(
                "SL103",
                at(a, 9),
                "script",
                &[(at(a, 2), "copied here"), (at(a, 1), "copied here")],
            ),
            finding("SL103", at(a, 9), "other", &[]),
        ];
        for reversed in [false, true] {
            let mut diagnostics = found.clone();
            if reversed {
                diagnostics.reverse();
            }
            sort(&mut diagnostics, &files);
            let shown: Vec<(&str, &str, String, Vec<usize>)> = diagnostics
                .iter()
                .map(|d| {
                    (
                        files.path(d.location.file),
                        d.code,
                        d.message.to_string(),
                        d.labels.iter().map(|l| l.location.span.start).collect(),
                    )
                })
                .collect();
            assert_eq!(
                shown,
                [
                    ("a/Dockerfile", "SL101", "shell".into(), vec![]),
                    ("a/Dockerfile", "SL103", "other".into(), vec![]),
                    ("a/Dockerfile", "SL103", "script".into(), vec![1, 2]),
                    ("b/Dockerfile", "SL103", "script".into(), vec![5]),
                ],
                "reversed: {reversed}"
            );
        }
    }

    /// The parallel stage goes a chunk at a time: files of later chunks get the ids of their
    /// place in the whole run, so every finding is in its own file at its own line.
    #[test]
    fn workloads_beyond_the_kept_ones_give_the_same_findings() {
        // More than a chunk, so a chunk that keeps workloads is followed by one that leaves
        // them out; Services, suppressions, Helm sources and parse failures among them.
        let manifest = |i: usize| {
            let mut text = String::new();
            if i % 5 == 0 {
                text.push_str("---\n# Source: chart/templates/deploy.yaml\n");
            }
            let ignore = if i % 7 == 0 {
                "  annotations: {shutdownlint.dev/ignore: \"SL202,SL104\"}\n"
            } else {
                ""
            };
            text.push_str(&format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app{i}\n{ignore}\
                 spec:\n  replicas: 1\n  selector: {{matchLabels: {{app: app{i}}}}}\n  \
                 template:\n    metadata: {{labels: {{app: app{i}}}}}\n    spec:\n      \
                 containers:\n      - name: web\n        image: example/app:1\n        \
                 ports: [{{containerPort: 8080}}]\n"
            ));
            if i % 3 == 0 {
                text.push_str(&format!(
                    "---\napiVersion: v1\nkind: Service\nmetadata: {{name: app{i}}}\n\
                     spec: {{selector: {{app: app{i}}}, ports: [{{port: 80}}]}}\n"
                ));
            }
            if i % 11 == 0 {
                text.push_str("---\napiVersion: v1\nkind: Pod\nspec: [\n");
            }
            text
        };
        let inputs = || {
            (0..STAGE_CHUNK + 100)
                .map(|i| yaml(&format!("app{i:05}/deploy.yaml"), &manifest(i)))
                .collect::<Vec<_>>()
        };
        let lint = |kept: usize| {
            let mut settings = Settings::new(Config::default(), Selection::all());
            settings.kept_workloads = kept;
            let report = lint_inputs(inputs(), &settings);
            let kubernetes = report
                .model
                .workloads
                .iter()
                .filter(|w| w.kubernetes.is_some())
                .count();
            (output::json::render(&report), report, kubernetes)
        };
        let (all, report, every) = lint(usize::MAX);
        let (some, _, kept) = lint(10);
        assert_eq!(kept, 10);
        // Every manifest but those that fail to parse.
        assert_eq!(every, STAGE_CHUNK + 100 - (STAGE_CHUNK + 100).div_ceil(11));
        for code in ["SL000", "SL001", "SL201", "SL202", "SL503"] {
            assert!(
                report.diagnostics.iter().any(|d| d.code == code),
                "no {code}"
            );
        }
        assert!(report.diagnostics.iter().any(|d| d.source.is_some()));
        assert!(all == some, "the findings depend on the workloads kept");
    }

    #[test]
    fn findings_keep_their_files_across_chunks() {
        let count = 2 * STAGE_CHUNK + 3;
        let inputs = (0..count)
            .map(|i| InputFile {
                display: format!("app{i:05}/Dockerfile"),
                kind: FileKind::Dockerfile,
                text: format!("FROM node:22\n{}CMD node server.js\n", "\n".repeat(i % 37)),
                dir: None,
            })
            .collect();
        let settings = Settings::new(Config::default(), Selection::only(&["SL101"]));
        let report = lint_inputs(inputs, &settings);
        assert_eq!(report.files.len(), count);
        assert_eq!(report.linted_files, count);
        assert_eq!(report.diagnostics.len(), count);
        for (i, d) in report.diagnostics.iter().enumerate() {
            assert_eq!(
                report.files.path(d.location.file),
                format!("app{i:05}/Dockerfile")
            );
            assert_eq!(d.location.file, FileId(i as u32));
            let cmd = "FROM node:22\n".len() + i % 37;
            assert_eq!(d.location.span.start, cmd, "{i}");
        }
    }

    /// Files nothing can point into (no facts, findings or suppressions) keep their place but
    /// not their text or path; the others keep both for the output.
    #[test]
    fn texts_nothing_points_into_are_released() {
        let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n";
        let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n          ports:\n            - containerPort: 80\n";
        let ci = "on: push\njobs: {}\n";
        let settings = Settings::new(Config::default(), Selection::all());
        let report = lint_inputs(
            vec![
                yaml("crd.yaml", crd),
                yaml("web.yaml", deployment),
                yaml("ci.yaml", ci),
            ],
            &settings,
        );
        // Ids follow the shown paths.
        let file = |id: u32| (FileId(id), report.files.text(FileId(id)).to_string());
        let (ci_id, ci_text) = file(0);
        let (crd_id, crd_text) = file(1);
        let (web_id, web_text) = file(2);
        assert_eq!(report.files.len(), 3);
        // Nothing is shown from a released file: its path is not kept either.
        assert_eq!(report.files.path(crd_id), "");
        assert_eq!(report.files.path(ci_id), "");
        assert_eq!(report.files.path(web_id), "web.yaml");
        assert!(report.files.is_released(crd_id) && crd_text.is_empty());
        assert!(report.files.is_released(ci_id) && ci_text.is_empty());
        assert!(!report.files.is_released(web_id));
        assert_eq!(web_text, deployment);
        // Released files are not found by path (linking reads such a file again instead).
        assert_eq!(report.files.find_path("crd.yaml"), None);
        assert_eq!(report.files.find_path("web.yaml"), Some(web_id));
        // The findings are about the Deployment, and the CI file is not Kubernetes.
        assert!(!report.diagnostics.is_empty());
        assert!(report.diagnostics.iter().all(|d| d.location.file == web_id));
        assert_eq!(report.linted_files, 2);
        assert!(report.released_paths.is_empty());
        // The language server asks for the released files' paths.
        let settings = Settings {
            keep_released_paths: true,
            ..settings
        };
        let report = lint_inputs(
            vec![
                yaml("web.yaml", deployment),
                yaml("ci.yaml", ci),
                yaml("crd.yaml", crd),
            ],
            &settings,
        );
        assert_eq!(
            report.released_paths,
            [PathBuf::from("ci.yaml"), PathBuf::from("crd.yaml")]
        );
        assert!(report.files.is_released(FileId(1)));
    }

    /// The cap holds while reading, not only by the size on disk: files in /proc report a size
    /// of 0.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_size_cap_holds_when_the_size_on_disk_lies() {
        let status = Path::new("/proc/self/status");
        assert_eq!(std::fs::metadata(status).map(|m| m.len()).ok(), Some(0));
        let err = read_file(status, 16).expect_err("over the cap");
        assert!(err.contains("over the 16 byte limit"), "{err}");
        assert!(read_file(status, 1 << 20).is_ok_and(|text| text.contains("VmHWM")));
        assert_eq!(
            read_file(Path::new("/dev/null"), 16).expect_err("not a file"),
            "not a regular file; skipped"
        );
    }

    /// A file is opened without waiting: a FIFO with no writer, swapped in after the path was
    /// checked, would otherwise block the open for good.
    #[cfg(unix)]
    #[test]
    fn a_fifo_is_opened_without_waiting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("Dockerfile");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            eprintln!("mkfifo failed: skipped");
            return;
        }
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender.send(open_nonblocking(&fifo).map(|file| file.metadata().is_ok()));
        });
        let opened = receiver.recv_timeout(std::time::Duration::from_secs(10));
        assert!(
            matches!(opened, Ok(Ok(true))),
            "the open blocked or failed: {opened:?}"
        );
    }
}
