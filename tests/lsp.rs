//! `shutdownlint server` driven as an editor drives it: the real binary, JSON-RPC with
//! Content-Length framing over its stdin and stdout, in a temporary workspace.
//!
//! Every read has a deadline, and a server still running when a test ends is killed, so a
//! broken server fails the test instead of hanging it.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Long enough for a slow, busy CI machine; a healthy server answers in milliseconds.
const DEADLINE: Duration = Duration::from_secs(30);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Messages read while waiting for another one, in arrival order.
    backlog: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_shutdownlint"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            backlog: Vec::new(),
            next_id: 0,
        }
    }

    /// Start a server and initialize it for `root` with these client capabilities.
    fn initialized(root: &Path, capabilities: Value) -> (Client, Value) {
        let mut client = Client::start();
        let result = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": uri(root),
                "workspaceFolders": [{"uri": uri(root), "name": "ws"}],
                "capabilities": capabilities,
            }),
        );
        client.notify("initialized", json!({}));
        (client, result)
    }

    fn send(&mut self, mut message: Value) {
        message["jsonrpc"] = json!("2.0");
        let body = message.to_string();
        let stdin = self.stdin.as_mut().expect("stdin is open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write to server");
        stdin.flush().expect("flush to server");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"method": method, "params": params}));
    }

    /// Send a request and return its response (result or error object).
    fn request_raw(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"id": id, "method": method, "params": params}));
        self.wait_for(&format!("the response to {method}"), |m| {
            m.get("id") == Some(&json!(id)) && m.get("method").is_none()
        })
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    /// The first message (from the backlog, then newly read) that `wanted` accepts.
    fn wait_for(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&wanted) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + DEADLINE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(message) if wanted(&message) => return message,
                Ok(message) => self.backlog.push(message),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("timed out waiting for {what}; got {:#?}", self.backlog)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!(
                        "the server closed stdout before {what}; got {:#?}",
                        self.backlog
                    )
                }
            }
        }
    }

    /// The diagnostics publications read while waiting for other messages, not yet taken.
    fn backlog_publications(&self) -> Vec<&Value> {
        self.backlog
            .iter()
            .filter(|m| m["method"] == "textDocument/publishDiagnostics")
            .collect()
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Value {
        let what = format!("diagnostics for {uri}");
        self.wait_for(&what, |m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        })["params"]
            .clone()
    }

    fn open(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {
                "uri": uri(path), "languageId": "plaintext", "version": 1, "text": text,
            }}),
        );
    }

    fn change(&mut self, path: &Path, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri(path), "version": version},
                "contentChanges": [{"text": text}],
            }),
        );
    }

    /// Tell the server the configuration file `config` changed on disk; the message it shows.
    fn config_changed_with_message(&mut self, config: &Path) -> Value {
        self.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": uri(config), "type": 2}]}),
        );
        self.wait_for("window/showMessage", |m| {
            m["method"] == "window/showMessage"
        })
    }

    /// `shutdown` (answered with null), then `exit`; the exit status.
    fn shut_down(mut self) -> ExitStatus {
        let response = self.request_raw("shutdown", Value::Null);
        assert_eq!(response.get("result"), Some(&Value::Null), "{response}");
        assert!(response.get("error").is_none(), "{response}");
        self.exit()
    }

    fn exit(mut self) -> ExitStatus {
        self.notify("exit", Value::Null);
        self.hang_up()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // A test that failed half-way must not leave a server behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One framed message, or `None` at the end of the stream.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// A `file:` URI as editors write it (spaces and non-ASCII percent-encoded).
fn uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for byte in path.to_str().expect("UTF-8 test paths").bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
}

fn codes(published: &Value) -> Vec<String> {
    let mut codes: Vec<String> = published["diagnostics"]
        .as_array()
        .expect("a diagnostics array")
        .iter()
        .map(|d| d["code"].as_str().expect("a code").to_string())
        .collect();
    codes.sort();
    codes
}

/// Whether the first published finding has a related location in the manifest.
fn labels_the_manifest(published: &Value) -> bool {
    published["diagnostics"][0]["relatedInformation"]
        .to_string()
        .contains("k8s/deploy.yaml")
}

fn range(start: (u64, u64), end: (u64, u64)) -> Value {
    json!({
        "start": {"line": start.0, "character": start.1},
        "end": {"line": end.0, "character": end.1},
    })
}

/// Line 4 has non-ASCII text before the end of the finding: the CMD line is 36 characters,
/// 37 UTF-16 code units (🚀 is a surrogate pair) and 40 bytes.
const DOCKERFILE: &str =
    "FROM node:22-slim\nWORKDIR /app\nCOPY . .\nCMD echo \"héllo 🚀\" && node server.js\n";
const DOCKERFILE_FIXED: &str =
    "FROM node:22-slim\nWORKDIR /app\nCOPY . .\nCMD [\"node\", \"server.js\"]\n";
const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      terminationGracePeriodSeconds: 10
      containers:
        - name: api
          image: api:latest
          ports: [{containerPort: 8080}]
";
const SERVICE: &str = "\
apiVersion: v1
kind: Service
metadata: {name: api}
spec:
  selector: {app: api}
  ports: [{port: 80}]
";
/// Ignores SL503 (single-replica, which the Deployment above has) and says which Dockerfile
/// builds the `api` image, so the Deployment's container inherits its CMD.
const CONFIG: &str = "ignore = [\"single-replica\"]\n\n[images]\napi = \"Dockerfile\"\n";

/// A workspace with a space and a non-ASCII character in its path (percent-encoded URIs).
fn workspace() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("my shop é");
    write(&root, "Dockerfile", DOCKERFILE);
    write(&root, "k8s/deploy.yaml", DEPLOYMENT);
    write(&root, "k8s/service.yaml", SERVICE);
    write(&root, ".shutdownlint.toml", CONFIG);
    (dir, root)
}

fn related_capability() -> Value {
    json!({"textDocument": {"publishDiagnostics": {"relatedInformation": true}}})
}

