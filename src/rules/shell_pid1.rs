//! SL101 shell-pid1: the process that receives the stop signal is a shell that will not pass it
//! on (dash never execs the command of `sh -c`; bash and busybox only exec a plain final
//! command).
//!
//! Per platform: Docker, Kubernetes and compose signal PID 1 of the container (compose
//! `init: true` puts tini there, which forwards to its one child, the shell); Fly.io's init
//! signals the process it started; systemd signals the unit's main process alone only with
//! `KillMode=process`/`mixed` (the default control-group signals every process, and `none`
//! signals nothing); Heroku-style Procfile platforms signal every process of the dyno.

use crate::analysis::{CommandAnalysis, InitEnv, InitVar, Relay, ShellOutcome, ShellTail};
use crate::diagnostic::Location;
use crate::model::{Form, Model, Platform, Process, ProcessRole, ShellFamily, Signal, Workload};
use crate::rules::{Reporter, RuleContext};

/// Programs that are not services: an image whose command ends in a shell, a builtin or a no-op
/// is an interactive or tooling image (or a one-shot command), and SIGTERM handling does not
/// matter there.
const NOT_SERVICES: &[&str] = &[
    "sh", "bash", "dash", "ash", "zsh", "true", "false", ":", "echo", "printf", "exit", "return",
    "test", "[", "[[", "set", "export", "cd", "unset", "shift", "umask", "ulimit",
];

/// Commands that only keep a container alive; nothing to drain.
const KEEP_ALIVE: &[&str] = &["sleep", "tail", "cat", "wait", "pause"];

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
        for process in &workload.processes {
            check_process(cx, workload, process, out);
        }
    }
}

/// What one platform does with the shell, for the message and help.
enum Stop<'a> {
    /// Docker, Kubernetes, compose: the shell is PID 1 of the container.
    Pid1,
    /// compose `init: true`: tini is PID 1 and signals the shell (or, with
    /// `TINI_KILL_PROCESS_GROUP`, its process group); it exits when the shell does.
    Tini(Option<Location>),
    /// systemd `KillMode=process|mixed|none`, with the `KillMode=` location.
    Systemd {
        mode: &'a str,
        at: Option<Location>,
        /// `ExecStop=` lines that signal `$MAINPID` (the shell).
        mainpid_stops: Vec<Location>,
    },
    /// Fly.io: the Machine's init sends `kill_signal` to the process it started.
    Fly,
}

