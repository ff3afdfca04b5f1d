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

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

/// Where nginx installations conventionally keep their configuration.
pub const CONVENTIONAL_PREFIXES: &[&str] = &[
    "/etc/nginx",
    "/usr/local/nginx/conf",
    "/usr/local/etc/nginx",
    "/usr/local/openresty/nginx/conf",
    "/opt/homebrew/etc/nginx",
    "/etc/openresty",
    // Bitnami's image (`bitnami/nginx`): its nginx.conf includes `server_blocks/*.conf` there
    // inside `http` (Bitnami's "Create an NGINX server block").
    "/opt/bitnami/nginx/conf",
];

/// The conventional prefix ([`CONVENTIONAL_PREFIXES`]) that an absolute path in a container is
/// at or under (`/etc/nginx` for `/etc/nginx/conf.d/shop.conf`), compared lexically.
pub fn conventional_prefix(path: &str) -> Option<&'static str> {
    CONVENTIONAL_PREFIXES.iter().copied().find(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Whether an absolute path in a container is where nginx reads its configuration.
pub fn under_conventional_prefix(path: &str) -> bool {
    conventional_prefix(path).is_some()
}

/// The scanned files an `include` pattern refers to (sorted; empty when none match).
/// `including_file` and `scanned` must use the same base (both relative to the scan root, or
/// both absolute). `prefixes` defaults to [`CONVENTIONAL_PREFIXES`] when empty. To resolve
/// many patterns against one scan, build an [`IncludeIndex`] once instead.
pub fn resolve_include(
    pattern: &str,
    including_file: &Path,
    scanned: &[PathBuf],
    prefixes: &[&str],
) -> Vec<PathBuf> {
    IncludeIndex::new(scanned)
        .resolve(pattern, including_file, prefixes)
        .into_iter()
        .filter_map(|i| scanned.get(i).cloned())
        .collect()
}

/// The files of a scan, indexed for resolving `include` patterns: each path's lexical
/// components are computed once, and the files are grouped by folder, so a pattern whose
/// folder part has no wildcard is a lookup plus a match of the names in that one folder.
pub struct IncludeIndex<'a> {
    paths: &'a [PathBuf],
    components: Vec<Vec<String>>,
    /// Folder components → the files directly in that folder.
    by_dir: HashMap<Vec<String>, Vec<usize>>,
}

impl<'a> IncludeIndex<'a> {
    pub fn new(paths: &'a [PathBuf]) -> Self {
        let components: Vec<Vec<String>> = paths.iter().map(|p| components(p)).collect();
        let mut by_dir: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
        for (i, parts) in components.iter().enumerate() {
            if let Some((_, dir)) = parts.split_last() {
                by_dir.entry(dir.to_vec()).or_default().push(i);
            }
        }
        IncludeIndex {
            paths,
            components,
            by_dir,
        }
    }

    /// The indices (into the scanned paths) of the files `pattern` refers to, sorted by path,
    /// with the semantics of [`resolve_include`].
    pub fn resolve(&self, pattern: &str, including_file: &Path, prefixes: &[&str]) -> Vec<usize> {
        let prefixes: &[&str] = if prefixes.is_empty() {
            CONVENTIONAL_PREFIXES
        } else {
            prefixes
        };
        let pattern_path = Path::new(pattern);
        let globs = &mut HashMap::new();
        if pattern_path.is_absolute() {
            let found = self.matching(&components(pattern_path), globs);
            if !found.is_empty() {
                return found;
            }
            for prefix in prefixes {
                if let Ok(rest) = pattern_path.strip_prefix(prefix) {
                    let found = self.relative_to_ancestors(rest, including_file, globs);
                    if !found.is_empty() {
                        return found;
                    }
                }
            }
            return Vec::new();
        }
        self.relative_to_ancestors(pattern_path, including_file, globs)
    }

    /// The indices of the files an absolute pattern matches as written (no other base tried),
    /// sorted by path: for paths of one container, where the pattern means what it says.
    pub fn resolve_absolute(&self, pattern: &str) -> Vec<usize> {
        let path = Path::new(pattern);
        if !path.is_absolute() {
            return Vec::new();
        }
        self.matching(&components(path), &mut HashMap::new())
    }

    fn relative_to_ancestors(
        &self,
        pattern: &Path,
        including_file: &Path,
        globs: &mut HashMap<String, Glob>,
    ) -> Vec<usize> {
        let mut base = including_file.parent();
        while let Some(dir) = base {
            let found = self.matching(&components(&dir.join(pattern)), globs);
            if !found.is_empty() {
                return found;
            }
            base = dir.parent();
        }
        Vec::new()
    }

