//! Walk the given paths in parallel and find the files shutdownlint reads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::change::paths::{locate, Located};
use crate::config::{Config, ConfigError};
use crate::source::FileKind;

mod ignore_files;
mod walk;
use ignore_files::IgnoreFiles;
pub use ignore_files::{IGNORE_BUDGET_BYTES, MAX_IGNORE_FILE_BYTES};

/// Files larger than this are skipped with a note, unread (`max-file-size` in the configuration).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Folders nested deeper than this below a scanned folder are not walked (with a note). Each
/// file's path is handled whole many times (sorted, shown, resolved), so a tree a thousand
/// folders deep cost seconds where the same files side by side cost milliseconds: 57,000 files
/// 1,900 folders deep took 6 s and 457 MB, 0.8 s and 179 MB flat. Real repositories stay far
/// below this (Java packages, `node_modules`, generated trees: tens of levels).
pub const MAX_DEPTH: usize = 100;

/// What identifies a file on disk: its device and inode.
pub type Identity = (u64, u64);

/// How a file was found: what it was then, and how many names at the end of its path the walk
/// went through without following a link (the file's name and the folders below the scanned
/// folder; 1 for a file named as an argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    pub identity: Option<Identity>,
    pub below: u32,
}

/// A file found by the walk.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// Path to show: as given on the command line joined with the path found, without `./`.
    pub display: String,
    pub kind: FileKind,
    /// Path to open, when `display` does not open the same file (see `opens_same_file`). A big
    /// tree has a hundred thousand of these: one string per file, not two.
    other_path: Option<PathBuf>,
    /// How the file was found: it is read by its path later, and what that path opens then
    /// must be this file, or be opened again from the scanned folder down without following a
    /// link ([`crate::read_bytes_found`]). A folder on the way swapped for a link in between
    /// would lead out of the scanned folder.
    origin: Option<Origin>,
}

impl Found {
    pub fn new(path: &Path, kind: FileKind) -> Self {
        let display = display_path(path);
        let other_path = (!opens_same_file(path, &display)).then(|| path.to_path_buf());
        Found {
            display,
            kind,
            other_path,
            origin: None,
        }
    }

    /// The file, found as `origin` says.
    pub fn with_origin(self, origin: Origin) -> Self {
        Found {
            origin: Some(origin),
            ..self
        }
    }

    /// How it was found.
    pub fn origin(&self) -> Option<Origin> {
        self.origin
    }

    /// Path to open.
    pub fn path(&self) -> &Path {
        self.other_path
            .as_deref()
            .unwrap_or_else(|| Path::new(&self.display))
    }

    /// Path to open, as owned by the caller: `None` when it is the shown path; and the file on
    /// disk it was found as.
    pub fn into_parts(self) -> (String, FileKind, Option<PathBuf>, Option<Origin>) {
        (self.display, self.kind, self.other_path, self.origin)
    }
}

/// What the walk found, plus notes for stderr (skipped files, unreadable directories).
#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<Found>,
    pub notes: Vec<String>,
    /// The folders below a scanned folder that hold a `.git` of their own (nested
    /// repositories, submodules), each once: as shown, and where it is on disk. Change mode
    /// reviews one repository's commits and says which of these it left out.
    pub repositories: Vec<Repository>,
    /// Which servers' default config files (`gunicorn.conf.py`, `config/sidekiq.yml`, ...) the
    /// walk saw, not ignored: bits of [`crate::drain::DEFAULT_CONFIG_PLACES`]. A process whose
    /// files the scan cannot tell (a registry image, a systemd unit) may read one of them.
    pub default_configs: u8,
}

/// A folder with a `.git` of its own found by the walk.
#[derive(Debug, Clone)]
pub struct Repository {
    /// As shown (the walk's spelling, see [`display_path`]).
    pub display: String,
    /// Where it is on disk: its scanned folder's real path joined with the rest.
    pub real: PathBuf,
}

/// Whether `display` (from [`display_path`]) opens the file `path` names. The display is the
/// path without its leading `./`s and doubled separators, which names the same file unless the
/// path is not UTF-8 (the display lost bytes).
fn opens_same_file(path: &Path, display: &str) -> bool {
    path.to_str()
        .is_some_and(|path| display != "." && path.starts_with('/') == display.starts_with('/'))
}

