//! Snapshots of every output format on one multi-rule input, with LF and CRLF line endings and
//! non-ASCII text before a finding on the same line: positions must agree in every format.

mod common;

use shutdownlint::output::{self, Format};

fn report(name: &str) -> shutdownlint::Report {
    let path = common::manifest_dir().join("testdata/output").join(name);
    let text = std::fs::read_to_string(&path).expect("read fixture");
    let settings = shutdownlint::Settings::new(
        shutdownlint::config::Config::default(),
        shutdownlint::config::Selection::all(),
    );
    shutdownlint::lint_inputs(
        vec![shutdownlint::InputFile {
            display: format!("testdata/output/{name}"),
            kind: shutdownlint::source::FileKind::Dockerfile,
            text,
            dir: None,
        }],
        &settings,
    )
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({
        snapshot_path => common::manifest_dir().join("testdata/output/snapshots"),
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn every_format_lf_and_crlf() {
    for (file, tag) in [("Dockerfile", "lf"), ("crlf.Dockerfile", "crlf")] {
        let report = report(file);
        assert_eq!(
            report.diagnostics.len(),
            2,
            "SL104 and SL601 (SL101 is silent: the string ends with exec) in {file}"
        );
        snapshot(
            &format!("human_{tag}"),
            &output::render(&report, Format::Human, false),
        );
        snapshot(
            &format!("json_{tag}"),
            &output::render(&report, Format::Json, false),
        );
        snapshot(
            &format!("github_{tag}"),
            &output::render(&report, Format::Github, false),
        );
    }
}

#[test]
fn crlf_and_lf_give_the_same_lines_and_columns() {
    let lf = output::render(&report("Dockerfile"), Format::Github, false);
    let crlf = output::render(&report("crlf.Dockerfile"), Format::Github, false);
    assert_eq!(
        lf.replace("testdata/output/Dockerfile", "F"),
        crlf.replace("testdata/output/crlf.Dockerfile", "F")
    );
}

#[test]
fn columns_count_characters_after_non_ascii_text() {
    let report = report("Dockerfile");
    let json: serde_json::Value =
        serde_json::from_str(&output::render(&report, Format::Json, false)).expect("json");
    let migration = json["diagnostics"]
        .as_array()
        .expect("array")
        .iter()
        .find(|d| d["rule"] == "SL601")
        .expect("SL601");
    let line = "CMD [\"sh\", \"-c\", \"echo 'Grüße 🚀 déploiement' && python manage.py migrate";
    let column = line
        .find("python")
        .map(|b| line[..b].chars().count() + 1)
        .expect("column");
    assert_eq!(migration["start"]["line"], 6);
    assert_eq!(migration["start"]["column"], column);
    let text = std::fs::read_to_string(common::manifest_dir().join("testdata/output/Dockerfile"))
        .expect("read");
    let offset = migration["start"]["offset"].as_u64().expect("offset") as usize;
    assert!(text[offset..].starts_with("python manage.py migrate"));
}

/// The base directory the SARIF snapshots name as `%SRCROOT%` (fixed, so they are deterministic).
const SARIF_ROOT: &str = "/src/project";

fn sarif(report: &shutdownlint::Report) -> serde_json::Value {
    let text = output::sarif::render(report, Some(std::path::Path::new(SARIF_ROOT)));
    serde_json::from_str(&text).expect("sarif is json")
}

/// The SARIF document with the rule list cut down to the rules the results use and their page
/// bodies and indexes replaced by placeholders, after checking them: rule pages and the registry
/// change often, and this snapshot is about results and positions.
fn sarif_for_snapshot(mut log: serde_json::Value) -> serde_json::Value {
    let all = shutdownlint::rules::all();
    let run = &mut log["runs"][0];
    let rules = run["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .clone();
    assert_eq!(rules.len(), all.len(), "every rule is listed");
    let mut used = Vec::new();
    for result in run["results"].as_array_mut().expect("results") {
        let id = result["ruleId"].as_str().expect("ruleId").to_string();
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            rules[index]["id"],
            id.as_str(),
            "ruleIndex points at its rule"
        );
        result["ruleIndex"] = format!("<index of {id}>").into();
        if !used.contains(&id) {
            used.push(id);
        }
    }
    let mut kept = Vec::new();
    for id in &used {
        let meta = shutdownlint::rules::by_code(id).expect("rule");
        let mut rule = rules
            .iter()
            .find(|r| r["id"] == id.as_str())
            .expect("listed")
            .clone();
        let body = meta.body.trim();
        for field in ["fullDescription", "help"] {
            assert_eq!(rule[field]["text"], body, "{id} {field}");
            assert_eq!(rule[field]["markdown"], body, "{id} {field}");
            rule[field] = format!("<rules/{} body>", meta.page_file).into();
        }
        kept.push(rule);
    }
    run["tool"]["driver"]["rules"] = kept.into();
    log
}

#[test]
fn sarif_lf_and_crlf() {
    for (file, tag) in [("Dockerfile", "lf"), ("crlf.Dockerfile", "crlf")] {
        let report = report(file);
        let log = sarif(&report);
        // Without a base directory (`output::render`) the document is the same but for
        // `originalUriBaseIds`, which only the command line (current directory) knows.
        let mut without_root: serde_json::Value =
            serde_json::from_str(&output::render(&report, Format::Sarif, false)).expect("json");
        assert!(without_root["runs"][0]
            .as_object_mut()
            .expect("run")
            .remove("originalUriBaseIds")
            .is_none());
        let mut expected = log.clone();
        expected["runs"][0]
            .as_object_mut()
            .expect("run")
            .remove("originalUriBaseIds");
        assert_eq!(without_root, expected);
        let text = serde_json::to_string_pretty(&sarif_for_snapshot(log)).expect("pretty");
        snapshot(&format!("sarif_{tag}"), &text);
    }
}

#[test]
fn sarif_regions_agree_with_json_positions() {
    for file in ["Dockerfile", "crlf.Dockerfile"] {
        let report = report(file);
        let log = sarif(&report);
        let json: serde_json::Value =
            serde_json::from_str(&output::render(&report, Format::Json, false)).expect("json");
        let text =
            std::fs::read_to_string(common::manifest_dir().join("testdata/output").join(file))
                .expect("read");
        let results = log["runs"][0]["results"].as_array().expect("results");
        let diagnostics = json["diagnostics"].as_array().expect("diagnostics");
        assert_eq!(results.len(), diagnostics.len());
        for (result, d) in results.iter().zip(diagnostics) {
            let region = &result["locations"][0]["physicalLocation"]["region"];
            assert_eq!(region["startLine"], d["start"]["line"]);
            assert_eq!(region["startColumn"], d["start"]["column"]);
            assert_eq!(region["endLine"], d["end"]["line"]);
            assert_eq!(region["endColumn"], d["end"]["column"]);
            let start = d["start"]["offset"].as_u64().expect("offset") as usize;
            let end = d["end"]["offset"].as_u64().expect("offset") as usize;
            assert_eq!(region["byteOffset"], start);
            assert_eq!(region["byteLength"], end - start);
            // charOffset/charLength count code points (columnKind unicodeCodePoints).
            assert_eq!(region["charOffset"], text[..start].chars().count());
            assert_eq!(region["charLength"], text[start..end].chars().count());
            assert_eq!(
                result["level"],
                match d["severity"].as_str() {
                    Some("info") => "note",
                    other => other.expect("severity"),
                }
            );
            assert_eq!(
                result["relatedLocations"]
                    .as_array()
                    .map_or(0, |labels| labels.len()),
                d["labels"].as_array().expect("labels").len()
            );
        }
        assert_eq!(log["runs"][0]["columnKind"], "unicodeCodePoints");
        assert_eq!(
            log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"],
            "file:///src/project/"
        );
    }
}

#[test]
fn sarif_fingerprints_survive_edits_above_and_line_endings() {
    let fingerprints_of = |name: &str, kind, text: String| {
        let report = shutdownlint::lint_inputs(
            vec![shutdownlint::InputFile {
                display: name.to_string(),
                kind,
                text,
                dir: None,
            }],
            &shutdownlint::Settings::new(
                shutdownlint::config::Config::default(),
                shutdownlint::config::Selection::all(),
            ),
        );
        let log = sarif(&report);
        log["runs"][0]["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| {
                (
                    r["locations"][0]["physicalLocation"]["region"]["startLine"].clone(),
                    r["partialFingerprints"]["shutdownlint/v1"]
                        .as_str()
                        .expect("fingerprint")
                        .to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let fingerprints = |name: &str, text: String| {
        fingerprints_of(name, shutdownlint::source::FileKind::Dockerfile, text)
    };
    let original =
        std::fs::read_to_string(common::manifest_dir().join("testdata/output/Dockerfile"))
            .expect("read");
    let before = fingerprints("Dockerfile", original.clone());
    let edited = fingerprints(
        "Dockerfile",
        format!("# a new comment\n# and another\n{original}"),
    );
    let crlf = fingerprints("Dockerfile", original.replace('\n', "\r\n"));
    assert_eq!(before.len(), 2);
    for ((line, print), (edited_line, edited_print)) in before.iter().zip(&edited) {
        assert_eq!(edited_line.as_u64(), line.as_u64().map(|l| l + 2));
        assert_eq!(print, edited_print, "unrelated lines above change nothing");
    }
    assert_eq!(before, crlf, "line endings change nothing");
    assert_ne!(before[0].1, before[1].1);
    // Two identical findings in one file (the same rule on the same line text) differ by
    // their occurrence count.
    let deployment = |name: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 3\n  strategy:\n    type: Recreate\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n        - name: web\n          image: web:1\n          ports: [{{containerPort: 8080}}]\n"
        )
    };
    let twice = fingerprints_of(
        "deploy.yaml",
        shutdownlint::source::FileKind::Yaml,
        format!("{}---\n{}", deployment("a"), deployment("b")),
    );
    let recreate: Vec<_> = twice
        .iter()
        .filter(|(line, _)| line == 8 || line == 27)
        .collect();
    assert_eq!(
        recreate.len(),
        2,
        "SL501 twice on `type: Recreate`: {twice:?}"
    );
    assert_ne!(recreate[0].1, recreate[1].1);
    // Another path is another finding.
    assert_ne!(fingerprints("api/Dockerfile", original), before);
}

/// Where the official SARIF 2.1.0 schema is: `$SARIF_SCHEMA`, else `../shared/schemas/`
/// relative to the repository (where CI has it).
fn sarif_schema() -> Option<std::path::PathBuf> {
    let path = std::env::var_os("SARIF_SCHEMA").map_or_else(
        || common::manifest_dir().join("../shared/schemas/sarif-schema-2.1.0.json"),
        std::path::PathBuf::from,
    );
    path.is_file().then_some(path)
}

/// Validates each document with Python's `jsonschema` (Draft 4, as the schema declares); `None`
/// when python3 or the module is missing. Returns one error text per document (empty: valid).
fn validate_sarif(schema: &std::path::Path, documents: &[String]) -> Option<Vec<String>> {
    let available = std::process::Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut args = vec![
        "-c".to_string(),
        r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1], encoding="utf-8"))
validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
for path in sys.argv[2:]:
    errors = [
        "/".join(str(p) for p in e.absolute_path) + ": " + e.message
        for e in validator.iter_errors(json.load(open(path, encoding="utf-8")))
    ]
    print(json.dumps(errors))
"#
        .to_string(),
        schema.display().to_string(),
    ];
    for (i, document) in documents.iter().enumerate() {
        let path = dir.path().join(format!("{i}.sarif"));
        std::fs::write(&path, document).expect("write");
        args.push(path.display().to_string());
    }
    let output = std::process::Command::new("python3")
        .args(&args)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|line| {
                let errors: Vec<String> = serde_json::from_str(line).expect("errors");
                errors.join("\n")
            })
            .collect(),
    )
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let Some(schema) = sarif_schema() else {
        eprintln!("note: SARIF schema not found (../shared/schemas/sarif-schema-2.1.0.json or $SARIF_SCHEMA): schema validation skipped");
        return;
    };
    let root = std::path::Path::new(SARIF_ROOT);
    let example = common::lint(&common::manifest_dir().join("examples/shop"));
    assert!(!example.diagnostics.is_empty());
    let documents = vec![
        output::sarif::render(&report("Dockerfile"), Some(root)),
        output::sarif::render(&report("crlf.Dockerfile"), Some(root)),
        output::render(&report("Dockerfile"), Format::Sarif, false),
        // Absolute paths outside the root: file:// URIs; labels across files.
        output::sarif::render(&example, Some(root)),
        output::sarif::render(&example, Some(&common::manifest_dir())),
        // Broken on purpose: the validator must reject it.
        output::sarif::render(&report("Dockerfile"), Some(root))
            .replace("\"version\": \"2.1.0\"", "\"version\": \"2.0.0\""),
    ];
    let Some(errors) = validate_sarif(&schema, &documents) else {
        eprintln!("note: python3 with the jsonschema module is not available (pip install jsonschema): SARIF schema validation skipped");
        return;
    };
    assert_eq!(errors.len(), documents.len());
    for (i, errors) in errors[..documents.len() - 1].iter().enumerate() {
        assert!(errors.is_empty(), "document {i}:\n{errors}");
    }
    assert!(
        errors[documents.len() - 1].contains("version"),
        "the broken document is rejected: {:?}",
        errors[documents.len() - 1]
    );
}

