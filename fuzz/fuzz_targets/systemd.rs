//! systemd units and drop-ins: sections, continuations, comments, repeated keys, empty
//! resets, and the typed settings (time spans, signals, Exec lines, Environment).
//! A line `--dropin--` splits the input into a unit and a drop-in that is merged over it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shutdownlint::formats::systemd::{self, Unit};
use shutdownlint_fuzz::{check_mapped, check_span, text};

fn check_unit(text: &str, unit: &Unit) {
    for problem in &unit.problems {
        check_span(text, problem.span, "problem");
    }
    for section in &unit.sections {
        check_span(text, section.header_span, "section header");
        for entry in &section.entries {
            check_span(text, entry.key_span, "key");
            check_span(text, entry.span, "entry");
            check_span(text, entry.value_span(), "value");
            check_mapped(text, &entry.value, "value");
            let _ = systemd::key_kind(&entry.key);
            let _ = systemd::parse_timespan(entry.value());
            let _ = systemd::parse_boolean(entry.value());
            let _ = systemd::parse_exec(&entry.value);
            let _ = systemd::parse_environment(&entry.value);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    let (unit_text, dropin_text) = match text.split_once("\n--dropin--\n") {
        Some((unit, dropin)) => (unit, Some(dropin)),
        None => (text.as_str(), None),
    };
    let unit = systemd::parse(unit_text);
    check_unit(unit_text, &unit);
    let dropin = dropin_text.map(|t| {
        let parsed = systemd::parse(t);
        check_unit(t, &parsed);
        parsed
    });
    let dropins: Vec<(&str, &Unit)> = dropin.iter().map(|d| ("10-override.conf", d)).collect();
    let effective = systemd::merge(&unit, &dropins);
    let _ = effective.is_service();
    let _ = effective.effective_service_type();
    let _ = (effective.kill_mode(), effective.kill_signal());
    let _ = (effective.final_kill_signal(), effective.send_sigkill());
    let _ = (effective.timeout_stop(), effective.timeout_start());
    let _ = effective.restart();
    for exec in effective
        .exec_start()
        .iter()
        .chain(effective.exec_stop().iter())
    {
        let _ = exec.value.program();
    }
    let _ = effective.environment();
    let _ = effective.env_var("GRACEFUL_TIMEOUT");
    let _ = effective.environment_files();
    let _ = effective.check();
    if let Some(stop) = effective.timeout_stop() {
        let _ = stop.value.as_secs_f64();
    }
});