#[test]
fn open_change_close_publish_diagnostics_with_utf16_ranges() {
    let (_dir, root) = workspace();
    let (mut client, result) = Client::initialized(&root, related_capability());
    let capabilities = &result["capabilities"];
    assert_eq!(capabilities["positionEncoding"], "utf-16");
    assert_eq!(capabilities["textDocumentSync"]["openClose"], true);
    assert_eq!(capabilities["textDocumentSync"]["change"], 1, "full sync");
    assert_eq!(result["serverInfo"]["name"], "shutdownlint");

    let dockerfile = root.join("Dockerfile");
    let deploy = root.join("k8s/deploy.yaml");
    client.open(&dockerfile, DOCKERFILE);
    let published = client.diagnostics(&uri(&dockerfile));
    assert_eq!(published["version"], 1);
    let diagnostics = published["diagnostics"].as_array().expect("array");
    assert_eq!(diagnostics.len(), 1, "{published:#}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "SL101");
    assert_eq!(d["source"], "shutdownlint");
    assert_eq!(d["severity"], 1, "error");
    assert_eq!(d["range"], range((3, 0), (3, 37)), "UTF-16 end column");
    let rule = shutdownlint::rules::by_code("SL101").expect("SL101 exists");
    assert_eq!(d["codeDescription"]["href"], rule.url());
    assert!(
        d["codeDescription"]["href"]
            .as_str()
            .is_some_and(|href| href.starts_with(shutdownlint::RULES_URL)),
        "{d:#}"
    );
    let message = d["message"].as_str().expect("message");
    assert!(
        message.starts_with("CMD in shell form runs under /bin/sh"),
        "{message}"
    );
    assert!(
        message.contains("\nhelp: "),
        "help is part of the message: {message}"
    );
    // Labels: the base image in this file and, across files, the container running the image.
    let related = d["relatedInformation"]
        .as_array()
        .expect("related information");
    let image = related
        .iter()
        .find(|r| {
            r["message"]
                .as_str()
                .is_some_and(|m| m.contains("Debian-based"))
        })
        .expect("the base image label");
    assert_eq!(image["location"]["uri"], uri(&dockerfile));
    assert_eq!(image["location"]["range"], range((0, 5), (0, 17)));
    let container = related
        .iter()
        .find(|r| r["message"] == "container `api` runs this image")
        .expect("the cross-file label");
    assert_eq!(container["location"]["uri"], uri(&deploy));
    assert_eq!(container["location"]["range"], range((15, 17), (15, 27)));

    // The configuration ignores single-replica (SL503): only the probe and preStop findings.
    client.open(&deploy, DEPLOYMENT);
    let published = client.diagnostics(&uri(&deploy));
    assert_eq!(codes(&published), ["SL201", "SL202"], "{published:#}");
    let severities: Vec<&Value> = published["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .map(|d| &d["severity"])
        .collect();
    assert!(severities.contains(&&json!(1)) && severities.contains(&&json!(2)));

    // A suppression comment silences the finding, as on the command line.
    let suppressed = DOCKERFILE.replace(
        "CMD echo",
        "# shutdownlint: ignore[SL101] the image is only run by hand\nCMD echo",
    );
    client.change(&dockerfile, 2, &suppressed);
    let published = client.diagnostics(&uri(&dockerfile));
    assert_eq!(published["version"], 2);
    assert_eq!(published["diagnostics"], json!([]));

    client.change(&dockerfile, 3, DOCKERFILE);
    let published = client.diagnostics(&uri(&dockerfile));
    assert_eq!(codes(&published), ["SL101"]);

    // Fixing the problem (exec form) clears the diagnostics.
    client.change(&dockerfile, 4, DOCKERFILE_FIXED);
    let published = client.diagnostics(&uri(&dockerfile));
    assert_eq!(published["version"], 4);
    assert_eq!(published["diagnostics"], json!([]));

    // Closing a document clears its diagnostics.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri(&deploy)}}),
    );
    let published = client.diagnostics(&uri(&deploy));
    assert_eq!(published["diagnostics"], json!([]));

    let status = client.shut_down();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn position_encoding_is_negotiated() {
    let (_dir, root) = workspace();
    let dockerfile = root.join("Dockerfile");
    // (offered, chosen, end character of the CMD line)
    let cases = [
        (json!(["utf-8", "utf-16"]), "utf-8", 40),
        (json!(["utf-32", "utf-8"]), "utf-32", 36),
        (json!(["latin-1", "utf-16"]), "utf-16", 37),
        (json!(["latin-1"]), "utf-16", 37),
    ];
    for (offered, chosen, end) in cases {
        let capabilities = json!({"general": {"positionEncodings": offered}});
        let (mut client, result) = Client::initialized(&root, capabilities);
        assert_eq!(
            result["capabilities"]["positionEncoding"], chosen,
            "offered {offered}"
        );
        client.open(&dockerfile, DOCKERFILE);
        let published = client.diagnostics(&uri(&dockerfile));
        let d = &published["diagnostics"][0];
        assert_eq!(d["range"], range((3, 0), (3, end)), "{chosen}");
        // This client does not announce relatedInformation: the labels are in the message,
        // with the line and column the command line shows.
        assert!(d.get("relatedInformation").is_none(), "{d:#}");
        let message = d["message"].as_str().expect("message");
        assert!(
            message.contains("\nk8s/deploy.yaml:16:18: container `api` runs this image"),
            "{message}"
        );
        assert_eq!(client.shut_down().code(), Some(0));
    }
}

#[test]
fn unsaved_buffers_change_findings_in_other_open_files() {
    let (_dir, root) = workspace();
    let (mut client, _) = Client::initialized(&root, related_capability());
    let dockerfile = root.join("Dockerfile");
    let deploy = root.join("k8s/deploy.yaml");
    client.open(&dockerfile, DOCKERFILE);
    let published = client.diagnostics(&uri(&dockerfile));
    assert!(labels_the_manifest(&published), "{published:#}");

    // The container now runs another image (in the buffer only, not saved): the Dockerfile's
    // finding loses its label into the manifest.
    client.open(&deploy, DEPLOYMENT);
    client.diagnostics(&uri(&deploy));
    client.change(&deploy, 2, &DEPLOYMENT.replace("api:latest", "other:1"));
    let published = client.diagnostics(&uri(&dockerfile));
    assert_eq!(codes(&published), ["SL101"]);
    assert!(!labels_the_manifest(&published), "{published:#}");

    // Closing the manifest without saving: back to the file on disk.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri(&deploy)}}),
    );
    let published = client.diagnostics(&uri(&dockerfile));
    assert!(labels_the_manifest(&published), "{published:#}");
    assert_eq!(client.shut_down().code(), Some(0));
}

#[test]
fn entrypoint_script_buffer_is_linted_through_its_dockerfile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(
        root,
        "Dockerfile",
        "FROM node:22-slim\nCOPY docker-entrypoint.sh /usr/local/bin/\nENTRYPOINT [\"docker-entrypoint.sh\"]\nCMD [\"node\", \"server.js\"]\n",
    );
    let script_text = "#!/bin/sh\nset -e\necho \"starting\"\n\"$@\"\n";
    write(root, "docker-entrypoint.sh", script_text);
    let (mut client, _) = Client::initialized(root, related_capability());
    let script = root.join("docker-entrypoint.sh");
    client.open(&script, script_text);
    let published = client.diagnostics(&uri(&script));
    assert_eq!(codes(&published), ["SL103"], "{published:#}");
    assert_eq!(published["diagnostics"][0]["range"], range((3, 0), (3, 4)));
    let related = published["diagnostics"][0]["relatedInformation"].to_string();
    assert!(
        related.contains(&uri(&root.join("Dockerfile"))),
        "{related}"
    );

    // Fixed in the buffer, not on disk.
    client.change(&script, 2, &script_text.replace("\"$@\"", "exec \"$@\""));
    let published = client.diagnostics(&uri(&script));
    assert_eq!(published["diagnostics"], json!([]));
    assert_eq!(published["version"], 2);
    assert_eq!(client.shut_down().code(), Some(0));
}

