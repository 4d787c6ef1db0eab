//! Hostile data, end to end: every string the API returns is a payload —
//! `<script>`, `<img onerror>`, attribute breakers, `</table>`, unicode
//! bidi controls, 5000-character unbroken strings — and file `url`s are
//! `javascript:`, `data:`, `vbscript:` and protocol-relative. Served by
//! [`HostileServer`] to the list pages, the detail page (and its cancel
//! dialog), the iframe routes and the custom elements of `embed.js`.
//!
//! Asserted everywhere: no script ran (`window.__xss` unset, no alert
//! dialog), no injected element or inline handler exists (in the document
//! and in every widget's shadow root), every link is http(s) or a
//! same-origin path, the layout stays usable (nothing absurdly wide) and
//! the full long text is still in the page.

use anyhow::{ensure, Context, Result};
use fantoccini::Locator;
use scale_jobs_e2e::hostile::{
    alert_text, assert_layout_usable, assert_not_crashed, data, HostileServer, Reply, Request,
    Scenarios,
};
use scale_jobs_e2e::{browser_test, Browser, WAIT};
use serde_json::{json, Map, Value};

/// An unbroken 5000-character string.
fn long_string() -> String {
    format!("L{}", "W".repeat(4999))
}

/// The payloads, one per rotation step. Each field of the k-th poisoned
/// object gets `payloads()[(k + field index) % len]`, so across k every
/// field carries every payload.
fn payloads() -> Vec<String> {
    vec![
        "<script>window.__xss=1</script>".into(),
        "<img src=x onerror=\"window.__xss=1\">".into(),
        "\"><svg onload=window.__xss=1>".into(),
        "'><img src=x onerror=window.__xss=1>".into(),
        "</td></tr></tbody></table><img src=x onerror=\"window.__xss=1\">".into(),
        // The lists' rows are divs (see app/src/logic/rows.rs).
        "</span></div></div></div><img src=x onerror=\"window.__xss=1\">".into(),
        "\u{202E}exe.txt <b>bidi</b>".into(),
        long_string(),
        "javascript:window.__xss=1".into(),
        "<iframe src=\"javascript:window.__xss=1\"></iframe>".into(),
    ]
}

/// File URLs that must never become links, and one that may.
fn url_payloads() -> Vec<&'static str> {
    vec![
        "javascript:window.__xss=1",
        "JaVaScRiPt:window.__xss=1",
        " javascript:window.__xss=1",
        "java\tscript:window.__xss=1",
        "data:text/html,<script>window.__xss=1</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/\\evil.example/x",
        "https://data.example.com/fine.tif",
    ]
}

fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 11 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' && b[10] == b'T'
}

/// `value` with every string replaced by a payload (rotating from `k`),
/// every `url` by a URL payload; timestamps and input/output kinds kept,
/// and `status` kept when `keep_status`.
fn poison(value: &Value, k: usize, keep_status: bool) -> Value {
    let p = payloads();
    let urls = url_payloads();
    let mut n = k;
    let mut u = k;
    fn walk(
        v: &Value,
        key: &str,
        p: &[String],
        urls: &[&str],
        n: &mut usize,
        u: &mut usize,
        keep_status: bool,
    ) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), walk(v, k, p, urls, n, u, keep_status)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(
                a.iter()
                    .map(|v| walk(v, key, p, urls, n, u, keep_status))
                    .collect(),
            ),
            Value::String(s) => {
                let keep = is_timestamp(s)
                    || (key == "type" && matches!(s.as_str(), "file" | "files" | "property"))
                    || (key == "status" && keep_status);
                if keep {
                    v.clone()
                } else if key == "url" {
                    *u += 1;
                    Value::String(urls[*u % urls.len()].to_string())
                } else {
                    *n += 1;
                    Value::String(p[*n % p.len()].clone())
                }
            }
            other => other.clone(),
        }
    }
    walk(value, "", &p, &urls, &mut n, &mut u, keep_status)
}

/// A JSON object whose keys and values are payloads.
fn poisoned_object(k: usize) -> Value {
    let p = payloads();
    let mut m = Map::new();
    for i in 0..p.len() {
        m.insert(
            p[(k + i) % p.len()].clone(),
            json!([p[(k + i + 1) % p.len()], {"nested": p[(k + i + 2) % p.len()]}]),
        );
    }
    Value::Object(m)
}

