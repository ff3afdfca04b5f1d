//! Procfiles: `name: command` lines, then lowering (each command through `bash -c`) and the
//! command analysis.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shutdownlint::formats::{procfile, Fragment};
use shutdownlint::source::FileId;
use shutdownlint_fuzz::{check_fragment, check_mapped, check_span, text};

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    let parsed = procfile::parse(&text);
    for problem in &parsed.problems {
        check_span(&text, problem.span, "problem");
    }
    for entry in &parsed.entries {
        check_span(&text, entry.name_span, "name");
        check_span(&text, entry.command_span, "command");
        check_span(&text, entry.span, "entry");
        check_mapped(&text, &entry.command, "command");
    }
    let _ = parsed.get("web");
    let mut fragment = Fragment::default();
    shutdownlint::lower::procfile::lower(FileId(0), &parsed, Some(30.0), &mut fragment);
    check_fragment(&text, &fragment);
});
