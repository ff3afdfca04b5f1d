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

/// One item of a pattern: a character, any character but `/`, any run of them, a class (by its
/// number in the pattern's [`Classes`]). Eight bytes: a 64 KiB `.dockerignore` of wildcards is
/// half a megabyte of them, not two.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Token {
    Char(char),
    Any,
    Star,
    Class(u32),
    /// `**` followed by more: any run of whole folders, none included (`(.*/)?`).
    Folders,
    /// `**` at the end of a pattern that has wildcards before it: anything (`.*`).
    Rest,
}

/// The `[...]` classes of a pattern (or of all lines of a `.dockerignore`): each is whether
/// it is negated and its range of `ranges`.
#[derive(Debug, Clone, Default)]
struct Classes {
    classes: Vec<(bool, u32, u32)>,
    ranges: Vec<(char, char)>,
}

impl Classes {
    fn matches(&self, class: u32, c: char) -> bool {
        let Some(&(negated, start, end)) = self.classes.get(class as usize) else {
            return false;
        };
        let ranges = self.ranges.get(start as usize..end as usize).unwrap_or(&[]);
        ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != negated
    }

    /// Add a class; `None` past `u32::MAX` classes or ranges.
    fn push(&mut self, negated: bool, ranges: &[(char, char)]) -> Option<Token> {
        let start = u32::try_from(self.ranges.len()).ok()?;
        let end = u32::try_from(self.ranges.len() + ranges.len()).ok()?;
        let id = u32::try_from(self.classes.len()).ok()?;
        self.ranges.extend_from_slice(ranges);
        self.classes.push((negated, start, end));
        Some(Token::Class(id))
    }
}

/// A pattern of Go's `filepath.Match` for one path component: `*`, `?`, `[...]` (ranges,
/// `^` negates), `\` escapes the next character.
#[derive(Debug, Clone)]
pub struct Glob {
    tokens: Vec<Token>,
    classes: Classes,
    /// How many characters a name needs at least.
    fixed: usize,
}

/// Parse a `[...]` class after its `[` into `classes`: `None` when Go refuses it (empty,
/// unterminated, a range from or to `-`/`]`, a `\` at the end). With `strict`, also when a
/// `*`, `?` or `[` or a `\` before a letter or digit is in it: the `.dockerignore`
/// translation to a regular expression makes those something else, which is not modelled.
fn parse_class(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    strict: bool,
    classes: &mut Classes,
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
            return classes.push(negated, &ranges);
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
        let mut classes = Classes::default();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            tokens.push(match c {
                '*' if tokens.last() == Some(&Token::Star) => continue,
                '*' => Token::Star,
                '?' => Token::Any,
                '[' => parse_class(&mut chars, false, &mut classes)?,
                '\\' => Token::Char(chars.next()?),
                c => Token::Char(c),
            });
        }
        let fixed = tokens.iter().filter(|t| **t != Token::Star).count();
        Some(Glob {
            tokens,
            classes,
            fixed,
        })
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
            Token::Class(class) => self.classes.matches(*class, c),
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
/// The text each matches is the line's cleaned pattern without its leading or trailing `**`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Exact,
    Prefix,
    Suffix,
    Tokens,
}

/// One line, kept compact (a 64 KiB file of one-character lines is 32,768 of them): its
/// pattern and tokens are ranges of the [`DockerIgnore`]'s `text` and `tokens`.
#[derive(Debug)]
struct Line {
    shape: Shape,
    exception: bool,
    /// The cleaned pattern (without its `!`): `start..end` of `text`.
    start: u32,
    end: u32,
    /// For an exception: how long its pattern is without a trailing `/**` and then `/*`, the
    /// folder BuildKit's walk looks for to decide whether to go into an excluded folder.
    folder: Option<u32>,
    /// Its tokens (a `Tokens` line): `tokens_start..tokens_end` of `tokens`.
    tokens_start: u32,
    tokens_end: u32,
}

/// Where a file of the build context ends up with BuildKit (the default builder since Docker
/// 23), which sends the context through fsutil: its walk decides what is in the context, the
/// read of each file it kept decides what the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// In the context, as it is on disk.
    In,
    /// Not in the context.
    Out,
    /// In the context, but the read of it refuses it (the last line that matches it or a
    /// folder it is in is an exclusion), and BuildKit 0.13 and later send it empty (earlier
    /// versions sent it whole): its text is not what the image holds.
    Emptied,
}

/// The patterns of a build context's `.dockerignore`.
#[derive(Debug, Default)]
pub struct DockerIgnore {
    lines: Vec<Line>,
    /// The cleaned patterns of all lines, one after another.
    text: String,
    /// The tokens of all lines matched as regular expressions, one after another.
    tokens: Vec<Token>,
    classes: Classes,
    /// Characters of all patterns (the cost of matching a path against them).
    size: usize,
    /// Whether every exception is a plain path once a trailing `/**` or `/*` is taken off:
    /// the walk then skips an excluded folder no exception names a path in.
    plain_exceptions: bool,
}

