//! Query types for the three list endpoints.
//!
//! `/jobs/` and `/jobs/executions/` share [`JobsQuery`]; `/jobs/updates/`
//! takes the subset in [`UpdatesQuery`] (Scale ignores `job_id` and
//! `error_category` there). Both write the API's own parameter names, so the
//! same text is the browser URL's query and the API request's query.

use crate::status::{ErrorCategory, JobStatus};
use crate::time::TimeBound;
use chrono::{DateTime, Utc};
use std::fmt;

/// Scale's default and largest page sizes.
pub const DEFAULT_PAGE_SIZE: u32 = 100;
pub const MAX_PAGE_SIZE: u32 = 1000;

/// Fields the API can order by. Scale accepts any model field or related
/// path; these are the ones that mean something to a user, and the ones the
/// development server maps to SQL (anything else is refused with this list).
pub mod sort_fields {
    pub const ID: &str = "id";
    pub const STATUS: &str = "status";
    pub const PRIORITY: &str = "priority";
    pub const NUM_EXES: &str = "num_exes";
    pub const TIMEOUT: &str = "timeout";
    pub const MAX_TRIES: &str = "max_tries";
    pub const CPUS_REQUIRED: &str = "cpus_required";
    pub const MEM_REQUIRED: &str = "mem_required";
    pub const DISK_IN_REQUIRED: &str = "disk_in_required";
    pub const DISK_OUT_REQUIRED: &str = "disk_out_required";
    pub const IS_SUPERSEDED: &str = "is_superseded";
    pub const CREATED: &str = "created";
    pub const QUEUED: &str = "queued";
    pub const STARTED: &str = "started";
    pub const ENDED: &str = "ended";
    pub const LAST_STATUS_CHANGE: &str = "last_status_change";
    pub const SUPERSEDED: &str = "superseded";
    pub const LAST_MODIFIED: &str = "last_modified";
    pub const JOB_TYPE_ID: &str = "job_type__id";
    pub const JOB_TYPE_NAME: &str = "job_type__name";
    pub const JOB_TYPE_VERSION: &str = "job_type__version";
    pub const JOB_TYPE_TITLE: &str = "job_type__title";
    pub const JOB_TYPE_CATEGORY: &str = "job_type__category";
    pub const ERROR_CATEGORY: &str = "error__category";
    pub const ERROR_TITLE: &str = "error__title";

    /// Every accepted field, in the order error messages list them.
    pub const ALL: &[&str] = &[
        ID,
        STATUS,
        PRIORITY,
        NUM_EXES,
        TIMEOUT,
        MAX_TRIES,
        CPUS_REQUIRED,
        MEM_REQUIRED,
        DISK_IN_REQUIRED,
        DISK_OUT_REQUIRED,
        IS_SUPERSEDED,
        CREATED,
        QUEUED,
        STARTED,
        ENDED,
        LAST_STATUS_CHANGE,
        SUPERSEDED,
        LAST_MODIFIED,
        JOB_TYPE_ID,
        JOB_TYPE_NAME,
        JOB_TYPE_VERSION,
        JOB_TYPE_TITLE,
        JOB_TYPE_CATEGORY,
        ERROR_CATEGORY,
        ERROR_TITLE,
    ];

    pub fn is_known(field: &str) -> bool {
        ALL.contains(&field)
    }
}

/// One `order` value: a field and a direction.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SortOrder {
    pub field: String,
    pub descending: bool,
}

impl SortOrder {
    pub fn asc(field: &str) -> Self {
        SortOrder {
            field: field.to_string(),
            descending: false,
        }
    }

    pub fn desc(field: &str) -> Self {
        SortOrder {
            field: field.to_string(),
            descending: true,
        }
    }

    /// Parses `-last_modified` or `job_type__name`; the field must be one of
    /// [`sort_fields::ALL`].
    pub fn parse(s: &str) -> Result<SortOrder, QueryErrorKind> {
        let (descending, field) = match s.strip_prefix('-') {
            Some(f) => (true, f),
            None => (false, s),
        };
        if sort_fields::is_known(field) {
            Ok(SortOrder {
                field: field.to_string(),
                descending,
            })
        } else {
            Err(QueryErrorKind::InvalidOrder)
        }
    }
}

