//! A quick property test for CI: random mutations of valid files of every kind, linted through
//! the library, must never panic; every diagnostic must point inside its file on character
//! boundaries; linting the same input twice must give the same diagnostics; and the JSON and
//! human reports must render (the JSON one must parse).
//!
//! Deterministic: a fixed seed and a small xorshift generator. For a longer local run set
//! `SHUTDOWNLINT_PROPERTY_CASES` (mutants per seed file, default 80) and
//! `SHUTDOWNLINT_PROPERTY_SEED`. A failure prints the input as a Rust byte string: add it to
//! testdata/regressions/ (see tests/hostile_content.rs).

use std::panic::{catch_unwind, AssertUnwindSafe};

use shutdownlint::config::{Config, Selection};
use shutdownlint::output::{self, Format};
use shutdownlint::source::FileKind;
use shutdownlint::{InputFile, Report, Settings};

/// xorshift64* (Vigna): small, fast, and the same sequence on every platform.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform enough in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Tokens that matter to one parser or another; splicing them in reaches the parsers' edge
/// cases faster than random bytes.
const TOKENS: &[&str] = &[
    ":",
    ": ",
    "{",
    "}",
    "[",
    "]",
    "- ",
    "\\\n",
    "\"",
    "'",
    "$(",
    ")",
    "`",
    "${",
    "\n",
    "\r\n",
    "\t",
    "#",
    "*a",
    "&a ",
    "<<: ",
    "---\n",
    ";",
    "|",
    "&&",
    "<<EOF\n",
    "\nEOF\n",
    "\\",
    "=",
    "\u{feff}",
    "\0",
    "\u{e9}",
    "\u{1F600}",
    "exec ",
    "sh -c ",
    "[\"",
    "\"]",
    "!!str ",
    "? ",
    "[Service]\n",
    "location / {",
    "server ",
    "9",
    "-1",
    "1e999",
    "99999999999999999999",
];

/// One random edit of `bytes`.
fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
    let at = rng.below(bytes.len() + 1);
    match rng.below(7) {
        // Insert a random byte (any value: invalid UTF-8 too).
        0 => bytes.insert(at, rng.next() as u8),
        // Delete a short range.
        1 => {
            let end = (at + 1 + rng.below(16)).min(bytes.len());
            if at < end {
                bytes.drain(at..end);
            }
        }
        // Duplicate a range in place.
        2 => {
            let end = (at + 1 + rng.below(64)).min(bytes.len());
            let copy = bytes.get(at..end).unwrap_or_default().to_vec();
            bytes.splice(at..at, copy);
        }
        // Overwrite a byte.
        3 => {
            if let Some(b) = bytes.get_mut(at) {
                *b = rng.next() as u8;
            }
        }
        // Truncate.
        4 => bytes.truncate(at),
        // Splice a structural token (twice as likely as the others).
        _ => {
            let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
            bytes.splice(at..at, token.iter().copied());
        }
    }
}

