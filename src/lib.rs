//! shutdownlint: a static analyzer for deploy and graceful-shutdown configuration.
//!
//! The pipeline: [`discover`] → parse ([`formats`]) → lower into the deploy [`model`] → [`link`]
//! cross-file facts → [`analysis`] of commands → [`rules`] → [`suppress`] → [`output`].

pub mod analysis;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod docs;
pub mod drain;
pub mod formats;
pub mod kustomize;
pub mod link;
pub mod lower;
pub mod model;
pub mod output;
pub mod rules;
pub mod shell;
pub mod source;
pub mod span;
pub mod suppress;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::{Config, ConfigError, Selection};
use crate::diagnostic::{Diagnostic, Location};
use crate::model::Model;
use crate::rules::{Reporter, RuleContext};
use crate::source::{FileId, FileKind, Files, LineIndex, SourceFile};
use crate::span::Span;
use crate::suppress::Suppression;

/// Where rule pages are published; each rule's `url` is this plus its page's file name.
pub const RULES_URL: &str = "https://github.com/shutdownlint/shutdownlint/blob/main/rules";

/// The result of one run.
#[derive(Debug, Default)]
pub struct Report {
    pub files: Files,
    /// Sorted by path, line, column, rule.
    pub diagnostics: Vec<Diagnostic>,
    /// Things to tell the user on stderr (skipped files); never findings.
    pub notes: Vec<String>,
    /// How many recognised files were linted.
    pub linted_files: usize,
}

/// A file handed in directly (stdin, the language server, tests).
#[derive(Debug, Clone)]
pub struct InputFile {
    pub display: String,
    pub kind: FileKind,
    pub text: String,
    /// Where files it refers to (scripts copied by a Dockerfile) are looked up.
    pub dir: Option<PathBuf>,
}

/// Options of one run.
pub struct Settings {
    pub config: Config,
    pub selection: Selection,
    pub max_file_bytes: u64,
}

