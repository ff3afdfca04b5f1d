//! Our own diagnostic type: byte spans into files; lines and columns are computed at output.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::source::FileId;
use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "warning" | "warn" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A place in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub file: FileId,
    pub span: Span,
}

impl Location {
    pub fn new(file: FileId, span: Span) -> Self {
        Location { file, span }
    }
}

/// A secondary place that explains the finding ("grace period set here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub location: Location,
    /// Shared with the other findings' labels that say the same (see [`Shared`]).
    pub message: Arc<str>,
}

/// One finding of one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The rule's code, e.g. `SL101`.
    pub code: &'static str,
    pub severity: Severity,
    pub message: Message,
    pub location: Location,
    /// What the primary span is ("shell form CMD").
    pub primary_label: Option<Arc<str>>,
    pub labels: Vec<Label>,
    /// Shared: many findings of a rule give the same help (see [`Shared`]).
    pub help: Option<Arc<str>>,
    /// The Helm template the finding's document was rendered from (`# Source:` comment), as
    /// shown ([`clip`]); shared by the findings of a document.
    pub source: Option<Arc<str>>,
    /// A line the human output prints under the finding (SL301/SL302: the compact shutdown
    /// timeline). Not part of the JSON, SARIF or GitHub outputs.
    pub footer: Option<String>,
    /// The compose service the finding is about ([`crate::suppress::subject`] of the service's
    /// file and name): the service's `shutdownlint.dev/ignore` label silences it wherever in
    /// the service's files it points, and the label of another service that shares the text
    /// it points at (an anchored block, an extended template) does not.
    /// Not part of any output.
    pub subject: Option<std::num::NonZeroU64>,
    /// A stand-in for a finding the rule could not judge at this place (what is in effect there
    /// is not known: [`crate::rules::Reporter::unjudged`]): never output; a suppression of the
    /// rule that covers it is not called unused by SL001.
    pub unjudged: bool,
}

impl Diagnostic {
    pub fn new(
        code: &'static str,
        severity: Severity,
        location: Location,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity,
            message: Message::new(message.into()),
            location,
            primary_label: None,
            labels: Vec::new(),
            help: None,
            source: None,
            footer: None,
            subject: None,
            unjudged: false,
        }
    }

    /// Say which workload the finding is about: for a compose service, its labels then decide
    /// whether it is silenced, wherever the finding points (see [`Diagnostic::subject`]; a
    /// label of the service reaches the other files it is made of through copies there,
    /// `compose_project::spread_labels`).
    pub fn about(&mut self, workload: &crate::model::Workload) -> &mut Self {
        if workload.compose.is_some() {
            self.subject =
                crate::suppress::subject(workload.location.file, workload.location.span.start);
        }
        self
    }

    /// The message as shown: with the Helm template it came from, when known.
    pub fn display_message(&self) -> String {
        match &self.source {
            Some(source) => format!("{} (rendered from {source})", self.message),
            None => self.message.to_string(),
        }
    }

    /// Add a secondary label.
    pub fn label(&mut self, location: Location, message: impl Into<String>) -> &mut Self {
        self.labels.push(Label {
            location,
            message: exact(message.into()),
        });
        self
    }

    /// Say what the primary span is.
    pub fn primary(&mut self, message: impl Into<String>) -> &mut Self {
        self.primary_label = Some(exact(message.into()));
        self
    }

    pub fn help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(exact(help.into()));
        self
    }

    /// Add a line the human output prints under the finding.
    pub fn footer(&mut self, footer: impl Into<String>) -> &mut Self {
        let mut footer = match clip(&footer.into()) {
            Cow::Borrowed(text) => text.to_string(),
            Cow::Owned(text) => text,
        };
        footer.shrink_to_fit();
        self.footer = Some(footer);
        self
    }
}

