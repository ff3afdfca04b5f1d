//! The raw YAML layer: saphyr events → position-preserving tree (aliases, merge keys,
//! indentation patching, limits), and the cheap `kind` pre-scan.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shutdownlint::formats::yaml::{self, Limits, Node, NodeKind};
use shutdownlint::span::Span;
use shutdownlint_fuzz::{check_mapped, check_span, text};

/// Walk the tree without recursion (the tree may be as deep as the depth limit).
fn check_tree(text: &str, root: &Node) {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        check_span(text, node.span, "node");
        match &node.kind {
            NodeKind::Scalar(_) => {
                if let Some(mapped) = node.mapped_text() {
                    check_mapped(text, mapped, "scalar");
                }
                let _ = (node.as_bool(), node.as_i64(), node.as_f64());
                let _ = node.as_int_lenient();
            }
            NodeKind::Mapping(entries) => {
                for entry in entries {
                    stack.push(&entry.key);
                    stack.push(&entry.value);
                }
            }
            NodeKind::Sequence(items) => stack.extend(items.iter()),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    match yaml::parse_stream(&text, &Limits::default()) {
        Ok(documents) => {
            for document in &documents {
                check_span(&text, document.span, "document");
                check_tree(&text, &document.root);
                for comment in &document.comments {
                    check_span(&text, comment.span, "comment");
                }
                let _ = document.helm_source();
            }
        }
        Err(e) => check_span(&text, e.span, "yaml error"),
    }
    // The pre-scan, and parsing only the regions it found (what Kubernetes lowering does).
    for sniff in yaml::sniff_kinds(&text) {
        check_span(&text, sniff.span, "sniffed document");
        let range = Span::new(sniff.span.start, sniff.span.end);
        match yaml::parse_range(&text, range, &Limits::default()) {
            Ok(documents) => {
                for document in &documents {
                    check_tree(&text, &document.root);
                }
            }
            Err(e) => check_span(&text, e.span, "yaml range error"),
        }
    }
});
