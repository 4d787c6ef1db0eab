//! The measurements taken in headless Chromium over CDP: first rows, the
//! 1000-row render against the vanilla baseline, sort and page changes,
//! memory over many navigations, and request discipline.
//!
//! Times come from the app's own `performance.mark()`s (`scale:request`,
//! `scale:response`, `scale:decoded`, `scale:html`, `scale:dom`,
//! `scale:rows`, `scale:painted`, `scale:click`), read back with
//! `performance.getEntriesByName`; `startTime` is relative to the page's
//! navigation start.

use super::cdp::{Cdp, Page};
use super::report::median;
use crate::Result;
use serde_json::{json, Value};
use std::time::Duration;

/// How long one page may take to show its rows (a cold load compiles
/// a megabyte of wasm on a busy two-core machine).
const LOAD_LIMIT: Duration = Duration::from_secs(60);

/// The last `startTime` of each mark (`-1` when absent), and the first
/// `scale:rows`, as one JSON object.
const MARKS_JS: &str = r#"(() => {
  const all = n => performance.getEntriesByName(n, "mark").map(e => e.startTime);
  const last = n => { const a = all(n); return a.length ? a[a.length - 1] : -1; };
  const first = n => { const a = all(n); return a.length ? a[0] : -1; };
  return {
    request: last("scale:request"), response: last("scale:response"),
    decoded: last("scale:decoded"), html: last("scale:html"), dom: last("scale:dom"), rows: last("scale:rows"),
    painted: last("scale:painted"), all_painted: last("scale:all-painted"), click: last("scale:click"),
    first_request: first("scale:request"), first_response: first("scale:response"),
    first_decoded: first("scale:decoded"), first_rows: first("scale:rows"),
  };
})()"#;

#[derive(Debug, Clone, Copy, Default)]
pub struct Marks {
    pub request: f64,
    pub response: f64,
    pub decoded: f64,
    /// The rows' HTML text built, before the browser parses it (app only).
    pub html: f64,
    /// Rows in the DOM (before the frame that paints them).
    pub dom: f64,
    /// The frame the rows go into starts (`scale:rows`).
    pub rows: f64,
    /// A timer set in that frame fires: the rows are laid out and painted
    /// (`scale:painted`; the vanilla page marks it too).
    pub painted: f64,
    /// The rows held back from that frame (see `ColdLoad::all_painted`)
    /// painted in the next (`scale:all-painted`); -1 when none were.
    pub all_painted: f64,
    pub click: f64,
    pub first_request: f64,
    pub first_response: f64,
    pub first_decoded: f64,
    pub first_rows: f64,
}

fn marks(cdp: &mut Cdp, page: &Page) -> Result<Marks> {
    let v = cdp.eval(page, MARKS_JS)?;
    let f = |k: &str| v[k].as_f64().unwrap_or(-1.0);
    Ok(Marks {
        request: f("request"),
        response: f("response"),
        decoded: f("decoded"),
        html: f("html"),
        dom: f("dom"),
        rows: f("rows"),
        painted: f("painted"),
        all_painted: f("all_painted"),
        click: f("click"),
        first_request: f("first_request"),
        first_response: f("first_response"),
        first_decoded: f("first_decoded"),
        first_rows: f("first_rows"),
    })
}

/// "The rows held back from the new rows' frame, if the app held any
/// (`scale:held`), are painted" (see `ColdLoad::all_painted`).
const ALL_PAINTED_JS: &str = "performance.getEntriesByName('scale:held').length === 0 || \
     performance.getEntriesByName('scale:all-painted').length > 0";

/// "The page has marked rows and shows exactly `n` of them." The rows of
/// an ARIA table of divs, or of a `<table>` (bundles before the lists'
/// rows were divs, which `--compare` may measure).
fn rows_shown(n: usize) -> String {
    format!(
        "performance.getEntriesByName('scale:rows').length > 0 && \
         document.querySelectorAll('.jobs > .tbody > [role=row], table.jobs tbody tr').length === {n}"
    )
}

/// As [`rows_shown`], and the rows are laid out and painted: a painted
/// mark no older than the newest rows mark (a timer left from the page's
/// load may mark after the marks were cleared for a click).
fn rows_painted(n: usize) -> String {
    format!(
        "{} && (() => {{ const last = n => {{ const a = performance.getEntriesByName(n, 'mark'); \
         return a.length ? a[a.length - 1].startTime : -1; }}; \
         return last('scale:painted') >= last('scale:rows'); }})()",
        rows_shown(n)
    )
}

/// Runs `f` in a new tab (in a new browser context if asked) and closes the
/// tab whether `f` succeeded or not, so that a failed measurement does not
/// leave a busy tab beside the next one.
fn in_page<T>(
    cdp: &mut Cdp,
    fresh_context: bool,
    f: impl FnOnce(&mut Cdp, &Page) -> Result<T>,
) -> Result<T> {
    let page = cdp.new_page(fresh_context)?;
    let result = f(cdp, &page);
    let closed = cdp.close_page(page);
    let value = result?;
    closed?;
    Ok(value)
}

