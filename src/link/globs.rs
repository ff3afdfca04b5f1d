//! Docker's path patterns: the wildcards of COPY sources (Go's `filepath.Match`, one path
//! component at a time) and the lines of a build context's `.dockerignore` (moby's
//! patternmatcher: `filepath.Match` plus `**`, `!` exceptions, the last matching line wins).

use std::path::Path;

/// Whether a COPY source has a wildcard (`*`, `?`, `[`; `\` escapes the next byte), as
/// BuildKit decides it: such a source is matched against the context, any other one is a path.
pub fn contains_wildcards(source: &str) -> bool {
    let bytes = source.as_bytes();
    let mut i = 0;
    while let Some(&c) = bytes.get(i) {
        match c {
            b'\\' => i += 2,
            b'*' | b'?' | b'[' => return true,
            _ => i += 1,
        }
    }
    false
}

/// Go's `filepath.Clean` of a `/`-separated path: no empty or `.` components, `..` removed
/// with the component before it (and at the root), `.` for nothing.
pub fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// A path of the build context as Docker matches it: relative to the context root, cleaned,
/// `/`-separated (a `..` above the root stays at the root, as BuildKit resolves COPY sources).
pub fn context_path(relative: &Path) -> String {
    let text = relative.to_string_lossy();
    let cleaned = clean(&format!("/{}", text.replace('\\', "/")));
    cleaned.trim_start_matches('/').to_string()
}

/// One item of a pattern: a character, any character but `/`, any run of them, a class.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Char(char),
    Any,
    Star,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    /// `**` followed by more: any run of whole folders, none included (`(.*/)?`).
    Folders,
    /// `**` at the end of a pattern that has wildcards before it: anything (`.*`).
    Rest,
}

fn class_matches(negated: bool, ranges: &[(char, char)], c: char) -> bool {
    ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != negated
}

/// A pattern of Go's `filepath.Match` for one path component: `*`, `?`, `[...]` (ranges,
/// `^` negates), `\` escapes the next character.
#[derive(Debug, Clone)]
pub struct Glob {
    tokens: Vec<Token>,
    /// How many characters a name needs at least.
    fixed: usize,
}

/// Parse a `[...]` class after its `[`: `None` when Go refuses it (empty, unterminated, a range
/// from or to `-`/`]`, a `\` at the end). With `strict`, also when a `*`, `?` or `[` or a `\`
/// before a letter or digit is in it: the `.dockerignore` translation to a regular expression
/// makes those something else, which is not modelled.
fn parse_class(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    strict: bool,
) -> Option<Token> {
    let negated = chars.next_if_eq(&'^').is_some();
    let mut ranges = Vec::new();
    let one = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| -> Option<char> {
        match chars.next()? {
            '-' | ']' => None,
            '\\' => {
                let c = chars.next()?;
                (!strict || !c.is_ascii_alphanumeric()).then_some(c)
            }
            '*' | '?' | '[' if strict => None,
            c => Some(c),
        }
    };
    loop {
        if !ranges.is_empty() && chars.next_if_eq(&']').is_some() {
            return Some(Token::Class { negated, ranges });
        }
        let lo = one(chars)?;
        let hi = if chars.next_if_eq(&'-').is_some() {
            one(chars)?
        } else {
            lo
        };
        ranges.push((lo, hi));
    }
}

