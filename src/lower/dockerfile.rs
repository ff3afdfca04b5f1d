//! Dockerfile → deploy model: the image built by the final stage (following `FROM <stage>`
//! chains), its effective ENTRYPOINT + CMD as Docker composes them, its stop signal, its shell,
//! and the files it copies from the build context.

use crate::diagnostic::Location;
use crate::formats::dockerfile::{
    self, CommandForm, Dockerfile, GlobalArg, Instruction, Stage, Substituted, Word,
};
use crate::formats::{Fragment, ParseFailure};
use crate::lower::images::{self, ImageName};
use crate::model::{
    BaseArgs, Command, CommandSource, CommandWord, CopyDestination, EnvVar, Fact, Form, Image,
    ImageCopy, NginxPackage, PathArgs, Platform, Process, ProcessRole, ShellEnv, ShellFamily,
    Signal, Workload,
};
use crate::source::FileId;
use crate::span::{MappedText, Span};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The Dockerfile state that the final image ends up with.
#[derive(Default)]
struct Effective<'a> {
    shell: Option<(&'a Instruction, Vec<String>)>,
    entrypoint: Option<&'a Instruction>,
    cmd: Option<&'a Instruction>,
    /// CMD/ENTRYPOINT come from the base image (not reset by an ENTRYPOINT).
    inherit_base_command: bool,
    stop_signal: Option<Fact<Signal>>,
    copies: Vec<ImageCopy>,
    /// Where COPYs from elsewhere than the context put their files (see [`Image::other_copies`]).
    other_copies: Vec<Option<String>>,
    /// See [`Image::unknown_files`].
    unknown_files: bool,
    /// The working directory as the COPYs under it share it, made at the first of them.
    shared_workdir: Option<Arc<str>>,
    /// Bytes of shared working directories still to be made (see [`MAX_SHARED_WORKDIR_BYTES`]).
    workdir_budget: usize,
    healthcheck: bool,
    /// The nginx package a RUN installed (see [`Image::nginx_package`]).
    nginx_package: Option<NginxPackage>,
    /// A RUN named nginx.org's repository (whose packages lay nginx out otherwise).
    other_nginx_repository: bool,
    /// The build arguments the working directory was read with (see [`Image::path_args`]).
    workdir_args: Vec<String>,
    /// See [`Image::path_args`].
    path_args: PathArgs,
    /// The arguments [`Effective::path_decided_by`] noted last (COPYs under one working
    /// directory name the same): noted again at no cost.
    last_path_args: Vec<String>,
}

impl Effective<'_> {
    /// Note that the build arguments `args` (with their defaults in `scope`) decided a place:
    /// `false` when past [`MAX_PATH_ARGS`] (the place is then to be taken as unknown).
    fn path_decided_by(&mut self, args: &[String], scope: &Scope) -> bool {
        if args == self.last_path_args.as_slice() {
            return true;
        }
        for name in args {
            if self.path_args.names.iter().any(|(n, _)| n == name) {
                continue;
            }
            if self.path_args.names.len() >= MAX_PATH_ARGS {
                return false;
            }
            let default = scope
                .args
                .get(name)
                .and_then(|v| v.as_ref().map(|v| v.text.clone()));
            self.path_args.names.push((name.clone(), default));
        }
        self.last_path_args = args.to_vec();
        true
    }
}

/// Build arguments kept for the places of one Dockerfile (see [`Image::path_args`]); past them
/// a place another one decides is unknown.
const MAX_PATH_ARGS: usize = 256;

/// Linux's `PATH_MAX`, the terminating NUL counted: no longer path can be created or entered,
/// so a `WORKDIR` naming one fails the build.
const PATH_MAX: usize = 4096;

/// Linux's `NAME_MAX`: no longer file name can exist.
const NAME_MAX: usize = 255;

/// Bytes of working directories kept for one Dockerfile's COPY destinations (the COPYs under
/// one working directory share it); past them a destination under a new one is unknown. Each is
/// under [`PATH_MAX`] bytes, but thousands of WORKDIRs of thousands of bytes, each followed by a
/// COPY, would otherwise be kept thousands of times.
pub const MAX_SHARED_WORKDIR_BYTES: usize = 16 << 20;

/// Lower a parsed Dockerfile into one Docker workload and its image.
pub fn lower(
    file: FileId,
    dockerfile: &Dockerfile,
    context_dir: Option<&std::path::Path>,
    file_name: Option<&std::ffi::OsStr>,
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

    // WORKDIR carries over into stages built `FROM` an earlier stage; `None` once unknown.
    let mut workdir = Some(String::from("/"));
    let mut state = Effective {
        inherit_base_command: true,
        workdir_budget: MAX_SHARED_WORKDIR_BYTES,
        ..Effective::default()
    };
    let global_args = dockerfile.global_args();
    let mut invalid_signal: Option<ParseFailure> = None;
    let mut scope = Scope::default();
    // An ENV, ARG or WORKDIR names nginx (`ENV CONF_DIR=/etc/nginx/conf.d`): a RUN's relative
    // write under a directory the scan does not know (`cd $CONF_DIR`) may be there.
    let dirs_name_nginx = dockerfile.instructions.iter().any(|i| {
        matches!(i.keyword.as_str(), "ENV" | "ARG" | "WORKDIR")
            && (i.args.as_str().contains("nginx") || i.args.as_str().contains("openresty"))
    });
    // Any instruction names nginx (`FROM nginx`, a COPY into /etc/nginx): a RUN's write to a
    // path that starts with a variable the scan does not know (`> $CONF/proxy.conf`) may be
    // under nginx's folders.
    let dockerfile_names_nginx = dockerfile
        .instructions
        .iter()
        .any(|i| i.args.as_str().contains("nginx") || i.args.as_str().contains("openresty"));
    for &stage_index in &chain {
        let Some(stage) = stages.get(stage_index) else {
            continue;
        };
        // ARGs belong to their stage; ENV lives on in the image a later stage is built FROM.
        scope.args.clear();
        let mut cmd_set_here = false;
        for instruction in dockerfile
            .instructions
            .get(stage.instructions.clone())
            .unwrap_or(&[])
        {
            // Docker replaces the stage's ARG/ENV in the sources and destination of COPY and
            // ADD (Dockerfile reference, "Environment replacement").
            let copy_words = matches!(instruction.keyword.as_str(), "COPY" | "ADD")
                .then(|| scope.expanded_words(instruction, dockerfile.escape));
            let (words, word_args) = copy_words.unwrap_or_default();
            state.unknown_files |= may_write_unknown_files(instruction, &words);
            // The build arguments that decide where this COPY puts its files; `None` past
            // [`MAX_VALUE_ARGS`] (the place is then unknown).
            let copy_args = {
                let mut args = word_args;
                let relative = words.last().is_some_and(|w| !w.value.starts_with('/'));
                (!relative || add_args(&mut args, &state.workdir_args)).then_some(args)
            };
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
                "STOPSIGNAL" => {
                    // Docker checks every STOPSIGNAL of the stages it builds, even one that a
                    // later STOPSIGNAL replaces.
                    let (signal, problem) =
                        stop_signal(file, instruction, dockerfile.escape, &scope);
                    if invalid_signal.is_none() {
                        invalid_signal = problem;
                    }
                    state.stop_signal = Some(signal);
                }
                "ENV" | "ARG" => scope.declare(instruction, &global_args, dockerfile.escape),
                "HEALTHCHECK" => {
                    state.healthcheck = !instruction
                        .args
                        .as_str()
                        .trim()
                        .eq_ignore_ascii_case("none");
                }
                "WORKDIR" => {
                    if let Some(word) = instruction.words().first() {
                        // Docker replaces the stage's ARG/ENV in WORKDIR (Dockerfile reference,
                        // "Environment replacement"); a variable the Dockerfile does not set
                        // (`WORKDIR $APP_HOME` of the base image): where it leads is not known.
                        workdir = match scope.expand_word(word, dockerfile.escape) {
                            Some(value) => {
                                if value.text.starts_with('/') {
                                    state.workdir_args.clear();
                                }
                                let kept = add_args(&mut state.workdir_args, &value.args)
                                    && state.path_decided_by(&value.args, &scope);
                                if kept {
                                    change_dir(workdir, &value.text)
                                } else {
                                    None
                                }
                            }
                            None => None,
                        };
                        if workdir.is_none() {
                            state.workdir_args.clear();
                        }
                        state.path_args.workdir = !state.workdir_args.is_empty();
                        state.shared_workdir = None;
                    }
                }
                "COPY" | "ADD"
                    if instruction.flag("from").is_none() && instruction.heredocs.is_empty() =>
                {
                    let before = state.copies.len();
                    image_copies(
                        file,
                        instruction,
                        &words,
                        workdir.as_deref(),
                        &mut state.shared_workdir,
                        &mut state.workdir_budget,
                        &mut state.copies,
                    );
                    if copy_args.as_ref().is_none_or(|a| !a.is_empty()) {
                        let kept = copy_args
                            .as_ref()
                            .is_some_and(|a| state.path_decided_by(a, &scope));
                        for index in before..state.copies.len() {
                            if kept {
                                state.path_args.copies.push(index);
                            } else if let Some(copy) = state.copies.get_mut(index) {
                                copy.destination = None;
                            }
                        }
                    }
                    // The file a COPY of the context puts at a place replaces what an earlier
                    // RUN or COPY --from left there (`RUN sed -i … conf.d/default.conf`, then
                    // `COPY default.conf /etc/nginx/conf.d/default.conf`).
                    if !state.other_copies.is_empty() {
                        let placed: Vec<String> = state
                            .copies
                            .get(before..)
                            .unwrap_or_default()
                            .iter()
                            .filter_map(copied_file_path)
                            .collect();
                        state
                            .other_copies
                            .retain(|place| place.as_ref().is_none_or(|p| !placed.contains(p)));
                    }
                    // `ADD conf.tar.gz /etc/nginx/`: Docker unpacks a local archive there, so
                    // what lands is not known, as for a COPY --from (Dockerfile reference, ADD:
                    // "a local tar archive in a recognized compression format … is unpacked as
                    // a directory").
                    if add_may_unpack(instruction) && state.other_copies.len() < MAX_OTHER_COPIES {
                        let place = if state.other_copies.len() + 1 < MAX_OTHER_COPIES {
                            other_copy_destination(&words, workdir.as_deref())
                        } else {
                            None
                        };
                        let place = place.filter(|_| {
                            copy_args
                                .as_ref()
                                .is_some_and(|a| state.path_decided_by(a, &scope))
                        });
                        state.path_args.other_copies |=
                            copy_args.as_ref().is_none_or(|a| !a.is_empty());
                        if !state.other_copies.contains(&place) {
                            state.other_copies.push(place);
                        }
                    }
                }
                "RUN" => {
                    note_nginx_package(instruction, &mut state, &scope);
                    let lookup = |name: &str| scope.shell_value(name);
                    let named = NginxNamed {
                        run: false,
                        dirs: dirs_name_nginx,
                        dockerfile: dockerfile_names_nginx,
                    };
                    // What a RUN writes under nginx's folders (`printf … >
                    // /etc/nginx/conf.d/proxy.conf`, `sed -i … nginx.conf`, `ln -s` into
                    // `sites-enabled/`) is not read, like a COPY from another stage.
                    // Past [`MAX_OTHER_COPIES`] one unknown place stands for the rest, as for a
                    // COPY --from: a later write (`printf … > conf.d/proxy.conf` after per-site
                    // certificates) is never dropped silently.
                    // A relative write lands under a working directory a build argument decided.
                    state.path_args.other_copies |= !state.workdir_args.is_empty();
                    for place in nginx_run_writes(instruction, workdir.as_deref(), named, &lookup) {
                        if state.other_copies.contains(&place) {
                            continue;
                        }
                        if state.other_copies.len() + 1 < MAX_OTHER_COPIES && place.is_some() {
                            state.other_copies.push(place);
                        } else {
                            if state.other_copies.len() < MAX_OTHER_COPIES {
                                state.other_copies.push(None);
                            }
                            break;
                        }
                    }
                }
                "COPY" | "ADD" => {
                    // From another stage or image, or a here-document: what lands is not known.
                    // Past [`MAX_OTHER_COPIES`] one unknown place stands for the rest.
                    if state.other_copies.len() + 1 < MAX_OTHER_COPIES {
                        let place =
                            other_copy_destination(&words, workdir.as_deref()).filter(|_| {
                                copy_args
                                    .as_ref()
                                    .is_some_and(|a| state.path_decided_by(a, &scope))
                            });
                        state.path_args.other_copies |=
                            copy_args.as_ref().is_none_or(|a| !a.is_empty());
                        state.other_copies.push(place);
                    } else if state.other_copies.len() < MAX_OTHER_COPIES {
                        state.other_copies.push(None);
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
            ..shell_from_instruction(
                words,
                images::shell_of(base.as_ref(), &base_written).old_bash,
            )
        },
        // `# escape=`` is the Windows convention (backslashes are path separators there).
        None if dockerfile.escape == '`' => ShellEnv {
            family: ShellFamily::NotPosix,
            reason: "``# escape=` `` marks a Windows Dockerfile".into(),
            assumed: false,
            location: Some(base_location),
            old_bash: false,
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

    fragment.file_facts.problems.extend(invalid_signal);
    let stop_signal = state.stop_signal.or_else(|| {
        base_defaults
            .as_ref()
            .and_then(|d| d.stop_signal.clone())
            .map(|signal| Fact {
                value: signal,
                location: Some(base_location),
                note: Some(format!("set by the base image `{base_written}`")),
            })
    });

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
            env: scope
                .switches
                .into_iter()
                .map(|(name, value, span)| {
                    EnvVar::new(name, value.map(Into::into), Location::new(file, span))
                })
                .collect(),
            ..Process::new("main", ProcessRole::Main, command, shell)
        }],
        stop_signal: stop_signal.map(std::sync::Arc::new),
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
        other_copies: state.other_copies,
        unknown_files: state.unknown_files,
        healthcheck: state.healthcheck,
        workdir,
        workload: 0,
        final_stage: final_stage.name.as_ref().map(|(name, _)| name.clone()),
        base_args: (root.base.stage.is_none() && root.base.raw.contains('$')).then(|| {
            Box::new(BaseArgs {
                raw: root.base.raw.clone(),
                escape: dockerfile.escape,
                globals: reached_globals(&root.base.raw, dockerfile.escape, &global_args),
            })
        }),
        built_base: None,
        nginx_package: state
            .nginx_package
            .filter(|_| !state.other_nginx_repository),
        path_args: (!state.path_args.names.is_empty()).then(|| Box::new(state.path_args)),
    });
    fragment
}

/// The base image a build makes that sets `args` (`--build-arg`, compose `build.args`; the last
/// setting of a name wins): `None` when a variable it needs is only known to the environment
/// (an arg without a value, an ARG without a default) or the expansion grows past a limit.
pub fn base_with_args(base: &BaseArgs, args: &[(String, Option<String>)]) -> Option<String> {
    // Values substituted, in bytes: a chain of ARGs doubling each other stops here.
    const MAX_SUBSTITUTED: usize = 64 * 1024;
    let budget = std::cell::Cell::new(MAX_SUBSTITUTED);
    // The args the FROM may use, the last setting of each: one pass over the build's args.
    let names: std::collections::HashSet<&str> =
        base.globals.iter().map(|(name, _)| name.as_str()).collect();
    let set: HashMap<&str, &Option<String>> = args
        .iter()
        .filter(|(name, _)| names.contains(name.as_str()))
        .map(|(name, value)| (name.as_str(), value))
        .collect();
    let mut values: HashMap<&str, Option<String>> = HashMap::new();
    let expand = |raw: &str, values: &HashMap<&str, Option<String>>| {
        let lookup = |name: &str| {
            let value = values.get(name)?.as_ref()?;
            let left = budget.get().checked_sub(value.len())?;
            budget.set(left);
            Some(value.clone())
        };
        dockerfile::expand(raw, base.escape, &lookup)
            .ok()
            .filter(|e| e.is_resolved())
            .map(|e| e.value)
    };
    for (name, default) in &base.globals {
        let value = match set.get(name.as_str()) {
            Some(&value) => value.clone(),
            None => default.as_deref().and_then(|raw| expand(raw, &values)),
        };
        values.insert(name, value);
    }
    expand(&base.raw, &values)
}

/// The global ARGs a FROM reference may use, in order (name and default as written): those it
/// names, and those their defaults name, and so on back (a build arg of another name cannot
/// change it). Linear in the ARGs.
fn reached_globals(
    raw: &str,
    escape: char,
    globals: &[GlobalArg],
) -> Vec<(String, Option<String>)> {
    let named = |text: &str| {
        dockerfile::expand(text, escape, &|_| None)
            .map(|e| e.unresolved)
            .unwrap_or_default()
    };
    let mut needed: std::collections::HashSet<String> = named(raw).into_iter().collect();
    let mut kept = Vec::new();
    for g in globals.iter().rev() {
        if !needed.contains(&g.name) {
            continue;
        }
        let default = g.default.as_ref().map(|w| w.raw.as_str().to_string());
        if let Some(default) = &default {
            needed.extend(named(default));
        }
        kept.push((g.name.clone(), default));
    }
    kept.reverse();
    kept
}

/// The variables a stage's instructions see, as far as the Dockerfile tells: `None` for one
/// whose value only the build knows (an ARG without a default, a value built from a variable
/// the base image may set).
#[derive(Default)]
struct Scope {
    env: HashMap<String, Option<Value>>,
    /// The ENVs that switch an init forwarder's signalling mode (`TINI_KILL_PROCESS_GROUP`,
    /// `DUMB_INIT_SETSID`), in order, with where they are set: the image's processes have them.
    switches: Vec<(String, Option<String>, Span)>,
    args: HashMap<String, Option<Value>>,
    /// The bytes of values substituted so far: past the limit a variable is unknown.
    substituted: Substituted,
}

/// A variable's value, and the build arguments that decide it (a `--build-arg` of one of them
/// can change it), each once.
#[derive(Clone)]
struct Value {
    text: String,
    args: Vec<String>,
}

/// Build arguments one value may be decided by: past them the value is unknown (a chain of ARGs
/// naming each other would otherwise carry ever longer lists).
const MAX_VALUE_ARGS: usize = 32;

/// Add `more` to the build arguments `args` (each once); `false` past [`MAX_VALUE_ARGS`].
fn add_args(args: &mut Vec<String>, more: &[String]) -> bool {
    for name in more {
        if !args.contains(name) {
            if args.len() >= MAX_VALUE_ARGS {
                return false;
            }
            args.push(name.clone());
        }
    }
    true
}

impl Scope {
    fn lookup(&self, name: &str) -> Option<&Value> {
        // ENV wins over an ARG of the same name, wherever they are written.
        match self.env.get(name) {
            Some(value) => value.as_ref(),
            None => self.args.get(name).and_then(Option::as_ref),
        }
    }

    /// The text of a known ARG or ENV value for a shell word of a RUN, counted against the
    /// substitution limit (`None`: not known, or past the limit).
    fn shell_value(&self, name: &str) -> Option<String> {
        self.lookup(name)
            .filter(|value| self.substituted.take(value.text.len()))
            .map(|value| value.text.clone())
    }

