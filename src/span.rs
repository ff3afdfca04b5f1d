//! Byte spans into source text, and text derived from a source (continuations removed,
//! escapes decoded) that remembers where each of its bytes came from.

/// A half-open byte range `start..end` into one source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    pub const fn empty(at: usize) -> Self {
        Span { start: at, end: at }
    }

    pub const fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    pub const fn is_empty(self) -> bool {
        self.end <= self.start
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// Shift by `by` bytes (a span relative to a sub-string made absolute).
    pub const fn offset(self, by: usize) -> Span {
        Span::new(self.start + by, self.end + by)
    }

    pub fn contains(self, offset: usize) -> bool {
        self.start <= offset && offset < self.end
    }

    /// The text under the span, or "" when it does not fit the text (never panics).
    pub fn slice(self, text: &str) -> &str {
        text.get(self.start..self.end).unwrap_or("")
    }
}

/// Text derived from a source file together with a map from each derived byte back to the
/// source bytes it came from. Parsers hand these to shared analyses (the shell module works on
/// `text`), and the spans those analyses return are mapped back with [`MappedText::source_span`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedText {
    pub text: String,
    map: OffsetMap,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum OffsetMap {
    /// Derived byte `i` is source byte `base + i`.
    Contiguous(usize),
    /// Derived byte `i` came from source bytes `pieces[i].0 .. pieces[i].1`;
    /// `end` is the source offset just past the derived text (for empty spans at the end).
    Table {
        pieces: Vec<(usize, usize)>,
        end: usize,
    },
}

impl OffsetMap {
    /// A table, or [`OffsetMap::Contiguous`] when it maps byte for byte onto one run of the
    /// source (a table costs 16 bytes per byte of text for as long as the fact is kept).
    fn table(mut pieces: Vec<(usize, usize)>, end: usize) -> OffsetMap {
        let base = pieces.first().map_or(end, |p| p.0);
        let contiguous = pieces
            .iter()
            .enumerate()
            .all(|(i, &(start, stop))| start == base + i && stop == start + 1)
            && end == base + pieces.len();
        if contiguous {
            OffsetMap::Contiguous(base)
        } else {
            pieces.shrink_to_fit();
            OffsetMap::Table { pieces, end }
        }
    }
}

impl MappedText {
    /// Text that is an unchanged copy of the source starting at `source_start`.
    pub fn contiguous(text: impl Into<String>, source_start: usize) -> Self {
        MappedText {
            text: text.into(),
            map: OffsetMap::Contiguous(source_start),
        }
    }

