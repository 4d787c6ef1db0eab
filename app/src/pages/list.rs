//! The three job lists (`/jobs`, `/jobs/executions`, `/jobs/updates`).
//!
//! The URL is the only state: filters, order, page and page size are read
//! from it and every control navigates to a new URL. Loading keeps the last
//! rows visible (dimmed); a newer request aborts the one in flight and a
//! stale answer is dropped; auto-refresh never overlaps a request and stops
//! while the tab is hidden.

use crate::api::{self, ApiError};
use crate::api::{now_ms, tab_hidden};
use crate::components::alert::ErrorAlert;
use crate::components::filters::FilterBar;
use crate::components::pager::Pager;
use crate::components::time::keep_times_current;
use crate::context::{use_app, AppCtx};
use crate::logic::format::format_duration_secs;
use crate::logic::listing::{type_choices, ListKind};
use crate::logic::rows::{row_html, Col, RowCtx};
use crate::logic::sort::{aria_sort, sort_state, toggle_sort};
use crate::request::{every_second, RequestSlot};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;
use scale_jobs_shared::{JobRow, JobsQuery, Page, Timestamp};
use std::collections::{BTreeSet, HashMap};
use wasm_bindgen::JsCast;

/// After this long a request counts as slow and says so.
const SLOW_MS: u32 = 400;

