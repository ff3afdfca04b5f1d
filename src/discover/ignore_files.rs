//! `.gitignore`, `.ignore` and `.git/info/exclude`, read by shutdownlint itself.
//!
//! The `ignore` crate's walker (the walk is shutdownlint's own now: [`super::walk`]) read these
//! files with no checks: a `.gitignore` that is a FIFO blocked the run, one that is a symbolic
//! link to `/dev/zero` read until memory ran out, one linked to a file outside the scanned root
//! was followed (and could hide every file without a word), and a large one of many wildcards
//! took gigabytes to compile. A repository under review is untrusted, so this module reads each
//! ignore file like any other input: a regular file only, never through a link, a size cap per file and
//! a budget for the whole run. A file refused is not applied, with a note. Each file is read,
//! compiled and charged to the budget once a run, by its identity (device and inode): the
//! repository's `.gitignore` applies to every folder argument inside it at no further cost, and
//! its patterns match paths relative to the folder that holds it, whatever the spelling.
//!
//! Precedence follows the `ignore` crate (and ripgrep): a match in any `.ignore` wins over any
//! `.gitignore`, which wins over `.git/info/exclude`; within one kind the deepest directory that
//! has a matching pattern decides, and a `!pattern` there un-ignores. A folder that holds `.git`
//! (a nested repository or a submodule) starts over for `.gitignore` and `.git/info/exclude`:
//! those of the folders above it do not apply inside it, as in git. `.ignore` files apply across
//! it, as in ripgrep.

use crate::change::paths::Kind;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

/// One ignore file over this is not applied. Git's own templates are under 10 KiB; a
/// `.gitignore` of this size is thousands of patterns.
pub const MAX_IGNORE_FILE_BYTES: u64 = 64 * 1024;

/// The ignore files of one run may add up to this. Past it none is applied and the walk is done
/// again (with a note): which files fit would depend on the order the threads read them, and
/// the output may not. Compiling a pattern of many wildcards costs tens of kilobytes, so this
/// bounds the memory ignore files can take (about 140 MB at worst, measured; a few MB in
/// practice: a monorepo of 2,000 packages with a five-line `.gitignore` each is 74 KiB).
pub const IGNORE_BUDGET_BYTES: u64 = 256 * 1024;

/// The patterns of one kind of ignore file in a node.
type Patterns = fn(&Node) -> Option<&Gitignore>;

/// The ignore patterns that apply inside one directory: its own files and, through `parent`,
/// those of the directories above it.
#[derive(Debug, Default)]
pub struct Node {
    dot_ignore: Option<Arc<Gitignore>>,
    gitignore: Option<Arc<Gitignore>>,
    exclude: Option<Arc<Gitignore>>,
    /// The directory as the walk spells it (for the scanned roots and the folders below them):
    /// an entry's path is made relative to it to match.
    dir: PathBuf,
    /// For the directories above a scanned root: that root as given, and its path relative to
    /// this directory. An entry's path is made relative to this directory to match.
    above_root: Option<(PathBuf, PathBuf)>,
    /// The directory holds `.git`: the `.gitignore` and `.git/info/exclude` files of the
    /// directories above it do not apply below it.
    has_git: bool,
    parent: Option<Arc<Node>>,
}

impl Node {
    fn is_empty(&self) -> bool {
        self.dot_ignore.is_none() && self.gitignore.is_none() && self.exclude.is_none()
    }

    fn chain(&self) -> impl Iterator<Item = &Node> {
        std::iter::successors(Some(self), |node| node.parent.as_deref())
    }

