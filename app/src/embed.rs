//! Embeddable widgets: `<scale-jobs-table>`, `<scale-job-status>` and
//! `<scale-job-counts>` (defined by `embed.js`, which calls
//! [`mount_widget`]), and the iframe routes `/embed/jobs` and
//! `/embed/jobs/{id}` ([`EmbedApp`]).
//!
//! They ship as their own bundle (`src/bin/scale-jobs-embed.rs`, which
//! exports [`mount_widget`] to JavaScript and calls [`start`]): a portal page
//! loads the widgets without the console's pages and router, and the
//! console's bundle carries no widget code.
//!
//! Each widget mounts into its own shadow root with its own stylesheet, and
//! owns its timers and requests: unmounting it stops both. A bad option or
//! an unreachable API is shown as a small message inside the widget; nothing
//! is thrown into the host page.

use crate::api::{self, ApiError};
use crate::components::status::StatusBadge;
use crate::components::time::{RelTime, Since};
use crate::config::Config;
use crate::context::AppCtx;
use crate::logic::format::format_duration_secs;
use crate::logic::links::safe_href;
use crate::logic::listing::ListKind;
use crate::logic::pagination::{group_thousands, page_count};
use crate::logic::sort::{aria_sort, toggle_sort};
use crate::request::{every_second, RequestSlot};
use leptos::prelude::*;
use scale_jobs_shared::{
    job_url, jobs_url, sort_fields as sf, with_query, JobDetails, JobRow, JobStatus, JobsQuery,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const WIDGET_CSS: &str = include_str!("../../style/widgets.css");

/// What a widget is told by its attributes or by `ScaleJobs.mount`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WidgetOptions {
    pub api_base: String,
    pub query: String,
    pub refresh_seconds: u32,
    pub link_base: Option<String>,
    pub job_id: Option<String>,
    pub transparent: bool,
    /// Open links in the top window (inside an iframe).
    pub link_target: Option<String>,
}

impl WidgetOptions {
    fn from_js(v: &JsValue) -> WidgetOptions {
        let get = |k: &str| {
            js_sys::Reflect::get(v, &JsValue::from_str(k))
                .ok()
                .filter(|x| !x.is_undefined() && !x.is_null())
        };
        let text = |k: &str| {
            get(k).and_then(|x| x.as_string().or_else(|| x.as_f64().map(|n| n.to_string())))
        };
        let api_base = text("apiBase")
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| Config::default().api_base);
        WidgetOptions {
            api_base,
            query: text("query").unwrap_or_default(),
            refresh_seconds: text("refreshSeconds")
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(30),
            link_base: text("linkBase").filter(|s| !s.trim().is_empty()),
            job_id: text("jobId"),
            transparent: get("transparent").map(|x| x.is_truthy()).unwrap_or(false),
            link_target: None,
        }
    }

    /// A link into the console, if `link_base` is a safe URL.
    fn link(&self, suffix: &str) -> Option<String> {
        let base = self.link_base.as_deref()?;
        let url = format!("{base}{suffix}");
        (safe_href(&url).is_some() || (url.starts_with('/') && !url.starts_with("//")))
            .then_some(url)
    }
}

/// Which widget.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WidgetKind {
    Table,
    Status,
    Counts,
}

impl WidgetKind {
    fn parse(s: &str) -> Option<WidgetKind> {
        match s {
            "table" | "jobs-table" | "scale-jobs-table" => Some(WidgetKind::Table),
            "status" | "job-status" | "scale-job-status" => Some(WidgetKind::Status),
            "counts" | "job-counts" | "scale-job-counts" => Some(WidgetKind::Counts),
            _ => None,
        }
    }
}

/// A mounted widget; `update` changes its options, `unmount` removes it
/// and stops its timers and requests (so does dropping it).
pub struct WidgetHandle {
    options: Option<RwSignal<WidgetOptions>>,
    unmount: Option<Box<dyn std::any::Any>>,
    owner: Option<Owner>,
}

impl WidgetHandle {
    pub fn update(&self, options: JsValue) {
        if let Some(sig) = self.options {
            let new = WidgetOptions::from_js(&options);
            if sig.try_get_untracked().is_some_and(|o| o != new) {
                sig.set(new);
            }
        }
    }

    pub fn unmount(&mut self) {
        // Dropping the mount removes the DOM; dropping the owner runs every
        // cleanup (intervals cleared, requests aborted).
        self.unmount.take();
        self.options.take();
        if let Some(o) = self.owner.take() {
            o.cleanup();
        }
    }
}

