//! Change mode (`--diff BASE`): the files a change touches, which of them are migrations and
//! which are application code, and what the migrations do.
//!
//! The change is `BASE...HEAD`: from the merge base of BASE and HEAD to HEAD, as a pull request
//! shows it. Migrations are read as committed at HEAD (not from the work tree), so positions
//! match what the pull request contains.

pub mod classify;
pub mod destructive;
pub mod git;
pub mod paths;

use std::path::PathBuf;

use crate::config::{Config, ConfigError};
use crate::source::{FileId, FileKind, Files, SourceFile};
use crate::span::Span;
use crate::suppress::{self, Suppression};

pub use classify::{Framework, Role};
pub use git::{GitError, Status};

/// One changed path.
#[derive(Debug, Clone)]
pub struct ChangedFile {
    /// Relative to the repository root, `/`-separated.
    pub path: String,
    /// As shown to users: the path given on the command line joined with the path found.
    pub display: String,
    pub status: Status,
    pub old_path: Option<String>,
    /// The blob on the base side and at HEAD (full object ids), when there is one.
    pub old_blob: Option<String>,
    pub new_blob: Option<String>,
    pub role: Role,
}

/// A migration file added or modified by the change, with its content at HEAD.
#[derive(Debug, Clone)]
pub struct ChangedMigration {
    /// Index into [`ChangeSet::files`].
    pub file: usize,
    pub framework: Framework,
    /// A rollback file (`*.down.sql`, Diesel `down.sql`, a Flyway undo script): it never runs on
    /// a deploy, but says what its up migration's changes are undone with.
    pub rollback: bool,
    /// `None` when the file is too large or not a regular file.
    pub text: Option<String>,
    /// Lines (1-based, inclusive ranges) the change added or modified; `None`: the whole file is
    /// new (added or copied).
    pub changed_lines: Option<Vec<(u32, u32)>>,
}

impl ChangedMigration {
    /// Whether the change touched the 1-based `line` (the ranges are sorted and disjoint, as a
    /// diff's hunks are, so this is a binary search).
    pub fn touches_line(&self, line: u32) -> bool {
        self.changed_lines.as_ref().is_none_or(|ranges| {
            let after = ranges.partition_point(|&(start, _)| start <= line);
            after > 0 && ranges[after - 1].1 >= line
        })
    }
}

/// The change under review.
#[derive(Debug, Clone)]
pub struct ChangeSet {
    /// The base as the user named it (`origin/main`).
    pub base: String,
    /// The merge base of BASE and HEAD (a commit id).
    pub merge_base: String,
    /// Every changed path under the linted paths, in git's order.
    pub files: Vec<ChangedFile>,
    /// The migrations the change adds or modifies (deleted migrations run nothing).
    pub migrations: Vec<ChangedMigration>,
    /// Migrations left unreviewed, and why.
    pub notes: Vec<String>,
    /// The top of the work tree under review (none when no path was in one).
    pub repository: Option<PathBuf>,
    /// The linted paths this change covers, without links.
    reviewed_roots: std::collections::HashSet<PathBuf>,
    /// Repositories the notes already name (a path argument in one).
    noted_repositories: std::collections::HashSet<PathBuf>,
}

impl ChangeSet {
    /// Application code the change adds, modifies or deletes.
    pub fn code_files(&self) -> impl Iterator<Item = &ChangedFile> {
        self.files.iter().filter(|f| f.role == Role::Code)
    }

