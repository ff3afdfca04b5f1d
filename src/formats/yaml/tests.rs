use super::*;
use crate::span::Span;
use crate::test_rng::Rng;

fn parse(text: &str) -> Vec<Document> {
    match parse_stream(text, &Limits::default()) {
        Ok(d) => d,
        Err(e) => panic!("parse failed: {e}\n{text}"),
    }
}

fn one(text: &str) -> Node {
    let mut docs = parse(text);
    assert_eq!(docs.len(), 1, "{text}");
    docs.remove(0).root
}

fn slice(text: &str, span: Span) -> &str {
    span.slice(text)
}

/// The source text of the first occurrence of `needle` in a scalar's decoded value.
fn mapped<'t>(text: &'t str, node: &Node, needle: &str) -> &'t str {
    let m = node.mapped_text().expect("scalar");
    let at = m.text.find(needle).expect("needle in value");
    slice(text, m.source_span(Span::new(at, at + needle.len())))
}

#[test]
fn mapping_access_and_spans() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      terminationGracePeriodSeconds: 45\n";
    let root = one(text);
    assert_eq!(root.get("kind").and_then(Node::as_str), Some("Deployment"));
    let spec = root.get_path(&["spec", "template", "spec"]).unwrap();
    let tgp = spec.get("terminationGracePeriodSeconds").unwrap();
    assert_eq!(tgp.as_i64(), Some(45));
    assert_eq!(slice(text, tgp.span), "45");
    let ks = spec.key_span("terminationGracePeriodSeconds").unwrap();
    assert_eq!(slice(text, ks), "terminationGracePeriodSeconds");
    assert_eq!(root.entries().count(), 3);
    assert!(root.get("nope").is_none());
    assert!(root.get_path(&["spec", "x"]).is_none());
    assert!(slice(text, root.span).starts_with("apiVersion"));
    assert!(slice(text, spec.span).ends_with("45"));
}

#[test]
fn non_ascii_before_values_gives_byte_spans() {
    let text = "name: \"héllo wörld ✓\" # ✓ comment\nport: 8080\nlist: [ü, \"ß\"]\n";
    let root = one(text);
    assert_eq!(slice(text, root.get("port").unwrap().span), "8080");
    assert_eq!(slice(text, root.key_span("port").unwrap()), "port");
    let name = root.get("name").unwrap();
    assert_eq!(slice(text, name.span), "\"héllo wörld ✓\"");
    assert_eq!(name.as_str(), Some("héllo wörld ✓"));
    assert_eq!(mapped(text, name, "wörld"), "wörld");
    let list = root.get("list").unwrap();
    assert_eq!(slice(text, list.span), "[ü, \"ß\"]");
    let items: Vec<_> = list.items().map(|n| slice(text, n.span)).collect();
    assert_eq!(items, ["ü", "\"ß\""]);
    let docs = parse(text);
    assert_eq!(docs[0].comments.len(), 1);
    assert_eq!(slice(text, docs[0].comments[0].span), "# ✓ comment");
    assert!(docs[0].comments[0].trailing);
}

#[test]
fn crlf_and_bom() {
    let text = "\u{feff}# top\r\nkey: \"é\"\r\nscript: |\r\n  set -e\r\n  exec app\r\nfolded: >\r\n  a\r\n  b\r\nn: 1\r\n";
    let docs = parse(text);
    let root = &docs[0].root;
    assert_eq!(slice(text, root.get("n").unwrap().span), "1");
    let script = root.get("script").unwrap();
    assert_eq!(script.as_str(), Some("set -e\nexec app\n"));
    assert_eq!(mapped(text, script, "exec app"), "exec app");
    assert_eq!(slice(text, script.span), "|\r\n  set -e\r\n  exec app");
    assert_eq!(root.get("folded").unwrap().as_str(), Some("a b\n"));
    assert_eq!(docs[0].comments.len(), 1);
    assert_eq!(docs[0].comments[0].text, " top");
    assert!(!docs[0].comments[0].trailing);
}

