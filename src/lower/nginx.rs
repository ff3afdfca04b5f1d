//! nginx configuration files in the model. nginx rules work on the parsed tree (directive
//! inheritance, upstreams, proxy_pass targets), so each file keeps its tree; `include`s are
//! resolved against the other nginx files of the scan by [`Scan`].

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::diagnostic::Location;
use crate::discover::absolute_by_name;
use crate::formats::nginx::{parse, Config, Directive, IncludeIndex, Pass, Scope, Upstream};
use crate::lower::nginx_placement::{Placements, Top};
use crate::source::FileId;

/// One parsed nginx file.
#[derive(Debug, Clone)]
pub struct NginxFile {
    pub file: FileId,
    /// The path as shown (for `include` resolution against the scan).
    pub path: String,
    pub config: Config,
}

/// Directive names that make a `.conf` file nginx configuration.
const NGINX_BLOCKS: &[&str] = &[
    "http", "server", "upstream", "location", "events", "stream", "map",
];

/// Whether a parsed file is nginx configuration: it has an nginx block, or sits where only nginx
/// configuration lives, or is a snippet of directives only nginx has (`proxy_pass`,
/// `proxy_set_header`, `fastcgi_param`, ...), wherever it sits (`includes/proxy-api.conf`,
/// `common/retry.conf`: nginx includes any path).
pub fn is_nginx(config: &Config, trusted_location: bool) -> bool {
    trusted_location
        || config
            .directives
            .iter()
            .any(|d| NGINX_BLOCKS.contains(&d.name.as_str()) && d.block.is_some())
        || is_nginx_snippet(config)
}

/// A file of directives named as nginx names them (lowercase words joined by `_`, each ended
/// by `;` or a block), one of which only nginx has: the proxy modules' (`proxy_`, `fastcgi_`,
/// `uwsgi_`, `scgi_`, `grpc_`), an upstream's `keepalive`, or one of the http modules' that
/// snippets are made of (`add_header`, `try_files`, `client_max_body_size`, `ssl_certificate`,
/// ...). A snippet of headers included beside a `proxy_pass` must be read, or what the
/// location sets is unknown.
fn is_nginx_snippet(config: &Config) -> bool {
    const PREFIXES: &[&str] = &[
        "proxy_",
        "fastcgi_",
        "uwsgi_",
        "scgi_",
        "grpc_",
        "ssl_",
        "gzip",
        "limit_req",
        "limit_conn",
        "client_body_",
        "client_header_",
        "open_file_cache",
    ];
    const NAMES: &[&str] = &[
        "keepalive",
        "keepalive_timeout",
        "keepalive_requests",
        "memcached_pass",
        "add_header",
        "more_set_headers",
        "try_files",
        "client_max_body_size",
        "server_tokens",
        "set_real_ip_from",
        "real_ip_header",
        "auth_basic",
        "auth_basic_user_file",
        "auth_request",
        "server_name",
        "expires",
        "sendfile",
        "tcp_nopush",
        "tcp_nodelay",
        "types_hash_max_size",
        "access_log",
        "error_log",
        "resolver",
        "sub_filter",
        "allow",
        "deny",
        "rewrite",
        "return",
        "set",
        "root",
        "alias",
        "default_type",
        "satisfy",
    ];
    let nginx_like = |name: &str| {
        name.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
    };
    !config.directives.is_empty()
        && config.directives.iter().all(|d| nginx_like(&d.name))
        && config.directives.iter().any(|d| {
            d.block.is_none()
                && (PREFIXES.iter().any(|p| d.name.starts_with(p))
                    || NAMES.contains(&d.name.as_str()))
        })
}

/// Whether unparsable text still looks like nginx configuration (so a parse error is a finding,
/// not a file of some other program that happens to be named `.conf`).
pub fn looks_like_nginx(text: &str) -> bool {
    [
        "server {",
        "http {",
        "upstream ",
        "location /",
        "events {",
        "proxy_pass ",
    ]
    .iter()
    .any(|marker| text.contains(marker))
}

// ---------------------------------------------------------------------------------------------
// Versions

/// An nginx version (`1.29.7`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

/// The release that made HTTP/1.1 with an empty `Connection` header the proxy default and
/// turned keepalive on for every `upstream` block (nginx 1.29.7, 2026-03-24; stable 1.30.0).
pub const NEW_UPSTREAM_DEFAULTS: Version = Version {
    major: 1,
    minor: 29,
    patch: 7,
};

impl Version {
    /// `1.29.7`, `1.30`, `nginx/1.30.0`, `v1.27.3`, `1.27.3-alpine`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Version> {
        let text = text.trim();
        let text = text.strip_prefix("nginx/").unwrap_or(text);
        let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
        let mut numbers = Vec::new();
        for part in text.split('.') {
            let digits: String = part.chars().take_while(|c| c.is_ascii_digit()).collect();
            if digits.is_empty() {
                break;
            }
            numbers.push(digits.parse::<u32>().ok()?);
            if digits.len() != part.len() || numbers.len() == 3 {
                break;
            }
        }
        if numbers.len() < 2 {
            return None;
        }
        Some(Version {
            major: numbers[0],
            minor: numbers[1],
            patch: numbers.get(2).copied().unwrap_or(0),
        })
    }

    /// Whether this version has the new upstream defaults (see [`NEW_UPSTREAM_DEFAULTS`]).
    pub fn has_new_upstream_defaults(self) -> bool {
        self >= NEW_UPSTREAM_DEFAULTS
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A duration from `.shutdownlint.toml` (`5s`, `500ms`, `1m`, `5`): nginx time syntax or a
/// Go-style duration. `None` for a number no `Duration` holds (`1e30s`).
pub fn parse_config_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    crate::formats::nginx::time::parse_msec(text).or_else(|| {
        crate::shell::commands::parse_duration_seconds(text)
            .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
    })
}

/// A duration for messages: `60s`, `4.5s`, `500ms`.
pub fn show_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms % 1000 != 0 {
        format!("{}s", ms as f64 / 1000.0)
    } else {
        format!("{}s", ms / 1000)
    }
}

/// The nginx version an official-style image tag stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageVersion {
    /// `nginx:1.27.3`: exactly this version.
    Exact(Version),
    /// `nginx:1.29-alpine`: the newest patch release of that minor line.
    Line { major: u32, minor: u32 },
    /// `nginx`, `nginx:latest`, `nginx:stable-alpine`, `nginx:mainline`: a current release
    /// (1.30 stable and 1.31 mainline since April 2026).
    Current,
}

impl ImageVersion {
    /// An order of releases: a line is its newest patch release, a current tag newer than any.
    fn order(self) -> (u32, u32, u32) {
        match self {
            ImageVersion::Exact(v) => (v.major, v.minor, v.patch),
            ImageVersion::Line { major, minor } => (major, minor, u32::MAX),
            ImageVersion::Current => (u32::MAX, u32::MAX, u32::MAX),
        }
    }

    pub fn has_new_upstream_defaults(self) -> bool {
        match self {
            ImageVersion::Exact(v) => v.has_new_upstream_defaults(),
            // 1.29.8 is the last 1.29 release; 1.29.7 already has the new defaults.
            ImageVersion::Line { major, minor } => (major, minor) >= (1, 29),
            ImageVersion::Current => true,
        }
    }
}

/// Images built by nginx's maintainers (and their mirrors), tagged with nginx's version: their
/// `nginx.conf` includes `/etc/nginx/conf.d/*.conf` in its `http` block and sets no proxy
/// directive. Docker Hub names as [`hub_name`] writes them.
pub const OFFICIAL_NGINX_IMAGES: &[&str] = &[
    "nginx",
    "nginxinc/nginx-unprivileged",
    "public.ecr.aws/nginx/nginx",
    "mirror.gcr.io/library/nginx",
];

/// Other images that run nginx and are tagged with nginx's version (Docker Hub names).
const OTHER_NGINX_IMAGES: &[&str] = &["bitnami/nginx"];

/// The host names of Docker Hub's registry: `docker.io/bitnami/nginx`,
/// `registry-1.docker.io/bitnami/nginx` and `index.docker.io/bitnami/nginx` all pull
/// `bitnami/nginx` (Docker docs, "docker image pull": Docker Hub is `docker.io`, its registry
/// API `registry-1.docker.io`; `index.docker.io` is its older name, which the Docker CLI still
/// reads as Docker Hub).
const DOCKER_HUB_HOSTS: &[&str] = &["docker.io/", "registry-1.docker.io/", "index.docker.io/"];

/// An image name (lowercase, without tag) as Docker Hub names it: a Docker Hub host and the
/// `library/` of official images dropped (`docker.io/library/nginx` is `nginx`,
/// `registry-1.docker.io/bitnami/nginx` is `bitnami/nginx`); names of other registries stay.
pub fn hub_name(name: &str) -> &str {
    let name = DOCKER_HUB_HOSTS
        .iter()
        .find_map(|host| name.strip_prefix(host))
        .unwrap_or(name);
    name.strip_prefix("library/").unwrap_or(name)
}

/// Where an image reference's tag and digest start: the last `:` after the last `/` and the
/// first `@`, outside `${…}` (a compose or Dockerfile variable may hold either:
/// `nginx:${NGINX_VERSION:-1.27-alpine}` is `nginx` tagged `${NGINX_VERSION:-1.27-alpine}`).
fn reference_parts(image: &str) -> (Option<usize>, Option<usize>) {
    let bytes = image.as_bytes();
    let mut depth = 0usize;
    let mut colon = None;
    let mut at = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                depth += 1;
                i += 1;
            }
            b'}' if depth > 0 => depth -= 1,
            b'/' if depth == 0 => colon = None,
            b':' if depth == 0 => colon = Some(i),
            b'@' if depth == 0 => {
                at = Some(i);
                break;
            }
            _ => {}
        }
        i += 1;
    }
    (colon, at)
}

/// An image reference's name (lowercase) and tag (`latest` when none), digest left out. The
/// parts are split outside `${…}`.
pub fn image_name_and_tag(image: &str) -> (String, &str) {
    let image = image.trim();
    let (colon, at) = reference_parts(image);
    let image = at.and_then(|at| image.get(..at)).unwrap_or(image);
    let (name, tag) = match colon.filter(|&c| c < image.len()) {
        Some(c) => (&image[..c], &image[c + 1..]),
        None => (image, "latest"),
    };
    (name.to_ascii_lowercase(), tag)
}

/// Whether an image reference names one of nginx's official images (any tag or digest, also
/// one a variable fills in: `nginx:${NGINX_VERSION}` is the official image, of a version not
/// known; a variable in the name is not known).
pub fn is_official_nginx(image: &str) -> bool {
    let (name, _) = image_name_and_tag(image);
    !name.contains('$') && OFFICIAL_NGINX_IMAGES.contains(&hub_name(&name))
}

/// The nginx version of an image reference such as `nginx:1.25-alpine` or
/// `nginx:1.30-alpine@sha256:…` (the tag says it; `None`: not an nginx image, a digest without
/// a tag, or a tag with an unexpanded variable).
pub fn nginx_image_version(image: &str) -> Option<ImageVersion> {
    let image = image.trim();
    if image.contains('$') {
        return None;
    }
    if let (None, Some(_digest)) = reference_parts(image) {
        // A digest alone says nothing of the version.
        return None;
    }
    let (name, tag) = image_name_and_tag(image);
    let name = hub_name(&name);
    if !OFFICIAL_NGINX_IMAGES.contains(&name) && !OTHER_NGINX_IMAGES.contains(&name) {
        return None;
    }
    let tag = tag.to_ascii_lowercase();
    let first = tag.split('-').next().unwrap_or("");
    if matches!(
        first,
        "latest" | "stable" | "mainline" | "alpine" | "perl" | "otel" | "bookworm" | "trixie"
    ) {
        return Some(ImageVersion::Current);
    }
    let parts: Vec<&str> = first.split('.').collect();
    let numbers: Option<Vec<u32>> = parts.iter().map(|p| p.parse::<u32>().ok()).collect();
    match numbers?.as_slice() {
        [major, minor] => Some(ImageVersion::Line {
            major: *major,
            minor: *minor,
        }),
        [major, minor, patch, ..] => Some(ImageVersion::Exact(Version {
            major: *major,
            minor: *minor,
            patch: *patch,
        })),
        _ => None,
    }
}

/// The nginx image that runs a configuration file: a Dockerfile of the scan, `FROM` an nginx
/// image, that `COPY`s the file (or a folder holding it) into the image.
#[derive(Clone, Debug)]
pub struct DetectedImage {
    /// The image as written in `FROM`.
    pub image: String,
    pub version: ImageVersion,
    /// The `FROM` line.
    pub location: Option<Location>,
    /// When this image has the defaults before 1.29.7 and the file also runs in an image with
    /// the new ones (one Dockerfile built at 1.28 and 1.30, or two containers): that image. A
    /// finding true under the older defaults is true in this image's container, not in that
    /// one's.
    pub newer: Option<String>,
}

/// The nginx image a container runs, from its base image reference `base` and, when its builds
/// make different ones, each of them (`variants`, see [`crate::model::BuiltBase::variants`]):
/// the oldest, since what holds for the oldest holds in the container built from it, with
/// [`DetectedImage::newer`] set when another build has the new defaults. `None` when one of
/// them is not a versioned nginx image.
pub fn detect_image(
    base: &crate::model::Fact<String>,
    variants: &[String],
) -> Option<DetectedImage> {
    if variants.is_empty() {
        return Some(DetectedImage {
            image: base.value.clone(),
            version: nginx_image_version(&base.value)?,
            location: base.location,
            newer: None,
        });
    }
    let mut versions: Vec<(ImageVersion, &String)> = Vec::with_capacity(variants.len());
    for variant in variants {
        versions.push((nginx_image_version(variant)?, variant));
    }
    versions.sort_by_key(|(version, _)| version.order());
    let (oldest, image) = versions.first()?;
    let (newest, newest_image) = versions.last()?;
    Some(DetectedImage {
        image: (*image).clone(),
        version: *oldest,
        location: base.location,
        newer: (newest.has_new_upstream_defaults() && !oldest.has_new_upstream_defaults())
            .then(|| (*newest_image).clone()),
    })
}

/// For every nginx file of the scan, the nginx image that the scan's Dockerfiles copy it into
/// (directly, or the main configuration that includes it), when all of them agree.
pub fn detect_images(model: &crate::model::Model, scan: &Scan<'_>) -> Vec<Option<DetectedImage>> {
    let paths: Vec<PathBuf> = scan
        .files
        .iter()
        .map(|f| absolute_by_name(Path::new(&f.path)))
        .collect();
    // Every folder (and file) path, as a [`Folders`] id → the files at or under it
    // (`Path::starts_with`).
    let mut folders = Folders::default();
    let mut under: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, path) in paths.iter().enumerate() {
        for prefix in folders.intern(path) {
            under.entry(prefix).or_default().push(i);
        }
    }
    // The images of the containers the scan's Dockerfiles and compose services put each file
    // in (a compose service's `image: nginx:1.30` that mounts it), and the images that copy it
    // from their context wherever they put it.
    let mut direct: Vec<Vec<DetectedImage>> = scan.placed_images.clone();
    direct.resize(scan.files.len(), Vec::new());
    for image in &model.images {
        let Some(context) = &image.context_dir else {
            continue;
        };
        let Some(base) = model.base_of(image) else {
            continue;
        };
        let Some(detected) = detect_image(base, model.base_variants(image)) else {
            continue;
        };
        let version = detected.version;
        let context = absolute_by_name(context);
        for copy in &image.copies {
            for source in &copy.sources {
                if source.contains(['*', '?', '[']) {
                    continue;
                }
                let source = absolute_by_name(&context.join(source));
                let Some(source) = folders.id(&source) else {
                    continue;
                };
                let new = version.has_new_upstream_defaults();
                for &i in under.get(&source).into_iter().flatten() {
                    // Which defaults apply is all that is asked of them: one image per answer
                    // (2,000 Dockerfiles over 5,000 files kept one entry per pair: 1.1 GB).
                    let Some(list) = direct.get_mut(i) else {
                        continue;
                    };
                    if list
                        .iter()
                        .any(|d| d.version.has_new_upstream_defaults() == new)
                    {
                        continue;
                    }
                    list.push(detected.clone());
                }
            }
        }
    }
    // All on one side of 1.29.7: that side. Both: the file runs on both, and what holds under
    // the older defaults holds in the older image's container, so the older image is taken,
    // naming a newer one.
    let agree = |list: &[DetectedImage]| -> Option<DetectedImage> {
        let first = list.first()?;
        let newer = list.iter().find(|d| d.version.has_new_upstream_defaults());
        match list.iter().find(|d| !d.version.has_new_upstream_defaults()) {
            Some(older) => {
                let mut older = older.clone();
                if older.newer.is_none() {
                    older.newer = newer.map(|d| d.image.clone());
                }
                Some(older)
            }
            None => Some(first.clone()),
        }
    };
    (0..scan.files.len())
        .map(|i| {
            if !direct[i].is_empty() {
                return agree(&direct[i]);
            }
            let inherited: Vec<DetectedImage> = scan.roots[i]
                .iter()
                .flat_map(|&r| direct[r].iter().cloned())
                .collect();
            agree(&inherited)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The scan: files connected by `include`, upstreams resolved across files

/// Debian/Ubuntu's `/etc/nginx/proxy_params` (package nginx-common), which configs include
/// without shipping it.
const DEBIAN_PROXY_PARAMS: &str = "proxy_set_header Host $http_host;\n\
proxy_set_header X-Real-IP $remote_addr;\n\
proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
proxy_set_header X-Forwarded-Proto $scheme;\n";

fn debian_proxy_params() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| parse(DEBIAN_PROXY_PARAMS).unwrap_or_default())
}

/// What an `include` refers to.
#[derive(Debug, Clone)]
pub enum IncludeKind {
    /// Files of the scan (indices into [`Scan::files`]).
    Resolved(Vec<usize>),
    /// A file nginx packages ship whose content is known (`proxy_params`).
    Builtin(&'static Config),
    /// A file outside the scan that holds no proxy settings (`mime.types`, `fastcgi_params`,
    /// SSL or log snippets, server blocks from a vhost folder).
    Harmless,
    /// A file outside the scan that could set anything.
    Unknown,
}

/// One `include` directive.
#[derive(Debug, Clone)]
pub struct IncludeSite<'a> {
    pub directive: &'a Directive,
    pub scope: Scope<'a>,
    pub kind: IncludeKind,
}

impl IncludeSite<'_> {
    /// The files of the scan it brings in (none unless it resolved).
    fn targets(&self) -> &[usize] {
        match &self.kind {
            IncludeKind::Resolved(targets) => targets,
            _ => &[],
        }
    }
}

/// Paths and their prefixes, interned: each prefix gets an id from its parent's id and its
/// last component, so the ids of every prefix of a path (the paths it [`Path::starts_with`])
/// cost one hash per component, not one per prefix of the whole prefix (quadratic in depth).
#[derive(Debug, Clone, Default)]
struct Folders {
    /// (parent's id, component) → id; the empty path is [`Folders::EMPTY`].
    ids: HashMap<(usize, std::ffi::OsString), usize>,
}

impl Folders {
    const EMPTY: usize = 0;

    /// The ids of every prefix of `path`, from the empty path to the path itself.
    fn intern(&mut self, path: &Path) -> Vec<usize> {
        let mut out = vec![Self::EMPTY];
        let mut id = Self::EMPTY;
        for component in path.components() {
            let next = self.ids.len() + 1;
            id = *self
                .ids
                .entry((id, component.as_os_str().to_os_string()))
                .or_insert(next);
            out.push(id);
        }
        out
    }

    /// The ids of the prefixes of `path` interned so far, from the empty path on (the path
    /// itself last when it was interned; shorter when it was not).
    fn known(&self, path: &Path) -> Vec<usize> {
        let mut out = vec![Self::EMPTY];
        let mut id = Self::EMPTY;
        for component in path.components() {
            match self.ids.get(&(id, component.as_os_str().to_os_string())) {
                Some(&next) => id = next,
                None => break,
            }
            out.push(id);
        }
        out
    }

    /// Per id: the positions `[first, end)` of its subtree (itself and the paths under it) in
    /// a depth-first walk from the empty path; an id's own position is `first`.
    fn spans(&self) -> Vec<(usize, usize)> {
        let count = self.ids.len() + 1;
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (&(parent, _), &id) in &self.ids {
            if let Some(list) = children.get_mut(parent) {
                list.push(id);
            }
        }
        let mut spans = vec![(0, 0); count];
        let mut next = 0;
        // (id, whether its children were pushed): iterative, for paths thousands deep.
        let mut stack = vec![(Self::EMPTY, false)];
        while let Some((id, done)) = stack.pop() {
            if done {
                if let Some(span) = spans.get_mut(id) {
                    span.1 = next;
                }
                continue;
            }
            if let Some(span) = spans.get_mut(id) {
                span.0 = next;
            }
            next += 1;
            stack.push((id, true));
            for &child in children.get(id).into_iter().flatten() {
                stack.push((child, false));
            }
        }
        spans
    }

    /// The id of `path`, when interned.
    fn id(&self, path: &Path) -> Option<usize> {
        let known = self.known(path);
        (known.len() == path.components().count() + 1)
            .then(|| known.last().copied())
            .flatten()
    }
}

/// A pass directive of the scan with the upstream it sends requests to (when resolved).
#[derive(Debug, Clone)]
pub struct ScanPass<'a> {
    pub file: usize,
    pub pass: Pass<'a>,
    /// Inside `stream { }` (directly or through the file that includes this one).
    pub in_stream: bool,
    /// `(file index, index into that file's upstreams)`.
    pub upstream: Option<(usize, usize)>,
    /// When the name resolves to a different upstream in each configuration that includes the
    /// file (a snippet shared by `nginx.conf` and `nginx.staging.conf`, which both define
    /// `upstream app`): the id of that list of upstreams ([`Scan::upstream_set`]), one per such
    /// configuration. `upstream` is then `None`: a rule judges the pass in each context.
    pub upstreams: Option<usize>,
}

/// An occurrence of a directive found by [`Scan::lookup`].
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// The file it is in (for a built-in include: the file with the `include`).
    pub file: usize,
    pub directive: &'a Directive,
    /// Set when the directive comes from a built-in file such as `proxy_params`: the
    /// `include` that brings it in (point there).
    pub via_builtin: Option<&'a Directive>,
}

/// The level (block) an inherited value was found at.
#[derive(Debug, Clone, Copy)]
pub struct Level<'a> {
    pub file: usize,
    /// `None`: the top level of the file.
    pub block: Option<&'a Directive>,
}

/// The effective value of a directive along one include path.
#[derive(Debug, Clone)]
pub enum Lookup<'a> {
    /// Set at `level` by `entries` (all occurrences at that level, includes spliced in). The
    /// list is shared by every lookup that reaches that level (see `Scan::level_sets`): the
    /// same list for each, so a rule can work out what a level means once
    /// ([`PerLevel`]).
    Set {
        entries: Entries<'a>,
        level: Level<'a>,
    },
    /// Not set anywhere: nginx's default applies.
    Default,
    /// An `include` of a file outside the scan could set it: unknown.
    Unknown,
}

/// Which occurrences of a directive a lookup counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Only {
    /// Every occurrence.
    All,
    /// Those whose first argument is this, ASCII case-insensitively (`proxy_set_header
    /// Connection ...` among all `proxy_set_header` lines).
    FirstArg(&'static str),
    /// Those with any argument among these, ASCII case-insensitively.
    AnyArg(&'static [&'static str]),
}

impl Only {
    fn holds(self, directive: &Directive) -> bool {
        match self {
            Only::All => true,
            Only::FirstArg(value) => directive
                .arg(0)
                .is_some_and(|a| a.eq_ignore_ascii_case(value)),
            Only::AnyArg(values) => directive
                .args
                .iter()
                .any(|a| values.iter().any(|v| a.value.eq_ignore_ascii_case(v))),
        }
    }
}

/// The occurrences of a directive at one level, in order: the level's own lines and, shared
/// rather than copied, the [`Piece`]s of the files it includes (2,000 `location`s, each with
/// its own `proxy_set_header` line beside an `include` of a file of 100,000 of them, held 200
/// million entries, 4.75 GB, when each level was one flat list). Cloning shares the list.
#[derive(Clone, Default)]
pub struct Entries<'a>(Arc<EntryParts<'a>>);

