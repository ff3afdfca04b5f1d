//! `timeline --format svg`: one self-contained SVG (no scripts, no external fonts or images, no
//! CSS) of every timeline, for docs and pull-request comments. The output is deterministic:
//! numbers are rounded to one decimal and everything is laid out from the model alone.

use std::fmt::Write;

use super::layout::{self, Scale};
use super::model::{Delivery, DrainRow, Kill, Lane, Timeline, Verdict, WorkloadTimeline};
use super::text::{details, Places};
use crate::drain::format_seconds;
use crate::source::Files;

const MARGIN: f64 = 16.0;
/// Monospace advance at the font sizes below (0.6 em), used to size the picture to its text.
const CHAR_WIDTH: f64 = 7.4;
const SMALL_CHAR_WIDTH: f64 = 6.8;
const LABEL_X: f64 = MARGIN + 16.0;
const CHART_X: f64 = MARGIN + 96.0;
const CHART_WIDTH: f64 = 600.0;
const VALUE_GAP: f64 = 12.0;
const ROW_HEIGHT: f64 = 20.0;
const BAR_HEIGHT: f64 = 12.0;
const DETAIL_HEIGHT: f64 = 16.0;
/// Longest detail line before it wraps, in characters.
const DETAIL_CHARS: usize = 120;

const FONT: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";
const INK: &str = "#1f2328";
const MUTED: &str = "#656d76";
const AXIS: &str = "#8c959f";
const PHASE: &str = "#4f81bd";
const SIGNAL: &str = "#b7791f";
const DRAIN: &str = "#2da44e";
const CUT: &str = "#cf222e";
const UNKNOWN: &str = "#afb8c1";

/// `12`, `12.5`: at most one decimal, no trailing `.0`.
fn n(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

/// Text content and attribute values, escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

struct Canvas {
    body: String,
    y: f64,
    width: f64,
}

impl Canvas {
    fn text(&mut self, x: f64, y: f64, size: f64, fill: &str, weight: Option<&str>, text: &str) {
        let weight = weight.map_or(String::new(), |w| format!(" font-weight=\"{w}\""));
        let _ = writeln!(
            self.body,
            "  <text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{fill}\"{weight}>{}</text>",
            n(x),
            n(y),
            n(size),
            escape(text)
        );
        let advance = if size < 12.0 {
            SMALL_CHAR_WIDTH
        } else {
            CHAR_WIDTH
        };
        self.width = self
            .width
            .max(x + text.chars().count() as f64 * advance + MARGIN);
    }

    fn rect(&mut self, x: f64, y: f64, width: f64, height: f64, fill: &str) {
        let _ = writeln!(
            self.body,
            "  <rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\" fill=\"{fill}\"/>",
            n(x),
            n(y),
            n(width.max(2.0)),
            n(height)
        );
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, dash: Option<&str>) {
        let dash = dash.map_or(String::new(), |d| format!(" stroke-dasharray=\"{d}\""));
        let _ = writeln!(
            self.body,
            "  <line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\" stroke-width=\"1.5\"{dash}/>",
            n(x1),
            n(y1),
            n(x2),
            n(y2)
        );
    }

    fn title(&mut self, text: &str) {
        let _ = writeln!(self.body, "  <title>{}</title>", escape(text));
    }
}

/// The SVG document.
pub fn render(timeline: &Timeline, files: &Files) -> String {
    let files = &Places::new(files);
    let mut canvas = Canvas {
        body: String::new(),
        y: MARGIN,
        width: CHART_X + CHART_WIDTH + VALUE_GAP + 80.0 + MARGIN,
    };
    canvas.title("shutdownlint timeline");
    if timeline.workloads.is_empty() {
        canvas.y += 16.0;
        canvas.text(MARGIN, canvas.y, 13.0, INK, None, "No workloads found.");
        canvas.y += MARGIN;
    }
    for (i, workload) in timeline.workloads.iter().enumerate() {
        if i > 0 {
            canvas.y += 10.0;
            let y = canvas.y;
            canvas.line(MARGIN, y, CHART_X + CHART_WIDTH, y, UNKNOWN, None);
            canvas.y += 6.0;
        }
        render_workload(&mut canvas, workload, files);
    }
    if timeline.omitted.any() {
        canvas.y += 26.0;
        let y = canvas.y;
        canvas.text(MARGIN, y, 12.0, MUTED, None, &timeline.omitted.note());
    }
    canvas.y += MARGIN - 8.0;
    let width = canvas.width.ceil();
    let height = canvas.y.ceil();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"{FONT}\">",
        w = n(width),
        h = n(height)
    );
    let _ = writeln!(
        out,
        "  <rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>",
        n(width),
        n(height)
    );
    out.push_str(&canvas.body);
    out.push_str("</svg>\n");
    out
}

