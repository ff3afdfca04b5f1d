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
