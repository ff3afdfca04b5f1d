//! Resolving `include` patterns against the files of a scan.
//!
//! nginx (`ngx_conf_include`) makes a relative pattern absolute against its configuration
//! prefix (the directory of the main `nginx.conf`, usually `/etc/nginx`), not against the
//! including file, and expands patterns containing `*`, `?` or `[` with glob(3): sorted, a
//! wildcard never matches a leading `.` or a `/`, and a pattern without matches is no error.
//! A repository rarely mirrors `/etc/nginx`, so [`resolve_include`] tries, in order, and
//! stops at the first base that has matches:
//! 1. an absolute pattern as written;
//! 2. the including file's directory and then each of its ancestors (the nearest one that
//!    works is taken to be the prefix: `nginx/conf.d/a.conf` including `snippets/b.conf`
//!    finds `nginx/snippets/b.conf`);
//! 3. for an absolute pattern under a conventional prefix ([`CONVENTIONAL_PREFIXES`], or
//!    the caller's), the rest of the pattern as in step 2 (`/etc/nginx/conf.d/*.conf`
//!    included from `deploy/nginx.conf` finds `deploy/conf.d/x.conf`).
//!
//! Paths are compared lexically (`.` and `..` resolved, nothing read from disk).

use std::path::{Component, Path, PathBuf};

/// Where nginx installations conventionally keep their configuration.
pub const CONVENTIONAL_PREFIXES: &[&str] = &[
    "/etc/nginx",
    "/usr/local/nginx/conf",
    "/usr/local/etc/nginx",
    "/usr/local/openresty/nginx/conf",
    "/opt/homebrew/etc/nginx",
    "/etc/openresty",
];

/// The scanned files an `include` pattern refers to (sorted; empty when none match).
/// `including_file` and `scanned` must use the same base (both relative to the scan root, or
/// both absolute). `prefixes` defaults to [`CONVENTIONAL_PREFIXES`] when empty.
pub fn resolve_include(
    pattern: &str,
    including_file: &Path,
    scanned: &[PathBuf],
    prefixes: &[&str],
) -> Vec<PathBuf> {
    let prefixes: &[&str] = if prefixes.is_empty() {
        CONVENTIONAL_PREFIXES
    } else {
        prefixes
    };
    let scanned: Vec<(Vec<String>, &PathBuf)> =
        scanned.iter().map(|p| (components(p), p)).collect();
    let pattern_path = Path::new(pattern);

    if pattern_path.is_absolute() {
        let found = matching(&components(pattern_path), &scanned);
        if !found.is_empty() {
            return found;
        }
        for prefix in prefixes {
            if let Ok(rest) = pattern_path.strip_prefix(prefix) {
                let found = relative_to_ancestors(rest, including_file, &scanned);
                if !found.is_empty() {
                    return found;
                }
            }
        }
        return Vec::new();
    }
    relative_to_ancestors(pattern_path, including_file, &scanned)
}

fn relative_to_ancestors(
    pattern: &Path,
    including_file: &Path,
    scanned: &[(Vec<String>, &PathBuf)],
) -> Vec<PathBuf> {
    let mut base = including_file.parent();
    while let Some(dir) = base {
        let found = matching(&components(&dir.join(pattern)), scanned);
        if !found.is_empty() {
            return found;
        }
        base = dir.parent();
    }
    Vec::new()
}

fn matching(pattern: &[String], scanned: &[(Vec<String>, &PathBuf)]) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = scanned
        .iter()
        .filter(|(parts, _)| {
            parts.len() == pattern.len()
                && parts
                    .iter()
                    .zip(pattern)
                    .all(|(name, pat)| glob_match(pat.as_bytes(), name.as_bytes()))
        })
        .map(|(_, p)| (*p).clone())
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Lexical components: `.` dropped, `..` pops, the root kept as `/`.
fn components(path: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for component in path.components() {
        match component {
            Component::RootDir => out.push("/".to_string()),
            Component::Prefix(p) => out.push(p.as_os_str().to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                if out.last().is_some_and(|last| last != "/" && last != "..") {
                    out.pop();
                } else if out.last().map(String::as_str) != Some("/") {
                    out.push("..".to_string());
                }
            }
            Component::Normal(name) => out.push(name.to_string_lossy().into_owned()),
        }
    }
    out
}

