//! SL203 no-retry-on-draining-upstream: `proxy_pass` to an upstream group of two or more
//! servers where the effective `proxy_next_upstream` does not retry on 502/503 (or retries are
//! off): a request that reaches a draining server fails instead of going to another one.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::Arc;

use crate::lower::nginx::{
    has_lua_balancer, Entries, Entry, Level, Lookup, Only, Part, PathsVerdict, PerLevel, Scan,
    ScanPass,
};
use crate::diagnostic::Location;
use crate::source::FileId;
use crate::rules::{Reporter, RuleContext};
use crate::span::Span;

/// What is wrong with the retry setting of one pass.
#[derive(Clone)]
struct Problem<'a> {
    /// `error timeout` (default), `off`, or the conditions as set.
    what: Arc<str>,
    /// The conditions missing (`http_502`, `http_503`); empty for `off` / `tries 1`.
    missing: Vec<&'static str>,
    /// The conditions the help suggests writing.
    write: Arc<str>,
    /// Where it is set (empty: the default).
    entries: Entries<'a>,
    level: Option<Level<'a>>,
    /// A key grouping passes that share the cause.
    key: String,
}

/// What the `proxy_next_upstream` lines of one level say when they do not retry on 502 and
/// 503: `what` they are (`off` or the conditions), what is `missing`, and the conditions to
/// `write` instead.
#[derive(Clone)]
struct Setting {
    what: Arc<str>,
    missing: Vec<&'static str>,
    write: Arc<str>,
}

/// `None` when a level's lines retry on 502 and 503.
type LevelProblem = Option<Setting>;

/// The conditions a message shows are at most this many (nginx knows 13; any other word is
/// one that `nginx -t` refuses), followed by `…` when a level has more. Whether the level has
/// a problem is decided from every line ([`flags`]); this only bounds what is shown, and the
/// cost of putting together the conditions of a level that includes a file with 100,000 of
/// them 1,000 times (each include joined the whole list again).
const MAX_CONDITIONS: usize = 32;

/// The conditions of some `proxy_next_upstream` lines, lowercased, each once, in order: the
/// first [`MAX_CONDITIONS`] of them, and whether there are more.
#[derive(Clone, Default)]
struct Conditions {
    shown: Vec<String>,
    more: bool,
}

impl Conditions {
    fn add(&mut self, value: &str) {
        if self.shown.iter().any(|c| c.eq_ignore_ascii_case(value)) {
            return;
        }
        if self.shown.len() < MAX_CONDITIONS {
            self.shown.push(value.to_ascii_lowercase());
        } else {
            self.more = true;
        }
    }

