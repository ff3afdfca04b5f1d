//! The deploy model: what every format lowers into and what the rules talk about.
//!
//! A workload (a Docker image run as a container, later Kubernetes pod templates, compose
//! services, systemd services, Procfile and fly processes) has processes with an effective
//! command, a stop signal, a kill deadline, a pre-stop delay and a drain timeout. Every fact keeps
//! the location it came from, so findings point at the exact place and label the related ones.

use std::sync::Arc;

use crate::analysis::CommandAnalysis;
use crate::diagnostic::Location;
use crate::source::FileId;
use crate::span::MappedText;

#[derive(Debug, Default)]
pub struct Model {
    pub workloads: Vec<Workload>,
    /// Images built from Dockerfiles in the scan, for linking (by Dockerfile path).
    pub images: Vec<Image>,
    /// Kubernetes Services (they decide which containers serve traffic).
    pub services: Vec<Service>,
    /// HorizontalPodAutoscalers (they own replica counts).
    pub autoscalers: Vec<Autoscaler>,
    /// Declared image → Dockerfile mappings (skaffold artifacts), resolved during linking.
    pub image_builds: Vec<ImageBuild>,
    /// nginx configuration files.
    pub nginx: Vec<crate::lower::nginx::NginxFile>,
    /// systemd files until they are assembled into workloads.
    pub systemd_files: Vec<crate::lower::systemd::SystemdFile>,
}

impl Model {
    /// The base image an image of the scan is built from: as its builds' `build.args` make it,
    /// else as its Dockerfile writes it.
    pub fn base_of<'a>(&'a self, image: &'a Image) -> Option<&'a Fact<String>> {
        image.built_base.as_deref().map(|b| &b.fact).or_else(|| {
            self.workloads
                .get(image.workload)
                .and_then(|w| w.base_image.as_deref())
        })
    }

    /// The bases an image's builds make when they differ and each is known (see
    /// [`BuiltBase::variants`]); empty when [`Model::base_of`] says it all.
    pub fn base_variants<'a>(&'a self, image: &'a Image) -> &'a [String] {
        image
            .built_base
            .as_deref()
            .map_or(&[], |b| b.variants.as_slice())
    }

    /// The Dockerfile that builds the image a process runs, when it is in the scan.
    pub fn dockerfile_of(&self, workload: &Workload, process: &Process) -> Option<FileId> {
        process
            .image
            .or(workload.image)
            .and_then(|i| self.images.get(i))
            .map(|i| i.dockerfile)
    }

    /// The Service at `location` (after linking, which sorts the Services by location).
    pub fn service_at(&self, location: &Location) -> Option<&Service> {
        self.services
            .binary_search_by_key(location, |s| s.location)
            .ok()
            .and_then(|i| self.services.get(i))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// A container started from an image built by a Dockerfile (`docker run`).
    Docker,
    /// A pod template of a Kubernetes workload.
    Kubernetes,
    /// A docker compose service.
    Compose,
    /// A systemd service unit (with its drop-ins).
    Systemd,
    /// A process type of a Procfile (Heroku and Heroku-like platforms).
    Procfile,
    /// A process group of a Fly.io app (fly.toml).
    Fly,
}

impl Platform {
    pub fn name(self) -> &'static str {
        match self {
            Platform::Docker => "Docker",
            Platform::Kubernetes => "Kubernetes",
            Platform::Compose => "docker compose",
            Platform::Systemd => "systemd",
            Platform::Procfile => "the Procfile platform",
            Platform::Fly => "Fly.io",
        }
    }

    /// The signal the platform sends when nothing else says.
    pub fn default_stop_signal(self) -> Signal {
        match self {
            // fly.toml `kill_signal` defaults to SIGINT.
            Platform::Fly => Signal::Int,
            _ => Signal::Term,
        }
    }

    /// Seconds between the stop signal (or the start of termination) and SIGKILL when nothing
    /// sets it: `docker stop` 10 s, Kubernetes `terminationGracePeriodSeconds` 30 s.
    pub fn default_kill_deadline(self) -> f64 {
        match self {
            Platform::Docker | Platform::Compose => 10.0,
            Platform::Kubernetes => 30.0,
            // DefaultTimeoutStopSec=90s.
            Platform::Systemd => 90.0,
            // Heroku: SIGTERM, then SIGKILL 30 seconds later.
            Platform::Procfile => 30.0,
            // fly.toml `kill_timeout` defaults to 5 seconds.
            Platform::Fly => 5.0,
        }
    }

    /// How the kill deadline is called on this platform.
    pub fn kill_deadline_name(self) -> &'static str {
        match self {
            Platform::Docker => "docker stop timeout",
            Platform::Kubernetes => "terminationGracePeriodSeconds",
            Platform::Compose => "stop_grace_period",
            Platform::Systemd => "TimeoutStopSec",
            Platform::Procfile => "the platform's shutdown limit",
            Platform::Fly => "kill_timeout",
        }
    }
}

/// A value and where it came from (`None`: a platform default).
#[derive(Debug, Clone, PartialEq)]
pub struct Fact<T> {
    pub value: T,
    pub location: Option<Location>,
    /// Where the value came from when it was not written at `location` ("set by the base
    /// image `nginx:1.25`").
    pub note: Option<String>,
}

impl<T> Fact<T> {
    pub fn at(value: T, location: Location) -> Self {
        Fact {
            value,
            location: Some(location),
            note: None,
        }
    }

    pub fn default_value(value: T) -> Self {
        Fact {
            value,
            location: None,
            note: None,
        }
    }
}

/// Signals that matter for shutdown. `Other` keeps what was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    Term,
    Int,
    Quit,
    Kill,
    Hup,
    Usr1,
    Usr2,
    Winch,
    Other(String),
    /// Written, but its value is only known at build time (`STOPSIGNAL $SIG` from a build
    /// argument) or is not a signal at all; holds the text as written. No rule claims
    /// anything about such a signal.
    Unknown(String),
}