/// Starts the widgets' bundle. Loaded by `embed.js` into a portal page, it
/// waits for [`mount_widget`] calls; loaded by `frame.js` (the page of the
/// iframe routes) it mounts [`EmbedApp`].
pub fn start() {
    let for_portal = js_sys::Reflect::get(&js_sys::global(), &"__scaleJobsEmbed".into())
        .is_ok_and(|v| v.is_truthy());
    if for_portal {
        // The portal's page is not ours: a panic is logged, and only the
        // widget it happened in stops; no banner goes into the host's body.
        console_error_panic_hook::set_once();
        return;
    }
    crate::install_panic_hook();
    // Leptos' executor is set up by `mount`; this first task runs before it.
    wasm_bindgen_futures::spawn_local(async {
        let (config, _warning) = crate::config::load().await;
        leptos::mount::mount_to_body(move || view! { <EmbedApp config=config.clone() /> });
    });
}

/// Mounts a widget into a shadow root. Called by `embed.js`, through the
/// widgets' bundle's export.
pub fn mount_widget(
    root: web_sys::ShadowRoot,
    widget: &str,
    options: JsValue,
) -> Result<WidgetHandle, JsValue> {
    let kind = WidgetKind::parse(widget)
        .ok_or_else(|| JsValue::from_str(&format!("unknown widget {widget:?}")))?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    // Start clean (a re-mount into the same root).
    root.set_inner_html("");
    let style = doc.create_element("style")?;
    style.set_text_content(Some(WIDGET_CSS));
    root.append_child(&style)?;
    let host: web_sys::HtmlElement = doc.create_element("div")?.unchecked_into();
    root.append_child(&host)?;

    let owner = Owner::new();
    let opts = WidgetOptions::from_js(&options);
    let sig = owner.with(|| RwSignal::new(opts));
    let mount = owner.with(|| {
        leptos::mount::mount_to(host, move || {
            provide_context(AppCtx::new(Config {
                api_base: sig.with_untracked(|o| o.api_base.clone()),
                refresh_seconds: 30,
            }));
            view! { <Widget kind options=sig /> }
        })
    });
    Ok(WidgetHandle {
        options: Some(sig),
        unmount: Some(Box::new(mount)),
        owner: Some(owner),
    })
}

#[component]
fn Widget(kind: WidgetKind, options: RwSignal<WidgetOptions>) -> impl IntoView {
    let class = move || {
        if options.with(|o| o.transparent) {
            "w transparent"
        } else {
            "w"
        }
    };
    view! {
        <div class=class>
            {match kind {
                WidgetKind::Table => view! { <JobsTableWidget options /> }.into_any(),
                WidgetKind::Status => view! { <JobStatusWidget options /> }.into_any(),
                WidgetKind::Counts => view! { <JobCountsWidget options /> }.into_any(),
            }}
        </div>
    }
}

/// A repeating loader shared by the widgets: fetches on option changes and
/// every `refresh_seconds` (never overlapping, never while the tab is
/// hidden), aborting and ignoring superseded requests.
fn use_polled<T: Clone + Send + Sync + 'static, F, Fut>(
    key: Memo<Option<(String, u32)>>,
    fetch: F,
    keep_polling: impl Fn(&T) -> bool + Copy + 'static,
) -> (RwSignal<Option<T>>, RwSignal<Option<ApiError>>)
where
    F: Fn(String, Option<web_sys::AbortSignal>) -> Fut + Copy + 'static,
    Fut: std::future::Future<Output = Result<T, ApiError>> + 'static,
{
    let data: RwSignal<Option<T>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let slot = RequestSlot::new();
    let loaded_at: RwSignal<Option<f64>> = RwSignal::new(None);
    let load = move |url: String| {
        let (ticket, signal) = slot.start();
        leptos::task::spawn_local(async move {
            let r = fetch(url, signal).await;
            if !slot.finish(ticket) {
                return;
            }
            loaded_at.set(Some(api::now_ms()));
            match r {
                Ok(v) => {
                    error.set(None);
                    data.set(Some(v));
                }
                Err(ApiError::Aborted) => {}
                Err(e) => error.set(Some(e)),
            }
        });
    };
    Effect::new(move |_| {
        if let Some((url, _)) = key.get() {
            load(url);
        }
    });
    every_second(move || {
        let Some((url, every)) = key.get_untracked() else {
            return;
        };
        if every == 0 || slot.loading.get_untracked() {
            return;
        }
        let hidden = api::tab_hidden();
        let live = data.with_untracked(|d| d.as_ref().is_none_or(keep_polling));
        if hidden || !live {
            return;
        }
        if loaded_at
            .get_untracked()
            .is_some_and(|at| api::now_ms() - at >= f64::from(every) * 1000.0)
        {
            load(url);
        }
    });
    (data, error)
}