    fn expand(&self, raw: &str, escape: char) -> Option<Value> {
        let args = std::cell::RefCell::new(Vec::new());
        let within = std::cell::Cell::new(true);
        let lookup = |name: &str| {
            let value = self
                .lookup(name)
                .filter(|value| self.substituted.take(value.text.len()))?;
            if !add_args(&mut args.borrow_mut(), &value.args) {
                within.set(false);
            }
            Some(value.text.clone())
        };
        let expanded = dockerfile::expand(raw, escape, &lookup).ok()?;
        (expanded.is_resolved() && within.get()).then(|| Value {
            text: expanded.value,
            args: args.into_inner(),
        })
    }

    /// A word of an instruction Docker replaces variables in (WORKDIR, COPY, ADD), as Docker
    /// makes it: `None` when a variable it names is not known.
    fn expand_word(&self, word: &Word, escape: char) -> Option<Value> {
        if word.value.contains('$') {
            self.expand(word.raw.as_str(), escape)
        } else {
            Some(Value {
                text: word.value.clone(),
                args: Vec::new(),
            })
        }
    }

    /// The words of a COPY or ADD with the variables Docker replaces in them replaced (a word
    /// whose variables are not all known is kept as written), and the build arguments that
    /// decided them; past [`MAX_VALUE_ARGS`] the words are kept as written.
    fn expanded_words(&self, instruction: &Instruction, escape: char) -> (Vec<Word>, Vec<String>) {
        let mut words = instruction.words();
        let mut args = Vec::new();
        for word in &mut words {
            if !word.value.contains('$') {
                continue;
            }
            let Some(value) = self.expand(word.raw.as_str(), escape) else {
                continue;
            };
            let mut more = args.clone();
            if add_args(&mut more, &value.args) {
                args = more;
                word.value = value.text;
            }
        }
        (words, args)
    }

    fn declare(&mut self, instruction: &Instruction, globals: &[GlobalArg], escape: char) {
        let is_env = instruction.keyword == "ENV";
        for pair in instruction.key_values() {
            let value = match &pair.value {
                Some(word) => self.expand(word.raw.as_str(), escape),
                // `ARG NAME` in a stage brings in the global default.
                None => globals
                    .iter()
                    .rev()
                    .find(|g| g.name == pair.key)
                    .and_then(|g| g.value.as_ref())
                    .filter(|v| v.is_resolved())
                    .map(|v| Value {
                        text: v.value.clone(),
                        args: Vec::new(),
                    }),
            };
            if is_env {
                if crate::drain::env_read_by_rules(&pair.key) {
                    let text = value.as_ref().map(|v| v.text.clone());
                    self.switches.push((pair.key.clone(), text, pair.span));
                }
                self.env.insert(pair.key, value);
            } else {
                // A `--build-arg` may replace the default of any ARG.
                let value = value.and_then(|mut v| {
                    add_args(&mut v.args, std::slice::from_ref(&pair.key)).then_some(v)
                });
                self.args.insert(pair.key, value);
            }
        }
    }
}

/// The signal a STOPSIGNAL sets, and the error Docker stops the build with when it is not a
/// signal. One whose value comes from a build argument is the argument's default; without one
/// (or from the base image's environment) it is [`Signal::Unknown`].
fn stop_signal(
    file: FileId,
    instruction: &Instruction,
    escape: char,
    scope: &Scope,
) -> (Fact<Signal>, Option<ParseFailure>) {
    let raw = instruction.args.as_str();
    let span = instruction.args.full_source_span();
    let unknown = |note: String| Fact {
        value: Signal::Unknown(raw.to_string()),
        location: Some(Location::new(file, span)),
        note: Some(note),
    };
    let Some(Value { text: value, args }) = scope.expand(raw, escape) else {
        let note = format!("`STOPSIGNAL {raw}`, whose value is only known when the image is built");
        return (unknown(note), None);
    };
    let signal = Signal::parse(&value).filter(|_| docker_accepts_signal(&value));
    match signal {
        Some(signal) => {
            let note =
                (!args.is_empty()).then(|| format!("`STOPSIGNAL {raw}`, {value} by default"));
            let fact = Fact {
                value: signal,
                location: Some(Location::new(file, span)),
                note,
            };
            (fact, None)
        }
        None => {
            let from = if value == raw {
                String::new()
            } else {
                format!(" (`{raw}`)")
            };
            let problem = ParseFailure {
                message: format!("invalid signal: {value}{from}; {BUILD_REFUSED}"),
                span,
            };
            (
                unknown(format!("`STOPSIGNAL {raw}`, which is not a signal")),
                Some(problem),
            )
        }
    }
}

/// In the message of an error that Docker reports only when it builds the stage.
pub const BUILD_REFUSED: &str = "Docker refuses to build this stage";

/// Docker's `signal.ParseSignal` on Linux: a non-zero number, or a signal name with or without
/// `SIG` (any case). Names of every Docker version are accepted (`UNUSED` of older ones too).
fn docker_accepts_signal(value: &str) -> bool {
    // Go's Atoi: an optional sign and base-10 digits within int64; zero is refused.
    if let Ok(number) = value.parse::<i64>() {
        return number != 0;
    }
    let upper = value.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    const NAMES: &[&str] = &[
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT",
        "KILL", "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM",
        "TRAP", "TSTP", "TTIN", "TTOU", "UNUSED", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU",
        "XFSZ", "RTMIN", "RTMAX",
    ];
    if NAMES.contains(&name) {
        return true;
    }
    (1..=15).any(|n| name == format!("RTMIN+{n}")) || (1..=14).any(|n| name == format!("RTMAX-{n}"))
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

/// The shell a `SHELL` instruction names; `old_bash`: the base image's bash is older than 5.1.
fn shell_from_instruction(words: &[String], old_bash: bool) -> ShellEnv {
    let program = words
        .first()
        .map_or("", |w| crate::shell::commands::program_name(w));
    let family = match program {
        "bash" if old_bash => ShellFamily::OldBash,
        "bash" => ShellFamily::Bash,
        "ash" | "busybox" => ShellFamily::Busybox,
        "dash" => ShellFamily::Dash,
        "zsh" => ShellFamily::Bash,
        _ => ShellFamily::NotPosix,
    };
    ShellEnv {
        family,
        reason: if family == ShellFamily::OldBash {
            format!(
                "SHELL sets `{}`, and the base image's bash is older than 5.1",
                words.join(" ")
            )
        } else {
            format!("SHELL sets `{}`", words.join(" "))
        },
        assumed: false,
        location: None,
        old_bash,
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

/// The working directory after `WORKDIR path` in `current` (`None`: unknown), kept as
/// [`normalize`] would write it, without a trailing `/`. Docker joins and cleans the path and
/// creates the directory: one Linux cannot hold (a name over [`NAME_MAX`] bytes, a path of
/// [`PATH_MAX`] bytes or more) fails the build there, so its working directory is unknown, and so
/// is any relative one after it. Costs the bytes of `path` and of the names its `..` remove,
/// never a copy of the whole current directory.
fn change_dir(current: Option<String>, path: &str) -> Option<String> {
    let mut dir = if path.starts_with('/') {
        String::from("/")
    } else {
        current?
    };
    // Names over NAME_MAX added by `path` and still in `dir` (a known `current` has none).
    let mut overlong = 0usize;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if let Some(cut) = dir.rfind('/') {
                    if dir.len() - cut - 1 > NAME_MAX {
                        overlong = overlong.saturating_sub(1);
                    }
                    dir.truncate(cut.max(1));
                }
            }
            name => {
                if name.len() > NAME_MAX {
                    overlong += 1;
                }
                if !dir.ends_with('/') {
                    dir.push('/');
                }
                dir.push_str(name);
            }
        }
    }
    (overlong == 0 && dir.len() < PATH_MAX).then_some(dir)
}

/// A COPY/ADD from the build context: sources and the absolute destination, cleaned as
/// [`normalize`] cleans it; unknown under an unknown working directory, when it could not
/// exist, or when the working directory is not kept (`budget` bytes are used up). A relative
/// destination shares the working directory (`shared`, made on first use) with the other COPYs
/// under it.
/// The COPY (or ADD) of `instruction` as [`ImageCopy`]s: one, or with `--parents` one per
/// source. `--parents` (BuildKit 0.13, `docker/dockerfile:1.7-labs`) keeps a source's folders
/// below the context root, or below a `/./` in it: `COPY --parents docker/entrypoint.sh /srv/`
/// puts it at `/srv/docker/entrypoint.sh`, which is that source copied onto that path (see
/// [`parents_kept`]; a source with wildcards makes what is under the folders it keeps
/// unknown). A `--parents` value that is not a boolean copies to an unknown place. `--exclude`
/// patterns are kept with the COPY, shared by its copies, as is the destination's folder.
fn image_copies(
    file: FileId,
    instruction: &Instruction,
    words: &[Word],
    workdir: Option<&str>,
    shared: &mut Option<Arc<str>>,
    budget: &mut usize,
    copies: &mut Vec<ImageCopy>,
) {
    let Some((destination, sources)) = words.split_last() else {
        return;
    };
    if sources.is_empty() {
        return;
    }
    let mut excludes = Vec::new();
    let mut known = true;
    for flag in instruction.flags.iter().filter(|f| f.name == "exclude") {
        match &flag.value {
            Some(pattern) => excludes.push(pattern.clone()),
            None => known = false,
        }
    }
    let parents = match instruction.flag("parents").map(|f| f.value.as_deref()) {
        None => Some(false),
        Some(None) => Some(true),
        // Go's `strconv.ParseBool`.
        Some(Some("1" | "t" | "T" | "true" | "TRUE" | "True")) => Some(true),
        Some(Some("0" | "f" | "F" | "false" | "FALSE" | "False")) => Some(false),
        Some(Some(_)) => None,
    };
    let location = Location::new(file, instruction.span);
    let written = destination.value.as_str();
    let excludes: Arc<[String]> = excludes.into();
    let unknown = |sources: Vec<String>| ImageCopy {
        sources,
        destination: None,
        location,
        excludes: Arc::from(Vec::new()),
        unknown_contents: false,
    };
    match parents {
        Some(true) if known => {
            // The folder all sources keep their folders under, made once: each source adds
            // only what it keeps, and shares it and the `--exclude` patterns.
            let into = copy_destination(written, true, workdir, shared, budget);
            for source in sources {
                let source = source.value.as_str();
                let (kept, unknown_contents) = parents_kept(source);
                let destination = into
                    .as_ref()
                    .map(|into| CopyDestination {
                        // Nothing kept: the plain COPY of the source into the folder.
                        directory: kept.is_empty() || unknown_contents,
                        kept: kept.into(),
                        ..into.clone()
                    })
                    .filter(|path| path.path_len() < PATH_MAX);
                copies.push(ImageCopy {
                    sources: vec![source.to_string()],
                    destination,
                    location,
                    excludes: Arc::clone(&excludes),
                    unknown_contents,
                });
            }
        }
        Some(false) if known => {
            let directory = sources.len() > 1
                || written.ends_with('/')
                || written == "."
                || written.ends_with("/.");
            copies.push(ImageCopy {
                sources: sources.iter().map(|w| in_context(&w.value)).collect(),
                destination: copy_destination(written, directory, workdir, shared, budget),
                location,
                excludes,
                unknown_contents: false,
            });
        }
        _ => copies.push(unknown(sources.iter().map(|w| w.value.clone()).collect())),
    }
}

/// A COPY source as a path of the build context: BuildKit resolves a source from the
/// context's root whatever it says, so `/app/start.sh` and `../app/start.sh` are the context's
/// `app/start.sh` (a `..` at the root stays there). Sources already inside are kept as written
/// (`./`, a trailing `/` and wildcards mean what they meant).
fn in_context(source: &str) -> String {
    let leaves = source.starts_with('/') || source.split('/').any(|part| part == "..");
    if !leaves {
        return source.to_string();
    }
    let mut cleaned = crate::link::globs::context_path(std::path::Path::new(source));
    if cleaned.is_empty() {
        cleaned.push('.');
    }
    if source.ends_with('/') && !cleaned.ends_with('/') {
        cleaned.push('/');
    }
    cleaned
}

/// What a `COPY --parents` source keeps below its destination, as `/name` components (empty
/// when nothing: the source's contents are copied into it, as a plain COPY would), and whether
/// what lands there is unknown. BuildKit copies the context (or the folder before a `/./` in
/// the source) with the rest, cleaned within the context, as the one path to include: its
/// folders are kept. With wildcards, the folders before the first component that has one are
/// kept and what is under them is unknown (all of the destination when the folder before the
/// `/./` has wildcards).
fn parents_kept(source: &str) -> (String, bool) {
    let (parent, kept) = source.split_once("/./").unwrap_or(("", source));
    let kept = normalize(&format!("/{kept}"));
    let kept = kept.trim_end_matches('/');
    if crate::link::contains_wildcards(parent) {
        return (String::new(), true);
    }
    if !crate::link::contains_wildcards(kept) {
        return (kept.to_string(), false);
    }
    let mut prefix = String::new();
    for name in kept
        .split('/')
        .filter(|c| !c.is_empty())
        .take_while(|c| !crate::link::contains_wildcards(c))
    {
        prefix.push('/');
        prefix.push_str(name);
    }
    (prefix, true)
}

/// Where a COPY written to `written` puts its files: absolute and cleaned, under `workdir`
/// when relative (`None` when that is unknown, or past the shared working directories'
/// `budget`, or the path is too long).
fn copy_destination(
    written: &str,
    directory: bool,
    workdir: Option<&str>,
    shared: &mut Option<Arc<str>>,
    budget: &mut usize,
) -> Option<CopyDestination> {
    let base = if written.starts_with('/') {
        Some(Arc::from(""))
    } else {
        workdir.and_then(|dir| {
            let dir = dir.trim_end_matches('/');
            if let Some(base) = shared {
                return Some(Arc::clone(base));
            }
            *budget = budget.checked_sub(dir.len())?;
            let base: Arc<str> = Arc::from(dir);
            *shared = Some(Arc::clone(&base));
            Some(base)
        })
    };
    base.map(|base| {
        let mut base_len = base.len();
        let mut rest = String::new();
        for part in written.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if let Some(cut) = rest.rfind('/') {
                        rest.truncate(cut);
                    } else {
                        base_len = base.get(..base_len).and_then(|b| b.rfind('/')).unwrap_or(0);
                    }
                }
                name => {
                    rest.push('/');
                    rest.push_str(name);
                }
            }
        }
        CopyDestination {
            base,
            base_len,
            rest: rest.into(),
            kept: Box::default(),
            directory,
        }
    })
    .filter(|path| path.path_len() < PATH_MAX)
}

/// Whether an instruction may put files in the image whose names are not known (see
/// [`Image::unknown_files`]): a COPY or ADD to a place named by a variable, an ADD of a URL or
/// of an archive (which it unpacks), a RUN that names a server's default config file or fetches,
/// clones, unpacks, copies or writes files.
fn may_write_unknown_files(instruction: &Instruction, copy_words: &[Word]) -> bool {
    match instruction.keyword.as_str() {
        "COPY" | "ADD" => {
            let Some((destination, sources)) = copy_words.split_last() else {
                return false;
            };
            destination.value.contains('$')
                || (instruction.keyword == "ADD"
                    && sources.iter().any(|w| {
                        let v = w.value.to_ascii_lowercase();
                        v.contains("://")
                            || v.starts_with("git@")
                            || [
                                ".tar", ".tgz", ".gz", ".bz2", ".xz", ".tbz2", ".txz", ".zst",
                            ]
                            .iter()
                            .any(|ext| v.ends_with(ext))
                    }))
        }
        "RUN" => {
            let text = instruction.args.as_str();
            [
                "gunicorn.conf",
                "sidekiq.y",
                "git clone",
                "curl ",
                "wget ",
                "tar ",
                "unzip ",
                "cp ",
                "mv ",
                "ln ",
                ">",
                "tee ",
            ]
            .iter()
            .any(|needle| text.contains(needle))
                || !instruction.heredocs.is_empty()
        }
        _ => false,
    }
}

/// Notes on `state` the nginx package a RUN installs ([`nginx_package_installed`]), and whether
/// it names nginx.org's repository (`nginx.org/packages/…`): nginx.org's packages, for Debian
/// and Alpine alike, ship the official image's `nginx.conf` and `conf.d/default.conf`, not the
/// distribution's layout, so with one named the package's `nginx.conf` is not known.
fn note_nginx_package(instruction: &Instruction, state: &mut Effective<'_>, scope: &Scope) {
    let text = instruction.args.as_str();
    let named_repository =
        |t: &str| t.contains("nginx.org/packages") || t.contains("nginx.org/keys");
    if named_repository(text)
        || instruction
            .heredocs
            .iter()
            .any(|h| named_repository(h.body.as_str()))
    {
        state.other_nginx_repository = true;
    }
    let lookup = |name: &str| scope.shell_value(name);
    if let Some(package) = nginx_package_installed(instruction, &lookup) {
        state.nginx_package = Some(package);
    }
}

