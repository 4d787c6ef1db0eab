//! Response compression: brotli or gzip, as the request's `Accept-Encoding`
//! allows.
//!
//! API answers are compressed per request at a fast setting (a page of 1000
//! jobs is over a megabyte of JSON and shrinks about twentyfold); static
//! files are compressed once per file version at a high setting and cached
//! by [`crate::static_files`]. Every response of a compressible type says
//! `Vary: Accept-Encoding`, compressed or not, so caches keep the variants
//! apart.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::io::Write;

/// A content coding this server can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    /// The `Content-Encoding` token (`None` for identity).
    pub fn token(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }
}

/// How hard to try: per-request answers want speed, cached static files
/// want size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Fast,
    Best,
}

/// Bodies smaller than this are sent as they are: the coding overhead
/// would eat the gain.
pub const MIN_SIZE: usize = 512;

/// The best coding `accept` (an `Accept-Encoding` value) allows: the
/// highest `q`, brotli over gzip when equal, identity when neither is
/// acceptable (`q=0`) or the header is absent.
pub fn negotiate(accept: Option<&str>) -> Encoding {
    let Some(accept) = accept else {
        return Encoding::Identity;
    };
    let (mut br, mut gzip, mut star) = (None, None, None);
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = 1.0_f32;
        for p in parts {
            let p = p.trim();
            if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                q = v.trim().parse().unwrap_or(0.0);
            }
        }
        let q = if q.is_finite() {
            q.clamp(0.0, 1.0)
        } else {
            0.0
        };
        match name.as_str() {
            "br" => br = Some(q),
            "gzip" | "x-gzip" => gzip = Some(q),
            "*" => star = Some(q),
            _ => {}
        }
    }
    let br = br.or(star).unwrap_or(0.0);
    let gzip = gzip.or(star).unwrap_or(0.0);
    if br > 0.0 && br >= gzip {
        Encoding::Brotli
    } else if gzip > 0.0 {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// The coding a request's headers ask for.
pub fn negotiate_headers(headers: &HeaderMap) -> Encoding {
    let values: Vec<&str> = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        Encoding::Identity
    } else {
        negotiate(Some(&values.join(",")))
    }
}

/// Whether a body of this `Content-Type` is worth compressing (text, JSON,
/// JavaScript, WebAssembly, SVG; not images, fonts or archives, which are
/// compressed already).
pub fn is_compressible(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    media.starts_with("text/")
        || matches!(
            media.as_str(),
            "application/json"
                | "application/javascript"
                | "application/wasm"
                | "application/xml"
                | "application/manifest+json"
                | "image/svg+xml"
        )
}

/// Compresses `data`. Writing into a `Vec` cannot fail.
pub fn compress(data: &[u8], encoding: Encoding, level: Level) -> Vec<u8> {
    match encoding {
        Encoding::Identity => data.to_vec(),
        Encoding::Gzip => {
            let level = match level {
                Level::Fast => flate2::Compression::new(5),
                Level::Best => flate2::Compression::best(),
            };
            let mut e = flate2::write::GzEncoder::new(Vec::with_capacity(data.len() / 4), level);
            let _ = e.write_all(data);
            e.finish().unwrap_or_default()
        }
        Encoding::Brotli => {
            let params = brotli::enc::BrotliEncoderParams {
                quality: match level {
                    Level::Fast => 4,
                    Level::Best => 9,
                },
                lgwin: window_bits(data.len()),
                ..Default::default()
            };
            let mut out = Vec::with_capacity(data.len() / 4);
            let mut input = data;
            let _ = brotli::BrotliCompress(&mut input, &mut out, &params);
            out
        }
    }
}

/// The smallest brotli window (`lgwin`, 16 to 22) that holds `len` bytes.
/// The output is the same size as with a larger one (only the header's
/// window field differs), but the encoder clears hash tables sized by the
/// window for every answer: a page of 100 jobs (110 KB) took 0.67 ms at 22
/// and 0.47 ms at 17 (this machine, quality 4, 6324 bytes either way).
fn window_bits(len: usize) -> i32 {
    // A window of `lgwin` bits holds (1 << lgwin) - 16 bytes.
    (16..22)
        .find(|&bits| (1usize << bits) - 16 >= len)
        .unwrap_or(22)
}

/// Decodes `data`, compressed with `encoding`, reading at most `limit`
/// bytes of output (`None` if it is not valid or longer).
pub fn decompress(data: &[u8], encoding: Encoding, limit: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    let read = match encoding {
        Encoding::Identity => return Some(data.to_vec()),
        Encoding::Gzip => flate2::read::GzDecoder::new(data)
            .take(limit as u64 + 1)
            .read_to_end(&mut out),
        Encoding::Brotli => brotli::Decompressor::new(data, 4096)
            .take(limit as u64 + 1)
            .read_to_end(&mut out),
    };
    (read.is_ok() && out.len() <= limit).then_some(out)
}

/// Adds `token` to the response's `Vary` (one merged header), unless it is
/// there already or `Vary` is `*`.
pub fn add_vary(headers: &mut HeaderMap, token: &str) {
    let existing: Vec<String> = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    if existing
        .iter()
        .any(|t| t == "*" || t.eq_ignore_ascii_case(token))
    {
        return;
    }
    let mut all = existing;
    all.push(token.to_string());
    if let Ok(v) = HeaderValue::from_str(&all.join(", ")) {
        headers.insert(header::VARY, v);
    }
}