    pub fn builder() -> MappedTextBuilder {
        MappedTextBuilder::default()
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Heap bytes a copy of this text takes: the text and its offset table (16 bytes per byte
    /// of text when it is not one run of the source).
    pub fn heap_bytes(&self) -> usize {
        let table = match &self.map {
            OffsetMap::Contiguous(_) => 0,
            OffsetMap::Table { pieces, .. } => pieces
                .len()
                .saturating_mul(std::mem::size_of::<(usize, usize)>()),
        };
        self.text.len().saturating_add(table)
    }

    /// Source offset of derived byte offset `derived` (clamped to the text).
    pub fn source_offset(&self, derived: usize) -> usize {
        match &self.map {
            OffsetMap::Contiguous(base) => base + derived.min(self.text.len()),
            OffsetMap::Table { pieces, end } => match pieces.get(derived) {
                Some(&(start, _)) => start,
                None => *end,
            },
        }
    }

    /// The source span covering the derived span (clamped to the text).
    pub fn source_span(&self, derived: Span) -> Span {
        let start = derived.start.min(self.text.len());
        let end = derived.end.min(self.text.len()).max(start);
        match &self.map {
            OffsetMap::Contiguous(base) => Span::new(base + start, base + end),
            OffsetMap::Table {
                pieces,
                end: text_end,
            } => {
                let source_start = pieces.get(start).map_or(*text_end, |p| p.0);
                if end == start {
                    return Span::empty(source_start);
                }
                let source_end = pieces.get(end - 1).map_or(*text_end, |p| p.1);
                Span::new(source_start, source_end.max(source_start))
            }
        }
    }

    /// The source span of the whole derived text.
    pub fn full_source_span(&self) -> Span {
        self.source_span(Span::new(0, self.text.len()))
    }

    /// A sub-view of `derived` (clamped, and snapped to char boundaries) keeping the map.
    pub fn sub(&self, derived: Span) -> MappedText {
        let mut start = derived.start.min(self.text.len());
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = derived.end.min(self.text.len()).max(start);
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        let text = self.text[start..end].to_string();
        let map = match &self.map {
            OffsetMap::Contiguous(base) => OffsetMap::Contiguous(base + start),
            OffsetMap::Table {
                pieces,
                end: text_end,
            } => OffsetMap::table(
                pieces[start..end].to_vec(),
                pieces.get(end).map_or(*text_end, |p| p.0),
            ),
        };
        MappedText { text, map }
    }
}

/// Builds a [`MappedText`] piece by piece. While the text copies one run of the source byte for
/// byte (most words, however long) no table is built: an 8 MB word would otherwise need a
/// 128 MB table while it is built, only to be found contiguous at the end.
#[derive(Default, Debug)]
pub struct MappedTextBuilder {
    text: String,
    /// The map, once the text stopped being one run of the source (empty until then).
    pieces: Vec<(usize, usize)>,
    /// Where the run of the source starts while the text is one (`None` while it is empty).
    run: Option<usize>,
    /// Bytes mapped so far (the text's length once a char is pushed).
    mapped: usize,
    end: usize,
}

impl MappedTextBuilder {
    /// Map the next byte of the text to the source bytes `start..stop`.
    fn map_byte(&mut self, start: usize, stop: usize) {
        if self.pieces.is_empty() {
            match self.run {
                None if self.mapped == 0 && stop == start + 1 => {
                    self.run = Some(start);
                    self.mapped = 1;
                    return;
                }
                Some(base) if start == base + self.mapped && stop == start + 1 => {
                    self.mapped += 1;
                    return;
                }
                _ => self.pieces = self.run_pieces(),
            }
            self.run = None;
        }
        self.pieces.push((start, stop));
        self.mapped += 1;
    }

    /// The table of the run so far.
    fn run_pieces(&self) -> Vec<(usize, usize)> {
        match self.run {
            Some(base) => (base..base + self.mapped).map(|i| (i, i + 1)).collect(),
            None => Vec::new(),
        }
    }

    /// Append `s`, an unchanged copy of the source starting at `source_start`.
    pub fn push_str(&mut self, s: &str, source_start: usize) {
        for i in 0..s.len() {
            self.map_byte(source_start + i, source_start + i + 1);
        }
        self.text.push_str(s);
        self.end = source_start + s.len();
    }

    /// Append one decoded char that stands for the source bytes `source` (an escape sequence).
    pub fn push_char(&mut self, c: char, source: Span) {
        for _ in 0..c.len_utf8() {
            self.map_byte(source.start, source.end);
        }
        self.text.push(c);
        self.end = source.end;
    }

    /// Set where an empty span at the end of the text points (defaults to the last piece's end).
    pub fn set_end(&mut self, source_end: usize) {
        self.end = source_end;
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Bytes of text so far.
    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn finish(self) -> MappedText {
        let map = match self.run {
            Some(base) if self.end == base + self.mapped => OffsetMap::Contiguous(base),
            Some(_) => OffsetMap::table(self.run_pieces(), self.end),
            None => OffsetMap::table(self.pieces, self.end),
        };
        MappedText {
            text: self.text,
            map,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_maps_by_offset() {
        let m = MappedText::contiguous("node app.js", 10);
        assert_eq!(m.source_span(Span::new(5, 11)), Span::new(15, 21));
        assert_eq!(
            m.sub(Span::new(5, 11)).source_span(Span::new(0, 3)),
            Span::new(15, 18)
        );
    }

    #[test]
    fn table_maps_across_gaps_and_escapes() {
        // source: `a \` newline `  b\"c` ; derived: `a   b"c`
        let mut b = MappedText::builder();
        b.push_str("a ", 0);
        b.push_str("  b", 4);
        b.push_char('"', Span::new(7, 9));
        b.push_str("c", 9);
        let m = b.finish();
        assert_eq!(m.text, "a   b\"c");
        assert_eq!(m.source_span(Span::new(0, 1)), Span::new(0, 1));
        assert_eq!(m.source_span(Span::new(4, 7)), Span::new(6, 10));
        assert_eq!(m.source_span(Span::new(5, 6)), Span::new(7, 9));
        assert_eq!(m.source_span(Span::empty(7)), Span::empty(10));
        assert!(matches!(m.map, OffsetMap::Table { .. }));
        // A sub-view without the gap and the escape maps like a plain copy.
        let tail = m.sub(Span::new(6, 7));
        assert_eq!(tail.map, OffsetMap::Contiguous(9));
        assert_eq!(tail.source_span(Span::new(0, 1)), Span::new(9, 10));
    }

    #[test]
    fn tables_that_copy_one_run_are_contiguous() {
        let mut b = MappedText::builder();
        b.push_str("ab", 5);
        b.push_str("c", 7);
        let m = b.finish();
        assert_eq!(m.map, OffsetMap::Contiguous(5));
        assert_eq!(m.source_span(Span::empty(3)), Span::empty(8));
        // Empty, and with an end elsewhere: still exact.
        let mut b = MappedText::builder();
        b.set_end(4);
        assert_eq!(b.finish().source_span(Span::empty(0)), Span::empty(4));
        let mut b = MappedText::builder();
        b.push_str("ab", 5);
        b.set_end(9);
        let m = b.finish();
        assert!(matches!(m.map, OffsetMap::Table { .. }));
        assert_eq!(m.source_span(Span::empty(2)), Span::empty(9));
    }

    /// The builder keeps no table while the text is one run of the source; what it finishes
    /// with is the map a table of every byte gives, on generated pushes.
    #[test]
    fn the_builder_maps_as_a_table_of_every_byte() {
        let mut rng = crate::test_rng::Rng(0x5eed_1234_abcd_ef01);
        for _ in 0..2_000 {
            let mut b = MappedText::builder();
            let (mut pieces, mut end, mut at) = (Vec::new(), 0, rng.below(5));
            for _ in 0..rng.below(8) {
                // Mostly runs that continue where the last push ended.
                if rng.below(4) == 0 {
                    at += rng.below(3);
                }
                match rng.below(3) {
                    0 => {
                        let c = ['x', 'é', '\u{1F600}'][rng.below(3)];
                        let span = Span::new(at, at + 1 + rng.below(2));
                        b.push_char(c, span);
                        pieces.extend(std::iter::repeat_n((span.start, span.end), c.len_utf8()));
                        (end, at) = (span.end, span.end);
                    }
                    1 => {
                        let text = ["ab", "c", "ü", ""][rng.below(4)];
                        b.push_str(text, at);
                        pieces.extend((at..at + text.len()).map(|i| (i, i + 1)));
                        end = at + text.len();
                        at = end;
                    }
                    _ => {
                        end = rng.below(20);
                        b.set_end(end);
                    }
                }
            }
            let built = b.finish();
            assert_eq!(built.map, OffsetMap::table(pieces, end), "{:?}", built.text);
        }
    }
}
