//! Human output: miette's graphical renderer over our diagnostics (colour only when asked).

use std::fmt;
use std::sync::Arc;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{FileId, Files, LineIndex, Position};
use crate::Report;

/// One rendered diagnostic (or a secondary note in another file).
struct View {
    header: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Source,
    labels: Vec<LabeledSpan>,
    related: Vec<View>,
}

impl fmt::Debug for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for View {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for View {}

impl miette::Diagnostic for View {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.header.is_empty()).then(|| Box::new(&self.header) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|v| v as &dyn miette::Diagnostic),
        ))
    }
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

/// A file's text and its line starts, shared by the views of its findings.
struct Lines {
    text: Arc<str>,
    index: LineIndex,
    /// How many lone `\r` (not followed by `\n`) come before each line start, when the text
    /// has any: miette counts them as line breaks.
    lone_cr: Option<Vec<usize>>,
}

impl Lines {
    fn new(text: Arc<str>) -> Self {
        let index = LineIndex::new(&text);
        let bytes = text.as_bytes();
        let is_lone = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
        let lone_cr = (0..bytes.len()).any(is_lone).then(|| {
            let mut before = Vec::with_capacity(index.line_count());
            let mut count = 0;
            let mut from = 0;
            for line in 0..index.line_count() {
                let start = index.line_start(line);
                count += (from..start).filter(|&i| is_lone(i)).count();
                before.push(count);
                from = start;
            }
            before
        });
        Lines {
            text,
            index,
            lone_cr,
        }
    }
}

/// A file for miette whose `line:column` header counts columns in characters (miette counts
/// bytes), so it agrees with the JSON and GitHub outputs.
struct Source {
    name: String,
    lines: Arc<Lines>,
}

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // miette finds the lines around a span by scanning the text from its start, once per
        // snippet: in a big file with many findings that scan was most of the run. It scans
        // from a line start a few lines above the span instead (the result is the same, its
        // line numbers shifted by the line breaks before that start).
        let lines = &*self.lines;
        let text = &*lines.text;
        let line = lines.index.line_of(span.offset().min(text.len()));
        let first = line.saturating_sub(context_lines_before + 2);
        let window = lines.index.line_start(first).min(text.len());
        let breaks = first
            + lines
                .lone_cr
                .as_ref()
                .map_or(0, |before| before.get(first).copied().unwrap_or(0));
        let shifted = SourceSpan::from((span.offset() - window, span.len()));
        let inner = text.as_bytes()[window..].read_span(
            &shifted,
            context_lines_before,
            context_lines_after,
        )?;
        let column = if context_lines_before == 0 {
            let offset = crate::source::clamp_to_char_boundary(text, span.offset());
            let before = &text[..offset];
            let line_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
            before[line_start..].chars().count()
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::from((inner.span().offset() + window, inner.span().len())),
            inner.line() + breaks,
            column,
            inner.line_count() + breaks,
        )))
    }
}

/// The texts and line starts of the last few files shown (findings come sorted by file).
struct LinesCache<'a> {
    files: &'a Files,
    recent: Vec<(FileId, Arc<Lines>)>,
    /// The last position given by [`LinesCache::position`], and its file.
    cursor: Option<(FileId, Position)>,
}

impl LinesCache<'_> {
    /// The position of `offset` in `file` (whose lines are `lines`), counted on from the last
    /// one asked for: findings far to the right on one long line are not each counted from
    /// its start.
    fn position(&mut self, file: FileId, lines: &Lines, offset: usize) -> Position {
        let mut cursor = self
            .cursor
            .filter(|(last, _)| *last == file)
            .map(|(_, position)| position);
        let position = lines.index.position_after(&lines.text, offset, &mut cursor);
        self.cursor = Some((file, position));
        position
    }

    fn get(&mut self, file: FileId) -> Arc<Lines> {
        if let Some((_, lines)) = self.recent.iter().find(|(id, _)| *id == file) {
            return lines.clone();
        }
        let lines = Arc::new(Lines::new(self.files.text(file)));
        if self.recent.len() >= 8 {
            self.recent.remove(0);
        }
        self.recent.push((file, lines.clone()));
        lines
    }

    fn source(&mut self, file: FileId) -> Source {
        Source {
            name: self.files.path(file).to_string(),
            lines: self.get(file),
        }
    }
}

fn span(text: &str, span: crate::span::Span) -> SourceSpan {
    let start = crate::source::clamp_to_char_boundary(text, span.start);
    let end = crate::source::clamp_to_char_boundary(text, span.end).max(start);
    SourceSpan::from((start, end - start))
}

