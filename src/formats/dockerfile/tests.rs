use super::*;

fn ok(src: &str) -> Dockerfile {
    match parse(src) {
        Ok(df) => df,
        Err(e) => panic!("unexpected error {e} in:\n{src}"),
    }
}

fn err(src: &str) -> ParseError {
    match parse(src) {
        Ok(df) => panic!("expected an error, got {df:#?}"),
        Err(e) => e,
    }
}

fn at(src: &str, span: Span) -> &str {
    span.slice(src)
}

fn exec_args(ins: &Instruction) -> Vec<String> {
    match ins.command_form() {
        CommandForm::Exec { args, .. } => args.into_iter().map(|a| a.text.text).collect(),
        CommandForm::Shell(s) => panic!("expected exec form, got shell {:?}", s.text),
    }
}

fn shell_text(ins: &Instruction) -> String {
    match ins.command_form() {
        CommandForm::Shell(s) => s.text,
        CommandForm::Exec { .. } => panic!("expected shell form"),
    }
}

fn no_env(_: &str) -> Option<String> {
    None
}

// ----- lines, keywords, comments, continuations -------------------------------------------------

#[test]
fn basic_instructions_and_spans() {
    let src = "FROM alpine:3.20\n  run echo hi\nCMD [\"app\"]\n";
    let df = ok(src);
    assert_eq!(df.instructions.len(), 3);
    let run = &df.instructions[1];
    assert_eq!(run.keyword, "RUN");
    assert_eq!(at(src, run.keyword_span), "run");
    assert_eq!(at(src, run.span), "run echo hi");
    assert_eq!(run.args.text, "echo hi");
    assert_eq!(at(src, run.args.full_source_span()), "echo hi");
    assert_eq!(df.escape, '\\');
}

#[test]
fn continuation_joins_without_separator_and_skips_comments_and_blank_lines() {
    let src = "FROM a\nRUN apt-get update && \\\n# a comment\n\n    apt-get install -y curl \\\n  && true\nUSER me\n";
    let df = ok(src);
    let run = &df.instructions[1];
    assert_eq!(
        run.args.text,
        "apt-get update &&     apt-get install -y curl   && true"
    );
    assert_eq!(at(src, run.span), &src[7..src.find("\nUSER").unwrap()]);
    // every derived byte maps back to the same byte in the source
    let i = run.args.text.find("curl").unwrap();
    assert_eq!(at(src, run.args.source_span(Span::new(i, i + 4))), "curl");
    assert_eq!(df.comments.len(), 1);
    assert_eq!(at(src, df.comments[0]), "# a comment");
    assert_eq!(df.instructions[2].keyword, "USER");
}

#[test]
fn continuation_edge_cases() {
    // trailing blanks after the escape still continue; a doubled escape does not
    let src = "FROM a\nRUN echo one \\  \t\n two\nRUN echo c:\\\\\nRUN x\n";
    let df = ok(src);
    assert_eq!(df.instructions[1].args.text, "echo one  two");
    assert_eq!(df.instructions[2].args.text, "echo c:\\\\");
    assert_eq!(df.instructions[3].args.text, "x");
    // continuation at end of file
    let df = ok("FROM a\nRUN echo \\");
    assert_eq!(df.instructions[1].args.text, "echo");
    // a lone escape line inside a continuation contributes nothing
    let df = ok("FROM a\nRUN a \\\n\\\n b\n");
    assert_eq!(df.instructions[1].args.text, "a  b");
}

#[test]
fn hash_not_at_line_start_is_not_a_comment() {
    let src = "FROM a\nRUN echo a # not a comment\n  # indented comment\nENV X=1#2\n";
    let df = ok(src);
    assert_eq!(df.instructions[1].args.text, "echo a # not a comment");
    assert_eq!(df.comments.len(), 1);
    assert_eq!(at(src, df.comments[0]), "# indented comment");
    let kv = df.instructions[2].key_values();
    assert_eq!(kv[0].value.as_ref().unwrap().value, "1#2");
}

#[test]
fn crlf_and_bom() {
    let src = "\u{feff}FROM alpine AS base\r\nRUN echo a \\\r\n  b\r\nCMD [\"x\"]\r\n";
    let df = ok(src);
    assert_eq!(df.instructions.len(), 3);
    assert_eq!(df.instructions[0].keyword_span, Span::new(3, 7));
    assert_eq!(df.instructions[1].args.text, "echo a   b");
    assert_eq!(at(src, df.instructions[1].span), "RUN echo a \\\r\n  b");
    assert_eq!(exec_args(&df.instructions[2]), vec!["x"]);
    assert_eq!(df.stages()[0].name.as_ref().unwrap().0, "base");
}

#[test]
fn keywords_are_case_insensitive_and_unknown_ones_fail() {
    let df = ok("from a\nWorkDir /app\nexPOSE 80\n");
    assert_eq!(df.instructions[1].keyword, "WORKDIR");
    assert_eq!(df.instructions[2].keyword, "EXPOSE");
    let src = "FROM a\nRUNN echo\n";
    let e = err(src);
    assert_eq!(e.message, "unknown instruction: RUNN");
    assert_eq!(at(src, e.span), "RUNN");
    // a keyword glued to JSON is not a keyword
    assert!(err("FROM a\nCMD[\"x\"]\n")
        .message
        .starts_with("unknown instruction"));
}

#[test]
fn empty_and_comment_only_files_fail() {
    assert_eq!(err("").message, "file with no instructions");
    assert_eq!(
        err("# just a comment\n\n").message,
        "file with no instructions"
    );
    assert_eq!(
        err("ARG X=1\n").message,
        "dockerfile contains no stages to build"
    );
    assert_eq!(
        err("RUN x\nFROM a\n").message,
        "no build stage in current context"
    );
    // the tolerant entry point accepts fragments
    assert_eq!(parse_syntax("RUN x\n").unwrap().instructions.len(), 1);
}

