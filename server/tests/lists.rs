//! The three list endpoints over HTTP: paging, links, filters, time bounds,
//! ordering, routing and error bodies, as SCALE-BEHAVIOUR.md describes.
//! One read-only server is shared by every test here.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::*;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::OnceLock;

/// Enough jobs that a page of 1000 is not the whole set.
const JOBS: &str = "1100";

fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| Server::start_shared(&["--demo-jobs", JOBS, "--seed", "7"]))
}

fn api(path: &str) -> String {
    server().api(path)
}

fn ts(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("timestamp"))
        .unwrap()
        .with_timezone(&Utc)
}

fn all() -> &'static Vec<Value> {
    static A: OnceLock<Vec<Value>> = OnceLock::new();
    A.get_or_init(|| all_jobs(server(), "/jobs/"))
}

fn visible() -> Vec<&'static Value> {
    all()
        .iter()
        .filter(|j| j["is_superseded"] == Value::Bool(false))
        .collect()
}

// ---------------------------------------------------------------------------
// Paging.

#[test]
fn envelope_and_default_page_size() {
    let v = page(&api("/jobs/"));
    let obj = v.as_object().unwrap();
    for k in ["count", "next", "previous", "results"] {
        assert!(obj.contains_key(k), "missing {k}");
    }
    assert_eq!(v["count"].as_u64().unwrap() as usize, visible().len());
    assert_eq!(results(&v).len(), 100);
    assert!(v["previous"].is_null());
    assert_eq!(
        v["next"].as_str().unwrap(),
        format!("{}/api/v5/jobs/?page=2", server().base)
    );
}

#[test]
fn page_size_fallbacks_and_cap() {
    for bad in ["0", "-3", "abc", "", "2.5"] {
        let v = page(&api(&format!("/jobs/?page_size={bad}&status=COMPLETED")));
        assert_eq!(results(&v).len(), 100, "page_size={bad}");
        // The next link repeats page_size as sent.
        let next = v["next"].as_str().unwrap();
        assert!(
            next.ends_with(&format!("page=2&page_size={bad}&status=COMPLETED")),
            "{next}"
        );
    }
    let v = page(&api("/jobs/?page_size=5000"));
    assert_eq!(results(&v).len(), 1000);
    assert!(v["count"].as_u64().unwrap() > 1000);
    assert_eq!(
        v["next"].as_str().unwrap(),
        format!("{}/api/v5/jobs/?page=2&page_size=5000", server().base)
    );
    let v = page(&api("/jobs/?page_size=7"));
    assert_eq!(results(&v).len(), 7);
}

#[test]
fn pages_are_consecutive_and_stable() {
    let p1 = ids(&page(&api("/jobs/?page_size=10&order=status")));
    let p2 = ids(&page(&api("/jobs/?page_size=10&order=status&page=2")));
    let both = ids(&page(&api("/jobs/?page_size=20&order=status")));
    assert_eq!([p1, p2].concat(), both);
}

#[test]
fn page_last_and_links() {
    let total = visible().len() as u64;
    let size = 25u64;
    let last = total.div_ceil(size);
    let v = page(&api("/jobs/?page=last&page_size=25&order=-last_modified"));
    assert_eq!(results(&v).len() as u64, total - (last - 1) * size);
    assert!(v["next"].is_null());
    assert_eq!(
        v["previous"].as_str().unwrap(),
        format!(
            "{}/api/v5/jobs/?order=-last_modified&page={}&page_size=25",
            server().base,
            last - 1
        )
    );
    let numbered = page(&api(&format!(
        "/jobs/?page={last}&page_size=25&order=-last_modified"
    )));
    assert_eq!(ids(&v), ids(&numbered));

    // Page 2: previous is page 1 without `page`; keys sorted; values kept.
    let v = page(&api(
        "/jobs/?page=2&page_size=1&order=-last_modified&status=FAILED&status=COMPLETED&zzz=1",
    ));
    let base = format!("{}/api/v5/jobs/", server().base);
    assert_eq!(
        v["previous"].as_str().unwrap(),
        format!("{base}?order=-last_modified&page_size=1&status=FAILED&status=COMPLETED&zzz=1")
    );
    assert_eq!(
        v["next"].as_str().unwrap(),
        format!(
            "{base}?order=-last_modified&page=3&page_size=1&status=FAILED&status=COMPLETED&zzz=1"
        )
    );
    // Values are re-encoded as Django does (`:` and `+` escaped).
    let v = page(&api(
        "/jobs/?started=2000-01-01T00:00:00%2B00:00&page_size=5",
    ));
    assert!(v["next"]
        .as_str()
        .unwrap()
        .ends_with("?page=2&page_size=5&started=2000-01-01T00%3A00%3A00%2B00%3A00"));
}

