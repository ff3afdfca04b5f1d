//! LSP messages on stdio: `Content-Length` framing, read with limits.
//!
//! `lsp_server`'s own stdio reader allocates the whole body as soon as it reads the header, so a
//! header with a huge `Content-Length` aborts the process before a byte of the body arrives,
//! and one malformed body ends the connection. This reader grows the body only as its bytes
//! arrive, skips a body larger than [`MAX_BODY`] without keeping it, and skips a body that is
//! not a JSON-RPC message (the framing around it is still intact). Only a broken header ends
//! the connection, because the next message's start can no longer be found.

use std::io::{self, BufRead, Read, Write};

use lsp_server::Message;

/// The largest message body kept: a document of tens of megabytes even when JSON escapes
/// every character. Anything a file of the default `max-file-size` (8 MiB) can be is far below.
pub const MAX_BODY: usize = 256 << 20;

/// The longest header line read (`Content-Length: …\r\n`); headers are a few dozen bytes.
const MAX_HEADER_LINE: usize = 8 << 10;

/// What one frame of the input gave.
#[derive(Debug)]
enum Frame {
    Message(Message),
    /// A frame that was read and dropped, and why (for the log).
    Skipped(String),
}

/// Read the next frame; `Ok(None)` at the end of the input (also in the middle of a frame).
fn read_frame(input: &mut impl BufRead, max_body: usize) -> io::Result<Option<Frame>> {
    let Some(length) = read_header(input)? else {
        return Ok(None);
    };
    if length > max_body {
        let skipped = io::copy(&mut Read::take(&mut *input, length as u64), &mut io::sink())?;
        if skipped < length as u64 {
            return Ok(None);
        }
        return Ok(Some(Frame::Skipped(format!(
            "a message of {length} bytes is over the limit of {max_body} bytes; ignored"
        ))));
    }
    let mut body = Vec::new();
    while body.len() < length {
        let available = input.fill_buf()?;
        if available.is_empty() {
            return Ok(None);
        }
        let take = available.len().min(length - body.len());
        body.extend_from_slice(&available[..take]);
        input.consume(take);
    }
    Ok(Some(match serde_json::from_slice::<Message>(&body) {
        Ok(message) => Frame::Message(message),
        Err(e) => Frame::Skipped(format!("a malformed message ({length} bytes) ignored: {e}")),
    }))
}

/// Read header lines up to the empty line; the value of `Content-Length`. `Ok(None)` at the end
/// of the input; an error for a header that is not `Name: value\r\n` or that has no length.
fn read_header(input: &mut impl BufRead) -> io::Result<Option<usize>> {
    let mut length = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = Read::take(&mut *input, MAX_HEADER_LINE as u64).read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(None);
        }
        let Some(text) = line.strip_suffix(b"\r\n") else {
            if line.ends_with(b"\n") {
                return Err(malformed("a header line that does not end in CRLF", &line));
            }
            if line.len() < MAX_HEADER_LINE {
                return Ok(None); // the input ended inside the line
            }
            return Err(malformed("a header line over 8 KiB", &line));
        };
        if text.is_empty() {
            break;
        }
        let text = std::str::from_utf8(text).map_err(|_| malformed("a header", &line))?;
        let Some((name, value)) = text.split_once(':') else {
            return Err(malformed("a header without `:`", &line));
        };
        if name.trim().eq_ignore_ascii_case("Content-Length") {
            let value = value.trim();
            let parsed = value
                .parse::<u64>()
                .ok()
                .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| malformed("a Content-Length that is not a number", &line))?;
            // On a 32-bit target a length past usize::MAX is over any limit anyway.
            length = Some(usize::try_from(parsed).unwrap_or(usize::MAX));
        }
    }
    length
        .map(Some)
        .ok_or_else(|| invalid("a message header without Content-Length".to_string()))
}

