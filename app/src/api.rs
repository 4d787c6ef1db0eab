//! The HTTP client for Scale's job API.
//!
//! Every request is built from the shared query types and every answer is
//! decoded into the shared models. Failures come back as [`ApiError`], which
//! tells a network failure, an HTTP error with the server's own words, and an
//! unreadable answer apart. Nothing from the network is unwrapped: a panic in
//! WebAssembly kills the page.

use scale_jobs_shared::{
    decode_row_page, job_url, ErrorBody, JobDetails, JobRow, Page, CANCEL_BODY,
};
use serde::de::DeserializeOwned;
use std::fmt;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The request never got an answer: offline, refused, DNS, CORS.
    Network(String),
    /// The server answered with an error status. `detail` is its JSON
    /// `detail`, or a short clean summary of an HTML or text body.
    Http { status: u16, detail: Option<String> },
    /// The server answered 2xx, but not with what the API promises.
    Decode(String),
    /// The request was cancelled because a newer one replaced it.
    Aborted,
}

impl ApiError {
    /// A one-line headline for the error region.
    pub fn title(&self) -> String {
        match self {
            ApiError::Network(_) => "Could not reach the Scale API".to_string(),
            ApiError::Http { status, .. } => match status {
                400 => "The server rejected the request (400)".to_string(),
                403 => "Not allowed (403)".to_string(),
                404 => "Not found (404)".to_string(),
                409 => "Conflict (409)".to_string(),
                500..=599 => format!("The server failed ({status})"),
                _ => format!("The server answered with an error ({status})"),
            },
            ApiError::Decode(_) => "The server's answer could not be read".to_string(),
            ApiError::Aborted => "Request cancelled".to_string(),
        }
    }

    /// The detail: the server's words where it gave any.
    pub fn detail(&self) -> String {
        match self {
            ApiError::Network(m) => format!(
                "{m}. Check your connection and that the API address is right; nothing was changed."
            ),
            ApiError::Http {
                detail: Some(d), ..
            } => d.clone(),
            ApiError::Http {
                status,
                detail: None,
            } => {
                format!("The server gave no explanation (HTTP {status}).")
            }
            ApiError::Decode(m) => m.clone(),
            ApiError::Aborted => String::new(),
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A CSRF refusal: the browser is logged in to Scale but did not send
    /// the session's token.
    pub fn is_csrf(&self) -> bool {
        matches!(self, ApiError::Http { status: 403, detail: Some(d) } if d.contains("CSRF"))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.title(), self.detail())
    }
}

/// Longest error detail shown; longer bodies are cut (hostile servers send
/// megabytes).
const MAX_DETAIL: usize = 300;

/// Turns an HTTP answer into a value or an [`ApiError`]. Pure, so it is
/// tested natively.
pub fn interpret<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, ApiError> {
    interpret_with(status, body, from_json)
}

/// How a body becomes a value: serde's own decoder, or a faster one that
/// gives the same values and errors (`decode_row_page`).
pub type Decoder<T> = fn(&str) -> Result<T, serde_json::Error>;

/// serde's decoder, as a [`Decoder`].
fn from_json<T: DeserializeOwned>(body: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str(body)
}

/// [`interpret`] with the decoder given.
pub fn interpret_with<T>(status: u16, body: &str, decode: Decoder<T>) -> Result<T, ApiError> {
    if (200..300).contains(&status) {
        if body.trim().is_empty() {
            return Err(ApiError::Decode(
                "The server sent an empty answer where a JSON object was expected.".to_string(),
            ));
        }
        return decode(body).map_err(|e| {
            if looks_like_html(body) {
                ApiError::Decode(format!(
                    "Expected JSON but got an HTML page ({}). Is the API address right?",
                    summarize_text(body)
                ))
            } else {
                ApiError::Decode(describe_json_error(&e))
            }
        });
    }
    Err(ApiError::Http {
        status,
        detail: error_detail(body),
    })
}

/// [`interpret`] for a body as it came off the wire. Reading it as text
/// instead would turn a megabyte of JSON into a JS string only to copy it
/// back into wasm memory.
///
/// Decoded as `&str` all the same: `serde_json::from_slice` would build a
/// second copy of every model's decoder (about 100 KB of wasm).
pub fn interpret_bytes<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, ApiError> {
    interpret_bytes_with(status, body, from_json)
}

/// [`interpret_bytes`] with the decoder given.
pub fn interpret_bytes_with<T>(
    status: u16,
    body: &[u8],
    decode: Decoder<T>,
) -> Result<T, ApiError> {
    // `Response.text()` drops a byte-order mark, and reads bytes that are not
    // UTF-8 as U+FFFD; so do we. Valid UTF-8 is borrowed, not copied.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    // Valid UTF-8 (the usual case) is checked by `from_utf8`, which skips
    // ASCII a word at a time; the lossy reader looks at every byte.
    let t = match std::str::from_utf8(body) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(body),
    };
    interpret_with(status, &t, decode)
}

