//! Hostile API answers, end to end: the built app in headless Chromium
//! against [`HostileServer`], which serves the bundle and answers the job
//! API with broken JSON, wrong types, unknown values, nulls, huge and deep
//! documents, HTML error pages, redirects, CSRF refusals, empty bodies,
//! answers that never end or stall, and dropped connections.
//!
//! For each: the page says clearly what went wrong (no raw HTML, nothing
//! from the response's markup in the DOM), it does not crash, "Retry"
//! really asks again, navigation still works, and nothing is shown that
//! the server did not say. Each test walks through several scenarios in
//! one browser and reports every scenario's outcome (a `PASS`/`FAIL` line
//! on stderr), failing at the end with the list of failed ones.

use anyhow::{bail, ensure, Context, Result};
use fantoccini::Locator;
use scale_jobs_e2e::hostile::{
    alert_text, assert_layout_usable, assert_navigation_works, assert_no_raw_html,
    assert_not_crashed, data, hostile_html, HostileServer, Reply, Request, Scenarios,
};
use scale_jobs_e2e::{browser_test, Browser, WAIT};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Django's HTML 404 for an unknown path.
const DJANGO_404: &str = "<!DOCTYPE html><html lang=\"en\"><head><title>Not Found</title></head>\
    <body><h1 data-hostile=\"h1\">Not Found</h1><p data-hostile=\"p\">The requested resource was not found on this server.</p>\
    <script>window.__hostile = 404;</script></body></html>";

/// A login page served with 200 where JSON was expected.
const LOGIN_PAGE: &str = "<!DOCTYPE html><html><head><title>Log in | Scale</title></head>\
    <body><h1 data-hostile=\"h1\">Log in</h1><form data-hostile=\"form\"><input name=\"username\"></form>\
    <script>window.__hostile = 'login';</script></body></html>";

/// A summary of what the page shows, for failure messages.
async fn page_state(b: &Browser) -> String {
    let v = b
        .execute(
            "const q = s => { const e = document.querySelector(s); return e ? e.innerText : null; };
             return { url: location.href, h1: q('h1'), alert: q('[role=alert] .alert'),
                      rows: document.querySelectorAll('table tbody tr, .tbody > [role=row]').length,
                      main: (q('main') || q('body') || '').slice(0, 400) };",
            vec![],
        )
        .await;
    match v {
        Ok(v) => v.to_string(),
        Err(e) => format!("(page state unavailable: {e})"),
    }
}

/// What a list page should show for a scenario.
enum Expect {
    /// An error alert whose text contains each of these.
    Alert(&'static [&'static str]),
    /// Rows whose text contains each of these, and no error alert.
    Rows(&'static [&'static str]),
}

/// Waits for the expected alert or rows on the page the browser is on.
async fn expect_outcome(b: &Browser, expect: &Expect) -> Result<()> {
    match expect {
        Expect::Alert(parts) => {
            let text = match alert_text(b).await {
                Ok(t) => t,
                Err(e) => bail!(
                    "no error alert appeared ({e:#}); page: {}",
                    page_state(b).await
                ),
            };
            for p in *parts {
                ensure!(text.contains(p), "the alert does not say {p:?}: {text:?}");
            }
            ensure!(
                text.chars().count() < 1500,
                "the alert is not short and clear ({} characters)",
                text.chars().count()
            );
        }
        Expect::Rows(parts) => {
            let found = b
                .wait_until("rows with the expected text", WAIT, async || {
                    let t = b
                        .execute(
                            "const t = document.querySelector('.jobs > .tbody'); return t && t.children.length ? t.innerText : '';",
                            vec![],
                        )
                        .await?;
                    let t = t.as_str().unwrap_or("");
                    Ok(!t.is_empty() && parts.iter().all(|p| t.contains(p)))
                })
                .await;
            if let Err(e) = found {
                bail!("{e:#}; page: {}", page_state(b).await);
            }
            if let Ok(a) = b.find(Locator::Css("[role='alert'] .alert")).await {
                bail!("rows shown but also an error: {:?}", a.text().await?);
            }
        }
    }
    Ok(())
}

/// "Retry" in the alert asks the server again, and the page stays sane.
async fn retry_asks_again(b: &Browser, server: &HostileServer) -> Result<()> {
    let before = server.api_count("GET");
    b.find(Locator::XPath(
        "//*[@role='alert']//button[normalize-space(.)='Retry']",
    ))
    .await
    .context("a Retry button in the alert")?
    .click()
    .await?;
    b.wait_until("Retry to send a request", WAIT, async || {
        Ok(server.api_count("GET") > before)
    })
    .await?;
    // The same answer again: the alert comes back, nothing breaks.
    alert_text(b).await?;
    assert_not_crashed(b).await
}

