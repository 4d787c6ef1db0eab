//! Plain HTTP measurements: what the server sends for the app's assets,
//! and a concurrent load generator for list queries. Loopback only.

use super::report::percentile;
use crate::Result;
use std::path::Path;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        // Everything here is on loopback; an environment proxy must not apply.
        .proxy(None)
        .max_idle_connections_per_host(64)
        .build()
        .into()
}

/// A `GET` answered: status, `Content-Encoding`, and the body exactly as
/// sent (this ureq has no decompression features, so nothing is decoded).
pub struct Fetched {
    pub status: u16,
    pub encoding: Option<String>,
    pub body: Vec<u8>,
}

pub fn get(agent: &ureq::Agent, url: &str, accept_encoding: Option<&str>) -> Result<Fetched> {
    let mut req = agent.get(url);
    if let Some(ae) = accept_encoding {
        req = req.header("accept-encoding", ae);
    }
    let mut resp = req.call().map_err(|e| format!("GET {url}: {e}"))?;
    let status = resp.status().as_u16();
    let encoding = resp
        .headers()
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_vec()
        .map_err(|e| format!("GET {url}: reading the body: {e}"))?;
    Ok(Fetched {
        status,
        encoding,
        body,
    })
}

/// One asset of the initial load.
#[derive(Debug, Clone)]
pub struct Asset {
    /// The path on the server (`/boot.js`).
    pub path: String,
    /// `wasm`, `js` or `css`.
    pub kind: &'static str,
    pub raw: u64,
    /// Bytes sent with `Accept-Encoding: br, gzip`, and the coding used.
    pub sent: u64,
    pub sent_encoding: String,
    /// Bytes sent with `Accept-Encoding: gzip` only.
    pub gzip: u64,
}

/// The assets a first visit loads: every script, stylesheet and preload
/// `dist/index.html` references, plus what `boot.js` imports (the JS glue
/// and the wasm) and `boot.js` and `stylers.css` themselves.
pub fn initial_assets(dist: &Path) -> Result<Vec<(String, &'static str)>> {
    let html = std::fs::read_to_string(dist.join("index.html"))
        .map_err(|e| format!("cannot read {}/index.html: {e}", dist.display()))?;
    let boot = std::fs::read_to_string(dist.join("boot.js"))
        .map_err(|e| format!("cannot read {}/boot.js: {e}", dist.display()))?;
    let mut paths: Vec<String> = Vec::new();
    for attr in ["href", "src"] {
        paths.extend(attr_values(&html, attr)?);
    }
    // boot.js: `import init from "./x.js"` and `new URL("./x_bg.wasm", ...)`.
    paths.extend(quoted_after(&boot, "\"./"));
    paths.push("/boot.js".into());
    paths.push("/stylers.css".into());
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for p in paths {
        if p.contains(':') {
            continue; // data:, https:, ...
        }
        let path = format!("/{}", p.trim_start_matches("./").trim_start_matches('/'));
        let kind = if path.ends_with(".wasm") {
            "wasm"
        } else if path.ends_with(".js") {
            "js"
        } else if path.ends_with(".css") {
            "css"
        } else {
            continue;
        };
        if !out.iter().any(|(q, _)| *q == path) {
            out.push((path, kind));
        }
    }
    if !out.iter().any(|(_, k)| *k == "wasm") {
        return Err("found no .wasm among the assets index.html and boot.js name".into());
    }
    Ok(out)
}

/// The second part of a split console wasm (xtask/src/split.rs), which
/// boot.js names `const rest = "..."` and fetches after the first rows are
/// painted: not part of the initial load. `None` for a bundle in one part.
pub fn rest_asset(dist: &Path) -> Result<Option<(String, &'static str)>> {
    let boot = std::fs::read_to_string(dist.join("boot.js"))
        .map_err(|e| format!("cannot read {}/boot.js: {e}", dist.display()))?;
    Ok(quoted_after(&boot, "const rest = \"")
        .into_iter()
        .find(|name| !name.starts_with("__"))
        .map(|name| (format!("/{name}"), "wasm")))
}

