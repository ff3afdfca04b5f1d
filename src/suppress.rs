//! Inline suppressions: `# shutdownlint: ignore[SL101, name] reason` on the line before a finding
//! (or at the end of its line), and `# shutdownlint: ignore-file[SL204]` anywhere in a file.

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU64;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Location};
use crate::source::{FileId, LineIndex};
use crate::span::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Silences findings that start on a line: the line's bytes with its line break (past the
    /// end of the text for the last line), so no line index is needed to apply it.
    Line(Span),
    /// Silences findings that start inside this byte range (a Kubernetes object annotated
    /// `shutdownlint.dev/ignore`).
    Range(Span),
    /// Silences findings that start inside either byte range (a compose service written as an
    /// alias, `name: *base`: its own line and the anchored node, not the text between them).
    Ranges(Span, Span),
    File,
}

/// One rule named in a suppression comment.
#[derive(Debug, Clone)]
pub struct SuppressedRule {
    /// As written (code or name).
    pub selector: String,
    /// The resolved code, if the selector names a rule.
    pub code: Option<&'static str>,
    pub location: Location,
    /// Stands for the names of the list past [`MAX_ENTRIES`], which are not read (`selector`
    /// is empty, `code` none, `location` the first of them): never used, reported once by SL001.
    pub rest_unread: bool,
}

#[derive(Debug, Clone)]
pub struct Suppression {
    pub scope: Scope,
    /// Shared by the suppressions of one written list: the services that use one anchored
    /// compose block (`s1: *quiet`, `s2: {<<: *quiet}`) share its label's entries, which
    /// count as used when any of them silenced something.
    pub rules: Arc<[SuppressedRule]>,
    /// The whole comment.
    pub location: Location,
    /// For a compose service's label: the service ([`subject`] of its name's offset). It
    /// silences the findings about that service (wherever they point) and, by `scope`, only the
    /// findings about no service.
    pub service: Option<NonZeroU64>,
}

/// The most names one comment or label reads: the first [`MAX_ENTRIES`]; the rest is not read
/// and SL001 says so once. (No list needs more: shutdownlint has fewer rules.)
pub const MAX_ENTRIES: usize = 100;

/// How a finding names the compose service it is about, and a label the service that carries it:
/// the service's file and the offset of its name there, plus one (`None` past 4 GiB). The file
/// is part of it: a finding about a service may point into another file (the override file,
/// an extended template), whose own services' names sit at the same offsets.
pub fn subject(file: FileId, offset: usize) -> Option<NonZeroU64> {
    let offset = u32::try_from(offset.checked_add(1)?).ok()?;
    NonZeroU64::new(u64::from(file.0) << 32 | u64::from(offset))
}

/// The entries of a comma-separated list of rules (`SL101, shell-pid1`), each located by
/// `locate(offset in list, length)`. A rule named twice (by its code and its name, or in another
/// case) is read once, and so is an unknown name; past [`MAX_ENTRIES`] names the rest is one
/// entry that says it is not read. So a list costs its length, and gives at most
/// `MAX_ENTRIES + 1` entries.
pub fn entries(
    list: &str,
    mut locate: impl FnMut(usize, usize) -> Location,
) -> Arc<[SuppressedRule]> {
    let mut rules = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut written = 0;
    let mut offset = 0;
    for part in list.split(',') {
        let leading = part.len() - part.trim_start().len();
        let selector = part.trim();
        let at = offset + leading;
        offset += part.len() + 1;
        if selector.is_empty() {
            continue;
        }
        if written == MAX_ENTRIES {
            rules.push(SuppressedRule {
                selector: String::new(),
                code: None,
                location: locate(at, selector.len()),
                rest_unread: true,
            });
            break;
        }
        written += 1;
        let code = crate::rules::find(selector).map(|r| r.code);
        let key = code.map_or_else(|| selector.to_ascii_lowercase(), str::to_string);
        if !seen.insert(key) {
            continue;
        }
        rules.push(SuppressedRule {
            selector: selector.to_string(),
            code,
            location: locate(at, selector.len()),
            rest_unread: false,
        });
    }
    rules.into()
}

const MARKER: &str = "shutdownlint:";

