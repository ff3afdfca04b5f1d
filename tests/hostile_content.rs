//! Hostile file *contents* for every format, through the real binary: alias bombs, nesting
//! 10,000 deep, huge and single-line files, invalid UTF-8 and NUL bytes, BOMs and CRLF, empty
//! files, deep shell substitutions in entrypoint scripts, and the crashing inputs the fuzzers
//! found (testdata/regressions). Every case must end within 5 seconds with exit status 0 or 1,
//! without a panic, and with what a user should see: a parse error (SL000), a note on stderr,
//! or an ordinary lint. The big inputs are generated here, never committed.
//!
//! Discovery-level cases (symlinks, FIFOs, unreadable files, the size-cap setting) are tested
//! elsewhere; here only the default cap is relied on.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use shutdownlint::discover::DEFAULT_MAX_FILE_BYTES;

mod common;

/// Each run of the binary must end within this: 5 s for an optimised build, as the product
/// promises; an unoptimised test build on a loaded 2-core CI machine gets four times as long, so
/// the test catches hangs and blow-ups without failing on load.
const DEADLINE: Duration = if cfg!(debug_assertions) {
    Duration::from_secs(20)
} else {
    Duration::from_secs(5)
};

/// What a case must produce besides "exit 0 or 1, no panic, in time".
#[derive(Clone, Debug)]
enum Expect {
    /// An SL000 on the case's file whose message contains this (case-insensitive; `a|b`: either).
    ParseError(&'static str),
    /// A note on stderr that names the case's file and contains this.
    Note(&'static str),
    /// The file was linted: no SL000 and no note about it (findings are fine).
    Linted,
    /// No diagnostics and no notes at all.
    Clean,
}

/// One input: files written into an empty directory, `file` the one the expectation is about.
struct Case {
    name: String,
    files: Vec<(String, Vec<u8>)>,
    file: String,
    expect: Expect,
}

impl Case {
    fn new(
        name: impl Into<String>,
        file: &str,
        content: impl Into<Vec<u8>>,
        expect: Expect,
    ) -> Self {
        Case {
            name: name.into(),
            files: vec![(file.to_string(), content.into())],
            file: file.to_string(),
            expect,
        }
    }

    /// Another file beside the case's file (the Dockerfile that copies a script, an include).
    fn with(mut self, file: &str, content: impl Into<Vec<u8>>) -> Self {
        self.files.push((file.to_string(), content.into()));
        self
    }
}

struct Run {
    status: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// Run the binary in `dir`; kill it and fail when it runs past the deadline.
fn run(case: &str, dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shutdownlint"));
    command
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE");
    let Some((output, elapsed)) = common::output_within_fed(&mut command, stdin, DEADLINE) else {
        panic!(
            "{case}: `shutdownlint {}` did not finish within {DEADLINE:?}",
            args.join(" ")
        );
    };
    Run {
        status: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        elapsed,
    }
}

/// What every run must satisfy: exit 0 or 1 and no panic.
fn assert_sane(case: &str, run: &Run) {
    assert!(
        matches!(run.status, Some(0 | 1)),
        "{case}: exit status {:?} (want 0 or 1)\nstderr: {}",
        run.status,
        clip(&run.stderr)
    );
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "{case}: panicked\n{}",
        clip(&run.stderr)
    );
}

fn clip(text: &str) -> &str {
    let mut end = text.len().min(2000);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Lint a case's directory in JSON and in human format; check the JSON against the files and
/// the expectation. Returns the JSON diagnostics.
fn check(case: &Case) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, content) in &case.files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, content).expect("write case file");
    }
    let json = run(&case.name, dir.path(), &["--format", "json", "."], None);
    assert_sane(&case.name, &json);
    let diagnostics = check_json(case, &json);
    check_expectation(case, &json, &diagnostics);
    // The human reporter draws source lines (long lines, control characters, CR).
    let human = run(&case.name, dir.path(), &["--no-color", "."], None);
    assert_sane(&case.name, &human);
    assert_eq!(
        json.status, human.status,
        "{}: exit status differs between JSON and human output",
        case.name
    );
    eprintln!(
        "{}: exit {:?}, {} diagnostics, json {:?}, human {:?}",
        case.name,
        json.status,
        diagnostics.len(),
        json.elapsed,
        human.elapsed
    );
    diagnostics
}

/// Parse the JSON report; every position must lie inside the file it names.
fn check_json(case: &Case, run: &Run) -> Vec<serde_json::Value> {
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: JSON output does not parse: {e}\n{}",
            case.name,
            clip(&run.stdout)
        )
    });
    let diagnostics = report["diagnostics"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no diagnostics array", case.name))
        .clone();
    // Each file's size once (thousands of labels can point into one file of megabytes).
    let sizes: std::collections::HashMap<&str, usize> = case
        .files
        .iter()
        .rev()
        .map(|(name, content)| (name.as_str(), lossy_len(content)))
        .collect();
    let size_of = |file: &str| sizes.get(file).copied();
    for d in &diagnostics {
        let mut places = vec![d];
        if let Some(labels) = d["labels"].as_array() {
            places.extend(labels.iter());
        }
        for place in places {
            let file = place["file"].as_str().unwrap_or_default();
            let Some(size) = size_of(file) else {
                panic!(
                    "{}: a diagnostic names a file not in the case: {d}",
                    case.name
                );
            };
            let start = place["start"]["offset"].as_u64().unwrap_or(u64::MAX);
            let end = place["end"]["offset"].as_u64().unwrap_or(u64::MAX);
            assert!(
                start <= end && end <= size as u64,
                "{}: span {start}..{end} outside {file} ({size} bytes): {d}",
                case.name
            );
        }
    }
    diagnostics
}

/// The length of a file's text as shutdownlint reads it (invalid UTF-8 replaced).
fn lossy_len(bytes: &[u8]) -> usize {
    String::from_utf8_lossy(bytes).len()
}

fn parse_errors<'a>(
    diagnostics: &'a [serde_json::Value],
    file: &'a str,
) -> impl Iterator<Item = &'a serde_json::Value> + 'a {
    diagnostics
        .iter()
        .filter(move |d| d["rule"] == "SL000" && d["file"] == file)
}

fn notes_about<'a>(run: &'a Run, file: &'a str) -> Vec<&'a str> {
    run.stderr
        .lines()
        .filter(|line| line.starts_with("shutdownlint: ") && line.contains(file))
        .collect()
}

fn check_expectation(case: &Case, run: &Run, diagnostics: &[serde_json::Value]) {
    let name = &case.name;
    let file = case.file.as_str();
    let errors: Vec<&serde_json::Value> = parse_errors(diagnostics, file).collect();
    let notes = notes_about(run, file);
    match &case.expect {
        Expect::ParseError(wanted) => {
            let mentions = |d: &&serde_json::Value| {
                let message = d["message"].as_str().unwrap_or_default().to_lowercase();
                wanted
                    .split('|')
                    .any(|w| message.contains(&w.to_lowercase()))
            };
            assert!(
                errors.iter().any(mentions),
                "{name}: want an SL000 on {file} mentioning {wanted:?}; got {errors:?}\nnotes: {notes:?}"
            );
            assert_eq!(run.status, Some(1), "{name}: a parse error fails the run");
        }
        Expect::Note(wanted) => {
            assert!(
                notes.iter().any(|n| n.contains(wanted)),
                "{name}: want a note about {file} mentioning {wanted:?}; stderr: {}",
                clip(&run.stderr)
            );
            assert!(errors.is_empty(), "{name}: skipped, yet {errors:?}");
        }
        Expect::Linted => {
            assert!(errors.is_empty(), "{name}: unexpected SL000 {errors:?}");
            assert!(notes.is_empty(), "{name}: unexpected notes {notes:?}");
        }
        Expect::Clean => {
            assert!(
                diagnostics.is_empty(),
                "{name}: want no diagnostics, got {diagnostics:?}"
            );
            assert!(
                run.stderr.trim().is_empty(),
                "{name}: want no notes, got {}",
                clip(&run.stderr)
            );
            assert_eq!(run.status, Some(0), "{name}");
        }
    }
}

/// Check every case; report all failures at once.
fn check_all(cases: &[Case]) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(case)))
                .err()
                .map(|e| {
                    e.downcast_ref::<String>()
                        .cloned()
                        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| format!("{}: failed", case.name))
                })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// (rule, line) of every diagnostic, to compare two spellings of one file.