#[test]
fn over_long_lines_fail() {
    let long = format!("FROM a\nRUN echo {}\n", "x".repeat(70_000));
    assert!(err(&long).message.contains("max allowed size"));
}

// ----- parser directives ---------------------------------------------------------------------

#[test]
fn directives_at_top() {
    let src = "# syntax=docker/dockerfile:1.7\n#   CHECK = skip=all \n# escape=`\nFROM a\nRUN echo a `\n  b\n";
    let df = ok(src);
    assert_eq!(df.directives.len(), 3);
    assert_eq!(df.directives[0].name, "syntax");
    assert_eq!(df.directives[0].value, "docker/dockerfile:1.7");
    assert_eq!(df.directives[1].name, "check");
    assert_eq!(df.directives[1].value, "skip=all");
    assert_eq!(at(src, df.directives[1].value_span), "skip=all");
    assert_eq!(df.escape, '`');
    assert_eq!(df.instructions[1].args.text, "echo a   b");
    assert!(df.comments.is_empty());
}

#[test]
fn directives_stop_at_first_other_line() {
    // a blank line ends the directives: the later escape line is a plain comment
    let df = ok("# syntax=x\n\n# escape=`\nFROM a\nRUN a \\\n b\n");
    assert_eq!(df.directives.len(), 1);
    assert_eq!(df.escape, '\\');
    assert_eq!(df.comments.len(), 1);
    assert_eq!(df.instructions[1].args.text, "a  b");
    // unknown keys end them too
    let df = ok("# foo=bar\n# escape=`\nFROM a\n");
    assert!(df.directives.is_empty());
    assert_eq!(df.comments.len(), 2);
    // after an instruction nothing is a directive
    let df = ok("FROM a\n# escape=`\n");
    assert!(df.directives.is_empty());
}

#[test]
fn directive_errors() {
    let e = err("# escape=x\nFROM a\n");
    assert!(e.message.contains("invalid escape token"));
    let e = err("# syntax=a\n# Syntax=b\nFROM a\n");
    assert_eq!(e.message, "only one syntax parser directive can be used");
}

#[test]
fn windows_backtick_escape() {
    let src = "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nSHELL [\"powershell\", \"-Command\"]\nRUN New-Item -Path C:\\app `\n    -ItemType Directory\nWORKDIR C:\\app\nENV P=C:\\tools\\bin\n";
    let df = ok(src);
    assert_eq!(
        df.instructions[2].args.text,
        "New-Item -Path C:\\app     -ItemType Directory"
    );
    let wd = df.instructions[3].words();
    assert_eq!(wd[0].value, "C:\\app");
    let kv = df.instructions[4].key_values();
    assert_eq!(kv[0].value.as_ref().unwrap().value, "C:\\tools\\bin");
}

// ----- flags ---------------------------------------------------------------------------------

#[test]
fn run_and_copy_flags() {
    let src = "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nRUN --mount=type=cache,target=/root/.cache --network=none go build ./...\nFROM scratch\nCOPY --from=build --chown=app:app --chmod=755 --link /out/app /app\n";
    let df = ok(src);
    let from = &df.instructions[0];
    assert_eq!(from.flags.len(), 1);
    assert_eq!(from.flags[0].name, "platform");
    assert_eq!(from.flags[0].value.as_deref(), Some("$BUILDPLATFORM"));
    assert_eq!(at(src, from.flags[0].span), "--platform=$BUILDPLATFORM");
    let run = &df.instructions[1];
    assert_eq!(run.flags.len(), 2);
    assert_eq!(
        run.flags[0].value.as_deref(),
        Some("type=cache,target=/root/.cache")
    );
    assert_eq!(run.flag("network").unwrap().value.as_deref(), Some("none"));
    assert_eq!(run.args.text, "go build ./...");
    let copy = &df.instructions[3];
    let names: Vec<&str> = copy.flags.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["from", "chown", "chmod", "link"]);
    assert_eq!(copy.flag("link").unwrap().value, None);
    assert_eq!(copy.args.text, "/out/app /app");
    let words = copy.words();
    assert_eq!(words.len(), 2);
    assert_eq!(at(src, words[1].span), "/app");
}

#[test]
fn flags_with_quotes_double_dash_and_continuations() {
    let src =
        "FROM a\nRUN --mount=type=secret,id=\"my key\" \\\n    --network=host -- --not-a-flag\n";
    let df = ok(src);
    let run = &df.instructions[1];
    assert_eq!(run.flags[0].value.as_deref(), Some("type=secret,id=my key"));
    assert_eq!(at(src, run.flags[1].span), "--network=host");
    assert_eq!(run.args.text, "--not-a-flag");
}

#[test]
fn flag_errors() {
    assert_eq!(
        err("FROM a\nCOPY --frm=b x y\n").message,
        "unknown flag: --frm"
    );
    assert_eq!(err("FROM a\nCMD --help\n").message, "unknown flag: --help");
    assert_eq!(
        err("FROM a\nCOPY --from x y\n").message,
        "missing a value on flag: --from"
    );
    assert_eq!(
        err("FROM a\nCOPY --link=maybe x y\n").message,
        "expecting boolean value for flag --link, not: maybe"
    );
    assert_eq!(
        err("FROM a\nCOPY --from=a --from=b x y\n").message,
        "duplicate flag specified: --from"
    );
    // repeatable flags
    ok("FROM a\nRUN --mount=type=cache,target=/a --mount=type=cache,target=/b make\n");
    // flags are not checked on STOPSIGNAL/ARG (Docker ignores them)
    ok("FROM a\nSTOPSIGNAL --x SIGTERM\n");
}

