//! The timeline model: for every process of every workload, its termination sequence on one time
//! axis (seconds from the moment the platform starts stopping it).
//!
//! The numbers come from the deploy model and the same helpers the budget rules use
//! ([`crate::drain`] for the drain timeout, [`Workload::effective_kill_deadline`] and
//! [`Workload::stop_signal_for`] for the platform's deadline and signal). Whether the signal
//! reaches the app comes from the command analysis ([`crate::analysis`]: the shell at PID 1,
//! package managers, entrypoint scripts), read with the platform rules SL101 documents (Procfile
//! platforms and systemd's default `KillMode=control-group` signal every process). What only the
//! lint run knows (a server stopped with its fast-shutdown signal, SL106; an `ExecStop=` that
//! sends SIGKILL, SL104) is attached from its findings with [`attach_findings`].
//!
//! Platform semantics:
//! - Kubernetes: the grace period clock starts at deletion; preStop hooks run first, the stop
//!   signal follows when the hook returns (or when the grace period runs out), and SIGKILL comes
//!   at the end of the grace period. A hook still running then gets the kubelet's one-off 2s
//!   extension (and the kubelet always leaves 2s between the signal and SIGKILL).
//! - docker compose, Docker, Procfile platforms, Fly.io: the stop signal at 0, SIGKILL after the
//!   deadline (`stop_grace_period` 10s, `docker stop` 10s, Heroku's 30s, `kill_timeout` 5s).
//! - systemd: `ExecStop=` commands run first, then `KillSignal=` goes to the processes that
//!   `KillMode=` names; SIGKILL follows `TimeoutStopSec=` (90s) later unless `SendSIGKILL=no`
//!   or the timeout is disabled.

use std::collections::HashMap;

use crate::analysis::ShellOutcome;
use crate::config::Config;
use crate::diagnostic::{Diagnostic, Location};
use crate::drain::{self, format_seconds, Drain};
use crate::model::{Fact, Model, Platform, Process, ProcessRole, ShellFamily, Signal, Workload};

/// The kubelet's minimum time between the stop signal and SIGKILL once a preStop hook ran
/// (`minimumGracePeriodInSeconds`): the documented one-off extension for a hook that outlasts
/// the grace period.
pub const KUBELET_MINIMUM_GRACE_SECONDS: f64 = 2.0;

/// Where a number or a signal came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub origin: Origin,
    /// Where it is written; for a server's default, where the server is started.
    pub location: Option<Location>,
    /// What it is, as the reader knows it: `terminationGracePeriodSeconds 20s`,
    /// `platform default (Kubernetes terminationGracePeriodSeconds: 30s)`.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Written in a file, at `location`.
    Written,
    /// Set by an image the workload runs (a known base image's STOPSIGNAL), named at `location`.
    Image,
    /// The platform's default: nothing sets it.
    PlatformDefault,
    /// The server's documented default: nothing sets it; `location` is where the server starts.
    ServerDefault,
    /// `.shutdownlint.toml`.
    Config,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Written => "file",
            Origin::Image => "image",
            Origin::PlatformDefault => "platform-default",
            Origin::ServerDefault => "server-default",
            Origin::Config => "config",
        }
    }
}

/// Something that runs before the stop signal.
#[derive(Debug, Clone, PartialEq)]
pub struct Phase {
    pub kind: PhaseKind,
    /// How long it takes, when it can be read (`sleep: {seconds: 15}`).
    pub seconds: Option<f64>,
    /// The deadline ends it before it returns (a preStop pause longer than the grace period).
    pub cut_at: Option<f64>,
    /// It does not run at all (a grace period of 0).
    pub skipped: bool,
    /// `sleep 15s`, `httpGet (duration unknown)`, `kill -s QUIT $MAINPID`.
    pub text: String,
    pub source: Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseKind {
    /// A Kubernetes preStop hook (the deregistration pause).
    PreStop,
    /// systemd `ExecStop=` commands.
    ExecStop,
}

impl PhaseKind {
    pub fn label(self) -> &'static str {
        match self {
            PhaseKind::PreStop => "preStop",
            PhaseKind::ExecStop => "ExecStop",
        }
    }
}

/// A reason the signal does not (or may not) get to the app, with the rule that reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Barrier {
    /// `SL101`, or empty when no rule reports it.
    pub rule: &'static str,
    pub text: String,
    pub location: Option<Location>,
}

/// Whether the stop signal gets to the application.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    /// It does; how (`node is PID 1`, `the platform signals every process of the dyno`).
    Reaches(String),
    /// It does not: the barriers, outermost first.
    Blocked(Vec<Barrier>),
    /// Something sits in between that may not pass it on.
    Uncertain(Barrier),
    /// The stop signal is SIGKILL: nothing can handle it.
    Uncatchable(Barrier),
    /// No signal is sent at all (systemd `KillMode=none` without `ExecStop=`).
    NotSent(String),
    /// What runs is not known (an image whose command is not in the scan).
    Unknown(String),
}

impl Delivery {
    pub fn status(&self) -> &'static str {
        match self {
            Delivery::Reaches(_) => "yes",
            Delivery::Blocked(_) | Delivery::Uncatchable(_) | Delivery::NotSent(_) => "no",
            Delivery::Uncertain(_) => "uncertain",
            Delivery::Unknown(_) => "unknown",
        }
    }

    /// The signal never starts a drain.
    pub fn no_drain(&self) -> bool {
        matches!(
            self,
            Delivery::Blocked(_) | Delivery::Uncatchable(_) | Delivery::NotSent(_)
        )
    }
}

/// A lint finding that changes the picture, from the lint run.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: &'static str,
    pub message: String,
    pub location: Location,
}

/// The stop signal.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalStep {
    /// Seconds from the start of termination. When `after_unknown` is set, the phase before it
    /// has no known length and the time is drawn as if it took no time.
    pub at: f64,
    pub after_unknown: bool,
    /// `SIGTERM`.
    pub name: String,
    pub source: Source,
    pub delivery: Delivery,
    /// The server treats the signal as a fast shutdown (SL106), or an `ExecStop=` kills it (SL104).
    pub finding: Option<Finding>,
}

/// What is known about the application's drain timeout.
#[derive(Debug, Clone, PartialEq)]
pub enum DrainKnowledge {
    Known {
        seconds: f64,
        source: Source,
    },
    /// Set, but not to a value that can be read (`--graceful-timeout "$T"`).
    SetUnknown {
        location: Location,
    },
    /// Nothing says it; why, and where the server starts when known.
    Unknown {
        why: String,
        location: Option<Location>,
    },
}