impl fmt::Display for SortOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.descending {
            f.write_str("-")?;
        }
        f.write_str(&self.field)
    }
}

/// What was wrong with a query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryErrorKind {
    InvalidInteger,
    InvalidBoolean,
    InvalidTimestamp,
    InvalidPage,
    InvalidPageSize,
    InvalidOrder,
}

/// A rejected query parameter: which one, its value, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub param: String,
    pub value: String,
    pub kind: QueryErrorKind,
}

impl fmt::Display for QueryError {
    /// Worded as Scale words its 400s where Scale has a message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            QueryErrorKind::InvalidInteger => {
                write!(f, "Parameter must be a valid integer: \"{}\"", self.param)
            }
            QueryErrorKind::InvalidBoolean => {
                write!(f, "Parameter must be a valid boolean: \"{}\"", self.param)
            }
            QueryErrorKind::InvalidTimestamp => write!(
                f,
                "Invalid ISO timestamp format for parameter: {}",
                self.param
            ),
            QueryErrorKind::InvalidPage => write!(
                f,
                "Invalid page {:?}: pages are whole numbers from 1",
                self.value
            ),
            QueryErrorKind::InvalidPageSize => write!(
                f,
                "Invalid page_size {:?}: it must be a whole number from 1 to {MAX_PAGE_SIZE}",
                self.value
            ),
            QueryErrorKind::InvalidOrder => write!(
                f,
                "Invalid order field {:?}. Allowed fields (prefix with - for descending): {}",
                self.value,
                sort_fields::ALL.join(", ")
            ),
        }
    }
}

impl std::error::Error for QueryError {}

/// Checks a `started`/`ended` pair as Scale does, at `now`.
pub fn check_time_range(
    started: Option<&TimeBound>,
    ended: Option<&TimeBound>,
    now: DateTime<Utc>,
) -> Result<(), &'static str> {
    if let (Some(s), Some(e)) = (started, ended) {
        let (s, e) = (s.resolve(now), e.resolve(now));
        if s == e {
            return Err("Start and end values must be different");
        }
        if s > e {
            return Err("Start time must come before end time");
        }
    }
    Ok(())
}

/// Parses Scale's boolean words (`true/t/1/false/f/0`, any case).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "t" | "1" => Some(true),
        "false" | "f" | "0" => Some(false),
        _ => None,
    }
}

/// The query of `GET /jobs/` and `GET /jobs/executions/`.
#[derive(Debug, Clone, PartialEq)]
pub struct JobsQuery {
    /// 1-based page number.
    pub page: u32,
    pub page_size: u32,
    pub started: Option<TimeBound>,
    pub ended: Option<TimeBound>,
    pub order: Vec<SortOrder>,
    pub status: Vec<JobStatus>,
    pub job_id: Vec<i64>,
    pub job_type_id: Vec<i64>,
    pub job_type_name: Vec<String>,
    pub job_type_category: Vec<String>,
    pub error_category: Vec<ErrorCategory>,
    pub include_superseded: bool,
}

impl Default for JobsQuery {
    fn default() -> Self {
        JobsQuery {
            page: 1,
            page_size: DEFAULT_PAGE_SIZE,
            started: None,
            ended: None,
            order: Vec::new(),
            status: Vec::new(),
            job_id: Vec::new(),
            job_type_id: Vec::new(),
            job_type_name: Vec::new(),
            job_type_category: Vec::new(),
            error_category: Vec::new(),
            include_superseded: false,
        }
    }
}