    fn of(entries: &[Entry<'_>]) -> Conditions {
        let mut conditions = Conditions::default();
        for arg in entries.iter().flat_map(|e| &e.directive.args) {
            conditions.add(&arg.value);
        }
        conditions
    }

    /// The conditions of `after` that `self` lacks, added to it: [`Conditions::of`] two lists
    /// of lines one after the other. (When `after` has more than it shows, so do both.)
    fn join(mut self, after: &Conditions) -> Conditions {
        for c in &after.shown {
            self.add(c);
        }
        self.more |= after.more;
        self
    }

    /// The conditions shown, with `…` when there are more, then `extra`.
    fn text(&self, extra: &[&str]) -> String {
        let mut words: Vec<&str> = self.shown.iter().map(String::as_str).collect();
        if self.more {
            words.push("…");
        }
        words.extend(extra);
        words.join(" ")
    }
}

/// Whether some `proxy_next_upstream` lines have `off`, `http_502`, `http_503` (in that order).
type Flags = [bool; 3];

fn flags(entries: &[Entry<'_>]) -> Flags {
    let mut flags = [false; 3];
    for arg in entries.iter().flat_map(|e| &e.directive.args) {
        for (flag, value) in flags.iter_mut().zip(["off", "http_502", "http_503"]) {
            *flag |= arg.value.eq_ignore_ascii_case(value);
        }
    }
    flags
}

/// What a level's lines say, worked out once per level. What decides whether there is a
/// problem is worked out once per level and once per included file's lines that levels share
/// ([`PerLevel::fold`]: a `location` with its own line beside an `include` of 20,000 read them
/// all again); the conditions to show, only for a level with a problem, each join bounded
/// ([`MAX_CONDITIONS`]).
#[derive(Default)]
struct Levels<'a> {
    flags: PerLevel<'a, Flags>,
    conditions: PerLevel<'a, Conditions>,
    problems: PerLevel<'a, LevelProblem>,
}

impl<'a> Levels<'a> {
    fn problem(&mut self, entries: &Entries<'a>) -> &LevelProblem {
        let Levels {
            flags: known_flags,
            conditions: known,
            problems,
        } = self;
        problems.get(entries, |entries| {
            let [off, http_502, http_503] = *known_flags.fold(entries, &flags, &|a, b| {
                [a[0] || b[0], a[1] || b[1], a[2] || b[2]]
            });
            if off {
                return Some(off_setting());
            }
            let missing: Vec<&'static str> = [(http_502, "http_502"), (http_503, "http_503")]
                .into_iter()
                .filter(|(have, _)| !have)
                .map(|(_, c)| c)
                .collect();
            if missing.is_empty() {
                return None;
            }
            let conditions = known.fold(
                entries,
                &|own: &[Entry<'a>]| Conditions::of(own),
                &|before: Conditions, after: &Conditions| before.join(after),
            );
            Some(Setting {
                what: Arc::from(format!("`{}`", conditions.text(&[]))),
                write: Arc::from(conditions.text(&missing)),
                missing,
            })
        })
    }
}

/// `off`: no retries at all.
fn off_setting() -> Setting {
    Setting {
        what: Arc::from("`off`"),
        missing: Vec::new(),
        write: Arc::from("error timeout http_502 http_503"),
    }
}

/// What a pass sends requests to: an upstream, or one upstream per configuration that
/// includes its file ([`Scan::upstream_set`]).
#[derive(Clone, Copy, Debug)]
enum Target {
    One((usize, usize)),
    Each(usize),
}

/// At most this many upstreams of other configurations are labelled on a finding about a file
/// they share (the last label says how many more there are).
const MAX_OTHER_UPSTREAMS: usize = 4;

/// At most this many `proxy_next_upstream` lines are labelled on a finding (those in effect,
/// and again the outer ones they hide), each place once however often a file that holds it is
/// included; the last label says how many more places there are.
const MAX_LINE_LABELS: usize = 8;

/// The places of some entries (an entry list, or the lists of several lookups one after the
/// other): each place once, the first [`MAX_LINE_LABELS`] in order, and how many there are.
struct Places {
    shown: Vec<Location>,
    count: usize,
    /// The files the places are in (sorted, each once): places in different files differ.
    files: Vec<FileId>,
}

impl Places {
    /// The labels: the places shown, the last one saying how many more there are.
    fn push_to(&self, text: &str, labels: &mut Vec<(Location, String)>) {
        let more = self.count - self.shown.len();
        let last = self.shown.len().saturating_sub(1);
        for (i, &place) in self.shown.iter().enumerate() {
            let text = match more {
                _ if i != last || more == 0 => text.to_string(),
                1 => format!("{text}; and 1 more such line"),
                _ => format!("{text}; and {more} more such lines"),
            };
            labels.push((place, text));
        }
    }
}

/// The places of entry lists, worked out once per list and put together from those of the
/// included files' lists it shares: a finding costs what it labels, not the length of the
/// lists (50,000 `server`s whose own `proxy_next_upstream` hides an `http` level including a
/// file of 5,000 such lines each read those 5,000 lines again, 17 s).
#[derive(Default)]
struct Labeler<'a> {
    /// By [`Entries::id`], the list kept so the address is not reused.
    lists: HashMap<usize, (Entries<'a>, Rc<Places>)>,
    /// The lines a setting hides: by (the lookups' address, the level's file and block), the
    /// lookups kept.
    hidden: HashMap<HiddenKey, (Arc<[Lookup<'a>]>, Rc<Places>)>,
}

/// The lines a setting hides: (the lookups' address, the level's file, the address of its
/// block or 0).
type HiddenKey = (usize, usize, usize);

impl<'a> Labeler<'a> {
    /// The places of a list.
    fn list(&mut self, scan: &Scan<'a>, entries: &Entries<'a>) -> Rc<Places> {
        if let Some((_, places)) = self.lists.get(&entries.id()) {
            return Rc::clone(places);
        }
        let runs: Vec<Part<'_, 'a>> = entries.parts().collect();
        let places = Rc::new(self.join(scan, &runs));
        self.lists
            .insert(entries.id(), (entries.clone(), Rc::clone(&places)));
        places
    }

    /// The places of runs one after the other. A list met again adds nothing (the same
    /// places). When the places of the lists and those of the own runs are in different files,
    /// the counts add up and the first places are the first of each run's first ones (an own
    /// run's counted without the places of the own runs before it); else (a file's lines
    /// reached twice another way) every entry is read.
    fn join(&mut self, scan: &Scan<'a>, runs: &[Part<'_, 'a>]) -> Places {
        let mut lists = HashSet::new();
        let mut own_seen = HashSet::new();
        let mut each: Vec<Rc<Places>> = Vec::new();
        let mut files: Vec<FileId> = Vec::new();
        let mut own_files: Vec<FileId> = Vec::new();
        let mut list_files = 0;
        for run in runs {
            match run {
                Part::Own(own) => {
                    let places = read(scan, own.iter(), &mut own_seen);
                    files.extend_from_slice(&places.files);
                    own_files.extend_from_slice(&places.files);
                    each.push(Rc::new(places));
                }
                Part::Shared(list) => {
                    if lists.insert(list.id()) {
                        let places = self.list(scan, list);
                        files.extend_from_slice(&places.files);
                        list_files += places.files.len();
                        each.push(places);
                    }
                }
            }
        }
        files.sort_unstable();
        files.dedup();
        own_files.sort_unstable();
        own_files.dedup();
        if files.len() != own_files.len() + list_files {
            // What `Entries::visit_once` reads, every entry.
            let mut lists = HashSet::new();
            let mut entries: Vec<&Entry<'a>> = Vec::new();
            for run in runs {
                match run {
                    Part::Own(own) => entries.extend(own.iter()),
                    Part::Shared(list) => list.visit_once(&mut lists, &mut |e| entries.push(e)),
                }
            }
            return read(scan, entries.into_iter(), &mut HashSet::new());
        }
        let mut shown: Vec<Location> = Vec::new();
        for places in &each {
            for &place in &places.shown {
                if shown.len() < MAX_LINE_LABELS && !shown.contains(&place) {
                    shown.push(place);
                }
            }
        }
        Places {
            shown,
            count: each.iter().map(|p| p.count).sum(),
            files,
        }
    }

    /// The places of the lines `lookups` find, except at `level` (those in effect): the outer
    /// ones a setting at `level` hides.
    fn hidden(
        &mut self,
        scan: &Scan<'a>,
        lookups: &Arc<[Lookup<'a>]>,
        level: &Level<'a>,
    ) -> Rc<Places> {
        let key = (
            Arc::as_ptr(lookups) as *const Lookup<'a> as usize,
            level.file,
            level.block.map_or(0, |b| std::ptr::from_ref(b) as usize),
        );
        if let Some((_, places)) = self.hidden.get(&key) {
            return Rc::clone(places);
        }
        let runs: Vec<Part<'_, 'a>> = lookups
            .iter()
            .filter_map(|lookup| match lookup {
                Lookup::Set {
                    entries,
                    level: outer,
                } => {
                    let same_level = outer.file == level.file
                        && match (outer.block, level.block) {
                            (Some(a), Some(b)) => std::ptr::eq(a, b),
                            (None, None) => true,
                            _ => false,
                        };
                    (!same_level).then_some(Part::Shared(entries))
                }
                _ => None,
            })
            .collect();
        let places = Rc::new(self.join(scan, &runs));
        self.hidden
            .insert(key, (Arc::clone(lookups), Rc::clone(&places)));
        places
    }
}

/// The places of `entries` not in `seen` (the places already met), read one by one, added
/// to it.
fn read<'b, 'a: 'b>(
    scan: &Scan<'a>,
    entries: impl Iterator<Item = &'b Entry<'a>>,
    seen: &mut HashSet<Location>,
) -> Places {
    let mut shown = Vec::new();
    let mut files = Vec::new();
    let mut count = 0;
    for entry in entries {
        let place = scan.entry_location(entry);
        if seen.insert(place) {
            if shown.len() < MAX_LINE_LABELS {
                shown.push(place);
            }
            count += 1;
            files.push(place.file);
        }
    }
    files.sort_unstable();
    files.dedup();
    Places {
        shown,
        count,
        files,
    }
}

/// Where an entry is: its file, the built-in `include` it comes through, and its span.
fn entry_key(entry: &Entry<'_>) -> (usize, Option<Span>, Span) {
    (
        entry.file,
        entry.via_builtin.map(|d| d.span),
        entry.directive.span,
    )
}

/// The problem of one include path: `Err(())` when it cannot be told (an include of unknown
/// content), `Ok(None)` when the path retries on 502 and 503.
fn path_problem<'a>(
    lookup: &Lookup<'a>,
    levels: &mut Levels<'a>,
) -> Result<Option<Problem<'a>>, ()> {
    match lookup {
        Lookup::Unknown => Err(()),
        Lookup::Default => Ok(Some(Problem {
            what: Arc::from("the default `error timeout`"),
            missing: vec!["http_502", "http_503"],
            write: Arc::from("error timeout http_502 http_503"),
            entries: Entries::default(),
            level: None,
            key: "default".to_string(),
        })),
        Lookup::Set { entries, level } => {
            let Some(setting) = levels.problem(entries).clone() else {
                return Ok(None);
            };
            let Setting {
                what,
                missing,
                write,
            } = setting;
            // The first line by its own file (two snippets' lines can have the same span),
            // and what the level says (lines after it can differ).
            let key = format!(
                "{}:{:?}:{what}",
                level.file,
                entries.first().map(entry_key)
            );
            Ok(Some(Problem {
                what,
                missing,
                write,
                entries: entries.clone(),
                level: Some(*level),
                key,
            }))
        }
    }
}

/// Which configurations that include a pass's file have a problem.
#[derive(Clone)]
enum Who {
    /// Every one of them.
    All,
    /// These only (root files, ascending).
    Some(Arc<[usize]>),
}

impl Who {
    /// A key for grouping passes (the same list shared by the passes of one lookup result).
    fn key(&self) -> usize {
        match self {
            Who::All => 0,
            Who::Some(list) => Arc::as_ptr(list) as *const usize as usize,
        }
    }
}

/// What the lookups of a pass say about one setting, by configuration.
#[derive(Clone)]
enum Judged<'a> {
    /// The configurations `Who` have the problem (the one shown is one of theirs).
    Has(Problem<'a>, Who),
    /// None has it.
    Not,
    /// It cannot be told (an include of unknown content).
    Unknown,
    /// The configurations disagree and which have it cannot be told.
    Unattributed,
}

/// Whether a path stopped at a level some configuration of `who` reaches.
fn path_of(scan: &Scan<'_>, lookup: &Lookup<'_>, who: &[usize]) -> bool {
    match lookup {
        Lookup::Set { level, .. } => {
            let theirs = scan.roots_of(level.file);
            who.iter().any(|r| theirs.binary_search(r).is_ok())
        }
        _ => false,
    }
}

/// The `proxy_next_upstream` problem of a pass of `file`, by configuration (see
/// [`Scan::judge_paths`]); the problem shown is that of the first path of a configuration
/// that has it (the default when their paths reach no line).
fn judge_conditions<'a>(
    scan: &Scan<'a>,
    file: usize,
    lookups: &[Lookup<'a>],
    levels: &mut Levels<'a>,
) -> Judged<'a> {
    let verdict = scan.judge_paths(file, lookups, |lookup| {
        path_problem(lookup, levels).ok().map(|p| p.is_some())
    });
    let who = match verdict {
        PathsVerdict::Unknown => return Judged::Unknown,
        PathsVerdict::Nowhere => return Judged::Not,
        PathsVerdict::Unattributed | PathsVerdict::Mixed => return Judged::Unattributed,
        PathsVerdict::Everywhere => Who::All,
        PathsVerdict::In(list) => Who::Some(list.into()),
    };
    let mut default = None;
    for lookup in lookups {
        if matches!(lookup, Lookup::Default) {
            if default.is_none() {
                default = path_problem(lookup, levels).ok().flatten();
            }
            continue;
        }
        if let Who::Some(list) = &who {
            if !path_of(scan, lookup, list) {
                continue;
            }
        }
        if let Ok(Some(problem)) = path_problem(lookup, levels) {
            return Judged::Has(problem, who);
        }
    }
    match default {
        Some(problem) => Judged::Has(problem, who),
        None => Judged::Not,
    }
}

/// `proxy_next_upstream_tries 1` of a pass of `file`, by configuration: a configuration has
/// it when every one of its paths sets it.
fn judge_tries<'a>(scan: &Scan<'a>, file: usize, lookups: &[Lookup<'a>]) -> Judged<'a> {
    let is_one = |lookup: &Lookup<'a>| match lookup {
        Lookup::Set { entries, .. } => entries
            .last()
            .is_some_and(|last| last.directive.arg(0) == Some("1")),
        _ => false,
    };
    let verdict = scan.judge_paths(file, lookups, |lookup| match lookup {
        Lookup::Unknown => None,
        _ => Some(is_one(lookup)),
    });
    let who = match verdict {
        PathsVerdict::Unknown => return Judged::Unknown,
        PathsVerdict::Nowhere => return Judged::Not,
        PathsVerdict::Unattributed | PathsVerdict::Mixed => return Judged::Unattributed,
        PathsVerdict::Everywhere => Who::All,
        PathsVerdict::In(list) => Who::Some(list.into()),
    };
    let found = lookups.iter().find(|lookup| {
        is_one(lookup)
            && match &who {
                Who::All => true,
                Who::Some(list) => path_of(scan, lookup, list),
            }
    });
    let Some(Lookup::Set { entries, level }) = found else {
        return Judged::Not;
    };
    let Some(&entry) = entries.last() else {
        return Judged::Not;
    };
    Judged::Has(
        Problem {
            what: Arc::from("`proxy_next_upstream_tries 1`"),
            missing: Vec::new(),
            write: Arc::from(""),
            key: format!("tries:{}:{:?}", level.file, entry_key(&entry)),
            entries: Entries::from(vec![entry]),
            level: Some(*level),
        },
        who,
    )
}

/// What a lookup result means for the passes of one file, worked out once per result
/// (shared by the passes under a level) and file. By (the address of the result, file), kept.
struct PerFileLookups<'a, T> {
    known: HashMap<(usize, usize), Kept<'a, T>>,
}

