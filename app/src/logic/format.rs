//! Formatting of times, durations and sizes for people.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, Timelike, Utc};

// The list pages format four times and a duration for each of up to 1000
// rows at once, so each formatter appends to a caller's buffer with digits
// written by hand: `format!` and chrono's writers cost an allocation and a
// trip through `core::fmt` per value. The `String` forms wrap the appenders.

/// Appends `n` in decimal, zero-padded to at least `width` digits.
pub fn push_num(out: &mut String, n: i64, width: usize) {
    let mut buf = [0u8; 24];
    let start = digits(&mut buf, n, width);
    push_ascii(out, &buf[start..]);
}

/// Writes `n` (zero-padded to `width` digits, at most 20) at the end of
/// `buf`; returns where it starts. Digits go into a buffer and then into the
/// string with one `push_str`: a `push` per digit was measurable on a page
/// of 1000 rows in a cold page, where wasm runs without inlining.
fn digits(buf: &mut [u8; 24], n: i64, width: usize) -> usize {
    let mut v = n.unsigned_abs();
    let mut at = buf.len();
    let stop = buf.len() - width.clamp(1, 20);
    while v > 0 || at > stop {
        at -= 1;
        buf[at] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    if n < 0 {
        at -= 1;
        buf[at] = b'-';
    }
    at
}

/// Appends bytes this module wrote itself: ASCII digits and punctuation.
fn push_ascii(out: &mut String, b: &[u8]) {
    // Never fails on what this module writes; a bug would lose text, not
    // panic the page.
    out.push_str(std::str::from_utf8(b).unwrap_or_default());
}

/// A length of time, two units at most: `45 s`, `3 min 20 s`, `2 h 5 min`,
/// `3 d 4 h`. Negative lengths (clock skew between server and browser) are
/// shown as zero rather than as nonsense.
pub fn format_duration_secs(secs: i64) -> String {
    let mut out = String::new();
    push_duration_secs(&mut out, secs);
    out
}

/// Whether a job's `max_tries` is a maximum to show as one. Scale documents
/// it as at least one, but Scale 5.0 sends 0 for some system jobs (its
/// clock, strike and scan): `1 of 0` would read as a broken count, so a
/// maximum under one is said as given instead.
pub fn is_tries_maximum(max_tries: i64) -> bool {
    max_tries >= 1
}

/// A job's tries: `2 of 3`, or `1 (maximum given as 0)` (see
/// [`is_tries_maximum`]).
pub fn tries_text(num_exes: Option<i64>, max_tries: Option<i64>) -> String {
    match (num_exes, max_tries) {
        (Some(n), Some(m)) if is_tries_maximum(m) => format!("{n} of {m}"),
        (Some(n), Some(m)) => format!("{n} (maximum given as {m})"),
        (Some(n), None) => n.to_string(),
        (None, _) => "—".to_string(),
    }
}

/// A job's timeout: `30 min`. Scale 5.0 sends 0 for some system jobs (its
/// clock, strike and scan, which run on with it: a recorded clock job is
/// RUNNING with timeout 0), so it means none is set, and is shown as given.
pub fn timeout_text(secs: Option<i64>) -> String {
    match secs {
        Some(s) if s > 0 => format_duration_secs(s),
        Some(s) => format!("none (given as {s})"),
        None => "—".to_string(),
    }
}

/// [`format_duration_secs`], appended to `out`.
pub fn push_duration_secs(out: &mut String, secs: i64) {
    let s = secs.max(0);
    let (d, h, m, sec) = (s / 86_400, (s % 86_400) / 3_600, (s % 3_600) / 60, s % 60);
    let (big, big_unit, small, small_unit) = if d > 0 {
        (d, " d", h, " h")
    } else if h > 0 {
        (h, " h", m, " min")
    } else if m > 0 {
        (m, " min", sec, " s")
    } else {
        (sec, " s", 0, "")
    };
    push_num(out, big, 1);
    out.push_str(big_unit);
    if small > 0 {
        out.push(' ');
        push_num(out, small, 1);
        out.push_str(small_unit);
    }
}

/// The time between two instants, formatted; `None` if either is missing.
pub fn duration_between(
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
) -> Option<String> {
    Some(format_duration_secs((end? - start?).num_seconds()))
}

/// `3 min ago`, `in 2 h` (a server clock ahead of ours), `just now`.
pub fn relative_time(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    push_relative_time(&mut out, t, now);
    out
}

/// [`relative_time`], appended to `out`.
pub fn push_relative_time(out: &mut String, t: DateTime<Utc>, now: DateTime<Utc>) {
    let secs = (now - t).num_seconds();
    if secs.abs() < 10 {
        out.push_str("just now");
        return;
    }
    if secs < 0 {
        out.push_str("in ");
    }
    let n = secs.abs();
    let (count, unit) = if n < 60 {
        (n, " s")
    } else if n < 3_600 {
        (n / 60, " min")
    } else if n < 86_400 {
        (n / 3_600, " h")
    } else if n < 86_400 * 60 {
        (n / 86_400, " d")
    } else if n < 86_400 * 730 {
        (n / (86_400 * 30), " mo")
    } else {
        (n / (86_400 * 365), " y")
    };
    push_num(out, count, 1);
    out.push_str(unit);
    if secs > 0 {
        out.push_str(" ago");
    }
}

/// Which clock times are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeZoneChoice {
    Utc,
    /// The browser's local zone, as an offset from UTC at the instant shown
    /// (offsets change with daylight saving time, so it is per instant).
    Local,
}