#[component]
fn WidgetError(#[prop(into)] message: String) -> impl IntoView {
    view! { <div class="err" role="alert">{message}</div> }
}

fn error_text(e: &ApiError, api_base: &str) -> String {
    match e {
        ApiError::Network(_) => format!(
            "Could not reach the job API at {api_base} (offline, wrong api-base, or the API does not allow this site: CORS)."
        ),
        other => format!("{} — {}", other.title(), other.detail()),
    }
}

#[component]
fn JobsTableWidget(options: RwSignal<WidgetOptions>) -> impl IntoView {
    // The widget's own view state: the query from its attribute, then
    // the user's paging and sorting on top.
    let base_query = Memo::new(move |_| options.with(|o| JobsQuery::parse_lenient(&o.query)));
    let page = RwSignal::new(1u32);
    let order: RwSignal<Option<Vec<scale_jobs_shared::SortOrder>>> = RwSignal::new(None);
    // A new query attribute starts over.
    Effect::new(move |_| {
        base_query.track();
        page.set(1);
        order.set(None);
    });
    let query = Memo::new(move |_| {
        let mut q = base_query.with(|(q, _)| q.clone());
        q.page = page.get();
        if let Some(o) = order.get() {
            q.order = o;
        }
        q
    });
    let key = Memo::new(move |_| {
        let (base, every) = options.with(|o| (o.api_base.clone(), o.refresh_seconds));
        Some((ListKind::Jobs.api_url(&base, &query.get()), every))
    });
    let (data, error) = use_polled(
        key,
        |url, signal| async move { api::get_rows(&url, signal.as_ref()).await },
        |_| true,
    );
    let effective = Memo::new(move |_| query.with(|q| ListKind::Jobs.effective_order(q)));
    let pages = move || {
        data.with(|d| {
            d.as_ref()
                .map(|p| page_count(p.count, query.with(|q| q.page_size)))
                .unwrap_or(1)
        })
    };
    let header = move |label: &'static str, field: &'static str| {
        view! {
            <th scope="col" aria-sort=move || effective.with(|o| aria_sort(o, field))>
                <button type="button" class="sort" on:click=move |ev| {
                    let cur = order.get_untracked().unwrap_or_else(|| base_query.with_untracked(|(q, _)| q.order.clone()));
                    order.set(Some(toggle_sort(&cur, field, ev.shift_key())));
                    page.set(1);
                }>
                    {label}
                    {move || match effective.with(|o| aria_sort(o, field)) {
                        "ascending" => " ▲",
                        "descending" => " ▼",
                        _ => "",
                    }}
                </button>
            </th>
        }
    };
    let bad_attr = move || {
        base_query.with(|(_, errs)| {
            errs.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        })
    };
    view! {
        <Show when=move || !bad_attr().is_empty()>
            <WidgetError message=Signal::derive(move || format!("Ignored part of the query attribute: {}", bad_attr())).get_untracked() />
        </Show>
        {move || error.get().map(|e| view! { <WidgetError message=error_text(&e, &options.with_untracked(|o| o.api_base.clone())) /> })}
        <table aria-label="Jobs">
            <thead>
                <tr>
                    {header("ID", sf::ID)}
                    {header("Job type", sf::JOB_TYPE_NAME)}
                    {header("Status", sf::STATUS)}
                    {header("Last modified", sf::LAST_MODIFIED)}
                    <th scope="col">"Duration"</th>
                </tr>
            </thead>
            <tbody>
                <For
                    // Never more rows than a page holds, whatever the server sent.
                    each=move || {
                        let size = query.with(|q| q.page_size as usize);
                        data.with(|d| d.as_ref().map(|p| p.results.iter().take(size).cloned().collect::<Vec<_>>()).unwrap_or_default())
                    }
                    key=|j: &JobRow| (j.id, j.last_modified)
                    children=move |j: JobRow| {
                        let link = options.with_untracked(|o| o.link(&j.id.to_string()).map(|l| (l, o.link_target.clone())));
                        let duration = match (j.started, j.ended) {
                            (Some(s), Some(e)) => format_duration_secs((e.0 - s.0).num_seconds()),
                            _ => String::new(),
                        };
                        view! {
                            <tr>
                                <td class="num">{match link {
                                    Some((href, target)) => view! { <a href=href target=target>{j.id}</a> }.into_any(),
                                    None => view! { <span>{j.id}</span> }.into_any(),
                                }}</td>
                                <td>{j.job_type_name()}</td>
                                <td><StatusBadge status=j.status.clone() /></td>
                                <td><RelTime at=j.last_modified /></td>
                                <td class="num">{duration}</td>
                            </tr>
                        }
                    }
                />
            </tbody>
        </table>
        <div class="bar">
            <button type="button" aria-label="Previous page" disabled=move || { page.get() <= 1 } on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))>"‹"</button>
            <span>{move || format!("Page {} of {}", page.get(), pages())}</span>
            <button type="button" aria-label="Next page" disabled=move || { page.get() >= pages() } on:click=move |_| page.update(|p| *p += 1)>"›"</button>
            <span class="muted">{move || data.with(|d| d.as_ref().map(|p| format!("{} jobs", group_thousands(p.count))).unwrap_or_default())}</span>
        </div>
    }
}