#[derive(Default)]
struct EntryParts<'a> {
    /// Never an empty part.
    parts: Vec<EntryPart<'a>>,
    len: usize,
}

enum EntryPart<'a> {
    /// Entries found at the level itself (or in an include followed directly).
    Own(Vec<Entry<'a>>),
    /// An included file's entries, shared with every level that includes it.
    Shared(Entries<'a>),
}

/// A part of an [`Entries`] list (see [`Entries::parts`]).
pub enum Part<'b, 'a> {
    /// Entries of the list's own.
    Own(&'b [Entry<'a>]),
    /// An included file's list, shared.
    Shared(&'b Entries<'a>),
}

/// An iterator over [`Entries`], from either end.
pub type EntriesIter<'b, 'a> = Box<dyn DoubleEndedIterator<Item = &'b Entry<'a>> + 'b>;

impl<'a> Entries<'a> {
    pub fn len(&self) -> usize {
        self.0.len
    }

    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }

    pub fn first(&self) -> Option<&Entry<'a>> {
        match self.0.parts.first()? {
            EntryPart::Own(own) => own.first(),
            EntryPart::Shared(shared) => shared.first(),
        }
    }

    pub fn last(&self) -> Option<&Entry<'a>> {
        match self.0.parts.last()? {
            EntryPart::Own(own) => own.last(),
            EntryPart::Shared(shared) => shared.last(),
        }
    }

    /// The entries in order.
    pub fn iter<'b>(&'b self) -> EntriesIter<'b, 'a> {
        if let [EntryPart::Own(own)] = self.0.parts.as_slice() {
            return Box::new(own.iter());
        }
        Box::new(self.0.parts.iter().flat_map(|part| -> EntriesIter<'b, 'a> {
            match part {
                EntryPart::Own(own) => Box::new(own.iter()),
                EntryPart::Shared(shared) => shared.iter(),
            }
        }))
    }

    /// The entries in order, skipping every list `seen` already holds (this one or a shared
    /// part: an included file's entries), and adding the lists it visits to `seen`: a file
    /// included 1,000 times at a level (or reached by many lookups with the same `seen`) is
    /// read once, not once per include. What is skipped are the same entries again.
    pub fn visit_once<'b>(&'b self, seen: &mut HashSet<usize>, f: &mut impl FnMut(&'b Entry<'a>)) {
        if !seen.insert(self.key()) {
            return;
        }
        for part in &self.0.parts {
            match part {
                EntryPart::Own(own) => own.iter().for_each(&mut *f),
                EntryPart::Shared(shared) => shared.visit_once(seen, f),
            }
        }
    }

    /// The parts of the list in order: runs of entries of its own, and the lists of included
    /// files it shares (each the same list for every level that includes the file).
    pub fn parts<'b>(&'b self) -> impl Iterator<Item = Part<'b, 'a>> + 'b {
        self.0.parts.iter().map(|part| match part {
            EntryPart::Own(own) => Part::Own(own),
            EntryPart::Shared(shared) => Part::Shared(shared),
        })
    }

    /// The identity of the list (equal for clones, which share it): a key for what a rule
    /// works out once per list. Keep a clone beside it so the address is not reused.
    pub fn id(&self) -> usize {
        self.key()
    }

    /// Whether both are the same list (not only equal entries).
    pub fn ptr_eq(&self, other: &Entries<'a>) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The address of the list (a key for [`PerLevel`]).
    fn key(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }
}

impl<'a> From<Vec<Entry<'a>>> for Entries<'a> {
    fn from(entries: Vec<Entry<'a>>) -> Self {
        let mut gathered = Gathered::default();
        for entry in entries {
            gathered.push(entry);
        }
        gathered.finish()
    }
}

impl<'a, 'b> IntoIterator for &'b Entries<'a> {
    type Item = &'b Entry<'a>;
    type IntoIter = EntriesIter<'b, 'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl std::fmt::Debug for Entries<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// What a rule worked out from the entries of one level, once per level: lookups that reach
/// the same level share its entry list (one `Arc`), so 40,000 passes under one `http` block of
/// 40,000 `proxy_set_header` lines read those lines once, not once per pass. With
/// [`PerLevel::fold`], also once per included file's list that levels share: 2,000 `location`s,
/// each with its own line beside an `include` of a file of 100,000 lines, read them once, not
/// once per location. (One `PerLevel` is for one of `get` and `fold`, not both.)
pub struct PerLevel<'a, T> {
    /// By the address of the entry list; the list is kept so the address is not reused.
    known: HashMap<usize, (Entries<'a>, T)>,
}

impl<T> Default for PerLevel<'_, T> {
    fn default() -> Self {
        PerLevel {
            known: HashMap::new(),
        }
    }
}

impl<'a, T> PerLevel<'a, T> {
    /// What `compute` gives for `entries`, computed the first time these entries are seen.
    pub fn get(&mut self, entries: &Entries<'a>, compute: impl FnOnce(&Entries<'a>) -> T) -> &T {
        &self
            .known
            .entry(entries.key())
            .or_insert_with(|| (entries.clone(), compute(entries)))
            .1
    }

    /// What `leaf` gives for all of `entries` when `join` puts together what it gives for two
    /// lists one after the other (`join(leaf(a), &leaf(b))` is `leaf(a + b)`): worked out
    /// once per level and once per shared part (an included file's list), each part's value
    /// reused, so a level reads its own lines and joins the values of the files it includes.
    pub fn fold(
        &mut self,
        entries: &Entries<'a>,
        leaf: &impl Fn(&[Entry<'a>]) -> T,
        join: &impl Fn(T, &T) -> T,
    ) -> &T
    where
        T: Clone,
    {
        let key = entries.key();
        if !self.known.contains_key(&key) {
            let mut value: Option<T> = None;
            for part in &entries.0.parts {
                let next = match part {
                    EntryPart::Own(own) => leaf(own),
                    EntryPart::Shared(shared) => self.fold(shared, leaf, join).clone(),
                };
                value = Some(match value {
                    None => next,
                    Some(before) => join(before, &next),
                });
            }
            let value = value.unwrap_or_else(|| leaf(&[]));
            self.known.insert(key, (entries.clone(), value));
        }
        match self.known.get(&key) {
            Some((_, value)) => value,
            None => unreachable!("inserted above"),
        }
    }
}

/// The directives one level sets (see `Scan::level_sets`).
struct LevelSet<'a> {
    entries: Entries<'a>,
    /// An include of unknown content sits at the level.
    unknown: bool,
    /// The include steps it took to find them (charged to each lookup that uses them).
    steps: usize,
}

/// The key of a level's directives in `Scan::level_sets`: (file, level key, name, filter).
type LevelSetKey = (usize, usize, String, Only);

/// The key of a climb cut short by the step budget: (the key of the climb, steps left at the
/// start).
type CutClimbKey = (LevelSetKey, usize);

/// What a lookup finds from a level outward, with the include steps it took (see
/// `Scan::climbs`).
type Climb<'a> = (Arc<[Lookup<'a>]>, usize);

/// The key of a [`Piece`] in `Scan::pieces`: (included file, name, filter).
type PieceKey = (usize, String, Only);

/// The directives of a name that an included file's top level brings in (its includes
/// spliced in), found once (see `Scan::pieces`), and what finding them depended on.
struct Piece<'a> {
    entries: Entries<'a>,
    unknown: bool,
    /// The include steps it took.
    steps: usize,
    /// Every file it looked at as an include target (sorted): an include path through one of
    /// them (files that include each other) would find something else.
    files: Vec<usize>,
    /// The longest include path it looked at, the file itself counted (see `Trace`).
    depth: usize,
}

/// What a `level_entries` walk depended on beyond the level: the files it looked at as include
/// targets and the longest include path (`visiting`) it checked against the depth limit.
#[derive(Default)]
struct Trace {
    files: Vec<usize>,
    depth: usize,
}

/// The entries of one level as `level_entries` gathers them: its own lines, and the
/// [`Piece`]s of included files as parts, shared, not copied (3,000 `location`s that each
/// `include` a file of 30,000 `proxy_set_header` lines held 90 million entries; then, while a
/// piece was copied once a line of the level's own came beside it, 2,000 `location`s with
/// their own line beside an `include` of 100,000 lines held 200 million). A level that is
/// exactly one piece is that piece's list itself.
#[derive(Default)]
struct Gathered<'a> {
    parts: Vec<EntryPart<'a>>,
    len: usize,
}

impl<'a> Gathered<'a> {
    fn push(&mut self, entry: Entry<'a>) {
        self.len += 1;
        if let Some(EntryPart::Own(own)) = self.parts.last_mut() {
            own.push(entry);
        } else {
            self.parts.push(EntryPart::Own(vec![entry]));
        }
    }

    fn splice(&mut self, piece: &Entries<'a>) {
        if piece.is_empty() {
            return;
        }
        self.len += piece.len();
        self.parts.push(EntryPart::Shared(piece.clone()));
    }

    fn finish(mut self) -> Entries<'a> {
        if let [EntryPart::Shared(_)] = self.parts.as_slice() {
            if let Some(EntryPart::Shared(piece)) = self.parts.pop() {
                return piece;
            }
        }
        for part in &mut self.parts {
            if let EntryPart::Own(own) = part {
                own.shrink_to_fit();
            }
        }
        Entries(Arc::new(EntryParts {
            parts: self.parts,
            len: self.len,
        }))
    }
}

/// What a `map` variable holds for ordinary requests.
#[derive(Debug, Clone)]
pub struct MapValue<'a> {
    pub file: usize,
    /// The map entry that gives the value (`'' close;`), or the `map` when nothing matches.
    pub entry: &'a Directive,
    pub value: &'a str,
    /// The variable the map reads (`$http_upgrade`).
    pub source: &'a str,
}

/// The nginx files of a scan with their `include` relations.
pub struct Scan<'a> {
    pub files: &'a [NginxFile],
    /// Per file: its `include` directives.
    pub sites: Vec<Vec<IncludeSite<'a>>>,
    /// Per file: `(including file, index into its sites)`.
    pub included_by: Vec<Vec<(usize, usize)>>,
    /// `(file, index into its sites)` of the vhost-folder globs that matched no file of the
    /// scan (`include /etc/nginx/conf.d/*.conf;`), by the folder of their file.
    vhost_sites: HashMap<PathBuf, VhostSites>,
    /// Per file: its top level has `server` or `upstream` blocks and no `http`, `events` or
    /// `stream` one: it runs inside some `http` block.
    server_level: Vec<bool>,
    /// Per file: it has no block of nginx's at its top level but `location`s, only
    /// directives: a piece of some block.
    bare: Vec<bool>,
    /// Per file: whether the scan's containers run it under their image's own `nginx.conf`
    /// ([`Placements::top_of`]).
    placed_top: Vec<Option<Top>>,
    /// Per file: the nginx images of the containers the scan puts it in (see
    /// [`detect_images`]).
    placed_images: Vec<Vec<DetectedImage>>,
    /// Per file of server blocks that no file of the scan includes: the `http` levels it runs
    /// at, one per kind of container (see [`HttpLevel`]); empty when the scan does not say.
    http_levels: Vec<Vec<HttpLevel>>,
    /// The files spliced into one `http` block beside server files ([`Family`]).
    families: Vec<Family<'a>>,
    /// Per file the scan puts in containers: the includes of configurations no container
    /// holds that reach it by the repository's layout (`(file, index into its sites)`): places
    /// it may run besides its containers (a ConfigMap may mount such a configuration).
    layout_includers: Vec<Vec<(usize, usize)>>,
    /// Per file: its upstream blocks.
    pub upstreams: Vec<Vec<Upstream<'a>>>,
    /// Per file: included (directly or not) from inside a `stream { }` block.
    pub in_stream: Vec<bool>,
    /// Per file: the root files (included by nothing) whose includes reach it.
    roots: Vec<Vec<usize>>,
    /// Per root file (included by nothing): files reachable through its includes (itself
    /// included), sorted; empty for the other files.
    reach: Vec<Vec<usize>>,
    pub passes: Vec<ScanPass<'a>>,
    /// Per upstream `(file, index)`: the indices of the passes that name it.
    passes_by_upstream: HashMap<(usize, usize), Vec<usize>>,
    /// Lists of upstreams a pass refers to, one per configuration that includes its file
    /// (see [`ScanPass::upstreams`]), sorted, each list once, by id; and each list's id.
    upstream_sets: Mutex<UpstreamSets>,
    /// Per list of `upstream_sets`: the indices of the passes that refer to it (one entry per
    /// pass, not one per pass and upstream: 4,000 passes in a snippet of 4,000 configurations).
    passes_by_set: HashMap<usize, Vec<usize>>,
    /// Per upstream: the lists of `upstream_sets` with passes that hold it.
    sets_of_upstream: HashMap<(usize, usize), Vec<usize>>,
    /// Per file: it holds a pass with a variable target (`proxy_pass http://$backend`).
    variable_pass: Vec<bool>,
    /// Per root file: a file its includes reach holds a pass with a variable target.
    root_variable_pass: Vec<bool>,
    /// Per file: a root file whose includes reach it is a main `nginx.conf`.
    under_main: Vec<bool>,
    /// Every upstream of the scan `(file, index)`, in that order, by (lowercased name, in
    /// stream): one list for the scan, not a map per root file (150 root files sharing one
    /// include of 50,000 upstreams took 1.5 GB that way); a pass looks for those of its name
    /// that share a root file with it (see [`Scan::find_upstream`]).
    upstreams_by_name: UpstreamsByName,
    /// Per file: the id of its list of root files (`roots`), equal lists sharing one: what a
    /// pass finds through the root files depends on that list and the name only.
    rootset: Vec<usize>,
    /// Per file: how many files the reaches of its root files hold together (what looking
    /// for a name through every root's reach costs).
    reach_size: Vec<usize>,
    /// What [`Scan::roots_upstream`] found, by (root list id, lowercased name, in stream).
    roots_upstream_memo: Mutex<HashMap<(usize, String, bool), RootsUpstream>>,
    /// Per file: its own upstreams, by (lowercased name, in stream).
    file_upstreams: Vec<UpstreamsByName>,
    /// The upstreams of the files no main `nginx.conf` reaches, by (lowercased name, in stream):
    /// `(where its file is in a depth-first walk of `folders`, upstream)`, sorted, so the ones
    /// under a folder are a range (one entry per upstream, not one per folder it is under: an
    /// 8 MB file of 180,000 upstreams 96 folders deep made 17 million).
    orphan_upstreams: UpstreamsByPlace,
    /// The folders of `orphan_upstreams`.
    folders: Folders,
    /// Per [`Folders`] id: the positions `[first, end)` of its subtree (the paths that start
    /// with it) in a depth-first walk of `folders`.
    folder_spans: Vec<(usize, usize)>,
    /// Per file: the first `map` block (in [`Config::visit`] order) per lowercased variable.
    file_maps: Vec<HashMap<String, &'a Directive>>,
    /// Per lowercased `map` variable: the files that have a `map` of it (`file_maps`),
    /// ascending (one list for the scan, not a map per root file).
    maps_by_variable: HashMap<String, Vec<usize>>,
    /// What [`Scan::find_map`] found through the root files, by (root list id, lowercased
    /// variable): the file.
    roots_map_memo: Mutex<HashMap<(usize, String), Option<usize>>>,
    /// Per component of files that include each other at their top levels (numbered after
    /// those they include there): the names of the directives at the top levels of its files,
    /// built-in includes' too.
    top_names: Vec<HashSet<&'a str>>,
    /// Per component: an include of unknown content sits at the top level of one of its files.
    top_unknown: Vec<bool>,
    /// Per component: the components its files include at their top levels.
    top_includes: Vec<Vec<usize>>,
    /// Per directive name asked: per component, whether it or one it includes at the top
    /// level may set the name (see [`Scan::brings`]).
    brings_memo: Mutex<HashMap<String, Arc<[bool]>>>,
    /// Per file, per include site: the components of the files it brings in, each once (empty
    /// unless it resolved). Whether a site may set a name is asked name by name (see
    /// [`Scan::site_may_set`]): the names each site and each component brings in, kept as
    /// sets, were sites × targets × names (300 root files `include conf.d/*.conf;` of 300 files
    /// of 300 names: 18.8 s, 1.36 GB).
    site_parts: Vec<Vec<Vec<usize>>>,
    /// [`Scan::site_may_set`] of sites with many components, by (file, site, name).
    site_may_set_memo: Mutex<HashMap<(usize, usize, String), bool>>,
    /// Per file: the index of each `include` site, by the address of its directive.
    site_at: Vec<HashMap<usize, usize>>,
    /// The levels (a block's directives, a file's top level) of more than `INDEXED_LEVEL`
    /// directives, by the address of their first directive: where each name and each
    /// `include` is, so a lookup at a level of 40,000 directives (an `http` block of thousands
    /// of servers) does not read them all, once per `proxy_pass`.
    levels: HashMap<usize, LevelIndex<'a>>,
    /// The directives of a name each level sets (includes spliced in), found once and shared
    /// by every lookup that reaches the level: 40,000 passes under an `http` block of 40,000
    /// `proxy_set_header` lines each copied and scanned all of them.
    level_sets: Mutex<HashMap<LevelSetKey, Arc<LevelSet<'a>>>>,
    /// What a lookup finds from a block outward (the block's level, the enclosing ones, the
    /// file's top level and the files that include it), by (file, address of the block or 0
    /// for the top level, name, filter), with the include steps it took: the passes under a
    /// block climb its enclosing levels once, not once each (190,000 passes 95 `location`s
    /// deep climbed 95 levels each, several names per pass). Blocks that set nothing share
    /// the result of the block around them.
    climbs: Mutex<HashMap<LevelSetKey, Climb<'a>>>,
    /// The `climbs` cut short by the step budget, by (the key of `climbs`, steps left at the
    /// start): such a result depends on the steps a lookup starts with, and a lookup that
    /// starts there with as many steps walks the same way and is cut at the same place. Kept
    /// so that passes under a snippet included from more places than the budget allows (10,000
    /// `server`s including one file of 10,000 `location`s) walk the budget once, not once per
    /// pass.
    cut_climbs: Mutex<HashMap<CutClimbKey, Arc<[Lookup<'a>]>>>,
    /// Per (included file, name, filter): the directives its top level brings in, found once
    /// with no include followed before it and used by every `include` of it where that gives
    /// the same (see [`Piece`]), so a level that only includes it shares its list. `None`:
    /// not shared (cut short by the step budget, or being found).
    pieces: Mutex<HashMap<PieceKey, Option<Arc<Piece<'a>>>>>,
    /// Per `map` block of `file_maps` (by its address): its entry for a request without the
    /// header it reads, with the value, when the map reads a request header (see
    /// [`Scan::map_value_for_plain_requests`]); worked out once per map, not per pass that
    /// uses its variable (a map of 250,000 entries was read for each of 42,000 passes).
    plain_map_values: HashMap<usize, Option<(&'a Directive, &'a str)>>,
    /// What the reader should know about the scan (an `include` limit reached), as notes.
    pub notes: Vec<String>,
    /// The first file (by index) at which includes nested more than [`MAX_INCLUDE_DEPTH`]
    /// deep were not followed by a lookup.
    too_deep: Mutex<Option<usize>>,
    /// Notes the rules add (a pass they do not judge, and why), each once, in order.
    rule_notes: Mutex<(Vec<String>, HashSet<String>)>,
    /// Tests: levels looked at and read (`level_set` and `level_entries` calls), and whether lookups share nothing (no
    /// [`Piece`]s, no `climbs`: the straightforward walk).
    #[cfg(test)]
    reads: std::sync::atomic::AtomicUsize,
    #[cfg(test)]
    plain: bool,
}

/// Lists of upstreams by id, and each list's id (see `Scan::upstream_sets`).
type UpstreamSets = (
    Vec<Arc<[(usize, usize)]>>,
    HashMap<Arc<[(usize, usize)]>, usize>,
);

/// Upstreams `(file, index)` by (lowercased name, in stream).
type UpstreamsByName = HashMap<(String, bool), Vec<(usize, usize)>>;

/// The upstreams of a name in the files the root files of a file reach, together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RootsUpstream {
    None,
    One((usize, usize)),
    /// Several, one in the reach of each root file that has any: the id of their list in
    /// `Scan::upstream_sets` (each configuration including the file has its own).
    Each(usize),
    /// Several in the reach of one root file: which one is meant cannot be told.
    Several,
}

/// What the upstream name of a pass resolves to (see [`Scan::resolve_upstream`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// Not an upstream of the scan (a host, or unknown).
    None,
    /// This upstream.
    One((usize, usize)),
    /// A different upstream in each configuration that includes the file: the id of the list
    /// ([`Scan::upstream_set`]).
    Each(usize),
}

/// Which configurations that include a file have a problem, by include path (see
/// [`Scan::judge_paths`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathsVerdict {
    /// A path cannot be judged (an include of unknown content, or a verdict of `None`).
    Unknown,
    /// No path has the problem.
    Nowhere,
    /// Every path has it: every configuration.
    Everywhere,
    /// These configurations (root files, ascending), not all: each of their paths has it.
    In(Vec<usize>),
    /// Some paths have it and a path without it cannot be attributed to a configuration.
    Unattributed,
    /// Some paths have it, but every configuration has a path without it: the blocks that
    /// include the file within one configuration disagree (a snippet of locations in two
    /// `server`s, one of which sets the value).
    Mixed,
}

/// Sites with more components than this remember what [`Scan::site_may_set`] found per name.
const SITE_PARTS_MEMO: usize = 16;

/// Whether two ascending lists of root files share one (the shorter looked up in the longer).
fn share_root(a: &[usize], b: &[usize]) -> bool {
    let (small, big) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    small.iter().any(|r| big.binary_search(r).is_ok())
}
/// Upstreams `(position of the file in a walk of folders, (file, index))` by (lowercased name,
/// in stream).
type UpstreamsByPlace = HashMap<(String, bool), Vec<(usize, (usize, usize))>>;

/// Files `include`s may bring in, counted over all the include directives of a scan (a file
/// brought in by two includes counts twice). Past it, includes are not followed: what they set
/// is unknown. `include conf.d/*.conf;` in each of 2,000 conf.d files brings in 4,000,000.
pub const MAX_INCLUDE_EDGES: usize = 1_000_000;

/// Files the includes of the scan may take from the containers that COPYs and mounts put
/// files in, counted for each container they are taken through. Past it (a file put in
/// hundreds of containers that each hold thousands of files), includes reach files by the
/// repository's layout only, with a note.
const MAX_PLACED_TARGETS: usize = 1_000_000;

/// How many vhost-folder `include`s of top-level files near a server-block file included by
/// nothing ([`Scan::top_of_server_file`]) are followed as places it may run: a realistic folder
/// has a few (`nginx.conf`, `nginx.staging.conf`). Past it, what they set is unknown, with a
/// note.
const MAX_NEAR_SITES: usize = 32;

/// How many notes say an `include` reaches what the scan does not read in a container.
const MAX_UNREAD_NOTES: usize = 64;

/// How deep a lookup follows `include`s inside included files; what lies deeper is unknown
/// (nginx has no such limit; no real configuration comes near it).
pub const MAX_INCLUDE_DEPTH: usize = 32;

/// Include steps one lookup may take (files that include each other make exponentially many
/// include paths); past it the lookup's result is unknown.
const MAX_LOOKUP_STEPS: usize = 1024;

/// Levels with more directives than this are indexed (see `Scan::levels`).
const INDEXED_LEVEL: usize = 64;

/// The key of a level in `Scan::levels`: the address of its directives (each level is its
/// own vector); `None` for an empty level.
fn level_key(directives: &[Directive]) -> Option<usize> {
    (!directives.is_empty()).then_some(directives.as_ptr() as usize)
}

/// One level's directives by name, and its `include`s (positions in order).
#[derive(Default)]
struct LevelIndex<'a> {
    by_name: HashMap<&'a str, Vec<usize>>,
    includes: Vec<usize>,
}

impl<'a> LevelIndex<'a> {
    fn new(directives: &'a [Directive]) -> Self {
        let mut index = LevelIndex::default();
        for (i, d) in directives.iter().enumerate() {
            index.by_name.entry(d.name.as_str()).or_default().push(i);
            if d.name == "include" {
                index.includes.push(i);
            }
        }
        index
    }