// --- The real binary, every format, the same positions -----------------------------------------

/// Runs the built binary in `dir` with `args`; returns stdout. Exit status 1 (findings) expected.
fn shutdownlint(dir: &std::path::Path, args: &[&str]) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_shutdownlint"))
        .current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        // The same width as the in-process rendering of this test process.
        .env("COLUMNS", std::env::var("COLUMNS").unwrap_or_default())
        .output()
        .expect("shutdownlint runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8 output")
}

#[test]
fn the_binary_prints_what_the_snapshots_show() {
    let root = common::manifest_dir();
    for file in ["Dockerfile", "crlf.Dockerfile"] {
        let path = format!("testdata/output/{file}");
        let report = report(file);
        for (flag, format) in [
            ("human", Format::Human),
            ("json", Format::Json),
            ("github", Format::Github),
        ] {
            assert_eq!(
                shutdownlint(&root, &["--no-color", "--format", flag, &path]),
                output::render(&report, format, false),
                "{flag} {file}"
            );
        }
        // SARIF names the current directory as %SRCROOT%; the rest is the same document.
        let without_root = |text: &str| {
            let mut log: serde_json::Value = serde_json::from_str(text).expect("sarif is json");
            let base = log["runs"][0]
                .as_object_mut()
                .expect("run")
                .remove("originalUriBaseIds");
            (log, base)
        };
        let (binary, binary_base) =
            without_root(&shutdownlint(&root, &["--format", "sarif", &path]));
        let (library, _) = without_root(&output::sarif::render(&report, Some(&root)));
        assert_eq!(binary, library, "sarif {file}");
        assert!(binary_base.is_some_and(|b| b["%SRCROOT%"]["uri"]
            .as_str()
            .is_some_and(|uri| uri.starts_with("file:///") && uri.ends_with('/'))));
    }
}

