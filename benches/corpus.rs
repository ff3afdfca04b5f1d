//! Lint trees of real configuration files and report throughput against the read floor.
//!
//! ```text
//! cargo bench --bench corpus                     ../shared/corpus, then a 20× replica of it
//! cargo bench --bench corpus -- DIR…             other trees (each also replicated)
//! cargo bench --bench corpus -- --scale 0        no replicated tree
//! cargo bench --bench corpus -- --runs 9         best of 9 instead of 5
//! cargo bench --bench corpus -- --once DIR       lint DIR once and exit (for profilers)
//! ```
//!
//! For each tree it measures, in the same run and on the same (warm) page cache:
//! - two read floors: every regular file of the tree read in parallel in this process, and
//!   `find TREE -type f -exec cat {} + >/dev/null` (the floor the performance issue quotes);
//! - the lint through the library (discover, read, parse, model, link, rules), best of N, split
//!   into discovery + reading and the rest;
//! - a fresh process that lints and renders JSON exactly like `shutdownlint --format json`,
//!   for its wall time and peak RSS (so the replicated tree's memory is not mixed with the
//!   first tree's);
//! - the `shutdownlint` binary itself, wall time.
//!
//! The replicated tree (`--scale N`, default 20) is N hard-linked copies of the tree under the
//! system temp directory (outside any repository, so no `.gitignore` hides it), built once and
//! reused while its stamp matches. A benchmark, not a test: nothing here passes or fails on a
//! timing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use shutdownlint::config::{Config, Selection};
use shutdownlint::output;
use shutdownlint::{InputFile, Settings};

struct Options {
    roots: Vec<PathBuf>,
    runs: usize,
    scale: usize,
    once: bool,
    child: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        roots: Vec::new(),
        runs: 5,
        scale: 20,
        once: false,
        child: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--runs" => options.runs = number("--runs")?.max(1),
            "--scale" => options.scale = number("--scale")?,
            "--once" => options.once = true,
            "--child" => options.child = true,
            // `cargo bench` passes `--bench`; other harness flags mean nothing here.
            other if other.starts_with("--") => {}
            path => options.roots.push(PathBuf::from(path)),
        }
    }
    if options.roots.is_empty() {
        options
            .roots
            .push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    }
    Ok(options)
}

/// Every regular file under `root` (symlinks not followed), with its size.
fn files_under(root: &Path) -> Vec<(PathBuf, u64)> {
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .build()
        .flatten()
    {
        if entry.file_type().is_some_and(|t| t.is_file()) {
            let len = entry.metadata().map_or(0, |m| m.len());
            files.push((entry.into_path(), len));
        }
    }
    files
}

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = f();
        best = best.min(start.elapsed());
        last = Some(value);
    }
    match last {
        Some(value) => (best, value),
        None => (Duration::ZERO, f()),
    }
}

/// Peak resident set size of this process, from /proc (Linux), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn settings() -> Settings {
    Settings::new(Config::default(), Selection::all())
}

/// What `shutdownlint --format json ROOT` does, minus argument parsing (the model dropped
/// before the output, the JSON streamed); returns the output size.
fn lint_and_render(root: &Path) -> Result<usize, String> {
    let mut report =
        shutdownlint::lint_paths(&[root.to_path_buf()], &settings()).map_err(|e| e.0)?;
    drop(std::mem::take(&mut report.model));
    let mut counted = Counted(0);
    output::json::write(&report, &mut counted).map_err(|e| e.to_string())?;
    Ok(counted.0)
}

/// A writer that only counts the bytes written.
struct Counted(usize);

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `--child ROOT`: lint once in a fresh process, print wall seconds and peak RSS (KiB).
fn child(root: &Path) -> Result<(), String> {
    let start = Instant::now();
    let bytes = lint_and_render(root)?;
    let seconds = start.elapsed().as_secs_f64();
    println!("{seconds} {} {bytes}", peak_rss_kib().unwrap_or(0));
    Ok(())
}

/// Run `--child ROOT` `runs` times: best wall time, largest peak RSS.
fn fresh_process(root: &Path, runs: usize) -> Option<(f64, f64)> {
    let exe = std::env::current_exe().ok()?;
    let mut best = f64::MAX;
    let mut rss = 0.0_f64;
    for _ in 0..runs {
        let out = Command::new(&exe)
            .arg("--child")
            .arg(root)
            .stderr(Stdio::null())
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut fields = text.split_whitespace();
        let seconds: f64 = fields.next()?.parse().ok()?;
        let kib: f64 = fields.next()?.parse().ok()?;
        best = best.min(seconds);
        rss = rss.max(kib / 1024.0);
    }
    Some((best, rss))
}

/// Wall time of a command, best of `runs`; `None` if it cannot be run.
fn command_time(runs: usize, make: impl Fn() -> Command) -> Option<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        let status = make()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .ok()?;
        // shutdownlint exits 1 when it finds problems; anything else is a failure.
        if !matches!(status.code(), Some(0 | 1)) {
            return None;
        }
        best = best.min(start.elapsed());
    }
    Some(best)
}

