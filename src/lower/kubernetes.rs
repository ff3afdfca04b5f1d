//! Kubernetes manifests → deploy model: pod-template workloads (Pod, Deployment, StatefulSet,
//! DaemonSet, ReplicaSet, Job, CronJob, Argo Rollout) with their containers, Services,
//! HorizontalPodAutoscalers and skaffold build artifacts.
//!
//! Each document is pre-scanned for its `kind` and only the kinds a rule reads are parsed into a
//! tree; the tree is dropped once its facts are extracted.

use crate::diagnostic::{clip, Location};
use crate::formats::yaml::{self, DocSniff, Document, Node, NodeKind};
use crate::formats::{Fragment, ParseFailure};
use crate::lower::images::{self, ImageName};
use crate::model::{
    Autoscaler, Command, CommandSource, CommandWord, Container, EnvVar, Fact, Form, HiddenEnv,
    ImageBuild, IntOrPercent, KubeWorkload, Platform, PortRef, PreStop, Probe, ProbeHandler,
    Process, ProcessRole, Service, Signal, Workload, MAX_COMMAND_WORDS,
};
use crate::source::FileId;
use crate::span::{MappedText, Span};
use crate::suppress::{Scope, Suppression};

/// Annotation (or label) that silences rules for one object.
pub const IGNORE_ANNOTATION: &str = "shutdownlint.dev/ignore";
/// Annotation (or label) that gives the application's drain timeout in seconds.
pub const DRAIN_ANNOTATION: &str = "shutdownlint.dev/drain-seconds";

/// Kinds whose documents are parsed; every other document is skipped unparsed.
const READ_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Rollout",
    "Service",
    "HorizontalPodAutoscaler",
    "ScaledObject",
    "List",
    "Config",
];

/// Which objects of a manifest are lowered (see `crate::KEPT_WORKLOADS`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Workloads {
    /// Every object.
    #[default]
    Lower,
    /// Every object, unless the pre-scan finds more pod-template documents than this in the
    /// file: then as [`Workloads::LeaveOut`] (its pod templates could not all be kept, and a
    /// file of 80,000 small Pods would hold hundreds of megabytes of them at once).
    LowerAtMost(usize),
    /// Every object but pod templates, which are only counted in [`Fragment::left_out`].
    LeaveOut,
    /// Only pod templates (their other facts were taken from [`Workloads::LeaveOut`]). The
    /// same documents are parsed: the pre-scan's `kind` is a guess (a `kind:` line inside a
    /// multi-line string can mislead it), the parsed one decides.
    Only,
    /// [`Workloads::Only`], for the parsed documents from the first index up to the second
    /// (the indices of [`Fragment::left_out`]): a part of a large manifest.
    OnlyDocuments(u32, u32),
}

/// The kinds whose objects hold a pod template (an Argo `Rollout` only with its API group).
fn is_template_kind(kind: &str) -> bool {
    matches!(
        kind,
        "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "ReplicaSet"
            | "Job"
            | "Pod"
            | "CronJob"
            | "Rollout"
    )
}

/// What lowering a YAML file found.
pub enum Outcome {
    /// No document has `apiVersion` and `kind`: not Kubernetes (CI configs, Helm values).
    NotKubernetes,
    /// Unrendered Go/Helm templates.
    Template,
    Lowered,
}

/// Per-file facts besides the model fragment.
#[derive(Default, Debug)]
pub struct FileFacts {
    pub suppressions: Vec<Suppression>,
    /// Regions rendered from a Helm template, with the template's path.
    pub template_sources: Vec<(Span, std::sync::Arc<str>)>,
    /// Problems that are findings about the file itself (duplicate keys).
    pub problems: Vec<ParseFailure>,
}

pub fn lower(
    file: FileId,
    text: &str,
    fragment: &mut Fragment,
    facts: &mut FileFacts,
    workloads: Workloads,
    in_templates_folder: bool,
) -> Result<Outcome, ParseFailure> {
    let sniffs = yaml::sniff_kinds(text);
    let is_kubernetes = sniffs
        .iter()
        .any(|s| s.api_version.is_some() && s.kind.is_some());
    // A document in flow style (`{"apiVersion": "v1", "kind": "Pod", ...}`) hides its kind from
    // the line scan: it is parsed when it mentions both keys.
    let flow_object = |s: &DocSniff| {
        s.flow && s.kind.is_none() && {
            let region = text.get(s.span.start..s.span.end).unwrap_or("");
            region.contains("apiVersion") && region.contains("kind")
        }
    };
    if !is_kubernetes && !sniffs.iter().any(flow_object) {
        return Ok(Outcome::NotKubernetes);
    }
    // A document whose kind cannot be told without parsing is parsed when the file is otherwise
    // Kubernetes, or when it is a flow-style object with both keys.
    let wanted: Vec<_> = sniffs
        .iter()
        .filter(|s| match s.kind.as_deref() {
            Some(kind) => READ_KINDS.contains(&kind),
            None => is_kubernetes || flow_object(s),
        })
        .collect();
    // `{{` inside a quoted or block scalar of a document that parses is data (a Vault agent
    // template, an alert's `{{ $labels.x }}`): the file is applied as written. Anything else
    // (an action outside scalars, in a plain scalar, a key or a comment; Helm's objects; a
    // chart's templates/ folder) makes it a template to render first.
    if wanted.iter().any(|s| {
        s.has_template_syntax && (in_templates_folder || !template_actions_are_data(text, s.span))
    }) {
        return Ok(Outcome::Template);
    }
    let (first, end) = match workloads {
        Workloads::OnlyDocuments(first, end) => (first, end),
        _ => (0, u32::MAX),
    };
    let workloads = match workloads {
        Workloads::LowerAtMost(max) => {
            let templates = wanted
                .iter()
                .filter(|s| s.kind.as_deref().is_some_and(is_template_kind))
                .count();
            if templates > max {
                Workloads::LeaveOut
            } else {
                Workloads::Lower
            }
        }
        Workloads::OnlyDocuments(..) => Workloads::Only,
        other => other,
    };
    let limits = yaml::Limits::default();
    // One budget for all the file's regions (indentation repairs, alias copies).
    let mut budget = yaml::FileBudget::new(text);
    let mut found_object = is_kubernetes;
    for (index, sniff) in (0u32..).zip(wanted) {
        if index < first || index >= end {
            continue;
        }
        let documents =
            yaml::parse_range_in(text, sniff.span, &limits, &mut budget).map_err(|e| {
                ParseFailure {
                    message: format!("invalid YAML: {}", e.message),
                    span: e.span,
                }
            })?;
        let mut left_out = 0;
        for document in &documents {
            let root = &document.root;
            let has = |key| root.get(key).and_then(Node::as_str).is_some();
            let is_object = has("apiVersion") && has("kind");
            // In a file that is not otherwise Kubernetes, only such objects count.
            if !is_kubernetes && !is_object {
                continue;
            }
            found_object |= is_object;
            lower_document(file, document, fragment, facts, workloads, &mut left_out);
        }
        if left_out > 0 {
            fragment.left_out.push((index, left_out));
        }
    }
    if !found_object {
        return Ok(Outcome::NotKubernetes);
    }
    Ok(Outcome::Lowered)
}

