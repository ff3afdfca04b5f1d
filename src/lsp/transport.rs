//! LSP messages on stdio: `Content-Length` framing, read with limits.
//!
//! `lsp_server`'s own stdio reader allocates the whole body as soon as it reads the header, so a
//! header with a huge `Content-Length` aborts the process before a byte of the body arrives,
//! and one malformed body ends the connection. This reader grows the body only as its bytes
//! arrive, skips a body larger than [`MAX_BODY`] without keeping it, skips a body whose JSON
//! values would cost more than [`MAX_VALUE_COST`] to read (counted in one pass before reading),
//! and skips a body that is not a JSON-RPC message (the framing around it is still intact).
//! Only a broken header ends the connection, because the next message's start can no longer be
//! found.
//!
//! Reading goes on while the server lints, so that a `shutdown` or `exit` is seen at once
//! ([`pump`]'s `end`). What waits meanwhile is bounded: a message waits as its body, not as the
//! tree of values it becomes (one `[0]` of 4 bytes is about 100 bytes read); its values are read
//! when the server takes it. Once initialized, the `params` of a request and of a notification
//! the server does nothing with are not read at all, a `didChange` replaces one waiting just
//! before it for the same document, and at most [`MAX_QUEUED`] bytes of bodies wait: past that
//! the reader waits for the server.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{self, BufRead, Read, Write};
use std::sync::{Condvar, Mutex, PoisonError};

use lsp_server::{Message, Notification, Request, RequestId, Response};
use serde::de::IgnoredAny;

/// The largest message body kept: a document of tens of megabytes even when JSON escapes
/// every character. Anything a file of the default `max-file-size` (8 MiB) can be is far below.
pub const MAX_BODY: usize = 256 << 20;

/// The most a message's JSON values may cost to read, in units of about 32 bytes
/// ([`value_cost`]): some 320 MB. A `textDocument/didChange` costs about a hundred units
/// whatever the size of its text; a `workspace/didChangeWatchedFiles` 31 a changed file, so
/// 320,000 files fit. Without it a body of 32 MiB of `[0,0,…]` took over 1 GB.
pub const MAX_VALUE_COST: usize = 10_000_000;

/// The most bytes of message bodies read and not yet taken by the server (while it lints). A
/// message larger than this still passes when nothing else waits. What waits is the body, not
/// its values, and a typing burst in one document waits as its last `didChange` only.
pub const MAX_QUEUED: usize = 128 << 20;

/// The longest header line read (`Content-Length: …\r\n`); headers are a few dozen bytes.
const MAX_HEADER_LINE: usize = 8 << 10;

/// What one frame of the input gave.
#[derive(Debug)]
enum Frame {
    /// A body within the limits, not yet read as a message.
    Body(Vec<u8>),
    /// A frame that was read and dropped, and why (for the log).
    Skipped(String),
}

/// Read the next frame; `Ok(None)` at the end of the input (also in the middle of a frame).
fn read_frame(
    input: &mut impl BufRead,
    max_body: usize,
    max_value_cost: usize,
) -> io::Result<Option<Frame>> {
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
    if value_cost(&body, max_value_cost).is_none() {
        return Ok(Some(Frame::Skipped(format!(
            "a message of {length} bytes with too many JSON values (over {max_value_cost} units of \
             about 32 bytes once read) ignored"
        ))));
    }
    Ok(Some(Frame::Body(body)))
}

fn malformed_message(length: usize, e: &str) -> String {
    format!("a malformed message ({length} bytes) ignored: {e}")
}