#[test]
fn links_follow_host_and_forwarded_proto() {
    let r = send(
        "GET",
        &api("/jobs/?page_size=5"),
        &[
            ("host", "scale.example:8443"),
            ("x-forwarded-proto", "https"),
        ],
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["next"].as_str().unwrap(),
        "https://scale.example:8443/api/v5/jobs/?page=2&page_size=5"
    );
    let r = send(
        "GET",
        &server().url("/api/v4/jobs/?page_size=5"),
        &[("host", "other.example")],
        None,
    );
    assert_eq!(
        r.json()["next"].as_str().unwrap(),
        "http://other.example/api/v4/jobs/?page=2&page_size=5"
    );
}

#[test]
fn invalid_pages_are_404() {
    for p in ["0", "-1", "abc", "1.0", "", "999"] {
        for endpoint in ["/jobs/", "/jobs/updates/", "/jobs/executions/"] {
            let r = get(&api(&format!("{endpoint}?page={p}&page_size=25")));
            assert_eq!(r.status, 404, "{endpoint} page={p}");
            assert_eq!(r.detail(), "Invalid page.");
        }
    }
    // Page 1 of nothing is fine; page 2 of nothing is not.
    let v = page(&api("/jobs/?job_type_name=does-not-exist"));
    assert_eq!(v["count"], 0);
    assert!(results(&v).is_empty());
    assert!(v["next"].is_null() && v["previous"].is_null());
    let r = get(&api("/jobs/?page=2&job_type_name=does-not-exist"));
    assert_eq!((r.status, r.detail().as_str()), (404, "Invalid page."));
    let v = page(&api("/jobs/?page=last&job_type_name=does-not-exist"));
    assert_eq!(v["count"], 0);
}

// ---------------------------------------------------------------------------
// Filters.

