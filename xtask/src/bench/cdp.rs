//! A small, blocking Chrome DevTools Protocol client: launches headless
//! Chromium with a remote-debugging port, speaks CDP over one WebSocket to
//! the browser endpoint, and attaches to pages with flat sessions
//! (`Target.attachToTarget {flatten: true}`), so every command and event
//! carries its page's `sessionId`.
//!
//! Events are kept in arrival order until a caller takes them
//! ([`Cdp::take_events`]); [`Cdp::pump`] reads the socket for a while
//! without sending anything, e.g. to watch a page's requests.

use crate::Result;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

/// Flags for running as root in a container without display, GPU or
/// network, as the e2e tests use them, plus what the benchmark needs:
/// precise `performance.memory`, and timers in hidden tabs left at full
/// rate (so "no requests while hidden" is the app's doing, not throttling).
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--enable-precise-memory-info",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--window-size=1400,1000",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
];

/// How long one CDP command may take.
const CALL_LIMIT: Duration = Duration::from_secs(60);

/// One CDP event: which page session sent it, its method and parameters.
#[derive(Debug, Clone)]
pub struct Event {
    pub session: Option<String>,
    pub method: String,
    pub params: Value,
}

/// A running Chromium and the CDP connection to it. Dropping it kills the
/// browser (its whole process group) and removes its profile directory.
pub struct Cdp {
    ws: WebSocket<TcpStream>,
    next_id: u64,
    events: Vec<Event>,
    child: Child,
    profile: PathBuf,
    pub version: String,
}

