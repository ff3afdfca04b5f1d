//! systemd unit files (`*.service`, `*.socket`, …) and their drop-ins (`foo.service.d/*.conf`).
//!
//! The parser follows systemd's own reader (`src/shared/conf-parser.c`, described in
//! systemd.syntax(7)), not a generic INI reader:
//!
//! * A physical line ends at `\n`, `\r\n` or a lone `\r`.
//! * A line whose first non-whitespace character is `#` or `;` is a comment. This holds
//!   everywhere, also inside a continuation: "When a comment line or lines follow a line ending
//!   with a backslash, the comment block is ignored, so the continued line is concatenated with
//!   whatever follows the comment block" (systemd.syntax(7), INTRODUCTION). A `#` later in a line
//!   is *not* a comment (`ExecStart=/bin/echo # hi` passes `#` and `hi` as arguments).
//! * A line ending in an unescaped backslash is joined with the next line and the backslash is
//!   replaced by a space. A blank line ends a continuation.
//! * The logical line is stripped of whitespace; `[Name]` starts a section; otherwise the text
//!   before the first `=` is the key and the rest the value, both stripped.
//!
//! Values are kept as [`MappedText`] so that every byte of a joined, continued value maps back to
//! the source. Nothing here fails: systemd logs and ignores most bad lines, so the parser returns
//! the [`Unit`] together with [`Problem`]s. [`Severity::Error`] marks what makes systemd refuse the
//! unit (an invalid section header, or a command line that is a "bad-setting"); everything systemd
//! only warns about and skips is a [`Severity::Warning`].

use crate::span::{MappedText, Span};
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

/// How serious a [`Problem`] is, judged by what systemd does with the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Severity {
    /// systemd refuses to load the unit (or marks it "bad-setting" and will not start it).
    Error,
    /// systemd logs the line and ignores it; the unit still loads.
    Warning,
}

/// Something wrong in a file, with the source span it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub severity: Severity,
    pub message: String,
    pub span: Span,
}

impl Problem {
    fn error(message: impl Into<String>, span: Span) -> Self {
        Problem {
            severity: Severity::Error,
            message: message.into(),
            span,
        }
    }

    fn warning(message: impl Into<String>, span: Span) -> Self {
        Problem {
            severity: Severity::Warning,
            message: message.into(),
            span,
        }
    }
}

/// One parsed unit file or drop-in.
#[derive(Clone, Debug, Default)]
pub struct Unit {
    /// Sections in file order. A name that occurs twice gives two sections (systemd just
    /// switches back to it); use [`Unit::entries`] to see them together.
    pub sections: Vec<Section>,
    pub problems: Vec<Problem>,
}

/// `[Name]` and the assignments below it.
#[derive(Clone, Debug)]
pub struct Section {
    pub name: String,
    /// The header line, brackets included.
    pub header_span: Span,
    pub entries: Vec<Entry>,
}

/// One `Key=Value` assignment (one logical line, continuations joined).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    /// The value with whitespace around it removed and continuation backslashes turned into
    /// spaces (each mapped to its backslash); not unquoted (that depends on the key).
    pub value: MappedText,
    /// The whole assignment, key through end of value.
    pub span: Span,
}

impl Entry {
    pub fn value(&self) -> &str {
        self.value.as_str()
    }

    /// Source span of the value (empty, just after `=`, for an empty assignment).
    pub fn value_span(&self) -> Span {
        self.value.full_source_span()
    }
}

impl Unit {
    /// Sections with this name, in order.
    pub fn sections_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Section> + 'a {
        self.sections.iter().filter(move |s| s.name == name)
    }

    /// Every assignment of `key` in sections named `section`, in file order.
    pub fn entries<'a>(
        &'a self,
        section: &'a str,
        key: &'a str,
    ) -> impl Iterator<Item = &'a Entry> + 'a {
        self.sections_named(section)
            .flat_map(|s| s.entries.iter())
            .filter(move |e| e.key == key)
    }

    /// True when a problem makes systemd refuse the file.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

const WHITESPACE: &[char] = &[' ', '\t', '\n', '\r'];

fn is_ws(c: char) -> bool {
    WHITESPACE.contains(&c)
}

/// Physical lines as `(start, end)` byte ranges without their terminator.
fn physical_lines(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i) {
            Some(b'\n') => {
                lines.push((start, i));
                i += 1;
                start = i;
            }
            Some(b'\r') => {
                lines.push((start, i));
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        lines.push((start, bytes.len()));
    }
    lines
}

/// True when the line ends in a backslash that is not itself escaped.
fn ends_with_continuation(line: &str) -> bool {
    let mut escaped = false;
    for b in line.bytes() {
        if escaped {
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
        }
    }
    escaped
}

/// Bounds of `s` without leading/trailing systemd whitespace.
fn trim_bounds(s: &str) -> (usize, usize) {
    let start = s.len() - s.trim_start_matches(WHITESPACE).len();
    let end = s.trim_end_matches(WHITESPACE).len().max(start);
    (start, end)
}

/// The longest line systemd reads, joined continuations included: `config_parse` reads each
/// line with `read_line(…, LONG_LINE_MAX)` and refuses the whole file at a longer one ("Line
/// too long", "Continuation line too long").
const LONG_LINE_MAX: usize = 1 << 20;

/// Parse one unit file or drop-in. Never fails; see [`Unit::problems`].
pub fn parse(text: &str) -> Unit {
    let mut state = ParseState::default();
    let mut pending: Option<(usize, crate::span::MappedTextBuilder)> = None;
    for (index, (line_start, line_end)) in physical_lines(text).into_iter().enumerate() {
        let mut start = line_start;
        let raw = text.get(line_start..line_end).unwrap_or("");
        let too_long = |what: &str| {
            Problem::error(
                format!(
                    "{what} longer than 1 MiB (systemd's LONG_LINE_MAX); systemd refuses to load \
                     the file"
                ),
                Span::new(line_start, line_end),
            )
        };
        if raw.len() > LONG_LINE_MAX {
            state.unit.problems.push(too_long("line"));
            return state.unit;
        }
        let after_ws = raw.trim_start_matches(WHITESPACE);
        if after_ws.starts_with('#') || after_ws.starts_with(';') {
            continue;
        }
        let joined = pending.as_ref().map_or(0, |(_, b)| b.len());
        if joined > 0 && joined + raw.len() > LONG_LINE_MAX {
            state.unit.problems.push(too_long("continued line"));
            return state.unit;
        }
        if index == 0 && raw.starts_with('\u{feff}') {
            start += '\u{feff}'.len_utf8();
        }
        let line = text.get(start..line_end).unwrap_or("");
        let (logical_start, builder) =
            pending.get_or_insert_with(|| (start, MappedText::builder()));
        if ends_with_continuation(line) {
            let body = line.get(..line.len().saturating_sub(1)).unwrap_or("");
            builder.push_str(body, start);
            builder.push_char(' ', Span::new(line_end.saturating_sub(1), line_end));
            continue;
        }
        builder.push_str(line, start);
        builder.set_end(line_end);
        let logical_start = *logical_start;
        if let Some((_, builder)) = pending.take() {
            state.logical_line(builder.finish(), Span::new(logical_start, line_end));
        }
    }
    if let Some((logical_start, builder)) = pending.take() {
        state.logical_line(builder.finish(), Span::new(logical_start, text.len()));
    }
    state.unit
}

#[derive(Default)]
struct ParseState {
    unit: Unit,
    /// Index of the current section, `None` before the first header or after a bad one.
    current: Option<usize>,
    /// After an invalid header: stay quiet about the assignments below it.
    after_bad_header: bool,
}

impl ParseState {
    fn logical_line(&mut self, line: MappedText, line_span: Span) {
        let (start, end) = trim_bounds(line.as_str());
        if start == end {
            return;
        }
        let line = line.sub(Span::new(start, end));
        let text = line.as_str();
        let span = line.full_source_span();
        if text.starts_with('[') {
            self.section_header(&line, span);
            return;
        }
        let Some(section) = self.current else {
            if !self.after_bad_header {
                self.unit.problems.push(Problem::warning(
                    "assignment outside of any section; systemd ignores it",
                    span,
                ));
            }
            return;
        };
        let Some(eq) = text.find('=') else {
            self.unit.problems.push(Problem::warning(
                format!(
                    "line is neither a section header, a comment nor a Key=Value assignment; \
                     systemd ignores it: `{}`",
                    shorten(text)
                ),
                span,
            ));
            return;
        };
        let key_text = text.get(..eq).unwrap_or("");
        let (key_start, key_end) = trim_bounds(key_text);
        if key_start == key_end {
            self.unit.problems.push(Problem::warning(
                "missing key name before '='; systemd ignores the line",
                span,
            ));
            return;
        }
        let value_text = text.get(eq + 1..).unwrap_or("");
        let (value_start, value_end) = trim_bounds(value_text);
        let key = key_text.get(key_start..key_end).unwrap_or("").to_string();
        let key_span = line.source_span(Span::new(key_start, key_end));
        let value = line.sub(Span::new(eq + 1 + value_start, eq + 1 + value_end));
        let _ = line_span;
        if let Some(section) = self.unit.sections.get_mut(section) {
            section.entries.push(Entry {
                key,
                key_span,
                value,
                span,
            });
        }
    }

    fn section_header(&mut self, line: &MappedText, span: Span) {
        let text = line.as_str();
        if text.len() < 2 || !text.ends_with(']') {
            self.unit.problems.push(Problem::error(
                format!(
                    "invalid section header `{}`; systemd refuses to load the file",
                    shorten(text)
                ),
                span,
            ));
            self.current = None;
            self.after_bad_header = true;
            return;
        }
        let name = text.get(1..text.len() - 1).unwrap_or("");
        if name
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '\'' || c == '\\')
        {
            self.unit.problems.push(Problem::error(
                format!(
                    "bad characters in section header `{}`; systemd refuses to load the file",
                    shorten(text)
                ),
                span,
            ));
            self.current = None;
            self.after_bad_header = true;
            return;
        }
        self.after_bad_header = false;
        self.unit.sections.push(Section {
            name: name.to_string(),
            header_span: span,
            entries: Vec::new(),
        });
        self.current = Some(self.unit.sections.len() - 1);
    }
}

/// A value as shown in a message: its first 60 characters, then `…`.
pub fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Key kinds and drop-in merging
// ---------------------------------------------------------------------------------------------

/// How repeated assignments of a key combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// The last valid assignment wins (every key not listed below).
    Single,
    /// Assignments accumulate; an empty assignment (`Key=`) drops everything assigned before.
    List,
    /// Dependencies: assignments accumulate and an empty assignment is ignored; they cannot be
    /// reset from a drop-in (systemd.unit(5), EXAMPLES, "Overriding vendor settings").
    Dependency,
}

