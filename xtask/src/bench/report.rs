//! The benchmark report: one line per measured figure with its goal and a
//! pass/fail verdict, written as `report.json` and `report.md`.

use serde_json::{json, Value};
use std::fmt::Write as _;

/// What a figure must be to pass.
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    /// At most this value.
    AtMost(f64),
    /// No goal: shown for context.
    None,
}

/// One row of the report.
#[derive(Debug, Clone)]
pub struct Line {
    /// Stable key in report.json (`initial_load_transferred_kib`).
    pub key: &'static str,
    /// What was measured, for a person.
    pub what: String,
    pub goal: Goal,
    /// `None` when the measurement failed (see `note`).
    pub value: Option<f64>,
    /// Unit shown after goal and value (`ms`, `KiB`, `%`, `x`, ``).
    pub unit: &'static str,
    /// How the figure came about: samples, method, an error.
    pub note: String,
    /// What the table shows instead of `value` alone (`3.1 / 7.9 ms`).
    pub shown: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    Info,
    Error,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Info => "info",
            Verdict::Error => "ERROR",
        }
    }
}

impl Line {
    pub fn verdict(&self) -> Verdict {
        match (self.value, self.goal) {
            (None, _) => Verdict::Error,
            (Some(_), Goal::None) => Verdict::Info,
            (Some(v), Goal::AtMost(max)) if v <= max => Verdict::Pass,
            (Some(_), Goal::AtMost(_)) => Verdict::Fail,
        }
    }

    fn goal_text(&self) -> String {
        match self.goal {
            Goal::AtMost(max) => format!("≤ {}", number(max, self.unit)),
            Goal::None => String::new(),
        }
    }

    fn value_text(&self) -> String {
        match (self.value, &self.shown) {
            (Some(_), Some(shown)) => shown.clone(),
            (Some(v), None) => number(v, self.unit),
            (None, _) => "not measured".to_owned(),
        }
    }
}

/// `12.3 ms`, `176.0 KiB`, `0`, `1.12x`.
fn number(v: f64, unit: &str) -> String {
    match unit {
        "" => format!("{v:.0}"),
        "x" => format!("{v:.2}x"),
        "%" => format!("{v:.1} %"),
        "req/s" => format!("{v:.0} {unit}"),
        _ if v.abs() >= 100.0 => format!("{v:.0} {unit}"),
        _ => format!("{v:.1} {unit}"),
    }
}

/// The whole report.
#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<Line>,
    /// Free-form facts for report.json (machine, versions, raw samples).
    pub details: serde_json::Map<String, Value>,
    /// Extra markdown sections after the table (the wasm size breakdown).
    pub sections: Vec<(String, String)>,
}

impl Report {
    pub fn push(&mut self, line: Line) {
        println!(
            "  {:<5} {}: {}{}",
            line.verdict().word(),
            line.what,
            line.value_text(),
            match line.goal {
                Goal::None => String::new(),
                _ => format!(" (goal {})", line.goal_text()),
            }
        );
        self.lines.push(line);
    }

    pub fn detail(&mut self, key: &str, value: Value) {
        self.details.insert(key.to_owned(), value);
    }

    /// Whether some figure could not be measured.
    pub fn has_errors(&self) -> bool {
        self.lines.iter().any(|l| l.verdict() == Verdict::Error)
    }

    pub fn to_json(&self) -> Value {
        let lines: Vec<Value> = self
            .lines
            .iter()
            .map(|l| {
                json!({
                    "key": l.key,
                    "what": l.what,
                    "goal": match l.goal {
                        Goal::AtMost(max) => json!({ "at_most": max }),
                        Goal::None => Value::Null,
                    },
                    "value": l.value,
                    "unit": l.unit,
                    "shown": l.value_text(),
                    "result": l.verdict().word(),
                    "note": l.note,
                })
            })
            .collect();
        let count = |v: Verdict| self.lines.iter().filter(|l| l.verdict() == v).count();
        json!({
            "lines": lines,
            "summary": {
                "pass": count(Verdict::Pass),
                "fail": count(Verdict::Fail),
                "error": count(Verdict::Error),
                "info": count(Verdict::Info),
            },
            "details": Value::Object(self.details.clone()),
        })
    }

    /// The table alone: what `cargo xtask bench` prints and the README holds.
    pub fn table(&self) -> String {
        let mut out = String::new();
        out.push_str("| measure | goal | measured | result |\n");
        out.push_str("| --- | --- | --- | --- |\n");
        for l in &self.lines {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                l.what.replace('|', "\\|"),
                l.goal_text(),
                l.value_text(),
                l.verdict().word()
            );
        }
        out
    }

    pub fn to_markdown(&self, header: &str) -> String {
        let mut out = String::new();
        out.push_str("# Benchmark report\n\n");
        out.push_str(header);
        out.push_str("\n\n");
        out.push_str(&self.table());
        out.push_str("\n## How each figure was taken\n\n");
        for l in &self.lines {
            if !l.note.is_empty() {
                let _ = writeln!(out, "- **{}**: {}", l.what, l.note);
            }
        }
        for (title, body) in &self.sections {
            let _ = write!(out, "\n## {title}\n\n{body}\n");
        }
        out
    }
}

/// The median of some samples (mean of the middle two for an even count).
pub fn median(samples: &[f64]) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let mid = s.len() / 2;
    Some(if s.len().is_multiple_of(2) {
        (s[mid - 1] + s[mid]) / 2.0
    } else {
        s[mid]
    })
}

/// The nearest-rank percentile `p` (0..=100) of some samples.
pub fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut s = samples.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    Some(s[rank.clamp(1, s.len()) - 1])
}

/// Samples as `[1.2, 3.4, ...]` with one decimal, for notes.
pub fn list(samples: &[f64]) -> String {
    let parts: Vec<String> = samples.iter().map(|v| format!("{v:.1}")).collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&hundred, 50.0), Some(50.0));
        assert_eq!(percentile(&hundred, 99.0), Some(99.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
    }

    #[test]
    fn verdicts_follow_goals() {
        let line = |value, goal| Line {
            key: "k",
            what: "w".into(),
            goal,
            value,
            unit: "ms",
            note: String::new(),
            shown: None,
        };
        assert_eq!(line(Some(5.0), Goal::AtMost(5.0)).verdict(), Verdict::Pass);
        assert_eq!(line(Some(5.1), Goal::AtMost(5.0)).verdict(), Verdict::Fail);
        assert_eq!(line(Some(5.1), Goal::None).verdict(), Verdict::Info);
        assert_eq!(line(None, Goal::AtMost(5.0)).verdict(), Verdict::Error);
        let mut r = Report::default();
        r.lines.push(line(None, Goal::AtMost(1.0)));
        assert!(r.has_errors());
        assert!(r
            .table()
            .contains("| w | ≤ 1.0 ms | not measured | ERROR |"));
    }
}
