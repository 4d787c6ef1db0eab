//! `--dist DIR`: the built single-page app, and `/config.json`.
//!
//! Paths map to files below DIR only (no `..`, no absolute escapes). A path
//! that names no file and does not look like a file (no extension in its
//! last segment) gets `index.html`, so the app's own routes (`/jobs/42`)
//! survive a reload; a missing `/app.js` stays a 404.

use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::path::{Component, Path, PathBuf};

/// The MIME type for a file name. `application/wasm` matters: browsers
/// refuse to stream-compile WebAssembly served as anything else.
pub fn mime_for(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "otf" => "font/otf",
        "txt" => "text/plain; charset=utf-8",
        "xml" => "application/xml",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

/// The file below `root` a URL path names, if the path is safe.
fn safe_join(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(url_path)
        .decode_utf8()
        .ok()?;
    let mut out = root.to_path_buf();
    for part in Path::new(decoded.trim_start_matches('/')).components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            // `..`, a root or a prefix could leave DIR.
            _ => return None,
        }
    }
    if decoded.contains('\0') || decoded.contains('\\') {
        return None;
    }
    Some(out)
}

async fn file_response(path: &Path, method: &Method) -> Option<Response> {
    let meta = tokio::fs::metadata(path).await.ok()?;
    if !meta.is_file() {
        return None;
    }
    let bytes = tokio::fs::read(path).await.ok()?;
    let mut r = if *method == Method::HEAD {
        let mut r = StatusCode::OK.into_response();
        if let Ok(v) = HeaderValue::from_str(&bytes.len().to_string()) {
            r.headers_mut().insert(header::CONTENT_LENGTH, v);
        }
        r
    } else {
        (StatusCode::OK, bytes).into_response()
    };
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(mime_for(path)),
    );
    // index.html and config.json must be re-read after a rebuild; hashed
    // assets could be cached forever, but a dev server keeps it simple.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(r)
}

fn not_found() -> Response {
    crate::api::ApiError::not_found().into_response()
}

/// `405` for anything but GET and HEAD on static paths.
pub fn method_not_allowed(method: &Method) -> Response {
    let mut r = crate::api::ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("Method \"{method}\" not allowed."),
    )
    .into_response();
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    r
}

/// Serves `url_path` from `root`, falling back to `index.html`.
pub async fn serve(root: &Path, url_path: &str, method: &Method) -> Response {
    if *method != Method::GET && *method != Method::HEAD {
        return method_not_allowed(method);
    }
    let Some(path) = safe_join(root, url_path) else {
        return not_found();
    };
    if let Some(r) = file_response(&path, method).await {
        return r;
    }
    if path.is_dir() {
        if let Some(r) = file_response(&path.join("index.html"), method).await {
            return r;
        }
    }
    let last = url_path.rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        return not_found();
    }
    match file_response(&root.join("index.html"), method).await {
        Some(r) => r,
        None => not_found(),
    }
}

/// `/config.json`: DIR's own if it has one, else generated defaults.
pub async fn config(dist: Option<&Path>, refresh_seconds: u32, method: &Method) -> Response {
    if let Some(dir) = dist {
        if let Some(r) = file_response(&dir.join("config.json"), method).await {
            return r;
        }
    }
    let mut r = crate::api::json_response(
        StatusCode::OK,
        &serde_json::json!({"api_base": "/api/v5", "refresh_seconds": refresh_seconds}),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// `/` without `--dist`: say what this is.
pub fn landing() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        "<!doctype html><title>Scale jobs development server</title>\
         <h1>Scale jobs development server</h1>\
         <p>The job API is at <a href=\"/api/v5/jobs/\">/api/v5/jobs/</a> \
         (also <code>/api/v4/</code>). Start with <code>--dist DIR</code> to serve the app here.</p>",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_root() {
        let root = Path::new("/srv/app");
        assert_eq!(
            safe_join(root, "/a/b.js"),
            Some(PathBuf::from("/srv/app/a/b.js"))
        );
        assert_eq!(safe_join(root, "/"), Some(PathBuf::from("/srv/app")));
        assert_eq!(safe_join(root, "/../etc/passwd"), None);
        assert_eq!(safe_join(root, "/%2e%2e/etc/passwd"), None);
        assert_eq!(safe_join(root, "/a/..%2F..%2Fx"), None);
    }

    #[test]
    fn mime_types() {
        assert_eq!(mime_for(Path::new("x.wasm")), "application/wasm");
        assert_eq!(
            mime_for(Path::new("x.JS")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(mime_for(Path::new("x")), "application/octet-stream");
    }
}
