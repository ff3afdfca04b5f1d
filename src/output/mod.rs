//! Emitters. Diagnostics carry byte spans; positions are computed here through a line index.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::source::{FileId, Files, LineIndex, Position};
use crate::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Github,
    Sarif,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "human" => Some(Format::Human),
            "json" => Some(Format::Json),
            "github" => Some(Format::Github),
            "sarif" => Some(Format::Sarif),
            _ => None,
        }
    }
}

/// How many findings an output turns into text at a time: it holds the positions (and
/// whatever else it derives) of one window of findings, never of the whole run, so writing a
/// report takes about the same memory whether it has a hundred findings or a hundred thousand.
/// A file whose findings span several windows has its lines indexed once per window.
pub const WINDOW: usize = 4096;

/// The findings of a report, `size` at a time ([`WINDOW`] but in tests), each window with its
/// positions.
fn windows(
    report: &Report,
    size: usize,
) -> impl Iterator<Item = (&[Diagnostic], Positions<'_>)> + '_ {
    report
        .diagnostics
        .chunks(size.max(1))
        .map(|window| (window, Positions::new(&report.files, window)))
}

/// The line and column of every start and end of some findings and their labels (one
/// [`WINDOW`] of them), computed one file at a time: each file's line index is built, used for
/// that file's offsets and dropped, so the index of only one file is in memory at once.
pub struct Positions<'a> {
    files: &'a Files,
    known: HashMap<(FileId, usize), Position>,
}

impl<'a> Positions<'a> {
    pub fn new(files: &'a Files, diagnostics: &[Diagnostic]) -> Self {
        let mut offsets: HashMap<FileId, Vec<usize>> = HashMap::new();
        for d in diagnostics {
            for location in std::iter::once(&d.location).chain(d.labels.iter().map(|l| &l.location))
            {
                let list = offsets.entry(location.file).or_default();
                list.push(location.span.start);
                list.push(location.span.end);
            }
        }
        let mut known = HashMap::new();
        for (file, mut list) in offsets {
            list.sort_unstable();
            list.dedup();
            let text = files.text(file);
            let text = &*text;
            let index = LineIndex::new(text);
            // The offsets ascend: each column is counted on from the one before.
            let mut cursor = None;
            for offset in list {
                known.insert(
                    (file, offset),
                    index.position_after(text, offset, &mut cursor),
                );
            }
        }
        Positions { files, known }
    }

    pub fn position(&self, file: FileId, offset: usize) -> Position {
        match self.known.get(&(file, offset)) {
            Some(position) => *position,
            None => {
                let text = self.files.text(file);
                let text = &*text;
                LineIndex::new(text).position(text, offset)
            }
        }
    }

    /// Start and end of a location (end exclusive).
    pub fn range(&self, location: &Location) -> (Position, Position) {
        (
            self.position(location.file, location.span.start),
            self.position(location.file, location.span.end),
        )
    }
}

/// Counts for summaries.
pub fn counts(diagnostics: &[Diagnostic]) -> (usize, usize, usize) {
    let count = |s| diagnostics.iter().filter(|d| d.severity == s).count();
    (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    )
}

/// Render the report in `format`.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    let mut out = Vec::new();
    // Writing to memory does not fail; the formats write UTF-8.
    let _ = write(report, format, color, None, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Write the report in `format` to `out` as it is rendered, [`WINDOW`] findings at a time
/// (never the whole text in memory). `root` is the directory relative paths were given from
/// (SARIF's `%SRCROOT%`; without it, no `originalUriBaseIds`).
pub fn write(
    report: &Report,
    format: Format,
    color: bool,
    root: Option<&std::path::Path>,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    write_windowed(report, format, color, root, WINDOW, out)
}

/// [`write`], `window` findings at a time.
fn write_windowed(
    report: &Report,
    format: Format,
    color: bool,
    root: Option<&std::path::Path>,
    window: usize,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Human => human::write(report, color, out),
        Format::Json => json::write_windowed(report, window, out),
        Format::Github => github::write(report, window, out),
        Format::Sarif => sarif::write(report, root, window, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, Selection};

    /// Windows change what is in memory at once, never what is written: every fixture linted
    /// together (findings in many files, labels pointing into other files, SARIF fingerprints
    /// counting repeated lines of one file across window ends) gives the same bytes in windows
    /// of 1, 2 and 7 findings as in one window.
    #[test]
    fn the_output_is_the_same_whatever_the_window() {
        let testdata = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let settings = crate::Settings::new(Config::default(), Selection::all());
        let report = crate::lint_paths(&[testdata], &settings).expect("lint runs");
        assert!(
            report.diagnostics.len() > 100
                && report.diagnostics.iter().any(|d| !d.labels.is_empty()),
            "the fixtures give many findings, some with labels"
        );
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for format in [Format::Json, Format::Github, Format::Sarif, Format::Human] {
            let written = |window| {
                let mut out = Vec::new();
                write_windowed(&report, format, false, Some(root), window, &mut out)
                    .expect("writing to memory");
                out
            };
            let whole = written(usize::MAX);
            assert!(whole.len() > 10_000, "{format:?} output is written");
            for window in [1, 2, 7] {
                assert!(
                    written(window) == whole,
                    "{format:?} differs in windows of {window}"
                );
            }
        }
    }
}