#[test]
fn configuration_is_reread_and_a_broken_one_is_reported() {
    let (_dir, root) = workspace();
    let watched = json!({
        "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}},
        "textDocument": {"publishDiagnostics": {"relatedInformation": true}},
    });
    let (mut client, _) = Client::initialized(&root, watched);
    // The server asks to be told about configuration changes on disk.
    let registration = client.wait_for("client/registerCapability", |m| {
        m["method"] == "client/registerCapability"
    });
    let watchers =
        registration["params"]["registrations"][0]["registerOptions"]["watchers"].to_string();
    assert!(watchers.contains("**/.shutdownlint.toml"), "{watchers}");
    let id = registration["id"].clone();
    client.send(json!({"id": id, "result": null}));

    let deploy = root.join("k8s/deploy.yaml");
    let config = root.join(".shutdownlint.toml");
    client.open(&deploy, DEPLOYMENT);
    assert_eq!(
        codes(&client.diagnostics(&uri(&deploy))),
        ["SL201", "SL202"]
    );

    // A broken configuration: a message, a diagnostic where TOML says, and the previous
    // settings stay in force.
    write(&root, ".shutdownlint.toml", "ignore = [single-replica]\n");
    let shown = client.config_changed_with_message(&config);
    assert_eq!(shown["params"]["type"], 1, "an error");
    assert!(
        shown["params"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(".shutdownlint.toml")),
        "{shown:#}"
    );
    let published = client.diagnostics(&uri(&config));
    let diagnostics = published["diagnostics"].as_array().expect("array");
    assert_eq!(diagnostics.len(), 1, "{published:#}");
    assert_eq!(diagnostics[0]["severity"], 1);
    assert_eq!(diagnostics[0]["range"], range((0, 10), (0, 25)));
    assert!(
        diagnostics[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("TOML parse error")),
        "{published:#}"
    );

    // Fixed and saved from the editor, now without the ignore: SL503 comes back and the
    // configuration's diagnostic goes.
    write(
        &root,
        ".shutdownlint.toml",
        "[images]\napi = \"Dockerfile\"\n",
    );
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri(&config)}}),
    );
    assert_eq!(client.diagnostics(&uri(&config))["diagnostics"], json!([]));
    assert_eq!(
        codes(&client.diagnostics(&uri(&deploy))),
        ["SL201", "SL202", "SL503"]
    );
    assert_eq!(client.shut_down().code(), Some(0));
}

#[test]
fn other_files_get_no_diagnostics_and_unknown_requests_an_error() {
    let (_dir, root) = workspace();
    let outside = tempfile::tempdir().expect("tempdir");
    write(outside.path(), "Dockerfile", DOCKERFILE);
    write(&root, "README.md", "# shop\n");
    let (mut client, _) = Client::initialized(&root, json!({}));

    let response = client.request_raw("textDocument/hover", json!({}));
    assert_eq!(response["error"]["code"], -32601, "{response}");

    client.open(&outside.path().join("Dockerfile"), DOCKERFILE);
    client.open(&root.join("README.md"), "# shop\n");
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {
            "uri": "untitled:Untitled-1", "languageId": "dockerfile", "version": 1,
            "text": DOCKERFILE,
        }}),
    );
    // Messages are handled in order: once the workspace Dockerfile's diagnostics arrive, any
    // for the documents opened before it would have arrived too.
    let dockerfile = root.join("Dockerfile");
    client.open(&dockerfile, DOCKERFILE);
    client.diagnostics(&uri(&dockerfile));
    let others = client.backlog_publications();
    assert!(others.is_empty(), "{others:#?}");
    assert_eq!(client.shut_down().code(), Some(0));
}

/// A file the last lint read and had nothing to say about (a CustomResourceDefinition, whose
/// text and path the run does not keep) gets its empty diagnostics when it is opened, from the
/// last lint's results: opening it does not lint the workspace again.
#[test]
fn opening_a_file_without_findings_needs_no_new_lint() {
    let (_dir, root) = workspace();
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n";
    write(&root, "k8s/crd.yaml", crd);
    let (mut client, _) = Client::initialized(&root, related_capability());
    let dockerfile = root.join("Dockerfile");
    client.open(&dockerfile, DOCKERFILE);
    let published = client.diagnostics(&uri(&dockerfile));
    assert!(labels_the_manifest(&published), "{published:#}");
    // Behind the server's back (the client watches no files): the container now runs another
    // image, so a new lint would take the Dockerfile finding's label into the manifest away.
    write(
        &root,
        "k8s/deploy.yaml",
        &DEPLOYMENT.replace("api:latest", "other:1"),
    );
    let crd_path = root.join("k8s/crd.yaml");
    client.open(&crd_path, crd);
    let published = client.diagnostics(&uri(&crd_path));
    assert_eq!(published["diagnostics"], json!([]), "{published:#}");
    assert_eq!(published["version"], 1, "{published:#}");
    // Well past the quiet time a lint waits for: nothing more was published.
    std::thread::sleep(Duration::from_millis(500));
    let response = client.request_raw("shutdown", Value::Null);
    assert_eq!(response.get("result"), Some(&Value::Null), "{response}");
    let later = client.backlog_publications();
    assert!(later.is_empty(), "{later:#?}");
    assert_eq!(client.exit().code(), Some(0));
}