    /// Notes for the repositories the walk found inside the linted folders (a checkout in a
    /// checkout, a submodule): their files are linted, but their commits are not this
    /// repository's, so nothing committed there is reviewed. Repositories a path argument is
    /// in were named already; the first [`MAX_REPOSITORY_NOTES`] get a note each, then one
    /// note counts the rest.
    pub fn unreviewed(&self, found: &[crate::discover::Repository]) -> Vec<String> {
        let Some(repository) = &self.repository else {
            return Vec::new();
        };
        let mut unreviewed = found.iter().filter(|r| {
            r.real != *repository
                && !self.noted_repositories.contains(&r.real)
                && r.real
                    .ancestors()
                    .skip(1)
                    .any(|dir| self.reviewed_roots.contains(dir))
        });
        let mut notes: Vec<String> = unreviewed
            .by_ref()
            .take(MAX_REPOSITORY_NOTES)
            .map(|r| {
                format!(
                    "{}: a repository of its own inside the linted paths; change mode (--diff) reviews only the first path's repository (`{}`): the files in it are linted, the migrations committed in it are not reviewed (run it again for this path)",
                    r.display,
                    crate::discover::display_path(repository)
                )
            })
            .collect();
        let more = unreviewed.count();
        if more > 0 {
            notes.push(format!(
                "and {more} more repositor{} inside the linted paths, not reviewed by change mode (--diff) either",
                if more == 1 { "y" } else { "ies" }
            ));
        }
        notes
    }
}

/// How many repositories inside the linted folders get a note each in change mode.
pub const MAX_REPOSITORY_NOTES: usize = 10;

/// Why change mode could not run (exit 2).
#[derive(Debug)]
pub enum ChangeError {
    Git(GitError),
    Config(ConfigError),
}

impl std::fmt::Display for ChangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChangeError::Git(e) => write!(f, "--diff: {e}"),
            ChangeError::Config(e) => e.fmt(f),
        }
    }
}

impl From<GitError> for ChangeError {
    fn from(e: GitError) -> Self {
        ChangeError::Git(e)
    }
}

impl From<ConfigError> for ChangeError {
    fn from(e: ConfigError) -> Self {
        ChangeError::Config(e)
    }
}

/// A linted path as typed and where it is on disk.
struct Root {
    given: PathBuf,
    /// `given` made absolute by name (`..` takes off the name before it, links are not
    /// resolved), as discovery matches `exclude` and the configuration's globs.
    named: PathBuf,
    /// Without links ([`paths::locate`]).
    real: PathBuf,
    /// Its folder on disk (`real` itself for a folder).
    dir: PathBuf,
    /// The top of the work tree that holds `dir`: the nearest folder at or above it with a
    /// `.git` (found by [`paths::locate_repository`] on its walk).
    repository: Option<PathBuf>,
}

/// The linted paths' places on disk, looked up component by component: each changed file goes
/// to the first path (in the order given) that holds it, at a cost of its own length whatever
/// the number of paths (a search of every path for each changed file took 15,000 changed files
/// and 15,000 paths over 20 seconds).
struct RootTrie<'a> {
    /// Each folder on the way to a root (node 0: where paths start), with the index of the
    /// first root that is this folder, if one is.
    roots: Vec<Option<usize>>,
    /// A node and the name of a component below it: that component's node. The names are the
    /// roots' own (borrowed): a node costs a few dozen bytes whatever the depth.
    below: std::collections::HashMap<(usize, &'a std::ffi::OsStr), usize>,
}

impl<'a> RootTrie<'a> {
    fn new(roots: &'a [Root]) -> Self {
        let mut trie = RootTrie {
            roots: vec![None],
            below: std::collections::HashMap::new(),
        };
        for (index, root) in roots.iter().enumerate() {
            let mut node = 0;
            for component in root.real.components() {
                let next = trie.roots.len();
                node = *trie
                    .below
                    .entry((node, component.as_os_str()))
                    .or_insert(next);
                if node == next {
                    trie.roots.push(None);
                }
            }
            if let Some(slot) = trie.roots.get_mut(node) {
                slot.get_or_insert(index);
            }
        }
        trie
    }

