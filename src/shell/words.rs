//! Splitting a command string into words the way docker compose and fly.toml do (shellwords:
//! whitespace separates words, quotes and backslashes group them, nothing is expanded and no
//! shell runs). Operators such as `&&` stay literal words. Each word keeps an exact map back to
//! the source, escapes and quotes included.

use crate::model::MAX_COMMAND_WORDS;
use crate::span::{MappedText, Span};

/// The words of `text`, each mapped to the source `text` is mapped to: the first
/// [`MAX_COMMAND_WORDS`] of them.
pub fn split_literal(text: &MappedText) -> Vec<MappedText> {
    let s = text.as_str();
    let mut words = Vec::new();
    let mut current = MappedText::builder();
    let mut in_word = false;
    let mut chars = s.char_indices().peekable();
    let mut quote: Option<char> = None;
    let source = |start: usize, end: usize| text.source_span(Span::new(start, end));
    while let Some((i, c)) = chars.next() {
        let end = i + c.len_utf8();
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current).finish());
                    in_word = false;
                    if words.len() == MAX_COMMAND_WORDS {
                        return words;
                    }
                }
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None | Some('"'), '\\') => {
                in_word = true;
                match chars.next() {
                    Some((j, next)) => {
                        // Inside double quotes only \" \\ \$ \` lose their backslash.
                        if quote == Some('"') && !matches!(next, '"' | '\\' | '$' | '`') {
                            current.push_char('\\', source(i, end));
                        }
                        current.push_char(next, source(i, j + next.len_utf8()));
                    }
                    None => current.push_char('\\', source(i, end)),
                }
            }
            (_, c) => {
                in_word = true;
                current.push_char(c, source(i, end));
            }
        }
    }
    if in_word {
        words.push(current.finish());
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<String> {
        split_literal(&MappedText::contiguous(s, 100))
            .into_iter()
            .map(|w| w.text)
            .collect()
    }

    #[test]
    fn splits_like_shellwords() {
        assert_eq!(split("node server.js"), ["node", "server.js"]);
        assert_eq!(
            split("sh -c \"exec node app\""),
            ["sh", "-c", "exec node app"]
        );
        assert_eq!(split("sh -c 'a && b'\n"), ["sh", "-c", "a && b"]);
        assert_eq!(
            split("./migrate && node app"),
            ["./migrate", "&&", "node", "app"]
        );
        assert_eq!(split("a\\ b \"c\\\"d\""), ["a b", "c\"d"]);
        assert_eq!(split("  \n "), Vec::<String>::new());
        assert_eq!(split("''"), [""]);
    }

    #[test]
    fn words_map_to_the_source() {
        let text = MappedText::contiguous("sh -c \"exec node\"", 10);
        let words = split_literal(&text);
        assert_eq!(words[2].full_source_span(), Span::new(17, 26));
        assert_eq!(words[2].source_span(Span::new(5, 9)), Span::new(22, 26));
    }
}