/// Find the suppression comments of one file. `comment_chars` start a comment; a comment starts
/// at the beginning of a line or after whitespace.
pub fn parse(file: FileId, text: &str, comment_chars: &[char]) -> Vec<Suppression> {
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let prefixes: Vec<String> = comment_chars.iter().map(char::to_string).collect();
    let prefixes: Vec<&str> = prefixes.iter().map(String::as_str).collect();
    parse_prefixed(file, text, &prefixes)
}

/// [`parse`] for languages whose comments start with longer tokens (`--` in SQL, `//`).
pub fn parse_prefixed(file: FileId, text: &str, prefixes: &[&str]) -> Vec<Suppression> {
    if !text.contains(MARKER) {
        return Vec::new();
    }
    let index = LineIndex::new(text);
    let mut found = Vec::new();
    // The code line the last own-line comment applies to: the comments before it share it, so
    // a run of comment lines is looked through once, not once per comment.
    let mut next_code: Option<usize> = None;
    for line in 0..index.line_count() {
        let span = index.line_span(text, line);
        let line_text = span.slice(text);
        if !line_text.contains(MARKER) {
            continue;
        }
        let Some((comment_start, prefix_len)) = comment_start(line_text, prefixes) else {
            continue;
        };
        let own_line = line_text[..comment_start].trim().is_empty();
        let comment = &line_text[comment_start..];
        let Some(marker_at) = comment.find(MARKER) else {
            continue;
        };
        // Only the comment char and whitespace may precede the marker.
        if !comment[prefix_len..marker_at].trim().is_empty() {
            continue;
        }
        let after = &comment[marker_at + MARKER.len()..];
        let trimmed = after.trim_start();
        let (is_file, rest) = if let Some(rest) = trimmed.strip_prefix("ignore-file") {
            (true, rest)
        } else if let Some(rest) = trimmed.strip_prefix("ignore") {
            (false, rest)
        } else {
            continue;
        };
        let Some(list) = rest.strip_prefix('[') else {
            continue;
        };
        let Some(close) = list.find(']') else {
            continue;
        };
        let list_start = span.start + comment_start + (comment.len() - list.len());
        let rules = entries(&list[..close], |at, len| {
            Location::new(file, Span::new(list_start + at, list_start + at + len))
        });
        let scope = if is_file {
            Scope::File
        } else if own_line {
            let code_line = match next_code {
                Some(known) if known > line => known,
                _ => next_code_line(text, &index, line + 1, prefixes),
            };
            next_code = Some(code_line);
            Scope::Line(line_bytes(text, &index, code_line))
        } else {
            Scope::Line(line_bytes(text, &index, line))
        };
        found.push(Suppression {
            scope,
            rules,
            location: Location::new(file, Span::new(span.start + comment_start, span.end)),
            service: None,
        });
    }
    found
}

/// Byte offset in `line` of a comment start: a comment char at line start or after whitespace.
fn comment_start(line: &str, prefixes: &[&str]) -> Option<(usize, usize)> {
    let mut previous_is_space = true;
    for (i, c) in line.char_indices() {
        if previous_is_space {
            if let Some(prefix) = prefixes.iter().find(|p| line[i..].starts_with(**p)) {
                return Some((i, prefix.len()));
            }
        }
        previous_is_space = c.is_whitespace();
    }
    None
}

/// The first line at or after `line` that is neither blank nor a comment-only line.
/// The bytes of a 0-based line with its line break; the last line's range goes one past the
/// end of the text (a finding at the very end is on it), a line past the last is empty.
fn line_bytes(text: &str, index: &LineIndex, line: usize) -> Span {
    let past_end = text.len() + 1;
    if line >= index.line_count() {
        return Span::empty(past_end);
    }
    let end = if line + 1 < index.line_count() {
        index.line_start(line + 1)
    } else {
        past_end
    };
    Span::new(index.line_start(line), end)
}

fn next_code_line(text: &str, index: &LineIndex, mut line: usize, prefixes: &[&str]) -> usize {
    while line < index.line_count() {
        let trimmed = index.line_span(text, line).slice(text).trim_start();
        if !trimmed.is_empty() && !prefixes.iter().any(|p| trimmed.starts_with(*p)) {
            return line;
        }
        line += 1;
    }
    line
}

