//! HTTP behaviour around the API and the app: latency, CORS for embedding,
//! security headers, compression, cache headers and ETags, body limits.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const PORTAL: &str = "https://portal.example:8443";
const OTHER_PORTAL: &str = "http://127.0.0.1:5173";

/// A dist folder shaped like Trunk's output, with an inline module script
/// in index.html and files big enough to be compressed.
fn trunk_like_dist(name: &str) -> std::path::PathBuf {
    let dir = temp_dir(name);
    let index = "<!doctype html><html><head><title>Scale jobs</title>\
        <link rel=\"stylesheet\" href=\"/main-85fd406e0230c606.css\"/>\
        <script type=\"module\">\nimport init from '/scale-jobs-app-1f2dd3ea70b2e3a9.js';\n\
        await init({ module_or_path: '/scale-jobs-app-1f2dd3ea70b2e3a9_bg.wasm' });\n</script>\
        </head><body></body></html>";
    std::fs::write(dir.join("index.html"), index).unwrap();
    let js: String = (0..600)
        .map(|i| format!("export function f{i}(a, b) {{ return a + b * {i}; }}\n"))
        .collect();
    std::fs::write(dir.join("scale-jobs-app-1f2dd3ea70b2e3a9.js"), &js).unwrap();
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend((0..40_000u32).map(|i| (i % 7) as u8));
    std::fs::write(dir.join("scale-jobs-app-1f2dd3ea70b2e3a9_bg.wasm"), &wasm).unwrap();
    std::fs::write(
        dir.join("main-85fd406e0230c606.css"),
        "body { margin: 0; }\n".repeat(100),
    )
    .unwrap();
    std::fs::write(dir.join("stylers.css"), ".a{color:red}").unwrap();
    std::fs::write(
        dir.join("embed.js"),
        format!("const APP_JS = \"scale-jobs-app-1f2dd3ea70b2e3a9.js\";\n{js}"),
    )
    .unwrap();
    dir
}

fn sha256_source(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
    )
}

fn assert_common_security_headers(r: &RawResp, what: &str) {
    assert_eq!(
        r.header("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        r.header("referrer-policy").as_deref(),
        Some("same-origin"),
        "{what}"
    );
    assert_ne!(
        r.header("x-frame-options").as_deref(),
        Some("DENY"),
        "{what}"
    );
}

#[test]
fn latency_delays_api_answers_only_and_concurrently() {
    let dir = trunk_like_dist("latency");
    let s = Server::start(&[
        "--demo-jobs",
        "30",
        "--latency-ms",
        "700",
        "--dist",
        dir.to_str().unwrap(),
        "--cors-origin",
        PORTAL,
    ]);
    let t = Instant::now();
    assert_eq!(get(&s.api("/jobs/")).status, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(700),
        "{:?}",
        t.elapsed()
    );
    let t = Instant::now();
    assert_eq!(get(&s.api("/jobs/99999/")).status, 404);
    assert!(
        t.elapsed() >= Duration::from_millis(700),
        "errors are slow too"
    );

    // The app's files, config.json and CORS preflights are not delayed.
    let t = Instant::now();
    assert_eq!(get(&s.url("/config.json")).status, 200);
    assert_eq!(get(&s.url("/")).status, 200);
    assert_eq!(
        get(&s.url("/scale-jobs-app-1f2dd3ea70b2e3a9.js")).status,
        200
    );
    let pre = send_raw(
        "OPTIONS",
        &s.api("/jobs/1/"),
        &[
            ("origin", PORTAL),
            ("access-control-request-method", "PATCH"),
        ],
        None,
    );
    assert_eq!(pre.status, 204);
    assert!(
        t.elapsed() < Duration::from_millis(600),
        "{:?}",
        t.elapsed()
    );

    // The delay is a timer, not a blocked worker: ten requests at once
    // take about one delay, not ten.
    let t = Instant::now();
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..10)
            .map(|i| {
                let url = s.api(&format!("/jobs/?page_size={}", i + 1));
                scope.spawn(move || get(&url).status)
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|&c| c == 200), "{statuses:?}");
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(700) && took < Duration::from_millis(4000),
        "{took:?}"
    );
}

