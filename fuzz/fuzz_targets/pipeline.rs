//! The whole lint of one file, as `shutdownlint -` runs it: the first byte picks the kind
//! (Dockerfile, Kubernetes YAML, compose, systemd, nginx, Procfile, fly.toml), the rest is the
//! file. Parse, lower, link, analyse, every rule, suppressions, then every output format; every
//! diagnostic and label must point inside the file, and JSON/SARIF must be valid JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shutdownlint_fuzz::{lint_one, single_thread, text, KINDS};

fuzz_target!(
    init: single_thread(),
    |data: &[u8]| {
        let Some((&first, rest)) = data.split_first() else {
            return;
        };
        let (kind, name) = KINDS[usize::from(first) % KINDS.len()];
        let _ = lint_one(kind, name, text(rest));
    }
);
