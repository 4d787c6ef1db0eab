//! Shared harness: start the real binary on a free port, talk HTTP to it.
#![allow(dead_code)]

use reqwest::blocking::{Client, Response};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_scale-jobs-server");

/// A running server process; killed when dropped.
pub struct Server {
    child: Child,
    /// For [`Server::start_shared`]: the pipe whose closing stops it.
    lifeline: Option<ChildStdin>,
    pub port: u16,
    pub base: String,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts the binary with `args` plus `--addr 127.0.0.1:0` and waits for
    /// its `listening on` line.
    pub fn start(args: &[&str]) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.args(["--addr", "127.0.0.1:0"]).args(args);
        Server::start_cmd(cmd)
    }

    /// For a server kept in a `static`, which is never dropped: it runs
    /// under a shell that stops it when its stdin, a pipe from this test
    /// process, closes, which happens when the test binary exits. Without
    /// this, every run of a test file left its shared server running.
    pub fn start_shared(args: &[&str]) -> Server {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            // After `exec`, only the server holds the output pipes: one that
            // exits early is seen at once, and the shell exits with its status.
            .arg(r#""$0" "$@" </dev/null & server=$!; exec >/dev/null 2>&1; cat; kill $server; wait $server"#)
            .arg(BIN)
            .args(["--addr", "127.0.0.1:0"])
            .args(args);
        Server::spawn(cmd, true)
    }

    pub fn start_cmd(cmd: Command) -> Server {
        Server::spawn(cmd, false)
    }

    fn spawn(mut cmd: Command, lifeline: bool) -> Server {
        let mut child = cmd
            .stdin(if lifeline {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn server");
        let mut lifeline = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        // Drain stderr (one log line per request) so the pipe never fills.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        let port = url
                            .rsplit(':')
                            .next()
                            .and_then(|p| p.trim().parse().ok())
                            .expect("port in listening line");
                        return Server {
                            child,
                            lifeline,
                            port,
                            base: url.trim().to_string(),
                            stderr: lines,
                        };
                    }
                }
                Err(_) => {
                    // A shared server's shell stops it when its lifeline
                    // closes; killing the shell would leave the server.
                    if lifeline.take().is_none() {
                        let _ = child.kill();
                    }
                    let status = child.wait().ok();
                    std::thread::sleep(Duration::from_millis(100));
                    panic!(
                        "server did not start ({status:?}); stderr: {:?}",
                        lines.lock().unwrap()
                    );
                }
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v5{}", self.base, path)
    }

    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) for a stderr line containing `needle`.
    pub fn wait_for_stderr(&self, needle: &str) -> Option<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(l) = self.stderr_lines().into_iter().find(|l| l.contains(needle)) {
                return Some(l);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's process id; not for a shared server, whose child is
    /// the shell around it.
    pub fn pid(&self) -> u32 {
        assert!(
            self.lifeline.is_none(),
            "a shared server's pid is its shell's"
        );
        self.child.id()
    }

    /// Kills the process with SIGKILL (no chance to clean up) and waits.
    pub fn kill_hard(&mut self) -> Option<ExitStatus> {
        assert!(
            self.lifeline.is_none(),
            "a shared server stops with its tests"
        );
        let _ = self.child.kill();
        self.child.wait().ok()
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self) -> Option<ExitStatus> {
        assert!(
            self.lifeline.is_none(),
            "a shared server stops with its tests"
        );
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(s)) = self.child.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A shared server's shell stops it once its lifeline closes.
        if self.lifeline.take().is_none() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

pub fn client() -> &'static Client {
    static C: OnceLock<Client> = OnceLock::new();
    C.get_or_init(|| {
        Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client")
    })
}

/// A response read fully.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Resp {
    fn from(r: Response) -> Resp {
        Resp {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            text: r.text().unwrap_or_default(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The `detail` of a JSON error body, checking it is JSON.
    pub fn detail(&self) -> String {
        assert!(
            self.header("content-type")
                .unwrap_or_default()
                .starts_with("application/json"),
            "error body is not JSON: {self:?}"
        );
        // Error bodies decode through the shared model too.
        let body: scale_jobs_shared::ErrorBody = serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not an error body ({e}): {}", self.text));
        assert!(
            body.detail.is_string(),
            "detail is not a string: {}",
            self.text
        );
        body.message()
    }
}

pub fn get(url: &str) -> Resp {
    Resp::from(client().get(url).send().expect("GET"))
}

pub fn send(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&str>) -> Resp {
    let mut req = client().request(Method::from_bytes(method.as_bytes()).unwrap(), url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    Resp::from(req.send().expect("request"))
}

/// A response with its raw body bytes (compressed bodies are not text).
#[derive(Debug)]
pub struct RawResp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawResp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    /// The body decoded per its `Content-Encoding`.
    pub fn decoded(&self) -> Vec<u8> {
        use std::io::Read;
        match self.header("content-encoding").as_deref() {
            None => self.body.clone(),
            Some("gzip") => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&self.body[..])
                    .read_to_end(&mut out)
                    .expect("gzip body");
                out
            }
            Some("br") => {
                let mut out = Vec::new();
                brotli::BrotliDecompress(&mut &self.body[..], &mut out).expect("brotli body");
                out
            }
            Some(other) => panic!("unexpected content-encoding {other}"),
        }
    }

    /// Whether `Vary` names `token`.
    pub fn varies_on(&self, token: &str) -> bool {
        self.headers
            .get_all("vary")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }
}

pub fn send_raw(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
) -> RawResp {
    let mut req = client().request(Method::from_bytes(method.as_bytes()).unwrap(), url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let r = req.send().expect("request");
    RawResp {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.bytes().map(|b| b.to_vec()).unwrap_or_default(),
    }
}

pub fn get_raw(url: &str, headers: &[(&str, &str)]) -> RawResp {
    send_raw("GET", url, headers, None)
}

pub fn patch_json(url: &str, body: &str) -> Resp {
    send(
        "PATCH",
        url,
        &[("content-type", "application/json;charset=utf-8")],
        Some(body),
    )
}

/// GETs a list page and checks it is a 200 JSON page.
pub fn page(url: &str) -> Value {
    let r = get(url);
    assert_eq!(r.status, 200, "{url}: {}", r.text);
    let v = r.json();
    // Every list answer decodes through the shared model.
    let _: scale_jobs_shared::Page<scale_jobs_shared::Job> =
        serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{url}: {e}"));
    v
}

pub fn count(url: &str) -> u64 {
    page(url)["count"].as_u64().unwrap()
}

pub fn results(v: &Value) -> &Vec<Value> {
    v["results"].as_array().expect("results")
}

pub fn ids(v: &Value) -> Vec<i64> {
    results(v)
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// Every job (superseded included) in default order, via pages of 1000.
pub fn all_jobs(server: &Server, endpoint: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut page_no = 1;
    loop {
        let v = page(&server.api(&format!(
            "{endpoint}?include_superseded=true&page_size=1000&page={page_no}"
        )));
        out.extend(results(&v).iter().cloned());
        if v["next"].is_null() {
            return out;
        }
        page_no += 1;
    }
}

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/scale-5.0")
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "scale-jobs-server-test-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
