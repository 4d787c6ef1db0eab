//! Job statuses and error categories.
//!
//! Both keep values they do not know (`Unknown`) instead of failing: a newer
//! Scale may add a status, and a console that stops decoding the whole page
//! because of one new word is worse than one that shows the word.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The status of a job or of a job execution.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobStatus {
    Pending,
    Blocked,
    Queued,
    Running,
    Failed,
    Completed,
    Canceled,
    /// A value this version does not know, kept exactly as sent.
    Unknown(String),
}

impl JobStatus {
    /// The seven statuses a Scale server is known to send, in life-cycle order.
    pub const ALL: [JobStatus; 7] = [
        JobStatus::Pending,
        JobStatus::Blocked,
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Failed,
        JobStatus::Completed,
        JobStatus::Canceled,
    ];

    /// The wire form (`"RUNNING"`).
    pub fn as_str(&self) -> &str {
        match self {
            JobStatus::Pending => "PENDING",
            JobStatus::Blocked => "BLOCKED",
            JobStatus::Queued => "QUEUED",
            JobStatus::Running => "RUNNING",
            JobStatus::Failed => "FAILED",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Canceled => "CANCELED",
            JobStatus::Unknown(s) => s,
        }
    }

    /// Parses the wire form exactly (Scale matches statuses case-sensitively:
    /// `running` matches nothing, so it is `Unknown` here too).
    pub fn parse(s: &str) -> JobStatus {
        match s {
            "PENDING" => JobStatus::Pending,
            "BLOCKED" => JobStatus::Blocked,
            "QUEUED" => JobStatus::Queued,
            "RUNNING" => JobStatus::Running,
            "FAILED" => JobStatus::Failed,
            "COMPLETED" => JobStatus::Completed,
            "CANCELED" => JobStatus::Canceled,
            other => JobStatus::Unknown(other.to_string()),
        }
    }

    /// A human label ("Running").
    pub fn label(&self) -> &str {
        match self {
            JobStatus::Pending => "Pending",
            JobStatus::Blocked => "Blocked",
            JobStatus::Queued => "Queued",
            JobStatus::Running => "Running",
            JobStatus::Failed => "Failed",
            JobStatus::Completed => "Completed",
            JobStatus::Canceled => "Canceled",
            JobStatus::Unknown(s) => s,
        }
    }

    /// Whether Scale accepts `{"status": "CANCELED"}` for a job in this
    /// status. FAILED is cancelable (Scale clears the error); an unknown
    /// status is not offered, because we cannot know what the server does.
    pub fn is_cancelable(&self) -> bool {
        matches!(
            self,
            JobStatus::Pending
                | JobStatus::Blocked
                | JobStatus::Queued
                | JobStatus::Running
                | JobStatus::Failed
        )
    }

    /// Whether the job will not change by itself any more. FAILED is final
    /// for polling purposes even though an operator may still cancel it.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            JobStatus::Failed | JobStatus::Completed | JobStatus::Canceled
        )
    }

    pub fn is_known(&self) -> bool {
        !matches!(self, JobStatus::Unknown(_))
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for JobStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(JobStatus::parse(&s))
    }
}

/// The category of a job error.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCategory {
    System,
    Data,
    Algorithm,
    Unknown(String),
}

impl ErrorCategory {
    pub const ALL: [ErrorCategory; 3] = [
        ErrorCategory::System,
        ErrorCategory::Data,
        ErrorCategory::Algorithm,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            ErrorCategory::System => "SYSTEM",
            ErrorCategory::Data => "DATA",
            ErrorCategory::Algorithm => "ALGORITHM",
            ErrorCategory::Unknown(s) => s,
        }
    }

    pub fn parse(s: &str) -> ErrorCategory {
        match s {
            "SYSTEM" => ErrorCategory::System,
            "DATA" => ErrorCategory::Data,
            "ALGORITHM" => ErrorCategory::Algorithm,
            other => ErrorCategory::Unknown(other.to_string()),
        }
    }

    pub fn label(&self) -> &str {
        match self {
            ErrorCategory::System => "System",
            ErrorCategory::Data => "Data",
            ErrorCategory::Algorithm => "Algorithm",
            ErrorCategory::Unknown(s) => s,
        }
    }
}

impl fmt::Display for ErrorCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCategory {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCategory {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(ErrorCategory::parse(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_unknown_is_kept() {
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::parse(s.as_str()), s);
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(serde_json::from_str::<JobStatus>(&json).unwrap(), s);
        }
        let odd: JobStatus = serde_json::from_str("\"RESTARTING\"").unwrap();
        assert_eq!(odd, JobStatus::Unknown("RESTARTING".into()));
        assert_eq!(serde_json::to_string(&odd).unwrap(), "\"RESTARTING\"");
        // Scale is case-sensitive: lowercase is not RUNNING.
        assert!(!JobStatus::parse("running").is_known());
    }

    #[test]
    fn cancelable_and_final() {
        let cancelable: Vec<_> = JobStatus::ALL
            .iter()
            .filter(|s| s.is_cancelable())
            .map(|s| s.as_str().to_string())
            .collect();
        assert_eq!(
            cancelable,
            ["PENDING", "BLOCKED", "QUEUED", "RUNNING", "FAILED"]
        );
        assert!(JobStatus::Completed.is_final());
        assert!(JobStatus::Canceled.is_final());
        assert!(!JobStatus::Running.is_final());
        assert!(!JobStatus::Unknown("X".into()).is_cancelable());
    }

    #[test]
    fn error_category_unknown_kept() {
        let c: ErrorCategory = serde_json::from_str("\"NETWORK\"").unwrap();
        assert_eq!(c.as_str(), "NETWORK");
        assert_eq!(
            serde_json::from_str::<ErrorCategory>("\"DATA\"").unwrap(),
            ErrorCategory::Data
        );
    }
}