#[test]
fn multi_document_stream_with_helm_source_comments() {
    let text = "# leading\n---\n# Source: chart/templates/svc.yaml\napiVersion: v1\nkind: Service # trailing\n---\n# Source: chart/templates/deploy.yaml\nkind: Deployment\n...\n# after end\n---\nkind: Job\n";
    let docs = parse(text);
    assert_eq!(docs.len(), 3);
    assert_eq!(docs[0].helm_source(), Some("chart/templates/svc.yaml"));
    assert_eq!(docs[1].helm_source(), Some("chart/templates/deploy.yaml"));
    assert_eq!(docs[2].helm_source(), None);
    let lead: Vec<_> = docs[0]
        .leading_comments()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(lead, [" leading", " Source: chart/templates/svc.yaml"]);
    assert!(docs[0]
        .comments
        .iter()
        .any(|c| c.trailing && c.text == " trailing"));
    // Comments between `...` and the next `---` belong to the earlier document.
    assert!(docs[1].comments.iter().any(|c| c.text == " after end"));
    assert!(docs.iter().all(|d| d.explicit_start));
    assert_eq!(docs[0].span.start, 0);
    assert_eq!(docs[0].span.end, docs[1].span.start);
    assert!(slice(text, docs[1].span).starts_with("---\n# Source"));
    assert!(slice(text, docs[2].span).starts_with("---\nkind: Job"));
    assert_eq!(docs[2].span.end, text.len());
    for d in &docs {
        assert!(d.root.is_mapping());
    }
}

#[test]
fn empty_streams_and_documents() {
    assert!(parse("").is_empty());
    assert!(parse("# only a comment\n").is_empty());
    let docs = parse("---\n---\na: 1\n");
    assert_eq!(docs.len(), 2);
    assert!(docs[0].root.is_null());
    let root = one("a:\nb: ~\nc: null\nd: ''\n");
    assert!(root.get("a").unwrap().is_null());
    assert!(root.get("b").unwrap().is_null());
    assert!(root.get("c").unwrap().is_null());
    assert!(!root.get("d").unwrap().is_null());
}

#[test]
fn comments_are_not_found_inside_scalars() {
    let text = "a: \"x # not\" # yes1\nb: 'y # not'\nc: |\n  # not a comment\n  z\n# yes2\nd: url#frag\ne: [1, 2] # yes3\nf: \"multi\n  # not\n  line\"\n";
    let docs = parse(text);
    let texts: Vec<_> = docs[0].comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, [" yes1", " yes2", " yes3"]);
    let root = &docs[0].root;
    assert_eq!(
        root.get("c").unwrap().as_str(),
        Some("# not a comment\nz\n")
    );
    assert_eq!(root.get("d").unwrap().as_str(), Some("url#frag"));
    assert_eq!(root.get("f").unwrap().as_str(), Some("multi # not line"));
}

#[test]
fn block_scalar_header_comment_and_less_indented_comment() {
    let text = "run: | # header comment\n  echo hi\n  exec srv\n# after\nx: 1\n";
    let docs = parse(text);
    let c: Vec<_> = docs[0]
        .comments
        .iter()
        .map(|c| (c.text.as_str(), c.trailing))
        .collect();
    assert_eq!(c, [(" header comment", true), (" after", false)]);
    let run = docs[0].root.get("run").unwrap();
    assert_eq!(run.as_str(), Some("echo hi\nexec srv\n"));
    assert_eq!(mapped(text, run, "exec srv"), "exec srv");
}

#[test]
fn scalar_styles_decode_and_map_back() {
    let text = concat!(
        "plain: one\n  two\n\n  three\n",
        "single: 'it''s  \n  folded'\n",
        "double: \"tab\\there \\u00e9\\x41 \\\"q\\\" joined\\\n    on\"\n",
        "lit: |-\n  line1\n\n   indented\n",
        "keep: |+\n  k\n\n",
        "fold: >\n  a\n  b\n\n  c\n    more\n  d\n",
        "ind: |2\n    two extra\n  base\n",
        "end: 1\n",
    );
    let root = one(text);
    let get = |k: &str| root.get(k).unwrap();
    assert_eq!(get("plain").as_str(), Some("one two\nthree"));
    assert_eq!(get("single").as_str(), Some("it's folded"));
    assert_eq!(get("double").as_str(), Some("tab\there éA \"q\" joinedon"));
    assert_eq!(get("lit").as_str(), Some("line1\n\n indented"));
    assert_eq!(get("keep").as_str(), Some("k\n\n"));
    assert_eq!(get("fold").as_str(), Some("a b\nc\n  more\nd\n"));
    assert_eq!(get("ind").as_str(), Some("  two extra\nbase\n"));
    let style = |k: &str| get(k).as_scalar().unwrap().style;
    assert_eq!(style("plain"), ScalarStyle::Plain);
    assert_eq!(style("single"), ScalarStyle::SingleQuoted);
    assert_eq!(style("double"), ScalarStyle::DoubleQuoted);
    assert_eq!(style("lit"), ScalarStyle::Literal);
    assert_eq!(style("fold"), ScalarStyle::Folded);
    // Mapping back to the source.
    assert_eq!(mapped(text, get("plain"), "three"), "three");
    assert_eq!(mapped(text, get("single"), "'"), "''");
    assert_eq!(mapped(text, get("double"), "\t"), "\\t");
    assert_eq!(mapped(text, get("double"), "é"), "\\u00e9");
    assert_eq!(mapped(text, get("double"), "on"), "on");
    assert_eq!(mapped(text, get("lit"), "indented"), "indented");
    assert_eq!(mapped(text, get("fold"), "more"), "more");
    assert_eq!(mapped(text, get("ind"), "base"), "base");
    // Raw text keeps quotes and headers.
    assert_eq!(
        get("single").as_scalar().unwrap().raw(text),
        "'it''s  \n  folded'"
    );
    assert!(get("lit")
        .as_scalar()
        .unwrap()
        .raw(text)
        .starts_with("|-\n  line1"));
    assert_eq!(slice(text, get("end").span), "1");
}