#[test]
fn cors_answers_listed_origins_only() {
    let s = Server::start(&[
        "--demo-jobs",
        "40",
        "--cors-origin",
        &format!("{PORTAL}/"),
        "--cors-origin",
        OTHER_PORTAL,
    ]);
    // A listed origin: its own origin back, with credentials.
    for origin in [PORTAL, OTHER_PORTAL] {
        let r = get_raw(&s.api("/jobs/"), &[("origin", origin)]);
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("access-control-allow-origin").as_deref(),
            Some(origin)
        );
        assert_eq!(
            r.header("access-control-allow-credentials").as_deref(),
            Some("true")
        );
        assert!(r.varies_on("Origin"), "{:?}", r.headers);
    }
    // Errors carry them too (the portal must read the detail).
    let r = get_raw(&s.api("/jobs/?order=bogus"), &[("origin", PORTAL)]);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some(PORTAL)
    );
    // Anyone else, or no Origin: no CORS headers, but still Vary: Origin.
    for origin in [
        Some("https://evil.example"),
        Some("https://portal.example"),
        Some("https://portal.example:8443.evil.example"),
        Some("null"),
        None,
    ] {
        let headers: Vec<(&str, &str)> = origin.iter().map(|o| ("origin", *o)).collect();
        let r = get_raw(&s.api("/jobs/"), &headers);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("access-control-allow-origin"), None, "{origin:?}");
        assert_eq!(r.header("access-control-allow-credentials"), None);
        assert!(r.varies_on("Origin"));
    }

    // Preflight from a listed origin: PATCH with the CSRF header allowed.
    let r = send_raw(
        "OPTIONS",
        &s.api("/jobs/5/"),
        &[
            ("origin", PORTAL),
            ("access-control-request-method", "PATCH"),
            ("access-control-request-headers", "content-type,x-csrftoken"),
        ],
        None,
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some(PORTAL)
    );
    assert_eq!(
        r.header("access-control-allow-credentials").as_deref(),
        Some("true")
    );
    let methods = r.header("access-control-allow-methods").unwrap();
    for m in ["GET", "PATCH", "OPTIONS"] {
        assert!(methods.contains(m), "{methods}");
    }
    let allowed = r
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("content-type") && allowed.contains("x-csrftoken"),
        "{allowed}"
    );
    let max_age: u64 = r.header("access-control-max-age").unwrap().parse().unwrap();
    assert!(max_age > 0);
    assert!(r.varies_on("Origin"));

    // Preflight from anyone else: no allow headers at all.
    let r = send_raw(
        "OPTIONS",
        &s.api("/jobs/5/"),
        &[
            ("origin", "https://evil.example"),
            ("access-control-request-method", "PATCH"),
        ],
        None,
    );
    for h in [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
    ] {
        assert_eq!(r.header(h), None, "{h}: {:?}", r.headers);
    }

    // The cancel itself, cross-origin.
    let running = page(&s.api("/jobs/?status=RUNNING&status=QUEUED&status=PENDING"));
    let id = results(&running)[0]["id"].as_i64().unwrap();
    let r = send_raw(
        "PATCH",
        &s.api(&format!("/jobs/{id}/")),
        &[("origin", PORTAL), ("content-type", "application/json")],
        Some(br#"{"status":"CANCELED"}"#.to_vec()),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some(PORTAL)
    );

    // Without --cors-origin there are no CORS headers and no Vary: Origin.
    let plain = Server::start(&["--demo-jobs", "5"]);
    let r = get_raw(&plain.api("/jobs/"), &[("origin", PORTAL)]);
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert!(!r.varies_on("Origin"));

    // Through --upstream, this server applies CORS (and answers preflights).
    let proxy = Server::start(&[
        "--upstream",
        &format!("{}/api/v5", s.base),
        "--cors-origin",
        PORTAL,
    ]);
    let r = get_raw(&proxy.api("/jobs/"), &[("origin", PORTAL)]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some(PORTAL)
    );
    assert!(r.varies_on("Origin"));
    let r = send_raw(
        "OPTIONS",
        &proxy.api("/jobs/"),
        &[("origin", PORTAL), ("access-control-request-method", "GET")],
        None,
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some(PORTAL)
    );
    let r = get_raw(&proxy.api("/jobs/"), &[("origin", "https://evil.example")]);
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[test]
fn bad_cors_and_frame_ancestors_flags_are_refused() {
    for args in [
        &["--cors-origin", "*"][..],
        &["--cors-origin", "https://portal.example/path"],
        &["--cors-origin", "portal.example"],
        &["--frame-ancestors", "'self'; script-src *"],
        &["--frame-ancestors", ""],
    ] {
        let out = std::process::Command::new(BIN)
            .args(["--addr", "127.0.0.1:0", "--demo-jobs", "1"])
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("--cors-origin") || err.contains("--frame-ancestors"),
            "{err}"
        );
    }
}

