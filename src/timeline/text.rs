//! The terminal rendering: one chart per process on a time axis that fills the terminal width,
//! then one line per event saying what it is and where it came from. Plain ASCII when `fancy` is
//! off (not a terminal, `NO_COLOR`, `--no-color`); Unicode blocks and colour when on.

use super::layout::{self, Scale};
use super::model::{
    Delivery, DrainKnowledge, DrainRow, Kill, Lane, Origin, PhaseKind, Source, Timeline, Verdict,
    WorkloadTimeline,
};
use crate::drain::format_seconds;
use crate::source::{Files, LineIndex};

/// How to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// Total width in columns.
    pub width: usize,
    /// Unicode glyphs and ANSI colour (a terminal without `NO_COLOR`).
    pub fancy: bool,
}

/// The narrowest and widest layouts drawn.
pub const MIN_WIDTH: usize = 50;
pub const MAX_WIDTH: usize = 240;

/// Indent of the chart rows, width of their labels, and of the value column on the right.
const ROW_INDENT: usize = 4;
const LABEL_WIDTH: usize = 9;
const VALUE_WIDTH: usize = 10;
/// Cells between tick labels, at least.
const TICK_GAP: usize = 7;

struct Glyphs {
    axis: char,
    tick: char,
    axis_start: char,
    axis_end: char,
    phase: char,
    drain: char,
    cut: char,
    idle: char,
    unknown: char,
    signal: char,
    kill: char,
    range: &'static str,
    problem: &'static str,
    fits: &'static str,
    unknown_mark: &'static str,
    warning: &'static str,
}

const ASCII: Glyphs = Glyphs {
    axis: '-',
    tick: '+',
    axis_start: '|',
    axis_end: '|',
    phase: '=',
    drain: '#',
    cut: 'x',
    idle: '.',
    unknown: '~',
    signal: '^',
    kill: 'X',
    range: "-",
    problem: "[x]",
    fits: "[ok]",
    unknown_mark: "[?]",
    warning: "[!]",
};

const UNICODE: Glyphs = Glyphs {
    axis: '─',
    tick: '┼',
    axis_start: '├',
    axis_end: '┤',
    phase: '▒',
    drain: '█',
    cut: '░',
    idle: '┄',
    unknown: '┈',
    signal: '▲',
    kill: '✗',
    range: "─",
    problem: "✗",
    fits: "✓",
    unknown_mark: "?",
    warning: "⚠",
};

/// ANSI styles (only with `fancy`).
#[derive(Clone, Copy)]
enum Style {
    Bold,
    Dim,
    Phase,
    Signal,
    Drain,
    Cut,
    Kill,
    Good,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Bold => "1",
            Style::Dim => "2",
            Style::Phase => "36",
            Style::Signal => "33",
            Style::Drain => "32",
            Style::Cut => "31",
            Style::Kill => "1;31",
            Style::Good => "32",
        }
    }
}

struct Painter {
    fancy: bool,
    glyphs: &'static Glyphs,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.fancy && !text.is_empty() {
            format!("\u{1b}[{}m{text}\u{1b}[0m", style.code())
        } else {
            text.to_string()
        }
    }
}

/// One row of a chart: cells with a style each.
struct Row {
    cells: Vec<(char, Option<Style>)>,
}

impl Row {
    fn new(width: usize) -> Row {
        Row {
            cells: vec![(' ', None); width],
        }
    }

    fn fill(&mut self, from: usize, to: usize, glyph: char, style: Style) {
        for cell in self.cells.iter_mut().take(to + 1).skip(from) {
            *cell = (glyph, Some(style));
        }
    }

    fn set(&mut self, at: usize, glyph: char, style: Style) {
        if let Some(cell) = self.cells.get_mut(at) {
            *cell = (glyph, Some(style));
        }
    }

    fn render(&self, painter: &Painter) -> String {
        let mut out = String::new();
        let mut run = String::new();
        let mut current: Option<Style> = None;
        let flush = |run: &mut String, style: Option<Style>, out: &mut String| {
            match style {
                Some(style) => out.push_str(&painter.paint(style, run)),
                None => out.push_str(run),
            }
            run.clear();
        };
        for &(glyph, style) in &self.cells {
            if style.map(Style::code) != current.map(Style::code) {
                flush(&mut run, current, &mut out);
                current = style;
            }
            run.push(glyph);
        }
        flush(&mut run, current, &mut out);
        out.trim_end().to_string()
    }
}

