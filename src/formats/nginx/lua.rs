//! Finding the end of a `*_by_lua_block { ... }` body.
//!
//! lua-nginx-module (`ngx_http_lua_conf_lua_block_parse()` with its Ragel lexer) counts `{`
//! and `}` in the Lua source, skipping strings and comments: `"..."` and `'...'` with
//! backslash escapes, long strings `[[...]]`/`[==[...]==]`, comments `-- ...` to the end of
//! the line and long comments `--[[...]]`/`--[==[...]==]`. We do the same, and nothing more:
//! the body is not otherwise checked as Lua.

use crate::span::Span;

/// A problem in a Lua block; `span` is `None` when the block's `{` is the best place to point.
#[derive(Debug)]
pub(super) struct LuaError {
    pub message: String,
    pub span: Option<Span>,
}

/// Given the offset just after a Lua block's `{`, the offset of its matching `}`.
pub(super) fn find_block_end(bytes: &[u8], start: usize) -> Result<usize, LuaError> {
    let mut level: usize = 1;
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'{' => {
                level += 1;
                i += 1;
            }
            b'}' => {
                level -= 1;
                if level == 0 {
                    return Ok(i);
                }
                i += 1;
            }
            b'"' | b'\'' => i = skip_short_string(bytes, i),
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                if let Some(equals) = long_bracket_level(bytes, i + 2) {
                    i = skip_long_bracket(bytes, i, i + 2, equals, "comment")?;
                } else {
                    while let Some(&c) = bytes.get(i) {
                        if c == b'\n' {
                            break;
                        }
                        i += 1;
                    }
                }
            }
            b'[' => {
                if let Some(equals) = long_bracket_level(bytes, i) {
                    i = skip_long_bracket(bytes, i, i, equals, "string")?;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    Err(LuaError {
        message: "unexpected end of file, expecting terminating characters for lua code block"
            .to_string(),
        span: None,
    })
}

/// Skip a `"`/`'` string starting at `i` (its quote); returns the offset after it. An
/// unescaped newline ends an unterminated string (Lua rejects it; we only need to keep
/// counting braces sensibly).
fn skip_short_string(bytes: &[u8], i: usize) -> usize {
    let quote = bytes.get(i).copied();
    let mut j = i + 1;
    while let Some(&c) = bytes.get(j) {
        if c == b'\\' {
            j += 2;
            continue;
        }
        if Some(c) == quote || c == b'\n' {
            return j + 1;
        }
        j += 1;
    }
    j
}

/// If a long bracket `[`, `=`*, `[` opens at `i`, the number of `=`.
fn long_bracket_level(bytes: &[u8], i: usize) -> Option<usize> {
    if bytes.get(i) != Some(&b'[') {
        return None;
    }
    let mut j = i + 1;
    while bytes.get(j) == Some(&b'=') {
        j += 1;
    }
    (bytes.get(j) == Some(&b'[')).then_some(j - i - 1)
}

/// Skip a long string or comment whose construct starts at `start` and whose opening
/// bracket is at `bracket`; returns the offset after the closing bracket.
fn skip_long_bracket(
    bytes: &[u8],
    start: usize,
    bracket: usize,
    equals: usize,
    what: &str,
) -> Result<usize, LuaError> {
    let mut j = bracket + equals + 2;
    while let Some(&c) = bytes.get(j) {
        if c == b']' {
            let mut k = j + 1;
            while bytes.get(k) == Some(&b'=') {
                k += 1;
            }
            if k - j - 1 == equals && bytes.get(k) == Some(&b']') {
                return Ok(k + 1);
            }
            // `]=]]` with the right count may start at a later `]`.
            j += 1;
            continue;
        }
        j += 1;
    }
    Err(LuaError {
        message: format!("Lua code block missing the closing long bracket of a long {what}"),
        span: Some(Span::new(start, bracket + equals + 2)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(s: &str) -> Option<usize> {
        find_block_end(s.as_bytes(), 0).ok()
    }

    #[test]
    fn counts_nested_braces() {
        assert_eq!(end(" local t = {1, {2}} }x"), Some(20));
    }

    #[test]
    fn skips_strings_and_comments() {
        assert_eq!(end(r#" a = "}\"}" }"#), Some(12));
        assert_eq!(end(" a = '}' }"), Some(9));
        assert_eq!(end(" -- }\n }"), Some(7));
        assert_eq!(end(" --[[ } ]] }"), Some(11));
        assert_eq!(end(" --[==[ ]] } ]==] }"), Some(18));
        assert_eq!(end(" x = [[ } ]] }"), Some(13));
        assert_eq!(end(" x = [=[ ]]] ]=] }"), Some(17));
        assert_eq!(end(" x = t[1] }"), Some(10));
        assert_eq!(end(" x = a - -b }"), Some(12));
    }

    #[test]
    fn unterminated() {
        assert!(end(" { ").is_none());
        let e = find_block_end(b" x = [[ }", 0).unwrap_err();
        assert_eq!(e.span, Some(Span::new(5, 7)));
        let e = find_block_end(b" --[=[ }", 0).unwrap_err();
        assert_eq!(e.span, Some(Span::new(1, 6)));
        assert!(end(" \"abc\\").is_none());
    }
}