#[test]
fn app_files_have_types_cache_rules_cors_and_csp() {
    let dir = trunk_like_dist("app-headers");
    let s = Server::start(&["--demo-jobs", "5", "--dist", dir.to_str().unwrap()]);
    let inline = "\nimport init from '/scale-jobs-app-1f2dd3ea70b2e3a9.js';\n\
        await init({ module_or_path: '/scale-jobs-app-1f2dd3ea70b2e3a9_bg.wasm' });\n";
    let immutable = "public, max-age=31536000, immutable";
    for (path, mime, cache) in [
        ("/", "text/html", "no-cache"),
        ("/index.html", "text/html", "no-cache"),
        ("/jobs/42", "text/html", "no-cache"),
        ("/embed/jobs/table", "text/html", "no-cache"),
        ("/embed.js", "text/javascript", "no-cache"),
        ("/stylers.css", "text/css", "no-cache"),
        ("/config.json", "application/json", "no-cache"),
        (
            "/scale-jobs-app-1f2dd3ea70b2e3a9.js",
            "text/javascript",
            immutable,
        ),
        (
            "/scale-jobs-app-1f2dd3ea70b2e3a9_bg.wasm",
            "application/wasm",
            immutable,
        ),
        ("/main-85fd406e0230c606.css", "text/css", immutable),
    ] {
        let r = get_raw(&s.url(path), &[]);
        assert_eq!(r.status, 200, "{path}");
        let ct = r.header("content-type").unwrap();
        assert!(ct.starts_with(mime), "{path}: {ct}");
        assert_eq!(r.header("cache-control").as_deref(), Some(cache), "{path}");
        // Public code: any page may load it (no credentials).
        assert_eq!(
            r.header("access-control-allow-origin").as_deref(),
            Some("*"),
            "{path}"
        );
        assert_eq!(r.header("access-control-allow-credentials"), None);
        assert_common_security_headers(&r, path);
        if mime == "text/html" {
            let csp = r.header("content-security-policy").unwrap();
            for part in [
                "default-src 'self'",
                "'wasm-unsafe-eval'",
                "style-src 'self' 'unsafe-inline'",
                "img-src 'self' data:",
                "connect-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "frame-ancestors 'self'",
            ] {
                assert!(csp.contains(part), "{path}: {part} not in {csp}");
            }
            // Trunk's inline bootstrap is allowed by its hash, nothing else
            // inline is.
            let script_src = csp
                .split(';')
                .find(|d| d.trim().starts_with("script-src"))
                .unwrap();
            assert!(script_src.contains(&sha256_source(inline)), "{csp}");
            assert!(!script_src.contains("unsafe-inline"), "{csp}");
            assert_eq!(r.header("x-frame-options").as_deref(), Some("SAMEORIGIN"));
        }
    }

    // ETags: a matching If-None-Match is a 304 with the same validators.
    for path in [
        "/embed.js",
        "/index.html",
        "/scale-jobs-app-1f2dd3ea70b2e3a9.js",
    ] {
        for enc in ["", "br", "gzip"] {
            let headers: Vec<(&str, &str)> = if enc.is_empty() {
                vec![]
            } else {
                vec![("accept-encoding", enc)]
            };
            let r = get_raw(&s.url(path), &headers);
            let etag = r.header("etag").expect("etag");
            let mut again = headers.clone();
            again.push(("if-none-match", &etag));
            let r2 = get_raw(&s.url(path), &again);
            assert_eq!(r2.status, 304, "{path} {enc}");
            assert!(r2.body.is_empty());
            assert_eq!(r2.header("etag").as_deref(), Some(etag.as_str()));
            assert!(r2.header("cache-control").is_some());
            let mut stale = headers.clone();
            stale.push(("if-none-match", "\"something-else\""));
            assert_eq!(get_raw(&s.url(path), &stale).status, 200);
        }
    }

    // A rebuild is picked up at once, with a new ETag.
    let before = get_raw(&s.url("/embed.js"), &[]);
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(dir.join("embed.js"), "export const rebuilt = 1;\n").unwrap();
    let after = get_raw(&s.url("/embed.js"), &[]);
    assert_eq!(after.body, b"export const rebuilt = 1;\n");
    assert_ne!(before.header("etag"), after.header("etag"));
    let r = get_raw(
        &s.url("/embed.js"),
        &[("if-none-match", &before.header("etag").unwrap())],
    );
    assert_eq!(r.status, 200);

    // --frame-ancestors lets a portal frame the app; then no X-Frame-Options.
    let framed = Server::start(&[
        "--demo-jobs",
        "5",
        "--dist",
        dir.to_str().unwrap(),
        "--frame-ancestors",
        &format!("'self' {PORTAL}"),
    ]);
    for path in ["/", "/embed/jobs/table?status=RUNNING"] {
        let r = get_raw(&framed.url(path), &[]);
        let csp = r.header("content-security-policy").unwrap();
        assert!(
            csp.contains(&format!("frame-ancestors 'self' {PORTAL}")),
            "{csp}"
        );
        assert_eq!(r.header("x-frame-options"), None);
    }
}