/// Recognise a file by its name alone. A name that is not UTF-8 is recognised by its readable
/// part (`app\xff.Dockerfile` is a Dockerfile); it is shown with U+FFFD and read by its real
/// path.
pub fn classify_name(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_string_lossy();
    let name = &*name;
    if is_dockerfile_name(name) {
        return Some(FileKind::Dockerfile);
    }
    let lower = name.to_ascii_lowercase();
    if is_compose_name(&lower) {
        return Some(FileKind::Compose);
    }
    if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        return Some(FileKind::Yaml);
    }
    if lower == "fly.toml" {
        return Some(FileKind::Fly);
    }
    if name == "Procfile" || (name.starts_with("Procfile.") && !lower.ends_with(".md")) {
        return Some(FileKind::Procfile);
    }
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|p| p.to_string_lossy())
        .unwrap_or_default();
    if lower.ends_with(".service") || (lower.ends_with(".conf") && parent.ends_with(".service.d")) {
        return Some(FileKind::Systemd);
    }
    if lower == "nginx.conf"
        || lower.ends_with(".conf")
        || is_nginx_include_name(&lower)
        || in_nginx_folder(path)
        || is_nginx_template(path)
    {
        return Some(FileKind::Nginx);
    }
    None
}

/// Whether a path is named like a template of nginx configuration that the official nginx
/// image renders at start: its entrypoint (`20-envsubst-on-templates.sh`) runs `envsubst` on
/// every `/etc/nginx/templates/**/*.template` and writes the result to `/etc/nginx/conf.d/`
/// without the `.template` suffix (`NGINX_ENVSUBST_TEMPLATE_DIR`, `_SUFFIX`, `_OUTPUT_DIR`).
/// Such a file is read as nginx configuration: any `*.conf.template`, and a `*.template` in a
/// folder named `templates` whose name without `.template` is named like nginx configuration
/// (no extension, or `.conf`, `.vhost`, `.site`, `.nginx`, `.inc`); whether its text is
/// nginx's is judged when it is parsed, as for a `*.conf`. Other tools' templates
/// (`values.yaml.template`, `Dockerfile.template`, `index.html.template`) are not.
pub fn is_nginx_template(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    let Some(stem) = lower.strip_suffix(".template") else {
        return false;
    };
    if stem.is_empty() || stem.starts_with('.') {
        return false;
    }
    if stem.ends_with(".conf") {
        return true;
    }
    let in_templates = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|p| p.to_str())
        .is_some_and(|dir| dir == "templates");
    let named_like_config = match Path::new(stem).extension().and_then(|e| e.to_str()) {
        None => {
            !stem.contains("params")
                && stem != "mime.types"
                && !is_dockerfile_name(stem)
                && !stem.starts_with("procfile")
                && !matches!(stem, "readme" | "license" | "changelog" | "makefile")
        }
        Some(ext) => matches!(ext, "vhost" | "site" | "nginx" | "inc"),
    };
    in_templates && named_like_config
}

/// compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml, docker-compose.*.yml,
/// compose.*.yaml (and the .yml/.yaml variants of each).
pub(crate) fn is_compose_name(lower: &str) -> bool {
    let stem = lower
        .strip_suffix(".yaml")
        .or_else(|| lower.strip_suffix(".yml"));
    stem.is_some_and(|stem| {
        stem == "compose"
            || stem == "docker-compose"
            || stem.starts_with("compose.")
            || stem.starts_with("docker-compose.")
    })
}

/// The names of the files nginx's own packages ship for `include` (`include proxy_params;`,
/// `include mime.types;`): a repository that has one of its own COPYs or mounts it in their
/// place, and what it sets there must be read (a repository's `proxy_params` left unread made
/// the include unknown, and the rules silent). Their text is nginx configuration wherever they
/// sit; one that does not parse as such is ignored like any `*.conf`.
fn is_nginx_include_name(lower: &str) -> bool {
    matches!(
        lower,
        "proxy_params" | "fastcgi_params" | "uwsgi_params" | "scgi_params" | "mime.types"
    )
}

