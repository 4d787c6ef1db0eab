//! `--dist DIR`: the built single-page app, and `/config.json`.
//!
//! Paths map to files below DIR only (no `..`, no absolute escapes). A path
//! that names no file and does not look like a file (no extension in its
//! last segment) gets the nearest `index.html` above it (`embed/index.html`
//! for `/embed/jobs/42`, the root's for `/jobs/42`), so the app's own routes
//! survive a reload; a missing `/app.js` stays a 404.
//!
//! Files are served from memory with an `ETag` (and `304`s), compressed
//! once per version (brotli or gzip as the request accepts; a valid
//! precompressed `NAME.br` / `NAME.gz` beside the file is used as is), with
//! `Cache-Control` by name: content-hashed names are immutable, the rest
//! revalidate. HTML carries the app's CSP with the hashes of its inline
//! scripts (see [`crate::security`]).

use crate::compress::{self, Encoding};
use crate::security;
use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

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

/// Whether a file name carries a content hash, as Trunk names its outputs
/// (`scale-jobs-app-1f2dd3ea70b2e3a9.js`, `..._bg.wasm`,
/// `main-85fd406e0230c606.css`): a dash and 16 to 64 lowercase hex digits
/// at the end of the stem, before an optional `_bg`. Such a file never
/// changes under its name, so it may be cached for good.
pub fn has_content_hash(file_name: &str) -> bool {
    let stem = file_name.split('.').next().unwrap_or("");
    // wasm-bindgen's `_bg`, and `_split` for the second part of the
    // console's wasm (xtask/src/split.rs), follow the hash.
    let stem = stem
        .strip_suffix("_bg")
        .or_else(|| stem.strip_suffix("_split"))
        .unwrap_or(stem);
    match stem.rsplit_once('-') {
        Some((head, hash)) => {
            !head.is_empty()
                && (16..=64).contains(&hash.len())
                && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        }
        None => false,
    }
}

/// `Cache-Control` for a file: hashed names forever, everything else
/// (`index.html`, `embed.js`, `config.json`, `stylers.css`) revalidated on
/// every use, cheaply, through its `ETag`.
pub fn cache_control(file_name: &str) -> &'static str {
    if has_content_hash(file_name) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

/// One version of one file, with its compressed forms made on first use.
struct Entry {
    modified: Option<SystemTime>,
    len: u64,
    raw: Bytes,
    /// A strong validator of the bytes: a hash of the content.
    tag: String,
    mime: &'static str,
    /// For HTML: the app's CSP, with the hashes of its inline scripts.
    csp: Option<String>,
    gzip: OnceLock<Bytes>,
    brotli: OnceLock<Bytes>,
}

impl Entry {
    fn variant(&self, encoding: Encoding) -> Option<&OnceLock<Bytes>> {
        match encoding {
            Encoding::Identity => None,
            Encoding::Gzip => Some(&self.gzip),
            Encoding::Brotli => Some(&self.brotli),
        }
    }
}

/// The precompressed sibling of `path` (`NAME.br`, `NAME.gz`, as `cargo
/// xtask dist` writes them at settings too slow to use on the fly), if
/// there is one and it decodes to exactly `raw`: one left over from an
/// earlier build is never sent for a newer file.
async fn precompressed(path: &Path, raw: &Bytes, encoding: Encoding) -> Option<Bytes> {
    let suffix = match encoding {
        Encoding::Identity => return None,
        Encoding::Gzip => ".gz",
        Encoding::Brotli => ".br",
    };
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    let packed = Bytes::from(tokio::fs::read(PathBuf::from(name)).await.ok()?);
    let raw = raw.clone();
    tokio::task::spawn_blocking(move || {
        let same = compress::decompress(&packed, encoding, raw.len()).is_some_and(|d| d == raw);
        same.then_some(packed)
    })
    .await
    .ok()
    .flatten()
}

/// Files smaller than this are never compressed.
const COMPRESS_FROM: u64 = compress::MIN_SIZE as u64;

