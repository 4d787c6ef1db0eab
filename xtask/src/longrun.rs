//! The long runs behind `cargo xtask fuzz` and `cargo xtask soak`: the same
//! checks `cargo xtask test` runs briefly, run for longer and with figures.
//!
//! - `fuzz [CASES]`: the shared crate's never-panic property tests (parsers
//!   and decoders on random text, damaged real Scale bodies and values of
//!   any shape) with `PROPTEST_CASES=CASES` (default 20,000), then the
//!   server's request fuzz (thousands of generated queries and PATCH bodies,
//!   database checksum kept) under three fresh seeds.
//! - `soak [SECONDS] [CLIENTS]`: the release server with demo data and
//!   `--simulate`, polled by `scale-jobs-load` (default 60 s, 50 clients,
//!   loopback only); prints requests/s, p50 and p99, fails on any error.

use crate::proc::{self, command};
use crate::tasks::{build_server, target_dir};
use crate::Result;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn number(args: &[String], i: usize, default: u64, what: &str) -> Result<u64> {
    match args.get(i) {
        None => Ok(default),
        Some(s) => s
            .parse()
            .map_err(|_| format!("{what} must be a whole number, not {s:?}")),
    }
}

pub fn fuzz(args: &[String]) -> Result {
    let cases = number(args, 0, 20_000, "CASES")?;
    let started = Instant::now();
    println!("==> shared: parsers and decoders never panic, {cases} cases per property");
    proc::run(
        proc::cargo()
            .args([
                "test",
                "--release",
                "-p",
                "scale-jobs-shared",
                "--test",
                "never_panic",
                "--lib",
            ])
            .env("PROPTEST_CASES", cases.to_string()),
    )?;
    // A fixed list keeps runs comparable; each seed is a different request mix.
    for seed in [101u64, 202, 303] {
        println!("==> server: request fuzz, seed {seed}");
        proc::run(
            proc::cargo()
                .args([
                    "test",
                    "-p",
                    "scale-jobs-server",
                    "--test",
                    "robustness",
                    "generated_queries",
                ])
                .env("SCALE_FUZZ_SEED", seed.to_string()),
        )?;
    }
    println!(
        "fuzz: all passed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub fn soak(args: &[String]) -> Result {
    let seconds = number(args, 0, 60, "SECONDS")?;
    let clients = number(args, 1, 50, "CLIENTS")?;
    build_server()?;
    let bin_dir = target_dir().join("server");
    let mut server = command(bin_dir.join("scale-jobs-server"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--demo-jobs",
            "20000",
            "--simulate",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let url = {
        let out = server.stdout.take().ok_or("no server output")?;
        let mut lines = BufReader::new(out).lines();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            match lines.next() {
                Some(Ok(l)) if l.starts_with("listening on ") => {
                    break l["listening on ".len()..].trim().to_string()
                }
                Some(_) if Instant::now() < deadline => continue,
                _ => {
                    let _ = server.kill();
                    return Err("the server did not say where it listens".into());
                }
            }
        }
    };
    println!("==> soak: {clients} clients for {seconds} s against {url} (20,000 jobs, simulating)");
    let result = proc::run(command(bin_dir.join("scale-jobs-load")).args([
        "--url",
        &url,
        "--clients",
        &clients.to_string(),
        "--seconds",
        &seconds.to_string(),
    ]));
    let _ = server.kill();
    let _ = server.wait();
    result
}
