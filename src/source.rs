//! Source files and the line index that turns byte offsets into lines and columns.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

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
    /// A database migration changed by the change under review (change mode only; never
    /// discovered by the walk).
    Migration,
}

/// A file's text as shutdownlint reads it. YAML's line breaks are LF, CRLF and a lone CR
/// (classic Mac OS files), and editors break lines at a lone CR too, while the line index and
/// the scans of the YAML layer count LF: in a YAML file a lone CR is read as LF, one byte for
/// one, so offsets are the file's. Other formats keep it (Docker, nginx and systemd read a
/// lone CR as part of the line).
pub fn with_line_breaks(kind: FileKind, text: String) -> String {
    if !matches!(kind, FileKind::Yaml | FileKind::Compose) || !text.contains('\r') {
        return text;
    }
    let mut bytes = text.into_bytes();
    // Each byte is replaced only after the look at the one after it.
    for i in 0..bytes.len() {
        if bytes.get(i) == Some(&b'\r') && bytes.get(i + 1) != Some(&b'\n') {
            if let Some(b) = bytes.get_mut(i) {
                *b = b'\n';
            }
        }
    }
    // One ASCII byte replaced by another: still UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
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
            FileKind::Migration => "migration",
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
            | FileKind::Fly
            | FileKind::Migration => &['#'],
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

/// Where [`Files`] keeps a file's text.
#[derive(Debug, Clone)]
enum Stored {
    /// In memory: text handed in (stdin, editor buffers, tests), entrypoint scripts, change-mode
    /// content from git.
    Memory(Arc<str>),
    /// Read again when asked for (boxed: each entry is as large as its largest kind, and a
    /// large tree has tens of thousands of entries).
    Disk(Box<OnDisk>),
}

/// A text that was read from disk, kept as where to read it again and what to expect there.
#[derive(Debug, Clone)]
pub struct OnDisk {
    /// Where to read it, when that is not the shown path (see [`crate::discover::Found::path`]).
    path: Option<PathBuf>,
    len: usize,
    hash: u64,
    /// How the file read was found: it is read again as found files are
    /// ([`crate::read_bytes_found`]), never through a link swapped in since.
    found: Option<crate::discover::Origin>,
}

impl OnDisk {
    pub fn new(path: Option<PathBuf>, text: &str) -> Self {
        OnDisk {
            path,
            len: text.len(),
            hash: text_hash(text),
            found: None,
        }
    }

    /// The text, read from a file found as `origin` says.
    pub fn found_as(self, origin: Option<crate::discover::Origin>) -> Self {
        OnDisk {
            found: origin,
            ..self
        }
    }

    /// The bytes of the file again, at most as many as were linted.
    fn read(&self, shown: &str) -> Result<Vec<u8>, String> {
        crate::read_bytes_found(self.path(shown), self.len as u64, self.found)
            .map(|(bytes, _)| bytes)
    }

    /// Where the file is read again: its own path, else the path it is shown by.
    fn path<'a>(&'a self, shown: &'a str) -> &'a std::path::Path {
        self.path
            .as_deref()
            .unwrap_or_else(|| std::path::Path::new(shown))
    }

    /// Whether `text`, read again, is the text linted.
    fn is(&self, text: &str) -> bool {
        text.len() == self.len && text_hash(text) == self.hash
    }
}

/// Byte offsets in a file that is not valid UTF-8, from offsets in its text: reading it made
/// each invalid sequence (1 to 3 bytes) one U+FFFD (3 bytes), so every offset after one is
/// further into the text than into the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ByteMap {
    /// (offset in the text just after a replacement, how many bytes longer the text is than
    /// the file up to there), ascending.
    steps: Vec<(usize, usize)>,
}

impl ByteMap {
    /// The map of a file's bytes; `None` when they are valid UTF-8 (the text is the file).
    pub fn of(bytes: &[u8]) -> Option<ByteMap> {
        let mut steps = Vec::new();
        let (mut at, mut longer) = (0usize, 0usize);
        for chunk in bytes.utf8_chunks() {
            at += chunk.valid().len();
            let invalid = chunk.invalid().len();
            if invalid > 0 {
                at += char::REPLACEMENT_CHARACTER.len_utf8();
                longer += char::REPLACEMENT_CHARACTER
                    .len_utf8()
                    .saturating_sub(invalid);
                steps.push((at, longer));
            }
        }
        (!steps.is_empty()).then_some(ByteMap { steps })
    }

