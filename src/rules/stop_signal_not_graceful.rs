//! SL106 stop-signal-not-graceful: the platform's stop signal is one the recognised server treats
//! as a fast (dropping) shutdown.
//!
//! Signal tables, from each server's documentation: nginx and OpenResty (graceful QUIT; TERM and
//! INT fast, nginx.org "Controlling nginx"), gunicorn (graceful TERM; INT and QUIT quick,
//! gunicorn "Signal Handling"), php-fpm (graceful QUIT; TERM and INT immediate, php-fpm(8)),
//! unicorn (graceful QUIT; TERM and INT quick, unicorn SIGNALS), Apache httpd (graceful-stop
//! WINCH; TERM stops now, httpd "Stopping and Restarting"), celery (warm TERM; QUIT cold).
//! uvicorn, hypercorn, puma and sidekiq handle SIGINT like SIGTERM (graceful), so fly.toml's
//! default SIGINT is fine for them.
//!
//! Where the signal comes from: Dockerfile `STOPSIGNAL` (else the base image's, else SIGTERM),
//! Kubernetes `lifecycle.stopSignal` (else the image's), compose `stop_signal` (else the image's),
//! systemd `KillSignal=` (SIGTERM) unless `ExecStop=` stops the service, fly.toml `kill_signal`
//! (SIGINT). Procfiles are not checked: Heroku sends SIGTERM to every process and the signal
//! cannot be changed.

use crate::diagnostic::Location;
use crate::model::{Fact, Platform, Process, ProcessRole, ShellFamily, Signal, Workload};
use crate::rules::{Reporter, RuleContext};
use crate::shell::commands::{self, ServerKind};

/// The graceful signal of a server and the signals it treats as a fast shutdown.
fn table(server: ServerKind) -> Option<(Signal, &'static [Signal])> {
    Some(match server {
        ServerKind::Nginx => (Signal::Quit, &[Signal::Term, Signal::Int]),
        ServerKind::Gunicorn => (Signal::Term, &[Signal::Int, Signal::Quit]),
        ServerKind::PhpFpm => (Signal::Quit, &[Signal::Term, Signal::Int]),
        ServerKind::Unicorn => (Signal::Quit, &[Signal::Term, Signal::Int]),
        ServerKind::Apache => (Signal::Winch, &[Signal::Term]),
        ServerKind::CeleryWorker => (Signal::Term, &[Signal::Quit]),
        _ => return None,
    })
}

/// What one `ExecStop=` command does to the service.
struct StopCommand {
    signal: Signal,
    /// The command waits for the process to exit (`start-stop-daemon --stop --retry …`); an
    /// asynchronous one (`kill -s QUIT $MAINPID`, `nginx -s quit`) returns at once, and systemd
    /// then sends `KillSignal=` to what is left.
    waits: bool,
    location: Location,
}

fn model_signal(signal: commands::Signal) -> Option<Signal> {
    Signal::parse(&signal.to_string())
}

/// The signal an `ExecStop=` command line sends, when it is a recognised stop command.
fn stop_command(argv: &[String], location: Location) -> Option<StopCommand> {
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();
    let unwrapped = commands::unwrap_wrappers(&words);
    let rest = words.get(unwrapped.rest..)?;
    let program = commands::program_name(rest.first()?);
    let stop = |signal: Signal, waits: bool| {
        Some(StopCommand {
            signal,
            waits,
            location,
        })
    };
    match program {
        "kill" | "pkill" | "killall" => {
            // `killall -w` waits for the processes to die.
            let waits = program == "killall"
                && rest.iter().any(|w| {
                    *w == "--wait"
                        || (w.starts_with('-') && !w.starts_with("--") && w.contains('w'))
                });
            match commands::kill_signal_args(&words) {
                Some((signal, _)) => stop(model_signal(signal)?, waits),
                // `kill -l` lists signals; anything else without a signal sends SIGTERM.
                None if rest
                    .iter()
                    .any(|w| matches!(*w, "-l" | "-L" | "--list" | "--table")) =>
                {
                    None
                }
                None => stop(Signal::Term, waits),
            }
        }
        "start-stop-daemon" => {
            let mut signal = Signal::Term;
            let mut retry: Option<&str> = None;
            let mut stopping = false;
            let mut i = 1;
            while let Some(word) = rest.get(i) {
                let (option, inline) = match word.split_once('=') {
                    Some((o, v)) if o.starts_with("--") => (o, Some(v)),
                    _ => (*word, None),
                };
                let mut value = || {
                    inline.or_else(|| {
                        i += 1;
                        rest.get(i).copied()
                    })
                };
                match option {
                    "-K" | "--stop" => stopping = true,
                    "-s" | "--signal" => signal = Signal::parse(value()?)?,
                    "-R" | "--retry" => retry = value(),
                    _ => {}
                }
                i += 1;
            }
            if !stopping {
                return None;
            }
            match retry {
                // `--retry 5` repeats `--signal` (SIGTERM) and waits; a schedule names its own.
                Some(schedule) => {
                    let first = schedule.split('/').next().unwrap_or("");
                    if !first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()) {
                        stop(signal, true)
                    } else {
                        stop(Signal::parse(first)?, true)
                    }
                }
                None => stop(signal, false),
            }
        }
        "nginx" | "openresty" => {
            let at = rest.iter().position(|w| *w == "-s")?;
            match *rest.get(at + 1)? {
                "quit" => stop(Signal::Quit, false),
                "stop" => stop(Signal::Term, false),
                _ => None,
            }
        }
        "apachectl" | "apache2ctl" | "httpd" | "apache2" => {
            if rest.contains(&"graceful-stop") {
                stop(Signal::Winch, false)
            } else if rest.contains(&"stop") {
                stop(Signal::Term, false)
            } else {
                None
            }
        }
        _ => {
            // `sh -c "kill -s QUIT $(cat /run/app.pid)"`: a single command in a shell.
            let shell = commands::shell_c(rest)?;
            let payload = rest.get(shell.payload_index)?;
            if payload.contains([';', '&', '|', '\n']) {
                return None;
            }
            let inner: Vec<String> = crate::shell::split_words(payload)
                .ok()?
                .into_iter()
                .map(|w| w.value)
                .collect();
            stop_command(&inner, location)
        }
    }
}