/// What a portal page loads for its widgets: `embed.js` and the widgets'
/// bundle it names (`const BUNDLE_JS = "..."`, `const BUNDLE_WASM = "..."`).
pub fn widget_assets(dist: &Path) -> Result<Vec<(String, &'static str)>> {
    let embed = std::fs::read_to_string(dist.join("embed.js"))
        .map_err(|e| format!("cannot read {}/embed.js: {e}", dist.display()))?;
    let named = |constant: &str| {
        quoted_after(&embed, &format!("const {constant} = \""))
            .into_iter()
            .next()
            .filter(|n| !n.is_empty() && !n.contains(['/', ':']))
            .ok_or_else(|| format!("embed.js names no {constant}"))
    };
    Ok(vec![
        ("/embed.js".to_owned(), "js"),
        (format!("/{}", named("BUNDLE_JS")?), "js"),
        (format!("/{}", named("BUNDLE_WASM")?), "wasm"),
    ])
}

/// Every value of the attribute `name` in `html`, written as HTML allows:
/// in either case, double-quoted, single-quoted or (as Trunk's minified
/// `index.html` has them) bare up to whitespace or `>`. A plain scan, not
/// a parser: it reads our own `index.html`, and an unclosed quote there is
/// an error rather than the end of the list.
fn attr_values(html: &str, name: &str) -> Result<Vec<String>> {
    let mut found = Vec::new();
    // ASCII lower-casing keeps every byte where it was.
    let lower = html.to_ascii_lowercase();
    let marker = format!("{name}=");
    let mut from = 0;
    while let Some(at) = lower[from..].find(&marker).map(|i| from + i) {
        from = at + marker.len();
        // A whole attribute name: `data-src=` is not `src=`.
        if at > 0 && !lower.as_bytes()[at - 1].is_ascii_whitespace() {
            continue;
        }
        let rest = &html[from..];
        let (value, used) = match rest.as_bytes().first() {
            Some(&q @ (b'"' | b'\'')) => match rest[1..].find(char::from(q)) {
                Some(end) => (&rest[1..=end], end + 2),
                None => return Err(format!("index.html: an unclosed quote after `{name}=`")),
            },
            _ => {
                let end = rest
                    .find(|c: char| c.is_ascii_whitespace() || c == '>')
                    .unwrap_or(rest.len());
                (&rest[..end], end)
            }
        };
        found.push(value.to_owned());
        from += used;
    }
    Ok(found)
}

/// Every `"..."` string that follows `marker` (the marker's own quote is
/// the opening one, unless the marker is `"./`, which keeps its `./`).
fn quoted_after(text: &str, marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let after = &rest[at + marker.len()..];
        let Some(end) = after.find('"') else { break };
        let value = if marker == "\"./" {
            format!("./{}", &after[..end])
        } else {
            after[..end].to_owned()
        };
        found.push(value);
        rest = &after[end..];
    }
    found
}

