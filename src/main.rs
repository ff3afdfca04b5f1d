//! The `shutdownlint` command line. All logic lives in the library; this file only parses
//! arguments, loads configuration and prints.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use shutdownlint::change::paths::Located;
use shutdownlint::config::{Config, ConfigError, Selection};
use shutdownlint::diagnostic::Severity;
use shutdownlint::output::{self, Format};
use shutdownlint::{discover, rules, InputFile, Report, Settings};

/// `eprintln!` that never panics: stderr can be a closed pipe (`shutdownlint . 2>&1 | head -1`),
/// and a note that cannot be shown is no reason to end with a panic.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

#[derive(Parser)]
#[command(
    name = "shutdownlint",
    version,
    about = "Find deploy and graceful-shutdown mistakes in Dockerfiles and deploy configuration",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    lint: LintArgs,
}

#[derive(Subcommand)]
enum Command {
    /// List the rules (code, name, severity, summary)
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Print a rule's documentation page (by code or name)
    Explain { rule: String },
    /// Start the language server on stdio
    Server,
    /// Draw each workload's shutdown sequence on a time axis: preStop, stop signal, drain, SIGKILL
    Timeline(TimelineArgs),
    /// Regenerate docs/rules.md from the rule pages (for maintainers)
    #[command(hide = true)]
    GenerateDocs {
        #[arg(default_value = "docs")]
        dir: PathBuf,
    },
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Human,
    Json,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Human,
    Json,
    Github,
    Sarif,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
}

#[derive(Args)]
struct LintArgs {
    /// Files or directories to lint (default: .); `-` reads one file from stdin
    paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,
    /// Rules to run: comma-separated codes, names or prefixes (SL1); replaces the config's `select`
    #[arg(long, value_delimiter = ',')]
    select: Option<Vec<String>>,
    /// Rules not to run: comma-separated codes, names or prefixes; adds to the config's `ignore`
    #[arg(long, value_delimiter = ',')]
    ignore: Vec<String>,
    /// Lowest severity that makes the exit code 1 [default: warning]
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Configuration file (default: the nearest .shutdownlint.toml upward from the first path)
    #[arg(long)]
    config: Option<PathBuf>,
    /// With `-`: the file name that says what kind of file stdin holds (e.g. Dockerfile)
    #[arg(long)]
    stdin_filename: Option<String>,
    /// Never use colour (also: NO_COLOR)
    #[arg(long)]
    no_color: bool,
    /// Change mode: also lint the change BASE...HEAD (migrations shipped with code: SL602,
    /// SL603). In a GitHub Actions pull request run, defaults to origin/$GITHUB_BASE_REF
    #[arg(long, value_name = "BASE")]
    diff: Option<String>,
    /// Do not use GITHUB_BASE_REF as the --diff base in GitHub Actions
    #[arg(long, conflicts_with = "diff")]
    no_diff: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("shutdownlint: error: {}", shown(&message));
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Some(Command::Rules { format }) => {
            print_rules(format);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Explain { rule }) => match rules::find(&rule) {
            Some(meta) => {
                print_out(&shutdownlint::docs::explain(meta));
                Ok(ExitCode::SUCCESS)
            }
            None => Err(format!(
                "no rule `{rule}` (`shutdownlint rules` lists codes and names)"
            )),
        },
        Some(Command::Server) => Ok(shutdownlint::lsp::serve_stdio()),
        Some(Command::GenerateDocs { dir }) => {
            shutdownlint::docs::write(&dir)
                .map_err(|e| format!("writing {}: {e}", dir.display()))?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Timeline(args)) => timeline(args),
        None => lint(cli.lint),
    }
}

fn print_rules(format: ListFormat) {
    match format {
        ListFormat::Json => {
            let list: Vec<_> = rules::all()
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "code": r.code,
                        "name": r.name,
                        "severity": r.severity.as_str(),
                        "summary": r.summary,
                        "formats": r.formats,
                        "url": r.url(),
                    })
                })
                .collect();
            let text = serde_json::to_string_pretty(&serde_json::json!({ "rules": list }))
                .unwrap_or_default();
            print_out(&text);
        }
        ListFormat::Human => {
            let name_width = rules::all()
                .iter()
                .map(|r| r.name.len())
                .max()
                .unwrap_or(10);
            let lines: Vec<String> = rules::all()
                .iter()
                .map(|r| {
                    format!(
                        "{}  {:<name_width$}  {:<7}  {}",
                        r.code,
                        r.name,
                        r.severity.as_str(),
                        r.summary
                    )
                })
                .collect();
            print_out(&lines.join("\n"));
        }
    }
}

/// `text` and a line break on stdout. A closed pipe (`shutdownlint rules | head -1`) ends the
/// output quietly, as for a lint's report; `println!` would panic.
fn print_out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.write_all(b"\n"))
        .and_then(|()| stdout.flush());
}

fn config_error(e: ConfigError) -> String {
    e.0
}

