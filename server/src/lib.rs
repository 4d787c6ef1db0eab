//! A Scale-compatible job API for development, demos and tests.
//!
//! It answers `/api/v5/jobs/...` (and `/api/v4/`) exactly as the real Scale
//! does (see `SCALE-BEHAVIOUR.md`), encoding the shared crate's models so
//! the server and the app cannot drift apart; it can serve the built app
//! with `--dist`, and forward to a real Scale with `--upstream`.
//!
//! `main.rs` only parses flags and calls [`run`].

pub mod api;
pub mod args;
pub mod compress;
pub mod cors;
pub mod db;
pub mod demo;
pub mod list_shape;
pub mod load;
pub mod security;
pub mod simulate;
pub mod static_files;
pub mod upstream;

pub use args::Args;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where API answers come from.
pub enum Backend {
    Db(Arc<db::Db>),
    Upstream(upstream::Upstream),
}

pub struct AppState {
    pub backend: Backend,
    pub dist: Option<static_files::StaticFiles>,
    pub refresh_seconds: u32,
    /// Added to every API answer (`--latency-ms`).
    pub latency: Duration,
    pub cors: cors::Cors,
    /// The CSP `frame-ancestors` sources of the app's HTML.
    pub frame_ancestors: String,
}

/// The largest request body accepted (a cancel body is a few bytes).
pub const MAX_BODY: usize = 64 * 1024;

fn too_large() -> Response {
    let mut r = api::ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Request body too large (the limit is 64 KiB).",
    )
    .into_response();
    // The rest of the body is never read, so this connection cannot carry
    // another request. Saying so keeps a client that pools connections from
    // sending its next request into a socket the server is closing (the
    // body-limit test saw exactly that: "IncompleteMessage").
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// Every request goes through here: API, config, static files. The answer
/// then gets CORS, security headers and compression.
async fn dispatch(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let encoding = compress::negotiate_headers(req.headers());
    let is_api = api::split_api_path(req.uri().path()).is_some();
    let mut response = if is_api {
        let allowed = state.cors.allowed_origin(req.headers());
        let mut r = match state.cors.preflight(req.method(), req.headers()) {
            Some(r) => r,
            None => api_request(state.clone(), req).await,
        };
        state.cors.decorate(r.headers_mut(), allowed);
        r
    } else {
        let mut r = app_request(&state, req).await;
        // The app's files are public code a portal's page loads (embed.js
        // imports the glue JS and fetches the wasm), without credentials.
        r.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        r
    };
    let kind = if is_api {
        security::Kind::Api
    } else if response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"))
    {
        security::Kind::Html
    } else {
        security::Kind::Asset
    };
    security::apply(response.headers_mut(), kind, &state.frame_ancestors);
    compress::compress_response(response, encoding).await
}

/// An API request: size limit, latency, then the database or the upstream,
/// on its own task so that a panic is a `500`, not a dropped connection.
async fn api_request(state: Arc<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return too_large();
    }
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => return too_large(),
    };
    if !state.latency.is_zero() {
        tokio::time::sleep(state.latency).await;
    }
    let task = tokio::spawn(async move {
        let path = parts.uri.path().to_string();
        let query = parts.uri.query().map(str::to_string);
        match &state.backend {
            Backend::Db(db) => {
                api::handle(
                    db.clone(),
                    api::ApiRequest {
                        method: parts.method,
                        path,
                        query,
                        headers: parts.headers,
                        body,
                    },
                )
                .await
            }
            Backend::Upstream(u) => {
                let Some((prefix, rest)) = api::split_api_path(&path) else {
                    return api::ApiError::not_found().into_response();
                };
                u.forward(
                    parts.method,
                    prefix,
                    rest,
                    query.as_deref(),
                    &parts.headers,
                    body,
                )
                .await
            }
        }
    });
    match task.await {
        Ok(r) => r,
        Err(e) => api::ApiError::internal(format!("request handler failed: {e}")).into_response(),
    }
}

/// Everything that is not the API: `config.json`, the app, the landing page.
async fn app_request(state: &AppState, req: Request) -> Response {
    let (parts, _body) = req.into_parts();
    let path = parts.uri.path();
    let want = static_files::Want::from_parts(&parts.method, &parts.headers);
    if path == "/config.json" {
        if parts.method != Method::GET && parts.method != Method::HEAD {
            return static_files::method_not_allowed(&parts.method);
        }
        return static_files::config(state.dist.as_ref(), state.refresh_seconds, &want).await;
    }
    if path == "/api" || path.starts_with("/api/") {
        return api::ApiError::not_found().into_response();
    }
    match &state.dist {
        Some(files) => files.serve(path, &want).await,
        None if path == "/" && parts.method == Method::GET => static_files::landing(),
        None => api::ApiError::not_found().into_response(),
    }
}

