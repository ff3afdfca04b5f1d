//! Our diagnostics (byte spans) as LSP diagnostics (line and character in the negotiated
//! position encoding).

use std::cmp::Reverse;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag,
    NumberOrString, Position, PositionEncodingKind, Range, Uri,
};

use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::source::{clamp_to_char_boundary, Columns, FileId, LineIndex};
use crate::Report;

/// What a `character` in an LSP position counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
    Utf32,
}

impl Encoding {
    /// The first encoding in the client's `general.positionEncodings` (its order of preference)
    /// that we support; UTF-16, which every client supports, when it offers none of them.
    pub fn negotiate<'a>(offered: impl IntoIterator<Item = &'a str>) -> Encoding {
        offered
            .into_iter()
            .find_map(|name| match name {
                "utf-8" => Some(Encoding::Utf8),
                "utf-16" => Some(Encoding::Utf16),
                "utf-32" => Some(Encoding::Utf32),
                _ => None,
            })
            .unwrap_or(Encoding::Utf16)
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
            Encoding::Utf32 => PositionEncodingKind::UTF32,
        }
    }
}

/// Most diagnostics published for one document. A file can hold far more findings (an 8 MB
/// manifest of generated Deployments: 127,000); no editor shows that many usefully (VS Code
/// keeps 1,000 per file, and so does Theia), and converting, keeping and sending them all cost
/// gigabytes and seconds on every edit. The rest are summed up in one more diagnostic.
pub const MAX_PER_DOCUMENT: usize = 1000;

/// A text with what converting its offsets takes.
pub struct Lines {
    text: Arc<str>,
    index: LineIndex,
    columns: Columns,
    /// Where the LSP's lines start, when they are not the lines of `index`: the LSP ends a
    /// line at `\r` alone too (a text with old Mac line ends), the command line only at `\n`.
    /// `None` when the text has no `\r` that is not followed by `\n`.
    lsp_starts: Option<Vec<usize>>,
}

impl Lines {
    pub fn new(text: Arc<str>) -> Self {
        let index = LineIndex::new(&text);
        let columns = Columns::new(&text);
        let lsp_starts = lsp_line_starts(&text);
        Lines {
            text,
            index,
            columns,
            lsp_starts,
        }
    }

    /// The LSP position of byte `offset` (offsets inside a character or past the end are
    /// clamped), in time independent of the length of its line.
    pub fn position(&self, offset: usize, encoding: Encoding) -> Position {
        let text = &*self.text;
        let offset = clamp_to_char_boundary(text, offset);
        let (line, start) = match &self.lsp_starts {
            Some(starts) => {
                let line = starts
                    .partition_point(|&start| start <= offset)
                    .saturating_sub(1);
                (line, starts.get(line).copied().unwrap_or(0).min(offset))
            }
            None => {
                let line = self.index.line_of(offset);
                (line, self.index.line_start(line).min(offset))
            }
        };
        // An LSP line starts on the command line's line of `offset` (at its start or after a
        // `\r`): the columns of both are counted from that line's start.
        let columns = |at: usize| self.columns.columns(text, &self.index, at);
        let character = match encoding {
            Encoding::Utf8 => offset - start,
            Encoding::Utf16 => columns(offset).1 - columns(start).1,
            Encoding::Utf32 => columns(offset).0 - columns(start).0,
        };
        Position::new(to_u32(line), to_u32(character))
    }

    /// 1-based line and column (in characters) of `offset`, as the command line shows them.
    fn line_and_column(&self, offset: usize) -> (usize, usize) {
        let offset = clamp_to_char_boundary(&self.text, offset);
        let column = self.columns.columns(&self.text, &self.index, offset).0;
        (self.index.line_of(offset) + 1, column + 1)
    }
}

