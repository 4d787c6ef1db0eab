//! End-to-end test harness: the built app (`dist/`) served by the real
//! development server, driven in a real headless Chromium over WebDriver.
//! Nothing is mocked: the page talks HTTP to a server process, and tests
//! can talk to the same server directly to set up or verify state.
//!
//! `cargo xtask test` builds the bundle and the server, then runs this
//! crate with `SCALE_DIST_DIR` and `SCALE_SERVER_BIN` set. To run it alone,
//! after `cargo xtask dist` and
//! `cargo build -p scale-jobs-server --profile server`:
//! `cargo test -p scale-jobs-e2e` (the defaults find both).
//!
//! # Pieces
//!
//! - [`Server::start`]`(`[`ServerOptions`]`)` spawns the server on a free
//!   loopback port with demo data (`--demo-jobs`, `--seed`, plus any extra
//!   flags) and kills it on drop. [`Server::url`] gives page URLs,
//!   [`Server::get`] / [`Server::patch_json`] / [`Server::jobs`] /
//!   [`Server::job`] / [`Server::cancel`] call the API directly. If a test
//!   panics, the server's log is printed.
//! - [`browser_test`]`(name, async |b| { ... })` starts a [`Browser`]
//!   (chromedriver on a free port + headless Chromium with a fresh profile,
//!   1400×1000), runs the body under a time limit, and on an error or panic
//!   saves `target/e2e-screenshots/<name>.png` (and `.html`) before failing
//!   the test. The browser session is closed and chromedriver killed in
//!   every case, including panics.
//! - [`Browser`] dereferences to [`fantoccini::Client`], so every WebDriver
//!   call is there (`b.goto(..)`, `b.find(Locator::Css(..))`, ...), plus
//!   [`Browser::wait_for`], [`Browser::wait_for_text`], [`Browser::text`],
//!   [`Browser::wait_until`] and the accessibility check
//!   [`Browser::assert_accessible`] (axe-core: no `serious` or `critical`
//!   violations).
//! - [`wait_until`] polls any async condition; [`http_get`] /
//!   [`http_patch_json`] are the plain blocking HTTP calls underneath;
//!   [`fixtures_dir`] is `../shared/fixtures`.
//!
//! # Example
//!
//! ```no_run
//! use scale_jobs_e2e::{browser_test, Server, ServerOptions, WAIT};
//! use fantoccini::Locator;
//!
//! #[test]
//! fn clicking_next_shows_page_two() {
//!     let server = Server::start(ServerOptions::default().demo_jobs(120)).unwrap();
//!     browser_test("clicking_next_shows_page_two", async |b| {
//!         b.goto(&server.url("/jobs")).await?;
//!         b.wait_for(".jobs > .tbody > [role=row]", WAIT).await?;
//!         b.find(Locator::Css("button[aria-label='Next page']")).await?.click().await?;
//!         b.wait_until("the URL names page 2", WAIT, async || {
//!             Ok(b.current_url().await?.query().unwrap_or("").contains("page=2"))
//!         })
//!         .await?;
//!         b.assert_accessible().await
//!     });
//! }
//! ```
//!
//! Keep each test independent: its own `Server` (a fresh in-memory
//! database, a fixed seed) and its own browser. Tests run two at a time
//! (libtest's default on two cores), so never assume a fixed port.

pub mod hostile;

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A default wait for something to appear: generous, because the machine
/// has two cores and other builds may be running.
pub const WAIT: Duration = Duration::from_secs(15);
/// The most one [`browser_test`] body may take before it is failed.
pub const TEST_LIMIT: Duration = Duration::from_secs(180);
/// The API prefix the development server (like Scale) serves.
pub const API_BASE: &str = "/api/v5";

/// Chromium's flags for running as root in a sandboxed container without a
/// display, GPU or network (background fetches would only be refused).
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--window-size=1400,1000",
];

