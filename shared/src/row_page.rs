//! A list page of [`JobRow`]s decoded by hand, with serde as the fallback.
//!
//! Why: a list page of 1000 jobs is about 1.2 MB of JSON, and in a page
//! that has just loaded, the browser runs our wasm with its baseline
//! compiler (no inlining) until the hot functions are optimised, which
//! comes too late for the first page. serde_json's decoders are many small
//! generic calls per byte; there, decoding 1000 rows took 15-25 ms against
//! 3.5 ms for `JSON.parse` (`cargo xtask bench render`). This reads the
//! same text in one pass over its bytes, skips the fields a row does not
//! show without looking inside them, and hands the rare nested values it
//! keeps (an error, a node, an execution, input files) to serde: 10-13 ms.
//! Its small helpers are `inline(always)` for the same reason: in that
//! first run a call costs (the string scanner's inlining alone saved 3 ms).
//!
//! It decodes exactly what serde decodes, or gives up: on anything it does
//! not handle itself (a duplicate key, a string with a surrogate escape, a
//! number out of range, nesting deeper than [`MAX_DEPTH`], any syntax
//! error) [`decode_row_page`] runs serde on the whole text instead, so
//! answers and error messages stay serde's. Tests hold the two to the same
//! result on every real list body and on damaged and random ones.

use crate::models::{JobError, JobExecution, JobRow, JobTypeBrief, Node, Page, ScaleFile};
use crate::status::JobStatus;
use crate::time::Timestamp;
use serde::de::DeserializeOwned;
use std::borrow::Cow;

/// Nesting the skipper follows before giving up; well under serde_json's
/// limit of 128, so a value serde refuses for depth is never accepted here.
const MAX_DEPTH: u32 = 64;

/// `text` as a page of rows: the fast path when it applies, else serde.
pub fn decode_row_page(text: &str) -> Result<Page<JobRow>, serde_json::Error> {
    match fast_row_page(text) {
        Some(page) => Ok(page),
        None => serde_json::from_str(text),
    }
}

/// The fast path alone: `None` where it gives up (see the module docs).
pub fn fast_row_page(text: &str) -> Option<Page<JobRow>> {
    let mut c = Cursor {
        text,
        b: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    let page = c.page()?;
    c.ws();
    // serde_json refuses anything but whitespace after the value.
    (c.i == c.b.len()).then_some(page)
}

struct Cursor<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    depth: u32,
}

/// Which of an object's keys were seen, to give up on a duplicate as serde
/// fails on one.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    fn first(&mut self, bit: u32) -> Option<()> {
        let mask = 1 << bit;
        if self.0 & mask != 0 {
            return None;
        }
        self.0 |= mask;
        Some(())
    }
}

impl<'a> Cursor<'a> {
    #[inline(always)]
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    #[inline(always)]
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    #[inline(always)]
    fn word(&mut self, w: &[u8]) -> Option<()> {
        (self.b.get(self.i..self.i + w.len())? == w).then(|| self.i += w.len())
    }

    /// Consumes a `null` if one comes next.
    #[inline(always)]
    fn null(&mut self) -> Option<bool> {
        if self.peek()? == b'n' {
            self.word(b"null")?;
            return Some(true);
        }
        Some(false)
    }

