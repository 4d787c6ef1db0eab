//! The Scale job console: a Leptos client-side-rendered app.
//!
//! `start()` loads `config.json`, then mounts [`App`]: the header, the
//! router and the pages. Pure logic lives in [`logic`] (tested natively),
//! presentational pieces in [`components`], routes in [`pages`].

pub mod api;
pub mod components;
pub mod config;
pub mod context;
pub mod logic;
pub mod pages;

use crate::components::time::TimeZoneToggle;
use crate::config::Config;
use crate::context::AppCtx;
use crate::logic::listing::ListKind;
use leptos::prelude::*;
use leptos_router::components::{Redirect, Route, Router, Routes, A};
use leptos_router::path;

/// Installs the panic hook, reads the configuration and mounts the app.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::task::spawn_local(async {
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