fn findings(diagnostics: &[serde_json::Value]) -> Vec<(String, u64)> {
    diagnostics
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or_default().to_string(),
                d["start"]["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// A BOM and CRLF line endings must not change what is found, nor where.
fn assert_bom_crlf_agrees(name: &str, file: &str, lf: &str) {
    assert_line_endings_agree(name, file, lf, true);
}

/// CRLF line endings (and a BOM when `bom`) must not change what is found, nor where.
fn assert_line_endings_agree(name: &str, file: &str, lf: &str, bom: bool) {
    let crlf = lf.replace('\n', "\r\n");
    if bom {
        assert_variant_agrees(name, file, lf, "BOM + CRLF", format!("\u{feff}{crlf}"));
    } else {
        assert_variant_agrees(name, file, lf, "CRLF", crlf);
    }
}

/// YAML with classic Mac OS line breaks (a lone CR, which YAML and editors count as a line
/// break): the same findings on the same lines as with LF.
fn assert_lone_cr_agrees(name: &str, file: &str, lf: &str) {
    assert_variant_agrees(name, file, lf, "lone CR", lf.replace('\n', "\r"));
}

/// `text` (`lf` written another way, as `label` says) gives the findings `lf` gives, on the
/// same lines; `lf` has some.
fn assert_variant_agrees(name: &str, file: &str, lf: &str, label: &str, text: String) {
    let plain = check(&Case::new(format!("{name} (LF)"), file, lf, Expect::Linted));
    let variant = check(&Case::new(
        format!("{name} ({label})"),
        file,
        text,
        Expect::Linted,
    ));
    assert!(
        !plain.is_empty(),
        "{name}: the LF version should have findings"
    );
    assert_eq!(
        findings(&plain),
        findings(&variant),
        "{name}: {label} changed the findings"
    );
}

/// Text that is not UTF-8: a lone continuation byte, an overlong encoding of `/` (C0 AF), a
/// 4-byte sequence cut short, a surrogate encoded in UTF-8 (ED A0 80), and bytes FE FF.
const INVALID_UTF8: &[u8] = b"\x80 \xc0\xaf \xf0\x9f\x98 \xed\xa0\x80 \xfe\xff";

/// `text` with `bytes` spliced in after the first occurrence of `after`.
fn splice(text: &str, after: &str, bytes: &[u8]) -> Vec<u8> {
    let at = text.find(after).map_or(0, |i| i + after.len());
    let mut out = text.as_bytes()[..at].to_vec();
    out.extend_from_slice(bytes);
    out.extend_from_slice(&text.as_bytes()[at..]);
    out
}

// ---------------------------------------------------------------------------------------------
// Kubernetes YAML

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: api:1
          command: [\"sh\", \"-c\", \"node server.js\"]
          ports:
            - containerPort: 8080
";

/// A Deployment whose `spec.template.metadata.annotations` is `value` (a read kind, so the
/// document is parsed, not skipped by the pre-scan).
fn deployment_with(value: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: hostile\nspec:\n  template:\n    metadata:\n      annotations: {value}\n    spec:\n      containers:\n        - name: c\n          image: c:1\n"
    )
}

/// "Billion laughs": nine levels of nine aliases each (9^9 nodes if expanded).
fn alias_bomb() -> String {
    let mut out = String::from(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bomb\n  labels:\n    a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for level in 1..=9 {
        let prev = level - 1;
        let refs = vec![format!("*a{prev}"); 9].join(", ");
        out.push_str(&format!("    a{level}: &a{level} [{refs}]\n"));
    }
    out.push_str("spec:\n  template:\n    spec:\n      containers: [{name: c, image: c:1}]\n");
    out
}

/// A Pod with findings (no readiness probe, one replica).
const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: web\n      image: nginx:1.27\n      ports:\n        - containerPort: 80\n";

/// `text` in UTF-16 after `bom`, each code unit encoded by `unit`.
fn wide(bom: &[u8], text: &str, unit: impl Fn(u16) -> Vec<u8>) -> Vec<u8> {
    let mut bytes = bom.to_vec();
    for code in text.encode_utf16() {
        bytes.extend(unit(code));
    }
    bytes
}

/// What a YAML nesting limit says (ours, or saphyr-parser's own).
const DEEP_YAML: &str = "nesting deeper|recursion limit";

#[test]
fn kubernetes_yaml() {
    let deep = 10_000;
    let mut cases = vec![
        Case::new("alias bomb", "bomb.yaml", alias_bomb(), Expect::ParseError("alias")),
        // Four million one-byte nodes on one 8 MB line (under the size cap): the parser's
        // events alone cost 1.5 GB before the node limit stopped reading them as they came.
        Case::new(
            "a 4,000,000-item flow sequence on one line",
            "long.yaml",
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\ndata: [{}1]\n",
                "1,".repeat(4_000_000)
            ),
            Expect::ParseError("document has more than 250000 nodes (shutdownlint's limit)"),
        ),
        // UTF-16 and UTF-32 (with a byte-order mark): read as UTF-8 they passed for YAML that
        // is not Kubernetes, and were skipped without a word.
        Case::new(
            "a UTF-16LE manifest",
            "wide.yaml",
            wide(&[0xFF, 0xFE], POD, |unit| unit.to_le_bytes().to_vec()),
            Expect::Note("encoded in UTF-16LE"),
        ),
        Case::new(
            "a UTF-16BE unit",
            "app.service",
            wide(&[0xFE, 0xFF], "[Service]\nExecStart=/bin/app\n", |unit| {
                unit.to_be_bytes().to_vec()
            }),
            Expect::Note("encoded in UTF-16BE"),
        ),
        Case::new(
            "a UTF-32LE manifest",
            "wide32.yaml",
            {
                let mut bytes = vec![0xFF, 0xFE, 0, 0];
                for c in POD.chars() {
                    bytes.extend((c as u32).to_le_bytes());
                }
                bytes
            },
            Expect::Note("encoded in UTF-32LE"),
        ),
        // `kind: !!str Pod` is a Pod: the kind's tag (or anchor) used to hide it from the
        // pre-scan, and the file passed for YAML that is not Kubernetes.
        Case::new(
            "a kind with a tag",
            "tagged.yaml",
            POD.replace("kind: Pod", "kind: !!str Pod"),
            Expect::Linted,
        ),
        // A legitimate compose file that merges one anchor into a thousand services
        // (120,000 nodes by expansion) is read: Docker Compose reads it.
        Case::new(
            "a thousand services merging one anchor",
            "compose.yaml",
            {
                let mut text = String::from("x-base: &b\n  image: node:22\n  environment:\n");
                for i in 0..60 {
                    text.push_str(&format!("    V{i}: \"{i}\"\n"));
                }
                text.push_str("services:\n");
                for i in 0..1_000 {
                    text.push_str(&format!("  s{i}:\n    <<: *b\n"));
                }
                text
            },
            Expect::Linted,
        ),
        Case::new(
            "flow sequences 10,000 deep",
            "deep.yaml",
            deployment_with(&format!("{}{}", "[".repeat(deep), "]".repeat(deep))),
            Expect::ParseError(DEEP_YAML),
        ),
        Case::new(
            "flow mappings 10,000 deep",
            "deep.yaml",
            deployment_with(&format!("{}x{}", "{a: ".repeat(deep), "}".repeat(deep))),
            Expect::ParseError(DEEP_YAML),
        ),
        Case::new(
            "block sequences 10,000 deep",
            "deep.yaml",
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  {}x\n",
                "- ".repeat(deep)
            ),
            Expect::ParseError(DEEP_YAML),
        ),
        Case::new(
            "block mappings 1,000 deep",
            "deep.yaml",
            {
                let mut text = String::from("apiVersion: v1\nkind: Pod\nmetadata:\n");
                for level in 1..=1_000 {
                    text.push_str(&" ".repeat(level));
                    text.push_str("k:\n");
                }
                text
            },
            Expect::ParseError(DEEP_YAML),
        ),
        Case::new(
            "10,000-deep nesting in YAML that is not Kubernetes",
            "values.yaml",
            format!("a: {}{}\n", "[".repeat(deep), "]".repeat(deep)),
            Expect::Clean,
        ),
        Case::new(
            "a JSON-style manifest nested 10,000 deep",
            "deep.yaml",
            format!(
                "{{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"spec\": {}{}}}\n",
                "[".repeat(deep),
                "]".repeat(deep)
            ),
            Expect::ParseError(DEEP_YAML),
        ),
        Case::new(
            "10,000-deep JSON that is not Kubernetes",
            "data.yaml",
            format!("{{\"a\": {}{}}}\n", "[".repeat(deep), "]".repeat(deep)),
            Expect::Clean,
        ),
        Case::new(
            "60,000 aliases of one anchor",
            "aliases.yaml",
            deployment_with(&format!(
                "{{base: &a {{x: 1, y: 2}}, all: [{}]}}",
                vec!["*a"; 60_000].join(", ")
            )),
            Expect::ParseError("alias"),
        ),
        Case::new(
            "2,000 aliases of one anchor",
            "aliases.yaml",
            deployment_with(&format!(
                "{{base: &a {{x: 1, y: 2}}, all: [{}]}}",
                vec!["*a"; 2_000].join(", ")
            )),
            Expect::Linted,
        ),
        // An alias copies its anchor's text (an escaped one with a 16-bytes-a-byte offset
        // table): the node budget counted each copy as one node, so 1,000 aliases of a 4 MB
        // scalar took 3.9 GB. The copies are bounded by bytes too.
        Case::new(
            "1,000 aliases of a 4 MB scalar",
            "aliases.yaml",
            deployment_with(&format!(
                "{{base: &a {}, all: [{}]}}",
                "x".repeat(4_000_000),
                vec!["*a"; 1_000].join(", ")
            )),
            Expect::ParseError("aliases expand to more than 16 MiB (alias bomb?"),
        ),
        Case::new(
            "300 aliases of a string of 1,000,000 escapes",
            "aliases.yaml",
            deployment_with(&format!(
                "{{base: &a \"{}\", all: [{}]}}",
                "\\t".repeat(1_000_000),
                vec!["*a"; 300].join(", ")
            )),
            Expect::ParseError("aliases expand to more than 16 MiB (alias bomb?"),
        ),
        Case::new(
            "an alias of an undefined anchor",
            "aliases.yaml",
            deployment_with("*nowhere"),
            Expect::ParseError("anchor"),
        ),
        // Findings 2 million columns into their line: the human output must not draw that far.
        Case::new(
            "a 2 MB line",
            "one-line.yaml",
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers: [{{env: [{{name: A, value: \"{}\"}}], name: c, image: c:1, ports: [{{containerPort: 80}}]}}]\n",
                "x".repeat(2_000_000)
            ),
            Expect::Linted,
        ),
        Case::new(
            "1,000 documents",
            "many.yaml",
            "---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: {app: s}}\n"
                .repeat(1_000),
            Expect::Linted,
        ),
        Case::new(
            "200,000 empty documents",
            "empty-docs.yaml",
            "---\n".repeat(200_000),
            Expect::Clean,
        ),
        Case::new(
            "tab indentation",
            "tabs.yaml",
            DEPLOYMENT.replace("  replicas: 1", "\treplicas: 1"),
            Expect::ParseError("invalid yaml"),
        ),
        Case::new(
            "invalid UTF-8 in a value",
            "utf8.yaml",
            splice(DEPLOYMENT, "name: api", INVALID_UTF8),
            Expect::Linted,
        ),
        Case::new(
            "NUL bytes",
            "nul.yaml",
            splice(DEPLOYMENT, "image: api:1", b"\0\0"),
            Expect::ParseError("invalid yaml"),
        ),
        Case::new("an empty file", "empty.yaml", "", Expect::Clean),
        Case::new(
            "only a BOM and blank lines",
            "bom.yaml",
            "\u{feff}\r\n\r\n",
            Expect::Clean,
        ),
        Case::new(
            "an unclosed quote at the end",
            "quote.yaml",
            format!("{DEPLOYMENT}          args: [\"unclosed"),
            Expect::ParseError("invalid yaml"),
        ),
        Case::new(
            "a Helm template",
            "template.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n",
            Expect::Note("template"),
        ),
    ];
    // A quoted scalar 2,000 columns right, continued on 50,000 short lines left of it: the
    // indentation patches (for what libyaml accepts) must not pad them all (found by fuzzing).
    cases.push(Case::new(
        "a quoted scalar far right over 50,000 short lines",
        "far.yaml",
        deployment_with(&format!(
            "\n        note: {}\"start\n{}end\"",
            " ".repeat(2_000),
            "x\n".repeat(50_000)
        )),
        Expect::ParseError("indentation"),
    ));
    // Every Service selects every pod template: the pairs are not all kept (this took 636 MB
    // for 5,000 of each).
    cases.push(Case::new(
        "1,000 Deployments and 1,000 Services with one label",
        "all.yaml",
        (0..1_000)
            .map(|i| format!("---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}}}\nspec:\n  template:\n    metadata: {{labels: {{app: x}}}}\n    spec: {{containers: [{{name: c, image: c:1, ports: [{{containerPort: 80}}]}}]}}\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: s{i}}}\nspec: {{selector: {{app: x}}, ports: [{{port: 80}}]}}\n"))
            .collect::<String>(),
        Expect::Linted,
    ));
    // Questions about a whole pod asked once per pod, not once per container: whether a
    // container serves the database a liveness probe checks (8,000 probes took over 20 s),
    // which container declares the port a tcpSocket probe opens, and whether a port-less
    // container a Service selects has a sibling with ports (40,000 took 52 s).
    let pod = |containers: String| {
        format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d}}\nspec:\n  replicas: 2\n  template:\n    metadata: {{labels: {{app: a}}}}\n    spec:\n      containers:\n{containers}")
    };
    cases.push(Case::new(
        "8,000 containers with a psql liveness probe",
        "probes.yaml",
        pod((0..8_000)
            .map(|i| format!("      - {{name: c{i}, image: registry.example.com/app:v1, livenessProbe: {{exec: {{command: [psql, -h, $H]}}}}}}\n"))
            .collect()),
        Expect::Linted,
    ));
    cases.push(Case::new(
        "8,000 containers with a tcpSocket liveness probe on 5432",
        "tcp.yaml",
        pod((0..8_000)
            .map(|i| format!("      - {{name: c{i}, image: x, livenessProbe: {{tcpSocket: {{port: 5432}}}}}}\n"))
            .collect()),
        Expect::Linted,
    ));
    cases.push(Case::new(
        "a Service selecting 20,000 port-less containers",
        "serves.yaml",
        format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: s}}\nspec: {{selector: {{app: a}}}}\n---\n{}",
            pod((0..20_000).map(|i| format!("      - {{name: c{i}, image: x}}\n")).collect())
        ),
        Expect::Linted,
    ));
    // Selectors on a grid {cI: x, rJ: x}, pod templates labelled with every cI and no rJ: each
    // template is a candidate of every Service (600 templates took 10 s), and then walked every
    // class the rJ rejects (1,500 took 29 s in a debug build; the classes that do not select a
    // template count toward the cap of 1,000 now).
    let labels: Vec<String> = (0..200).map(|i| format!("c{i}: x")).collect();
    let labels = labels.join(", ");
    cases.push(Case::new(
        "40,000 Services on a grid of selectors and 1,500 pod templates",
        "grid.yaml",
        (0..200)
            .flat_map(|i| (0..200).map(move |j| format!("apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}x{j}}}\nspec: {{selector: {{r{i}: x, c{j}: x}}}}\n---\n")))
            .chain((0..1_500).map(|t| format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{t}}}\nspec:\n  template:\n    metadata: {{labels: {{{labels}}}}}\n    spec: {{containers: [{{name: a, image: b}}]}}\n---\n")))
            .collect::<String>(),
        Expect::Linted,
    ));
    // 17 Services elsewhere select the pod templates, so more are found than kept and the first
    // in their own file is looked for: their file holds 20,000 Services of one selector that
    // selects them not (looked at once per pod template, not once per Service: 4,000 templates
    // took 21 s in a debug build).
    cases.push(
        Case::new(
            "4,000 pod templates beside 20,000 Services that select them not",
            "b.yaml",
            (0..20_000)
                .map(|i| format!("---\napiVersion: v1\nkind: Service\nmetadata: {{name: s{i}}}\nspec: {{selector: {{app: nope}}}}\n"))
                .chain((0..4_000).map(|t| format!("---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{t}}}\nspec:\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: a, image: b}}]}}\n")))
                .collect::<String>(),
            Expect::Linted,
        )
        .with(
            "a.yaml",
            (0..17)
                .map(|i| format!("---\napiVersion: v1\nkind: Service\nmetadata: {{name: web{i}}}\nspec: {{selector: {{app: web}}}}\n"))
                .collect::<String>(),
        ),
    );
    // Services 95 folders deep: each is indexed once, not once per folder above it (80,000
    // took 1.6 GB).
    let deep = format!("{}/svc.yaml", vec!["d"; 95].join("/"));
    cases.push(Case::new(
        "40,000 Services 95 folders deep",
        &deep,
        (0..40_000)
            .map(|i| format!("apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}}}\nspec: {{selector: {{a: x{i}}}}}\n---\n"))
            .collect::<String>(),
        Expect::Linted,
    ));
    // A 1 MB name (the API server takes 253 bytes) in each of 2,000 findings: clipped once
    // when lowered, not in each finding (3 s in a release build, minutes at 8 MB).
    cases.push(Case::new(
        "a 1 MB name in 2,000 findings",
        "deploy.yaml",
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n{}",
            "n".repeat(1_000_000),
            (0..1_000)
                .map(|i| format!("      - name: c{i}\n        image: nginx:1\n        ports:\n        - containerPort: 80\n"))
                .collect::<String>()
        ),
        Expect::Linted,
    ));
    // An unterminated flow collection ending a 100 kB file.
    cases.push(Case::new(
        "an unterminated flow sequence of 100 kB",
        "open.yaml",
        deployment_with(&format!("[{}", "a, ".repeat(30_000))),
        Expect::ParseError("invalid yaml"),
    ));
    check_all(&cases);
    assert_bom_crlf_agrees("Deployment", "deploy.yaml", DEPLOYMENT);
    assert_lone_cr_agrees("Deployment", "deploy.yaml", DEPLOYMENT);
}

// ---------------------------------------------------------------------------------------------
// docker compose

