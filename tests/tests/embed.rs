//! Embedded widgets in a portal page served from another origin than the
//! console: custom elements, the imperative API and the iframe route, all
//! against the real development server in headless Chromium.

use anyhow::{ensure, Context, Result};
use scale_jobs_e2e::{browser_test, repo_root, Browser, Server, ServerOptions, WAIT};
use scale_jobs_shared::{JobStatus, JobsQuery, SortOrder};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpListener;

/// A second origin: a bare HTTP server that answers every request with the
/// example portal page, pointed at `console`.
struct Portal {
    url: String,
}

impl Portal {
    fn start(listener: TcpListener, console: &str) -> Portal {
        let port = listener.local_addr().unwrap().port();
        let html = std::fs::read_to_string(repo_root().join("examples/portal.html"))
            .unwrap()
            .replace("http://127.0.0.1:8080", console);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                    html.len()
                );
                let _ = s.write_all(resp.as_bytes());
            }
        });
        Portal {
            url: format!("http://127.0.0.1:{port}/"),
        }
    }
}

/// A console that allows the portal's origin, and the portal.
fn setup() -> (Server, Portal) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let console = Server::start(
        ServerOptions::default()
            .demo_jobs(300)
            .seed(4)
            .arg("--cors-origin")
            .arg(origin.clone())
            .arg("--frame-ancestors")
            .arg(format!("'self' {origin}")),
    )
    .unwrap();
    let portal = Portal::start(listener, console.base_url());
    (console, portal)
}

/// Runs `script` with `root` bound to the shadow root of the element
/// matched by `host`.
async fn in_shadow(b: &Browser, host: &str, script: &str) -> Result<Value> {
    let js = format!(
        "const h = document.querySelector(arguments[0]); if (!h || !h.shadowRoot) return null; const root = h.shadowRoot; {script}"
    );
    Ok(b.execute(&js, vec![Value::from(host)]).await?)
}

async fn shadow_ids(b: &Browser, host: &str) -> Result<Vec<i64>> {
    let v = in_shadow(b, host, "return Array.from(root.querySelectorAll('tbody tr td:first-child')).map(td => Number(td.textContent.trim()));").await?;
    Ok(serde_json::from_value(v).unwrap_or_default())
}

fn api_ids(console: &Server, q: &JobsQuery) -> Result<Vec<i64>> {
    Ok(console.jobs(q)?.results.iter().map(|j| j.id).collect())
}

fn running_query() -> JobsQuery {
    JobsQuery {
        status: vec![JobStatus::Running],
        order: vec![SortOrder::desc("last_modified")],
        page_size: 10,
        ..Default::default()
    }
}

/// What the iframe route of the example portal asks for
/// (`/embed/jobs?status=FAILED&page_size=5`), in the API's default order.
fn frame_query() -> JobsQuery {
    JobsQuery {
        status: vec![JobStatus::Failed],
        page_size: 5,
        order: vec![SortOrder::desc("last_modified")],
        ..Default::default()
    }
}

/// In an iframe route's document: its rows become `ids`, and none of the
/// console's chrome is there.
async fn ensure_frame_rows(b: &Browser, ids: &[i64]) -> Result<()> {
    b.wait_until("the frame's rows", WAIT, async || {
        let v = b.execute("return Array.from(document.querySelectorAll('tbody tr td:first-child')).map(td => Number(td.textContent.trim()));", vec![]).await?;
        Ok(serde_json::from_value::<Vec<i64>>(v).unwrap_or_default() == ids)
    })
    .await?;
    let nav = b
        .execute(
            "return document.querySelectorAll('header, nav.mainnav').length;",
            vec![],
        )
        .await?;
    ensure!(nav == 0, "the console's chrome in an iframe route");
    Ok(())
}

