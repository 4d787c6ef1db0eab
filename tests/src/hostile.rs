//! A hostile Scale API for the end-to-end tests: a tiny HTTP/1.1 server on
//! `127.0.0.1:0` (plain `std::net`, one thread per connection) that serves
//! the built app from `dist/` like the development server does, and
//! answers `/api/...` with whatever the test says: broken JSON, HTML error
//! pages, redirects, a dropped connection, a body that never ends, data
//! full of script payloads.
//!
//! The answer is a [`Handler`] (`Fn(&Request) -> Reply`), swappable at
//! runtime with [`HostileServer::set_api`], so one browser session can walk
//! through many scenarios. Every request is logged
//! ([`HostileServer::count`]), so a test can tell that "Retry" really asked
//! again. Nothing here is part of the product.
//!
//! ```no_run
//! use scale_jobs_e2e::hostile::{data, HostileServer, Reply};
//! let server = HostileServer::start(data::normal_api).unwrap();
//! server.set_api(|_req| Reply::html(500, "<h1>Server Error (500)</h1>"));
//! ```

use crate::{dist_dir, Browser, WAIT};
use anyhow::{anyhow, bail, ensure, Context, Result};
use fantoccini::Locator;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The `config.json` the hostile server hands the app: its own API, and no
/// auto-refresh (so request counts only move when the test acts).
pub const CONFIG_JSON: &str = r#"{"api_base":"/api/v5","refresh_seconds":0}"#;

/// One request as the hostile server read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path without the query (`/api/v5/jobs/`).
    pub path: String,
    /// The query without `?` (may be empty).
    pub query: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn is_api(&self) -> bool {
        self.path.starts_with("/api/")
    }

    /// `GET /api/v5/jobs/{id}/`: the id.
    pub fn job_id(&self) -> Option<i64> {
        let rest = self.path.strip_prefix("/api/v5/jobs/")?;
        rest.strip_suffix('/')?.parse().ok()
    }

    /// A list endpoint: `jobs`, `updates` or `executions`.
    pub fn list(&self) -> Option<&'static str> {
        match self.path.as_str() {
            "/api/v5/jobs/" => Some("jobs"),
            "/api/v5/jobs/updates/" => Some("updates"),
            "/api/v5/jobs/executions/" => Some("executions"),
            _ => None,
        }
    }

    /// The values of one query parameter (no percent-decoding beyond `+`).
    pub fn param(&self, key: &str) -> Vec<String> {
        self.query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.replace('+', " "))
            .collect()
    }
}

/// What the hostile server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A whole response (`Content-Length` is added).
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// The head (announcing `declared_len` bytes) and `body`, then silence:
    /// the connection stays open until the browser gives up or the server
    /// is dropped.
    NeverEnds {
        status: u16,
        headers: Vec<(String, String)>,
        declared_len: usize,
        body: Vec<u8>,
    },
    /// Nothing for `wait`, then `then`.
    Stall { wait: Duration, then: Box<Reply> },
    /// The connection is closed without a byte of answer.
    Drop,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.into(),
        }
    }

    /// A JSON document.
    pub fn json(status: u16, value: &Value) -> Reply {
        Reply::new(status, "application/json", value.to_string())
    }

    /// Any text declared as JSON (broken JSON included).
    pub fn json_text(status: u16, text: &str) -> Reply {
        Reply::new(status, "application/json", text)
    }

    pub fn html(status: u16, body: &str) -> Reply {
        Reply::new(status, "text/html; charset=utf-8", body)
    }

    /// A redirect to `location` with an empty body.
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::Full {
            status,
            headers: vec![
                ("Location".into(), location.into()),
                ("Content-Type".into(), "text/html; charset=utf-8".into()),
            ],
            body: Vec::new(),
        }
    }

    /// Stalls for `wait`, then answers `self`.
    pub fn after(self, wait: Duration) -> Reply {
        Reply::Stall {
            wait,
            then: Box::new(self),
        }
    }
}

/// Answers API requests.
pub type Handler = Arc<dyn Fn(&Request) -> Reply + Send + Sync>;

