//! SL106 stop-signal-not-graceful: the platform's stop signal is one the recognised server treats
//! as a fast (dropping) shutdown.
//!
//! Signal tables, from each server's documentation: nginx and OpenResty (graceful QUIT; TERM and
//! INT fast, nginx.org "Controlling nginx"), gunicorn (graceful TERM; INT and QUIT quick,
//! gunicorn "Signal Handling"), php-fpm (graceful QUIT; TERM and INT immediate, php-fpm(8)),
//! unicorn (graceful QUIT; TERM and INT quick, unicorn SIGNALS), Apache httpd (graceful-stop
//! WINCH; TERM stops now, httpd "Stopping and Restarting"), celery (warm TERM; QUIT cold).

use crate::model::Signal;
use crate::rules::{Reporter, RuleContext};
use crate::shell::commands::ServerKind;

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

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in &cx.model.workloads {
        for process in &workload.processes {
            let Some(main) = process.analysis.as_ref().and_then(|a| a.main.as_ref()) else {
                continue;
            };
            // Windows containers are not stopped with POSIX signals.
            if process.shell.family == crate::model::ShellFamily::NotPosix {
                continue;
            }
            let Some(server) = main.server else {
                continue;
            };
            let Some((graceful, fast)) = table(server) else {
                continue;
            };
            if process.role == crate::model::ProcessRole::Init {
                continue;
            }
            let signal = workload.stop_signal_for(process);
            if !fast.contains(&signal.value) {
                continue;
            }
            let (location, origin) = match (&signal.location, &signal.note) {
                (Some(location), Some(note)) => (*location, note.clone()),
                (Some(location), None) => (*location, "set here".to_string()),
                (None, _) => (
                    main.name_location,
                    "the default, as nothing sets a stop signal".to_string(),
                ),
            };
            let diagnostic = out.report(
                location,
                format!(
                    "{} is stopped with {} ({origin}), which it treats as a fast shutdown: in-flight requests are dropped",
                    server.name(),
                    signal.value.name(),
                ),
            );
            diagnostic.primary(format!("{} is not graceful for {}", signal.value.name(), server.name()));
            if signal.location.is_some()
                && main.name_location.file == location.file
                && !main.name_location.span.contains(location.span.start)
                && !location.span.contains(main.name_location.span.start)
            {
                diagnostic.label(main.name_location, format!("{} runs here", server.name()));
            }
            let how = match workload.platform {
                crate::model::Platform::Kubernetes => format!(
                    "`STOPSIGNAL {0}` in the image, or `lifecycle: {{stopSignal: {0}}}` on the container (Kubernetes 1.33+)",
                    graceful.name()
                ),
                crate::model::Platform::Docker => format!("`STOPSIGNAL {}`", graceful.name()),
            };
            diagnostic.help(format!("stop {} with {}: {how}", server.name(), graceful.name()));
        }
    }
}
