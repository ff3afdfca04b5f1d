//! `.shutdownlint.toml`: discovered upward from the first path, or given with `--config`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::change::paths::Kind;
use crate::diagnostic::Severity;
use crate::rules::{self, RuleMeta};

pub const CONFIG_FILE_NAME: &str = ".shutdownlint.toml";

/// The configuration as written in the file (all fields optional).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Rule selectors (codes, names or code prefixes); default: all rules.
    pub select: Option<Vec<String>>,
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Glob patterns (gitignore-style) of paths not to lint.
    #[serde(default)]
    pub exclude: Vec<String>,
    pub fail_on: Option<Severity>,
    /// Per-rule severity overrides, keyed by code or name.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    #[serde(default)]
    pub drain: DrainConfig,
    #[serde(default)]
    pub nginx: NginxConfig,
    #[serde(default)]
    pub migrations: MigrationsConfig,
    #[serde(default)]
    pub procfile: ProcfileConfig,
    /// Image name (without tag) → Dockerfile (relative to this file) that builds it.
    #[serde(default)]
    pub images: BTreeMap<String, String>,
    /// Files larger than this are skipped with a note, unread (`"8MiB"`, `"100MB"`, or a
    /// number of bytes).
    pub max_file_size: Option<FileSize>,
    /// Directory the config file was found in (paths in it are relative to it).
    #[serde(skip)]
    pub root: Option<PathBuf>,
    /// The file it was read from.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DrainConfig {
    /// The application's drain timeout when nothing on the page says it.
    pub default_seconds: Option<f64>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NginxConfig {
    /// Idle timeout of the backends behind nginx (Go-style or nginx duration, e.g. "5s").
    pub backend_idle_timeout: Option<String>,
    /// The nginx version the configuration runs on (defaults changed in 1.29.7: HTTP/1.1 and
    /// keepalive to upstreams are on by default there).
    pub version: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct MigrationsConfig {
    /// Globs of migration files (change mode), in addition to each framework's conventional
    /// location.
    pub paths: Option<Vec<String>>,
    /// Globs of application code (change mode): when set, only changed files that match are
    /// application code.
    pub code: Option<Vec<String>>,
    /// Globs of files that are never application code (generated clients, fixtures), in
    /// addition to tests, docs and configuration.
    pub not_code: Option<Vec<String>>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProcfileConfig {
    /// The platform's fixed shutdown limit for Procfile processes (default 30s).
    pub kill_timeout: Option<String>,
}

/// A size in bytes, written as a number of bytes or a string with a unit: `B`, `KB`/`MB`/`GB`
/// (powers of 1000) or `KiB`/`MiB`/`GiB` (powers of 1024), case-insensitive, e.g. `"8MiB"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSize(pub u64);

impl FileSize {
    /// Parse `"8MiB"`, `"100 MB"`, `"4096"`; `None` for anything else, zero or an overflow.
    pub fn parse(text: &str) -> Option<FileSize> {
        let text = text.trim();
        let digits = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let number: u64 = text.get(..digits)?.parse().ok()?;
        let unit = text.get(digits..)?.trim().to_ascii_lowercase();
        let multiplier: u64 = match unit.as_str() {
            "" | "b" => 1,
            "kb" => 1_000,
            "mb" => 1_000_000,
            "gb" => 1_000_000_000,
            "kib" => 1 << 10,
            "mib" => 1 << 20,
            "gib" => 1 << 30,
            _ => return None,
        };
        number
            .checked_mul(multiplier)
            .filter(|&bytes| bytes > 0)
            .map(FileSize)
    }
}

impl<'de> Deserialize<'de> for FileSize {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        const EXPECTED: &str =
            "a size such as \"8MiB\", \"100MB\", \"512KiB\" or a positive number of bytes";
        impl serde::de::Visitor<'_> for Visitor {
            type Value = FileSize;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(EXPECTED)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<FileSize, E> {
                u64::try_from(v)
                    .ok()
                    .filter(|&bytes| bytes > 0)
                    .map(FileSize)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Signed(v), &EXPECTED))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<FileSize, E> {
                Some(v)
                    .filter(|&bytes| bytes > 0)
                    .map(FileSize)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Unsigned(v), &EXPECTED))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<FileSize, E> {
                FileSize::parse(v)
                    .ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &EXPECTED))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The largest config file read: a config is a few lines; this keeps a huge or endless file