/// The distribution's nginx package a RUN installs: Debian's or Ubuntu's with
/// `apt-get`/`apt`/`aptitude` `install` … `nginx` (or `nginx-full`, `nginx-light`,
/// `nginx-extras`, `nginx-core`; a version `=…` or release `/…` may follow the name), Alpine's
/// with `apk add` … `nginx` (`=…`, `~…`, `@tag` may follow). The shell form only, parsed:
/// its line, the here-documents a shell runs as scripts ([`heredoc_readers`]: a bare
/// `RUN <<EOF`, `RUN <<EOF bash`), and the `sh -c` scripts in them, up to
/// [`MAX_SHELL_C_DEPTH`] deep; wrappers (`sudo`, `env`) are looked through. A word naming a
/// variable (`apt-get install -y $SYSTEM_PACKAGES`) is what the stage's ARG or ENV `lookup`
/// gives it, split into words as the shell splits an unquoted expansion; one whose value is not
/// known, or that the script itself may set, is no package. `None` when none is (or the RUN
/// does not parse).
fn nginx_package_installed(
    instruction: &Instruction,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Option<NginxPackage> {
    let text = instruction.args.as_str();
    if text.trim_start().starts_with('[') {
        return None;
    }
    let mut scripts: Vec<&str> = vec![text];
    scripts.extend(
        heredoc_bodies(instruction, |r| r == HeredocReader::Shell).filter(|b| shebang_is_shell(b)),
    );
    let mut found = None;
    for script in scripts {
        if script.contains("nginx") || script.contains('$') {
            found = script_package_install(script, lookup, 0).or(found);
        }
    }
    found
}

/// Whether a script's `#!` line, when it has one, names a shell (`#!/bin/sh`, `#!/usr/bin/env
/// bash`): BuildKit runs a bare `RUN <<EOF` with the program it names.
fn shebang_is_shell(body: &str) -> bool {
    let Some(line) = body.strip_prefix("#!") else {
        return true;
    };
    let mut words = line.lines().next().unwrap_or_default().split_whitespace();
    let mut program = words.next().map(crate::shell::commands::program_name);
    if program == Some("env") {
        program = words
            .find(|w| !w.starts_with('-'))
            .map(crate::shell::commands::program_name);
    }
    matches!(program, Some("sh" | "bash" | "dash" | "ash" | "zsh"))
}

/// [`nginx_package_installed`] for one shell script (`depth`: how many `sh -c` it is in).
fn script_package_install(
    script: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    depth: usize,
) -> Option<NginxPackage> {
    if depth > MAX_SHELL_C_DEPTH {
        return None;
    }
    let parsed = crate::shell::parse(script).ok()?;
    let mut found = None;
    // The names the script may set, read once when a command needs them.
    let mut may_set: Option<HashSet<&str>> = None;
    for command in crate::shell::all_simple_commands(&parsed) {
        let raw_argv = command.argv();
        if let Some(shell_c) = crate::shell::commands::shell_c(&raw_argv) {
            // `sh -c "apt-get update && apt-get install -y nginx"`: the string is a script.
            if let Some(payload) = raw_argv.get(shell_c.payload_index) {
                found = script_package_install(payload, lookup, depth + 1).or(found);
            }
            continue;
        }
        // Only a command that names a package manager is expanded (`echo $A $A …` is not):
        // the program may follow wrappers whose options are variables (`sudo $OPTS apk add`).
        if !raw_argv
            .iter()
            .any(|w| PACKAGE_MANAGERS.contains(&crate::shell::commands::program_name(w)))
        {
            continue;
        }
        let may_set = may_set.get_or_insert_with(|| names_script_may_set(script));
        let mut expanded: Vec<String> = Vec::new();
        for word in &command.words {
            match shell_word_fields(word, script, may_set, lookup) {
                Some(fields) => expanded.extend(fields),
                // Not known: no package, but the words after it are still read (a package
                // list before or after it).
                None => expanded.push(String::from("$")),
            }
        }
        let argv: Vec<&str> = expanded.iter().map(String::as_str).collect();
        let start = crate::shell::commands::unwrap_wrappers(&argv).rest;
        let Some(rest) = argv.get(start..) else {
            continue;
        };
        if let Some(package) = package_install_of(rest) {
            found = Some(package);
        }
    }
    found
}

/// The fields a shell word of `script` expands to, when known: a word without expansions is
/// itself; `$NAME`, `${NAME}` (or Docker's `${NAME:-default}` forms) among plain characters,
/// unquoted or inside one pair of double quotes, take `lookup`'s value (the stage's ARG or ENV,
/// which the RUN's shell has in its environment), split at blanks when unquoted (POSIX "Field
/// Splitting" with the default IFS; empty fields go). `None` for anything else: a command
/// substitution, a special parameter, quotes or escapes mixed in, a variable without a known
/// value, or one the script assigns or reads into (`PKGS=nginx`, `for PKGS in`, `read PKGS`),
/// whose value there may be another.
fn shell_word_fields(
    word: &crate::shell::Word,
    script: &str,
    may_set: &HashSet<&str>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Option<Vec<String>> {
    if !word.has_expansion {
        return Some(vec![word.value.clone()]);
    }
    let raw = script.get(word.span.start..word.span.end)?;
    let (inner, quoted) = match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        Some(inner) if !inner.contains('"') => (inner, true),
        _ if !word.quoted => (raw, false),
        _ => return None,
    };
    if word.has_glob && !quoted {
        return None;
    }
    // Only plain characters and `$NAME` / `${…}` with no expansion inside.
    let bytes = inner.as_bytes();
    let mut names: Vec<&str> = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' | b'\'' | b'`' | b'"' => return None,
            b'$' => {
                let rest = inner.get(i + 1..)?;
                let (name, used) = if let Some(body) = rest.strip_prefix('{') {
                    let close = body.find('}')?;
                    let body = body.get(..close)?;
                    if body.contains(['$', '`', '{']) {
                        return None;
                    }
                    let end = body
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(body.len());
                    (body.get(..end)?, close + 2)
                } else {
                    let end = rest
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(rest.len());
                    (rest.get(..end)?, end)
                };
                if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
                    return None;
                }
                names.push(name);
                i += 1 + used;
            }
            _ => i += 1,
        }
    }
    if names.iter().any(|name| may_set.contains(name)) {
        return None;
    }
    let expansion = dockerfile::expand(inner, '\\', lookup).ok()?;
    if !expansion.is_resolved() {
        return None;
    }
    Some(if quoted {
        vec![expansion.value]
    } else {
        expansion
            .value
            .split([' ', '\t', '\n'])
            .filter(|field| !field.is_empty())
            .map(str::to_string)
            .collect()
    })
}

/// The names `script` names other than to expand them (`name=…`, `for name in`, `read name`,
/// `export name`, `unset name`: every whole word of name characters not after `$` or `${`):
/// the value of such a variable there may not be the stage's. One pass over the script.
fn names_script_may_set(script: &str) -> HashSet<&str> {
    let is_name_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = script.as_bytes();
    let mut names = HashSet::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes.get(i).copied().is_some_and(is_name_byte) {
            i += 1;
            continue;
        }
        let start = i;
        while bytes.get(i).copied().is_some_and(is_name_byte) {
            i += 1;
        }
        let expanded = start
            .checked_sub(1)
            .and_then(|b| bytes.get(b))
            .is_some_and(|&b| b == b'$')
            || (start >= 2 && bytes.get(start - 2..start) == Some(b"${".as_slice()));
        if !expanded {
            if let Some(name) = script.get(start..i) {
                names.insert(name);
            }
        }
    }
    names
}

/// The package managers [`package_install_of`] reads.
const PACKAGE_MANAGERS: &[&str] = &["apt-get", "apt", "aptitude", "apk"];

/// [`nginx_package_installed`] for one command's words (the program first).
fn package_install_of(argv: &[&str]) -> Option<NginxPackage> {
    let (program, args) = argv.split_first()?;
    let program = crate::shell::commands::program_name(program);
    // Options that take the next word as their value (unless written `--opt=value`).
    let (family, subcommand, with_value): (NginxPackage, &str, &[&str]) = match program {
        "apt-get" | "apt" | "aptitude" => (
            NginxPackage::Debian,
            "install",
            &[
                "-o",
                "-c",
                "-t",
                "-a",
                "--option",
                "--config-file",
                "--target-release",
                "--default-release",
                "--host-architecture",
            ],
        ),
        "apk" => (
            NginxPackage::Alpine,
            "add",
            &[
                "-t",
                "--virtual",
                "-X",
                "--repository",
                "-p",
                "--root",
                "--arch",
                "--cache-dir",
                "--keys-dir",
                "--repositories-file",
            ],
        ),
        _ => return None,
    };
    let mut operands: Vec<&str> = Vec::new();
    let mut skip_next = false;
    for arg in args {
        if skip_next {
            skip_next = false;
        } else if *arg == "--" {
            continue;
        } else if arg.starts_with('-') {
            skip_next = with_value.contains(arg);
        } else {
            operands.push(arg);
        }
    }
    let (first, packages) = operands.split_first()?;
    if *first != subcommand {
        return None;
    }
    let installs = packages.iter().any(|package| {
        let name = match family {
            NginxPackage::Debian => package.split(['=', '/']).next(),
            NginxPackage::Alpine => package.split(['=', '~', '@', '<', '>']).next(),
        };
        match family {
            NginxPackage::Debian => matches!(
                name,
                Some("nginx" | "nginx-full" | "nginx-light" | "nginx-extras" | "nginx-core")
            ),
            NginxPackage::Alpine => name == Some("nginx"),
        }
    });
    installs.then_some(family)
}

/// Whether an `ADD` has a local source that may be a tar archive Docker unpacks at the
/// destination (by its content; the usual names: `.tar`, `.tar.gz`, `.tgz`, `.tar.bz2`,
/// `.tbz2`, `.tar.xz`, `.txz`, `.tar.zst`). A URL is downloaded, not unpacked.
fn add_may_unpack(instruction: &Instruction) -> bool {
    if instruction.keyword != "ADD" {
        return false;
    }
    let words = instruction.words();
    let Some((_, sources)) = words.split_last() else {
        return false;
    };
    sources.iter().any(|w| {
        let v = w.value.to_ascii_lowercase();
        !v.contains("://")
            && !v.starts_with("git@")
            && [
                ".tar", ".tgz", ".gz", ".bz2", ".xz", ".tbz", ".tbz2", ".txz", ".zst", ".tzst",
            ]
            .iter()
            .any(|ext| v.ends_with(ext))
    })
}

/// Programs whose arguments a RUN does not write to (a path under nginx's folders given to
/// them is read, tested, removed or only has its mode changed: nothing it sets appears).
const NOT_WRITING: &[&str] = &[
    "nginx",
    "nginx-debug",
    "openresty",
    "cat",
    "ls",
    "test",
    "[",
    "[[",
    "echo",
    "printf",
    "grep",
    "egrep",
    "stat",
    "readlink",
    "realpath",
    "head",
    "tail",
    "wc",
    "diff",
    "rm",
    "unlink",
    "rmdir",
    "mkdir",
    // Checksums print to their output (`sha256sum -c` reads the list it checks).
    "sha1sum",
    "sha224sum",
    "sha256sum",
    "sha384sum",
    "sha512sum",
    "md5sum",
    "b2sum",
    "cksum",
    "chmod",
    "chown",
    "chgrp",
    "touch",
    "cd",
    "true",
    "set",
    "export",
    "apt-get",
    "apt",
    "apk",
    "yum",
    "dnf",
    "microdnf",
    // Users and groups: `usermod -u $UID nginx` writes /etc/passwd and /etc/group only.
    "usermod",
    "groupmod",
    "useradd",
    "groupadd",
    "adduser",
    "addgroup",
    "deluser",
    "delgroup",
    "userdel",
    "groupdel",
];

/// Where a RUN may write under nginx's folders ([`CONVENTIONAL_PREFIXES`]): the target of a
/// redirection (`printf … > /etc/nginx/conf.d/proxy.conf`, `envsubst < t > …`), and any path
/// there named by a command that may write to its arguments (`sed -i`, `cp`, `mv`, `ln -s`,
/// `install`, `tee`, `find … -exec`; every command but the few of [`NOT_WRITING`]). A path with
/// a variable counts from the folder before it; a relative one from the working directory
/// (`cd /etc/nginx && sed -i … nginx.conf`). Paths are absolute and cleaned. A RUN that does
/// not parse but names one of the folders may write anything there: the folder.
///
/// [`CONVENTIONAL_PREFIXES`]: crate::formats::nginx::CONVENTIONAL_PREFIXES
fn nginx_run_writes(
    instruction: &Instruction,
    workdir: Option<&str>,
    named: NginxNamed,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Vec<Option<String>> {
    use crate::formats::nginx::CONVENTIONAL_PREFIXES;
    let text = instruction.args.as_str();
    if text.trim_start().starts_with('[') {
        // The exec form runs no shell; its words are still paths a program may write.
        return CONVENTIONAL_PREFIXES
            .iter()
            .filter(|prefix| text.contains(*prefix))
            .map(|prefix| Some((*prefix).to_string()))
            .collect();
    }
    let mut scripts: Vec<&str> = vec![text];
    scripts.extend(heredoc_bodies(instruction, |r| r != HeredocReader::Data));
    let mentions_nginx = scripts
        .iter()
        .any(|s| s.contains("nginx") || s.contains("openresty"));
    // Past [`MAX_OTHER_COPIES`] places, one unknown place (`None`, last) stands for the rest.
    let mut out: Vec<Option<String>> = Vec::new();
    let names = NginxNamed {
        run: mentions_nginx,
        dirs: mentions_nginx || named.dirs,
        dockerfile: mentions_nginx || named.dockerfile,
    };
    for script in scripts {
        run_script_writes(script, workdir, names, lookup, 0, &mut out);
    }
    out
}

/// Programs that only copy or filter what they read on their input, writing where their
/// arguments and redirections say: a here-document given to them is data, not a script.
const DATA_READERS: &[&str] = &[
    "cat", "tee", "envsubst", "dd", "base64", "head", "tail", "sort", "uniq", "tr", "cut",
];

/// Who reads a here-document of a RUN (Docker's "Here-documents": the lines are redirected "to
/// the input of" the command, or, for a RUN that is one here-document and nothing else, run as
/// its script).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HeredocReader {
    /// A shell runs it: the one here-document of a RUN that is nothing else (`RUN <<EOF`:
    /// BuildKit runs its lines with the shell, or with the program its `#!` line names), or the
    /// input of a shell given no script and no `-c` (`RUN <<EOF bash`, `sh -s <<EOF`).
    Shell,
    /// The input of a program of [`DATA_READERS`]: the text of a file (`cat >
    /// /usr/share/nginx/html/config.js <<EOF`).
    Data,
    /// The input of another program (`python3 <<EOF`), or of a compound command.
    Other,
}

/// For each here-document of a RUN's first line (`text`), in order: its delimiter and who reads
/// it. Empty when the line does not parse.
fn heredoc_readers(text: &str) -> Vec<(String, HeredocReader)> {
    let Ok(parsed) = crate::shell::parse(text) else {
        return Vec::new();
    };
    let commands: Vec<&crate::shell::SimpleCommand> =
        crate::shell::all_simple_commands(&parsed).collect();
    let bare = matches!(commands.as_slice(), [only] if only.words.is_empty()
        && only.assignments.is_empty()
        && only.redirections.len() == 1)
        && parsed.heredocs.len() == 1;
    // A data reader's output piped into another command (`cat <<EOF | sh`), or a RUN that runs
    // a script (`tee /tmp/setup.sh <<EOF && sh /tmp/setup.sh`), may run the text: not data.
    let piped = within_spans(&commands, &crate::shell::subshell_parts(&parsed).piped);
    let runs_a_script = commands.iter().any(|command| runs_a_script(command));
    let mut readers: HashMap<usize, HeredocReader> = HashMap::new();
    for (command, piped) in commands.iter().zip(piped) {
        let argv = command.argv();
        let unwrapped = crate::shell::commands::unwrap_wrappers(&argv);
        let program = argv
            .get(unwrapped.rest)
            .map(|program| crate::shell::commands::program_name(program));
        let shell = !unwrapped.rest_is_shell_string
            && program.is_some_and(|name| {
                matches!(name, "sh" | "bash" | "dash" | "ash" | "zsh")
                    || (name == "busybox"
                        && matches!(argv.get(unwrapped.rest + 1), Some(&("sh" | "ash"))))
            })
            && crate::shell::commands::shell_c(&argv).is_none()
            && crate::shell::commands::shell_script(&argv).is_none();
        let reader = if shell || bare {
            HeredocReader::Shell
        } else if !unwrapped.rest_is_shell_string
            && program.is_some_and(|name| DATA_READERS.contains(&name))
            && !piped
            && !runs_a_script
        {
            HeredocReader::Data
        } else {
            continue;
        };
        readers.extend(command.redirects.iter().map(|span| (span.start, reader)));
    }
    parsed
        .heredocs
        .iter()
        .map(|h| {
            let reader = readers.get(&h.redirect.start).copied();
            (h.delimiter.clone(), reader.unwrap_or(HeredocReader::Other))
        })
        .collect()
}

/// For each command (in source order), whether it starts inside one of `spans` (sorted by
/// start, nested or apart, as [`crate::shell::subshell_parts`] gives them). Linear.
fn within_spans(commands: &[&crate::shell::SimpleCommand], spans: &[Span]) -> Vec<bool> {
    let mut spans = spans.iter().peekable();
    let mut end = 0;
    commands
        .iter()
        .map(|command| {
            let at = command.span.start;
            while let Some(span) = spans.next_if(|span| span.start <= at) {
                end = end.max(span.end);
            }
            at < end
        })
        .collect()
}

/// Whether a command runs a script: a shell (`sh /tmp/setup.sh`, `bash -c …`, `su app -c …`),
/// `.` or `source`, or a program named by a path (`/tmp/setup.sh`, `./run`) that is not one of
/// [`DATA_READERS`].
fn runs_a_script(command: &crate::shell::SimpleCommand) -> bool {
    let argv = command.argv();
    let unwrapped = crate::shell::commands::unwrap_wrappers(&argv);
    if unwrapped.rest_is_shell_string {
        return true;
    }
    let Some(word) = argv.get(unwrapped.rest) else {
        return false;
    };
    let name = crate::shell::commands::program_name(word);
    matches!(
        name,
        "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "busybox" | "." | "source"
    ) || (word.contains('/') && !DATA_READERS.contains(&name))
}

/// The bodies of `instruction`'s here-documents whose reader `keep` takes (matched to
/// [`heredoc_readers`] of its first line by order and delimiter; a body not matched is
/// [`HeredocReader::Other`]).
fn heredoc_bodies(
    instruction: &Instruction,
    keep: impl Fn(HeredocReader) -> bool,
) -> impl Iterator<Item = &str> {
    let readers = heredoc_readers(instruction.args.as_str());
    instruction
        .heredocs
        .iter()
        .enumerate()
        .filter(move |(i, h)| {
            let reader = readers
                .get(*i)
                .filter(|(delimiter, _)| *delimiter == h.delimiter)
                .map_or(HeredocReader::Other, |(_, reader)| *reader);
            keep(reader)
        })
        .map(|(_, h)| h.body.as_str())
}

/// Whether a RUN names nginx (`run`), whether it or an ENV, ARG or WORKDIR does (`dirs`: a
/// relative write under an unknown directory may then be under nginx's folders), and whether
/// any instruction of the Dockerfile does (`dockerfile`: a write to a path that starts with an
/// unknown variable may then be under nginx's folders).
#[derive(Clone, Copy)]
struct NginxNamed {
    run: bool,
    dirs: bool,
    dockerfile: bool,
}

/// How deep `sh -c '…'` scripts inside a RUN are read (`sh -c "su app -c '…'"` is two).
const MAX_SHELL_C_DEPTH: usize = 3;

/// A place a RUN may write under nginx's folders, once; past [`MAX_OTHER_COPIES`] (or after an
/// unknown place, which stands for any) nothing more is kept.
fn add_run_write(place: Option<String>, out: &mut Vec<Option<String>>) {
    if out.last().is_some_and(Option::is_none) {
        return;
    }
    let Some(path) = place else {
        out.push(None);
        return;
    };
    if run_write_is_harmless(&path) || out.iter().flatten().any(|p| *p == path) {
        return;
    }
    if out.len() + 1 < MAX_OTHER_COPIES {
        out.push(Some(path));
    } else {
        out.push(None);
    }
}

