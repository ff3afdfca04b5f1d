//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::fmt::Write;
use std::path::{Path, PathBuf};

use shutdownlint::config::{Config, Selection};
use shutdownlint::output::Positions;
use shutdownlint::{Report, Settings};

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Lint `path` with every rule at default settings.
pub fn lint(path: &Path) -> Report {
    let settings = Settings::new(Config::default(), Selection::all());
    shutdownlint::lint_paths(&[path.to_path_buf()], &settings).expect("lint runs")
}

/// A compact, reviewable rendering: position, rule, message, labels, help and the source line
/// with the primary span underlined. Paths are shown relative to `root`.
pub fn render_concise(report: &Report, root: &Path, only: &[&str]) -> String {
    let positions = Positions::new(&report.files, &report.diagnostics);
    let root = format!("{}/", root.display());
    let show = |path: &str| path.strip_prefix(&root).unwrap_or(path).to_string();
    let mut out = String::new();
    for d in report.diagnostics.iter().filter(|d| only.contains(&d.code)) {
        let (start, end) = positions.range(&d.location);
        let path = show(report.files.path(d.location.file));
        let _ = writeln!(
            out,
            "{path}:{}:{}-{}:{} {} {}: {}",
            start.line, start.column, end.line, end.column, d.code, d.severity, d.message
        );
        let text = report.files.text(d.location.file);
        let line_text = text.lines().nth(start.line - 1).unwrap_or("");
        let _ = writeln!(out, "  | {}", line_text.trim_end_matches('\r'));
        let width = if end.line == start.line {
            end.column.saturating_sub(start.column).max(1)
        } else {
            line_text
                .chars()
                .count()
                .saturating_sub(start.column - 1)
                .max(1)
        };
        let _ = writeln!(
            out,
            "  | {}{}{}",
            " ".repeat(start.column - 1),
            "^".repeat(width),
            d.primary_label
                .as_deref()
                .map(|l| format!(" {l}"))
                .unwrap_or_default()
        );
        for label in &d.labels {
            let (ls, _) = positions.range(&label.location);
            let _ = writeln!(
                out,
                "  = {}:{}:{}: {}",
                show(report.files.path(label.location.file)),
                ls.line,
                ls.column,
                label.message
            );
        }
        if let Some(help) = &d.help {
            let _ = writeln!(out, "  help: {help}");
        }
    }
    out
}
