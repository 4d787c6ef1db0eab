//! The filter bar. Every change produces a new query on page 1; the page
//! turns it into a URL, so the URL stays the only state.

use crate::context::{use_app, AppCtx};
use crate::logic::format::{from_datetime_local, to_datetime_local};
use crate::logic::listing::ListKind;
use leptos::prelude::*;
use scale_jobs_shared::{ErrorCategory, IsoDuration, JobStatus, JobsQuery, TimeBound};

/// Quick relative ranges, sent as ISO durations so a shared link keeps
/// meaning "the last day" whenever it is opened.
const QUICK_RANGES: [(&str, &str); 3] = [
    ("Last 1 h", "PT1H"),
    ("Last 24 h", "PT24H"),
    ("Last 7 d", "P7D"),
];

#[component]
pub fn FilterBar(
    kind: ListKind,
    #[prop(into)] query: Signal<JobsQuery>,
    #[prop(into)] on_change: Callback<JobsQuery>,
) -> impl IntoView {
    let app = use_app();
    // Every change of a filter goes back to page 1.
    let edit = move |f: &dyn Fn(&mut JobsQuery)| {
        let mut q = query.get_untracked();
        f(&mut q);
        on_change.run(q.first_page());
    };

    let status_boxes = JobStatus::ALL
        .into_iter()
        .map(|s| {
            let s2 = s.clone();
            let checked = move || query.with(|q| q.status.contains(&s2));
            let (icon, modifier) = crate::components::status::status_look(&s);
            let label = s.label().to_string();
            view! {
                <label class=format!("chip chip-status status-{modifier}")>
                    <input type="checkbox" prop:checked=checked on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        let s = s.clone();
                        edit(&move |q: &mut JobsQuery| {
                            q.status.retain(|x| *x != s);
                            if on {
                                q.status.push(s.clone());
                            }
                        });
                    } />
                    <span aria-hidden="true">{icon}</span>
                    " "
                    {label}
                </label>
            }
        })
        .collect_view();

    let error_boxes = ErrorCategory::ALL
        .into_iter()
        .map(|c| {
            let c2 = c.clone();
            let checked = move || query.with(|q| q.error_category.contains(&c2));
            let label = c.label().to_string();
            view! {
                <label class="chip">
                    <input type="checkbox" prop:checked=checked on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        let c = c.clone();
                        edit(&move |q: &mut JobsQuery| {
                            q.error_category.retain(|x| *x != c);
                            if on {
                                q.error_category.push(c.clone());
                            }
                        });
                    } />
                    {label}
                </label>
            }
        })
        .collect_view();

    // The From/To inputs are built only when asked for, or when the view
    // has a custom range: building and laying out Chromium's `datetime-local`
    // inputs delayed a cold page's first rows by about 15-35 ms (medians of
    // paired loads, `cargo xtask bench --compare`), and most views use a
    // quick range or none.
    let has_absolute = move || {
        query.with(|q| {
            matches!(q.started, Some(TimeBound::At(_))) || matches!(q.ended, Some(TimeBound::At(_)))
        })
    };
    // Whether they are shown. A custom range, however it came (a link,
    // Back), opens them and keeps them open: clearing From with the keyboard
    // in it must not take them away. A quick range, "Any time" or "Clear all
    // filters" closes them.
    let custom_open = RwSignal::new(untrack(has_absolute));
    Effect::new(move |_| {
        if has_absolute() {
            custom_open.set(true);
        }
    });

    let quick = QUICK_RANGES
        .into_iter()
        .map(|(label, dur)| {
            let pressed = move || {
                query.with(|q| matches!(&q.started, Some(TimeBound::Ago(d)) if d.to_string() == dur) && q.ended.is_none())
            };
            view! {
                <button type="button" class="btn btn-small" aria-pressed=move || pressed().to_string()
                    on:click=move |_| {
                        custom_open.set(false);
                        edit(&|q: &mut JobsQuery| {
                            q.started = IsoDuration::parse(dur).ok().map(TimeBound::Ago);
                            q.ended = None;
                        })
                    }>{label}</button>
            }
        })
        .collect_view();

    let bound_value = move |b: Option<TimeBound>| match b {
        Some(TimeBound::At(dt)) => {
            let t = dt.with_timezone(&chrono::Utc);
            to_datetime_local(t, AppCtx::offset_for(app.tz.get(), t))
        }
        _ => String::new(),
    };
    let set_bound = move |value: String, is_from: bool| {
        let offset = AppCtx::offset_for(app.tz.get_untracked(), app.now.get_untracked());
        let bound = from_datetime_local(&value, offset).map(TimeBound::at_utc);
        edit(&move |q: &mut JobsQuery| {
            if is_from {
                q.started = bound;
            } else {
                q.ended = bound;
            }
        });
    };
    let relative_note = move || {
        query.with(|q| match (&q.started, &q.ended) {
            (Some(TimeBound::Ago(d)), _) | (_, Some(TimeBound::Ago(d))) => {
                Some(format!("Relative range: {d} before now (ISO-8601)"))
            }
            _ => None,
        })
    };

    let custom_id = "custom-range";
    let from_input: NodeRef<leptos::html::Input> = NodeRef::new();

    view! {
        <form class="filters" on:submit=|ev| ev.prevent_default() aria-label="Filters">
            <fieldset class="filter-group">
                <legend>"Status"</legend>
                <div class="chips">{status_boxes}</div>
            </fieldset>
            <div class="filter-row">
                <ListFilter
                    label="Job type"
                    list_id="seen-job-types"
                    suggestions=Signal::derive(move || app.seen_type_names.get().into_iter().collect::<Vec<_>>())
                    values=Signal::derive(move || query.with(|q| q.job_type_name.clone()))
                    on_change=Callback::new(move |v: Vec<String>| edit(&move |q: &mut JobsQuery| q.job_type_name = v.clone()))
                />
                <ListFilter
                    label="Category"
                    list_id="seen-categories"
                    suggestions=Signal::derive(move || app.seen_categories.get().into_iter().collect::<Vec<_>>())
                    values=Signal::derive(move || query.with(|q| q.job_type_category.clone()))
                    on_change=Callback::new(move |v: Vec<String>| edit(&move |q: &mut JobsQuery| q.job_type_category = v.clone()))
                />
                {kind.has_job_and_error_filters().then(|| view! {
                    <fieldset class="filter-group">
                        <legend>"Error category"</legend>
                        <div class="chips">{error_boxes}</div>
                    </fieldset>
                })}
                <label class="chip">
                    <input type="checkbox" prop:checked=move || query.with(|q| q.include_superseded)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            edit(&move |q: &mut JobsQuery| q.include_superseded = on);
                        } />
                    "Include superseded"
                </label>
            </div>
            <fieldset class="filter-group time-range">
                <legend>"Last modified"</legend>
                <div class="filter-row">
                    <div class="quick" role="group" aria-label="Quick time ranges">
                        {quick}
                        <button type="button" class="btn btn-small"
                            aria-pressed=move || query.with(|q| q.started.is_none() && q.ended.is_none()).to_string()
                            on:click=move |_| { custom_open.set(false); edit(&|q: &mut JobsQuery| { q.started = None; q.ended = None; }) }>
                            "Any time"
                        </button>
                    </div>
                    <button type="button" class="btn btn-small" aria-controls=custom_id
                        aria-expanded=move || custom_open.get().to_string()
                        // While a custom range is set, its inputs stay: hiding
                        // them would hide an active filter.
                        hidden=has_absolute
                        on:click=move |_| {
                            let open = !custom_open.get_untracked();
                            custom_open.set(open);
                            if open {
                                // The inputs exist once the view has updated.
                                request_animation_frame(move || {
                                    // `try_`: the page may be gone by then.
                                    if let Some(el) = from_input.try_get_untracked().flatten() {
                                        let _ = el.focus();
                                    }
                                });
                            }
                        }>
                        "Custom range…"
                    </button>
                    <Show when=move || custom_open.get()>
                        <span class="custom-range" id=custom_id>
                            <label>
                                "From "
                                <input type="datetime-local" step="60" node_ref=from_input
                                    prop:value=move || bound_value(query.with(|q| q.started))
                                    on:change=move |ev| set_bound(event_target_value(&ev), true) />
                            </label>
                            <label>
                                "To "
                                <input type="datetime-local" step="60"
                                    prop:value=move || bound_value(query.with(|q| q.ended))
                                    on:change=move |ev| set_bound(event_target_value(&ev), false) />
                            </label>
                        </span>
                    </Show>
                    <span class="muted small">
                        {move || relative_note().unwrap_or_else(|| {
                            if app.tz.get() == crate::logic::format::TimeZoneChoice::Utc { "Times in UTC".to_string() } else { "Times in local time".to_string() }
                        })}
                    </span>
                </div>
            </fieldset>
            <Show when=move || query.with(JobsQuery::has_filters)>
                <button type="button" class="btn btn-link" on:click=move |_| {
                    custom_open.set(false);
                    on_change.run(query.get_untracked().without_filters())
                }>"Clear all filters"</button>
            </Show>
        </form>
    }
}