/// SIGKILL, or the reason there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum Kill {
    At {
        /// Seconds from the start of termination.
        at: f64,
        /// The platform setting's value (`terminationGracePeriodSeconds 30`).
        deadline: f64,
        /// The kubelet's extension for a preStop hook that outlasts the grace period.
        extension: f64,
        source: Source,
    },
    /// The platform never sends SIGKILL (`SendSIGKILL=no`, `TimeoutStopSec=infinity`).
    Never(Source),
}

impl Kill {
    pub fn at(&self) -> Option<f64> {
        match self {
            Kill::At { at, .. } => Some(*at),
            Kill::Never(_) => None,
        }
    }

    pub fn source(&self) -> &Source {
        match self {
            Kill::At { source, .. } | Kill::Never(source) => source,
        }
    }
}

/// How the sequence ends.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The drain ends before SIGKILL, with this much to spare.
    Fits { margin: f64 },
    /// The drain ends exactly when SIGKILL comes: no time left to exit.
    NoMargin,
    /// SIGKILL cuts the drain short by this much.
    Cut { by: f64 },
    /// No drain happens at all (the signal does not reach the app, SIGKILL as stop signal, a
    /// fast shutdown).
    NoDrain { why: String },
    /// The drain timeout is unknown, but the signal comes only this long before SIGKILL (a
    /// preStop pause that uses up the grace period).
    Squeezed { left: f64 },
    /// Nothing ever forces the process to stop.
    NeverKilled,
    /// The drain timeout (or a phase before the signal) is not known.
    Unknown { why: String },
}

impl Verdict {
    pub fn status(&self) -> &'static str {
        match self {
            Verdict::Fits { .. } => "fits",
            Verdict::NoMargin => "no-margin",
            Verdict::Cut { .. } => "cut",
            Verdict::NoDrain { .. } => "no-drain",
            Verdict::Squeezed { .. } => "squeezed",
            Verdict::NeverKilled => "never-killed",
            Verdict::Unknown { .. } => "unknown",
        }
    }

    /// No drain happens at all.
    pub fn no_drain(&self) -> bool {
        matches!(self, Verdict::NoDrain { .. })
    }

    /// A problem worth marking (✗).
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            Verdict::NoMargin
                | Verdict::Cut { .. }
                | Verdict::NoDrain { .. }
                | Verdict::Squeezed { .. }
        )
    }
}

/// One process's termination sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// Index of the process in its workload ([`Workload::processes`]).
    pub process_index: usize,
    pub process: String,
    /// `container`, `service`, `unit`, `process`.
    pub noun: &'static str,
    pub sidecar: bool,
    pub serves: bool,
    /// The program that ends up running (`node`, `gunicorn`), when known.
    pub app: Option<String>,
    pub before_signal: Option<Phase>,
    pub signal: SignalStep,
    pub drain: DrainKnowledge,
    pub kill: Kill,
    pub verdict: Verdict,
}

impl Lane {
    /// When the drain would end (signal + drain timeout), when known.
    pub fn drain_end(&self) -> Option<f64> {
        match &self.drain {
            DrainKnowledge::Known { seconds, .. } => Some(self.signal.at + seconds),
            _ => None,
        }
    }

    /// What the drain row shows.
    pub fn drain_row(&self) -> DrainRow {
        let start = self.signal.at;
        let kill = self.kill.at();
        if let Verdict::NoDrain { .. } = self.verdict {
            let unaware = self.signal.finding.is_none()
                && matches!(
                    self.signal.delivery,
                    Delivery::Blocked(_) | Delivery::NotSent(_)
                );
            return if unaware {
                DrainRow::Unaware { start, end: kill }
            } else {
                DrainRow::Dropped { at: start }
            };
        }
        match self.drain_end() {
            Some(end) => DrainRow::Window {
                start,
                end,
                killed_at: kill.filter(|k| *k < end),
            },
            None => DrainRow::Unknown { start, end: kill },
        }
    }

    /// The latest time anything in the lane happens (for the axis).
    pub fn end_time(&self) -> f64 {
        let phase = self
            .before_signal
            .as_ref()
            .and_then(|p| p.seconds)
            .unwrap_or(0.0);
        // A drain that never happens does not stretch the axis.
        let drain_end = match self.verdict {
            Verdict::NoDrain { .. } => None,
            _ => self.drain_end(),
        };
        let end = [
            phase,
            self.signal.at,
            drain_end.unwrap_or(0.0),
            self.kill.at().unwrap_or(0.0),
        ]
        .into_iter()
        .fold(0.0, f64::max);
        // Nothing has a time (no SIGKILL, no known drain): a short axis to draw the signal on.
        if end > 0.0 {
            end
        } else {
            10.0
        }
    }

    /// The name of the app for sentences: `node`, else "the app".
    pub fn app_name(&self) -> String {
        self.app
            .as_ref()
            .map_or_else(|| "the app".to_string(), |a| format!("`{a}`"))
    }

    /// One sentence saying how the sequence ends.
    pub fn summary(&self) -> String {
        let kill = match self.kill.at() {
            Some(at) => format!("SIGKILL at {}", format_seconds(at)),
            None => "no SIGKILL".to_string(),
        };
        match &self.verdict {
            Verdict::Fits { margin } => {
                format!("the drain ends {} before SIGKILL", format_seconds(*margin))
            }
            Verdict::NoMargin => format!("{kill} comes as the drain ends: no time left to exit"),
            Verdict::Cut { by } => {
                format!("{kill} cuts the drain short by {}", format_seconds(*by))
            }
            Verdict::NoDrain { why } => match self.kill.at() {
                Some(at) if at <= self.signal.at => format!("{why}: killed at once, mid-request"),
                Some(_) => format!("{why}: {kill} stops it mid-request"),
                None => format!("{why}, and nothing ever forces it to stop"),
            },
            Verdict::Squeezed { left } if *left <= 0.0 => format!(
                "{} and SIGKILL come at once: no time to drain",
                self.signal.name
            ),
            Verdict::Squeezed { left } => format!(
                "the preStop pause uses up the grace period: {} comes only {} before SIGKILL",
                self.signal.name,
                format_seconds(*left)
            ),
            Verdict::NeverKilled => "no SIGKILL: a hung drain is never ended".to_string(),
            Verdict::Unknown { why } => match self.kill.at() {
                Some(_) if self.drain_end().is_some() => why.clone(),
                Some(at) => format!(
                    "{why}: the app has {}{} after {} to finish",
                    if self.signal.after_unknown {
                        "at most "
                    } else {
                        ""
                    },
                    format_seconds(at - self.signal.at),
                    self.signal.name
                ),
                None => why.clone(),
            },
        }
    }
}

