//! What to tell an operator when a cancel fails, in the server's words where
//! it gave any. Every variant a real Scale produces is covered: JSON 400,
//! 404 and 409, the HTML 500 of Scale up to 5.1 for a finished job, the 403
//! of a Django session without its CSRF token, and no answer at all.

use crate::api::ApiError;
use scale_jobs_shared::JobStatus;

/// The status as a sentence says it: the cancel dialog's "Job 7 (…) is
/// running.", and a cancel's answer, "job 7 is completed. It was not
/// canceled." Our labels are ASCII, so `to_ascii_lowercase` is exact for
/// them (`str::to_lowercase` would also ship Unicode's case table, about
/// 12 KB of wasm, for these sentences). A status we do not know (a cancel's
/// answer can carry any the server sends) reads as the server sent it.
pub fn status_in_sentence(status: Option<&JobStatus>) -> String {
    match status {
        Some(JobStatus::Unknown(s)) => s.clone(),
        Some(s) => s.label().to_ascii_lowercase(),
        None => String::new(),
    }
}

/// What to tell the operator once the server has answered a cancel with
/// the job: whether it is canceled now, and the sentence saying so, or
/// saying which status it is in instead.
pub fn cancel_answer_message(id: i64, status: Option<&JobStatus>) -> (bool, String) {
    if let Some(JobStatus::Canceled) = status {
        return (true, format!("Job {id} was canceled."));
    }
    // A blank status says no more than none ("job 8 is . It was…").
    let said = status_in_sentence(status);
    if said.trim().is_empty() {
        return (
            false,
            format!("The server answered, but did not say job {id}'s status."),
        );
    }
    (
        false,
        format!("The server answered, but job {id} is {said}. It was not canceled."),
    )
}

pub fn cancel_failure_message(e: &ApiError) -> String {
    match e {
        ApiError::Network(_) => {
            "The cancel request did not reach the server, so nothing was changed. Check the connection and try again.".to_string()
        }
        _ if e.is_csrf() => format!(
            "Scale refused the request because this browser's Scale session needs its CSRF token ({}). Reload the page, or log in to Scale again, then retry.",
            e.detail()
        ),
        ApiError::Http { status: 403, .. } => format!("You are not allowed to cancel this job: {}", e.detail()),
        ApiError::Http { status: 404, .. } => format!("The server does not know this job: {}", e.detail()),
        ApiError::Http { status: 409, .. } => format!("The job could not be canceled: {}", e.detail()),
        ApiError::Http { status: 400, .. } => format!("The server rejected the cancel request: {}", e.detail()),
        ApiError::Http { status: s @ 500..=599, .. } => format!(
            "The job could not be canceled: the server failed (HTTP {s}: {}). Older Scale versions answer this way when the job has already finished; its current status is shown below.",
            e.detail()
        ),
        ApiError::Http { status, .. } => format!("The job could not be canceled (HTTP {status}): {}", e.detail()),
        ApiError::Decode(m) => format!(
            "The server answered the cancel request in a form that could not be read ({m}). The job's current status is shown below."
        ),
        ApiError::Aborted => "The cancel request was interrupted.".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::interpret;
    use scale_jobs_shared::JobDetails;

    fn fail(status: u16, body: &str) -> String {
        cancel_failure_message(&interpret::<JobDetails>(status, body).unwrap_err())
    }

    #[test]
    fn the_dialog_says_the_status_in_lower_case_and_an_unknown_one_as_sent() {
        assert_eq!(status_in_sentence(Some(&JobStatus::Running)), "running");
        assert_eq!(status_in_sentence(Some(&JobStatus::Failed)), "failed");
        let odd = JobStatus::parse("ÉTAT_INCONNU");
        assert_eq!(status_in_sentence(Some(&odd)), "ÉTAT_INCONNU");
        assert_eq!(status_in_sentence(None), "");
    }

    #[test]
    fn a_cancel_answer_says_the_status_the_job_is_in() {
        assert_eq!(
            cancel_answer_message(7, Some(&JobStatus::Canceled)),
            (true, "Job 7 was canceled.".to_string())
        );
        assert_eq!(
            cancel_answer_message(7, Some(&JobStatus::Completed)),
            (
                false,
                "The server answered, but job 7 is completed. It was not canceled.".to_string()
            )
        );
        let (ok, m) = cancel_answer_message(8, Some(&JobStatus::parse("RESTARTING")));
        assert!(!ok);
        assert_eq!(
            m,
            "The server answered, but job 8 is RESTARTING. It was not canceled."
        );
        for blank in [
            None,
            Some(JobStatus::parse("")),
            Some(JobStatus::parse("  ")),
        ] {
            let (ok, m) = cancel_answer_message(9, blank.as_ref());
            assert!(!ok);
            assert_eq!(m, "The server answered, but did not say job 9's status.");
        }
    }

    #[test]
    fn each_refusal_is_explained() {
        let m = fail(
            409,
            r#"{"detail":"Job 62 is COMPLETED and cannot be canceled"}"#,
        );
        assert!(m.contains("Job 62 is COMPLETED"), "{m}");
        let m = fail(500, "<h1>Server Error (500)</h1>");
        assert!(
            m.contains("Server Error (500)") && m.contains("already finished"),
            "{m}"
        );
        assert!(!m.contains('<'));
        let m = fail(
            403,
            r#"{"detail":"CSRF Failed: CSRF token missing or incorrect."}"#,
        );
        assert!(m.contains("CSRF token"), "{m}");
        let m = fail(404, r#"{"detail":"Not found."}"#);
        assert!(m.contains("Not found."), "{m}");
        let m = fail(
            400,
            r#"{"detail":"Invalid or read-only status. Allowed values: CANCELED"}"#,
        );
        assert!(m.contains("Allowed values"), "{m}");
        let m = cancel_failure_message(&ApiError::Network("Failed to fetch".into()));
        assert!(m.contains("nothing was changed"), "{m}");
    }
}
