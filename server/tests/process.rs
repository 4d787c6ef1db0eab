//! The server as a process: flags, static app hosting, the upstream proxy,
//! demo data, persistence, simulation, errors and shutdown.

mod common;

use common::*;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs the binary expecting it to fail; returns (exit code, stderr).
fn run_failing(args: &[&str]) -> (i32, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            return (
                status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stderr).to_string(),
            );
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn bad_flags_busy_port_and_bad_paths_are_one_line_errors() {
    let (code, err) = run_failing(&["--bogus"]);
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--bogus"), "{err}");
    let (code, err) = run_failing(&["--demo-jobs", "many"]);
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("many"), "{err}");

    let s = Server::start(&["--demo-jobs", "5"]);
    let addr = format!("127.0.0.1:{}", s.port);
    let (code, err) = run_failing(&["--addr", &addr, "--demo-jobs", "5"]);
    assert_ne!(code, 0);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains(&addr) && err.contains("address already in use"),
        "{err}"
    );

    let (code, err) = run_failing(&[
        "--addr",
        "127.0.0.1:0",
        "--db",
        "/nonexistent-dir-for-test/jobs.db",
    ]);
    assert_ne!(code, 0);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot use database /nonexistent-dir-for-test/jobs.db"),
        "{err}"
    );
    // A directory is not a database either.
    let dir = temp_dir("dbdir");
    let (code, err) = run_failing(&["--addr", "127.0.0.1:0", "--db", dir.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot use database"), "{err}");

    // A database file from something else is refused, not misread.
    let foreign = dir.join("foreign.db");
    {
        let c = rusqlite::Connection::open(&foreign).unwrap();
        c.execute_batch("CREATE TABLE jobs (id INTEGER PRIMARY KEY); INSERT INTO jobs VALUES (1);")
            .unwrap();
    }
    let (code, err) = run_failing(&["--addr", "127.0.0.1:0", "--db", foreign.to_str().unwrap()]);
    assert_ne!(code, 0);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("another version"), "{err}");

    let (code, err) = run_failing(&["--addr", "127.0.0.1:0", "--dist", "/nonexistent-dist"]);
    assert_ne!(code, 0);
    assert!(err.contains("--dist /nonexistent-dist"), "{err}");
    let (code, err) = run_failing(&["--addr", "127.0.0.1:0", "--upstream", "ftp://x"]);
    assert_ne!(code, 0);
    assert!(err.contains("--upstream"), "{err}");
}