fn statuses(v: &Value) -> HashSet<String> {
    results(v)
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn status_filter_ors_and_is_not_validated() {
    let failed = count(&api("/jobs/?status=FAILED"));
    let canceled = count(&api("/jobs/?status=CANCELED"));
    assert!(failed > 0 && canceled > 0);
    let v = page(&api("/jobs/?status=FAILED&status=CANCELED&page_size=1000"));
    assert_eq!(v["count"].as_u64().unwrap(), failed + canceled);
    assert_eq!(
        statuses(&v),
        HashSet::from(["FAILED".to_string(), "CANCELED".to_string()])
    );
    for s in ["PENDING", "BLOCKED", "QUEUED", "RUNNING", "COMPLETED"] {
        let v = page(&api(&format!("/jobs/?status={s}&page_size=1000")));
        let expected = visible().iter().filter(|j| j["status"] == s).count();
        assert_eq!(v["count"].as_u64().unwrap() as usize, expected, "{s}");
        assert!(expected > 0, "no {s} jobs");
        assert_eq!(statuses(&v), HashSet::from([s.to_string()]));
    }
    assert_eq!(count(&api("/jobs/?status=running")), 0);
    assert_eq!(count(&api("/jobs/?status=RUNNING,QUEUED")), 0);
    assert_eq!(count(&api("/jobs/?status=NOPE")), 0);
}

#[test]
fn job_type_filters() {
    let v = page(&api(
        "/jobs/?job_type_name=ndvi-calc&job_type_name=vector-export&page_size=1000",
    ));
    let names: HashSet<_> = results(&v)
        .iter()
        .map(|r| r["job_type"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        HashSet::from(["ndvi-calc".to_string(), "vector-export".to_string()])
    );
    let expected = visible()
        .iter()
        .filter(|j| {
            let n = j["job_type"]["name"].as_str().unwrap();
            n == "ndvi-calc" || n == "vector-export"
        })
        .count();
    assert_eq!(v["count"].as_u64().unwrap() as usize, expected);
    assert_eq!(count(&api("/jobs/?job_type_name=does-not-exist")), 0);

    let v = page(&api("/jobs/?job_type_id=7&page_size=1000"));
    assert!(v["count"].as_u64().unwrap() > 0);
    assert!(results(&v)
        .iter()
        .all(|r| r["job_type"]["id"] == 7 && r["job_type"]["version"] == "1.3.0"));

    let v = page(&api(
        "/jobs/?job_type_category=analysis&job_type_category=export&page_size=1000",
    ));
    assert!(v["count"].as_u64().unwrap() > 0);
    assert!(results(&v).iter().all(|r| {
        let c = r["job_type"]["category"].as_str().unwrap();
        c == "analysis" || c == "export"
    }));
    let sys = page(&api("/jobs/?job_type_category=system&page_size=1000"));
    assert!(results(&sys)
        .iter()
        .all(|r| r["job_type"]["is_system"] == true));
}

#[test]
fn error_category_filter_and_combination() {
    let mut total = 0;
    for cat in ["SYSTEM", "DATA", "ALGORITHM"] {
        let v = page(&api(&format!("/jobs/?error_category={cat}&page_size=1000")));
        let n = v["count"].as_u64().unwrap();
        assert!(n > 0, "no {cat} errors");
        assert!(results(&v)
            .iter()
            .all(|r| r["error"]["category"] == cat && r["status"] == "FAILED"));
        total += n;
    }
    assert_eq!(count(&api("/jobs/?status=FAILED")), total);
    // Different parameters AND.
    let both = count(&api(
        "/jobs/?error_category=DATA&error_category=ALGORITHM&status=FAILED",
    ));
    assert_eq!(
        both,
        count(&api("/jobs/?error_category=DATA")) + count(&api("/jobs/?error_category=ALGORITHM"))
    );
    assert_eq!(
        count(&api("/jobs/?error_category=DATA&status=COMPLETED")),
        0
    );
}

#[test]
fn job_id_and_include_superseded() {
    // The scripted chain 1 -> 2 -> 3: 1 and 2 are superseded.
    let v = page(&api("/jobs/?job_id=1&job_id=2&job_id=3&order=id"));
    assert_eq!(ids(&v), vec![3]);
    for t in ["true", "True", "T", "1"] {
        let v = page(&api(&format!(
            "/jobs/?job_id=1&job_id=2&job_id=3&include_superseded={t}&order=id"
        )));
        assert_eq!(ids(&v), vec![1, 2, 3], "include_superseded={t}");
        let first = &results(&v)[0];
        assert_eq!(first["is_superseded"], true);
        // In lists, references are `{id}` only.
        assert_eq!(first["superseded_by_job"], serde_json::json!({"id": 2}));
    }
    for f in ["false", "F", "0"] {
        assert_eq!(
            ids(&page(&api(&format!(
                "/jobs/?job_id=1&job_id=2&job_id=3&include_superseded={f}"
            )))),
            vec![3]
        );
    }
    let hidden = all().len() - visible().len();
    assert!(hidden > 0);
    assert_eq!(
        count(&api("/jobs/?include_superseded=true")) as usize,
        all().len()
    );
    let v = page(&api("/jobs/?job_id=5"));
    assert_eq!(ids(&v), vec![5]);
}

#[test]
fn unknown_params_are_ignored() {
    assert_eq!(
        count(&api("/jobs/?foo=bar&url=.%2Fapi&status=FAILED")),
        count(&api("/jobs/?status=FAILED"))
    );
}

#[test]
fn parameter_errors_are_scales_400s() {
    let cases: &[(&str, &str)] = &[
        (
            "job_id=abc",
            "Parameter must be a valid integer: \"job_id\"",
        ),
        (
            "job_type_id=1.5",
            "Parameter must be a valid integer: \"job_type_id\"",
        ),
        (
            "job_type_id=",
            "Parameter must be a valid integer: \"job_type_id\"",
        ),
        (
            "include_superseded=yes",
            "Parameter must be a valid boolean: \"include_superseded\"",
        ),
        (
            "started=2026-11-27T00:00:00",
            "Invalid ISO timestamp format for parameter: started",
        ),
        (
            "started=2026-11-27",
            "Invalid ISO timestamp format for parameter: started",
        ),
        (
            "started=2026-11-27T00:00:00+00:00",
            "Invalid ISO timestamp format for parameter: started",
        ),
        (
            "started=2026-11-27T00:00:00-05:00",
            "Invalid ISO timestamp format for parameter: started",
        ),
        (
            "started=2026-11-27T00:00:00z",
            "Invalid ISO timestamp format for parameter: started",
        ),
        (
            "started=yesterday",
            "Invalid ISO timestamp format for parameter: started",
        ),
        (
            "started=P1W",
            "Invalid ISO timestamp format for parameter: started",
        ),
        (
            "started=P1M",
            "Invalid ISO timestamp format for parameter: started",
        ),
        (
            "started=P1Y",
            "Invalid ISO timestamp format for parameter: started",
        ),
        (
            "ended=2026-13-45T00:00:00Z",
            "Invalid ISO timestamp format for parameter: ended",
        ),
        (
            "started=2026-11-28T07:56:50.466Z&ended=2026-11-28T07:56:50.466Z",
            "Start and end values must be different",
        ),
        (
            "started=2026-11-28T07:56:50.466Z&ended=2026-11-27T07:56:50.466Z",
            "Start time must come before end time",
        ),
        (
            "started=PT1H&ended=P1D",
            "Start time must come before end time",
        ),
    ];
    for (q, detail) in cases {
        for endpoint in ["/jobs/", "/jobs/executions/"] {
            let r = get(&api(&format!("{endpoint}?{q}")));
            assert_eq!(r.status, 400, "{endpoint}?{q}: {}", r.text);
            assert_eq!(&r.detail(), detail, "{endpoint}?{q}");
        }
    }
    let r = get(&api("/jobs/updates/?started=nope"));
    assert_eq!(
        (r.status, r.detail().as_str()),
        (400, "Invalid ISO timestamp format for parameter: started")
    );
}

// ---------------------------------------------------------------------------
// Time bounds.

#[test]
fn absolute_bounds_filter_last_modified_inclusively() {
    let jobs = visible();
    let mid = &jobs[jobs.len() / 2];
    let t = mid["last_modified"].as_str().unwrap();
    let t_dt = ts(&mid["last_modified"]);
    let after = |j: &&&Value| ts(&j["last_modified"]) >= t_dt;
    let before = |j: &&&Value| ts(&j["last_modified"]) <= t_dt;
    assert_eq!(
        count(&api(&format!("/jobs/?started={t}"))) as usize,
        jobs.iter().filter(after).count()
    );
    assert_eq!(
        count(&api(&format!("/jobs/?ended={t}"))) as usize,
        jobs.iter().filter(before).count()
    );
    // Inclusive at both ends: a range of [t, t + 1µs] holds the job.
    let plus =
        (t_dt + Duration::microseconds(1)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let v = page(&api(&format!(
        "/jobs/?started={t}&ended={plus}&page_size=1000"
    )));
    assert!(ids(&v).contains(&mid["id"].as_i64().unwrap()));
    // The same instant with a `+hh:mm` offset (encoded as %2B).
    let shifted = t_dt.with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap());
    let with_offset = shifted
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
        .replace('+', "%2B");
    assert_eq!(
        count(&api(&format!("/jobs/?started={with_offset}"))),
        count(&api(&format!("/jobs/?started={t}")))
    );
    // Bounds apply to all three lists.
    for endpoint in ["/jobs/updates/", "/jobs/executions/"] {
        assert_eq!(
            count(&api(&format!("{endpoint}?started={t}"))) as usize,
            jobs.iter().filter(after).count(),
            "{endpoint}"
        );
    }
}

#[test]
fn durations_mean_now_minus() {
    let now = Utc::now();
    let v = page(&api("/jobs/?started=PT6H&page_size=1000"));
    assert!(v["count"].as_u64().unwrap() > 0);
    for r in results(&v) {
        assert!(ts(&r["last_modified"]) >= now - Duration::hours(6) - Duration::seconds(5));
    }
    let v = page(&api("/jobs/?ended=P2D&page_size=1000"));
    assert!(v["count"].as_u64().unwrap() > 0);
    for r in results(&v) {
        assert!(ts(&r["last_modified"]) <= now - Duration::days(2) + Duration::seconds(5));
    }
    let jobs = visible();
    let expected = jobs
        .iter()
        .filter(|j| {
            let t = ts(&j["last_modified"]);
            t >= now - Duration::days(2) && t <= now - Duration::hours(24)
        })
        .count() as i64;
    let got = count(&api("/jobs/?started=P2D&ended=PT24H")) as i64;
    assert!((got - expected).abs() <= 1, "{got} vs {expected}");
    for d in ["PT1.5H", "PT3H0M0S", "P1DT12H", "PT90M", "PT3600S"] {
        assert_eq!(get(&api(&format!("/jobs/?started={d}"))).status, 200, "{d}");
    }
    // Most activity is recent: more jobs changed in the last day than in
    // the day a week ago.
    let last_day = count(&api("/jobs/?started=P1D")) as i64;
    let week_ago = count(&api("/jobs/?started=P8D&ended=P7D")) as i64;
    assert!(last_day > week_ago, "{last_day} vs {week_ago}");
    // Spread over two weeks.
    assert!(count(&api("/jobs/?ended=P10D")) > 0);
    assert_eq!(count(&api("/jobs/?ended=P15D")), 0);
}

// ---------------------------------------------------------------------------
// Ordering.

/// The value a sort field reads from a list entry.
fn field(r: &Value, f: &str) -> Value {
    match f.split_once("__") {
        Some((a, b)) => r[a][b].clone(),
        None => r[f].clone(),
    }
}

/// PostgreSQL's order: NULLs last ascending (first descending).
fn cmp_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .unwrap()
            .partial_cmp(&y.as_f64().unwrap())
            .unwrap(),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::String(x), Value::String(y)) => {
            // Datetimes compare as instants, other strings as bytes.
            match (
                DateTime::parse_from_rfc3339(x),
                DateTime::parse_from_rfc3339(y),
            ) {
                (Ok(p), Ok(q)) => p.cmp(&q),
                _ => x.cmp(y),
            }
        }
        _ => panic!("incomparable {a} {b}"),
    }
}

