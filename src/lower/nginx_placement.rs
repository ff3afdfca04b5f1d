//! Where the scan's nginx files are in the containers that run them: copied by a Dockerfile of
//! the scan (`COPY sites/ /etc/nginx/conf.d/`) or bound by a compose service
//! (`./sites:/etc/nginx/conf.d`). An `include` names a path in the container
//! (`include /etc/nginx/conf.d/*.conf;`), so within one container it reaches the files put
//! there, wherever they sit in the repository. Paths are compared lexically; nothing is read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::discover::absolute_by_name;
use crate::formats::nginx::include::{glob_match, under_conventional_prefix};
use crate::model::{Image, Model, Platform};
use crate::source::Files;

/// How many (container, file) placements are kept in all: a realistic repository has a few
/// per nginx image. Past it, the rest are not followed, with a note.
const MAX_PLACEMENTS: usize = 100_000;

/// How many files of the scan the COPY sources of all images are matched against in all (a
/// source is matched against the files under its folder): past it, the rest are not followed,
/// with a note.
const MAX_COPY_WORK: usize = 2_000_000;

/// Where the official image's `nginx.conf` takes server blocks from.
const STOCK_VHOSTS: &str = "/etc/nginx/conf.d";
/// Where the official image's entrypoint reads `*.template` files from (each is written, its
/// variables substituted, to the same relative path under [`STOCK_VHOSTS`]).
const STOCK_TEMPLATES: &str = "/etc/nginx/templates";

/// What the `http` level of the containers a server file runs in sets, past the file and the
/// files beside it there ([`Placements::top_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Top {
    /// The image's own `nginx.conf`, which sets no proxy directive: nginx's defaults.
    Default,
    /// Something the scan does not read is at the main `nginx.conf`'s place.
    Unknown,
}

/// What a container's base image is, for what its own `nginx.conf` sets and includes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
enum Base {
    /// An image whose `nginx.conf` is not known (a company's base image may set anything).
    #[default]
    Other,
    /// An official nginx image: its `nginx.conf` includes `/etc/nginx/conf.d/*.conf` inside
    /// `http` and sets no proxy directive.
    Official,
    /// An image whose packaged `nginx.conf` sets no proxy directive and includes its vhost
    /// folders (OpenResty's; Alpine's nginx package).
    Packaged,
    /// Debian's or Ubuntu's nginx package: as [`Base::Packaged`], and the package enables its
    /// default site with the link `/etc/nginx/sites-enabled/default` →
    /// `/etc/nginx/sites-available/default`, so a file put at `sites-available/default` runs.
    Debian,
    /// Bitnami's (`bitnami/nginx`): its `/opt/bitnami/nginx/conf/nginx.conf` includes
    /// `server_blocks/*.conf` (and, since 1.29, `context.d/http/*.conf`) inside `http` and
    /// sets no proxy directive (temp paths, gzip, `keepalive_timeout 65` for clients, TLS
    /// protocols, `client_max_body_size`, and a status server of its own).
    Bitnami,
}

impl Base {
    /// What the base image `image` is, with the distribution's nginx package `package` a RUN
    /// of the image installs: an official nginx or Bitnami's image stays that (its nginx runs
    /// its own `nginx.conf`); any other with the package has the package's `nginx.conf`
    /// (`python:3.12-slim` + `apt-get install nginx` is Debian's nginx as `debian:12` is).
    fn of(
        image: Option<&crate::model::Fact<String>>,
        package: Option<crate::model::NginxPackage>,
    ) -> Base {
        use crate::model::NginxPackage;
        match image.map(|b| b.value.as_str()) {
            Some(image) if is_official(image) => Base::Official,
            Some(image) if is_bitnami(image) => Base::Bitnami,
            _ if package == Some(NginxPackage::Debian) => Base::Debian,
            _ if package == Some(NginxPackage::Alpine) => Base::Packaged,
            Some(image) if is_debian(image) => Base::Debian,
            Some(image) if is_packaged(image) => Base::Packaged,
            Some(image) if is_bitnami(image) => Base::Bitnami,
            _ => Base::Other,
        }
    }
}

/// Bitnami's configuration prefix, and the folders its `nginx.conf` includes inside `http`.
const BITNAMI_PREFIX: &str = "/opt/bitnami/nginx/conf";
const BITNAMI_HTTP_FOLDERS: &[&str] = &["server_blocks", "context.d/http"];
/// The folder Bitnami's `nginx.conf` includes inside `http` since 1.29 only.
const BITNAMI_CONTEXT_HTTP: &str = "context.d/http";

/// One container: an image the scan builds, or a compose service.
#[derive(Debug, Default)]
pub struct Unit {
    /// What its base image is: whose own `nginx.conf` runs when no file of the scan is put in
    /// its place.
    base: Base,
    /// The nginx image it runs, when its base is one tagged with nginx's version.
    pub image: Option<crate::lower::nginx::DetectedImage>,
    /// Paths in the container, each with the nginx file of the scan there (an index into the
    /// scan's files); one file may be at several paths.
    pub paths: Vec<PathBuf>,
    pub files: Vec<usize>,
    /// A path → its index in `paths`.
    index: HashMap<PathBuf, usize>,
    /// The official image's entrypoint settings for its templates, from the environment the
    /// container runs with (`NGINX_ENVSUBST_TEMPLATE_DIR`, `_SUFFIX`, `_OUTPUT_DIR`).
    envsubst: Envsubst,
    /// Where it holds what the scan does not read (a named volume, a `configs:` entry, a file
    /// of the repository that is not nginx configuration by its name, a `COPY --from`), file
    /// or folder; `/` when such a place is not known.
    opaque: Vec<PathBuf>,
    /// The compose `env_file` not read that leaves the template settings unknown (as a note
    /// names it), when the rest of the environment would tell them.
    unread_env_file: Option<String>,
}

impl Unit {
    /// Puts `file` at `path`: what a later COPY or a mount puts at the same path replaces it.
    fn put(&mut self, path: PathBuf, file: usize) {
        self.opaque.retain(|o| *o != path);
        match self.index.get(&path) {
            Some(&at) => {
                if let Some(slot) = self.files.get_mut(at) {
                    *slot = file;
                }
            }
            None => {
                self.index.insert(path.clone(), self.paths.len());
                self.paths.push(path);
                self.files.push(file);
            }
        }
    }

    /// Puts what the scan does not read at `path`, unless its name says it sets nothing the
    /// rules read (a vendored `mime.types`, `fastcgi_params`, certificates, logs).
    fn put_opaque(&mut self, path: PathBuf) {
        let harmless = path.to_str().is_some_and(|p| {
            matches!(
                crate::lower::nginx::classify_unresolved(p),
                crate::lower::nginx::IncludeKind::Harmless
            )
        });
        if harmless {
            return;
        }
        if self.opaque.contains(&path) {
            return;
        }
        // Past the cap, `/` stands for the rest: unread content may be anywhere.
        if self.opaque.len() + 1 < MAX_OPAQUE {
            self.opaque.push(path);
        } else if self.opaque.len() < MAX_OPAQUE {
            self.opaque.push(PathBuf::from("/"));
        }
    }

    /// Whether a file of the scan is at a main `nginx.conf` place (`<prefix>/nginx.conf`).
    fn has_scan_main(&self) -> bool {
        crate::formats::nginx::CONVENTIONAL_PREFIXES
            .iter()
            .any(|prefix| {
                self.index
                    .contains_key(&Path::new(prefix).join("nginx.conf"))
            })
    }

    /// Whether what is at the main `nginx.conf` place may be something the scan does not read.
    fn main_unknown(&self) -> bool {
        self.opaque.iter().any(|o| {
            crate::formats::nginx::CONVENTIONAL_PREFIXES
                .iter()
                .any(|prefix| Path::new(prefix).join("nginx.conf").starts_with(o))
        })
    }

    /// Whether an include pattern (absolute, in the container) may name something the scan
    /// does not read: a place of such content, or a folder of it, matches the pattern's first
    /// components.
    pub fn opaque_matches(&self, pattern: &str) -> bool {
        self.opaque_match(pattern).is_some()
    }

    /// The place of unread content an include pattern may name ([`Unit::opaque_matches`]).
    pub fn opaque_match(&self, pattern: &str) -> Option<&Path> {
        let wanted: Vec<&std::ffi::OsStr> = Path::new(pattern)
            .components()
            .map(std::path::Component::as_os_str)
            .collect();
        self.opaque
            .iter()
            .find(|o| {
                let parts: Vec<&std::ffi::OsStr> = o
                    .components()
                    .map(std::path::Component::as_os_str)
                    .collect();
                parts.len() <= wanted.len()
                    && parts.iter().zip(&wanted).all(|(part, want)| {
                        glob_match(want.as_encoded_bytes(), part.as_encoded_bytes())
                    })
            })
            .map(PathBuf::as_path)
    }

    /// What its image's own `nginx.conf` sets at the `http` level: nothing of proxying, unless
    /// something unread is at its place or the image is not one whose nginx.conf is known (a
    /// company's base image may set anything there).
    pub fn top(&self) -> Top {
        if self.main_unknown() || self.base == Base::Other {
            Top::Unknown
        } else {
            Top::Default
        }
    }

    /// Whether a server file at `path` runs under the image's own `nginx.conf` there: the
    /// official image's includes `conf.d/*.conf`; Bitnami's `server_blocks/*.conf`; the other
    /// packages' (Debian's, Alpine's, OpenResty's) their vhost folders (`conf.d/*.conf`,
    /// `sites-enabled/*`, `http.d/*.conf`).
    fn runs_stock_vhost(&self, path: &Path) -> bool {
        match self.base {
            Base::Official => is_stock_vhost(path),
            Base::Bitnami => is_bitnami_http_file(path, self.bitnami_context_http() == Some(true)),
            Base::Debian => is_vhost_place(path) || is_default_site(path),
            Base::Packaged | Base::Other => is_vhost_place(path),
        }
    }

