//! `cargo xtask bench`: builds the release app and the server, serves
//! 100,000 demo jobs (fixed seed), measures the app in headless Chromium
//! over the DevTools protocol and the server with a load generator, and
//! writes `target/bench/report.json` and `target/bench/report.md` (goal,
//! measured value, pass/fail per line), printing the table.
//!
//! A figure that misses its goal is a `FAIL` line, not a failed command:
//! the task exits 0 whenever everything could be measured, and non-zero
//! only if some figure could not be taken (its line says `ERROR`).
//!
//! What is measured, and how:
//! 1. The initial load: every asset `index.html` and `boot.js` name
//!    (wasm, JS, CSS), raw and as the server sends it to a client that
//!    says `Accept-Encoding: br, gzip` (body bytes counted, not decoded).
//! 2. First rows: `scale:painted` of `/jobs?page_size=100` (from a timer
//!    set in the rows' frame: they are laid out and painted),
//!    relative to navigation start, over cold loads (a new browser context
//!    each, cache disabled); beside it, as info, `scale:rows` (the rows'
//!    own frame starting), which runs before commit bec68f5 reported, and
//!    the vanilla baseline's cold loads on the app's list URL, one after
//!    each of the app's.
//! 3. 1000 rows: `scale:rows − scale:response` of `/jobs?page_size=1000`
//!    and of `xtask/bench/vanilla.html` (hand-written DOM code, same API
//!    URL, same columns), alternately in the same browser.
//! 4. Sort and page changes on a 100-row table: `(painted − click) −
//!    (response − request)`, i.e. the app's and the browser's time to the
//!    new rows laid out and painted, network excluded; beside them, as
//!    info, the vanilla baseline's page changes measured the same way.
//! 5. Memory: V8 heap in use plus `WebAssembly.Memory` size, after a
//!    forced GC, after 10 and after 200 in-app page changes, with
//!    auto-refresh every second.
//! 6. Request discipline with auto-refresh every second: `/api/` requests
//!    that overlap, and requests while another tab is in front.
//! 7. The server: latency of four list queries with as many clients as
//!    cores, and latency and throughput with 16 clients.
//!
//! Two info lines give the initial load's floor: the smallest app on the
//! same stack (`xtask/bench/floor`), built the same way, with and without
//! one page of data; another gives the 1000-row render in pages that are
//! already warm, next to the budget's first render. Two sections explain
//! the figures rather than judge
//! them: where the
//! wasm's bytes go (per crate and function, from the name section of a
//! names-keeping `wasm-opt` run), and where a 1000-row render's CPU time
//! goes (a sampled profile between the same marks, wasm frames named).
//!
//! `cargo xtask bench [--no-build] [--dist DIR] [PART...]` runs only some
//! parts (`load`, `wasm-size`, `floor`, `first-rows`, `render`,
//! `interactions`, `server`, `profile`, `memory`, `discipline`), without
//! rebuilding, or on
//! another build of the bundle: handy while working on one figure.

mod browser;
pub(crate) mod cdp;
mod compare;
mod floor;
mod http;
mod report;
pub(crate) mod wasm_size;

use crate::proc::{self, command, root};
use crate::tasks::{self, target_dir};
use crate::{setup, Result};
use report::{list, median, percentile, Goal, Line, Report};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

const DEMO_JOBS: u32 = 100_000;
const SEED: u64 = 1;
/// Cold loads for the first-rows median.
const COLD_LOADS: usize = 11;
/// Page loads of each of the app and the baseline for the 1000-row render.
/// Fifteen: with seven, the ratio of the same build moved by 0.1-0.2
/// between runs on a busy two-core machine.
const RENDER_RUNS: usize = 15;
/// Sort clicks and page clicks measured (each after one unmeasured).
const CLICKS: usize = 11;
/// 1000-row page changes measured in one warm page of each of the app
/// and the baseline (each after one unmeasured).
const WARM_RENDERS: usize = 11;
const WARM_WHAT: &str =
    "1000-row page change in a warm page: app ÷ vanilla JS baseline (response → rows in DOM)";
/// In-app navigations after which memory is measured: the goal compares
/// the first and the last; the ones between show the trend.
const MEMORY_CHECKPOINTS: [usize; 5] = [10, 50, 100, 150, 200];
const KIB: f64 = 1024.0;
const MIB: f64 = 1024.0 * 1024.0;

/// The list queries the server is measured on (below `/api/v5`), with the
/// report keys of their latency and throughput lines.
const SERVER_QUERIES: [(&str, &str, &str); 4] = [
    (
        "/jobs/?page_size=100&order=-last_modified",
        "server_page_size_100_p50_ms",
        "server_page_size_100_16_clients_rps",
    ),
    (
        "/jobs/?page_size=1000&order=-last_modified",
        "server_page_size_1000_p50_ms",
        "server_page_size_1000_16_clients_rps",
    ),
    (
        "/jobs/?status=FAILED&page_size=100&order=-last_modified",
        "server_status_filter_p50_ms",
        "server_status_filter_16_clients_rps",
    ),
    (
        "/jobs/?order=-priority&order=-last_modified&page_size=100",
        "server_two_field_order_p50_ms",
        "server_two_field_order_16_clients_rps",
    ),
];

/// wasm-opt as Trunk runs it for `data-wasm-opt="z"`, with the features
/// the app is built with; plus `-g` to keep the names when `names` (see
/// `wasm_size`).
fn wasm_opt_args(names: bool) -> Vec<&'static str> {
    let mut args = vec!["-Oz"];
    if names {
        args.push("-g");
    }
    args.extend_from_slice(crate::split::WASM_FEATURES);
    args
}

/// The parts of the benchmark, in the order they run; `cargo xtask bench
/// PART...` runs only those named.
const PARTS: [&str; 10] = [
    "load",
    "wasm-size",
    "floor",
    "first-rows",
    "render",
    "interactions",
    "server",
    "profile",
    "memory",
    "discipline",
];

/// What the command line asked for.
#[derive(Debug, PartialEq)]
struct Options {
    /// Build the bundle and the server first (`--no-build`: use what is there).
    build: bool,
    /// A bundle built elsewhere to measure instead of `dist/` (`--dist DIR`,
    /// e.g. a variant of the app), not rebuilt.
    dist: Option<PathBuf>,
    /// Another build of the app to measure against it, load for load
    /// (`--compare DIR`; see `compare.rs`).
    compare: Option<PathBuf>,
    parts: Vec<&'static str>,
}

fn parse_args(args: &[String]) -> Result<Options> {
    let usage = || {
        format!(
            "usage: cargo xtask bench [--no-build] [--dist DIR] [{}]...\n   \
             or: cargo xtask bench [--no-build] [--dist DIR] --compare DIR [{}]...",
            PARTS.join("|"),
            compare::PARTS.join("|")
        )
    };
    let mut build = true;
    let mut dist = None;
    let mut compare_with = None;
    let mut parts = Vec::new();
    let mut args = args.iter();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--no-build" => build = false,
            "--dist" => {
                let dir = args
                    .next()
                    .ok_or_else(|| format!("--dist needs a directory; {}", usage()))?;
                dist = Some(PathBuf::from(dir));
            }
            "--compare" => {
                let dir = args
                    .next()
                    .ok_or_else(|| format!("--compare needs a directory; {}", usage()))?;
                compare_with = Some(PathBuf::from(dir));
            }
            name => match PARTS.iter().find(|p| **p == name) {
                Some(p) => parts.push(*p),
                None => return Err(format!("unknown bench argument `{name}`; {}", usage())),
            },
        }
    }
    if compare_with.is_some() {
        if let Some(p) = parts.iter().find(|p| !compare::PARTS.contains(p)) {
            return Err(format!(
                "--compare measures {} only, not `{p}`; {}",
                compare::PARTS.join(" and "),
                usage()
            ));
        }
        if parts.is_empty() {
            parts = compare::PARTS.to_vec();
        }
    }
    if parts.is_empty() {
        parts = PARTS.to_vec();
    }
    Ok(Options {
        build,
        dist,
        compare: compare_with,
        parts,
    })
}

