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

/// Line indexes of the files that have findings, built once per file.
pub struct Positions<'a> {
    files: &'a Files,
    indexes: HashMap<FileId, LineIndex>,
}

impl<'a> Positions<'a> {
    pub fn new(files: &'a Files, diagnostics: &[Diagnostic]) -> Self {
        let mut indexes = HashMap::new();
        for d in diagnostics {
            for file in
                std::iter::once(d.location.file).chain(d.labels.iter().map(|l| l.location.file))
            {
                indexes
                    .entry(file)
                    .or_insert_with(|| LineIndex::new(files.text(file)));
            }
        }
        Positions { files, indexes }
    }

    pub fn position(&self, file: FileId, offset: usize) -> Position {
        let text = self.files.text(file);
        match self.indexes.get(&file) {
            Some(index) => index.position(text, offset),
            None => LineIndex::new(text).position(text, offset),
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
