//! `file:` URIs ↔ filesystem paths (RFC 8089), with percent-encoding both ways.
//!
//! Editors send `file:///home/me/my%20app/Dockerfile`; the linter works on paths. Other schemes
//! (`untitled:`, remote file systems) have no path and are not linted.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::Uri;

/// The filesystem path of a `file:` URI; `None` for other schemes, a host other than
/// `localhost`, a relative path or an invalid percent-encoding.
///
/// `.` and `..` are resolved by name, as URIs resolve them (RFC 3986, 5.2.4): a path is inside
/// a workspace folder when it starts with the folder's path, so `file:///ws/../../proc/kmsg`
/// must not pass for a file of `/ws`.
pub fn to_path(uri: &Uri) -> Option<PathBuf> {
    let text = uri.as_str();
    let scheme_end = text.find(':')?;
    if !text[..scheme_end].eq_ignore_ascii_case("file") {
        return None;
    }
    let rest = &text[scheme_end + 1..];
    // Query and fragment are not part of a file path.
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let path = match rest.strip_prefix("//") {
        Some(after_slashes) => {
            let host_end = after_slashes.find('/').unwrap_or(after_slashes.len());
            let host = &after_slashes[..host_end];
            if !host.is_empty() && !host.eq_ignore_ascii_case("localhost") {
                return None;
            }
            &after_slashes[host_end..]
        }
        None => rest,
    };
    if !path.starts_with('/') {
        return None;
    }
    let path = path_from_bytes(percent_decode(path)?)?;
    Some(crate::discover::absolute_by_name(&path))
}

/// A `file:` URI for an absolute path; `None` for a relative path.
pub fn from_path(path: &Path) -> Option<Uri> {
    if !path.is_absolute() {
        return None;
    }
    let mut uri = String::from("file://");
    for byte in path_bytes(path)? {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(char::from(byte));
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    Uri::from_str(&uri).ok()
}

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> Option<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    Some(path.as_os_str().as_bytes().to_vec())
}

/// Windows: `/C:/dir/file` → `C:\dir\file` (UTF-8 paths only).
#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> Option<PathBuf> {
    let text = String::from_utf8(bytes).ok()?;
    let text = match text.as_bytes() {
        [b'/', drive, b':', ..] if drive.is_ascii_alphabetic() => &text[1..],
        _ => text.as_str(),
    };
    Some(PathBuf::from(text.replace('/', "\\")))
}

/// Windows: `C:\dir\file` → `/C:/dir/file` (UTF-8 paths only).
#[cfg(not(unix))]
fn path_bytes(path: &Path) -> Option<Vec<u8>> {
    let text = path.to_str()?.replace('\\', "/");
    let text = if text.starts_with('/') {
        text
    } else {
        format!("/{text}")
    };
    Some(text.into_bytes())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        Uri::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn file_uris_become_paths() {
        assert_eq!(
            to_path(&uri("file:///tmp/my%20app/Dockerfile")),
            Some(PathBuf::from("/tmp/my app/Dockerfile"))
        );
        assert_eq!(
            to_path(&uri("file://localhost/etc/nginx/nginx.conf")),
            Some(PathBuf::from("/etc/nginx/nginx.conf"))
        );
        // Non-ASCII names arrive as percent-encoded UTF-8.
        assert_eq!(
            to_path(&uri("file:///srv/caf%C3%A9/compose.yaml")),
            Some(PathBuf::from("/srv/café/compose.yaml"))
        );
        assert_eq!(
            to_path(&uri("FILE:///a/b%23c")),
            Some(PathBuf::from("/a/b#c"))
        );
    }

    #[test]
    fn other_uris_have_no_path() {
        assert_eq!(to_path(&uri("untitled:Untitled-1")), None);
        assert_eq!(to_path(&uri("file://server/share/Dockerfile")), None);
        assert_eq!(to_path(&uri("https://example.com/Dockerfile")), None);
        assert_eq!(to_path(&uri("file:relative/Dockerfile")), None);
    }

    #[test]
    fn dot_segments_are_resolved() {
        assert_eq!(
            to_path(&uri("file:///ws/../../../../proc/kmsg")),
            Some(PathBuf::from("/proc/kmsg"))
        );
        assert_eq!(
            to_path(&uri("file:///ws/./k8s/%2E%2E/Dockerfile")),
            Some(PathBuf::from("/ws/Dockerfile"))
        );
    }

    #[test]
    fn paths_round_trip() {
        for path in [
            "/tmp/a b/Dockerfile",
            "/srv/café/k8s/deploy.yaml",
            "/x/100%/y#z?w",
            "/x/[brackets]/@at/Procfile",
        ] {
            let made = from_path(Path::new(path)).unwrap_or_else(|| panic!("{path}"));
            assert!(made.as_str().starts_with("file:///"), "{}", made.as_str());
            assert_eq!(
                to_path(&made),
                Some(PathBuf::from(path)),
                "{}",
                made.as_str()
            );
        }
        assert_eq!(
            from_path(Path::new("/tmp/a b")).map(|u| u.as_str().to_string()),
            Some("file:///tmp/a%20b".to_string())
        );
        assert!(from_path(Path::new("relative/Dockerfile")).is_none());
    }
}