/// The workspace root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `../shared/fixtures` beside the repository (recorded Scale responses).
pub fn fixtures_dir() -> PathBuf {
    repo_root().join("../shared/fixtures")
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

fn env_path(var: &str, default: impl FnOnce() -> PathBuf) -> PathBuf {
    std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(default)
}

/// The built bundle: `SCALE_DIST_DIR`, else `dist/`.
pub fn dist_dir() -> PathBuf {
    env_path("SCALE_DIST_DIR", || repo_root().join("dist"))
}

/// The server binary: `SCALE_SERVER_BIN`, else `target/server/scale-jobs-server`.
pub fn server_bin() -> PathBuf {
    env_path("SCALE_SERVER_BIN", || {
        target_dir().join("server/scale-jobs-server")
    })
}

fn chromedriver_bin() -> PathBuf {
    env_path("CHROMEDRIVER", || PathBuf::from("/usr/bin/chromedriver"))
}

fn chromium_bin() -> PathBuf {
    env_path("CHROMIUM", || PathBuf::from("/usr/bin/chromium"))
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

/// A response read whole; any status is a response, not an error, so tests
/// can assert on 4xx answers.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: String,
}

impl HttpResponse {
    /// The body decoded as JSON, with the body in the error if it is not.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_str(&self.body).with_context(|| {
            format!(
                "HTTP {} body is not the expected JSON: {}",
                self.status,
                truncate(&self.body, 500)
            )
        })
    }

    /// `Ok(self)` for a 2xx status, else an error naming status and body.
    pub fn ok(self) -> Result<Self> {
        if (200..300).contains(&self.status) {
            Ok(self)
        } else {
            bail!("HTTP {}: {}", self.status, truncate(&self.body, 500))
        }
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        // Everything here is on loopback; an environment proxy must not apply.
        .proxy(None)
        .build()
        .into()
}

fn read_response(
    response: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    what: &str,
) -> Result<HttpResponse> {
    let mut response = response.with_context(|| what.to_owned())?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response
        .body_mut()
        .read_to_string()
        .with_context(|| format!("{what}: reading the body"))?;
    Ok(HttpResponse {
        status,
        content_type,
        body,
    })
}

/// Blocking `GET url`.
pub fn http_get(url: &str) -> Result<HttpResponse> {
    read_response(
        agent(Duration::from_secs(30)).get(url).call(),
        &format!("GET {url}"),
    )
}

/// Blocking `PATCH url` with a JSON body.
pub fn http_patch_json(url: &str, body: &Value) -> Result<HttpResponse> {
    read_response(
        agent(Duration::from_secs(30))
            .patch(url)
            .header("content-type", "application/json")
            .send(body.to_string()),
        &format!("PATCH {url}"),
    )
}

// ---------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------

/// How to start the development server. `Default` is a small, fixed data
/// set (200 jobs, seed 1) serving `dist_dir()`.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub demo_jobs: u32,
    pub seed: u64,
    pub dist: PathBuf,
    /// Further flags, e.g. `--simulate` or `--refresh-seconds 2`.
    pub extra_args: Vec<String>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            demo_jobs: 200,
            seed: 1,
            dist: dist_dir(),
            extra_args: Vec::new(),
        }
    }
}

impl ServerOptions {
    pub fn demo_jobs(mut self, n: u32) -> Self {
        self.demo_jobs = n;
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn dist(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dist = dir.into();
        self
    }

    /// Jobs change state over time (`--simulate`).
    pub fn simulate(self) -> Self {
        self.arg("--simulate")
    }

    /// The refresh interval the server writes into `config.json` (0 = off).
    pub fn refresh_seconds(self, seconds: u32) -> Self {
        self.arg("--refresh-seconds").arg(seconds.to_string())
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.extra_args.push(arg.into());
        self
    }
}

/// A running development server; killed when dropped.
pub struct Server {
    child: Child,
    base_url: String,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Spawns the server on `127.0.0.1:0` and waits (up to 60 s) for its
    /// `listening on http://...` line.
    pub fn start(opts: ServerOptions) -> Result<Server> {
        let bin = server_bin();
        if !bin.is_file() {
            bail!(
                "no server binary at {} (build it: cargo build -p scale-jobs-server --profile server, or set SCALE_SERVER_BIN)",
                bin.display()
            );
        }
        if !opts.dist.join("index.html").is_file() {
            bail!(
                "no built app at {} (build it: cargo xtask dist, or set SCALE_DIST_DIR)",
                opts.dist.display()
            );
        }
        let mut cmd = Command::new(&bin);
        cmd.args(["--addr", "127.0.0.1:0", "--dist"])
            .arg(&opts.dist)
            .args(["--demo-jobs", &opts.demo_jobs.to_string()])
            .args(["--seed", &opts.seed.to_string()])
            .args(&opts.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;

        let log = Arc::new(Mutex::new(String::new()));
        let (url_tx, url_rx) = mpsc::channel();
        // Both streams are drained for the server's whole life, so a chatty
        // server never blocks on a full pipe.
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = Arc::clone(&log);
            let url_tx = url_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(|l| l.ok()) {
                    if let Some(url) = listening_url(&line) {
                        let _ = url_tx.send(url);
                    }
                    if let Ok(mut log) = log.lock() {
                        log.push_str(&line);
                        log.push('\n');
                    }
                }
            });
        }
        drop(url_tx);

