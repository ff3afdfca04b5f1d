//! `shutdownlint server`: a language server on stdio that publishes diagnostics.
//!
//! The server lints whole workspace folders, not single buffers, because findings cross files
//! (a Dockerfile's CMD and a manifest's grace period, a Dockerfile and the script it copies).
//! Open documents are overlaid on the files on disk; diagnostics are published for open
//! documents only. Each workspace folder uses its `.shutdownlint.toml` (the nearest one upward
//! from the folder, as the command line does), re-read when it is saved or changes on disk.
//!
//! One thread handles messages and lints (the lint itself runs on rayon's pool); a burst of
//! changes is coalesced into one lint. Text sync is full-document.

mod convert;
mod folders;
pub mod transport;
mod uri;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{notification, request, Uri};
use serde_json::Value;

use crate::change::paths::Reached;
use crate::config::{Config, Selection, CONFIG_FILE_NAME};
use crate::source::FileKind;
use crate::{InputFile, Report, Settings};

use convert::{Converter, Encoding, Style};
use folders::PathTree;

/// After a change, the server waits until no message has arrived for this long, then lints once
/// for everything that arrived (an editor sends a burst of `didChange`s for one edit, several
/// `didOpen`s when it restores a session).
const QUIET: Duration = Duration::from_millis(15);

/// The longest a lint is put off while messages keep coming.
const MAX_DELAY: Duration = Duration::from_millis(200);

/// Run the server on stdin/stdout until the client says `exit` (or closes stdin).
/// Exit code 0 after `shutdown` then `exit`, 1 otherwise (LSP spec).
///
/// Messages are read and written by two threads of our own ([`transport`]), connected to the
/// server through an in-memory connection: `lsp_server`'s stdio reader aborts the process on a
/// header that announces a huge body.
pub fn serve_stdio() -> ExitCode {
    // The server takes each message when it is ready for it: until then the message waits in the
    // reader's bounded queue, as its body ([`transport::pump`]).
    let (to_server, receiver) = crossbeam_channel::bounded(0);
    let (sender, from_server) = crossbeam_channel::unbounded();
    let connection = Connection { sender, receiver };
    // Set by the reader when the editor asks the server to stop (`shutdown`, `exit`) or is gone
    // (the end of stdin): a lint in progress then ends at its next stage instead of keeping
    // the answer waiting.
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = Arc::clone(&stop);
    let reader = std::thread::Builder::new()
        .name("lsp-reader".to_string())
        .spawn(move || {
            let stdin = std::io::stdin();
            let deliver = |message: Message| to_server.send(message).is_ok();
            let end = || stopping.store(true, Ordering::Relaxed);
            transport::pump(&mut stdin.lock(), acts_on, deliver, end, log);
        });
    let writer = std::thread::Builder::new()
        .name("lsp-writer".to_string())
        .spawn(move || transport::write_all(from_server, &mut std::io::stdout().lock()));
    let (Ok(_reader), Ok(writer)) = (reader, writer) else {
        log("could not start the threads that read and write messages");
        return ExitCode::from(1);
    };
    let code = serve(&connection, stop);
    // Dropping the connection ends the writer once it has sent what is queued. The reader is
    // not waited for: after `exit` or the end of stdin it has stopped; otherwise it may be
    // blocked reading stdin, and returning ends the process.
    drop(connection);
    match writer.join() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => log(&format!("connection: {e}")),
        Err(_) => log("connection: the writer thread panicked"),
    }
    code
}

/// The notifications [`Server::handle_notification`] does something with; the reader drops
/// the others (after `initialize`) without reading their params.
fn acts_on(method: &str) -> bool {
    [
        notification::Exit::METHOD,
        notification::Initialized::METHOD,
        notification::DidOpenTextDocument::METHOD,
        notification::DidChangeTextDocument::METHOD,
        notification::DidSaveTextDocument::METHOD,
        notification::DidCloseTextDocument::METHOD,
        notification::DidChangeWatchedFiles::METHOD,
        notification::DidChangeWorkspaceFolders::METHOD,
    ]
    .contains(&method)
}

/// Serve one connection until `exit`. `stop` is set when the session is ending: every lint
/// looks at it between its stages.
fn serve(connection: &Connection, stop: Arc<AtomicBool>) -> ExitCode {
    let (id, params) = match connection.initialize_start() {
        Ok(start) => start,
        Err(e) => {
            log(&format!("before initialize: {e}"));
            return ExitCode::from(1);
        }
    };
    let client = ClientSetup::read(&params);
    let result = serde_json::json!({
        "capabilities": {
            "positionEncoding": client.style.encoding.kind(),
            "textDocumentSync": {
                "openClose": true,
                "change": lsp_types::TextDocumentSyncKind::FULL,
                "save": { "includeText": false },
            },
            "workspace": {
                "workspaceFolders": { "supported": true, "changeNotifications": true },
            },
        },
        "serverInfo": { "name": "shutdownlint", "version": env!("CARGO_PKG_VERSION") },
    });
    if connection
        .sender
        .send(Response::new_ok(id, result).into())
        .is_err()
    {
        return ExitCode::from(1);
    }
    let mut server = Server {
        connection,
        style: client.style,
        watch_files: client.watch_files,
        workspaces: Vec::new(),
        folders: PathTree::default(),
        documents: HashMap::new(),
        config_problems: HashMap::new(),
        pending: false,
        checks: HashMap::new(),
        stale_config_dirs: HashSet::new(),
        folders_removed: false,
        shutdown: false,
        stop,
    };
    for root in client.roots {
        server.add_workspace(root);
    }
    server.settle_configs(false);
    server.run()
}