/// Names that only a Helm chart template reads or calls: its built-in objects and Helm's own
/// template functions (helm.sh/docs/chart_template_guide/builtin_objects, function_list).
const HELM_WORDS: &[&str] = &[
    ".Values",
    ".Release",
    ".Chart",
    ".Capabilities",
    ".Files",
    ".Template",
    "include ",
    "tpl ",
    "required ",
    "lookup ",
];

/// Whether every `{{` of the document in `span` of `text` is data for the platform: the region
/// parses as YAML, and each `{{` lies inside a quoted or block scalar that is the value of an
/// annotation (`metadata.annotations`), none reading a Helm object. Kubernetes applies such a
/// document as written (it never expands `{{`, and annotations are text for other tools); the
/// text is a template for whatever reads the annotation (the Vault agent, Prometheus). A `{{`
/// anywhere else is taken as templating: outside a scalar (`{{- if … }}` lines,
/// `replicas: {{ .x }}`), in a plain scalar, a key or a comment, and also in a quoted value of
/// a field Kubernetes reads (`replicas: "{{ n }}"`, `image: "{{ image }}"`: a Jinja or
/// envsubst-style manifest that cannot be applied, or means something else, as written).
fn template_actions_are_data(text: &str, span: Span) -> bool {
    let Some(region) = text.get(span.start..span.end) else {
        return false;
    };
    let mut budget = yaml::FileBudget::new(text);
    let Ok(documents) = yaml::parse_range_in(text, span, &yaml::Limits::default(), &mut budget)
    else {
        return false;
    };
    let mut data: Vec<Span> = Vec::new();
    for document in &documents {
        annotation_texts(&document.root, &mut data);
    }
    data.sort_by_key(|s| s.start);
    let mut from = 0;
    while let Some(at) = region.get(from..).and_then(|rest| rest.find("{{")) {
        let at = from + at;
        let offset = span.start + at;
        // The scalars do not overlap: the last one starting at or before the `{{`.
        let inside = data
            .partition_point(|s| s.start <= offset)
            .checked_sub(1)
            .and_then(|i| data.get(i))
            .is_some_and(|s| offset + 2 <= s.end);
        if !inside {
            return false;
        }
        let action_end = region
            .get(at..)
            .and_then(|rest| rest.find("}}"))
            .map_or(region.len(), |end| at + end);
        let action = region.get(at..action_end).unwrap_or("");
        if HELM_WORDS.iter().any(|word| action.contains(word)) {
            return false;
        }
        from = at + 2;
    }
    true
}

/// The source spans of the quoted and block scalars under `node` that are annotation values
/// (`metadata: {annotations: {key: "…"}}` at any depth: the object's, a pod template's),
/// written in place (not copies made for an alias, not merged entries).
fn annotation_texts(node: &Node, out: &mut Vec<Span>) {
    if node.alias.is_some() {
        return;
    }
    match &node.kind {
        NodeKind::Scalar(_) => {}
        NodeKind::Mapping(entries) => {
            for entry in entries.iter().filter(|e| !e.merged) {
                let annotations = (entry.key.as_str() == Some("metadata"))
                    .then(|| entry.value.get("annotations"))
                    .flatten()
                    .filter(|a| a.alias.is_none());
                for value in annotations.into_iter().flat_map(Node::entries) {
                    if value.merged || value.value.alias.is_some() {
                        continue;
                    }
                    if let Some(scalar) = value.value.as_scalar().filter(|s| !s.is_plain()) {
                        out.push(scalar.raw_span);
                    }
                }
                annotation_texts(&entry.value, out);
            }
        }
        NodeKind::Sequence(items) => {
            for item in items {
                annotation_texts(item, out);
            }
        }
    }
}

fn lower_document(
    file: FileId,
    document: &Document,
    fragment: &mut Fragment,
    facts: &mut FileFacts,
    workloads: Workloads,
    left_out: &mut u32,
) {
    report_duplicates(
        document,
        "kubectl rejects the manifest (the API server would keep the last value)",
        facts,
    );
    if let Some(source) = document.helm_source() {
        facts
            .template_sources
            .push((document.span, crate::diagnostic::clip(source).into()));
    }
    let root = &document.root;
    if root.get("kind").and_then(Node::as_str) == Some("List") {
        for item in root.get("items").into_iter().flat_map(Node::items) {
            lower_object(file, item, fragment, facts, workloads, left_out);
        }
    } else {
        lower_object(file, root, fragment, facts, workloads, left_out);
    }
}

/// Duplicate keys of a YAML document as parse problems, with what the platform does about them.
pub fn report_duplicates(document: &Document, consequence: &str, facts: &mut FileFacts) {
    for duplicate in &document.duplicates {
        facts.problems.push(ParseFailure {
            message: format!("duplicate key `{}`: {consequence}", duplicate.key),
            span: duplicate.duplicate,
        });
    }
}

/// Context for one object: its file, metadata and the annotations that apply.
struct Object<'a> {
    file: FileId,
    node: &'a Node,
    kind: String,
    name: String,
    namespace: Option<String>,
    metadata: Option<&'a Node>,
}

impl Object<'_> {
    fn location(&self, span: Span) -> Location {
        Location::new(self.file, span)
    }

    /// Where object-wide findings point: the `metadata.name` value, else `kind`.
    fn anchor(&self) -> Location {
        let span = self
            .metadata
            .and_then(|m| m.get("name"))
            .map(Node::report_span)
            .or_else(|| self.node.get("kind").map(Node::report_span))
            .unwrap_or(self.node.span);
        self.location(span)
    }

    fn annotation(&self, key: &str) -> Option<&Node> {
        self.metadata
            .and_then(|m| m.get("annotations"))
            .and_then(|a| a.get(key))
    }
}