// ----- JSON / exec form ------------------------------------------------------------------------

#[test]
fn exec_and_shell_form() {
    let src = "FROM a\nCMD [\"node\", \"app.js\"]\nENTRYPOINT ['node','app.js']\nCMD []\nRUN [ \"sh\" , \"-c\" , \"x\" ]  \nCMD [\"a\"] extra\n";
    let df = ok(src);
    assert_eq!(exec_args(&df.instructions[1]), vec!["node", "app.js"]);
    match df.instructions[1].command_form() {
        CommandForm::Exec { args, span } => {
            assert_eq!(at(src, span), "[\"node\", \"app.js\"]");
            assert_eq!(at(src, args[1].span), "\"app.js\"");
            assert_eq!(at(src, args[1].text.full_source_span()), "app.js");
        }
        CommandForm::Shell(_) => unreachable!(),
    }
    assert_eq!(shell_text(&df.instructions[2]), "['node','app.js']");
    assert!(exec_args(&df.instructions[3]).is_empty());
    assert_eq!(exec_args(&df.instructions[4]), vec!["sh", "-c", "x"]);
    assert_eq!(shell_text(&df.instructions[5]), "[\"a\"] extra");
}

#[test]
fn json_escapes_are_decoded_and_mapped() {
    let src = "FROM a\nCMD [\"a\\\"b\", \"c\\\\d\", \"\\/x\\n\", \"\\u00e9\\ud83d\\ude00\", \"\\ud800\"]\n";
    let df = ok(src);
    let cmd = &df.instructions[1];
    assert_eq!(
        exec_args(cmd),
        vec!["a\"b", "c\\d", "/x\n", "é😀", "\u{fffd}"]
    );
    let CommandForm::Exec { args, .. } = cmd.command_form() else {
        unreachable!()
    };
    // the decoded quote maps to its two-byte escape
    assert_eq!(at(src, args[0].text.source_span(Span::new(1, 2))), "\\\"");
    // the surrogate pair maps to its twelve bytes
    let emoji = args[3].text.text.find('😀').unwrap();
    assert_eq!(
        at(src, args[3].text.source_span(Span::new(emoji, emoji + 4))),
        "\\ud83d\\ude00"
    );
}

#[test]
fn json_across_continuation_lines() {
    let src = "FROM a\nCMD [\"python\", \\\n     \"-m\", \\\n     \"http.server\"]\n";
    let df = ok(src);
    let CommandForm::Exec { args, .. } = df.instructions[1].command_form() else {
        panic!()
    };
    assert_eq!(args.len(), 3);
    assert_eq!(at(src, args[2].span), "\"http.server\"");
    assert_eq!(at(src, args[2].text.full_source_span()), "http.server");
}

#[test]
fn json_with_non_strings_is_an_error() {
    let src = "FROM a\nCMD [\"sleep\", 10]\n";
    let e = err(src);
    assert!(e
        .message
        .contains("arrays must be comprised of strings only"));
    assert_eq!(at(src, e.span), "[\"sleep\", 10]");
    assert!(err("FROM a\nRUN [[\"x\"]]\n")
        .message
        .contains("strings only"));
    assert!(err("FROM a\nVOLUME [null]\n")
        .message
        .contains("strings only"));
    // not valid JSON at all: shell form, fine
    ok("FROM a\nCMD [\"sleep\", 10\n");
    ok("FROM a\nCMD [\"a\",]\n");
    // JSON only matters for exec-capable instructions
    ok("FROM a\nLABEL x=[1]\n");
}

#[test]
fn copy_add_volume_json_form() {
    let src = "FROM a\nCOPY [\"my file.txt\", \"/dst dir/\"]\nVOLUME [\"/data\", \"/logs\"]\nVOLUME /a /b\nADD --chmod=644 [\"x\", \"/y\"]\n";
    let df = ok(src);
    let w = df.instructions[1].words();
    assert_eq!(
        w.iter().map(|w| w.value.as_str()).collect::<Vec<_>>(),
        ["my file.txt", "/dst dir/"]
    );
    assert_eq!(at(src, w[0].span), "\"my file.txt\"");
    assert_eq!(exec_args(&df.instructions[2]), vec!["/data", "/logs"]);
    assert_eq!(df.instructions[3].words().len(), 2);
    assert_eq!(exec_args(&df.instructions[4]), vec!["x", "/y"]);
    assert_eq!(
        err("FROM a\nVOLUME [\"\"]\n").message,
        "VOLUME specified can not be an empty string"
    );
    assert_eq!(
        err("FROM a\nVOLUME []\n").message,
        "VOLUME requires at least one argument"
    );
}

#[test]
fn shell_instruction_requires_json() {
    ok("FROM a\nSHELL [\"/bin/bash\", \"-eo\", \"pipefail\", \"-c\"]\n");
    assert_eq!(
        err("FROM a\nSHELL /bin/bash -c\n").message,
        "SHELL requires the arguments to be in JSON form"
    );
    assert_eq!(
        err("FROM a\nSHELL []\n").message,
        "SHELL requires at least one argument"
    );
}

// ----- heredocs ------------------------------------------------------------------------------

#[test]
fn heredoc_basic() {
    let src = "FROM a\nRUN <<EOT\nset -e\necho $HOME\nEOT\nCMD x\n";
    let df = ok(src);
    let run = &df.instructions[1];
    assert_eq!(run.heredocs.len(), 1);
    let h = &run.heredocs[0];
    assert_eq!(h.delimiter, "EOT");
    assert!(h.expand && !h.strip_tabs && h.fd.is_none());
    assert_eq!(h.body.text, "set -e\necho $HOME\n");
    assert_eq!(at(src, h.marker), "<<EOT");
    assert_eq!(at(src, h.span), "set -e\necho $HOME\nEOT");
    assert_eq!(at(src, run.span), "RUN <<EOT\nset -e\necho $HOME\nEOT");
    let i = h.body.text.find("$HOME").unwrap();
    assert_eq!(at(src, h.body.source_span(Span::new(i, i + 5))), "$HOME");
    assert_eq!(df.instructions[2].keyword, "CMD");
}