/// The start of every LSP line of `text` (lines end at `\r\n`, `\n` or `\r`), when a `\r`
/// alone ends one; `None` otherwise (the lines are those of [`LineIndex`]).
fn lsp_line_starts(text: &str) -> Option<Vec<usize>> {
    let bytes = text.as_bytes();
    let lone_cr = |i: usize| bytes.get(i + 1) != Some(&b'\n');
    if !bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\r' && lone_cr(i))
    {
        return None;
    }
    let mut starts = vec![0];
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' || (b == b'\r' && lone_cr(i)) {
            starts.push(i + 1);
        }
    }
    Some(starts)
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// How diagnostics are shaped for one client.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub encoding: Encoding,
    /// The client shows `relatedInformation`; otherwise labels are written into the message.
    pub related_information: bool,
}

/// Converts the findings of one report, file by file.
pub struct Converter<'a> {
    report: &'a Report,
    style: Style,
    /// Labels are shown relative to this folder when written into the message.
    root: &'a Path,
    /// The URI the client uses for a path (its open documents), else one made from it.
    uri_of: &'a dyn Fn(&Path) -> Option<Uri>,
    /// Texts and line indexes of the files converted so far.
    indexes: HashMap<FileId, Lines>,
    /// Each file's findings (their indexes in the report), in the report's order.
    of_file: HashMap<FileId, Vec<usize>>,
}

/// The path the file `id` of `report` was read from: its shown path, unless that does not open
/// it (a path that is not UTF-8, see [`Report::opened_paths`]). Files are told apart by it, not
/// by their shown paths: `\xff/Dockerfile` and `\u{FFFD}/Dockerfile` are shown alike.
pub fn file_path(report: &Report, id: FileId) -> &Path {
    let opened = &report.opened_paths;
    opened
        .binary_search_by_key(&id, |(file, _)| *file)
        .ok()
        .and_then(|i| opened.get(i))
        .map_or_else(|| Path::new(report.files.path(id)), |(_, path)| path)
}

impl<'a> Converter<'a> {
    pub fn new(
        report: &'a Report,
        style: Style,
        root: &'a Path,
        uri_of: &'a dyn Fn(&Path) -> Option<Uri>,
    ) -> Self {
        let mut of_file: HashMap<FileId, Vec<usize>> = HashMap::new();
        for (i, d) in report.diagnostics.iter().enumerate() {
            of_file.entry(d.location.file).or_default().push(i);
        }
        Converter {
            report,
            style,
            root,
            uri_of,
            indexes: HashMap::new(),
            of_file,
        }
    }

    /// Every file the lint read (with the released files of
    /// [`crate::Report::released_paths`]): the path it was read from (see [`file_path`]), its
    /// id (`None` for a released file, which has no findings) and how many diagnostics
    /// [`Converter::convert`] gives it.
    pub fn files(&self) -> Vec<(&'a Path, Option<FileId>, usize)> {
        let report = self.report;
        report
            .files
            .iter()
            .map(|(id, _)| {
                let count = self.of_file.get(&id).map_or(0, |found| {
                    found.len().min(MAX_PER_DOCUMENT) + usize::from(found.len() > MAX_PER_DOCUMENT)
                });
                (file_path(report, id), Some(id), count)
            })
            .chain(
                report
                    .released_paths
                    .iter()
                    .map(|path| (path.as_path(), None, 0)),
            )
            .collect()
    }

    /// The diagnostics of the file `file`. A file with more than [`MAX_PER_DOCUMENT`] findings
    /// gets that many, the most severe first (then in the report's order, by position), and
    /// one more that says how many are not shown. Only those are converted.
    pub fn convert(&mut self, file: FileId) -> Vec<lsp_types::Diagnostic> {
        let report = self.report;
        let diagnostics = &report.diagnostics;
        let Some(found) = self.of_file.get(&file) else {
            return Vec::new();
        };
        let mut kept = found.clone();
        let omitted = kept.len().saturating_sub(MAX_PER_DOCUMENT);
        if omitted > 0 {
            kept.sort_unstable_by_key(|&i| (Reverse(diagnostics[i].severity), i));
            kept.truncate(MAX_PER_DOCUMENT);
            kept.sort_unstable();
        }
        let mut converted: Vec<lsp_types::Diagnostic> =
            Vec::with_capacity(kept.len() + usize::from(omitted > 0));
        converted.extend(kept.iter().map(|&i| self.diagnostic(&diagnostics[i])));
        if omitted > 0 {
            converted.push(self.omitted(file_path(report, file), omitted));
        }
        // Line indexes are kept for labels into other files; this file's is not needed again.
        if let Some(&first) = kept.first() {
            self.indexes.remove(&diagnostics[first].location.file);
        }
        converted
    }