/// List-type keys whose empty assignment resets the list. Exec*= per systemd.service(5)
/// ("If the empty string is assigned to this option, the list of commands to start is reset");
/// Environment=/EnvironmentFile=/PassEnvironment=/UnsetEnvironment= per systemd.exec(5); the
/// rest are other common list settings documented with the same reset rule.
const LIST_KEYS: &[&str] = &[
    "ExecStart",
    "ExecStartPre",
    "ExecStartPost",
    "ExecCondition",
    "ExecReload",
    "ExecStop",
    "ExecStopPost",
    "Environment",
    "EnvironmentFile",
    "PassEnvironment",
    "UnsetEnvironment",
    "SuccessExitStatus",
    "RestartPreventExitStatus",
    "RestartForceExitStatus",
    "Documentation",
    "ReadWritePaths",
    "ReadOnlyPaths",
    "InaccessiblePaths",
    "ExecPaths",
    "NoExecPaths",
    "BindPaths",
    "BindReadOnlyPaths",
    "SupplementaryGroups",
    "DeviceAllow",
    "LoadCredential",
    "LoadCredentialEncrypted",
    "SetCredential",
    "SetCredentialEncrypted",
    "ListenStream",
    "ListenDatagram",
    "ListenSequentialPacket",
    "ListenFIFO",
    "ListenSpecial",
    "ListenNetlink",
    "ListenMessageQueue",
    "ListenUSBFunction",
    "ExecStartChown",
];

const DEPENDENCY_KEYS: &[&str] = &[
    "After",
    "Before",
    "Wants",
    "Requires",
    "Requisite",
    "BindsTo",
    "PartOf",
    "Upholds",
    "Conflicts",
    "OnFailure",
    "OnSuccess",
    "PropagatesReloadTo",
    "ReloadPropagatedFrom",
    "PropagatesStopTo",
    "StopPropagatedFrom",
    "JoinsNamespaceOf",
    "WantedBy",
    "RequiredBy",
    "UpheldBy",
    "Also",
    "Alias",
];

/// How repeated assignments of `key` combine. Condition*/Assert* keys are lists (an empty
/// assignment resets all conditions, systemd.unit(5) "Conditions and Asserts").
pub fn key_kind(key: &str) -> KeyKind {
    if DEPENDENCY_KEYS.contains(&key) {
        KeyKind::Dependency
    } else if LIST_KEYS.contains(&key) || key.starts_with("Condition") || key.starts_with("Assert")
    {
        KeyKind::List
    } else {
        KeyKind::Single
    }
}

/// Which input file a merged value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Origin {
    /// The main unit file.
    Unit,
    /// `dropins[i]` as passed to [`merge`].
    DropIn(usize),
}

/// One assignment that survived merging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveEntry {
    pub section: String,
    pub entry: Entry,
    pub origin: Origin,
}

/// A unit with its drop-ins applied.
#[derive(Clone, Debug, Default)]
pub struct EffectiveUnit {
    /// Assignments in the order systemd applies them. List keys have their resets applied
    /// (entries before an empty assignment are gone, and so is the empty assignment); for
    /// single-value keys every assignment is kept, the last valid one being in force.
    pub entries: Vec<EffectiveEntry>,
    /// Files in the order they were applied (the unit first).
    pub applied: Vec<Origin>,
    /// Drop-ins not applied: masked by a same-named file earlier in the input, or not `*.conf`.
    pub skipped: Vec<usize>,
    /// Parse problems of the applied files followed by the checks of [`EffectiveUnit::check`].
    pub problems: Vec<(Origin, Problem)>,
}

/// Apply drop-ins to a unit the way systemd does (systemd.unit(5), DESCRIPTION): drop-ins
/// are applied after the unit, sorted by file name across all drop-in directories ("Multiple
/// drop-in files with different names are applied in lexicographic order, regardless of which of
/// the directories they reside in"); a later assignment overrides an earlier one.
///
/// `dropins` holds `(file name, parsed drop-in)`; the name is the file's base name
/// (`10-timeout.conf`); only `*.conf` files are used. **Pass drop-ins in precedence order,
/// highest first**: when two drop-ins share a file name only the first is applied, the way
/// `/etc/systemd/system/foo.service.d/x.conf` masks `/usr/lib/systemd/system/foo.service.d/x.conf`,
/// `foo-bar-.service.d/x.conf` masks `foo-.service.d/x.conf`, and a name-specific directory masks
/// the type-wide `service.d/`. A drop-in symlinked to `/dev/null` is passed as an empty unit:
/// it masks and contributes nothing.
pub fn merge(unit: &Unit, dropins: &[(&str, &Unit)]) -> EffectiveUnit {
    let mut chosen: Vec<(&str, usize)> = Vec::new();
    let mut skipped = Vec::new();
    // The names chosen so far, to skip a repeated one without comparing it with each of them.
    let mut seen: HashSet<&str> = HashSet::new();
    for (index, (name, _)) in dropins.iter().enumerate() {
        if !name.ends_with(".conf") || !seen.insert(name) {
            skipped.push(index);
        } else {
            chosen.push((name, index));
        }
    }
    chosen.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));

    let mut effective = EffectiveUnit {
        skipped,
        ..EffectiveUnit::default()
    };
    let files = std::iter::once((Origin::Unit, unit)).chain(
        chosen
            .iter()
            .filter_map(|(_, i)| dropins.get(*i).map(|(_, u)| (Origin::DropIn(*i), *u))),
    );
    // Where each list key was last reset (an empty assignment): the entries before it go, in
    // one pass at the end (removing them at every reset was quadratic in a long unit).
    let mut resets: HashMap<(String, String), usize> = HashMap::new();
    for (origin, file) in files {
        effective.applied.push(origin);
        effective
            .problems
            .extend(file.problems.iter().map(|p| (origin, p.clone())));
        for section in &file.sections {
            for entry in &section.entries {
                effective.apply(&section.name, entry, origin, &mut resets);
            }
        }
    }
    if !resets.is_empty() {
        let mut index = 0;
        effective.entries.retain(|e| {
            let reset = resets
                .get(&(e.section.clone(), e.entry.key.clone()))
                .copied()
                .unwrap_or(0);
            index += 1;
            index > reset
        });
    }
    let checks = effective.check();
    effective.problems.extend(checks);
    effective
}

impl EffectiveUnit {
    fn apply(
        &mut self,
        section: &str,
        entry: &Entry,
        origin: Origin,
        resets: &mut HashMap<(String, String), usize>,
    ) {
        match key_kind(&entry.key) {
            KeyKind::List if entry.value().is_empty() => {
                resets.insert((section.to_string(), entry.key.clone()), self.entries.len());
                return;
            }
            KeyKind::Dependency if entry.value().is_empty() => return,
            _ => {}
        }
        self.entries.push(EffectiveEntry {
            section: section.to_string(),
            entry: entry.clone(),
            origin,
        });
    }