fn lower_object(
    file: FileId,
    node: &Node,
    fragment: &mut Fragment,
    facts: &mut FileFacts,
    workloads: Workloads,
    left_out: &mut u32,
) {
    let (Some(api_version), Some(kind)) = (
        node.get("apiVersion").and_then(Node::as_str),
        node.get("kind").and_then(Node::as_str),
    ) else {
        return;
    };
    // A Rollout with `workloadRef` takes its template from a Deployment in the scan.
    let template =
        is_template_kind(kind) && (kind != "Rollout" || api_version.starts_with("argoproj.io/"));
    match workloads {
        Workloads::LeaveOut if template => {
            *left_out = left_out.saturating_add(1);
            // Its other facts (suppressions) are taken here.
        }
        Workloads::Only if !template => return,
        _ => {}
    }
    let metadata = node.get("metadata");
    // Names go into the messages of every finding about the object: one longer than any the
    // API server accepts (253 bytes) is clipped here, once, not in each finding (a 1 MB name
    // in 60,000 findings is 60 GB of text to clip).
    let object = Object {
        file,
        node,
        kind: clip(kind).into_owned(),
        name: clip(
            metadata
                .and_then(|m| m.get("name"))
                .and_then(Node::as_str)
                .unwrap_or(""),
        )
        .into_owned(),
        namespace: metadata
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .map(|namespace| clip(namespace).into_owned()),
        metadata,
    };
    add_ignore_suppression(&object, facts);
    if template && workloads == Workloads::LeaveOut {
        return;
    }
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" => {
            if let Some(template) = node.get_path(&["spec", "template"]) {
                workload(&object, template, fragment);
            }
        }
        "Rollout" if api_version.starts_with("argoproj.io/") => {
            // A Rollout with `workloadRef` takes its template from a Deployment in the scan.
            if let Some(template) = node.get_path(&["spec", "template"]) {
                workload(&object, template, fragment);
            }
        }
        "Job" => {
            if let Some(template) = node.get_path(&["spec", "template"]) {
                workload(&object, template, fragment);
            }
        }
        "CronJob" => {
            if let Some(template) = node.get_path(&["spec", "jobTemplate", "spec", "template"]) {
                workload(&object, template, fragment);
            }
        }
        "Pod" => workload(&object, node, fragment),
        "Service" => service(&object, fragment),
        "HorizontalPodAutoscaler" => autoscaler(&object, fragment),
        "ScaledObject" if api_version.starts_with("keda.sh/") => scaled_object(&object, fragment),
        "Config" if api_version.starts_with("skaffold/") => skaffold(&object, fragment),
        _ => {}
    }
}

/// `shutdownlint.dev/ignore: "SL202,SL503"` on an object silences those rules inside it.
fn add_ignore_suppression(object: &Object<'_>, facts: &mut FileFacts) {
    let Some(metadata) = object.metadata else {
        return;
    };
    let value = metadata
        .get("annotations")
        .and_then(|a| a.get(IGNORE_ANNOTATION))
        .or_else(|| {
            metadata
                .get("labels")
                .and_then(|l| l.get(IGNORE_ANNOTATION))
        });
    let Some(value) = value else {
        return;
    };
    let Some(scalar) = value.as_scalar() else {
        return;
    };
    let rules = crate::suppress::entries(scalar.value(), |at, len| {
        object.location(scalar.text.source_span(Span::new(at, at + len)))
    });
    facts.suppressions.push(Suppression {
        scope: Scope::Range(object.node.span),
        rules,
        location: object.location(value.report_span()),
        service: None,
    });
}

/// An annotation or label on the object or its pod template, in that order.
fn seconds_annotation(object: &Object<'_>, template: &Node, key: &str) -> Option<Fact<f64>> {
    fn from<'n>(metadata: Option<&'n Node>, section: &str, key: &str) -> Option<&'n Node> {
        metadata
            .and_then(|m| m.get(section))
            .and_then(|a| a.get(key))
    }
    let template_metadata = template.get("metadata");
    let node = from(object.metadata, "annotations", key)
        .or_else(|| from(template_metadata, "annotations", key))
        .or_else(|| from(object.metadata, "labels", key))
        .or_else(|| from(template_metadata, "labels", key))?;
    let value = node
        .as_str()
        .and_then(crate::shell::commands::parse_duration_seconds)?;
    Some(Fact::at(value, object.location(node.report_span())))
}

fn int_fact(object: &Object<'_>, node: Option<&Node>) -> Option<Fact<i64>> {
    let node = node?;
    node.as_int_lenient()
        .map(|v| Fact::at(v, object.location(node.report_span())))
}

fn int_or_percent(object: &Object<'_>, node: Option<&Node>) -> Option<Fact<IntOrPercent>> {
    let node = node?;
    let value = match node.as_int_lenient() {
        Some(n) => IntOrPercent::Int(n),
        None => {
            let text = node.as_str()?.trim();
            IntOrPercent::Percent(text.strip_suffix('%')?.trim().parse().ok()?)
        }
    };
    Some(Fact::at(value, object.location(node.report_span())))
}

/// Helm `pre-install`/`pre-upgrade` and Argo CD `PreSync`/`Sync` hooks run before the release.
fn release_hook(object: &Object<'_>) -> Option<String> {
    let helm = object
        .annotation("helm.sh/hook")
        .and_then(Node::as_str)
        .filter(|v| {
            v.split(',')
                .any(|h| matches!(h.trim(), "pre-install" | "pre-upgrade"))
        });
    let argo = object
        .annotation("argocd.argoproj.io/hook")
        .and_then(Node::as_str)
        .filter(|v| v.split(',').any(|h| matches!(h.trim(), "PreSync" | "Sync")));
    helm.or(argo).map(str::to_string)
}

fn labels(node: Option<&Node>) -> Vec<(String, String)> {
    node.into_iter()
        .flat_map(Node::entries)
        .filter_map(|e| Some((e.key.as_str()?.to_string(), e.value.as_str()?.to_string())))
        .collect()
}