impl Signal {
    /// Parse `SIGTERM`, `TERM`, `15`, `sigquit` (Docker, compose, systemd and fly spellings).
    pub fn parse(s: &str) -> Option<Signal> {
        let upper = s.trim().to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        Some(match name {
            "TERM" | "15" => Signal::Term,
            "INT" | "2" => Signal::Int,
            "QUIT" | "3" => Signal::Quit,
            "KILL" | "9" => Signal::Kill,
            "HUP" | "1" => Signal::Hup,
            "USR1" | "10" => Signal::Usr1,
            "USR2" | "12" => Signal::Usr2,
            "WINCH" | "28" => Signal::Winch,
            "" => return None,
            other
                if other
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-') =>
            {
                Signal::Other(other.to_string())
            }
            _ => return None,
        })
    }

    pub fn name(&self) -> String {
        match self {
            Signal::Term => "SIGTERM".into(),
            Signal::Int => "SIGINT".into(),
            Signal::Quit => "SIGQUIT".into(),
            Signal::Kill => "SIGKILL".into(),
            Signal::Hup => "SIGHUP".into(),
            Signal::Usr1 => "SIGUSR1".into(),
            Signal::Usr2 => "SIGUSR2".into(),
            Signal::Winch => "SIGWINCH".into(),
            Signal::Other(s) if s.chars().all(|c| c.is_ascii_digit()) => s.clone(),
            Signal::Other(s) => format!("SIG{s}"),
            Signal::Unknown(s) => s.clone(),
        }
    }
}

/// What `/bin/sh` is where a process runs: it decides whether `sh -c` forwards signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellFamily {
    /// Debian/Ubuntu `/bin/sh`: never execs the command of `sh -c`.
    Dash,
    /// bash 5.1 or later: execs the final simple command of `-c`, also the last of a list.
    Bash,
    /// bash before 5.1 (4.x of RHEL/UBI 8, CentOS 7, Amazon Linux 2, Leap/SLE 15): execs only
    /// a `-c` string (or its last line) that is a single simple command.
    OldBash,
    /// busybox ash (Alpine, busybox images): execs the final simple command of `-c`.
    Busybox,
    /// No shell in the image (distroless, scratch).
    None,
    /// A shell that is not POSIX (PowerShell, cmd on Windows images).
    NotPosix,
}

impl ShellFamily {
    pub fn name(self) -> &'static str {
        match self {
            ShellFamily::Dash => "dash",
            ShellFamily::Bash => "bash",
            ShellFamily::OldBash => "bash < 5.1",
            ShellFamily::Busybox => "busybox sh",
            ShellFamily::None => "no shell",
            ShellFamily::NotPosix => "a non-POSIX shell",
        }
    }
}

/// What `/bin/sh` is, and why we think so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellEnv {
    pub family: ShellFamily,
    /// "node:22 is Debian-based", "assumed: base image unknown", "SHELL sets bash".
    pub reason: String,
    /// True when nothing on the page says it (we assumed dash).
    pub assumed: bool,
    /// What decided it (the `FROM` image, a `SHELL` instruction).
    pub location: Option<Location>,
    /// The image's bash, when a command or `SHELL` runs bash, is older than 5.1 (the image's
    /// name or tag says a release that ships one): it execs only a single simple command.
    pub old_bash: bool,
}

impl Default for ShellEnv {
    fn default() -> Self {
        ShellEnv {
            family: ShellFamily::Dash,
            reason: "assumed dash (most images are Debian-based)".into(),
            assumed: true,
            location: None,
            old_bash: false,
        }
    }
}

/// The form a command was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// A list of words run directly (JSON array, YAML list).
    Exec,
    /// A string run through the shell (`/bin/sh -c`).
    Shell,
}

/// Where (part of) an effective command was written: `CMD` in shell form at a location.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandSource {
    /// `CMD`, `ENTRYPOINT`, later `command`, `args`, `ExecStart`.
    pub what: &'static str,
    pub form: Form,
    pub location: Location,
    /// Set when inherited from another build stage or base image ("stage builder").
    pub inherited_from: Option<String>,
}

/// One word of an effective argv.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandWord {
    /// The word's value, mapped to its source text.
    pub text: MappedText,
    pub file: FileId,
    /// Index into [`Command::sources`].
    pub source: usize,
    /// Added by the platform rather than written (`/bin/sh -c` of shell form).
    pub synthesized: bool,
}

impl CommandWord {
    pub fn as_str(&self) -> &str {
        &self.text.text
    }

    /// Where the word (or part of it, `derived` relative to the word) is in its file.
    pub fn location(&self, derived: crate::span::Span) -> Location {
        Location::new(self.file, self.text.source_span(derived))
    }

    pub fn full_location(&self) -> Location {
        Location::new(self.file, self.text.full_source_span())
    }
}

/// How many words of a command are read: a command is judged by its first 4,096 words. Real
/// ones have a few dozen; an 8 MB `command: a a a …` has four million, which would cost a
/// gigabyte of facts.
pub const MAX_COMMAND_WORDS: usize = 4_096;

/// The argv a platform will exec, with where each word came from (at most
/// [`MAX_COMMAND_WORDS`] of them).
#[derive(Debug, Clone, Default)]
pub struct Command {
    /// The command's own words, after those of `head`.
    pub words: Vec<CommandWord>,
    /// The command's own sources, after those of `head`: a word's `source` counts `head`'s
    /// sources first.
    pub sources: Vec<CommandSource>,
    /// Words and sources this command starts with, shared with other commands: the ENTRYPOINT
    /// of an image that thousands of compose services or containers give their own arguments
    /// (each keeps only its arguments, not a copy of the entrypoint). A head has no head.
    pub head: Option<Arc<Command>>,
    /// The words as strings, made once for the commands that share this one as their head.
    pub(crate) strings: std::sync::OnceLock<Arc<[String]>>,
}

impl PartialEq for Command {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.all_words().eq(other.all_words())
            && self.all_sources().eq(other.all_sources())
    }
}

impl Command {
    /// The words of the head, when any.
    fn head_words(&self) -> &[CommandWord] {
        self.head.as_deref().map_or(&[], |h| h.words.as_slice())
    }

    fn head_sources(&self) -> &[CommandSource] {
        self.head.as_deref().map_or(&[], |h| h.sources.as_slice())
    }