/// The exact time: `2026-11-29 06:53:57 UTC` or `2026-11-29 07:53:57 +01:00`.
///
/// Formatted by hand: chrono's `format()` brings a strftime interpreter
/// into the WebAssembly bundle for three fixed patterns.
pub fn exact_time(t: DateTime<Utc>, offset: Option<FixedOffset>) -> String {
    let mut out = String::new();
    push_exact_time(&mut out, t, offset);
    out
}

/// [`exact_time`], appended to `out`.
pub fn push_exact_time(out: &mut String, t: DateTime<Utc>, offset: Option<FixedOffset>) {
    push_ymd_hms(out, &wall_clock(t, offset), b' ');
    match offset {
        None => out.push_str(" UTC"),
        Some(o) => {
            let secs = o.local_minus_utc();
            out.push_str(if secs < 0 { " -" } else { " +" });
            let a = i64::from(secs.unsigned_abs());
            push_num(out, a / 3600, 2);
            out.push(':');
            push_num(out, (a % 3600) / 60, 2);
        }
    }
}

/// An instant for a `datetime` attribute, in Scale's own form:
/// `2026-11-29T06:53:57.595974Z`, or `2026-11-29T06:53:57Z` on the second.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    let mut out = String::new();
    push_rfc3339(&mut out, t);
    out
}

/// [`rfc3339`], appended to `out`.
pub fn push_rfc3339(out: &mut String, t: DateTime<Utc>) {
    push_ymd_hms(out, &t.naive_utc(), b'T');
    // chrono keeps a leap second as a nanosecond count past 999_999_999.
    let micros = (t.nanosecond() % 1_000_000_000) / 1_000;
    if micros > 0 {
        out.push('.');
        push_num(out, i64::from(micros), 6);
    }
    out.push('Z');
}

/// The date and time `t` reads as at `offset` (`None`: UTC).
fn wall_clock(t: DateTime<Utc>, offset: Option<FixedOffset>) -> NaiveDateTime {
    match offset {
        None => t.naive_utc(),
        Some(o) => t.with_timezone(&o).naive_local(),
    }
}

/// `YYYY-MM-DD?HH:MM:SS`, `?` being `between` (ASCII), in one buffer and
/// one `push_str` (see `digits`).
fn push_ymd_hms(out: &mut String, t: &NaiveDateTime, between: u8) {
    // A leap second reads :60, as RFC 3339 writes it.
    let leap = u32::from(t.nanosecond() >= 1_000_000_000);
    let mut b = *b"0000-00-00T00:00:00";
    two(&mut b[5..7], t.month());
    two(&mut b[8..10], t.day());
    b[10] = if between.is_ascii() { between } else { b'T' };
    two(&mut b[11..13], t.hour());
    two(&mut b[14..16], t.minute());
    two(&mut b[17..19], t.second() + leap);
    let year = t.year();
    match u32::try_from(year) {
        Ok(y @ 0..=9999) => {
            two(&mut b[0..2], y / 100);
            two(&mut b[2..4], y % 100);
            push_ascii(out, &b);
        }
        // chrono allows years to ±262143: written in full, then the rest.
        _ => {
            push_num(out, i64::from(year), 4);
            push_ascii(out, &b[4..]);
        }
    }
}