/// The wasm the current document loaded is the widgets' bundle
/// (`scale-jobs-embed-*`), and it did not load the console's.
async fn ensure_widget_bundle_only(b: &Browser, page: &str) -> Result<()> {
    let v = b
        .execute(
            "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.endsWith('.wasm'));",
            vec![],
        )
        .await?;
    let wasm: Vec<String> = serde_json::from_value(v)?;
    ensure!(
        wasm.len() == 1 && wasm[0].contains("/scale-jobs-embed-"),
        "{page} loaded {wasm:?}, not just the widgets' bundle"
    );
    Ok(())
}

#[test]
fn every_widget_renders_real_data_in_a_portal_on_another_origin() {
    let (console, portal) = setup();
    browser_test(
        "every_widget_renders_real_data_in_a_portal_on_another_origin",
        async |b| {
            b.goto(&portal.url).await?;
            // The table: the API's rows for its query attribute.
            let expected = api_ids(&console, &running_query())?;
            ensure!(!expected.is_empty());
            b.wait_until("the table widget's rows", WAIT, async || {
                Ok(shadow_ids(b, "#table").await? == expected)
            })
            .await?;
            // Portal CSS (`table { display: none }`) does not reach inside.
            let display = in_shadow(
                b,
                "#table",
                "return getComputedStyle(root.querySelector('table')).display;",
            )
            .await?;
            ensure!(display == "table", "widget table display: {display}");
            // The portal loads the widgets' own bundle, not the console's.
            ensure_widget_bundle_only(b, "the portal page").await?;
            // Job ids link to the console.
            let href = in_shadow(
                b,
                "#table",
                "return root.querySelector('tbody a').getAttribute('href');",
            )
            .await?;
            ensure!(
                href == format!("{}/jobs/{}", console.base_url(), expected[0]),
                "{href}"
            );

            // The counts: one per status, equal to the API's counts.
            b.wait_until("the counts", WAIT, async || {
                Ok(
                    in_shadow(b, "#counts", "return root.querySelectorAll('li').length;").await?
                        == 7,
                )
            })
            .await?;
            let shown: Vec<String> = serde_json::from_value(
            in_shadow(b, "#counts", "return Array.from(root.querySelectorAll('li .n')).map(n => n.textContent.replace(/,/g, ''));").await?,
        )?;
            for (i, s) in JobStatus::ALL.iter().enumerate() {
                let q = JobsQuery {
                    status: vec![s.clone()],
                    page_size: 1,
                    ..Default::default()
                };
                ensure!(
                    shown[i] == console.jobs(&q)?.count.to_string(),
                    "{s}: {} shown",
                    shown[i]
                );
            }
            let link = in_shadow(
                b,
                "#counts",
                "return root.querySelector('li a').getAttribute('href');",
            )
            .await?;
            ensure!(
                link == format!("{}/jobs?status=PENDING", console.base_url()),
                "{link}"
            );

            // The status of job 1.
            let job = console.job(1)?;
            let label = job
                .job
                .status
                .as_ref()
                .map(|s| s.label().to_string())
                .context("status")?;
            b.wait_until("the job status widget", WAIT, async || {
                Ok(in_shadow(b, "#status", "return root.textContent;")
                    .await?
                    .as_str()
                    .is_some_and(|t| t.contains(&label) && t.contains("Job 1")))
            })
            .await?;

            // The imperative mount.
            b.wait_until("the imperative counts", WAIT, async || {
                Ok(in_shadow(
                    b,
                    "#imperative",
                    "return root.querySelectorAll('li').length;",
                )
                .await?
                    == 7)
            })
            .await?;

            // The iframe: failed jobs, its height posted to the portal.
            let failed = api_ids(&console, &frame_query())?;
            b.wait_until("the frame to size itself", WAIT, async || {
                let h = b
                    .execute(
                        "return document.getElementById('frame').style.height;",
                        vec![],
                    )
                    .await?;
                Ok(h.as_str().is_some_and(|h| h.ends_with("px") && h != "0px"))
            })
            .await?;
            let frame = b.find(fantoccini::Locator::Id("frame")).await?;
            frame.enter_frame().await?;
            ensure_frame_rows(b, &failed).await?;
            // The frame's page runs the widgets' bundle, not the console's.
            ensure_widget_bundle_only(b, "the iframe").await?;
            b.enter_parent_frame().await?;
            Ok(())
        },
    );
}