/// Valid files of every kind (name, kind, text) to start from.
fn seeds() -> Vec<(&'static str, FileKind, String)> {
    let script = "#!/bin/sh\nset -e\ntrap 'exit 0' TERM\nif [ \"$1\" = migrate ]; then python manage.py migrate; fi\ncase \"$1\" in web) set -- gunicorn app:app ;; esac\nexec \"$@\"\n";
    vec![
        (
            "Dockerfile",
            FileKind::Dockerfile,
            "# syntax=docker/dockerfile:1\nARG BASE=node:22-slim\nFROM ${BASE} AS build\nRUN <<EOF\nnpm ci \\\n  && npm run build\nEOF\nFROM build\nENV A=1 B=\"two words\"\nSTOPSIGNAL SIGKILL\nHEALTHCHECK CMD [\"curl\", \"-f\", \"http://localhost/\"]\nENTRYPOINT [\"tini\", \"--\"]\nCMD npm start\n".to_string(),
        ),
        (
            "Dockerfile",
            FileKind::Dockerfile,
            // A shell script as the `sh -c` payload of exec form.
            format!(
                "FROM debian:12\nCMD [\"sh\", \"-c\", {}]\n",
                serde_json::to_string(script).unwrap_or_default()
            ),
        ),
        (
            "deploy.yaml",
            FileKind::Yaml,
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  annotations: {shutdownlint.dev/drain-seconds: \"25\"}\nspec:\n  replicas: 1\n  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 100%, maxSurge: 0}}\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      terminationGracePeriodSeconds: 10\n      containers:\n        - name: api\n          image: api:1\n          command: [\"sh\", \"-c\", \"gunicorn --graceful-timeout 30 app:app\"]\n          ports: [{containerPort: 8000}]\n          lifecycle: {preStop: {exec: {command: [sleep, \"15\"]}}}\n          livenessProbe: &probe {httpGet: {path: /db, port: 8000}}\n          readinessProbe: *probe\n---\napiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec: {selector: {app: api}}\n".to_string(),
        ),
        (
            "compose.yaml",
            FileKind::Compose,
            "x-common: &common\n  stop_grace_period: 5s\nservices:\n  web:\n    <<: *common\n    image: node:22\n    command: sh -c \"npx prisma migrate deploy && node server.js\"\n    stop_signal: SIGINT\n    ports: [\"8080:8080\"]\n    depends_on:\n      db: {condition: service_healthy}\n  db:\n    image: postgres:16\n".to_string(),
        ),
        (
            "nginx.conf",
            FileKind::Nginx,
            "http {\n  upstream app {\n    server 10.0.0.1:8080 max_fails=0;\n    server 10.0.0.2:8080;\n    keepalive 16;\n    keepalive_timeout 60s;\n  }\n  server {\n    location / {\n      proxy_pass http://app;\n      proxy_next_upstream error timeout non_idempotent;\n    }\n    location /lua { content_by_lua_block { ngx.say(\"}\") } }\n  }\n}\n".to_string(),
        ),
        (
            "app.service",
            FileKind::Systemd,
            "[Unit]\nDescription=API\n\n[Service]\nExecStart=/bin/sh -c 'gunicorn \\\n  --graceful-timeout 30 app:app'\nExecStop=/bin/kill -9 $MAINPID\nKillMode=process\nTimeoutStopSec=1min 30s\nSendSIGKILL=no\nEnvironment=\"GRACEFUL_TIMEOUT=20\"\n".to_string(),
        ),
        (
            "Procfile",
            FileKind::Procfile,
            "web: bundle exec rails db:migrate && bundle exec puma -C config/puma.rb\nworker: bundle exec sidekiq -t 25\nrelease: ./bin/release\n".to_string(),
        ),
        (
            "fly.toml",
            FileKind::Fly,
            "app = \"shop\"\nkill_signal = \"SIGTERM\"\nkill_timeout = \"5s\"\n[processes]\nweb = \"gunicorn --graceful-timeout 40 app:app\"\n[http_service]\ninternal_port = 8080\n".to_string(),
        ),
    ]
}

fn lint(name: &str, kind: FileKind, text: &str) -> Report {
    let settings = Settings::new(Config::default(), Selection::all());
    shutdownlint::lint_inputs(
        vec![InputFile {
            display: name.to_string(),
            kind,
            text: text.to_string(),
            dir: None,
        }],
        &settings,
    )
}

/// Every property for one input; `Err` says which one failed. `Ok`: whether there were
/// findings, and whether one was a parse error.
fn check(name: &str, kind: FileKind, text: &str) -> Result<(bool, bool), String> {
    let report = lint(name, kind, text);
    for d in &report.diagnostics {
        let places = std::iter::once(&d.location).chain(d.labels.iter().map(|l| &l.location));
        for location in places {
            let file_text = report.files.text(location.file);
            let span = location.span;
            if span.start > span.end || span.end > file_text.len() {
                return Err(format!(
                    "{}: span {span:?} outside {} bytes",
                    d.code,
                    file_text.len()
                ));
            }
            if !file_text.is_char_boundary(span.start) || !file_text.is_char_boundary(span.end) {
                return Err(format!("{}: span {span:?} not on char boundaries", d.code));
            }
        }
    }
    let again = lint(name, kind, text);
    if again.diagnostics != report.diagnostics || again.notes != report.notes {
        return Err("linting the same input twice gave different results".to_string());
    }
    let json = output::render(&report, Format::Json, false);
    let value: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| format!("JSON output does not parse: {e}"))?;
    let listed = value["diagnostics"].as_array().map_or(0, Vec::len);
    if listed != report.diagnostics.len() {
        return Err(format!(
            "JSON lists {listed} of {} diagnostics",
            report.diagnostics.len()
        ));
    }
    let human = output::render(&report, Format::Human, false);
    if !report.diagnostics.is_empty() && human.is_empty() {
        return Err("human output is empty".to_string());
    }
    Ok((
        !report.diagnostics.is_empty(),
        report.diagnostics.iter().any(|d| d.code == "SL000"),
    ))
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn mutated_files_lint_without_panic_within_their_files_and_deterministically() {
    let seed = env_number("SHUTDOWNLINT_PROPERTY_SEED", 0x5eed_f00d);
    let cases = env_number("SHUTDOWNLINT_PROPERTY_CASES", 80);
    let mut rng = Rng::new(seed);
    let mut checked = 0;
    let mut with_findings = 0;
    let mut parse_errors = 0;
    for (name, kind, text) in seeds() {
        // The seed file itself must be a good start: it lints cleanly of SL000.
        let report = lint(name, kind, &text);
        assert!(
            report.diagnostics.iter().all(|d| d.code != "SL000"),
            "seed {name} does not parse: {:?}",
            report.diagnostics
        );
        for _ in 0..cases {
            let mut bytes = text.clone().into_bytes();
            for _ in 0..1 + rng.below(4) {
                mutate(&mut rng, &mut bytes);
            }
            // As the binary reads a file: invalid UTF-8 replaced.
            let mutant = String::from_utf8_lossy(&bytes).into_owned();
            let outcome = catch_unwind(AssertUnwindSafe(|| check(name, kind, &mutant)))
                .unwrap_or_else(|_| Err("panicked".to_string()));
            let (findings, parse_error) = outcome.unwrap_or_else(|why| {
                panic!(
                    "{name} (seed {seed:#x}): {why}\ninput: b\"{}\"",
                    bytes.escape_ascii()
                )
            });
            checked += 1;
            with_findings += usize::from(findings);
            parse_errors += usize::from(parse_error);
        }
    }
    // The mutants must exercise both sides: some still lint, some are broken.
    assert!(checked > 0);
    assert!(
        parse_errors > 0 && parse_errors < checked,
        "{parse_errors} of {checked} mutants failed to parse"
    );
    eprintln!("{checked} mutants: {with_findings} with findings, {parse_errors} with SL000");
}
