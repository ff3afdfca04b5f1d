//! docker compose files: YAML, then services with commands, stop signals, grace periods,
//! healthchecks and `depends_on`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shutdownlint::formats::Fragment;
use shutdownlint::lower::compose;
use shutdownlint::lower::kubernetes::FileFacts;
use shutdownlint::source::FileId;
use shutdownlint_fuzz::{check_fragment, check_span, text};

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    let mut fragment = Fragment::default();
    let mut facts = FileFacts::default();
    match compose::lower(FileId(0), &text, &mut fragment, &mut facts) {
        Ok(()) => {
            for problem in &facts.problems {
                check_span(&text, problem.span, "problem");
            }
            check_fragment(&text, &fragment);
        }
        Err(e) => check_span(&text, e.span, "parse failure"),
    }
});