fn view(cache: &mut LinesCache<'_>, d: &Diagnostic) -> View {
    let files = cache.files;
    let name = crate::rules::by_code(d.code).map_or("", |r| r.name);
    let file = d.location.file;
    let lines = cache.get(file);
    let text = &*lines.text;
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        d.primary_label.as_deref().map(str::to_string),
        span(text, d.location.span),
    )];
    let mut related = Vec::new();
    let index = &lines.index;
    let primary_line = index.line_of(d.location.span.start);
    let mut message = d.display_message();
    if too_far_right(text, d.location.span) {
        // No snippet: say where instead.
        let at = cache.position(file, &lines, d.location.span.start);
        labels.clear();
        message.push_str(&format!(
            " ({}:{}:{}; the line is too long to show)",
            files.path(file),
            at.line,
            at.column
        ));
    }
    for label in &d.labels {
        if too_far_right(&cache.get(label.location.file).text, label.location.span) {
            continue;
        }
        // miette prints every line between labels of one snippet: a label far from the finding
        // gets a snippet of its own.
        let near = index
            .line_of(label.location.span.start)
            .abs_diff(primary_line)
            <= MAX_LABEL_DISTANCE;
        if label.location.file == file && near {
            labels.push(LabeledSpan::new_with_span(
                Some(label.message.to_string()),
                span(text, label.location.span),
            ));
        } else {
            let other = cache.get(label.location.file);
            let other = &*other.text;
            related.push(View {
                header: String::new(),
                message: if label.location.file == file {
                    label.message.to_string()
                } else {
                    format!("{} ({})", label.message, files.path(label.location.file))
                },
                severity: miette::Severity::Advice,
                help: None,
                source: cache.source(label.location.file),
                labels: vec![LabeledSpan::new_primary_with_span(
                    Some(label.message.to_string()),
                    span(other, label.location.span),
                )],
                related: Vec::new(),
            });
        }
    }
    View {
        header: format!("{} {name}", d.code),
        message,
        severity: severity(d.severity),
        help: d.help.as_deref().map(str::to_string),
        source: cache.source(file),
        labels,
        related,
    }
}

/// miette pads underlines with `{:width$}`, which panics past 65,535 columns; a span this many
/// bytes into its line (minified or generated files) is shown without its source line. A byte
/// is at most 4 columns wide (a tab).
const MAX_SNIPPET_LINE_BYTES: usize = 16_000;

fn too_far_right(text: &str, span: crate::span::Span) -> bool {
    [span.start, span.end.max(span.start)]
        .into_iter()
        .any(|offset| {
            let offset = crate::source::clamp_to_char_boundary(text, offset);
            // The line starts more than that many bytes before when none of the bytes just
            // before is a line break (not looked for back to the start of a long line).
            let near = offset.saturating_sub(MAX_SNIPPET_LINE_BYTES + 1)..offset;
            offset > MAX_SNIPPET_LINE_BYTES
                && text
                    .as_bytes()
                    .get(near)
                    .is_some_and(|before| !before.contains(&b'\n'))
        })
}

/// Lines between a finding and a label in the same snippet, at most.
const MAX_LABEL_DISTANCE: usize = 6;

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .filter(|&w| w >= 40)
        .unwrap_or(100)
}

/// Write every diagnostic and a summary line to `out`, one finding at a time.
pub fn write(report: &Report, color: bool, out: &mut impl std::io::Write) -> std::io::Result<()> {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(terminal_width())
        .with_context_lines(1);
    let mut text = String::new();
    let mut cache = LinesCache {
        files: &report.files,
        recent: Vec::new(),
        cursor: None,
    };
    for d in &report.diagnostics {
        text.clear();
        let mut v = view(&mut cache, d);
        // A footer goes under the finding's own snippet and help, before the snippets of the
        // related places, which are then rendered the way miette renders them.
        let related = match &d.footer {
            Some(_) => std::mem::take(&mut v.related),
            None => Vec::new(),
        };
        if handler.render_report(&mut text, &v).is_err() {
            text.push_str(&format!("{} {}\n", d.code, d.message));
        }
        if let Some(footer) = &d.footer {
            text.push_str(&format!("  {footer}\n"));
            for related in &related {
                text.push_str("\nAdvice: \n");
                let _ = handler.render_report(&mut text, related);
            }
        }
        out.write_all(text.as_bytes())?;
    }
    if !report.diagnostics.is_empty() {
        out.write_all(b"\n")?;
    }
    out.write_all(summary(report).as_bytes())
}

