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
}

/// Find `given` (relative to `cwd`, an absolute path without links such as the working
/// directory). Each component of `cwd` and `given` is looked at once (and each link's target).
pub fn locate(given: &Path, cwd: &Path) -> Located {
    walk(given, cwd, false).0
}

/// Where `path` is on disk with every link resolved, as `std::fs::canonicalize` says, at a
/// cost of one step per component and link (the system's `realpath` reads each prefix whole:
/// for a path thousands of folders deep, millions of steps). `None` when it does not exist or
/// cannot be looked at.
pub fn canonical(path: &Path) -> Option<PathBuf> {
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
    {
        let mut walker = fd::FdWalker::new(!follow_all);
        locate_with(&mut walker, given, cwd, follow_all)
    }
    #[cfg(not(unix))]
    {
        locate_with(&mut PathWalker::default(), given, cwd, follow_all)
    }
}

fn locate_with(
    walker: &mut impl Walker,
    given: &Path,
    cwd: &Path,
    follow_all: bool,
) -> (Located, bool) {
    let mut pending: VecDeque<(Step, Option<usize>)> = VecDeque::new();
    if !given.is_absolute() {
        if !cwd.is_absolute() {
            let error = "the working directory is not an absolute path".to_string();
            let path = cwd.to_path_buf();
            return (Located::Unreadable { path, error }, false);
        }
        pending.extend(steps(cwd, false));
    }
    pending.extend(steps(given, true));
    // Where the walk is: a folder, or a file in it (`file`) when the last name was one.
    let mut real = PathBuf::new();
    let mut file = false;
    let mut links = 0;
    // The argument's spelling up to component `index`, or the place on disk of `name`.
    let spelled = |index: Option<usize>, real: &Path, name: &OsStr| match index {
        Some(i) => given.components().take(i + 1).collect(),
        None => real.join(name),
    };
    while let Some((step, index)) = pending.pop_front() {
        let name = match step {
            Step::Root(root) => {
                if let Err(e) = walker.root(&root) {
                    let error = e.to_string();
                    return (Located::Unreadable { path: root, error }, false);
                }
                real = root;
                file = false;
                continue;
            }
            Step::Parent => {
                if file && follow_all {
                    // `file/..` names nothing to the system (a file is no folder).
                    let dir = real.parent().map_or_else(PathBuf::new, Path::to_path_buf);
                    return (Located::Found { real, dir }, false);
                } else if file {
                    file = false;
                } else if let Err(e) = walker.leave() {
                    let path = spelled(index, &real, OsStr::new(".."));
                    let error = e.to_string();
                    return (Located::Unreadable { path, error }, false);
                }
                real.pop();
                continue;
            }
            Step::Name(name) => name,
        };
        // Below a file there is nothing.
        let entry = if file {
            Ok(Entry::Missing)
        } else {
            walker.step(&name)
        };
        let failed = |error: io::Error, real: &Path| {
            let path = spelled(index, real, &name);
            let error = error.to_string();
            (Located::Unreadable { path, error }, false)
        };
        match entry {
            Ok(Entry::Dir) => real.push(&name),
            Ok(Entry::Other) => {
                real.push(&name);
                file = true;
            }
            Ok(Entry::Link) if !follow_all && walker.in_work_tree() => {
                let whole = index.is_some() && pending.iter().all(|(_, i)| i.is_none());
                let link = spelled(index, &real, &name);
                return (Located::Link { link, whole }, false);
            }
            Ok(Entry::Link) if links >= MAX_LINKS => {
                return failed(io::Error::other("too many levels of symbolic links"), &real);
            }
            Ok(Entry::Link) => {
                let target = match walker.read_link(&name) {
                    Ok(target) => target,
                    Err(e) => return failed(e, &real),
                };
                links += 1;
                // The target's steps, then what was left: a relative target is taken from
                // the link's folder (where the walk is).
                for step in steps(&target, false).into_iter().rev() {
                    pending.push_front(step);
                }
            }
            Ok(Entry::Missing) => {
                // Nothing further is looked at.
                let dir = if file {
                    real.parent()
                        .map_or_else(|| real.clone(), Path::to_path_buf)
                } else {
                    real.clone()
                };
                real.push(&name);
                for (step, _) in pending {
                    match step {
                        Step::Root(root) => real = root,
                        Step::Parent => real.push(".."),
                        Step::Name(name) => real.push(name),
                    }
                }
                return (Located::Found { real, dir }, false);
            }
            Err(e) => return failed(e, &real),
        }
    }
    let dir = if file {
        real.parent()
            .map_or_else(|| real.clone(), Path::to_path_buf)
    } else {
        real.clone()
    };
    (Located::Found { real, dir }, true)
}