impl Settings {
    pub fn new(config: Config, selection: Selection) -> Self {
        Settings {
            config,
            selection,
            max_file_bytes: discover::DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// Lint files and directories.
pub fn lint_paths(paths: &[PathBuf], settings: &Settings) -> Result<Report, ConfigError> {
    let discovery = discover::discover(paths, &settings.config)?;
    let read: Vec<(PathBuf, Result<InputFile, String>)> = discovery
        .files
        .par_iter()
        .map(|found| {
            let input = read_file(&found.path, settings.max_file_bytes).map(|text| InputFile {
                display: found.display.clone(),
                kind: found.kind,
                text,
                dir: found.path.parent().map(Path::to_path_buf),
            });
            (found.path.clone(), input)
        })
        .collect();
    let patches =
        kustomize::patches(read.iter().filter_map(|(path, input)| {
            Some((path.as_path(), input.as_ref().ok()?.text.as_str()))
        }));
    let mut inputs = Vec::new();
    let mut notes = discovery.notes;
    for (path, input) in read {
        match input {
            Ok(input)
                if !patches.is_empty()
                    && patches.contains(&path.canonicalize().unwrap_or_else(|_| path.clone())) =>
            {
                notes.push(format!(
                    "{}: a Kustomize patch (partial objects); skipped (lint `kustomize build` output instead)",
                    input.display
                ));
            }
            Ok(input) => inputs.push(input),
            Err(why) => notes.push(format!("{}: {why}", discover::display_path(&path))),
        }
    }
    let mut report = lint_inputs(inputs, settings);
    notes.append(&mut report.notes);
    report.notes = notes;
    Ok(report)
}

/// Read a file as text, within the size cap. Invalid UTF-8 is replaced (positions stay on the
/// right line).
pub fn read_file(path: &Path, max_bytes: u64) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file; skipped".into());
    }
    if meta.len() > max_bytes {
        return Err(format!(
            "{} bytes is over the {} byte limit; skipped",
            meta.len(),
            max_bytes
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// Per-file results of the parallel stage.
struct FileOutput {
    file: FileId,
    fragment: formats::Fragment,
    diagnostics: Vec<Diagnostic>,
    suppressions: Vec<Suppression>,
    /// The file was not linted; the note says why (`Some("")`: silently, not our format).
    skipped: Option<String>,
    /// Regions of the file rendered from a Helm template, with the template path.
    template_sources: Vec<(Span, String)>,
}

/// Lint files already in memory (stdin, the language server, tests).
pub fn lint_inputs(mut inputs: Vec<InputFile>, settings: &Settings) -> Report {
    inputs.sort_by(|a, b| a.display.cmp(&b.display));
    let mut files = Files::default();
    let mut dirs = Vec::new();
    for input in inputs {
        dirs.push(input.dir);
        files.push(SourceFile {
            path: input.display,
            kind: input.kind,
            text: Arc::from(input.text),
        });
    }
    let mut linted_files = files.len();
    let lower_options = formats::LowerOptions {
        procfile_kill_timeout: settings
            .config
            .procfile
            .kill_timeout
            .as_deref()
            .and_then(shell::commands::parse_duration_seconds),
    };
    let outputs: Vec<FileOutput> = files
        .iter()
        .collect::<Vec<_>>()
        .par_iter()
        .map(|(id, file)| {
            process_file(
                *id,
                file,
                dirs.get(id.0 as usize).and_then(|d| d.as_deref()),
                &lower_options,
            )
        })
        .collect();

    let mut model = Model::default();
    let mut diagnostics = Vec::new();
    let mut suppressions = Vec::new();
    let mut notes = Vec::new();
    let mut template_sources = Vec::new();
    for output in outputs {
        if let Some(note) = output.skipped {
            linted_files -= 1;
            if !note.is_empty() {
                notes.push(note);
            }
        }
        for (span, source) in output.template_sources {
            template_sources.push((output.file, span, source));
        }
        output.fragment.merge_into(&mut model);
        diagnostics.extend(output.diagnostics);
        suppressions.extend(output.suppressions);
    }
    let systemd_files = std::mem::take(&mut model.systemd_files);
    lower::systemd::lower_units(systemd_files, &mut model);
    link::link_images(&mut model, &files, &dirs, &settings.config);
    link::link_services(&mut model, &files);
    analysis::analyze_model(&mut model);
    let linked = link::link_scripts(&mut model, &mut files, settings.max_file_bytes);
    suppressions.extend(linked.suppressions);

    let context = RuleContext {
        model: &model,
        files: &files,
        config: &settings.config,
    };
    let found: Vec<Vec<Diagnostic>> = rules::all()
        .par_iter()
        .filter(|rule| settings.selection.is_enabled(rule.code))
        .map(|rule| {
            let mut out = Vec::new();
            (rule.check)(&context, &mut Reporter::new(rule, &mut out));
            out
        })
        .collect();
    diagnostics.extend(found.into_iter().flatten());
    let mut diagnostics = finish(diagnostics, &suppressions, &files, &settings.selection);
    for d in &mut diagnostics {
        d.source = template_sources
            .iter()
            .find(|(file, span, _)| {
                *file == d.location.file && span.contains(d.location.span.start)
            })
            .map(|(_, _, source)| source.clone());
    }
    notes.extend(linked.notes);
    Report {
        files,
        diagnostics,
        notes,
        linted_files,
    }
}

fn process_file(
    id: FileId,
    file: &SourceFile,
    dir: Option<&Path>,
    options: &formats::LowerOptions,
) -> FileOutput {
    let suppressions = suppress::parse(id, &file.text, file.kind.comment_chars());
    let mut output = FileOutput {
        file: id,
        fragment: formats::Fragment::default(),
        diagnostics: Vec::new(),
        suppressions,
        skipped: None,
        template_sources: Vec::new(),
    };
    match formats::parse_and_lower(id, file, dir, options) {
        formats::Parsed::Lowered(mut fragment) => {
            let facts = std::mem::take(&mut fragment.file_facts);
            output.suppressions.extend(facts.suppressions);
            output.template_sources = facts.template_sources;
            for problem in facts.problems {
                output.diagnostics.push(rules::parse_error::diagnostic(
                    Location::new(id, problem.span),
                    &problem.message,
                ));
            }
            output.fragment = fragment;
        }
        formats::Parsed::Ignored => {
            output.suppressions.clear();
            output.skipped = Some(String::new());
        }
        formats::Parsed::Skipped(note) => {
            output.suppressions.clear();
            output.skipped = Some(note);
        }
        formats::Parsed::Failed(error) => output.diagnostics.push(rules::parse_error::diagnostic(
            Location::new(id, error.span),
            &error.message,
        )),
    }
    output
}

/// Apply selection, severities and suppressions; add SL001; sort.
fn finish(
    mut diagnostics: Vec<Diagnostic>,
    suppressions: &[Suppression],
    files: &Files,
    selection: &Selection,
) -> Vec<Diagnostic> {
    diagnostics.retain(|d| selection.is_enabled(d.code));
    for d in &mut diagnostics {
        if let Some(severity) = selection.severity(d.code) {
            d.severity = severity;
        }
    }
    let mut indexes: HashMap<FileId, LineIndex> = HashMap::new();
    for d in &diagnostics {
        indexes
            .entry(d.location.file)
            .or_insert_with(|| LineIndex::new(files.text(d.location.file)));
    }
    let unused = suppress::apply(&mut diagnostics, suppressions, |location| {
        indexes
            .get(&location.file)
            .map_or(0, |index| index.line_of(location.span.start))
    });
    if selection.is_enabled("SL001") {
        for rule in unused {
            // A suppression of a rule that is not running cannot be judged.
            if rule.code.is_some_and(|code| !selection.is_enabled(code)) {
                continue;
            }
            let mut d = rules::unused_suppression::diagnostic(rule);
            if let Some(severity) = selection.severity(d.code) {
                d.severity = severity;
            }
            diagnostics.push(d);
        }
    }
    sort(&mut diagnostics, files);
    diagnostics
}

/// Deterministic order: path, start, rule, message. Findings of one rule at the same place with
/// the same message (one script used by two Dockerfiles) are merged, keeping every label.
pub fn sort(diagnostics: &mut Vec<Diagnostic>, files: &Files) {
    diagnostics.sort_by(|a, b| {
        files
            .path(a.location.file)
            .cmp(files.path(b.location.file))
            .then(a.location.span.start.cmp(&b.location.span.start))
            .then(a.code.cmp(b.code))
            .then(a.location.span.end.cmp(&b.location.span.end))
            .then(a.message.cmp(&b.message))
    });
    let mut merged: Vec<Diagnostic> = Vec::with_capacity(diagnostics.len());
    for d in diagnostics.drain(..) {
        match merged.last_mut() {
            Some(last)
                if last.code == d.code
                    && last.location == d.location
                    && last.message == d.message =>
            {
                for label in d.labels {
                    if !last.labels.contains(&label) {
                        last.labels.push(label);
                    }
                }
            }
            _ => merged.push(d),
        }
    }
    *diagnostics = merged;
}

/// A span covering the first line of a text (for findings about a whole file).
pub fn first_line_span(text: &str) -> Span {
    Span::new(0, text.find('\n').unwrap_or(text.len()))
}
