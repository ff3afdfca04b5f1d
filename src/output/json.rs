//! `--format json`, version 1 (DESIGN.md's contract).

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

use super::Positions;
use crate::diagnostic::Diagnostic;
use crate::source::FileId;
use crate::source::Position;
use crate::Report;

#[derive(Serialize)]
struct Output<'a> {
    version: u32,
    tool: Tool,
    diagnostics: Findings<'a>,
    summary: Summary,
}

/// The findings, turned into JSON objects one window at a time as they are written.
struct Findings<'a> {
    report: &'a Report,
    window: usize,
}

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let report = self.report;
        let mut seq = serializer.serialize_seq(Some(report.diagnostics.len()))?;
        for (window, positions) in super::windows(report, self.window) {
            for d in window {
                seq.serialize_element(&finding(report, &positions, d))?;
            }
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonPosition {
    line: usize,
    column: usize,
    offset: usize,
}

impl JsonPosition {
    /// `offset` counts the file's bytes (see [`Positions::byte_offset`]).
    fn new(positions: &Positions<'_>, file: FileId, p: Position) -> Self {
        JsonPosition {
            line: p.line,
            column: p.column,
            offset: positions.byte_offset(file, p.offset),
        }
    }
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    message: &'a str,
    file: &'a str,
    start: JsonPosition,
    end: JsonPosition,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    name: &'a str,
    severity: &'a str,
    message: String,
    file: &'a str,
    start: JsonPosition,
    end: JsonPosition,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
    url: String,
    fix: Option<()>,
    /// The Helm template a rendered document came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
}

fn finding<'a>(
    report: &'a Report,
    positions: &Positions<'_>,
    d: &'a Diagnostic,
) -> JsonDiagnostic<'a> {
    let rule = crate::rules::by_code(d.code);
    let (start, end) = positions.range(&d.location);
    JsonDiagnostic {
        rule: d.code,
        name: rule.map_or("", |r| r.name),
        severity: d.severity.as_str(),
        message: d.display_message(),
        file: report.files.path(d.location.file),
        start: JsonPosition::new(positions, d.location.file, start),
        end: JsonPosition::new(positions, d.location.file, end),
        labels: d
            .labels
            .iter()
            .map(|l| {
                let (start, end) = positions.range(&l.location);
                JsonLabel {
                    message: &l.message,
                    file: report.files.path(l.location.file),
                    start: JsonPosition::new(positions, l.location.file, start),
                    end: JsonPosition::new(positions, l.location.file, end),
                }
            })
            .collect(),
        help: d.help.as_deref(),
        url: rule.map_or_else(String::new, |r| r.url()),
        fix: None,
        source: d.source.as_deref(),
    }
}

/// Write the report as JSON (pretty, with a final line break) to `out`, without building the
/// whole text, or an object for every finding, in memory first.
pub fn write(report: &Report, out: &mut impl std::io::Write) -> std::io::Result<()> {
    write_windowed(report, super::WINDOW, out)
}

/// [`write`], `window` findings at a time.
pub(super) fn write_windowed(
    report: &Report,
    window: usize,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let (errors, warnings, infos) = super::counts(&report.diagnostics);
    let output = Output {
        version: 1,
        tool: Tool {
            name: "shutdownlint",
            version: env!("CARGO_PKG_VERSION"),
        },
        diagnostics: Findings { report, window },
        summary: Summary {
            files: report.linted_files,
            errors,
            warnings,
            infos,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &output)?;
    out.write_all(b"\n")
}

pub fn render(report: &Report) -> String {
    let mut out = Vec::new();
    if let Err(e) = write(report, &mut out) {
        return format!("{{\"error\": \"{e}\"}}\n");
    }
    String::from_utf8(out).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}\n"))
}