/// The portable walker: each step looks at the whole path (the system walks all of it).
#[derive(Default)]
#[cfg_attr(unix, allow(dead_code))]
struct PathWalker {
    here: PathBuf,
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
}

/// The walker of unix systems: an open folder (`O_PATH` on Linux) and the names looked at in
/// it (`fstatat`, `openat`, `readlinkat`), so no system call gets more than one name.
#[cfg(unix)]
pub(crate) mod fd {
    use super::{Entry, Walker};
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
        let name = c_name(name)?;
        let flags = if follow {
            SEARCH
        } else {
            SEARCH | libc::O_NOFOLLOW
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
        let name = c_name(name)?;
        let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `name` is NUL-terminated and `stat` has room for the result.
        let done = unsafe {
            libc::fstatat(
                at,
                name.as_ptr(),
                stat.as_mut_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if done != 0 {
            let error = io::Error::last_os_error();
            return match error.kind() {
                io::ErrorKind::NotFound => Ok(None),
                _ => Err(error),
            };
        }
        // SAFETY: `fstatat` succeeded, so it filled `stat`.
        let stat = unsafe { stat.assume_init() };
        Ok(Some(stat.st_mode & libc::S_IFMT))
    }

    /// Open the file `name` in `at` (`AT_FDCWD` for a path) to read it, as
    /// [`crate::read_bytes`] does: a regular file only (looked at first, so a FIFO or a device
    /// is never opened; `None` for anything else), non-blocking; `follow` says whether a link
    /// is followed.
    pub(crate) fn open_file(at: RawFd, name: &OsStr, follow: bool) -> io::Result<Option<File>> {
        let c = c_name(name)?;
        let mut stat = std::mem::MaybeUninit::<libc::stat>::uninit();
        let stat_flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
        // SAFETY: `c` is NUL-terminated and `stat` has room for the result.
        if unsafe { libc::fstatat(at, c.as_ptr(), stat.as_mut_ptr(), stat_flags) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fstatat` succeeded, so it filled `stat`.
        if unsafe { stat.assume_init() }.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Ok(None);
        }
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

    /// Whether `.git` (of any kind) is in the folder `at`.
    fn has_git(at: RawFd) -> bool {
        matches!(kind_at(at, OsStr::new(".git")), Ok(Some(_)))
    }

    #[derive(Default)]
    pub(super) struct FdWalker {
        /// Whether folders are looked at for a `.git` ([`Walker::in_work_tree`] is asked).
        track_work_tree: bool,
        dir: Option<OwnedFd>,
        /// How many folders below the root the walk is.
        depth: usize,
        /// The depth of the outermost folder on the way holding a `.git`.
        work_tree: Option<usize>,
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
            self.dir = Some(dir);
            Ok(Entry::Dir)
        }
        fn leave(&mut self) -> io::Result<()> {
            let dir = open_dir(self.at()?, OsStr::new(".."), false)?;
            self.depth = self.depth.saturating_sub(1);
            if self.work_tree.is_some_and(|at| at > self.depth) {
                self.work_tree = None;
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
                    let mut by_path = PathWalker::default();
                    assert_eq!(
                        walk(&given, &top, follow_all),
                        locate_with(&mut by_path, &given, &top, follow_all),
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
}
