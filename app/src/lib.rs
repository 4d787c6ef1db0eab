//! The Scale job console: a Leptos client-side-rendered app.
//!
//! `start()` loads `config.json`, then mounts [`App`]: the header, the
//! router and the pages. The portal widgets are a bundle of their own
//! (`src/bin/scale-jobs-embed.rs`, starting at [`embed::start`]). Pure
//! logic lives in [`logic`] (tested natively), presentational pieces in
//! [`components`], routes in [`pages`].

pub mod api;
pub mod components;
pub mod config;
pub mod context;
pub mod embed;
pub mod logic;
pub mod pages;
pub mod request;

use crate::components::time::TimeZoneToggle;
use crate::config::Config;
use crate::context::AppCtx;
use crate::logic::listing::ListKind;
use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes, A};
use leptos_router::path;

/// Installs the panic hook, reads the configuration and mounts the app.
pub fn start() {
    api::mark("scale:start");
    install_panic_hook();
    // Leptos' executor is set up by `mount`; this first task runs before it.
    wasm_bindgen_futures::spawn_local(async {
        let (config, warning) = config::load().await;
        leptos::mount::mount_to_body(
            move || view! { <App config=config.clone() config_warning=warning.clone() /> },
        );
    });
}

#[component]
pub fn App(config: Config, config_warning: Option<String>) -> impl IntoView {
    let app = AppCtx::new(config);
    provide_context(app);
    // The coarse clock behind relative times.
    let tick = set_interval_with_handle(
        move || app.now.set(chrono::Utc::now()),
        std::time::Duration::from_secs(15),
    )
    .ok();
    on_cleanup(move || {
        if let Some(t) = tick {
            t.clear();
        }
    });

    view! {
        <Router>
            <header class="topbar">
                <a class="brand" href="/jobs">"Scale Jobs"</a>
                <nav aria-label="Job lists" class="mainnav">
                    {ListKind::ALL.into_iter().map(|k| view! { <A href=k.path() exact=true>{k.nav_label()}</A> }).collect_view()}
                </nav>
                <div class="topbar-tools"><TimeZoneToggle /></div>
            </header>
            {config_warning.map(|w| view! { <div class="notice" role="status">{w}</div> })}
            <main id="main">
                <Routes fallback=|| view! { <pages::not_found::NotFound /> }>
                    <Route path=path!("/") view=|| view! { <Redirect path="/jobs" /> } />
                    <Route path=path!("/jobs") view=|| view! { <pages::list::ListPage kind=ListKind::Jobs /> } />
                    <Route path=path!("/jobs/executions") view=|| view! { <pages::list::ListPage kind=ListKind::Executions /> } />
                    <Route path=path!("/jobs/updates") view=|| view! { <pages::list::ListPage kind=ListKind::Updates /> } />
                    <Route path=path!("/jobs/:id") view=pages::job::JobPage />
                </Routes>
            </main>
        </Router>
    }
}

/// Should a panic ever happen, the page would go dead: log it as usual and
/// put a visible banner with a reload button on the page instead.
pub(crate) fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_crash_banner();
    }));
}

fn show_crash_banner() {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = doc.body() else {
        return;
    };
    if doc.get_element_by_id("crash-banner").is_some() {
        return;
    }
    let Ok(banner) = doc.create_element("div") else {
        return;
    };
    banner.set_id("crash-banner");
    let _ = banner.set_attribute("role", "alert");
    let _ = banner.set_attribute("class", "alert alert-error crash-banner");
    // Built with text nodes only: nothing from the panic message is parsed
    // as HTML.
    if let Ok(p) = doc.create_element("p") {
        p.set_text_content(Some(
            "Something went wrong inside the console and this page stopped working. Reload to continue; your view is kept in the address.",
        ));
        let _ = banner.append_child(&p);
    }
    if let Ok(button) = doc.create_element("button") {
        button.set_text_content(Some("Reload"));
        let _ = button.set_attribute("class", "btn");
        // A listener, not an inline `onclick`: the CSP forbids inline script.
        let reload = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(|| {
            if let Some(w) = web_sys::window() {
                let _ = w.location().reload();
            }
        });
        use wasm_bindgen::JsCast;
        let _ = button.add_event_listener_with_callback("click", reload.as_ref().unchecked_ref());
        reload.forget();
        let _ = banner.append_child(&button);
    }
    let _ = body.insert_before(&banner, body.first_child().as_ref());
}