    /// All surviving assignments of `key` in `section`, in application order.
    pub fn values<'a>(
        &'a self,
        section: &'a str,
        key: &'a str,
    ) -> impl Iterator<Item = &'a EffectiveEntry> + 'a {
        self.entries
            .iter()
            .filter(move |e| e.section == section && e.entry.key == key)
    }

    /// The last assignment of `key` in `section` (not checked for validity).
    pub fn last(&self, section: &str, key: &str) -> Option<&EffectiveEntry> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.section == section && e.entry.key == key)
    }

    /// True when the unit has a `[Service]` section.
    pub fn is_service(&self) -> bool {
        self.entries.iter().any(|e| e.section == SERVICE)
    }

    /// The last assignment among `keys` in `[Service]` that `parse` accepts; systemd ignores
    /// assignments it cannot parse (and empty ones for these keys), keeping the previous value.
    fn last_valid<T>(
        &self,
        keys: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<Setting<T>> {
        self.entries
            .iter()
            .rev()
            .filter(|e| e.section == SERVICE && keys.contains(&e.entry.key.as_str()))
            .find_map(|e| {
                parse(e.entry.value()).map(|value| Setting {
                    value,
                    key: e.entry.key.clone(),
                    span: e.entry.value_span(),
                    origin: e.origin,
                })
            })
    }

    /// `Type=` as written (see [`EffectiveUnit::effective_service_type`] for the default).
    pub fn service_type(&self) -> Option<Setting<ServiceType>> {
        self.last_valid(&["Type"], ServiceType::parse)
    }

    /// `Type=`, or its default: `dbus` when `BusName=` is set, `oneshot` when there is no
    /// `ExecStart=`, else `simple` (systemd.service(5), `Type=`).
    pub fn effective_service_type(&self) -> ServiceType {
        if let Some(setting) = self.service_type() {
            return setting.value;
        }
        if self
            .last(SERVICE, "BusName")
            .is_some_and(|e| !e.entry.value().is_empty())
        {
            ServiceType::Dbus
        } else if self.values(SERVICE, "ExecStart").next().is_none() {
            ServiceType::Oneshot
        } else {
            ServiceType::Simple
        }
    }

    /// `KillMode=`; `None` means the default, [`KillMode::ControlGroup`] (systemd.kill(5)).
    pub fn kill_mode(&self) -> Option<Setting<KillMode>> {
        self.last_valid(&["KillMode"], KillMode::parse)
    }

    /// `KillSignal=`; `None` means the default, SIGTERM (systemd.kill(5)).
    pub fn kill_signal(&self) -> Option<Setting<Signal>> {
        self.last_valid(&["KillSignal"], Signal::parse)
    }

    /// `FinalKillSignal=`; `None` means the default, SIGKILL (systemd.kill(5)).
    pub fn final_kill_signal(&self) -> Option<Setting<Signal>> {
        self.last_valid(&["FinalKillSignal"], Signal::parse)
    }

    /// `SendSIGKILL=`; `None` means the default, yes (systemd.kill(5)).
    pub fn send_sigkill(&self) -> Option<Setting<bool>> {
        self.last_valid(&["SendSIGKILL"], parse_boolean)
    }

    /// The stop timeout from `TimeoutStopSec=` or `TimeoutSec=` (which sets both start and
    /// stop), whichever valid one was assigned last; `0` means infinity (systemd.service(5)).
    /// `None` means `DefaultTimeoutStopSec=` of the manager (90s unless configured).
    pub fn timeout_stop(&self) -> Option<Setting<TimeSpan>> {
        self.last_valid(&["TimeoutStopSec", "TimeoutSec"], parse_timeout)
    }

    /// The start timeout from `TimeoutStartSec=` or `TimeoutSec=`; `0` means infinity.
    pub fn timeout_start(&self) -> Option<Setting<TimeSpan>> {
        self.last_valid(&["TimeoutStartSec", "TimeoutSec"], parse_timeout)
    }

    /// `Restart=`; `None` means the default, `no`.
    pub fn restart(&self) -> Option<Setting<Restart>> {
        self.last_valid(&["Restart"], Restart::parse)
    }

    /// The commands of a command-line key of `[Service]` (`ExecStart`, `ExecStop`, …), after
    /// resets, in execution order. Lines systemd would ignore or reject contribute the commands
    /// parsed before the fault (see [`parse_exec`]).
    pub fn exec(&self, key: &str) -> Vec<Setting<ExecCommand>> {
        let mut out = Vec::new();
        let _ = self.exec_each(self.values(SERVICE, key), &mut |command| {
            out.push(command);
            ControlFlow::Continue(())
        });
        out
    }

    /// The commands of `entries` handed to `each` one at a time, until it breaks: what the
    /// lowering and the checks need of a command line is one command, whether there is one, or
    /// a few words of each, so none of them holds every command's words (a oneshot unit with
    /// drop-ins of 8 MB of `;`-separated `ExecStart=` commands took gigabytes that way).
    fn exec_each<'a>(
        &self,
        entries: impl Iterator<Item = &'a EffectiveEntry>,
        each: &mut dyn FnMut(Setting<ExecCommand>) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        let mut ignored = Vec::new();
        for e in entries {
            ignored.clear();
            parse_exec_each(&e.entry.value, &mut ignored, &mut |command| {
                each(Setting {
                    span: command.span,
                    value: command,
                    key: e.entry.key.clone(),
                    origin: e.origin,
                })
            })?;
        }
        ControlFlow::Continue(())
    }

    /// Calls `each` with every command of `key`, in execution order (see [`EffectiveUnit::exec`]).
    pub fn for_each_exec(&self, key: &str, each: &mut dyn FnMut(Setting<ExecCommand>)) {
        let _ = self.exec_each(self.values(SERVICE, key), &mut |command| {
            each(command);
            ControlFlow::Continue(())
        });
    }

    /// Command `n` (from 0) of `key`, in execution order.
    pub fn nth_exec(&self, key: &str, n: usize) -> Option<Setting<ExecCommand>> {
        let mut seen = 0;
        let mut found = None;
        let _ = self.exec_each(self.values(SERVICE, key), &mut |command| {
            if seen == n {
                found = Some(command);
                return ControlFlow::Break(());
            }
            seen += 1;
            ControlFlow::Continue(())
        });
        found
    }

    /// The last command of `key`: the one systemd runs last (for `ExecStart=`, the main
    /// process of a oneshot unit with several).
    pub fn last_exec(&self, key: &str) -> Option<Setting<ExecCommand>> {
        let lines = self
            .entries
            .iter()
            .rev()
            .filter(|e| e.section == SERVICE && e.entry.key == key);
        for line in lines {
            let mut last = None;
            let _ = self.exec_each(std::iter::once(line), &mut |command| {
                last = Some(command);
                ControlFlow::Continue(())
            });
            if last.is_some() {
                return last;
            }
        }
        None
    }

    pub fn exec_start(&self) -> Vec<Setting<ExecCommand>> {
        self.exec("ExecStart")
    }

    pub fn exec_stop(&self) -> Vec<Setting<ExecCommand>> {
        self.exec("ExecStop")
    }

    /// `Environment=` assignments in force: one per variable, the last assignment winning,
    /// ordered by where that assignment is.
    pub fn environment(&self) -> Vec<Setting<EnvVar>> {
        let mut all: Vec<Setting<EnvVar>> = Vec::new();
        for e in self.values(SERVICE, "Environment") {
            let (parsed, _) = parse_environment(&e.entry.value);
            for var in parsed {
                all.push(Setting {
                    span: var.span,
                    value: var,
                    key: e.entry.key.clone(),
                    origin: e.origin,
                });
            }
        }
        // The last assignment of each name, in the order of those assignments.
        let mut seen = std::collections::HashSet::new();
        let mut vars: Vec<Setting<EnvVar>> = all
            .into_iter()
            .rev()
            .filter(|v| seen.insert(v.value.name.clone()))
            .collect();
        vars.reverse();
        vars
    }

    /// The value of one `Environment=` variable.
    pub fn env_var(&self, name: &str) -> Option<Setting<EnvVar>> {
        self.environment()
            .into_iter()
            .find(|v| v.value.name == name)
    }

    /// `EnvironmentFile=` entries (recorded only; their contents are not read).
    pub fn environment_files(&self) -> Vec<Setting<EnvironmentFile>> {
        self.values(SERVICE, "EnvironmentFile")
            .map(|e| {
                let value = e.entry.value();
                let (optional, path) = match value.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, value),
                };
                Setting {
                    value: EnvironmentFile {
                        path: path.to_string(),
                        optional,
                    },
                    key: e.entry.key.clone(),
                    span: e.entry.value_span(),
                    origin: e.origin,
                }
            })
            .collect()
    }

    /// Problems in the values of the `[Service]` keys this module understands: unparsable
    /// values (systemd ignores them), bad command lines, and more than one `ExecStart=` command
    /// outside `Type=oneshot` (systemd refuses the unit).
    pub fn check(&self) -> Vec<(Origin, Problem)> {
        let mut problems = Vec::new();
        for e in self.entries.iter().filter(|e| e.section == SERVICE) {
            let value = e.entry.value();
            let span = e.entry.value_span();
            let invalid = |what: &str| {
                (
                    e.origin,
                    Problem::warning(
                        format!(
                            "{}={}: {what}; systemd ignores this assignment",
                            e.entry.key,
                            shorten(value)
                        ),
                        if value.is_empty() { e.entry.span } else { span },
                    ),
                )
            };
            match e.entry.key.as_str() {
                "Type" if ServiceType::parse(value).is_none() => {
                    problems.push(invalid("unknown service type"))
                }
                "KillMode" if KillMode::parse(value).is_none() => {
                    problems.push(invalid("unknown kill mode"))
                }
                "KillSignal" | "FinalKillSignal" | "RestartKillSignal" | "WatchdogSignal"
                | "ReloadSignal"
                    if Signal::parse(value).is_none() =>
                {
                    problems.push(invalid("unknown signal"))
                }
                "SendSIGKILL" | "SendSIGHUP" if parse_boolean(value).is_none() => {
                    problems.push(invalid("not a boolean"))
                }
                "TimeoutStopSec" | "TimeoutStartSec" | "TimeoutSec" | "TimeoutAbortSec"
                | "RestartSec"
                    if parse_timespan(value).is_none()
                        && !(e.entry.key == "TimeoutAbortSec" && value.is_empty()) =>
                {
                    problems.push(invalid("not a time span"))
                }
                "Restart" if Restart::parse(value).is_none() => {
                    problems.push(invalid("unknown restart setting"))
                }
                "Environment" => {
                    let (_, env_problems) = parse_environment(&e.entry.value);
                    problems.extend(env_problems.into_iter().map(|p| (e.origin, p)));
                }
                key if EXEC_KEYS.contains(&key) => {
                    let mut exec_problems = Vec::new();
                    let _ = parse_exec_each(&e.entry.value, &mut exec_problems, &mut |_| {
                        ControlFlow::Continue(())
                    });
                    problems.extend(exec_problems.into_iter().map(|p| (e.origin, p)));
                }
                _ => {}
            }
        }
        for e in &self.entries {
            let key = e.entry.key.as_str();
            let home = if e.section == SERVICE
                && (UNIT_SECTION_KEYS.contains(&key)
                    || key.starts_with("Condition")
                    || key.starts_with("Assert")
                    || [
                        "WantedBy",
                        "RequiredBy",
                        "UpheldBy",
                        "Also",
                        "Alias",
                        "DefaultInstance",
                    ]
                    .contains(&key))
            {
                Some(
                    if key.ends_with("By") || ["Also", "Alias", "DefaultInstance"].contains(&key) {
                        "[Install]"
                    } else {
                        "[Unit]"
                    },
                )
            } else if (e.section == "Unit" || e.section == "Install")
                && SERVICE_KEYS_READ.contains(&key)
            {
                Some("[Service]")
            } else {
                None
            };
            if let Some(home) = home {
                problems.push((
                    e.origin,
                    Problem::warning(
                        format!(
                            "{key}= belongs in {home}, not [{}]; systemd ignores it here",
                            e.section
                        ),
                        e.entry.key_span,
                    ),
                ));
            }
        }
        let has_service_section = self.is_service();
        if has_service_section
            && self.nth_exec("ExecStart", 0).is_none()
            && self.nth_exec("ExecStop", 0).is_none()
            && self.last("Unit", "SuccessAction").is_none()
        {
            if let Some(first) = self.entries.iter().find(|e| e.section == SERVICE) {
                problems.push((
                    first.origin,
                    Problem::error(
                        "service has no ExecStart=, ExecStop= or SuccessAction=; systemd refuses it",
                        first.entry.span,
                    ),
                ));
            }
        }
        if has_service_section && self.effective_service_type() != ServiceType::Oneshot {
            if let Some(second) = self.nth_exec("ExecStart", 1) {
                problems.push((
                    second.origin,
                    Problem::error(
                        "more than one ExecStart= command is only allowed for Type=oneshot; \
                         systemd refuses to start this service (reset the list with an empty \
                         `ExecStart=` first in a drop-in)",
                        second.span,
                    ),
                ));
            }
        }
        problems
    }
}

/// The section of a service unit's own settings.
pub const SERVICE: &str = "Service";

/// `[Unit]` keys (systemd.unit(5), "[Unit] Section Options"), minus Condition*/Assert* and the
/// compatibility aliases systemd still accepts in `[Service]` (FailureAction, StartLimitBurst,
/// StartLimitAction, RebootArgument; checked with systemd-analyze verify, systemd 252).
const UNIT_SECTION_KEYS: &[&str] = &[
    "Description",
    "Documentation",
    "Wants",
    "Requires",
    "Requisite",
    "BindsTo",
    "PartOf",
    "Upholds",
    "Conflicts",
    "Before",
    "After",
    "OnFailure",
    "OnSuccess",
    "PropagatesReloadTo",
    "ReloadPropagatedFrom",
    "PropagatesStopTo",
    "StopPropagatedFrom",
    "JoinsNamespaceOf",
    "RequiresMountsFor",
    "WantsMountsFor",
    "OnFailureJobMode",
    "IgnoreOnIsolate",
    "StopWhenUnneeded",
    "RefuseManualStart",
    "RefuseManualStop",
    "AllowIsolate",
    "DefaultDependencies",
    "CollectMode",
    "SuccessAction",
    "FailureActionExitStatus",
    "SuccessActionExitStatus",
    "JobTimeoutSec",
    "JobRunningTimeoutSec",
    "JobTimeoutAction",
    "JobTimeoutRebootArgument",
    "StartLimitIntervalSec",
    "SourcePath",
];

/// The `[Service]` keys this module interprets; outside `[Service]` systemd ignores them.
const SERVICE_KEYS_READ: &[&str] = &[
    "Type",
    "KillMode",
    "KillSignal",
    "FinalKillSignal",
    "SendSIGKILL",
    "TimeoutStopSec",
    "TimeoutStartSec",
    "TimeoutSec",
    "Restart",
    "Environment",
    "EnvironmentFile",
    "ExecCondition",
    "ExecStartPre",
    "ExecStart",
    "ExecStartPost",
    "ExecReload",
    "ExecStop",
    "ExecStopPost",
];

/// The command-line keys of systemd.service(5), section COMMAND LINES.
pub const EXEC_KEYS: &[&str] = &[
    "ExecCondition",
    "ExecStartPre",
    "ExecStart",
    "ExecStartPost",
    "ExecReload",
    "ExecStop",
    "ExecStopPost",
];