#[test]
fn an_attribute_change_updates_the_widget_and_removal_stops_its_requests() {
    let (console, portal) = setup();
    browser_test(
        "an_attribute_change_updates_the_widget_and_removal_stops_its_requests",
        async |b| {
            b.goto(&portal.url).await?;
            let expected = api_ids(&console, &running_query())?;
            b.wait_until("the table widget's rows", WAIT, async || {
                Ok(shadow_ids(b, "#table").await? == expected)
            })
            .await?;
            // Paging and sorting inside the widget.
            let next = in_shadow(b, "#table", "const n = root.querySelector('button[aria-label=\"Next page\"]'); n.click(); return n.textContent;").await?;
            ensure!(next == "›", "next button text: {next}");
            let page2 = api_ids(
                &console,
                &JobsQuery {
                    page: 2,
                    ..running_query()
                },
            )?;
            b.wait_until("page 2 in the widget", WAIT, async || {
                Ok(shadow_ids(b, "#table").await? == page2)
            })
            .await?;
            in_shadow(b, "#table", "Array.from(root.querySelectorAll('thead button.sort')).find(x => x.textContent.startsWith('ID')).click(); return true;").await?;
            let by_id = api_ids(
                &console,
                &JobsQuery {
                    order: vec![SortOrder::asc("id")],
                    ..running_query()
                },
            )?;
            b.wait_until("sorted by id, back on page 1", WAIT, async || {
                Ok(shadow_ids(b, "#table").await? == by_id)
            })
            .await?;
            b.execute("document.getElementById('table').setAttribute('query', 'status=FAILED&order=-last_modified&page_size=10');", vec![]).await?;
            let failed = api_ids(
                &console,
                &JobsQuery {
                    status: vec![JobStatus::Failed],
                    ..running_query()
                },
            )?;
            b.wait_until("the failed jobs", WAIT, async || {
                Ok(shadow_ids(b, "#table").await? == failed)
            })
            .await?;

            // Refreshing every second...
            b.execute(
                "document.getElementById('table').setAttribute('refresh-seconds', '1');",
                vec![],
            )
            .await?;
            let count = || {
                console
                    .log()
                    .lines()
                    .filter(|l| l.contains("GET /api/v5/jobs/") && l.contains("status=FAILED"))
                    .count()
            };
            let before = count();
            tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
            ensure!(count() > before, "the widget refreshes while on the page");
            // ...until the element is removed.
            b.execute("document.getElementById('table').remove();", vec![])
                .await?;
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let after_removal = count();
            tokio::time::sleep(std::time::Duration::from_millis(3000)).await;
            ensure!(
                count() == after_removal,
                "no requests after removal ({} -> {})",
                after_removal,
                count()
            );
            Ok(())
        },
    );
}