#[test]
fn heredoc_strip_tabs_quotes_and_fd() {
    let src = "FROM a\nRUN <<-'END' 3<<\"two\"\n\tliteral $X\n\tEND\nsecond\ntwo\n";
    let df = ok(src);
    let hs = &df.instructions[1].heredocs;
    assert_eq!(hs.len(), 2);
    assert_eq!(hs[0].delimiter, "END");
    assert!(hs[0].strip_tabs && !hs[0].expand);
    assert_eq!(hs[0].body.text, "literal $X\n");
    assert_eq!(at(src, hs[0].body.source_span(Span::new(0, 7))), "literal");
    assert_eq!(hs[1].delimiter, "two");
    assert_eq!(hs[1].fd, Some(3));
    assert!(!hs[1].expand);
    assert_eq!(hs[1].body.text, "second\n");
    // partly quoted delimiter: no expansion
    let df = ok("FROM a\nRUN <<E'O'F\n$X\nEOF\n");
    let h = &df.instructions[1].heredocs[0];
    assert_eq!(h.delimiter, "EOF");
    assert!(!h.expand);
    // without `-` tabs stay and an indented terminator does not end the body
    let df = ok("FROM a\nRUN <<EOF\n\tx\n\tEOF\nEOF\n");
    assert_eq!(df.instructions[1].heredocs[0].body.text, "\tx\n\tEOF\n");
}

#[test]
fn heredoc_several_on_copy() {
    let src = "FROM a\nCOPY <<one <<two /etc/\nfirst\none\nsecond\ntwo\nRUN ls\n";
    let df = ok(src);
    let copy = &df.instructions[1];
    assert_eq!(copy.heredocs.len(), 2);
    assert_eq!(copy.heredocs[0].body.text, "first\n");
    assert_eq!(copy.heredocs[1].body.text, "second\n");
    assert_eq!(copy.args.text, "<<one <<two /etc/");
    assert_eq!(df.instructions[2].keyword, "RUN");
}

#[test]
fn heredoc_word_rules_match_buildkit() {
    // a redirect after the marker: still a heredoc
    let df = ok("FROM a\nRUN cat <<EOF > /etc/motd\nhi\nEOF\n");
    assert_eq!(df.instructions[1].heredocs[0].body.text, "hi\n");
    // space between << and the word is allowed
    let df = ok("FROM a\nRUN python3 <<  PY\nprint(1)\nPY\n");
    assert_eq!(df.instructions[1].heredocs[0].delimiter, "PY");
    // glued to a command, quoted, here-strings, JSON form and other instructions: not heredocs
    for src in [
        "FROM a\nRUN cat<<EOF\nRUN x\n",
        "FROM a\nRUN echo \"<<EOF\"\n",
        "FROM a\nRUN cat <<<EOF\n",
        "FROM a\nRUN [\"cat\", \"<<EOF\"]\n",
        "FROM a\nENV A=<<EOF\n",
        "FROM a\nRUN echo 'unterminated <<EOF\n",
        "FROM a\nRUN echo $((1<<2))\n",
    ] {
        let df = ok(src);
        assert!(
            df.instructions.iter().all(|i| i.heredocs.is_empty()),
            "{src}"
        );
    }
}

#[test]
fn heredoc_body_looks_like_instructions() {
    let src = "FROM a\nRUN <<EOF\nFROM evil\n# not a comment\n\nEOF\n";
    let df = ok(src);
    assert_eq!(df.instructions.len(), 2);
    assert!(df.comments.is_empty());
    assert_eq!(
        df.instructions[1].heredocs[0].body.text,
        "FROM evil\n# not a comment\n\n"
    );
}

#[test]
fn heredoc_crlf_and_unterminated() {
    let src = "FROM a\r\nRUN <<EOF\r\necho hi\r\nEOF\r\n";
    let df = ok(src);
    let h = &df.instructions[1].heredocs[0];
    assert_eq!(h.body.text, "echo hi\r\n");
    assert_eq!(
        at(src, df.instructions[1].span),
        "RUN <<EOF\r\necho hi\r\nEOF"
    );
    let src = "FROM a\nRUN <<EOF\necho hi\n";
    let e = err(src);
    assert_eq!(e.message, "unterminated heredoc");
    assert_eq!(at(src, e.span), "RUN <<EOF\necho hi\n");
}

#[test]
fn heredoc_errors_on_copy_destination() {
    assert_eq!(
        err("FROM a\nCOPY x <<EOF\nhi\nEOF\n").message,
        "COPY cannot accept a heredoc as a destination"
    );
}

#[test]
fn heredoc_under_onbuild() {
    let src = "FROM a\nONBUILD RUN <<EOF\necho triggered\nEOF\n";
    let df = ok(src);
    let ob = &df.instructions[1];
    assert!(ob.heredocs.is_empty());
    let inner = ob.onbuild.as_ref().unwrap();
    assert_eq!(inner.heredocs[0].body.text, "echo triggered\n");
    assert_eq!(ob.span, inner.span.join(ob.span));
    assert_eq!(at(src, inner.span), "RUN <<EOF\necho triggered\nEOF");
}

// ----- ENV / ARG / LABEL -----------------------------------------------------------------------