impl JobsQuery {
    /// Writes the query string (no leading `?`): repeated keys for lists,
    /// percent-encoded values (a `+` offset goes out as `%2B`), defaults
    /// omitted, keys in a fixed order so equal queries give equal text.
    pub fn to_query_string(&self) -> String {
        let mut w = QueryWriter::default();
        if self.page != 1 {
            w.pair("page", &self.page.to_string());
        }
        if self.page_size != DEFAULT_PAGE_SIZE {
            w.pair("page_size", &self.page_size.to_string());
        }
        if let Some(s) = &self.started {
            w.pair("started", &s.to_string());
        }
        if let Some(e) = &self.ended {
            w.pair("ended", &e.to_string());
        }
        for o in &self.order {
            w.pair("order", &o.to_string());
        }
        for s in &self.status {
            w.pair("status", s.as_str());
        }
        for id in &self.job_id {
            w.pair("job_id", &id.to_string());
        }
        for id in &self.job_type_id {
            w.pair("job_type_id", &id.to_string());
        }
        for n in &self.job_type_name {
            w.pair("job_type_name", n);
        }
        for c in &self.job_type_category {
            w.pair("job_type_category", c);
        }
        for c in &self.error_category {
            w.pair("error_category", c.as_str());
        }
        if self.include_superseded {
            w.pair("include_superseded", "true");
        }
        w.out
    }

    /// Parses a query string strictly: the first bad value is an error that
    /// names its parameter. Unknown parameters are ignored, as Scale does.
    pub fn from_query_string(s: &str) -> Result<JobsQuery, QueryError> {
        let (q, errors) = JobsQuery::parse_lenient(s);
        match errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(q),
        }
    }

    /// Parses a query string, keeping every good value and returning each
    /// bad one as an error: what a hand-edited browser URL needs (drop what
    /// is wrong, say so, show the rest).
    pub fn parse_lenient(s: &str) -> (JobsQuery, Vec<QueryError>) {
        let mut q = JobsQuery::default();
        let mut errors = Vec::new();
        let s = s.strip_prefix('?').unwrap_or(s);
        for (key, value) in form_urlencoded::parse(s.as_bytes()) {
            let err = |kind| QueryError {
                param: key.to_string(),
                value: value.to_string(),
                kind,
            };
            match key.as_ref() {
                "page" => match value.parse::<u32>() {
                    Ok(p) if p >= 1 => q.page = p,
                    _ => errors.push(err(QueryErrorKind::InvalidPage)),
                },
                "page_size" => match value.parse::<u32>() {
                    Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => q.page_size = n,
                    _ => errors.push(err(QueryErrorKind::InvalidPageSize)),
                },
                "started" | "ended" => match TimeBound::parse(&value) {
                    Ok(b) if key == "started" => q.started = Some(b),
                    Ok(b) => q.ended = Some(b),
                    Err(_) => errors.push(err(QueryErrorKind::InvalidTimestamp)),
                },
                "order" => match SortOrder::parse(&value) {
                    // A repeated field would be meaningless to the database;
                    // the first mention wins.
                    Ok(o) if q.order.iter().any(|x| x.field == o.field) => {}
                    Ok(o) => q.order.push(o),
                    Err(kind) => errors.push(err(kind)),
                },
                "status" => q.status.push(JobStatus::parse(&value)),
                "job_id" | "job_type_id" => match value.parse::<i64>() {
                    Ok(id) if key == "job_id" => q.job_id.push(id),
                    Ok(id) => q.job_type_id.push(id),
                    Err(_) => errors.push(err(QueryErrorKind::InvalidInteger)),
                },
                "job_type_name" => q.job_type_name.push(value.into_owned()),
                "job_type_category" => q.job_type_category.push(value.into_owned()),
                "error_category" => q.error_category.push(ErrorCategory::parse(&value)),
                "include_superseded" => match parse_bool(&value) {
                    Some(b) => q.include_superseded = b,
                    None => errors.push(err(QueryErrorKind::InvalidBoolean)),
                },
                _ => {}
            }
        }
        (q, errors)
    }

    /// The same query on page 1: what changing a filter must do.
    pub fn first_page(mut self) -> Self {
        self.page = 1;
        self
    }

    /// Whether any filter (not paging or order) is set.
    pub fn has_filters(&self) -> bool {
        self.started.is_some()
            || self.ended.is_some()
            || !self.status.is_empty()
            || !self.job_id.is_empty()
            || !self.job_type_id.is_empty()
            || !self.job_type_name.is_empty()
            || !self.job_type_category.is_empty()
            || !self.error_category.is_empty()
            || self.include_superseded
    }

    /// The query with every filter removed, keeping page size and order.
    pub fn without_filters(&self) -> Self {
        JobsQuery {
            page_size: self.page_size,
            order: self.order.clone(),
            ..JobsQuery::default()
        }
    }
}