pub fn run(args: &[String]) -> Result {
    let started = Instant::now();
    let opts = parse_args(args)?;
    let wants = |part: &str| opts.parts.contains(&part);
    let out = target_dir().join("bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let _lock = BenchLock::take(&out)?;
    if opts.build {
        setup::run()?;
        if opts.dist.is_none() {
            tasks::build_dist()?;
        }
    }
    if let Some(other) = &opts.compare {
        if opts.build {
            tasks::build_server()?;
        }
        let own = opts.dist.clone().unwrap_or_else(tasks::dist_dir);
        return compare::run(args, &out, &own, other, &opts.parts);
    }
    let dist = out.join("dist");
    prepare_dist(opts.dist.as_deref().unwrap_or(&tasks::dist_dir()), &dist)?;
    let _ = std::fs::remove_file(out.join("app-with-names.wasm"));
    let mut report = Report::default();
    // Right after the build, before anyone else's build replaces
    // wasm-bindgen's output in the shared target directory.
    if wants("wasm-size") {
        println!("==> wasm size breakdown");
        match wasm_breakdown(&dist, &out) {
            Ok((md, json)) => {
                report.sections.push((
                    "Where the wasm's bytes go (name section of a `wasm-opt -Oz -g` build)".into(),
                    md,
                ));
                report.detail("wasm_size", json);
            }
            Err(e) => {
                eprintln!("xtask: wasm size breakdown: {e}");
                report.detail("wasm_size", json!({ "error": e }));
            }
        }
    }
    if wants("floor") {
        println!("==> initial-load floor: the stack's smallest app (xtask/bench/floor)");
        floor_lines(&mut report);
    }
    if opts.build {
        tasks::build_server()?;
    }
    let db = out.join("jobs.db");
    remove_db(&db);

    let load_before = loadavg();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chromium = Path::new(setup::CHROMIUM);

    let first_half = ["load", "first-rows", "render", "interactions", "server"];
    if first_half.iter().any(|p| wants(p)) {
        println!();
        println!("==> bench: server with {DEMO_JOBS} demo jobs (seed {SEED}), auto-refresh off");
        let server = BenchServer::start(&dist, &db, 0)?;
        let base = server.url.clone();
        if wants("load") {
            println!("==> 1. initial load");
            initial_load(&mut report, &base, &dist);
        }
        if ["first-rows", "render", "interactions"]
            .iter()
            .any(|p| wants(p))
        {
            match cdp::Cdp::launch(chromium, &out) {
                Ok(mut cdp) => {
                    report.detail("chromium", json!(cdp.version));
                    if wants("first-rows") {
                        println!("==> 2. first rows ({COLD_LOADS} cold loads)");
                        first_rows(&mut report, &mut cdp, &base);
                    }
                    if wants("render") {
                        println!(
                            "==> 3. 1000 rows: app and vanilla baseline ({RENDER_RUNS} loads each)"
                        );
                        match render_1000(&mut report, &mut cdp, &base) {
                            Some(api_url) => {
                                render_1000_warm(&mut report, &mut cdp, &base, &api_url)
                            }
                            None => report.push(failed(
                                "render_1000_warm_ratio",
                                WARM_WHAT,
                                Goal::None,
                                "x",
                                "the first renders, which find the API URL, were not measured",
                            )),
                        }
                    }
                    if wants("interactions") {
                        println!("==> 4. sort and page changes ({CLICKS} clicks each)");
                        sort_and_page(&mut report, &mut cdp, &base);
                    }
                }
                Err(e) => {
                    let lines = [
                        (
                            "first-rows",
                            "first_rows_painted_ms",
                            FIRST_ROWS_WHAT,
                            Goal::AtMost(300.0),
                            "ms",
                        ),
                        (
                            "first-rows",
                            "first_rows_ms",
                            FIRST_ROWS_FRAME_WHAT,
                            Goal::None,
                            "ms",
                        ),
                        (
                            "first-rows",
                            "first_rows_all_painted_ms",
                            FIRST_ROWS_ALL_WHAT,
                            Goal::None,
                            "ms",
                        ),
                        (
                            "first-rows",
                            "first_rows_vanilla_painted_ms",
                            FIRST_ROWS_VANILLA_WHAT,
                            Goal::None,
                            "ms",
                        ),
                        (
                            "render",
                            "render_1000_ratio",
                            "1000-row render",
                            Goal::AtMost(1.3),
                            "x",
                        ),
                        (
                            "render",
                            "render_1000_warm_ratio",
                            WARM_WHAT,
                            Goal::None,
                            "x",
                        ),
                        (
                            "interactions",
                            "sort_change_painted_ms",
                            SORT_WHAT,
                            Goal::AtMost(50.0),
                            "ms",
                        ),
                        (
                            "interactions",
                            "page_change_painted_ms",
                            PAGE_WHAT,
                            Goal::AtMost(50.0),
                            "ms",
                        ),
                        (
                            "interactions",
                            "page_change_vanilla_painted_ms",
                            PAGE_VANILLA_WHAT,
                            Goal::None,
                            "ms",
                        ),
                    ];
                    for (part, key, what, goal, unit) in lines {
                        if wants(part) {
                            report.push(failed(key, what, goal, unit, &e));
                        }
                    }
                }
            }
        }
        if wants("server") {
            println!("==> 7. server: list queries over {DEMO_JOBS} jobs");
            server_load(&mut report, &base, cores);
        }
    }

    if wants("profile") {
        println!();
        println!("==> bench: where a 1000-row render's time goes (CPU profile, wasm with names)");
        match profile(&dist, &out, &db, chromium) {
            Ok((md, json)) => {
                report.sections.push((
                    "Where a 1000-row render's CPU time goes (sampled profile)".into(),
                    md,
                ));
                report.detail("render_profile", json);
            }
            Err(e) => {
                eprintln!("xtask: profile: {e}");
                report.detail("render_profile", json!({ "error": e }));
            }
        }
    }

    if wants("memory") || wants("discipline") {
        println!();
        println!("==> bench: the same data, auto-refresh every second");
        let server = BenchServer::start(&dist, &db, 1)?;
        let base = server.url.clone();
        match cdp::Cdp::launch(chromium, &out) {
            Ok(mut cdp) => {
                report.detail("chromium", json!(cdp.version));
                if wants("memory") {
                    println!("==> 5. memory over {MEMORY_CHECKPOINTS:?} page changes");
                    memory(&mut report, &mut cdp, &base);
                }
                if wants("discipline") {
                    println!("==> 6. request discipline");
                    discipline(&mut report, &mut cdp, &base);
                }
            }
            Err(e) => {
                let lines = [
                    (
                        "memory",
                        "memory_growth_pct",
                        "Memory growth",
                        Goal::AtMost(10.0),
                        "%",
                    ),
                    (
                        "discipline",
                        "overlapping_requests",
                        "Overlapping requests",
                        Goal::AtMost(0.0),
                        "",
                    ),
                    (
                        "discipline",
                        "hidden_requests",
                        "Requests while hidden",
                        Goal::AtMost(0.0),
                        "",
                    ),
                ];
                for (part, key, what, goal, unit) in lines {
                    if wants(part) {
                        report.push(failed(key, what, goal, unit, &e));
                    }
                }
            }
        }
    }
    remove_db(&db);

    let minutes = started.elapsed().as_secs_f64() / 60.0;
    report.detail(
        "run",
        json!({
            "command": command_line(args),
            "built": opts.build,
            "bundle": opts.dist.as_ref().map_or_else(|| "dist/".to_owned(), |d| d.display().to_string()),
            "parts": opts.parts,
            "date": first_line(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])),
            "commit": first_line(Command::new("git").args(["rev-parse", "--short", "HEAD"]).current_dir(root())),
            "uncommitted_changes": first_line(Command::new("git").args(["status", "--porcelain"]).current_dir(root())).is_some(),
            "cores": cores,
            "loadavg_before": load_before,
            "loadavg_after": loadavg(),
            "demo_jobs": DEMO_JOBS,
            "seed": SEED,
            "minutes": minutes,
        }),
    );
    let header = header(&report);
    let md = report.to_markdown(&header);
    let json_text = serde_json::to_string_pretty(&report.to_json()).expect("JSON values serialize");
    write(&out.join("report.json"), &json_text)?;
    write(&out.join("report.md"), &md)?;

    println!();
    println!("{header}");
    println!();
    print!("{}", report.table());
    println!();
    println!(
        "written: {} and {} ({minutes:.1} min)",
        shown(&out.join("report.md")),
        shown(&out.join("report.json"))
    );
    if report.has_errors() {
        return Err("some figures could not be measured (ERROR lines above)".into());
    }
    Ok(())
}

fn header(report: &Report) -> String {
    let run = report.details.get("run").cloned().unwrap_or(Value::Null);
    let chromium = report
        .details
        .get("chromium")
        .and_then(Value::as_str)
        .unwrap_or("?");
    format!(
        "`{command}`, {date}, commit {commit}{dirty}{built}; {cores} cores, load average {before} before and {after} after; \
         {chromium} headless; {jobs} demo jobs, seed {seed}; loopback.",
        command = run["command"].as_str().unwrap_or("cargo xtask bench"),
        built = match (run["built"] == false, run["bundle"].as_str()) {
            (_, Some(b)) if b != "dist/" => format!(", bundle {b}"),
            (true, _) => ", without rebuilding".to_owned(),
            _ => String::new(),
        },
        date = run["date"].as_str().unwrap_or("?"),
        commit = run["commit"].as_str().unwrap_or("?"),
        dirty = if run["uncommitted_changes"] == true { " (with uncommitted changes)" } else { "" },
        cores = run["cores"],
        before = run["loadavg_before"].as_str().unwrap_or("?"),
        after = run["loadavg_after"].as_str().unwrap_or("?"),
        jobs = DEMO_JOBS,
        seed = SEED,
    )
}