fn assert_sorted(rows: &[Value], order: &[&str]) {
    let mut keys: Vec<(String, bool)> = order
        .iter()
        .map(|o| match o.strip_prefix('-') {
            Some(f) => (f.to_string(), true),
            None => (o.to_string(), false),
        })
        .collect();
    // The server's tiebreaker: `id`, in the last term's direction.
    if !keys.iter().any(|k| k.0 == "id") {
        let last_desc = keys.last().is_some_and(|k| k.1);
        keys.push(("id".into(), last_desc));
    }
    for w in rows.windows(2) {
        let mut ord = Ordering::Equal;
        for (f, desc) in &keys {
            let c = cmp_values(&field(&w[0], f), &field(&w[1], f));
            ord = if *desc { c.reverse() } else { c };
            if ord != Ordering::Equal {
                break;
            }
        }
        assert_ne!(
            ord,
            Ordering::Greater,
            "not sorted by {order:?}: {} then {}",
            w[0]["id"],
            w[1]["id"]
        );
    }
}

#[test]
fn ordering_single_descending_and_multi_field() {
    let cases: &[&[&str]] = &[
        &[],
        &["status"],
        &["-status"],
        &["-last_modified"],
        &["job_type__name", "-job_type__version"],
        &["priority", "-last_modified"],
        &["-id"],
        &["error__category", "-ended"],
        &["-started"],
        &["job_type__category", "num_exes"],
        &["-job_type__title", "created"],
        &["-error__title"],
    ];
    for order in cases {
        let q: String = order.iter().map(|o| format!("&order={o}")).collect();
        let v = page(&api(&format!("/jobs/?page_size=1000{q}")));
        let effective: Vec<&str> = if order.is_empty() {
            vec!["last_modified"]
        } else {
            order.to_vec()
        };
        assert_sorted(results(&v), &effective);
    }
    // Multi-field really sorts by the second key within the first.
    let v = page(&api(
        "/jobs/?order=job_type__name&order=-job_type__version&job_type_category=landsat&page_size=1000",
    ));
    let versions: Vec<&str> = results(&v)
        .iter()
        .map(|r| r["job_type"]["version"].as_str().unwrap())
        .collect();
    let mut sorted = versions.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(versions, sorted);
    assert!(versions.contains(&"1.3.0") && versions.contains(&"1.2.0"));
}

