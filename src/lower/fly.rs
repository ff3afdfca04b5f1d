//! fly.toml → deploy model: one workload per `[processes]` group (or one for the app), stopped
//! with `kill_signal` (default SIGINT) and killed `kill_timeout` later (default 5 s). Process
//! commands replace the image's CMD and are split into words, not run through a shell; the image
//! comes from `[build] dockerfile` (default `Dockerfile` beside fly.toml) when it is in the scan.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::Location;
use crate::formats::procfile::MAX_ENTRIES;
use crate::formats::{Fragment, ParseFailure};
use crate::model::{
    Command, CommandSource, CommandWord, EnvVar, Fact, Form, Platform, Process, ProcessRole,
    ShellEnv, Signal, Workload,
};
use crate::source::FileId;
use crate::span::{MappedText, Span};

#[derive(Deserialize, Default)]
struct FlyToml {
    app: Option<Spanned<String>>,
    kill_signal: Option<Spanned<String>>,
    kill_timeout: Option<Spanned<toml::Value>>,
    #[serde(default)]
    processes: BTreeMap<String, Spanned<toml::Value>>,
    build: Option<Build>,
    #[serde(default)]
    env: BTreeMap<String, Spanned<toml::Value>>,
}

#[derive(Deserialize, Default)]
struct Build {
    dockerfile: Option<Spanned<String>>,
}

fn span_of<T>(spanned: &Spanned<T>) -> Span {
    let range = spanned.span();
    Span::new(range.start, range.end)
}

/// The text of a TOML string value mapped to the file (exact for strings without escapes).
fn string_text(text: &str, span: Span, value: &str) -> MappedText {
    let raw = span.slice(text);
    for quote in ["\"\"\"", "'''", "\"", "'"] {
        if let Some(inner) = raw.strip_prefix(quote).and_then(|r| r.strip_suffix(quote)) {
            if inner == value {
                return MappedText::contiguous(value, span.start + quote.len());
            }
        }
    }
    let mut b = MappedText::builder();
    for c in value.chars() {
        b.push_char(c, span);
    }
    b.finish()
}

pub fn lower(file: FileId, text: &str, fragment: &mut Fragment) -> Result<(), ParseFailure> {
    let fly: FlyToml = toml::from_str(text).map_err(|e| ParseFailure {
        message: format!("invalid TOML: {}", e.message()),
        span: e
            .span()
            .map_or(Span::empty(0), |r| Span::new(r.start, r.end)),
    })?;
    // Fly.io apps have a handful of process groups; each becomes a workload (and its
    // findings), so a file of 400,000 is refused, as a Procfile of that many process types is.
    if fly.processes.len() > MAX_ENTRIES {
        let mut starts: Vec<Span> = fly.processes.values().map(span_of).collect();
        starts.sort_unstable_by_key(|s| s.start);
        return Err(ParseFailure {
            message: format!(
                "more than {MAX_ENTRIES} process types ({})",
                crate::formats::yaml::OWN_LIMIT
            ),
            span: starts.get(MAX_ENTRIES).copied().unwrap_or(Span::empty(0)),
        });
    }
    let location = |span: Span| Location::new(file, span);
    let stop_signal = fly.kill_signal.as_ref().and_then(|s| {
        Signal::parse(s.get_ref()).map(|signal| Fact::at(signal, location(span_of(s))))
    });
    // Shared by the workload of every process group.
    let stop_signal = stop_signal.map(std::sync::Arc::new);
    let kill_deadline = fly.kill_timeout.as_ref().and_then(|t| {
        let seconds = match t.get_ref() {
            toml::Value::Integer(n) => Some(*n as f64),
            toml::Value::Float(f) => Some(*f),
            toml::Value::String(s) => crate::shell::commands::parse_duration_seconds(s),
            _ => None,
        }
        // `nan` and `inf` are TOML floats, but no timeout.
        .filter(|s| s.is_finite())?;
        Some(Fact::at(seconds, location(span_of(t))))
    });
    let env: Vec<EnvVar> = fly
        .env
        .iter()
        .filter(|(name, _)| crate::drain::env_read_by_rules(name))
        .map(|(name, value)| {
            EnvVar::new(
                name.clone(),
                match value.get_ref() {
                    toml::Value::String(s) => Some(s.as_str().into()),
                    toml::Value::Integer(n) => Some(n.to_string().into()),
                    toml::Value::Float(f) => Some(f.to_string().into()),
                    toml::Value::Boolean(b) => Some(b.to_string().into()),
                    _ => None,
                },
                location(span_of(value)),
            )
        })
        .collect();
    let dockerfile_ref = fly
        .build
        .as_ref()
        .and_then(|b| b.dockerfile.as_ref())
        .map(|d| Fact::at(d.get_ref().clone(), location(span_of(d))))
        .or_else(|| Some(Fact::default_value("Dockerfile".to_string())))
        .map(Arc::new);
    // App-wide findings point at `app = "…"` (else the first line).
    let anchor = location(fly.app.as_ref().map_or_else(
        || Span::new(0, text.find('\n').unwrap_or(text.len())),
        span_of,
    ));
    let workload = |name: String,
                    process_type: Option<Fact<String>>,
                    command: Option<Command>,
                    at: Location| {
        // The process is named after its group (`app` without `[processes]`).
        let process_name = process_type
            .as_ref()
            .map_or_else(|| "app".to_string(), |t| t.value.clone());
        let mut process = Process::new(
            process_name,
            ProcessRole::Main,
            command,
            ShellEnv::default(),
        );
        process.env = env.clone();
        Workload {
            platform: Platform::Fly,
            name,
            location: at,
            processes: vec![process],
            stop_signal: stop_signal.clone(),
            base_image: None,
            image: None,
            kill_deadline: kill_deadline.clone(),
            drain_annotation: None,
            kubernetes: None,
            compose: None,
            systemd: None,
            process_type: process_type.map(Box::new),
            // One copy for every process group.
            dockerfile_ref: dockerfile_ref.clone(),
        }
    };
    if fly.processes.is_empty() {
        fragment
            .workloads
            .push(workload("fly app".to_string(), None, None, anchor));
        return Ok(());
    }
    for (name, value) in &fly.processes {
        let toml::Value::String(command_text) = value.get_ref() else {
            continue;
        };
        let span = span_of(value);
        let mapped = string_text(text, span, command_text);
        let words: Vec<CommandWord> = crate::shell::words::split_literal(&mapped)
            .into_iter()
            .map(|text| CommandWord {
                text,
                file,
                source: 0,
                synthesized: false,
            })
            .collect();
        let command = (!words.is_empty()).then(|| Command {
            words,
            sources: vec![CommandSource {
                what: "processes",
                form: Form::Exec,
                location: location(span),
                inherited_from: None,
            }],
            ..Command::default()
        });
        fragment.workloads.push(workload(
            format!("fly process {name}"),
            Some(Fact::at(name.clone(), location(span))),
            command,
            location(span),
        ));
    }
    Ok(())
}