fn check_process(
    cx: &RuleContext<'_>,
    workload: &Workload,
    process: &Process,
    out: &mut Reporter<'_>,
) {
    let model = cx.model;
    // Init containers run to completion; they are not signalled when the pod stops.
    if process.role == ProcessRole::Init {
        return;
    }
    let stop = match workload.platform {
        // Heroku and foreman signal every process of the dyno/process group.
        Platform::Procfile => return,
        Platform::Systemd => {
            let Some(systemd) = &workload.systemd else {
                return;
            };
            // forking: the shell exits once the daemon forks, and the daemon becomes the main
            // process. oneshot: nothing long-running to stop.
            if matches!(systemd.service_type.as_str(), "forking" | "oneshot") {
                return;
            }
            // The default KillMode=control-group signals every process of the unit
            // (systemd.kill(5)); only process, mixed and none leave the app behind the shell.
            let Some(mode) = systemd
                .kill_mode
                .as_ref()
                .filter(|m| matches!(m.value.as_str(), "process" | "mixed" | "none"))
            else {
                return;
            };
            let mainpid_stops: Vec<Location> = systemd
                .exec_stop
                .iter()
                .filter(|(argv, _)| argv.iter().any(|w| w.contains("MAINPID")))
                .map(|(_, at)| *at)
                .collect();
            // KillMode=none signals nothing at all: with or without a shell the app is never
            // stopped, unless an ExecStop= signals the main process, which is then the shell.
            if mode.value == "none" && mainpid_stops.is_empty() {
                return;
            }
            Stop::Systemd {
                mode: mode.value.as_str(),
                at: mode.location,
                mainpid_stops,
            }
        }
        Platform::Compose => match workload.compose.as_ref().and_then(|c| c.init.as_ref()) {
            Some(init) if init.value => Stop::Tini(init.location),
            _ => Stop::Pid1,
        },
        Platform::Fly => Stop::Fly,
        Platform::Docker | Platform::Kubernetes => Stop::Pid1,
    };
    let (Some(command), Some(analysis)) = (&process.command, &process.analysis) else {
        return;
    };
    let Some(shell) = &analysis.shell else {
        return;
    };
    let ShellOutcome::Stays { why } = &shell.outcome else {
        return;
    };
    if matches!(shell.family, ShellFamily::None | ShellFamily::NotPosix) {
        return;
    }
    // A bare shell (`CMD bash`) is a tooling image; `sh script.sh` still runs a script.
    let bare_shell = analysis
        .main
        .as_ref()
        .is_some_and(|m| NOT_SERVICES.contains(&m.name()) && m.script_path.is_none());
    let windows_program = analysis
        .main
        .as_ref()
        .is_some_and(|m| m.name().to_ascii_lowercase().ends_with(".exe"));
    // No program to signal: a keep-alive (`while :; do sleep 3600; done`, `sleep infinity`).
    let keep_alive = analysis
        .main
        .as_ref()
        .is_none_or(|m| KEEP_ALIVE.contains(&m.name()));
    // A one-off migration (`sh -c "python manage.py migrate"`) is not a server to drain; where it
    // runs is SL601's business.
    let migration = analysis
        .main
        .as_ref()
        .is_some_and(|m| m.migration.is_some());
    let dev_server = analysis
        .main
        .as_ref()
        .is_some_and(|m| is_dev_server(&m.argv));
    if bare_shell || windows_program || keep_alive || migration || dev_server {
        return;
    }
    let program = analysis.main.as_ref().map(|m| m.name().to_string());
    let program = program.map_or_else(|| "the app".to_string(), |p| format!("`{p}`"));
    let Some(source) = command.source(shell.source) else {
        return;
    };
    let location = if shell.synthesized {
        source.location
    } else {
        shell.payload
    };
    // The command comes from a Dockerfile the workload runs (compose `build:`, fly.toml, a
    // Kubernetes image built in the scan): the finding is about the image, worded as for the
    // image itself so it merges with the Dockerfile's own finding, and labels who runs it.
    let inherited = crate::rules::written_in_image(cx.files, workload, location.file);
    let assumed = if shell.assumed { ", assumed" } else { "" };
    let shell_named = format!("`{} -c` ({}{assumed})", shell.program, shell.family.name());
    let payload_text = command
        .all_words()
        .find(|w| w.full_location() == shell.payload)
        .map_or("", |w| w.as_str());
    let not_json = shell.synthesized && payload_text.trim_start().starts_with('[');
    let signal = if inherited {
        image_signal(model, process).unwrap_or_else(|| workload.stop_signal_for(process).value)
    } else {
        workload.stop_signal_for(process).value
    };
    let signal_name = signal_name(&signal);
    // A wrapper in front of the shell that passes the signal on (`ENTRYPOINT ["tini", "--"]`
    // with a shell-form CMD): it, not the shell, is the process the platform signals. Behind
    // compose's `init: true` it is tini's child: tini passes the signal to it, and it is the
    // one that passes it to the shell (or its group).
    let forwarder = analysis.forwarder.filter(|_| {
        inherited
            || matches!(
                stop,
                Stop::Pid1
                    | Stop::Tini(_)
                    | Stop::Fly
                    | Stop::Systemd { mode: "mixed" | "process", .. }
            )
    });
    // The forwarder sends another signal than the one it gets (`dumb-init --rewrite 15:2`):
    // not modelled, nothing is claimed.
    if forwarder.is_some() && rewrites(analysis, &signal) {
        return;
    }
    // systemd's KillMode=none hands stopping to ExecStop=, whose $MAINPID is then the
    // forwarder: what it sends is not known.
    if analysis.forwarder.is_some()
        && forwarder.is_none()
        && matches!(stop, Stop::Systemd { .. })
    {
        return;
    }
    let behind = forwarder.map_or_else(|| " as PID 1".to_string(), |f| format!(" behind {f}"));
    // What happens to the program behind a forwarder (or compose's `init: true` tini) depends
    // on the signal and on whom the forwarder passes it to: a shell dies of SIGTERM at once,
    // and the forwarder exits with its child, in either mode; it waits for its child on
    // SIGINT and ignores SIGWINCH, so the program drains when the forwarder signals the whole
    // group, and never gets the signal when only the shell does.
    let on = on_signal(&signal, Some(shell.family));
    let init = match (&stop, forwarder) {
        // compose's tini in front of the image's init: if tini signals the whole group, the
        // program may get the signal from it as well.
        (Stop::Tini(_), Some(f))
            if !inherited
                && passes("tini", None, process).is_some_and(|p| p.relay == Relay::Group) =>
        {
            Some((f, passes(f, Some(analysis), process).filter(|p| p.relay == Relay::Group)))
        }
        (_, Some(f)) => Some((f, passes(f, Some(analysis), process))),
        (Stop::Tini(_), None) if !inherited => Some(("tini", passes("tini", None, process))),
        _ => None,
    };
    let outcome = match &init {
        None => Some(format!("; {signal_name} never reaches {program}")),
        Some((f, passes)) => {
            behind_outcome(f, on, passes.as_ref(), &signal_name, &program).map(|o| format!(": {o}"))
        }
    };
    // systemd's KillMode=process signals the forwarder alone and leaves the rest running: the
    // program is left behind when the forwarder passes the signal to the shell alone.
    let process_mode = matches!(stop, Stop::Systemd { mode: "process", .. }) && !inherited;
    let outcome = match (outcome, &init) {
        _ if not_json => String::new(),
        (Some(_), Some((f, Some(Passes { relay: Relay::Child, why })))) if process_mode => {
            if on != OnSignal::Exits {
                return;
            }
            format!(
                ": {f} passes {signal_name} to the shell alone ({why}), and the shell exits at once: {program} never gets {signal_name} and keeps running after the unit stops"
            )
        }
        (Some(_), Some(_)) if process_mode => return,
        (Some(o), _) => o,
        (None, _) => return,
    };
    let message = if not_json {
        format!(
            "{} is not a valid JSON array (JSON needs double quotes), so Docker runs it in shell form under {} ({}{assumed}){behind}",
            source.what,
            shell.program,
            shell.family.name()
        )
    } else if shell.synthesized && source.form == Form::Shell {
        format!(
            "{} in shell form runs under {} ({}{assumed}){behind}{outcome}",
            source.what,
            shell.program,
            shell.family.name()
        )
    } else if let (Some(f), false) = (forwarder, inherited) {
        match &stop {
            Stop::Systemd { mode, .. } => {
                let sends = if *mode == "mixed" {
                    format!("to which KillMode=mixed sends {signal_name} alone")
                } else {
                    "which KillMode=process signals alone".to_string()
                };
                format!("{shell_named} runs behind {f}, the unit's main process, {sends}{outcome}")
            }
            Stop::Fly => {
                let default = if workload.stop_signal.is_none() {
                    ", Fly's default kill_signal"
                } else {
                    ""
                };
                format!("{shell_named} runs behind {f}, the process Fly stops with {signal_name}{default}{outcome}")
            }
            _ => format!("{shell_named} runs{behind}{outcome}"),
        }
    } else if forwarder.is_some() {
        format!("{shell_named} runs{behind}{outcome}")
    } else if inherited {
        format!("{shell_named} stays PID 1; {signal_name} never reaches {program}")
    } else {
        match &stop {
            Stop::Pid1 => format!("{shell_named} stays PID 1; {signal_name} never reaches {program}"),
            Stop::Tini(_) if on == OnSignal::Exits => format!(
                "{shell_named} keeps {program} as its child: `init: true` runs tini, which signals the shell; the shell exits on {signal_name} at once and tini exits with it, so {program} is killed before it has drained"
            ),
            Stop::Tini(_) => format!(
                "{shell_named} keeps {program} as its child: `init: true` runs tini{outcome}"
            ),
            Stop::Systemd { mode: "mixed", .. } => format!(
                "{shell_named} is the unit's main process and KillMode=mixed sends {signal_name} only to it: {program} gets SIGKILL once the shell exits, without draining"
            ),
            Stop::Systemd { mode: "process", .. } => format!(
                "{shell_named} is the unit's main process and KillMode=process signals only it: {program} never gets {signal_name} and keeps running after the unit stops"
            ),
            Stop::Systemd { .. } => format!(
                "{shell_named} is the unit's main process and KillMode=none leaves stopping to ExecStop=, whose $MAINPID is the shell: {program} never gets the signal"
            ),
            Stop::Fly => {
                let default = if workload.stop_signal.is_none() {
                    ", Fly's default kill_signal"
                } else {
                    ""
                };
                if signal == Signal::Kill {
                    format!("{shell_named} is the process Fly signals, and it does not pass the signal on: {program} never gets it")
                } else {
                    format!(
                        "{shell_named} is the process Fly stops with {signal_name}{default}, and it does not pass the signal on: {program} never gets it"
                    )
                }
            }
        }
    };
    let diagnostic = out.report_about(workload, location, message);
    diagnostic.primary(why.clone());
    if let Some(reason_location) = shell.reason_location {
        if reason_location.file == location.file && reason_location != location {
            diagnostic.label(reason_location, shell.reason.clone());
        }
    }
    if inherited {
        if let Some((at, mut label)) = image_user(cx.files, workload, process) {
            let own = workload.stop_signal_for(process).value;
            if own != signal {
                label.push_str(&format!(" and stops it with {}", own.name()));
            }
            diagnostic.label(at, label);
        }
    } else if let Some(inherited_from) = &source.inherited_from {
        if source.location != location {
            diagnostic.label(source.location, format!("inherited from {inherited_from}"));
        }
    }
    match &stop {
        Stop::Tini(Some(at)) => match forwarder {
            Some(f) => {
                diagnostic.label(
                    *at,
                    format!("compose's tini passes the signal to {f}, its child, and exits when it does"),
                );
            }
            _ => {
                diagnostic.label(*at, "tini's child is the shell, and tini exits when it does");
            }
        },
        Stop::Systemd {
            mode,
            at,
            mainpid_stops,
        } => {
            if let Some(at) = at {
                let main = forwarder.unwrap_or("the shell");
                let text = match *mode {
                    "mixed" => format!("KillMode=mixed: {signal_name} to the main process ({main}), SIGKILL to the rest"),
                    "process" => format!("KillMode=process signals only the main process: {main}"),
                    _ => "KillMode=none: systemd signals no process itself".to_string(),
                };
                diagnostic.label(*at, text);
            }
            if *mode == "none" {
                for stop_at in mainpid_stops {
                    diagnostic.label(*stop_at, "$MAINPID is the shell");
                }
            }
        }
        Stop::Fly => {
            if let Some(at) = workload.stop_signal.as_ref().and_then(|s| s.location) {
                if at.file == location.file && !inherited {
                    diagnostic.label(at, "the signal Fly sends");
                }
            }
        }
        _ => {}
    }
    if not_json {
        diagnostic.help(format!(
            "write the exec form with double quotes: {} {}",
            source.what,
            payload_text.replace('\'', "\"")
        ));
        return;
    }
    let pipeline = why == "the last command is a pipeline";
    let help = if pipeline {
        "drop the pipe (write logs to stdout and let the platform collect them) and start the server with `exec`, so it replaces the shell and receives the stop signal".to_string()
    } else if inherited
        || (forwarder.is_some() && matches!(stop, Stop::Pid1))
        // A subshell or builtins after the server: the help says what to do about them.
        || (shell.tail != ShellTail::Last && !matches!(stop, Stop::Systemd { .. }))
    {
        help(source.what, shell.synthesized, analysis)
    } else {
        match &stop {
            Stop::Pid1 if workload.platform != Platform::Compose => {
                help(source.what, shell.synthesized, analysis)
            }
            Stop::Pid1 | Stop::Tini(_) => format!(
                "end the string with `exec` (`sh -c \"… && exec server\"`) so the server replaces the shell, or give the server as the `command` list without `sh -c` (compose never runs `command` through a shell){}",
                if matches!(stop, Stop::Tini(_)) { "; `init: true` alone does not help" } else { "" }
            ),
            Stop::Systemd { mode: "none", .. } => "remove KillMode=none (the default control-group sends the stop signal to every process of the unit), or end the string with `exec` so the server is $MAINPID".into(),
            Stop::Systemd { .. } => "end the string with `exec` (`… && exec server`) so the server becomes the main process, or run the server directly in ExecStart= with the steps before it in ExecStartPre=; or drop KillMode= (the default control-group signals every process of the unit)".into(),
            Stop::Fly => "end the string with `exec` (`sh -c '… && exec server'`), or give the server directly as the process command (Fly splits it into words, no shell needed) and run one-off steps such as migrations in `[deploy] release_command`".into(),
        }
    };
    diagnostic.help(help);
}

