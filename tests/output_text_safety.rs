//! The text outputs (human, GitHub, the timeline, and everything on stderr) show what files contain without letting it act on the
//! terminal or the CI log: control characters in messages, labels, paths, notes and source
//! lines appear as pictures (`␛`, `␀`, U+FFFD for C1 controls), and a huge line next to a finding
//! is clipped, never printed whole.

use std::path::Path;
use std::process::Command;

use shutdownlint::output::{self, Format};
use shutdownlint::source::FileKind;

fn lint(display: &str, kind: FileKind, text: String) -> shutdownlint::Report {
    let settings = shutdownlint::Settings::new(
        shutdownlint::config::Config::default(),
        shutdownlint::config::Selection::all(),
    );
    shutdownlint::lint_inputs(
        vec![shutdownlint::InputFile {
            display: display.to_string(),
            kind,
            text,
            dir: None,
        }],
        &settings,
    )
}

/// Every control character in `text` but the line break (and the tab when `tab`): C0, DEL, C1.
fn controls(text: &str, tab: bool) -> Vec<(usize, char)> {
    text.char_indices()
        .filter(|&(_, c)| c.is_control() && c != '\n' && !(tab && c == '\t'))
        .collect()
}

/// A Dockerfile whose second line (a parse error, quoted in the message) sets the terminal title
/// and clears the screen, in a folder whose name colours the terminal.
const PATH: &str = "esc\x1b[31m\u{9b}0m/Dockerfile";
const HOSTILE: &str = "FROM alpine\nFO\x1b]0;pwned\x07\x1b[2J\0\u{9b}\x7f\r\tx\nCMD npm start\n";

#[test]
fn human_output_shows_control_characters_as_pictures() {
    let report = lint(PATH, FileKind::Dockerfile, HOSTILE.to_string());
    assert!(!report.diagnostics.is_empty(), "the parse error is found");
    let human = output::render(&report, Format::Human, false);
    assert_eq!(controls(&human, false), vec![], "{human}");
    // The message, the path in the snippet header, the source line.
    assert!(
        human.contains("unknown instruction: FO␛]0;PWNED␇␛[2J␀\u{fffd}␡"),
        "{human}"
    );
    assert!(
        human.contains("[esc␛[31m\u{fffd}0m/Dockerfile:2:1]"),
        "{human}"
    );
    // The instruction, underlined.
    let shown = "FO␛]0;pwned␇␛[2J␀\u{fffd}␡";
    let lines: Vec<&str> = human.lines().collect();
    let at = lines
        .iter()
        .position(|line| line.contains(shown))
        .unwrap_or_else(|| panic!("the source line is shown: {human}"));
    // The underline is under the line's characters, one column each (the tab is expanded).
    let column = |line: &str, needle: &str| {
        line.find(needle)
            .map(|i| line[..i].chars().count())
            .unwrap_or_else(|| panic!("{needle:?} in {line:?}"))
    };
    let underline = lines[at + 1];
    let first = underline
        .char_indices()
        .find(|&(_, c)| matches!(c, '─' | '┬' | '┼' | '▲'))
        .map(|(i, _)| underline[..i].chars().count())
        .unwrap_or_else(|| panic!("an underline: {human}"));
    let width = underline
        .chars()
        .skip(first)
        .take_while(|c| *c != ' ')
        .count();
    assert_eq!(first, column(lines[at], "FO␛"), "{human}");
    assert_eq!(width, shown.chars().count(), "{human}");
}

#[test]
fn github_output_shows_control_characters_as_pictures() {
    let report = lint(PATH, FileKind::Dockerfile, HOSTILE.to_string());
    let github = output::render(&report, Format::Github, false);
    assert_eq!(controls(&github, false), vec![], "{github}");
    assert!(
        github.contains("::error file=esc␛[31m\u{fffd}0m/Dockerfile,line=2,col=1"),
        "{github}"
    );
    assert!(
        github.contains("unknown instruction: FO␛]0;PWNED␇␛[2J␀\u{fffd}␡"),
        "{github}"
    );
    // JSON keeps the text as it is (escaped the JSON way).
    let json = output::render(&report, Format::Json, false);
    assert!(json.contains(r"esc\u001b[31m"), "{json}");
}

