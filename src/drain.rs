//! The application's drain timeout, read from what is on the page (RULES.md "Drain timeout
//! sources"): the serving command's flags, environment variables, the
//! `shutdownlint.dev/drain-seconds` annotation, the configuration, and last the recognised
//! server's documented default.

use crate::config::Config;
use crate::diagnostic::Location;
use crate::model::{EnvLookup, Process, Workload};
use crate::shell::commands::{self, ServerKind};

/// Environment variables that, by convention, hold an app's drain timeout (seconds or Go-style
/// durations like `25s`, `1m`).
pub const DRAIN_ENV_VARS: &[&str] = &[
    "GRACEFUL_TIMEOUT",
    "GRACEFUL_SHUTDOWN_TIMEOUT",
    "SHUTDOWN_TIMEOUT",
    "DRAIN_TIMEOUT",
];

/// The environment variables rules read from a process that is not a Kubernetes container: the
/// drain timeout variables and the servers' own (`GUNICORN_CMD_ARGS`,
/// `UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN`). compose, systemd and fly processes keep only these
/// (their workloads stay in memory for the whole run); a Kubernetes container keeps all of its
/// variables, because SL401 expands any of them in an exec probe.
pub fn env_read_by_rules(name: &str) -> bool {
    matches!(
        name,
        "GUNICORN_CMD_ARGS" | "UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN" | "UVICORN_TIMEOUT_KEEP_ALIVE"
    ) || is_init_mode_switch(name)
        || name.starts_with("NGINX_ENVSUBST_")
        || DRAIN_ENV_VARS.contains(&name)
}

/// The variables that switch an init forwarder's signalling mode (tini's
/// `TINI_KILL_PROCESS_GROUP`, dumb-init's `DUMB_INIT_SETSID`): a Dockerfile's `ENV` of them is
/// kept for the image's processes too.
pub fn is_init_mode_switch(name: &str) -> bool {
    matches!(name, "TINI_KILL_PROCESS_GROUP" | "DUMB_INIT_SETSID")
}

/// Whether a mounted file or folder's name is one a server reads a default config from
/// (`gunicorn.conf.py`, `sidekiq.yml`, `.yaml`, `.yml.erb`, or a `config` folder holding one).
pub fn is_default_config_name(path: &str) -> bool {
    let name = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    matches!(
        name,
        "gunicorn.conf.py" | "sidekiq.yml" | "sidekiq.yaml" | "sidekiq.yml.erb" | "config"
    )
}

/// The places, relative to a server's working directory, where gunicorn and sidekiq look for
/// their config file by default (see [`default_config_files`]): a bit each.
pub const DEFAULT_CONFIG_PLACES: [&str; 4] = [
    "gunicorn.conf.py",
    "config/sidekiq.yml",
    "config/sidekiq.yml.erb",
    "config/sidekiq.yaml",
];

/// The bit of [`DEFAULT_CONFIG_PLACES`] that a file `name` in a folder named `folder` is at
/// (0 for none).
pub fn default_config_place(folder: Option<&std::ffi::OsStr>, name: &std::ffi::OsStr) -> u8 {
    let Some(name) = name.to_str() else {
        return 0;
    };
    let in_config = folder.is_some_and(|f| f == "config");
    DEFAULT_CONFIG_PLACES
        .iter()
        .enumerate()
        .find(|(_, place)| match place.strip_prefix("config/") {
            Some(file) => in_config && file == name,
            None => **place == name,
        })
        .map_or(0, |(i, _)| 1 << i)
}

/// The bit of [`DEFAULT_CONFIG_PLACES`] a default config path of [`default_config_files`]
/// ends at (`app/config/sidekiq.yml` is at `config/sidekiq.yml`).
pub fn default_config_place_of(path: &str) -> u8 {
    DEFAULT_CONFIG_PLACES
        .iter()
        .enumerate()
        .find(|(_, place)| {
            path.strip_suffix(**place)
                .is_some_and(|before| before.is_empty() || before.ends_with('/'))
        })
        .map_or(0, |(i, _)| 1 << i)
}