/// A file with more findings than an editor can usefully show gets at most 1,000 of them, the
/// errors first, and one more that says how many are left out; the kept ones on a line of
/// 1,100 containers, with non-ASCII names, have the UTF-16 columns of their containers. Before,
/// all of them were converted, kept and sent: 127,000 findings of one 8 MB manifest took
/// 2.2 GB and a 139 MB message on every edit, and each column was counted from the start of
/// its line.
#[test]
fn a_file_with_more_findings_than_the_limit_gets_the_limit_and_a_count() {
    let (_dir, root) = workspace();
    let containers: Vec<String> = (0..1100)
        .map(|j| format!("{{name: cé{j}, image: b, livenessProbe: {{exec: {{command: [x]}}}}}}"))
        .collect();
    // One line of 1,100 warnings (SL403), then the Deployment of the Dockerfile, whose SL201
    // error comes last in the file.
    let manifest = format!(
        "{{apiVersion: apps/v1, kind: Deployment, metadata: {{name: many}}, spec: {{template: \
         {{spec: {{containers: [{}]}}}}}}}}\n---\n{DEPLOYMENT}",
        containers.join(", ")
    );
    write(&root, "k8s/deploy.yaml", &manifest);
    let (mut client, _) = Client::initialized(&root, related_capability());
    let deploy = root.join("k8s/deploy.yaml");
    client.open(&deploy, &manifest);
    let published = client.diagnostics(&uri(&deploy));
    let diagnostics = published["diagnostics"].as_array().expect("an array");
    assert_eq!(diagnostics.len(), 1001);
    let (kept, count) = diagnostics.split_at(1000);
    let code = |d: &Value| d["code"].as_str().unwrap_or_default().to_string();
    // The error is kept, then the first 999 warnings, in the file's order.
    assert_eq!(kept.iter().filter(|d| code(d) == "SL403").count(), 999);
    assert_eq!(code(&kept[999]), "SL201", "{:#}", kept[999]);
    let message = count[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("102 more shutdownlint findings in this file are not shown")
            && message.contains("shutdownlint k8s/deploy.yaml"),
        "{message}"
    );
    assert_eq!(count[0]["severity"], 3, "Information");
    assert_eq!(count[0]["range"], range((0, 0), (0, 0)));
    // Columns in UTF-16 code units: the ends of containers 0 and 998 are as far apart as the
    // text between them (each finding is the same way into its container, after the name).
    let start = |d: &Value| {
        d["range"]["start"]["character"]
            .as_u64()
            .unwrap_or_default()
    };
    let at = |j: usize| manifest.find(&containers[j]).unwrap_or_default() + containers[j].len();
    let between = manifest[at(0)..at(998)].encode_utf16().count() as u64;
    assert!(kept[0]["message"].to_string().contains("`cé0`"));
    assert!(kept[998]["message"].to_string().contains("`cé998`"));
    assert_eq!(start(&kept[998]) - start(&kept[0]), between);
    assert_eq!(client.shut_down().code(), Some(0));
}

#[test]
fn a_burst_of_changes_ends_in_the_last_version() {
    let (_dir, root) = workspace();
    let (mut client, _) = Client::initialized(&root, json!({}));
    let dockerfile = root.join("Dockerfile");
    client.open(&dockerfile, DOCKERFILE);
    client.diagnostics(&uri(&dockerfile));
    // Typing blank lines at the top: every version moves the finding down one line.
    for version in 2..=40 {
        let text = format!("{}{DOCKERFILE}", "\n".repeat(version as usize));
        client.change(&dockerfile, version, &text);
    }
    let deadline = Instant::now() + DEADLINE;
    loop {
        let published = client.diagnostics(&uri(&dockerfile));
        let version = published["version"].as_i64().expect("a version");
        let line = published["diagnostics"][0]["range"]["start"]["line"].as_i64();
        assert_eq!(line, Some(3 + version), "{published:#}");
        if version == 40 {
            break;
        }
        assert!(Instant::now() < deadline, "never published version 40");
    }
    assert_eq!(client.shut_down().code(), Some(0));
}

#[test]
fn exit_without_shutdown_exits_with_1() {
    let (_dir, root) = workspace();
    let (client, _) = Client::initialized(&root, json!({}));
    assert_eq!(client.exit().code(), Some(1));
}

#[test]
fn shutdown_stops_a_lint_in_progress() {
    // A workspace whose lint takes seconds in a test build: 12,000 manifests beside the
    // Dockerfile.
    let (_dir, root) = workspace();
    let manifest = DEPLOYMENT.replace("name: api", "name: api-copy");
    for i in 0..12_000 {
        write(
            &root,
            &format!("generated/{}/m{i}.yaml", i % 100),
            &manifest,
        );
    }
    let (mut client, _) = Client::initialized(&root, json!({}));
    let dockerfile = root.join("Dockerfile");
    client.open(&dockerfile, DOCKERFILE);
    let first = client.diagnostics(&uri(&dockerfile));
    assert_eq!(codes(&first), ["SL101"], "{first:#}");
    // A fix: the next lint would publish no findings. `shutdown` comes once that lint has
    // started (the server waits 15 ms for quiet), and is answered without waiting for it to end:
    // nothing is published before the answer.
    client.change(&dockerfile, 2, DOCKERFILE_FIXED);
    std::thread::sleep(Duration::from_millis(300));
    let response = client.request_raw("shutdown", Value::Null);
    assert_eq!(response.get("result"), Some(&Value::Null), "{response}");
    let published = client.backlog_publications();
    assert!(
        published.is_empty(),
        "published during shutdown: {published:#?}"
    );
    assert_eq!(client.exit().code(), Some(0));
}

/// The server's peak resident set so far, in MiB (its `VmHWM`).
fn peak_mib(client: &Client) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", client.child.id()))
        .expect("the server's status");
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .expect("a VmHWM line");
    let kib: u64 = line
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .expect("a number");
    kib >> 10
}

#[cfg(target_os = "linux")]
#[test]
fn notifications_the_server_ignores_are_not_read_into_memory() {
    // (The reader's queue while the server is busy is tested in `lsp::transport`.)
    let (_dir, root) = workspace();
    let (mut client, _) = Client::initialized(&root, json!({}));
    let dockerfile = root.join("Dockerfile");
    client.open(&dockerfile, DOCKERFILE);
    client.diagnostics(&uri(&dockerfile));
    let before = peak_mib(&client);
    // Three notifications of 7.6 MB of `[0]`s, within the limit on JSON values: each one took
    // 340 MB read, and while a lint ran they waited read (1 GB).
    let params = format!("[{}[0]]", "[0],".repeat(1_900_000));
    let body = format!(r#"{{"jsonrpc":"2.0","method":"x/ignored","params":{params}}}"#);
    for _ in 0..3 {
        client.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }
    client.change(&dockerfile, 2, DOCKERFILE_FIXED);
    assert_eq!(
        codes(&client.diagnostics(&uri(&dockerfile))),
        Vec::<String>::new()
    );
    let peak = peak_mib(&client);
    assert!(
        peak < before + 100,
        "peak {peak} MiB, {before} MiB before the messages"
    );
    assert_eq!(client.shut_down().code(), Some(0));
}

#[test]
fn requests_after_shutdown_are_refused() {
    let (_dir, root) = workspace();
    let (mut client, _) = Client::initialized(&root, json!({}));
    assert_eq!(client.request("shutdown", Value::Null), Value::Null);
    let response = client.request_raw("textDocument/hover", json!({}));
    assert_eq!(response["error"]["code"], -32600, "{response}");
    assert_eq!(client.exit().code(), Some(0));
}

#[test]
fn workspace_folders_can_come_and_go() {
    let (_dir, root) = workspace();
    // No workspace at all: an open file is not linted.
    let mut client = Client::start();
    client.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    client.notify("initialized", json!({}));
    let dockerfile = root.join("Dockerfile");
    client.open(&dockerfile, DOCKERFILE);

    // The folder is added: the open Dockerfile is linted.
    let folder = json!([{"uri": uri(&root), "name": "shop"}]);
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": folder, "removed": []}}),
    );
    let published = client.diagnostics(&uri(&dockerfile));
    assert_eq!(codes(&published), ["SL101"]);
    let before_add: Vec<&Value> = client
        .backlog
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics")
        .collect();
    assert!(before_add.is_empty(), "{before_add:#?}");

    // And removed: its diagnostics are cleared.
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [], "removed": folder}}),
    );
    assert_eq!(
        client.diagnostics(&uri(&dockerfile))["diagnostics"],
        json!([])
    );
    assert_eq!(client.shut_down().code(), Some(0));
}

