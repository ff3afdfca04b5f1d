//! Dockerfile → deploy model: the image built by the final stage (following `FROM <stage>`
//! chains), its effective ENTRYPOINT + CMD as Docker composes them, its stop signal, its shell,
//! and the files it copies from the build context.

use crate::diagnostic::Location;
use crate::formats::dockerfile::{CommandForm, Dockerfile, Instruction, Stage};
use crate::formats::Fragment;
use crate::lower::images::{self, ImageName};
use crate::model::{
    Command, CommandSource, CommandWord, Fact, Form, Image, ImageCopy, Platform, Process,
    ProcessRole, ShellEnv, ShellFamily, Signal, Workload,
};
use crate::source::FileId;
use crate::span::{MappedText, Span};

/// The Dockerfile state that the final image ends up with.
#[derive(Default)]
struct Effective<'a> {
    shell: Option<(&'a Instruction, Vec<String>)>,
    entrypoint: Option<&'a Instruction>,
    cmd: Option<&'a Instruction>,
    /// CMD/ENTRYPOINT come from the base image (not reset by an ENTRYPOINT).
    inherit_base_command: bool,
    stop_signal: Option<&'a Instruction>,
    copies: Vec<ImageCopy>,
    healthcheck: bool,
}

/// Lower a parsed Dockerfile into one Docker workload and its image.
pub fn lower(
    file: FileId,
    dockerfile: &Dockerfile,
    context_dir: Option<&std::path::Path>,
    file_name: Option<&str>,
) -> Fragment {
    let mut fragment = Fragment::default();
    let stages = dockerfile.stages();
    let Some(final_stage) = stages.last() else {
        return fragment;
    };
    let chain = stage_chain(&stages, final_stage.index);
    let root = chain
        .first()
        .and_then(|&i| stages.get(i))
        .unwrap_or(final_stage);
    let base_written = root.base.expanded.value.clone();
    let base = if root.base.expanded.is_resolved() {
        ImageName::parse(&base_written)
    } else {
        None
    };
    let base_location = Location::new(file, root.base.span);

    // WORKDIR carries over into stages built `FROM` an earlier stage.
    let mut workdir = String::from("/");
    let mut state = Effective {
        inherit_base_command: true,
        ..Effective::default()
    };
    for &stage_index in &chain {
        let Some(stage) = stages.get(stage_index) else {
            continue;
        };
        let mut cmd_set_here = false;
        for instruction in dockerfile
            .instructions
            .get(stage.instructions.clone())
            .unwrap_or(&[])
        {
            match instruction.keyword.as_str() {
                "SHELL" => {
                    if let CommandForm::Exec { args, .. } = instruction.command_form() {
                        let words = args.iter().map(|a| a.text.text.clone()).collect();
                        state.shell = Some((instruction, words));
                    }
                }
                "ENTRYPOINT" => {
                    state.entrypoint = Some(instruction);
                    if !cmd_set_here {
                        // Docker: setting ENTRYPOINT resets a CMD inherited from the base.
                        state.cmd = None;
                        state.inherit_base_command = false;
                    }
                }
                "CMD" => {
                    state.cmd = Some(instruction);
                    cmd_set_here = true;
                }
                "STOPSIGNAL" => state.stop_signal = Some(instruction),
                "HEALTHCHECK" => {
                    state.healthcheck = !instruction
                        .args
                        .as_str()
                        .trim()
                        .eq_ignore_ascii_case("none");
                }
                "WORKDIR" => {
                    if let Some(word) = instruction.words().first() {
                        workdir = join_path(&workdir, &word.value);
                    }
                }
                "COPY" | "ADD"
                    if instruction.flag("from").is_none() && instruction.heredocs.is_empty() =>
                {
                    if let Some(copy) = image_copy(file, instruction, &workdir) {
                        state.copies.push(copy);
                    }
                }
                _ => {}
            }
        }
    }

    let base_defaults = base.as_ref().map(images::defaults_of);
    let shell = match &state.shell {
        // `SHELL ["/bin/sh", "-c"]` is the image's /bin/sh again.
        Some((_, words))
            if words
                .first()
                .is_some_and(|w| crate::shell::commands::program_name(w) == "sh") =>
        {
            ShellEnv {
                location: Some(base_location),
                ..images::shell_of(base.as_ref(), &base_written)
            }
        }
        Some((instruction, words)) => ShellEnv {
            location: Some(Location::new(file, instruction.span)),
            ..shell_from_instruction(words)
        },
        // `# escape=`` is the Windows convention (backslashes are path separators there).
        None if dockerfile.escape == '`' => ShellEnv {
            family: ShellFamily::NotPosix,
            reason: "``# escape=` `` marks a Windows Dockerfile".into(),
            assumed: false,
            location: Some(base_location),
        },
        None => ShellEnv {
            location: Some(base_location),
            ..images::shell_of(base.as_ref(), &base_written)
        },
    };
    let command = effective_command(
        file,
        &state,
        base_defaults.as_ref(),
        &base_written,
        base_location,
    );

    let stop_signal = match state.stop_signal {
        Some(instruction) => {
            let words = instruction.words();
            words.first().and_then(|w| {
                Signal::parse(&w.value).map(|signal| Fact::at(signal, Location::new(file, w.span)))
            })
        }
        None => base_defaults
            .as_ref()
            .and_then(|d| d.stop_signal.clone())
            .map(|signal| Fact {
                value: signal,
                location: Some(base_location),
                note: Some(format!("set by the base image `{base_written}`")),
            }),
    };

    let name = final_stage
        .name
        .as_ref()
        .map_or_else(|| "image".to_string(), |(n, _)| format!("stage {n}"));
    let workload = Workload {
        platform: Platform::Docker,
        name,
        location: Location::new(file, final_stage_from_span(dockerfile, final_stage)),
        processes: vec![Process {
            image: Some(0),
            ..Process::new("main", ProcessRole::Main, command, shell)
        }],
        stop_signal: stop_signal.map(Box::new),
        base_image: (!base_written.is_empty())
            .then(|| Box::new(Fact::at(base_written.clone(), base_location))),
        image: Some(0),
        kill_deadline: None,
        drain_annotation: None,
        kubernetes: None,
        compose: None,
        systemd: None,
        process_type: None,
        dockerfile_ref: None,
    };
    fragment.workloads.push(workload);
    fragment.images.push(Image {
        dockerfile: file,
        path: context_dir.zip(file_name).map(|(dir, name)| dir.join(name)),
        context_dir: context_dir.map(std::path::Path::to_path_buf),
        copies: state.copies,
        healthcheck: state.healthcheck,
        workdir,
        workload: 0,
    });
    fragment
}

