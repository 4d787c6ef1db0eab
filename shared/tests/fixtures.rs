//! Every 2xx body in `../shared/fixtures/` (the reference's examples and real
//! Scale 5.0 responses) decodes into its model and survives an encode/decode
//! round trip; hand-made edge cases (missing fields, nulls, extra fields,
//! unknown enum values) decode too.

use scale_jobs_shared::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::path::PathBuf;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
    name: &str,
    body: &Value,
) -> T {
    let decoded: T = serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("{name}: does not decode: {e}"));
    let encoded = serde_json::to_value(&decoded).unwrap();
    let again: T = serde_json::from_value(encoded)
        .unwrap_or_else(|e| panic!("{name}: re-encoded form does not decode: {e}"));
    assert_eq!(decoded, again, "{name}: round trip changed the value");
    decoded
}

#[derive(Debug, PartialEq)]
enum Kind {
    JobList,
    JobExecutionList,
    Details,
}

fn kind_of(method: &str, path: &str) -> Kind {
    let path = path.split('?').next().unwrap();
    if path.contains("/job-executions/") {
        Kind::JobExecutionList
    } else if path.ends_with("/jobs/")
        || path.ends_with("/jobs/updates/")
        || path.ends_with("/jobs/executions/")
    {
        Kind::JobList
    } else {
        assert!(method == "GET" || method == "PATCH", "{method} {path}");
        Kind::Details
    }
}

#[test]
fn every_real_scale_2xx_body_decodes_and_round_trips() {
    let dir = fixtures_dir().join("scale-5.0");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut lists, mut details, mut rows, mut ok_bodies) = (0, 0, 0, 0);
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let rec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let status = rec["status"].as_u64().unwrap();
        if !(200..300).contains(&status) {
            continue;
        }
        ok_bodies += 1;
        let method = rec["method"].as_str().unwrap();
        let pq = rec["path_and_query"].as_str().unwrap();
        let body = &rec["body"];
        match kind_of(method, pq) {
            Kind::JobList => {
                let page: Page<Job> = round_trip(&name, body);
                assert_eq!(
                    page.results.len(),
                    body["results"].as_array().unwrap().len()
                );
                for (job, raw) in page.results.iter().zip(body["results"].as_array().unwrap()) {
                    assert_eq!(job.id, raw["id"].as_i64().unwrap(), "{name}");
                    assert_eq!(
                        job.status.as_ref().map(|s| s.as_str().to_string()),
                        raw["status"].as_str().map(str::to_string),
                        "{name}"
                    );
                    if pq.contains("/jobs/executions/") {
                        assert_eq!(
                            job.latest_job_exe.is_some(),
                            !raw["latest_job_exe"].is_null(),
                            "{name}: latest_job_exe"
                        );
                    }
                    if pq.contains("/jobs/updates/") {
                        assert!(job.input_files.is_some(), "{name}: input_files");
                    }
                }
                let brief: Page<JobRow> = serde_json::from_value(body.clone())
                    .unwrap_or_else(|e| panic!("{name}: does not decode as rows: {e}"));
                assert_eq!(brief.count, page.count, "{name}");
                assert_eq!(brief.results.len(), page.results.len(), "{name}");
                for (row, job) in brief.results.iter().zip(&page.results) {
                    assert_row_agrees(&name, row, job);
                }
                // The list pages' fast path takes every real body, compact
                // or indented, and reads it exactly as serde does.
                for text in [
                    body.to_string(),
                    serde_json::to_string_pretty(body).unwrap(),
                ] {
                    let fast = row_page::fast_row_page(&text)
                        .unwrap_or_else(|| panic!("{name}: the fast path gave up"));
                    assert_eq!(fast, brief, "{name}: fast path");
                }
                rows += page.results.len();
                lists += 1;
            }
            Kind::JobExecutionList => {
                let page: Page<JobExecution> = round_trip(&name, body);
                assert!(page.results[0].node.as_ref().unwrap().hostname.is_some());
                lists += 1;
            }
            Kind::Details => {
                let d: JobDetails = round_trip(&name, body);
                assert_eq!(d.job.id, body["id"].as_i64().unwrap());
                assert_eq!(d.job_exes.len(), body["job_exes"].as_array().unwrap().len());
                assert_eq!(d.inputs.len(), body["inputs"].as_array().unwrap().len());
                // No input value that is set may fall back to raw JSON: the
                // real server's shapes must all be understood.
                for io in d.inputs.iter().chain(&d.outputs) {
                    assert!(
                        !matches!(io.value, IoValue::Other(_)),
                        "{name}: {} kept raw",
                        io.name
                    );
                }
                details += 1;
            }
        }
    }
    assert_eq!(lists + details, ok_bodies, "every 2xx body was checked");
    assert!(lists >= 75, "only {lists} list bodies found");
    assert!(details >= 70, "only {details} detail bodies found");
    assert!(rows > 1000, "only {rows} rows decoded");
}

