//! Inline suppressions: `# shutdownlint: ignore[SL101, name] reason` on the line before a finding
//! (or at the end of its line), and `# shutdownlint: ignore-file[SL204]` anywhere in a file.

use std::collections::{HashMap, HashSet};

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
}

#[derive(Debug, Clone)]
pub struct Suppression {
    pub scope: Scope,
    pub rules: Vec<SuppressedRule>,
    /// The whole comment.
    pub location: Location,
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
        let mut rules = Vec::new();
        let mut offset = 0;
        for part in list[..close].split(',') {
            let leading = part.len() - part.trim_start().len();
            let selector = part.trim();
            if !selector.is_empty() {
                let start = list_start + offset + leading;
                rules.push(SuppressedRule {
                    selector: selector.to_string(),
                    code: crate::rules::find(selector).map(|r| r.code),
                    location: Location::new(file, Span::new(start, start + selector.len())),
                });
            }
            offset += part.len() + 1;
        }
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
/// for SL001, as (entry, whether it names a known rule).
pub fn apply<'s>(
    diagnostics: &mut Vec<Diagnostic>,
    suppressions: &'s [Suppression],
) -> Vec<&'s SuppressedRule> {
    let mut used: Vec<Vec<bool>> = suppressions
        .iter()
        .map(|s| vec![false; s.rules.len()])
        .collect();
    let mut by_file: HashMap<FileId, FileSuppressions> = HashMap::new();
    for (i, s) in suppressions.iter().enumerate() {
        by_file.entry(s.location.file).or_default().add(i, s);
    }
    for file in by_file.values_mut() {
        file.index();
    }
    let mut holding = Vec::new();
    diagnostics.retain(|d| {
        let Some(file) = by_file.get_mut(&d.location.file) else {
            return true;
        };
        holding.clear();
        file.holding(d.location.span.start, &mut holding);
        let mut keep = true;
        for &group in &holding {
            keep &= !file.groups[group].silence(d.code, &mut used);
        }
        keep
    });
    suppressions
        .iter()
        .zip(used)
        .flat_map(|(s, used)| {
            s.rules
                .iter()
                .zip(used)
                .filter(|(_, used)| !used)
                .map(|(rule, _)| rule)
        })
        .collect()
}

/// The rules of the suppressions of one file that share a scope (a run of comments above one
/// line names the same line), by code.
#[derive(Default)]
struct Group {
    rules: HashMap<&'static str, Vec<(usize, usize)>>,
    /// Codes whose entries are marked used already.
    marked: HashSet<&'static str>,
}

impl Group {
    /// Whether the group silences a finding of `code`; its entries for the code are marked
    /// used the first time.
    fn silence(&mut self, code: &'static str, used: &mut [Vec<bool>]) -> bool {
        let Some(entries) = self.rules.get(code) else {
            return false;
        };
        if self.marked.insert(code) {
            for &(i, j) in entries {
                used[i][j] = true;
            }
        }
        true
    }
}

/// The suppressions of one file, grouped by scope, for finding the groups that hold an
/// offset without trying each: lines do not overlap, and objects (Kubernetes objects, compose
/// services) nest or are apart.
#[derive(Default)]
struct FileSuppressions {
    groups: Vec<Group>,
    /// The group of the `ignore-file` comments.
    whole: Option<usize>,
    /// Line scopes and their group, sorted by start once indexed.
    lines: Vec<(Span, usize)>,
    /// Object scopes and their group, sorted by start (the outer first) once indexed.
    objects: Vec<(Span, usize)>,
    /// For each object scope, the nearest one before it that holds it.
    parents: Vec<Option<usize>>,
    /// The object scopes overlap without nesting (not from YAML): each is tried.
    tangled: bool,
    by_scope: HashMap<(u8, Span), usize>,
}

impl FileSuppressions {
    fn add(&mut self, index: usize, suppression: &Suppression) {
        let key = match suppression.scope {
            Scope::File => (0, Span::empty(0)),
            Scope::Line(span) => (1, span),
            Scope::Range(span) => (2, span),
        };
        let group = match self.by_scope.get(&key) {
            Some(&group) => group,
            None => {
                let group = self.groups.len();
                self.groups.push(Group::default());
                self.by_scope.insert(key, group);
                match suppression.scope {
                    Scope::File => self.whole = Some(group),
                    Scope::Line(span) => self.lines.push((span, group)),
                    Scope::Range(span) => self.objects.push((span, group)),
                }
                group
            }
        };
        for (j, rule) in suppression.rules.iter().enumerate() {
            if let Some(code) = rule.code {
                self.groups[group]
                    .rules
                    .entry(code)
                    .or_default()
                    .push((index, j));
            }
        }
    }