#[test]
fn env_pairs_quotes_and_escapes() {
    let src =
        "FROM a\nENV A=1 B=\"two words\" C='$lit' D=a\\ b E=\nENV PATH /usr/local/bin:$PATH\n";
    let df = ok(src);
    let kv = df.instructions[1].key_values();
    let got: Vec<(&str, &str)> = kv
        .iter()
        .map(|k| (k.key.as_str(), k.value.as_ref().unwrap().value.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("A", "1"),
            ("B", "two words"),
            ("C", "$lit"),
            ("D", "a b"),
            ("E", "")
        ]
    );
    assert_eq!(at(src, kv[1].key_span), "B");
    assert_eq!(at(src, kv[1].value.as_ref().unwrap().span), "\"two words\"");
    assert_eq!(at(src, kv[1].span), "B=\"two words\"");
    assert!(kv[4].value.as_ref().unwrap().span.is_empty());
    let legacy = df.instructions[2].key_values();
    assert_eq!(legacy.len(), 1);
    assert_eq!(legacy[0].key, "PATH");
    assert_eq!(
        legacy[0].value.as_ref().unwrap().value,
        "/usr/local/bin:$PATH"
    );
    let ex = expand(&legacy[0].value.as_ref().unwrap().raw.text, '\\', &|n| {
        (n == "PATH").then(|| "/bin".to_string())
    })
    .unwrap();
    assert_eq!(ex.value, "/usr/local/bin:/bin");
}

#[test]
fn env_legacy_value_with_spaces_and_multiline_quotes() {
    let src =
        "FROM a\nENV GREETING hello   big world\nENV MSG=\"line one \\\n  line two\" OTHER=x\n";
    let df = ok(src);
    let kv = df.instructions[1].key_values();
    assert_eq!(kv[0].value.as_ref().unwrap().value, "hello   big world");
    let kv = df.instructions[2].key_values();
    assert_eq!(kv.len(), 2);
    assert_eq!(kv[0].value.as_ref().unwrap().value, "line one   line two");
    assert_eq!(kv[1].key, "OTHER");
}

#[test]
fn env_and_label_errors() {
    assert_eq!(
        err("FROM a\nENV PATH\n").message,
        "ENV must have two arguments"
    );
    assert!(err("FROM a\nENV A=1 B\n")
        .message
        .starts_with("Syntax error - can't find = in \"B\""));
    assert_eq!(
        err("FROM a\nENV\n").message,
        "ENV requires at least one argument"
    );
    assert_eq!(
        err("FROM a\nLABEL =x\n").message,
        "LABEL names can not be blank"
    );
    assert_eq!(
        err("FROM a\nLABEL x\n").message,
        "LABEL must have two arguments"
    );
}

#[test]
fn arg_forms() {
    let src = "ARG BASE=alpine\nARG TAG\nARG EMPTY=\nFROM $BASE:${TAG:-latest}\nARG A=1 B\n";
    let df = ok(src);
    let kv = df.instructions[1].key_values();
    assert_eq!(kv[0].key, "TAG");
    assert!(kv[0].value.is_none());
    let kv = df.instructions[2].key_values();
    assert_eq!(kv[0].value.as_ref().unwrap().value, "");
    let kv = df.instructions[4].key_values();
    assert_eq!(kv.len(), 2);
    assert!(kv[1].value.is_none());
    assert_eq!(
        err("FROM a\nARG\n").message,
        "ARG requires at least one argument"
    );
    assert_eq!(
        err("FROM a\nARG =x\n").message,
        "ARG names can not be blank"
    );
}

#[test]
fn label_pairs() {
    let src = "FROM a\nLABEL org.opencontainers.image.title=\"My App\" \\\n      version=1.0\n";
    let df = ok(src);
    let kv = df.instructions[1].key_values();
    assert_eq!(kv[0].key, "org.opencontainers.image.title");
    assert_eq!(kv[0].value.as_ref().unwrap().value, "My App");
    assert_eq!(at(src, kv[1].span), "version=1.0");
}

// ----- expansion -----------------------------------------------------------------------------

/// Values that expand each other double at every step: what one expansion produces is bounded.
/// The fuzzer's input (testdata/regressions/dockerfile-1.Dockerfile, a lookup that doubles each
/// name) took 573 s and 950 MB before.
#[test]
fn an_expansion_stops_at_its_limit() {
    let big = "a".repeat(lex::MAX_EXPANSION / 2 + 1);
    let env = |n: &str| (n == "BIG").then(|| big.clone());
    assert_eq!(
        expand("${BIG}", '\\', &env).map(|e| e.value.len()),
        Ok(big.len())
    );
    let e = expand("${BIG}${BIG}x", '\\', &env).unwrap_err();
    assert_eq!(
        e,
        format!(
            "expands to more than {} bytes (shutdownlint's limit)",
            lex::MAX_EXPANSION
        )
    );
    assert!(expand("\"${BIG}\" ${BIG} y", '\\', &env).is_err());
    // Each name expands to itself twice: nested substitutions used to build gigabytes.
    let twice = |n: &str| Some(n.repeat(2));
    let nested = format!("{}x{}", "${A:-${AB".repeat(30), "}}".repeat(30));
    let input = include_bytes!("../../../testdata/regressions/dockerfile-1.Dockerfile");
    let input = String::from_utf8_lossy(input);
    for word in std::iter::once(nested.as_str()).chain(input.split_whitespace()) {
        if let Ok(e) = expand(word, '\\', &twice) {
            assert!(
                e.value.len() <= 2 * lex::MAX_EXPANSION + word.len() * 2,
                "{word}"
            );
        }
    }
}