/// A UTF-16 file read as UTF-8 is full of NUL bytes: in messages and source lines they are `␀`.
#[test]
fn nul_bytes_of_a_utf16_file_are_shown_as_pictures() {
    let mut bytes = vec![0xff, 0xfe];
    for unit in "FROM alpine\nCMD x\n".encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let report = lint("u16/Dockerfile", FileKind::Dockerfile, text);
    assert!(!report.diagnostics.is_empty());
    for format in [Format::Human, Format::Github] {
        let out = output::render(&report, format, false);
        assert_eq!(controls(&out, false), vec![], "{format:?}: {out}");
        assert!(out.contains("␀"), "{format:?}: {out}");
    }
}

/// Clean text is shown as it is: tabs in source lines are expanded by miette as before.
#[test]
fn tabs_in_source_lines_are_expanded() {
    let text = "FROM alpine\n\tCMD npm start\n".to_string();
    let report = lint("Dockerfile", FileKind::Dockerfile, text);
    let human = output::render(&report, Format::Human, false);
    assert!(human.contains(" │     CMD npm start\n"), "{human}");
    // The label is still under `npm start`.
    assert!(human.contains(" ·         ────┬────\n"), "{human}");
    assert!(!human.contains('␉') && !human.contains('\t'), "{human}");
}

/// The 1-based line and column of a finding, as the other outputs count them.
fn position(report: &shutdownlint::Report, text: &str) -> (usize, usize) {
    let offset = report.diagnostics[0].location.span.start;
    let at = shutdownlint::source::LineIndex::new(text).position(text, offset);
    (at.line, at.column)
}

/// The human output of `text` linted as `file`: it must stay small (a few kB, however long the
/// lines) and name the first finding's position; returned with that position.
fn small_human(file: &str, kind: FileKind, text: &str) -> (String, usize, usize) {
    let report = lint(file, kind, text.to_string());
    assert!(!report.diagnostics.is_empty());
    let human = output::render(&report, Format::Human, false);
    assert!(
        human.len() < 5_000,
        "{} bytes:\n{}",
        human.len(),
        &human[..2000.min(human.len())]
    );
    let (line, column) = position(&report, text);
    assert!(
        human.contains(&format!("[{file}:{line}:{column}]")),
        "{human}"
    );
    (human, line, column)
}

/// A finding next to a line of a megabyte is shown with that line clipped: the output stays
/// small and still says where the finding is.
#[test]
fn a_long_line_before_a_finding_is_clipped() {
    // One long scalar, not a million nodes (over the YAML node limit).
    let megabyte = "x".repeat(1 << 20);
    // An unclosed flow sequence: the parse error is on the line after the long one.
    let text = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\ndata: [{megabyte}1\n"
    );
    let (human, line, _) = small_human("deploy.yaml", FileKind::Yaml, &text);
    assert!(human.contains("data: [xxx"), "{human}");
    assert!(human.contains("…\n"), "{human}");
    assert!(line > 5, "after the long line: {line}");
}

/// A finding a megabyte into its line is shown around it, at its position.
#[test]
fn a_long_line_with_a_finding_far_into_it_is_clipped_around_it() {
    // One long scalar, not a million nodes (over the YAML node limit).
    let megabyte = "x".repeat(1 << 20);
    let text = format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\ndata: [{megabyte}]]\nmore: 1\n");
    let (human, _, column) = small_human("deploy.yaml", FileKind::Yaml, &text);
    assert!(column > 1 << 20, "far into the line: {column}");
    assert!(human.contains(" │ …xxx"), "{human}");
    assert!(human.contains("xxx]]\n"), "{human}");
    // The underline is under the second `]`, the last character of the line.
    let lines: Vec<&str> = human.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.ends_with("]]"))
        .unwrap_or_else(|| panic!("{human}"));
    let mark = lines[at + 1]
        .char_indices()
        .find(|&(_, c)| matches!(c, '─' | '┬' | '▲'))
        .map(|(i, _)| lines[at + 1][..i].chars().count());
    assert_eq!(mark, Some(lines[at].chars().count() - 1), "{human}");
}