/// What reading the JSON values in `body` costs, in units of about 32 bytes (a `serde_json::Value`):
/// an object 20 (even a small one takes a B-tree node of about 640 bytes), an array 4 (its first
/// element allocates room for four), a `:` 3 (a key and its value take a B-tree slot of 56 bytes,
/// in nodes about half full), and each string and `,` 1 (so a number, `true`, `null` count
/// through the `,` or `:` before them). Strings are skipped: their bytes cost about what they
/// take in the body. `None` as soon as the cost is over `limit`. One pass, nothing allocated,
/// whatever the bytes are.
fn value_cost(body: &[u8], limit: usize) -> Option<usize> {
    let mut cost = 0usize;
    let mut bytes = body.iter();
    while let Some(&b) = bytes.next() {
        cost += match b {
            b'"' => {
                // Skip the string: up to the next `"` that is not escaped.
                while let Some(&b) = bytes.next() {
                    match b {
                        b'"' => break,
                        b'\\' => {
                            bytes.next();
                        }
                        _ => {}
                    }
                }
                1
            }
            b'{' => 20,
            b'[' => 4,
            b':' => 3,
            b',' => 1,
            _ => continue,
        };
        if cost > limit {
            return None;
        }
    }
    Some(cost)
}

/// The fields of any JSON-RPC message. Read straight from the body: `lsp_server`'s `Message` is
/// an untagged enum, which serde reads by first copying the whole body into its own tree of
/// values and then trying each kind of message on that copy, so a message cost its size several
/// times over (and about 60 bytes for each value in it). Unknown fields (`jsonrpc`) are skipped
/// without being kept.
#[derive(serde::Deserialize)]
struct Fields {
    /// Any JSON value: an `id` that is not a request id (`null`, `{}`) makes a notification, as
    /// with `lsp_server`.
    #[serde(default)]
    id: Option<serde_json::Value>,
    method: Option<String>,
    #[serde(default)]
    params: serde_json::Value,
    /// `Some(Value::Null)` for `"result": null` (a successful response with no result).
    #[serde(default, deserialize_with = "present")]
    result: Option<serde_json::Value>,
    error: Option<lsp_server::ResponseError>,
}

fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<serde_json::Value>, D::Error> {
    serde::Deserialize::deserialize(deserializer).map(Some)
}

/// The message in a body, or why it is not one: a request has an `id` and a `method`, a
/// notification a `method` only, a response an `id` and a `result` or an `error`.
fn parse(body: &[u8]) -> Result<Message, String> {
    // A struct can also be read from a JSON array; a message is an object.
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err("not a JSON object".to_string());
    }
    let fields: Fields = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let id = fields
        .id
        .and_then(|id| serde_json::from_value::<RequestId>(id).ok());
    Ok(match (fields.method, id) {
        (Some(method), Some(id)) => Message::Request(Request {
            id,
            method,
            params: fields.params,
        }),
        (Some(method), None) => Message::Notification(Notification {
            method,
            params: fields.params,
        }),
        (None, Some(id)) => {
            let response_result = match (fields.error, fields.result) {
                (Some(error), _) => Err(error),
                (None, Some(result)) => Ok(result),
                (None, None) => return Err("a response without `result` or `error`".to_string()),
            };
            Message::Response(Response {
                id,
                response_result,
            })
        }
        (None, None) => return Err("neither a `method` nor a request `id`".to_string()),
    })
}

/// The fields of a message without the values of its `params` and `result` (checked to be
/// JSON, not kept): enough to tell what it is. Accepts what [`Fields`] accepts.
#[derive(serde::Deserialize)]
struct Head {
    #[serde(default)]
    id: Option<serde_json::Value>,
    method: Option<String>,
    #[serde(default, rename = "params")]
    _params: Option<IgnoredAny>,
    #[serde(default, rename = "result")]
    _result: Option<IgnoredAny>,
    #[serde(default, rename = "error")]
    _error: Option<lsp_server::ResponseError>,
}