/// The writes of one shell script of a RUN (see [`nginx_run_writes`]), starting in `workdir`;
/// the `-c` script of `sh`, `bash`, `su` (after `env`, `gosu`, …) is read as a script in turn,
/// up to [`MAX_SHELL_C_DEPTH`] deep (deeper: what it names under nginx's folders counts).
fn run_script_writes(
    script: &str,
    workdir: Option<&str>,
    names: NginxNamed,
    lookup: &dyn Fn(&str) -> Option<String>,
    depth: usize,
    out: &mut Vec<Option<String>>,
) {
    use crate::formats::nginx::CONVENTIONAL_PREFIXES;
    use crate::shell::RedirectOp;
    let parsed = match crate::shell::parse(script) {
        Ok(parsed) if depth <= MAX_SHELL_C_DEPTH => parsed,
        _ => {
            for prefix in CONVENTIONAL_PREFIXES {
                if script.contains(prefix) {
                    add_run_write(Some((*prefix).to_string()), out);
                }
            }
            // And a file of any name in the working directory (`> 00-proxy.conf` under
            // `WORKDIR /etc/nginx/conf.d`).
            for place in nginx_places_of(workdir.unwrap_or("."), None, names) {
                add_run_write(place, out);
            }
            return;
        }
    };
    let mut cwd: Option<String> = workdir.map(str::to_string);
    // The names the script may set itself, read once when a path names a variable.
    let mut may_set: Option<HashSet<&str>> = None;
    let mut compound = parsed.compound_redirections.iter().peekable();
    // A `cd` in a subshell (`(cd /tmp && …)`, a pipeline's element, a background job) moves
    // only that subshell (POSIX 2.12): the directory is restored where the part ends. A stack
    // of (end of the part, directory where it started), nested parts on top.
    let mut parts = crate::shell::subshell_parts(&parsed)
        .subshells
        .into_iter()
        .peekable();
    let mut saved: Vec<(usize, Option<String>)> = Vec::new();
    let restore =
        |at: usize, cwd: &mut Option<String>, saved: &mut Vec<(usize, Option<String>)>| {
            while saved.last().is_some_and(|(end, _)| *end <= at) {
                if let Some((_, before)) = saved.pop() {
                    *cwd = before;
                }
            }
        };
    for command in crate::shell::all_simple_commands(&parsed) {
        // A compound command's redirections (`{ echo a; echo b; } > conf.d/proxy.conf`, `done
        // > f`) are opened before its body runs, in the directory current where it starts
        // (POSIX "Redirection" on compound commands).
        while let Some(r) = compound.next_if(|r| r.command_start <= command.span.start) {
            restore(r.command_start, &mut cwd, &mut saved);
            let target = resolve_word(&r.redirect.target, script, &mut may_set, lookup);
            compound_redirect_writes(&r.redirect, target.as_deref(), cwd.as_deref(), names, out);
        }
        restore(command.span.start, &mut cwd, &mut saved);
        while let Some(part) = parts.next_if(|part| part.start <= command.span.start) {
            if part.end > command.span.start {
                saved.push((part.end, cwd.clone()));
            }
        }
        let full = command.argv();
        // The program a wrapper runs (`su-exec nginx ls /etc/nginx/conf.d`, `gosu app cp …`):
        // the wrapper writes nothing of its own.
        let unwrapped = crate::shell::commands::unwrap_wrappers(&full);
        let start = if unwrapped.rest_is_shell_string || unwrapped.rest >= full.len() {
            0
        } else {
            unwrapped.rest
        };
        let argv = full.get(start..).unwrap_or_default();
        let words = command.words.get(start..).unwrap_or_default();
        let name = argv
            .first()
            .map_or("", |w| crate::shell::commands::program_name(w));
        // A path through the stage's ARG or ENV (`> ${NGINX_CONF_DIR}/00-proxy.conf`, `cp x
        // $CONF/`, `cd $CONF_DIR`) is where its value leads; the words of a command that
        // writes nothing stay as written.
        let resolved_words: Vec<Option<String>> = if name == "cd" || !NOT_WRITING.contains(&name) {
            words
                .iter()
                .map(|w| resolve_word(w, script, &mut may_set, lookup))
                .collect()
        } else {
            Vec::new()
        };
        let argv: Vec<&str> = argv
            .iter()
            .enumerate()
            .map(|(i, a)| {
                resolved_words
                    .get(i)
                    .and_then(Option::as_deref)
                    .unwrap_or(a)
            })
            .collect();
        let argv = argv.as_slice();
        let resolved_redirects: Vec<Option<String>> = command
            .redirections
            .iter()
            .map(|r| {
                r.op.writes()
                    .then(|| resolve_word(&r.target, script, &mut may_set, lookup))
                    .flatten()
            })
            .collect();
        // `echo "daemon off;" >> /etc/nginx/nginx.conf`: known text appended that sets
        // nothing the rules read (`>` would replace what is there: still unknown).
        let literal_main_text = writes_main_level_text(name, words);
        let mut targets: Vec<&str> = command
            .redirections
            .iter()
            .zip(&resolved_redirects)
            .filter(|(r, _)| !(literal_main_text && matches!(r.op, RedirectOp::Append)))
            .filter(|(r, _)| r.op.writes())
            .map(|(r, resolved)| resolved.as_deref().unwrap_or(r.target.value.as_str()))
            .collect();
        let tar = if name == "tar" {
            tar_writes(argv.get(1..).unwrap_or_default())
        } else {
            None
        };
        if let Some(shell_c) = crate::shell::commands::shell_c(&full) {
            // `sh -c 'printf … > /etc/nginx/conf.d/proxy.conf'`, `su app -c '…'`: the
            // command string is a script run in the same directory.
            if let Some(payload) = full.get(shell_c.payload_index) {
                run_script_writes(payload, cwd.as_deref(), names, lookup, depth + 1, out);
            }
        } else if name == "cd" {
            // Joined in place as WORKDIR is ([`change_dir`]): the cost of each `cd` is its
            // argument's, and past PATH_MAX (no `cd` gets there) the directory is unknown;
            // re-joining the whole path at each `cd a` made a chain of them quadratic.
            cwd = match argv.get(1) {
                Some(to) if !to.contains('$') && !to.starts_with(['~', '-']) => {
                    change_dir(cwd.take(), to)
                }
                _ => None,
            };
        } else if matches!(name, "cp" | "mv" | "install" | "ln") {
            // Only the destination is written; the sources are read (`mv` removes them).
            targets.extend(run_copy_destination(
                name,
                argv.get(1..).unwrap_or_default(),
            ));
        } else if name == "sed" {
            targets.extend(sed_in_place_files(
                argv.get(1..).unwrap_or_default(),
                words.get(1..).unwrap_or_default(),
            ));
        } else if let Some(written) = tar {
            targets.extend(written);
        } else if name == "find" && find_only_reads_or_removes(argv) {
            // `find conf.d -name '*.bak' -delete`, `-exec rm {} +`: nothing is written.
        } else if !NOT_WRITING.contains(&name) {
            targets.extend(argv.iter().skip(1).copied().filter(|a| !a.starts_with('-')));
            // An operand that is not a path but names one of nginx's folders (a script another
            // program runs: `runuser -u app -- sh -c 'echo … > /etc/nginx/conf.d/a.conf'`) may
            // write anything there: the folder, as for a RUN that does not parse.
            for operand in argv.iter().skip(1).filter(|a| !a.starts_with(['/', '-'])) {
                for prefix in CONVENTIONAL_PREFIXES {
                    if operand.contains(prefix) {
                        add_run_write(Some((*prefix).to_string()), out);
                    }
                }
            }
        }
        for target in targets {
            for place in nginx_places_of(target, cwd.as_deref(), names) {
                add_run_write(place, out);
            }
        }
    }
    for r in compound {
        restore(r.command_start, &mut cwd, &mut saved);
        let target = resolve_word(&r.redirect.target, script, &mut may_set, lookup);
        compound_redirect_writes(&r.redirect, target.as_deref(), cwd.as_deref(), names, out);
    }
}

/// A word of a RUN's `script` that names a path, with the stage's ARG and ENV values `lookup`
/// gives (Docker's "Environment replacement": the RUN's shell has them in its environment), when
/// it expands to one known field ([`shell_word_fields`]); `None` when it has no expansion or
/// one not known, or that the script may set itself (`may_set`, read once per script).
fn resolve_word<'s>(
    word: &crate::shell::Word,
    script: &'s str,
    may_set: &mut Option<HashSet<&'s str>>,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    if !word.has_expansion {
        return None;
    }
    let may_set = may_set.get_or_insert_with(|| names_script_may_set(script));
    let mut fields = shell_word_fields(word, script, may_set, lookup)?;
    match fields.as_mut_slice() {
        [one] => Some(std::mem::take(one)),
        _ => None,
    }
}

/// What a compound command's redirection writes under nginx's folders, from `cwd`.
fn compound_redirect_writes(
    redirect: &crate::shell::Redirect,
    resolved: Option<&str>,
    cwd: Option<&str>,
    names: NginxNamed,
    out: &mut Vec<Option<String>>,
) {
    if redirect.op.writes() {
        let target = resolved.unwrap_or(redirect.target.value.as_str());
        for place in nginx_places_of(target, cwd, names) {
            add_run_write(place, out);
        }
    }
}

/// The one file a COPY of the context puts at a known path: its destination when that names a
/// file, or the source's name in a destination folder when the source is one file named with an
/// extension (`COPY default.conf /etc/nginx/conf.d/`); `None` for folders, wildcards and
/// anything else whose result is not one known file.
fn copied_file_path(copy: &ImageCopy) -> Option<String> {
    let destination = copy.destination.as_ref()?;
    let [source] = copy.sources.as_slice() else {
        return None;
    };
    if source.contains(['*', '?', '[', '$']) || copy.unknown_contents {
        return None;
    }
    let path = destination.path();
    if !destination.is_directory() {
        return Some(path);
    }
    let name = source.trim_end_matches('/').rsplit('/').next()?;
    (name.contains('.') && !name.starts_with('.') && !source.ends_with('/'))
        .then(|| format!("{path}{name}"))
}

/// A `find` that only lists, tests or removes what it finds: no action but `-print*`, `-ls`,
/// `-delete`, `-prune`, `-quit`, and `-exec`/`-execdir` only of a program of [`NOT_WRITING`]
/// (`-exec rm {} +`). Any other action (`-fprint`, `-exec sed -i …`) may write.
fn find_only_reads_or_removes(argv: &[&str]) -> bool {
    let mut words = argv.iter().skip(1);
    while let Some(&word) = words.next() {
        match word {
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                let program = words
                    .next()
                    .map_or("", |w| crate::shell::commands::program_name(w));
                if !NOT_WRITING.contains(&program) || program == "find" {
                    return false;
                }
                // The rest of the command, up to its `;` or `+`.
                for &rest in words.by_ref() {
                    if rest == ";" || rest == "+" {
                        break;
                    }
                }
            }
            "-fprint" | "-fprint0" | "-fprintf" | "-fls" => return false,
            _ => {}
        }
    }
    true
}

/// What `tar` (`args`: after the name) writes, when its options are known: in create, append,
/// update or delete mode (`-c`, `-r`, `-u`, `-A`, `--delete`) its `-f` archive, and in any
/// mode a `-g` snapshot or `--index-file`/`--volno-file` it keeps; the files it archives or
/// lists are only read. In extract mode (`-x`, `--extract`, `--get`) the members land in the
/// `-C` folders, else the working directory (`.`); `-O` (`--to-stdout`) writes no file. GNU tar's
/// "Operation Modes" and option summary; the old style (`tar czf out.tgz dir`: the first word is
/// options, whose values follow in order) too. `None` (any operand may be written) when no mode
/// is given or an option runs another program (`-F`, `--to-command`, `--checkpoint-action`).
fn tar_writes<'a>(args: &[&'a str]) -> Option<Vec<&'a str>> {
    // Short options that take a value (GNU tar; busybox's are a subset).
    const SHORT_VALUE: &str = "bCfFgHIKLNTVX";
    const LONG_VALUE: &[&str] = &[
        "file",
        "directory",
        "files-from",
        "exclude-from",
        "exclude",
        "blocking-factor",
        "format",
        "newer",
        "after-date",
        "newer-mtime",
        "label",
        "listed-incremental",
        "starting-file",
        "tape-length",
        "use-compress-program",
        "transform",
        "xform",
        "owner",
        "group",
        "mode",
        "mtime",
        "strip-components",
        "index-file",
        "record-size",
        "volno-file",
        "warning",
        "sort",
        "suffix",
        "backup",
        "quoting-style",
        "hole-detection",
        "level",
        "occurrence",
        "pax-option",
        "rmt-command",
        "rsh-command",
        "totals",
        "owner-map",
        "group-map",
        "add-file",
        "checkpoint",
    ];
    const RUNS_PROGRAM: &[&str] = &[
        "info-script",
        "new-volume-script",
        "to-command",
        "checkpoint-action",
    ];
    #[derive(PartialEq)]
    enum Mode {
        Writes,
        Reads,
        Extract,
    }
    use crate::shell::commands::{Arg, OptionWalk};
    let mut mode: Option<Mode> = None;
    let mut values: Vec<(char, &'a str)> = Vec::new();
    let mut to_stdout = false;
    let short = |letter: char, mode: &mut Option<Mode>, to_stdout: &mut bool| match letter {
        'c' | 'r' | 'u' | 'A' => *mode = Some(Mode::Writes),
        't' | 'd' => *mode = Some(Mode::Reads),
        'x' => *mode = Some(Mode::Extract),
        'O' => *to_stdout = true,
        _ => {}
    };
    // The old style: a first word without a dash is a cluster of options, whose values are
    // the words after it, in order.
    let (old_style, args) = match args.split_first() {
        Some((first, rest)) if !first.starts_with('-') && !first.is_empty() => (Some(*first), rest),
        _ => (None, args),
    };
    let word = |index: Option<usize>| index.and_then(|i| args.get(i).copied());
    let mut walk = OptionWalk::new(args);
    for letter in old_style.into_iter().flat_map(str::chars) {
        if letter == 'F' {
            return None;
        }
        short(letter, &mut mode, &mut to_stdout);
    }
    for letter in old_style
        .into_iter()
        .flat_map(str::chars)
        .filter(|l| SHORT_VALUE.contains(*l))
    {
        if let Some(value) = word(walk.value()) {
            values.push((letter, value));
        }
    }
    while let Some(arg) = walk.next() {
        match arg {
            Arg::Operand(_) => {}
            Arg::Long { key, .. } if RUNS_PROGRAM.contains(&key) => return None,
            Arg::Long { key, value } => {
                let value = match value {
                    Some(value) => Some(value),
                    None if LONG_VALUE.contains(&key) => word(walk.value()),
                    None => None,
                };
                match (key, value) {
                    ("create" | "append" | "update" | "catenate" | "concatenate" | "delete", _) => {
                        mode = Some(Mode::Writes);
                    }
                    ("list" | "diff" | "compare" | "test-label", _) => mode = Some(Mode::Reads),
                    ("extract" | "get", _) => mode = Some(Mode::Extract),
                    ("to-stdout", _) => to_stdout = true,
                    ("file", Some(v)) => values.push(('f', v)),
                    ("directory", Some(v)) => values.push(('C', v)),
                    ("listed-incremental", Some(v)) => values.push(('g', v)),
                    ("index-file" | "volno-file", Some(v)) => values.push(('w', v)),
                    _ => {}
                }
            }
            Arg::Short { flag: 'F', .. } => return None,
            Arg::Short { flag, attached } if SHORT_VALUE.contains(flag) => {
                let value = if attached.is_empty() {
                    word(walk.value())
                } else {
                    walk.end_cluster();
                    Some(attached)
                };
                values.extend(value.map(|v| (flag, v)));
            }
            Arg::Short { flag, .. } => short(flag, &mut mode, &mut to_stdout),
        }
    }
    let kept = |wanted: &[char]| -> Vec<&'a str> {
        values
            .iter()
            .filter(|(letter, value)| wanted.contains(letter) && *value != "-")
            .map(|(_, value)| *value)
            .collect()
    };
    match mode? {
        Mode::Writes => Some(kept(&['f', 'g', 'w'])),
        Mode::Reads => Some(kept(&['g', 'w'])),
        Mode::Extract if to_stdout => Some(kept(&['g', 'w'])),
        Mode::Extract => {
            let mut written = kept(&['C', 'g', 'w']);
            if !values.iter().any(|(letter, _)| *letter == 'C') {
                written.push(".");
            }
            Some(written)
        }
    }
}

/// What `cp`, `mv`, `install` or `ln` (`args`: after the name) write: the `-t` /
/// `--target-directory` folder, else the last of two or more operands (a file, or the folder
/// the sources go into); `ln` with one operand makes a link of the same name in the working
/// directory. The sources are only read. `install -d` makes folders and writes no file.
fn run_copy_destination<'a>(name: &str, args: &[&'a str]) -> Option<&'a str> {
    use crate::shell::commands::{Arg, OptionWalk};
    let word = |index: Option<usize>| index.and_then(|i| args.get(i).copied());
    let mut operands: Vec<&'a str> = Vec::new();
    let mut target: Option<&'a str> = None;
    let mut folders_only = false;
    let mut walk = OptionWalk::new(args);
    while let Some(arg) = walk.next() {
        match arg {
            Arg::Operand(index) => operands.extend(word(Some(index))),
            Arg::Long {
                key: "target-directory",
                value,
            } => target = value.or_else(|| word(walk.value())),
            Arg::Long {
                key: "directory", ..
            } if name == "install" => folders_only = true,
            Arg::Long {
                key: "mode" | "owner" | "group" | "suffix" | "strip-program",
                value: None,
            } => {
                walk.value();
            }
            Arg::Short {
                flag: 't',
                attached: "",
            } => {
                target = word(walk.value());
            }
            Arg::Short {
                flag: 't',
                attached,
            } => {
                target = Some(attached);
                walk.end_cluster();
            }
            Arg::Short { flag: 'd', .. } if name == "install" => folders_only = true,
            Arg::Short { flag, attached }
                if flag == 'S' || (matches!(flag, 'm' | 'o' | 'g') && name == "install") =>
            {
                if attached.is_empty() {
                    walk.value();
                } else {
                    walk.end_cluster();
                }
            }
            Arg::Long { .. } | Arg::Short { .. } => {}
        }
    }
    if folders_only {
        return None;
    }
    target.or(match operands.as_slice() {
        [.., _, last] => Some(*last),
        [only] if name == "ln" => only.rsplit('/').find(|part| !part.is_empty()),
        _ => None,
    })
}

/// The files a `sed` (`args`: after the name, and the same `words`) writes: with `-i` /
/// `--in-place`, the files it edits, unless every expression is one
/// [`sed_expression_is_harmless`] takes; without it, none (it prints).
fn sed_in_place_files<'a>(args: &[&'a str], words: &[crate::shell::Word]) -> Vec<&'a str> {
    use crate::shell::commands::{Arg, OptionWalk};
    let mut in_place = false;
    let mut expressions: Vec<usize> = Vec::new();
    let mut script_file = false;
    let mut operands: Vec<usize> = Vec::new();
    let mut walk = OptionWalk::new(args);
    while let Some(arg) = walk.next() {
        match arg {
            Arg::Operand(index) => operands.push(index),
            Arg::Long {
                key: "in-place", ..
            } => in_place = true,
            Arg::Long {
                key: "expression",
                value: Some(_),
            } => script_file = true,
            Arg::Long {
                key: "expression",
                value: None,
            } => expressions.extend(walk.value()),
            Arg::Long { key: "file", value } => {
                script_file = true;
                if value.is_none() {
                    walk.value();
                }
            }
            Arg::Long {
                key: "line-length",
                value: None,
            } => {
                walk.value();
            }
            // GNU sed: what follows `-i` in the same word is the backup suffix.
            Arg::Short { flag: 'i', .. } => {
                in_place = true;
                walk.end_cluster();
            }
            Arg::Short {
                flag: 'e',
                attached: "",
            } => expressions.extend(walk.value()),
            Arg::Short {
                flag: flag @ ('e' | 'f' | 'l'),
                attached,
            } => {
                // `-e'…'` joined, a script file, a line length: not followed.
                script_file |= flag != 'l';
                if attached.is_empty() {
                    walk.value();
                } else {
                    walk.end_cluster();
                }
            }
            Arg::Long { .. } | Arg::Short { .. } => {}
        }
    }
    if !in_place {
        return Vec::new();
    }
    let mut files = operands.into_iter();
    if expressions.is_empty() && !script_file {
        expressions.extend(files.next());
    }
    let harmless = !script_file
        && !expressions.is_empty()
        && expressions.iter().all(|&index| {
            words
                .get(index)
                .is_some_and(|e| !e.has_expansion && sed_expression_is_harmless(&e.value))
        });
    if harmless {
        Vec::new()
    } else {
        files.filter_map(|index| args.get(index).copied()).collect()
    }
}

