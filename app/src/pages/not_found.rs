use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="page">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address."</p>
            <p><a href="/jobs">"Go to the jobs list"</a></p>
        </section>
    }
}
