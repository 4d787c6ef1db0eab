//! The tasks that build and run things: `dist`, `dev` and `test`.

use crate::proc::{self, command, root, run_captured, Captured};
use crate::setup;
use crate::summary::{step_counts, Counts};
use crate::Result;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The server's own cargo profile (see the root Cargo.toml): optimised, but
/// quick to link, so `dev` and the e2e tests don't wait on fat LTO.
const SERVER_PROFILE: &str = "server";
/// Builds have no natural hang; this only bounds a wedged one.
const BUILD_LIMIT: Duration = Duration::from_secs(50 * 60);
/// Running (already compiled) test binaries; a browser test that hangs is
/// killed well inside CI's 90 minutes.
const RUN_LIMIT: Duration = Duration::from_secs(15 * 60);

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

pub fn dist_dir() -> PathBuf {
    root().join("dist")
}

pub fn server_bin() -> PathBuf {
    target_dir().join(SERVER_PROFILE).join("scale-jobs-server")
}

pub fn dist() -> Result {
    setup::run()?;
    build_dist()?;
    print_sizes(&dist_dir())
}

/// `cargo fetch` first because Trunk runs offline (`--offline` builds); then
/// the release bundle, with npm's wasm-opt first on PATH (see `proc::tool_path`).
pub fn build_dist() -> Result {
    proc::run(proc::cargo().arg("fetch"))?;
    proc::run(command("trunk").args(["build", "--release"]))?;
    // The console's wasm in two parts: what a list page runs, and the rest
    // (src/split.rs, which builds the server that serves the profiled pages).
    let split = crate::split::split_console(&dist_dir())?;
    println!(
        "split the console's wasm: {} functions kept in {} ({} bytes), the rest in {} ({} bytes)",
        split.kept_functions,
        split.primary.0,
        split.primary.1,
        split.secondary.0,
        split.secondary.1
    );
    precompress(&dist_dir())
}

/// Writes `NAME.br` (brotli 11) and `NAME.gz` (gzip 9) beside every
/// compressible file of the bundle. The server sends them in place of its
/// own on-the-fly compression (brotli 9), after checking that they decode
/// to the file's current bytes: 9 % fewer wasm bytes on the wire
/// (`cargo xtask bench load`).
pub fn precompress(dist: &Path) -> Result {
    use std::io::Write as _;
    let mut files = Vec::new();
    collect_files(dist, &mut files).map_err(|e| format!("cannot list {}: {e}", dist.display()))?;
    for (path, size) in files {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if size < 512 || !["wasm", "js", "css", "html", "json", "svg"].contains(&ext) {
            continue;
        }
        let raw =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let br = brotli_best(&raw).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&raw)
            .map_err(|e| format!("gzip {}: {e}", path.display()))?;
        let gz = gz
            .finish()
            .map_err(|e| format!("gzip {}: {e}", path.display()))?;
        for (suffix, bytes) in [("br", br), ("gz", gz)] {
            let mut name = path.clone().into_os_string();
            name.push(format!(".{suffix}"));
            std::fs::write(&name, bytes)
                .map_err(|e| format!("cannot write {}: {e}", Path::new(&name).display()))?;
        }
    }
    Ok(())
}

/// `raw` at brotli's best: quality 11, a 16 MiB window.
pub fn brotli_best(raw: &[u8]) -> Result<Vec<u8>> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 24,
        ..Default::default()
    };
    let mut br = Vec::new();
    brotli::BrotliCompress(&mut &raw[..], &mut br, &params).map_err(|e| format!("brotli: {e}"))?;
    Ok(br)
}

pub fn build_server() -> Result {
    proc::run(proc::cargo().args([
        "build",
        "-p",
        "scale-jobs-server",
        "--profile",
        SERVER_PROFILE,
    ]))
}