/// Bodies above this are compressed on a blocking thread, not on an async
/// worker.
const BLOCKING_ABOVE: usize = 64 * 1024;

/// Compresses a whole response for `encoding` if its type is compressible,
/// it is not encoded already and it is big enough; adds `Vary` either way.
pub async fn compress_response(response: Response, encoding: Encoding) -> Response {
    let compressible = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_compressible);
    if !compressible {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    add_vary(&mut parts.headers, "Accept-Encoding");
    let skip = encoding == Encoding::Identity
        || parts.headers.contains_key(header::CONTENT_ENCODING)
        || parts.headers.contains_key(header::CONTENT_RANGE)
        || parts.status == StatusCode::NO_CONTENT
        || parts.status == StatusCode::NOT_MODIFIED
        || parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok().and_then(|s| s.parse::<usize>().ok()))
            == Some(0);
    if skip {
        return Response::from_parts(parts, body);
    }
    // Every body here is already in memory (API answers, proxied answers,
    // small generated pages), so collecting it costs nothing extra.
    let bytes: Bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            return crate::api::ApiError::internal(format!("cannot read a response body: {e}"))
                .into_response()
        }
    };
    if bytes.len() < MIN_SIZE {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let compressed = if bytes.len() > BLOCKING_ABOVE {
        let b = bytes.clone();
        match tokio::task::spawn_blocking(move || compress(&b, encoding, Level::Fast)).await {
            Ok(c) => c,
            Err(_) => return Response::from_parts(parts, Body::from(bytes)),
        }
    } else {
        compress(&bytes, encoding, Level::Fast)
    };
    if let Some(token) = encoding.token() {
        parts
            .headers
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static(token));
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    // The compressed bytes differ from what a strong validator named.
    if let Some(etag) = parts.headers.get(header::ETAG).cloned() {
        if let Ok(s) = etag.to_str() {
            if !s.starts_with("W/") {
                if let Ok(v) = HeaderValue::from_str(&format!("W/{s}")) {
                    parts.headers.insert(header::ETAG, v);
                }
            }
        }
    }
    Response::from_parts(parts, Body::from(compressed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_q_values() {
        use Encoding::*;
        assert_eq!(negotiate(None), Identity);
        assert_eq!(negotiate(Some("")), Identity);
        assert_eq!(negotiate(Some("gzip, deflate, br, zstd")), Brotli);
        assert_eq!(negotiate(Some("gzip")), Gzip);
        assert_eq!(negotiate(Some("GZIP")), Gzip);
        assert_eq!(negotiate(Some("br;q=0.5, gzip")), Gzip);
        assert_eq!(negotiate(Some("br;q=0, gzip;q=0")), Identity);
        assert_eq!(negotiate(Some("identity")), Identity);
        assert_eq!(negotiate(Some("*")), Brotli);
        assert_eq!(negotiate(Some("br;q=0, *")), Gzip);
        assert_eq!(negotiate(Some("deflate")), Identity);
        assert_eq!(negotiate(Some("br;q=nonsense, gzip;q=0.1")), Gzip);
    }

    #[test]
    fn brotli_windows_hold_the_whole_answer_up_to_the_largest() {
        assert_eq!(window_bits(0), 16);
        assert_eq!(window_bits((1 << 16) - 16), 16);
        assert_eq!(window_bits((1 << 16) - 15), 17);
        assert_eq!(window_bits(110_378), 17);
        assert_eq!(window_bits(1_110_229), 21);
        assert_eq!(window_bits(50 << 20), 22);
        // Whatever the window, the answer comes back whole.
        for len in [1 << 15, (1 << 16) + 5, 3 << 20] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let br = compress(&data, Encoding::Brotli, Level::Fast);
            let mut back = Vec::new();
            brotli::BrotliDecompress(&mut &br[..], &mut back).unwrap();
            assert_eq!(back, data);
        }
    }

    #[test]
    fn round_trips() {
        let data = br#"{"count": 1, "results": []}"#.repeat(100);
        for level in [Level::Fast, Level::Best] {
            let gz = compress(&data, Encoding::Gzip, level);
            let mut back = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back)
                .unwrap();
            assert_eq!(back, data);
            let br = compress(&data, Encoding::Brotli, level);
            let mut back = Vec::new();
            brotli::BrotliDecompress(&mut &br[..], &mut back).unwrap();
            assert_eq!(back, data);
            assert!(br.len() < data.len() / 10);
        }
    }

    #[test]
    fn vary_is_merged() {
        let mut h = HeaderMap::new();
        add_vary(&mut h, "Accept-Encoding");
        assert_eq!(h[header::VARY], "Accept-Encoding");
        h.insert(header::VARY, HeaderValue::from_static("Accept, Cookie"));
        add_vary(&mut h, "Origin");
        add_vary(&mut h, "origin");
        assert_eq!(h[header::VARY], "Accept, Cookie, Origin");
        assert_eq!(h.get_all(header::VARY).iter().count(), 1);
    }

    #[test]
    fn compressible_types() {
        assert!(is_compressible("application/json"));
        assert!(is_compressible("text/html; charset=utf-8"));
        assert!(is_compressible("application/wasm"));
        assert!(!is_compressible("image/png"));
        assert!(!is_compressible("application/zip"));
    }
}