/// What the drain row of a chart shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DrainRow {
    /// The drain window; `killed_at` when SIGKILL comes before its end.
    Window {
        start: f64,
        end: f64,
        killed_at: Option<f64>,
    },
    /// The app never learns it should stop: it keeps running until `end` (SIGKILL, or the end
    /// of the axis).
    Unaware { start: f64, end: Option<f64> },
    /// No drain at all: the process goes down at `at` (SIGKILL as stop signal, a fast shutdown).
    Dropped { at: f64 },
    /// The drain's length is unknown: from `start` to SIGKILL (or the end of the axis).
    Unknown { start: f64, end: Option<f64> },
}

/// One workload and the lanes of its processes.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadTimeline {
    /// Index of the workload in [`Model::workloads`].
    pub workload_index: usize,
    /// `Deployment/api`, `service web`, `api.service`, `web process`, `fly process app`.
    pub name: String,
    /// Short names `--workload` accepts: the object, service, unit or process type name.
    pub aliases: Vec<String>,
    pub platform: Platform,
    pub location: Location,
    pub lanes: Vec<Lane>,
}

/// Every workload's timeline, in the model's order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    pub workloads: Vec<WorkloadTimeline>,
    /// What [`Timeline::limit`] left out.
    pub omitted: Omitted,
}

/// The most lanes (processes) one timeline draws, in every format: a picture of more is of no
/// use to a reader, and drawing hundreds of thousands of them takes seconds and gigabytes.
pub const MAX_LANES: usize = 1000;

/// The processes, and the workloads they belong to, that [`Timeline::limit`] left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Omitted {
    /// Processes (lanes) not drawn.
    pub lanes: usize,
    /// Workloads with at least one process not drawn.
    pub workloads: usize,
}

impl Omitted {
    pub fn any(&self) -> bool {
        self.lanes > 0
    }

    /// The line the outputs show: how much was left out and how to choose what is drawn.
    pub fn note(&self) -> String {
        format!(
            "{} more {} of {} {} not drawn: a timeline draws at most {} processes; choose the workloads to draw with --workload NAME",
            self.lanes,
            if self.lanes == 1 { "process" } else { "processes" },
            self.workloads,
            if self.workloads == 1 { "workload" } else { "workloads" },
            MAX_LANES
        )
    }
}

/// What [`Timeline::select`] drew, with the `--workload` names that matched nothing and the
/// names of every workload it could have drawn (for the message that lists them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selected {
    pub timeline: Timeline,
    pub unmatched: Vec<String>,
    pub names: Vec<String>,
}

impl Timeline {
    /// The timelines of every workload in the model: Kubernetes pod templates, compose services,
    /// systemd services, Procfile processes, fly processes, and Docker images that nothing in the
    /// scan runs (`docker run` defaults).
    pub fn build(model: &Model, config: &Config) -> Timeline {
        Timeline::select(model, config, &[], usize::MAX).timeline
    }

    /// The timelines of the workloads `wanted` names (all of them when it is empty; full names,
    /// short names or process names, case-insensitive), with at most `max_lanes` lanes in all: the first
    /// ones in the model's order (a workload that straddles the limit keeps its first lanes).
    /// What is left out is counted in [`Timeline::omitted`]; the lanes left out are never built.
    pub fn select(model: &Model, config: &Config, wanted: &[String], max_lanes: usize) -> Selected {
        // Images that a Kubernetes container, compose service or fly app runs: their own
        // (`docker run`) workload would only repeat the Dockerfile's part of those timelines.
        let run_images: std::collections::HashSet<usize> = model
            .workloads
            .iter()
            .filter(|w| w.platform != Platform::Docker)
            .flat_map(|w| {
                w.image
                    .into_iter()
                    .chain(w.processes.iter().filter_map(|p| p.image))
            })
            .collect();
        let run_by_others: std::collections::HashSet<usize> = model
            .images
            .iter()
            .enumerate()
            .filter(|(i, _)| run_images.contains(i))
            .map(|(_, image)| image.workload)
            .collect();
        let candidates: Vec<(usize, &Workload, Vec<String>)> = model
            .workloads
            .iter()
            .enumerate()
            .filter(|(i, w)| w.platform != Platform::Docker || !run_by_others.contains(i))
            .filter(|(_, w)| signalled(w).next().is_some())
            .map(|(i, w)| (i, w, aliases(w)))
            .collect();
        let matches = |workload: &Workload, aliases: &[String], name: &str| {
            let name = name.trim();
            workload.name.eq_ignore_ascii_case(name)
                || aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
                || signalled(workload).any(|p| p.name.eq_ignore_ascii_case(name))
        };
        let unmatched = wanted
            .iter()
            .filter(|name| !candidates.iter().any(|(_, w, a)| matches(w, a, name)))
            .cloned()
            .collect();
        let names = candidates.iter().map(|(_, w, _)| w.name.clone()).collect();
        let mut left = max_lanes;
        let mut omitted = Omitted::default();
        let mut workloads = Vec::new();
        for (index, workload, aliases) in candidates {
            if !wanted.is_empty() && !wanted.iter().any(|n| matches(workload, &aliases, n)) {
                continue;
            }
            let count = signalled(workload).count();
            let drawn = count.min(left);
            if drawn < count {
                omitted.lanes += count - drawn;
                omitted.workloads += 1;
            }
            if drawn == 0 {
                continue;
            }
            left -= drawn;
            let lanes = signalled(workload)
                .take(drawn)
                .map(|p| lane(workload, p, config))
                .collect();
            workloads.push(WorkloadTimeline {
                workload_index: index,
                name: workload.name.clone(),
                aliases,
                platform: workload.platform,
                location: workload.location,
                lanes,
            });
        }
        Selected {
            timeline: Timeline { workloads, omitted },
            unmatched,
            names,
        }
    }