fn workload(object: &Object<'_>, template: &Node, fragment: &mut Fragment) {
    let Some(spec) = template.get("spec") else {
        return;
    };
    let node = object.node;
    let strategy = match object.kind.as_str() {
        "Deployment" => node.get_path(&["spec", "strategy"]),
        "StatefulSet" | "DaemonSet" => node.get_path(&["spec", "updateStrategy"]),
        "Rollout" => node.get_path(&["spec", "strategy", "canary"]),
        _ => None,
    };
    let rolling = strategy
        .and_then(|s| s.get("rollingUpdate"))
        .or(strategy.filter(|_| object.kind == "Rollout"));
    let kube = KubeWorkload {
        kind: object.kind.clone(),
        name: object.name.clone(),
        namespace: object.namespace.clone(),
        template_labels: labels(template.get("metadata").and_then(|m| m.get("labels"))),
        replicas: int_fact(object, node.get_path(&["spec", "replicas"])),
        strategy_type: strategy.and_then(|s| s.get("type")).and_then(|t| {
            t.as_str()
                .map(|v| Box::new(Fact::at(v.to_string(), object.location(t.report_span()))))
        }),
        max_surge: int_or_percent(object, rolling.and_then(|r| r.get("maxSurge"))).map(Box::new),
        max_unavailable: int_or_percent(object, rolling.and_then(|r| r.get("maxUnavailable")))
            .map(Box::new),
        release_hook: release_hook(object),
        selected_by: Vec::new(),
        pod_ports: Default::default(),
    };
    // Kubernetes treats a negative grace period as 1 second (since 1.27; kubernetes#115606).
    let grace = spec.get("terminationGracePeriodSeconds").and_then(|n| {
        n.as_int_lenient().map(|v| {
            let seconds = if v < 0 { 1.0 } else { v as f64 };
            Fact::at(seconds, object.location(n.report_span()))
        })
    });
    let mut processes = Vec::new();
    for (key, role) in [
        ("initContainers", ProcessRole::Init),
        ("containers", ProcessRole::Main),
    ] {
        for item in spec.get(key).into_iter().flat_map(Node::items) {
            let role = if role == ProcessRole::Init
                && item.get("restartPolicy").and_then(Node::as_str) == Some("Always")
            {
                ProcessRole::Sidecar
            } else {
                role
            };
            processes.push(container(object, item, role));
        }
    }
    fragment.workloads.push(Workload {
        platform: Platform::Kubernetes,
        name: format!("{}/{}", object.kind, object.name),
        location: object.anchor(),
        processes,
        stop_signal: None,
        base_image: None,
        image: None,
        kill_deadline: grace,
        drain_annotation: seconds_annotation(object, template, DRAIN_ANNOTATION).map(Box::new),
        kubernetes: Some(Box::new(kube)),
        compose: None,
        systemd: None,
        process_type: None,
        dockerfile_ref: None,
    });
}

/// The words of a `command:`/`args:` list.
fn command_part(
    object: &Object<'_>,
    container: &Node,
    key: &'static str,
    source: usize,
) -> Option<(Vec<CommandWord>, CommandSource)> {
    let entry = container.get_entry(key)?;
    let words = entry
        .value
        .items()
        .take(MAX_COMMAND_WORDS)
        .map(|item| CommandWord {
            text: item
                .mapped_text()
                .cloned()
                .unwrap_or_else(|| MappedText::contiguous(String::new(), item.span.start)),
            file: object.file,
            source,
            synthesized: false,
        })
        .collect();
    Some((
        words,
        CommandSource {
            what: key,
            form: Form::Exec,
            location: object.location(entry.key.report_span().join(entry.value.span)),
            inherited_from: None,
        },
    ))
}

fn container(object: &Object<'_>, node: &Node, role: ProcessRole) -> Process {
    // Clipped as the object's name is (a container name is at most 63 bytes in Kubernetes).
    let name = clip(node.get("name").and_then(Node::as_str).unwrap_or("")).into_owned();
    let name_location =
        object.location(node.get("name").map(Node::report_span).unwrap_or(node.span));
    let image = node.get("image").and_then(|i| {
        i.as_str()
            .map(|v| Fact::at(v.to_string(), object.location(i.report_span())))
    });
    let image_name = image.as_ref().and_then(|i| ImageName::parse(&i.value));
    let written = image.as_ref().map_or("", |i| i.value.as_str()).to_string();
    let mut shell = images::shell_of(image_name.as_ref(), &written);
    shell.location = image.as_ref().and_then(|i| i.location);

    // `command` replaces the image's ENTRYPOINT, `args` its CMD. Without a linked Dockerfile the
    // image's ENTRYPOINT is unknown, so only an explicit `command` gives an effective argv here.
    let mut command = Command::default();
    let command_part_words = command_part(object, node, "command", 0);
    let args_part = command_part(
        object,
        node,
        "args",
        usize::from(command_part_words.is_some()),
    );
    let command_key = command_part_words.as_ref().map(|(_, s)| s.location);
    let args_key = args_part.as_ref().map(|(_, s)| s.location);
    let mut args_only = None;
    match (command_part_words, args_part) {
        (Some((words, source)), args) => {
            command.words.extend(words);
            command.sources.push(source);
            if let Some((words, source)) = args {
                command.words.extend(words);
                command.sources.push(source);
            }
        }
        (None, Some((words, source))) => {
            args_only = Some(Command {
                words,
                sources: vec![source],
                ..Command::default()
            });
        }
        (None, None) => {}
    }
    // Neither set: a known image runs its own command (`nginx:1.17` runs nginx).
    let command = if command.words.is_empty() && args_only.is_none() {
        image
            .as_ref()
            .zip(image_name.as_ref())
            .and_then(|(i, name)| {
                let at = i.location?;
                images::default_command(name, object.file, at.span, &i.value)
            })
    } else {
        (!command.words.is_empty()).then_some(command)
    };

    let stop_signal = node
        .get_path(&["lifecycle", "stopSignal"])
        .and_then(|s| {
            s.as_str()
                .and_then(Signal::parse)
                .map(|signal| Fact::at(signal, object.location(s.report_span())))
        })
        .or_else(|| images::stop_signal_of(image.as_ref()?, image_name.as_ref()?));

    let ports = node
        .get("ports")
        .into_iter()
        .flat_map(Node::items)
        .filter_map(|p| {
            let port = p.get("containerPort")?;
            let number = u32::try_from(port.as_int_lenient()?).ok()?;
            Some((
                Fact::at(number, object.location(port.report_span())),
                p.get("name").and_then(Node::as_str).map(str::to_string),
            ))
        })
        .collect();

    let env = node
        .get("env")
        .into_iter()
        .flat_map(Node::items)
        .filter_map(|e| {
            let name = e.get("name")?;
            let value = e.get("value");
            Some(EnvVar::new(
                name.as_str()?.to_string(),
                value.and_then(Node::as_str).map(Into::into),
                object.location(value.unwrap_or(name).report_span()),
            ))
        })
        .collect();

    let mut process = Process::new(name, role, command, shell);
    process.env = env;
    // `envFrom` (a ConfigMap's or Secret's keys): not read, so any variable may be set there
    // (any starting with its `prefix`, when every source has a literal one); `env` entries win
    // over it (Kubernetes API, EnvFromSource).
    process.hidden_env = node.get("envFrom").and_then(|from| {
        let (first, prefixes) = match from.as_sequence() {
            Some(items) => {
                let prefixes: Option<Vec<String>> = items
                    .iter()
                    .map(|item| {
                        item.get("prefix")
                            .and_then(Node::as_str)
                            .filter(|p| !p.is_empty() && !p.contains(['$', '{']))
                            .map(str::to_string)
                    })
                    .collect();
                (items.first()?, prefixes.unwrap_or_default())
            }
            // Not a list (a template's placeholder): what it holds is not known either.
            None => ((!from.is_null()).then_some(from)?, Vec::new()),
        };
        Some(Box::new(HiddenEnv {
            source: "envFrom",
            location: object.location(first.report_span()),
            overrides_written: false,
            prefixes,
        }))
    });
    let config_named = node
        .get("volumeMounts")
        .into_iter()
        .flat_map(Node::items)
        .any(|m| {
            ["mountPath", "subPath"].iter().any(|key| {
                m.get(key)
                    .and_then(Node::as_str)
                    .is_some_and(crate::drain::is_default_config_name)
            })
        });
    if config_named {
        process.mounts = Some(Box::new(crate::model::ConfigMounts {
            config_named,
            ..Default::default()
        }));
    }
    process.stop_signal = stop_signal.map(std::sync::Arc::new);
    process.pre_stop = node
        .get_path(&["lifecycle"])
        .and_then(|l| l.get_entry("preStop"))
        .map(|entry| Box::new(pre_stop(object, &entry.key, &entry.value)));
    process.container = Some(Box::new(Container {
        location: name_location,
        image,
        ports,
        readiness: probe(object, node, "readinessProbe").map(Box::new),
        liveness: probe(object, node, "livenessProbe").map(Box::new),
        startup: probe(object, node, "startupProbe").map(Box::new),
        command_key,
        args_key,
        args: args_only,
    }));
    process
}