// ---------------------------------------------------------------------------------------------
// Typed values
// ---------------------------------------------------------------------------------------------

/// A typed value with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting<T> {
    pub value: T,
    /// The key that set it (`TimeoutSec` for a stop timeout set through the shorthand).
    pub key: String,
    /// Source span of the value (of the command, for command lines).
    pub span: Span,
    pub origin: Origin,
}

/// `Type=` (systemd.service(5)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceType {
    Simple,
    Exec,
    Forking,
    Oneshot,
    Dbus,
    Notify,
    NotifyReload,
    Idle,
}

impl ServiceType {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "simple" => ServiceType::Simple,
            "exec" => ServiceType::Exec,
            "forking" => ServiceType::Forking,
            "oneshot" => ServiceType::Oneshot,
            "dbus" => ServiceType::Dbus,
            "notify" => ServiceType::Notify,
            "notify-reload" => ServiceType::NotifyReload,
            "idle" => ServiceType::Idle,
            _ => return None,
        })
    }
}

/// `KillMode=` (systemd.kill(5)); the default is `control-group`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KillMode {
    #[default]
    ControlGroup,
    Mixed,
    Process,
    None,
}

impl KillMode {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "control-group" => KillMode::ControlGroup,
            "mixed" => KillMode::Mixed,
            "process" => KillMode::Process,
            "none" => KillMode::None,
            _ => return None,
        })
    }

    /// True when the stop signal reaches only the main process (or nothing): a shell at the
    /// top of `ExecStart=` then keeps its children from seeing SIGTERM.
    pub fn signals_main_process_only(self) -> bool {
        matches!(self, KillMode::Process | KillMode::None)
    }
}

/// `Restart=` (systemd.service(5)); the default is `no`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Restart {
    #[default]
    No,
    OnSuccess,
    OnFailure,
    OnAbnormal,
    OnWatchdog,
    OnAbort,
    Always,
}

impl Restart {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "no" => Restart::No,
            "on-success" => Restart::OnSuccess,
            "on-failure" => Restart::OnFailure,
            "on-abnormal" => Restart::OnAbnormal,
            "on-watchdog" => Restart::OnWatchdog,
            "on-abort" => Restart::OnAbort,
            "always" => Restart::Always,
            _ => return None,
        })
    }
}

/// A signal as systemd's `signal_from_string()` reads it: a number (1–64), a name with or
/// without `SIG` (`SIGTERM`, `TERM`; case-sensitive), or `RTMIN`, `RTMIN+n`, `RTMAX`, `RTMAX-n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signal {
    /// Linux signal number (x86-64/arm64 numbering; SIGRTMIN is 34 as glibc reports it).
    pub number: u8,
}

const SIGNAL_NAMES: &[(&str, u8)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("PWR", 30),
    ("SYS", 31),
];
const SIGRTMIN: u8 = 34;
const SIGRTMAX: u8 = 64;

impl Signal {
    pub const TERM: Signal = Signal { number: 15 };
    pub const KILL: Signal = Signal { number: 9 };
    pub const INT: Signal = Signal { number: 2 };
    pub const QUIT: Signal = Signal { number: 3 };

    pub fn parse(s: &str) -> Option<Self> {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            let n: u32 = s.parse().ok()?;
            return (1..=u32::from(SIGRTMAX))
                .contains(&n)
                .then_some(Signal { number: n as u8 });
        }
        let name = s.strip_prefix("SIG").unwrap_or(s);
        if let Some((_, n)) = SIGNAL_NAMES.iter().find(|(n, _)| *n == name) {
            return Some(Signal { number: *n });
        }
        let offset = |rest: &str, sign: char| -> Option<u8> {
            if rest.is_empty() {
                return Some(0);
            }
            let digits = rest.strip_prefix(sign)?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let n: u8 = digits.parse().ok()?;
            (n <= SIGRTMAX - SIGRTMIN).then_some(n)
        };
        if let Some(rest) = name.strip_prefix("RTMIN") {
            return offset(rest, '+').map(|n| Signal {
                number: SIGRTMIN + n,
            });
        }
        if let Some(rest) = name.strip_prefix("RTMAX") {
            return offset(rest, '-').map(|n| Signal {
                number: SIGRTMAX - n,
            });
        }
        None
    }

    /// `SIGTERM`, `SIGRTMIN+3`, or the number for an unnamed one.
    pub fn name(self) -> String {
        if let Some((name, _)) = SIGNAL_NAMES.iter().find(|(_, n)| *n == self.number) {
            format!("SIG{name}")
        } else if self.number >= SIGRTMIN && self.number <= SIGRTMAX {
            format!("SIGRTMIN+{}", self.number - SIGRTMIN)
        } else {
            self.number.to_string()
        }
    }
}

/// systemd's `parse_boolean()`: 1/yes/y/true/t/on and 0/no/n/false/f/off, any case
/// (systemd.syntax(7) lists 1, yes, true, on / 0, no, false, off).
pub fn parse_boolean(s: &str) -> Option<bool> {
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        "1" | "yes" | "y" | "true" | "t" | "on" => Some(true),
        "0" | "no" | "n" | "false" | "f" | "off" => Some(false),
        _ => None,
    }
}

/// A time span from a unit file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimeSpan {
    Micros(u64),
    Infinity,
}

impl TimeSpan {
    /// Seconds, or `None` for infinity.
    pub fn as_secs_f64(self) -> Option<f64> {
        match self {
            TimeSpan::Micros(us) => Some(us as f64 / 1_000_000.0),
            TimeSpan::Infinity => None,
        }
    }
}

const USEC_PER_SEC: u64 = 1_000_000;
/// Unit suffixes in the order systemd's `extract_multiplier()` tries them (first prefix match
/// wins, so `ms` is seen before `m`); values in microseconds. systemd.time(7), "PARSING TIME SPANS".
const TIME_UNITS: &[(&str, u64)] = &[
    ("seconds", USEC_PER_SEC),
    ("second", USEC_PER_SEC),
    ("sec", USEC_PER_SEC),
    ("s", USEC_PER_SEC),
    ("minutes", 60 * USEC_PER_SEC),
    ("minute", 60 * USEC_PER_SEC),
    ("min", 60 * USEC_PER_SEC),
    ("months", 2_629_800 * USEC_PER_SEC),
    ("month", 2_629_800 * USEC_PER_SEC),
    ("M", 2_629_800 * USEC_PER_SEC),
    ("msec", 1_000),
    ("ms", 1_000),
    ("m", 60 * USEC_PER_SEC),
    ("hours", 3_600 * USEC_PER_SEC),
    ("hour", 3_600 * USEC_PER_SEC),
    ("hr", 3_600 * USEC_PER_SEC),
    ("h", 3_600 * USEC_PER_SEC),
    ("days", 86_400 * USEC_PER_SEC),
    ("day", 86_400 * USEC_PER_SEC),
    ("d", 86_400 * USEC_PER_SEC),
    ("weeks", 604_800 * USEC_PER_SEC),
    ("week", 604_800 * USEC_PER_SEC),
    ("w", 604_800 * USEC_PER_SEC),
    ("years", 31_557_600 * USEC_PER_SEC),
    ("year", 31_557_600 * USEC_PER_SEC),
    ("y", 31_557_600 * USEC_PER_SEC),
    ("usec", 1),
    ("us", 1),
    ("\u{3bc}s", 1),
    ("\u{b5}s", 1),
];

/// systemd's `parse_sec()`: `90`, `90s`, `5min`, `1min 30s`, `1min30s`, `2 h`, `1.5s`,
/// `500ms`, `infinity`. A bare number is seconds; components add up.
pub fn parse_timespan(s: &str) -> Option<TimeSpan> {
    let mut p = s.trim_start_matches(WHITESPACE);
    if let Some(rest) = p.strip_prefix("infinity") {
        return rest.chars().all(is_ws).then_some(TimeSpan::Infinity);
    }
    let mut total: u64 = 0;
    let mut something = false;
    loop {
        p = p.trim_start_matches(WHITESPACE);
        if p.is_empty() {
            return something.then_some(TimeSpan::Micros(total));
        }
        let unsigned = p.strip_prefix('+').unwrap_or(p);
        if unsigned.starts_with('-') || p.starts_with('-') {
            return None;
        }
        let int_len = unsigned.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = unsigned.get(..int_len).unwrap_or("");
        let mut rest = unsigned.get(int_len..).unwrap_or("");
        let mut frac_part = "";
        if let Some(after_dot) = rest.strip_prefix('.') {
            let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = after_dot.get(..frac_len).unwrap_or("");
            rest = after_dot.get(frac_len..).unwrap_or("");
            if frac_part.is_empty() {
                return None;
            }
        } else if int_len == 0 {
            return None;
        }
        let after_ws = rest.trim_start_matches(WHITESPACE);
        let (multiplier, after_unit) =
            match TIME_UNITS.iter().find(|(u, _)| after_ws.starts_with(u)) {
                Some((unit, m)) => (*m, after_ws.get(unit.len()..).unwrap_or("")),
                None if after_ws.len() == rest.len() && !rest.is_empty() => return None,
                None => (USEC_PER_SEC, after_ws),
            };
        let int_value: u64 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().ok()?
        };
        total = total.checked_add(int_value.checked_mul(multiplier)?)?;
        let mut m = multiplier / 10;
        for digit in frac_part.bytes() {
            total = total.checked_add(u64::from(digit - b'0') * m)?;
            m /= 10;
        }
        if total == u64::MAX {
            return None;
        }
        something = true;
        p = after_unit;
    }
}

/// Timeout keys: like [`parse_timespan`] but `0` means infinity ("Traditionally, these options
/// accepted 0 to disable the timeouts", systemd's `parse_sec_fix_0()`; systemd.service(5) older
/// editions: "Pass 0 to disable the timeout logic").
fn parse_timeout(s: &str) -> Option<TimeSpan> {
    match parse_timespan(s)? {
        TimeSpan::Micros(0) => Some(TimeSpan::Infinity),
        other => Some(other),
    }
}

/// One `Environment=` variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar {
    pub name: String,
    /// Unquoted, unescaped value mapped to the source.
    pub value: MappedText,
    /// Source span of the whole `NAME=value` word, quotes included.
    pub span: Span,
}

/// One `EnvironmentFile=` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentFile {
    pub path: String,
    /// Written with a leading `-`: a missing file is not an error.
    pub optional: bool,
}

fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Split an `Environment=` value (`"A=1 2" B=2`) into variables; systemd.exec(5),
/// `Environment=`: words are unquoted with the rules of systemd.syntax(7) QUOTING, and each must
/// be a `NAME=value` assignment.
pub fn parse_environment(value: &MappedText) -> (Vec<EnvVar>, Vec<Problem>) {
    let mut vars = Vec::new();
    let mut problems = Vec::new();
    let mut lexer = Lexer::new(value);
    loop {
        lexer.skip_ws();
        match lexer.word(&mut problems) {
            Ok(None) => break,
            Err(span) => {
                problems.push(Problem::warning(
                    "unbalanced quoting in Environment=; systemd ignores the rest of the line",
                    span,
                ));
                break;
            }
            Ok(Some(word)) => {
                let text = word.value.as_str();
                match text.find('=') {
                    Some(eq) if is_env_name(text.get(..eq).unwrap_or("")) => vars.push(EnvVar {
                        name: text.get(..eq).unwrap_or("").to_string(),
                        value: word.value.sub(Span::new(eq + 1, text.len())),
                        span: word.span,
                    }),
                    _ => problems.push(Problem::warning(
                        format!(
                            "invalid environment assignment `{}`; systemd ignores it",
                            shorten(text)
                        ),
                        word.span,
                    )),
                }
            }
        }
    }
    (vars, problems)
}