#[test]
fn block_scalar_at_end_of_input_without_line_break() {
    // libyaml / go-yaml (and so Kubernetes) keep no line break that is not there.
    let root = one("a: |\n  x\n  y");
    assert_eq!(root.get("a").unwrap().as_str(), Some("x\ny"));
    let root = one("a: >+\n  x");
    assert_eq!(root.get("a").unwrap().as_str(), Some("x"));
    let root = one("a: |\n  x\n");
    assert_eq!(root.get("a").unwrap().as_str(), Some("x\n"));
}

#[test]
fn shell_command_in_exec_array_maps_to_file_positions() {
    let text = "containers:\n- name: app\n  command: [\"sh\", \"-c\", \"./migrate && node \\\"app.js\\\"\"]\n  args:\n    - >-\n      ./migrate &&\n      exec node app.js\n";
    let root = one(text);
    let c = &root.get("containers").unwrap().as_sequence().unwrap()[0];
    let cmd = c.get("command").unwrap().as_sequence().unwrap();
    assert_eq!(cmd[2].as_str(), Some("./migrate && node \"app.js\""));
    assert_eq!(mapped(text, &cmd[2], "node"), "node");
    assert_eq!(mapped(text, &cmd[2], "\"app.js\""), "\\\"app.js\\\"");
    let args = c.get("args").unwrap().as_sequence().unwrap();
    assert_eq!(args[0].as_str(), Some("./migrate && exec node app.js"));
    assert_eq!(mapped(text, &args[0], "exec"), "exec");
    assert_eq!(mapped(text, &args[0], "&& exec"), "&&\n      exec");
}

#[test]
fn block_sequence_spans_start_at_dash() {
    let text = "seq:\n- - x\n  - y\n- z\n";
    let root = one(text);
    let seq = root.get("seq").unwrap();
    assert_eq!(slice(text, seq.span), "- - x\n  - y\n- z");
    let inner = &seq.as_sequence().unwrap()[0];
    assert_eq!(slice(text, inner.span), "- x\n  - y");
}

#[test]
fn anchors_aliases_and_report_span() {
    let text = "base: &probe\n  httpGet: {path: /healthz, port: 8080}\nlive: *probe\nready: *probe\nname: &n !!str app\nother: *n\n";
    let root = one(text);
    let base = root.get("base").unwrap();
    assert_eq!(base.anchor.as_deref(), Some("probe"));
    let live = root.get("live").unwrap();
    assert_eq!(
        live.get_path(&["httpGet", "path"]).unwrap().as_str(),
        Some("/healthz")
    );
    let alias = live.alias.as_ref().unwrap();
    assert_eq!(alias.name, "probe");
    assert_eq!(slice(text, alias.span), "*probe");
    assert_eq!(slice(text, live.report_span()), "*probe");
    // The copy's own span points at the anchored original.
    assert_eq!(live.span, base.span);
    assert_eq!(root.get("live"), root.get("live"));
    let name = root.get("name").unwrap();
    assert_eq!(name.tag.as_deref(), Some("!!str"));
    assert_eq!(name.anchor.as_deref(), Some("n"));
    assert_eq!(slice(text, name.span), "&n !!str app");
    assert_eq!(name.as_scalar().unwrap().raw(text), "app");
    assert_eq!(root.get("other").unwrap().as_str(), Some("app"));
}

#[test]
fn alias_bomb_is_an_error_quickly() {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        text.push_str(&format!("{}: &{} [{}]\n", w[1], w[1], refs));
    }
    let t = std::time::Instant::now();
    let r = parse_stream(&text, &Limits::default());
    let elapsed = t.elapsed();
    let e = r.unwrap_err();
    assert!(e.message.contains("alias"), "{e}");
    assert!(elapsed.as_millis() < 500, "took {elapsed:?}");
    assert!(slice(&text, e.span).is_empty());
}

