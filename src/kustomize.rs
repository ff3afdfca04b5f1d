//! Kustomize: files a `kustomization.yaml` lists as patches hold partial objects (a Deployment
//! with only the fields it changes), not manifests to lint on their own. They are skipped with a
//! note; lint the `kustomize build` output (`kustomize build overlay | shutdownlint -`) instead.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::discover::absolute_by_name;
use crate::formats::yaml::{self, Node};

/// Whether a file name is a kustomization file.
pub fn is_kustomization(path: &Path) -> bool {
    matches!(
        path.file_name().and_then(|n| n.to_str()),
        Some("kustomization.yaml" | "kustomization.yml" | "Kustomization")
    )
}

/// The patch files a kustomization lists, as paths on disk (canonical when they exist).
pub fn patch_files(kustomization: &Path, text: &str) -> Vec<PathBuf> {
    let Ok(documents) = yaml::parse_stream(text, &yaml::Limits::default()) else {
        return Vec::new();
    };
    let dir = kustomization.parent().unwrap_or(Path::new("."));
    let mut paths = Vec::new();
    for document in &documents {
        let root = &document.root;
        for item in root
            .get("patchesStrategicMerge")
            .into_iter()
            .flat_map(Node::items)
        {
            // Entries may also be inline patches (multi-line strings); only paths count.
            if let Some(path) = item.as_str().filter(|p| !p.contains('\n')) {
                paths.push(path.to_string());
            }
        }
        for key in ["patches", "patchesJson6902"] {
            for item in root.get(key).into_iter().flat_map(Node::items) {
                if let Some(path) = item.get("path").and_then(Node::as_str) {
                    paths.push(path.to_string());
                }
            }
        }
    }
    // By name, not `canonicalize`: it costs a system call per component of the path, and a
    // file a thousand folders deep took 27 ms (a kustomization of 1,000 such patch paths, or
    // one patch beside 600 deep files, took 16 to 20 s). A patch named through a linked folder
    // is not recognised (and is linted as a manifest).
    paths
        .into_iter()
        .map(|p| absolute_by_name(&dir.join(p)))
        .collect()
}

/// All patch files listed by the kustomizations among `files` (path, text).
pub fn patches<'a>(files: impl Iterator<Item = (&'a Path, &'a str)>) -> HashSet<PathBuf> {
    files
        .filter(|(path, _)| is_kustomization(path))
        .flat_map(|(path, text)| patch_files(path, text))
        .collect()
}
