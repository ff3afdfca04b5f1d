//! SL104 stop-signal-kill: the stop signal is SIGKILL, which no process can handle: Dockerfile
//! `STOPSIGNAL`, compose `stop_signal`, systemd `KillSignal=` (or an `ExecStop=` that runs
//! `kill -9`), fly.toml `kill_signal`.

use crate::model::{Platform, Signal, Workload};
use crate::rules::{Reporter, RuleContext};
use crate::shell::commands;

pub fn check(cx: &RuleContext<'_>, out: &mut Reporter<'_>) {
    for workload in cx.workloads {
        if let Some(systemd) = &workload.systemd {
            for (argv, location) in &systemd.exec_stop {
                let Some(written) = sigkill_command(argv) else {
                    continue;
                };
                let diagnostic = out.report(
                    *location,
                    format!(
                        "{}: ExecStop= stops the service with SIGKILL (`{written}`): it cannot catch it, so every stop or restart kills it mid-request with no time to drain",
                        workload.name
                    ),
                );
                diagnostic.primary("sends SIGKILL");
                diagnostic.help("remove this ExecStop= (systemd then sends KillSignal=, SIGTERM by default, and SIGKILL only after TimeoutStopSec=), or send SIGTERM and wait for the process to exit");
            }
        }
        let Some(signal) = &workload.stop_signal else {
            continue;
        };
        let (Signal::Kill, Some(location)) = (&signal.value, signal.location) else {
            continue;
        };
        // A compose service, fly app or pod that inherits `STOPSIGNAL SIGKILL` from its
        // Dockerfile: the Dockerfile's own finding covers it. (A systemd unit's signal is its
        // own even when a drop-in, another file, replaced its ExecStart=.)
        if workload.platform != Platform::Systemd
            && crate::rules::written_in_image(cx.files, workload, location.file)
        {
            continue;
        }
        let text = cx.files.text(location.file);
        let text = &*text;
        let written = text
            .get(location.span.start..location.span.end)
            // A compose merge tag (`!override SIGKILL`) is not part of the value.
            .map(|w| match w.trim().strip_prefix('!') {
                Some(tagged) => tagged.split_once(char::is_whitespace).map_or("", |(_, v)| v),
                None => w,
            })
            .map(|w| w.trim().trim_matches(['"', '\'']))
            .filter(|w| !w.is_empty() && !w.contains('\n'))
            .unwrap_or("SIGKILL");
        let (message, help) = wording(workload, written);
        let diagnostic = out.report_about(workload, location, message);
        diagnostic.primary("SIGKILL cannot be handled");
        diagnostic.help(help);
    }
}

fn wording(workload: &Workload, written: &str) -> (String, &'static str) {
    match workload.platform {
        Platform::Compose => (
            format!(
                "{}: `stop_signal: {written}` kills the container outright on every `docker compose stop`, `down` or redeploy: it cannot catch the signal, so in-flight work is cut with no time to drain",
                workload.name
            ),
            "remove stop_signal (compose then sends the image's STOPSIGNAL, SIGTERM by default, and SIGKILL only after stop_grace_period), or set the server's graceful signal (SIGQUIT for nginx)",
        ),
        Platform::Systemd => (
            format!(
                "{}: KillSignal={written} kills the service outright on every stop and restart: it cannot catch the signal, so in-flight work is cut with no time to drain",
                workload.name
            ),
            "remove KillSignal= (SIGTERM is the default; systemd sends SIGKILL itself after TimeoutStopSec=), or set the server's graceful signal (SIGQUIT for nginx)",
        ),
        Platform::Fly => (
            format!("kill_signal = \"{written}\" kills the Machine's process outright on every deploy, restart and scale-down: it cannot catch the signal, so in-flight requests are cut with no time to drain"),
            "set kill_signal = \"SIGTERM\" (or the server's graceful signal, e.g. \"SIGQUIT\" for nginx) and a kill_timeout long enough to drain; Fly sends SIGKILL after kill_timeout anyway",
        ),
        _ => (
            "the stop signal is SIGKILL: the process cannot catch it, so every stop kills it mid-request with no time to drain".to_string(),
            "remove STOPSIGNAL (SIGTERM is the default) or set the server's graceful signal (SIGQUIT for nginx)",
        ),
    }
}

/// The kill command of an `ExecStop=` line (directly or inside `sh -c '…'`) that sends SIGKILL,
/// as written.
fn sigkill_command(argv: &[String]) -> Option<String> {
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();
    if let Some((signal, _)) = commands::kill_signal_args(&words) {
        return (signal.to_string() == "SIGKILL").then(|| {
            let start = commands::unwrap_wrappers(&words).rest.min(words.len());
            words[start..].join(" ")
        });
    }
    let shell = commands::shell_c(&words)?;
    let payload = words.get(shell.payload_index)?;
    let script = crate::shell::parse(payload).ok()?;
    let found = crate::shell::all_simple_commands(&script).find_map(|command| {
        let argv = command.argv();
        let (signal, _) = commands::kill_signal_args(&argv)?;
        (signal.to_string() == "SIGKILL").then(|| argv.join(" "))
    });
    found
}
