//! The job API: routing under `/api/v4/` and `/api/v5/`, list paging and
//! links, details, cancel, and Scale's error bodies.
//!
//! Routing is done by hand rather than with axum's router so that the
//! Django behaviours Scale shows come out exactly: a path without its
//! trailing slash is redirected (any method, not applied) only when the
//! slashed path exists; a known path with a wrong method is a JSON `405`
//! naming the method; `/jobs/abc/` is a plain `404`.

use crate::db::{self, CancelError, Db, Filter, ListKind};
use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use scale_jobs_shared::{
    check_time_range, ErrorBody, Job, JobDetails, JobsQuery, Page, QueryError, SortOrder,
    UpdatesQuery, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A JSON error answer: `{"detail": "..."}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: String,
    pub allow: Option<&'static str>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: detail.into(),
            allow: None,
        }
    }

    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "Not found.")
    }

    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, detail)
    }

    /// A `500` whose cause is logged on stderr only: the body never
    /// carries SQL, file paths or panic text.
    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        eprintln!("internal error: {e}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = json_response(self.status, &ErrorBody::new(self.detail));
        if let Some(allow) = self.allow {
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        r
    }
}

pub fn json_response<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        Err(e) => ApiError::internal(format!("cannot encode JSON: {e}")).into_response(),
    }
}

// ---------------------------------------------------------------------------
// Routing.

/// An endpoint under `/api/vN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    List(ListKind),
    Job(i64),
}

const LIST_ALLOW: &str = "GET, HEAD, OPTIONS";
const JOB_ALLOW: &str = "GET, PATCH, HEAD, OPTIONS";

/// Resolves a path below the version prefix (`/jobs/5/`).
pub fn resolve(rest: &str) -> Option<Route> {
    match rest {
        "/jobs/" => return Some(Route::List(ListKind::Jobs)),
        "/jobs/updates/" => return Some(Route::List(ListKind::Updates)),
        "/jobs/executions/" => return Some(Route::List(ListKind::Executions)),
        _ => {}
    }
    // `jobs/(\d+)/` as in Scale's URL patterns; anything else is a 404.
    let id = rest.strip_prefix("/jobs/")?.strip_suffix('/')?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse::<i64>().ok().map(Route::Job)
}

/// Splits `/api/v5/jobs/` into the prefix (`/api/v5`) and the rest.
pub fn split_api_path(path: &str) -> Option<(&str, &str)> {
    for prefix in ["/api/v5", "/api/v4"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            if rest.is_empty() || rest.starts_with('/') {
                return Some((&path[..prefix.len()], rest));
            }
        }
    }
    None
}

/// What the API needs from a request.
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Answers a request below `/api/v4` or `/api/v5` from the database.
pub async fn handle(db: Arc<Db>, req: ApiRequest) -> Response {
    let Some((_, rest)) = split_api_path(&req.path) else {
        return ApiError::not_found().into_response();
    };
    let route = match resolve(rest) {
        Some(r) => r,
        None => {
            // Django's APPEND_SLASH: redirect only if the slashed path exists.
            if !rest.ends_with('/') && resolve(&format!("{rest}/")).is_some() {
                let location = match &req.query {
                    Some(q) => format!("{}/?{q}", req.path),
                    None => format!("{}/", req.path),
                };
                return redirect(&location);
            }
            return ApiError::not_found().into_response();
        }
    };
    let allow = match route {
        Route::List(_) => LIST_ALLOW,
        Route::Job(_) => JOB_ALLOW,
    };
    let result = match (&req.method, route) {
        (&Method::GET | &Method::HEAD, Route::List(kind)) => list(db, kind, &req).await,
        (&Method::GET | &Method::HEAD, Route::Job(id)) => details(db, id).await,
        (&Method::PATCH, Route::Job(id)) => cancel(db, id, &req).await,
        (&Method::OPTIONS, _) => Ok(options(route)),
        (m, _) => Err(ApiError {
            allow: Some(allow),
            ..ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("Method \"{m}\" not allowed."),
            )
        }),
    };
    let mut response = result.unwrap_or_else(IntoResponse::into_response);
    let h = response.headers_mut();
    h.entry(header::ALLOW)
        .or_insert(HeaderValue::from_static(allow));
    h.insert(header::VARY, HeaderValue::from_static("Accept, Cookie"));
    response
}

