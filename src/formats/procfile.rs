//! Procfiles (`Procfile`, `Procfile.*`): `name: command` lines, as read by Heroku and foreman.
//!
//! What the two readers do, and what this parser does:
//!
//! * foreman (`lib/foreman/procfile.rb`) splits on `\n` after turning `\r\n` into `\n`, keeps
//!   every line matching `^([A-Za-z0-9_-]+):\s*(.+)$` and silently drops every other line, so
//!   comments, blank lines, indented entries and typos alike are ignored.
//! * Heroku's Procfile buildpack (`heroku/buildpacks-procfile`, `src/procfile.rs`) skips blank
//!   lines and `#` comments (optionally indented), accepts `name: command` where the name is
//!   lowercase alphanumerics and `-` (not at either end, at most 63 characters), *corrects* an
//!   indented name or one with uppercase letters or `_` with a warning, rejects the whole file on
//!   any other line or an empty command, and lets a repeated name override the earlier one with
//!   a warning. Heroku's documentation (devcenter "The Procfile") only says `<process type>:
//!   <command>` with an alphanumeric process type.
//!
//! This parser accepts what either reader runs: a name of `[A-Za-z0-9_-]+` followed directly by
//! `:`, optional whitespace, then a non-empty command, on a line that may be indented. It keeps
//! every entry in file order and reports as [`Problem`]s: lines that are neither blank, comment
//! nor entry ([`Severity::Error`]: Heroku rejects the file, foreman silently drops the line);
//! entries with an empty command (error); indented entries, names Heroku would correct, names
//! longer than 63 characters and repeated names (warnings).

use crate::span::{MappedText, Span};

pub use super::systemd::{Problem, Severity};

/// A parsed Procfile.
#[derive(Clone, Debug, Default)]
pub struct Procfile {
    /// Entries in file order (repeated names included; see [`Procfile::get`]).
    pub entries: Vec<ProcfileEntry>,
    pub problems: Vec<Problem>,
}

/// One `name: command` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcfileEntry {
    /// The process type as written (`web`, `worker`, `release`).
    pub name: String,
    pub name_span: Span,
    /// The command with surrounding whitespace removed, mapped to the source. Heroku and
    /// foreman hand it to a shell; it is not unquoted here.
    pub command: MappedText,
    pub command_span: Span,
    /// The whole line without its terminator.
    pub span: Span,
}

impl Procfile {
    /// The entry a platform runs for `name`: the last one with that name (Heroku's rule).
    pub fn get(&self, name: &str) -> Option<&ProcfileEntry> {
        self.entries.iter().rev().find(|e| e.name == name)
    }

