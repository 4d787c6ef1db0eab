//! The error region: the server's words, a retry, and the page stays usable.

use crate::api::ApiError;
use leptos::prelude::*;

#[component]
pub fn ErrorAlert(
    #[prop(into)] error: Signal<Option<ApiError>>,
    #[prop(into)] on_retry: Callback<()>,
    /// Extra help shown under the message (e.g. a link to page 1).
    #[prop(optional)]
    children: Option<ChildrenFn>,
) -> impl IntoView {
    view! {
        <div role="alert" class="alert-region">
            {move || {
                error
                    .get()
                    .filter(|e| *e != ApiError::Aborted)
                    .map(|e| {
                        view! {
                            <div class="alert alert-error">
                                <p class="alert-title">{e.title()}</p>
                                <p class="alert-detail">{e.detail()}</p>
                                <div class="alert-actions">
                                    <button type="button" class="btn" on:click=move |_| on_retry.run(())>
                                        "Retry"
                                    </button>
                                    {children.as_ref().map(|c| c())}
                                </div>
                            </div>
                        }
                    })
            }}
        </div>
    }
}