#[test]
fn bad_order_is_a_400_naming_the_fields() {
    for q in [
        "order=foo",
        "order=",
        "order=job_type__foo",
        "order=status%20",
        "order=-",
    ] {
        let r = get(&api(&format!("/jobs/?{q}")));
        assert_eq!(r.status, 400, "{q}");
        let d = r.detail();
        assert!(
            d.contains("last_modified") && d.contains("job_type__name"),
            "{q}: {d}"
        );
    }
}

// ---------------------------------------------------------------------------
// Updates and executions.

#[test]
fn updates_ignore_job_id_and_error_category() {
    let plain = page(&api("/jobs/updates/?page_size=1000"));
    for q in [
        "job_id=1",
        "error_category=DATA",
        "job_id=abc",
        "error_category=x&job_id=1",
    ] {
        let v = page(&api(&format!("/jobs/updates/?{q}&page_size=1000")));
        assert_eq!(v["count"], plain["count"], "{q}");
        assert_eq!(ids(&v), ids(&plain), "{q}");
    }
    // It does filter on the others.
    let running = page(&api("/jobs/updates/?status=RUNNING&page_size=1000"));
    assert_eq!(statuses(&running), HashSet::from(["RUNNING".to_string()]));
    assert_eq!(
        count(&api("/jobs/updates/?job_type_name=sentinel2-atmos")),
        count(&api("/jobs/?job_type_name=sentinel2-atmos"))
    );
    assert_eq!(
        count(&api("/jobs/updates/?include_superseded=true")) as usize,
        all().len()
    );
}

