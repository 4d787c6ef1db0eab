//! The three list pages in a real headless Chromium against the real
//! development server: first load, sorting (and shift-click multi-sort),
//! every filter, paging, page sizes, deep links, history, errors, a slow
//! server, auto-refresh, and accessibility.

use anyhow::{ensure, Context, Result};
use fantoccini::Locator;
use scale_jobs_e2e::{browser_test, Browser, Server, ServerOptions, WAIT};
use scale_jobs_shared::{JobStatus, JobsQuery, SortOrder};
use serde_json::Value;

/// The ids in the first column of the table named `table`.
async fn row_ids(b: &Browser, table: &str) -> Result<Vec<i64>> {
    let v = b
        .execute(
            "return Array.from(document.querySelectorAll(`[role=table][aria-label='${arguments[0]}'] .tbody > [role=row] > [role=cell]:first-child a`)).map(a => a.textContent.trim());",
            vec![Value::from(table)],
        )
        .await?;
    let ids = v
        .as_array()
        .context("row ids")?
        .iter()
        .map(|x| x.as_str().unwrap_or("").parse::<i64>())
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(ids)
}

/// The ids the API returns for `q` (with the app's default order when the
/// query has none).
fn api_ids(server: &Server, q: &JobsQuery) -> Result<(u64, Vec<i64>)> {
    let mut q = q.clone();
    if q.order.is_empty() {
        q.order = vec![SortOrder::desc("last_modified")];
    }
    let page = server.jobs(&q)?;
    Ok((page.count, page.results.iter().map(|j| j.id).collect()))
}

/// Waits until the Jobs table shows exactly the API's rows for `q`.
async fn wait_rows_match(b: &Browser, server: &Server, q: &JobsQuery) -> Result<()> {
    let (_, expected) = api_ids(server, q)?;
    ensure!(
        !expected.is_empty(),
        "the API returned no rows for {q:?}: a weak test"
    );
    b.wait_until(
        &format!("rows to match the API for {}", q.to_query_string()),
        WAIT,
        async || Ok(row_ids(b, "Jobs").await? == expected),
    )
    .await
}

async fn url_query(b: &Browser) -> Result<String> {
    Ok(b.current_url().await?.query().unwrap_or("").to_string())
}

async fn wait_url_contains(b: &Browser, part: &str) -> Result<()> {
    b.wait_until(&format!("the URL to contain {part}"), WAIT, async || {
        Ok(url_query(b).await?.contains(part))
    })
    .await
}

async fn click(b: &Browser, css: &str) -> Result<()> {
    b.wait_for(css, WAIT).await?.click().await?;
    Ok(())
}

/// Clicks the sort button in the column header labelled `label`.
async fn click_sort(b: &Browser, label: &str, shift: bool) -> Result<()> {
    b.wait_for(".thead button.sort", WAIT).await?;
    let done = b
        .execute(
            "const btn = Array.from(document.querySelectorAll('.thead button.sort')).find(x => x.firstChild && x.firstChild.textContent.trim() === arguments[0]);
             if (!btn) return false;
             btn.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, shiftKey: arguments[1]}));
             return true;",
            vec![Value::from(label), Value::from(shift)],
        )
        .await?;
    ensure!(done == Value::Bool(true), "no sort button labelled {label}");
    Ok(())
}

async fn aria_sort(b: &Browser, label: &str) -> Result<String> {
    let v = b
        .execute(
            "const th = Array.from(document.querySelectorAll('[role=columnheader]')).find(x => x.querySelector('button.sort') && x.querySelector('button.sort').firstChild.textContent.trim() === arguments[0]);
             return th ? th.getAttribute('aria-sort') : null;",
            vec![Value::from(label)],
        )
        .await?;
    Ok(v.as_str().unwrap_or("").to_string())
}

/// The rows of the Jobs list's table.
const JOBS_ROWS: &str = "[role=table][aria-label='Jobs'] .tbody > [role=row]";

fn small_server() -> Server {
    Server::start(ServerOptions::default().demo_jobs(400).seed(11)).unwrap()
}

/// The widths of the header cells of the table named `table`, and the
/// cells whose content is wider than they are: headers, and cells of our
/// own tokens (numbers, times, badges of known statuses), which never wrap.
async fn column_widths(b: &Browser, table: &str) -> Result<(Vec<f64>, Vec<String>)> {
    let v = b
        .execute(
            "const t = document.querySelector(`[role=table][aria-label='${arguments[0]}']`);
             const heads = [...t.querySelectorAll('[role=columnheader]')];
             const over = e => e.scrollWidth > e.clientWidth + 1;
             const tokens = [...t.querySelectorAll('.tbody [role=cell]')]
               .filter(td => td.matches('.num') || td.querySelector('[data-datetime], .badge:not(.status-unknown)'));
             return [heads.map(th => th.getBoundingClientRect().width),
                     [...new Set([...heads, ...tokens].filter(over)
                       .map(e => `${heads[[...e.parentElement.children].indexOf(e)].innerText.trim()}: ${e.innerText.trim()} (${e.scrollWidth} > ${e.clientWidth})`))]
                       .slice(0, 10)];",
            vec![Value::from(table)],
        )
        .await?;
    Ok(serde_json::from_value(v)?)
}

