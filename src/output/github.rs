//! `--format github`: GitHub Actions workflow commands, one annotation per finding.

use std::fmt::Write;

use super::Positions;
use crate::diagnostic::{Diagnostic, Severity};
use crate::Report;

/// Escape the message part of a workflow command: `%`, CR and LF as the workflow command rules
/// say, every other control character as its picture ([`super::control_picture`]), which the log
/// shows instead of acting on it.
fn escape_data(s: &str) -> String {
    super::visible(s, &['\r', '\n'])
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value of a workflow command.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Write one annotation per finding to `out`, `window` findings at a time.
pub(super) fn write(
    report: &Report,
    window: usize,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let mut line = String::new();
    for (window, positions) in super::windows(report, window) {
        for d in window {
            line.clear();
            annotation(report, &positions, d, &mut line);
            out.write_all(line.as_bytes())?;
        }
    }
    Ok(())
}

/// The workflow command of one finding, with its line break.
fn annotation(report: &Report, positions: &Positions<'_>, d: &Diagnostic, out: &mut String) {
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let name = crate::rules::by_code(d.code).map_or("", |r| r.name);
    let (start, end) = positions.range(&d.location);
    let mut message = d.display_message();
    if let Some(help) = &d.help {
        let _ = write!(message, "\nhelp: {help}");
    }
    let _ = write!(
        out,
        "::{command} file={},line={},col={}",
        escape_property(report.files.path(d.location.file)),
        start.line,
        start.column
    );
    if end.line > start.line {
        let _ = write!(out, ",endLine={}", end.line);
    } else if end.column > start.column {
        let _ = write!(out, ",endColumn={}", end.column);
    }
    let _ = writeln!(
        out,
        ",title={}::{}",
        escape_property(&format!("{} {name}", d.code)),
        escape_data(&message)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_command_text() {
        assert_eq!(escape_data("50%\nx"), "50%25%0Ax");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(
            escape_data("FO\x1b]0;x\x07\x1b[2J\t\0\u{9b}\x7f\r\n"),
            "FO␛]0;x␇␛[2J␉␀\u{fffd}␡%0D%0A"
        );
        assert_eq!(escape_property("esc\x1b[31m:x"), "esc␛[31m%3Ax");
    }
}
