//! SL000 parse-error: a recognised file that cannot be parsed. Reported by the parse stage (the
//! file's rules cannot run on it), so `check` has nothing to do over the model.

use crate::diagnostic::{Diagnostic, Location};
use crate::rules::{Reporter, RuleContext};

pub fn check(_cx: &RuleContext<'_>, _out: &mut Reporter<'_>) {}

/// The SL000 finding for a parser's error at `location`: the file's other rules cannot run.
pub fn diagnostic(location: Location, message: &str) -> Diagnostic {
    let mut d = finding(location, message);
    if message.contains(crate::formats::yaml::OWN_LIMIT) {
        d.help("shutdownlint stops at this limit so that no file can cost it minutes or gigabytes, and no other rule can check the file; split it into smaller files or documents, or exclude it (`exclude` in .shutdownlint.toml)");
    } else {
        d.help("fix the syntax: the platform would reject this file too, and no other rule can check it");
    }
    d
}

/// The SL000 finding for a file that parses but that the platform refuses (a duplicate key, a
/// circular `extends`, a STOPSIGNAL that is no signal): the other rules still check the file.
pub fn problem(location: Location, message: &str) -> Diagnostic {
    let mut d = finding(location, message);
    if message.contains(crate::lower::dockerfile::BUILD_REFUSED) {
        d.help("write one signal, by name (SIGQUIT, QUIT, sigquit) or number (3): `docker build` stops at this line; the other rules still check the file, with no stop signal assumed");
    } else {
        d.help("fix it: the platform refuses the file as it is; the other rules still check what it says");
    }
    d
}

fn finding(location: Location, message: &str) -> Diagnostic {
    let severity = crate::rules::by_code("SL000").map_or(crate::diagnostic::Severity::Error, |r| r.severity);
    Diagnostic::new("SL000", severity, location, message)
}
