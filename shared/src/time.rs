//! Datetimes and time bounds as Scale writes and reads them.
//!
//! Scale sends `2026-11-29T06:53:57.595974Z` (microseconds), or
//! `2026-11-29T06:53:57Z` when the microseconds are zero; the reference's own
//! examples use milliseconds. [`Timestamp`] reads all of them and writes
//! Scale's form. [`TimeBound`] is a `started`/`ended` query value: an absolute
//! datetime or an ISO-8601 duration meaning "now minus this".
//!
//! Nothing here reads the clock: callers pass `now`, which keeps the crate
//! usable in WebAssembly and makes tests deterministic.

use chrono::{DateTime, Duration, FixedOffset, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A UTC instant as sent by Scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// Parses any RFC 3339 datetime (any offset, any fraction), as a decoder
    /// of server output should: it is lenient where the query parser is not.
    pub fn parse(s: &str) -> Option<Timestamp> {
        DateTime::parse_from_rfc3339(s.trim())
            .ok()
            .map(|d| Timestamp(d.with_timezone(&Utc)))
    }

    /// Scale's form: microseconds when there are any, `Z` always.
    pub fn to_scale_string(&self) -> String {
        format_scale(self.0)
    }

    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }
}

/// Scale's datetime form: microseconds when non-zero, otherwise none.
pub fn format_scale(dt: DateTime<Utc>) -> String {
    // Truncate to microseconds: Scale (Python) has no finer resolution.
    let micros = dt.nanosecond() / 1_000;
    let dt = dt.with_nanosecond(micros * 1_000).unwrap_or(dt);
    if micros == 0 {
        dt.to_rfc3339_opts(SecondsFormat::Secs, true)
    } else {
        dt.to_rfc3339_opts(SecondsFormat::Micros, true)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(d: DateTime<Utc>) -> Self {
        Timestamp(d)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_scale_string())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_scale_string())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        Timestamp::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("invalid datetime: {s:?}")))
    }
}

/// An ISO-8601 duration limited to the units Scale accepts: days, hours,
/// minutes and seconds, each possibly fractional (`PT1.5H`). Weeks, months
/// and years are rejected, as Scale rejects them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct IsoDuration {
    pub days: f64,
    pub hours: f64,
    pub minutes: f64,
    pub seconds: f64,
}

/// Largest component accepted; keeps every total representable.
const MAX_COMPONENT: f64 = 1.0e7;

impl IsoDuration {
    pub fn days(n: f64) -> Self {
        IsoDuration {
            days: n,
            ..Default::default()
        }
    }

    pub fn hours(n: f64) -> Self {
        IsoDuration {
            hours: n,
            ..Default::default()
        }
    }

    pub fn minutes(n: f64) -> Self {
        IsoDuration {
            minutes: n,
            ..Default::default()
        }
    }

    /// The length in milliseconds.
    pub fn total_millis(&self) -> i64 {
        let ms = self.days * 86_400_000.0
            + self.hours * 3_600_000.0
            + self.minutes * 60_000.0
            + self.seconds * 1_000.0;
        ms.round() as i64
    }

    pub fn to_chrono(&self) -> Duration {
        Duration::milliseconds(self.total_millis())
    }

    /// Parses `P2D`, `PT3H0M0S`, `PT1.5H`, `P1DT12H`.
    pub fn parse(s: &str) -> Result<IsoDuration, String> {
        let bad = || {
            format!("{s:?} is not an ISO-8601 duration of days, hours, minutes and seconds (e.g. PT3H or P2D)")
        };
        let rest = s.strip_prefix('P').ok_or_else(bad)?;
        let (date_part, time_part) = match rest.split_once('T') {
            Some((d, t)) => {
                if t.is_empty() {
                    return Err(bad());
                }
                (d, Some(t))
            }
            None => (rest, None),
        };
        let mut out = IsoDuration::default();
        let mut any = false;
        // Date part: only days.
        if !date_part.is_empty() {
            let num = date_part.strip_suffix('D').ok_or_else(bad)?;
            out.days = parse_component(num).ok_or_else(bad)?;
            any = true;
        }
        if let Some(t) = time_part {
            let mut rest = t;
            let mut last_rank = 0;
            while !rest.is_empty() {
                let end = rest
                    .find(|c: char| c.is_ascii_alphabetic())
                    .ok_or_else(bad)?;
                let (num, tail) = rest.split_at(end);
                let unit = tail.as_bytes()[0];
                let rank = match unit {
                    b'H' => 1,
                    b'M' => 2,
                    b'S' => 3,
                    _ => return Err(bad()),
                };
                // Units must appear once each, in order.
                if rank <= last_rank {
                    return Err(bad());
                }
                last_rank = rank;
                let v = parse_component(num).ok_or_else(bad)?;
                match unit {
                    b'H' => out.hours = v,
                    b'M' => out.minutes = v,
                    _ => out.seconds = v,
                }
                any = true;
                rest = &tail[1..];
            }
        }
        if !any {
            return Err(bad());
        }
        Ok(out)
    }
}

