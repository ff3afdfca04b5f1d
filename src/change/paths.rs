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
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// How many links a path may go through, as the system allows (`ELOOP` past it).
const MAX_LINKS: usize = 40;

/// A linted path as found on disk.
#[derive(Debug, PartialEq, Eq)]
pub enum Located {
    /// The path with every link resolved (all of them outside work trees) and `.`/`..` applied:
    /// `real` when it exists. A path that does not exist (or cannot be looked at) is `real` up
    /// to its missing part with the rest added as given; `dir` is then the nearest folder that
    /// exists. `dir` is where its repository is looked for: `real` itself for a folder, else its
    /// folder.
    Found { real: PathBuf, dir: PathBuf },
    /// The path is, or goes through, a symbolic link inside a git work tree: `link`, as the
    /// argument spells it when the link is one of its own components, else its place on disk.
    Link { link: PathBuf, whole: bool },
}

/// One step of a path still to take.
enum Step {
    /// Start again at this root (`/`, or a Windows prefix with its root).
    Root(PathBuf),
    Parent,
    Name(OsString),
}

/// The steps of `path`, each with the index of the argument component it is (`None` for a
/// link's target).
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

/// Whether `dir` (a path without links) is in a git work tree: a `.git` of any kind in it or
/// above it. What such a folder holds can come from a repository.
fn in_work_tree(dir: &Path) -> bool {
    dir.ancestors()
        .any(|a| std::fs::symlink_metadata(a.join(".git")).is_ok())
}

/// Find `given` (relative to `cwd`, a path without links such as the working directory).
pub fn locate(given: &Path, cwd: &Path) -> Located {
    let mut pending: VecDeque<(Step, Option<usize>)> = steps(given, true).into();
    let mut real = if given.is_absolute() {
        PathBuf::new()
    } else {
        cwd.to_path_buf()
    };
    let mut links = 0;
    while let Some((step, index)) = pending.pop_front() {
        let name = match step {
            Step::Root(root) => {
                real = root;
                continue;
            }
            Step::Parent => {
                real.pop();
                continue;
            }
            Step::Name(name) => name,
        };
        let next = real.join(&name);
        let link = match std::fs::symlink_metadata(&next) {
            Ok(meta) if meta.file_type().is_symlink() => links < MAX_LINKS,
            Ok(_) => {
                real = next;
                continue;
            }
            Err(_) => false,
        };
        let target = if link && !in_work_tree(&real) {
            std::fs::read_link(&next).ok()
        } else {
            None
        };
        let Some(target) = target else {
            if link {
                let link = match index {
                    Some(i) => given.components().take(i + 1).collect(),
                    None => next,
                };
                let whole = index.is_some() && pending.iter().all(|(_, i)| i.is_none());
                return Located::Link { link, whole };
            }
            // Missing, unreadable or a loop: nothing further is looked at.
            let dir = if real.is_dir() {
                real.clone()
            } else {
                real.parent()
                    .map_or_else(|| real.clone(), Path::to_path_buf)
            };
            real = next;
            for (step, _) in pending {
                match step {
                    Step::Root(root) => real = root,
                    Step::Parent => real.push(".."),
                    Step::Name(name) => real.push(name),
                }
            }
            return Located::Found { real, dir };
        };
        links += 1;
        // The target's steps, then what was left: a relative target is taken from the link's
        // folder (`real`).
        for step in steps(&target, false).into_iter().rev() {
            pending.push_front(step);
        }
    }
    let dir = if real.is_dir() {
        real.clone()
    } else {
        real.parent()
            .map_or_else(|| real.clone(), Path::to_path_buf)
    };
    Located::Found { real, dir }
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
        assert_eq!(
            locate(Path::new("a/x"), &top),
            found(&top.join("a/x"), &top)
        );
    }
}