#[test]
fn dist_is_served_with_spa_fallback_and_config() {
    let dir = temp_dir("dist");
    std::fs::write(dir.join("index.html"), "<!doctype html><title>app</title>").unwrap();
    std::fs::write(dir.join("app-1234.js"), "console.log(1)").unwrap();
    std::fs::write(dir.join("app-1234_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("style.css"), "body{}").unwrap();
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(dir.join("assets/logo.svg"), "<svg/>").unwrap();
    // The page of the iframe routes, as the build writes it.
    std::fs::create_dir_all(dir.join("embed")).unwrap();
    std::fs::write(dir.join("embed/index.html"), "<title>frame</title>").unwrap();
    let s = Server::start(&[
        "--demo-jobs",
        "20",
        "--dist",
        dir.to_str().unwrap(),
        "--refresh-seconds",
        "7",
    ]);
    for (path, mime, body) in [
        ("/", "text/html", "<!doctype html><title>app</title>"),
        (
            "/index.html",
            "text/html",
            "<!doctype html><title>app</title>",
        ),
        ("/app-1234.js", "text/javascript", "console.log(1)"),
        ("/style.css", "text/css", "body{}"),
        ("/assets/logo.svg", "image/svg+xml", "<svg/>"),
        // Single-page-app routes get index.html.
        ("/jobs/42", "text/html", "<!doctype html><title>app</title>"),
        (
            "/jobs?status=FAILED",
            "text/html",
            "<!doctype html><title>app</title>",
        ),
        // The nearest index.html above a route: the iframe routes' page
        // for /embed/..., through directories without one to the root's.
        ("/embed/jobs/42", "text/html", "<title>frame</title>"),
        (
            "/embed/jobs?status=FAILED",
            "text/html",
            "<title>frame</title>",
        ),
        (
            "/embed/widget/deep/path",
            "text/html",
            "<title>frame</title>",
        ),
        ("/embed", "text/html", "<title>frame</title>"),
        (
            "/assets/route/deeper",
            "text/html",
            "<!doctype html><title>app</title>",
        ),
        (
            "/embedded/jobs",
            "text/html",
            "<!doctype html><title>app</title>",
        ),
    ] {
        let r = get(&s.url(path));
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.header("content-type").unwrap().starts_with(mime),
            "{path}: {r:?}"
        );
        assert_eq!(r.text, body, "{path}");
    }
    let r = get(&s.url("/app-1234_bg.wasm"));
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/wasm")
    );
    // Missing files, traversal and unknown API paths are 404s, not the app.
    for path in [
        "/missing.js",
        "/assets/nope.png",
        "/embed/missing.js",
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/api/v5/nope/",
        "/api/other",
    ] {
        assert_eq!(get(&s.url(path)).status, 404, "{path}");
    }
    // Generated config.
    let r = get(&s.url("/config.json"));
    assert_eq!(r.status, 200);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(
        r.json(),
        json!({"api_base": "/api/v5", "refresh_seconds": 7})
    );
    assert_eq!(
        send("POST", &s.url("/config.json"), &[], Some("{}")).status,
        405
    );
    assert_eq!(send("DELETE", &s.url("/index.html"), &[], None).status, 405);
    let head = send("HEAD", &s.url("/app-1234.js"), &[], None);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length").as_deref(), Some("14"));
    // The API still answers beside the app.
    assert_eq!(count(&s.api("/jobs/?include_superseded=true")), 20);
    drop(s);

    // DIR's own config.json wins.
    std::fs::write(
        dir.join("config.json"),
        r#"{"api_base":"/service/scale/api/v5"}"#,
    )
    .unwrap();
    let s = Server::start(&["--demo-jobs", "5", "--dist", dir.to_str().unwrap()]);
    assert_eq!(
        get(&s.url("/config.json")).json(),
        json!({"api_base": "/service/scale/api/v5"})
    );
    // Without --dist, config.json is still generated (default refresh).
    let plain = Server::start(&["--demo-jobs", "5"]);
    assert_eq!(
        get(&plain.url("/config.json")).json(),
        json!({"api_base": "/api/v5", "refresh_seconds": 30})
    );
    assert_eq!(get(&plain.url("/")).status, 200);
    assert_eq!(get(&plain.url("/jobs/42")).status, 404);
}