/// What a shell waiting for its foreground child does when the stop signal reaches it alone
/// (measured with dash 0.5.12, bash 5.2 and busybox 1.35 ash, each run by tini, dumb-init and
/// catatonit as PID 1 of a PID namespace).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnSignal {
    /// It dies of it at once (the default action is to terminate, and the shell does not
    /// handle it): SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGALRM, SIGPWR, real-time signals; dash
    /// also on SIGQUIT.
    Exits,
    /// It stays until the child exits: SIGINT is put off while a foreground child runs,
    /// SIGWINCH and SIGURG are ignored by default, bash and ash ignore SIGQUIT.
    Stays,
    /// Not measured (SIGKILL kills the forwarder itself): nothing is claimed.
    Unknown,
}

/// How `family` (the shell's, when known) reacts to `signal`.
pub(crate) fn on_signal(signal: &Signal, family: Option<ShellFamily>) -> OnSignal {
    match signal {
        Signal::Term | Signal::Hup | Signal::Usr1 | Signal::Usr2 => OnSignal::Exits,
        Signal::Int | Signal::Winch => OnSignal::Stays,
        Signal::Quit => match family {
            Some(ShellFamily::Dash) => OnSignal::Exits,
            Some(ShellFamily::Bash | ShellFamily::OldBash | ShellFamily::Busybox) => OnSignal::Stays,
            _ => OnSignal::Unknown,
        },
        Signal::Other(name) => match name.as_str() {
            "ALRM" | "PWR" => OnSignal::Exits,
            "URG" => OnSignal::Stays,
            _ if name.starts_with("RTMIN") || name.starts_with("RTMAX") => OnSignal::Exits,
            _ => OnSignal::Unknown,
        },
        Signal::Kill | Signal::Unknown(_) => OnSignal::Unknown,
    }
}