#[component]
fn JobStatusWidget(options: RwSignal<WidgetOptions>) -> impl IntoView {
    let id = Memo::new(move |_| {
        options.with(|o| {
            o.job_id
                .clone()
                .unwrap_or_default()
                .trim()
                .parse::<i64>()
                .ok()
        })
    });
    let key = Memo::new(move |_| {
        let (base, every) = options.with(|o| (o.api_base.clone(), o.refresh_seconds.max(1)));
        id.get().map(|id| (job_url(&base, id), every))
    });
    let (data, error) = use_polled(
        key,
        |url, signal| async move { api::get_json::<JobDetails>(&url, signal.as_ref()).await },
        // Refreshes until the job is final.
        |d: &JobDetails| d.job.status.as_ref().is_none_or(|s| !s.is_final()),
    );
    view! {
        {move || id.get().is_none().then(|| {
            let raw = options.with(|o| o.job_id.clone().unwrap_or_default());
            view! { <WidgetError message=format!("job-id {raw:?} is not a job id (a whole number).") /> }
        })}
        {move || error.get().map(|e| view! { <WidgetError message=error_text(&e, &options.with_untracked(|o| o.api_base.clone())) /> })}
        {move || data.get().map(|d| {
            let j = d.job;
            let link = options.with_untracked(|o| o.link(&j.id.to_string()).map(|l| (l, o.link_target.clone())));
            let duration = match (j.started, j.ended) {
                (Some(s), Some(e)) => Some(format_duration_secs((e.0 - s.0).num_seconds()).into_any()),
                (Some(s), None) if j.status == Some(JobStatus::Running) => Some(view! { <Since since=s.0 suffix=" so far" /> }.into_any()),
                _ => None,
            };
            let error_title = j.error.as_ref().and_then(|e| e.title.clone().or(e.name.clone()));
            view! {
                <div class="status-card">
                    <span class="title">{match link {
                        Some((href, target)) => view! { <a href=href target=target>{format!("Job {}", j.id)}</a> }.into_any(),
                        None => view! { <span>{format!("Job {}", j.id)}</span> }.into_any(),
                    }}</span>
                    <span>{j.job_type_name()}</span>
                    <StatusBadge status=j.status.clone() />
                    <span class="muted">{duration}</span>
                    {error_title.map(|t| view! { <span class="err-title">{t}</span> })}
                </div>
            }
        })}
    }
}

