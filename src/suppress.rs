//! Inline suppressions: `# shutdownlint: ignore[SL101, name] reason` on the line before a finding
//! (or at the end of its line), and `# shutdownlint: ignore-file[SL204]` anywhere in a file.

use std::collections::HashMap;

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
///
/// A finding is silenced when some entry of its file names its code and the entry's scope holds
/// where the finding starts; every such entry is used. Both questions are answered per file and
/// code from sorted lists, whatever the shape of the scopes (nested, overlapping, repeated): a
/// finding looks for its offset in the union of the scopes' ranges, an entry's range for the
/// first finding at or after its start. So the cost is (findings + entries) × log, never their
/// product.
pub fn apply<'s>(
    diagnostics: &mut Vec<Diagnostic>,
    suppressions: &'s [Suppression],
) -> Vec<&'s SuppressedRule> {
    // The entries, numbered in order: suppression by suppression, rule by rule.
    let mut used = vec![false; suppressions.iter().map(|s| s.rules.len()).sum()];
    let mut by_code: HashMap<(FileId, &'static str), CodeScopes> = HashMap::new();
    let mut entry = 0;
    for s in suppressions {
        for rule in &s.rules {
            if let Some(code) = rule.code {
                by_code
                    .entry((s.location.file, code))
                    .or_default()
                    .add(s.scope, entry);
            }
            entry += 1;
        }
    }
    if by_code.is_empty() {
        return unused_entries(suppressions, &used);
    }
    for d in diagnostics.iter() {
        if let Some(scopes) = by_code.get_mut(&(d.location.file, d.code)) {
            scopes.findings.push(d.location.span.start);
        }
    }
    for scopes in by_code.values_mut() {
        scopes.index(&mut used);
    }
    diagnostics.retain(|d| {
        by_code
            .get(&(d.location.file, d.code))
            .is_none_or(|scopes| !scopes.hold(d.location.span.start))
    });
    unused_entries(suppressions, &used)
}

/// The entries not marked in `used` (numbered as in [`apply`]), in order.
fn unused_entries<'s>(suppressions: &'s [Suppression], used: &[bool]) -> Vec<&'s SuppressedRule> {
    suppressions
        .iter()
        .flat_map(|s| s.rules.iter())
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
    /// Each range of a scope with its entry (a scope of two ranges gives two).
    ranges: Vec<(Span, usize)>,
    /// Where the findings start; sorted once indexed.
    findings: Vec<usize>,
    /// The union of `ranges` once indexed: sorted, apart, none empty.
    union: Vec<Span>,
}

impl CodeScopes {
    fn add(&mut self, scope: Scope, entry: usize) {
        match scope {
            Scope::File => self.whole.push(entry),
            Scope::Line(span) | Scope::Range(span) => self.ranges.push((span, entry)),
            Scope::Ranges(first, second) => {
                self.ranges.push((first, entry));
                self.ranges.push((second, entry));
            }
        }
    }

    /// Mark the entries whose scope holds a finding, and build the union of the ranges.
    fn index(&mut self, used: &mut [bool]) {
        self.findings.sort_unstable();
        if !self.findings.is_empty() {
            for &entry in &self.whole {
                used[entry] = true;
            }
        }
        for &(span, entry) in &self.ranges {
            let first = self.findings.partition_point(|&at| at < span.start);
            if self
                .findings
                .get(first)
                .is_some_and(|&at| span.contains(at))
            {
                used[entry] = true;
            }
        }
        let mut spans: Vec<Span> = self
            .ranges
            .iter()
            .map(|&(span, _)| span)
            .filter(|span| !span.is_empty())
            .collect();
        spans.sort_unstable_by_key(|span| span.start);
        for span in spans {
            match self.union.last_mut() {
                Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
                _ => self.union.push(span),
            }
        }
    }

    /// Whether a finding starting at `offset` is silenced.
    fn hold(&self, offset: usize) -> bool {
        if !self.whole.is_empty() {
            return true;
        }
        let after = self.union.partition_point(|span| span.start <= offset);
        after
            .checked_sub(1)
            .and_then(|k| self.union.get(k))
            .is_some_and(|span| span.contains(offset))
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

    /// The reference for `apply`: every suppression of the file tried for every finding.
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
                        Scope::Ranges(first, second) => {
                            first.contains(d.location.span.start)
                                || second.contains(d.location.span.start)
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

    const CODES: [&str; 3] = ["SL101", "SL104", "SL106"];

    /// Suppressions with the scopes `scope` makes, in up to three files, and findings at up to
    /// `span` bytes: `apply` must silence and report as unused what trying each does.
    fn check_against_trying_each(
        seed: u64,
        rounds: usize,
        span: usize,
        mut scope: impl FnMut(&mut Rng) -> Scope,
    ) {
        let mut rng = Rng(seed);
        for _ in 0..rounds {
            let files = 1 + rng.below(3);
            let mut suppressions = Vec::new();
            for _ in 0..rng.below(12) {
                let file = FileId(u32::try_from(rng.below(files)).unwrap_or(0));
                let scope = scope(&mut rng);
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
                    let at = rng.below(span);
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
                    rules: vec![SuppressedRule {
                        selector: "SL104".to_string(),
                        code: Some("SL104"),
                        location: Location::new(FileId(0), Span::empty(i)),
                    }],
                    location: Location::new(FileId(0), Span::empty(i)),
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
    fn ignores_markers_outside_comments() {
        let text = "RUN echo shutdownlint: ignore[SL101]\nRUN echo a#shutdownlint: ignore[SL101]\n";
        assert!(parse(FileId(0), text, &['#']).is_empty());
    }
}