    /// How many words the command has, its head's included.
    pub fn len(&self) -> usize {
        self.head_words().len() + self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many of the words are the head's.
    pub fn head_len(&self) -> usize {
        self.head_words().len()
    }

    /// Word `i`, counting the head's first.
    pub fn word(&self, i: usize) -> Option<&CommandWord> {
        let head = self.head_words();
        match i.checked_sub(head.len()) {
            None => head.get(i),
            Some(own) => self.words.get(own),
        }
    }

    /// All words: the head's, then the command's own.
    pub fn all_words(&self) -> impl Iterator<Item = &CommandWord> + Clone {
        self.head_words().iter().chain(&self.words)
    }

    /// All sources: the head's, then the command's own.
    pub fn all_sources(&self) -> impl Iterator<Item = &CommandSource> + Clone {
        self.head_sources().iter().chain(&self.sources)
    }

    /// Source `i`, counting the head's first.
    pub fn source(&self, i: usize) -> Option<&CommandSource> {
        let head = self.head_sources();
        match i.checked_sub(head.len()) {
            None => head.get(i),
            Some(own) => self.sources.get(own),
        }
    }

    pub fn argv(&self) -> Vec<&str> {
        self.all_words().map(CommandWord::as_str).collect()
    }

    pub fn source_of(&self, word: &CommandWord) -> Option<&CommandSource> {
        self.source(word.source)
    }

    /// The words as strings, shared (made once).
    pub(crate) fn strings(&self) -> Arc<[String]> {
        self.strings
            .get_or_init(|| self.all_words().map(|w| w.as_str().to_string()).collect())
            .clone()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessRole {
    /// The long-running process that receives the stop signal.
    Main,
    /// Runs to completion before the main processes start (Kubernetes initContainers).
    Init,
    /// An init container with `restartPolicy: Always` (a native sidecar): runs alongside.
    Sidecar,
}

/// A file in the repository that a command runs (an entrypoint script), read during linking.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkedScript {
    pub file: FileId,
    /// The command word that names the script.
    pub invoked_at: Location,
    /// The `COPY`/`ADD` that put it in the image, when it came through one.
    pub copied_at: Option<Location>,
    /// What the script does at its end; `None` when it does not parse. Shared by every
    /// process that runs the script (they depend only on its text).
    pub facts: Option<Arc<ScriptFacts>>,
}

/// What an entrypoint script does, for SL103 and SL601.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScriptFacts {
    /// Commands the script can end with that keep the shell as PID 1 (not `exec`'d), with the
    /// program they run.
    pub unexeced_finals: Vec<(Location, String)>,
    /// A `trap` that handles TERM/INT/QUIT/EXIT: the script deals with signals itself.
    pub trap: Option<Location>,
    /// Migration commands in the script.
    pub migrations: Vec<(Location, &'static str)>,
}

#[derive(Debug, Clone)]
pub struct Process {
    pub name: String,
    pub role: ProcessRole,
    /// Shared: the processes that run one image built in the scan hold its command once.
    pub command: Option<Arc<Command>>,
    pub shell: ShellEnv,
    /// Filled after linking: what the command does (shell at PID 1, main program, steps before).
    /// Shared by the processes that run the same command in the same shell.
    pub analysis: Option<Arc<CommandAnalysis>>,
    pub script: Option<Box<LinkedScript>>,
    /// Environment variables set for the process: all of a Kubernetes container's, only those
    /// [`crate::drain::env_read_by_rules`] names for the other platforms.
    pub env: Vec<EnvVar>,
    /// The pause before the stop signal (a Kubernetes preStop hook). Boxed: most processes
    /// have none.
    pub pre_stop: Option<Box<PreStop>>,
    /// Kubernetes container facts.
    pub container: Option<Box<Container>>,
    /// The stop signal set for this process (Kubernetes `lifecycle.stopSignal`, the image's).
    /// Shared (an image's is given to every process that runs it) and rarely set.
    pub stop_signal: Option<Arc<Fact<Signal>>>,
    /// Index into [`Model::images`] of the image built in the scan that the process runs.
    pub image: Option<usize>,
    /// A config file that the process's server reads by default when none is named (gunicorn's
    /// `./gunicorn.conf.py`, sidekiq's `config/sidekiq.yml`) may be in its working directory:
    /// the build context it is copied from has one, or what the image holds there cannot be
    /// told. Set by linking; its drain timeout may be set there, so the server's default is not
    /// known to apply.
    pub default_config_file: bool,
    /// Where the platform puts files into the process that may hold a server's default config
    /// file (see [`crate::drain::default_config_files`]): see [`ConfigMounts`].
    pub mounts: Option<Box<ConfigMounts>>,
    /// Part of the environment comes from a source shutdownlint does not read (Kubernetes
    /// `envFrom`, compose `env_file`, systemd `EnvironmentFile=`): any variable may be set
    /// there, so no variable is known to be unset. Boxed: most processes have none.
    pub hidden_env: Option<Box<HiddenEnv>>,
}

/// Where a process's environment comes from a source that is not read (see
/// [`Process::hidden_env`]).
#[derive(Debug, Clone, PartialEq)]
pub struct HiddenEnv {
    /// As messages name it: `envFrom`, `env_file`, `EnvironmentFile=`.
    pub source: &'static str,
    /// The first such source.
    pub location: Location,
    /// Its variables override those written beside it (systemd: `EnvironmentFile=` wins over
    /// `Environment=`); on Kubernetes and compose the written `env`/`environment` wins.
    pub overrides_written: bool,
    /// The names it can set start with one of these (Kubernetes `envFrom` with a `prefix` on
    /// every source); empty: any name.
    pub prefixes: Vec<String>,
}

impl HiddenEnv {
    /// Whether it can set the variable `name`.
    pub fn may_set(&self, name: &str) -> bool {
        self.prefixes.is_empty() || self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }
}

/// Files a platform puts into a process: a Kubernetes volume mounted at a path named like a
/// default config file (`gunicorn.conf.py`, `sidekiq.yml`, a `config` folder), compose bind
/// mounts of host folders (relative to the compose file's folder, or absolute).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigMounts {
    pub config_named: bool,
    pub host_folders: Vec<String>,
    /// Host paths bound where nginx reads its configuration (`/etc/nginx/...`), each with its
    /// path in the container (cleaned): `("./sites", "/etc/nginx/conf.d")`; an empty host path
    /// when what is put there is not known (a named volume, a `configs:` entry).
    pub nginx: Vec<(String, String)>,
}

impl Process {
    /// A process with only a command; format-specific facts are empty.
    pub fn new(
        name: impl Into<String>,
        role: ProcessRole,
        command: Option<Command>,
        shell: ShellEnv,
    ) -> Self {
        Process {
            name: name.into(),
            role,
            command: command.map(Arc::new),
            shell,
            analysis: None,
            script: None,
            env: Vec::new(),
            pre_stop: None,
            container: None,
            stop_signal: None,
            image: None,
            default_config_file: false,
            mounts: None,
            hidden_env: None,
        }
    }