/// What is known of the environment variable `name` of `process`'s program: what its command
/// line sets (`env NAME=VALUE`, a shell's `NAME=VALUE prog`) wins over the process's
/// environment; a command line that changes the environment in a way that is not read
/// (`doppler run`, `env -i`, sourcing a file) hides every variable.
pub fn env_lookup<'a>(process: &'a Process, name: &str) -> EnvLookup<'a> {
    let program_env = process
        .analysis
        .as_ref()
        .and_then(|a| a.main.as_ref())
        .and_then(|m| m.env.as_deref());
    if let Some(env) = program_env {
        if let Some(hidden) = &env.hidden {
            return EnvLookup::Hidden(hidden);
        }
        if let Some(var) = env.vars.iter().rev().find(|v| v.name == name) {
            return EnvLookup::Written(var);
        }
    }
    process.env_lookup(name)
}

/// One known drain timeout and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct DrainTimeout {
    pub seconds: f64,
    /// How it reads in an arithmetic message: `gunicorn --graceful-timeout 30s`.
    pub description: String,
    pub location: Option<Location>,
    /// It is the server's documented default, not set anywhere.
    pub is_default: bool,
}

/// What is known about a process's drain timeout.
#[derive(Debug, Clone, PartialEq)]
pub enum Drain {
    Known(DrainTimeout),
    /// Set (e.g. `--graceful-timeout "$T"`), but the value cannot be read.
    SetUnknown(Location),
    /// Nothing that is read says it, but the environment may: part of it comes from a source
    /// that is not read (`envFrom`, `env_file`, `EnvironmentFile=`, at the location).
    Hidden {
        location: Location,
        source: &'static str,
    },
    /// Nothing says it and the server has no known default.
    Unknown,
}

fn seconds_text(seconds: f64) -> String {
    if seconds.is_infinite() {
        // `sleep infinity` in a preStop hook.
        return "forever".to_string();
    }
    if seconds.abs() >= 1e15 {
        // `sleep 1e308`: not three hundred digits.
        return format!("{seconds:e}s");
    }
    if seconds.fract() == 0.0 {
        format!("{seconds:.0}s")
    } else {
        format!("{seconds}s")
    }
}

