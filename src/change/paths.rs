//! Where a linted path is on disk, for change mode, discovery and the configuration's lookup:
//! found component by component, without following a symbolic link that a git work tree holds.
//!
//! A repository can commit a link (`deploy -> ../other`), and a change can turn the path a CI
//! workflow names into one. Neither such a link nor a link met on the way to the path
//! (`deploy/db`, `deploy/`) is followed: the path is not walked, the configuration is not
//! looked for from it, and in change mode it picks no repository and no changed file. Links outside every work tree (`/tmp` on
//! macOS, a link to a projects folder) are the user's own and are resolved as the system does,
//! one at a time, so a link they lead to inside a work tree is refused too.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Component, Path, PathBuf};

/// How many links a path may go through, as the system allows (`ELOOP` past it).
const MAX_LINKS: usize = 40;

/// A linted path as found on disk.
#[derive(Debug, PartialEq, Eq)]
pub enum Located {
    /// The path with every link resolved (all of them outside work trees) and `.`/`..` applied:
    /// `real` when it exists. A path that does not exist is `real` up to its missing part with
    /// the rest added as given; `dir` is then the nearest folder that exists. `dir` is where its
    /// repository is looked for: `real` itself for a folder, else its folder.
    Found { real: PathBuf, dir: PathBuf },
    /// The path is, or goes through, a symbolic link inside a git work tree: `link`, as the
    /// argument spells it when the link is one of its own components, else its place on disk.
    Link { link: PathBuf, whole: bool },
    /// `path` (spelled as `link` is) could not be looked at for another reason than being
    /// missing: no permission, a name over the system's limit, too many links. What is past it
    /// is unknown, so the path is treated as a link is: not followed.
    Unreadable { path: PathBuf, error: String },
}

/// One step of a path still to take.
enum Step {
    /// Start again at this root (`/`, or a Windows prefix with its root).
    Root(PathBuf),
    Parent,
    Name(OsString),
}

/// The steps of `path`, each with the index of the argument component it is (`None` for a
/// link's target or the working directory).
fn steps(path: &Path, from_argument: bool) -> Vec<(Step, Option<usize>)> {
    let mut out = Vec::new();
    let mut root = PathBuf::new();
    for (i, component) in path.components().enumerate() {
        let index = from_argument.then_some(i);
        match component {
            Component::Prefix(_) | Component::RootDir => {
                root.push(component.as_os_str());
                if let Some((Step::Root(_), _)) = out.last() {
                    out.pop();
                }
                out.push((Step::Root(root.clone()), index));
            }
            Component::CurDir => {}
            Component::ParentDir => out.push((Step::Parent, index)),
            Component::Normal(name) => out.push((Step::Name(name.to_os_string()), index)),
        }
    }
    out
}

/// What a name in a folder is, not following it.
enum Entry {
    Dir,
    Link,
    /// A regular file, a FIFO, a device...: nothing is below it.
    Other,
    Missing,
}

/// A position in the file system, moved one name at a time. Each step costs the same whatever
/// the depth: on unix it works from an open folder, never from a whole path (a path of
/// thousands of folders cost the system a walk of all of them for each step, and one over
/// `PATH_MAX` failed).
trait Walker {
    /// Go to `root` (`/`, or a Windows prefix with its root).
    fn root(&mut self, root: &Path) -> io::Result<()>;
    /// What `name` in the current folder is; when it is a folder ([`Entry::Dir`]), the walk
    /// goes into it.
    fn step(&mut self, name: &OsStr) -> io::Result<Entry>;
    /// Go to the parent folder (the root's is itself).
    fn leave(&mut self) -> io::Result<()>;
    /// The target of the link `name` in the current folder.
    fn read_link(&self, name: &OsStr) -> io::Result<PathBuf>;
    /// Whether the current folder is in a git work tree: a `.git` of any kind in it or above
    /// it. What such a folder holds can come from a repository.
    fn in_work_tree(&self) -> bool;
    /// The nearest folder at or above the current one (`here`, its path) whose `.git` exists
    /// as git sees it (a link to one followed), when the walker was asked to track them.
    fn repository(&self, here: &Path) -> Option<PathBuf>;
    /// What `name` in the current folder is, not following it; `None` when missing.
    fn kind_of(&self, name: &OsStr) -> io::Result<Option<Kind>>;
    /// The same position, to move on from independently.
    fn fork(&self) -> io::Result<Self>
    where
        Self: Sized;
}

/// What a name in a folder is ([`locate_each`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Link,
    Dir,
    /// A FIFO, a device, a socket.
    Other,
}

impl Kind {
    /// What `lstat` (or `stat`) said a name is.
    pub fn of(file_type: std::fs::FileType) -> Self {
        if file_type.is_symlink() {
            Kind::Link
        } else if file_type.is_dir() {
            Kind::Dir
        } else if file_type.is_file() {
            Kind::File
        } else {
            Kind::Other
        }
    }

    /// What the `S_IFMT` bits of a `stat`'s mode say a name is.
    #[cfg(unix)]
    pub fn of_mode(mode: libc::mode_t) -> Self {
        match mode & libc::S_IFMT {
            libc::S_IFREG => Kind::File,
            libc::S_IFLNK => Kind::Link,
            libc::S_IFDIR => Kind::Dir,
            _ => Kind::Other,
        }
    }
}

/// Find `given` (relative to `cwd`, an absolute path without links such as the working
/// directory). Each component of `cwd` and `given` is looked at once (and each link's target).
pub fn locate(given: &Path, cwd: &Path) -> Located {
    walk(given, cwd, false).0
}

/// [`locate`], and for a path found, the top of the work tree that holds its `dir`: the
/// nearest folder at or above it with a `.git` (followed when it is a link, as git does),
/// learned on the same walk (one more look per folder, never a whole path).
pub fn locate_repository(given: &Path, cwd: &Path) -> (Located, Option<PathBuf>) {
    #[cfg(unix)]
    let walker = {
        let mut walker = fd::FdWalker::new(true);
        walker.track_repositories = true;
        walker
    };
    #[cfg(not(unix))]
    let walker = PathWalker {
        track_repositories: true,
        ..PathWalker::default()
    };
    let (located, _, repository) = locate_with(walker, given, cwd, false);
    (located, repository)
}

/// The largest `.git` file git reads (1 MiB, `read_gitfile_gently`): a larger one names no
/// repository. Only its first bytes are read here.
const MAX_GIT_FILE: u64 = 1 << 20;

/// Whether the start of a `HEAD` file is one git takes (`validate_headref`): `ref:` and a name
/// under `refs/`, or an object id (40 or 64 hex digits). An empty or garbage `HEAD` makes no
/// repository.
fn valid_head(bytes: &[u8]) -> bool {
    if let Some(rest) = bytes.strip_prefix(b"ref:") {
        return rest.trim_ascii_start().starts_with(b"refs/");
    }
    bytes.iter().take_while(|b| b.is_ascii_hexdigit()).count() >= 40
}

/// How much of `HEAD` is read to judge it.
const HEAD_PREFIX: u64 = 256;

/// Whether the `.git` at `git` makes its folder a repository as git sees it (git's own test):
/// a folder holding `HEAD` (a file that starts with `ref: refs/` or an object id, or a link; a
/// FIFO or a device too, which change mode then refuses by name),
/// `objects` and `refs` (folders, or links to folders, as `git-new-workdir` makes them), or a
/// regular file of at most 1 MiB starting `gitdir:` (a submodule, a linked work tree). An empty `.git`
/// folder, one without `HEAD`, another file, a FIFO or a device leaves its folder in the
/// repository around it. `follow`: a `.git` that is a link is followed (the user's own paths,
/// as git does), else it is none (a walk never leaves its root through one). Discovery, the
/// ignore files and change mode all ask this.
pub fn is_repository(git: &Path, follow: bool) -> bool {
    #[cfg(unix)]
    {
        fd::git_at(libc::AT_FDCWD, git.as_os_str(), follow)
    }
    #[cfg(not(unix))]
    {
        use std::io::Read;
        let meta = if follow {
            std::fs::metadata(git)
        } else {
            std::fs::symlink_metadata(git)
        };
        let Ok(meta) = meta else {
            return false;
        };
        if meta.is_dir() {
            let head = git.join("HEAD");
            let head_ok = match std::fs::symlink_metadata(&head) {
                Ok(m) if m.is_file() => crate::open_nonblocking(&head).is_ok_and(|file| {
                    let mut start = Vec::new();
                    file.take(HEAD_PREFIX).read_to_end(&mut start).is_ok() && valid_head(&start)
                }),
                Ok(m) => !m.is_dir(),
                Err(_) => false,
            };
            let folder = |name: &str| std::fs::metadata(git.join(name)).is_ok_and(|m| m.is_dir());
            return head_ok && folder("objects") && folder("refs");
        }
        let mut start = Vec::new();
        meta.is_file()
            && meta.len() <= MAX_GIT_FILE
            && crate::open_nonblocking(git).is_ok_and(|file| {
                file.take(7).read_to_end(&mut start).is_ok() && start == b"gitdir:"
            })
    }
}