    /// The first root (lowest index) that `path` is, or is below.
    fn find(&self, path: &std::path::Path) -> Option<usize> {
        let mut node = 0;
        let mut found = self.roots.first().copied().flatten();
        for component in path.components() {
            let Some(&next) = self.below.get(&(node, component.as_os_str())) else {
                break;
            };
            node = next;
            found = match (found, self.roots.get(node).copied().flatten()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        found
    }
}

/// Read the change `base...HEAD` of the repository that holds `paths` (default: `.`), keeping
/// the changed files under those paths that the configuration does not exclude.
///
/// A path that is, or goes through, a symbolic link in a git work tree is not followed
/// ([`paths::locate`]): it gets a note and picks no repository and no file. The repository is
/// the one of the first other path, found from that path's folder on disk; when there is none,
/// no git runs and the change is empty.
pub fn load(
    paths: &[PathBuf],
    base: &str,
    config: &Config,
    max_file_bytes: u64,
) -> Result<ChangeSet, ChangeError> {
    let default = [PathBuf::from(".")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let cwd = std::env::current_dir().map_err(|e| {
        GitError(format!(
            "cannot read the working directory ({e}), where the linted paths are"
        ))
    })?;
    let exclude = crate::discover::exclude_matcher(config)?;
    let mut notes = Vec::new();
    let mut roots = Vec::new();
    let mut first_dir = None;
    let mut spellings = std::collections::HashSet::new();
    for given in paths {
        if !spellings.insert(given) {
            continue;
        }
        let (located, repository) = paths::locate_repository(given, &cwd);
        match located {
            paths::Located::Found { real, dir } => {
                let named = crate::discover::absolute_by_name(given);
                // A link of the user's own named whole (`ul`, `/proc/self/cwd`; not `ul/`):
                // discovery does not follow it, nor does change mode.
                if std::fs::symlink_metadata(given).is_ok_and(|m| m.file_type().is_symlink()) {
                    if !excluded(exclude.as_ref(), &named) {
                        notes.push(format!(
                            "{}: a symbolic link; change mode (--diff) does not follow it: no repository or changed file is taken from it (name the path it points to)",
                            crate::discover::display_path(given)
                        ));
                    }
                    continue;
                }
                first_dir.get_or_insert_with(|| dir.clone());
                roots.push(Root {
                    given: given.clone(),
                    named,
                    real,
                    dir,
                    repository,
                });
            }
            paths::Located::Link { link, whole } => {
                let what = if whole {
                    "a symbolic link".to_string()
                } else {
                    format!(
                        "goes through the symbolic link `{}`",
                        crate::discover::display_path(&link)
                    )
                };
                notes.push(format!(
                    "{}: {what}; change mode (--diff) does not follow it: no repository or changed file is taken from it (name the path it points to)",
                    crate::discover::display_path(given)
                ));
            }
            paths::Located::Unreadable { path, error } => {
                notes.push(format!(
                    "{}: `{}` cannot be looked at ({error}); change mode (--diff) takes no repository or changed file from it",
                    crate::discover::display_path(given),
                    crate::discover::display_path(&path)
                ));
            }
        }
    }
    let Some(dir) = first_dir else {
        return Ok(ChangeSet {
            base: base.to_string(),
            merge_base: String::new(),
            files: Vec::new(),
            migrations: Vec::new(),
            notes,
            repository: None,
            reviewed_roots: Default::default(),
            noted_repositories: Default::default(),
        });
    };
    let repo = git::Repo::discover(&dir)?;
    // One repository per run: a path outside its work tree, or in a repository nested in it,
    // is not in its diff, so it gets a note instead of passing as reviewed.
    // The walk that found each path also found its repository: no path is looked at whole.
    let mut noted_repositories = std::collections::HashSet::new();
    roots.retain(|root| {
        let other = if root.dir.starts_with(&repo.root) {
            // A nested repository or submodule has a `.git` of its own below the top.
            root.repository
                .as_ref()
                .filter(|top| top.starts_with(&repo.root) && **top != repo.root)
                .map(|top| {
                    format!(
                        "in the repository at `{}`",
                        crate::discover::display_path(top)
                    )
                })
        } else if repo.root.starts_with(&root.real) {
            // A folder above the repository: the changed files under it are the repository's,
            // but a repository of its own is not reviewed.
            if let Some(own) = &root.repository {
                noted_repositories.insert(own.clone());
                notes.push(format!(
                    "{}: its own repository (`{}`) is not reviewed, only the repository of the first path (`{}`) in it; change mode (--diff) reviews one repository per run: run it again for this path",
                    crate::discover::display_path(&root.given),
                    crate::discover::display_path(own),
                    crate::discover::display_path(&repo.root),
                ));
            }
            None
        } else {
            Some("outside it".to_string())
        };
        if other.is_some() {
            if let Some(top) = &root.repository {
                noted_repositories.insert(top.clone());
            }
        }
        if let Some(other) = &other {
            notes.push(format!(
                "{}: not in the repository of the first path (`{}`) but {other}; change mode (--diff) reviews one repository per run: run it again for this path",
                crate::discover::display_path(&root.given),
                crate::discover::display_path(&repo.root),
            ));
        }
        other.is_none()
    });
    let base_commit = repo.resolve(base)?;
    let merge_base = repo.merge_base(base, &base_commit)?;
    let entries = repo.changed(&merge_base)?;
    // Every path the change touches, for the line diff's pathspecs.
    let touched: Vec<String> = entries
        .iter()
        .flat_map(|e| std::iter::once(e.path.clone()).chain(e.old_path.clone()))
        .collect();

    let migrations = config.migrations.paths.clone().unwrap_or_default();
    let code = config.migrations.code.clone().unwrap_or_default();
    let not_code = config.migrations.not_code.clone().unwrap_or_default();
    let classifier = classify::Classifier::new(&migrations, &code, &not_code)?;
    // The configuration's globs are relative to its folder, by name as `exclude` is.
    let config_root = config
        .root
        .as_deref()
        .map(crate::discover::absolute_by_name);

    let trie = RootTrie::new(&roots);
    let mut files = Vec::new();
    for entry in entries {
        // Its bytes as git wrote them: a name that is not UTF-8 is found too.
        let absolute = repo.root.join(&entry.bytes);
        let Some(root) = trie.find(&absolute).and_then(|i| roots.get(i)) else {
            continue;
        };
        let rest = absolute.strip_prefix(&root.real).ok();
        // The path by the name the argument gave (through a link of the user's own, `..`
        // resolved by name), as discovery matches `exclude`.
        let named = match rest {
            Some(rest) if !rest.as_os_str().is_empty() => root.named.join(rest),
            Some(_) => root.named.clone(),
            None => absolute.clone(),
        };
        if excluded(exclude.as_ref(), &named) {
            continue;
        }
        let display = match rest {
            Some(rest) if rest.as_os_str().is_empty() => crate::discover::display_path(&root.given),
            Some(rest) => crate::discover::display_path(&root.given.join(rest)),
            None => entry.path.clone(),
        };
        let from_config = config_root
            .as_deref()
            .and_then(|config_root| named.strip_prefix(config_root).ok())
            .map(slash_separated);
        files.push(ChangedFile {
            role: classifier.classify_with(&entry.path, from_config.as_deref()),
            path: entry.path,
            display,
            status: entry.status,
            old_path: entry.old_path,
            old_blob: entry.old_blob,
            new_blob: entry.new_blob,
        });
    }

    // Migrations the change adds or modifies: their content at HEAD and the lines it touched.
    let wanted: Vec<(usize, Framework)> = files
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match f.role {
            Role::Migration(framework) if f.status != Status::Deleted => Some((i, framework)),
            _ => None,
        })
        .collect();
    let wanted_blobs: Vec<Option<&str>> = wanted
        .iter()
        .map(|&(i, _)| files[i].new_blob.as_deref())
        .collect();
    // A migration over the size cap, at HEAD or on the base side, is not reviewed (with a
    // note): its text would be read whole, and its line diff would have git load both sides.
    let mut over_cap = |n: usize, size: u64, side: &str| {
        notes.push(format!(
            "{}: {size} bytes{side} is over the {max_file_bytes} byte limit (max-file-size); the migration is not reviewed",
            files[wanted[n].0].display
        ));
    };
    let mut read = Vec::with_capacity(wanted.len());
    for (n, size) in repo.blob_sizes(&wanted_blobs)?.into_iter().enumerate() {
        if let Some(size) = size.filter(|&s| s > max_file_bytes) {
            over_cap(n, size, "");
        }
        read.push(size.is_some_and(|s| s <= max_file_bytes));
    }
    let earlier: Vec<(usize, Option<&str>)> = wanted
        .iter()
        .enumerate()
        .map(|(n, &(i, _))| (n, &files[i]))
        .filter(|(n, f)| read[*n] && !matches!(f.status, Status::Added | Status::Copied))
        .map(|(n, f)| (n, f.old_blob.as_deref()))
        .collect();
    let earlier_blobs: Vec<Option<&str>> = earlier.iter().map(|&(_, b)| b).collect();
    let earlier_sizes = repo.blob_sizes(&earlier_blobs)?;
    for (&(n, _), size) in earlier.iter().zip(earlier_sizes) {
        if let Some(size) = size.filter(|&s| s > max_file_bytes) {
            read[n] = false;
            over_cap(n, size, " at the merge base");
        }
    }
    let texts = repo.read_blobs(&wanted_blobs, &read)?;
    // Renamed files need both names in the pathspec, or git sees an added file.
    let partial: Vec<&str> = wanted
        .iter()
        .zip(&read)
        .filter(|(_, &read)| read)
        .map(|(&(i, _), _)| &files[i])
        .filter(|f| !matches!(f.status, Status::Added | Status::Copied))
        .flat_map(|f| std::iter::once(f.path.as_str()).chain(f.old_path.as_deref()))
        .collect();
    let touched: Vec<&str> = touched.iter().map(String::as_str).collect();
    let hunks = repo.changed_lines(&merge_base, &partial, &touched)?;
    // One lookup per migration (a change can modify thousands).
    let hunks: std::collections::HashMap<&str, &Vec<(u32, u32)>> = hunks
        .iter()
        .rev()
        .map(|(path, ranges)| (path.as_str(), ranges))
        .collect();
    let migrations = wanted
        .into_iter()
        .zip(texts)
        .map(|((file, framework), text)| {
            let f = &files[file];
            let changed_lines = if matches!(f.status, Status::Added | Status::Copied) {
                None
            } else {
                Some(
                    hunks
                        .get(f.path.as_str())
                        .map(|ranges| {
                            let mut ranges = (*ranges).clone();
                            ranges.sort_unstable();
                            ranges
                        })
                        .unwrap_or_default(),
                )
            };
            ChangedMigration {
                file,
                framework,
                rollback: classify::is_rollback_file(&f.path),
                text,
                changed_lines,
            }
        })
        .collect();
    Ok(ChangeSet {
        base: base.to_string(),
        merge_base,
        files,
        migrations,
        notes,
        reviewed_roots: roots.into_iter().map(|root| root.real).collect(),
        repository: Some(repo.root),
        noted_repositories,
    })
}

/// Whether `exclude` leaves out the changed file `named` (absolute, by name).
fn excluded(exclude: Option<&ignore::gitignore::Gitignore>, named: &std::path::Path) -> bool {
    exclude.is_some_and(|m| {
        named.starts_with(m.path()) && m.matched_path_or_any_parents(named, false).is_ignore()
    })
}

/// A relative path as globs match it: its names joined with `/`.
fn slash_separated(path: &std::path::Path) -> String {
    let names: Vec<std::borrow::Cow<'_, str>> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    names.join("/")
}

/// The change, as rules see it: each migration with its file in the run's [`Files`].
#[derive(Debug)]
pub struct ChangeContext<'a> {
    pub set: &'a ChangeSet,
    /// Parallel to `set.migrations`: the file holding the migration's text (none when it could
    /// not be read).
    pub migration_files: Vec<Option<FileId>>,
    /// Parallel to `set.migrations`: the destructive statements on lines the change touched.
    pub destructive: Vec<Vec<destructive::Destructive>>,
}

impl ChangeContext<'_> {
    /// The migrations with their text and file.
    /// The migrations that run on a deploy (not rollback files), with their file and the
    /// destructive statements the change brings.
    pub fn migrations(
        &self,
    ) -> impl Iterator<
        Item = (
            &ChangedMigration,
            &ChangedFile,
            FileId,
            &[destructive::Destructive],
        ),
    > {
        self.set
            .migrations
            .iter()
            .zip(&self.migration_files)
            .zip(&self.destructive)
            .filter(|((m, _), _)| !m.rollback)
            .filter_map(|((m, id), d)| Some((m, &self.set.files[m.file], (*id)?, d.as_slice())))
    }