/// The terminal width to draw at: `COLUMNS` when it is a number, else 100, within bounds.
pub fn width_from_env() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .unwrap_or(100)
        .clamp(MIN_WIDTH, MAX_WIDTH)
}

/// Positions of locations, with one line index per file (built when first needed).
pub struct Places<'a> {
    files: &'a Files,
    indexes: std::cell::RefCell<std::collections::HashMap<crate::source::FileId, LineIndex>>,
}

impl<'a> Places<'a> {
    pub fn new(files: &'a Files) -> Self {
        Places {
            files,
            indexes: Default::default(),
        }
    }

    pub fn path(&self, location: &crate::diagnostic::Location) -> &'a str {
        self.files.path(location.file)
    }

    pub fn position(&self, location: &crate::diagnostic::Location) -> crate::source::Position {
        let text = self.files.text(location.file);
        let text = &*text;
        let mut indexes = self.indexes.borrow_mut();
        let index = indexes
            .entry(location.file)
            .or_insert_with(|| LineIndex::new(text));
        index.position(text, location.span.start)
    }

    /// `path:line` of a location.
    pub fn place(&self, location: &crate::diagnostic::Location) -> String {
        format!("{}:{}", self.path(location), self.position(location).line)
    }
}

/// What a source says, with where: `terminationGracePeriodSeconds 20s (deploy/api.yaml:28)`.
pub(crate) fn describe(files: &Places<'_>, source: &Source) -> String {
    match (&source.location, source.origin) {
        (Some(location), Origin::ServerDefault) => format!(
            "{}, not set (server default; {})",
            source.text,
            files.place(location)
        ),
        (Some(location), _) => format!("{} ({})", source.text, files.place(location)),
        (None, Origin::Config) => format!("{} (.shutdownlint.toml)", source.text),
        (None, _) => source.text.clone(),
    }
}

/// The platform as a heading names it.
pub(crate) fn platform_label(platform: crate::model::Platform) -> &'static str {
    use crate::model::Platform;
    match platform {
        Platform::Docker => "Docker",
        Platform::Kubernetes => "Kubernetes",
        Platform::Compose => "docker compose",
        Platform::Systemd => "systemd",
        Platform::Procfile => "Procfile",
        Platform::Fly => "Fly.io",
    }
}

/// The whole timeline.
pub fn render(timeline: &Timeline, files: &Files, options: TextOptions) -> String {
    let files = &Places::new(files);
    let painter = Painter {
        fancy: options.fancy,
        glyphs: if options.fancy { &UNICODE } else { &ASCII },
    };
    let width = options.width.clamp(MIN_WIDTH, MAX_WIDTH);
    let mut out = String::new();
    if timeline.workloads.is_empty() {
        out.push_str("No workloads found.\n");
        return out;
    }
    for (i, workload) in timeline.workloads.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_workload(&mut out, workload, files, &painter, width);
    }
    if timeline.omitted.any() {
        out.push('\n');
        out.push_str(&timeline.omitted.note());
        out.push('\n');
    }
    visible(&out, options.fancy)
}

/// The rendered text with every control character shown as its picture (names and values come
/// from the scanned files, and a terminal acts on an escape sequence), except line breaks and,
/// in colour, the exact colour sequences [`Painter`] writes.
fn visible(text: &str, fancy: bool) -> String {
    if !fancy {
        return crate::output::visible(text, &['\n']).into_owned();
    }
    const STYLES: [Style; 8] = [
        Style::Bold,
        Style::Dim,
        Style::Phase,
        Style::Signal,
        Style::Drain,
        Style::Cut,
        Style::Kill,
        Style::Good,
    ];
    let ours = |rest: &str| {
        let code = rest.strip_prefix("\u{1b}[")?;
        let end = code.find('m')?;
        let code = code.get(..end)?;
        (code == "0" || STYLES.iter().any(|s| s.code() == code)).then_some(end + 3)
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\u{1b}' {
            if let Some(len) = ours(rest) {
                out.push_str(rest.get(..len).unwrap_or(""));
                rest = rest.get(len..).unwrap_or("");
                continue;
            }
        }
        match crate::output::control_picture(c) {
            Some(picture) if c != '\n' => out.push(picture),
            _ => out.push(c),
        }
        rest = rest.get(c.len_utf8()..).unwrap_or("");
    }
    out
}

