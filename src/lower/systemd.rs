//! systemd service units (and their drop-ins) → deploy model.
//!
//! Files are parsed in the parallel stage; units are assembled afterwards, because a drop-in
//! (`app.service.d/10-timeout.conf`) changes the unit beside it (`app.service`). Drop-ins are
//! applied in file-name order; a drop-in without its unit in the scan (an override of a distro
//! unit) is linted on its own. Semantics: systemd.service(5), systemd.kill(5).

use std::collections::BTreeMap;
use std::path::Path;

use crate::diagnostic::Location;
use crate::formats::systemd::{self, EffectiveUnit, KillMode, Origin, TimeSpan, Unit};
use crate::model::{
    Command, CommandSource, CommandWord, EnvVar, Fact, Form, HiddenEnv, Model, Platform, Process,
    ProcessRole, ShellEnv, ShellFamily, Signal, SystemdService, Workload, MAX_COMMAND_WORDS,
};
use crate::source::FileId;
use crate::span::Span;

/// One parsed unit file or drop-in.
#[derive(Debug, Clone)]
pub struct SystemdFile {
    pub file: FileId,
    /// The path as shown.
    pub path: String,
    pub unit: Unit,
}

/// The `[Service]` keys [`lower_units`] reads. A unit file is kept until every file is read
/// (its drop-ins can be anywhere in the scan), so it keeps only these assignments: a real unit
/// has a few dozen others (`Description=`, `After=`, `User=`, `Protect*=`).
const READ_KEYS: &[&str] = &[
    "ExecStart",
    "ExecStop",
    "Environment",
    "EnvironmentFile",
    "KillSignal",
    "KillMode",
    "SendSIGKILL",
    "TimeoutStopSec",
    "TimeoutSec",
    "Type",
    "BusName",
];

impl SystemdFile {
    /// A parsed unit file or drop-in, with what [`lower_units`] reads of it: the assignments
    /// of [`READ_KEYS`] in `[Service]` sections, and what tells whether merged units have a
    /// `[Service]` assignment at all ([`systemd::EffectiveUnit::is_service`]). Merging the
    /// kept assignments gives the workloads merging all of them gives.
    pub fn new(file: FileId, path: String, mut unit: Unit) -> Self {
        unit.sections
            .retain(|section| section.name == systemd::SERVICE);
        for section in &mut unit.sections {
            // An assignment of a single-value key is never dropped by merging (list keys are
            // reset by an empty assignment, empty dependencies are ignored): the first one
            // stands for the section. A section without one keeps all its assignments, so
            // what merging drops of it stays the same.
            let marker = section
                .entries
                .iter()
                .position(|e| systemd::key_kind(&e.key) == systemd::KeyKind::Single);
            if marker.is_none() {
                continue;
            }
            let mut index = 0;
            section.entries.retain(|entry| {
                let keep = Some(index) == marker || READ_KEYS.contains(&entry.key.as_str());
                index += 1;
                keep
            });
            section.entries.shrink_to_fit();
        }
        unit.sections.shrink_to_fit();
        SystemdFile { file, path, unit }
    }

    /// For a drop-in, the unit it belongs to (`app.service` for `app.service.d/x.conf`) and
    /// the directory holding that unit.
    fn drop_in_of(&self) -> Option<(String, String)> {
        let path = Path::new(&self.path);
        let dir = path.parent()?;
        let unit = dir.file_name()?.to_str()?.strip_suffix(".d")?;
        let parent = dir
            .parent()
            .map_or(String::new(), |p| p.to_string_lossy().into_owned());
        Some((unit.to_string(), parent))
    }

    fn unit_key(&self) -> (String, String) {
        let path = Path::new(&self.path);
        let name = path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        let parent = path
            .parent()
            .map_or(String::new(), |p| p.to_string_lossy().into_owned());
        (name, parent)
    }
}