/// An alias copies its anchor's text: a few aliases of a large scalar (or of an escaped one,
/// whose offset table is 16 bytes a byte) are bounded by bytes, not only by nodes; the budget
/// is for the whole stream, not each document.
#[test]
fn aliases_of_large_scalars_are_bounded_by_bytes() {
    let limits = Limits {
        max_alias_bytes: 10_000,
        ..Limits::default()
    };
    let big = "x".repeat(3_000);
    // The anchored copy and two aliases: 9,000 bytes; a third alias is over.
    let ok = format!("a: &a {big}\nb: [*a, *a]\n");
    assert!(parse_stream(&ok, &limits).is_ok());
    let over = format!("a: &a {big}\nb: [*a, *a, *a]\n");
    let e = parse_stream(&over, &limits).unwrap_err();
    assert!(
        e.message
            .contains("aliases expand to more than 10000 bytes (alias bomb? shutdownlint's limit)"),
        "{e}"
    );
    assert_eq!(e.span.start, over.rfind("*a").unwrap(), "{e}");
    // Escaped text counts its offset table: 500 `\t` are 500 bytes of text and 8,000 of table.
    let escaped = format!("a: &a \"{}\"\nb: [*a]\n", "\\t".repeat(500));
    let e = parse_stream(&escaped, &limits).unwrap_err();
    assert!(e.message.contains("10000 bytes"), "{e}");
    // Each document alone is under the budget, the stream is not.
    let docs = format!("a: &a {big}\nb: *a\n---\n").repeat(2);
    assert!(parse_stream(&docs, &limits).is_err());
    // The default is 16 MiB.
    let e = parse_stream(
        &format!(
            "a: &a {}\nb: [{}]\n",
            "x".repeat(1 << 20),
            vec!["*a"; 20].join(", ")
        ),
        &Limits::default(),
    )
    .unwrap_err();
    assert!(e.message.contains("more than 16 MiB (alias bomb?"), "{e}");
}

#[test]
fn self_referencing_alias_is_an_error() {
    let e = parse_stream("a: &x [1, *x]\n", &Limits::default()).unwrap_err();
    assert!(e.message.contains("contains it"), "{e}");
}

#[test]
fn merge_keys() {
    let text = concat!(
        "base: &base {a: 1, b: 2}\n",
        "other: &other {b: 20, c: 30}\n",
        "one:\n  <<: *base\n  b: 3\n",
        "before:\n  b: 4\n  <<: *base\n",
        "many:\n  <<: [*base, *other]\n  d: 5\n",
        "inline:\n  <<: {x: 1}\n",
        "bad:\n  <<: scalar\n",
        "quoted:\n  \"<<\": *base\n",
    );
    let root = one(text);
    let one_ = root.get("one").unwrap();
    assert_eq!(one_.get("a").unwrap().as_i64(), Some(1));
    assert_eq!(one_.get("b").unwrap().as_i64(), Some(3));
    assert!(one_.get("<<").is_none());
    assert!(one_.get_entry("a").unwrap().merged);
    assert!(!one_.get_entry("b").unwrap().merged);
    assert_eq!(root.get_path(&["before", "b"]).unwrap().as_i64(), Some(4));
    let many = root.get("many").unwrap();
    let keys: Vec<_> = many.entries().map(|e| e.key.as_str().unwrap()).collect();
    assert_eq!(keys, ["a", "b", "c", "d"]);
    assert_eq!(many.get("b").unwrap().as_i64(), Some(2));
    assert_eq!(many.get("c").unwrap().as_i64(), Some(30));
    // A merged key points into the anchored mapping.
    let a_span = many.key_span("a").unwrap();
    assert!(a_span.start < text.find("other").unwrap());
    assert_eq!(root.get_path(&["inline", "x"]).unwrap().as_i64(), Some(1));
    assert_eq!(
        root.get_path(&["bad", "<<"]).unwrap().as_str(),
        Some("scalar")
    );
    assert!(root.get_path(&["quoted", "<<"]).unwrap().is_mapping());
}