// ---------------------------------------------------------------------------------------------
// Command lines
// ---------------------------------------------------------------------------------------------

/// A word of a command line: its decoded value (quotes removed, escapes decoded) mapped to the
/// source, and the source span of the word as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    pub value: MappedText,
    pub span: Span,
}

impl Word {
    pub fn as_str(&self) -> &str {
        self.value.as_str()
    }
}

/// The special executable prefixes (systemd.service(5), COMMAND LINES, "Special executable
/// prefixes").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecPrefix {
    /// `-`: a failing exit status is ignored.
    pub ignore_failure: bool,
    /// `@`: the second word is passed as argv[0].
    pub argv0: bool,
    /// `:`: no environment variable substitution.
    pub no_env_expand: bool,
    /// `+`: full privileges.
    pub full_privileges: bool,
    /// `!`: no user/group credential change.
    pub no_setuid: bool,
    /// `!!`: like `!` only without ambient capabilities (older systemd; dropped from the
    /// current manual).
    pub ambient_fallback: bool,
    /// `|` (systemd 258+): run through the default shell of `User=` with `-c`; a lone `|`
    /// starts that shell. The shell is unknown from the unit file.
    pub via_user_shell: bool,
}

/// One command of a command-line setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecCommand {
    pub prefix: ExecPrefix,
    /// The prefix characters (empty span when there are none).
    pub prefix_span: Span,
    /// The executable as written, prefixes removed (`/bin/sh`, `sh`, or empty for a lone `|`).
    pub path: Word,
    /// The argument vector the process gets: argv[0] is `path` unless `@` is used.
    pub argv: Vec<Word>,
    /// From the first character of the prefix to the end of the last word.
    pub span: Span,
    /// Set when the executable is a shell run with `-c`.
    pub shell: Option<ShellCommand>,
}

impl ExecCommand {
    /// Base name of the executable (`/usr/bin/node` → `node`).
    pub fn program(&self) -> &str {
        basename(self.path.as_str())
    }
}

/// `sh -c 'payload' …` found in a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellCommand {
    /// Base name of the shell (`sh`, `bash`, `dash`, …).
    pub shell: String,
    /// `-l`/`--login` was given (`bash -lc`).
    pub login: bool,
    /// Index of the payload in [`ExecCommand::argv`].
    pub payload_index: usize,
    /// The script text as the shell receives it, mapped to the unit file.
    pub payload: MappedText,
    /// Source span of the payload word, quotes included.
    pub payload_span: Span,
}

const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "yash", "busybox",
];

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Split a command-line value into commands the way systemd's `config_parse_exec()` does:
/// words are unquoted and unescaped (systemd.syntax(7), QUOTING: quotes may start anywhere in a
/// word, C escapes are decoded, an unknown escape is kept verbatim with a warning); a lone
/// unquoted `;` separates commands and `\;` is a literal `;` argument; each command's first word
/// carries the prefixes. `$VAR`, `${VAR}` and `%` specifiers are left as written.
///
/// Unbalanced quotes or an empty or invalid executable make systemd reject the setting
/// ("bad-setting", an [`Severity::Error`]) unless the command has the `-` prefix, in which case
/// it only ignores the rest of the line (a warning). Commands parsed before the fault are
/// returned.
pub fn parse_exec(value: &MappedText) -> (Vec<ExecCommand>, Vec<Problem>) {
    let mut commands = Vec::new();
    let mut problems = Vec::new();
    let _ = parse_exec_each(value, &mut problems, &mut |command| {
        commands.push(command);
        ControlFlow::Continue(())
    });
    (commands, problems)
}

/// [`parse_exec`] handing each command to `each` as it is read instead of collecting them, and
/// stopping when `each` breaks (the problems then cover the line up to there): a line just
/// under 1 MiB of `;`-separated commands holds ~90,000 of them, and what most callers need of a
/// line is one command or none (the last `ExecStart=`, whether there is a second).
pub fn parse_exec_each(
    value: &MappedText,
    problems: &mut Vec<Problem>,
    each: &mut dyn FnMut(ExecCommand) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut lexer = Lexer::new(value);
    loop {
        lexer.skip_ws();
        let first = match lexer.word(problems) {
            Ok(Some(word)) => word,
            Ok(None) => break,
            Err(span) => {
                problems.push(Problem::warning(
                    "unbalanced quoting in the executable; systemd ignores the rest of this line",
                    span,
                ));
                break;
            }
        };
        if first.as_str() == ";" {
            continue;
        }
        let (prefix, prefix_len) = parse_prefix(first.as_str());
        let severity = if prefix.ignore_failure {
            Severity::Warning
        } else {
            Severity::Error
        };
        let consequence = if prefix.ignore_failure {
            "systemd ignores this command line (prefix `-`)"
        } else {
            "systemd refuses to start the unit (bad-setting)"
        };
        let path_start = first
            .value
            .source_span(Span::empty(prefix_len))
            .start
            .min(first.span.end);
        let path = Word {
            value: first.value.sub(Span::new(prefix_len, first.as_str().len())),
            span: Span::new(path_start, first.span.end),
        };
        let prefix_span = first.value.source_span(Span::new(0, prefix_len));
        let mut args = Vec::new();
        // Past `MAX_COMMAND_WORDS` arguments the words are still read (for their quoting) but
        // not kept: a command is judged by its first words, and an 8 MB line of them would
        // take gigabytes as words.
        let mut last_span = None;
        let mut separator = false;
        let mut failed = false;
        loop {
            lexer.skip_ws();
            if lexer.at_end() {
                break;
            }
            if lexer.lone(";") {
                lexer.advance(1);
                separator = true;
                break;
            }
            if lexer.lone("\\;") {
                let start = lexer.pos;
                lexer.advance(2);
                let span = value.source_span(Span::new(start, start + 2));
                if args.len() < crate::model::MAX_COMMAND_WORDS {
                    let mut b = MappedText::builder();
                    b.push_char(';', span);
                    args.push(Word {
                        value: b.finish(),
                        span,
                    });
                } else {
                    last_span = Some(span);
                }
                continue;
            }
            match lexer.word(problems) {
                Ok(Some(word)) if args.len() < crate::model::MAX_COMMAND_WORDS => args.push(word),
                Ok(Some(word)) => last_span = Some(word.span),
                Ok(None) => break,
                Err(span) => {
                    problems.push(Problem {
                        severity,
                        message: format!("unbalanced quoting in command line; {consequence}"),
                        span,
                    });
                    failed = true;
                    break;
                }
            }
        }
        if failed {
            break;
        }
        let span = last_span
            .or(args.last().map(|w| w.span))
            .map_or(first.span, |last| first.span.join(last));
        let path_text = path.as_str();
        let fault = if path_text.is_empty() && !prefix.via_user_shell {
            Some("empty executable path".to_string())
        } else if path_text.ends_with('/') {
            Some(format!(
                "executable path `{}` is a directory",
                shorten(path_text)
            ))
        } else if !path_text.starts_with('/') && path_text.contains('/') {
            Some(format!(
                "executable `{}` is neither an absolute path nor a plain file name",
                shorten(path_text)
            ))
        } else if path_text.chars().any(char::is_control) {
            Some("executable name contains control characters".to_string())
        } else if prefix.argv0 && args.is_empty() {
            Some("`@` prefix without an argv[0] word".to_string())
        } else {
            None
        };
        if let Some(fault) = fault {
            problems.push(Problem {
                severity,
                message: format!("{fault}; {consequence}"),
                span: first.span,
            });
            break;
        }
        let mut argv = Vec::with_capacity(args.len() + 1);
        if !prefix.argv0 {
            argv.push(path.clone());
        }
        argv.extend(args);
        let shell = detect_shell(&path, &argv);
        each(ExecCommand {
            prefix,
            prefix_span,
            path,
            argv,
            span,
            shell,
        })?;
        if !separator {
            break;
        }
    }
    ControlFlow::Continue(())
}

/// Read the prefix characters like systemd's loop: each of `-`, `@`, `:`, `|` at most once, one
/// of `+`, `!`, `!!`.
fn parse_prefix(word: &str) -> (ExecPrefix, usize) {
    let mut p = ExecPrefix::default();
    let mut len = 0;
    for c in word.chars() {
        let privileged = p.full_privileges || p.no_setuid || p.ambient_fallback;
        match c {
            '-' if !p.ignore_failure => p.ignore_failure = true,
            '@' if !p.argv0 => p.argv0 = true,
            ':' if !p.no_env_expand => p.no_env_expand = true,
            '|' if !p.via_user_shell => p.via_user_shell = true,
            '+' if !privileged => p.full_privileges = true,
            '!' if !privileged => p.no_setuid = true,
            '!' if p.no_setuid && !p.full_privileges && !p.ambient_fallback => {
                p.no_setuid = false;
                p.ambient_fallback = true;
            }
            _ => break,
        }
        len += c.len_utf8();
    }
    (p, len)
}

/// Find `sh -c PAYLOAD` (also through `env` and `busybox sh`).
fn detect_shell(path: &Word, argv: &[Word]) -> Option<ShellCommand> {
    // words[0] is the executable, words[i] for i >= 1 is argv[i].
    let word = |i: usize| -> Option<&str> {
        if i == 0 {
            Some(path.as_str())
        } else {
            argv.get(i).map(Word::as_str)
        }
    };
    let mut i = 0;
    if basename(word(0)?) == "env" {
        i = 1;
        while let Some(w) = word(i) {
            if w == "-u" || w == "--unset" || w == "-C" || w == "--chdir" {
                i += 2;
            } else if w.starts_with('-')
                || (w.contains('=') && is_env_name(w.split('=').next().unwrap_or("")))
            {
                i += 1;
            } else {
                break;
            }
        }
    }
    let mut shell = basename(word(i)?);
    if shell == "busybox" {
        i += 1;
        shell = basename(word(i)?);
    }
    if !SHELLS.contains(&shell) || shell == "busybox" {
        return None;
    }
    let shell = shell.to_string();
    let mut saw_c = false;
    let mut login = false;
    i += 1;
    while let Some(w) = word(i) {
        if w == "--" {
            i += 1;
            break;
        }
        if w == "--login" || w == "-l" {
            login = true;
        } else if w == "-o" || w == "+o" || w == "-O" || w == "+O" {
            i += 1;
        } else if w.starts_with("--") {
            // long options like --norc, --noprofile
        } else if (w.starts_with('-') || w.starts_with('+')) && w.len() > 1 {
            if w.starts_with('-') && w.contains('c') {
                saw_c = true;
            }
            if w.starts_with('-') && w.contains('l') {
                login = true;
            }
        } else {
            break;
        }
        i += 1;
    }
    if !saw_c {
        return None;
    }
    let payload = argv.get(i)?;
    Some(ShellCommand {
        shell,
        login,
        payload_index: i,
        payload: payload.value.clone(),
        payload_span: payload.span,
    })
}