    /// An object's members: `f` is called with each key and must consume
    /// its value.
    fn object(&mut self, mut f: impl FnMut(&mut Self, &'a [u8]) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        self.deeper()?;
        if self.peek()? == b'}' {
            self.i += 1;
        } else {
            loop {
                let (a, z, escaped) = self.raw_string()?;
                // A key written with escapes could spell a known name; serde
                // would unescape it first. Rare enough to leave to serde.
                if escaped {
                    return None;
                }
                self.eat(b':')?;
                let bytes = self.b;
                f(self, &bytes[a..z])?;
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    #[inline(always)]
    /// An array's elements: `f` is called for each and must consume it.
    fn array(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        self.deeper()?;
        if self.peek()? == b']' {
            self.i += 1;
        } else {
            loop {
                f(self)?;
                match self.peek()? {
                    b',' => self.i += 1,
                    b']' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    fn deeper(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A string's bytes between its quotes, and whether it has escapes.
    /// Escapes are checked as serde_json checks them in a skipped string.
    #[inline(always)]
    fn raw_string(&mut self) -> Option<(usize, usize, bool)> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            self.plain_run();
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some((start, self.i - 1, escaped));
                }
                b'\\' => {
                    escaped = true;
                    match *self.b.get(self.i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 2,
                        b'u' => {
                            hex4(self.b.get(self.i + 2..self.i + 6)?)?;
                            self.i += 6;
                        }
                        _ => return None,
                    }
                }
                // serde_json refuses control characters inside strings.
                0..=0x1f => return None,
                _ => self.i += 1,
            }
        }
    }

    /// Moves past bytes that need no look inside a string (not `"`, `\`
    /// or a control character): most of a list page is string bytes, and
    /// the browser runs this before it has optimised it. In the browser
    /// build (wasm SIMD, see .cargo/config.toml) sixteen at a time, and to
    /// the first byte that needs a look: decoding 1000 rows in a cold page
    /// took 21 % and 44 % less than with the eight-byte word scan below
    /// (medians of two interleaved runs of 16 loads each).
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    #[inline(always)]
    fn plain_run(&mut self) {
        use core::arch::wasm32::{u64x2, u8x16_bitmask, u8x16_eq, u8x16_lt, u8x16_splat};
        use core::arch::wasm32::{v128_any_true, v128_or};
        let (quote, slash, space) = (u8x16_splat(b'"'), u8x16_splat(b'\\'), u8x16_splat(0x20));
        while let Some(chunk) = self.b.get(self.i..self.i + 16) {
            let mut w = [0u8; 16];
            w.copy_from_slice(chunk);
            // Through a u128, the compiler loads the sixteen bytes with one
            // v128.load (from the array directly: sixteen lane loads).
            let v = u128::from_le_bytes(w);
            let v = u64x2(v as u64, (v >> 64) as u64);
            let hit = v128_or(
                v128_or(u8x16_eq(v, quote), u8x16_eq(v, slash)),
                u8x16_lt(v, space),
            );
            if v128_any_true(hit) {
                self.i += u8x16_bitmask(hit).trailing_zeros() as usize;
                return;
            }
            self.i += 16;
        }
    }

    /// The same, eight bytes at a time in a `u64`, where there is no wasm
    /// SIMD (native builds: the server's tests and shared/tests).
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    #[inline(always)]
    fn plain_run(&mut self) {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        while let Some(chunk) = self.b.get(self.i..self.i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            let v = u64::from_le_bytes(w);
            // A byte of `v` is below 0x20, or equal to `"` or `\`, iff its
            // high bit is set in `hit` (the classic zero-byte test; its only
            // false positives sit above a true one, so none is missed or
            // wrongly taken when the run stops at the first).
            let quote = v ^ (ONES * u64::from(b'"'));
            let slash = v ^ (ONES * u64::from(b'\\'));
            let hit = (quote.wrapping_sub(ONES) & !quote)
                | (slash.wrapping_sub(ONES) & !slash)
                | (v.wrapping_sub(ONES * 0x20) & !v);
            if hit & HIGHS != 0 {
                return;
            }
            self.i += 8;
        }
    }

    fn string(&mut self) -> Option<Cow<'a, str>> {
        let (a, z, escaped) = self.raw_string()?;
        let raw = self.text.get(a..z)?;
        if escaped {
            unescape(raw).map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(raw))
        }
    }

    /// `null` as `None`, else what `value` reads: an `Option` field, as
    /// serde reads one.
    #[inline(always)]
    fn opt<T>(&mut self, value: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.null()? {
            return Some(None);
        }
        value(self).map(Some)
    }

    fn opt_string(&mut self) -> Option<Option<String>> {
        self.opt(|c| c.string().map(Cow::into_owned))
    }

    /// A JSON integer that fits an `i64`, as serde reads one into an `i64`;
    /// a fraction or an exponent (which serde refuses there) gives up.
    fn int(&mut self) -> Option<i64> {
        self.ws();
        let neg = self.b.get(self.i) == Some(&b'-');
        if neg {
            self.i += 1;
        }
        let start = self.i;
        self.digits();
        let digits = &self.b[start..self.i];
        if digits.is_empty() || (digits.len() > 1 && digits[0] == b'0') {
            return None;
        }
        if let Some(b'.' | b'e' | b'E') = self.b.get(self.i) {
            return None;
        }
        // Built negative, so that i64::MIN fits.
        let mut v: i64 = 0;
        for &d in digits {
            v = v.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
        }
        if neg {
            // serde_json reads `-0` as the float -0.0, which no i64 takes.
            (v != 0).then_some(v)
        } else {
            v.checked_neg()
        }
    }

    fn opt_int(&mut self) -> Option<Option<i64>> {
        self.opt(Self::int)
    }

    fn opt_time(&mut self) -> Option<Option<Timestamp>> {
        // serde fails the page on a bad datetime; so does this, by handing
        // the page to serde.
        self.opt(|c| Timestamp::parse(&c.string()?))
    }

    /// A nested value decoded by serde from its own text.
    fn opt_serde<T: DeserializeOwned>(&mut self) -> Option<Option<T>> {
        self.opt(|c| {
            let start = c.i;
            c.skip()?;
            serde_json::from_str(c.text.get(start..c.i)?).ok()
        })
    }

    /// Any JSON value, checked as strictly as serde_json checks a value it
    /// ignores, without building it.
    fn skip(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => {
                self.raw_string()?;
            }
            b'{' => self.object(|c, _| c.skip())?,
            b'[' => self.array(|c| c.skip())?,
            b't' => self.word(b"true")?,
            b'f' => self.word(b"false")?,
            b'n' => self.word(b"null")?,
            _ => self.number()?,
        }
        Some(())
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Option<()> {
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match *self.b.get(self.i)? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            self.one_or_more_digits()?;
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            self.one_or_more_digits()?;
        }
        Some(())
    }

    #[inline(always)]
    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn one_or_more_digits(&mut self) -> Option<()> {
        let start = self.i;
        self.digits();
        (self.i > start).then_some(())
    }

    fn page(&mut self) -> Option<Page<JobRow>> {
        let mut seen = Seen::default();
        let (mut count, mut next, mut previous, mut results) = (None, None, None, None);
        self.object(|c, key| {
            match key {
                b"count" => {
                    seen.first(0)?;
                    count = Some(u64::try_from(c.int()?).ok()?);
                }
                b"next" => {
                    seen.first(1)?;
                    next = c.opt_string()?;
                }
                b"previous" => {
                    seen.first(2)?;
                    previous = c.opt_string()?;
                }
                b"results" => {
                    seen.first(3)?;
                    results = Some(c.rows()?);
                }
                _ => c.skip()?,
            }
            Some(())
        })?;
        Some(Page {
            count: count?,
            next,
            previous,
            results: results?,
        })
    }

    /// `results`: an array of rows, or `null` for none (as `nullable_vec`).
    fn rows(&mut self) -> Option<Vec<JobRow>> {
        if self.null()? {
            return Some(Vec::new());
        }
        let mut rows = Vec::new();
        self.array(|c| {
            rows.push(c.row()?);
            Some(())
        })?;
        Some(rows)
    }

    fn row(&mut self) -> Option<JobRow> {
        let mut seen = Seen::default();
        let mut id = None;
        let mut r = JobRow::default();
        self.object(|c, key| {
            match key {
                b"id" => {
                    seen.first(0)?;
                    id = Some(c.int()?);
                }
                b"job_type" => {
                    seen.first(1)?;
                    r.job_type = c.opt(Self::job_type)?;
                }
                b"status" => {
                    seen.first(2)?;
                    r.status = c.opt(|c| Some(JobStatus::parse(&c.string()?)))?;
                }
                b"priority" => {
                    seen.first(3)?;
                    r.priority = c.opt_int()?;
                }
                b"num_exes" => {
                    seen.first(4)?;
                    r.num_exes = c.opt_int()?;
                }
                b"max_tries" => {
                    seen.first(5)?;
                    r.max_tries = c.opt_int()?;
                }
                b"error" => {
                    seen.first(6)?;
                    r.error = c.opt_serde::<JobError>()?;
                }
                b"created" => {
                    seen.first(7)?;
                    r.created = c.opt_time()?;
                }
                b"started" => {
                    seen.first(8)?;
                    r.started = c.opt_time()?;
                }
                b"ended" => {
                    seen.first(9)?;
                    r.ended = c.opt_time()?;
                }
                b"last_status_change" => {
                    seen.first(10)?;
                    r.last_status_change = c.opt_time()?;
                }
                b"last_modified" => {
                    seen.first(11)?;
                    r.last_modified = c.opt_time()?;
                }
                b"node" => {
                    seen.first(12)?;
                    r.node = c.opt_serde::<Node>()?;
                }
                b"latest_job_exe" => {
                    seen.first(13)?;
                    r.latest_job_exe = c.opt_serde::<Box<JobExecution>>()?;
                }
                b"input_files" => {
                    seen.first(14)?;
                    r.input_files = c.opt_serde::<Vec<ScaleFile>>()?;
                }
                _ => c.skip()?,
            }
            Some(())
        })?;
        r.id = id?;
        Some(r)
    }

    fn job_type(&mut self) -> Option<JobTypeBrief> {
        let mut seen = Seen::default();
        let mut id = None;
        let mut t = JobTypeBrief::default();
        self.object(|c, key| {
            match key {
                b"id" => {
                    seen.first(0)?;
                    id = Some(c.int()?);
                }
                b"name" => {
                    seen.first(1)?;
                    t.name = c.opt_string()?;
                }
                b"version" => {
                    seen.first(2)?;
                    t.version = c.opt_string()?;
                }
                b"title" => {
                    seen.first(3)?;
                    t.title = c.opt_string()?;
                }
                b"category" => {
                    seen.first(4)?;
                    t.category = c.opt_string()?;
                }
                _ => c.skip()?,
            }
            Some(())
        })?;
        t.id = id?;
        Some(t)
    }
}

/// Four hex digits as a number.
fn hex4(h: &[u8]) -> Option<u32> {
    h.iter()
        .try_fold(0u32, |v, &d| Some(v * 16 + char::from(d).to_digit(16)?))
}

/// A string's text between its quotes with its escapes (already checked
/// by `raw_string`) resolved. A `\u` escape of a surrogate gives up:
/// whether serde pairs it, replaces it or fails is serde's to say.
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('\\') {
        out.push_str(&rest[..at]);
        let b = rest.as_bytes();
        let (ch, used) = match *b.get(at + 1)? {
            b'"' => ('"', 2),
            b'\\' => ('\\', 2),
            b'/' => ('/', 2),
            b'b' => ('\u{8}', 2),
            b'f' => ('\u{c}', 2),
            b'n' => ('\n', 2),
            b'r' => ('\r', 2),
            b't' => ('\t', 2),
            b'u' => (char::from_u32(hex4(b.get(at + 2..at + 6)?)?)?, 6),
            _ => return None,
        };
        out.push(ch);
        rest = rest.get(at + used..)?;
    }
    out.push_str(rest);
    Some(out)
}