    /// The offset in the file of `offset` in the text (a character boundary).
    pub fn byte_offset(&self, offset: usize) -> usize {
        let after = self.steps.partition_point(|&(at, _)| at <= offset);
        let longer = after
            .checked_sub(1)
            .and_then(|i| self.steps.get(i))
            .map_or(0, |&(_, longer)| longer);
        offset.saturating_sub(longer)
    }
}

/// A file's path and kind (see [`Files::iter`]).
#[derive(Debug, Clone, Copy)]
pub struct FileRef<'a> {
    pub path: &'a str,
    pub kind: FileKind,
}

#[derive(Debug, Clone)]
struct Entry {
    /// Without spare capacity: a large tree has a hundred thousand entries.
    path: Box<str>,
    kind: FileKind,
    stored: Stored,
}

/// How many texts read again from disk are kept at once: output and rules go file by file, so
/// a few suffice.
const CACHED_TEXTS: usize = 8;

/// All files of one run, indexed by [`FileId`].
///
/// A run keeps the texts of the files that matter, not of the whole tree:
/// - a file nothing can point into (no model facts, findings or suppressions: a manifest of
///   only CustomResourceDefinitions, YAML that is not Kubernetes) keeps only its id: its text
///   is released after parsing, and it has no entry, since nothing is shown from it (see
///   [`Files::push_released`]);
/// - a file read from disk is kept by its path, length and hash, and read again when its text
///   is asked for ([`Files::push_on_disk`], [`Files::text`]): output and rules ask for the
///   texts of the files with findings, one file after another, so only a few texts are in
///   memory at once however big the tree.
#[derive(Debug, Default)]
pub struct Files {
    /// The files that are not released, in id order.
    entries: Vec<Entry>,
    /// Their ids, ascending (a released file has an id and no entry).
    ids: Vec<FileId>,
    /// How many files were added, released ones included: the next id.
    len: u32,
    /// Texts read again from disk, most recent last.
    cache: Mutex<Vec<(FileId, Arc<str>)>>,
    /// Files whose text on disk was no longer the one linted (they read as `""`).
    changed: Mutex<Vec<FileId>>,
    /// The entries by path, for [`Files::find_path`]: built on its first call.
    by_path: Mutex<PathIndex>,
}

/// Which entry is the first shown by a path, by the path's hash: a look-up costs one hash, not
/// a scan of every file (a script is looked up per folder of a tree of thousands). Built when
/// first asked and extended with the entries added since, so it holds 16 bytes per entry and no
/// paths.
#[derive(Debug, Default)]
struct PathIndex {
    hasher: std::hash::RandomState,
    /// A path's hash → the index into [`Files::entries`] of the first entry of that hash.
    first: std::collections::HashMap<u64, u32>,
    /// How many entries (a prefix: entries are only added) are indexed.
    indexed: usize,
}

