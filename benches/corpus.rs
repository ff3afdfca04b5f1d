//! Lint a tree of real configuration files and report throughput against the read floor.
//!
//! `cargo bench --bench corpus` lints ../shared/corpus; `cargo bench --bench corpus -- DIR…`
//! lints other trees. For each tree it measures, in the same run: the read floor (reading every
//! file the linter would read, in parallel), then the whole lint (discover, parse, model, rules),
//! best of several runs, and prints files/s, MB/s, the ratio to the read floor and the peak RSS.
//! A benchmark, not a test: nothing here passes or fails on a timing.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use shutdownlint::config::{Config, Selection};
use shutdownlint::Settings;

const RUNS: usize = 5;

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(root)
        .hidden(false)
        .build()
        .flatten()
    {
        if entry.file_type().is_some_and(|t| t.is_file()) {
            files.push(entry.into_path());
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
    (best, last.expect("at least one run"))
}

/// Peak resident set size of this process, from /proc (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let roots: Vec<PathBuf> = if args.is_empty() {
        vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")]
    } else {
        args.iter().map(PathBuf::from).collect()
    };
    println!("threads: {}", rayon::current_num_threads());
    for root in roots {
        if !root.is_dir() {
            println!("{}: not a directory, skipped", root.display());
            continue;
        }
        let files = files_under(&root);
        let (read_time, bytes) = best(RUNS, || {
            files
                .par_iter()
                .map(|f| std::fs::read(f).map_or(0, |b| b.len()))
                .sum::<usize>()
        });
        let settings = Settings::new(Config::default(), Selection::all());
        let (lint_time, report) = best(RUNS, || {
            shutdownlint::lint_paths(std::slice::from_ref(&root), &settings).expect("lint runs")
        });
        let mb = bytes as f64 / 1_000_000.0;
        let seconds = lint_time.as_secs_f64();
        println!("{}", root.display());
        println!(
            "  {} files ({} recognised and linted), {:.1} MB, {} findings",
            files.len(),
            report.linted_files,
            mb,
            report.diagnostics.len()
        );
        println!(
            "  read floor: {:.3} s (best of {RUNS})",
            read_time.as_secs_f64()
        );
        println!(
            "  lint:       {:.3} s (best of {RUNS}) = {:.0} files/s, {:.1} MB/s, {:.1}x the read floor",
            seconds,
            files.len() as f64 / seconds,
            mb / seconds,
            seconds / read_time.as_secs_f64().max(1e-9)
        );
    }
    if let Some(peak) = peak_rss_mib() {
        println!("peak RSS: {peak:.0} MiB");
    }
}
