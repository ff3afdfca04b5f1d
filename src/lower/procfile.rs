//! Procfiles → deploy model: one workload per process type. The platform (Heroku and those
//! that copy it) runs each command with `bash -c` and, on shutdown, sends SIGTERM to every
//! process of the dyno, then SIGKILL 30 seconds later.

use crate::diagnostic::Location;
use crate::formats::procfile::Procfile;
use crate::formats::Fragment;
use crate::model::{
    Command, CommandSource, CommandWord, Fact, Form, Platform, Process, ProcessRole, ShellEnv,
    ShellFamily, Workload,
};
use crate::source::FileId;
use crate::span::MappedText;

pub fn lower(
    file: FileId,
    procfile: &Procfile,
    kill_timeout: Option<f64>,
    fragment: &mut Fragment,
) {
    // A type named twice runs its last command (Heroku's rule); the earlier lines run nowhere.
    let last: std::collections::HashMap<&str, usize> = procfile
        .entries
        .iter()
        .enumerate()
        .map(|(i, entry)| (entry.name.as_str(), i))
        .collect();
    for (i, entry) in procfile.entries.iter().enumerate() {
        if last.get(entry.name.as_str()) != Some(&i) {
            continue;
        }
        let location = Location::new(file, entry.command_span);
        let synthesized = |text: &str| {
            let mut b = MappedText::builder();
            for c in text.chars() {
                b.push_char(c, entry.name_span);
            }
            CommandWord {
                text: b.finish(),
                file,
                source: 0,
                synthesized: true,
            }
        };
        let command = Command {
            words: vec![
                synthesized("bash"),
                synthesized("-c"),
                CommandWord {
                    text: entry.command.clone(),
                    file,
                    source: 0,
                    synthesized: false,
                },
            ],
            sources: vec![CommandSource {
                what: "Procfile command",
                form: Form::Shell,
                location,
                inherited_from: None,
            }],
            ..Command::default()
        };
        let shell = ShellEnv {
            family: ShellFamily::Bash,
            reason: "Procfile commands run with bash".into(),
            assumed: false,
            location: None,
            old_bash: false,
        };
        fragment.workloads.push(Workload {
            platform: Platform::Procfile,
            name: format!("{} process", entry.name),
            location: Location::new(file, entry.name_span),
            processes: vec![Process::new(
                entry.name.clone(),
                ProcessRole::Main,
                Some(command),
                shell,
            )],
            stop_signal: None,
            base_image: None,
            image: None,
            kill_deadline: kill_timeout.map(Fact::default_value),
            drain_annotation: None,
            kubernetes: None,
            compose: None,
            systemd: None,
            process_type: Some(Box::new(Fact::at(
                entry.name.clone(),
                Location::new(file, entry.name_span),
            ))),
            dockerfile_ref: None,
        });
    }
}
