//! The folder walk, in parallel: each folder is opened from its parent's open handle by its
//! name, and a folder waiting to be walked is kept as that name under its parent.
//!
//! The `ignore` crate's walker, used before, queued each folder with its whole path and opened
//! it by that path: 150,000 empty folders under a 3.8 KB path took 0.93 GB (with the path of
//! each folder entered kept for its ignore patterns), and every folder opened cost the system a
//! walk of the whole path again (a folder 1,900 deep with 30,000 below it: 3.75 s). Here a
//! folder's path is made only while it is walked, its ignore patterns are handed down to the
//! folders below it (not kept by path), and the names of `.gitignore`, `.ignore` and `.git` are
//! looked at only when the folder's listing has them.
//!
//! The walk runs on the run's thread pool (`RAYON_NUM_THREADS` sizes it): each folder is a task
//! and the folders found in it are tasks pushed to the same thread, taken last in first out, so
//! that a thread goes down one branch at a time and the open folders waiting are about its
//! depth. Open folders are kept up to [`MAX_OPEN`]; past that a folder's subfolders are opened
//! by their path.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ignore::gitignore::Gitignore;

use super::ignore_files::{IgnoreFiles, Listed, Node};
use super::{classify_name, display_path, is_excluded, Found, Keyed, Repository, MAX_DEPTH};

/// Folders kept open while the folders in them wait to be walked, at most (the system's limit
/// on open files is often 1,024 per process). A thread going down one branch keeps about its
/// depth open, at most [`MAX_DEPTH`].
pub(super) const MAX_OPEN: usize = 256;

/// Descriptors a folder being walked may hold at once: the folder, its listing's copy, its
/// `.git` and `HEAD` (or two on the way down past the folders kept open).
const PER_LISTING: usize = 4;

