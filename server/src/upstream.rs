//! `--upstream URL`: forward `/api/v5/<rest>` (and `/api/v4/<rest>`) to
//! `<URL>/<rest>` instead of answering from SQLite.
//!
//! Method, query, body, cookies and the headers Scale cares about (content
//! type, `X-CSRFToken`, authorization) go through; status, body, cookies and
//! `Location` come back (a `Location` on the upstream is rewritten to this
//! server's prefix, so a trailing-slash redirect still works). Redirects are
//! not followed: the browser must see Scale's 301 as it is.

use crate::api::ApiError;
use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::time::Duration;

pub struct Upstream {
    /// Without a trailing slash.
    base: String,
    /// The path part of `base` (e.g. `/api/v5`), for rewriting `Location`.
    base_path: String,
    client: reqwest::Client,
}

/// Request headers passed to the upstream.
const REQUEST_HEADERS: &[&str] = &[
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "cookie",
    "if-modified-since",
    "if-none-match",
    "user-agent",
    "x-csrftoken",
    "x-requested-with",
];

/// Response headers passed back.
const RESPONSE_HEADERS: &[&str] = &[
    "allow",
    "cache-control",
    "content-type",
    "etag",
    "last-modified",
    "set-cookie",
    "vary",
    "www-authenticate",
];

impl Upstream {
    pub fn new(url: &str) -> Result<Upstream, String> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| format!("--upstream {url:?} is not a URL: {e}"))?;
        if parsed.scheme() != "http" && parsed.scheme() != "https" {
            return Err(format!("--upstream {url:?} must be an http or https URL"));
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| format!("cannot create the upstream client: {e}"))?;
        let base = url.trim_end_matches('/').to_string();
        Ok(Upstream {
            base_path: parsed.path().trim_end_matches('/').to_string(),
            base,
            client,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Forwards one request; `prefix` is this server's API prefix
    /// (`/api/v5`), `rest` the path below it (`/jobs/`).
    pub async fn forward(
        &self,
        method: Method,
        prefix: &str,
        rest: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Response {
        let mut url = format!("{}{}", self.base, rest);
        if let Some(q) = query {
            url.push('?');
            url.push_str(q);
        }
        let mut req = self.client.request(method, &url);
        for name in REQUEST_HEADERS {
            for v in headers.get_all(*name) {
                req = req.header(*name, v.clone());
            }
        }
        if !body.is_empty() {
            req = req.body(body);
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let (status, what) = if e.is_timeout() {
                    (StatusCode::GATEWAY_TIMEOUT, "did not answer in time")
                } else {
                    (StatusCode::BAD_GATEWAY, "is unreachable")
                };
                let mut cause = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    cause = format!("{cause}: {s}");
                    source = s.source();
                }
                return ApiError::new(status, format!("Upstream {} {what} ({cause})", self.base))
                    .into_response();
            }
        };
        let status = resp.status();
        let mut out_headers = HeaderMap::new();
        for name in RESPONSE_HEADERS {
            for v in resp.headers().get_all(*name) {
                if let Ok(n) = HeaderName::from_bytes(name.as_bytes()) {
                    out_headers.append(n, v.clone());
                }
            }
        }
        if let Some(loc) = resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
        {
            let rewritten = self.rewrite_location(loc, prefix);
            if let Ok(v) = HeaderValue::from_str(&rewritten) {
                out_headers.insert(header::LOCATION, v);
            }
        }
        let body = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    format!("Upstream {} broke off its answer ({e})", self.base),
                )
                .into_response()
            }
        };
        let mut r = (status, body).into_response();
        r.headers_mut().extend(out_headers);
        r
    }

    /// Maps an upstream `Location` onto this server's prefix.
    fn rewrite_location(&self, loc: &str, prefix: &str) -> String {
        let path = loc
            .strip_prefix(&self.base)
            .map(str::to_string)
            .or_else(|| {
                (!self.base_path.is_empty())
                    .then(|| loc.strip_prefix(&self.base_path).map(str::to_string))
                    .flatten()
            });
        match path {
            Some(rest) => format!("{prefix}{rest}"),
            None => loc.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_is_rewritten_to_our_prefix() {
        let u = Upstream::new("http://scale.example:8000/service/scale/api/v5/").unwrap();
        assert_eq!(u.base(), "http://scale.example:8000/service/scale/api/v5");
        assert_eq!(
            u.rewrite_location("/service/scale/api/v5/jobs/?page=2", "/api/v5"),
            "/api/v5/jobs/?page=2"
        );
        assert_eq!(
            u.rewrite_location(
                "http://scale.example:8000/service/scale/api/v5/jobs/1/",
                "/api/v4"
            ),
            "/api/v4/jobs/1/"
        );
        assert_eq!(u.rewrite_location("/elsewhere/", "/api/v5"), "/elsewhere/");
        assert!(Upstream::new("ftp://x").is_err());
        assert!(Upstream::new("not a url").is_err());
    }
}