impl Glob {
    /// `None` for a pattern Go refuses (it then matches nothing).
    pub fn new(pattern: &str) -> Option<Glob> {
        let mut tokens = Vec::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '*' if tokens.last() == Some(&Token::Star) => continue,
                '*' => Token::Star,
                '?' => Token::Any,
                '[' => parse_class(&mut chars, false)?,
                '\\' => Token::Char(chars.next()?),
                c => Token::Char(c),
            });
        }
        let fixed = tokens.iter().filter(|t| **t != Token::Star).count();
        Some(Glob { tokens, fixed })
    }

    /// Whether `name` (one component) matches; linear in the pattern times the name at worst
    /// (a failed match after a `*` restarts one character later, as Go's does).
    pub fn matches(&self, name: &str) -> bool {
        let name: Vec<char> = name.chars().collect();
        if name.len() < self.fixed {
            return false;
        }
        let one = |t: &Token, c: char| match t {
            Token::Char(p) => *p == c,
            Token::Any => c != '/',
            Token::Class { negated, ranges } => class_matches(*negated, ranges, c),
            _ => false,
        };
        let (mut pi, mut ni) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while ni < name.len() {
            match (self.tokens.get(pi), name.get(ni)) {
                (Some(Token::Star), _) => {
                    star = Some((pi, ni));
                    pi += 1;
                }
                (Some(t), Some(&c)) if one(t, c) => {
                    pi += 1;
                    ni += 1;
                }
                _ => match star {
                    Some((sp, sn)) if name.get(sn) != Some(&'/') => {
                        star = Some((sp, sn + 1));
                        pi = sp + 1;
                        ni = sn + 1;
                    }
                    _ => return false,
                },
            }
        }
        self.tokens
            .get(pi..)
            .unwrap_or(&[])
            .iter()
            .all(|t| *t == Token::Star)
    }

    /// How many items the pattern has (what matching a name costs, per character of it).
    pub fn size(&self) -> usize {
        self.tokens.len()
    }

    /// The literal text every name it matches starts with, and ends with.
    pub fn literal_ends(pattern: &str) -> (&str, &str) {
        let special = |c: char| matches!(c, '*' | '?' | '[' | ']' | '\\');
        let first = pattern.find(special).unwrap_or(pattern.len());
        let last = pattern.rfind(special).map_or(pattern.len(), |l| l + 1);
        (
            pattern.get(..first).unwrap_or(""),
            pattern.get(last.max(first)..).unwrap_or(""),
        )
    }
}

/// How one `.dockerignore` line matches a path (moby's patternmatcher decides by the pattern's
/// shape: literal, literal then `**`, `**` then literal, or a regular expression).
#[derive(Debug)]
enum Shape {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Tokens(Vec<Token>),
}

#[derive(Debug)]
struct Line {
    shape: Shape,
    exception: bool,
}

/// The patterns of a build context's `.dockerignore`.
#[derive(Debug, Default)]
pub struct DockerIgnore {
    lines: Vec<Line>,
    /// Characters of all patterns (the cost of matching a path against them).
    size: usize,
}

/// Why a `.dockerignore` is not applied: Docker refuses it (the build fails) or a line uses
/// what shutdownlint does not model.
pub type Refused = String;