// ---------------------------------------------------------------------------
// 2. First rows on a cold load
// ---------------------------------------------------------------------------

/// One cold load: its own browser context (empty cache and storage).
#[derive(Debug, Clone, Copy)]
pub struct ColdLoad {
    /// The first rows in the DOM: the animation frame they go into starts
    /// (`scale:rows`).
    pub first_rows: f64,
    /// A timer set in that frame fires (`scale:painted`): the rows have
    /// been laid out and painted.
    pub painted: f64,
    /// The list answer's last byte in (resource timing), before the app
    /// gets to read it (`response`).
    pub list_end: f64,
    pub request: f64,
    pub response: f64,
    pub decoded: f64,
    pub wasm_loaded: f64,
    /// When the app's wasm started running (`scale:start`).
    pub started: f64,
    /// When config.json was asked for (by boot.js, during the wasm
    /// download) and received.
    pub config_start: f64,
    pub config_end: f64,
    pub first_contentful_paint: f64,
    /// Every row of the first page painted: the app lays out only the rows
    /// that can be on screen in the first rows' frame (it marks
    /// `scale:held` when it holds any back) and marks `scale:all-painted`
    /// once the rest, in the next frame, are painted; when it held none
    /// back (the vanilla page never does), the first rows' `painted`. -1
    /// when the mark never came.
    pub all_painted: f64,
    /// When the second part of the split wasm was requested (resource
    /// timing; boot.js waits for the rows to be painted), -1 if it was not.
    pub rest_requested: f64,
    /// Whether a moved function was called before the second part was in,
    /// so boot.js loaded it on the spot (`scale:rest-sync`).
    pub rest_sync: bool,
}

/// `runs` cold loads of `url` (the app), each followed by a cold load of
/// the vanilla baseline on the API URL the app's first load fetched, so
/// both see the machine in the same state. The app's loads, then the
/// baseline's: those are information only, so a failure of the baseline
/// stops its loads, not the app's.
pub fn cold_loads(
    cdp: &mut Cdp,
    base: &str,
    url: &str,
    runs: usize,
) -> Result<(Vec<ColdLoad>, Result<Vec<ColdLoad>>)> {
    let mut app = Vec::new();
    let mut vanilla = Vec::new();
    let mut vanilla_error = None;
    let mut api_url = String::new();
    for _ in 0..runs {
        let (load, list) = cold_load(cdp, url)?;
        app.push(load);
        if vanilla_error.is_some() {
            continue;
        }
        if api_url.is_empty() {
            match api_path(&list, base) {
                Ok(path) => api_url = path,
                Err(e) => {
                    vanilla_error = Some(e);
                    continue;
                }
            }
        }
        let vanilla_url = format!("{base}/vanilla.html?url={}", encode(&api_url));
        match cold_load(cdp, &vanilla_url) {
            Ok((load, _)) => vanilla.push(load),
            Err(e) => vanilla_error = Some(e),
        }
    }
    Ok((app, vanilla_error.map_or(Ok(vanilla), Err)))
}

/// One load of `url` in a new browser context with the cache disabled,
/// and the URL of the first jobs list it fetched.
pub fn cold_load(cdp: &mut Cdp, url: &str) -> Result<(ColdLoad, String)> {
    in_page(cdp, true, |cdp, page| {
        cdp.call(
            Some(&page.session),
            "Network.setCacheDisabled",
            json!({ "cacheDisabled": true }),
        )?;
        cdp.navigate(page, url)?;
        cdp.wait_for(page, &rows_painted(100), LOAD_LIMIT)?;
        // Paint timing reports a frame once it is on screen, a little after
        // the main thread is done with it; a browser that never reports
        // one leaves the step at -1.
        let _ = cdp.wait_for(
            page,
            "performance.getEntriesByName('first-contentful-paint').length > 0",
            Duration::from_secs(2),
        );
        // Rows held back from the first frame follow in the next one.
        let _ = cdp.wait_for(page, ALL_PAINTED_JS, Duration::from_secs(5));
        let m = marks(cdp, page)?;
        let extra = cdp.eval(
            page,
            r#"(() => {
              const held = performance.getEntriesByName("scale:held").length > 0;
              const all = performance.getEntriesByName("scale:all-painted", "mark")[0];
              const res = performance.getEntriesByType("resource");
              const wasm = res.find(e => e.name.endsWith("_bg.wasm"));
              const rest = res.find(e => e.name.endsWith("_split.wasm"));
              const config = res.find(e => e.name.endsWith("/config.json"));
              const fcp = performance.getEntriesByName("first-contentful-paint")[0];
              const start = performance.getEntriesByName("scale:start", "mark")[0];
              const painted = performance.getEntriesByName("scale:painted", "mark")[0];
              const list = res.find(e => { const u = new URL(e.name); return u.pathname.startsWith("/api/") && u.pathname.includes("/jobs"); });
              return {
                list_url: list ? list.name : "",
                list_end: list ? list.responseEnd : -1,
                started: start ? start.startTime : -1, painted: painted ? painted.startTime : -1,
                wasm: wasm ? wasm.responseEnd : -1, fcp: fcp ? fcp.startTime : -1,
                config_start: config ? config.startTime : -1, config_end: config ? config.responseEnd : -1,
                all_painted: all ? all.startTime : held ? -1 : (painted ? painted.startTime : -1),
                rest_requested: rest ? rest.startTime : -1,
                rest_sync: performance.getEntriesByName("scale:rest-sync").length > 0,
              };
            })()"#,
        )?;
        let load = ColdLoad {
            first_rows: m.first_rows,
            painted: extra["painted"].as_f64().unwrap_or(-1.0),
            list_end: extra["list_end"].as_f64().unwrap_or(-1.0),
            request: m.first_request,
            response: m.first_response,
            decoded: m.first_decoded,
            wasm_loaded: extra["wasm"].as_f64().unwrap_or(-1.0),
            started: extra["started"].as_f64().unwrap_or(-1.0),
            config_start: extra["config_start"].as_f64().unwrap_or(-1.0),
            config_end: extra["config_end"].as_f64().unwrap_or(-1.0),
            first_contentful_paint: extra["fcp"].as_f64().unwrap_or(-1.0),
            all_painted: extra["all_painted"].as_f64().unwrap_or(-1.0),
            rest_requested: extra["rest_requested"].as_f64().unwrap_or(-1.0),
            rest_sync: extra["rest_sync"].as_bool().unwrap_or(false),
        };
        Ok((load, extra["list_url"].as_str().unwrap_or("").to_owned()))
    })
}

