//! The real-world corpus (../shared/corpus, beside the repository in CI): every file is read and
//! linted without a panic. Findings are printed per rule for review; precision is checked by
//! reading them (see the closing notes), not asserted here.

mod common;

use std::collections::BTreeMap;

#[test]
fn corpus_lints_without_panic() {
    let corpus = common::manifest_dir().join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("skipped: {} not found", corpus.display());
        return;
    }
    let report = common::lint(&corpus);
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &report.diagnostics {
        *per_rule.entry(d.code).or_default() += 1;
    }
    eprintln!(
        "corpus: {} files linted, findings per rule: {per_rule:?}",
        report.linted_files
    );
    // Every finding's span lies inside its file and on a char boundary.
    for d in &report.diagnostics {
        let text = report.files.text(d.location.file);
        assert!(d.location.span.end <= text.len(), "{d:?}");
        assert!(
            text.is_char_boundary(d.location.span.start)
                && text.is_char_boundary(d.location.span.end)
        );
    }
}