    /// The files whose components match the pattern's, one glob(3) component each. `globs`
    /// holds the components compiled so far (the same pattern is tried from every ancestor).
    fn matching(&self, pattern: &[String], globs: &mut HashMap<String, Glob>) -> Vec<usize> {
        let Some((name, dir)) = pattern.split_last() else {
            return Vec::new();
        };
        for part in pattern {
            if !globs.contains_key(part.as_str()) {
                globs.insert(part.clone(), Glob::new(part.as_bytes()));
            }
        }
        let glob = |part: &String| globs.get(part.as_str());
        let matches =
            |pat: &String, part: &String| glob(pat).is_some_and(|g| g.matches(part.as_bytes()));
        let is_literal = |part: &String| !part.contains(['*', '?', '[', '\\']);
        let mut found: Vec<usize> = if dir.iter().all(is_literal) {
            // A literal component matches only itself: look the folder up.
            self.by_dir
                .get(dir)
                .into_iter()
                .flatten()
                .copied()
                .filter(|&i| {
                    self.components[i]
                        .last()
                        .is_some_and(|last| matches(name, last))
                })
                .collect()
        } else {
            (0..self.components.len())
                .filter(|&i| {
                    let parts = &self.components[i];
                    parts.len() == pattern.len()
                        && parts
                            .iter()
                            .zip(pattern)
                            .all(|(part, pat)| matches(pat, part))
                })
                .collect()
        };
        // Sorted by path; the same path twice counts once (its first index).
        found.sort_by(|&a, &b| self.paths[a].cmp(&self.paths[b]).then(a.cmp(&b)));
        found.dedup_by(|b, a| self.paths[*a] == self.paths[*b]);
        found
    }
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
/// ranges), `\` escapes; wildcards never match a leading `.`. To match one pattern against
/// many names, compile it once with [`Glob::new`].
pub fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    Glob::new(pattern).matches(name)
}

/// One element of a compiled pattern component.
#[derive(Debug, Clone)]
enum Token {
    /// A byte that matches only itself (a literal, an escaped byte, an unterminated `[`).
    Byte(u8),
    /// `?`.
    Any,
    /// `*` (consecutive ones merged).
    Star,
    /// A bracket class: the bytes it matches, as a 256-bit set.
    Class([u64; 4]),
}

/// A pattern component compiled once: each bracket class becomes a 256-bit set, so a name is
/// matched in O(name length × (name length + tokens)) steps whatever the class lengths (a
/// 60 KB class costs one set lookup per byte, not a 60 KB scan).
#[derive(Debug, Clone)]
pub struct Glob {
    tokens: Vec<Token>,
    /// The pattern starts with `.` or `\.`: it may match a hidden name.
    hidden_ok: bool,
    /// Tokens that consume exactly one byte: a shorter name cannot match.
    min_len: usize,
}

impl Glob {
    pub fn new(pattern: &[u8]) -> Glob {
        let hidden_ok = pattern.first() == Some(&b'.')
            || (pattern.first() == Some(&b'\\') && pattern.get(1) == Some(&b'.'));
        let mut tokens = Vec::new();
        let mut p = 0usize;
        while let Some(&c) = pattern.get(p) {
            let (token, next) = match c {
                b'*' => (Token::Star, p + 1),
                b'?' => (Token::Any, p + 1),
                b'[' => match compile_class(pattern, p) {
                    Some((set, next)) => (Token::Class(set), next),
                    // Unterminated class: a literal `[`.
                    None => (Token::Byte(b'['), p + 1),
                },
                b'\\' => match pattern.get(p + 1) {
                    Some(&escaped) => (Token::Byte(escaped), p + 2),
                    None => (Token::Byte(b'\\'), p + 1),
                },
                c => (Token::Byte(c), p + 1),
            };
            if !(matches!(token, Token::Star) && matches!(tokens.last(), Some(Token::Star))) {
                tokens.push(token);
            }
            p = next;
        }
        let min_len = tokens.iter().filter(|t| !matches!(t, Token::Star)).count();
        Glob {
            tokens,
            hidden_ok,
            min_len,
        }
    }

