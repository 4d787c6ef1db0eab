//! `cargo xtask bench --compare DIR`: the bundle the bench would measure
//! (`dist/`, or `--dist`) against another build of the app, load for load.
//!
//! On this shared two-core machine a median moves by 10–30 % from one run
//! to the next, so two bundles measured in separate runs cannot be told
//! apart by less than that (the README's "tried and dropped" figures are
//! full of it). Here both bundles are served at once, by two servers on
//! one database, and their loads alternate in one browser: A then B, then
//! B then A. Each pair meets the machine in the same state, and the
//! pairs' differences say which bundle is faster and how consistently.
//! It writes `target/bench/compare.md`, not the report, which it leaves
//! alone. Both bundles must mark `scale:painted` (commit bec68f5 and
//! later): a load of an older one waits for it until the load limit and
//! fails.

use super::{browser, cdp, first_line, loadavg, prepare_dist, remove_db, write, BenchServer};
use super::{command_line, report::list, report::median};
use crate::proc::root;
use crate::{setup, Result};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// Pairs of loads per measure (16 loads of each bundle, half of the
/// pairs led by each), about a minute per measure.
const PAIRS: usize = 16;

/// The parts a comparison can measure.
pub const PARTS: [&str; 2] = ["first-rows", "render"];

/// Two bundles' samples of one measure, taken in pairs.
#[derive(Debug, PartialEq)]
pub struct Paired {
    pub a: f64,
    pub b: f64,
    /// The median of the pairs' differences, B − A.
    pub b_minus_a: f64,
    /// In how many pairs B took less time than A.
    pub b_faster: usize,
    pub pairs: usize,
    /// Pairs where both took the same time, left out of the sign test.
    pub ties: usize,
    /// The two-sided sign test's p-value: how likely a split at least as
    /// uneven as this one is if neither bundle is faster (ties left out).
    pub sign_p: f64,
}

/// The two-sided sign test: the chance of `k` or fewer, or as many or
/// more, heads in `n` fair coin tosses.
fn sign_test(k: usize, n: usize) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let tail = k.min(n - k);
    // C(n, i) / 2^n, summed for i = 0..=tail; n is small (pairs).
    let mut c = 1.0_f64;
    let mut sum = 0.0;
    for i in 0..=tail {
        if i > 0 {
            c = c * (n + 1 - i) as f64 / i as f64;
        }
        sum += c;
    }
    (2.0 * sum / 2f64.powi(n as i32)).min(1.0)
}

/// The medians of `a` and `b`, and of their pairwise differences; `None`
/// without pairs (the two must be as long as each other).
pub fn paired(a: &[f64], b: &[f64]) -> Option<Paired> {
    if a.is_empty() || a.len() != b.len() {
        return None;
    }
    let diffs: Vec<f64> = a.iter().zip(b).map(|(a, b)| b - a).collect();
    let b_faster = diffs.iter().filter(|d| **d < 0.0).count();
    let untied = diffs.iter().filter(|d| **d != 0.0).count();
    Some(Paired {
        a: median(a)?,
        b: median(b)?,
        b_minus_a: median(&diffs)?,
        b_faster,
        pairs: a.len(),
        ties: a.len() - untied,
        sign_p: sign_test(b_faster, untied),
    })
}