    /// Positions of the directives named `name` and of the `include`s, in order.
    fn positions(&self, name: &str) -> Vec<usize> {
        let named = self.by_name.get(name).map_or(&[][..], Vec::as_slice);
        let mut out = Vec::with_capacity(named.len() + self.includes.len());
        let (mut a, mut b) = (named.iter().peekable(), self.includes.iter().peekable());
        loop {
            match (a.peek(), b.peek()) {
                (Some(&&x), Some(&&y)) => {
                    if x <= y {
                        a.next();
                    }
                    if y <= x {
                        b.next();
                    }
                    out.push(x.min(y));
                }
                (Some(&&x), None) => {
                    a.next();
                    out.push(x);
                }
                (None, Some(&&y)) => {
                    b.next();
                    out.push(y);
                }
                (None, None) => return out,
            }
        }
    }
}

/// Whether a configuration file is a main `nginx.conf` (it has an `http` or `events` block).
fn is_main(config: &Config) -> bool {
    config
        .directives
        .iter()
        .any(|d| matches!(d.name.as_str(), "http" | "events") && d.block.is_some())
}

/// Folders whose files are server blocks (vhosts).
const VHOST_FOLDERS: &[&str] = &[
    "conf.d",
    "sites-enabled",
    "sites-available",
    "vhosts",
    "vhosts.d",
    "servers",
    "http.d",
    "sites",
];

/// `conf.d/*.conf`, `/etc/nginx/conf.d/default.conf`: a pattern of a vhost folder (whatever it
/// matched in the scan: the image may hold more there).
fn in_vhost_folder(pattern: &str) -> bool {
    Path::new(pattern)
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .is_some_and(|folder| VHOST_FOLDERS.contains(&folder))
}

/// `conf.d/*.conf`, `/etc/nginx/sites-enabled/*`: a glob over a vhost folder.
fn is_vhost_glob(pattern: &str) -> bool {
    let name = Path::new(pattern)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    name.contains(['*', '?', '[']) && in_vhost_folder(pattern)
}

/// Whether an include pattern is a packaged nginx.conf's glob over its folder of module loads:
/// `modules-enabled/*.conf` (Debian, Ubuntu), `modules/*.conf` (Alpine's `/etc/nginx/modules`,
/// RHEL's `/usr/share/nginx/modules`).
fn is_module_glob(pattern: &str) -> bool {
    let path = Path::new(pattern);
    let folder = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str());
    let name = path.file_name().and_then(|n| n.to_str());
    matches!(folder, Some("modules-enabled" | "modules")) && name == Some("*.conf")
}

/// Whether the file (or pattern) at `path` is in a vhost folder where a packaged nginx.conf's
/// glob takes it (`conf.d/x.conf`, `http.d/x.conf`, `sites-enabled/x`, Bitnami's
/// `server_blocks/x.conf`).
fn taken_by_vhost_glob(path: &str) -> bool {
    let path = Path::new(path);
    let (Some(folder), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str()))
    else {
        return false;
    };
    match folder.file_name().and_then(|n| n.to_str()) {
        Some("sites-enabled") => !name.starts_with('.'),
        Some("conf.d" | "http.d" | "server_blocks") => {
            name.ends_with(".conf") || name.contains(['*', '?', '['])
        }
        Some("http") => {
            folder.parent().and_then(|p| p.file_name()) == Some(std::ffi::OsStr::new("context.d"))
                && (name.ends_with(".conf") || name.contains(['*', '?', '[']))
        }
        _ => false,
    }
}

/// Whether a (lowercase) file name has one of `words` as a word of its own: the name split at
/// what is not a letter or digit, a part that is the word, its plural, or `logging`,
/// `certificate(s)`.
fn has_harmless_word(name: &str, words: &[&str]) -> bool {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .any(|part| {
            words.iter().any(|w| {
                part == *w
                    || part.strip_suffix('s') == Some(w)
                    || (*w == "log" && part == "logging")
                    || (*w == "cert" && part.starts_with("certificate"))
            })
        })
}

/// Whether a file name is key material nginx reads for TLS or basic auth (a certificate, key,
/// request or keystore: `*.crt`, `*.key`, `*.pem`, …; an `.htpasswd`), which sets no directive.
pub(crate) fn is_key_material(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        ".crt", ".cer", ".key", ".pem", ".csr", ".der", ".p12", ".pfx", ".srl",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext))
        || lower.contains("htpasswd")
}

/// What an include that matches no file of the scan most likely holds.
pub(crate) fn classify_unresolved(pattern: &str) -> IncludeKind {
    let path = Path::new(pattern);
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if name == "proxy_params" {
        return IncludeKind::Builtin(debian_proxy_params());
    }
    const HARMLESS_NAMES: &[&str] = &[
        "mime.types",
        "fastcgi_params",
        "fastcgi.conf",
        "uwsgi_params",
        "scgi_params",
        "koi-utf",
        "koi-win",
        "win-utf",
    ];
    const HARMLESS_WORDS: &[&str] = &[
        "mime",
        "ssl",
        "tls",
        "gzip",
        "brotli",
        "cert",
        "letsencrypt",
        "acme",
        "log",
        "dhparam",
    ];
    if HARMLESS_NAMES.contains(&name.as_str()) || name.ends_with(".types") {
        return IncludeKind::Harmless;
    }
    // Debian's and Ubuntu's `include /etc/nginx/modules-enabled/*.conf;`, Alpine's
    // `/etc/nginx/modules/*.conf`, RHEL's `/usr/share/nginx/modules/*.conf`: the packages'
    // nginx.conf include them at the main level, and the files there hold `load_module`
    // lines only (a main-level directive: nothing of an `http` level).
    if is_module_glob(pattern) {
        return IncludeKind::Harmless;
    }
    // A file a vhost glob takes (`conf.d/*.conf`, `sites-enabled/*`) is spliced into the
    // `http` level whatever its name says (`conf.d/10-proxy-tls.conf` may set the proxy
    // settings): not harmless by a word of its name. Elsewhere a word of the name
    // (`ssl.conf`, `options-ssl-nginx.conf`, `access-log.conf`) says what a snippet holds,
    // as a whole word (`upstream-catalog.conf` is no log snippet).
    if !taken_by_vhost_glob(pattern) && has_harmless_word(&name, HARMLESS_WORDS) {
        return IncludeKind::Harmless;
    }
    // `include conf.d/*.conf;`: a glob over a vhost folder brings in server blocks.
    if is_vhost_glob(pattern) {
        return IncludeKind::Harmless;
    }
    IncludeKind::Unknown
}

/// The files spliced into one `http` block beside a server file (a `conf.d/00-proxy.conf` of
/// proxy-wide settings beside `conf.d/default.conf`), by the names of the directives their top
/// levels set there.
#[derive(Debug, Default)]
struct Family<'a> {
    /// A directive name → the members whose top level has it, in order.
    by_name: HashMap<&'a str, Vec<usize>>,
    /// The members whose top level has an `include` (which may bring in any name).
    includes: Vec<usize>,
    /// Something the scan does not read is among them.
    unknown: bool,
}

/// One `http` level a server file included by nothing runs at: the files beside it there
/// (an index into [`Scan::families`]), and what is past them: `Some` when the scan's
/// containers say (their image's own nginx.conf), `None` when it does not (the lookup goes on
/// as for a file no container holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HttpLevel {
    family: Option<usize>,
    past: Option<Top>,
}

/// Per file of server blocks that no file of the scan includes, the `http` levels it runs at
/// (see [`Scan::http_levels`]), and the families they refer to. In the containers that run
/// it under their image's own `nginx.conf`: one level per container kind, with the other files
/// there in the vhost folders that nginx.conf includes. Otherwise, in a vhost folder
/// (`conf.d/`, `sites-enabled/`): the files no file of the scan includes in that folder and the
/// vhost folders beside it (the `nginx.conf` that includes one includes the others, as
/// Debian's does), by the names a packaged nginx.conf's globs take.
fn http_levels<'a>(
    files: &'a [NginxFile],
    paths: &[PathBuf],
    placements: &Placements,
    included_by: &[Vec<(usize, usize)>],
    server_level: &[bool],
) -> (Vec<Vec<HttpLevel>>, Vec<Family<'a>>) {
    let n = files.len();
    let mut families: Vec<Family<'a>> = Vec::new();
    let mut family_of =
        |members: &mut dyn Iterator<Item = usize>, unknown: bool| -> Option<usize> {
            let mut family = Family {
                unknown,
                ..Family::default()
            };
            let mut any = unknown;
            for m in members {
                let Some(file) = files.get(m) else {
                    continue;
                };
                for d in file.config.directives.iter().filter(|d| d.block.is_none()) {
                    any = true;
                    if d.name == "include" {
                        if family.includes.last() != Some(&m) {
                            family.includes.push(m);
                        }
                    } else {
                        let list = family.by_name.entry(d.name.as_str()).or_default();
                        if list.last() != Some(&m) {
                            list.push(m);
                        }
                    }
                }
            }
            any.then(|| {
                families.push(family);
                families.len() - 1
            })
        };
    let mut out: Vec<Vec<HttpLevel>> = vec![Vec::new(); n];
    // Per (container, folder above the vhost folders): its family.
    let mut in_units: HashMap<(usize, &Path), Option<usize>> = HashMap::new();
    // A repository folder of server blocks: its parent, when a packaged nginx.conf's glob over
    // a folder of its name takes the file (`conf.d/*.conf`, `sites-enabled/*`; `*.conf` in the
    // other vhost folders).
    let vhost_parent = |f: usize| {
        let path = &paths[f];
        let folder = path.parent()?;
        let name = path.file_name()?.to_str()?;
        let takes = match folder.file_name()?.to_str()? {
            "conf.d" | "http.d" | "sites-enabled" => {
                crate::lower::nginx_placement::vhost_glob_holds(folder, name)
            }
            _ => in_vhost_folder(&path.to_string_lossy()) && name.ends_with(".conf"),
        };
        takes.then(|| folder.parent()).flatten()
    };
    let mut by_parent: HashMap<&Path, Vec<usize>> = HashMap::new();
    for f in (0..n).filter(|&f| included_by[f].is_empty() && !placements.is_placed(f)) {
        if let Some(parent) = vhost_parent(f) {
            by_parent.entry(parent).or_default().push(f);
        }
    }
    let mut by_parent_family: HashMap<&Path, Option<usize>> = HashMap::new();
    for f in (0..n).filter(|&f| server_level[f] && included_by[f].is_empty()) {
        let mut levels: Vec<HttpLevel> = Vec::new();
        for (u, unit, path) in placements.stock_places(f) {
            let Some(top) = path.parent().and_then(Path::parent) else {
                continue;
            };
            let family = *in_units.entry((u, top)).or_insert_with(|| {
                let (members, unknown) = placements.http_family(u, top);
                family_of(&mut members.into_iter(), unknown)
            });
            let level = HttpLevel {
                family,
                past: Some(unit.top()),
            };
            if !levels.contains(&level) {
                levels.push(level);
            }
        }
        // In `sites-available/` of a container where something unread is in `sites-enabled/`
        // (a `RUN ln -s`): it may run at that container's `http` level, not followed.
        if placements.may_be_enabled(f) {
            levels.push(HttpLevel {
                family: None,
                past: Some(Top::Unknown),
            });
        }
        if levels.is_empty() && !placements.is_placed(f) {
            if let Some(parent) = vhost_parent(f) {
                let family = *by_parent_family.entry(parent).or_insert_with(|| {
                    let members = by_parent.get(parent).cloned().unwrap_or_default();
                    family_of(&mut members.into_iter(), false)
                });
                if family.is_some() {
                    levels.push(HttpLevel { family, past: None });
                }
            }
        }
        out[f] = levels;
    }
    (out, families)
}

/// The vhost-folder `include`s of the top-level files of one folder ([`Scan::near_sites`]):
/// globs, and paths by the file name they name.
#[derive(Debug, Default)]
struct VhostSites {
    globs: Vec<(usize, usize)>,
    by_name: HashMap<std::ffi::OsString, Vec<(usize, usize)>>,
}

/// What an include pattern names in one container: the files of the scan there (indices into
/// the container's paths), and whether it may name something there the scan does not read.
type PlacedResolution = (Vec<usize>, Option<PathBuf>);

/// What the files beside a server file set for a name ([`Scan::family_lookup`]).
enum FamilyLookup<'a> {
    Nothing,
    Set(Lookup<'a>),
    Unknown,
}

/// The absolute path in a container that an include pattern names from a file at `here` there:
/// as written when absolute, else under the configuration prefix `here` is in (`None` when it
/// is in none).
fn in_container(pattern: &str, here: &Path) -> Option<String> {
    if pattern.starts_with('/') {
        return Some(pattern.to_string());
    }
    let prefix = crate::formats::nginx::include::conventional_prefix(here.to_str()?)?;
    Some(format!("{prefix}/{pattern}"))
}