/// Whom an init forwarder passes the stop signal to, and why, for a message.
pub(crate) struct Passes {
    pub relay: Relay,
    /// "its default; `-g` or TINI_KILL_PROCESS_GROUP would signal the whole group".
    pub why: String,
}

/// Whom `forwarder` passes the signal to: its options (`analysis.relay`), else the environment
/// switches it sees (an `env NAME=VALUE` wrapper in front of it, else the process's
/// environment), else its documented default (tini(1), catatonit -h, dumb-init(1)).
/// `analysis` is `None` for compose's `init: true`, whose tini takes no options. `None` for
/// forwarders that are not container inits (sudo, `uv run`), and where what the init does is
/// not known (an `env` option not modelled, another init in front that may signal the group).
pub(crate) fn passes(
    forwarder: &str,
    analysis: Option<&CommandAnalysis>,
    process: &Process,
) -> Option<Passes> {
    let relay = analysis.and_then(|a| a.relay);
    let init_env = analysis.and_then(|a| a.init_env.as_deref());
    let var = |name: &str| InitEnv::var(init_env, name, process.env_var(name));
    let (relay, why) = match (forwarder, relay) {
        ("tini" | "catatonit", Some(Relay::Group)) => (Relay::Group, "`-g`".to_string()),
        ("dumb-init", Some(Relay::Child)) => (Relay::Child, "`-c`".to_string()),
        ("tini", _) => match var("TINI_KILL_PROCESS_GROUP") {
            InitVar::Unsure => return None,
            InitVar::Set(_) => (
                Relay::Group,
                "TINI_KILL_PROCESS_GROUP is set".to_string(),
            ),
            InitVar::Unset => (
                Relay::Child,
                if analysis.is_some() {
                    "its default; `-g` or TINI_KILL_PROCESS_GROUP would signal the whole group"
                } else {
                    "its default; TINI_KILL_PROCESS_GROUP would signal the whole group"
                }
                .to_string(),
            ),
        },
        ("catatonit", _) => (
            Relay::Child,
            "its default; `-g` would signal the whole group".to_string(),
        ),
        ("dumb-init", _) => match var("DUMB_INIT_SETSID") {
            InitVar::Unsure => return None,
            InitVar::Set(Some("0")) => (Relay::Child, "DUMB_INIT_SETSID=0".to_string()),
            _ => (Relay::Group, "its default".to_string()),
        },
        _ => return None,
    };
    // An init in front of this one passes the signal to it; if it signals the whole group,
    // the program may get the signal from it too.
    if relay == Relay::Child && analysis.is_some_and(|a| a.outer_init) {
        return None;
    }
    Some(Passes { relay, why })
}

