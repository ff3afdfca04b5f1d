//! `shutdownlint timeline` as a user runs it, over small repositories written to a temp folder:
//! the terminal picture (ASCII when piped), its JSON model with provenance, `--workload`, unknown
//! drain timeouts, SIGKILL cutting a drain, width adaptation, the SVG (well-formed, rendered with
//! rsvg-convert when it is installed), and the compact line under SL301/SL302 findings.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn bin() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shutdownlint"));
    command.env_remove("NO_COLOR").env("COLUMNS", "100");
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    bin().current_dir(dir).args(args).output().expect("runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        prepend_module_to_snapshot => true,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

/// A Kubernetes Deployment running an image built from a Dockerfile in the repository (linked
/// through skaffold): gunicorn drains 25s after a 10s preStop pause, in a 30s grace period.
fn kubernetes_repo(dir: &Path) {
    write(
        dir,
        "Dockerfile",
        "FROM python:3.12-slim\nCOPY . /app\nCMD [\"gunicorn\", \"--graceful-timeout\", \"25\", \"app:app\"]\n",
    );
    write(
        dir,
        "skaffold.yaml",
        "apiVersion: skaffold/v4beta11\nkind: Config\nbuild:\n  artifacts:\n    - image: registry.example.com/api\n      context: .\n",
    );
    write(
        dir,
        "deploy.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    metadata:
      labels:
        app: api
    spec:
      terminationGracePeriodSeconds: 30
      containers:
        - name: api
          image: registry.example.com/api:1.0
          ports:
            - containerPort: 8000
          lifecycle:
            preStop:
              exec:
                command: ["sleep", "10"]
"#,
    );
}

/// One workload per other platform, each with its own numbers.
fn other_platforms_repo(dir: &Path) {
    write(
        dir,
        "compose/compose.yaml",
        r#"services:
  web:
    image: python:3.12-slim
    command: ["uvicorn", "app:app", "--timeout-graceful-shutdown", "5"]
    stop_grace_period: 20s
    ports:
      - "8000:8000"
  jobs:
    image: ruby:3.3
    command: ["bundle", "exec", "sidekiq", "-t", "25"]
"#,
    );
    write(
        dir,
        "systemd/api.service",
        "[Unit]\nDescription=API\n\n[Service]\nExecStart=/usr/bin/gunicorn --graceful-timeout 60 app:app\nTimeoutStopSec=45\n",
    );
    write(
        dir,
        "procfile/Procfile",
        "web: gunicorn --graceful-timeout 20 app:app\nworker: bundle exec sidekiq -t 40\n",
    );
    write(
        dir,
        "fly/fly.toml",
        "app = \"shop\"\n\n[processes]\napp = \"gunicorn --graceful-timeout 20 app:app\"\n",
    );
}

fn json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["timeline", "--format", "json"];
    all.extend_from_slice(args);
    let output = run(dir, &all);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    serde_json::from_slice(&output.stdout).expect("timeline JSON parses")
}

fn workload<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .find(|w| w["name"] == name)
        .unwrap_or_else(|| panic!("no workload {name} in {doc:#}"))
}

fn first_process(workload: &Value) -> &Value {
    &workload["processes"][0]
}