/// A lookup result, kept so its address is not reused, with what it means.
type Kept<'a, T> = (Arc<[Lookup<'a>]>, T);

impl<T> Default for PerFileLookups<'_, T> {
    fn default() -> Self {
        PerFileLookups {
            known: HashMap::new(),
        }
    }
}

impl<'a, T: Clone> PerFileLookups<'a, T> {
    fn get(
        &mut self,
        file: usize,
        lookups: Arc<[Lookup<'a>]>,
        compute: impl FnOnce(&[Lookup<'a>]) -> T,
    ) -> T {
        let key = (Arc::as_ptr(&lookups) as *const Lookup<'a> as usize, file);
        self.known
            .entry(key)
            .or_insert_with(|| {
                let value = compute(&lookups);
                (lookups, value)
            })
            .1
            .clone()
    }
}

/// The configurations of `all` not in `minus` (both ascending).
fn without(all: &[usize], minus: &[usize]) -> Vec<usize> {
    all.iter()
        .copied()
        .filter(|r| minus.binary_search(r).is_err())
        .collect()
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    let scan = cx.nginx_scan();
    // Findings that share the cause (the same setting, the same server block, the same
    // upstream) are reported once, at the first pass, with the others as labels.
    #[allow(clippy::type_complexity)]
    let mut groups: Vec<(String, Vec<&ScanPass<'_>>, String, Problem<'_>, Target, Who)> =
        Vec::new();
    // Group key → index into `groups` (which keeps the order of the first passes).
    let mut group_of: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut levels = Levels::default();
    // What the lookups of the passes mean, once per lookup result the passes share.
    let mut conditions: PerFileLookups<'_, Judged<'_>> = PerFileLookups::default();
    let mut tries: PerFileLookups<'_, Judged<'_>> = PerFileLookups::default();
    let mut labeler = Labeler::default();
    // Per list of upstreams: whether one of them is a group of two or more servers.
    let mut sets_of_two: HashMap<usize, bool> = HashMap::new();
    let group_of_two = |at: (usize, usize)| {
        let upstream = scan.upstream(at);
        !has_lua_balancer(upstream) && upstream.servers.iter().filter(|s| !s.down).count() >= 2
    };
    // The files whose passes were not judged (configurations that disagree in a way that
    // cannot be attributed), each noted once.
    let mut noted: HashSet<(usize, &'static str)> = HashSet::new();
    for p in &scan.passes {
        if p.pass.directive.name != "proxy_pass" || p.in_stream {
            continue;
        }
        // The upstream, or one per configuration that includes the file: the finding is
        // about those that are groups of two or more servers (in a configuration where the
        // upstream has one, there is no other server to retry on).
        let target = match (p.upstream, p.upstreams) {
            (Some(at), _) => Target::One(at),
            (None, Some(set)) => Target::Each(set),
            (None, None) => continue,
        };
        let groups_of_two = match target {
            Target::One(at) => group_of_two(at),
            // Once per list (4,000 passes of a snippet of 4,000 configurations).
            Target::Each(set) => *sets_of_two
                .entry(set)
                .or_insert_with(|| scan.upstream_set(set).iter().any(|&at| group_of_two(at))),
        };
        if !groups_of_two || scan.returns_before_pass(&p.pass) {
            continue;
        }
        let lookups = scan.lookup_shared(p.file, &p.pass.scope, "proxy_next_upstream", Only::All);
        let found = conditions.get(p.file, lookups, |lookups| {
            judge_conditions(scan, p.file, lookups, &mut levels)
        });
        let lookups =
            scan.lookup_shared(p.file, &p.pass.scope, "proxy_next_upstream_tries", Only::All);
        let single = tries.get(p.file, lookups, |lookups| judge_tries(scan, p.file, lookups));
        // The conditions first; `tries 1` for the configurations whose conditions are fine.
        let mut found_here: Vec<(Problem<'_>, &'static str, Who)> = Vec::new();
        let mut unattributed: Option<&'static str> = None;
        // What is in effect on some path is not known (an include of unknown content).
        let mut unknown = false;
        let covered: Option<Arc<[usize]>> = match found {
            Judged::Has(problem, who) => {
                let covered = match &who {
                    Who::All => None,
                    Who::Some(list) => Some(Arc::clone(list)),
                };
                found_here.push((problem, "conditions", who));
                match covered {
                    None => Some(Arc::from(scan.roots_of(p.file))),
                    some => some,
                }
            }
            Judged::Not => None,
            Judged::Unknown => {
                unknown = true;
                None
            }
            Judged::Unattributed => {
                unattributed = Some("proxy_next_upstream");
                None
            }
        };
        let all_covered = matches!(found_here.first(), Some((_, _, Who::All)));
        if !all_covered {
            match single {
                Judged::Has(problem, who) => {
                    let who = match (&who, &covered) {
                        (_, None) => Some(who),
                        (Who::All, Some(done)) => {
                            let rest = without(scan.roots_of(p.file), done);
                            (!rest.is_empty()).then(|| Who::Some(rest.into()))
                        }
                        (Who::Some(list), Some(done)) => {
                            let rest = without(list, done);
                            (!rest.is_empty()).then(|| Who::Some(rest.into()))
                        }
                    };
                    if let Some(who) = who {
                        found_here.push((problem, "tries", who));
                    }
                }
                Judged::Not => {}
                Judged::Unknown => unknown = true,
                Judged::Unattributed => {
                    unattributed.get_or_insert("proxy_next_upstream_tries");
                }
            }
        }
        // A suppression here may be right: SL001 does not call it unused.
        if (unknown || unattributed.is_some()) && found_here.is_empty() {
            let span: Span = p.pass.arg.map_or(p.pass.directive.span, |a| a.raw);
            out.unjudged(scan.location(p.file, span));
        }
        if let Some(directive) = unattributed {
            if noted.insert((p.file, directive)) {
                let (blocks, settle) = scan.disagreement(p.file);
                scan.note(format!(
                    "{}: {} set {directive} differently, and which of them leave its proxy_pass lines without a retry on 502/503 is not told apart; SL203 does not judge that setting for them: set it in the location itself{}",
                    scan.files[p.file].path,
                    blocks,
                    settle,
                ));
            }
        }
        for (problem, kind, who) in found_here {
            let server = p
                .pass
                .scope
                .nearest(crate::formats::nginx::ContextKind::Server)
                .map(|s| s.span);
            let key = format!(
                "{}|{:?}|{:?}|{}|{kind}|{}",
                p.file,
                server,
                target,
                problem.key,
                who.key()
            );
            match group_of.get(&key).and_then(|&g| groups.get_mut(g)) {
                Some(group) => group.1.push(p),
                None => {
                    group_of.insert(key.clone(), groups.len());
                    groups.push((key, vec![p], kind.to_string(), problem, target, who));
                }
            }
        }
    }

    // Per (list of upstreams, configurations with the problem): the upstreams the finding is
    // about and the configurations it names, worked out once.
    #[allow(clippy::type_complexity)]
    let mut concerned: HashMap<(usize, usize), Rc<(Vec<(usize, usize)>, Option<Vec<usize>>)>> =
        HashMap::new();
    for (_, passes, kind, problem, target, who) in groups {
        let first = passes[0];
        let usable = |at: (usize, usize)| {
            scan.upstream(at)
                .servers
                .iter()
                .filter(|s| !s.down)
                .count()
        };
        // The upstreams by the path of their files (the first is named, the others
        // labelled): those that are groups of two or more servers, in a configuration with
        // the problem. When not every configuration that includes the file has it, those
        // that do are named.
        let compute = || {
            let members = match target {
                Target::One(at) => vec![at],
                Target::Each(set) => scan.set_by_path(set),
            };
            let total = members.len();
            let mut named: Vec<usize> = Vec::new();
            let mut concerned: Vec<(usize, usize)> = Vec::new();
            for at in members {
                if !group_of_two(at) {
                    continue;
                }
                match &who {
                    Who::All => concerned.push(at),
                    Who::Some(list) => {
                        let theirs: Vec<usize> = scan
                            .configurations_with(first.file, at)
                            .into_iter()
                            .filter(|r| list.binary_search(r).is_ok())
                            .collect();
                        if !theirs.is_empty() {
                            concerned.push(at);
                            named.extend(theirs);
                        }
                    }
                }
            }
            let named = match &who {
                Who::All if concerned.len() == total => None,
                Who::All => Some(
                    concerned
                        .iter()
                        .flat_map(|&at| scan.configurations_with(first.file, at))
                        .collect(),
                ),
                Who::Some(_) => Some(named),
            };
            let named = named.map(|mut list: Vec<usize>| {
                list.sort_unstable();
                list.dedup();
                list
            });
            Rc::new((concerned, named))
        };
        let found = match target {
            Target::Each(set) => Rc::clone(
                concerned
                    .entry((set, who.key()))
                    .or_insert_with(compute),
            ),
            Target::One(_) => compute(),
        };
        let (members, named) = &*found;
        let Some(&at) = members.first() else { continue };
        let upstream = scan.upstream(at);
        let count = usable(at);
        let span = first.pass.arg.map_or(first.pass.directive.span, |a| a.raw);
        let servers = if members.len() == 1 {
            format!("{count} servers")
        } else {
            let fewest = members.iter().map(|&m| usable(m)).min().unwrap_or(count);
            if members.iter().all(|&m| usable(m) == count) {
                format!("{count} servers")
            } else {
                format!("{fewest} or more servers")
            }
        };
        let target = match named {
            Some(named) if members.len() == 1 => format!(
                "upstream `{}` ({servers}) in {}",
                upstream.name,
                scan.name_configurations(named, first.file)
            ),
            Some(named) => format!(
                "upstream `{}` ({servers} in each) in {}",
                upstream.name,
                scan.name_configurations(named, first.file)
            ),
            None if members.len() == 1 => format!("upstream `{}` ({servers})", upstream.name),
            None => format!(
                "upstream `{}` ({servers} in each of the {} configurations that include this file and define it)",
                upstream.name,
                members.len()
            ),
        };
        let message = if kind == "tries" {
            format!(
                "requests to {target} are never retried on another server: {} allows a single try, so a request that reaches a server while it drains fails",
                problem.what
            )
        } else if problem.missing.is_empty() {
            format!(
                "requests to {target} are never retried on another server: proxy_next_upstream is `off`, so a request that reaches a server while it drains fails"
            )
        } else {
            let missing = problem
                .missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(" and ");
            let codes = problem
                .missing
                .iter()
                .map(|m| m.trim_start_matches("http_"))
                .collect::<Vec<_>>()
                .join("/");
            format!(
                "a {codes} from a draining server of {target} goes to the client instead of another server: proxy_next_upstream is {} (no {missing})",
                problem.what
            )
        };
        let servers_label = format!(
            "upstream `{}` with {count} servers defined here",
            upstream.name
        );
        let mut labels: Vec<(Location, String)> = Vec::new();
        labels.push((scan.location(at.0, upstream.name_span), servers_label));
        // The other configurations' upstreams, the first few (the last says how many more).
        let others = members.len() - 1;
        for (i, &other) in members.iter().skip(1).take(MAX_OTHER_UPSTREAMS).enumerate() {
            let more = others - i - 1;
            let mut text = format!(
                "and upstream `{}` with {} servers here, in another configuration that includes this file",
                scan.upstream(other).name,
                usable(other)
            );
            if i + 1 == MAX_OTHER_UPSTREAMS && more > 0 {
                text.push_str(&format!("; and {more} more such upstreams"));
            }
            labels.push((scan.location(other.0, scan.upstream(other).name_span), text));
        }
        if let Some(level) = &problem.level {
            let how = scan.describe_level(level, first.file, first.pass.scope.block());
            let directive = if kind == "tries" {
                "proxy_next_upstream_tries"
            } else {
                "proxy_next_upstream"
            };
            let text = if how == "set here" {
                format!("{directive} set here")
            } else {
                format!("{directive} set here ({how})")
            };
            labeler
                .list(scan, &problem.entries)
                .push_to(&text, &mut labels);
            // An outer setting that retries on 502/503 but is replaced at this level.
            if kind != "tries" {
                let lookups = scan.lookup_shared(
                    first.file,
                    &first.pass.scope,
                    "proxy_next_upstream",
                    Only::AnyArg(&["http_502", "http_503"]),
                );
                labeler.hidden(scan, &lookups, level).push_to(
                    "not inherited: an inner block sets its own proxy_next_upstream",
                    &mut labels,
                );
            }
        }
        for other in passes.iter().skip(1).take(8) {
            let span: Span = other.pass.arg.map_or(other.pass.directive.span, |a| a.raw);
            labels.push((
                scan.location(other.file, span),
                "also proxied there with the same setting".to_string(),
            ));
        }
        let help = if kind == "tries" {
            "raise `proxy_next_upstream_tries` (e.g. to 2 or 3, or 0 for no limit) so nginx can send the request to another server".to_string()
        } else {
            let where_ = if problem.entries.is_empty() {
                "in this location (or once in the enclosing `server`/`http` block)"
            } else {
                "where it is set now"
            };
            if problem.missing.is_empty() {
                format!(
                    "replace `off` with `{}`: nginx still never sends a POST or other non-idempotent request to a second server once the first one received it, so requests that must not run twice stay safe",
                    problem.write
                )
            } else {
                format!(
                    "write `proxy_next_upstream {};` {where_}; a location that sets its own proxy_next_upstream replaces the inherited one entirely. POST and other non-idempotent requests are still not retried after they were sent, which is safe",
                    problem.write
                )
            }
        };
        let finding = out
            .report(scan.location(first.file, span), message)
            .primary(format!("proxied to upstream `{}`", upstream.name));
        for (location, text) in labels {
            finding.label(location, text);
        }
        finding.help(help);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(words: &[String]) -> Conditions {
        let mut conditions = Conditions::default();
        for w in words {
            conditions.add(w);
        }
        conditions
    }

    /// Joining the bounded conditions of two lists gives those of both lists one after the
    /// other, around the bound: the same first ones, and `more` exactly when there are more.
    #[test]
    fn bounded_conditions_join_like_the_whole_list() {
        let word = |i: usize| format!("C{}", i % 50);
        for (a, b, skip) in [(0, 5, 0), (10, 40, 3), (31, 1, 0), (32, 1, 0), (32, 0, 0), (33, 33, 0), (5, 60, 40), (45, 45, 0), (40, 20, 30)] {
            let first: Vec<String> = (0..a).map(word).collect();
            let second: Vec<String> = (skip..skip + b).map(word).collect();
            let whole: Vec<String> = first.iter().chain(&second).cloned().collect();
            let joined = of(&first).join(&of(&second));
            let expected = of(&whole);
            assert_eq!(joined.shown, expected.shown, "{a} {b} {skip}");
            assert_eq!(joined.more, expected.more, "{a} {b} {skip}");
            let mut distinct: Vec<String> = whole.iter().map(|w| w.to_ascii_lowercase()).collect();
            distinct.sort();
            distinct.dedup();
            assert_eq!(expected.more, distinct.len() > MAX_CONDITIONS, "{a} {b} {skip}");
            assert_eq!(expected.shown.len(), distinct.len().min(MAX_CONDITIONS));
        }
    }
}