/// `path` cleaned as written, without asking the file system: no `.`, each `..` removed with
/// the name before it (at the root, with nothing), kept at the start of a relative path. How
/// docker compose and Go's `filepath.Clean` read a path joined to another.
pub fn clean(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// The names of `path` below `root`, both cleaned as written ([`clean`]), without asking the
/// file system; `None` when `path` is not `root` with names below it (`..` leads out, one is
/// absolute and the other not). Empty when `path` is `root`.
pub fn below_as_written(root: &Path, path: &Path) -> Option<PathBuf> {
    let below = clean(path).strip_prefix(clean(root)).ok()?.to_path_buf();
    below
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(below)
}

/// `path`, or the current folder (`.`) for the empty path (a file found in the current folder
/// has an empty folder, which names nothing to open).
pub fn or_current(path: &Path) -> &Path {
    if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    }
}

/// Whether something (a file, a folder, a link) is at `path`, looked up only inside the
/// folder `root`: both are cleaned as written ([`clean`]), and `path` must then be `root` with
/// names below it; from `root` (opened as given, a link followed: it is where a scan started)
/// the folders are opened one name at a time, never through a link. `None` when it cannot be
/// told without looking outside `root`: `path` is not below it as written, a folder on the way
/// is a link, or a folder cannot be opened.
pub fn present_below(root: &Path, path: &Path) -> Option<bool> {
    let names = below_as_written(root, path)?;
    let names: Vec<&OsStr> = names.iter().collect();
    let (last, folders) = names.split_last()?;
    let root = clean(root);
    let root = or_current(&root);
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let gone = |at: std::os::fd::RawFd, name: &OsStr| match fd::kind_at(at, name) {
            // Nothing there, or a file where a folder would be: nothing below it.
            Ok(None) => Some(false),
            Ok(Some(kind)) if kind != libc::S_IFDIR && kind != libc::S_IFLNK => Some(false),
            _ => None,
        };
        let mut dir = fd::open_dir(libc::AT_FDCWD, root.as_os_str(), true).ok()?;
        for folder in folders {
            match fd::open_dir(dir.as_raw_fd(), folder, false) {
                Ok(next) => dir = next,
                Err(_) => return gone(dir.as_raw_fd(), folder),
            }
        }
        match fd::kind_at(dir.as_raw_fd(), last) {
            Ok(found) => Some(found.is_some()),
            Err(error) if error.raw_os_error() == Some(libc::ENOTDIR) => Some(false),
            Err(_) => None,
        }
    }
    #[cfg(not(unix))]
    {
        let mut at = root.to_path_buf();
        for folder in folders {
            at.push(folder);
            match std::fs::symlink_metadata(&at) {
                Ok(meta) if meta.file_type().is_symlink() => return None,
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Some(false),
                Err(error) if error.kind() == io::ErrorKind::NotFound => return Some(false),
                Err(_) => return None,
            }
        }
        Some(std::fs::symlink_metadata(at.join(last)).is_ok())
    }
}

/// Where `path` is on disk with every link resolved, as `std::fs::canonicalize` says, at a
/// cost of one step per component and link (the system's `realpath` reads each prefix whole:
/// for a path thousands of folders deep, millions of steps). `None` when it does not exist or
/// cannot be looked at.
///
/// On Linux the system resolves the path once and says where it led (`/proc/self/fd`): three
/// system calls whatever the depth. Linking asks this of every Dockerfile, build context and
/// entrypoint script (several times each), and one step per component cost a file a hundred
/// folders deep a hundred `openat`s. The walk is taken where the system cannot answer (a path
/// over `PATH_MAX`, no `/proc`, too many links).
pub fn canonical(path: &Path) -> Option<PathBuf> {
    #[cfg(target_os = "linux")]
    if let Some(known) = fd::canonical_by_system(path) {
        return known;
    }
    canonical_walked(path)
}

/// [`canonical`] by our walk, one component at a time.
fn canonical_walked(path: &Path) -> Option<PathBuf> {
    let cwd = if path.is_absolute() {
        PathBuf::new()
    } else {
        std::env::current_dir().ok()?
    };
    let (Located::Found { real, .. }, true) = walk(path, &cwd, true) else {
        return None;
    };
    // `file/` names no folder.
    let slash = path.as_os_str().as_encoded_bytes().ends_with(b"/");
    (!slash || real.is_dir()).then_some(real)
}

/// [`locate`], or with `follow_all` every link followed; with whether the whole path exists.
fn walk(given: &Path, cwd: &Path, follow_all: bool) -> (Located, bool) {
    #[cfg(unix)]
    let walker = fd::FdWalker::new(!follow_all);
    #[cfg(not(unix))]
    let walker = PathWalker::default();
    let (located, whole, _) = locate_with(walker, given, cwd, follow_all);
    (located, whole)
}

/// What [`locate_with`] found: the place, whether the whole path exists, and the repository
/// of its folder ([`Walker::repository`]).
type Walked = (Located, bool, Option<PathBuf>);

fn locate_with<W: Walker>(walker: W, given: &Path, cwd: &Path, follow_all: bool) -> Walked {
    let mut pending: VecDeque<(Step, Option<usize>)> = VecDeque::new();
    if !given.is_absolute() {
        if !cwd.is_absolute() {
            let error = "the working directory is not an absolute path".to_string();
            let path = cwd.to_path_buf();
            return (Located::Unreadable { path, error }, false, None);
        }
        pending.extend(steps(cwd, false));
    }
    pending.extend(steps(given, true));
    let mut walk = Walk::new(walker, follow_all);
    let spell = |i: usize| given.components().take(i + 1).collect();
    let (located, whole) = match walk.run(&mut pending, &spell) {
        Some(ended) => ended,
        None => walk.end(),
    };
    // A walk that found its path holds the folder `dir` (a missing name or a file is not
    // gone into): its repository is the walker's.
    let repository = match &located {
        Located::Found { dir, .. } => walk.walker.repository(dir),
        _ => None,
    };
    (located, whole, repository)
}

/// A walk of [`locate_with`] under way: where it is after the steps taken so far.
struct Walk<W> {
    walker: W,
    /// Where the walk is: a folder, or a file in it (`file`) when the last name was one.
    real: PathBuf,
    file: bool,
    links: usize,
    follow_all: bool,
    /// The index of the last argument component that was a symbolic link (followed or not).
    last_link: Option<usize>,
}

impl<W: Walker> Walk<W> {
    fn new(walker: W, follow_all: bool) -> Self {
        Walk {
            walker,
            real: PathBuf::new(),
            file: false,
            links: 0,
            follow_all,
            last_link: None,
        }
    }

    /// The same walk, to go on from here along another way.
    fn fork(&self) -> io::Result<Self> {
        Ok(Walk {
            walker: self.walker.fork()?,
            real: self.real.clone(),
            file: self.file,
            links: self.links,
            follow_all: self.follow_all,
            last_link: self.last_link,
        })
    }