const COMPOSE: &str = "services:
  web:
    image: node:22-slim
    command: npm start
    stop_signal: SIGKILL
    ports: [\"8080:8080\"]
";

#[test]
fn compose_yaml() {
    let deep = 10_000;
    let deep_context = vec!["a"; 99].join("/");
    let bomb = alias_bomb().replace("apiVersion: apps/v1\nkind: Deployment\n", "services: {}\n");
    check_all(&[
        // An `env_file` of many keys: every key was looked up in a list of the keys before it
        // (100,000 keys took 10 s in a release build). Half are `NGINX_ENVSUBST_*` names, kept
        // for the template settings; an nginx file in the scan makes the reader run.
        Case::new(
            "an env_file of 240,000 distinct keys",
            "compose.yaml",
            "services:\n  web:\n    image: nginx:1.27-alpine\n    env_file: [app.env, app.env]\n    volumes:\n      - ./default.conf:/etc/nginx/conf.d/default.conf:ro\n",
            Expect::Linted,
        )
        .with(
            "app.env",
            (0..120_000)
                .map(|i| format!("APP_SETTING_{i}=value{i}\nNGINX_ENVSUBST_X_{i}=v{i}\n"))
                .collect::<String>(),
        )
        .with(
            "default.conf",
            "server {\n    listen 80;\n    location / {\n        proxy_pass http://app:8000;\n    }\n}\n",
        ),
        // Each service used to look for the services waiting on it among all the others (16 s
        // for 20,000 in a release build). With healthchecks, so there are no findings to check.
        Case::new(
            "8,000 services, each waiting for the next to be healthy",
            "compose.yaml",
            format!(
                "services:\n{}  s8000:\n    image: x\n    healthcheck: {{test: [CMD, 'true']}}\n",
                (0..8_000)
                    .map(|i| format!("  s{i}:\n    image: x\n    healthcheck: {{test: [CMD, 'true']}}\n    depends_on:\n      s{}:\n        condition: service_healthy\n", i + 1))
                    .collect::<String>()
            ),
            Expect::Clean,
        ),
        // 20,000 services written as aliases of one labelled block, each given its command by
        // the override file: every service's label held the shared block, so each service
        // copied every label to the override file (n² suppressions: 21 GB for 20,000).
        Case::new(
            "20,000 aliases of a labelled block with an override file",
            "compose.yaml",
            format!(
                "services:\n  base: &b\n    image: python:3.12\n    labels: {{shutdownlint.dev/ignore: SL301}}\n{}",
                (0..20_000).map(|i| format!("  s{i}: *b\n")).collect::<String>()
            ),
            Expect::Linted,
        )
        .with(
            "compose.override.yaml",
            format!(
                "services:\n{}",
                (0..20_000)
                    .map(|i| format!("  s{i}: {{command: gunicorn app}}\n"))
                    .collect::<String>()
            ),
        ),
        // One service with an ignore label and 20,000 services written as aliases of it (or of
        // an `x-` block with the label): each alias carried the label's scope, and those scopes
        // nested or overlapped, so each finding looked through all of them (53 s for 20,000 in a
        // release build).
        Case::new(
            "20,000 services aliasing a service with an ignore label",
            "compose.yaml",
            format!(
                "services:\n  s0: &a\n    image: nginx\n    stop_signal: SIGKILL\n    labels:\n      shutdownlint.dev/ignore: SL104\n{}",
                (1..20_000).map(|i| format!("  s{i}: *a\n")).collect::<String>()
            ),
            Expect::Clean,
        ),
        Case::new(
            "20,000 services aliasing an `x-` block with an ignore label",
            "compose.yaml",
            format!(
                "x-base: &a\n  image: nginx\n  stop_signal: SIGKILL\n  labels:\n    shutdownlint.dev/ignore: SL104\nservices:\n{}",
                (1..20_000).map(|i| format!("  s{i}: *a\n")).collect::<String>()
            ),
            Expect::Clean,
        ),
        // Each step of an `extends` walk looked its service up in the chain so far by a scan:
        // 6 s for a chain of 60,000 in a release build.
        Case::new(
            "60,000 services, each extending the next",
            "compose.yaml",
            format!(
                "services:\n{}",
                (0..60_000)
                    .map(|i| format!("  s{i}: {{extends: s{}}}\n", i + 1))
                    .collect::<String>()
            ),
            Expect::Linted,
        ),
        // Each script path a service runs was looked for among all the COPYs of its Dockerfile
        // (2.5-6 s for these in a release build): the COPYs are indexed by destination.
        Case::new(
            "3,000 services running different scripts of a Dockerfile with 100,000 COPYs",
            "compose.yaml",
            format!(
                "services:\n{}",
                (0..3_000)
                    .map(|i| format!("  s{i}:\n    build: .\n    entrypoint: [\"/app/s{i}.sh\"]\n"))
                    .collect::<String>()
            ),
            Expect::Linted,
        )
        .with(
            "Dockerfile",
            format!(
                "FROM python:3.12\n{}{}CMD [\"gunicorn\", \"app:app\"]\n",
                (0..50_000)
                    .map(|i| format!("COPY f{i} /d{i}/\n"))
                    .collect::<String>(),
                (0..50_000)
                    .map(|i| format!("COPY f{i} /app/\n"))
                    .collect::<String>()
            ),
        ),
        // Each script path was matched against every wildcard source copied into its folder
        // (13-17 s for these in a release build): the wildcards are indexed by the text before
        // their first `*` or `?` and after their last, and equal sources are matched once.
        Case::new(
            "2,000 services running different scripts of a folder that 100,000 wildcard COPYs fill",
            "compose.yaml",
            format!(
                "services:\n{}",
                (0..2_000)
                    .map(|i| format!("  s{i}:\n    build: .\n    entrypoint: [\"/app/s{i}.sh\"]\n"))
                    .collect::<String>()
            ),
            Expect::Linted,
        )
        .with(
            "Dockerfile",
            format!(
                "FROM node:20\n{}{}{}CMD [\"node\", \"server.js\"]\n",
                (0..40_000)
                    .map(|i| format!("COPY w{i}*.sh /app/\n"))
                    .collect::<String>(),
                (0..40_000)
                    .map(|i| format!("COPY *w{i}.sh /app/\n"))
                    .collect::<String>(),
                "COPY *.sh /app/\n".repeat(20_000)
            ),
        )
        .with("s0.sh", "#!/bin/sh\nnode server.js\n"),
        // Wildcards that begin and end as every script name does (`s*7*.sh`), none of whose
        // files is in the context: the checks run out, with a note.
        Case::new(
            "2,000 services running different scripts, 100,000 wildcards matching their names",
            "Dockerfile",
            format!(
                "FROM node:20\n{}CMD [\"node\", \"server.js\"]\n",
                (0..100_000)
                    .map(|i| format!("COPY s*{i}*.sh /app/\n"))
                    .collect::<String>()
            ),
            Expect::Note("stopped after 1000000 checks"),
        )
        .with(
            "compose.yaml",
            format!(
                "services:\n{}",
                (0..2_000)
                    .map(|i| format!("  s{i}:\n    build: .\n    entrypoint: [\"/app/s{i}.sh\"]\n"))
                    .collect::<String>()
            ),
        ),
        // Each service's build context was resolved on its own, a system call per folder of
        // it (12-17 s for 38,000 services 90 folders deep in a release build): each distinct
        // one is resolved once. Two projects of 40,000 services each (as many as a document may
        // have nodes), the context 99 folders deep (discovery walks 100).
        Case::new(
            "2 x 40,000 services building a context 99 folders deep",
            "compose.yaml",
            format!(
                "x-build: &build {{context: {deep_context}}}\nservices:\n{}",
                (0..40_000)
                    .map(|i| format!("  s{i}: {{build: *build}}\n"))
                    .collect::<String>()
            ),
            Expect::Linted,
        )
        .with(
            "b/compose.yaml",
            format!(
                "x-build: &build {{context: ../{deep_context}}}\nservices:\n{}",
                (0..40_000)
                    .map(|i| format!("  s{i}: {{build: *build}}\n"))
                    .collect::<String>()
            ),
        )
        .with(
            &format!("{deep_context}/Dockerfile"),
            "FROM node:20\nCMD [\"node\", \"server.js\"]\n",
        ),
        Case::new(
            "a cycle of 60,000 `extends`",
            "compose.yaml",
            format!(
                "services:\n{}",
                (0..60_000)
                    .map(|i| format!("  s{i}: {{extends: s{}}}\n", (i + 1) % 60_000))
                    .collect::<String>()
            ),
            Expect::ParseError("circular reference with extends: s0 -> s1 -> s2 -> "),
        ),
        // Each service built from the Dockerfile looked its entrypoint script up again, asking
        // the file system about every COPY source (24 s for 300 services in a release build).
        Case::new(
            "300 services built from a Dockerfile that copies 100,000 sources",
            "compose.yaml",
            format!(
                "services:\n{}",
                (0..300)
                    .map(|i| format!("  s{i}: {{build: .}}\n"))
                    .collect::<String>()
            ),
            Expect::Linted,
        )
        .with(
            "Dockerfile",
            format!(
                "FROM alpine\nCOPY {} /usr/local/bin/\nCMD [\"start.sh\"]\n",
                vec!["a"; 100_000].join(" ")
            ),
        ),
        // Each service built from the Dockerfile parsed its entrypoint script again (42 s for
        // 1,000 services and an 8 MB script in a release build).
        Case::new(
            "1,000 services built from a Dockerfile whose entrypoint script is 2 MB",
            "compose.yaml",
            format!(
                "services:\n{}",
                (0..1_000)
                    .map(|i| format!("  s{i}: {{build: .}}\n"))
                    .collect::<String>()
            ),
            Expect::Linted,
        )
        .with("Dockerfile", COPIES_SCRIPT)
        .with(
            "entrypoint.sh",
            format!("#!/bin/sh\n{}exec \"$@\"\n", "echo hello world\n".repeat(120_000)),
        ),
        Case::new(
            "150 aliases of a string of 1,000,000 escapes",
            "compose.yaml",
            format!(
                "x-big: &a \"{}\"\nservices:\n  web:\n    image: x\n    labels: [{}]\n",
                "\\t".repeat(1_000_000),
                vec!["*a"; 150].join(", ")
            ),
            Expect::ParseError("aliases expand to more than 16 MiB (alias bomb?"),
        ),
        Case::new(
            "alias bomb",
            "compose.yaml",
            bomb,
            Expect::ParseError("alias"),
        ),
        Case::new(
            "flow mappings 10,000 deep",
            "compose.yaml",
            format!("services: {}x{}\n", "{a: ".repeat(deep), "}".repeat(deep)),
            Expect::ParseError(DEEP_YAML),
        ),
        Case::new(
            "block sequences 10,000 deep in a command",
            "compose.yaml",
            format!(
                "services:\n  web:\n    command:\n    {}x\n",
                "- ".repeat(deep)
            ),
            Expect::ParseError(DEEP_YAML),
        ),
        Case::new(
            "a 2 MB single-line command",
            "compose.yaml",
            format!(
                "services: {{web: {{image: x, command: \"node {}\"}}}}\n",
                "a".repeat(2_000_000)
            ),
            Expect::Linted,
        ),
        // The shell's tree of these took 2.7 GB: a command line is read up to 250,000 words.
        Case::new(
            "4,000,000 commands in one 8 MB `sh -c`",
            "compose.yaml",
            format!(
                "services:\n  web:\n    image: x\n    command: sh -c {}exec\n",
                "a;".repeat(4_000_000)
            ),
            Expect::Linted,
        ),
        // A command is read up to 4,096 words (this took 1.6 GB).
        Case::new(
            "a command of 4,000,000 words",
            "compose.yaml",
            format!(
                "services:\n  web:\n    image: x\n    command: node {}app\n",
                "a ".repeat(4_000_000)
            ),
            Expect::Linted,
        ),
        Case::new(
            "20,000 commands in one `sh -c`",
            "compose.yaml",
            format!(
                "services: {{web: {{image: x, command: \"sh -c '{}exec node app'\"}}}}\n",
                "echo hi; ".repeat(20_000)
            ),
            Expect::Linted,
        ),
        Case::new(
            "tab indentation",
            "compose.yaml",
            COMPOSE.replace("    command", "\tcommand"),
            Expect::ParseError("invalid yaml"),
        ),
        Case::new(
            "invalid UTF-8",
            "compose.yaml",
            splice(COMPOSE, "command: npm start", INVALID_UTF8),
            Expect::Linted,
        ),
        Case::new(
            "NUL bytes",
            "compose.yaml",
            splice(COMPOSE, "image: node", b"\0"),
            Expect::ParseError("invalid yaml"),
        ),
        Case::new("an empty file", "compose.yaml", "", Expect::Clean),
        Case::new(
            "a 10,000-deep `$(` command",
            "compose.yaml",
            format!(
                "services:\n  web:\n    image: x\n    command: sh -c \"{}x{}\"\n",
                "$( ".repeat(deep),
                " )".repeat(deep)
            ),
            Expect::Linted,
        ),
    ]);
    assert_bom_crlf_agrees("compose", "compose.yaml", COMPOSE);
    assert_lone_cr_agrees("compose", "compose.yaml", COMPOSE);
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles and the entrypoint scripts they copy

const DOCKERFILE: &str = "FROM node:22-slim
WORKDIR /app
COPY . .
STOPSIGNAL SIGKILL
CMD npm start
";

#[test]
fn dockerfiles() {
    let deep = 10_000;
    check_all(&[
        // Each value doubles the last: a terabyte by the fortieth (this hung). An expansion
        // stops at 64 KiB.
        Case::new(
            "40 ARGs that each double the last",
            "Dockerfile",
            format!(
                "FROM debian\nARG A0=aaaaaaaa\n{}STOPSIGNAL ${{A39}}\nCMD [\"node\"]\n",
                (1..40)
                    .map(|i| format!("ARG A{i}=${{A{}}}${{A{}}}\n", i - 1, i - 1))
                    .collect::<String>()
            ),
            Expect::Linted,
        ),
        Case::new(
            "a 1 MB line",
            "Dockerfile",
            format!("FROM debian\nRUN echo {}\n", "a".repeat(1_000_000)),
            Expect::ParseError("max allowed size"),
        ),
        Case::new(
            "100,000 continuation lines",
            "Dockerfile",
            format!(
                "FROM debian\nRUN echo \\\n{}  done\n",
                "  a \\\n".repeat(100_000)
            ),
            Expect::Linted,
        ),
        Case::new(
            "100,000 continuation lines of comments",
            "Dockerfile",
            format!(
                "FROM debian\nCMD node \\\n{}  app.js\n",
                "# c\n".repeat(100_000)
            ),
            Expect::Linted,
        ),
        Case::new(
            "a 10,000-deep `${a:-${a:-` default",
            "Dockerfile",
            format!(
                "FROM debian\nENV A={}x{}\nCMD [\"app\"]\n",
                "${a:-".repeat(deep),
                "}".repeat(deep)
            ),
            Expect::Linted,
        ),
        Case::new(
            "a FROM with a 10,000-deep `${`",
            "Dockerfile",
            format!(
                "FROM {}x{}\nCMD [\"app\"]\n",
                "${a:-".repeat(deep),
                "}".repeat(deep)
            ),
            Expect::ParseError("failed to process"),
        ),
        Case::new(
            "a CMD with 10,000 nested `$(`",
            "Dockerfile",
            format!(
                "FROM debian\nCMD {}x{}\n",
                "$( ".repeat(deep),
                " )".repeat(deep)
            ),
            Expect::Linted,
        ),
        Case::new(
            "an exec-form CMD nested 10,000 deep",
            "Dockerfile",
            format!(
                "FROM debian\nCMD {}{}\n",
                "[".repeat(deep),
                "]".repeat(deep)
            ),
            Expect::ParseError("strings only"),
        ),
        Case::new(
            "an unterminated heredoc",
            "Dockerfile",
            "FROM debian\nRUN <<EOF\necho never ends\n",
            Expect::ParseError("unterminated heredoc"),
        ),
        Case::new(
            "a 2 MB heredoc",
            "Dockerfile",
            format!(
                "FROM debian\nRUN <<EOF\n{}EOF\nCMD [\"app\"]\n",
                "echo hi\n".repeat(250_000)
            ),
            Expect::Linted,
        ),
        Case::new(
            "5,000 stages",
            "Dockerfile",
            (0..5_000)
                .map(|i| format!("FROM debian AS s{i}\nCOPY --from=s{} /a /a\n", i.max(1) - 1))
                .collect::<String>(),
            Expect::Linted,
        ),
        Case::new(
            "10,000 ENV lines referring to each other",
            "Dockerfile",
            format!(
                "FROM debian\n{}CMD [\"app\"]\n",
                (0..10_000)
                    .map(|i| format!("ENV V{i}=${{V{}}}x\n", i.max(1) - 1))
                    .collect::<String>()
            ),
            Expect::Linted,
        ),
        // Each copy of a variable's value was stored whole (1.8 GB for these 30,000 lines of
        // 559 KB, 6.5 s): past 1 MiB of substituted values a variable is unknown.
        Case::new(
            "30,000 ENV copies of a 60,000-byte value",
            "Dockerfile",
            format!(
                "FROM node\nENV v0={}\n{}CMD [\"node\", \"app\"]\n",
                "x".repeat(60_000),
                (1..30_000)
                    .map(|i| format!("ENV v{i}=${{v0}}\n"))
                    .collect::<String>()
            ),
            Expect::Linted,
        ),
        Case::new(
            "100,000 ENV lines, each one byte longer than the last",
            "Dockerfile",
            format!(
                "FROM node\nENV v0=y\n{}CMD [\"node\", \"app\"]\n",
                (1..100_000)
                    .map(|i| format!("ENV v{i}=${{v{}}}y\n", i - 1))
                    .collect::<String>()
            ),
            Expect::Linted,
        ),
        // Global ARGs and FROMs expand too (10,000 of either: 1.2 GB and 0.6 GB).
        Case::new(
            "10,000 global ARG copies of a 60,000-byte value",
            "Dockerfile",
            format!(
                "ARG v0={}\n{}FROM node\nCMD [\"node\", \"app\"]\n",
                "x".repeat(60_000),
                (1..10_000)
                    .map(|i| format!("ARG v{i}=${{v0}}\n"))
                    .collect::<String>()
            ),
            Expect::Linted,
        ),
        Case::new(
            "10,000 FROMs naming a 60,000-byte global ARG",
            "Dockerfile",
            format!(
                "ARG v0={}\n{}FROM node\nCMD [\"node\", \"app\"]\n",
                "x".repeat(60_000),
                (1..10_000)
                    .map(|i| format!("FROM ${{v0}} AS s{i}\n"))
                    .collect::<String>()
            ),
            Expect::Linted,
        ),
        // Each COPY under a working directory stores its destination: a long relative WORKDIR
        // (a name Linux cannot hold, so unknown) and thousands of COPYs under it stay bounded.
        Case::new(
            "10,000 COPYs under a 60,000-byte relative WORKDIR",
            "Dockerfile",
            format!(
                "FROM node\nWORKDIR {}\n{}CMD [\"node\", \"x\"]\n",
                "a".repeat(60_000),
                "COPY a b\n".repeat(10_000)
            ),
            Expect::Linted,
        ),
        Case::new(
            "670,000 COPYs under 30 long relative WORKDIRs",
            "Dockerfile",
            format!(
                "FROM node\n{}{}CMD [\"node\", \"x\"]\n",
                format!("WORKDIR {}\n", "a".repeat(60_000)).repeat(30),
                "COPY a b\n".repeat(6_000_000 / 9)
            ),
            Expect::Linted,
        ),
        Case::new(
            "670,000 COPYs under a working directory of 4,000 bytes",
            "Dockerfile",
            format!(
                "FROM node\nWORKDIR {}\n{}CMD [\"node\", \"x\"]\n",
                format!("/{}", "d".repeat(200)).repeat(20),
                "COPY a b\n".repeat(6_000_000 / 9)
            ),
            Expect::Linted,
        ),
        Case::new(
            "260,000 working directories of 4,000 bytes, each with a COPY",
            "Dockerfile",
            format!(
                "FROM node\nWORKDIR {}\n{}CMD [\"node\", \"x\"]\n",
                format!("/{}", "d".repeat(200)).repeat(20),
                "WORKDIR x\nCOPY a b\nWORKDIR ..\n".repeat(260_000)
            ),
            Expect::Linted,
        ),
        // Each relative WORKDIR joins onto the working directory: not a copy of it each time.
        Case::new(
            "800,000 relative WORKDIRs",
            "Dockerfile",
            format!(
                "FROM node\n{}CMD [\"node\", \"x\"]\n",
                "WORKDIR a\n".repeat(799_990)
            ),
            Expect::Linted,
        ),
        Case::new(
            "800,000 relative WORKDIRs of names and ..",
            "Dockerfile",
            format!(
                "FROM node\nWORKDIR {}\n{}CMD [\"node\", \"x\"]\n",
                format!("/{}", "d".repeat(250)).repeat(15),
                "WORKDIR x\nWORKDIR ..\n".repeat(380_000)
            ),
            Expect::Linted,
        ),
        // A COPY wildcard was matched against the ENTRYPOINT's file name in time of the product
        // of their lengths (5.5 s for these 200 KB in a release build): a name longer than any
        // file system holds is not matched.
        Case::new(
            "a COPY wildcard of 100,000 bytes and an ENTRYPOINT file name of 100,000 bytes",
            "Dockerfile",
            {
                let cont = |s: String| {
                    s.as_bytes()
                        .chunks(60_000)
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect::<Vec<_>>()
                        .join("\\\n")
                };
                format!(
                    "FROM python:3.12\nCOPY {} /app/\nENTRYPOINT [\"/app/{}\"]\n",
                    cont(format!("*{}b.sh", "a".repeat(100_000))),
                    cont(format!("{}.sh", "a".repeat(100_000)))
                )
            },
            Expect::Linted,
        ),
        Case::new(
            "invalid UTF-8 in a CMD",
            "Dockerfile",
            splice(DOCKERFILE, "CMD npm start", INVALID_UTF8),
            Expect::Linted,
        ),
        Case::new(
            "NUL bytes",
            "Dockerfile",
            splice(DOCKERFILE, "WORKDIR /app", b"\0\0"),
            Expect::Linted,
        ),
        Case::new(
            "an empty file",
            "Dockerfile",
            "",
            Expect::ParseError("no instructions"),
        ),
        Case::new(
            "only comments",
            "Dockerfile",
            "# nothing\n# here\n",
            Expect::ParseError("no instructions"),
        ),
        Case::new(
            "a template",
            "Dockerfile",
            "FROM {{ base }}\nCMD {{ cmd }\n",
            Expect::Note("template"),
        ),
    ]);
    assert_bom_crlf_agrees("Dockerfile", "Dockerfile", DOCKERFILE);
}

/// A Dockerfile that copies `entrypoint.sh` and runs it: the script is read and parsed.
const COPIES_SCRIPT: &str = "FROM debian:12
COPY entrypoint.sh /usr/local/bin/
ENTRYPOINT [\"entrypoint.sh\"]
CMD [\"node\", \"server.js\"]
";

fn script_case(name: &str, script: impl Into<Vec<u8>>) -> Case {
    Case::new(name, "entrypoint.sh", script, Expect::Linted).with("Dockerfile", COPIES_SCRIPT)
}

#[test]
fn entrypoint_scripts() {
    let deep = 10_000;
    let cases = [
        script_case(
            "10,000 nested `$(`",
            format!(
                "#!/bin/sh\necho {}x{}\nexec \"$@\"\n",
                "$( ".repeat(deep),
                " )".repeat(deep)
            ),
        ),
        script_case(
            "10,000 nested `\"$(echo \"`",
            format!(
                "#!/bin/sh\necho {}x{}\nnode app\n",
                "\"$(echo ".repeat(deep),
                ")\"".repeat(deep)
            ),
        ),
        script_case(
            "10,000 nested subshells",
            format!(
                "#!/bin/sh\n{}node app{}\n",
                "( ".repeat(deep),
                " )".repeat(deep)
            ),
        ),
        script_case(
            "10,000 nested groups",
            format!(
                "#!/bin/sh\n{}node app;{}\n",
                "{ ".repeat(deep),
                " }".repeat(deep)
            ),
        ),
        script_case(
            "10,000 nested ifs",
            format!(
                "#!/bin/sh\n{}node app\n{}",
                "if true; then\n".repeat(deep),
                "fi\n".repeat(deep)
            ),
        ),
        script_case(
            "10,000 nested backquotes",
            format!("#!/bin/sh\necho `{}`\nexec \"$@\"\n", "\\`".repeat(deep)),
        ),
        script_case(
            "10,000 nested `${a:-${`",
            format!(
                "#!/bin/sh\necho {}x{}\nexec \"$@\"\n",
                "${a:-".repeat(deep),
                "}".repeat(deep)
            ),
        ),
        script_case(
            "10,000 nested `$((`",
            format!(
                "#!/bin/sh\necho {}1{}\nexec \"$@\"\n",
                "$((".repeat(deep),
                "))".repeat(deep)
            ),
        ),
        script_case(
            "a 1 MB line",
            format!("#!/bin/sh\necho {}\nnode app\n", "a".repeat(1_000_000)),
        ),
        script_case(
            "50,000 lines",
            format!("#!/bin/sh\n{}exec \"$@\"\n", "echo line\n".repeat(50_000)),
        ),
        script_case(
            "a 2 MB heredoc of a script",
            format!(
                "#!/bin/sh\ncat <<EOF\n{}EOF\nnode app\n",
                "text\n".repeat(400_000)
            ),
        ),
        script_case(
            "an unterminated heredoc",
            "#!/bin/sh\ncat <<EOF\nnever ends\n",
        ),
        script_case(
            "an unterminated quote",
            "#!/bin/sh\necho \"never ends\nnode app\n",
        ),
        script_case(
            "invalid UTF-8",
            splice("#!/bin/sh\necho x\nnode app\n", "echo ", INVALID_UTF8),
        ),
        script_case("NUL bytes", "#!/bin/sh\necho \0x\0\nnode app\n"),
        script_case("an empty script", ""),
        script_case(
            "BOM and CRLF",
            "\u{feff}#!/bin/sh\r\nset -e\r\nnode app\r\n",
        ),
        // Each call's final commands were gathered once per path: 7^8 of them (52 s, 6.5 GB).
        script_case("9 functions of 7 branches, each calling the next", {
            let mut script = String::from("#!/bin/sh\nf9() { node server.js; }\n");
            for level in (0..9).rev() {
                let calls: String = (0..7).map(|i| format!(" a{i}) f{};;", level + 1)).collect();
                script.push_str(&format!("f{level}() {{ case \"$1\" in{calls} esac; }}\n"));
            }
            script + "f0\n"
        }),
        // Each call looked for the function through the whole script (61 s).
        script_case(
            "a `case` of 60,000 branches calling a function",
            format!(
                "#!/bin/sh\nf() {{ node server.js; }}\ncase \"$1\" in\n{}esac\n",
                (0..60_000)
                    .map(|i| format!(" a{i}) f;;\n"))
                    .collect::<String>()
            ),
        ),
    ];
    for case in &cases {
        let diagnostics = check(case);
        assert!(
            diagnostics
                .iter()
                .all(|d| d["rule"] != "SL000" || d["file"] != "Dockerfile"),
            "{}: the Dockerfile itself is fine",
            case.name
        );
    }
}

// ---------------------------------------------------------------------------------------------
// nginx

const NGINX: &str = "http {
    upstream app {
        server 10.0.0.1:8080 max_fails=0;
        server 10.0.0.2:8080;
    }
    server {
        location / {
            proxy_pass http://app;
            proxy_next_upstream off;
        }
    }
}
";

/// Many top-level nginx files sharing one big include, and single-server upstreams against
/// Services of their name: what is shared is indexed once, not copied (or compared) per root
/// file or per upstream. Each took 7 to 24 s in a release build.
#[test]
fn nginx_shared_includes() {
    let case = |name: &str, file: &str, files: Vec<(String, String)>, expect: Expect| Case {
        name: name.to_string(),
        files: files
            .into_iter()
            .map(|(path, text)| (path, text.into_bytes()))
            .collect(),
        file: file.to_string(),
        expect,
    };
    let sites = |count: usize, text: &dyn Fn(usize) -> String| -> Vec<(String, String)> {
        (0..count)
            .map(|r| (format!("nginx/site{r}.conf"), text(r)))
            .collect()
    };
    let mut roots_x_upstreams = sites(150, &|_| {
        "server { listen 80; location / { proxy_pass http://upstream_name_0000001; } }\ninclude shared/ups.conf;\n".to_string()
    });
    roots_x_upstreams.push((
        "nginx/shared/ups.conf".to_string(),
        (0..50_000)
            .map(|i| format!("upstream upstream_name_{i:07} {{ server a:1; server b:1; }}\n"))
            .collect(),
    ));
    let mut roots_x_maps = sites(150, &|_| {
        "server { listen 80; location / { proxy_pass http://$var_name_number_0000001; } }\ninclude shared/maps.conf;\n".to_string()
    });
    roots_x_maps.push((
        "nginx/shared/maps.conf".to_string(),
        (0..50_000)
            .map(|i| format!("map $http_x{i:06} $var_name_number_{i:07} {{ default a; }}\n"))
            .collect(),
    ));
    let mut passes_x_roots = sites(4_000, &|r| {
        format!(
            "upstream app {{ server 10.0.0.{0}:80; server 10.0.1.{0}:80; }}\nserver {{ listen 80; include snippets/locs.conf; }}\n",
            r % 250
        )
    });
    passes_x_roots.push((
        "nginx/snippets/locs.conf".to_string(),
        (0..4_000)
            .map(|i| format!("location /p{i} {{ proxy_pass http://app; }}\n"))
            .collect(),
    ));
    // Half the configurations retry on 502/503 and half ask for keep-alive: each pass is
    // judged per configuration (which have the problem, named).
    let mut passes_x_disagreeing_roots = sites(1_000, &|r| {
        let (retry, keepalive) = if r % 2 == 1 {
            ("proxy_next_upstream error timeout http_502 http_503; ", "")
        } else {
            ("", " keepalive 16;")
        };
        format!(
            "upstream app {{ server 10.0.0.{0}:80; server 10.0.1.{0}:80;{keepalive} }}\nserver {{ listen 80; {retry}include snippets/locs.conf; }}\n",
            r % 250
        )
    });
    passes_x_disagreeing_roots.push((
        "nginx/snippets/locs.conf".to_string(),
        (0..4_000)
            .map(|i| format!("location /p{i} {{ proxy_pass http://app; }}\n"))
            .collect(),
    ));
    // Files of server blocks that each include a vhost glob at their top level: each one's
    // lookup climbed into the others' (12 files: minutes).
    let vhost_server_files = sites(40, &|r| {
        format!(
            "include /etc/nginx/sites-enabled/*.conf;\nupstream app{r} {{ server a:1; server b:1; }}\nserver {{ listen 80; location / {{ proxy_pass http://app{r}; }} }}\n"
        )
    });
    let mut sites_x_targets = sites(300, &|_| {
        "include conf.d/*.conf;\nserver { listen 80; location / { proxy_pass http://backend; } }\n"
            .to_string()
    });
    sites_x_targets.extend((0..300).map(|t| {
        (
            format!("nginx/conf.d/c{t}.conf"),
            (0..300)
                .map(|n| format!("directive_{t}_{n} on;\n"))
                .collect(),
        )
    }));
    let service =
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: app\nspec:\n  selector:\n    a: b\n";
    let upstreams_x_services = vec![
        (
            "z/nginx.conf".to_string(),
            format!(
                "http {{\n server {{ listen 80; location / {{ proxy_pass http://$backend; }} }}\n{}}}\n",
                (0..20_000)
                    .map(|i| format!(" upstream u{i} {{ server app; }}\n"))
                    .collect::<String>()
            ),
        ),
        ("a/svc.yaml".to_string(), vec![service; 20_000].join("---\n")),
        // The Service next to the configuration, found last: no SL204.
        ("z/svc.yaml".to_string(), service.to_string()),
    ];
    check_all(&[
        // A map of every upstream a root file reaches, per root file (1.5 GB).
        case(
            "150 root files including one file of 50,000 upstreams",
            "nginx/shared/ups.conf",
            roots_x_upstreams,
            Expect::Linted,
        ),
        // The same for `map` blocks (0.68 GB).
        case(
            "150 root files including one file of 50,000 maps",
            "nginx/shared/maps.conf",
            roots_x_maps,
            Expect::Linted,
        ),
        // Each pass collected the upstream of every root file, deduplicated with
        // `Vec::contains` (passes × roots²: 14.7 s).
        case(
            "4,000 passes in a snippet included by 4,000 root files defining the upstream",
            "nginx/snippets/locs.conf",
            passes_x_roots,
            Expect::Linted,
        ),
        case(
            "40 files of server blocks that each include a vhost glob",
            "nginx/site0.conf",
            vhost_server_files,
            Expect::Linted,
        ),
        case(
            "4,000 passes in a snippet included by 1,000 root files that disagree",
            "nginx/snippets/locs.conf",
            passes_x_disagreeing_roots,
            Expect::Linted,
        ),
        // Each include site kept the union of the names of its 300 targets (18.8 s, 1.36 GB).
        case(
            "300 root files including 300 files of 300 names each",
            "nginx/site0.conf",
            sites_x_targets,
            Expect::Linted,
        ),
        // SL204 compared every Service named like the host, per upstream (24 s).
        case(
            "20,000 single-server upstreams and 20,000 Services of their host's name",
            "z/nginx.conf",
            upstreams_x_services,
            Expect::Clean,
        ),
    ]);
}

/// SL203 on a `location` that includes the same snippets many times: what the level's
/// `proxy_next_upstream` lines say is put together from each included file once, not once per
/// include, and each line is labelled once, at most 8 of them per finding. A location including
/// 1,000 times a file of one line of 100,000 conditions took over 20 s (each include joined the
/// whole list again); 1,000 includes of a file of 2,000 lines gave a finding of 2 million
/// labels (17 s, 1.4 GB, 875 MB of output).
#[test]
fn nginx_repeated_includes() {
    let conf = |server: &str, location: &str| {
        format!(
            "events {{}}\nhttp {{\n  upstream u {{ server a:80; server b:80; }}\n  server {{\n    listen 80;\n{server}    location / {{\n      proxy_pass http://u;\n{location}    }}\n  }}\n}}\n"
        )
    };
    let includes = |file: &str, count: usize| format!("      include {file};\n").repeat(count);
    let conditions: String = (0..100_000).map(|i| format!(" c{i}")).collect();
    let one_long_line = format!("proxy_next_upstream error timeout{conditions};\n");
    let mut wrapped = Case::new(
        "a location including 400 snippets, each with a line of its own beside an include of one line of 100,000 conditions",
        "nginx.conf",
        conf(
            "",
            &(0..400)
                .map(|i| format!("      include snippets/w{i}.conf;\n"))
                .collect::<String>(),
        ),
        Expect::Linted,
    )
    .with("snippets/big.conf", one_long_line.clone());
    // (400: 1,000 of them and their includes would pass the lookup's budget, and be unknown.)
    for i in 0..400 {
        wrapped = wrapped.with(
            &format!("snippets/w{i}.conf"),
            format!("proxy_next_upstream w{i};\ninclude snippets/big.conf;\n"),
        );
    }
    let cases = [
        Case::new(
            "a location including 1,000 times one line of 100,000 conditions",
            "nginx.conf",
            conf("", &includes("snippets/big.conf", 1_000)),
            Expect::Linted,
        )
        .with("snippets/big.conf", one_long_line),
        wrapped,
        Case::new(
            "a location including 300 times 2,000 lines, its server 300 times 2,000 hidden ones",
            "nginx.conf",
            // (Not 1,000 each: the search for the hidden ones would pass the lookup's budget.)
            conf(
                &includes("snippets/outer.conf", 300),
                &includes("snippets/retry.conf", 300),
            ),
            Expect::Linted,
        )
        .with(
            "snippets/retry.conf",
            "proxy_next_upstream error timeout;\n".repeat(2_000),
        )
        .with(
            "snippets/outer.conf",
            "proxy_next_upstream error http_502 http_503;\n".repeat(2_000),
        ),
    ];
    let mut last: Vec<serde_json::Value> = Vec::new();
    for case in &cases {
        let diagnostics = check(case);
        let sl203: Vec<&serde_json::Value> = diagnostics
            .iter()
            .filter(|d| d["rule"] == "SL203")
            .collect();
        assert_eq!(sl203.len(), 1, "{}: {sl203:?}", case.name);
        let labels = sl203[0]["labels"].as_array().map_or(0, Vec::len);
        // The upstream, at most 8 lines in effect and 8 hidden ones.
        assert!(labels <= 17, "{}: {labels} labels", case.name);
        last = sl203[0]["labels"].as_array().cloned().unwrap_or_default();
    }
    // Each line once: the 2,000 distinct lines of each file are 8 labels and a count.
    let messages: Vec<&str> = last.iter().filter_map(|l| l["message"].as_str()).collect();
    assert_eq!(messages.len(), 17, "{messages:?}");
    assert!(
        messages[8].ends_with("; and 1992 more such lines"),
        "{messages:?}"
    );
    assert!(
        messages[16].starts_with("not inherited")
            && messages[16].ends_with("; and 1992 more such lines"),
        "{messages:?}"
    );
}

/// SL203 labels the `proxy_next_upstream` lines of a level (and the outer ones it hides) once
/// per shared list, not once per finding: 50,000 `server`s whose own line hides an `http` level
/// including a file of 5,000 lines read those lines for each finding (17 s), as did 30,000
/// `location`s each including a file of 3,000 (6.5 s). Here 100,000 lines are shared by 2,000
/// findings.
#[test]
fn nginx_labels_of_shared_lines() {
    let lines = 100_000;
    let servers = 2_000;
    let http = |include: &str, server: &dyn Fn(usize) -> String| {
        let servers: String = (0..servers).map(server).collect();
        format!("events {{}}\nhttp {{\nupstream u {{ server a:1; server b:1; }}\n{include}{servers}}}\n")
    };
    let cases = [
        Case::new(
            "2,000 servers whose own proxy_next_upstream hides 100,000 lines included at the http level",
            "nginx.conf",
            http("include snippets/retry.conf;\n", &|i| {
                format!("server {{ listen {}; location / {{ proxy_next_upstream error; proxy_pass http://u; }} }}\n", 1000 + i)
            }),
            Expect::Linted,
        )
        .with(
            "snippets/retry.conf",
            "proxy_next_upstream error timeout http_502 http_503;\n".repeat(lines),
        ),
        Case::new(
            "2,000 locations each including 100,000 lines without 502/503",
            "nginx.conf",
            http("", &|i| {
                format!("server {{ listen {}; location / {{ include snippets/bad.conf; proxy_pass http://u; }} }}\n", 1000 + i)
            }),
            Expect::Linted,
        )
        .with("snippets/bad.conf", "proxy_next_upstream error timeout;\n".repeat(lines)),
        Case::new(
            "2,000 locations each with a line of their own beside an include of 100,000 lines",
            "nginx.conf",
            http("", &|i| {
                format!("server {{ listen {}; location / {{ proxy_next_upstream error; include snippets/bad.conf; proxy_pass http://u; }} }}\n", 1000 + i)
            }),
            Expect::Linted,
        )
        .with("snippets/bad.conf", "proxy_next_upstream error timeout;\n".repeat(lines)),
    ];
    let wanted = [
        "not inherited: an inner block sets its own proxy_next_upstream; and 99992 more such lines",
        "proxy_next_upstream set here; and 99992 more such lines",
        "proxy_next_upstream set here; and 99993 more such lines",
    ];
    for (case, wanted) in cases.iter().zip(wanted) {
        let diagnostics = check(case);
        let sl203: Vec<&serde_json::Value> = diagnostics
            .iter()
            .filter(|d| d["rule"] == "SL203")
            .collect();
        assert_eq!(sl203.len(), servers, "{}", case.name);
        for finding in sl203 {
            let messages: Vec<&str> = finding["labels"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l["message"].as_str())
                .collect();
            // The upstream, the lines in effect and the hidden ones: 8 each at most.
            assert!(messages.len() <= 17, "{}: {messages:?}", case.name);
            assert_eq!(
                messages.last(),
                Some(&wanted),
                "{}: {messages:?}",
                case.name
            );
        }
    }
}

/// SL203 looks up the retry setting of a pass along every include path, once per level the
/// passes share: a snippet of 60,000 `location`s included from 1,000 `server`s was read 1,000
/// paths per pass (26 s); from more `server`s than a lookup's include-step budget (1,024), each
/// pass walked the budget again, to an unknown value (10,000 × 10,000: 14 s).
#[test]
fn nginx_passes_in_a_snippet_of_many_servers() {
    let case = |servers: usize, locations: usize| {
        let upstreams: String = (0..50)
            .map(|k| format!("upstream u{k} {{ server a:1; server b:1; }}\n"))
            .collect();
        let servers: String = (0..servers)
            .map(|i| {
                let condition = if i % 2 == 1 { "timeout" } else { "http_500" };
                format!("server {{ listen {}; proxy_next_upstream error {condition}; include snippets/locs.conf; }}\n", 1000 + i)
            })
            .collect();
        let locations: String = (0..locations)
            .map(|i| format!("location /p{i} {{ proxy_pass http://u{}; }}\n", i % 50))
            .collect();
        Case::new(
            format!("{servers} servers including a snippet of {locations} locations"),
            "nginx.conf",
            format!("events {{}}\nhttp {{\n{upstreams}{servers}}}\n"),
            Expect::Linted,
        )
        .with("snippets/locs.conf", locations)
    };
    // Within the budget: one finding per upstream, each naming the first server's setting.
    let diagnostics = check(&case(1_000, 20_000));
    let sl203: Vec<&serde_json::Value> = diagnostics
        .iter()
        .filter(|d| d["rule"] == "SL203")
        .collect();
    assert_eq!(sl203.len(), 50);
    assert!(
        sl203.iter().all(|d| d["message"]
            .as_str()
            .is_some_and(|m| m.contains("proxy_next_upstream is `error http_500`"))),
        "{sl203:?}"
    );
    // Past the budget: unknown, nothing reported.
    let diagnostics = check(&case(3_000, 20_000));
    assert!(
        diagnostics.iter().all(|d| d["rule"] != "SL203"),
        "{diagnostics:?}"
    );
}

#[test]
fn nginx() {
    let deep = 10_000;
    check_all(&[
        // Each pass used to look its upstream up among all of the file's upstreams (7.6 s for
        // 30,000 in a release build). Configured well, so there are no findings to check.
        Case::new(
            "20,000 servers, each passing to its own upstream",
            "nginx.conf",
            format!(
                "events {{}}\nhttp {{\n  proxy_next_upstream error timeout http_502 http_503;\n{}}}\n",
                (0..20_000)
                    .map(|i| format!("  upstream u{i} {{ server 10.0.0.1:{0}; server 10.0.0.2:{0}; }}\n  server {{ listen 80; location / {{ proxy_pass http://u{i}; }} }}\n", 1000 + i))
                    .collect::<String>()
            ),
            Expect::Clean,
        ),
        // Each pass read the whole `map` of the variable its `proxy_set_header Connection`
        // names (250,000 entries and 42,000 passes: 274 s in a release build); a map's value
        // for plain requests is now worked out once per map.
        Case::new(
            "a map of 100,000 entries used by 10,000 passes",
            "nginx.conf",
            format!(
                "events {{}}\nhttp {{\n  map $http_upgrade $c {{\n    default upgrade;\n    '' close;\n{}  }}\n  upstream u {{ server 10.0.0.1:80; keepalive 16; }}\n  server {{\n    listen 80;\n{}  }}\n}}\n",
                (0..100_000).map(|i| format!("    k{i} v;\n")).collect::<String>(),
                (0..10_000)
                    .map(|i| format!("    location /{i} {{ proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection $c; }}\n"))
                    .collect::<String>()
            ),
            Expect::Linted,
        ),
        // Each pass copied (and read twice) every `proxy_set_header` it inherits (40,000 lines
        // and 40,000 passes: 110 s in a release build); a level's lines are now found once and
        // shared by the passes under it.
        Case::new(
            "20,000 proxy_set_header lines inherited by 20,000 passes",
            "nginx.conf",
            format!(
                "events {{}}\nhttp {{ upstream u {{ server a:1; keepalive 2; }}\n{}server {{\n{}}} }}\n",
                (0..20_000).map(|i| format!("proxy_set_header X{i} v;\n")).collect::<String>(),
                (0..20_000).map(|i| format!("location /{i} {{ proxy_pass http://u; }}\n")).collect::<String>()
            ),
            Expect::Linted,
        ),
        // The same for `proxy_next_upstream` (SL203): 20,000 lines read per pass, 54 s.
        Case::new(
            "20,000 proxy_next_upstream lines inherited by 20,000 passes",
            "nginx.conf",
            format!(
                "events {{}}\nhttp {{ upstream u {{ server a:1; server b:1; }}\n{}server {{\n{}}} }}\n",
                "proxy_next_upstream error;\n".repeat(20_000),
                (0..20_000).map(|i| format!("location /{i} {{ proxy_pass http://u; }}\n")).collect::<String>()
            ),
            Expect::Linted,
        ),
        // SL207 read every `proxy_next_upstream` line of a level for each of them (40,000: 70 s).
        Case::new(
            "40,000 proxy_next_upstream non_idempotent lines at one level",
            "nginx.conf",
            format!(
                "events {{}}\nhttp {{ upstream u {{ server a:1; server b:1; }}\n{}server {{ location / {{ proxy_pass http://u; }} }} }}\n",
                "proxy_next_upstream error non_idempotent;\n".repeat(40_000)
            ),
            Expect::Linted,
        ),
        Case::new(
            "blocks 10,000 deep",
            "nginx.conf",
            format!("{}{}", "a {".repeat(deep), "}".repeat(deep)),
            Expect::ParseError("nested more than"),
        ),
        Case::new(
            "locations 10,000 deep, never closed",
            "nginx.conf",
            "location / {\n".repeat(deep),
            Expect::ParseError("nested more than"),
        ),
        Case::new(
            "10,000 `{`",
            "nginx.conf",
            "{".repeat(deep),
            Expect::Note("template"),
        ),
        Case::new(
            "10,000 `}`",
            "nginx.conf",
            "}".repeat(deep),
            Expect::ParseError("unexpected"),
        ),
        Case::new(
            "a Lua block with 10,000 nested braces",
            "nginx.conf",
            format!(
                "http {{ server {{ location / {{ content_by_lua_block {{ {}x{} }} }} }} }}\n",
                "{ ".repeat(deep),
                " }".repeat(deep)
            ),
            Expect::Linted,
        ),
        Case::new(
            "a 2 MB argument on one line",
            "nginx.conf",
            format!("http {{ server {{ return 200 \"{}\"; }} }}\n", "x".repeat(2_000_000)),
            Expect::Linted,
        ),
        Case::new(
            "50,000 upstream servers",
            "nginx.conf",
            format!(
                "http {{ upstream app {{ {} }} server {{ location / {{ proxy_pass http://app; }} }} }}\n",
                "server 10.0.0.1:80;\n".repeat(50_000)
            ),
            Expect::Linted,
        ),
        Case::new(
            "an unterminated quote",
            "nginx.conf",
            "http { server { return 200 \"never ends; } }\n",
            Expect::ParseError("missing terminating"),
        ),
        Case::new(
            "invalid UTF-8",
            "nginx.conf",
            splice(NGINX, "location / {", INVALID_UTF8),
            Expect::Linted,
        ),
        Case::new(
            "invalid UTF-8 in a comment",
            "nginx.conf",
            splice(NGINX, "http {", &[b" #".as_slice(), INVALID_UTF8].concat()),
            Expect::Linted,
        ),
        Case::new(
            "NUL bytes",
            "nginx.conf",
            splice(NGINX, "proxy_pass http://app;", b"\0\0"),
            Expect::Linted,
        ),
        Case::new("an empty file", "nginx.conf", "", Expect::Clean),
        Case::new(
            "two files including each other",
            "nginx/a.conf",
            "http { include b.conf; upstream a { server x:1; server y:1; } }\n",
            Expect::Linted,
        )
        .with(
            "nginx/b.conf",
            "include a.conf;\nserver { location / { proxy_pass http://a; } }\n",
        ),
        Case::new(
            "10,000 includes of itself",
            "nginx/self.conf",
            format!("http {{ {} }}\n", "include self.conf; include *.conf;\n".repeat(10_000)),
            Expect::Linted,
        ),
        // 60 files that each include all of them: exponentially many include paths, which a
        // lookup of an inherited setting used to follow (10 files: 8 s; 30: no end).
        (0..60).fold(
            Case::new(
                "60 conf.d files that each include conf.d/*.conf",
                "nginx.conf",
                "events {}\nhttp {\n  upstream u { server a:1; server b:1; }\n  include conf.d/*.conf;\n}\n",
                Expect::Linted,
            ),
            |case, i| {
                case.with(
                    &format!("conf.d/f{i}.conf"),
                    "include conf.d/*.conf;\nserver { listen 80; location / { proxy_pass http://u; } }\n",
                )
            },
        ),
        // 2,000 files that each include all of them: 4,000,000 included files. Each file's walk
        // over everything its includes reach made this cubic (23 s in a release build); past
        // MAX_INCLUDE_EDGES included files the rest are not followed, with a note. With
        // `f0000`..`f1999`, 500 files of 1,999 fit and the 501st is named.
        (0..2_000).fold(
            Case::new(
                "2,000 conf.d files that each include conf.d/*.conf",
                "conf.d/f0500.conf",
                "include conf.d/*.conf;\n",
                Expect::Note("more than 1000000 files"),
            ),
            |case, i| {
                if i == 500 {
                    return case;
                }
                case.with(&format!("conf.d/f{i:04}.conf"), "include conf.d/*.conf;\n")
            },
        ),
        // An include whose file-name pattern is a 60 KB bracket class, beside 1,000 files with
        // 240-byte names: the class was re-read at every byte of every name (11 s in a
        // release build); it is now compiled once into a set of bytes.
        (0..1_000).fold(
            Case::new(
                "an include of a 60 KB bracket class beside 1,000 long-named files",
                "nginx.conf",
                format!(
                    "http {{\n  include d/*[{}]0;\n  include d/*[!{}]1;\n}}\n",
                    "b".repeat(60_000),
                    "a".repeat(60_000)
                ),
                Expect::Linted,
            ),
            |case, i| {
                case.with(
                    &format!("d/{}{i}.conf", "a".repeat(240)),
                    "server { listen 80; }\n",
                )
            },
        ),
        // 300 snippets 99 folders deep (the walk goes no deeper than 100): every folder path was
        // built for every file, quadratic in depth (600 files 1,900 deep: 17 s in a release
        // build; the unit test in lower/nginx.rs keeps that depth).
        (0..300).fold(
            Case::new(
                "300 snippets 99 folders deep",
                "nginx.conf",
                "events {}\nhttp { server { listen 80; } }\n",
                Expect::Linted,
            ),
            |case, i| {
                case.with(
                    &format!("{}s{i}.conf", "a/".repeat(99)),
                    format!("upstream b{i} {{ server x:1; server y:1; }}\nserver {{ listen 80; location / {{ proxy_pass http://b{i}; }} }}\n"),
                )
            },
        ),
    ]);
    assert_bom_crlf_agrees("nginx", "nginx.conf", NGINX);
}

// ---------------------------------------------------------------------------------------------
// systemd, Procfile, fly.toml

const UNIT: &str = "[Unit]
Description=API

[Service]
ExecStart=/bin/sh -c 'node server.js'
KillMode=process
KillSignal=SIGKILL
SendSIGKILL=no
";

#[test]
fn systemd_units() {
    let deep = 10_000;
    check_all(&[
        // Each variable used to be checked against every earlier one (48 s for 100,000 in a
        // release build).
        Case::new(
            "100,000 Environment= lines",
            "app.service",
            format!(
                "[Service]\nExecStart=/usr/bin/node app.js\n{}",
                (0..100_000)
                    .map(|i| format!("Environment=V{i}={i}\n"))
                    .collect::<String>()
            ),
            Expect::Linted,
        ),
        // Each drop-in's name was compared with every one chosen before it (11 to 17 s for
        // 60,000 in a release build).
        {
            let mut case = Case::new(
                "60,000 drop-ins with long names",
                "app.service",
                "[Service]\nExecStart=/usr/bin/app\n",
                Expect::Linted,
            );
            let prefix = "x".repeat(200);
            for i in 0..60_000 {
                case = case.with(
                    &format!("app.service.d/{prefix}{i:07}.conf"),
                    "[Service]\nTimeoutStopSec=5\n",
                );
            }
            case
        },
        Case::new(
            "50,000 continuation lines",
            "app.service",
            format!(
                "[Service]\nExecStart=/usr/bin/app \\\n{}  --last\n",
                "  --flag \\\n".repeat(50_000)
            ),
            Expect::Linted,
        ),
        Case::new(
            "a 1 MB line",
            "app.service",
            format!(
                "[Service]\nExecStart=/usr/bin/app {}\n",
                "a".repeat(1_000_000)
            ),
            Expect::Linted,
        ),
        Case::new(
            "a 2 MB line",
            "app.service",
            format!(
                "[Service]\nExecStart=/usr/bin/app {}\n",
                "a ".repeat(1_000_000)
            ),
            Expect::ParseError("line longer than 1 MiB (systemd's LONG_LINE_MAX)"),
        ),
        Case::new(
            "continuation lines joined into more than 1 MiB",
            "app.service",
            format!(
                "[Service]\nExecStart=/usr/bin/app \\\n{}  --last\n",
                "  --flag \\\n".repeat(120_000)
            ),
            Expect::ParseError("continued line longer than 1 MiB"),
        ),
        Case::new(
            "an ExecStart with 10,000 nested `$(`",
            "app.service",
            format!(
                "[Service]\nExecStart=/bin/sh -c '{}x{}'\n",
                "$( ".repeat(deep),
                " )".repeat(deep)
            ),
            Expect::Linted,
        ),
        Case::new(
            "50,000 sections",
            "app.service",
            "[Service]\nTimeoutStopSec=5\n".repeat(50_000),
            Expect::Linted,
        ),
        Case::new(
            "an unterminated section header",
            "app.service",
            "[Service\nExecStart=/usr/bin/app\n",
            Expect::ParseError("invalid section header"),
        ),
        Case::new(
            "invalid UTF-8",
            "app.service",
            splice(UNIT, "Description=", INVALID_UTF8),
            Expect::Linted,
        ),
        Case::new(
            "NUL bytes",
            "app.service",
            splice(UNIT, "Description=API", b"\0\0"),
            Expect::Linted,
        ),
        Case::new("an empty file", "app.service", "", Expect::Clean),
    ]);
    assert_bom_crlf_agrees("systemd", "app.service", UNIT);
}

const PROCFILE: &str = "web: rails db:migrate && rails server
worker: bundle exec sidekiq
";

#[test]
fn procfiles() {
    let deep = 10_000;
    check_all(&[
        Case::new(
            "a command with 10,000 nested `$(`",
            "Procfile",
            format!("web: {}x{}\n", "$( ".repeat(deep), " )".repeat(deep)),
            Expect::Linted,
        ),
        Case::new(
            "a command with 10,000 nested subshells",
            "Procfile",
            format!(
                "web: {}rails server{}\n",
                "( ".repeat(deep),
                " )".repeat(deep)
            ),
            Expect::Linted,
        ),
        Case::new(
            "a 1 MB line",
            "Procfile",
            format!("web: node {}\n", "a".repeat(1_000_000)),
            Expect::Linted,
        ),
        Case::new(
            "10,000 process types",
            "Procfile",
            (0..10_000)
                .map(|i| format!("p{i}: node app.js\n"))
                .collect::<String>(),
            Expect::Linted,
        ),
        // 700,000 of them took 1.3 GB: each is a workload.
        Case::new(
            "10,001 process types",
            "Procfile",
            (0..10_001)
                .map(|i| format!("p{i}: node app.js\n"))
                .collect::<String>(),
            Expect::ParseError("more than 10000 process types (shutdownlint's limit)"),
        ),
        // Each kept a problem (640 MB); the file is refused at the first.
        Case::new(
            "4,000,000 lines that are not entries",
            "Procfile",
            format!("web: node app.js\n{}", "?\n".repeat(4_000_000)),
            Expect::ParseError("name: command"),
        ),
        Case::new(
            "4,000,000 commands in one 8 MB line",
            "Procfile",
            format!("web: {}node app.js\n", "a;".repeat(4_000_000)),
            Expect::Linted,
        ),
        Case::new(
            "invalid UTF-8",
            "Procfile",
            splice(PROCFILE, "rails server", INVALID_UTF8),
            Expect::Linted,
        ),
        Case::new(
            "NUL bytes",
            "Procfile",
            splice(PROCFILE, "worker:", b"\0"),
            Expect::Linted,
        ),
        Case::new("an empty file", "Procfile", "", Expect::Clean),
    ]);
    // foreman's and procfile-util's line pattern does not skip a BOM: the first line is not a
    // `name: command` line.
    check(&Case::new(
        "a BOM",
        "Procfile",
        format!("\u{feff}{PROCFILE}"),
        Expect::ParseError("name: command"),
    ));
    assert_line_endings_agree("Procfile", "Procfile", PROCFILE, false);
}

const FLY: &str = "app = \"shop\"
kill_signal = \"SIGINT\"
kill_timeout = 5

[processes]
web = \"gunicorn app:app\"
";

#[test]
fn fly_toml() {
    let deep = 10_000;
    check_all(&[
        // Each process group is a workload with its findings: 415,000 took 1.2 GB and 16 s
        // (human output) in a release build. A Procfile has the same limit.
        Case::new(
            "350,000 process groups",
            "fly.toml",
            format!(
                "app = \"x\"\n[processes]\n{}",
                (0..350_000)
                    .map(|i| format!("k{i}=\"sh -c 'a;b'\"\n"))
                    .collect::<String>()
            ),
            Expect::ParseError("more than 10000 process types (shutdownlint's limit)"),
        ),
        Case::new(
            "arrays 10,000 deep",
            "fly.toml",
            format!(
                "app = \"x\"\nx = {}1{}\n",
                "[".repeat(deep),
                "]".repeat(deep)
            ),
            Expect::ParseError("invalid toml"),
        ),
        Case::new(
            "inline tables 10,000 deep",
            "fly.toml",
            format!(
                "app = \"x\"\nx = {}1{}\n",
                "{a = ".repeat(deep),
                "}".repeat(deep)
            ),
            Expect::ParseError("invalid toml"),
        ),
        Case::new(
            "dotted keys 10,000 deep",
            "fly.toml",
            format!("app = \"x\"\n{} = 1\n", vec!["a"; deep].join(".")),
            Expect::ParseError("recursion limit"),
        ),
        Case::new(
            "a 5 MB string",
            "fly.toml",
            format!("app = \"{}\"\n", "x".repeat(5_000_000)),
            Expect::Linted,
        ),
        Case::new(
            "a process with 10,000 nested `$(`",
            "fly.toml",
            format!(
                "app = \"x\"\n[processes]\nweb = \"sh -c '{}x{}'\"\n",
                "$( ".repeat(deep),
                " )".repeat(deep)
            ),
            Expect::Linted,
        ),
        Case::new(
            "invalid UTF-8 in a string",
            "fly.toml",
            splice(FLY, "app = \"", INVALID_UTF8),
            Expect::Linted,
        ),
        Case::new(
            "NUL bytes",
            "fly.toml",
            splice(FLY, "app = \"shop\"", b"\0"),
            Expect::ParseError("invalid toml"),
        ),
        Case::new("an empty file", "fly.toml", "", Expect::Linted),
    ]);
    assert_bom_crlf_agrees("fly.toml", "fly.toml", FLY);
}

// ---------------------------------------------------------------------------------------------
// stdin, and the size cap

#[test]
fn stdin_takes_the_same_hostile_content() {
    let deep = 10_000;
    // (file name, content, a rule that must be among the findings; "" for none in particular)
    let inputs: Vec<(&str, Vec<u8>, &str)> = vec![
        ("deploy.yaml", alias_bomb().into_bytes(), "SL000"),
        (
            "deploy.yaml",
            deployment_with(&format!("{}{}", "[".repeat(deep), "]".repeat(deep))).into_bytes(),
            "SL000",
        ),
        (
            "compose.yaml",
            splice(COMPOSE, "command: npm start", INVALID_UTF8),
            "SL104",
        ),
        (
            "Dockerfile",
            splice(DOCKERFILE, "CMD npm start", b"\0\xff"),
            "SL104",
        ),
        (
            "Dockerfile",
            format!(
                "FROM debian\nCMD {}x{}\n",
                "$( ".repeat(deep),
                " )".repeat(deep)
            )
            .into_bytes(),
            "",
        ),
        (
            "nginx.conf",
            format!("{}{}", "a {".repeat(deep), "}".repeat(deep)).into_bytes(),
            "SL000",
        ),
        (
            "app.service",
            UNIT.replace('\n', "\r\n").into_bytes(),
            "SL104",
        ),
        (
            "Procfile",
            format!("\u{feff}{PROCFILE}").into_bytes(),
            "SL000",
        ),
        (
            "fly.toml",
            format!("x = {}{}\n", "[".repeat(deep), "]".repeat(deep)).into_bytes(),
            "SL000",
        ),
        ("Dockerfile", Vec::new(), "SL000"),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes, rule) in &inputs {
        let case = format!("stdin as {name} ({} bytes, want {rule})", bytes.len());
        let run = run(
            &case,
            dir.path(),
            &["-", "--stdin-filename", name, "--format", "json"],
            Some(bytes),
        );
        assert_sane(&case, &run);
        let report: serde_json::Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{case}: JSON does not parse: {e}"));
        let rules: Vec<&str> = report["diagnostics"]
            .as_array()
            .map(|d| d.iter().filter_map(|d| d["rule"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            rule.is_empty() || rules.contains(rule),
            "{case}: got {rules:?}"
        );
        for d in report["diagnostics"].as_array().into_iter().flatten() {
            let end = d["end"]["offset"].as_u64().unwrap_or(u64::MAX);
            assert!(end as usize <= lossy_len(bytes), "{case}: {d}");
        }
    }
}

/// Content for a file of `bytes` bytes made of repeated `unit`.
fn repeated(unit: &str, bytes: usize) -> Vec<u8> {
    unit.repeat(bytes / unit.len() + 1).into_bytes()
}

#[test]
fn files_over_the_size_cap_are_skipped_with_a_note() {
    const HUNDRED_MB: usize = 100 * 1024 * 1024;
    assert!((DEFAULT_MAX_FILE_BYTES as usize) < HUNDRED_MB);
    // A 10 MB single-line YAML file: linted when the cap allows it, else skipped.
    let one_line = format!(
        "{{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {{\"name\": \"p\", \"annotations\": {{\"a\": \"{}\"}}}}}}",
        "x".repeat(10 * 1024 * 1024)
    );
    let ten_mb = if one_line.len() as u64 > DEFAULT_MAX_FILE_BYTES {
        Expect::Note("limit")
    } else {
        Expect::Linted
    };
    let mut cases = vec![Case::new(
        "a 10 MB single-line YAML file",
        "big.yaml",
        one_line,
        ten_mb,
    )];
    for (file, unit) in [
        (
            "deploy.yaml",
            "---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
        ),
        ("Dockerfile", "RUN echo hi\n"),
        ("nginx.conf", "server { listen 80; }\n"),
        ("app.service", "[Service]\nExecStart=/usr/bin/app\n"),
    ] {
        cases.push(Case::new(
            format!("a 100 MB {file}"),
            file,
            repeated(unit, HUNDRED_MB),
            Expect::Note("limit"),
        ));
    }
    // A 100 MB entrypoint script: not read, with a note (its rules are not checked); the
    // Dockerfile is still linted.
    cases.push(
        Case::new(
            "a 100 MB entrypoint script",
            "entrypoint.sh",
            repeated("echo hi\n", HUNDRED_MB),
            Expect::Note("limit"),
        )
        .with("Dockerfile", COPIES_SCRIPT),
    );
    for case in &cases {
        check(case);
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs the fuzzers found (testdata/regressions/<target>-<n>.<ext>)

/// The file name a regression input is linted as, from its name's extension.
fn regression_file_name(name: &str) -> Option<&'static str> {
    let ext = name.rsplit('.').next()?;
    Some(match ext {
        "Dockerfile" | "dockerfile" => "Dockerfile",
        "yaml" => "deploy.yaml",
        "compose" => "compose.yaml",
        "conf" => "nginx.conf",
        "service" => "app.service",
        "procfile" => "Procfile",
        "toml" => "fly.toml",
        "sh" => "entrypoint.sh",
        _ => return None,
    })
}

#[test]
fn fuzzer_regressions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/regressions");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    let mut count = 0;
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if name.ends_with(".md") {
            continue;
        }
        let file = regression_file_name(&name)
            .unwrap_or_else(|| panic!("{name}: no file kind for this extension"));
        let content = std::fs::read(&path).expect("read regression input");
        let case = if file == "entrypoint.sh" {
            script_case(&name, content)
        } else {
            // Whatever the input is, it only has to be handled: any result but a crash.
            Case::new(&name, file, content, Expect::Linted)
        };
        let dir = tempfile::tempdir().expect("tempdir");
        for (file, content) in &case.files {
            std::fs::write(dir.path().join(file), content).expect("write");
        }
        for format in ["json", "human", "sarif", "github"] {
            let run = run(
                &name,
                dir.path(),
                &["--no-color", "--format", format, "."],
                None,
            );
            assert_sane(&name, &run);
        }
        count += 1;
    }
    eprintln!("{count} regression inputs");
}

// ---------------------------------------------------------------------------------------------
// Nothing from the scanned repository runs

/// A repository where every command a file names, and every program a linter might be tempted
/// to call (sh, docker, nginx, git, ...), is a script in the repository that leaves a marker
/// when run, with its folder first on PATH. Linting it (files and stdin) must leave no marker.
#[cfg(unix)]
#[test]
fn nothing_from_the_repository_is_executed() {
    use std::os::unix::fs::PermissionsExt;

    let repo = tempfile::tempdir().expect("tempdir");
    let markers = tempfile::tempdir().expect("tempdir");
    let bin = repo.path().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let trap = "#!/bin/sh\ntouch \"$MARKER_DIR/ran-$(basename \"$0\")\"\n";
    let programs = [
        "sh",
        "bash",
        "dash",
        "node",
        "npm",
        "docker",
        "nginx",
        "systemctl",
        "systemd-analyze",
        "git",
        "kubectl",
        "helm",
        "kustomize",
        "gunicorn",
        "flyctl",
        "heroku",
        "foreman",
        "entrypoint.sh",
    ];
    for program in programs {
        let path = bin.join(program);
        std::fs::write(&path, trap).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let entrypoint = repo.path().join("entrypoint.sh");
    std::fs::write(&entrypoint, format!("{trap}exec \"$@\"\n")).expect("write");
    std::fs::set_permissions(&entrypoint, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let files = [
        (
            "Dockerfile",
            "FROM debian:12\nCOPY entrypoint.sh /usr/local/bin/\nRUN touch /tmp/ran-run\nENTRYPOINT [\"entrypoint.sh\"]\nHEALTHCHECK CMD sh -c 'touch /tmp/ran-healthcheck'\nCMD node server.js\n",
        ),
        (
            "deploy.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: c:1\n      command: [\"sh\", \"-c\", \"./bin/node server.js\"]\n      livenessProbe: {exec: {command: [\"./bin/sh\"]}}\n      lifecycle: {preStop: {exec: {command: [\"./bin/sh\"]}}}\n",
        ),
        (
            "compose.yaml",
            "services:\n  web:\n    build: .\n    command: ./bin/node server.js\n    healthcheck: {test: [\"CMD\", \"./bin/sh\"]}\n",
        ),
        ("Procfile", "web: ./bin/node server.js\nrelease: ./bin/sh\n"),
        (
            "app.service",
            "[Service]\nExecStartPre=./bin/sh\nExecStart=./bin/node server.js\nExecStop=./bin/sh\nEnvironmentFile=./bin/sh\n",
        ),
        (
            "nginx.conf",
            "http { include bin/*; server { location / { proxy_pass http://127.0.0.1:9; } } }\n",
        ),
        ("fly.toml", "app = \"x\"\n[processes]\nweb = \"./bin/node\"\n"),
    ];
    for (name, content) in files {
        std::fs::write(repo.path().join(name), content).expect("write");
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let lint = |args: &[&str], stdin: Option<&[u8]>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_shutdownlint"))
            .current_dir(repo.path())
            .args(args)
            .env("PATH", &path)
            .env("MARKER_DIR", markers.path())
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn shutdownlint");
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let _ = pipe.write_all(bytes);
        }
        let output = child.wait_with_output().expect("wait");
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{args:?}: {:?} {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    };
    lint(&["."], None);
    lint(&["--format", "sarif", "."], None);
    for (name, content) in files {
        lint(&["-", "--stdin-filename", name], Some(content.as_bytes()));
    }
    let ran: Vec<String> = std::fs::read_dir(markers.path())
        .expect("read markers")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(ran.is_empty(), "programs were run: {ran:?}");
    assert!(
        !Path::new("/tmp/ran-run").exists() && !Path::new("/tmp/ran-healthcheck").exists(),
        "a Dockerfile instruction was run"
    );
}

/// JSON and SARIF byte offsets count the file's bytes, also after invalid UTF-8 (which the text
/// holds as U+FFFD, 3 bytes for each sequence of 1 to 3 bytes); lines and columns are the
/// text's, and SARIF's `charOffset` counts the text's code points.
#[test]
fn offsets_after_invalid_utf8_count_the_file_s_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = b"FROM alpine\n# \xff\xfe\xe2\x82 made on a Latin-1 editor\nFOO bar\n";
    std::fs::write(dir.path().join("Dockerfile"), bytes).expect("write");
    let at = bytes
        .windows(3)
        .position(|w| w == b"FOO")
        .expect("FOO is there");
    let json = run("json", dir.path(), &["--format", "json", "."], None);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let d = &report["diagnostics"][0];
    assert_eq!(d["rule"], "SL000", "{d}");
    assert_eq!(d["start"]["line"], 3, "{d}");
    assert_eq!(d["start"]["column"], 1, "{d}");
    assert_eq!(d["start"]["offset"].as_u64(), Some(at as u64), "{d}");
    assert_eq!(d["end"]["offset"].as_u64(), Some(at as u64 + 3), "{d}");

    let sarif = run("sarif", dir.path(), &["--format", "sarif", "."], None);
    let report: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("SARIF");
    let region = &report["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["byteOffset"].as_u64(), Some(at as u64), "{region}");
    assert_eq!(region["byteLength"].as_u64(), Some(3), "{region}");
    let text = String::from_utf8_lossy(bytes);
    let chars = text.find("FOO").map(|i| text[..i].chars().count());
    assert_eq!(
        region["charOffset"].as_u64(),
        chars.map(|c| c as u64),
        "{region}"
    );
}

/// Run the binary over `files` written to a temp folder: its exit status and peak memory in MiB.
#[cfg(target_os = "linux")]
fn peak_mib(case: &str, files: &[(&str, String)]) -> (Option<i32>, u64) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, content) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, content).expect("write case file");
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_shutdownlint"));
    command
        .current_dir(dir.path())
        .args(["--format", "json", "."])
        .env_remove("RUST_BACKTRACE");
    let (output, kib) = common::output_and_peak_kib(&mut command, DEADLINE);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{case}: {stderr}");
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("JSON output parses");
    let parse_errors = report["diagnostics"]
        .as_array()
        .map_or(0, |d| d.iter().filter(|d| d["rule"] == "SL000").count());
    assert_eq!(parse_errors, 0, "{case}: {report}");
    eprintln!("{case}: {} MiB", kib / 1024);
    (output.status.code(), kib / 1024)
}

/// A `location` with its own lines beside an `include` of a big file shares the file's lines
/// with the other locations instead of copying them: 2,000 locations, each with its own
/// `proxy_set_header` line beside an `include` of 100,000, took 4.75 GB and 8 s. What a rule
/// works out from the file's lines is worked out once, not once per location (each location's
/// `proxy_next_upstream` conditions were read again).
#[cfg(target_os = "linux")]
#[test]
fn nginx_includes_beside_own_lines_are_shared() {
    const LIMIT_MIB: u64 = 200;
    let conf = |location: &dyn Fn(usize) -> String| {
        format!(
            "events {{}}\nhttp {{\n  upstream app {{ server a:80; server b:80; keepalive 16; }}\n  server {{\n    listen 80;\n{}  }}\n}}\n",
            (0..1_000).map(location).collect::<String>()
        )
    };
    // The own `Connection close` first, then 20,000 lines with no `Connection`: the rule's
    // search for the last `Connection` line read the file's lines again per location.
    let headers = conf(&|i| {
        format!("    location /p{i} {{\n      proxy_set_header Connection close;\n      proxy_http_version 1.1;\n      include big.conf;\n      proxy_pass http://app;\n    }}\n")
    });
    let big_headers: String = (0..20_000)
        .map(|i| format!("proxy_set_header X-H{i} \"\";\n"))
        .collect();
    let retries = conf(&|i| {
        format!("    location /p{i} {{\n      proxy_next_upstream error;\n      include big.conf;\n      proxy_pass http://app;\n    }}\n")
    });
    let big_retries = "proxy_next_upstream error timeout http_502 http_503;\n".repeat(20_000);
    for (case, files) in [
        (
            "1,000 locations with their own proxy_set_header beside an include of 20,000",
            vec![
                ("nginx/nginx.conf", headers),
                ("nginx/big.conf", big_headers),
            ],
        ),
        (
            "1,000 locations with their own proxy_next_upstream beside an include of 20,000",
            vec![
                ("nginx/nginx.conf", retries),
                ("nginx/big.conf", big_retries),
            ],
        ),
    ] {
        let (status, mib) = peak_mib(case, &files);
        // SL201 for each location (`Connection: close`), none for the retries.
        assert!(matches!(status, Some(0 | 1)), "{case}: exit {status:?}");
        assert!(mib < LIMIT_MIB, "{case}: {mib} MiB (limit {LIMIT_MIB})");
    }
}

/// One text used many times costs its bytes once: a value every fly.toml process group gets, a
/// oneshot unit whose drop-ins hold megabytes of `;`-separated commands. These took 0.5 to
/// 1.5 GB.
#[cfg(target_os = "linux")]
#[test]
fn repeated_text_costs_its_bytes_once() {
    const LIMIT_MIB: u64 = 200;
    // 1,000 process groups share `[env]` and `[build]` (300 KB each): 0.6 GB when copied.
    let fly = format!(
        "app = \"x\"\nkill_timeout = 30\n[build]\ndockerfile = \"{}\"\n[env]\nGUNICORN_CMD_ARGS = \"{}--graceful-timeout 20\"\n[processes]\n{}",
        "d".repeat(300_000),
        "--x ".repeat(75_000),
        (0..1_000)
            .map(|i| format!("p{i} = \"gunicorn app:app\"\n"))
            .collect::<String>()
    );
    // A drop-in of eight 1 MB lines of 90,000 commands each (470 MB when all were parsed).
    let line = format!("ExecStart=/bin/app{}\n", " ; /bin/b a".repeat(90_000));
    let unit = "[Service]\nType=oneshot\nExecStart=/bin/app\n".to_string();
    let dropin = format!("[Service]\n{}", line.repeat(8));
    // 5,000 compose services built from a Dockerfile whose `FROM` is 60 KB (the longest line
    // a Dockerfile takes): each process kept a copy of the shell reason quoting it (0.3 GB).
    let dockerfile = format!("FROM {}\nCMD node server.js\n", "n".repeat(60_000));
    let compose = format!(
        "services:\n{}",
        (0..5_000)
            .map(|i| format!("  s{i}:\n    build: .\n"))
            .collect::<String>()
    );
    for (case, files) in [
        (
            "FROM quoted per process",
            vec![("Dockerfile", dockerfile), ("compose.yaml", compose)],
        ),
        ("fly.toml", vec![("fly.toml", fly)]),
        (
            "systemd drop-in",
            vec![("app.service", unit), ("app.service.d/0.conf", dropin)],
        ),
    ] {
        let (status, mib) = peak_mib(case, &files);
        assert!(matches!(status, Some(0 | 1)), "{case}: exit {status:?}");
        assert!(mib < LIMIT_MIB, "{case}: {mib} MiB (limit {LIMIT_MIB})");
    }
}

/// An image's ENTRYPOINT is shared by the processes that give it their own arguments (compose
/// `command:`, Kubernetes `args:`), not copied per process: a 6 MB entrypoint run by 400
/// compose services with their own `command:` took 5 GB.
#[cfg(target_os = "linux")]
#[test]
fn an_entrypoint_given_arguments_by_many_processes_costs_its_bytes_once() {
    const LIMIT_MIB: u64 = 200;
    let word = "x".repeat(1_000);
    let entrypoint = (0..2_000)
        .map(|i| format!("\"{word}{i}\""))
        .collect::<Vec<_>>()
        .join(", \\\n");
    let dockerfile = format!("FROM node:20\nENTRYPOINT [{entrypoint}]\n");
    let compose = format!(
        "services:\n{}",
        (0..200)
            .map(|i| format!("  s{i}:\n    build: .\n    command: [\"c{i}\"]\n"))
            .collect::<String>()
    );
    let containers = (0..200)
        .map(|i| {
            format!(
                "        - name: c{i}\n          image: acme/api:1\n          args: [\"a{i}\"]\n"
            )
        })
        .collect::<String>();
    let deployment = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n{containers}"
    );
    let config = "[images]\n\"acme/api\" = \"Dockerfile\"\n".to_string();
    let (status, mib) = peak_mib(
        "entrypoint with arguments",
        &[
            ("Dockerfile", dockerfile),
            ("compose.yaml", compose),
            ("k8s/api.yaml", deployment),
            (".shutdownlint.toml", config),
        ],
    );
    assert!(matches!(status, Some(0 | 1)), "{status:?}");
    assert!(mib < LIMIT_MIB, "{mib} MiB");
}

/// The SL001 findings of a case: (line, message).
fn unused_suppressions(diagnostics: &[serde_json::Value]) -> Vec<(u64, String)> {
    diagnostics
        .iter()
        .filter(|d| d["rule"] == "SL001")
        .map(|d| {
            (
                d["start"]["line"].as_u64().unwrap_or_default(),
                d["message"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_suppression_list_reads_each_name_once_and_its_first_hundred() {
    // One comment naming `x` a million times: each was an SL001 finding (4,000,000 in an 8 MB
    // Dockerfile: 10 s and 1.85 GB for the GitHub format, over 20 s for JSON). A name is read
    // once per list, and a list reads its first 100 names: two findings (and the SL000 of the
    // Dockerfile's 2 MB line).
    let unknown = "suppression names `x`, which is not a shutdownlint rule";
    let rest =
        "suppression lists more than 100 names; the rest of the list, from here, is not read";
    let repeated = Case::new(
        "a comment naming `x` 1,000,000 times",
        "Dockerfile",
        format!(
            "FROM node:22-slim\n# shutdownlint: ignore[{}] r\nCMD [\"node\", \"server.js\"]\n",
            "x,".repeat(1_000_000)
        ),
        Expect::ParseError("max allowed size"),
    );
    assert_eq!(
        unused_suppressions(&check(&repeated)),
        [(2, unknown.to_string()), (2, rest.to_string())]
    );
    // Distinct names: the first 100 (the rule named twice, by code and name, once), then the
    // note; the names read still work (SL104 is silenced, SL101 after the 100th is not read).
    let distinct = Case::new(
        "a comment naming 200,000 distinct names after SL104",
        "compose.yaml",
        format!(
            "services:\n  web:\n    image: nginx:1.27\n    # shutdownlint: ignore[SL104, stop-signal-kill, {}SL101] r\n    stop_signal: SIGKILL\n",
            (0..200_000).map(|i| format!("x{i},")).collect::<String>()
        ),
        Expect::Linted,
    );
    let found = check(&distinct);
    assert!(findings(&found).iter().all(|(rule, _)| rule == "SL001"));
    let messages = unused_suppressions(&found);
    assert_eq!(messages.len(), 99, "{:?}", &messages[..3]);
    assert_eq!(messages[98], (4, rest.to_string()));
}

#[test]
fn an_anchored_ignore_label_is_read_once_for_the_services_that_alias_it() {
    // 2,600 services written as `sN: *quiet`, the anchored block's label naming 3,000 rules:
    // each service had its own copy of the 3,000 entries (7.8 million, 3.6 GB and 5-6 s from a
    // 45 KB file). The label is read once and shared: its findings are the label's.
    let compose = |services: usize, names: String| {
        format!(
            "x-quiet: &quiet\n  image: redis:7\n  stop_signal: SIGKILL\n  labels:\n    shutdownlint.dev/ignore: \"SL104,{names}\"\nservices:\n{}",
            (0..services).map(|i| format!("  s{i}: *quiet\n")).collect::<String>()
        )
    };
    let repeated = Case::new(
        "2,600 aliases of a label naming `x` 3,000 times",
        "compose.yaml",
        compose(2_600, "x,".repeat(3_000)),
        Expect::Linted,
    );
    let found = check(&repeated);
    // SL104 of every service is silenced by the first entry, shared.
    assert_eq!(
        findings(&found),
        [("SL001".to_string(), 5), ("SL001".to_string(), 5)]
    );
    // (600 copies of the 18 KB block: under the 16 MiB the aliases may expand to.)
    let distinct = Case::new(
        "600 aliases of a label naming 3,000 distinct names",
        "compose.yaml",
        compose(600, (0..3_000).map(|i| format!("x{i},")).collect()),
        Expect::Linted,
    );
    assert_eq!(unused_suppressions(&check(&distinct)).len(), 100);
}

/// Each of many Dockerfiles with its own 64 KiB `<Dockerfile>.dockerignore` of wildcard lines:
/// each pattern character was a 32-byte token, and every file was kept parsed for the whole
/// run (1,000 of them took 2.1 GB). Tokens are 8 bytes now, and a run reads at most 4 MiB of
/// `.dockerignore` files: past that, a note, and the scripts of those contexts are not read.
#[cfg(target_os = "linux")]
#[test]
fn many_dockerignore_files_stay_within_a_budget() {
    const LIMIT_MIB: u64 = 200;
    let body = format!("{}[a-z]\n", "?".repeat(60)).repeat(65_000 / 66);
    let mut files = vec![("entrypoint.sh", "#!/bin/sh\nnode server.js\n".to_string())];
    let names: Vec<(String, String)> = (0..400)
        .map(|i| {
            (
                format!("Dockerfile.{i}"),
                format!("Dockerfile.{i}.dockerignore"),
            )
        })
        .collect();
    for (i, (dockerfile, ignore)) in names.iter().enumerate() {
        files.push((
            dockerfile,
            "FROM node:20\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT [\"/entrypoint.sh\"]\n"
                .to_string(),
        ));
        files.push((ignore, format!("{body}#{i}\n")));
    }
    let (status, mib) = peak_mib(
        "400 Dockerfiles, each with its own 64 KiB .dockerignore",
        &files,
    );
    assert_eq!(status, Some(1));
    assert!(mib < LIMIT_MIB, "{mib} MiB");
}

/// `COPY --parents` makes one copy per source: each had its own copy of every `--exclude`
/// pattern and of the whole destination (9,000 sources and 9,000 patterns took 4.45 GB; 250,000
/// sources under a 3.8 KB destination 1.85 GB). They share both now: a source costs what it keeps.
#[cfg(target_os = "linux")]
#[test]
fn copy_parents_sources_share_excludes_and_destination() {
    const LIMIT_MIB: u64 = 150;
    let list = |count: usize, item: &dyn Fn(usize) -> String| {
        (0..count).map(item).collect::<Vec<_>>().join(" \\\n  ")
    };
    let excludes = format!(
        "FROM alpine\nCOPY --parents {} \\\n  {} /dst/\nENTRYPOINT [\"/dst/entrypoint.sh\"]\nCMD [\"x\"]\n",
        list(4_000, &|i| format!("--exclude=x{i}")),
        list(4_000, &|i| format!("s{i}")),
    );
    let destination = format!("/{}/", vec!["d".repeat(200); 19].join("/"));
    let long = format!(
        "FROM alpine\nCOPY --parents {} {destination}\nENTRYPOINT [\"/dst/entrypoint.sh\"]\nCMD [\"x\"]\n",
        list(60_000, &|i| format!("s{i}")),
    );
    let files = [
        ("Dockerfile", excludes),
        ("Dockerfile.long", long),
        ("entrypoint.sh", "#!/bin/sh\nexec \"$@\"\n".to_string()),
    ];
    let (status, mib) = peak_mib(
        "COPY --parents of 4,000 sources with 4,000 --exclude, of 60,000 under a 3.8 KB folder",
        &files,
    );
    assert_eq!(status, Some(0));
    assert!(mib < LIMIT_MIB, "{mib} MiB");
}

/// `COPY --parents` sources keep their folders below the destination, and the COPY lookup
/// indexes every folder of every destination: each folder was a node of about 300 bytes (its
/// own map of children), so an 8 MB Dockerfile of `COPY --parents x/x/…/x/* /srv/N/` took
/// 1.1 GB, and each such file of a run added as much (4 took 4.5 GB). A folder is a small
/// entry now, and a run indexes at most 2,000,000 of them: past it, the earlier COPYs count as
/// COPYs to an unknown destination, with a note (the later ones, indexed first, still find
/// their scripts).
#[cfg(target_os = "linux")]
#[test]
fn copy_parents_deep_destinations_are_indexed_compactly_and_within_a_budget() {
    const LIMIT_MIB: u64 = 300;
    let dockerfile = {
        let mut text = String::from("FROM alpine\n");
        for i in 0..7_500 {
            text.push_str(&format!("COPY --parents {}* /srv/{i}/\n", "x/".repeat(300)));
        }
        text.push_str("COPY e.sh /srv/e.sh\nENTRYPOINT [\"/srv/e.sh\"]\nCMD [\"app\"]\n");
        text
    };
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["a/Dockerfile", "b/Dockerfile"] {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, &dockerfile).expect("write");
        std::fs::write(path.with_file_name("e.sh"), "#!/bin/sh\n\"$@\"\n").expect("write");
    }
    let mut command = Command::new(env!("CARGO_BIN_EXE_shutdownlint"));
    command
        .current_dir(dir.path())
        .args(["--format", "json", "."])
        .env_remove("RUST_BACKTRACE");
    let (output, kib) = common::output_and_peak_kib(&mut command, DEADLINE);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("JSON output parses");
    let rules: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .map(|d| d.iter().map(|d| &d["rule"]).collect())
        .unwrap_or_default();
    // The last COPY of the Dockerfile indexed first puts the script there.
    assert!(rules.iter().any(|r| *r == "SL103"), "{report}");
    assert!(!rules.iter().any(|r| *r == "SL000"), "{report}");
    assert_eq!(
        stderr
            .matches("looking for entrypoint scripts among COPY destinations stopped")
            .count(),
        1,
        "{stderr}"
    );
    eprintln!(
        "two 4.6 MB Dockerfiles of deep COPY --parents: {} MiB",
        kib / 1024
    );
    assert!(kib / 1024 < LIMIT_MIB, "{} MiB", kib / 1024);
}

/// One `.dockerignore` beside many Dockerfiles is read and parsed once. Each Dockerfile's COPY
/// lookup read, parsed and kept its own copy: 2,500 Dockerfiles beside a 64 KiB ignore file of
/// one pattern of 65,000 `?` took 7 s and 5 GB.
#[test]
fn one_dockerignore_shared_by_many_dockerfiles() {
    let mut case = Case::new(
        "2,500 Dockerfiles beside one 64 KiB .dockerignore",
        "d0.Dockerfile",
        "FROM alpine\nCOPY e.sh /e.sh\nENTRYPOINT [\"/e.sh\"]\nCMD [\"app\"]\n".to_string(),
        Expect::Linted,
    )
    .with(".dockerignore", format!("a{}\n", "?".repeat(65_000)))
    .with("e.sh", "#!/bin/sh\n\"$@\"\n".to_string());
    for i in 1..2_500 {
        case = case.with(
            &format!("d{i}.Dockerfile"),
            "FROM alpine\nCOPY e.sh /e.sh\nENTRYPOINT [\"/e.sh\"]\nCMD [\"app\"]\n".to_string(),
        );
    }
    let diagnostics = check(&case);
    // The script, linked from every Dockerfile, is one finding.
    assert!(
        diagnostics.iter().any(|d| d["rule"] == "SL103"),
        "{diagnostics:?}"
    );
}
