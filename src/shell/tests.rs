use super::*;
use crate::span::Span;

fn p(src: &str) -> Script {
    match parse(src) {
        Ok(s) => s,
        Err(e) => panic!("{src:?}: {e}"),
    }
}

fn simple(n: &Node) -> &SimpleCommand {
    match n.as_simple() {
        Some(c) => c,
        None => panic!("not a simple command: {n:?}"),
    }
}

fn argvs(s: &Script) -> Vec<Vec<String>> {
    all_simple_commands(s)
        .map(|c| c.argv().iter().map(|w| w.to_string()).collect())
        .collect()
}

fn final_argvs(s: &Script) -> Vec<(FinalKind, Vec<String>, bool)> {
    final_commands(s)
        .iter()
        .map(|f| {
            let argv = f
                .command
                .map(|c| c.argv().iter().map(|w| w.to_string()).collect())
                .unwrap_or_default();
            (f.kind, argv, f.may_fall_through)
        })
        .collect()
}

fn v(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn only_final(s: &Script) -> FinalCommand<'_> {
    let f = final_commands(s);
    assert_eq!(f.len(), 1, "{f:?}");
    f[0]
}

fn err(src: &str) -> ShellError {
    match parse(src) {
        Ok(s) => panic!(
            "{:?} parsed: {} nodes",
            src.get(..80).unwrap_or(src),
            s.body.len()
        ),
        Err(e) => e,
    }
}

// ----- the command-line cases from the brief --------------------------------------------------

#[test]
fn migrate_and_exec() {
    let s = p("./migrate && exec node app.js");
    assert!(matches!(&s.body[0], Node::AndOr { rest, .. } if rest[0].0 == AndOrOp::And));
    let f = only_final(&s);
    assert!(f.is_exec() && f.conditional);
    assert_eq!(f.command.unwrap().argv(), ["exec", "node", "app.js"]);
    assert!(is_exec_tail(&s));
    let before: Vec<_> = chain_before(&s, &f).iter().map(|c| c.argv()).collect();
    assert_eq!(before, [["./migrate"]]);
    assert!(can_shell_exec_implicitly(&s));
}