/// The strongly connected components of the graph of `n` nodes whose successors are
/// `successors(node)`: a component number per node, and how many components. A component is
/// numbered after every component it reaches (iterative Tarjan: O(nodes + edges)).
fn strong_components<I: Iterator<Item = usize>>(
    n: usize,
    successors: impl Fn(usize) -> I,
) -> (Vec<usize>, usize) {
    const UNSEEN: usize = usize::MAX;
    let mut order = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut component = vec![UNSEEN; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut calls: Vec<(usize, I)> = Vec::new();
    let (mut next, mut count) = (0, 0);
    for start in 0..n {
        if order[start] != UNSEEN {
            continue;
        }
        order[start] = next;
        low[start] = next;
        next += 1;
        stack.push(start);
        on_stack[start] = true;
        calls.push((start, successors(start)));
        while let Some((v, edges)) = calls.last_mut() {
            let v = *v;
            if let Some(w) = edges.next() {
                if order[w] == UNSEEN {
                    order[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, successors(w)));
                } else if on_stack[w] {
                    low[v] = low[v].min(order[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == order[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component[w] = count;
                    if w == v {
                        break;
                    }
                }
                count += 1;
            }
        }
    }
    (component, count)
}

impl<'a> Scan<'a> {
    pub fn new(files: &'a [NginxFile]) -> Scan<'a> {
        Scan::with_include_limit(files, &Placements::default(), MAX_INCLUDE_EDGES)
    }

    /// [`Scan::new`] for files that `placements` puts into containers: an include also
    /// reaches the files the containers its file is in hold at the path it names.
    pub fn placed(files: &'a [NginxFile], placements: &Placements) -> Scan<'a> {
        Scan::with_include_limit(files, placements, MAX_INCLUDE_EDGES)
    }

    /// [`Scan::new`] with `limit` in place of [`MAX_INCLUDE_EDGES`].
    /// Includes of `file` nested too deep were not followed (the note names the first file).
    fn note_too_deep(&self, file: usize) {
        if let Ok(mut first) = self.too_deep.lock() {
            *first = Some(first.map_or(file, |f| f.min(file)));
        }
    }

    /// The notes of the scan, with one for includes nested too deep to be followed.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = self.notes.clone();
        let deep = self.too_deep.lock().ok().and_then(|first| *first);
        if let Some(file) = deep.and_then(|f| self.files.get(f)) {
            notes.push(format!(
                "{}: nginx `include`s nested more than {MAX_INCLUDE_DEPTH} deep are not followed (what they set is taken as unknown)",
                file.path
            ));
        }
        // The rules add theirs from several threads: in order of their text, the same in every
        // run.
        if let Ok(added) = self.rule_notes.lock() {
            let mut added = added.0.clone();
            added.sort_unstable();
            notes.extend(added);
        }
        notes
    }

    /// Adds a note for the reader (once: the same text again adds nothing).
    pub fn note(&self, text: String) {
        if let Ok(mut added) = self.rule_notes.lock() {
            let (list, seen) = &mut *added;
            if seen.insert(text.clone()) {
                list.push(text);
            }
        }
    }

    fn with_include_limit(
        files: &'a [NginxFile],
        placements: &Placements,
        limit: usize,
    ) -> Scan<'a> {
        let paths: Vec<PathBuf> = files.iter().map(|f| PathBuf::from(&f.path)).collect();
        let index = IncludeIndex::new(&paths);
        let unit_indices: Vec<IncludeIndex<'_>> = placements
            .units
            .iter()
            .map(|unit| IncludeIndex::new(&unit.paths))
            .collect();
        // Within one container, by (pattern, container, folder of the including file there).
        // The value: the files matched there, and whether the pattern may name something there
        // the scan does not read.
        let mut placed_resolutions: HashMap<(&str, usize, Option<&Path>), PlacedResolution> =
            HashMap::new();
        // Each file's containers (sorted), interned: whether two files share one is asked once
        // per pair of such lists.
        let mut unit_lists: HashMap<Vec<usize>, usize> = HashMap::new();
        let unit_list: Vec<usize> = (0..files.len())
            .map(|f| {
                let mut units: Vec<usize> = placements
                    .of_file
                    .get(f)
                    .into_iter()
                    .flatten()
                    .map(|&(u, _)| u)
                    .collect();
                units.sort_unstable();
                units.dedup();
                let next = unit_lists.len();
                *unit_lists.entry(units).or_insert(next)
            })
            .collect();
        let lists: Vec<Vec<usize>> = {
            let mut lists = vec![Vec::new(); unit_lists.len()];
            for (units, id) in unit_lists {
                if let Some(slot) = lists.get_mut(id) {
                    *slot = units;
                }
            }
            lists
        };
        let mut shared_lists: HashMap<(usize, usize), bool> = HashMap::new();
        // Whether `i` may include `t` by the repository's layout (asked for an `i` no container
        // holds, or past the containers' budget): unless the scan puts `t` in containers and
        // `i` is in none of them (their includes are known: `i` is not there).
        // The id of the empty list of containers (a file no container holds).
        let no_units = lists.iter().position(Vec::is_empty).unwrap_or(usize::MAX);
        // Per placed file: the includes, of files no container holds, that reach it by the
        // repository's layout (`(file, index into its sites)`).
        let mut layout_includers: Vec<Vec<(usize, usize)>> = vec![Vec::new(); files.len()];
        // Placed files more configurations reach by the layout than are followed.
        let mut layout_capped: Vec<usize> = Vec::new();
        let mut by_layout = |i: usize, t: usize| -> bool {
            let (a, b) = (unit_list[i], unit_list[t]);
            let Some(theirs) = lists.get(b).filter(|l| !l.is_empty()) else {
                return true;
            };
            *shared_lists.entry((a, b)).or_insert_with(|| {
                lists
                    .get(a)
                    .is_some_and(|mine| mine.iter().any(|u| theirs.binary_search(u).is_ok()))
            })
        };
        // Files taken from the containers' resolutions in all (the same file through several
        // containers counts for each): past it, includes reach files by the layout only.
        let mut placed_left = MAX_PLACED_TARGETS;
        let mut placed_cut = false;
        let n = files.len();
        let mut sites: Vec<Vec<IncludeSite<'a>>> = Vec::with_capacity(n);
        let mut included_by: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        // A pattern resolves the same from every file of a folder: resolved once per
        // (pattern, folder). `include conf.d/*.conf;` in each of 2,000 conf.d files is one glob.
        let mut resolutions: HashMap<(&str, Option<&Path>), Vec<usize>> = HashMap::new();
        let mut edges_left = limit;
        let mut cut = false;
        let mut notes = Vec::new();
        let mut unread_notes = 0usize;
        for (i, file) in files.iter().enumerate() {
            let mut list = Vec::new();
            for (directive, scope) in file.config.includes() {
                let pattern = directive.arg(0).unwrap_or("");
                let site_index = list.len();
                let kind = if cut {
                    // Past the limit nothing more is followed: what the include sets is unknown.
                    IncludeKind::Unknown
                } else {
                    let found = resolutions
                        .entry((pattern, paths[i].parent()))
                        .or_insert_with(|| index.resolve(pattern, &paths[i], &[]));
                    let mut targets: Vec<usize> = Vec::new();
                    // Layout targets left out (in containers `i` is not in): they count
                    // against the includes' budget too, like the ones followed.
                    let mut dropped = 0usize;
                    let mut over = false;
                    // In a container the file is in, an include reaches what that container
                    // holds at the path it names: a file of the scan a COPY or mount puts
                    // there, else what the image has (Debian's `proxy_params`), never a
                    // repository file nothing puts there (a `nginx/proxy_params` the
                    // Dockerfile forgot to COPY). The layout is for files no container holds
                    // (and past the containers' budget, as its note says).
                    let in_containers = unit_list[i] != no_units && !placed_cut;
                    for &t in found.iter().filter(|&&t| t != i) {
                        if targets.len() + dropped >= edges_left {
                            over = true;
                            break;
                        }
                        if !in_containers && by_layout(i, t) {
                            targets.push(t);
                            continue;
                        }
                        dropped += 1;
                        if unit_list[i] == no_units {
                            // A configuration no container holds (a Kubernetes ConfigMap may
                            // mount it): a place the file may run, besides its containers.
                            if let Some(others) = layout_includers.get_mut(t) {
                                if others.len() < MAX_NEAR_SITES {
                                    others.push((i, site_index));
                                } else if !layout_capped.contains(&t) && layout_capped.len() < 16 {
                                    layout_capped.push(t);
                                }
                            }
                        }
                    }
                    edges_left = edges_left.saturating_sub(dropped);
                    // In each container the file is in: the files there at the path named.
                    let places = placements.of_file.get(i).map_or(&[][..], Vec::as_slice);
                    let mut opaque = false;
                    let mut unread_place: Option<PathBuf> = None;
                    for &(u, at) in places {
                        let (Some(unit), Some(unit_index)) =
                            (placements.units.get(u), unit_indices.get(u))
                        else {
                            continue;
                        };
                        let Some(here) = unit.paths.get(at) else {
                            continue;
                        };
                        let (found, unread) = placed_resolutions
                            .entry((pattern, u, here.parent()))
                            .or_insert_with(|| match in_container(pattern, here) {
                                Some(p) => (
                                    unit_index.resolve_absolute(&p),
                                    unit.opaque_match(&p).map(Path::to_path_buf),
                                ),
                                None => (Vec::new(), None),
                            });
                        if let Some(place) = unread {
                            opaque = true;
                            if unread_place.is_none() {
                                unread_place = Some(place.clone());
                            }
                        }
                        if placed_cut {
                            break;
                        }
                        let Some(left) = placed_left.checked_sub(found.len()) else {
                            placed_cut = true;
                            notes.push(format!(
                                "{}: nginx `include`s reach more than \
                                     {MAX_PLACED_TARGETS} files through the containers that \
                                     COPYs and mounts put files in; from here on they reach \
                                     files by the repository's layout only",
                                file.path
                            ));
                            break;
                        };
                        placed_left = left;
                        targets.extend(
                            found
                                .iter()
                                .filter_map(|&k| unit.files.get(k).copied())
                                .filter(|&t| t != i),
                        );
                        // More than the includes left may bring in: cut below anyway.
                        if targets.len() > edges_left {
                            break;
                        }
                    }
                    if !places.is_empty() {
                        targets.sort_by(|&a, &b| paths[a].cmp(&paths[b]).then(a.cmp(&b)));
                        targets.dedup();
                    }
                    // More than the includes left may bring in: this one and those after it
                    // are cut.
                    let over =
                        over || (!opaque && !targets.is_empty() && targets.len() > edges_left);
                    if over {
                        cut = true;
                        notes.push(format!(
                            "{}: nginx `include`s bring in more than {limit} files in all; this \
                             `include` and those after it are not followed (what they set is \
                             taken as unknown)",
                            file.path
                        ));
                        IncludeKind::Unknown
                    } else if opaque {
                        // A container puts there what the scan does not read (a file of the
                        // repository not named like nginx configuration, a named volume, a
                        // `COPY --from`): what it sets is not known, and the note says so.
                        if let Some(place) = &unread_place {
                            if unread_notes < MAX_UNREAD_NOTES {
                                unread_notes += 1;
                                notes.push(format!(
                                    "{}: `include {pattern}` reaches {} in a container the \
                                     scan's Dockerfiles or compose services make, where they put \
                                     what the scan does not read (a file not named like nginx \
                                     configuration, a volume, a `COPY --from`, a `RUN`); what it \
                                     sets is taken as unknown and the rules that need it stay \
                                     silent",
                                    file.path,
                                    place.display()
                                ));
                            }
                        }
                        IncludeKind::Unknown
                    } else if targets.is_empty() {
                        classify_unresolved(pattern)
                    } else {
                        edges_left -= targets.len();
                        IncludeKind::Resolved(targets)
                    }
                };
                if let IncludeKind::Resolved(targets) = &kind {
                    for &t in targets {
                        included_by[t].push((i, list.len()));
                    }
                }
                list.push(IncludeSite {
                    directive,
                    scope,
                    kind,
                });
            }
            sites.push(list);
        }
        drop((resolutions, placed_resolutions, unit_indices));
        for &t in &layout_capped {
            notes.push(format!(
                "{}: more than {MAX_NEAR_SITES} configurations no container holds include it by \
                 the repository's layout; only the first {MAX_NEAR_SITES} are followed as places \
                 it may run",
                files[t].path
            ));
        }
        let placed_top: Vec<Option<Top>> = (0..n).map(|f| placements.top_of(f)).collect();
        notes.extend(placements.notes.iter().cloned());
        let mut placed_images: Vec<Vec<DetectedImage>> = vec![Vec::new(); n];
        for (list, places) in placed_images.iter_mut().zip(&placements.of_file) {
            for &(u, _) in places {
                // Which defaults apply is all [`detect_images`] asks of them: one image per
                // answer is enough (a file in a hundred containers keeps two at most).
                let Some(image) = placements.units.get(u).and_then(|u| u.image.as_ref()) else {
                    continue;
                };
                let new = image.version.has_new_upstream_defaults();
                if !list
                    .iter()
                    .any(|i| i.version.has_new_upstream_defaults() == new)
                {
                    list.push(image.clone());
                }
            }
        }
        let resolved = |f: usize| sites[f].iter().flat_map(IncludeSite::targets);
        // The `include conf.d/*.conf;` of a vhost folder that matched no file of the scan: a
        // file of server blocks the scan holds elsewhere (`nginx/default.conf`, copied there
        // by a Dockerfile) may run there.
        // By the folder of the file that has them.
        let mut vhost_sites: HashMap<PathBuf, VhostSites> = HashMap::new();
        for (f, list) in sites.iter().enumerate() {
            for (k, site) in list.iter().enumerate() {
                // Inside an `http` block: where server blocks run (a glob in a file of server
                // blocks is not one such file's context).
                let in_http = site.scope.chain.iter().any(|d| d.name == "http");
                if in_http && in_vhost_folder(site.directive.arg(0).unwrap_or("")) {
                    let folder = paths[f].parent().map(Path::to_path_buf).unwrap_or_default();
                    let sites = vhost_sites.entry(folder).or_default();
                    let pattern = site.directive.arg(0).unwrap_or("");
                    if is_vhost_glob(pattern) {
                        sites.globs.push((f, k));
                    } else if let Some(name) = Path::new(pattern).file_name() {
                        sites
                            .by_name
                            .entry(name.to_os_string())
                            .or_default()
                            .push((f, k));
                    }
                }
            }
        }
        // Files of directives only, no block of nginx's: pieces of some block (an included
        // `includes/proxy-api.conf`). So are files of `location` blocks (`if`, `limit_except`):
        // nginx allows them in a `server` or `location` only, never at the top.
        let bare: Vec<bool> = files
            .iter()
            .map(|file| {
                !file.config.directives.iter().any(|d| {
                    d.block.is_some()
                        && NGINX_BLOCKS.contains(&d.name.as_str())
                        && !matches!(d.name.as_str(), "location" | "if" | "limit_except")
                })
            })
            .collect();
        let server_level: Vec<bool> = files
            .iter()
            .map(|file| {
                let blocks = || file.config.directives.iter().filter(|d| d.block.is_some());
                blocks().any(|d| matches!(d.name.as_str(), "server" | "upstream"))
                    && !blocks().any(|d| matches!(d.name.as_str(), "http" | "events" | "stream"))
            })
            .collect();
        let (http_levels, families) =
            http_levels(files, &paths, placements, &included_by, &server_level);

        // Files reachable through the includes of each root file (walked over the components
        // of files that include each other, so a root that reaches 2,000 files which all
        // include each other takes 2,000 steps, not 4,000,000).
        let (component, count) = strong_components(n, |f| resolved(f).copied());
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (f, &c) in component.iter().enumerate() {
            members[c].push(f);
        }
        let mut seen = vec![usize::MAX; count];
        let mut condensed: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (c, list) in members.iter().enumerate() {
            seen[c] = c;
            for &f in list {
                for &t in resolved(f) {
                    let d = component[t];
                    if seen[d] != c {
                        seen[d] = c;
                        condensed[c].push(d);
                    }
                }
            }
        }
        seen.fill(usize::MAX);
        let mut reach: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut stack = Vec::new();
        for r in (0..n).filter(|&r| included_by[r].is_empty()) {
            let Some(&start) = component.get(r) else {
                continue;
            };
            seen[start] = r;
            stack.push(start);
            let mut found = Vec::new();
            while let Some(c) = stack.pop() {
                found.extend_from_slice(&members[c]);
                for &d in &condensed[c] {
                    if seen[d] != r {
                        seen[d] = r;
                        stack.push(d);
                    }
                }
            }
            found.sort_unstable();
            reach[r] = found;
        }
        drop((members, condensed, seen));
        let mut roots: Vec<Vec<usize>> = vec![Vec::new(); n];
        for r in (0..n).filter(|&r| included_by[r].is_empty()) {
            for &f in &reach[r] {
                roots[f].push(r);
            }
        }

        // Files included from inside `stream { }`, directly or through a file that is.
        let mut in_stream = vec![false; n];
        let mut work: Vec<usize> = Vec::new();
        for site in sites.iter().flatten().filter(|s| s.scope.in_stream()) {
            work.extend(site.targets());
        }
        while let Some(f) = work.pop() {
            if !in_stream[f] {
                in_stream[f] = true;
                work.extend(resolved(f));
            }
        }

        let upstreams: Vec<Vec<Upstream<'a>>> =
            files.iter().map(|f| f.config.upstreams()).collect();
        // Whether an upstream of a file is a stream one, and its key in the indices.
        let key =
            |f: usize, u: &Upstream<'_>| (u.name.to_ascii_lowercase(), in_stream[f] || u.in_stream);
        let is_root = |r: usize| included_by[r].is_empty();

        let main: Vec<bool> = (0..n)
            .map(|r| is_root(r) && is_main(&files[r].config))
            .collect();
        let under_main: Vec<bool> = roots
            .iter()
            .map(|list| list.iter().any(|&r| main[r]))
            .collect();

        let mut upstreams_by_name = UpstreamsByName::new();
        for (f, list) in upstreams.iter().enumerate() {
            for (i, u) in list.iter().enumerate() {
                upstreams_by_name.entry(key(f, u)).or_default().push((f, i));
            }
        }
        let mut rootset_ids: HashMap<&[usize], usize> = HashMap::new();
        let rootset: Vec<usize> = roots
            .iter()
            .map(|list| {
                let next = rootset_ids.len();
                *rootset_ids.entry(list.as_slice()).or_insert(next)
            })
            .collect();
        drop(rootset_ids);
        let reach_size: Vec<usize> = roots
            .iter()
            .map(|list| list.iter().map(|&r| reach[r].len()).sum())
            .collect();

        let file_upstreams: Vec<UpstreamsByName> = upstreams
            .iter()
            .enumerate()
            .map(|(f, list)| {
                let mut by_name = UpstreamsByName::new();
                for (i, u) in list.iter().enumerate() {
                    by_name.entry(key(f, u)).or_default().push((f, i));
                }
                by_name
            })
            .collect();

        let mut orphan_upstreams = UpstreamsByPlace::new();
        let mut folders = Folders::default();
        let mut orphan_files: Vec<(usize, usize)> = Vec::new();
        for f in (0..n).filter(|&f| !under_main[f] && !upstreams[f].is_empty()) {
            if let Some(&id) = folders.intern(&paths[f]).last() {
                orphan_files.push((f, id));
            }
        }
        let folder_spans = folders.spans();
        for &(f, id) in &orphan_files {
            let at = folder_spans.get(id).map_or(0, |span| span.0);
            for (i, u) in upstreams[f].iter().enumerate() {
                orphan_upstreams
                    .entry(key(f, u))
                    .or_default()
                    .push((at, (f, i)));
            }
        }
        for list in orphan_upstreams.values_mut() {
            // Stable: the upstreams of one file stay in order.
            list.sort_by_key(|&(at, _)| at);
        }

        let mut file_maps: Vec<HashMap<String, &'a Directive>> = Vec::with_capacity(n);
        for file in files {
            let mut maps: HashMap<String, &'a Directive> = HashMap::new();
            file.config.visit(|d, _| {
                if d.name == "map" && d.block.is_some() {
                    if let Some(variable) = d.arg(1) {
                        maps.entry(variable.to_ascii_lowercase()).or_insert(d);
                    }
                }
            });
            file_maps.push(maps);
        }
        let plain_map_values: HashMap<usize, Option<(&'a Directive, &'a str)>> = file_maps
            .iter()
            .flat_map(HashMap::values)
            .map(|&map| (std::ptr::from_ref(map) as usize, plain_value(map)))
            .collect();
        let mut maps_by_variable: HashMap<String, Vec<usize>> = HashMap::new();
        for (f, maps) in file_maps.iter().enumerate() {
            for variable in maps.keys() {
                maps_by_variable
                    .entry(variable.clone())
                    .or_default()
                    .push(f);
            }
        }

        // What each resolved include site can bring in at its level (for `level_entries`).
        let mut top_names: Vec<HashSet<&'a str>> = Vec::with_capacity(n);
        let mut top_unknown = vec![false; n];
        for (f, file) in files.iter().enumerate() {
            let mut names: HashSet<&'a str> = file
                .config
                .directives
                .iter()
                .map(|d| d.name.as_str())
                .collect();
            for site in sites[f].iter().filter(|s| s.scope.chain.is_empty()) {
                match &site.kind {
                    IncludeKind::Builtin(config) => {
                        names.extend(config.directives.iter().map(|d| d.name.as_str()));
                    }
                    IncludeKind::Unknown => top_unknown[f] = true,
                    IncludeKind::Resolved(_) | IncludeKind::Harmless => {}
                }
            }
            top_names.push(names);
        }
        // The names a file's top level brings in through its top-level includes, once per
        // component of files that include each other at their top levels (components come
        // after those they include): `None` when an include of unknown content is among them.
        let top_targets = |f: usize| {
            sites[f]
                .iter()
                .filter(|s| s.scope.chain.is_empty())
                .flat_map(IncludeSite::targets)
        };
        let (component, count) = strong_components(n, |f| top_targets(f).copied());
        let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (f, &c) in component.iter().enumerate() {
            members[c].push(f);
        }
        let mut seen = vec![usize::MAX; count];
        let mut component_names: Vec<HashSet<&'a str>> = Vec::with_capacity(count);
        let mut component_unknown = vec![false; count];
        let mut top_includes: Vec<Vec<usize>> = vec![Vec::new(); count];
        for (c, list) in members.iter().enumerate() {
            seen[c] = c;
            let mut names: HashSet<&'a str> = HashSet::new();
            for &f in list {
                component_unknown[c] |= top_unknown[f];
                names.extend(std::mem::take(&mut top_names[f]));
                for &t in top_targets(f) {
                    let d = component[t];
                    if seen[d] != c {
                        seen[d] = c;
                        top_includes[c].push(d);
                    }
                }
            }
            component_names.push(names);
        }
        // Per site: the components of its targets, each once (not the union of their names).
        let mut site_parts: Vec<Vec<Vec<usize>>> = Vec::with_capacity(n);
        let mut walk = count;
        seen.fill(usize::MAX);
        for list in &sites {
            let mut per_site = Vec::with_capacity(list.len());
            for site in list {
                walk += 1;
                let mut parts: Vec<usize> = Vec::new();
                for &t in site.targets() {
                    let c = component[t];
                    if seen[c] != walk {
                        seen[c] = walk;
                        parts.push(c);
                    }
                }
                per_site.push(parts);
            }
            site_parts.push(per_site);
        }
        drop((members, seen));

        let site_at: Vec<HashMap<usize, usize>> = sites
            .iter()
            .map(|list| {
                list.iter()
                    .enumerate()
                    .map(|(i, s)| (std::ptr::from_ref(s.directive) as usize, i))
                    .collect()
            })
            .collect();
        let mut levels: HashMap<usize, LevelIndex<'a>> = HashMap::new();
        let mut index_level = |directives: &'a [Directive]| {
            if directives.len() > INDEXED_LEVEL {
                if let Some(key) = level_key(directives) {
                    levels.insert(key, LevelIndex::new(directives));
                }
            }
        };
        for file in files {
            index_level(&file.config.directives);
            file.config.visit(|d, _| index_level(d.children()));
        }

        let mut scan = Scan {
            files,
            sites,
            vhost_sites,
            server_level,
            bare,
            placed_top,
            placed_images,
            http_levels,
            families,
            layout_includers,
            included_by,
            upstreams,
            in_stream,
            roots,
            reach,
            passes: Vec::new(),
            passes_by_upstream: HashMap::new(),
            upstream_sets: Mutex::new((Vec::new(), HashMap::new())),
            passes_by_set: HashMap::new(),
            sets_of_upstream: HashMap::new(),
            variable_pass: vec![false; n],
            root_variable_pass: vec![false; n],
            under_main,
            upstreams_by_name,
            rootset,
            reach_size,
            roots_upstream_memo: Mutex::new(HashMap::new()),
            file_upstreams,
            orphan_upstreams,
            folders,
            folder_spans,
            file_maps,
            maps_by_variable,
            roots_map_memo: Mutex::new(HashMap::new()),
            top_names: component_names,
            top_unknown: component_unknown,
            top_includes,
            brings_memo: Mutex::new(HashMap::new()),
            site_parts,
            site_may_set_memo: Mutex::new(HashMap::new()),
            site_at,
            levels,
            level_sets: Mutex::new(HashMap::new()),
            climbs: Mutex::new(HashMap::new()),
            cut_climbs: Mutex::new(HashMap::new()),
            pieces: Mutex::new(HashMap::new()),
            too_deep: Mutex::new(None),
            rule_notes: Mutex::new((Vec::new(), HashSet::new())),
            plain_map_values,
            notes,
            #[cfg(test)]
            reads: std::sync::atomic::AtomicUsize::new(0),
            #[cfg(test)]
            plain: false,
        };
        let mut passes = Vec::new();
        for (i, file) in files.iter().enumerate() {
            for pass in file.config.passes() {
                let in_stream = scan.in_stream[i] || pass.scope.in_stream();
                let resolved = pass.upstream_name().map_or(Resolved::None, |name| {
                    scan.resolve_upstream(i, name, in_stream)
                });
                let (upstream, upstreams) = match resolved {
                    Resolved::None => (None, None),
                    Resolved::One(at) => (Some(at), None),
                    Resolved::Each(set) => (None, Some(set)),
                };
                passes.push(ScanPass {
                    file: i,
                    pass,
                    in_stream,
                    upstream,
                    upstreams,
                });
            }
        }
        for (p, pass) in passes.iter().enumerate() {
            if let Some(at) = pass.upstream {
                scan.passes_by_upstream.entry(at).or_default().push(p);
            }
            if let Some(set) = pass.upstreams {
                if !scan.passes_by_set.contains_key(&set) {
                    let members = scan.upstream_set(set);
                    for &at in members.iter() {
                        scan.sets_of_upstream.entry(at).or_default().push(set);
                    }
                }
                scan.passes_by_set.entry(set).or_default().push(p);
            }
            if matches!(
                pass.pass.target,
                crate::formats::nginx::PassTarget::Variable
            ) {
                scan.variable_pass[pass.file] = true;
            }
        }
        for r in 0..n {
            scan.root_variable_pass[r] = scan.included_by[r].is_empty()
                && scan.reach[r].iter().any(|&f| scan.variable_pass[f]);
        }
        scan.passes = passes;
        scan
    }

    /// The upstream `(file, index)`.
    pub fn upstream(&self, at: (usize, usize)) -> &Upstream<'a> {
        &self.upstreams[at.0][at.1]
    }

    /// Every upstream block of the scan as `((file, index), upstream)`.
    pub fn all_upstreams(&self) -> impl Iterator<Item = ((usize, usize), &Upstream<'a>)> {
        self.upstreams
            .iter()
            .enumerate()
            .flat_map(|(f, list)| list.iter().enumerate().map(move |(i, u)| ((f, i), u)))
    }

    /// Whether an upstream is a `stream { }` (TCP/UDP) upstream.
    pub fn upstream_in_stream(&self, at: (usize, usize)) -> bool {
        self.in_stream[at.0] || self.upstream(at).in_stream
    }

    /// The passes that send requests to the upstream `at`: those that name it, then those
    /// of a file shared by several configurations that each define an upstream of that name
    /// (in the configuration that defines `at`, they send requests to it).
    pub fn passes_to(&self, at: (usize, usize)) -> impl Iterator<Item = &ScanPass<'a>> {
        let shared = self
            .sets_of_upstream
            .get(&at)
            .into_iter()
            .flatten()
            .flat_map(|set| self.passes_by_set.get(set).into_iter().flatten());
        self.passes_by_upstream
            .get(&at)
            .into_iter()
            .flatten()
            .chain(shared)
            .filter_map(|&p| self.passes.get(p))
    }

    /// The upstreams of a list [`ScanPass::upstreams`] refers to, one per configuration,
    /// sorted by `(file, index)`.
    pub fn upstream_set(&self, set: usize) -> Arc<[(usize, usize)]> {
        self.upstream_sets
            .lock()
            .ok()
            .and_then(|store| store.0.get(set).cloned())
            .unwrap_or_else(|| Arc::from(Vec::new()))
    }

    /// The indices (into [`Scan::passes`]) of the passes that name the upstream `at` itself
    /// (not those of [`Scan::sets_holding`]).
    pub fn direct_passes(&self, at: (usize, usize)) -> &[usize] {
        self.passes_by_upstream.get(&at).map_or(&[], Vec::as_slice)
    }

    /// The lists of upstreams ([`Scan::upstream_set`]) that hold `at` and that passes refer to.
    pub fn sets_holding(&self, at: (usize, usize)) -> &[usize] {
        self.sets_of_upstream.get(&at).map_or(&[], Vec::as_slice)
    }

    /// The indices (into [`Scan::passes`]) of the passes that refer to the list `set`.
    pub fn set_passes(&self, set: usize) -> &[usize] {
        self.passes_by_set.get(&set).map_or(&[], Vec::as_slice)
    }

    /// The lists of upstreams that passes refer to ([`ScanPass::upstreams`]), in the order of
    /// their first pass.
    pub fn shared_sets(&self) -> Vec<usize> {
        let mut sets: Vec<(usize, usize)> = self
            .passes_by_set
            .iter()
            .filter_map(|(&set, list)| Some((*list.first()?, set)))
            .collect();
        sets.sort_unstable();
        sets.into_iter().map(|(_, set)| set).collect()
    }

    /// The upstreams of a list sorted by the path of the file defining each (then by place):
    /// the first is the one a finding names, the same from run to run.
    pub fn set_by_path(&self, set: usize) -> Vec<(usize, usize)> {
        let mut members = self.upstream_set(set).to_vec();
        members.sort_by(|a, b| {
            self.files[a.0]
                .path
                .cmp(&self.files[b.0].path)
                .then(a.cmp(b))
        });
        members
    }

    /// The root files (top-level configurations, included by nothing) whose includes reach
    /// `file`, ascending.
    pub fn roots_of(&self, file: usize) -> &[usize] {
        self.roots.get(file).map_or(&[], Vec::as_slice)
    }

    /// The configurations (root files) that include `file` and in which its passes send
    /// requests to the upstream `at` of a list ([`Scan::upstream_set`]): those that reach both.
    pub fn configurations_with(&self, file: usize, at: (usize, usize)) -> Vec<usize> {
        // The shorter list looked up in the longer (4,000 configurations each defining their
        // own upstream: one root each).
        let (small, big) = (self.roots_of(at.0), self.roots_of(file));
        let (small, big) = if small.len() <= big.len() {
            (small, big)
        } else {
            (big, small)
        };
        small
            .iter()
            .copied()
            .filter(|r| big.binary_search(r).is_ok())
            .collect()
    }

    /// Which configurations that include `file` have a problem, from one verdict per include
    /// path (`lookups`, as [`Scan::lookup_shared`] gives them): `verdict` says whether a
    /// path has the problem (`None`: cannot be told). A configuration has it when every one of
    /// its paths has it. A path that stops at a level of file `F` (`Lookup::Set`) is a path of
    /// each configuration that reaches `F` (whatever includes `F`, the walk from the pass out
    /// to that level is the same), so the configurations with a path free of the problem are
    /// known exactly when each such path stops at a level; a path that reaches a top-level
    /// file without finding the directive (`Lookup::Default`) does not say which one it
    /// reached, so when such a path is free of the problem and others are not, who has it
    /// cannot be told ([`PathsVerdict::Unattributed`]).
    pub fn judge_paths(
        &self,
        file: usize,
        lookups: &[Lookup<'a>],
        mut verdict: impl FnMut(&Lookup<'a>) -> Option<bool>,
    ) -> PathsVerdict {
        let mut with = 0;
        let mut with_files: Vec<usize> = Vec::new();
        let mut free_files: Vec<usize> = Vec::new();
        let mut free_default = false;
        for lookup in lookups {
            match (verdict(lookup), lookup) {
                (None, _) | (_, Lookup::Unknown) => return PathsVerdict::Unknown,
                (Some(true), Lookup::Set { level, .. }) => {
                    with += 1;
                    with_files.push(level.file);
                }
                (Some(true), _) => with += 1,
                (Some(false), Lookup::Set { level, .. }) => free_files.push(level.file),
                (Some(false), Lookup::Default) => free_default = true,
            }
        }
        if with == 0 {
            return PathsVerdict::Nowhere;
        }
        if free_files.is_empty() && !free_default {
            return PathsVerdict::Everywhere;
        }
        if free_default {
            return PathsVerdict::Unattributed;
        }
        free_files.sort_unstable();
        free_files.dedup();
        let roots = self.roots_of(file);
        // A free path through a file no configuration of `file` reaches (the `http` block of
        // a nginx.conf whose vhost glob may hold it): whose it is cannot be told.
        if free_files
            .iter()
            .any(|&f| !share_root(self.roots_of(f), roots))
        {
            return PathsVerdict::Unattributed;
        }
        let mut free = vec![false; roots.len()];
        for f in free_files {
            for r in self.roots_of(f) {
                if let Ok(i) = roots.binary_search(r) {
                    free[i] = true;
                }
            }
        }
        // A configuration with a path of each kind: its blocks disagree, which the rule
        // notes rather than passing it by as fine.
        with_files.sort_unstable();
        with_files.dedup();
        let mixed = with_files.iter().any(|&f| {
            self.roots_of(f)
                .iter()
                .any(|r| roots.binary_search(r).is_ok_and(|i| free[i]))
        });
        if mixed {
            return PathsVerdict::Mixed;
        }
        let having: Vec<usize> = roots
            .iter()
            .zip(&free)
            .filter(|(_, free)| !**free)
            .map(|(&r, _)| r)
            .collect();
        if having.is_empty() {
            PathsVerdict::Mixed
        } else if having.len() == roots.len() {
            // The free paths run through files no configuration reaches.
            PathsVerdict::Everywhere
        } else {
            PathsVerdict::In(having)
        }
    }

    /// "nginx/nginx.conf (1 of the 2 configurations that include this file)": the paths of
    /// the root files `configurations` (the first 3, then how many more), of those that
    /// include `file`.
    pub fn name_configurations(&self, configurations: &[usize], file: usize) -> String {
        const SHOWN: usize = 3;
        let shown: Vec<&Path> = configurations
            .iter()
            .take(SHOWN)
            .filter_map(|&r| self.files.get(r))
            .map(|f| Path::new(&f.path))
            .collect();
        // Each path from the folder that holds them and `file` (`nginx.conf`,
        // `staging/nginx.conf`), not from where the scan started.
        let here = self.files.get(file).map(|f| Path::new(&f.path));
        let common = shown
            .iter()
            .chain(&here)
            .fold(None, |common: Option<PathBuf>, path| {
                let folder = path.parent().unwrap_or(Path::new(""));
                Some(match common {
                    None => folder.to_path_buf(),
                    Some(common) => common
                        .components()
                        .zip(folder.components())
                        .take_while(|(a, b)| a == b)
                        .map(|(a, _)| a)
                        .collect(),
                })
            });
        let mut names: Vec<String> = shown
            .iter()
            .map(|path| {
                common
                    .as_deref()
                    .and_then(|c| path.strip_prefix(c).ok())
                    .unwrap_or(path)
                    .display()
                    .to_string()
            })
            .collect();
        let more = configurations.len().saturating_sub(SHOWN);
        if more > 0 {
            names.push(format!("{more} more"));
        }
        let list = match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        };
        format!(
            "{list} ({} of the {} configurations that include this file)",
            configurations.len(),
            self.roots_of(file).len()
        )
    }

    /// Whether a pass with a variable target (`proxy_pass http://$backend`) sits in `file` or
    /// in a configuration that includes it.
    pub fn has_variable_pass_near(&self, file: usize) -> bool {
        self.variable_pass[file] || self.roots[file].iter().any(|&r| self.root_variable_pass[r])
    }

    /// Whether requests can reach the upstream `at`: a pass names it, or a pass with a variable
    /// target could (an upstream nothing refers to takes no traffic).
    pub fn upstream_in_use(&self, at: (usize, usize)) -> bool {
        self.passes_to(at).next().is_some() || self.has_variable_pass_near(at.0)
    }

    /// A location in the scan.
    pub fn location(&self, file: usize, span: crate::span::Span) -> Location {
        Location::new(self.files[file].file, span)
    }

    /// Where an entry should be pointed at.
    pub fn entry_location(&self, entry: &Entry<'_>) -> Location {
        let directive = entry.via_builtin.unwrap_or(entry.directive);
        self.location(entry.file, directive.span)
    }

    #[cfg(test)]
    fn matches_in(&self, files: &[usize], name: &str, stream: bool) -> Vec<(usize, usize)> {
        let mut found = Vec::new();
        for &f in files {
            for (i, u) in self.upstreams[f].iter().enumerate() {
                if (self.in_stream[f] || u.in_stream) == stream && u.name.eq_ignore_ascii_case(name)
                {
                    found.push((f, i));
                }
            }
        }
        found
    }

    /// The upstream named `name` that a pass in `file` refers to: in the same file; else in
    /// the configurations that include the file (every root file whose includes reach it);
    /// else, for snippets that no main `nginx.conf` of the scan includes (a `conf.d` folder
    /// mounted into the official image), in the nearest folder holding exactly one upstream
    /// of that name among such snippets.
    pub fn find_upstream(&self, file: usize, name: &str, stream: bool) -> Option<(usize, usize)> {
        match self.resolve_upstream(file, name, stream) {
            Resolved::One(found) => Some(found),
            Resolved::None | Resolved::Each(_) => None,
        }
    }

    /// Like [`Scan::find_upstream`], but when the configurations that include the file each
    /// define their own upstream of that name (and none defines two), the list of them
    /// ([`Resolved::Each`]): nginx runs the file under whichever configuration it is started
    /// with, so a pass there is to be judged in each.
    pub fn resolve_upstream(&self, file: usize, name: &str, stream: bool) -> Resolved {
        let key = (name.to_ascii_lowercase(), stream);
        let local = self.file_upstreams.get(file).and_then(|m| m.get(&key));
        if let Some(first) = local.and_then(|list| list.first()) {
            return Resolved::One(*first);
        }
        match self.roots_upstream(file, &key) {
            RootsUpstream::One(found) => return Resolved::One(found),
            RootsUpstream::None => {}
            RootsUpstream::Each(set) => return Resolved::Each(set),
            RootsUpstream::Several => return Resolved::None,
        }
        if self.under_main[file] {
            return Resolved::None;
        }
        self.orphan_upstream(file, &key)
            .map_or(Resolved::None, Resolved::One)
    }

    /// The upstream of `key` among those of files no main `nginx.conf` reaches, in the nearest
    /// folder of `file` that holds any: when there is exactly one there.
    fn orphan_upstream(&self, file: usize, key: &(String, bool)) -> Option<(usize, usize)> {
        let list = self.orphan_upstreams.get(key)?;
        // The folders the file is in, nearest first: its path's proper prefixes, down to the
        // empty path for a relative one and to the root for an absolute one.
        let path = Path::new(&self.files[file].path);
        let components = path.components().count();
        let mut known = self.folders.known(path);
        known.truncate(components);
        let lowest = usize::from(path.has_root());
        for &d in known.get(lowest..).unwrap_or_default().iter().rev() {
            let Some(&(first, end)) = self.folder_spans.get(d) else {
                continue;
            };
            let from = list.partition_point(|&(at, _)| at < first);
            let to = list.partition_point(|&(at, _)| at < end);
            match to.saturating_sub(from) {
                0 => {}
                1 => return list.get(from).map(|&(_, upstream)| upstream),
                _ => return None,
            }
        }
        None
    }

    /// The upstreams named `key` in the files that the root files of `file` reach, together:
    /// none, one, or several. Found from whichever side is smaller, the upstreams of that name
    /// (those sharing a root file with `file`) or the files the roots reach, and remembered
    /// per list of root files and name: a snippet of 4,000 passes included by 4,000 root files
    /// that each define the upstream was passes × roots², 15 s.
    fn roots_upstream(&self, file: usize, key: &(String, bool)) -> RootsUpstream {
        let roots = &self.roots[file];
        if roots.is_empty() {
            return RootsUpstream::None;
        }
        let memo_key = (self.rootset[file], key.0.clone(), key.1);
        if let Some(known) = self
            .roots_upstream_memo
            .lock()
            .ok()
            .and_then(|memo| memo.get(&memo_key).copied())
        {
            return known;
        }
        let candidates = self
            .upstreams_by_name
            .get(key)
            .map_or(&[][..], Vec::as_slice);
        let mut found: Vec<(usize, usize)> = Vec::new();
        if candidates.len() <= self.reach_size[file] {
            // Each upstream once: the first two that share a root file with `file` decide.
            for &(g, i) in candidates {
                if share_root(roots, &self.roots[g]) {
                    found.push((g, i));
                    if found.len() > 1 {
                        break;
                    }
                }
            }
        } else {
            'roots: for &root in roots {
                for &g in &self.reach[root] {
                    for &m in self.file_upstreams[g].get(key).into_iter().flatten() {
                        if !found.contains(&m) {
                            found.push(m);
                            if found.len() > 1 {
                                break 'roots;
                            }
                        }
                    }
                }
            }
        }
        let result = match found.as_slice() {
            [] => RootsUpstream::None,
            [one] => RootsUpstream::One(*one),
            _ => match self.upstream_per_root(file, key, candidates) {
                Some(each) => self.intern_set(each),
                None => RootsUpstream::Several,
            },
        };
        if let Ok(mut memo) = self.roots_upstream_memo.lock() {
            memo.insert(memo_key, result);
        }
        result
    }

    /// The upstreams named `key` that the root files of `file` reach, one per root file that
    /// reaches any, sorted and each once; `None` when a root file reaches two (which one a
    /// pass means cannot be told). Found from the smaller side like [`Scan::roots_upstream`]
    /// (whose memo keeps the answer per list of root files and name), and given up at the first
    /// root that reaches two: at most one upstream is kept per root file.
    fn upstream_per_root(
        &self,
        file: usize,
        key: &(String, bool),
        candidates: &[(usize, usize)],
    ) -> Option<Vec<(usize, usize)>> {
        let roots = &self.roots[file];
        let mut per_root: Vec<Option<(usize, usize)>> = vec![None; roots.len()];
        let mut assign = |j: usize, m: (usize, usize)| -> Option<()> {
            let slot = per_root.get_mut(j)?;
            match slot {
                Some(other) if *other != m => None,
                _ => {
                    *slot = Some(m);
                    Some(())
                }
            }
        };
        if candidates.len() <= self.reach_size[file] {
            for &(g, i) in candidates {
                let theirs = &self.roots[g];
                if theirs.len() <= roots.len() {
                    for r in theirs {
                        if let Ok(j) = roots.binary_search(r) {
                            assign(j, (g, i))?;
                        }
                    }
                } else {
                    for (j, r) in roots.iter().enumerate() {
                        if theirs.binary_search(r).is_ok() {
                            assign(j, (g, i))?;
                        }
                    }
                }
            }
        } else {
            for (j, &root) in roots.iter().enumerate() {
                for &g in &self.reach[root] {
                    for &m in self.file_upstreams[g].get(key).into_iter().flatten() {
                        assign(j, m)?;
                    }
                }
            }
        }
        let mut each: Vec<(usize, usize)> = per_root.into_iter().flatten().collect();
        each.sort_unstable();
        each.dedup();
        Some(each)
    }

    /// The id of a list of upstreams in `upstream_sets` (while the scan is built), the same
    /// list once; a list of one is that upstream.
    fn intern_set(&self, each: Vec<(usize, usize)>) -> RootsUpstream {
        match each.as_slice() {
            [] => return RootsUpstream::None,
            [one] => return RootsUpstream::One(*one),
            _ => {}
        }
        let Ok(mut store) = self.upstream_sets.lock() else {
            return RootsUpstream::Several;
        };
        let (sets, ids) = &mut *store;
        let each: Arc<[(usize, usize)]> = each.into();
        if let Some(&id) = ids.get(&each) {
            return RootsUpstream::Each(id);
        }
        let id = sets.len();
        sets.push(Arc::clone(&each));
        ids.insert(each, id);
        RootsUpstream::Each(id)
    }

    /// Whether the files an include site of `file` brings in may set `name` at their top
    /// levels (an include of unknown content among them may set anything).
    fn site_may_set(&self, file: usize, index: usize, name: &str) -> bool {
        let Some(parts) = self.site_parts.get(file).and_then(|list| list.get(index)) else {
            return true;
        };
        let compute = || {
            let brings = self.brings(name);
            parts
                .iter()
                .any(|&c| brings.get(c).copied().unwrap_or(true))
        };
        if parts.len() <= SITE_PARTS_MEMO {
            return compute();
        }
        let key = (file, index, name.to_string());
        if let Some(known) = self
            .site_may_set_memo
            .lock()
            .ok()
            .and_then(|memo| memo.get(&key).copied())
        {
            return known;
        }
        let may_set = compute();
        if let Ok(mut memo) = self.site_may_set_memo.lock() {
            memo.insert(key, may_set);
        }
        may_set
    }

    /// Per component (see `Scan::top_names`): whether the top levels of its files, or of those
    /// they include there, may set `name` (an include of unknown content may set anything).
    /// Worked out once per name over every component, each after those it includes: linear in
    /// the components and their includes.
    fn brings(&self, name: &str) -> Arc<[bool]> {
        if let Some(known) = self
            .brings_memo
            .lock()
            .ok()
            .and_then(|memo| memo.get(name).cloned())
        {
            return known;
        }
        let mut brings: Vec<bool> = Vec::with_capacity(self.top_names.len());
        for (c, names) in self.top_names.iter().enumerate() {
            let includes = self.top_includes.get(c).map_or(&[][..], Vec::as_slice);
            let may = self.top_unknown.get(c).copied().unwrap_or(true)
                || names.contains(name)
                || includes
                    .iter()
                    .any(|&d| brings.get(d).copied().unwrap_or(true));
            brings.push(may);
        }
        let brings: Arc<[bool]> = brings.into();
        if let Ok(mut memo) = self.brings_memo.lock() {
            memo.insert(name.to_string(), Arc::clone(&brings));
        }
        brings
    }

    /// The directives named `name` at one level: the block's own plus those of included files
    /// (recursively), and whether an include of unknown content sits at that level.
    #[allow(clippy::too_many_arguments)]
    fn level_entries(
        &self,
        file: usize,
        directives: &'a [Directive],
        name: &str,
        only: Only,
        visiting: &mut Vec<usize>,
        out: &mut Gathered<'a>,
        steps: &mut usize,
        trace: &mut Trace,
    ) -> bool {
        #[cfg(test)]
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut unknown = false;
        let positions: Box<dyn Iterator<Item = &'a Directive>> = match self.level(directives) {
            Some(level) => Box::new(
                level
                    .positions(name)
                    .into_iter()
                    .filter_map(|i| directives.get(i)),
            ),
            None => Box::new(directives.iter()),
        };
        for directive in positions {
            if directive.name == name && only.holds(directive) {
                out.push(Entry {
                    file,
                    directive,
                    via_builtin: None,
                });
            } else if directive.name == "include" {
                let Some((index, site)) = self.site_at[file]
                    .get(&(std::ptr::from_ref(directive) as usize))
                    .and_then(|&i| Some((i, self.sites[file].get(i)?)))
                else {
                    continue;
                };
                match &site.kind {
                    IncludeKind::Resolved(targets) => {
                        // Nothing named `name` (and no unknown include) at the top levels it
                        // brings in: it adds nothing at this level.
                        if !self.site_may_set(file, index, name) {
                            continue;
                        }
                        for &t in targets {
                            trace.depth = trace.depth.max(visiting.len());
                            // Too deep: no target is followed, and what they would set is
                            // not known.
                            if visiting.len() > MAX_INCLUDE_DEPTH {
                                self.note_too_deep(file);
                                unknown = true;
                                break;
                            }
                            trace.files.push(t);
                            if visiting.contains(&t) {
                                continue;
                            }
                            // Files that include each other (`include conf.d/*.conf;` inside
                            // conf.d) make exponentially many include paths: past the budget
                            // the value is unknown (and the budget stays spent: the other
                            // targets are not looked at).
                            let Some(left) = steps.checked_sub(1) else {
                                unknown = true;
                                break;
                            };
                            *steps = left;
                            if let Some(piece) = self.piece(t, name, only, visiting, *steps) {
                                *steps -= piece.steps;
                                trace.files.extend_from_slice(&piece.files);
                                trace.depth = trace.depth.max(piece.depth + visiting.len());
                                out.splice(&piece.entries);
                                unknown |= piece.unknown;
                                continue;
                            }
                            visiting.push(t);
                            let files = self.files;
                            unknown |= self.level_entries(
                                t,
                                &files[t].config.directives,
                                name,
                                only,
                                visiting,
                                out,
                                steps,
                                trace,
                            );
                            visiting.pop();
                        }
                    }
                    IncludeKind::Builtin(config) => {
                        for builtin in &config.directives {
                            if builtin.name == name && only.holds(builtin) {
                                out.push(Entry {
                                    file,
                                    directive: builtin,
                                    via_builtin: Some(directive),
                                });
                            }
                        }
                    }
                    IncludeKind::Harmless => {}
                    IncludeKind::Unknown => unknown = true,
                }
            }
        }
        unknown
    }

    /// The [`Piece`] of the top level of `target` for an `include` of it reached through the
    /// files `visiting` with `steps` left, when it gives what following the `include` there
    /// gives: no file it looked at is on the path, the path does not reach the depth limit
    /// with it, and enough steps are left (else the caller follows the `include` itself).
    fn piece(
        &self,
        target: usize,
        name: &str,
        only: Only,
        visiting: &[usize],
        steps: usize,
    ) -> Option<Arc<Piece<'a>>> {
        #[cfg(test)]
        if self.plain {
            return None;
        }
        let key = (target, name.to_string(), only);
        let known = self.pieces.lock().ok()?.get(&key).cloned();
        let piece = match known {
            Some(known) => known?,
            None => {
                // While it is found, an include of it met on the way (files that include each
                // other) is followed directly.
                self.pieces.lock().ok()?.insert(key.clone(), None);
                let mut gathered = Gathered::default();
                let mut trace = Trace::default();
                let mut left = MAX_LOOKUP_STEPS;
                let unknown = self.level_entries(
                    target,
                    &self.files.get(target)?.config.directives,
                    name,
                    only,
                    &mut vec![target],
                    &mut gathered,
                    &mut left,
                    &mut trace,
                );
                // Cut short by the step budget: it depends on the budget, not shared.
                let piece = (!(unknown && left == 0)).then(|| {
                    trace.files.sort_unstable();
                    trace.files.dedup();
                    Arc::new(Piece {
                        entries: gathered.finish(),
                        unknown,
                        steps: MAX_LOOKUP_STEPS - left,
                        files: trace.files,
                        depth: trace.depth,
                    })
                });
                self.pieces.lock().ok()?.insert(key, piece.clone());
                piece?
            }
        };
        let usable = steps >= piece.steps
            && piece.depth + visiting.len() <= MAX_INCLUDE_DEPTH
            && visiting
                .iter()
                .all(|v| piece.files.binary_search(v).is_err());
        usable.then_some(piece)
    }

    /// [`Scan::level_entries`] of one level of `file` as a lookup starts it (no include
    /// followed yet), found once per (level, name, filter) and shared: a later lookup that
    /// reaches the level is charged the include steps the first one took, and when it has fewer
    /// left it looks again (and runs out, as it would have).
    fn level_set(
        &self,
        file: usize,
        directives: &'a [Directive],
        name: &str,
        only: Only,
        steps: &mut usize,
    ) -> (Entries<'a>, bool) {
        #[cfg(test)]
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // A small level without includes is read again each time (cheaper than its entry in
        // `level_sets`: 190,000 `location`s, several names each).
        let shared =
            directives.len() > INDEXED_LEVEL || directives.iter().any(|d| d.name == "include");
        let key = level_key(directives)
            .filter(|_| shared)
            .map(|level| (file, level, name.to_string(), only));
        if let Some(key) = &key {
            let known = self
                .level_sets
                .lock()
                .ok()
                .and_then(|sets| sets.get(key).cloned());
            if let Some(set) = known {
                if let Some(left) = steps.checked_sub(set.steps) {
                    *steps = left;
                    return (set.entries.clone(), set.unknown);
                }
            }
        }
        let before = *steps;
        let mut entries = Gathered::default();
        let unknown = self.level_entries(
            file,
            directives,
            name,
            only,
            &mut vec![file],
            &mut entries,
            steps,
            &mut Trace::default(),
        );
        let entries = entries.finish();
        // A result cut short by the step budget depends on the budget: not shared.
        let cut = unknown && *steps == 0;
        if let (Some(key), false) = (key, cut) {
            if let Ok(mut sets) = self.level_sets.lock() {
                let set = sets.entry(key).or_insert_with(|| {
                    Arc::new(LevelSet {
                        entries: entries.clone(),
                        unknown,
                        steps: before.saturating_sub(*steps),
                    })
                });
                // Another thread may have found it first: use that list, so every lookup of
                // the level shares one.
                return (set.entries.clone(), set.unknown);
            }
        }
        (entries, unknown)
    }

    /// The effective value of `name` at `scope` of `file`, following nginx's inheritance
    /// (the innermost level that sets it wins, whole) through `include`s: a file's top level
    /// continues at the level of each `include` that brings it in. One result per include
    /// path (a file included from two places can inherit two values).
    pub fn lookup(&self, file: usize, scope: &Scope<'a>, name: &str) -> Vec<Lookup<'a>> {
        self.lookup_where(file, scope, name, Only::All)
    }

    /// Like [`Scan::lookup`], but only the directives `only` picks count
    /// (`proxy_set_header Connection ...` among all `proxy_set_header` lines).
    pub fn lookup_where(
        &self,
        file: usize,
        scope: &Scope<'a>,
        name: &str,
        only: Only,
    ) -> Vec<Lookup<'a>> {
        self.lookup_shared(file, scope, name, only).to_vec()
    }

    /// Like [`Scan::lookup_where`], but the result is shared: the passes under a level that
    /// do not set the name themselves get the same list (one result per include path, 1,000
    /// for a snippet included from 1,000 `server`s), so a rule can work out what it means
    /// once per list (by [`Arc::as_ptr`], keeping the list) instead of once per pass.
    pub fn lookup_shared(
        &self,
        file: usize,
        scope: &Scope<'a>,
        name: &str,
        only: Only,
    ) -> Arc<[Lookup<'a>]> {
        let mut steps = MAX_LOOKUP_STEPS;
        #[cfg(test)]
        if self.plain {
            let mut out = Vec::new();
            let mut visiting = vec![file];
            self.lookup_chain(
                file,
                &scope.chain,
                name,
                only,
                &mut visiting,
                &mut out,
                &mut steps,
            );
            return out.into();
        }
        // The pass's own level directly (few passes share one), the levels around it through
        // `climb` (shared by every pass under them).
        let Some((&block, outer)) = scope.chain.split_last() else {
            return self.climb(file, &[], name, only, &mut steps);
        };
        let (entries, unknown) = self.level_set(file, block.children(), name, only, &mut steps);
        if unknown {
            return Arc::from(vec![Lookup::Unknown]);
        }
        if !entries.is_empty() {
            return Arc::from(vec![Lookup::Set {
                entries,
                level: Level {
                    file,
                    block: Some(block),
                },
            }]);
        }
        self.climb(file, outer, name, only, &mut steps)
    }

    /// What `lookup_chain` gives for `chain` of `file` as a lookup starts it (no include
    /// followed yet), found once per (innermost block of `chain`, name, filter) and shared
    /// like [`Scan::level_set`]: a later lookup is charged the include steps it took, and when
    /// it has fewer left it looks again.
    fn climb(
        &self,
        file: usize,
        chain: &[&'a Directive],
        name: &str,
        only: Only,
        steps: &mut usize,
    ) -> Arc<[Lookup<'a>]> {
        let key_at = |depth: usize| {
            let block = match depth.checked_sub(1) {
                Some(i) => chain.get(i).map_or(0, |&d| std::ptr::from_ref(d) as usize),
                None => 0,
            };
            (file, block, name.to_string(), only)
        };
        // The levels looked at on the way out, with the steps left before each.
        let mut passed: Vec<(LevelSetKey, usize)> = Vec::new();
        let mut depth = chain.len();
        let found: Arc<[Lookup<'a>]> = loop {
            let key = key_at(depth);
            let known = self
                .climbs
                .lock()
                .ok()
                .and_then(|climbs| climbs.get(&key).cloned());
            if let Some((found, taken)) = known {
                if let Some(left) = steps.checked_sub(taken) {
                    *steps = left;
                    break found;
                }
            }
            let key = (key, *steps);
            let cut = self
                .cut_climbs
                .lock()
                .ok()
                .and_then(|cut| cut.get(&key).cloned());
            if let Some(found) = cut {
                *steps = 0;
                break found;
            }
            passed.push(key);
            let Some(&block) = depth.checked_sub(1).and_then(|i| chain.get(i)) else {
                // The top level, then the files that include this one.
                let mut out = Vec::new();
                self.lookup_chain(file, &[], name, only, &mut vec![file], &mut out, steps);
                break out.into();
            };
            let (entries, unknown) = self.level_set(file, block.children(), name, only, steps);
            if unknown {
                break Arc::from(vec![Lookup::Unknown]);
            }
            if !entries.is_empty() {
                break Arc::from(vec![Lookup::Set {
                    entries,
                    level: Level {
                        file,
                        block: Some(block),
                    },
                }]);
            }
            depth -= 1;
        };
        // A result cut short by the step budget depends on the budget: shared only with
        // lookups that start with the same steps.
        let cut = *steps == 0 && found.iter().any(|l| matches!(l, Lookup::Unknown));
        if cut {
            if let Ok(mut cut_climbs) = self.cut_climbs.lock() {
                for key in passed {
                    cut_climbs.entry(key).or_insert_with(|| Arc::clone(&found));
                }
            }
        } else if let Ok(mut climbs) = self.climbs.lock() {
            for (key, before) in passed {
                climbs
                    .entry(key)
                    .or_insert_with(|| (Arc::clone(&found), before.saturating_sub(*steps)));
            }
        }
        found
    }

    #[allow(clippy::too_many_arguments)]
    fn lookup_chain(
        &self,
        file: usize,
        chain: &[&'a Directive],
        name: &str,
        only: Only,
        visiting: &mut Vec<usize>,
        out: &mut Vec<Lookup<'a>>,
        steps: &mut usize,
    ) {
        let files = self.files;
        // The top level of an included file is the level of its `include` (nginx splices the
        // file in): it is looked at there, together with the other directives of that level.
        let included = self.included_by[file]
            .iter()
            .any(|(includer, _)| !visiting.contains(includer));
        let top = (!included).then(|| (None, files[file].config.directives.as_slice()));
        let levels = chain
            .iter()
            .rev()
            .map(|d| (Some(*d), d.children()))
            .chain(top);
        for (block, directives) in levels {
            let (entries, unknown) = self.level_set(file, directives, name, only, steps);
            if unknown {
                out.push(Lookup::Unknown);
                return;
            }
            if !entries.is_empty() {
                out.push(Lookup::Set {
                    entries,
                    level: Level { file, block },
                });
                return;
            }
        }
        if !included {
            self.top_of_server_file(file, name, only, visiting, out, steps);
            return;
        }
        for &(includer, site) in &self.included_by[file] {
            if visiting.contains(&includer) {
                continue;
            }
            // Past the budget (or too deep) the value is unknown, and one unknown path makes
            // the whole lookup unknown to the rules: stop there.
            if visiting.len() > MAX_INCLUDE_DEPTH {
                self.note_too_deep(file);
                out.push(Lookup::Unknown);
                return;
            }
            if !self.follow((includer, site), name, only, visiting, out, steps) {
                return;
            }
        }
    }

    /// Look on from the include `site` of `includer`, for a step of the lookup's budget;
    /// `false` (and an unknown result) when the budget is spent.
    #[allow(clippy::too_many_arguments)]
    fn follow(
        &self,
        (includer, site): (usize, usize),
        name: &str,
        only: Only,
        visiting: &mut Vec<usize>,
        out: &mut Vec<Lookup<'a>>,
        steps: &mut usize,
    ) -> bool {
        let Some(left) = steps.checked_sub(1) else {
            out.push(Lookup::Unknown);
            return false;
        };
        *steps = left;
        visiting.push(includer);
        let chain = self.sites[includer][site].scope.chain.clone();
        self.lookup_chain(includer, &chain, name, only, visiting, out, steps);
        visiting.pop();
        true
    }

    /// What a lookup finds past the top of `file`, included by no file of the scan: nginx's
    /// default. But a file of server blocks runs inside some `http` block: when its folder or
    /// the one above holds a configuration whose vhost glob (`include /etc/nginx/conf.d/*.conf;`)
    /// matched nothing in the scan, the file may be copied there (the official image's
    /// `default.conf`) or run under the image's own nginx.conf: one path each (nginx's default,
    /// and what each such `http` block sets). A rule then reports when every path has the
    /// problem; a path without it from such a block is not attributed to a configuration
    /// ([`Scan::judge_paths`]).
    #[allow(clippy::too_many_arguments)]
    fn top_of_server_file(
        &self,
        file: usize,
        name: &str,
        only: Only,
        visiting: &mut Vec<usize>,
        out: &mut Vec<Lookup<'a>>,
        steps: &mut usize,
    ) {
        // A piece of some block that no file of the scan includes: what that block sets is
        // not known (its includer may be a template or another repository's file).
        if self.bare.get(file).copied().unwrap_or(false) {
            out.push(Lookup::Unknown);
            return;
        }
        if !self.server_level.get(file).copied().unwrap_or(false) {
            out.push(Lookup::Default);
            return;
        }
        // The `http` levels it runs at, with what the files spliced in beside it set there,
        // and past them the image's own nginx.conf, when the scan says.
        let levels = self.http_levels.get(file).map_or(&[][..], Vec::as_slice);
        let mut fall_through = levels.is_empty();
        for level in levels {
            match self.family_lookup(file, level.family, name, only, visiting, steps) {
                FamilyLookup::Unknown => {
                    out.push(Lookup::Unknown);
                    return;
                }
                FamilyLookup::Set(lookup) => out.push(lookup),
                FamilyLookup::Nothing => match level.past {
                    Some(Top::Default) => out.push(Lookup::Default),
                    Some(Top::Unknown) => {
                        out.push(Lookup::Unknown);
                        return;
                    }
                    None => fall_through = true,
                },
            }
        }
        // Configurations no container holds that reach it by the layout: other places it
        // may run.
        for &(includer, site) in self.layout_includers.get(file).into_iter().flatten() {
            if visiting.contains(&includer) {
                continue;
            }
            if !self.follow((includer, site), name, only, visiting, out, steps) {
                return;
            }
        }
        if !fall_through {
            return;
        }
        if self.vhost_sites.is_empty() {
            out.push(Lookup::Default);
            return;
        }
        // Those of configurations in the file's folder or a folder above it (a layout's
        // `nginx/nginx.conf` beside `nginx/default.conf` or above `nginx/sites/shop.conf`;
        // not another app's elsewhere in the repository).
        let near = self.near_sites(file, MAX_NEAR_SITES + 1);
        if near.is_empty() {
            out.push(Lookup::Default);
            return;
        }
        // A folder of dozens of configurations that each may run the file: which one does is
        // not known, and following each for every server file costs their product.
        if near.len() > MAX_NEAR_SITES {
            let folder = Path::new(&self.files[file].path)
                .parent()
                .map_or(String::new(), |p| p.display().to_string());
            self.note(format!(
                "{folder}: more than {MAX_NEAR_SITES} vhost-folder `include`s of top-level files \
                 in this folder or the one above may run the server-block files here; what their \
                 `http` blocks set for them is taken as unknown"
            ));
            out.push(Lookup::Unknown);
            return;
        }
        // Under the image's own nginx.conf (nginx's defaults), or under each of those.
        out.push(Lookup::Default);
        for (includer, site) in near {
            if visiting.contains(&includer) {
                continue;
            }
            // Each costs a step of the lookup's budget, like an include followed.
            if !self.follow((includer, site), name, only, visiting, out, steps) {
                return;
            }
        }
    }

    /// What the files of a [`Family`] beside `file` set for `name` at their top levels.
    fn family_lookup(
        &self,
        file: usize,
        family: Option<usize>,
        name: &str,
        only: Only,
        visiting: &[usize],
        steps: &mut usize,
    ) -> FamilyLookup<'a> {
        let Some(family) = family.and_then(|f| self.families.get(f)) else {
            return FamilyLookup::Nothing;
        };
        if family.unknown {
            return FamilyLookup::Unknown;
        }
        let mut members: Vec<usize> = family
            .by_name
            .get(name)
            .into_iter()
            .flatten()
            .chain(&family.includes)
            .copied()
            .filter(|&m| m != file && !visiting.contains(&m))
            .collect();
        members.sort_unstable();
        members.dedup();
        let mut set: Vec<(usize, Entries<'a>)> = Vec::new();
        for member in members {
            let Some(left) = steps.checked_sub(1) else {
                return FamilyLookup::Unknown;
            };
            *steps = left;
            let directives = self.files[member].config.directives.as_slice();
            let (entries, unknown) = self.level_set(member, directives, name, only, steps);
            if unknown {
                return FamilyLookup::Unknown;
            }
            if !entries.is_empty() {
                set.push((member, entries));
            }
        }
        let level_of = |member| Level {
            file: member,
            block: None,
        };
        let lookup = match set.len() {
            0 => return FamilyLookup::Nothing,
            1 => {
                let Some((member, entries)) = set.pop() else {
                    return FamilyLookup::Nothing;
                };
                Lookup::Set {
                    entries,
                    level: level_of(member),
                }
            }
            _ => {
                // One level, written in several files: their lines together.
                let first = set.first().map_or(file, |(member, _)| *member);
                let entries: Vec<Entry<'a>> = set
                    .iter()
                    .flat_map(|(_, entries)| entries.iter().copied())
                    .collect();
                Lookup::Set {
                    entries: Entries::from(entries),
                    level: level_of(first),
                }
            }
        };
        FamilyLookup::Set(lookup)
    }

    /// The vhost-folder `include`s (`(file, index into its sites)`) of top-level files in the
    /// folder of `file` or the one above that may run it ([`Scan::top_of_server_file`]).
    /// At most `limit` of them.
    fn near_sites(&self, file: usize, limit: usize) -> Vec<(usize, usize)> {
        let path = Path::new(&self.files[file].path);
        let mut out = Vec::new();
        for sites in path
            .ancestors()
            .skip(1)
            .take(2)
            .filter_map(|folder| self.vhost_sites.get(folder))
        {
            // A glob may hold the file; a path names one file, this one only by its name.
            let named = path
                .file_name()
                .and_then(|name| sites.by_name.get(name))
                .into_iter()
                .flatten();
            for &site in sites.globs.iter().chain(named) {
                if out.len() >= limit {
                    return out;
                }
                out.push(site);
            }
        }
        out
    }

    /// For a note about a file whose configurations disagree: what they are, and what else
    /// than setting it in the location settles it. When a file of server blocks it belongs to
    /// is included by nothing and may run under a top-level file beside it (a vhost-folder
    /// `include` there) or under an image's own nginx.conf, it says so, naming those files;
    /// otherwise "the blocks that include this file".
    pub fn disagreement(&self, file: usize) -> (String, &'static str) {
        // A file the scan puts in containers that configurations no container holds also
        // reach by the repository's layout.
        let mut outside: Vec<usize> = self
            .roots_of(file)
            .iter()
            .flat_map(|&r| self.layout_includers.get(r).into_iter().flatten())
            .map(|&(includer, _)| includer)
            .collect();
        outside.sort_unstable();
        outside.dedup();
        if let Some(&first) = outside.first() {
            let more = if outside.len() > 1 {
                " (and others)"
            } else {
                ""
            };
            return (
                format!(
                    "the containers the scan's Dockerfiles and compose services put it in and {}{more}, \
                     which includes it by the repository's layout but no container holds,",
                    self.files[first].path
                ),
                ", or put that configuration in the containers that run it (a COPY or a mount)",
            );
        }
        // A server file that containers of the scan run with different files beside it.
        let in_containers = self.roots_of(file).iter().any(|&r| {
            self.http_levels
                .get(r)
                .is_some_and(|levels| levels.len() > 1 && levels.iter().all(|l| l.past.is_some()))
        });
        if in_containers {
            return (
                "the containers the scan's Dockerfiles and compose services run it in (with \
                 different files beside it in their `http` blocks)"
                    .to_string(),
                ", or in every container that runs it",
            );
        }
        let mut near: Vec<usize> = self
            .roots_of(file)
            .iter()
            .filter(|&&r| {
                self.server_level.get(r).copied().unwrap_or(false)
                    && self.placed_top.get(r).copied().flatten().is_none()
            })
            .flat_map(|&r| self.near_sites(r, MAX_NEAR_SITES + 1))
            .map(|(includer, _)| includer)
            .collect();
        near.sort_unstable();
        near.dedup();
        if near.is_empty() {
            return (
                "the blocks that include this file".to_string(),
                ", or lint each top-level file alone with the files it includes, given as \
                 arguments",
            );
        }
        let mut names: Vec<&str> = near
            .iter()
            .take(3)
            .map(|&f| self.files[f].path.as_str())
            .collect();
        if near.len() > names.len() {
            names.push("…");
        }
        (
            format!(
                "the `http` block of {} (which may include it; no file of the scan does) and \
                 an image's own nginx.conf",
                names.join(", ")
            ),
            ", or let a Dockerfile `COPY` or a compose mount of the repository show where the \
             file runs",
        )
    }

    /// How a level relates to a place in `file` whose innermost block is `here`, for labels:
    /// "set here", "inherited from the `server` block", "inherited from the `http` block of
    /// nginx.conf".
    pub fn describe_level(
        &self,
        level: &Level<'_>,
        file: usize,
        here: Option<&Directive>,
    ) -> String {
        let same_block = match (level.block, here) {
            (Some(a), Some(b)) => std::ptr::eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if level.file == file && same_block {
            return "set here".to_string();
        }
        let what = describe_block(level.block);
        if level.file == file {
            format!("inherited from {what}")
        } else {
            let path = &self.files[level.file].path;
            let name = Path::new(path)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or(path);
            match level.block {
                Some(_) => format!("inherited from {what} of {name}, which includes this file"),
                // The top of a file no file of the scan includes: one spliced into the same
                // `http` block beside this one ([`Scan::http_siblings`]).
                None if self.included_by[level.file].is_empty() => {
                    format!("inherited from the `http` level, set in {name} beside this file")
                }
                None => format!("inherited from {name}, included at this level"),
            }
        }
    }

    /// The `map` block that sets `variable` for `file`: the first (in [`Config::visit`] order)
    /// of the lowest-indexed file among those its root files reach (the file alone when it
    /// is a root included by nothing).
    fn find_map(&self, file: usize, variable: &str) -> Option<(usize, &'a Directive)> {
        let variable = variable.to_ascii_lowercase();
        let roots = &self.roots[file];
        if roots.is_empty() {
            return self.file_maps[file].get(&variable).map(|&d| (file, d));
        }
        let memo_key = (self.rootset[file], variable);
        let known = self
            .roots_map_memo
            .lock()
            .ok()
            .and_then(|memo| memo.get(&memo_key).copied());
        let found = match known {
            Some(found) => found,
            None => {
                // From whichever side is smaller: the files with a map of the variable
                // (ascending: the first that shares a root file wins), or every root's reach
                // (ascending: its first file with one).
                let candidates = self
                    .maps_by_variable
                    .get(&memo_key.1)
                    .map_or(&[][..], Vec::as_slice);
                let found = if candidates.len() <= self.reach_size[file] {
                    candidates
                        .iter()
                        .copied()
                        .find(|&g| share_root(roots, &self.roots[g]))
                } else {
                    roots
                        .iter()
                        .filter_map(|&r| {
                            self.reach[r]
                                .iter()
                                .copied()
                                .find(|&g| self.file_maps[g].contains_key(&memo_key.1))
                        })
                        .min()
                };
                if let Ok(mut memo) = self.roots_map_memo.lock() {
                    memo.insert(memo_key.clone(), found);
                }
                found
            }
        };
        let f = found?;
        self.file_maps[f].get(&memo_key.1).map(|&d| (f, d))
    }

    /// The value of a `map` variable for requests that do not carry the header the map
    /// reads (`map $http_upgrade $connection_upgrade { default upgrade; '' close; }` gives
    /// `close` for every ordinary request), with the map entry that gives it; `None` when
    /// unknown.
    pub fn map_value_for_plain_requests(
        &self,
        file: usize,
        variable: &str,
    ) -> Option<MapValue<'a>> {
        let (f, map) = self.find_map(file, variable)?;
        let source = map.arg(0)?;
        let (decides, value) = match self
            .plain_map_values
            .get(&(std::ptr::from_ref(map) as usize))
        {
            Some(known) => (*known)?,
            None => plain_value(map)?,
        };
        Some(MapValue {
            file: f,
            entry: decides,
            value,
            source,
        })
    }
}

/// The entry of a `map` that gives its value for requests without the header it reads (`'' close;`,
/// else `default`, else the map itself for the implicit empty default), with the value; `None`
/// when the map does not read a request header or its value is unknown (regular expressions,
/// includes).
fn plain_value(map: &Directive) -> Option<(&Directive, &str)> {
    // Only maps over a request header: a plain request has it empty.
    if !map.arg(0)?.to_ascii_lowercase().starts_with("$http_") {
        return None;
    }
    let mut empty_key: Option<(&Directive, &str)> = None;
    let mut default: Option<(&Directive, &str)> = None;
    for entry in map.children() {
        let key = entry.name.as_str();
        if key == "include" || key.starts_with('~') {
            return None;
        }
        match (key, entry.arg(0)) {
            ("default", Some(v)) => default = Some((entry, v)),
            ("hostnames" | "volatile", _) => {}
            // An empty key is written `''` or `""`: the name is then empty.
            ("", Some(v)) => empty_key = Some((entry, v)),
            _ => {}
        }
    }
    // The entry that decides (the map itself when the value is the implicit empty default).
    Some(empty_key.or(default).unwrap_or((map, "")))
}

/// "the `location /api/` block", "the `server` block", "the top level of the file".
pub fn describe_block(block: Option<&Directive>) -> String {
    match block {
        Some(block) if block.name == "location" && !block.args.is_empty() => {
            let args: Vec<&str> = block.args.iter().map(|a| a.value.as_str()).collect();
            format!("the `location {}` block", args.join(" "))
        }
        Some(block) => format!("the `{}` block", block.name),
        None => "the top level of the file".to_string(),
    }
}

impl<'a> Scan<'a> {
    /// The index of a level of more than `INDEXED_LEVEL` directives.
    fn level(&self, directives: &[Directive]) -> Option<&LevelIndex<'a>> {
        self.levels.get(&level_key(directives)?)
    }

    /// Whether a `return` ends every request before the pass runs: one in the pass's own block,
    /// or one directly in its `server` block (the server's rewrite phase runs before any
    /// location is chosen: an HTTP-to-HTTPS redirect server with leftover locations).
    pub fn returns_before_pass(&self, pass: &Pass<'_>) -> bool {
        let returns = |block: &Directive| {
            let children = block.children();
            match self.level(children) {
                // A server of 30,000 locations is not read once per pass.
                Some(level) => level.by_name.contains_key("return"),
                None => children.iter().any(|d| d.name == "return"),
            }
        };
        pass.scope.block().is_some_and(returns)
            || pass
                .scope
                .nearest(crate::formats::nginx::ContextKind::Server)
                .is_some_and(returns)
    }
}