    /// Istio's `istio-proxy` placeholder (image `auto`/`proxyv2`, or without probes), which the
    /// injection webhook replaces with the real sidecar, probes and drain included.
    pub fn is_istio_sidecar_stub(&self) -> bool {
        if self.name != "istio-proxy" {
            return false;
        }
        let Some(container) = self.container.as_ref() else {
            return true;
        };
        let Some(image) = container.image.as_ref() else {
            return true;
        };
        let image = image.value.as_str();
        let without_tag = crate::link::image_without_tag(image);
        container.readiness.is_none()
            || image == "auto"
            || without_tag.ends_with("/proxyv2")
            || without_tag == "proxyv2"
    }

    pub fn env_var(&self, name: &str) -> Option<&EnvVar> {
        // Processes other than containers keep only the variables rules read.
        debug_assert!(
            self.container.is_some() || crate::drain::env_read_by_rules(name),
            "{name} is read from a process that keeps only `drain::env_read_by_rules`"
        );
        self.env.iter().rev().find(|e| e.name == name)
    }

    /// What is known of the variable `name`: the written entry that is in force, or that a
    /// source that is not read may set it (over a written entry that source overrides, or one
    /// written elsewhere, such as the image's `ENV`, that the platform's own environment
    /// overrides).
    pub fn env_lookup(&self, name: &str) -> EnvLookup<'_> {
        let written = self.env_var(name);
        let hidden = self.hidden_env.as_ref().filter(|h| h.may_set(name));
        match (hidden, written) {
            (Some(hidden), Some(var))
                if !hidden.overrides_written && var.location.file == hidden.location.file =>
            {
                EnvLookup::Written(var)
            }
            (Some(hidden), _) => EnvLookup::Hidden(hidden),
            (None, Some(var)) => EnvLookup::Written(var),
            (None, None) => EnvLookup::Unset,
        }
    }
}

/// See [`Process::env_lookup`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EnvLookup<'a> {
    Written(&'a EnvVar),
    Hidden(&'a HiddenEnv),
    Unset,
}

/// An environment variable with a literal value (`valueFrom` references have `value: None`).
#[derive(Debug, Clone, PartialEq)]
pub struct EnvVar {
    pub name: String,
    /// Shared, not copied, by the processes that have the variable: fly.toml's `[env]` is every
    /// process group's (10,000 groups and a 1 MB value would be 10 GB of copies).
    pub value: Option<Arc<str>>,
    /// The value (or the name, without a value).
    pub location: Location,
    /// What rules read of a `GUNICORN_CMD_ARGS` value, read once with the variable: every
    /// process sharing the value would otherwise split it into words again.
    pub gunicorn: Option<GunicornArgs>,
}

impl EnvVar {
    pub fn new(name: String, value: Option<Arc<str>>, location: Location) -> Self {
        let gunicorn = (name == "GUNICORN_CMD_ARGS")
            .then_some(value.as_deref())
            .flatten()
            .map(GunicornArgs::read);
        EnvVar {
            name,
            value,
            location,
            gunicorn,
        }
    }
}

/// What rules read of `GUNICORN_CMD_ARGS`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GunicornArgs {
    /// `--graceful-timeout` in it, when it can be read.
    pub graceful_timeout: Option<f64>,
    /// It names a config file (`-c FILE`, `--config FILE`), which may set the drain timeout.
    pub config_file: bool,
}

impl GunicornArgs {
    fn read(value: &str) -> Self {
        let words: Vec<String> = value.split_whitespace().map(str::to_string).collect();
        GunicornArgs {
            graceful_timeout: crate::shell::commands::drain_timeout_from_gunicorn_cmd_args(value),
            config_file: crate::rules::grace_period_shorter_than_drain::has_config_file(&words),
        }
    }
}

/// A hook that runs when termination starts, before the stop signal.
#[derive(Debug, Clone, PartialEq)]
pub struct PreStop {
    /// The `preStop` key.
    pub location: Location,
    /// `exec`, `httpGet`, `sleep`, `tcpSocket`.
    pub handler: String,
    /// How long it pauses, when it can be read (`sleep: {seconds: 10}`, `sleep 10`).
    pub delay: Option<Fact<f64>>,
}

/// A Kubernetes container.
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    /// The `name:` value of the container.
    pub location: Location,
    pub image: Option<Fact<String>>,
    /// `containerPort`s, with their names.
    pub ports: Vec<(Fact<u32>, Option<String>)>,
    pub readiness: Option<Box<Probe>>,
    pub liveness: Option<Box<Probe>>,
    pub startup: Option<Box<Probe>>,
    /// The `command:` and `args:` keys when set.
    pub command_key: Option<Location>,
    pub args_key: Option<Location>,
    /// `args` without `command`: they replace the image's CMD once the image is known.
    pub args: Option<Command>,
}

