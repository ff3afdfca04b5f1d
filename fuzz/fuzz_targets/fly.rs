//! fly.toml: TOML (the `toml` crate), then kill signal/timeout, processes and services.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shutdownlint::formats::Fragment;
use shutdownlint::source::FileId;
use shutdownlint_fuzz::{check_fragment, check_span, text};

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    let mut fragment = Fragment::default();
    match shutdownlint::lower::fly::lower(FileId(0), &text, &mut fragment) {
        Ok(()) => check_fragment(&text, &fragment),
        Err(e) => check_span(&text, e.span, "parse failure"),
    }
});