impl Client {
    /// Raw bytes to the server's stdin, framing and all.
    fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes).expect("write to server");
        stdin.flush().expect("flush to server");
    }

    /// Close stdin and wait for the server to exit.
    fn hang_up(mut self) -> ExitStatus {
        self.stdin = None;
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the server") {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[test]
fn a_malformed_message_is_skipped_and_the_session_goes_on() {
    let (_dir, root) = workspace();
    let mut client = Client::start();
    client.send_raw(b"Content-Length: 5\r\n\r\n{{{{{");
    client.send_raw(b"Content-Length: 4\r\n\r\n\xff\xfe\x00{");
    client.request(
        "initialize",
        json!({
            "processId": null,
            "workspaceFolders": [{"uri": uri(&root), "name": "ws"}],
            "capabilities": {},
        }),
    );
    client.notify("initialized", json!({}));
    client.send_raw(b"Content-Length: 2\r\n\r\n[]");
    let dockerfile = root.join("Dockerfile");
    client.open(&dockerfile, DOCKERFILE);
    let published = client.diagnostics(&uri(&dockerfile));
    assert_eq!(codes(&published), ["SL101"], "{published}");
    assert_eq!(client.shut_down().code(), Some(0));
}

#[test]
fn a_huge_content_length_neither_aborts_nor_allocates_it() {
    // 100 TB announced (the reader of lsp_server allocated it at once and aborted). The server
    // reads what arrives, and exits when stdin closes.
    let mut client = Client::start();
    client.send_raw(b"Content-Length: 99999999999999\r\n\r\n{\"jsonrpc\":\"2.0\"");
    let status = client.hang_up();
    assert_eq!(status.code(), Some(1), "{status:?}");
}

#[test]
fn a_buffer_over_the_size_limit_is_skipped_like_its_file() {
    let (_dir, root) = workspace();
    write(
        &root,
        ".shutdownlint.toml",
        &format!("max-file-size = \"2KiB\"\n{CONFIG}"),
    );
    let (mut client, _) = Client::initialized(&root, json!({}));
    let dockerfile = root.join("Dockerfile");
    client.open(&dockerfile, DOCKERFILE);
    assert_eq!(codes(&client.diagnostics(&uri(&dockerfile))), ["SL101"]);
    // Over 2 KiB in the editor: not linted, as `shutdownlint .` would skip the saved file, and
    // said so, as the command line's note says it (before, its diagnostics were just cleared).
    let big = format!("{DOCKERFILE}# {}\n", "x".repeat(3000));
    client.change(&dockerfile, 2, &big);
    let published = client.diagnostics(&uri(&dockerfile));
    let diagnostics = published["diagnostics"].as_array().expect("an array");
    assert_eq!(diagnostics.len(), 1, "{published:#}");
    let message = diagnostics[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("not linted") && message.contains("max-file-size"),
        "{message}"
    );
    assert_eq!(diagnostics[0]["severity"], 3, "Information");
    client.change(&dockerfile, 3, DOCKERFILE);
    assert_eq!(codes(&client.diagnostics(&uri(&dockerfile))), ["SL101"]);
    assert_eq!(client.shut_down().code(), Some(0));
}

/// A configuration the server refuses for what it is (a FIFO, a link to `/dev/zero`, a sparse
/// 500 MB file) is reported without being read: before, the server read it whole to place the
/// diagnostic, and blocked for good on the FIFO or read `/dev/zero` until memory ran out.
#[test]
fn a_refused_configuration_is_not_read_to_place_its_diagnostic() {
    let (_dir, root) = workspace();
    let watched = json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}});
    let (mut client, _) = Client::initialized(&root, watched);
    let deploy = root.join("k8s/deploy.yaml");
    let config = root.join(".shutdownlint.toml");
    client.open(&deploy, DEPLOYMENT);
    assert_eq!(
        codes(&client.diagnostics(&uri(&deploy))),
        ["SL201", "SL202"]
    );
    let mkfifo = |path: &Path| {
        Command::new("mkfifo")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success())
    };
    let sparse = |path: &Path| {
        let file = std::fs::File::create(path).expect("create");
        file.set_len(500 * 1024 * 1024).expect("set_len");
    };
    type Replace = Box<dyn Fn(&Path) -> bool>;
    let replacements: Vec<(&str, Replace)> = vec![
        ("a FIFO", Box::new(move |p: &Path| mkfifo(p))),
        (
            "a link to /dev/zero",
            Box::new(|p: &Path| std::os::unix::fs::symlink("/dev/zero", p).is_ok()),
        ),
        (
            "a sparse 500 MB file",
            Box::new(move |p: &Path| {
                sparse(p);
                true
            }),
        ),
    ];
    for (what, replace) in replacements {
        std::fs::remove_file(&config).expect("remove the configuration");
        if !replace(&config) {
            eprintln!("could not make {what}: skipped");
            continue;
        }
        let shown = client.config_changed_with_message(&config);
        assert_eq!(shown["params"]["type"], 1, "{what}: {shown:#}");
        // The server still answers: a request that is not a lint comes back at once.
        let response = client.request_raw("shutdownlint/unknown", json!({}));
        assert!(response.get("error").is_some(), "{what}: {response:#}");
    }
    std::fs::remove_file(&config).expect("remove the configuration");
    assert_eq!(client.shut_down().code(), Some(0));
}

