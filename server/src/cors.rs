//! `--cors-origin ORIGIN`: let portals on other origins call the API with
//! credentials (the embeddable job widgets).
//!
//! Only the API gets these headers, only for an `Origin` that equals one
//! of the configured origins exactly (after normalising the flag: no
//! trailing slash, no default port), and never `*` (credentials forbid
//! it). A preflight from an allowed origin is answered here, before any
//! latency and without reaching an upstream; a preflight from any other
//! origin goes on as a plain `OPTIONS` and gets no CORS headers, so the
//! browser refuses the real request. The static files carry
//! `Access-Control-Allow-Origin: *` instead (see `lib.rs`): they are public
//! code that `embed.js` imports from any page.

use crate::compress::add_vary;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

/// Methods a portal may use on the API.
pub const ALLOW_METHODS: &str = "GET, HEAD, PATCH, OPTIONS";
/// Request headers a portal may send.
pub const ALLOW_HEADERS: &str = "Content-Type, X-CSRFToken";
/// How long a browser may cache a preflight answer, in seconds.
pub const MAX_AGE: &str = "600";

#[derive(Debug, Clone, Default)]
pub struct Cors {
    origins: Vec<String>,
}

/// Normalises an origin flag (`https://Portal.example:443/` becomes
/// `https://portal.example`), refusing anything that is not one.
pub fn normalize_origin(s: &str) -> Result<String, String> {
    let bad = |why: &str| format!("--cors-origin {s:?}: {why}");
    let url = reqwest::Url::parse(s.trim()).map_err(|e| bad(&e.to_string()))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(bad("must be an http or https origin"));
    }
    if url.host_str().is_none() {
        return Err(bad("has no host"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad("an origin has no path, query or fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("an origin has no user name or password"));
    }
    Ok(url.origin().ascii_serialization())
}

impl Cors {
    pub fn new(flags: &[String]) -> Result<Cors, String> {
        let mut origins = Vec::new();
        for f in flags {
            let o = normalize_origin(f)?;
            if !origins.contains(&o) {
                origins.push(o);
            }
        }
        Ok(Cors { origins })
    }

    pub fn enabled(&self) -> bool {
        !self.origins.is_empty()
    }

    /// The request's `Origin` if it is one of ours.
    pub fn allowed_origin(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let origin = headers.get(header::ORIGIN)?;
        let text = origin.to_str().ok()?;
        self.origins
            .iter()
            .any(|o| o == text)
            .then(|| origin.clone())
    }

    /// The answer to a CORS preflight from an allowed origin; `None` for
    /// anything else (which is then handled as an ordinary request).
    pub fn preflight(&self, method: &Method, headers: &HeaderMap) -> Option<Response> {
        if method != Method::OPTIONS || !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
        {
            return None;
        }
        let origin = self.allowed_origin(headers)?;
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOW_METHODS),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE),
        );
        add_vary(h, "Origin");
        add_vary(h, "Access-Control-Request-Method");
        add_vary(h, "Access-Control-Request-Headers");
        Some(r)
    }

    /// Adds the CORS headers to an API answer: the allow headers for an
    /// allowed origin, and `Vary: Origin` whenever CORS is configured (the
    /// answer depends on the `Origin` then, whoever asks). (An upstream's
    /// own CORS headers never get this far: `upstream` passes back an
    /// allowlist of headers without them.)
    pub fn decorate(&self, headers: &mut HeaderMap, allowed: Option<HeaderValue>) {
        if !self.enabled() {
            return;
        }
        add_vary(headers, "Origin");
        if let Some(origin) = allowed {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalised_and_checked() {
        assert_eq!(
            normalize_origin("https://Portal.Example:443/").unwrap(),
            "https://portal.example"
        );
        assert_eq!(
            normalize_origin("http://127.0.0.1:3000").unwrap(),
            "http://127.0.0.1:3000"
        );
        for bad in [
            "*",
            "null",
            "portal.example",
            "ftp://portal.example",
            "https://portal.example/app",
            "https://portal.example/?x=1",
            "https://user@portal.example",
        ] {
            assert!(normalize_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_listed_origins_match_exactly() {
        let cors = Cors::new(&["https://portal.example".into()]).unwrap();
        let with = |o: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ORIGIN, HeaderValue::from_str(o).unwrap());
            h
        };
        assert!(cors
            .allowed_origin(&with("https://portal.example"))
            .is_some());
        for o in [
            "https://portal.example.evil",
            "https://evil.portal.example",
            "http://portal.example",
            "https://portal.example:8443",
            "null",
        ] {
            assert!(cors.allowed_origin(&with(o)).is_none(), "{o}");
        }
        assert!(cors.allowed_origin(&HeaderMap::new()).is_none());
    }
}
