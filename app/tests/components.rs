//! Component tests in a real headless Chromium (wasm-bindgen-test): each
//! mounts a component into the page, reads the DOM and dispatches events.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use scale_jobs_app::api::ApiError;
use scale_jobs_app::components::alert::ErrorAlert;
use scale_jobs_app::components::filters::FilterBar;
use scale_jobs_app::components::pager::Pager;
use scale_jobs_app::components::status::StatusBadge;
use scale_jobs_app::components::time::{refresh_times, RelTime};
use scale_jobs_app::config::Config;
use scale_jobs_app::context::AppCtx;
use scale_jobs_app::logic::format::{exact_time, TimeZoneChoice};
use scale_jobs_app::logic::listing::ListKind;
use scale_jobs_app::logic::rows::{row_html, Col, RowCtx};
use scale_jobs_shared::{JobRow, JobStatus, JobsQuery, Timestamp};
use std::sync::{Arc, Mutex};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn container() -> web_sys::HtmlElement {
    let doc = web_sys::window().unwrap().document().unwrap();
    let div: web_sys::HtmlElement = doc.create_element("div").unwrap().unchecked_into();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

/// Lets effects and the DOM settle.
async fn settle() {
    gloo_timers::future::TimeoutFuture::new(20).await;
}

fn click(el: &web_sys::Element) {
    el.unchecked_ref::<web_sys::HtmlElement>().click();
}

#[wasm_bindgen_test]
async fn status_badges_show_icon_text_and_colour_class() {
    let root = container();
    let _h = leptos::mount::mount_to(root.clone(), || {
        let none: Option<JobStatus> = None;
        view! {
            <StatusBadge status=Some(JobStatus::Running) />
            <StatusBadge status=Some(JobStatus::Unknown("RESTARTING".into())) />
            <StatusBadge status=none />
        }
    });
    settle().await;
    let badges = root.query_selector_all(".badge").unwrap();
    assert_eq!(badges.length(), 3);
    let first: web_sys::Element = badges.get(0).unwrap().unchecked_into();
    assert!(first.class_name().contains("status-running"));
    assert_eq!(
        first
            .query_selector(".badge-text")
            .unwrap()
            .unwrap()
            .text_content()
            .unwrap(),
        "Running"
    );
    assert_eq!(
        first
            .query_selector(".badge-icon")
            .unwrap()
            .unwrap()
            .get_attribute("aria-hidden")
            .as_deref(),
        Some("true")
    );
    let odd: web_sys::Element = badges.get(1).unwrap().unchecked_into();
    assert!(
        odd.text_content().unwrap().contains("RESTARTING"),
        "unknown statuses are shown as sent"
    );
    assert!(odd.class_name().contains("status-unknown"));
}

#[wasm_bindgen_test]
async fn the_pager_computes_pages_from_count_and_reports_clicks() {
    let root = container();
    let clicked = Arc::new(Mutex::new(Vec::<u32>::new()));
    let sizes = Arc::new(Mutex::new(Vec::<u32>::new()));
    let page = RwSignal::new(2u32);
    let (c2, s2) = (clicked.clone(), sizes.clone());
    let _h = leptos::mount::mount_to(root.clone(), move || {
        view! {
            <Pager page=page page_size=Signal::derive(|| 100) count=Signal::derive(|| Some(250u64))
                rows_on_page=Signal::derive(|| 100usize)
                on_page=Callback::new(move |n| c2.lock().unwrap().push(n))
                on_page_size=Callback::new(move |n| s2.lock().unwrap().push(n))
                noun="jobs" />
        }
    });
    settle().await;
    let text = root.text_content().unwrap();
    assert!(text.contains("Page 2 of 3"), "{text}");
    assert!(text.contains("101–200 of 250 jobs"), "{text}");
    let btn = |label: &str| {
        root.query_selector(&format!("button[aria-label='{label}']"))
            .unwrap()
            .unwrap()
    };
    click(&btn("Next page"));
    click(&btn("Last page"));
    click(&btn("First page"));
    assert_eq!(*clicked.lock().unwrap(), vec![3, 3, 1]);
    // On the last page, Next and Last are disabled.
    page.set(3);
    settle().await;
    assert!(btn("Next page").has_attribute("disabled"));
    assert!(btn("Last page").has_attribute("disabled"));
    assert!(!btn("First page").has_attribute("disabled"));
    assert_eq!(
        btn("Page 3").get_attribute("aria-current").as_deref(),
        Some("page")
    );
    // The page size control is labelled and reports the choice.
    let select: web_sys::HtmlSelectElement = root
        .query_selector("select[aria-label='Page size']")
        .unwrap()
        .unwrap()
        .unchecked_into();
    select.set_value("250");
    select
        .dispatch_event(&web_sys::Event::new("change").unwrap())
        .unwrap();
    assert_eq!(*sizes.lock().unwrap(), vec![250]);
}

#[wasm_bindgen_test]
async fn the_error_alert_shows_the_servers_words_and_retries() {
    let root = container();
    let error = RwSignal::new(None::<ApiError>);
    let retries = Arc::new(Mutex::new(0));
    let r2 = retries.clone();
    let _h = leptos::mount::mount_to(root.clone(), move || {
        view! { <ErrorAlert error=error on_retry=Callback::new(move |_| *r2.lock().unwrap() += 1) /> }
    });
    settle().await;
    let region = root.query_selector("[role='alert']").unwrap().unwrap();
    assert_eq!(
        region.text_content().unwrap(),
        "",
        "empty while there is no error"
    );
    error.set(Some(ApiError::Http {
        status: 404,
        detail: Some("Invalid page.".into()),
    }));
    settle().await;
    let text = region.text_content().unwrap();
    assert!(
        text.contains("Invalid page.") && text.contains("404"),
        "{text}"
    );
    click(&region.query_selector("button").unwrap().unwrap());
    assert_eq!(*retries.lock().unwrap(), 1);
    // A cancelled request is not an error to show.
    error.set(Some(ApiError::Aborted));
    settle().await;
    assert_eq!(region.text_content().unwrap(), "");
}

#[wasm_bindgen_test]
async fn the_filter_bar_edits_the_query_and_returns_to_page_one() {
    let root = container();
    let seen = Arc::new(Mutex::new(Vec::<JobsQuery>::new()));
    let s2 = seen.clone();
    let query = RwSignal::new(JobsQuery {
        page: 4,
        ..Default::default()
    });
    let _h = leptos::mount::mount_to(root.clone(), move || {
        provide_context(AppCtx::new(Config::default()));
        view! { <FilterBar kind=ListKind::Jobs query=query on_change=Callback::new(move |q| s2.lock().unwrap().push(q)) /> }
    });
    settle().await;
    let legends: Vec<String> = (0..root.query_selector_all("legend").unwrap().length())
        .map(|i| {
            root.query_selector_all("legend")
                .unwrap()
                .get(i)
                .unwrap()
                .text_content()
                .unwrap()
        })
        .collect();
    assert!(
        legends.contains(&"Status".to_string()) && legends.contains(&"Error category".to_string()),
        "{legends:?}"
    );
    // Tick "Failed".
    let boxes = root
        .query_selector_all("fieldset input[type=checkbox]")
        .unwrap();
    let failed: web_sys::HtmlInputElement = (0..boxes.length())
        .map(|i| {
            boxes
                .get(i)
                .unwrap()
                .unchecked_into::<web_sys::HtmlInputElement>()
        })
        .find(|b| {
            b.parent_element()
                .unwrap()
                .text_content()
                .unwrap()
                .contains("Failed")
        })
        .unwrap();
    failed.click();
    let q = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(q.status, vec![JobStatus::Failed]);
    assert_eq!(q.page, 1, "a filter change returns to page 1");
    // A quick time range is sent as an ISO duration.
    let quick = root.query_selector_all(".quick button").unwrap();
    click(&quick.get(1).unwrap().unchecked_into());
    let q = seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(q.started.map(|b| b.to_string()).as_deref(), Some("PT24H"));
}

#[wasm_bindgen_test]
async fn relative_times_carry_the_exact_utc_time() {
    let root = container();
    let at = Timestamp::parse("2020-01-02T03:04:05Z").unwrap();
    let _h = leptos::mount::mount_to(root.clone(), move || {
        provide_context(AppCtx::new(Config::default()));
        let none: Option<Timestamp> = None;
        view! { <RelTime at=Some(at) /> <RelTime at=none /> }
    });
    settle().await;
    let t = root.query_selector("time").unwrap().unwrap();
    assert!(t.text_content().unwrap().ends_with("ago"));
    assert_eq!(
        t.get_attribute("title").as_deref(),
        Some("2020-01-02 03:04:05 UTC")
    );
    assert!(
        root.text_content().unwrap().contains('—'),
        "a missing time shows a dash"
    );
}

/// The request discipline every loading view shares: a newer request aborts
/// the one in flight and the older answer is dropped; the view's cleanup
/// aborts what is left and drops its answer too.
#[wasm_bindgen_test]
fn a_newer_request_aborts_the_older_and_a_gone_view_drops_its_answer() {
    use scale_jobs_app::request::RequestSlot;
    let owner = Owner::new();
    let (slot, t3, s3) = owner.with(|| {
        let slot = RequestSlot::new();
        let (t1, s1) = slot.start();
        assert!(slot.loading.get_untracked());
        let (t2, s2) = slot.start();
        assert!(
            s1.expect("first signal").aborted(),
            "the older request is aborted"
        );
        let s2 = s2.expect("second signal");
        assert!(!s2.aborted());
        assert!(!slot.finish(t1), "the older answer is dropped");
        assert!(
            slot.loading.get_untracked(),
            "the newer request is still loading"
        );
        assert!(slot.finish(t2));
        assert!(!slot.loading.get_untracked());
        assert!(
            !s2.aborted(),
            "a finished request is not aborted afterwards"
        );
        let (t3, s3) = slot.start();
        (slot, t3, s3.expect("third signal"))
    });
    owner.cleanup();
    assert!(s3.aborted(), "cleanup aborts the request in flight");
    assert!(!slot.finish(t3), "an answer for a gone view is dropped");
}

#[wasm_bindgen_test]
fn the_time_walker_rewrites_exact_times_only_when_the_zone_changes() {
    let root = container();
    let t: chrono::DateTime<chrono::Utc> = "2026-11-29T06:53:57Z".parse().unwrap();
    // A list row as the list page writes it: its times are spans.
    let mut row = String::new();
    row_html(
        &mut row,
        &JobRow {
            id: 1,
            created: Some(Timestamp(t)),
            ..Default::default()
        },
        &[Col::Created],
        &RowCtx {
            now: t,
            offset: &|_| None,
        },
    );
    root.set_inner_html(&format!(
        "{}{row}",
        concat!(
            r#"<time datetime="2026-11-29T06:53:57Z" data-t="rel" title="x">x</time>"#,
            r#"<time datetime="2026-11-29T06:53:57Z" data-t="exact" title="x">x</time>"#,
            r#"<span data-since="2026-11-29T06:00:00Z" data-prefix="" data-suffix=" …">x</span>"#,
        )
    ));
    let find = |s: &str| root.query_selector(s).unwrap().unwrap();
    let (rel, exact, since, in_row) = (
        find("time[data-t='rel']"),
        find("[data-t='exact']"),
        find("[data-since]"),
        find("[role=row] [data-datetime]"),
    );
    let read = |el: &web_sys::Element| (el.text_content().unwrap(), el.get_attribute("title"));
    assert_eq!(
        read(&in_row),
        ("just now".into(), Some("2026-11-29 06:53:57 UTC".into()))
    );
    let utc = "2026-11-29 06:53:57 UTC".to_string();

    refresh_times(
        &root,
        t + chrono::Duration::hours(1),
        TimeZoneChoice::Utc,
        true,
    );
    assert_eq!(read(&rel), ("1 h ago".into(), Some(utc.clone())));
    assert_eq!(read(&in_row), read(&rel));
    assert_eq!(read(&exact), (utc.clone(), Some("1 h ago".into())));
    assert_eq!(since.text_content().unwrap(), "1 h 53 min …");

    // A tick: what is relative follows the clock; the exact parts stay.
    let later = t + chrono::Duration::hours(3);
    refresh_times(&root, later, TimeZoneChoice::Local, false);
    assert_eq!(read(&rel), ("3 h ago".into(), Some(utc.clone())));
    assert_eq!(read(&in_row), read(&rel));
    assert_eq!(read(&exact), (utc.clone(), Some("3 h ago".into())));
    assert_eq!(since.text_content().unwrap(), "3 h 53 min …");

    // A new zone: the exact parts follow it.
    refresh_times(&root, later, TimeZoneChoice::Local, true);
    let local = exact_time(t, AppCtx::offset_for(TimeZoneChoice::Local, t));
    assert_ne!(local, utc);
    assert_eq!(read(&rel), ("3 h ago".into(), Some(local.clone())));
    assert_eq!(read(&in_row), read(&rel));
    assert_eq!(read(&exact), (local, Some("3 h ago".into())));
    root.remove();
}

/// A host name in a narrow executions cell wraps only after its dots, as
/// the stylesheet's `.wbr` spans allow (`style/main.css`, loaded here as
/// the console loads it), and what a reader copies is the name itself:
/// the break opportunities are generated content, not text.
#[wasm_bindgen_test]
fn host_names_wrap_after_their_dots_and_copy_whole() {
    let doc = web_sys::window().unwrap().document().unwrap();
    // Taken out again however the test ends: the page is the other
    // tests' too.
    struct Sheet(web_sys::Element);
    impl Drop for Sheet {
        fn drop(&mut self) {
            self.0.remove();
        }
    }
    let style = Sheet(doc.create_element("style").unwrap());
    style
        .0
        .set_text_content(Some(include_str!("../../style/main.css")));
    doc.head().unwrap().append_child(&style.0).unwrap();
    let host = "scale-agent-06.prod.example.com";
    let mut row = String::new();
    row_html(
        &mut row,
        &JobRow {
            id: 1,
            node: Some(scale_jobs_shared::Node {
                id: 1,
                hostname: Some(host.into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        &[Col::Node],
        &RowCtx {
            now: chrono::Utc::now(),
            offset: &|_| None,
        },
    );
    let root = container();
    // Narrower than the name, and breaking anywhere as the tables' cells
    // do: without the spans the name splits mid-word.
    root.set_attribute(
        "style",
        "width: 9em; font: 16px sans-serif; overflow-wrap: anywhere",
    )
    .unwrap();
    root.set_inner_html(&row);
    let cell = root.query_selector("[role=cell]").unwrap().unwrap();
    // The text as laid out, a `|` where a line ends.
    let lines = js_sys::Function::new_with_args(
        "el",
        "const r = document.createRange(); let s = '', top = null;
         const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
         for (let n; (n = walk.nextNode()); ) for (let i = 0; i < n.length; i++) {
           r.setStart(n, i); r.setEnd(n, i + 1);
           const t = Math.round(r.getClientRects()[0].top);
           if (top !== null && t !== top) s += '|';
           s += n.data[i]; top = t;
         }
         return s;",
    )
    .call1(&wasm_bindgen::JsValue::NULL, &cell)
    .unwrap()
    .as_string()
    .unwrap();
    let parts: Vec<&str> = lines.split('|').collect();
    assert!(parts.len() > 1, "the name did not wrap: {lines}");
    for line in &parts[..parts.len() - 1] {
        assert!(line.ends_with('.'), "a line ends inside a label: {lines}");
    }
    assert_eq!(parts.concat(), host);
    assert_eq!(cell.text_content().unwrap(), host);
    let copied = js_sys::Function::new_with_args(
        "el",
        "const s = getSelection(); s.selectAllChildren(el);
         const t = s.toString(); s.removeAllRanges(); return t;",
    )
    .call1(&wasm_bindgen::JsValue::NULL, &cell)
    .unwrap()
    .as_string()
    .unwrap();
    assert_eq!(copied, host);
    root.remove();
}