/// A free-text filter with suggestions that can hold several values (the
/// API ORs repeated parameters): type a value and press Enter to add it.
#[component]
fn ListFilter(
    label: &'static str,
    list_id: &'static str,
    #[prop(into)] suggestions: Signal<Vec<String>>,
    #[prop(into)] values: Signal<Vec<String>>,
    #[prop(into)] on_change: Callback<Vec<String>>,
) -> impl IntoView {
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    let add = move || {
        if let Some(el) = input.get() {
            let v = el.value().trim().to_string();
            if !v.is_empty() {
                let mut all = values.get_untracked();
                if !all.contains(&v) {
                    all.push(v);
                    on_change.run(all);
                }
                el.set_value("");
            }
        }
    };
    view! {
        <div class="list-filter">
            <label>
                {label} " "
                <input type="text" node_ref=input list=list_id autocomplete="off"
                    placeholder="type, then Enter"
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" {
                            ev.prevent_default();
                            add();
                        }
                    }
                    on:change=move |_| add() />
            </label>
            <datalist id=list_id>
                {move || suggestions.get().into_iter().map(|s| view! { <option value=s.clone()></option> }).collect_view()}
            </datalist>
            <For each=move || values.get() key=|v| v.clone() let:v>
                {
                    let v2 = v.clone();
                    view! {
                        <span class="chip chip-on">
                            {v.clone()}
                            <button type="button" class="chip-x" aria-label=format!("Remove {label} {v}")
                                on:click=move |_| {
                                    let mut all = values.get_untracked();
                                    all.retain(|x| *x != v2);
                                    on_change.run(all);
                                }>"×"</button>
                        </span>
                    }
                }
            </For>
        </div>
    }
}