/// Directives SL203 and SL206 never read (nor any other rule of nginx): changing their lines
/// cannot change a finding. The rules read `proxy_*`/`fastcgi_*`/`grpc_*`/`uwsgi_*`/`scgi_*`
/// passes and retries, `keepalive*`, `upstream`, `server` and `include`; none is here.
const NEVER_READ_DIRECTIVES: &[&str] = &[
    "daemon",
    "user",
    "worker_processes",
    "worker_rlimit_nofile",
    "worker_connections",
    "pid",
    "load_module",
    "error_log",
    "access_log",
    "env",
    "listen",
    "server_name",
    "root",
    "index",
    "client_max_body_size",
    "server_tokens",
];

/// The main-level directives an `echo`/`printf` may append to `nginx.conf` without changing
/// what the rules read (`echo "daemon off;" >> /etc/nginx/nginx.conf`, the Debian idiom).
const MAIN_LEVEL_DIRECTIVES: &[&str] = &[
    "daemon",
    "user",
    "worker_processes",
    "worker_rlimit_nofile",
    "pid",
    "load_module",
    "error_log",
    "env",
];

/// Whether text nginx would read sets only `allowed` directives: every line is empty, a
/// comment, or `;`-ended statements whose names are in `allowed`, with no block.
fn only_directives(text: &str, allowed: &[&str]) -> bool {
    text.lines().all(|line| {
        let line = line.trim();
        if line.starts_with('#') {
            return true;
        }
        !line.contains(['{', '}', '#', '\\', '"', '\''])
            && line.split(';').all(|statement| {
                statement
                    .split_whitespace()
                    .next()
                    .is_none_or(|name| allowed.contains(&name))
            })
    })
}