/// Canonical text of a node, keys sorted, to compare probes.
fn fingerprint(node: &Node) -> String {
    match (node.as_mapping(), node.as_sequence()) {
        (Some(entries), _) => {
            let mut parts: Vec<String> = entries
                .iter()
                .map(|e| format!("{}={}", e.key.as_str().unwrap_or(""), fingerprint(&e.value)))
                .collect();
            parts.sort();
            format!("{{{}}}", parts.join(","))
        }
        (None, Some(items)) => format!(
            "[{}]",
            items.iter().map(fingerprint).collect::<Vec<_>>().join(",")
        ),
        _ => node.as_str().unwrap_or("").to_string(),
    }
}

const PROBE_HANDLERS: &[&str] = &["exec", "httpGet", "tcpSocket", "grpc"];

fn port_ref(node: &Node) -> Option<PortRef> {
    match node.as_int_lenient() {
        Some(n) => u32::try_from(n).ok().map(PortRef::Number),
        None => node.as_str().map(|s| PortRef::Name(s.to_string())),
    }
}

fn probe(object: &Object<'_>, container: &Node, key: &str) -> Option<Probe> {
    let entry = container.get_entry(key)?;
    let probe = &entry.value;
    let handler = if let Some(exec) = probe.get("exec") {
        let command = exec.get("command");
        ProbeHandler::Exec {
            argv: command
                .into_iter()
                .flat_map(Node::items)
                .take(MAX_COMMAND_WORDS)
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            location: object.location(command.map_or(exec.span, Node::report_span)),
        }
    } else if let Some(http) = probe.get("httpGet") {
        ProbeHandler::HttpGet {
            path: http.get("path").and_then(|p| {
                p.as_str()
                    .map(|v| Fact::at(v.to_string(), object.location(p.report_span())))
            }),
            port: http.get("port").and_then(port_ref),
            host: http.get("host").and_then(Node::as_str).map(str::to_string),
        }
    } else if let Some(tcp) = probe.get("tcpSocket") {
        ProbeHandler::TcpSocket {
            port: tcp.get("port").and_then(|p| {
                port_ref(p).map(|port| Fact::at(port, object.location(p.report_span())))
            }),
            host: tcp.get("host").and_then(Node::as_str).map(str::to_string),
        }
    } else if let Some(grpc) = probe.get("grpc") {
        ProbeHandler::Grpc {
            port: grpc
                .get("port")
                .and_then(Node::as_int_lenient)
                .and_then(|p| u32::try_from(p).ok()),
        }
    } else {
        ProbeHandler::Unknown
    };
    let handler_fingerprint = PROBE_HANDLERS
        .iter()
        .filter_map(|h| probe.get(h).map(|n| format!("{h}:{}", fingerprint(n))))
        .collect::<Vec<_>>()
        .join(";");
    Some(Probe {
        location: object.location(entry.key.report_span()),
        handler,
        fingerprint: fingerprint(probe),
        handler_fingerprint,
    })
}

fn pre_stop(object: &Object<'_>, key: &Node, hook: &Node) -> PreStop {
    let location = object.location(key.report_span());
    if let Some(sleep) = hook.get("sleep") {
        let seconds = sleep.get("seconds");
        return PreStop {
            location,
            handler: "sleep".into(),
            delay: seconds.and_then(|s| {
                s.as_int_lenient()
                    .map(|v| Fact::at(v as f64, object.location(s.report_span())))
            }),
        };
    }
    if let Some(exec) = hook.get("exec") {
        let words: Vec<&Node> = exec
            .get("command")
            .into_iter()
            .flat_map(Node::items)
            .collect();
        return PreStop {
            location,
            handler: "exec".into(),
            delay: exec_sleep(object, &words),
        };
    }
    let handler = ["httpGet", "tcpSocket"]
        .into_iter()
        .find(|h| hook.get(h).is_some())
        .unwrap_or("unknown");
    PreStop {
        location,
        handler: handler.into(),
        delay: None,
    }
}