/// "Found 3 problems (1 error, 2 warnings) in 12 files." or "No problems found in 12 files."
pub fn summary(report: &Report) -> String {
    let (errors, warnings, infos) = super::counts(&report.diagnostics);
    let files = match report.linted_files {
        1 => "1 file".to_string(),
        n => format!("{n} files"),
    };
    let total = report.diagnostics.len();
    if total == 0 {
        return format!("No problems found in {files}.\n");
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(plural(errors, "error"));
    }
    if warnings > 0 {
        parts.push(plural(warnings, "warning"));
    }
    if infos > 0 {
        parts.push(plural(infos, "info"));
    }
    format!(
        "Found {} ({}) in {files}.\n",
        plural(total, "problem"),
        parts.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    /// Looking for a line break only just before a span tells what looking back to the line's
    /// start tells: lines shorter and longer than the limit, spans near it, multi-byte text.
    #[test]
    fn spans_too_far_right_are_told_without_reading_back_to_the_line_start() {
        let whole_line = |text: &str, span: crate::span::Span| {
            [span.start, span.end.max(span.start)]
                .into_iter()
                .any(|offset| {
                    let offset = crate::source::clamp_to_char_boundary(text, offset);
                    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
                    offset - line_start > MAX_SNIPPET_LINE_BYTES
                })
        };
        let mut rng = Rng(0x70f4_7219_0000_0001);
        for _ in 0..200 {
            let mut text = String::new();
            while text.len() < 3 * MAX_SNIPPET_LINE_BYTES {
                let run = rng.below(MAX_SNIPPET_LINE_BYTES + 10);
                text.push_str(&"é".repeat(rng.below(3)));
                text.push_str(&"x".repeat(run));
                text.push('\n');
            }
            for _ in 0..50 {
                let start = match rng.below(3) {
                    0 => rng.below(text.len() + 2),
                    // Just around the limit after a line break.
                    _ => {
                        text.as_bytes()[..rng.below(text.len())]
                            .iter()
                            .rposition(|&b| b == b'\n')
                            .map_or(0, |i| i + 1)
                            + MAX_SNIPPET_LINE_BYTES
                            - 2
                            + rng.below(5)
                    }
                };
                let span = crate::span::Span::new(start, start + rng.below(8));
                assert_eq!(
                    too_far_right(&text, span),
                    whole_line(&text, span),
                    "{span:?}"
                );
            }
        }
    }

    /// The snippet miette gets from a window of the text is the one it finds scanning the whole
    /// text: same bytes, span, line, column and line count, for `\n`, `\r\n` and lone `\r`
    /// line breaks, every context size, spans at line starts and ends.
    #[test]
    fn snippets_from_a_window_match_the_whole_text() {
        let pieces = ["a", "bc", "é", "\n", "\r\n", "\r", "  ", "\n\n"];
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        for round in 0..400 {
            let mut text = String::new();
            for _ in 0..rng.below(60) {
                text.push_str(pieces[rng.below(pieces.len())]);
            }
            let text: Arc<str> = Arc::from(text);
            let source = Source {
                name: "f".into(),
                lines: Arc::new(Lines::new(text.clone())),
            };
            for _ in 0..20 {
                // Spans within the text, as `span` makes them (miette's own scan panics on
                // some spans past the end).
                let start = rng.below(text.len() + 1);
                let len = rng.below((text.len() - start).min(5) + 1);
                let span = SourceSpan::from((start, len));
                let (before, after) = (rng.below(3), rng.below(3));
                let ours = source.read_span(&span, before, after);
                let theirs = text.read_span(&span, before, after);
                match (ours, theirs) {
                    (Ok(ours), Ok(theirs)) => {
                        let what = format!("round {round}: {text:?} {span:?} {before} {after}");
                        assert_eq!(ours.data(), theirs.data(), "{what}");
                        assert_eq!(ours.span(), theirs.span(), "{what}");
                        assert_eq!(ours.line(), theirs.line(), "{what}");
                        assert_eq!(ours.line_count(), theirs.line_count(), "{what}");
                        if before > 0 {
                            assert_eq!(ours.column(), theirs.column(), "{what}");
                        }
                    }
                    (Err(_), Err(_)) => {}
                    (ours, theirs) => panic!(
                        "{text:?} {span:?}: ours {:?}, miette's {:?}",
                        ours.is_ok(),
                        theirs.is_ok()
                    ),
                }
            }
        }
    }
}