/// Fetches each asset twice (`br, gzip` and `gzip`) and notes its bytes.
pub fn measure_assets(
    base: &str,
    dist: &Path,
    list: Vec<(String, &'static str)>,
) -> Result<Vec<Asset>> {
    let agent = agent();
    let mut assets = Vec::new();
    for (path, kind) in list {
        let raw = std::fs::metadata(dist.join(path.trim_start_matches('/')))
            .map_err(|e| format!("{path}: {e}"))?
            .len();
        let url = format!("{base}{path}");
        let best = get(&agent, &url, Some("br, gzip"))?;
        if best.status != 200 {
            return Err(format!("GET {url}: HTTP {}", best.status));
        }
        let gzip = get(&agent, &url, Some("gzip"))?;
        assets.push(Asset {
            path,
            kind,
            raw,
            sent: best.body.len() as u64,
            sent_encoding: best.encoding.unwrap_or_else(|| "identity".into()),
            gzip: gzip.body.len() as u64,
        });
    }
    Ok(assets)
}

/// Latencies of one load run.
#[derive(Debug, Clone)]
pub struct LoadRun {
    pub clients: usize,
    pub seconds: f64,
    pub requests: usize,
    pub errors: usize,
    pub first_error: Option<String>,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub requests_per_second: f64,
    /// Compressed bytes of one answer (the last one seen).
    pub body_bytes: usize,
}

/// `clients` threads, each sending `GET url` back to back (as a browser
/// would: `Accept-Encoding: br, gzip`, reading the whole body) for
/// `duration`.
pub fn load(url: &str, clients: usize, duration: Duration) -> Result<LoadRun> {
    if !(url.starts_with("http://127.0.0.1:") || url.starts_with("http://localhost:")) {
        return Err(format!("refusing to load a non-loopback URL: {url}"));
    }
    let url = Arc::new(url.to_owned());
    let started = Instant::now();
    let deadline = started + duration;
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let url = Arc::clone(&url);
            thread::spawn(move || {
                let agent = agent();
                let mut latencies = Vec::new();
                let mut errors = 0usize;
                let mut first_error = None;
                let mut body_bytes = 0;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match get(&agent, &url, Some("br, gzip")) {
                        Ok(f) if f.status == 200 => {
                            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                            body_bytes = f.body.len();
                        }
                        Ok(f) => {
                            errors += 1;
                            first_error.get_or_insert(format!("HTTP {}", f.status));
                        }
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e);
                        }
                    }
                }
                (latencies, errors, first_error, body_bytes)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    let mut body_bytes = 0;
    for h in handles {
        let (l, e, f, b) = h.join().map_err(|_| "a load thread panicked")?;
        latencies.extend(l);
        errors += e;
        if first_error.is_none() {
            first_error = f;
        }
        body_bytes = body_bytes.max(b);
    }
    let seconds = started.elapsed().as_secs_f64();
    if latencies.is_empty() {
        return Err(format!(
            "no successful request to {url} in {seconds:.1} s ({})",
            first_error.unwrap_or_default()
        ));
    }
    Ok(LoadRun {
        clients,
        seconds,
        requests: latencies.len(),
        errors,
        first_error,
        p50_ms: percentile(&latencies, 50.0).unwrap_or_default(),
        p99_ms: percentile(&latencies, 99.0).unwrap_or_default(),
        requests_per_second: latencies.len() as f64 / seconds,
        body_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_assets_of_index_html_and_boot_js() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-assets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("index.html"),
            r#"<link rel="icon" href="data:," /><link rel="stylesheet" href="/main-1.css" integrity="x"/>
               <link rel="stylesheet" href="/stylers.css" /><script type="module" src="/boot.js"></script>
               <link rel="modulepreload" href="/app-1.js"><link rel="preload" href="/app-1_bg.wasm" as="fetch">"#,
        )
        .unwrap();
        std::fs::write(
            dir.join("boot.js"),
            r#"import init from "./app-1.js";
               await init({ module_or_path: new URL("./app-1_bg.wasm", import.meta.url) });"#,
        )
        .unwrap();
        let found = initial_assets(&dir).unwrap();
        // The same page as Trunk minifies it: bare and single-quoted values.
        std::fs::write(
            dir.join("index.html"),
            "<link href=data:, rel=icon><link href=/main-1.css integrity=x rel=stylesheet>\
             <link href='/stylers.css' rel=stylesheet><script src=/boot.js type=module></script>\
             <link data-src=/not-this.js href=/app-1.js rel=modulepreload><link as=fetch href=/app-1_bg.wasm rel=preload></head>",
        )
        .unwrap();
        let minified = initial_assets(&dir).unwrap();
        // Attribute names in any case; an unclosed quote is an error.
        std::fs::write(
            dir.join("index.html"),
            "<LINK HREF=/main-1.css REL=stylesheet><link Href=\"/stylers.css\"><SCRIPT SRC='/boot.js'></SCRIPT>\
             <link href=/app-1.js><link href=/app-1_bg.wasm>",
        )
        .unwrap();
        let upper = initial_assets(&dir).unwrap();
        std::fs::write(dir.join("index.html"), "<link href=\"/main-1.css>").unwrap();
        let unclosed = initial_assets(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(found, minified);
        assert_eq!(found, upper);
        assert!(unclosed.is_err(), "{unclosed:?}");
        assert_eq!(
            found,
            [
                ("/main-1.css".to_owned(), "css"),
                ("/stylers.css".to_owned(), "css"),
                ("/app-1.js".to_owned(), "js"),
                ("/app-1_bg.wasm".to_owned(), "wasm"),
                ("/boot.js".to_owned(), "js"),
            ]
        );
    }

    #[test]
    fn finds_the_widget_bundle_embed_js_names() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-widgets-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let embed = dir.join("embed.js");
        std::fs::write(
            &embed,
            "const BUNDLE_JS = \"w-1.js\";\nconst BUNDLE_WASM = \"w-1_bg.wasm\";\n",
        )
        .unwrap();
        let found = widget_assets(&dir);
        // A template whose names were never filled in is an error, not a 404.
        std::fs::write(&embed, "const BUNDLE_JS = \"\";\n").unwrap();
        let unfilled = widget_assets(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            found.unwrap(),
            [
                ("/embed.js".to_owned(), "js"),
                ("/w-1.js".to_owned(), "js"),
                ("/w-1_bg.wasm".to_owned(), "wasm"),
            ]
        );
        assert!(unfilled.unwrap_err().contains("BUNDLE_JS"));
    }
}