    pub fn matches(&self, name: &[u8]) -> bool {
        if name.first() == Some(&b'.') && !self.hidden_ok {
            // Only a literal `.` (or an escaped one) matches a hidden file.
            return false;
        }
        if name.len() < self.min_len {
            return false;
        }
        // The linear two-pointer matcher with one backtrack point (the last `*`): a failure
        // after a `*` retries one byte further from that `*`; an earlier `*` is never retried
        // (the later one can absorb whatever it would have).
        let (mut p, mut n) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while let Some(&c) = name.get(n) {
            let step = match self.tokens.get(p) {
                Some(Token::Star) => {
                    star = Some((p + 1, n));
                    p += 1;
                    continue;
                }
                Some(Token::Any) => true,
                Some(Token::Byte(b)) => *b == c,
                Some(Token::Class(set)) => set_contains(set, c),
                None => false,
            };
            if step {
                p += 1;
                n += 1;
            } else {
                match star {
                    Some((star_p, star_n)) => {
                        p = star_p;
                        n = star_n + 1;
                        star = Some((star_p, star_n + 1));
                    }
                    None => return false,
                }
            }
        }
        while matches!(self.tokens.get(p), Some(Token::Star)) {
            p += 1;
        }
        p == self.tokens.len()
    }
}

fn set_contains(set: &[u64; 4], c: u8) -> bool {
    set.get(usize::from(c >> 6))
        .is_some_and(|word| word & (1u64 << (c & 63)) != 0)
}

fn set_insert(set: &mut [u64; 4], c: u8) {
    if let Some(word) = set.get_mut(usize::from(c >> 6)) {
        *word |= 1u64 << (c & 63);
    }
}

