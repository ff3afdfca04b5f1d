//! The Dockerfile parser: lines, directives, continuations, heredocs, flags, JSON arrays,
//! variable expansion, stages; every span it hands out must fit the text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shutdownlint::formats::dockerfile::{self, CommandForm, Instruction};
use shutdownlint_fuzz::{check_mapped, check_span, text};

fn check_instruction(text: &str, instruction: &Instruction) {
    check_span(text, instruction.keyword_span, "keyword");
    check_span(text, instruction.span, "instruction");
    check_mapped(text, &instruction.args, "args");
    for flag in &instruction.flags {
        check_span(text, flag.span, "flag");
    }
    for heredoc in &instruction.heredocs {
        check_span(text, heredoc.marker, "heredoc marker");
        check_span(text, heredoc.span, "heredoc");
        check_mapped(text, &heredoc.body, "heredoc body");
    }
    match instruction.command_form() {
        CommandForm::Exec { args, span } => {
            check_span(text, span, "exec form");
            for arg in &args {
                check_span(text, arg.span, "exec arg");
                check_mapped(text, &arg.text, "exec arg");
            }
        }
        CommandForm::Shell(mapped) => check_mapped(text, &mapped, "shell form"),
    }
    for word in instruction.words() {
        check_span(text, word.span, "word");
        check_mapped(text, &word.raw, "word");
        let lookup = |name: &str| name.len().is_multiple_of(2).then(|| name.repeat(2));
        let _ = dockerfile::expand(word.raw.as_str(), instruction.escape, &lookup);
    }
    for pair in instruction.key_values() {
        check_span(text, pair.key_span, "key");
        check_span(text, pair.span, "pair");
    }
    if let Some(inner) = &instruction.onbuild {
        check_instruction(text, inner);
    }
}

fuzz_target!(|data: &[u8]| {
    let text = text(data);
    match dockerfile::parse(&text) {
        Ok(parsed) => {
            for instruction in &parsed.instructions {
                check_instruction(&text, instruction);
            }
            for directive in &parsed.directives {
                check_span(&text, directive.span, "directive");
                check_span(&text, directive.value_span, "directive value");
            }
            for comment in &parsed.comments {
                check_span(&text, *comment, "comment");
            }
            for arg in parsed.global_args() {
                check_span(&text, arg.name_span, "global arg");
            }
            for stage in parsed.stages() {
                check_span(&text, stage.base.span, "FROM image");
                assert!(stage.instructions.end <= parsed.instructions.len());
            }
        }
        Err(e) => check_span(&text, e.span, "parse error"),
    }
    // The syntax-only stage accepts more (fragments); it must hold up too.
    if let Ok(parsed) = dockerfile::parse_syntax(&text) {
        for instruction in &parsed.instructions {
            check_instruction(&text, instruction);
        }
    }
});