    /// The diagnostic that stands for the `omitted` findings of `path` over the limit, at the
    /// start of the file.
    fn omitted(&self, path: &Path, omitted: usize) -> lsp_types::Diagnostic {
        let shown = path.strip_prefix(self.root).unwrap_or(path);
        let message = format!(
            "{omitted} more shutdownlint findings in this file are not shown: the editor gets at \
             most {MAX_PER_DOCUMENT} per file, errors first. Run `shutdownlint {}` to see them all.",
            shown.display()
        );
        lsp_types::Diagnostic {
            range: Range::default(),
            severity: Some(DiagnosticSeverity::INFORMATION),
            source: Some("shutdownlint".to_string()),
            message,
            ..lsp_types::Diagnostic::default()
        }
    }

    fn range(&mut self, location: &Location) -> Range {
        let encoding = self.style.encoding;
        let lines = self.indexed(location.file);
        Range::new(
            lines.position(location.span.start, encoding),
            lines.position(location.span.end, encoding),
        )
    }

    fn indexed(&mut self, file: FileId) -> &Lines {
        let files = &self.report.files;
        self.indexes
            .entry(file)
            .or_insert_with(|| Lines::new(files.text(file)))
    }

    fn lsp_location(&mut self, location: &Location) -> Option<lsp_types::Location> {
        let uri = (self.uri_of)(file_path(self.report, location.file))?;
        Some(lsp_types::Location::new(uri, self.range(location)))
    }

    /// `Dockerfile:1:6` relative to the workspace folder, with the line and column (in
    /// characters) as the command line shows them.
    fn place(&mut self, location: &Location) -> String {
        let path = file_path(self.report, location.file);
        let shown = path.strip_prefix(self.root).unwrap_or(path);
        let (line, column) = self
            .indexed(location.file)
            .line_and_column(location.span.start);
        format!("{}:{line}:{column}", shown.display())
    }

    fn diagnostic(&mut self, d: &Diagnostic) -> lsp_types::Diagnostic {
        let rule = crate::rules::by_code(d.code);
        let mut message = d.display_message();
        // Labels: what the primary range is, then the other places that explain the finding.
        let labels = d
            .primary_label
            .iter()
            .map(|text| (d.location, &**text, true))
            .chain(d.labels.iter().map(|l| (l.location, &*l.message, false)));
        let mut related = Vec::new();
        for (location, text, primary) in labels {
            if self.style.related_information {
                if let Some(location) = self.lsp_location(&location) {
                    related.push(DiagnosticRelatedInformation {
                        location,
                        message: text.to_string(),
                    });
                }
            } else if primary {
                message.push_str(&format!("\n{text}"));
            } else {
                let place = self.place(&location);
                message.push_str(&format!("\n{place}: {text}"));
            }
        }
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        lsp_types::Diagnostic {
            range: self.range(&d.location),
            severity: Some(severity(d.severity)),
            code: Some(NumberOrString::String(d.code.to_string())),
            code_description: rule
                .and_then(|r| Uri::from_str(&r.url()).ok())
                .map(|href| CodeDescription { href }),
            source: Some("shutdownlint".to_string()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            // A suppression that silences nothing can go: editors grey it out.
            tags: (d.code == "SL001").then(|| vec![DiagnosticTag::UNNECESSARY]),
            data: None,
        }
    }
}

pub fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    }
}

