//! Times: relative ("3 min ago") with the exact time on hover, in UTC or
//! local time as the user chose.

use crate::context::{use_app, AppCtx};
use crate::logic::format::{
    exact_time, format_duration_secs, relative_time, rfc3339, TimeZoneChoice,
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use scale_jobs_shared::Timestamp;
use wasm_bindgen::JsCast;

// Why times render once and are then updated by `refresh_times`: a cell
// that subscribed to the app-wide clock signal would stay subscribed after
// its row is gone (the reactive graph keeps dead subscribers of a live
// signal), so a list that changes pages all day would leak memory with
// every page. One updater walking the DOM on each tick has no such cost.

/// A relative time ("3 min ago") with the exact time on hover.
#[component]
pub fn RelTime(#[prop(into)] at: Option<Timestamp>) -> impl IntoView {
    let app = use_app();
    match at {
        None => view! { <span class="muted">"—"</span> }.into_any(),
        Some(t) => {
            let t = t.0;
            let title = exact_time(t, AppCtx::offset_for(app.tz.get_untracked(), t));
            let text = relative_time(t, Utc::now());
            view! { <time datetime=rfc3339(t) data-t="rel" title=title>{text}</time> }.into_any()
        }
    }
}

/// An exact time in the chosen zone, with the relative time on hover.
#[component]
pub fn ExactTime(#[prop(into)] at: Option<Timestamp>) -> impl IntoView {
    let app = use_app();
    match at {
        None => view! { <span class="muted">"—"</span> }.into_any(),
        Some(t) => {
            let t = t.0;
            let text = exact_time(t, AppCtx::offset_for(app.tz.get_untracked(), t));
            let title = relative_time(t, Utc::now());
            view! { <time datetime=rfc3339(t) data-t="exact" title=title>{text}</time> }.into_any()
        }
    }
}

/// A length of time still growing ("3 min 20 s …" for a running job): the
/// time since `since`, with a prefix and suffix, kept current by
/// [`refresh_times`].
#[component]
pub fn Since(
    since: DateTime<Utc>,
    #[prop(optional, into)] prefix: String,
    #[prop(optional, into)] suffix: String,
) -> impl IntoView {
    let text = format!(
        "{prefix}{}{suffix}",
        format_duration_secs((Utc::now() - since).num_seconds())
    );
    view! {
        <span data-since=rfc3339(since) data-prefix=prefix data-suffix=suffix>{text}</span>
    }
}

/// Brings every time under `root` up to date with `now` and the chosen
/// zone: relative texts, exact texts and hover titles, and running
/// durations.
///
/// `zone_changed` says whether the zone changed since the last call (or
/// there was none). If not, exact times and the titles that show them are
/// still right, as every time is rendered in the zone of its day: only the
/// relative texts and titles are rewritten. On a 1000-row list that is
/// 2000 fewer attribute writes each tick.
pub fn refresh_times(
    root: &web_sys::Element,
    now: DateTime<Utc>,
    tz: TimeZoneChoice,
    zone_changed: bool,
) {
    let parse = |s: Option<String>| {
        s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|d| d.with_timezone(&Utc))
    };
    let set_text = |el: &web_sys::Element, text: &str| {
        if el.text_content().as_deref() != Some(text) {
            el.set_text_content(Some(text));
        }
    };
    // The list rows' times are spans (see `logic::rows`), relative, with
    // the instant in `data-datetime`; the components' are `<time>`s.
    for (selector, exact_shown) in [
        ("[data-t='rel'], [data-datetime]", false),
        ("[data-t='exact']", true),
    ] {
        for el in elements(root, selector) {
            let at = el
                .get_attribute("datetime")
                .or_else(|| el.get_attribute("data-datetime"));
            let Some(t) = parse(at) else {
                continue;
            };
            let rel = relative_time(t, now);
            if exact_shown {
                let _ = el.set_attribute("title", &rel);
            } else {
                set_text(&el, &rel);
            }
            if zone_changed {
                let exact = exact_time(t, AppCtx::offset_for(tz, t));
                if exact_shown {
                    set_text(&el, &exact);
                } else {
                    let _ = el.set_attribute("title", &exact);
                }
            }
        }
    }
    for el in elements(root, "[data-since]") {
        let Some(t) = parse(el.get_attribute("data-since")) else {
            continue;
        };
        let text = format!(
            "{}{}{}",
            el.get_attribute("data-prefix").unwrap_or_default(),
            format_duration_secs((now - t).num_seconds()),
            el.get_attribute("data-suffix").unwrap_or_default()
        );
        set_text(&el, &text);
    }
}

/// The elements under `root` that match `selector` (none if it is invalid).
fn elements(root: &web_sys::Element, selector: &str) -> Vec<web_sys::Element> {
    let Ok(list) = root.query_selector_all(selector) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<web_sys::Element>().ok())
        .collect()
}

/// Keeps the times under `root` current: on each tick of the app's clock
/// and on each change of the time zone. One effect for a whole page.
pub fn keep_times_current(root: impl Fn() -> Option<web_sys::Element> + 'static) {
    let app = use_app();
    Effect::new(move |last: Option<TimeZoneChoice>| {
        let (now, tz) = (app.now.get(), app.tz.get());
        if let Some(r) = root() {
            refresh_times(&r, now, tz, last != Some(tz));
        }
        tz
    });
}

/// The UTC / local switch.
#[component]
pub fn TimeZoneToggle() -> impl IntoView {
    let app = use_app();
    let is_local = move || app.tz.get() == TimeZoneChoice::Local;
    view! {
        <button
            type="button"
            class="tz-toggle"
            aria-pressed=move || if is_local() { "true" } else { "false" }
            title="Show times in UTC or in this browser's time zone"
            on:click=move |_| {
                app.set_tz(if is_local() { TimeZoneChoice::Utc } else { TimeZoneChoice::Local })
            }
        >
            {move || if is_local() { "Times: local" } else { "Times: UTC" }}
        </button>
    }
}
