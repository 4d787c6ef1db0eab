//! Endpoint paths, joined onto a configurable API base.
//!
//! Scale needs the trailing slash on every path (without it, a `301` that a
//! browser follows as `GET`, even for a `PATCH`), so every path here has one.

/// `{base}/jobs/`.
pub fn jobs_url(base: &str) -> String {
    join(base, "jobs/")
}

/// `{base}/jobs/{id}/`.
pub fn job_url(base: &str, id: i64) -> String {
    join(base, &format!("jobs/{id}/"))
}

/// `{base}/jobs/updates/`.
pub fn job_updates_url(base: &str) -> String {
    join(base, "jobs/updates/")
}

/// `{base}/jobs/executions/`.
pub fn job_executions_url(base: &str) -> String {
    join(base, "jobs/executions/")
}

/// Adds a query string (without `?`) to a URL, if non-empty.
pub fn with_query(url: String, query: &str) -> String {
    if query.is_empty() {
        url
    } else {
        format!("{url}?{query}")
    }
}

/// Joins a path onto a base without doubling or dropping the slash.
pub fn join(base: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    let path = path.trim_start_matches('/');
    format!("{base}/{path}")
}

/// The JSON body that cancels a job.
pub const CANCEL_BODY: &str = r#"{"status":"CANCELED"}"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_without_double_slashes() {
        assert_eq!(jobs_url("/api/v5"), "/api/v5/jobs/");
        assert_eq!(jobs_url("/api/v5/"), "/api/v5/jobs/");
        assert_eq!(
            job_url("https://scale.example/service/scale/api/v5//", 42),
            "https://scale.example/service/scale/api/v5/jobs/42/"
        );
        assert_eq!(job_updates_url(""), "/jobs/updates/");
        assert_eq!(job_executions_url("/api/v4"), "/api/v4/jobs/executions/");
        assert_eq!(with_query(jobs_url("/a"), ""), "/a/jobs/");
        assert_eq!(with_query(jobs_url("/a"), "page=2"), "/a/jobs/?page=2");
    }

    #[test]
    fn cancel_body_is_what_scale_expects() {
        let body: crate::JobUpdateRequest = serde_json::from_str(CANCEL_BODY).unwrap();
        assert_eq!(body, crate::JobUpdateRequest::cancel());
        assert_eq!(
            serde_json::to_string(&crate::JobUpdateRequest::cancel()).unwrap(),
            CANCEL_BODY
        );
    }
}