        let mut server = Server {
            child,
            base_url: String::new(),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match url_rx.recv_timeout(Duration::from_millis(100)) {
                Ok(url) => {
                    server.base_url = url;
                    return Ok(server);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // Both streams closed: give the exit status a moment to land.
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                bail!(
                    "server exited ({status}) before listening; its output:\n{}",
                    server.log()
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "server printed no `listening on http://...` line within 60 s; its output:\n{}",
                    server.log()
                );
            }
        }
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A URL on the server: `url("/jobs?page=2")`.
    pub fn url(&self, path: &str) -> String {
        scale_jobs_shared::join(&self.base_url, path)
    }

    /// The API base as a full URL, `http://127.0.0.1:PORT/api/v5`.
    pub fn api_base(&self) -> String {
        self.url(API_BASE)
    }

    /// Everything the server printed so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// `GET` a path on the server (`"/api/v5/jobs/?page=2"`).
    pub fn get(&self, path: &str) -> Result<HttpResponse> {
        http_get(&self.url(path))
    }

    /// `PATCH` a path on the server with a JSON body.
    pub fn patch_json(&self, path: &str, body: &Value) -> Result<HttpResponse> {
        http_patch_json(&self.url(path), body)
    }

    /// `GET {api}/jobs/?{query}`, decoded; an error for a non-2xx answer.
    pub fn jobs(
        &self,
        query: &scale_jobs_shared::JobsQuery,
    ) -> Result<scale_jobs_shared::Page<scale_jobs_shared::Job>> {
        let url = scale_jobs_shared::with_query(
            scale_jobs_shared::jobs_url(&self.api_base()),
            &query.to_query_string(),
        );
        http_get(&url)?.ok()?.json()
    }

    /// `GET {api}/jobs/{id}/`, decoded; an error for a non-2xx answer.
    pub fn job(&self, id: i64) -> Result<scale_jobs_shared::JobDetails> {
        http_get(&scale_jobs_shared::job_url(&self.api_base(), id))?
            .ok()?
            .json()
    }

    /// `PATCH {api}/jobs/{id}/` with Scale's cancel body; the raw answer,
    /// since a refused cancel (e.g. a finished job) is a valid outcome.
    pub fn cancel(&self, id: i64) -> Result<HttpResponse> {
        let body: Value = serde_json::from_str(scale_jobs_shared::CANCEL_BODY)?;
        http_patch_json(&scale_jobs_shared::job_url(&self.api_base(), id), &body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("---- server log ({}) ----\n{}", self.base_url, self.log());
        }
    }
}

/// The URL in the server's `listening on http://HOST:PORT` line.
fn listening_url(line: &str) -> Option<String> {
    let at = line.find("listening on ")?;
    let rest = &line[at + "listening on ".len()..];
    let url = rest.split_whitespace().next()?;
    url.starts_with("http://")
        .then(|| url.trim_end_matches('/').to_owned())
}

// ---------------------------------------------------------------------------
// Browser
// ---------------------------------------------------------------------------

/// A headless Chromium session through its own chromedriver. Derefs to
/// [`fantoccini::Client`]. Dropping it (also while panicking) closes the
/// session and kills chromedriver with everything it started.
pub struct Browser {
    client: Client,
    driver: Child,
    driver_port: u16,
    session_id: Option<String>,
    closed: bool,
    // Held for its Drop: the profile directory is removed after Chromium exits.
    _profile: tempfile::TempDir,
}

impl std::ops::Deref for Browser {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Browser {
    /// Starts chromedriver on a free port and opens a session.
    pub async fn start() -> Result<Browser> {
        let profile = tempfile::Builder::new()
            .prefix("scale-e2e-chromium-")
            .tempdir()
            .context("creating a Chromium profile directory")?;
        let (driver, driver_port) = start_chromedriver()?;
        // From here on a failure must not leak chromedriver: build the
        // cleanup owner first.
        let mut guard = DriverGuard {
            driver: Some(driver),
        };

        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium_bin(),
                "args": args,
            },
            "timeouts": { "pageLoad": 60_000, "script": 60_000 },
            // Keeps the page's console for `console_log` (failure reports).
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a json! object literal is an object")
        };
        let connect = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{driver_port}"))
            .await;
        let client = connect.context("opening a WebDriver session in Chromium")?;
        let session_id = client.session_id().await.ok().flatten();
        Ok(Browser {
            client,
            driver: guard.driver.take().expect("set above"),
            driver_port,
            session_id,
            closed: false,
            _profile: profile,
        })
    }