fn render_workload(
    out: &mut String,
    workload: &WorkloadTimeline,
    files: &Places<'_>,
    painter: &Painter,
    width: usize,
) {
    let header = format!(
        "{} ({}) {}",
        workload.name,
        platform_label(workload.platform),
        files.place(&workload.location)
    );
    out.push_str(&painter.paint(Style::Bold, &header));
    out.push('\n');
    for lane in &workload.lanes {
        render_lane(out, lane, files, painter, width);
    }
}

fn mark(painter: &Painter, verdict: &Verdict) -> String {
    let g = painter.glyphs;
    match verdict {
        Verdict::Fits { .. } => painter.paint(Style::Good, g.fits),
        Verdict::Unknown { .. } => painter.paint(Style::Signal, g.unknown_mark),
        Verdict::NeverKilled => painter.paint(Style::Signal, g.warning),
        _ => painter.paint(Style::Kill, g.problem),
    }
}

fn range(painter: &Painter, start: f64, end: f64) -> String {
    format!(
        "{}{}{}",
        format_seconds(start).trim_end_matches('s'),
        painter.glyphs.range,
        format_seconds(end)
    )
}

fn render_lane(out: &mut String, lane: &Lane, files: &Places<'_>, painter: &Painter, width: usize) {
    let g = painter.glyphs;
    let mut title = format!("  {} {}", lane.noun, lane.process);
    let mut traits = Vec::new();
    if lane.sidecar {
        traits.push("sidecar");
    }
    if lane.serves {
        traits.push("serves traffic");
    }
    if !traits.is_empty() {
        title.push_str(&format!(" ({})", traits.join(", ")));
    }
    let summary = format!("{} {}", mark(painter, &lane.verdict), lane.summary());
    let title_len = title.chars().count() + 2;
    let lines = layout::wrap(
        &lane.summary(),
        width.saturating_sub(title_len + 5),
        width.saturating_sub(6),
    );
    out.push_str(&title);
    out.push_str(": ");
    if lines.len() <= 1 {
        out.push_str(&summary);
    } else {
        out.push_str(&mark(painter, &lane.verdict));
        for (i, line) in lines.iter().enumerate() {
            if i == 0 {
                out.push(' ');
            } else {
                out.push_str("\n    ");
            }
            out.push_str(line);
        }
    }
    out.push('\n');

    let chart = width
        .saturating_sub(ROW_INDENT + LABEL_WIDTH + VALUE_WIDTH + 1)
        .max(20);
    let scale = Scale::new(lane.end_time(), chart, TICK_GAP);
    let pad = " ".repeat(ROW_INDENT + LABEL_WIDTH);

    // Tick labels, then the axis.
    let mut labels = String::new();
    let mut used = 0usize;
    for (seconds, cell) in scale.ticks() {
        let label = layout::tick_label(seconds);
        if cell < used {
            continue;
        }
        labels.push_str(&" ".repeat(cell - used));
        labels.push_str(&label);
        used = cell + label.chars().count() + 1;
        labels.push(' ');
    }
    out.push_str(&pad);
    out.push_str(&painter.paint(Style::Dim, labels.trim_end()));
    out.push('\n');
    let mut axis: String = (0..chart).map(|_| g.axis).collect();
    for (_, cell) in scale.ticks() {
        replace_char(&mut axis, cell, g.tick);
    }
    replace_char(&mut axis, 0, g.axis_start);
    replace_char(&mut axis, chart - 1, g.axis_end);
    out.push_str(&pad);
    out.push_str(&painter.paint(Style::Dim, &axis));
    out.push('\n');

    let row_line = |out: &mut String, label: &str, row: Row, value: String| {
        let drawn = row.render(painter);
        let drawn_len = row
            .cells
            .iter()
            .rposition(|(c, _)| *c != ' ')
            .map_or(0, |i| i + 1);
        out.push_str(&" ".repeat(ROW_INDENT));
        out.push_str(&format!("{label:<LABEL_WIDTH$}"));
        out.push_str(&drawn);
        out.push_str(&" ".repeat(chart.saturating_sub(drawn_len) + 1));
        out.push_str(&value);
        out.push('\n');
    };

    // Before the signal: the preStop pause, or systemd's ExecStop= commands.
    if let Some(phase) = &lane.before_signal {
        let mut row = Row::new(chart);
        let value = match phase.seconds {
            Some(seconds) => {
                let (a, b) = scale.span(0.0, seconds);
                row.fill(a, b, g.phase, Style::Phase);
                if let Some(cut) = phase.cut_at {
                    let (c, _) = scale.span(cut, cut);
                    if c < b {
                        row.fill(c + 1, b, g.cut, Style::Cut);
                    }
                }
                range(painter, 0.0, seconds)
            }
            None if phase.skipped => "not run".to_string(),
            None => {
                row.set(0, '?', Style::Phase);
                "?".to_string()
            }
        };
        row_line(out, phase.kind.label(), row, value);
    }

    // The stop signal.
    let mut row = Row::new(chart);
    row.set(scale.cell(lane.signal.at), g.signal, Style::Signal);
    let signal_value = if lane.signal.after_unknown {
        "?".to_string()
    } else {
        format_seconds(lane.signal.at)
    };
    row_line(out, &lane.signal.name, row, signal_value);

    // The drain (or what the app does instead).
    let mut row = Row::new(chart);
    let (label, value) = match lane.drain_row() {
        DrainRow::Unaware { start, end } => {
            let (a, b) = scale.span(start, end.unwrap_or(scale.end));
            row.fill(a, b, g.idle, Style::Dim);
            ("app", "no drain".to_string())
        }
        DrainRow::Dropped { at } => {
            row.set(scale.cell(at), g.cut, Style::Cut);
            ("drain", "none".to_string())
        }
        DrainRow::Window {
            start,
            end,
            killed_at,
        } => {
            let (a, b) = scale.span(start, end);
            row.fill(a, b, g.drain, Style::Drain);
            if let Some(kill) = killed_at {
                let k = scale.cell(kill);
                if k < b {
                    row.fill(k + 1, b, g.cut, Style::Cut);
                }
            }
            ("drain", range(painter, start, end))
        }
        DrainRow::Unknown { start, end } => {
            let (a, b) = scale.span(start, end.unwrap_or(scale.end));
            row.fill(a, b, g.unknown, Style::Dim);
            row.set(a, '?', Style::Signal);
            ("drain", "?".to_string())
        }
    };
    row_line(out, label, row, value);

    // SIGKILL.
    let mut row = Row::new(chart);
    let kill_value = match &lane.kill {
        Kill::At { at, .. } => {
            row.set(scale.cell(*at), g.kill, Style::Kill);
            format_seconds(*at)
        }
        Kill::Never(_) => "never".to_string(),
    };
    row_line(out, "SIGKILL", row, kill_value);

    // Where every number came from.
    let marks = if painter.fancy {
        &UNICODE_MARKS
    } else {
        &ASCII_MARKS
    };
    let details = details(lane, files, marks);
    out.push('\n');
    let indent = ROW_INDENT + LABEL_WIDTH;
    for (label, text) in details {
        let lines = layout::wrap(
            &text,
            width.saturating_sub(indent),
            width.saturating_sub(indent + 2),
        );
        for (i, line) in lines.iter().enumerate() {
            if i == 0 {
                out.push_str(&" ".repeat(ROW_INDENT));
                out.push_str(&format!("{label:<LABEL_WIDTH$}"));
            } else {
                out.push_str(&" ".repeat(indent + 2));
            }
            out.push_str(line);
            out.push('\n');
        }
    }
}