/// Global ARGs that copy a big value, and FROMs that name it: past the limit of substituted
/// bytes a variable is unknown, so what is stored stays bounded (30,000 copies of 60,000 bytes
/// held 1.8 GB).
#[test]
fn substitutions_stop_at_their_limit() {
    let big = "x".repeat(60_000);
    let copies = 40;
    let mut text = format!("ARG BIG={big}\n");
    for i in 0..copies {
        text.push_str(&format!("ARG C{i}=${{BIG}}\n"));
    }
    for _ in 0..copies {
        text.push_str("FROM ${BIG}\n");
    }
    let parsed = parse(&text).expect("parses");
    let fit = lex::MAX_SUBSTITUTED / big.len();
    let args = parsed.global_args();
    let values: Vec<&Expansion> = args.iter().filter_map(|a| a.value.as_ref()).collect();
    assert_eq!(values.len(), copies + 1);
    assert!(values
        .iter()
        .take(fit + 1)
        .all(|v| v.is_resolved() && v.value == big));
    assert!(values
        .iter()
        .skip(fit + 1)
        .all(|v| !v.is_resolved() && v.value.is_empty()));
    let stages = parsed.stages();
    assert_eq!(stages.len(), copies);
    assert!(stages
        .iter()
        .take(fit)
        .all(|s| s.base.expanded.value == big));
    assert!(stages
        .iter()
        .skip(fit)
        .all(|s| !s.base.expanded.is_resolved() && s.base.expanded.value.is_empty()));
}

#[test]
fn expansion_forms() {
    let env = |n: &str| match n {
        "SET" => Some("val".to_string()),
        "EMPTY" => Some(String::new()),
        "PATHV" => Some("/usr/local/bin".to_string()),
        _ => None,
    };
    let e = |s: &str| expand(s, '\\', &env).unwrap();
    assert_eq!(e("$SET-${SET}").value, "val-val");
    assert_eq!(e("${UNSET:-dflt}").value, "dflt");
    assert_eq!(e("${EMPTY:-dflt}").value, "dflt");
    assert_eq!(e("${EMPTY-dflt}").value, "");
    assert_eq!(e("${UNSET-dflt}").value, "dflt");
    assert_eq!(e("${SET:+alt}").value, "alt");
    assert_eq!(e("${EMPTY:+alt}").value, "");
    assert_eq!(e("${EMPTY+alt}").value, "alt");
    assert_eq!(e("${UNSET+alt}").value, "");
    assert_eq!(e("\\$SET '$SET' \"$SET\"").value, "$SET $SET val");
    assert_eq!(e("${PATHV#*/}").value, "usr/local/bin");
    assert_eq!(e("${PATHV##*/}").value, "bin");
    assert_eq!(e("${PATHV%/*}").value, "/usr/local");
    assert_eq!(e("${PATHV%%/*}").value, "");
    assert_eq!(e("${PATHV/local/opt}").value, "/usr/opt/bin");
    assert_eq!(e("${PATHV//\\//:}").value, ":usr:local:bin");
    assert_eq!(e("${UNSET:-${SET}}").value, "val");
    let r = e("a$NOPE-${ALSO:-x}");
    assert_eq!(r.value, "a-x");
    assert_eq!(r.unresolved, vec!["NOPE", "ALSO"]);
    assert!(!r.is_resolved());
    assert!(e("$SET").is_resolved());
    assert!(expand("${SET:?}", '\\', &env).is_ok());
    assert!(expand("${UNSET:?must be set}", '\\', &env)
        .unwrap_err()
        .contains("must be set"));
    assert!(expand("${", '\\', &env).is_err());
    assert!(expand("${}", '\\', &env).is_err());
    assert!(expand("\"open", '\\', &env).is_err());
    // backtick escape
    assert_eq!(expand("`$SET", '`', &env).unwrap().value, "$SET");
    // unknown vars expand to ""
    assert_eq!(expand("x${NOPE}y", '\\', &no_env).unwrap().value, "xy");
}