impl DockerIgnore {
    /// Parse a `.dockerignore` as Docker reads it: a `#` in the first column starts a comment,
    /// lines are trimmed, `!` starts an exception, each pattern is cleaned (`filepath.Clean`)
    /// and loses a leading `/`.
    pub fn parse(text: &str) -> Result<DockerIgnore, Refused> {
        let mut ignore = DockerIgnore::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (number, raw) in text.lines().enumerate() {
            if raw.starts_with('#') {
                continue;
            }
            let mut pattern = raw.trim();
            if pattern.is_empty() {
                continue;
            }
            let exception = pattern.starts_with('!');
            if exception {
                pattern = pattern.get(1..).unwrap_or("").trim();
            }
            let mut cleaned = String::new();
            if !pattern.is_empty() {
                cleaned = clean(pattern);
                if cleaned.len() > 1 && cleaned.starts_with('/') {
                    cleaned.remove(0);
                }
            }
            let line = number + 1;
            if cleaned.is_empty() {
                return Err(format!("line {line} is a lone `!`, which Docker refuses"));
            }
            let shape = shape(&cleaned).map_err(|why| format!("line {line}: {why}"))?;
            ignore.size += cleaned.len();
            ignore.lines.push(Line { shape, exception });
        }
        Ok(ignore)
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// What matching one path of `len` bytes costs, in steps of about a byte compared.
    pub fn cost(&self, len: usize) -> usize {
        self.size.saturating_mul(len.max(1))
    }

    /// Whether `path` (see [`context_path`]) is left out of the build context: the last line
    /// that matches it or a folder it is in decides.
    pub fn excludes(&self, path: &str) -> bool {
        // The path itself and each folder above it, shortest last.
        let ends: Vec<usize> = path
            .match_indices('/')
            .map(|(i, _)| i)
            .chain(std::iter::once(path.len()))
            .collect();
        let mut excluded = false;
        for line in &self.lines {
            if line.exception != excluded {
                continue;
            }
            let hit = match &line.shape {
                Shape::Exact(p) => {
                    path == p
                        || path
                            .strip_prefix(p.as_str())
                            .is_some_and(|r| r.starts_with('/'))
                }
                Shape::Prefix(p) => path.starts_with(p.as_str()),
                Shape::Suffix(s) => ends.iter().any(|&end| {
                    let part = path.get(..end).unwrap_or("");
                    part.ends_with(s.as_str())
                        || s.strip_prefix('/').is_some_and(|bare| part == bare)
                }),
                Shape::Tokens(tokens) => run(tokens, path),
            };
            if hit {
                excluded = !line.exception;
            }
        }
        excluded
    }
}

/// The shape of a cleaned pattern, per moby's `compile`.
fn shape(pattern: &str) -> Result<Shape, String> {
    if Glob::new_checked(pattern).is_none() {
        return Err(format!(
            "`{pattern}` is not a valid pattern (Docker refuses it)"
        ));
    }
    let mut tokens = Vec::new();
    let mut regexp = false;
    let mut suffix = false;
    let mut chars = pattern.chars().peekable();
    let mut i = 0;
    let mut caret = false;
    let unmodelled = || format!("`{pattern}` uses what shutdownlint does not model");
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.next_if_eq(&'*').is_some() => {
                chars.next_if_eq(&'/');
                if chars.peek().is_none() {
                    if regexp || suffix {
                        tokens.push(Token::Rest);
                        regexp = true;
                        suffix = false;
                    }
                } else {
                    tokens.push(Token::Folders);
                    regexp = true;
                }
                if i == 0 {
                    suffix = true;
                    regexp = false;
                }
            }
            '*' => {
                tokens.push(Token::Star);
                (regexp, suffix) = (true, false);
            }
            '?' => {
                tokens.push(Token::Any);
                (regexp, suffix) = (true, false);
            }
            '\\' => {
                let next = chars.next().ok_or_else(unmodelled)?;
                if next.is_ascii_alphanumeric() {
                    return Err(unmodelled());
                }
                tokens.push(Token::Char(next));
                (regexp, suffix) = (true, false);
            }
            '[' => {
                tokens.push(parse_class(&mut chars, true).ok_or_else(unmodelled)?);
                (regexp, suffix) = (true, false);
            }
            ']' => {
                tokens.push(Token::Char(']'));
                (regexp, suffix) = (true, false);
            }
            c => {
                caret |= c == '^';
                tokens.push(Token::Char(c));
            }
        }
        i += 1;
    }
    if regexp {
        // `^` outside a class is an anchor in the regular expression moby makes.
        if caret {
            return Err(unmodelled());
        }
        return Ok(Shape::Tokens(tokens));
    }
    if suffix {
        return Ok(Shape::Suffix(pattern.get(2..).unwrap_or("").to_string()));
    }
    if pattern.ends_with("**") {
        return Ok(Shape::Prefix(
            pattern.get(..pattern.len() - 2).unwrap_or("").to_string(),
        ));
    }
    Ok(Shape::Exact(pattern.to_string()))
}

impl Glob {
    /// [`Glob::new`] of a whole `/`-separated pattern, for Go's syntax check only.
    fn new_checked(pattern: &str) -> Option<()> {
        pattern
            .split('/')
            .try_for_each(|part| Glob::new(part).map(|_| ()))
    }
}