impl Clone for Files {
    fn clone(&self) -> Self {
        Files {
            entries: self.entries.clone(),
            ids: self.ids.clone(),
            len: self.len,
            cache: Mutex::default(),
            changed: Mutex::new(lock(&self.changed).clone()),
            by_path: Mutex::default(),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The hash [`Files`] checks a text read again against (in-process only, never persisted).
fn text_hash(text: &str) -> u64 {
    use std::hash::Hasher;
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(text.as_bytes());
    hasher.finish()
}

impl Files {
    /// The id the next file gets.
    fn next_id(&mut self) -> FileId {
        let id = FileId(self.len);
        self.len = self.len.saturating_add(1);
        id
    }

    fn push_entry(&mut self, path: String, kind: FileKind, stored: Stored) -> FileId {
        let id = self.next_id();
        self.entries.push(Entry {
            path: path.into_boxed_str(),
            kind,
            stored,
        });
        self.ids.push(id);
        id
    }

    /// Give back the spare capacity of the entries (once every file is in).
    pub fn shrink_to_fit(&mut self) {
        self.entries.shrink_to_fit();
        self.ids.shrink_to_fit();
    }

    /// Add a file whose text stays in memory.
    pub fn push(&mut self, file: SourceFile) -> FileId {
        self.push_entry(file.path, file.kind, Stored::Memory(file.text))
    }

    /// Add a file read from disk: [`Files::text`] reads it again.
    pub fn push_on_disk(&mut self, path: String, kind: FileKind, on_disk: OnDisk) -> FileId {
        self.push_entry(path, kind, Stored::Disk(Box::new(on_disk)))
    }

    /// Add a file nothing points into: it takes an id (so the files after it keep theirs) and
    /// nothing else. Its text reads as `""`, its path as `""`, and [`Files::find_path`] does
    /// not find it. In a large tree most files are such (CustomResourceDefinitions, YAML that
    /// is not Kubernetes): their paths were a tenth of a run's memory, and then their entries
    /// (40 bytes each) the largest part of the file list.
    pub fn push_released(&mut self) -> FileId {
        self.next_id()
    }

    /// Whether the file's text was released (see [`Files::push_released`]).
    pub fn is_released(&self, id: FileId) -> bool {
        id.0 < self.len && self.entry(id).is_none()
    }

    fn entry(&self, id: FileId) -> Option<&Entry> {
        let index = self.ids.binary_search(&id).ok()?;
        self.entries.get(index)
    }

    pub fn path(&self, id: FileId) -> &str {
        self.entry(id).map_or("", |e| &e.path)
    }

    /// Where the file is on disk: where it is read again, else the path it is shown by (a text
    /// handed in is taken to be at its shown path).
    pub fn disk_path(&self, id: FileId) -> &std::path::Path {
        match self.entry(id) {
            Some(Entry {
                path,
                stored: Stored::Disk(on_disk),
                ..
            }) => on_disk.path(path),
            Some(entry) => std::path::Path::new(&*entry.path),
            None => std::path::Path::new(""),
        }
    }

    /// The file's kind (a released or unknown file says YAML: nothing asks for theirs).
    pub fn kind(&self, id: FileId) -> FileKind {
        self.entry(id).map_or(FileKind::Yaml, |e| e.kind)
    }

    /// The file's text: `""` when released or unknown, or when a file kept on disk changed
    /// since it was linted (see [`Files::changed`]). A text read again is kept in a small
    /// cache, for the next look-up of the same file.
    pub fn text(&self, id: FileId) -> Arc<str> {
        self.text_with(id, true)
    }

    /// [`Files::text`] without keeping a text read again: for reading many files once each.
    pub fn text_uncached(&self, id: FileId) -> Arc<str> {
        self.text_with(id, false)
    }

    fn text_with(&self, id: FileId, cache_it: bool) -> Arc<str> {
        let Some(entry) = self.entry(id) else {
            return Arc::from("");
        };
        let on_disk = match &entry.stored {
            Stored::Memory(text) => return text.clone(),
            Stored::Disk(on_disk) => &**on_disk,
        };
        if let Some(text) = lock(&self.cache)
            .iter()
            .find(|(cached, _)| *cached == id)
            .map(|(_, text)| text.clone())
        {
            return text;
        }
        // The cap is the length linted: a file that grew has changed.
        let text = on_disk
            .read(&entry.path)
            .map(crate::decode)
            .map(|t| with_line_breaks(entry.kind, t));
        let text: Arc<str> = match text {
            Ok(text) if on_disk.is(&text) => Arc::from(text),
            _ => {
                let mut changed = lock(&self.changed);
                if !changed.contains(&id) {
                    changed.push(id);
                }
                Arc::from("")
            }
        };
        if cache_it {
            let mut cache = lock(&self.cache);
            if cache.len() >= CACHED_TEXTS {
                cache.remove(0);
            }
            cache.push((id, text.clone()));
        }
        text
    }

    /// The [`ByteMap`] of a file kept on disk that is not valid UTF-8, read again (`None` for
    /// valid UTF-8, a text held in memory, or a file that changed since it was linted).
    pub fn byte_map(&self, id: FileId) -> Option<ByteMap> {
        let entry = self.entry(id)?;
        let Stored::Disk(on_disk) = &entry.stored else {
            return None;
        };
        // The text is at least as long as the bytes: the cap is the length linted.
        let bytes = on_disk.read(&entry.path).ok()?;
        let map = ByteMap::of(&bytes)?;
        let text = with_line_breaks(entry.kind, String::from_utf8_lossy(&bytes).into_owned());
        on_disk.is(&text).then_some(map)
    }

    /// The files kept on disk whose text was asked for and was no longer the one linted, in
    /// id order.
    pub fn changed(&self) -> Vec<FileId> {
        let mut changed = lock(&self.changed).clone();
        changed.sort();
        changed
    }

    /// How many files, released ones included.
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The files that are not released, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, FileRef<'_>)> {
        self.ids.iter().zip(&self.entries).map(|(&id, e)| {
            (
                id,
                FileRef {
                    path: &e.path,
                    kind: e.kind,
                },
            )
        })
    }

    /// The file shown as `path` (the first one, by id), among the files that are not released.
    pub fn find_path(&self, path: &str) -> Option<FileId> {
        use std::hash::BuildHasher;
        let mut index = lock(&self.by_path);
        let index = &mut *index;
        for (i, entry) in self.entries.iter().enumerate().skip(index.indexed) {
            let Ok(i) = u32::try_from(i) else {
                break;
            };
            let hash = index.hasher.hash_one(&*entry.path);
            index.first.entry(hash).or_insert(i);
        }
        index.indexed = self.entries.len();
        let hash = index.hasher.hash_one(path);
        let found = usize::try_from(*index.first.get(&hash)?).ok()?;
        if self.entries.get(found).is_some_and(|e| &*e.path == path) {
            return self.ids.get(found).copied();
        }
        // Another path of the same hash came first: the entries after it are searched.
        self.iter()
            .skip(found)
            .find(|(_, f)| f.path == path)
            .map(|(id, _)| id)
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
        line_starts.extend(newlines(text).map(|i| i + 1));
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

    /// [`LineIndex::position`] of `offset`, its column counted on from `cursor` (the position
    /// last asked for) when that is on the same line and not after it, from the line's start
    /// otherwise; `cursor` moves to `offset`. Ascending offsets on one long line scan it once,
    /// not once each.
    pub fn position_after(
        &self,
        text: &str,
        offset: usize,
        cursor: &mut Option<Position>,
    ) -> Position {
        let offset = clamp_to_char_boundary(text, offset);
        let line = self.line_of(offset);
        let start = self.line_start(line).min(offset);
        let (from, before) = match *cursor {
            Some(last) if last.line == line + 1 && (start..=offset).contains(&last.offset) => {
                (last.offset, last.column - 1)
            }
            _ => (start, 0),
        };
        let column = before + text.get(from..offset).map_or(0, |s| s.chars().count()) + 1;
        let position = Position {
            line: line + 1,
            column,
            offset,
        };
        *cursor = Some(position);
        position
    }
}

/// Columns in UTF-16 code units and in characters (Unicode scalar values), for many offsets of
/// one text, each in constant time whatever the length of its line: counting from the line's
/// start for each offset made 18,000 findings on one 1.16 MB line take 44 seconds in the
/// language server.
///
/// A column is the count before the offset minus the count before its line's start. Counts are
/// kept at every [`COLUMN_STEP`]-th byte and finished by counting at most that many bytes, one
/// at a time: a character is a byte that does not continue one (not `0b10xx_xxxx`), and one
/// of four bytes (its first byte `0b1111_0xxx`) is two UTF-16 code units. An ASCII text needs
/// no counts: every column is its byte count.
#[derive(Debug, Clone)]
pub struct Columns {
    /// `(characters, UTF-16 code units)` before byte `k * COLUMN_STEP`; `None` for ASCII text.
    checkpoints: Option<Vec<(usize, usize)>>,
}

/// Bytes between two [`Columns`] checkpoints.
const COLUMN_STEP: usize = 128;

impl Columns {
    pub fn new(text: &str) -> Self {
        if text.is_ascii() {
            return Columns { checkpoints: None };
        }
        let mut checkpoints = Vec::with_capacity(text.len() / COLUMN_STEP + 1);
        let mut counts = (0, 0);
        checkpoints.push(counts);
        for chunk in text.as_bytes().chunks(COLUMN_STEP) {
            let (chars, units) = Self::count(chunk);
            counts = (counts.0 + chars, counts.1 + units);
            checkpoints.push(counts);
        }
        Columns {
            checkpoints: Some(checkpoints),
        }
    }

    /// Characters and UTF-16 code units that start in `bytes` (valid UTF-8 cut anywhere).
    fn count(bytes: &[u8]) -> (usize, usize) {
        let chars = bytes.iter().filter(|&&b| (b as i8) >= -0x40).count();
        let four_byte = bytes.iter().filter(|&&b| b >= 0xF0).count();
        (chars, chars + four_byte)
    }

    /// Characters and UTF-16 code units before byte `offset`, a character boundary.
    fn before(&self, text: &str, offset: usize) -> (usize, usize) {
        let Some(checkpoints) = &self.checkpoints else {
            return (offset, offset);
        };
        let k = (offset / COLUMN_STEP).min(checkpoints.len() - 1);
        let (chars, units) = checkpoints[k];
        let rest = text
            .as_bytes()
            .get(k * COLUMN_STEP..offset)
            .map_or((0, 0), Self::count);
        (chars + rest.0, units + rest.1)
    }

    /// 0-based columns of `offset` (clamped to a character boundary of `text`, the text this
    /// was made from) on its line of `index`: `(characters, UTF-16 code units)`.
    pub fn columns(&self, text: &str, index: &LineIndex, offset: usize) -> (usize, usize) {
        let offset = clamp_to_char_boundary(text, offset);
        let start = index.line_start(index.line_of(offset)).min(offset);
        let (line_chars, line_units) = self.before(text, start);
        let (chars, units) = self.before(text, offset);
        (chars - line_chars, units - line_units)
    }
}

/// The byte offsets of every `\n` in `text`, in order.
///
/// Eight bytes are tested at a time with plain integer arithmetic, with no call per line:
/// splitting a megabyte-sized manifest into lines with `str::find` per line cost more than
/// everything else done to it.
pub fn newlines(text: &str) -> Newlines<'_> {
    newlines_from(text, 0)
}

/// [`newlines`] at or after byte `start`.
pub fn newlines_from(text: &str, start: usize) -> Newlines<'_> {
    Newlines {
        bytes: text.as_bytes(),
        base: 0,
        mask: 0,
        next: start.min(text.len()),
    }
}

/// Iterator of [`newlines`].
#[derive(Clone, Debug)]
pub struct Newlines<'a> {
    bytes: &'a [u8],
    /// Offset of the word `mask` was computed from.
    base: usize,
    /// The high bit of each byte of that word that is a `\n` not yet returned.
    mask: u64,
    /// Offset of the next word to test.
    next: usize,
}