    /// The fantoccini client (also reachable through `Deref`).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The first element matching `css`, waiting up to `timeout` for it.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element> {
        self.client
            .wait()
            .at_most(timeout)
            .every(Duration::from_millis(100))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting {timeout:?} for `{css}`"))
    }

    /// The text of the first element matching `css` (no waiting).
    pub async fn text(&self, css: &str) -> Result<String> {
        let element = self
            .client
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("finding `{css}`"))?;
        Ok(element.text().await?)
    }

    /// Waits until some element matching `css` has text containing `text`;
    /// returns that element.
    pub async fn wait_for_text(&self, css: &str, text: &str, timeout: Duration) -> Result<Element> {
        let found = Arc::new(Mutex::new(None));
        wait_until(
            &format!("`{css}` containing {text:?}"),
            timeout,
            async || {
                for element in self.client.find_all(Locator::Css(css)).await? {
                    if element.text().await?.contains(text) {
                        *found.lock().map_err(|_| anyhow!("poisoned"))? = Some(element);
                        return Ok(true);
                    }
                }
                Ok(false)
            },
        )
        .await?;
        let element = found.lock().map_err(|_| anyhow!("poisoned"))?.take();
        element.ok_or_else(|| anyhow!("element vanished"))
    }

    /// [`wait_until`], as a method for symmetry with `wait_for`.
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        check: impl AsyncFnMut() -> Result<bool>,
    ) -> Result<()> {
        wait_until(what, timeout, check).await
    }

    /// The page's console messages since the last call (chromedriver hands
    /// each message out once), as `LEVEL message` lines. A wasm panic shows
    /// up here through `console_error_panic_hook`.
    pub fn console_log(&self) -> Result<Vec<String>> {
        let id = self
            .session_id
            .as_deref()
            .ok_or_else(|| anyhow!("no session id"))?;
        // Chromedriver's log endpoint is outside the W3C protocol fantoccini
        // speaks; a direct call is simplest.
        let url = format!("http://127.0.0.1:{}/session/{id}/se/log", self.driver_port);
        let answer = read_response(
            agent(Duration::from_secs(10))
                .post(&url)
                .header("content-type", "application/json")
                .send(json!({ "type": "browser" }).to_string()),
            "reading the browser console",
        )?
        .ok()?
        .json::<Value>()?;
        let entries = answer["value"].as_array().cloned().unwrap_or_default();
        Ok(entries
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["level"].as_str().unwrap_or("?"),
                    e["message"].as_str().unwrap_or("")
                )
            })
            .collect())
    }

    /// Saves a PNG screenshot (creating parent directories).
    pub async fn save_screenshot(&self, path: &Path) -> Result<()> {
        let png = self.client.screenshot().await?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, png)?;
        Ok(())
    }

    /// Runs axe-core (from `node_modules/axe-core`) on the current page and
    /// returns every violation.
    pub async fn axe(&self) -> Result<Vec<AxeViolation>> {
        let path = repo_root().join("node_modules/axe-core/axe.min.js");
        let source = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {} (run `cargo xtask setup`)", path.display()))?;
        self.client
            .execute(&source, vec![])
            .await
            .context("injecting axe-core")?;
        let answer = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                   axe.run(document, { resultTypes: ["violations"] })
                      .then(r => done({ violations: r.violations }),
                            e => done({ error: String(e) }));"#,
                vec![],
            )
            .await
            .context("running axe")?;
        if let Some(error) = answer.get("error") {
            bail!("axe.run failed: {error}");
        }
        serde_json::from_value(answer["violations"].clone()).context("decoding axe's violations")
    }

    /// Fails, listing them, if axe finds any `serious` or `critical`
    /// violation on the current page.
    pub async fn assert_accessible(&self) -> Result<()> {
        let serious: Vec<AxeViolation> = self
            .axe()
            .await?
            .into_iter()
            .filter(AxeViolation::is_serious)
            .collect();
        if serious.is_empty() {
            return Ok(());
        }
        let url = self.client.current_url().await.map(|u| u.to_string());
        let mut report = format!(
            "{} serious/critical accessibility violation(s) on {}:\n",
            serious.len(),
            url.unwrap_or_default()
        );
        for v in &serious {
            report.push_str(&v.to_string());
        }
        bail!(report)
    }

    /// Ends the session cleanly; dropping does the same, without waiting.
    pub async fn close(mut self) -> Result<()> {
        self.closed = true;
        self.client.clone().close().await?;
        Ok(())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Drop cannot await, and after a panic the async runtime may be gone:
        // end the session with a plain blocking WebDriver call instead.
        if !self.closed {
            if let Some(id) = &self.session_id {
                let url = format!("http://127.0.0.1:{}/session/{id}", self.driver_port);
                let _ = agent(Duration::from_secs(10)).delete(&url).call();
            }
        }
        kill_process_group(&mut self.driver);
    }
}

