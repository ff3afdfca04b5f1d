//! Source files and the line index that turns byte offsets into lines and columns.

use std::sync::Arc;

use crate::span::Span;

/// Index of a file in [`Files`]; stable for one run, assigned in path order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// The kinds of file shutdownlint reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    Dockerfile,
    /// A shell script reached through a Dockerfile `COPY` or a command (entrypoint scripts).
    ShellScript,
    /// A `.yaml`/`.yml` file: Kubernetes manifests when its documents have `apiVersion` and
    /// `kind` (other YAML is ignored).
    Yaml,
    /// docker compose files (`compose.yaml`, `docker-compose.*.yml`, …).
    Compose,
    /// systemd units (`*.service`) and their drop-ins (`*.service.d/*.conf`).
    Systemd,
    /// nginx configuration (`nginx.conf`, `*.conf` with nginx blocks, files under nginx folders).
    Nginx,
    /// Heroku-style `Procfile`, `Procfile.*`.
    Procfile,
    /// Fly.io `fly.toml`.
    Fly,
}

impl FileKind {
    pub fn name(self) -> &'static str {
        match self {
            FileKind::Dockerfile => "dockerfile",
            FileKind::ShellScript => "shell script",
            FileKind::Yaml => "yaml",
            FileKind::Compose => "compose",
            FileKind::Systemd => "systemd",
            FileKind::Nginx => "nginx",
            FileKind::Procfile => "procfile",
            FileKind::Fly => "fly",
        }
    }

    /// The characters that start a comment line, for suppression comments.
    pub fn comment_chars(self) -> &'static [char] {
        match self {
            FileKind::Dockerfile
            | FileKind::ShellScript
            | FileKind::Yaml
            | FileKind::Compose
            | FileKind::Nginx
            | FileKind::Procfile
            | FileKind::Fly => &['#'],
            FileKind::Systemd => &['#', ';'],
        }
    }
}

/// One file's text and where it came from.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as shown to users: the path given on the command line joined with the path found.
    pub path: String,
    pub kind: FileKind,
    pub text: Arc<str>,
}

/// All files of one run, indexed by [`FileId`].
#[derive(Debug, Default, Clone)]
pub struct Files {
    files: Vec<SourceFile>,
}

impl Files {
    pub fn push(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(file);
        id
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn path(&self, id: FileId) -> &str {
        self.get(id).map_or("", |f| f.path.as_str())
    }

    pub fn text(&self, id: FileId) -> &str {
        self.get(id).map_or("", |f| &f.text)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn find_path(&self, path: &str) -> Option<FileId> {
        self.iter().find(|(_, f)| f.path == path).map(|(id, _)| id)
    }
}

/// A 1-based line and column (columns count Unicode scalar values) plus the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// Line starts of one text, for offset → line/column conversion.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { line_starts }
    }

    /// 0-based line containing `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(0)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte span of a 0-based line without its line terminator (`\n` or `\r\n`).
    pub fn line_span(&self, text: &str, line: usize) -> Span {
        let start = self.line_start(line).min(text.len());
        let mut end = self
            .line_starts
            .get(line + 1)
            .map_or(text.len(), |next| next - 1)
            .min(text.len());
        if end > start && text.as_bytes().get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        Span::new(start, end.max(start))
    }

    /// Line and column of `offset`, columns counted in Unicode scalar values.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = clamp_to_char_boundary(text, offset);
        let line = self.line_of(offset);
        let start = self.line_start(line).min(offset);
        let column = text.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        Position {
            line: line + 1,
            column,
            offset,
        }
    }

    /// Column of `offset` in UTF-16 code units (0-based), as the LSP default wants.
    pub fn utf16_column(&self, text: &str, offset: usize) -> usize {
        let offset = clamp_to_char_boundary(text, offset);
        let start = self.line_start(self.line_of(offset)).min(offset);
        text.get(start..offset)
            .map_or(0, |s| s.chars().map(char::len_utf16).sum())
    }
}

/// The largest char boundary at or before `offset` (and within the text).
pub fn clamp_to_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_chars_and_lines() {
        let text = "a\r\nhé llo\nx";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 0).line, 1);
        let l = index.position(text, 3);
        assert_eq!((l.line, l.column), (2, 1));
        // "é" is two bytes: "l" after "hé " is column 4.
        let l = index.position(text, 3 + 4);
        assert_eq!((l.line, l.column), (2, 4));
        assert_eq!(index.line_span(text, 0), Span::new(0, 1));
        assert_eq!(index.position(text, text.len()).line, 3);
    }

    #[test]
    fn utf16_columns_count_surrogates() {
        let text = "😀x";
        let index = LineIndex::new(text);
        assert_eq!(index.utf16_column(text, 4), 2);
        assert_eq!(index.position(text, 4).column, 2);
        // offsets inside a char are clamped, never panic
        assert_eq!(index.position(text, 2).column, 1);
    }
}