#[test]
fn app_files_are_compressed_as_accepted() {
    let dir = trunk_like_dist("app-compress");
    let s = Server::start(&["--demo-jobs", "5", "--dist", dir.to_str().unwrap()]);
    for file in [
        "scale-jobs-app-1f2dd3ea70b2e3a9.js",
        "scale-jobs-app-1f2dd3ea70b2e3a9_bg.wasm",
        "main-85fd406e0230c606.css",
        "embed.js",
    ] {
        let raw = std::fs::read(dir.join(file)).unwrap();
        let path = format!("/{file}");
        for (accept, expect) in [
            (None, None),
            (Some("gzip, deflate, br, zstd"), Some("br")),
            (Some("gzip"), Some("gzip")),
            (Some("br;q=0.5, gzip;q=0.8"), Some("gzip")),
            (Some("identity"), None),
        ] {
            let headers: Vec<(&str, &str)> =
                accept.iter().map(|a| ("accept-encoding", *a)).collect();
            let r = get_raw(&s.url(&path), &headers);
            assert_eq!(r.status, 200);
            assert_eq!(
                r.header("content-encoding").as_deref(),
                expect,
                "{file} {accept:?}"
            );
            assert!(r.varies_on("Accept-Encoding"), "{file}");
            assert_eq!(r.decoded(), raw, "{file} {accept:?}");
            if expect.is_some() {
                assert!(r.body.len() < raw.len() / 2, "{file}: {}", r.body.len());
            }
            // HEAD says the length GET would send.
            let head = send_raw("HEAD", &s.url(&path), &headers, None);
            assert_eq!(
                head.header("content-length"),
                Some(r.body.len().to_string()),
                "{file} {accept:?}"
            );
        }
    }
    // Tiny files are sent as they are.
    let r = get_raw(&s.url("/stylers.css"), &[("accept-encoding", "br")]);
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.body, b".a{color:red}");
}

