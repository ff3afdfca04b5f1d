//! The rule registry: one line per rule. Each rule is a module in this folder with a `check`
//! function over the deploy model, and a page in `rules/` that holds its metadata (front matter)
//! and documentation. The page is embedded here, so a rule without its page does not compile.

use std::sync::OnceLock;

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::model::Model;
use crate::source::Files;

/// What a rule's `check` sees.
pub struct RuleContext<'a> {
    pub model: &'a Model,
    /// The workloads to check: the model's, or (for a rule of [`Scope::Workloads`]) a part of
    /// a large scan lowered again after the model was built (see `lint_sources`). Look-ups of
    /// other facts (images, Services, autoscalers, the workloads images belong to) go through
    /// `model`.
    pub workloads: &'a [crate::model::Workload],
    pub files: &'a Files,
    pub config: &'a Config,
    /// Change mode only: the change under review.
    pub change: Option<&'a crate::change::ChangeContext<'a>>,
    /// The rules that run (a rule may leave a case to a more specific rule that runs).
    pub selection: &'a crate::config::Selection,
    /// The nginx files with their includes resolved, built once for all the nginx rules
    /// (see [`RuleContext::nginx_scan`]).
    pub nginx_scan: std::sync::OnceLock<crate::lower::nginx::Scan<'a>>,
}

impl<'a> RuleContext<'a> {
    /// The nginx files of the scan with their `include` relations, built on first use.
    pub fn nginx_scan(&self) -> &crate::lower::nginx::Scan<'a> {
        self.nginx_scan.get_or_init(|| {
            let placements = crate::lower::nginx_placement::placements(self.model, self.files);
            crate::lower::nginx::Scan::placed(&self.model.nginx, &placements)
        })
    }
}

/// Collects one rule's findings, stamping them with its code and default severity.
pub struct Reporter<'a> {
    code: &'static str,
    severity: Severity,
    out: &'a mut Vec<Diagnostic>,
}

impl<'a> Reporter<'a> {
    pub fn new(rule: &RuleMeta, out: &'a mut Vec<Diagnostic>) -> Self {
        Reporter {
            code: rule.code,
            severity: rule.severity,
            out,
        }
    }

    /// Report a finding at `location`; returns it to add labels and help.
    pub fn report(&mut self, location: Location, message: impl Into<String>) -> &mut Diagnostic {
        self.out
            .push(Diagnostic::new(self.code, self.severity, location, message));
        let last = self.out.len() - 1;
        &mut self.out[last]
    }

    /// Says the rule could not judge what is at `location` (where its finding would point):
    /// a suppression of the rule there may be right, so SL001 does not call it unused. Nothing
    /// is output.
    pub fn unjudged(&mut self, location: Location) {
        let mut stand_in = Diagnostic::new(self.code, self.severity, location, "");
        stand_in.unjudged = true;
        self.out.push(stand_in);
    }

    /// [`Reporter::report`] for a finding about `workload` (see [`Diagnostic::about`]).
    pub fn report_about(
        &mut self,
        workload: &crate::model::Workload,
        location: Location,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.report(location, message).about(workload)
    }
}

type CheckFn = fn(&RuleContext<'_>, &mut Reporter<'_>);

/// What a rule's findings are about, which says how a scan can be split for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Each finding is about one workload of [`RuleContext::workloads`], and depends only on
    /// that workload and on look-ups into the model: the rule can run over the workloads part
    /// by part, and reports each finding once.
    Workloads,
    /// The rule reads the whole scan (nginx files, compose projects, suppressions, the change):
    /// it runs once.
    Tree,
}

/// A registered rule: its code, its page, its check.
pub struct RuleEntry {
    pub code: &'static str,
    pub page: &'static str,
    pub check: CheckFn,
    pub scope: Scope,
}

macro_rules! registry {
    ($($code:ident => $module:ident, $page:literal, $scope:ident;)*) => {
        $(pub mod $module;)*

        /// Every rule, in code order.
        pub static ENTRIES: &[RuleEntry] = &[
            $(RuleEntry {
                code: stringify!($code),
                page: include_str!(concat!("../../rules/", $page)),
                check: $module::check,
                scope: Scope::$scope,
            },)*
        ];
    };
}