pub fn print_sizes(dist: &Path) -> Result {
    let mut files = Vec::new();
    collect_files(dist, &mut files).map_err(|e| format!("cannot list {}: {e}", dist.display()))?;
    files.sort();
    println!("bundle sizes (raw bytes):");
    for kind in ["wasm", "js", "css"] {
        let mut total = 0;
        for (path, size) in &files {
            if path.extension().and_then(|e| e.to_str()) == Some(kind) {
                let shown = path.strip_prefix(root()).unwrap_or(path);
                println!("  {kind:<4} {size:>10}  {}", shown.display());
                total += size;
            }
        }
        println!("  {kind:<4} {total:>10}  total");
    }
    Ok(())
}

fn collect_files(dir: &Path, out: &mut Vec<(PathBuf, u64)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if meta.is_dir() {
            collect_files(&entry.path(), out)?;
        } else {
            out.push((entry.path(), meta.len()));
        }
    }
    Ok(())
}

/// Builds everything, then becomes the server (exec), so Ctrl-C reaches it
/// directly and it shuts down cleanly.
pub fn dev(args: &[String]) -> Result {
    let extra = match args.first().map(String::as_str) {
        Some("--") => &args[1..],
        _ => args,
    };
    setup::run()?;
    build_dist()?;
    print_sizes(&dist_dir())?;
    build_server()?;
    let server_args = dev_server_args(extra);
    let addr = flag_value(&server_args, "--addr").unwrap_or("127.0.0.1:8080");
    println!();
    println!("console: http://{addr}/jobs   (Ctrl-C stops the server)");
    println!();
    let mut server = command(server_bin());
    server.args(&server_args);
    println!("$ {}", proc::display(&server));
    exec(server)
}

#[cfg(unix)]
fn exec(mut cmd: Command) -> Result {
    use std::os::unix::process::CommandExt;
    let error = cmd.exec();
    Err(format!("cannot start `{}`: {error}", proc::display(&cmd)))
}

#[cfg(not(unix))]
fn exec(mut cmd: Command) -> Result {
    proc::run(&mut cmd)
}

/// The dev defaults, minus any the caller passed themselves (the server
/// rejects a repeated flag), followed by the caller's arguments.
fn dev_server_args(extra: &[String]) -> Vec<String> {
    let defaults: [(&str, Option<&str>); 4] = [
        ("--dist", Some("dist")),
        ("--demo-jobs", Some("2000")),
        ("--simulate", None),
        ("--addr", Some("127.0.0.1:8080")),
    ];
    let given = |flag: &str| {
        extra
            .iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    let mut args = Vec::new();
    for (flag, value) in defaults {
        if !given(flag) {
            args.push(flag.to_owned());
            args.extend(value.map(str::to_owned));
        }
    }
    args.extend(extra.iter().cloned());
    args
}

fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let prefix = format!("{flag}=");
    args.iter().enumerate().find_map(|(i, a)| {
        if a == flag {
            args.get(i + 1).map(String::as_str)
        } else {
            a.strip_prefix(&prefix)
        }
    })
}

/// One line of the closing table.
struct StepResult {
    name: &'static str,
    ok: bool,
    counts: Counts,
    seconds: f64,
    note: String,
}

#[derive(Default)]
struct Report {
    steps: Vec<StepResult>,
}

impl Report {
    fn start(&self, name: &str) -> Instant {
        println!();
        println!("==> [{}] {name}", self.steps.len() + 1);
        Instant::now()
    }

    fn finish(
        &mut self,
        name: &'static str,
        started: Instant,
        ok: bool,
        counts: Counts,
        mut note: String,
    ) {
        let seconds = started.elapsed().as_secs_f64();
        // Leftovers would pile up over runs and hold ports and memory; say
        // so loudly (a test is leaking them) and end them.
        let leftovers = proc::kill_leftovers(&target_dir());
        if !leftovers.is_empty() {
            eprintln!(
                "xtask: `{name}` left {} process(es) running; killed them:\n  {}",
                leftovers.len(),
                leftovers.join("\n  ")
            );
            let left = format!("left {} process(es) running", leftovers.len());
            note = if note.is_empty() {
                left
            } else {
                format!("{note}; {left}")
            };
        }
        let status = if ok { "ok" } else { "FAILED" };
        println!("<== {name}: {status} ({seconds:.0} s){}", suffix(&note));
        self.steps.push(StepResult {
            name,
            ok,
            counts,
            seconds,
            note,
        });
    }