/// Merge units with their drop-ins and add one workload per service.
pub fn lower_units(files: Vec<SystemdFile>, model: &mut Model) {
    let mut units: BTreeMap<(String, String), (Option<SystemdFile>, Vec<SystemdFile>)> =
        BTreeMap::new();
    for file in files {
        match file.drop_in_of() {
            Some(key) => units.entry(key).or_default().1.push(file),
            None => {
                let key = file.unit_key();
                units.entry(key).or_default().0 = Some(file);
            }
        }
    }
    let empty = Unit::default();
    // At most one workload per unit: without this the model's (exactly reserved) workloads
    // would double their capacity for the first one.
    model.workloads.reserve_exact(units.len());
    for ((name, _), (unit, mut dropins)) in units {
        dropins.sort_by(|a, b| a.path.cmp(&b.path));
        let names: Vec<String> = dropins
            .iter()
            .map(|d| {
                Path::new(&d.path)
                    .file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned())
            })
            .collect();
        let inputs: Vec<(&str, &Unit)> = names
            .iter()
            .map(String::as_str)
            .zip(dropins.iter().map(|d| &d.unit))
            .collect();
        let effective = systemd::merge(unit.as_ref().map_or(&empty, |u| &u.unit), &inputs);
        let file_of = |origin: Origin| match origin {
            Origin::Unit => unit.as_ref().map(|u| u.file),
            Origin::DropIn(i) => dropins.get(i).map(|d| d.file),
        };
        let Some(anchor_file) = unit
            .as_ref()
            .map(|u| u.file)
            .or_else(|| dropins.first().map(|d| d.file))
        else {
            continue;
        };
        if !effective.is_service() && !name.ends_with(".service") {
            continue;
        }
        if let Some(workload) = workload(&name, &effective, anchor_file, &file_of) {
            model.workloads.push(workload);
        }
    }
}

/// The last `KillSignal=` line when none of them is a signal: systemd ignores such a line (it
/// logs "Failed to parse signal, ignoring") and sends its default, SIGTERM. The fact keeps the
/// line, so a finding about the signal points at it and says why it is not the signal written.
fn ignored_kill_signal(
    unit: &EffectiveUnit,
    at: &dyn Fn(Origin, Span) -> Option<Location>,
) -> Option<Fact<Signal>> {
    let last = unit.last(systemd::SERVICE, "KillSignal")?;
    let written = last.entry.value();
    if written.trim().is_empty() {
        return None;
    }
    let shown = systemd::shorten(written);
    // `KillSignal=SIGQUIT # graceful`: systemd reads comments only at the start of a line.
    let comment = written
        .split_whitespace()
        .next()
        .is_some_and(|first| systemd::Signal::parse(first).is_some());
    let mut note =
        format!("systemd's default: `KillSignal={shown}` is not a signal, so systemd ignores it");
    if comment {
        note.push_str("; systemd has no comments at the end of a line");
    }
    Some(Fact {
        value: Signal::Term,
        location: Some(at(last.origin, last.entry.value_span())?),
        note: Some(note),
    })
}