/// Powers of ten up to 10^22, the largest an `f64` holds exactly.
const EXACT_POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// A component's number: digits with at most one decimal separator (`.`
/// or ISO's `,`) and at least one digit; no sign, exponent or blank, which
/// `f64::from_str` would let through.
///
/// Read by hand rather than with `f64::from_str`, which is this crate's
/// only use of core's general float parser: that parser is about 17 KB of
/// the wasm (most of it a table of powers of five), some 15 KiB as sent.
/// With at most 15 significant digits and 22 decimal places (any duration
/// a person writes, and the console's own output for it, since 15 digits
/// survive a round trip through an `f64`) the digits and the power of ten
/// are exact in an `f64`, so one division gives the correctly rounded
/// value, the same as `from_str`'s; property tests hold them equal there.
/// Past that, digits after the 19th significant one are dropped and up to
/// three roundings are made, so the value may differ from `from_str`'s in
/// its last bits (a relative 1e-15), and a number that close to the limit
/// of 10^7 may be taken or refused where `from_str`'s would not.
fn parse_component(num: &str) -> Option<f64> {
    let mut mantissa: u64 = 0;
    // Significant digits in `mantissa`, and how many of them (or of the
    // zeros before them) come after the separator.
    let mut digits = 0u32;
    let mut decimals = 0u32;
    let mut separator = false;
    let mut any_digit = false;
    for b in num.bytes() {
        match b {
            b'0'..=b'9' => {
                any_digit = true;
                if mantissa == 0 && b == b'0' {
                    // A leading zero: only its place counts.
                    decimals = decimals.saturating_add(u32::from(separator));
                } else if digits < 19 {
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                    digits += 1;
                    decimals += u32::from(separator);
                } else if !separator {
                    // Twenty integer digits: far over the limit.
                    return None;
                }
            }
            b'.' | b',' if !separator => separator = true,
            _ => return None,
        }
    }
    if !any_digit {
        return None;
    }
    let mut v = mantissa as f64;
    while decimals > 22 && v != 0.0 {
        v /= 1e22;
        decimals -= 22;
    }
    if v != 0.0 {
        v /= EXACT_POW10[decimals as usize];
    }
    (v.is_finite() && v <= MAX_COMPONENT).then_some(v)
}

impl fmt::Display for IsoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("P")?;
        if self.days != 0.0 {
            write!(f, "{}D", self.days)?;
        }
        let time = self.hours != 0.0 || self.minutes != 0.0 || self.seconds != 0.0;
        if time {
            f.write_str("T")?;
            if self.hours != 0.0 {
                write!(f, "{}H", self.hours)?;
            }
            if self.minutes != 0.0 {
                write!(f, "{}M", self.minutes)?;
            }
            if self.seconds != 0.0 {
                write!(f, "{}S", self.seconds)?;
            }
        } else if self.days == 0.0 {
            // A zero duration still needs a unit to be valid ISO-8601.
            f.write_str("T0S")?;
        }
        Ok(())
    }
}

impl FromStr for IsoDuration {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IsoDuration::parse(s)
    }
}

/// A `started` or `ended` query value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeBound {
    /// An absolute instant, kept with the offset it was written in so it is
    /// printed back the way the user wrote it.
    At(DateTime<FixedOffset>),
    /// "Now minus this duration".
    Ago(IsoDuration),
}

impl TimeBound {
    /// Parses a query value with Scale's rules: a value starting with `P` is
    /// a duration; anything else must be an ISO-8601 datetime with `Z` or a
    /// non-negative `+hh:mm` offset. Date-only values, a missing zone,
    /// lowercase `z` and negative offsets are rejected, as Scale rejects them.
    pub fn parse(s: &str) -> Result<TimeBound, String> {
        if s.starts_with('P') {
            return IsoDuration::parse(s).map(TimeBound::Ago);
        }
        let bad = || {
            format!("{s:?} is not an ISO-8601 datetime with a time zone (e.g. 2026-01-31T12:00:00Z) or a duration (e.g. PT24H)")
        };
        if !s.contains('T') {
            return Err(bad());
        }
        let zone_ok = if s.ends_with('Z') {
            true
        } else if s.len() > 6 {
            let tail = &s.as_bytes()[s.len() - 6..];
            tail[0] == b'+'
                && tail[1].is_ascii_digit()
                && tail[2].is_ascii_digit()
                && tail[3] == b':'
                && tail[4].is_ascii_digit()
                && tail[5].is_ascii_digit()
        } else {
            false
        };
        if !zone_ok {
            return Err(bad());
        }
        DateTime::parse_from_rfc3339(s)
            .map(TimeBound::At)
            .map_err(|_| bad())
    }