/// A Kubernetes probe.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    /// The probe's key (`livenessProbe`).
    pub location: Location,
    pub handler: ProbeHandler,
    /// The whole probe, normalised, to compare probes.
    pub fingerprint: String,
    /// The handler part only (what is checked, not how often).
    pub handler_fingerprint: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProbeHandler {
    Exec {
        argv: Vec<String>,
        location: Location,
    },
    HttpGet {
        path: Option<Fact<String>>,
        port: Option<PortRef>,
        host: Option<String>,
    },
    TcpSocket {
        port: Option<Fact<PortRef>>,
        host: Option<String>,
    },
    Grpc {
        port: Option<u32>,
    },
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PortRef {
    Number(u32),
    Name(String),
}

/// Kubernetes facts of a pod-template workload.
#[derive(Debug, Clone, PartialEq)]
pub struct KubeWorkload {
    /// `Deployment`, `StatefulSet`, …
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
    /// The pod template's labels.
    pub template_labels: Vec<(String, String)>,
    pub replicas: Option<Fact<i64>>,
    /// `strategy.type` (Deployment) / `updateStrategy.type`. This and the next two are boxed:
    /// most manifests leave them unset.
    pub strategy_type: Option<Box<Fact<String>>>,
    pub max_surge: Option<Box<Fact<IntOrPercent>>>,
    pub max_unavailable: Option<Box<Fact<IntOrPercent>>>,
    /// Helm or Argo CD hook annotation that runs it before the release (`pre-upgrade`, `PreSync`).
    pub release_hook: Option<String>,
    /// Services in the scan that select the pod template (filled by linking).
    pub selected_by: Vec<Location>,
    /// Whether a main container of the pod declares ports, worked out once (see
    /// [`Workload::pod_declares_ports`]).
    pub pod_ports: PodPorts,
}

/// A cache of [`Workload::pod_declares_ports`]: asking it for every container of a pod must not
/// scan the pod each time (a pod of 40,000 containers). Not part of a workload's value.
#[derive(Debug, Clone, Default)]
pub struct PodPorts(std::sync::OnceLock<bool>);

impl PartialEq for PodPorts {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl KubeWorkload {
    /// Jobs and CronJobs run to completion; nothing serves traffic there.
    pub fn is_batch(&self) -> bool {
        matches!(self.kind.as_str(), "Job" | "CronJob")
    }
}

/// `maxSurge: 1` or `maxSurge: "25%"`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IntOrPercent {
    Int(i64),
    Percent(f64),
}

impl IntOrPercent {
    /// Resolve against `total` as Kubernetes does: percentages round up (`round_up`, maxSurge)
    /// or down (maxUnavailable).
    pub fn resolve(self, total: i64, round_up: bool) -> i64 {
        match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => {
                let exact = p * total as f64 / 100.0;
                if round_up {
                    exact.ceil() as i64
                } else {
                    exact.floor() as i64
                }
            }
        }
    }
}

/// A Kubernetes Service.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub name: String,
    pub namespace: Option<String>,
    pub selector: Vec<(String, String)>,
    pub location: Location,
    /// Set when every port's `targetPort` is a name (`targetPort: http`): the names. Kubernetes
    /// looks a named targetPort up among the pod's container ports and leaves a pod that
    /// declares none of them out of the Service's endpoints, so the Service sends traffic only
    /// to pods that declare one. `None` when a port's target is a number (or unset: it defaults
    /// to `port`), or cannot be read: every selected pod is an endpoint.
    pub target_port_names: Option<Box<[String]>>,
}

/// A HorizontalPodAutoscaler, or a KEDA ScaledObject (which makes and owns one).
#[derive(Debug, Clone, PartialEq)]
pub struct Autoscaler {
    pub target_kind: String,
    pub target_name: String,
    pub namespace: Option<String>,
    /// The fewest pods it keeps while the workload serves: an HPA's `minReplicas`; for a
    /// ScaledObject its `minReplicaCount`, at least 1 (KEDA's HPA never goes below one pod;
    /// at 0 KEDA scales the workload to zero only while it is idle).
    pub min_replicas: Fact<i64>,
    pub location: Location,
    /// A KEDA ScaledObject rather than a HorizontalPodAutoscaler.
    pub keda: bool,
    /// The minimum is written but cannot be read (a template `"{{ .Values.min }}"`, a number
    /// too big): `min_replicas` is then `i64::MAX` (it may keep any number of pods), and
    /// the rules that would quote it stay silent.
    pub min_unknown: bool,
}

impl Autoscaler {
    /// Its minimum as messages say it (KEDA: `minReplicaCount: 0 (one pod while it is
    /// active)`).
    pub fn min_text(&self) -> String {
        let (_, field) = self.names();
        let min = &self.min_replicas;
        match (min.location.is_some(), self.keda, min.note.as_deref()) {
            (true, true, Some(written)) => {
                format!("{field}: {written} (one pod while it is active)")
            }
            (true, _, _) => format!("{field}: {}", min.value),
            (false, false, _) => format!("{field} unset (1)"),
            (false, true, _) => format!("{field} unset (0: one pod while it is active)"),
        }
    }

    /// Its kind and the field of its minimum, for messages.
    pub fn names(&self) -> (&'static str, &'static str) {
        if self.keda {
            ("KEDA ScaledObject", "minReplicaCount")
        } else {
            ("HorizontalPodAutoscaler", "minReplicas")
        }
    }
}

/// An image built from a Dockerfile, as a build tool declares it (skaffold `artifacts`).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageBuild {
    /// Image name without tag (`gcr.io/acme/api`).
    pub image: String,
    /// The Dockerfile, as a path on disk.
    pub dockerfile: std::path::PathBuf,
    /// Where it is declared.
    pub location: Location,
}

#[derive(Debug, Clone)]
pub struct Workload {
    pub platform: Platform,
    pub name: String,
    /// Where workload-wide findings point (the final stage's `FROM`, a container's `name:`).
    pub location: Location,
    pub processes: Vec<Process>,
    /// The stop signal when set explicitly (or inherited from a known base image). Shared
    /// (an image's is given to every workload that runs it) and rarely set.
    pub stop_signal: Option<Arc<Fact<Signal>>>,
    /// The image the workload runs, as written (`node:22-slim`), when known (Docker and
    /// compose only).
    pub base_image: Option<Box<Fact<String>>>,
    /// Index into [`Model::images`] when the workload runs an image built in the scan.
    pub image: Option<usize>,
    /// Seconds from the start of termination to SIGKILL, when set (None: platform default).
    pub kill_deadline: Option<Fact<f64>>,
    /// `shutdownlint.dev/drain-seconds` annotation or label (boxed, like the other rare facts
    /// of a workload: an unset fact costs a pointer, not 80 bytes).
    pub drain_annotation: Option<Box<Fact<f64>>>,
    pub kubernetes: Option<Box<KubeWorkload>>,
    pub compose: Option<Box<ComposeService>>,
    pub systemd: Option<Box<SystemdService>>,
    /// Procfile/fly: the process type (`web`, `worker`, `release`).
    pub process_type: Option<Box<Fact<String>>>,
    /// fly.toml: the Dockerfile that builds the app's image (relative to the fly.toml).
    pub dockerfile_ref: Option<Arc<Fact<String>>>,
}