#[component]
pub fn ListPage(kind: ListKind) -> impl IntoView {
    let app = use_app();
    let location = use_location();
    let parsed = Memo::new(move |_| kind.parse_url_query(&location.search.get()));
    let query = Memo::new(move |_| parsed.with(|(q, _)| q.clone()));
    let url_errors = Memo::new(move |_| parsed.with(|(_, e)| e.clone()));

    let navigate = use_navigate();
    let go = Callback::new(move |q: JobsQuery| {
        navigate(&kind.href(&q), NavigateOptions::default());
    });

    // The last page received, and the query it answers.
    let data: RwSignal<Option<(JobsQuery, Page<JobRow>)>> = RwSignal::new(None);
    let error: RwSignal<Option<ApiError>> = RwSignal::new(None);
    let slot = RequestSlot::new();
    let loading = slot.loading;
    let slow = RwSignal::new(false);
    let loaded_at: RwSignal<Option<f64>> = RwSignal::new(None);
    let clock_ms = RwSignal::new(now_ms());
    let paused = RwSignal::new(false);
    // How many rows the server sent beyond the page size, if it did.
    let overflow: RwSignal<Option<usize>> = RwSignal::new(None);

    let tbody: NodeRef<leptos::html::Div> = NodeRef::new();
    // The view whose rows the table shows: rows of another view (the first
    // page, another page, order or filter) are held back from their first
    // frame below the fold (see `hold_back_rows`); a refresh of the same
    // view is not.
    let shown_view: StoredValue<Option<JobsQuery>> = StoredValue::new(None);
    // How many rows the window can show, read when the answer came, before
    // anything on the page changes for it (see `rows_on_screen`).
    let on_screen: StoredValue<Option<usize>> = StoredValue::new(None);

    let load = move |q: JobsQuery| {
        let (ticket, signal) = slot.start();
        let url = kind.api_url(&app.api_base(), &q);
        leptos::task::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(SLOW_MS).await;
            if slot.is_current(ticket) && loading.get_untracked() {
                slow.set(true);
            }
        });
        api::mark("scale:request");
        let request = api::get_rows(&url, signal.as_ref());
        leptos::task::spawn_local(async move {
            let result = request.await;
            // A newer request replaced this one (or the page is gone).
            if !slot.finish(ticket) {
                return;
            }
            set_changed(slow, false);
            match result {
                Ok(mut page) => {
                    // A server that sends more rows than a page holds would
                    // freeze the tab rendering them: show the page asked for
                    // and say what happened.
                    let asked = q.page_size as usize;
                    if page.results.len() > asked {
                        set_changed(overflow, Some(page.results.len()));
                        page.results.truncate(asked);
                    } else {
                        set_changed(overflow, None);
                    }
                    // Read now: reading the scroll position lays the page
                    // out first, which costs little while nothing on it
                    // has changed since its last frame (1.0-1.4 ms in a
                    // cold 1000-row load). After the pager, count and
                    // progress have changed for these rows (the effects
                    // below) it cost 3.8-4.3 ms; after a 1000-row insert,
                    // 470 ms.
                    // Only a new view with rows is held back; a refresh
                    // pays for no layout here.
                    let new_view = shown_view.with_value(|v| v.as_ref() != Some(&q));
                    on_screen.set_value(
                        (new_view && !page.results.is_empty())
                            .then(rows_on_screen)
                            .flatten(),
                    );
                    set_changed(error, None);
                    data.set(Some((q, page)));
                    loaded_at.set(Some(now_ms()));
                    // The frame the rows go into starts: they are in the
                    // DOM, not yet laid out or painted.
                    request_animation_frame(move || {
                        api::mark("scale:rows");
                        when_painted(move || {
                            // The rows are painted; the first mark after
                            // navigation start is "first rows painted".
                            api::mark("scale:painted");
                            // Rows held back from the first frame follow now.
                            // The page may be gone by now (left within the
                            // frame): a disposed NodeRef is no error here.
                            let released = tbody
                                .try_get_untracked()
                                .flatten()
                                .is_some_and(|t| release_rows(&t));
                            if released {
                                request_animation_frame(|| {
                                    when_painted(|| api::mark("scale:all-painted"))
                                });
                            }
                            // The filter suggestions, and the filter bar's
                            // redraw, wait until now (after the rows held
                            // back are let go): finding them in 1000 rows
                            // took 2-3 ms in a cold page, and learning them
                            // 2-3 ms more. From the rows shown now: a newer
                            // page's, if one came meanwhile, which its own
                            // answer learns too; none if the page is gone.
                            // The sets are the app's.
                            let choices = data
                                .try_with_untracked(|d| {
                                    d.as_ref().map(|(_, p)| type_choices(&p.results))
                                })
                                .flatten();
                            if let Some((names, categories)) = choices {
                                learn(app.seen_type_names, names);
                                learn(app.seen_categories, categories);
                            }
                        });
                    });
                }
                Err(ApiError::Aborted) => {}
                Err(e) => {
                    // Rows that answer another query would mislead: keep them
                    // only when this was a refresh of the same view.
                    if data.with_untracked(|d| d.as_ref().is_some_and(|(dq, _)| *dq != q)) {
                        data.set(None);
                    }
                    error.set(Some(e));
                }
            }
        });
    };

    // Each new URL loads its page, and becomes the detail page's way back.
    // While the router leaves for another page, the location changes before
    // this page is gone: that URL is not ours to load.
    let ours = move |p: &String| p.trim_end_matches('/') == kind.path();
    // The first page is asked for now, while the view below is still being
    // built, rather than by the effect's first run after the mount.
    let first = location.pathname.with_untracked(ours).then(|| {
        let q = query.get_untracked();
        app.last_list.set(Some(kind.href(&q)));
        load(q.clone());
        q
    });
    Effect::new(move |prev: Option<()>| {
        if !location.pathname.with(ours) {
            return;
        }
        let q = query.get();
        if prev.is_none() && first.as_ref() == Some(&q) {
            return;
        }
        app.last_list.set(Some(kind.href(&q)));
        load(q);
    });

    // One ticker drives "updated N s ago" and auto-refresh: a refresh only
    // starts when none is running, the tab is visible and it is not paused.
    let refresh_ms = f64::from(app.refresh_seconds()) * 1000.0;
    every_second(move || {
        let now = now_ms();
        clock_ms.set(now);
        if refresh_ms <= 0.0 || paused.get_untracked() || loading.get_untracked() || tab_hidden() {
            return;
        }
        if let Some(at) = loaded_at.get_untracked() {
            if now - at >= refresh_ms {
                load(query.get_untracked());
            }
        }
    });

    // Memos: a page with the count and length of the last one (a refresh,
    // most page changes) leaves the pager and its summary alone.
    let rows_on_page =
        Memo::new(move |_| data.with(|d| d.as_ref().map_or(0, |(_, p)| p.results.len())));
    let count = Memo::new(move |_| data.with(|d| d.as_ref().map(|(_, p)| p.count)));
    let page_no = Signal::derive(move || query.with(|q| q.page));
    let page_size = Signal::derive(move || query.with(|q| q.page_size));
    let effective_order = Memo::new(move |_| query.with(|q| kind.effective_order(q)));

    let table_wrap: NodeRef<leptos::html::Div> = NodeRef::new();
    keep_times_current(move || table_wrap.get().map(|d| d.into()));

    // The rows: built as HTML text and keyed by (id, last_modified), like a
    // keyed `<For>`, but without a reactive owner per row (see logic::rows).
    let shown: StoredValue<Vec<RowKey>, LocalStorage> = StoredValue::new_local(Vec::new());
    Effect::new(move |_| {
        let Some(tbody) = tbody.get() else {
            return;
        };
        let tz = app.tz.get_untracked();
        data.with(|d| {
            let Some((q, page)) = d else {
                shown.update_value(|shown| {
                    patch_rows(&tbody, shown, &[], kind, tz);
                });
                // Whatever comes next is a new view to the reader.
                shown_view.set_value(None);
                return;
            };
            let jobs = &page.results[..];
            let new_view = shown_view.with_value(|v| v.as_ref() != Some(q));
            let fit = (new_view && !jobs.is_empty())
                .then(|| on_screen.get_value())
                .flatten();
            let changed = shown.try_update_value(|shown| patch_rows(&tbody, shown, jobs, kind, tz));
            if new_view {
                shown_view.set_value(Some(q.clone()));
            }
            // Rows of a new view that are the same rows (a filter that
            // keeps them all) stay as they are, displayed.
            if let (Some(fit), Some(true)) = (fit, changed) {
                hold_back_rows(&tbody, jobs.len(), fit);
            }
        });
        api::mark("scale:dom");
    });

    let on_sort = move |field: &'static str, additive: bool| {
        api::mark("scale:click");
        let mut q = query.get_untracked();
        q.order = toggle_sort(&q.order, field, additive);
        go.run(q.first_page());
    };

    let retry = Callback::new(move |_| load(query.get_untracked()));
    let is_bad_page = move || {
        error.with(|e| matches!(e, Some(ApiError::Http { status: 404, .. })))
            && query.with(|q| q.page > 1)
    };

    let updated_text = move || match loaded_at.get() {
        None => String::new(),
        Some(at) => {
            let secs = ((clock_ms.get() - at) / 1000.0).max(0.0) as i64;
            format!("Updated {} ago", format_duration_secs(secs))
        }
    };

    let cols = Col::for_kind(kind);
    let headers = cols
        .iter()
        .map(|&col| {
            let (label, class) = (col.label(), col.class());
            match col.sort_field() {
                None => view! { <div role="columnheader" class=class>{label}</div> }.into_any(),
                Some(field) => {
                    let state = move || effective_order.with(|o| sort_state(o, field));
                    view! {
                        <div role="columnheader" class=class aria-sort=move || effective_order.with(|o| aria_sort(o, field))>
                            <button type="button" class="sort"
                                title="Click to sort; shift-click to add a further sort"
                                on:click=move |ev| on_sort(field, ev.shift_key())>
                                {label}
                                <span class="sort-ind" aria-hidden="true">
                                    {move || match state() {
                                        None => String::new(),
                                        Some((rank, desc)) => {
                                            let arrow = if desc { "▼" } else { "▲" };
                                            if effective_order.with(|o| o.len()) > 1 { format!("{arrow}{rank}") } else { arrow.to_string() }
                                        }
                                    }}
                                </span>
                            </button>
                        </div>
                    }
                    .into_any()
                }
            }
        })
        .collect_view();

    let noun = match kind {
        ListKind::Updates => "updates",
        _ => "jobs",
    };

    view! {
        <section class="page list-page">
            <div class="page-head">
                <h1>{kind.title()}</h1>
                <div class="refresh" aria-live="off">
                    <span class="muted small updated">{updated_text}</span>
                    {(refresh_ms > 0.0).then(|| view! {
                        <button type="button" class="btn btn-small" on:click=move |_| paused.update(|p| *p = !*p)
                            aria-pressed=move || paused.get().to_string()>
                            {move || if paused.get() { "Resume auto-refresh" } else { "Pause auto-refresh" }}
                        </button>
                    })}
                    <button type="button" class="btn btn-small" on:click=move |_| load(query.get_untracked())>"Refresh now"</button>
                </div>
            </div>
            <Show when=move || !url_errors.with(Vec::is_empty)>
                <div class="notice" role="status">
                    <p>"Parts of this address were not understood and were ignored:"</p>
                    <ul>
                        {move || url_errors.get().into_iter().map(|e| view! { <li><code>{format!("{}={}", e.param, e.value)}</code>": "{e.to_string()}</li> }).collect_view()}
                    </ul>
                    <button type="button" class="btn btn-small" on:click=move |_| go.run(query.get_untracked())>"Fix the address"</button>
                </div>
            </Show>
            <FilterBar kind query=query on_change=go />
            {move || overflow.get().map(|n| view! {
                <div class="notice" role="status">
                    {format!("The server sent {n} rows for a page of {}; only the first {} are shown.", page_size.get(), page_size.get())}
                </div>
            })}
            <ErrorAlert error=error on_retry=retry>
                <Show when=is_bad_page>
                    <button type="button" class="btn" on:click=move |_| {
                        let q = query.get_untracked();
                        go.run(q.first_page());
                    }>"Go to page 1"</button>
                </Show>
            </ErrorAlert>
            <div class="progress" role="status" aria-live="polite">
                <Show when=move || loading.get()>
                    <div class="progress-bar" aria-hidden="true"></div>
                </Show>
                <Show when=move || slow.get()>
                    <span class="small">"Loading… the server is taking a while."</span>
                </Show>
            </div>
            <Pager page=page_no page_size count rows_on_page
                on_page=Callback::new(move |n: u32| {
                    api::mark("scale:click"); let mut q = query.get_untracked(); q.page = n.max(1); go.run(q); })
                on_page_size=Callback::new(move |n: u32| { let mut q = query.get_untracked(); q.page_size = n; go.run(q.first_page()); })
                noun />
            // Focusable: a keyboard user must be able to scroll a wide table.
            <div class="table-wrap" tabindex="0" node_ref=table_wrap class:stale=move || loading.get() aria-busy=move || loading.get().to_string()>
                <div role="table" class=kind.table_class() aria-label=kind.title()>
                    <div role="rowgroup" class="thead"><div role="row">{headers}</div></div>
                    <div role="rowgroup" class="tbody" node_ref=tbody></div>
                </div>
            </div>
            <Show when=move || count.get() == Some(0) && error.with(Option::is_none)>
                <div class="empty">
                    <p>{format!("No {noun} match this view.")}</p>
                    <Show when=move || query.with(JobsQuery::has_filters)>
                        <button type="button" class="btn" on:click=move |_| go.run(query.get_untracked().without_filters())>
                            "Clear filters"
                        </button>
                    </Show>
                </div>
            </Show>
        </section>
    }
}