fn lint(args: LintArgs) -> Result<ExitCode, String> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let stdin = paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && paths.len() > 1 {
        return Err("`-` (stdin) cannot be combined with other paths".into());
    }
    if args.stdin_filename.is_some() && !stdin {
        return Err("--stdin-filename only applies when reading `-` (stdin)".into());
    }
    let config = match &args.config {
        Some(path) => Config::load_named(path).map_err(config_error)?,
        None => {
            let start = if stdin {
                args.stdin_filename.as_deref().map_or_else(
                    || PathBuf::from("."),
                    |name| shutdownlint::config::config_start(&[PathBuf::from(name)]),
                )
            } else {
                shutdownlint::config::config_start(&paths)
            };
            Config::discover(&start)
                .map_err(config_error)?
                .unwrap_or_default()
        }
    };
    let selection =
        Selection::new(&config, args.select.as_deref(), &args.ignore).map_err(config_error)?;
    let fail_on = match args.fail_on {
        Some(FailOn::Error) => Severity::Error,
        Some(FailOn::Warning) => Severity::Warning,
        Some(FailOn::Info) => Severity::Info,
        None => config.fail_on.unwrap_or(Severity::Warning),
    };
    let format = match args.format.unwrap_or(OutputFormat::Human) {
        OutputFormat::Human => Format::Human,
        OutputFormat::Json => Format::Json,
        OutputFormat::Github => Format::Github,
        OutputFormat::Sarif => Format::Sarif,
    };
    let mut settings = Settings::new(config, selection);
    settings.change = change_set(&args, &paths, stdin, &settings)?;

    let mut report = if stdin {
        lint_stdin(args.stdin_filename.as_deref(), &settings)?
    } else {
        shutdownlint::lint_paths(&paths, &settings).map_err(config_error)?
    };
    // The output needs the findings and the texts they point into, not the model.
    drop(std::mem::take(&mut report.model));

    for note in &report.notes {
        eprintln!("shutdownlint: {}", shown(note));
    }
    let color = format == Format::Human
        && !args.no_color
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal();
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    // A closed pipe (`| head`) is not an error worth a panic. Written as it is rendered: a
    // large report is never held in memory as text. Relative paths were given from the current
    // directory: SARIF names it as %SRCROOT%.
    let root = std::env::current_dir().ok();
    let _ = output::write(&report, format, color, root.as_deref(), &mut stdout);
    let _ = stdout.flush();
    // Texts are read again for the output; one that changed since it was linted is shown
    // without its text (positions at its start).
    for file in report.files.changed() {
        eprintln!(
            "shutdownlint: {}: changed on disk while it was linted; its findings are shown without positions",
            shown(report.files.path(file))
        );
    }

    let failing = report.diagnostics.iter().any(|d| d.severity >= fail_on);
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A note as printed on stderr, a terminal or a CI log whatever the output format: notes name
/// files, and a control character in a file name would be acted on there; they show its
/// picture instead ([`output::visible`]).
fn shown(note: &str) -> std::borrow::Cow<'_, str> {
    output::visible(note, &[])
}

/// The change to lint in change mode: `--diff BASE`, or in a GitHub Actions pull request run the
/// pull request's base branch (best effort: without its history, a note and no change mode).
fn change_set(
    args: &LintArgs,
    paths: &[PathBuf],
    stdin: bool,
    settings: &Settings,
) -> Result<Option<shutdownlint::change::ChangeSet>, String> {
    let load = |base: &str| {
        shutdownlint::change::load(paths, base, &settings.config, settings.max_file_bytes)
    };
    if let Some(base) = &args.diff {
        if stdin {
            return Err("--diff cannot be combined with `-` (stdin): it compares commits".into());
        }
        return load(base).map(Some).map_err(|e| e.to_string());
    }
    if args.no_diff || stdin {
        return Ok(None);
    }
    let in_actions = std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
    let base_ref = std::env::var("GITHUB_BASE_REF").unwrap_or_default();
    if !in_actions || base_ref.trim().is_empty() {
        return Ok(None);
    }
    let base = format!("origin/{}", base_ref.trim());
    match load(&base) {
        Ok(set) => Ok(Some(set)),
        Err(e) => {
            eprintln!(
                "shutdownlint: note: change mode from GITHUB_BASE_REF skipped: {} (pass --diff to make this an error, --no-diff to silence it)",
                shown(&e.to_string())
            );
            Ok(None)
        }
    }
}