#[test]
fn duplicate_keys_are_reported_and_last_wins() {
    let text = "a: 1\nb: 2\na: 3\nm:\n  x: 1\n  \"x\": 2\n";
    let docs = parse(text);
    let d = &docs[0];
    assert_eq!(d.duplicates.len(), 2);
    assert_eq!(d.duplicates[0].key, "a");
    assert_eq!(d.duplicates[0].first, Span::new(0, 1));
    assert_eq!(slice(text, d.duplicates[0].duplicate), "a");
    assert_eq!(d.duplicates[0].duplicate.start, 10);
    assert_eq!(d.root.get("a").unwrap().as_i64(), Some(3));
    assert_eq!(slice(text, d.duplicates[1].duplicate), "\"x\"");
    // Large mappings use the hashed path.
    let big: String = (0..20).map(|i| format!("k{i}: {i}\n")).collect::<String>() + "k3: again\n";
    let docs = parse(&big);
    assert_eq!(docs[0].duplicates.len(), 1);
    assert_eq!(docs[0].root.get("k3").unwrap().as_str(), Some("again"));
}

#[test]
fn typing_follows_go_yaml_v2() {
    let text = concat!(
        "t1: true\nt2: yes\nt3: On\nt4: Y\nf1: off\nf2: NO\nq: \"yes\"\nx: maybe\n",
        "i1: 30\ni2: 0x1F\ni3: 0o17\ni4: 017\ni5: 1_000\ni6: -42\ni7: +7\ni8: \"30\"\ni9: 08\ni10: 0b101\n",
        "fl1: 1.5\nfl2: 3e1\nfl3: .inf\nfl4: 30.0\nfl5: 1e\n",
        "s1: !!str 30\ns2: !!int \"31\"\nbig: 99999999999999999999\n",
    );
    let root = one(text);
    let g = |k: &str| root.get(k).unwrap();
    assert_eq!(g("t1").as_bool(), Some(true));
    assert_eq!(g("t2").as_bool(), Some(true));
    assert_eq!(g("t3").as_bool(), Some(true));
    assert_eq!(g("t4").as_bool(), Some(true));
    assert_eq!(g("f1").as_bool(), Some(false));
    assert_eq!(g("f2").as_bool(), Some(false));
    assert_eq!(g("q").as_bool(), None);
    assert_eq!(g("x").as_bool(), None);
    assert_eq!(g("i1").as_i64(), Some(30));
    assert_eq!(g("i2").as_i64(), Some(31));
    assert_eq!(g("i3").as_i64(), Some(15));
    assert_eq!(g("i4").as_i64(), Some(15));
    assert_eq!(g("i5").as_i64(), Some(1000));
    assert_eq!(g("i6").as_i64(), Some(-42));
    assert_eq!(g("i7").as_i64(), Some(7));
    assert_eq!(g("i8").as_i64(), None);
    assert_eq!(g("i8").as_int_lenient(), Some(30));
    assert_eq!(g("i9").as_i64(), None); // not octal: go-yaml reads it as the float 8
    assert_eq!(g("i9").as_f64(), Some(8.0));
    assert_eq!(g("i9").as_int_lenient(), Some(8));
    assert_eq!(g("i10").as_i64(), Some(5));
    assert_eq!(g("fl1").as_f64(), Some(1.5));
    assert_eq!(g("fl1").as_int_lenient(), None);
    assert_eq!(g("fl2").as_int_lenient(), Some(30));
    assert_eq!(g("fl3").as_f64(), Some(f64::INFINITY));
    assert_eq!(g("fl4").as_int_lenient(), Some(30));
    assert_eq!(g("fl5").as_f64(), None);
    assert_eq!(g("i1").as_f64(), Some(30.0));
    assert_eq!(g("s1").as_i64(), None);
    assert_eq!(g("s1").as_str(), Some("30"));
    assert_eq!(g("s2").as_i64(), Some(31));
    assert_eq!(g("big").as_i64(), None);
    assert_eq!(g("t1").as_str(), Some("true"));
    assert!(g("t1").as_mapping().is_none());
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let text = "[".repeat(10_000);
    assert!(parse_stream(&text, &Limits::default()).is_err());
    let text = "{\"a\":".repeat(10_000);
    assert!(parse_stream(&text, &Limits::default()).is_err());
    // Block nesting deeper than the limit (the scanner's flow limit does not apply).
    let mut text = String::new();
    for i in 0..600 {
        text.push_str(&" ".repeat(i));
        text.push_str("k:\n");
    }
    let e = parse_stream(&text, &Limits::default()).unwrap_err();
    assert!(e.message.contains("nesting"), "{e}");
    // Within a raised limit the same text parses.
    let limits = Limits {
        max_depth: 1000,
        ..Limits::default()
    };
    assert!(parse_stream(&text, &limits).is_ok());
}