#[test]
fn kubernetes_pre_stop_signal_drain_and_sigkill_cutting_the_drain() {
    let dir = tempfile::tempdir().expect("tempdir");
    kubernetes_repo(dir.path());
    let output = run(dir.path(), &["timeline"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    snapshot("kubernetes_ascii", &text);
    // Piped: plain ASCII, no escape sequences.
    assert!(text.is_ascii(), "{text}");
    // The drain row: the window from 10s to 35s, cut (`x`) after SIGKILL at 30s.
    let drain = text
        .lines()
        .find(|l| l.trim_start().starts_with("drain "))
        .expect("drain row");
    assert!(drain.contains("#x") && drain.ends_with("10-35s"), "{drain}");
    assert!(
        text.contains("[x] SIGKILL at 30s cuts the drain short by 5s"),
        "{text}"
    );

    let doc = json(dir.path(), &[]);
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["tool"]["name"], "shutdownlint");
    let api = workload(&doc, "Deployment/api");
    assert_eq!(api["platform"], "kubernetes");
    assert_eq!(
        (api["file"].as_str(), api["line"].as_u64()),
        (Some("deploy.yaml"), Some(4))
    );
    let lane = first_process(api);
    assert_eq!(lane["name"], "api");
    assert_eq!(lane["serves_traffic"], true);
    assert_eq!(lane["app"], "gunicorn");
    let pre_stop = &lane["before_signal"];
    assert_eq!(pre_stop["kind"], "preStop");
    assert_eq!(pre_stop["seconds"], 10.0);
    assert_eq!(pre_stop["source"]["file"], "deploy.yaml");
    assert_eq!(pre_stop["source"]["line"], 20);
    assert_eq!(lane["signal"]["at"], 10.0);
    assert_eq!(lane["signal"]["signal"], "SIGTERM");
    assert_eq!(lane["signal"]["source"]["kind"], "platform-default");
    assert_eq!(lane["signal"]["reaches_app"], "yes");
    // The drain timeout is written in the Dockerfile the container runs.
    let drain = &lane["drain"];
    assert_eq!(drain["state"], "known");
    assert_eq!(
        (drain["start"].as_f64(), drain["end"].as_f64()),
        (Some(10.0), Some(35.0))
    );
    assert_eq!(drain["source"]["kind"], "file");
    assert_eq!(drain["source"]["file"], "Dockerfile");
    assert_eq!(drain["source"]["line"], 3);
    let kill = &lane["sigkill"];
    assert_eq!(kill["at"], 30.0);
    assert_eq!(kill["source"]["file"], "deploy.yaml");
    assert_eq!(kill["source"]["line"], 11);
    assert_eq!(lane["verdict"]["status"], "cut");
    assert_eq!(lane["verdict"]["seconds"], 5.0);
    assert_eq!(
        lane["compact"],
        "preStop 0─10s │ SIGTERM 10s │ drain 10─35s │ SIGKILL 30s ✗ cuts drain by 5s"
    );
}

#[test]
fn compose_systemd_procfile_and_fly_with_platform_defaults() {
    let dir = tempfile::tempdir().expect("tempdir");
    other_platforms_repo(dir.path());
    let output = run(dir.path(), &["timeline"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    snapshot("other_platforms_ascii", &stdout(&output));

    let doc = json(dir.path(), &[]);
    // compose: stop_grace_period as written; uvicorn's flag; the drain fits.
    let web = first_process(workload(&doc, "service web"));
    assert_eq!(web["sigkill"]["at"], 20.0);
    assert_eq!(web["sigkill"]["source"]["line"], 5);
    assert_eq!(web["drain"]["seconds"], 5.0);
    assert_eq!(web["verdict"]["status"], "fits");
    assert_eq!(web["verdict"]["seconds"], 15.0);
    // compose default: 10s, said to be the platform's default, not a file.
    let jobs = first_process(workload(&doc, "service jobs"));
    assert_eq!(jobs["sigkill"]["at"], 10.0);
    assert_eq!(jobs["sigkill"]["source"]["kind"], "platform-default");
    assert!(jobs["sigkill"]["source"].get("file").is_none());
    assert_eq!(jobs["verdict"]["status"], "cut");
    // systemd: TimeoutStopSec= on line 6, every process of the unit gets the signal.
    let unit = first_process(workload(&doc, "api.service"));
    assert_eq!(unit["sigkill"]["at"], 45.0);
    assert_eq!(unit["sigkill"]["source"]["file"], "systemd/api.service");
    assert_eq!(unit["sigkill"]["source"]["line"], 6);
    assert_eq!(unit["signal"]["reaches_app"], "yes");
    assert_eq!(unit["verdict"]["seconds"], 15.0);
    // Procfile: Heroku's fixed 30s.
    let worker = first_process(workload(&doc, "worker process"));
    assert_eq!(worker["sigkill"]["at"], 30.0);
    assert_eq!(worker["sigkill"]["source"]["kind"], "platform-default");
    assert_eq!(worker["drain"]["source"]["file"], "procfile/Procfile");
    assert_eq!(worker["drain"]["source"]["line"], 2);
    assert_eq!(worker["verdict"]["status"], "cut");
    // fly.toml without kill_signal/kill_timeout: SIGINT, 5s. SIGINT is gunicorn's quick
    // shutdown (SL106): no drain at all.
    let fly = first_process(workload(&doc, "fly process app"));
    assert_eq!(fly["signal"]["signal"], "SIGINT");
    assert_eq!(fly["signal"]["source"]["kind"], "platform-default");
    assert_eq!(fly["signal"]["finding"]["rule"], "SL106");
    assert_eq!(fly["sigkill"]["at"], 5.0);
    assert_eq!(fly["sigkill"]["source"]["kind"], "platform-default");
    assert_eq!(fly["verdict"]["status"], "no-drain");
}

#[test]
fn workload_filter_by_full_short_and_container_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    kubernetes_repo(&dir.path().join("k8s"));
    other_platforms_repo(dir.path());
    let names = |args: &[&str]| -> Vec<String> {
        json(dir.path(), args)["workloads"]
            .as_array()
            .expect("workloads")
            .iter()
            .map(|w| w["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    write(
        dir.path(),
        "k8s/shop.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: cart\n          image: example/cart:1\n",
    );
    assert_eq!(names(&["--workload", "cart"]), ["Deployment/shop"]);
    assert_eq!(names(&["--workload", "DEPLOYMENT/API"]), ["Deployment/api"]);
    assert_eq!(names(&["--workload", "Deployment/api"]), ["Deployment/api"]);
    assert_eq!(
        names(&["--workload", "web"]),
        ["service web", "web process"]
    );
    assert_eq!(
        names(&["--workload", "api", "--workload", "jobs"]),
        ["service jobs", "Deployment/api", "api.service"]
    );
    let output = run(dir.path(), &["timeline", "--workload", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no workload named nope (found: service web, service jobs"),
        "{}",
        stderr(&output)
    );
    // The filter applies to the picture too.
    let output = run(dir.path(), &["timeline", "--workload", "api.service"]);
    let text = stdout(&output);
    assert!(
        text.starts_with("api.service (systemd) systemd/api.service:5\n"),
        "{text}"
    );
    assert!(!text.contains("Deployment/api"), "{text}");
}

#[test]
fn unknown_drain_timeout_is_said_and_what_is_known_is_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "worker.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: worker
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 60
      containers:
        - name: worker
          image: example/worker:2
          command: ["node", "worker.js"]
"#,
    );
    let output = run(dir.path(), &["timeline"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    snapshot("unknown_drain_ascii", &text);
    assert!(
        text.contains("[?] the drain timeout is unknown: the app has 60s after SIGTERM to finish"),
        "{text}"
    );
    assert!(
        text.contains("drain    unknown: no drain timeout is set for node"),
        "{text}"
    );
    let doc = json(dir.path(), &[]);
    let lane = first_process(workload(&doc, "Deployment/worker"));
    assert_eq!(lane["drain"]["state"], "unknown");
    assert!(lane["drain"]["end"].is_null());
    assert_eq!(lane["drain"]["source"]["file"], "worker.yaml");
    assert_eq!(lane["sigkill"]["at"], 60.0);
    assert_eq!(lane["sigkill"]["source"]["line"], 8);
    assert_eq!(lane["verdict"]["status"], "unknown");
    assert_eq!(lane["compact"], "SIGTERM 0s │ drain ? │ SIGKILL 60s");
}

#[test]
fn signals_that_never_reach_the_app_and_fast_shutdowns() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Shell form: dash stays PID 1 (SL101). nginx stopped with SIGTERM (SL106).
    write(
        dir.path(),
        "api/Dockerfile",
        "FROM node:22-slim\nCMD node server.js\n",
    );
    write(
        dir.path(),
        "web/Dockerfile",
        "FROM nginx:1.27\nSTOPSIGNAL SIGTERM\n",
    );
    write(
        dir.path(),
        "compose.yaml",
        "services:\n  api:\n    build: ./api\n    environment:\n      SHUTDOWN_TIMEOUT: \"5\"\n  web:\n    build: ./web\n    ports:\n      - \"80:80\"\n",
    );
    let doc = json(dir.path(), &[]);
    let api = first_process(workload(&doc, "service api"));
    assert_eq!(api["signal"]["reaches_app"], "no");
    let barrier = &api["signal"]["blocked_by"][0];
    assert_eq!(barrier["rule"], "SL101");
    assert_eq!(
        (barrier["file"].as_str(), barrier["line"].as_u64()),
        (Some("api/Dockerfile"), Some(2))
    );
    assert_eq!(api["verdict"]["status"], "no-drain");
    let web = first_process(workload(&doc, "service web"));
    assert_eq!(web["signal"]["reaches_app"], "yes");
    assert_eq!(web["signal"]["source"]["kind"], "image");
    assert_eq!(web["signal"]["source"]["file"], "web/Dockerfile");
    assert_eq!(web["signal"]["finding"]["rule"], "SL106");
    assert_eq!(web["verdict"]["status"], "no-drain");
    let text = stdout(&run(dir.path(), &["timeline"]));
    snapshot("no_drain_ascii", &text);
    assert!(text.contains("[x] SIGTERM never reaches `node`"), "{text}");
    assert!(
        text.contains("fast shutdown: in-flight requests are dropped [SL106]")
            && text.contains("(web/Dockerfile:2)"),
        "{text}"
    );
}

#[test]
fn plain_ascii_without_a_terminal_and_with_no_color() {
    let dir = tempfile::tempdir().expect("tempdir");
    kubernetes_repo(dir.path());
    for env in [None, Some("1")] {
        let mut command = bin();
        command.current_dir(dir.path()).arg("timeline");
        if let Some(value) = env {
            command.env("NO_COLOR", value);
        }
        let text = stdout(&command.output().expect("runs"));
        assert!(text.is_ascii() && !text.contains('\u{1b}'), "{text}");
    }
    let text = stdout(&run(dir.path(), &["timeline", "--no-color"]));
    assert!(text.is_ascii(), "{text}");
}

#[test]
fn the_terminal_rendering_uses_unicode_and_colour() {
    use shutdownlint::config::{Config, Selection};
    use shutdownlint::timeline::text::{render, TextOptions};
    let dir = tempfile::tempdir().expect("tempdir");
    kubernetes_repo(dir.path());
    let settings = shutdownlint::Settings::new(Config::default(), Selection::all());
    let (timeline, report) =
        shutdownlint::timeline::timeline_paths(&[dir.path().to_path_buf()], settings)
            .expect("timeline");
    let fancy = render(
        &timeline,
        &report.files,
        TextOptions {
            width: 100,
            fancy: true,
        },
    );
    assert!(fancy.contains("\u{1b}[32m█"), "{fancy}");
    assert!(fancy.contains('✗') && fancy.contains("├"), "{fancy}");
    let plain = render(
        &timeline,
        &report.files,
        TextOptions {
            width: 100,
            fancy: false,
        },
    );
    let strip = |text: &str| {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    // Same layout, other glyphs: as many lines, and the chart rows (between the axis and the
    // blank line before the legend) are as wide.
    let fancy = strip(&fancy);
    assert_eq!(fancy.lines().count(), plain.lines().count());
    let rows = |text: &str| -> Vec<usize> {
        text.lines()
            .skip_while(|l| !l.trim_start().starts_with(['|', '├']))
            .take_while(|l| !l.is_empty())
            .map(|l| l.chars().count())
            .collect()
    };
    assert_eq!(rows(&fancy).len(), 5, "{fancy}");
    assert_eq!(rows(&fancy), rows(&plain));
}

#[test]
fn width_follows_columns() {
    let dir = tempfile::tempdir().expect("tempdir");
    kubernetes_repo(dir.path());
    other_platforms_repo(dir.path());
    let at = |columns: &str| {
        let output = bin()
            .current_dir(dir.path())
            .env("COLUMNS", columns)
            .arg("timeline")
            .output()
            .expect("runs");
        stdout(&output)
    };
    let narrow = at("60");
    let wide = at("140");
    let longest = |text: &str| text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(longest(&narrow) <= 60, "{narrow}");
    assert!(longest(&wide) <= 140, "{wide}");
    let axis = |text: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with('|'))
            .map(|l| l.trim().chars().count())
            .unwrap_or(0)
    };
    assert_eq!(axis(&narrow), 60 - 4 - 9 - 10 - 1);
    assert_eq!(axis(&wide), 140 - 4 - 9 - 10 - 1);
    snapshot(
        "width_60_columns",
        &at("60")
            .split("\n\n")
            .take(2)
            .collect::<Vec<_>>()
            .join("\n\n"),
    );
}

/// A small well-formedness check: tags nest and close, attributes are quoted, `&` starts an
/// entity, and there is one root `<svg>`.
fn check_xml(text: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = text;
    let mut roots = 0;
    while let Some(open) = rest.find('<') {
        let content = &rest[..open];
        check_entities(content)?;
        let close = rest[open..].find('>').ok_or("unclosed tag")? + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or(format!("stray </{name}>"))?;
            if top != name.trim() {
                return Err(format!("</{name}> closes <{top}>"));
            }
            continue;
        }
        if tag.matches('"').count() % 2 != 0 {
            return Err(format!("unbalanced quotes in <{tag}>"));
        }
        let name = tag
            .split_whitespace()
            .next()
            .ok_or("empty tag")?
            .trim_end_matches('/')
            .to_string();
        for value in tag.split('"').skip(1).step_by(2) {
            check_entities(value)?;
            if value.contains('<') {
                return Err(format!("< in attribute of <{name}>"));
            }
        }
        if stack.is_empty() {
            roots += 1;
            if name != "svg" {
                return Err(format!("root element <{name}>"));
            }
        }
        if !tag.ends_with('/') {
            stack.push(name);
        }
    }
    if !stack.is_empty() {
        return Err(format!("unclosed {stack:?}"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    check_entities(rest)
}

fn check_entities(text: &str) -> Result<(), String> {
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        if !["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
            .iter()
            .any(|e| entity.starts_with(e))
        {
            return Err(format!("bare & at {}", &entity[..entity.len().min(12)]));
        }
    }
    Ok(())
}

#[test]
fn the_xml_check_catches_mistakes() {
    assert!(check_xml("<svg><text>a &amp; b</text></svg>").is_ok());
    assert!(check_xml("<svg><text>a & b</text></svg>").is_err());
    assert!(check_xml("<svg><text>a</svg>").is_err());
    assert!(check_xml("<svg x=\"1></svg>").is_err());
    assert!(check_xml("<svg/><svg/>").is_err());
}

#[test]
fn svg_is_well_formed_deterministic_and_renders() {
    let dir = tempfile::tempdir().expect("tempdir");
    kubernetes_repo(dir.path());
    // A name that needs escaping in XML.
    write(
        dir.path(),
        "units/web<&\"'>.service",
        "[Service]\nExecStart=/usr/bin/gunicorn --graceful-timeout 20 app:app\n",
    );
    let output = run(dir.path(), &["timeline", "--format", "svg"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let svg = stdout(&output);
    check_xml(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(
        svg.contains("web&lt;&amp;&quot;&apos;&gt;.service (systemd)"),
        "{svg}"
    );
    for external in ["<script", "href", "@import", "url("] {
        assert!(!svg.contains(external), "{external} in {svg}");
    }
    // The same bytes every run, and through --svg FILE.
    assert_eq!(
        stdout(&run(dir.path(), &["timeline", "--format", "svg"])),
        svg
    );
    let written = dir.path().join("out.svg");
    let output = run(
        dir.path(),
        &["timeline", "--svg", written.to_str().expect("utf-8 path")],
    );
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("Deployment/api (Kubernetes)"));
    assert_eq!(std::fs::read_to_string(&written).expect("svg written"), svg);
    snapshot("kubernetes_svg", &svg);

    // A second XML parser, when Python is there.
    match Command::new("python3")
        .args([
            "-c",
            "import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])",
        ])
        .arg(&written)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => eprintln!("note: python3 not found; XML checked by the built-in check only"),
    }

    // Render it.
    let png = dir.path().join("out.png");
    match Command::new("rsvg-convert")
        .arg("-o")
        .arg(&png)
        .arg(&written)
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "rsvg-convert: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let bytes = std::fs::read(&png).expect("png written");
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
            let width = u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]);
            let height = u32::from_be_bytes([bytes[20], bytes[21], bytes[22], bytes[23]]);
            assert!(width >= 700 && height >= 200, "{width}x{height}");
        }
        Err(_) => eprintln!(
            "note: rsvg-convert not found (Debian: apt-get install librsvg2-bin); SVG not rendered"
        ),
    }
}

#[test]
fn sl301_and_sl302_findings_show_the_compact_timeline_in_human_output_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    kubernetes_repo(dir.path());
    write(
        dir.path(),
        "pause.yaml",
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: pause
spec:
  template:
    spec:
      containers:
        - name: pause
          image: example/pause:1
          lifecycle:
            preStop:
              sleep:
                seconds: 45
"#,
    );
    let output = run(dir.path(), &["--select", "SL301,SL302", "--no-color"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    snapshot("budget_findings_human", &text);
    let lines: Vec<&str> = text.lines().collect();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not in\n{text}"))
    };
    // Under the SL301 snippet and help, before the related snippet of the preStop line.
    let timeline = at(
        "  timeline: preStop 0─10s │ SIGTERM 10s │ drain 10─35s │ SIGKILL 30s ✗ cuts drain by 5s",
    );
    assert!(at("SL301 grace-period-shorter-than-drain") < timeline);
    assert!(at("help: make terminationGracePeriodSeconds longer") < timeline);
    assert!(timeline < at("☞ preStop sleeps 10s here"));
    at("  timeline: preStop 0─45s (cut at 30s) │ SIGTERM 30s │ drain ? │ SIGKILL 32s (30s + 2s) ✗ 2s after SIGTERM");
    // Not in the JSON contract.
    let output = run(dir.path(), &["--select", "SL301,SL302", "--format", "json"]);
    assert!(!stdout(&output).contains("timeline"), "{}", stdout(&output));
}

#[test]
fn exit_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    kubernetes_repo(dir.path());
    // Informative: findings do not fail it.
    assert_eq!(run(dir.path(), &["timeline"]).status.code(), Some(0));
    assert_eq!(
        run(dir.path(), &["timeline", "missing"]).status.code(),
        Some(2)
    );
    assert_eq!(run(dir.path(), &["timeline", "-"]).status.code(), Some(2));
    assert_eq!(
        run(dir.path(), &["timeline", "--format", "png"])
            .status
            .code(),
        Some(2)
    );
    let empty = tempfile::tempdir().expect("tempdir");
    let output = run(empty.path(), &["timeline"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "No workloads found.\n");
}

#[test]
fn the_docs_show_the_real_output_for_the_example() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let output = run(&root, &["timeline", "examples/shop"]);
    assert_eq!(output.status.code(), Some(0));
    let page = std::fs::read_to_string(root.join("docs/timeline.md")).expect("docs/timeline.md");
    let expected = format!(
        "$ shutdownlint timeline examples/shop\n{}```",
        stdout(&output)
    );
    assert!(
        page.contains(&expected),
        "docs/timeline.md's example differs from `shutdownlint timeline examples/shop` (COLUMNS=100); paste the new output:\n{}",
        stdout(&output)
    );
    let svg = stdout(&run(
        &root,
        &["timeline", "examples/shop", "--format", "svg"],
    ));
    let committed =
        std::fs::read_to_string(root.join("docs/timeline-example.svg")).expect("example SVG");
    assert!(
        committed == svg,
        "docs/timeline-example.svg is out of date: run `shutdownlint timeline examples/shop --svg docs/timeline-example.svg`"
    );
}

/// Run the binary in `dir`; kill it and fail when it runs past the deadline (the hang detection
/// of tests/hostile_content.rs: 5 s for an optimised build, four times that unoptimised).
fn run_with_deadline(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let deadline = if cfg!(debug_assertions) {
        std::time::Duration::from_secs(20)
    } else {
        std::time::Duration::from_secs(5)
    };
    let (output, _) = common::output_within(bin().current_dir(dir).args(args), deadline);
    (output.status.code(), stdout(&output), stderr(&output))
}

/// A pod of 40,000 port-less containers a Service selects, and one of 8,000 containers with
/// `psql` liveness probes: whether each serves is worked out once per pod (this took 32 s and
/// 28 s).
#[test]
fn huge_pods_take_linear_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pod = |name: &str, container: &dyn Fn(usize) -> String, count: usize| {
        let containers: String = (0..count).map(container).collect();
        format!("---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  replicas: 2\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers:\n{containers}")
    };
    let serving = pod(
        "serves",
        &|i| format!("      - {{name: c{i}, image: x}}\n"),
        40_000,
    );
    let probing = pod(
        "probes",
        &|i| {
            format!("      - {{name: c{i}, image: x, livenessProbe: {{exec: {{command: [psql, -h, $H]}}}}}}\n")
        },
        8_000,
    );
    write(
        dir.path(),
        "d.yaml",
        &format!("apiVersion: v1\nkind: Service\nmetadata: {{name: s}}\nspec: {{selector: {{app: serves}}}}\n{serving}{probing}"),
    );
    for format in ["human", "json", "svg"] {
        let (status, out, err) = run_with_deadline(dir.path(), &["timeline", "--format", format]);
        assert_eq!(status, Some(0), "{format}: {err}");
        assert!(out.contains("c999"), "{format}");
    }
}

/// Two units with 100,000 `ExecStop=/bin/kill -9 $MAINPID` lines each (an SL104 on every
/// line): the findings are matched to a lane through an index of their places, not by testing
/// each one against every `ExecStop=` line (this took 5.3 s optimised).
#[test]
fn many_exec_stop_findings_attach_in_linear_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let unit = format!(
        "[Service]\nExecStart=/usr/bin/app\n{}",
        "ExecStop=/bin/kill -9 $MAINPID\n".repeat(100_000)
    );
    write(dir.path(), "a.service", &unit);
    write(dir.path(), "b.service", &unit);
    let (status, out, err) = run_with_deadline(dir.path(), &["timeline", "--format", "json"]);
    assert_eq!(status, Some(0), "{err}");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    let workloads = doc["workloads"].as_array().expect("workloads");
    assert_eq!(workloads.len(), 2);
    for workload in workloads {
        assert!(
            workload.to_string().contains("SL104"),
            "the lane shows the SIGKILL finding: {workload}"
        );
    }
}

