//! Which URLs from the API may become links: only absolute `http(s)` ones.
//! `javascript:`, `data:`, `vbscript:`, protocol-relative (`//evil`) and
//! anything odd stays text.

/// The URL, if it is safe to put in an `href`.
pub fn safe_href(url: &str) -> Option<&str> {
    let u = url.trim();
    // Control characters and whitespace inside a URL are a smuggling trick
    // (`java\tscript:`), never a real file URL.
    if u.is_empty() || u.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    let lower = u.get(..8).unwrap_or(u).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &u[8..]
    } else if lower.starts_with("http://") {
        &u[7..]
    } else {
        return None;
    };
    // A host must follow.
    (!rest.is_empty() && !rest.starts_with('/')).then_some(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https() {
        assert_eq!(
            safe_href("https://data.example.com/a.tif"),
            Some("https://data.example.com/a.tif")
        );
        assert_eq!(safe_href("HTTP://x.example/a"), Some("HTTP://x.example/a"));
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "//evil.example/x",
            "/relative/path",
            "file:///etc/passwd",
            "https:///nohost",
            "https://",
            "",
            "ftp://x.example/a",
        ] {
            assert_eq!(safe_href(bad), None, "{bad:?}");
        }
    }
}