fn read_head(body: &[u8]) -> Result<Head, String> {
    if body.trim_ascii_start().first() != Some(&b'{') {
        return Err("not a JSON object".to_string());
    }
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

/// The document and the kind of last change of a `textDocument/didChange`, without its text;
/// `None` if it is not one the server would apply.
fn read_change(body: &[u8]) -> Option<Change> {
    #[derive(serde::Deserialize)]
    struct Body<'a> {
        #[serde(borrow)]
        params: Params<'a>,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Params<'a> {
        #[serde(borrow)]
        text_document: Document<'a>,
        content_changes: Vec<Event>,
    }
    #[derive(serde::Deserialize)]
    struct Document<'a> {
        #[serde(borrow)]
        uri: Cow<'a, str>,
        #[serde(rename = "version")]
        _version: i32,
    }
    #[derive(serde::Deserialize)]
    struct Event {
        #[serde(default)]
        range: Option<IgnoredAny>,
        #[serde(rename = "text")]
        _text: IgnoredAny,
    }
    let read: Body = serde_json::from_slice(body).ok()?;
    let last = read.params.content_changes.last()?;
    Some(Change {
        uri: read.params.text_document.uri.into_owned(),
        whole: last.range.is_none(),
    })
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

/// The limits of [`pump`]; other ones in tests.
#[derive(Clone, Copy)]
struct Limits {
    max_body: usize,
    max_value_cost: usize,
    max_queued: usize,
}

const LIMITS: Limits = Limits {
    max_body: MAX_BODY,
    max_value_cost: MAX_VALUE_COST,
    max_queued: MAX_QUEUED,
};

/// Read frames until the end of the input, an `exit` notification, a broken header, or until
/// `deliver` refuses a message (the server has stopped), and hand the messages in order to
/// `deliver`, which another thread calls (it may wait while the server is busy: reading goes
/// on). `end` is called as soon as a `shutdown` request or an `exit` notification is read, and
/// when reading ends; `pump` returns once every message read has been delivered. Once an
/// `initialize` request has been read, a notification for which `acts_on` (its method) is false
/// is dropped, and the `params` of a request are not read (the server answers requests from
/// their method). Skipped frames and errors go to `log`.
pub fn pump(
    input: &mut impl BufRead,
    acts_on: impl Fn(&str) -> bool,
    deliver: impl FnMut(Message) -> bool + Send,
    end: impl Fn(),
    log: impl Fn(&str) + Sync,
) {
    pump_limited(input, LIMITS, acts_on, deliver, end, log);
}

/// [`pump`] with a smaller body limit than [`MAX_BODY`] (the fuzz target's, so that bodies over
/// it are skipped often).
pub fn pump_with_max_body(
    input: &mut impl BufRead,
    max_body: usize,
    acts_on: impl Fn(&str) -> bool,
    deliver: impl FnMut(Message) -> bool + Send,
    end: impl Fn(),
    log: impl Fn(&str) + Sync,
) {
    let limits = Limits { max_body, ..LIMITS };
    pump_limited(input, limits, acts_on, deliver, end, log);
}

/// [`pump`] with other limits.
fn pump_limited(
    input: &mut impl BufRead,
    limits: Limits,
    acts_on: impl Fn(&str) -> bool,
    deliver: impl FnMut(Message) -> bool + Send,
    end: impl Fn(),
    log: impl Fn(&str) + Sync,
) {
    let queue = Queue::new(limits.max_queued);
    std::thread::scope(|scope| {
        let feeder = std::thread::Builder::new()
            .name("lsp-feeder".to_string())
            .spawn_scoped(scope, || feed(&queue, deliver, &log));
        if feeder.is_err() {
            log("could not start the thread that hands messages to the server");
        } else {
            read_messages(input, limits, &acts_on, &queue, &end, &log);
        }
        end();
        queue.close();
    });
}

/// The reading side of [`pump`]: frames to the queue.
fn read_messages(
    input: &mut impl BufRead,
    limits: Limits,
    acts_on: &impl Fn(&str) -> bool,
    queue: &Queue,
    end: &impl Fn(),
    log: &impl Fn(&str),
) {
    // Until the server has its `initialize`, every message goes to it whole (`lsp_server`
    // answers and reports them with their params).
    let mut initialized = false;
    loop {
        let body = match read_frame(input, limits.max_body, limits.max_value_cost) {
            Ok(None) => return,
            Ok(Some(Frame::Skipped(why))) => {
                log(&why);
                continue;
            }
            Ok(Some(Frame::Body(body))) => body,
            Err(e) => {
                log(&format!("connection: {e}; stopped reading"));
                return;
            }
        };
        let head = match read_head(&body) {
            Ok(head) => head,
            Err(e) => {
                log(&malformed_message(body.len(), &e));
                continue;
            }
        };
        let request = head
            .id
            .and_then(|id| serde_json::from_value::<RequestId>(id).ok());
        let Some(method) = head.method else {
            // A response (or not a message at all: `parse` says which).
            if !queue.push(Item::body(body, None)) {
                return;
            }
            continue;
        };
        let exit = request.is_none() && method == "exit";
        if exit || (request.is_some() && method == "shutdown") {
            end();
        }
        let item = match request {
            _ if !initialized => {
                initialized = request.is_some() && method == "initialize";
                Item::body(body, None)
            }
            Some(id) => Item::Message(Message::Request(Request {
                id,
                method,
                params: serde_json::Value::Null,
            })),
            None if exit => Item::Message(Message::Notification(Notification {
                method,
                params: serde_json::Value::Null,
            })),
            None if acts_on(&method) => {
                let change = (method == "textDocument/didChange")
                    .then(|| read_change(&body))
                    .flatten();
                Item::body(body, change)
            }
            // Nothing to do with it.
            None => continue,
        };
        if !queue.push(item) || exit {
            return;
        }
    }
}

/// The handing side of [`pump`]: messages from the queue, read whole one at a time, to the
/// server.
fn feed(queue: &Queue, mut deliver: impl FnMut(Message) -> bool, log: &impl Fn(&str)) {
    while let Some(item) = queue.pop() {
        let message = match item {
            Item::Message(message) => message,
            Item::Body { body, .. } => match parse(&body) {
                Ok(message) => message,
                Err(e) => {
                    log(&malformed_message(body.len(), &e));
                    continue;
                }
            },
        };
        if !deliver(message) {
            queue.hang_up();
            return;
        }
    }
}

/// A message read and not yet handed to the server.
enum Item {
    /// Its body, read into values when handed over.
    Body {
        body: Vec<u8>,
        /// For a `textDocument/didChange`: what [`read_change`] found.
        change: Option<Change>,
    },
    /// What the server needs of it, read already (a request without its params).
    Message(Message),
}

impl Item {
    fn body(body: Vec<u8>, change: Option<Change>) -> Item {
        Item::Body { body, change }
    }

    /// About what it takes in memory, in bytes.
    fn cost(&self) -> usize {
        match self {
            Item::Body { body, change } => {
                body.len() + change.as_ref().map_or(0, |c| c.uri.len()) + 64
            }
            Item::Message(message) => {
                let method = match message {
                    Message::Request(r) => r.method.len(),
                    Message::Notification(n) => n.method.len(),
                    Message::Response(_) => 0,
                };
                std::mem::size_of::<Message>() + method + 64
            }
        }
    }
}

/// A `textDocument/didChange`, as far as superseding it goes.
#[derive(Debug, PartialEq)]
struct Change {
    uri: String,
    /// Its last change holds the whole text (no `range`): the document's text and version are
    /// then this message's whatever came before it.
    whole: bool,
}

/// The messages read and not yet handed over, at most `max` bytes of them ([`Item::cost`]).
struct Queue {
    state: Mutex<QueueState>,
    changed: Condvar,
    max: usize,
}

#[derive(Default)]
struct QueueState {
    items: VecDeque<Item>,
    cost: usize,
    /// No more items will come.
    closed: bool,
    /// The server takes no more.
    gone: bool,
}

impl Queue {
    fn new(max: usize) -> Queue {
        Queue {
            state: Mutex::new(QueueState::default()),
            changed: Condvar::new(),
            max,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Add an item, waiting while the queue is full; `false` once the server takes no more.
    /// A whole-text `didChange` replaces a `didChange` of the same document just before it
    /// (with nothing in between, neither would have been handled before the other).
    fn push(&self, item: Item) -> bool {
        let cost = item.cost();
        let mut state = self.lock();
        if let Item::Body {
            change: Some(Change { uri, whole: true }),
            ..
        } = &item
        {
            if let Some(Item::Body {
                change: Some(last), ..
            }) = state.items.back()
            {
                if last.whole && last.uri == *uri {
                    if let Some(replaced) = state.items.pop_back() {
                        state.cost -= replaced.cost();
                    }
                }
            }
        }
        while !state.gone && !state.items.is_empty() && state.cost + cost > self.max {
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if state.gone {
            return false;
        }
        state.cost += cost;
        state.items.push_back(item);
        self.changed.notify_all();
        true
    }

    /// The next item, waiting for one; `None` once the queue is closed and empty.
    fn pop(&self) -> Option<Item> {
        let mut state = self.lock();
        loop {
            if let Some(item) = state.items.pop_front() {
                state.cost -= item.cost();
                self.changed.notify_all();
                return Some(item);
            }
            if state.closed || state.gone {
                return None;
            }
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_all();
    }

    fn hang_up(&self) {
        let mut state = self.lock();
        state.gone = true;
        state.items.clear();
        state.cost = 0;
        self.changed.notify_all();
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
        let limits = Limits { max_body, ..LIMITS };
        let (delivered, logged) = pumped_with(input, limits, |message| {
            let name = match message {
                Message::Request(r) => r.method,
                Message::Notification(n) => n.method,
                Message::Response(r) => format!("response {}", r.id),
            };
            (name, accept)
        });
        (delivered, logged)
    }

    /// What `pump_limited` delivers (as `deliver` names it) and logs; every notification is
    /// one the server acts on.
    fn pumped_with<T: Send>(
        input: &[u8],
        limits: Limits,
        mut deliver: impl FnMut(Message) -> (T, bool) + Send,
    ) -> (Vec<T>, Vec<String>) {
        let mut delivered = Vec::new();
        let logged = Mutex::new(Vec::new());
        pump_limited(
            &mut Cursor::new(input.to_vec()),
            limits,
            |_| true,
            |message| {
                let (kept, accept) = deliver(message);
                delivered.push(kept);
                accept
            },
            || {},
            |line| logged.lock().expect("not poisoned").push(line.to_string()),
        );
        (delivered, logged.into_inner().expect("not poisoned"))
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
            // A message is an object, not the array of its fields.
            r#"[1,"initialize"]"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
            r#"{"jsonrpc":"2.0","method":7}"#,
            r#"{"jsonrpc":"2.0","method":"a","method":"b"}"#,
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
    fn a_body_of_many_small_values_is_skipped_and_the_next_message_read() {
        // 3.5 MB of small objects: read, they took about 1 KB each, and a body of 256 MiB of them
        // tens of gigabytes.
        let many = format!(
            r#"{{"jsonrpc":"2.0","method":"workspace/didChangeConfiguration","params":[{}{{}}]}}"#,
            r#"{"":0},"#.repeat(500_000)
        );
        let input = frame(&many) + &frame(INITIALIZE);
        let (delivered, logged) = pumped(&input, MAX_BODY);
        assert_eq!(delivered, vec!["initialize"]);
        assert_eq!(logged.len(), 1);
        assert!(logged[0].contains("too many JSON values"), "{logged:?}");
    }

    #[test]
    fn value_cost_counts_structure_outside_strings() {
        assert_eq!(value_cost(b"0", 100), Some(0));
        assert_eq!(value_cost(b"[0,0,0]", 100), Some(4 + 2));
        assert_eq!(
            value_cost(br#"{"a":[],"b":{}}"#, 100),
            Some(20 + 1 + 3 + 4 + 1 + 1 + 3 + 20)
        );
        // Brackets, commas, colons and escaped quotes inside strings are text.
        assert_eq!(
            value_cost(br#"{"a":"[,:{\"\\"}"#, 100),
            Some(20 + 1 + 3 + 1)
        );
        // `"\\"` is a string of one backslash; what follows it is structure again.
        assert_eq!(
            value_cost(br#""\\",[,[""#, 100),
            Some(1 + 1 + 4 + 1 + 4 + 1)
        );
        // Over the limit: `None`, without reading further.
        assert_eq!(value_cost(b"[0,0,0]", 5), None);
        assert_eq!(value_cost(b"[0,0,0]", 6), Some(6));
        // Any bytes at all.
        assert_eq!(value_cost(b"\xff\"\\", 100), Some(1));
    }

    #[test]
    fn a_message_over_a_smaller_value_limit_is_skipped() {
        let limit = value_cost(INITIALIZE.as_bytes(), usize::MAX).unwrap_or(0);
        let params = format!("[{}0]", "0,".repeat(limit));
        let over = format!(r#"{{"jsonrpc":"2.0","method":"x","params":{params}}}"#);
        let input = frame(&over) + &frame(INITIALIZE);
        let limits = Limits {
            max_value_cost: limit,
            ..LIMITS
        };
        let (delivered, logged) = pumped_with(input.as_bytes(), limits, |m| (m, true));
        assert_eq!(delivered.len(), 1);
        assert!(
            logged[0].contains(&format!("over {limit} units")),
            "{logged:?}"
        );
    }

    #[test]
    fn legitimate_messages_are_within_the_value_limit() {
        // A document of any size is about a hundred units, even one full of quotes, backslashes and
        // brackets.
        let text = "a: \"[{,:}]\\\" \u{1}\u{e9}\n".repeat(50_000);
        let change = serde_json::json!({
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": "file:///w/k8s/deploy.yaml", "version": 2},
                "contentChanges": [{"text": text}],
            },
        })
        .to_string();
        assert!(value_cost(change.as_bytes(), MAX_VALUE_COST).is_some_and(|c| c < 200));
        let (delivered, logged) = pumped(&frame(&change), MAX_BODY);
        assert_eq!(
            (delivered, logged),
            (vec!["textDocument/didChange".to_string()], vec![])
        );
        // A `workspace/didChangeWatchedFiles` for 20,000 files, and room for 300,000.
        let one = r#"{"uri":"file:///w/k8s/a-long-directory-name/deploy-1234.yaml","type":2}"#;
        let watched = format!(
            r#"{{"jsonrpc":"2.0","method":"workspace/didChangeWatchedFiles","params":{{"changes":[{}{one}]}}}}"#,
            format!("{one},").repeat(19_999)
        );
        let (delivered, logged) = pumped(&frame(&watched), MAX_BODY);
        assert_eq!(
            (delivered, logged),
            (vec!["workspace/didChangeWatchedFiles".to_string()], vec![])
        );
        let each = value_cost(format!("{one},").as_bytes(), MAX_VALUE_COST).unwrap_or(usize::MAX);
        assert!(each * 300_000 < MAX_VALUE_COST, "{each} units a change");
    }

    #[test]
    fn each_kind_of_message_is_read() {
        for (body, kind) in [
            (INITIALIZE, "initialize"),
            (INITIALIZED, "initialized"),
            // No params at all.
            (r#"{"jsonrpc":"2.0","method":"exit"}"#, "exit"),
            (
                r#"{"jsonrpc":"2.0","id":"r7","method":"shutdown"}"#,
                "shutdown",
            ),
            // An id that is not a request id makes a notification, as with `lsp_server`.
            (
                r#"{"jsonrpc":"2.0","id":null,"method":"initialized"}"#,
                "initialized",
            ),
            (
                r#"{"jsonrpc":"2.0","id":{},"method":"initialized"}"#,
                "initialized",
            ),
            (r#"{"jsonrpc":"2.0","id":7,"result":null}"#, "response 7"),
            (
                r#"{"id":"a","error":{"code":-32601,"message":"no"}}"#,
                "response \"a\"",
            ),
            (r#"{"id":8,"result":{"a":[1]},"extra":[{}]}"#, "response 8"),
        ] {
            let (delivered, logged) = pumped(&frame(body), MAX_BODY);
            assert_eq!(
                (delivered, logged),
                (vec![kind.to_string()], vec![]),
                "{body}"
            );
        }
        let message = |body: &str| {
            let (mut delivered, _) = pumped_with(frame(body).as_bytes(), LIMITS, |m| (m, true));
            delivered.pop()
        };
        let Some(Message::Request(request)) = message(INITIALIZE) else {
            panic!("not a request");
        };
        assert_eq!(
            (request.id, request.params),
            (1.into(), serde_json::json!({}))
        );
        let Some(Message::Response(response)) = message(r#"{"id":8,"result":{"a":[1]}}"#) else {
            panic!("not a response");
        };
        assert_eq!(
            response.response_result.ok(),
            Some(serde_json::json!({"a": [1]}))
        );
        let Some(Message::Response(response)) =
            message(r#"{"id":8,"error":{"code":-1,"message":"m","data":3}}"#)
        else {
            panic!("not a response");
        };
        let error = response.response_result.err().map(|e| (e.code, e.message));
        assert_eq!(error, Some((-1, "m".into())));
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

    /// A server busy with the first message until reading has ended (or 20 s have passed):
    /// the messages delivered, whether `end` came while it was busy, and the bytes of `input`
    /// read by then.
    fn pumped_while_busy(
        input: &[u8],
        limits: Limits,
        acts_on: impl Fn(&str) -> bool,
    ) -> (Vec<Message>, bool, usize) {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        /// Counts the bytes taken from the input.
        struct Counted<'a>(Cursor<Vec<u8>>, &'a AtomicUsize);
        impl Read for Counted<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let read = self.0.read(buf)?;
                self.1.fetch_add(read, Ordering::SeqCst);
                Ok(read)
            }
        }
        let ended = AtomicBool::new(false);
        let read = AtomicUsize::new(0);
        let mut read_while_busy = None;
        let mut ended_while_busy = false;
        let mut delivered = Vec::new();
        let mut input =
            io::BufReader::with_capacity(8 << 10, Counted(Cursor::new(input.to_vec()), &read));
        pump_limited(
            &mut input,
            limits,
            acts_on,
            |message| {
                if delivered.is_empty() {
                    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
                    let mut last = usize::MAX;
                    // Busy until reading has ended, or stopped for 500 ms (a full queue).
                    while !ended.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                        std::thread::sleep(std::time::Duration::from_millis(500));
                        let now = read.load(Ordering::SeqCst);
                        if now == last {
                            break;
                        }
                        last = now;
                    }
                    ended_while_busy = ended.load(Ordering::SeqCst);
                    read_while_busy = Some(read.load(Ordering::SeqCst));
                }
                delivered.push(message);
                true
            },
            || ended.store(true, Ordering::SeqCst),
            |_| {},
        );
        (delivered, ended_while_busy, read_while_busy.unwrap_or(0))
    }

    fn methods(messages: &[Message]) -> Vec<String> {
        messages
            .iter()
            .map(|m| match m {
                Message::Request(r) => r.method.clone(),
                Message::Notification(n) => n.method.clone(),
                Message::Response(r) => format!("response {}", r.id),
            })
            .collect()
    }

    #[test]
    fn a_shutdown_behind_ignored_notifications_is_seen_while_the_server_is_busy() {
        // 20 notifications of 2 MB of `[0]`s, which took about 100 MB each read; the server
        // does nothing with them.
        let ignored = format!(
            r#"{{"jsonrpc":"2.0","method":"x/y","params":[{}[0]]}}"#,
            "[0],".repeat(500_000)
        );
        let shutdown = r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#;
        let mut input = frame(INITIALIZE) + &frame(INITIALIZED);
        for _ in 0..20 {
            input += &frame(&ignored);
        }
        input += &frame(shutdown);
        let acts_on = |method: &str| method != "x/y";
        let (delivered, ended, read) = pumped_while_busy(input.as_bytes(), LIMITS, acts_on);
        assert!(
            ended && read == input.len(),
            "{read} of {} bytes",
            input.len()
        );
        assert_eq!(
            methods(&delivered),
            ["initialize", "initialized", "shutdown"]
        );
    }

    #[test]
    fn what_waits_for_a_busy_server_is_bounded_and_delivered_in_order() {
        // Requests: the server answers each, so none is dropped; their params are not kept.
        let mut input = frame(INITIALIZE);
        for id in 2..2_000 {
            input += &frame(&format!(
                r#"{{"jsonrpc":"2.0","id":{id},"method":"x/{id}","params":[{}0]}}"#,
                "0,".repeat(500)
            ));
        }
        let limits = Limits {
            max_queued: 64 << 10,
            ..LIMITS
        };
        let (delivered, ended, read) = pumped_while_busy(input.as_bytes(), limits, |_| true);
        // The reader waited: it read some 300 requests of 1 KB (they wait as about 150 bytes
        // each), not all 2,000.
        assert!(!ended && read < input.len() / 2, "read {read} bytes");
        let expected: Vec<String> = std::iter::once("initialize".to_string())
            .chain((2..2_000).map(|id| format!("x/{id}")))
            .collect();
        assert_eq!(methods(&delivered), expected);
        for message in &delivered[1..] {
            let Message::Request(request) = message else {
                panic!("not a request: {message:?}");
            };
            assert_eq!(request.params, serde_json::Value::Null);
        }
    }

    #[test]
    fn a_whole_text_change_replaces_the_one_waiting_before_it() {
        let change = |uri: &str, version: i32, ranged: bool| {
            let range = if ranged {
                r#""range":{"start":{"line":0,"character":0},"end":{"line":0,"character":0}},"#
            } else {
                ""
            };
            frame(&format!(
                r#"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{{"textDocument":{{"uri":"{uri}","version":{version}}},"contentChanges":[{{{range}"text":"v{version}"}}]}}}}"#
            ))
        };
        let input = [
            frame(INITIALIZE),
            change("file:///u", 2, false),
            change("file:///u", 3, false),
            change("file:///u", 4, false),
            change("file:///v", 1, false),
            change("file:///v", 2, true),
            change("file:///v", 3, false),
            change("file:///u", 5, false),
            frame(INITIALIZED),
            change("file:///u", 6, false),
        ]
        .concat();
        let (delivered, ended, _) = pumped_while_busy(input.as_bytes(), LIMITS, |_| true);
        assert!(ended);
        let versions: Vec<String> = delivered[1..]
            .iter()
            .map(|m| match m {
                Message::Notification(n) => format!(
                    "{} {}",
                    n.params["textDocument"]["uri"], n.params["textDocument"]["version"]
                ),
                m => format!("{m:?}"),
            })
            .collect();
        assert_eq!(
            versions,
            [
                r#""file:///u" 4"#,
                r#""file:///v" 1"#,
                r#""file:///v" 2"#,
                r#""file:///v" 3"#,
                r#""file:///u" 5"#,
                "null null",
                r#""file:///u" 6"#,
            ]
        );
    }

    #[test]
    fn before_initialize_every_message_is_kept_whole() {
        let ignored = r#"{"jsonrpc":"2.0","method":"x/y","params":[1]}"#;
        let request = r#"{"jsonrpc":"2.0","id":9,"method":"x/z","params":[2]}"#;
        let input = [
            frame(ignored),
            frame(request),
            frame(INITIALIZE),
            frame(ignored),
            frame(request),
        ]
        .concat();
        let acts_on = |method: &str| method != "x/y";
        let (delivered, _, _) = pumped_while_busy(input.as_bytes(), LIMITS, acts_on);
        let shown: Vec<String> = delivered
            .iter()
            .map(|m| match m {
                Message::Request(r) => format!("{} {}", r.method, r.params),
                Message::Notification(n) => format!("{} {}", n.method, n.params),
                m => format!("{m:?}"),
            })
            .collect();
        assert_eq!(shown, ["x/y [1]", "x/z [2]", "initialize {}", "x/z null"]);
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