fn command_line(args: &[String]) -> String {
    let mut c = String::from("cargo xtask bench");
    for a in args {
        c.push(' ');
        c.push_str(a);
    }
    c
}

fn remove_db(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

fn shown(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn write(path: &Path, text: &str) -> Result {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn first_line(cmd: &mut Command) -> Option<String> {
    proc::first_line(cmd).filter(|l| !l.is_empty())
}

/// The 1-, 5- and 15-minute load averages: the machine is shared, and
/// the figures mean more next to them.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// The floor app's two builds, as info lines beside the load budget.
fn floor_lines(report: &mut Report) {
    let builds = [
        (
            "",
            "floor_router_kib",
            "Initial load floor: Leptos and its router, two pages, no data (wasm + JS as sent, br)",
        ),
        (
            "fetch",
            "floor_fetch_kib",
            "Initial load floor: the same, one page of jobs read with gloo-net, serde and chrono",
        ),
    ];
    for (features, key, what) in builds {
        match floor::measure(features) {
            Ok(f) => report.push(line(
                key,
                what,
                Goal::None,
                f.sent() as f64 / KIB,
                "KiB",
                format!(
                    "`xtask/bench/floor`{}, built as the console is (its release profile, \
                     `--cfg erase_components`, wasm-bindgen, `wasm-opt -Oz`, brotli 11): \
                     wasm {:.1} KiB of {:.1} KiB raw, JS {:.1} KiB of {:.1} KiB. What a \
                     budget leaves for the console's own pages, models and queries is the \
                     budget less this",
                    if f.features.is_empty() {
                        String::new()
                    } else {
                        format!(" with `--features {}`", f.features)
                    },
                    f.wasm_br as f64 / KIB,
                    f.wasm_raw as f64 / KIB,
                    f.js_br as f64 / KIB,
                    f.js_raw as f64 / KIB,
                ),
            )),
            Err(e) => report.push(failed(key, what, Goal::None, "KiB", &e)),
        }
    }
}

/// A line for a figure that could not be taken.
fn failed(key: &'static str, what: &str, goal: Goal, unit: &'static str, error: &str) -> Line {
    eprintln!("xtask: {what}: {error}");
    Line {
        key,
        what: what.to_owned(),
        goal,
        value: None,
        unit,
        note: format!("not measured: {error}"),
        shown: None,
    }
}

fn line(
    key: &'static str,
    what: &str,
    goal: Goal,
    value: f64,
    unit: &'static str,
    note: String,
) -> Line {
    Line {
        key,
        what: what.to_owned(),
        goal,
        value: Some(value),
        unit,
        note,
        shown: None,
    }
}

// ---------------------------------------------------------------------------
// The bundle and the server
// ---------------------------------------------------------------------------

/// A copy of the built bundle plus the vanilla baseline page. The server
/// serves one directory; the copy also keeps the run apart from a rebuild
/// of `dist/` by someone else meanwhile.
fn prepare_dist(from: &Path, to: &Path) -> Result {
    // `--dist target/bench/dist` would be deleted before it is copied.
    if let (Ok(f), Ok(t)) = (from.canonicalize(), to.canonicalize()) {
        if f.starts_with(&t) {
            return Err(format!(
                "{} is the bench's own copy of a bundle, which it deletes first; copy it elsewhere",
                from.display()
            ));
        }
    }
    let _ = std::fs::remove_dir_all(to);
    copy_dir(from, to)
        .map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))?;
    let bench = root().join("xtask/bench");
    // The app's stylesheets, so both tables get the same CSS.
    let styles: Vec<String> = http::initial_assets(from)?
        .into_iter()
        .filter(|(_, kind)| *kind == "css")
        .map(|(path, _)| format!("<link rel=\"stylesheet\" href=\"{path}\" />"))
        .collect();
    let vanilla = std::fs::read_to_string(bench.join("vanilla.html"))
        .map_err(|e| format!("cannot read xtask/bench/vanilla.html: {e}"))?
        .replace("<!-- STYLES -->", &styles.join("\n    "));
    write(&to.join("vanilla.html"), &vanilla)?;
    std::fs::copy(bench.join("vanilla.js"), to.join("vanilla.js"))
        .map_err(|e| format!("cannot copy xtask/bench/vanilla.js: {e}"))?;
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The development server on a free loopback port; killed when dropped.
pub(crate) struct BenchServer {
    child: Child,
    pub(crate) url: String,
}

impl BenchServer {
    /// Starts it on `db` (generating the demo jobs if the file is new) and
    /// waits for its `listening on http://...` line.
    pub(crate) fn start(dist: &Path, db: &Path, refresh_seconds: u32) -> Result<BenchServer> {
        BenchServer::start_with(dist, db, refresh_seconds, DEMO_JOBS)
    }

    /// [`BenchServer::start`] with `demo_jobs` jobs in a new database.
    pub(crate) fn start_with(
        dist: &Path,
        db: &Path,
        refresh_seconds: u32,
        demo_jobs: u32,
    ) -> Result<BenchServer> {
        let bin = tasks::server_bin();
        let mut cmd = command(&bin);
        cmd.args(["--addr", "127.0.0.1:0", "--dist"])
            .arg(dist)
            .arg("--db")
            .arg(db)
            .args(["--demo-jobs", &demo_jobs.to_string()])
            .args(["--seed", &SEED.to_string()])
            .args(["--refresh-seconds", &refresh_seconds.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        println!("$ {}", proc::display(&cmd));
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let (tx, rx) = mpsc::channel();
        let listening = Arc::new(AtomicBool::new(false));
        // Failure lines shown so far, from either stream.
        let failures = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            let listening = Arc::clone(&listening);
            let failures = Arc::clone(&failures);
            // Its start-up lines are shown, and its first few accounts of
            // a failed request (`internal error: ...`, or a panic and the
            // line after it, which holds the message); its request log is
            // not. Every line is read, so the pipe never fills, and a line
            // that is not UTF-8 does not stop the reading.
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                let mut buf = Vec::new();
                let mut after_panic = false;
                loop {
                    buf.clear();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    let text = String::from_utf8_lossy(&buf);
                    let l = text.trim_end();
                    if let Some(url) = listening_url(l) {
                        println!("  server: {l}");
                        listening.store(true, Ordering::Relaxed);
                        let _ = tx.send(url);
                    } else if !listening.load(Ordering::Relaxed) {
                        println!("  server: {l}");
                    } else if l.contains("internal error") || l.contains("panicked") || after_panic
                    {
                        if failures.fetch_add(1, Ordering::Relaxed) < SERVER_FAILURES_SHOWN {
                            println!("  server: {l}");
                        }
                        after_panic = !after_panic && l.contains("panicked");
                    }
                }
            });
        }
        let mut server = BenchServer {
            child,
            url: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Ok(url) = rx.recv_timeout(Duration::from_millis(200)) {
                server.url = url;
                return Ok(server);
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("the server exited ({status}) before listening"));
            }
            if Instant::now() > deadline {
                return Err("the server did not start listening within 300 s".into());
            }
        }
    }
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `http://127.0.0.1:PORT` from a line containing `listening on http://...`.
fn listening_url(line: &str) -> Option<String> {
    let at = line.find("listening on http://")? + "listening on ".len();
    let rest = &line[at..];
    let end = rest[7..]
        .find(|c: char| c == '/' || c.is_whitespace())
        .map_or(rest.len(), |i| i + 7);
    Some(rest[..end].to_owned())
}

// ---------------------------------------------------------------------------
// The measurements
// ---------------------------------------------------------------------------

/// What a portal page loads for its widgets (their own bundle), beside the
/// console's initial load: information, no goal.
fn widget_load(report: &mut Report, base: &str, dist: &Path) {
    let what = "Portal widgets: embed.js + the widgets' JS + wasm as sent (info)";
    match http::widget_assets(dist).and_then(|l| http::measure_assets(base, dist, l)) {
        Ok(assets) => {
            let wasm: u64 = assets
                .iter()
                .filter(|a| a.kind == "wasm")
                .map(|a| a.sent)
                .sum();
            let all: u64 = assets.iter().map(|a| a.sent).sum();
            let mut l = line(
                "widget_load_sent_kib",
                what,
                Goal::None,
                all as f64 / KIB,
                "KiB",
                format!(
                    "the files `embed.js` names, fetched with `Accept-Encoding: br, gzip`: {}",
                    assets
                        .iter()
                        .map(|a| format!(
                            "`{}` {} B raw, {} B sent ({})",
                            a.path, a.raw, a.sent, a.sent_encoding
                        ))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            );
            l.shown = Some(format!(
                "{:.0} KiB (wasm {:.1} KiB)",
                all as f64 / KIB,
                wasm as f64 / KIB
            ));
            report.push(l);
        }
        Err(e) => report.push(failed("widget_load_sent_kib", what, Goal::None, "KiB", &e)),
    }
}

/// The second part of the console's wasm, fetched once a list page's rows
/// are painted (xtask/src/split.rs): information, no goal.
fn rest_load(report: &mut Report, base: &str, dist: &Path) {
    let what = "The rest of the console's wasm, fetched after a list page's rows are painted, as sent (info)";
    let measured = http::rest_asset(dist).and_then(|rest| match rest {
        Some(a) => http::measure_assets(base, dist, vec![a]).map(Some),
        None => Ok(None),
    });
    match measured {
        Ok(Some(assets)) => {
            let a = &assets[0];
            report.push(line(
                "rest_load_sent_kib",
                what,
                Goal::None,
                a.sent as f64 / KIB,
                "KiB",
                format!(
                    "`{}` {} B raw, {} B sent ({}): the functions a cold load of the list pages did not run \
                     (`cargo xtask dist` splits the wasm by a profile of those loads)",
                    a.path, a.raw, a.sent, a.sent_encoding
                ),
            ));
        }
        Ok(None) => {}
        Err(e) => report.push(failed("rest_load_sent_kib", what, Goal::None, "KiB", &e)),
    }
}

fn initial_load(report: &mut Report, base: &str, dist: &Path) {
    let what = "Initial load: wasm + JS + CSS as sent (Accept-Encoding: br, gzip)";
    let assets = match http::initial_assets(dist).and_then(|l| http::measure_assets(base, dist, l))
    {
        Ok(a) => a,
        Err(e) => {
            report.push(failed(
                "initial_load_sent_kib",
                what,
                Goal::AtMost(180.0),
                "KiB",
                &e,
            ));
            return;
        }
    };
    let sum = |f: &dyn Fn(&http::Asset) -> u64| assets.iter().map(f).sum::<u64>() as f64 / KIB;
    let per_asset: Vec<String> = assets
        .iter()
        .map(|a| {
            format!(
                "`{}` {} B raw, {} B sent ({}), {} B gzip",
                a.path, a.raw, a.sent, a.sent_encoding, a.gzip
            )
        })
        .collect();
    let kind = |k: &str, f: &dyn Fn(&http::Asset) -> u64| {
        assets.iter().filter(|a| a.kind == k).map(f).sum::<u64>() as f64 / KIB
    };
    report.push(line(
        "initial_load_sent_kib",
        what,
        Goal::AtMost(180.0),
        sum(&|a| a.sent),
        "KiB",
        format!(
            "each asset fetched from the server with `Accept-Encoding: br, gzip`, body bytes counted: {}",
            per_asset.join("; ")
        ),
    ));
    let mut raw = line(
        "initial_load_raw_kib",
        "Initial load: wasm / JS / CSS raw",
        Goal::None,
        sum(&|a| a.raw),
        "KiB",
        "file sizes in the built bundle".into(),
    );
    raw.shown = Some(format!(
        "{:.0} / {:.1} / {:.1} KiB ({:.0} KiB)",
        kind("wasm", &|a| a.raw),
        kind("js", &|a| a.raw),
        kind("css", &|a| a.raw),
        sum(&|a| a.raw)
    ));
    report.push(raw);
    let mut sent = line(
        "initial_load_sent_split_kib",
        "Initial load: wasm / JS / CSS as sent (br)",
        Goal::None,
        kind("wasm", &|a| a.sent),
        "KiB",
        "the first line, split by kind".into(),
    );
    sent.shown = Some(format!(
        "{:.1} / {:.1} / {:.1} KiB",
        kind("wasm", &|a| a.sent),
        kind("js", &|a| a.sent),
        kind("css", &|a| a.sent)
    ));
    report.push(sent);
    report.push(line(
        "initial_load_gzip_kib",
        "Initial load: wasm + JS + CSS as sent to a gzip-only client",
        Goal::None,
        sum(&|a| a.gzip),
        "KiB",
        "the same requests with `Accept-Encoding: gzip`".into(),
    ));
    rest_load(report, base, dist);
    widget_load(report, base, dist);
    report.detail(
        "initial_load_assets",
        json!(assets
            .iter()
            .map(|a| json!({
                "path": a.path, "kind": a.kind, "raw_bytes": a.raw,
                "sent_bytes": a.sent, "sent_encoding": a.sent_encoding, "gzip_bytes": a.gzip,
            }))
            .collect::<Vec<_>>()),
    );
}

/// Sizes per crate and function from a names-keeping build of the wasm.
/// wasm-bindgen's output run through wasm-opt as Trunk does, but keeping
/// the name section: `target/bench/app-with-names.wasm`.
fn wasm_with_names(out: &Path) -> Result<PathBuf> {
    let named = out.join("app-with-names.wasm");
    if named.is_file() {
        return Ok(named);
    }
    let bindgen = target_dir().join("wasm-bindgen/release/scale-jobs-app_bg.wasm");
    let wasm_opt = proc::node_bin_dir().join("wasm-opt");
    let mut cmd = command(&wasm_opt);
    cmd.args(wasm_opt_args(true))
        .arg(&bindgen)
        .arg("-o")
        .arg(&named);
    proc::run(&mut cmd)?;
    Ok(named)
}

fn shipped_wasm(dist: &Path) -> Result<PathBuf> {
    std::fs::read_dir(dist)
        .map_err(|e| format!("cannot list {}: {e}", dist.display()))?
        .flatten()
        .map(|e| e.path())
        // The console's, not the portal widgets' (scale-jobs-embed-*).
        .find(|p| {
            p.extension().is_some_and(|x| x == "wasm")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("scale-jobs-app-") && n.ends_with("_bg.wasm"))
        })
        .ok_or_else(|| format!("no scale-jobs-app-*_bg.wasm in {}", dist.display()))
}

/// The console's wasm as one module: the shipped one, or for a split
/// bundle the module `cargo xtask dist` split (kept in target/split).
fn whole_wasm(dist: &Path) -> Result<PathBuf> {
    if http::rest_asset(dist)?.is_none() {
        return shipped_wasm(dist);
    }
    let kept = target_dir().join("split/unsplit.wasm");
    if kept.is_file() {
        Ok(kept)
    } else {
        Err(format!(
            "{} is split, and {} (the module before the split) is missing: run `cargo xtask dist`",
            dist.display(),
            kept.display()
        ))
    }
}

fn wasm_breakdown(dist: &Path, out: &Path) -> Result<(String, Value)> {
    let named = wasm_with_names(out)?;
    let bytes =
        std::fs::read(&named).map_err(|e| format!("cannot read {}: {e}", named.display()))?;
    let breakdown = wasm_size::analyze(&bytes)?;
    let shipped_path = whole_wasm(dist)?;
    let shipped = wasm_size::analyze(
        &std::fs::read(&shipped_path).map_err(|e| format!("{}: {e}", shipped_path.display()))?,
    )?;
    let same = shipped.section("code") == breakdown.section("code")
        && shipped.section("data") == breakdown.section("data");
    let mut md = String::new();
    md.push_str(if same {
        "The code and data sections equal the shipped wasm's, byte counts for byte counts.\n\n"
    } else {
        "Note: this build's code or data section differs in size from the shipped wasm's, so the figures are approximate.\n\n"
    });
    md.push_str(&breakdown.markdown(25));
    let crates: Vec<Value> = breakdown
        .by_crate()
        .into_iter()
        .take(40)
        .map(|(c, s, n)| json!({ "crate": c, "code_bytes": s, "functions": n }))
        .collect();
    let json = json!({
        "matches_shipped": same,
        "module_bytes": breakdown.total,
        "shipped_module_bytes": shipped.total,
        "code_bytes": breakdown.section("code"),
        "data_bytes": breakdown.section("data"),
        "by_crate": crates,
        "by_theme": breakdown.by_theme().into_iter().map(|(t, s)| json!({ "theme": t, "code_bytes": s })).collect::<Vec<_>>(),
        "largest_functions": breakdown.largest(40).into_iter().map(|(s, n)| json!({ "name": n, "bytes": s })).collect::<Vec<_>>(),
    });
    Ok((md, json))
}

/// Serves a copy of the bundle whose wasm keeps its names and profiles a
/// 1000-row render in it. The names build has the same code (the size
/// breakdown checks); only the preload's integrity hash no longer matches,
/// which costs a second download, outside the profiled window. A split
/// bundle is served whole: boot.js is told there is no second part.
fn profile(dist: &Path, out: &Path, db: &Path, chromium: &Path) -> Result<(String, Value)> {
    let named = wasm_with_names(out)?;
    let profile_dist = out.join("dist-profile");
    let _ = std::fs::remove_dir_all(&profile_dist);
    copy_dir(dist, &profile_dist).map_err(|e| format!("copying the bundle: {e}"))?;
    let whole = whole_wasm(dist)?;
    if let Some((rest, _)) = http::rest_asset(&profile_dist)? {
        let boot_path = profile_dist.join("boot.js");
        let boot = std::fs::read_to_string(&boot_path)
            .map_err(|e| format!("{}: {e}", boot_path.display()))?;
        let boot = boot.replace(
            &format!("\"{}\"", rest.trim_start_matches('/')),
            &format!("\"{}\"", crate::split::SPLIT_NAME_SLOT),
        );
        std::fs::write(&boot_path, boot).map_err(|e| format!("{}: {e}", boot_path.display()))?;
    }
    let wasm = shipped_wasm(&profile_dist)?;
    let sizes = |path: &Path| -> Result<(usize, usize)> {
        let b = wasm_size::analyze(
            &std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?,
        )?;
        Ok((b.section("code"), b.section("data")))
    };
    if sizes(&named)? != sizes(&whole)? {
        return Err(format!(
            "{} is not the shipped wasm plus names (was target/wasm-bindgen rebuilt by another build meanwhile?); run the bench again",
            shown(&named)
        ));
    }
    std::fs::copy(&named, &wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let server = BenchServer::start(&profile_dist, db, 0)?;
    let mut cdp = cdp::Cdp::launch(chromium, out)?;
    let p = browser::profile_1000(&mut cdp, &server.url)?;
    drop(cdp);
    drop(server);
    let mut by_group: std::collections::BTreeMap<String, f64> = Default::default();
    for (ms, name, kind) in &p.functions {
        let group = match *kind {
            "wasm" => format!("wasm: {}", wasm_size::crate_of(name)),
            "js" => "JavaScript (wasm-bindgen glue, boot)".to_owned(),
            _ => name.clone(),
        };
        *by_group.entry(group).or_default() += ms;
    }
    let mut groups: Vec<(String, f64)> = by_group.into_iter().collect();
    groups.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut md = format!(
        "A cold load of `/jobs?page_size=1000`: CPU samples every {} µs from `scale:response` \
         to `scale:rows` (the window of the 1000-row figure, taken with `console.profile`), self time, idle excluded: \
         {:.0} ms in all, and {:.0} ms idle. `(program)` is the browser's native work outside JavaScript and wasm; DOM calls show by name.\n\n\
         | where (wasm: crate of the function) | self ms | share |\n| --- | ---: | ---: |\n",
        p.interval_us, p.total_ms, p.idle_ms
    );
    for (group, ms) in groups.iter().take(15) {
        let _ = writeln!(
            md,
            "| {group} | {ms:.1} | {:.1} % |",
            100.0 * ms / p.total_ms.max(1e-9)
        );
    }
    md.push_str("\n| function | kind | self ms |\n| --- | --- | ---: |\n");
    for (ms, name, kind) in p.functions.iter().take(25) {
        let name: String = name.replace('|', "\\|").chars().take(110).collect();
        let _ = writeln!(md, "| `{name}` | {kind} | {ms:.1} |");
    }
    let json = json!({
        "interval_us": p.interval_us,
        "total_ms": p.total_ms,
        "idle_ms": p.idle_ms,
        "groups": groups.iter().map(|(g, ms)| json!({ "group": g, "self_ms": ms })).collect::<Vec<_>>(),
        "functions": p.functions.iter().take(60).map(|(ms, n, k)| json!({ "name": n, "kind": k, "self_ms": ms })).collect::<Vec<_>>(),
    });
    Ok((md, json))
}

// The first-rows, sort and page lines' names say "median of 11".
const _: () = assert!(COLD_LOADS == 11 && CLICKS == 11);

const SORT_WHAT: &str =
    "Sort change (Priority header), 100 rows, click to rows painted, network excluded (median of 11)";
const PAGE_WHAT: &str =
    "Page change (Next page), 100 rows, click to rows painted, network excluded (median of 11)";

const PAGE_VANILLA_WHAT: &str =
    "Page change, 100 rows, in the vanilla JS baseline: render call to rows painted, network excluded (info, median of 11)";

const FIRST_ROWS_ALL_WHAT: &str =
    "Every row of that first page painted, /jobs?page_size=100, cold load (info, median of 11)";
const FIRST_ROWS_VANILLA_WHAT: &str =
    "First table row painted, vanilla JS baseline on the same API URL, cold load (info, median of 11)";

/// What the first-rows budget line measures.
const FIRST_ROWS_WHAT: &str =
    "First table row painted, /jobs?page_size=100, cold load (median of 11)";
/// The info line beside it: the measure runs before commit bec68f5 reported.
const FIRST_ROWS_FRAME_WHAT: &str =
    "First table rows in the DOM, their frame starting, /jobs?page_size=100, cold load (median of 11)";

fn first_rows(report: &mut Report, cdp: &mut cdp::Cdp, base: &str) {
    match browser::cold_loads(cdp, base, &format!("{base}/jobs?page_size=100"), COLD_LOADS) {
        Ok((loads, vanilla)) => {
            let m =
                |f: fn(&browser::ColdLoad) -> f64| browser::median_known(&loads, f).unwrap_or(-1.0);
            let painted: Vec<f64> = loads.iter().map(|l| l.painted).collect();
            let rows: Vec<f64> = loads.iter().map(|l| l.first_rows).collect();
            let frames: Vec<f64> = loads.iter().map(|l| l.painted - l.first_rows).collect();
            report.push(line(
                "first_rows_painted_ms",
                FIRST_ROWS_WHAT,
                Goal::AtMost(300.0),
                m(|l| l.painted),
                "ms",
                format!(
                    "`performance.getEntriesByName('scale:painted')[0].startTime`: the app marks it from a timer set in the animation \
                     frame its first rows go into, which fires once the browser has laid that frame out and painted it (the main \
                     thread's part; the pixels follow). Each load in a new browser context with the cache disabled; samples {}. \
                     Medians of the steps before it: \
                     wasm downloaded {:.0} ms, app started (`scale:start`) {:.0} ms, config.json requested {:.0} ms and received {:.0} ms, \
                     list request started {:.0} ms, its answer in (resource timing) {:.0} ms and read by the app {:.0} ms, \
                     JSON decoded {:.0} ms, \
                     rows in the DOM and their frame starting (`scale:rows`) {:.0} ms; first contentful paint (on screen) {:.0} ms. \
                     Each load's `scale:painted − scale:rows`: median {:.0} ms, samples {}",
                    list(&painted),
                    m(|l| l.wasm_loaded),
                    m(|l| l.started),
                    m(|l| l.config_start),
                    m(|l| l.config_end),
                    m(|l| l.request),
                    m(|l| l.list_end),
                    m(|l| l.response),
                    m(|l| l.decoded),
                    m(|l| l.first_rows),
                    m(|l| l.first_contentful_paint),
                    median(&frames).unwrap_or(-1.0),
                    list(&frames),
                ),
            ));
            report.push(line(
                "first_rows_ms",
                FIRST_ROWS_FRAME_WHAT,
                Goal::None,
                m(|l| l.first_rows),
                "ms",
                format!(
                    "`performance.getEntriesByName('scale:rows')[0].startTime` of the same loads: the animation frame the \
                     first rows go into, before it lays them out; what earlier runs called first rows painted. Samples {}",
                    list(&rows),
                ),
            ));
            // The split (xtask/src/split.rs) must not cost the first rows:
            // the second part comes after them, and nothing waits for it.
            let early = loads
                .iter()
                // boot.js waits for every row painted (`scale:all-painted`
                // when the app held rows back, else `scale:painted`).
                .filter(|l| {
                    let rows = if l.all_painted >= 0.0 {
                        l.all_painted
                    } else {
                        l.painted
                    };
                    l.rest_requested >= 0.0 && l.rest_requested < rows
                })
                .count();
            let sync = loads.iter().filter(|l| l.rest_sync).count();
            let rest_at: Vec<f64> = loads.iter().map(|l| l.rest_requested).collect();
            let mut rest_line = line(
                "first_rows_rest_early",
                "Loads in which the rest of the split wasm was asked for before every row was painted, or loaded on the spot (info)",
                Goal::None,
                (early + sync) as f64,
                "loads",
                format!(
                    "the same loads: requested before every row was painted in {early}, loaded synchronously because a moved \
                     function was called before it was in (`scale:rest-sync`) in {sync}; requested at (ms, -1: not \
                     during the load) {}",
                    list(&rest_at),
                ),
            );
            rest_line.shown = Some(format!("{} of {}", early + sync, loads.len()));
            report.push(rest_line);
            let all: Vec<f64> = loads.iter().map(|l| l.all_painted).collect();
            report.push(line(
                "first_rows_all_painted_ms",
                FIRST_ROWS_ALL_WHAT,
                Goal::None,
                m(|l| l.all_painted),
                "ms",
                format!(
                    "the same loads: the app lays out only the rows that can be on screen (35 in the bench's 1000 px \
                     window) in the frame that paints the first ones, and the rest in the next frame, whose painting it \
                     marks `scale:all-painted`; all 100 rows are in the DOM from the first frame on (`hold_back_rows` in app/src/pages/list.rs). \
                     Samples {}",
                    list(&all),
                ),
            ));
            match &vanilla {
                Ok(vanilla) => {
                    let vanilla_painted: Vec<f64> = vanilla.iter().map(|l| l.painted).collect();
                    let vm = |f: fn(&browser::ColdLoad) -> f64| {
                        browser::median_known(vanilla, f).unwrap_or(-1.0)
                    };
                    report.push(line(
                        "first_rows_vanilla_painted_ms",
                        FIRST_ROWS_VANILLA_WHAT,
                        Goal::None,
                        vm(|l| l.painted),
                        "ms",
                        format!(
                            "xtask/bench/vanilla.html on the API URL the app's first load fetched, each load right after one \
                             of the app's (so the app's loads alternate with these since commit 3527955), measured the same \
                             way: a page with the same stylesheet and table but no wasm, header, filters or pager, so a floor \
                             for the machine rather than a like-for-like rival; samples {}. Medians: list request started \
                             {:.0} ms, answer in (resource timing) {:.0} ms, rows' frame starting {:.0} ms; first contentful \
                             paint {:.0} ms",
                            list(&vanilla_painted),
                            vm(|l| l.request),
                            vm(|l| l.list_end),
                            vm(|l| l.first_rows),
                            vm(|l| l.first_contentful_paint),
                        ),
                    ));
                    report.detail(
                        "first_rows_vanilla_loads",
                        json!(vanilla.iter().map(|l| json!({
                            "painted_ms": l.painted, "first_rows_ms": l.first_rows, "request_ms": l.request,
                            "list_end_ms": l.list_end, "fcp_ms": l.first_contentful_paint,
                        })).collect::<Vec<_>>()),
                    );
                }
                Err(e) => report.push(failed(
                    "first_rows_vanilla_painted_ms",
                    FIRST_ROWS_VANILLA_WHAT,
                    Goal::None,
                    "ms",
                    e,
                )),
            }
            report.detail(
                "first_rows_loads",
                json!(loads.iter().map(|l| json!({
                    "painted_ms": l.painted, "first_rows_ms": l.first_rows, "list_end_ms": l.list_end, "request_ms": l.request, "response_ms": l.response,
                    "decoded_ms": l.decoded, "wasm_loaded_ms": l.wasm_loaded, "fcp_ms": l.first_contentful_paint, "all_painted_ms": l.all_painted,
                    "config_start_ms": l.config_start, "config_end_ms": l.config_end, "started_ms": l.started,
                    "rest_requested_ms": l.rest_requested, "rest_sync": l.rest_sync,
                })).collect::<Vec<_>>()),
            );
        }
        Err(e) => {
            report.push(failed(
                "first_rows_painted_ms",
                FIRST_ROWS_WHAT,
                Goal::AtMost(300.0),
                "ms",
                &e,
            ));
            report.push(failed(
                "first_rows_ms",
                FIRST_ROWS_FRAME_WHAT,
                Goal::None,
                "ms",
                &e,
            ));
            report.push(failed(
                "first_rows_all_painted_ms",
                FIRST_ROWS_ALL_WHAT,
                Goal::None,
                "ms",
                &e,
            ));
            report.push(failed(
                "first_rows_vanilla_painted_ms",
                FIRST_ROWS_VANILLA_WHAT,
                Goal::None,
                "ms",
                &e,
            ));
        }
    }
}

/// The first renders' lines; the API URL both pages fetched, when measured.
fn render_1000(report: &mut Report, cdp: &mut cdp::Cdp, base: &str) -> Option<String> {
    let what = "1000-row render: app ÷ vanilla JS baseline (response → rows in DOM)";
    match browser::render_1000(cdp, base, RENDER_RUNS) {
        Ok(runs) => {
            let api_url = runs.api_url.clone();
            let app: Vec<f64> = runs.app.iter().map(|r| r.render).collect();
            let vanilla: Vec<f64> = runs.vanilla.iter().map(|r| r.render).collect();
            let (a, v) = (median(&app).unwrap_or(0.0), median(&vanilla).unwrap_or(0.0));
            let app_decode = browser::median_of(&runs.app, |r| r.decode).unwrap_or(0.0);
            let vanilla_decode = browser::median_of(&runs.vanilla, |r| r.decode).unwrap_or(0.0);
            let app_build = browser::median_of(&runs.app, |r| r.build).unwrap_or(0.0);
            let app_parse = browser::median_of(&runs.app, |r| r.parse).unwrap_or(0.0);
            let vanilla_build = browser::median_of(&runs.vanilla, |r| r.build).unwrap_or(0.0);
            // Loads without both marks have no frame (-1): left out.
            let frame =
                |runs: &[browser::Render]| browser::median_known(runs, |r| r.frame).unwrap_or(-1.0);
            let (app_frame, vanilla_frame) = (frame(&runs.app), frame(&runs.vanilla));
            report.push(line(
                "render_1000_app_ms",
                "1000-row render, app: response → rows in DOM (median)",
                Goal::None,
                a,
                "ms",
                format!(
                    "`scale:rows − scale:response` of /jobs?page_size=1000, {RENDER_RUNS} page loads; samples {}; \
                     medians of the parts: JSON decoding (`scale:decoded − scale:response`) {app_decode:.1} ms, \
                     building the rows (`scale:dom − scale:decoded`) {app_build:.1} ms, of which the browser's \
                     parsing of their HTML and their insertion (`scale:dom − scale:html`) {app_parse:.1} ms; \
                     after it, outside the figure, the frame that lays the rows out and paints them \
                     (`scale:painted − scale:rows`) {app_frame:.1} ms",
                    list(&app)
                ),
            ));
            report.push(line(
                "render_1000_vanilla_ms",
                "1000-row render, vanilla JS baseline (median)",
                Goal::None,
                v,
                "ms",
                format!(
                    "xtask/bench/vanilla.html on the same API URL (`{}`), loads alternating with the app's; samples {}; \
                     medians of the parts: JSON.parse {vanilla_decode:.1} ms, building the rows {vanilla_build:.1} ms; \
                     after it, the frame that lays the rows out and paints them {vanilla_frame:.1} ms",
                    runs.api_url,
                    list(&vanilla)
                ),
            ));
            if v > 0.0 {
                // Each app load is followed by a baseline load: their ratio
                // cancels most of the machine's drift during the run, so
                // its spread says how far the figure can be trusted.
                let spread = pairs_spread(&runs.app, &runs.vanilla);
                report.push(line(
                    "render_1000_ratio",
                    what,
                    Goal::AtMost(1.3),
                    a / v,
                    "x",
                    format!(
                        "ratio of the two medians above, measured in the same run and browser{spread}"
                    ),
                ));
            } else {
                report.push(failed(
                    "render_1000_ratio",
                    what,
                    Goal::AtMost(1.3),
                    "x",
                    "the baseline took no time",
                ));
            }
            Some(api_url)
        }
        Err(e) => {
            for (key, w) in [
                ("render_1000_app_ms", "1000-row render, app"),
                (
                    "render_1000_vanilla_ms",
                    "1000-row render, vanilla JS baseline",
                ),
            ] {
                report.push(failed(key, w, Goal::None, "ms", &e));
            }
            report.push(failed(
                "render_1000_ratio",
                what,
                Goal::AtMost(1.3),
                "x",
                &e,
            ));
            None
        }
    }
}

/// "; the N back-to-back pairs' own ratios: median …, middle half …": each
/// app sample is followed by a baseline sample, and their ratio cancels
/// most of the machine's drift, so its spread says how far the ratio of
/// the medians can be trusted.
fn pairs_spread(app: &[browser::Render], vanilla: &[browser::Render]) -> String {
    let paired: Vec<f64> = app
        .iter()
        .zip(vanilla)
        .filter(|(_, v)| v.render > 0.0)
        .map(|(a, v)| a.render / v.render)
        .collect();
    match (
        percentile(&paired, 25.0),
        median(&paired),
        percentile(&paired, 75.0),
    ) {
        (Some(lo), Some(mid), Some(hi)) => format!(
            "; the {} back-to-back pairs' own ratios: median {mid:.2}x, middle half {lo:.2}x-{hi:.2}x",
            paired.len()
        ),
        _ => String::new(),
    }
}

/// 1000-row page changes in pages that are already warm (info): the
/// budget's figure is a page's first render, where the wasm still runs
/// unoptimised; an analyst paging on meets the same work warm, plus taking
/// out the rows shown before (in both pages alike).
fn render_1000_warm(report: &mut Report, cdp: &mut cdp::Cdp, base: &str, api_url: &str) {
    let what = WARM_WHAT;
    match browser::render_1000_warm(cdp, base, api_url, WARM_RENDERS) {
        Ok((app, vanilla)) => {
            let part = |runs: &[browser::Render], f: fn(&browser::Render) -> f64| {
                browser::median_of(runs, f).unwrap_or(0.0)
            };
            let a = part(&app, |r| r.render);
            let v = part(&vanilla, |r| r.render);
            let samples =
                |runs: &[browser::Render]| list(&runs.iter().map(|r| r.render).collect::<Vec<_>>());
            let note = format!(
                "one app tab clicking Next page, then one baseline tab rendering the next page with vanilla.js's \
                 `scaleRender`, {WARM_RENDERS} times each after one not counted; each change also \
                 takes out the 1000 rows shown before, which a first render has not got; \
                 app {a:.1} ms (decoding {:.1}, building the rows {:.1}, of which the browser's parsing of their HTML \
                 and insertion {:.1}; samples {}), vanilla {v:.1} ms (JSON.parse {:.1}, building the rows {:.1}; samples {})",
                part(&app, |r| r.decode),
                part(&app, |r| r.build),
                part(&app, |r| r.parse),
                samples(&app),
                part(&vanilla, |r| r.decode),
                part(&vanilla, |r| r.build),
                samples(&vanilla),
            );
            if v > 0.0 {
                report.push(line(
                    "render_1000_warm_ratio",
                    what,
                    Goal::None,
                    a / v,
                    "x",
                    note,
                ));
            } else {
                report.push(failed(
                    "render_1000_warm_ratio",
                    what,
                    Goal::None,
                    "x",
                    "the baseline took no time",
                ));
            }
        }
        Err(e) => report.push(failed("render_1000_warm_ratio", what, Goal::None, "x", &e)),
    }
}

fn sort_and_page(report: &mut Report, cdp: &mut cdp::Cdp, base: &str) {
    let how = "`(scale:painted − scale:click) − (scale:response − scale:request)`: click to the new rows laid out and \
               painted (a timer set in their frame firing) minus the request's time on the network; one unmeasured click first";
    let painted =
        |clicks: &[browser::Click]| browser::median_of(clicks, |c| c.painted).unwrap_or(-1.0);
    let frame_start =
        |clicks: &[browser::Click]| browser::median_of(clicks, |c| c.rows).unwrap_or(-1.0);
    let note = |clicks: &[browser::Click]| {
        let painted: Vec<f64> = clicks.iter().map(|c| c.painted).collect();
        let rows: Vec<f64> = clicks.iter().map(|c| c.rows).collect();
        let all: Vec<f64> = clicks.iter().map(|c| c.all_painted).collect();
        format!(
            "{how}; samples {}; to the rows' frame starting instead (`scale:rows`, what runs before commit bec68f5 reported): \
             median {:.1} ms, samples {}; to every row of the page painted (`scale:all-painted`: the app holds the rows \
             below the fold back from the new rows' frame and paints them in the next): median {:.1} ms, samples {}; {}",
            list(&painted),
            frame_start(clicks),
            list(&rows),
            browser::median_of(clicks, |c| c.all_painted).unwrap_or(-1.0),
            list(&all),
            click_parts(clicks),
        )
    };
    match browser::sort_and_page(cdp, base, CLICKS) {
        Ok(r) => {
            report.detail(
                "clicks_to_frame_start_ms",
                json!({ "sort": frame_start(&r.sort), "page": frame_start(&r.page) }),
            );
            report.push(line(
                "sort_change_painted_ms",
                SORT_WHAT,
                Goal::AtMost(50.0),
                painted(&r.sort),
                "ms",
                note(&r.sort),
            ));
            report.push(line(
                "page_change_painted_ms",
                PAGE_WHAT,
                Goal::AtMost(50.0),
                painted(&r.page),
                "ms",
                note(&r.page),
            ));
            let vanilla_how = "xtask/bench/vanilla.html on the app's first list URL, in its own tab after the app's \
                               is closed: `scaleRender` of pages 2, 3, … (it marks scale:request first, so this starts at \
                               the request: the app's click-to-request time has no counterpart), \
                               `(scale:painted − scale:request) − (scale:response − scale:request)`; one unmeasured change first";
            match &r.vanilla_page {
                Ok(clicks) => {
                    let vanilla_rows: Vec<f64> = clicks.iter().map(|c| c.rows).collect();
                    let vanilla_painted: Vec<f64> = clicks.iter().map(|c| c.painted).collect();
                    report.push(line(
                        "page_change_vanilla_painted_ms",
                        PAGE_VANILLA_WHAT,
                        Goal::None,
                        painted(clicks),
                        "ms",
                        format!(
                            "{vanilla_how}; samples {}; to the rows' frame starting instead: median {:.1} ms, samples {}; {}",
                            list(&vanilla_painted),
                            frame_start(clicks),
                            list(&vanilla_rows),
                            click_parts(clicks),
                        ),
                    ));
                }
                Err(e) => report.push(failed(
                    "page_change_vanilla_painted_ms",
                    PAGE_VANILLA_WHAT,
                    Goal::None,
                    "ms",
                    e,
                )),
            }
        }
        Err(e) => {
            report.push(failed(
                "sort_change_painted_ms",
                SORT_WHAT,
                Goal::AtMost(50.0),
                "ms",
                &e,
            ));
            report.push(failed(
                "page_change_painted_ms",
                PAGE_WHAT,
                Goal::AtMost(50.0),
                "ms",
                &e,
            ));
            report.push(failed(
                "page_change_vanilla_painted_ms",
                PAGE_VANILLA_WHAT,
                Goal::None,
                "ms",
                &e,
            ));
        }
    }
}

/// The medians of a click's parts, and of its rows' frame.
fn click_parts(clicks: &[browser::Click]) -> String {
    let m = |f: fn(&browser::Click) -> f64| browser::median_of(clicks, f).unwrap_or(-1.0);
    format!(
        "medians of the parts (medians need not add up to the total's): to the request {:.1} ms, decoding {:.1}, building the rows into the DOM {:.1}, \
         to their frame starting {:.1}, the frame {:.1}",
        m(|c| c.before_request),
        m(|c| c.decode),
        m(|c| c.build),
        m(|c| c.to_frame),
        m(|c| c.painted - c.rows),
    )
}

fn memory(report: &mut Report, cdp: &mut cdp::Cdp, base: &str) {
    let early = MEMORY_CHECKPOINTS[0];
    let late = MEMORY_CHECKPOINTS[MEMORY_CHECKPOINTS.len() - 1];
    let what =
        format!("Memory growth, {early} → {late} in-app page changes (JS heap + wasm memory)");
    match browser::memory(cdp, base, &MEMORY_CHECKPOINTS) {
        Ok(m) if m.len() == MEMORY_CHECKPOINTS.len() => {
            let (a, b) = (m[0], m[m.len() - 1]);
            let trend: Vec<String> = m
                .iter()
                .map(|m| {
                    format!(
                        "{}: {:.2} + {:.2} MiB",
                        m.navigations,
                        m.js_heap_used / MIB,
                        m.wasm_memory / MIB
                    )
                })
                .collect();
            let growth = 100.0 * (b.total() - a.total()) / a.total();
            let mut at = |key, m: browser::Memory| {
                let mut l = line(
                    key,
                    &format!("Memory after {} page changes: JS heap + wasm memory", m.navigations),
                    Goal::None,
                    m.total() / MIB,
                    "MiB",
                    format!(
                        "after 3 forced GCs (`HeapProfiler.collectGarbage`): V8 heap used {:.2} MiB (`Runtime.getHeapUsage`), \
                         wasm memory {:.2} MiB (the console's, through its wasm-bindgen glue module); \
                         {:.0} DOM nodes, {:.0} JS event listeners",
                        m.js_heap_used / MIB,
                        m.wasm_memory / MIB,
                        m.dom_nodes,
                        m.js_event_listeners
                    ),
                );
                l.shown = Some(format!(
                    "{:.2} + {:.2} = {:.2} MiB",
                    m.js_heap_used / MIB,
                    m.wasm_memory / MIB,
                    m.total() / MIB
                ));
                report.push(l);
            };
            at("memory_early_mib", a);
            at("memory_late_mib", b);
            report.push(line(
                "memory_growth_pct",
                &what,
                Goal::AtMost(10.0),
                growth,
                "%",
                format!(
                    "clicking Next page (client-side route changes, 100 rows each) with auto-refresh every second; \
                     the page's mark and resource-timing buffers are cleared after each change; \
                     JS heap + wasm memory after n changes: {}",
                    trend.join(", ")
                ),
            ));
            report.detail(
                "memory",
                json!(m.iter().map(|m| m.to_json()).collect::<Vec<_>>()),
            );
        }
        Ok(_) => report.push(failed(
            "memory_growth_pct",
            &what,
            Goal::AtMost(10.0),
            "%",
            "missing checkpoints",
        )),
        Err(e) => report.push(failed(
            "memory_growth_pct",
            &what,
            Goal::AtMost(10.0),
            "%",
            &e,
        )),
    }
}

fn discipline(report: &mut Report, cdp: &mut cdp::Cdp, base: &str) {
    let overlap_what = "Overlapping API requests, auto-refresh every 1 s";
    let hidden_what = "API requests while the tab is hidden, auto-refresh every 1 s";
    match browser::discipline(cdp, base, Duration::from_secs(8), Duration::from_secs(6)) {
        Ok(d) => {
            report.push(line(
                "overlapping_requests",
                overlap_what,
                Goal::AtMost(0.0),
                d.overlapping as f64,
                "",
                format!(
                    "CDP `Network.requestWillBeSent` / `loadingFinished` / `loadingFailed` of `/api/` URLs: a request counts when it \
                     starts before an earlier one ended; {} requests in {:.0} s visible, {} in {:.0} s hidden, {} in the 3 s after showing the tab again",
                    d.visible_requests, d.visible_seconds, d.hidden_requests, d.hidden_seconds, d.shown_again_requests
                ),
            ));
            if d.hidden_confirmed {
                report.push(line(
                    "hidden_requests",
                    hidden_what,
                    Goal::AtMost(0.0),
                    d.hidden_requests as f64,
                    "",
                    format!(
                        "another tab opened in the same window and brought to the front (`Target.activateTarget`); \
                         `document.hidden` checked true before and after the {:.0} s window; \
                         timers in hidden tabs are not throttled (`--disable-background-timer-throttling`), so a quiet tab is the app's doing",
                        d.hidden_seconds
                    ),
                ));
            } else {
                report.push(failed(
                    "hidden_requests",
                    hidden_what,
                    Goal::AtMost(0.0),
                    "",
                    "bringing another tab to the front did not make document.hidden true",
                ));
            }
            report.detail(
                "discipline",
                json!({
                    "visible_seconds": d.visible_seconds, "visible_requests": d.visible_requests,
                    "hidden_seconds": d.hidden_seconds, "hidden_requests": d.hidden_requests,
                    "hidden_confirmed": d.hidden_confirmed, "overlapping": d.overlapping,
                    "shown_again_requests": d.shown_again_requests,
                }),
            );
        }
        Err(e) => {
            report.push(failed(
                "overlapping_requests",
                overlap_what,
                Goal::AtMost(0.0),
                "",
                &e,
            ));
            report.push(failed(
                "hidden_requests",
                hidden_what,
                Goal::AtMost(0.0),
                "",
                &e,
            ));
        }
    }
}

fn server_load(report: &mut Report, base: &str, cores: usize) {
    let mut details = Vec::new();
    for (i, (path, p50_key, rps_key)) in SERVER_QUERIES.into_iter().enumerate() {
        let url = format!("{base}/api/v5{path}");
        // Latency: as many clients as cores, so requests rarely queue.
        let what = format!("Server `{path}` over {DEMO_JOBS} jobs, {cores} clients: p50 / p99");
        // The budget is on the first query, the console's default page.
        let goal = if i == 0 {
            Goal::AtMost(5.0)
        } else {
            Goal::None
        };
        let key = p50_key;
        match http::load(&url, cores, Duration::from_secs(3)) {
            Ok(r) if r.errors > 0 => {
                report.push(failed(key, &what, goal, "ms", &load_errors(&r)));
                details.push(run_json(path, &r));
            }
            Ok(r) => {
                let mut l = line(
                    key,
                    &what,
                    goal,
                    r.p50_ms,
                    "ms",
                    format!(
                        "{} requests in {:.1} s, {} errors; answers of {} B (br)",
                        r.requests, r.seconds, r.errors, r.body_bytes
                    ),
                );
                l.shown = Some(format!("{:.1} / {:.1} ms", r.p50_ms, r.p99_ms));
                report.push(l);
                details.push(run_json(path, &r));
            }
            Err(e) => report.push(failed(key, &what, goal, "ms", &e)),
        }
        // Throughput: 16 clients.
        let what = format!("Server `{path}`, 16 clients: requests/s (p50 / p99)");
        let key = rps_key;
        match http::load(&url, 16, Duration::from_secs(4)) {
            Ok(r) if r.errors > 0 => {
                report.push(failed(key, &what, Goal::None, "req/s", &load_errors(&r)));
                details.push(run_json(path, &r));
            }
            Ok(r) => {
                let mut l = line(
                    key,
                    &what,
                    Goal::None,
                    r.requests_per_second,
                    "req/s",
                    format!("{} requests in {:.1} s, 0 errors", r.requests, r.seconds),
                );
                l.shown = Some(format!(
                    "{:.0} req/s ({:.1} / {:.1} ms)",
                    r.requests_per_second, r.p50_ms, r.p99_ms
                ));
                report.push(l);
                details.push(run_json(path, &r));
            }
            Err(e) => report.push(failed(key, &what, Goal::None, "req/s", &e)),
        }
    }
    report.detail("server_load", json!(details));
}

/// One bench at a time: two would share `target/bench` (the database one
/// of them deletes and regenerates under the other's server, the bundle
/// and the report) and slow each other's timed parts. An OS lock on
/// `target/bench/bench.lock`, held for the whole run: the kernel lets it
/// go however the run ends, so a killed bench leaves nothing to clean up.
struct BenchLock {
    /// Held, never read: closing it lets the lock go.
    _file: std::fs::File,
}

impl BenchLock {
    fn take(out: &Path) -> Result<BenchLock> {
        let path = out.join("bench.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(BenchLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(format!(
                "another `cargo xtask bench` is running (it holds {}): two at once share target/bench \
                 and disturb each other's figures. Wait for it to finish",
                path.display()
            )),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(format!("cannot lock {}: {e}", path.display()))
            }
        }
    }
}