    /// Whether the image's own `nginx.conf` splices the file at `path` into the `http` block
    /// it runs the server files of the folders under `top` in (the files beside them there).
    fn in_http_family(&self, top: &Path, path: &Path) -> bool {
        if self.base == Base::Bitnami {
            // One `http` level, whichever of its folders the server file is in.
            return is_bitnami_http_file(path, self.bitnami_context_http() == Some(true));
        }
        let folder = path.parent();
        folder.and_then(Path::parent) == Some(top)
            && (folder.is_some_and(|f| {
                path.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| vhost_glob_holds(f, n))
            }) || (self.base == Base::Debian && is_default_site(path)))
    }

    /// Whether Bitnami's `nginx.conf` of the image's tag includes `context.d/http/*.conf`
    /// inside `http`: `Some(true)` for a tag of 1.29 or later, `Some(false)` for an older one,
    /// `None` when the tag does not say (`latest`, none, a digest, `bitnamilegacy/nginx`).
    fn bitnami_context_http(&self) -> Option<bool> {
        use crate::lower::nginx::ImageVersion;
        let (major, minor) = match self.image.as_ref()?.version {
            ImageVersion::Exact(v) => (v.major, v.minor),
            ImageVersion::Line { major, minor } => (major, minor),
            ImageVersion::Current => return None,
        };
        Some((major, minor) >= (1, 29))
    }

    /// Whether a file of the scan is in Bitnami's `context.d/http/` while the image's tag does
    /// not say whether its `nginx.conf` includes that folder: what the file sets may or may
    /// not be at the `http` level.
    fn bitnami_context_unknown(&self) -> bool {
        self.base == Base::Bitnami
            && self.bitnami_context_http().is_none()
            && self.paths.iter().any(|p| is_bitnami_context_file(p))
    }

    /// Whether a place of unread content holds (or is) a folder whose files the image's own
    /// `nginx.conf` splices into that `http` block (a named volume at `conf.d`).
    fn holds_http_folder(&self, top: &Path, place: &Path) -> bool {
        if self.base == Base::Bitnami {
            // `context.d/http` counts unless the tag is known older than 1.29 (an unknown tag
            // may include it).
            let context = self.bitnami_context_http() != Some(false);
            return BITNAMI_HTTP_FOLDERS
                .iter()
                .filter(|folder| context || **folder != BITNAMI_CONTEXT_HTTP)
                .any(|folder| Path::new(BITNAMI_PREFIX).join(folder).starts_with(place))
                || (context && is_bitnami_context_file(place));
        }
        place.parent() == Some(top)
            && matches!(
                place.file_name().and_then(|n| n.to_str()),
                Some("conf.d" | "http.d" | "sites-enabled")
            )
    }
}

/// How many notes the placements print about unread content in images.
const MAX_NOTES: usize = 32;

/// How many places of unread content one container keeps (past it, the rest count as `/`).
const MAX_OPAQUE: usize = 64;

/// A file a packaged `nginx.conf` includes from its vhost folder: `conf.d/*.conf`,
/// `http.d/*.conf`, `sites-enabled/*` right under a configuration prefix. Debian's and Ubuntu's
/// nginx.conf include `/etc/nginx/conf.d/*.conf` and `/etc/nginx/sites-enabled/*`, Alpine's
/// `/etc/nginx/http.d/*.conf`, OpenResty's image's `/etc/nginx/conf.d/*.conf`: fixed folders,
/// not a `conf.d` anywhere below (`/etc/nginx/d5/conf.d/x.conf` is included by nothing of
/// theirs). The folder above is then one of a few, so [`Placements::http_family`] is asked
/// of a container a few times at most.
fn is_vhost_place(path: &Path) -> bool {
    let (Some(folder), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str()))
    else {
        return false;
    };
    let in_prefix = folder.parent().is_some_and(|above| {
        crate::formats::nginx::CONVENTIONAL_PREFIXES
            .iter()
            .any(|prefix| above == Path::new(prefix))
    });
    in_prefix && vhost_glob_holds(folder, name)
}

/// Debian's and Ubuntu's default site, `sites-available/default` right under a configuration
/// prefix: the package's postinst links it from `sites-enabled/default`, so what is put there
/// runs as an enabled site (unless a `RUN` removes the link, which is not followed).
fn is_default_site(path: &Path) -> bool {
    let Some(folder) = path.parent() else {
        return false;
    };
    path.file_name().and_then(|n| n.to_str()) == Some("default")
        && folder.file_name().and_then(|n| n.to_str()) == Some("sites-available")
        && folder.parent().is_some_and(|above| {
            crate::formats::nginx::CONVENTIONAL_PREFIXES
                .iter()
                .any(|prefix| above == Path::new(prefix))
        })
}

/// Whether a packaged `nginx.conf`'s glob over `folder` includes a file named `name`:
/// `sites-enabled/*` any, `conf.d/*.conf` and `http.d/*.conf` the `.conf` ones.
pub fn vhost_glob_holds(folder: &Path, name: &str) -> bool {
    match folder.file_name().and_then(|n| n.to_str()) {
        Some("sites-enabled") => !name.starts_with('.'),
        Some("conf.d" | "http.d") => glob_match(b"*.conf", name.as_bytes()),
        _ => false,
    }
}

/// A file Bitnami's `nginx.conf` includes inside `http`:
/// `/opt/bitnami/nginx/conf/server_blocks/*.conf`, `/opt/bitnami/nginx/conf/context.d/http/*.conf`.
/// `context.d/http/*.conf` counts only when `with_context` (the image's tag is 1.29 or later).
fn is_bitnami_http_file(path: &Path, with_context: bool) -> bool {
    bitnami_http_folder(path).is_some_and(|f| with_context || f != BITNAMI_CONTEXT_HTTP)
}

/// A file at `/opt/bitnami/nginx/conf/context.d/http/*.conf` (included since 1.29 only).
fn is_bitnami_context_file(path: &Path) -> bool {
    bitnami_http_folder(path) == Some(BITNAMI_CONTEXT_HTTP)
}

/// Which of [`BITNAMI_HTTP_FOLDERS`] holds the `*.conf` file at `path`, if one does.
fn bitnami_http_folder(path: &Path) -> Option<&'static str> {
    let folder = path.parent()?;
    let name = path.file_name()?.to_str()?;
    if !glob_match(b"*.conf", name.as_bytes()) {
        return None;
    }
    BITNAMI_HTTP_FOLDERS
        .iter()
        .copied()
        .find(|f| folder == Path::new(BITNAMI_PREFIX).join(f))
}

/// The containers of the scan that hold nginx files, and where each file is in them.
#[derive(Debug, Default)]
pub struct Placements {
    pub units: Vec<Unit>,
    /// Per nginx file of the scan: `(unit, index into that unit's paths)`.
    pub of_file: Vec<Vec<(usize, usize)>>,
    pub notes: Vec<String>,
}

impl Placements {
    /// The containers that run `file` under their
    /// image's own `nginx.conf`, each with the place it has there: no file of the scan is at
    /// the main `nginx.conf` place, and the file is where that `nginx.conf` includes server
    /// files.
    pub fn stock_places(&self, file: usize) -> impl Iterator<Item = (usize, &Unit, &Path)> {
        self.of_file
            .get(file)
            .into_iter()
            .flatten()
            .filter_map(|&(u, at)| {
                let unit = self.units.get(u)?;
                let path = unit.paths.get(at)?;
                (!unit.has_scan_main() && unit.runs_stock_vhost(path)).then_some((
                    u,
                    unit,
                    path.as_path(),
                ))
            })
    }

    /// For a server file no file of the scan includes: what is past the `http` level it runs
    /// at, when the scan's Dockerfiles and compose services run it under their image's own
    /// `nginx.conf` (`None` when they put it in no such place).
    pub fn top_of(&self, file: usize) -> Option<Top> {
        if self.may_be_enabled(file) {
            return Some(Top::Unknown);
        }
        let mut any = false;
        for (_, unit, _) in self.stock_places(file) {
            if unit.top() == Top::Unknown {
                return Some(Top::Unknown);
            }
            any = true;
        }
        any.then_some(Top::Default)
    }

    /// Whether a container holds `file` in a `sites-available/` folder while something the
    /// scan does not read is in the `sites-enabled/` beside it (a `RUN ln -s
    /// /etc/nginx/sites-available/shop /etc/nginx/sites-enabled/`, Debian's way of enabling a
    /// site): it may run at that container's `http` level, which the scan does not follow.
    pub fn may_be_enabled(&self, file: usize) -> bool {
        self.of_file
            .get(file)
            .into_iter()
            .flatten()
            .any(|&(u, at)| {
                let (Some(unit), Some(path)) = (
                    self.units.get(u),
                    self.units.get(u).and_then(|u| u.paths.get(at)),
                ) else {
                    return false;
                };
                let Some(folder) = path.parent() else {
                    return false;
                };
                let (Some("sites-available"), Some(above)) =
                    (folder.file_name().and_then(|n| n.to_str()), folder.parent())
                else {
                    return false;
                };
                let enabled = above.join("sites-enabled");
                unit.opaque
                    .iter()
                    .any(|o| o.starts_with(&enabled) || enabled.starts_with(o))
            })
    }

    /// In container `unit`: the files its image's own `nginx.conf` includes from the vhost
    /// folders of `top` (`/etc/nginx`: `conf.d/*.conf`, `sites-enabled/*`, ...), which share
    /// one `http` level, and whether something the scan does not read may be among them.
    pub fn http_family(&self, unit: usize, top: &Path) -> (Vec<usize>, bool) {
        let Some(unit) = self.units.get(unit) else {
            return (Vec::new(), false);
        };
        let family = unit
            .paths
            .iter()
            .zip(&unit.files)
            .filter(|(p, _)| unit.in_http_family(top, p))
            .map(|(_, &f)| f)
            .collect();
        // A place of unread content the vhost globs take (a folder of them, or a file of a
        // name they match; not a certificate or a README beside them).
        let unknown = unit.opaque.iter().any(|o| {
            top.starts_with(o) || unit.in_http_family(top, o) || unit.holds_http_folder(top, o)
        }) || unit.bitnami_context_unknown();
        (family, unknown)
    }

    /// Whether two files are in one container (so an include of one reaches the other there
    /// if at all).
    pub fn share_a_container(&self, a: usize, b: usize) -> bool {
        let units = |f: usize| self.of_file.get(f).into_iter().flatten().map(|&(u, _)| u);
        units(a).any(|u| units(b).any(|v| u == v))
    }

    /// Whether the scan puts `file` in some container.
    pub fn is_placed(&self, file: usize) -> bool {
        self.of_file.get(file).is_some_and(|p| !p.is_empty())
    }
}

/// `/etc/nginx/conf.d/<name>.conf`: a file the official `nginx.conf` includes.
fn is_stock_vhost(path: &Path) -> bool {
    path.parent() == Some(Path::new(STOCK_VHOSTS))
        && path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| glob_match(b"*.conf", n.as_bytes()))
}