fn redirect(location: &str) -> Response {
    let mut r = StatusCode::MOVED_PERMANENTLY.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Django REST Framework's metadata answer, trimmed.
fn options(route: Route) -> Response {
    let name = match route {
        Route::List(ListKind::Jobs) => "Job List",
        Route::List(ListKind::Updates) => "Job Updates",
        Route::List(ListKind::Executions) => "Job Executions",
        Route::Job(_) => "Job Details",
    };
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "name": name,
            "renders": ["application/json"],
            "parses": ["application/json", "application/x-www-form-urlencoded"],
        }),
    )
}

// ---------------------------------------------------------------------------
// Lists.

/// A `page` value as Django's paginator reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageParam {
    Number(u64),
    Last,
    Invalid,
}

/// The last value of `key` (Django's `QueryDict.get`).
fn last_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `page_size`: default 100, capped at 1000; anything that is not a
/// positive whole number silently falls back to the default.
pub fn page_size_param(v: Option<&str>) -> u32 {
    match v.map(str::trim).and_then(|v| v.parse::<i64>().ok()) {
        Some(n) if n >= 1 => n.min(i64::from(MAX_PAGE_SIZE)) as u32,
        _ => DEFAULT_PAGE_SIZE,
    }
}

/// `page`: a positive whole number or `last`; absent means 1.
pub fn page_param(v: Option<&str>) -> PageParam {
    match v {
        None => PageParam::Number(1),
        Some("last") => PageParam::Last,
        Some(s) => match s.trim().parse::<i64>() {
            Ok(n) if n >= 1 => PageParam::Number(n as u64),
            _ => PageParam::Invalid,
        },
    }
}

/// Encodes like Python's `quote_plus` (what Django's `urlencode` uses).
fn quote_plus(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
}

/// A `next`/`previous` link as Django REST Framework builds it: the request
/// URL with every query key kept, keys sorted, values in their order, `page`
/// replaced, and dropped for page 1.
pub fn page_link(base: &str, pairs: &[(String, String)], page: u64) -> String {
    let mut grouped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in pairs {
        if k != "page" {
            grouped.entry(k).or_default().push(v);
        }
    }
    let page_text = page.to_string();
    if page != 1 {
        grouped.insert("page", vec![&page_text]);
    }
    let mut query = String::new();
    for (k, values) in grouped {
        for v in values {
            if !query.is_empty() {
                query.push('&');
            }
            quote_plus(k, &mut query);
            query.push('=');
            quote_plus(v, &mut query);
        }
    }
    if query.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{query}")
    }
}