/// What is wrong with a body, without quoting it: serde's own message
/// repeats the offending value, which may be markup or megabytes.
fn describe_json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = format!("line {}, column {}", e.line(), e.column());
    match e.classify() {
        Category::Eof => format!("The answer was cut off (it ends at {at})."),
        Category::Syntax => format!("The answer is not valid JSON (at {at})."),
        Category::Data => {
            format!("The answer is JSON, but not in the shape the Scale API promises (at {at}).")
        }
        Category::Io => "The answer could not be read.".to_string(),
    }
}

/// The server's explanation in an error body: JSON `detail`, or the text of
/// an HTML/plain body, cleaned and shortened.
pub fn error_detail(body: &str) -> Option<String> {
    if let Ok(e) = serde_json::from_str::<ErrorBody>(body) {
        let m = e.message();
        return (!m.trim().is_empty()).then(|| truncate(m.trim()));
    }
    let s = summarize_text(body);
    (!s.is_empty()).then_some(s)
}

fn looks_like_html(body: &str) -> bool {
    let head: String = body
        .trim_start()
        .chars()
        .take(200)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with('<')
        && (head.contains("<html")
            || head.contains("<!doctype")
            || head.contains("<h1")
            || head.contains("<head")
            || head.contains("<body")
            || head.contains("<title")
            || head.contains("<p"))
}

/// Text of an HTML or plain body: the `<title>`/`<h1>` if there is one,
/// else all text; tags, scripts and styles removed; whitespace collapsed.
pub fn summarize_text(body: &str) -> String {
    if !body.trim_start().starts_with('<') {
        return truncate(&collapse(body));
    }
    let text = strip_tags(body);
    truncate(&collapse(&text))
}

fn strip_tags(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    // Prefer the first heading or title: Django's pages say it all there.
    for tag in ["h1", "title"] {
        if let Some(start) = lower.find(&format!("<{tag}")) {
            if let Some(gt) = lower[start..].find('>') {
                let from = start + gt + 1;
                if let Some(end) = lower[from..].find(&format!("</{tag}")) {
                    let inner = strip_all(&html[from..from + end]);
                    if !inner.trim().is_empty() {
                        return inner;
                    }
                }
            }
        }
    }
    strip_all(html)
}

fn strip_all(html: &str) -> String {
    let mut out = String::with_capacity(html.len().min(4096));
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        let after = &rest[lt..];
        let lower: String = after
            .chars()
            .take(8)
            .collect::<String>()
            .to_ascii_lowercase();
        // Skip the contents of script and style elements entirely.
        let skip_to = if lower.starts_with("<script") {
            after.to_ascii_lowercase().find("</script").map(|i| i + 8)
        } else if lower.starts_with("<style") {
            after.to_ascii_lowercase().find("</style").map(|i| i + 7)
        } else {
            None
        };
        let from = skip_to.unwrap_or(0);
        match after[from..].find('>') {
            Some(gt) => {
                out.push(' ');
                rest = &after[from + gt + 1..];
            }
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    decode_entities(&out)
}

fn decode_entities(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate(s: &str) -> String {
    if s.chars().count() <= MAX_DETAIL {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX_DETAIL).collect();
        format!("{cut}…")
    }
}

/// The `csrftoken` cookie's value, if the browser has one (a Django session
/// on the same origin). Sent as `X-CSRFToken` on unsafe requests.
pub fn csrf_token_from(cookies: &str) -> Option<String> {
    cookies.split(';').find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == "csrftoken" && !v.is_empty()).then(|| v.to_string())
    })
}

mod net {
    use super::*;

    /// Milliseconds since the epoch, by the browser's clock.
    pub fn now_ms() -> f64 {
        js_sys::Date::now()
    }

    /// Whether the page is hidden (a background tab): refreshes wait then.
    pub fn tab_hidden() -> bool {
        web_sys::window()
            .and_then(|w| w.document())
            .is_some_and(|d| d.hidden())
    }