/// Files the server reads to compare with a buffer (when a document is opened or closed) are
/// read only as the workspace lint would find them: regular files inside the workspace folder,
/// not through a symbolic link or a `..` in the URI. Before, a link in the workspace to
/// `/proc/kmsg` (a "regular file" whose read blocks), a URI `file:///ws/../../proc/kmsg`, or a
/// linted file replaced by such a link before it was opened, blocked the server for good.
///
/// A FIFO with no writer stands for the file that blocks (`/proc/kmsg` would drain the kernel
/// log): every step is followed by a request, and a server that blocks fails the test at its
/// deadline. Whether the file outside was read is seen from its access time, which reading it
/// moves (relatime) when it is older than its modification time.
#[cfg(unix)]
#[test]
fn files_are_read_only_inside_the_workspace_and_not_through_links() {
    use std::os::unix::fs::symlink;
    use std::time::SystemTime;

    let (_dir, root) = workspace();
    let outside = tempfile::tempdir().expect("tempdir");
    let fifo = outside.path().join("fifo.Dockerfile");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    assert!(made, "mkfifo");
    let target = outside.path().join("target.Dockerfile");
    write(outside.path(), "target.Dockerfile", DOCKERFILE);
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    let age = |path: &Path| {
        let times = std::fs::FileTimes::new()
            .set_accessed(old)
            .set_modified(SystemTime::now());
        let file = std::fs::File::options()
            .write(true)
            .open(path)
            .expect("open");
        file.set_times(times).expect("set times");
    };
    let accessed = |path: &Path| std::fs::metadata(path).and_then(|m| m.accessed()).ok();
    // Whether this file system shows a read in the access time at all.
    age(&target);
    std::fs::read(&target).expect("read");
    let atime_shows_reads = accessed(&target) != Some(old);
    if !atime_shows_reads {
        eprintln!("access times do not move here: reads outside the workspace are not checked");
    }
    age(&target);

    let (mut client, _) = Client::initialized(&root, json!({}));
    let deploy = root.join("k8s/deploy.yaml");
    client.open(&deploy, DEPLOYMENT);
    client.diagnostics(&uri(&deploy));
    let check = |client: &mut Client, what: &str| {
        let response = client.request_raw("shutdownlint/unknown", json!({}));
        assert!(response.get("error").is_some(), "{what}: {response:#}");
        if atime_shows_reads {
            assert_eq!(
                accessed(&target),
                Some(old),
                "{what}: the file outside was read"
            );
        }
    };

    // Links in the workspace, to a FIFO and to a file outside, opened and closed.
    symlink(&fifo, root.join("fifo.Dockerfile")).expect("symlink");
    symlink(&target, root.join("target.Dockerfile")).expect("symlink");
    // URIs that start with the workspace folder's and leave it with `..`.
    let up = "../".repeat(root.components().count());
    let escape = |path: &Path| format!("{}/{up}{}", uri(&root), &uri(path)["file:///".len()..]);
    let uris = [
        uri(&root.join("fifo.Dockerfile")),
        uri(&root.join("target.Dockerfile")),
        escape(&fifo),
        escape(&target),
    ];
    for uri in uris {
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {
                "uri": uri, "languageId": "dockerfile", "version": 1, "text": "FROM x\n",
            }}),
        );
        check(&mut client, &format!("didOpen {uri}"));
        client.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri}}),
        );
        check(&mut client, &format!("didClose {uri}"));
    }

    // A file the last lint read is replaced by a link (a branch switch) before it is opened.
    let dockerfile = root.join("Dockerfile");
    for (i, link_to) in [&target, &fifo].into_iter().enumerate() {
        // A new file opened: its diagnostics come after a lint that read the Dockerfile.
        let name = format!("k8s/new-{i}.yaml");
        write(&root, &name, SERVICE);
        client.open(&root.join(&name), SERVICE);
        client.diagnostics(&uri(&root.join(&name)));
        std::fs::remove_file(&dockerfile).expect("remove");
        symlink(link_to, &dockerfile).expect("symlink");
        let what = format!("the Dockerfile, now a link to {}", link_to.display());
        client.open(&dockerfile, DOCKERFILE);
        check(&mut client, &format!("didOpen of {what}"));
        client.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": uri(&dockerfile)}}),
        );
        check(&mut client, &format!("didClose of {what}"));
        std::fs::remove_file(&dockerfile).expect("remove");
        write(&root, "Dockerfile", DOCKERFILE);
    }
    assert_eq!(client.shut_down().code(), Some(0));
}

/// A workspace folder opened through a symbolic link is not linted (the walk follows no link,
/// as on the command line); the user is told why. Before, nothing was published and nothing said.
#[cfg(unix)]
#[test]
fn a_workspace_folder_that_is_a_link_is_reported() {
    let (dir, root) = workspace();
    let link = dir.path().join("linked shop");
    std::os::unix::fs::symlink(&root, &link).expect("symlink");
    let (mut client, _) = Client::initialized(&link, json!({}));
    client.open(&link.join("Dockerfile"), DOCKERFILE);
    let shown = client.wait_for("window/showMessage", |m| {
        m["method"] == "window/showMessage"
    });
    let message = shown["params"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("symbolic link") && message.contains("linked shop"),
        "{message}"
    );
    assert_eq!(shown["params"]["type"], 2, "a warning: {shown:#}");
    assert_eq!(client.shut_down().code(), Some(0));
}

