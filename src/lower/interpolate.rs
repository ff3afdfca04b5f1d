//! Compose's interpolation of `${VAR}` in a compose file's values (Compose specification,
//! "Interpolation"; Docker docs, "Interpolation"): `$VAR` and `${VAR}` are the variable's value,
//! `${VAR:-default}` the default when the variable is unset or empty, `${VAR-default}` when it
//! is unset, `${VAR:?err}` / `${VAR?err}` an error when it is unset (or empty), `${VAR:+alt}` /
//! `${VAR+alt}` the alternative when it is set (and not empty), `$$` a `$`. Defaults may hold
//! interpolations themselves (compose-go `template`).
//!
//! Compose takes the values from the shell environment and the project's `.env` file. The
//! scan reads neither: a variable is known only through the values `vars` gives, and one it
//! does not set is taken as unset, so a default stands for it (the shell or `.env` may still
//! set it, which the rule pages say); with no default the value is not known.

/// How deep defaults may nest (`${A:-${B:-${C}}}`); deeper is not known.
const MAX_DEPTH: usize = 8;

/// `text` as compose interpolates it with the variables `vars` knows (`None` from `vars`: not
/// set), or `None` when a value cannot be known: a variable with no default that `vars` does
/// not set, a required variable (`${VAR:?err}`) that is not set, or text compose rejects
/// (an unclosed `${`).
pub fn interpolate(text: &str, vars: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    expand(&mut rest, vars, &mut out, 0, false)?;
    Some(out)
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// Expands `rest` into `out` up to its end or, `inner`, up to the `}` that closes the
/// enclosing `${`, which it consumes.
fn expand(
    rest: &mut &str,
    vars: &dyn Fn(&str) -> Option<String>,
    out: &mut String,
    depth: usize,
    inner: bool,
) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    loop {
        let Some(c) = rest.chars().next() else {
            // An unclosed `${`: compose refuses the file.
            return (!inner).then_some(());
        };
        if inner && c == '}' {
            *rest = &rest[1..];
            return Some(());
        }
        if c != '$' {
            out.push(c);
            *rest = &rest[c.len_utf8()..];
            continue;
        }
        let after = &rest[1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            *rest = tail;
        } else if let Some(tail) = after.strip_prefix('{') {
            *rest = tail;
            braced(rest, vars, out, depth)?;
        } else if after.starts_with(is_name_start) {
            let end = after.find(|c: char| !is_name(c)).unwrap_or(after.len());
            out.push_str(&vars(&after[..end])?);
            *rest = &after[end..];
        } else {
            // A `$` that starts no variable stays (compose-go keeps it).
            out.push('$');
            *rest = after;
        }
    }
}

/// A `${…}` after its `${`, up to and with its `}`.
fn braced(
    rest: &mut &str,
    vars: &dyn Fn(&str) -> Option<String>,
    out: &mut String,
    depth: usize,
) -> Option<()> {
    let end = rest.find(|c: char| !is_name(c)).unwrap_or(rest.len());
    let name = &rest[..end];
    if !name.starts_with(is_name_start) {
        return None;
    }
    let value = vars(name);
    *rest = &rest[end..];
    let (colon, tail) = match rest.strip_prefix(':') {
        Some(tail) => (true, tail),
        None => (false, *rest),
    };
    let operator = tail.chars().next()?;
    if operator == '}' && !colon {
        *rest = &tail[1..];
        out.push_str(&value?);
        return Some(());
    }
    if !matches!(operator, '-' | '?' | '+') {
        return None;
    }
    *rest = &tail[1..];
    // The word after the operator, expanded (a default may hold variables).
    let mut word = String::new();
    expand(rest, vars, &mut word, depth + 1, true)?;
    let set = value.as_deref().is_some_and(|v| !colon || !v.is_empty());
    match operator {
        '-' => out.push_str(if set {
            value.as_deref().unwrap_or("")
        } else {
            &word
        }),
        '?' => out.push_str(if set { value.as_deref()? } else { return None }),
        _ => out.push_str(if set { &word } else { "" }),
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(vars: &[(&str, &str)], text: &str) -> Option<String> {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        interpolate(text, &|name| map.get(name).map(|v| v.to_string()))
    }

    #[test]
    fn defaults_stand_for_unset_variables() {
        assert_eq!(
            with(&[], "nginx:${NGINX_VERSION:-1.27-alpine}").as_deref(),
            Some("nginx:1.27-alpine")
        );
        assert_eq!(
            with(&[], "nginx:${NGINX_VERSION-1.27}-alpine").as_deref(),
            Some("nginx:1.27-alpine")
        );
        assert_eq!(
            with(&[], "${NGINX_IMAGE:-nginx:1.27-alpine}").as_deref(),
            Some("nginx:1.27-alpine")
        );
        // Nested defaults.
        assert_eq!(
            with(&[("B", "1.30")], "nginx:${A:-${B:-1.27}}").as_deref(),
            Some("nginx:1.30")
        );
        assert_eq!(with(&[], "a$$b").as_deref(), Some("a$b"));
        assert_eq!(with(&[], "plain:1.2").as_deref(), Some("plain:1.2"));
    }

    #[test]
    fn set_values_win_by_the_operators_rules() {
        let v = [("V", "1.30-alpine"), ("EMPTY", "")];
        assert_eq!(with(&v, "nginx:${V}").as_deref(), Some("nginx:1.30-alpine"));
        assert_eq!(with(&v, "nginx:$V").as_deref(), Some("nginx:1.30-alpine"));
        assert_eq!(
            with(&v, "nginx:${V:-1.27}").as_deref(),
            Some("nginx:1.30-alpine")
        );
        assert_eq!(
            with(&v, "nginx:${EMPTY:-1.27}").as_deref(),
            Some("nginx:1.27")
        );
        assert_eq!(with(&v, "nginx:${EMPTY-1.27}").as_deref(), Some("nginx:"));
        assert_eq!(
            with(&v, "nginx:${V:?need it}").as_deref(),
            Some("nginx:1.30-alpine")
        );
        assert_eq!(with(&v, "x${V:+-set}").as_deref(), Some("x-set"));
        assert_eq!(with(&v, "x${U:+-set}").as_deref(), Some("x"));
    }

    #[test]
    fn what_the_environment_alone_gives_is_not_known() {
        assert_eq!(with(&[], "nginx:${NGINX_VERSION}"), None);
        assert_eq!(with(&[], "nginx:$NGINX_VERSION"), None);
        assert_eq!(with(&[], "nginx:${NGINX_VERSION:?set it}"), None);
        assert_eq!(with(&[("E", "")], "nginx:${E:?set it}"), None);
        // Unclosed, or not a name: compose refuses it.
        assert_eq!(with(&[], "nginx:${V:-1.27"), None);
        assert_eq!(with(&[], "nginx:${1V}"), None);
        // Too deep.
        let deep = format!("{}x{}", "${A:-".repeat(20), "}".repeat(20));
        assert_eq!(with(&[], &deep), None);
    }
}