/// Two jobs per rotation step: a FAILED one (so its error is shown) and
/// one whose status is a payload too.
fn poisoned_page() -> Value {
    let mut jobs = Vec::new();
    for k in 0..payloads().len() {
        jobs.push(poison(&data::job(2 * k as i64 + 1, "FAILED"), k, true));
        jobs.push(poison(&data::job(2 * k as i64 + 2, "RUNNING"), k, false));
    }
    let n = jobs.len() as u64;
    data::page(jobs, n)
}

/// A job's details, poisoned from rotation step `k`, with more files so
/// every URL payload appears, and poisoned `data` and `results`.
fn poisoned_details(id: i64, k: usize) -> Value {
    let mut d = data::details(id, "FAILED");
    let files: Vec<Value> = (0..url_payloads().len())
        .map(|i| data::file(10 + i as i64, &format!("band-{i}.tif")))
        .collect();
    d["inputs"][1]["value"] = Value::Array(files);
    let mut d = poison(&d, k, true);
    d["data"] = poisoned_object(k);
    d["results"] = poisoned_object(k + 1);
    d
}

/// Answers lists with the poisoned page and any job with its poisoned
/// details (rotation step = id - 1); a PATCH answers the poisoned job with
/// a poisoned status.
fn poisoned_api(r: &Request) -> Reply {
    if let Some(id) = r.job_id() {
        let k = (id.max(1) - 1) as usize;
        let mut d = poisoned_details(id, k);
        if r.method == "PATCH" {
            d["status"] = json!(payloads()[k % payloads().len()]);
        }
        return Reply::json(200, &d);
    }
    if r.list().is_some() {
        return Reply::json(200, &poisoned_page());
    }
    Reply::json(404, &json!({"detail": "<script>window.__xss=1</script>"}))
}