struct Shared {
    handler: Mutex<Handler>,
    log: Mutex<Vec<Request>>,
    pages: Mutex<HashMap<String, String>>,
    config: Mutex<String>,
    stop: AtomicBool,
    dist: PathBuf,
}

/// The running hostile server; stopped (every connection closed, every
/// thread ended) when dropped.
pub struct HostileServer {
    base_url: String,
    shared: Arc<Shared>,
}

impl HostileServer {
    /// Serves `dist_dir()` and answers `/api/...` with `api`.
    pub fn start(api: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Result<Self> {
        let dist = dist_dir();
        if !dist.join("index.html").is_file() {
            bail!(
                "no built app at {} (build it: cargo xtask dist, or set SCALE_DIST_DIR)",
                dist.display()
            );
        }
        let listener = TcpListener::bind("127.0.0.1:0").context("binding the hostile server")?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            handler: Mutex::new(Arc::new(api)),
            log: Mutex::new(Vec::new()),
            pages: Mutex::new(HashMap::new()),
            config: Mutex::new(CONFIG_JSON.to_string()),
            stop: AtomicBool::new(false),
            dist,
        });
        let accept_shared = Arc::clone(&shared);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&accept_shared);
                std::thread::spawn(move || {
                    let _ = serve_connection(stream, &shared);
                });
            }
        });
        Ok(HostileServer {
            base_url: format!("http://127.0.0.1:{port}"),
            shared,
        })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A URL on this server: `url("/jobs")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Replaces the API's behaviour from the next request on.
    pub fn set_api(&self, api: impl Fn(&Request) -> Reply + Send + Sync + 'static) {
        *lock(&self.shared.handler) = Arc::new(api);
    }

    /// Serves `html` at `path` (exactly), e.g. a portal page for widgets.
    pub fn add_page(&self, path: &str, html: &str) {
        lock(&self.shared.pages).insert(path.to_string(), html.to_string());
    }

    /// Replaces the `config.json` body.
    pub fn set_config(&self, json: &str) {
        *lock(&self.shared.config) = json.to_string();
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<Request> {
        lock(&self.shared.log).clone()
    }

    /// How many requests so far satisfy `pred`.
    pub fn count(&self, pred: impl Fn(&Request) -> bool) -> usize {
        lock(&self.shared.log).iter().filter(|r| pred(r)).count()
    }

    /// How many API requests with this method so far.
    pub fn api_count(&self, method: &str) -> usize {
        self.count(|r| r.is_api() && r.method == method)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.base_url.trim_start_matches("http://"));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read_request(stream: &mut TcpStream) -> Result<Request> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        ensure!(buf.len() < 256 * 1024, "request head too large");
        let n = stream.read(&mut chunk)?;
        ensure!(n > 0, "connection closed before a request");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target.clone(), String::new()),
    };
    Ok(Request {
        method,
        path,
        query,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

fn head(status: u16, headers: &[(String, String)], len: usize) -> Vec<u8> {
    let mut h = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str(&format!(
        "Content-Length: {len}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    ));
    h.into_bytes()
}

/// Sleeps up to `d`, returning early (false) once the server stops.
fn patient_sleep(shared: &Shared, d: Duration) -> bool {
    let until = Instant::now() + d;
    while Instant::now() < until {
        if shared.stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

fn send(stream: &mut TcpStream, shared: &Shared, reply: Reply) -> Result<()> {
    match reply {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            stream.write_all(&head(status, &headers, body.len()))?;
            stream.write_all(&body)?;
            stream.flush()?;
            let _ = stream.shutdown(Shutdown::Write);
            // Let the browser read everything before the socket goes.
            std::thread::sleep(Duration::from_millis(20));
        }
        Reply::NeverEnds {
            status,
            headers,
            declared_len,
            body,
        } => {
            stream.write_all(&head(status, &headers, declared_len))?;
            stream.write_all(&body)?;
            stream.flush()?;
            patient_sleep(shared, Duration::from_secs(600));
        }
        Reply::Stall { wait, then } => {
            if patient_sleep(shared, wait) {
                send(stream, shared, *then)?;
            }
        }
        Reply::Drop => {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
    Ok(())
}

fn serve_connection(mut stream: TcpStream, shared: &Shared) -> Result<()> {
    if shared.stop.load(Ordering::SeqCst) {
        return Ok(());
    }
    let req = read_request(&mut stream)?;
    lock(&shared.log).push(req.clone());
    let reply = if req.is_api() {
        let handler = Arc::clone(&lock(&shared.handler));
        handler(&req)
    } else if req.path == "/config.json" {
        Reply::json_text(200, &lock(&shared.config))
    } else if let Some(page) = lock(&shared.pages).get(&req.path).cloned() {
        Reply::html(200, &page)
    } else {
        static_file(&shared.dist, &req.path)
    };
    send(&mut stream, shared, reply)
}

/// A file from the bundle with its MIME type; the nearest `index.html` for
/// paths that name no file (the app's routes).
fn static_file(dist: &Path, url_path: &str) -> Reply {
    let rel = url_path.trim_start_matches('/');
    let safe = Path::new(rel)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    let file = dist.join(rel);
    if safe && !rel.is_empty() && file.is_file() {
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        let mime = match ext {
            "html" => "text/html; charset=utf-8",
            "js" => "text/javascript; charset=utf-8",
            "wasm" => "application/wasm",
            "css" => "text/css; charset=utf-8",
            "json" => "application/json",
            _ => "application/octet-stream",
        };
        return match std::fs::read(&file) {
            Ok(bytes) => Reply::new(200, mime, bytes),
            Err(e) => Reply::new(500, "text/plain", e.to_string()),
        };
    }
    let last = rel.rsplit('/').next().unwrap_or("");
    if last.contains('.') {
        return Reply::new(404, "text/plain", "no such file");
    }
    // The nearest index.html above the route, as the development server
    // answers: `embed/index.html` (the iframe routes' page) for `/embed/...`.
    let page = if safe {
        file.ancestors()
            // A directory's own index.html first (`/embed`), as the server.
            .skip(usize::from(!file.is_dir()))
            .take_while(|d| d.starts_with(dist))
            .map(|d| d.join("index.html"))
            .find(|f| f.is_file())
    } else {
        None
    };
    match std::fs::read(page.unwrap_or_else(|| dist.join("index.html"))) {
        Ok(bytes) => Reply::new(200, "text/html; charset=utf-8", bytes),
        Err(e) => Reply::new(500, "text/plain", e.to_string()),
    }
}

// ---------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------

/// Plausible Scale objects to answer with, or to start from and break.
pub mod data {
    use super::{Reply, Request};
    use serde_json::{json, Value};

    /// An execution as `latest_job_exe` in `/jobs/executions/` has it.
    pub fn execution(id: i64, status: &str) -> Value {
        json!({
            "id": id * 10, "status": status, "command_arguments": "run.sh --fast",
            "timeout": 1800,
            "pre_started": "2026-01-02T03:00:05Z", "pre_completed": "2026-01-02T03:00:15Z", "pre_exit_code": 0,
            "job_started": "2026-01-02T03:00:20Z", "job_completed": "2026-01-02T03:10:20Z", "job_exit_code": 0,
            "post_started": "2026-01-02T03:10:25Z", "post_completed": "2026-01-02T03:10:35Z", "post_exit_code": 0,
            "created": "2026-01-02T03:00:00Z", "queued": "2026-01-02T03:00:00Z",
            "started": "2026-01-02T03:00:05Z", "ended": "2026-01-02T03:10:40Z",
            "last_modified": "2026-01-02T03:10:40Z",
            "job": {"id": id},
            "node": {"id": 3, "hostname": "node-3.example"},
            "error": null
        })
    }

    /// A file object (input or product).
    pub fn file(id: i64, name: &str) -> Value {
        json!({
            "id": id,
            "workspace": {"id": 1, "name": "raw-landsat", "title": "Raw Landsat"},
            "file_name": name, "media_type": "image/tiff", "file_size": 184549376,
            "data_type": ["landsat"], "is_deleted": false, "uuid": "757d31311e0741edf0f4a4d0205ad1eb",
            "url": format!("https://data.example.com/raw/{name}"),
            "created": "2026-01-02T02:00:00Z", "deleted": null,
            "data_started": "2026-01-01T00:00:00Z", "data_ended": "2026-01-01T00:01:00Z",
            "geometry": null, "center_point": null, "meta_data": {"cloud_cover": 12.5},
            "countries": ["DEU"], "last_modified": "2026-01-02T02:00:00Z"
        })
    }

    /// A job as the list endpoints return it (with both list-specific
    /// fields, `input_files` and `latest_job_exe`; the app reads each where
    /// it applies).
    pub fn job(id: i64, status: &str) -> Value {
        let failed = status == "FAILED";
        json!({
            "id": id,
            "job_type": {
                "id": 12, "name": "landsat8-parse", "version": "1.3.0", "title": "Landsat 8 Parser",
                "description": "Parses Landsat 8 scenes", "category": "landsat",
                "is_system": false, "is_long_running": false, "is_active": true,
                "is_operational": true, "is_paused": false, "icon_code": "f0ac"
            },
            "job_type_rev": {"id": 18},
            "event": {"id": 6},
            "error": if failed { json!({"id": 4, "name": "bad-data", "title": "Bad input data", "description": "The scene could not be read", "category": "DATA", "is_builtin": false}) } else { Value::Null },
            "status": status,
            "priority": 100, "num_exes": 1, "timeout": 1800, "max_tries": 3,
            "cpus_required": 2.0, "mem_required": 2048.0, "disk_in_required": 353.0, "disk_out_required": 4096.0,
            "is_superseded": false, "root_superseded_job": null, "superseded_job": null, "superseded_by_job": null,
            "delete_superseded": true,
            "created": "2026-01-02T02:59:00Z", "queued": "2026-01-02T03:00:00Z",
            "started": "2026-01-02T03:00:05Z",
            "ended": if status == "RUNNING" || status == "QUEUED" { Value::Null } else { json!("2026-01-02T03:10:40Z") },
            "last_status_change": "2026-01-02T03:10:40Z", "superseded": null,
            "last_modified": format!("2026-01-02T03:10:{:02}Z", id.rem_euclid(60)),
            "node": {"id": 3},
            "latest_job_exe": execution(id, status),
            "input_files": [file(id * 100 + 1, &format!("scene-{id}.tif"))]
        })
    }

    /// A list page.
    pub fn page(results: Vec<Value>, count: u64) -> Value {
        json!({"count": count, "next": null, "previous": null, "results": results})
    }

    /// Three ordinary jobs.
    pub fn normal_page() -> Value {
        page(
            vec![job(1, "RUNNING"), job(2, "FAILED"), job(3, "COMPLETED")],
            3,
        )
    }

    /// A job's details with every section filled.
    pub fn details(id: i64, status: &str) -> Value {
        let mut j = job(id, status);
        let o = j.as_object_mut().expect("job() is an object");
        o.remove("latest_job_exe");
        o.remove("input_files");
        o.insert(
            "job_type_rev".into(),
            json!({
                "id": 18, "job_type": {"id": 12}, "revision_num": 2,
                "interface": {
                    "version": "1.4", "command": "parse_landsat.sh", "command_arguments": "${scene}",
                    "input_data": [
                        {"name": "scene", "type": "file", "required": true, "media_types": ["image/tiff"]},
                        {"name": "band_files", "type": "files", "required": false},
                        {"name": "cloud_threshold", "type": "property", "required": false}
                    ],
                    "output_data": [
                        {"name": "parsed_scene", "type": "file", "required": true, "media_type": "image/tiff"}
                    ],
                    "settings": [], "env_vars": [], "mounts": [], "shared_resources": []
                },
                "created": "2026-01-01T00:00:00Z"
            }),
        );
        o.insert(
            "event".into(),
            json!({
                "id": 6, "type": "PARSE",
                "rule": {"id": 4, "type": "PARSE", "name": "landsat-parse-trigger", "is_active": true, "configuration": {"version": "1.0"}},
                "occurred": "2026-01-02T02:58:00Z",
                "description": {"file_name": "scene.tif"}
            }),
        );
        let mut product = file(id * 100 + 9, "parsed.tif");
        product["is_published"] = json!(true);
        product["has_been_published"] = json!(true);
        product["job"] = json!({"id": id});
        let mut exe = execution(id, status);
        exe["node"] = json!({"id": 3, "hostname": "node-3.example"});
        o.insert(
            "data".into(),
            json!({"version": "1.0", "input_data": [{"name": "scene", "file_id": 1}]}),
        );
        o.insert(
            "results".into(),
            json!({"version": "1.0", "output_data": [{"name": "parsed_scene", "file_id": 9}]}),
        );
        o.insert(
            "recipes".into(),
            json!([{
                "id": 1,
                "recipe_type": {"id": 1, "name": "landsat-ndvi-chain", "version": "1.0.0", "title": "Landsat NDVI Chain", "description": "NDVI"},
                "recipe_type_rev": {"id": 1, "recipe_type": {"id": 1}, "revision_num": 1},
                "event": {"id": 1, "type": "PARSE", "rule": {"id": 6}, "occurred": "2026-01-02T02:58:00Z"},
                "is_superseded": false, "created": "2026-01-02T02:58:30Z", "completed": null,
                "last_modified": "2026-01-02T03:10:40Z"
            }]),
        );
        o.insert("job_exes".into(), json!([exe]));
        o.insert(
            "inputs".into(),
            json!([
                {"name": "scene", "type": "file", "value": file(1, "scene.tif")},
                {"name": "band_files", "type": "files", "value": [file(2, "b2.tif"), file(3, "b3.tif")]},
                {"name": "cloud_threshold", "type": "property", "value": "0.35"}
            ]),
        );
        o.insert(
            "outputs".into(),
            json!([{"name": "parsed_scene", "type": "file", "value": product}]),
        );
        j
    }

    /// An ordinary Scale: three jobs in every list, any job's details
    /// (RUNNING), and a cancel that works.
    pub fn normal_api(req: &Request) -> Reply {
        if let Some(id) = req.job_id() {
            let mut d = details(id, "RUNNING");
            if req.method == "PATCH" {
                d["status"] = json!("CANCELED");
            }
            return Reply::json(200, &d);
        }
        if req.list().is_some() {
            return Reply::json(200, &normal_page());
        }
        Reply::json(404, &json!({"detail": "Not found."}))
    }

    /// `value` with every object's fields replaced by `null`, recursively,
    /// except the keys in `keep` (e.g. `id`).
    pub fn nulled(value: &Value, keep: &[&str]) -> Value {
        match value {
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| {
                        let v = if keep.contains(&k.as_str()) {
                            nulled(v, keep)
                        } else {
                            Value::Null
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| nulled(v, keep)).collect()),
            other => other.clone(),
        }
    }

    /// `value` with `extra` fields added to every object, recursively.
    pub fn with_extra_fields(value: &Value) -> Value {
        match value {
            Value::Object(m) => {
                let mut out: serde_json::Map<String, Value> = m
                    .iter()
                    .map(|(k, v)| (k.clone(), with_extra_fields(v)))
                    .collect();
                out.insert("x_unexpected".into(), json!({"nested": [1, "two", null]}));
                out.insert("__proto__".into(), json!({"polluted": true}));
                out.insert("constructor".into(), json!("nope"));
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(with_extra_fields).collect()),
            other => other.clone(),
        }
    }

    /// `{"a":{"a":...{"a":1}...}}`, `depth` objects deep, as text (built as
    /// text: `serde_json` would refuse to build or print it recursively).
    pub fn nested_text(depth: usize) -> String {
        let mut s = String::with_capacity(depth * 6 + 1);
        for _ in 0..depth {
            s.push_str("{\"a\":");
        }
        s.push('1');
        for _ in 0..depth {
            s.push('}');
        }
        s
    }
}

// ---------------------------------------------------------------------------
// Browser checks shared by the hostile and XSS tests
// ---------------------------------------------------------------------------

/// HTML error pages carry elements marked `data-hostile` and a script that
/// sets `window.__hostile`: none may ever reach the page.
pub fn hostile_html(title: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><title>{title}</title><style>body{{background:red}}</style>\
         <script data-hostile=\"head\">window.__hostile = 1;</script></head>\
         <body><h1 data-hostile=\"h1\">{title}</h1><p data-hostile=\"p\">The proxy says <b>no</b>.</p>\
         <img data-hostile=\"img\" src=\"x\" onerror=\"window.__hostile = 2\">\
         <script>window.__hostile = 3;</script></body></html>"
    )
}

/// The page did not panic: no crash banner, and no `panicked at` in the
/// browser console (read and drained through chromedriver).
pub async fn assert_not_crashed(b: &Browser) -> Result<()> {
    let banner = b
        .execute(
            "return document.getElementById('crash-banner') !== null;",
            vec![],
        )
        .await?;
    let panics: Vec<String> = b
        .console_log()
        .unwrap_or_default()
        .into_iter()
        .filter(|l| l.contains("panicked at") || l.contains("RuntimeError: unreachable"))
        .collect();
    ensure!(
        banner == Value::Bool(false) && panics.is_empty(),
        "the app crashed (crash banner shown: {banner}); console: {panics:?}"
    );
    Ok(())
}

/// No raw HTML from a response is on the page: the visible text holds no
/// tags, no element of a [`hostile_html`] page exists, its scripts did not
/// run.
pub async fn assert_no_raw_html(b: &Browser) -> Result<()> {
    let v = b
        .execute(
            "const t = document.body ? document.body.innerText : '';
             const low = t.toLowerCase();
             const tags = ['<h1', '<script', '<html', '<!doctype', '<body', '<title', '<img'].filter(x => low.includes(x));
             const marked = Array.from(document.querySelectorAll('[data-hostile]')).map(e => e.outerHTML.slice(0, 120));
             return { tags, marked, ran: typeof window.__hostile === 'undefined' ? null : String(window.__hostile) };",
            vec![],
        )
        .await?;
    let tags = v["tags"].as_array().map(Vec::len).unwrap_or(0);
    let marked = v["marked"].as_array().map(Vec::len).unwrap_or(0);
    ensure!(
        tags == 0 && marked == 0 && v["ran"].is_null(),
        "raw HTML from the response reached the page: {v}"
    );
    Ok(())
}

/// The console still navigates: the "Updates" link leads to the updates
/// list (its heading changes), whatever the API answers there.
pub async fn assert_navigation_works(b: &Browser) -> Result<()> {
    b.find(Locator::LinkText("Updates"))
        .await
        .context("the Updates link in the header")?
        .click()
        .await?;
    b.wait_until("the Job updates heading", WAIT, async || {
        Ok(b.text("h1").await? == "Job updates")
    })
    .await
}

/// The text of the error region's alert, waiting for one.
pub async fn alert_text(b: &Browser) -> Result<String> {
    Ok(b.wait_for("[role='alert'] .alert", WAIT)
        .await?
        .text()
        .await?)
}

/// Elements (in the document and in every open shadow root) wider than
/// twice the window, innermost first: `tag.class` with the table column or
/// panel it sits in, its width and its `white-space` / `overflow-wrap`.
pub async fn too_wide(b: &Browser) -> Result<Vec<String>> {
    let v = b
        .execute(
            r#"
            const W = window.innerWidth;
            const roots = [];
            const collect = (root) => {
              roots.push(root);
              root.querySelectorAll('*').forEach(e => { if (e.shadowRoot) collect(e.shadowRoot); });
            };
            collect(document);
            const width = e => Math.max(e.getBoundingClientRect().width, e.scrollWidth || 0);
            // Cut off by an ancestor that hides overflow (a scrolling one
            // does not count: the user would have to scroll that far).
            const clipped = e => {
              for (let a = e.parentElement; a; a = a.parentElement) {
                const o = getComputedStyle(a).overflowX;
                if ((o === 'hidden' || o === 'clip') && a.getBoundingClientRect().width <= 2 * W) return true;
              }
              return false;
            };
            const holdsLongText = e => Array.from(e.childNodes).some(n => n.nodeType === 3 && n.nodeValue.length > 100);
            const wide = [];
            for (const r of roots) {
              for (const e of r.querySelectorAll('*')) {
                if (['HTML', 'HEAD', 'BODY', 'STYLE', 'SCRIPT', 'TITLE', 'META', 'LINK'].includes(e.tagName)) continue;
                if (width(e) > 2 * W && !clipped(e)) wide.push(e);
              }
            }
            // The elements holding the long text are the culprits; failing
            // those, the innermost wide ones.
            let culprits = wide.filter(holdsLongText);
            if (!culprits.length) culprits = wide.filter(e => !Array.from(e.children).some(c => wide.includes(c)));
            const seen = new Set();
            const out = [];
            for (const e of culprits) {
                const w = width(e);
                let where = '';
                const td = e.closest('td, [role=cell]');
                if (td) {
                  const i = Array.from(td.parentElement.children).indexOf(td);
                  const th = td.closest('table, [role=table]').querySelectorAll('thead th, [role=columnheader]')[i];
                  where = ' in column ' + JSON.stringify(th ? th.innerText.trim() : String(i));
                } else {
                  const sec = e.closest('section, dialog, .status-card');
                  const h = sec && sec.querySelector('h1, h2');
                  if (h && h !== e) where = ' in ' + JSON.stringify(h.innerText.trim().slice(0, 30));
                  else if (sec && sec !== e) where = ' in ' + sec.tagName.toLowerCase() + '.' + sec.className;
                }
                const cls = typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\s+/).join('.') : '';
                const cs = getComputedStyle(e);
                const key = e.tagName.toLowerCase() + cls + where;
                if (seen.has(key)) continue;
                seen.add(key);
                out.push(key + ' (' + Math.round(w) + 'px; white-space: ' + cs.whiteSpace + '; overflow-wrap: ' + cs.overflowWrap + ')');
            }
            return out.slice(0, 12);
            "#,
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

/// Nothing on the page is absurdly wide (more than twice the window):
/// long strings wrap or are cut. The error names the offending elements.
pub async fn assert_layout_usable(b: &Browser) -> Result<()> {
    let wide = too_wide(b).await?;
    ensure!(
        wide.is_empty(),
        "long text makes the layout absurdly wide (window {}px): {}",
        b.execute("return window.innerWidth;", vec![]).await?,
        wide.join("; ")
    );
    Ok(())
}

/// The outcome of one scenario among many in a test.
pub struct Outcome {
    pub name: String,
    pub result: Result<()>,
}

/// Runs scenarios one after another, each with its own outcome, so one
/// failure does not hide the others; prints a PASS/FAIL line each and
/// fails at the end, listing every failed scenario.
pub struct Scenarios {
    suite: String,
    outcomes: Vec<Outcome>,
}

impl Scenarios {
    pub fn new(suite: &str) -> Self {
        Scenarios {
            suite: suite.to_string(),
            outcomes: Vec::new(),
        }
    }

    /// Records `result` for scenario `name`.
    pub fn record(&mut self, name: &str, result: Result<()>) {
        match &result {
            Ok(()) => eprintln!("[{}] PASS {name}", self.suite),
            Err(e) => eprintln!("[{}] FAIL {name}: {e:#}", self.suite),
        }
        self.outcomes.push(Outcome {
            name: name.to_string(),
            result,
        });
    }

    /// `Ok` if every scenario passed, else an error listing the failures.
    pub fn finish(self) -> Result<()> {
        let failed: Vec<String> = self
            .outcomes
            .iter()
            .filter_map(|o| {
                o.result
                    .as_ref()
                    .err()
                    .map(|e| format!("- {}: {e:#}", o.name))
            })
            .collect();
        if failed.is_empty() {
            return Ok(());
        }
        Err(anyhow!(
            "{} of {} scenario(s) failed:\n{}",
            failed.len(),
            self.outcomes.len(),
            failed.join("\n")
        ))
    }
}