    /// Take the `pending` steps (and those of the links met): `Some` when the walk ends on the
    /// way. `spell(i)` is the argument spelled up to its component `i`.
    fn run(
        &mut self,
        pending: &mut VecDeque<(Step, Option<usize>)>,
        spell: &dyn Fn(usize) -> PathBuf,
    ) -> Option<(Located, bool)> {
        let walker = &mut self.walker;
        let follow_all = self.follow_all;
        // The argument's spelling up to component `index`, or the place on disk of `name`.
        let spelled = |index: Option<usize>, real: &Path, name: &OsStr| match index {
            Some(i) => spell(i),
            None => real.join(name),
        };
        while let Some((step, index)) = pending.pop_front() {
            let name = match step {
                Step::Root(root) => {
                    if let Err(e) = walker.root(&root) {
                        let error = e.to_string();
                        return Some((Located::Unreadable { path: root, error }, false));
                    }
                    self.real = root;
                    self.file = false;
                    continue;
                }
                Step::Parent => {
                    if self.file && follow_all {
                        // `file/..` names nothing to the system (a file is no folder).
                        let real = std::mem::take(&mut self.real);
                        let dir = real.parent().map_or_else(PathBuf::new, Path::to_path_buf);
                        return Some((Located::Found { real, dir }, false));
                    } else if self.file {
                        self.file = false;
                    } else if let Err(e) = walker.leave() {
                        let path = spelled(index, &self.real, OsStr::new(".."));
                        let error = e.to_string();
                        return Some((Located::Unreadable { path, error }, false));
                    }
                    self.real.pop();
                    continue;
                }
                Step::Name(name) => name,
            };
            // Below a file there is nothing.
            let entry = if self.file {
                Ok(Entry::Missing)
            } else {
                walker.step(&name)
            };
            let failed = |error: io::Error, real: &Path| {
                let path = spelled(index, real, &name);
                let error = error.to_string();
                Some((Located::Unreadable { path, error }, false))
            };
            if let (Ok(Entry::Link), Some(_)) = (&entry, index) {
                self.last_link = index;
            }
            match entry {
                Ok(Entry::Dir) => self.real.push(&name),
                Ok(Entry::Other) => {
                    self.real.push(&name);
                    self.file = true;
                }
                Ok(Entry::Link) if !follow_all && walker.in_work_tree() => {
                    let whole = index.is_some() && pending.iter().all(|(_, i)| i.is_none());
                    let link = spelled(index, &self.real, &name);
                    return Some((Located::Link { link, whole }, false));
                }
                Ok(Entry::Link) if self.links >= MAX_LINKS => {
                    return failed(
                        io::Error::other("too many levels of symbolic links"),
                        &self.real,
                    );
                }
                Ok(Entry::Link) => {
                    let target = match walker.read_link(&name) {
                        Ok(target) => target,
                        Err(e) => return failed(e, &self.real),
                    };
                    self.links += 1;
                    // The target's steps, then what was left: a relative target is taken from
                    // the link's folder (where the walk is).
                    for step in steps(&target, false).into_iter().rev() {
                        pending.push_front(step);
                    }
                }
                Ok(Entry::Missing) => {
                    // Nothing further is looked at.
                    let mut real = std::mem::take(&mut self.real);
                    let dir = if self.file {
                        real.parent()
                            .map_or_else(|| real.clone(), Path::to_path_buf)
                    } else {
                        real.clone()
                    };
                    real.push(&name);
                    for (step, _) in pending.drain(..) {
                        match step {
                            Step::Root(root) => real = root,
                            Step::Parent => real.push(".."),
                            Step::Name(name) => real.push(name),
                        }
                    }
                    return Some((Located::Found { real, dir }, false));
                }
                Err(e) => return failed(e, &self.real),
            }
        }
        None
    }

    /// Every step taken: where the walk is.
    fn end(&mut self) -> (Located, bool) {
        let real = std::mem::take(&mut self.real);
        let dir = if self.file {
            real.parent()
                .map_or_else(|| real.clone(), Path::to_path_buf)
        } else {
            real.clone()
        };
        (Located::Found { real, dir }, true)
    }
}

/// How far [`locate_each`] got along a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reached {
    /// As [`Located::Found`]: every link on the way (if any) is outside every work tree.
    Found,
    /// As [`Located::Link`]: the path is, or goes through, `link`, a link in a git work tree.
    Link { link: PathBuf },
    /// As [`Located::Unreadable`].
    Unreadable,
}

/// What [`locate_each`] says of one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Looked {
    pub reached: Reached,
    /// The path's own last name is a symbolic link, followed or not (unknown, so `false`, past
    /// a link or a name that ended the walk before it).
    pub is_link: bool,
    /// The nearest folder on the way holding the name looked for, as the number of the path's
    /// components that name it, and what the name is there: each folder the walk goes into by
    /// one of the path's names is looked at, up to the first name that is no folder (as
    /// [`crate::config::find_upward`] looks for its file).
    pub holding: Option<(usize, Kind)>,
}

/// [`locate`] for many absolute paths at once, with the nearest folder on the way to each that
/// holds `name`. Paths that share their first components share the steps that find them: the
/// cost is one step per component of the tree the paths make (a component shared by a
/// thousand paths is looked at once), not per component of each path. A path that is not
/// absolute is [`Reached::Unreadable`].
pub fn locate_each(paths: &[&Path], name: &OsStr) -> Vec<Looked> {
    #[cfg(unix)]
    let walker = fd::FdWalker::new(true);
    #[cfg(not(unix))]
    let walker = PathWalker::default();
    locate_each_with(walker, paths, name)
}

/// A node of the tree of the paths [`locate_each`] is given: one component.
struct TreeNode<'p> {
    component: Option<Component<'p>>,
    parent: usize,
    /// How many components name it.
    depth: usize,
    children: Vec<usize>,
    /// The paths that end here.
    ends: Vec<usize>,
    /// How many nodes are in its subtree.
    size: usize,
}

/// Where the walk along the tree is at a node.
enum TreeState<W> {
    Going {
        walk: Walk<W>,
        holding: Option<(usize, Kind)>,
        /// The folders of the way are still looked at for the name (no file met yet).
        looking: bool,
    },
    Ended {
        reached: Reached,
        holding: Option<(usize, Kind)>,
    },
}

fn locate_each_with<W: Walker>(walker: W, paths: &[&Path], name: &OsStr) -> Vec<Looked> {
    let mut results = vec![
        Looked {
            reached: Reached::Unreadable,
            is_link: false,
            holding: None,
        };
        paths.len()
    ];
    let mut nodes = vec![TreeNode {
        component: None,
        parent: 0,
        depth: 0,
        children: Vec::new(),
        ends: Vec::new(),
        size: 1,
    }];
    let mut index: std::collections::HashMap<(usize, &OsStr), usize> = Default::default();
    for (i, path) in paths.iter().enumerate() {
        if !path.is_absolute() {
            continue;
        }
        let mut at = 0;
        for component in path.components() {
            let key = (at, component.as_os_str());
            at = match index.get(&key) {
                Some(&child) => child,
                None => {
                    let child = nodes.len();
                    let depth = nodes.get(at).map_or(0, |n| n.depth) + 1;
                    nodes.push(TreeNode {
                        component: Some(component),
                        parent: at,
                        depth,
                        children: Vec::new(),
                        ends: Vec::new(),
                        size: 1,
                    });
                    if let Some(node) = nodes.get_mut(at) {
                        node.children.push(child);
                    }
                    index.insert(key, child);
                    child
                }
            };
        }
        if let Some(node) = nodes.get_mut(at) {
            node.ends.push(i);
        }
    }
    drop(index);
    // A child comes after its parent: the sizes add up from the last node.
    for n in (1..nodes.len()).rev() {
        let (size, parent) = (nodes[n].size, nodes[n].parent);
        nodes[parent].size += size;
    }
    // The largest subtree last: a walk is forked (a folder held open) for each other child and
    // handed on to the last, so the walks held at once are those of the nodes on the way whose
    // child there is not their largest, at most log2 of the nodes.
    let sizes: Vec<usize> = nodes.iter().map(|n| n.size).collect();
    for node in &mut nodes {
        node.children
            .sort_by_key(|&c| sizes.get(c).copied().unwrap_or(0));
    }
    drop(sizes);

    // The path naming node `n` up to its component `i`.
    let spell = |n: usize, i: usize| -> PathBuf {
        let mut names = Vec::new();
        let mut at = n;
        while let Some(node) = nodes.get(at) {
            let Some(component) = node.component else {
                break;
            };
            if node.depth <= i + 1 {
                names.push(component);
            }
            at = node.parent;
        }
        names.into_iter().rev().collect()
    };

    let start = TreeState::Going {
        walk: Walk::new(walker, false),
        holding: None,
        looking: true,
    };
    // Each node on the way: its next child to visit, and its state until its last child takes it.
    let mut stack: Vec<(usize, usize, Option<TreeState<W>>)> = vec![(0, 0, Some(start))];
    while let Some((node, next, state)) = stack.last_mut() {
        let Some(&child) = nodes[*node].children.get(*next) else {
            stack.pop();
            continue;
        };
        *next += 1;
        let last = *next == nodes[*node].children.len();
        let forked = match state {
            _ if last => state.take(),
            Some(TreeState::Going {
                walk,
                holding,
                looking,
            }) => Some(match walk.fork() {
                Ok(walk) => TreeState::Going {
                    walk,
                    holding: *holding,
                    looking: *looking,
                },
                // No folder could be held open: the subtree is not looked at.
                Err(_) => TreeState::Ended {
                    reached: Reached::Unreadable,
                    holding: None,
                },
            }),
            Some(TreeState::Ended { reached, holding }) => Some(TreeState::Ended {
                reached: reached.clone(),
                holding: *holding,
            }),
            None => None,
        };
        let Some(state) = forked else {
            continue;
        };
        let (state, is_link) = tree_step(state, &nodes[child], child, name, &spell);
        for &end in &nodes[child].ends {
            let (reached, holding) = match &state {
                TreeState::Going { holding, .. } => (Reached::Found, *holding),
                TreeState::Ended { reached, holding } => (reached.clone(), *holding),
            };
            if let Some(result) = results.get_mut(end) {
                *result = Looked {
                    reached,
                    is_link,
                    holding,
                };
            }
        }
        if !nodes[child].children.is_empty() {
            stack.push((child, 0, Some(state)));
        }
    }
    results
}