fn log(message: &str) {
    // Never a panic if the editor closed stderr.
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "shutdownlint server: {}",
        crate::output::visible(message, &[])
    );
}

/// What the client said in `initialize` that matters here.
struct ClientSetup {
    style: Style,
    watch_files: bool,
    roots: Vec<PathBuf>,
}

impl ClientSetup {
    /// Read leniently: a capability that is missing or malformed is treated as not supported.
    fn read(params: &Value) -> ClientSetup {
        let flag = |pointer: &str| params.pointer(pointer).and_then(Value::as_bool) == Some(true);
        let encodings = params
            .pointer("/capabilities/general/positionEncodings")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).collect::<Vec<_>>())
            .unwrap_or_default();
        let uri_path = |value: &Value| {
            value
                .as_str()
                .and_then(|s| s.parse::<Uri>().ok())
                .and_then(|u| uri::to_path(&u))
        };
        let folders: Vec<PathBuf> = params
            .get("workspaceFolders")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|folder| folder.get("uri").and_then(uri_path))
                    .collect()
            })
            .unwrap_or_default();
        let roots = if !folders.is_empty() {
            folders
        } else if let Some(root) = params.get("rootUri").and_then(uri_path) {
            vec![root]
        } else {
            params
                .get("rootPath")
                .and_then(Value::as_str)
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|p| crate::discover::absolute_by_name(&p))
                .into_iter()
                .collect()
        };
        ClientSetup {
            style: Style {
                encoding: Encoding::negotiate(encodings),
                related_information: flag(
                    "/capabilities/textDocument/publishDiagnostics/relatedInformation",
                ),
            },
            watch_files: flag("/capabilities/workspace/didChangeWatchedFiles/dynamicRegistration"),
            roots,
        }
    }
}

/// A workspace folder: linted as a whole, with its own configuration.
struct Workspace {
    root: PathBuf,
    settings: Settings,
    /// Something changed since the last lint.
    dirty: bool,
    /// Its configuration is read again before the next lint (it was just added, or a
    /// `.shutdownlint.toml` changed that its upward search can reach).
    config_stale: bool,
    /// The configuration file that could not be used and why, when the last reading failed.
    config_problem: Option<(PathBuf, String)>,
    /// What the last lint found in every file it linted; `None` when nothing was linted since
    /// the last change. It stands for a file whose text is unchanged since, while the workspace
    /// is not dirty.
    results: Option<HashMap<PathBuf, Linted>>,
    /// The last lint failure shown to the user, so it is shown once.
    lint_error: Option<String>,
}

/// What the last lint of a folder says of a file just opened.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Its findings are kept: they stand if the buffer holds the file's text.
    Kept,
    /// It needs a lint.
    Lint,
    /// Not a file we lint: no diagnostics.
    NotLinted,
}

/// What a lint found in one file, as far as it is kept.
enum Linted {
    /// The diagnostics (none for most files).
    Kept(Vec<lsp_types::Diagnostic>),
    /// It has findings that were not kept (over [`KEPT_DIAGNOSTICS`]): opening it lints again.
    NotKept,
}

/// Most diagnostics kept per workspace folder for files that are not open, so that opening one
/// needs no new lint. A folder of 400 files of 1,000 findings each took over 1 GB when all were
/// kept; past this, a file opened is linted again.
const KEPT_DIAGNOSTICS: usize = 10_000;

/// A document open in the editor.
struct Document {
    uri: Uri,
    version: i32,
    text: String,
    /// What was last published for it; `None` before the first publication.
    published: Option<Published>,
}

/// A fingerprint of the diagnostics last published for a document: enough to skip sending the
/// same again, without keeping them.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Published {
    hash: u64,
    empty: bool,
}

impl Published {
    fn of(diagnostics: &[lsp_types::Diagnostic]) -> Published {
        let mut hasher = HashWriter(std::collections::hash_map::DefaultHasher::new());
        // Serialising into a hasher cannot fail (it accepts every byte).
        let _ = serde_json::to_writer(&mut hasher, diagnostics);
        Published {
            hash: std::hash::Hasher::finish(&hasher.0),
            empty: diagnostics.is_empty(),
        }
    }
}

/// A text's length and hash: whether a file on disk holds a closed buffer's text is decided
/// without keeping the text.
fn fingerprint(text: &str) -> (usize, u64) {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    (text.len(), hasher.finish())
}