/// Kills chromedriver if `Browser::start` fails half-way.
struct DriverGuard {
    driver: Option<Child>,
}

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Some(driver) = &mut self.driver {
            kill_process_group(driver);
        }
    }
}

/// Chromedriver runs in its own process group (see `start_chromedriver`),
/// so one signal also reaches any Chromium it left behind.
fn kill_process_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Spawns chromedriver on a free port and waits for `/status` to say ready.
/// A port taken between choosing and binding is retried with another.
fn start_chromedriver() -> Result<(Child, u16)> {
    use std::os::unix::process::CommandExt;
    let bin = chromedriver_bin();
    let mut last_error = anyhow!("chromedriver never started");
    for _ in 0..3 {
        let port = free_port()?;
        let mut driver = Command::new(&bin)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {} (run `cargo xtask setup`)", bin.display()))?;
        let status_url = format!("http://127.0.0.1:{port}/status");
        let deadline = Instant::now() + Duration::from_secs(30);
        let ready = loop {
            if let Ok(Some(status)) = driver.try_wait() {
                last_error = anyhow!("chromedriver exited at start ({status})");
                break false;
            }
            let answer = agent(Duration::from_secs(2)).get(&status_url).call();
            if let Ok(status) = read_response(answer, "chromedriver /status") {
                if status.status == 200
                    && status
                        .json::<Value>()
                        .is_ok_and(|v| v["value"]["ready"] == true)
                {
                    break true;
                }
            }
            if Instant::now() > deadline {
                last_error = anyhow!("chromedriver not ready on port {port} within 30 s");
                break false;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        if ready {
            return Ok((driver, port));
        }
        kill_process_group(&mut driver);
    }
    Err(last_error)
}

/// Polls `check` every 100 ms until it returns `Ok(true)`, for up to
/// `timeout`. An `Err` from `check` counts as "not yet" (elements come and
/// go while the app renders); the last one is reported on timeout.
pub async fn wait_until(
    what: &str,
    timeout: Duration,
    mut check: impl AsyncFnMut() -> Result<bool>,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let mut last_error = None;
    loop {
        match check().await {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) => last_error = Some(e),
        }
        if Instant::now() > deadline {
            return Err(match last_error {
                Some(e) => e.context(format!("timed out after {timeout:?} waiting for {what}")),
                None => anyhow!("timed out after {timeout:?} waiting for {what}"),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs a browser test body: starts a [`Browser`], runs `body` under
/// [`TEST_LIMIT`], and if it returns an error, panics or times out, saves
/// `target/e2e-screenshots/<name>.png` and `<name>.html` before failing.
/// The browser is cleaned up in every case.
#[track_caller]
pub fn browser_test(name: &str, body: impl AsyncFnOnce(&Browser) -> Result<()>) {
    enum Failure {
        Error(String),
        Panic(Box<dyn std::any::Any + Send>),
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building a tokio runtime");
    let failure = runtime.block_on(async {
        let browser = match Browser::start().await {
            Ok(browser) => browser,
            Err(e) => return Some(Failure::Error(format!("{e:#}"))),
        };
        let body = AssertUnwindSafe(body(&browser)).catch_unwind();
        let failure = match tokio::time::timeout(TEST_LIMIT, body).await {
            Ok(Ok(Ok(()))) => None,
            Ok(Ok(Err(e))) => Some(Failure::Error(format!("{e:#}"))),
            Ok(Err(panic)) => Some(Failure::Panic(panic)),
            Err(_) => Some(Failure::Error(format!(
                "the test body ran past {TEST_LIMIT:?}"
            ))),
        };
        if failure.is_some() {
            save_failure_artifacts(&browser, name).await;
            drop(browser);
        } else if let Err(e) = browser.close().await {
            eprintln!("closing the browser session: {e:?}");
        }
        failure
    });
    match failure {
        None => {}
        Some(Failure::Error(message)) => panic!("{name} failed: {message}"),
        // The panic's message and location were printed when it happened.
        Some(Failure::Panic(payload)) => std::panic::resume_unwind(payload),
    }
}

async fn save_failure_artifacts(browser: &Browser, name: &str) {
    let dir = target_dir().join("e2e-screenshots");
    let png = dir.join(format!("{name}.png"));
    match browser.save_screenshot(&png).await {
        Ok(()) => eprintln!("screenshot: {}", png.display()),
        Err(e) => eprintln!("no screenshot: {e:?}"),
    }
    if let Ok(html) = browser.source().await {
        let path = dir.join(format!("{name}.html"));
        if std::fs::write(&path, html).is_ok() {
            eprintln!("page source: {}", path.display());
        }
    }
    if let Ok(url) = browser.current_url().await {
        eprintln!("page URL: {url}");
    }
    match browser.console_log() {
        Ok(lines) if lines.is_empty() => eprintln!("browser console: (empty)"),
        Ok(lines) => eprintln!("browser console:\n  {}", lines.join("\n  ")),
        Err(e) => eprintln!("browser console unavailable: {e:#}"),
    }
}

// ---------------------------------------------------------------------------
// axe-core results
// ---------------------------------------------------------------------------

/// One rule axe-core found broken on the page.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AxeViolation {
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    pub help: String,
    #[serde(default)]
    pub help_url: String,
    #[serde(default)]
    pub nodes: Vec<AxeNode>,
}

/// One element a violation applies to.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AxeNode {
    /// CSS selector path(s) to the element.
    #[serde(default)]
    pub target: Vec<Value>,
    #[serde(default)]
    pub html: String,
    #[serde(default)]
    pub failure_summary: Option<String>,
}

impl AxeViolation {
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }
}

impl std::fmt::Display for AxeViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "- [{}] {}: {} ({})",
            self.impact.as_deref().unwrap_or("?"),
            self.id,
            self.help,
            self.help_url
        )?;
        for node in &self.nodes {
            writeln!(
                f,
                "    at {}: {}",
                json!(node.target),
                truncate(&node.html, 200)
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_listening_line() {
        assert_eq!(
            listening_url("scale-jobs-server: listening on http://127.0.0.1:40123").as_deref(),
            Some("http://127.0.0.1:40123")
        );
        assert_eq!(
            listening_url("listening on http://127.0.0.1:8080/ (2000 demo jobs)").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(listening_url("loading 2000 demo jobs"), None);
    }

    #[test]
    fn classifies_axe_impacts() {
        let v: Vec<AxeViolation> = serde_json::from_value(json!([
            {"id": "color-contrast", "impact": "serious", "help": "Contrast", "helpUrl": "u",
             "nodes": [{"target": ["td.status"], "html": "<td>", "failureSummary": "x"}]},
            {"id": "region", "impact": "moderate", "help": "Landmarks", "nodes": []},
            {"id": "odd", "impact": null, "help": "?"}
        ]))
        .unwrap();
        let serious: Vec<&str> = v
            .iter()
            .filter(|v| v.is_serious())
            .map(|v| v.id.as_str())
            .collect();
        assert_eq!(serious, ["color-contrast"]);
        assert!(v[0].to_string().contains("td.status"));
    }

    #[test]
    fn a_non_2xx_response_is_an_error_only_when_asked() {
        let r = HttpResponse {
            status: 404,
            content_type: None,
            body: r#"{"detail":"Not found."}"#.into(),
        };
        assert_eq!(r.json::<Value>().unwrap()["detail"], "Not found.");
        assert!(r.ok().unwrap_err().to_string().contains("404"));
    }
}