/// Why a `.dockerignore` is not applied: Docker refuses it (the build fails) or a line uses
/// what shutdownlint does not model.
pub type Refused = String;

impl DockerIgnore {
    /// Parse a `.dockerignore` as Docker reads it (`ignorefile.ReadAll`): a `#` in the first
    /// column starts a comment, lines are trimmed, `!` starts an exception, each pattern is
    /// cleaned (`filepath.Clean`) and loses a leading `/`. Then as patternmatcher takes the
    /// lines: trimmed and cleaned again with their `!`, so `!../../x` is the exclusion `x`
    /// (`!..` goes with the `..` after it) and `/!x` the exception `x`.
    pub fn parse(text: &str) -> Result<DockerIgnore, Refused> {
        let mut ignore = DockerIgnore {
            plain_exceptions: true,
            ..DockerIgnore::default()
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (number, raw) in text.lines().enumerate() {
            if raw.starts_with('#') {
                continue;
            }
            let mut pattern = raw.trim();
            if pattern.is_empty() {
                continue;
            }
            let invert = pattern.starts_with('!');
            if invert {
                pattern = pattern.get(1..).unwrap_or("").trim();
            }
            let mut read = String::new();
            if !pattern.is_empty() {
                read = clean(pattern);
                if read.len() > 1 && read.starts_with('/') {
                    read.remove(0);
                }
            }
            if invert {
                read.insert(0, '!');
            }
            // What patternmatcher makes of the line ReadAll gave.
            let given = read.trim();
            if given.is_empty() {
                continue;
            }
            let cleaned = clean(given);
            let line = number + 1;
            let (exception, cleaned) = match cleaned.strip_prefix('!') {
                Some("") => {
                    return Err(format!("line {line} is a lone `!`, which Docker refuses"));
                }
                Some(rest) => (true, rest),
                None => (false, cleaned.as_str()),
            };
            let too_long = || format!("line {line}: past 4 GiB of patterns");
            let tokens_start = u32::try_from(ignore.tokens.len()).map_err(|_| too_long())?;
            let shape = shape(cleaned, &mut ignore.tokens, &mut ignore.classes)
                .map_err(|why| format!("line {line}: {why}"))?;
            let tokens_end = u32::try_from(ignore.tokens.len()).map_err(|_| too_long())?;
            let folder = exception.then(|| {
                let folder = cleaned.strip_suffix("/**").unwrap_or(cleaned);
                folder.strip_suffix("/*").unwrap_or(folder)
            });
            if folder.is_some_and(|f| f.contains(['*', '[', ']', '?', '^', '\\'])) {
                ignore.plain_exceptions = false;
            }
            let start = u32::try_from(ignore.text.len()).map_err(|_| too_long())?;
            ignore.text.push_str(cleaned);
            let end = u32::try_from(ignore.text.len()).map_err(|_| too_long())?;
            let folder = match folder.map(|f| u32::try_from(f.len())) {
                Some(Ok(len)) => Some(len),
                Some(Err(_)) => return Err(too_long()),
                None => None,
            };
            ignore.size += cleaned.len();
            ignore.lines.push(Line {
                shape,
                exception,
                start,
                end,
                folder,
                tokens_start,
                tokens_end,
            });
        }
        ignore.text.shrink_to_fit();
        ignore.tokens.shrink_to_fit();
        ignore.lines.shrink_to_fit();
        ignore.classes.classes.shrink_to_fit();
        ignore.classes.ranges.shrink_to_fit();
        Ok(ignore)
    }

    /// The cleaned pattern of a line (without its `!`).
    fn pattern(&self, line: &Line) -> &str {
        self.text
            .get(line.start as usize..line.end as usize)
            .unwrap_or("")
    }

    /// The folder an exception names (see [`Line::folder`]).
    fn folder(&self, line: &Line) -> Option<&str> {
        let len = line.folder? as usize;
        self.pattern(line).get(..len)
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// What matching one path of `len` bytes costs, in steps of about a byte compared.
    pub fn cost(&self, len: usize) -> usize {
        self.size.saturating_mul(len.max(1))
    }

    /// Whether each line matches each folder of `path` and the path itself by itself (not a
    /// folder above): one row per line, one column per folder (shortest first) and the path
    /// last. `ends` are where those end.
    fn hits(&self, path: &str, ends: &[usize]) -> Vec<bool> {
        let depth = ends.len().max(1);
        let mut hits = vec![false; self.lines.len() * depth];
        for (line, row) in self.lines.iter().zip(hits.chunks_mut(depth)) {
            let parts = ends.iter().map(|&end| path.get(..end).unwrap_or(""));
            let pattern = self.pattern(line);
            match line.shape {
                Shape::Exact => {
                    for (hit, part) in row.iter_mut().zip(parts) {
                        *hit = part == pattern;
                    }
                }
                Shape::Prefix => {
                    let p = pattern.strip_suffix("**").unwrap_or(pattern);
                    for (hit, part) in row.iter_mut().zip(parts) {
                        *hit = part.starts_with(p);
                    }
                }
                Shape::Suffix => {
                    let s = pattern.get(2..).unwrap_or("");
                    for (hit, part) in row.iter_mut().zip(parts) {
                        *hit = part.ends_with(s)
                            || s.strip_prefix('/').is_some_and(|bare| part == bare);
                    }
                }
                Shape::Tokens => {
                    let tokens = self
                        .tokens
                        .get(line.tokens_start as usize..line.tokens_end as usize)
                        .unwrap_or(&[]);
                    run(tokens, &self.classes, path, row);
                }
            }
        }
        hits
    }

    /// Where BuildKit puts `path` (see [`context_path`]; a file): fsutil's walk goes down the
    /// folders above it, each matched against the lines with what its folder matched
    /// (patternmatcher's `MatchesUsingParentResults`: a line that matched a folder matches
    /// what is in it; one skipped there, because it could not change the answer, is matched
    /// against the path only), and does not go into an excluded folder unless an exception
    /// can match inside it; the read of a file it kept matches the file and each folder above
    /// it (`MatchesOrParentMatches`).
    pub fn presence(&self, path: &str) -> Presence {
        let ends: Vec<usize> = path
            .match_indices('/')
            .map(|(i, _)| i)
            .chain(std::iter::once(path.len()))
            .collect();
        let hits = self.hits(path, &ends);
        let depth = ends.len().max(1);
        if self.walk_leaves_out(path, &ends, &hits, depth) {
            return Presence::Out;
        }
        let mut excluded = false;
        for (line, row) in self.lines.iter().zip(hits.chunks(depth)) {
            if line.exception == excluded && row.iter().any(|&hit| hit) {
                excluded = !line.exception;
            }
        }
        if excluded {
            Presence::Emptied
        } else {
            Presence::In
        }
    }

    /// Whether fsutil's walk leaves `path` out: see [`DockerIgnore::presence`].
    fn walk_leaves_out(&self, path: &str, ends: &[usize], hits: &[bool], depth: usize) -> bool {
        // What each line matched in the folder above (none at the top).
        let mut above: Vec<bool> = Vec::new();
        let mut here = vec![false; self.lines.len()];
        for (column, &end) in ends.iter().enumerate() {
            let mut excluded = false;
            for (i, (line, row)) in self.lines.iter().zip(hits.chunks(depth)).enumerate() {
                let mut hit = above.get(i).copied().unwrap_or(false);
                if !hit {
                    if line.exception != excluded {
                        if let Some(slot) = here.get_mut(i) {
                            *slot = false;
                        }
                        continue;
                    }
                    hit = row.get(column).copied().unwrap_or(false);
                }
                if let Some(slot) = here.get_mut(i) {
                    *slot = hit;
                }
                if hit {
                    excluded = !line.exception;
                }
            }
            if column + 1 == ends.len() {
                return excluded;
            }
            if excluded && self.plain_exceptions {
                // An excluded folder is gone down into only when an exception names a path
                // in it (or the folder itself).
                let folder = path.get(..end).unwrap_or("");
                let named = self.lines.iter().any(|line| {
                    self.folder(line).is_some_and(|f| {
                        f.strip_prefix(folder)
                            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                    })
                });
                if !named {
                    return true;
                }
            }
            above.clone_from(&here);
        }
        false
    }
}

/// The shape of a cleaned pattern, per moby's `compile`; the tokens of a `Tokens` one are added
/// to `tokens` (and its classes to `classes`).
fn shape(pattern: &str, tokens: &mut Vec<Token>, classes: &mut Classes) -> Result<Shape, String> {
    if Glob::new_checked(pattern).is_none() {
        return Err(format!(
            "`{pattern}` is not a valid pattern (Docker refuses it)"
        ));
    }
    let first = tokens.len();
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
                tokens.push(parse_class(&mut chars, true, classes).ok_or_else(unmodelled)?);
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
        return Ok(Shape::Tokens);
    }
    tokens.truncate(first);
    if suffix {
        return Ok(Shape::Suffix);
    }
    if pattern.ends_with("**") {
        return Ok(Shape::Prefix);
    }
    Ok(Shape::Exact)
}

impl Glob {
    /// [`Glob::new`] of a whole `/`-separated pattern, for Go's syntax check only.
    fn new_checked(pattern: &str) -> Option<()> {
        pattern
            .split('/')
            .try_for_each(|part| Glob::new(part).map(|_| ()))
    }
}

/// Whether `tokens` (anchored at both ends) match each folder of `path` and the path itself:
/// `row` gets one answer per folder, shortest first, and the path last. One pass over the
/// path with the set of pattern positions reached.
fn run(tokens: &[Token], classes: &Classes, path: &str, row: &mut [bool]) {
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
    let mut column = 0;
    for c in path.chars() {
        if c == '/' {
            if let Some(hit) = row.get_mut(column) {
                *hit = accepts(&now);
            }
            column += 1;
        }
        next.iter_mut().for_each(|s| *s = false);
        for i in 0..n {
            if now[i] {
                match &tokens[i] {
                    Token::Char(p) if *p == c => next[i + 1] = true,
                    Token::Any if c != '/' => next[i + 1] = true,
                    Token::Class(class) if classes.matches(*class, c) => {
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
    if let Some(hit) = row.get_mut(column) {
        *hit = accepts(&now);
    }
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
        DockerIgnore::parse(ignore).expect("parses").presence(path) != Presence::In
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

    /// What BuildKit puts in the context, worked out by hand from fsutil's walk (a folder's
    /// per-line results carried down, excluded folders skipped unless a plain exception names
    /// a path in them) and its read of each file kept (each folder above matched as well).
    #[test]
    fn dockerignore_follows_buildkit() {
        use Presence::{Emptied, In, Out};
        let cases: &[(&str, &str, Presence)] = &[
            // A line skipped for a folder (it could not change the answer there) is matched
            // against the paths in it only: `!docker` does not bring back `docker/*`.
            ("docker/*\n!docker\n", "docker/entrypoint.sh", Out),
            ("**/*.sh\n!docker\n", "docker/e.sh", Out),
            ("a/b\n!a\n", "a/b/e.sh", Out),
            ("a/*/c\n!a\n", "a/b/c/e.sh", Out),
            ("a/b\n!a*\n", "a/b/e.sh", Out),
            // The walk keeps it, the read of the file refuses it (a line matching a folder
            // above it).
            (
                "docker\n!docker/entrypoint.sh\ndocker\n",
                "docker/entrypoint.sh",
                Emptied,
            ),
            ("a\n!a/e.sh\na*\n", "a/e.sh", Emptied),
            // Lines that matched a folder match what is in it.
            ("docker\n!docker\n", "docker/e.sh", In),
            ("docker/*\n!docker/e.sh\n", "docker/e.sh", In),
            ("a\n!a/b\n", "a/b/e.sh", In),
            ("*\n!a/**\n", "a/b/e.sh", In),
            ("docker\n!docker/**\n", "docker/x/e.sh", In),
            ("a\n!a/e.sh\n*/e.sh\n", "a/e.sh", Out),
            // An excluded folder is gone into when a plain exception names a path in it, or
            // when an exception has a wildcard before its trailing `/*` or `/**`.
            (
                "docker\n!docker/entrypoint.sh\n",
                "docker/entrypoint.sh",
                In,
            ),
            (
                "docker\n!docker/entrypoint.sh\n",
                "docker/sub/entrypoint.sh",
                Out,
            ),
            ("docker\n!other/e.sh\n", "docker/e.sh", Out),
            ("docker\n!dock*/e.sh\n", "docker/e.sh", In),
            ("*\n!docker/entrypoint.sh\n", "docker/entrypoint.sh", In),
            // fsutil takes off `/**` and then `/*`: `a/*/**` names the folder `a` only, and
            // the walk does not go into `a/b` (which the exception matches inside).
            ("*\n!a/*/**\n", "a/b/e.sh", Out),
            ("*\n!a/*\n", "a/b", In),
            // patternmatcher cleans the line again with its `!`: `!../../d*` is the exclusion
            // `d*` (`!..` goes with the `..` after it), `!../d*` the exception `../d*` (which
            // matches nothing), `/!x` the exception `x`.
            ("!../../d*\n", "docker/e.sh", Out),
            ("!../d*\n", "docker/e.sh", In),
            ("docker\n/!docker/e.sh\n", "docker/e.sh", In),
            ("e.sh\n", "e.sh", Out),
            ("*.sh\n!e.sh\n", "e.sh", In),
        ];
        for &(ignore, path, expected) in cases {
            let parsed = DockerIgnore::parse(ignore).expect("parses");
            assert_eq!(parsed.presence(path), expected, "{ignore:?} {path}");
        }
        assert!(DockerIgnore::parse("!/\n").is_err());
        assert!(DockerIgnore::parse("! /\n").is_err());
    }
}