    /// A step made of Rust code (setup, dist); a failure counts once.
    fn task(&mut self, name: &'static str, body: impl FnOnce() -> Result) -> bool {
        let started = self.start(name);
        let (ok, note) = match body() {
            Ok(()) => (true, String::new()),
            Err(e) => {
                eprintln!("xtask: {e}");
                (false, e)
            }
        };
        self.finish(name, started, ok, step_counts(false, ok, ""), note);
        ok
    }

    /// A check that is not a test suite (fmt, clippy, a build).
    fn check(&mut self, name: &'static str, mut cmd: Command, limit: Duration) -> bool {
        let started = self.start(name);
        let got = run_captured(&mut cmd, limit);
        let ok = got.success();
        self.finish(
            name,
            started,
            ok,
            step_counts(false, ok, &got.output),
            failure_note(&got),
        );
        ok
    }

    /// A test suite: compiled first without a time limit, then run under
    /// `RUN_LIMIT`, its result lines counted.
    fn suite(&mut self, name: &'static str, mut cmd: Command) {
        let started = self.start(name);
        let mut build = clone_command(&cmd);
        build.arg("--no-run");
        let built = run_captured(&mut build, BUILD_LIMIT);
        if !built.success() {
            let note = format!("does not build; {}", failure_note(&built));
            self.finish(name, started, false, step_counts(true, false, ""), note);
            return;
        }
        // cargo test stops at the first failing test binary by default;
        // the totals must cover every binary.
        cmd.arg("--no-fail-fast");
        let got = run_captured(&mut cmd, RUN_LIMIT);
        let ok = got.success();
        let counts = step_counts(true, ok, &got.output);
        self.finish(name, started, ok, counts, failure_note(&got));
    }

    fn skip(&mut self, name: &'static str, why: &str) {
        let started = self.start(name);
        println!("skipped: {why}");
        self.finish(
            name,
            started,
            false,
            step_counts(false, false, ""),
            format!("skipped: {why}"),
        );
    }

    fn totals(&self) -> Counts {
        let mut total = Counts::default();
        for step in &self.steps {
            total += step.counts;
        }
        total
    }

    fn print(&self) {
        println!();
        println!("summary:");
        for step in &self.steps {
            println!(
                "  {:<6} {:<42} {:>5} passed {:>3} failed {:>6.0} s{}",
                if step.ok { "ok" } else { "FAILED" },
                step.name,
                step.counts.passed,
                step.counts.failed,
                step.seconds,
                suffix(&step.note)
            );
        }
    }
}

fn suffix(note: &str) -> String {
    if note.is_empty() {
        String::new()
    } else {
        format!("  ({note})")
    }
}

fn failure_note(got: &Captured) -> String {
    if got.timed_out {
        "killed: time limit".to_owned()
    } else if got.success() {
        String::new()
    } else {
        match got.status.and_then(|s| s.code()) {
            Some(code) => format!("exit code {code}"),
            None => "did not run to completion".to_owned(),
        }
    }
}

/// `Command` is not `Clone`; the build-only twin of a test command needs
/// the same program, arguments, directory and environment.
fn clone_command(cmd: &Command) -> Command {
    let mut copy = Command::new(cmd.get_program());
    copy.args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        copy.current_dir(dir);
    }
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => copy.env(key, value),
            None => copy.env_remove(key),
        };
    }
    copy
}

fn cargo_args(args: &[&str]) -> Command {
    let mut cmd = proc::cargo();
    cmd.args(args);
    cmd
}

