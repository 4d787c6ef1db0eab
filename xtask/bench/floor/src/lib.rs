//! The smallest console-shaped app: a router with two pages, one holding a
//! button, or with `fetch`, a list page of jobs read from the API. It is
//! measured, never served.

use leptos::prelude::*;
use leptos_router::{components::*, path};
use wasm_bindgen::prelude::*;

#[cfg(feature = "fetch")]
#[derive(serde::Deserialize, Clone)]
struct Row {
    id: i64,
    status: Option<String>,
    created: Option<chrono::DateTime<chrono::Utc>>,
}

#[cfg(feature = "fetch")]
#[derive(serde::Deserialize, Clone)]
struct Page {
    count: u64,
    results: Vec<Row>,
}

#[cfg(feature = "fetch")]
#[component]
fn Home() -> impl IntoView {
    let page = LocalResource::new(|| async {
        let answer = gloo_net::http::Request::get("/api/v5/jobs/")
            .send()
            .await
            .ok()?;
        answer.json::<Page>().await.ok()
    });
    view! {
        <p>{move || page.get().flatten().map(|p| p.count)}</p>
        <ul>
            {move || {
                page.get().flatten().map(|p| {
                    p.results
                        .into_iter()
                        .map(|r| {
                            view! {
                                <li>{r.id} " " {r.status} " " {r.created.map(|t| t.to_rfc3339())}</li>
                            }
                        })
                        .collect_view()
                })
            }}
        </ul>
    }
}

#[cfg(not(feature = "fetch"))]
#[component]
fn Home() -> impl IntoView {
    let n = RwSignal::new(0);
    view! { <button on:click=move |_| n.update(|n| *n += 1)>{n}</button> }
}

#[component]
fn Other() -> impl IntoView {
    view! { <p>"Other"</p> }
}

#[wasm_bindgen(start)]
pub fn start() {
    mount_to_body(|| {
        view! {
            <Router>
                <nav>
                    <A href="/">"Home"</A>
                    <A href="/other">"Other"</A>
                </nav>
                <Routes fallback=|| "Not found">
                    <Route path=path!("/") view=Home />
                    <Route path=path!("/other") view=Other />
                </Routes>
            </Router>
        }
    })
}