/// Lines of the server's own account of failed requests that the bench
/// prints; the rest would drown the report's progress.
const SERVER_FAILURES_SHOWN: usize = 6;

/// A load run with failed requests measures a broken server, not a fast
/// one: its line says so instead of giving figures (the server's own
/// account of each failure is printed as the bench runs).
fn load_errors(r: &http::LoadRun) -> String {
    format!(
        "{} of {} requests failed{}",
        r.errors,
        r.errors + r.requests,
        r.first_error
            .as_deref()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    )
}

fn run_json(path: &str, r: &http::LoadRun) -> Value {
    json!({
        // A run with errors has no figures (its lines say "not measured").
        "measured": r.errors == 0,
        "query": path, "clients": r.clients, "seconds": r.seconds, "requests": r.requests,
        "errors": r.errors, "p50_ms": r.p50_ms, "p99_ms": r.p99_ms,
        "requests_per_second": r.requests_per_second, "body_bytes": r.body_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_bench_at_a_time() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lock = BenchLock::take(&dir).unwrap();
        let err = BenchLock::take(&dir).err().unwrap();
        assert!(err.contains("another `cargo xtask bench`"), "{err}");
        drop(lock);
        // Let go with the run: the file stays, and the next run takes it.
        let again = BenchLock::take(&dir);
        assert!(again.is_ok(), "{:?}", again.err());
        drop(again);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn arguments_pick_parts() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_args(&[]).unwrap(),
            Options {
                build: true,
                dist: None,
                compare: None,
                parts: PARTS.to_vec()
            }
        );
        assert_eq!(
            parse_args(&args(&[
                "--no-build",
                "memory",
                "--dist",
                "/tmp/d",
                "render"
            ]))
            .unwrap(),
            Options {
                build: false,
                dist: Some(PathBuf::from("/tmp/d")),
                compare: None,
                parts: vec!["memory", "render"]
            }
        );
        assert!(parse_args(&args(&["memroy"])).is_err());
        assert!(parse_args(&args(&["--dist"])).is_err());
        // A comparison measures its own parts, both unless told.
        assert_eq!(
            parse_args(&args(&["--compare", "/tmp/b"])).unwrap(),
            Options {
                build: true,
                dist: None,
                compare: Some(PathBuf::from("/tmp/b")),
                parts: compare::PARTS.to_vec()
            }
        );
        assert_eq!(
            parse_args(&args(&["render", "--compare", "/tmp/b"]))
                .unwrap()
                .parts,
            vec!["render"]
        );
        let e = parse_args(&args(&["--compare", "/tmp/b", "memory"])).unwrap_err();
        assert!(e.contains("not `memory`"), "{e}");
        assert!(parse_args(&args(&["--compare"])).is_err());
    }

    #[test]
    fn reads_the_listening_line() {
        assert_eq!(
            listening_url("listening on http://127.0.0.1:40123").as_deref(),
            Some("http://127.0.0.1:40123")
        );
        assert_eq!(
            listening_url("scale-jobs-server: listening on http://127.0.0.1:8080/ (2000 jobs)")
                .as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(listening_url("generated 100000 demo jobs"), None);
    }
}