struct HashWriter(std::collections::hash_map::DefaultHasher);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        std::hash::Hasher::write(&mut self.0, bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A comparison of a document with its file on disk, put off until the messages that arrived
/// are handled (each handler does no more than its message's size of work).
#[derive(Default)]
struct Check {
    /// The document was closed with a buffer of this fingerprint: a lint is needed unless the
    /// file holds the same text.
    closed: Option<(usize, u64)>,
    /// The document was opened while the last lint's results stand: they are published if the
    /// buffer holds the text of the file on disk.
    opened: bool,
}

struct Server<'c> {
    connection: &'c Connection,
    style: Style,
    watch_files: bool,
    workspaces: Vec<Workspace>,
    /// The index in `workspaces` of each folder, by its root (an editor can send thousands,
    /// nested and deep): the folders holding a path are found in one walk down its components.
    folders: PathTree<usize>,
    documents: HashMap<PathBuf, Document>,
    /// Configuration files that cannot be used, with the problem published on them.
    config_problems: HashMap<PathBuf, String>,
    /// Work was put off until no message is waiting ([`Server::settle`]): a lint, configuration
    /// to read, files to compare.
    pending: bool,
    /// Documents to compare with their files on disk, by path.
    checks: HashMap<PathBuf, Check>,
    /// Folders whose `.shutdownlint.toml` was saved or changed on disk.
    stale_config_dirs: HashSet<PathBuf>,
    /// Workspace folders were removed: documents may have lost their folder, and configuration
    /// problems their last folder.
    folders_removed: bool,
    shutdown: bool,
    /// See [`serve`].
    stop: Arc<AtomicBool>,
}