#[test]
fn assignments_before_exec() {
    let s = p(r#"FOO=1 BAR="a b" exec gunicorn app:app"#);
    let c = simple(&s.body[0]);
    assert_eq!(c.assignments.len(), 2);
    assert_eq!(c.assignments[1].value, "BAR=a b");
    assert_eq!(c.assignments[1].assignment(), Some(("BAR", "a b")));
    assert!(c.is_exec());
    let t: Vec<_> = c.exec_target().unwrap().iter().map(|w| &w.value).collect();
    assert_eq!(t, ["gunicorn", "app:app"]);
    assert_eq!(c.span, Span::new(0, 37));
}

#[test]
fn semicolon_list_final() {
    let src = "python manage.py migrate; gunicorn -b :8000 app.wsgi";
    let s = p(src);
    assert_eq!(s.body.len(), 2);
    let f = only_final(&s);
    assert_eq!(f.span.slice(src), "gunicorn -b :8000 app.wsgi");
    assert!(!is_exec_tail(&s));
    assert!(can_shell_exec_implicitly(&s));
    assert!(!shell_execs_final_command(&s, ImplicitExecShell::Dash));
    assert_eq!(
        chain_before(&s, &f)[0].argv(),
        ["python", "manage.py", "migrate"]
    );
}

#[test]
fn trap_background_wait() {
    let src = "trap 'kill -TERM $PID' TERM; node server.js & PID=$!; wait $PID";
    let s = p(src);
    assert_eq!(s.body.len(), 4);
    assert!(matches!(&s.body[1], Node::Background(inner, sp)
        if simple(inner).argv() == ["node", "server.js"] && sp.slice(src) == "node server.js &"));
    let assign = simple(&s.body[2]);
    assert!(assign.words.is_empty() && assign.assignments[0].has_expansion);
    let trap = traps_signal(&s).unwrap();
    assert_eq!(trap.slice(src), "trap 'kill -TERM $PID' TERM");
    let t = traps(&s);
    assert_eq!(t[0].action.value, "kill -TERM $PID");
    assert_eq!(t[0].signals, ["TERM"]);
    assert_eq!(only_final(&s).command.unwrap().argv(), ["wait", "$PID"]);
    assert!(!can_shell_exec_implicitly(&s));
}

#[test]
fn set_e_bundle() {
    let s = p("set -e; bundle exec rails db:migrate && bundle exec puma -C config/puma.rb");
    let f = only_final(&s);
    assert_eq!(f.command.unwrap().name(), Some("bundle"));
    assert!(!f.is_exec());
    let before: Vec<_> = chain_before(&s, &f).iter().map(|c| c.argv()).collect();
    assert_eq!(
        before,
        [
            vec!["set", "-e"],
            vec!["bundle", "exec", "rails", "db:migrate"]
        ]
    );
    assert!(shell_execs_final_command(&s, ImplicitExecShell::Bash));
}

#[test]
fn single_quoted_semicolon() {
    let s = p("nginx -g 'daemon off;'");
    let c = simple(&s.body[0]);
    assert_eq!(c.argv(), ["nginx", "-g", "daemon off;"]);
    assert!(c.words[2].quoted && !c.words[2].has_expansion);
    assert_eq!(c.words[2].span, Span::new(9, 22));
}

#[test]
fn nested_sh_c() {
    let s = p(r#"sh -c "exec node app""#);
    let c = simple(&s.body[0]);
    assert_eq!(c.argv(), ["sh", "-c", "exec node app"]);
    let inner = p(&c.words[2].value);
    assert!(is_exec_tail(&inner));
    // Spans of the inner parse are relative to the payload; the payload here is the raw text
    // minus the quotes.
    assert_eq!(
        c.words[2].span.slice(r#"sh -c "exec node app""#),
        "\"exec node app\""
    );
}

#[test]
fn pipeline_final() {
    let s = p("node app | tee log");
    let f = only_final(&s);
    assert_eq!(f.kind, FinalKind::Pipeline);
    assert_eq!(f.command.unwrap().argv(), ["tee", "log"]);
    assert!(!can_shell_exec_implicitly(&s));
    assert!(!is_exec_tail(&s));
}

#[test]
fn subshell_final() {
    let s = p("(cd /app && node server.js)");
    let f = only_final(&s);
    assert_eq!(f.kind, FinalKind::Subshell);
    let Node::Subshell(list, _) = f.node else {
        panic!()
    };
    let inner = final_commands_in(&s, list);
    assert_eq!(inner[0].command.unwrap().argv(), ["node", "server.js"]);
    assert!(!shell_execs_final_command(&s, ImplicitExecShell::Bash));
    assert!(shell_execs_final_command(&s, ImplicitExecShell::BusyboxAsh));
    assert!(!can_shell_exec_implicitly(&s));
}

#[test]
fn group_final() {
    let s = p("{ echo hi; node app; }");
    assert!(matches!(&s.body[0], Node::Group(l, _) if l.len() == 2));
    assert_eq!(
        final_argvs(&s),
        [(FinalKind::Simple, v(&["node", "app"]), false)]
    );
    assert!(!shell_execs_final_command(&s, ImplicitExecShell::Bash));
    assert!(shell_execs_final_command(&s, ImplicitExecShell::BusyboxAsh));
}

#[test]
fn or_list() {
    let s = p("a || b");
    assert!(matches!(&s.body[0], Node::AndOr { rest, .. } if rest[0].0 == AndOrOp::Or));
    let f = only_final(&s);
    assert!(f.conditional);
    assert_eq!(f.command.unwrap().argv(), ["b"]);
}

#[test]
fn background_final() {
    let s = p("cmd &");
    let f = only_final(&s);
    assert_eq!(f.kind, FinalKind::Background);
    assert_eq!(f.span, Span::new(0, 5));
    assert!(!can_shell_exec_implicitly(&s));
}

#[test]
fn trailing_comment() {
    let s = p("node app # start it; exec nothing");
    assert_eq!(argvs(&s), [v(&["node", "app"])]);
    let s = p("echo a#b \"#c\" # d");
    assert_eq!(argvs(&s), [v(&["echo", "a#b", "#c"])]);
}

#[test]
fn expansions_kept_literally() {
    let src = r#"echo $(date +%s) `hostname` ${VAR:-x} "$@" $((1+2)) '$lit' \$esc ~/x *.js"#;
    let s = p(src);
    let c = simple(&s.body[0]);
    assert_eq!(
        c.argv(),
        [
            "echo",
            "$(date +%s)",
            "`hostname`",
            "${VAR:-x}",
            "$@",
            "$((1+2))",
            "$lit",
            "$esc",
            "~/x",
            "*.js"
        ]
    );
    let exp: Vec<bool> = c.words.iter().map(|w| w.has_expansion).collect();
    assert_eq!(
        exp,
        [false, true, true, true, true, true, false, false, false, false]
    );
    assert!(c.words[9].has_glob && !c.words[8].has_glob);
}

#[test]
fn redirections() {
    let src = "node app >/dev/null 2>&1 </dev/null 3>>log";
    let s = p(src);
    let c = simple(&s.body[0]);
    assert_eq!(c.argv(), ["node", "app"]);
    let r: Vec<_> = c.redirects.iter().map(|r| r.slice(src)).collect();
    assert_eq!(r, [">/dev/null", "2>&1", "</dev/null", "3>>log"]);
    assert_eq!(c.redirections[1].fd.as_deref(), Some("2"));
    assert_eq!(c.redirections[1].op, RedirectOp::DupOut);
    assert_eq!(c.redirections[1].target.value, "1");
    assert_eq!(c.redirections[3].op, RedirectOp::Append);
    assert!(!can_shell_exec_implicitly(&s));
    assert!(shell_execs_final_command(&s, ImplicitExecShell::BusyboxAsh));
}

#[test]
fn dup_then_redirect_without_space() {
    let s = p("echo hi 2>&1>/dev/null");
    let c = simple(&s.body[0]);
    assert_eq!(c.argv(), ["echo", "hi"]);
    assert_eq!(c.redirections.len(), 2);
    assert_eq!(c.redirections[0].target.value, "1");
}

#[test]
fn heredoc_body() {
    let src = "cat <<EOF\nhello $x\n)fi\nEOF\necho after\n";
    let s = p(src);
    assert_eq!(argvs(&s), [v(&["cat"]), v(&["echo", "after"])]);
    let h = &s.heredocs[0];
    assert_eq!(h.body.slice(src), "hello $x\n)fi\n");
    assert!(!h.quoted && h.terminated);
    assert_eq!(h.redirect.slice(src), "<<EOF");
}

#[test]
fn heredoc_strip_tabs_quoted() {
    let src = "if true; then\n\tcat <<-'END' >out\n\t$not expanded\n\tEND\n\techo done\nfi";
    let s = p(src);
    assert_eq!(s.heredocs[0].body.slice(src), "\t$not expanded\n");
    assert!(s.heredocs[0].quoted && s.heredocs[0].strip_tabs);
    assert_eq!(argvs(&s), [v(&["true"]), v(&["cat"]), v(&["echo", "done"])]);
}

#[test]
fn two_heredocs_one_line_and_pipe() {
    let src = "cat <<A - <<\"B\" | grep x\na body\nA\nb body\nB\nnext";
    let s = p(src);
    assert_eq!(s.heredocs.len(), 2);
    assert_eq!(s.heredocs[0].body.slice(src), "a body\n");
    assert_eq!(s.heredocs[1].body.slice(src), "b body\n");
    assert!(s.heredocs[1].quoted);
    assert_eq!(s.body.len(), 2);
    assert!(matches!(s.body[0], Node::Pipeline { .. }));
}

#[test]
fn heredoc_unterminated_and_crlf() {
    let src = "cat <<EOF\nno end";
    let s = p(src);
    assert!(!s.heredocs[0].terminated);
    assert_eq!(s.heredocs[0].body.slice(src), "no end");
    let src = "cat <<EOF\r\nx\r\nEOF\r\necho y\r\n";
    let s = p(src);
    assert!(s.heredocs[0].terminated);
    assert_eq!(argvs(&s), [v(&["cat"]), v(&["echo", "y"])]);
}

#[test]
fn heredoc_inside_command_substitution() {
    let src = "x=$(cat <<EOF\nin )here\nEOF\n)\nexec node";
    let s = p(src);
    assert_eq!(s.heredocs[0].body.slice(src), "in )here\n");
    assert!(is_exec_tail(&s));
}

#[test]
fn heredoc_on_loop_and_here_string() {
    let src = "while read l; do echo \"$l\"; done <<EOF\na\nEOF\ngrep x <<< \"$v\"";
    let s = p(src);
    assert_eq!(s.body.len(), 2);
    assert!(matches!(s.body[0], Node::Loop { .. }));
    assert_eq!(s.heredocs[0].body.slice(src), "a\n");
    let c = simple(&s.body[1]);
    assert_eq!(c.redirections[0].op, RedirectOp::HereString);
    assert!(!shell_execs_final_command(
        &s,
        ImplicitExecShell::BusyboxAsh
    ));
}

// ----- whole scripts ---------------------------------------------------------------------------

const ENTRYPOINT: &str = r#"#!/bin/bash
set -euo pipefail

# comment with 'quote and ( paren
log() { echo "[entrypoint] $*" >&2; }

function wait_for_db {
  until pg_isready -h "${DB_HOST:-db}" \
      -p 5432; do
    sleep 1
  done
}

if [ "${1#-}" != "$1" ]; then
  set -- node "$@"
elif [[ "$1" == migrate ]]; then
  wait_for_db
  exec npm run migrate
else
  :
fi

case "$1" in
  (node|npm) shift ;;
  web)
    exec gunicorn app:app ;;
  *) ;;
esac

for f in /docker-entrypoint.d/*.sh; do
  [ -x "$f" ] && . "$f"
done

exec gosu app "$@"
"#;

#[test]
fn entrypoint_script_parses() {
    let s = p(ENTRYPOINT);
    let names: Vec<_> = s
        .body
        .iter()
        .filter_map(|n| match n {
            Node::FunctionDef { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["log", "wait_for_db"]);
    let f = only_final(&s);
    assert!(f.is_exec());
    let t: Vec<_> = f
        .command
        .unwrap()
        .exec_target()
        .unwrap()
        .iter()
        .map(|w| &w.value)
        .collect();
    assert_eq!(t, ["gosu", "app", "$@"]);
    assert!(is_exec_tail(&s));
    assert!(find_function(&s, "wait_for_db").is_some());
    assert_eq!(s.cases.len(), 1);
    assert!(s.cases[0].has_catch_all());
    assert_eq!(s.cases[0].patterns[0].len(), 2);
    // the line continuation is removed from the word list
    let pg = all_simple_commands(&s)
        .find(|c| c.name() == Some("pg_isready"))
        .unwrap();
    assert_eq!(
        pg.argv(),
        ["pg_isready", "-h", "${DB_HOST:-db}", "-p", "5432"]
    );
}

#[test]
fn chain_before_skips_function_bodies_and_other_branches() {
    let s = p(ENTRYPOINT);
    let f = only_final(&s);
    let before: Vec<_> = chain_before(&s, &f).iter().map(|c| c.argv()[0]).collect();
    // set, the if conditions and bodies, case arms, the loop; not `echo` from log() nor
    // pg_isready from wait_for_db.
    assert!(before.contains(&"set"));
    assert!(!before.contains(&"echo"));
    assert!(!before.contains(&"pg_isready"));
    assert!(before.contains(&"["));
}

#[test]
fn if_without_else_falls_through() {
    let s = p("if [ -n \"$X\" ]; then exec a; fi");
    assert_eq!(
        final_argvs(&s),
        [(FinalKind::Simple, v(&["exec", "a"]), true)]
    );
    assert!(!is_exec_tail(&s));
    let s = p("if a; then exec b; elif c; then exec d; else echo usage; exit 1; fi");
    let f = final_argvs(&s);
    assert_eq!(f.len(), 3);
    assert!(f.iter().all(|x| !x.2));
    assert!(is_exec_tail(&s));
}

#[test]
fn chain_before_in_if() {
    let s = p("if a; then b; elif c; then d; else e; exec f; fi");
    let finals = final_commands(&s);
    let last = finals.last().unwrap();
    let before: Vec<_> = chain_before(&s, last).iter().map(|c| c.argv()[0]).collect();
    assert_eq!(before, ["a", "c", "e"]);
}

#[test]
fn case_fall_through_and_patterns() {
    let s = p("case \"$1\" in\n start) exec node a;;\n worker|jobs) exec node b;;\nesac");
    let f = final_argvs(&s);
    assert_eq!(f.len(), 2);
    assert!(f.iter().all(|x| x.2));
    assert!(!is_exec_tail(&s));
    assert_eq!(s.cases[0].subject.value, "$1");
    assert_eq!(s.cases[0].patterns[1][1].value, "jobs");
    let s = p("case $1 in start) exec a;; *) exec \"$@\";; esac");
    assert!(is_exec_tail(&s));
    // a quoted star is not a catch-all
    let s = p("case $1 in '*') exec a;; esac");
    assert!(!s.cases[0].has_catch_all());
}

#[test]
fn case_terminators_and_empty_arms() {
    let s = p("case x in a) echo a;& b) ;; c) echo c;;& esac");
    let Node::Case { arms, .. } = &s.body[0] else {
        panic!()
    };
    assert_eq!(arms.len(), 3);
    assert!(arms[1].is_empty());
    let s = p("case x\nin\n(a) echo\nesac");
    assert!(matches!(s.body[0], Node::Case { .. }));
    let s = p("case x in esac");
    assert!(matches!(&s.body[0], Node::Case { arms, .. } if arms.is_empty()));
}

#[test]
fn case_inside_command_substitution() {
    let s = p("x=$(case $y in a) echo 1;; (b) echo 2;; esac); exec node");
    assert_eq!(s.body.len(), 2);
    assert!(is_exec_tail(&s));
    // commands inside $(...) are not part of the tree
    assert_eq!(argvs(&s).len(), 2);
}

#[test]
fn loops() {
    let s = p("for x in a b c; do echo $x; done\nfor y; do :; done\nfor z do :; done");
    assert_eq!(s.body.len(), 3);
    let s = p("until pg_isready; do sleep 1; done; exec postgres");
    let f = only_final(&s);
    let before: Vec<_> = chain_before(&s, &f).iter().map(|c| c.argv()[0]).collect();
    assert_eq!(before, ["pg_isready", "sleep"]);
    let s = p("while true; do node app; done");
    assert_eq!(only_final(&s).kind, FinalKind::Loop);
    let s = p("select x in a b\ndo\n break\ndone");
    assert!(matches!(s.body[0], Node::Loop { .. }));
    let s = p("for i in 1 2; { echo $i; }");
    assert!(matches!(&s.body[0], Node::Loop { body, .. } if body.len() == 1));
}

#[test]
fn functions_are_not_final() {
    let s = p("main() {\n  exec node app\n}\nmain \"$@\"\nf() { :; }");
    let f = only_final(&s);
    assert_eq!(f.command.unwrap().argv(), ["main", "$@"]);
    let body = find_function(&s, "main").unwrap();
    let Node::Group(list, _) = body else { panic!() };
    assert!(final_commands_in(&s, list)[0].is_exec());
    // a function call is not exec'd implicitly
    assert!(!can_shell_exec_implicitly(&s));
    let s = p("f() { :; }");
    assert!(final_commands(&s).is_empty());
    assert!(!is_exec_tail(&s));
}

#[test]
fn resolving_a_final_function_call() {
    let s =
        p("_main() {\n  if [ -n \"$1\" ]; then exec \"$@\"; else exec node; fi\n}\n_main \"$@\"");
    let f = only_final(&s);
    let inner = final_commands_of_call(&s, f.command.unwrap()).unwrap();
    assert_eq!(inner.len(), 2);
    assert!(inner.iter().all(|f| f.is_exec() && !f.may_fall_through));
    let s = p("node app");
    assert!(final_commands_of_call(&s, only_final(&s).command.unwrap()).is_none());
}

#[test]
fn function_syntaxes() {
    for src in [
        "function f { echo; }",
        "function f() { echo; }",
        "function f\n{\n echo\n}",
        "f () \n{ echo; }",
        "f() ( echo )",
        "f() if true; then :; fi",
        "foo-bar.baz() { :; }",
    ] {
        let s = p(src);
        assert!(
            matches!(s.body[0], Node::FunctionDef { .. }),
            "{src}: {:?}",
            s.body
        );
    }
}

#[test]
fn exec_forms() {
    let cases: &[(&str, Option<&[&str]>)] = &[
        ("exec node app", Some(&["node", "app"])),
        ("exec \"$@\"", Some(&["$@"])),
        ("exec gosu user \"$@\"", Some(&["gosu", "user", "$@"])),
        ("exec -a name cmd x", Some(&["cmd", "x"])),
        ("exec -la name cmd", Some(&["cmd"])),
        ("exec -cl cmd", Some(&["cmd"])),
        ("exec -- cmd", Some(&["cmd"])),
        ("exec 3>&1", None),
        ("exec >log 2>&1", None),
        ("exec", None),
        ("exec -a name", None),
        ("echo exec node", None),
    ];
    for (src, want) in cases {
        let s = p(src);
        let c = simple(&s.body[0]);
        let got: Option<Vec<&str>> = c
            .exec_target()
            .map(|t| t.iter().map(|w| w.value.as_str()).collect());
        assert_eq!(got.as_deref(), *want, "{src}");
        assert_eq!(c.is_exec(), want.is_some(), "{src}");
    }
    let s = p("exec 3>&1\nnode app");
    assert!(!is_exec_tail(&s));
    assert!(can_shell_exec_implicitly(&s));
}

#[test]
fn bare_negation_and_bad_function_bodies() {
    let s = p("!");
    assert!(
        matches!(&s.body[0], Node::Pipeline { commands, negated: true, .. } if commands.is_empty())
    );
    assert!(
        matches!(&p("! ! ;").body[0], Node::Pipeline { commands, negated: false, .. } if commands.is_empty())
    );
    let s = p("! ; ! && a");
    assert_eq!(s.body.len(), 2);
    assert_eq!(only_final(&s).command.unwrap().argv(), ["a"]);
    assert!(err("f() echo hi").message.contains("compound"));
    assert!(err("function f echo").message.contains("compound"));
    assert!(matches!(
        p("f() [[ -n $1 ]]").body[0],
        Node::FunctionDef { .. }
    ));
    assert!(err("in x").message.contains("`in`"));
    assert!(err("]]").message.contains("`]]`"));
}

#[test]
fn negation_and_pipe_amp() {
    let s = p("! grep -q x file");
    assert!(
        matches!(&s.body[0], Node::Pipeline { commands, negated: true, .. } if commands.len() == 1)
    );
    assert_eq!(only_final(&s).kind, FinalKind::Pipeline);
    let s = p("make |& tee log");
    assert!(
        matches!(&s.body[0], Node::Pipeline { commands, negated: false, .. } if commands.len() == 2)
    );
}

#[test]
fn bash_conditional_expression() {
    let src = "[[ $x =~ ^(a|b)+$ && -f \"$y\" || ( $z < 3 ) ]] && exec node";
    let s = p(src);
    let cmds: Vec<_> = all_simple_commands(&s).collect();
    assert_eq!(
        cmds[0].argv(),
        ["[[", "$x", "=~", "^(a|b)+$", "&&", "-f", "$y", "||", "(", "$z", "<", "3", ")", "]]"]
    );
    assert!(is_exec_tail(&s));
    let s = p("if [[ -n $a\n  && -n $b ]]; then :; fi");
    assert!(matches!(s.body[0], Node::If { .. }));
    let s = p("[[ $x == a ]]>/dev/null");
    assert_eq!(simple(&s.body[0]).redirections.len(), 1);
}

#[test]
fn arithmetic_commands() {
    let s = p("((i++)); for ((i=0; i<3; i++)); do echo $i; done; x=$((i*2))");
    assert_eq!(s.body.len(), 3);
    assert_eq!(simple(&s.body[0]).argv(), ["((", "i++", "))"]);
    // `$((` that is really a command substitution of a subshell
    let s = p("n=$((cd /; ls) | wc -l)");
    assert!(simple(&s.body[0]).assignments[0].has_expansion);
    // `((` that is really nested subshells
    let s = p("((cd /) )");
    assert!(
        matches!(&s.body[0], Node::Subshell(inner, _) if matches!(inner[0], Node::Subshell(..)))
    );
}

#[test]
fn bash_arrays_and_ansi_c() {
    let s = p("a=(x \"y z\" $(echo w)) b+=(1)\ndeclare -A m=([k]=v [j]=\"q\")\necho $'a\\tb\\x41\\'' $\"hi\"");
    let c = simple(&s.body[0]);
    assert_eq!(c.assignments.len(), 2);
    assert!(c.assignments[0].has_expansion);
    assert_eq!(c.assignments[0].value, "a=(x \"y z\" $(echo w))");
    let d = simple(&s.body[1]);
    assert_eq!(d.argv(), ["declare", "-A", "m=([k]=v [j]=\"q\")"]);
    let e = simple(&s.body[2]);
    assert_eq!(e.argv(), ["echo", "a\tbA'", "hi"]);
    let s = p("arr=( # comment )\n  one\n)");
    assert_eq!(simple(&s.body[0]).assignments.len(), 1);
}

#[test]
fn process_substitution_and_extglob() {
    let s = p("diff <(sort a) >(cat) ; ls @(x|y).txt !(z)");
    let c = simple(&s.body[0]);
    assert_eq!(c.argv(), ["diff", "<(sort a)", ">(cat)"]);
    assert!(c.words[1].has_expansion);
    let d = simple(&s.body[1]);
    assert_eq!(d.argv(), ["ls", "@(x|y).txt", "!(z)"]);
    assert!(d.words[1].has_glob);
}

#[test]
fn coproc_and_time() {
    let s = p("coproc cat; coproc NAME { read x; }; coproc (echo)");
    assert!(s.body.iter().all(|n| matches!(n, Node::Background(..))));
    let s = p("time { sleep 1; }");
    assert!(matches!(s.body[0], Node::Group(..)));
    let s = p("time -p { sleep 1; }");
    assert!(matches!(s.body[0], Node::Group(..)));
    let s = p("time -p sleep 1");
    assert_eq!(simple(&s.body[0]).argv(), ["time", "-p", "sleep", "1"]);
    let s = p("echo $[1+2]");
    assert!(simple(&s.body[0]).words[1].has_expansion);
    let s = p("time node app");
    assert_eq!(simple(&s.body[0]).argv(), ["time", "node", "app"]);
}

#[test]
fn bash_redirect_forms() {
    let s = p("node app &>/dev/null; x &>> log; exec {fd}>file; cat <>rw");
    assert_eq!(s.body.len(), 4);
    let c = simple(&s.body[0]);
    assert_eq!(c.redirections[0].op, RedirectOp::WriteBoth);
    let e = simple(&s.body[2]);
    assert_eq!(e.redirections[0].fd.as_deref(), Some("{fd}"));
    assert!(!e.is_exec());
}

#[test]
fn io_number_rules() {
    let s = p("echo a2>x 2>y");
    let c = simple(&s.body[0]);
    assert_eq!(c.argv(), ["echo", "a2"]);
    assert_eq!(c.redirections[1].fd.as_deref(), Some("2"));
    let s = p("echo 2 > x");
    assert_eq!(simple(&s.body[0]).argv(), ["echo", "2"]);
}

#[test]
fn line_continuations() {
    let s = p("exec node \\\n  --max-old-space-size=512 \\\n  app.js");
    let c = simple(&s.body[0]);
    assert_eq!(
        c.argv(),
        ["exec", "node", "--max-old-space-size=512", "app.js"]
    );
    let s = p("ec\\\nho hi");
    assert_eq!(simple(&s.body[0]).argv(), ["echo", "hi"]);
    let s = p("echo \"a\\\nb\" 'c\\\nd'");
    assert_eq!(simple(&s.body[0]).argv(), ["echo", "ab", "c\\\nd"]);
}

#[test]
fn reserved_words_only_in_command_position() {
    let s = p("echo if then fi { } done");
    assert_eq!(
        simple(&s.body[0]).argv(),
        ["echo", "if", "then", "fi", "{", "}", "done"]
    );
    let s = p("{ echo }; }");
    let Node::Group(list, _) = &s.body[0] else {
        panic!()
    };
    assert_eq!(simple(&list[0]).argv(), ["echo", "}"]);
    let s = p("{ echo hi;}");
    assert!(matches!(s.body[0], Node::Group(..)));
    let s = p("\"if\" x");
    assert_eq!(simple(&s.body[0]).argv(), ["if", "x"]);
    let s = p("X=1 if");
    assert_eq!(simple(&s.body[0]).argv(), ["if"]);
}

#[test]
fn assignment_detection() {
    let s = p("A=1 B[2]=x C+=y cmd D=2 '-E=3'");
    let c = simple(&s.body[0]);
    assert_eq!(c.assignments.len(), 3);
    assert_eq!(c.argv(), ["cmd", "D=2", "-E=3"]);
    let s = p("\"A\"=1 cmd");
    assert_eq!(simple(&s.body[0]).assignments.len(), 0);
    let s = p("X=1");
    let f = only_final(&s);
    assert!(f.command.unwrap().words.is_empty());
    assert!(!can_shell_exec_implicitly(&s));
}

#[test]
fn redirect_first_and_compound_redirects() {
    let s = p(">/dev/null 2>&1 node app");
    let c = simple(&s.body[0]);
    assert_eq!(c.argv(), ["node", "app"]);
    assert_eq!(c.redirects.len(), 2);
    let src = "if true; then :; fi > /dev/null 2>&1";
    let s = p(src);
    assert_eq!(s.body[0].span().slice(src), src);
    let src = "{ a; b; } >log";
    assert_eq!(p(src).body[0].span(), Span::new(0, src.len()));
}

#[test]
fn tricky_quoting() {
    let s = p(r#"echo "${a:-"}"}" "$(echo ")")" "a\"b\\c\d" ${x//\}/y}"#);
    assert_eq!(
        simple(&s.body[0]).argv(),
        [
            "echo",
            "${a:-\"}\"}",
            "$(echo \")\")",
            "a\"b\\c\\d",
            "${x//\\}/y}"
        ]
    );
    let s = p("echo `echo \\`date\\``; echo \"`echo a`\"");
    assert_eq!(s.body.len(), 2);
    let s = p("echo ${#}; echo $ ; echo $; echo ${a[@]} ${!b}");
    assert_eq!(s.body.len(), 4);
}

#[test]
fn utf8_words_and_spans() {
    let src = "echo héllo \"wörld\" 'ü'";
    let s = p(src);
    let c = simple(&s.body[0]);
    assert_eq!(c.argv(), ["echo", "héllo", "wörld", "ü"]);
    assert_eq!(c.words[2].span.slice(src), "\"wörld\"");
    assert_eq!(c.span.slice(src), src);
}

#[test]
fn crlf_script() {
    let s = p("#!/bin/sh\r\nset -e\r\nif true; then\r\n  :\r\nfi\r\nexec node app\r\n");
    assert!(is_exec_tail(&s));
    assert_eq!(argvs(&s)[0], v(&["set", "-e"]));
}

#[test]
fn empty_inputs() {
    for src in [
        "",
        "   ",
        "\n\n",
        "# only a comment",
        "#!/bin/sh\n# x\n",
        ";",
    ] {
        if src == ";" {
            assert!(parse(src).is_err());
            continue;
        }
        let s = p(src);
        assert!(s.body.is_empty());
        assert!(final_commands(&s).is_empty());
        assert!(!is_exec_tail(&s));
        assert!(!can_shell_exec_implicitly(&s));
        assert!(traps_signal(&s).is_none());
    }
}

// ----- analyses --------------------------------------------------------------------------------

#[test]
fn implicit_exec_rules() {
    use ImplicitExecShell::*;
    // (src, bash, busybox) — checked against bash 5.2 and busybox 1.35 with /proc/PID/comm
    let cases: &[(&str, bool, bool)] = &[
        ("sleep 2", true, true),
        ("true; sleep 2", true, true),
        ("true && sleep 2", true, true),
        ("false || sleep 2", true, true),
        ("sleep 2 >/dev/null", false, true),
        ("trap 'echo x' TERM; sleep 2", false, false),
        ("trap 'echo x' EXIT; sleep 2", false, false),
        ("trap '' USR1; sleep 2", true, true),
        ("trap - TERM; sleep 2", true, true),
        ("X=1 sleep 2", true, true),
        ("{ true; sleep 2; }", false, true),
        ("(sleep 2)", false, true),
        ("if true; then sleep 2; fi", false, false),
        ("if true; then sleep 2; else sleep 3; fi", false, true),
        ("case x in x) sleep 2;; *) sleep 3;; esac", false, true),
        ("! sleep 2", false, false),
        ("f() { :; }; sleep 2", true, true),
        ("f() { sleep 2; }; f", false, false),
        ("true & sleep 2", false, true),
        ("sleep 2 <<EOF\nx\nEOF", false, false),
        ("true && sleep 2 && true", false, false),
        ("wait", false, false),
        ("exec sleep 2", true, true),
        ("trap 'x' TERM; exec sleep 2", true, true),
        // A final subshell: bash (5.2.15) forks it and waits, even when it execs; busybox
        // runs it in its own process (checked as PID 1 of a PID namespace).
        ("(exec sleep 2)", false, true),
        ("( (sleep 2) )", false, true),
        ("true && (exec sleep 2)", false, true),
        ("(cd / && exec sleep 2)", false, true),
        ("(sleep 2; echo x)", false, false),
        ("sleep 2; echo x", false, false),
    ];
    for &(src, bash, busybox) in cases {
        let s = p(src);
        assert_eq!(shell_execs_final_command(&s, Bash), bash, "bash: {src}");
        assert_eq!(
            shell_execs_final_command(&s, BusyboxAsh),
            busybox,
            "busybox: {src}"
        );
        assert_eq!(can_shell_exec_implicitly(&s), bash && busybox, "{src}");
        assert_eq!(
            shell_execs_final_command(&s, Dash),
            src.starts_with("exec") || src.contains("; exec"),
            "dash: {src}"
        );
    }
}

#[test]
fn trap_variants() {
    let yes = [
        "trap 'x' TERM",
        "trap x SIGTERM",
        "trap x 15",
        "trap -- 'x' INT",
        "trap '' term",
        "trap cleanup EXIT",
        "trap cleanup 0",
        "f() { trap 'kill $p' QUIT; }",
        "if true; then trap x HUP INT; fi",
    ];
    for src in yes {
        assert!(traps_signal(&p(src)).is_some(), "{src}");
    }
    let no = [
        "trap - TERM",
        "trap -p",
        "trap -l",
        "trap",
        "trap x USR1",
        "echo trap x TERM",
        "x=$(trap 'y' TERM)",
        "trap 15",
    ];
    for src in no {
        assert!(traps_signal(&p(src)).is_none(), "{src}");
    }
    let s = p("trap 'a' SIGINT 2 term");
    assert_eq!(traps(&s)[0].signals, ["INT", "INT", "TERM"]);
}

#[test]
fn all_simple_commands_in_source_order() {
    let s = p("if a; then b | c; fi; f() { d; }; while e; do g & done; case x in y) h;; esac; (i) && { j; }");
    let names: Vec<_> = all_simple_commands(&s).map(|c| c.argv()[0]).collect();
    assert_eq!(names, ["a", "b", "c", "d", "e", "g", "h", "i", "j"]);
}

#[test]
fn chain_before_pipeline_and_background() {
    let s = p("a; b & c | exec d");
    let f = only_final(&s);
    assert_eq!(f.kind, FinalKind::Pipeline);
    let before: Vec<_> = chain_before(&s, &f).iter().map(|c| c.argv()[0]).collect();
    assert_eq!(before, ["a", "b"]);
    let s = p("a || b && c");
    let f = only_final(&s);
    let before: Vec<_> = chain_before(&s, &f).iter().map(|c| c.argv()[0]).collect();
    assert_eq!(before, ["a", "b"]);
}

#[test]
fn split_words_argv() {
    let w =
        split_words("/usr/bin/node --max-old-space-size=512 \"my app.js\" 'x y' $HOME").unwrap();
    let v: Vec<_> = w.iter().map(|w| w.value.as_str()).collect();
    assert_eq!(
        v,
        [
            "/usr/bin/node",
            "--max-old-space-size=512",
            "my app.js",
            "x y",
            "$HOME"
        ]
    );
    assert!(w[4].has_expansion);
    assert!(split_words("").unwrap().is_empty());
    assert!(split_words("a; b").is_err());
    assert!(split_words("a | b").is_err());
    assert!(split_words("a >x").is_err());
    assert!(split_words("a\nb").is_err());
    let e = split_words("a 'b").unwrap_err();
    assert_eq!(e.span, Span::new(2, 4));
}

// ----- errors ----------------------------------------------------------------------------------

#[test]
fn syntax_errors_have_spans() {
    let cases: &[(&str, &str)] = &[
        ("a &&", "end of input"),
        ("fi", "`fi`"),
        ("if true; then echo", "expected `fi`"),
        (")", "`)`"),
        (";;", "`;;`"),
        ("a | | b", "`|`"),
        ("a ; ; b", "`;`"),
        ("echo 'open", "single quote"),
        ("echo \"open", "double quote"),
        ("echo $(open", "command substitution"),
        ("echo ${open", "${"),
        ("echo `open", "quote"),
        ("cat <", "expected a word"),
        ("( a", "expected `)`"),
        ("{ a", "expected `}`"),
        ("case x in a) b", "esac"),
        ("for x in a b", "end of input"),
        ("for x in a b; echo", "`do`"),
        ("while a; do b", "`done`"),
        ("echo a (b)", "`(`"),
        ("[[ a == b", "unterminated `[[`"),
        ("f() ", "end of input"),
    ];
    for (src, want) in cases {
        let e = err(src);
        assert!(e.message.contains(want), "{src}: {e}");
        assert!(
            e.span.end <= src.len() && e.span.start <= e.span.end,
            "{src}: {e:?}"
        );
    }
    assert_eq!(err("echo ok; fi").span, Span::new(9, 11));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let n = 10_000;
    let inputs = [
        format!("{}{}", "(".repeat(n), ")".repeat(n)),
        format!("{}:{}", "( ".repeat(n), " )".repeat(n)),
        "if true; then ".repeat(n) + &"fi; ".repeat(n),
        "{ ".repeat(n) + &"}; ".repeat(n),
        format!("echo {}x{}", "$(".repeat(n), ")".repeat(n)),
        format!("echo {}x{}", "\"$(echo ".repeat(n), ")\"".repeat(n)),
        format!("echo {}x{}", "${a:-".repeat(n), "}".repeat(n)),
        format!("echo {}", "$((".repeat(n)),
        "while true; do ".repeat(n) + &"done; ".repeat(n),
        "f() ".repeat(n) + "{ :; }",
        "case x in x) ".repeat(n),
        "! ".repeat(n) + "true",
        "a && ".repeat(n) + "b",
        "a | ".repeat(n) + "b",
        "<(".repeat(n),
        "[[ ".repeat(n),
        format!("a=({})", "(".repeat(n)),
    ];
    for src in &inputs {
        // Must return (Ok for the flat ones, Err for the deep ones) without overflowing.
        let _ = parse(src);
    }
    // `((((…))))` is a (deep but flat) arithmetic command, as in bash
    assert!(parse(&inputs[0]).is_ok());
    assert!(err(&inputs[1]).message.contains("nesting"));
    assert!(err(&inputs[2]).message.contains("nesting"));
    assert!(parse(&inputs[12]).is_ok());
    assert!(parse(&inputs[13]).is_ok());
    // 90 levels are fine
    let ok = format!("{}exec node{}", "( ".repeat(90), " )".repeat(90));
    assert!(parse(&ok).is_ok());
}

#[test]
fn garbage_never_panics() {
    let alphabet: &[&str] = &[
        "(", ")", "{", "}", "$", "$(", "${", "`", "'", "\"", "\\", "\n", ";", ";;", "&", "|", "<",
        "<<", "<<-", "EOF", ">", "&>", " ", "#", "if", "then", "fi", "case", "in", "esac", "do",
        "done", "for", "[[", "]]", "((", "))", "=", "a", "x=", "*", "é", "\t", "\r\n", "function",
        "!", "exec", "$'", "=~",
    ];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..3000 {
        let mut s = String::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 40) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            s.push_str(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        if let Ok(script) = parse(&s) {
            let _ = final_commands(&script);
            let _ = is_exec_tail(&script);
            let _ = can_shell_exec_implicitly(&script);
            let _ = traps_signal(&script);
            for f in final_commands(&script) {
                let _ = chain_before(&script, &f);
            }
            for c in all_simple_commands(&script) {
                assert!(c.span.end <= s.len());
                for w in &c.words {
                    assert!(w.span.start <= w.span.end && w.span.end <= s.len());
                }
            }
        }
        let _ = split_words(&s);
    }
}

#[test]
fn every_prefix_of_a_script_is_handled() {
    let src = ENTRYPOINT;
    for (i, _) in src.char_indices() {
        let prefix = &src[..i];
        if let Ok(s) = parse(prefix) {
            let _ = final_commands(&s);
        }
    }
}

#[test]
fn large_flat_script_is_fast() {
    let src = "echo \"$x\" | grep y && z=$(a) || exec b\n".repeat(20_000);
    let t = std::time::Instant::now();
    let s = p(&src);
    assert_eq!(s.body.len(), 20_000);
    assert!(t.elapsed().as_secs() < 10);
}

#[test]
fn more_than_max_words_is_an_error_at_the_first_word_over() {
    let fits = "a;".repeat(MAX_WORDS);
    assert_eq!(p(&fits).body.len(), MAX_WORDS);
    let over = format!("{fits}é");
    let e = err(&over);
    assert_eq!(
        e.message,
        format!("more than {MAX_WORDS} words (shutdownlint's limit)")
    );
    assert_eq!(e.span.slice(&over), "é");
    let words = format!("echo {}", "a ".repeat(MAX_WORDS));
    assert!(err(&words).message.contains("shutdownlint's limit"));
    assert!(split_words(&words).is_err());
    assert!(split_words(&"a ".repeat(MAX_WORDS)).is_ok());
}

#[test]
fn a_nesting_error_at_a_multi_byte_character_covers_the_character() {
    // Found by the shell fuzz target: the 101st level is a function `\u{FFFD}()` (an invalid
    // byte read as U+FFFD), and the error's span ended inside that character.
    let src = format!("{}\u{FFFD}() {{ :; }}", "f() ".repeat(MAX_NESTING));
    let e = err(&src);
    assert!(e.message.contains("nesting"), "{e:?}");
    assert!(
        src.is_char_boundary(e.span.start) && src.is_char_boundary(e.span.end),
        "{e:?}"
    );
    assert_eq!(e.span.slice(&src), "\u{FFFD}");
}

#[test]
fn program_before_trailing_builtins_steps_back_over_quick_builtins() {
    let program = |src: &str| {
        let s = p(src);
        let finals = final_commands(&s);
        let fin = finals.last().copied()?;
        let fin = match fin.node {
            Node::Subshell(list, _) => final_commands_in(&s, list).last().copied()?,
            _ => fin,
        };
        program_before_trailing_builtins(&s, &fin).map(|b| b.command.argv().join(" "))
    };
    let found = [
        ("node server.js; echo stopped", "node server.js"),
        ("node server.js || exit 1", "node server.js"),
        (
            "gunicorn app; s=$?; echo \"exit $s\"; exit $s",
            "gunicorn app",
        ),
        (
            "./migrate && node server.js; echo stopped",
            "node server.js",
        ),
        ("{ node a.js; }; true", "node a.js"),
        ("(node server.js); echo stopped", "node server.js"),
        ("(node server.js; echo x)", "node server.js"),
        ("node a.js && echo ok || echo failed", "node a.js"),
        (
            "if [ -n \"$X\" ]; then node a.js; echo done; fi",
            "node a.js",
        ),
        ("exec >/dev/null; node a.js; exec 2>&1", "node a.js"),
    ];
    for (src, want) in found {
        assert_eq!(program(src).as_deref(), Some(want), "{src}");
    }
    let none = [
        "node server.js",
        "echo hi",
        "exec node server.js; echo stopped",
        "node server.js & echo started",
        "node server.js | tee log; echo x",
        "node server.js; wait",
        "node server.js; read x; echo x",
        "f() { node a.js; }; f; echo done",
        "node a.js; if true; then echo x; fi",
        "while :; do node a.js; done; echo x",
        "node a.js; if true; then echo x; fi; echo y",
        "case $x in a) node a.js;; esac; echo x",
        "node a.js; sleep 5",
    ];
    for src in none {
        assert_eq!(program(src), None, "{src}");
    }
}

#[test]
fn old_bash_execs_only_a_single_simple_command() {
    let old = |src: &str| old_bash_execs_final_command(&p(src), src);
    // One line, one simple command: every bash execs it.
    assert!(old("gunicorn app.wsgi"));
    assert!(old("FOO=1 gunicorn app.wsgi"));
    // A list on one line: only bash 5.1 and later exec its last command.
    for list in [
        "./prestart.sh && gunicorn app.wsgi",
        "./prestart.sh; gunicorn app.wsgi",
        "./prestart.sh || true; gunicorn app.wsgi",
        "set -e; gunicorn app.wsgi",
    ] {
        assert!(!old(list), "{list}");
        assert!(
            shell_execs_final_command(&p(list), ImplicitExecShell::Bash),
            "{list}"
        );
    }
    // bash < 5.1 parses the string line by line: a last line of its own is exec'd.
    assert!(old("./prestart.sh\ngunicorn app.wsgi\n"));
    assert!(old("./prestart.sh;\ngunicorn app.wsgi"));
    assert!(!old("./prestart.sh &&\ngunicorn app.wsgi"));
    // An explicit exec always counts; what no bash execs stays so.
    assert!(old("./prestart.sh && exec gunicorn app.wsgi"));
    assert!(!old("gunicorn app.wsgi > /tmp/log"));
    assert!(!old("gunicorn app.wsgi | tee log"));
    assert!(!old("trap 'echo bye' TERM\ngunicorn app.wsgi"));
    assert!(!old("gunicorn app.wsgi\nf() { :; }"));
}

#[test]
fn compound_redirections_are_kept_where_their_command_starts() {
    let src = "cd /a && { cd /b; ( echo x ) 2>/dev/null; } > out; for i in 1; do :; done >>log; \
               echo ${V} > v; echo $(date)>d; [[ -n x ]] > t";
    let s = p(src);
    let kept: Vec<(&str, &str, &str)> = s
        .compound_redirections
        .iter()
        .map(|r| {
            let start = src.get(r.command_start..).unwrap_or_default();
            let word = start.split_whitespace().next().unwrap_or_default();
            (
                word,
                r.redirect.op.as_str(),
                r.redirect.target.value.as_str(),
            )
        })
        .collect();
    assert_eq!(
        kept,
        [
            ("{", ">", "out"),
            ("(", ">", "/dev/null"),
            ("for", ">>", "log")
        ]
    );
    assert!(s
        .compound_redirections
        .iter()
        .all(|r| r.redirect.op.writes()));
    // `${…}` and `$(…)` close no compound command; `[[` keeps its own.
    let simple_targets: Vec<&str> = all_simple_commands(&s)
        .flat_map(|c| c.redirections.iter().map(|r| r.target.value.as_str()))
        .collect();
    assert_eq!(simple_targets, ["v", "d", "t"]);
}
