//! SQLite storage: schema, the one place list filters and orders become SQL,
//! row-to-model conversion, and the transactional cancel.
//!
//! Layout choices, and why:
//! - Every field a list can filter or sort on is a real column of `jobs`
//!   with an index, including denormalized copies of the job type's name,
//!   version, title and category and the error's category and title. Job
//!   types and errors never change here, so the copies cannot go stale, and a
//!   page of 100 over 100,000 jobs needs no join to filter or sort.
//! - Times are integers (microseconds since the epoch, UTC): compact, exact,
//!   and they sort and compare as numbers.
//! - The small, fixed reference tables (job types, revisions, rules, errors,
//!   nodes, workspaces, recipe types) hold the shared crate's models as JSON
//!   and are loaded once into a [`Catalog`]; rows refer to them by id.
//! - SQL is only ever built from fixed fragments; every value is a bound
//!   parameter.
//!
//! Connections: one writer (behind a mutex, transactions `BEGIN IMMEDIATE`)
//! and a small pool of readers. A file database runs in WAL mode so readers
//! never wait for the writer. The in-memory database is SQLite's `memdb` VFS
//! under a process-unique name, so the same pool of connections shares it.

use chrono::{DateTime, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, TransactionBehavior};
use scale_jobs_shared::{
    sort_fields, IdRef, IoValue, Job, JobDetails, JobError, JobExecution, JobIo, JobStatus,
    JobType, JobTypeRevision, Node, Recipe, RecipeType, RecipeTypeRevision, ScaleFile, SortOrder,
    Timestamp, TriggerEvent, TriggerRule, Workspace,
};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Mutex, MutexGuard};

pub type Result<T, E = rusqlite::Error> = std::result::Result<T, E>;

/// Microseconds since the epoch, UTC: how every time is stored.
pub type Micros = i64;

pub fn to_micros(t: DateTime<Utc>) -> Micros {
    t.timestamp_micros()
}

pub fn ts(m: Micros) -> Timestamp {
    Timestamp(DateTime::<Utc>::from_timestamp_micros(m).unwrap_or_default())
}

fn opt_ts(m: Option<Micros>) -> Option<Timestamp> {
    m.map(ts)
}

/// Bumped whenever [`SCHEMA`] changes, so an old database file is refused
/// with a clear message instead of failing on its first query.
pub const SCHEMA_VERSION: &str = "1";

pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS job_types (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS job_type_revisions (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trigger_rules (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS errors (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS nodes (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workspaces (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS recipe_types (id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trigger_events (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    rule_id INTEGER,
    occurred INTEGER NOT NULL,
    description TEXT
);
CREATE TABLE IF NOT EXISTS recipes (
    id INTEGER PRIMARY KEY,
    recipe_type_id INTEGER NOT NULL,
    recipe_type_rev_id INTEGER NOT NULL,
    revision_num INTEGER NOT NULL,
    event_id INTEGER,
    is_superseded INTEGER NOT NULL,
    root_superseded_recipe_id INTEGER,
    superseded_recipe_id INTEGER,
    superseded_by_recipe_id INTEGER,
    created INTEGER NOT NULL,
    completed INTEGER,
    superseded INTEGER,
    last_modified INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS recipe_jobs (
    job_id INTEGER NOT NULL,
    recipe_id INTEGER NOT NULL,
    PRIMARY KEY (job_id, recipe_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    data_type TEXT NOT NULL,
    url TEXT NOT NULL,
    created INTEGER NOT NULL,
    data_started INTEGER,
    data_ended INTEGER,
    geometry TEXT,
    center_point TEXT,
    meta_data TEXT,
    countries TEXT NOT NULL,
    product INTEGER NOT NULL,
    job_type_id INTEGER,
    job_id INTEGER,
    job_exe_id INTEGER
);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    job_type_id INTEGER NOT NULL,
    job_type_rev_id INTEGER NOT NULL,
    jt_name TEXT NOT NULL,
    jt_version TEXT NOT NULL,
    jt_title TEXT,
    jt_category TEXT,
    event_id INTEGER,
    error_id INTEGER,
    error_category TEXT,
    error_title TEXT,
    status TEXT NOT NULL,
    priority INTEGER NOT NULL,
    num_exes INTEGER NOT NULL,
    timeout INTEGER NOT NULL,
    max_tries INTEGER NOT NULL,
    cpus_required REAL NOT NULL,
    mem_required REAL NOT NULL,
    disk_in_required REAL NOT NULL,
    disk_out_required REAL NOT NULL,
    is_superseded INTEGER NOT NULL,
    root_superseded_job_id INTEGER,
    superseded_job_id INTEGER,
    superseded_by_job_id INTEGER,
    delete_superseded INTEGER NOT NULL,
    created INTEGER NOT NULL,
    queued INTEGER,
    started INTEGER,
    ended INTEGER,
    last_status_change INTEGER NOT NULL,
    superseded INTEGER,
    last_modified INTEGER NOT NULL,
    data TEXT NOT NULL,
    results TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS job_exes (
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    command_arguments TEXT,
    timeout INTEGER,
    pre_started INTEGER,
    pre_completed INTEGER,
    pre_exit_code INTEGER,
    job_started INTEGER,
    job_completed INTEGER,
    job_exit_code INTEGER,
    post_started INTEGER,
    post_completed INTEGER,
    post_exit_code INTEGER,
    created INTEGER NOT NULL,
    queued INTEGER,
    started INTEGER,
    ended INTEGER,
    last_modified INTEGER NOT NULL,
    node_id INTEGER,
    error_id INTEGER
);
"#;

/// Indexes, created after a bulk load (building them once is much faster
/// than maintaining them row by row); see [`index_sql`].
const FIXED_INDEXES: &str = r#"
CREATE INDEX IF NOT EXISTS job_exes_job ON job_exes (job_id);
CREATE INDEX IF NOT EXISTS recipe_jobs_recipe ON recipe_jobs (recipe_id);
"#;

/// Columns lists filter on by equality; each gets `(col, last_modified)`
/// indexes (with and without a leading `is_superseded`), so a filter with a
/// time range and the default order walks one index range.
const FILTER_COLUMNS: &[&str] = &[
    "status",
    "job_type_id",
    "jt_name",
    "jt_category",
    "error_category",
];

/// Sort fields that also get an index over all rows (for
/// `include_superseded=true`); the rest sort their matches in memory then.
/// (Few: each index costs load time, and `status` and the job type name
/// have filter indexes that lead with them.)
const ALL_ROWS_INDEXED: &[&str] = &[
    sort_fields::LAST_MODIFIED,
    sort_fields::LAST_STATUS_CHANGE,
    sort_fields::CREATED,
];

/// Sort fields with many ties (a handful of distinct values) that also get
/// an index over `(is_superseded, key, last_modified)`, so the two-field
/// order "by this, then newest first" (`order=-priority&order=-last_modified`)
/// walks an index too. Without it SQLite sorts the whole first group of
/// ties by `last_modified`, looking each row up in the table (~9 ms for
/// the ~5,000 jobs of the top priority in the 100,000 demo jobs). The
/// one-field index stays: with `id` as the tiebreaker a one-field order
/// walks it without any sort. (Status and the job type name have such
/// indexes already: their filter indexes.)
const THEN_LAST_MODIFIED: &[&str] = &[sort_fields::PRIORITY];

/// The index key of a sort field: its column, with a leading `(col IS
/// NULL)` for nullable columns so PostgreSQL's NULL placement can walk the
/// index too, and the version after the name (they are sorted together).
fn index_key(field: &str) -> Option<String> {
    let (col, nullable) = sort_column(field)?;
    let col = col.trim_start_matches("j.");
    Some(match (field, nullable) {
        (sort_fields::JOB_TYPE_NAME, _) => "jt_name, jt_version".to_string(),
        (_, true) => format!("({col} IS NULL), {col}"),
        (_, false) => col.to_string(),
    })
}

/// Every index. For each sort field one over `(is_superseded, key)`, so
/// the default list (superseded hidden) finds its page by walking one
/// covering index whatever the order; SQLite appends the rowid (`id`) to
/// every index, which makes the `id` tiebreaker free. Without these,
/// SQLite prefers the `is_superseded` equality and sorts every row. The
/// filter indexes lead with `is_superseded` too, so the planner picks them
/// by their number of equality terms, without needing exact statistics.
pub fn index_sql() -> String {
    let mut sql = String::from(FIXED_INDEXES);
    for col in FILTER_COLUMNS {
        sql.push_str(&format!(
            "CREATE INDEX IF NOT EXISTS jobs_vf_{col} ON jobs (is_superseded, {col}, last_modified);\n\
             CREATE INDEX IF NOT EXISTS jobs_af_{col} ON jobs ({col}, last_modified);\n"
        ));
    }
    for field in sort_fields::ALL {
        // `id` is the rowid; the filter indexes already lead with these.
        if [
            sort_fields::ID,
            sort_fields::IS_SUPERSEDED,
            sort_fields::STATUS,
            sort_fields::JOB_TYPE_ID,
        ]
        .contains(field)
        {
            continue;
        }
        let Some(key) = index_key(field) else {
            continue;
        };
        let name = field.replace("__", "_");
        sql.push_str(&format!(
            "CREATE INDEX IF NOT EXISTS jobs_v_{name} ON jobs (is_superseded, {key});\n"
        ));
        if THEN_LAST_MODIFIED.contains(field) {
            sql.push_str(&format!(
                "CREATE INDEX IF NOT EXISTS jobs_v_{name}_lm ON jobs (is_superseded, {key}, last_modified);\n"
            ));
        }
        if ALL_ROWS_INDEXED.contains(field) {
            sql.push_str(&format!(
                "CREATE INDEX IF NOT EXISTS jobs_a_{name} ON jobs ({key});\n"
            ));
        }
    }
    sql
}

/// The fixed reference data, loaded once: rows only carry ids into it.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    /// Long (details) form.
    pub job_types: HashMap<i64, JobType>,
    /// With interface and created.
    pub revisions: HashMap<i64, JobTypeRevision>,
    /// With name and configuration.
    pub rules: HashMap<i64, TriggerRule>,
    /// With created and last_modified.
    pub errors: HashMap<i64, JobError>,
    pub nodes: HashMap<i64, Node>,
    pub workspaces: HashMap<i64, Workspace>,
    pub recipe_types: HashMap<i64, RecipeType>,
}

fn load_table<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    table: &str,
) -> Result<HashMap<i64, T>> {
    // `table` is one of the fixed names below, never request data.
    let mut stmt = conn.prepare(&format!("SELECT id, json FROM {table}"))?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = HashMap::new();
    for row in rows {
        let (id, json) = row?;
        let v = serde_json::from_str(&json).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
        })?;
        out.insert(id, v);
    }
    Ok(out)
}

impl Catalog {
    pub fn load(conn: &Connection) -> Result<Catalog> {
        Ok(Catalog {
            job_types: load_table(conn, "job_types")?,
            revisions: load_table(conn, "job_type_revisions")?,
            rules: load_table(conn, "trigger_rules")?,
            errors: load_table(conn, "errors")?,
            nodes: load_table(conn, "nodes")?,
            workspaces: load_table(conn, "workspaces")?,
            recipe_types: load_table(conn, "recipe_types")?,
        })
    }

    /// The job type as lists show it (no docker, resources or times).
    pub fn job_type_short(&self, id: i64) -> JobType {
        match self.job_types.get(&id) {
            Some(t) => JobType {
                id: t.id,
                name: t.name.clone(),
                version: t.version.clone(),
                title: t.title.clone(),
                description: t.description.clone(),
                category: t.category.clone(),
                author_name: t.author_name.clone(),
                author_url: t.author_url.clone(),
                is_system: t.is_system,
                is_long_running: t.is_long_running,
                is_active: t.is_active,
                is_operational: t.is_operational,
                is_paused: t.is_paused,
                icon_code: t.icon_code.clone(),
                ..JobType::default()
            },
            None => JobType {
                id,
                ..JobType::default()
            },
        }
    }

    /// The error as lists show it (no created/last_modified).
    pub fn error_short(&self, id: i64) -> JobError {
        match self.errors.get(&id) {
            Some(e) => JobError {
                created: None,
                last_modified: None,
                ..e.clone()
            },
            None => JobError {
                id,
                ..JobError::default()
            },
        }
    }

    pub fn error_long(&self, id: i64) -> JobError {
        self.errors.get(&id).cloned().unwrap_or(JobError {
            id,
            ..JobError::default()
        })
    }

    /// A node with its hostname (Scale's job lists give `{id}` only; the
    /// hostname is what a person wants to see, and the model allows it).
    pub fn node(&self, id: i64) -> Node {
        match self.nodes.get(&id) {
            Some(n) => Node {
                id,
                hostname: n.hostname.clone(),
                ..Node::default()
            },
            None => Node {
                id,
                ..Node::default()
            },
        }
    }
}

// ---------------------------------------------------------------------------
// Filters and orders: the one place query parameters become SQL.

/// What a list request selects. Built from the shared query types by the
/// API layer; turned into a `WHERE` clause here and nowhere else.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Inclusive bounds on `last_modified`.
    pub modified_from: Option<Micros>,
    pub modified_to: Option<Micros>,
    pub status: Vec<String>,
    pub job_id: Vec<i64>,
    pub job_type_id: Vec<i64>,
    pub job_type_name: Vec<String>,
    pub job_type_category: Vec<String>,
    pub error_category: Vec<String>,
    pub include_superseded: bool,
}

impl Filter {
    /// `WHERE ...` (or empty) over table alias `j`, and its parameters.
    /// A repeated parameter ORs its values (`IN`), different ones AND.
    pub fn to_sql(&self) -> (String, Vec<SqlValue>) {
        let mut clauses: Vec<String> = Vec::new();
        let mut params: Vec<SqlValue> = Vec::new();
        if let Some(from) = self.modified_from {
            clauses.push("j.last_modified >= ?".into());
            params.push(SqlValue::Integer(from));
        }
        if let Some(to) = self.modified_to {
            clauses.push("j.last_modified <= ?".into());
            params.push(SqlValue::Integer(to));
        }
        fn any_of<T: Clone>(
            clauses: &mut Vec<String>,
            params: &mut Vec<SqlValue>,
            column: &str,
            values: &[T],
            to_value: impl Fn(T) -> SqlValue,
        ) {
            if values.is_empty() {
                return;
            }
            let marks = vec!["?"; values.len()].join(", ");
            clauses.push(format!("{column} IN ({marks})"));
            params.extend(values.iter().cloned().map(to_value));
        }
        any_of(
            &mut clauses,
            &mut params,
            "j.status",
            &self.status,
            SqlValue::Text,
        );
        any_of(
            &mut clauses,
            &mut params,
            "j.id",
            &self.job_id,
            SqlValue::Integer,
        );
        any_of(
            &mut clauses,
            &mut params,
            "j.job_type_id",
            &self.job_type_id,
            SqlValue::Integer,
        );
        any_of(
            &mut clauses,
            &mut params,
            "j.jt_name",
            &self.job_type_name,
            SqlValue::Text,
        );
        any_of(
            &mut clauses,
            &mut params,
            "j.jt_category",
            &self.job_type_category,
            SqlValue::Text,
        );
        any_of(
            &mut clauses,
            &mut params,
            "j.error_category",
            &self.error_category,
            SqlValue::Text,
        );
        if !self.include_superseded {
            clauses.push("j.is_superseded = 0".into());
        }
        if clauses.is_empty() {
            (String::new(), params)
        } else {
            (format!(" WHERE {}", clauses.join(" AND ")), params)
        }
    }
}

/// Maps an `order` field (already checked against [`sort_fields::ALL`]) to
/// its column, and whether the column can be NULL.
pub fn sort_column(field: &str) -> Option<(&'static str, bool)> {
    use sort_fields as f;
    Some(match field {
        f::ID => ("j.id", false),
        f::STATUS => ("j.status", false),
        f::PRIORITY => ("j.priority", false),
        f::NUM_EXES => ("j.num_exes", false),
        f::TIMEOUT => ("j.timeout", false),
        f::MAX_TRIES => ("j.max_tries", false),
        f::CPUS_REQUIRED => ("j.cpus_required", false),
        f::MEM_REQUIRED => ("j.mem_required", false),
        f::DISK_IN_REQUIRED => ("j.disk_in_required", false),
        f::DISK_OUT_REQUIRED => ("j.disk_out_required", false),
        f::IS_SUPERSEDED => ("j.is_superseded", false),
        f::CREATED => ("j.created", false),
        f::QUEUED => ("j.queued", true),
        f::STARTED => ("j.started", true),
        f::ENDED => ("j.ended", true),
        f::LAST_STATUS_CHANGE => ("j.last_status_change", false),
        f::SUPERSEDED => ("j.superseded", true),
        f::LAST_MODIFIED => ("j.last_modified", false),
        f::JOB_TYPE_ID => ("j.job_type_id", false),
        f::JOB_TYPE_NAME => ("j.jt_name", false),
        f::JOB_TYPE_VERSION => ("j.jt_version", false),
        f::JOB_TYPE_TITLE => ("j.jt_title", true),
        f::JOB_TYPE_CATEGORY => ("j.jt_category", true),
        f::ERROR_CATEGORY => ("j.error_category", true),
        f::ERROR_TITLE => ("j.error_title", true),
        _ => return None,
    })
}

/// `ORDER BY ...` for the requested orders (or `default` ascending when
/// none), with `id` as the final tiebreaker so paging is stable. NULLs sort
/// as in PostgreSQL (Scale's database): last ascending, first descending,
/// written as a leading `(col IS NULL)` term that matches the indexes. The
/// tiebreaker follows the last term's direction so a descending order can
/// walk its index backwards instead of sorting.
pub fn order_sql(order: &[SortOrder], default: &str) -> String {
    let fallback = [SortOrder::asc(default)];
    let order = if order.is_empty() {
        &fallback[..]
    } else {
        order
    };
    let mut parts = Vec::new();
    let mut has_id = false;
    let mut last_desc = false;
    for o in order {
        let Some((col, nullable)) = sort_column(&o.field) else {
            continue;
        };
        has_id |= col == "j.id";
        let dir = if o.descending { "DESC" } else { "ASC" };
        if nullable {
            parts.push(format!("({col} IS NULL) {dir}"));
        }
        parts.push(format!("{col} {dir}"));
        last_desc = o.descending;
    }
    if !has_id {
        parts.push(if last_desc { "j.id DESC" } else { "j.id ASC" }.into());
    }
    format!(" ORDER BY {}", parts.join(", "))
}

/// Which extra field a list entry carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// `/jobs/`.
    Jobs,
    /// `/jobs/updates/`: `input_files`.
    Updates,
    /// `/jobs/executions/`: `latest_job_exe`.
    Executions,
}

// ---------------------------------------------------------------------------
// Connections.

static MEMDB_COUNTER: AtomicU64 = AtomicU64::new(0);

pub struct Db {
    uri: String,
    /// The file, if any (for messages).
    pub path: Option<PathBuf>,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    pub catalog: Catalog,
    /// Bumped after every use of the writer ([`Db::write`]): a count taken
    /// at an older generation may be stale.
    generation: AtomicU64,
    counts: Mutex<CountCache>,
}

/// List counts by filter (its SQL and parameters), all taken at one
/// generation. A count over the default list walks ~100,000 index entries
/// (a few ms, most of a page request); the console asks the same counts
/// again and again between writes.
#[derive(Default)]
struct CountCache {
    generation: u64,
    by_filter: HashMap<String, u64>,
}

/// Distinct filters kept per generation; beyond this the cache starts
/// afresh (time-range filters make new keys as the clock moves).
const CACHED_COUNTS: usize = 256;

/// Readers kept open between requests; more are opened under load and
/// closed when returned beyond this.
const IDLE_READERS: usize = 8;

fn configure(conn: &Connection, file: bool) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.set_prepared_statement_cache_capacity(64);
    if file {
        // WAL: readers never block on the writer; NORMAL is durable enough
        // for a development server and much faster.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
    }
    Ok(())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave SQLite inconsistent (the
    // transaction is rolled back on drop), so a poisoned lock is usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Db {
    /// Opens (creating if needed) the database at `path`, or a fresh
    /// in-memory one. The schema is created; data and catalog are not
    /// loaded: call [`Db::job_count`], fill it if empty, then
    /// [`Db::finish_open`].
    pub fn open(path: Option<&Path>) -> Result<Db> {
        let uri = match path {
            Some(p) => p.to_string_lossy().into_owned(),
            None => format!(
                "file:/scale-jobs-{}-{}?vfs=memdb",
                std::process::id(),
                MEMDB_COUNTER.fetch_add(1, AtomicOrdering::Relaxed)
            ),
        };
        let writer = Connection::open(&uri)?;
        configure(&writer, path.is_some())?;
        writer.execute_batch(SCHEMA)?;
        Ok(Db {
            uri,
            path: path.map(Path::to_path_buf),
            writer: Mutex::new(writer),
            readers: Mutex::new(Vec::new()),
            catalog: Catalog::default(),
            generation: AtomicU64::new(0),
            counts: Mutex::new(CountCache::default()),
        })
    }

    /// Builds indexes and loads the catalog.
    pub fn finish_open(&mut self) -> Result<()> {
        let w = lock(&self.writer);
        w.execute_batch(&index_sql())?;
        // Sampled statistics: enough for the planner to prefer a selective
        // filter index, at a fraction of a full ANALYZE's cost.
        w.pragma_update(None, "analysis_limit", 1000)?;
        w.execute_batch("ANALYZE")?;
        let catalog = Catalog::load(&w)?;
        drop(w);
        self.catalog = catalog;
        Ok(())
    }

    pub fn job_count(&self) -> Result<i64> {
        lock(&self.writer).query_row("SELECT COUNT(*) FROM jobs", [], |r| r.get(0))
    }

    /// The schema version a file was written with (`None` before any data).
    pub fn schema_version(&self) -> Result<Option<String>> {
        lock(&self.writer)
            .query_row(
                "SELECT value FROM meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
    }

    /// Runs `f` on a reader connection.
    pub fn read<T>(&self, f: impl FnOnce(&Connection, &Catalog) -> Result<T>) -> Result<T> {
        let conn = match lock(&self.readers).pop() {
            Some(c) => c,
            None => {
                let c = Connection::open(&self.uri)?;
                configure(&c, false)?;
                c
            }
        };
        let out = f(&conn, &self.catalog);
        let mut pool = lock(&self.readers);
        if pool.len() < IDLE_READERS {
            pool.push(conn);
        }
        out
    }

    /// Runs `f` on the writer connection (one writer at a time). Every
    /// write to the jobs goes through here (cancel, the simulator, demo
    /// data), so the cached counts are dropped after each: the generation
    /// moves once `f` has committed, while the lock is still held.
    pub fn write<T>(&self, f: impl FnOnce(&mut Connection, &Catalog) -> Result<T>) -> Result<T> {
        let mut w = lock(&self.writer);
        let out = f(&mut w, &self.catalog);
        self.generation.fetch_add(1, AtomicOrdering::AcqRel);
        out
    }

    /// `COUNT(*)` for a filter, from the cache when nothing was written
    /// since it was taken. Only this process writes to the database (a
    /// file used by another writer at the same time is not supported).
    ///
    /// The generation is read before counting: a write that commits during
    /// the count bumps it afterwards, so that count is filed under the old
    /// generation and never served after the write.
    pub fn count_jobs(&self, conn: &Connection, filter: &Filter) -> Result<u64> {
        let (where_sql, params) = filter.to_sql();
        let key = format!("{where_sql}\u{0}{params:?}");
        let generation = self.generation.load(AtomicOrdering::Acquire);
        {
            let cache = lock(&self.counts);
            if cache.generation == generation {
                if let Some(&n) = cache.by_filter.get(&key) {
                    return Ok(n);
                }
            }
        }
        let n = count_where(conn, &where_sql, params)?;
        let mut cache = lock(&self.counts);
        if cache.generation < generation || cache.by_filter.len() >= CACHED_COUNTS {
            cache.by_filter.clear();
            cache.generation = cache.generation.max(generation);
        }
        if cache.generation == generation {
            cache.by_filter.insert(key, n);
        }
        Ok(n)
    }
}

// ---------------------------------------------------------------------------
// Reading jobs.

/// The job columns every form needs, over alias `j` joined with the event
/// `e`. Keep in step with [`JobRow::from_row`].
const JOB_COLUMNS: &str = "j.id, j.job_type_id, j.job_type_rev_id, j.event_id, e.type, e.rule_id, \
     e.occurred, j.error_id, j.status, j.priority, j.num_exes, j.timeout, j.max_tries, \
     j.cpus_required, j.mem_required, j.disk_in_required, j.disk_out_required, j.is_superseded, \
     j.root_superseded_job_id, j.superseded_job_id, j.superseded_by_job_id, j.delete_superseded, \
     j.created, j.queued, j.started, j.ended, j.last_status_change, j.superseded, j.last_modified";

const JOB_FROM: &str = " FROM jobs j LEFT JOIN trigger_events e ON e.id = j.event_id";

#[derive(Debug, Clone)]
struct JobRow {
    id: i64,
    job_type_id: i64,
    job_type_rev_id: i64,
    event_id: Option<i64>,
    event_type: Option<String>,
    event_rule_id: Option<i64>,
    event_occurred: Option<Micros>,
    error_id: Option<i64>,
    status: String,
    priority: i64,
    num_exes: i64,
    timeout: i64,
    max_tries: i64,
    cpus_required: f64,
    mem_required: f64,
    disk_in_required: f64,
    disk_out_required: f64,
    is_superseded: bool,
    root_superseded_job_id: Option<i64>,
    superseded_job_id: Option<i64>,
    superseded_by_job_id: Option<i64>,
    delete_superseded: bool,
    created: Micros,
    queued: Option<Micros>,
    started: Option<Micros>,
    ended: Option<Micros>,
    last_status_change: Micros,
    superseded: Option<Micros>,
    last_modified: Micros,
}

impl JobRow {
    fn from_row(r: &Row<'_>) -> Result<JobRow> {
        Ok(JobRow {
            id: r.get(0)?,
            job_type_id: r.get(1)?,
            job_type_rev_id: r.get(2)?,
            event_id: r.get(3)?,
            event_type: r.get(4)?,
            event_rule_id: r.get(5)?,
            event_occurred: r.get(6)?,
            error_id: r.get(7)?,
            status: r.get(8)?,
            priority: r.get(9)?,
            num_exes: r.get(10)?,
            timeout: r.get(11)?,
            max_tries: r.get(12)?,
            cpus_required: r.get(13)?,
            mem_required: r.get(14)?,
            disk_in_required: r.get(15)?,
            disk_out_required: r.get(16)?,
            is_superseded: r.get(17)?,
            root_superseded_job_id: r.get(18)?,
            superseded_job_id: r.get(19)?,
            superseded_by_job_id: r.get(20)?,
            delete_superseded: r.get(21)?,
            created: r.get(22)?,
            queued: r.get(23)?,
            started: r.get(24)?,
            ended: r.get(25)?,
            last_status_change: r.get(26)?,
            superseded: r.get(27)?,
            last_modified: r.get(28)?,
        })
    }

    fn event_short(&self) -> Option<TriggerEvent> {
        self.event_id.map(|id| TriggerEvent {
            id,
            kind: self.event_type.clone(),
            rule: self.event_rule_id.map(|id| TriggerRule {
                id,
                ..TriggerRule::default()
            }),
            occurred: opt_ts(self.event_occurred),
            description: None,
        })
    }

    /// The list form: short job type, `{id}` references.
    fn to_list_job(&self, cat: &Catalog) -> Job {
        let id_job = |id: Option<i64>| {
            id.map(|id| {
                Box::new(Job {
                    id,
                    ..Job::default()
                })
            })
        };
        Job {
            id: self.id,
            job_type: Some(cat.job_type_short(self.job_type_id)),
            job_type_rev: Some(JobTypeRevision {
                id: self.job_type_rev_id,
                job_type: Some(IdRef {
                    id: self.job_type_id,
                }),
                revision_num: cat
                    .revisions
                    .get(&self.job_type_rev_id)
                    .and_then(|r| r.revision_num),
                interface: None,
                created: None,
            }),
            event: self.event_short(),
            error: self.error_id.map(|id| cat.error_short(id)),
            status: Some(JobStatus::parse(&self.status)),
            priority: Some(self.priority),
            num_exes: Some(self.num_exes),
            timeout: Some(self.timeout),
            max_tries: Some(self.max_tries),
            cpus_required: Some(self.cpus_required),
            mem_required: Some(self.mem_required),
            disk_in_required: Some(self.disk_in_required),
            disk_out_required: Some(self.disk_out_required),
            is_superseded: Some(self.is_superseded),
            root_superseded_job: id_job(self.root_superseded_job_id),
            superseded_job: id_job(self.superseded_job_id),
            superseded_by_job: id_job(self.superseded_by_job_id),
            delete_superseded: Some(self.delete_superseded),
            created: Some(ts(self.created)),
            queued: opt_ts(self.queued),
            started: opt_ts(self.started),
            ended: opt_ts(self.ended),
            last_status_change: Some(ts(self.last_status_change)),
            superseded: opt_ts(self.superseded),
            last_modified: Some(ts(self.last_modified)),
            ..Job::default()
        }
    }

    /// The small job object that details use for superseded references.
    fn to_small_job(&self, cat: &Catalog) -> Job {
        Job {
            id: self.id,
            job_type: Some(cat.job_type_short(self.job_type_id)),
            job_type_rev: Some(JobTypeRevision {
                id: self.job_type_rev_id,
                ..JobTypeRevision::default()
            }),
            event: self.event_id.map(|id| TriggerEvent {
                id,
                ..TriggerEvent::default()
            }),
            error: self.error_id.map(|id| JobError {
                id,
                ..JobError::default()
            }),
            status: Some(JobStatus::parse(&self.status)),
            priority: Some(self.priority),
            num_exes: Some(self.num_exes),
            ..Job::default()
        }
    }
}

/// `COUNT(*)` for a filter, always counted ([`Db::count_jobs`] caches).
pub fn count_jobs(conn: &Connection, filter: &Filter) -> Result<u64> {
    let (where_sql, params) = filter.to_sql();
    count_where(conn, &where_sql, params)
}

fn count_where(conn: &Connection, where_sql: &str, params: Vec<SqlValue>) -> Result<u64> {
    let sql = format!("SELECT COUNT(*) FROM jobs j{where_sql}");
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(params), |r| r.get(0))?;
    Ok(n.max(0) as u64)
}

/// One page of jobs in list form, with the extra field `kind` asks for.
pub fn list_jobs(
    conn: &Connection,
    cat: &Catalog,
    filter: &Filter,
    order: &[SortOrder],
    kind: ListKind,
    limit: u32,
    offset: u64,
) -> Result<Vec<Job>> {
    let (where_sql, mut params) = filter.to_sql();
    let default_order = match kind {
        ListKind::Updates => sort_fields::LAST_STATUS_CHANGE,
        _ => sort_fields::LAST_MODIFIED,
    };
    // First the page's ids, from an index where possible (a narrow sort
    // when not), then the rows for just those ids.
    let sql = format!(
        "SELECT j.id FROM jobs j{where_sql}{} LIMIT ? OFFSET ?",
        order_sql(order, default_order)
    );
    params.push(SqlValue::Integer(i64::from(limit)));
    params.push(SqlValue::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
    let page_ids: Vec<i64> = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(params), |r| r.get(0))?
        .collect::<Result<_>>()?;
    if page_ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {JOB_COLUMNS}{JOB_FROM} WHERE j.id IN ({})",
        in_marks(page_ids.len())
    );
    let mut by_id: HashMap<i64, JobRow> = conn
        .prepare_cached(&sql)?
        .query_map(params_from_iter(&page_ids), JobRow::from_row)?
        .map(|r| r.map(|row| (row.id, row)))
        .collect::<Result<_>>()?;
    let rows: Vec<JobRow> = page_ids.iter().filter_map(|id| by_id.remove(id)).collect();
    let mut jobs: Vec<Job> = rows.iter().map(|r| r.to_list_job(cat)).collect();
    let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
    match kind {
        ListKind::Jobs => {}
        ListKind::Executions => {
            let latest = latest_exes(conn, cat, &ids)?;
            for job in &mut jobs {
                // `None` here is serialized as an explicit null by the API.
                job.latest_job_exe = latest.get(&job.id).cloned().map(Box::new);
            }
        }
        ListKind::Updates => {
            let files = input_files(conn, cat, &ids)?;
            for job in &mut jobs {
                job.input_files = Some(files.get(&job.id).cloned().unwrap_or_default());
            }
        }
    }
    Ok(jobs)
}

fn in_marks(n: usize) -> String {
    vec!["?"; n.max(1)].join(", ")
}

const EXE_COLUMNS: &str = "id, job_id, status, command_arguments, timeout, pre_started, \
     pre_completed, pre_exit_code, job_started, job_completed, job_exit_code, post_started, \
     post_completed, post_exit_code, created, queued, started, ended, last_modified, node_id, error_id";

fn exe_from_row(r: &Row<'_>, cat: &Catalog) -> Result<JobExecution> {
    let node_id: Option<i64> = r.get(19)?;
    let error_id: Option<i64> = r.get(20)?;
    let status: String = r.get(2)?;
    Ok(JobExecution {
        id: r.get(0)?,
        job: Some(Box::new(Job {
            id: r.get(1)?,
            ..Job::default()
        })),
        status: Some(JobStatus::parse(&status)),
        command_arguments: r.get(3)?,
        timeout: r.get(4)?,
        pre_started: opt_ts(r.get(5)?),
        pre_completed: opt_ts(r.get(6)?),
        pre_exit_code: r.get(7)?,
        job_started: opt_ts(r.get(8)?),
        job_completed: opt_ts(r.get(9)?),
        job_exit_code: r.get(10)?,
        post_started: opt_ts(r.get(11)?),
        post_completed: opt_ts(r.get(12)?),
        post_exit_code: r.get(13)?,
        created: Some(ts(r.get(14)?)),
        queued: opt_ts(r.get(15)?),
        started: opt_ts(r.get(16)?),
        ended: opt_ts(r.get(17)?),
        last_modified: Some(ts(r.get(18)?)),
        node: node_id.map(|id| cat.node(id)),
        error: error_id.map(|id| JobError {
            id,
            ..JobError::default()
        }),
    })
}

/// The newest execution of each of `job_ids`.
fn latest_exes(
    conn: &Connection,
    cat: &Catalog,
    job_ids: &[i64],
) -> Result<HashMap<i64, JobExecution>> {
    if job_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT {EXE_COLUMNS} FROM job_exes WHERE id IN \
         (SELECT MAX(id) FROM job_exes WHERE job_id IN ({}) GROUP BY job_id)",
        in_marks(job_ids.len())
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut out = HashMap::new();
    let rows = stmt.query_map(params_from_iter(job_ids), |r| exe_from_row(r, cat))?;
    for exe in rows {
        let exe = exe?;
        if let Some(job) = &exe.job {
            out.insert(job.id, exe.clone());
        }
    }
    Ok(out)
}

const FILE_COLUMNS: &str = "id, workspace_id, file_name, media_type, file_size, data_type, url, \
     created, data_started, data_ended, geometry, center_point, meta_data, countries, product, \
     job_type_id, job_id, job_exe_id";

/// A stable 32-hex-digit uuid for a file id (Scale's are random; ours must
/// be reproducible).
pub fn file_uuid(id: i64) -> String {
    let a = crate::demo::splitmix(id as u64 ^ 0x5ca1_e000_f11e);
    let b = crate::demo::splitmix(a);
    format!("{a:016x}{b:016x}")
}

fn json_col(r: &Row<'_>, i: usize) -> Result<Option<Value>> {
    let s: Option<String> = r.get(i)?;
    Ok(s.and_then(|s| serde_json::from_str(&s).ok()))
}

fn file_from_row(r: &Row<'_>, cat: &Catalog) -> Result<ScaleFile> {
    let id: i64 = r.get(0)?;
    let workspace_id: i64 = r.get(1)?;
    let created = ts(r.get(7)?);
    let product: bool = r.get(14)?;
    let strings = |v: Option<Value>| -> Option<Vec<String>> {
        v.and_then(|v| serde_json::from_value(v).ok())
    };
    let mut f = ScaleFile {
        id,
        workspace: Some(
            cat.workspaces
                .get(&workspace_id)
                .map(|w| Workspace {
                    id: w.id,
                    name: w.name.clone(),
                    title: None,
                })
                .unwrap_or(Workspace {
                    id: workspace_id,
                    ..Workspace::default()
                }),
        ),
        file_name: r.get(2)?,
        media_type: r.get(3)?,
        file_size: r.get(4)?,
        data_type: Some(strings(json_col(r, 5)?).unwrap_or_default()),
        is_deleted: Some(false),
        uuid: Some(file_uuid(id)),
        url: r.get(6)?,
        created: Some(created),
        deleted: None,
        data_started: opt_ts(r.get(8)?),
        data_ended: opt_ts(r.get(9)?),
        geometry: r.get(10)?,
        center_point: r.get(11)?,
        meta_data: Some(json_col(r, 12)?.unwrap_or_else(|| Value::Object(Default::default()))),
        countries: Some(strings(json_col(r, 13)?).unwrap_or_default()),
        last_modified: Some(created),
        ..ScaleFile::default()
    };
    if product {
        let idref = |v: Option<i64>| v.map(|id| IdRef { id });
        f.is_operational = Some(true);
        f.is_published = Some(true);
        f.has_been_published = Some(true);
        f.published = Some(created);
        f.job_type = idref(r.get(15)?);
        f.job = idref(r.get(16)?);
        f.job_exe = idref(r.get(17)?);
    }
    Ok(f)
}

fn files_by_id(conn: &Connection, cat: &Catalog, ids: &[i64]) -> Result<HashMap<i64, ScaleFile>> {
    let mut out = HashMap::new();
    // Chunked to stay far below SQLite's bound-parameter limit.
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT {FILE_COLUMNS} FROM files WHERE id IN ({})",
            in_marks(chunk.len())
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(chunk), |r| file_from_row(r, cat))?;
        for f in rows {
            let f = f?;
            out.insert(f.id, f);
        }
    }
    Ok(out)
}

