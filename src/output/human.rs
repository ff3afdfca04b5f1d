//! Human output: miette's graphical renderer over our diagnostics (colour only when asked).

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{FileId, Files, LineIndex};
use crate::Report;

/// One rendered diagnostic (or a secondary note in another file).
struct View {
    header: String,
    message: String,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<Source>,
    labels: Vec<LabeledSpan>,
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
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

impl View {
    /// A view with only a message (no code, help or snippet).
    fn text(message: &str, severity: miette::Severity) -> View {
        View {
            header: String::new(),
            message: message.to_string(),
            severity,
            help: None,
            source: None,
            labels: Vec::new(),
        }
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
    /// The position of the last header column counted (see [`LineIndex::position_after`]):
    /// findings come sorted, so many on one long line count its characters once, not once
    /// each.
    cursor: std::sync::Mutex<Option<crate::source::Position>>,
}

impl Lines {
    fn new(text: Arc<str>) -> Self {
        let index = LineIndex::new(&text);
        Lines {
            text,
            index,
            cursor: std::sync::Mutex::new(None),
        }
    }

    /// The 0-based column, in characters, of `offset` in its line.
    fn column(&self, offset: usize) -> usize {
        let mut cursor = self
            .cursor
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.index
            .position_after(&self.text, offset, &mut cursor)
            .column
            .saturating_sub(1)
    }
}

/// How a snippet shows a character of a source line: control characters (which a terminal would
/// act on) as their pictures, but a tab, which miette expands to spaces.
fn shown_char(c: char) -> char {
    match super::control_picture(c) {
        Some(picture) if c != '\t' => picture,
        _ => c,
    }
}

/// Bytes `text` takes once shown.
fn shown_len(text: &str) -> usize {
    text.chars().map(|c| shown_char(c).len_utf8()).sum()
}

/// One line of a [`Snippet`]: where it is in the file and in the shown text.
struct ShownLine {
    /// Start of the line in the file and end of its content (before `\n` or `\r\n`).
    start: usize,
    end: usize,
    /// The part of the content shown (all of it but on long lines).
    kept: Range<usize>,
    /// Where the line starts in the shown text, where its kept part is there and where its
    /// content ends there (after the `…` of a clipped end).
    shown_start: usize,
    shown_kept: Range<usize>,
    shown_end: usize,
}

/// The lines of a file one view shows, as miette is given them: every control character but
/// the tab as its picture (one character for one, so columns do not move), lines longer than
/// [`MAX_SHOWN_LINE_CHARS`] clipped to that many characters around what the view points at, a
/// clipped end marked with `…`. Line breaks are the file's. Labels are moved into the shown
/// text with [`Snippet::shown`].
struct Snippet {
    text: String,
    /// 0-based number of the first line shown.
    first: usize,
    lines: Vec<ShownLine>,
}

impl Snippet {
    /// The lines around `spans` (offsets into the file at character boundaries; the first one
    /// the primary label's), with room for miette's context lines.
    fn new(lines: &Lines, spans: &[Range<usize>]) -> Self {
        let text = &*lines.text;
        let index = &lines.index;
        let last_line = index.line_count().saturating_sub(1);
        let first = spans
            .iter()
            .map(|s| index.line_of(s.start))
            .min()
            .unwrap_or(0)
            .saturating_sub(CONTEXT_LINES + 2);
        let last = spans
            .iter()
            .map(|s| index.line_of(s.end))
            .max()
            .unwrap_or(0)
            .saturating_add(CONTEXT_LINES + 2)
            .min(last_line);
        let mut snippet = Snippet {
            text: String::new(),
            first,
            lines: Vec::with_capacity(last.saturating_sub(first) + 1),
        };
        let primary = spans.first().map(|s| s.start);
        for line in first..=last {
            let start = index.line_start(line).min(text.len());
            let next = if line < last_line {
                index.line_start(line + 1).min(text.len())
            } else {
                text.len()
            };
            let mut end = next;
            if line < last_line {
                end = end.saturating_sub(1).max(start);
                if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') {
                    end -= 1;
                }
            }
            // A clipped line is shown around the primary label's start when it is on the
            // line, else around the first label start or end on it, else from its start.
            let on_line = |offset: &usize| index.line_of(*offset) == line;
            let anchor = primary.filter(on_line).or_else(|| {
                spans
                    .iter()
                    .flat_map(|s| [s.start, s.end])
                    .filter(on_line)
                    .min()
            });
            let kept = kept_part(text, start..end, anchor.map(|a| a.min(end)));
            let shown_start = snippet.text.len();
            if kept.start > start {
                snippet.text.push(ELLIPSIS);
            }
            let kept_start = snippet.text.len();
            let kept_text = text.get(kept.clone()).unwrap_or_default();
            snippet.text.extend(kept_text.chars().map(shown_char));
            let kept_end = snippet.text.len();
            if kept.end < end {
                snippet.text.push(ELLIPSIS);
            }
            let shown_end = snippet.text.len();
            snippet
                .text
                .push_str(text.get(end..next).unwrap_or_default());
            snippet.lines.push(ShownLine {
                start,
                end,
                kept,
                shown_start,
                shown_kept: kept_start..kept_end,
                shown_end,
            });
        }
        snippet
    }