impl Cdp {
    /// Starts `chromium` with a fresh profile under `scratch` and connects.
    pub fn launch(chromium: &Path, scratch: &Path) -> Result<Cdp> {
        use std::os::unix::process::CommandExt;
        let profile = scratch.join(format!("chromium-profile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile)
            .map_err(|e| format!("cannot create {}: {e}", profile.display()))?;
        let mut child = Command::new(chromium)
            .args(CHROMIUM_ARGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", chromium.display()))?;
        // Chromium prints `DevTools listening on ws://...` on stderr; keep
        // draining the pipe afterwards so it never blocks on a full buffer.
        let stderr = child.stderr.take().ok_or("chromium has no stderr pipe")?;
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(|l| l.ok()) {
                if let Some(at) = line.find("ws://") {
                    let _ = tx.send(line[at..].trim().to_owned());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => {
                kill_group(&mut child);
                return Err("chromium printed no `DevTools listening on ws://...` in 60 s".into());
            }
        };
        let connected = connect(&url);
        let ws = match connected {
            Ok(ws) => ws,
            Err(e) => {
                kill_group(&mut child);
                return Err(e);
            }
        };
        let mut cdp = Cdp {
            ws,
            next_id: 0,
            events: Vec::new(),
            child,
            profile,
            version: String::new(),
        };
        let version = cdp.call(None, "Browser.getVersion", json!({}))?;
        cdp.version = version["product"].as_str().unwrap_or("?").to_owned();
        Ok(cdp)
    }

    /// Sends a command (to a page session, or to the browser for `None`)
    /// and waits for its answer, keeping the events that arrive meanwhile.
    pub fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            message["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(message.to_string()))
            .map_err(|e| format!("CDP {method}: cannot send: {e}"))?;
        let deadline = Instant::now() + CALL_LIMIT;
        loop {
            if Instant::now() > deadline {
                return Err(format!("CDP {method}: no answer in {CALL_LIMIT:?}"));
            }
            let Some(value) = self.read_one(Duration::from_millis(500))? else {
                continue;
            };
            if value["id"].as_u64() == Some(id) {
                if let Some(error) = value.get("error") {
                    return Err(format!("CDP {method}: {error}"));
                }
                return Ok(value["result"].clone());
            }
        }
    }

    /// Reads the socket for `duration`, collecting events.
    pub fn pump(&mut self, duration: Duration) -> Result {
        let deadline = Instant::now() + duration;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            self.read_one(left.min(Duration::from_millis(200)))?;
        }
    }

    /// The events collected so far (and forgets them).
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    /// One message, or `None` if none came within `wait`. Events are stored;
    /// answers are returned.
    fn read_one(&mut self, wait: Duration) -> Result<Option<Value>> {
        let _ = self
            .ws
            .get_mut()
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))));
        match self.ws.read() {
            Ok(Message::Text(text)) => {
                let value: Value = serde_json::from_str(text.as_str())
                    .map_err(|e| format!("CDP sent something that is not JSON: {e}"))?;
                if value.get("id").is_some() {
                    return Ok(Some(value));
                }
                if let Some(method) = value["method"].as_str() {
                    self.events.push(Event {
                        session: value["sessionId"].as_str().map(str::to_owned),
                        method: method.to_owned(),
                        params: value["params"].clone(),
                    });
                }
                Ok(None)
            }
            Ok(Message::Close(_)) => Err("the browser closed the CDP connection".into()),
            Ok(_) => Ok(None),
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(format!("CDP connection: {e}")),
        }
    }

    /// A new tab on `about:blank`, in a new browser context (an empty
    /// profile: no cache, no storage) when `fresh_context`, attached and
    /// with the Page and Runtime domains on.
    pub fn new_page(&mut self, fresh_context: bool) -> Result<Page> {
        let context = if fresh_context {
            let r = self.call(None, "Target.createBrowserContext", json!({}))?;
            Some(
                r["browserContextId"]
                    .as_str()
                    .ok_or("Target.createBrowserContext: no browserContextId")?
                    .to_owned(),
            )
        } else {
            None
        };
        let mut params = json!({ "url": "about:blank" });
        if let Some(c) = &context {
            params["browserContextId"] = json!(c);
        }
        let r = self.call(None, "Target.createTarget", params)?;
        let target = r["targetId"]
            .as_str()
            .ok_or("Target.createTarget: no targetId")?
            .to_owned();
        let r = self.call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target, "flatten": true }),
        )?;
        let session = r["sessionId"]
            .as_str()
            .ok_or("Target.attachToTarget: no sessionId")?
            .to_owned();
        let page = Page {
            target,
            session,
            context,
        };
        self.call(Some(&page.session), "Page.enable", json!({}))?;
        self.call(Some(&page.session), "Runtime.enable", json!({}))?;
        Ok(page)
    }

    /// Closes a tab and disposes of its browser context, if it had its own.
    pub fn close_page(&mut self, page: Page) -> Result {
        self.call(
            None,
            "Target.closeTarget",
            json!({ "targetId": page.target }),
        )?;
        if let Some(c) = page.context {
            self.call(
                None,
                "Target.disposeBrowserContext",
                json!({ "browserContextId": c }),
            )?;
        }
        // Events of a closed page are of no use to anyone.
        self.events
            .retain(|e| e.session.as_deref() != Some(page.session.as_str()));
        Ok(())
    }

    /// Evaluates a JavaScript expression in the page (awaiting a promise)
    /// and returns its value; a thrown exception is an error.
    pub fn eval(&mut self, page: &Page, expression: &str) -> Result<Value> {
        let r = self.call(
            Some(&page.session),
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
        )?;
        if let Some(ex) = r.get("exceptionDetails") {
            let text = ex["exception"]["description"]
                .as_str()
                .or(ex["text"].as_str())
                .unwrap_or("?");
            return Err(format!("JavaScript `{}` threw: {text}", short(expression)));
        }
        Ok(r["result"]["value"].clone())
    }

    /// Navigates the tab (without waiting for anything to load).
    pub fn navigate(&mut self, page: &Page, url: &str) -> Result {
        let r = self.call(Some(&page.session), "Page.navigate", json!({ "url": url }))?;
        if let Some(e) = r["errorText"].as_str() {
            return Err(format!("navigating to {url}: {e}"));
        }
        Ok(())
    }

    /// Polls a JavaScript condition every 20 ms until it is `true`.
    pub fn wait_for(&mut self, page: &Page, condition: &str, limit: Duration) -> Result {
        let deadline = Instant::now() + limit;
        let mut last_error = None;
        loop {
            match self.eval(page, condition) {
                Ok(Value::Bool(true)) => return Ok(()),
                Ok(_) => {}
                // Mid-navigation the context may be gone; that is "not yet".
                Err(e) => last_error = Some(e),
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "waited {limit:?} for `{}`{}",
                    short(condition),
                    last_error
                        .map(|e| format!(" (last error: {e})"))
                        .unwrap_or_default()
                ));
            }
            self.pump(Duration::from_millis(20))?;
        }
    }
}

impl Drop for Cdp {
    fn drop(&mut self) {
        let _ = self.ws.close(None);
        kill_group(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// One attached tab.
pub struct Page {
    pub target: String,
    pub session: String,
    context: Option<String>,
}

fn connect(url: &str) -> Result<WebSocket<TcpStream>> {
    let hostport = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| format!("unexpected DevTools URL {url}"))?;
    let stream =
        TcpStream::connect(hostport).map_err(|e| format!("cannot connect to {hostport}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (ws, _) =
        tungstenite::client(url, stream).map_err(|e| format!("WebSocket handshake: {e}"))?;
    Ok(ws)
}

/// Chromium runs in its own process group (started with `process_group(0)`),
/// so one signal reaches its helpers too; only this child's group is touched.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

fn short(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(80) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}