/// A finding's message. Most say what is wrong where ("container `web` of Deployment/api
/// serves traffic but has no preStop hook"), then, after `": "`, why that breaks a deploy, in
/// words that are the same for every finding of the rule. The two parts are kept apart, so
/// that the explanation is stored once for the whole run (see [`Shared`]): on a tree of
/// distinct manifests each finding names its own workload, and the explanation was most of
/// its text.
///
/// The message is cut at its first `": "`, so equal texts have equal parts; it compares and
/// orders as its whole text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    head: Arc<str>,
    /// What follows the first `": "`, when there is one.
    tail: Option<Arc<str>>,
}

const SEPARATOR: &str = ": ";

impl Message {
    pub fn new(text: String) -> Self {
        match text.split_once(SEPARATOR) {
            Some((head, tail)) => Message {
                head: Arc::from(clip(head)),
                tail: Some(Arc::from(clip(tail))),
            },
            None => Message {
                head: exact(text),
                tail: None,
            },
        }
    }

    /// The parts: before the first `": "`, and after it.
    #[cfg(test)]
    pub fn parts(&self) -> (&str, Option<&str>) {
        (&self.head, self.tail.as_deref())
    }

    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        let tail = self
            .tail
            .as_deref()
            .map(|tail| SEPARATOR.bytes().chain(tail.bytes()));
        self.head.bytes().chain(tail.into_iter().flatten())
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.head)?;
        if let Some(tail) = &self.tail {
            f.write_str(SEPARATOR)?;
            f.write_str(tail)?;
        }
        Ok(())
    }
}

#[cfg(test)]
impl PartialEq<str> for Message {
    fn eq(&self, other: &str) -> bool {
        self.bytes().eq(other.bytes())
    }
}

#[cfg(test)]
impl PartialEq<&str> for Message {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl Ord for Message {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.bytes().cmp(other.bytes())
    }
}

impl PartialOrd for Message {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A finding's text without spare capacity: `format!` reserves about twice its literal parts,
/// and a big tree keeps tens of thousands of findings until the output. Shown as [`clip`]
/// shows it.
fn exact(text: String) -> Arc<str> {
    match clip(&text) {
        Cow::Borrowed(_) => Arc::from(text),
        Cow::Owned(clipped) => Arc::from(clipped),
    }
}

/// A text of a finding up to this long is shown as it is: every real one is (the longest in
/// the corpus has 316 bytes).
const MAX_TEXT_BYTES: usize = 4096;

/// In a longer text, a run of characters without an ASCII space or a backtick (a name, an
/// image, a path that is quoted) is cut after this many characters.
const MAX_RUN_CHARS: usize = 512;

/// A text of a finding as shown: a text longer than [`MAX_TEXT_BYTES`] quotes input that no
/// real configuration has (a `metadata.name` of 1 MB, which the API server would refuse, a
/// Helm `# Source:` path as long), and it is kept once per finding and printed once per
/// finding. In it, each run of more than [`MAX_RUN_CHARS`] characters without a space or a
/// backtick is cut to its first ones and `…`; if that is still too long (input with spaces),
/// the text keeps its start and its end around ` … `.
pub fn clip(text: &str) -> Cow<'_, str> {
    if text.len() <= MAX_TEXT_BYTES {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    let mut rest = text;
    // Runs between separators (ASCII, so the text is cut at characters), as slices: a 1 MB
    // name is looked at byte by byte once, not copied character by character.
    let separator = |b: &u8| b.is_ascii_whitespace() || *b == b'`';
    while !rest.is_empty() {
        let end = rest
            .bytes()
            .position(|b| separator(&b))
            .unwrap_or(rest.len());
        let (run, after) = rest.split_at(end);
        match run.char_indices().nth(MAX_RUN_CHARS) {
            Some((cut, _)) => {
                out.push_str(&run[..cut]);
                out.push('…');
            }
            None => out.push_str(run),
        }
        let separators = after
            .bytes()
            .position(|b| !separator(&b))
            .unwrap_or(after.len());
        out.push_str(&after[..separators]);
        rest = &after[separators..];
    }
    if out.len() > MAX_TEXT_BYTES {
        let mut head = MAX_TEXT_BYTES / 2;
        while !out.is_char_boundary(head) {
            head -= 1;
        }
        let mut tail = out.len() - MAX_TEXT_BYTES / 4;
        while !out.is_char_boundary(tail) {
            tail += 1;
        }
        out = format!("{} … {}", &out[..head], &out[tail..]);
    }
    Cow::Owned(out)
}

/// One copy of each text of the findings of a run, for they are kept until the output and a
/// big tree has tens of thousands: a rule gives one of a few help texts to each of its
/// findings, and the same message and labels to every copy of a manifest (a chart rendered
/// for several environments, a service deployed in several regions): in the corpus, 1,860
/// findings say 833 different things.
#[derive(Default)]
pub struct Shared {
    texts: HashSet<Arc<str>>,
}

impl Shared {
    /// Make findings compact: their texts shared with the findings made so far, and label
    /// lists without spare capacity (a pushed-to list holds at least four labels, and most
    /// findings have one).
    pub fn compact(&mut self, diagnostics: &mut [Diagnostic]) {
        for d in diagnostics {
            d.labels.shrink_to_fit();
            self.share(&mut d.message.head);
            if let Some(tail) = &mut d.message.tail {
                self.share(tail);
            }
            if let Some(help) = &mut d.help {
                self.share(help);
            }
            if let Some(primary) = &mut d.primary_label {
                self.share(primary);
            }
            for label in &mut d.labels {
                self.share(&mut label.message);
            }
        }
    }

