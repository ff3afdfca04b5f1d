//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
//!
//! Hand-rolled serde structs (DESIGN.md). Columns are Unicode code points (`columnKind:
//! unicodeCodePoints`, as in the JSON output), 1-based, `endColumn` exclusive. Regions also carry
//! `charOffset`/`charLength` (code points from the start of the file) and `byteOffset`/`byteLength`
//! (our spans): both exact. Relative paths become URIs relative to `%SRCROOT%`, the directory the
//! paths were given from (the current directory), which is named in `originalUriBaseIds` when known.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::rules::RuleMeta;
use crate::source::{FileId, Files, LineIndex, Position};
use crate::Report;

/// The official schema of SARIF 2.1.0 (errata 01), as named by its `id`.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// The base id relative artifact URIs are resolved against.
pub const SRCROOT: &str = "%SRCROOT%";
/// The `partialFingerprints` key; bump the version when the hash input changes.
pub const FINGERPRINT_KEY: &str = "shutdownlint/v1";
const INFORMATION_URI: &str = "https://github.com/shutdownlint/shutdownlint";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_uri_base_ids: Option<BTreeMap<&'static str, ArtifactLocation>>,
    column_kind: &'static str,
    results: Results<'a>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor {
    id: &'static str,
    name: &'static str,
    short_description: Message,
    full_description: MultiformatMessage,
    help: MultiformatMessage,
    help_uri: String,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
struct MultiformatMessage {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Message,
    locations: Vec<SarifLocation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
    partial_fingerprints: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Message>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
    char_offset: usize,
    char_length: usize,
    byte_offset: usize,
    byte_length: usize,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn descriptor(rule: &RuleMeta) -> ReportingDescriptor {
    let body = rule.body.trim().to_string();
    ReportingDescriptor {
        id: rule.code,
        name: rule.name,
        short_description: Message {
            text: rule.summary.to_string(),
        },
        full_description: MultiformatMessage {
            text: body.clone(),
            markdown: body.clone(),
        },
        help: MultiformatMessage {
            text: body.clone(),
            markdown: body,
        },
        help_uri: rule.url(),
        default_configuration: Configuration {
            level: level(rule.severity),
        },
    }
}

/// Code points from the start of a file to byte offsets in it, for the last few files asked
/// about (findings come sorted by file; their labels may point into others).
struct CharOffsets<'a> {
    files: &'a Files,
    recent: Vec<(FileId, CharIndex)>,
}

/// How many files [`CharOffsets`] keeps the index of.
const CHAR_INDEXES: usize = 8;

impl CharOffsets<'_> {
    fn char_offset(&mut self, file: FileId, byte_offset: usize) -> usize {
        let at = match self.recent.iter().position(|(id, _)| *id == file) {
            Some(at) => at,
            None => {
                if self.recent.len() >= CHAR_INDEXES {
                    self.recent.remove(0);
                }
                self.recent
                    .push((file, CharIndex::new(self.files.text(file))));
                self.recent.len() - 1
            }
        };
        self.recent
            .get_mut(at)
            .map_or(0, |(_, index)| index.char_offset(byte_offset))
    }
}

/// Bytes between the points where [`CharIndex`] knows how many code points come before.
const CHAR_STEP: usize = 256;

/// The code points before every [`CHAR_STEP`]th byte of a text, and the last offset asked
/// for: an offset's code points are counted from the nearer of the two, so findings in any
/// order cost at most a step each, and in order about one pass over the text.
struct CharIndex {
    text: Arc<str>,
    /// Code points in `text[..i * CHAR_STEP]` (bytes that do not continue a character).
    steps: Vec<usize>,
    /// (byte offset, code points before it) of the last offset asked for.
    last: (usize, usize),
}

/// Code points in some bytes of UTF-8 text: the bytes that begin a character.
fn starts_of_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

impl CharIndex {
    fn new(text: Arc<str>) -> Self {
        let mut steps = Vec::with_capacity(text.len() / CHAR_STEP + 1);
        let mut chars = 0;
        steps.push(chars);
        for chunk in text.as_bytes().chunks_exact(CHAR_STEP) {
            chars += starts_of_chars(chunk);
            steps.push(chars);
        }
        CharIndex {
            text,
            steps,
            last: (0, 0),
        }
    }