/// Whether the forwarder turns the stop signal into another one, or drops it (dumb-init's
/// `--rewrite s:r`): what the shell and the program get is then not the stop signal, and
/// nothing is claimed. A value not understood counts as rewriting it.
pub(crate) fn rewrites(analysis: &CommandAnalysis, signal: &Signal) -> bool {
    analysis.rewrites.iter().any(|r| {
        let from = r.split(':').next().and_then(Signal::parse);
        match from {
            Some(Signal::Other(_) | Signal::Unknown(_)) | None => true,
            Some(from) => from == *signal || matches!(signal, Signal::Other(_) | Signal::Unknown(_)),
        }
    })
}

/// What happens to `program` behind `forwarder` when `signal` reaches it, or `None` where the
/// shell is no fault: the forwarder signals the whole group and the shell waits for the
/// program (SIGINT, SIGWINCH), or nothing measured says.
pub(crate) fn behind_outcome(
    forwarder: &str,
    on: OnSignal,
    passes: Option<&Passes>,
    signal_name: &str,
    program: &str,
) -> Option<String> {
    match (on, passes) {
        (OnSignal::Exits, _) => Some(format!(
            "the shell exits on {signal_name} at once and {forwarder} exits with it, so {program} is killed before it has drained"
        )),
        (
            OnSignal::Stays,
            Some(Passes {
                relay: Relay::Child,
                why,
            }),
        ) => Some(format!(
            "{forwarder} passes {signal_name} to the shell alone ({why}), and the shell does not exit on {signal_name} while {program} runs, so {program} never gets it and is killed when the stop timeout ends"
        )),
        _ => None,
    }
}