/// Whether `tokens` (anchored at both ends) match `path` or a folder above it (`ends`: where
/// each of those ends). One pass over the path with the set of pattern positions reached.
fn run(tokens: &[Token], path: &str) -> bool {
    let n = tokens.len();
    // States 0..=n: before token i; n is the end. `Folders` also has an inside state, n+1+i.
    let mut now = vec![false; 2 * n + 2];
    let mut next = vec![false; 2 * n + 2];
    let close = |set: &mut Vec<bool>| {
        for i in 0..n {
            if set[i] {
                match tokens.get(i) {
                    Some(Token::Star | Token::Rest) | Some(Token::Folders) => set[i + 1] = true,
                    _ => {}
                }
                if let Some(Token::Folders) = tokens.get(i) {
                    set[n + 1 + i] = true;
                }
            }
        }
    };
    now[0] = true;
    close(&mut now);
    let accepts = |set: &[bool]| set.get(n).copied().unwrap_or(false);
    for c in path.chars() {
        if c == '/' && accepts(&now) {
            return true;
        }
        next.iter_mut().for_each(|s| *s = false);
        for i in 0..n {
            if now[i] {
                match &tokens[i] {
                    Token::Char(p) if *p == c => next[i + 1] = true,
                    Token::Any if c != '/' => next[i + 1] = true,
                    Token::Class { negated, ranges } if class_matches(*negated, ranges, c) => {
                        next[i + 1] = true;
                    }
                    Token::Star if c != '/' => next[i] = true,
                    Token::Rest if c != '\n' => next[i] = true,
                    _ => {}
                }
            }
            if now[n + 1 + i] && c != '\n' {
                next[n + 1 + i] = true;
                if c == '/' {
                    next[i + 1] = true;
                }
            }
        }
        close(&mut next);
        std::mem::swap(&mut now, &mut next);
    }
    accepts(&now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_wildcards_follow_go() {
        let m = |p: &str, n: &str| Glob::new(p).is_some_and(|g| g.matches(n));
        assert!(m("[e]ntrypoint.sh", "entrypoint.sh"));
        assert!(m("[a-f]*.sh", "entrypoint.sh"));
        assert!(!m("[^e]*.sh", "entrypoint.sh"));
        assert!(m("[!e]*.sh", "!x.sh"));
        assert!(m("e\\*.sh", "e*.sh"));
        assert!(!m("e\\*.sh", "ex.sh"));
        assert!(m("scr*", "scripts"));
        assert!(m("?ntry", "éntry"));
        assert!(m("*.sh", "run.sh") && !m("*.sh", "run.bash"));
        assert!(Glob::new("[").is_none() && Glob::new("a\\").is_none());
        assert!(Glob::new("[]a]").is_none() && Glob::new("[a-]").is_none());
        assert!(contains_wildcards("[e]x") && !contains_wildcards("a\\*b"));
        assert_eq!(clean("./a//b/../c/."), "a/c");
        assert_eq!(clean("/../x"), "/x");
        assert_eq!(context_path(Path::new("./sub/./e.sh")), "sub/e.sh");
    }

    fn excludes(ignore: &str, path: &str) -> bool {
        DockerIgnore::parse(ignore).expect("parses").excludes(path)
    }

    #[test]
    fn dockerignore_follows_moby() {
        assert!(excludes("entrypoint.sh\n", "entrypoint.sh"));
        assert!(!excludes("entrypoint.sh\n", "docker/entrypoint.sh"));
        assert!(excludes("/docker/\n", "docker/entrypoint.sh"));
        assert!(excludes("./docker\n", "docker/entrypoint.sh"));
        assert!(excludes("*.sh\n", "entrypoint.sh"));
        assert!(!excludes("*.sh\n", "docker/entrypoint.sh"));
        assert!(excludes("*/*.sh\n", "docker/entrypoint.sh"));
        assert!(excludes("**/*.sh\n", "a/b/entrypoint.sh"));
        assert!(excludes("**/*.sh\n", "entrypoint.sh"));
        assert!(excludes("**/entrypoint.sh\n", "a/entrypoint.sh"));
        assert!(excludes("**/entrypoint.sh\n", "entrypoint.sh"));
        assert!(excludes("docker/**\n", "docker/a/b.sh"));
        assert!(excludes("doc**\n", "docker/a/b.sh"));
        assert!(excludes("*\n!docker\n", "app.js"));
        assert!(!excludes("*\n!docker\n", "docker/entrypoint.sh"));
        assert!(excludes(
            "*\n!docker\ndocker/*.sh\n",
            "docker/entrypoint.sh"
        ));
        assert!(!excludes("*.sh\n!entry*.sh\n", "entrypoint.sh"));
        assert!(excludes(
            "# entrypoint.sh\n[e]ntry?oint.sh\n",
            "entrypoint.sh"
        ));
        assert!(!excludes(" # x\n", "entrypoint.sh"));
        assert!(excludes("\u{feff}entrypoint.sh\r\n", "entrypoint.sh"));
        assert!(excludes("**\n", "a/b"));
        assert!(excludes("a/**/b\n", "a/b") && excludes("a/**/b\n", "a/x/y/b/c"));
        assert!(!excludes("a/**/b\n", "a/xb"));
        assert!(excludes("a/*/**\n", "a/x/y") && !excludes("a/*/**\n", "b/x"));
        assert!(excludes("**foo\n", "xfoo"));
        assert!(excludes("x.+()|{}$\n", "x.+()|{}$"));
        assert!(excludes("x*.+$\n", "xy.+$") && !excludes("x*.+$\n", "xy.+"));
        assert!(DockerIgnore::parse("!\n").is_err());
        assert!(DockerIgnore::parse("a[\n").is_err());
        assert!(DockerIgnore::parse("a*\\d\n").is_err());
        assert!(DockerIgnore::parse("a*^b\n").is_err());
        assert!(excludes("a^b\n", "a^b"));
    }
}