    /// Whether `path` (a file or directory below this node's directory) is ignored.
    pub fn is_ignored(&self, path: &Path, is_dir: bool) -> bool {
        let mut joined;
        // Each kind, and whether it stops at a directory that holds `.git`.
        let kinds: [(Patterns, bool); 3] = [
            (|node| node.dot_ignore.as_deref(), false),
            (|node| node.gitignore.as_deref(), true),
            (|node| node.exclude.as_deref(), true),
        ];
        for (kind, stops_at_git) in kinds {
            let mut past_git = false;
            for node in self.chain() {
                if past_git {
                    break;
                }
                past_git = stops_at_git && node.has_git;
                let Some(matcher) = kind(node) else { continue };
                // Patterns match the path relative to the folder of their file (the matchers
                // are shared by every spelling of it: they strip nothing themselves).
                let path = match &node.above_root {
                    None => {
                        let Ok(rest) = path.strip_prefix(&node.dir) else {
                            continue;
                        };
                        rest
                    }
                    Some((root, below)) => {
                        let Ok(rest) = path.strip_prefix(root) else {
                            continue;
                        };
                        joined = below.join(rest);
                        joined.as_path()
                    }
                };
                match matcher.matched(path, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
        }
        false
    }
}

/// The ignore files of a walk: read as directories are entered, shared between the walk's
/// threads.
pub struct IgnoreFiles {
    /// For each scanned root, the patterns of the directories above it up to the repository's
    /// root (the nearest one with `.git`).
    above_roots: HashMap<PathBuf, Option<Arc<Node>>>,
    /// Each ignore file read, by identity: what reading it gave (`None` while a thread reads
    /// it). Charged to the budget when first read.
    read: Mutex<HashMap<FileId, Option<Read>>>,
    spent: AtomicU64,
    budget: u64,
    over_budget: AtomicBool,
    /// No ignore file is read (after a walk over the budget).
    off: bool,
    notes: Mutex<Vec<String>>,
}

/// What identifies an ignore file: reached under two paths (a folder named twice, a hard
/// link), it is read once.
#[cfg(unix)]
type FileId = (u64, u64);
#[cfg(not(unix))]
type FileId = PathBuf;

/// What `lstat` (or `stat`) says of a name.
struct Meta {
    kind: Kind,
    len: u64,
    id: FileId,
}

impl Meta {
    fn of(path: &Path, meta: &std::fs::Metadata) -> Self {
        Meta {
            kind: Kind::of(meta.file_type()),
            len: meta.len(),
            id: file_id(path, meta),
        }
    }

    #[cfg(unix)]
    fn of_stat(stat: &libc::stat) -> Self {
        Meta {
            kind: Kind::of_mode(stat.st_mode),
            len: u64::try_from(stat.st_size).unwrap_or(0),
            // `dev_t` and `ino_t` are 64 bits or fewer wherever this builds.
            #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
            id: (stat.st_dev as u64, stat.st_ino as u64),
        }
    }
}

#[cfg(unix)]
fn file_id(_path: &Path, meta: &std::fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn file_id(path: &Path, _meta: &std::fs::Metadata) -> FileId {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A folder whose ignore files are looked at: by its path, and on unix from an open folder
/// when there is one, so that looking at a name in it costs the same whatever its depth (by
/// the whole path, the system walks every folder of it again: for the folders above a root
/// thousands deep, a cost in the square of the depth).
#[derive(Clone, Copy)]
pub struct At<'a> {
    /// The folder's path: shown in notes; what names are looked up from without `fd`.
    path: &'a Path,
    #[cfg(unix)]
    fd: Option<std::os::fd::RawFd>,
}

impl<'a> At<'a> {
    /// The folder by its path only.
    pub fn path(path: &'a Path) -> Self {
        At {
            path,
            #[cfg(unix)]
            fd: None,
        }
    }

    /// The folder `path`, looked at from `fd` (an open folder that is it) when there is one.
    #[cfg(unix)]
    pub fn open(path: &'a Path, fd: Option<&std::os::fd::OwnedFd>) -> Self {
        use std::os::fd::AsRawFd;
        At {
            path,
            fd: fd.map(AsRawFd::as_raw_fd),
        }
    }

    /// What `rel` (names below the folder) is; `follow`: a link as its last name followed.
    fn meta(&self, rel: &Path, follow: bool) -> Option<Meta> {
        #[cfg(unix)]
        if let Some(fd) = self.fd {
            let stat = crate::change::paths::fd::stat_at(fd, rel.as_os_str(), follow).ok()?;
            return Some(Meta::of_stat(&stat));
        }
        let path = self.path.join(rel);
        let meta = if follow {
            std::fs::metadata(&path)
        } else {
            std::fs::symlink_metadata(&path)
        };
        Some(Meta::of(&path, &meta.ok()?))
    }

    /// Whether the folder's `.git` makes it a repository as git sees it (git's own test, as
    /// discovery and change mode make it: [`crate::change::paths::is_repository`]); a `.git`
    /// link is not followed.
    fn is_repository(&self) -> bool {
        #[cfg(unix)]
        if let Some(fd) = self.fd {
            return crate::change::paths::fd::git_at(fd, std::ffi::OsStr::new(".git"), false);
        }
        crate::change::paths::is_repository(&self.path.join(".git"), false)
    }

    /// The bytes of the file `rel` below the folder, as [`crate::read_bytes`] reads them (the
    /// caller has found it a regular file, not a link).
    fn read(&self, rel: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
        #[cfg(unix)]
        if let Some(fd) = self.fd {
            return match crate::change::paths::fd::open_file(fd, rel.as_os_str(), false) {
                Ok(Some(file)) => crate::read_opened(file, max_bytes),
                Ok(None) => Err("not a regular file; skipped".into()),
                Err(e) => Err(format!("cannot read: {e}")),
            };
        }
        crate::read_bytes(&self.path.join(rel), max_bytes)
    }
}

/// Visit the first `count` folders of `folders` (an absolute path without links, each folder
/// from the top down, as `(index, folder)`), each from an open folder when it could be opened
/// from the one above it (else by its path, which then fails as the open did).
fn down(folders: &[&Path], count: usize, mut visit: impl FnMut(usize, At<'_>)) {
    #[cfg(unix)]
    {
        use crate::change::paths::fd::open_dir;
        use std::os::fd::AsRawFd;
        let mut open: Option<std::os::fd::OwnedFd> = None;
        let mut lost = false;
        for (index, folder) in folders.iter().take(count).enumerate() {
            if !lost {
                // Never through a link: the path has none, unless one was put there since.
                let next = match (&open, folder.file_name()) {
                    (None, _) => open_dir(libc::AT_FDCWD, folder.as_os_str(), true),
                    (Some(above), Some(name)) => open_dir(above.as_raw_fd(), name, false),
                    (Some(_), None) => Err(std::io::Error::other("not a folder's name")),
                };
                open = next.ok();
                lost = open.is_none();
            }
            visit(index, At::open(folder, open.as_ref()));
        }
    }
    #[cfg(not(unix))]
    for (index, folder) in folders.iter().take(count).enumerate() {
        visit(index, At::path(folder));
    }
}

/// What a folder's listing says of the names its ignore patterns are read from.
#[derive(Debug, Default, Clone, Copy)]
pub struct Listed {
    /// It has an `.ignore` (of any kind).
    pub dot_ignore: bool,
    /// It has a `.gitignore` (of any kind).
    pub gitignore: bool,
    /// It has a `.git` (of any kind).
    pub git: bool,
    /// Git takes its `.git` for a repository's.
    pub repository: bool,
}

/// What reading an ignore file gave: its patterns (`None`: none, or over the budget), or why it
/// could not be read.
type Read = Result<Option<Arc<Gitignore>>, String>;

/// The folders above the scanned roots, shared by the roots that have them in common: each
/// folder is looked at once. Folders are known by their parent's number and their name (not
/// their whole path: that would take memory in the square of the depth).
#[derive(Default)]
struct Above {
    numbers: HashMap<(usize, std::ffi::OsString), usize>,
    folders: Vec<Folder>,
}

/// What is known of a folder above a scanned root.
#[derive(Default)]
struct Folder {
    /// Whether it holds `.git`.
    has_git: Option<bool>,
    /// Whether it holds `.ignore` and `.gitignore` (of any kind), for a folder at or below a
    /// folder with `.git`, looked at on the same way down as `.git`: a folder with neither
    /// (nor `.git`) is not gone to again to read them.
    names: Option<(bool, bool)>,
    /// Its ignore files, with and without its `.gitignore` and `.git/info/exclude`.
    read: [Option<Files>; 2],
}

/// The ignore files of a folder.
#[derive(Clone)]
struct Files {
    dot_ignore: Option<Arc<Gitignore>>,
    gitignore: Option<Arc<Gitignore>>,
    exclude: Option<Arc<Gitignore>>,
    has_git: bool,
}

impl Above {
    /// The numbers of `path` and of each folder above it, the path's own first.
    fn numbers(&mut self, path: &Path) -> Vec<usize> {
        let mut numbers = Vec::new();
        let mut parent = usize::MAX;
        for component in path.components() {
            let key = (parent, component.as_os_str().to_os_string());
            let next = self.folders.len();
            let number = *self.numbers.entry(key).or_insert(next);
            if number == next {
                self.folders.push(Folder::default());
            }
            numbers.push(number);
            parent = number;
        }
        numbers.reverse();
        numbers
    }

    fn folder(&mut self, number: usize) -> &mut Folder {
        if number >= self.folders.len() {
            self.folders.resize_with(number + 1, Folder::default);
        }
        &mut self.folders[number]
    }
}

impl IgnoreFiles {
    /// `canonical`: where each root is on disk, as discovery found it (each with its argument's
    /// index, unused here).
    pub fn new(roots: &[PathBuf], canonical: &HashMap<PathBuf, (PathBuf, usize)>) -> Self {
        let mut files = Self::empty(IGNORE_BUDGET_BYTES);
        let mut above = Above::default();
        // Each root once, as the walk sees it: a folder named twice is one root.
        let mut seen = HashSet::new();
        for root in roots {
            if !seen.insert(root) {
                continue;
            }
            let nodes = match canonical.get(root) {
                Some((real, _)) => files.above(root, real, &mut above),
                None => None,
            };
            files.above_roots.insert(root.clone(), nodes);
        }
        files
    }

    /// Reads no ignore file: every file is linted.
    pub fn off() -> Self {
        IgnoreFiles {
            off: true,
            ..Self::empty(0)
        }
    }

    fn empty(budget: u64) -> Self {
        IgnoreFiles {
            above_roots: HashMap::new(),
            read: Mutex::new(HashMap::new()),
            spent: AtomicU64::new(0),
            budget,
            over_budget: AtomicBool::new(false),
            off: false,
            notes: Mutex::new(Vec::new()),
        }
    }

    /// Whether the ignore files read add up to more than the budget. Then the walk must be done
    /// again without them: which ones fit depended on the order the threads read them.
    pub fn over_budget(&self) -> bool {
        self.over_budget.load(Ordering::Relaxed)
    }

    /// The nodes of the directories above `root`, up to the repository that contains it. Outside
    /// a repository none apply: a `.gitignore` in a home directory is not the project's. The
    /// scanned root itself is read when the walk enters it. `.gitignore` and
    /// `.git/info/exclude` apply up to the nearest folder with `.git` (the root's own
    /// repository), `.ignore` up to the outermost one: scanning a nested repository alone
    /// applies what scanning the repository around it applies inside it.
    /// `canonical`: `root` on disk, links resolved (found one step per component: the system's
    /// `realpath` reads each prefix whole, for a deep folder millions of steps).
    fn above(&self, root: &Path, canonical: &Path, above: &mut Above) -> Option<Arc<Node>> {
        let canonical = canonical.to_path_buf();
        // The root's own first, then each folder above it.
        let numbers = above.numbers(&canonical);
        let mut folders: Vec<&Path> = canonical.ancestors().collect();
        if folders.len() != numbers.len() {
            return None;
        }
        // From the top down, each folder opened from the one above it: a name in it is looked
        // at in one step, whatever its depth. Whether each holds `.git`, when not known yet.
        folders.reverse();
        let count = numbers.len();
        let top_down = |index: usize| numbers[count - 1 - index];
        // A folder is in a repository when it or one above it holds `.git` (from the top down).
        let mut inside = false;
        let unknown = (0..count).any(|index| {
            let folder = above.folder(top_down(index));
            inside |= folder.has_git == Some(true);
            folder.has_git.is_none() || (inside && folder.names.is_none())
        });
        if unknown {
            let mut inside = false;
            down(&folders, count, |index, at| {
                let folder = above.folder(top_down(index));
                if folder.has_git.is_none() {
                    folder.has_git = Some(at.is_repository());
                }
                inside |= folder.has_git == Some(true);
                if inside && folder.names.is_none() {
                    let has = |name: &str| at.meta(Path::new(name), false).is_some();
                    folder.names = Some((has(".ignore"), has(".gitignore")));
                }
            });
        }
        let with_git: Vec<bool> = numbers
            .iter()
            .map(|&number| above.folder(number).has_git == Some(true))
            .collect();
        let (&root_has_git, between) = with_git.split_first()?;
        // From the root's parent up (`between[at]` is `numbers[at + 1]`); the folders at and
        // below the root's repository read its `.gitignore` and `.git/info/exclude`.
        let outermost = between.iter().rposition(|&git| git)?;
        let repository = if root_has_git {
            None
        } else {
            between.iter().position(|&git| git)
        };
        let git_at = |at: usize| repository.is_some_and(|repository| at <= repository);
        // The ignore files of the folders from the outermost repository down to the root's
        // parent, when not read yet (by another root below them).
        let first = count - 2 - outermost;
        // The folders with nothing to read get their (empty) files without being gone to; the
        // way down goes as deep as the deepest folder with something to read.
        let mut deepest = None;
        for at in 0..=outermost {
            let git = git_at(at);
            let Some(&number) = numbers.get(at + 1) else {
                continue;
            };
            let folder = above.folder(number);
            if folder.read[usize::from(git)].is_some() {
                continue;
            }
            let has_git = folder.has_git == Some(true);
            let nothing = folder.names.is_some_and(|(dot_ignore, gitignore)| {
                !dot_ignore && !(git && (gitignore || has_git))
            });
            if nothing {
                folder.read[usize::from(git)] = Some(Files {
                    dot_ignore: None,
                    gitignore: None,
                    exclude: None,
                    has_git,
                });
            } else {
                // `at` counts up from the root's parent; the way down counts from the top.
                deepest = deepest.max(Some(count - 2 - at));
            }
        }
        if let Some(deepest) = deepest {
            down(&folders, deepest + 1, |index, at_dir| {
                if index < first {
                    return;
                }
                let at = count - 2 - index;
                let git = git_at(at);
                let folder = above.folder(top_down(index));
                if folder.read[usize::from(git)].is_some() {
                    return;
                }
                let read = self.read_dir(at_dir, git, None, None);
                folder.read[usize::from(git)] = Some(Files {
                    dot_ignore: read.dot_ignore,
                    gitignore: read.gitignore,
                    exclude: read.exclude,
                    has_git: read.has_git,
                });
            });
        }
        let mut node: Option<Arc<Node>> = None;
        for at in (0..=outermost).rev() {
            let Some(&number) = numbers.get(at + 1) else {
                continue;
            };
            let Some(files) = above.folder(number).read[usize::from(git_at(at))].clone() else {
                continue;
            };
            if files.dot_ignore.is_none() && files.gitignore.is_none() && files.exclude.is_none() {
                continue;
            }
            let Some(dir) = folders.get(count - 2 - at) else {
                continue;
            };
            let Ok(below) = canonical.strip_prefix(dir) else {
                continue;
            };
            node = Some(Arc::new(Node {
                dot_ignore: files.dot_ignore,
                gitignore: files.gitignore,
                exclude: files.exclude,
                dir: PathBuf::new(),
                above_root: Some((root.to_path_buf(), below.to_path_buf())),
                has_git: files.has_git,
                parent: node,
            }));
        }
        node
    }

    /// Read the ignore files of `dir` into a node below `parent`: its `.ignore` and, with `git`,
    /// its `.gitignore` and `.git/info/exclude`. `listed`: what the folder's listing says of
    /// those names, when it was listed (a name it does not have is not looked at).
    fn read_dir(
        &self,
        dir: At,
        git: bool,
        parent: Option<Arc<Node>>,
        listed: Option<&Listed>,
    ) -> Node {
        let has = |name: fn(&Listed) -> bool| listed.is_none_or(name);
        let dotgit = if has(|listed| listed.git) {
            dir.meta(Path::new(".git"), false)
        } else {
            None
        };
        let has_git = dotgit.is_some()
            && match listed {
                Some(listed) => listed.repository,
                None => dir.is_repository(),
            };
        let exclude = |dotgit: Meta| {
            if dotgit.kind == Kind::File {
                self.read_linked_exclude(dir)
            } else {
                self.read_at(dir, &[".git", "info"], "exclude")
            }
        };
        let (gitignore, exclude) = if git {
            (
                has(|listed| listed.gitignore)
                    .then(|| self.read_at(dir, &[], ".gitignore"))
                    .flatten(),
                dotgit.and_then(exclude),
            )
        } else {
            (None, None)
        };
        Node {
            dot_ignore: has(|listed| listed.dot_ignore)
                .then(|| self.read_at(dir, &[], ".ignore"))
                .flatten(),
            gitignore,
            exclude,
            dir: dir.path.to_path_buf(),
            above_root: None,
            has_git,
            parent,
        }
    }

    /// The `info/exclude` of the repository whose `.git` in `dir` is a file that says
    /// `gitdir: <path>` (a linked work tree, a submodule): git reads it in that git directory's
    /// common directory (what its `commondir` file names, the main repository's `.git` for a
    /// linked work tree), which is usually outside the scanned tree. Only that one file is read
    /// there, with the checks of every ignore file (regular, not a link, no folder on the way
    /// from the common directory a link, within the caps, opened non-blocking), and never when
    /// the common directory resolves into `/proc` or `/sys`. The `.git` file and `commondir`
    /// are one line each: regular files, not links, read non-blocking and bounded.
    fn read_linked_exclude(&self, dir: At) -> Option<Arc<Gitignore>> {
        let line = self.first_line(dir, ".git")?;
        let git_dir = dir.path.join(line.strip_prefix("gitdir:")?.trim());
        let commondir = git_dir.join("commondir");
        let common = if std::fs::symlink_metadata(&commondir).is_ok() {
            git_dir.join(self.first_line(At::path(&git_dir), "commondir")?)
        } else {
            git_dir
        };
        if !std::fs::metadata(&common).is_ok_and(|meta| meta.is_dir()) {
            return None;
        }
        if let Some(target) = crate::kernel_file(&common) {
            let shown = super::display_path(&common.join("info").join("exclude"));
            return self.refuse(
                &shown,
                &format!(
                    "the git directory is `{}`, a folder of the kernel",
                    target.display()
                ),
            );
        }
        self.read_at(At::path(&common), &["info"], "exclude")
    }

    /// The first line of a `.git` file or a `commondir` file, trimmed; `None` when it is
    /// missing, empty or not a regular file (git refuses such a repository), with a note when
    /// it cannot be read without waiting or is over the cap.
    fn first_line(&self, dir: At, name: &str) -> Option<String> {
        /// A line that names a folder: a path, well under this (git reads a `.git` file of
        /// up to 1 MiB).
        const MAX_LINE_FILE: u64 = 1 << 20;
        let meta = dir.meta(Path::new(name), false)?;
        if meta.kind != Kind::File {
            return None;
        }
        // Its own limit, not `max-file-size` (which the configuration sets for linted files).
        let over = |len: u64| {
            format!(
                "{len} bytes, over the {} MiB shutdownlint reads of a `{name}` file",
                MAX_LINE_FILE >> 20
            )
        };
        let read = if meta.len > MAX_LINE_FILE {
            Err(over(meta.len))
        } else {
            dir.read(Path::new(name), MAX_LINE_FILE).map_err(|why| {
                match why.split_once(" bytes is over the ") {
                    // It grew since it was looked at.
                    Some((len, _)) => over(len.parse().unwrap_or(MAX_LINE_FILE + 1)),
                    None => why,
                }
            })
        };
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(why) => {
                if let Ok(mut notes) = self.notes.lock() {
                    notes.push(format!(
                        "{}: {}; the repository's info/exclude is not applied",
                        super::display_path(&dir.path.join(name)),
                        why.trim_end_matches("; skipped")
                    ));
                }
                return None;
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let line = text.lines().next().unwrap_or("").trim();
        (!line.is_empty()).then(|| line.to_string())
    }

    /// Note that the ignore file shown as `shown` is not applied, and why.
    fn refuse<T>(&self, shown: &str, why: &str) -> Option<T> {
        if let Ok(mut notes) = self.notes.lock() {
            notes.push(format!("{shown}: {why}; its patterns are not applied"));
        }
        None
    }

    /// The ignore file `name` in the folders `inside` of `base`, when it is a regular file
    /// within the caps and no folder on the way is a link. `None` without a word when it does
    /// not exist (or a folder on the way is not a folder: `.git` as a file, in a worktree). A
    /// repository's `info/exclude` may be outside the work tree; its patterns are relative to
    /// the work tree all the same.
    fn read_at(&self, base: At, inside: &[&str], name: &str) -> Option<Arc<Gitignore>> {
        // The names below `base`: looked up from it.
        let mut rel = PathBuf::new();
        let mut linked = None;
        for (at, folder) in inside.iter().enumerate() {
            rel.push(folder);
            let meta = base.meta(&rel, false)?;
            if meta.kind == Kind::Link {
                linked = Some(inside[..=at].join("/"));
                rel.extend(&inside[at + 1..]);
                break;
            }
            if meta.kind != Kind::Dir {
                return None;
            }
        }
        rel.push(name);
        let path = base.path.join(&rel);
        // Made only for a note: the path of a folder thousands deep is long.
        let refuse = |why: &str| self.refuse(&super::display_path(&path), why);
        if let Some(linked) = linked {
            // Whether there is a file to refuse, by its metadata only: never opened.
            base.meta(&rel, true)?;
            return refuse(&format!("{linked} is a symbolic link; not followed"));
        }
        let meta = base.meta(&rel, false)?;
        let path = path.as_path();
        if meta.kind == Kind::Link {
            return refuse("a symbolic link; not followed");
        }
        if meta.kind != Kind::File {
            return refuse("not a regular file");
        }
        if meta.len > MAX_IGNORE_FILE_BYTES {
            return refuse(&format!(
                "{} bytes, over the {} KiB an ignore file may have",
                meta.len,
                MAX_IGNORE_FILE_BYTES / 1024
            ));
        }
        // The same file again (the repository's `.gitignore` above another folder argument, a
        // folder named twice): what it gave, at no further cost.
        let id = meta.id;
        let first = match self.read.lock() {
            Ok(mut read) => match read.get(&id) {
                Some(Some(done)) => return done.clone().unwrap_or_else(|why| refuse(&why)),
                // Another thread is reading it: read it too, charged once.
                Some(None) => false,
                None => {
                    // A copy on unix (device and inode), a path elsewhere.
                    #[cfg_attr(unix, allow(clippy::clone_on_copy))]
                    read.insert(id.clone(), None);
                    true
                }
            },
            Err(_) => true,
        };
        if first {
            let spent = self.spent.fetch_add(meta.len, Ordering::Relaxed);
            if spent.saturating_add(meta.len) > self.budget {
                self.over_budget.store(true, Ordering::Relaxed);
                if let Ok(mut read) = self.read.lock() {
                    read.insert(id, Some(Ok(None)));
                }
                return None;
            }
        }
        let done = Self::compile(path, base.read(&rel, MAX_IGNORE_FILE_BYTES));
        if let Ok(mut read) = self.read.lock() {
            read.insert(id, Some(done.clone()));
        }
        done.unwrap_or_else(|why| refuse(&why))
    }

    /// The patterns of the ignore file `path` (a regular file within the cap, read as
    /// `bytes`), for paths relative to its folder.
    fn compile(path: &Path, bytes: Result<Vec<u8>, String>) -> Read {
        let bytes = bytes?;
        let text = String::from_utf8_lossy(&bytes);
        // Rooted at `.`: the matcher strips no folder from the paths it is given (they are made
        // relative to the file's folder first), so any spelling of that folder can share it.
        let mut builder = GitignoreBuilder::new(".");
        for line in text.lines() {
            // A line that is not a valid glob is skipped, as git does.
            let _ = builder.add_line(Some(path.to_path_buf()), line);
        }
        Ok(builder
            .build()
            .ok()
            .filter(|matcher| !matcher.is_empty())
            .map(Arc::new))
    }

    /// The patterns of the folders above the scanned folder `root` (as given) that apply in it.
    pub fn above_root(&self, root: &Path) -> Option<Arc<Node>> {
        self.above_roots.get(root).cloned().flatten()
    }

    /// The patterns that apply inside the folder `dir` the walk entered: its own ignore files
    /// below those of the folders above it (`parent`). `listed`: what its listing has.
    pub fn enter(&self, dir: At, parent: Option<Arc<Node>>, listed: &Listed) -> Option<Arc<Node>> {
        if self.off || !(listed.dot_ignore || listed.gitignore || listed.git) {
            return parent;
        }
        let node = self.read_dir(dir, true, parent.clone(), Some(listed));
        // A directory with `.git` keeps a node of its own, empty or not: it ends the reach of
        // the `.gitignore` files above it.
        if node.is_empty() && !(node.has_git && parent.is_some()) {
            parent
        } else {
            Some(Arc::new(node))
        }
    }

    /// The notes on ignore files not applied.
    pub fn into_notes(self) -> Vec<String> {
        self.notes.into_inner().unwrap_or_default()
    }
}