#[test]
fn updates_default_order_and_input_files() {
    let v = page(&api("/jobs/updates/?page_size=1000"));
    assert_sorted(results(&v), &["last_status_change"]);
    let v = page(&api(
        "/jobs/updates/?page_size=1000&order=-last_status_change",
    ));
    assert_sorted(results(&v), &["-last_status_change"]);
    let mut with_files = 0;
    for r in results(&v) {
        let files = r["input_files"].as_array().expect("input_files is a list");
        for f in files {
            let file: scale_jobs_shared::ScaleFile = serde_json::from_value(f.clone()).unwrap();
            // Only the legacy mirror's hostile records are not https.
            let url = file.url.unwrap();
            let workspace = file.workspace.unwrap().name.unwrap();
            assert!(
                url.starts_with("https://") || workspace == "legacy-mirror",
                "{url}"
            );
            assert!(file.media_type.is_some() && file.file_size.unwrap() > 0);
        }
        if !files.is_empty() {
            with_files += 1;
        }
    }
    assert!(with_files > 0);
    // System jobs have property inputs only.
    let sys = page(&api("/jobs/updates/?job_type_name=scale-clock"));
    assert!(results(&sys)
        .iter()
        .all(|r| r["input_files"] == serde_json::json!([])));
}

#[test]
fn executions_carry_latest_job_exe() {
    let v = page(&api(
        "/jobs/executions/?page_size=1000&order=-last_modified",
    ));
    assert_eq!(v["count"].as_u64().unwrap() as usize, visible().len());
    assert_sorted(results(&v), &["-last_modified"]);
    let mut seen_null = false;
    let mut checked = 0;
    for r in results(&v) {
        let obj = r.as_object().unwrap();
        assert!(obj.contains_key("latest_job_exe"), "key always present");
        let exe = &r["latest_job_exe"];
        if r["num_exes"] == 0 {
            assert!(exe.is_null());
            seen_null = true;
        } else {
            assert_eq!(exe["job"]["id"], r["id"]);
            if checked < 5 {
                let d = get(&api(&format!("/jobs/{}/", r["id"]))).json();
                assert_eq!(exe["id"], d["job_exes"][0]["id"]);
                assert_eq!(exe["status"], d["job_exes"][0]["status"]);
                checked += 1;
            }
        }
    }
    assert!(seen_null && checked == 5);
    // The list filters as /jobs/ does.
    let f = page(&api(
        "/jobs/executions/?status=FAILED&error_category=SYSTEM&page_size=1000",
    ));
    assert_eq!(
        f["count"],
        page(&api("/jobs/?status=FAILED&error_category=SYSTEM"))["count"]
    );
    assert!(results(&f)
        .iter()
        .all(|r| r["latest_job_exe"]["status"] == "FAILED"));
    let one = page(&api(
        "/jobs/executions/?job_id=3&job_id=5&order=-last_modified",
    ));
    let mut got = ids(&one);
    got.sort();
    assert_eq!(got, vec![3, 5]);
}