/// `scheme://host/path` of the request, for absolute links.
fn request_base(req: &ApiRequest) -> String {
    let header_text = |name: &str| {
        req.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(',').next().unwrap_or("").trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let scheme = match header_text("x-forwarded-proto") {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    let host = header_text("host").unwrap_or_else(|| "localhost".to_string());
    format!("{scheme}://{host}{}", req.path)
}

/// The first query error that is Scale's to report (paging errors are
/// handled separately: `page` → 404, `page_size` → default).
fn first_query_error(errors: Vec<QueryError>) -> Option<ApiError> {
    errors
        .into_iter()
        .find(|e| e.param != "page" && e.param != "page_size")
        .map(|e| ApiError::bad_request(e.to_string()))
}

/// Turns a parsed query into the database filter, at `now`.
pub fn filter_from_query(q: &JobsQuery, now: DateTime<Utc>) -> Filter {
    Filter {
        modified_from: q.started.as_ref().map(|b| db::to_micros(b.resolve(now))),
        modified_to: q.ended.as_ref().map(|b| db::to_micros(b.resolve(now))),
        status: q.status.iter().map(|s| s.as_str().to_string()).collect(),
        job_id: q.job_id.clone(),
        job_type_id: q.job_type_id.clone(),
        job_type_name: q.job_type_name.clone(),
        job_type_category: q.job_type_category.clone(),
        error_category: q
            .error_category
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        include_superseded: q.include_superseded,
    }
}

/// Parses and checks a list query: the filter and order, or the 400.
pub fn parse_list_query(
    kind: ListKind,
    raw: &str,
    now: DateTime<Utc>,
) -> Result<(Filter, Vec<SortOrder>), ApiError> {
    let query: JobsQuery = match kind {
        ListKind::Updates => {
            let (q, errors) = UpdatesQuery::parse_lenient(raw);
            if let Some(e) = first_query_error(errors) {
                return Err(e);
            }
            q.into()
        }
        _ => {
            let (q, errors) = JobsQuery::parse_lenient(raw);
            if let Some(e) = first_query_error(errors) {
                return Err(e);
            }
            q
        }
    };
    check_time_range(query.started.as_ref(), query.ended.as_ref(), now)
        .map_err(ApiError::bad_request)?;
    Ok((filter_from_query(&query, now), query.order))
}

enum ListOutcome {
    Page {
        count: u64,
        page: u64,
        pages: u64,
        jobs: Vec<Job>,
    },
    InvalidPage,
}

async fn list(db: Arc<Db>, kind: ListKind, req: &ApiRequest) -> Result<Response, ApiError> {
    let raw = req.query.clone().unwrap_or_default();
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let now = Utc::now();
    let (filter, order) = parse_list_query(kind, &raw, now)?;
    let page_size = page_size_param(last_value(&pairs, "page_size"));
    let page_req = page_param(last_value(&pairs, "page"));
    if page_req == PageParam::Invalid {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "Invalid page."));
    }
    let outcome = blocking(move || {
        db.read(|conn, cat| {
            let count = db.count_jobs(conn, &filter)?;
            // Django: an empty result still has one (empty) page.
            let pages = count.div_ceil(u64::from(page_size)).max(1);
            let page = match page_req {
                PageParam::Last => pages,
                PageParam::Number(n) => n,
                PageParam::Invalid => 0,
            };
            if page < 1 || page > pages {
                return Ok(ListOutcome::InvalidPage);
            }
            let offset = (page - 1) * u64::from(page_size);
            let jobs = db::list_jobs(conn, cat, &filter, &order, kind, page_size, offset)?;
            Ok(ListOutcome::Page {
                count,
                page,
                pages,
                jobs,
            })
        })
    })
    .await?;
    let ListOutcome::Page {
        count,
        page,
        pages,
        jobs,
    } = outcome
    else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "Invalid page."));
    };
    let base = request_base(req);
    let page_obj = Page {
        count,
        next: (page < pages).then(|| page_link(&base, &pairs, page + 1)),
        previous: (page > 1).then(|| page_link(&base, &pairs, page - 1)),
        results: jobs,
    };
    Ok(json_response(
        StatusCode::OK,
        &crate::list_shape::ListPage {
            page: &page_obj,
            kind,
        },
    ))
}

/// Runs blocking database work off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> db::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(ApiError::internal(e)),
        Err(e) => Err(ApiError::internal(e)),
    }
}

// ---------------------------------------------------------------------------
// Details and cancel.

fn details_response(d: &JobDetails) -> Result<Response, ApiError> {
    let mut value = serde_json::to_value(d).map_err(ApiError::internal)?;
    shape::details(&mut value);
    Ok(json_response(StatusCode::OK, &value))
}

async fn details(db: Arc<Db>, id: i64) -> Result<Response, ApiError> {
    let d = blocking(move || db.read(|conn, cat| db::job_details(conn, cat, id))).await?;
    match d {
        Some(d) => details_response(&d),
        None => Err(ApiError::not_found()),
    }
}

/// The values of one cookie name in the request.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim())
}

/// Django's CSRF check as it applies to a session-authenticated request:
/// with a `sessionid` cookie, the `X-CSRFToken` header must equal the
/// `csrftoken` cookie. Anonymous requests (no session) are not checked.
pub fn check_csrf(headers: &HeaderMap) -> Result<(), ApiError> {
    if cookie(headers, "sessionid").is_none() {
        return Ok(());
    }
    let forbidden = |m: &str| ApiError::new(StatusCode::FORBIDDEN, format!("CSRF Failed: {m}"));
    let Some(expected) = cookie(headers, "csrftoken") else {
        return Err(forbidden("CSRF cookie not set."));
    };
    let sent = headers.get("x-csrftoken").and_then(|v| v.to_str().ok());
    if expected.is_empty() || sent != Some(expected) {
        return Err(forbidden("CSRF token missing or incorrect."));
    }
    Ok(())
}

