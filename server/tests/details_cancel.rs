//! Job details and every cancel case, over HTTP.

mod common;

use common::*;
use scale_jobs_shared::{IoValue, JobDetails, JobStatus};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// Read-only server for the details tests.
fn server() -> &'static Server {
    static S: OnceLock<Server> = OnceLock::new();
    S.get_or_init(|| Server::start_shared(&["--demo-jobs", "300", "--seed", "11"]))
}

fn details(s: &Server, id: i64) -> (Value, JobDetails) {
    let r = get(&s.api(&format!("/jobs/{id}/")));
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    let d: JobDetails = serde_json::from_value(v.clone()).expect("decodes as JobDetails");
    (v, d)
}

/// Visible jobs in a status, oldest first.
fn with_status(s: &Server, status: &str) -> Vec<Value> {
    results(&page(&s.api(&format!(
        "/jobs/?status={status}&page_size=1000&order=id"
    ))))
    .clone()
}

#[test]
fn rich_job_has_every_section() {
    let s = server();
    // Job 3 heads the scripted superseded chain 1 -> 2 -> 3.
    let (v, d) = details(s, 3);
    let jt = d.job.job_type.as_ref().unwrap();
    // Long job type form.
    assert!(jt.revision_num.is_some() && jt.docker_image.is_some() && jt.created.is_some());
    assert!(v["job_type"]
        .as_object()
        .unwrap()
        .contains_key("max_scheduled"));
    let rev = d.job.job_type_rev.as_ref().unwrap();
    let interface = rev.interface.as_ref().expect("interface in details");
    assert!(!interface.input_data.is_empty() && !interface.output_data.is_empty());
    // Event with its rule's name and configuration.
    let rule = d.job.event.as_ref().unwrap().rule.as_ref().unwrap();
    assert!(rule.name.is_some() && rule.configuration.is_some());
    // Superseded references are small job objects.
    let sup = d.job.superseded_job.as_ref().expect("superseded_job");
    assert_eq!(sup.id, 2);
    assert!(sup.job_type.as_ref().unwrap().name.is_some());
    assert_eq!(sup.status, Some(JobStatus::Failed));
    assert_eq!(d.job.root_superseded_job.as_ref().unwrap().id, 1);
    assert!(v["superseded_by_job"].is_null());
    let (v1, d1) = details(s, 1);
    assert_eq!(d1.job.superseded_by_job.as_ref().unwrap().id, 2);
    assert_eq!(d1.job.is_superseded, Some(true));
    assert!(d1.job.superseded.is_some());
    // A failed job's error carries created/last_modified in details...
    let err = &v1["error"];
    assert!(err["created"].is_string() && err["last_modified"].is_string());
    assert!(err["category"].is_string());
    // ...but not in lists.
    let listed = page(&s.api("/jobs/?job_id=1&include_superseded=true"));
    let le = &results(&listed)[0]["error"];
    assert!(le["category"].is_string());
    assert!(le.get("created").is_none());

    // Data, results, recipes.
    assert!(d.data.as_ref().unwrap()["input_data"].is_array());
    assert!(d.results.as_ref().unwrap()["output_data"].is_array());
    assert!(!d.recipes.is_empty());
    assert!(d.recipes.iter().any(|r| r.superseded_recipe.is_some()));

    // Inputs: a property, a file and a list of files, all with values.
    let kinds: Vec<&str> = d.inputs.iter().map(|i| i.kind.as_str()).collect();
    assert!(kinds.contains(&"property") && kinds.contains(&"file") && kinds.contains(&"files"));
    for i in &d.inputs {
        match (&*i.kind, &i.value) {
            ("property", IoValue::Property(_)) => {}
            ("file", IoValue::File(f)) => {
                assert!(f.url.as_ref().unwrap().starts_with("https://"));
                assert!(f.workspace.as_ref().unwrap().name.is_some());
            }
            ("files", IoValue::Files(fs)) => assert!(fs.len() >= 2),
            other => panic!("unexpected input {} {other:?}", i.name),
        }
    }
    // Outputs of a completed job are product files.
    assert_eq!(d.job.status, Some(JobStatus::Completed));
    assert!(!d.outputs.is_empty());
    for o in &d.outputs {
        match &o.value {
            IoValue::File(f) => assert_eq!(f.job.as_ref().unwrap().id, 3),
            IoValue::Files(fs) => assert!(fs.iter().all(|f| f.is_published == Some(true))),
            other => panic!("output {} is {other:?}", o.name),
        }
    }
    // Executions newest first, with nodes (hostnames) and phase times.
    assert!(!d.job_exes.is_empty());
    let exe = &d.job_exes[0];
    assert!(exe.node.as_ref().unwrap().hostname.is_some());
    assert!(exe.pre_started.is_some() && exe.job_exit_code == Some(0));
}

