//! Kubernetes manifests: YAML pre-scan, parsing of the kinds a rule reads, and lowering into
//! workloads, containers, probes, Services and autoscalers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shutdownlint::formats::Fragment;
use shutdownlint::lower::kubernetes::{self, FileFacts};
use shutdownlint::source::FileId;
use shutdownlint_fuzz::{check_fragment, check_span, text};

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    let mut fragment = Fragment::default();
    let mut facts = FileFacts::default();
    match kubernetes::lower(FileId(0), &text, &mut fragment, &mut facts) {
        Ok(_) => {
            for problem in &facts.problems {
                check_span(&text, problem.span, "problem");
            }
            for (span, _) in &facts.template_sources {
                check_span(&text, *span, "template source");
            }
            check_fragment(&text, &fragment);
        }
        Err(e) => check_span(&text, e.span, "parse failure"),
    }
});