/// (`/dev/zero` behind a link) from being read whole.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The most patterns `exclude`, `[migrations] paths`, `code` or `not-code` may list.
pub const MAX_PATTERNS: usize = 1_000;

/// The largest `max-file-size` a config can set: a scanned repository brings its own config,
/// and must not make a CI job read (and parse) files of gigabytes.
pub const MAX_FILE_SIZE_CEILING: u64 = 64 << 20;

/// The path of the nearest `.shutdownlint.toml` in `start` (a folder, or a file's folder) or
/// its ancestors. The file comes with the scanned tree, so it is not followed when it is a
/// symbolic link (it could point anywhere, and a parse error would print a line of it), and
/// anything but a regular file (a FIFO would block the read) is an error rather than skipped:
/// either way the run would not use the configuration its repository meant. The error is the
/// file and what is wrong with it.
pub fn find_upward(start: &Path) -> Result<Option<PathBuf>, (PathBuf, &'static str)> {
    find_nearest(start).map(|found| found.map(|(path, _)| path))
}

/// The folder a configuration was found in, open (unix): the file is read from it, so a
/// folder the walk reached is never named again by a whole path (one over `PATH_MAX` cannot
/// be).
#[cfg(unix)]
type Folder = std::os::fd::OwnedFd;
#[cfg(not(unix))]
type Folder = ();

/// [`find_upward`], with the folder the file is in.
fn find_nearest(start: &Path) -> Result<Option<(PathBuf, Folder)>, (PathBuf, &'static str)> {
    let absolute = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
    let Some((path, kind, folder)) = nearest_config(&absolute) else {
        return Ok(None);
    };
    match problem(&kind) {
        None => Ok(Some((path, folder))),
        Some(what) => Err((path, what)),
    }
}

/// Why a `.shutdownlint.toml` of this kind is not used; `None` for a regular file.
fn problem(kind: &Kind) -> Option<&'static str> {
    match kind {
        Kind::File => None,
        Kind::Link => {
            Some("is a symbolic link; not followed (pass the file it points to with --config)")
        }
        Kind::Dir => Some("is a directory, not a config file"),
        Kind::Other => Some("is not a regular file; not read"),
    }
}