#[cfg(test)]
impl Process {
    /// The environment's names and values, in order.
    pub(crate) fn env_pairs(&self) -> Vec<(&str, Option<&str>)> {
        self.env
            .iter()
            .map(|e| (e.name.as_str(), e.value.as_deref()))
            .collect()
    }
}

#[cfg(test)]
impl Workload {
    /// A Kubernetes pod template with no containers, for tests of linking and look-ups.
    pub(crate) fn test_pod_template(
        kind: &str,
        name: &str,
        namespace: Option<&str>,
        labels: &[(&str, &str)],
        location: Location,
    ) -> Self {
        Workload {
            platform: Platform::Kubernetes,
            name: name.to_string(),
            location,
            processes: Vec::new(),
            stop_signal: None,
            base_image: None,
            image: None,
            kill_deadline: None,
            drain_annotation: None,
            kubernetes: Some(Box::new(KubeWorkload {
                kind: kind.to_string(),
                name: name.to_string(),
                namespace: namespace.map(str::to_string),
                template_labels: labels
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                    .collect(),
                replicas: None,
                strategy_type: None,
                max_surge: None,
                max_unavailable: None,
                release_hook: None,
                selected_by: Vec::new(),
                pod_ports: PodPorts::default(),
            })),
            compose: None,
            systemd: None,
            process_type: None,
            dockerfile_ref: None,
        }
    }
}

impl Workload {
    /// Give back spare capacity (see [`crate::formats::Fragment::shrink_to_fit`]).
    pub fn shrink_to_fit(&mut self) {
        self.processes.shrink_to_fit();
        for process in &mut self.processes {
            process.env.shrink_to_fit();
            if let Some(command) = process.command.as_mut().and_then(Arc::get_mut) {
                command.words.shrink_to_fit();
                command.sources.shrink_to_fit();
            }
            if let Some(container) = &mut process.container {
                container.ports.shrink_to_fit();
            }
        }
        if let Some(kube) = &mut self.kubernetes {
            kube.template_labels.shrink_to_fit();
        }
    }
}

/// docker compose facts of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct ComposeService {
    pub name: String,
    /// `init: true`.
    pub init: Option<Fact<bool>>,
    /// The service's own healthcheck, when set and not disabled.
    pub healthcheck: Option<Location>,
    /// `healthcheck: {disable: true}` or `test: ["NONE"]`.
    pub healthcheck_disabled: bool,
    /// Services this one waits for with `condition: service_healthy`, with where it says so.
    pub depends_on_healthy: Vec<(String, Location)>,
    /// Published ports (`ports:`).
    pub published_ports: Vec<Location>,
    /// `build:`: context directory and Dockerfile, relative to the compose file; `target` stage.
    pub build: Option<ComposeBuild>,
    /// `command:`/`entrypoint:` keys when set.
    pub command_key: Option<Location>,
    pub entrypoint_key: Option<Location>,
    /// `command`/`entrypoint` as compose sets them (strings split into words, never a shell),
    /// kept only when `build` may link the service to a Dockerfile of the scan.
    pub command: Option<Command>,
    pub entrypoint: Option<Command>,
    /// `env_file:` as compose merges it (the lists of every definition add up; a later file's
    /// variable wins over an earlier one's). `None` when the environment has another source
    /// that is not read (the files before an `-f` overlay).
    pub env_files: Option<Vec<EnvFile>>,
    /// The `NGINX_ENVSUBST_*` variables the `env_file`s set, in order (the last of a name
    /// wins), each with the value read (`None`: taken from compose's own environment, an
    /// interpolation); `None` until read (`lower::compose::read_env_files`), and when one of
    /// the files cannot be read (not in the scan, a variable in its path, a `format`, absent
    /// and required). An absent file that is not required sets nothing.
    pub env_file_vars: Option<Vec<EnvVar>>,
    /// The first of `env_files` that is not read (an index), when `env_file_vars` is `None`
    /// because of it.
    pub env_file_unread: Option<usize>,
}

/// One `env_file` entry of a compose service.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvFile {
    /// The path as written, relative to the folder of the compose file that writes it
    /// (`location.file`); `None` when it is no plain path (`${ENV_FILE}`, a `format` given).
    pub path: Option<String>,
    /// `required: false`: compose runs without the file when it is absent ("Compose silently
    /// ignores missing file", Compose file reference, `env_file`). `true` otherwise (the default).
    pub required: bool,
    pub location: Location,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ComposeBuild {
    pub context: String,
    pub dockerfile: String,
    pub target: Option<String>,
    /// `build.args` as compose merges them (key by key): each name with its value, `None` when
    /// only the environment tells it (`- NAME`, `NAME:` with no value, a `${VAR}` in it).
    pub args: Vec<(String, Option<String>)>,
    pub location: Location,
}

impl ComposeBuild {
    /// The build makes the final stage of an image whose final stage is named `final_stage`:
    /// no `target`, or one naming that stage. BuildKit looks a target up among the stage names
    /// lower-cased (`findStateByName`), as it keeps them (`FROM … AS Prod` is `prod`).
    pub fn builds_final_stage(&self, final_stage: Option<&str>) -> bool {
        match &self.target {
            None => true,
            Some(target) => final_stage.is_some_and(|name| target.to_lowercase() == name),
        }
    }
}

/// systemd facts of a service unit.
#[derive(Debug, Clone, PartialEq)]
pub struct SystemdService {
    /// `Type=` (simple when unset).
    pub service_type: String,
    /// `KillMode=` (control-group when unset).
    pub kill_mode: Option<Fact<String>>,
    /// `SendSIGKILL=no`.
    pub send_sigkill: Option<Fact<bool>>,
    /// `TimeoutStopSec=`/`TimeoutSec=` set to `infinity` or `0`.
    pub timeout_infinite: Option<Location>,
    /// `ExecStop=` commands (argv words), with their location.
    pub exec_stop: Vec<(Vec<String>, Location)>,
}

