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
            Scope::Line(line_bytes(
                text,
                &index,
                next_code_line(text, &index, line + 1, prefixes),
            ))
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
    let mut by_file: HashMap<FileId, Vec<usize>> = HashMap::new();
    for (i, s) in suppressions.iter().enumerate() {
        by_file.entry(s.location.file).or_default().push(i);
    }
    diagnostics.retain(|d| {
        let mut keep = true;
        for &i in by_file.get(&d.location.file).map_or(&[][..], Vec::as_slice) {
            let s = &suppressions[i];
            let applies = match s.scope {
                Scope::File => true,
                Scope::Line(range) | Scope::Range(range) => range.contains(d.location.span.start),
            };
            if !applies {
                continue;
            }
            for (j, rule) in s.rules.iter().enumerate() {
                if rule.code == Some(d.code) {
                    used[i][j] = true;
                    keep = false;
                }
            }
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

    #[test]
    fn ignores_markers_outside_comments() {
        let text = "RUN echo shutdownlint: ignore[SL101]\nRUN echo a#shutdownlint: ignore[SL101]\n";
        assert!(parse(FileId(0), text, &['#']).is_empty());
    }
}