/// Whether an image reference names an image whose own `nginx.conf` (from its nginx package)
/// sets no proxy directive and includes its vhost folders: OpenResty's, or a distribution's
/// base image nginx is installed on.
/// Whether an image reference names Debian or Ubuntu, whose nginx package enables its default
/// site by a link from `sites-enabled/`.
fn is_debian(image: &str) -> bool {
    // Canonical's `ubuntu/nginx` runs Ubuntu's nginx package.
    hub_name(image)
        .is_some_and(|name| matches!(name.as_str(), "debian" | "ubuntu" | "ubuntu/nginx"))
}

fn is_packaged(image: &str) -> bool {
    hub_name(image).is_some_and(|name| {
        matches!(
            name.as_str(),
            "openresty/openresty" | "debian" | "ubuntu" | "ubuntu/nginx" | "alpine"
        )
    })
}

/// Whether an image reference names Bitnami's nginx image (any tag or digest).
fn is_bitnami(image: &str) -> bool {
    hub_name(image)
        .is_some_and(|name| matches!(name.as_str(), "bitnami/nginx" | "bitnamilegacy/nginx"))
}

/// The Docker Hub name of an image reference (a Docker Hub host and `library/` dropped:
/// `debian`, `bitnami/nginx`; see [`crate::lower::nginx::hub_name`]), `None` when a variable is
/// in the name. A variable in the tag (`bitnami/nginx:${NGINX_TAG:-1.29}`) leaves the image
/// known and only its version unknown.
fn hub_name(image: &str) -> Option<String> {
    let (name, _) = crate::lower::nginx::image_name_and_tag(image);
    if name.contains('$') {
        return None;
    }
    Some(crate::lower::nginx::hub_name(&name).to_string())
}

/// Whether an image reference names an official nginx image (any tag or digest, also one a
/// build argument fills in: `nginx:${NGINX_VERSION}` is the official image, of a version not
/// known).
fn is_official(image: &str) -> bool {
    crate::lower::nginx::is_official_nginx(image)
}

/// The nginx files of the scan by path, for finding what a COPY source or a mount names.
struct Tree {
    /// Every file's absolute (lexical) path.
    paths: Vec<PathBuf>,
    /// The files in the order of their paths (component by component, so the files under a
    /// folder are one run, right after the folder's own path).
    sorted: Vec<usize>,
}

impl Tree {
    fn new(paths: Vec<PathBuf>) -> Tree {
        let mut sorted: Vec<usize> = (0..paths.len()).collect();
        sorted.sort_by(|&a, &b| paths[a].cmp(&paths[b]).then(a.cmp(&b)));
        Tree { paths, sorted }
    }

    /// The files at `host` or under it, each with its path below `host` (empty for itself).
    fn at_or_under<'t>(&'t self, host: &'t Path) -> impl Iterator<Item = (usize, &'t Path)> + 't {
        let first = self
            .sorted
            .partition_point(|&i| self.paths.get(i).is_some_and(|p| p.as_path() < host));
        self.sorted
            .get(first..)
            .unwrap_or(&[])
            .iter()
            .map_while(move |&i| {
                let rest = self.paths.get(i)?.strip_prefix(host).ok()?;
                Some((i, rest))
            })
    }
}

/// What makes a compose service's container, for includes: whether it runs an official
/// image, the image of the scan it runs (its unit), and its mounts (host path, container path).
type ComposeContainer = (
    Base,
    Option<usize>,
    Option<(String, Option<crate::diagnostic::Location>)>,
    Vec<(Option<PathBuf>, PathBuf)>,
    Envsubst,
);

/// What makes two containers the same: whether official, the image and
/// where it is written, and the files at their places.
type UnitKey<'u> = (
    Base,
    Option<(&'u str, Option<crate::diagnostic::Location>)>,
    &'u [PathBuf],
    &'u [usize],
    &'u [PathBuf],
);

/// Where the scan's Dockerfiles and compose services put its nginx files.
pub fn placements(model: &Model, files: &Files) -> Placements {
    let mut out = Placements {
        of_file: vec![Vec::new(); model.nginx.len()],
        ..Placements::default()
    };
    let wanted = !model.nginx.is_empty()
        && (model.images.iter().any(copies_nginx)
            || model.workloads.iter().any(|w| !nginx_mounts(w).is_empty()));
    if !wanted {
        return out;
    }
    let tree = Tree::new(
        model
            .nginx
            .iter()
            .map(|f| absolute_by_name(Path::new(&f.path)))
            .collect(),
    );
    let mut budget = MAX_PLACEMENTS;
    let mut work = MAX_COPY_WORK;
    // What each image puts, kept for the compose services that run it.
    let mut image_units: HashMap<usize, usize> = HashMap::new();
    // The compose containers made so far, by what makes them: services that run the same
    // image with the same mounts are one container for includes.
    let mut made: std::collections::HashSet<ComposeContainer> = std::collections::HashSet::new();
    for (i, image) in model.images.iter().enumerate() {
        // An image that only writes there (`RUN printf … > /etc/nginx/conf.d/proxy.conf`)
        // is kept too: a compose service that builds it and mounts files beside inherits it.
        if !copies_nginx(image) && !writes_nginx(image) {
            continue;
        }
        let base = model.base_of(image);
        let mut unit = Unit {
            base: Base::of(base, image.nginx_package),
            image: base.and_then(|b| detected(b, model.base_variants(image))),
            envsubst: Envsubst::of(&[EnvSource::Vars(workload_env(model, image.workload))]),
            ..Unit::default()
        };
        copy_into(&mut unit, image, &tree, &mut budget, &mut work);
        // What COPYs from another stage or image put under nginx's folders is not read.
        // (A RUN that may write under them too: see `nginx_run_writes`.)
        let mut unread: Vec<String> = Vec::new();
        for place in &image.other_copies {
            match place {
                Some(place) if under_conventional_prefix(place.trim_end_matches('/')) => {
                    unit.put_opaque(PathBuf::from(place.trim_end_matches('/')));
                    unread.push(place.trim_end_matches('/').to_string());
                }
                Some(_) => {}
                None => {
                    unit.put_opaque(PathBuf::from("/"));
                    unread.push("an unknown place".to_string());
                }
            }
        }
        if !unit.paths.is_empty() && !unread.is_empty() && out.notes.len() < MAX_NOTES {
            let places: Vec<String> = unread.iter().take(3).cloned().collect();
            out.notes.push(format!(
                "{}: a `RUN` or a `COPY --from` puts what the scan does not read at {}{} in the \
                 image; the nginx files it COPYs are judged with that taken as unknown (rules \
                 that need it stay silent)",
                files.path(image.dockerfile),
                places.join(", "),
                if unread.len() > 3 { " and more" } else { "" }
            ));
        }
        if !unit.paths.is_empty() || !unit.opaque.is_empty() {
            image_units.insert(i, out.units.len());
            out.units.push(unit);
        }
    }
    for workload in &model.workloads {
        let mounts = nginx_mounts(workload);
        if workload.platform != Platform::Compose || mounts.is_empty() {
            continue;
        }
        // A service that builds runs its Dockerfile's image (`image:` then names the tag).
        let built = workload.image.and_then(|i| model.images.get(i));
        let base = match built {
            Some(image) => model.base_of(image),
            None => workload.base_image.as_deref(),
        };
        let built_env = workload
            .image
            .and_then(|i| model.images.get(i))
            .map_or(&[][..], |image| workload_env(model, image.workload));
        let mut unit = Unit {
            base: Base::of(base, built.and_then(|image| image.nginx_package)),
            image: base
                .and_then(|b| detected(b, built.map_or(&[][..], |i| model.base_variants(i)))),
            envsubst: Envsubst::of_service(workload, built_env),
            ..Unit::default()
        };
        let own_env = workload
            .processes
            .first()
            .map_or(&[][..], |p| p.env.as_slice());
        let without_env_files = Envsubst::of(&[
            EnvSource::Vars(own_env),
            EnvSource::Vars(&[]),
            EnvSource::Vars(built_env),
        ]);
        unit.unread_env_file = workload
            .compose
            .as_deref()
            .filter(|_| without_env_files != unit.envsubst)
            .and_then(|c| {
                let entry = c.env_files.as_deref()?.get(c.env_file_unread?)?;
                Some(format!(
                    "the `env_file` {} of compose service `{}` ({})",
                    entry
                        .path
                        .as_deref()
                        .map_or("with a variable in its path".to_string(), |p| format!(
                            "`{p}`"
                        )),
                    workload.name.trim_start_matches("service "),
                    files.path(entry.location.file),
                ))
            });
        let folder = Path::new(files.path(workload.location.file))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        // (host path, or none when what is mounted is not known; path in the container)
        let targets: Vec<(Option<PathBuf>, PathBuf)> = mounts
            .iter()
            .map(|(host, target)| {
                let host = if host.is_empty() {
                    None
                } else if host.starts_with('/') {
                    Some(absolute_by_name(Path::new(host)))
                } else {
                    Some(absolute_by_name(&folder.join(host)))
                };
                (host, PathBuf::from(target))
            })
            .collect();
        let from = workload.image.and_then(|i| image_units.get(&i)).copied();
        let image = unit.image.as_ref().map(|i| (i.image.clone(), i.location));
        if !made.insert((
            unit.base,
            from,
            image,
            targets.clone(),
            unit.envsubst.clone(),
        )) {
            continue;
        }
        // The image's files, but for those a bind mount covers (it hides what is there).
        // The image stays a container of its own: the service builds it, and what is built
        // (pushed, deployed without the development mounts) runs its COPYs' files; when the
        // two disagree on a file's `http` level, a note says so instead of a finding.
        if let Some(from) = from {
            if let Some(image) = out.units.get(from) {
                let kept: Vec<(PathBuf, usize)> = image
                    .paths
                    .iter()
                    .zip(&image.files)
                    .filter(|(path, _)| !targets.iter().any(|(_, t)| path.starts_with(t)))
                    .map(|(path, &file)| (path.clone(), file))
                    .collect();
                let opaque: Vec<PathBuf> = image
                    .opaque
                    .iter()
                    .filter(|path| !targets.iter().any(|(_, t)| path.starts_with(t)))
                    .cloned()
                    .collect();
                for (path, file) in kept {
                    unit.put(path, file);
                }
                for path in opaque {
                    unit.put_opaque(path);
                }
            }
        }
        // Mounts of what the scan does not read: past `MAX_UNREAD_MOUNTS`, one at `/` stands
        // for the rest (the files the scan reads are all put, wherever they come).
        let mut unread = 0usize;
        let mut put_unread = |unit: &mut Unit, target: &Path| {
            unread += 1;
            match unread.cmp(&MAX_UNREAD_MOUNTS) {
                std::cmp::Ordering::Less => unit.put_opaque(target.to_path_buf()),
                std::cmp::Ordering::Equal => unit.put_opaque(PathBuf::from("/")),
                std::cmp::Ordering::Greater => {}
            }
        };
        for (host, target) in &targets {
            let Some(host) = host else {
                put_unread(&mut unit, target);
                continue;
            };
            let mut found = false;
            for (file, rest) in tree.at_or_under(host) {
                found = true;
                let Some(left) = budget.checked_sub(1) else {
                    break;
                };
                budget = left;
                unit.put(target.join(rest), file);
            }
            // A file or folder of no nginx file the scan reads (`proxy_params`, a folder
            // outside the scan).
            if !found {
                put_unread(&mut unit, target);
            }
        }
        if !unit.paths.is_empty() || !unit.opaque.is_empty() {
            out.units.push(unit);
        }
    }
    if work == 0 {
        out.notes.push(format!(
            "nginx files COPYed into images: the COPY sources were matched against more than \
             {MAX_COPY_WORK} files in all; the rest are not followed (an `include` does not \
             reach the files there)"
        ));
    }
    if budget == 0 {
        out.notes.push(format!(
            "nginx files put into containers by COPYs and mounts: more than {MAX_PLACEMENTS} \
             places; those past it are not followed (an `include` does not reach the files \
             there)"
        ));
    }
    for unit in &mut out.units {
        if add_templates(unit) && out.notes.len() < MAX_NOTES {
            if let Some(env_file) = &unit.unread_env_file {
                out.notes.push(format!(
                    "nginx templates: {env_file} is not read (a required file missing from \
                     the repository, outside the scan, a variable in its path, or past the \
                     1,024 env_files read in one run) and may set \
                     NGINX_ENVSUBST_TEMPLATE_DIR, _SUFFIX or _OUTPUT_DIR, so the `http` level \
                     the service's templates render into is not known and they are not judged"
                ));
            }
        }
    }
    // Containers that hold the same files at the same places (a hundred compose services
    // that mount one folder) are one for includes: kept once.
    let mut seen: std::collections::HashSet<UnitKey<'_>> = std::collections::HashSet::new();
    let keep: Vec<bool> = out
        .units
        .iter()
        .map(|u| {
            let image = u.image.as_ref().map(|i| (i.image.as_str(), i.location));
            seen.insert((u.base, image, &u.paths, &u.files, &u.opaque))
        })
        .collect();
    drop(seen);
    let mut keep = keep.into_iter();
    out.units.retain(|_| keep.next().unwrap_or(true));
    for (u, unit) in out.units.iter().enumerate() {
        for (at, &file) in unit.files.iter().enumerate() {
            if let Some(list) = out.of_file.get_mut(file) {
                list.push((u, at));
            }
        }
    }
    let mut enabled_notes = 0usize;
    for (f, file) in model.nginx.iter().enumerate() {
        if enabled_notes < MAX_NOTES && out.may_be_enabled(f) {
            enabled_notes += 1;
            out.notes.push(format!(
                "{}: a container holds it in `sites-available/` and something the scan does not \
                 read (a `RUN ln -s`, `cp` or `mv`) in the `sites-enabled/` beside it, so it \
                 may run at that container's `http` level; what that level sets is taken as \
                 unknown",
                file.path
            ));
        }
    }
    out
}