    /// The instant this bound means at `now`.
    pub fn resolve(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            TimeBound::At(dt) => dt.with_timezone(&Utc),
            TimeBound::Ago(d) => now - d.to_chrono(),
        }
    }

    pub fn at_utc(dt: DateTime<Utc>) -> TimeBound {
        TimeBound::At(dt.fixed_offset())
    }
}

impl fmt::Display for TimeBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeBound::Ago(d) => d.fmt(f),
            TimeBound::At(dt) => {
                if dt.offset().local_minus_utc() == 0 {
                    f.write_str(&format_scale(dt.with_timezone(&Utc)))
                } else {
                    let fmt = if dt.nanosecond() == 0 {
                        SecondsFormat::Secs
                    } else {
                        SecondsFormat::AutoSi
                    };
                    f.write_str(&dt.to_rfc3339_opts(fmt, false))
                }
            }
        }
    }
}

impl FromStr for TimeBound {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TimeBound::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn timestamps_in_every_form_scale_sends() {
        for (input, out) in [
            ("2026-11-29T06:53:57.595974Z", "2026-11-29T06:53:57.595974Z"),
            ("2026-11-29T06:53:57Z", "2026-11-29T06:53:57Z"),
            ("2015-08-28T17:57:24.261Z", "2015-08-28T17:57:24.261000Z"),
            ("2026-11-29T08:53:57+02:00", "2026-11-29T06:53:57Z"),
        ] {
            let t: Timestamp = serde_json::from_str(&format!("\"{input}\"")).unwrap();
            assert_eq!(t.to_scale_string(), out, "{input}");
        }
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }

    #[test]
    fn durations_scale_accepts() {
        assert_eq!(
            IsoDuration::parse("P2D").unwrap().total_millis(),
            172_800_000
        );
        assert_eq!(
            IsoDuration::parse("PT3H0M0S").unwrap().total_millis(),
            10_800_000
        );
        assert_eq!(
            IsoDuration::parse("PT1.5H").unwrap().total_millis(),
            5_400_000
        );
        assert_eq!(
            IsoDuration::parse("P1DT12H").unwrap().total_millis(),
            129_600_000
        );
        assert_eq!(IsoDuration::parse("PT90S").unwrap().total_millis(), 90_000);
        assert_eq!(IsoDuration::parse("PT1.5H").unwrap().to_string(), "PT1.5H");
        assert_eq!(IsoDuration::parse("PT3H0M0S").unwrap().to_string(), "PT3H");
    }

