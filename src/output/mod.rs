//! Emitters. Diagnostics carry byte spans; positions are computed here through a line index.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::borrow::Cow;
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
    /// Files of the window that are not valid UTF-8 (see [`crate::source::ByteMap`]).
    byte_maps: HashMap<FileId, crate::source::ByteMap>,
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
        let mut byte_maps = HashMap::new();
        for (file, mut list) in offsets {
            list.sort_unstable();
            list.dedup();
            let text = files.text(file);
            let text = &*text;
            // Only a file read with replacements can have one.
            if text.contains(char::REPLACEMENT_CHARACTER) {
                if let Some(map) = files.byte_map(file) {
                    byte_maps.insert(file, map);
                }
            }
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
        Positions {
            files,
            known,
            byte_maps,
        }
    }

    /// The offset in the file's bytes of `offset` in its text: the same but after an invalid
    /// UTF-8 sequence, which the text holds as U+FFFD.
    pub fn byte_offset(&self, file: FileId, offset: usize) -> usize {
        self.byte_maps
            .get(&file)
            .map_or(offset, |map| map.byte_offset(offset))
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

/// What the text outputs (human, GitHub) show for a control character, which a terminal or a
/// CI log would otherwise act on (move the cursor, set the title, clear the screen): C0
/// controls and DEL as their Unicode Control Pictures (`\x1b` as `␛`, NUL as `␀`, DEL as
/// `␡`), C1 controls (U+0080 to U+009F; U+009B is CSI to some terminals) as U+FFFD. `None` for
/// every other character, shown as it is. One character for one, so columns still line up.
pub fn control_picture(c: char) -> Option<char> {
    match c {
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c)),
        '\u{7f}' => Some('\u{2421}'),
        '\u{80}'..='\u{9f}' => Some(char::REPLACEMENT_CHARACTER),
        _ => None,
    }
}

/// `text` with every control character except those in `keep` (a real line break of the
/// output, a tab) replaced by its [`control_picture`]; borrowed when there is none.
pub fn visible<'a>(text: &'a str, keep: &[char]) -> Cow<'a, str> {
    let shown = |c: char| match control_picture(c) {
        Some(picture) if !keep.contains(&c) => picture,
        _ => c,
    };
    // Every control character is a byte below 0x20, DEL, or (C1) 0xC2 0x80..=0x9F.
    let plain = |b: &u8| *b >= 0x20 && *b != 0x7f && *b != 0xc2;
    if text.as_bytes().iter().all(plain) || text.chars().all(|c| shown(c) == c) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(shown).collect())
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

    #[test]
    fn control_characters_have_visible_pictures() {
        assert_eq!(control_picture('\0'), Some('␀'));
        assert_eq!(control_picture('\x07'), Some('␇'));
        assert_eq!(control_picture('\t'), Some('␉'));
        assert_eq!(control_picture('\n'), Some('␊'));
        assert_eq!(control_picture('\r'), Some('␍'));
        assert_eq!(control_picture('\x1b'), Some('␛'));
        assert_eq!(control_picture('\x1f'), Some('␟'));
        assert_eq!(control_picture('\x7f'), Some('␡'));
        assert_eq!(control_picture('\u{80}'), Some('\u{fffd}'));
        assert_eq!(control_picture('\u{9b}'), Some('\u{fffd}'));
        assert_eq!(control_picture('\u{9f}'), Some('\u{fffd}'));
        for c in [' ', 'a', '~', '\u{a0}', 'é', '␛', '\u{fffd}', '…', '😀'] {
            assert_eq!(control_picture(c), None, "{c:?}");
        }
        // Every control has a picture that is itself no control.
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let is_control = c.is_control();
            let picture = control_picture(c);
            assert_eq!(picture.is_some(), is_control, "{c:?}");
            assert!(picture.is_none_or(|p| !p.is_control()), "{c:?}");
        }
    }

    #[test]
    fn visible_replaces_controls_one_char_for_one() {
        let text = "FO\x1b]0;pwned\x07\x1b[2J\tx\r\ny\0\u{9b}1m\x7f";
        assert_eq!(visible(text, &[]), "FO␛]0;pwned␇␛[2J␉x␍␊y␀\u{fffd}1m␡");
        assert_eq!(
            visible(text, &['\n', '\t']),
            "FO␛]0;pwned␇␛[2J\tx␍\ny␀\u{fffd}1m␡"
        );
        assert_eq!(
            visible(text, &[]).chars().count(),
            text.chars().count(),
            "one char for one"
        );
        assert!(matches!(
            visible("plain, é", &[]),
            Cow::Borrowed("plain, é")
        ));
        assert!(matches!(visible("a\nb", &['\n']), Cow::Borrowed("a\nb")));
        assert_eq!(visible("", &[]), "");
    }

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