// ---------------------------------------------------------------------------
// Routing.

#[test]
fn trailing_slash_redirects_keep_the_query() {
    for (path, location) in [
        ("/api/v5/jobs?page_size=25", "/api/v5/jobs/?page_size=25"),
        ("/api/v5/jobs/1", "/api/v5/jobs/1/"),
        (
            "/api/v4/jobs/updates?x=1&y=2",
            "/api/v4/jobs/updates/?x=1&y=2",
        ),
        ("/api/v5/jobs/executions", "/api/v5/jobs/executions/"),
    ] {
        for method in ["GET", "PATCH", "POST", "DELETE"] {
            let r = send(method, &server().url(path), &[], None);
            assert_eq!(r.status, 301, "{method} {path}");
            assert_eq!(r.header("location").as_deref(), Some(location));
        }
    }
    // Only when the slashed path exists.
    assert_eq!(get(&server().url("/api/v5/jobs/abc")).status, 404);
    assert_eq!(get(&server().url("/api/v5/nothing")).status, 404);
}

#[test]
fn other_methods_are_405() {
    for method in ["PUT", "POST", "DELETE"] {
        for path in ["/jobs/", "/jobs/updates/", "/jobs/executions/", "/jobs/3/"] {
            let r = send(
                method,
                &api(path),
                &[("content-type", "application/json")],
                Some("{}"),
            );
            assert_eq!(r.status, 405, "{method} {path}");
            assert_eq!(r.detail(), format!("Method \"{method}\" not allowed."));
            assert!(r.header("allow").unwrap().contains("GET"));
        }
    }
    let r = send("PATCH", &api("/jobs/"), &[], None);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow").as_deref(), Some("GET, HEAD, OPTIONS"));
    let r = send("OPTIONS", &api("/jobs/3/"), &[], None);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("allow").as_deref(),
        Some("GET, PATCH, HEAD, OPTIONS")
    );
    let r = send("HEAD", &api("/jobs/?page_size=1"), &[], None);
    assert_eq!(r.status, 200);
    assert!(r.text.is_empty());
}

#[test]
fn not_found_paths() {
    for path in [
        "/api/v5/jobs/abc/",
        "/api/v5/jobs/999999/",
        "/api/v5/nothing/",
        "/api/v6/jobs/",
        "/api/v5/",
        "/jobs/",
    ] {
        let r = get(&server().url(path));
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.detail(), "Not found.", "{path}");
    }
}

#[test]
fn v4_answers_like_v5() {
    let v5 = page(&api("/jobs/?page_size=2&order=-id"));
    let v4 = page(&server().url("/api/v4/jobs/?page_size=2&order=-id"));
    assert_eq!(v4["results"], v5["results"]);
    assert_eq!(v4["count"], v5["count"]);
    let d5 = get(&api("/jobs/3/")).json();
    let d4 = get(&server().url("/api/v4/jobs/3/")).json();
    assert_eq!(d4, d5);
}

#[test]
fn requests_are_logged_one_line_each() {
    let marker = "page_size=3&logged=yes";
    page(&api(&format!("/jobs/?{marker}")));
    let line = server()
        .wait_for_stderr(marker)
        .expect("a log line for the request");
    assert!(line.starts_with("GET /api/v5/jobs/?"), "{line}");
    assert!(line.contains(" 200 ") && line.ends_with("ms"), "{line}");
}