    /// The code points before `byte_offset` (a char boundary of the text, or clamped to one).
    fn char_offset(&mut self, byte_offset: usize) -> usize {
        let offset = crate::source::clamp_to_char_boundary(&self.text, byte_offset);
        let (last, last_chars) = self.last;
        let step = offset / CHAR_STEP;
        let (from, before) = if last <= offset && offset - last <= CHAR_STEP {
            (last, last_chars)
        } else {
            let from = step * CHAR_STEP;
            (from, self.steps.get(step).copied().unwrap_or(0))
        };
        let chars = before
            + self
                .text
                .as_bytes()
                .get(from..offset)
                .map_or(0, starts_of_chars);
        self.last = (offset, chars);
        chars
    }
}

/// [`Fnv`] of some parts at once.
#[cfg(test)]
fn fnv1a(parts: &[&[u8]]) -> u64 {
    parts
        .iter()
        .fold(Fnv::START, |hash, part| hash.part(part))
        .0
}

/// 64-bit FNV-1a: small, stable across Rust versions and platforms (unlike `DefaultHasher`),
/// as the state after some parts.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    const START: Fnv = Fnv(0xcbf2_9ce4_8422_2325);

    /// The state after one more part. A 0xff byte (never in UTF-8) follows each part, so
    /// ("ab", "c") and ("a", "bc") differ.
    fn part(self, bytes: &[u8]) -> Fnv {
        fn feed(mut hash: u64, bytes: &[u8]) -> u64 {
            for &byte in bytes {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
            hash
        }
        Fnv(feed(feed(self.0, bytes), &[0xff]))
    }
}

/// Percent-encode a path for a URI: keeps unreserved characters, `/` and sub-delimiters.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &byte in path.as_bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b'@' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A path with forward slashes (Windows separators converted).
fn slashes(path: &str) -> String {
    if std::path::MAIN_SEPARATOR == '\\' {
        path.replace('\\', "/")
    } else {
        path.to_string()
    }
}

/// `file://` URI of an absolute path (`file:///srv/app`, `file:///C:/src/app`).
fn file_uri(path: &Path) -> String {
    let path = slashes(&path.to_string_lossy());
    let (drive, rest) = match path.as_bytes() {
        [letter, b':', ..] if letter.is_ascii_alphabetic() => path.split_at(2),
        _ => ("", path.as_str()),
    };
    let rest = rest.strip_prefix("//?/").unwrap_or(rest);
    let slash = if drive.is_empty() && rest.starts_with('/') {
        ""
    } else {
        "/"
    };
    format!("file://{slash}{drive}{}", percent_encode(rest))
}

/// Lexically normalise a path: drop `.`, resolve `..` against earlier components.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Relative URI under `%SRCROOT%` for a relative path without `..`.
fn relative_location(path: &Path) -> ArtifactLocation {
    let parts: Vec<_> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    ArtifactLocation {
        uri: percent_encode(&parts.join("/")),
        uri_base_id: Some(SRCROOT),
    }
}

/// Where a displayed path points: relative to `%SRCROOT%` (the current directory) when it is
/// inside it, else an absolute `file://` URI.
fn artifact_location(path: &str, root: Option<&Path>) -> ArtifactLocation {
    let path = PathBuf::from(slashes(path));
    let absolute = if path.is_absolute() {
        normalize(&path)
    } else {
        let normalized = normalize(&path);
        let escapes = matches!(normalized.components().next(), Some(Component::ParentDir));
        match root {
            Some(root) if escapes => normalize(&root.join(&normalized)),
            // Unknown root: leave `..` in the relative URI rather than guess.
            _ => return relative_location(&normalized),
        }
    };
    match root.and_then(|root| absolute.strip_prefix(normalize(root)).ok()) {
        Some(relative) if !relative.as_os_str().is_empty() => relative_location(relative),
        _ => ArtifactLocation {
            uri: file_uri(&absolute),
            uri_base_id: None,
        },
    }
}

/// Renders SARIF; `root` is the directory relative paths are relative to (the current directory
/// of the run). Without it, relative URIs still name `%SRCROOT%` but `originalUriBaseIds` is left
/// out (GitHub code scanning resolves them against the repository root).
pub fn render(report: &Report, root: Option<&Path>) -> String {
    let mut out = Vec::new();
    if let Err(e) = write(report, root, super::WINDOW, &mut out) {
        return format!("{{\"error\": \"{e}\"}}\n");
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes SARIF to `out` (see [`render`]) as the results are made, `window` findings at a
/// time.
pub(super) fn write(
    report: &Report,
    root: Option<&Path>,
    window: usize,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let root = root.filter(|r| r.is_absolute());
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "shutdownlint",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: crate::rules::all().iter().map(descriptor).collect(),
                },
            },
            original_uri_base_ids: root.map(|root| {
                let mut uri = file_uri(&normalize(root));
                if !uri.ends_with('/') {
                    uri.push('/');
                }
                BTreeMap::from([(
                    SRCROOT,
                    ArtifactLocation {
                        uri,
                        uri_base_id: None,
                    },
                )])
            }),
            column_kind: "unicodeCodePoints",
            results: Results {
                report,
                root,
                window,
            },
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    out.write_all(b"\n")
}