    /// Keep the workloads `wanted` names (full names, short names or process names,
    /// case-insensitive). Returns the names that matched nothing. The command selects with
    /// [`Timeline::select`]; this is kept as the reference its test compares with.
    #[cfg(test)]
    pub fn retain_named(&mut self, wanted: &[String]) -> Vec<String> {
        let matches = |w: &WorkloadTimeline, name: &str| {
            let name = name.trim();
            w.name.eq_ignore_ascii_case(name)
                || w.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
                || w.lanes.iter().any(|l| l.process.eq_ignore_ascii_case(name))
        };
        let unmatched = wanted
            .iter()
            .filter(|name| !self.workloads.iter().any(|w| matches(w, name)))
            .cloned()
            .collect();
        self.workloads
            .retain(|w| wanted.iter().any(|name| matches(w, name)));
        unmatched
    }
}

/// The processes of a workload that get a lane. Init containers run to completion before the
/// pod starts; they are never signalled.
fn signalled(workload: &Workload) -> impl Iterator<Item = &Process> {
    workload
        .processes
        .iter()
        .filter(|p| p.role != ProcessRole::Init)
}

/// The short names `--workload` accepts besides the full name and the process names.
fn aliases(workload: &Workload) -> Vec<String> {
    let mut aliases = Vec::new();
    if let Some(kube) = &workload.kubernetes {
        aliases.push(kube.name.clone());
    }
    if let Some(compose) = &workload.compose {
        aliases.push(compose.name.clone());
    }
    if let Some(kind) = &workload.process_type {
        aliases.push(kind.value.clone());
    }
    if workload.platform == Platform::Systemd {
        if let Some(unit) = workload.name.strip_suffix(".service") {
            aliases.push(unit.to_string());
        }
    }
    aliases
}

/// Where `process` is among the processes of `workload`, from its address (rules ask for the
/// lane of every container of a pod: searching would scan the pod each time); 0 when it is
/// not one of them.
fn index_of(workload: &Workload, process: &Process) -> usize {
    let size = std::mem::size_of::<Process>().max(1);
    let offset = (process as *const Process as usize)
        .checked_sub(workload.processes.as_ptr() as usize)
        .filter(|offset| offset % size == 0);
    offset
        .map(|offset| offset / size)
        .filter(|&i| {
            workload
                .processes
                .get(i)
                .is_some_and(|p| std::ptr::eq(p, process))
        })
        .unwrap_or(0)
}

/// The termination sequence of one process of a workload.
pub fn lane(workload: &Workload, process: &Process, config: &Config) -> Lane {
    let signal_fact = workload.stop_signal_for(process);
    let delivery = delivery(workload, process, &signal_fact.value);
    let (before_signal, signal_at, after_unknown, mut kill) = clock(workload, process, config);
    // A stop signal of SIGKILL is the kill: the platform's deadline never comes into play.
    if let Delivery::Uncatchable(barrier) = &delivery {
        kill = Kill::At {
            at: signal_at,
            deadline: kill.at().unwrap_or(signal_at),
            extension: 0.0,
            source: Source {
                origin: Origin::Written,
                location: barrier.location,
                text: "the stop signal itself".to_string(),
            },
        };
    }
    let signal = SignalStep {
        at: signal_at,
        after_unknown,
        name: signal_fact.value.name(),
        source: signal_source(workload, &signal_fact),
        delivery,
        finding: None,
    };
    let app = process
        .analysis
        .as_ref()
        .and_then(|a| a.main.as_ref())
        // Behind a package manager the app is whatever its script runs.
        .filter(|m| m.package_manager.is_none())
        .map(|m| {
            m.server
                .map_or_else(|| m.name().to_string(), |s| s.name().to_string())
        })
        .filter(|name| !name.is_empty());
    let index = index_of(workload, process);
    let mut lane = Lane {
        process_index: index,
        process: process.name.clone(),
        noun: workload.process_noun(),
        sidecar: process.role == ProcessRole::Sidecar,
        serves: workload.serves(process),
        app,
        before_signal,
        signal,
        drain: drain_knowledge(workload, process, config),
        kill,
        verdict: Verdict::Unknown { why: String::new() },
    };
    lane.verdict = verdict(&lane, workload.platform);
    lane
}

/// The phase before the signal, the signal's time, whether that time follows a phase of unknown
/// length, and SIGKILL.
fn clock(
    workload: &Workload,
    process: &Process,
    config: &Config,
) -> (Option<Phase>, f64, bool, Kill) {
    let deadline = workload.effective_kill_deadline();
    let deadline_source = deadline_source(workload, &deadline, config);
    if let Some(systemd) = &workload.systemd {
        let exec_stop = systemd.exec_stop.first().map(|(argv, location)| Phase {
            kind: PhaseKind::ExecStop,
            seconds: None,
            cut_at: None,
            skipped: false,
            text: format!(
                "`{}`{} (duration unknown; each command may take up to TimeoutStopSec=)",
                argv.join(" "),
                if systemd.exec_stop.len() > 1 {
                    format!(" and {} more", systemd.exec_stop.len() - 1)
                } else {
                    String::new()
                }
            ),
            source: Source {
                origin: Origin::Written,
                location: Some(*location),
                text: "ExecStop=".to_string(),
            },
        });
        let after_unknown = exec_stop.is_some();
        // systemd.kill(5): without SIGKILL a hung stop is never ended; `TimeoutStopSec=infinity`
        // (or 0) disables the timeout itself.
        let kill = if let Some(at) = systemd.timeout_infinite {
            Kill::Never(Source {
                origin: Origin::Written,
                location: Some(at),
                text: "the stop timeout is disabled (infinity or 0)".to_string(),
            })
        } else if let Some(send) = systemd.send_sigkill.as_ref().filter(|s| !s.value) {
            Kill::Never(Source {
                origin: Origin::Written,
                location: send.location,
                text: "SendSIGKILL=no".to_string(),
            })
        } else {
            Kill::At {
                at: deadline.value,
                deadline: deadline.value,
                extension: 0.0,
                source: deadline_source,
            }
        };
        return (exec_stop, 0.0, after_unknown, kill);
    }
    let Some(pre_stop) = process
        .pre_stop
        .as_ref()
        .filter(|_| workload.platform == Platform::Kubernetes)
    else {
        let kill = Kill::At {
            at: deadline.value.max(0.0),
            deadline: deadline.value,
            extension: 0.0,
            source: deadline_source,
        };
        return (None, 0.0, false, kill);
    };
    let grace = deadline.value.max(0.0);
    let (text, source) = match &pre_stop.delay {
        Some(delay) => (
            format!("{} hook, {}", pre_stop.handler, format_seconds(delay.value)),
            Source {
                origin: Origin::Written,
                location: delay.location.or(Some(pre_stop.location)),
                text: "preStop".to_string(),
            },
        ),
        None => (
            format!("{} hook (duration unknown)", pre_stop.handler),
            Source {
                origin: Origin::Written,
                location: Some(pre_stop.location),
                text: "preStop".to_string(),
            },
        ),
    };
    // terminationGracePeriodSeconds 0: the pod gets no time to stop; the hook does not run.
    if grace <= 0.0 {
        let phase = Phase {
            kind: PhaseKind::PreStop,
            seconds: None,
            cut_at: None,
            skipped: true,
            text: format!("{text}: not run, the grace period is 0"),
            source,
        };
        let kill = Kill::At {
            at: 0.0,
            deadline: deadline.value,
            extension: 0.0,
            source: deadline_source,
        };
        return (Some(phase), 0.0, false, kill);
    }
    let Some(seconds) = pre_stop.delay.as_ref().map(|d| d.value.max(0.0)) else {
        let phase = Phase {
            kind: PhaseKind::PreStop,
            seconds: None,
            cut_at: None,
            skipped: false,
            text,
            source,
        };
        let kill = Kill::At {
            at: grace,
            deadline: deadline.value,
            extension: 0.0,
            source: deadline_source,
        };
        return (Some(phase), 0.0, true, kill);
    };
    // The signal follows the hook, or the end of the grace period when the hook outlasts it; the
    // kubelet then leaves at least 2s before SIGKILL.
    let signal_at = seconds.min(grace);
    let kill_at = grace.max(signal_at + KUBELET_MINIMUM_GRACE_SECONDS);
    let phase = Phase {
        kind: PhaseKind::PreStop,
        seconds: Some(seconds),
        cut_at: (seconds > grace).then_some(grace),
        skipped: false,
        text,
        source,
    };
    let kill = Kill::At {
        at: kill_at,
        deadline: deadline.value,
        extension: kill_at - grace,
        source: deadline_source,
    };
    (Some(phase), signal_at, false, kill)
}