/// Whether an `echo` or `printf` writes known text that sets only main-level directives the
/// rules never read ([`MAIN_LEVEL_DIRECTIVES`]): no expansion in any word, no `printf`
/// argument or conversion; `\n` is a new line.
fn writes_main_level_text(name: &str, words: &[crate::shell::Word]) -> bool {
    let Some(args) = words.get(1..) else {
        return false;
    };
    if args.is_empty() || args.iter().any(|w| w.has_expansion || w.has_glob) {
        return false;
    }
    let text = match name {
        "echo" => {
            let start = args
                .iter()
                .take_while(|w| matches!(w.value.as_str(), "-n" | "-e" | "-E" | "-ne" | "-en"))
                .count();
            args.get(start..)
                .unwrap_or_default()
                .iter()
                .map(|w| w.value.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        }
        "printf" => match args {
            [format] if !format.value.replace("%%", "").contains('%') => {
                format.value.replace("%%", "%")
            }
            _ => return false,
        },
        _ => return false,
    };
    let text = text.replace("\\n", "\n");
    !text.trim().is_empty() && only_directives(&text, MAIN_LEVEL_DIRECTIVES)
}

/// Whether a `sed` expression surely leaves what the rules read as it was: one `s` command
/// (flags `g`, `I`, a number) or one `/regex/d`, whose regex starts (after `^` and blanks) with
/// a directive of [`NEVER_READ_DIRECTIVES`] followed by its arguments, matches no `#`, `{` or
/// `}` and no `;` but at its end (so it stays within that directive, or eats the rest of its
/// line with a final `.*`), and whose replacement is text of such directives only (or a
/// comment). `s,listen       80;,listen       8080;,` and `/user  nginx;/d` are; an `a`/`i` text,
/// a replacement naming `proxy_*` or with a new line or a brace, or any other command is not.
fn sed_expression_is_harmless(expression: &str) -> bool {
    let expression = expression.trim();
    let (regex, replacement) = if let Some(body) = expression.strip_prefix('s') {
        let Some(delimiter) = body.chars().next() else {
            return false;
        };
        if delimiter.is_alphanumeric() || delimiter == '\\' || delimiter == '\n' {
            return false;
        }
        let parts = split_unescaped(
            body.get(delimiter.len_utf8()..).unwrap_or_default(),
            delimiter,
        );
        let [regex, replacement, flags] = parts.as_slice() else {
            return false;
        };
        if !flags
            .chars()
            .all(|f| f == 'g' || f == 'I' || f.is_ascii_digit())
        {
            return false;
        }
        (regex.clone(), Some(replacement.clone()))
    } else if let Some(body) = expression.strip_prefix('/') {
        let parts = split_unescaped(body, '/');
        let [regex, command] = parts.as_slice() else {
            return false;
        };
        if command.trim() != "d" {
            return false;
        }
        (regex.clone(), None)
    } else {
        return false;
    };
    regex_stays_in_a_never_read_directive(&regex)
        && replacement.is_none_or(|text| {
            let text = text.replace("\\/", "/").replace("\\.", ".");
            !text.contains(['&', '\\', '{', '}', '\n'])
                && (text.trim_start().starts_with('#')
                    || only_directives(&text, NEVER_READ_DIRECTIVES))
        })
}

/// `text` cut at each `delimiter` not escaped by a backslash; the escape is kept.
fn split_unescaped(text: &str, delimiter: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut escaped = false;
    for c in text.chars() {
        if escaped {
            if c != delimiter {
                parts.last_mut().into_iter().for_each(|p| p.push('\\'));
            }
            parts.last_mut().into_iter().for_each(|p| p.push(c));
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == delimiter {
            parts.push(String::new());
        } else {
            parts.last_mut().into_iter().for_each(|p| p.push(c));
        }
    }
    if escaped {
        parts.last_mut().into_iter().for_each(|p| p.push('\\'));
    }
    parts
}

/// Whether a sed regex can match only within one line's directive of
/// [`NEVER_READ_DIRECTIVES`] (see [`sed_expression_is_harmless`]).
fn regex_stays_in_a_never_read_directive(regex: &str) -> bool {
    let anchored = regex.starts_with('^');
    let mut rest = regex.strip_prefix('^').unwrap_or(regex);
    // Blanks before the name.
    loop {
        let before = rest.len();
        for blank in [" ", "\t", "\\s", "[[:space:]]", "[ \\t]", "*", "\\+"] {
            rest = rest.strip_prefix(blank).unwrap_or(rest);
        }
        if rest.len() == before {
            break;
        }
    }
    let name_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        .count();
    let (name, after) = rest.split_at(name_len);
    if !NEVER_READ_DIRECTIVES.contains(&name) {
        return false;
    }
    // The name is followed by its arguments (or, anchored at the line's start, ends the regex).
    let separated = after.starts_with([' ', '\t'])
        || after.starts_with("\\s")
        || after.starts_with("[[:space:]]")
        || (anchored && (after.is_empty() || after == ".*" || after == ".*$"));
    if !separated {
        return false;
    }
    // Then literal text, blanks and escaped dots or slashes; `;` only at the end; `.*` only
    // at the end.
    let body = after
        .strip_suffix('$')
        .unwrap_or(after)
        .strip_suffix(".*")
        .unwrap_or_else(|| after.strip_suffix('$').unwrap_or(after));
    let body = body.strip_suffix(';').unwrap_or(body);
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        let fine = match c {
            '\\' => matches!(
                chars.next(),
                Some('.' | '/' | 's' | 't' | '+' | ',' | '@' | '-')
            ),
            '[' => {
                let class: String = chars.by_ref().take_while(|&k| k != ']').collect();
                match class.as_str() {
                    "[:space:" | "[:blank:" | "[:digit:" => chars.next() == Some(']'),
                    " \\t" | " " | "0-9" => true,
                    _ => false,
                }
            }
            c => {
                c.is_ascii_alphanumeric()
                    || matches!(
                        c,
                        ' ' | '\t'
                            | '_'
                            | '-'
                            | ':'
                            | '='
                            | ','
                            | '/'
                            | '*'
                            | '+'
                            | '\''
                            | '"'
                            | '@'
                            | '%'
                    )
            }
        };
        if !fine {
            return false;
        }
    }
    true
}

/// Whether what a RUN writes at `place` surely sets nothing the rules read, wherever the
/// image's `include`s reach: a name [`classify_unresolved`] takes as harmless (the names
/// unread content at a place may have and still count for nothing: `mime.types`, SSL and log
/// snippets), key material (`*.crt`, `*.key`, `*.pem`, `.htpasswd`, anything under `ssl/` or
/// `certs/`), or a backup (`nginx.conf.orig`, `default.conf.disabled`, `*.bak`) where no vhost
/// glob takes it (`conf.d/*.conf` takes no `default.conf.bak`; `sites-enabled/*` would). Never
/// `nginx.conf`.
///
/// [`classify_unresolved`]: crate::lower::nginx::classify_unresolved
fn run_write_is_harmless(place: &str) -> bool {
    use std::path::Path;
    let path = Path::new(place);
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    if lower == "nginx.conf" || place.contains(['*', '?', '[']) {
        return false;
    }
    if matches!(
        crate::lower::nginx::classify_unresolved(place),
        crate::lower::nginx::IncludeKind::Harmless
    ) {
        return true;
    }
    let key_material = crate::lower::nginx::is_key_material(name);
    let key_folder = path.parent().is_some_and(|folder| {
        folder.components().any(|part| {
            matches!(
                part.as_os_str().to_str(),
                Some("ssl" | "certs" | "certificates")
            )
        })
    });
    if key_material || key_folder {
        return true;
    }
    let backup = [
        ".orig",
        ".bak",
        ".backup",
        ".old",
        ".disabled",
        ".dist",
        ".save",
        ".default",
        "~",
        ".dpkg-old",
        ".dpkg-dist",
    ]
    .iter()
    .any(|suffix| lower.ends_with(suffix));
    let taken = path
        .parent()
        .is_some_and(|folder| crate::lower::nginx_placement::vhost_glob_holds(folder, name));
    backup && !taken
}

/// The places under nginx's folders a path a RUN writes to may be (see [`nginx_run_writes`]):
/// none when it is not there; the folder before a component with a variable; every prefix
/// below a folder above them (`/etc/$APP`), but for a path that is a variable from the root
/// (`> $OUT`) only in a RUN that names nginx. A relative path under an unknown working
/// directory (`cd $CONF_DIR`, `WORKDIR ${DIR}`, `cd -`) is anywhere (`None`) when the RUN or an
/// ENV, ARG or WORKDIR names nginx, and nowhere there else.
fn nginx_places_of(written: &str, cwd: Option<&str>, names: NginxNamed) -> Vec<Option<String>> {
    use crate::formats::nginx::CONVENTIONAL_PREFIXES;
    if written.is_empty() || written.starts_with("/dev/") {
        return Vec::new();
    }
    if written.starts_with('$') && names.dockerfile {
        // `> $CONF/proxy.conf` with a variable the scan does not know, in a Dockerfile that
        // names nginx: it may be any of nginx's folders.
        return vec![None];
    }
    let absolute = if written.starts_with('/') {
        written.to_string()
    } else if let Some(cwd) = cwd {
        format!("{cwd}/{written}")
    } else if names.dirs {
        return vec![None];
    } else {
        return Vec::new();
    };
    if absolute.len() >= PATH_MAX {
        return Vec::new();
    }
    let known: Vec<&str> = absolute
        .split('/')
        .take_while(|part| !part.contains('$') && !part.contains('`'))
        .collect();
    let cut = known.len() < absolute.split('/').count();
    let path = normalize(&known.join("/"));
    let path = path.trim_end_matches('/');
    if crate::formats::nginx::include::under_conventional_prefix(path) {
        return vec![Some(path.to_string())];
    }
    if cut && (path.len() > 1 || names.run) {
        // `/etc/$SITE/x`: any prefix below the folder it names may be it.
        let folder = format!("{}/", path.trim_end_matches('/'));
        return CONVENTIONAL_PREFIXES
            .iter()
            .filter(|prefix| prefix.starts_with(folder.as_str()))
            .map(|prefix| Some((*prefix).to_string()))
            .collect();
    }
    Vec::new()
}

/// How many destinations of COPYs from elsewhere than the context an image keeps: a realistic
/// Dockerfile has a few; past them, the rest count as one to an unknown place.
const MAX_OTHER_COPIES: usize = 64;

/// Where a COPY from another stage, image or here-document puts its files (absolute and cleaned,
/// under `workdir` when relative); `None` when that is unknown.
fn other_copy_destination(words: &[Word], workdir: Option<&str>) -> Option<String> {
    let written = words.last()?.value.as_str();
    let path = if written.starts_with('/') {
        normalize(written)
    } else {
        normalize(&format!("{}/{written}", workdir?))
    };
    (path.len() < PATH_MAX).then_some(path)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_that_write_under_nginx_folders() {
        let writes = |dockerfile: &str| -> Vec<String> {
            let parsed = crate::formats::dockerfile::parse(dockerfile).expect("parses");
            parsed
                .instructions
                .iter()
                .filter(|i| i.keyword == "RUN")
                .flat_map(|i| nginx_run_writes(i, Some("/"), named(false), &|_| None))
                .map(|place| place.unwrap_or_else(|| "?".to_string()))
                .collect()
        };
        assert_eq!(
            writes("FROM nginx\nRUN printf 'proxy_http_version 1.1;\\n' > /etc/nginx/conf.d/proxy.conf\n"),
            ["/etc/nginx/conf.d/proxy.conf"]
        );
        assert_eq!(
            writes("FROM nginx\nRUN sed -i '/^http {/a proxy_next_upstream error;' /etc/nginx/nginx.conf\n"),
            ["/etc/nginx/nginx.conf"]
        );
        assert_eq!(
            writes("FROM debian\nRUN apt-get install -y nginx && ln -sf /etc/nginx/sites-available/shop /etc/nginx/sites-enabled/shop && rm -f /etc/nginx/sites-enabled/default\n"),
            ["/etc/nginx/sites-enabled/shop"]
        );
        assert_eq!(
            writes("FROM nginx\nRUN cd /etc/nginx && envsubst < t > conf.d/$SITE.conf\n"),
            ["/etc/nginx/conf.d"]
        );
        assert_eq!(
            writes("FROM nginx\nRUN cd /etc/nginx/conf.d/../sites-available && cd ../conf.d && printf x > a.conf\n"),
            ["/etc/nginx/conf.d/a.conf"]
        );
        assert_eq!(
            writes("FROM nginx\nRUN echo 'x' | tee -a /etc/nginx/conf.d/x.conf >/dev/null\n"),
            ["/etc/nginx/conf.d/x.conf"]
        );
        assert_eq!(
            writes("FROM nginx\nRUN <<EOF\nset -e\ncat > /etc/nginx/conf.d/a.conf <<X\nproxy_http_version 1.1;\nX\nEOF\n"),
            ["/etc/nginx/conf.d/a.conf"]
        );
        // Reads, removals, package installs and writes elsewhere: nothing.
        for quiet in [
            "FROM nginx\nRUN rm /etc/nginx/conf.d/default.conf && nginx -t -c /etc/nginx/nginx.conf\n",
            "FROM nginx\nRUN mkdir -p /etc/nginx/ssl && chown -R nginx /etc/nginx/ssl\n",
            "FROM debian\nRUN apt-get update && apt-get install -y nginx\n",
            "FROM nginx\nRUN echo ok > /usr/share/nginx/html/health\nRUN echo $X > $OUT\n",
            "FROM nginx\nRUN cat /etc/nginx/nginx.conf\n",
        ] {
            assert!(writes(quiet).is_empty(), "{quiet}");
        }
    }

    #[test]
    fn runs_write_only_destinations_and_not_known_harmless_text() {
        let writes = |run: &str| -> Vec<String> {
            let parsed = crate::formats::dockerfile::parse(&format!("FROM nginx\nRUN {run}\n"))
                .expect("parses");
            parsed
                .instructions
                .iter()
                .filter(|i| i.keyword == "RUN")
                .flat_map(|i| nginx_run_writes(i, Some("/"), named(false), &|_| None))
                .map(|place| place.unwrap_or_else(|| "?".to_string()))
                .collect()
        };
        // Everyday idioms that write nothing the rules read (round 18 B#1).
        for quiet in [
            "cp /etc/nginx/nginx.conf /etc/nginx/nginx.conf.orig",
            "mv /etc/nginx/conf.d/default.conf /etc/nginx/conf.d/default.conf.disabled",
            "cp -a /etc/nginx/conf.d/default.conf /etc/nginx/conf.d/default.conf.bak",
            "sed -i \"s/listen       80;/listen 8080;/\" /etc/nginx/conf.d/default.conf",
            "sed -i 's,listen       80;,listen       8080;,' /etc/nginx/conf.d/default.conf && sed -i '/user  nginx;/d' /etc/nginx/nginx.conf",
            "sed -i -e 's/^user/#user/' -e 's/^worker_processes.*/worker_processes 2;/' /etc/nginx/nginx.conf",
            "sed -Ei 's/^\\s*listen\\s+80;/    listen 8080;/' /etc/nginx/conf.d/default.conf",
            "sed 's/a/b/' /etc/nginx/nginx.conf > /tmp/nginx.conf",
            "echo \"daemon off;\" >> /etc/nginx/nginx.conf",
            "printf 'daemon off;\\nworker_processes 2;\\n' >> /etc/nginx/nginx.conf",
            "openssl req -x509 -nodes -newkey rsa:2048 -subj /CN=x -keyout /etc/nginx/ssl/x.key -out /etc/nginx/ssl/x.crt",
            "htpasswd -bc /etc/nginx/.htpasswd admin secret",
            "openssl dhparam -out /etc/nginx/dhparam.pem 2048",
            "cp /tmp/site.crt /tmp/site.key /etc/nginx/certs/",
            "install -d -m 0755 /etc/nginx/conf.d",
            "cp /etc/nginx/conf.d/default.conf /tmp/",
            // Removals (round 18 A#5).
            "unlink /etc/nginx/conf.d/default.conf",
            "find /etc/nginx/conf.d -name '*.bak' -delete",
            "find /etc/nginx/conf.d -name '*.bak' -exec rm -f {} +",
            "find /etc/nginx -type f -print",
        ] {
            assert_eq!(writes(quiet), Vec::<String>::new(), "{quiet}");
        }
        // Writes that may set what the rules read stay unknown.
        for (loud, places) in [
            (
                "find /etc/nginx/conf.d -name '*.conf' -exec sed -i 's/a/b/' {} +",
                &["/etc/nginx/conf.d"][..],
            ),
            (
                "find /etc/nginx/conf.d -name x -fprint /etc/nginx/conf.d/list.conf",
                &["/etc/nginx/conf.d", "/etc/nginx/conf.d/list.conf"][..],
            ),
            (
                "cp /tmp/proxy.conf /etc/nginx/conf.d/proxy.conf",
                &["/etc/nginx/conf.d/proxy.conf"][..],
            ),
            ("cp -t /etc/nginx/conf.d /tmp/a.conf /tmp/b.conf", &["/etc/nginx/conf.d"]),
            ("install -m 644 /tmp/proxy.conf /etc/nginx/conf.d/", &["/etc/nginx/conf.d"]),
            ("cd /etc/nginx/sites-enabled && ln -s ../sites-available/shop", &["/etc/nginx/sites-enabled/shop"]),
            // sites-enabled/* takes any name, a backup too.
            ("cp /etc/nginx/sites-enabled/shop /etc/nginx/sites-enabled/shop.bak", &["/etc/nginx/sites-enabled/shop.bak"]),
            ("cp /etc/nginx/nginx.conf.orig /etc/nginx/nginx.conf", &["/etc/nginx/nginx.conf"]),
            ("sed -i 's/error timeout/error timeout http_502/' /etc/nginx/conf.d/proxy.conf", &["/etc/nginx/conf.d/proxy.conf"]),
            ("sed -i 's/listen 80;/listen 80; proxy_http_version 1.1;/' /etc/nginx/conf.d/default.conf", &["/etc/nginx/conf.d/default.conf"]),
            ("sed -i 's/^#//' /etc/nginx/nginx.conf", &["/etc/nginx/nginx.conf"]),
            ("sed -i 's/user/#user/' /etc/nginx/nginx.conf", &["/etc/nginx/nginx.conf"]),
            ("sed -i \"s/listen 80;/listen $PORT;/\" /etc/nginx/conf.d/default.conf", &["/etc/nginx/conf.d/default.conf"]),
            ("sed -i '/^http {/a proxy_next_upstream error;' /etc/nginx/nginx.conf", &["/etc/nginx/nginx.conf"]),
            ("sed -i 's/^listen.*/listen 80 { }/' /etc/nginx/conf.d/default.conf", &["/etc/nginx/conf.d/default.conf"]),
            ("sed -i -f /tmp/edit.sed /etc/nginx/nginx.conf", &["/etc/nginx/nginx.conf"]),
            ("echo \"include /etc/nginx/extra/*.conf;\" >> /etc/nginx/nginx.conf", &["/etc/nginx/nginx.conf"]),
            ("echo \"daemon off;\" > /etc/nginx/nginx.conf", &["/etc/nginx/nginx.conf"]),
            ("echo \"$SETTINGS\" >> /etc/nginx/nginx.conf", &["/etc/nginx/nginx.conf"]),
            ("printf '%s\\n' 'daemon off;' >> /etc/nginx/nginx.conf", &["/etc/nginx/nginx.conf"]),
            ("echo 'proxy_http_version 1.1;' >> /etc/nginx/conf.d/default.conf.bak", &[]),
        ] {
            assert_eq!(writes(loud), places, "{loud}");
        }
    }

    #[test]
    fn run_writes_past_the_cap_end_in_one_unknown_place() {
        let writes = |dockerfile: &str| -> Vec<Option<String>> {
            let parsed = crate::formats::dockerfile::parse(dockerfile).expect("parses");
            parsed
                .instructions
                .iter()
                .filter(|i| i.keyword == "RUN")
                .flat_map(|i| nginx_run_writes(i, Some("/"), named(false), &|_| None))
                .collect()
        };
        // Within one RUN: 70 snippets, then the proxy settings.
        let mut run = String::from("FROM nginx\nRUN true");
        for i in 0..70 {
            run.push_str(&format!(" && printf 'x' > /etc/nginx/snippets/s{i}.conf"));
        }
        run.push_str(" && printf 'proxy_http_version 1.1;' > /etc/nginx/conf.d/proxy.conf\n");
        let places = writes(&run);
        assert_eq!(places.len(), MAX_OTHER_COPIES);
        assert_eq!(places.last(), Some(&None));
        assert!(places[..MAX_OTHER_COPIES - 1].iter().all(Option::is_some));
        // Over several RUNs, the image keeps one unknown place for the later ones.
        let mut dockerfile = String::from("FROM nginx:1.27-alpine\n");
        for i in 0..70 {
            dockerfile.push_str(&format!("RUN printf 'x' > /etc/nginx/snippets/s{i}.conf\n"));
        }
        dockerfile
            .push_str("RUN printf 'proxy_http_version 1.1;' > /etc/nginx/conf.d/proxy.conf\n");
        let image = image_of(&dockerfile);
        assert_eq!(image.other_copies.len(), MAX_OTHER_COPIES);
        assert_eq!(image.other_copies.last(), Some(&None));
        assert_eq!(image.other_copies.iter().filter(|p| p.is_none()).count(), 1);
    }

    #[test]
    fn a_long_chain_of_relative_cds_is_linear_and_ends_unknown() {
        // 80,000 `cd a`: the directory passes PATH_MAX and is unknown; a relative write after
        // it is an unknown place (the RUN names nginx), which stands for the absolute one too.
        let mut dockerfile = String::from("FROM nginx\nWORKDIR /etc/nginx\nRUN true");
        for _ in 0..80_000 {
            dockerfile.push_str(" \\\n && cd a");
        }
        dockerfile
            .push_str(" && printf x > conf.d/a.conf && printf y > /etc/nginx/conf.d/b.conf\n");
        let parsed = crate::formats::dockerfile::parse(&dockerfile).expect("parses");
        let started = std::time::Instant::now();
        let places: Vec<Option<String>> = parsed
            .instructions
            .iter()
            .filter(|i| i.keyword == "RUN")
            .flat_map(|i| nginx_run_writes(i, Some("/etc/nginx"), named(false), &|_| None))
            .collect();
        // The relative write under the unknown directory may be anywhere: one unknown place.
        assert_eq!(places, [None]);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    /// What names nginx besides the RUN: its ENV, ARG or WORKDIR, and the Dockerfile.
    fn named(dirs: bool) -> NginxNamed {
        NginxNamed {
            run: false,
            dirs,
            dockerfile: dirs,
        }
    }

    /// A path through the stage's ARG or ENV is where its value leads (Docker's "Environment
    /// replacement"); one the script sets, or one with no value, keeps the cut at the variable,
    /// and at its start is an unknown place in a Dockerfile that names nginx.
    #[test]
    fn run_write_targets_take_the_stage_s_arg_and_env_values() {
        let places = |text: &str| image_of(text).other_copies;
        let proxy = || vec![Some("/etc/nginx/conf.d/00-proxy.conf".to_string())];
        let p = "printf 'proxy_http_version 1.1;\\n'";
        for (vars, target) in [
            (
                "ENV NGINX_CONF_DIR=/etc/nginx/conf.d",
                format!("{p} > ${{NGINX_CONF_DIR}}/00-proxy.conf"),
            ),
            (
                "ENV NGINX_CONF_DIR=/etc/nginx/conf.d",
                format!("{p} > $NGINX_CONF_DIR/00-proxy.conf"),
            ),
            (
                "ARG CONF=/etc/nginx/conf.d",
                format!("{p} > \"${{CONF}}/00-proxy.conf\""),
            ),
            (
                "ARG CONF=/etc/nginx/conf.d",
                format!("{p} | tee $CONF/00-proxy.conf"),
            ),
            (
                "ARG CONF=/etc/nginx/conf.d",
                format!("{p} > /tmp/p && cp /tmp/p $CONF/00-proxy.conf"),
            ),
            (
                "ENV PROXY_CONF=/etc/nginx/conf.d/00-proxy.conf",
                format!("{p} > $PROXY_CONF"),
            ),
            (
                "ENV D=/etc/nginx",
                format!("cd $D && {p} > conf.d/00-proxy.conf"),
            ),
            (
                "ENV D=/etc/nginx",
                format!("sh -c \"{p} > $D/conf.d/00-proxy.conf\""),
            ),
        ] {
            let text = format!("FROM nginx:1.27-alpine\n{vars}\nRUN {target}\n");
            assert_eq!(places(&text), proxy(), "{text}");
        }
        // Not known, or set by the script: today's cut (`/etc/$X/…`), or any place when the
        // path starts with it.
        for (vars, target, expected) in [
            ("ARG CONF", format!("{p} > $CONF/00-proxy.conf"), vec![None]),
            ("", format!("{p} > $CONF/00-proxy.conf"), vec![None]),
            (
                "ARG CONF=/srv",
                format!("CONF=/etc/nginx/conf.d && {p} > $CONF/00-proxy.conf"),
                vec![None],
            ),
            (
                "ARG SITE",
                format!("{p} > /etc/nginx/$SITE/00-proxy.conf"),
                vec![Some("/etc/nginx".to_string())],
            ),
            // Outside nginx's folders: nothing.
            ("ARG OUT=/srv/app", format!("{p} > $OUT/x.txt"), vec![]),
            // A single-quoted `$` is a literal name, not a variable.
            ("ENV D=/etc/nginx", format!("{p} > '/tmp/$D'"), vec![]),
        ] {
            let text = format!("FROM nginx:1.27-alpine\n{vars}\nRUN {target}\n");
            assert_eq!(places(&text), expected, "{text}");
        }
        // A Dockerfile that never names nginx: a variable at the start is not taken as nginx's.
        let text = format!("FROM python:3.12-slim\nRUN {p} > $OUT/x.txt\n");
        assert!(places(&text).is_empty());
    }

    /// The places the RUNs of a Dockerfile write, `?` for an unknown one (as `lower` asks).
    fn run_places(dockerfile: &str) -> Vec<String> {
        let parsed = crate::formats::dockerfile::parse(dockerfile).expect("parses");
        let dirs_name_nginx = parsed.instructions.iter().any(|i| {
            matches!(i.keyword.as_str(), "ENV" | "ARG" | "WORKDIR")
                && i.args.as_str().contains("nginx")
        });
        parsed
            .instructions
            .iter()
            .filter(|i| i.keyword == "RUN")
            .flat_map(|i| nginx_run_writes(i, Some("/"), named(dirs_name_nginx), &|_| None))
            .map(|place| place.unwrap_or_else(|| "?".to_string()))
            .collect()
    }

    #[test]
    fn redirections_on_compound_commands_are_writes() {
        for run in [
            "{ echo 'proxy_http_version 1.1;'; echo 'proxy_next_upstream error;'; } > /etc/nginx/conf.d/00-proxy.conf",
            "( echo a; echo b ) >/etc/nginx/conf.d/00-proxy.conf",
            "for l in a b; do echo \"$l\"; done >> /etc/nginx/conf.d/00-proxy.conf",
            "if true; then echo a; fi > \"/etc/nginx/conf.d/00-proxy.conf\"",
            "while read l; do echo \"$l\"; done < /tmp/in > /etc/nginx/conf.d/00-proxy.conf",
            "case x in x) echo a;; esac 2>/dev/null >| /etc/nginx/conf.d/00-proxy.conf",
        ] {
            assert_eq!(
                run_places(&format!("FROM nginx\nRUN {run}\n")),
                ["/etc/nginx/conf.d/00-proxy.conf"],
                "{run}"
            );
        }
        // Opened where the command starts, before a `cd` inside it; not the `}` or `)` that
        // ends an expansion.
        assert_eq!(
            run_places("FROM nginx\nRUN cd /etc/nginx && { cd /tmp; echo a; } > conf.d/x.conf\n"),
            ["/etc/nginx/conf.d/x.conf"]
        );
        for quiet in [
            "FROM nginx\nARG V=1\nWORKDIR /usr/share/nginx/html\nRUN echo ${V} > version.txt\n",
            "FROM nginx\nWORKDIR /usr/share/nginx/html\nRUN echo $(date) > built.txt && echo $((1+2)) >> built.txt\n",
            "FROM nginx\nWORKDIR /app\nRUN chown -R nginx:nginx /app && echo ${V:-x} > version.txt\n",
            "FROM nginx\nRUN echo '} > /etc/nginx/conf.d/x.conf' > /tmp/notes\n",
        ] {
            assert!(run_places(quiet).is_empty(), "{quiet}");
        }
        // A redirection to a descriptor, or none: nothing.
        for quiet in [
            "FROM nginx\nRUN { echo a; } >&2\n",
            "FROM nginx\nRUN if [ -f /etc/nginx/nginx.conf ]; then cat /etc/nginx/nginx.conf; fi\n",
            "FROM nginx\nRUN ( cd /tmp && echo ok ) > /tmp/log\n",
        ] {
            assert!(run_places(quiet).is_empty(), "{quiet}");
        }
    }

    /// A `cd` in `( … )`, in an element of a pipeline or in a background job moves only that
    /// subshell (POSIX 2.12): a relative write after it is under the directory of before.
    #[test]
    fn a_cd_in_a_subshell_does_not_move_the_commands_after_it() {
        let places = |workdir: &str, run: &str| -> Vec<String> {
            let dockerfile = format!("FROM nginx\nRUN {run}\n");
            let parsed = crate::formats::dockerfile::parse(&dockerfile).expect("parses");
            parsed
                .instructions
                .iter()
                .filter(|i| i.keyword == "RUN")
                .flat_map(|i| nginx_run_writes(i, Some(workdir), named(true), &|_| None))
                .map(|place| place.unwrap_or_else(|| "?".to_string()))
                .collect::<Vec<String>>()
        };
        for run in [
            "(cd /tmp && echo fetched > x) && echo a > 00-proxy.conf",
            "(cd /tmp; (cd /opt); echo b > y) && echo a > 00-proxy.conf",
            "cd /tmp | cat && echo a > 00-proxy.conf",
            "cd /tmp & echo a > 00-proxy.conf",
            "{ (cd /tmp); } && echo a > 00-proxy.conf",
        ] {
            assert_eq!(
                places("/etc/nginx/conf.d", run),
                ["/etc/nginx/conf.d/00-proxy.conf"],
                "{run}"
            );
        }
        // Inside the subshell the `cd` holds; a group `{ }` and a plain list are not subshells.
        for (run, place) in [
            (
                "(cd /etc/nginx && echo a > conf.d/a.conf)",
                "/etc/nginx/conf.d/a.conf",
            ),
            (
                "(cd /etc/nginx; (cd /tmp); echo a > conf.d/b.conf)",
                "/etc/nginx/conf.d/b.conf",
            ),
            (
                "{ cd /etc/nginx; } && echo a > conf.d/c.conf",
                "/etc/nginx/conf.d/c.conf",
            ),
            (
                "cd /etc/nginx && echo a | tee conf.d/d.conf",
                "/etc/nginx/conf.d/d.conf",
            ),
            (
                "(cd /tmp) > /etc/nginx/conf.d/e.conf",
                "/etc/nginx/conf.d/e.conf",
            ),
        ] {
            assert_eq!(places("/srv", run), [place], "{run}");
        }
        // Linear: many subshells one after another.
        let run = vec!["(cd /tmp/a && echo x > y)"; 20_000].join(" \\\n && ");
        let run = format!("{run} && echo a > z.conf");
        let started = std::time::Instant::now();
        assert_eq!(
            places("/etc/nginx/conf.d", &run),
            ["/etc/nginx/conf.d/z.conf"]
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn shell_c_scripts_are_read_as_scripts() {
        for run in [
            "sh -c 'printf \"proxy_http_version 1.1;\\n\" > /etc/nginx/conf.d/00-proxy.conf'",
            "/bin/bash -c \"echo 'x;' > /etc/nginx/conf.d/00-proxy.conf\"",
            "bash -ec \"echo 'x;' > /etc/nginx/conf.d/00-proxy.conf\"",
            "su root -c 'echo x > /etc/nginx/conf.d/00-proxy.conf'",
            "su -c 'echo x > /etc/nginx/conf.d/00-proxy.conf' root",
            "env A=b sh -c 'echo x > /etc/nginx/conf.d/00-proxy.conf'",
            "cd /etc/nginx/conf.d && sh -c 'echo x > 00-proxy.conf'",
            "sh -c \"sh -c 'sh -c \\\"echo x > /etc/nginx/conf.d/00-proxy.conf\\\"'\"",
        ] {
            assert_eq!(
                run_places(&format!("FROM nginx\nRUN {run}\n")),
                ["/etc/nginx/conf.d/00-proxy.conf"],
                "{run}"
            );
        }
        // Past the depth limit, what the script names under nginx's folders counts.
        let mut deep = String::from("echo x > /etc/nginx/conf.d/a.conf");
        for _ in 0..6 {
            deep = format!("sh -c '{}'", deep.replace('\'', "'\\''"));
        }
        assert_eq!(
            run_places(&format!("FROM nginx\nRUN {deep}\n")),
            ["/etc/nginx"]
        );
        // A script given to a program the scan does not know: the folder it names.
        assert_eq!(
            run_places(
                "FROM nginx\nRUN runuser -u root -- sh -c 'echo x > /etc/nginx/conf.d/a.conf'\n"
            ),
            ["/etc/nginx"]
        );
        // A script that only reads: nothing.
        assert!(
            run_places("FROM nginx\nRUN sh -c 'nginx -t && cat /etc/nginx/nginx.conf'\n")
                .is_empty()
        );
    }

    #[test]
    fn relative_writes_under_an_unknown_directory_are_unknown() {
        for dockerfile in [
            "FROM nginx\nENV CONF_DIR=/etc/nginx/conf.d\nRUN cd $CONF_DIR && printf 'x;' > 00-proxy.conf\n",
            "FROM nginx\nENV CONF_DIR=/etc/nginx/conf.d\nWORKDIR ${CONF_DIR}\nRUN printf 'x;' > 00-proxy.conf\n",
            "FROM nginx\nWORKDIR /etc/nginx/conf.d\nRUN cd /tmp && cd - && printf 'x;' > 00-proxy.conf\n",
            "FROM nginx\nRUN cd $NGINX_DIR && sed -i s/a/b/ nginx.conf\n",
        ] {
            let parsed = crate::formats::dockerfile::parse(dockerfile).expect("parses");
            let dirs = parsed
                .instructions
                .iter()
                .any(|i| i.keyword != "RUN" && i.args.as_str().contains("nginx"));
            // As `lower` keeps it: the WORKDIR with a variable is unknown.
            let workdir = if dockerfile.contains("WORKDIR ${") {
                None
            } else if dockerfile.contains("WORKDIR /etc") {
                Some("/etc/nginx/conf.d")
            } else {
                Some("/")
            };
            let places: Vec<Option<String>> = parsed
                .instructions
                .iter()
                .filter(|i| i.keyword == "RUN")
                .flat_map(|i| nginx_run_writes(i, workdir, named(dirs), &|_| None))
                .collect();
            assert_eq!(places, [None], "{dockerfile}");
        }
        // Nothing names nginx: a relative write under `cd $BUILD` is not taken there.
        assert!(run_places("FROM nginx\nRUN cd $BUILD && make > build.log\n").is_empty());
        // A RUN the shell parser gives up on writes, as far as the scan knows, anywhere in its
        // working directory.
        let unparsable = crate::formats::dockerfile::parse(
            "FROM nginx\nRUN printf 'x;' > 00-proxy.conf && echo \"unterminated\n",
        )
        .expect("parses");
        let run = unparsable.instructions.iter().find(|i| i.keyword == "RUN");
        let places_in =
            |workdir| run.map(|i| nginx_run_writes(i, workdir, named(false), &|_| None));
        assert_eq!(
            places_in(Some("/etc/nginx/conf.d")),
            Some(vec![Some("/etc/nginx/conf.d".to_string())])
        );
        assert_eq!(places_in(Some("/srv/app")), Some(vec![]));
    }

    #[test]
    fn here_documents_given_to_cat_or_tee_are_data() {
        // The text of `config.js`, not commands: `window.API_URL = "${API_URL}"` writes nothing.
        for quiet in [
            "FROM nginx\nRUN cat > /usr/share/nginx/html/config.js <<EOF\nwindow.API_URL = \"${API_URL}\";\nEOF\n",
            "FROM nginx\nRUN tee /usr/share/nginx/html/v.json <<'EOF' >/dev/null\n{\"a\": 1} > /etc/nginx/x\nEOF\n",
        ] {
            assert!(run_places(quiet).is_empty(), "{quiet}");
        }
        // Where the data goes still counts; a bare `RUN <<EOF` or `<<EOF bash` is a script.
        for (dockerfile, place) in [
            (
                "FROM nginx\nRUN cat > /etc/nginx/conf.d/a.conf <<EOF\nx;\nEOF\n",
                "/etc/nginx/conf.d/a.conf",
            ),
            (
                "FROM nginx\nRUN <<EOF\necho x > /etc/nginx/conf.d/b.conf\nEOF\n",
                "/etc/nginx/conf.d/b.conf",
            ),
            (
                "FROM nginx\nRUN <<EOF bash\necho x > /etc/nginx/conf.d/c.conf\nEOF\n",
                "/etc/nginx/conf.d/c.conf",
            ),
            // Piped into a shell, or saved and run in the same RUN: a script.
            (
                "FROM nginx\nRUN cat <<EOF | sh\necho x > /etc/nginx/conf.d/d.conf\nEOF\n",
                "/etc/nginx/conf.d/d.conf",
            ),
            (
                "FROM nginx\nRUN tee /tmp/s.sh <<EOF && sh /tmp/s.sh\necho x > /etc/nginx/conf.d/e.conf\nEOF\n",
                "/etc/nginx/conf.d/e.conf",
            ),
            (
                "FROM nginx\nRUN cat > /tmp/s <<EOF && chmod +x /tmp/s && /tmp/s\necho x > /etc/nginx/conf.d/f.conf\nEOF\n",
                "/etc/nginx/conf.d/f.conf",
            ),
            (
                "FROM nginx\nRUN cat > /tmp/s <<EOF && . /tmp/s\necho x > /etc/nginx/conf.d/g.conf\nEOF\n",
                "/etc/nginx/conf.d/g.conf",
            ),
        ] {
            assert_eq!(run_places(dockerfile), [place], "{dockerfile}");
        }
        // Still data beside commands that run no script (`/bin/cat` is cat).
        for quiet in [
            "FROM nginx\nRUN cat > /usr/share/nginx/html/a.js <<EOF && chmod 644 /usr/share/nginx/html/a.js\nwindow.x = 1 > /etc/nginx/x;\nEOF\n",
            "FROM nginx\nRUN /bin/cat > /usr/share/nginx/html/b.js <<EOF\nwindow.x = 1 > /etc/nginx/x;\nEOF\n",
        ] {
            assert!(run_places(quiet).is_empty(), "{quiet}");
        }
    }

    /// A pipeline's elements, `( … )` and background jobs are subshells; piped elements are the
    /// ones before the last.
    #[test]
    fn subshell_parts_are_listed_in_source_order() {
        let text = "(cd /a) | b | c; d & e";
        let parsed = crate::shell::parse(text).expect("parses");
        let parts = crate::shell::subshell_parts(&parsed);
        let texts = |spans: &[Span]| -> Vec<String> {
            spans
                .iter()
                .filter_map(|s| text.get(s.start..s.end))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(texts(&parts.subshells), ["(cd /a)", "b", "c", "d &"]);
        assert_eq!(texts(&parts.piped), ["(cd /a)", "b"]);
    }

    #[test]
    fn commands_that_only_read_nginx_folders_write_nothing_there() {
        for run in [
            "su-exec nginx ls /etc/nginx/conf.d",
            "gosu nginx cat /etc/nginx/nginx.conf",
            "env LC_ALL=C grep -r listen /etc/nginx",
            "sha256sum /etc/nginx/nginx.conf > /tmp/nginx.sum",
            "md5sum /etc/nginx/conf.d/default.conf",
            "tar -czf /tmp/nginx-conf.tgz /etc/nginx",
            "tar czf /tmp/nginx-conf.tgz -C /etc nginx",
            "tar --create --gzip --file=/tmp/c.tgz /etc/nginx/conf.d",
            "tar -tzf /tmp/c.tgz /etc/nginx",
            "tar -xzf /tmp/site.tgz -C /usr/share/nginx/html",
            "tar -xOf /tmp/c.tgz etc/nginx/nginx.conf > /tmp/nginx.conf",
        ] {
            assert!(
                run_places(&format!("FROM nginx\nRUN {run}\n")).is_empty(),
                "{run}"
            );
        }
        // What a wrapped program writes, and what tar extracts, still count.
        for (run, place) in [
            (
                "su-exec nginx cp /tmp/a.conf /etc/nginx/conf.d/",
                "/etc/nginx/conf.d",
            ),
            (
                "gosu root sed -i s/a/b/ /etc/nginx/nginx.conf",
                "/etc/nginx/nginx.conf",
            ),
            ("tar -xzf /tmp/conf.tgz -C /etc/nginx", "/etc/nginx"),
            (
                "tar xzf /tmp/conf.tgz -C /etc/nginx/conf.d",
                "/etc/nginx/conf.d",
            ),
            (
                "tar --extract --file /tmp/c.tar --directory=/etc/nginx",
                "/etc/nginx",
            ),
            ("cd /etc/nginx && tar -xf /tmp/conf.tar", "/etc/nginx"),
            (
                "tar -czf /etc/nginx/conf.d/backup.conf /tmp/x",
                "/etc/nginx/conf.d/backup.conf",
            ),
            // An option that runs a program: any operand may be written.
            (
                "tar -xf /tmp/c.tar --to-command='sh -c x' /etc/nginx",
                "/etc/nginx",
            ),
        ] {
            assert_eq!(
                run_places(&format!("FROM nginx\nRUN {run}\n")),
                [place],
                "{run}"
            );
        }
    }

    #[test]
    fn user_and_group_commands_write_nothing_under_nginx() {
        for run in [
            "apk add --no-cache shadow && usermod -u $UID nginx",
            "groupmod -g $GID nginx",
            "addgroup -g ${GID} -S nginx && adduser -S -D -H -u ${UID} -G nginx nginx",
            "deluser nginx && delgroup nginx",
            "groupadd -g 1000 nginx && useradd -r -g nginx nginx",
        ] {
            assert!(
                run_places(&format!("FROM nginx\nARG UID=1000\nRUN {run}\n")).is_empty(),
                "{run}"
            );
        }
    }

    #[test]
    fn adds_of_local_archives_may_unpack() {
        let add = |line: &str| {
            let parsed = crate::formats::dockerfile::parse(&format!("FROM nginx\n{line}\n"))
                .expect("parses");
            parsed.instructions.iter().any(add_may_unpack)
        };
        for unpacks in [
            "ADD nginx-conf.tar.gz /etc/nginx/",
            "ADD --chown=nginx rootfs.tar /",
            "ADD conf.tgz conf.txz /etc/nginx/",
            "ADD bundle.tar.zst /etc/nginx/",
        ] {
            assert!(add(unpacks), "{unpacks}");
        }
        for copies in [
            "ADD nginx.conf /etc/nginx/nginx.conf",
            "ADD https://example.com/conf.tar.gz /etc/nginx/",
            "COPY conf.tar.gz /etc/nginx/",
        ] {
            assert!(!add(copies), "{copies}");
        }
    }

    #[test]
    fn copy_sources_are_read_from_the_context_root() {
        for (source, in_the_context) in [
            ("./docker/entrypoint.sh", "./docker/entrypoint.sh"),
            ("docker/*.sh", "docker/*.sh"),
            ("/docker/entrypoint.sh", "docker/entrypoint.sh"),
            ("../app/", "app/"),
            ("../../*.sh", "*.sh"),
            ("/", "./"),
            ("..", "."),
        ] {
            assert_eq!(in_context(source), in_the_context, "{source}");
        }
    }
    use crate::formats::dockerfile::MAX_SUBSTITUTED;

    /// The joined path as Docker writes it before cleaning.
    fn join_path(base: &str, path: &str) -> String {
        if path.starts_with('/') {
            path.to_string()
        } else if base.ends_with('/') {
            format!("{base}{path}")
        } else {
            format!("{base}/{path}")
        }
    }

    #[test]
    fn docker_accepts_the_signals_its_parse_signal_does() {
        for ok in [
            "SIGTERM",
            "term",
            "Sigquit",
            "15",
            "+3",
            "-1",
            "0009",
            "SIGRTMIN",
            "RTMIN+1",
            "SIGRTMIN+15",
            "SIGRTMAX-14",
            "RTMAX",
            "SIGCLD",
            "IOT",
        ] {
            assert!(docker_accepts_signal(ok), "{ok}");
        }
        for bad in [
            "",
            "0",
            "+0",
            "SIGFOO",
            "SIGSIGTERM",
            "SIGTERM SIGKILL",
            "[SIGKILL]",
            "RTMIN+0",
            "RTMIN+16",
            "RTMAX-15",
            "RTMAX+1",
            "RTMIN+01",
            "99999999999999999999",
            " TERM",
        ] {
            assert!(!docker_accepts_signal(bad), "{bad:?}");
        }
    }

    fn final_signal(text: &str) -> Option<Signal> {
        let parsed = crate::formats::dockerfile::parse(text).expect("parses");
        let fragment = lower(FileId(0), &parsed, None, None);
        fragment
            .workloads
            .first()
            .and_then(|w| w.stop_signal.as_deref())
            .map(|f| f.value.clone())
    }

    #[test]
    fn a_stop_signal_from_variables_is_read_as_docker_expands_it() {
        let kill = Some(Signal::Kill);
        assert_eq!(final_signal("FROM a\nARG S=SIGKILL\nSTOPSIGNAL $S\n"), kill);
        // A global ARG reaches a stage only when the stage declares it again.
        assert_eq!(
            final_signal("ARG S=KILL\nFROM a\nARG S\nSTOPSIGNAL ${S}\n"),
            kill
        );
        assert_eq!(
            final_signal("ARG S=KILL\nFROM a\nSTOPSIGNAL ${S}\n"),
            Some(Signal::Unknown("${S}".into()))
        );
        // ENV wins over an ARG of the same name, and lives on in a stage built FROM this one.
        assert_eq!(
            final_signal(
                "FROM a AS base\nENV S=SIGQUIT\nFROM base\nARG S=SIGKILL\nSTOPSIGNAL $S\n"
            ),
            Some(Signal::Quit)
        );
        // ARGs do not.
        assert_eq!(
            final_signal("FROM a AS base\nARG S=SIGQUIT\nFROM base\nSTOPSIGNAL $S\n"),
            Some(Signal::Unknown("$S".into()))
        );
        assert_eq!(
            final_signal("FROM a\nARG S\nSTOPSIGNAL ${S:-SIGINT}\n"),
            Some(Signal::Unknown("${S:-SIGINT}".into()))
        );
        assert_eq!(final_signal("FROM a\nSTOPSIGNAL \"SIGKILL\"\n"), kill);
    }

    /// Copies of a big value: past the limit of substituted bytes a variable is unknown, so
    /// what is stored stays bounded and a value built from it is unknown, not a finding.
    #[test]
    fn values_past_the_substitution_limit_are_unknown() {
        let big = "x".repeat(60_000);
        let text = |copies: usize| {
            let mut text = format!("FROM a\nENV BIG={big}\n");
            for i in 0..copies {
                text.push_str(&format!("ENV C{i}=${{BIG}}\n"));
            }
            text.push_str("ENV S=${BIG}\nSTOPSIGNAL $S\n");
            text
        };
        let outcome = |copies: usize| {
            let parsed = crate::formats::dockerfile::parse(&text(copies)).expect("parses");
            let fragment = lower(FileId(0), &parsed, None, None);
            let signal = fragment
                .workloads
                .first()
                .and_then(|w| w.stop_signal.as_deref())
                .map(|f| f.value.clone());
            (signal, fragment.file_facts.problems.len())
        };
        // Within the limit the value is known: Docker refuses the signal.
        assert_eq!(outcome(3), (Some(Signal::Unknown("$S".into())), 1));
        // Past it, unknown: no problem reported.
        let copies = MAX_SUBSTITUTED / big.len() + 1;
        assert_eq!(outcome(copies), (Some(Signal::Unknown("$S".into())), 0));

        // What the scope holds: the text as written plus at most the limit.
        let parsed = crate::formats::dockerfile::parse(&text(100)).expect("parses");
        let mut scope = Scope::default();
        for instruction in &parsed.instructions {
            if instruction.keyword == "ENV" {
                scope.declare(instruction, &[], parsed.escape);
            }
        }
        let held: usize = scope.env.values().flatten().map(|v| v.text.len()).sum();
        assert!(held <= big.len() + MAX_SUBSTITUTED, "{held}");
        assert_eq!(
            scope.env.values().filter(|v| v.is_none()).count(),
            100 + 1 - (copies - 1)
        );
    }

    #[test]
    fn an_invalid_stop_signal_in_the_built_stages_is_docker_s_build_error() {
        let problems = |text: &str| {
            let parsed = crate::formats::dockerfile::parse(text).expect("parses");
            lower(FileId(0), &parsed, None, None)
                .file_facts
                .problems
                .into_iter()
                .map(|p| p.message)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            problems("FROM a\nSTOPSIGNAL SIGFOO\nSTOPSIGNAL SIGTERM\n"),
            ["invalid signal: SIGFOO; Docker refuses to build this stage"]
        );
        assert_eq!(
            problems("FROM a\nARG S=SIGFOO\nSTOPSIGNAL $S\n"),
            ["invalid signal: SIGFOO (`$S`); Docker refuses to build this stage"]
        );
        // A stage the final image does not build from is not built.
        assert!(problems("FROM a AS tools\nSTOPSIGNAL SIGFOO\nFROM b\n").is_empty());
        assert!(problems("FROM a\nARG S\nSTOPSIGNAL $S\n").is_empty());
    }

    fn image_of(text: &str) -> Image {
        let parsed = crate::formats::dockerfile::parse(text).expect("parses");
        lower(FileId(0), &parsed, None, None)
            .images
            .pop()
            .expect("an image")
    }

    /// A RUN of the final stage's chain that installs the distribution's nginx package is
    /// recorded: apt-get/apt/aptitude `install` of nginx (or its flavours) → Debian's, `apk
    /// add nginx` → Alpine's; parsed, not searched for, and not when nginx.org's repository is
    /// named (its packages ship the official layout).
    #[test]
    fn nginx_package_installs_are_recognised() {
        let package = |text: &str| image_of(text).nginx_package;
        let debian = Some(NginxPackage::Debian);
        let alpine = Some(NginxPackage::Alpine);
        assert_eq!(
            package(
                "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y \
                 --no-install-recommends nginx && rm -rf /var/lib/apt/lists/*\n"
            ),
            debian
        );
        for line in [
            "RUN DEBIAN_FRONTEND=noninteractive apt-get -o Dpkg::Options::=--force-confold install -y nginx-full",
            "RUN apt install -y nginx-light curl",
            "RUN aptitude install -y nginx-extras",
            "RUN sudo apt-get install -y nginx=1.22.1-9",
            "RUN apt-get -t bookworm-backports install -y nginx-core",
            "RUN set -eux; apt-get update; apt-get install -y nginx/bookworm",
        ] {
            assert_eq!(package(&format!("FROM node:20-bookworm-slim\n{line}\n")), debian, "{line}");
        }
        assert_eq!(
            package("FROM python:3.12-alpine\nRUN apk add --no-cache nginx\n"),
            alpine
        );
        assert_eq!(
            package("FROM python:3.12-alpine\nRUN apk add --no-cache nginx=1.26.2-r0 curl\n"),
            alpine
        );
        // An earlier stage the final one is built FROM counts; another stage does not.
        assert_eq!(
            package("FROM php:8.3-fpm AS base\nRUN apt-get install -y nginx\nFROM base\nCMD x\n"),
            debian
        );
        assert_eq!(
            package("FROM debian AS b\nRUN apt-get install -y nginx\nFROM python:3.12-slim\n"),
            None
        );
        for text in [
            // Not an install, or not nginx's package.
            "FROM python:3.12-slim\nRUN apt-get remove -y nginx\n",
            "FROM python:3.12-slim\nRUN apt-get install -y libnginx-mod-http-echo\n",
            "FROM python:3.12-slim\nRUN apt-get install -y nginx-common-doc\n",
            "FROM python:3.12-slim\nRUN echo apt-get install nginx\n",
            "FROM python:3.12-slim\nRUN [\"apt-get\", \"install\", \"-y\", \"nginx\"]\n",
            // `-t nginx` names the virtual package, not what is installed.
            "FROM python:3.12-alpine\nRUN apk add -t nginx curl\n",
            "FROM python:3.12-alpine\nRUN apk del nginx\n",
            // nginx.org's repository: the official layout, not the distribution's.
            "FROM debian:12-slim\nRUN curl -fsSL https://nginx.org/keys/nginx_signing.key | gpg --dearmor -o /k.gpg\n\
             RUN apt-get update && apt-get install -y nginx\n",
            "FROM alpine:3.20\nRUN apk add -X https://nginx.org/packages/mainline/alpine/v3.20/main nginx\n",
        ] {
            assert_eq!(package(text), None, "{text}");
        }
    }

    /// The package installed in a here-document a shell runs, in an `sh -c` script, or through
    /// a package list the stage's ARG or ENV holds; a here-document that is data, another
    /// program's input, or a value the Dockerfile does not give is no install.
    #[test]
    fn nginx_packages_in_scripts_and_variables_are_recognised() {
        let package = |text: &str| image_of(text).nginx_package;
        let debian = Some(NginxPackage::Debian);
        let alpine = Some(NginxPackage::Alpine);
        for (text, expected) in [
            (
                "FROM python:3.12-slim\nRUN <<EOF\nset -eux\napt-get update\n\
                 apt-get install -y --no-install-recommends nginx\nEOF\n",
                debian,
            ),
            (
                "FROM php:8.3-fpm-alpine\nRUN <<EOF\napk add --no-cache nginx\nEOF\n",
                alpine,
            ),
            (
                "FROM python:3.12-slim\nRUN <<EOF bash\napt-get install -y nginx\nEOF\n",
                debian,
            ),
            (
                "FROM python:3.12-slim\nRUN <<'EOF'\n#!/bin/bash\napt-get install -y nginx\nEOF\n",
                debian,
            ),
            (
                "FROM python:3.12-slim\nRUN sh -c \"apt-get update && apt-get install -y nginx\"\n",
                debian,
            ),
            (
                "FROM python:3.12-alpine\nRUN /bin/bash -lc 'apk add --no-cache nginx'\n",
                alpine,
            ),
            (
                "FROM python:3.12-slim\nARG SYSTEM_PACKAGES=\"nginx supervisor\"\n\
                 RUN apt-get update && apt-get install -y --no-install-recommends $SYSTEM_PACKAGES\n",
                debian,
            ),
            (
                "FROM python:3.12-slim\nENV PKGS=\"curl nginx\"\nRUN apt-get install -y ${PKGS}\n",
                debian,
            ),
            (
                "FROM python:3.12-slim\nARG NGINX_VERSION=1.22.1-9\n\
                 RUN apt-get install -y \"nginx=${NGINX_VERSION}\"\n",
                debian,
            ),
            (
                "FROM python:3.12-alpine\nARG EXTRA\nRUN apk add --no-cache $EXTRA nginx\n",
                alpine,
            ),
            (
                "FROM python:3.12-slim\nARG PKGS=nginx\nRUN <<EOF\napt-get install -y $PKGS\nEOF\n",
                debian,
            ),
        ] {
            assert_eq!(package(text), expected, "{text}");
        }
        for text in [
            // Data: the text of a file, another program's input, a script of another language.
            "FROM python:3.12-slim\nRUN cat > /opt/setup.sh <<EOF\napt-get install -y nginx\nEOF\n",
            "FROM python:3.12-slim\nRUN python3 <<EOF\nprint('apt-get install -y nginx')\nEOF\n",
            "FROM python:3.12-slim\nRUN <<EOF\n#!/usr/bin/env python3\nimport os\n\
             os.system('apt-get install -y nginx')\nEOF\n",
            // A value only the build knows, or one the script sets itself.
            "FROM python:3.12-slim\nARG PKGS\nRUN apt-get install -y $PKGS\n",
            "FROM python:3.12-slim\nRUN apt-get install -y $PKGS\n",
            "FROM python:3.12-slim\nARG PKGS=nginx\nRUN PKGS=curl; apt-get install -y $PKGS\n",
            "FROM python:3.12-slim\nARG PKGS=nginx\nRUN for PKGS in curl; do apt-get install -y $PKGS; done\n",
            "FROM python:3.12-slim\nARG PKGS=nginx\nRUN apt-get install -y $(echo $PKGS | tr n m)\n",
            // Quoted, the list is one word: no package of that name.
            "FROM python:3.12-slim\nARG PKGS=\"nginx curl\"\nRUN apt-get install -y \"$PKGS\"\n",
            // An ARG of another stage is not in this one.
            "FROM debian AS b\nARG PKGS=nginx\nFROM python:3.12-slim\nRUN apt-get install -y $PKGS\n",
        ] {
            assert_eq!(package(text), None, "{text}");
        }
    }

    /// The names a script may set are its words of name characters not expanded (`$X`,
    /// `${X}`), read in one pass; a RUN of many expansions outside any install costs no more
    /// than its size.
    #[test]
    fn names_a_script_may_set_are_read_once() {
        let names =
            names_script_may_set("PKGS=curl; for P in a; do read -r Q; done; echo $A ${B} ${C:-x}");
        for set in ["PKGS", "P", "Q", "for", "read", "r", "x"] {
            assert!(names.contains(set), "{set}");
        }
        for expanded in ["A", "B", "C"] {
            assert!(!names.contains(expanded), "{expanded}");
        }
        // 200,000 words `$A` (the same shape took seconds when each word rescanned the RUN).
        // Continuation lines of 100 words (a Dockerfile line is at most 64 KiB).
        let line = vec!["$A"; 100].join(" ");
        let words = vec![line.as_str(); 2_000].join(" \\\n  ");
        let text = format!("FROM python:3.12-slim\nARG A=x\nRUN echo {words} > /tmp/out.txt\n");
        let started = std::time::Instant::now();
        assert_eq!(image_of(&text).nginx_package, None);
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let text = format!(
            "FROM python:3.12-slim\nARG A=nginx\nRUN echo {words} && apt-get install -y $A\n"
        );
        assert_eq!(image_of(&text).nginx_package, Some(NginxPackage::Debian));
    }

    /// A FROM that names build arguments is rebuilt from the args a build sets; a value only
    /// the environment knows makes it unknown.
    #[test]
    fn build_args_replace_the_defaults_a_from_uses() {
        let base = |text: &str, args: &[(&str, Option<&str>)]| {
            let image = image_of(text);
            let args: Vec<(String, Option<String>)> = args
                .iter()
                .map(|(n, v)| (n.to_string(), v.map(str::to_string)))
                .collect();
            base_with_args(image.base_args.as_deref()?, &args)
        };
        let text = "ARG V=1.25-alpine\nARG IMAGE=nginx:${V}\nFROM ${IMAGE}\n";
        assert_eq!(base(text, &[]).as_deref(), Some("nginx:1.25-alpine"));
        assert_eq!(
            base(text, &[("V", Some("1.30-alpine"))]).as_deref(),
            Some("nginx:1.30-alpine")
        );
        // The last setting of a name wins; an arg the FROM does not use changes nothing.
        assert_eq!(
            base(
                text,
                &[("V", Some("1.26")), ("V", Some("1.29")), ("X", None)]
            )
            .as_deref(),
            Some("nginx:1.29")
        );
        assert_eq!(base(text, &[("V", None)]), None);
        assert_eq!(base("ARG V\nFROM nginx:$V\n", &[]), None);
        // Only the ARGs the FROM reaches are kept (an arg of another name changes nothing).
        let reached = image_of("ARG X=1\nARG V=1.25\nARG I=nginx:${V}\nARG Y=2\nFROM $I\n");
        let names: Vec<String> = reached
            .base_args
            .map(|b| b.globals.into_iter().map(|(n, _)| n).collect())
            .unwrap_or_default();
        assert_eq!(names, ["V", "I"]);
        // A FROM without variables, or naming an earlier stage, has nothing to rebuild.
        assert!(image_of("FROM nginx:1.25\n").base_args.is_none());
        assert!(image_of("ARG B=x\nFROM nginx:$B AS base\nFROM base\n")
            .base_args
            .is_some());
    }

    /// A later COPY of one context file over a place a RUN wrote replaces what the RUN left;
    /// an earlier one does not, and a folder or wildcard copy is not known to.
    #[test]
    fn a_later_copy_replaces_what_a_run_wrote_at_its_place() {
        let unknown = |text: &str| image_of(text).other_copies;
        let run = "RUN sed -i 's/a/b/' /etc/nginx/conf.d/default.conf\n";
        let place = vec![Some("/etc/nginx/conf.d/default.conf".to_string())];
        for copy in [
            "COPY default.conf /etc/nginx/conf.d/\n",
            "COPY nginx/site.conf /etc/nginx/conf.d/default.conf\n",
        ] {
            assert!(
                unknown(&format!("FROM nginx\n{run}{copy}")).is_empty(),
                "{copy}"
            );
            assert_eq!(
                unknown(&format!("FROM nginx\n{copy}{run}")),
                place,
                "{copy}"
            );
        }
        for copy in [
            "COPY conf.d/ /etc/nginx/conf.d/\n",
            "COPY *.conf /etc/nginx/conf.d/\n",
            "COPY a.conf b.conf /etc/nginx/conf.d/\n",
        ] {
            assert_eq!(
                unknown(&format!("FROM nginx\n{run}{copy}")),
                place,
                "{copy}"
            );
        }
    }

    /// The working directory is kept cleaned, as Docker cleans it: a relative WORKDIR after it
    /// gives what joining and normalizing the written paths gave.
    #[test]
    fn working_directories_join_and_clean_like_docker() {
        let known = |current: &str, path: &str| change_dir(Some(current.to_string()), path);
        for (current, path, expected) in [
            ("/", "app", "/app"),
            ("/", "/srv/app/", "/srv/app"),
            ("/app", "b/./c/", "/app/b/c"),
            ("/app", "../../..", "/"),
            ("/app", "..//x/..", "/"),
            ("/a/b", "../c", "/a/c"),
            ("/a", "", "/a"),
            ("/a", ".", "/a"),
            ("/a", "$HOME/x", "/a/$HOME/x"),
        ] {
            assert_eq!(known(current, path).as_deref(), Some(expected), "{path}");
            assert_eq!(
                normalize(&join_path(current, path)).trim_end_matches('/'),
                expected.trim_end_matches('/'),
                "{path}"
            );
        }
        let image = image_of("FROM a\nWORKDIR /srv/\nWORKDIR app/../web/\nCOPY . .\n");
        assert_eq!(image.workdir.as_deref(), Some("/srv/web"));
        let copy = image.copies.first().expect("a copy");
        let path = copy.destination.as_ref().map(CopyDestination::path);
        assert_eq!(path.as_deref(), Some("/srv/web/"));
    }

    /// A directory Linux cannot hold fails the build at its WORKDIR: the working directory is
    /// unknown from there, and a relative WORKDIR after it keeps it unknown at no cost.
    #[test]
    fn a_working_directory_no_linux_path_can_be_is_unknown() {
        let name = "a".repeat(NAME_MAX);
        let long = "a".repeat(NAME_MAX + 1);
        let known = |path: &str| change_dir(Some("/".into()), path);
        assert_eq!(known(&name), Some(format!("/{name}")));
        assert_eq!(known(&long), None);
        assert_eq!(known(&format!("x/{long}/y")), None);
        // Docker cleans the path before it creates it: a long name `..` removes never exists.
        assert_eq!(known(&format!("x/{long}/../y")).as_deref(), Some("/x/y"));
        assert_eq!(known(&format!("{long}/../{long}")), None);
        // `/` and PATH_MAX - 2 more bytes (with the NUL, PATH_MAX) is the longest path.
        let deep = |bytes: usize| {
            let mut path = String::new();
            while path.len() + 1 + NAME_MAX < bytes {
                path.push('/');
                path.push_str(&name);
            }
            path.push('/');
            path.push_str(&"b".repeat(bytes - path.len()));
            path
        };
        assert_eq!(
            known(&deep(PATH_MAX - 1)).map(|p| p.len()),
            Some(PATH_MAX - 1)
        );
        assert_eq!(known(&deep(PATH_MAX)), None);
        // Unknown stays unknown for a relative WORKDIR; an absolute one is known again.
        assert_eq!(change_dir(None, "b"), None);
        assert_eq!(change_dir(None, "/b/c/..").as_deref(), Some("/b"));

        let image = image_of(&format!(
            "FROM a\nWORKDIR {long}\nWORKDIR b\nCOPY x y\nCOPY z /bin/\n"
        ));
        assert_eq!(image.workdir, None);
        let destinations: Vec<_> = image
            .copies
            .iter()
            .map(|c| c.destination.as_ref().map(CopyDestination::path))
            .collect();
        assert_eq!(destinations, [None, Some("/bin/".to_string())]);
        // Sources stay known (nginx looks at what is copied, not where to).
        assert_eq!(
            image.copies.first().map(|c| c.sources.clone()),
            Some(vec!["x".into()])
        );
    }

    /// COPY destinations are cleaned as `normalize` cleans the joined path, and the COPYs
    /// under one working directory share it.
    #[test]
    fn copy_places_and_working_directories_replace_arg_and_env_like_docker() {
        let places = |text: &str| {
            let image = image_of(text);
            let copies: Vec<Option<String>> = image
                .copies
                .iter()
                .map(|c| c.destination.as_ref().map(CopyDestination::path))
                .collect();
            (copies, image.workdir, image.path_args, image.unknown_files)
        };
        // ENV: known, no build argument decides it.
        let (copies, workdir, args, unknown) = places(
            "FROM nginx\nENV CONF_DIR=/etc/nginx/conf.d\n\
             COPY proxy.conf ${CONF_DIR}/00-proxy.conf\nWORKDIR $CONF_DIR\nCOPY a b ./\n",
        );
        assert_eq!(
            copies,
            [
                Some("/etc/nginx/conf.d/00-proxy.conf".to_string()),
                Some("/etc/nginx/conf.d/".to_string())
            ]
        );
        assert_eq!(workdir.as_deref(), Some("/etc/nginx/conf.d"));
        assert!(args.is_none() && !unknown);
        // Sources too, and `${VAR:-default}` with the variable set by an earlier ENV.
        let image = image_of("FROM nginx\nENV SRC=nginx\nCOPY ${SRC}/proxy.conf ${D:-/etc}/\n");
        assert_eq!(image.copies[0].sources, ["nginx/proxy.conf"]);
        // An ARG's default, an ENV made of it, a relative COPY under a WORKDIR made of it: each
        // place records the arguments that decided it, with their defaults.
        let (copies, workdir, args, _) = places(
            "FROM nginx\nARG BASE=/etc/nginx\nENV CONF=$BASE/conf.d\nCOPY a /srv/a\n\
             COPY p ${CONF}/p.conf\nWORKDIR ${CONF}\nCOPY s s.conf\n",
        );
        assert_eq!(
            copies,
            [
                Some("/srv/a".to_string()),
                Some("/etc/nginx/conf.d/p.conf".to_string()),
                Some("/etc/nginx/conf.d/s.conf".to_string())
            ]
        );
        assert_eq!(workdir.as_deref(), Some("/etc/nginx/conf.d"));
        let args = args.expect("arguments decide places");
        assert_eq!(
            args.names,
            [("BASE".to_string(), Some("/etc/nginx".to_string()))]
        );
        assert_eq!(args.copies, [1, 2]);
        assert!(args.workdir);
        // An absolute WORKDIR after it is the arguments' no more.
        let (_, _, args, _) = places("FROM a\nARG D=/x\nWORKDIR $D\nWORKDIR /y\nCOPY a b\n");
        let args = args.expect("the WORKDIR's argument");
        assert!(!args.workdir && args.copies.is_empty());
        // Not known: an ARG without a default, a variable the base image may set, a variable
        // of another stage. The place stays as today (unknown files, unknown working directory).
        for text in [
            "FROM nginx\nARG CONF_DIR\nCOPY p ${CONF_DIR}/p.conf\nWORKDIR $CONF_DIR\n",
            "FROM nginx\nCOPY p ${NGINX_CONF}/p.conf\nWORKDIR $NGINX_CONF\n",
            "FROM a AS b\nARG C=/etc/nginx/conf.d\nFROM b\nCOPY p $C/p.conf\nWORKDIR $C\n",
        ] {
            let (copies, workdir, args, unknown) = places(text);
            assert!(unknown, "{text}");
            assert_eq!(workdir, None, "{text}");
            assert!(args.is_none(), "{text}");
            assert!(
                copies
                    .iter()
                    .all(|c| c.as_deref() != Some("/etc/nginx/conf.d/p.conf")),
                "{text}"
            );
        }
        // A COPY --from under a WORKDIR an argument decides: its place is the argument's.
        let image = image_of("FROM a\nARG D=/etc/nginx/conf.d\nWORKDIR $D\nCOPY --from=b /p .\n");
        assert_eq!(image.other_copies, [Some("/etc/nginx/conf.d/".to_string())]);
        assert!(image.path_args.is_some_and(|a| a.other_copies));
    }

    #[test]
    fn copy_destinations_clean_and_share_the_working_directory() {
        let image = image_of(
            "FROM a\nWORKDIR /srv/app\nCOPY a b\nCOPY a ../c/./d/\nCOPY a ../../..\n\
             COPY a b c/.\nCOPY a .\nCOPY a /x/../y\nCOPY a x/..\nWORKDIR /\nCOPY a .\n",
        );
        let paths: Vec<_> = image
            .copies
            .iter()
            .filter_map(|c| c.destination.as_ref().map(CopyDestination::path))
            .collect();
        assert_eq!(
            paths,
            [
                "/srv/app/b",
                "/srv/c/d/",
                "/",
                "/srv/app/c/",
                "/srv/app/",
                "/y",
                "/srv/app",
                "/"
            ]
        );
        for (copy, old) in image.copies.iter().zip([
            "/srv/app/b",
            "/srv/app/../c/./d/",
            "/srv/app/../../..",
            "/srv/app/c/./",
            "/srv/app/./",
            "/x/../y",
            "/srv/app/x/..",
            "/./",
        ]) {
            assert_eq!(
                copy.destination.as_ref().map(CopyDestination::path),
                Some(normalize(old))
            );
        }
        let bases: Vec<_> = image
            .copies
            .iter()
            .filter_map(|c| c.destination.as_ref())
            .filter(|d| !d.base.is_empty())
            .map(|d| Arc::as_ptr(&d.base))
            .collect();
        assert_eq!(bases.len(), 6);
        assert!(bases.iter().all(|&b| std::ptr::eq(b, bases[0])));
    }

    /// `COPY --parents` keeps what BuildKit keeps of each source: the path (after a `/./`)
    /// cleaned within the context; nothing for `.`, which is a plain COPY into the folder; the
    /// folders before the first wildcard, under which what lands is unknown. Its copies share
    /// the `--exclude` patterns and the destination's folder.
    #[test]
    fn copy_parents_keeps_what_buildkit_keeps_and_shares_the_rest() {
        let image = image_of(
            "FROM a\nWORKDIR /w\nCOPY --parents --exclude=x --exclude=y docker/e.sh . ./ \
             a/./b/c.sh ../d/../e/f.sh bin *.sh a/b*/c.sh *//./x/y.sh x/.. out\n",
        );
        let copies: Vec<_> = image
            .copies
            .iter()
            .map(|c| {
                let path = c.destination.as_ref().map(CopyDestination::path);
                (path.unwrap_or_default(), c.unknown_contents)
            })
            .collect();
        let expected = [
            ("/w/out/docker/e.sh", false),
            ("/w/out/", false),
            ("/w/out/", false),
            ("/w/out/b/c.sh", false),
            ("/w/out/e/f.sh", false),
            ("/w/out/bin", false),
            ("/w/out/", true),
            ("/w/out/a/", true),
            ("/w/out/", true),
            ("/w/out/", false),
        ];
        let expected: Vec<_> = expected.iter().map(|&(p, u)| (p.to_string(), u)).collect();
        assert_eq!(copies, expected);
        let first = image.copies.first().expect("copies");
        let destination = first.destination.as_ref().expect("known");
        assert_eq!(&*first.excludes, ["x".to_string(), "y".to_string()]);
        for copy in &image.copies {
            assert!(Arc::ptr_eq(&copy.excludes, &first.excludes));
            let to = copy.destination.as_ref().expect("known");
            assert!(Arc::ptr_eq(&to.rest, &destination.rest));
        }
    }

    /// Thousands of long working directories, each with a COPY, keep a bounded number of bytes;
    /// destinations under the rest are unknown, so nothing is resolved past them.
    #[test]
    fn working_directories_of_copies_are_kept_up_to_a_budget() {
        let dir = format!("/{}", vec!["d".repeat(NAME_MAX); 15].join("/"));
        let copies = 2 * MAX_SHARED_WORKDIR_BYTES / dir.len();
        let mut text = format!("FROM a\nWORKDIR {dir}\n");
        for _ in 0..copies {
            text.push_str("WORKDIR x\nCOPY a b\nWORKDIR ..\n");
        }
        let image = image_of(&text);
        assert_eq!(image.copies.len(), copies);
        let kept = image
            .copies
            .iter()
            .take_while(|c| c.destination.is_some())
            .count();
        assert!(kept > 100 && kept < copies, "{kept}");
        assert!(kept * (dir.len() + 2) <= MAX_SHARED_WORKDIR_BYTES);
        assert!(image
            .copies
            .iter()
            .skip(kept)
            .all(|c| c.destination.is_none()));
        // Under one working directory they share it: all are kept.
        let text = format!("FROM a\nWORKDIR {dir}\n{}", "COPY a b\n".repeat(copies));
        assert!(image_of(&text)
            .copies
            .iter()
            .all(|c| c.destination.is_some()));
    }
}