/// One list-page scenario: load `path` against `api`, check the outcome,
/// that nothing crashed or leaked, retry (for errors) and navigation.
async fn list_scenario(
    b: &Browser,
    server: &HostileServer,
    path: &str,
    api: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    expect: Expect,
) -> Result<()> {
    server.set_api(api);
    b.goto(&server.url(path)).await?;
    let outcome = expect_outcome(b, &expect).await;
    assert_not_crashed(b).await?;
    outcome?;
    assert_no_raw_html(b).await?;
    if matches!(expect, Expect::Alert(_)) {
        retry_asks_again(b, server).await?;
    }
    assert_navigation_works(b).await?;
    assert_not_crashed(b).await
}

/// Answers lists with `page` and everything else normally.
fn lists_answer(page: Value) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    move |r: &Request| {
        if r.list().is_some() {
            Reply::json(200, &page)
        } else {
            data::normal_api(r)
        }
    }
}

fn lists_reply(reply: Reply) -> impl Fn(&Request) -> Reply + Send + Sync + 'static {
    move |r: &Request| {
        if r.list().is_some() {
            reply.clone()
        } else {
            data::normal_api(r)
        }
    }
}

#[test]
fn bad_list_bodies_are_explained_and_retry_asks_again() {
    let server = HostileServer::start(data::normal_api).unwrap();
    browser_test(
        "bad_list_bodies_are_explained_and_retry_asks_again",
        async |b| {
            let normal = data::normal_page().to_string();
            let mut s = Scenarios::new("bad bodies");
            let cases: Vec<(&str, Reply, Expect)> = vec![
                (
                    "malformed JSON",
                    Reply::json_text(200, r#"{"count": 3, "results": [{"id": 1,, }]}"#),
                    Expect::Alert(&["could not be read"]),
                ),
                (
                    "truncated JSON",
                    Reply::json_text(200, &normal[..normal.len() / 2]),
                    Expect::Alert(&["could not be read"]),
                ),
                (
                    "count as a string",
                    Reply::json(
                        200,
                        &json!({"count": "3", "next": null, "previous": null, "results": [data::job(1, "RUNNING")]}),
                    ),
                    Expect::Alert(&["could not be read"]),
                ),
                (
                    "results as an object",
                    Reply::json(
                        200,
                        &json!({"count": 1, "next": null, "previous": null, "results": {"1": data::job(1, "RUNNING")}}),
                    ),
                    Expect::Alert(&["could not be read"]),
                ),
                (
                    "results as a string",
                    Reply::json(
                        200,
                        &json!({"count": 1, "results": "<h1 data-hostile>1</h1>"}),
                    ),
                    Expect::Alert(&["could not be read"]),
                ),
                (
                    "a JSON array instead of a page",
                    Reply::json(200, &json!([data::job(1, "RUNNING")])),
                    Expect::Alert(&["could not be read"]),
                ),
                (
                    "null ids",
                    Reply::json(
                        200,
                        &data::page(vec![json!({"id": null, "status": "RUNNING"})], 1),
                    ),
                    Expect::Alert(&["could not be read"]),
                ),
                (
                    "an empty 200 body",
                    Reply::json_text(200, ""),
                    Expect::Alert(&["could not be read", "empty"]),
                ),
                (
                    "a login page (HTML) with 200",
                    Reply::html(200, LOGIN_PAGE),
                    Expect::Alert(&["could not be read", "HTML"]),
                ),
                (
                    "JSON served as text/html",
                    Reply::new(200, "text/html; charset=utf-8", normal.clone()),
                    Expect::Rows(&["Landsat 8 Parser"]),
                ),
                (
                    "a 400 whose detail is an object",
                    Reply::json(
                        400,
                        &json!({"detail": {"order": ["Unknown field: <b data-hostile>bogus</b>"]}}),
                    ),
                    Expect::Alert(&["400", "order", "bogus"]),
                ),
                (
                    "a 500 with a 1 MB plain-text body",
                    Reply::new(500, "text/plain", "E".repeat(1 << 20)),
                    Expect::Alert(&["The server failed (500)"]),
                ),
            ];
            for (name, reply, expect) in cases {
                let r = list_scenario(b, &server, "/jobs", lists_reply(reply), expect).await;
                s.record(name, r);
            }
            s.finish()
        },
    );
}

#[test]
fn http_errors_redirects_and_dropped_connections_are_explained() {
    let server = HostileServer::start(data::normal_api).unwrap();
    browser_test(
        "http_errors_redirects_and_dropped_connections_are_explained",
        async |b| {
            let mut s = Scenarios::new("http errors");

            let r = list_scenario(
                b,
                &server,
                "/jobs",
                lists_reply(Reply::html(500, &hostile_html("Server Error (500)"))),
                Expect::Alert(&["The server failed (500)", "Server Error (500)"]),
            )
            .await;
            s.record("HTML 500 page with a script", r);

            let r = list_scenario(
                b,
                &server,
                "/jobs",
                lists_reply(Reply::html(502, &hostile_html("502 Bad Gateway"))),
                Expect::Alert(&["The server failed (502)", "502 Bad Gateway"]),
            )
            .await;
            s.record("HTML 502 page with a script", r);

            let r = list_scenario(
                b,
                &server,
                "/jobs",
                lists_reply(Reply::json(
                    403,
                    &json!({"detail": "CSRF Failed: CSRF token missing or incorrect."}),
                )),
                Expect::Alert(&["403", "CSRF Failed"]),
            )
            .await;
            s.record("403 with a CSRF detail", r);

            let r = list_scenario(
                b,
                &server,
                "/jobs",
                lists_reply(Reply::json(404, &json!({"detail": "Not found."}))),
                Expect::Alert(&["Not found (404)", "Not found."]),
            )
            .await;
            s.record("404 (JSON) for a list", r);

            let r = list_scenario(
                b,
                &server,
                "/jobs",
                lists_reply(Reply::html(404, DJANGO_404)),
                Expect::Alert(&["Not found (404)", "Not Found"]),
            )
            .await;
            s.record("404 (Django HTML) for a list", r);

            // Scale adds a missing slash with a 301; a proxy that strips it
            // again sends the app to a path that does not exist.
            let r = list_scenario(
                b,
                &server,
                "/jobs",
                |r: &Request| {
                    if r.list().is_some() {
                        let to = format!("{}?{}", r.path.trim_end_matches('/'), r.query);
                        Reply::redirect(301, &to)
                    } else if r.path.starts_with("/api/v5/jobs") && !r.path.ends_with('/') {
                        Reply::html(404, DJANGO_404)
                    } else {
                        data::normal_api(r)
                    }
                },
                Expect::Alert(&["404"]),
            )
            .await;
            s.record("301 to the path without its slash", r);

            let r = list_scenario(
                b,
                &server,
                "/jobs",
                |r: &Request| {
                    if r.list().is_some() {
                        // Around and around, each hop a new URL.
                        let n: u64 = r
                            .param("hop")
                            .first()
                            .and_then(|h| h.parse().ok())
                            .unwrap_or(0);
                        Reply::redirect(302, &format!("{}?hop={}", r.path, n + 1))
                    } else {
                        data::normal_api(r)
                    }
                },
                Expect::Alert(&["Could not reach"]),
            )
            .await;
            s.record("a redirect loop", r);

            let r = list_scenario(
                b,
                &server,
                "/jobs",
                lists_reply(Reply::Drop),
                Expect::Alert(&["Could not reach"]),
            )
            .await;
            s.record("a dropped connection", r);

            // After all that, an ordinary answer is shown again.
            let r = list_scenario(
                b,
                &server,
                "/jobs",
                data::normal_api,
                Expect::Rows(&["Landsat 8 Parser"]),
            )
            .await;
            s.record("recovery: an ordinary answer", r);
            s.finish()
        },
    );
}

/// The text of each cell of the first body row of the table on the page.
async fn first_row_cells(b: &Browser) -> Result<Vec<String>> {
    let v = b
        .execute(
            "const r = document.querySelector('.jobs > .tbody > [role=row]'); return r ? Array.from(r.children).map(c => c.innerText.trim()) : null;",
            vec![],
        )
        .await?;
    serde_json::from_value::<Option<Vec<String>>>(v)?.context("no body row")
}

/// The column headers of the table on the page.
async fn headers(b: &Browser) -> Result<Vec<String>> {
    let v = b
        .execute(
            "return Array.from(document.querySelectorAll('.jobs [role=columnheader]')).map(c => (c.querySelector('button') ? c.querySelector('button').firstChild.textContent : c.innerText).trim());",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

/// A row of a job with every field null (except its id) shows the id and
/// nothing the server did not say: empty cells or "—", at most a plain
/// "Unknown" for the missing status and type, never a number, a time, a
/// known status or a placeholder id.
async fn null_row_shows_nothing_invented(b: &Browser, id: i64) -> Result<()> {
    let cells = first_row_cells(b).await?;
    let names = headers(b).await?;
    ensure!(
        cells.first().map(String::as_str) == Some(&id.to_string()[..]),
        "the id is shown: {cells:?}"
    );
    let mut invented = Vec::new();
    for (name, cell) in names.iter().zip(&cells).skip(1) {
        let t = cell.split_whitespace().collect::<Vec<_>>().join(" ");
        // The status badge's icon and word for a status the server did
        // not give (inline parts, spaced by a margin, so no space between
        // them in `innerText`), and the type's stand-in name, are honest
        // placeholders.
        let ok = t.is_empty()
            || t == "—"
            || t == "none"
            || t == "Unknown"
            || t == "?Unknown"
            || t == "Unknown job type";
        if !ok {
            invented.push(format!("{name}: {t:?}"));
        }
    }
    ensure!(
        invented.is_empty(),
        "cells show values the server did not send: {}",
        invented.join(", ")
    );
    Ok(())
}

#[test]
fn odd_list_data_is_shown_as_sent() {
    let server = HostileServer::start(data::normal_api).unwrap();
    browser_test("odd_list_data_is_shown_as_sent", async |b| {
        let mut s = Scenarios::new("odd data");

        let mut restarting = data::job(7, "RUNNING");
        restarting["status"] = json!("RESTARTING");
        let r = async {
            list_scenario(
                b,
                &server,
                "/jobs",
                lists_answer(data::page(vec![restarting.clone()], 1)),
                Expect::Rows(&["RESTARTING"]),
            )
            .await?;
            b.goto(&server.url("/jobs")).await?;
            b.wait_for(".jobs > .tbody > [role=row]", WAIT).await?;
            let badge = b.text(".jobs > .tbody > [role=row] .badge-text").await?;
            ensure!(badge == "RESTARTING", "the status cell says {badge:?}");
            Ok(())
        }
        .await;
        s.record("an unknown status (RESTARTING)", r);

        let mut cosmic = data::job(8, "FAILED");
        cosmic["error"]["category"] = json!("COSMIC_RAYS");
        let r = list_scenario(
            b,
            &server,
            "/jobs",
            lists_answer(data::page(vec![cosmic], 1)),
            Expect::Rows(&["COSMIC_RAYS", "Bad input data"]),
        )
        .await;
        s.record("an unknown error category", r);

        let r = list_scenario(
            b,
            &server,
            "/jobs",
            lists_answer(data::with_extra_fields(&data::normal_page())),
            Expect::Rows(&["Landsat 8 Parser", "Failed"]),
        )
        .await;
        s.record("extra fields everywhere", r);

        // Every field null except the ids, on each list page.
        for (path, heading) in [
            ("/jobs", "Jobs"),
            ("/jobs/executions", "Job executions"),
            ("/jobs/updates", "Job updates"),
        ] {
            let page = data::page(vec![data::nulled(&data::job(9, "RUNNING"), &["id"])], 1);
            let r = async {
                server.set_api(lists_answer(page.clone()));
                b.goto(&server.url(path)).await?;
                b.wait_for(".jobs > .tbody > [role=row]", WAIT)
                    .await
                    .with_context(|| format!("no row on the {heading} page"))?;
                assert_not_crashed(b).await?;
                null_row_shows_nothing_invented(b, 9).await?;
                ensure!(
                    b.find(Locator::Css("[role='alert'] .alert")).await.is_err(),
                    "an error is shown for a valid (if empty) job"
                );
                assert_navigation_works(b).await
            }
            .await;
            s.record(&format!("nulls in every job field on {path}"), r);
        }

        // Nested objects present but all-null inside (ids kept).
        let keep = [
            "id",
            "job_type",
            "error",
            "latest_job_exe",
            "node",
            "input_files",
            "workspace",
        ];
        let page = data::page(vec![data::nulled(&data::job(10, "FAILED"), &keep)], 1);
        for path in ["/jobs", "/jobs/executions", "/jobs/updates"] {
            let r = async {
                server.set_api(lists_answer(page.clone()));
                b.goto(&server.url(path)).await?;
                b.wait_for(".jobs > .tbody > [role=row]", WAIT).await?;
                assert_not_crashed(b).await?;
                let cells = first_row_cells(b).await?.join(" | ");
                for invented in [
                    "1970",
                    "ago",
                    "Pending",
                    "Running",
                    "Completed",
                    "Failed",
                    "Canceled",
                    "0 / 0",
                    "0 B",
                ] {
                    ensure!(
                        !cells.contains(invented),
                        "{invented:?} shown for null data: {cells}"
                    );
                }
                assert_navigation_works(b).await
            }
            .await;
            s.record(&format!("all-null nested objects on {path}"), r);
        }

        // The page envelope itself with nulls: rows or a clear message,
        // never a crash or a made-up count.
        let r = async {
            server.set_api(lists_answer(json!({"count": null, "next": null, "previous": null, "results": [data::job(11, "RUNNING")]})));
            b.goto(&server.url("/jobs")).await?;
            b.wait_until("rows or an alert", WAIT, async || {
                Ok(b.find(Locator::Css(".jobs > .tbody > [role=row]")).await.is_ok()
                    || b.find(Locator::Css("[role='alert'] .alert")).await.is_ok())
            })
            .await?;
            assert_not_crashed(b).await?;
            if let Ok(a) = b.find(Locator::Css("[role='alert'] .alert")).await {
                let t = a.text().await?;
                ensure!(t.contains("could not be read"), "{t:?}");
            } else {
                let count = b.text(".pager .count").await.unwrap_or_default();
                ensure!(!count.contains(" 0 "), "a count the server did not send: {count:?}");
            }
            assert_navigation_works(b).await
        }
        .await;
        s.record("a null count", r);

        let r = async {
            server.set_api(lists_answer(
                json!({"count": 0, "next": null, "previous": null, "results": null}),
            ));
            b.goto(&server.url("/jobs")).await?;
            b.wait_for_text(".empty", "No jobs", WAIT).await?;
            assert_not_crashed(b).await?;
            assert_navigation_works(b).await
        }
        .await;
        s.record("null results with count 0", r);
        s.finish()
    });
}

#[test]
fn huge_answers_keep_the_page_usable() {
    let server = HostileServer::start(data::normal_api).unwrap();
    browser_test("huge_answers_keep_the_page_usable", async |b| {
        let mut s = Scenarios::new("huge");

        // A 1 MB job type title.
        let title = format!("T{}", "x".repeat(1 << 20));
        let mut big = data::job(1, "RUNNING");
        big["job_type"]["title"] = json!(title);
        let page = data::page(vec![big.clone(), data::job(2, "FAILED")], 2);
        let r = async {
            server.set_api(lists_answer(page.clone()));
            b.goto(&server.url("/jobs")).await?;
            b.wait_until("two rows", Duration::from_secs(30), async || {
                Ok(b.find_all(Locator::Css(".jobs > .tbody > [role=row]")).await?.len() == 2)
            })
            .await?;
            assert_not_crashed(b).await?;
            assert_layout_usable(b).await?;
            let full = b
                .execute(
                    "const t = arguments[0]; return document.body.textContent.includes(t) || Array.from(document.querySelectorAll('[title]')).some(e => e.title.includes(t));",
                    vec![Value::from(title.clone())],
                )
                .await?;
            ensure!(full == Value::Bool(true), "the full title is nowhere in the page");
            assert_navigation_works(b).await
        }
        .await;
        s.record("a 1 MB job type title on the list", r);

        let r = async {
            server.set_api(move |r: &Request| {
                if r.job_id().is_some() {
                    let mut d = data::details(1, "FAILED");
                    d["job_type"] = big["job_type"].clone();
                    Reply::json(200, &d)
                } else {
                    data::normal_api(r)
                }
            });
            b.goto(&server.url("/jobs/1")).await?;
            b.wait_for_text("h1", "Job 1", Duration::from_secs(30))
                .await?;
            wait_job_rendered(b).await?;
            assert_not_crashed(b).await?;
            assert_layout_usable(b).await?;
            assert_navigation_works(b).await
        }
        .await;
        s.record("a 1 MB job type title on the detail page", r);

        s.finish()
    });
}

#[test]
fn a_page_of_10000_results_keeps_the_page_responsive() {
    // 10,000 results where 100 were asked for.
    let many: Vec<Value> = (1..=10_000).map(|i| data::job(i, "COMPLETED")).collect();
    let server = HostileServer::start(lists_answer(data::page(many, 10_000))).unwrap();
    browser_test(
        "a_page_of_10000_results_keeps_the_page_responsive",
        async |b| {
            let started = Instant::now();
            b.goto(&server.url("/jobs")).await?;
            let shown = b
                .wait_until("rows", WAIT, async || {
                    Ok(b.find(Locator::Css(".jobs > .tbody > [role=row]"))
                        .await
                        .is_ok())
                })
                .await;
            if let Err(e) = shown {
                bail!(
                    "no rows {:?} after asking for page 1 of 100 and getting 10,000 results \
                     (the tab is busy rendering them all?): {e:#}",
                    started.elapsed()
                );
            }
            // WebDriver calls wait while the tab is busy, so the time to
            // the first rows is measured from outside.
            let took = started.elapsed();
            let rendered = b
                .execute(
                    "return document.querySelectorAll('.jobs > .tbody > [role=row]').length;",
                    vec![],
                )
                .await?
                .as_u64()
                .unwrap_or(0);
            let pager = b.text(".pager .page-of").await.unwrap_or_default();
            eprintln!("10,000 results: {rendered} rows rendered after {took:?}");
            assert_not_crashed(b).await?;
            let count = b.text(".pager .count").await?;
            ensure!(
                count.contains("10,000") || count.contains("10000") || count.contains("10 000"),
                "the server's count is shown: {count:?}"
            );
            // Still responsive: navigating away is quick.
            let t = Instant::now();
            assert_navigation_works(b).await?;
            ensure!(
                t.elapsed() < Duration::from_secs(10),
                "navigation took {:?}",
                t.elapsed()
            );
            // The page asked for 100 rows and pages by 100: it must not
            // lock the tab rendering a hundred times that.
            ensure!(
                rendered <= 100,
                "{rendered} rows rendered where 100 were asked for (the pager says {pager:?}); \
                 the tab was busy for {took:?}"
            );
            ensure!(took < Duration::from_secs(30), "the rows took {took:?}");
            Ok(())
        },
    );
}

#[test]
fn answers_that_hang_show_progress_and_can_be_left() {
    let server = HostileServer::start(data::normal_api).unwrap();
    browser_test(
        "answers_that_hang_show_progress_and_can_be_left",
        async |b| {
            let mut s = Scenarios::new("hangs");
            let normal = data::normal_page().to_string();
            let never_ends = Reply::NeverEnds {
                status: 200,
                headers: vec![("Content-Type".into(), "application/json".into())],
                declared_len: normal.len(),
                body: normal.as_bytes()[..40].to_vec(),
            };
            let stall = Reply::json(200, &data::normal_page()).after(Duration::from_secs(30));

            for (name, reply) in [
                ("a body that never ends", never_ends.clone()),
                ("a 30 s stall", stall.clone()),
            ] {
                // Progress while waiting; "Refresh now" asks again.
                let r = async {
                    server.set_api(lists_reply(reply.clone()));
                    b.goto(&server.url("/jobs")).await?;
                    b.wait_for(".progress .progress-bar", WAIT).await?;
                    b.wait_for_text(".progress", "taking a while", WAIT).await?;
                    ensure!(
                        b.find(Locator::Css("[role='alert'] .alert")).await.is_err(),
                        "no error while still waiting"
                    );
                    assert_not_crashed(b).await?;
                    server.set_api(data::normal_api);
                    let before = server.api_count("GET");
                    b.find(Locator::XPath("//button[normalize-space(.)='Refresh now']"))
                        .await?
                        .click()
                        .await?;
                    b.wait_until("a new request", WAIT, async || {
                        Ok(server.api_count("GET") > before)
                    })
                    .await?;
                    expect_outcome(b, &Expect::Rows(&["Landsat 8 Parser"])).await?;
                    b.wait_until("the progress to end", WAIT, async || {
                        Ok(b.find(Locator::Css(".progress .progress-bar"))
                            .await
                            .is_err())
                    })
                    .await
                }
                .await;
                s.record(&format!("{name}: progress, then Refresh now"), r);

                // Navigating away while it hangs.
                let r = async {
                    server.set_api(lists_reply(reply.clone()));
                    b.goto(&server.url("/jobs")).await?;
                    b.wait_for_text(".progress", "taking a while", WAIT).await?;
                    server.set_api(data::normal_api);
                    assert_navigation_works(b).await?;
                    expect_outcome(b, &Expect::Rows(&["Landsat 8 Parser"])).await?;
                    assert_not_crashed(b).await
                }
                .await;
                s.record(&format!("{name}: navigating away"), r);
            }

            // The detail page while the job's answer stalls.
            let r = async {
                server.set_api(move |r: &Request| {
                    if r.job_id().is_some() {
                        Reply::json(200, &data::details(1, "RUNNING"))
                            .after(Duration::from_secs(30))
                    } else {
                        data::normal_api(r)
                    }
                });
                b.goto(&server.url("/jobs/1")).await?;
                b.wait_for_text("[role='status']", "Loading job", WAIT)
                    .await?;
                b.find(Locator::LinkText("← Back to the list"))
                    .await?
                    .click()
                    .await?;
                expect_outcome(b, &Expect::Rows(&["Landsat 8 Parser"])).await?;
                assert_not_crashed(b).await
            }
            .await;
            s.record("a stalled job: loading shown, the way back works", r);
            s.finish()
        },
    );
}

/// Opens `/jobs/{id}` against `api` and waits for the heading.
async fn open_job(b: &Browser, server: &HostileServer, id: i64) -> Result<()> {
    b.goto(&server.url(&format!("/jobs/{id}"))).await?;
    b.wait_for_text("h1", &format!("Job {id}"), WAIT).await?;
    Ok(())
}

/// Waits for the job's sections; if an error is shown instead, says so.
async fn wait_job_rendered(b: &Browser) -> Result<()> {
    b.wait_until("the job's sections or an error", WAIT, async || {
        Ok(b.find(Locator::Css("#overview-h")).await.is_ok()
            || b.find(Locator::Css("[role='alert'] .alert")).await.is_ok())
    })
    .await?;
    if let Ok(a) = b.find(Locator::Css("[role='alert'] .alert")).await {
        bail!(
            "the page shows an error instead of the job: {:?}",
            a.text().await?
        );
    }
    Ok(())
}

/// The visible text of the page's `main`.
/// The page's data text: `main` without the table headers and the
/// timeline legend, which are the app's own words ("Completed" is a column
/// of the recipes table), not values from the API.
async fn main_text(b: &Browser) -> Result<String> {
    let v = b
        .execute(
            "const m = document.querySelector('main').cloneNode(true); m.querySelectorAll('th, .legend').forEach(e => e.remove()); return m.innerText;",
            vec![],
        )
        .await?;
    Ok(v.as_str().unwrap_or_default().to_string())
}

#[test]
fn the_detail_page_survives_hostile_answers() {
    let server = HostileServer::start(data::normal_api).unwrap();
    browser_test("the_detail_page_survives_hostile_answers", async |b| {
        let mut s = Scenarios::new("detail");

        // Every field null except the id.
        let nulls = data::nulled(&data::details(1, "RUNNING"), &["id"]);
        let r = async {
            let d = nulls.clone();
            server.set_api(move |r: &Request| {
                if r.job_id().is_some() {
                    Reply::json(200, &d)
                } else {
                    data::normal_api(r)
                }
            });
            open_job(b, &server, 1).await?;
            wait_job_rendered(b).await?;
            assert_not_crashed(b).await?;
            // Nothing but the id is a number the server said.
            let text = main_text(b).await?.replace("Job 1", "");
            let digits: Vec<&str> = text
                .lines()
                .filter(|l| l.chars().any(|c| c.is_ascii_digit()))
                .collect();
            ensure!(
                digits.is_empty(),
                "numbers the server did not send: {digits:?}"
            );
            for invented in [
                "1970",
                "ago",
                "Pending",
                "Running",
                "Completed",
                "Failed",
                "Canceled",
            ] {
                ensure!(!text.contains(invented), "{invented:?} shown for null data");
            }
            ensure!(
                b.find(Locator::XPath("//button[normalize-space(.)='Cancel job']"))
                    .await
                    .is_err(),
                "cancel offered for a job of unknown status"
            );
            assert_navigation_works(b).await
        }
        .await;
        s.record("nulls in every field", r);

        // Nested objects present but every field inside null (ids kept).
        let keep = [
            "id",
            "job_type",
            "job_type_rev",
            "interface",
            "input_data",
            "output_data",
            "event",
            "rule",
            "error",
            "job_exes",
            "node",
            "inputs",
            "outputs",
            "value",
            "workspace",
            "recipes",
            "recipe_type",
        ];
        let nested = data::nulled(&data::details(1, "FAILED"), &keep);
        let r = async {
            let d = nested.clone();
            server.set_api(move |r: &Request| {
                if r.job_id().is_some() {
                    Reply::json(200, &d)
                } else {
                    data::normal_api(r)
                }
            });
            open_job(b, &server, 1).await?;
            wait_job_rendered(b).await?;
            assert_not_crashed(b).await?;
            let text = main_text(b).await?;
            for invented in [
                "1970",
                "ago",
                "Pending",
                "Running",
                "Completed",
                "Failed",
                "Canceled",
            ] {
                ensure!(!text.contains(invented), "{invented:?} shown for null data");
            }
            assert_navigation_works(b).await
        }
        .await;
        s.record("nulls inside every nested object", r);

        // Deep `data`: deep enough to matter, shallow enough to decode...
        let r = async {
            let body = data::details(1, "COMPLETED").to_string().replacen(
                "\"data\":{",
                &format!("\"data\":{{\"deep\":{},", data::nested_text(100)),
                1,
            );
            server.set_api(move |r: &Request| {
                if r.job_id().is_some() {
                    Reply::json_text(200, &body)
                } else {
                    data::normal_api(r)
                }
            });
            open_job(b, &server, 1).await?;
            wait_job_rendered(b).await?;
            assert_not_crashed(b).await?;
            // Opening the data block renders it.
            b.execute(
                "document.querySelectorAll('details.json-block').forEach(d => d.open = true);",
                vec![],
            )
            .await?;
            let pre = b.text("details.json-block pre").await?;
            ensure!(pre.contains("\"a\""), "the nested data is shown");
            assert_layout_usable(b).await?;
            assert_not_crashed(b).await?;
            assert_navigation_works(b).await
        }
        .await;
        s.record("data nested 100 deep", r);

        // ...and far too deep to decode: a clear message, not a crash.
        for depth in [1_000, 100_000] {
            let r = async {
                let body = data::details(1, "COMPLETED").to_string().replacen(
                    "\"data\":{",
                    &format!("\"data\":{{\"deep\":{},", data::nested_text(depth)),
                    1,
                );
                server.set_api(move |r: &Request| {
                    if r.job_id().is_some() {
                        Reply::json_text(200, &body)
                    } else {
                        data::normal_api(r)
                    }
                });
                open_job(b, &server, 1).await?;
                b.wait_until("the job or a message", WAIT, async || {
                    Ok(b.find(Locator::Css("#raw-h")).await.is_ok()
                        || b.find(Locator::Css("[role='alert'] .alert")).await.is_ok())
                })
                .await
                .with_context(|| "neither the job nor a message")?;
                assert_not_crashed(b).await?;
                if let Ok(a) = b.find(Locator::Css("[role='alert'] .alert")).await {
                    let t = a.text().await?;
                    ensure!(t.contains("could not be read"), "{t:?}");
                }
                assert_navigation_works(b).await
            }
            .await;
            s.record(&format!("data nested {depth} deep"), r);
        }

        // An HTML 500 for the job.
        let r = async {
            server.set_api(|r: &Request| {
                if r.job_id().is_some() {
                    Reply::html(500, &hostile_html("Server Error (500)"))
                } else {
                    data::normal_api(r)
                }
            });
            open_job(b, &server, 1).await?;
            expect_outcome(
                b,
                &Expect::Alert(&["The server failed (500)", "Server Error (500)"]),
            )
            .await?;
            assert_not_crashed(b).await?;
            assert_no_raw_html(b).await?;
            retry_asks_again(b, &server).await?;
            assert_navigation_works(b).await
        }
        .await;
        s.record("HTML 500 for the job", r);

        // A dropped connection for the job.
        let r = async {
            server.set_api(|r: &Request| {
                if r.job_id().is_some() {
                    Reply::Drop
                } else {
                    data::normal_api(r)
                }
            });
            open_job(b, &server, 1).await?;
            expect_outcome(b, &Expect::Alert(&["Could not reach"])).await?;
            retry_asks_again(b, &server).await?;
            server.set_api(data::normal_api);
            b.find(Locator::XPath(
                "//*[@role='alert']//button[normalize-space(.)='Retry']",
            ))
            .await?
            .click()
            .await?;
            b.wait_for("#overview-h", WAIT).await?;
            b.wait_until("the alert to clear", WAIT, async || {
                Ok(b.find(Locator::Css("[role='alert'] .alert")).await.is_err())
            })
            .await?;
            assert_not_crashed(b).await
        }
        .await;
        s.record("a dropped connection for the job, then Retry", r);
        s.finish()
    });
}

/// Opens the cancel dialog and confirms.
async fn cancel_through_dialog(b: &Browser) -> Result<()> {
    b.wait_for("button.btn-danger", WAIT).await?;
    b.find(Locator::XPath("//button[normalize-space(.)='Cancel job']"))
        .await?
        .click()
        .await?;
    b.wait_until("the dialog to open", WAIT, async || {
        Ok(b.execute(
            "const d = document.querySelector('dialog'); return !!d && d.open;",
            vec![],
        )
        .await?
            == Value::Bool(true))
    })
    .await?;
    b.find(Locator::XPath(
        "//button[normalize-space(.)='Confirm cancel']",
    ))
    .await?
    .click()
    .await?;
    Ok(())
}

/// The cancel outcome message under the status line.
async fn cancel_message(b: &Browser) -> Result<String> {
    Ok(b.wait_for("section.job-page > .alert", WAIT)
        .await?
        .text()
        .await?)
}

#[test]
fn failed_cancels_are_explained_and_the_job_is_read_again() {
    let server = HostileServer::start(data::normal_api).unwrap();
    browser_test(
        "failed_cancels_are_explained_and_the_job_is_read_again",
        async |b| {
            let mut s = Scenarios::new("cancel");
            // A FAILED job: cancelable, but not re-read on a timer, so any
            // GET after the PATCH is the page reading it again.
            // Each case: its answer, what the message must say, and what
            // the isolated part (<bdi>) of it must hold: the server's
            // words it quotes, or None where it quotes none (no <bdi>).
            let cases: Vec<(&str, Reply, &[&str], Option<&str>)> = vec![
                (
                    "403 CSRF refusal",
                    Reply::json(
                        403,
                        &json!({"detail": "CSRF Failed: CSRF token missing or incorrect."}),
                    ),
                    &["CSRF token"],
                    Some("CSRF Failed: CSRF token missing or incorrect."),
                ),
                (
                    "HTML 500",
                    Reply::html(500, &hostile_html("Server Error (500)")),
                    &["could not be canceled", "Server Error (500)"],
                    Some("Server Error (500)"),
                ),
                (
                    "a dropped connection",
                    Reply::Drop,
                    &["did not reach the server"],
                    None,
                ),
                (
                    "a login page with 200",
                    Reply::html(200, LOGIN_PAGE),
                    &["could not be read"],
                    Some("Expected JSON but got an HTML page"),
                ),
                (
                    "200 with the job still FAILED",
                    Reply::json(200, &data::details(1, "FAILED")),
                    &["job 1 is failed. It was not canceled."],
                    Some("failed"),
                ),
            ];
            for (name, patch, expected, quoted) in cases {
                let r = async {
                    let patch = patch.clone();
                    server.set_api(move |r: &Request| {
                        if r.method == "PATCH" {
                            patch.clone()
                        } else if r.job_id().is_some() {
                            Reply::json(200, &data::details(1, "FAILED"))
                        } else {
                            data::normal_api(r)
                        }
                    });
                    open_job(b, &server, 1).await?;
                    wait_job_rendered(b).await?;
                    let patches = server.api_count("PATCH");
                    cancel_through_dialog(b).await?;
                    let msg = cancel_message(b).await?;
                    ensure!(
                        server.api_count("PATCH") == patches + 1,
                        "exactly one PATCH"
                    );
                    for e in expected {
                        ensure!(msg.contains(e), "the message does not say {e:?}: {msg:?}");
                    }
                    ensure!(!msg.contains('<'), "raw markup in the message: {msg:?}");
                    const ISOLATED: &str = "section.job-page > .alert bdi";
                    match quoted {
                        Some(quoted) => {
                            let isolated = b.text(ISOLATED).await?;
                            ensure!(
                                isolated.contains(quoted),
                                "the server's words are not isolated in the message: <bdi> holds {isolated:?}"
                            );
                        }
                        None => ensure!(
                            b.find_all(Locator::Css(ISOLATED)).await?.is_empty(),
                            "a message of our own words only has a <bdi>"
                        ),
                    }
                    assert_no_raw_html(b).await?;
                    assert_not_crashed(b).await?;
                    // The page reads the job again after the failure.
                    let patch_at = server
                        .requests()
                        .iter()
                        .rposition(|r| r.method == "PATCH")
                        .context("the PATCH")?;
                    b.wait_until("a GET of the job after the PATCH", WAIT, async || {
                        Ok(server.requests()[patch_at..]
                            .iter()
                            .any(|r| r.method == "GET" && r.job_id() == Some(1)))
                    })
                    .await?;
                    ensure!(
                        b.text(".status-line .badge-text").await? == "Failed",
                        "the job is still shown as it is"
                    );
                    ensure!(
                        !main_text(b).await?.contains("was canceled."),
                        "a cancel the server refused is not reported as done"
                    );
                    assert_navigation_works(b).await
                }
                .await;
                s.record(&format!("cancel answered with {name}"), r);
            }
            s.finish()
        },
    );
}