fn deadline_source(workload: &Workload, deadline: &Fact<f64>, config: &Config) -> Source {
    let name = workload.platform.kill_deadline_name();
    let value = format_seconds(deadline.value);
    if let Some(location) = deadline.location {
        return Source {
            origin: Origin::Written,
            location: Some(location),
            text: format!("{name} {value}"),
        };
    }
    // Procfile platforms: the limit is fixed; the configuration may say it differs.
    if workload.platform == Platform::Procfile && config.procfile.kill_timeout.is_some() {
        return Source {
            origin: Origin::Config,
            location: None,
            text: format!("[procfile] kill-timeout {value}"),
        };
    }
    let text = match workload.platform {
        Platform::Procfile => format!("platform default (Heroku: SIGKILL {value} after SIGTERM)"),
        Platform::Docker => {
            format!("platform default (docker stop: SIGKILL {value} after the signal)")
        }
        platform => format!("platform default ({} {name}: {value})", platform.name()),
    };
    Source {
        origin: Origin::PlatformDefault,
        location: None,
        text,
    }
}

fn signal_source(workload: &Workload, signal: &Fact<Signal>) -> Source {
    match (&signal.location, &signal.note) {
        // A `KillSignal=` line systemd ignores: its default, and the line that says otherwise.
        (Some(location), Some(note)) if workload.platform == Platform::Systemd => Source {
            origin: Origin::PlatformDefault,
            location: Some(*location),
            text: note.clone(),
        },
        (Some(location), Some(note)) => Source {
            origin: Origin::Image,
            location: Some(*location),
            text: note.clone(),
        },
        // Written in another file than the workload: the Dockerfile of the image it runs.
        (Some(location), None)
            if workload.platform != Platform::Docker && location.file != workload.location.file =>
        {
            Source {
                origin: Origin::Image,
                location: Some(*location),
                text: "STOPSIGNAL of the image".to_string(),
            }
        }
        (Some(location), None) => Source {
            origin: Origin::Written,
            location: Some(*location),
            text: match workload.platform {
                Platform::Docker => "STOPSIGNAL",
                Platform::Kubernetes => "stop signal",
                Platform::Compose => "stop_signal",
                Platform::Systemd => "KillSignal=",
                Platform::Fly => "kill_signal",
                Platform::Procfile => "stop signal",
            }
            .to_string(),
        },
        (None, _) => Source {
            origin: Origin::PlatformDefault,
            location: None,
            text: match workload.platform {
                Platform::Procfile => {
                    "platform default (Heroku sends SIGTERM to every process)".to_string()
                }
                Platform::Fly => format!(
                    "platform default (Fly.io kill_signal: {})",
                    signal.value.name()
                ),
                Platform::Systemd => {
                    format!(
                        "platform default (systemd KillSignal=: {})",
                        signal.value.name()
                    )
                }
                platform => format!(
                    "platform default ({}: {})",
                    platform.name(),
                    signal.value.name()
                ),
            },
        },
    }
}

/// The drain timeout as SL301 counts it: a server's default does not count when the server reads
/// a config file that may set it.
fn drain_knowledge(workload: &Workload, process: &Process, config: &Config) -> DrainKnowledge {
    let main = process.analysis.as_ref().and_then(|a| a.main.as_ref());
    match drain::drain_timeout(workload, process, config) {
        Drain::Known(timeout) => {
            if timeout.is_default
                && crate::rules::grace_period_shorter_than_drain::default_may_be_overridden(process)
            {
                return DrainKnowledge::Unknown {
                    why: format!(
                        "{} reads a config file that may set it (else the default {})",
                        main.and_then(|m| m.server)
                            .map_or("the server", |s| s.name()),
                        format_seconds(timeout.seconds)
                    ),
                    location: timeout.location,
                };
            }
            let origin = if timeout.is_default {
                Origin::ServerDefault
            } else if timeout.location.is_none() {
                Origin::Config
            } else {
                Origin::Written
            };
            DrainKnowledge::Known {
                seconds: timeout.seconds,
                source: Source {
                    origin,
                    location: timeout.location,
                    text: timeout.description,
                },
            }
        }
        Drain::SetUnknown(location) => DrainKnowledge::SetUnknown { location },
        Drain::Hidden { location, source } => DrainKnowledge::Unknown {
            why: format!("the environment may set it: {source} is not read"),
            location: Some(location),
        },
        Drain::Unknown => {
            let server = main.and_then(|m| m.server);
            DrainKnowledge::Unknown {
                why: match server {
                    Some(server) => format!(
                        "no drain timeout is set for {}, and it has no known default",
                        server.name()
                    ),
                    None => "nothing sets it (no server flag, DRAIN_TIMEOUT-style variable, shutdownlint.dev/drain-seconds annotation or [drain] default-seconds)".to_string(),
                },
                location: main.map(|m| m.server_location.unwrap_or(m.name_location)),
            }
        }
    }
}