/// Positions count a lone `\r` as a line break, as the LSP does (the command line counts only
/// `\n`). Before, a finding after a lone `\r` was placed on the line before, columns past it.
#[test]
fn a_lone_carriage_return_ends_a_line_in_positions() {
    let (_dir, root) = workspace();
    let text = "http {\rupstream u { server a:80 max_fails=0; server b:80 max_fails=0; }\r\nserver { location / { proxy_pass http://u; } }\r}\n";
    write(&root, "nginx.conf", text);
    let (mut client, _) = Client::initialized(&root, json!({}));
    let path = root.join("nginx.conf");
    client.open(&path, text);
    let published = client.diagnostics(&uri(&path));
    let mut starts: Vec<(u64, u64)> = published["diagnostics"]
        .as_array()
        .expect("an array")
        .iter()
        .filter(|d| d["code"] == "SL205")
        .map(|d| {
            let start = &d["range"]["start"];
            (
                start["line"].as_u64().unwrap_or_default(),
                start["character"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    starts.sort_unstable();
    // `upstream u { server a:80 ` is 25 characters, `…max_fails=0; server b:80 ` 50.
    assert_eq!(starts, [(1, 25), (1, 50)], "{published:#}");
    assert_eq!(client.shut_down().code(), Some(0));
}

/// Many messages that each named costly work (a 4 MB file compared with a closed buffer, a
/// configuration reread for every folder, a folder compared with every other) are handled in
/// time proportional to their size: the work is done once, when no message is waiting. Before,
/// each `didClose` read the whole file, each watched change was compared with every folder,
/// each configuration save reread every folder's configuration and each added folder all of
/// them: minutes in a test build.
#[test]
fn costly_work_is_done_once_for_a_burst_of_messages() {
    let (dir, root) = workspace();
    let big = format!("{DEPLOYMENT}---\n").repeat(4 * 1024 * 1024 / (DEPLOYMENT.len() + 4));
    write(&root, "k8s/big.yaml", &big);
    let folders: Vec<std::path::PathBuf> = (0..400)
        .map(|i| dir.path().join(format!("a/b/c/d/e/f{i:04}")))
        .collect();
    for folder in &folders {
        std::fs::create_dir_all(folder).expect("mkdir");
    }
    let (mut client, _) = Client::initialized(&root, json!({}));
    let mut burst = String::new();
    let mut frame = |message: Value| {
        let mut message = message;
        message["jsonrpc"] = json!("2.0");
        let body = message.to_string();
        burst.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    };
    // Folders added one message at a time.
    for folder in &folders {
        frame(
            json!({"method": "workspace/didChangeWorkspaceFolders", "params": {"event": {
                "added": [{"uri": uri(folder), "name": "f"}], "removed": [],
            }}}),
        );
    }
    // The big file opened with other text and closed, again and again.
    let big_uri = uri(&root.join("k8s/big.yaml"));
    for version in 0..400 {
        frame(
            json!({"method": "textDocument/didOpen", "params": {"textDocument": {
                "uri": big_uri, "languageId": "yaml", "version": version, "text": "x",
            }}}),
        );
        frame(
            json!({"method": "textDocument/didClose", "params": {"textDocument": {
                "uri": big_uri,
            }}}),
        );
    }
    // Changes on disk in every folder, and configurations saved.
    let changes: Vec<Value> = (0..20_000)
        .map(|i| json!({"uri": uri(&folders[i % folders.len()].join(format!("x{i}.yaml"))), "type": 2}))
        .collect();
    frame(json!({"method": "workspace/didChangeWatchedFiles", "params": {"changes": changes}}));
    for _ in 0..400 {
        frame(
            json!({"method": "textDocument/didSave", "params": {"textDocument": {
                "uri": uri(&dir.path().join("a/.shutdownlint.toml")),
            }}}),
        );
    }
    let started = Instant::now();
    client.send_raw(burst.as_bytes());
    let response = client.request_raw("shutdown", Value::Null);
    let took = started.elapsed();
    assert_eq!(response.get("result"), Some(&Value::Null), "{response}");
    assert!(
        took < Duration::from_secs(8),
        "shutdown answered after {took:?}"
    );
    assert_eq!(client.exit().code(), Some(0));
}

impl Client {
    /// Start a server and initialize it for these workspace folders.
    fn with_folders(folders: &[&Path]) -> Client {
        let mut client = Client::start();
        let folders: Vec<Value> = folders
            .iter()
            .map(|folder| json!({"uri": uri(folder), "name": "ws"}))
            .collect();
        client.request(
            "initialize",
            json!({"processId": null, "workspaceFolders": folders, "capabilities": {}}),
        );
        client.notify("initialized", json!({}));
        client
    }

    fn remove_folder(&mut self, folder: &Path) {
        self.notify(
            "workspace/didChangeWorkspaceFolders",
            json!({"event": {"added": [], "removed": [{"uri": uri(folder), "name": "ws"}]}}),
        );
    }
}

/// Which workspace folders hold a changed file is found in time linear in its path, whatever
/// the folders: before, each ancestor of the path no longer than the longest folder was hashed
/// whole, and 600 changes 1,000 folders deep with a folder of a 4,000-byte name took seconds.
#[test]
fn watched_changes_deep_in_long_folders_cost_their_length() {
    let (dir, root) = workspace();
    let long = dir.path().join("x".repeat(250)).join("y".repeat(250));
    let long = (0..16).fold(long, |path, i| path.join(format!("{i}{}", "z".repeat(240))));
    let (mut client, _) = Client::initialized(&root, json!({}));
    client.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({"event": {"added": [{"uri": uri(&long), "name": "long"}], "removed": []}}),
    );
    let dockerfile = root.join("Dockerfile");
    client.open(&dockerfile, DOCKERFILE);
    assert_eq!(codes(&client.diagnostics(&uri(&dockerfile))), ["SL101"]);
    let deep = "a/".repeat(1000);
    let changes: Vec<Value> = (0..600)
        .map(|i| json!({"uri": uri(&root.join(format!("{deep}{i}.yaml"))), "type": 2}))
        .collect();
    let started = Instant::now();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": changes}),
    );
    client.change(&dockerfile, 2, DOCKERFILE_FIXED);
    let published = client.diagnostics(&uri(&dockerfile));
    let took = started.elapsed();
    assert_eq!(codes(&published), Vec::<String>::new());
    assert!(took < Duration::from_secs(2), "published after {took:?}");
    assert_eq!(client.shut_down().code(), Some(0));
}

/// A workspace folder removed from inside another leaves its documents to the outer folder,
/// whose configuration and lint publish for them from then on. Before, they kept the inner
/// folder's findings (or none) until something in the outer folder changed.
#[test]
fn removing_a_nested_folder_hands_its_documents_to_the_outer_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outer = dir.path().join("w");
    let inner = outer.join("a");
    write(&inner, "Dockerfile", "FROM node:18\nCMD npm start\n");
    write(
        &inner,
        ".shutdownlint.toml",
        "ignore = [\"SL101\", \"SL102\"]\n",
    );
    let dockerfile = inner.join("Dockerfile");
    let mut client = Client::with_folders(&[&outer, &inner]);
    client.open(&dockerfile, "FROM node:18\nCMD npm start\n");
    assert_eq!(
        codes(&client.diagnostics(&uri(&dockerfile))),
        Vec::<String>::new()
    );
    client.remove_folder(&inner);
    assert_eq!(
        codes(&client.diagnostics(&uri(&dockerfile))),
        ["SL101", "SL102"]
    );
    assert_eq!(client.shut_down().code(), Some(0));
}

/// Closing an unsaved buffer is seen by every folder holding it, even when the innermost one
/// lints again anyway (its configuration changed in the same burst). Before, the outer folder
/// kept the findings of the buffer that was thrown away.
#[test]
fn closing_a_buffer_relints_every_folder_holding_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outer = dir.path().join("w");
    let inner = outer.join("worker.service.d");
    let unit_text = "[Unit]\nDescription=Queue worker\n\n[Service]\nExecStart=/usr/local/bin/worker --queue default\nTimeoutStopSec=45s\nRestart=always\n";
    let drop_in_text = "[Service]\nEnvironment=SHUTDOWN_TIMEOUT=120s\n";
    write(&outer, "worker.service", unit_text);
    write(&inner, "10-env.conf", drop_in_text);
    let (unit, drop_in) = (outer.join("worker.service"), inner.join("10-env.conf"));
    let mut client = Client::with_folders(&[&outer, &inner]);
    client.open(&unit, unit_text);
    client.open(&drop_in, drop_in_text);
    let mut published = client.diagnostics(&uri(&unit));
    while codes(&published) != ["SL301"] {
        published = client.diagnostics(&uri(&unit));
    }
    client.change(&drop_in, 2, "[Service]\nEnvironment=SHUTDOWN_TIMEOUT=10s\n");
    assert_eq!(
        codes(&client.diagnostics(&uri(&unit))),
        Vec::<String>::new()
    );
    // The buffer is thrown away while the inner folder's configuration changes.
    write(&inner, ".shutdownlint.toml", "# nothing\n");
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri(&drop_in)}}),
    );
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&inner.join(".shutdownlint.toml")), "type": 1}]}),
    );
    assert_eq!(codes(&client.diagnostics(&uri(&unit))), ["SL301"]);
    assert_eq!(client.shut_down().code(), Some(0));
}