/// Whether an upstream's peers are chosen by Lua (`balancer_by_lua*`): its `server` lines are
/// placeholders.
pub fn has_lua_balancer(upstream: &Upstream<'_>) -> bool {
    upstream
        .directive
        .children()
        .iter()
        .any(|d| d.name.starts_with("balancer_by_lua"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(i: u32, path: &str, text: &str) -> NginxFile {
        NginxFile {
            file: FileId(i),
            path: path.to_string(),
            config: parse(text).unwrap(),
        }
    }

    #[test]
    fn module_globs_of_the_packages_are_harmless() {
        use super::{classify_unresolved, IncludeKind};
        for pattern in [
            "/etc/nginx/modules-enabled/*.conf",
            "/etc/nginx/modules/*.conf",
            "/usr/share/nginx/modules/*.conf",
            "modules-enabled/*.conf",
        ] {
            assert!(
                matches!(classify_unresolved(pattern), IncludeKind::Harmless),
                "{pattern}"
            );
        }
        // A named file there may be anything; a folder of another name is not one of module
        // loads.
        assert!(matches!(
            classify_unresolved("/etc/nginx/modules-enabled/proxy.conf"),
            IncludeKind::Unknown
        ));
        assert!(matches!(
            classify_unresolved("/etc/nginx/extra/*.conf"),
            IncludeKind::Unknown
        ));
    }

    #[test]
    fn name_words_count_whole_and_never_where_a_vhost_glob_takes_the_file() {
        use super::{classify_unresolved, IncludeKind};
        let harmless = |p: &str| matches!(classify_unresolved(p), IncludeKind::Harmless);
        // Where a vhost glob takes it, a word of the name says nothing.
        assert!(!harmless("/etc/nginx/conf.d/10-proxy-tls.conf"));
        assert!(!harmless("/etc/nginx/conf.d/ssl.conf"));
        assert!(!harmless("/etc/nginx/sites-enabled/log"));
        assert!(!harmless("/opt/bitnami/nginx/conf/server_blocks/gzip.conf"));
        assert!(!harmless("/opt/bitnami/nginx/conf/context.d/http/tls.conf"));
        // Well-known names and files the glob does not take still are.
        assert!(harmless("/etc/nginx/conf.d/mime.types"));
        assert!(harmless("/etc/nginx/conf.d/fastcgi_params"));
        assert!(harmless("/etc/nginx/conf.d/ssl.inc"));
        // Elsewhere, whole words only.
        assert!(harmless("/etc/nginx/snippets/ssl-params.conf"));
        assert!(harmless("/etc/letsencrypt/options-ssl-nginx.conf"));
        assert!(harmless("/etc/nginx/snippets/access_logs.conf"));
        assert!(!harmless("/etc/nginx/snippets/upstream-catalog.conf"));
        assert!(!harmless("/etc/nginx/snippets/mimetypes-proxy.conf"));
    }

    #[test]
    fn snippets_of_nginx_only_directives_are_nginx_wherever_they_sit() {
        let parsed = |text: &str| crate::formats::nginx::parse(text).expect("parses");
        for snippet in [
            "proxy_set_header Host $host;\nproxy_pass http://api;\n",
            "# retries\nproxy_next_upstream error timeout http_502;\n",
            "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n",
            "keepalive 32;\n",
            "add_header X-Frame-Options DENY always;\nadd_header X-Content-Type-Options nosniff;\n",
            "ssl_certificate /etc/ssl/shop.pem;\nssl_certificate_key /etc/ssl/shop.key;\n",
            "allow 10.0.0.0/8;\ndeny all;\n",
            "set $backend api;\nrewrite ^/old/(.*)$ /new/$1 permanent;\n",
        ] {
            assert!(is_nginx(&parsed(snippet), false), "{snippet}");
        }
        // Other programs' files that happen to parse: no directive only nginx has, or names
        // nginx does not write.
        for other in [
            "pid_file = /var/run/app.pid;\nworkers = 4;\n",
            "maxmemory 256mb;\n",
            "ProxyPass /api http://api;\n",
            "proxy-pass http://api;\n",
            "",
        ] {
            assert!(!is_nginx(&parsed(other), false), "{other}");
        }
    }

    #[test]
    fn versions() {
        assert_eq!(
            Version::parse("1.29.7"),
            Some(Version {
                major: 1,
                minor: 29,
                patch: 7
            })
        );
        assert!(Version::parse("1.30").unwrap().has_new_upstream_defaults());
        assert!(Version::parse("nginx/1.30.0")
            .unwrap()
            .has_new_upstream_defaults());
        assert!(!Version::parse("1.29.6")
            .unwrap()
            .has_new_upstream_defaults());
        assert!(!Version::parse("1.27.3-alpine")
            .unwrap()
            .has_new_upstream_defaults());
        assert!(Version::parse("mainline").is_none());
        assert!(Version::parse("1").is_none());
    }

    #[test]
    fn an_image_built_at_several_versions_is_judged_by_the_oldest() {
        let base = crate::model::Fact::default_value("nginx:${V}-alpine".to_string());
        let both = |variants: &[&str]| {
            let variants: Vec<String> = variants.iter().map(|v| v.to_string()).collect();
            detect_image(&base, &variants).map(|d| (d.image, d.newer))
        };
        // One side of 1.29.7: that side, no other named.
        assert_eq!(
            both(&["nginx:1.31-alpine", "nginx:1.30-alpine"]),
            Some(("nginx:1.30-alpine".to_string(), None))
        );
        // Both sides: the older, naming the newer.
        assert_eq!(
            both(&["nginx:1.31-alpine", "nginx:1.28-alpine", "nginx:1.29.8"]),
            Some((
                "nginx:1.28-alpine".to_string(),
                Some("nginx:1.31-alpine".to_string())
            ))
        );
        // One not a versioned nginx image: not known.
        assert_eq!(both(&["nginx:1.30-alpine", "mycorp/nginx:1"]), None);
        // No variants: the base as written.
        assert_eq!(both(&[]), None);
    }

    #[test]
    fn references_split_outside_variables() {
        let split = |image| {
            let (name, tag) = image_name_and_tag(image);
            (name, tag.to_string())
        };
        let pair = |n: &str, t: &str| (n.to_string(), t.to_string());
        assert_eq!(
            split("nginx:${NGINX_VERSION:-1.27-alpine}"),
            pair("nginx", "${NGINX_VERSION:-1.27-alpine}")
        );
        assert_eq!(
            split("nginxinc/nginx-unprivileged:${TAG:-1.27-alpine}"),
            pair("nginxinc/nginx-unprivileged", "${TAG:-1.27-alpine}")
        );
        assert_eq!(
            split("Nginx:1.30-alpine@sha256:abc"),
            pair("nginx", "1.30-alpine")
        );
        assert_eq!(
            split("localhost:5000/nginx"),
            pair("localhost:5000/nginx", "latest")
        );
        assert_eq!(split("nginx@sha256:abc"), pair("nginx", "latest"));
        assert_eq!(
            split("${REGISTRY:-ghcr.io}/nginx:1.27"),
            pair("${registry:-ghcr.io}/nginx", "1.27")
        );
        assert!(is_official_nginx("nginx:${NGINX_VERSION:-1.27-alpine}"));
        assert!(is_official_nginx("registry-1.docker.io/library/nginx:1.27"));
        assert!(is_official_nginx(
            "index.docker.io/nginxinc/nginx-unprivileged"
        ));
        assert!(!is_official_nginx("${IMAGE:-nginx}:1.27"));
        assert_eq!(
            hub_name("registry-1.docker.io/bitnami/nginx"),
            "bitnami/nginx"
        );
        assert_eq!(hub_name("index.docker.io/library/debian"), "debian");
        assert_eq!(
            hub_name("public.ecr.aws/bitnami/nginx"),
            "public.ecr.aws/bitnami/nginx"
        );
    }

    #[test]
    fn image_versions() {
        assert_eq!(nginx_image_version("nginx"), Some(ImageVersion::Current));
        assert_eq!(
            nginx_image_version("nginx:stable-alpine"),
            Some(ImageVersion::Current)
        );
        let line = nginx_image_version("nginx:1.29-alpine").unwrap();
        assert!(line.has_new_upstream_defaults());
        assert!(!nginx_image_version("nginx:1.28-alpine")
            .unwrap()
            .has_new_upstream_defaults());
        assert!(!nginx_image_version("nginx:1.25.3")
            .unwrap()
            .has_new_upstream_defaults());
        assert!(nginx_image_version("nginxinc/nginx-unprivileged:1.30")
            .unwrap()
            .has_new_upstream_defaults());
        assert!(nginx_image_version("node:22").is_none());
        assert!(nginx_image_version("nginx@sha256:abc").is_none());
        // Renovate and Dependabot pin a tag with its digest: the tag says the version.
        assert_eq!(
            nginx_image_version("nginx:1.30-alpine@sha256:abc"),
            Some(ImageVersion::Line {
                major: 1,
                minor: 30
            })
        );
        assert!(nginx_image_version("nginx:${NGINX_VERSION}").is_none());
        // Docker Hub by any of its host names.
        for image in [
            "registry-1.docker.io/bitnami/nginx:1.29",
            "index.docker.io/library/nginx:1.29-alpine",
            "docker.io/nginx:1.29",
        ] {
            assert!(
                nginx_image_version(image).is_some_and(|v| v.has_new_upstream_defaults()),
                "{image}"
            );
        }
        assert!(nginx_image_version("quay.io/bitnami/nginx:1.29").is_none());
        assert!(nginx_image_version("registry.example.com:5000/nginx").is_none());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_config_duration("5s"), Some(Duration::from_secs(5)));
        assert_eq!(
            parse_config_duration("500ms"),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_config_duration("1m"), Some(Duration::from_secs(60)));
        assert_eq!(
            parse_config_duration("1.5s"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(show_duration(Duration::from_secs(60)), "60s");
        assert_eq!(show_duration(Duration::from_secs(75)), "75s");
        assert_eq!(show_duration(Duration::from_millis(4500)), "4.5s");
    }

    /// Found by fuzzing (testdata/regressions/nginx-1.conf): a number of seconds too big for a
    /// `Duration` panicked in `Duration::from_secs_f64`.
    #[test]
    fn durations_too_big_for_a_duration_are_none() {
        let huge = format!("1{}s", "0".repeat(170));
        assert_eq!(parse_config_duration(&huge), None);
        assert_eq!(parse_config_duration(&huge[..huge.len() - 1]), None);
        assert_eq!(parse_config_duration("1e400"), None);
    }

    #[test]
    fn upstream_in_included_file_and_inheritance_through_include() {
        let files = vec![
            file(
                0,
                "deploy/nginx/nginx.conf",
                "events {} http { proxy_next_upstream error http_502; include /etc/nginx/conf.d/*.conf; }",
            ),
            file(1, "deploy/nginx/conf.d/upstreams.conf", "upstream app { server a:1; server b:1; }"),
            file(
                2,
                "deploy/nginx/conf.d/site.conf",
                "server { location / { proxy_pass http://app; } }",
            ),
        ];
        let scan = Scan::new(&files);
        let pass = &scan.passes[0];
        assert_eq!(pass.file, 2);
        assert_eq!(pass.upstream, Some((1, 0)));
        let lookups = scan.lookup(2, &pass.pass.scope, "proxy_next_upstream");
        assert_eq!(lookups.len(), 1);
        match &lookups[0] {
            Lookup::Set { entries, level } => {
                assert_eq!(level.file, 0);
                assert_eq!(
                    entries.first().expect("entry").directive.arg(1),
                    Some("http_502")
                );
                assert_eq!(
                    scan.describe_level(level, 2, pass.pass.scope.block()),
                    "inherited from the `http` block of nginx.conf, which includes this file"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn top_level_of_an_included_file_is_the_level_of_the_include() {
        // conf.d/app.conf's bare proxy_set_header is at the http level, next to nginx.conf's
        // Connection line: both apply (nginx splices the file into http).
        let files = vec![
            file(
                0,
                "nginx/nginx.conf",
                "events {} http { proxy_set_header Connection \"\"; include conf.d/*.conf; }",
            ),
            file(
                1,
                "nginx/conf.d/app.conf",
                "proxy_set_header Host $host; server { location / { proxy_pass http://a; } }",
            ),
        ];
        let scan = Scan::new(&files);
        let lookups = scan.lookup(1, &scan.passes[0].pass.scope, "proxy_set_header");
        assert_eq!(lookups.len(), 1);
        match &lookups[0] {
            Lookup::Set { entries, level } => {
                assert_eq!(level.file, 0);
                let names: Vec<&str> = entries.iter().filter_map(|e| e.directive.arg(0)).collect();
                assert_eq!(names, ["Connection", "Host"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_and_builtin_includes() {
        let files = vec![file(
            0,
            "nginx.conf",
            "http { include mime.types; server { proxy_set_header Connection \"\"; \
             location / { include proxy_params; proxy_pass http://a; } \
             location /b { include custom/proxy.conf; proxy_pass http://a; } } }",
        )];
        let scan = Scan::new(&files);
        // proxy_params sets proxy_set_header lines: the server's Connection "" is not inherited.
        let first = scan.lookup(0, &scan.passes[0].pass.scope, "proxy_set_header");
        match &first[0] {
            Lookup::Set { entries, .. } => {
                assert_eq!(entries.len(), 4);
                assert!(entries.first().expect("entry").via_builtin.is_some());
            }
            other => panic!("{other:?}"),
        }
        let connection = scan.lookup_where(
            0,
            &scan.passes[0].pass.scope,
            "proxy_set_header",
            Only::FirstArg("connection"),
        );
        assert!(
            matches!(&connection[0], Lookup::Set { level, .. } if level.block.is_some_and(|b| b.name == "server"))
        );
        let second = scan.lookup(0, &scan.passes[1].pass.scope, "proxy_set_header");
        assert!(matches!(second[0], Lookup::Unknown));
        // mime.types is harmless.
        let version = scan.lookup(0, &scan.passes[0].pass.scope, "proxy_http_version");
        assert!(matches!(version[0], Lookup::Default));
    }

    #[test]
    fn snippets_find_upstreams_of_sibling_snippets_but_not_of_other_configs() {
        let files = vec![
            file(
                0,
                "a/conf.d/up.conf",
                "upstream app { server x:1; server y:1; }",
            ),
            file(
                1,
                "a/conf.d/site.conf",
                "server { location / { proxy_pass http://app; } }",
            ),
            file(
                2,
                "b/nginx.conf",
                "events {} http { server { location / { proxy_pass http://app; } } }",
            ),
        ];
        let scan = Scan::new(&files);
        assert_eq!(scan.passes[0].upstream, Some((0, 0)));
        assert_eq!(scan.passes[1].upstream, None);
    }

    #[test]
    fn folders_intern_every_prefix_once() {
        let mut folders = Folders::default();
        let a = folders.intern(Path::new("x/y/a.conf"));
        let b = folders.intern(Path::new("x/y/b.conf"));
        let c = folders.intern(Path::new("/x/y/a.conf"));
        assert_eq!(a.len(), 4);
        assert_eq!(a[..3], b[..3]);
        assert_ne!(a[3], b[3]);
        assert_eq!(c.len(), 5);
        assert_ne!(a[1], c[2]);
        assert_eq!(folders.id(Path::new("x/y")), Some(a[2]));
        assert_eq!(folders.id(Path::new("x//y")), Some(a[2]));
        assert_eq!(folders.id(Path::new("")), Some(Folders::EMPTY));
        assert_eq!(folders.id(Path::new("x/z")), None);
        assert_eq!(folders.known(Path::new("x/z/w.conf")), a[..2]);
    }

    /// 600 snippets 1,900 folders deep, each passing to an upstream a sibling defines: every
    /// folder path was built (and hashed) for every file, quadratic in depth (17 s for the
    /// same without upstreams in a release build).
    #[test]
    fn snippets_deep_in_the_tree_cost_linear_in_depth() {
        let dir = "a/".repeat(1_900);
        let mut files: Vec<NginxFile> = (0..600)
            .map(|i| {
                file(
                    i,
                    &format!("{dir}s{i}.conf"),
                    &format!("server {{ location / {{ proxy_pass http://b{i}; }} }}"),
                )
            })
            .collect();
        files.push(file(
            600,
            &format!("{dir}up.conf"),
            &(0..600)
                .map(|i| format!("upstream b{i} {{ server x:1; server y:1; }}\n"))
                .collect::<String>(),
        ));
        // A bound against the quadratic cost (minutes in a debug build), not a benchmark: wide
        // enough for a debug build on a loaded machine (about 4 s there).
        let start = std::time::Instant::now();
        let scan = Scan::new(&files);
        assert!(start.elapsed() < std::time::Duration::from_secs(60));
        for (i, pass) in scan.passes.iter().enumerate() {
            assert_eq!(pass.upstream, Some((600, i)));
        }
    }

    /// The straightforward `find_upstream` (every root's reach and every snippet scanned per
    /// call): the reference the indexed one must agree with.
    fn reference_find_upstream(
        scan: &Scan<'_>,
        file: usize,
        name: &str,
        stream: bool,
    ) -> Option<(usize, usize)> {
        if let Some(first) = scan.matches_in(&[file], name, stream).first() {
            return Some(*first);
        }
        let mut found: Vec<(usize, usize)> = Vec::new();
        for &root in &scan.roots[file] {
            for m in scan.matches_in(&scan.reach[root], name, stream) {
                if !found.contains(&m) {
                    found.push(m);
                }
            }
        }
        match found.len() {
            1 => return found.first().copied(),
            0 => {}
            _ => return None,
        }
        let under_main = |f: usize| {
            scan.roots[f]
                .iter()
                .any(|&r| is_main(&scan.files[r].config))
        };
        if under_main(file) {
            return None;
        }
        let orphans: Vec<usize> = (0..scan.files.len()).filter(|&f| !under_main(f)).collect();
        let mut dir = Path::new(&scan.files[file].path).parent();
        while let Some(d) = dir {
            let candidates: Vec<usize> = orphans
                .iter()
                .copied()
                .filter(|&f| Path::new(&scan.files[f].path).starts_with(d))
                .collect();
            let found = scan.matches_in(&candidates, name, stream);
            match found.len() {
                0 => dir = d.parent(),
                1 => return found.first().copied(),
                _ => return None,
            }
            if d.as_os_str().is_empty() {
                break;
            }
        }
        None
    }

    /// The straightforward [`Scan::resolve_upstream`]: `Ok(one)`, or `Err(list)` of the upstream
    /// of each root file when they differ (empty: none, or a root reaching two).
    fn reference_resolve_upstream(
        scan: &Scan<'_>,
        file: usize,
        name: &str,
        stream: bool,
    ) -> Result<(usize, usize), Vec<(usize, usize)>> {
        if let Some(one) = reference_find_upstream(scan, file, name, stream) {
            return Ok(one);
        }
        if !scan.matches_in(&[file], name, stream).is_empty() {
            return Err(Vec::new());
        }
        let mut each = Vec::new();
        for &root in &scan.roots[file] {
            match scan.matches_in(&scan.reach[root], name, stream).as_slice() {
                [] => {}
                [one] => each.push(*one),
                _ => return Err(Vec::new()),
            }
        }
        each.sort_unstable();
        each.dedup();
        if each.len() < 2 {
            return Err(Vec::new());
        }
        Err(each)
    }

    fn resolved_as_reference(
        scan: &Scan<'_>,
        resolved: Resolved,
    ) -> Result<(usize, usize), Vec<(usize, usize)>> {
        match resolved {
            Resolved::One(at) => Ok(at),
            Resolved::None => Err(Vec::new()),
            Resolved::Each(set) => Err(scan.upstream_set(set).to_vec()),
        }
    }

    #[test]
    fn a_snippet_of_two_configurations_resolves_to_the_upstream_of_each() {
        let snippet = "location / { proxy_pass http://app; }\n";
        let main = "events {}\nhttp {\n upstream app { server a:1; server b:1; }\n server { include snippets/p.conf; }\n}\n";
        let files = vec![
            file(0, "nginx/nginx.conf", main),
            file(1, "nginx/nginx.staging.conf", main),
            file(2, "nginx/snippets/p.conf", snippet),
        ];
        let scan = Scan::new(&files);
        let pass = &scan.passes[0];
        assert_eq!(pass.upstream, None);
        let set = pass.upstreams.expect("one upstream per configuration");
        assert_eq!(&*scan.upstream_set(set), &[(0, 0), (1, 0)]);
        assert_eq!(scan.passes_to((0, 0)).count(), 1);
        assert_eq!(scan.passes_to((1, 0)).count(), 1);
        assert_eq!(scan.shared_sets(), vec![set]);
        // One configuration reaching two upstreams of the name: which one is meant is unknown.
        let twice = "events {}\nhttp {\n upstream app { server a:1; }\n include u.conf;\n server { include snippets/p.conf; }\n}\n";
        let files = vec![
            file(0, "nginx/nginx.conf", main),
            file(1, "nginx/nginx.staging.conf", twice),
            file(2, "nginx/snippets/p.conf", snippet),
            file(3, "nginx/u.conf", "upstream app { server c:1; }\n"),
        ];
        let scan = Scan::new(&files);
        assert_eq!(
            (scan.passes[0].upstream, scan.passes[0].upstreams),
            (None, None)
        );
        assert!(scan.passes_to((0, 0)).next().is_none());
    }

    /// Which configurations that include a snippet have a problem: a path that stops at a
    /// level of a file is each configuration's that reaches it (a shared `http.conf` too); a
    /// free path that reaches a top-level file cannot be attributed.
    #[test]
    fn paths_are_attributed_to_the_configurations_that_reach_where_they_stop() {
        let snippet = "location / { proxy_pass http://app; }\n";
        let plain = "events {}\nhttp {\n upstream app { server a:1; server b:1; }\n server { include snippets/p.conf; }\n}\n";
        let retries = "events {}\nhttp {\n upstream app { server a:1; server b:1; }\n server { proxy_next_upstream http_502; include snippets/p.conf; }\n}\n";
        let shared = "events {}\nhttp {\n upstream app { server a:1; server b:1; }\n include http.conf;\n}\n";
        let files = vec![
            file(0, "nginx/a.conf", plain),
            file(1, "nginx/b.conf", retries),
            file(2, "nginx/c.conf", shared),
            file(3, "nginx/d.conf", shared),
            file(
                4,
                "nginx/http.conf",
                "server { proxy_next_upstream off; include snippets/p.conf; }\n",
            ),
            file(5, "nginx/snippets/p.conf", snippet),
        ];
        let scan = Scan::new(&files);
        let pass = &scan.passes[0];
        assert_eq!(pass.file, 5);
        let lookups = scan.lookup(5, &pass.pass.scope, "proxy_next_upstream");
        assert_eq!(lookups.len(), 3, "{lookups:?}");
        // The problem: no line (the default), or `off`.
        let off = |l: &Lookup<'_>| match l {
            Lookup::Default => Some(true),
            Lookup::Set { entries, .. } => Some(entries.first()?.directive.arg(0) == Some("off")),
            Lookup::Unknown => None,
        };
        assert_eq!(
            scan.judge_paths(5, &lookups, off),
            PathsVerdict::In(vec![0, 2, 3])
        );
        assert_eq!(
            scan.name_configurations(&[0, 2, 3], 5),
            "a.conf, c.conf and d.conf (3 of the 4 configurations that include this file)"
        );
        assert_eq!(
            scan.name_configurations(&[0, 1, 2, 3], 5),
            "a.conf, b.conf, c.conf and 1 more (4 of the 4 configurations that include this file)"
        );
        // `http_502` as the problem: only b.conf's path, which stops at its own level.
        let has_502 = |l: &Lookup<'_>| match l {
            Lookup::Set { entries, .. } => {
                Some(entries.first()?.directive.arg(0) == Some("http_502"))
            }
            _ => Some(false),
        };
        // a.conf's free path reaches its top level without a line: not attributed.
        assert_eq!(
            scan.judge_paths(5, &lookups, has_502),
            PathsVerdict::Unattributed
        );
        assert_eq!(
            scan.judge_paths(5, &lookups, |_| Some(true)),
            PathsVerdict::Everywhere
        );
        assert_eq!(
            scan.judge_paths(5, &lookups, |_| Some(false)),
            PathsVerdict::Nowhere
        );
        assert_eq!(
            scan.judge_paths(5, &lookups, |_| None),
            PathsVerdict::Unknown
        );
        assert_eq!(scan.configurations_with(5, (2, 0)), vec![2]);
        // Notes the rules add are shown once each.
        scan.note("x".to_string());
        scan.note("x".to_string());
        assert_eq!(scan.notes(), vec!["x".to_string()]);
    }

    fn reference_variable_pass_near(scan: &Scan<'_>, file: usize) -> bool {
        let mut related: Vec<usize> = vec![file];
        for &root in &scan.roots[file] {
            related.extend(scan.reach[root].iter().copied());
        }
        scan.passes.iter().any(|p| {
            related.contains(&p.file)
                && matches!(p.pass.target, crate::formats::nginx::PassTarget::Variable)
        })
    }

    fn reference_find_map<'a>(
        scan: &Scan<'a>,
        file: usize,
        variable: &str,
    ) -> Option<(usize, &'a Directive)> {
        let candidates: Vec<usize> = if scan.roots[file].is_empty() {
            vec![file]
        } else {
            let mut all: Vec<usize> = scan.roots[file]
                .iter()
                .flat_map(|&r| scan.reach[r].iter().copied())
                .collect();
            all.sort_unstable();
            all.dedup();
            all
        };
        let mut found = None;
        for f in candidates {
            scan.files[f].config.visit(|d, _| {
                if d.name == "map"
                    && d.block.is_some()
                    && d.arg(1).is_some_and(|v| v.eq_ignore_ascii_case(variable))
                    && found.is_none()
                {
                    found = Some((f, d));
                }
            });
        }
        found
    }

    /// The straightforward reach: a walk from the file over every resolved include.
    fn reference_reach(scan: &Scan<'_>, from: usize) -> Vec<usize> {
        let mut found = vec![from];
        let mut stack = vec![from];
        while let Some(f) = stack.pop() {
            for &t in scan.sites[f].iter().flat_map(IncludeSite::targets) {
                if !found.contains(&t) {
                    found.push(t);
                    stack.push(t);
                }
            }
        }
        found.sort_unstable();
        found
    }

    /// The straightforward names a resolved include site brings in: a walk over top-level
    /// includes from its targets (`None` when one of them is of unknown content).
    fn reference_site_names<'a>(scan: &Scan<'a>, targets: &[usize]) -> Option<Vec<&'a str>> {
        let mut seen: Vec<usize> = targets.to_vec();
        let mut stack: Vec<usize> = targets.to_vec();
        let mut names: Vec<&'a str> = Vec::new();
        let mut unknown = false;
        while let Some(f) = stack.pop() {
            names.extend(
                scan.files[f]
                    .config
                    .directives
                    .iter()
                    .map(|d| d.name.as_str()),
            );
            for site in scan.sites[f].iter().filter(|s| s.scope.chain.is_empty()) {
                match &site.kind {
                    IncludeKind::Resolved(more) => {
                        for &t in more {
                            if !seen.contains(&t) {
                                seen.push(t);
                                stack.push(t);
                            }
                        }
                    }
                    IncludeKind::Builtin(config) => {
                        names.extend(config.directives.iter().map(|d| d.name.as_str()));
                    }
                    IncludeKind::Unknown => unknown = true,
                    IncludeKind::Harmless => {}
                }
            }
        }
        names.sort_unstable();
        names.dedup();
        (!unknown).then_some(names)
    }

    /// The names the top levels of these components and of those they include there may set
    /// (`None`: an include of unknown content among them), sorted.
    fn site_names<'a>(scan: &Scan<'a>, parts: &[usize]) -> Option<Vec<&'a str>> {
        let mut seen: Vec<usize> = parts.to_vec();
        let mut stack: Vec<usize> = parts.to_vec();
        let mut names: Vec<&'a str> = Vec::new();
        while let Some(c) = stack.pop() {
            if scan.top_unknown[c] {
                return None;
            }
            names.extend(scan.top_names[c].iter().copied());
            for &d in &scan.top_includes[c] {
                if !seen.contains(&d) {
                    seen.push(d);
                    stack.push(d);
                }
            }
        }
        names.sort_unstable();
        names.dedup();
        Some(names)
    }

    /// The reach of root files and the names include sites bring in, computed over
    /// components of files that include each other, are what straightforward walks give.
    fn assert_components_agree_with_walks(scan: &Scan<'_>) {
        for f in 0..scan.files.len() {
            if scan.included_by[f].is_empty() {
                assert_eq!(scan.reach[f], reference_reach(scan, f), "reach of {f}");
            }
            for (i, site) in scan.sites[f].iter().enumerate() {
                let resolved = matches!(site.kind, IncludeKind::Resolved(_));
                let got = resolved
                    .then(|| site_names(scan, &scan.site_parts[f][i]))
                    .flatten();
                let want = match &site.kind {
                    IncludeKind::Resolved(targets) => reference_site_names(scan, targets),
                    _ => None,
                };
                assert_eq!(got, want, "names of site {i} of {f}");
            }
        }
    }

    /// Components of generated graphs: two nodes share one exactly when each reaches the
    /// other, and a component is numbered after those it reaches.
    #[test]
    fn strong_components_agree_with_reachability() {
        let mut rng = crate::test_rng::Rng(0x51_7cc1_b727_220a);
        for _ in 0..300 {
            let n = rng.below(12);
            let edges: Vec<Vec<usize>> = (0..n)
                .map(|_| (0..rng.below(4)).map(|_| rng.below(n)).collect())
                .collect();
            let (component, count) = strong_components(n, |v| edges[v].iter().copied());
            let reaches = |from: usize, to: usize| {
                let mut seen = vec![from];
                let mut stack = vec![from];
                while let Some(v) = stack.pop() {
                    for &w in &edges[v] {
                        if !seen.contains(&w) {
                            seen.push(w);
                            stack.push(w);
                        }
                    }
                }
                seen.contains(&to)
            };
            assert!(component.iter().all(|&c| c < count));
            for u in 0..n {
                for v in 0..n {
                    let same = reaches(u, v) && reaches(v, u);
                    assert_eq!(component[u] == component[v], same, "{u} {v} in {edges:?}");
                    if !same && reaches(u, v) {
                        assert!(component[u] > component[v], "{u} {v} in {edges:?}");
                    }
                }
            }
        }
    }

    /// Files that all include each other: past the limit of included files, includes are not
    /// followed, with one note, and what they could set is unknown.
    #[test]
    fn includes_past_the_limit_are_unknown_with_a_note() {
        let mut files = vec![file(
            0,
            "nginx.conf",
            "events {}\nhttp {\n  upstream u { server a:1; server b:1; }\n  include conf.d/*.conf;\n  server { location / { proxy_pass http://u; } }\n}\n",
        )];
        for i in 1..=3 {
            files.push(file(
                i,
                &format!("conf.d/f{i}.conf"),
                "include conf.d/*.conf;\nproxy_next_upstream off;\n",
            ));
        }
        // nginx.conf brings in 3 files, each conf.d file the 2 others: 9 in all.
        let scan = Scan::with_include_limit(&files, &Placements::default(), 9);
        assert!(scan.notes.is_empty(), "{:?}", scan.notes);
        let lookup = |scan: &Scan<'_>| {
            let pass = &scan.passes[0];
            format!(
                "{:?}",
                scan.lookup(pass.file, &pass.pass.scope, "proxy_next_upstream")
            )
        };
        assert!(lookup(&scan).starts_with("[Set"), "{}", lookup(&scan));
        assert_components_agree_with_walks(&scan);

        let scan = Scan::with_include_limit(&files, &Placements::default(), 6);
        assert_eq!(
            scan.notes,
            [
                "conf.d/f2.conf: nginx `include`s bring in more than 6 files in all; this \
              `include` and those after it are not followed (what they set is taken as unknown)"
            ]
        );
        let kinds: Vec<String> = scan
            .sites
            .iter()
            .map(|list| format!("{:?}", list.iter().map(|s| &s.kind).collect::<Vec<_>>()))
            .collect();
        // nginx.conf comes first (3), then f1 (2); f2 would bring in 2 more: f2 and f3 are not
        // followed.
        assert_eq!(
            kinds.iter().filter(|k| k.contains("Resolved")).count(),
            2,
            "{kinds:?}"
        );
        assert_eq!(kinds.iter().filter(|k| k.contains("Unknown")).count(), 2);
        assert_eq!(lookup(&scan), "[Unknown]");
        assert_components_agree_with_walks(&scan);
    }

    /// Generated trees of configurations (main files, snippets no main file includes, stream
    /// includes, cycles, unknown and built-in includes, maps): the indices of the scan give what
    /// the straightforward scans give.
    #[test]
    fn scan_indices_agree_with_the_straightforward_scans_on_generated_trees() {
        let dirs = [
            "",
            "a/",
            "a/conf.d/",
            "b/",
            "b/conf.d/",
            "./b/conf.d/",
            "c/d/e/",
            "/etc/nginx/",
            "/etc/nginx/conf.d/",
        ];
        let names = ["nginx.conf", "x.conf", "up.conf", "snippets.conf"];
        let pieces = [
            "events {} http { proxy_next_upstream error http_502; include conf.d/*.conf; \
             server { location / { proxy_pass http://app; } } }",
            "http { map $http_upgrade $c { default upgrade; '' close; } include *.conf; }",
            "upstream app { server a:1; server b:1; }",
            "upstream APP { server c:1; }",
            "upstream db { server d:1; server e:1; }",
            "server { location / { proxy_pass http://app; proxy_next_upstream off; } \
             location /v { proxy_pass http://$backend; } }",
            "server { proxy_set_header Connection $c; location / { proxy_pass http://db; \
             include snippets.conf; } }",
            "proxy_next_upstream error timeout;",
            "proxy_set_header Connection \"\";",
            "include x.conf;",
            "include ../*.conf;",
            "include unknown/thing.conf;",
            "include proxy_params;",
            "include mime.types;",
            "stream { include conf.d/*.conf; upstream db { server x:1; } server { proxy_pass db; } }",
            "map $http_upgrade $C { default upgrade; }",
            "map $http_x $c { default keep-alive; }",
            "location /z { proxy_pass http://app; }",
            "server { location /n { proxy_next_upstream off; location /m { include x.conf; \
             location /k { proxy_pass http://app; } location /j { proxy_pass http://db; \
             include snippets.conf; } } } }",
            "include up.conf;\nproxy_set_header Connection close;",
        ];
        let mut rng = crate::test_rng::Rng(0x9e37_79b9_7f4a_7c15);
        let mut next = |below: usize| rng.below(below);
        let (mut resolved, mut variable, mut maps, mut set) = (0, 0, 0, 0);
        let mut each = 0;
        for _ in 0..300 {
            let count = 1 + next(12);
            let files: Vec<NginxFile> = (0..count)
                .map(|i| {
                    let path = format!("{}{}", dirs[next(dirs.len())], names[next(names.len())]);
                    let text: Vec<&str> = (0..1 + next(4))
                        .map(|_| pieces[next(pieces.len())])
                        .collect();
                    file(i as u32, &path, &text.join("\n"))
                })
                .collect();
            // Every level indexed (the generated ones are small), against none.
            let mut scan = Scan::new(&files);
            assert_components_agree_with_walks(&scan);
            let mut slices: Vec<&[Directive]> = Vec::new();
            for file in &files {
                slices.push(&file.config.directives);
                file.config.visit(|d, _| slices.push(d.children()));
            }
            for directives in slices {
                if let Some(key) = level_key(directives) {
                    scan.levels.insert(key, LevelIndex::new(directives));
                }
            }
            let mut unfiltered = Scan::new(&files);
            unfiltered.site_parts = vec![Vec::new(); files.len()];
            unfiltered.levels.clear();
            unfiltered.plain = true;
            for f in 0..files.len() {
                for name in ["app", "APP", "db", "nope"] {
                    for stream in [false, true] {
                        let got = scan.find_upstream(f, name, stream);
                        assert_eq!(
                            got,
                            reference_find_upstream(&scan, f, name, stream),
                            "{name} {stream} from {f} in {files:?}"
                        );
                        let per_root = scan.resolve_upstream(f, name, stream);
                        assert_eq!(
                            resolved_as_reference(&scan, per_root),
                            reference_resolve_upstream(&scan, f, name, stream),
                            "{name} {stream} from {f} in {files:?}"
                        );
                        resolved += usize::from(got.is_some());
                        each += usize::from(matches!(per_root, Resolved::Each(_)));
                    }
                }
                let got = scan.has_variable_pass_near(f);
                assert_eq!(got, reference_variable_pass_near(&scan, f));
                variable += usize::from(got);
                for name in ["$c", "$C", "$nope"] {
                    let got = scan.find_map(f, name);
                    let want = reference_find_map(&scan, f, name);
                    assert_eq!(
                        got.map(|(f, d)| (f, d as *const Directive)),
                        want.map(|(f, d)| (f, d as *const Directive))
                    );
                    maps += usize::from(got.is_some());
                }
            }
            for p in &scan.passes {
                for name in [
                    "proxy_next_upstream",
                    "proxy_set_header",
                    "proxy_http_version",
                ] {
                    let got = format!("{:?}", scan.lookup(p.file, &p.pass.scope, name));
                    let want = format!("{:?}", unfiltered.lookup(p.file, &p.pass.scope, name));
                    assert_eq!(got, want, "{name} at {p:?}");
                    set += usize::from(got.contains("Set"));
                }
            }
        }
        // The comparisons are not all of empty results.
        assert!(
            resolved > 500 && variable > 200 && maps > 200 && set > 500 && each > 10,
            "{resolved} {variable} {maps} {set} {each}"
        );
    }

    /// Wide trees (a site bringing in more than `SITE_PARTS_MEMO` components, more upstreams
    /// and maps of a name than the files the roots reach, or fewer): the answers found from
    /// either side, remembered per root list, are the straightforward ones.
    #[test]
    fn wide_trees_agree_with_the_straightforward_scans() {
        for (sites, snippets, others) in [(1, 24, 40), (3, 20, 2), (30, 4, 0)] {
            let mut files = Vec::new();
            for s in 0..sites {
                let path = format!("s{s}/nginx.conf");
                let text = "events {} http { proxy_next_upstream error; include ../conf.d/*.conf; \
                            server { location / { proxy_pass http://app; proxy_set_header \
                            Connection $c; } } }";
                files.push(file(files.len() as u32, &path, text));
            }
            for c in 0..snippets {
                let text = match c % 4 {
                    0 => "upstream app { server a:1; }\nmap $http_u $c { default x; '' close; }",
                    1 => "server { location /a { proxy_pass http://app; } }",
                    2 => "proxy_set_header Connection \"\";\nupstream db { server d:1; }",
                    _ => "server { location /d { proxy_pass http://db; proxy_pass http://app; } }",
                };
                files.push(file(files.len() as u32, &format!("conf.d/c{c}.conf"), text));
            }
            for o in 0..others {
                let text =
                    "upstream app { server o:1; server p:1; }\nmap $http_u $c { default y; }";
                files.push(file(files.len() as u32, &format!("other{o}.conf"), text));
            }
            let scan = Scan::new(&files);
            // Each site brings in every snippet, each its own component.
            assert_eq!(scan.site_parts[0][0].len(), snippets);
            assert_components_agree_with_walks(&scan);
            let mut unfiltered = Scan::new(&files);
            unfiltered.site_parts = vec![Vec::new(); files.len()];
            for f in 0..files.len() {
                for name in ["app", "db"] {
                    assert_eq!(
                        scan.find_upstream(f, name, false),
                        reference_find_upstream(&scan, f, name, false),
                        "{name} from {f}"
                    );
                    assert_eq!(
                        resolved_as_reference(&scan, scan.resolve_upstream(f, name, false)),
                        reference_resolve_upstream(&scan, f, name, false),
                        "{name} from {f}"
                    );
                }
                let got = scan.find_map(f, "$c");
                let want = reference_find_map(&scan, f, "$c");
                assert_eq!(
                    got.map(|(f, d)| (f, d as *const Directive)),
                    want.map(|(f, d)| (f, d as *const Directive))
                );
            }
            for p in &scan.passes {
                for name in ["proxy_next_upstream", "proxy_set_header", "nope"] {
                    // Twice: the second answer comes from what the first remembered.
                    for _ in 0..2 {
                        let got = format!("{:?}", scan.lookup(p.file, &p.pass.scope, name));
                        let want = format!("{:?}", unfiltered.lookup(p.file, &p.pass.scope, name));
                        assert_eq!(got, want, "{name} at {p:?}");
                    }
                }
            }
        }
    }

    /// A `return` in a server of many locations (an indexed level) is found as in a small one.
    #[test]
    fn returns_before_pass_in_big_and_small_servers() {
        for count in [2, 100] {
            for redirect in [false, true] {
                let locations: String = (0..count)
                    .map(|i| format!("location /l{i} {{ proxy_pass http://u; }}\n"))
                    .collect();
                let text = format!(
                    "http {{ upstream u {{ server a:1; }} server {{ {}{locations} }} }}",
                    if redirect {
                        "return 301 https://x;\n"
                    } else {
                        ""
                    }
                );
                let files = [file(0, "nginx.conf", &text)];
                let scan = Scan::new(&files);
                assert_eq!(scan.passes.len(), count);
                assert!(scan
                    .passes
                    .iter()
                    .all(|p| scan.returns_before_pass(&p.pass) == redirect));
            }
        }
    }

    #[test]
    fn level_positions_merge_names_and_includes_in_order() {
        let config =
            crate::formats::nginx::parse("a 1; include x; b 2; a 3; include y; include z; a 4;")
                .expect("parses");
        let level = LevelIndex::new(&config.directives);
        assert_eq!(level.positions("a"), [0, 1, 3, 4, 5, 6]);
        assert_eq!(level.positions("b"), [1, 2, 4, 5]);
        assert_eq!(level.positions("include"), [1, 4, 5]);
        assert_eq!(level.positions("c"), [1, 4, 5]);
    }

    #[test]
    fn connection_map() {
        let files = vec![file(
            0,
            "nginx.conf",
            "http { map $http_upgrade $connection_upgrade { default upgrade; '' close; } \
             map $http_upgrade $keep { default upgrade; '' ''; } }",
        )];
        let scan = Scan::new(&files);
        assert_eq!(
            scan.map_value_for_plain_requests(0, "$connection_upgrade")
                .map(|m| m.value),
            Some("close")
        );
        assert_eq!(
            scan.map_value_for_plain_requests(0, "$keep")
                .map(|m| m.value),
            Some("")
        );
        assert!(scan.map_value_for_plain_requests(0, "$nope").is_none());
    }

    /// Which image runs an nginx file is decided by the Dockerfiles' `COPY` sources, compared
    /// by path components: a copied folder covers the files under it, not a sibling whose name
    /// starts the same; a file included by a copied one inherits its image.
    #[test]
    fn images_are_detected_by_copied_paths() {
        let dir = tempfile::tempdir().expect("temp dir");
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        // Keepalive without HTTP/1.1 upstream: a race before nginx 1.29.7 only.
        let conf = "upstream api {\n    server api:8080;\n    keepalive 16;\n    keepalive_timeout 4s;\n}\nserver {\n    listen 80;\n    location / {\n        proxy_pass http://api;\n    }\n}\n";
        // The snippets are COPYed where main.conf's include names them: in the image, it
        // includes them (a snippet left in the repository would not be there).
        write("new/Dockerfile", "FROM nginx:1.30-alpine\nCOPY conf.d/ /etc/nginx/conf.d/\nCOPY main.conf /etc/nginx/nginx.conf\nCOPY snippets/ /etc/nginx/snippets/\n");
        write("new/conf.d/app.conf", conf);
        write("new/conf.d2/app.conf", conf);
        write(
            "new/main.conf",
            "events {}\nhttp {\n    include snippets/*.conf;\n}\n",
        );
        write("new/snippets/api.conf", conf);
        write(
            "old/Dockerfile",
            "FROM nginx:1.25.4\nCOPY ./app.conf /etc/nginx/conf.d/app.conf\n",
        );
        write("old/app.conf", conf);
        let settings = crate::Settings::new(
            crate::config::Config::default(),
            crate::config::Selection::only(&["SL206"]),
        );
        let report = crate::lint_paths(&[dir.path().to_path_buf()], &settings).expect("lint");
        let root = dir.path().to_string_lossy().into_owned();
        let mut found: Vec<(String, bool)> = report
            .diagnostics
            .iter()
            .map(|d| {
                let path = report.files.path(d.location.file);
                let path = path.strip_prefix(root.as_str()).unwrap_or(path);
                let from_image = d.labels.iter().any(|l| l.message.contains("image"));
                (path.to_string(), from_image)
            })
            .collect();
        found.dedup();
        assert_eq!(
            found,
            [
                // Not copied: unknown version, the older defaults assumed.
                ("/new/conf.d2/app.conf".to_string(), false),
                // Copied from the build context `old/` by a pinned old image.
                ("/old/app.conf".to_string(), true),
            ]
        );
    }

    /// 300 `location`s that each `include` a file of 200 `proxy_set_header` lines: every
    /// location's entries are that file's one list, shared (each location held its own copy:
    /// locations x lines), and the file's lines are read once per name, not once per location.
    #[test]
    fn an_include_in_many_levels_is_read_once_and_shared() {
        let hdr: String = (0..200)
            .map(|i| format!("proxy_set_header X-H{i} \"\";\n"))
            .collect();
        let locations: String = (0..300)
            .map(|i| format!("location /l{i} {{ include hdr.conf; proxy_pass http://u; }}\n"))
            .collect();
        let files = vec![
            file(
                0,
                "nginx/nginx.conf",
                &format!("events {{}} http {{ upstream u {{ server a:1; server b:1; }} server {{ {locations} }} }}"),
            ),
            file(1, "nginx/hdr.conf", &hdr),
        ];
        let scan = Scan::new(&files);
        assert_eq!(scan.passes.len(), 300);
        let mut first: Option<Entries<'_>> = None;
        for p in &scan.passes {
            let found = scan.lookup(p.file, &p.pass.scope, "proxy_set_header");
            let [Lookup::Set { entries, level }] = found.as_slice() else {
                panic!("{found:?}");
            };
            assert_eq!(entries.len(), 200);
            assert_eq!(entries.first().expect("entry").file, 1);
            assert!(std::ptr::eq(
                level.block.expect("block"),
                p.pass.scope.chain[2]
            ));
            match &first {
                None => first = Some(entries.clone()),
                Some(first) => assert!(first.ptr_eq(entries)),
            }
        }
        // Each location level looked at and read once, hdr.conf read once (not once per
        // location).
        let reads = scan.reads.load(std::sync::atomic::Ordering::Relaxed);
        assert!(reads <= 2 * 300 + 10, "{reads}");
    }

    /// 300 `location`s, each with its own `proxy_set_header` lines around an `include` of a
    /// file of 200: every location's list holds that file's one list, shared (each location
    /// copied it once a line of its own came beside it: locations x lines), in the order nginx
    /// reads them, the same as the straightforward walk finds; and a rule's `PerLevel::fold`
    /// reads the file's lines once, not once per location.
    #[test]
    fn an_include_beside_own_lines_is_shared_not_copied() {
        let hdr: String = (0..200)
            .map(|i| format!("proxy_set_header X-H{i} \"\";\n"))
            .collect();
        let locations: String = (0..300)
            .map(|i| {
                format!(
                    "location /l{i} {{ proxy_set_header Connection close; include hdr.conf; proxy_set_header X-L{i} 1; proxy_pass http://u; }}\n"
                )
            })
            .collect();
        let files = vec![
            file(
                0,
                "nginx/nginx.conf",
                &format!("events {{}} http {{ upstream u {{ server a:1; server b:1; }} server {{ {locations} }} }}"),
            ),
            file(1, "nginx/hdr.conf", &hdr),
        ];
        let scan = Scan::new(&files);
        let mut plain = Scan::new(&files);
        plain.plain = true;
        assert_eq!(scan.passes.len(), 300);
        let mut shared: Option<Entries<'_>> = None;
        let mut known: PerLevel<'_, (usize, Option<usize>)> = PerLevel::default();
        let read = std::cell::Cell::new(0);
        for p in &scan.passes {
            let found = scan.lookup(p.file, &p.pass.scope, "proxy_set_header");
            assert_eq!(
                format!("{found:?}"),
                format!(
                    "{:?}",
                    plain.lookup(p.file, &p.pass.scope, "proxy_set_header")
                )
            );
            let [Lookup::Set { entries, .. }] = found.as_slice() else {
                panic!("{found:?}");
            };
            assert_eq!(entries.len(), 202);
            let files: Vec<usize> = entries.iter().map(|e| e.file).collect();
            assert_eq!(files.first(), Some(&0));
            assert_eq!(files.last(), Some(&0));
            assert_eq!(files.iter().filter(|&&f| f == 1).count(), 200);
            assert_eq!(
                entries.last().and_then(|e| e.directive.arg(0)),
                entries.iter().next_back().and_then(|e| e.directive.arg(0))
            );
            let EntryPart::Shared(piece) = &entries.0.parts[1] else {
                panic!("not shared: {entries:?}");
            };
            match &shared {
                None => shared = Some(piece.clone()),
                Some(shared) => assert!(shared.ptr_eq(piece)),
            }
            // How many lines, and the last `X-H...` one.
            let (count, last) = *known.fold(
                entries,
                &|own: &[Entry<'_>]| {
                    read.set(read.get() + own.len());
                    let last = own
                        .iter()
                        .rposition(|e| e.directive.arg(0).is_some_and(|a| a.starts_with("X-H")));
                    (own.len(), last)
                },
                &|(n, a), &(m, b)| (n + m, b.map(|b| n + b).or(a)),
            );
            assert_eq!(count, 202);
            assert_eq!(last, Some(200));
        }
        // 300 x 2 own lines and the file's 200 once.
        assert_eq!(read.get(), 300 * 2 + 200);
    }

    /// Passes 60 `location`s deep, 1,000 of them side by side: each reads its own level and
    /// shares the climb out of the levels around it (each climbed all 60 levels, several names
    /// per pass), with the same results as the straightforward walk.
    #[test]
    fn passes_under_deeply_nested_locations_climb_once() {
        let depth = 60;
        let mut text = String::from(
            "events {} http { upstream u { server a:1; server b:1; } server { proxy_next_upstream error; \n",
        );
        for i in 0..depth {
            text.push_str(&format!(
                "location /{i} {{ proxy_pass http://u; include x.conf;\n"
            ));
        }
        for j in 0..1_000 {
            text.push_str(&format!("location /x{j} {{ proxy_pass http://u; }}\n"));
        }
        text.push_str(&"}\n".repeat(depth + 2));
        let files = vec![
            file(0, "nginx/nginx.conf", &text),
            file(1, "nginx/x.conf", "proxy_set_header Connection \"\";\n"),
        ];
        let scan = Scan::new(&files);
        let mut plain = Scan::new(&files);
        plain.plain = true;
        assert_eq!(scan.passes.len(), depth + 1_000);
        // What a lookup found, by address (the `Debug` of a level prints its whole block).
        let summary = |found: Vec<Lookup<'_>>| -> Vec<(usize, Vec<usize>, usize)> {
            found
                .iter()
                .map(|l| match l {
                    Lookup::Set { entries, level } => (
                        level.file,
                        entries
                            .iter()
                            .map(|e| std::ptr::from_ref(e.directive) as usize)
                            .collect(),
                        level.block.map_or(0, |b| std::ptr::from_ref(b) as usize),
                    ),
                    Lookup::Default => (usize::MAX, Vec::new(), 0),
                    Lookup::Unknown => (usize::MAX, Vec::new(), 1),
                })
                .collect()
        };
        for name in [
            "proxy_next_upstream",
            "proxy_set_header",
            "proxy_http_version",
        ] {
            for p in &scan.passes {
                let got = summary(scan.lookup(p.file, &p.pass.scope, name));
                let want = summary(plain.lookup(p.file, &p.pass.scope, name));
                assert_eq!(got, want, "{name}");
            }
        }
        // Per pass and name its own level (looked at and read), plus each enclosing level once
        // per name: not passes x depth (190,000).
        let reads = scan.reads.load(std::sync::atomic::Ordering::Relaxed);
        assert!(reads <= 3 * (3 * 1_000 + 10 * depth), "{reads}");
    }

    /// Passes in a snippet included from more `server`s than a lookup's include-step budget:
    /// the climb out of the snippet is cut short (unknown) and was walked again by every pass
    /// (budget x passes); now it is kept per starting budget, and each pass gets what the
    /// straightforward walk gives, also where the pass's own level took steps first.
    #[test]
    fn climbs_cut_by_the_budget_are_walked_once_per_budget() {
        let servers = MAX_LOOKUP_STEPS + 300;
        let mut text = String::from("events {} http { upstream u { server a:1; server b:1; }\n");
        for i in 0..servers {
            text.push_str(&format!(
                "server {{ listen {i}; proxy_next_upstream error; include locs.conf; }}\n"
            ));
        }
        text.push_str("}\n");
        let mut locs = String::new();
        for j in 0..200 {
            locs.push_str(&format!("location /p{j} {{ proxy_pass http://u; }}\n"));
        }
        for j in 0..50 {
            // One include step before the climb (the file has `proxy_set_header`, not a
            // Connection one).
            locs.push_str(&format!(
                "location /q{j} {{ include one.conf; proxy_pass http://u; }}\n"
            ));
        }
        locs.push_str("location /r {\n");
        for j in 0..50 {
            locs.push_str(&format!("location /r/{j} {{ proxy_pass http://u; }}\n"));
        }
        locs.push_str("}\n");
        let files = vec![
            file(0, "nginx/nginx.conf", &text),
            file(1, "nginx/locs.conf", &locs),
            file(2, "nginx/one.conf", "proxy_set_header Host x;\n"),
        ];
        let scan = Scan::new(&files);
        let mut plain = Scan::new(&files);
        plain.plain = true;
        assert_eq!(scan.passes.len(), 300);
        for (name, only) in [
            ("proxy_next_upstream", Only::All),
            ("proxy_set_header", Only::FirstArg("connection")),
            ("proxy_set_header", Only::All),
        ] {
            for p in &scan.passes {
                let got = scan.lookup_where(p.file, &p.pass.scope, name, only);
                let want = plain.lookup_where(p.file, &p.pass.scope, name, only);
                assert_eq!(format!("{got:?}"), format!("{want:?}"), "{name}");
                if name == "proxy_next_upstream" {
                    assert!(matches!(got.last(), Some(Lookup::Unknown)), "{got:?}");
                }
            }
        }
        // The budget walked once per name and starting budget (a few levels per `server`
        // each time, 18,000 reads in all), not once per pass (at least 300 x 1,024 per name).
        let reads = scan.reads.load(std::sync::atomic::Ordering::Relaxed);
        assert!(reads <= 30 * MAX_LOOKUP_STEPS, "{reads}");
    }

    /// Upstreams of snippets no main `nginx.conf` includes, 80 folders deep, are kept once each
    /// (they were entered under every folder above them), and are found from the nearest folder
    /// that holds any, as before: one there is the one, two there are ambiguous.
    #[test]
    fn orphan_upstreams_deep_in_the_tree_are_kept_once_each() {
        let dir = "d/".repeat(80);
        let ups: String = (0..2_000)
            .map(|i| format!("upstream u{i} {{ server a:1; server b:1; }}\n"))
            .collect();
        let files = vec![
            file(0, &format!("{dir}x/ups.conf"), &ups),
            file(1, &format!("{dir}x/site.conf"), "server { location / { proxy_pass http://u7; } }"),
            file(2, &format!("{dir}y/ups.conf"), "upstream u7 { server c:1; }\nupstream u8 { server c:1; }"),
            file(3, &format!("{dir}y/site.conf"), "server { location / { proxy_pass http://u7; } location /b { proxy_pass http://u9; } }"),
            file(4, &format!("{dir}site.conf"), "server { location / { proxy_pass http://u7; } location /b { proxy_pass http://u9; } }"),
        ];
        let scan = Scan::new(&files);
        let kept: usize = scan.orphan_upstreams.values().map(Vec::len).sum();
        assert_eq!(kept, 2_002);
        let targets: Vec<Option<(usize, usize)>> = scan.passes.iter().map(|p| p.upstream).collect();
        assert_eq!(
            targets,
            [Some((0, 7)), Some((2, 0)), Some((0, 9)), None, Some((0, 9))]
        );
        for p in &scan.passes {
            for name in ["u7", "u8", "u9", "nope"] {
                assert_eq!(
                    scan.find_upstream(p.file, name, false),
                    reference_find_upstream(&scan, p.file, name, false),
                    "{name} from {}",
                    p.file
                );
            }
        }
    }
}