/// Whether the signal reaches the program, from the command analysis.
fn delivery(workload: &Workload, process: &Process, signal: &Signal) -> Delivery {
    if *signal == Signal::Kill {
        let location = workload.stop_signal_for(process).location;
        return Delivery::Uncatchable(Barrier {
            rule: "SL104",
            text: "the stop signal is SIGKILL, which no process can catch".to_string(),
            location,
        });
    }
    let app = process
        .analysis
        .as_ref()
        .and_then(|a| a.main.as_ref())
        .map_or_else(
            || "the app".to_string(),
            |m| format!("`{}`", m.server.map_or_else(|| m.name(), |s| s.name())),
        );
    // Platforms that signal every process of the group reach the app whatever runs in between.
    match workload.platform {
        Platform::Procfile => {
            return Delivery::Reaches(
                "the platform signals every process of the dyno, the app included".to_string(),
            )
        }
        Platform::Systemd => {
            let Some(systemd) = &workload.systemd else {
                return Delivery::Unknown("no [Service] facts".to_string());
            };
            let mode = systemd.kill_mode.as_ref().map(|m| m.value.as_str());
            match mode {
                Some("none") if systemd.exec_stop.is_empty() => {
                    return Delivery::NotSent(
                        "KillMode=none: systemd signals no process and no ExecStop= stops it"
                            .to_string(),
                    )
                }
                Some("none") => {
                    return Delivery::Uncertain(Barrier {
                        rule: "",
                        text: "KillMode=none: only ExecStop= stops the service".to_string(),
                        location: systemd.kill_mode.as_ref().and_then(|m| m.location),
                    })
                }
                Some("process" | "mixed") => {}
                _ => {
                    return Delivery::Reaches(
                        "systemd signals every process of the unit (KillMode=control-group), the app included"
                            .to_string(),
                    )
                }
            }
            if systemd.service_type == "forking" {
                return Delivery::Reaches(
                    "Type=forking: the daemon is the unit's main process and receives it"
                        .to_string(),
                );
            }
        }
        _ => {}
    }
    let Some(analysis) = &process.analysis else {
        return Delivery::Unknown(
            "the command is not in the scan (the image's own command runs)".to_string(),
        );
    };
    let mut barriers = Vec::new();
    let script = process
        .script
        .as_ref()
        .and_then(|s| s.facts.as_ref())
        .filter(|facts| facts.trap.is_none())
        .into_iter()
        .flat_map(|facts| facts.unexeced_finals.iter())
        .map(|(location, program)| Barrier {
            rule: "SL103",
            text: format!(
                "the entrypoint script runs {} without `exec`: its shell stays PID 1",
                if program.starts_with('$') {
                    format!("`\"{program}\"`")
                } else {
                    format!("`{program}`")
                }
            ),
            location: Some(*location),
        });
    let script: Vec<Barrier> = script.collect();
    let mut uncertain = None;
    let shell = analysis
        .shell
        .as_ref()
        .and_then(|shell| match &shell.outcome {
            ShellOutcome::Stays { why }
                if !matches!(shell.family, ShellFamily::None | ShellFamily::NotPosix) =>
            {
                let location = process
                    .command
                    .as_ref()
                    .and_then(|c| c.source(shell.source))
                    .filter(|_| shell.synthesized)
                    .map_or(shell.payload, |s| s.location);
                Some(Barrier {
                    rule: "SL101",
                    text: format!(
                        "`{} -c` ({}{}) stays PID 1: {why}",
                        shell.program,
                        shell.family.name(),
                        if shell.assumed { ", assumed" } else { "" }
                    ),
                    location: Some(location),
                })
            }
            ShellOutcome::Trap(at) => {
                uncertain = Some(Barrier {
                    rule: "",
                    text: format!(
                        "`{} -c` traps the signal and handles it itself",
                        shell.program
                    ),
                    location: Some(*at),
                });
                None
            }
            ShellOutcome::Unknown => {
                uncertain = Some(Barrier {
                    rule: "",
                    text: format!(
                        "`{} -c` runs a command string shutdownlint cannot read",
                        shell.program
                    ),
                    location: Some(shell.payload),
                });
                None
            }
            _ => None,
        });
    // An entrypoint script that execs the platform's shell: the script is the outer process.
    let script_first = analysis.shell.as_ref().is_some_and(|s| s.synthesized);
    if script_first {
        barriers.extend(script);
        barriers.extend(shell);
    } else {
        barriers.extend(shell);
        barriers.extend(script);
    }
    if !barriers.is_empty() {
        return Delivery::Blocked(barriers);
    }
    if let Some(barrier) = uncertain {
        return Delivery::Uncertain(barrier);
    }
    let main = analysis.main.as_ref();
    if let Some((main, run)) = main.and_then(|m| Some((m, m.package_manager.as_ref()?))) {
        if workload.platform != Platform::Systemd {
            return Delivery::Uncertain(Barrier {
                rule: "SL102",
                text: format!(
                    "`{} {}`: {} and the shell it runs the script with sit between the signal and the app",
                    run.manager,
                    if run.script == "start" {
                        "start".to_string()
                    } else {
                        format!("run {}", run.script)
                    },
                    run.manager
                ),
                location: Some(main.location),
            });
        }
    }
    let through = if analysis.wrappers.is_empty() {
        String::new()
    } else {
        format!(" (through {})", analysis.wrappers.join(", "))
    };
    let how = match analysis.shell.as_ref().map(|s| &s.outcome) {
        Some(ShellOutcome::Exec) => format!("the shell execs {app}, which receives it"),
        Some(ShellOutcome::ImplicitExec) => format!(
            "{} execs the last command, so {app} receives it",
            analysis
                .shell
                .as_ref()
                .map_or("the shell", |s| s.family.name())
        ),
        _ => match workload.platform {
            Platform::Systemd => format!("{app} is the unit's main process and receives it"),
            Platform::Fly => format!("{app} is the process Fly signals"),
            _ if workload
                .compose
                .as_ref()
                .and_then(|c| c.init.as_ref())
                .is_some_and(|i| i.value) =>
            {
                format!("tini (init: true) forwards it to {app}")
            }
            _ => format!("{app} is PID 1 and receives it"),
        },
    };
    Delivery::Reaches(format!("{how}{through}"))
}