/// The query of `GET /jobs/updates/`: the list query without `job_id` and
/// `error_category`, which Scale ignores on that endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdatesQuery {
    pub page: u32,
    pub page_size: u32,
    pub started: Option<TimeBound>,
    pub ended: Option<TimeBound>,
    pub order: Vec<SortOrder>,
    pub status: Vec<JobStatus>,
    pub job_type_id: Vec<i64>,
    pub job_type_name: Vec<String>,
    pub job_type_category: Vec<String>,
    pub include_superseded: bool,
}

impl Default for UpdatesQuery {
    fn default() -> Self {
        JobsQuery::default().into()
    }
}

impl From<JobsQuery> for UpdatesQuery {
    /// Drops `job_id` and `error_category`, as the endpoint does.
    fn from(q: JobsQuery) -> Self {
        UpdatesQuery {
            page: q.page,
            page_size: q.page_size,
            started: q.started,
            ended: q.ended,
            order: q.order,
            status: q.status,
            job_type_id: q.job_type_id,
            job_type_name: q.job_type_name,
            job_type_category: q.job_type_category,
            include_superseded: q.include_superseded,
        }
    }
}

impl From<UpdatesQuery> for JobsQuery {
    fn from(q: UpdatesQuery) -> Self {
        JobsQuery {
            page: q.page,
            page_size: q.page_size,
            started: q.started,
            ended: q.ended,
            order: q.order,
            status: q.status,
            job_type_id: q.job_type_id,
            job_type_name: q.job_type_name,
            job_type_category: q.job_type_category,
            include_superseded: q.include_superseded,
            ..JobsQuery::default()
        }
    }
}

impl UpdatesQuery {
    pub fn to_query_string(&self) -> String {
        JobsQuery::from(self.clone()).to_query_string()
    }

    pub fn from_query_string(s: &str) -> Result<UpdatesQuery, QueryError> {
        let (q, errors) = UpdatesQuery::parse_lenient(s);
        match errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(q),
        }
    }

    /// As [`JobsQuery::parse_lenient`]; `job_id` and `error_category` are
    /// ignored entirely (even bad values), as Scale ignores them here.
    pub fn parse_lenient(s: &str) -> (UpdatesQuery, Vec<QueryError>) {
        let (q, errors) = JobsQuery::parse_lenient(s);
        let errors = errors
            .into_iter()
            .filter(|e| e.param != "job_id" && e.param != "error_category")
            .collect();
        (q.into(), errors)
    }
}

/// Percent-encodes query keys and values. Keeps `:` and `,` readable (they
/// are legal in a query), encodes `+` as `%2B` (a raw `+` decodes to a space,
/// which Scale then rejects) and everything outside the unreserved set.
#[derive(Default)]
struct QueryWriter {
    out: String,
}

impl QueryWriter {
    fn pair(&mut self, key: &str, value: &str) {
        if !self.out.is_empty() {
            self.out.push('&');
        }
        encode_into(&mut self.out, key);
        self.out.push('=');
        encode_into(&mut self.out, value);
    }
}

/// Encodes one query component (see [`QueryWriter`]).
pub fn encode_query_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    encode_into(&mut out, s);
    out
}