/// No script ran, nothing was injected, no unsafe link, no crash: what
/// the XSS tests assert about the page the browser is on. (The layout is
/// checked and reported apart, by `assert_layout_usable`.)
async fn assert_safe(b: &Browser) -> Result<()> {
    if let Ok(text) = b.get_alert_text().await {
        anyhow::bail!("an alert dialog is open: {text:?}");
    }
    let v = b
        .execute(
            r#"
            const roots = [];
            const collect = (root) => {
              roots.push(root);
              root.querySelectorAll('*').forEach(e => { if (e.shadowRoot) collect(e.shadowRoot); });
            };
            collect(document);
            const bad = [];
            const okHref = h => /^https?:\/\/[^\/\\\s]/i.test(h) || /^\/(?![\/\\])/.test(h) || /^[?#]/.test(h);
            for (const r of roots) {
              r.querySelectorAll('img[src="x"], svg[onload], script:not([src]), iframe, object, embed')
                .forEach(e => bad.push('element ' + e.outerHTML.slice(0, 150)));
              r.querySelectorAll('*').forEach(e => {
                for (const a of e.attributes) {
                  if (a.name.toLowerCase().startsWith('on')) bad.push('handler ' + a.name + ' on <' + e.tagName.toLowerCase() + '>');
                }
              });
              r.querySelectorAll('a[href], area[href]').forEach(a => {
                const h = a.getAttribute('href');
                if (!okHref(h)) bad.push('href ' + JSON.stringify(h));
              });
              r.querySelectorAll('[src], [action], [formaction]').forEach(e => {
                for (const n of ['src', 'action', 'formaction']) {
                  const s = e.getAttribute(n);
                  if (s && /^\s*(javascript|vbscript|data):/i.test(s)) bad.push(n + ' ' + JSON.stringify(s));
                }
              });
            }
            return {
              xss: typeof window.__xss === 'undefined' ? null : String(window.__xss),
              bad,
            };
            "#,
            vec![],
        )
        .await?;
    ensure!(
        v["xss"].is_null(),
        "a payload script ran: window.__xss = {}",
        v["xss"]
    );
    let bad = v["bad"].as_array().cloned().unwrap_or_default();
    ensure!(bad.is_empty(), "injected markup or unsafe links: {bad:?}");
    assert_not_crashed(b).await
}

/// The 5000-character string is in the page (text or a title attribute),
/// in the document or any shadow root.
async fn assert_long_text_kept(b: &Browser) -> Result<()> {
    let v = b
        .execute(
            "const t = arguments[0]; const roots = [];
             const collect = (root) => { roots.push(root); root.querySelectorAll('*').forEach(e => { if (e.shadowRoot) collect(e.shadowRoot); }); };
             collect(document);
             return roots.some(r => (r === document ? document.body : r).textContent.includes(t)
                 || Array.from(r.querySelectorAll('[title]')).some(e => e.getAttribute('title').includes(t)));",
            vec![Value::from(long_string())],
        )
        .await?;
    ensure!(
        v == Value::Bool(true),
        "the long text is nowhere in the page"
    );
    Ok(())
}

#[test]
fn the_list_pages_show_hostile_strings_as_text() {
    let server = HostileServer::start(poisoned_api).unwrap();
    browser_test("the_list_pages_show_hostile_strings_as_text", async |b| {
        let mut s = Scenarios::new("xss lists");
        let rows = payloads().len() * 2;
        let mut layout = None;
        for path in ["/jobs", "/jobs/executions", "/jobs/updates"] {
            let r = async {
                b.goto(&server.url(path)).await?;
                b.wait_until("every poisoned row", WAIT, async || {
                    Ok(b.find_all(Locator::Css(".jobs > .tbody > [role=row]")).await?.len() == rows)
                })
                .await?;
                assert_safe(b).await?;
                assert_long_text_kept(b).await?;
                layout = Some(assert_layout_usable(b).await);
                // The payloads are shown, as text.
                let text = b.text(".jobs > .tbody").await?;
                ensure!(
                    text.contains("<script>window.__xss=1</script>"),
                    "the script payload is shown as text"
                );
                // The job type filter's suggestions came from the data too.
                b.execute(
                    "document.querySelectorAll('form.filters input').forEach(i => { i.focus(); i.blur(); });",
                    vec![],
                )
                .await?;
                assert_safe(b).await
            }
            .await;
            s.record(&format!("poisoned rows on {path}"), r);
            if let Some(l) = layout.take() {
                s.record(&format!("layout with long strings on {path}"), l);
            }
        }

        // Payloads in the address (a crafted link) reach the filter chips,
        // the sort state and the notice about parts not understood.
        let r = async {
            let evil = "%3Cimg%20src%3Dx%20onerror%3D%22window.__xss%3D1%22%3E";
            b.goto(&server.url(&format!(
                "/jobs?job_type_name={evil}&job_type_category=%22%3E%3Csvg%20onload%3Dwindow.__xss%3D1%3E&order={evil}&status={evil}&started={evil}&page={evil}"
            )))
            .await?;
            b.wait_for(".jobs > .tbody > [role=row]", WAIT).await?;
            assert_safe(b).await
        }
        .await;
        s.record("payloads in the page address", r);

        // An error whose detail is a payload, and an HTML page whose title
        // is an entity-encoded payload.
        for (name, reply) in [
            (
                "a JSON error detail",
                Reply::json(400, &json!({"detail": "<img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>"})),
            ),
            (
                "an HTML error title",
                Reply::html(
                    500,
                    "<html><head><title>&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;</title></head><body><script>window.__xss=3</script></body></html>",
                ),
            ),
        ] {
            let r = async {
                let reply = reply.clone();
                server.set_api(move |r: &Request| if r.list().is_some() { reply.clone() } else { poisoned_api(r) });
                b.goto(&server.url("/jobs")).await?;
                alert_text(b).await?;
                assert_safe(b).await
            }
            .await;
            server.set_api(poisoned_api);
            s.record(&format!("a payload in {name}"), r);
        }
        s.finish()
    });
}

#[test]
fn the_detail_page_shows_hostile_strings_as_text_and_no_unsafe_link() {
    let server = HostileServer::start(poisoned_api).unwrap();
    browser_test(
        "the_detail_page_shows_hostile_strings_as_text_and_no_unsafe_link",
        async |b| {
            let mut s = Scenarios::new("xss detail");
            let mut layout = None;
            for k in 0..payloads().len() {
                let id = k as i64 + 1;
                let r = async {
                    b.goto(&server.url(&format!("/jobs/{id}"))).await?;
                    b.wait_for("#overview-h", WAIT)
                        .await
                        .context("the job's sections")?;
                    // Open every collapsible block so its content renders.
                    b.execute("document.querySelectorAll('details').forEach(d => d.open = true);", vec![])
                        .await?;
                    assert_safe(b).await?;
                    assert_long_text_kept(b).await?;
                    layout = Some(assert_layout_usable(b).await);
                    // The payloads are shown, as text.
                    let text = b.text("main").await?;
                    for p in ["<script>window.__xss=1</script>", "<img src=x onerror=\"window.__xss=1\">"] {
                        ensure!(text.contains(p), "{p:?} is not shown as text");
                    }
                    // The one safe file URL is a link; the others are not.
                    let links = b
                        .execute(
                            "return Array.from(document.querySelectorAll('a.fname')).map(a => a.getAttribute('href'));",
                            vec![],
                        )
                        .await?;
                    let links: Vec<String> = serde_json::from_value(links)?;
                    ensure!(
                        links.iter().all(|l| l == "https://data.example.com/fine.tif"),
                        "file links: {links:?}"
                    );
                    ensure!(!links.is_empty(), "the safe https file URL is a link");
                    Ok(())
                }
                .await;
                s.record(&format!("poisoned job {id} (rotation {k})"), r);
                if let Some(l) = layout.take() {
                    s.record(&format!("layout with long strings on /jobs/{id}"), l);
                }
            }

            // The cancel dialog names the (poisoned) type, and the answer
            // to the cancel carries a payload status.
            for id in [1i64, 2, 3, 6] {
                let r = async {
                    b.goto(&server.url(&format!("/jobs/{id}"))).await?;
                    b.wait_for("#overview-h", WAIT).await?;
                    b.find(Locator::XPath("//button[normalize-space(.)='Cancel job']"))
                        .await?
                        .click()
                        .await?;
                    b.wait_for("dialog[open]", WAIT).await?;
                    assert_safe(b).await?;
                    b.find(Locator::XPath("//button[normalize-space(.)='Confirm cancel']"))
                        .await?
                        .click()
                        .await?;
                    let mut msg = String::new();
                    b.wait_until("the cancel outcome", WAIT, async || {
                        let v = b
                            .execute(
                                "const a = document.querySelector('section.job-page > .alert'); return a ? a.innerText : '';",
                                vec![],
                            )
                            .await?;
                        msg = v.as_str().unwrap_or("").to_string();
                        Ok(!msg.is_empty())
                    })
                    .await?;
                    ensure!(msg.contains("not canceled"), "{msg:?}");
                    assert_safe(b).await
                }
                .await;
                s.record(
                    &format!("cancel dialog and answer for poisoned job {id}"),
                    r,
                );
            }
            s.finish()
        },
    );
}

/// A portal page on the hostile server itself with the three custom
/// elements.
const PORTAL: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Portal</title>
<script type="module" src="/embed.js"></script></head>
<body>
<h1>Portal</h1>
<scale-jobs-table id="table" api-base="/api/v5" link-base="/jobs/" query="page_size=50"></scale-jobs-table>
<scale-job-status id="status1" job-id="1" api-base="/api/v5" link-base="/jobs/"></scale-job-status>
<scale-job-status id="status2" job-id="2" api-base="/api/v5" link-base="/jobs/"></scale-job-status>
<scale-job-status id="status6" job-id="6" api-base="/api/v5" link-base="/jobs/"></scale-job-status>
<scale-job-status id="status7" job-id="7" api-base="/api/v5" link-base="/jobs/"></scale-job-status>
<scale-job-counts id="counts" api-base="/api/v5" link-base="/jobs"></scale-job-counts>
</body></html>"#;

#[test]
fn the_widgets_show_hostile_strings_as_text() {
    let server = HostileServer::start(poisoned_api).unwrap();
    server.add_page("/portal.html", PORTAL);
    browser_test("the_widgets_show_hostile_strings_as_text", async |b| {
        let mut s = Scenarios::new("xss widgets");
        let rows = payloads().len() * 2;
        let mut layout = None;

        let r = async {
            b.goto(&server.url("/embed/jobs?page_size=50")).await?;
            b.wait_until("every poisoned row in the frame route", WAIT, async || {
                Ok(b.find_all(Locator::Css("tbody tr")).await?.len() == rows)
            })
            .await?;
            assert_safe(b).await?;
            assert_long_text_kept(b).await?;
            layout = Some(assert_layout_usable(b).await);
            let text = b.text("tbody").await?;
            ensure!(
                text.contains("<script>window.__xss=1</script>"),
                "the script payload is shown as text"
            );
            Ok(())
        }
        .await;
        s.record("the iframe route /embed/jobs", r);
        if let Some(l) = layout.take() {
            s.record("layout with long strings on /embed/jobs", l);
        }

        for k in 0..payloads().len() {
            let id = k as i64 + 1;
            let r = async {
                b.goto(&server.url(&format!("/embed/jobs/{id}"))).await?;
                b.wait_for_text(".status-card", &format!("Job {id}"), WAIT)
                    .await?;
                assert_safe(b).await?;
                layout = Some(assert_layout_usable(b).await);
                Ok(())
            }
            .await;
            s.record(&format!("the iframe route /embed/jobs/{id}"), r);
            if let Some(l) = layout.take() {
                s.record(&format!("layout with long strings on /embed/jobs/{id}"), l);
            }
        }

        let r = async {
            b.goto(&server.url("/portal.html")).await?;
            b.wait_until("the custom elements to render", WAIT, async || {
                let v = b
                    .execute(
                        "const n = (id, sel) => { const h = document.getElementById(id); return h && h.shadowRoot ? h.shadowRoot.querySelectorAll(sel).length : 0; };
                         return n('table', 'tbody tr') === arguments[0] && n('status1', '.status-card') === 1
                             && n('status7', '.status-card') === 1 && n('counts', 'li') > 0;",
                        vec![Value::from(rows)],
                    )
                    .await?;
                Ok(v == Value::Bool(true))
            })
            .await?;
            assert_safe(b).await?;
            assert_long_text_kept(b).await?;
            layout = Some(assert_layout_usable(b).await);
            Ok(())
        }
        .await;
        s.record("the custom elements on a portal page", r);
        if let Some(l) = layout.take() {
            s.record("layout with long strings in the custom elements", l);
        }
        s.finish()
    });
}

/// The spoofed strings of the bidi test.
const SPOOFS: [&str; 4] = [
    "\u{202E}Parser",
    "\u{202E}parser",
    "\u{202E}1.0",
    "\u{202E}Bad data",
];

#[test]
fn bidi_controls_in_data_do_not_reorder_the_consoles_own_text() {
    // A right-to-left override in a job type name must stay inside that
    // name: without isolation it reverses whatever follows it on the same
    // line (the version, the status, "Job 1 · ..."), a spoofing trick.
    let server = HostileServer::start(|r: &Request| {
        let spoof = |mut v: Value| {
            v["job_type"]["title"] = json!(SPOOFS[0]);
            v["job_type"]["name"] = json!(SPOOFS[1]);
            v["job_type"]["version"] = json!(SPOOFS[2]);
            if v["error"].is_object() {
                v["error"]["title"] = json!(SPOOFS[3]);
            }
            v
        };
        if r.job_id().is_some() {
            return Reply::json(200, &spoof(data::details(1, "FAILED")));
        }
        if r.list().is_some() {
            let jobs = vec![
                spoof(data::job(1, "FAILED")),
                spoof(data::job(2, "RUNNING")),
            ];
            return Reply::json(200, &data::page(jobs, 2));
        }
        data::normal_api(r)
    })
    .unwrap();
    browser_test(
        "bidi_controls_in_data_do_not_reorder_the_consoles_own_text",
        async |b| {
            let mut s = Scenarios::new("bidi");
            for (path, ready) in [
                ("/jobs", ".jobs > .tbody > [role=row]"),
                ("/jobs/1", "#overview-h"),
                ("/embed/jobs", "tbody tr"),
                ("/embed/jobs/1", ".status-card"),
            ] {
                let r = async {
                    b.goto(&server.url(path)).await?;
                    b.wait_for(ready, WAIT).await?;
                    let leaks = b
                        .execute(
                            r#"
                            const leaks = [];
                            const isolated = (el, stop) => {
                              for (let e = el; e && e !== stop; e = e.parentElement) {
                                const ub = getComputedStyle(e).unicodeBidi;
                                if (e.tagName === 'BDI' || /isolate|plaintext/.test(ub)) return true;
                              }
                              return false;
                            };
                            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
                            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                              const t = n.nodeValue;
                              if (!t.includes('\u202E')) continue;
                              if (/[\u202C\u2069]/.test(t.slice(t.lastIndexOf('\u202E')))) continue;
                              let block = n.parentElement;
                              while (block && /^(inline|contents)$/.test(getComputedStyle(block).display)) block = block.parentElement;
                              if (!block || isolated(n.parentElement, block)) continue;
                              const range = document.createRange();
                              range.setStartAfter(n);
                              range.setEnd(block, block.childNodes.length);
                              // What follows the override on its line, less
                              // the server's own spoofed strings.
                              let after = t.slice(t.indexOf('\u202E')) + range.toString();
                              for (const p of arguments[0]) after = after.split(p).join('');
                              after = /[\p{L}\p{N}]/u.test(after) ? after.trim() : '';
                              if (after) leaks.push({ in: block.tagName.toLowerCase() + (block.className ? '.' + block.className : ''), reversed: after.slice(0, 60) });
                            }
                            return leaks;
                            "#,
                            vec![json!(SPOOFS)],
                        )
                        .await?;
                    let leaks = leaks.as_array().cloned().unwrap_or_default();
                    ensure!(
                        leaks.is_empty(),
                        "a right-to-left override in the data reverses the console's own text after it: {}",
                        Value::Array(leaks)
                    );
                    assert_not_crashed(b).await
                }
                .await;
                s.record(&format!("U+202E on {path}"), r);
            }
            s.finish()
        },
    );
}