    /// A `performance.mark()`: the benchmark (`cargo xtask bench`) reads
    /// these to time exactly what the app does.
    pub fn mark(name: &str) {
        if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
            let _ = p.mark(name);
        }
    }
    use gloo_net::http::{Request, RequestBuilder};
    use wasm_bindgen::JsCast;
    use web_sys::AbortSignal;

    fn csrf_token() -> Option<String> {
        let doc = web_sys::window()?.document()?;
        let cookies = doc
            .dyn_into::<web_sys::HtmlDocument>()
            .ok()?
            .cookie()
            .ok()?;
        csrf_token_from(&cookies)
    }

    /// Starts `req` now, not when the returned future is first polled: a
    /// page calls this while it builds its view, so the request and the
    /// server's work overlap the rest of the mount.
    fn send<T: 'static>(
        req: RequestBuilder,
        signal: Option<&AbortSignal>,
        decode: Decoder<T>,
    ) -> impl std::future::Future<Output = Result<T, ApiError>> + 'static {
        let signal = signal.cloned();
        let started = req
            .header("Accept", "application/json")
            .abort_signal(signal.as_ref())
            .build()
            .map_err(|e| ApiError::Network(e.to_string()))
            .and_then(|r| {
                let r = web_sys::Request::from(r);
                web_sys::window()
                    .map(|w| w.fetch_with_request(&r))
                    .ok_or_else(|| ApiError::Network("There is no window to fetch from.".into()))
            });
        async move {
            let aborted = || signal.as_ref().is_some_and(|s| s.aborted());
            let resp = match wasm_bindgen_futures::JsFuture::from(started?).await {
                Ok(r) => match r.dyn_into::<web_sys::Response>() {
                    Ok(r) => gloo_net::http::Response::from(r),
                    Err(_) => {
                        return Err(ApiError::Network(
                            "The browser's fetch gave no response.".into(),
                        ))
                    }
                },
                Err(e) => {
                    if aborted() {
                        return Err(ApiError::Aborted);
                    }
                    let why = e
                        .dyn_ref::<js_sys::Error>()
                        .map(|e| String::from(e.message()))
                        .unwrap_or_else(|| "no reason given".into());
                    return Err(ApiError::Network(request_failed(why)));
                }
            };
            let status = resp.status();
            let body = match resp.binary().await {
                Ok(b) => b,
                Err(e) => {
                    if aborted() {
                        return Err(ApiError::Aborted);
                    }
                    return Err(ApiError::Network(format!(
                        "The connection broke while reading the answer ({})",
                        network_message(&e)
                    )));
                }
            };
            // Benchmarks separate network time from decoding and rendering.
            mark("scale:response");
            let out = interpret_bytes_with(status, &body, decode);
            mark("scale:decoded");
            out
        }
    }

    fn network_message(e: &gloo_net::Error) -> String {
        match e {
            gloo_net::Error::JsError(j) => request_failed(&j.message),
            other => request_failed(other),
        }
    }

    /// Browsers say little on purpose ("Failed to fetch"): what they say
    /// is all there is to show.
    fn request_failed(why: impl std::fmt::Display) -> String {
        format!("The request failed: {why}")
    }

    /// GET a JSON document. The request starts at once (see [`send`]).
    pub fn get_json<T: DeserializeOwned + 'static>(
        url: &str,
        signal: Option<&AbortSignal>,
    ) -> impl std::future::Future<Output = Result<T, ApiError>> + 'static {
        send(Request::get(url), signal, from_json)
    }

    /// GET a list page of rows, decoded by the fast path of
    /// [`decode_row_page`] (same values and errors as serde's).
    pub fn get_rows(
        url: &str,
        signal: Option<&AbortSignal>,
    ) -> impl std::future::Future<Output = Result<Page<JobRow>, ApiError>> + 'static {
        send(Request::get(url), signal, decode_row_page)
    }

    /// PATCH `{"status":"CANCELED"}` to a job.
    pub async fn cancel_job(api_base: &str, id: i64) -> Result<JobDetails, ApiError> {
        let mut req =
            Request::patch(&job_url(api_base, id)).header("Content-Type", "application/json");
        if let Some(token) = csrf_token() {
            req = req.header("X-CSRFToken", &token);
        }
        let req = req
            .body(CANCEL_BODY)
            .map_err(|e| ApiError::Network(e.to_string()))?;
        let resp = req
            .send()
            .await
            .map_err(|e| ApiError::Network(network_message(&e)))?;
        let status = resp.status();
        let body = resp
            .binary()
            .await
            .map_err(|e| ApiError::Network(network_message(&e)))?;
        interpret_bytes(status, &body)
    }

    /// GET one job's details.
    pub async fn get_job(
        api_base: &str,
        id: i64,
        signal: Option<&AbortSignal>,
    ) -> Result<JobDetails, ApiError> {
        get_json(&job_url(api_base, id), signal).await
    }
}

pub use net::*;

#[cfg(test)]
mod tests {
    use super::*;
    use scale_jobs_shared::Job;