#[test]
fn bad_attributes_and_an_unreachable_api_show_a_message_inside_the_widget() {
    let (console, portal) = setup();
    browser_test(
        "bad_attributes_and_an_unreachable_api_show_a_message_inside_the_widget",
        async |b| {
            b.goto(&portal.url).await?;
            b.execute(
            "window.__errors = []; addEventListener('error', e => window.__errors.push(String(e.message)));
             addEventListener('unhandledrejection', e => window.__errors.push(String(e.reason)));
             const a = document.createElement('scale-job-status'); a.id = 'bad'; a.setAttribute('job-id', 'abc');
             a.setAttribute('api-base', arguments[0]); document.body.appendChild(a);
             const c = document.createElement('scale-jobs-table'); c.id = 'down'; c.setAttribute('api-base', 'http://127.0.0.1:9/api/v5');
             document.body.appendChild(c);",
            vec![Value::from(console.api_base())],
        )
        .await?;
            b.wait_until("the bad-attribute message", WAIT, async || {
                Ok(in_shadow(b, "#bad", "return root.textContent;")
                    .await?
                    .as_str()
                    .is_some_and(|t| t.contains("not a job id")))
            })
            .await?;
            b.wait_until("the unreachable-API message", WAIT, async || {
                Ok(in_shadow(
                    b,
                    "#down",
                    "const a = root.querySelector('[role=alert]'); return a ? a.textContent : '';",
                )
                .await?
                .as_str()
                .is_some_and(|t| t.contains("Could not reach")))
            })
            .await?;
            let errors = b.execute("return window.__errors;", vec![]).await?;
            ensure!(
                errors.as_array().is_some_and(Vec::is_empty),
                "the host page saw errors: {errors}"
            );
            // The portal's own content is intact.
            ensure!(b.text("h1").await? == "Mission portal");
            Ok(())
        },
    );
}

/// Copies the bundle without its `embed/` page, as a static host with a
/// plain "every unknown path gets index.html" rule would serve it.
fn bundle_without_embed_page() -> Result<std::path::PathBuf> {
    fn copy(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                std::fs::copy(entry.path(), to.join(entry.file_name()))?;
            }
        }
        Ok(())
    }
    let to = std::env::temp_dir().join(format!("scale-jobs-e2e-no-embed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&to);
    copy(&scale_jobs_e2e::dist_dir(), &to).context("copying the bundle")?;
    Ok(to)
}

#[test]
fn an_iframe_route_works_from_a_host_that_answers_it_with_index_html() {
    // Without embed/index.html the server answers /embed/jobs with the
    // console's page; boot.js must start the widgets' bundle there.
    let dist = bundle_without_embed_page().unwrap();
    let console =
        Server::start(ServerOptions::default().demo_jobs(120).seed(9).dist(&dist)).unwrap();
    let failed = api_ids(&console, &frame_query()).unwrap();
    browser_test(
        "an_iframe_route_works_from_a_host_that_answers_it_with_index_html",
        async |b| {
            b.goto(&console.url("/embed/jobs?status=FAILED&page_size=5"))
                .await?;
            ensure!(!failed.is_empty(), "no failed jobs: a weak test");
            ensure_frame_rows(b, &failed).await
        },
    );
    let _ = std::fs::remove_dir_all(&dist);
}

#[test]
fn an_iframe_route_whose_bundle_cannot_load_says_so() {
    // The bundle without the widgets' wasm (a deploy that lost it, a proxy
    // that blocks .wasm): the framed page shows why instead of nothing.
    fn copy(from: &std::path::Path, to: &std::path::Path, left_out: &mut u32) -> Result<()> {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_dir() {
                copy(&entry.path(), &to.join(&name), left_out)?;
            } else if name.starts_with("scale-jobs-embed-") && name.contains("_bg.wasm") {
                *left_out += 1;
            } else {
                std::fs::copy(entry.path(), to.join(&name))?;
            }
        }
        Ok(())
    }
    let dir = tempfile::tempdir().unwrap();
    let mut left_out = 0;
    copy(&scale_jobs_e2e::dist_dir(), dir.path(), &mut left_out).unwrap();
    assert!(left_out > 0, "the bundle has no widgets' wasm to leave out");
    let console = Server::start(ServerOptions::default().dist(dir.path())).unwrap();
    browser_test(
        "an_iframe_route_whose_bundle_cannot_load_says_so",
        async |b| {
            b.goto(&console.url("/embed/jobs?page_size=5")).await?;
            b.wait_for_text("p[role=alert]", "could not be loaded", WAIT)
                .await?;
            Ok(())
        },
    );
}