/// One line per request on stderr: method, path, status, time.
async fn log_requests(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| req.uri().path().to_string());
    let response = next.run(req).await;
    eprintln!(
        "{method} {target} {} {:.1}ms",
        response.status().as_u16(),
        start.elapsed().as_secs_f64() * 1000.0
    );
    response
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .fallback(dispatch)
        .with_state(state)
        .layer(middleware::from_fn(log_requests))
}

/// Opens the database and fills it with demo data if it is empty.
fn open_db(args: &Args) -> Result<db::Db, String> {
    let name = match &args.db {
        Some(p) => p.display().to_string(),
        None => "(in memory)".to_string(),
    };
    let fail = |e: rusqlite::Error| format!("cannot use database {name}: {e}");
    let mut db = db::Db::open(args.db.as_deref()).map_err(fail)?;
    let existing = db.job_count().map_err(fail)?;
    if existing > 0 {
        let version = db.schema_version().map_err(fail)?;
        if version.as_deref() != Some(db::SCHEMA_VERSION) {
            return Err(format!(
                "cannot use database {name}: it was written by another version of this server \
                 (schema {}, expected {}); delete it to start afresh",
                version.as_deref().unwrap_or("unknown"),
                db::SCHEMA_VERSION
            ));
        }
        eprintln!("scale-jobs-server: using {existing} jobs already in {name}");
        db.finish_open().map_err(fail)?;
    } else {
        let start = Instant::now();
        let n = db
            .write(|conn, _| demo::generate(conn, args.demo_jobs, args.seed, chrono::Utc::now()))
            .map_err(fail)?;
        let generated = start.elapsed();
        db.finish_open().map_err(fail)?;
        eprintln!(
            "scale-jobs-server: generated {n} demo jobs (seed {}) in {} ms, indexed in {} ms",
            args.seed,
            generated.as_millis(),
            (start.elapsed() - generated).as_millis()
        );
    }
    Ok(db)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    eprintln!("scale-jobs-server: shutting down");
}

/// Starts the server and runs until Ctrl-C or SIGTERM. Errors are one-line
/// messages for the user.
pub async fn run(args: Args) -> Result<(), String> {
    if let Some(dir) = &args.dist {
        if !dir.is_dir() {
            return Err(format!("--dist {}: not a directory", dir.display()));
        }
    }
    let cors = cors::Cors::new(&args.cors_origins)?;
    let frame_ancestors = security::check_frame_ancestors(&args.frame_ancestors)?;
    let upstream = match &args.upstream {
        Some(url) => Some(upstream::Upstream::new(url)?),
        None => None,
    };
    // Bind first: a busy port should fail at once, not after loading data.
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AddrInUse => {
                format!("cannot listen on {}: address already in use", args.addr)
            }
            _ => format!("cannot listen on {}: {e}", args.addr),
        })?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;

    let backend = match upstream {
        Some(u) => {
            eprintln!(
                "scale-jobs-server: forwarding /api/v5/ and /api/v4/ to {}",
                u.base()
            );
            Backend::Upstream(u)
        }
        None => {
            let a = args.clone();
            let db = tokio::task::spawn_blocking(move || open_db(&a))
                .await
                .map_err(|e| format!("cannot open the database: {e}"))??;
            Backend::Db(Arc::new(db))
        }
    };
    let simulator = match (&backend, args.simulate) {
        (Backend::Db(db), true) => Some(tokio::spawn(simulate::run(db.clone(), args.seed))),
        _ => None,
    };
    let state = Arc::new(AppState {
        backend,
        dist: args
            .dist
            .clone()
            .map(|d| static_files::StaticFiles::new(d, frame_ancestors.clone())),
        refresh_seconds: args.refresh_seconds,
        latency: Duration::from_millis(args.latency_ms),
        cors,
        frame_ancestors,
    });

    // Tests and the xtask read this line to find the port.
    println!("listening on http://{local}");
    let _ = std::io::stdout().flush();

    let result = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server error: {e}"));
    if let Some(s) = simulator {
        s.abort();
    }
    result
}