#[test]
fn node_limits() {
    let text = "[1, 2, 3, 4, 5]\n---\n[6, 7]\n";
    let limits = Limits {
        max_document_nodes: 4,
        ..Limits::default()
    };
    assert!(parse_stream(text, &limits).is_err());
    let limits = Limits {
        max_total_nodes: 8,
        ..Limits::default()
    };
    assert!(parse_stream(text, &limits).is_err());
    assert_eq!(parse(text).len(), 2);
    // The limit stops the reading at the first node over it (the sixth of `[1, 2, 3, 4, 5]`
    // counts the sequence), with a message that says it is shutdownlint's.
    let limits = Limits {
        max_document_nodes: 4,
        ..Limits::default()
    };
    let e = parse_stream(text, &limits).unwrap_err();
    assert_eq!(e.span.start, text.find('4').unwrap(), "{e}");
    assert!(e.message.contains("more than 4 nodes"), "{e}");
    assert!(e.message.contains(OWN_LIMIT), "{e}");
    let long = format!("[{}1]", "1,".repeat(100));
    let limits = Limits {
        max_total_nodes: 10,
        ..Limits::default()
    };
    let e = parse_stream(&long, &limits).unwrap_err();
    assert_eq!(e.span.start, 19, "{e}");
}

#[test]
fn syntax_error_position_is_a_byte_offset() {
    let text = "näme: ✓\nkey: [unclosed\nother: 1\n";
    let e = parse_stream(text, &Limits::default()).unwrap_err();
    assert!(e.span.start <= text.len());
    assert!(text.is_char_boundary(e.span.start));
    let text = "a: 'é\n";
    let e = parse_stream(text, &Limits::default()).unwrap_err();
    assert!(e.span.start <= text.len() && text.is_char_boundary(e.span.start));
    let text = "a: b: c\n";
    assert!(parse_stream(text, &Limits::default()).is_err());
}

#[test]
fn accepts_what_libyaml_accepts_despite_yaml_1_2_indentation() {
    // `kubectl get -o yaml` style: quoted continuation lines at the key's column.
    let text = "status:\n  conditions:\n    - type: Ready\n      message: 'didn''t match the\n      affinity constraint.'\n      reason: X\nm: \"a\n\n  b\"\n";
    let root = one(text);
    let c = &root
        .get_path(&["status", "conditions"])
        .unwrap()
        .as_sequence()
        .unwrap()[0];
    let msg = c.get("message").unwrap();
    assert_eq!(msg.as_str(), Some("didn't match the affinity constraint."));
    assert_eq!(mapped(text, msg, "affinity"), "affinity");
    assert_eq!(slice(text, c.get("reason").unwrap().span), "X");
    assert_eq!(root.get("m").unwrap().as_str(), Some("a\nb"));
    // A flow sequence closed at the key's column, with comments inside (compose healthchecks).
    let text = "svc:\n  test: [\n      \"CMD-SHELL\",\n      # why\n      \"wget -q x\"\n  ]\n  interval: 30s # é\n";
    let docs = parse(text);
    let test = docs[0].root.get_path(&["svc", "test"]).unwrap();
    assert_eq!(test.items().count(), 2);
    assert!(slice(text, test.span).starts_with('[') && slice(text, test.span).ends_with(']'));
    assert_eq!(
        slice(
            text,
            docs[0].root.get_path(&["svc", "interval"]).unwrap().span
        ),
        "30s"
    );
    let comments: Vec<_> = docs[0]
        .comments
        .iter()
        .map(|c| slice(text, c.span))
        .collect();
    assert_eq!(comments, ["# why", "# é"]);
    // A real error after such a quirk is reported where it is.
    let text = "a: 'x\ny'\nb: [1\n";
    let e = parse_stream(text, &Limits::default()).unwrap_err();
    assert!(e.span.start >= text.find("b:").unwrap(), "{e:?}");
}

/// Found by fuzzing (testdata/regressions/kubernetes-1.yaml): each indentation patch padded
/// every continuation line of a quoted scalar by the quote's column again, one line at a time,
/// and parsed the whole copy again, up to 64 times. A quote far right followed by many short
/// lines took minutes. Now a line moves only as far as the quote's column (patching twice
/// changes nothing), the copy may at most double, and the re-parsing is bounded.
#[test]
fn indentation_patches_are_bounded() {
    let text = format!(
        "a:\n  b: {}\"x\n{}y\"\n",
        " ".repeat(2000),
        "z\n".repeat(50_000)
    );
    let e = parse_stream(&text, &Limits::default()).unwrap_err();
    assert!(e.message.contains("indentation"), "{e:?}");
    assert_eq!(e.span.start, text.find('"').unwrap());
    // Within the bound, the same shape parses as libyaml reads it.
    let text = format!("a:\n  b: {}\"x\n{}y\"\n", " ".repeat(20), "  z\n".repeat(3));
    let root = one(&text);
    assert_eq!(
        root.get_path(&["a", "b"]).unwrap().as_str(),
        Some("x z z z y")
    );
    // Sixty repairs near the top of a 600 kB document (kubectl's folded annotations): each
    // parse again stops at the next one, so the bound on the work does not stop them.
    let mut text = String::from("metadata:\n  annotations:\n");
    for i in 0..60 {
        text.push_str(&format!("    a{i}: \"folded\n    value\"\n"));
    }
    text.push_str("    pad: |\n");
    text.push_str(&format!("      {}\n", "x".repeat(100)).repeat(6_000));
    let root = one(&text);
    let annotations = root.get_path(&["metadata", "annotations"]).unwrap();
    assert_eq!(
        annotations.get("a59").unwrap().as_str(),
        Some("folded value")
    );
}