/// Remove suppressed diagnostics; return the suppression entries that silenced nothing,
/// for SL001, in order (an entry of a list shared by several suppressions once).
///
/// A finding is silenced when some entry of its file names its code and the entry's
/// suppression covers it: a comment or a Kubernetes annotation when its scope holds where the
/// finding starts; a compose service's label when the finding is about that service
/// ([`Diagnostic::subject`]), or, for a finding about no service, when its scope holds where
/// the finding starts. Every such entry is used; an entry shared by several suppressions is
/// used when one of them is.
///
/// Both questions are answered per file and code from sorted lists, whatever the shape of the
/// scopes (nested, overlapping, repeated): a finding looks for its offset in the union of the
/// scopes' ranges (and its service among the labels' services), an entry's range for the first
/// finding at or after its start. So the cost is (findings + entries) × log, never their
/// product; a list shared by services costs its distinct rules per service (at most the
/// number of rules), not its length.
pub fn apply<'s>(
    diagnostics: &mut Vec<Diagnostic>,
    suppressions: &'s [Suppression],
) -> Vec<&'s SuppressedRule> {
    // The distinct lists, their entries numbered in order of the lists' first suppression.
    let mut numbered: HashMap<*const SuppressedRule, usize> = HashMap::new();
    let mut lists: Vec<&'s [SuppressedRule]> = Vec::new();
    let mut total = 0;
    let mut by_code: HashMap<(FileId, &'static str), CodeScopes> = HashMap::new();
    // A compose label's entries by its service and code: it silences the findings about its
    // service in any file (the service's Dockerfile too; a subject names one service of one
    // file).
    let mut by_service: HashMap<(NonZeroU64, &'static str), Vec<usize>> = HashMap::new();
    for s in suppressions {
        if s.rules.is_empty() {
            continue;
        }
        let first = *numbered.entry(s.rules.as_ptr()).or_insert_with(|| {
            lists.push(&s.rules);
            total += s.rules.len();
            total - s.rules.len()
        });
        for (k, rule) in s.rules.iter().enumerate() {
            if let Some(code) = rule.code {
                by_code.entry((s.location.file, code)).or_default().add(
                    s.scope,
                    s.service,
                    first + k,
                );
                if let Some(service) = s.service {
                    by_service
                        .entry((service, code))
                        .or_default()
                        .push(first + k);
                }
            }
        }
    }
    let mut used = vec![false; total];
    if by_code.is_empty() {
        return unused_entries(&lists, &used);
    }
    // Findings about a labelled service, wherever they point.
    let mut held_by_service = vec![false; diagnostics.len()];
    for (i, d) in diagnostics.iter().enumerate() {
        if let Some(entries) = d.subject.and_then(|s| by_service.get(&(s, d.code))) {
            held_by_service[i] = true;
            for &entry in entries {
                used[entry] = true;
            }
        }
    }
    for d in diagnostics.iter() {
        if let Some(scopes) = by_code.get_mut(&(d.location.file, d.code)) {
            let at = d.location.span.start;
            scopes.findings.push(at);
            match d.subject {
                Some(service) => scopes.subjects.push(service),
                None => scopes.loose.push(at),
            }
        }
    }
    for scopes in by_code.values_mut() {
        scopes.index(&mut used);
    }
    let mut held = held_by_service.into_iter();
    diagnostics.retain(|d| {
        let by_its_service = held.next().unwrap_or(false);
        !by_its_service
            && by_code
                .get(&(d.location.file, d.code))
                .is_none_or(|scopes| !scopes.hold(d.location.span.start, d.subject))
    });
    unused_entries(&lists, &used)
}

/// The entries not marked in `used` (numbered as in [`apply`]), in order.
fn unused_entries<'s>(lists: &[&'s [SuppressedRule]], used: &[bool]) -> Vec<&'s SuppressedRule> {
    lists
        .iter()
        .flat_map(|list| list.iter())
        .zip(used)
        .filter(|(_, used)| !**used)
        .map(|(rule, _)| rule)
        .collect()
}