impl Workload {
    /// The signal that will be sent, with where it came from (`None` location: platform default).
    pub fn effective_stop_signal(&self) -> Fact<Signal> {
        self.stop_signal
            .as_deref()
            .cloned()
            .unwrap_or_else(|| Fact::default_value(self.platform.default_stop_signal()))
    }

    /// The stop signal a process receives: its own, else the workload's.
    pub fn stop_signal_for(&self, process: &Process) -> Fact<Signal> {
        process
            .stop_signal
            .as_deref()
            .cloned()
            .unwrap_or_else(|| self.effective_stop_signal())
    }

    /// What one process of this workload is called on its platform, for messages.
    pub fn process_noun(&self) -> &'static str {
        match self.platform {
            Platform::Docker | Platform::Kubernetes => "container",
            Platform::Compose => "service",
            Platform::Systemd => "unit",
            Platform::Procfile | Platform::Fly => "process",
        }
    }

    /// Whether a process serves traffic: a Kubernetes main container that declares ports or whose
    /// pod template a Service selects; never Jobs, CronJobs or init containers.
    pub fn serves(&self, process: &Process) -> bool {
        if let Some(compose) = &self.compose {
            return !compose.published_ports.is_empty();
        }
        if let Some(kind) = &self.process_type {
            // Heroku routes HTTP only to `web`; fly's `app` group (or one without groups) serves.
            return matches!(kind.value.as_str(), "web" | "app");
        }
        if self.platform == Platform::Fly {
            return true;
        }
        let Some(kube) = &self.kubernetes else {
            return false;
        };
        if kube.is_batch() || process.role != ProcessRole::Main || process.is_istio_sidecar_stub() {
            return false;
        }
        if process
            .container
            .as_ref()
            .is_some_and(|c| !c.ports.is_empty())
        {
            return true;
        }
        // Without ports, a container serves through a selecting Service only when no other main
        // container of the pod declares ports (those say which container the Service reaches; a
        // port-less config reloader beside the server does not serve). This one declares none,
        // so "another" is "any".
        !kube.selected_by.is_empty() && !self.pod_declares_ports()
    }

    /// Whether a main container of this Kubernetes pod that is not an Istio sidecar stub
    /// declares ports; worked out once per workload (the processes are final when rules ask).
    pub fn pod_declares_ports(&self) -> bool {
        let compute = || {
            self.processes.iter().any(|p| {
                p.role == ProcessRole::Main
                    && !p.is_istio_sidecar_stub()
                    && p.container.as_ref().is_some_and(|c| !c.ports.is_empty())
            })
        };
        match &self.kubernetes {
            Some(kube) => *kube.pod_ports.0.get_or_init(compute),
            None => compute(),
        }
    }

    /// Why a process serves traffic, for a label: the first port or the selecting Service.
    pub fn serving_reason(&self, process: &Process) -> Option<(Location, String)> {
        if let Some(service) = self.kubernetes.as_ref().and_then(|k| k.selected_by.first()) {
            return Some((*service, "a Service selects this pod template".into()));
        }
        let (port, _) = process.container.as_ref()?.ports.first()?;
        Some((
            port.location?,
            format!("serves traffic on port {}", port.value),
        ))
    }

    /// The kill deadline, with the platform default when unset.
    pub fn effective_kill_deadline(&self) -> Fact<f64> {
        self.kill_deadline
            .clone()
            .unwrap_or_else(|| Fact::default_value(self.platform.default_kill_deadline()))
    }
}

/// A `COPY`/`ADD` from the build context into the image.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageCopy {
    /// Source paths relative to the build context, as written.
    pub sources: Vec<String>,
    /// Destination in the image, absolute (WORKDIR applied); `None` when unknown (under an
    /// unknown WORKDIR, past the working directories kept per Dockerfile).
    pub destination: Option<CopyDestination>,
    pub location: Location,
    /// Its `--exclude` patterns: files they match are not copied. Shared by the copies of one
    /// instruction (`COPY --parents` makes one per source).
    pub excludes: std::sync::Arc<[String]>,
    /// What it puts under its (folder) destination is not known, but nothing elsewhere: a
    /// `COPY --parents` source with wildcards, whose matches keep their folders.
    pub unknown_contents: bool,
}

/// A COPY's absolute, cleaned destination: the first `base_len` bytes of `base` (a working
/// directory without its trailing `/`, shared by the COPYs under it; empty for `/`), then
/// `rest` (`/name` components, or empty; shared by the copies of one `COPY --parents`), then
/// `kept` (the folders and name a `--parents` source keeps, `/name` components, or empty).
#[derive(Debug, Clone)]
pub struct CopyDestination {
    pub base: std::sync::Arc<str>,
    pub base_len: usize,
    pub rest: std::sync::Arc<str>,
    pub kept: Box<str>,
    /// Written as a directory (a trailing `/`, `.`, several sources).
    pub directory: bool,
}

impl PartialEq for CopyDestination {
    fn eq(&self, other: &Self) -> bool {
        self.path() == other.path()
    }
}

impl CopyDestination {
    /// A directory the sources are copied into (`/` always is).
    pub fn is_directory(&self) -> bool {
        self.directory || self.path_len() == 0
    }

    /// Bytes of the path (0 for `/`).
    pub fn path_len(&self) -> usize {
        self.base_len + self.rest.len() + self.kept.len()
    }

    /// What follows the destination's path in `target`, `None` if `target` does not start with
    /// it (`/` is the empty path here).
    pub fn strip_from<'t>(&self, target: &'t str) -> Option<&'t str> {
        target
            .strip_prefix(self.base.get(..self.base_len)?)?
            .strip_prefix(&*self.rest)?
            .strip_prefix(&*self.kept)
    }

    /// The path as [`crate::lower::dockerfile::normalize`] writes it: a directory ends with `/`.
    pub fn path(&self) -> String {
        let mut path = format!(
            "{}{}{}",
            self.base.get(..self.base_len).unwrap_or(""),
            self.rest,
            self.kept
        );
        if self.is_directory() || path.is_empty() {
            path.push('/');
        }
        path
    }
}