/// Take the step of `node` (numbered `n`) from `state`; with whether its name is a link.
fn tree_step<W: Walker>(
    state: TreeState<W>,
    node: &TreeNode,
    n: usize,
    name: &OsStr,
    spell: &dyn Fn(usize, usize) -> PathBuf,
) -> (TreeState<W>, bool) {
    let TreeState::Going {
        mut walk,
        mut holding,
        mut looking,
    } = state
    else {
        return (state, false);
    };
    let i = node.depth.saturating_sub(1);
    let mut pending: VecDeque<(Step, Option<usize>)> = VecDeque::new();
    match node.component {
        Some(Component::Normal(part)) => {
            pending.push_back((Step::Name(part.to_os_string()), Some(i)))
        }
        Some(Component::ParentDir) => pending.push_back((Step::Parent, Some(i))),
        Some(Component::CurDir) | None => {}
        // The root (with its prefix): as `steps` makes it of the whole name.
        Some(_) => pending.extend(
            steps(&spell(n, i), true)
                .into_iter()
                .filter(|(_, index)| *index == Some(i)),
        ),
    }
    let ended = walk.run(&mut pending, &|at| spell(n, at));
    let is_link = walk.last_link == Some(i);
    if let Some((located, _)) = ended {
        let reached = match located {
            Located::Found { .. } => Reached::Found,
            Located::Link { link, .. } => Reached::Link { link },
            Located::Unreadable { .. } => Reached::Unreadable,
        };
        return (TreeState::Ended { reached, holding }, is_link);
    }
    if walk.file {
        looking = false;
    }
    if looking {
        if let Ok(Some(kind)) = walk.walker.kind_of(name) {
            holding = Some((node.depth, kind));
        }
    }
    let state = TreeState::Going {
        walk,
        holding,
        looking,
    };
    (state, is_link)
}

/// The portable walker: each step looks at the whole path (the system walks all of it).
#[derive(Default)]
#[cfg_attr(unix, allow(dead_code))]
struct PathWalker {
    here: PathBuf,
    track_repositories: bool,
}

#[cfg_attr(unix, allow(dead_code))]
fn entry_of(meta: io::Result<std::fs::Metadata>) -> io::Result<Entry> {
    match meta {
        Ok(meta) if meta.file_type().is_symlink() => Ok(Entry::Link),
        Ok(meta) if meta.is_dir() => Ok(Entry::Dir),
        Ok(_) => Ok(Entry::Other),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Entry::Missing),
        Err(e) => Err(e),
    }
}