/// File ids named by a data (`input_data`) or results (`output_data`)
/// document: `{"name", "file_id"}` or `{"name", "file_ids": [...]}`.
fn referenced_file_ids(doc: &Value, key: &str) -> Vec<(String, Vec<i64>)> {
    let mut out = Vec::new();
    if let Some(items) = doc.get(key).and_then(Value::as_array) {
        for item in items {
            let name = item
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if let Some(id) = item.get("file_id").and_then(Value::as_i64) {
                out.push((name, vec![id]));
            } else if let Some(ids) = item.get("file_ids").and_then(Value::as_array) {
                out.push((name, ids.iter().filter_map(Value::as_i64).collect()));
            }
        }
    }
    out
}

/// The input files of each job (for `/jobs/updates/`), ordered by file id.
fn input_files(
    conn: &Connection,
    cat: &Catalog,
    job_ids: &[i64],
) -> Result<HashMap<i64, Vec<ScaleFile>>> {
    if job_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT id, data FROM jobs WHERE id IN ({})",
        in_marks(job_ids.len())
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let per_job: Vec<(i64, Vec<i64>)> = stmt
        .query_map(params_from_iter(job_ids), |r| {
            let id: i64 = r.get(0)?;
            let data: String = r.get(1)?;
            let doc: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
            let mut ids: Vec<i64> = referenced_file_ids(&doc, "input_data")
                .into_iter()
                .flat_map(|(_, ids)| ids)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            Ok((id, ids))
        })?
        .collect::<Result<_>>()?;
    let all: Vec<i64> = per_job.iter().flat_map(|(_, ids)| ids.clone()).collect();
    let files = files_by_id(conn, cat, &all)?;
    Ok(per_job
        .into_iter()
        .map(|(job, ids)| {
            (
                job,
                ids.iter().filter_map(|id| files.get(id).cloned()).collect(),
            )
        })
        .collect())
}

