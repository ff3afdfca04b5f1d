//! Helpers shared by the fuzz targets: turning fuzz bytes into text the way the binary reads a
//! file, and the invariants every target checks besides "no panic".

use shutdownlint::config::{Config, Selection};
use shutdownlint::output::{self, Format};
use shutdownlint::source::FileKind;
use shutdownlint::span::{MappedText, Span};
use shutdownlint::{InputFile, Report, Settings};

/// The fuzz input as the binary would see it: invalid UTF-8 replaced (`read_file` does the same).
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Run rayon's pool on one thread: the machine is shared and the pipeline's parallel stages
/// only add scheduling noise to a single-file run.
pub fn single_thread() {
    std::env::set_var("RAYON_NUM_THREADS", "1");
}

/// A span the parser reports must lie inside the text and on character boundaries: it becomes
/// a diagnostic's position (SL000) and is sliced when rendered.
pub fn check_span(text: &str, span: Span, what: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: span {span:?} outside a text of {} bytes",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: span {span:?} not on character boundaries"
    );
}

/// Where derived text (continuations removed, escapes decoded) says it came from must be a
/// range of the source.
pub fn check_mapped(text: &str, mapped: &MappedText, what: &str) {
    let full = mapped.full_source_span();
    assert!(
        full.start <= full.end && full.end <= text.len(),
        "{what}: mapped text {:?} maps to {full:?}, outside a text of {} bytes",
        mapped.text,
        text.len()
    );
    // Every derived char boundary maps into the source.
    for (i, _) in mapped.text.char_indices() {
        let at = mapped.source_offset(i);
        assert!(at <= text.len(), "{what}: derived byte {i} maps to {at}");
    }
}

/// The file kinds the pipeline target picks from, with a file name of that kind.
pub const KINDS: &[(FileKind, &str)] = &[
    (FileKind::Dockerfile, "Dockerfile"),
    (FileKind::Yaml, "deploy.yaml"),
    (FileKind::Compose, "compose.yaml"),
    (FileKind::Systemd, "app.service"),
    (FileKind::Nginx, "nginx.conf"),
    (FileKind::Procfile, "Procfile"),
    (FileKind::Fly, "fly.toml"),
];

/// Lint one file in memory with every rule (no directory: nothing is read from disk), check
/// every diagnostic's position, and render every output format.
pub fn lint_one(kind: FileKind, name: &str, text: String) -> Report {
    let settings = Settings::new(Config::default(), Selection::all());
    let len = text.len();
    // The report may drop the text of a file nothing points into.
    let input = text.clone();
    let report = shutdownlint::lint_inputs(
        vec![InputFile {
            display: name.to_string(),
            kind,
            text,
            dir: None,
        }],
        &settings,
    );
    for d in &report.diagnostics {
        // A file something points into keeps its text in the report (renderers need it).
        let file_text = report.files.text(d.location.file);
        check_span(&file_text, d.location.span, d.code);
        if d.location.file == shutdownlint::source::FileId(0) {
            // The linted text is the input with YAML's lone-CR line breaks read as LF.
            assert_eq!(
                *file_text,
                shutdownlint::source::with_line_breaks(kind, input.clone()),
                "the report keeps the linted text"
            );
        }
        for label in &d.labels {
            check_span(
                &report.files.text(label.location.file),
                label.location.span,
                d.code,
            );
        }
    }
    let _ = output::render(&report, Format::Human, false);
    let _ = output::render(&report, Format::Github, false);
    let json = output::render(&report, Format::Json, false);
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON output parses");
    assert_eq!(
        value["diagnostics"].as_array().map(Vec::len),
        Some(report.diagnostics.len()),
        "JSON lists every diagnostic"
    );
    // SARIF carries every rule's full description: rendering it costs more than the whole
    // lint, the same for every input. Render it for one input in eight.
    if len.is_multiple_of(8) {
        let sarif = output::render(&report, Format::Sarif, false);
        assert!(sarif.starts_with('{') && sarif.trim_end().ends_with('}'));
    }
    // A scan beyond its kept workloads lowers pod templates later, part by part (see
    // `shutdownlint::KEPT_WORKLOADS`): the findings must be the same. One at a time, a
    // manifest of several documents is lowered again a range of its documents at a time.
    if kind == FileKind::Yaml {
        let mut bounded = Settings::new(Config::default(), Selection::all());
        bounded.kept_workloads = 0;
        bounded.relowered_at_once = 1;
        let again = shutdownlint::lint_inputs(
            vec![InputFile {
                display: name.to_string(),
                kind,
                text: input,
                dir: None,
            }],
            &bounded,
        );
        assert_eq!(
            output::render(&again, Format::Json, false),
            json,
            "findings depend on the workloads kept"
        );
    }
    report
}

/// The lowered facts of one file (the file is `FileId(0)`): every location must fit the text,
/// and running the command analysis on every process must hold up.
pub fn check_fragment(text: &str, fragment: &shutdownlint::formats::Fragment) {
    let file = shutdownlint::source::FileId(0);
    let check_location = |location: &shutdownlint::diagnostic::Location, what: &str| {
        if location.file == file {
            check_span(text, location.span, what);
        }
    };
    for workload in &fragment.workloads {
        check_location(&workload.location, "workload");
        for fact in [
            workload.kill_deadline.as_ref(),
            workload.drain_annotation.as_deref(),
        ] {
            if let Some(location) = fact.and_then(|f| f.location.as_ref()) {
                check_location(location, "workload fact");
            }
        }
        for process in &workload.processes {
            if let Some(command) = &process.command {
                for word in &command.words {
                    if word.file == file {
                        check_mapped(text, &word.text, "command word");
                    }
                    check_location(&word.full_location(), "command word");
                }
                for source in &command.sources {
                    check_location(&source.location, "command source");
                }
                let analysis = shutdownlint::analysis::analyze(command, &process.shell);
                let _ = analysis;
            }
        }
    }
}
