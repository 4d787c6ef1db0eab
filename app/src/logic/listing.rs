//! The three job lists: their routes, API endpoints, names and defaults.
//!
//! The browser URL's query is the API query (same parameter names), so a
//! view is a shareable link and the request is copy-pasteable into curl.
//! Only the order has an app default: with no `order` in the URL the app asks
//! for the newest first, as Scale's own UIs did, instead of the API's
//! oldest-first default.

use scale_jobs_shared::{
    job_executions_url, job_updates_url, jobs_url, sort_fields, with_query, JobRow, JobsQuery,
    QueryError, SortOrder, UpdatesQuery,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Jobs,
    Executions,
    Updates,
}

impl ListKind {
    pub const ALL: [ListKind; 3] = [ListKind::Jobs, ListKind::Executions, ListKind::Updates];

    /// The console route.
    pub fn path(self) -> &'static str {
        match self {
            ListKind::Jobs => "/jobs",
            ListKind::Executions => "/jobs/executions",
            ListKind::Updates => "/jobs/updates",
        }
    }

    /// The page heading and the table's accessible name.
    pub fn title(self) -> &'static str {
        match self {
            ListKind::Jobs => "Jobs",
            ListKind::Executions => "Job executions",
            ListKind::Updates => "Job updates",
        }
    }

    /// The table's class: with `list` (fixed column widths), the table's
    /// least width, which depends on its columns (see `style/main.css`).
    pub fn table_class(self) -> &'static str {
        match self {
            ListKind::Jobs => "jobs list list-jobs",
            ListKind::Executions => "jobs list list-exes",
            ListKind::Updates => "jobs list list-updates",
        }
    }

    /// The navigation label.
    pub fn nav_label(self) -> &'static str {
        match self {
            ListKind::Jobs => "Jobs",
            ListKind::Executions => "Executions",
            ListKind::Updates => "Updates",
        }
    }

    pub fn default_order(self) -> SortOrder {
        match self {
            ListKind::Updates => SortOrder::desc(sort_fields::LAST_STATUS_CHANGE),
            _ => SortOrder::desc(sort_fields::LAST_MODIFIED),
        }
    }

    /// Whether the endpoint takes `job_id` and `error_category`.
    pub fn has_job_and_error_filters(self) -> bool {
        !matches!(self, ListKind::Updates)
    }

    /// The order the rows are in: the URL's, else the app default.
    pub fn effective_order(self, q: &JobsQuery) -> Vec<SortOrder> {
        if q.order.is_empty() {
            vec![self.default_order()]
        } else {
            q.order.clone()
        }
    }

    /// The API request for a view.
    pub fn api_url(self, base: &str, q: &JobsQuery) -> String {
        let mut q = q.clone();
        q.order = self.effective_order(&q);
        match self {
            ListKind::Jobs => with_query(jobs_url(base), &q.to_query_string()),
            ListKind::Executions => with_query(job_executions_url(base), &q.to_query_string()),
            ListKind::Updates => with_query(
                job_updates_url(base),
                &UpdatesQuery::from(q).to_query_string(),
            ),
        }
    }

    /// The console link for a view.
    pub fn href(self, q: &JobsQuery) -> String {
        let mut q = q.clone();
        if !self.has_job_and_error_filters() {
            q.job_id.clear();
            q.error_category.clear();
        }
        let qs = q.to_query_string();
        if qs.is_empty() {
            self.path().to_string()
        } else {
            format!("{}?{qs}", self.path())
        }
    }

    /// Reads a browser URL's query: good values kept, bad ones returned so
    /// the page can say what it dropped.
    pub fn parse_url_query(self, search: &str) -> (JobsQuery, Vec<QueryError>) {
        let (mut q, errors) = JobsQuery::parse_lenient(search);
        if !self.has_job_and_error_filters() {
            q.job_id.clear();
            q.error_category.clear();
        }
        (q, errors)
    }
}