/// Every line of a snippet is clipped: the finding's own line, a long line after it.
#[test]
fn long_lines_of_a_finding_and_after_it_are_clipped() {
    let long = "x".repeat(1 << 20);
    let text = format!("FROM alpine\nFO {long}\nRUN echo {long}\n");
    let (human, _, _) = small_human("Dockerfile", FileKind::Dockerfile, &text);
    assert!(human.contains("FO xxx"), "{human}");
    assert!(human.contains("RUN echo xxx"), "{human}");
    assert!(human.matches("x…\n").count() >= 2, "{human}");
}

// --- The binary: file names in notes and annotations --------------------------------------------

fn run(dir: &Path, args: &[&str]) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_shutdownlint"))
        .current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .expect("shutdownlint runs");
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        String::from_utf8(output.stdout).expect("utf-8 output"),
        String::from_utf8(output.stderr).expect("utf-8 stderr"),
    )
}

#[cfg(unix)]
#[test]
fn file_names_with_control_characters_are_shown_as_pictures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let linted = dir.path().join("esc\x1b[31m");
    std::fs::create_dir(&linted).expect("mkdir");
    std::fs::write(linted.join("Dockerfile"), "FROM alpine\nCMD npm start\n").expect("write");
    // A template: skipped with a note that names it.
    let template = dir.path().join("tpl\x07\u{9b}");
    std::fs::create_dir(&template).expect("mkdir");
    std::fs::write(template.join("Dockerfile"), "FROM {{ .Image }}\n").expect("write");

    for (args, tab) in [
        (&["--format", "github", "."][..], false),
        (&["--no-color", "."][..], false),
    ] {
        let (stdout, stderr) = run(dir.path(), args);
        assert_eq!(controls(&stdout, tab), vec![], "{args:?}: {stdout}");
        assert_eq!(controls(&stderr, tab), vec![], "{args:?}: {stderr}");
        assert!(stdout.contains("esc␛[31m/Dockerfile"), "{args:?}: {stdout}");
        assert!(
            stderr.contains("tpl␇\u{fffd}/Dockerfile: looks like a template"),
            "{args:?}: {stderr}"
        );
    }
    // JSON and SARIF documents escape the name; their notes go to stderr, a terminal or a log
    // like any other.
    for format in ["json", "sarif"] {
        let (stdout, stderr) = run(dir.path(), &["--format", format, "."]);
        assert_eq!(controls(&stdout, true), vec![], "{format}: {stdout}");
        let name = if format == "json" {
            r"esc\u001b[31m/Dockerfile"
        } else {
            "esc%1B%5B31m/Dockerfile"
        };
        assert!(stdout.contains(name), "{stdout}");
        assert_eq!(controls(&stderr, false), vec![], "{format}: {stderr}");
        assert!(stderr.contains("tpl␇\u{fffd}/Dockerfile"), "{stderr}");
    }
    // The timeline names the workload's file.
    let (stdout, stderr) = run(dir.path(), &["timeline", "--no-color", "."]);
    assert_eq!(controls(&stdout, false), vec![], "{stdout}");
    assert_eq!(controls(&stderr, false), vec![], "{stderr}");
    assert!(stdout.contains("esc␛[31m/Dockerfile"), "{stdout}");
}

#[test]
fn error_messages_show_control_characters_as_pictures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_shutdownlint"))
        .current_dir(dir.path())
        .arg("missing\x1b]0;pwned\x07")
        .output()
        .expect("shutdownlint runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).expect("utf-8 stderr");
    assert_eq!(controls(&stderr, false), vec![], "{stderr}");
    assert!(stderr.contains("missing␛]0;pwned␇"), "{stderr}");
}