impl Server<'_> {
    fn run(&mut self) -> ExitCode {
        let receiver = &self.connection.receiver;
        loop {
            let Ok(message) = receiver.recv() else {
                return self.disconnected();
            };
            if let Some(code) = self.handle(message) {
                return code;
            }
            let deadline = Instant::now() + MAX_DELAY;
            while self.needs_lint() {
                let wait = QUIET.min(deadline.saturating_duration_since(Instant::now()));
                match receiver.recv_timeout(wait) {
                    Ok(message) => {
                        if let Some(code) = self.handle(message) {
                            return code;
                        }
                    }
                    Err(e) if e.is_timeout() => self.settle(),
                    Err(_) => return self.disconnected(),
                }
            }
        }
    }

    /// stdin closed without `exit`.
    fn disconnected(&self) -> ExitCode {
        ExitCode::from(if self.shutdown { 0 } else { 1 })
    }

    fn needs_lint(&self) -> bool {
        !self.shutdown && self.pending
    }

    /// No message is waiting: do what the messages handled since the last time put off, once
    /// for all of them (configurations to read, files to compare, the lint). Each step ends
    /// early when the session is ending.
    fn settle(&mut self) {
        self.pending = false;
        let removed = std::mem::take(&mut self.folders_removed);
        if removed {
            self.clear_orphans();
        }
        self.settle_configs(removed);
        self.run_checks();
        if self.stop.load(Ordering::Relaxed) {
            return;
        }
        self.lint_dirty();
    }

    /// Handle one message; `Some(exit code)` on `exit`.
    fn handle(&mut self, message: Message) -> Option<ExitCode> {
        match message {
            Message::Request(request) => self.handle_request(request),
            Message::Notification(notification) => return self.handle_notification(notification),
            Message::Response(response) => {
                if let Err(error) = response.response_result {
                    log(&format!("the client refused a request: {}", error.message));
                }
            }
        }
        None
    }

    fn handle_request(&mut self, request: Request) {
        let response = if self.shutdown {
            Response::new_err(
                request.id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".to_string(),
            )
        } else if request.method == request::Shutdown::METHOD {
            self.shutdown = true;
            Response::new_ok(request.id, Value::Null)
        } else if request.method == request::Initialize::METHOD {
            Response::new_err(
                request.id,
                ErrorCode::InvalidRequest as i32,
                "initialize was already received".to_string(),
            )
        } else {
            Response::new_err(
                request.id,
                ErrorCode::MethodNotFound as i32,
                format!("shutdownlint does not handle `{}`", request.method),
            )
        };
        self.send(response.into());
    }

    fn handle_notification(&mut self, notification: Notification) -> Option<ExitCode> {
        let method = notification.method.as_str();
        if method == notification::Exit::METHOD {
            return Some(self.disconnected());
        }
        if self.shutdown {
            return None;
        }
        let params = notification.params;
        let result = match method {
            notification::Initialized::METHOD => {
                self.register_file_watchers();
                Ok(())
            }
            notification::DidOpenTextDocument::METHOD => {
                serde_json::from_value(params).map(|p| self.did_open(p))
            }
            notification::DidChangeTextDocument::METHOD => {
                serde_json::from_value(params).map(|p| self.did_change(p))
            }
            notification::DidSaveTextDocument::METHOD => {
                serde_json::from_value(params).map(|p| self.did_save(p))
            }
            notification::DidCloseTextDocument::METHOD => {
                serde_json::from_value(params).map(|p| self.did_close(p))
            }
            notification::DidChangeWatchedFiles::METHOD => {
                serde_json::from_value(params).map(|p| self.did_change_watched_files(p))
            }
            notification::DidChangeWorkspaceFolders::METHOD => {
                serde_json::from_value(params).map(|p| self.did_change_workspace_folders(p))
            }
            // `$/cancelRequest`, `$/setTrace`, `workspace/didChangeConfiguration`, …: nothing to do.
            _ => Ok(()),
        };
        if let Err(e) = result {
            log(&format!("ignoring a malformed `{method}`: {e}"));
        }
        None
    }

    fn did_open(&mut self, params: lsp_types::DidOpenTextDocumentParams) {
        let document = params.text_document;
        let Some(path) = uri::to_path(&document.uri) else {
            return;
        };
        self.documents.insert(
            path.clone(),
            Document {
                uri: document.uri,
                version: document.version,
                text: document.text,
                published: None,
            },
        );
        // Outside every workspace folder: not linted.
        let holding = self.workspaces_holding(&path);
        let Some(&w) = holding.first() else {
            return;
        };
        // The innermost folder's lint publishes for the document.
        if !self.workspaces[w].dirty {
            match self.standing(w, &path) {
                // Its findings stand if the buffer holds the file's text (compared below).
                Standing::Kept => {}
                Standing::Lint => self.mark_workspace_dirty(w),
                // Not a file we lint (README.md, .shutdownlint.toml): no diagnostics.
                Standing::NotLinted => return,
            }
        }
        // The buffer stands for the file in the lint of every folder holding it (folders can
        // nest): unless they all lint again anyway, whether it holds the text of the file on
        // disk, which their last lints read, is seen once no message is waiting.
        if holding.iter().any(|&h| !self.workspaces[h].dirty) {
            self.checks.entry(path).or_default().opened = true;
            self.pending = true;
        }
    }

    /// What the last lint of folder `w` says of `path`, for a document just opened.
    fn standing(&self, w: usize, path: &Path) -> Standing {
        let Some(results) = &self.workspaces[w].results else {
            return Standing::Lint;
        };
        match results.get(path) {
            // The last lint read the file: its findings stand for the file's text.
            Some(Linted::Kept(_)) => Standing::Kept,
            // Its findings were not kept.
            Some(Linted::NotKept) => Standing::Lint,
            // A file of a kind we lint that the last lint did not see (new since).
            None if crate::discover::classify_name(path).is_some() => Standing::Lint,
            None => Standing::NotLinted,
        }
    }

    fn did_change(&mut self, params: lsp_types::DidChangeTextDocumentParams) {
        let Some(path) = uri::to_path(&params.text_document.uri) else {
            return;
        };
        let Some(document) = self.documents.get_mut(&path) else {
            return;
        };
        // Full sync: each change holds the whole text; the last one wins.
        let Some(change) = params.content_changes.into_iter().next_back() else {
            return;
        };
        if change.range.is_some() {
            log("ignoring a ranged change: the server asked for full-document sync");
            return;
        }
        document.text = change.text;
        document.version = params.text_document.version;
        self.mark_dirty(&path);
    }

    fn did_save(&mut self, params: lsp_types::DidSaveTextDocumentParams) {
        let Some(path) = uri::to_path(&params.text_document.uri) else {
            return;
        };
        if is_config_file(&path) {
            self.config_changed(&path);
        } else {
            // The text is what was linted already, but files it refers to may have changed on
            // disk without the client telling us.
            self.mark_dirty(&path);
        }
    }

    fn did_close(&mut self, params: lsp_types::DidCloseTextDocumentParams) {
        let Some(path) = uri::to_path(&params.text_document.uri) else {
            return;
        };
        let Some(document) = self.documents.remove(&path) else {
            return;
        };
        if document.published.is_some_and(|d| !d.empty) {
            self.send_diagnostics(document.uri, Vec::new(), None);
        }
        // Only a file of a workspace can change what a lint finds: one outside is not read.
        if self.workspace_of(&path).is_none() {
            return;
        }
        // Unsaved edits are dropped: other files' findings go back to the file on disk. Whether
        // the file holds other text is seen once no message is waiting: reading it here would
        // cost its size for every message.
        let check = self.checks.entry(path).or_default();
        check.closed = Some(fingerprint(&document.text));
        check.opened = false;
        self.pending = true;
    }

    fn did_change_watched_files(&mut self, params: lsp_types::DidChangeWatchedFilesParams) {
        for change in params.changes {
            // One message can hold 300,000 changes: a session ending does not wait for them.
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
            let Some(path) = uri::to_path(&change.uri) else {
                continue;
            };
            if is_config_file(&path) {
                self.config_changed(&path);
            } else {
                self.mark_dirty(&path);
            }
        }
    }

    /// A `.shutdownlint.toml` was saved or changed on disk: the folders whose upward search
    /// can reach it read their configuration again before the next lint.
    fn config_changed(&mut self, path: &Path) {
        if let Some(dir) = path.parent() {
            if !self.stale_config_dirs.contains(dir) {
                self.stale_config_dirs.insert(dir.to_path_buf());
            }
            self.pending = true;
        }
    }

    fn did_change_workspace_folders(&mut self, params: lsp_types::DidChangeWorkspaceFoldersParams) {
        for removed in &params.event.removed {
            let Some(root) = uri::to_path(&removed.uri) else {
                continue;
            };
            let Some(i) = self.folders.remove(&root) else {
                continue;
            };
            // The last folder takes the removed one's place: no other index changes.
            self.workspaces.swap_remove(i);
            if let Some(moved) = self.workspaces.get(i) {
                if let Some(index) = self.folders.get_mut(&moved.root) {
                    *index = i;
                }
            }
            // Its documents now belong to the folders around it (another configuration), whose
            // lints publish for them from now on.
            self.mark_dirty(&root);
            self.folders_removed = true;
            self.pending = true;
        }
        for added in params.event.added {
            if let Some(root) = uri::to_path(&added.uri) {
                self.add_workspace(root);
            }
        }
    }

    /// Documents that no folder holds any more lose their diagnostics.
    fn clear_orphans(&mut self) {
        let orphans: Vec<PathBuf> = self
            .documents
            .keys()
            .filter(|p| self.workspace_of(p).is_none())
            .cloned()
            .collect();
        for path in orphans {
            if let Some(document) = self.documents.get_mut(&path) {
                if document.published.take().is_some_and(|d| !d.empty) {
                    let uri = document.uri.clone();
                    self.send_diagnostics(uri, Vec::new(), None);
                }
            }
        }
    }

    fn add_workspace(&mut self, root: PathBuf) {
        if self.folders.contains(&root) {
            return;
        }
        self.folders.insert(&root, self.workspaces.len());
        self.workspaces.push(Workspace {
            root,
            settings: default_settings(&self.stop),
            dirty: true,
            config_stale: true,
            config_problem: None,
            results: None,
            lint_error: None,
        });
        self.pending = true;
    }

    /// The workspace folders holding `path`, innermost first: those of its ancestors that are
    /// one, found in time linear in the path's length (before the twenty-first day each
    /// ancestor was hashed whole: a change 1,900 folders deep with a folder of a 4,000-byte
    /// name took 7 ms).
    fn workspaces_holding(&self, path: &Path) -> Vec<usize> {
        let mut holding: Vec<usize> = self.folders.along(path).into_iter().copied().collect();
        holding.reverse();
        holding
    }

    /// The innermost workspace folder holding `path`.
    fn workspace_of(&self, path: &Path) -> Option<usize> {
        self.folders.along(path).last().map(|&w| *w)
    }

    /// A file changed: every workspace folder holding it lints again (folders can nest).
    fn mark_dirty(&mut self, path: &Path) {
        for w in self.workspaces_holding(path) {
            self.mark_workspace_dirty(w);
        }
    }

    fn mark_workspace_dirty(&mut self, w: usize) {
        if let Some(workspace) = self.workspaces.get_mut(w) {
            workspace.dirty = true;
            self.pending = true;
        }
    }

    /// Compare the documents opened and closed since the last time with their files on disk,
    /// each file read once.
    fn run_checks(&mut self) {
        let checks = std::mem::take(&mut self.checks);
        for (path, check) in checks {
            if self.stop.load(Ordering::Relaxed) {
                return;
            }
            // Every folder holding the file read it in its last lint, the innermost publishes
            // for it.
            let holding = self.workspaces_holding(&path);
            let Some(&w) = holding.first() else {
                continue;
            };
            if holding.iter().all(|&h| self.workspaces[h].dirty) {
                // A lint is coming for each anyway.
                continue;
            }
            let workspace = &self.workspaces[w];
            let disk = read_in_workspace(&workspace.root, &path, workspace.settings.max_file_bytes);
            if let Some(closed) = check.closed {
                // The buffer's text goes: the file's comes back, in every folder's lint.
                if disk.as_deref().map(fingerprint) != Some(closed) {
                    self.mark_dirty(&path);
                    continue;
                }
            }
            if !check.opened {
                continue;
            }
            let Some(document) = self.documents.get(&path) else {
                continue;
            };
            let unchanged = disk.is_some_and(|disk| disk == document.text);
            let standing = (!self.workspaces[w].dirty).then(|| self.standing(w, &path));
            if standing == Some(Standing::NotLinted) {
                continue;
            }
            if !unchanged {
                // The buffer's text comes in place of the file's, in every folder's lint.
                self.mark_dirty(&path);
                continue;
            }
            let kept = match &self.workspaces[w].results {
                Some(results) => match results.get(&path) {
                    Some(Linted::Kept(diagnostics)) => Some(diagnostics.clone()),
                    _ => None,
                },
                None => None,
            };
            match (standing, kept) {
                // The innermost folder lints again anyway.
                (None, _) => {}
                (Some(_), Some(diagnostics)) => self.publish(&path, &diagnostics),
                (Some(_), None) => self.mark_workspace_dirty(w),
            }
        }
    }

    /// Read the configuration of the folders that need it again (added, or a
    /// `.shutdownlint.toml` changed in one of their folders or above): each once, however many
    /// messages asked. A configuration that cannot be used gets a diagnostic on its file and a
    /// message; the workspace keeps its previous settings.
    fn settle_configs(&mut self, folders_removed: bool) {
        // Each folder is looked for among them in one walk down its path.
        let mut dirs = PathTree::default();
        for dir in std::mem::take(&mut self.stale_config_dirs) {
            dirs.insert(&dir, ());
        }
        let mut reloaded = false;
        let mut linked = Vec::new();
        let stale: Vec<usize> = (0..self.workspaces.len())
            .filter(|&w| {
                let workspace = &self.workspaces[w];
                workspace.config_stale || dirs.holds(&workspace.root)
            })
            .collect();
        if self.stop.load(Ordering::Relaxed) {
            return;
        }
        // Their configurations are looked up together: the folders' names are walked once
        // however many folders share them (each folder's walk from the root cost thousands of
        // steps for each of thousands of nested folders), each file read once.
        let roots: Vec<&Path> = stale
            .iter()
            .map(|&w| self.workspaces[w].root.as_path())
            .collect();
        let found = crate::config::find_upward_each(&roots);
        drop(roots);
        let mut loaded: HashMap<PathBuf, Loaded> = HashMap::new();
        let stop = Arc::clone(&self.stop);
        for (&w, (looked, config)) in stale.iter().zip(found) {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let workspace = &mut self.workspaces[w];
            // Added: the lint does not follow a folder that is a symbolic link, nor one reached
            // through a link a git work tree holds (`repo/alias/sub`, `alias -> real`
            // committed), as the command line does not; that would otherwise go without a word.
            // No configuration is read through such a link either (see
            // [`crate::config::find_upward_each`]).
            if workspace.config_stale {
                if looked.is_link {
                    linked.push((workspace.root.clone(), None));
                } else if let Reached::Link { link } = looked.reached {
                    linked.push((workspace.root.clone(), Some(link)));
                }
            }
            workspace.config_stale = false;
            workspace.dirty = true;
            self.pending = true;
            reloaded = true;
            let settings = match config {
                Ok(None) => Ok(default_settings(&stop)),
                Err((path, what)) => Err((path, what.to_string())),
                Ok(Some(path)) => loaded
                    .entry(path)
                    .or_insert_with_key(|path| load_config(path))
                    .clone()
                    .map(|(config, selection)| editor_settings(config, selection, &stop)),
            };
            match settings {
                Ok(settings) => {
                    workspace.settings = settings;
                    workspace.config_problem = None;
                }
                Err(problem) => workspace.config_problem = Some(problem),
            }
        }
        drop(loaded);
        for (root, link) in linked {
            let message = match link {
                None => format!(
                    "shutdownlint: the workspace folder {} is a symbolic link, which is not \
                     followed: nothing in it is linted. Open the folder it points to instead.",
                    root.display()
                ),
                Some(link) => format!(
                    "shutdownlint: the workspace folder {} goes through the symbolic link {}, \
                     which is not followed: nothing in it is linted. Open the folder it points \
                     to instead.",
                    root.display(),
                    link.display()
                ),
            };
            self.show_message(lsp_types::MessageType::WARNING, message);
        }
        if !reloaded && !folders_removed {
            return;
        }
        let problems: HashMap<PathBuf, String> = self
            .workspaces
            .iter()
            .filter_map(|w| w.config_problem.clone())
            .collect();
        let fixed: Vec<PathBuf> = self
            .config_problems
            .keys()
            .filter(|path| !problems.contains_key(*path))
            .cloned()
            .collect();
        for path in fixed {
            self.config_problems.remove(&path);
            if let Some(uri) = self.uri_of(&path) {
                self.send_diagnostics(uri, Vec::new(), None);
            }
        }
        for (path, message) in problems {
            if self.config_problems.get(&path) == Some(&message) {
                continue;
            }
            self.show_message(
                lsp_types::MessageType::ERROR,
                format!(
                    "shutdownlint: {}: {}; linting with the previous settings until it is fixed",
                    path.display(),
                    message.lines().next().unwrap_or_default()
                ),
            );
            // The text only places the diagnostic. The file was refused, perhaps for what it
            // is (a FIFO, a link to /dev/zero or out of the workspace, 500 MB): read it only
            // as a regular file within the size a configuration may have.
            let text = std::fs::symlink_metadata(&path)
                .is_ok_and(|meta| meta.is_file())
                .then(|| crate::read_file(&path, crate::config::MAX_CONFIG_BYTES).ok())
                .flatten()
                .unwrap_or_default();
            let diagnostic = convert::config_diagnostic(&text, &message, self.style.encoding);
            if let Some(uri) = self.uri_of(&path) {
                self.send_diagnostics(uri, vec![diagnostic], None);
            }
            self.config_problems.insert(path, message);
        }
    }

    /// Lint every changed workspace that has open documents and publish what changed.
    fn lint_dirty(&mut self) {
        // The open documents of each workspace folder (a lint changes neither).
        let mut open_in: HashMap<usize, Vec<PathBuf>> = HashMap::new();
        for path in self.documents.keys() {
            if let Some(w) = self.workspace_of(path) {
                open_in.entry(w).or_default().push(path.clone());
            }
        }
        for w in 0..self.workspaces.len() {
            if !self.workspaces[w].dirty {
                continue;
            }
            self.workspaces[w].dirty = false;
            // The last lint's results go before this one runs: two sets are never held at once.
            self.workspaces[w].results = None;
            let Some(open) = open_in.remove(&w) else {
                // Nobody looks: lint when a document is opened.
                continue;
            };
            // A bug in a rule must not take the editor's diagnostics down with it: the panic
            // is reported (its message is on stderr) and the next change lints again.
            let linted =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.lint_workspace(w)))
                    .unwrap_or_else(|_| {
                        Err("internal error while linting (see the server log)".into())
                    });
            if self.stop.load(Ordering::Relaxed) {
                // The session is ending: what the lint found (or that it stopped) goes nowhere.
                return;
            }
            let report = match linted {
                Ok(report) => report,
                Err(message) => {
                    let workspace = &mut self.workspaces[w];
                    if workspace.lint_error.as_ref() != Some(&message) {
                        workspace.lint_error = Some(message.clone());
                        self.show_message(
                            lsp_types::MessageType::ERROR,
                            format!("shutdownlint: {message}"),
                        );
                    }
                    // Nothing stands for the open documents: their diagnostics are cleared.
                    for path in &open {
                        if self
                            .documents
                            .get(path)
                            .is_some_and(|d| d.published.is_some())
                        {
                            self.publish(path, &[]);
                        }
                    }
                    continue;
                }
            };
            self.workspaces[w].lint_error = None;
            let results = self.publish_report(w, &report, &open);
            drop(report);
            self.workspaces[w].results = Some(results);
        }
    }

    /// Publish the diagnostics of the open documents `open` of workspace `w` from its lint's
    /// report, converted one file at a time, and return what is kept of the report: for every
    /// file it linted, its diagnostics while they fit in [`KEPT_DIAGNOSTICS`].
    fn publish_report(
        &mut self,
        w: usize,
        report: &Report,
        open: &[PathBuf],
    ) -> HashMap<PathBuf, Linted> {
        let root = self.workspaces[w].root.clone();
        let max_file_bytes = self.workspaces[w].settings.max_file_bytes;
        // The URIs the client uses for its documents (related locations point into them).
        let uris: HashMap<PathBuf, Uri> = self
            .documents
            .iter()
            .map(|(path, document)| (path.clone(), document.uri.clone()))
            .collect();
        let uri_of = |path: &Path| uris.get(path).cloned().or_else(|| uri::from_path(path));
        let mut converter = Converter::new(report, self.style, &root, &uri_of);
        let open: HashSet<&Path> = open.iter().map(PathBuf::as_path).collect();
        let mut results = HashMap::new();
        let mut budget = KEPT_DIAGNOSTICS;
        for (path, file, count) in converter.files() {
            let is_open = open.contains(path);
            let linted = match file {
                Some(file) if count > 0 && (is_open || count <= budget) => {
                    let diagnostics = converter.convert(file);
                    if is_open {
                        self.publish(path, &diagnostics);
                    }
                    if diagnostics.len() <= budget {
                        budget -= diagnostics.len();
                        Linted::Kept(diagnostics)
                    } else {
                        Linted::NotKept
                    }
                }
                _ if count == 0 => Linted::Kept(Vec::new()),
                _ => Linted::NotKept,
            };
            if count == 0 && is_open {
                self.publish(path, &[]);
            }
            results.insert(path.to_path_buf(), linted);
        }
        for path in open {
            if results.contains_key(path) {
                continue;
            }
            let Some(document) = self.documents.get(path) else {
                continue;
            };
            let over = document.text.len() as u64 > max_file_bytes;
            if over && crate::discover::classify_name(path).is_some() {
                // As the command line notes a file over the limit: not linted, said so.
                let note = convert::skipped_diagnostic(&crate::over_size_limit(
                    document.text.len() as u64,
                    max_file_bytes,
                ));
                self.publish(path, &[note]);
            } else if document.published.is_some() {
                // No longer linted (excluded by the configuration, deleted): clear.
                self.publish(path, &[]);
            }
            // Otherwise not a file we lint: never published.
        }
        results
    }

    /// Lint a workspace folder with the open documents in place of their files.
    fn lint_workspace(&self, w: usize) -> Result<Report, String> {
        let workspace = &self.workspaces[w];
        let paths = [workspace.root.clone()];
        let overlay = |path: &Path| self.documents.get(path).map(|d| d.text.clone());
        let report = crate::lint_paths_overlaid(&paths, &workspace.settings, &overlay, Vec::new())
            .map_err(|e| e.0)?;
        // Entrypoint scripts are not found by name but through the Dockerfiles that copy them,
        // and read from disk. When one is open with other text, lint again with its buffer.
        let scripts: Vec<InputFile> = report
            .files
            .iter()
            .filter(|(_, file)| file.kind == FileKind::ShellScript)
            .filter_map(|(id, file)| {
                let path = convert::file_path(&report, id);
                let document = self.documents.get(path)?;
                let changed = *document.text != *report.files.text(id);
                // A buffer over the size limit is not linted (the file on disk still is).
                let fits = document.text.len() as u64 <= workspace.settings.max_file_bytes;
                (changed && fits).then(|| InputFile {
                    display: file.path.to_string(),
                    kind: FileKind::ShellScript,
                    text: document.text.clone(),
                    dir: path.parent().map(Path::to_path_buf),
                })
            })
            .collect();
        if scripts.is_empty() {
            return Ok(report);
        }
        crate::lint_paths_overlaid(&paths, &workspace.settings, &overlay, scripts).map_err(|e| e.0)
    }

    /// Publish a document's diagnostics unless the client has them already.
    fn publish(&mut self, path: &Path, diagnostics: &[lsp_types::Diagnostic]) {
        let Some(document) = self.documents.get_mut(path) else {
            return;
        };
        let published = Published::of(diagnostics);
        if document.published == Some(published) {
            return;
        }
        document.published = Some(published);
        let (uri, version) = (document.uri.clone(), document.version);
        self.send_diagnostics(uri, diagnostics.to_vec(), Some(version));
    }

    fn send_diagnostics(
        &self,
        uri: Uri,
        diagnostics: Vec<lsp_types::Diagnostic>,
        version: Option<i32>,
    ) {
        let params = lsp_types::PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(
            Notification::new(notification::PublishDiagnostics::METHOD.to_string(), params).into(),
        );
    }

    fn show_message(&self, typ: lsp_types::MessageType, message: String) {
        let params = lsp_types::ShowMessageParams { typ, message };
        self.send(Notification::new(notification::ShowMessage::METHOD.to_string(), params).into());
    }

    /// Ask the client to tell us when configuration or linted files change on disk (a branch
    /// switch, a formatter run outside the editor).
    fn register_file_watchers(&self) {
        if !self.watch_files {
            return;
        }
        let watchers = WATCHED
            .iter()
            .map(|glob| lsp_types::FileSystemWatcher {
                glob_pattern: lsp_types::GlobPattern::String(glob.to_string()),
                kind: None,
            })
            .collect();
        let options = lsp_types::DidChangeWatchedFilesRegistrationOptions { watchers };
        let params = lsp_types::RegistrationParams {
            registrations: vec![lsp_types::Registration {
                id: "shutdownlint-watched-files".to_string(),
                method: notification::DidChangeWatchedFiles::METHOD.to_string(),
                register_options: serde_json::to_value(options).ok(),
            }],
        };
        let request = Request::new(
            RequestId::from("shutdownlint-register-watchers".to_string()),
            request::RegisterCapability::METHOD.to_string(),
            params,
        );
        self.send(request.into());
    }

    /// The URI the client uses for a path when it has the document open, else one made from it.
    fn uri_of(&self, path: &Path) -> Option<Uri> {
        match self.documents.get(path) {
            Some(document) => Some(document.uri.clone()),
            None => uri::from_path(path),
        }
    }

    fn send(&self, message: Message) {
        // A closed connection ends the loop at the next receive.
        let _ = self.connection.sender.send(message);
    }
}