/// The nginx image (and its version) a container runs, from the image reference it starts from
/// (and the bases its builds make when they differ: see [`crate::lower::nginx::detect_image`]).
fn detected(
    base: &crate::model::Fact<String>,
    variants: &[String],
) -> Option<crate::lower::nginx::DetectedImage> {
    crate::lower::nginx::detect_image(base, variants)
}

/// The mounts of nginx configuration of a compose service (see [`ConfigMounts::nginx`]).
///
/// [`ConfigMounts::nginx`]: crate::model::ConfigMounts::nginx
fn nginx_mounts(workload: &crate::model::Workload) -> &[(String, String)] {
    workload
        .processes
        .first()
        .and_then(|p| p.mounts.as_deref())
        .map_or(&[], |m| m.nginx.as_slice())
}

/// Whether a COPY from elsewhere (another stage, an image) or a `RUN` of the image may put
/// something where nginx reads its configuration.
fn writes_nginx(image: &Image) -> bool {
    image.other_copies.iter().any(|place| {
        place
            .as_deref()
            .is_some_and(|p| under_conventional_prefix(p.trim_end_matches('/')))
    })
}

/// Whether an image COPYs something from its context to where nginx reads its configuration.
fn copies_nginx(image: &Image) -> bool {
    image.context_dir.is_some()
        && image.copies.iter().any(|copy| {
            copy.destination
                .as_ref()
                .is_some_and(|d| under_conventional_prefix(d.path().trim_end_matches('/')))
        })
}

/// Puts what the image's COPYs bring from its context into `unit`, in their order (a later
/// COPY to the same path wins). A source with wildcards in its last component only is matched
/// against the files of its folder; other wildcards are not followed.
fn copy_into(unit: &mut Unit, image: &Image, tree: &Tree, budget: &mut usize, work: &mut usize) {
    let Some(context) = image.context_dir.as_deref() else {
        return;
    };
    let context = build_context(image, &absolute_by_name(context), tree);
    for copy in &image.copies {
        let Some(destination) = &copy.destination else {
            continue;
        };
        if copy.unknown_contents {
            continue;
        }
        let written = destination.path();
        let into = PathBuf::from(written.trim_end_matches('/'));
        if !under_conventional_prefix(&into.to_string_lossy()) {
            continue;
        }
        let excluded = |name: &Path| {
            let name = name.to_string_lossy();
            copy.excludes
                .iter()
                .any(|pattern| glob_match(pattern.as_bytes(), name.as_bytes()))
        };
        for written_source in &copy.sources {
            let source = written_source.trim_end_matches('/');
            let (folder, last) = match source.rsplit_once('/') {
                Some((folder, last)) => (folder, last),
                None => ("", source),
            };
            if crate::link::contains_wildcards(folder) {
                continue;
            }
            let mut put = |path: PathBuf, file: usize, unit: &mut Unit| {
                if let Some(left) = budget.checked_sub(1) {
                    *budget = left;
                    unit.put(path, file);
                }
            };
            if crate::link::contains_wildcards(last) {
                // `COPY conf/*.conf /etc/nginx/conf.d/`: the matching files of the folder.
                let folder = absolute_by_name(&context.join(folder));
                for (file, rest) in tree.at_or_under(&folder) {
                    let Some(left) = work.checked_sub(1) else {
                        return;
                    };
                    *work = left;
                    let mut parts = rest.components();
                    let (Some(name), None) = (parts.next(), parts.next()) else {
                        continue;
                    };
                    let name = Path::new(name.as_os_str());
                    if glob_match(last.as_bytes(), name.as_os_str().as_encoded_bytes())
                        && !excluded(name)
                    {
                        put(into.join(name), file, unit);
                    }
                }
                continue;
            }
            let host = absolute_by_name(&context.join(source));
            let mut found = false;
            for (file, rest) in tree.at_or_under(&host) {
                let Some(left) = work.checked_sub(1) else {
                    return;
                };
                *work = left;
                found = true;
                let name = tree.paths.get(file).and_then(|p| p.file_name());
                if name.is_some_and(|n| excluded(Path::new(n))) {
                    continue;
                }
                if !rest.as_os_str().is_empty() {
                    // A folder's contents go into the destination.
                    put(into.join(rest), file, unit);
                    continue;
                }
                let Some(name) = name else {
                    continue;
                };
                if destination.is_directory() {
                    put(into.join(name), file, unit);
                } else {
                    // A file at the destination, or into it when the image has that folder
                    // (`COPY default.conf /etc/nginx/conf.d`): either place.
                    put(into.clone(), file, unit);
                    put(into.join(name), file, unit);
                }
            }
            // No nginx file the scan reads comes from there (`proxy_params`, a folder of
            // certificates): what lands there is not known. A folder (written with `/`, or
            // `.`) lands in the destination, a file in it when it is a folder.
            if !found {
                let folder = written_source.ends_with('/') || source.is_empty() || source == ".";
                match Path::new(source).file_name() {
                    Some(name) if !folder && destination.is_directory() => {
                        unit.put_opaque(into.join(name));
                    }
                    _ => unit.put_opaque(into.clone()),
                }
            }
        }
    }
}

/// The folder an image's COPY sources are read from: its build context, or, when none of its
/// sources into nginx's folders is there but every one of them is under a folder above it, that
/// folder (`docker build -f docker/nginx/Dockerfile .` in CI, whose context no file of the scan
/// names).
fn build_context(image: &Image, context: &Path, tree: &Tree) -> PathBuf {
    let sources: Vec<&str> = image
        .copies
        .iter()
        .filter(|copy| {
            copy.destination
                .as_ref()
                .is_some_and(|d| under_conventional_prefix(d.path().trim_end_matches('/')))
        })
        .flat_map(|copy| copy.sources.iter())
        .map(|s| s.trim_end_matches('/'))
        .filter(|s| !s.is_empty() && *s != "." && !crate::link::contains_wildcards(s))
        .take(64)
        .collect();
    let all_there = |folder: &Path| {
        !sources.is_empty()
            && sources.iter().all(|source| {
                let host = absolute_by_name(&folder.join(source));
                let found = tree.at_or_under(&host).next().is_some();
                found
            })
    };
    let none_there = sources.iter().all(|source| {
        let host = absolute_by_name(&context.join(source));
        let missing = tree.at_or_under(&host).next().is_none();
        missing
    });
    if none_there {
        if let Some(above) = context.ancestors().skip(1).take(8).find(|f| all_there(f)) {
            return above.to_path_buf();
        }
    }
    context.to_path_buf()
}

/// How many mounts of a compose service's container that put what the scan does not read are
/// kept each at its place (as `lower::compose` keeps mounts of unknown content).
const MAX_UNREAD_MOUNTS: usize = 4096;

/// A variable of a container's environment: not set, set to a value that is not known (an
/// expansion), or set to a value.
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
enum Setting {
    #[default]
    Unset,
    Unknown,
    Value(String),
}

