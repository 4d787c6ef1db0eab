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
pub mod db;
pub mod demo;
pub mod simulate;
pub mod static_files;
pub mod upstream;

pub use args::Args;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// Where API answers come from.
pub enum Backend {
    Db(Arc<db::Db>),
    Upstream(upstream::Upstream),
}

pub struct AppState {
    pub backend: Backend,
    pub dist: Option<PathBuf>,
    pub refresh_seconds: u32,
}

/// The largest request body accepted (a cancel body is tiny).
const MAX_BODY: usize = 1 << 20;

/// Every request goes through here: API, config, static files.
async fn dispatch(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);

    if let Some((prefix, rest)) = api::split_api_path(&path) {
        let body = match axum::body::to_bytes(body, MAX_BODY).await {
            Ok(b) => b,
            Err(_) => {
                return api::ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large.")
                    .into_response()
            }
        };
        return match &state.backend {
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
        };
    }
    if path == "/config.json" {
        if parts.method != Method::GET && parts.method != Method::HEAD {
            return static_files::method_not_allowed(&parts.method);
        }
        return static_files::config(state.dist.as_deref(), state.refresh_seconds, &parts.method)
            .await;
    }
    if path == "/api" || path.starts_with("/api/") {
        return api::ApiError::not_found().into_response();
    }
    match &state.dist {
        Some(dir) => static_files::serve(dir, &path, &parts.method).await,
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
        dist: args.dist.clone(),
        refresh_seconds: args.refresh_seconds,
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