    /// "ships with app/models/user.rb, app/views/x.erb and 3 more code files" (paths relative to
    /// the repository root, as the pull request shows them).
    pub fn code_summary(&self) -> Option<String> {
        let code: Vec<&ChangedFile> = self.set.code_files().collect();
        let (first, rest) = code.split_first()?;
        const SHOWN: usize = 3;
        let mut names: Vec<String> = std::iter::once(*first)
            .chain(rest.iter().copied())
            .take(SHOWN)
            .map(|f| {
                if f.status == Status::Deleted {
                    format!("{} (deleted)", f.path)
                } else {
                    f.path.clone()
                }
            })
            .collect();
        let more = code.len().saturating_sub(SHOWN);
        Some(match (names.len(), more) {
            (1, _) => names.remove(0),
            (_, 0) => {
                let last = names.pop().unwrap_or_default();
                format!("{} and {last}", names.join(", "))
            }
            _ => format!(
                "{} and {more} more code file{}",
                names.join(", "),
                if more == 1 { "" } else { "s" }
            ),
        })
    }
}

impl ChangeContext<'_> {
    /// The code files the change ships, one per line, for the human output: the finding grouped
    /// with what it ships with.
    pub fn code_footer(&self) -> String {
        const SHOWN: usize = 20;
        let code: Vec<&ChangedFile> = self.set.code_files().collect();
        let mut out = format!(
            "ships in {}...HEAD with {} application code file{}:",
            self.set.base,
            code.len(),
            if code.len() == 1 { "" } else { "s" }
        );
        for f in code.iter().take(SHOWN) {
            out.push_str(&format!("\n    {} ({})", f.path, f.status.verb()));
        }
        if code.len() > SHOWN {
            out.push_str(&format!("\n    … and {} more", code.len() - SHOWN));
        }
        out
    }
}