/// The built app in `--dist DIR`, read through a cache of contents and
/// compressed forms. A file is re-read when its size or modification time
/// changes, so a rebuild is picked up at once.
pub struct StaticFiles {
    root: PathBuf,
    frame_ancestors: String,
    cache: Mutex<HashMap<PathBuf, Arc<Entry>>>,
}

/// What a request wants of a file.
pub struct Want<'a> {
    pub method: &'a Method,
    pub encoding: Encoding,
    pub if_none_match: Option<&'a str>,
}

impl Want<'_> {
    pub fn from_parts<'a>(method: &'a Method, headers: &'a HeaderMap) -> Want<'a> {
        Want {
            method,
            encoding: compress::negotiate_headers(headers),
            if_none_match: headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok()),
        }
    }
}

/// Whether an `If-None-Match` value names `etag` (weak comparison, as for
/// GET and HEAD).
fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let etag = bare(etag);
    if_none_match
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == etag)
}

impl StaticFiles {
    pub fn new(root: PathBuf, frame_ancestors: String) -> StaticFiles {
        StaticFiles {
            root,
            frame_ancestors,
            cache: Mutex::new(HashMap::new()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The current version of the file at `path`, if it is a file.
    async fn entry(&self, path: &Path) -> Option<Arc<Entry>> {
        let meta = tokio::fs::metadata(path).await.ok()?;
        if !meta.is_file() {
            return None;
        }
        let modified = meta.modified().ok();
        if let Some(e) = self.lock().get(path) {
            if e.len == meta.len() && e.modified == modified {
                return Some(e.clone());
            }
        }
        let raw = Bytes::from(tokio::fs::read(path).await.ok()?);
        let mime = mime_for(path);
        let mut hasher = std::hash::DefaultHasher::new();
        raw.hash(&mut hasher);
        let csp = mime.starts_with("text/html").then(|| {
            let hashes = security::inline_script_hashes(&String::from_utf8_lossy(&raw));
            security::html_csp(&self.frame_ancestors, &hashes)
        });
        let (gzip, brotli) = (OnceLock::new(), OnceLock::new());
        if compress::is_compressible(mime) {
            for (encoding, cell) in [(Encoding::Brotli, &brotli), (Encoding::Gzip, &gzip)] {
                if let Some(b) = precompressed(path, &raw, encoding).await {
                    let _ = cell.set(b);
                }
            }
        }
        let entry = Arc::new(Entry {
            modified,
            len: raw.len() as u64,
            tag: format!("{:016x}{:x}", hasher.finish(), raw.len()),
            raw,
            mime,
            csp,
            gzip,
            brotli,
        });
        self.lock().insert(path.to_path_buf(), entry.clone());
        Some(entry)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<Entry>>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The response for the file at `path`, or `None` if there is none.
    async fn file_response(&self, path: &Path, want: &Want<'_>) -> Option<Response> {
        let entry = self.entry(path).await?;
        let compressible = compress::is_compressible(entry.mime);
        let encoding = if compressible && entry.len >= COMPRESS_FROM {
            want.encoding
        } else {
            Encoding::Identity
        };
        let etag = match encoding.token() {
            Some(t) => format!("\"{}-{t}\"", entry.tag),
            None => format!("\"{}\"", entry.tag),
        };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(entry.mime));
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control(name)),
        );
        if let Ok(v) = HeaderValue::from_str(&etag) {
            headers.insert(header::ETAG, v);
        }
        if compressible {
            compress::add_vary(&mut headers, "Accept-Encoding");
        }
        if let Some(csp) = entry
            .csp
            .as_deref()
            .and_then(|c| HeaderValue::from_str(c).ok())
        {
            headers.insert(header::CONTENT_SECURITY_POLICY, csp);
        }
        if want
            .if_none_match
            .is_some_and(|inm| etag_matches(inm, &etag))
        {
            let mut r = StatusCode::NOT_MODIFIED.into_response();
            r.headers_mut().extend(headers);
            return Some(r);
        }
        let body = match entry.variant(encoding) {
            None => entry.raw.clone(),
            Some(cell) => match cell.get() {
                Some(b) => b.clone(),
                None => {
                    let e = entry.clone();
                    tokio::task::spawn_blocking(move || {
                        e.variant(encoding)
                            .map(|cell| {
                                cell.get_or_init(|| {
                                    Bytes::from(compress::compress(
                                        &e.raw,
                                        encoding,
                                        compress::Level::Best,
                                    ))
                                })
                                .clone()
                            })
                            .unwrap_or_else(|| e.raw.clone())
                    })
                    .await
                    .ok()?
                }
            },
        };
        if let Some(token) = encoding.token() {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
        }
        let mut r = if *want.method == Method::HEAD {
            let mut r = StatusCode::OK.into_response();
            if let Ok(v) = HeaderValue::from_str(&body.len().to_string()) {
                r.headers_mut().insert(header::CONTENT_LENGTH, v);
            }
            r
        } else {
            (StatusCode::OK, body).into_response()
        };
        r.headers_mut().extend(headers);
        Some(r)
    }

    /// Serves `url_path`, falling back to `index.html` for app routes.
    pub async fn serve(&self, url_path: &str, want: &Want<'_>) -> Response {
        if *want.method != Method::GET && *want.method != Method::HEAD {
            return method_not_allowed(want.method);
        }
        let Some(path) = safe_join(&self.root, url_path) else {
            return not_found();
        };
        if let Some(r) = self.file_response(&path, want).await {
            return r;
        }
        if path.is_dir() {
            if let Some(r) = self.file_response(&path.join("index.html"), want).await {
                return r;
            }
        }
        let last = url_path.rsplit('/').next().unwrap_or("");
        if last.contains('.') {
            return not_found();
        }
        // An app route gets the `index.html` nearest above it: the iframe
        // routes (`/embed/jobs/42`) get `embed/index.html`, the page of the
        // widgets' bundle; every other route the console's.
        for dir in path.ancestors().skip(1) {
            if !dir.starts_with(&self.root) {
                break;
            }
            if let Some(r) = self.file_response(&dir.join("index.html"), want).await {
                return r;
            }
        }
        not_found()
    }

    /// DIR's own `config.json`, if it has one.
    pub async fn config(&self, want: &Want<'_>) -> Option<Response> {
        self.file_response(&self.root.join("config.json"), want)
            .await
    }
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

/// `/config.json`: DIR's own if it has one, else generated defaults.
pub async fn config(dist: Option<&StaticFiles>, refresh_seconds: u32, want: &Want<'_>) -> Response {
    if let Some(files) = dist {
        if let Some(r) = files.config(want).await {
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
    fn hashed_names() {
        for name in [
            "scale-jobs-app-1f2dd3ea70b2e3a9.js",
            "scale-jobs-app-1f2dd3ea70b2e3a9_bg.wasm",
            "scale-jobs-app-1f2dd3ea70b2e3a9_split.wasm",
            "main-85fd406e0230c606.css",
        ] {
            assert!(has_content_hash(name), "{name}");
            assert_eq!(cache_control(name), "public, max-age=31536000, immutable");
        }
        for name in [
            "index.html",
            "embed.js",
            "config.json",
            "stylers.css",
            "app-1234.js",
            "scale-jobs-app_bg.wasm",
            "scale-jobs-app_split.wasm",
            "-1f2dd3ea70b2e3a9.js",
            "x-1F2DD3EA70B2E3A9.js",
        ] {
            assert!(!has_content_hash(name), "{name}");
            assert_eq!(cache_control(name), "no-cache");
        }
    }

    #[test]
    fn etags_compare_weakly() {
        assert!(etag_matches("\"abc\"", "\"abc\""));
        assert!(etag_matches("W/\"abc\"", "\"abc\""));
        assert!(etag_matches("\"x\", \"abc\"", "\"abc\""));
        assert!(etag_matches("*", "\"abc\""));
        assert!(!etag_matches("\"abc-br\"", "\"abc\""));
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
