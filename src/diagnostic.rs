//! Our own diagnostic type: byte spans into files; lines and columns are computed at output.

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
    pub message: String,
}

/// One finding of one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The rule's code, e.g. `SL101`.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    /// What the primary span is ("shell form CMD").
    pub primary_label: Option<String>,
    pub labels: Vec<Label>,
    /// Shared: many findings of a rule give the same help (see [`compact`]).
    pub help: Option<Arc<str>>,
    /// The Helm template the finding's document was rendered from (`# Source:` comment).
    pub source: Option<String>,
    /// A line the human output prints under the finding (SL301/SL302: the compact shutdown
    /// timeline). Not part of the JSON, SARIF or GitHub outputs.
    pub footer: Option<String>,
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
            message: exact(message.into()),
            location,
            primary_label: None,
            labels: Vec::new(),
            help: None,
            source: None,
            footer: None,
        }
    }

    /// The message as shown: with the Helm template it came from, when known.
    pub fn display_message(&self) -> String {
        match &self.source {
            Some(source) => format!("{} (rendered from {source})", self.message),
            None => self.message.clone(),
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
        self.help = Some(Arc::from(help.into()));
        self
    }

    /// Add a line the human output prints under the finding.
    pub fn footer(&mut self, footer: impl Into<String>) -> &mut Self {
        self.footer = Some(exact(footer.into()));
        self
    }
}

/// A finding's text without spare capacity: `format!` reserves about twice its literal parts,
/// and a big tree keeps tens of thousands of findings until the output.
fn exact(mut text: String) -> String {
    text.shrink_to_fit();
    text
}

/// Make one rule's findings compact, for they are kept until the output and a big tree has
/// tens of thousands: findings with the same help text share one copy of it (a rule gives one
/// of a few help texts to each of its findings), and label lists give back their spare
/// capacity (a pushed-to list holds at least four labels, and most findings have one).
pub fn compact(diagnostics: &mut [Diagnostic]) {
    let mut seen: HashSet<Arc<str>> = HashSet::new();
    for d in diagnostics {
        d.labels.shrink_to_fit();
        if let Some(help) = &mut d.help {
            match seen.get(help) {
                Some(shared) => *help = shared.clone(),
                None => {
                    seen.insert(help.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_findings_share_their_help_and_keep_no_spare_labels() {
        let at = Location::new(FileId(0), Span::new(0, 1));
        let mut diagnostics: Vec<Diagnostic> = ["a", "b", "a", "a"]
            .into_iter()
            .map(|help| {
                let mut d = Diagnostic::new("SL101", Severity::Error, at, "m");
                d.help(help).label(at, "here");
                d
            })
            .collect();
        diagnostics.push(Diagnostic::new("SL101", Severity::Error, at, "no help"));
        compact(&mut diagnostics);
        let helps: Vec<Option<&str>> = diagnostics.iter().map(|d| d.help.as_deref()).collect();
        assert_eq!(helps, [Some("a"), Some("b"), Some("a"), Some("a"), None]);
        let first = diagnostics[0].help.as_ref().map(Arc::as_ptr);
        assert_eq!(diagnostics[2].help.as_ref().map(Arc::as_ptr), first);
        assert_eq!(diagnostics[3].help.as_ref().map(Arc::as_ptr), first);
        assert_ne!(diagnostics[1].help.as_ref().map(Arc::as_ptr), first);
        assert!(diagnostics
            .iter()
            .all(|d| d.labels.capacity() == d.labels.len()));
    }
}