    #[test]
    fn json_detail_is_the_message() {
        let e = interpret::<Page<Job>>(404, r#"{"detail":"Invalid page."}"#).unwrap_err();
        assert_eq!(
            e,
            ApiError::Http {
                status: 404,
                detail: Some("Invalid page.".into())
            }
        );
        assert_eq!(e.detail(), "Invalid page.");
    }

    #[test]
    fn html_500_is_summarized_not_dumped() {
        let e = interpret::<Page<Job>>(500, "<h1>Server Error (500)</h1>").unwrap_err();
        assert_eq!(e.detail(), "Server Error (500)");
        let page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{}</style></head><body><script>alert(1)</script><center>nginx</center></body></html>";
        let e = interpret::<Page<Job>>(502, page).unwrap_err();
        assert_eq!(e.detail(), "502 Bad Gateway");
        assert!(summarize_text("<p>a<script>evil()</script>b</p>").contains('a'));
        assert!(!summarize_text("<p>a<script>evil()</script>b</p>").contains("evil"));
    }

    #[test]
    fn bad_success_bodies_are_decode_errors() {
        assert!(matches!(
            interpret::<Page<Job>>(200, ""),
            Err(ApiError::Decode(_))
        ));
        assert!(matches!(
            interpret::<Page<Job>>(200, r#"{"count":"x","results":[]}"#),
            Err(ApiError::Decode(_))
        ));
        let e =
            interpret::<Page<Job>>(200, "<html><body><h1>Login</h1></body></html>").unwrap_err();
        assert!(e.detail().contains("HTML page"), "{}", e.detail());
        let ok: Page<Job> = interpret(
            200,
            r#"{"count":1,"next":null,"previous":null,"results":[{"id":3}]}"#,
        )
        .unwrap();
        assert_eq!(ok.results[0].id, 3);
    }

    #[test]
    fn bytes_read_as_the_browser_reads_text() {
        let page =
            r#"{"count":1,"next":null,"previous":null,"results":[{"id":3,"status":"RUNNING"}]}"#;
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), page.as_bytes()].concat();
        for body in [page.as_bytes(), &with_bom] {
            let p: Page<Job> = interpret_bytes(200, body).unwrap();
            assert_eq!(p, interpret::<Page<Job>>(200, page).unwrap());
        }
        // Not UTF-8 inside a string: the character is replaced, not fatal.
        let latin1 = b"{\"count\":0,\"next\":null,\"previous\":\"caf\xE9\",\"results\":[]}";
        let p: Page<Job> = interpret_bytes(200, latin1).unwrap();
        assert_eq!(p.previous.as_deref(), Some("caf\u{FFFD}"));
        // Failures explain themselves as from text.
        for (status, body) in [
            (200, "<html><body><h1>Login</h1></body></html>"),
            (200, r#"{"count":"x","results":[]}"#),
            (200, "{\"count\":1,"),
            (200, "  "),
            (500, "<h1>Server Error (500)</h1>"),
            (404, r#"{"detail":"Invalid page."}"#),
        ] {
            assert_eq!(
                interpret_bytes::<Page<Job>>(status, body.as_bytes()).unwrap_err(),
                interpret::<Page<Job>>(status, body).unwrap_err(),
                "{status} {body}"
            );
        }
    }

    #[test]
    fn list_pages_read_alike_through_either_decoder() {
        let rows = |status, body: &[u8]| interpret_bytes_with(status, body, decode_row_page);
        for (status, body) in [
            (200, &br#"{"count":1,"next":null,"previous":null,"results":[{"id":3,"status":"RUNNING"}]}"#[..]),
            (200, b"\xEF\xBB\xBF{\"count\":0,\"results\":null,\"previous\":\"caf\xE9\"}"),
            (200, b"<html><body><h1>Login</h1></body></html>"),
            (200, br#"{"count":1,"results":[{"id":1,"id":2}]}"#),
            (200, br#"{"count":1,"results":[{"id":"x"}]}"#),
            (200, b"{\"count\":1,"),
            (200, b"  "),
            (500, b"<h1>Server Error (500)</h1>"),
        ] {
            assert_eq!(
                rows(status, body),
                interpret_bytes::<Page<JobRow>>(status, body),
                "{status} {}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn long_bodies_are_cut() {
        let long = "x".repeat(100_000);
        let e = interpret::<Page<Job>>(500, &long).unwrap_err();
        assert!(e.detail().chars().count() <= MAX_DETAIL + 1);
    }

    #[test]
    fn csrf() {
        assert_eq!(
            csrf_token_from("a=1; csrftoken=abc; b=2").as_deref(),
            Some("abc")
        );
        assert_eq!(csrf_token_from("xcsrftoken=abc"), None);
        assert_eq!(csrf_token_from(""), None);
        let e = ApiError::Http {
            status: 403,
            detail: Some("CSRF Failed: CSRF token missing or incorrect.".into()),
        };
        assert!(e.is_csrf());
    }
}