fn render_workload(canvas: &mut Canvas, workload: &WorkloadTimeline, files: &Places<'_>) {
    canvas.y += 16.0;
    let header = format!(
        "{} ({}) {}",
        workload.name,
        super::text::platform_label(workload.platform),
        files.place(&workload.location)
    );
    let y = canvas.y;
    canvas.text(MARGIN, y, 14.0, INK, Some("bold"), &header);
    for lane in &workload.lanes {
        render_lane(canvas, lane, files);
    }
}

fn verdict_colour(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Fits { .. } => DRAIN,
        Verdict::Unknown { .. } | Verdict::NeverKilled => SIGNAL,
        _ => CUT,
    }
}

fn render_lane(canvas: &mut Canvas, lane: &Lane, files: &Places<'_>) {
    let mark = match &lane.verdict {
        Verdict::Fits { .. } => "✓",
        Verdict::Unknown { .. } => "?",
        Verdict::NeverKilled => "!",
        _ => "✗",
    };
    let mut title = format!("{} {}", lane.noun, lane.process);
    if lane.serves {
        title.push_str(" (serves traffic)");
    }
    canvas.y += 22.0;
    let y = canvas.y;
    canvas.text(MARGIN + 8.0, y, 13.0, INK, Some("bold"), &title);
    canvas.y += 17.0;
    let y = canvas.y;
    canvas.text(
        MARGIN + 8.0,
        y,
        12.0,
        verdict_colour(&lane.verdict),
        None,
        &format!("{mark} {}", lane.summary()),
    );

    let scale = Scale::new(lane.end_time(), CHART_WIDTH as usize + 1, 60);
    let x = |seconds: f64| CHART_X + scale.fraction(seconds) * CHART_WIDTH;

    // Axis with ticks.
    canvas.y += 20.0;
    let axis_y = canvas.y;
    for (seconds, _) in scale.ticks() {
        let tx = x(seconds);
        let _ = writeln!(
            canvas.body,
            "  <text x=\"{}\" y=\"{}\" font-size=\"10\" fill=\"{MUTED}\" text-anchor=\"middle\">{}</text>",
            n(tx),
            n(axis_y - 6.0),
            escape(&layout::tick_label(seconds))
        );
        canvas.line(tx, axis_y - 3.0, tx, axis_y + 3.0, AXIS, None);
    }
    canvas.line(CHART_X, axis_y, CHART_X + CHART_WIDTH, axis_y, AXIS, None);
    let rows_top = axis_y + 6.0;
    let value_x = CHART_X + CHART_WIDTH + VALUE_GAP;
    let mut row_y = rows_top;
    let mut row = |canvas: &mut Canvas, label: &str, value: &str| {
        let y = row_y;
        canvas.text(LABEL_X, y + BAR_HEIGHT - 1.0, 12.0, INK, None, label);
        canvas.text(value_x, y + BAR_HEIGHT - 1.0, 12.0, MUTED, None, value);
        row_y += ROW_HEIGHT;
        y
    };

    if let Some(phase) = &lane.before_signal {
        let y = match phase.seconds {
            Some(seconds) => {
                let y = row(canvas, phase.kind.label(), &span_text(0.0, seconds));
                let end = phase.cut_at.map_or(seconds, |c| c.min(seconds));
                canvas.rect(x(0.0), y, x(end) - x(0.0), BAR_HEIGHT, PHASE);
                if let Some(cut) = phase.cut_at.filter(|c| *c < seconds) {
                    canvas.rect(x(cut), y, x(seconds) - x(cut), BAR_HEIGHT, CUT);
                }
                y
            }
            None if phase.skipped => row(canvas, phase.kind.label(), "not run"),
            None => {
                let y = row(canvas, phase.kind.label(), "?");
                canvas.text(
                    x(0.0) + 2.0,
                    y + BAR_HEIGHT - 1.0,
                    12.0,
                    PHASE,
                    None,
                    "? duration unknown",
                );
                y
            }
        };
        let _ = y;
    }

    let signal = &lane.signal;
    let signal_value = if signal.after_unknown {
        "?".to_string()
    } else {
        format_seconds(signal.at)
    };
    let signal_y = row(canvas, &signal.name, &signal_value);
    let sx = x(signal.at);
    let _ = writeln!(
        canvas.body,
        "  <path d=\"M {} {} L {} {} L {} {} Z\" fill=\"{SIGNAL}\"/>",
        n(sx),
        n(signal_y),
        n(sx + 6.0),
        n(signal_y + BAR_HEIGHT),
        n(sx - 6.0),
        n(signal_y + BAR_HEIGHT)
    );
    if !matches!(signal.delivery, Delivery::Reaches(_)) || signal.finding.is_some() {
        let note = match (&signal.delivery, &signal.finding) {
            (_, Some(f)) if f.rule == "SL104" => "ExecStop= sends SIGKILL [SL104]".to_string(),
            (_, Some(f)) => format!("a fast shutdown for {} [{}]", lane.app_name(), f.rule),
            (Delivery::Blocked(_), _) => format!("never reaches {}", lane.app_name()),
            (Delivery::Uncertain(_), _) => format!("may not reach {}", lane.app_name()),
            (Delivery::Uncatchable(_), _) => "cannot be caught".to_string(),
            (Delivery::NotSent(_), _) => "not sent".to_string(),
            _ => "reaches an unknown command".to_string(),
        };
        let colour = if matches!(
            signal.delivery,
            Delivery::Unknown(_) | Delivery::Uncertain(_)
        ) && signal.finding.is_none()
        {
            SIGNAL
        } else {
            CUT
        };
        canvas.text(
            sx + 10.0,
            signal_y + BAR_HEIGHT - 1.0,
            11.0,
            colour,
            None,
            &note,
        );
    }

    let kill_at = lane.kill.at();
    let drain_row = lane.drain_row();
    let (drain_label, drain_value) = match drain_row {
        DrainRow::Unaware { .. } => ("app", "no drain".to_string()),
        DrainRow::Dropped { .. } => ("drain", "none".to_string()),
        DrainRow::Window { start, end, .. } => ("drain", span_text(start, end)),
        DrainRow::Unknown { .. } => ("drain", "?".to_string()),
    };
    let drain_y = row(canvas, drain_label, &drain_value);
    let mid = drain_y + BAR_HEIGHT / 2.0;
    match drain_row {
        DrainRow::Unaware { start, end } => {
            let end = end.unwrap_or(scale.end);
            canvas.line(x(start), mid, x(end), mid, MUTED, Some("1 3"));
        }
        DrainRow::Dropped { at } => {
            canvas.rect(x(at), drain_y, 3.0, BAR_HEIGHT, CUT);
        }
        DrainRow::Window {
            start,
            end,
            killed_at,
        } => {
            let kept = killed_at.unwrap_or(end);
            canvas.rect(x(start), drain_y, x(kept) - x(start), BAR_HEIGHT, DRAIN);
            if let Some(kill) = killed_at {
                canvas.rect(x(kill), drain_y, x(end) - x(kill), BAR_HEIGHT, CUT);
            }
        }
        DrainRow::Unknown { start, end } => {
            let end = end.unwrap_or(scale.end);
            let _ = writeln!(
                canvas.body,
                "  <rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"2\" fill=\"none\" stroke=\"{UNKNOWN}\" stroke-dasharray=\"4 3\"/>",
                n(x(start)),
                n(drain_y),
                n((x(end) - x(start)).max(2.0)),
                n(BAR_HEIGHT)
            );
            canvas.text(
                x(start) + 4.0,
                drain_y + BAR_HEIGHT - 2.0,
                11.0,
                MUTED,
                None,
                "? unknown",
            );
        }
    }

    let kill_value = match &lane.kill {
        Kill::At { at, .. } => format_seconds(*at),
        Kill::Never(_) => "never".to_string(),
    };
    let kill_y = row(canvas, "SIGKILL", &kill_value);
    if let Some(at) = kill_at {
        let kx = x(at);
        canvas.line(
            kx,
            rows_top - 4.0,
            kx,
            kill_y + BAR_HEIGHT,
            CUT,
            Some("3 2"),
        );
        let c = kill_y + BAR_HEIGHT / 2.0;
        canvas.line(kx - 5.0, c - 5.0, kx + 5.0, c + 5.0, CUT, None);
        canvas.line(kx - 5.0, c + 5.0, kx + 5.0, c - 5.0, CUT, None);
    }
    canvas.y = row_y + 4.0;

    // Where every number came from.
    for (label, text) in details(lane, files, &super::text::UNICODE_MARKS) {
        let lines = layout::wrap(&text, DETAIL_CHARS, DETAIL_CHARS);
        for (i, line) in lines.iter().enumerate() {
            canvas.y += DETAIL_HEIGHT;
            let y = canvas.y;
            if i == 0 && !label.is_empty() {
                canvas.text(LABEL_X, y, 11.0, INK, Some("bold"), &label);
            }
            canvas.text(CHART_X, y, 11.0, MUTED, None, line);
        }
    }
}

fn span_text(start: f64, end: f64) -> String {
    format!(
        "{}–{}",
        format_seconds(start).trim_end_matches('s'),
        format_seconds(end)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_at_most_one_decimal() {
        assert_eq!(n(12.0), "12");
        assert_eq!(n(12.25), "12.3");
        assert_eq!(n(0.04), "0");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{1}"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt; "
        );
    }
}
