//! Robustness: generated hostile queries and bodies, concurrent cancels,
//! a SIGKILL in the middle of writes, and a short load test. All traffic
//! goes to servers this test starts on 127.0.0.1, and every loop is
//! bounded in count or time.

mod common;

use common::*;
use scale_jobs_server::demo::Rng;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Database checks, straight from the file.

/// `(id, status, last_modified)` of every job.
fn job_rows(db: &Path) -> BTreeMap<i64, (String, i64)> {
    let conn = rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, status, last_modified FROM jobs ORDER BY id")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows
}

fn checksum(rows: &BTreeMap<i64, (String, i64)>) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    rows.hash(&mut h);
    h.finish()
}

/// Table names and `PRAGMA integrity_check`.
fn schema_and_integrity(db: &Path) -> (Vec<String>, String) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    (tables, check)
}

// ---------------------------------------------------------------------------
// Generated requests.

const PARAMS: &[&str] = &[
    "page",
    "page_size",
    "started",
    "ended",
    "status",
    "job_id",
    "job_type_id",
    "job_type_name",
    "job_type_category",
    "error_category",
    "include_superseded",
    "order",
];

const JUNK_PARAMS: &[&str] = &[
    "",
    "foo",
    "page[]",
    "ORDER",
    "status ",
    "job_id[0]",
    "__proto__",
    "pagé",
    "🙂",
    "%",
    "a=b",
];

const VALUES: &[&str] = &[
    "",
    "1",
    "2",
    "0",
    "-1",
    "last",
    "1.0",
    "1e3",
    "NaN",
    "inf",
    "99999999999999999999999999",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "' OR 1=1 --",
    "\"; DROP TABLE jobs; --",
    "1; DELETE FROM jobs",
    "1) OR (1=1",
    "' UNION SELECT sql FROM sqlite_master --",
    "status",
    "-status",
    "--id",
    "-",
    "id,status",
    "job_type__name",
    "-job_type__version",
    "job_type__name__foo",
    "last_modified",
    "-last_modified",
    "RUNNING",
    "FAILED",
    "running",
    "CANCELED",
    "SYSTEM",
    "DATA",
    "landsat8-parse",
    "<b>Vector</b>",
    "true",
    "FALSE",
    "t",
    "yes",
    "PT1H",
    "P1D",
    "P99999999999D",
    "PT1.5H",
    "P1W",
    "-P1D",
    "P",
    "PT",
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00+01:00",
    "2026-01-01T00:00:00-01:00",
    "2026-13-45T25:61:61Z",
    "9999-12-31T23:59:59Z",
    "0000-01-01T00:00:00Z",
    "2026-01-01",
    "ümlaut",
    "日本語",
    "🙂🙃",
    "\u{0}",
    "\u{202e}gnp.exe",
    "a\nb",
    " ",
    "%",
    "%2",
    "%zz",
    "%FF%FE",
    "%C0%AF",
    "%00",
    "%25%32%35",
    "+",
    "&",
    "=",
];

/// A value: from the list, a random number, random bytes or a long string.
fn value(rng: &mut Rng) -> String {
    match rng.range(0, 19) {
        0 => rng.range(-1_000_000, 1_000_000).to_string(),
        1 => (0..rng.range(1, 12))
            .map(|_| char::from(rng.range(0x20, 0x7e) as u8))
            .collect(),
        2 => "x".repeat(rng.range(100, 3000) as usize),
        3 => (0..rng.range(1, 6))
            .map(|_| char::from_u32(rng.range(0xa0, 0x2fff) as u32).unwrap_or('?'))
            .collect(),
        _ => rng.pick(VALUES).to_string(),
    }
}

/// Appends `s` to a query string, sometimes encoded, sometimes raw (raw
/// text keeps `%zz` and friends as they are; reqwest encodes what a URL
/// cannot hold).
fn push_part(rng: &mut Rng, out: &mut String, s: &str) {
    if rng.chance(0.6) || s.contains('#') {
        out.extend(form_urlencoded::byte_serialize(s.as_bytes()));
    } else {
        out.push_str(s);
    }
}