/// Word splitter with systemd's `extract_first_word(EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE)` rules,
/// in the relaxed-escape mode systemd retries with (unknown escapes kept verbatim).
struct Lexer<'a> {
    source: &'a MappedText,
    text: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(source: &'a MappedText) -> Self {
        Lexer {
            source,
            text: source.as_str(),
            pos: 0,
        }
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.text.len());
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start_matches(WHITESPACE).len();
    }

    /// `token` followed by whitespace or the end.
    fn lone(&self, token: &str) -> bool {
        self.rest()
            .strip_prefix(token)
            .is_some_and(|after| after.is_empty() || after.starts_with(is_ws))
    }

    fn src(&self, start: usize, end: usize) -> Span {
        self.source.source_span(Span::new(start, end))
    }

    /// The next word, `Ok(None)` at the end, `Err(span)` for unbalanced quotes (or a trailing
    /// backslash inside quotes). Unknown escapes add a warning to `problems`.
    fn word(&mut self, problems: &mut Vec<Problem>) -> Result<Option<Word>, Span> {
        self.skip_ws();
        if self.at_end() {
            return Ok(None);
        }
        let start = self.pos;
        let mut out = MappedText::builder();
        let mut quote: Option<char> = None;
        let mut quote_start = start;
        loop {
            let rest = self.rest();
            let Some(c) = rest.chars().next() else {
                if quote.is_some() {
                    return Err(self.src(quote_start, self.pos));
                }
                break;
            };
            let here = self.pos;
            match (quote, c) {
                (None, c) if is_ws(c) => break,
                (None, '"' | '\'') => {
                    quote = Some(c);
                    quote_start = here;
                    self.advance(1);
                }
                (Some(q), c) if c == q => {
                    quote = None;
                    self.advance(1);
                }
                (_, '\\') => {
                    let after = rest.get(1..).unwrap_or("");
                    if after.is_empty() {
                        if quote.is_some() {
                            return Err(self.src(quote_start, self.pos + 1));
                        }
                        out.push_char('\\', self.src(here, here + 1));
                        self.advance(1);
                        continue;
                    }
                    match unescape(after) {
                        Some((decoded, len)) => {
                            out.push_char(decoded, self.src(here, here + 1 + len));
                            self.advance(1 + len);
                        }
                        None => {
                            let next_len = after.chars().next().map_or(1, char::len_utf8);
                            let span = self.src(here, here + 1 + next_len);
                            problems.push(Problem::warning(
                                format!(
                                    "unknown escape sequence `\\{}`; systemd keeps it verbatim",
                                    after.get(..next_len).unwrap_or("")
                                ),
                                span,
                            ));
                            out.push_char('\\', self.src(here, here + 1));
                            self.advance(1);
                            if let Some(next) = after.chars().next() {
                                out.push_char(next, self.src(here + 1, here + 1 + next_len));
                                self.advance(next_len);
                            }
                        }
                    }
                }
                (_, c) => {
                    let len = c.len_utf8();
                    out.push_char(c, self.src(here, here + len));
                    self.advance(len);
                }
            }
        }
        let span = self.src(start, self.pos);
        out.set_end(span.end);
        Ok(Some(Word {
            value: out.finish(),
            span,
        }))
    }
}