    fn line(&self, lines: &Lines, offset: usize) -> Option<&ShownLine> {
        let i = lines.index.line_of(offset).saturating_sub(self.first);
        self.lines.get(i.min(self.lines.len().saturating_sub(1)))
    }

    /// Where an offset into the file (at a character boundary) is in the shown text: the start
    /// of a clipped part before the kept part, the end of one after it.
    fn shown(&self, lines: &Lines, offset: usize) -> usize {
        let Some(line) = self.line(lines, offset) else {
            return 0;
        };
        if offset < line.kept.start {
            line.shown_start
        } else if offset <= line.kept.end {
            let before = lines.text.get(line.kept.start..offset).map_or(0, shown_len);
            line.shown_kept.start + before
        } else if offset <= line.end {
            line.shown_end
        } else {
            line.shown_end + (offset - line.end)
        }
    }

    /// Where an offset into the shown text is in the file (a clipped part: where it starts).
    fn original(&self, lines: &Lines, shown: usize) -> usize {
        let i = self
            .lines
            .partition_point(|l| l.shown_start <= shown)
            .saturating_sub(1);
        let Some(line) = self.lines.get(i) else {
            return 0;
        };
        if shown < line.shown_kept.start {
            line.start
        } else if shown <= line.shown_kept.end {
            // One character for one in the kept part.
            let chars = self
                .text
                .get(line.shown_kept.start..shown)
                .map_or(0, |s| s.chars().count());
            let kept = lines.text.get(line.kept.clone()).unwrap_or_default();
            kept.char_indices()
                .nth(chars)
                .map_or(line.kept.end, |(i, _)| line.kept.start + i)
        } else if shown < line.shown_end {
            line.kept.end
        } else {
            line.end + (shown - line.shown_end)
        }
    }
}

/// The longest line a snippet shows, in characters: a longer line (minified or generated files,
/// a megabyte of flow sequence on one line) is clipped to this many characters, around what the
/// finding points at on its own lines, from the start on the others. It also keeps miette's
/// underline padding (`{:width$}`, which panics past 65,535 columns) small.
const MAX_SHOWN_LINE_CHARS: usize = 500;

/// Characters a clipped line shows before what the finding points at on it.
const SHOWN_BEFORE_ANCHOR: usize = 100;

/// Marks a clipped end of a shown line.
const ELLIPSIS: char = '…';

/// Lines of context miette shows around a label.
const CONTEXT_LINES: usize = 1;

/// The part of `line` (a line's content in `text`) a snippet shows: all of it if it is at most
/// [`MAX_SHOWN_LINE_CHARS`] long, else that many characters from a little before `anchor` (or
/// from the start). Bounded work whatever the line's length.
fn kept_part(text: &str, line: Range<usize>, anchor: Option<usize>) -> Range<usize> {
    if line.len() <= MAX_SHOWN_LINE_CHARS {
        return line;
    }
    let Some(content) = text.get(line.clone()) else {
        return line.start..line.start;
    };
    let anchor = crate::source::clamp_to_char_boundary(
        content,
        anchor.map_or(0, |a| a.saturating_sub(line.start)),
    );
    let mut from = content[..anchor]
        .char_indices()
        .rev()
        .take(SHOWN_BEFORE_ANCHOR)
        .last()
        .map_or(anchor, |(i, _)| i);
    let to = match content[from..].char_indices().nth(MAX_SHOWN_LINE_CHARS) {
        Some((i, _)) => from + i,
        None => {
            // The end is near: show as much before it as fits.
            from = content
                .char_indices()
                .rev()
                .nth(MAX_SHOWN_LINE_CHARS - 1)
                .map_or(0, |(i, _)| i);
            content.len()
        }
    };
    line.start + from..line.start + to
}

/// A file for miette: the lines one view shows ([`Snippet`]), whose `line:column` header counts
/// columns in characters of the file (miette counts bytes), so it agrees with the JSON and
/// GitHub outputs.
struct Source {
    name: String,
    lines: Arc<Lines>,
    snippet: Snippet,
}

impl Source {
    /// The source of a view with these labels in one file (the first one primary), and the
    /// labels placed in it.
    fn new(
        name: &str,
        lines: Arc<Lines>,
        labels: Vec<(crate::span::Span, Option<String>)>,
    ) -> (Source, Vec<LabeledSpan>) {
        let spans: Vec<Range<usize>> = labels
            .iter()
            .map(|(s, _)| char_span(&lines.text, *s))
            .collect();
        let snippet = Snippet::new(&lines, &spans);
        let labels = labels
            .into_iter()
            .zip(&spans)
            .enumerate()
            .map(|(i, ((_, label), s))| {
                let start = snippet.shown(&lines, s.start);
                let end = snippet.shown(&lines, s.end).max(start);
                let span = SourceSpan::from((start, end - start));
                if i == 0 {
                    LabeledSpan::new_primary_with_span(label, span)
                } else {
                    LabeledSpan::new_with_span(label, span)
                }
            })
            .collect();
        let source = Source {
            name: super::visible(name, &[]).into_owned(),
            lines,
            snippet,
        };
        (source, labels)
    }
}

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // The snippet starts at a line start a few lines above its labels: miette finds the
        // lines around a span in it as in the whole text, its line numbers shifted by the
        // lines before it.
        let snippet = &self.snippet;
        let inner =
            snippet
                .text
                .as_bytes()
                .read_span(span, context_lines_before, context_lines_after)?;
        let column = if context_lines_before == 0 {
            let lines = &*self.lines;
            lines.column(snippet.original(lines, span.offset()))
        } else {
            inner.column()
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + snippet.first,
            column,
            inner.line_count() + snippet.first,
        )))
    }
}