/// `n` (0..=99) as two digits into `b`.
fn two(b: &mut [u8], n: u32) {
    if let [tens, ones] = b {
        *tens = b'0' + (n / 10 % 10) as u8;
        *ones = b'0' + (n % 10) as u8;
    }
}

/// A byte count in binary units: `8.5 KiB`, `176 MiB`, `1.2 GiB`.
pub fn human_bytes(n: i64) -> String {
    if n < 0 {
        return format!("{n} B");
    }
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{} {}", trim_number(v), UNITS[i])
    }
}

/// A size given in MiB (Scale's resource fields): 15360 -> `15 GiB`.
pub fn human_mib(mib: f64) -> String {
    if !mib.is_finite() {
        return "unknown".to_string();
    }
    human_bytes((mib * 1024.0 * 1024.0).round() as i64)
}

/// One decimal below 10, none above; no trailing `.0`.
fn trim_number(v: f64) -> String {
    let s = if v < 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    };
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// The local-time value for an `<input type="datetime-local">` (minutes
/// precision) of an instant, in UTC or at a fixed offset.
pub fn to_datetime_local(t: DateTime<Utc>, offset: Option<FixedOffset>) -> String {
    let n = wall_clock(t, offset);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        n.year(),
        n.month(),
        n.day(),
        n.hour(),
        n.minute()
    )
}