/// The configuration lookup of each of `folders` (absolute paths): [`find_upward`] of those that
/// [`crate::change::paths::locate`] finds, with what it says of each; no configuration for one
/// that is or goes through a symbolic link a git work tree holds, or cannot be looked at, as
/// [`config_start`] looks for none from such a path (the file through the link is not the
/// repository's, and a parse error would quote a line of it). Folders that share their first
/// components share the steps that look at them ([`crate::change::paths::locate_each`]).
#[allow(clippy::type_complexity)]
pub fn find_upward_each(
    folders: &[&Path],
) -> Vec<(
    crate::change::paths::Looked,
    Result<Option<PathBuf>, (PathBuf, &'static str)>,
)> {
    use crate::change::paths::{locate_each, Reached};
    let looked = locate_each(folders, std::ffi::OsStr::new(CONFIG_FILE_NAME));
    folders
        .iter()
        .zip(looked)
        .map(|(folder, looked)| {
            let found = match (&looked.reached, looked.holding) {
                (Reached::Found, Some((names, kind))) => {
                    let path: PathBuf = folder.components().take(names).collect();
                    let path = path.join(CONFIG_FILE_NAME);
                    match problem(&kind) {
                        None => Ok(Some(path)),
                        Some(what) => Err((path, what)),
                    }
                }
                _ => Ok(None),
            };
            (looked, found)
        })
        .collect()
}

/// The nearest `.shutdownlint.toml` of any kind in `absolute` (a folder, or a file's folder)
/// or the folders its name is in (by name: `a/b/..` is in `a/b`), and what it is.
#[cfg(not(unix))]
fn nearest_config(absolute: &Path) -> Option<(PathBuf, Kind, Folder)> {
    let mut dir = if absolute.is_dir() {
        Some(absolute)
    } else {
        absolute.parent()
    };
    while let Some(d) = dir {
        let candidate = d.join(CONFIG_FILE_NAME);
        if let Ok(meta) = std::fs::symlink_metadata(&candidate) {
            let entry = Kind::of(meta.file_type());
            return Some((candidate, entry, ()));
        }
        dir = d.parent();
    }
    None
}

/// [`nearest_config`] on unix: each folder of the name is opened from the one before it, as
/// the system resolves the name (links followed, `..` taken from where a link led), and the
/// file looked for in it, so the cost is one step per component whatever the depth (a whole
/// path per folder cost the system a walk of thousands of folders for each of thousands).
#[cfg(unix)]
fn nearest_config(absolute: &Path) -> Option<(PathBuf, Kind, Folder)> {
    use crate::change::paths::fd;
    use std::os::fd::AsRawFd;
    let components: Vec<std::path::Component> = absolute.components().collect();
    let mut nearest: Option<(usize, Kind, Folder)> = None;
    let mut dir: Option<std::os::fd::OwnedFd> = None;
    for (at, component) in components.iter().enumerate() {
        let from = dir
            .as_ref()
            .or(nearest.as_ref().map(|(_, _, folder)| folder))
            .map_or(libc::AT_FDCWD, AsRawFd::as_raw_fd);
        // A folder that cannot be opened (missing, a file, no permission) has no file in it,
        // nor has anything below it.
        let Ok(next) = fd::open_dir(from, component.as_os_str(), true) else {
            break;
        };
        let entry = fd::kind_at(next.as_raw_fd(), std::ffi::OsStr::new(CONFIG_FILE_NAME))
            .ok()
            .flatten()
            .map(Kind::of_mode);
        // The folder of the nearest file is kept open (it is read from there); the walk goes
        // on from it while it is the last folder opened (`dir` is `None` then).
        match entry {
            Some(entry) => {
                nearest = Some((at, entry, next));
                dir = None;
            }
            None => dir = Some(next),
        }
    }
    let (at, entry, folder) = nearest?;
    let name: PathBuf = components[..=at].iter().collect();
    Some((name.join(CONFIG_FILE_NAME), entry, folder))
}

/// Where the configuration of a run over `paths` is looked for ([`Config::discover`]): the first
/// path that neither is nor goes through a symbolic link in a git work tree
/// ([`crate::change::paths::locate`]), by name: a `..` takes off the name before it
/// (`app/sub/..` is `app`: its configuration is not the one in `app/sub`), as `exclude` patterns
/// are matched, and as ruff looks for its settings; the working directory when there is none. A
/// link outside every work tree (the user's own) is looked through by name, not from where it
/// leads: `aapp/Dockerfile` and `aapp/sub/../Dockerfile` with `aapp -> real/proj/app` both look
/// in `aapp` and the folders of its name, not in `real/proj` (where `aapp/sub/..` is on disk).
/// A repository can commit `deploy -> ../other`: `shutdownlint deploy/db` must not take the
/// other repository's configuration (its `exclude`, its `[migrations]`). Such a path is not
/// walked either (a note); nor is its name without the `..`s looked through when it goes
/// through such a link.
pub fn config_start(paths: &[PathBuf]) -> PathBuf {
    use crate::change::paths::{locate, Located};
    let cwd = std::env::current_dir().ok();
    let mut seen = std::collections::HashSet::new();
    for path in paths {
        if !seen.insert(path) {
            continue;
        }
        let Some(cwd) = cwd.as_deref() else {
            return path.clone();
        };
        if !matches!(locate(path, cwd), Located::Found { .. }) {
            continue;
        }
        let dotdot = path
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
        if !dotdot {
            return path.clone();
        }
        let by_name = crate::discover::absolute_by_name(path);
        if matches!(locate(&by_name, cwd), Located::Found { .. }) {
            return by_name;
        }
    }
    PathBuf::from(".")
}

/// A configuration problem: exit code 2.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Config {
    /// Parse a config file's text; errors name the file and the offending key.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            ConfigError(format!("{}: {}", path.display(), e.to_string().trim_end()))
        })?;
        config.root = path.parent().map(Path::to_path_buf);
        config.path = Some(path.to_path_buf());
        config.validate()?;
        Ok(config)
    }

    /// Read and parse a config file: a regular file (a link to one is followed: the path was
    /// chosen by whoever runs shutdownlint) of at most [`MAX_CONFIG_BYTES`].
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        #[cfg(unix)]
        {
            Config::load_opened(crate::change::paths::fd::open_path(path), path)
        }
        #[cfg(not(unix))]
        {
            Config::load_by_path(path)
        }
    }

    /// [`Config::load`] of a file already opened (`None`: not a regular file, not opened),
    /// named `path` in errors.
    #[cfg(unix)]
    fn load_opened(
        opened: std::io::Result<Option<std::fs::File>>,
        path: &Path,
    ) -> Result<Config, ConfigError> {
        let cannot =
            |why: String| ConfigError(format!("cannot read config {}: {why}", path.display()));
        let file = match opened {
            Ok(Some(file)) => file,
            Ok(None) => return Err(cannot("not a regular file; skipped".into())),
            Err(e) => return Err(cannot(format!("cannot read: {e}"))),
        };
        // Said here: `read_opened`'s own size error names the limit of linted files.
        if let Some(len) = file
            .metadata()
            .ok()
            .filter(|meta| meta.is_file() && meta.len() > MAX_CONFIG_BYTES)
            .map(|meta| meta.len())
        {
            return Err(cannot(format!(
                "{len} bytes; a configuration file may have at most {MAX_CONFIG_BYTES} (1 MiB)"
            )));
        }
        let bytes = crate::read_opened(file, MAX_CONFIG_BYTES).map_err(cannot)?;
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        };
        Config::parse(&text, path)
    }

    #[cfg(not(unix))]
    fn load_by_path(path: &Path) -> Result<Config, ConfigError> {
        let cannot =
            |why: String| ConfigError(format!("cannot read config {}: {why}", path.display()));
        // Said here: `read_file`'s own size error names the limit of linted files.
        if let Some(len) = std::fs::metadata(path)
            .ok()
            .filter(|meta| meta.is_file() && meta.len() > MAX_CONFIG_BYTES)
            .map(|meta| meta.len())
        {
            return Err(cannot(format!(
                "{len} bytes; a configuration file may have at most {MAX_CONFIG_BYTES} (1 MiB)"
            )));
        }
        let text = crate::read_file(path, MAX_CONFIG_BYTES).map_err(cannot)?;
        Config::parse(&text, path)
    }

    /// [`Config::load`] for the file `--config` names, unless it is, or goes through, a
    /// symbolic link inside a git work tree ([`crate::change::paths::locate`]): a change can
    /// turn the file a CI workflow names into a link to a secret, whose line a parse error
    /// would quote. A link outside every work tree (the user's own) is followed.
    pub fn load_named(path: &Path) -> Result<Config, ConfigError> {
        use crate::change::paths::{locate, Located};
        let cwd = std::env::current_dir().map_err(|e| {
            ConfigError(format!(
                "cannot read config {}: cannot read the working directory ({e})",
                path.display()
            ))
        })?;
        match locate(path, &cwd) {
            Located::Found { .. } => Config::load(path),
            Located::Link { link, whole } => Err(ConfigError(if whole {
                format!(
                    "cannot read config {}: a symbolic link in a git work tree; not followed (pass the file it points to)",
                    path.display()
                )
            } else {
                format!(
                    "cannot read config {}: goes through the symbolic link `{}` in a git work tree; not followed (pass the path it points to)",
                    path.display(),
                    link.display()
                )
            })),
            Located::Unreadable { path: at, error } => Err(ConfigError(format!(
                "cannot read config {}: `{}` cannot be looked at ({error})",
                path.display(),
                at.display()
            ))),
        }
    }

    /// The nearest `.shutdownlint.toml` in `start` or its ancestors.
    pub fn discover(start: &Path) -> Result<Option<Config>, ConfigError> {
        let found = find_nearest(start)
            .map_err(|(path, what)| ConfigError(format!("{}: {what}", path.display())))?;
        let Some((path, folder)) = found else {
            return Ok(None);
        };
        // Read from the folder the walk found it in, the file itself not followed: the whole
        // path can be over `PATH_MAX` (the walk reached it one folder at a time).
        #[cfg(unix)]
        let config = {
            use std::os::fd::AsRawFd;
            let name = std::ffi::OsStr::new(CONFIG_FILE_NAME);
            let opened = crate::change::paths::fd::open_file(folder.as_raw_fd(), name, false);
            Config::load_opened(opened, &path)
        };
        #[cfg(not(unix))]
        let config = {
            let () = folder;
            Config::load(&path)
        };
        config.map(Some)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let name = self
            .path
            .as_deref()
            .map_or_else(|| CONFIG_FILE_NAME.to_string(), |p| p.display().to_string());
        if let Some(FileSize(bytes)) = self.max_file_size {
            if bytes > MAX_FILE_SIZE_CEILING {
                return Err(ConfigError(format!(
                    "{name}: max-file-size is {bytes} bytes; it can be at most {} (64MiB)",
                    MAX_FILE_SIZE_CEILING
                )));
            }
        }
        // Each pattern is compiled into the walk's matcher: 50,000 `[^N]*` patterns (under the
        // 1 MiB a configuration may have) took 559 MB before the matcher gave up.
        let lists = [
            ("exclude", self.exclude.len()),
            (
                "[migrations] paths",
                self.migrations.paths.as_ref().map_or(0, Vec::len),
            ),
            (
                "[migrations] code",
                self.migrations.code.as_ref().map_or(0, Vec::len),
            ),
            (
                "[migrations] not-code",
                self.migrations.not_code.as_ref().map_or(0, Vec::len),
            ),
        ];
        for (key, len) in lists {
            if len > MAX_PATTERNS {
                return Err(ConfigError(format!(
                    "{name}: {key} has {len} patterns; it can have at most {MAX_PATTERNS}"
                )));
            }
        }
        for selector in self.select.iter().flatten().chain(&self.ignore) {
            if !selector_is_valid(selector) {
                return Err(ConfigError(format!(
                    "{name}: unknown rule selector `{selector}` (use a code like SL101, a prefix like SL1, or a rule name)"
                )));
            }
        }
        for key in self.severity.keys() {
            if rules::find(key).is_none() {
                return Err(ConfigError(format!(
                    "{name}: [severity] names unknown rule `{key}`"
                )));
            }
        }
        let durations = [
            (
                "[nginx] backend-idle-timeout",
                &self.nginx.backend_idle_timeout,
            ),
            ("[procfile] kill-timeout", &self.procfile.kill_timeout),
        ];
        for (key, value) in durations {
            if let Some(value) = value {
                let Some(seconds) = crate::shell::commands::parse_duration_seconds(value) else {
                    return Err(ConfigError(format!(
                        "{name}: {key} `{value}` is not a duration (e.g. \"30s\")"
                    )));
                };
                if std::time::Duration::try_from_secs_f64(seconds).is_err() {
                    return Err(ConfigError(format!(
                        "{name}: {key} `{value}` is too long to be a timeout (e.g. \"30s\")"
                    )));
                }
            }
        }
        if let Some(version) = &self.nginx.version {
            let valid = !version.is_empty()
                && version.split('.').count() <= 3
                && version
                    .split('.')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
            if !valid {
                return Err(ConfigError(format!(
                    "{name}: [nginx] version `{version}` is not a version (e.g. \"1.28\" or \"1.30.0\")"
                )));
            }
        }
        if let Some(seconds) = self.drain.default_seconds {
            if !(seconds.is_finite() && seconds >= 0.0) {
                return Err(ConfigError(format!(
                    "{name}: [drain] default-seconds must be a non-negative number"
                )));
            }
        }
        Ok(())
    }
}