    fn index(&mut self) {
        self.by_scope = HashMap::new();
        self.lines.sort_by_key(|(span, _)| span.start);
        self.objects
            .sort_by_key(|(span, _)| (span.start, std::cmp::Reverse(span.end)));
        let mut open: Vec<usize> = Vec::new();
        self.parents = Vec::with_capacity(self.objects.len());
        for (k, (span, _)) in self.objects.iter().enumerate() {
            while open
                .last()
                .is_some_and(|&top| self.objects[top].0.end <= span.start)
            {
                open.pop();
            }
            let parent = open.last().copied();
            if parent.is_some_and(|top| self.objects[top].0.end < span.end) {
                self.tangled = true;
            }
            self.parents.push(parent);
            open.push(k);
        }
    }

    /// The groups holding `offset`, into `out`.
    fn holding(&self, offset: usize, out: &mut Vec<usize>) {
        out.extend(self.whole);
        let after = self.lines.partition_point(|(span, _)| span.start <= offset);
        if let Some(&(span, group)) = after.checked_sub(1).and_then(|k| self.lines.get(k)) {
            if span.contains(offset) {
                out.push(group);
            }
        }
        if self.tangled {
            out.extend(
                self.objects
                    .iter()
                    .filter(|(span, _)| span.contains(offset))
                    .map(|&(_, group)| group),
            );
            return;
        }
        // The last object starting at or before the offset; those holding it are it or the
        // objects around it.
        let after = self
            .objects
            .partition_point(|(span, _)| span.start <= offset);
        let mut at = after.checked_sub(1);
        while let Some(k) = at {
            let (span, group) = self.objects[k];
            if span.contains(offset) {
                out.push(group);
            }
            at = self.parents[k];
        }
    }
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

    /// What `apply` did before it grouped and indexed: every suppression of the file tried.
    fn apply_by_trying_each(
        diagnostics: &mut Vec<Diagnostic>,
        suppressions: &[Suppression],
    ) -> Vec<(usize, usize)> {
        let mut used: Vec<Vec<bool>> = suppressions
            .iter()
            .map(|s| vec![false; s.rules.len()])
            .collect();
        diagnostics.retain(|d| {
            let mut keep = true;
            for (i, s) in suppressions.iter().enumerate() {
                let applies = s.location.file == d.location.file
                    && match s.scope {
                        Scope::File => true,
                        Scope::Line(range) | Scope::Range(range) => {
                            range.contains(d.location.span.start)
                        }
                    };
                for (j, rule) in s.rules.iter().enumerate() {
                    if applies && rule.code == Some(d.code) {
                        used[i][j] = true;
                        keep = false;
                    }
                }
            }
            keep
        });
        let mut unused = Vec::new();
        for (i, used) in used.iter().enumerate() {
            for (j, used) in used.iter().enumerate() {
                if !used {
                    unused.push((i, j));
                }
            }
        }
        unused
    }

    #[test]
    fn grouped_suppressions_silence_what_trying_each_silences() {
        const CODES: [&str; 3] = ["SL101", "SL104", "SL106"];
        let mut rng = Rng(0x5eed_5a1e);
        for _ in 0..300 {
            let files = 1 + rng.below(3);
            let mut suppressions = Vec::new();
            for _ in 0..rng.below(12) {
                let file = FileId(u32::try_from(rng.below(files)).unwrap_or(0));
                // Lines are 10 bytes apart and never overlap; objects nest (a list and its
                // items: [0, 60) holding [0, 30) and [30, 60)) or are apart.
                let scope = match rng.below(6) {
                    0 => Scope::File,
                    1 | 2 => {
                        let start = 10 * rng.below(8);
                        Scope::Line(Span::new(start, start + 10))
                    }
                    _ => {
                        let (start, len) = [(0, 60), (0, 30), (30, 30), (60, 20)][rng.below(4)];
                        Scope::Range(Span::new(start, start + len))
                    }
                };
                let rules = (0..1 + rng.below(3))
                    .map(|_| {
                        let code = CODES[rng.below(CODES.len())];
                        SuppressedRule {
                            selector: code.to_string(),
                            code: (rng.below(8) != 0).then_some(code),
                            location: Location::new(file, Span::empty(0)),
                        }
                    })
                    .collect();
                suppressions.push(Suppression {
                    scope,
                    rules,
                    location: Location::new(file, Span::empty(0)),
                });
            }
            let diagnostics: Vec<Diagnostic> = (0..rng.below(15))
                .map(|_| {
                    let file = FileId(u32::try_from(rng.below(files)).unwrap_or(0));
                    let at = rng.below(90);
                    let code = CODES[rng.below(CODES.len())];
                    Diagnostic::new(
                        code,
                        Severity::Warning,
                        Location::new(file, Span::new(at, at + 1)),
                        "m",
                    )
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
    fn ignores_markers_outside_comments() {
        let text = "RUN echo shutdownlint: ignore[SL101]\nRUN echo a#shutdownlint: ignore[SL101]\n";
        assert!(parse(FileId(0), text, &['#']).is_empty());
    }
}