/// One finding's place as a format reports it: file, start line and column, end line and column
/// (`None` where the format does not say).
type Place = (String, usize, usize, Option<usize>, Option<usize>);

fn json_places(text: &str) -> Vec<Place> {
    let json: serde_json::Value = serde_json::from_str(text).expect("json");
    json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            let number = |v: &serde_json::Value| v.as_u64().expect("number") as usize;
            (
                d["file"].as_str().expect("file").to_string(),
                number(&d["start"]["line"]),
                number(&d["start"]["column"]),
                Some(number(&d["end"]["line"])),
                Some(number(&d["end"]["column"])),
            )
        })
        .collect()
}

fn sarif_places(text: &str) -> Vec<Place> {
    let sarif: serde_json::Value = serde_json::from_str(text).expect("sarif");
    sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let location = &r["locations"][0]["physicalLocation"];
            let region = &location["region"];
            let number = |v: &serde_json::Value| v.as_u64().expect("number") as usize;
            (
                location["artifactLocation"]["uri"]
                    .as_str()
                    .expect("uri")
                    .replace("%20", " "),
                number(&region["startLine"]),
                number(&region["startColumn"]),
                Some(number(&region["endLine"])),
                Some(number(&region["endColumn"])),
            )
        })
        .collect()
}

/// `::error file=F,line=L,col=C,endColumn=E,title=…::…`: with `endLine` instead of `endColumn`
/// for a finding over several lines, where only the line is known.
fn github_places(text: &str) -> Vec<Place> {
    text.lines()
        .map(|line| {
            let properties = line
                .split_once(' ')
                .and_then(|(_, rest)| rest.split_once("::"))
                .map(|(properties, _)| properties)
                .expect("a workflow command with properties");
            let mut place: Place = (String::new(), 0, 0, None, None);
            let mut end_line = None;
            for property in properties.split(',') {
                let (key, value) = property.split_once('=').expect("key=value");
                let number = || value.parse::<usize>().expect("number");
                match key {
                    "file" => place.0 = value.replace("%3A", ":").replace("%2C", ","),
                    "line" => place.1 = number(),
                    "col" => place.2 = number(),
                    "endColumn" => place.4 = Some(number()),
                    "endLine" => end_line = Some(number()),
                    _ => {}
                }
            }
            place.3 = end_line.or(place.4.map(|_| place.1));
            place
        })
        .collect()
}

