//! A load generator: many clients polling a running server's list and
//! detail endpoints the way open consoles do, for a bounded time, against
//! loopback addresses only.
//!
//! Used by the test suite (a few seconds) and by the `scale-jobs-load`
//! binary that `cargo xtask soak` runs (a minute or more).

use crate::demo::Rng;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What to run.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// The server (`http://127.0.0.1:8080`, the API at `/api/v5` below it)
    /// or an API base (`http://127.0.0.1:8080/api/v4`).
    pub url: String,
    pub clients: usize,
    pub duration: Duration,
    /// Seeds each client's choice of requests.
    pub seed: u64,
}

/// What happened.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub requests: u64,
    pub errors: u64,
    /// The first few errors, for the message.
    pub first_errors: Vec<String>,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub elapsed: Duration,
}

impl LoadReport {
    pub fn requests_per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// One line: counts, throughput and latencies.
    pub fn summary(&self) -> String {
        format!(
            "{} requests in {:.1} s ({:.0} requests/s), {} errors, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            self.requests,
            self.elapsed.as_secs_f64(),
            self.requests_per_second(),
            self.errors,
            self.p50.as_secs_f64() * 1000.0,
            self.p99.as_secs_f64() * 1000.0,
            self.max.as_secs_f64() * 1000.0,
        )
    }
}

/// The most clients and the longest run this tool accepts.
pub const MAX_CLIENTS: usize = 1000;
pub const MAX_DURATION: Duration = Duration::from_secs(3600);

/// The API base for `url`, refusing anything but a loopback address: this
/// tool must never load someone else's server.
pub fn api_base(url: &str) -> Result<String, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("--url {url:?}: {e}"))?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        return Err(format!("--url {url:?}: must be http or https"));
    }
    let host = parsed.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        return Err(format!(
            "--url {url:?}: only loopback addresses (127.0.0.0/8, ::1, localhost) may be loaded"
        ));
    }
    let path = parsed.path().trim_end_matches('/');
    let base = format!(
        "{}://{}{}",
        parsed.scheme(),
        parsed.host_str().unwrap_or(""),
        parsed.port().map(|p| format!(":{p}")).unwrap_or_default()
    );
    Ok(if path.is_empty() {
        format!("{base}/api/v5")
    } else {
        format!("{base}{path}")
    })
}

/// The percentile `p` (0..=100) of sorted latencies.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// One request a polling console makes.
fn pick_path(rng: &mut Rng, ids: &[i64], pages: u64) -> String {
    const STATUSES: &[&str] = &["RUNNING", "FAILED", "COMPLETED", "QUEUED", "CANCELED"];
    let page = rng.range(1, pages.clamp(1, 3) as i64);
    match rng.range(0, 99) {
        0..=34 => format!("/jobs/?order=-last_modified&page={page}&page_size=25"),
        35..=44 => format!(
            "/jobs/?status={}&order=-last_modified&page_size=25",
            rng.pick(STATUSES)
        ),
        45..=54 => "/jobs/updates/?page_size=25".to_string(),
        55..=64 => "/jobs/executions/?order=-last_modified&page_size=25".to_string(),
        65..=69 => "/jobs/?page_size=100&started=PT72H&order=-last_modified".to_string(),
        _ => format!("/jobs/{}/", rng.pick(ids)),
    }
}

/// Runs the load and reports. Fails only if the server cannot be reached
/// at the start; errors during the run are counted.
pub async fn run(cfg: &LoadConfig) -> Result<LoadReport, String> {
    let api = api_base(&cfg.url)?;
    if cfg.clients == 0 || cfg.clients > MAX_CLIENTS {
        return Err(format!("--clients must be 1 to {MAX_CLIENTS}"));
    }
    if cfg.duration.is_zero() || cfg.duration > MAX_DURATION {
        return Err(format!("--seconds must be 1 to {}", MAX_DURATION.as_secs()));
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(cfg.clients)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("cannot create an HTTP client: {e}"))?;

    // The ids to ask details for, and how many pages there are.
    let first = format!("{api}/jobs/?order=-last_modified&page_size=100");
    let resp = client
        .get(&first)
        .send()
        .await
        .map_err(|e| format!("cannot reach {first}: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!("{first}: HTTP {}", resp.status()));
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| format!("{first}: cannot read the answer: {e}"))?;
    let page: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("{first}: not a job page: {e}"))?;
    let ids: Vec<i64> = page["results"]
        .as_array()
        .map(|r| r.iter().filter_map(|j| j["id"].as_i64()).collect())
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(format!("{first}: no jobs to ask for"));
    }
    let pages = page["count"].as_u64().unwrap_or(0).div_ceil(25).max(1);
    let ids = Arc::new(ids);

    let start = Instant::now();
    let deadline = start + cfg.duration;
    let mut tasks = Vec::with_capacity(cfg.clients);
    for c in 0..cfg.clients {
        let client = client.clone();
        let api = api.clone();
        let ids = ids.clone();
        let mut rng = Rng::new(cfg.seed ^ (c as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors: Vec<String> = Vec::new();
            let mut error_count = 0u64;
            while Instant::now() < deadline {
                let url = format!("{api}{}", pick_path(&mut rng, &ids, pages));
                let t = Instant::now();
                let outcome = match client
                    .get(&url)
                    .header("accept", "application/json")
                    .header("accept-encoding", "br, gzip")
                    .send()
                    .await
                {
                    Ok(r) => {
                        let status = r.status();
                        match r.bytes().await {
                            Ok(_) if status.is_success() => Ok(()),
                            Ok(_) => Err(format!("{url}: HTTP {status}")),
                            Err(e) => Err(format!("{url}: {e}")),
                        }
                    }
                    Err(e) => Err(format!("{url}: {e}")),
                };
                latencies.push(t.elapsed());
                if let Err(e) = outcome {
                    error_count += 1;
                    if errors.len() < 5 {
                        errors.push(e);
                    }
                }
            }
            (latencies, error_count, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_errors = Vec::new();
    for t in tasks {
        match t.await {
            Ok((l, n, e)) => {
                latencies.extend(l);
                errors += n;
                first_errors.extend(e);
            }
            Err(e) => {
                errors += 1;
                first_errors.push(format!("client task failed: {e}"));
            }
        }
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    first_errors.truncate(10);
    Ok(LoadReport {
        requests: latencies.len() as u64,
        errors,
        first_errors,
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
        max: latencies.last().copied().unwrap_or_default(),
        elapsed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_is_accepted() {
        assert_eq!(
            api_base("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/api/v5"
        );
        assert_eq!(
            api_base("http://localhost:9/api/v4/").unwrap(),
            "http://localhost:9/api/v4"
        );
        assert_eq!(api_base("http://[::1]:80").unwrap(), "http://[::1]/api/v5");
        assert!(api_base("http://127.8.9.10:1").is_ok());
        for bad in [
            "http://10.0.0.1:8080",
            "http://192.168.1.2",
            "http://example.com",
            "http://localhost.example.com",
            "ftp://127.0.0.1",
            "not a url",
        ] {
            assert!(api_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percentiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Duration::from_millis(51));
        assert_eq!(percentile(&v, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }
}