/// Reads an `<input type="datetime-local">` value (`2026-11-29T07:53`, with
/// optional seconds and fraction) as a time in UTC or at the given offset.
pub fn from_datetime_local(s: &str, offset: Option<FixedOffset>) -> Option<DateTime<Utc>> {
    use chrono::{NaiveDate, NaiveTime, TimeZone};
    let (date, time) = s.trim().split_once('T')?;
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, mo, da) = (d.next()??, d.next()??, d.next()??);
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(y).ok()?,
        u32::try_from(mo).ok()?,
        u32::try_from(da).ok()?,
    )?;
    let mut t = time.splitn(3, ':');
    let h: u32 = t.next()?.parse().ok()?;
    let m: u32 = t.next()?.parse().ok()?;
    let sec: u32 = match t.next() {
        None => 0,
        // Seconds may carry a fraction; minutes precision is what we keep.
        Some(x) => x.split('.').next()?.parse().ok()?,
    };
    let naive = NaiveDateTime::new(date, NaiveTime::from_hms_opt(h, m, sec)?);
    match offset {
        None => Some(Utc.from_utc_datetime(&naive)),
        Some(o) => o
            .from_local_datetime(&naive)
            .single()
            .map(|d| d.with_timezone(&Utc)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tries_and_timeouts_of_system_jobs_are_said_as_given() {
        assert_eq!(tries_text(Some(2), Some(3)), "2 of 3");
        assert_eq!(tries_text(Some(1), Some(0)), "1 (maximum given as 0)");
        assert_eq!(tries_text(Some(1), Some(-1)), "1 (maximum given as -1)");
        assert_eq!(tries_text(Some(4), None), "4");
        assert_eq!(tries_text(None, Some(3)), "—");
        assert_eq!(timeout_text(Some(1800)), "30 min");
        assert_eq!(timeout_text(Some(0)), "none (given as 0)");
        assert_eq!(timeout_text(None), "—");
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn durations() {
        assert_eq!(format_duration_secs(0), "0 s");
        assert_eq!(format_duration_secs(45), "45 s");
        assert_eq!(format_duration_secs(200), "3 min 20 s");
        assert_eq!(format_duration_secs(600), "10 min");
        assert_eq!(format_duration_secs(7_500), "2 h 5 min");
        assert_eq!(format_duration_secs(3 * 86_400 + 4 * 3_600 + 59), "3 d 4 h");
        assert_eq!(format_duration_secs(-5), "0 s");
        assert_eq!(
            duration_between(
                Some(t("2026-11-26T09:46:38Z")),
                Some(t("2026-11-26T09:56:42Z"))
            )
            .as_deref(),
            Some("10 min 4 s")
        );
        assert_eq!(
            duration_between(None, Some(t("2026-11-26T09:56:42Z"))),
            None
        );
    }

    #[test]
    fn relative() {
        let now = t("2026-11-29T12:00:00Z");
        assert_eq!(relative_time(t("2026-11-29T11:59:55Z"), now), "just now");
        assert_eq!(relative_time(t("2026-11-29T11:57:00Z"), now), "3 min ago");
        assert_eq!(relative_time(t("2026-11-29T09:00:00Z"), now), "3 h ago");
        assert_eq!(relative_time(t("2026-11-20T12:00:00Z"), now), "9 d ago");
        assert_eq!(relative_time(t("2026-11-29T12:02:00Z"), now), "in 2 min");
        assert_eq!(relative_time(t("2024-11-29T12:00:00Z"), now), "2 y ago");
    }

    #[test]
    fn exact_times_in_both_zones() {
        let x = t("2026-11-29T06:53:57.595974Z");
        assert_eq!(exact_time(x, None), "2026-11-29 06:53:57 UTC");
        let cet = FixedOffset::east_opt(3600).unwrap();
        assert_eq!(exact_time(x, Some(cet)), "2026-11-29 07:53:57 +01:00");
    }

    #[test]
    fn numbers_and_instants_written_by_hand() {
        let mut s = String::new();
        for (n, w) in [
            (0, 1),
            (7, 2),
            (42, 4),
            (-5, 2),
            (i64::MIN, 1),
            (i64::MAX, 1),
        ] {
            s.clear();
            push_num(&mut s, n, w);
            let want = if n < 0 {
                format!("-{:0w$}", n.unsigned_abs())
            } else {
                format!("{n:0w$}")
            };
            assert_eq!(s, want, "{n} to {w} digits");
        }
        let x = t("2026-11-29T06:53:57.595974Z");
        assert_eq!(rfc3339(x), "2026-11-29T06:53:57.595974Z");
        assert_eq!(rfc3339(t("2026-01-02T03:04:05Z")), "2026-01-02T03:04:05Z");
        // Below a microsecond there is nothing to show (Scale has none).
        assert_eq!(
            rfc3339(t("2026-01-02T03:04:05.0000009Z")),
            "2026-01-02T03:04:05Z"
        );
        assert_eq!(
            rfc3339(t("0033-01-02T03:04:05.000100Z")),
            "0033-01-02T03:04:05.000100Z"
        );
        // What the page writes, the time walker and the browser read back.
        for s in ["2026-11-29T06:53:57.595974Z", "1999-12-31T23:59:59Z"] {
            assert_eq!(rfc3339(t(s)), s);
            assert_eq!(t(&rfc3339(t(s))), t(s));
        }
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_micro_opt(23, 59, 59, 1_500_000))
            .unwrap()
            .and_utc();
        assert_eq!(rfc3339(leap), "2016-12-31T23:59:60.500000Z");
        // Years outside 0..=9999 take another path; chrono allows them.
        for (y, want) in [
            (-4, "-0004-02-29T01:02:03Z"),
            (12344, "12344-02-29T01:02:03Z"),
        ] {
            let d = chrono::NaiveDate::from_ymd_opt(y, 2, 29)
                .and_then(|d| d.and_hms_opt(1, 2, 3))
                .unwrap()
                .and_utc();
            assert_eq!(rfc3339(d), want);
        }
        assert_eq!(
            exact_time(t("9999-12-31T23:59:59Z"), None),
            "9999-12-31 23:59:59 UTC"
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(8712), "8.5 KiB");
        assert_eq!(human_bytes(184_549_376), "176 MiB");
        assert_eq!(human_mib(15360.0), "15 GiB");
        assert_eq!(human_mib(2048.0), "2 GiB");
        assert_eq!(human_mib(64.0), "64 MiB");
        assert_eq!(human_mib(0.0), "0 B");
    }

    #[test]
    fn datetime_local_round_trip() {
        let x = t("2026-11-29T06:53:00Z");
        assert_eq!(to_datetime_local(x, None), "2026-11-29T06:53");
        assert_eq!(from_datetime_local("2026-11-29T06:53", None), Some(x));
        let cet = FixedOffset::east_opt(3600).unwrap();
        assert_eq!(to_datetime_local(x, Some(cet)), "2026-11-29T07:53");
        assert_eq!(from_datetime_local("2026-11-29T07:53", Some(cet)), Some(x));
        assert_eq!(from_datetime_local("garbage", None), None);
        assert_eq!(
            from_datetime_local("2026-11-29T06:53:10.5", None),
            Some(t("2026-11-29T06:53:10Z"))
        );
        assert_eq!(from_datetime_local("2026-02-30T06:53", None), None);
        assert_eq!(from_datetime_local("2026-11-29T25:00", None), None);
        let west = FixedOffset::west_opt(5 * 3600 + 1800).unwrap();
        assert_eq!(exact_time(x, Some(west)), "2026-11-29 01:23:00 -05:30");
    }
}