/// One measure: a name, and how to take one sample of it from a base URL.
type Measure = (&'static str, fn(&mut cdp::Cdp, &str) -> Result<f64>);

fn first_row_painted(cdp: &mut cdp::Cdp, base: &str) -> Result<f64> {
    Ok(
        browser::cold_load(cdp, &format!("{base}/jobs?page_size=100"))?
            .0
            .painted,
    )
}

fn render_1000(cdp: &mut cdp::Cdp, base: &str) -> Result<f64> {
    Ok(browser::first_render(cdp, &format!("{base}/jobs?page_size=1000"), 1000)?.render)
}

pub fn run(args: &[String], out: &Path, a_src: &Path, b_src: &Path, parts: &[&str]) -> Result {
    let mut measures: Vec<Measure> = Vec::new();
    if parts.contains(&"first-rows") {
        measures.push((
            "First table row painted, /jobs?page_size=100, cold load (ms)",
            first_row_painted,
        ));
    }
    if parts.contains(&"render") {
        measures.push((
            "1000-row render, response → rows in DOM, each page's first (ms)",
            render_1000,
        ));
    }
    for (flag, path) in [("--dist", a_src), ("--compare", b_src)] {
        let inside = |p: &Path, dir: &Path| match (p.canonicalize(), dir.canonicalize()) {
            (Ok(p), Ok(dir)) => p.starts_with(dir),
            _ => false,
        };
        if inside(path, out) {
            return Err(format!(
                "{flag} {}: that is inside {}, which the comparison rewrites; copy the bundle elsewhere first",
                path.display(),
                out.display()
            ));
        }
    }
    let (dist_a, dist_b) = (out.join("dist"), out.join("dist-compare"));
    prepare_dist(a_src, &dist_a)?;
    prepare_dist(b_src, &dist_b)?;
    let db = out.join("jobs.db");
    remove_db(&db);
    let before = loadavg();
    // A generates the demo jobs; B finds them there and uses them as they
    // are, so both answer with the same data. After start-up (B's
    // `ANALYZE` of the same data) neither writes: auto-refresh is off.
    let server_a = BenchServer::start(&dist_a, &db, 0)?;
    let server_b = BenchServer::start(&dist_b, &db, 0)?;
    let mut cdp = cdp::Cdp::launch(Path::new(setup::CHROMIUM), out)?;
    let mut table = String::from(
        "| measure | A, median | B, median | B − A, median of the pairs | pairs where B was faster | sign test p |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let mut samples = String::new();
    for (what, take) in measures {
        println!("==> {what}: {PAIRS} pairs");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for i in 0..PAIRS {
            // Half the pairs start with B, so neither side always goes
            // first into a machine the other has just warmed or loaded.
            if i % 2 == 0 {
                a.push(take(&mut cdp, &server_a.url)?);
                b.push(take(&mut cdp, &server_b.url)?);
            } else {
                b.push(take(&mut cdp, &server_b.url)?);
                a.push(take(&mut cdp, &server_a.url)?);
            }
        }
        let p = paired(&a, &b).ok_or("no pairs were measured")?;
        let ties = match p.ties {
            0 => String::new(),
            t => format!(" ({t} tied)"),
        };
        let _ = writeln!(
            table,
            "| {what} | {:.1} | {:.1} | {:+.1} | {} of {}{ties} | {:.3} |",
            p.a, p.b, p.b_minus_a, p.b_faster, p.pairs, p.sign_p
        );
        let _ = writeln!(samples, "- {what}: A {}, B {}", list(&a), list(&b));
    }
    let chromium = cdp.version.clone();
    drop(cdp);
    drop(server_b);
    drop(server_a);
    let md = format!(
        "`{}`, {}, commit {}; load average {before} before and {} after; {chromium} headless; loopback.\n\n\
         A: {} (served from {}). B: {} (served from {}). {PAIRS} pairs per measure, alternating A-B and B-A.\n\n\
         {table}\nSamples, in pair order:\n\n{samples}",
        command_line(args),
        first_line(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])).unwrap_or_default(),
        first_line(Command::new("git").args(["rev-parse", "--short", "HEAD"]).current_dir(root()))
            .unwrap_or_default(),
        loadavg(),
        a_src.display(),
        dist_a.display(),
        b_src.display(),
        dist_b.display(),
    );
    let path = out.join("compare.md");
    write(&path, &md)?;
    println!("\n{md}\nwritten: {}", path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_give_medians_and_the_median_difference() {
        // B wins two pairs of three, by 10 and by 2, and loses one by 30:
        // its median difference is a win, whatever its median says.
        let p = paired(&[100.0, 50.0, 70.0], &[90.0, 80.0, 68.0]).unwrap();
        assert_eq!(
            p,
            Paired {
                a: 70.0,
                b: 80.0,
                b_minus_a: -2.0,
                b_faster: 2,
                pairs: 3,
                ties: 0,
                sign_p: 1.0,
            }
        );
    }

    #[test]
    fn the_sign_test_matches_the_binomial_tails() {
        // 2 · (1 + 15 + 105 + 455) / 2^15 for 3 of 15; a 12-of-15 split
        // is the same tail seen from the other side.
        let p = 2.0 * 576.0 / 32768.0;
        assert!((sign_test(3, 15) - p).abs() < 1e-12);
        assert!((sign_test(12, 15) - p).abs() < 1e-12);
        assert_eq!(sign_test(0, 0), 1.0);
        assert_eq!(sign_test(5, 10), 1.0, "an even split says nothing");
        assert!((sign_test(0, 5) - 2.0 / 32.0).abs() < 1e-12);
    }

    #[test]
    fn ties_are_left_out_of_the_sign_test() {
        // Three wins for B, two ties: a 3-of-3 split, p = 2/8.
        let p = paired(&[5.0, 5.0, 9.0, 9.0, 9.0], &[5.0, 5.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!((p.b_faster, p.ties), (3, 2));
        assert!((p.sign_p - 0.25).abs() < 1e-12);
    }

    #[test]
    fn unequal_or_empty_samples_are_not_pairs() {
        assert_eq!(paired(&[], &[]), None);
        assert_eq!(paired(&[1.0, 2.0], &[1.0]), None);
    }
}