fn lint_stdin(name: Option<&str>, settings: &Settings) -> Result<Report, String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(settings.max_file_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("reading stdin: {e}"))?;
    if bytes.len() as u64 > settings.max_file_bytes {
        return Err(format!(
            "stdin is over the {} byte limit",
            settings.max_file_bytes
        ));
    }
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    // Without a name, the content says what it is: YAML with `apiVersion`/`kind` (rendered
    // `helm template` or `kustomize build` output) or a Dockerfile.
    let name = match name {
        Some(name) => name.to_string(),
        None if looks_like_manifests(&text) => "stdin.yaml".to_string(),
        None => "Dockerfile".to_string(),
    };
    let kind = discover::classify_name(std::path::Path::new(&name)).ok_or_else(|| {
        format!("--stdin-filename `{name}` is not a file kind shutdownlint reads (e.g. Dockerfile, deploy.yaml)")
    })?;
    let path = std::path::Path::new(&name);
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    // Files the text names (a COPY'd entrypoint script) are looked up in the name's folder,
    // unless that is, or goes through, a symbolic link in a git work tree: as a path argument,
    // it is not followed (`services/api -> ../../home` committed would have a credentials file
    // read and quoted as the "script").
    let (dir, note) = match std::env::current_dir()
        .map(|cwd| shutdownlint::change::paths::locate(&folder, &cwd))
    {
        Ok(Located::Found { .. }) => (Some(folder), None),
        Ok(Located::Link { link, .. }) => (
            None,
            Some(format!(
                "{}: goes through the symbolic link `{}`; not followed: files it names (a COPY'd script) are not looked up next to it (name the path it points to)",
                discover::display_path(path),
                discover::display_path(&link)
            )),
        ),
        Ok(Located::Unreadable { path: at, error }) => (
            None,
            Some(format!(
                "{}: `{}` cannot be looked at ({error}); files it names (a COPY'd script) are not looked up next to it",
                discover::display_path(path),
                discover::display_path(&at)
            )),
        ),
        Err(e) => (
            None,
            Some(format!(
                "{}: the working directory cannot be read ({e}); files it names (a COPY'd script) are not looked up next to it",
                discover::display_path(path)
            )),
        ),
    };
    let mut report = shutdownlint::lint_inputs(
        vec![InputFile {
            display: discover::display_path(path),
            kind,
            text,
            dir,
        }],
        settings,
    );
    report.notes.extend(note);
    Ok(report)
}

/// Whether text is Kubernetes YAML rather than a Dockerfile.
fn looks_like_manifests(text: &str) -> bool {
    shutdownlint::formats::yaml::sniff_kinds(text)
        .iter()
        .any(|d| d.api_version.is_some() && d.kind.is_some())
}

#[derive(Args)]
struct TimelineArgs {
    /// Files or directories to read (default: .)
    paths: Vec<PathBuf>,
    /// Only this workload: its full name (`Deployment/api`), its short name (`api`, a compose
    /// service, a unit, a process type) or a container's name; repeatable
    #[arg(long, value_name = "NAME")]
    workload: Vec<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = TimelineFormat::Human)]
    format: TimelineFormat,
    /// Also write the timelines as SVG to FILE
    #[arg(long, value_name = "FILE")]
    svg: Option<PathBuf>,
    /// Configuration file (default: the nearest .shutdownlint.toml upward from the first path)
    #[arg(long)]
    config: Option<PathBuf>,
    /// Never use colour or Unicode glyphs (also: NO_COLOR, or when stdout is not a terminal)
    #[arg(long)]
    no_color: bool,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
enum TimelineFormat {
    Human,
    Json,
    Svg,
}

fn timeline(args: TimelineArgs) -> Result<ExitCode, String> {
    use shutdownlint::timeline::{json, svg, text};
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    if paths.iter().any(|p| p.as_os_str() == "-") {
        return Err("timeline reads files and directories, not stdin (`-`)".into());
    }
    let config = match &args.config {
        Some(path) => Config::load_named(path).map_err(config_error)?,
        None => Config::discover(&shutdownlint::config::config_start(&paths))
            .map_err(config_error)?
            .unwrap_or_default(),
    };
    let selection = Selection::new(&config, None, &[]).map_err(config_error)?;
    let settings = Settings::new(config, selection);
    let (selected, report) = shutdownlint::timeline::select_paths(
        &paths,
        settings,
        &args.workload,
        shutdownlint::timeline::MAX_LANES,
    )
    .map_err(config_error)?;
    for note in &report.notes {
        eprintln!("shutdownlint: {}", shown(note));
    }
    if !selected.unmatched.is_empty() {
        return Err(format!(
            "no workload named {} (found: {})",
            selected.unmatched.join(", "),
            if selected.names.is_empty() {
                "none".to_string()
            } else {
                selected.names.join(", ")
            }
        ));
    }
    let timeline = selected.timeline;
    if timeline.omitted.any() {
        eprintln!("shutdownlint: {}", timeline.omitted.note());
    }
    if let Some(path) = &args.svg {
        std::fs::write(path, svg::render(&timeline, &report.files))
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    let out = match args.format {
        TimelineFormat::Human => {
            let fancy = !args.no_color
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal();
            text::render(
                &timeline,
                &report.files,
                text::TextOptions {
                    width: text::width_from_env(),
                    fancy,
                },
            )
        }
        TimelineFormat::Json => json::render(&timeline, &report.files),
        TimelineFormat::Svg => svg::render(&timeline, &report.files),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    let _ = stdout.flush();
    Ok(ExitCode::SUCCESS)
}