/// The scopes of the entries of one file that name one code, and where that code's findings in
/// the file start.
#[derive(Default)]
struct CodeScopes {
    /// Entries of `ignore-file` comments.
    whole: Vec<usize>,
    /// Each range of a comment's or an annotation's scope with its entry (a scope of two ranges
    /// gives two).
    ranges: Vec<(Span, usize)>,
    /// The same for compose services' labels: they hold only the findings about no service.
    service_ranges: Vec<(Span, usize)>,
    /// The service of each compose label's entry; sorted once indexed.
    services: Vec<(NonZeroU64, usize)>,
    /// Where the findings start; sorted once indexed.
    findings: Vec<usize>,
    /// Where the findings about no service start; sorted once indexed.
    loose: Vec<usize>,
    /// The services the findings are about; sorted once indexed.
    subjects: Vec<NonZeroU64>,
    /// The union of `ranges` once indexed: sorted, apart, none empty.
    union: Vec<Span>,
    /// The union of `ranges` and `service_ranges` once indexed.
    loose_union: Vec<Span>,
}

impl CodeScopes {
    fn add(&mut self, scope: Scope, service: Option<NonZeroU64>, entry: usize) {
        let ranges = match service {
            Some(service) => {
                self.services.push((service, entry));
                &mut self.service_ranges
            }
            None => &mut self.ranges,
        };
        match scope {
            // (A label's scope is never the file; were it, it would hold only the findings
            // about no service, as its ranges do.)
            Scope::File if service.is_some() => ranges.push((Span::new(0, usize::MAX), entry)),
            Scope::File => self.whole.push(entry),
            Scope::Line(span) | Scope::Range(span) => ranges.push((span, entry)),
            Scope::Ranges(first, second) => {
                ranges.push((first, entry));
                ranges.push((second, entry));
            }
        }
    }

    /// Mark the entries whose suppression covers a finding, and build the unions of the ranges.
    fn index(&mut self, used: &mut [bool]) {
        self.findings.sort_unstable();
        self.loose.sort_unstable();
        self.subjects.sort_unstable();
        self.services.sort_unstable();
        if !self.findings.is_empty() {
            for &entry in &self.whole {
                used[entry] = true;
            }
        }
        mark(&self.ranges, &self.findings, used);
        mark(&self.service_ranges, &self.loose, used);
        for &(service, entry) in &self.services {
            if self.subjects.binary_search(&service).is_ok() {
                used[entry] = true;
            }
        }
        self.union = union(self.ranges.iter());
        self.loose_union = union(self.ranges.iter().chain(&self.service_ranges));
    }

    /// Whether a finding starting at `offset` (about `subject`) is silenced.
    fn hold(&self, offset: usize, subject: Option<NonZeroU64>) -> bool {
        if !self.whole.is_empty() {
            return true;
        }
        match subject {
            Some(service) => {
                within(&self.union, offset)
                    || self
                        .services
                        .binary_search_by_key(&service, |&(s, _)| s)
                        .is_ok()
            }
            None => within(&self.loose_union, offset),
        }
    }
}

/// Mark the entries of the ranges that hold one of the sorted `findings`.
fn mark(ranges: &[(Span, usize)], findings: &[usize], used: &mut [bool]) {
    for &(span, entry) in ranges {
        let first = findings.partition_point(|&at| at < span.start);
        if findings.get(first).is_some_and(|&at| span.contains(at)) {
            used[entry] = true;
        }
    }
}

/// The union of the ranges: sorted, apart, none empty.
fn union<'a>(ranges: impl Iterator<Item = &'a (Span, usize)>) -> Vec<Span> {
    let mut spans: Vec<Span> = ranges
        .map(|&(span, _)| span)
        .filter(|span| !span.is_empty())
        .collect();
    spans.sort_unstable_by_key(|span| span.start);
    let mut union: Vec<Span> = Vec::new();
    for span in spans {
        match union.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => union.push(span),
        }
    }
    union
}