impl Newlines<'_> {
    /// High bit set in exactly the bytes of `word` that are `\n` (no carry crosses a byte:
    /// `(x & 0x7f) + 0x7f` is at most `0xfe`).
    fn newline_bytes(word: u64) -> u64 {
        const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
        let x = word ^ 0x0a0a_0a0a_0a0a_0a0a;
        !((x & LOW7).wrapping_add(LOW7) | x | LOW7)
    }
}

impl Iterator for Newlines<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        loop {
            if self.mask != 0 {
                let byte = self.mask.trailing_zeros() as usize / 8;
                self.mask &= self.mask - 1;
                return Some(self.base + byte);
            }
            self.base = self.next;
            let word = match self.bytes.get(self.next..self.next + 8) {
                Some(&[a, b, c, d, e, f, g, h]) => {
                    self.next += 8;
                    u64::from_le_bytes([a, b, c, d, e, f, g, h])
                }
                _ => {
                    // The last 1 to 7 bytes, padded with zeros (never a `\n`).
                    let rest = self.bytes.get(self.next..).filter(|r| !r.is_empty())?;
                    let mut word = [0u8; 8];
                    for (slot, &byte) in word.iter_mut().zip(rest) {
                        *slot = byte;
                    }
                    self.next = self.bytes.len();
                    u64::from_le_bytes(word)
                }
            };
            self.mask = Self::newline_bytes(word);
        }
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
pub(crate) mod tests {
    use super::*;

