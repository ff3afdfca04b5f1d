//! `shutdownlint timeline`: every workload's termination sequence on a time axis (preStop pause,
//! stop signal and whether it reaches the app, the app's drain window, SIGKILL), with where every
//! number came from. One model ([`model`]), three renderings: terminal ([`text`]), JSON
//! ([`json`]) and SVG ([`svg`]); [`text::compact`] is the one-line version SL301 and SL302 show
//! under their findings.

pub mod json;
pub mod layout;
pub mod model;
pub mod svg;
pub mod text;

pub use model::{
    attach_findings, lane, Barrier, Delivery, DrainKnowledge, Finding, Kill, Lane, Omitted, Origin,
    Phase, PhaseKind, Selected, SignalStep, Source, Timeline, Verdict, WorkloadTimeline, MAX_LANES,
};

use crate::config::ConfigError;
use crate::{Report, Settings};

/// The timelines of the workloads in `paths`, with the report of the lint run they were drawn
/// from (its files resolve the timelines' locations; its notes say what was skipped). Every
/// workload is drawn: the run keeps all of them in its model, whatever
/// [`Settings::kept_workloads`] says.
pub fn timeline_paths(
    paths: &[std::path::PathBuf],
    settings: Settings,
) -> Result<(Timeline, Report), ConfigError> {
    select_paths(paths, settings, &[], usize::MAX)
        .map(|(selected, report)| (selected.timeline, report))
}

/// [`timeline_paths`] for the command: only the workloads `wanted` names (all when it is empty),
/// with at most `max_lanes` lanes (see [`Timeline::select`]).
pub fn select_paths(
    paths: &[std::path::PathBuf],
    settings: Settings,
    wanted: &[String],
    max_lanes: usize,
) -> Result<(Selected, Report), ConfigError> {
    let settings = Settings {
        kept_workloads: usize::MAX,
        ..settings
    };
    let report = crate::lint_paths(paths, &settings)?;
    let mut selected = Timeline::select(&report.model, &settings.config, wanted, max_lanes);
    attach_findings(&mut selected.timeline, &report.model, &report.diagnostics);
    Ok((selected, report))
}