/// The results, made one window of findings at a time as they are written.
struct Results<'a> {
    report: &'a Report,
    root: Option<&'a Path>,
    window: usize,
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let report = self.report;
        let mut seq = serializer.serialize_seq(Some(report.diagnostics.len()))?;
        let mut fingerprints = Fingerprints::default();
        let mut chars = CharOffsets {
            files: &report.files,
            recent: Vec::new(),
        };
        for (window, positions) in super::windows(report, self.window) {
            let mut uris: HashMap<FileId, ArtifactLocation> = HashMap::new();
            let mut location = |location: &Location, message: Option<&str>, id: Option<usize>| {
                let (start, end) = positions.range(location);
                let artifact = uris.entry(location.file).or_insert_with(|| {
                    artifact_location(report.files.path(location.file), self.root)
                });
                SarifLocation {
                    id,
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation {
                            uri: artifact.uri.clone(),
                            uri_base_id: artifact.uri_base_id,
                        },
                        region: region(
                            &mut chars,
                            location,
                            (start, end),
                            (
                                positions.byte_offset(location.file, start.offset),
                                positions.byte_offset(location.file, end.offset),
                            ),
                        ),
                    },
                    message: message.map(|text| Message {
                        text: text.to_string(),
                    }),
                }
            };
            for d in window {
                let primary = location(&d.location, d.primary_label.as_deref(), None);
                let related = d
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| location(&l.location, Some(&l.message), Some(i + 1)))
                    .collect();
                let fingerprint = fingerprints.next(report, d);
                let mut text = d.display_message();
                if let Some(help) = &d.help {
                    text.push_str("\nhelp: ");
                    text.push_str(help);
                }
                seq.serialize_element(&SarifResult {
                    rule_id: d.code,
                    rule_index: crate::rules::all().iter().position(|r| r.code == d.code),
                    level: level(d.severity),
                    message: Message { text },
                    locations: vec![primary],
                    related_locations: related,
                    partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, fingerprint)]),
                })?;
            }
        }
        seq.end()
    }
}

/// A finding's region: lines and columns, code points in the text, `bytes` in the file.
fn region(
    chars: &mut CharOffsets<'_>,
    location: &Location,
    (start, end): (Position, Position),
    bytes: (usize, usize),
) -> Region {
    let char_offset = chars.char_offset(location.file, start.offset);
    let char_end = chars.char_offset(location.file, end.offset.max(start.offset));
    Region {
        start_line: start.line,
        start_column: start.column,
        end_line: end.line,
        end_column: end.column,
        char_offset,
        char_length: char_end - char_offset,
        byte_offset: bytes.0,
        byte_length: bytes.1.saturating_sub(bytes.0),
    }
}

/// The fingerprints of findings taken in order (sorted by path): a hash of the rule, the path,
/// the trimmed text of the finding's first line and how many earlier findings share all three,
/// so unrelated edits above a finding do not change it.
#[derive(Default)]
struct Fingerprints<'r> {
    /// The path counted so far, the trimmed texts of its lines with findings (as ids), and its
    /// findings by rule and line.
    path: Option<&'r str>,
    lines: HashMap<Box<str>, u32>,
    occurrences: HashMap<(&'r str, u32), usize>,
    /// The line index of the last file (findings come sorted by file).
    indexed: Option<(FileId, Arc<str>, LineIndex)>,
    /// The line of the last finding (findings on one line come one after another): a long
    /// line with many findings is read once, not once per finding.
    line: Option<FingerprintLine<'r>>,
}

/// A line [`Fingerprints`] met: where it is, its id, and the hash of the rule, the path and
/// the line for each rule with a finding on it.
struct FingerprintLine<'r> {
    file: FileId,
    index: usize,
    text: crate::span::Span,
    id: u32,
    hashes: Vec<(&'r str, Fnv)>,
}