#[test]
fn api_answers_are_compressed_and_hardened() {
    let s = Server::start(&["--demo-jobs", "1200"]);
    let url = s.api("/jobs/?page_size=1000&include_superseded=true&order=id");
    let plain = get_raw(&url, &[]);
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.varies_on("Accept-Encoding"));
    let expected: Value = serde_json::from_slice(&plain.body).unwrap();
    assert_eq!(expected["results"].as_array().unwrap().len(), 1000);
    for (accept, enc) in [("br", "br"), ("gzip", "gzip"), ("gzip, br", "br")] {
        let r = get_raw(&url, &[("accept-encoding", accept)]);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-encoding").as_deref(), Some(enc));
        assert!(r.varies_on("Accept-Encoding"));
        assert!(
            r.body.len() * 5 < plain.body.len(),
            "{enc}: {} of {}",
            r.body.len(),
            plain.body.len()
        );
        let v: Value = serde_json::from_slice(&r.decoded()).unwrap();
        assert_eq!(v, expected, "{enc}");
    }
    // Details too; small error bodies are not worth it but still JSON.
    let r = get_raw(&s.api("/jobs/5/"), &[("accept-encoding", "br")]);
    let v: Value = serde_json::from_slice(&r.decoded()).unwrap();
    assert_eq!(v["id"], 5);
    let r = get_raw(&s.api("/jobs/?page=99"), &[("accept-encoding", "br")]);
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(
        serde_json::from_slice::<Value>(&r.body).unwrap(),
        json!({"detail": "Invalid page."})
    );

    // Every API answer: restrictive CSP, nosniff, referrer policy.
    for (method, path) in [
        ("GET", "/jobs/"),
        ("GET", "/jobs/updates/"),
        ("GET", "/jobs/executions/"),
        ("GET", "/jobs/5/"),
        ("GET", "/jobs/abc/"),
        ("DELETE", "/jobs/5/"),
        ("GET", "/jobs"),
        ("OPTIONS", "/jobs/"),
    ] {
        let r = send_raw(method, &s.api(path), &[], None);
        assert_eq!(
            r.header("content-security-policy").as_deref(),
            Some("default-src 'none'; frame-ancestors 'none'"),
            "{method} {path}"
        );
        assert_common_security_headers(&r, path);
        assert!(r.status < 500, "{method} {path}");
    }
    // The landing page (no --dist) is HTML with the app's CSP.
    let r = get_raw(&s.url("/"), &[]);
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'self'"));
    assert_common_security_headers(&r, "/");
}

#[test]
fn request_bodies_are_limited() {
    let s = Server::start(&["--demo-jobs", "20"]);
    let url = s.api("/jobs/3/");
    let before = get(&url).json();
    // Declared too large.
    let mut big = br#"{"status":"CANCELED","pad":""#.to_vec();
    big.extend(std::iter::repeat_n(b'x', 100 * 1024));
    big.extend(br#""}"#);
    let r = send_raw(
        "PATCH",
        &url,
        &[("content-type", "application/json")],
        Some(big.clone()),
    );
    assert_eq!(r.status, 413);
    // The unread body makes the connection unusable: the answer says so.
    assert_eq!(r.header("connection").as_deref(), Some("close"));
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert!(v["detail"].as_str().unwrap().contains("64 KiB"), "{v}");
    assert_eq!(get(&url).json(), before);

    // Streamed without a length: cut off at the limit all the same.
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let head =
        "PATCH /api/v5/jobs/3/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    conn.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b' '; 16 * 1024];
    for _ in 0..8 {
        let sent = conn
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .and_then(|_| conn.write_all(&chunk))
            .and_then(|_| conn.write_all(b"\r\n"));
        if sent.is_err() {
            break; // the server answered and closed: fine
        }
    }
    let _ = conn.write_all(b"0\r\n\r\n");
    let mut answer = Vec::new();
    let _ = conn.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"detail\""), "{answer}");

    // A body just under the limit is read (and refused for its content).
    let mut ok = br#"{"status":"CANCELED","pad":""#.to_vec();
    ok.extend(std::iter::repeat_n(b'x', 60 * 1024));
    ok.extend(br#""}"#);
    let r = send_raw(
        "PATCH",
        &url,
        &[("content-type", "application/json")],
        Some(ok),
    );
    assert_eq!(r.status, 400);
    // Long URLs are fine.
    let long = format!("/jobs/?job_type_name={}", "x".repeat(20_000));
    assert_eq!(get(&s.api(&long)).status, 200);
}