/// Whether a path is under a folder that holds nginx configuration (`nginx/`, `conf.d/`,
/// `sites-available/`, `sites-enabled/`, `snippets/`) and named like configuration there
/// (`*.conf`, or no extension: `sites-enabled/default`, `proxy_params`; nginx's `mime.types`).
pub fn in_nginx_folder(path: &Path) -> bool {
    let in_folder = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|p| p.to_str())
        .is_some_and(|dir| {
            matches!(
                dir,
                "nginx" | "sites-available" | "sites-enabled" | "conf.d" | "snippets"
            )
        });
    let named_like_config = match path.extension().and_then(|e| e.to_str()) {
        None => !path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.')),
        Some(ext) => {
            matches!(ext, "conf" | "vhost" | "site" | "nginx" | "inc")
                || path.file_name().is_some_and(|n| n == "mime.types")
        }
    };
    in_folder && named_like_config
}

/// Extensions that mark a `Dockerfile.*` name as something else (a template, a note, an ignore file).
const NOT_DOCKERFILE_EXTENSIONS: &[&str] = &[
    "dockerignore",
    "md",
    "txt",
    "rst",
    "orig",
    "bak",
    "rej",
    "swp",
    "j2",
    "jinja",
    "jinja2",
    "tmpl",
    "tpl",
    "template",
    "erb",
    "in",
    "mustache",
    "hbs",
    "gotmpl",
    "sh",
    "py",
    "json",
    "yml",
    "yaml",
    "toml",
    "lock",
    "patch",
    "diff",
    "log",
    "sample",
    "example",
    "dist",
    "go",
    "rs",
    "rego",
    "js",
    "ts",
    "rb",
    "java",
    "c",
    "h",
    "ps1",
    "bat",
    "cmd",
    "nix",
    "cue",
    "bzl",
    "html",
    "xml",
    "csv",
    "tf",
    "hcl",
    "properties",
    "ini",
    "conf",
    "cfg",
    "env",
    "mk",
    "make",
];

fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    for base in ["dockerfile", "containerfile"] {
        if lower == base {
            return true;
        }
        if let Some(rest) = lower.strip_prefix(base).and_then(|r| r.strip_prefix('.')) {
            let last_ext = rest.rsplit('.').next().unwrap_or(rest);
            return !rest.is_empty() && !NOT_DOCKERFILE_EXTENSIONS.contains(&last_ext);
        }
    }
    lower.len() > ".dockerfile".len() && lower.ends_with(".dockerfile")
}

/// The display form of a path: `./a/b` → `a/b`, a separator written twice once (`.//a` → `a`,
/// not `/a`; `a//b` → `a/b`).
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    let mut s: &str = &s;
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.trim_start_matches('/');
    }
    if s.is_empty() {
        ".".to_string()
    } else if s.contains("//") {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            if !(c == '/' && out.ends_with('/')) {
                out.push(c);
            }
        }
        out
    } else {
        s.to_string()
    }
}