fn job_row(conn: &Connection, id: i64) -> Result<Option<(JobRow, String, String)>> {
    let sql = format!("SELECT {JOB_COLUMNS}, j.data, j.results{JOB_FROM} WHERE j.id = ?");
    conn.prepare_cached(&sql)?
        .query_row([id], |r| Ok((JobRow::from_row(r)?, r.get(29)?, r.get(30)?)))
        .optional()
}

/// `GET /jobs/{id}/`: the details form, or `None` when there is no such job.
pub fn job_details(conn: &Connection, cat: &Catalog, id: i64) -> Result<Option<JobDetails>> {
    let Some((row, data, results)) = job_row(conn, id)? else {
        return Ok(None);
    };
    let mut job = row.to_list_job(cat);

    // Long forms.
    job.job_type = cat
        .job_types
        .get(&row.job_type_id)
        .cloned()
        .or(job.job_type);
    if let Some(rev) = cat.revisions.get(&row.job_type_rev_id) {
        job.job_type_rev = Some(rev.clone());
    }
    if let Some(event_id) = row.event_id {
        let description: Option<String> = conn
            .prepare_cached("SELECT description FROM trigger_events WHERE id = ?")?
            .query_row([event_id], |r| r.get(0))
            .optional()?
            .flatten();
        job.event = Some(TriggerEvent {
            id: event_id,
            kind: row.event_type.clone(),
            rule: row.event_rule_id.map(|rid| {
                cat.rules.get(&rid).cloned().unwrap_or(TriggerRule {
                    id: rid,
                    ..TriggerRule::default()
                })
            }),
            occurred: opt_ts(row.event_occurred),
            description: description.and_then(|d| serde_json::from_str(&d).ok()),
        });
    }
    job.error = row.error_id.map(|e| cat.error_long(e));
    let small = |id: Option<i64>| -> Result<Option<Box<Job>>> {
        Ok(match id {
            Some(id) => job_row(conn, id)?.map(|(r, _, _)| Box::new(r.to_small_job(cat))),
            None => None,
        })
    };
    job.root_superseded_job = small(row.root_superseded_job_id)?;
    job.superseded_job = small(row.superseded_job_id)?;
    job.superseded_by_job = small(row.superseded_by_job_id)?;

    // Executions, newest first.
    let job_exes = conn
        .prepare_cached(&format!(
            "SELECT {EXE_COLUMNS} FROM job_exes WHERE job_id = ? ORDER BY id DESC"
        ))?
        .query_map([id], |r| exe_from_row(r, cat))?
        .collect::<Result<Vec<_>>>()?;

    let recipes = recipes_of(conn, cat, id)?;

    let data: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
    let results: Value = serde_json::from_str(&results).unwrap_or(Value::Null);
    let interface = cat
        .revisions
        .get(&row.job_type_rev_id)
        .and_then(|r| r.interface.clone())
        .unwrap_or_default();

    // Resolve every referenced file at once.
    let mut ids: Vec<i64> = referenced_file_ids(&data, "input_data")
        .into_iter()
        .chain(referenced_file_ids(&results, "output_data"))
        .flat_map(|(_, ids)| ids)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let files = files_by_id(conn, cat, &ids)?;

    let input_ids: HashMap<String, Vec<i64>> = referenced_file_ids(&data, "input_data")
        .into_iter()
        .collect();
    let output_ids: HashMap<String, Vec<i64>> = referenced_file_ids(&results, "output_data")
        .into_iter()
        .collect();
    let file_value = |kind: &str, ids: Option<&Vec<i64>>| -> IoValue {
        let Some(ids) = ids else {
            return IoValue::Unset;
        };
        let found: Vec<ScaleFile> = ids.iter().filter_map(|i| files.get(i).cloned()).collect();
        match (kind, found.len()) {
            ("file", 0) => IoValue::Unset,
            ("file", _) => IoValue::File(Box::new(found[0].clone())),
            _ => IoValue::Files(found),
        }
    };
    // Inputs follow the interface's order, as Scale's do.
    let inputs = interface
        .input_data
        .iter()
        .map(|i| {
            let kind = i.kind.clone().unwrap_or_else(|| "file".into());
            let value = if kind == "property" {
                data.get("input_data")
                    .and_then(Value::as_array)
                    .and_then(|items| {
                        items
                            .iter()
                            .find(|x| x.get("name").and_then(Value::as_str) == Some(&i.name))
                    })
                    .and_then(|x| x.get("value"))
                    .cloned()
                    .map(|v| IoValue::from_raw("property", v))
                    .unwrap_or(IoValue::Unset)
            } else {
                file_value(&kind, input_ids.get(&i.name))
            };
            JobIo {
                name: i.name.clone(),
                kind,
                value,
            }
        })
        .collect();
    let outputs = interface
        .output_data
        .iter()
        .map(|o| {
            let kind = o.kind.clone().unwrap_or_else(|| "file".into());
            JobIo {
                name: o.name.clone(),
                value: file_value(&kind, output_ids.get(&o.name)),
                kind,
            }
        })
        .collect();

    Ok(Some(JobDetails {
        job,
        data: Some(data),
        results: Some(results),
        recipes,
        job_exes,
        inputs,
        outputs,
    }))
}