#[test]
fn deep_nesting_is_bounded() {
    let deep = format!("{}x{}", "${A:-".repeat(5000), "}".repeat(5000));
    assert!(expand(&deep, '\\', &no_env).is_err());
    let src = format!(
        "FROM a\nCMD {}\"x\"{}\n",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    // too deep for Go's JSON decoder: shell form
    let df = ok(&src);
    assert!(matches!(
        df.instructions[1].command_form(),
        CommandForm::Shell(_)
    ));
}

// ----- stages ----------------------------------------------------------------------------------

#[test]
fn stages_and_global_args() {
    let src = "ARG REG=docker.io\nARG IMG=${REG}/library/golang\nARG TAG\nFROM --platform=$BUILDPLATFORM ${IMG}:${TAG:-1.22} As Builder\nRUN go build\nFROM builder AS test\nRUN go test\nFROM Builder\nFROM scratch\nCOPY --from=builder /app /app\n";
    let df = ok(src);
    let globals = df.global_args();
    assert_eq!(globals.len(), 3);
    assert_eq!(
        globals[1].value.as_ref().unwrap().value,
        "docker.io/library/golang"
    );
    assert!(globals[2].value.is_none());
    let stages = df.stages();
    assert_eq!(stages.len(), 4);
    let s0 = &stages[0];
    assert_eq!(s0.name.as_ref().unwrap().0, "builder");
    assert_eq!(at(src, s0.name.as_ref().unwrap().1), "Builder");
    assert_eq!(s0.base.raw, "${IMG}:${TAG:-1.22}");
    assert_eq!(s0.base.expanded.value, "docker.io/library/golang:1.22");
    assert_eq!(s0.base.expanded.unresolved, vec!["TAG"]);
    assert_eq!(at(src, s0.base.span), "${IMG}:${TAG:-1.22}");
    assert_eq!(s0.platform.as_deref(), Some("$BUILDPLATFORM"));
    assert_eq!(s0.from_instruction, 3);
    assert_eq!(s0.instructions, 4..5);
    assert_eq!(stages[1].base.stage, Some(0));
    // Docker compares the base name case-sensitively with lower-cased stage names
    assert_eq!(stages[2].base.stage, None);
    assert_eq!(stages[3].base.expanded.value, "scratch");
    assert_eq!(stages[3].instructions, 9..10);
}

#[test]
fn from_errors() {
    assert_eq!(
        err("FROM\n").message,
        "FROM requires either one or three arguments"
    );
    assert_eq!(
        err("FROM a b\n").message,
        "FROM requires either one or three arguments"
    );
    assert_eq!(
        err("FROM a AS b c\n").message,
        "FROM requires either one or three arguments"
    );
    assert!(err("FROM a AS 1st\n")
        .message
        .starts_with("invalid name for build stage"));
    assert!(err("FROM a AS my$name\n")
        .message
        .starts_with("invalid name for build stage"));
    assert_eq!(
        err("FROM --platfrm=x a\n").message,
        "unknown flag: --platfrm"
    );
    ok("FROM a AS Build.Stage_1-x\n");
}

// ----- other instructions --------------------------------------------------------------------

#[test]
fn onbuild_wraps_an_instruction() {
    let src = "FROM a\nONBUILD COPY --chown=app . /src\nonbuild run [\"make\"]\n";
    let df = ok(src);
    let inner = df.instructions[1].onbuild.as_ref().unwrap();
    assert_eq!(inner.keyword, "COPY");
    assert_eq!(inner.flags[0].name, "chown");
    assert_eq!(inner.args.text, ". /src");
    assert_eq!(at(src, inner.keyword_span), "COPY");
    let inner = df.instructions[2].onbuild.as_ref().unwrap();
    assert_eq!(exec_args(inner), vec!["make"]);
    assert_eq!(
        err("FROM a\nONBUILD ONBUILD RUN x\n").message,
        "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
    );
    assert_eq!(
        err("FROM a\nONBUILD FROM b\n").message,
        "FROM isn't allowed as an ONBUILD trigger"
    );
    assert_eq!(
        err("FROM a\nONBUILD\n").message,
        "ONBUILD requires at least one argument"
    );
    // the trigger's own JSON is checked when parsing
    assert!(err("FROM a\nONBUILD CMD [1]\n")
        .message
        .contains("strings only"));
}

#[test]
fn healthcheck_forms() {
    let src = "FROM a\nHEALTHCHECK --interval=30s --timeout=3s --start-period=1m30s --retries=3 CMD curl -f http://localhost/ || exit 1\nHEALTHCHECK cmd [\"/bin/check\", \"--fast\"]\nHEALTHCHECK NONE\n";
    let df = ok(src);
    let h = &df.instructions[1];
    assert_eq!(h.flags.len(), 4);
    assert_eq!(shell_text(h), "curl -f http://localhost/ || exit 1");
    assert_eq!(exec_args(&df.instructions[2]), vec!["/bin/check", "--fast"]);
    assert_eq!(shell_text(&df.instructions[3]), "");
    assert_eq!(
        err("FROM a\nHEALTHCHECK\n").message,
        "HEALTHCHECK requires at least one argument"
    );
    assert_eq!(
        err("FROM a\nHEALTHCHECK CMD\n").message,
        "Missing command after HEALTHCHECK CMD"
    );
    assert_eq!(
        err("FROM a\nHEALTHCHECK CMD []\n").message,
        "Missing command after HEALTHCHECK CMD"
    );
    assert_eq!(
        err("FROM a\nHEALTHCHECK NONE x\n").message,
        "HEALTHCHECK NONE takes no arguments"
    );
    assert!(err("FROM a\nHEALTHCHECK RUN x\n")
        .message
        .starts_with("Unknown type \"RUN\""));
    assert!(err("FROM a\nHEALTHCHECK --interval=5 CMD x\n")
        .message
        .contains("invalid duration"));
    assert!(err("FROM a\nHEALTHCHECK --interval=1us CMD x\n")
        .message
        .contains("cannot be less than 1ms"));
    assert!(err("FROM a\nHEALTHCHECK --retries=-1 CMD x\n")
        .message
        .contains("cannot be negative"));
    assert!(err("FROM a\nHEALTHCHECK --retries=two CMD x\n")
        .message
        .contains("invalid syntax"));
    assert_eq!(
        err("FROM a\nHEALTHCHECK --intervl=1s CMD x\n").message,
        "unknown flag: --intervl"
    );
    ok("FROM a\nHEALTHCHECK --interval=0 --timeout=1.5s --start-interval=500ms CMD x\n");
    // NONE does not look at flags
    ok("FROM a\nHEALTHCHECK --bogus NONE\n");
}

#[test]
fn single_argument_instructions() {
    let src = "FROM a\nUSER app:app\nWORKDIR /my app\nSTOPSIGNAL SIGQUIT\nMAINTAINER Jane Doe <j@example.com>\nEXPOSE 8080/tcp 9090\n";
    let df = ok(src);
    let w = |i: usize| {
        df.instructions[i]
            .words()
            .into_iter()
            .map(|w| w.value)
            .collect::<Vec<_>>()
    };
    assert_eq!(w(1), ["app:app"]);
    assert_eq!(w(2), ["/my app"]);
    assert_eq!(w(3), ["SIGQUIT"]);
    assert_eq!(w(4), ["Jane Doe <j@example.com>"]);
    assert_eq!(w(5), ["8080/tcp", "9090"]);
    for (src, msg) in [
        ("FROM a\nUSER\n", "USER requires exactly one argument"),
        ("FROM a\nWORKDIR\n", "WORKDIR requires exactly one argument"),
        ("FROM a\nSTOPSIGNAL\n", "STOPSIGNAL requires exactly one argument"),
        ("FROM a\nMAINTAINER\n", "MAINTAINER requires exactly one argument"),
        ("FROM a\nEXPOSE\n", "EXPOSE requires at least one argument"),
        ("FROM a\nCOPY onlyone\n", "COPY requires at least two arguments, but only one was provided. Destination could not be determined"),
    ] {
        assert_eq!(err(src).message, msg, "{src}");
    }
}

#[test]
fn words_are_quote_aware() {
    let src = "FROM a\nCOPY \"my file\" 'other file' /dst/\nRUN echo \"a b\" c\\ d\n";
    let df = ok(src);
    let w = df.instructions[1].words();
    assert_eq!(
        w.iter().map(|w| w.value.as_str()).collect::<Vec<_>>(),
        ["my file", "other file", "/dst/"]
    );
    assert_eq!(at(src, w[0].span), "\"my file\"");
    let w = df.instructions[2].words();
    assert_eq!(
        w.iter().map(|w| w.value.as_str()).collect::<Vec<_>>(),
        ["echo", "a b", "c d"]
    );
}

#[test]
fn empty_run_and_cmd_are_accepted() {
    let df = ok("FROM a\nRUN\nCMD\nRUN --network=none\n");
    assert_eq!(shell_text(&df.instructions[1]), "");
    assert_eq!(df.instructions[3].args.text, "");
}

#[test]
fn never_panics_on_odd_input() {
    let samples = [
        "\u{feff}",
        "\\",
        "FROM a\n\\",
        "FROM a\nRUN <<",
        "FROM a\nRUN <<-\n",
        "FROM a\nRUN 99999999999999999999<<EOF\nEOF\n",
        "FROM a\nRUN <<'EOF\n",
        "FROM a\nRUN <<EOF <<EOF\nEOF\nEOF\n",
        "FROM a\nCMD [\"\\u12\"]\n",
        "FROM a\nCMD [\"\\ud83d\\u0041\"]\n",
        "FROM a\nENV a=\"\n",
        "FROM é\nRUN é --é=é\nLABEL é=\"é\\\n",
        "FROM a\nRUN --mount=\"x\\",
        "FROM a\nENV \\\n",
        "# escape=`\nFROM a\nRUN x `",
        "\r\n\r\n\r",
        "FROM a\nHEALTHCHECK\u{a0}CMD x\n",
        "FROM a\nRUN ${a:${b:-${c",
        "FROM a\nRUN --\n",
        "FROM a\nRUN -- --\n",
        "FROM a\nARG \"\n",
    ];
    for s in samples {
        if let Ok(df) = parse_syntax(s) {
            let _ = df.stages();
            let _ = df.global_args();
            for i in &df.instructions {
                let _ = i.command_form();
                let _ = i.words();
                let _ = i.key_values();
                assert!(i.span.end <= s.len());
            }
        }
        let _ = parse(s);
    }
}

#[test]
fn stage_setup_errors_and_arg_redeclaration() {
    assert!(err("ARG V=${\nFROM a\n")
        .message
        .starts_with("failed to process"));
    assert!(err("FROM ${bad\n").message.starts_with("failed to process"));
    assert!(err("FROM \"\"\n")
        .message
        .starts_with("base name (\"\") should not be blank"));
    // may be supplied with --build-arg: accepted
    ok("ARG BASE\nFROM $BASE\n");
    // an ARG without default keeps the earlier value
    let df = ok("ARG V=1\nARG V\nFROM img:$V\n");
    assert_eq!(df.stages()[0].base.expanded.value, "img:1");
}

/// A tiny deterministic generator (no crates): random Dockerfile-ish soup must never panic,
/// and spans must stay inside the text on char boundaries.
#[test]
fn random_inputs_never_panic() {
    let pieces = [
        "FROM ",
        "RUN ",
        "COPY ",
        "ONBUILD ",
        "ENV ",
        "ARG ",
        "HEALTHCHECK ",
        "CMD ",
        "LABEL ",
        "<<",
        "<<-",
        "EOF",
        "'",
        "\"",
        "\\",
        "`",
        "\n",
        "\r\n",
        "\t",
        " ",
        "#",
        "# escape=`\n",
        "[",
        "]",
        ",",
        "=",
        "--",
        "--mount=",
        "${",
        "}",
        ":-",
        "$",
        "é",
        "\u{feff}",
        "AS ",
        "x",
        "\\u",
        "\\ud800",
        "{",
        "NONE",
        "--interval=",
        "1s",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..3000 {
        let len = (next() % 40) as usize;
        let mut s = String::new();
        for _ in 0..len {
            s.push_str(pieces[(next() % pieces.len() as u64) as usize]);
        }
        let _ = parse(&s);
        if let Ok(df) = parse_syntax(&s) {
            let _ = df.stages();
            for i in &df.instructions {
                assert!(s.get(i.span.start..i.span.end).is_some(), "{s:?}");
                assert!(s
                    .get(i.args.full_source_span().start..i.args.full_source_span().end)
                    .is_some());
                let _ = i.command_form();
                for w in i.words() {
                    assert!(s.get(w.span.start..w.span.end).is_some(), "{s:?}");
                }
                let _ = i.key_values();
                for h in &i.heredocs {
                    assert!(s.get(h.span.start..h.span.end).is_some());
                }
            }
        }
    }
}

#[test]
fn large_input_is_fast() {
    let mut s = String::from("FROM a\n");
    for i in 0..20_000 {
        s.push_str(&format!(
            "RUN echo {i} \\\n  && true <<X\nbody\nX\nENV K{i}=v{i}\n"
        ));
    }
    let start = std::time::Instant::now();
    let df = ok(&s);
    assert_eq!(df.instructions.len(), 40_001);
    assert!(start.elapsed().as_secs() < 10);
}
