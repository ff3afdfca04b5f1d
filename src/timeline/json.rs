//! `timeline --format json`, version 1: the same model the pictures are drawn from (documented
//! field by field in docs/timeline.md). Fields may be added in later versions, never renamed or
//! removed.

use serde::Serialize;

use super::model::{
    Barrier, Delivery, DrainKnowledge, Kill, Lane, Source, Timeline, WorkloadTimeline,
};
use crate::diagnostic::Location;
use crate::source::Files;

pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Output {
    version: u32,
    tool: Tool,
    workloads: Vec<JsonWorkload>,
    /// Only when the timeline was limited to [`super::MAX_LANES`] processes.
    #[serde(skip_serializing_if = "Option::is_none")]
    omitted: Option<JsonOmitted>,
}

#[derive(Serialize)]
struct JsonOmitted {
    processes: usize,
    workloads: usize,
    limit: usize,
    note: String,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Place {
    file: String,
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct JsonSource {
    /// `file`, `image`, `platform-default`, `server-default`, `config`.
    kind: &'static str,
    text: String,
    #[serde(flatten)]
    place: Option<Place>,
}

#[derive(Serialize)]
struct JsonWorkload {
    name: String,
    platform: &'static str,
    #[serde(flatten)]
    place: Place,
    processes: Vec<JsonLane>,
}

#[derive(Serialize)]
struct JsonPhase {
    kind: &'static str,
    start: f64,
    end: Option<f64>,
    seconds: Option<f64>,
    cut_at: Option<f64>,
    description: String,
    source: JsonSource,
}

#[derive(Serialize)]
struct JsonBarrier {
    rule: Option<&'static str>,
    reason: String,
    #[serde(flatten)]
    place: Option<Place>,
}

#[derive(Serialize)]
struct JsonFinding {
    rule: &'static str,
    message: String,
    #[serde(flatten)]
    place: Place,
}

#[derive(Serialize)]
struct JsonSignal {
    at: f64,
    /// The phase before it has no known length: `at` counts it as 0.
    after_unknown: bool,
    signal: String,
    source: JsonSource,
    /// `yes`, `no`, `uncertain`, `unknown`.
    reaches_app: &'static str,
    how: Option<String>,
    blocked_by: Vec<JsonBarrier>,
    finding: Option<JsonFinding>,
}

#[derive(Serialize)]
struct JsonDrain {
    /// `known`, `set-unknown`, `unknown`.
    state: &'static str,
    start: f64,
    end: Option<f64>,
    seconds: Option<f64>,
    description: String,
    source: Option<JsonSource>,
}

#[derive(Serialize)]
struct JsonKill {
    at: Option<f64>,
    deadline: Option<f64>,
    extension: f64,
    source: JsonSource,
}

#[derive(Serialize)]
struct JsonVerdict {
    /// `fits`, `no-margin`, `cut`, `no-drain`, `never-killed`, `unknown`.
    status: &'static str,
    /// `cut`: by how much; `fits`: the margin.
    seconds: Option<f64>,
    summary: String,
}

#[derive(Serialize)]
struct JsonLane {
    name: String,
    kind: &'static str,
    sidecar: bool,
    serves_traffic: bool,
    app: Option<String>,
    before_signal: Option<JsonPhase>,
    signal: JsonSignal,
    drain: JsonDrain,
    sigkill: JsonKill,
    verdict: JsonVerdict,
    compact: String,
}

struct Context<'a> {
    places: super::text::Places<'a>,
}

impl Context<'_> {
    fn place(&self, location: &Location) -> Place {
        let position = self.places.position(location);
        Place {
            file: self.places.path(location).to_string(),
            line: position.line,
            column: position.column,
        }
    }

    fn source(&self, source: &Source) -> JsonSource {
        JsonSource {
            kind: source.origin.as_str(),
            text: source.text.clone(),
            place: source.location.as_ref().map(|l| self.place(l)),
        }
    }

    fn barrier(&self, barrier: &Barrier) -> JsonBarrier {
        JsonBarrier {
            rule: (!barrier.rule.is_empty()).then_some(barrier.rule),
            reason: barrier.text.clone(),
            place: barrier.location.as_ref().map(|l| self.place(l)),
        }
    }

    fn workload(&self, workload: &WorkloadTimeline) -> JsonWorkload {
        JsonWorkload {
            name: workload.name.clone(),
            platform: platform_id(workload.platform),
            place: self.place(&workload.location),
            processes: workload.lanes.iter().map(|l| self.lane(l)).collect(),
        }
    }

