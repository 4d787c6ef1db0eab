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

/// A sentence of ours around one piece that quotes the server, kept apart
/// so the page can isolate that piece (`<bdi>`): a right-to-left status,
/// or one holding bidi controls, must not reorder our words after it. The
/// piece is what the server sent (a status, a refusal's detail), or our
/// account of an answer that holds its text (an HTML page's summary); when
/// the server gave no detail, our sentence saying so stands in its place.
/// `server` is empty when the sentence quotes nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Said {
    pub before: String,
    pub server: String,
    pub after: String,
}

impl Said {
    /// A sentence that is all ours.
    pub fn ours(text: String) -> Said {
        Said {
            before: text,
            server: String::new(),
            after: String::new(),
        }
    }
}

impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}{}", self.before, self.server, self.after)
    }
}

/// What to tell the operator once the server has answered a cancel with
/// the job: whether it is canceled now, and the sentence saying so, or
/// saying which status it is in instead.
pub fn cancel_answer_message(id: i64, status: Option<&JobStatus>) -> (bool, Said) {
    if let Some(JobStatus::Canceled) = status {
        return (true, Said::ours(format!("Job {id} was canceled.")));
    }
    // A blank status says no more than none ("job 8 is . It was…").
    let said = status_in_sentence(status);
    if said.trim().is_empty() {
        return (
            false,
            Said::ours(format!(
                "The server answered, but did not say job {id}'s status."
            )),
        );
    }
    (
        false,
        Said {
            before: format!("The server answered, but job {id} is "),
            server: said,
            after: ". It was not canceled.".to_string(),
        },
    )
}

pub fn cancel_failure_message(e: &ApiError) -> Said {
    // The server's words (its `detail`, or what could not be read) are the
    // quoted piece; the sentence around them is ours.
    let quoting = |before: String, after: &str| Said {
        before,
        server: e.detail(),
        after: after.to_string(),
    };
    match e {
        ApiError::Network(_) => Said::ours(
            "The cancel request did not reach the server, so nothing was changed. Check the connection and try again.".to_string(),
        ),
        _ if e.is_csrf() => quoting(
            "Scale refused the request because this browser's Scale session needs its CSRF token (".to_string(),
            "). Reload the page, or log in to Scale again, then retry.",
        ),
        ApiError::Http { status: 403, .. } => quoting("You are not allowed to cancel this job: ".to_string(), ""),
        ApiError::Http { status: 404, .. } => quoting("The server does not know this job: ".to_string(), ""),
        ApiError::Http { status: 409, .. } => quoting("The job could not be canceled: ".to_string(), ""),
        ApiError::Http { status: 400, .. } => quoting("The server rejected the cancel request: ".to_string(), ""),
        ApiError::Http { status: s @ 500..=599, .. } => quoting(
            format!("The job could not be canceled: the server failed (HTTP {s}: "),
            "). Older Scale versions answer this way when the job has already finished; its current status is shown below.",
        ),
        ApiError::Http { status, .. } => quoting(format!("The job could not be canceled (HTTP {status}): "), ""),
        ApiError::Decode(m) => Said {
            before: "The server answered the cancel request in a form that could not be read (".to_string(),
            server: m.clone(),
            after: "). The job's current status is shown below.".to_string(),
        },
        ApiError::Aborted => Said::ours("The cancel request was interrupted.".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::interpret;
    use scale_jobs_shared::JobDetails;

    fn fail(status: u16, body: &str) -> String {
        cancel_failure_message(&interpret::<JobDetails>(status, body).unwrap_err()).to_string()
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
        let (ok, m) = cancel_answer_message(7, Some(&JobStatus::Canceled));
        assert!(ok);
        assert_eq!(m.to_string(), "Job 7 was canceled.");
        assert_eq!(m.server, "");
        let (ok, m) = cancel_answer_message(7, Some(&JobStatus::Completed));
        assert!(!ok);
        assert_eq!(
            m.to_string(),
            "The server answered, but job 7 is completed. It was not canceled."
        );
        assert_eq!(m.server, "completed");
        let (ok, m) = cancel_answer_message(8, Some(&JobStatus::parse("RESTARTING")));
        assert!(!ok);
        assert_eq!(
            m.to_string(),
            "The server answered, but job 8 is RESTARTING. It was not canceled."
        );
        // A status that would reorder what follows it is the quoted piece,
        // whole, and our words are outside it.
        let rlo = "\u{202E}GNITRATSER\u{2069}";
        let (_, m) = cancel_answer_message(8, Some(&JobStatus::parse(rlo)));
        assert_eq!(m.server, rlo);
        assert_eq!(m.after, ". It was not canceled.");
        for blank in [
            None,
            Some(JobStatus::parse("")),
            Some(JobStatus::parse("  ")),
        ] {
            let (ok, m) = cancel_answer_message(9, blank.as_ref());
            assert!(!ok);
            assert_eq!(
                m,
                Said::ours("The server answered, but did not say job 9's status.".to_string())
            );
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
        assert!(m.before.contains("nothing was changed"), "{m}");
        assert_eq!(m.server, "", "a network failure quotes nothing");
    }

    #[test]
    fn a_refusal_quotes_the_servers_words_as_one_piece() {
        let e = interpret::<JobDetails>(
            409,
            r#"{"detail":"\u202eJob 62 is COMPLETED and cannot be canceled"}"#,
        )
        .unwrap_err();
        let m = cancel_failure_message(&e);
        assert_eq!(
            m.server,
            "\u{202e}Job 62 is COMPLETED and cannot be canceled"
        );
        assert_eq!(m.before, "The job could not be canceled: ");
        let e = interpret::<JobDetails>(
            403,
            r#"{"detail":"CSRF Failed: CSRF token missing or incorrect."}"#,
        )
        .unwrap_err();
        let m = cancel_failure_message(&e);
        assert_eq!(m.server, "CSRF Failed: CSRF token missing or incorrect.");
        assert!(m.after.starts_with("). Reload the page"), "{m}");
    }
}