/// The signal that decides how the server stops, where it is written and how to describe it.
struct Decided {
    signal: Signal,
    /// Where to report (`None`: at the server).
    location: Option<Location>,
    origin: String,
    /// systemd: an ExecStop= that sends a graceful signal without waiting, and the
    /// `KillSignal=` setting that follows it (when written).
    async_stop: Option<(Signal, Option<Location>)>,
}

/// How a platform default is described.
fn default_origin(platform: Platform) -> &'static str {
    match platform {
        Platform::Docker => "Docker's default: no STOPSIGNAL is set",
        Platform::Kubernetes => "the default: neither the image nor the pod sets a stop signal",
        Platform::Compose => "the default: neither `stop_signal` nor the image's STOPSIGNAL is set",
        Platform::Systemd => "systemd's default: no `KillSignal=` is set",
        Platform::Fly => "Fly.io's default: fly.toml sets no `kill_signal`",
        Platform::Procfile => "the platform's signal",
    }
}

fn fact_origin(workload: &Workload, fact: &Fact<Signal>) -> (Option<Location>, String) {
    match (&fact.location, &fact.note) {
        (Some(location), Some(note)) => (Some(*location), note.clone()),
        (Some(location), None) => (Some(*location), "set here".to_string()),
        (None, _) => (None, default_origin(workload.platform).to_string()),
    }
}