fn recipes_of(conn: &Connection, cat: &Catalog, job_id: i64) -> Result<Vec<Recipe>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.recipe_type_id, r.recipe_type_rev_id, r.revision_num, r.event_id, \
         e.type, e.rule_id, e.occurred, r.is_superseded, r.root_superseded_recipe_id, \
         r.superseded_recipe_id, r.superseded_by_recipe_id, r.created, r.completed, \
         r.superseded, r.last_modified \
         FROM recipe_jobs rj JOIN recipes r ON r.id = rj.recipe_id \
         LEFT JOIN trigger_events e ON e.id = r.event_id \
         WHERE rj.job_id = ? ORDER BY r.id",
    )?;
    let rows = stmt.query_map([job_id], |r| {
        let idref = |v: Option<i64>| v.map(|id| IdRef { id });
        let type_id: i64 = r.get(1)?;
        let event_id: Option<i64> = r.get(4)?;
        let rule_id: Option<i64> = r.get(6)?;
        Ok(Recipe {
            id: r.get(0)?,
            recipe_type: Some(
                cat.recipe_types
                    .get(&type_id)
                    .cloned()
                    .unwrap_or(RecipeType {
                        id: type_id,
                        ..RecipeType::default()
                    }),
            ),
            recipe_type_rev: Some(RecipeTypeRevision {
                id: r.get(2)?,
                recipe_type: Some(IdRef { id: type_id }),
                revision_num: r.get(3)?,
            }),
            event: match event_id {
                Some(id) => Some(TriggerEvent {
                    id,
                    kind: r.get(5)?,
                    rule: rule_id.map(|id| TriggerRule {
                        id,
                        ..TriggerRule::default()
                    }),
                    occurred: opt_ts(r.get(7)?),
                    description: None,
                }),
                None => None,
            },
            is_superseded: Some(r.get(8)?),
            root_superseded_recipe: idref(r.get(9)?),
            superseded_recipe: idref(r.get(10)?),
            superseded_by_recipe: idref(r.get(11)?),
            created: Some(ts(r.get(12)?)),
            completed: opt_ts(r.get(13)?),
            superseded: opt_ts(r.get(14)?),
            last_modified: Some(ts(r.get(15)?)),
        })
    })?;
    rows.collect()
}