fn encode_into(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':' | b',') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::IsoDuration;
    use proptest::prelude::*;

    #[test]
    fn writes_repeated_keys_and_omits_defaults() {
        assert_eq!(JobsQuery::default().to_query_string(), "");
        let q = JobsQuery {
            page: 2,
            page_size: 50,
            status: vec![JobStatus::Running, JobStatus::Failed],
            order: vec![
                SortOrder::desc("last_modified"),
                SortOrder::asc("job_type__name"),
            ],
            ..Default::default()
        };
        assert_eq!(
            q.to_query_string(),
            "page=2&page_size=50&order=-last_modified&order=job_type__name&status=RUNNING&status=FAILED"
        );
    }

    #[test]
    fn plus_offset_is_encoded() {
        let q = JobsQuery {
            started: Some(TimeBound::parse("2026-11-28T19:56:50+05:30").unwrap()),
            ..Default::default()
        };
        assert_eq!(q.to_query_string(), "started=2026-11-28T19:56:50%2B05:30");
        assert_eq!(
            JobsQuery::from_query_string(&q.to_query_string()).unwrap(),
            q
        );
    }

    #[test]
    fn unencoded_plus_is_rejected_like_scale() {
        let err = JobsQuery::from_query_string("started=2026-11-27T00:00:00+00:00").unwrap_err();
        assert_eq!(err.param, "started");
        assert_eq!(
            err.to_string(),
            "Invalid ISO timestamp format for parameter: started"
        );
    }

    #[test]
    fn bad_values_name_their_parameter() {
        for (qs, param, msg) in [
            (
                "job_id=abc",
                "job_id",
                "Parameter must be a valid integer: \"job_id\"",
            ),
            (
                "job_type_id=1.5",
                "job_type_id",
                "Parameter must be a valid integer: \"job_type_id\"",
            ),
            (
                "job_type_id=",
                "job_type_id",
                "Parameter must be a valid integer: \"job_type_id\"",
            ),
            (
                "include_superseded=yes",
                "include_superseded",
                "Parameter must be a valid boolean: \"include_superseded\"",
            ),
            (
                "ended=2026-13-45T00:00:00Z",
                "ended",
                "Invalid ISO timestamp format for parameter: ended",
            ),
        ] {
            let e = JobsQuery::from_query_string(qs).unwrap_err();
            assert_eq!(e.param, param);
            assert_eq!(e.to_string(), msg);
        }
        let e = JobsQuery::from_query_string("order=foo").unwrap_err();
        assert!(e.to_string().contains("last_modified"), "{e}");
        assert!(JobsQuery::from_query_string("page=0").is_err());
        assert!(JobsQuery::from_query_string("page_size=1001").is_err());
    }

    #[test]
    fn lenient_parse_keeps_good_values() {
        let (q, errs) = JobsQuery::parse_lenient(
            "?status=RUNNING&page=zz&order=nope&order=-id&job_id=7&foo=bar",
        );
        assert_eq!(q.status, vec![JobStatus::Running]);
        assert_eq!(q.order, vec![SortOrder::desc("id")]);
        assert_eq!(q.job_id, vec![7]);
        assert_eq!(q.page, 1);
        let params: Vec<_> = errs.iter().map(|e| e.param.as_str()).collect();
        assert_eq!(params, ["page", "order"]);
    }

    #[test]
    fn include_superseded_any_case() {
        for v in ["true", "True", "T", "1"] {
            assert!(
                JobsQuery::from_query_string(&format!("include_superseded={v}"))
                    .unwrap()
                    .include_superseded
            );
        }
        for v in ["false", "F", "0"] {
            assert!(
                !JobsQuery::from_query_string(&format!("include_superseded={v}"))
                    .unwrap()
                    .include_superseded
            );
        }
    }

    #[test]
    fn updates_query_ignores_job_id_and_error_category() {
        let q = UpdatesQuery::from_query_string("job_id=abc&error_category=DATA&status=QUEUED")
            .unwrap();
        assert_eq!(q.status, vec![JobStatus::Queued]);
        assert_eq!(q.to_query_string(), "status=QUEUED");
    }

    #[test]
    fn time_range_rules() {
        let now = DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let a = TimeBound::parse("2026-11-28T07:56:50.466Z").unwrap();
        let b = TimeBound::parse("2026-11-27T07:56:50.466Z").unwrap();
        assert_eq!(
            check_time_range(Some(&a), Some(&a), now),
            Err("Start and end values must be different")
        );
        assert_eq!(
            check_time_range(Some(&a), Some(&b), now),
            Err("Start time must come before end time")
        );
        assert_eq!(check_time_range(Some(&b), Some(&a), now), Ok(()));
        let h = TimeBound::Ago(IsoDuration::hours(1.0));
        let d = TimeBound::Ago(IsoDuration::days(1.0));
        assert_eq!(
            check_time_range(Some(&h), Some(&d), now),
            Err("Start time must come before end time")
        );
    }

    #[test]
    fn encoder_keeps_query_readable_and_safe() {
        assert_eq!(
            encode_query_component("a b+c&d=e#f%"),
            "a%20b%2Bc%26d%3De%23f%25"
        );
        assert_eq!(
            encode_query_component("2026-11-28T19:56:50Z"),
            "2026-11-28T19:56:50Z"
        );
        assert_eq!(encode_query_component("ünï"), "%C3%BCn%C3%AF");
    }

    fn arb_bound() -> impl Strategy<Value = Option<TimeBound>> {
        prop_oneof![
            Just(None),
            (0i64..4_000_000_000, 0u32..1_000_000).prop_map(|(s, us)| Some(TimeBound::at_utc(
                DateTime::<Utc>::from_timestamp(s, us * 1000).unwrap()
            ))),
            (0u32..100, 0u32..48).prop_map(|(d, h)| Some(TimeBound::Ago(IsoDuration {
                days: d as f64,
                hours: h as f64,
                ..Default::default()
            }))),
        ]
    }

    fn arb_status() -> impl Strategy<Value = JobStatus> {
        prop_oneof![
            proptest::sample::select(JobStatus::ALL.to_vec()),
            "[A-Za-z_ +&=%]{1,10}".prop_map(|s| JobStatus::parse(&s)),
        ]
    }

    prop_compose! {
        fn arb_query()(
            page in 1u32..10_000,
            page_size in 1u32..=MAX_PAGE_SIZE,
            started in arb_bound(),
            ended in arb_bound(),
            order in proptest::sample::subsequence(sort_fields::ALL.to_vec(), 0..4)
                .prop_flat_map(|fs| {
                    let n = fs.len();
                    (Just(fs), proptest::collection::vec(any::<bool>(), n))
                }),
            status in proptest::collection::vec(arb_status(), 0..4),
            job_id in proptest::collection::vec(any::<i64>(), 0..3),
            job_type_id in proptest::collection::vec(any::<i64>(), 0..3),
            job_type_name in proptest::collection::vec("\\PC{0,12}", 0..3),
            job_type_category in proptest::collection::vec("\\PC{0,12}", 0..3),
            error_category in proptest::collection::vec("[A-Z]{1,9}", 0..3),
            include_superseded in any::<bool>(),
        ) -> JobsQuery {
            let (fields, dirs) = order;
            JobsQuery {
                page, page_size, started, ended,
                order: fields.iter().zip(dirs).map(|(f, d)| SortOrder { field: f.to_string(), descending: d }).collect(),
                status, job_id, job_type_id, job_type_name, job_type_category,
                error_category: error_category.iter().map(|c| ErrorCategory::parse(c)).collect(),
                include_superseded,
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn query_round_trip(q in arb_query()) {
            let text = q.to_query_string();
            let back = JobsQuery::from_query_string(&text)
                .map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            prop_assert_eq!(back.to_query_string(), text);
            prop_assert_eq!(back, q);
        }

        #[test]
        fn updates_round_trip(q in arb_query()) {
            let u = UpdatesQuery::from(q);
            let back = UpdatesQuery::from_query_string(&u.to_query_string()).unwrap();
            prop_assert_eq!(back, u);
        }

        #[test]
        fn parser_never_panics(s in "\\PC{0,80}") {
            let _ = JobsQuery::parse_lenient(&s);
            let _ = UpdatesQuery::parse_lenient(&s);
        }
    }
}