/// An image built from a Dockerfile in the scan.
#[derive(Debug, Clone)]
pub struct Image {
    pub dockerfile: FileId,
    /// The Dockerfile on disk, when it came from disk.
    pub path: Option<std::path::PathBuf>,
    /// The build context directory on disk (the Dockerfile's directory by default).
    pub context_dir: Option<std::path::PathBuf>,
    /// Files copied from the context into the final stage (and stages it builds on).
    pub copies: Vec<ImageCopy>,
    /// The final image has a `HEALTHCHECK` (not `NONE`).
    pub healthcheck: bool,
    /// The final stage's WORKDIR (absolute), where relative commands are resolved; `None` when
    /// unknown (a WORKDIR no Linux path can be, and relative ones after it).
    pub workdir: Option<String>,
    /// Where the final stage's COPYs that copy from elsewhere than the build context (`--from`
    /// another stage or image, a here-document) put their files: absolute and cleaned, `None`
    /// when unknown. What they copy is not known.
    pub other_copies: Vec<Option<String>>,
    /// The final stage (or a stage it is built from) may have put files whose names are not
    /// known into the image: a COPY/ADD to a place named by a variable, an ADD of a URL or an
    /// archive, a RUN that fetches, unpacks, copies or writes files.
    pub unknown_files: bool,
    /// Index into [`Model::workloads`] of the image's own workload.
    pub workload: usize,
    /// The final stage's name (`FROM … AS name`), lower-cased as Docker keeps it: a compose
    /// `build.target` naming it builds this image.
    pub final_stage: Option<String>,
    /// The base image reference when it names build arguments (`FROM nginx:${VERSION}`): a
    /// build that sets them (compose `build.args`) builds from another image.
    pub base_args: Option<Box<BaseArgs>>,
    /// The base image as the builds of the scan that set [`Image::base_args`] make it (linking
    /// sets it); its `value` keeps a `$` when they disagree or take a value from the
    /// environment.
    pub built_base: Option<Box<BuiltBase>>,
    /// The distribution's nginx package a `RUN` of the final stage (or a stage it is built
    /// from) installs (`apt-get install -y nginx`, `apk add nginx`), when one does and no
    /// other nginx repository is named: its own `nginx.conf` is then that package's.
    pub nginx_package: Option<NginxPackage>,
    /// The build arguments whose defaults decided where COPYs put files or the working
    /// directory (`ARG CONF_DIR=/etc/nginx/conf.d`, `COPY proxy.conf ${CONF_DIR}/`), when any
    /// did: a build that gives one of them another value puts those files elsewhere.
    pub path_args: Option<Box<PathArgs>>,
}

/// What the build arguments decide of an image's places (see [`Image::path_args`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PathArgs {
    /// Each argument once, with the default the places were read with (`None`: not kept).
    pub names: Vec<(String, Option<String>)>,
    /// Indexes into [`Image::copies`] of the copies whose place (destination, sources or
    /// working directory) an argument decided.
    pub copies: Vec<usize>,
    /// A place of [`Image::other_copies`] was decided by an argument.
    pub other_copies: bool,
    /// [`Image::workdir`] was decided by an argument.
    pub workdir: bool,
}

impl PathArgs {
    /// Whether `args` (a build's `--build-arg`s, compose `build.args`) change a place: one of
    /// them names an argument with another value than the default, or one only the environment
    /// tells.
    pub fn changed_by(&self, args: &[(String, Option<String>)]) -> bool {
        args.iter().any(|(name, value)| {
            self.names
                .iter()
                .any(|(n, default)| n == name && (value.is_none() || default != value))
        })
    }
}

/// The base image the builds of an image make (see [`Image::built_base`]).
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltBase {
    /// The one base every build makes, else the `FROM` as written (with its `$`).
    pub fact: Fact<String>,
    /// When the builds make different bases and every one is known (two services, or a
    /// compose file and its production overlay, pass different literal `build.args`): each
    /// base once, in order. Empty otherwise.
    pub variants: Vec<String>,
}

/// A distribution's nginx package, installed by a `RUN` (see [`Image::nginx_package`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NginxPackage {
    /// Debian's or Ubuntu's (`apt-get install nginx`, `nginx-full`, `nginx-light`,
    /// `nginx-extras`, `nginx-core`): its `nginx.conf` includes `conf.d/*.conf` and
    /// `sites-enabled/*` inside `http`, sets no proxy directive, and the package links
    /// `sites-enabled/default` to `sites-available/default`.
    Debian,
    /// Alpine's (`apk add nginx`): its `nginx.conf` includes `http.d/*.conf` inside `http` and
    /// sets no proxy directive.
    Alpine,
}

/// A base image reference that names build arguments, and the global ARGs it may use.
#[derive(Debug, Clone)]
pub struct BaseArgs {
    /// The reference as written in the FROM.
    pub raw: String,
    pub escape: char,
    /// The ARGs before the first FROM, in order: name and default as written.
    pub globals: Vec<(String, Option<String>)>,
}

#[cfg(test)]
mod path_args_tests {
    use super::PathArgs;

    #[test]
    fn a_build_changes_a_place_only_with_another_value() {
        let args = PathArgs {
            names: vec![
                ("CONF".to_string(), Some("/etc/nginx/conf.d".to_string())),
                ("OTHER".to_string(), None),
            ],
            ..PathArgs::default()
        };
        let set =
            |name: &str, value: Option<&str>| vec![(name.to_string(), value.map(String::from))];
        assert!(!args.changed_by(&[]));
        assert!(!args.changed_by(&set("CONF", Some("/etc/nginx/conf.d"))));
        assert!(!args.changed_by(&set("UNRELATED", Some("/x"))));
        assert!(args.changed_by(&set("CONF", Some("/srv"))));
        // Only the environment tells the value.
        assert!(args.changed_by(&set("CONF", None)));
        // A default not kept: any value may differ.
        assert!(args.changed_by(&set("OTHER", Some("/x"))));
    }
}