impl<'r> Fingerprints<'r> {
    fn next(&mut self, report: &'r Report, d: &'r Diagnostic) -> String {
        let file = d.location.file;
        let path = report.files.path(file);
        if self.path != Some(path) {
            // No later finding has an earlier path.
            self.occurrences.clear();
            self.lines.clear();
            self.line = None;
            self.path = Some(path);
        }
        if self
            .indexed
            .as_ref()
            .is_none_or(|(last, _, _)| *last != file)
        {
            let text = report.files.text(file);
            let index = LineIndex::new(&text);
            self.indexed = Some((file, text, index));
        }
        let Some((_, text, index)) = self.indexed.as_ref() else {
            return String::new();
        };
        let text = &**text;
        let offset = crate::source::clamp_to_char_boundary(text, d.location.span.start);
        let line_index = index.line_of(offset);
        let mut line = match self.line.take() {
            Some(line) if line.file == file && line.index == line_index => line,
            _ => {
                let span = index.line_span(text, line_index);
                let whole = text.get(span.start..span.end).unwrap_or("");
                let trimmed = whole.trim();
                let start = span.start + (whole.len() - whole.trim_start().len());
                let next = u32::try_from(self.lines.len()).unwrap_or(u32::MAX);
                let id = *self.lines.entry(trimmed.into()).or_insert(next);
                FingerprintLine {
                    file,
                    index: line_index,
                    text: crate::span::Span::new(start, start + trimmed.len()),
                    id,
                    hashes: Vec::new(),
                }
            }
        };
        let hash = match line.hashes.iter().find(|(code, _)| *code == d.code) {
            Some(&(_, hash)) => hash,
            None => {
                let trimmed = text.get(line.text.start..line.text.end).unwrap_or("");
                let hash = Fnv::START
                    .part(d.code.as_bytes())
                    .part(path.as_bytes())
                    .part(trimmed.as_bytes());
                line.hashes.push((d.code, hash));
                hash
            }
        };
        let occurrence = self.occurrences.entry((d.code, line.id)).or_insert(0);
        *occurrence += 1;
        let count = occurrence.to_string();
        self.line = Some(line);
        format!("{:016x}", hash.part(count.as_bytes()).0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_stay_relative_to_srcroot() {
        let root = Path::new("/work/repo");
        assert_eq!(
            artifact_location("./deploy/web app.yaml", Some(root)),
            ArtifactLocation {
                uri: "deploy/web%20app.yaml".into(),
                uri_base_id: Some(SRCROOT)
            }
        );
        assert_eq!(
            artifact_location("Dockerfile", None).uri_base_id,
            Some(SRCROOT)
        );
        assert_eq!(
            artifact_location("/work/repo/a/Dockerfile", Some(root)).uri,
            "a/Dockerfile"
        );
    }

    #[test]
    fn paths_outside_the_root_become_file_uris() {
        let root = Path::new("/work/repo");
        assert_eq!(
            artifact_location("/etc/nginx/nginx.conf", Some(root)),
            ArtifactLocation {
                uri: "file:///etc/nginx/nginx.conf".into(),
                uri_base_id: None
            }
        );
        assert_eq!(
            artifact_location("../other/Dockerfile", Some(root)).uri,
            "file:///work/other/Dockerfile"
        );
        assert_eq!(
            artifact_location("/etc/nginx/nginx.conf", None).uri,
            "file:///etc/nginx/nginx.conf"
        );
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(
            percent_encode("a b/ü#?%.yaml"),
            "a%20b/%C3%BC%23%3F%25.yaml"
        );
        assert_eq!(file_uri(Path::new("/tmp/x y")), "file:///tmp/x%20y");
    }

    /// Code points before any offset, asked for in order or not, in texts with multi-byte
    /// characters, shorter and longer than a step.
    #[test]
    fn char_offsets_count_code_points_in_any_order() {
        let pieces = ["a", "é", "😀", "\n", "ab c", "\u{800}"];
        let mut rng = crate::test_rng::Rng(0xc4a2_0ff5_0000_0001);
        for round in 0..200 {
            let text: String = (0..rng.below(if round % 2 == 0 { 40 } else { 400 }))
                .map(|_| pieces[rng.below(pieces.len())])
                .collect();
            let boundaries: Vec<usize> = (0..=text.len())
                .filter(|&i| text.is_char_boundary(i))
                .collect();
            let mut offsets: Vec<usize> = (0..rng.below(60))
                .map(|_| boundaries[rng.below(boundaries.len())])
                .collect();
            if round % 3 == 0 {
                offsets.sort_unstable();
            }
            let mut index = CharIndex::new(Arc::from(text.as_str()));
            for offset in offsets {
                assert_eq!(
                    index.char_offset(offset),
                    text[..offset].chars().count(),
                    "{text:?} at {offset}"
                );
            }
        }
    }

    /// The fingerprints as first written: the trimmed line of every finding read again, its
    /// occurrences counted by rule and line text until the path changes.
    fn reference_fingerprints(report: &Report) -> Vec<String> {
        let mut path = None;
        let mut occurrences: HashMap<(&str, String), usize> = HashMap::new();
        report
            .diagnostics
            .iter()
            .map(|d| {
                let file = d.location.file;
                let this = report.files.path(file);
                if path != Some(this) {
                    occurrences.clear();
                    path = Some(this);
                }
                let text = report.files.text(file);
                let index = LineIndex::new(&text);
                let offset = crate::source::clamp_to_char_boundary(&text, d.location.span.start);
                let span = index.line_span(&text, index.line_of(offset));
                let line = text.get(span.start..span.end).unwrap_or("").trim();
                let count = occurrences.entry((d.code, line.to_string())).or_insert(0);
                *count += 1;
                let hash = fnv1a(&[
                    d.code.as_bytes(),
                    this.as_bytes(),
                    line.as_bytes(),
                    count.to_string().as_bytes(),
                ]);
                format!("{hash:016x}")
            })
            .collect()
    }

    /// Many findings on one line after multi-byte text, each with a label pointing back to the
    /// start of the file, repeated lines, two files: every region's code points are those before
    /// its bytes, and the fingerprints are those of reading each finding's line again.
    #[test]
    fn regions_and_fingerprints_of_many_findings_per_line() {
        let servers = |prefix: &str| -> String {
            (0..300)
                .map(|i| format!("server {prefix}{i}:80 max_fails=0; "))
                .collect()
        };
        let conf = |name: &str| {
            format!(
                "# ünïcödé 😀 {name}\nhttp {{\nupstream u {{\n  {}\n  server b:80 max_fails=0;\n                   # é\n  server b:80 max_fails=0;\n{}\n}}\nserver {{ listen 80; location / {{ \
                 proxy_pass http://u; }} }}\n}}\n",
                servers("a"),
                servers("c")
            )
        };
        let inputs = ["one/nginx.conf", "two/nginx.conf"]
            .into_iter()
            .map(|path| crate::InputFile {
                display: path.to_string(),
                kind: crate::source::FileKind::Nginx,
                text: conf(path),
                dir: None,
            })
            .collect();
        let settings = crate::Settings::new(
            crate::config::Config::default(),
            crate::config::Selection::all(),
        );
        let report = crate::lint_inputs(inputs, &settings);
        assert!(
            report.diagnostics.len() > 1200,
            "{}",
            report.diagnostics.len()
        );
        let mut out = Vec::new();
        write(&report, None, 100, &mut out).expect("writing to memory");
        let sarif: serde_json::Value = serde_json::from_slice(&out).expect("SARIF is JSON");
        let results = sarif["runs"][0]["results"].as_array().expect("results");
        assert_eq!(results.len(), report.diagnostics.len());
        let fingerprints = reference_fingerprints(&report);
        let mut regions = 0;
        for ((result, d), fingerprint) in results.iter().zip(&report.diagnostics).zip(&fingerprints)
        {
            assert_eq!(
                result["partialFingerprints"][FINGERPRINT_KEY],
                **fingerprint
            );
            let text = report.files.text(d.location.file);
            let locations = result["locations"]
                .as_array()
                .into_iter()
                .chain(result["relatedLocations"].as_array())
                .flatten();
            for location in locations {
                let region = &location["physicalLocation"]["region"];
                let number = |key: &str| region[key].as_u64().expect("a number") as usize;
                let (start, end) = (
                    number("byteOffset"),
                    number("byteOffset") + number("byteLength"),
                );
                assert_eq!(number("charOffset"), text[..start].chars().count());
                assert_eq!(number("charLength"), text[start..end].chars().count());
                regions += 1;
            }
        }
        assert!(regions > 2 * results.len() - 10, "labels too: {regions}");
    }

    #[test]
    fn fnv1a_matches_the_reference_and_separates_parts() {
        // FNV-1a 64 of "a" then the separator byte: the published test vector for "a" is
        // 0xaf63dc4c8601ec8c, one more round with 0xff on top.
        let a = 0xaf63_dc4c_8601_ec8c_u64;
        assert_eq!(
            fnv1a(&[b"a"]),
            (a ^ 0xff).wrapping_mul(0x0000_0100_0000_01b3)
        );
        assert_ne!(fnv1a(&[b"ab", b"c"]), fnv1a(&[b"a", b"bc"]));
        assert_eq!(fnv1a(&[b"x"]), fnv1a(&[b"x"]));
    }
}