/// The official image's `20-envsubst-on-templates.sh` settings: it renders each
/// `${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}/**/*${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}`
/// to the same relative path under `${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}` without
/// the suffix (Docker Hub nginx, "Using environment variables in nginx configuration").
#[derive(Debug, Default, Clone, PartialEq, Eq, Hash)]
struct Envsubst {
    template_dir: Setting,
    suffix: Setting,
    output_dir: Setting,
}

impl Envsubst {
    /// From the environments a container runs with, the first winning over the later ones (a
    /// compose service's `environment`, then its `env_file`s, then its image's `ENV`); in
    /// each, the last of a name. A source that is not read ([`EnvSource::Unknown`]) may set
    /// any of them. The entrypoint reads each as `${NAME:-default}`: set empty, the default
    /// applies (as when unset).
    fn of(envs: &[EnvSource<'_>]) -> Envsubst {
        let get = |name: &str| {
            for env in envs {
                let vars = match env {
                    EnvSource::Vars(vars) => vars,
                    EnvSource::Unknown => return Setting::Unknown,
                };
                if let Some(var) = vars.iter().rev().find(|v| v.name == name) {
                    return match var.value.as_deref() {
                        Some("") => Setting::Unset,
                        Some(value) if !value.contains('$') => Setting::Value(value.to_string()),
                        _ => Setting::Unknown,
                    };
                }
            }
            Setting::Unset
        };
        Envsubst {
            template_dir: get("NGINX_ENVSUBST_TEMPLATE_DIR"),
            suffix: get("NGINX_ENVSUBST_TEMPLATE_SUFFIX"),
            output_dir: get("NGINX_ENVSUBST_OUTPUT_DIR"),
        }
    }

    /// A compose service's: its `environment`, its `env_file`s (when every one was read), the
    /// image it builds's `ENV`, or the `ENV` of none.
    fn of_service(
        workload: &crate::model::Workload,
        built_env: &[crate::model::EnvVar],
    ) -> Envsubst {
        let own_env = workload
            .processes
            .first()
            .map_or(&[][..], |p| p.env.as_slice());
        let env_files = match workload.compose.as_deref() {
            Some(compose) => match (&compose.env_files, &compose.env_file_vars) {
                (Some(files), _) if files.is_empty() => EnvSource::Vars(&[]),
                (Some(_), Some(vars)) => EnvSource::Vars(vars),
                _ => EnvSource::Unknown,
            },
            None => EnvSource::Vars(&[]),
        };
        Envsubst::of(&[
            EnvSource::Vars(own_env),
            env_files,
            EnvSource::Vars(built_env),
        ])
    }
}

/// One of the environments a container runs with (see [`Envsubst::of`]).
enum EnvSource<'e> {
    Vars(&'e [crate::model::EnvVar]),
    /// Not read: any variable may be set there.
    Unknown,
}

/// The environment of the processes of a workload (its first process's: the container's).
fn workload_env(model: &Model, workload: usize) -> &[crate::model::EnvVar] {
    model
        .workloads
        .get(workload)
        .and_then(|w| w.processes.first())
        .map_or(&[], |p| p.env.as_slice())
}

/// The official image's entrypoint writes each template of its template folder, its
/// variables substituted, to the same relative path under its output folder without the
/// suffix (by default `/etc/nginx/templates/**/*.template` to `/etc/nginx/conf.d`): the file
/// is at that path too. When the environment sets the folders to values that are not known,
/// the files named with the suffix are put in the output folder (or `conf.d`), which is taken
/// as holding what the scan does not read: the `http` level they render into is unknown.
/// Whether templates were put where what renders them is not known.
fn add_templates(unit: &mut Unit) -> bool {
    if unit.base != Base::Official {
        return false;
    }
    // An unknown suffix (an `env_file` the scan does not read may set it): a file named with
    // the image's default one may be a template or not; taken as one rendered where what is
    // there is not known, so the `http` level it renders into is unknown, as for an unknown
    // folder (judged where the repository's layout puts it, it would take nginx's defaults).
    let (suffix, suffix_known) = match &unit.envsubst.suffix {
        Setting::Unset => (".template".to_string(), true),
        Setting::Value(v) if !v.is_empty() => (v.clone(), true),
        _ => (".template".to_string(), false),
    };
    let dir = match &unit.envsubst.template_dir {
        Setting::Unset => Some(PathBuf::from(STOCK_TEMPLATES)),
        Setting::Value(v) if v.starts_with('/') => Some(PathBuf::from(v.trim_end_matches('/'))),
        _ => None,
    };
    let output = match &unit.envsubst.output_dir {
        Setting::Unset => Some(PathBuf::from(STOCK_VHOSTS)),
        Setting::Value(v) if v.starts_with('/') => Some(PathBuf::from(v.trim_end_matches('/'))),
        _ => None,
    };
    let known = suffix_known && dir.is_some() && output.is_some();
    let output = output.unwrap_or_else(|| PathBuf::from(STOCK_VHOSTS));
    let rendered: Vec<(PathBuf, usize)> = unit
        .paths
        .iter()
        .zip(&unit.files)
        .filter_map(|(path, &file)| {
            let rest = match &dir {
                Some(dir) => path.strip_prefix(dir).ok()?,
                // The folder is not known: any file named with the suffix may be one.
                None => Path::new(path.file_name()?),
            };
            let name = rest.to_str()?.strip_suffix(suffix.as_str())?;
            (!name.is_empty() && !name.ends_with('/')).then(|| (output.join(name), file))
        })
        .collect();
    let unknown = !known && !rendered.is_empty();
    if unknown {
        unit.put_opaque(output.clone());
    }
    for (path, file) in rendered {
        unit.put(path, file);
    }
    unknown
}

#[cfg(test)]
mod tests {
    /// Past [`super::MAX_OPAQUE`] places of unread content, `/` stands for the rest (a 65th
    /// place, the proxy settings mounted from a file not named like nginx configuration, was
    /// dropped).
    #[test]
    fn unread_places_past_the_cap_end_in_the_root() {
        use std::path::PathBuf;
        let mut unit = super::Unit::default();
        for i in 0..70 {
            unit.put_opaque(PathBuf::from(format!("/etc/nginx/x/{i}.txt")));
        }
        assert_eq!(unit.opaque.len(), super::MAX_OPAQUE);
        assert_eq!(unit.opaque.last(), Some(&PathBuf::from("/")));
        assert!(unit.main_unknown());
        assert!(unit.opaque_matches("/etc/nginx/conf.d/*.conf"));
    }

    /// An `http` block that retries on 502/503, and one that leaves nginx's default.
    const RETRIES: &str = "events {}\nhttp {\n    proxy_next_upstream error timeout http_502 http_503;\n    include /etc/nginx/conf.d/*.conf;\n}\n";
    const DEFAULTS: &str =
        "events {}\nhttp {\n    sendfile on;\n    include /etc/nginx/conf.d/*.conf;\n}\n";
    /// Server blocks that pass to an upstream of two servers and set no retry themselves.
    const VHOST: &str = "upstream shop {\n    server shop-1:8000;\n    server shop-2:8000;\n}\nserver {\n    listen 80;\n    location / {\n        proxy_pass http://shop;\n    }\n}\n";

    /// The files (relative to the root) that get SL203 when `tree` is linted.
    fn sl203(tree: &[(&str, &str)]) -> Vec<String> {
        lint(tree).0
    }

    /// [`sl203`] and the notes of the run.
    fn lint(tree: &[(&str, &str)]) -> (Vec<String>, Vec<String>) {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in tree {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        let settings = crate::Settings::new(
            crate::config::Config::default(),
            crate::config::Selection::only(&["SL203"]),
        );
        let report = crate::lint_paths(&[dir.path().to_path_buf()], &settings).expect("lint");
        let root = format!("{}/", dir.path().to_string_lossy());
        let mut found: Vec<String> = report
            .diagnostics
            .iter()
            .map(|d| {
                let path = report.files.path(d.location.file);
                path.strip_prefix(root.as_str()).unwrap_or(path).to_string()
            })
            .collect();
        found.dedup();
        let notes = report
            .notes
            .iter()
            .map(|n| n.replace(root.as_str(), ""))
            .collect();
        (found, notes)
    }

    #[test]
    fn a_server_file_nothing_includes_gets_a_note_naming_where_it_may_run() {
        // No Dockerfile or compose file says where it runs: beside an nginx.conf whose http
        // block retries (it may be copied under it) or under an image's own nginx.conf.
        let tree = [("nginx/nginx.conf", RETRIES), ("nginx/default.conf", VHOST)];
        let (found, notes) = lint(&tree);
        assert!(found.is_empty());
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].starts_with(
                "nginx/default.conf: the `http` block of nginx/nginx.conf (which may include it; no file of the scan does) and an image's own nginx.conf set proxy_next_upstream differently"
            ),
            "{notes:?}"
        );
        assert!(notes[0].ends_with("or let a Dockerfile `COPY` or a compose mount of the repository show where the file runs"));
        // Dozens of such configurations: unknown, one note for the folder.
        let mains: Vec<(String, &str)> = (0..40)
            .map(|i| (format!("nginx/main{i}.nginx.conf"), RETRIES))
            .collect();
        let mut many: Vec<(&str, &str)> = mains.iter().map(|(p, t)| (p.as_str(), *t)).collect();
        many.push(("nginx/default.conf", VHOST));
        many.push(("nginx/shop.conf", VHOST));
        let (found, notes) = lint(&many);
        assert!(found.is_empty());
        assert_eq!(
            notes,
            ["nginx: more than 32 vhost-folder `include`s of top-level files in this folder or the one above may run the server-block files here; what their `http` blocks set for them is taken as unknown"]
        );
    }

    #[test]
    fn copies_reach_the_include_of_their_container() {
        // A glob source from a sibling folder, into the folder the http block includes.
        let glob = [
            ("deploy/nginx/nginx.conf", RETRIES),
            ("deploy/vhosts/shop.conf", VHOST),
            (
                "Dockerfile",
                "FROM nginx:1.27\nCOPY deploy/nginx/nginx.conf /etc/nginx/nginx.conf\nCOPY deploy/vhosts/*.conf /etc/nginx/conf.d/\n",
            ),
        ];
        assert!(sl203(&glob).is_empty());
        // A file to a folder the image has, written without a trailing `/`.
        let into_folder = [
            ("nginx/main.conf", RETRIES),
            ("site/default.conf", VHOST),
            (
                "Dockerfile",
                "FROM nginx:1.27\nCOPY nginx/main.conf /etc/nginx/nginx.conf\nCOPY site/default.conf /etc/nginx/conf.d\n",
            ),
        ];
        assert!(sl203(&into_folder).is_empty());
        // A folder's contents.
        let folder = [
            ("proxy/nginx.conf", RETRIES),
            ("proxy/sites/shop.conf", VHOST),
            (
                "proxy/Dockerfile",
                "FROM nginx:1.27\nCOPY . /etc/nginx/\nCOPY sites /etc/nginx/conf.d\n",
            ),
        ];
        assert!(sl203(&folder).is_empty());
    }