fn measure(root: &Path, runs: usize) -> Result<(), String> {
    let files = files_under(root);
    let bytes: u64 = files.iter().map(|(_, len)| len).sum();
    let mb = bytes as f64 / 1_000_000.0;
    let count = files.len() as f64;

    let (read_time, read_bytes) = best(runs, || {
        files
            .par_iter()
            .map(|(f, _)| std::fs::read(f).map_or(0, |b| b.len()))
            .sum::<usize>()
    });
    let find_time = command_time(runs, || {
        let mut c = Command::new("find");
        c.arg(root)
            .args(["-type", "f", "-exec", "cat", "{}", "+"])
            .stdin(Stdio::null());
        c
    });

    let settings = settings();
    // Discovery and reading alone: the part of the lint that is I/O and walking.
    let (discover_read_time, _) = best(runs, || {
        let discovery = shutdownlint::discover::discover(
            std::slice::from_ref(&root.to_path_buf()),
            &settings.config,
            None,
        )
        .map(|d| d.files)
        .unwrap_or_default();
        discovery
            .par_iter()
            .filter_map(|found| {
                shutdownlint::read_file(found.path(), settings.max_file_bytes)
                    .ok()
                    .map(|text| InputFile {
                        display: found.display.clone(),
                        kind: found.kind,
                        text,
                        dir: None,
                    })
            })
            .count()
    });
    let mut lint_error = None;
    let (lint_time, report) = best(runs, || {
        match shutdownlint::lint_paths(std::slice::from_ref(&root.to_path_buf()), &settings) {
            Ok(report) => Some(report),
            Err(e) => {
                lint_error = Some(e.0);
                None
            }
        }
    });
    let report = report.ok_or_else(|| lint_error.unwrap_or_default())?;
    let fresh = fresh_process(root, runs);
    let binary = command_time(runs, || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_shutdownlint"));
        c.arg("--format").arg("json").arg(root).stdin(Stdio::null());
        c
    });

    let read = read_time.as_secs_f64().max(1e-9);
    let lint = lint_time.as_secs_f64().max(1e-9);
    println!("{}", root.display());
    println!(
        "  {} files, {mb:.1} MB ({} bytes read); {} recognised and linted, {} findings",
        files.len(),
        read_bytes,
        report.linted_files,
        report.diagnostics.len()
    );
    println!("  read floor, parallel read in-process:   {read:.3} s");
    match find_time {
        Some(t) => println!(
            "  read floor, find -type f -exec cat:    {:.3} s",
            t.as_secs_f64()
        ),
        None => println!("  read floor, find -type f -exec cat:    n/a (find failed)"),
    }
    println!(
        "  discover + read (library):             {:.3} s",
        discover_read_time.as_secs_f64()
    );
    let find_ratio = find_time.map_or_else(
        || "n/a".to_string(),
        |t| format!("{:.1}x", lint / t.as_secs_f64().max(1e-9)),
    );
    println!(
        "  lint (library, warm):                  {lint:.3} s = {:.0} files/s, {:.1} MB/s; {:.1}x the in-process floor, {find_ratio} the find floor",
        count / lint,
        mb / lint,
        lint / read,
    );
    match fresh {
        Some((seconds, rss)) => println!(
            "  fresh process, lint + JSON:            {seconds:.3} s, peak RSS {rss:.0} MiB"
        ),
        None => println!("  fresh process, lint + JSON:            n/a"),
    }
    match binary {
        Some(t) => println!(
            "  shutdownlint --format json (binary):   {:.3} s",
            t.as_secs_f64()
        ),
        None => println!("  shutdownlint --format json (binary):   n/a"),
    }
    println!(
        "  (times: best of {runs}; threads: {})",
        rayon::current_num_threads()
    );
    let _ = std::io::stdout().flush();
    Ok(())
}

/// `scale` hard-linked copies of `root` in the temp directory (copies where linking fails),
/// reused while the stamp file says they are complete.
fn replicate(root: &Path, scale: usize) -> Result<PathBuf, String> {
    let files = files_under(root);
    let name = root
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "tree".to_string());
    let tree = std::env::temp_dir()
        .join("shutdownlint-bench")
        .join(format!("{name}-x{scale}"));
    let stamp = tree.join(".complete");
    let expected = format!("{} {} {}\n", root.display(), files.len(), scale);
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(expected.as_str()) {
        return Ok(tree);
    }
    if tree.exists() {
        std::fs::remove_dir_all(&tree).map_err(|e| format!("{}: {e}", tree.display()))?;
    }
    let start = Instant::now();
    for copy in 0..scale {
        let base = tree.join(format!("copy-{copy:02}"));
        for (file, _) in &files {
            let relative = file.strip_prefix(root).map_err(|e| e.to_string())?;
            let target = base.join(relative);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("{}: {e}", parent.display()))?;
            }
            if std::fs::hard_link(file, &target).is_err() {
                std::fs::copy(file, &target).map_err(|e| format!("{}: {e}", target.display()))?;
            }
        }
    }
    std::fs::write(&stamp, expected).map_err(|e| format!("{}: {e}", stamp.display()))?;
    println!(
        "(built {} in {:.1} s)",
        tree.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(tree)
}

fn run() -> Result<(), String> {
    let options = parse_options()?;
    if options.child {
        let root = options.roots.first().ok_or("--child needs a tree")?;
        return child(root);
    }
    if options.once {
        for root in &options.roots {
            let start = Instant::now();
            let bytes = lint_and_render(root)?;
            println!(
                "{}: {:.3} s, {bytes} bytes of JSON",
                root.display(),
                start.elapsed().as_secs_f64()
            );
        }
        return Ok(());
    }
    for root in &options.roots {
        if !root.is_dir() {
            println!("{}: not a directory, skipped", root.display());
            continue;
        }
        measure(root, options.runs)?;
        if options.scale > 1 {
            let tree = replicate(root, options.scale)?;
            // The replica is 20× larger: fewer runs keep the bench short.
            measure(&tree, options.runs.div_ceil(2))?;
        }
    }
    Ok(())
}

fn main() {
    if let Err(message) = run() {
        eprintln!("bench: {message}");
        std::process::exit(2);
    }
}