/// systemd's `cunescape_one()` on the text after a backslash: the decoded char and how many
/// bytes it used. systemd.syntax(7), "Supported escapes".
fn unescape(after: &str) -> Option<(char, usize)> {
    let bytes = after.as_bytes();
    let hex = |n: usize| -> Option<u32> {
        let digits = after.get(1..1 + n)?;
        if digits.len() != n || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    };
    let simple = |c: char| Some((c, 1));
    match *bytes.first()? {
        b'a' => simple('\u{7}'),
        b'b' => simple('\u{8}'),
        b'f' => simple('\u{c}'),
        b'n' => simple('\n'),
        b'r' => simple('\r'),
        b't' => simple('\t'),
        b'v' => simple('\u{b}'),
        b'\\' => simple('\\'),
        b'"' => simple('"'),
        b'\'' => simple('\''),
        b's' => simple(' '),
        b'x' => {
            let v = hex(2)?;
            (v != 0).then(|| char::from_u32(v).map(|c| (c, 3)))?
        }
        b'u' => {
            let v = hex(4)?;
            (v != 0).then(|| char::from_u32(v).map(|c| (c, 5)))?
        }
        b'U' => {
            let v = hex(8)?;
            (v != 0).then(|| char::from_u32(v).map(|c| (c, 9)))?
        }
        b'0'..=b'7' => {
            let digits = after.get(..3)?;
            if !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
                return None;
            }
            let v = u32::from_str_radix(digits, 8).ok()?;
            (v != 0 && v < 256).then(|| char::from_u32(v).map(|c| (c, 3)))?
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(text: &str) -> EffectiveUnit {
        merge(&parse(text), &[])
    }

    fn slice(text: &str, span: Span) -> &str {
        span.slice(text)
    }

    #[test]
    fn sections_keys_and_trimming() {
        let text = "[Unit]\nDescription = My app \n\n[Service]\nExecStart=/usr/bin/app\n";
        let unit = parse(text);
        assert!(unit.problems.is_empty(), "{:?}", unit.problems);
        assert_eq!(unit.sections.len(), 2);
        let d = unit
            .entries("Unit", "Description")
            .next()
            .expect("description");
        assert_eq!(d.key, "Description");
        assert_eq!(d.value(), "My app");
        assert_eq!(slice(text, d.value_span()), "My app");
        assert_eq!(slice(text, d.key_span), "Description");
        assert_eq!(slice(text, d.span), "Description = My app");
    }

    #[test]
    fn comments_only_at_line_start() {
        let text = "# c1\n; c2\n   # indented comment\n[Service]\nExecStart=/bin/echo # not a comment ; x\n";
        let unit = parse(text);
        assert!(unit.problems.is_empty());
        let e = unit.entries("Service", "ExecStart").next().expect("exec");
        assert_eq!(e.value(), "/bin/echo # not a comment ; x");
    }

    #[test]
    fn continuation_with_comment_lines_inside() {
        let text = "[Section C]\nKeyThree=value 3\\\n# this line is ignored\n; this line is ignored too\n       value 3 continued\n";
        let unit = parse(text);
        let e = unit.entries("Section C", "KeyThree").next().expect("key");
        assert_eq!(e.value(), "value 3        value 3 continued");
        // The space that replaced the backslash maps back to the backslash.
        let bs = e.value.source_span(Span::new(7, 8));
        assert_eq!(slice(text, bs), "\\");
        // The continued part maps to the right place.
        let cont = e.value.source_span(Span::new(15, 32));
        assert_eq!(slice(text, cont), "value 3 continued");
        assert_eq!(slice(text, e.span).lines().count(), 4);
    }

    #[test]
    fn blank_line_ends_continuation_and_escaped_backslash_does_not_continue() {
        let text = "[S]\nA=one \\\n\nB=x\\\\\nC=y\n";
        let unit = parse(text);
        let a = unit.entries("S", "A").next().expect("a");
        assert_eq!(a.value(), "one");
        assert_eq!(unit.entries("S", "B").next().expect("b").value(), "x\\\\");
        assert_eq!(unit.entries("S", "C").next().expect("c").value(), "y");
    }

    #[test]
    fn continuation_at_eof() {
        let text = "[S]\nA=one \\";
        let unit = parse(text);
        assert_eq!(unit.entries("S", "A").next().expect("a").value(), "one");
    }

    /// systemd refuses a file with a line, or a line joined from continuations, longer than
    /// LONG_LINE_MAX (1 MiB): comment lines count on their own, not in a continuation.
    #[test]
    fn lines_longer_than_systemds_limit() {
        let value = |n: usize| format!("[Service]\nExecStart=/bin/echo {}\n", "a".repeat(n));
        let fits = value(LONG_LINE_MAX - "ExecStart=/bin/echo ".len());
        assert!(parse(&fits).problems.is_empty());
        let over = value(LONG_LINE_MAX - "ExecStart=/bin/echo ".len() + 1);
        let unit = parse(&over);
        let [problem] = unit.problems.as_slice() else {
            panic!("{:?}", unit.problems);
        };
        assert_eq!(problem.severity, Severity::Error);
        assert!(problem.message.starts_with("line longer than 1 MiB"));
        assert_eq!(problem.span, Span::new(10, over.len() - 1));
        let comment = format!("[Service]\n#{}\nType=simple\n", "a".repeat(LONG_LINE_MAX));
        assert_eq!(parse(&comment).problems.len(), 1);
        let half = "a".repeat(LONG_LINE_MAX / 2);
        let joined = format!("[Service]\nExecStart=/bin/echo {half} \\\n# {half}\n{half}\n");
        let unit = parse(&joined);
        let [problem] = unit.problems.as_slice() else {
            panic!("{:?}", unit.problems);
        };
        assert!(problem
            .message
            .starts_with("continued line longer than 1 MiB"));
        assert_eq!(slice(&joined, problem.span), half);
        // The comment line inside the continuation does not count.
        let short = format!("[Service]\nExecStart=/bin/echo \\\n# {half}\n# {half}\n{half}\n");
        assert!(parse(&short).problems.is_empty());
    }

    #[test]
    fn crlf_and_lone_cr_and_bom() {
        let text = "\u{feff}[Service]\r\nKillSignal=SIGINT\r\nType=simple\rRestart=always";
        let unit = parse(text);
        assert!(unit.problems.is_empty(), "{:?}", unit.problems);
        let e = unit.entries("Service", "KillSignal").next().expect("sig");
        assert_eq!(slice(text, e.value_span()), "SIGINT");
        assert_eq!(
            unit.entries("Service", "Restart")
                .next()
                .expect("r")
                .value(),
            "always"
        );
        assert_eq!(unit.sections[0].name, "Service");
    }

    #[test]
    fn problems_for_lines_systemd_ignores_or_rejects() {
        let text =
            "Orphan=1\n[Service]\nnot an assignment\n=novalue\n[Broken\nX=1\n[Service]\nY=2\n";
        let unit = parse(text);
        let messages: Vec<_> = unit
            .problems
            .iter()
            .map(|p| (p.severity, slice(text, p.span)))
            .collect();
        assert_eq!(
            messages,
            vec![
                (Severity::Warning, "Orphan=1"),
                (Severity::Warning, "not an assignment"),
                (Severity::Warning, "=novalue"),
                (Severity::Error, "[Broken"),
            ]
        );
        assert!(unit.has_errors());
        assert_eq!(unit.entries("Service", "Y").count(), 1);
        assert_eq!(unit.entries("Service", "X").count(), 0);
    }

    #[test]
    fn empty_value_span_points_after_equals() {
        let text = "[Service]\nExecStart=\n";
        let unit = parse(text);
        let e = unit.entries("Service", "ExecStart").next().expect("e");
        assert_eq!(e.value(), "");
        assert!(e.value_span().is_empty());
    }

    #[test]
    fn repeated_keys_list_reset_and_last_wins() {
        let u = service(
            "[Service]\nExecStartPre=/bin/a\nExecStartPre=/bin/b\nExecStartPre=\nExecStartPre=/bin/c\n\
             KillSignal=SIGINT\nKillSignal=SIGQUIT\n",
        );
        let pre: Vec<_> = u
            .exec("ExecStartPre")
            .into_iter()
            .map(|c| c.value.path.as_str().to_string())
            .collect();
        assert_eq!(pre, vec!["/bin/c"]);
        assert_eq!(u.kill_signal().expect("sig").value, Signal::QUIT);
        assert_eq!(key_kind("After"), KeyKind::Dependency);
        assert_eq!(key_kind("ConditionPathExists"), KeyKind::List);
        assert_eq!(key_kind("KillMode"), KeyKind::Single);
    }

    #[test]
    fn invalid_values_are_ignored_and_previous_kept() {
        let text = "[Service]\nKillSignal=SIGINT\nKillSignal=SIGBOGUS\nKillSignal=\nTimeoutStopSec=30\nTimeoutStopSec=soon\n";
        let u = service(text);
        assert_eq!(u.kill_signal().expect("sig").value, Signal::INT);
        assert_eq!(
            u.timeout_stop().expect("t").value,
            TimeSpan::Micros(30_000_000)
        );
        let warnings = u
            .problems
            .iter()
            .filter(|(_, p)| p.severity == Severity::Warning)
            .count();
        assert_eq!(warnings, 3, "{:?}", u.problems);
    }

    #[test]
    fn drop_in_order_masking_and_origins() {
        let unit = parse("[Service]\nExecStart=/usr/bin/app\nTimeoutStopSec=90\nKillMode=mixed\n");
        let etc = parse("[Service]\nTimeoutStopSec=10\n");
        let lib_same_name = parse("[Service]\nTimeoutStopSec=999\nKillMode=none\n");
        let later = parse("[Service]\nExecStart=\nExecStart=/usr/bin/app --graceful\n");
        let early = parse("[Service]\nTimeoutStopSec=5\nKillMode=process\n");
        let dropins = [
            ("50-override.conf", &etc),
            ("50-override.conf", &lib_same_name),
            ("60-cmd.conf", &later),
            ("10-base.conf", &early),
            ("README", &lib_same_name),
        ];
        let u = merge(&unit, &dropins);
        assert_eq!(
            u.applied,
            vec![
                Origin::Unit,
                Origin::DropIn(3),
                Origin::DropIn(0),
                Origin::DropIn(2)
            ]
        );
        assert_eq!(u.skipped, vec![1, 4]);
        let t = u.timeout_stop().expect("timeout");
        assert_eq!(t.value, TimeSpan::Micros(10_000_000));
        assert_eq!(t.origin, Origin::DropIn(0));
        assert_eq!(u.kill_mode().expect("mode").value, KillMode::Process);
        let starts = u.exec_start();
        assert_eq!(starts.len(), 1);
        assert_eq!(starts[0].origin, Origin::DropIn(2));
        assert_eq!(starts[0].value.argv.len(), 2);
        assert!(u.problems.is_empty(), "{:?}", u.problems);
    }

    #[test]
    fn second_exec_start_without_reset_is_an_error() {
        let unit = parse("[Service]\nExecStart=/usr/bin/app\n");
        let dropin = parse("[Service]\nExecStart=/usr/bin/app2\n");
        let u = merge(&unit, &[("x.conf", &dropin)]);
        let errors: Vec<_> = u
            .problems
            .iter()
            .filter(|(_, p)| p.severity == Severity::Error)
            .collect();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, Origin::DropIn(0));
        let oneshot = service("[Service]\nType=oneshot\nExecStart=/bin/a\nExecStart=/bin/b\n");
        assert!(oneshot.problems.is_empty());
        assert_eq!(oneshot.exec_start().len(), 2);
    }

    #[test]
    fn keys_in_the_wrong_section_and_services_without_commands() {
        let text = "[Unit]\nTimeoutStopSec=5\n[Service]\nExecStart=/bin/app\nBefore=x.target\nWantedBy=multi-user.target\n";
        let u = service(text);
        let got: Vec<_> = u
            .problems
            .iter()
            .map(|(_, p)| (p.severity, slice(text, p.span)))
            .collect();
        assert_eq!(
            got,
            vec![
                (Severity::Warning, "TimeoutStopSec"),
                (Severity::Warning, "Before"),
                (Severity::Warning, "WantedBy"),
            ]
        );
        assert!(u.timeout_stop().is_none());
        let u = service("[Service]\nExecStart=-/bin/sh -c \"unbalanced\n");
        let severities: Vec<_> = u.problems.iter().map(|(_, p)| p.severity).collect();
        // systemd 252: "Unbalanced quoting, ignoring" then "Service has no ExecStart=… Refusing."
        assert_eq!(severities, vec![Severity::Warning, Severity::Error]);
        let u = service("[Service]\nType=oneshot\n");
        assert_eq!(u.problems.len(), 1);
        assert_eq!(u.problems[0].1.severity, Severity::Error);
        assert!(
            service("[Unit]\nSuccessAction=exit\n[Service]\nType=oneshot\n")
                .problems
                .is_empty()
        );
    }

    #[test]
    fn timeout_sec_sets_stop_and_order_matters() {
        let u = service("[Service]\nTimeoutStopSec=10\nTimeoutSec=20\n");
        let t = u.timeout_stop().expect("t");
        assert_eq!(t.value, TimeSpan::Micros(20_000_000));
        assert_eq!(t.key, "TimeoutSec");
        let u = service("[Service]\nTimeoutSec=20\nTimeoutStopSec=10\n");
        assert_eq!(
            u.timeout_stop().expect("t").value,
            TimeSpan::Micros(10_000_000)
        );
        assert_eq!(
            u.timeout_start().expect("t").value,
            TimeSpan::Micros(20_000_000)
        );
        let u = service("[Service]\nTimeoutStopSec=0\n");
        assert_eq!(u.timeout_stop().expect("t").value, TimeSpan::Infinity);
        assert!(service("[Service]\n").timeout_stop().is_none());
    }

    #[test]
    fn time_spans() {
        let s = |x: u64| Some(TimeSpan::Micros(x * 1_000_000));
        assert_eq!(parse_timespan("90"), s(90));
        assert_eq!(parse_timespan("90s"), s(90));
        assert_eq!(parse_timespan("5min"), s(300));
        assert_eq!(parse_timespan("1min 30s"), s(90));
        assert_eq!(parse_timespan("1min30s"), s(90));
        assert_eq!(parse_timespan("2h"), s(7200));
        assert_eq!(parse_timespan("2 h"), s(7200));
        assert_eq!(parse_timespan("5 10"), s(15));
        assert_eq!(parse_timespan("500ms"), Some(TimeSpan::Micros(500_000)));
        assert_eq!(parse_timespan("1.5s"), Some(TimeSpan::Micros(1_500_000)));
        assert_eq!(parse_timespan(".5"), Some(TimeSpan::Micros(500_000)));
        assert_eq!(
            parse_timespan("2min 200ms"),
            Some(TimeSpan::Micros(120_200_000))
        );
        assert_eq!(
            parse_timespan("300ms20s 5day"),
            Some(TimeSpan::Micros(300_000 + 20_000_000 + 432_000_000_000))
        );
        assert_eq!(parse_timespan("infinity"), Some(TimeSpan::Infinity));
        assert_eq!(parse_timespan(" infinity "), Some(TimeSpan::Infinity));
        assert_eq!(parse_timespan("0"), Some(TimeSpan::Micros(0)));
        for bad in [
            "",
            " ",
            "-1",
            "5x",
            "3.",
            "3.sec",
            "1 2 x",
            "infinityx",
            "99999999999999999999",
        ] {
            assert_eq!(parse_timespan(bad), None, "{bad}");
        }
    }

    #[test]
    fn signals_and_booleans() {
        assert_eq!(Signal::parse("SIGTERM"), Some(Signal::TERM));
        assert_eq!(Signal::parse("TERM"), Some(Signal::TERM));
        assert_eq!(Signal::parse("15"), Some(Signal::TERM));
        assert_eq!(
            Signal::parse("9").map(Signal::name).as_deref(),
            Some("SIGKILL")
        );
        assert_eq!(Signal::parse("SIGRTMIN+3").map(|s| s.number), Some(37));
        assert_eq!(Signal::parse("RTMAX-1").map(|s| s.number), Some(63));
        for bad in ["", "sigterm", "0", "65", "SIG", "RTMIN+", "RTMIN+31", "-9"] {
            assert_eq!(Signal::parse(bad), None, "{bad}");
        }
        for (s, v) in [
            ("yes", true),
            ("on", true),
            ("1", true),
            ("TRUE", true),
            ("no", false),
            ("off", false),
            ("0", false),
            ("false", false),
        ] {
            assert_eq!(parse_boolean(s), Some(v), "{s}");
        }
        assert_eq!(parse_boolean("maybe"), None);
        let u = service("[Service]\nSendSIGKILL=no\nKillMode=process\n");
        assert!(!u.send_sigkill().expect("b").value);
        assert!(u.kill_mode().expect("m").value.signals_main_process_only());
        assert_eq!(
            service("[Service]\n")
                .kill_mode()
                .map(|s| s.value)
                .unwrap_or_default(),
            KillMode::ControlGroup
        );
    }

    #[test]
    fn service_type_defaults() {
        assert_eq!(
            service("[Service]\nExecStart=/bin/a\n").effective_service_type(),
            ServiceType::Simple
        );
        assert_eq!(
            service("[Service]\nRemainAfterExit=yes\n").effective_service_type(),
            ServiceType::Oneshot
        );
        assert_eq!(
            service("[Service]\nBusName=a.b\nExecStart=/bin/a\n").effective_service_type(),
            ServiceType::Dbus
        );
        assert_eq!(
            service("[Service]\nType=notify-reload\n").effective_service_type(),
            ServiceType::NotifyReload
        );
    }

    fn exec_of(text: &str) -> (Vec<ExecCommand>, Vec<Problem>, String) {
        let unit = parse(text);
        let e = unit.entries("Service", "ExecStart").next().expect("exec");
        let (c, p) = parse_exec(&e.value);
        (c, p, text.to_string())
    }

    fn argv(c: &ExecCommand) -> Vec<&str> {
        c.argv.iter().map(Word::as_str).collect()
    }

    /// A command keeps its first `MAX_COMMAND_WORDS` arguments; the rest are read for their
    /// quoting (an unbalanced quote at the end is still found) and the command's span still
    /// ends at its last word.
    #[test]
    fn exec_arguments_past_the_word_limit_are_not_kept() {
        let max = crate::model::MAX_COMMAND_WORDS;
        let words = "a \\; ".repeat(max);
        let text = format!("[Service]\nExecStop=/bin/kill {words}last\n");
        let (c, p, text) = exec_of_key(&text, "ExecStop");
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].argv.len(), max + 1);
        assert_eq!(&text[c[0].span.end - 4..c[0].span.end], "last");
        let bad = format!("[Service]\nExecStop=/bin/kill {words}'open\n");
        let (_, p, _) = exec_of_key(&bad, "ExecStop");
        assert!(
            p.iter().any(|p| p.message.contains("unbalanced quoting")),
            "{p:?}"
        );
    }

    fn exec_of_key(text: &str, key: &str) -> (Vec<ExecCommand>, Vec<Problem>, String) {
        let unit = parse(text);
        let e = unit.entries("Service", key).next().expect("exec");
        let (c, p) = parse_exec(&e.value);
        (c, p, text.to_string())
    }

    #[test]
    fn exec_words_quotes_and_escapes() {
        let (c, p, text) = exec_of("[Service]\nExecStart=/bin/echo \"two words\" 'single q' a\"b c\"d \\x41\\s$HOME ${X} $$ 50%%\n");
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(c.len(), 1);
        assert_eq!(
            argv(&c[0]),
            vec![
                "/bin/echo",
                "two words",
                "single q",
                "ab cd",
                "A $HOME",
                "${X}",
                "$$",
                "50%%"
            ]
        );
        let w = &c[0].argv[1];
        assert_eq!(slice(&text, w.span), "\"two words\"");
        assert_eq!(slice(&text, w.value.source_span(Span::new(4, 9))), "words");
        let esc = &c[0].argv[4];
        assert_eq!(
            slice(&text, esc.value.source_span(Span::new(0, 1))),
            "\\x41"
        );
        assert_eq!(slice(&text, esc.value.source_span(Span::new(1, 2))), "\\s");
    }

    #[test]
    fn exec_prefixes_in_any_order() {
        let (c, p, text) = exec_of("[Service]\nExecStart=-+@:/usr/bin/true argv0 x\n");
        assert!(p.is_empty());
        let cmd = &c[0];
        assert!(
            cmd.prefix.ignore_failure
                && cmd.prefix.full_privileges
                && cmd.prefix.argv0
                && cmd.prefix.no_env_expand
        );
        assert_eq!(cmd.path.as_str(), "/usr/bin/true");
        assert_eq!(slice(&text, cmd.prefix_span), "-+@:");
        assert_eq!(slice(&text, cmd.path.span), "/usr/bin/true");
        assert_eq!(argv(cmd), vec!["argv0", "x"]);
        let (c, _, _) = exec_of("[Service]\nExecStart=!!/bin/a\n");
        assert!(c[0].prefix.ambient_fallback && !c[0].prefix.no_setuid);
        let (c, _, _) = exec_of("[Service]\nExecStart=|@ls -l\n");
        assert!(c[0].prefix.via_user_shell && c[0].prefix.argv0);
        // `+` and `!` cannot be combined: the second is part of the path, which is then invalid.
        let (c, p, _) = exec_of("[Service]\nExecStart=+!/bin/a\n");
        assert!(c.is_empty());
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn exec_semicolons() {
        let (c, p, _) = exec_of("[Service]\nExecStart=/bin/echo one ; /bin/echo \"two two\" ; \n");
        assert!(p.is_empty());
        assert_eq!(c.len(), 2);
        assert_eq!(argv(&c[1]), vec!["/bin/echo", "two two"]);
        let (c, _, _) = exec_of("[Service]\nExecStart=/bin/echo / >/dev/null & \\; \\\n ls\n");
        assert_eq!(c.len(), 1);
        assert_eq!(
            argv(&c[0]),
            vec!["/bin/echo", "/", ">/dev/null", "&", ";", "ls"]
        );
        let (c, _, _) = exec_of("[Service]\nExecStart=/bin/echo a;b \";\"\n");
        assert_eq!(argv(&c[0]), vec!["/bin/echo", "a;b", ";"]);
    }

    #[test]
    fn exec_errors() {
        let (c, p, text) = exec_of("[Service]\nExecStart=/bin/sh -c 'echo hi\n");
        assert!(c.is_empty());
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].severity, Severity::Error);
        assert_eq!(slice(&text, p[0].span), "'echo hi");
        let (_, p, _) = exec_of("[Service]\nExecStart=-/bin/sh -c 'echo hi\n");
        assert_eq!(p[0].severity, Severity::Warning);
        let (_, p, _) = exec_of("[Service]\nExecStart=bin/app\n");
        assert_eq!(p[0].severity, Severity::Error);
        let (c, p, _) = exec_of("[Service]\nExecStart=/bin/echo \\q\n");
        assert_eq!(argv(&c[0]), vec!["/bin/echo", "\\q"]);
        assert_eq!(p[0].severity, Severity::Warning);
        let (c, p, _) = exec_of("[Service]\nExecStart=\"/bin/unterminated\n");
        assert!(c.is_empty());
        assert_eq!(p[0].severity, Severity::Warning);
    }

    #[test]
    fn shell_payload_is_mapped() {
        let text = "[Service]\nExecStart=/bin/sh -c \"./migrate && \\\n  exec node server.js\"\n";
        let (c, p, _) = exec_of(text);
        assert!(p.is_empty());
        let sh = c[0].shell.as_ref().expect("shell");
        assert_eq!(sh.shell, "sh");
        assert_eq!(sh.payload_index, 2);
        assert_eq!(sh.payload.as_str(), "./migrate &&    exec node server.js");
        let exec_at = sh.payload.as_str().find("exec").expect("exec");
        assert_eq!(
            slice(
                text,
                sh.payload.source_span(Span::new(exec_at, exec_at + 4))
            ),
            "exec"
        );
        assert_eq!(slice(text, sh.payload_span).chars().next(), Some('"'));
        for (line, shell, login) in [
            ("bash -lc 'node app'", "bash", true),
            ("/usr/bin/env bash -c 'node app'", "bash", false),
            ("/usr/bin/env -i FOO=1 sh -e -c 'node app'", "sh", false),
            ("/bin/busybox sh -c 'node app'", "sh", false),
            ("@/bin/bash mybash -c 'node app'", "bash", false),
            ("/bin/bash -o pipefail -c 'node app'", "bash", false),
        ] {
            let t = format!("[Service]\nExecStart={line}\n");
            let (c, p, _) = exec_of(&t);
            assert!(p.is_empty(), "{line}: {p:?}");
            let sh = c[0]
                .shell
                .as_ref()
                .unwrap_or_else(|| panic!("no shell in {line}"));
            assert_eq!(
                (sh.shell.as_str(), sh.login, sh.payload.as_str()),
                (shell, login, "node app"),
                "{line}"
            );
        }
        for line in [
            "/bin/sh script.sh",
            "/usr/bin/node -c x",
            "/bin/bash",
            "/bin/sh -c",
        ] {
            let (c, _, _) = exec_of(&format!("[Service]\nExecStart={line}\n"));
            assert!(c[0].shell.is_none(), "{line}");
        }
    }

    #[test]
    fn environment_quoting() {
        let text = "[Service]\nExecStart=/bin/app\nEnvironment=\"ONE=one\" 'TWO=two two' THREE=\nEnvironment=ONE=uno bad-name=1\nEnvironmentFile=-/etc/default/app\n";
        let u = service(text);
        let env: Vec<_> = u
            .environment()
            .into_iter()
            .map(|v| (v.value.name.clone(), v.value.value.as_str().to_string()))
            .collect();
        assert_eq!(
            env,
            vec![
                ("TWO".to_string(), "two two".to_string()),
                ("THREE".to_string(), String::new()),
                ("ONE".to_string(), "uno".to_string()),
            ]
        );
        let two = u.env_var("TWO").expect("two");
        assert_eq!(slice(text, two.span), "'TWO=two two'");
        assert_eq!(slice(text, two.value.value.full_source_span()), "two two");
        assert_eq!(u.problems.len(), 1, "{:?}", u.problems);
        let files = u.environment_files();
        assert_eq!(
            files[0].value,
            EnvironmentFile {
                path: "/etc/default/app".into(),
                optional: true
            }
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        let inputs = [
            "",
            "\\",
            "[",
            "]",
            "[]",
            "=",
            "\u{feff}",
            "\r\r\n\n",
            "[S]\nA=\"\\",
            "[Service]\nExecStart=\\",
            "[Service]\nExecStart=\"\\",
            "[Service]\nExecStart=@",
            "[Service]\nExecStart=-",
            "[Service]\nExecStart=;;;",
            "[Service]\nExecStart=/bin/sh -c",
            "[Service]\nEnvironment=\"",
            "[Service]\nExecStart=é\\é ü\"ä",
            "[Service]\nExecStart=/bin/x \\u00e9 \\U0001F600 \\777 \\x0 \\",
            "[Service]\nTimeoutStopSec=µs",
            "[Service]\nKillSignal=RTMIN+99999999999999",
        ];
        for input in inputs {
            let u = service(input);
            let _ = (
                u.exec_start(),
                u.environment(),
                u.timeout_stop(),
                u.kill_signal(),
            );
        }
    }

    #[test]
    fn random_inputs_never_panic() {
        const PIECES: &[&str] = &[
            "[Service]",
            "[",
            "]",
            "\n",
            "\r\n",
            "\r",
            "\\",
            "\\\n",
            "#",
            ";",
            " ",
            "\t",
            "=",
            "\"",
            "'",
            "ExecStart=",
            "ExecStop=",
            "Environment=",
            "KillSignal=",
            "TimeoutSec=",
            "TimeoutStopSec=",
            "@",
            "-",
            "+",
            "!",
            "|",
            ":",
            "/bin/sh",
            "-c",
            "bash",
            "env",
            "A=1",
            "\\x4",
            "\\u12",
            "\\777",
            "\\;",
            "é",
            "µs",
            "1.5",
            "min",
            "infinity",
            "SIGRTMIN+",
            "9",
            "\u{feff}",
            "$X",
            "${Y}",
            "%n",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..3000 {
            let len = (next() % 40) as usize;
            let text: String = (0..len)
                .map(|_| {
                    PIECES
                        .get((next() % PIECES.len() as u64) as usize)
                        .copied()
                        .unwrap_or("")
                })
                .collect();
            let unit = parse(&text);
            let dropin = parse(&text.chars().rev().collect::<String>());
            let u = merge(&unit, &[("a.conf", &dropin)]);
            for key in EXEC_KEYS {
                for c in u.exec(key) {
                    let _ = c.value.span.slice(&text);
                    if let Some(sh) = &c.value.shell {
                        let _ = sh.payload.full_source_span().slice(&text);
                    }
                }
            }
            let _ = (
                u.environment(),
                u.timeout_stop(),
                u.kill_signal(),
                u.effective_service_type(),
            );
            for (_, p) in &u.problems {
                assert!(p.span.start <= p.span.end);
            }
        }
    }
}