    fn lane(&self, lane: &Lane) -> JsonLane {
        let signal = &lane.signal;
        let (how, blocked_by) = match &signal.delivery {
            Delivery::Reaches(how) => (Some(how.clone()), Vec::new()),
            Delivery::Blocked(barriers) => {
                (None, barriers.iter().map(|b| self.barrier(b)).collect())
            }
            Delivery::Uncertain(barrier) | Delivery::Uncatchable(barrier) => {
                (None, vec![self.barrier(barrier)])
            }
            Delivery::NotSent(why) | Delivery::Unknown(why) => (Some(why.clone()), Vec::new()),
        };
        let drain = match &lane.drain {
            DrainKnowledge::Known { seconds, source } => JsonDrain {
                state: "known",
                start: signal.at,
                end: Some(signal.at + seconds),
                seconds: Some(*seconds),
                description: source.text.clone(),
                source: Some(self.source(source)),
            },
            DrainKnowledge::SetUnknown { location } => JsonDrain {
                state: "set-unknown",
                start: signal.at,
                end: None,
                seconds: None,
                description: "set to a value that cannot be read".to_string(),
                source: Some(JsonSource {
                    kind: "file",
                    text: "drain timeout".to_string(),
                    place: Some(self.place(location)),
                }),
            },
            DrainKnowledge::Unknown { why, location } => JsonDrain {
                state: "unknown",
                start: signal.at,
                end: None,
                seconds: None,
                description: why.clone(),
                source: location.as_ref().map(|l| JsonSource {
                    kind: "file",
                    text: "the server starts here".to_string(),
                    place: Some(self.place(l)),
                }),
            },
        };
        let sigkill = match &lane.kill {
            Kill::At {
                at,
                deadline,
                extension,
                source,
            } => JsonKill {
                at: Some(*at),
                deadline: Some(*deadline),
                extension: *extension,
                source: self.source(source),
            },
            Kill::Never(source) => JsonKill {
                at: None,
                deadline: None,
                extension: 0.0,
                source: self.source(source),
            },
        };
        let verdict_seconds = match &lane.verdict {
            super::Verdict::Cut { by } => Some(*by),
            super::Verdict::Fits { margin } => Some(*margin),
            _ => None,
        };
        JsonLane {
            name: lane.process.clone(),
            kind: lane.noun,
            sidecar: lane.sidecar,
            serves_traffic: lane.serves,
            app: lane.app.clone(),
            before_signal: lane.before_signal.as_ref().map(|phase| JsonPhase {
                kind: match phase.kind {
                    super::PhaseKind::PreStop => "preStop",
                    super::PhaseKind::ExecStop => "ExecStop",
                },
                start: 0.0,
                end: phase.seconds,
                seconds: phase.seconds,
                cut_at: phase.cut_at,
                description: phase.text.clone(),
                source: self.source(&phase.source),
            }),
            signal: JsonSignal {
                at: signal.at,
                after_unknown: signal.after_unknown,
                signal: signal.name.clone(),
                source: self.source(&signal.source),
                reaches_app: signal.delivery.status(),
                how,
                blocked_by,
                finding: signal.finding.as_ref().map(|f| JsonFinding {
                    rule: f.rule,
                    message: f.message.clone(),
                    place: self.place(&f.location),
                }),
            },
            drain,
            sigkill,
            verdict: JsonVerdict {
                status: lane.verdict.status(),
                seconds: verdict_seconds,
                summary: lane.summary(),
            },
            compact: super::text::compact(lane),
        }
    }
}

/// The platform as JSON names it.
pub fn platform_id(platform: crate::model::Platform) -> &'static str {
    use crate::model::Platform;
    match platform {
        Platform::Docker => "docker",
        Platform::Kubernetes => "kubernetes",
        Platform::Compose => "compose",
        Platform::Systemd => "systemd",
        Platform::Procfile => "procfile",
        Platform::Fly => "fly",
    }
}

pub fn render(timeline: &Timeline, files: &Files) -> String {
    let context = Context {
        places: super::text::Places::new(files),
    };
    let output = Output {
        version: VERSION,
        tool: Tool {
            name: "shutdownlint",
            version: env!("CARGO_PKG_VERSION"),
        },
        workloads: timeline
            .workloads
            .iter()
            .map(|w| context.workload(w))
            .collect(),
        omitted: timeline.omitted.any().then(|| JsonOmitted {
            processes: timeline.omitted.lanes,
            workloads: timeline.omitted.workloads,
            limit: super::MAX_LANES,
            note: timeline.omitted.note(),
        }),
    };
    let mut text = serde_json::to_string_pretty(&output).unwrap_or_default();
    text.push('\n');
    text
}