/// The repairs' work is bounded per file, not per region: a file of many documents that each
/// need their repairs once cost the bound once per document.
#[test]
fn indentation_repair_budget_is_per_file() {
    let mut doc = String::from("metadata:\n  annotations:\n");
    doc.push_str(&format!("    pad: [{}1]\n", "1,".repeat(5_000)));
    for i in 0..10 {
        doc.push_str(&format!("    a{i}: \"folded\n  value\"\n"));
    }
    let text = format!("{doc}---\n{doc}");
    let second = text.find("---").unwrap();
    let regions = [Span::new(0, second), Span::new(second, text.len())];
    // Each region's repairs parse the padding (10 kB) ten times: about 100 kB.
    let limits = Limits::default();
    for region in regions {
        let mut own = FileBudget::with_repair_work(150_000);
        assert!(parse_range_in(&text, region, &limits, &mut own).is_ok());
    }
    let mut shared = FileBudget::with_repair_work(150_000);
    assert!(parse_range_in(&text, regions[0], &limits, &mut shared).is_ok());
    let e = parse_range_in(&text, regions[1], &limits, &mut shared).unwrap_err();
    assert!(e.message.contains("indentation"), "{e}");
    assert!(e.span.start > second, "{e}");
}

#[test]
fn sniff_kinds_finds_top_level_kinds() {
    let text = concat!(
        "# comment\n",
        "---\n",
        "apiVersion: apps/v1 # trailing\n",
        "kind: \"Deployment\"\n",
        "spec:\n",
        "  template:\n",
        "    kind: NotTopLevel\n",
        "---\n",
        "'kind': 'Service'\n",
        "apiVersion: v1\n",
        "...\n",
        "# between\n",
        "---\n",
        "kind: List\n",
        "items:\n",
        "- kind: Pod\n",
        "---\n",
        "{\"kind\": \"ConfigMap\"}\n",
        "---\n",
        "kind: {{ .Values.kind }}\n",
        "kindness: 1\n",
    );
    let s = sniff_kinds(text);
    assert_eq!(s.len(), 5);
    assert_eq!(s[0].api_version.as_deref(), Some("apps/v1"));
    assert_eq!(s[0].kind.as_deref(), Some("Deployment"));
    assert_eq!(s[1].kind.as_deref(), Some("Service"));
    assert_eq!(s[1].api_version.as_deref(), Some("v1"));
    assert_eq!(s[2].kind.as_deref(), Some("List"));
    assert_eq!(s[3].kind, None);
    assert!(s[3].flow && !s[0].flow && !s[2].flow);
    assert!(sniff_kinds("--- [1]\n").iter().all(|s| s.flow));
    assert!(s[4].has_template_syntax);
    assert!(!s[0].has_template_syntax);
    assert_eq!(s[0].span.start, 0);
    assert!(slice(text, s[1].span).ends_with("# between\n"));
    assert_eq!(s[4].span.end, text.len());
    for w in s.windows(2) {
        assert_eq!(w[0].span.end, w[1].span.start);
    }
}

#[test]
fn sniff_regions_match_parsed_documents() {
    let cases = [
        "a: 1\n",
        "a: 1\n---\nb: 2\n",
        "---\na: 1\n---\n",
        "# c\n---\na: 1\n...\n# d\n---\nb: 2\n...\n",
        "---\n---\n",
        "a: 1\n...\nb: 2\n",
        "# only\n",
        "",
        "--- |\n  text\n---\nkind: X\n",
    ];
    for text in cases {
        let docs = parse(text);
        let sniffed = sniff_kinds(text);
        assert_eq!(docs.len(), sniffed.len(), "{text:?}");
        for (d, s) in docs.iter().zip(&sniffed) {
            // Parsing the sniffed region alone gives the same tree with the same spans.
            let sub = parse_range(text, s.span, &Limits::default()).unwrap();
            assert_eq!(sub.len(), 1, "{text:?} {:?}", s.span);
            assert_eq!(sub[0].root, d.root, "{text:?}");
        }
    }
}