/// Comment starts of a migration's language, for suppression comments.
fn comment_prefixes(path: &str) -> &'static [&'static str] {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("sql") => &["--", "#"],
        Some("rb" | "py" | "exs" | "ex" | "yaml" | "yml") => &["#"],
        Some("js" | "ts" | "mjs" | "cjs" | "mts" | "cts" | "php" | "go" | "java" | "kt") => {
            &["//", "#"]
        }
        _ => &["#", "--", "//"],
    }
}

/// Add the change's migrations to the run's files (for positions and snippets) and read their
/// suppression comments (`-- shutdownlint: ignore[SL603] reason` in SQL).
pub fn attach<'a>(
    set: &'a ChangeSet,
    files: &mut Files,
    suppressions: &mut Vec<Suppression>,
) -> ChangeContext<'a> {
    let migration_files = set
        .migrations
        .iter()
        .map(|m| {
            let text = m.text.as_deref()?;
            let f = &set.files[m.file];
            let id = files.push(SourceFile {
                path: f.display.clone(),
                kind: FileKind::Migration,
                text: text.into(),
            });
            suppressions.extend(suppress::parse_prefixed(
                id,
                text,
                comment_prefixes(&f.path),
            ));
            Some(id)
        })
        .collect();
    // Destructive statements, read across all the change's migrations in the order they run
    // (path order): a table one migration creates is new to the others.
    let mut order: Vec<usize> = (0..set.migrations.len())
        .filter(|&i| set.migrations[i].text.is_some())
        .collect();
    order.sort_by(|&a, &b| {
        set.files[set.migrations[a].file]
            .path
            .cmp(&set.files[set.migrations[b].file].path)
    });
    let inputs: Vec<(&str, &str)> = order
        .iter()
        .map(|&i| {
            let m = &set.migrations[i];
            (
                set.files[m.file].path.as_str(),
                m.text.as_deref().unwrap_or(""),
            )
        })
        .collect();
    let mut destructive = vec![Vec::new(); set.migrations.len()];
    for (&i, found) in order.iter().zip(destructive::find_all(&inputs)) {
        let m = &set.migrations[i];
        let text = m.text.as_deref().unwrap_or("");
        let lines = crate::source::LineIndex::new(text);
        destructive[i] = found
            .into_iter()
            .filter(|d| !m.rollback && m.touches_line(line_of(&lines, text, d.span)))
            .collect();
    }
    ChangeContext {
        set,
        migration_files,
        destructive,
    }
}