/// One manifest of 440 Deployments with 100 containers each (44,000 lanes, as in the audit's
/// 8 MB file of 347,600): every format draws the first 1,000 and says how many were left out.
#[test]
fn a_huge_timeline_is_limited_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let containers: Vec<String> = (0..100)
        .map(|j| format!("{{name: c{j}, image: n}}"))
        .collect();
    let containers = containers.join(",");
    let manifest: String = (0..440)
        .map(|i| {
            format!(
                "---\n{{apiVersion: apps/v1, kind: Deployment, metadata: {{name: d{i}}}, spec: {{template: {{spec: {{containers: [{containers}]}}}}}}}}\n"
            )
        })
        .collect();
    write(dir.path(), "d.yaml", &manifest);
    let note = "43000 more processes of 430 workloads not drawn: a timeline draws at most 1000 \
                processes; choose the workloads to draw with --workload NAME";

    let (status, out, err) = run_with_deadline(dir.path(), &["timeline"]);
    assert_eq!(status, Some(0), "{err}");
    assert!(
        out.ends_with(&format!("\n\n{note}\n")),
        "{}",
        &out[out.len().saturating_sub(400)..]
    );
    assert_eq!(out.matches("\n  container ").count(), 1000);
    assert!(out.contains("Deployment/d9 ") && !out.contains("Deployment/d10 "));
    assert!(err.contains(note), "{err}");

    let (status, out, err) = run_with_deadline(dir.path(), &["timeline", "--format", "json"]);
    assert_eq!(status, Some(0), "{err}");
    let doc: Value = serde_json::from_str(&out).expect("JSON");
    let workloads = doc["workloads"].as_array().expect("workloads");
    assert_eq!(workloads.len(), 10);
    let drawn: usize = workloads
        .iter()
        .map(|w| w["processes"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(drawn, 1000);
    assert_eq!(doc["omitted"]["processes"], 43000);
    assert_eq!(doc["omitted"]["workloads"], 430);
    assert_eq!(doc["omitted"]["limit"], 1000);
    assert_eq!(doc["omitted"]["note"], note);

    let (status, out, err) = run_with_deadline(dir.path(), &["timeline", "--format", "svg"]);
    assert_eq!(status, Some(0), "{err}");
    check_xml(&out).expect("well-formed SVG");
    assert!(out.contains(&format!(">{note}</text>")));
    assert_eq!(out.matches(">container c").count(), 1000);

    // --workload picks workloads past the limit, and a selection under it draws everything.
    let (status, out, err) = run_with_deadline(
        dir.path(),
        &["timeline", "--workload", "d439", "--workload", "d200"],
    );
    assert_eq!(status, Some(0), "{err}");
    assert_eq!(out.matches("\n  container ").count(), 200);
    assert!(out.contains("Deployment/d200 ") && out.contains("Deployment/d439 "));
    assert!(
        !out.contains("not drawn") && !err.contains("not drawn"),
        "{err}"
    );
}

/// A workload that straddles the limit keeps its first lanes and counts as one left out.
#[test]
fn the_limit_can_cut_a_workload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let containers: Vec<String> = (0..700)
        .map(|j| format!("{{name: c{j}, image: n}}"))
        .collect();
    let containers = containers.join(",");
    let manifest: String = (0..2)
        .map(|i| {
            format!(
                "---\n{{apiVersion: apps/v1, kind: Deployment, metadata: {{name: d{i}}}, spec: {{template: {{spec: {{containers: [{containers}]}}}}}}}}\n"
            )
        })
        .collect();
    write(dir.path(), "d.yaml", &manifest);
    let doc = json(dir.path(), &[]);
    let workloads = doc["workloads"].as_array().expect("workloads");
    assert_eq!(workloads.len(), 2);
    assert_eq!(
        workloads[1]["processes"].as_array().map(Vec::len),
        Some(300)
    );
    assert_eq!(doc["omitted"]["processes"], 400);
    assert_eq!(doc["omitted"]["workloads"], 1);
}