#[test]
fn executions_are_newest_first_and_unset_values_are_null() {
    let s = server();
    // Scripted: job 5 is an ndvi-calc that failed after three retries.
    let (v, d) = details(s, 5);
    assert_eq!(d.job.status, Some(JobStatus::Failed));
    assert_eq!(d.job_exes.len(), 4);
    let ids: Vec<i64> = d.job_exes.iter().map(|e| e.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ids, sorted);
    assert!(d
        .job_exes
        .iter()
        .all(|e| e.status == Some(JobStatus::Failed)));
    assert_eq!(v["num_exes"], 4);
    // Outputs of a failed job are unset (`null`).
    assert!(!d.outputs.is_empty());
    for o in v["outputs"].as_array().unwrap() {
        assert!(o["value"].is_null());
        assert!(o.as_object().unwrap().contains_key("value"));
    }
    // A pending job has no executions.
    let pending = &with_status(s, "PENDING")[0];
    let (_, d) = details(s, pending["id"].as_i64().unwrap());
    assert!(d.job_exes.is_empty());
    assert_eq!(d.job.num_exes, Some(0));
}

#[test]
fn missing_and_bad_ids() {
    let s = server();
    let r = get(&s.api("/jobs/999999/"));
    assert_eq!((r.status, r.detail().as_str()), (404, "Not found."));
    let r = get(&s.api("/jobs/abc/"));
    assert_eq!(r.status, 404);
}

// ---------------------------------------------------------------------------
// Cancel. Each test gets its own server: cancels change data.

fn fresh() -> Server {
    Server::start(&["--demo-jobs", "200", "--seed", "5"])
}