/// Files whose change on disk can change findings: the configuration, the kinds we lint, and
/// entrypoint scripts.
const WATCHED: &[&str] = &[
    "**/.shutdownlint.toml",
    "**/Dockerfile",
    "**/Dockerfile.*",
    "**/*.Dockerfile",
    "**/Containerfile",
    "**/Containerfile.*",
    "**/*.yaml",
    "**/*.yml",
    "**/*.service",
    "**/*.conf",
    "**/Procfile",
    "**/Procfile.*",
    "**/fly.toml",
    "**/*.sh",
    // Files a server reads its drain timeout from by default (SL301/SL303), and what decides
    // which files a COPY puts into an image.
    "**/gunicorn.conf.py",
    "**/sidekiq.yml.erb",
    "**/.dockerignore",
];

/// The text of `path`, a file of the workspace folder `root`, as the workspace lint would read
/// it; `None` when it is not such a file. The path comes from the client (or from a lint, and
/// the file may have changed since): only a regular file that is no symbolic link and whose
/// real path is inside the folder's real path is read, as the lint's walk would find it. A
/// link can point anywhere, and `/proc/kmsg` passes for a regular file whose read blocks for
/// good. It is opened without waiting, at most `max_bytes` are read, and it is read only if
/// the file opened is still the one inside the folder, should it be swapped for something else
/// after these checks ([`crate::link::read_confined`]).
fn read_in_workspace(root: &Path, path: &Path, max_bytes: u64) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.file_type().is_file() {
        return None;
    }
    let path = crate::link::confined(root, relative)?;
    crate::link::read_confined(&path, root, max_bytes).ok()
}