#[test]
fn list_columns_fit_their_tokens_and_keep_their_widths() {
    // The list tables have fixed column widths: the columns must not move
    // when other rows come in (next page, another order, a refresh), and
    // every header, id, time and badge must fit in its column's width.
    let server = small_server();
    browser_test(
        "list_columns_fit_their_tokens_and_keep_their_widths",
        async |b| {
            for (path, table, api, order) in [
                ("/jobs", "Jobs", "/api/v5/jobs/", "-last_modified"),
                (
                    "/jobs/executions",
                    "Job executions",
                    "/api/v5/jobs/executions/",
                    "-last_modified",
                ),
                (
                    "/jobs/updates",
                    "Job updates",
                    "/api/v5/jobs/updates/",
                    "-last_status_change",
                ),
            ] {
                // Waits for the API's rows for `q`, all of them displayed
                // (none held back from their first frame, so that every
                // cell is measured), and returns the column widths once
                // every header and token is seen to fit.
                let widths = async |what: &str, q: &str| -> Result<Vec<f64>> {
                    let v: Value = server.get(&format!("{api}?page_size=100&{q}"))?.json()?;
                    let ids: Vec<i64> = v["results"]
                        .as_array()
                        .context("results")?
                        .iter()
                        .filter_map(|j| j["id"].as_i64())
                        .collect();
                    ensure!(!ids.is_empty(), "no rows for {what}: a weak test");
                    b.wait_until(what, WAIT, async || {
                        Ok(row_ids(b, table).await? == ids
                            && b.execute(
                                "return !document.querySelector('.jobs > .tbody.first-frame');",
                                vec![],
                            )
                            .await?
                                == Value::Bool(true))
                    })
                    .await?;
                    let (widths, over) = column_widths(b, table).await?;
                    ensure!(
                        over.is_empty(),
                        "{what}: content wider than its column: {over:?}"
                    );
                    Ok(widths)
                };
                b.goto(&server.url(&format!("{path}?page_size=100")))
                    .await?;
                let first = widths(&format!("{table} page 1"), &format!("order={order}")).await?;
                ensure!(
                    first.iter().all(|&w| w > 40.0),
                    "{table}: a column squeezed to nothing: {first:?}"
                );

                click(b, "button[aria-label='Next page']").await?;
                let second =
                    widths(&format!("{table} page 2"), &format!("order={order}&page=2")).await?;
                ensure!(
                    first == second,
                    "{table}: the columns moved on the next page: {first:?} -> {second:?}"
                );

                click_sort(b, "Job type", false).await?;
                let third = widths(&format!("{table} by job type"), "order=job_type__name").await?;
                ensure!(
                    first == third,
                    "{table}: the columns moved with another order: {first:?} -> {third:?}"
                );
            }
            Ok(())
        },
    );
}

/// Rows in the Jobs table, those displayed, the app's `scale:held`,
/// `scale:all-painted` and `scale:painted` marks, and whether the tbody
/// still holds rows back.
async fn rows_displayed(b: &Browser) -> Result<Value> {
    Ok(b.execute(
        "const rows = [...document.querySelectorAll('.jobs > .tbody > [role=row]')];
             const marks = n => performance.getEntriesByName(n).length;
             return [rows.length, rows.filter(r => r.getClientRects().length > 0).length,
                     marks('scale:held'), marks('scale:all-painted'), marks('scale:painted'),
                     document.querySelector('.jobs > .tbody').classList.contains('first-frame')];",
        vec![],
    )
    .await?)
}

/// Waits until all 100 rows are displayed, none held back, with `held`
/// holds and as many `scale:all-painted` marks so far.
async fn wait_all_displayed(b: &Browser, what: &str, held: u64) -> Result<Value> {
    let mut last = Value::Null;
    b.wait_until(what, WAIT, async || {
        last = rows_displayed(b).await?;
        Ok(last[0] == 100
            && last[1] == 100
            && last[2] == held
            && last[3] == held
            && last[5] == false)
    })
    .await
    .with_context(|| {
        format!("last seen [rows, displayed, held, all-painted, painted, holding]: {last}")
    })?;
    Ok(last)
}

#[test]
fn rows_held_out_of_a_views_first_frame_all_follow_it() {
    // A new view (the first page, the next page) lays out only the rows
    // that can be on screen (35 at this window's 1000 px) in the frame that
    // shows them; the other 65 must follow. A refresh of the same view, and
    // a page changed with the window scrolled, go in whole.
    let server = small_server();
    browser_test(
        "rows_held_out_of_a_views_first_frame_all_follow_it",
        async |b| {
            b.goto(&server.url("/jobs?page_size=100")).await?;
            let q = JobsQuery {
                page_size: 100,
                ..Default::default()
            };
            wait_rows_match(b, &server, &q).await?;
            wait_all_displayed(b, "page 1 displayed whole, once held back", 1).await?;

            // What the reader has when the new rows are painted: the app's
            // own mark call, wrapped, records the rows displayed then and
            // where the last of them ends.
            b.execute(
                "const mark = performance.mark.bind(performance);
                 performance.mark = (name, ...rest) => {
                   if (name === 'scale:painted') {
                     const shown = [...document.querySelectorAll('.jobs > .tbody > [role=row]')]
                       .filter(r => r.getClientRects().length > 0);
                     window.atPainted = [shown.length,
                       shown.length ? shown[shown.length - 1].getBoundingClientRect().bottom : 0,
                       window.innerHeight];
                   }
                   return mark(name, ...rest);
                 };",
                vec![],
            )
            .await?;
            click(b, "button[aria-label='Next page']").await?;
            let q = JobsQuery { page: 2, ..q };
            wait_rows_match(b, &server, &q).await?;
            let seen = wait_all_displayed(b, "page 2 displayed whole, once held back", 2).await?;
            let at: (f64, f64, f64) =
                serde_json::from_value(b.execute("return window.atPainted;", vec![]).await?)
                    .context("no scale:painted seen for page 2")?;
            ensure!(
                at.0 < 100.0 && at.1 >= at.2,
                "when page 2 was painted, [rows displayed, last one's bottom, window height] \
                 was {at:?}: rows must be held back, but none that the window can show"
            );

            // The same view again: nothing held back.
            let painted = seen[4].as_u64().context("painted marks")?;
            click(b, ".refresh button:last-of-type").await?;
            b.wait_until("the refresh painted", WAIT, async || {
                Ok(rows_displayed(b).await?[4].as_u64() > Some(painted))
            })
            .await?;
            wait_all_displayed(b, "the refreshed page whole, not held back", 2).await?;

            // Scrolled when the rows come: the next page goes in whole (the
            // click's navigation scrolls to the top, so scroll after it).
            b.execute(
                "document.querySelector(\"button[aria-label='Next page']\").click(); window.scrollTo(0, 300);",
                vec![],
            )
            .await?;
            let q = JobsQuery { page: 3, ..q };
            wait_rows_match(b, &server, &q).await?;
            wait_all_displayed(b, "page 3 whole, not held back", 2).await?;
            Ok(())
        },
    );
}