/// glob(3) matching of one path component: `*`, `?`, `[...]` (with `!`/`^` negation and
/// ranges), `\` escapes; wildcards never match a leading `.`.
pub fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    if name.first() == Some(&b'.') && !matches!(pattern.first(), Some(b'.')) {
        // Only a literal `.` (or an escaped one) matches a hidden file.
        if !(pattern.first() == Some(&b'\\') && pattern.get(1) == Some(&b'.')) {
            return false;
        }
    }
    // Iterative matcher with a single backtrack point for the last `*`: O(len² ) worst case.
    let (mut p, mut n) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match pattern.get(p) {
            Some(b'*') => {
                star = Some((p + 1, n));
                p += 1;
                continue;
            }
            Some(b'?') => Some(p + 1),
            Some(b'[') => match class_match(pattern, p, name.get(n).copied()) {
                Some((true, next)) => Some(next),
                Some((false, _)) => None,
                // Unterminated class: a literal `[`.
                None => (name.get(n) == Some(&b'[')).then_some(p + 1),
            },
            Some(b'\\') if pattern.get(p + 1).is_some() => {
                (pattern.get(p + 1) == name.get(n)).then_some(p + 2)
            }
            Some(c) => (Some(c) == name.get(n)).then_some(p + 1),
            None => None,
        };
        match step {
            Some(next) => {
                p = next;
                n += 1;
            }
            None => match star {
                Some((star_p, star_n)) => {
                    p = star_p;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    while pattern.get(p) == Some(&b'*') {
        p += 1;
    }
    p == pattern.len()
}

/// Match `c` against the class starting at `pattern[open] == '['`: `Some((matched, index
/// after ']'))`, or `None` if the class is not terminated.
fn class_match(pattern: &[u8], open: usize, c: Option<u8>) -> Option<(bool, usize)> {
    let mut i = open + 1;
    let negate = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let &b = pattern.get(i)?;
        if b == b']' && !first {
            let matched = c.is_some() && (matched != negate);
            return Some((matched, i + 1));
        }
        first = false;
        if pattern.get(i + 1) == Some(&b'-') && pattern.get(i + 2).is_some_and(|&e| e != b']') {
            let end = pattern.get(i + 2).copied().unwrap_or(b);
            if c.is_some_and(|c| b <= c && c <= end) {
                matched = true;
            }
            i += 3;
        } else {
            if c == Some(b) {
                matched = true;
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(list: &[&str]) -> Vec<PathBuf> {
        list.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn glob() {
        assert!(glob_match(b"*.conf", b"a.conf"));
        assert!(!glob_match(b"*.conf", b".default.conf"));
        assert!(glob_match(b".*.conf", b".default.conf"));
        assert!(glob_match(b"?.conf", b"a.conf"));
        assert!(!glob_match(b"?.conf", b"ab.conf"));
        assert!(glob_match(b"a*b*c", b"aXXbYYbZc"));
        assert!(!glob_match(b"a*b*c", b"aXXbYYbZ"));
        assert!(glob_match(b"[a-c]x", b"bx"));
        assert!(!glob_match(b"[!a-c]x", b"bx"));
        assert!(glob_match(b"[]]", b"]"));
        assert!(glob_match(b"[x", b"[x"));
        assert!(glob_match(b"\\*", b"*"));
        assert!(!glob_match(b"\\*", b"a"));
        assert!(glob_match(b"*", b"anything"));
        assert!(!glob_match(b"", b"a"));
        let long = vec![b'a'; 2_000];
        assert!(!glob_match(b"*a*a*a*a*b", &long));
    }

    #[test]
    fn relative_to_including_dir_then_ancestors() {
        let scanned = paths(&[
            "deploy/nginx/nginx.conf",
            "deploy/nginx/conf.d/b.conf",
            "deploy/nginx/conf.d/a.conf",
            "deploy/nginx/conf.d/.hidden.conf",
            "deploy/nginx/conf.d/notes.txt",
            "deploy/nginx/snippets/proxy.conf",
        ]);
        let found = resolve_include(
            "conf.d/*.conf",
            Path::new("deploy/nginx/nginx.conf"),
            &scanned,
            &[],
        );
        assert_eq!(
            found,
            paths(&["deploy/nginx/conf.d/a.conf", "deploy/nginx/conf.d/b.conf"])
        );
        let found = resolve_include(
            "snippets/proxy.conf",
            Path::new("deploy/nginx/conf.d/a.conf"),
            &scanned,
            &[],
        );
        assert_eq!(found, paths(&["deploy/nginx/snippets/proxy.conf"]));
        let found = resolve_include(
            "../snippets/p?oxy.conf",
            Path::new("deploy/nginx/conf.d/a.conf"),
            &scanned,
            &[],
        );
        assert_eq!(found, paths(&["deploy/nginx/snippets/proxy.conf"]));
        assert!(resolve_include(
            "missing/*.conf",
            Path::new("deploy/nginx/nginx.conf"),
            &scanned,
            &[]
        )
        .is_empty());
    }

    #[test]
    fn absolute_patterns() {
        let scanned = paths(&[
            "repo/nginx.conf",
            "repo/conf.d/site.conf",
            "/etc/nginx/x.conf",
        ]);
        let from = Path::new("repo/nginx.conf");
        assert_eq!(
            resolve_include("/etc/nginx/conf.d/*.conf", from, &scanned, &[]),
            paths(&["repo/conf.d/site.conf"])
        );
        assert_eq!(
            resolve_include("/etc/nginx/x.conf", from, &scanned, &[]),
            paths(&["/etc/nginx/x.conf"])
        );
        assert_eq!(
            resolve_include("/srv/conf/conf.d/*.conf", from, &scanned, &["/srv/conf"]),
            paths(&["repo/conf.d/site.conf"])
        );
        assert!(resolve_include("/other/conf.d/*.conf", from, &scanned, &[]).is_empty());
    }
}