registry! {
    SL000 => parse_error, "SL000-parse-error.md", Tree;
    SL001 => unused_suppression, "SL001-unused-suppression.md", Tree;
    SL101 => shell_pid1, "SL101-shell-pid1.md", Workloads;
    SL102 => package_manager_pid1, "SL102-package-manager-pid1.md", Workloads;
    SL103 => entrypoint_script_no_exec, "SL103-entrypoint-script-no-exec.md", Workloads;
    SL104 => stop_signal_kill, "SL104-stop-signal-kill.md", Workloads;
    SL105 => sigkill_disabled, "SL105-sigkill-disabled.md", Workloads;
    SL106 => stop_signal_not_graceful, "SL106-stop-signal-not-graceful.md", Workloads;
    SL201 => missing_readiness_probe, "SL201-missing-readiness-probe.md", Workloads;
    SL202 => missing_prestop_hook, "SL202-missing-prestop-hook.md", Workloads;
    SL203 => no_retry_on_draining_upstream, "SL203-no-retry-on-draining-upstream.md", Tree;
    SL204 => single_server_upstream, "SL204-single-server-upstream.md", Tree;
    SL205 => passive_health_disabled, "SL205-passive-health-disabled.md", Tree;
    SL206 => upstream_keepalive_race, "SL206-upstream-keepalive-race.md", Tree;
    SL207 => retry_non_idempotent, "SL207-retry-non-idempotent.md", Tree;
    SL301 => grace_period_shorter_than_drain, "SL301-grace-period-shorter-than-drain.md", Workloads;
    SL302 => prestop_exceeds_grace_period, "SL302-prestop-exceeds-grace-period.md", Workloads;
    SL303 => drain_timeout_unset, "SL303-drain-timeout-unset.md", Workloads;
    SL401 => liveness_checks_dependency, "SL401-liveness-checks-dependency.md", Workloads;
    SL402 => liveness_equals_readiness, "SL402-liveness-equals-readiness.md", Workloads;
    SL403 => liveness_without_readiness, "SL403-liveness-without-readiness.md", Workloads;
    SL404 => compose_healthcheck_missing, "SL404-compose-healthcheck-missing.md", Tree;
    SL501 => recreate_strategy, "SL501-recreate-strategy.md", Workloads;
    SL502 => rollout_capacity_gap, "SL502-rollout-capacity-gap.md", Workloads;
    SL503 => single_replica, "SL503-single-replica.md", Workloads;
    SL601 => migration_at_startup, "SL601-migration-at-startup.md", Workloads;
    SL602 => migration_with_code, "SL602-migration-with-code.md", Tree;
    SL603 => destructive_migration_with_code, "SL603-destructive-migration-with-code.md", Tree;
}

/// A rule's metadata, read from its page's front matter.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub formats: Vec<&'static str>,
    pub summary: &'static str,
    /// The page without its front matter (Markdown).
    pub body: &'static str,
    /// File name of the page in `rules/`.
    pub page_file: String,
    pub check: CheckFn,
    pub scope: Scope,
}

impl RuleMeta {
    pub fn url(&self) -> String {
        format!("{}/{}", crate::RULES_URL, self.page_file)
    }
}

/// All rules with their metadata.
pub fn all() -> &'static [RuleMeta] {
    static METAS: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    METAS.get_or_init(|| {
        ENTRIES
            .iter()
            .map(|entry| match parse_page(entry) {
                Ok(meta) => meta,
                // The pages are compiled in and checked by a test; a broken one is a build bug.
                Err(e) => panic!("rules/ page of {}: {e}", entry.code),
            })
            .collect()
    })
}

/// Look a rule up by code or name (case-insensitive).
pub fn find(code_or_name: &str) -> Option<&'static RuleMeta> {
    let wanted = code_or_name.trim();
    all()
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(wanted) || r.name.eq_ignore_ascii_case(wanted))
}

pub fn by_code(code: &str) -> Option<&'static RuleMeta> {
    all().iter().find(|r| r.code == code)
}

/// Split a page into its front matter fields and body.
pub fn parse_page(entry: &RuleEntry) -> Result<RuleMeta, String> {
    let page = entry.page;
    let rest = page
        .strip_prefix("---\n")
        .ok_or("page must start with a `---` front matter line")?;
    let end = rest
        .find("\n---\n")
        .ok_or("front matter is not closed by `---`")?;
    let (front, body) = (&rest[..end], &rest[end + 5..]);
    let mut code = None;
    let mut name = None;
    let mut severity = None;
    let mut summary = None;
    let mut formats = Vec::new();
    for line in front.lines().filter(|l| !l.trim().is_empty()) {
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("front matter line without `key:`: {line}"))?;
        let value = value.trim();
        match key.trim() {
            "code" => code = Some(value),
            "name" => name = Some(value),
            "severity" => {
                severity =
                    Some(Severity::parse(value).ok_or_else(|| format!("bad severity {value}"))?)
            }
            "summary" => summary = Some(value),
            "formats" => {
                let list = value
                    .strip_prefix('[')
                    .and_then(|v| v.strip_suffix(']'))
                    .ok_or("formats must be a [list]")?;
                formats = list
                    .split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .collect();
            }
            other => return Err(format!("unknown front matter key `{other}`")),
        }
    }
    let code = code.ok_or("missing `code`")?;
    if code != entry.code {
        return Err(format!(
            "front matter code {code} does not match the registry"
        ));
    }
    let name = name.ok_or("missing `name`")?;
    Ok(RuleMeta {
        code,
        name,
        severity: severity.ok_or("missing `severity`")?,
        formats,
        summary: summary.ok_or("missing `summary`")?,
        body: body.trim_start_matches('\n'),
        page_file: format!("{code}-{name}.md"),
        check: entry.check,
        scope: entry.scope,
    })
}

/// Whether a fact of `workload` written in `file` comes from another file it runs (a
/// Dockerfile: compose `build:`, fly.toml, a Kubernetes image built in the scan) rather than
/// its own definition. A compose service's definition may span compose files (an override
/// file, `extends`): what they set is the service's own.
pub(crate) fn written_in_image(
    files: &Files,
    workload: &crate::model::Workload,
    file: crate::source::FileId,
) -> bool {
    use crate::model::Platform;
    workload.platform != Platform::Docker
        && file != workload.location.file
        && !(workload.platform == Platform::Compose
            && files.kind(file) == crate::source::FileKind::Compose)
}