fn request_animation_frame(f: impl FnOnce() + 'static) {
    let cb = wasm_bindgen::closure::Closure::once_into_js(f);
    if let Some(w) = web_sys::window() {
        let _ = w.request_animation_frame(cb.unchecked_ref());
    }
}

/// Runs `f` once the frame whose animation callback calls this is laid
/// out and painted: a timer set in a frame's callback fires only then.
fn when_painted(f: impl FnOnce() + 'static) {
    leptos::task::spawn_local(async move {
        gloo_timers::future::TimeoutFuture::new(0).await;
        f();
    });
}

/// A view's first rows: only those that can be on screen go into the
/// frame that shows them; the rest stay out of its style and layout
/// (`display: none` by a rule on the `first-frame` class) until
/// [`release_rows`], once that frame is painted, and follow in the next.
/// The rows' frame costs most of the time from the answer (or the click)
/// to the rows painted, roughly in proportion to the rows it lays out.
/// Only for a window not scrolled, so that nothing below the fold can be
/// missed; and the columns have fixed widths (`style/main.css`), so rows
/// coming in cannot move those painted. Every row is in the DOM either way.
fn hold_back_rows(tbody: &web_sys::HtmlElement, rows: usize, fit: usize) {
    if rows <= fit {
        return;
    }
    let Some(doc) = tbody.owner_document() else {
        return;
    };
    let style = match doc.get_element_by_id("first-frame-rows") {
        Some(s) => s,
        None => {
            let Ok(s) = doc.create_element("style") else {
                return;
            };
            s.set_id("first-frame-rows");
            match doc.head() {
                Some(head) if head.append_child(&s).is_ok() => s,
                _ => return,
            }
        }
    };
    style.set_text_content(Some(&format!(
        ".tbody.first-frame > :nth-child(n+{}) {{ display: none; }}",
        fit + 1
    )));
    if tbody.class_list().add_1("first-frame").is_ok() {
        // For the bench: it waits for `scale:all-painted` after this.
        api::mark("scale:held");
    }
}

