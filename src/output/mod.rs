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

/// The line and column of every start and end of the findings and their labels, computed one
/// file at a time: each file's line index is built, used for that file's offsets and dropped,
/// so the index of only one file is in memory at once.
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
            for offset in list {
                known.insert((file, offset), index.position(text, offset));
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
    match format {
        Format::Human => human::render(report, color),
        Format::Json => json::render(report),
        Format::Github => github::render(report),
        // No base directory known here: relative URIs without `originalUriBaseIds`.
        Format::Sarif => sarif::render(report, None),
    }
}