/// A [`JobRow`] reads the same list as [`Job`] does, field for field.
fn assert_row_agrees(name: &str, row: &JobRow, job: &Job) {
    let JobRow {
        id,
        job_type,
        status,
        priority,
        num_exes,
        max_tries,
        error,
        created,
        started,
        ended,
        last_status_change,
        last_modified,
        node,
        latest_job_exe,
        input_files,
    } = row;
    let t = job.job_type.as_ref();
    assert_eq!(job_type.as_ref().map(|b| b.id), t.map(|t| t.id), "{name}");
    for (b, t) in job_type.iter().zip(t) {
        assert_eq!(
            (&b.name, &b.version, &b.title, &b.category),
            (&t.name, &t.version, &t.title, &t.category),
            "{name}"
        );
        assert_eq!(b.display_name(), t.display_name(), "{name}");
    }
    assert_eq!(row.job_type_name(), job.job_type_name(), "{name}");
    assert_eq!(
        (*id, status, priority, num_exes, max_tries, error),
        (
            job.id,
            &job.status,
            &job.priority,
            &job.num_exes,
            &job.max_tries,
            &job.error
        ),
        "{name}"
    );
    assert_eq!(
        (created, started, ended, last_status_change, last_modified),
        (
            &job.created,
            &job.started,
            &job.ended,
            &job.last_status_change,
            &job.last_modified
        ),
        "{name}"
    );
    assert_eq!(
        (node, latest_job_exe, input_files),
        (&job.node, &job.latest_job_exe, &job.input_files),
        "{name}"
    );
}

#[test]
fn list_rows_read_the_hand_made_edge_cases_as_jobs_do() {
    let page = json!({"count": 3, "next": null, "previous": null, "results": [
        {"id": 1},
        {"id": 2, "job_type": null, "status": "SOMETHING_NEW", "error": null,
         "started": "2026-11-29T06:53:57Z", "ended": null, "extra": {"a": [1, 2]}},
        {"id": 3, "job_type": {"id": 9, "name": " ", "title": ""}, "status": "FAILED",
         "error": {"id": 4, "category": "DATA", "title": "Bad input"},
         "input_files": [], "latest_job_exe": {"id": 7, "status": "FAILED", "node": {"id": 2}}}
    ]});
    let jobs: Page<Job> = serde_json::from_value(page.clone()).unwrap();
    let rows: Page<JobRow> = serde_json::from_value(page).unwrap();
    for (row, job) in rows.results.iter().zip(&jobs.results) {
        assert_row_agrees("edge cases", row, job);
    }
    assert_eq!(rows.results[2].job_type_name(), "Job type 9");
    assert_eq!(rows.results[0].job_type_name(), "Unknown job type");
    assert_eq!(
        row_page::fast_row_page(&page_text(&rows)),
        Some(rows.clone())
    );

    // A bad value in a field no row shows fails the full model's page, but
    // not the rows'.
    let odd = json!({"count": 1, "next": null, "previous": null, "results": [
        {"id": 5, "status": "RUNNING", "cpus_required": "four",
         "job_type": {"id": 1, "name": "a", "is_active": "yes"}, "event": 12}
    ]});
    assert!(serde_json::from_value::<Page<Job>>(odd.clone()).is_err());
    let rows: Page<JobRow> = serde_json::from_value(odd.clone()).unwrap();
    assert_eq!(
        row_page::fast_row_page(&odd.to_string()).as_ref(),
        Some(&rows)
    );
    assert_eq!(rows.results[0].id, 5);
    assert_eq!(rows.results[0].status, Some(JobStatus::Running));
    assert_eq!(rows.results[0].job_type_name(), "a");
}