// ---------------------------------------------------------------------------
// 3. 1000 rows: the app against the vanilla baseline
// ---------------------------------------------------------------------------

/// Response received to rows in the DOM, and the decode part of it.
#[derive(Debug, Clone, Copy)]
pub struct Render {
    pub render: f64,
    pub decode: f64,
    /// Decoded to rows in the DOM (`scale:dom`).
    pub build: f64,
    /// The part of `build` after the HTML text was ready (`scale:html`):
    /// the browser parsing it and the rows going in. Negative when the page
    /// has no such mark (the vanilla page builds nodes, not text).
    pub parse: f64,
    /// The frame the rows go into, from its start to the rows laid out and
    /// painted (`scale:painted − scale:rows`): the browser's work, outside
    /// the render figure.
    pub frame: f64,
}

impl From<Marks> for Render {
    fn from(m: Marks) -> Render {
        Render {
            render: m.rows - m.response,
            decode: m.decoded - m.response,
            build: m.dom - m.decoded,
            // Only an html mark of this render (the vanilla page has none;
            // the app skips it when a refresh changes no row, but marks
            // scale:dom every time).
            parse: if m.html >= m.decoded && m.decoded >= 0.0 {
                m.dom - m.html
            } else {
                -1.0
            },
            frame: if m.painted >= m.rows && m.rows >= 0.0 {
                m.painted - m.rows
            } else {
                -1.0
            },
        }
    }
}

pub struct RenderRuns {
    pub app: Vec<Render>,
    pub vanilla: Vec<Render>,
    /// The API URL both pages fetched.
    pub api_url: String,
}