#[test]
fn parse_range_spans_are_absolute() {
    let text = "kind: A\n---\nkind: Deployment\nspec:\n  replicas: 3 # c\n";
    let s = sniff_kinds(text);
    let docs = parse_range(text, s[1].span, &Limits::default()).unwrap();
    let r = docs[0].root.get_path(&["spec", "replicas"]).unwrap();
    assert_eq!(slice(text, r.span), "3");
    assert_eq!(slice(text, docs[0].comments[0].span), "# c");
    // A range that splits a character is an error, not a panic.
    let text = "é: 1\n";
    assert!(parse_range(text, Span::new(1, 5), &Limits::default()).is_err());
}

#[test]
fn never_panics_on_mutated_input() {
    let seed = "apiVersion: v1\nkind: Pod # c\nmetadata: &m\n  name: \"a\\tb\"\n  labels: {app: x, 'k': v}\nspec:\n  <<: *m\n  containers:\n  - name: é\n    command: [sh, -c, 'exec x']\n    args: |\n      a\n       b\n    env: >-\n      f\n\n      g\n---\n- ? k\n  : v\n- !!str x\n...\n";
    let pieces = [
        "\"",
        "'",
        "[",
        "]",
        "{",
        "}",
        ":",
        "-",
        "?",
        "#",
        "&a",
        "*a",
        "!",
        "|",
        ">",
        "\n",
        "\r\n",
        "  ",
        "\t",
        "---\n",
        "...",
        "\\",
        "é",
        "✓",
        ",",
        "<<: ",
        "%YAML 1.2\n",
        "\u{feff}",
        "|+9",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let mut s: Vec<char> = seed.chars().collect();
        for _ in 0..1 + rng.below(6) {
            let at = rng.below(s.len() + 1);
            match rng.below(3) {
                0 => {
                    let p = pieces[rng.below(pieces.len())];
                    for (k, c) in p.chars().enumerate() {
                        s.insert(at + k, c);
                    }
                }
                1 if at < s.len() => {
                    s.remove(at);
                }
                _ => {
                    let end = (at + rng.below(20)).min(s.len());
                    s.drain(at..end);
                }
            }
        }
        let text: String = s.into_iter().collect();
        match parse_stream(&text, &Limits::default()) {
            Ok(docs) => {
                for d in &docs {
                    check_spans(&text, &d.root);
                    for c in &d.comments {
                        assert!(text.get(c.span.start..c.span.end).is_some());
                    }
                }
            }
            Err(e) => assert!(e.span.end <= text.len(), "{e:?}"),
        }
        let _ = sniff_kinds(&text);
    }
}

fn check_spans(text: &str, n: &Node) {
    assert!(
        text.get(n.span.start..n.span.end).is_some(),
        "bad span {:?} in {text:?}",
        n.span
    );
    match &n.kind {
        NodeKind::Scalar(s) => {
            assert!(text.get(s.raw_span.start..s.raw_span.end).is_some());
            let full = s.text.full_source_span();
            assert!(full.end <= text.len(), "{full:?}");
        }
        NodeKind::Sequence(items) => items.iter().for_each(|i| check_spans(text, i)),
        NodeKind::Mapping(entries) => entries.iter().for_each(|e| {
            check_spans(text, &e.key);
            check_spans(text, &e.value);
        }),
    }
}

/// Fuzzing found this: a block scalar with no content whose header line (a comment) runs to
/// the end of the input, which ends with a multi-byte character, ended inside that character.
#[test]
fn an_empty_block_scalar_at_the_end_of_the_input_ends_on_a_character_boundary() {
    for text in [
        "> # comment ending in \u{fffd}",
        "|- # é",
        "key: > # ü",
        "> # x\r\n",
        "> # x",
    ] {
        let documents = parse_stream(text, &Limits::default()).expect("valid YAML");
        for document in &documents {
            let mut stack = vec![&document.root];
            while let Some(node) = stack.pop() {
                assert!(
                    text.is_char_boundary(node.span.start) && text.is_char_boundary(node.span.end),
                    "{text:?}: {:?}",
                    node.span
                );
                match &node.kind {
                    NodeKind::Mapping(entries) => {
                        stack.extend(entries.iter().flat_map(|e| [&e.key, &e.value]))
                    }
                    NodeKind::Sequence(items) => stack.extend(items.iter()),
                    NodeKind::Scalar(_) => {}
                }
            }
        }
    }
}