/// Whether a selector names at least one rule: `ALL`, a code, a code prefix or a name.
pub fn selector_is_valid(selector: &str) -> bool {
    rules::all().iter().any(|r| selector_matches(selector, r))
}

pub fn selector_matches(selector: &str, rule: &RuleMeta) -> bool {
    let s = selector.trim();
    s.eq_ignore_ascii_case("ALL")
        || rule.name.eq_ignore_ascii_case(s)
        || (!s.is_empty()
            && s.len() <= rule.code.len()
            && rule.code[..s.len()].eq_ignore_ascii_case(s))
}

/// The rules that run, and their severities, after config and command-line selection.
#[derive(Debug, Clone)]
pub struct Selection {
    enabled: BTreeMap<&'static str, Severity>,
}

impl Selection {
    /// `cli_select` replaces the config's `select`; `cli_ignore` adds to its `ignore`.
    pub fn new(
        config: &Config,
        cli_select: Option<&[String]>,
        cli_ignore: &[String],
    ) -> Result<Selection, ConfigError> {
        for selector in cli_select.into_iter().flatten().chain(cli_ignore) {
            if !selector_is_valid(selector) {
                return Err(ConfigError(format!(
                    "unknown rule selector `{selector}` (use a code like SL101, a prefix like SL1, or a rule name)"
                )));
            }
        }
        let select: Vec<String> = match (cli_select, &config.select) {
            (Some(cli), _) => cli.to_vec(),
            (None, Some(config_select)) => config_select.clone(),
            (None, None) => vec!["ALL".to_string()],
        };
        let ignore: Vec<&String> = config.ignore.iter().chain(cli_ignore).collect();
        let mut enabled = BTreeMap::new();
        for rule in rules::all() {
            let selected = select.iter().any(|s| selector_matches(s, rule));
            let ignored = ignore.iter().any(|s| selector_matches(s, rule));
            if selected && !ignored {
                enabled.insert(rule.code, rule.severity);
            }
        }
        for (key, severity) in &config.severity {
            if let Some(rule) = rules::find(key) {
                if let Some(s) = enabled.get_mut(rule.code) {
                    *s = *severity;
                }
            }
        }
        Ok(Selection { enabled })
    }