fn workload(
    name: &str,
    unit: &EffectiveUnit,
    anchor_file: FileId,
    file_of: &dyn Fn(Origin) -> Option<FileId>,
) -> Option<Workload> {
    let at = |origin: Origin, span: Span| file_of(origin).map(|file| Location::new(file, span));
    // Only the last command is read (a oneshot unit may have thousands of them).
    let exec_start = unit.last_exec("ExecStart");
    let command = exec_start.as_ref().and_then(|setting| {
        let file = file_of(setting.origin)?;
        Some(Command {
            words: setting
                .value
                .argv
                .iter()
                .take(MAX_COMMAND_WORDS)
                .map(|w| CommandWord {
                    text: w.value.clone(),
                    file,
                    source: 0,
                    synthesized: false,
                })
                .collect(),
            sources: vec![CommandSource {
                what: "ExecStart",
                form: Form::Exec,
                location: Location::new(file, setting.span),
                inherited_from: None,
            }],
            ..Command::default()
        })
    });
    let location = exec_start
        .as_ref()
        .and_then(|s| at(s.origin, s.span))
        .unwrap_or(Location::new(anchor_file, Span::empty(0)));
    let stop_signal = match unit.kill_signal() {
        Some(s) => Signal::parse(&s.value.name())
            .and_then(|signal| Some(Fact::at(signal, at(s.origin, s.span)?))),
        None => ignored_kill_signal(unit, &at),
    };
    let timeout = unit.timeout_stop();
    let (kill_deadline, timeout_infinite) = match &timeout {
        Some(s) => match s.value {
            TimeSpan::Infinity => (None, at(s.origin, s.span)),
            // 0 means "no timeout" for TimeoutStopSec (parse_sec_fix_0).
            TimeSpan::Micros(0) => (None, at(s.origin, s.span)),
            TimeSpan::Micros(_) => (
                s.value
                    .as_secs_f64()
                    .and_then(|v| Some(Fact::at(v, at(s.origin, s.span)?))),
                None,
            ),
        },
        None => (None, None),
    };
    let kill_mode = unit.kill_mode().and_then(|s| {
        let name = match s.value {
            KillMode::ControlGroup => "control-group",
            KillMode::Mixed => "mixed",
            KillMode::Process => "process",
            KillMode::None => "none",
        };
        Some(Fact::at(name.to_string(), at(s.origin, s.span)?))
    });
    let send_sigkill = unit
        .send_sigkill()
        .and_then(|s| Some(Fact::at(s.value, at(s.origin, s.span)?)));
    // Each command's words are kept as plain strings as it is read, never all of them parsed.
    let mut exec_stop = Vec::new();
    unit.for_each_exec("ExecStop", &mut |s| {
        let argv = s
            .value
            .argv
            .iter()
            .take(MAX_COMMAND_WORDS)
            .map(|w| w.as_str().to_string())
            .collect();
        if let Some(location) = at(s.origin, s.span) {
            exec_stop.push((argv, location));
        }
    });
    let env = unit
        .environment()
        .into_iter()
        .filter(|s| crate::drain::env_read_by_rules(&s.value.name))
        .filter_map(|s| {
            Some(EnvVar::new(
                s.value.name.clone(),
                Some(s.value.value.text.as_str().into()),
                at(s.origin, s.span)?,
            ))
        })
        .collect();
    // On the host, /bin/sh is dash on Debian/Ubuntu and bash on RHEL-family systems.
    let shell = ShellEnv {
        family: ShellFamily::Dash,
        reason: "assumed dash: /bin/sh on Debian and Ubuntu hosts".into(),
        assumed: true,
        location: None,
        old_bash: false,
    };
    let mut process = Process::new(name, ProcessRole::Main, command, shell);
    process.env = env;
    // `EnvironmentFile=` is not read (a path on the host): any variable may be set there, over
    // `Environment=` ("Settings from these files override settings made with Environment=",
    // systemd.exec(5)).
    process.hidden_env = unit
        .environment_files()
        .into_iter()
        .filter(|f| !f.value.path.trim().is_empty())
        .find_map(|f| at(f.origin, f.span))
        .map(|location| {
            Box::new(HiddenEnv {
                source: "EnvironmentFile=",
                location,
                overrides_written: true,
                prefixes: Vec::new(),
            })
        });
    Some(Workload {
        platform: Platform::Systemd,
        name: name.to_string(),
        location,
        processes: vec![process],
        stop_signal: stop_signal.map(std::sync::Arc::new),
        base_image: None,
        image: None,
        kill_deadline,
        drain_annotation: None,
        kubernetes: None,
        compose: None,
        systemd: Some(Box::new(SystemdService {
            service_type: format!("{:?}", unit.effective_service_type()).to_ascii_lowercase(),
            kill_mode,
            send_sigkill,
            timeout_infinite,
            exec_stop,
        })),
        process_type: None,
        dockerfile_ref: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;

    /// Keys of every kind: the ones lowering reads, list keys that are reset by an empty
    /// assignment, dependencies, and single-value keys it does not read; with empty and
    /// invalid values.
    const ASSIGNMENTS: &[(&str, &[&str])] = &[
        (
            "ExecStart",
            &["/usr/bin/app --port 80", "", "/bin/sh -c 'exec app'"],
        ),
        ("ExecStop", &["/bin/kill -TERM $MAINPID", ""]),
        ("ExecStartPre", &["/bin/true", ""]),
        (
            "Environment",
            &["A=1", "B=2 DRAIN_TIMEOUT=3", "DRAIN_TIMEOUT=9s", ""],
        ),
        (
            "EnvironmentFile",
            &["/etc/default/app", "-/etc/app.env", ""],
        ),
        ("KillSignal", &["SIGINT", "SIGQUIT # graceful", ""]),
        ("KillMode", &["mixed", "process", "sideways"]),
        ("SendSIGKILL", &["no", "yes"]),
        ("TimeoutStopSec", &["30", "infinity", "0", "soon"]),
        ("TimeoutSec", &["10"]),
        ("Type", &["simple", "oneshot", "notify", "odd"]),
        ("BusName", &["org.example.App", ""]),
        ("After", &["network.target", ""]),
        ("Description", &["An app"]),
        ("User", &["app"]),
        ("Restart", &["always"]),
        ("ReadWritePaths", &["/var/lib/app", ""]),
        ("ConditionPathExists", &["/etc/app", ""]),
    ];

    fn unit_text(rng: &mut Rng) -> String {
        let mut text = String::new();
        for _ in 0..rng.below(4) {
            let section = ["Unit", "Service", "Service", "Install"][rng.below(4)];
            text.push_str(&format!("[{section}]\n"));
            for _ in 0..rng.below(6) {
                let (key, values) = ASSIGNMENTS[rng.below(ASSIGNMENTS.len())];
                text.push_str(&format!("{key}={}\n", values[rng.below(values.len())]));
            }
        }
        text
    }

    /// The model of units given as (path, text), each its own file in order.
    fn model_of(units: &[(&str, &str)]) -> Model {
        let files = units
            .iter()
            .enumerate()
            .map(|(i, (path, text))| {
                SystemdFile::new(FileId(i as u32), path.to_string(), systemd::parse(text))
            })
            .collect();
        let mut model = Model::default();
        lower_units(files, &mut model);
        model
    }

    fn lowered(files: Vec<SystemdFile>) -> String {
        let mut model = Model::default();
        lower_units(files, &mut model);
        format!("{:#?}", model.workloads)
    }

    /// A unit's process keeps the variables rules read, each once with the value the last
    /// assignment (a drop-in's) gives it.
    #[test]
    fn a_unit_keeps_the_variables_rules_read() {
        let unit = "[Service]\nExecStart=/usr/bin/app\nEnvironment=LANG=C SHUTDOWN_TIMEOUT=10s PORT=80\nEnvironment=\"GUNICORN_CMD_ARGS=--graceful-timeout 5\"\n";
        let dropin = "[Service]\nEnvironment=SHUTDOWN_TIMEOUT=30s HOME=/srv\n";
        let model = model_of(&[
            ("etc/app.service", unit),
            ("etc/app.service.d/10-override.conf", dropin),
        ]);
        let process = &model.workloads[0].processes[0];
        assert_eq!(
            process.env_pairs(),
            [
                ("GUNICORN_CMD_ARGS", Some("--graceful-timeout 5")),
                ("SHUTDOWN_TIMEOUT", Some("30s")),
            ]
        );
        let last = process.env_var("SHUTDOWN_TIMEOUT").expect("kept");
        assert_eq!(
            (last.location.file, last.value.as_deref()),
            (FileId(1), Some("30s"))
        );
    }

    /// `EnvironmentFile=` makes the environment partly unknown, over `Environment=`; a drop-in's
    /// empty assignment clears it.
    #[test]
    fn an_environment_file_hides_the_environment() {
        let hidden = |dropin: &str| {
            let unit = "[Service]\nExecStart=/usr/bin/app\nEnvironment=DRAIN_TIMEOUT=5\nEnvironmentFile=-/etc/default/app\n";
            let model = model_of(&[("app.service", unit), ("app.service.d/10.conf", dropin)]);
            let process = &model.workloads[0].processes[0];
            let hidden = process
                .hidden_env
                .as_deref()
                .map(|h| (h.source, h.overrides_written));
            let lookup = matches!(
                process.env_lookup("DRAIN_TIMEOUT"),
                crate::model::EnvLookup::Hidden(_)
            );
            (hidden, lookup)
        };
        assert_eq!(
            hidden("[Service]\nKillMode=mixed\n"),
            (Some(("EnvironmentFile=", true)), true)
        );
        assert_eq!(hidden("[Service]\nEnvironmentFile=\n"), (None, false));
    }

    /// Units keep only what lowering reads, and lowering them gives the same workloads as
    /// lowering them whole: drop-ins that reset lists, units with a `[Service]` section of
    /// keys lowering does not read, units whose name does not say `.service`.
    #[test]
    fn units_keep_what_lowering_reads_and_lower_the_same() {
        let names = ["app.service", "app.timer", "tpl@.service"];
        for seed in 1..400u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut inputs: Vec<(String, String)> = Vec::new();
            for name in names {
                if rng.below(4) > 0 {
                    inputs.push((format!("etc/{name}"), unit_text(&mut rng)));
                }
                for d in 0..rng.below(3) {
                    let dropin = format!("etc/{name}.d/{}-override.conf", 10 + d);
                    inputs.push((dropin, unit_text(&mut rng)));
                }
            }
            let whole: Vec<SystemdFile> = inputs
                .iter()
                .enumerate()
                .map(|(i, (path, text))| SystemdFile {
                    file: FileId(i as u32),
                    path: path.clone(),
                    unit: systemd::parse(text),
                })
                .collect();
            let kept: Vec<SystemdFile> = whole
                .iter()
                .map(|f| SystemdFile::new(f.file, f.path.clone(), f.unit.clone()))
                .collect();
            for file in &kept {
                for section in &file.unit.sections {
                    assert_eq!(section.name, systemd::SERVICE);
                    let others = section
                        .entries
                        .iter()
                        .filter(|e| !READ_KEYS.contains(&e.key.as_str()))
                        .filter(|e| systemd::key_kind(&e.key) == systemd::KeyKind::Single);
                    assert!(others.count() <= 1, "{:?}", file.unit);
                }
            }
            assert_eq!(lowered(kept), lowered(whole), "seed {seed}: {inputs:#?}");
        }
    }
}