/// How many rows can be on screen at most, for [`hold_back_rows`]; `None`
/// when the page is scrolled (or the window says nothing).
fn rows_on_screen() -> Option<usize> {
    let window = web_sys::window()?;
    if window.scroll_y().ok()? != 0.0 {
        return None;
    }
    let height = window.inner_height().ok()?.as_f64()?;
    // No row is under 30 px high; one more for a partly visible last row.
    Some(((height / 30.0).ceil() as usize + 1).max(20))
}

/// Shows the rows [`hold_back_rows`] kept out of the first frame; whether
/// there were any.
fn release_rows(tbody: &web_sys::HtmlElement) -> bool {
    let held = tbody.class_list().contains("first-frame");
    if held {
        let _ = tbody.class_list().remove_1("first-frame");
    }
    held
}

/// Sets `signal` to `value`, and notifies only when that changes it: an
/// answer that leaves it as it was (no error before and none now) then
/// runs none of the effects that read it.
fn set_changed<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
    signal.maybe_update(|v| {
        let changed = *v != value;
        if changed {
            *v = value;
        }
        changed
    });
}

/// Adds the values not yet in `set`, and notifies only when there is one.
fn learn(set: RwSignal<BTreeSet<String>>, values: Vec<String>) {
    let new: Vec<String> =
        set.with_untracked(|s| values.into_iter().filter(|v| !s.contains(v)).collect());
    if !new.is_empty() {
        set.update(|s| s.extend(new));
    }
}