#[test]
fn database_errors_are_generic_500s_logged_server_side() {
    let dir = temp_dir("db-errors");
    let file = dir.join("jobs.sqlite");
    let s = Server::start(&["--demo-jobs", "30", "--db", file.to_str().unwrap()]);
    assert_eq!(get(&s.api("/jobs/3/")).status, 200);
    // Break the database behind the server's back.
    let conn = rusqlite::Connection::open(&file).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn.execute_batch("DROP TABLE job_exes").unwrap();
    drop(conn);
    for path in ["/jobs/3/", "/jobs/executions/"] {
        let r = get(&s.api(path));
        assert_eq!(r.status, 500, "{path}: {}", r.text);
        assert_eq!(
            r.json(),
            json!({"detail": "Internal server error"}),
            "{path}"
        );
        assert!(!r.text.to_ascii_lowercase().contains("job_exes"));
    }
    let logged = s
        .wait_for_stderr("internal error")
        .expect("the cause is logged");
    assert!(logged.contains("job_exes"), "{logged}");
}

/// `cargo xtask dist` writes `NAME.br` / `NAME.gz` beside the bundle's
/// files at settings too slow for on-the-fly use; the server sends them as
/// they are, but only while they decode to the file's current bytes.
#[test]
fn precompressed_siblings_are_sent_only_while_they_match_the_file() {
    use std::io::{Read, Write};
    let dir = trunk_like_dist("precompressed");
    let name = "scale-jobs-app-1f2dd3ea70b2e3a9.js";
    let js = std::fs::read(dir.join(name)).unwrap();
    let brotli_of = |data: &[u8]| {
        // Quality 2: bytes the server's own brotli (quality 9) would not
        // produce, so the test can tell whose they are.
        let params = brotli::enc::BrotliEncoderParams {
            quality: 2,
            ..Default::default()
        };
        let mut out = Vec::new();
        brotli::BrotliCompress(&mut &data[..], &mut out, &params).unwrap();
        out
    };
    let gzip_of = |data: &[u8]| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(1));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    };
    let sidecar_br = brotli_of(&js);
    let sidecar_gz = gzip_of(&js);
    std::fs::write(dir.join(format!("{name}.br")), &sidecar_br).unwrap();
    std::fs::write(dir.join(format!("{name}.gz")), &sidecar_gz).unwrap();
    // A stale pair: compressed from other bytes than the file now holds.
    let stale = b"export const old = 1;\n".repeat(200);
    std::fs::write(dir.join("embed.js.br"), brotli_of(&stale)).unwrap();
    std::fs::write(dir.join("embed.js.gz"), gzip_of(&stale)).unwrap();
    let embed = std::fs::read(dir.join("embed.js")).unwrap();

    let s = Server::start(&["--demo-jobs", "5", "--dist", dir.to_str().unwrap()]);
    let br = get_raw(&s.url(&format!("/{name}")), &[("accept-encoding", "br")]);
    assert_eq!(br.header("content-encoding").as_deref(), Some("br"));
    assert!(br.body == sidecar_br, "the matching .br is sent as it is");
    let gz = get_raw(&s.url(&format!("/{name}")), &[("accept-encoding", "gzip")]);
    assert_eq!(gz.header("content-encoding").as_deref(), Some("gzip"));
    assert!(gz.body == sidecar_gz, "the matching .gz is sent as it is");

    let br = get_raw(&s.url("/embed.js"), &[("accept-encoding", "br")]);
    assert_eq!(br.header("content-encoding").as_deref(), Some("br"));
    let mut back = Vec::new();
    brotli::BrotliDecompress(&mut &br.body[..], &mut back).unwrap();
    assert!(back == embed, "a stale .br is never sent for a newer file");
    let gz = get_raw(&s.url("/embed.js"), &[("accept-encoding", "gzip")]);
    let mut back = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut back)
        .unwrap();
    assert!(back == embed, "a stale .gz is never sent for a newer file");
}