#[test]
fn leaving_a_list_while_its_rows_are_painted_loses_nothing() {
    // The rows held back from a view's first frame are released once it is
    // painted, a frame after they went in: the list may be gone by then
    // (a link followed within that frame). That must not crash the app.
    let server = small_server();
    browser_test(
        "leaving_a_list_while_its_rows_are_painted_loses_nothing",
        async |b| {
            b.goto(&server.url("/jobs?page_size=100")).await?;
            wait_rows_match(
                b,
                &server,
                &JobsQuery {
                    page_size: 100,
                    ..Default::default()
                },
            )
            .await?;
            // Follow the Executions link inside the frame the next page's
            // rows go into (the app marks `scale:rows` there).
            b.execute(
                "const mark = performance.mark.bind(performance);
                 window.left = false;
                 performance.mark = (name, ...rest) => {
                   const m = mark(name, ...rest);
                   if (name === 'scale:rows' && !window.left) {
                     window.left = true;
                     document.querySelector(\"nav.mainnav a[href='/jobs/executions']\").click();
                   }
                   return m;
                 };
                 document.querySelector(\"button[aria-label='Next page']\").click();",
                vec![],
            )
            .await?;
            b.wait_until("the executions page's rows", WAIT, async || {
                Ok(b.text("h1").await? == "Job executions"
                    && !row_ids(b, "Job executions").await?.is_empty())
            })
            .await?;
            ensure!(
                b.execute("return window.left;", vec![]).await? == Value::Bool(true),
                "the link was not followed inside the rows' frame: a weak test"
            );
            // Whatever timers the list left must have run by now.
            b.execute(
                "return new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)));",
                vec![],
            )
            .await?;
            scale_jobs_e2e::hostile::assert_not_crashed(b).await
        },
    );
}

#[test]
fn first_load_shows_rows_and_the_total_count() {
    let server = small_server();
    browser_test("first_load_shows_rows_and_the_total_count", async |b| {
        b.goto(&server.url("/")).await?;
        // `/` redirects to `/jobs`.
        b.wait_until("the redirect to /jobs", WAIT, async || {
            Ok(b.current_url().await?.path() == "/jobs")
        })
        .await?;
        let q = JobsQuery::default();
        wait_rows_match(b, &server, &q).await?;
        let (count, ids) = api_ids(&server, &q)?;
        ensure!(ids.len() == 100, "default page size is the API's 100");
        let summary = b.text(".pager .count").await?;
        ensure!(
            summary.contains(&count.to_string()),
            "count {count} not in {summary:?}"
        );
        ensure!(b.text("h1").await? == "Jobs");
        // Each id is a real link to the job's page.
        let href = b
            .find(Locator::Css(
                "[role=table][aria-label='Jobs'] .tbody > [role=row] > [role=cell]:first-child a",
            ))
            .await?
            .attr("href")
            .await?;
        ensure!(href == Some(format!("/jobs/{}", ids[0])), "link {href:?}");
        // Status is text, not only colour.
        let status = b
            .text("[role=table][aria-label='Jobs'] .tbody > [role=row] .badge-text")
            .await?;
        ensure!(!status.is_empty());
        b.assert_accessible().await
    });
}

#[test]
fn sorting_by_a_column_cycles_and_follows_the_api_order() {
    let server = small_server();
    browser_test(
        "sorting_by_a_column_cycles_and_follows_the_api_order",
        async |b| {
            b.goto(&server.url("/jobs")).await?;
            wait_rows_match(b, &server, &JobsQuery::default()).await?;
            ensure!(
                aria_sort(b, "Last modified").await? == "descending",
                "default order shown"
            );

            click_sort(b, "Priority", false).await?;
            wait_url_contains(b, "order=priority").await?;
            let q = JobsQuery {
                order: vec![SortOrder::asc("priority")],
                ..Default::default()
            };
            wait_rows_match(b, &server, &q).await?;
            ensure!(aria_sort(b, "Priority").await? == "ascending");

            click_sort(b, "Priority", false).await?;
            wait_url_contains(b, "order=-priority").await?;
            let q = JobsQuery {
                order: vec![SortOrder::desc("priority")],
                ..Default::default()
            };
            wait_rows_match(b, &server, &q).await?;
            ensure!(aria_sort(b, "Priority").await? == "descending");

            // Third click: off, back to the default order.
            click_sort(b, "Priority", false).await?;
            b.wait_until("order to leave the URL", WAIT, async || {
                Ok(!url_query(b).await?.contains("order="))
            })
            .await?;
            ensure!(aria_sort(b, "Priority").await? == "none");
            wait_rows_match(b, &server, &JobsQuery::default()).await
        },
    );
}

#[test]
fn shift_click_adds_a_secondary_order() {
    let server = small_server();
    browser_test("shift_click_adds_a_secondary_order", async |b| {
        b.goto(&server.url("/jobs")).await?;
        b.wait_for(JOBS_ROWS, WAIT).await?;
        click_sort(b, "Status", false).await?;
        wait_url_contains(b, "order=status").await?;
        click_sort(b, "Priority", true).await?;
        wait_url_contains(b, "order=status&order=priority").await?;
        click_sort(b, "Priority", true).await?;
        wait_url_contains(b, "order=status&order=-priority").await?;
        let q = JobsQuery {
            order: vec![SortOrder::asc("status"), SortOrder::desc("priority")],
            ..Default::default()
        };
        wait_rows_match(b, &server, &q).await?;
        ensure!(aria_sort(b, "Status").await? == "ascending");
        ensure!(aria_sort(b, "Priority").await? == "other");
        Ok(())
    });
}

/// Sets an input's value the way a user's edit would, then fires `change`.
async fn set_input(b: &Browser, css: &str, value: &str) -> Result<()> {
    b.wait_for(css, WAIT).await?;
    b.execute(
        "const el = document.querySelector(arguments[0]); el.value = arguments[1]; el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![Value::from(css), Value::from(value)],
    )
    .await?;
    Ok(())
}

async fn attr_of(b: &Browser, css: &str, name: &str) -> Result<Option<String>> {
    Ok(b.wait_for(css, WAIT).await?.attr(name).await?)
}

async fn check_box_labelled(b: &Browser, text: &str) -> Result<()> {
    let done = b
        .execute(
            "const l = Array.from(document.querySelectorAll('form.filters label')).find(x => x.textContent.replace(/\\s+/g,' ').trim().endsWith(arguments[0]));
             if (!l) return false; l.querySelector('input').click(); return true;",
            vec![Value::from(text)],
        )
        .await?;
    ensure!(done == Value::Bool(true), "no checkbox labelled {text}");
    Ok(())
}

#[test]
fn each_filter_narrows_the_rows_like_the_api() {
    let server = small_server();
    browser_test("each_filter_narrows_the_rows_like_the_api", async |b| {
        b.goto(&server.url("/jobs?page=2")).await?;
        b.wait_for(JOBS_ROWS, WAIT).await?;

        // Status (multi): Running and Failed; changing a filter resets the page.
        check_box_labelled(b, "Running").await?;
        wait_url_contains(b, "status=RUNNING").await?;
        ensure!(
            !url_query(b).await?.contains("page=2"),
            "a filter change returns to page 1"
        );
        check_box_labelled(b, "Failed").await?;
        wait_url_contains(b, "status=RUNNING&status=FAILED").await?;
        let mut q = JobsQuery {
            status: vec![JobStatus::Running, JobStatus::Failed],
            ..Default::default()
        };
        wait_rows_match(b, &server, &q).await?;
        let (count, _) = api_ids(&server, &q)?;
        ensure!(b.text(".pager .count").await?.contains(&count.to_string()));

        // Error category narrows failed jobs.
        check_box_labelled(b, "Data").await?;
        wait_url_contains(b, "error_category=DATA").await?;
        q.error_category = vec![scale_jobs_shared::ErrorCategory::Data];
        wait_rows_match(b, &server, &q).await?;

        // Clear, then job type by name (typed, Enter).
        click(b, "form.filters .btn-link").await?;
        b.wait_until("filters cleared", WAIT, async || {
            Ok(!url_query(b).await?.contains("status="))
        })
        .await?;
        let name = server.jobs(&JobsQuery::default())?.results[0]
            .job_type
            .as_ref()
            .and_then(|t| t.name.clone())
            .context("a job type name")?;
        let input = b
            .find(Locator::XPath(
                "//label[starts-with(normalize-space(.), 'Job type')]//input",
            ))
            .await?;
        input.send_keys(&name).await?;
        input.send_keys("\u{E007}").await?; // Enter
        wait_url_contains(b, &format!("job_type_name={name}")).await?;
        let q = JobsQuery {
            job_type_name: vec![name.clone()],
            ..Default::default()
        };
        wait_rows_match(b, &server, &q).await?;

        // Category.
        click(b, &format!("button[aria-label='Remove Job type {name}']")).await?;
        let input = b
            .find(Locator::XPath(
                "//label[starts-with(normalize-space(.), 'Category')]//input",
            ))
            .await?;
        input.send_keys("system").await?;
        input.send_keys("\u{E007}").await?;
        wait_url_contains(b, "job_type_category=system").await?;
        let q = JobsQuery {
            job_type_category: vec!["system".into()],
            ..Default::default()
        };
        wait_rows_match(b, &server, &q).await?;
        click(b, "button[aria-label='Remove Category system']").await?;

        // Include superseded.
        check_box_labelled(b, "Include superseded").await?;
        wait_url_contains(b, "include_superseded=true").await?;
        let with = server
            .jobs(&JobsQuery {
                include_superseded: true,
                ..Default::default()
            })?
            .count;
        let without = server.jobs(&JobsQuery::default())?.count;
        ensure!(
            with > without,
            "demo data has superseded jobs ({with} vs {without})"
        );
        b.wait_until("the count with superseded jobs", WAIT, async || {
            Ok(b.text(".pager .count").await?.contains(&with.to_string()))
        })
        .await?;

        // Quick time range, sent as an ISO duration.
        click(b, "form.filters .quick button:nth-child(2)").await?;
        wait_url_contains(b, "started=PT24H").await?;
        let q = JobsQuery {
            include_superseded: true,
            started: Some(scale_jobs_shared::TimeBound::parse("PT24H").unwrap()),
            ..Default::default()
        };
        wait_rows_match(b, &server, &q).await?;

        // Absolute From/To (times shown in UTC by default). The inputs are
        // built on demand: none until "Custom range…" is pressed, and then
        // the keyboard is in From.
        let from = "form.filters #custom-range label:nth-of-type(1) input[type=datetime-local]";
        let to = "form.filters #custom-range label:nth-of-type(2) input[type=datetime-local]";
        let toggle = "form.filters button[aria-controls='custom-range']";
        ensure!(
            b.execute(
                "return document.querySelectorAll('input[type=datetime-local]').length;",
                vec![]
            )
            .await?
                == 0,
            "the From/To inputs are there before they are asked for"
        );
        ensure!(attr_of(b, toggle, "aria-expanded").await?.as_deref() == Some("false"));
        click(b, toggle).await?;
        b.wait_until("the keyboard in From", WAIT, async || {
            Ok(b.execute(
                "return document.activeElement === document.querySelector(arguments[0]);",
                vec![Value::from(from)],
            )
            .await?
                == Value::Bool(true))
        })
        .await?;
        ensure!(attr_of(b, toggle, "aria-expanded").await?.as_deref() == Some("true"));
        b.assert_accessible().await?;
        set_input(b, from, "2020-01-01T00:00").await?;
        wait_url_contains(b, "started=2020-01-01T00:00:00Z").await?;
        set_input(b, to, "2099-01-01T00:00").await?;
        wait_url_contains(b, "ended=2099-01-01T00:00:00Z").await?;
        let q = JobsQuery {
            include_superseded: true,
            started: Some(scale_jobs_shared::TimeBound::parse("2020-01-01T00:00:00Z").unwrap()),
            ended: Some(scale_jobs_shared::TimeBound::parse("2099-01-01T00:00:00Z").unwrap()),
            ..Default::default()
        };
        wait_rows_match(b, &server, &q).await?;

        // Opened from a link, a custom range shows its inputs, filled in, and
        // no toggle that could hide them; "Any time" takes both away.
        let url = b.current_url().await?;
        b.goto(url.as_str()).await?;
        wait_rows_match(b, &server, &q).await?;
        b.wait_until("From filled in from the address", WAIT, async || {
            Ok(b.execute(
                "const el = document.querySelector(arguments[0]); return el ? el.value : null;",
                vec![Value::from(from)],
            )
            .await?
                == "2020-01-01T00:00")
        })
        .await?;
        ensure!(
            b.execute(
                "return document.querySelector(arguments[0]).hidden;",
                vec![Value::from(toggle)]
            )
            .await?
                == Value::Bool(true),
            "the toggle can hide a range that is set"
        );
        // Emptying both inputs leaves no range, but keeps them open: the
        // keyboard is still in them.
        set_input(b, from, "").await?;
        set_input(b, to, "").await?;
        b.wait_until("both bounds out of the address", WAIT, async || {
            let q = url_query(b).await?;
            Ok(!q.contains("started=") && !q.contains("ended="))
        })
        .await?;
        let unbounded = JobsQuery {
            include_superseded: true,
            ..Default::default()
        };
        wait_rows_match(b, &server, &unbounded).await?;
        ensure!(
            b.execute(
                "return document.querySelectorAll('input[type=datetime-local]').length;",
                vec![]
            )
            .await?
                == 2,
            "the From/To inputs went away while being edited"
        );
        click(b, "form.filters .quick button:nth-child(4)").await?;
        b.wait_until("the From/To inputs gone with the range", WAIT, async || {
            Ok(b.execute(
                "return document.querySelectorAll('input[type=datetime-local]').length;",
                vec![],
            )
            .await?
                == 0)
        })
        .await?;
        ensure!(!url_query(b).await?.contains("started="));
        let q = JobsQuery {
            include_superseded: true,
            ..Default::default()
        };
        wait_rows_match(b, &server, &q).await
    });
}

#[test]
fn paging_to_the_last_page_and_back() {
    let server = small_server();
    browser_test("paging_to_the_last_page_and_back", async |b| {
        b.goto(&server.url("/jobs?page_size=25")).await?;
        b.wait_for(JOBS_ROWS, WAIT).await?;
        let count = server.jobs(&JobsQuery::default())?.count;
        let last = count.div_ceil(25) as u32;
        ensure!(last > 2);
        ensure!(b
            .find(Locator::Css("button[aria-label='First page']"))
            .await?
            .attr("disabled")
            .await?
            .is_some());
        click(b, "button[aria-label='Last page']").await?;
        wait_url_contains(b, &format!("page={last}")).await?;
        let q = JobsQuery {
            page: last,
            page_size: 25,
            ..Default::default()
        };
        wait_rows_match(b, &server, &q).await?;
        let expected_rows = count - u64::from(last - 1) * 25;
        ensure!(row_ids(b, "Jobs").await?.len() as u64 == expected_rows);
        ensure!(b
            .text(".pager .page-of")
            .await?
            .contains(&format!("Page {last} of {last}")));
        ensure!(b
            .find(Locator::Css("button[aria-label='Next page']"))
            .await?
            .attr("disabled")
            .await?
            .is_some());
        click(b, "button[aria-label='Previous page']").await?;
        wait_url_contains(b, &format!("page={}", last - 1)).await?;
        click(b, "button[aria-label='First page']").await?;
        b.wait_until("page 1", WAIT, async || {
            Ok(!url_query(b).await?.contains("page="))
        })
        .await?;
        wait_rows_match(
            b,
            &server,
            &JobsQuery {
                page_size: 25,
                ..Default::default()
            },
        )
        .await
    });
}

#[test]
fn page_size_1000_renders_1000_rows() {
    let server = Server::start(ServerOptions::default().demo_jobs(1500).seed(3)).unwrap();
    browser_test("page_size_1000_renders_1000_rows", async |b| {
        b.goto(&server.url("/jobs")).await?;
        b.wait_for(JOBS_ROWS, WAIT).await?;
        let select = b
            .find(Locator::Css("select[aria-label='Page size']"))
            .await?;
        select.select_by_value("1000").await?;
        wait_url_contains(b, "page_size=1000").await?;
        b.wait_until("1000 rows", WAIT, async || {
            Ok(row_ids(b, "Jobs").await?.len() == 1000)
        })
        .await?;
        wait_rows_match(
            b,
            &server,
            &JobsQuery {
                page_size: 1000,
                ..Default::default()
            },
        )
        .await
    });
}

#[test]
fn a_deep_link_restores_the_exact_view_and_history_works() {
    let server = small_server();
    browser_test(
        "a_deep_link_restores_the_exact_view_and_history_works",
        async |b| {
            let link = "/jobs?page=2&page_size=25&order=-priority&status=COMPLETED&status=FAILED";
            b.goto(&server.url(link)).await?;
            let q = JobsQuery::from_query_string(link.split_once('?').unwrap().1)?;
            wait_rows_match(b, &server, &q).await?;
            ensure!(aria_sort(b, "Priority").await? == "descending");
            let checked = b
            .execute(
                "return Array.from(document.querySelectorAll('form.filters fieldset:first-of-type input:checked')).map(i => i.parentElement.textContent.trim());",
                vec![],
            )
            .await?;
            let checked: Vec<String> = serde_json::from_value(checked)?;
            ensure!(
                checked.len() == 2
                    && checked.iter().any(|c| c.ends_with("Completed"))
                    && checked.iter().any(|c| c.ends_with("Failed")),
                "{checked:?}"
            );
            ensure!(
                b.find(Locator::Css("select[aria-label='Page size']"))
                    .await?
                    .prop("value")
                    .await?
                    == Some("25".into())
            );
            ensure!(b.text(".pager .page-of").await?.starts_with("Page 2 of"));

            // Go to page 3, then back and forward.
            click(b, "button[aria-label='Next page']").await?;
            wait_url_contains(b, "page=3").await?;
            let q3 = JobsQuery {
                page: 3,
                ..q.clone()
            };
            wait_rows_match(b, &server, &q3).await?;
            b.back().await?;
            wait_url_contains(b, "page=2").await?;
            wait_rows_match(b, &server, &q).await?;
            b.forward().await?;
            wait_url_contains(b, "page=3").await?;
            wait_rows_match(b, &server, &q3).await?;
            // A reload restores it too.
            b.refresh().await?;
            wait_rows_match(b, &server, &q3).await
        },
    );
}

#[test]
fn bad_values_in_the_address_are_dropped_with_a_notice() {
    let server = small_server();
    browser_test(
        "bad_values_in_the_address_are_dropped_with_a_notice",
        async |b| {
            b.goto(&server.url("/jobs?page_size=abc&status=RUNNING&order=bogus&started=yesterday"))
                .await?;
            let notice = b.wait_for(".notice", WAIT).await?.text().await?;
            for p in ["page_size=abc", "order=bogus", "started=yesterday"] {
                ensure!(notice.contains(p), "notice {notice:?} does not name {p}");
            }
            let q = JobsQuery {
                status: vec![JobStatus::Running],
                ..Default::default()
            };
            wait_rows_match(b, &server, &q).await?;
            click(b, ".notice button").await?;
            b.wait_until("the address fixed", WAIT, async || {
                Ok(url_query(b).await? == "status=RUNNING")
            })
            .await?;
            b.wait_until("the notice gone", WAIT, async || {
                Ok(b.find(Locator::Css(".notice")).await.is_err())
            })
            .await
        },
    );
}

#[test]
fn a_page_past_the_end_says_so_and_offers_page_one() {
    let server = small_server();
    browser_test(
        "a_page_past_the_end_says_so_and_offers_page_one",
        async |b| {
            b.goto(&server.url("/jobs?page=999")).await?;
            let alert = b
                .wait_for("[role='alert'] .alert", WAIT)
                .await?
                .text()
                .await?;
            ensure!(
                alert.contains("Invalid page."),
                "the server's words are shown: {alert:?}"
            );
            ensure!(alert.contains("404"));
            click(b, "[role='alert'] .alert-actions button:nth-child(2)").await?;
            b.wait_until("page 1", WAIT, async || {
                Ok(!url_query(b).await?.contains("page="))
            })
            .await?;
            wait_rows_match(b, &server, &JobsQuery::default()).await?;
            b.wait_until("the alert to clear", WAIT, async || {
                Ok(b.find(Locator::Css("[role='alert'] .alert")).await.is_err())
            })
            .await
        },
    );
}

#[test]
fn an_unreachable_api_shows_a_clear_error_with_retry() {
    // A console whose upstream Scale is down: the dev server answers 502
    // with a JSON detail.
    let server = Server::start(
        ServerOptions::default()
            .arg("--upstream")
            .arg("http://127.0.0.1:9/api/v5"),
    )
    .unwrap();
    browser_test(
        "an_unreachable_api_shows_a_clear_error_with_retry",
        async |b| {
            b.goto(&server.url("/jobs")).await?;
            let alert = b
                .wait_for("[role='alert'] .alert", WAIT)
                .await?
                .text()
                .await?;
            ensure!(alert.contains("502"), "{alert:?}");
            ensure!(!alert.contains('<'), "no raw HTML: {alert:?}");
            // The page stays usable: navigation works and retry is offered.
            b.find(Locator::Css("[role='alert'] button"))
                .await?
                .click()
                .await?;
            b.find(Locator::LinkText("Updates")).await?.click().await?;
            b.wait_until("the updates page", WAIT, async || {
                Ok(b.text("h1").await? == "Job updates")
            })
            .await
        },
    );
}

#[test]
fn a_slow_server_shows_progress_and_keeps_old_rows() {
    let server = Server::start(
        ServerOptions::default()
            .demo_jobs(200)
            .seed(5)
            .arg("--latency-ms")
            .arg("1500"),
    )
    .unwrap();
    browser_test(
        "a_slow_server_shows_progress_and_keeps_old_rows",
        async |b| {
            b.goto(&server.url("/jobs")).await?;
            b.wait_for(JOBS_ROWS, WAIT).await?;
            let before = row_ids(b, "Jobs").await?;
            click(b, "button[aria-label='Next page']").await?;
            // While the answer is on its way: old rows stay, dimmed, with a
            // progress message.
            b.wait_for_text(".progress", "taking a while", WAIT).await?;
            ensure!(
                row_ids(b, "Jobs").await? == before,
                "old rows stay visible while loading"
            );
            ensure!(
                b.find(Locator::Css(".table-wrap.stale")).await.is_ok(),
                "old rows are dimmed"
            );
            wait_rows_match(
                b,
                &server,
                &JobsQuery {
                    page: 2,
                    ..Default::default()
                },
            )
            .await?;
            b.wait_until("progress to end", WAIT, async || {
                Ok(b.find(Locator::Css(".table-wrap.stale")).await.is_err())
            })
            .await
        },
    );
}

#[test]
fn auto_refresh_picks_up_a_change_made_through_the_api() {
    let server = Server::start(
        ServerOptions::default()
            .demo_jobs(200)
            .seed(9)
            .refresh_seconds(1),
    )
    .unwrap();
    browser_test(
        "auto_refresh_picks_up_a_change_made_through_the_api",
        async |b| {
            b.goto(&server.url("/jobs?status=CANCELED")).await?;
            b.wait_for(JOBS_ROWS, WAIT).await?;
            let q = JobsQuery {
                status: vec![JobStatus::Running],
                ..Default::default()
            };
            let running = server
                .jobs(&q)?
                .results
                .first()
                .map(|j| j.id)
                .context("a running job")?;
            ensure!(!row_ids(b, "Jobs").await?.contains(&running));
            // Rows are keyed: a refresh rebuilds only what changed, so a
            // row that stays keeps its element (and a focused link in it
            // keeps the keyboard focus).
            let tag =
                "const rows = document.querySelectorAll(\"[role=table][aria-label='Jobs'] .tbody > [role=row]\");
                 rows.forEach((tr, i) => { tr.__kept = i; });
                 rows[0].querySelector('a').focus();
                 return document.activeElement === rows[0].querySelector('a');";
            ensure!(
                b.execute(tag, vec![]).await? == Value::Bool(true),
                "no focusable link"
            );
            ensure!(server.cancel(running)?.status == 200);
            b.wait_until("the canceled job to appear by itself", WAIT, async || {
                Ok(row_ids(b, "Jobs").await?.contains(&running))
            })
            .await?;
            let kept = b
                .execute(
                    "const rows = Array.from(document.querySelectorAll(\"[role=table][aria-label='Jobs'] .tbody > [role=row]\"));
                     return { first_new: rows[0].__kept === undefined,
                              kept: rows.slice(1).every(tr => tr.__kept !== undefined),
                              focus_kept: document.activeElement && document.activeElement.closest('[role=row]') === rows[1] };",
                    vec![],
                )
                .await?;
            ensure!(
                kept["first_new"] == Value::Bool(true)
                    && kept["kept"] == Value::Bool(true)
                    && kept["focus_kept"] == Value::Bool(true),
                "a refresh that adds one row at the top must keep the other rows and the focus: {kept}"
            );
            ensure!(b.text(".refresh .updated").await?.starts_with("Updated"));
            // Paused: a further change is not picked up.
            b.find(Locator::XPath(
                "//button[normalize-space(.)='Pause auto-refresh']",
            ))
            .await?
            .click()
            .await?;
            let other = server
                .jobs(&q)?
                .results
                .first()
                .map(|j| j.id)
                .context("another running job")?;
            ensure!(server.cancel(other)?.status == 200);
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
            ensure!(
                !row_ids(b, "Jobs").await?.contains(&other),
                "paused means no refresh"
            );
            b.find(Locator::XPath(
                "//button[normalize-space(.)='Resume auto-refresh']",
            ))
            .await?
            .click()
            .await?;
            b.wait_until("the second job after resuming", WAIT, async || {
                Ok(row_ids(b, "Jobs").await?.contains(&other))
            })
            .await
        },
    );
}

#[test]
fn the_executions_page_lists_latest_executions() {
    let server = small_server();
    browser_test("the_executions_page_lists_latest_executions", async |b| {
        b.goto(&server.url("/jobs")).await?;
        b.wait_for("nav.mainnav a", WAIT).await?;
        b.find(Locator::LinkText("Executions"))
            .await?
            .click()
            .await?;
        b.wait_for(
            "[role=table][aria-label='Job executions'] .tbody > [role=row]",
            WAIT,
        )
        .await?;
        ensure!(b.text("h1").await? == "Job executions");
        let headers = b
            .text("[role=table][aria-label='Job executions'] .thead")
            .await?;
        for h in ["Execution", "Node", "Exit code", "Run time"] {
            ensure!(headers.contains(h), "{h} column missing: {headers}");
        }
        let api: Value = server
            .get("/api/v5/jobs/executions/?order=-last_modified")?
            .json()?;
        let first = &api["results"][0];
        let ids = row_ids(b, "Job executions").await?;
        ensure!(ids[0] == first["id"].as_i64().unwrap());
        if let Some(host) = first["latest_job_exe"]["node"]["hostname"].as_str() {
            let row = b
                .text("[role=table][aria-label='Job executions'] .tbody > [role=row]")
                .await?;
            ensure!(row.contains(host), "node {host} not shown in {row}");
        }
        // Ten columns in a 1400 px window: ids, badges and times still
        // stay on one line each (they once broke as "196/3", "Pendin/g").
        let broken = b
            .execute(
                "const tokens = Array.from(document.querySelectorAll(\"[role=table][aria-label='Job executions'] .tbody :is([role=cell]:first-child a, .badge, [data-datetime])\"));
                 return [tokens.length, tokens
                   .filter(e => e.getClientRects().length !== 1 || e.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(e).fontSize))
                   .map(e => e.textContent.trim())];",
                vec![],
            )
            .await?;
        // Ids, badges and times of every row: a selector that matched
        // nothing would pass the check below unseen.
        let rows = ids.len() as u64;
        ensure!(
            broken[0].as_u64().is_some_and(|n| n >= 3 * rows),
            "too few ids, badges and times found: {broken}"
        );
        ensure!(
            broken[1].as_array().is_some_and(Vec::is_empty),
            "wrapped onto several lines: {}",
            broken[1]
        );
        b.assert_accessible().await
    });
}

#[test]
fn the_updates_page_lists_status_changes_with_input_files() {
    let server = small_server();
    browser_test(
        "the_updates_page_lists_status_changes_with_input_files",
        async |b| {
            b.goto(&server.url("/jobs/updates")).await?;
            b.wait_for(
                "[role=table][aria-label='Job updates'] .tbody > [role=row]",
                WAIT,
            )
            .await?;
            ensure!(
                aria_sort(b, "Status changed").await? == "descending",
                "newest changes first"
            );
            let api: Value = server
                .get("/api/v5/jobs/updates/?order=-last_status_change")?
                .json()?;
            let expected: Vec<i64> = api["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_i64().unwrap())
                .collect();
            b.wait_until("rows to match the API", WAIT, async || {
                Ok(row_ids(b, "Job updates").await? == expected)
            })
            .await?;
            // Some row with input files shows a file name from the API.
            let named = api["results"].as_array().unwrap().iter().find_map(|r| {
                r["input_files"][0]["file_name"]
                    .as_str()
                    .map(str::to_string)
            });
            if let Some(name) = named {
                let table = b
                    .text("[role=table][aria-label='Job updates'] .tbody")
                    .await?;
                ensure!(table.contains(&name), "input file {name} not shown");
            }
            // No error-category filter here: the endpoint ignores it.
            ensure!(b
                .find(Locator::XPath(
                    "//legend[normalize-space(.)='Error category']"
                ))
                .await
                .is_err());
            b.assert_accessible().await
        },
    );
}

#[test]
fn the_time_zone_toggle_switches_exact_times() {
    let server = small_server();
    browser_test("the_time_zone_toggle_switches_exact_times", async |b| {
        b.goto(&server.url("/jobs")).await?;
        let t = b
            .wait_for(
                "[role=table][aria-label='Jobs'] .tbody [data-datetime]",
                WAIT,
            )
            .await?;
        let utc = t.attr("title").await?.unwrap_or_default();
        ensure!(utc.ends_with("UTC"), "{utc}");
        let rel = t.text().await?;
        ensure!(rel.ends_with("ago") || rel == "just now", "{rel}");
        click(b, "button.tz-toggle").await?;
        b.wait_until("local times", WAIT, async || {
            let t = b
                .find(Locator::Css(
                    "[role=table][aria-label='Jobs'] .tbody [data-datetime]",
                ))
                .await?;
            Ok(!t.attr("title").await?.unwrap_or_default().ends_with("UTC"))
        })
        .await
    });
}

/// The job type and category filters suggest what the rows shown hold:
/// the page learns them once its rows are painted (from the rows then
/// shown), so that work stays out of the rows' way.
#[test]
fn the_filters_suggest_the_job_types_of_the_rows_shown() {
    let server = small_server();
    browser_test(
        "the_filters_suggest_the_job_types_of_the_rows_shown",
        async |b| {
            b.goto(&server.url("/jobs?page_size=50")).await?;
            b.wait_for(JOBS_ROWS, WAIT).await?;
            let api: Value = server
                .get("/api/v5/jobs/?page_size=50&order=-last_modified")?
                .json()?;
            let want = |field: &str| {
                let mut v: Vec<String> = api["results"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|j| j["job_type"][field].as_str().map(String::from))
                    .collect();
                v.sort();
                v.dedup();
                v
            };
            let (names, categories) = (want("name"), want("category"));
            ensure!(!names.is_empty() && !categories.is_empty(), "{api}");
            let options = async |id: &str| -> Result<Vec<String>> {
                let v = b
                    .execute(
                        "return Array.from(document.querySelectorAll(`#${arguments[0]} option`)).map(o => o.value);",
                        vec![Value::from(id)],
                    )
                    .await?;
                Ok(serde_json::from_value(v)?)
            };
            b.wait_until("the job types suggested", WAIT, async || {
                Ok(options("seen-job-types").await? == names
                    && options("seen-categories").await? == categories)
            })
            .await
        },
    );
}

/// Rows copied from a list paste into a spreadsheet as rows: one line a
/// row, its cells separated by tabs, a status as its word (a badge's
/// parts once came out on lines of their own, and its icon with them).
#[test]
fn copied_rows_are_one_line_each_with_tab_separated_cells() {
    let server = small_server();
    browser_test(
        "copied_rows_are_one_line_each_with_tab_separated_cells",
        async |b| {
            b.goto(&server.url("/jobs?page_size=25")).await?;
            b.wait_for(JOBS_ROWS, WAIT).await?;
            let copied = b
                .execute(
                    "const rows = document.querySelectorAll(\"[role=table][aria-label='Jobs'] .tbody > [role=row]\");
                     const r = document.createRange();
                     r.setStartBefore(rows[0]); r.setEndAfter(rows[2]);
                     const s = getSelection(); s.removeAllRanges(); s.addRange(r);
                     const t = s.toString(); s.removeAllRanges();
                     return [t, Array.from(rows).slice(0, 3).map(row => [
                       row.children[0].textContent.trim(),
                       row.querySelector('.badge-text').textContent.trim()]),
                       document.querySelectorAll(\"[role=table][aria-label='Jobs'] [role=columnheader]\").length];",
                    vec![],
                )
                .await?;
            let text = copied[0].as_str().unwrap_or_default();
            let want: Vec<(String, String)> = serde_json::from_value(copied[1].clone())?;
            let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
            ensure!(
                lines.len() == 3,
                "three rows copied as {} lines: {text:?}",
                lines.len()
            );
            let columns = copied[2].as_u64().unwrap_or_default() as usize;
            ensure!(columns > 2, "{columns} column headers");
            for (line, (id, status)) in lines.iter().zip(&want) {
                let cells: Vec<&str> = line.split('\t').collect();
                ensure!(cells.len() == columns, "{} cells in {line:?}", cells.len());
                ensure!(
                    cells[0].trim() == id && cells[2].trim() == status,
                    "{line:?}"
                );
            }
            Ok(())
        },
    );
}