fn malformed(what: &str, line: &[u8]) -> io::Error {
    let shown: String = String::from_utf8_lossy(&line[..line.len().min(80)]).into_owned();
    invalid(format!("{what}: {shown:?}"))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Read frames until the end of the input, an `exit` notification, a broken header, or until
/// `deliver` refuses a message (the server has stopped). Skipped frames and errors go to `log`.
pub fn pump(
    input: &mut impl BufRead,
    max_body: usize,
    mut deliver: impl FnMut(Message) -> bool,
    log: impl Fn(&str),
) {
    loop {
        match read_frame(input, max_body) {
            Ok(None) => return,
            Ok(Some(Frame::Skipped(why))) => log(&why),
            Ok(Some(Frame::Message(message))) => {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if !deliver(message) || exit {
                    return;
                }
            }
            Err(e) => {
                log(&format!("connection: {e}; stopped reading"));
                return;
            }
        }
    }
}

/// Write messages until the channel closes (the server has finished), then flush.
pub fn write_all(
    messages: impl IntoIterator<Item = Message>,
    output: &mut impl Write,
) -> io::Result<()> {
    for message in messages {
        message.write(output)?;
    }
    output.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    /// Everything `pump` delivers and logs for this input.
    fn pumped(input: &str, max_body: usize) -> (Vec<String>, Vec<String>) {
        pumped_bytes(input.as_bytes(), max_body, true)
    }

    /// The same for any bytes; `accept` is what the server answers to each delivery.
    fn pumped_bytes(input: &[u8], max_body: usize, accept: bool) -> (Vec<String>, Vec<String>) {
        let mut delivered = Vec::new();
        let logged = std::cell::RefCell::new(Vec::new());
        pump(
            &mut Cursor::new(input.to_vec()),
            max_body,
            |message| {
                delivered.push(match message {
                    Message::Request(r) => r.method,
                    Message::Notification(n) => n.method,
                    Message::Response(r) => format!("response {}", r.id),
                });
                accept
            },
            |line| logged.borrow_mut().push(line.to_string()),
        );
        (delivered, logged.into_inner())
    }

    const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#;
    const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;

    #[test]
    fn messages_are_read_in_order() {
        let input = frame(INITIALIZE) + &frame(INITIALIZED);
        assert_eq!(
            pumped(&input, MAX_BODY),
            (vec!["initialize".into(), "initialized".into()], vec![])
        );
    }

    #[test]
    fn a_huge_content_length_allocates_nothing_and_ends_with_the_input() {
        // 100 TB announced, two bytes sent: the body is neither allocated nor waited for.
        let input = "Content-Length: 99999999999999\r\n\r\n{}";
        let (delivered, logged) = pumped(input, MAX_BODY);
        assert!(delivered.is_empty() && logged.is_empty(), "{logged:?}");
        // The same under the limit: the body grows only as its bytes arrive.
        let input = format!("Content-Length: {MAX_BODY}\r\n\r\n{{}}");
        assert_eq!(pumped(&input, MAX_BODY), (vec![], vec![]));
    }

    #[test]
    fn a_body_over_the_limit_is_skipped_and_the_next_message_read() {
        let big = format!(
            r#"{{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{{"text":"{}"}}}}"#,
            "x".repeat(500)
        );
        let input = frame(&big) + &frame(INITIALIZE);
        let (delivered, logged) = pumped(&input, 200);
        assert_eq!(delivered, vec!["initialize"]);
        assert_eq!(logged.len(), 1);
        assert!(
            logged[0].contains("over the limit of 200 bytes"),
            "{logged:?}"
        );
    }

    #[test]
    fn a_malformed_body_is_skipped_and_the_next_message_read() {
        for bad in [
            "{{{{{",
            "[]",
            "null",
            "\u{fffd}\u{0}",
            r#"{"jsonrpc":"2.0","id":{}}"#,
        ] {
            let input = frame(bad) + &frame(INITIALIZE);
            let (delivered, logged) = pumped(&input, MAX_BODY);
            assert_eq!(delivered, vec!["initialize"], "after {bad:?}");
            assert_eq!(logged.len(), 1, "{logged:?}");
            assert!(logged[0].contains("malformed message"), "{logged:?}");
        }
        // A body that is not UTF-8.
        let mut input = b"Content-Length: 3\r\n\r\n\xff\xfe{".to_vec();
        input.extend_from_slice(frame(INITIALIZE).as_bytes());
        assert_eq!(pumped_bytes(&input, MAX_BODY, true).0, vec!["initialize"]);
    }

    #[test]
    fn a_broken_header_stops_reading() {
        for (input, says) in [
            ("Content-Length: 2\n\n{}".to_string(), "CRLF"),
            (
                "Content-Type: x\r\n\r\n{}".to_string(),
                "without Content-Length",
            ),
            ("Content-Length: -1\r\n\r\n".to_string(), "not a number"),
            ("Content-Length: +2\r\n\r\n{}".to_string(), "not a number"),
            ("Content-Length 2\r\n\r\n{}".to_string(), "without `:`"),
            (format!("X-{}", "a".repeat(100_000)), "over 8 KiB"),
        ] {
            let input = input + &frame(INITIALIZE);
            let (delivered, logged) = pumped(&input, MAX_BODY);
            assert!(delivered.is_empty(), "{input:.40?}");
            assert_eq!(logged.len(), 1);
            assert!(logged[0].contains(says), "{logged:?}");
        }
    }

    #[test]
    fn header_names_are_case_insensitive_and_other_headers_ignored() {
        let input = format!(
            "content-length:{}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{INITIALIZE}",
            INITIALIZE.len()
        );
        assert_eq!(pumped(&input, MAX_BODY).0, vec!["initialize"]);
    }

    #[test]
    fn reading_stops_after_exit_or_when_the_server_is_gone() {
        let exit = r#"{"jsonrpc":"2.0","method":"exit"}"#;
        let input = frame(INITIALIZE) + &frame(exit) + &frame(INITIALIZED);
        assert_eq!(pumped(&input, MAX_BODY).0, vec!["initialize", "exit"]);
        let input = frame(INITIALIZE) + &frame(INITIALIZED);
        assert_eq!(
            pumped_bytes(input.as_bytes(), MAX_BODY, false).0,
            vec!["initialize"]
        );
    }

    /// 5,000 inputs stitched from header and body pieces, with a fixed seed: reading always
    /// ends and never panics, and a message is delivered at most once per piece.
    #[test]
    fn stitched_inputs_end_without_panic() {
        const PIECES: [&str; 16] = [
            "Content-Length: ",
            "content-length:",
            "Content-Type: x",
            "\r\n",
            "\n",
            "\r",
            ":",
            "0",
            "2",
            "17",
            "99999999999999999999",
            "{}",
            r#"{"jsonrpc":"2.0","method":"exit"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#,
            "\u{0}\u{fffd}",
            "{\"",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        for _ in 0..5_000 {
            let mut input = String::new();
            for _ in 0..next(24) {
                input.push_str(PIECES[next(PIECES.len())]);
            }
            let (delivered, _) = pumped_bytes(input.as_bytes(), 64, true);
            assert!(delivered.len() <= 24);
        }
    }

    #[test]
    fn written_messages_read_back() {
        let mut out = Vec::new();
        let message: Message = serde_json::from_str(INITIALIZE).expect("a request");
        write_all([message], &mut out).expect("written to memory");
        let (delivered, _) = pumped(&String::from_utf8(out).expect("UTF-8"), MAX_BODY);
        assert_eq!(delivered, vec!["initialize"]);
    }
}