/// `path` made absolute, with `.` and `..` resolved by name (no system call per component, as
/// `canonicalize` makes). The walk follows no links, so a found file's path has none to resolve.
pub fn absolute_by_name(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Whether two paths are one name written two ways: the same but for leading `./`s.
fn same_spelling(a: &Path, b: &Path) -> bool {
    fn strip(path: &Path) -> &[u8] {
        let mut bytes = path.as_os_str().as_encoded_bytes();
        while let Some(rest) = bytes.strip_prefix(b"./") {
            bytes = rest;
        }
        bytes
    }
    a == b || strip(a) == strip(b)
}

/// Exclusion patterns from the config, gitignore-style, relative to the config's directory.
pub fn exclude_matcher(config: &Config) -> Result<Option<Gitignore>, ConfigError> {
    if config.exclude.is_empty() {
        return Ok(None);
    }
    let root = config.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let root = std::path::absolute(&root).unwrap_or(root);
    let mut builder = GitignoreBuilder::new(&root);
    for pattern in &config.exclude {
        builder
            .add_line(None, pattern)
            .map_err(|e| ConfigError(format!("bad exclude pattern `{pattern}`: {e}")))?;
    }
    builder
        .build()
        .map(Some)
        .map_err(|e| ConfigError(format!("bad exclude patterns: {e}")))
}

fn is_excluded(matcher: Option<&Gitignore>, path: &Path, is_dir: bool) -> bool {
    let Some(matcher) = matcher else {
        return false;
    };
    // By name, as the configuration was looked up: `app/sub/../Dockerfile` is `app/Dockerfile`.
    let absolute = absolute_by_name(path);
    if !absolute.starts_with(matcher.path()) {
        return false;
    }
    matcher
        .matched_path_or_any_parents(&absolute, is_dir)
        .is_ignore()
}

/// A file, the path that names it whatever the argument it was reached from (its canonical
/// folder's path joined with the rest), and the index of that argument.
type Keyed = (PathBuf, usize, Found);

/// Walk the directories `dirs` in parallel: the files found and notes. `roots`: each scanned
/// folder as given, its canonical path and its argument's index; with `keyed` (folders named
/// that overlap), each file comes with its identity, in `keyed`.
fn walk(
    dirs: &[PathBuf],
    matcher: Option<&Gitignore>,
    ignore_files: &IgnoreFiles,
    roots: &HashMap<PathBuf, (PathBuf, usize)>,
    keyed: bool,
    stop: Option<&AtomicBool>,
) -> walk::Walked {
    let (max_open, at_once) = walk::limits();
    walk::Walk {
        dirs,
        roots,
        keyed,
        matcher,
        ignore_files,
        stop,
        max_open,
        at_once,
    }
    .run()
}

/// The folders with a `.git` the walk found, each place once (overlapping folder arguments
/// find the same one twice), in the order they are shown.
fn repositories_found(mut repositories: Vec<Repository>) -> Vec<Repository> {
    repositories.sort_unstable_by(|a, b| a.real.cmp(&b.real).then(a.display.cmp(&b.display)));
    repositories.dedup_by(|later, first| later.real == first.real);
    repositories.sort_unstable_by(|a, b| a.display.cmp(&b.display).then(a.real.cmp(&b.real)));
    repositories
}

/// The device and inode `meta` gives.
#[cfg(unix)]
fn identity_of(meta: &std::fs::Metadata) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity_of(_meta: &std::fs::Metadata) -> Option<Identity> {
    None
}

/// Whether the system refused a path for its length (`ENAMETOOLONG`).
fn name_too_long(error: &std::io::Error) -> bool {
    #[cfg(unix)]
    return error.raw_os_error() == Some(libc::ENAMETOOLONG);
    #[cfg(not(unix))]
    return false;
}

/// The other half of the default compose project of the compose file `path` (see
/// [`crate::lower::compose_project`]): for the base file docker compose reads in its folder
/// (the first of its default names there), the first default override file there; for that
/// override file, the base file; for an `-f` overlay (`compose.prod.yaml`), the base file it is
/// given after. `None` when `path` is none of these, or the folder has no partner.
/// Names are looked at without following links; the partner is in the same folder.
fn compose_partner(path: &Path) -> Option<PathBuf> {
    use crate::lower::compose_project::{BASE_NAMES, OVERRIDE_NAMES};
    let name = path.file_name()?.to_str()?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let first = |names: &[&str]| {
        names
            .iter()
            .map(|n| dir.join(n))
            .find(|p| std::fs::symlink_metadata(p).is_ok())
    };
    let (own, other) = if BASE_NAMES.contains(&name) {
        (BASE_NAMES, OVERRIDE_NAMES)
    } else if OVERRIDE_NAMES.contains(&name) {
        (OVERRIDE_NAMES, BASE_NAMES)
    } else {
        // An `-f` overlay (`compose.prod.yaml`): the base file it is given after.
        let present = |n: &str| std::fs::symlink_metadata(dir.join(n)).is_ok();
        return crate::lower::compose_project::overlay_base(name, present).map(|b| dir.join(b));
    };
    // Another file of the same kind comes first: compose reads that one, not this.
    if first(own)?.file_name()? != path.file_name()? {
        return None;
    }
    first(other)
}

/// The note for a path argument that is a symbolic link.
fn link_not_followed(link: &Path) -> String {
    format!(
        "{}: a symbolic link; not followed (name the file it points to)",
        display_path(link)
    )
}

/// Walk `paths` (files or directories) in parallel. Missing paths are an error (exit 2). The
/// walk ends early once `stop` is set (the caller then throws the result away).
pub fn discover(
    paths: &[PathBuf],
    config: &Config,
    stop: Option<&AtomicBool>,
) -> Result<Discovery, ConfigError> {
    let matcher = exclude_matcher(config)?;
    let mut discovery = Discovery::default();
    let mut dirs = Vec::new();
    // The same file or folder named twice, under different spellings (`app`, `./app/../app`),
    // is read once: its findings would be reported twice, under two paths.
    let mut named = std::collections::HashSet::new();
    // Each folder to walk: its canonical path and its argument's index.
    let mut roots = HashMap::new();
    // Each file named: its canonical path, its argument's index and the file.
    let mut named_files: Vec<Keyed> = Vec::new();
    // Where relative paths are: without links (the system's working directory).
    let cwd = std::env::current_dir().ok();
    // The same spelling twice is looked at once.
    let mut spellings = std::collections::HashSet::new();
    for (index, path) in paths.iter().enumerate() {
        if !spellings.insert(path.as_path()) {
            continue;
        }
        // A path that is, or goes through, a symbolic link in a git work tree (`deploy`,
        // `deploy/`, `deploy/db` with `deploy -> ../other` committed) is not walked: `lstat`
        // follows a link before a `/`. Links outside every work tree are the user's own. Nor is
        // a path that could not be looked at (no permission, too many links): what is past
        // that point is unknown.
        let located = cwd.as_deref().map(|cwd| locate(path, cwd));
        let real = match located {
            Some(Located::Link { link, whole }) => {
                if whole && is_excluded(matcher.as_ref(), &link, false) {
                    continue;
                }
                discovery.notes.push(if whole {
                    link_not_followed(&link)
                } else {
                    format!(
                        "{}: goes through the symbolic link `{}`; not followed (name the path it points to)",
                        display_path(path),
                        display_path(&link)
                    )
                });
                continue;
            }
            Some(Located::Unreadable { path: at, error }) => {
                // A name longer than the system takes (`NAME_MAX`) names nothing: an error, as
                // a missing path is, not a note.
                if let Err(error) = std::fs::symlink_metadata(path) {
                    if name_too_long(&error) && at.file_name().is_some_and(|name| name.len() > 255)
                    {
                        return Err(ConfigError(format!(
                            "{}: no such file or directory (a name in it is longer than the system takes: {error})",
                            path.display()
                        )));
                    }
                }
                discovery.notes.push(format!(
                    "{}: `{}` cannot be looked at ({error}); not walked",
                    display_path(path),
                    display_path(&at)
                ));
                continue;
            }
            Some(Located::Found { real, .. }) => Some(real),
            None => None,
        };
        let meta = std::fs::symlink_metadata(path).map_err(|error| {
            ConfigError(if error.kind() == std::io::ErrorKind::NotFound {
                format!("{}: no such file or directory", path.display())
            } else if name_too_long(&error) {
                // It is there (`locate` found it one folder at a time), but the system takes
                // no path this long (`PATH_MAX`), and the walk opens folders by their path.
                format!(
                    "{}: a path of {} bytes, longer than the system takes; it cannot be walked (lint it from a folder nearer to it: `cd` there, then `shutdownlint .`)",
                    path.display(),
                    path.as_os_str().len()
                )
            } else {
                format!("{}: cannot be looked at ({error})", path.display())
            })
        })?;
        // Where it is on disk, links resolved: found by `locate` one component at a time (a
        // deep path costs `canonicalize` a walk of the whole path per component).
        let canonical = real.unwrap_or_else(|| {
            std::fs::canonicalize(path).unwrap_or_else(|_| absolute_by_name(path))
        });
        if !meta.file_type().is_symlink() && !named.insert(canonical.clone()) {
            continue;
        }
        if meta.is_dir() {
            dirs.push(path.clone());
            roots.insert(path.clone(), (canonical, index));
        } else if is_excluded(matcher.as_ref(), path, false) {
            continue;
        } else if meta.file_type().is_symlink() {
            // Not even when named: a link in a checked-out change can point anywhere
            // (`/proc/self/environ`, a key outside the repository), and a parse error would
            // print a line of it. A link outside every work tree, on the way to the path
            // (`link/Dockerfile`, `link/`), is resolved by the system.
            discovery.notes.push(link_not_followed(path));
        } else if !meta.is_file() {
            // FIFOs, sockets and devices are never opened (a FIFO would block the run).
            discovery.notes.push(format!(
                "{}: not a regular file; skipped",
                display_path(path)
            ));
        } else if let Some(kind) = classify_name(path) {
            // A compose file docker compose reads by default is half of a project when its
            // folder has the other half: the override file merged over it, or the base file
            // an override is merged over. Named alone (the pre-commit hook names the changed
            // files), it is judged with its partner, as `docker compose up` runs it.
            let partner = (kind == FileKind::Compose)
                .then(|| compose_partner(path))
                .flatten();
            if let Some(partner) = partner {
                match std::fs::symlink_metadata(&partner) {
                    Ok(m) if m.file_type().is_symlink() => {
                        discovery.notes.push(format!(
                            "{}: a symbolic link; not followed, so not merged with `{}` (name the file it points to)",
                            display_path(&partner),
                            display_path(path)
                        ));
                    }
                    Ok(m) if m.is_file() && !is_excluded(matcher.as_ref(), &partner, false) => {
                        let name = partner.file_name().unwrap_or_default();
                        let real = canonical
                            .parent()
                            .map_or_else(|| PathBuf::from(name), |dir| dir.join(name));
                        if named.insert(real.clone()) {
                            named_files.push((
                                real,
                                index,
                                Found::new(&partner, FileKind::Compose).with_origin(Origin {
                                    identity: identity_of(&m),
                                    below: 1,
                                }),
                            ));
                        }
                    }
                    _ => {}
                }
            }
            named_files.push((
                canonical,
                index,
                Found::new(path, kind).with_origin(Origin {
                    identity: identity_of(&meta),
                    below: 1,
                }),
            ));
        } else {
            // Not "skipped": a script named here is still linted when a Dockerfile in the scan
            // runs it (it is found through the Dockerfile's COPY, named or not).
            discovery.notes.push(format!(
                "{}: not a file kind shutdownlint reads on its own (an entrypoint script is \
                 linted through the Dockerfile that runs it)",
                display_path(path)
            ));
        }
    }
    // A path named inside a folder also named (`. /abs/path/svc`, `svc svc/Dockerfile`): the
    // files both reach are read once, under the spelling of the first argument that names them.
    // Only then does each file found get its identity, by name: no system call per file.
    // Sorted by component, the paths below a folder come right after it: one comparison per
    // path (checking every folder above each path cost a hash of each, in the square of its
    // depth: seconds for a few hundred arguments thousands of folders deep).
    let mut canonicals: Vec<(&Path, bool)> = roots
        .values()
        .map(|(canonical, _)| (canonical.as_path(), true))
        .chain(
            named_files
                .iter()
                .map(|(canonical, _, _)| (canonical.as_path(), false)),
        )
        .collect();
    canonicals.sort_unstable();
    let overlap = canonicals.windows(2).any(|pair| {
        let ((above, is_dir), (below, _)) = (pair[0], pair[1]);
        is_dir && above != below && below.starts_with(above)
    });
    if !dirs.is_empty() {
        let ignore_files = IgnoreFiles::new(&dirs, &roots);
        let mut walked = walk(
            &dirs,
            matcher.as_ref(),
            &ignore_files,
            &roots,
            overlap,
            stop,
        );
        if ignore_files.over_budget() {
            // Which files the budget would have let in depends on the order threads reach
            // them; the output may not. So none is applied, and the walk starts over.
            walked = walk(
                &dirs,
                matcher.as_ref(),
                &IgnoreFiles::off(),
                &roots,
                overlap,
                stop,
            );
            walked.notes.push(format!(
                "the .gitignore, .ignore and .git/info/exclude files here add up to over {} KiB; none is applied and every file is linted (`exclude` in the configuration still applies)",
                IGNORE_BUDGET_BYTES / 1024
            ));
        } else {
            walked.notes.extend(ignore_files.into_notes());
        }
        discovery.files.extend(walked.files);
        discovery.notes.extend(walked.notes);
        named_files.extend(walked.keyed);
        discovery.repositories = repositories_found(walked.repositories);
        discovery.default_configs |= walked.configs;
    }
    if overlap {
        named_files.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then(a.1.cmp(&b.1))
                .then_with(|| a.2.cmp(&b.2))
        });
        named_files.dedup_by(|later, first| later.0 == first.0);
    }
    discovery
        .files
        .extend(named_files.into_iter().map(|(_, _, file)| file));
    // By the shown path (the order of the output), which also puts the same file named twice
    // (`a/x` and `./a/x`) side by side for `dedup_by`. Comparing strings, not `Path`s: a
    // component-wise `Path` comparison cost a twentieth of the whole run on the corpus.
    discovery.files.sort_unstable_by(|a, b| {
        a.display
            .cmp(&b.display)
            .then_with(|| a.path().as_os_str().cmp(b.path().as_os_str()))
    });
    // Two names that differ only in bytes that are not UTF-8 (`a\xff/Dockerfile`,
    // `a\xfe/Dockerfile`) show the same: both are linted.
    discovery
        .files
        .dedup_by(|a, b| a.display == b.display && same_spelling(a.path(), b.path()));
    discovery.notes.sort();
    discovery.notes.dedup();
    Ok(discovery)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names that are not UTF-8 are recognised by their readable part (they were skipped
    /// without a word in a walk, and called "not a file kind shutdownlint reads" when named).
    #[test]
    fn names_that_are_not_utf8_are_recognised() {
        use std::os::unix::ffi::OsStrExt;
        let path = |bytes: &[u8]| std::path::PathBuf::from(std::ffi::OsStr::from_bytes(bytes));
        assert_eq!(
            classify_name(&path(b"x\xff.Dockerfile")),
            Some(FileKind::Dockerfile)
        );
        assert_eq!(
            classify_name(&path(b"dir\xfe/deploy.yaml")),
            Some(FileKind::Yaml)
        );
        assert_eq!(
            classify_name(&path(b"app\xff.service.d/override.conf")),
            Some(FileKind::Systemd)
        );
        assert_eq!(classify_name(&path(b"notes\xff.txt")), None);
    }

    /// The official nginx image's templates (`/etc/nginx/templates/*.template`, rendered by
    /// envsubst into `conf.d`) are read as nginx; other tools' templates are not.
    #[test]
    fn nginx_template_names() {
        for yes in [
            "nginx/templates/default.conf.template",
            "default.conf.template",
            "deploy/nginx/shop.conf.template",
            "templates/default.template",
            "templates/shop.vhost.template",
            "templates/proxy.inc.template",
        ] {
            assert_eq!(
                classify_name(Path::new(yes)),
                Some(FileKind::Nginx),
                "{yes}"
            );
        }
        for no in [
            "templates/values.yaml.template",
            "templates/config.json.template",
            "templates/index.html.template",
            "templates/Dockerfile.template",
            "templates/Procfile.template",
            "templates/README.template",
            "templates/fastcgi_params.template",
            "templates/.env.template",
            "templates/.template",
            "other/default.template",
            "nginx/default.template",
            "chart/templates/deployment.yaml",
            "templates/site.conf.j2",
            "default.conf.tmpl",
        ] {
            assert_ne!(classify_name(Path::new(no)), Some(FileKind::Nginx), "{no}");
        }
    }

    #[test]
    fn dockerfile_names() {
        for yes in [
            "Dockerfile",
            "dockerfile",
            "Dockerfile.prod",
            "Dockerfile.alpine-3.20",
            "api.Dockerfile",
            "Containerfile",
            "Containerfile.dev",
        ] {
            assert!(is_dockerfile_name(yes), "{yes}");
        }
        for no in [
            "Dockerfile.dockerignore",
            "Dockerfile.template",
            "Dockerfile.j2",
            "Dockerfile.md",
            ".dockerfile",
            "Dockerfiles",
            "README",
            "Dockerfile.",
        ] {
            assert!(!is_dockerfile_name(no), "{no}");
        }
    }

    #[test]
    fn other_formats_by_name() {
        let kind = |p: &str| classify_name(Path::new(p));
        assert_eq!(kind("deploy/compose.yaml"), Some(FileKind::Compose));
        assert_eq!(kind("docker-compose.prod.yml"), Some(FileKind::Compose));
        assert_eq!(kind("k8s/deployment.yaml"), Some(FileKind::Yaml));
        assert_eq!(kind("app.service"), Some(FileKind::Systemd));
        assert_eq!(
            kind("app.service.d/10-timeout.conf"),
            Some(FileKind::Systemd)
        );
        assert_eq!(kind("nginx/conf.d/app.conf"), Some(FileKind::Nginx));
        assert_eq!(kind("sites-enabled/default"), Some(FileKind::Nginx));
        assert_eq!(kind("nginx/docs/changes.xml"), None);
        assert_eq!(kind("nginx/changes.xml"), None);
        // nginx's own include files, which a repository may COPY or mount in their place.
        assert_eq!(kind("nginx/fastcgi_params"), Some(FileKind::Nginx));
        assert_eq!(kind("nginx/proxy_params"), Some(FileKind::Nginx));
        assert_eq!(kind("docker/nginx/mime.types"), Some(FileKind::Nginx));
        assert_eq!(kind("deploy/proxy_params"), Some(FileKind::Nginx));
        assert_eq!(kind("deploy/uwsgi_params"), Some(FileKind::Nginx));
        assert_eq!(kind("apache/magic"), None);
        assert_eq!(kind("config/types"), None);
        assert_eq!(kind("Procfile"), Some(FileKind::Procfile));
        assert_eq!(kind("Procfile.dev"), Some(FileKind::Procfile));
        assert_eq!(kind("fly.toml"), Some(FileKind::Fly));
        assert_eq!(kind("Cargo.toml"), None);
    }

    #[test]
    fn found_files_open_their_shown_path_when_it_is_the_same_file() {
        for (path, shown_opens) in [
            ("a/Dockerfile", true),
            ("./a/Dockerfile", true),
            ("././a/Dockerfile", true),
            ("/abs/Dockerfile", true),
            // Shown `a/Dockerfile`: the separator after `./` goes with it.
            (".//a/Dockerfile", true),
            ("a//b/Dockerfile", true),
        ] {
            let found = Found::new(Path::new(path), FileKind::Dockerfile);
            assert_eq!(found.other_path.is_none(), shown_opens, "{path}");
            let opened = if shown_opens {
                display_path(Path::new(path))
            } else {
                path.to_string()
            };
            assert_eq!(found.path(), Path::new(&opened), "{path}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let path = Path::new(std::ffi::OsStr::from_bytes(b"a/\xff/Dockerfile"));
            let found = Found::new(path, FileKind::Dockerfile);
            assert_eq!(found.path(), path);
        }
    }

    #[test]
    fn display_paths_drop_dot_slash() {
        assert_eq!(display_path(Path::new("./a/Dockerfile")), "a/Dockerfile");
        assert_eq!(display_path(Path::new("a/Dockerfile")), "a/Dockerfile");
        assert_eq!(
            display_path(Path::new("/abs/Dockerfile")),
            "/abs/Dockerfile"
        );
    }

    /// A separator written twice is shown once; after a leading `./` it went with the `./`'s
    /// separator only, so `.//sub/Dockerfile` was shown `/sub/Dockerfile`, another path.
    #[test]
    fn display_paths_show_doubled_separators_once() {
        for (path, shown) in [
            (".//sub/Dockerfile", "sub/Dockerfile"),
            ("././/sub/Dockerfile", "sub/Dockerfile"),
            ("././/./sub/Dockerfile", "sub/Dockerfile"),
            ("sub//Dockerfile", "sub/Dockerfile"),
            ("sub///a//Dockerfile", "sub/a/Dockerfile"),
            ("//abs/Dockerfile", "/abs/Dockerfile"),
            (".//", "."),
        ] {
            assert_eq!(display_path(Path::new(path)), shown, "{path}");
        }
    }
}