    fn share(&mut self, text: &mut Arc<str>) {
        match self.texts.get(text) {
            Some(shared) => *text = shared.clone(),
            None => {
                self.texts.insert(text.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_findings_share_their_texts_and_keep_no_spare_labels() {
        let at = Location::new(FileId(0), Span::new(0, 1));
        let mut diagnostics: Vec<Diagnostic> = ["a", "b", "a", "a"]
            .into_iter()
            .map(|help| {
                let mut d = Diagnostic::new("SL101", Severity::Error, at, format!("m {help}"));
                d.help(help).label(at, "here").primary("shell form");
                d
            })
            .collect();
        diagnostics.push(Diagnostic::new("SL101", Severity::Error, at, "no help"));
        let mut shared = Shared::default();
        let (first, later) = diagnostics.split_at_mut(2);
        shared.compact(first);
        // Findings compacted later share the texts of those compacted before.
        shared.compact(later);
        let helps: Vec<Option<&str>> = diagnostics.iter().map(|d| d.help.as_deref()).collect();
        assert_eq!(helps, [Some("a"), Some("b"), Some("a"), Some("a"), None]);
        let first = diagnostics[0].help.as_ref().map(Arc::as_ptr);
        assert_eq!(diagnostics[2].help.as_ref().map(Arc::as_ptr), first);
        assert_eq!(diagnostics[3].help.as_ref().map(Arc::as_ptr), first);
        assert_ne!(diagnostics[1].help.as_ref().map(Arc::as_ptr), first);
        let message = |i: usize| &diagnostics[i].message.head;
        assert!(Arc::ptr_eq(message(0), message(3)));
        assert!(!Arc::ptr_eq(message(0), message(1)));
        assert_eq!(diagnostics[3].message, "m a");
        let label = |i: usize| &diagnostics[i].labels[0].message;
        assert!((1..4).all(|i| Arc::ptr_eq(label(i), label(0))));
        let primary = |i: usize| diagnostics[i].primary_label.as_ref();
        assert!((1..4).all(|i| match (primary(i), primary(0)) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }));
        assert!(diagnostics
            .iter()
            .all(|d| d.labels.capacity() == d.labels.len()));
    }

    #[test]
    fn explanations_are_shared_apart_from_what_names_the_workload() {
        let at = Location::new(FileId(0), Span::new(0, 1));
        let why = "SIGTERM arrives while the pod is still being removed from Service endpoints";
        let mut diagnostics: Vec<Diagnostic> = ["a", "b", "c"]
            .into_iter()
            .map(|name| {
                let message = format!("container `{name}` has no preStop hook: {why}");
                Diagnostic::new("SL202", Severity::Warning, at, message)
            })
            .collect();
        Shared::default().compact(&mut diagnostics);
        let tails: Vec<&Arc<str>> = diagnostics
            .iter()
            .filter_map(|d| d.message.tail.as_ref())
            .collect();
        assert_eq!(tails.len(), 3);
        assert!(tails.iter().all(|tail| Arc::ptr_eq(tail, tails[0])));
        assert_eq!(
            diagnostics[1].message.to_string(),
            format!("container `b` has no preStop hook: {why}")
        );
        assert_eq!(
            diagnostics[1].message.parts(),
            ("container `b` has no preStop hook", Some(why))
        );
    }

    /// Texts that quote absurdly long input are shown shortened: each long run of the input,
    /// else the middle of the text; real texts as they are.
    #[test]
    fn long_quoted_input_is_clipped() {
        let at = Location::new(FileId(0), Span::new(0, 1));
        let name = "n".repeat(1_000_000);
        let why = "SIGTERM arrives while the pod is still being removed";
        let mut d = Diagnostic::new(
            "SL202",
            Severity::Warning,
            at,
            format!("container `c0` of Deployment/{name} has no preStop hook: {why}"),
        );
        d.label(at, format!("image `{name}:1`"))
            .primary(format!("`{name}`"))
            .help(format!("see {name}"))
            .footer(name.clone());
        let shown = format!("{}…", "n".repeat(MAX_RUN_CHARS));
        // `Deployment/nnn…` is one run.
        let run = format!("{}…", "n".repeat(MAX_RUN_CHARS - "Deployment/".len()));
        assert_eq!(
            d.message.to_string(),
            format!("container `c0` of Deployment/{run} has no preStop hook: {why}")
        );
        let long = |text: &str| text.len() <= MAX_TEXT_BYTES;
        assert_eq!(&*d.labels[0].message, format!("image `{shown}`"));
        assert_eq!(d.primary_label.as_deref(), Some(&*format!("`{shown}`")));
        assert!(d.help.as_deref().is_some_and(long));
        assert!(d.footer.as_deref().is_some_and(long));
        // Input with spaces: the start and the end.
        let spaced = "a ".repeat(100_000);
        let clipped = clip(&spaced);
        assert!(clipped.len() <= MAX_TEXT_BYTES);
        assert!(clipped.starts_with("a a ") && clipped.contains(" … "));
        // Multi-byte characters are cut at a character.
        assert!(clip(&"é".repeat(10_000)).ends_with("é…"));
        assert!(clip(&"é ".repeat(10_000)).len() <= MAX_TEXT_BYTES);
        // Texts up to MAX_TEXT_BYTES as they are, even with long runs.
        let real = format!("image `{}`", "r".repeat(MAX_TEXT_BYTES - 8));
        assert!(matches!(clip(&real), Cow::Borrowed(_)));
    }

    /// Messages compare and order as their whole texts, wherever they are cut.
    #[test]
    fn messages_compare_as_their_texts() {
        let mut rng = crate::test_rng::Rng(0x5d1a_9e07_3c4b_0001);
        let texts: Vec<String> = (0..400)
            .map(|_| {
                let len = rng.below(7);
                (0..len)
                    .map(|_| [':', ' ', 'a', '-', 'é'][rng.below(5)])
                    .collect()
            })
            .collect();
        for a in &texts {
            let ma = Message::new(a.clone());
            assert_eq!(ma.to_string(), *a);
            assert!(ma == a.as_str());
            for b in &texts {
                let mb = Message::new(b.clone());
                assert_eq!(ma.cmp(&mb), a.cmp(b), "{a:?} {b:?}");
                assert_eq!(ma == mb, a == b, "{a:?} {b:?}");
                assert_eq!(ma == b.as_str(), a == b, "{a:?} {b:?}");
            }
        }
    }
}