/// Whether `offset` is in the union (as [`union`] builds it).
fn within(union: &[Span], offset: usize) -> bool {
    let after = union.partition_point(|span| span.start <= offset);
    after
        .checked_sub(1)
        .and_then(|k| union.get(k))
        .is_some_and(|span| span.contains(offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_line_and_file_suppressions() {
        let text = "# shutdownlint: ignore[SL101, package-manager-pid1] legacy image\n\n# another comment\nCMD npm start\nSTOPSIGNAL 9 # shutdownlint: ignore[SL104]\n#shutdownlint: ignore-file[SL106]\n";
        let s = parse(FileId(0), text, &['#']);
        assert_eq!(s.len(), 3);
        let line = |scope| match scope {
            Scope::Line(range) => range.slice(text),
            _ => "",
        };
        assert_eq!(line(s[0].scope), "CMD npm start\n");
        assert_eq!(s[0].rules[0].code, Some("SL101"));
        assert_eq!(s[0].rules[1].code, Some("SL102"));
        assert_eq!(
            s[0].rules[1].location.span.slice(text),
            "package-manager-pid1"
        );
        assert_eq!(
            line(s[1].scope),
            "STOPSIGNAL 9 # shutdownlint: ignore[SL104]\n"
        );
        assert_eq!(s[2].scope, Scope::File);
    }

    use crate::diagnostic::Severity;
    use crate::test_rng::Rng;

    /// The reference for `apply`: every suppression of the file tried for every finding. A
    /// list shared by suppressions (one `Arc`) is one list: its entry is used when any of them
    /// used it. Returns the unused entries as (first suppression of the list, index).
    fn apply_by_trying_each(
        diagnostics: &mut Vec<Diagnostic>,
        suppressions: &[Suppression],
    ) -> Vec<(usize, usize)> {
        // The first suppression of each suppression's list.
        let owner: Vec<usize> = suppressions
            .iter()
            .map(|s| {
                suppressions
                    .iter()
                    .position(|t| Arc::ptr_eq(&t.rules, &s.rules))
                    .unwrap_or(0)
            })
            .collect();
        let mut used: Vec<Vec<bool>> = suppressions
            .iter()
            .map(|s| vec![false; s.rules.len()])
            .collect();
        diagnostics.retain(|d| {
            let mut keep = true;
            for (i, s) in suppressions.iter().enumerate() {
                let at = d.location.span.start;
                let held = match s.scope {
                    Scope::File => true,
                    Scope::Line(range) | Scope::Range(range) => range.contains(at),
                    Scope::Ranges(first, second) => first.contains(at) || second.contains(at),
                };
                // A label holds the findings about its service, and by its scope those about
                // no service; a comment or annotation holds by its scope.
                let applies = match (s.service, d.subject) {
                    // A label holds the findings about its service in any file.
                    (Some(service), Some(subject)) => service == subject,
                    _ => s.location.file == d.location.file && held,
                };
                for (j, rule) in s.rules.iter().enumerate() {
                    if applies && rule.code == Some(d.code) {
                        used[owner[i]][j] = true;
                        keep = false;
                    }
                }
            }
            keep
        });
        let mut unused = Vec::new();
        for (i, used) in used.iter().enumerate() {
            if owner[i] != i {
                continue;
            }
            for (j, used) in used.iter().enumerate() {
                if !used {
                    unused.push((i, j));
                }
            }
        }
        unused
    }

    const CODES: [&str; 3] = ["SL101", "SL104", "SL106"];

    /// Suppressions with the scopes `scope` makes, in up to three files, some of them compose
    /// labels of up to three services sharing lists, and findings at up to `span` bytes, some
    /// about those services: `apply` must silence and report as unused what trying each does.
    fn check_against_trying_each(
        seed: u64,
        rounds: usize,
        span: usize,
        mut scope: impl FnMut(&mut Rng) -> Scope,
    ) {
        let mut rng = Rng(seed);
        let service = |rng: &mut Rng| NonZeroU64::new(u64::try_from(rng.below(4)).unwrap_or(0));
        for _ in 0..rounds {
            let files = 1 + rng.below(3);
            let mut suppressions: Vec<Suppression> = Vec::new();
            for _ in 0..rng.below(12) {
                let file = FileId(u32::try_from(rng.below(files)).unwrap_or(0));
                let scope = scope(&mut rng);
                // A label of an anchored block: the list of an earlier label of the file.
                let shared = suppressions
                    .iter()
                    .rev()
                    .find(|s| s.service.is_some() && s.location.file == file)
                    .map(|s| s.rules.clone())
                    .filter(|_| rng.below(2) == 0);
                let rules = shared.unwrap_or_else(|| {
                    (0..1 + rng.below(3))
                        .map(|_| {
                            let code = CODES[rng.below(CODES.len())];
                            SuppressedRule {
                                selector: code.to_string(),
                                code: (rng.below(8) != 0).then_some(code),
                                location: Location::new(file, Span::empty(0)),
                                rest_unread: false,
                            }
                        })
                        .collect()
                });
                suppressions.push(Suppression {
                    scope,
                    rules,
                    location: Location::new(file, Span::empty(0)),
                    service: service(&mut rng).filter(|_| rng.below(2) == 0),
                });
            }
            let diagnostics: Vec<Diagnostic> = (0..rng.below(15))
                .map(|_| {
                    let file = FileId(u32::try_from(rng.below(files)).unwrap_or(0));
                    let at = rng.below(span);
                    let code = CODES[rng.below(CODES.len())];
                    let mut d = Diagnostic::new(
                        code,
                        Severity::Warning,
                        Location::new(file, Span::new(at, at + 1)),
                        "m",
                    );
                    d.subject = service(&mut rng);
                    d
                })
                .collect();
            let mut expected = diagnostics.clone();
            let expected_unused = apply_by_trying_each(&mut expected, &suppressions);
            let mut kept = diagnostics;
            let unused: Vec<(usize, usize)> = apply(&mut kept, &suppressions)
                .into_iter()
                .map(|rule| {
                    suppressions
                        .iter()
                        .enumerate()
                        .find_map(|(i, s)| {
                            let j = s.rules.iter().position(|r| std::ptr::eq(r, rule))?;
                            Some((i, j))
                        })
                        .expect("an entry of the suppressions")
                })
                .collect();
            assert_eq!(kept, expected, "{suppressions:#?}");
            assert_eq!(unused, expected_unused, "{suppressions:#?}");
        }
    }

    #[test]
    fn suppressions_of_usual_shapes_silence_what_trying_each_silences() {
        // Lines are 10 bytes apart and never overlap; objects nest (a list and its items:
        // [0, 60) holding [0, 30) and [30, 60)) or are apart.
        check_against_trying_each(0x5eed_5a1e, 300, 90, |rng| match rng.below(6) {
            0 => Scope::File,
            1 | 2 => {
                let start = 10 * rng.below(8);
                Scope::Line(Span::new(start, start + 10))
            }
            _ => {
                let (start, len) = [(0, 60), (0, 30), (30, 30), (60, 20)][rng.below(4)];
                Scope::Range(Span::new(start, start + len))
            }
        });
    }

    #[test]
    fn scopes_of_any_shape_silence_what_trying_each_silences() {
        // Ranges anywhere: nested, overlapping without nesting, repeated, empty, touching, and
        // scopes of two ranges in either order (an aliased compose service), over few bytes so
        // that they meet.
        let range = |rng: &mut Rng| {
            let start = rng.below(30);
            Span::new(start, start + rng.below(20))
        };
        check_against_trying_each(0x0dd_5ca1e, 3_000, 40, |rng| match rng.below(8) {
            0 => Scope::File,
            1 => Scope::Line(range(rng)),
            2..=4 => Scope::Range(range(rng)),
            _ => Scope::Ranges(range(rng), range(rng)),
        });
    }

    #[test]
    fn many_suppressions_and_findings_cost_their_number() {
        // 60,000 comment lines above one line, then 100,000 suppressed lines: each comment
        // used to look through the comments after it, and each finding to try every
        // suppression of its file (hours); both are now linear.
        let mut text = "# shutdownlint: ignore[SL104]\n".repeat(60_000);
        text.push_str("ExecStop=kill -9 $MAINPID\n");
        let lines = 100_000;
        for _ in 0..lines {
            text.push_str("ExecStop=kill -9 $MAINPID # shutdownlint: ignore[SL104]\n");
        }
        let started = std::time::Instant::now();
        let suppressions = parse(FileId(0), &text, &['#']);
        assert_eq!(suppressions.len(), 60_000 + lines);
        let first_code_line = 60_000 * 30;
        let mut diagnostics: Vec<Diagnostic> = suppressions[60_000 - 1..]
            .iter()
            .map(|s| match s.scope {
                Scope::Line(line) => line.start,
                _ => usize::MAX,
            })
            .map(|at| {
                Diagnostic::new(
                    "SL104",
                    Severity::Warning,
                    Location::new(FileId(0), Span::new(at, at + 1)),
                    "m",
                )
            })
            .collect();
        assert_eq!(diagnostics[0].location.span.start, first_code_line);
        let unused = apply(&mut diagnostics, &suppressions);
        assert!(diagnostics.is_empty() && unused.is_empty());
        // A guard against the quadratic cost (minutes), not a timing of the fast one.
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
    }

    #[test]
    fn scopes_of_every_shape_cost_their_number() {
        // 50,000 scopes of one code in one file and 50,000 findings inside all or most of them:
        // nested like an aliased compose service's used to be (each from the anchor to its own
        // name, [i, 2n - i)), overlapping without nesting ([i, i + n)), and all sharing one
        // range (a scope of two ranges, its own line and the anchored node). Each finding used
        // to walk the chain of scopes around it, or try every scope once two overlapped: the
        // product of the two numbers (minutes); now each looks itself up once.
        let n = 50_000;
        let shapes: [fn(usize, usize) -> Scope; 3] = [
            |i, n| Scope::Range(Span::new(i, 2 * n - i)),
            |i, n| Scope::Range(Span::new(i, i + n)),
            |i, n| Scope::Ranges(Span::new(2 * n + i, 2 * n + i + 1), Span::new(0, 2 * n)),
        ];
        let started = std::time::Instant::now();
        for shape in shapes {
            let suppressions: Vec<Suppression> = (0..n)
                .map(|i| Suppression {
                    scope: shape(i, n),
                    rules: Arc::new([SuppressedRule {
                        selector: "SL104".to_string(),
                        code: Some("SL104"),
                        location: Location::new(FileId(0), Span::empty(i)),
                        rest_unread: false,
                    }]),
                    location: Location::new(FileId(0), Span::empty(i)),
                    service: None,
                })
                .collect();
            let mut diagnostics: Vec<Diagnostic> = (0..n)
                .map(|k| {
                    let at = n + k % (n - 1);
                    Diagnostic::new(
                        "SL104",
                        Severity::Warning,
                        Location::new(FileId(0), Span::new(at, at + 1)),
                        "m",
                    )
                })
                .collect();
            let unused = apply(&mut diagnostics, &suppressions);
            assert!(diagnostics.is_empty());
            assert!(unused.len() < 2, "{}", unused.len());
        }
        // A guard against the quadratic cost (minutes), not a timing of the fast one.
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
    }

    #[test]
    fn a_run_of_comments_names_the_next_code_line() {
        let text = "# shutdownlint: ignore[SL101]\n\n# other\n  # shutdownlint: ignore[SL104]\nCMD a\n# shutdownlint: ignore[SL106]\nX=1 # shutdownlint: ignore[SL101]\n# shutdownlint: ignore[SL104]\n";
        let lines: Vec<&str> = parse(FileId(0), text, &['#'])
            .iter()
            .map(|s| match s.scope {
                Scope::Line(range) => range.slice(text),
                _ => "?",
            })
            .collect();
        // The last comment has no code line after it: its line is past the end, empty.
        assert_eq!(
            lines,
            [
                "CMD a\n",
                "CMD a\n",
                "X=1 # shutdownlint: ignore[SL101]\n",
                "X=1 # shutdownlint: ignore[SL101]\n",
                ""
            ]
        );
    }

    #[test]
    fn a_list_reads_each_rule_once_and_its_first_hundred_names() {
        let read = |list: &str| -> Vec<(String, bool)> {
            entries(list, |at, len| {
                Location::new(FileId(0), Span::new(at, at + len))
            })
            .iter()
            .map(|r| {
                (
                    list[r.location.span.start..r.location.span.end].to_string(),
                    r.rest_unread,
                )
            })
            .collect()
        };
        let named = |names: &[&str]| -> Vec<(String, bool)> {
            names.iter().map(|n| (n.to_string(), false)).collect()
        };
        // By code or by name, in any case: one rule; an unknown name in any case: one name.
        assert_eq!(
            read("SL104, x,stop-signal-kill , sl104,X, SL101"),
            named(&["SL104", "x", "SL101"])
        );
        // The 101st name and after: one entry at the 101st, not read.
        let list = format!("{}SL104, SL101", "x,".repeat(99));
        let mut expected = named(&["x", "SL104"]);
        expected.push(("SL101".to_string(), true));
        assert_eq!(read(&list), expected);
        assert_eq!(read(&"x,".repeat(100)), named(&["x"]));
    }

    #[test]
    fn ignores_markers_outside_comments() {
        let text = "RUN echo shutdownlint: ignore[SL101]\nRUN echo a#shutdownlint: ignore[SL101]\n";
        assert!(parse(FileId(0), text, &['#']).is_empty());
    }
}