// ---------------------------------------------------------------------------
// Cancelling.

#[derive(Debug)]
pub enum CancelError {
    NotFound,
    /// The job is already COMPLETED or CANCELED: nothing was changed.
    Finished(String),
    Db(rusqlite::Error),
}

impl From<rusqlite::Error> for CancelError {
    fn from(e: rusqlite::Error) -> Self {
        CancelError::Db(e)
    }
}

/// Cancels a job in one `BEGIN IMMEDIATE` transaction: the job and its
/// latest execution if unfinished become CANCELED; `ended`,
/// `last_status_change` and `last_modified` move to `now`; a FAILED job's
/// error is cleared (as Scale does). The status check and the update happen
/// under the write lock, so of many concurrent cancels exactly one wins.
pub fn cancel_job(
    conn: &mut Connection,
    cat: &Catalog,
    id: i64,
    now: DateTime<Utc>,
) -> Result<JobDetails, CancelError> {
    let now = to_micros(now);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let status: Option<String> = tx
        .prepare_cached("SELECT status FROM jobs WHERE id = ?")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let status = match status {
        None => return Err(CancelError::NotFound),
        Some(s) => s,
    };
    if !JobStatus::parse(&status).is_cancelable() {
        return Err(CancelError::Finished(status));
    }
    tx.prepare_cached(
        "UPDATE jobs SET status = 'CANCELED', error_id = NULL, error_category = NULL, \
         error_title = NULL, ended = ?1, last_status_change = ?1, last_modified = ?1 WHERE id = ?2",
    )?
    .execute(params![now, id])?;
    tx.prepare_cached(
        "UPDATE job_exes SET status = 'CANCELED', ended = ?1, last_modified = ?1 \
         WHERE id = (SELECT MAX(id) FROM job_exes WHERE job_id = ?2) \
         AND status NOT IN ('COMPLETED', 'FAILED', 'CANCELED')",
    )?
    .execute(params![now, id])?;
    let details = job_details(&tx, cat, id)?.ok_or(CancelError::NotFound)?;
    tx.commit()?;
    Ok(details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memdb_is_shared_between_connections_of_one_db() {
        let db = Db::open(None).unwrap();
        db.write(|c, _| {
            c.execute("INSERT INTO meta (key, value) VALUES ('a', 'b')", [])?;
            Ok(())
        })
        .unwrap();
        let v: String = db
            .read(|c, _| c.query_row("SELECT value FROM meta WHERE key = 'a'", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(v, "b");
        // A second database is separate.
        let other = Db::open(None).unwrap();
        let n: i64 = other
            .read(|c, _| c.query_row("SELECT COUNT(*) FROM meta", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn cached_counts_follow_writes() {
        let mut db = Db::open(None).unwrap();
        db.write(|c, _| crate::demo::generate(c, 200, 1, Utc::now()))
            .unwrap();
        db.finish_open().unwrap();
        let canceled = Filter {
            status: vec!["CANCELED".into()],
            ..Filter::default()
        };
        let all = Filter::default();
        let count = |f: &Filter| db.read(|c, _| db.count_jobs(c, f)).unwrap();
        let counted = |f: &Filter| db.read(|c, _| count_jobs(c, f)).unwrap();
        let before = count(&canceled);
        let visible = count(&all);
        // Asked again with nothing written: the same (cached) answer.
        assert_eq!(count(&canceled), before);
        assert_eq!(count(&canceled), counted(&canceled));

        // A cancel changes the count at once.
        let id: i64 = db
            .read(|c, _| {
                c.query_row(
                    "SELECT id FROM jobs WHERE is_superseded = 0 \
                     AND status IN ('PENDING', 'QUEUED', 'RUNNING', 'FAILED', 'BLOCKED') LIMIT 1",
                    [],
                    |r| r.get(0),
                )
            })
            .unwrap();
        db.write(|c, cat| Ok(cancel_job(c, cat, id, Utc::now()).map(|_| ())))
            .unwrap()
            .unwrap();
        assert_eq!(count(&canceled), before + 1);
        assert_eq!(count(&canceled), counted(&canceled));
        assert_eq!(count(&all), visible);

        // So does any other write through the writer (the simulator's).
        db.write(|c, _| {
            c.execute("UPDATE jobs SET is_superseded = 1 WHERE id = ?", [id])?;
            Ok(())
        })
        .unwrap();
        assert_eq!(count(&canceled), before);
        assert_eq!(count(&all), visible - 1);
        assert_eq!(count(&all), counted(&all));
    }

    #[test]
    fn priority_then_newest_walks_an_index() {
        let mut db = Db::open(None).unwrap();
        db.write(|c, _| crate::demo::generate(c, 300, 1, Utc::now()))
            .unwrap();
        db.finish_open().unwrap();
        let (where_sql, _) = Filter::default().to_sql();
        let orders = [
            vec![
                SortOrder::desc("priority"),
                SortOrder::desc("last_modified"),
            ],
            vec![SortOrder::desc("priority")],
            vec![SortOrder::desc("last_modified")],
        ];
        for order in orders {
            let sql = format!(
                "EXPLAIN QUERY PLAN SELECT j.id FROM jobs j{where_sql}{} LIMIT 100",
                order_sql(&order, "last_modified")
            );
            let plan: Vec<String> = db
                .read(|c, _| {
                    c.prepare(&sql)?
                        .query_map([], |r| r.get::<_, String>(3))?
                        .collect()
                })
                .unwrap();
            assert!(
                !plan.iter().any(|p| p.contains("TEMP B-TREE")),
                "{order:?} sorts: {plan:?}"
            );
        }
    }

    #[test]
    fn filter_sql_uses_bound_parameters_only() {
        let f = Filter {
            status: vec!["RUNNING".into(), "x' OR 1=1 --".into()],
            job_type_name: vec!["a".into()],
            modified_from: Some(5),
            ..Filter::default()
        };
        let (sql, params) = f.to_sql();
        assert_eq!(
            sql,
            " WHERE j.last_modified >= ? AND j.status IN (?, ?) AND j.jt_name IN (?) AND j.is_superseded = 0"
        );
        assert_eq!(params.len(), 4);
        assert!(!sql.contains("OR 1=1"));
    }

    #[test]
    fn order_sql_maps_fields_and_adds_tiebreaker() {
        assert_eq!(
            order_sql(&[], "last_modified"),
            " ORDER BY j.last_modified ASC, j.id ASC"
        );
        assert_eq!(
            order_sql(
                &[SortOrder::asc("job_type__name"), SortOrder::desc("ended")],
                "last_modified"
            ),
            " ORDER BY j.jt_name ASC, (j.ended IS NULL) DESC, j.ended DESC, j.id DESC"
        );
        assert_eq!(
            order_sql(&[SortOrder::desc("id")], "x"),
            " ORDER BY j.id DESC"
        );
        for f in sort_fields::ALL {
            assert!(sort_column(f).is_some(), "{f} has no column");
        }
    }
}