/// Every check CI runs, in order of cost, continuing past failures so one
/// run reports everything; the last line printed is `N passed, M failed`.
pub fn test() -> ExitCode {
    let run_started = Instant::now();
    let mut report = Report::default();

    report.task("setup (tools)", setup::run);
    report.check(
        "rustfmt",
        cargo_args(&["fmt", "--all", "--", "--check", "--color", "never"]),
        BUILD_LIMIT,
    );
    report.check(
        "clippy (native: shared, server, xtask, e2e)",
        cargo_args(&[
            "clippy",
            "-p",
            "scale-jobs-shared",
            "-p",
            "scale-jobs-server",
            "-p",
            "xtask",
            "-p",
            "scale-jobs-e2e",
            "--all-targets",
            // Report every crate's lints in one run, not just the first
            // crate that fails.
            "--keep-going",
            "--",
            "-D",
            "warnings",
        ]),
        BUILD_LIMIT,
    );
    report.check(
        "clippy (wasm32: app)",
        cargo_args(&[
            "clippy",
            "-p",
            "scale-jobs-app",
            "--target",
            WASM_TARGET,
            "--all-targets",
            // Report every crate's lints in one run, not just the first
            // crate that fails.
            "--keep-going",
            "--",
            "-D",
            "warnings",
        ]),
        BUILD_LIMIT,
    );
    report.suite(
        "unit tests (native: shared, server, xtask)",
        cargo_args(&[
            "test",
            "-p",
            "scale-jobs-shared",
            "-p",
            "scale-jobs-server",
            "-p",
            "xtask",
        ]),
    );
    // The app's pure modules (query editing, formatting, page windows) run
    // natively: Leptos CSR compiles for the host, so no browser is needed.
    report.suite(
        "app unit tests (native)",
        cargo_args(&["test", "-p", "scale-jobs-app", "--lib"]),
    );
    let mut wasm_tests = cargo_args(&[
        "test",
        "-p",
        "scale-jobs-app",
        "--target",
        WASM_TARGET,
        "--tests",
    ]);
    // The runner is set in .cargo/config.toml; it finds the driver here and
    // Chromium's flags in app/webdriver.json. Its default 20 s budget is
    // too tight for a debug build on a busy 2-core machine.
    wasm_tests
        .env("CHROMEDRIVER", setup::CHROMEDRIVER)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "180");
    report.suite("app tests (wasm32, headless Chromium)", wasm_tests);

    let dist_ok = report.task("dist (trunk build --release)", || {
        build_dist()?;
        print_sizes(&dist_dir())
    });
    let server_ok = report.check(
        "server build (--profile server)",
        cargo_args(&[
            "build",
            "-p",
            "scale-jobs-server",
            "--profile",
            SERVER_PROFILE,
        ]),
        BUILD_LIMIT,
    );
    let e2e = "end-to-end tests (Chromium + server)";
    if dist_ok && server_ok {
        let mut cmd = cargo_args(&["test", "-p", "scale-jobs-e2e"]);
        cmd.env("SCALE_DIST_DIR", dist_dir())
            .env("SCALE_SERVER_BIN", server_bin())
            .env("CHROMEDRIVER", setup::CHROMEDRIVER)
            .env("CHROMIUM", setup::CHROMIUM);
        report.suite(e2e, cmd);
    } else {
        report.skip(e2e, "needs both dist and the server binary");
    }

    report.print();
    let minutes = run_started.elapsed().as_secs_f64() / 60.0;
    println!("total time: {minutes:.1} min");
    let all_ok = report.steps.iter().all(|s| s.ok);
    // CI reads this exact line, so it is the last one printed.
    println!("{}", report.totals());
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn dev_defaults_fill_in_what_the_caller_left_out() {
        let args = dev_server_args(&strings(&["--seed", "7"]));
        assert_eq!(
            args,
            strings(&[
                "--dist",
                "dist",
                "--demo-jobs",
                "2000",
                "--simulate",
                "--addr",
                "127.0.0.1:8080",
                "--seed",
                "7"
            ])
        );
    }

    #[test]
    fn a_caller_flag_replaces_its_default() {
        let args = dev_server_args(&strings(&["--addr=0.0.0.0:9000", "--demo-jobs", "5"]));
        assert_eq!(flag_value(&args, "--addr"), Some("0.0.0.0:9000"));
        assert_eq!(args.iter().filter(|a| a.starts_with("--addr")).count(), 1);
        assert_eq!(args.iter().filter(|a| *a == "--demo-jobs").count(), 1);
        assert_eq!(flag_value(&args, "--demo-jobs"), Some("5"));
    }
}
