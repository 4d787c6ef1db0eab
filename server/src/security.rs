//! Security headers on every response, and the app's Content Security
//! Policy.
//!
//! - Every response: `X-Content-Type-Options: nosniff` and
//!   `Referrer-Policy: same-origin`.
//! - The app's HTML: a CSP that allows scripts from this origin only
//!   (plus `'wasm-unsafe-eval'` to instantiate the WebAssembly, plus the
//!   SHA-256 of each inline `<script>` in the served file: Trunk's
//!   `index.html` boots the app with an inline module script, which
//!   `script-src 'self'` alone would block), inline styles (Leptos and
//!   stylers set `style` attributes), images from here and `data:`, API
//!   calls to here, no plugins, and `frame-ancestors` from
//!   `--frame-ancestors`. `X-Frame-Options: SAMEORIGIN` is added only
//!   when that is exactly `'self'` (a `DENY` would break the embed routes).
//! - API answers: `default-src 'none'; frame-ancestors 'none'`: JSON is
//!   never a document to render or frame.

use axum::http::{header, HeaderMap, HeaderValue};
use base64::Engine;
use sha2::{Digest, Sha256};

/// The CSP of API answers (and of other responses that are not the app).
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// What a response is, for its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An answer under `/api/v4` or `/api/v5`.
    Api,
    /// An HTML document of the app (or the landing page).
    Html,
    /// A static file or `config.json`: scripts, wasm, styles, JSON.
    Asset,
}

/// Checks a `--frame-ancestors` value: CSP source expressions separated by
/// blanks, nothing that could end the directive or the header.
pub fn check_frame_ancestors(value: &str) -> Result<String, String> {
    if value
        .chars()
        .any(|c| c.is_control() && c != ' ' && c != '\t')
    {
        return Err("--frame-ancestors: control characters are not allowed".into());
    }
    let tokens: Vec<&str> = value.split_whitespace().collect();
    if tokens.is_empty() {
        return Err("--frame-ancestors: empty (use 'none' to forbid framing)".into());
    }
    for t in &tokens {
        let keyword = matches!(*t, "'self'" | "'none'");
        let source = !t.starts_with('\'')
            && t.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, '.' | '-' | '*' | ':' | '/' | '_' | '[' | ']')
            });
        if !keyword && !source {
            return Err(format!(
                "--frame-ancestors: {t:?} is not a CSP source ('self', 'none', https://host[:port], https:)"
            ));
        }
    }
    if tokens.len() > 1 && tokens.contains(&"'none'") {
        return Err("--frame-ancestors: 'none' cannot be combined with other sources".into());
    }
    Ok(tokens.join(" "))
}

/// The app's CSP for an HTML document with these inline-script hashes
/// (`sha256-...`, see [`inline_script_hashes`]).
pub fn html_csp(frame_ancestors: &str, script_hashes: &[String]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for h in script_hashes {
        script_src.push_str(" '");
        script_src.push_str(h);
        script_src.push('\'');
    }
    format!(
        "default-src 'self'; script-src {script_src}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors {frame_ancestors}"
    )
}

/// `sha256-<base64>` of the text of every inline `<script>` (one without
/// `src`) in `html`, in document order, as CSP hash sources.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = lower[at..].find("<script") {
        let open = at + found;
        // `<scripts>` or `<script-x>` is another element.
        let after = lower.as_bytes().get(open + 7).copied();
        if !matches!(
            after,
            Some(b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/')
        ) {
            at = open + 7;
            continue;
        }
        let Some(tag_end) = lower[open..].find('>').map(|i| open + i) else {
            break;
        };
        let tag = &lower[open..tag_end];
        let content_start = tag_end + 1;
        let Some(close) = lower[content_start..]
            .find("</script")
            .map(|i| content_start + i)
        else {
            break;
        };
        let has_src = tag
            .split(|c: char| c.is_ascii_whitespace())
            .any(|attr| attr == "src" || attr.starts_with("src="));
        if !has_src {
            // Slicing the original at the same byte offsets: lowercasing
            // ASCII keeps every offset.
            let digest = Sha256::digest(&html.as_bytes()[content_start..close]);
            out.push(format!(
                "sha256-{}",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        at = close + 8;
    }
    out
}

/// Sets the headers every response gets, and a CSP for its kind unless the
/// handler set one (the static files set the app's, with its hashes).
pub fn apply(headers: &mut HeaderMap, kind: Kind, frame_ancestors: &str) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    match kind {
        Kind::Api => {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(API_CSP),
            );
        }
        Kind::Html => {
            if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
                if let Ok(v) = HeaderValue::from_str(&html_csp(frame_ancestors, &[])) {
                    headers.insert(header::CONTENT_SECURITY_POLICY, v);
                }
            }
            if frame_ancestors == "'self'" {
                headers.insert(
                    header::X_FRAME_OPTIONS,
                    HeaderValue::from_static("SAMEORIGIN"),
                );
            }
        }
        Kind::Asset => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_cover_inline_scripts_only() {
        let html = "<head><script type=\"module\">\nimport init from '/a.js';\n</script>\
                    <script src=\"/b.js\"></script><SCRIPT>alert(1)</SCRIPT>\
                    <scripts>x</scripts></head>";
        let h = inline_script_hashes(html);
        assert_eq!(h.len(), 2, "{h:?}");
        let expect = |s: &str| {
            format!(
                "sha256-{}",
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(s.as_bytes()))
            )
        };
        assert_eq!(h[0], expect("\nimport init from '/a.js';\n"));
        assert_eq!(h[1], expect("alert(1)"));
        assert!(inline_script_hashes("<p>no scripts</p>").is_empty());
        assert!(inline_script_hashes("<script>unterminated").is_empty());
    }

    #[test]
    fn frame_ancestors_values() {
        assert_eq!(check_frame_ancestors("'self'").unwrap(), "'self'");
        assert_eq!(
            check_frame_ancestors("  'self'   https://portal.example:8443 ").unwrap(),
            "'self' https://portal.example:8443"
        );
        assert!(check_frame_ancestors("'none'").is_ok());
        assert!(check_frame_ancestors("https:").is_ok());
        assert!(check_frame_ancestors("").is_err());
        assert!(check_frame_ancestors("'self'; script-src *").is_err());
        assert!(check_frame_ancestors("'unsafe-inline'").is_err());
        assert!(check_frame_ancestors("'none' 'self'").is_err());
        assert!(check_frame_ancestors("a\r\nX-Evil: 1").is_err());
    }

    #[test]
    fn csp_lists_hashes_and_ancestors() {
        let csp = html_csp("'self' https://p.example", &["sha256-abc=".into()]);
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc='"));
        assert!(csp.ends_with("frame-ancestors 'self' https://p.example"));
        assert!(csp.contains("object-src 'none'"));
        let script_src = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(!script_src.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("style-src 'self' 'unsafe-inline'"));
    }
}