/// The `╭─[file:line:column]` of each finding's own snippet: the first after its `CODE name`
/// header line.
fn human_places(text: &str) -> Vec<Place> {
    let mut places = Vec::new();
    let mut in_finding = false;
    for line in text.lines() {
        let is_header = line
            .split_once(' ')
            .is_some_and(|(code, _)| code.len() == 5 && code.starts_with("SL"));
        if is_header {
            in_finding = true;
        } else if in_finding {
            if let Some((_, rest)) = line.split_once("╭─[") {
                let inner = rest.trim_end().strip_suffix(']').expect("closing bracket");
                let mut parts = inner.rsplitn(3, ':');
                let column = parts.next().expect("column").parse().expect("number");
                let line = parts.next().expect("line").parse().expect("number");
                let file = parts.next().expect("file").to_string();
                places.push((file, line, column, None, None));
                in_finding = false;
            }
        }
    }
    places
}

/// Line and column (characters) of the first `needle` in `text`, computed here from the text.
fn place_of(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).expect("needle in text");
    let line = text[..at].matches('\n').count() + 1;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..at].chars().count() + 1)
}

/// Every format, through the binary, reports the same places, and they are the places of the
/// text: with LF and CRLF, and with non-ASCII text before the finding on its line. Dockerfiles
/// and YAML (a different parser) both.
#[test]
fn every_format_reports_the_same_positions() {
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: café\nspec:\n  replicas: 3\n  strategy: {x-note: \"Grüße 🚀 déploiement\", type: Recreate}\n  selector:\n    matchLabels: {app: café}\n  template:\n    metadata:\n      labels: {app: café}\n    spec:\n      containers:\n        - {name: wéb, image: \"web:1\", ports: [{containerPort: 8080}], readinessProbe: {httpGet: {path: /ready, port: 8080}}, lifecycle: {preStop: {sleep: {seconds: 5}}}}\n";
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("deploy.yaml"), yaml).expect("write");
    std::fs::write(
        dir.path().join("crlf.deploy.yaml"),
        yaml.replace('\n', "\r\n"),
    )
    .expect("write");
    let dockerfile =
        std::fs::read_to_string(common::manifest_dir().join("testdata/output/Dockerfile"))
            .expect("read");
    let cases = [
        (
            common::manifest_dir(),
            "testdata/output/Dockerfile",
            dockerfile.clone(),
            "SL601",
            "python manage.py migrate",
        ),
        (
            common::manifest_dir(),
            "testdata/output/crlf.Dockerfile",
            dockerfile.replace('\n', "\r\n"),
            "SL601",
            "python manage.py migrate",
        ),
        (
            dir.path().to_path_buf(),
            "deploy.yaml",
            yaml.to_string(),
            "SL501",
            "Recreate",
        ),
        (
            dir.path().to_path_buf(),
            "crlf.deploy.yaml",
            yaml.replace('\n', "\r\n"),
            "SL501",
            "Recreate",
        ),
    ];
    for (cwd, path, text, rule, needle) in cases {
        let run = |format: &str| shutdownlint(&cwd, &["--no-color", "--format", format, path]);
        let json_text = run("json");
        let json = json_places(&json_text);
        assert!(!json.is_empty(), "{path}");
        let strip_end = |places: &[Place]| -> Vec<(String, usize, usize)> {
            places
                .iter()
                .map(|(f, l, c, _, _)| (f.clone(), *l, *c))
                .collect()
        };
        assert_eq!(sarif_places(&run("sarif")), json, "sarif {path}");
        let github = github_places(&run("github"));
        assert_eq!(strip_end(&github), strip_end(&json), "github {path}");
        for (g, j) in github.iter().zip(&json) {
            // endColumn is given for one-line findings, endLine for the others.
            if g.4.is_some() {
                assert_eq!((g.3, g.4), (j.3, j.4), "github end {path}");
            } else {
                assert_eq!(g.3, j.3, "github endLine {path}");
            }
        }
        assert_eq!(
            strip_end(&human_places(&run("human"))),
            strip_end(&json),
            "human {path}"
        );
        // The finding after the non-ASCII text is where the text says.
        let value: serde_json::Value = serde_json::from_str(&json_text).expect("json");
        let finding = value["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .find(|d| d["rule"] == rule)
            .unwrap_or_else(|| panic!("{rule} in {path}"));
        let (line, column) = place_of(&text, needle);
        assert!(
            text.lines().nth(line - 1).is_some_and(|l| !l.is_ascii()),
            "non-ASCII text before the finding on its line"
        );
        assert_eq!(finding["start"]["line"], line, "{path}");
        assert_eq!(finding["start"]["column"], column, "{path}");
        let offset = finding["start"]["offset"].as_u64().expect("offset") as usize;
        assert!(text[offset..].starts_with(needle), "{path}: byte offset");
    }
}