/// Replays every recorded error request of the real Scale and checks ours
/// answers the same status and body, except where we improve on an HTML
/// 500 (checked elsewhere).
#[test]
fn recorded_scale_errors_replay_identically() {
    let dir = fixtures_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("fixtures not found at {}; skipping", dir.display());
        return;
    };
    let mut checked = 0;
    let mut names: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    for path in names {
        let f: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let status = f["status"].as_u64().unwrap();
        let method = f["method"].as_str().unwrap();
        let pq = f["path_and_query"].as_str().unwrap();
        // Only GETs (PATCHes touch specific jobs; see the cancel tests), and
        // only answers that do not depend on the data set.
        if method != "GET" || !(status == 400 || status == 301 || status == 405) {
            continue;
        }
        let r = get(&server().url(&format!("/api{pq}")));
        assert_eq!(u64::from(r.status), status, "{}", path.display());
        if status == 301 {
            assert_eq!(
                r.header("location"),
                f["response_headers"]["Location"]
                    .as_str()
                    .map(str::to_string),
                "{}",
                path.display()
            );
        } else {
            assert_eq!(r.json(), f["body"], "{}", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} fixtures replayed");
    // And the paging 404s.
    for pq in [
        "/v5/jobs/?page=0&page_size=25",
        "/v5/jobs/?page=abc&page_size=25",
        "/v5/jobs/?page=&page_size=25",
        "/v5/jobs/?page=999&page_size=25",
    ] {
        let r = get(&server().url(&format!("/api{pq}")));
        assert_eq!(
            (r.status, r.json()),
            (404, serde_json::json!({"detail": "Invalid page."}))
        );
    }
}

/// The keys of a list's rows and of the objects inside them, gathered over
/// every row: `(where, keys)` with `where` like `row` or `row.job_type`.
fn row_shapes<'a>(rows: impl Iterator<Item = &'a Value>) -> Vec<(String, Vec<String>)> {
    let mut shapes: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    let mut add = |at: &str, v: &Value| {
        if let Some(obj) = v.as_object() {
            shapes
                .entry(at.to_owned())
                .or_default()
                .extend(obj.keys().cloned());
        }
    };
    for row in rows {
        add("row", row);
        for key in [
            "job_type",
            "job_type_rev",
            "event",
            "error",
            "latest_job_exe",
        ] {
            add(&format!("row.{key}"), &row[key]);
        }
        for file in row["input_files"].as_array().into_iter().flatten() {
            add("row.input_files[]", file);
        }
    }
    shapes
        .into_iter()
        .map(|(at, keys)| (at, keys.into_iter().collect()))
        .collect()
}

/// Each list's rows carry exactly the keys a real Scale 5.0 sends in its
/// rows, nested objects included (a key with no value is there as null).
#[test]
fn list_rows_carry_exactly_the_keys_scale_sends() {
    let dir = fixtures_dir();
    let mut recorded: std::collections::HashMap<&str, Vec<Value>> = Default::default();
    for entry in std::fs::read_dir(&dir).expect("the recorded Scale answers") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let f: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let list = match f["path_and_query"].as_str().unwrap().split('?').next() {
            Some("/v5/jobs/") => "/jobs/",
            Some("/v5/jobs/executions/") => "/jobs/executions/",
            Some("/v5/jobs/updates/") => "/jobs/updates/",
            _ => continue,
        };
        if f["status"] == 200 {
            let rows = f["body"]["results"].as_array().unwrap().clone();
            recorded.entry(list).or_default().extend(rows);
        }
    }
    for list in ["/jobs/", "/jobs/executions/", "/jobs/updates/"] {
        let scale = recorded.get(list).map(Vec::as_slice).unwrap_or_default();
        assert!(scale.len() >= 10, "{list}: {} recorded rows", scale.len());
        let ours = get(&api(&format!("{list}?page_size=1000"))).json();
        let ours = ours["results"].as_array().unwrap();
        assert_eq!(
            row_shapes(ours.iter()),
            row_shapes(scale.iter()),
            "{list}: our rows' keys (left) against Scale's (right)"
        );
    }
}