fn query(rng: &mut Rng) -> String {
    let mut q = String::new();
    for _ in 0..rng.range(0, 6) {
        if !q.is_empty() {
            q.push('&');
        }
        let key = if rng.chance(0.85) {
            rng.pick(PARAMS).to_string()
        } else {
            rng.pick(JUNK_PARAMS).to_string()
        };
        push_part(rng, &mut q, &key);
        if rng.chance(0.95) {
            q.push('=');
            let v = value(rng);
            push_part(rng, &mut q, &v);
        }
    }
    q
}

const DETAIL_IDS: &[&str] = &[
    "1",
    "5",
    "11",
    "0",
    "-1",
    "abc",
    "1.0",
    "%31",
    "99999999999",
    "9223372036854775807",
    "18446744073709551616",
    "1%20OR%201=1",
    "'%20OR%201=1%20--",
];

/// Checks one answer: no 5xx, 4xx are JSON with a `detail`, 2xx decode.
fn check_answer(what: &str, r: &RawResp, list: bool) -> Result<(), String> {
    let body = r.decoded();
    let text = String::from_utf8_lossy(&body);
    match r.status {
        200 => {
            if list {
                serde_json::from_slice::<scale_jobs_shared::Page<scale_jobs_shared::Job>>(&body)
                    .map(|_| ())
                    .map_err(|e| format!("{what}: 200 is not a page ({e}): {text:.300}"))
            } else {
                serde_json::from_slice::<scale_jobs_shared::JobDetails>(&body)
                    .map(|_| ())
                    .map_err(|e| format!("{what}: 200 is not a job ({e}): {text:.300}"))
            }
        }
        301 => r
            .header("location")
            .map(|_| ())
            .ok_or_else(|| format!("{what}: 301 without Location")),
        400..=499 => {
            let v: Value = serde_json::from_slice(&body)
                .map_err(|e| format!("{what}: {} body is not JSON ({e}): {text:.300}", r.status))?;
            if v["detail"].is_string() {
                Ok(())
            } else {
                Err(format!(
                    "{what}: {} without a detail: {text:.300}",
                    r.status
                ))
            }
        }
        s => Err(format!("{what}: status {s}: {text:.300}")),
    }
}