/// The total of `sleep N` in an exec hook: `["sleep", "10"]`, `["/bin/sh", "-c", "sleep 10 && …"]`.
fn exec_sleep(object: &Object<'_>, words: &[&Node]) -> Option<Fact<f64>> {
    let argv: Vec<&str> = words.iter().filter_map(|w| w.as_str()).collect();
    if argv.len() != words.len() {
        return None;
    }
    if let Some(shell) = crate::shell::commands::shell_c(&argv) {
        let payload = words.get(shell.payload_index)?;
        let text = payload.mapped_text()?;
        let script = crate::shell::parse(&text.text).ok()?;
        let mut total = 0.0;
        // The sleeps on the way to the end of the hook (not every branch of an `if`).
        let mut covered: Option<Span> = None;
        let finals = crate::shell::final_commands(&script);
        let mut steps: Vec<&crate::shell::SimpleCommand> = finals
            .last()
            .map(|f| crate::shell::chain_before(&script, f))
            .unwrap_or_default();
        if let Some(last) = finals.last().and_then(|f| f.command) {
            steps.push(last);
        }
        for command in steps {
            let words = command.argv();
            if let Some(seconds) = sleep_seconds(&words) {
                total += seconds;
                covered = Some(covered.map_or(command.span, |c| c.join(command.span)));
            }
        }
        let span = covered?;
        return Some(Fact::at(total, object.location(text.source_span(span))));
    }
    let seconds = sleep_seconds(&argv)?;
    let first = words.first()?;
    let last = words.last()?;
    Some(Fact::at(
        seconds,
        object.location(first.report_span().join(last.report_span())),
    ))
}

fn sleep_seconds(argv: &[&str]) -> Option<f64> {
    let (program, rest) = argv.split_first()?;
    if crate::shell::commands::program_name(program) != "sleep" {
        return None;
    }
    rest.iter()
        .map(|a| sleep_argument_seconds(a))
        .sum::<Option<f64>>()
        .filter(|s| *s > 0.0)
}

/// One argument of `sleep` as GNU coreutils and busybox read it: a number (a fraction, an
/// exponent, `inf` or `infinity`) with an optional unit `s`, `m`, `h` or `d`. `None` for what
/// they refuse (`sleep` then fails at once: no pause), such as `1m30s`, `500ms`, `-1` or
/// `nan`. Infinite for `infinity`, `inf` and `1e309`: the hook never ends.
fn sleep_argument_seconds(argument: &str) -> Option<f64> {
    let (number, factor) = match argument.as_bytes().last()? {
        b's' => (&argument[..argument.len() - 1], 1.0),
        b'm' => (&argument[..argument.len() - 1], 60.0),
        b'h' => (&argument[..argument.len() - 1], 3600.0),
        b'd' => (&argument[..argument.len() - 1], 86400.0),
        _ => (argument, 1.0),
    };
    // Rust's float syntax is strtod's without hexadecimal (`0x1e`, rare in a sleep).
    if !number.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '.' | '+' | 'i' | 'I')) {
        return None;
    }
    let seconds = number.parse::<f64>().ok()? * factor;
    (seconds >= 0.0).then_some(seconds)
}

fn service(object: &Object<'_>, fragment: &mut Fragment) {
    let selector = labels(object.node.get_path(&["spec", "selector"]));
    if selector.is_empty() {
        return;
    }
    fragment.services.push(Service {
        name: object.name.clone(),
        namespace: object.namespace.clone(),
        selector,
        location: object.anchor(),
        target_port_names: named_target_ports(object.node.get("spec")),
    });
}