    /// Every rule at its default severity.
    pub fn all() -> Selection {
        Selection {
            enabled: rules::all().iter().map(|r| (r.code, r.severity)).collect(),
        }
    }

    /// Only the given codes (tests and doc examples).
    pub fn only(codes: &[&str]) -> Selection {
        Selection {
            enabled: rules::all()
                .iter()
                .filter(|r| codes.contains(&r.code))
                .map(|r| (r.code, r.severity))
                .collect(),
        }
    }

    pub fn is_enabled(&self, code: &str) -> bool {
        self.enabled.contains_key(code)
    }

    pub fn severity(&self, code: &str) -> Option<Severity> {
        self.enabled.get(code).copied()
    }

    pub fn codes(&self) -> BTreeSet<&'static str> {
        self.enabled.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let err =
            Config::parse("selct = [\"SL1\"]\n", Path::new("x/.shutdownlint.toml")).unwrap_err();
        assert!(err.0.contains("selct"), "{}", err.0);
        assert!(err.0.contains("x/.shutdownlint.toml"), "{}", err.0);
        let err = Config::parse("[drain]\ndefault = 3\n", Path::new("c.toml")).unwrap_err();
        assert!(err.0.contains("default"), "{}", err.0);
    }

    #[test]
    fn max_file_size_takes_units_and_rejects_nonsense() {
        let size = |text: &str| {
            Config::parse(text, Path::new("c.toml"))
                .map(|c| c.max_file_size.map(|s| s.0))
                .map_err(|e| e.0)
        };
        assert_eq!(size("max-file-size = \"8MiB\"\n"), Ok(Some(8 << 20)));
        assert_eq!(size("max-file-size = \"60 MB\"\n"), Ok(Some(60_000_000)));
        assert_eq!(size("max-file-size = \"64MiB\"\n"), Ok(Some(64 << 20)));
        assert_eq!(size("max-file-size = \"512kib\"\n"), Ok(Some(512 << 10)));
        assert_eq!(size("max-file-size = 4096\n"), Ok(Some(4096)));
        assert_eq!(size("max-file-size = \"4096\"\n"), Ok(Some(4096)));
        assert_eq!(size(""), Ok(None));
        for bad in [
            "max-file-size = \"8XB\"\n",
            "max-file-size = \"MiB\"\n",
            "max-file-size = \"1.5MiB\"\n",
            "max-file-size = 0\n",
            "max-file-size = -1\n",
            "max-file-size = \"99999999999999GiB\"\n",
            "max-file-size = true\n",
            // Over the ceiling a scanned repository may set.
            "max-file-size = \"65MiB\"\n",
            "max-file-size = \"100GB\"\n",
        ] {
            let err = size(bad).expect_err(bad);
            assert!(err.contains("max-file-size"), "{bad}: {err}");
        }
        // Unknown keys are still rejected next to it.
        let err = size("max-file-size = \"1MiB\"\nmax-file-sizes = 3\n").expect_err("unknown");
        assert!(err.contains("max-file-sizes"), "{err}");
    }

    #[test]
    fn selectors_take_codes_prefixes_and_names() {
        let config = Config::parse(
            "select = [\"SL0\"]\nignore = [\"unused-suppression\"]\n[severity]\nSL000 = \"warning\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let selection = Selection::new(&config, None, &[]).unwrap();
        assert!(selection.is_enabled("SL000"));
        assert!(!selection.is_enabled("SL001"));
        assert_eq!(selection.severity("SL000"), Some(Severity::Warning));
        assert!(Config::parse("select = [\"SL9\"]\n", Path::new("c.toml")).is_err());
    }
}