/// What identifies a row's content: a job changes only with `last_modified`.
type RowKey = (i64, Option<Timestamp>);

/// Makes `tbody` show `jobs`, reusing the row of every job whose key is
/// unchanged and building the others as HTML in one parse. Rows that stay
/// are not moved when they can stay put (a focused link in one keeps its
/// focus through an auto-refresh).
fn patch_rows(
    tbody: &web_sys::HtmlElement,
    shown: &mut Vec<RowKey>,
    jobs: &[JobRow],
    kind: ListKind,
    tz: crate::logic::format::TimeZoneChoice,
) -> bool {
    let keys: Vec<RowKey> = jobs.iter().map(|j| (j.id, j.last_modified)).collect();
    if *shown == keys {
        return false;
    }
    // The shown rows by key, as positions among tbody's children (which are
    // exactly those rows, in order). Positions rather than elements: a new
    // page then costs no call per row to fetch its row from the DOM; a
    // refresh that keeps rows pays that call once per kept or dropped row.
    let mut old: HashMap<RowKey, u32> = shown.iter().zip(0..).map(|(k, i)| (*k, i)).collect();
    let offset = |t| AppCtx::offset_for(tz, t);
    let cx = RowCtx {
        now: chrono::Utc::now(),
        offset: &offset,
    };
    let cols = Col::for_kind(kind);
    // About 850 bytes a jobs row: one allocation instead of a dozen
    // regrowths (the last, past 768 bytes a row, copied the whole text).
    let mut html = String::with_capacity(jobs.len() * 1024);
    let mut reused: Vec<Option<u32>> = Vec::with_capacity(jobs.len());
    for (job, key) in jobs.iter().zip(&keys) {
        // A key twice on one page (a server bug) gets a second row.
        match old.remove(key) {
            Some(at) => reused.push(Some(at)),
            None => {
                row_html(&mut html, job, cols, &cx);
                reused.push(None);
            }
        }
    }
    // Benchmarks tell the wasm's share of the build from the browser's.
    api::mark("scale:html");
    // Parsed apart from the page, then moved in: an `innerHTML` over a live
    // table of 1000 rows took twice as long (47 ms against 23 + 4), and on
    // a live `<div>` 27 against 20 + 3.
    let Some(fresh) = parse_rows(tbody, &html) else {
        return false;
    };
    if reused.iter().all(Option::is_none) {
        // A new page: nothing to keep, one move.
        let built = fresh.child_element_count() as usize;
        tbody.replace_children_with_node_1(&fresh);
        *shown = keys;
        shown.truncate(built);
        return true;
    }
    // Every element needed, fetched before anything moves: `children` is
    // live, and its positions shift with the first removal.
    let children = tbody.children();
    let kept: Vec<Option<web_sys::Element>> = reused
        .iter()
        .map(|at| at.and_then(|at| children.item(at)))
        .collect();
    let stale: Vec<web_sys::Element> = old.values().filter_map(|&at| children.item(at)).collect();
    for el in stale {
        el.remove();
    }
    // Also live: each row leaves the fragment as it goes in.
    let new_rows = fresh.children();
    let new_rows: Vec<web_sys::Element> = (0..new_rows.length())
        .filter_map(|i| new_rows.item(i))
        .collect();
    let mut fresh = new_rows.into_iter();
    shown.clear();
    let mut cursor = tbody.first_element_child();
    for ((key, at), el) in keys.into_iter().zip(reused).zip(kept) {
        let Some(el) = (if at.is_some() { el } else { fresh.next() }) else {
            continue;
        };
        if cursor.as_ref() == Some(&el) {
            cursor = el.next_element_sibling();
        } else {
            let _ = tbody.insert_before(&el, cursor.as_ref().map(|c| c.as_ref()));
        }
        shown.push(key);
    }
    // Anything after the last row placed is not ours any more.
    while let Some(c) = cursor {
        cursor = c.next_element_sibling();
        c.remove();
    }
    true
}

/// `html` (rows) parsed outside the document, as the content of a `<div>`.
///
/// Through `innerHTML` on a `<div>`: Chromium then parses it with its
/// fast-path fragment parser, which takes `div`, `span` and `a` (not table
/// elements, `<time>` or `<wbr>`; see `logic::rows`) and builds the nodes
/// without the HTML tokenizer and tree builder. A `<tbody>`'s rows, or
/// `createContextualFragment`, go through the full parser. In fresh tabs,
/// for the 1000 rows of a jobs page (throwaway page, medians of 8): 35-45
/// ms as `<tr>`s in a `<tbody>`, 16-20 ms as these rows. Any other markup
/// falls back to the full parser (`rows_stay_on_the_parsers_fast_path` in
/// `logic::rows` keeps the rows' tags to the fast path's).
fn parse_rows(tbody: &web_sys::HtmlElement, html: &str) -> Option<web_sys::DocumentFragment> {
    let doc = tbody.owner_document()?;
    let holder = doc.create_element("div").ok()?;
    holder.set_inner_html(html);
    let range = doc.create_range().ok()?;
    range.select_node_contents(&holder).ok()?;
    range.extract_contents().ok()
}