/// A page of rows as JSON text, through the full model's encoder (rows
/// have none): each row's fields as a `Job` with the same values.
fn page_text(rows: &Page<JobRow>) -> String {
    let results: Vec<Value> = rows
        .results
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "job_type": r.job_type.as_ref().map(|t| json!({
                    "id": t.id, "name": t.name, "version": t.version,
                    "title": t.title, "category": t.category,
                })),
                "status": r.status.as_ref().map(|s| s.as_str()),
                "priority": r.priority, "num_exes": r.num_exes, "max_tries": r.max_tries,
                "error": r.error, "node": r.node, "latest_job_exe": r.latest_job_exe,
                "input_files": r.input_files, "created": r.created, "started": r.started,
                "ended": r.ended, "last_status_change": r.last_status_change,
                "last_modified": r.last_modified,
            })
        })
        .collect();
    json!({"count": rows.count, "next": rows.next, "previous": rows.previous, "results": results})
        .to_string()
}

/// The fast path of the list pages on text no real server body exercises:
/// escapes, odd numbers, whitespace, key order, skipped values of every
/// kind. It reads what serde reads, or leaves the text to serde.
#[test]
fn list_fast_path_reads_written_text_as_serde_does() {
    let same = [
        r#" { "results" : [ { "last_modified" : "2026-11-29T06:53:57Z" , "id" : -7 ,
             "job_type" : { "id" : 1 , "name" : "caf\u00e9 \"q\" \\ \/ \n\t\b\f\r" , "title" : null ,
                            "description" : "\ud83d\ude00 <b>", "x": [1, {"y": []}] } ,
             "status" : "RUN\u004eING" , "priority" : -9223372036854775808 , "num_exes": 0,
             "node" : { "id" : 3 , "hostname" : "h" } , "error": null, "ended": null } ] ,
           "count" : 1 , "next" : "http://x/?page=2" , "previous" : null ,
           "zzz" : [ 1.5e-3 , -0.0 , 0 , 10E+2, true , false , null , { "a" : { } } , [ ] , "" ] }
        "#,
        r#"{"count":0,"next":null,"previous":null,"results":null}"#,
        r#"{"count":0,"results":[],"next":null,"previous":null}"#,
        r#"{"count":2,"results":[{"id":9223372036854775807,"status":"queued"},{"id":1,"input_files":[{"id":4,"file_name":"a.tif"}],"latest_job_exe":{"id":8,"status":"RUNNING"}}]}"#,
    ];
    for text in same {
        let slow: Page<JobRow> = serde_json::from_str(text).unwrap();
        assert_eq!(
            row_page::fast_row_page(text).as_ref(),
            Some(&slow),
            "{text}"
        );
    }
    let title = row_page::fast_row_page(same[0]).unwrap().results[0]
        .job_type
        .clone()
        .unwrap()
        .name
        .unwrap();
    assert_eq!(title, "café \"q\" \\ / \n\t\u{8}\u{c}\r");

    // Text the fast path leaves to serde, which decodes some of it and
    // refuses the rest; either way the page gets serde's answer.
    let left = [
        r#"{"count":1,"results":[{"id":1,"id":2}]}"#,
        r#"{"count":1,"count":1,"results":[]}"#,
        r#"{"count":1,"results":[{"id":1,"job_type":{"id":1,"name":"\ud83d\ude00"}}]}"#,
        r#"{"count":1,"results":[{"\u0069d":1}]}"#,
        r#"{"count":1,"results":[{"id":1.0}]}"#,
        r#"{"count":1,"results":[{"id":-0}]}"#,
        r#"{"count":1,"results":[{"id":9223372036854775808}]}"#,
        r#"{"count":-1,"results":[]}"#,
        r#"{"count":1,"results":[{"id":1,"created":"yesterday"}]}"#,
        r#"{"count":1,"results":[{"id":1,"error":{"id":"x"}}]}"#,
        r#"{"count":1,"results":[{"id":1}],}"#,
        r#"{"count":1,"results":[{"id":1,"x":01}]}"#,
        r#"{"count":1,"results":[{"id":1,"x":"a\qb"}]}"#,
        "{\"count\":1,\"results\":[{\"id\":1,\"x\":\"tab\tin\"}]}",
        r#"{"count":1,"results":[]} x"#,
        r#"{"count":1,"results":[{"status":"RUNNING"}]}"#,
        r#"{"count":1,"results":[{"id":1}]"#,
    ];
    for text in left {
        assert_eq!(row_page::fast_row_page(text), None, "{text}");
        assert_eq!(
            decode_row_page(text).ok(),
            serde_json::from_str::<Page<JobRow>>(text).ok(),
            "{text}"
        );
    }
    let deep = format!(
        r#"{{"count":1,"results":[{{"id":1,"x":{}{}}}]}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    assert_eq!(row_page::fast_row_page(&deep), None);
    assert!(decode_row_page(&deep).is_ok());
}

