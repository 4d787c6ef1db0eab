//! `cargo xtask <task>`: the project's build pipeline, written in Rust so a
//! fresh machine needs nothing but cargo to build, run and test the console.
//!
//! Tasks:
//! - `setup`: installs whatever is missing (wasm32 target, Trunk,
//!   wasm-bindgen-cli, npm tools, Chromium), skipping what is present.
//! - `dist`: the release bundle in `dist/`, with its sizes.
//! - `dev [-- SERVER ARGS]`: the bundle plus the development server on
//!   <http://127.0.0.1:8080/jobs>, in the foreground.
//! - `test`: every check CI runs; the last line is `N passed, M failed`.
//! - `bench`: the performance report in `target/bench/` (see `bench.rs`).
//!
//! - `fuzz [CASES]`, `soak [SECONDS] [CLIENTS]`: the longer runs of the
//!   never-panic, request-fuzz and load checks (see `longrun.rs`).

mod bench;
mod longrun;
mod proc;
mod setup;
mod split;
mod summary;
mod tasks;

use std::process::ExitCode;

/// Errors in xtask are messages for a person at a terminal; nothing matches on them.
pub type Result<T = ()> = std::result::Result<T, String>;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  setup                 install missing tools (wasm32 target, trunk, wasm-bindgen-cli,
                        npm tools, chromium); skips what is present
  dist                  release bundle in dist/ (trunk build --release), prints sizes
  dev [-- SERVER ARGS]  build dist and the dev server, serve http://127.0.0.1:8080/jobs
  test                  fmt, clippy, unit, wasm and end-to-end tests; last line is
                        `N passed, M failed`
  bench [--no-build] [--dist DIR] [PART...]
                        release app + server with 100,000 demo jobs, measured in
                        headless Chromium; writes target/bench/report.{json,md}.
                        PART: load wasm-size first-rows render interactions server
                        profile memory discipline (default: all); --dist measures
                        another build of the bundle
  fuzz [CASES]          never-panic property tests with CASES cases each (default
                        20000) and the server's request fuzz under three seeds
  soak [SECONDS] [CLIENTS]
                        the release server polled by CLIENTS clients (default 50)
                        for SECONDS (default 60); p50/p99, fails on any error
";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let task = args.next();
    let rest: Vec<String> = args.collect();
    let result = match task.as_deref() {
        Some("setup") => setup::run(),
        Some("dist") => tasks::dist(),
        Some("dev") => tasks::dev(&rest),
        // `test` decides its own exit code: it must print its totals line even
        // when a step failed.
        Some("test") => return tasks::test(),
        Some("bench") => bench::run(&rest),
        Some("fuzz") => longrun::fuzz(&rest),
        Some("soak") => longrun::soak(&rest),
        None | Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
