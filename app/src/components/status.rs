//! Status badges: text plus icon plus colour, never colour alone.

use leptos::prelude::*;
use scale_jobs_shared::{ErrorCategory, JobStatus};

/// The icon and CSS modifier of a status.
pub fn status_look(s: &JobStatus) -> (&'static str, &'static str) {
    match s {
        JobStatus::Pending => ("◌", "pending"),
        JobStatus::Blocked => ("⊘", "blocked"),
        JobStatus::Queued => ("☰", "queued"),
        JobStatus::Running => ("▶", "running"),
        JobStatus::Failed => ("✕", "failed"),
        JobStatus::Completed => ("✓", "completed"),
        JobStatus::Canceled => ("■", "canceled"),
        JobStatus::Unknown(_) => ("?", "unknown"),
    }
}

#[component]
pub fn StatusBadge(#[prop(into)] status: Option<JobStatus>) -> impl IntoView {
    let status = status.unwrap_or_else(|| JobStatus::Unknown("Unknown".into()));
    let (icon, modifier) = status_look(&status);
    view! {
        <span class=format!("badge status-{modifier}")>
            <span class="badge-icon" aria-hidden="true">{icon}</span>
            <span class="badge-text">{status.label().to_string()}</span>
        </span>
    }
}

/// The CSS modifier of an error category.
pub fn error_category_modifier(c: &ErrorCategory) -> &'static str {
    match c {
        ErrorCategory::System => "system",
        ErrorCategory::Data => "data",
        ErrorCategory::Algorithm => "algorithm",
        ErrorCategory::Unknown(_) => "unknown",
    }
}

#[component]
pub fn ErrorCategoryBadge(category: ErrorCategory) -> impl IntoView {
    let modifier = error_category_modifier(&category);
    view! { <span class=format!("errcat errcat-{modifier}")>{category.label().to_string()}</span> }
}