fn verdict(lane: &Lane, platform: Platform) -> Verdict {
    let app = lane.app_name();
    if let Some(finding) = &lane.signal.finding {
        return Verdict::NoDrain {
            why: match finding.rule {
                "SL104" => "ExecStop= kills it with SIGKILL".to_string(),
                _ => format!(
                    "{app} treats {} as a fast shutdown and drops in-flight requests",
                    lane.signal.name
                ),
            },
        };
    }
    match &lane.signal.delivery {
        Delivery::Blocked(_) => {
            return Verdict::NoDrain {
                why: format!("{} never reaches {app}", lane.signal.name),
            }
        }
        Delivery::Uncatchable(_) => {
            return Verdict::NoDrain {
                why: "the stop signal is SIGKILL".to_string(),
            }
        }
        Delivery::NotSent(_) => {
            return Verdict::NoDrain {
                why: "no stop signal is sent".to_string(),
            }
        }
        _ => {}
    }
    let Some(kill_at) = lane.kill.at() else {
        return Verdict::NeverKilled;
    };
    let Some(end) = lane.drain_end() else {
        let left = kill_at - lane.signal.at;
        if lane.before_signal.is_some()
            && !lane.signal.after_unknown
            && left <= KUBELET_MINIMUM_GRACE_SECONDS
        {
            return Verdict::Squeezed { left };
        }
        return Verdict::Unknown {
            why: match &lane.drain {
                DrainKnowledge::SetUnknown { .. } => {
                    "the drain timeout is set to a value that cannot be read".to_string()
                }
                DrainKnowledge::Unknown { .. } => "the drain timeout is unknown".to_string(),
                DrainKnowledge::Known { .. } => String::new(),
            },
        };
    };
    // A phase of unknown length before the signal: on Kubernetes it eats into the grace period.
    if lane.signal.after_unknown && platform == Platform::Kubernetes {
        let budget = kill_at - (end - lane.signal.at);
        return Verdict::Unknown {
            why: if budget > 0.0 {
                format!(
                    "the preStop hook's duration is unknown: the drain fits only if it returns within {}",
                    format_seconds(budget)
                )
            } else {
                "the preStop hook's duration is unknown, and the drain alone does not fit the grace period".to_string()
            },
        };
    }
    if end > kill_at {
        Verdict::Cut { by: end - kill_at }
    } else if end == kill_at {
        Verdict::NoMargin
    } else {
        Verdict::Fits {
            margin: kill_at - end,
        }
    }
}

