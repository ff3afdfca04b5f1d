//! Kubernetes manifests: YAML pre-scan, parsing of the kinds a rule reads, and lowering into
//! workloads, containers, probes, Services and autoscalers. Also lowers the manifest in the
//! two halves a large scan uses (everything but pod templates, then only pod templates) and
//! checks they add up to the whole.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shutdownlint::formats::Fragment;
use shutdownlint::lower::kubernetes::{self, FileFacts, Workloads};
use shutdownlint::source::FileId;
use shutdownlint_fuzz::{check_fragment, check_span, text};

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    let mut fragment = Fragment::default();
    let mut facts = FileFacts::default();
    match kubernetes::lower(
        FileId(0),
        &text,
        &mut fragment,
        &mut facts,
        Workloads::Lower,
        false,
    ) {
        Ok(_) => {
            halves_add_up(&text, &fragment, &facts);
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

/// Lowering without pod templates gives every other fact and says templates were left out;
/// lowering only pod templates gives the same workloads.
fn halves_add_up(text: &str, whole: &Fragment, whole_facts: &FileFacts) {
    let mut rest = Fragment::default();
    let mut rest_facts = FileFacts::default();
    let left_out = kubernetes::lower(
        FileId(0),
        text,
        &mut rest,
        &mut rest_facts,
        Workloads::LeaveOut,
        false,
    );
    assert!(
        left_out.is_ok(),
        "leaving pod templates out fails where lowering all does not"
    );
    assert!(
        rest.workloads.is_empty(),
        "pod templates lowered while left out"
    );
    let counted: usize = rest.left_out.iter().map(|&(_, n)| n as usize).sum();
    assert!(
        counted >= whole.workloads.len(),
        "pod templates left out but not counted"
    );
    assert_eq!(rest.services.len(), whole.services.len(), "Services differ");
    assert_eq!(
        rest.autoscalers.len(),
        whole.autoscalers.len(),
        "autoscalers differ"
    );
    assert_eq!(
        rest.image_builds.len(),
        whole.image_builds.len(),
        "image builds differ"
    );
    assert_eq!(
        format!("{:?}", rest_facts.suppressions),
        format!("{:?}", whole_facts.suppressions),
        "suppressions differ"
    );
    let mut only = Fragment::default();
    let mut only_facts = FileFacts::default();
    let _ = kubernetes::lower(
        FileId(0),
        text,
        &mut only,
        &mut only_facts,
        Workloads::Only,
        false,
    );
    assert_eq!(
        format!("{:?}", only.workloads),
        format!("{:?}", whole.workloads),
        "pod templates lowered alone differ"
    );
    // The documents that had pod templates, lowered one at a time, give them all in order.
    let mut parts = Vec::new();
    for &(document, _) in &rest.left_out {
        let mut part = Fragment::default();
        let mut part_facts = FileFacts::default();
        let range = Workloads::OnlyDocuments(document, document + 1);
        let _ = kubernetes::lower(FileId(0), text, &mut part, &mut part_facts, range, false);
        parts.extend(part.workloads);
    }
    assert_eq!(
        format!("{parts:?}"),
        format!("{:?}", whole.workloads),
        "pod templates lowered a document at a time differ"
    );
}