/// How a message names the stop signal (a stop signal of SIGKILL is "the stop signal").
pub(crate) fn signal_name(signal: &Signal) -> String {
    if *signal == Signal::Kill {
        "the stop signal".to_string()
    } else {
        signal.name()
    }
}

/// A development server with auto-reload (`manage.py runserver`, `uvicorn --reload`,
/// `nodemon`): a local dev setup, not something deployed and drained.
pub(crate) fn is_dev_server(argv: &crate::analysis::Argv) -> bool {
    argv.iter().any(|a| a == "runserver" || a == "--reload")
        || argv
            .first()
            .is_some_and(|p| crate::shell::commands::program_name(p) == "nodemon")
}

/// The stop signal of the image a process runs, as its own Dockerfile sets it.
pub(crate) fn image_signal(model: &Model, process: &Process) -> Option<Signal> {
    let image = model.images.get(process.image?)?;
    let own = model.workloads.get(image.workload)?;
    Some(own.effective_stop_signal().value)
}

/// Who runs an image built in the scan, for a label on a finding inside its Dockerfile: the
/// compose `build:`, the Kubernetes container's `image:`, the fly.toml.
pub(crate) fn image_user(
    files: &crate::source::Files,
    workload: &Workload,
    process: &Process,
) -> Option<(Location, String)> {
    if let Some(compose) = &workload.compose {
        let build = compose.build.as_ref()?;
        return Some((
            build.location,
            format!(
                "compose service `{}` builds and runs this image",
                compose.name
            ),
        ));
    }
    if let Some(image) = process.container.as_ref().and_then(|c| c.image.as_ref()) {
        return Some((
            image.location?,
            format!("container `{}` runs this image", process.name),
        ));
    }
    if workload.platform == Platform::Fly {
        let at = workload
            .dockerfile_ref
            .as_ref()
            .and_then(|d| d.location)
            .or_else(|| workload.process_type.as_ref().and_then(|p| p.location))
            .unwrap_or_else(|| fly_anchor(files, workload.location));
        let who = workload
            .process_type
            .as_ref()
            .map_or("the Fly app".to_string(), |p| {
                format!("Fly process group `{}`", p.value)
            });
        return Some((at, format!("{who} runs this image")));
    }
    None
}