/// The signal the server gets that decides how it stops: systemd's `ExecStop=` when it sends
/// one, else the platform's stop signal. `None` when it cannot be known (an unrecognised
/// ExecStop, which may well wait for a graceful exit).
fn decide(workload: &Workload, process: &Process, fast: &[Signal]) -> Option<Decided> {
    let kill_signal = workload.stop_signal_for(process);
    let exec_stop = workload.systemd.as_ref().map(|s| &s.exec_stop);
    // `KillMode=none`: systemd sends no signal at all, only ExecStop= runs.
    let kill_mode_none = workload
        .systemd
        .as_ref()
        .and_then(|s| s.kill_mode.as_ref())
        .is_some_and(|m| m.value == "none");
    let Some(exec_stop) = exec_stop.filter(|e| !e.is_empty()) else {
        if kill_mode_none {
            return None;
        }
        let (location, origin) = fact_origin(workload, &kill_signal);
        return Some(Decided {
            signal: kill_signal.value,
            location,
            origin,
            async_stop: None,
        });
    };
    let stops: Vec<StopCommand> = exec_stop
        .iter()
        .map(|(argv, location)| stop_command(argv, *location))
        .collect::<Option<_>>()?;
    let mut first_graceful: Option<&StopCommand> = None;
    for stop in &stops {
        if fast.contains(&stop.signal) {
            return Some(Decided {
                signal: stop.signal.clone(),
                location: Some(stop.location),
                origin: "sent by ExecStop".to_string(),
                async_stop: None,
            });
        }
        if stop.waits {
            return None;
        }
        first_graceful.get_or_insert(stop);
    }
    // Every ExecStop only sent a signal and returned: systemd sends KillSignal= right away.
    let first = first_graceful.filter(|_| !kill_mode_none)?;
    Some(Decided {
        signal: kill_signal.value.clone(),
        location: Some(first.location),
        origin: match (&kill_signal.location, &kill_signal.note) {
            (Some(_), Some(note)) => note.clone(),
            (Some(_), None) => "`KillSignal=`".to_string(),
            (None, _) => "its default `KillSignal=`".to_string(),
        },
        // An ignored `KillSignal=` line sets nothing: its note says so.
        async_stop: Some((
            first.signal.clone(),
            kill_signal.location.filter(|_| kill_signal.note.is_none()),
        )),
    })
}

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
        // Heroku sends SIGTERM to every process of a dyno; nothing in a Procfile changes it.
        if workload.platform == Platform::Procfile {
            continue;
        }
        for process in &workload.processes {
            let Some(main) = process.analysis.as_ref().and_then(|a| a.main.as_ref()) else {
                continue;
            };
            // Windows containers are not stopped with POSIX signals.
            if process.shell.family == ShellFamily::NotPosix {
                continue;
            }
            let Some(server) = main.server else {
                continue;
            };
            let Some((graceful, fast)) = table(server) else {
                continue;
            };
            if process.role == ProcessRole::Init {
                continue;
            }
            let Some(decided) = decide(workload, process, fast) else {
                continue;
            };
            if !fast.contains(&decided.signal) {
                continue;
            }
            // A platform that runs an image built in the scan and changes nothing about its
            // signal or command: the Dockerfile's own finding says it (once, at the same place).
            let dockerfile = cx.model.dockerfile_of(workload, process);
            let in_image = |location: Location| Some(location.file) == dockerfile;
            let signal_from_image = match decided.location {
                Some(location) => in_image(location),
                None => workload.platform.default_stop_signal() == Signal::Term,
            };
            if workload.platform != Platform::Docker
                && signal_from_image
                && in_image(main.name_location)
            {
                continue;
            }
            // Report where the signal is written in the workload's own file; a default or an
            // image's STOPSIGNAL is reported at the server it reaches.
            let (location, signal_label) = match decided.location {
                Some(location) if workload.platform == Platform::Docker || !in_image(location) => {
                    (location, None)
                }
                Some(location) => (main.name_location, Some(location)),
                None => (main.name_location, None),
            };
            let (message, primary) = match &decided.async_stop {
                Some((sent, _)) => (
                    format!(
                        "ExecStop sends {} to {server} but returns at once: systemd then sends {} ({}), which {server} treats as a fast shutdown: in-flight requests are dropped",
                        sent.name(),
                        decided.signal.name(),
                        decided.origin,
                        server = server.name(),
                    ),
                    format!("returns before {} has exited", server.name()),
                ),
                None => (
                    format!(
                        "{} is stopped with {} ({}), which it treats as a fast shutdown: in-flight requests are dropped",
                        server.name(),
                        decided.signal.name(),
                        decided.origin,
                    ),
                    format!(
                        "{} is not graceful for {}",
                        decided.signal.name(),
                        server.name()
                    ),
                ),
            };
            let diagnostic = out.report_about(workload, location, message);
            diagnostic.primary(primary);
            if let Some(at) = signal_label {
                diagnostic.label(at, format!("{} is set here", decided.signal.name()));
            }
            if let Some((_, Some(at))) = &decided.async_stop {
                diagnostic.label(*at, format!("{} is set here", decided.signal.name()));
            }
            if location != main.name_location
                && !main.name_location.span.contains(location.span.start)
                && !location.span.contains(main.name_location.span.start)
            {
                diagnostic.label(main.name_location, format!("{} runs here", server.name()));
            }
            let g = graceful.name();
            let how = match workload.platform {
                Platform::Kubernetes => format!(
                    "`STOPSIGNAL {g}` in the image, or `lifecycle: {{stopSignal: {g}}}` on the container (Kubernetes 1.33+)"
                ),
                Platform::Compose if dockerfile.is_some() && signal_from_image => {
                    format!("`stop_signal: {g}` on the service, or `STOPSIGNAL {g}` in its Dockerfile")
                }
                Platform::Compose => format!("`stop_signal: {g}` on the service"),
                Platform::Systemd if workload.systemd.as_ref().is_some_and(|s| !s.exec_stop.is_empty()) => format!(
                    "`KillSignal={g}` (and no ExecStop=), or an ExecStop= that waits for the exit, such as `start-stop-daemon --stop --retry {}/30 --pidfile …`",
                    g.trim_start_matches("SIG")
                ),
                Platform::Systemd => format!("`KillSignal={g}` in the [Service] section"),
                Platform::Fly => format!("`kill_signal = \"{g}\"` in fly.toml"),
                Platform::Docker | Platform::Procfile => format!("`STOPSIGNAL {g}`"),
            };
            diagnostic.help(format!("stop {} with {g}: {how}", server.name()));
        }
    }
}
