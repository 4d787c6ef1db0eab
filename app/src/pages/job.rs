//! `/jobs/:id`: one job.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn JobPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    view! {
        <section class="page">
            <h1>{move || format!("Job {}", id())}</h1>
        </section>
    }
}