#[test]
fn reference_examples_decode() {
    let dir = fixtures_dir().join("seed");
    let read = |f: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
    };
    let list: Page<Job> = round_trip("jobs-list", &read("jobs-list.json"));
    assert_eq!(list.count, 68);
    let ex: Page<Job> = round_trip("job-executions", &read("job-executions.json"));
    assert!(ex.results[0].latest_job_exe.is_some());
    let up: Page<Job> = round_trip("job-updates", &read("job-updates.json"));
    assert!(!up.results.is_empty());
    let d: JobDetails = round_trip("job-details", &read("job-details.json"));
    assert_eq!(d.job.id, 15096);
}

#[test]
fn rich_job_inputs_and_outputs_are_typed() {
    let rec: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures_dir().join("scale-5.0/085_job_detail_1_L_RICH.json"))
            .unwrap(),
    )
    .unwrap();
    let d: JobDetails = serde_json::from_value(rec["body"].clone()).unwrap();
    let by_name = |n: &str| d.inputs.iter().find(|i| i.name == n).unwrap();
    match &by_name("scene").value {
        IoValue::File(f) => {
            assert_eq!(f.media_type.as_deref(), Some("image/tiff"));
            assert_eq!(f.file_size, Some(184549376));
            assert_eq!(
                f.workspace.as_ref().unwrap().name.as_deref(),
                Some("raw-landsat")
            );
        }
        other => panic!("scene: {other:?}"),
    }
    assert!(matches!(&by_name("band_files").value, IoValue::Files(f) if f.len() == 3));
    assert_eq!(
        by_name("cloud_threshold").value,
        IoValue::Property(json!("0.35"))
    );
    let thumbs = d.outputs.iter().find(|o| o.name == "thumbnails").unwrap();
    match &thumbs.value {
        IoValue::Files(f) => assert_eq!(f[0].is_published, Some(true)),
        other => panic!("thumbnails: {other:?}"),
    }
    assert_eq!(d.job.status, Some(JobStatus::Completed));
    let exe = &d.job_exes[0];
    assert_eq!(exe.pre_exit_code, Some(0));
    assert_eq!(
        d.job
            .event
            .as_ref()
            .unwrap()
            .rule
            .as_ref()
            .unwrap()
            .name
            .as_deref(),
        Some("landsat-parse-trigger")
    );
    assert_eq!(d.recipes.len(), 2);
    assert!(!d.job_type_rev_interface_inputs().is_empty());
}

trait InterfaceInputs {
    fn job_type_rev_interface_inputs(&self) -> Vec<String>;
}
impl InterfaceInputs for JobDetails {
    fn job_type_rev_interface_inputs(&self) -> Vec<String> {
        self.job
            .job_type_rev
            .as_ref()
            .and_then(|r| r.interface.as_ref())
            .map(|i| i.input_data.iter().map(|x| x.name.clone()).collect())
            .unwrap_or_default()
    }
}

