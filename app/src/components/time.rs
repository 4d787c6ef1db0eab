//! Times: relative ("3 min ago") with the exact time on hover, in UTC or
//! local time as the user chose.

use crate::context::{use_app, AppCtx};
use crate::logic::format::{exact_time, relative_time, TimeZoneChoice};
use leptos::prelude::*;
use scale_jobs_shared::Timestamp;

#[component]
pub fn RelTime(#[prop(into)] at: Option<Timestamp>) -> impl IntoView {
    let app = use_app();
    match at {
        None => view! { <span class="muted">"—"</span> }.into_any(),
        Some(t) => {
            let t = t.0;
            let title = move || exact_time(t, AppCtx::offset_for(app.tz.get(), t));
            let text = move || relative_time(t, app.now.get());
            view! { <time datetime=t.to_rfc3339() title=title>{text}</time> }.into_any()
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
            let text = move || exact_time(t, AppCtx::offset_for(app.tz.get(), t));
            let title = move || relative_time(t, app.now.get());
            view! { <time datetime=t.to_rfc3339() title=title>{text}</time> }.into_any()
        }
    }
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