#[component]
fn JobCountsWidget(options: RwSignal<WidgetOptions>) -> impl IntoView {
    let base_query = Memo::new(move |_| options.with(|o| JobsQuery::parse_lenient(&o.query).0));
    let key = Memo::new(move |_| {
        let (base, every) = options.with(|o| (o.api_base.clone(), o.refresh_seconds));
        // The key carries the query so a change of it refetches.
        Some((
            format!("{base}\u{1}{}", base_query.with(|q| q.to_query_string())),
            every,
        ))
    });
    let (data, error) = use_polled(
        key,
        move |k, signal| async move {
            let (base, qs) = k.split_once('\u{1}').unwrap_or((&k, ""));
            let (q, _) = JobsQuery::parse_lenient(qs);
            // One small request per status: page_size=1 and read `count`.
            let mut out = Vec::with_capacity(JobStatus::ALL.len());
            for s in JobStatus::ALL {
                let mut sq = q.clone();
                sq.status = vec![s.clone()];
                sq.page = 1;
                sq.page_size = 1;
                let url = with_query(jobs_url(base), &sq.to_query_string());
                let page = api::get_rows(&url, signal.as_ref()).await?;
                out.push((s, page.count));
            }
            Ok(out)
        },
        |_| true,
    );
    view! {
        {move || error.get().map(|e| view! { <WidgetError message=error_text(&e, &options.with_untracked(|o| o.api_base.clone())) /> })}
        <ul class="counts" aria-label="Jobs by status">
            {move || data.get().unwrap_or_default().into_iter().map(|(s, n)| {
                let (icon, modifier) = crate::components::status::status_look(&s);
                let label = s.label().to_string();
                let link = options.with(|o| {
                    let mut q = base_query.get();
                    q.status = vec![s.clone()];
                    q.page = 1;
                    o.link(&format!("?{}", q.to_query_string())).map(|l| (l, o.link_target.clone()))
                });
                let inner = view! {
                    <span class="n">{group_thousands(n)}</span>
                    <span><span aria-hidden="true">{icon}" "</span>{label.clone()}</span>
                };
                view! {
                    <li class=format!("status-{modifier}")>
                        {match link {
                            Some((href, target)) => view! { <a href=href target=target aria-label=format!("{label}: {n} jobs")>{inner}</a> }.into_any(),
                            None => inner.into_any(),
                        }}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// The iframe routes: the same widgets without the console's chrome.
/// `/embed/jobs?<query>` and `/embed/jobs/{id}`; `background=transparent`
/// drops the background. The frame's height is posted to the parent
/// (`{type: "scale-jobs:resize", height}`) so it can size itself.
#[component]
pub fn EmbedApp(config: Config) -> impl IntoView {
    let app = AppCtx::new(config.clone());
    provide_context(app);
    let loc = web_sys::window().map(|w| w.location());
    let path = loc
        .as_ref()
        .and_then(|l| l.pathname().ok())
        .unwrap_or_default();
    let search = loc
        .as_ref()
        .and_then(|l| l.search().ok())
        .unwrap_or_default();
    let transparent = search.contains("background=transparent");
    let job_id = path
        .strip_prefix("/embed/jobs/")
        .map(|s| s.trim_end_matches('/').to_string())
        .filter(|s| !s.is_empty());
    let opts = WidgetOptions {
        api_base: config.api_base.clone(),
        query: search.trim_start_matches('?').to_string(),
        refresh_seconds: config.refresh_seconds,
        link_base: Some("/jobs/".to_string()),
        job_id: job_id.clone(),
        transparent,
        link_target: Some("_top".to_string()),
    };
    if transparent {
        if let Some(b) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.body())
        {
            let _ = b.set_attribute("style", "background: transparent");
        }
    }
    post_height_on_resize();
    let options = RwSignal::new(opts);
    let kind = if job_id.is_some() {
        WidgetKind::Status
    } else {
        WidgetKind::Table
    };
    view! {
        <style>{WIDGET_CSS}</style>
        <main class="embed"><Widget kind options /></main>
    }
}

/// Tells the parent window the content height whenever it changes.
fn post_height_on_resize() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(doc_el) = window.document().and_then(|d| d.document_element()) else {
        return;
    };
    let last = std::rc::Rc::new(std::cell::Cell::new(-1i32));
    let cb = Closure::<dyn FnMut()>::new(move || {
        let Some(w) = web_sys::window() else { return };
        let Some(el) = w.document().and_then(|d| d.document_element()) else {
            return;
        };
        let h = el.scroll_height();
        if h != last.get() {
            last.set(h);
            if let Ok(Some(parent)) = w.parent() {
                let msg = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&msg, &"type".into(), &"scale-jobs:resize".into());
                let _ = js_sys::Reflect::set(&msg, &"height".into(), &JsValue::from(h));
                let _ = parent.post_message(&msg, "*");
            }
        }
    });
    // A ResizeObserver on the root sees every layout change of the content.
    if let Ok(ro) = web_sys::ResizeObserver::new(cb.as_ref().unchecked_ref()) {
        ro.observe(&doc_el);
        std::mem::forget(ro);
    }
    cb.forget();
}