/// A diagnostic at the start of a document that was not linted, saying why (`note`, the command
/// line's note).
pub fn skipped_diagnostic(note: &str) -> lsp_types::Diagnostic {
    lsp_types::Diagnostic {
        range: Range::default(),
        severity: Some(DiagnosticSeverity::INFORMATION),
        source: Some("shutdownlint".to_string()),
        message: format!("this document is not linted: {note}"),
        ..lsp_types::Diagnostic::default()
    }
}

/// A diagnostic on a configuration file that cannot be used. TOML syntax errors say where
/// ("at line 2, column 15"); other problems are shown on the first line.
pub fn config_diagnostic(text: &str, message: &str, encoding: Encoding) -> lsp_types::Diagnostic {
    let lines = Lines::new(Arc::from(text));
    let index = &lines.index;
    let offset = toml_error_position(message)
        .map(|(line, column)| {
            let line_span = index.line_span(text, line.saturating_sub(1));
            let line_text = line_span.slice(text);
            let within: usize = line_text
                .chars()
                .take(column.saturating_sub(1))
                .map(char::len_utf8)
                .sum();
            line_span.start + within
        })
        .unwrap_or(0);
    let start = lines.position(offset, encoding);
    let line_end = index.line_span(text, index.line_of(offset)).end;
    let end = lines.position(line_end, encoding);
    lsp_types::Diagnostic {
        range: Range::new(start, end),
        severity: Some(DiagnosticSeverity::ERROR),
        source: Some("shutdownlint".to_string()),
        message: message.to_string(),
        ..lsp_types::Diagnostic::default()
    }
}

/// `(line, column)`, 1-based, from a toml error message's "at line L, column C".
fn toml_error_position(message: &str) -> Option<(usize, usize)> {
    let rest = &message[message.find("at line ")? + "at line ".len()..];
    let (line, rest) = rest.split_once(", column ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_takes_the_first_supported() {
        assert_eq!(Encoding::negotiate([]), Encoding::Utf16);
        assert_eq!(Encoding::negotiate(["utf-8", "utf-16"]), Encoding::Utf8);
        assert_eq!(Encoding::negotiate(["utf-32", "utf-8"]), Encoding::Utf32);
        assert_eq!(
            Encoding::negotiate(["latin-1", "utf-16", "utf-8"]),
            Encoding::Utf16
        );
        assert_eq!(Encoding::negotiate(["latin-1"]), Encoding::Utf16);
    }

    #[test]
    fn characters_count_in_the_negotiated_encoding() {
        // "🚀" is 4 bytes, 2 UTF-16 units, 1 character; "é" is 2 bytes, 1 unit, 1 character.
        let text = "FROM x\r\nCMD \"é 🚀\" && node\n";
        let lines = Lines::new(Arc::from(text));
        let node = text.find("node").unwrap_or_default();
        let at = |encoding| lines.position(node, encoding);
        assert_eq!(at(Encoding::Utf8), Position::new(1, 17));
        assert_eq!(at(Encoding::Utf16), Position::new(1, 14));
        assert_eq!(at(Encoding::Utf32), Position::new(1, 13));
        // Inside the emoji: clamped to its start, never a split surrogate pair.
        let inside = text.find('🚀').unwrap_or_default() + 2;
        assert_eq!(lines.position(inside, Encoding::Utf16), Position::new(1, 7));
        // Past the end: the end.
        assert_eq!(
            lines.position(text.len() + 10, Encoding::Utf16),
            Position::new(2, 0)
        );
    }

    #[test]
    fn config_errors_point_at_the_toml_position() {
        let text = "select = [\"SL1\"]\nignore = [oops\n";
        let message = "TOML parse error at line 2, column 11\n  |\n2 | ignore = [oops\n";
        let d = config_diagnostic(text, message, Encoding::Utf16);
        assert_eq!(
            d.range,
            Range::new(Position::new(1, 10), Position::new(1, 14))
        );
        let d = config_diagnostic(text, "unknown rule selector `SL9`", Encoding::Utf16);
        assert_eq!(
            d.range,
            Range::new(Position::new(0, 0), Position::new(0, 16))
        );
    }
}