    #[test]
    fn a_lone_cr_is_a_line_break_in_yaml_only() {
        let text = "a: 1\rb: 2\r\nc: 3\r\rd\r".to_string();
        assert_eq!(
            with_line_breaks(FileKind::Yaml, text.clone()),
            "a: 1\nb: 2\r\nc: 3\n\nd\n"
        );
        assert_eq!(with_line_breaks(FileKind::Dockerfile, text.clone()), text);
        assert_eq!(with_line_breaks(FileKind::Compose, "x\r\n".into()), "x\r\n");
    }

    #[test]
    fn byte_map_gives_file_offsets_for_text_offsets() {
        assert_eq!(ByteMap::of(b"valid \xc3\xa9"), None);
        // 0xff (1 byte), a truncated 3-byte sequence (2 bytes), 0xed 0xa0 0x80 (a surrogate:
        // three sequences of one byte each).
        let bytes = b"a\xffb\xe2\x82c\xed\xa0\x80d";
        let text = String::from_utf8_lossy(bytes);
        let map = ByteMap::of(bytes).expect("not UTF-8");
        for (c, byte) in ['a', 'b', 'c', 'd'].iter().zip([0, 2, 5, 9]) {
            let offset = text.find(*c).expect("in the text");
            assert_eq!(map.byte_offset(offset), byte, "{c}");
        }
        assert_eq!(map.byte_offset(text.len()), bytes.len());
    }

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
    fn newlines_are_found_at_every_position() {
        // Every length up to three words, a newline at each subset of a few positions, with
        // bytes around it that differ from `\n` by one bit (0x0b, 0x08, 0x8a) and multi-byte
        // characters.
        let fillers = ["a", "\u{b}", "\u{8}", "é", "\u{8a}", "\r"];
        for len in 0..24 {
            for filler in fillers {
                for step in 1..5 {
                    let mut text = String::new();
                    let mut expected = Vec::new();
                    for i in 0..len {
                        if i % step == 0 {
                            expected.push(text.len());
                            text.push('\n');
                        } else {
                            text.push_str(filler);
                        }
                    }
                    let found: Vec<usize> = newlines(&text).collect();
                    assert_eq!(found, expected, "{text:?}");
                    let reference: Vec<usize> = text
                        .bytes()
                        .enumerate()
                        .filter(|&(_, b)| b == b'\n')
                        .map(|(i, _)| i)
                        .collect();
                    assert_eq!(found, reference, "{text:?}");
                }
            }
        }
        // Every byte value next to a newline.
        for b in 0u8..=127 {
            let text = format!("{0}\n{0}{0}{0}{0}{0}{0}{0}\n{0}", char::from(b));
            let reference: Vec<usize> = text
                .bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i)
                .collect();
            assert_eq!(newlines(&text).collect::<Vec<_>>(), reference, "{b}");
        }
    }

    /// Texts read from disk are not kept: they are read again when asked for, checked against
    /// what was linted, and a few are cached.
    #[test]
    fn texts_on_disk_are_read_again_and_checked() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut files = Files::default();
        let mut ids = Vec::new();
        for i in 0..CACHED_TEXTS + 3 {
            let path = dir.path().join(format!("f{i}.yaml"));
            let text = format!("kind: Pod # {i}\n");
            std::fs::write(&path, &text).expect("write");
            ids.push(files.push_on_disk(
                format!("f{i}.yaml"),
                FileKind::Yaml,
                OnDisk::new(Some(path), &text),
            ));
        }
        // Most files are opened by their shown path (no second copy of it).
        let shown = dir.path().join("shown.yaml");
        std::fs::write(&shown, "kind: Pod # shown\n").expect("write");
        let shown = files.push_on_disk(
            shown.display().to_string(),
            FileKind::Yaml,
            OnDisk::new(None, "kind: Pod # shown\n"),
        );
        assert_eq!(&*files.text(shown), "kind: Pod # shown\n");
        let memory = files.push(SourceFile {
            path: "stdin".into(),
            kind: FileKind::Yaml,
            text: Arc::from("kind: Job\n"),
        });
        let released = files.push_released();
        assert_eq!(&*files.text(memory), "kind: Job\n");
        assert_eq!(&*files.text(released), "");
        assert_eq!(files.path(released), "");
        assert_eq!(files.find_path("f3.yaml"), Some(ids[3]));
        assert_eq!(files.find_path(""), None);
        // Every file, twice (the second pass evicts and reads again); the first three are not
        // cached after it.
        for _ in 0..2 {
            for (i, &id) in ids.iter().enumerate() {
                assert_eq!(&*files.text(id), format!("kind: Pod # {i}\n"));
            }
        }
        assert!(lock(&files.cache).len() <= CACHED_TEXTS);
        // A file edited (same length) or grown since it was linted reads as "" and is listed.
        std::fs::write(dir.path().join("f0.yaml"), "kind: Pod # X\n").expect("write");
        std::fs::write(dir.path().join("f1.yaml"), "kind: Pod # 1\nmore\n").expect("write");
        std::fs::remove_file(dir.path().join("f2.yaml")).expect("remove");
        for &id in &ids[..3] {
            assert_eq!(&*files.text(id), "");
        }
        assert_eq!(files.changed(), ids[..3].to_vec());
        assert_eq!(&*files.text(ids[3]), "kind: Pod # 3\n");
    }

    /// Released files take ids and no entry: the files around them keep their ids, paths,
    /// kinds and texts, whatever the pattern of released and kept files.
    #[test]
    fn released_files_keep_their_ids_and_nothing_else() {
        let mut rng = crate::test_rng::Rng(0x2545_f491_4f6c_dd1d);
        for _ in 0..50 {
            let mut files = Files::default();
            let mut expected = Vec::new();
            for i in 0..rng.below(200) {
                if rng.below(3) == 0 {
                    let kind = if i % 2 == 0 {
                        FileKind::Dockerfile
                    } else {
                        FileKind::Yaml
                    };
                    let id = files.push(SourceFile {
                        path: format!("f{i}"),
                        kind,
                        text: Arc::from(format!("text {i}")),
                    });
                    expected.push((id, Some((format!("f{i}"), kind))));
                } else {
                    expected.push((files.push_released(), None));
                }
            }
            assert_eq!(files.len(), expected.len());
            assert_eq!(files.is_empty(), expected.is_empty());
            files.shrink_to_fit();
            for (i, (id, kept)) in expected.iter().enumerate() {
                assert_eq!(id.0 as usize, i, "ids are given in order");
                match kept {
                    Some((path, kind)) => {
                        assert!(!files.is_released(*id));
                        assert_eq!(files.path(*id), path);
                        assert_eq!(files.kind(*id), *kind);
                        assert_eq!(&*files.text(*id), format!("text {i}"));
                        assert_eq!(files.find_path(path), Some(*id));
                    }
                    None => {
                        assert!(files.is_released(*id));
                        assert_eq!(files.path(*id), "");
                        assert_eq!(&*files.text(*id), "");
                        assert_eq!(files.find_path(&format!("f{i}")), None);
                    }
                }
            }
            let listed: Vec<FileId> = files.iter().map(|(id, _)| id).collect();
            let kept: Vec<FileId> = expected
                .iter()
                .filter(|(_, kept)| kept.is_some())
                .map(|(id, _)| *id)
                .collect();
            assert_eq!(listed, kept);
            // An id past the end is neither a file nor released.
            let past = FileId(u32::try_from(expected.len()).unwrap_or(u32::MAX));
            assert!(!files.is_released(past));
            assert_eq!(files.path(past), "");
        }
    }

    /// A path is found by its hash, as the first file (by id) shown by it: files added after a
    /// look-up (entrypoint scripts read while linking) are found too, released ones never; a
    /// path whose hash an earlier path shares is found past it.
    #[test]
    fn find_path_finds_the_first_file_shown_by_a_path() {
        let mut rng = crate::test_rng::Rng(0x7f4a_7c15_9e37_79b9);
        for _ in 0..50 {
            let mut files = Files::default();
            let mut kept: Vec<(FileId, String)> = Vec::new();
            for _ in 0..rng.below(300) {
                let path = format!("d{}/entrypoint.sh", rng.below(40));
                match rng.below(4) {
                    0 => {
                        files.push_released();
                    }
                    1 => {
                        let reference = kept.iter().find(|(_, p)| *p == path).map(|(id, _)| *id);
                        assert_eq!(files.find_path(&path), reference, "{path}");
                    }
                    _ => {
                        let id = files.push(SourceFile {
                            path: path.clone(),
                            kind: FileKind::ShellScript,
                            text: Arc::from(""),
                        });
                        kept.push((id, path));
                    }
                }
            }
            for i in 0..40 {
                let path = format!("d{i}/entrypoint.sh");
                let reference = kept.iter().find(|(_, p)| *p == path).map(|(id, _)| *id);
                assert_eq!(files.find_path(&path), reference, "{path}");
            }
        }
        // Two paths of one hash: the index names the first; the second is searched past it.
        let mut files = files_at_paths(&["a", "b", "c", "b"]);
        assert_eq!(files.find_path("a"), Some(FileId(0)));
        {
            use std::hash::BuildHasher;
            let mut index = lock(&files.by_path);
            let hash = index.hasher.hash_one("b");
            index.first.insert(hash, 0);
        }
        assert_eq!(files.find_path("b"), Some(FileId(1)));
        assert_eq!(files.find_path("c"), Some(FileId(2)));
        files.push_released();
        let d = files.push(SourceFile {
            path: "d".into(),
            kind: FileKind::ShellScript,
            text: Arc::from(""),
        });
        assert_eq!(files.find_path("d"), Some(d));
        assert_eq!(files.find_path("e"), None);
    }

    /// Files of empty YAML texts at these paths (tests elsewhere use it too).
    pub(crate) fn files_at_paths(paths: &[&str]) -> Files {
        let mut files = Files::default();
        for path in paths {
            files.push(SourceFile {
                path: (*path).to_string(),
                kind: FileKind::Yaml,
                text: Arc::from(""),
            });
        }
        files
    }

    /// Counting columns on from the last position gives what counting from the line start
    /// gives: ascending offsets (long lines, several on one, inside multi-byte characters, past
    /// the end), and offsets that go back or change lines.
    #[test]
    fn positions_after_a_cursor_match_positions_from_the_line_start() {
        let pieces = ["a", "é", "😀", "\n", "\r\n", "\r", " ", "xyz"];
        let mut rng = crate::test_rng::Rng(0x9051_7105_0000_0001);
        for round in 0..500 {
            let text: String = (0..rng.below(80))
                .map(|_| pieces[rng.below(pieces.len())])
                .collect();
            let index = LineIndex::new(&text);
            let mut offsets: Vec<usize> = (0..rng.below(30))
                .map(|_| rng.below(text.len() + 3))
                .collect();
            if round % 2 == 0 {
                offsets.sort_unstable();
            }
            let mut cursor = None;
            for offset in offsets {
                assert_eq!(
                    index.position_after(&text, offset, &mut cursor),
                    index.position(&text, offset),
                    "{text:?} at {offset}"
                );
            }
        }
    }

    #[test]
    fn utf16_columns_count_surrogates() {
        let text = "😀x";
        let index = LineIndex::new(text);
        assert_eq!(Columns::new(text).columns(text, &index, 4), (1, 2));
        assert_eq!(index.position(text, 4).column, 2);
        // offsets inside a char are clamped, never panic
        assert_eq!(index.position(text, 2).column, 1);
    }

    /// Columns from the checkpoints are what counting from the line's start gives, on texts
    /// with lines longer than a checkpoint step and offsets inside characters and past the end.
    #[test]
    fn columns_match_counting_from_the_line_start() {
        let pieces = ["a", "é", "😀", "中", "\n", "\r\n", " ", "xyz"];
        let mut rng = crate::test_rng::Rng(0xC011_0035_0000_0001);
        for round in 0..300 {
            let length = if round % 3 == 0 { 600 } else { 40 };
            let text: String = (0..rng.below(length))
                .map(|_| pieces[rng.below(pieces.len())])
                .collect();
            let index = LineIndex::new(&text);
            let columns = Columns::new(&text);
            for _ in 0..40 {
                let offset = rng.below(text.len() + 3);
                let at = clamp_to_char_boundary(&text, offset);
                let start = index.line_start(index.line_of(at)).min(at);
                let before = &text[start..at];
                let expected = (
                    before.chars().count(),
                    before.chars().map(char::len_utf16).sum(),
                );
                assert_eq!(
                    columns.columns(&text, &index, offset),
                    expected,
                    "{text:?} at {offset}"
                );
            }
        }
    }
}
