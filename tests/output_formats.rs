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