/// A span's 1-based line in `text` (whose line starts `lines` holds).
fn line_of(lines: &crate::source::LineIndex, text: &str, span: Span) -> u32 {
    let line = lines.line_of(span.start.min(text.len())) + 1;
    u32::try_from(line).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(changed_lines: Option<Vec<(u32, u32)>>) -> ChangedMigration {
        ChangedMigration {
            file: 0,
            framework: Framework::Flyway,
            rollback: false,
            text: Some(String::new()),
            changed_lines,
        }
    }

    #[test]
    fn touched_lines_are_the_hunks_ranges() {
        let m = migration(Some(vec![(2, 4), (7, 7), (10, 12)]));
        let touched: Vec<u32> = (0..15).filter(|&l| m.touches_line(l)).collect();
        assert_eq!(touched, vec![2, 3, 4, 7, 10, 11, 12]);
        assert!(!migration(Some(Vec::new())).touches_line(1));
        assert!(migration(None).touches_line(1));
    }

    /// A changed file goes to the first path given that holds it, as a search of the paths in
    /// order found it.
    #[test]
    fn the_first_root_that_holds_a_path() {
        let root = |real: &str| Root {
            given: PathBuf::from(real),
            named: PathBuf::from(real),
            real: PathBuf::from(real),
            dir: PathBuf::from(real),
            repository: None,
        };
        let roots = [root("/r/a/b"), root("/r"), root("/r/a"), root("/r/c")];
        let trie = RootTrie::new(&roots);
        let find = |path: &str| trie.find(std::path::Path::new(path));
        for path in [
            "/r/a/b/x", "/r/a/x", "/r", "/r/c/x", "/r/cc", "/q", "/r/a/b",
        ] {
            let expected = roots
                .iter()
                .position(|r| std::path::Path::new(path).starts_with(&r.real));
            assert_eq!(find(path), expected, "{path}");
        }
        assert_eq!(
            RootTrie::new(&roots[..1]).find(std::path::Path::new("/r/a")),
            None
        );
    }

    /// Statements are placed on their lines with one index per file: a migration of 300,000
    /// statements took minutes when each one counted lines from the start.
    #[test]
    fn lines_of_statements() {
        let text = "a\nbb\n\nccc";
        let lines = crate::source::LineIndex::new(text);
        let at = |start| line_of(&lines, text, Span::new(start, start));
        assert_eq!([0, 1, 2, 4, 5, 6, 9, 100].map(at), [1, 1, 2, 2, 3, 4, 4, 4]);
    }
}
