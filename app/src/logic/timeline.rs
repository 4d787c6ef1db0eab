//! The geometry of the job timeline: the job's life (created -> queued ->
//! started -> ended) and each execution's pre / job / post phases on one
//! time axis. Pure, so the picture's logic is tested without a browser.

use chrono::{DateTime, Utc};
use scale_jobs_shared::{JobDetails, Timestamp};

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// What the segment is ("Queued", "Job phase").
    pub label: String,
    /// CSS modifier.
    pub kind: &'static str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Still going (the end is "now").
    pub open: bool,
    /// Position and width as fractions of the axis (0..=1).
    pub x: f64,
    pub w: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    pub label: String,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub lanes: Vec<Lane>,
}

/// A segment before layout: label, kind, start, end (`None`: still going).
type RawSeg = (String, &'static str, DateTime<Utc>, Option<DateTime<Utc>>);

fn ts(t: Option<Timestamp>) -> Option<DateTime<Utc>> {
    t.map(|t| t.0)
}

/// Builds the timeline of a job at `now`; `None` when the job has no times.
pub fn build(d: &JobDetails, now: DateTime<Utc>) -> Option<Timeline> {
    let j = &d.job;
    let running = j.status.as_ref().is_some_and(|s| !s.is_final());
    let mut raw: Vec<(String, Vec<RawSeg>)> = Vec::new();

    // The job lane: each phase ends where the next begins.
    let points = [
        ("Waiting to queue", "created", ts(j.created), ts(j.queued)),
        ("Queued", "queued", ts(j.queued), ts(j.started)),
        ("Running", "running", ts(j.started), ts(j.ended)),
    ];
    let mut job_lane = Vec::new();
    for (label, kind, start, end) in points {
        if let Some(s) = start {
            // An unfinished phase runs to now only while the job is live;
            // a finished job's open phase ends at its end or last change.
            let end = end.or(if running {
                None
            } else {
                ts(j.ended).or(ts(j.last_status_change))
            });
            job_lane.push((label.to_string(), kind, s, end));
        }
    }
    if !job_lane.is_empty() {
        raw.push(("Job".to_string(), job_lane));
    }
    // Executions oldest first, top to bottom.
    let mut exes: Vec<_> = d.job_exes.iter().collect();
    exes.sort_by_key(|e| (e.created.or(e.started), e.id));
    for e in exes {
        let live = e.status.as_ref().is_some_and(|s| !s.is_final());
        let mut segs = Vec::new();
        for (label, kind, s, end) in [
            ("Pre phase", "pre", ts(e.pre_started), ts(e.pre_completed)),
            ("Job phase", "job", ts(e.job_started), ts(e.job_completed)),
            (
                "Post phase",
                "post",
                ts(e.post_started),
                ts(e.post_completed),
            ),
        ] {
            if let Some(s) = s {
                let end = end.or(if live { None } else { ts(e.ended) });
                segs.push((label.to_string(), kind, s, end));
            }
        }
        if segs.is_empty() {
            if let Some(s) = ts(e.started) {
                let end = ts(e.ended);
                segs.push(("Execution".to_string(), "job", s, end));
            }
        }
        if !segs.is_empty() {
            raw.push((format!("Execution {}", e.id), segs));
        }
    }
    if raw.is_empty() {
        return None;
    }
    let all = raw
        .iter()
        .flat_map(|(_, s)| s.iter().flat_map(|(_, _, a, b)| [Some(*a), *b]))
        .flatten();
    let start = all.clone().min()?;
    let mut end = all.max()?;
    let any_open = raw.iter().any(|(_, s)| s.iter().any(|x| x.3.is_none()));
    if any_open && now > end {
        end = now;
    }
    let span = ((end - start).num_milliseconds().max(1)) as f64;
    let lanes = raw
        .into_iter()
        .map(|(label, segs)| Lane {
            label,
            segments: segs
                .into_iter()
                .map(|(label, kind, s, e)| {
                    let (e, open) = match e {
                        Some(e) => (e.max(s), false),
                        None => (end.max(s), true),
                    };
                    let x = (s - start).num_milliseconds() as f64 / span;
                    let w = (e - s).num_milliseconds() as f64 / span;
                    Segment {
                        label,
                        kind,
                        start: s,
                        end: e,
                        open,
                        x: x.clamp(0.0, 1.0),
                        w: w.clamp(0.0, 1.0),
                    }
                })
                .collect(),
        })
        .collect();
    Some(Timeline { start, end, lanes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_finished_job_with_one_execution() {
        let d: JobDetails = serde_json::from_value(json!({
            "id": 1, "status": "COMPLETED",
            "created": "2026-11-26T09:00:00Z", "queued": "2026-11-26T09:01:00Z",
            "started": "2026-11-26T09:02:00Z", "ended": "2026-11-26T09:10:00Z",
            "job_exes": [{"id": 7, "status": "COMPLETED",
                "pre_started": "2026-11-26T09:02:00Z", "pre_completed": "2026-11-26T09:03:00Z",
                "job_started": "2026-11-26T09:03:00Z", "job_completed": "2026-11-26T09:09:00Z",
                "post_started": "2026-11-26T09:09:00Z", "post_completed": "2026-11-26T09:10:00Z"}]
        }))
        .unwrap();
        let tl = build(&d, t("2026-11-29T00:00:00Z")).unwrap();
        assert_eq!(tl.start, t("2026-11-26T09:00:00Z"));
        assert_eq!(tl.end, t("2026-11-26T09:10:00Z"));
        assert_eq!(tl.lanes.len(), 2);
        let job = &tl.lanes[0];
        assert_eq!(
            job.segments.iter().map(|s| s.kind).collect::<Vec<_>>(),
            ["created", "queued", "running"]
        );
        assert!((job.segments[2].x - 0.2).abs() < 1e-9);
        assert!((job.segments[2].w - 0.8).abs() < 1e-9);
        let exe = &tl.lanes[1];
        assert_eq!(exe.label, "Execution 7");
        assert_eq!(exe.segments.len(), 3);
        assert!(exe.segments.iter().all(|s| !s.open));
    }

    #[test]
    fn a_running_job_extends_to_now() {
        let d: JobDetails = serde_json::from_value(json!({
            "id": 2, "status": "RUNNING",
            "created": "2026-11-29T10:00:00Z", "queued": "2026-11-29T10:00:30Z", "started": "2026-11-29T10:01:00Z",
            "job_exes": [{"id": 9, "status": "RUNNING", "pre_started": "2026-11-29T10:01:00Z",
                "pre_completed": "2026-11-29T10:01:30Z", "job_started": "2026-11-29T10:01:30Z"}]
        }))
        .unwrap();
        let now = t("2026-11-29T10:05:00Z");
        let tl = build(&d, now).unwrap();
        assert_eq!(tl.end, now);
        let running = tl.lanes[0].segments.last().unwrap();
        assert!(running.open);
        assert!((running.x + running.w - 1.0).abs() < 1e-9);
        assert!(tl.lanes[1].segments.last().unwrap().open);
    }

    #[test]
    fn no_times_no_timeline() {
        let d: JobDetails = serde_json::from_value(json!({"id": 3})).unwrap();
        assert!(build(&d, t("2026-11-29T10:05:00Z")).is_none());
    }
}
