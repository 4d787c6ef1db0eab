//! Pagination: first, previous, numbered pages, next, last, and the page
//! size. Page numbers come from `count`, never from following `next`.

use crate::logic::pagination::{group_thousands, page_count, page_window, row_range, PageItem};
use leptos::prelude::*;
use stylers::style;

pub const PAGE_SIZES: [u32; 5] = [25, 50, 100, 250, 1000];

#[component]
pub fn Pager(
    #[prop(into)] page: Signal<u32>,
    #[prop(into)] page_size: Signal<u32>,
    /// The total count, once known.
    #[prop(into)]
    count: Signal<Option<u64>>,
    #[prop(into)] rows_on_page: Signal<usize>,
    #[prop(into)] on_page: Callback<u32>,
    #[prop(into)] on_page_size: Callback<u32>,
    /// What the list counts ("jobs", "updates").
    noun: &'static str,
) -> impl IntoView {
    let class = style! {
        .pager {
            display: flex;
            flex-wrap: wrap;
            align-items: center;
            gap: 0.5rem 1rem;
            padding: 0.5rem 0;
        }
        .pages {
            display: flex;
            flex-wrap: wrap;
            gap: 0.25rem;
            align-items: center;
        }
        .gap {
            padding: 0 0.25rem;
        }
    };
    let pages = move || {
        count
            .get()
            .map(|c| page_count(c, page_size.get()))
            .unwrap_or(1)
    };
    let at_first = move || page.get() <= 1;
    let at_last = move || count.get().is_none() || page.get() >= pages();
    let summary = move || match count.get() {
        None => String::new(),
        Some(0) => format!("No {noun}"),
        Some(c) => {
            let (a, b) = row_range(page.get(), page_size.get(), rows_on_page.get());
            format!(
                "{}–{} of {} {noun}",
                group_thousands(a),
                group_thousands(b),
                group_thousands(c)
            )
        }
    };
    view! { class = class,
        <nav class="pager" aria-label="Pagination">
            <span class="count" aria-live="polite">{summary}</span>
            <div class="pages">
                <button type="button" class="btn" aria-label="First page" title="First page"
                    disabled=at_first on:click=move |_| on_page.run(1)>"«"</button>
                <button type="button" class="btn" aria-label="Previous page" title="Previous page"
                    disabled=at_first on:click=move |_| on_page.run(page.get_untracked().saturating_sub(1).max(1))>"‹"</button>
                {move || {
                    let current = page.get();
                    page_window(current, pages(), 1)
                        .into_iter()
                        .map(|item| match item {
                            PageItem::Gap => view! { class = class, <span class="gap" aria-hidden="true">"…"</span> }.into_any(),
                            PageItem::Page(n) => {
                                let is_current = n == current;
                                view! { class = class,
                                    <button type="button" class="btn page-num"
                                        class:current=is_current
                                        aria-current=if is_current { Some("page") } else { None }
                                        aria-label=format!("Page {n}")
                                        on:click=move |_| on_page.run(n)>{n}</button>
                                }.into_any()
                            }
                        })
                        .collect_view()
                }}
                <button type="button" class="btn" aria-label="Next page" title="Next page"
                    disabled=at_last on:click=move |_| on_page.run(page.get_untracked() + 1)>"›"</button>
                <button type="button" class="btn" aria-label="Last page" title="Last page"
                    disabled=at_last on:click=move |_| on_page.run(pages())>"»"</button>
            </div>
            <span class="page-of">{move || format!("Page {} of {}", page.get(), group_thousands(u64::from(pages())))}</span>
            <label class="page-size">
                "Page size "
                <select
                    aria-label="Page size"
                    on:change=move |ev| {
                        if let Ok(n) = event_target_value(&ev).parse::<u32>() {
                            on_page_size.run(n);
                        }
                    }
                    prop:value=move || page_size.get().to_string()
                >
                    {move || {
                        let current = page_size.get();
                        let mut sizes = PAGE_SIZES.to_vec();
                        // A size from a hand-made link stays selectable.
                        if !sizes.contains(&current) {
                            sizes.push(current);
                            sizes.sort_unstable();
                        }
                        sizes
                            .into_iter()
                            .map(|n| view! { <option value=n.to_string() selected=n == current>{n}</option> })
                            .collect_view()
                    }}
                </select>
            </label>
        </nav>
    }
}