/// How many folders the walk keeps open, and how many it walks at once, within the system's
/// limit on open files for this process: the walk takes at most half of it (the rest of the
/// run needs some), each folder being walked [`PER_LISTING`]. Under `ulimit -n 32` with 16
/// threads, 4 folders are walked at once and none kept open; past the limit a folder would be
/// lost (with a note), and which one would depend on the threads.
pub(super) fn limits() -> (usize, usize) {
    let threads = rayon::current_num_threads().max(1);
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` has room for the result.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
            let budget = usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX) / 2;
            let at_once = (budget / PER_LISTING).clamp(1, threads);
            let open = budget
                .saturating_sub(at_once.saturating_mul(PER_LISTING))
                .min(MAX_OPEN);
            return (open, at_once);
        }
    }
    (MAX_OPEN, threads)
}

/// How many folders are being walked, at most [`Walk::at_once`].
#[derive(Default)]
struct Slots {
    used: Mutex<usize>,
    freed: std::sync::Condvar,
}

/// A folder being walked, counted in [`Slots`] until dropped.
struct Slot<'a>(&'a Slots);

impl<'a> Slot<'a> {
    /// Wait for a slot among `at_once`.
    fn take(slots: &'a Slots, at_once: usize) -> Self {
        if let Ok(mut used) = slots.used.lock() {
            while *used >= at_once {
                match slots.freed.wait(used) {
                    Ok(next) => used = next,
                    Err(_) => return Slot(slots),
                }
            }
            *used += 1;
        }
        Slot(slots)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Ok(mut used) = self.0.used.lock() {
            *used = used.saturating_sub(1);
        }
        self.0.freed.notify_one();
    }
}

/// What the walk found.
#[derive(Default)]
pub(super) struct Walked {
    pub files: Vec<Found>,
    /// With overlapping folder arguments: each file with the path that identifies it and the
    /// index of the path argument it was found from.
    pub keyed: Vec<Keyed>,
    pub notes: Vec<String>,
    /// The folders below a scanned folder that hold a `.git` git takes for a repository.
    pub repositories: Vec<Repository>,
    /// The servers' default config files seen (bits of [`crate::drain::DEFAULT_CONFIG_PLACES`]).
    pub configs: u8,
}

/// What the walk reads, shared by its tasks.
pub(super) struct Walk<'a> {
    /// The folders to walk, as given.
    pub dirs: &'a [PathBuf],
    /// Each folder argument as given: where it is on disk and its argument's index.
    pub roots: &'a HashMap<PathBuf, (PathBuf, usize)>,
    /// Whether folder arguments overlap: each file then comes with its identity.
    pub keyed: bool,
    pub matcher: Option<&'a Gitignore>,
    pub ignore_files: &'a IgnoreFiles,
    /// Set when the run is being stopped (the language server shuts down).
    pub stop: Option<&'a AtomicBool>,
    /// Folders kept open at most ([`MAX_OPEN`]).
    pub max_open: usize,
    /// Folders walked at once at most (one per thread, fewer under a low limit on open files).
    pub at_once: usize,
}

/// The scanned folder a path is found from, for its identity: the deepest folder argument it
/// is below (by spelling), as given and on disk, with the argument's index.
struct Bound {
    spelled: PathBuf,
    canonical: PathBuf,
    index: usize,
}

impl Bound {
    /// Where `path` (below `spelled`) is on disk: no folder on the way is a link.
    fn real(&self, path: &Path) -> Option<PathBuf> {
        Some(self.canonical.join(path.strip_prefix(&self.spelled).ok()?))
    }
}

/// A folder walked, kept while folders in it wait to be walked.
struct Dir<'a> {
    path: PathBuf,
    /// Folders below the scanned folder (0 for the scanned folder).
    depth: usize,
    /// The ignore patterns that apply inside it.
    node: Option<Arc<Node>>,
    bound: Arc<Bound>,
    /// The folder, open, for its subfolders to be opened by name (`None`: past [`MAX_OPEN`],
    /// they are opened by path).
    open: Option<Open<'a>>,
}

/// A folder kept open, counted against [`MAX_OPEN`].
struct Open<'a> {
    handle: list::Handle,
    count: &'a AtomicUsize,
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A folder to walk.
enum Task<'a> {
    /// A scanned folder: its index in [`Walk::dirs`].
    Root(usize),
    /// A folder found in one walked: its name there.
    Below(Arc<Dir<'a>>, OsString),
}

/// What the tasks gather.
#[derive(Default)]
struct Gathered {
    files: Mutex<Vec<Found>>,
    keyed: Mutex<Vec<Keyed>>,
    notes: Mutex<Vec<String>>,
    repositories: Mutex<Vec<Repository>>,
    /// The ignore files went over their budget: the walk ends (and is done again without them).
    quit: AtomicBool,
    /// The servers' default config files seen (bits of [`crate::drain::DEFAULT_CONFIG_PLACES`]).
    configs: std::sync::atomic::AtomicU8,
    open: AtomicUsize,
    slots: Slots,
}

fn push<T>(into: &Mutex<Vec<T>>, items: impl IntoIterator<Item = T>) {
    if let Ok(mut into) = into.lock() {
        into.extend(items);
    }
}

impl Walk<'_> {
    /// Walk the folders: what was found, in no particular order.
    pub fn run(&self) -> Walked {
        let gathered = Gathered::default();
        rayon::scope(|scope| {
            for index in 0..self.dirs.len() {
                let gathered = &gathered;
                scope.spawn(move |scope| self.task(scope, gathered, Task::Root(index)));
            }
        });
        Walked {
            files: gathered.files.into_inner().unwrap_or_default(),
            keyed: gathered.keyed.into_inner().unwrap_or_default(),
            notes: gathered.notes.into_inner().unwrap_or_default(),
            repositories: gathered.repositories.into_inner().unwrap_or_default(),
            configs: gathered.configs.into_inner(),
        }
    }

    fn stopped(&self, gathered: &Gathered) -> bool {
        gathered.quit.load(Ordering::Relaxed)
            || self.stop.is_some_and(|stop| stop.load(Ordering::Relaxed))
    }

    /// Walk one folder, and hand the folders in it to the pool.
    fn task<'s>(&'s self, scope: &rayon::Scope<'s>, gathered: &'s Gathered, task: Task<'s>) {
        if self.stopped(gathered) {
            return;
        }
        let _slot = Slot::take(&gathered.slots, self.at_once);
        let note = |note: String| push(&gathered.notes, [note]);
        let (path, depth, above, bound, opened) = match task {
            Task::Root(index) => {
                let Some(path) = self.dirs.get(index) else {
                    return;
                };
                let Some((canonical, index)) = self.roots.get(path) else {
                    return;
                };
                if path.file_name().is_some_and(|name| name == ".git")
                    || is_excluded(self.matcher, path, true)
                {
                    return;
                }
                let bound = Arc::new(Bound {
                    spelled: path.clone(),
                    canonical: canonical.clone(),
                    index: *index,
                });
                let opened = list::open(None, path, path.as_os_str(), true);
                let above = self.ignore_files.above_root(path);
                (path.clone(), 0, above, bound, opened)
            }
            Task::Below(parent, name) => {
                let path = parent.path.join(&name);
                if is_excluded(self.matcher, &path, true)
                    || parent
                        .node
                        .as_ref()
                        .is_some_and(|node| node.is_ignored(&path, true))
                {
                    return;
                }
                let depth = parent.depth + 1;
                if depth >= MAX_DEPTH {
                    note(format!(
                        "{}: folders nested more than {MAX_DEPTH} deep; not walked",
                        display_path(&path)
                    ));
                    return;
                }
                if list::too_long(&path) {
                    // Its files could not be read by their path.
                    note(format!(
                        "{}: a path of {} bytes, longer than the system takes; not walked",
                        display_path(&path),
                        path.as_os_str().len()
                    ));
                    return;
                }
                let bound = match self.keyed.then(|| self.roots.get(&path)).flatten() {
                    Some((canonical, index)) => Arc::new(Bound {
                        spelled: path.clone(),
                        canonical: canonical.clone(),
                        index: *index,
                    }),
                    None => parent.bound.clone(),
                };
                let root = &parent.bound.spelled;
                let opened = match (&parent.open, path.strip_prefix(root)) {
                    (Some(open), _) => list::open(Some(&open.handle), &path, &name, false),
                    // Past the folders kept open: from the scanned folder above down, one name
                    // at a time, never through a link (by the whole path, a folder on the way
                    // swapped for a link since it was listed would lead out of the scanned
                    // folder).
                    (None, Ok(below)) => list::open_below(root, below),
                    (None, Err(_)) => list::open(None, &path, &name, false),
                };
                (path, depth, parent.node.clone(), bound, opened)
            }
        };
        let (handle, entries) = match opened {
            Ok(listed) => listed,
            Err(error) => {
                note(format!(
                    "{}: the folder cannot be read ({error}); not walked",
                    display_path(&path)
                ));
                return;
            }
        };
        // What the names the ignore files and the repository are read from are.
        let mut listed = Listed::default();
        for (name, _) in &entries {
            match name.as_encoded_bytes() {
                b".ignore" => listed.dot_ignore = true,
                b".gitignore" => listed.gitignore = true,
                b".git" => listed.git = true,
                _ => {}
            }
        }
        // A repository of its own in a folder below a scanned one, by git's test (a `.git`
        // link is not followed, so it is none). A scanned folder's own is change mode's to
        // judge, from the path argument.
        let repository = listed.git && list::is_repository(&handle, &path);
        listed.repository = repository;
        if repository && depth >= 1 {
            if let Some(real) = bound.real(&path) {
                push(
                    &gathered.repositories,
                    [Repository {
                        display: display_path(&path),
                        real,
                    }],
                );
            }
        }
        let node = self
            .ignore_files
            .enter(list::at(&path, &handle), above, &listed);
        if self.ignore_files.over_budget() {
            gathered.quit.store(true, Ordering::Relaxed);
            return;
        }
        let mut files = Vec::new();
        let mut keyed = Vec::new();
        let mut below = Vec::new();
        let folder_name = path.file_name();
        for (name, kind) in entries {
            match kind {
                list::Type::Dir => {
                    if name != ".git" {
                        below.push(name);
                    }
                }
                // Links are never followed; FIFOs, sockets and devices are never opened.
                list::Type::Other => {}
                list::Type::Unknown(error) => note(format!(
                    "{}: cannot be looked at ({}); skipped",
                    display_path(&path.join(&name)),
                    std::io::Error::from_raw_os_error(error)
                )),
                list::Type::File => {
                    // Recognised by its name and its folder's: the whole path is made only
                    // for a file shutdownlint reads.
                    let ignored = |path: &Path| {
                        is_excluded(self.matcher, path, false)
                            || node
                                .as_ref()
                                .is_some_and(|node| node.is_ignored(path, false))
                    };
                    let place = crate::drain::default_config_place(folder_name, &name);
                    let short = match folder_name {
                        Some(folder) => Path::new(folder).join(&name),
                        None => PathBuf::from(&name),
                    };
                    let kind = classify_name(&short);
                    if place == 0 && kind.is_none() {
                        continue;
                    }
                    let path = path.join(&name);
                    if ignored(&path) {
                        continue;
                    }
                    if place != 0 {
                        gathered.configs.fetch_or(place, Ordering::Relaxed);
                    }
                    let Some(kind) = kind else {
                        continue;
                    };
                    // What the file is now, for its read to check it opens the same file: a
                    // name that is no longer a regular file is passed by, as the listing's
                    // links and FIFOs are.
                    let identity = match list::identity(&handle, &name) {
                        Ok(Some(identity)) => Some(identity),
                        Ok(None) => continue,
                        Err(_) => None,
                    };
                    let file = Found::new(&path, kind).with_origin(super::Origin {
                        identity,
                        below: u32::try_from(depth + 1).unwrap_or(u32::MAX),
                    });
                    match self.keyed.then(|| bound.real(&path)).flatten() {
                        Some(identity) => keyed.push((identity, bound.index, file)),
                        None => files.push(file),
                    }
                }
            }
        }
        push(&gathered.files, files);
        push(&gathered.keyed, keyed);
        if below.is_empty() {
            return;
        }
        let open = if gathered.open.fetch_add(1, Ordering::Relaxed) < self.max_open {
            Some(Open {
                handle,
                count: &gathered.open,
            })
        } else {
            gathered.open.fetch_sub(1, Ordering::Relaxed);
            None
        };
        let dir = Arc::new(Dir {
            path,
            depth,
            node,
            bound,
            open,
        });
        for name in below {
            let dir = dir.clone();
            scope.spawn(move |scope| self.task(scope, gathered, Task::Below(dir, name)));
        }
    }
}

/// Opening and listing folders.
mod list {
    use super::super::ignore_files::At;
    use std::ffi::{OsStr, OsString};
    use std::io;
    use std::path::Path;

    /// What a name in a folder is, as its listing says: a link is never followed.
    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    pub enum Type {
        Dir,
        File,
        /// A link, a FIFO, a socket, a device.
        Other,
        /// Not known: the listing does not say and the name cannot be looked at (a folder that
        /// can be listed but not entered); the system's error number.
        Unknown(i32),
    }

    /// A folder, open.
    #[cfg(unix)]
    pub type Handle = std::os::fd::OwnedFd;
    #[cfg(not(unix))]
    pub type Handle = std::path::PathBuf;

    /// The open folder `handle`, named `path`, for its ignore files to be read from it.
    #[cfg(unix)]
    pub fn at<'a>(path: &'a Path, handle: &'a Handle) -> At<'a> {
        At::open(path, Some(handle))
    }

    #[cfg(not(unix))]
    pub fn at<'a>(path: &'a Path, _handle: &'a Handle) -> At<'a> {
        At::path(path)
    }

    /// The device and inode of the regular file `name` in `handle` (`None`: something else
    /// now, a link included).
    #[cfg(unix)]
    pub fn identity(handle: &Handle, name: &OsStr) -> io::Result<Option<super::super::Identity>> {
        use std::os::fd::AsRawFd;
        let stat = crate::change::paths::fd::stat_at(handle.as_raw_fd(), name, false)?;
        // `dev_t` and `ino_t` are 64 bits or fewer wherever this builds.
        #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
        Ok((stat.st_mode & libc::S_IFMT == libc::S_IFREG)
            .then_some((stat.st_dev as u64, stat.st_ino as u64)))
    }

    #[cfg(not(unix))]
    pub fn identity(_handle: &Handle, _name: &OsStr) -> io::Result<Option<super::super::Identity>> {
        Err(io::Error::other("no identity here"))
    }

    /// Whether `path` is longer than the system takes (its files are read by path).
    #[cfg(unix)]
    pub fn too_long(path: &Path) -> bool {
        path.as_os_str().len() >= libc::PATH_MAX as usize
    }

    #[cfg(not(unix))]
    pub fn too_long(_path: &Path) -> bool {
        false
    }

    /// Whether the folder's `.git` makes it a repository as git sees it (a link is none).
    #[cfg(unix)]
    pub fn is_repository(handle: &Handle, _path: &Path) -> bool {
        use std::os::fd::AsRawFd;
        crate::change::paths::fd::git_at(handle.as_raw_fd(), OsStr::new(".git"), false)
    }

    #[cfg(not(unix))]
    pub fn is_repository(_handle: &Handle, path: &Path) -> bool {
        crate::change::paths::is_repository(&path.join(".git"), false)
    }

    /// Open the folder `name` in `from` (or `path`, when there is no `from`) and list it; a
    /// link is followed only with `follow` (the scanned folders, as given).
    #[cfg(unix)]
    pub fn open(
        from: Option<&Handle>,
        path: &Path,
        name: &OsStr,
        follow: bool,
    ) -> io::Result<(Handle, Vec<(OsString, Type)>)> {
        use std::os::fd::AsRawFd;
        let handle = match from {
            Some(from) => open_at(from.as_raw_fd(), name, follow)?,
            None => open_at(libc::AT_FDCWD, path.as_os_str(), follow)?,
        };
        let entries = read(&handle)?;
        Ok((handle, entries))
    }

    /// Open the folder `below` (names below the scanned folder `root`) and list it: `root` by
    /// its path (a link followed, as a scanned folder is), then each name from the folder
    /// above it, never through a link.
    #[cfg(unix)]
    pub fn open_below(root: &Path, below: &Path) -> io::Result<(Handle, Vec<(OsString, Type)>)> {
        use std::os::fd::AsRawFd;
        use std::path::Component;
        let mut handle = open_at(libc::AT_FDCWD, root.as_os_str(), true)?;
        for component in below.components() {
            match component {
                Component::Normal(name) => handle = open_at(handle.as_raw_fd(), name, false)?,
                Component::CurDir => {}
                _ => return Err(io::Error::from(io::ErrorKind::InvalidInput)),
            }
        }
        let entries = read(&handle)?;
        Ok((handle, entries))
    }

    /// Open the folder `name` in `at` to list it; a link is followed only with `follow`.
    #[cfg(unix)]
    fn open_at(at: std::os::fd::RawFd, name: &OsStr, follow: bool) -> io::Result<Handle> {
        crate::change::paths::fd::open_dir_to_list(at, name, follow)
    }

    /// The names in the open folder `handle` (without `.` and `..`), each with its type.
    #[cfg(unix)]
    fn read(handle: &Handle) -> io::Result<Vec<(OsString, Type)>> {
        use std::os::fd::AsRawFd;
        use std::os::unix::ffi::OsStrExt;
        // The listing gets a handle of its own (`closedir` closes it), the folder's stays open
        // for the names in it to be looked at and opened.
        // SAFETY: duplicating an open descriptor.
        let copy = unsafe { libc::fcntl(handle.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) };
        if copy < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `copy` is open and owned by nobody else; `fdopendir` takes it on success.
        let dir = unsafe { libc::fdopendir(copy) };
        if dir.is_null() {
            let error = io::Error::last_os_error();
            // SAFETY: `fdopendir` failed, so `copy` is still ours to close.
            unsafe { libc::close(copy) };
            return Err(error);
        }
        let mut entries = Vec::new();
        let result = loop {
            set_errno(0);
            // SAFETY: `dir` is an open directory stream used by this thread alone.
            let entry = unsafe { libc::readdir(dir) };
            if entry.is_null() {
                let error = io::Error::last_os_error();
                break match error.raw_os_error() {
                    Some(0) | None => Ok(()),
                    Some(_) => Err(error),
                };
            }
            // SAFETY: `readdir` returned an entry, valid until the next call on `dir`; its
            // name is NUL-terminated.
            let (name, d_type) = unsafe {
                (
                    std::ffi::CStr::from_ptr((*entry).d_name.as_ptr()),
                    (*entry).d_type,
                )
            };
            let name = name.to_bytes();
            if name == b"." || name == b".." {
                continue;
            }
            let kind = match d_type {
                libc::DT_DIR => Type::Dir,
                libc::DT_REG => Type::File,
                libc::DT_UNKNOWN => stat_type(handle, OsStr::from_bytes(name)),
                _ => Type::Other,
            };
            entries.push((OsStr::from_bytes(name).to_os_string(), kind));
        };
        // SAFETY: `dir` is open and not used after this.
        unsafe { libc::closedir(dir) };
        result.map(|()| entries)
    }

    /// The type of `name` in `handle` from `fstatat`, for a file system whose listing does not
    /// say; a name gone since is none.
    #[cfg(unix)]
    fn stat_type(handle: &Handle, name: &OsStr) -> Type {
        use std::os::fd::AsRawFd;
        match crate::change::paths::fd::kind_at(handle.as_raw_fd(), name) {
            Ok(Some(libc::S_IFDIR)) => Type::Dir,
            Ok(Some(libc::S_IFREG)) => Type::File,
            Ok(_) => Type::Other,
            Err(error) => Type::Unknown(error.raw_os_error().unwrap_or(0)),
        }
    }

    /// Set `errno`, to tell the end of a listing from an error.
    #[cfg(unix)]
    fn set_errno(value: libc::c_int) {
        #[cfg(any(target_os = "linux", target_os = "android", target_os = "emscripten"))]
        // SAFETY: the thread's own `errno`.
        unsafe {
            *libc::__errno_location() = value;
        }
        #[cfg(any(
            target_os = "macos",
            target_os = "ios",
            target_os = "freebsd",
            target_os = "dragonfly"
        ))]
        // SAFETY: the thread's own `errno`.
        unsafe {
            *libc::__error() = value;
        }
        #[cfg(any(target_os = "openbsd", target_os = "netbsd"))]
        // SAFETY: the thread's own `errno`.
        unsafe {
            *libc::__errno() = value;
        }
    }

    /// Open the folder `below` the scanned folder `root` and list it.
    #[cfg(not(unix))]
    pub fn open_below(root: &Path, below: &Path) -> io::Result<(Handle, Vec<(OsString, Type)>)> {
        let path = root.join(below);
        let name = path.file_name().unwrap_or_default().to_os_string();
        open(None, &path, &name, false)
    }

    /// Open the folder `path` and list it (a link is followed only with `follow`).
    #[cfg(not(unix))]
    pub fn open(
        _from: Option<&Handle>,
        path: &Path,
        _name: &OsStr,
        follow: bool,
    ) -> io::Result<(Handle, Vec<(OsString, Type)>)> {
        if !follow && std::fs::symlink_metadata(path)?.file_type().is_symlink() {
            return Err(io::Error::other("a symbolic link"));
        }
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let kind = match entry.file_type() {
                Ok(kind) if kind.is_dir() => Type::Dir,
                Ok(kind) if kind.is_file() => Type::File,
                _ => Type::Other,
            };
            entries.push((entry.file_name(), kind));
        }
        Ok((path.to_path_buf(), entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn write(dir: &Path, name: &str, content: &str) {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, content).expect("write");
    }

    /// What a walk of `dirs` finds with at most `max_open` folders kept open, in order.
    fn walked(dirs: &[PathBuf], max_open: usize) -> (Vec<String>, Vec<String>, Vec<String>) {
        let roots: HashMap<PathBuf, (PathBuf, usize)> = dirs
            .iter()
            .enumerate()
            .map(|(index, dir)| {
                let canonical = std::fs::canonicalize(dir).expect("canonicalize");
                (dir.clone(), (canonical, index))
            })
            .collect();
        let ignore_files = IgnoreFiles::new(dirs, &roots);
        let matcher = super::super::exclude_matcher(&Config::default()).expect("matcher");
        let walked = Walk {
            dirs,
            roots: &roots,
            keyed: true,
            matcher: matcher.as_ref(),
            ignore_files: &ignore_files,
            stop: None,
            max_open,
            at_once: 2,
        }
        .run();
        let mut files: Vec<String> = walked
            .keyed
            .iter()
            .map(|(identity, index, file)| {
                format!("{} {index} {}", file.display, identity.display())
            })
            .collect();
        files.sort();
        let mut repositories: Vec<String> = walked
            .repositories
            .iter()
            .map(|repository| repository.display.clone())
            .collect();
        repositories.sort();
        let mut notes = walked.notes;
        notes.extend(ignore_files.into_notes());
        notes.sort();
        (files, repositories, notes)
    }

    /// With no folder kept open (past the budget), each is opened by its path: the same files,
    /// identities, repositories and notes.
    #[test]
    fn folders_opened_by_path_past_the_budget_find_the_same() {
        let root = tempfile::tempdir().expect("tempdir");
        let dir = root.path();
        write(dir, ".gitignore", "generated/\n*.tmp.yaml\n");
        write(dir, "app/Dockerfile", "FROM x\n");
        write(dir, "app/deploy/web.yaml", "kind: Deployment\n");
        write(dir, "app/deploy/web.tmp.yaml", "kind: Deployment\n");
        write(dir, "generated/Dockerfile", "FROM x\n");
        write(dir, "vendor/lib/.gitignore", "*\n!Dockerfile\n");
        write(dir, "vendor/lib/Dockerfile", "FROM x\n");
        write(dir, "vendor/lib/compose.yaml", "services: {}\n");
        for branch in 0..20 {
            write(dir, &format!("wide/{branch}/a/b/c/fly.toml"), "app = 'x'\n");
        }
        for repository in ["", "nested/"] {
            for folder in ["objects", "refs"] {
                std::fs::create_dir_all(dir.join(format!("{repository}.git/{folder}")))
                    .expect("mkdir");
            }
            write(
                dir,
                &format!("{repository}.git/HEAD"),
                "ref: refs/heads/main\n",
            );
        }
        write(dir, "nested/.gitignore", "ignored.yaml\n");
        write(dir, "nested/ignored.yaml", "kind: Service\n");
        write(dir, "nested/kept.yaml", "kind: Service\n");
        let dirs = [dir.to_path_buf(), dir.join("app")];
        let open = walked(&dirs, MAX_OPEN);
        let by_path = walked(&dirs, 0);
        assert_eq!(open, by_path);
        let (files, repositories, notes) = open;
        let shown: Vec<&str> = files
            .iter()
            .filter_map(|line| line.split(' ').next())
            .collect();
        let at = |name: &str| dir.join(name).display().to_string();
        assert!(shown.contains(&at("app/Dockerfile").as_str()), "{files:?}");
        // Found from both arguments, with one identity: the deeper argument's index.
        let app = format!("{} 1 ", at("app/Dockerfile"));
        assert_eq!(
            files.iter().filter(|line| line.starts_with(&app)).count(),
            2,
            "{files:?}"
        );
        for ignored in [
            "generated/Dockerfile",
            "app/deploy/web.tmp.yaml",
            "vendor/lib/compose.yaml",
            "nested/ignored.yaml",
        ] {
            assert!(
                !shown.contains(&at(ignored).as_str()),
                "{ignored}: {files:?}"
            );
        }
        for kept in [
            "vendor/lib/Dockerfile",
            "nested/kept.yaml",
            "wide/19/a/b/c/fly.toml",
        ] {
            assert!(shown.contains(&at(kept).as_str()), "{kept}: {files:?}");
        }
        assert_eq!(repositories, [at("nested")]);
        assert_eq!(notes, Vec::<String>::new());
    }
}