/// The names of a Service's `targetPort`s when every one of its ports has a named target
/// (ServicePort.targetPort: "a string will be looked up as a named port in the target Pod's
/// container ports"); `None` when one is a number, is unset (it defaults to `port`), or is
/// neither (a template), or there are no ports. Also `None` for a headless Service
/// (`clusterIP: None`), for which the targetPort "is ignored": its DNS name lists the pods of
/// its EndpointSlices, those without the named port included (in a slice without ports).
fn named_target_ports(spec: Option<&Node>) -> Option<Box<[String]>> {
    let spec = spec?;
    if spec.get("clusterIP").and_then(Node::as_str) == Some("None") {
        return None;
    }
    let ports = spec.get("ports")?.as_sequence()?;
    if ports.is_empty() {
        return None;
    }
    let mut names: Vec<String> = Vec::new();
    for port in ports {
        let target = port.get("targetPort")?;
        if target.as_int_lenient().is_some() {
            return None;
        }
        let name = target.as_str()?;
        // A port name is an IANA service name: lowercase letters, digits and `-`, with a
        // letter (validation rejects anything else).
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && name.bytes().any(|b| b.is_ascii_lowercase());
        if !valid {
            return None;
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    Some(names.into_boxed_slice())
}

fn autoscaler(object: &Object<'_>, fragment: &mut Fragment) {
    let spec = object.node.get("spec");
    let target = spec.and_then(|s| s.get("scaleTargetRef"));
    let (Some(kind), Some(name)) = (
        target.and_then(|t| t.get("kind")).and_then(Node::as_str),
        target.and_then(|t| t.get("name")).and_then(Node::as_str),
    ) else {
        return;
    };
    let written = spec.and_then(|s| s.get("minReplicas"));
    let min_replicas = match int_fact(object, written) {
        Some(fact) => fact,
        None => unread_min(object, written).unwrap_or_else(|| Fact::default_value(1)),
    };
    push_autoscaler(object, fragment, (kind, name), min_replicas, false);
}

/// An autoscaler of the object `target` (kind, name) in `object`'s namespace.
fn push_autoscaler(
    object: &Object<'_>,
    fragment: &mut Fragment,
    target: (&str, &str),
    min_replicas: Fact<i64>,
    keda: bool,
) {
    fragment.autoscalers.push(Autoscaler {
        target_kind: target.0.to_string(),
        target_name: target.1.to_string(),
        namespace: object.namespace.clone(),
        min_unknown: min_replicas.value == i64::MAX && min_replicas.location.is_some(),
        min_replicas,
        location: object.anchor(),
        keda,
    });
}

/// A minimum that is written but cannot be read as a count (a template, a number too big):
/// `i64::MAX` where it is written, so that it may keep any number of pods.
fn unread_min(object: &Object<'_>, written: Option<&Node>) -> Option<Fact<i64>> {
    let written = written.filter(|n| !n.is_null())?;
    Some(Fact::at(i64::MAX, object.location(written.report_span())))
}

/// A KEDA ScaledObject (`keda.sh/v1alpha1`): it makes a HorizontalPodAutoscaler of its
/// target (`scaleTargetRef`, a Deployment unless `kind` says otherwise) with `minReplicas` of
/// its `minReplicaCount`, at least 1; at 0 (the default) KEDA scales the target to zero only
/// while its triggers are idle, and to at least one pod once they are active.
fn scaled_object(object: &Object<'_>, fragment: &mut Fragment) {
    let spec = object.node.get("spec");
    let target = spec.and_then(|s| s.get("scaleTargetRef"));
    let Some(name) = target.and_then(|t| t.get("name")).and_then(Node::as_str) else {
        return;
    };
    let kind = target
        .and_then(|t| t.get("kind"))
        .and_then(Node::as_str)
        .unwrap_or("Deployment");
    // A count under one is kept as written in the note, for messages.
    let written = spec.and_then(|s| s.get("minReplicaCount"));
    let min_replicas = match int_fact(object, written) {
        Some(fact) if fact.value < 1 => Fact {
            value: 1,
            note: Some(fact.value.to_string()),
            ..fact
        },
        Some(fact) => fact,
        None => unread_min(object, written).unwrap_or_else(|| Fact::default_value(1)),
    };
    push_autoscaler(object, fragment, (kind, name), min_replicas, true);
}

/// skaffold `build.artifacts`: image names built from Dockerfiles.
fn skaffold(object: &Object<'_>, fragment: &mut Fragment) {
    let artifacts = object.node.get_path(&["build", "artifacts"]);
    for artifact in artifacts.into_iter().flat_map(Node::items) {
        let Some(image) = artifact.get("image").and_then(Node::as_str) else {
            continue;
        };
        let context = artifact
            .get("context")
            .and_then(Node::as_str)
            .unwrap_or(".");
        let dockerfile = artifact
            .get_path(&["docker", "dockerfile"])
            .and_then(Node::as_str)
            .unwrap_or("Dockerfile");
        fragment.image_builds.push(ImageBuild {
            image: image.to_string(),
            dockerfile: std::path::Path::new(context).join(dockerfile),
            location: object.location(artifact.span),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lowered(text: &str, workloads: Workloads) -> (Fragment, FileFacts) {
        let mut fragment = Fragment::default();
        let mut facts = FileFacts::default();
        lower(FileId(0), text, &mut fragment, &mut facts, workloads, false).expect("lowers");
        (fragment, facts)
    }

    fn is_template(text: &str, in_templates_folder: bool) -> bool {
        let mut fragment = Fragment::default();
        let mut facts = FileFacts::default();
        let outcome = lower(
            FileId(0),
            text,
            &mut fragment,
            &mut facts,
            Workloads::Lower,
            in_templates_folder,
        );
        matches!(outcome, Ok(Outcome::Template))
    }

    /// `{{` in a quoted or block scalar value is data Kubernetes keeps as written; a `{{` that
    /// shapes the YAML, reads a Helm object or sits in a chart's templates/ folder is templating.
    #[test]
    fn template_actions_inside_string_values_are_data() {
        let deployment = |annotations: &str, replicas: &str| {
            format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {replicas}\n  template:\n    metadata:\n      annotations:\n{annotations}    spec:\n      containers:\n        - name: web\n          image: web:1\n"
            )
        };
        let vault = "        vault.hashicorp.com/agent-inject-template-db: |\n          {{- with secret \"db/creds/web\" -}}\n          postgresql://{{ .Data.username }}@db/app\n          {{- end -}}\n";
        let quoted = "        summary: \"{{ $labels.instance }} down\"\n        note: '{{inputs.parameters.x}}'\n";
        // A quoted `{{` in a field Kubernetes reads: a Jinja-style manifest, not applied as is.
        let read_fields = [
            deployment("", "\"{{ replicas }}\""),
            deployment("", "2").replace("image: web:1", "image: \"{{ image }}\""),
            deployment("", "2").replace("name: web\n", "name: \"{{ app }}\"\n"),
        ];
        for text in &read_fields {
            assert!(is_template(text, false), "{text}");
        }
        let folded = "        text: >\n          {{ .Data.x }}\n";
        for data in [vault, quoted, folded] {
            assert!(!is_template(&deployment(data, "2"), false), "{data}");
            // The same text in a chart's templates/ folder is a chart template.
            assert!(is_template(&deployment(data, "2"), true), "{data}");
        }
        let templates = [
            // An action in a plain value, or the whole value.
            deployment(vault, "{{ .Values.replicas }}"),
            deployment("        a: web-{{ .Chart.Name }}\n", "2"),
            // A Helm object inside a quoted value.
            deployment("        a: \"{{ .Values.a }}\"\n", "2"),
            deployment("        a: \"{{ include \\\"x\\\" . }}\"\n", "2"),
            // In a key, in a comment.
            deployment("        \"{{ .Data.k }}\": v\n", "2"),
            deployment("        a: b # {{ .Data.k }}\n", "2"),
            // Control lines: not YAML, or YAML whose `{{` are outside scalars.
            format!(
                "{{{{- if .Values.enabled }}}}\n{}{{{{- end }}}}\n",
                deployment("", "2")
            ),
        ];
        for text in &templates {
            assert!(is_template(text, false), "{text}");
        }
    }

    /// A large scan lowers a manifest in two halves (see `crate::KEPT_WORKLOADS`): without its
    /// pod templates, then only them. Together they give what lowering it whole gives.
    #[test]
    fn sleep_arguments_are_read_as_sleep_reads_them() {
        let cases: &[(&str, Option<f64>)] = &[
            ("10", Some(10.0)),
            ("2.5", Some(2.5)),
            (".5s", Some(0.5)),
            ("2m", Some(120.0)),
            ("1h", Some(3600.0)),
            ("1d", Some(86400.0)),
            ("1e3", Some(1000.0)),
            ("infinity", Some(f64::INFINITY)),
            ("inf", Some(f64::INFINITY)),
            ("1e309", Some(f64::INFINITY)),
            ("1m30s", None),
            ("500ms", None),
            ("-1", None),
            ("nan", None),
            ("", None),
            ("s", None),
            ("$DELAY", None),
        ];
        for (argument, seconds) in cases {
            assert_eq!(sleep_argument_seconds(argument), *seconds, "{argument}");
        }
        assert_eq!(sleep_seconds(&["sleep", "1m", "30"]), Some(90.0));
        assert_eq!(sleep_seconds(&["/bin/sleep", "1m30s"]), None);
    }

    /// `envFrom` makes a container's environment partly unknown; its own `env` still wins.
    #[test]
    fn env_from_hides_the_environment() {
        let pod = |container: &str| {
            format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n  - name: app\n    image: app\n{container}")
        };
        let text = pod("    envFrom: [{configMapRef: {name: app-env}}]\n    env: [{name: SHUTDOWN_TIMEOUT, value: 5s}]\n");
        let (fragment, _) = lowered(&text, Workloads::Lower);
        let process = &fragment.workloads[0].processes[0];
        let hidden = process.hidden_env.as_deref().expect("envFrom");
        assert_eq!(
            (hidden.source, hidden.overrides_written),
            ("envFrom", false)
        );
        assert!(text[hidden.location.span.start..hidden.location.span.end].contains("app-env"));
        assert!(matches!(
            process.env_lookup("SHUTDOWN_TIMEOUT"),
            crate::model::EnvLookup::Written(_)
        ));
        assert!(matches!(
            process.env_lookup("GUNICORN_CMD_ARGS"),
            crate::model::EnvLookup::Hidden(_)
        ));
        for none in ["    envFrom: []\n", "    envFrom:\n", ""] {
            let (fragment, _) = lowered(&pod(none), Workloads::Lower);
            assert_eq!(
                fragment.workloads[0].processes[0].hidden_env, None,
                "{none}"
            );
        }
    }

    #[test]
    fn a_kind_with_a_tag_or_an_anchor_is_lowered() {
        for kind in ["!!str Pod", "&k Pod", "!!str \"Pod\""] {
            let text = format!(
                "apiVersion: v1\nkind: {kind}\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: web\n      image: nginx\n"
            );
            let (fragment, _) = lowered(&text, Workloads::Lower);
            assert_eq!(fragment.workloads.len(), 1, "{kind}");
        }
    }

    #[test]
    fn the_two_halves_of_a_manifest_add_up_to_the_whole() {
        let manifests = [
            // A Deployment and its Service, with a suppression on each.
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations: \
             {shutdownlint.dev/ignore: SL503}\nspec:\n  template:\n    metadata: {labels: \
             {app: web}}\n    spec:\n      containers:\n        - name: web\n          image: \
             nginx:1.27\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  \
             annotations: {shutdownlint.dev/ignore: SL201}\nspec: {selector: {app: web}}\n",
            // A `kind:` line inside a multi-line string: the pre-scan takes it for the
            // document's kind, the parsed document is a Deployment.
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: job}\nspec:\n  template:\n    \
             spec:\n      containers:\n        - name: job\n          image: python:3.12\n          \
             command: [\"sh\", \"-c\", \"echo one\nkind: Service\n  two\"]\n",
            // A List holding a pod template and an autoscaler.
            "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    \
             metadata: {name: one}\n    spec: {containers: [{name: one, image: busybox}]}\n  - \
             apiVersion: autoscaling/v2\n    kind: HorizontalPodAutoscaler\n    metadata: {name: \
             one}\n    spec: {scaleTargetRef: {kind: Deployment, name: one}, minReplicas: 2, \
             maxReplicas: 4}\n",
        ];
        for text in manifests {
            let (whole, whole_facts) = lowered(text, Workloads::Lower);
            assert!(!whole.workloads.is_empty(), "{text}");
            let (rest, rest_facts) = lowered(text, Workloads::LeaveOut);
            assert!(
                rest.workloads.is_empty() && !rest.left_out.is_empty(),
                "{text}"
            );
            assert_eq!(rest.services.len(), whole.services.len(), "{text}");
            assert_eq!(rest.autoscalers.len(), whole.autoscalers.len(), "{text}");
            assert_eq!(
                format!("{:?}", rest_facts.suppressions),
                format!("{:?}", whole_facts.suppressions),
                "{text}"
            );
            let (only, _) = lowered(text, Workloads::Only);
            assert_eq!(
                format!("{:?}", only.workloads),
                format!("{:?}", whole.workloads),
                "{text}"
            );
            assert!(
                only.services.is_empty() && only.autoscalers.is_empty(),
                "{text}"
            );
            // The documents with pod templates, lowered one at a time, give each once.
            let mut parts = Vec::new();
            for &(document, _) in &rest.left_out {
                let (part, _) = lowered(text, Workloads::OnlyDocuments(document, document + 1));
                parts.extend(part.workloads);
            }
            assert_eq!(
                format!("{parts:?}"),
                format!("{:?}", whole.workloads),
                "{text}"
            );
        }
    }

    #[test]
    fn documents_are_counted_and_lowered_by_range() {
        let pod = |name: &str| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec: {{containers: \
                 [{{name: w, image: busybox}}]}}\n"
            )
        };
        // Documents 0 and 2 are Pods, 1 a Service, 3 a List of two, 4 a ConfigMap (not
        // parsed, so not counted), 5 a Pod.
        let text = [
            pod("a"),
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: {app: a}}\n"
                .to_string(),
            pod("b"),
            "apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Pod, metadata: {name: \
             c}, spec: {containers: [{name: w, image: busybox}]}}\n  - {apiVersion: v1, kind: Pod, \
             metadata: {name: d}, spec: {containers: [{name: w, image: busybox}]}}\n"
                .to_string(),
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n".to_string(),
            pod("e"),
        ]
        .join("---\n");
        let (rest, _) = lowered(&text, Workloads::LeaveOut);
        assert_eq!(rest.left_out, vec![(0, 1), (2, 1), (3, 2), (4, 1)]);
        let names = |workloads: Workloads| {
            let (fragment, _) = lowered(&text, workloads);
            fragment
                .workloads
                .iter()
                .map(|w| w.name.clone())
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(names(Workloads::Lower), "Pod/a,Pod/b,Pod/c,Pod/d,Pod/e");
        assert_eq!(names(Workloads::Only), "Pod/a,Pod/b,Pod/c,Pod/d,Pod/e");
        assert_eq!(names(Workloads::OnlyDocuments(0, 1)), "Pod/a");
        assert_eq!(names(Workloads::OnlyDocuments(1, 3)), "Pod/b");
        assert_eq!(names(Workloads::OnlyDocuments(2, 4)), "Pod/b,Pod/c,Pod/d");
        assert_eq!(names(Workloads::OnlyDocuments(4, 5)), "Pod/e");
        assert_eq!(names(Workloads::OnlyDocuments(5, u32::MAX)), "");
        // The pre-scan sees three Pods and a List (whose items it cannot count).
        assert_eq!(
            names(Workloads::LowerAtMost(3)),
            "Pod/a,Pod/b,Pod/c,Pod/d,Pod/e"
        );
        assert_eq!(names(Workloads::LowerAtMost(2)), "");
        let (over, _) = lowered(&text, Workloads::LowerAtMost(2));
        assert_eq!(over.left_out, rest.left_out);
        assert_eq!(over.services.len(), 1);
    }
}