/// The texts and line starts of the last few files shown (findings come sorted by file).
struct LinesCache<'a> {
    files: &'a Files,
    recent: Vec<(FileId, Arc<Lines>)>,
}

impl LinesCache<'_> {
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
}

/// A span within `text`, its ends at character boundaries.
fn char_span(text: &str, span: crate::span::Span) -> Range<usize> {
    let start = crate::source::clamp_to_char_boundary(text, span.start);
    let end = crate::source::clamp_to_char_boundary(text, span.end).max(start);
    start..end
}

/// A finding's text as shown: control characters as their pictures but line breaks.
fn shown_text(text: &str) -> String {
    super::visible(text, &['\n']).into_owned()
}

/// A label far from its finding (or in another file), shown under it in a snippet of its own
/// after `Advice:`.
#[derive(PartialEq, Eq, Hash)]
struct Far {
    file: FileId,
    span: crate::span::Span,
    /// The label's text, and the advice's message (the label's text, and the file's path when
    /// it is another file).
    label: String,
    message: String,
}

/// The snippet of a finding (its primary label and the labels near it) and the labels shown
/// apart.
fn view(cache: &mut LinesCache<'_>, d: &Diagnostic) -> (View, Vec<Far>) {
    let files = cache.files;
    let file = d.location.file;
    let lines = cache.get(file);
    let mut labels = vec![(d.location.span, d.primary_label.as_deref().map(shown_text))];
    let mut far = Vec::new();
    let index = &lines.index;
    let primary_line = index.line_of(d.location.span.start);
    for label in &d.labels {
        // miette prints every line between labels of one snippet: a label far from the finding
        // gets a snippet of its own.
        let near = index
            .line_of(label.location.span.start)
            .abs_diff(primary_line)
            <= MAX_LABEL_DISTANCE;
        let message = shown_text(&label.message);
        if label.location.file == file && near {
            labels.push((label.location.span, Some(message)));
        } else {
            far.push(Far {
                file: label.location.file,
                span: label.location.span,
                message: if label.location.file == file {
                    message.clone()
                } else {
                    let path = files.path(label.location.file);
                    format!("{message} ({})", super::visible(path, &[]))
                },
                label: message,
            });
        }
    }
    let (source, labels) = Source::new(files.path(file), lines.clone(), labels);
    let view = View {
        header: String::new(),
        message: String::new(),
        severity: severity(d.severity),
        help: None,
        source: Some(source),
        labels,
    };
    (view, far)
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

/// Texts miette rendered that many findings share (a message, a help, the snippet of a place
/// many findings point at), so that each is wrapped and drawn once rather than once per
/// finding. Bounded: emptied when it holds `max` texts ([`Rendered::MAX`]).
struct Rendered<K> {
    known: HashMap<K, String>,
    /// How many texts it keeps at most (0: none, each rendered every time).
    max: usize,
}

impl<K: std::hash::Hash + Eq> Rendered<K> {
    const MAX: usize = 1024;

    fn new(max: usize) -> Self {
        Rendered {
            known: HashMap::new(),
            max,
        }
    }

    /// The text rendered for `key`, rendering it with `render` the first time (a failed
    /// rendering is not kept: `None`).
    fn get(&mut self, key: K, render: impl FnOnce(&K) -> Option<String>) -> Option<&str> {
        if self.max == 0 || (self.known.len() >= self.max && !self.known.contains_key(&key)) {
            self.known.clear();
        }
        match self.known.entry(key) {
            std::collections::hash_map::Entry::Occupied(known) => Some(known.into_mut().as_str()),
            std::collections::hash_map::Entry::Vacant(new) => {
                let text = render(new.key())?;
                Some(new.insert(text).as_str())
            }
        }
    }
}

/// miette's renderer, counting what it renders.
struct Miette {
    handler: GraphicalReportHandler,
    renders: std::cell::Cell<usize>,
}

impl Miette {
    fn render(&self, out: &mut String, view: &View) -> fmt::Result {
        self.renders.set(self.renders.get() + 1);
        self.handler.render_report(out, view)
    }
}

/// What miette renders of `view` but the first line (the cause line of a view with an empty
/// message): its snippets and help.
fn render_tail(handler: &Miette, view: &View, out: &mut String) -> fmt::Result {
    let start = out.len();
    let result = handler.render(out, view);
    match out[start..].find('\n') {
        Some(at) => {
            out.replace_range(start..start + at + 1, "");
        }
        None => out.truncate(start),
    }
    result
}

/// The advice of a label far from its finding: `Advice:` and the label in a snippet of its own.
fn render_advice(
    handler: &Miette,
    cache: &mut LinesCache<'_>,
    far: &Far,
    out: &mut String,
) -> fmt::Result {
    out.push_str("\nAdvice: \n");
    let path = cache.files.path(far.file);
    let (source, labels) = Source::new(
        path,
        cache.get(far.file),
        vec![(far.span, Some(far.label.clone()))],
    );
    let view = View {
        source: Some(source),
        labels,
        ..View::text(&far.message, miette::Severity::Advice)
    };
    handler.render(out, &view)
}

/// What a finding shows after a part failed to render: its code and message on one line.
fn fallback(d: &Diagnostic, text: &mut String) {
    text.push_str(&format!(
        "{} {}\n",
        d.code,
        shown_text(&d.message.to_string())
    ));
}

/// Write every diagnostic and a summary line to `out`, one finding at a time.
///
/// miette renders a finding as its header (code and name), its message, its snippets, its help
/// and the advice of its far labels, each part independent of the others: the parts many
/// findings share (the same message, help or far place) are rendered once ([`Rendered`]), and
/// miette draws only each finding's own snippet.
pub fn write(report: &Report, color: bool, out: &mut impl std::io::Write) -> std::io::Result<()> {
    write_sharing(report, color, Rendered::<()>::MAX, out).map(|_| ())
}

/// [`write`], keeping up to `shared` rendered parts of each kind; returns how many parts miette
/// rendered.
fn write_sharing(
    report: &Report,
    color: bool,
    shared: usize,
    out: &mut impl std::io::Write,
) -> std::io::Result<usize> {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = Miette {
        handler: GraphicalReportHandler::new_themed(theme)
            .with_links(false)
            .with_width(terminal_width())
            .with_context_lines(CONTEXT_LINES),
        renders: std::cell::Cell::new(0),
    };
    let mut text = String::new();
    let mut cache = LinesCache {
        files: &report.files,
        recent: Vec::new(),
    };
    // The header and message of a finding, by code, severity and message.
    let mut heads = Rendered::new(shared);
    // A help, without the message line before it.
    let mut helps = Rendered::new(shared);
    // The advice of a far label, from the blank line before `Advice:`.
    let mut advices = Rendered::new(shared);
    for d in &report.diagnostics {
        text.clear();
        let level = severity(d.severity);
        let code_name = format!(
            "{} {}",
            d.code,
            crate::rules::by_code(d.code).map_or("", |r| r.name)
        );
        let message = shown_text(&d.display_message());
        let head = heads.get(
            (code_name, message, d.severity),
            |(code_name, message, _)| {
                let mut view = View::text(message, level);
                view.header = code_name.clone();
                let mut head = String::new();
                handler.render(&mut head, &view).ok().map(|()| head)
            },
        );
        let (v, far) = view(&mut cache, d);
        // Whether every part is rendered: if one fails, what it rendered is followed by the
        // finding's code and message, and the parts after it are left out.
        let mut ok = match head {
            Some(head) => {
                text.push_str(head);
                render_tail(&handler, &v, &mut text).is_ok()
            }
            None => false,
        };
        if let (true, Some(help)) = (ok, &d.help) {
            let help = helps.get(shown_text(help), |help| {
                let mut view = View::text("", level);
                view.help = Some(help.clone());
                let mut rendered = String::new();
                render_tail(&handler, &view, &mut rendered)
                    .ok()
                    .map(|()| rendered)
            });
            match help {
                Some(help) => text.push_str(help),
                None => ok = false,
            }
        }
        // A footer goes under the finding's own snippet and help, before the advice of the far
        // labels, which are then rendered whether or not a part failed.
        if let Some(footer) = &d.footer {
            if !ok {
                fallback(d, &mut text);
                ok = true;
            }
            text.push_str(&format!("  {}\n", shown_text(footer)));
        }
        for far in far {
            if !ok {
                break;
            }
            let mut failed = None;
            match advices.get(far, |far| {
                let mut rendered = String::new();
                match render_advice(&handler, &mut cache, far, &mut rendered) {
                    Ok(()) => Some(rendered),
                    Err(_) => {
                        // Shown as far as it was rendered.
                        failed = Some(rendered);
                        None
                    }
                }
            }) {
                Some(advice) => text.push_str(advice),
                None => {
                    text.push_str(failed.as_deref().unwrap_or_default());
                    ok = d.footer.is_some();
                }
            }
        }
        if !ok {
            fallback(d, &mut text);
        }
        out.write_all(text.as_bytes())?;
    }
    if !report.diagnostics.is_empty() {
        out.write_all(b"\n")?;
    }
    out.write_all(summary(report).as_bytes())?;
    Ok(handler.renders.get())
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
    use crate::span::Span;
    use crate::test_rng::Rng;

    fn snippet_source(text: &str, spans: &[(usize, usize)]) -> (Source, Vec<LabeledSpan>) {
        let lines = Arc::new(Lines::new(Arc::from(text)));
        let labels = spans
            .iter()
            .map(|&(start, end)| (Span::new(start, end), Some("label".to_string())))
            .collect();
        Source::new("f", lines, labels)
    }

    /// The shown text of a label.
    fn shown<'a>(source: &'a Source, label: &LabeledSpan) -> &'a str {
        let span = label.inner();
        &source.snippet.text[span.offset()..span.offset() + span.len()]
    }

    /// For ordinary text (no control characters but tabs, no long lines), the snippet miette
    /// gets from the lines a view shows is the one it finds scanning the whole text: same
    /// bytes, span (moved by where the lines start), line, line count and column, for `\n` and
    /// `\r\n` line breaks, every context size, spans at line starts and ends.
    #[test]
    fn snippets_of_ordinary_text_match_the_whole_text() {
        let pieces = ["a", "bc", "é", "\n", "\r\n", "  ", "\n\n", "\t"];
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        for round in 0..400 {
            let mut text = String::new();
            for _ in 0..rng.below(60) {
                text.push_str(pieces[rng.below(pieces.len())]);
            }
            for _ in 0..20 {
                let start = crate::source::clamp_to_char_boundary(&text, rng.below(text.len() + 1));
                let end = crate::source::clamp_to_char_boundary(
                    &text,
                    start + rng.below((text.len() - start).min(5) + 1),
                );
                let (source, labels) = snippet_source(&text, &[(start, end)]);
                assert_eq!(source.snippet.text, {
                    let from = source.lines.index.line_start(source.snippet.first);
                    let to = source.snippet.text.len() + from;
                    &text[from..to]
                });
                let shift = source.lines.index.line_start(source.snippet.first);
                let span = SourceSpan::from((start, end - start));
                let (before, after) = (rng.below(3), rng.below(3));
                let ours = source.read_span(labels[0].inner(), before, after);
                let theirs = text.read_span(&span, before, after);
                match (ours, theirs) {
                    (Ok(ours), Ok(theirs)) => {
                        let what = format!("round {round}: {text:?} {span:?} {before} {after}");
                        assert_eq!(ours.data(), theirs.data(), "{what}");
                        assert_eq!(
                            ours.span().offset() + shift,
                            theirs.span().offset(),
                            "{what}"
                        );
                        assert_eq!(ours.span().len(), theirs.span().len(), "{what}");
                        assert_eq!(ours.line(), theirs.line(), "{what}");
                        assert_eq!(ours.line_count(), theirs.line_count(), "{what}");
                        if before > 0 {
                            assert_eq!(ours.column(), theirs.column(), "{what}");
                        } else {
                            let at = source.lines.index.position(&text, start);
                            assert_eq!(ours.column() + 1, at.column, "{what}");
                        }
                    }
                    (Err(_), Err(_)) => {}
                    (ours, theirs) => panic!(
                        "{text:?} {span:?}: ours {:?}, miette's {:?}",
                        ours.is_ok(),
                        theirs.is_ok()
                    ),
                };
            }
        }
    }

    /// Findings that share a message, a help and a far label (an nginx upstream of many
    /// servers with `max_fails=0`) have those rendered once: miette draws each finding's own
    /// snippet and little else, and the output is the same as when every part of every finding
    /// is rendered.
    #[test]
    fn parts_findings_share_are_rendered_once() {
        let mut text = String::from("http{\n");
        for upstream in 0..3 {
            text.push_str(&format!("upstream u{upstream}{{\n"));
            text.push_str(&"server b max_fails=0;\n".repeat(200));
            text.push_str(&format!(
                "}}\nserver{{location /{{proxy_pass http://u{upstream};}}}}\n"
            ));
        }
        text.push_str("}\n");
        let settings = crate::Settings::new(
            crate::config::Config::default(),
            crate::config::Selection::all(),
        );
        let report = crate::lint_inputs(
            vec![crate::InputFile {
                display: "nginx.conf".to_string(),
                kind: crate::source::FileKind::Nginx,
                text,
                dir: None,
            }],
            &settings,
        );
        let findings = report.diagnostics.len();
        assert!(findings >= 600, "{findings} findings");
        let written = |shared| {
            let mut out = Vec::new();
            let parts = write_sharing(&report, false, shared, &mut out).expect("writes to memory");
            (out, parts)
        };
        let (shared, parts) = written(Rendered::<()>::MAX);
        let (alone, all_parts) = written(0);
        assert!(shared == alone, "sharing changes no byte");
        assert!(
            String::from_utf8_lossy(&shared).matches("Advice:").count() > 500,
            "most servers are far from their upstream's label"
        );
        assert!(all_parts >= 3 * findings, "{all_parts} parts unshared");
        assert!(
            parts <= findings + 20,
            "{parts} parts rendered for {findings} findings"
        );
    }

    /// Control characters are shown as pictures, one character for one: a label still covers
    /// the same characters, its column is the file's, a lone CR is part of its line.
    #[test]
    fn snippets_show_control_characters_as_pictures() {
        let text = "FROM alpine\nFO\x1b]0;pwned\x07\x1b[2J\tx\u{9b}1m\x7f\0\r\ny\rz\n";
        let target = text.find("\x1b[2J").unwrap_or_default();
        let (source, labels) = snippet_source(text, &[(target, target + 4), (0, 4)]);
        assert_eq!(
            source.snippet.text,
            "FROM alpine\nFO␛]0;pwned␇␛[2J\tx\u{fffd}1m␡␀\r\ny␍z\n"
        );
        assert_eq!(shown(&source, &labels[0]), "␛[2J");
        assert_eq!(shown(&source, &labels[1]), "FROM");
        let header = source
            .read_span(labels[0].inner(), 0, 0)
            .expect("reads the label");
        assert_eq!((header.line(), header.column()), (1, 12));
        // Every offset of the text goes to the shown text and back.
        for offset in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
            let at = source.snippet.shown(&source.lines, offset);
            assert_eq!(
                source.snippet.original(&source.lines, at),
                offset,
                "{offset}"
            );
        }
    }

    /// Lines longer than the limit are clipped: the finding's line around its label, other
    /// lines from their start, each clipped end marked.
    #[test]
    fn long_lines_are_clipped_around_the_label() {
        let long = "x".repeat(1 << 20);
        let text = format!("a: 1\nb: [{long}\nc: {long}ZZZ{long}\nd: {long}\n");
        let target = text.find("ZZZ").unwrap_or_default();
        let (source, labels) = snippet_source(&text, &[(target, target + 3)]);
        let shown_lines: Vec<&str> = source.snippet.text.lines().collect();
        assert_eq!(shown_lines.len(), 4, "{shown_lines:?}");
        assert_eq!(shown_lines[0], "a: 1");
        for line in &shown_lines[1..] {
            assert_eq!(
                line.chars().count(),
                MAX_SHOWN_LINE_CHARS + line.matches('…').count()
            );
        }
        assert!(shown_lines[1].starts_with("b: [xx") && shown_lines[1].ends_with("x…"));
        assert!(shown_lines[3].starts_with("d: xx") && shown_lines[3].ends_with("x…"));
        let line = shown_lines[2];
        assert!(line.starts_with('…') && line.ends_with('…'));
        assert_eq!(line.find("ZZZ"), Some('…'.len_utf8() + SHOWN_BEFORE_ANCHOR));
        assert_eq!(shown(&source, &labels[0]), "ZZZ");
        let header = source
            .read_span(labels[0].inner(), 0, 0)
            .expect("reads the label");
        assert_eq!((header.line(), header.column()), (2, 3 + (1 << 20)));

        // A label covering a whole long line: underlined from its start to the clipped end.
        let start = text.find("c: ").unwrap_or_default();
        let end = target + 3 + (1 << 20);
        let (source, labels) = snippet_source(&text, &[(start, end)]);
        let label = shown(&source, &labels[0]);
        assert!(
            label.starts_with("c: xx") && label.ends_with("x…"),
            "{label}"
        );
        assert_eq!(label.chars().count(), MAX_SHOWN_LINE_CHARS + 1);

        // Near the end of a long line, the part shown ends with it.
        let end = text.find("\nd:").unwrap_or_default();
        let (source, labels) = snippet_source(&text, &[(end - 1, end)]);
        assert_eq!(shown(&source, &labels[0]), "x");
        let line = source.snippet.text.lines().nth(2).unwrap_or_default();
        assert!(line.starts_with('…') && line.ends_with("xx"), "{line}");
        assert_eq!(line.chars().count(), MAX_SHOWN_LINE_CHARS + 1);
    }
}