/// Stage indices from the root (an external image) to `last`, following `FROM <stage>`.
fn stage_chain(stages: &[Stage], last: usize) -> Vec<usize> {
    let mut chain = vec![last];
    let mut current = last;
    while let Some(parent) = stages.get(current).and_then(|s| s.base.stage) {
        if parent >= current || chain.len() > stages.len() {
            break;
        }
        chain.push(parent);
        current = parent;
    }
    chain.reverse();
    chain
}

fn final_stage_from_span(dockerfile: &Dockerfile, stage: &Stage) -> Span {
    dockerfile
        .instructions
        .get(stage.from_instruction)
        .map_or(stage.base.span, |i| i.keyword_span.join(stage.base.span))
}

fn shell_from_instruction(words: &[String]) -> ShellEnv {
    let program = words
        .first()
        .map_or("", |w| crate::shell::commands::program_name(w));
    let family = match program {
        "bash" => ShellFamily::Bash,
        "ash" | "busybox" => ShellFamily::Busybox,
        "dash" => ShellFamily::Dash,
        "zsh" => ShellFamily::Bash,
        _ => ShellFamily::NotPosix,
    };
    ShellEnv {
        family,
        reason: format!("SHELL sets `{}`", words.join(" ")),
        assumed: false,
        location: None,
    }
}