fn replace_char(text: &mut String, at: usize, glyph: char) {
    *text = text
        .chars()
        .enumerate()
        .map(|(i, c)| if i == at { glyph } else { c })
        .collect();
}

/// The marks the legend puts before a verdict.
pub(crate) struct Marks {
    pub range: &'static str,
    pub problem: &'static str,
    pub fits: &'static str,
    pub unknown: &'static str,
}

pub(crate) const UNICODE_MARKS: Marks = Marks {
    range: "–",
    problem: UNICODE.problem,
    fits: UNICODE.fits,
    unknown: UNICODE.unknown_mark,
};

const ASCII_MARKS: Marks = Marks {
    range: ASCII.range,
    problem: ASCII.problem,
    fits: ASCII.fits,
    unknown: ASCII.unknown_mark,
};

/// The legend of a lane: a label and a sentence per event, with where it came from.
pub(crate) fn details(lane: &Lane, files: &Places<'_>, g: &Marks) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    if let Some(phase) = &lane.before_signal {
        let mut text = phase.text.clone();
        if let Some(cut) = phase.cut_at {
            text.push_str(&format!(
                ", longer than the grace period: cut at {}",
                format_seconds(cut)
            ));
        }
        if let Some(location) = &phase.source.location {
            text.push_str(&format!(" ({})", files.place(location)));
        }
        lines.push((phase.kind.label().to_string(), text));
    }
    let signal = &lane.signal;
    let mut text = describe(files, &signal.source);
    if signal.after_unknown {
        let after = lane
            .before_signal
            .as_ref()
            .map_or(PhaseKind::PreStop, |p| p.kind);
        text.push_str(&format!(
            "; sent when {} returns (drawn as if at 0s)",
            after.label()
        ));
    }
    lines.push((signal.name.clone(), text));
    let app = lane.app_name();
    let reference = |rule: &str, location: &Option<crate::diagnostic::Location>| {
        let mut text = String::new();
        if !rule.is_empty() {
            text.push_str(&format!(" [{rule}]"));
        }
        if let Some(location) = location {
            text.push_str(&format!(" ({})", files.place(location)));
        }
        text
    };
    match &signal.delivery {
        Delivery::Reaches(how) => lines.push((String::new(), format!("{} {how}", g.fits))),
        Delivery::Blocked(barriers) => {
            for (i, barrier) in barriers.iter().enumerate() {
                let lead = if i == 0 {
                    format!("{} never reaches {app}:", g.problem)
                } else {
                    "and then".to_string()
                };
                lines.push((
                    String::new(),
                    format!(
                        "{lead} {}{}",
                        barrier.text,
                        reference(barrier.rule, &barrier.location)
                    ),
                ));
            }
        }
        Delivery::Uncertain(barrier) => lines.push((
            String::new(),
            format!(
                "{} may not reach {app}: {}{}",
                g.unknown,
                barrier.text,
                reference(barrier.rule, &barrier.location)
            ),
        )),
        Delivery::Uncatchable(barrier) => lines.push((
            String::new(),
            format!(
                "{} {}{}",
                g.problem,
                barrier.text,
                reference(barrier.rule, &barrier.location)
            ),
        )),
        Delivery::NotSent(why) => lines.push((String::new(), format!("{} {why}", g.problem))),
        Delivery::Unknown(why) => lines.push((String::new(), format!("{} {why}", g.unknown))),
    }
    if let Some(finding) = &signal.finding {
        let what = match finding.rule {
            "SL104" => "ExecStop= stops it with SIGKILL".to_string(),
            _ => format!(
                "{app} treats {} as a fast shutdown: in-flight requests are dropped",
                signal.name
            ),
        };
        lines.push((
            String::new(),
            format!(
                "{} {what}{}",
                g.problem,
                reference(finding.rule, &Some(finding.location))
            ),
        ));
    }
    let drain = match &lane.drain {
        DrainKnowledge::Known { source, seconds } if lane.verdict.no_drain() => format!(
            "{}; not used: the drain would run {}{}{}",
            describe(files, source),
            format_seconds(signal.at).trim_end_matches('s'),
            g.range,
            format_seconds(signal.at + seconds)
        ),
        DrainKnowledge::Known { source, .. } => describe(files, source),
        DrainKnowledge::SetUnknown { location } => format!(
            "unknown: set to a value that cannot be read ({})",
            files.place(location)
        ),
        DrainKnowledge::Unknown { why, location } => match location {
            Some(location) => format!("unknown: {why} ({})", files.place(location)),
            None => format!("unknown: {why}"),
        },
    };
    lines.push(("drain".to_string(), drain));
    let kill = match &lane.kill {
        Kill::At {
            extension, source, ..
        } if *extension > 0.0 => format!(
            "{} + the kubelet's one-off {} for a preStop hook still running",
            describe(files, source),
            format_seconds(*extension)
        ),
        Kill::At { source, .. } => describe(files, source),
        Kill::Never(source) => format!("never: {}", describe(files, source)),
    };
    lines.push(("SIGKILL".to_string(), kill));
    lines
}