impl Walker for PathWalker {
    fn root(&mut self, root: &Path) -> io::Result<()> {
        self.here = root.to_path_buf();
        Ok(())
    }
    fn step(&mut self, name: &OsStr) -> io::Result<Entry> {
        let entry = entry_of(std::fs::symlink_metadata(self.here.join(name)))?;
        if let Entry::Dir = entry {
            self.here.push(name);
        }
        Ok(entry)
    }
    fn leave(&mut self) -> io::Result<()> {
        self.here.pop();
        Ok(())
    }
    fn read_link(&self, name: &OsStr) -> io::Result<PathBuf> {
        std::fs::read_link(self.here.join(name))
    }
    fn in_work_tree(&self) -> bool {
        self.here
            .ancestors()
            .any(|a| std::fs::symlink_metadata(a.join(".git")).is_ok())
    }
    fn repository(&self, here: &Path) -> Option<PathBuf> {
        if !self.track_repositories {
            return None;
        }
        here.ancestors()
            .find(|a| is_repository(&a.join(".git"), true))
            .map(Path::to_path_buf)
    }
    fn kind_of(&self, name: &OsStr) -> io::Result<Option<Kind>> {
        match std::fs::symlink_metadata(self.here.join(name)) {
            Ok(meta) => Ok(Some(Kind::of(meta.file_type()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
    fn fork(&self) -> io::Result<Self> {
        Ok(PathWalker {
            here: self.here.clone(),
            track_repositories: self.track_repositories,
        })
    }
}

/// The walker of unix systems: an open folder (`O_PATH` on Linux) and the names looked at in
/// it (`fstatat`, `openat`, `readlinkat`), so no system call gets more than one name.
#[cfg(unix)]
pub(crate) mod fd {
    use super::{Entry, Kind, Walker};
    use std::ffi::{CString, OsStr};
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Path, PathBuf};

    /// How a folder is opened to look at names in it: it is never read.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const SEARCH: libc::c_int = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    const SEARCH: libc::c_int =
        libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC | libc::O_NONBLOCK;

    fn c_name(name: &OsStr) -> io::Result<CString> {
        CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    }

    /// Open the folder `name` in `at` (`at` itself is `AT_FDCWD` for a path): `follow` says
    /// whether a link is followed.
    pub(crate) fn open_dir(at: RawFd, name: &OsStr, follow: bool) -> io::Result<OwnedFd> {
        open_dir_as(at, name, follow, SEARCH)
    }

    /// [`open_dir`] opened to be listed (`readdir`), not only looked in.
    pub(crate) fn open_dir_to_list(at: RawFd, name: &OsStr, follow: bool) -> io::Result<OwnedFd> {
        let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC | libc::O_NONBLOCK;
        open_dir_as(at, name, follow, flags)
    }

    fn open_dir_as(
        at: RawFd,
        name: &OsStr,
        follow: bool,
        flags: libc::c_int,
    ) -> io::Result<OwnedFd> {
        let name = c_name(name)?;
        let flags = if follow {
            flags
        } else {
            flags | libc::O_NOFOLLOW
        };
        // SAFETY: `name` is a NUL-terminated string that outlives the call.
        let fd = unsafe { libc::openat(at, name.as_ptr(), flags) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and is owned by nobody else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// The type bits (`S_IFMT`) of `name` in `at`, not following a link; `None` when missing.
    pub(crate) fn kind_at(at: RawFd, name: &OsStr) -> io::Result<Option<libc::mode_t>> {
        match stat_at(at, name, false) {
            Ok(stat) => Ok(Some(stat.st_mode & libc::S_IFMT)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// What `fstatat` says of `name` in `at` (`AT_FDCWD` for a path); `follow` says whether a
    /// link as the last name is followed.
    pub(crate) fn stat_at(at: RawFd, name: &OsStr, follow: bool) -> io::Result<libc::stat> {
        let name = c_name(name)?;
        let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
        let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
        // SAFETY: `name` is NUL-terminated and `stat` has room for the result.
        let done = unsafe { libc::fstatat(at, name.as_ptr(), stat.as_mut_ptr(), flags) };
        if done != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fstatat` succeeded, so it filled `stat`.
        Ok(unsafe { stat.assume_init() })
    }

    /// Open the file `name` in `at` (`AT_FDCWD` for a path) to read it, as
    /// [`crate::read_bytes`] does: a regular file only (looked at first, so a FIFO or a device
    /// is never opened; `None` for anything else), non-blocking; `follow` says whether a link
    /// is followed.
    pub(crate) fn open_file(at: RawFd, name: &OsStr, follow: bool) -> io::Result<Option<File>> {
        if stat_at(at, name, follow)?.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Ok(None);
        }
        let c = c_name(name)?;
        let mut flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC;
        if !follow {
            flags |= libc::O_NOFOLLOW;
        }
        // SAFETY: `c` is a NUL-terminated string that outlives the call.
        let fd = unsafe { libc::openat(at, c.as_ptr(), flags) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just opened and is owned by nobody else.
        Ok(Some(File::from(unsafe { OwnedFd::from_raw_fd(fd) })))
    }

    /// [`open_file`] for a path (a link as the last name followed), its folder opened one name
    /// at a time, as the system resolves it, when the whole path is over the system's limit
    /// (`ENAMETOOLONG`).
    pub(crate) fn open_path(path: &Path) -> io::Result<Option<File>> {
        let whole = open_file(libc::AT_FDCWD, path.as_os_str(), true);
        let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
            return whole;
        };
        match whole {
            Err(e) if e.raw_os_error() == Some(libc::ENAMETOOLONG) => {}
            other => return other,
        }
        let mut dir: Option<OwnedFd> = None;
        for component in folder.components() {
            let from = dir.as_ref().map_or(libc::AT_FDCWD, AsRawFd::as_raw_fd);
            dir = Some(open_dir(from, component.as_os_str(), true)?);
        }
        let from = dir.as_ref().map_or(libc::AT_FDCWD, AsRawFd::as_raw_fd);
        open_file(from, name, true)
    }

    /// [`super::canonical`] as the system resolves `path` (one `open` of it with `O_PATH`, which
    /// opens no file, not even a FIFO or a device) and then names the file it opened
    /// (`/proc/self/fd`, checked once to be the kernel's): one walk of the path by the system,
    /// none of ours. `Some(None)` when the path leads to nothing (a missing name, a file taken
    /// for a folder); `None` when the system gives no answer the walk would give too (an error
    /// of another kind, a path or place over `PATH_MAX`, no `/proc`, a place not named by a
    /// path from the root, a path ending in `/.`, which the walk takes for the name before it):
    /// the caller walks the path.
    #[cfg(target_os = "linux")]
    pub(super) fn canonical_by_system(path: &Path) -> Option<Option<PathBuf>> {
        let bytes = path.as_os_str().as_bytes();
        if bytes.is_empty() || bytes.ends_with(b"/.") || !proc_is_procfs() {
            return None;
        }
        let name = c_name(path.as_os_str()).ok()?;
        // SAFETY: `name` is a NUL-terminated string that outlives the call.
        let fd = unsafe { libc::open(name.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
        if fd < 0 {
            let error = io::Error::last_os_error().raw_os_error();
            return matches!(error, Some(libc::ENOENT | libc::ENOTDIR)).then_some(None);
        }
        // SAFETY: `fd` was just opened and is owned by nobody else.
        let opened = unsafe { OwnedFd::from_raw_fd(fd) };
        let link = CString::new(format!("/proc/self/fd/{}", opened.as_raw_fd())).ok()?;
        // One call with room for the longest path (`std::fs::read_link` starts small and asks
        // again, five times for a path of 4 KB).
        let mut buffer = [0u8; libc::PATH_MAX as usize + 1];
        // SAFETY: `link` is NUL-terminated and `buffer` has room for `buffer.len()` bytes.
        let len =
            unsafe { libc::readlink(link.as_ptr(), buffer.as_mut_ptr().cast(), buffer.len()) };
        let len = usize::try_from(len)
            .ok()
            .filter(|&len| len < buffer.len())?;
        let real = buffer.get(..len)?;
        // A place outside the root is named `(unreachable)/...`, a file deleted since
        // `... (deleted)`: the walk says what the path names now.
        if !real.starts_with(b"/") || real.ends_with(b" (deleted)") {
            return None;
        }
        // A copy of its own length: callers keep tens of thousands of these.
        Some(Some(PathBuf::from(OsStr::from_bytes(real))))
    }

    /// Whether `/proc` is the kernel's (its file system's magic number), asked once: what
    /// `/proc/self/fd` says of a descriptor is believed only then.
    #[cfg(target_os = "linux")]
    fn proc_is_procfs() -> bool {
        static PROCFS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *PROCFS.get_or_init(|| {
            let mut fs = std::mem::MaybeUninit::<libc::statfs>::uninit();
            // SAFETY: the path is NUL-terminated and `fs` has room for the result.
            let done = unsafe { libc::statfs(c"/proc/self/fd".as_ptr(), fs.as_mut_ptr()) };
            // SAFETY: `statfs` succeeded, so it filled `fs`.
            done == 0 && unsafe { fs.assume_init() }.f_type == libc::PROC_SUPER_MAGIC
        })
    }

    /// Whether `.git` (of any kind) is in the folder `at`: what such a folder holds can come
    /// from a repository, so a link in it is not followed (the safe side: a `.git` git would
    /// not take for a repository still counts here).
    fn has_git(at: RawFd) -> bool {
        matches!(kind_at(at, OsStr::new(".git")), Ok(Some(_)))
    }

    /// Whether the folder `at` is the top of a repository, its `.git` followed when it is a
    /// link, as git does ([`git_at`]).
    fn has_repository(at: RawFd) -> bool {
        git_at(at, OsStr::new(".git"), true)
    }

    /// Whether `git` (a name in the folder `at`, or a path from `AT_FDCWD`) makes its folder a
    /// repository as git sees it ([`super::is_repository`]); `follow`: a link is followed, else
    /// it is none. A `.git` file is opened non-blocking and only its first bytes are read.
    pub(crate) fn git_at(at: RawFd, git: &OsStr, follow: bool) -> bool {
        let Ok(stat) = stat_at(at, git, follow) else {
            return false;
        };
        match stat.st_mode & libc::S_IFMT {
            libc::S_IFDIR => {
                let Ok(dir) = open_dir(at, git, follow) else {
                    return false;
                };
                let at = dir.as_raw_fd();
                let head = OsStr::new("HEAD");
                // A FIFO or device for `HEAD` (git would wait on it) counts too: change mode
                // then refuses the repository by name instead of passing it by.
                let head_ok = match kind_at(at, head).ok().flatten() {
                    Some(libc::S_IFREG) => open_file(at, head, false).is_ok_and(|file| {
                        use std::io::Read;
                        let mut start = Vec::new();
                        file.is_some_and(|file| {
                            file.take(super::HEAD_PREFIX)
                                .read_to_end(&mut start)
                                .is_ok()
                        }) && super::valid_head(&start)
                    }),
                    // git takes a link only to a name under `refs/`; any counts here, as a
                    // FIFO does, so that change mode refuses one to `/proc/kmsg` by name.
                    Some(libc::S_IFDIR) | None => false,
                    Some(_) => true,
                };
                // `objects` and `refs` may be links (`git-new-workdir`): followed, as git's
                // `access` does; only whether they are folders is asked.
                let folder = |name: &str| {
                    stat_at(at, OsStr::new(name), true)
                        .is_ok_and(|stat| stat.st_mode & libc::S_IFMT == libc::S_IFDIR)
                };
                head_ok && folder("objects") && folder("refs")
            }
            libc::S_IFREG
                if u64::try_from(stat.st_size).is_ok_and(|size| size <= super::MAX_GIT_FILE) =>
            {
                use std::io::Read;
                let Ok(Some(file)) = open_file(at, git, follow) else {
                    return false;
                };
                let mut start = Vec::with_capacity(GITDIR.len());
                file.take(GITDIR.len() as u64)
                    .read_to_end(&mut start)
                    .is_ok_and(|_| start == GITDIR)
            }
            _ => false,
        }
    }

    /// How a `.git` file that names a repository starts.
    const GITDIR: &[u8] = b"gitdir:";

    #[derive(Default)]
    pub(super) struct FdWalker {
        /// Whether folders are looked at for a `.git` ([`Walker::in_work_tree`] is asked).
        track_work_tree: bool,
        dir: Option<OwnedFd>,
        /// How many folders below the root the walk is.
        depth: usize,
        /// The depth of the outermost folder on the way holding a `.git`.
        work_tree: Option<usize>,
        /// Whether the folders on the way holding a `.git` as git sees it are tracked
        /// ([`Walker::repository`]).
        pub(super) track_repositories: bool,
        /// The depths of the folders on the way holding a `.git` as git sees it, outermost
        /// first.
        repositories: Vec<usize>,
    }

    impl FdWalker {
        pub(super) fn new(track_work_tree: bool) -> Self {
            FdWalker {
                track_work_tree,
                ..FdWalker::default()
            }
        }

        fn at(&self) -> io::Result<RawFd> {
            self.dir
                .as_ref()
                .map(AsRawFd::as_raw_fd)
                .ok_or_else(|| io::Error::other("no folder to start from"))
        }
    }

    impl Walker for FdWalker {
        fn root(&mut self, root: &Path) -> io::Result<()> {
            let dir = open_dir(libc::AT_FDCWD, root.as_os_str(), true)?;
            self.depth = 0;
            self.work_tree = (self.track_work_tree && has_git(dir.as_raw_fd())).then_some(0);
            self.repositories.clear();
            if self.track_repositories && has_repository(dir.as_raw_fd()) {
                self.repositories.push(0);
            }
            self.dir = Some(dir);
            Ok(())
        }
        fn step(&mut self, name: &OsStr) -> io::Result<Entry> {
            // Most names on the way are folders: opened at once, one call. Anything else
            // (a link, a file, missing) fails to open as a folder and is looked at then.
            let dir = match open_dir(self.at()?, name, false) {
                Ok(dir) => dir,
                Err(error) => {
                    return match kind_at(self.at()?, name)? {
                        None => Ok(Entry::Missing),
                        Some(libc::S_IFLNK) => Ok(Entry::Link),
                        // A folder that cannot be opened (no permission): not walked past.
                        Some(libc::S_IFDIR) => Err(error),
                        Some(_) => Ok(Entry::Other),
                    };
                }
            };
            self.depth += 1;
            if self.track_work_tree && self.work_tree.is_none() && has_git(dir.as_raw_fd()) {
                self.work_tree = Some(self.depth);
            }
            if self.track_repositories && has_repository(dir.as_raw_fd()) {
                self.repositories.push(self.depth);
            }
            self.dir = Some(dir);
            Ok(Entry::Dir)
        }
        fn leave(&mut self) -> io::Result<()> {
            let dir = open_dir(self.at()?, OsStr::new(".."), false)?;
            self.depth = self.depth.saturating_sub(1);
            if self.work_tree.is_some_and(|at| at > self.depth) {
                self.work_tree = None;
            }
            while self.repositories.last().is_some_and(|&at| at > self.depth) {
                self.repositories.pop();
            }
            self.dir = Some(dir);
            Ok(())
        }
        fn read_link(&self, name: &OsStr) -> io::Result<PathBuf> {
            let c = c_name(name)?;
            let mut buffer = vec![0u8; 4096];
            loop {
                // SAFETY: `c` is NUL-terminated; `buffer` has `buffer.len()` bytes of room.
                let len = unsafe {
                    libc::readlinkat(
                        self.at()?,
                        c.as_ptr(),
                        buffer.as_mut_ptr().cast(),
                        buffer.len(),
                    )
                };
                let Ok(len) = usize::try_from(len) else {
                    return Err(io::Error::last_os_error());
                };
                if len < buffer.len() {
                    buffer.truncate(len);
                    return Ok(PathBuf::from(std::ffi::OsString::from_vec(buffer)));
                }
                if buffer.len() >= 1 << 20 {
                    return Err(io::Error::other("a link target over 1 MiB"));
                }
                buffer.resize(buffer.len() * 2, 0);
            }
        }
        fn in_work_tree(&self) -> bool {
            self.work_tree.is_some()
        }
        /// `here` is the walk's folder: its first components down to the depth of the
        /// innermost repository on the way (the root is one component, `/`).
        fn repository(&self, here: &Path) -> Option<PathBuf> {
            let depth = *self.repositories.last()?;
            Some(here.components().take(depth + 1).collect())
        }
        fn kind_of(&self, name: &OsStr) -> io::Result<Option<Kind>> {
            Ok(kind_at(self.at()?, name)?.map(Kind::of_mode))
        }
        fn fork(&self) -> io::Result<Self> {
            Ok(FdWalker {
                track_work_tree: self.track_work_tree,
                dir: self.dir.as_ref().map(OwnedFd::try_clone).transpose()?,
                depth: self.depth,
                work_tree: self.work_tree,
                track_repositories: self.track_repositories,
                repositories: self.repositories.clone(),
            })
        }
    }

    use std::os::unix::ffi::OsStringExt;
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn found(real: &Path, dir: &Path) -> Located {
        Located::Found {
            real: real.to_path_buf(),
            dir: dir.to_path_buf(),
        }
    }

    #[test]
    fn paths_are_cleaned_as_written() {
        for (path, cleaned) in [
            ("a/./b/../c", "a/c"),
            ("../a/../../b", "../../b"),
            ("/../a/..", "/"),
            ("./", ""),
            ("a/b/../../..", ".."),
        ] {
            assert_eq!(clean(Path::new(path)), PathBuf::from(cleaned), "{path}");
        }
    }

    #[test]
    fn presence_is_told_only_below_the_root_and_never_through_a_link() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (root, outside) = (tmp.path().join("root"), tmp.path().join("outside"));
        for dir in [root.join("app/config"), outside.clone()] {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        std::fs::write(root.join("app/config/sidekiq.yml"), "").expect("write");
        std::fs::write(root.join("file"), "").expect("write");
        std::fs::write(outside.join("gunicorn.conf.py"), "").expect("write");
        symlink(&outside, root.join("out")).expect("symlink");
        let at = |path: &str| present_below(&root, &root.join(path));
        assert_eq!(at("app/config/sidekiq.yml"), Some(true));
        assert_eq!(at("deploy/../app/./config/sidekiq.yml"), Some(true));
        assert_eq!(at("app/gunicorn.conf.py"), Some(false));
        assert_eq!(at("missing/gunicorn.conf.py"), Some(false));
        assert_eq!(at("file/gunicorn.conf.py"), Some(false));
        // The link itself is something; what it leads to is not looked at.
        assert_eq!(at("out"), Some(true));
        assert_eq!(at("out/gunicorn.conf.py"), None);
        assert_eq!(at("../outside/gunicorn.conf.py"), None);
        assert_eq!(
            present_below(&root, &outside.join("gunicorn.conf.py")),
            None
        );
        assert_eq!(present_below(&root, &root), None);
    }

    #[test]
    fn links_in_a_work_tree_are_not_followed() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = tmp.path().canonicalize().expect("canonical");
        let repo = top.join("repo");
        let other = top.join("other");
        for dir in [repo.join(".git"), repo.join("app/db"), other.join("db")] {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        std::fs::write(repo.join("app/Dockerfile"), "FROM x\n").expect("write");
        symlink("../other", repo.join("deploy")).expect("symlink");
        symlink("app", repo.join("inside")).expect("symlink");
        symlink(repo.join("deploy"), top.join("outside")).expect("symlink");
        symlink(&repo, top.join("projects")).expect("symlink");

        let at = |given: &str| locate(Path::new(given), &repo);
        let link = |link: &str, whole: bool| Located::Link {
            link: PathBuf::from(link),
            whole,
        };
        assert_eq!(at("deploy"), link("deploy", true));
        assert_eq!(at("deploy/"), link("deploy", true));
        assert_eq!(at("./deploy/db"), link("./deploy", false));
        assert_eq!(at("deploy/../app"), link("deploy", false));
        assert_eq!(at("inside"), link("inside", true));
        assert_eq!(at("app/../inside/Dockerfile"), link("app/../inside", false));
        let absolute = repo.join("deploy");
        assert_eq!(
            locate(&absolute, Path::new("/")),
            Located::Link {
                link: absolute.clone(),
                whole: true
            }
        );
        // A link outside the work tree is followed, and the link it leads to is not.
        assert_eq!(
            locate(&top.join("outside/db"), &top),
            Located::Link {
                link: absolute,
                whole: false
            }
        );
        assert_eq!(
            locate(Path::new("projects/app/Dockerfile"), &top),
            found(&repo.join("app/Dockerfile"), &repo.join("app"))
        );
        assert_eq!(at("."), found(&repo, &repo));
        assert_eq!(at("app/db/.."), found(&repo.join("app"), &repo.join("app")));
        assert_eq!(
            at("../other/db"),
            found(&other.join("db"), &other.join("db"))
        );
        // Missing: the nearest folder that exists is where the repository is looked for.
        assert_eq!(
            at("app/gone/x"),
            found(&repo.join("app/gone/x"), &repo.join("app"))
        );
        assert_eq!(
            at("app/Dockerfile/x"),
            found(&repo.join("app/Dockerfile/x"), &repo.join("app"))
        );
    }

    /// A `.git` folder git takes for a repository.
    fn git_dir(git: &Path) {
        for folder in ["objects", "refs"] {
            std::fs::create_dir_all(git.join(folder)).expect("mkdir");
        }
        std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").expect("write");
    }

    /// git's test of a `.git` folder: `HEAD` must be a ref or an object id (an empty or
    /// garbage one makes no repository), and `objects` and `refs` may be links to folders
    /// (`git-new-workdir`, whose work trees were taken for no repository: change mode ended
    /// with "not inside a git repository", or reviewed the repository around it). A `.git` file
    /// up to git's 1 MiB counts.
    #[test]
    fn git_takes_a_dot_git_by_its_head_and_followed_folders() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = tmp.path();
        let git = |name: &str| top.join(name).join(".git");
        let with_head = |name: &str, head: &str| {
            git_dir(&git(name));
            std::fs::write(git(name).join("HEAD"), head).expect("write");
        };
        with_head("ref", "ref: refs/heads/main\n");
        with_head("spaced", "ref:\t refs/heads/main\n");
        with_head("detached", &format!("{}\n", "a1".repeat(20)));
        with_head("sha256", &"0f".repeat(32));
        with_head("empty", "");
        with_head("garbage", "garbage\n");
        with_head("short", "abc123\n");
        with_head("outside", "ref: heads/main\n");
        git_dir(&top.join("main/.git"));
        std::fs::create_dir_all(git("workdir")).expect("mkdir");
        std::fs::write(git("workdir").join("HEAD"), "ref: refs/heads/main\n").expect("write");
        symlink(
            top.join("main/.git/objects"),
            git("workdir").join("objects"),
        )
        .expect("symlink");
        symlink(top.join("main/.git/refs"), git("workdir").join("refs")).expect("symlink");
        git_dir(&git("linkhead"));
        std::fs::remove_file(git("linkhead").join("HEAD")).expect("rm");
        symlink("refs/heads/main", git("linkhead").join("HEAD")).expect("symlink");
        std::fs::create_dir_all(top.join("big")).expect("mkdir");
        let mut pointer = b"gitdir: ../main/.git\n".to_vec();
        pointer.resize(1 << 20, b'\n');
        std::fs::write(git("big"), &pointer).expect("write");
        std::fs::create_dir_all(top.join("huge")).expect("mkdir");
        pointer.push(b'\n');
        std::fs::write(git("huge"), &pointer).expect("write");
        for (name, expected) in [
            ("ref", true),
            ("spaced", true),
            ("detached", true),
            ("sha256", true),
            ("workdir", true),
            ("linkhead", true),
            ("big", true),
            ("empty", false),
            ("garbage", false),
            ("short", false),
            ("outside", false),
            ("huge", false),
        ] {
            assert_eq!(is_repository(&git(name), false), expected, "{name}");
        }
    }

    /// The repository of a path's folder is the nearest folder with a `.git` as git sees it
    /// (a dangling link, an empty `.git` folder or one without `HEAD`, a file that is not
    /// `gitdir:` are none; a link to a repository is followed), learned on the walk, also
    /// after `..`. Any `.git` counted, so an empty one made its folder a repository of its own.
    #[test]
    fn the_repository_is_found_on_the_walk() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = tmp.path().canonicalize().expect("canonical");
        let repo = top.join("repo");
        git_dir(&repo.join(".git"));
        git_dir(&repo.join("n/.git"));
        for dir in [
            repo.join("n/x/y"),
            repo.join("e/.git"),
            repo.join("h/.git/objects"),
            repo.join("h/.git/refs"),
            repo.join("f"),
            repo.join("s"),
            repo.join("l"),
        ] {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        std::fs::write(repo.join("f/.git"), "not a pointer\n").expect("write");
        std::fs::write(repo.join("s/.git"), "gitdir: ../.git/modules/s\n").expect("write");
        symlink(repo.join("n/.git"), repo.join("l/.git")).expect("symlink");
        std::fs::create_dir_all(repo.join("m/z")).expect("mkdir");
        symlink("gone", repo.join("m/.git")).expect("symlink");
        let at = |given: &str| locate_repository(Path::new(given), &top).1;
        for (given, repository) in [
            ("repo/e", "repo"),
            ("repo/h", "repo"),
            ("repo/f", "repo"),
            ("repo/s", "repo/s"),
            ("repo/l", "repo/l"),
        ] {
            assert_eq!(at(given), Some(top.join(repository)), "{given}");
        }
        // Not followed: the link is none.
        assert!(!is_repository(&repo.join("l/.git"), false));
        assert!(is_repository(&repo.join("s/.git"), false));
        assert_eq!(at("repo/n/x/y"), Some(repo.join("n")));
        assert_eq!(at("repo/n/x/missing/file"), Some(repo.join("n")));
        assert_eq!(at("repo/n/x/../.."), Some(repo.clone()));
        assert_eq!(at("repo/m/z"), Some(repo.clone()));
        assert_eq!(at("repo"), Some(repo.clone()));
        assert_eq!(at("."), None);
        for given in [
            "repo/n/x/y",
            "repo/n/x/../..",
            "repo/m/z",
            ".",
            "repo/e",
            "repo/f",
            "repo/l",
        ] {
            let by_path = PathWalker {
                track_repositories: true,
                ..PathWalker::default()
            };
            assert_eq!(
                locate_with(by_path, Path::new(given), &top, false).2,
                at(given),
                "{given}"
            );
        }
    }

    #[test]
    fn a_loop_of_links_ends() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = tmp.path().canonicalize().expect("canonical");
        symlink("b", top.join("a")).expect("symlink");
        symlink("a", top.join("b")).expect("symlink");
        // Past the system's limit the walk stops there, and what is past it is not looked
        // at (it used to count as missing, hence as found).
        assert!(matches!(
            locate(Path::new("a/x"), &top),
            Located::Unreadable { path, .. } if path.ends_with("a")
        ));
        assert_eq!(canonical(&top.join("a/x")), None);
    }

    /// A link met past `PATH_MAX` bytes from the root (the working directory's path and the
    /// argument together, each shorter): each step looks at one name from an open folder, so
    /// the link is seen. `lstat` of the whole path failed with `ENAMETOOLONG`, taken for
    /// "missing": the path counted as found and was opened through the link.
    #[test]
    fn a_link_past_path_max_is_seen() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = tmp.path().canonicalize().expect("canonical");
        let repo = top.join("repo");
        std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
        let depth = 2040;
        // Made from open folders: a whole path would pass `PATH_MAX` too.
        let mut at = fd::open_dir(libc::AT_FDCWD, repo.as_os_str(), true).expect("open");
        let name = std::ffi::CString::new("d").expect("name");
        for _ in 0..depth {
            use std::os::fd::AsRawFd;
            // SAFETY: `name` is NUL-terminated; `at` is an open folder.
            let made = unsafe { libc::mkdirat(at.as_raw_fd(), name.as_ptr(), 0o755) };
            assert_eq!(made, 0, "{}", io::Error::last_os_error());
            at = fd::open_dir(at.as_raw_fd(), OsStr::new("d"), false).expect("open");
        }
        let (target, link) = (
            std::ffi::CString::new("/tmp").expect("target"),
            std::ffi::CString::new("L").expect("link"),
        );
        // SAFETY: both strings are NUL-terminated; `at` is an open folder.
        let linked = unsafe {
            use std::os::fd::AsRawFd;
            libc::symlinkat(target.as_ptr(), at.as_raw_fd(), link.as_ptr())
        };
        assert_eq!(linked, 0, "{}", io::Error::last_os_error());
        let argument = PathBuf::from(format!("{}L/Dockerfile", "d/".repeat(depth)));
        assert!(argument.as_os_str().len() < 4096);
        assert!(repo.join(&argument).as_os_str().len() > 4096);
        let link: PathBuf = argument.components().take(depth + 1).collect();
        assert_eq!(
            locate(&argument, &repo),
            Located::Link { link, whole: false }
        );
    }

    /// Where the system answers for [`canonical`] (on Linux, one open of the path and what
    /// `/proc/self/fd` says of it), it answers as the walk does: links followed, `..` taken
    /// after them, missing names, files taken for folders, loops of links.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_system_resolves_paths_as_the_walk_does() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = tmp.path().canonicalize().expect("canonical");
        for dir in [top.join("repo/app/db"), top.join("other/db")] {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        std::fs::write(top.join("repo/app/Dockerfile"), "FROM x\n").expect("write");
        symlink("../other", top.join("repo/deploy")).expect("symlink");
        symlink(top.join("repo/app"), top.join("outside")).expect("symlink");
        symlink("outside/db/../..", top.join("up")).expect("symlink");
        symlink("Dockerfile", top.join("repo/app/file")).expect("symlink");
        symlink("gone", top.join("dangling")).expect("symlink");
        symlink("b", top.join("a")).expect("symlink");
        symlink("a", top.join("b")).expect("symlink");
        let names = [
            ".",
            "..",
            "repo",
            "repo/app/",
            "repo/app/Dockerfile",
            "repo/app/Dockerfile/",
            "repo/app/Dockerfile/.",
            "repo/app/Dockerfile/..",
            "repo/app/Dockerfile/x",
            "repo/app/./db/..",
            "repo/app/file",
            "repo/app/file/",
            "repo/deploy/db",
            "outside/Dockerfile",
            "outside/../app",
            "up/app",
            "dangling",
            "dangling/x",
            "a/x",
            "missing/../x",
        ];
        let mut answered = 0;
        for name in names {
            let absolute = top.join(name);
            let walked = canonical_walked(&absolute);
            // The walk takes `file/.` for `file` (the system for nothing): the system is not
            // asked for a path ending in `/.`, so that `canonical` says what it said.
            if !name.ends_with("/.") {
                assert_eq!(walked, absolute.canonicalize().ok(), "{name}");
            }
            if let Some(known) = fd::canonical_by_system(&absolute) {
                assert_eq!(known, walked, "{name}");
                answered += 1;
            }
            assert_eq!(canonical(&absolute), walked, "{name}");
        }
        // Relative paths, from the working directory.
        let here = std::env::current_dir().expect("cwd");
        for name in ["src", "src/../Cargo.toml", "missing"] {
            let given = Path::new(name);
            let walked = canonical_walked(given);
            assert_eq!(walked, here.join(name).canonicalize().ok(), "{name}");
            assert_eq!(canonical(given), walked, "{name}");
        }
        // Where `/proc` is mounted, the system answered all but the loop and the two paths
        // ending in `/.`.
        if fd::canonical_by_system(&top).is_some() {
            assert_eq!(answered, names.len() - 3);
        }
    }

    /// The walk from open folders says what the walk by whole paths says, on every spelling
    /// of a small tree with links in and out of a work tree; `canonical` what the system says.
    #[test]
    fn both_walkers_agree() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = tmp.path().canonicalize().expect("canonical");
        let repo = top.join("repo");
        for dir in [repo.join(".git"), repo.join("app/db"), top.join("other/db")] {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        std::fs::write(repo.join("app/Dockerfile"), "FROM x\n").expect("write");
        symlink("../other", repo.join("deploy")).expect("symlink");
        symlink("app", repo.join("inside")).expect("symlink");
        symlink(repo.join("app"), top.join("outside")).expect("symlink");
        symlink("outside/db/../..", top.join("up")).expect("symlink");
        symlink("gone", top.join("dangling")).expect("symlink");
        let names = [
            ".",
            "..",
            "repo",
            "repo/app",
            "repo/app/",
            "repo/app/Dockerfile",
            "repo/app/Dockerfile/",
            "repo/app/Dockerfile/..",
            "repo/app/Dockerfile/x",
            "repo/app/db/..",
            "repo/deploy",
            "repo/deploy/db",
            "repo/inside/db",
            "outside",
            "outside/db",
            "outside/Dockerfile",
            "outside/../app",
            "up",
            "up/app",
            "up/deploy/db",
            "dangling",
            "dangling/x",
            "other/db/../db",
            "missing/../x",
        ];
        for name in names {
            for given in [PathBuf::from(name), top.join(name)] {
                for follow_all in [false, true] {
                    assert_eq!(
                        walk(&given, &top, follow_all),
                        {
                            let (located, whole, _) =
                                locate_with(PathWalker::default(), &given, &top, follow_all);
                            (located, whole)
                        },
                        "{} {follow_all}",
                        given.display()
                    );
                }
                let absolute = top.join(&given);
                assert_eq!(
                    canonical(&absolute),
                    absolute.canonicalize().ok(),
                    "{}",
                    absolute.display()
                );
            }
        }
    }

    /// [`locate_each`] says of each path what [`locate`] says, whether its last name is a link,
    /// and where the nearest `.shutdownlint.toml` on its way is, as the configuration's own
    /// lookup finds it, however the paths share their names.
    #[test]
    fn locate_each_says_what_each_path_looked_at_alone_says() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let top = tmp.path().canonicalize().expect("canonical");
        let repo = top.join("repo");
        let other = top.join("other");
        for dir in [
            repo.join(".git"),
            repo.join("app/db/deep"),
            other.join("db"),
            repo.join("cfgdir/.shutdownlint.toml"),
        ] {
            std::fs::create_dir_all(dir).expect("mkdir");
        }
        std::fs::write(repo.join("app/Dockerfile"), "FROM x\n").expect("write");
        std::fs::write(repo.join("app/.shutdownlint.toml"), "").expect("write");
        std::fs::write(other.join(".shutdownlint.toml"), "").expect("write");
        symlink("../other", repo.join("deploy")).expect("symlink");
        symlink("app", repo.join("inside")).expect("symlink");
        symlink(&other, top.join("mine")).expect("symlink");
        symlink(&repo, top.join("projects")).expect("symlink");
        symlink("x", repo.join("app/db/.shutdownlint.toml")).expect("symlink");
        let names = [
            "repo",
            "repo/app",
            "repo/app/db",
            "repo/app/db/deep",
            "repo/app/db/deep/..",
            "repo/app/db/../../app",
            "repo/app/Dockerfile",
            "repo/app/Dockerfile/x",
            "repo/app/Dockerfile/../db",
            "repo/missing/x",
            "repo/deploy",
            "repo/deploy/db",
            "repo/inside",
            "repo/cfgdir",
            "mine",
            "mine/db",
            "mine/../repo/app",
            "projects/app/db",
            "projects/deploy/db",
            "other/db",
        ];
        let paths: Vec<PathBuf> = names.iter().map(|n| top.join(n)).collect();
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        // Each alone, and all together (sharing their names).
        let mut together = locate_each(&refs, OsStr::new(".shutdownlint.toml")).into_iter();
        for path in &paths {
            let alone = locate_each(&[path], OsStr::new(".shutdownlint.toml"));
            assert_eq!(
                alone.first(),
                together.next().as_ref(),
                "{}",
                path.display()
            );
            let looked = alone.into_iter().next().expect("one");
            let reached = match locate(path, Path::new("/")) {
                Located::Found { .. } => Reached::Found,
                Located::Link { link, .. } => Reached::Link { link },
                Located::Unreadable { .. } => Reached::Unreadable,
            };
            assert_eq!(looked.reached, reached, "{}", path.display());
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
            assert_eq!(looked.is_link, is_link, "{}", path.display());
            if reached == Reached::Found {
                let config = crate::config::find_upward(path);
                let found = looked.holding.map(|(n, kind)| {
                    let at: PathBuf = path.components().take(n).collect();
                    (at.join(".shutdownlint.toml"), kind == Kind::File)
                });
                match config {
                    Ok(None) => assert_eq!(found, None, "{}", path.display()),
                    Ok(Some(file)) => assert_eq!(found, Some((file, true)), "{}", path.display()),
                    Err((file, _)) => {
                        assert_eq!(found, Some((file, false)), "{}", path.display())
                    }
                }
            }
        }
        // The portable walker says the same.
        let name = OsStr::new(".shutdownlint.toml");
        assert_eq!(
            locate_each_with(PathWalker::default(), &refs, name),
            locate_each(&refs, name)
        );
        // A path that is not absolute is not looked at.
        let relative = locate_each(&[Path::new("repo")], OsStr::new("x"));
        assert_eq!(relative[0].reached, Reached::Unreadable);
    }
}