#[test]
fn sparse_null_extra_and_unknown_values_decode() {
    // Only the id: everything else may be missing.
    let j: Job = serde_json::from_value(json!({"id": 7})).unwrap();
    assert_eq!(j.id, 7);
    assert_eq!(j.status, None);
    assert_eq!(serde_json::to_value(&j).unwrap(), json!({"id": 7}));
    // Nulls everywhere, extra fields, unknown enum values.
    let j: Job = serde_json::from_value(json!({
        "id": 8, "status": "RESTARTING", "job_type": null, "error": {"id": 1, "category": "COSMIC"},
        "created": null, "priority": null, "some_new_field": {"x": 1}, "node": {"id": 3, "extra": true},
        "input_files": null, "latest_job_exe": null
    }))
    .unwrap();
    assert_eq!(j.status, Some(JobStatus::Unknown("RESTARTING".into())));
    assert_eq!(
        j.error.unwrap().category,
        Some(ErrorCategory::Unknown("COSMIC".into()))
    );
    // Null lists in details become empty lists.
    let d: JobDetails = serde_json::from_value(json!({
        "id": 9, "job_exes": null, "inputs": null, "outputs": null, "recipes": null
    }))
    .unwrap();
    assert!(d.job_exes.is_empty() && d.inputs.is_empty());
    // Nulls inside nested names and string lists do not sink the document.
    let d: JobDetails = serde_json::from_value(json!({
        "id": 10,
        "job_type_rev": {"id": 1, "interface": {"input_data": [{"name": null, "media_types": ["image/tiff", null]}],
                                                 "output_data": [{"name": null}]}},
        "inputs": [{"name": null, "type": "file", "value": {"id": 3, "data_type": [null], "countries": null}}]
    }))
    .unwrap();
    let iface = d.job.job_type_rev.unwrap().interface.unwrap();
    assert_eq!(iface.input_data[0].name, "");
    assert_eq!(
        iface.input_data[0].media_types.as_deref(),
        Some(&["image/tiff".to_string()][..])
    );
    // An id is required: a job without one is not a job.
    assert!(serde_json::from_value::<Job>(json!({"status": "RUNNING"})).is_err());
}

#[test]
fn io_values_keep_what_they_do_not_understand() {
    let ios: Vec<JobIo> = serde_json::from_value(json!([
        {"name": "a", "type": "property", "value": 3},
        {"name": "b", "type": "file", "value": null},
        {"name": "c", "type": "file", "value": {"no_id": true}},
        {"name": "d", "type": "files", "value": [1, 2]},
        {"name": "e", "type": "property", "value": {"nested": [1]}},
        {"name": "f", "type": "files", "value": [{"id": 1, "file_name": "x.tif"}]}
    ]))
    .unwrap();
    assert_eq!(ios[0].value, IoValue::Property(json!(3)));
    assert_eq!(ios[1].value, IoValue::Unset);
    assert_eq!(ios[2].value, IoValue::Other(json!({"no_id": true})));
    assert_eq!(ios[3].value, IoValue::Other(json!([1, 2])));
    assert_eq!(ios[4].value, IoValue::Other(json!({"nested": [1]})));
    assert!(
        matches!(&ios[5].value, IoValue::Files(f) if f[0].file_name.as_deref() == Some("x.tif"))
    );
    // Lossless: what was kept raw encodes back exactly.
    let back = serde_json::to_value(&ios[2]).unwrap();
    assert_eq!(back["value"], json!({"no_id": true}));
}

#[test]
fn error_bodies_give_their_detail() {
    let e: ErrorBody = serde_json::from_str(r#"{"detail":"Invalid page."}"#).unwrap();
    assert_eq!(e.message(), "Invalid page.");
    let e: ErrorBody = serde_json::from_str(r#"{"detail":["a","b"]}"#).unwrap();
    assert_eq!(e.message(), r#"["a","b"]"#);
}