/// Checks a PATCH body as Scale does: only `status`, and only `CANCELED`.
pub fn check_cancel_body(headers: &HeaderMap, body: &[u8]) -> Result<(), ApiError> {
    // An empty body parses as no data at all, whatever its type.
    let fields: Vec<(String, Value)> = if body.is_empty() {
        Vec::new()
    } else {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let media = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/json" => {
                let v: Value = serde_json::from_slice(body)
                    .map_err(|e| ApiError::bad_request(format!("JSON parse error - {e}")))?;
                match v {
                    Value::Object(map) => map.into_iter().collect(),
                    other => {
                        let kind = match other {
                            Value::Array(_) => "list",
                            Value::String(_) => "str",
                            Value::Number(_) => "number",
                            Value::Bool(_) => "bool",
                            _ => "null",
                        };
                        return Err(ApiError::bad_request(format!(
                            "Invalid data. Expected a dictionary, but got {kind}."
                        )));
                    }
                }
            }
            "application/x-www-form-urlencoded" => {
                // Later values win, as with Django's QueryDict.get.
                let mut map: Map<String, Value> = Map::new();
                for (k, v) in form_urlencoded::parse(body) {
                    map.insert(k.into_owned(), Value::String(v.into_owned()));
                }
                map.into_iter().collect()
            }
            _ => {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!("Unsupported media type \"{content_type}\" in request."),
                ))
            }
        }
    };
    let extra: Vec<&str> = fields
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| *k != "status")
        .collect();
    if !extra.is_empty() {
        return Err(ApiError::bad_request(format!(
            "Fields do not allow updates: {}",
            extra.join(", ")
        )));
    }
    match fields.iter().find(|(k, _)| k == "status").map(|(_, v)| v) {
        None | Some(Value::Null) => Err(ApiError::bad_request(
            "Missing required parameter: \"status\"",
        )),
        Some(Value::String(s)) if s == "CANCELED" => Ok(()),
        Some(_) => Err(ApiError::bad_request(
            "Invalid or read-only status. Allowed values: CANCELED",
        )),
    }
}

async fn cancel(db: Arc<Db>, id: i64, req: &ApiRequest) -> Result<Response, ApiError> {
    check_csrf(&req.headers)?;
    check_cancel_body(&req.headers, &req.body)?;
    let now = Utc::now();
    let result = tokio::task::spawn_blocking(move || {
        db.write(|conn, cat| Ok(db::cancel_job(conn, cat, id, now)))
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    match result {
        Ok(d) => details_response(&d),
        Err(CancelError::NotFound) => Err(ApiError::not_found()),
        Err(CancelError::Finished(status)) => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("Job {id} is {status} and cannot be canceled."),
        )),
        Err(CancelError::Db(e)) => Err(ApiError::internal(e)),
    }
}

/// Adds the explicit `null`s Scale sends: the shared models omit absent
/// fields when encoding, but Scale's objects always carry their keys.
mod shape {
    use serde_json::Value;

    const JOB: &[&str] = &[
        "job_type",
        "job_type_rev",
        "event",
        "error",
        "status",
        "priority",
        "num_exes",
        "timeout",
        "max_tries",
        "cpus_required",
        "mem_required",
        "disk_in_required",
        "disk_out_required",
        "is_superseded",
        "root_superseded_job",
        "superseded_job",
        "superseded_by_job",
        "delete_superseded",
        "created",
        "queued",
        "started",
        "ended",
        "last_status_change",
        "superseded",
        "last_modified",
    ];
    const SMALL_JOB: &[&str] = &[
        "job_type",
        "job_type_rev",
        "event",
        "error",
        "status",
        "priority",
        "num_exes",
    ];
    const JOB_TYPE: &[&str] = &[
        "name",
        "version",
        "title",
        "description",
        "category",
        "author_name",
        "author_url",
        "is_system",
        "is_long_running",
        "is_active",
        "is_operational",
        "is_paused",
        "icon_code",
    ];
    const JOB_TYPE_LONG: &[&str] = &[
        "uses_docker",
        "docker_privileged",
        "docker_image",
        "revision_num",
        "priority",
        "max_scheduled",
        "timeout",
        "max_tries",
        "cpus_required",
        "mem_required",
        "shared_mem_required",
        "disk_out_const_required",
        "disk_out_mult_required",
        "created",
        "archived",
        "paused",
        "last_modified",
    ];
    const EVENT: &[&str] = &["type", "rule", "occurred"];
    const EXE: &[&str] = &[
        "status",
        "command_arguments",
        "timeout",
        "pre_started",
        "pre_completed",
        "pre_exit_code",
        "job_started",
        "job_completed",
        "job_exit_code",
        "post_started",
        "post_completed",
        "post_exit_code",
        "created",
        "queued",
        "started",
        "ended",
        "last_modified",
        "job",
        "node",
        "error",
    ];
    const FILE: &[&str] = &[
        "workspace",
        "file_name",
        "media_type",
        "file_size",
        "data_type",
        "is_deleted",
        "uuid",
        "url",
        "created",
        "deleted",
        "data_started",
        "data_ended",
        "geometry",
        "center_point",
        "meta_data",
        "countries",
        "last_modified",
    ];
    const PRODUCT: &[&str] = &[
        "is_operational",
        "is_published",
        "has_been_published",
        "published",
        "unpublished",
        "job_type",
        "job",
        "job_exe",
    ];
    const RECIPE: &[&str] = &[
        "recipe_type",
        "recipe_type_rev",
        "event",
        "is_superseded",
        "root_superseded_recipe",
        "superseded_recipe",
        "superseded_by_recipe",
        "created",
        "completed",
        "superseded",
        "last_modified",
    ];