/// The first jobs list the app in `page` asked the API for, as a path and
/// query on `base` (from resource timing, so the app need not say).
fn app_api_url(cdp: &mut Cdp, page: &Page, base: &str) -> Result<String> {
    let found = cdp.eval(
        page,
        r#"(performance.getEntriesByType("resource").map(e => new URL(e.name))
            .find(u => u.pathname.startsWith("/api/") && u.pathname.includes("/jobs")) || {}).href || """#,
    )?;
    api_path(found.as_str().unwrap_or(""), base)
}

/// A jobs list URL the app fetched, as a path and query on `base`; an
/// error when resource timing saw none (`href` empty).
fn api_path(href: &str, base: &str) -> Result<String> {
    let api_url = href.strip_prefix(base).unwrap_or(href);
    if api_url.is_empty() {
        return Err("the app made no /api/.../jobs request that resource timing saw".into());
    }
    Ok(api_url.to_owned())
}

/// Loads `/jobs?page_size=1000` and the vanilla page on the same API URL,
/// alternately, `runs` times each, each in a new tab.
pub fn render_1000(cdp: &mut Cdp, base: &str, runs: usize) -> Result<RenderRuns> {
    let mut app = Vec::new();
    let mut vanilla = Vec::new();
    let mut api_url = String::new();
    for _ in 0..runs {
        // The app first: it says which URL it fetches.
        let (render, url) = in_page(cdp, false, |cdp, page| {
            cdp.navigate(page, &format!("{base}/jobs?page_size=1000"))?;
            cdp.wait_for(page, &rows_painted(1000), LOAD_LIMIT)?;
            let render = Render::from(marks(cdp, page)?);
            let url = match api_url.is_empty() {
                true => Some(app_api_url(cdp, page, base)?),
                false => None,
            };
            Ok((render, url))
        })?;
        app.push(render);
        if let Some(url) = url {
            api_url = url;
        }

        let url = format!("{base}/vanilla.html?url={}", encode(&api_url));
        vanilla.push(first_render(cdp, &url, 1000)?);
    }
    Ok(RenderRuns {
        app,
        vanilla,
        api_url,
    })
}

/// The first render of `url` (the app or the vanilla page) in a new tab,
/// once it shows `rows` rows, laid out and painted.
pub fn first_render(cdp: &mut Cdp, url: &str, rows: usize) -> Result<Render> {
    in_page(cdp, false, |cdp, page| {
        cdp.navigate(page, url)?;
        cdp.wait_for(page, &rows_painted(rows), LOAD_LIMIT)?;
        Ok(Render::from(marks(cdp, page)?))
    })
}

/// 1000-row page changes in pages that are already warm, as an analyst
/// paging through 1000-row pages meets them: in one app tab, `runs` clicks
/// on "Next page" after one not counted (the first use of the code path);
/// then in one baseline tab, as many further pages through vanilla.js's
/// `scaleRender`. Response to rows in the DOM, as in [`render_1000`], but
/// each change also takes out the 1000 rows shown before, which a page's
/// first render has not got. One tab after the other, not alternating:
/// with both tabs open, even with the one behind hidden, both sides'
/// changes took longer (app 87-96 ms and baseline 75-85 in four runs,
/// against 59-84 and 50-53) and varied more.
pub fn render_1000_warm(
    cdp: &mut Cdp,
    base: &str,
    api_url: &str,
    runs: usize,
) -> Result<(Vec<Render>, Vec<Render>)> {
    let app: Vec<Render> = in_page(cdp, false, |cdp, page| {
        cdp.navigate(page, &format!("{base}/jobs?page_size=1000"))?;
        cdp.wait_for(page, &rows_painted(1000), LOAD_LIMIT)?;
        click_marks(cdp, page, CLICK_NEXT_JS, runs + 1, 1000)
    })?
    .into_iter()
    .skip(1)
    .map(Render::from)
    .collect();

    let vanilla = vanilla_page_changes(cdp, base, api_url, 1000, runs)?
        .into_iter()
        .map(Render::from)
        .collect();
    Ok((app, vanilla))
}

/// Page changes in one tab of the vanilla baseline, once it is warm: it
/// loads on `api_url`, then renders its pages 2, 3, … through vanilla.js's
/// `scaleRender`, `runs` times after one not counted, each once the page
/// shows its new `rows` rows. The marks of each counted change.
fn vanilla_page_changes(
    cdp: &mut Cdp,
    base: &str,
    api_url: &str,
    rows: usize,
    runs: usize,
) -> Result<Vec<Marks>> {
    let sep = match api_url.contains('?') {
        false => "?",
        true if api_url.ends_with(['?', '&']) => "",
        true => "&",
    };
    in_page(cdp, false, |cdp, page| {
        cdp.navigate(
            page,
            &format!("{base}/vanilla.html?url={}", encode(api_url)),
        )?;
        cdp.wait_for(page, &rows_painted(rows), LOAD_LIMIT)?;
        let mut out = Vec::new();
        for i in 0..=runs {
            let next = format!("{api_url}{sep}page={}", i + 2);
            cdp.eval(
                page,
                &format!(
                    "performance.clearMarks(); scaleRender({}); true",
                    Value::String(next)
                ),
            )?;
            cdp.wait_for(page, &rows_painted(rows), LOAD_LIMIT)?;
            let m = marks(cdp, page)?;
            in_order(
                "the baseline's page change",
                &[m.request, m.response, m.decoded, m.dom, m.rows, m.painted],
            )?;
            if i > 0 {
                out.push(m);
            }
            cdp.pump(Duration::from_millis(100))?;
        }
        Ok(out)
    })
}

/// Marks that should come one after another: all present (not −1) and in
/// that order, or the sample would measure something else.
fn in_order(what: &str, marks: &[f64]) -> Result {
    if marks.iter().all(|&m| m >= 0.0) && marks.windows(2).all(|w| w[0] <= w[1]) {
        Ok(())
    } else {
        Err(format!("{what}: marks missing or out of order: {marks:?}"))
    }
}

/// Percent-encodes a query parameter value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// 4. Sort and page changes
// ---------------------------------------------------------------------------

/// Clicks the "Priority" sort button.
const CLICK_SORT_JS: &str = r#"(() => {
  const th = [...document.querySelectorAll(".jobs [role=columnheader], table.jobs thead th")]
    .find(th => th.textContent.trim().startsWith("Priority"));
  const b = th && th.querySelector("button.sort");
  if (!b) throw new Error("no Priority sort button");
  b.click();
  return true;
})()"#;

const CLICK_NEXT_JS: &str = r#"(() => {
  const b = document.querySelector("button[aria-label='Next page']");
  if (!b) throw new Error("no Next page button");
  if (b.disabled) throw new Error("Next page is disabled");
  b.click();
  return true;
})()"#;

/// "The newest rows came after the newest click and the newest request."
const SETTLED_JS: &str = r#"(() => {
  const last = n => { const a = performance.getEntriesByName(n, "mark"); return a.length ? a[a.length - 1].startTime : -1; };
  const rows = last("scale:rows");
  return rows > last("scale:click") && rows > last("scale:request") && last("scale:click") >= 0;
})()"#;

/// Click to new rows painted, minus request to response: (painted −
/// click) − (response − request), and the same to the rows' frame
/// starting (`rows` for `painted`), for `clicks` clicks of the given
/// button on a table of `rows` rows.
pub fn clicks(
    cdp: &mut Cdp,
    page: &Page,
    click_js: &str,
    clicks: usize,
    rows: usize,
) -> Result<Vec<Click>> {
    Ok(click_marks(cdp, page, click_js, clicks, rows)?
        .iter()
        .map(|m| Click::new(m, m.click))
        .collect())
}

/// One click's time, the request's time on the network taken out, and
/// its parts.
#[derive(Debug, Clone, Copy)]
pub struct Click {
    /// To the new rows laid out and painted (`scale:painted`).
    pub painted: f64,
    /// To the frame they go into starting (`scale:rows`).
    pub rows: f64,
    /// To every row painted: the app holds those below the fold back from
    /// the new rows' frame and paints them in the next
    /// (`scale:all-painted`); `painted` when it held none back.
    pub all_painted: f64,
    /// The click to the request going out.
    pub before_request: f64,
    /// The answer in to decoded.
    pub decode: f64,
    /// Decoded to the rows in the DOM.
    pub build: f64,
    /// Rows in the DOM to their frame starting.
    pub to_frame: f64,
}

impl Click {
    /// `start` is the click, or what stands for it.
    fn new(m: &Marks, start: f64) -> Click {
        let network = m.response - m.request;
        Click {
            painted: (m.painted - start) - network,
            rows: (m.rows - start) - network,
            all_painted: (m.all_painted.max(m.painted) - start) - network,
            before_request: m.request - start,
            decode: m.decoded - m.response,
            build: m.dom - m.decoded,
            to_frame: m.rows - m.dom,
        }
    }
}

/// The marks of each of `clicks` clicks of the given button, each taken
/// once the page shows its new `rows` rows, and checked for order.
fn click_marks(
    cdp: &mut Cdp,
    page: &Page,
    click_js: &str,
    clicks: usize,
    rows: usize,
) -> Result<Vec<Marks>> {
    let settled = format!("{SETTLED_JS} && {}", rows_painted(rows));
    let mut out = Vec::new();
    for _ in 0..clicks {
        cdp.eval(page, "performance.clearMarks(); true")?;
        cdp.eval(page, click_js)?;
        cdp.wait_for(page, &settled, LOAD_LIMIT)?;
        // Rows held back from the new rows' frame follow in the next one,
        // which marks `scale:all-painted`: wait for them too.
        cdp.wait_for(page, ALL_PAINTED_JS, LOAD_LIMIT)?;
        let m = marks(cdp, page)?;
        in_order(
            "marks after a click",
            &[
                m.click, m.request, m.response, m.decoded, m.dom, m.rows, m.painted,
            ],
        )?;
        out.push(m);
        // Let the page go idle between clicks.
        cdp.pump(Duration::from_millis(100))?;
    }
    Ok(out)
}

pub struct Interactions {
    pub sort: Vec<Click>,
    pub page: Vec<Click>,
    /// The vanilla baseline's page changes on the app's first list URL:
    /// from `scaleRender` (which marks its request first) to the rows
    /// painted, minus the request's time on the network. Information only:
    /// its failure leaves the app's figures standing.
    pub vanilla_page: Result<Vec<Click>>,
}

pub fn sort_and_page(cdp: &mut Cdp, base: &str, n: usize) -> Result<Interactions> {
    let (api_url, sort, pages) = in_page(cdp, false, |cdp, page| {
        cdp.navigate(page, &format!("{base}/jobs?page_size=100"))?;
        cdp.wait_for(page, &rows_painted(100), LOAD_LIMIT)?;
        cdp.wait_for(page, ALL_PAINTED_JS, LOAD_LIMIT)?;
        let api_url = app_api_url(cdp, page, base)?;
        // One of each first, not counted: the first use of a code path.
        clicks(cdp, page, CLICK_SORT_JS, 1, 100)?;
        let sort = clicks(cdp, page, CLICK_SORT_JS, n, 100)?;
        clicks(cdp, page, CLICK_NEXT_JS, 1, 100)?;
        let pages = clicks(cdp, page, CLICK_NEXT_JS, n, 100)?;
        Ok((api_url, sort, pages))
    })?;
    // After the app's tab is closed: two tabs at once slow each other.
    let vanilla_page = vanilla_page_changes(cdp, base, &api_url, 100, n)
        .map(|marks| marks.iter().map(|m| Click::new(m, m.request)).collect());
    Ok(Interactions {
        sort,
        page: pages,
        vanilla_page,
    })
}

// ---------------------------------------------------------------------------
// 5. Memory over in-app navigations
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    pub navigations: usize,
    pub js_heap_used: f64,
    pub wasm_memory: f64,
    pub dom_nodes: f64,
    pub js_event_listeners: f64,
}

impl Memory {
    pub fn total(&self) -> f64 {
        self.js_heap_used + self.wasm_memory
    }

    pub fn to_json(self) -> Value {
        json!({
            "navigations": self.navigations,
            "js_heap_used_bytes": self.js_heap_used,
            "wasm_memory_bytes": self.wasm_memory,
            "total_bytes": self.total(),
            "dom_nodes": self.dom_nodes,
            "js_event_listeners": self.js_event_listeners,
        })
    }
}

/// After a forced GC: the V8 heap in use (`Runtime.getHeapUsage`), the
/// byte length of the console's wasm memory (through its glue module, so
/// nothing in the app has to expose it), and the DOM node and listener
/// counts.
fn memory_now(cdp: &mut Cdp, page: &Page, navigations: usize) -> Result<Memory> {
    let s = Some(page.session.as_str());
    for _ in 0..3 {
        cdp.call(s, "HeapProfiler.collectGarbage", json!({}))?;
        cdp.pump(Duration::from_millis(100))?;
    }
    let heap = cdp.call(s, "Runtime.getHeapUsage", json!({}))?;
    // The console's wasm memory, from its wasm-bindgen glue: importing the
    // module the page preloads gives the page's own instance of it, and
    // its init, called again, hands back the exports it already has.
    // (DevTools' `Runtime.queryObjects`, used before, never answers on a
    // page running the split wasm: see xtask/src/split.rs.)
    let wasm = cdp.eval(
        page,
        "(async () => {
            const glue = document.querySelector('link[rel=modulepreload][href*=scale-jobs-app-]');
            if (!glue) return -1;
            const exports = await (await import(glue.href)).default();
            return exports.memory.buffer.byteLength;
        })()",
    )?;
    let wasm = wasm.as_f64().unwrap_or(-1.0);
    if wasm <= 0.0 {
        return Err(
            "found no wasm memory in the page (no modulepreload of the console's glue?)".into(),
        );
    }
    let metrics = cdp.call(s, "Performance.getMetrics", json!({}))?;
    let metric = |name: &str| {
        metrics["metrics"]
            .as_array()
            .and_then(|a| a.iter().find(|m| m["name"] == name))
            .and_then(|m| m["value"].as_f64())
            .unwrap_or(-1.0)
    };
    Ok(Memory {
        navigations,
        js_heap_used: heap["usedSize"].as_f64().unwrap_or(0.0),
        wasm_memory: wasm,
        dom_nodes: metric("Nodes"),
        js_event_listeners: metric("JSEventListeners"),
    })
}

/// Loads `/jobs?page_size=100`, then clicks "Next page" `checkpoints.last()`
/// times, measuring memory after each checkpoint's number of navigations.
pub fn memory(cdp: &mut Cdp, base: &str, checkpoints: &[usize]) -> Result<Vec<Memory>> {
    in_page(cdp, true, |cdp, page| {
        let s = Some(page.session.as_str());
        cdp.call(s, "HeapProfiler.enable", json!({}))?;
        cdp.call(s, "Performance.enable", json!({}))?;
        cdp.navigate(page, &format!("{base}/jobs?page_size=100"))?;
        cdp.wait_for(page, &rows_shown(100), LOAD_LIMIT)?;
        let last = checkpoints.iter().copied().max().unwrap_or(0);
        let mut out = Vec::new();
        for n in 1..=last {
            // The browser's own mark and resource lists would grow otherwise.
            cdp.eval(
                page,
                "performance.clearMarks(); performance.clearResourceTimings(); true",
            )?;
            cdp.eval(page, CLICK_NEXT_JS)?;
            cdp.wait_for(
                page,
                &format!(
                    "new URLSearchParams(location.search).get('page') === '{}' && {SETTLED_JS}",
                    n + 1
                ),
                LOAD_LIMIT,
            )?;
            if checkpoints.contains(&n) {
                out.push(memory_now(cdp, page, n)?);
            }
        }
        Ok(out)
    })
}

// ---------------------------------------------------------------------------
// 6. Request discipline under auto-refresh
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
pub struct Discipline {
    pub visible_seconds: f64,
    pub visible_requests: usize,
    pub overlapping: usize,
    pub hidden_confirmed: bool,
    pub hidden_seconds: f64,
    pub hidden_requests: usize,
    pub shown_again_requests: usize,
}

/// (start, end) in CDP seconds of each `/api/` request in `events` from
/// `session`; `end` is infinite for one still open.
fn api_requests(events: &[super::cdp::Event], session: &str) -> Vec<(f64, f64)> {
    let mut open: Vec<(String, f64, f64)> = Vec::new();
    for e in events
        .iter()
        .filter(|e| e.session.as_deref() == Some(session))
    {
        let id = e.params["requestId"].as_str().unwrap_or("").to_owned();
        let t = e.params["timestamp"].as_f64().unwrap_or(0.0);
        match e.method.as_str() {
            "Network.requestWillBeSent" => {
                let url = e.params["request"]["url"].as_str().unwrap_or("");
                if url.contains("/api/") {
                    open.push((id, t, f64::INFINITY));
                }
            }
            "Network.loadingFinished" | "Network.loadingFailed" => {
                if let Some(r) = open.iter_mut().find(|r| r.0 == id && r.2.is_infinite()) {
                    r.2 = t;
                }
            }
            _ => {}
        }
    }
    open.into_iter().map(|(_, s, e)| (s, e)).collect()
}

/// How many requests started while an earlier one was still open.
pub fn overlapping(requests: &[(f64, f64)]) -> usize {
    let mut sorted = requests.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut latest_end = f64::NEG_INFINITY;
    let mut count = 0;
    for (start, end) in sorted {
        if start < latest_end {
            count += 1;
        }
        latest_end = latest_end.max(end);
    }
    count
}

/// With auto-refresh every second: watches the list's API requests while
/// the tab is visible, then while another tab is in front (checking that
/// `document.hidden` really is true), then visible again.
pub fn discipline(
    cdp: &mut Cdp,
    base: &str,
    visible: Duration,
    hidden: Duration,
) -> Result<Discipline> {
    in_page(cdp, true, |cdp, page| {
        let s = page.session.clone();
        cdp.call(Some(&s), "Network.enable", json!({}))?;
        cdp.navigate(page, &format!("{base}/jobs?page_size=100"))?;
        cdp.wait_for(page, &rows_shown(100), LOAD_LIMIT)?;
        let mut out = Discipline::default();
        // Every event of the page, for overlaps across the windows' edges too.
        let mut all = cdp.take_events();

        cdp.pump(visible)?;
        let events = cdp.take_events();
        out.visible_seconds = visible.as_secs_f64();
        out.visible_requests = api_requests(&events, &s).len();
        all.extend(events);

        // Another tab in front of it, in the same window and browser context.
        let context = cdp.call(
            None,
            "Target.getTargetInfo",
            json!({ "targetId": page.target }),
        )?["targetInfo"]["browserContextId"]
            .as_str()
            .map(str::to_owned);
        let mut params = json!({ "url": "about:blank", "newWindow": false });
        if let Some(c) = context {
            params["browserContextId"] = json!(c);
        }
        let front = cdp.call(None, "Target.createTarget", params)?["targetId"]
            .as_str()
            .ok_or("Target.createTarget: no targetId")?
            .to_owned();
        cdp.call(None, "Target.activateTarget", json!({ "targetId": front }))?;
        out.hidden_confirmed = cdp
            .wait_for(page, "document.hidden === true", Duration::from_secs(5))
            .is_ok();
        all.extend(cdp.take_events());
        cdp.pump(hidden)?;
        let events = cdp.take_events();
        out.hidden_seconds = hidden.as_secs_f64();
        out.hidden_requests = api_requests(&events, &s).len();
        all.extend(events);
        let still_hidden = cdp.eval(page, "document.hidden")? == Value::Bool(true);
        out.hidden_confirmed &= still_hidden;

        // Back to the front: refreshing should resume.
        cdp.call(
            None,
            "Target.activateTarget",
            json!({ "targetId": page.target }),
        )?;
        cdp.call(None, "Target.closeTarget", json!({ "targetId": front }))?;
        let _ = cdp.wait_for(page, "document.hidden === false", Duration::from_secs(5));
        all.extend(cdp.take_events());
        cdp.pump(Duration::from_secs(3))?;
        let events = cdp.take_events();
        out.shown_again_requests = api_requests(&events, &s).len();
        all.extend(events);
        out.overlapping = overlapping(&api_requests(&all, &s));
        Ok(out)
    })
}

// ---------------------------------------------------------------------------
// Where the time of a 1000-row render goes (CPU profile)
// ---------------------------------------------------------------------------

/// Self time per function of a sampled CPU profile.
pub struct Profile {
    pub interval_us: u64,
    /// (self milliseconds, function name, script kind `wasm`/`js`/``).
    pub functions: Vec<(f64, String, &'static str)>,
    pub total_ms: f64,
    /// Time the main thread sat idle inside the window.
    pub idle_ms: f64,
}

/// Samples the CPU of a cold load of `/jobs?page_size=1000`, from
/// `scale:response` to `scale:rows`: the window and the conditions of the
/// 1000-row figure (a cold page runs first-call wasm, which a warm page
/// would hide). `performance.mark` is wrapped, before the page's own
/// scripts run, so those marks start and end a `console.profile`, whose
/// profile CDP reports in `Profiler.consoleProfileFinished`. `base` should
/// serve a wasm with a name section, so wasm frames have names.
pub fn profile_1000(cdp: &mut Cdp, base: &str) -> Result<Profile> {
    const INTERVAL_US: u64 = 100;
    let stopped = in_page(cdp, false, |cdp, page| {
        let s = Some(page.session.as_str());
        cdp.call(s, "Profiler.enable", json!({}))?;
        cdp.call(
            s,
            "Profiler.setSamplingInterval",
            json!({ "interval": INTERVAL_US }),
        )?;
        cdp.call(s, "Page.enable", json!({}))?;
        cdp.call(
            s,
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": r#"(() => {
              const mark = performance.mark.bind(performance);
              let done = false;
              performance.mark = (name, options) => {
                const entry = mark(name, options);
                if (!done && name === "scale:response") console.profile("render");
                if (!done && name === "scale:rows") { done = true; console.profileEnd("render"); }
                return entry;
              };
            })()"# }),
        )?;
        cdp.take_events();
        cdp.navigate(page, &format!("{base}/jobs?page_size=1000"))?;
        cdp.wait_for(page, &rows_shown(1000), LOAD_LIMIT)?;
        let mut stopped = None;
        for _ in 0..50 {
            stopped = cdp
                .take_events()
                .into_iter()
                .find(|e| {
                    e.method == "Profiler.consoleProfileFinished" && e.session.as_deref() == s
                })
                .map(|e| e.params);
            if stopped.is_some() {
                break;
            }
            cdp.pump(Duration::from_millis(100))?;
        }
        stopped.ok_or_else(|| {
            "no console profile came back (Profiler.consoleProfileFinished)".to_string()
        })
    })?;
    let nodes = stopped["profile"]["nodes"]
        .as_array()
        .ok_or("Profiler.stop gave no nodes")?;
    let mut by_name: std::collections::BTreeMap<(String, &'static str), f64> = Default::default();
    let mut total = 0.0;
    let mut idle = 0.0;
    for n in nodes {
        let hits = n["hitCount"].as_f64().unwrap_or(0.0);
        if hits == 0.0 {
            continue;
        }
        let name = n["callFrame"]["functionName"].as_str().unwrap_or("");
        let url = n["callFrame"]["url"].as_str().unwrap_or("");
        if name == "(idle)" {
            idle += hits * INTERVAL_US as f64 / 1000.0;
            continue;
        }
        let kind = if url.ends_with(".wasm") || url.starts_with("wasm://") {
            "wasm"
        } else if url.is_empty() {
            ""
        } else {
            "js"
        };
        let name = if name.is_empty() {
            "(anonymous)".to_owned()
        } else {
            name.to_owned()
        };
        let ms = hits * INTERVAL_US as f64 / 1000.0;
        total += ms;
        *by_name.entry((name, kind)).or_default() += ms;
    }
    let mut functions: Vec<(f64, String, &'static str)> = by_name
        .into_iter()
        .map(|((name, kind), ms)| (ms, name, kind))
        .collect();
    functions.sort_by(|a, b| b.0.total_cmp(&a.0));
    Ok(Profile {
        interval_us: INTERVAL_US,
        functions,
        total_ms: total,
        idle_ms: idle,
    })
}

/// Median of a field of some samples.
pub fn median_of<T>(samples: &[T], f: impl Fn(&T) -> f64) -> Option<f64> {
    median(&samples.iter().map(f).collect::<Vec<_>>())
}

/// As [`median_of`], over the samples where the value is known: a step a
/// load did not report (a mark or timing entry missing) reads -1, and must
/// not pull the median down.
pub fn median_known<T>(samples: &[T], f: impl Fn(&T) -> f64) -> Option<f64> {
    let known: Vec<f64> = samples.iter().map(f).filter(|v| *v >= 0.0).collect();
    median(&known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_must_be_present_and_in_order() {
        assert!(in_order("x", &[1.0, 2.0, 2.0, 5.0]).is_ok());
        assert!(in_order("x", &[1.0, 3.0, 2.0]).is_err());
        assert!(in_order("x", &[-1.0, 2.0, 3.0]).is_err());
    }

    #[test]
    fn a_render_frame_is_painted_minus_rows_when_both_were_marked() {
        let m = Marks {
            response: 10.0,
            decoded: 12.0,
            dom: 20.0,
            rows: 25.0,
            painted: 70.0,
            html: -1.0,
            ..Marks::default()
        };
        let r = Render::from(m);
        assert_eq!(
            (r.render, r.decode, r.build, r.frame),
            (15.0, 2.0, 8.0, 45.0)
        );
        assert_eq!(r.parse, -1.0, "no html mark, no parse part");
        // A page that never marked painted, or a painted mark left from an
        // earlier render, gives no frame rather than a made-up one.
        assert_eq!(Render::from(Marks { painted: -1.0, ..m }).frame, -1.0);
        assert_eq!(Render::from(Marks { painted: 20.0, ..m }).frame, -1.0);
    }

    #[test]
    fn overlaps_count_requests_started_before_an_earlier_one_ended() {
        assert_eq!(overlapping(&[]), 0);
        assert_eq!(overlapping(&[(0.0, 1.0), (1.0, 2.0), (3.0, 4.0)]), 0);
        assert_eq!(overlapping(&[(0.0, 2.0), (1.0, 1.5), (1.8, 3.0)]), 2);
        assert_eq!(overlapping(&[(5.0, f64::INFINITY), (6.0, 7.0)]), 1);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            encode("/api/v5/jobs/?page_size=1000&order=-last_modified"),
            "/api/v5/jobs/%3Fpage_size%3D1000%26order%3D-last_modified"
        );
    }
}