/// The job type names and categories that `rows` show, each once and in
/// order, for the filter suggestions: choices come from the data, not from
/// a list we invent. Rows of a job type already seen are told by its id
/// before any text is compared or copied, so a page of 1000 rows with a
/// handful of types costs a few integer comparisons a row.
pub fn type_choices(rows: &[JobRow]) -> (Vec<String>, Vec<String>) {
    let mut seen: Vec<(i64, Option<&String>, Option<&String>)> = Vec::new();
    let (mut names, mut categories) = (Vec::new(), Vec::new());
    for t in rows.iter().filter_map(|j| j.job_type.as_ref()) {
        let key = (t.id, t.name.as_ref(), t.category.as_ref());
        // Tuples compare field by field, the id first.
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        names.extend(key.1.cloned());
        categories.extend(key.2.cloned());
    }
    for list in [&mut names, &mut categories] {
        list.sort_unstable();
        list.dedup();
    }
    (names, categories)
}

#[cfg(test)]
mod tests {
    use scale_jobs_shared::JobTypeBrief;

    #[test]
    fn type_choices_name_each_type_once() {
        let row = |id, name: Option<&str>, category: Option<&str>| JobRow {
            id: 1,
            job_type: Some(JobTypeBrief {
                id,
                name: name.map(Into::into),
                category: category.map(Into::into),
                ..Default::default()
            }),
            ..Default::default()
        };
        let rows = [
            row(1, Some("ingest"), Some("system")),
            row(2, Some("sen2cor"), Some("sentinel")),
            row(1, Some("ingest"), Some("system")),
            JobRow::default(),
            row(3, None, Some("sentinel")),
            // One id under two names (a server bug): both are shown.
            row(2, Some("sen2cor-v2"), Some("sentinel")),
        ];
        let (names, categories) = type_choices(&rows);
        assert_eq!(names, ["ingest", "sen2cor", "sen2cor-v2"]);
        assert_eq!(categories, ["sentinel", "system"]);
        assert_eq!(type_choices(&[]), (vec![], vec![]));
    }

    use super::*;
    use scale_jobs_shared::JobStatus;

    #[test]
    fn default_order_applies_only_to_the_request() {
        let q = JobsQuery::default();
        assert_eq!(ListKind::Jobs.href(&q), "/jobs");
        assert_eq!(
            ListKind::Jobs.api_url("/api/v5", &q),
            "/api/v5/jobs/?order=-last_modified"
        );
        assert_eq!(
            ListKind::Updates.api_url("/api/v5/", &q),
            "/api/v5/jobs/updates/?order=-last_status_change"
        );
        let q = JobsQuery {
            order: vec![SortOrder::asc("priority")],
            status: vec![JobStatus::Running],
            page: 3,
            ..Default::default()
        };
        assert_eq!(
            ListKind::Executions.api_url("/api/v5", &q),
            "/api/v5/jobs/executions/?page=3&order=priority&status=RUNNING"
        );
        assert_eq!(
            ListKind::Jobs.href(&q),
            "/jobs?page=3&order=priority&status=RUNNING"
        );
    }

    #[test]
    fn url_round_trip_and_bad_values() {
        let (q, errs) = ListKind::Jobs.parse_url_query(
            "?status=RUNNING&status=FAILED&order=-last_modified&page=2&page_size=50",
        );
        assert!(errs.is_empty());
        assert_eq!(
            ListKind::Jobs.href(&q),
            "/jobs?page=2&page_size=50&order=-last_modified&status=RUNNING&status=FAILED"
        );
        let (q, errs) = ListKind::Jobs.parse_url_query("page_size=7000&status=QUEUED&started=soon");
        assert_eq!(q.status, vec![JobStatus::Queued]);
        assert_eq!(errs.len(), 2);
    }

    #[test]
    fn updates_drop_what_the_endpoint_ignores() {
        let (q, _) =
            ListKind::Updates.parse_url_query("job_id=5&error_category=DATA&status=FAILED");
        assert!(q.job_id.is_empty() && q.error_category.is_empty());
        assert_eq!(ListKind::Updates.href(&q), "/jobs/updates?status=FAILED");
    }
}