fn fuzz_seed() -> u64 {
    std::env::var("SCALE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

const FUZZ_THREADS: u64 = 4;
const READS_PER_THREAD: usize = 600;
const PATCHES_PER_THREAD: usize = 150;

fn patch_body(rng: &mut Rng) -> (Option<&'static str>, Vec<u8>) {
    const CONTENT_TYPES: &[Option<&str>] = &[
        Some("application/json"),
        Some("application/json"),
        Some("application/json; charset=utf-8"),
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        Some("application/json; charset=utf-16"),
        Some(""),
        None,
    ];
    // A valid cancel now and then, so that some jobs do change.
    if rng.chance(0.12) {
        return (
            Some("application/json"),
            br#"{"status":"CANCELED"}"#.to_vec(),
        );
    }
    let ct = *rng.pick(CONTENT_TYPES);
    let keys = [
        "status",
        "status",
        "priority",
        "id",
        "",
        "STATUS",
        "is_superseded",
    ];
    let values = [
        json!("CANCELED"),
        json!("CANCELED"),
        json!("canceled"),
        json!("COMPLETED"),
        json!("CANCELED "),
        json!(null),
        json!(1),
        json!([]),
        json!({"status": "CANCELED"}),
        json!("' OR 1=1 --"),
        json!(true),
    ];
    let body: Vec<u8> = match rng.range(0, 9) {
        0..=4 => {
            let mut m = serde_json::Map::new();
            for _ in 0..rng.range(0, 3) {
                m.insert(rng.pick(&keys).to_string(), rng.pick(&values).clone());
            }
            serde_json::to_vec(&m).unwrap()
        }
        5 => serde_json::to_vec(&json!([{"status": "CANCELED"}])).unwrap(),
        6 => {
            // Deep nesting: past serde_json's recursion limit.
            let depth = rng.range(10, 300) as usize;
            format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes()
        }
        7 => (0..rng.range(0, 200))
            .map(|_| rng.range(0, 255) as u8)
            .collect(),
        8 => format!("status={}", rng.pick(&["CANCELED", "RUNNING", "", "%zz"])).into_bytes(),
        _ => b"{\"status\": \"CANCELED\"".to_vec(),
    };
    (ct, body)
}

#[test]
fn generated_queries_and_bodies_never_break_the_server_or_the_data() {
    let seed = fuzz_seed();
    println!("fuzz seed: {seed} (rerun with SCALE_FUZZ_SEED={seed})");
    let dir = temp_dir("fuzz");
    let db = dir.join("jobs.sqlite");
    let s = Server::start(&["--demo-jobs", "250", "--db", db.to_str().unwrap()]);
    let before = job_rows(&db);
    let (tables, _) = schema_and_integrity(&db);
    let start = Instant::now();

    // Reads: lists and details with generated queries.
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let statuses: Mutex<BTreeMap<u16, usize>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for t in 0..FUZZ_THREADS {
            let (s, failures, statuses) = (&s, &failures, &statuses);
            scope.spawn(move || {
                let mut rng = Rng::new(seed.wrapping_add(t));
                for _ in 0..READS_PER_THREAD {
                    let mut q = query(&mut rng);
                    // Mostly small pages: a debug build spends its time
                    // encoding 100-job pages, not parsing the query. A
                    // generated page_size later in the query still wins.
                    if rng.chance(0.9) {
                        q = format!("page_size=5&{q}");
                    }
                    let (path, list) = match rng.range(0, 3) {
                        0 => ("/jobs/".to_string(), true),
                        1 => ("/jobs/updates/".to_string(), true),
                        2 => ("/jobs/executions/".to_string(), true),
                        _ => (format!("/jobs/{}/", rng.pick(DETAIL_IDS)), false),
                    };
                    let url = if q.is_empty() {
                        s.api(&path)
                    } else {
                        format!("{}?{q}", s.api(&path))
                    };
                    let headers: &[(&str, &str)] = if rng.chance(0.3) {
                        &[("accept-encoding", "br, gzip")]
                    } else {
                        &[]
                    };
                    let r = send_raw("GET", &url, headers, None);
                    *statuses.lock().unwrap().entry(r.status).or_default() += 1;
                    if let Err(e) = check_answer(&url, &r, list) {
                        failures.lock().unwrap().push(e);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "seed {seed}: {} bad answers, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let after_reads = job_rows(&db);
    assert_eq!(after_reads.len(), before.len(), "seed {seed}: rows");
    assert_eq!(
        checksum(&after_reads),
        checksum(&before),
        "seed {seed}: reads changed jobs"
    );
    let read_time = start.elapsed();
    let read_statuses = std::mem::take(&mut *statuses.lock().unwrap());
    // The generated requests reach every kind of answer.
    for code in [200, 400, 404] {
        assert!(read_statuses.contains_key(&code), "{read_statuses:?}");
    }

    // Writes: generated PATCH bodies (and a few other methods).
    let ids: Vec<i64> = before.keys().copied().collect();
    let canceled: Mutex<HashSet<i64>> = Mutex::new(HashSet::new());
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for t in 0..FUZZ_THREADS {
            let (s, failures, canceled, ids, statuses) =
                (&s, &failures, &canceled, &ids, &statuses);
            scope.spawn(move || {
                let mut rng = Rng::new(seed.wrapping_add(100 + t));
                for _ in 0..PATCHES_PER_THREAD {
                    let id = if rng.chance(0.9) {
                        *rng.pick(ids)
                    } else {
                        rng.range(100_000, 200_000)
                    };
                    let method =
                        *rng.pick(&["PATCH", "PATCH", "PATCH", "PATCH", "PUT", "POST", "DELETE"]);
                    let (ct, body) = patch_body(&mut rng);
                    let mut headers: Vec<(&str, &str)> = Vec::new();
                    if let Some(ct) = ct {
                        headers.push(("content-type", ct));
                    }
                    if rng.chance(0.1) {
                        headers.push(("cookie", "sessionid=s; csrftoken=t"));
                    }
                    let url = s.api(&format!("/jobs/{id}/"));
                    let r = send_raw(method, &url, &headers, Some(body.clone()));
                    *statuses.lock().unwrap().entry(r.status).or_default() += 1;
                    let what =
                        format!("{method} {url} {ct:?} {:?}", String::from_utf8_lossy(&body));
                    if let Err(e) = check_answer(&what, &r, false) {
                        failures.lock().unwrap().push(e);
                    }
                    if r.status == 200 {
                        canceled.lock().unwrap().insert(id);
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "seed {seed}: {} bad answers, first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    let canceled = canceled.into_inner().unwrap();
    let after = job_rows(&db);
    assert_eq!(after.len(), before.len(), "seed {seed}: rows");
    for (id, old) in &before {
        let new = &after[id];
        if canceled.contains(id) {
            assert_eq!(new.0, "CANCELED", "seed {seed}: job {id}");
        } else {
            assert_eq!(new, old, "seed {seed}: job {id} changed without a 200");
        }
    }
    let (tables_after, integrity) = schema_and_integrity(&db);
    assert_eq!(tables_after, tables);
    assert_eq!(integrity, "ok");
    let write_statuses = statuses.into_inner().unwrap();
    println!(
        "fuzz: {} reads in {:.1} s {read_statuses:?}, {} writes in {:.1} s {write_statuses:?}",
        FUZZ_THREADS as usize * READS_PER_THREAD,
        read_time.as_secs_f64(),
        FUZZ_THREADS as usize * PATCHES_PER_THREAD,
        (start.elapsed() - read_time).as_secs_f64()
    );
}

// ---------------------------------------------------------------------------
// Concurrency.

const CANCELABLE: &str = "status=PENDING&status=BLOCKED&status=QUEUED&status=RUNNING&status=FAILED";

#[test]
fn twenty_clients_cancelling_the_same_jobs_cancel_each_exactly_once() {
    let s = Server::start(&["--demo-jobs", "400", "--seed", "4"]);
    let targets: Vec<i64> = ids(&page(&s.api(&format!(
        "/jobs/?{CANCELABLE}&include_superseded=true&page_size=30&order=id"
    ))));
    assert_eq!(targets.len(), 30);
    let outcomes: Vec<(i64, u16)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20u64)
            .map(|c| {
                let (s, targets) = (&s, &targets);
                scope.spawn(move || {
                    // Each client goes through the jobs in its own order.
                    let mut order = targets.clone();
                    let mut rng = Rng::new(c);
                    for i in (1..order.len()).rev() {
                        order.swap(i, rng.range(0, i as i64) as usize);
                    }
                    order
                        .into_iter()
                        .map(|id| {
                            let r = patch_json(
                                &s.api(&format!("/jobs/{id}/")),
                                r#"{"status":"CANCELED"}"#,
                            );
                            if r.status == 409 {
                                assert!(r.detail().contains("CANCELED"), "{}", r.text);
                            }
                            (id, r.status)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let mut per_job: HashMap<i64, Vec<u16>> = HashMap::new();
    for (id, status) in outcomes {
        per_job.entry(id).or_default().push(status);
    }
    for id in &targets {
        let statuses = &per_job[id];
        assert_eq!(statuses.len(), 20);
        assert_eq!(
            statuses.iter().filter(|&&c| c == 200).count(),
            1,
            "job {id}: {statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|&&c| c == 409).count(),
            19,
            "job {id}: {statuses:?}"
        );
        let d = get(&s.api(&format!("/jobs/{id}/"))).json();
        assert_eq!(d["status"], "CANCELED", "job {id}");
        for exe in d["job_exes"].as_array().unwrap() {
            let st = exe["status"].as_str().unwrap();
            assert!(
                !matches!(st, "RUNNING" | "QUEUED" | "PENDING"),
                "job {id} has a {st} execution"
            );
        }
    }
    // No canceled job anywhere has a running latest execution.
    let exes =
        page(&s.api("/jobs/executions/?status=CANCELED&include_superseded=true&page_size=1000"));
    for j in results(&exes) {
        assert_ne!(j["latest_job_exe"]["status"], "RUNNING", "job {}", j["id"]);
    }
}

#[test]
fn a_database_survives_sigkill_in_the_middle_of_writes() {
    let dir = temp_dir("sigkill");
    let db = dir.join("jobs.sqlite");
    let db_arg = db.to_str().unwrap();
    let mut s = Server::start(&["--demo-jobs", "300", "--db", db_arg, "--simulate"]);
    let targets: Vec<i64> = ids(&page(
        &s.api(&format!("/jobs/?{CANCELABLE}&page_size=200&order=id")),
    ));
    assert!(targets.len() > 20);
    let canceled: Mutex<Vec<i64>> = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let api = s.api("");
    std::thread::scope(|scope| {
        for t in 0..3 {
            let (api, targets, canceled, stop) = (&api, &targets, &canceled, &stop);
            scope.spawn(move || {
                // A client of its own: the shared one would retry on a
                // dead connection pool after the kill.
                let client = reqwest::blocking::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap();
                for id in targets.iter().skip(t).step_by(3) {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let r = client
                        .patch(format!("{api}/jobs/{id}/"))
                        .header("content-type", "application/json")
                        .body(r#"{"status":"CANCELED"}"#)
                        .send();
                    match r {
                        Ok(r) if r.status().as_u16() == 200 => {
                            canceled.lock().unwrap().push(*id);
                        }
                        Ok(_) => {}
                        Err(_) => return,
                    }
                }
            });
        }
        // Let cancels and simulation ticks run, then kill mid-stream.
        std::thread::sleep(Duration::from_millis(1300));
        s.kill_hard();
        stop.store(true, Ordering::Relaxed);
    });
    let canceled = canceled.into_inner().unwrap();
    assert!(!canceled.is_empty());

    let (_, integrity) = schema_and_integrity(&db);
    assert_eq!(integrity, "ok");
    let rows = job_rows(&db);
    // Every cancel the server confirmed is on disk.
    for id in &canceled {
        assert_eq!(rows[id].0, "CANCELED", "job {id}");
    }

    // The same file serves again, as it is.
    let s = Server::start(&["--db", db_arg]);
    assert_eq!(
        count(&s.api("/jobs/?include_superseded=true")),
        rows.len() as u64
    );
    let all = all_jobs(&s, "/jobs/");
    assert_eq!(all.len(), rows.len());
    for id in canceled.iter().take(10) {
        let d = get(&s.api(&format!("/jobs/{id}/")));
        assert_eq!(d.status, 200);
        assert_eq!(d.json()["status"], "CANCELED");
    }
    page(&s.api("/jobs/executions/?page_size=100"));
    page(&s.api("/jobs/updates/?page_size=100"));
    let (_, integrity) = schema_and_integrity(&db);
    assert_eq!(integrity, "ok");
}

// ---------------------------------------------------------------------------
// Load.

#[test]
fn fifty_polling_clients_for_five_seconds_see_no_errors() {
    let s = Server::start(&["--demo-jobs", "1000"]);
    let cfg = scale_jobs_server::load::LoadConfig {
        url: s.base.clone(),
        clients: 50,
        duration: Duration::from_secs(5),
        seed: 7,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let report = runtime
        .block_on(scale_jobs_server::load::run(&cfg))
        .unwrap();
    println!("load: {}", report.summary());
    assert_eq!(report.errors, 0, "{:#?}", report.first_errors);
    assert!(report.requests >= 50, "{}", report.summary());
    assert!(report.p50 <= report.p99 && report.p99 <= report.max);
}

#[test]
fn the_load_binary_reports_and_refuses_other_hosts() {
    let bin = env!("CARGO_BIN_EXE_scale-jobs-load");
    let s = Server::start(&["--demo-jobs", "50"]);
    let out = std::process::Command::new(bin)
        .args(["--url", &s.base, "--clients", "4", "--seconds", "1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for part in ["requests/s", "p50", "p99", "0 errors"] {
        assert!(stdout.contains(part), "{stdout}");
    }
    // Refused before sending anything.
    for url in ["http://10.1.2.3:8080", "http://example.com"] {
        let out = std::process::Command::new(bin)
            .args(["--url", url, "--seconds", "1"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
    }
    // A server that is gone: an error, not a hang.
    let port = s.port;
    drop(s);
    let out = std::process::Command::new(bin)
        .args([
            "--url",
            &format!("http://127.0.0.1:{port}"),
            "--seconds",
            "1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