    fn fill(v: &mut Value, keys: &[&str]) {
        if let Some(obj) = v.as_object_mut() {
            for k in keys {
                obj.entry(*k).or_insert(Value::Null);
            }
        }
    }

    fn child<'a>(v: &'a mut Value, key: &str) -> Option<&'a mut Value> {
        v.get_mut(key).filter(|c| c.is_object())
    }

    fn event(v: &mut Value, details: bool) {
        if let Some(e) = child(v, "event") {
            fill(e, EVENT);
            if details {
                fill(e, &["description"]);
            }
        }
    }

    fn exe(v: &mut Value) {
        fill(v, EXE);
    }

    fn file(v: &mut Value) {
        fill(v, FILE);
        if v.get("job").is_some() {
            fill(v, PRODUCT);
        }
    }

    pub fn details(v: &mut Value) {
        fill(v, JOB);
        fill(v, &["data", "results"]);
        if let Some(t) = child(v, "job_type") {
            fill(t, JOB_TYPE);
            fill(t, JOB_TYPE_LONG);
        }
        event(v, true);
        for key in ["root_superseded_job", "superseded_job", "superseded_by_job"] {
            if let Some(j) = child(v, key) {
                fill(j, SMALL_JOB);
                if let Some(t) = child(j, "job_type") {
                    fill(t, JOB_TYPE);
                }
            }
        }
        if let Some(Value::Array(exes)) = v.get_mut("job_exes") {
            exes.iter_mut().for_each(exe);
        }
        if let Some(Value::Array(recipes)) = v.get_mut("recipes") {
            for r in recipes {
                fill(r, RECIPE);
                if let Some(e) = child(r, "event") {
                    fill(e, EVENT);
                }
            }
        }
        for key in ["inputs", "outputs"] {
            if let Some(Value::Array(items)) = v.get_mut(key) {
                for item in items {
                    match item.get_mut("value") {
                        Some(Value::Array(files)) => files.iter_mut().for_each(file),
                        Some(f @ Value::Object(_)) => file(f),
                        _ => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(resolve("/jobs/"), Some(Route::List(ListKind::Jobs)));
        assert_eq!(
            resolve("/jobs/updates/"),
            Some(Route::List(ListKind::Updates))
        );
        assert_eq!(resolve("/jobs/12/"), Some(Route::Job(12)));
        assert_eq!(resolve("/jobs/abc/"), None);
        assert_eq!(resolve("/jobs/12"), None);
        assert_eq!(resolve("/jobs//"), None);
        assert_eq!(resolve("/jobs/99999999999999999999/"), None);
        assert_eq!(split_api_path("/api/v5/jobs/"), Some(("/api/v5", "/jobs/")));
        assert_eq!(split_api_path("/api/v4"), Some(("/api/v4", "")));
        assert_eq!(split_api_path("/api/v55/jobs/"), None);
    }

    #[test]
    fn paging_params() {
        assert_eq!(page_size_param(None), 100);
        assert_eq!(page_size_param(Some("0")), 100);
        assert_eq!(page_size_param(Some("-5")), 100);
        assert_eq!(page_size_param(Some("abc")), 100);
        assert_eq!(page_size_param(Some("")), 100);
        assert_eq!(page_size_param(Some("2.5")), 100);
        assert_eq!(page_size_param(Some("5000")), 1000);
        assert_eq!(page_size_param(Some("25")), 25);
        assert_eq!(page_param(None), PageParam::Number(1));
        assert_eq!(page_param(Some("last")), PageParam::Last);
        for bad in ["0", "-1", "abc", "1.0", ""] {
            assert_eq!(page_param(Some(bad)), PageParam::Invalid, "{bad}");
        }
    }

    #[test]
    fn links_like_django() {
        let pairs = |s: &str| -> Vec<(String, String)> {
            form_urlencoded::parse(s.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        };
        let base = "http://h:1/api/v5/jobs/";
        assert_eq!(
            page_link(base, &pairs("page=2&page_size=1&order=-last_modified"), 3),
            "http://h:1/api/v5/jobs/?order=-last_modified&page=3&page_size=1"
        );
        assert_eq!(
            page_link(base, &pairs("page=2&page_size=1&order=-last_modified"), 1),
            "http://h:1/api/v5/jobs/?order=-last_modified&page_size=1"
        );
        assert_eq!(
            page_link(
                base,
                &pairs("started=2026-11-28T19:56:50%2B00:00&page_size=25&order=-last_modified"),
                2
            ),
            "http://h:1/api/v5/jobs/?order=-last_modified&page=2&page_size=25&started=2026-11-28T19%3A56%3A50%2B00%3A00"
        );
        assert_eq!(
            page_link(
                base,
                &pairs("order=job_type__name&order=-job_type__version&job_type_category=landsat"),
                2
            ),
            "http://h:1/api/v5/jobs/?job_type_category=landsat&order=job_type__name&order=-job_type__version&page=2"
        );
        assert_eq!(page_link(base, &[], 1), base);
    }

    #[test]
    fn cancel_bodies() {
        let mut json = HeaderMap::new();
        json.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json;charset=utf-8"),
        );
        let detail = |h: &HeaderMap, b: &str| {
            check_cancel_body(h, b.as_bytes())
                .err()
                .map(|e| (e.status.as_u16(), e.detail))
        };
        assert!(detail(&json, r#"{"status":"CANCELED"}"#).is_none());
        assert_eq!(
            detail(&json, r#"{"status": "CANCELED", "priority": 1}"#),
            Some((400, "Fields do not allow updates: priority".into()))
        );
        assert_eq!(
            detail(&json, "{}"),
            Some((400, "Missing required parameter: \"status\"".into()))
        );
        assert_eq!(detail(&json, ""), detail(&json, "{}"));
        assert_eq!(detail(&json, r#"{"status": null}"#), detail(&json, "{}"));
        assert_eq!(
            detail(&json, r#"{"status": "canceled"}"#),
            Some((
                400,
                "Invalid or read-only status. Allowed values: CANCELED".into()
            ))
        );
        let (code, text) = detail(&json, r#"{"status": CANCELED"#).unwrap();
        assert_eq!(code, 400);
        assert!(text.starts_with("JSON parse error - "), "{text}");
        assert_eq!(detail(&json, "[]").map(|d| d.0), Some(400));
        let mut text_plain = HeaderMap::new();
        text_plain.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert_eq!(
            detail(&text_plain, r#"{"status":"CANCELED"}"#),
            Some((
                415,
                "Unsupported media type \"text/plain\" in request.".into()
            ))
        );
        let mut form = HeaderMap::new();
        form.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        assert!(detail(&form, "status=CANCELED").is_none());
        assert_eq!(detail(&form, "status=CANCELED&x=1").map(|d| d.0), Some(400));
    }

    #[test]
    fn csrf_rules() {
        let h = |cookie: Option<&str>, token: Option<&str>| {
            let mut h = HeaderMap::new();
            if let Some(c) = cookie {
                h.insert(header::COOKIE, HeaderValue::from_str(c).unwrap());
            }
            if let Some(t) = token {
                h.insert("x-csrftoken", HeaderValue::from_str(t).unwrap());
            }
            check_csrf(&h).is_ok()
        };
        assert!(h(None, None));
        assert!(h(Some("csrftoken=abc"), None));
        assert!(h(Some("csrftoken=abc; sessionid=s"), Some("abc")));
        assert!(!h(Some("csrftoken=abc; sessionid=s"), None));
        assert!(!h(Some("csrftoken=abc; sessionid=s"), Some("xyz")));
        assert!(!h(Some("sessionid=s"), Some("abc")));
    }
}
