//! The language server's message framing: `Content-Length` headers and JSON-RPC bodies, read
//! with a small body limit. Every message read must write out and read back as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shutdownlint::lsp::transport::{pump_with_max_body, write_all};

/// Small, so bodies over the limit are skipped often.
const MAX_BODY: usize = 4096;

fuzz_target!(|data: &[u8]| {
    let mut read = Vec::new();
    // Every method is acted on, so no notification is dropped unread.
    pump_with_max_body(
        &mut &data[..],
        MAX_BODY,
        |_| true,
        |message| {
            read.push(message);
            true
        },
        || {},
        |_| {},
    );
    // Each message is framed by at least a `Content-Length:` header and `\r\n\r\n`.
    assert!(
        read.len() <= data.len() / 20 + 1,
        "more messages than frames"
    );
    let mut written = Vec::new();
    write_all(read.iter().cloned(), &mut written).expect("written to memory");
    let mut again = Vec::new();
    pump_with_max_body(
        &mut &written[..],
        usize::MAX,
        |_| true,
        |message| {
            again.push(message);
            true
        },
        || {},
        |line| panic!("a written message did not read back: {line}"),
    );
    assert_eq!(
        format!("{read:?}"),
        format!("{again:?}"),
        "messages changed when written and read back"
    );
});