    #[test]
    fn duration_numbers_read_as_from_str_reads_them() {
        let from_str = |t: &str| t.replace(',', ".").parse::<f64>().unwrap();
        for text in [
            "1.5",
            "1,5",
            "1.",
            ".5",
            ",25",
            "0",
            "000",
            "00.000",
            "007.50",
            "0.1",
            "0.3",
            "10000000",
            "9999999.99999999",
            "0.1234567890123456789012",
            "0.0000000000000000000001",
            // More leading zeros than the 19 digits kept.
            "0000000000000000000000000001.5",
            "0.00000000000000000000000",
        ] {
            assert_eq!(
                parse_component(text).map(f64::to_bits),
                Some(from_str(text).to_bits()),
                "{text}"
            );
        }
        // Past 15 significant digits or 22 decimal places: the last bits
        // may differ, no more.
        for text in [
            "9999999.999999999",
            "1234567.12345678901234567",
            "0.66666666666666666666666666666",
            "0.00000000000000000005189716825180138739",
            "0.0000000000000000000000001",
            "1.00000000000000000000001",
        ] {
            let (got, want) = (parse_component(text).unwrap(), from_str(text));
            assert!(
                (got - want).abs() <= want * 1e-15,
                "{text}: {got} against {want}"
            );
        }
        for bad in [
            "",
            ".",
            ",",
            "1.2.3",
            "1.,5",
            "1,5,",
            "+1",
            "-1",
            "1e3",
            " 1",
            "1 ",
            "1_0",
            "10000000.1",
            "100000000",
            "99999999999999999999",
        ] {
            assert_eq!(parse_component(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn durations_scale_rejects() {
        for bad in [
            "P1W", "P1M", "P1Y", "P", "PT", "P1H", "PT1D", "PTH", "PT-1H", "PT1e3S", "PT1M1H",
            "PT1H1H", "p1d", "P 1D", "P1DT",
        ] {
            assert!(IsoDuration::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn time_bounds_follow_scale_rules() {
        let ok = [
            "2026-11-27T07:56:50.466Z",
            "2026-11-29T01:56:50Z",
            "2026-11-28T19:56:50+00:00",
            "2026-11-28T19:56:50+05:30",
            "2015-01-01T00:00:00Z",
            "PT24H",
            "P2D",
        ];
        for s in ok {
            assert!(TimeBound::parse(s).is_ok(), "{s} should parse");
        }
        let bad = [
            "2026-11-27T00:00:00",
            "2026-11-27",
            "2026-11-27T00:00:00 00:00",
            "2026-11-27T00:00:00-05:00",
            "yesterday",
            "P1W",
            "2026-13-45T00:00:00Z",
            "2026-11-27T00:00:00z",
            "",
        ];
        for s in bad {
            assert!(TimeBound::parse(s).is_err(), "{s:?} should be rejected");
        }
    }

    #[test]
    fn resolve_durations_against_now() {
        let now = utc("2026-11-29T12:00:00Z");
        assert_eq!(
            TimeBound::parse("PT24H").unwrap().resolve(now),
            utc("2026-11-28T12:00:00Z")
        );
        assert_eq!(
            TimeBound::parse("2026-11-28T19:56:50+02:00")
                .unwrap()
                .resolve(now),
            utc("2026-11-28T17:56:50Z")
        );
    }

    #[test]
    fn time_bound_prints_what_it_parsed() {
        for s in [
            "2026-11-27T07:56:50.466Z",
            "2026-11-29T01:56:50Z",
            "2026-11-28T19:56:50+05:30",
            "PT24H",
        ] {
            let b = TimeBound::parse(s).unwrap();
            assert_eq!(TimeBound::parse(&b.to_string()).unwrap(), b, "{s}");
        }
        assert_eq!(
            TimeBound::parse("2026-11-27T07:56:50.466Z")
                .unwrap()
                .to_string(),
            "2026-11-27T07:56:50.466000Z"
        );
    }

    proptest! {
        #[test]
        fn duration_print_parse_round_trip(
            d in 0u32..400, h in 0u32..48, m in 0u32..120, s in 0u32..7200, frac in 0u32..4
        ) {
            let dur = IsoDuration {
                days: d as f64,
                hours: h as f64 + frac as f64 * 0.25,
                minutes: m as f64,
                seconds: s as f64,
            };
            let back = IsoDuration::parse(&dur.to_string()).unwrap();
            prop_assert_eq!(back.total_millis(), dur.total_millis());
        }

        /// Up to 15 significant digits and 22 decimal places the hand
        /// reader gives `f64::from_str`'s value, bit for bit.
        #[test]
        fn duration_numbers_equal_from_str(
            int in 0u32..=9_999_999,
            zeros in 0usize..25,
            frac in proptest::option::of("[0-9]{1,8}"),
            comma in any::<bool>(),
        ) {
            let mut text = format!("{}{int}", "0".repeat(zeros));
            if let Some(f) = &frac {
                text.push(if comma { ',' } else { '.' });
                text.push_str(f);
            }
            let expected: f64 = text.replace(',', ".").parse().unwrap();
            prop_assert_eq!(parse_component(&text).map(f64::to_bits), Some(expected.to_bits()), "{}", text);
        }

        #[test]
        fn small_fractions_equal_from_str(zeros in 0usize..=15, digits in "[1-9][0-9]{0,6}") {
            let text = format!("0.{}{digits}", "0".repeat(zeros));
            let expected: f64 = text.parse().unwrap();
            prop_assert_eq!(parse_component(&text).map(f64::to_bits), Some(expected.to_bits()), "{}", text);
        }

        #[test]
        fn duration_parser_never_panics(s in "P[0-9DTHMSW.,]{0,12}") {
            let _ = IsoDuration::parse(&s);
        }

        #[test]
        fn time_bound_parser_never_panics(s in "\\PC{0,40}") {
            let _ = TimeBound::parse(&s);
        }

        #[test]
        fn absolute_bounds_round_trip(secs in 0i64..4_000_000_000, micros in 0u32..1_000_000) {
            let dt = DateTime::<Utc>::from_timestamp(secs, micros * 1000).unwrap();
            let b = TimeBound::at_utc(dt);
            let back = TimeBound::parse(&b.to_string()).unwrap();
            prop_assert_eq!(back.resolve(dt), dt);
        }
    }
}