/// Where a fly.toml says which image it runs when nothing names the Dockerfile: its `[build]`
/// table, else its `app = …` line, else the first line.
fn fly_anchor(files: &crate::source::Files, anchor: Location) -> Location {
    let text = files.text(anchor.file);
    let text = &*text;
    let mut offset = 0;
    let mut app = None;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_end();
        let start = offset + (line.len() - line.trim_start().len());
        let span = crate::span::Span::new(start, offset + trimmed.len());
        if trimmed.trim_start() == "[build]" {
            return Location::new(anchor.file, span);
        }
        if app.is_none() && trimmed.trim_start().starts_with("app") && trimmed.contains('=') {
            app = Some(Location::new(anchor.file, span));
        }
        offset += line.len();
    }
    app.unwrap_or(Location::new(
        anchor.file,
        crate::span::Span::new(0, text.find('\n').unwrap_or(text.len())),
    ))
}

fn help(what: &str, synthesized: bool, analysis: &CommandAnalysis) -> String {
    // The program alone, in exec form, is the fix where the shell only stays because it is
    // dash or because of the subshell around the program.
    let plain = analysis.shell.as_ref().is_some_and(|s| {
        matches!(&s.outcome, ShellOutcome::Stays { why } if why.starts_with("dash"))
            || s.tail == ShellTail::Subshell
    });
    let tail = analysis.shell.as_ref().map_or(ShellTail::Last, |s| s.tail);
    let exec_form = analysis.main.as_ref().filter(|m| {
        plain
            && !analysis.runs_before
            && m.argv.iter().all(|a| !a.contains('$') && !a.contains('"'))
    });
    match exec_form {
        Some(main) if synthesized => {
            let words: Vec<String> = main.argv.iter().map(|a| format!("\"{a}\"")).collect();
            let role = match analysis.forwarder {
                Some(f) => format!("{f} starts {} directly", main.name()),
                None => format!("{} is PID 1", main.name()),
            };
            format!("use exec form so {role}: {what} [{}]", words.join(", "))
        }
        _ => match tail {
            ShellTail::Subshell => "drop the parentheses and start the server with `exec` (`… && exec server`) so it replaces the shell: the shell waits for a subshell, even one that execs the server; or run the server directly in exec form".into(),
            ShellTail::FollowedByBuiltins => "start the server with `exec` so it replaces the shell and receives the stop signal (the commands after it then never run: to run something once the server stops, trap the signal in a script and pass it on), or run the server directly in exec form".into(),
            ShellTail::Last => "start the last command with `exec` (`… && exec server`) so it replaces the shell, or run the server directly in exec form".into(),
        },
    }
}