    #[test]
    fn a_dockerfile_built_from_a_folder_above_reads_its_sources_there() {
        // `docker build -f docker/nginx/Dockerfile .`: no source is in the Dockerfile's folder,
        // every one is under the repository's root.
        let tree = |main: &'static str| {
            [
                ("deploy/nginx/nginx.conf", main),
                ("deploy/vhosts/shop.conf", VHOST),
                (
                    "docker/nginx/Dockerfile",
                    "FROM nginx:1.27\nCOPY deploy/nginx/nginx.conf /etc/nginx/nginx.conf\nCOPY deploy/vhosts/ /etc/nginx/conf.d/\n",
                ),
            ]
        };
        assert!(sl203(&tree(RETRIES)).is_empty());
        assert_eq!(sl203(&tree(DEFAULTS)), ["deploy/vhosts/shop.conf"]);
    }

    #[test]
    fn a_later_copy_to_the_same_path_wins() {
        let tree = [
            ("nginx/nginx.conf", RETRIES),
            ("nginx/nginx.plain.conf", DEFAULTS),
            ("sites/shop.conf", VHOST),
            (
                "Dockerfile",
                "FROM nginx:1.27\nCOPY nginx/nginx.conf /etc/nginx/nginx.conf\nCOPY nginx/nginx.plain.conf /etc/nginx/nginx.conf\nCOPY sites/ /etc/nginx/conf.d/\n",
            ),
        ];
        assert_eq!(sl203(&tree), ["sites/shop.conf"]);
    }

    #[test]
    fn containers_do_not_mix() {
        // Two proxies of a monorepo: each image's vhosts under its own nginx.conf only.
        let tree = [
            ("a/nginx.conf", RETRIES),
            ("a/vhosts/a.conf", VHOST),
            (
                "a/Dockerfile",
                "FROM nginx:1.27\nCOPY nginx.conf /etc/nginx/nginx.conf\nCOPY vhosts/ /etc/nginx/conf.d/\n",
            ),
            ("b/nginx.conf", DEFAULTS),
            ("b/vhosts/b.conf", VHOST),
            (
                "b/Dockerfile",
                "FROM nginx:1.27\nCOPY nginx.conf /etc/nginx/nginx.conf\nCOPY vhosts/ /etc/nginx/conf.d/\n",
            ),
        ];
        assert_eq!(sl203(&tree), ["b/vhosts/b.conf"]);
    }

    #[test]
    fn a_server_file_in_an_image_with_its_own_nginx_conf_gets_the_defaults() {
        // The nginx.conf beside it is not copied: the image's own one includes the file.
        let tree = [
            ("gateway/nginx.conf", RETRIES),
            ("gateway/default.conf", VHOST),
            (
                "gateway/Dockerfile",
                "FROM nginx:1.27-alpine\nCOPY default.conf /etc/nginx/conf.d/default.conf\n",
            ),
        ];
        assert_eq!(sl203(&tree), ["gateway/default.conf"]);
        // An image that is not the official one: what its nginx.conf sets is not known.
        let other = [
            ("gateway/nginx.conf", RETRIES),
            ("gateway/default.conf", VHOST),
            (
                "gateway/Dockerfile",
                "FROM registry.example.com/base/nginx:1\nCOPY default.conf /etc/nginx/conf.d/default.conf\n",
            ),
        ];
        assert!(sl203(&other).is_empty());
    }

    #[test]
    fn compose_mounts_place_files_and_hide_the_image_folder_they_cover() {
        let mounted = [
            ("nginx/nginx.conf", RETRIES),
            ("sites/shop.conf", VHOST),
            (
                "compose.yaml",
                "services:\n  proxy:\n    image: nginx:1.27\n    volumes:\n      - ./nginx/nginx.conf:/etc/nginx/nginx.conf:ro\n      - ./sites:/etc/nginx/conf.d:ro\n",
            ),
        ];
        assert!(sl203(&mounted).is_empty());
        // The image copies its nginx.conf; the service mounts its vhosts over conf.d.
        let over_image = [
            ("proxy/nginx.conf", RETRIES),
            (
                "proxy/Dockerfile",
                "FROM nginx:1.27\nCOPY nginx.conf /etc/nginx/nginx.conf\n",
            ),
            ("sites/shop.conf", VHOST),
            (
                "compose.yaml",
                "services:\n  proxy:\n    build: ./proxy\n    volumes:\n      - ./sites:/etc/nginx/conf.d\n",
            ),
        ];
        assert!(sl203(&over_image).is_empty());
        // The same with the image's nginx.conf leaving the default: the true finding stays.
        let mut plain = over_image;
        plain[0].1 = DEFAULTS;
        assert_eq!(sl203(&plain), ["sites/shop.conf"]);
    }

    #[test]
    fn containers_with_different_files_beside_a_server_file_disagree_with_a_note() {
        // The image lacks the proxy-wide settings; a compose service mounts the whole folder.
        let tree = [
            (
                "nginx/conf.d/00-proxy.conf",
                "proxy_next_upstream error timeout http_502 http_503;\n",
            ),
            ("nginx/conf.d/default.conf", VHOST),
            (
                "nginx/Dockerfile",
                "FROM nginx:1.27\nCOPY conf.d/default.conf /etc/nginx/conf.d/default.conf\n",
            ),
            (
                "compose.yaml",
                "services:\n  dev:\n    image: nginx:1.27\n    volumes:\n      - ./nginx/conf.d:/etc/nginx/conf.d\n",
            ),
        ];
        let (found, notes) = lint(&tree);
        assert!(found.is_empty());
        assert!(
            notes.iter().any(|n| n
                .contains("the containers the scan's Dockerfiles and compose services run it in")),
            "{notes:?}"
        );
        // Unread content at the main nginx.conf's place: not the image's own.
        let unread = [
            ("nginx/nginx.conf.prod", RETRIES),
            ("nginx/default.conf", VHOST),
            (
                "nginx/Dockerfile",
                "FROM nginx:1.27\nCOPY nginx.conf.prod /etc/nginx/nginx.conf\nCOPY default.conf /etc/nginx/conf.d/\n",
            ),
        ];
        assert!(sl203(&unread).is_empty());
        // A company's base image: its nginx.conf is not known.
        let custom = [
            ("gateway/default.conf", VHOST),
            (
                "gateway/Dockerfile",
                "FROM registry.example.com/base/nginx:1\nCOPY default.conf /etc/nginx/conf.d/\n",
            ),
        ];
        assert!(sl203(&custom).is_empty());
    }

    #[test]
    fn nginx_include_files_of_the_repository_are_read_and_unread_ones_get_a_note() {
        // The repository's own proxy_params (headers only) mounted in its place: read, so the
        // location's retry is nginx's default.
        let vhost = VHOST.replace("proxy_pass", "include proxy_params;\n        proxy_pass");
        let compose = |name: &str| {
            format!(
                "services:\n  proxy:\n    image: nginx:1.27\n    volumes:\n      - ./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro\n      - ./{name}:/etc/nginx/proxy_params:ro\n"
            )
        };
        let params = compose("nginx/proxy_params");
        let tree = [
            ("nginx/default.conf", vhost.as_str()),
            ("nginx/proxy_params", "proxy_set_header Host $host;\n"),
            ("compose.yaml", params.as_str()),
        ];
        assert_eq!(sl203(&tree), ["nginx/default.conf"]);
        // A file of another name there: not read, unknown, and a note names the place.
        let other = compose("config/headers");
        let tree = [
            ("nginx/default.conf", vhost.as_str()),
            ("config/headers", "proxy_set_header Host $host;\n"),
            ("compose.yaml", other.as_str()),
        ];
        let (found, notes) = lint(&tree);
        assert!(found.is_empty());
        assert!(
            notes.iter().any(|n| n.starts_with(
                "nginx/default.conf: `include proxy_params` reaches /etc/nginx/proxy_params in a container"
            )),
            "{notes:?}"
        );
    }

    #[test]
    fn an_include_in_a_container_reaches_only_what_the_container_holds() {
        // The repository's proxy_params retries, but the Dockerfile never COPYs it: the
        // container runs Debian's own (headers only), so the finding is true.
        let vhost = VHOST.replace("proxy_pass", "include proxy_params;\n        proxy_pass");
        let params = "proxy_set_header Host $http_host;\nproxy_next_upstream error timeout http_502 http_503;\n";
        let dockerfile = |copy_params: bool| {
            format!(
                "FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y nginx\n{}COPY nginx/shop /etc/nginx/sites-enabled/shop\n",
                if copy_params {
                    "COPY nginx/proxy_params /etc/nginx/proxy_params\n"
                } else {
                    ""
                }
            )
        };
        let forgotten = dockerfile(false);
        let tree = [
            ("nginx/shop", vhost.as_str()),
            ("nginx/proxy_params", params),
            ("Dockerfile", forgotten.as_str()),
        ];
        assert_eq!(sl203(&tree), ["nginx/shop"]);
        // Absolute, the same.
        let absolute = vhost.replace("include proxy_params;", "include /etc/nginx/proxy_params;");
        let tree = [
            ("nginx/shop", absolute.as_str()),
            ("nginx/proxy_params", params),
            ("Dockerfile", forgotten.as_str()),
        ];
        assert_eq!(sl203(&tree), ["nginx/shop"]);
        // COPYed in its place: what it sets counts.
        let copied = dockerfile(true);
        let tree = [
            ("nginx/shop", vhost.as_str()),
            ("nginx/proxy_params", params),
            ("Dockerfile", copied.as_str()),
        ];
        assert!(sl203(&tree).is_empty());
        // No container holds the vhost: the repository's layout is all there is.
        let tree = [
            ("nginx/shop", vhost.as_str()),
            ("nginx/proxy_params", params),
        ];
        assert!(sl203(&tree).is_empty());
    }

    /// A language image (or any other) whose RUN installs the distribution's nginx package
    /// runs that package's nginx.conf, as `debian`/`alpine` do; Canonical's `ubuntu/nginx` runs
    /// Ubuntu's. Without the package the image's nginx.conf is not known.
    #[test]
    fn an_installed_nginx_package_makes_its_layout_known() {
        let dockerfile = |from: &str, install: &str, to: &str| {
            format!("FROM {from}\nRUN {install}\nCOPY nginx/shop /etc/nginx/{to}\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n")
        };
        let apt = "apt-get update && apt-get install -y --no-install-recommends nginx";
        for (from, install, to) in [
            ("python:3.12-slim", apt, "sites-enabled/shop"),
            ("node:20-bookworm-slim", apt, "conf.d/shop.conf"),
            (
                "php:8.3-fpm",
                "apt-get install -y nginx-light",
                "sites-available/default",
            ),
            (
                "python:3.12-alpine",
                "apk add --no-cache nginx",
                "http.d/default.conf",
            ),
            ("registry.acme.io/base:3", apt, "sites-enabled/shop"),
            ("ubuntu/nginx:1.24-24.04_beta", "true", "sites-enabled/shop"),
        ] {
            let file = dockerfile(from, install, to);
            let tree = [("nginx/shop", VHOST), ("Dockerfile", file.as_str())];
            assert_eq!(sl203(&tree), ["nginx/shop"], "{from} {install} {to}");
        }
        for (from, install, to) in [
            // No package: the image's nginx.conf is not known.
            ("python:3.12-slim", "pip install flask", "sites-enabled/shop"),
            // nginx.org's repository: its package's layout is not the distribution's.
            (
                "python:3.12-slim",
                "curl -fsSL https://nginx.org/keys/nginx_signing.key | gpg --dearmor -o /usr/share/keyrings/nginx.gpg && apt-get install -y nginx",
                "sites-enabled/shop",
            ),
        ] {
            let file = dockerfile(from, install, to);
            let tree = [("nginx/shop", VHOST), ("Dockerfile", file.as_str())];
            assert!(sl203(&tree).is_empty(), "{from} {install} {to}");
        }
        // The package's default site replaced, retries set in conf.d: both run at the same
        // http level, so the vhost retries (it was judged with nginx's defaults: false SL203).
        let retries = "proxy_next_upstream error timeout http_502 http_503;\n";
        for (from, install) in [
            ("python:3.12-slim", apt),
            ("php:8.3-fpm", "apt-get install -y nginx-full"),
            ("ubuntu/nginx:1.24-24.04_beta", "true"),
        ] {
            let file = format!(
                "FROM {from}\nRUN {install}\nCOPY nginx/proxy.conf /etc/nginx/conf.d/proxy.conf\nCOPY nginx/shop /etc/nginx/sites-available/default\n"
            );
            let tree = [
                ("nginx/shop", VHOST),
                ("nginx/proxy.conf", retries),
                ("Dockerfile", file.as_str()),
            ];
            assert!(sl203(&tree).is_empty(), "{from}");
        }
        // Canonical's image, the vhost bound by compose.
        let compose = "services:\n  proxy:\n    image: ubuntu/nginx:1.24-24.04_beta\n    volumes:\n      - ./nginx/shop:/etc/nginx/sites-enabled/shop:ro\n";
        let tree = [("nginx/shop", VHOST), ("compose.yaml", compose)];
        assert_eq!(sl203(&tree), ["nginx/shop"]);
        // A compose service that builds the image with the package, the vhost bound.
        let compose = "services:\n  proxy:\n    build: .\n    volumes:\n      - ./nginx/shop:/etc/nginx/sites-enabled/shop:ro\n";
        let file =
            format!("FROM python:3.12-slim\nRUN {apt}\nCMD [\"nginx\", \"-g\", \"daemon off;\"]\n");
        let tree = [
            ("nginx/shop", VHOST),
            ("compose.yaml", compose),
            ("Dockerfile", file.as_str()),
        ];
        assert_eq!(sl203(&tree), ["nginx/shop"]);
    }

    #[test]
    fn packaged_vhost_places_are_the_fixed_folders_of_their_nginx_conf() {
        use std::path::Path;
        for yes in [
            "/etc/nginx/conf.d/shop.conf",
            "/etc/nginx/sites-enabled/shop",
            "/etc/nginx/http.d/shop.conf",
        ] {
            assert!(super::is_vhost_place(Path::new(yes)), "{yes}");
        }
        for no in [
            "/etc/nginx/d5/conf.d/shop.conf",
            "/etc/nginx/sites-available/shop",
            "/etc/nginx/conf.d/shop",
            "/etc/nginx/conf.d/sub/shop.conf",
            "/srv/conf.d/shop.conf",
        ] {
            assert!(!super::is_vhost_place(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn an_image_a_service_builds_is_judged_beside_the_service_that_mounts_over_it() {
        // The Dockerfile forgets the proxy-wide settings; the development service mounts the
        // whole folder over conf.d. The built image is what ships: the two disagree, a note.
        let tree = [
            (
                "nginx/conf.d/00-proxy.conf",
                "proxy_next_upstream error timeout http_502 http_503;\n",
            ),
            ("nginx/conf.d/default.conf", VHOST),
            (
                "nginx/Dockerfile",
                "FROM nginx:1.27\nCOPY conf.d/default.conf /etc/nginx/conf.d/\n",
            ),
            (
                "compose.yaml",
                "services:\n  nginx:\n    build: ./nginx\n    image: registry.example.com/shop/nginx:1.0\n    volumes:\n      - ./nginx/conf.d:/etc/nginx/conf.d:ro\n",
            ),
        ];
        let (found, notes) = lint(&tree);
        assert!(found.is_empty());
        assert!(
            notes
                .iter()
                .any(|n| n.starts_with("nginx/conf.d/default.conf: ")
                    && n.contains(
                        "the containers the scan's Dockerfiles and compose services run it in"
                    )),
            "{notes:?}"
        );
        // Neither has the settings: the finding stays.
        let tree = [
            ("nginx/conf.d/default.conf", VHOST),
            (
                "nginx/Dockerfile",
                "FROM nginx:1.27\nCOPY conf.d/default.conf /etc/nginx/conf.d/\n",
            ),
            (
                "compose.yaml",
                "services:\n  nginx:\n    build: ./nginx\n    volumes:\n      - ./nginx/conf.d:/etc/nginx/conf.d:ro\n",
            ),
        ];
        assert_eq!(sl203(&tree), ["nginx/conf.d/default.conf"]);
    }

    #[test]
    fn bitnami_server_blocks_run_under_its_known_nginx_conf() {
        // Bitnami's nginx.conf includes server_blocks/*.conf inside `http` and sets no proxy
        // directive: nginx's defaults, so a block with no retry anywhere is found.
        let compose = |image: &str, mounts: &str| {
            format!("services:\n  proxy:\n    image: {image}\n    volumes:\n{mounts}")
        };
        let blocks = compose(
            "bitnami/nginx:1.27",
            "      - ./server_blocks:/opt/bitnami/nginx/conf/server_blocks:ro\n",
        );
        let tree = [
            ("server_blocks/shop.conf", VHOST),
            ("compose.yaml", blocks.as_str()),
        ];
        assert_eq!(sl203(&tree), ["server_blocks/shop.conf"]);
        // A proxy-settings file beside it in server_blocks/ is at the same `http` level.
        let tree = [
            (
                "server_blocks/00-proxy.conf",
                "proxy_next_upstream error timeout http_502 http_503;\n",
            ),
            ("server_blocks/shop.conf", VHOST),
            ("compose.yaml", blocks.as_str()),
        ];
        assert!(sl203(&tree).is_empty());
        // So is one in context.d/http/ (included there since 1.29).
        let context = compose(
            "docker.io/bitnami/nginx:1.29",
            "      - ./server_blocks:/opt/bitnami/nginx/conf/server_blocks:ro\n      - ./http:/opt/bitnami/nginx/conf/context.d/http:ro\n",
        );
        let tree = [
            (
                "http/proxy.conf",
                "proxy_next_upstream error timeout http_502 http_503;\n",
            ),
            ("server_blocks/shop.conf", VHOST),
            ("compose.yaml", context.as_str()),
        ];
        assert!(sl203(&tree).is_empty());
        // A named volume there (a tag whose nginx.conf includes context.d/http): unknown.
        let volume = compose(
            "bitnami/nginx:1.29",
            "      - ./server_blocks/shop.conf:/opt/bitnami/nginx/conf/server_blocks/shop.conf:ro\n      - extra:/opt/bitnami/nginx/conf/context.d\n",
        );
        let tree = [
            ("server_blocks/shop.conf", VHOST),
            ("compose.yaml", volume.as_str()),
        ];
        assert!(sl203(&tree).is_empty());
        // Its own nginx.conf mounted in place: that one is read.
        let main = compose(
            "bitnami/nginx:1.27",
            "      - ./nginx.conf:/opt/bitnami/nginx/conf/nginx.conf:ro\n      - ./server_blocks:/opt/bitnami/nginx/conf/server_blocks:ro\n",
        );
        let retries = RETRIES.replace(
            "/etc/nginx/conf.d/*.conf",
            "/opt/bitnami/nginx/conf/server_blocks/*.conf",
        );
        let tree = [
            ("nginx.conf", retries.as_str()),
            ("server_blocks/shop.conf", VHOST),
            ("compose.yaml", main.as_str()),
        ];
        assert!(sl203(&tree).is_empty());
        // Not a vhost place of Debian's nginx.conf.
        assert!(!super::is_vhost_place(std::path::Path::new(
            "/etc/nginx/server_blocks/shop.conf"
        )));
    }

    fn compose(image: &str, mounts: &str) -> String {
        format!("services:\n  proxy:\n    image: {image}\n    volumes:\n{mounts}")
    }

    #[test]
    fn bitnami_context_http_counts_only_for_tags_that_include_it() {
        // Bitnami's nginx.conf includes context.d/http/*.conf since 1.29: before, the proxy
        // settings put there are read by nothing (the finding is true); for a tag that does
        // not say which, the level is unknown.
        let tree = |image: &str| {
            let compose = compose(
                image,
                "      - ./server_blocks:/opt/bitnami/nginx/conf/server_blocks:ro\n      - ./http:/opt/bitnami/nginx/conf/context.d/http:ro\n",
            );
            let tree = [
                (
                    "http/proxy.conf",
                    "proxy_next_upstream error timeout http_502 http_503;\n",
                ),
                ("server_blocks/shop.conf", VHOST),
                ("compose.yaml", compose.as_str()),
            ];
            sl203(&tree)
        };
        assert!(tree("bitnami/nginx:1.29.1").is_empty());
        assert!(tree("bitnami/nginx:1.30").is_empty());
        assert_eq!(tree("bitnami/nginx:1.27").len(), 1);
        assert_eq!(tree("bitnami/nginx:1.28.0-debian-12-r3").len(), 1);
        assert!(tree("bitnami/nginx:latest").is_empty());
        assert!(tree("bitnami/nginx").is_empty());
        assert!(tree("bitnamilegacy/nginx:1.29").is_empty());
        // A named volume at context.d under 1.27: its nginx.conf reads nothing there.
        let volume = compose(
            "bitnami/nginx:1.27",
            "      - ./server_blocks/shop.conf:/opt/bitnami/nginx/conf/server_blocks/shop.conf:ro\n      - extra:/opt/bitnami/nginx/conf/context.d\n",
        );
        let tree = [
            ("server_blocks/shop.conf", VHOST),
            ("compose.yaml", volume.as_str()),
        ];
        assert_eq!(sl203(&tree).len(), 1);
    }

    #[test]
    fn templates_render_from_the_folder_the_environment_names() {
        // The official image's entrypoint reads NGINX_ENVSUBST_TEMPLATE_DIR (default
        // /etc/nginx/templates) and writes to NGINX_ENVSUBST_OUTPUT_DIR (default conf.d): the
        // vhost template and the proxy-settings template share one http level.
        let settings = "proxy_next_upstream error timeout http_502 http_503;\n";
        let service = |env: &str, target: &str| {
            format!(
                "services:\n  proxy:\n    image: nginx:1.27-alpine\n    environment:\n{env}    volumes:\n      - ./templates:{target}:ro\n"
            )
        };
        let run = |compose: &str, with_settings: bool| {
            let mut tree = vec![
                ("templates/default.conf.template", VHOST),
                ("compose.yaml", compose),
            ];
            if with_settings {
                tree.push(("templates/00-proxy.conf.template", settings));
            }
            sl203(&tree)
        };
        let custom = service(
            "      NGINX_ENVSUBST_TEMPLATE_DIR: /etc/nginx/tpl/\n",
            "/etc/nginx/tpl",
        );
        assert!(run(&custom, true).is_empty());
        assert_eq!(run(&custom, false).len(), 1);
        // The folder from a variable compose takes from the shell: not known, so the level
        // the templates render into is unknown.
        let unknown = service(
            "      NGINX_ENVSUBST_TEMPLATE_DIR: ${TPL_DIR}\n",
            "/etc/nginx/tpl",
        );
        assert!(run(&unknown, false).is_empty());
        // The image's ENV sets it; the service mounts the templates there.
        let tree = [
            ("templates/default.conf.template", VHOST),
            ("templates/00-proxy.conf.template", settings),
            (
                "Dockerfile",
                "FROM nginx:1.27\nENV NGINX_ENVSUBST_TEMPLATE_DIR=/etc/nginx/tpl\nCOPY templates/ /etc/nginx/tpl/\n",
            ),
        ];
        assert!(sl203(&tree).is_empty());
        // The entrypoint reads `${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}`: set
        // empty, the default folder (so the vhost without its settings is judged).
        let empty = service(
            "      NGINX_ENVSUBST_TEMPLATE_DIR: \"\"\n      NGINX_ENVSUBST_OUTPUT_DIR: ''\n",
            "/etc/nginx/templates",
        );
        assert_eq!(run(&empty, false).len(), 1);
    }

    #[test]
    fn the_scan_s_vhost_stays_in_its_container_past_the_mount_cap() {
        // Thousands of per-site files outside the scan, then the scan's own vhost: the vhost
        // is in the container, whose conf.d holds what is not read (the level is unknown),
        // not judged alone with nginx's defaults.
        let sites: String = (0..super::MAX_UNREAD_MOUNTS + 4)
            .map(|i| format!("      - ./tenants/s{i}.conf:/etc/nginx/conf.d/s{i}.conf:ro\n"))
            .collect();
        let compose = format!(
            "services:\n  proxy:\n    image: nginx:1.27-alpine\n    volumes:\n{sites}      - ./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro\n"
        );
        let tree = [
            ("nginx/default.conf", VHOST),
            ("compose.yaml", compose.as_str()),
        ];
        assert!(sl203(&tree).is_empty());
    }

    #[test]
    fn an_env_file_of_the_scan_gives_the_template_folders() {
        let settings = "proxy_next_upstream error timeout http_502 http_503;\n";
        let service = |env_file: &str, target: &str| {
            format!(
                "services:\n  proxy:\n    image: nginx:1.27-alpine\n    env_file: {env_file}\n    volumes:\n      - ./templates:{target}:ro\n"
            )
        };
        let run = |compose: &str, env: Option<&str>, with_settings: bool| {
            let mut tree = vec![
                ("templates/default.conf.template", VHOST),
                ("compose.yaml", compose),
            ];
            if let Some(env) = env {
                tree.push(("nginx.env", env));
            }
            if with_settings {
                tree.push(("templates/00-proxy.conf.template", settings));
            }
            sl203(&tree)
        };
        let tpl = "# nginx\nexport NGINX_ENVSUBST_TEMPLATE_DIR=/etc/nginx/tpl\n";
        let custom = service("nginx.env", "/etc/nginx/tpl");
        assert!(run(&custom, Some(tpl), true).is_empty());
        assert_eq!(run(&custom, Some(tpl), false).len(), 1);
        // An env_file that does not set the folders: the default ones.
        let default = service("nginx.env", "/etc/nginx/templates");
        assert_eq!(run(&default, Some("TZ=UTC\n"), false).len(), 1);
        // `environment:` wins over the env_file.
        let both = "services:\n  proxy:\n    image: nginx:1.27-alpine\n    env_file: nginx.env\n    environment:\n      NGINX_ENVSUBST_TEMPLATE_DIR: /etc/nginx/templates\n    volumes:\n      - ./templates:/etc/nginx/templates:ro\n";
        assert_eq!(run(both, Some(tpl), false).len(), 1);
        // Not in the scan (or a variable in its path): any of them may be set there, the
        // level the templates render into is unknown.
        assert!(run(&default, None, false).is_empty());
        assert!(run(
            &service("${ENV}.env", "/etc/nginx/templates"),
            Some(tpl),
            false
        )
        .is_empty());
        assert!(run(
            &service("../outside.env", "/etc/nginx/templates"),
            None,
            false
        )
        .is_empty());
        // A value compose fills in from its own environment.
        assert!(run(&default, Some("NGINX_ENVSUBST_OUTPUT_DIR=${OUT}\n"), false).is_empty());
        // An optional file that is absent sets nothing (compose runs without it); a required
        // one that is absent is not known, and a note says the templates are not judged.
        let optional = service(
            "[{path: .env.local, required: false}]",
            "/etc/nginx/templates",
        );
        assert_eq!(run(&optional, None, false).len(), 1);
        let required = service("[{path: .env.local}]", "/etc/nginx/templates");
        let (found, notes) = lint(&[
            ("templates/default.conf.template", VHOST),
            ("compose.yaml", &required),
        ]);
        assert!(found.is_empty(), "{found:?}");
        assert!(
            notes.iter().any(|n| n.starts_with(
                "nginx templates: the `env_file` `.env.local` of compose service `proxy` (compose.yaml) is not read"
            )),
            "{notes:?}"
        );
        // `environment:` sets the three: the env_file does not matter, no note.
        let told = "services:\n  proxy:\n    image: nginx:1.27-alpine\n    env_file: .env.local\n    environment: {NGINX_ENVSUBST_TEMPLATE_DIR: /etc/nginx/templates, NGINX_ENVSUBST_TEMPLATE_SUFFIX: .template, NGINX_ENVSUBST_OUTPUT_DIR: /etc/nginx/conf.d}\n    volumes:\n      - ./templates:/etc/nginx/templates:ro\n";
        let (found, notes) = lint(&[
            ("templates/default.conf.template", VHOST),
            ("compose.yaml", told),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(notes.iter().all(|n| !n.contains("env_file")), "{notes:?}");
    }

    #[test]
    fn a_run_of_the_image_counts_in_the_service_that_builds_it() {
        // The image writes the proxy settings with a RUN; the service mounts the vhost.
        let tree = [
            ("nginx/default.conf", VHOST),
            (
                "proxy/Dockerfile",
                "FROM nginx:1.27\nRUN echo 'proxy_next_upstream error timeout http_502 http_503;' > /etc/nginx/conf.d/00-proxy.conf\n",
            ),
            (
                "compose.yaml",
                "services:\n  proxy:\n    build: ./proxy\n    volumes:\n      - ./nginx/default.conf:/etc/nginx/conf.d/default.conf:ro\n",
            ),
        ];
        assert!(sl203(&tree).is_empty());
    }

    #[test]
    fn official_images_are_told_by_name() {
        for image in [
            "nginx",
            "nginx:1.27-alpine",
            "docker.io/library/nginx:stable",
            "nginxinc/nginx-unprivileged:1.27",
            "nginx@sha256:0123",
            // A tag a build argument fills in: the official image, of a version not known.
            "nginx:${NGINX_VERSION}",
        ] {
            assert!(super::is_official(image), "{image}");
        }
        for image in [
            "bitnami/nginx:1.27",
            "openresty/openresty:alpine",
            "${REGISTRY}/nginx:1.27",
            "localhost:5000/nginx",
        ] {
            assert!(!super::is_official(image), "{image}");
        }
    }

    #[test]
    fn bitnami_is_told_by_name_whatever_the_tag_or_docker_hub_host() {
        for image in [
            "bitnami/nginx:1.29",
            "bitnami/nginx:${NGINX_TAG:-1.29}",
            "bitnami/nginx:${NGINX_TAG}",
            "registry-1.docker.io/bitnami/nginx:1.29",
            "index.docker.io/bitnami/nginx",
            "docker.io/bitnamilegacy/nginx:1.28.0",
        ] {
            assert!(super::is_bitnami(image), "{image}");
        }
        for image in [
            "${REPO}/nginx:1.29",
            "bitnami/nginx-ingress-controller:1.29",
        ] {
            assert!(!super::is_bitnami(image), "{image}");
        }
    }
}