#[test]
fn upstream_forwards_everything_and_502s_when_down() {
    let real = Server::start(&["--demo-jobs", "60", "--seed", "3"]);
    let proxy = Server::start(&["--upstream", &format!("{}/api/v5", real.base)]);

    // Lists, with the query passed through.
    let q = "/jobs/?status=FAILED&status=COMPLETED&order=-last_modified&page_size=5";
    let direct = page(&real.api(q));
    let via = page(&proxy.api(q));
    assert_eq!(via["results"], direct["results"]);
    assert_eq!(via["count"], direct["count"]);
    // v4 goes to the same upstream.
    let via4 = page(&proxy.url(&format!("/api/v4{q}")));
    assert_eq!(via4["results"], direct["results"]);
    // Errors and their status come back as they are.
    let r = get(&proxy.api("/jobs/?started=nope"));
    assert_eq!(r.status, 400);
    assert_eq!(
        r.detail(),
        "Invalid ISO timestamp format for parameter: started"
    );
    let r = get(&proxy.api("/jobs/?page=99"));
    assert_eq!((r.status, r.detail().as_str()), (404, "Invalid page."));
    // Redirects are passed back, not followed, with our prefix.
    let r = get(&proxy.url("/api/v4/jobs?page_size=2"));
    assert_eq!(r.status, 301);
    assert_eq!(
        r.header("location").as_deref(),
        Some("/api/v4/jobs/?page_size=2")
    );
    // PATCH with body, content type, cookies and the CSRF header.
    let pending = page(&real.api("/jobs/?status=PENDING&order=id"));
    let id = results(&pending)[0]["id"].as_i64().unwrap();
    let url = proxy.api(&format!("/jobs/{id}/"));
    let cookies = ("cookie", "csrftoken=t0k; sessionid=s1");
    let ct = ("content-type", "application/json");
    let body = Some(r#"{"status":"CANCELED"}"#);
    let r = send("PATCH", &url, &[ct, cookies], body);
    assert_eq!(r.status, 403, "cookies reach the upstream: {}", r.text);
    let r = send(
        "PATCH",
        &url,
        &[
            ("content-type", "text/plain"),
            cookies,
            ("x-csrftoken", "t0k"),
        ],
        body,
    );
    assert_eq!(r.status, 415, "content type reaches the upstream");
    let r = send("PATCH", &url, &[ct, cookies, ("x-csrftoken", "t0k")], body);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status"], "CANCELED");
    assert_eq!(
        get(&real.api(&format!("/jobs/{id}/"))).json()["status"],
        "CANCELED"
    );
    let r = send("PATCH", &url, &[ct], body);
    assert_eq!(r.status, 409);
    // Non-API paths are not forwarded.
    assert_eq!(
        get(&proxy.url("/config.json")).json(),
        json!({"api_base": "/api/v5", "refresh_seconds": 30})
    );

    // A dead upstream: a clear 502 with a JSON detail.
    let dead_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dead = Server::start(&[
        "--upstream",
        &format!("http://127.0.0.1:{dead_port}/api/v5"),
    ]);
    let r = get(&dead.api("/jobs/"));
    assert_eq!(r.status, 502);
    let d = r.detail();
    assert!(
        d.contains("unreachable") && d.contains(&dead_port.to_string()),
        "{d}"
    );
}

/// What a data set looks like, timestamps aside.
fn fingerprint(s: &Server) -> Vec<Value> {
    let v = page(&s.api("/jobs/?include_superseded=true&page_size=50"));
    results(&v)
        .iter()
        .map(|r| {
            json!([
                r["id"],
                r["status"],
                r["job_type"]["name"],
                r["num_exes"],
                r["error"]["id"]
            ])
        })
        .collect()
}

#[test]
fn same_seed_same_data() {
    let a = Server::start(&["--demo-jobs", "150", "--seed", "42"]);
    let b = Server::start(&["--demo-jobs", "150", "--seed", "42"]);
    let c = Server::start(&["--demo-jobs", "150", "--seed", "43"]);
    assert_eq!(fingerprint(&a), fingerprint(&b));
    assert_ne!(fingerprint(&a), fingerprint(&c));
    // Details match too, apart from the moment of generation.
    let strip = |mut v: Value| {
        fn walk(v: &mut Value) {
            match v {
                Value::Object(m) => {
                    for (k, x) in m.iter_mut() {
                        if x.as_str()
                            .is_some_and(|s| s.len() >= 20 && s.ends_with('Z') && s.contains('T'))
                        {
                            *x = Value::String(format!("<time {k}>"));
                        } else {
                            walk(x);
                        }
                    }
                }
                Value::Array(a) => a.iter_mut().for_each(walk),
                _ => {}
            }
        }
        walk(&mut v);
        v
    };
    for id in [1, 3, 5, 77] {
        assert_eq!(
            strip(get(&a.api(&format!("/jobs/{id}/"))).json()),
            strip(get(&b.api(&format!("/jobs/{id}/"))).json()),
            "job {id}"
        );
    }
}

#[test]
fn demo_data_is_rich() {
    let s = Server::start(&["--demo-jobs", "400", "--seed", "1"]);
    let all = all_jobs(&s, "/jobs/");
    assert_eq!(all.len(), 400);
    let statuses: HashSet<&str> = all.iter().map(|j| j["status"].as_str().unwrap()).collect();
    for st in [
        "PENDING",
        "BLOCKED",
        "QUEUED",
        "RUNNING",
        "FAILED",
        "COMPLETED",
        "CANCELED",
    ] {
        assert!(statuses.contains(st), "no {st}");
    }
    let categories: HashSet<&str> = all
        .iter()
        .filter_map(|j| j["error"]["category"].as_str())
        .collect();
    assert_eq!(categories, HashSet::from(["SYSTEM", "DATA", "ALGORITHM"]));
    assert!(all.iter().any(|j| j["num_exes"] == 0));
    assert!(all.iter().any(|j| j["num_exes"].as_i64().unwrap() >= 3));
    // As in Scale's recorded data: never more executions than tries, but
    // for system jobs (0 tries: no limit).
    let over: Vec<String> = all
        .iter()
        .filter(|j| j["max_tries"] != 0 && j["num_exes"].as_i64() > j["max_tries"].as_i64())
        .map(|j| format!("{} {}/{}", j["id"], j["num_exes"], j["max_tries"]))
        .collect();
    assert!(over.is_empty(), "more executions than tries: {over:?}");
    let types: HashSet<&str> = all
        .iter()
        .map(|j| j["job_type"]["name"].as_str().unwrap())
        .collect();
    for t in [
        "scale-ingest",
        "scale-clock",
        "landsat8-parse",
        "ndvi-calc",
        "sentinel2-atmos",
        "vector-export",
    ] {
        assert!(types.contains(t), "no {t}");
    }
    let versions: HashSet<&str> = all
        .iter()
        .filter(|j| j["job_type"]["name"] == "landsat8-parse")
        .map(|j| j["job_type"]["version"].as_str().unwrap())
        .collect();
    assert!(versions.len() >= 2, "{versions:?}");
    assert!(all.iter().any(|j| j["job_type"]["is_system"] == true));
    // Superseded chains.
    let superseded: Vec<&Value> = all.iter().filter(|j| j["is_superseded"] == true).collect();
    assert!(!superseded.is_empty());
    assert!(superseded
        .iter()
        .all(|j| j["superseded_by_job"]["id"].is_i64()));
    // Events: some with rules, some without.
    assert!(all.iter().any(|j| j["event"]["rule"]["id"].is_i64()));
    assert!(all.iter().any(|j| j["event"]["rule"].is_null()));
    // Executions have phases, exit codes and nodes.
    let exes = all_jobs(&s, "/jobs/executions/");
    let failed_exe = exes
        .iter()
        .map(|j| &j["latest_job_exe"])
        .find(|e| e["status"] == "FAILED" && e["job_exit_code"].is_i64())
        .expect("a failed execution with an exit code");
    assert_ne!(failed_exe["job_exit_code"], 0);
    assert!(exes
        .iter()
        .any(|j| j["latest_job_exe"]["post_exit_code"] == 0));
    // File and files inputs with values, and recipes, in details.
    let mut file = false;
    let mut files = false;
    let mut recipes = false;
    for j in all
        .iter()
        .filter(|j| j["job_type"]["is_system"] == false)
        .take(40)
    {
        let d = get(&s.api(&format!("/jobs/{}/", j["id"]))).json();
        let _: scale_jobs_shared::JobDetails = serde_json::from_value(d.clone()).unwrap();
        for i in d["inputs"].as_array().unwrap() {
            file |= i["type"] == "file" && i["value"]["url"].is_string();
            files |= i["type"] == "files" && i["value"].as_array().is_some_and(|a| !a.is_empty());
        }
        recipes |= !d["recipes"].as_array().unwrap().is_empty();
    }
    assert!(file && files && recipes);
}

/// Every file object in a details answer's inputs and outputs.
fn detail_files(d: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for key in ["inputs", "outputs"] {
        for item in d[key].as_array().unwrap() {
            match &item["value"] {
                Value::Array(a) => out.extend(a.iter().filter(|f| f.is_object()).cloned()),
                f @ Value::Object(_) => out.push(f.clone()),
                _ => {}
            }
        }
    }
    out
}

#[test]
fn demo_data_holds_hostile_urls_and_names_even_when_small() {
    let s = Server::start(&["--demo-jobs", "300", "--seed", "9"]);
    let mut script_url = None;
    let mut data_url = None;
    let mut markup_name = false;
    let mut https = 0;
    // The scripted jobs come first: the hostile ones are among them.
    for id in 1..=40 {
        let d = get(&s.api(&format!("/jobs/{id}/"))).json();
        for f in detail_files(&d) {
            let url = f["url"].as_str().unwrap();
            if url == "javascript:alert(document.domain)" {
                script_url = Some(id);
                assert_eq!(f["workspace"]["name"], "legacy-mirror");
            } else if url == "data:text/html,<script>alert(1)</script>" {
                data_url = Some(id);
                assert_eq!(f["workspace"]["name"], "legacy-mirror");
            } else {
                assert!(url.starts_with("https://"), "{url}");
                https += 1;
            }
            markup_name |= f["file_name"] == "<img src=x onerror=alert(1)>.tif";
        }
    }
    let (script_url, data_url) = (script_url.unwrap(), data_url.unwrap());
    assert_ne!(script_url, data_url, "two different jobs");
    assert!(markup_name && https > 20);
    // Lists show them too (the updates list carries input files).
    let updates = all_jobs(&s, "/jobs/updates/");
    let odd: Vec<&str> = updates
        .iter()
        .flat_map(|j| j["input_files"].as_array().unwrap())
        .filter_map(|f| f["url"].as_str())
        .filter(|u| !u.starts_with("https://"))
        .collect();
    assert_eq!(odd.len(), 2, "{odd:?}");
    // The hostile job type text is still there.
    assert!(updates
        .iter()
        .any(|j| j["job_type"]["title"] == "<b>Vector</b> Export & Publish"));
}

#[test]
fn database_file_persists_and_shutdown_is_clean() {
    let dir = temp_dir("dbfile");
    let db = dir.join("jobs.db");
    let db = db.to_str().unwrap();
    let mut s = Server::start(&["--db", db, "--demo-jobs", "50", "--seed", "9"]);
    let id = results(&page(&s.api("/jobs/?status=PENDING")))[0]["id"]
        .as_i64()
        .unwrap();
    let r = patch_json(&s.api(&format!("/jobs/{id}/")), r#"{"status":"CANCELED"}"#);
    assert_eq!(r.status, 200);
    let before = fingerprint(&s);
    // SIGTERM: graceful shutdown, exit status 0.
    let status = s.terminate().expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");
    assert!(s.wait_for_stderr("shutting down").is_some());

    // Restart on the same file: the data is kept, not regenerated.
    let s = Server::start(&["--db", db, "--demo-jobs", "500", "--seed", "1"]);
    assert_eq!(fingerprint(&s), before);
    assert_eq!(count(&s.api("/jobs/?include_superseded=true")), 50);
    assert_eq!(
        get(&s.api(&format!("/jobs/{id}/"))).json()["status"],
        "CANCELED"
    );
    assert!(s.wait_for_stderr("using 50 jobs already in").is_some());
}

#[test]
fn simulation_moves_jobs_without_starving_requests() {
    let s = Server::start(&["--demo-jobs", "100", "--simulate", "--seed", "4"]);
    let snapshot = |s: &Server| -> Vec<(i64, String, String)> {
        all_jobs(s, "/jobs/")
            .iter()
            .map(|j| {
                (
                    j["id"].as_i64().unwrap(),
                    j["status"].as_str().unwrap().to_string(),
                    j["last_modified"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let before = snapshot(&s);
    // Requests keep being answered quickly meanwhile.
    let start = Instant::now();
    let mut slowest = Duration::ZERO;
    while start.elapsed() < Duration::from_millis(3500) {
        let t = Instant::now();
        page(&s.api("/jobs/?page_size=25&order=-last_modified"));
        slowest = slowest.max(t.elapsed());
        std::thread::sleep(Duration::from_millis(50));
    }
    // Generous: a debug build on a shared 2-core machine; a starved server
    // would stall for whole ticks.
    assert!(
        slowest < Duration::from_secs(2),
        "slowest request {slowest:?}"
    );
    let after = snapshot(&s);
    assert!(after.len() > before.len(), "new jobs arrive");
    let changed = before
        .iter()
        .filter(|b| {
            after
                .iter()
                .any(|a| a.0 == b.0 && (a.1 != b.1 || a.2 != b.2))
        })
        .count();
    assert!(changed >= 2, "jobs move along ({changed} changed)");
    // Moves follow the life cycle and make executions.
    let now_running: Vec<i64> = after
        .iter()
        .filter(|a| a.1 == "RUNNING" && before.iter().any(|b| b.0 == a.0 && b.1 == "QUEUED"))
        .map(|a| a.0)
        .collect();
    for id in now_running {
        let d = get(&s.api(&format!("/jobs/{id}/"))).json();
        assert_eq!(d["job_exes"][0]["status"], "RUNNING");
    }
    // New jobs are real jobs with details.
    let newest = after.iter().map(|a| a.0).max().unwrap();
    let d = get(&s.api(&format!("/jobs/{newest}/")));
    assert_eq!(d.status, 200);
    let _: scale_jobs_shared::JobDetails = serde_json::from_value(d.json()).unwrap();
}