/// The one-line version, for findings: `preStop 0─15s │ SIGTERM 15s │ drain 15─45s │ SIGKILL 30s
/// ✗ cuts drain by 15s`.
pub fn compact(lane: &Lane) -> String {
    let g = &UNICODE;
    let dash = g.range;
    let span = |a: f64, b: f64| {
        format!(
            "{}{dash}{}",
            format_seconds(a).trim_end_matches('s'),
            format_seconds(b)
        )
    };
    let mut parts = Vec::new();
    if let Some(phase) = &lane.before_signal {
        let label = phase.kind.label();
        parts.push(match (phase.seconds, phase.cut_at) {
            _ if phase.skipped => format!("{label} not run"),
            (Some(seconds), Some(cut)) => format!(
                "{label} 0{dash}{} (cut at {})",
                format_seconds(seconds),
                format_seconds(cut)
            ),
            (Some(seconds), None) => format!("{label} {}", span(0.0, seconds)),
            (None, _) => format!("{label} ?"),
        });
    }
    let signal = &lane.signal;
    let mut part = if signal.after_unknown {
        format!("{} ?", signal.name)
    } else {
        format!("{} {}", signal.name, format_seconds(signal.at))
    };
    let app = lane.app.clone().unwrap_or_else(|| "the app".to_string());
    match &signal.delivery {
        Delivery::Blocked(_) => part.push_str(&format!(" {} never reaches {app}", g.problem)),
        Delivery::Uncertain(_) => part.push_str(&format!(" ? may not reach {app}")),
        Delivery::NotSent(_) => part.push_str(&format!(" {} not sent", g.problem)),
        _ => {}
    }
    if let Some(finding) = &signal.finding {
        part.push_str(&match finding.rule {
            "SL104" => format!(" {} ExecStop= sends SIGKILL", g.problem),
            _ => format!(" {} fast shutdown for {app}", g.problem),
        });
    }
    parts.push(part);
    parts.push(match (&lane.verdict, &lane.drain) {
        (Verdict::NoDrain { .. }, DrainKnowledge::Known { seconds, .. }) => format!(
            "drain {} {} {}",
            span(signal.at, signal.at + seconds),
            g.problem,
            match lane.drain_row() {
                DrainRow::Unaware { .. } => "never starts",
                _ => "dropped",
            }
        ),
        (Verdict::NoDrain { .. }, _) => "no drain".to_string(),
        (_, DrainKnowledge::Known { seconds, .. }) => {
            format!("drain {}", span(signal.at, signal.at + seconds))
        }
        _ => "drain ?".to_string(),
    });
    let mut kill = match &lane.kill {
        Kill::At {
            at,
            deadline,
            extension,
            ..
        } if *extension > 0.0 => format!(
            "SIGKILL {} ({} + {})",
            format_seconds(*at),
            format_seconds(*deadline),
            format_seconds(*extension)
        ),
        Kill::At { at, .. } => format!("SIGKILL {}", format_seconds(*at)),
        Kill::Never(_) => "no SIGKILL".to_string(),
    };
    match &lane.verdict {
        Verdict::Cut { by } => kill.push_str(&format!(
            " {} cuts drain by {}",
            g.problem,
            format_seconds(*by)
        )),
        Verdict::NoMargin => kill.push_str(&format!(" {} no time left to exit", g.problem)),
        Verdict::Squeezed { left } if *left <= 0.0 => {
            kill.push_str(&format!(" {} together with {}", g.problem, signal.name))
        }
        Verdict::Squeezed { left } => kill.push_str(&format!(
            " {} {} after {}",
            g.problem,
            format_seconds(*left),
            signal.name
        )),
        Verdict::Fits { margin } => {
            kill.push_str(&format!(" {} {} to spare", g.fits, format_seconds(*margin)))
        }
        _ => {}
    }
    parts.push(kill);
    parts.join(" │ ")
}

#[cfg(test)]
mod control_tests {
    use super::*;

    #[test]
    fn only_our_colour_sequences_reach_the_terminal() {
        let text =
            "\u{1b}[1mname\u{1b}[0m sent\u{1b}]0;t\u{7}\u{1b}[2J\u{1b}[1;31mX\u{1b}[0m\tok\n";
        assert_eq!(
            visible(text, true),
            "\u{1b}[1mname\u{1b}[0m sent␛]0;t␇␛[2J\u{1b}[1;31mX\u{1b}[0m␉ok\n"
        );
        assert_eq!(
            visible(text, false),
            "␛[1mname␛[0m sent␛]0;t␇␛[2J␛[1;31mX␛[0m␉ok\n"
        );
    }
}