/// Documents are matched with the files the lint read by path, not by the name it shows: a
/// folder whose name is not UTF-8 (`\xff`) is shown as `\u{FFFD}`, like a folder of that name.
/// Before, the open correct Dockerfile of the `\u{FFFD}` folder got the findings of the other,
/// and a document of the `\xff` folder never got any.
#[cfg(unix)]
#[test]
fn documents_in_folders_that_are_not_utf8_get_their_own_findings() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("ws");
    let not_utf8 = root.join(std::ffi::OsStr::from_bytes(b"\xff"));
    let bad = "FROM node:18\nSTOPSIGNAL SIGKILL\nCMD npm start\n";
    write(&not_utf8, "Dockerfile", bad);
    let good = "FROM node:18\nCMD [\"node\", \"server.js\"]\n";
    write(&root, "\u{FFFD}/Dockerfile", good);
    let (mut client, _) = Client::initialized(&root, json!({}));
    let good_path = root.join("\u{FFFD}/Dockerfile");
    client.open(&good_path, good);
    assert_eq!(
        codes(&client.diagnostics(&uri(&good_path))),
        Vec::<String>::new()
    );
    let bad_uri = format!("{}/%FF/Dockerfile", uri(&root));
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {
            "uri": bad_uri, "languageId": "dockerfile", "version": 1, "text": bad,
        }}),
    );
    assert_eq!(
        codes(&client.diagnostics(&bad_uri)),
        ["SL101", "SL102", "SL104"]
    );
    assert_eq!(client.shut_down().code(), Some(0));
}

/// A workspace folder reached through a symbolic link a git work tree holds (`repo/alias/sub`,
/// `alias -> real` committed) is not linted, as on the command line; the user is told why.
/// Before, only a folder that is itself a link was reported: this one went without a word.
#[cfg(unix)]
#[test]
fn a_workspace_folder_through_a_committed_link_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    write(&repo, "real/sub/Dockerfile", DOCKERFILE);
    std::os::unix::fs::symlink("real", repo.join("alias")).expect("symlink");
    let folder = repo.join("alias/sub");
    let (mut client, _) = Client::initialized(&folder, json!({}));
    client.open(&folder.join("Dockerfile"), DOCKERFILE);
    let shown = client.wait_for("window/showMessage", |m| {
        m["method"] == "window/showMessage"
    });
    let message = shown["params"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("goes through the symbolic link") && message.contains("alias"),
        "{message}"
    );
    assert_eq!(shown["params"]["type"], 2, "a warning: {shown:#}");
    assert_eq!(client.shut_down().code(), Some(0));
}

/// No configuration is read through a link a git work tree holds: a workspace folder
/// `repo/alias` or `repo/alias/sub` with `alias -> ../outside` committed gets no settings from
/// `outside/.shutdownlint.toml`, whose parse error would quote a line of a file outside the
/// repository, as the command line takes none from such a path. Before, the link was reported
/// as not followed, but the configuration was looked up through it and its error published.
#[cfg(unix)]
#[test]
fn no_configuration_is_read_through_a_committed_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(repo.join(".git")).expect("mkdir");
    write(
        &outside,
        ".shutdownlint.toml",
        "token = \"SECRET\"\nignore = [\n",
    );
    write(&outside, "sub/Dockerfile", DOCKERFILE);
    std::os::unix::fs::symlink("../outside", repo.join("alias")).expect("symlink");
    for folder in [repo.join("alias"), repo.join("alias/sub")] {
        let (mut client, _) = Client::initialized(&folder, json!({}));
        client.open(&folder.join("Dockerfile"), DOCKERFILE);
        let shown = client.wait_for("window/showMessage", |m| {
            m["method"] == "window/showMessage"
        });
        let message = shown["params"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("not followed"), "{message}");
        // Everything the server sent before the answer to `shutdown`.
        let response = client.request_raw("shutdown", Value::Null);
        assert_eq!(response.get("result"), Some(&Value::Null), "{response}");
        let sent = serde_json::to_string(&client.backlog).expect("json");
        assert!(
            !sent.contains("SECRET") && !sent.contains(".shutdownlint.toml"),
            "{sent}"
        );
        assert_eq!(client.exit().code(), Some(0));
    }
}

/// The configurations of nested workspace folders are looked up along their shared names
/// once: 1,500 folders each in the one before, a change to the configuration at the top (every
/// folder reads its configuration again). Before, each folder's lookup and link check walked
/// its whole depth from the root: millions of steps, 15 s for the first diagnostics here.
#[test]
fn nested_folders_look_up_their_configuration_along_shared_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let top = dir.path().join("w");
    let folders: Vec<std::path::PathBuf> = (1..=1500)
        .scan(top.clone(), |path, _| {
            path.push("d");
            Some(path.clone())
        })
        .collect();
    let deep = folders.last().expect("folders").clone();
    write(&deep, "Dockerfile", DOCKERFILE);
    write(&top, ".shutdownlint.toml", "ignore = [\"SL101\"]\n");
    let started = Instant::now();
    let refs: Vec<&Path> = folders.iter().map(|f| f.as_path()).collect();
    let mut client = Client::with_folders(&refs);
    let dockerfile = deep.join("Dockerfile");
    client.open(&dockerfile, DOCKERFILE);
    assert_eq!(
        codes(&client.diagnostics(&uri(&dockerfile))),
        Vec::<String>::new()
    );
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(8),
        "first published after {took:?}"
    );
    write(&top, ".shutdownlint.toml", "ignore = []\n");
    let started = Instant::now();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri(&top.join(".shutdownlint.toml")), "type": 2}]}),
    );
    assert_eq!(codes(&client.diagnostics(&uri(&dockerfile))), ["SL101"]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(6), "republished after {took:?}");
    assert_eq!(client.shut_down().code(), Some(0));
}