fn is_config_file(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| name == CONFIG_FILE_NAME)
}

fn default_settings(stop: &Arc<AtomicBool>) -> Settings {
    editor_settings(Config::default(), Selection::all(), stop)
}

/// Settings for linting a workspace folder: the results keep every file the lint read, so
/// opening one it had nothing to say about (a CustomResourceDefinition) needs no new lint.
/// A lint ends early once `stop` is set.
fn editor_settings(config: Config, selection: Selection, stop: &Arc<AtomicBool>) -> Settings {
    Settings {
        keep_released_paths: true,
        stop: Some(Arc::clone(stop)),
        ..Settings::new(config, selection)
    }
}

/// A configuration read and checked, or the file and the problem.
type Loaded = Result<(Config, Selection), (PathBuf, String)>;

/// A workspace folder's configuration file (found by [`crate::config::find_upward_each`]) read
/// and checked. On error: the file and the problem (without the path prefix).
fn load_config(path: &Path) -> Loaded {
    let problem = |e: crate::config::ConfigError| {
        let prefix = format!("{}: ", path.display());
        let message = e.0.strip_prefix(&prefix).unwrap_or(&e.0).to_string();
        (path.to_path_buf(), message)
    };
    let config = Config::load(path).map_err(problem)?;
    let selection = Selection::new(&config, None, &[]).map_err(problem)?;
    Ok((config, selection))
}