/// Attach what only the lint run knows: a server stopped with its fast-shutdown signal (SL106) and
/// an `ExecStop=` that sends SIGKILL (SL104). A finding belongs to a lane when it is reported at
/// the place the lane's signal is written (or at one of its `ExecStop=` lines), or, for a signal
/// nothing sets, at the lane's server.
pub fn attach_findings(timeline: &mut Timeline, model: &Model, diagnostics: &[Diagnostic]) {
    let relevant: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| matches!(d.code, "SL104" | "SL106"))
        .collect();
    if relevant.is_empty() {
        return;
    }
    // Indexed once by place, so a lane looks up its few places instead of testing every finding
    // against every `ExecStop=` line (lanes x findings x lines took minutes on units with a few
    // hundred thousand `ExecStop=` lines). The finding attached is still the first one in
    // `diagnostics` that belongs to the lane.
    let mut first_at: HashMap<Location, usize> = HashMap::new();
    let mut fast_at: HashMap<Location, Vec<usize>> = HashMap::new();
    for (index, d) in relevant.iter().enumerate() {
        first_at.entry(d.location).or_insert(index);
        if d.code == "SL106" {
            fast_at.entry(d.location).or_default().push(index);
        }
    }
    for target in &mut timeline.workloads {
        let Some(workload) = model.workloads.get(target.workload_index) else {
            continue;
        };
        let at_exec_stop: Option<usize> = workload.systemd.as_ref().and_then(|s| {
            s.exec_stop
                .iter()
                .filter_map(|(_, at)| first_at.get(at).copied())
                .min()
        });
        for lane in &mut target.lanes {
            let Some(process) = workload.processes.get(lane.process_index) else {
                continue;
            };
            let signal_at = lane.signal.source.location;
            let main = process.analysis.as_ref().and_then(|a| a.main.as_ref());
            let mut found = at_exec_stop;
            let earlier = |found: Option<usize>, index: usize| found.is_none_or(|f| index < f);
            if let Some(&index) = signal_at
                .and_then(|s| fast_at.get(&s))
                .and_then(|indices| indices.first())
            {
                if earlier(found, index) {
                    found = Some(index);
                }
            }
            if let Some(indices) = main.and_then(|m| fast_at.get(&m.name_location)) {
                let labelled = indices
                    .iter()
                    .copied()
                    .take_while(|&index| earlier(found, index))
                    .find(|&index| {
                        signal_at
                            .is_none_or(|s| relevant[index].labels.iter().any(|l| l.location == s))
                    });
                if labelled.is_some() {
                    found = labelled;
                }
            }
            if let Some(d) = found.and_then(|index| relevant.get(index)) {
                lane.signal.finding = Some(Finding {
                    rule: d.code,
                    message: d.message.to_string(),
                    location: d.location,
                });
                lane.verdict = verdict(lane, workload.platform);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Selection;
    use crate::source::FileKind;
    use crate::{InputFile, Settings};

    fn timeline(name: &str, kind: FileKind, text: &str) -> Timeline {
        let settings = Settings::new(Config::default(), Selection::all());
        let report = crate::lint_inputs(
            vec![InputFile {
                display: name.to_string(),
                kind,
                text: text.to_string(),
                dir: None,
            }],
            &settings,
        );
        let mut timeline = Timeline::build(&report.model, &settings.config);
        attach_findings(&mut timeline, &report.model, &report.diagnostics);
        timeline
    }

    fn pod(grace: &str, pre_stop: &str) -> Lane {
        let text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n{grace}  containers:\n    - name: app\n      image: example/app:1\n      command: [\"gunicorn\", \"--graceful-timeout\", \"10\", \"app:app\"]\n      lifecycle:\n        preStop:\n{pre_stop}"
        );
        let timeline = timeline("pod.yaml", FileKind::Yaml, &text);
        timeline.workloads[0].lanes[0].clone()
    }

    fn sleep(seconds: u32) -> String {
        format!("          sleep:\n            seconds: {seconds}\n")
    }

    #[test]
    fn select_limits_lanes_after_choosing_workloads() {
        let settings = Settings::new(Config::default(), Selection::all());
        let text: String = (0..3)
            .map(|i| {
                format!(
                    "---\n{{apiVersion: v1, kind: Pod, metadata: {{name: p{i}}}, spec: {{initContainers: [{{name: init, image: n}}], containers: [{{name: a, image: n}}, {{name: b, image: n}}]}}}}\n"
                )
            })
            .collect();
        let report = crate::lint_inputs(
            vec![InputFile {
                display: "pods.yaml".to_string(),
                kind: FileKind::Yaml,
                text,
                dir: None,
            }],
            &settings,
        );
        let all = Timeline::build(&report.model, &settings.config);
        assert_eq!(all.workloads.len(), 3);
        assert_eq!(all.omitted, Omitted::default());
        let lanes = |t: &Timeline| -> Vec<(String, String)> {
            t.workloads
                .iter()
                .flat_map(|w| w.lanes.iter().map(|l| (w.name.clone(), l.process.clone())))
                .collect()
        };
        // The limit falls inside the second pod; the third is left out whole.
        let limited = Timeline::select(&report.model, &settings.config, &[], 3);
        assert_eq!(lanes(&limited.timeline), lanes(&all)[..3].to_vec());
        assert_eq!(
            limited.timeline.omitted,
            Omitted {
                lanes: 3,
                workloads: 2
            }
        );
        // At the limit exactly, nothing is left out.
        let exact = Timeline::select(&report.model, &settings.config, &[], 6);
        assert_eq!(exact.timeline, all);
        // --workload is applied first: the last pod is drawn though it is past the limit.
        let wanted = ["P2".to_string(), "nothing".to_string()];
        let chosen = Timeline::select(&report.model, &settings.config, &wanted, 1);
        assert_eq!(chosen.unmatched, vec!["nothing".to_string()]);
        assert_eq!(chosen.names.len(), 3);
        assert_eq!(
            lanes(&chosen.timeline),
            vec![("Pod/p2".to_string(), "a".to_string())]
        );
        assert_eq!(
            chosen.timeline.omitted,
            Omitted {
                lanes: 1,
                workloads: 1
            }
        );
        let mut retained = all.clone();
        assert_eq!(retained.retain_named(&wanted), chosen.unmatched);
    }

    #[test]
    fn pre_stop_within_the_grace_period_delays_the_signal() {
        let lane = pod("  terminationGracePeriodSeconds: 30\n", &sleep(5));
        assert_eq!(lane.signal.at, 5.0);
        assert_eq!(lane.kill.at(), Some(30.0));
        assert_eq!(lane.drain_end(), Some(15.0));
        assert_eq!(lane.verdict, Verdict::Fits { margin: 15.0 });
    }

    #[test]
    fn the_kubelet_leaves_two_seconds_after_a_long_hook() {
        // The hook returns 1s before the end: the kubelet still waits 2s before SIGKILL.
        let lane = pod("  terminationGracePeriodSeconds: 30\n", &sleep(29));
        assert_eq!((lane.signal.at, lane.kill.at()), (29.0, Some(31.0)));
        assert_eq!(lane.verdict, Verdict::Cut { by: 8.0 });
        // The hook outlasts the grace period: cut at 30s, signal then, SIGKILL 2s later.
        let lane = pod("  terminationGracePeriodSeconds: 30\n", &sleep(40));
        let phase = lane.before_signal.clone().expect("preStop");
        assert_eq!((phase.seconds, phase.cut_at), (Some(40.0), Some(30.0)));
        assert_eq!((lane.signal.at, lane.kill.at()), (30.0, Some(32.0)));
        assert!(matches!(lane.kill, Kill::At { extension, .. } if extension == 2.0));
        assert_eq!(lane.verdict, Verdict::Cut { by: 8.0 });
    }

    #[test]
    fn a_zero_grace_period_skips_the_hook() {
        let lane = pod("  terminationGracePeriodSeconds: 0\n", &sleep(5));
        assert!(lane.before_signal.as_ref().is_some_and(|p| p.skipped));
        assert_eq!((lane.signal.at, lane.kill.at()), (0.0, Some(0.0)));
        assert_eq!(lane.verdict, Verdict::Cut { by: 10.0 });
    }

    #[test]
    fn a_hook_of_unknown_length_says_how_long_it_may_take() {
        let hook = "          httpGet:\n            path: /drain\n            port: 8080\n";
        let lane = pod("", hook);
        assert!(lane.signal.after_unknown);
        assert_eq!(lane.kill.at(), Some(30.0));
        assert_eq!(
            lane.verdict,
            Verdict::Unknown {
                why: "the preStop hook's duration is unknown: the drain fits only if it returns within 20s".to_string()
            }
        );
    }

    #[test]
    fn sigkill_as_the_stop_signal_kills_at_once() {
        let timeline = timeline(
            "compose.yaml",
            FileKind::Compose,
            "services:\n  app:\n    image: example/app:1\n    command: [\"sidekiq\", \"-t\", \"5\"]\n    stop_signal: SIGKILL\n",
        );
        let lane = &timeline.workloads[0].lanes[0];
        assert!(matches!(lane.signal.delivery, Delivery::Uncatchable(_)));
        assert_eq!(lane.kill.at(), Some(0.0));
        assert!(matches!(lane.verdict, Verdict::NoDrain { .. }));
    }

    #[test]
    fn systemd_never_kills_without_sigkill() {
        let timeline = timeline(
            "app.service",
            FileKind::Systemd,
            "[Service]\nExecStart=/usr/bin/sidekiq -t 20\nExecStop=/bin/kill -TERM $MAINPID\nSendSIGKILL=no\n",
        );
        let lane = &timeline.workloads[0].lanes[0];
        assert_eq!(lane.kill.at(), None);
        assert!(lane.signal.after_unknown);
        assert_eq!(
            lane.before_signal.as_ref().map(|p| p.kind),
            Some(PhaseKind::ExecStop)
        );
        assert_eq!(lane.verdict, Verdict::NeverKilled);
    }
}