/// The drain timeout of a process, from the first source that says it.
pub fn drain_timeout(workload: &Workload, process: &Process, config: &Config) -> Drain {
    let main = process.analysis.as_ref().and_then(|a| a.main.as_ref());
    let server = main.and_then(|m| m.server);
    if let Some(setting) = main.and_then(|m| m.drain.as_ref()) {
        return match setting.seconds {
            Some(seconds) => Drain::Known(DrainTimeout {
                seconds,
                description: format!(
                    "{} {} {}",
                    setting.server.name(),
                    setting.flag,
                    seconds_text(seconds)
                ),
                location: Some(setting.location),
                is_default: false,
            }),
            None => Drain::SetUnknown(setting.location),
        };
    }
    // The environment, in the order its variables are read. A variable that a source not read
    // (`envFrom`, `env_file`, `EnvironmentFile=`) may set makes this and every later one
    // unknown: only the sources below that the user writes for shutdownlint still count.
    let mut hidden: Option<(Location, &'static str)> = None;
    if server == Some(ServerKind::Gunicorn) {
        match env_lookup(process, "GUNICORN_CMD_ARGS") {
            EnvLookup::Written(env) => {
                if env.value.is_none() {
                    // `valueFrom`: the arguments, --graceful-timeout among them, are not known.
                    return Drain::SetUnknown(env.location);
                }
                if let Some(seconds) = env.gunicorn.and_then(|g| g.graceful_timeout) {
                    return Drain::Known(DrainTimeout {
                        seconds,
                        description: format!(
                            "GUNICORN_CMD_ARGS --graceful-timeout {}",
                            seconds_text(seconds)
                        ),
                        location: Some(env.location),
                        is_default: false,
                    });
                }
                // A variable in it (compose's `${GRACE:-5}`, Kubernetes' `$(GRACE)`, a whole
                // `${GUNICORN_CMD_ARGS}` from the host): what it adds is not known.
                if env.value.as_deref().is_some_and(|v| v.contains('$')) {
                    return Drain::SetUnknown(env.location);
                }
            }
            EnvLookup::Hidden(h) => hidden = Some((h.location, h.source)),
            EnvLookup::Unset => {}
        }
    }
    // uvicorn reads every setting from UVICORN_* variables too.
    let server_env: &[&str] = match server {
        Some(ServerKind::Uvicorn) => &["UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN"],
        _ => &[],
    };
    for name in server_env.iter().chain(DRAIN_ENV_VARS) {
        if hidden.is_some() {
            break;
        }
        let env = match env_lookup(process, name) {
            EnvLookup::Written(env) => env,
            // A recognised server reads only its own variables: what a source not read may set
            // of the conventional ones does not change its drain (sidekiq's timeout is `-t` or
            // its config file, whatever the environment says).
            EnvLookup::Hidden(_) if server.is_some() && !server_env.contains(name) => continue,
            EnvLookup::Hidden(h) => {
                hidden = Some((h.location, h.source));
                break;
            }
            EnvLookup::Unset => continue,
        };
        let written = env.value.as_deref().unwrap_or("").trim();
        return match commands::parse_duration_seconds(written) {
            Some(seconds) => Drain::Known(DrainTimeout {
                seconds,
                // As written, with the seconds when the spelling differs (`1m (60s)`).
                description: if written.parse::<f64>().is_ok() || written == seconds_text(seconds) {
                    format!("{name}={}", seconds_text(seconds))
                } else {
                    format!("{name}={written} ({})", seconds_text(seconds))
                },
                location: Some(env.location),
                is_default: false,
            }),
            None => Drain::SetUnknown(env.location),
        };
    }
    if let Some(annotation) = &workload.drain_annotation {
        return Drain::Known(DrainTimeout {
            seconds: annotation.value,
            description: format!(
                "drain-seconds annotation {}",
                seconds_text(annotation.value)
            ),
            location: annotation.location,
            is_default: false,
        });
    }
    if let Some(seconds) = config.drain.default_seconds {
        return Drain::Known(DrainTimeout {
            seconds,
            description: format!("configured drain default {}", seconds_text(seconds)),
            location: None,
            is_default: false,
        });
    }
    if let Some((location, source)) = hidden {
        // The environment may set it: the server's default is not known to apply.
        return Drain::Hidden { location, source };
    }
    if let Some(server) = server {
        if let Some(seconds) = commands::default_drain_seconds(server) {
            return Drain::Known(DrainTimeout {
                seconds: seconds as f64,
                description: format!(
                    "{}'s default drain timeout {}",
                    server.name(),
                    seconds_text(seconds as f64)
                ),
                location: main.map(|m| m.name_location),
                is_default: true,
            });
        }
    }
    Drain::Unknown
}

/// The kill deadline as messages show it: `terminationGracePeriodSeconds 30s (default)`.
pub fn deadline_text(workload: &Workload) -> String {
    let deadline = workload.effective_kill_deadline();
    format!(
        "{} {}{}",
        workload.platform.kill_deadline_name(),
        seconds_text(deadline.value),
        if deadline.location.is_none() {
            " (default)"
        } else {
            ""
        }
    )
}

/// `10s`, `2.5s`; `1e308s` for a huge number, `forever` for an infinite one.
pub fn format_seconds(seconds: f64) -> String {
    seconds_text(seconds)
}

/// The config files `server` reads by default when its command line names none, as paths
/// relative to its working directory (or absolute): gunicorn (20 and later) loads
/// `./gunicorn.conf.py`; sidekiq (6 and later, and before 5.2.4) `config/sidekiq.yml` or
/// `config/sidekiq.yml.erb` under the folder `-r` names, else under the working directory
/// (`config/sidekiq.yaml` is counted too). Empty for a server without one; `None` when where
/// they are is not known (`-r "$APP"`).
pub fn default_config_files(server: ServerKind, argv: &[&str]) -> Option<Vec<String>> {
    match server {
        ServerKind::Gunicorn => Some(vec!["gunicorn.conf.py".to_string()]),
        ServerKind::Sidekiq => {
            let start = commands::server(argv).map_or(0, |s| s.index + 1);
            let args = argv.get(start..).unwrap_or(&[]);
            let mut require: Option<&str> = None;
            let mut i = 0;
            while let Some(&word) = args.get(i) {
                if word == "--" {
                    break;
                }
                if word == "-r" || word == "--require" {
                    require = Some(args.get(i + 1).copied().unwrap_or(""));
                    i += 1;
                } else if let Some(value) = word.strip_prefix("--require=") {
                    require = Some(value);
                } else if let Some(value) = word.strip_prefix("-r").filter(|v| !v.is_empty()) {
                    if !word.starts_with("--") {
                        require = Some(value);
                    }
                }
                i += 1;
            }
            let names = ["sidekiq.yml", "sidekiq.yml.erb", "sidekiq.yaml"];
            let mut files: Vec<String> = names.iter().map(|n| format!("config/{n}")).collect();
            if let Some(folder) = require {
                // A value that is not a literal path: where it points is not known.
                if folder.is_empty() || folder.contains(['$', '`', '*', '?', '[', '~']) {
                    return None;
                }
                // `-r` names a folder (its `config/` is read) or a file (the working
                // directory's is): both are looked at.
                let folder = folder.trim_end_matches('/');
                files.extend(names.iter().map(|n| format!("{folder}/config/{n}")));
            }
            Some(files)
        }
        _ => Some(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(line: &str) -> Option<Vec<String>> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let server = commands::server(&words)?.kind;
        default_config_files(server, &words)
    }

    #[test]
    fn default_config_places_by_name_and_folder() {
        use std::ffi::OsStr;
        let at = |folder: Option<&str>, name: &str| {
            default_config_place(folder.map(OsStr::new), OsStr::new(name))
        };
        assert_eq!(at(None, "gunicorn.conf.py"), 1);
        assert_eq!(at(Some("app"), "gunicorn.conf.py"), 1);
        assert_eq!(at(Some("config"), "sidekiq.yml"), 2);
        assert_eq!(at(Some("config"), "sidekiq.yaml"), 8);
        assert_eq!(at(Some("deploy"), "sidekiq.yml"), 0);
        assert_eq!(at(None, "gunicorn.conf.py.example"), 0);
        assert_eq!(default_config_place_of("gunicorn.conf.py"), 1);
        assert_eq!(
            default_config_place_of("/srv/app/config/sidekiq.yml.erb"),
            4
        );
        assert_eq!(default_config_place_of("myconfig/sidekiq.yml"), 0);
    }

    #[test]
    fn default_config_files_of_gunicorn_and_sidekiq() {
        assert_eq!(
            files("gunicorn app.wsgi"),
            Some(vec!["gunicorn.conf.py".to_string()])
        );
        let sidekiq = files("bundle exec sidekiq -c 5").expect("known");
        assert!(sidekiq.contains(&"config/sidekiq.yml".to_string()));
        let required = files("sidekiq -r /srv/app -t 8").expect("known");
        assert!(required.contains(&"/srv/app/config/sidekiq.yml".to_string()));
        assert_eq!(files("sidekiq -r $APP_DIR"), None);
        assert_eq!(files("hypercorn app:app"), Some(Vec::new()));
    }

    #[test]
    fn sidekiqs_config_flag_is_upper_case() {
        use crate::rules::grace_period_shorter_than_drain::has_config_file;
        let argv =
            |line: &str| -> Vec<String> { line.split_whitespace().map(str::to_string).collect() };
        assert!(!has_config_file(&argv("bundle exec sidekiq -c 5")));
        assert!(has_config_file(&argv(
            "bundle exec sidekiq -C config/s.yml"
        )));
        assert!(has_config_file(&argv("gunicorn -c conf.py app")));
        assert!(!has_config_file(&argv("gunicorn -C conf.py app")));
    }
}