#[test]
fn every_cancelable_status_cancels() {
    let s = fresh();
    for status in ["PENDING", "BLOCKED", "QUEUED", "RUNNING", "FAILED"] {
        let job = with_status(&s, status)
            .into_iter()
            .find(|j| status != "RUNNING" || j["num_exes"].as_i64().unwrap() > 0)
            .unwrap_or_else(|| panic!("no {status} job"));
        let id = job["id"].as_i64().unwrap();
        let (before, _) = details(&s, id);
        let r = patch_json(&s.api(&format!("/jobs/{id}/")), r#"{"status":"CANCELED"}"#);
        assert_eq!(r.status, 200, "{status}: {}", r.text);
        let v = r.json();
        let d: JobDetails = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(d.job.status, Some(JobStatus::Canceled), "{status}");
        assert!(v["error"].is_null(), "{status}: error cleared");
        let lm = |x: &Value| x["last_modified"].as_str().unwrap().to_string();
        assert!(
            d.job.last_modified.unwrap().0
                > scale_jobs_shared::Timestamp::parse(&lm(&before)).unwrap().0
        );
        assert_eq!(d.job.ended, d.job.last_status_change);
        assert!(d.job.ended.is_some());
        if status == "RUNNING" {
            let exe = &d.job_exes[0];
            assert_eq!(exe.status, Some(JobStatus::Canceled));
            assert_eq!(exe.ended, d.job.ended);
        }
        if status == "FAILED" {
            // A finished execution stays as it was.
            assert_eq!(d.job_exes[0].status, Some(JobStatus::Failed));
            assert!(before["error"].is_object());
        }
        // The change is stored.
        let (after, _) = details(&s, id);
        assert_eq!(after, v);
        // And visible in lists.
        assert!(ids(&page(
            &s.api(&format!("/jobs/?job_id={id}&status=CANCELED"))
        ))
        .contains(&id));
    }
}

#[test]
fn finished_jobs_are_409_and_unchanged() {
    let s = fresh();
    for status in ["COMPLETED", "CANCELED"] {
        let id = with_status(&s, status)[0]["id"].as_i64().unwrap();
        let (before, _) = details(&s, id);
        let r = patch_json(&s.api(&format!("/jobs/{id}/")), r#"{"status":"CANCELED"}"#);
        assert_eq!(r.status, 409, "{status}");
        assert!(r.detail().contains(status), "{}", r.text);
        let (after, _) = details(&s, id);
        assert_eq!(before, after);
    }
    let r = patch_json(&s.api("/jobs/999999/"), r#"{"status":"CANCELED"}"#);
    assert_eq!((r.status, r.detail().as_str()), (404, "Not found."));
    let r = patch_json(&s.api("/jobs/abc/"), r#"{"status":"CANCELED"}"#);
    assert_eq!(r.status, 404);
}

#[test]
fn bad_bodies_are_scales_400s_and_change_nothing() {
    let s = fresh();
    let id = with_status(&s, "PENDING")[0]["id"].as_i64().unwrap();
    let url = s.api(&format!("/jobs/{id}/"));
    let (before, _) = details(&s, id);
    let json = "application/json;charset=utf-8";
    let cases: &[(&str, &str, u16, Option<&str>)] = &[
        (
            json,
            r#"{"status": "CANCELED", "priority": 1}"#,
            400,
            Some("Fields do not allow updates: priority"),
        ),
        (
            json,
            "{}",
            400,
            Some("Missing required parameter: \"status\""),
        ),
        (
            json,
            "",
            400,
            Some("Missing required parameter: \"status\""),
        ),
        (
            json,
            r#"{"status": null}"#,
            400,
            Some("Missing required parameter: \"status\""),
        ),
        (
            json,
            r#"{"status": "canceled"}"#,
            400,
            Some("Invalid or read-only status. Allowed values: CANCELED"),
        ),
        (
            json,
            r#"{"status": "COMPLETED"}"#,
            400,
            Some("Invalid or read-only status. Allowed values: CANCELED"),
        ),
        (
            json,
            r#"{"status": 5}"#,
            400,
            Some("Invalid or read-only status. Allowed values: CANCELED"),
        ),
        (json, r#"{"status": CANCELED"#, 400, None),
        (json, r#"["CANCELED"]"#, 400, None),
        (
            "text/plain",
            r#"{"status": "CANCELED"}"#,
            415,
            Some("Unsupported media type \"text/plain\" in request."),
        ),
        (
            "application/x-www-form-urlencoded",
            "status=CANCELED&foo=1",
            400,
            Some("Fields do not allow updates: foo"),
        ),
        (
            "application/x-www-form-urlencoded",
            "status=canceled",
            400,
            Some("Invalid or read-only status. Allowed values: CANCELED"),
        ),
    ];
    for (ct, body, status, detail) in cases {
        let r = send("PATCH", &url, &[("content-type", ct)], Some(body));
        assert_eq!(r.status, *status, "{ct} {body}: {}", r.text);
        let d = r.detail();
        match detail {
            Some(expected) => assert_eq!(&d, expected, "{ct} {body}"),
            None if body.starts_with('{') => assert!(d.starts_with("JSON parse error - "), "{d}"),
            None => assert!(!d.is_empty()),
        }
    }
    // A bad body wins over a missing job, as in Scale (body first).
    let r = patch_json(&s.api("/jobs/999999/"), "{}");
    assert_eq!(r.status, 400);
    let (after, _) = details(&s, id);
    assert_eq!(before, after);
}

#[test]
fn form_encoded_cancel_and_unapplied_redirect() {
    let s = fresh();
    let pending = with_status(&s, "PENDING");
    let a = pending[0]["id"].as_i64().unwrap();
    let r = send(
        "PATCH",
        &s.api(&format!("/jobs/{a}/")),
        &[("content-type", "application/x-www-form-urlencoded")],
        Some("status=CANCELED"),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["status"], "CANCELED");

    let b = with_status(&s, "QUEUED")[0]["id"].as_i64().unwrap();
    let (before, _) = details(&s, b);
    let r = patch_json(&s.api(&format!("/jobs/{b}")), r#"{"status":"CANCELED"}"#);
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some(format!("/api/v5/jobs/{b}/")));
    let (after, _) = details(&s, b);
    assert_eq!(before, after, "a redirected PATCH is not applied");
}

#[test]
fn csrf_is_enforced_for_sessions_only() {
    let s = fresh();
    let jobs = with_status(&s, "PENDING");
    let url = |i: usize| s.api(&format!("/jobs/{}/", jobs[i]["id"]));
    let body = Some(r#"{"status":"CANCELED"}"#);
    let ct = ("content-type", "application/json");
    let csrf_detail = "CSRF Failed: CSRF token missing or incorrect.";

    let r = send(
        "PATCH",
        &url(0),
        &[ct, ("cookie", "csrftoken=tok123; sessionid=abc")],
        body,
    );
    assert_eq!((r.status, r.detail().as_str()), (403, csrf_detail));
    let r = send(
        "PATCH",
        &url(0),
        &[
            ct,
            ("cookie", "csrftoken=tok123; sessionid=abc"),
            ("x-csrftoken", "wrong"),
        ],
        body,
    );
    assert_eq!((r.status, r.detail().as_str()), (403, csrf_detail));
    assert_eq!(
        details(&s, jobs[0]["id"].as_i64().unwrap()).0["status"],
        "PENDING"
    );
    let r = send(
        "PATCH",
        &url(0),
        &[
            ct,
            ("cookie", "sessionid=abc; csrftoken=tok123"),
            ("x-csrftoken", "tok123"),
        ],
        body,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    // Anonymous (no session): no check, with or without the token cookie.
    let r = send(
        "PATCH",
        &url(1),
        &[ct, ("cookie", "csrftoken=tok123")],
        body,
    );
    assert_eq!(r.status, 200);
    let r = send("PATCH", &url(2), &[ct], body);
    assert_eq!(r.status, 200);
}

#[test]
fn concurrent_cancels_have_one_winner() {
    let s = fresh();
    let running = with_status(&s, "RUNNING");
    let id = running
        .iter()
        .find(|j| j["num_exes"].as_i64().unwrap() > 0)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let url = s.api(&format!("/jobs/{id}/"));
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..24)
            .map(|_| scope.spawn(|| patch_json(&url, r#"{"status":"CANCELED"}"#).status))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&c| c == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&c| c == 409).count(),
        23,
        "{statuses:?}"
    );
    let (v, d) = details(&s, id);
    assert_eq!(v["status"], "CANCELED");
    assert_eq!(d.job_exes[0].status, Some(JobStatus::Canceled));
    // Exactly one execution was canceled, none added.
    assert_eq!(
        v["num_exes"].as_i64(),
        running.iter().find(|j| j["id"] == id).unwrap()["num_exes"].as_i64()
    );
    // Reads keep working and agree.
    let listed = page(&s.api(&format!("/jobs/?job_id={id}")));
    assert_eq!(results(&listed)[0]["status"], json!("CANCELED"));
}