    /// True when a problem would make Heroku reject the file.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Heroku's strict process-type name: lowercase alphanumerics and `-`, starting and ending
/// with an alphanumeric.
fn is_strict_heroku_name(name: &str) -> bool {
    let ok_end =
        |c: Option<char>| matches!(c, Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit());
    ok_end(name.chars().next())
        && ok_end(name.chars().last())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The most entries a Procfile may have: the 10,001st is an error ([`OWN_LIMIT`]) and parsing
/// stops there. Real ones have a handful; each entry becomes a workload, about 2 kB of facts,
/// and an 8 MB Procfile of `wN: a` lines has 700,000 of them.
///
/// [`OWN_LIMIT`]: crate::formats::yaml::OWN_LIMIT
pub const MAX_ENTRIES: usize = 10_000;

/// Parsing stops once this many problems, one of them an error, are found: the file is refused
/// at its first error, and a file of 4,000,000 bad lines would otherwise keep a problem each.
const MAX_PROBLEMS: usize = 1_000;

/// Parse a Procfile. Never fails; see [`Procfile::problems`].
pub fn parse(text: &str) -> Procfile {
    let mut procfile = Procfile::default();
    // Names defined so far (a set: a Procfile of 100,000 lines must not take quadratic time).
    let mut names = std::collections::HashSet::new();
    let mut offset = 0;
    // An error was found: the platform refuses the file.
    let mut refused = false;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.strip_suffix('\n').unwrap_or(raw);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let before = procfile.problems.len();
        parse_line(&mut procfile, &mut names, line, start);
        refused |= procfile
            .problems
            .get(before..)
            .is_some_and(|new| new.iter().any(|p| p.severity == Severity::Error));
        if procfile.entries.len() > MAX_ENTRIES {
            procfile.entries.truncate(MAX_ENTRIES);
            procfile.problems.push(Problem {
                severity: Severity::Error,
                message: format!(
                    "more than {MAX_ENTRIES} process types ({})",
                    crate::formats::yaml::OWN_LIMIT
                ),
                span: Span::new(start, start + line.len()),
            });
            break;
        }
        if refused && procfile.problems.len() >= MAX_PROBLEMS {
            break;
        }
    }
    procfile
}

fn parse_line<'a>(
    procfile: &mut Procfile,
    names: &mut std::collections::HashSet<&'a str>,
    line: &'a str,
    start: usize,
) {
    let span = Span::new(start, start + line.len());
    let content = line.trim_start_matches([' ', '\t']);
    let indent = line.len() - content.len();
    if content.trim_end().is_empty() || content.starts_with('#') {
        return;
    }
    let name_len = content
        .find(|c: char| !is_name_char(c))
        .unwrap_or(content.len());
    let name = content.get(..name_len).unwrap_or("");
    let after_name = content.get(name_len..).unwrap_or("");
    if name.is_empty() || !after_name.starts_with(':') {
        procfile.problems.push(Problem {
            severity: Severity::Error,
            message: "not a `name: command` line: Heroku rejects the Procfile and foreman \
                      silently ignores the line"
                .to_string(),
            span,
        });
        return;
    }
    let name_start = start + indent;
    let name_span = Span::new(name_start, name_start + name_len);
    let after_colon = after_name.get(1..).unwrap_or("");
    let command_text = after_colon.trim_start().trim_end();
    let command_start = name_span.end + 1 + (after_colon.len() - after_colon.trim_start().len());
    let command_span = Span::new(command_start, command_start + command_text.len());
    if command_text.is_empty() {
        procfile.problems.push(Problem {
            severity: Severity::Error,
            message: format!("process type `{name}` has no command"),
            span,
        });
        return;
    }
    if indent > 0 {
        procfile.problems.push(Problem {
            severity: Severity::Warning,
            message: format!(
                "indented entry `{name}`: foreman ignores it, Heroku strips the indentation"
            ),
            span: Span::new(start, name_start),
        });
    }
    if !is_strict_heroku_name(name) {
        procfile.problems.push(Problem {
            severity: Severity::Warning,
            message: format!(
                "process type `{name}` is not lowercase letters, digits and inner `-`; Heroku \
                 renames it to `{}`",
                name.replace('_', "-").to_ascii_lowercase()
            ),
            span: name_span,
        });
    }
    if name.chars().count() > 63 {
        procfile.problems.push(Problem {
            severity: Severity::Warning,
            message: format!("process type `{name}` is longer than 63 characters"),
            span: name_span,
        });
    }
    if !names.insert(name) {
        procfile.problems.push(Problem {
            severity: Severity::Warning,
            message: format!(
                "process type `{name}` is defined again; Heroku uses this last definition"
            ),
            span: name_span,
        });
    }
    procfile.entries.push(ProcfileEntry {
        name: name.to_string(),
        name_span,
        command: MappedText::contiguous(command_text, command_start),
        command_span,
        span,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_with_spans() {
        let text = "web: bundle exec puma -C config/puma.rb\nworker:bundle exec sidekiq -t 25  \n";
        let p = parse(text);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.entries.len(), 2);
        let web = p.get("web").expect("web");
        assert_eq!(web.name_span.slice(text), "web");
        assert_eq!(web.command.as_str(), "bundle exec puma -C config/puma.rb");
        assert_eq!(
            web.command_span.slice(text),
            "bundle exec puma -C config/puma.rb"
        );
        let worker = p.get("worker").expect("worker");
        assert_eq!(worker.command.as_str(), "bundle exec sidekiq -t 25");
        let t = worker.command.as_str().find("-t").expect("-t");
        assert_eq!(
            worker.command.source_span(Span::new(t, t + 2)).slice(text),
            "-t"
        );
    }

    #[test]
    fn comments_blank_lines_and_crlf() {
        let text = "# comment\r\n\r\n   \r\n  # indented comment\r\nrelease: rails db:migrate\r\nweb: node server.js # trailing\r\n";
        let p = parse(text);
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.entries.len(), 2);
        let release = p.get("release").expect("release");
        assert_eq!(release.command.as_str(), "rails db:migrate");
        assert_eq!(release.command_span.slice(text), "rails db:migrate");
        assert_eq!(
            p.get("web").expect("web").command.as_str(),
            "node server.js # trailing"
        );
    }

    #[test]
    fn colons_in_commands_and_no_trailing_newline() {
        let text = "web: gunicorn -b :$PORT main:app";
        let p = parse(text);
        assert_eq!(
            p.get("web").expect("web").command.as_str(),
            "gunicorn -b :$PORT main:app"
        );
    }

    #[test]
    fn problems() {
        let text = "web node app.js\nworker:\n  clock: ruby clock.rb\nWeb_Server: x\nweb: a\nweb: b\n: nothing\nweb : spaced\n";
        let p = parse(text);
        let got: Vec<_> = p
            .problems
            .iter()
            .map(|x| (x.severity, x.span.slice(text)))
            .collect();
        assert_eq!(
            got,
            vec![
                (Severity::Error, "web node app.js"),
                (Severity::Error, "worker:"),
                (Severity::Warning, "  "),
                (Severity::Warning, "Web_Server"),
                (Severity::Warning, "web"),
                (Severity::Error, ": nothing"),
                (Severity::Error, "web : spaced"),
            ]
        );
        assert_eq!(p.get("web").expect("web").command.as_str(), "b");
        assert_eq!(
            p.get("clock").expect("clock").name_span.slice(text),
            "clock"
        );
        assert!(p.has_errors());
    }

    #[test]
    fn never_panics() {
        for input in [
            "",
            "\n",
            ":",
            "a:",
            "é: ü",
            "\r",
            "a:\r",
            "web:\t\tcmd\t",
            "\u{feff}web: x",
        ] {
            let p = parse(input);
            for e in &p.entries {
                let _ = e.command.full_source_span().slice(input);
            }
        }
    }
}