/// A word the platform adds (`/bin/sh`, `-c`), mapped onto the instruction keyword.
fn synthesized_word(file: FileId, text: &str, at: Span, source: usize) -> CommandWord {
    let mut builder = MappedText::builder();
    for c in text.chars() {
        builder.push_char(c, at);
    }
    CommandWord {
        text: builder.finish(),
        file,
        source,
        synthesized: true,
    }
}

fn written_word(file: FileId, text: MappedText, source: usize) -> CommandWord {
    CommandWord {
        text,
        file,
        source,
        synthesized: false,
    }
}

/// Append an instruction's command (exec form words, or shell + the string) to `command`.
fn push_instruction(
    command: &mut Command,
    file: FileId,
    what: &'static str,
    instruction: &Instruction,
    shell_words: &[String],
) -> Form {
    let form = instruction.command_form();
    let source = command.sources.len();
    let (form_kind, location) = match &form {
        CommandForm::Exec { span, .. } => (
            Form::Exec,
            Location::new(file, instruction.keyword_span.join(*span)),
        ),
        CommandForm::Shell(text) => (
            Form::Shell,
            Location::new(file, instruction.keyword_span.join(text.full_source_span())),
        ),
    };
    command.sources.push(CommandSource {
        what,
        form: form_kind,
        location,
        inherited_from: None,
    });
    match form {
        CommandForm::Exec { args, .. } => {
            for arg in args {
                command.words.push(written_word(file, arg.text, source));
            }
        }
        CommandForm::Shell(text) => {
            for word in shell_words {
                command.words.push(synthesized_word(
                    file,
                    word,
                    instruction.keyword_span,
                    source,
                ));
            }
            command.words.push(written_word(file, text, source));
        }
    }
    form_kind
}

fn effective_command(
    file: FileId,
    state: &Effective<'_>,
    base_defaults: Option<&images::ImageDefaults>,
    base_written: &str,
    base_location: Location,
) -> Option<Command> {
    let shell_words: Vec<String> = match &state.shell {
        Some((_, words)) => words.clone(),
        None => vec!["/bin/sh".into(), "-c".into()],
    };
    let mut command = Command::default();
    if let Some(entrypoint) = state.entrypoint {
        let form = push_instruction(&mut command, file, "ENTRYPOINT", entrypoint, &shell_words);
        if form == Form::Shell {
            // Shell-form ENTRYPOINT ignores CMD.
            return Some(command);
        }
    }
    if let Some(cmd) = state.cmd {
        push_instruction(&mut command, file, "CMD", cmd, &shell_words);
    } else if state.entrypoint.is_none() && state.inherit_base_command {
        // Nothing set here: the base image's command runs, when we know it.
        let defaults = base_defaults?;
        let words = defaults.command?;
        command.sources.push(CommandSource {
            what: "CMD",
            form: Form::Exec,
            location: base_location,
            inherited_from: Some(base_written.to_string()),
        });
        for word in words {
            command
                .words
                .push(synthesized_word(file, word, base_location.span, 0));
        }
    }
    (!command.words.is_empty()).then_some(command)
}

fn join_path(base: &str, path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else if base.ends_with('/') {
        format!("{base}{path}")
    } else {
        format!("{base}/{path}")
    }
}

/// A COPY/ADD from the build context: sources and the absolute destination.
fn image_copy(file: FileId, instruction: &Instruction, workdir: &str) -> Option<ImageCopy> {
    let words = instruction.words();
    let (destination, sources) = words.split_last()?;
    if sources.is_empty() {
        return None;
    }
    let mut destination_path = join_path(workdir, &destination.value);
    if (sources.len() > 1 || destination.value.ends_with('/') || destination.value == ".")
        && !destination_path.ends_with('/')
    {
        destination_path.push('/');
    }
    Some(ImageCopy {
        sources: sources.iter().map(|w| w.value.clone()).collect(),
        destination: normalize(&destination_path),
        location: Location::new(file, instruction.span),
    })
}

/// Remove `.` and `..` components of an absolute path, keeping a trailing `/`.
pub fn normalize(path: &str) -> String {
    let trailing = path.ends_with('/') || path.ends_with("/.");
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = format!("/{}", parts.join("/"));
    if trailing && out != "/" {
        out.push('/');
    }
    out
}