/// Compile the class starting at `pattern[open] == '['`: `Some((the bytes it matches, index
/// after ']'))`, or `None` if the class is not terminated. Each byte of the class is read
/// once (a range sets at most 256 bits).
fn compile_class(pattern: &[u8], open: usize) -> Option<([u64; 4], usize)> {
    let mut i = open + 1;
    let negate = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut set = [0u64; 4];
    let mut first = true;
    loop {
        let &b = pattern.get(i)?;
        if b == b']' && !first {
            if negate {
                for word in &mut set {
                    *word = !*word;
                }
            }
            return Some((set, i + 1));
        }
        first = false;
        if pattern.get(i + 1) == Some(&b'-') && pattern.get(i + 2).is_some_and(|&e| e != b']') {
            let end = pattern.get(i + 2).copied().unwrap_or(b);
            for c in b..=end {
                set_insert(&mut set, c);
            }
            i += 3;
        } else {
            set_insert(&mut set, b);
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

    /// The matcher before classes were compiled (each class re-read at every try), kept as the
    /// reference: glob(3) matching of one path component: `*`, `?`, `[...]` (with `!`/`^` negation and
    /// ranges), `\` escapes; wildcards never match a leading `.`.
    fn old_glob_match(pattern: &[u8], name: &[u8]) -> bool {
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
                Some(b'[') => match old_class_match(pattern, p, name.get(n).copied()) {
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
    fn old_class_match(pattern: &[u8], open: usize, c: Option<u8>) -> Option<(bool, usize)> {
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

    #[test]
    fn compiled_globs_agree_with_the_reference_matcher() {
        let pieces: &[&[u8]] = &[
            b"*", b"?", b"a", b"b", b".", b"[ab]", b"[!a]", b"[^b-c]", b"[]]", b"[a-]", b"[c-a]",
            b"[", b"]", b"\\", b"\\*", b"\\[", b"-", b"!", b"[!]", b"[a",
        ];
        let bytes = b"ab.c[]*\\-!";
        let mut rng = crate::test_rng::Rng(0x9e37_79b9_7f4a_7c15);
        let mut matched = 0;
        for _ in 0..20_000 {
            let mut pattern = Vec::new();
            for _ in 0..rng.below(6) {
                pattern.extend_from_slice(pieces[rng.below(pieces.len())]);
            }
            let compiled = Glob::new(&pattern);
            for _ in 0..8 {
                let name: Vec<u8> = (0..rng.below(7))
                    .map(|_| bytes[rng.below(bytes.len())])
                    .collect();
                let want = old_glob_match(&pattern, &name);
                assert_eq!(
                    compiled.matches(&name),
                    want,
                    "{:?} vs {:?}",
                    String::from_utf8_lossy(&pattern),
                    String::from_utf8_lossy(&name)
                );
                matched += usize::from(want);
            }
        }
        assert!(matched > 5_000, "{matched}");
    }

    #[test]
    fn long_classes_cost_one_lookup_per_byte() {
        // `*[bbb…60 KB…]0` against 1,000 names of 240 bytes: the class is read once.
        let mut pattern = b"*[".to_vec();
        pattern.extend(std::iter::repeat_n(b'b', 60_000));
        pattern.extend_from_slice(b"]0");
        let glob = Glob::new(&pattern);
        let start = std::time::Instant::now();
        for i in 0..1_000 {
            let mut name = vec![b'a'; 240];
            name.extend_from_slice(format!("{i}.conf").as_bytes());
            assert!(!glob.matches(&name));
            assert!(glob.matches(b"ab0"));
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
        let mut negated = b"[!".to_vec();
        negated.extend(std::iter::repeat_n(b'x', 60_000));
        negated.push(b']');
        assert!(glob_match(&negated, b"a"));
        assert!(!glob_match(&negated, b"x"));
        // Many stars against a long name: each `*` is given up once.
        let stars = b"*a".repeat(5_000);
        assert!(!glob_match(&stars, &[b'a'; 255]));
        assert!(glob_match(&stars[..20], &[b'a'; 255]));
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

    /// The straightforward resolution (every file's components compared with the pattern's, for
    /// every base tried): the reference the index must agree with.
    fn reference(pattern: &str, including: &Path, scanned: &[PathBuf]) -> Vec<PathBuf> {
        let matching = |pattern: &[String]| {
            let mut found: Vec<PathBuf> = scanned
                .iter()
                .filter(|p| {
                    let parts = components(p);
                    parts.len() == pattern.len()
                        && parts
                            .iter()
                            .zip(pattern)
                            .all(|(n, pat)| glob_match(pat.as_bytes(), n.as_bytes()))
                })
                .cloned()
                .collect();
            found.sort();
            found.dedup();
            found
        };
        let ancestors = |pattern: &Path| {
            let mut base = including.parent();
            while let Some(dir) = base {
                let found = matching(&components(&dir.join(pattern)));
                if !found.is_empty() {
                    return found;
                }
                base = dir.parent();
            }
            Vec::new()
        };
        let path = Path::new(pattern);
        if path.is_absolute() {
            let found = matching(&components(path));
            if !found.is_empty() {
                return found;
            }
            for prefix in CONVENTIONAL_PREFIXES {
                if let Ok(rest) = path.strip_prefix(prefix) {
                    let found = ancestors(rest);
                    if !found.is_empty() {
                        return found;
                    }
                }
            }
            return Vec::new();
        }
        ancestors(path)
    }

    #[test]
    fn the_index_agrees_with_the_reference_on_generated_trees() {
        let dirs = [
            "",
            "nginx/",
            "nginx/conf.d/",
            "a/nginx/",
            "a/nginx/conf.d/",
            "b/snippets/",
            "/etc/nginx/",
            "/etc/nginx/conf.d/",
            "x/y/z/",
        ];
        let names = [
            "nginx.conf",
            "a.conf",
            "b.conf",
            ".hidden.conf",
            "proxy",
            "[x].conf",
            "*.conf",
        ];
        let patterns = [
            "*.conf",
            "conf.d/*.conf",
            "conf.d/a.conf",
            "../snippets/*",
            "*/conf.d/*.conf",
            "*/*",
            "/etc/nginx/conf.d/*.conf",
            "/etc/nginx/*.conf",
            "/etc/nginx/nginx.conf",
            "snippets/proxy",
            "./conf.d/../a.conf",
            "n?inx/[ab].conf",
            "[!a]*/conf.d/b.conf",
            "\\*.conf",
            ".*.conf",
            "../../*",
            "/other/*.conf",
            "x/*/z/*",
            "",
        ];
        let mut rng = crate::test_rng::Rng(0x2545_f491_4f6c_dd1d);
        let mut next = |below: usize| rng.below(below);
        let mut matched = 0;
        for _ in 0..300 {
            let count = 1 + next(14);
            let scanned: Vec<PathBuf> = (0..count)
                .map(|_| {
                    PathBuf::from(format!(
                        "{}{}",
                        dirs[next(dirs.len())],
                        names[next(names.len())]
                    ))
                })
                .collect();
            let index = IncludeIndex::new(&scanned);
            for from in &scanned {
                for pattern in patterns {
                    let got: Vec<PathBuf> = index
                        .resolve(pattern, from, &[])
                        .into_iter()
                        .map(|i| scanned[i].clone())
                        .collect();
                    assert_eq!(
                        got,
                        reference(pattern, from, &scanned),
                        "{pattern} from {from:?} in {scanned:?}"
                    );
                    matched += usize::from(!got.is_empty());
                }
            }
        }
        // Most cases resolve to something: the comparison is not of empty lists.
        assert!(matched > 10_000, "{matched}");
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
