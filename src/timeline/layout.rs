//! Layout arithmetic shared by the renderers: a time axis mapped onto a number of cells (terminal
//! columns, or SVG units), with tick marks at round numbers of seconds.

/// Tick steps, in seconds, from which the axis picks the smallest that keeps labels apart.
const STEPS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
];

/// A time axis from 0 to `end` seconds over `cells` cells (cell 0 is 0s, the last cell `end`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub end: f64,
    pub step: f64,
    pub cells: usize,
}

impl Scale {
    /// An axis that shows `max_time` seconds over `cells` cells, with ticks at least
    /// `min_tick_gap` cells apart. The end is rounded up to a whole step.
    pub fn new(max_time: f64, cells: usize, min_tick_gap: usize) -> Scale {
        let cells = cells.max(2);
        let max_time = if max_time.is_finite() && max_time > 0.0 {
            max_time
        } else {
            1.0
        };
        let max_ticks = ((cells - 1) / min_tick_gap.max(1)).max(1) as f64;
        let step = STEPS
            .iter()
            .copied()
            .find(|step| (max_time / step).ceil() <= max_ticks)
            .unwrap_or_else(|| (max_time / max_ticks / 3600.0).ceil() * 3600.0);
        let end = (max_time / step).ceil() * step;
        Scale { end, step, cells }
    }

    /// The cell of a time (clamped to the axis).
    pub fn cell(&self, seconds: f64) -> usize {
        if !seconds.is_finite() || seconds <= 0.0 {
            return 0;
        }
        let last = (self.cells - 1) as f64;
        let cell = (seconds / self.end * last).round();
        (cell.min(last)) as usize
    }

    /// The position of a time as a fraction of the axis length (0.0–1.0), for drawing.
    pub fn fraction(&self, seconds: f64) -> f64 {
        if !seconds.is_finite() {
            return 0.0;
        }
        (seconds / self.end).clamp(0.0, 1.0)
    }

    /// Tick times and their cells, from 0 to the end.
    pub fn ticks(&self) -> Vec<(f64, usize)> {
        let count = (self.end / self.step).round() as usize;
        (0..=count)
            .map(|i| {
                let t = i as f64 * self.step;
                (t, self.cell(t))
            })
            .collect()
    }

    /// The cells a segment `[start, end]` covers (at least one).
    pub fn span(&self, start: f64, end: f64) -> (usize, usize) {
        let a = self.cell(start);
        let b = self.cell(end.max(start));
        (a, b.max(a))
    }
}

/// A tick label: `0s`, `15s`, `90s`, `120s`, `1.5s`.
pub fn tick_label(seconds: f64) -> String {
    crate::drain::format_seconds(seconds)
}

/// Word-wrap `text` to `width` columns (counted in characters); words longer than the width get
/// a line of their own. The first line may be given less room (`first_width`).
pub fn wrap(text: &str, first_width: usize, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let room = if lines.is_empty() { first_width } else { width };
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > room {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_axis_ends_on_a_whole_step_at_or_after_the_last_event() {
        let scale = Scale::new(35.0, 71, 8);
        assert_eq!(scale.step, 5.0);
        assert_eq!(scale.end, 35.0);
        let scale = Scale::new(36.0, 71, 8);
        assert_eq!((scale.step, scale.end), (5.0, 40.0));
        // Long deadlines get coarse ticks.
        let scale = Scale::new(90.0, 60, 8);
        assert_eq!((scale.step, scale.end), (15.0, 90.0));
        // Nothing happens (everything at 0s): a one-second axis, never a division by zero.
        let scale = Scale::new(0.0, 40, 8);
        assert_eq!((scale.step, scale.end), (1.0, 1.0));
    }

    #[test]
    fn narrow_axes_use_fewer_ticks() {
        let wide = Scale::new(30.0, 100, 6);
        let narrow = Scale::new(30.0, 30, 6);
        assert!(wide.ticks().len() > narrow.ticks().len());
        for scale in [wide, narrow] {
            let ticks = scale.ticks();
            for pair in ticks.windows(2) {
                assert!(pair[1].1 - pair[0].1 >= 6, "{ticks:?}");
            }
        }
    }

    #[test]
    fn times_map_to_cells_proportionally_and_clamp() {
        let scale = Scale::new(40.0, 41, 5);
        assert_eq!(scale.end, 40.0);
        assert_eq!(scale.cell(0.0), 0);
        assert_eq!(scale.cell(20.0), 20);
        assert_eq!(scale.cell(40.0), 40);
        assert_eq!(scale.cell(400.0), 40);
        assert_eq!(scale.cell(-3.0), 0);
        assert_eq!(scale.cell(f64::NAN), 0);
        assert_eq!(scale.span(15.0, 35.0), (15, 35));
        // An empty segment still covers one cell.
        assert_eq!(scale.span(10.0, 10.0), (10, 10));
        assert_eq!(scale.fraction(10.0), 0.25);
        assert_eq!(scale.fraction(99.0), 1.0);
    }

    #[test]
    fn ticks_fall_on_round_seconds() {
        let scale = Scale::new(20.0, 81, 8);
        let ticks: Vec<f64> = scale.ticks().into_iter().map(|(t, _)| t).collect();
        assert_eq!(
            ticks,
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0]
        );
        assert_eq!(tick_label(90.0), "90s");
        assert_eq!(tick_label(1.5), "1.5s");
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(wrap("a bb ccc dddd", 6, 6), vec!["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("short", 3, 10), vec!["short"]);
        assert_eq!(wrap("x y z", 1, 3), vec!["x", "y z"]);
        assert_eq!(wrap("", 10, 10), vec![""]);
    }
}
